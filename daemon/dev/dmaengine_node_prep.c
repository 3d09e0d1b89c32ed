/* SPDX-License-Identifier: MIT */
/*
 * PREP, SUBMIT and ISSUE_PENDING on a dmaengine fd. PREP checks every
 * field of the request (segments against their attachments' bounds and
 * access modes, the channel's caps, the fd's limit of live transfers)
 * before it makes anything, then makes one engine transfer per segment
 * (scatter-gather at the ABI, one range per engine transfer) and the
 * record, all or nothing; with PREP_SUBMIT and PREP_ISSUE it goes on as
 * SUBMIT and ISSUE_PENDING would, and a PREP whose issue fails takes its
 * transfer back whole (the cookie with it).
 *
 * Threading: loop thread only.
 */
#include "dmaengine_node_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

/* ---- PREP, SUBMIT, ISSUE_PENDING --------------------------------------- */

/* What PREP asks for, resolved: one engine transfer per segment. */
struct prep_piece {
	struct dma_node_att *dst, *src; /* the one written, the one read */
	uint64_t dst_off, src_off, len;
};

struct prep_args {
	unsigned n;
	uint64_t len;
	struct prep_piece piece[DMABUFD_DMA_MAX_SG];
};

/* Resolve @seg to an attachment, checking its bounds. */
static int seg_resolve(struct dmaengine_file *df,
		       const struct dmabufd_dma_seg *seg,
		       struct dma_node_att **ret_att)
{
	struct dma_node_att *a;
	uint64_t size;

	if (seg->pad)
		return -EINVAL;
	a = dma_node_att_find(df, seg->attach_id);
	if (!a)
		return -EINVAL;
	size = dma_xfer_att_buf(a->att)->size;
	if (seg->len == 0 || seg->len > DMA_NODE_MAX_LEN ||
	    seg->offset > size || seg->len > size - seg->offset)
		return -EINVAL;
	*ret_att = a;
	return 0;
}

static enum dma_transaction_type cap_of(uint32_t type)
{
	return type == DMABUFD_DMA_MEMCPY ? DMA_MEMCPY
	       : type == DMABUFD_DMA_SLAVE ? DMA_SLAVE
					   : DMA_CYCLIC;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* A MEMCPY: @src split over the destination segments, in order. */
static int prep_memcpy_pieces(struct dmaengine_file *df,
			      const struct dmabufd_dma_prep *in,
			      struct prep_args *a)
{
	struct dma_node_att *src;
	uint64_t off = in->src.offset;
	int r;

	r = seg_resolve(df, &in->src, &src);
	if (r < 0)
		return r;
	if (in->period_len || in->src.len != a->len)
		return -EINVAL;
	for (unsigned i = 0; i < a->n; i++) {
		struct prep_piece *p = &a->piece[i];

		p->src = src;
		p->src_off = off;
		off += p->len;
		if (p->dst->att == src->att &&
		    ranges_overlap(p->dst_off, p->len, p->src_off, p->len))
			return -EINVAL;
	}
	return 0;
}

static int prep_check(struct dmaengine_file *df,
		      const struct dmabufd_dma_prep *in, struct prep_args *a)
{
	const uint32_t valid_flags = DMABUFD_DMA_PREP_INTERRUPT |
				     DMABUFD_DMA_CTRL_ACK |
				     DMABUFD_DMA_PREP_SUBMIT |
				     DMABUFD_DMA_PREP_ISSUE;
	bool memcpy_ = in->type == DMABUFD_DMA_MEMCPY;
	bool to_mem = memcpy_ || in->direction == DMABUFD_DMA_DEV_TO_MEM;
	int r;

	if (in->pad || in->pad2 || (in->flags & ~valid_flags) ||
	    ((in->flags & DMABUFD_DMA_PREP_ISSUE) &&
	     !(in->flags & DMABUFD_DMA_PREP_SUBMIT)))
		return -EINVAL;
	if (in->type != DMABUFD_DMA_MEMCPY && in->type != DMABUFD_DMA_SLAVE &&
	    in->type != DMABUFD_DMA_CYCLIC)
		return -EINVAL;
	if (memcpy_ ? in->direction != DMABUFD_DMA_MEM_TO_MEM
		    : in->direction != DMABUFD_DMA_MEM_TO_DEV &&
			      in->direction != DMABUFD_DMA_DEV_TO_MEM)
		return -EINVAL;
	/* A cyclic transfer is one ring. */
	if (in->nsegs < 1 || in->nsegs > DMABUFD_DMA_MAX_SG ||
	    (in->type == DMABUFD_DMA_CYCLIC && in->nsegs != 1) ||
	    !dev_all_zero(&in->segs[in->nsegs],
			  (DMABUFD_DMA_MAX_SG - in->nsegs) * sizeof(in->segs[0])))
		return -EINVAL;
	*a = (struct prep_args){ .n = in->nsegs };
	for (unsigned i = 0; i < a->n; i++) {
		struct prep_piece *p = &a->piece[i];
		struct dma_node_att *mem;

		r = seg_resolve(df, &in->segs[i], &mem);
		if (r < 0)
			return r;
		p->len = in->segs[i].len;
		if (to_mem) {
			p->dst = mem;
			p->dst_off = in->segs[i].offset;
		} else {
			p->src = mem;
			p->src_off = in->segs[i].offset;
		}
		a->len += p->len;
	}
	if (a->len > DMA_NODE_MAX_LEN)
		return -EINVAL;
	if (memcpy_) {
		r = prep_memcpy_pieces(df, in, a);
		if (r < 0)
			return r;
	} else if (!dev_all_zero(&in->src, sizeof(in->src)) ||
		   (in->type == DMABUFD_DMA_CYCLIC
			    ? !in->period_len || a->len % in->period_len
			    : in->period_len != 0)) {
		return -EINVAL;
	}
	for (unsigned i = 0; i < a->n; i++)
		if ((a->piece[i].dst && (a->piece[i].dst->mode == O_RDONLY ||
					 a->piece[i].dst->mode == O_ACCMODE)) ||
		    (a->piece[i].src && (a->piece[i].src->mode == O_WRONLY ||
					 a->piece[i].src->mode == O_ACCMODE)))
			return -EACCES;
	if (!dma_has_cap(cap_of(in->type), df->chan->device->cap_mask))
		return -EOPNOTSUPP;
	if (df->num_live >= DMABUFD_DMA_MAX_PENDING)
		return -ENOSPC;
	return 0;
}

/* The engine transfer of one piece. */
static int piece_make(const struct dmabufd_dma_prep *in,
		      const struct prep_piece *p, struct dma_xfer **ret_xfer)
{
	/* The completion is what the fences and the events stand on. */
	const unsigned long flags = DMA_PREP_INTERRUPT | DMA_CTRL_ACK;
	enum dma_transfer_direction dir = (enum dma_transfer_direction)in->direction;

	switch (in->type) {
	case DMABUFD_DMA_MEMCPY:
		return dma_xfer_memcpy(p->dst->att, p->dst_off, p->src->att,
				       p->src_off, p->len, flags, ret_xfer);
	case DMABUFD_DMA_SLAVE:
		return p->dst ? dma_xfer_slave(p->dst->att, p->dst_off, p->len,
					       dir, flags, ret_xfer)
			      : dma_xfer_slave(p->src->att, p->src_off, p->len,
					       dir, flags, ret_xfer);
	}
	return p->dst ? dma_xfer_cyclic(p->dst->att, p->dst_off, p->len,
					in->period_len, dir, flags, ret_xfer)
		      : dma_xfer_cyclic(p->src->att, p->src_off, p->len,
					in->period_len, dir, flags, ret_xfer);
}

/* Make the engine transfers and the record (prepared); all or nothing. */
static int prep_make(struct dmaengine_file *df,
		     const struct dmabufd_dma_prep *in,
		     const struct prep_args *a, struct dma_node_xfer **ret_x)
{
	struct dma_node_xfer *x;
	int r;

	x = calloc(1, sizeof(*x) + a->n * sizeof(x->piece[0]));
	if (!x)
		return -ENOMEM;
	x->df = df;
	x->npieces = a->n;
	for (unsigned i = 0; i < a->n; i++) {
		x->piece[i].x = x;
		r = piece_make(in, &a->piece[i], &x->piece[i].xfer);
		if (r < 0) {
			/* Back to the pool with what was made. */
			dma_node_xfer_free(x);
			return r;
		}
		x->piece[i].dst = a->piece[i].dst;
		x->piece[i].src = a->piece[i].src;
		if (x->piece[i].dst)
			x->piece[i].dst->users++;
		if (x->piece[i].src)
			x->piece[i].src->users++;
	}
	if (in->type == DMABUFD_DMA_CYCLIC &&
	    (in->flags & DMABUFD_DMA_PREP_INTERRUPT))
		dma_xfer_set_period_cb(x->piece[0].xfer, dma_node_xfer_period_fired, x);
	x->state = XFER_PREPARED;
	x->type = in->type;
	x->direction = in->direction;
	x->flags = in->flags;
	x->len = a->len;
	do
		x->desc_id = df->next_desc_id++;
	while (x->desc_id == 0);
	x->seq = ++df->last_xfer_seq;
	TAILQ_INSERT_TAIL(&df->prepared, x, link);
	df->num_live++;
	*ret_x = x;
	return 0;
}

void dma_node_prep_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_prep *in = dev_req_input(req, sizeof(*in));
	struct dmaengine_file *df = req->file->dmaengine;
	_cleanup_free_ struct dmabufd_dma_prep *out = NULL;
	dma_cookie_t old_cookie = df->cookie;
	bool old_wrapped = df->wrapped;
	struct dma_node_xfer *x;
	struct prep_args a;
	int r;

	if (!in)
		return dev_req_fail(req, -EINVAL);
	r = prep_check(df, in, &a);
	if (r < 0)
		return dev_req_fail(req, r);
	out = malloc(sizeof(*out));
	if (!out)
		return dev_req_fail(req, -ENOMEM);
	r = prep_make(df, in, &a, &x);
	if (r < 0)
		return dev_req_fail(req, r);
	*out = *in;
	out->desc_id = x->desc_id;
	out->cookie = 0;
	if (in->flags & DMABUFD_DMA_PREP_SUBMIT) {
		r = dma_node_xfer_submit(x);
		if (r < 0) {
			TAILQ_REMOVE(&df->prepared, x, link);
			df->num_live--;
			dma_node_xfer_free(x);
			return dev_req_fail(req, r);
		}
		out->desc_id = 0;
		out->cookie = x->cookie;
	}
	if (in->flags & DMABUFD_DMA_PREP_ISSUE) {
		r = dma_node_issue_pending(df);
		if (r < 0 && x->state == XFER_SUBMITTED) {
			/* Take it back whole: it is the newest cookie. */
			TAILQ_REMOVE(&df->submitted, x, link);
			df->num_live--;
			dma_node_xfer_free(x);
			df->cookie = old_cookie;
			df->wrapped = old_wrapped;
			dma_node_update_completed(df);
		}
		if (r < 0)
			return dev_req_fail(req, r);
	}
	dev_req_reply(req, 0, out, sizeof(*out));
}

void dma_node_submit_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_submit *in = dev_req_input(req, sizeof(*in));
	struct dmaengine_file *df = req->file->dmaengine;
	struct dmabufd_dma_submit out;
	struct dma_node_xfer *x;
	int r;

	if (!in)
		return dev_req_fail(req, -EINVAL);
	TAILQ_FOREACH(x, &df->prepared, link)
		if (x->desc_id == in->desc_id)
			break;
	if (!x || in->desc_id == 0)
		return dev_req_fail(req, -EINVAL);
	r = dma_node_xfer_submit(x);
	if (r < 0)
		return dev_req_fail(req, r);
	out = (struct dmabufd_dma_submit){ .desc_id = in->desc_id,
					   .cookie = x->cookie };
	dev_req_reply(req, 0, &out, sizeof(out));
}

void dma_node_issue_pending_ioctl(struct dev_req *req)
{
	int r = dma_node_issue_pending(req->file->dmaengine);

	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, NULL, 0);
}
