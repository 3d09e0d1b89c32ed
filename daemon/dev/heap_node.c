/* SPDX-License-Identifier: MIT */
/*
 * Heap nodes (dma_heap/<heap>, proto/dmabufd/dma_heap.h). An open of a
 * heap node binds nothing; each DMABUFD_HEAP_IOC_ALLOC makes a buffer and
 * hands it out as a claim token issued by this file, so the buffer dies
 * with the token if nobody claims it.
 *
 * Dispatch, as dma_heap_ioctl(): dmabufd's two whole numbers
 * DMABUFD_HEAP_IOC_ALLOC and DMABUFD_IOC_HANDLE (the latter answered by
 * common_node.c before this) are served; every other command goes by
 * _IOC_NR alone, whatever its magic, size or direction: nr 0 is the
 * kernel's ALLOC, which returns an fd and so is EOPNOTSUPP here, and
 * nr >= 1 is EINVAL. Nothing on a heap node is ENOTTY.
 */
#include <errno.h>

#include <dmabufd/dma_heap.h>

#include "model/heap.h"
#include "node_ops.h"

static void heap_alloc_ioctl(struct dev_req *req)
{
	const struct dmabufd_heap_alloc *in = dev_req_input(req, sizeof(*in));
	struct dev_file *file = req->file;
	_cleanup_(dma_buf_unrefp) struct dma_buf *buf = NULL;
	struct dmabufd_heap_alloc out;
	int r;

	if (!in || in->token || in->pad ||
	    (in->fd_flags & ~(uint32_t)HEAP_VALID_FD_FLAGS) ||
	    (in->heap_flags & ~HEAP_VALID_HEAP_FLAGS))
		return dev_req_fail(req, -EINVAL);
	r = heap_alloc(file->node->heap, file->acct, in->len, in->fd_flags,
		       in->heap_flags, &buf);
	if (r < 0)
		return dev_req_fail(req, r);
	out = *in;
	r = token_new(&file->tokens, TOKEN_DMA_BUF, buf,
		      (int)(in->fd_flags & O_ACCMODE), file->uid, &out.token);
	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, &out, sizeof(out));
}

static void heap_ioctl(struct dev_req *req)
{
	if (req->cmd == DMABUFD_HEAP_IOC_ALLOC)
		return heap_alloc_ioctl(req);
	dev_req_fail(req, _IOC_NR(req->cmd) == 0 ? -EOPNOTSUPP : -EINVAL);
}

const struct dev_node_ops heap_node_ops = {
	.type = DEV_NODE_HEAP,
	.ioctl = heap_ioctl,
};
