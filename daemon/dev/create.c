/* SPDX-License-Identifier: MIT */
/*
 * DMABUFD_IOC_CREATE (proto/dmabufd/common.h): make an object straight
 * into a fresh dma-buf or sync_file fd, from the handles of its sources
 * (handle.h). What it makes is what the token-issuing ioctl of the same
 * kernel call makes (heap_node.c ALLOC, sw_sync_node.c CREATE_FENCE,
 * sync_file_node.c MERGE, dma_buf_node.c EXPORT_SYNC_FILE,
 * dmaengine_node_status.c FENCE), bound to the file like a CLAIM, with the
 * file's handle for the caller in the reply. Sources are handles only,
 * never tokens, so a refused CREATE has used nothing up.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <dmabufd/common.h>

#include "dmaengine_node.h"
#include "handle.h"
#include "model/heap.h"
#include "model/sync_file.h"
#include "model/timeline.h"
#include "node_ops.h"

/*
 * The file that @value names for @uid as the call's own fd (the fd the
 * kernel's ioctl would be made on), in *ret: -EBADF if it names nothing
 * (the kernel's answer for a closed fd), -ENOTTY for an open of another
 * node (another driver's fd knows no such ioctl), -EBADFD for a dma-buf
 * or sync_file file not bound yet.
 */
static int self_source(uint64_t value, uid_t uid, enum dev_node_type type,
		       struct dev_file **ret)
{
	struct dev_file *file = handle_file(value, uid);

	if (!file)
		return -EBADF;
	if (file->node->type != type)
		return -ENOTTY;
	if ((type == DEV_NODE_DMA_BUF && !file->dma_buf) ||
	    (type == DEV_NODE_SYNC_FILE && !file->sync_file))
		return -EBADFD;
	*ret = file;
	return 0;
}

static int create_alloc(struct dev_file *file, const struct dmabufd_create *in,
			uid_t uid)
{
	struct dev_file *heap;
	int r;

	if (in->src[1])
		return -EINVAL;
	r = self_source(in->src[0], uid, DEV_NODE_HEAP, &heap);
	if (r < 0)
		return r;
	/* heap_alloc() checks the length and the heap flags as the
	 * kernel's ALLOC; the access mode is the fresh fd's own. */
	return heap_alloc(heap->node->heap, file->acct, in->arg,
			  (uint32_t)file->mode, in->flags, &file->dma_buf);
}

static int create_fence(struct dev_file *file, const struct dmabufd_create *in,
			uid_t uid)
{
	_cleanup_(fence_unrefp) struct fence *fence = NULL;
	struct dev_file *tl;
	int r;

	/* The name is ignored, as by the kernel's CREATE_FENCE. */
	if (in->src[1] || in->flags || in->arg > UINT32_MAX)
		return -EINVAL;
	r = self_source(in->src[0], uid, DEV_NODE_SW_SYNC, &tl);
	if (r < 0)
		return r;
	r = timeline_create_fence(tl->timeline, (uint32_t)in->arg, &fence);
	if (r < 0)
		return r;
	return dev_file_bind_fence(file, fence);
}

static int create_merge(struct dev_file *file, const struct dmabufd_create *in,
			uid_t uid)
{
	struct dev_file *a, *b = handle_file(in->src[1], uid);
	char name[SYNC_FILE_NAME_LEN];
	int r;

	if (in->flags || in->arg)
		return -EINVAL;
	r = self_source(in->src[0], uid, DEV_NODE_SYNC_FILE, &a);
	if (r < 0)
		return r;
	/* The kernel's answer for an fd2 that is no sync_file. */
	if (!b || !b->sync_file)
		return -ENOENT;
	_Static_assert(sizeof(name) <= sizeof(in->name), "merge name");
	memcpy(name, in->name, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	r = sync_file_merge(name, a->sync_file, b->sync_file, &file->sync_file);
	if (r < 0)
		return r;
	/* A new container is the merger's; a fence it passes on keeps its
	 * owner. */
	if (sync_file_fence(file->sync_file)->owner == ACCT_NO_OWNER)
		sync_file_fence(file->sync_file)->owner = file->uid;
	return 0;
}

static int create_export(struct dev_file *file, const struct dmabufd_create *in,
			 uid_t uid)
{
	_cleanup_(fence_unrefp) struct fence *fence = NULL;
	struct dev_file *buf;
	int r;

	if (in->src[1] || in->arg)
		return -EINVAL;
	r = self_source(in->src[0], uid, DEV_NODE_DMA_BUF, &buf);
	if (r < 0)
		return r;
	r = dma_buf_node_export_fence(buf->dma_buf, in->flags, &fence);
	if (r < 0)
		return r;
	return dev_file_bind_fence(file, fence);
}

static int create_dma_fence(struct dev_file *file,
			    const struct dmabufd_create *in, uid_t uid)
{
	_cleanup_(fence_unrefp) struct fence *fence = NULL;
	struct dev_file *chan;
	int r;

	if (in->src[1] || in->flags || in->arg > INT32_MAX)
		return -EINVAL;
	r = self_source(in->src[0], uid, DEV_NODE_DMAENGINE, &chan);
	if (r < 0)
		return r;
	r = dmaengine_node_cookie_fence(chan, (int32_t)in->arg, &fence);
	if (r < 0)
		return r;
	return dev_file_bind_fence(file, fence);
}

void dev_create_ioctl(struct dev_req *req)
{
	const struct dmabufd_create *in = dev_req_input(req, sizeof(*in));
	struct dev_file *file = req->file;
	bool buf_node = file->node->type == DEV_NODE_DMA_BUF;
	struct dmabufd_create out;
	int r;

	if (!in || in->handle)
		return dev_req_fail(req, -EINVAL);
	if (in->op != DMABUFD_CREATE_FENCE && in->op != DMABUFD_CREATE_MERGE &&
	    !dev_all_zero(in->name, sizeof(in->name)))
		return dev_req_fail(req, -EINVAL);
	if ((in->op == DMABUFD_CREATE_ALLOC) != buf_node)
		return dev_req_fail(req, -EINVAL);
	if (file->dma_buf || file->sync_file)
		return dev_req_fail(req, -EBUSY);
	switch (in->op) {
	case DMABUFD_CREATE_ALLOC:
		r = create_alloc(file, in, req->caller_uid);
		break;
	case DMABUFD_CREATE_FENCE:
		r = create_fence(file, in, req->caller_uid);
		break;
	case DMABUFD_CREATE_MERGE:
		r = create_merge(file, in, req->caller_uid);
		break;
	case DMABUFD_CREATE_EXPORT:
		r = create_export(file, in, req->caller_uid);
		break;
	case DMABUFD_CREATE_DMA_FENCE:
		r = create_dma_fence(file, in, req->caller_uid);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		return dev_req_fail(req, r);
	out = *in;
	r = handle_get(file, req->caller_uid, &out.handle);
	if (r < 0) {
		/* Nothing half-made: the fd stays fresh. */
		file->dma_buf = dma_buf_unref(file->dma_buf);
		file->sync_file = sync_file_unref(file->sync_file);
		return dev_req_fail(req, r);
	}
	dev_file_note_bound(file);
	if (file->sync_file)
		dev_file_note_producer(file, sync_file_fence(file->sync_file));
	dev_req_reply(req, 0, &out, sizeof(out));
}
