/* SPDX-License-Identifier: MIT */
/*
 * A dmaengine fd's attachments (ATTACH, DETACH): a dma-buf given as a
 * token or handle, attached to the fd's channel and mapped once
 * (dma_xfer_attach()), known by an id the fd hands out (never 0), with
 * the access mode the token granted, which PREP checks. An attachment a
 * transfer not yet ended uses cannot be detached (EBUSY); one freed after
 * a TERMINATE not yet followed by a SYNCHRONIZE synchronizes the channel
 * first, as the kernel asks of terminate_async's callers.
 *
 * Threading: loop thread only.
 */
#include "dmaengine_node_internal.h"

#include <errno.h>
#include <stdlib.h>

#include "handle.h"

/* ---- attachments ------------------------------------------------------- */

struct dma_node_att *dma_node_att_find(struct dmaengine_file *df, uint32_t id)
{
	struct dma_node_att *a;

	LIST_FOREACH(a, &df->atts, link)
		if (a->id == id)
			return a;
	return NULL;
}

void dma_node_att_free(struct dmaengine_file *df, struct dma_node_att *a)
{
	/* The kernel's rule for terminate_async: synchronize before freeing
	 * memory a terminated transfer used; a controller may still be
	 * copying into this attachment's mapping. */
	if (df->unsynced) {
		dmaengine_synchronize(df->chan);
		df->unsynced = false;
	}
	LIST_REMOVE(a, link);
	df->num_atts--;
	dma_xfer_att_unref(a->att);
	free(a);
}

/* ---- ATTACH, DETACH ---------------------------------------------------- */

void dma_node_attach_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_attach *in = dev_req_input(req, sizeof(*in));
	struct dmaengine_file *df = req->file->dmaengine;
	_cleanup_(dma_buf_unrefp) struct dma_buf *buf = NULL;
	struct dmabufd_dma_attach out = { 0 };
	struct dma_node_att *a;
	int mode, r;

	if (!in || in->pad)
		return dev_req_fail(req, -EINVAL);
	if (df->num_atts >= DMABUFD_DMA_MAX_ATTACH)
		return dev_req_fail(req, -ENOSPC);
	a = calloc(1, sizeof(*a));
	if (!a)
		return dev_req_fail(req, -ENOMEM);
	r = dev_arg_dma_buf(in->token, TOKEN_DMA_BUF, req->caller_uid, &buf,
			    &mode, NULL);
	if (r < 0) {
		free(a);
		return dev_req_fail(req, r);
	}
	r = dma_xfer_attach(df->chan, buf, &a->att);
	if (r < 0) {
		free(a);
		return dev_req_fail(req, r);
	}
	do
		a->id = df->next_att_id++;
	while (a->id == 0 || dma_node_att_find(df, a->id));
	a->mode = mode;
	LIST_INSERT_HEAD(&df->atts, a, link);
	df->num_atts++;
	out.token = in->token;
	out.attach_id = a->id;
	out.size = buf->size;
	dev_req_reply(req, 0, &out, sizeof(out));
}

void dma_node_detach_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_attach *in = dev_req_input(req, sizeof(*in));
	struct dmaengine_file *df = req->file->dmaengine;
	struct dma_node_att *a;

	if (!in || in->token || in->pad || in->size)
		return dev_req_fail(req, -EINVAL);
	a = dma_node_att_find(df, in->attach_id);
	if (!a)
		return dev_req_fail(req, -EINVAL);
	if (a->users)
		return dev_req_fail(req, -EBUSY);
	dma_node_att_free(df, a);
	dev_req_reply(req, 0, NULL, 0);
}
