/* SPDX-License-Identifier: MIT */
/*
 * Transfers on dma-buf memory (dma_xfer.h): attachments per channel, the
 * per-channel queue that starts transfers in order once their implicit
 * fences have signaled, and the completion fences.
 *
 * A transfer is PREPARED (arguments checked, no fence), then WAITING
 * (fence published, on chan->xfer_queue), RUNNING (submitted to the
 * engine, on chan->xfer_running), and DONE (fence signaled, off every
 * list). Aborts move WAITING transfers to chan->xfer_aborting first.
 *
 * Descriptors. A transfer holds an engine descriptor only while RUNNING:
 * the prep functions keep what the engine's prep call needs (kind, scatter
 * lists, flags) and check it by preparing a descriptor and giving it back
 * at once; xfer_pump() prepares the real one just before submitting it.
 * So a terminate, the watchdog or device removal, which take back every
 * descriptor prepared on the channel, never leave a waiting transfer with
 * a dangling one. A transfer whose fences are met while the channel's pool
 * is empty (-EBUSY) stays at the head of the queue until a running
 * transfer gives its descriptor back (chan->xfer_pump, a completion-queue
 * entry run after the engine's callbacks); with none running it fails.
 *
 * A transfer's descriptor calls back into it (xfer_tx_done) only while it
 * is RUNNING: xfer_finish() unhooks the descriptor, since a terminated one
 * may still call back until the channel is synchronized, by which time
 * the transfer may be gone.
 *
 * Loop thread only.
 */
#include "dma_xfer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "model/fence_wait.h"
#include "model/objstat.h"
#include "model/resv.h"
#include "util/log.h"

struct dma_xfer_att {
	unsigned refcount;
	struct dma_chan *chan;
	struct dma_device *dev;
	struct dma_buf *buf;
	struct dma_buf_attachment *att;
	struct dma_buf_sgt *sgt;
	uint64_t size; /* bytes the mapping covers */
	TAILQ_ENTRY(dma_xfer_att) node;
};

enum xfer_state { XFER_PREPARED, XFER_WAITING, XFER_RUNNING, XFER_DONE };
enum xfer_list { XL_NONE, XL_QUEUE, XL_RUNNING, XL_ABORTING };
enum xfer_kind { XK_MEMCPY, XK_MEMCPY_SG, XK_SLAVE, XK_CYCLIC };

struct xfer_fence {
	struct fence base;
	char timeline[DMA_CHAN_NAME_LEN];
};

struct dma_xfer {
	unsigned refcount;
	struct dma_chan *chan;
	enum xfer_state state;
	enum xfer_list list;
	struct dma_xfer_att *dst; /* written, or NULL */
	struct dma_xfer_att *src; /* read, or NULL */
	uint64_t len;
	bool cyclic;
	bool fences_met;
	/* The engine prep call, made when the transfer starts. */
	enum xfer_kind kind;
	enum dma_transfer_direction dir;
	unsigned long flags;
	uint64_t period_len;
	dma_sg_t *dsg, *ssg; /* XK_SLAVE, XK_CYCLIC: the buffer's in dsg */
	unsigned dn, sn;
	struct dma_async_tx_descriptor *tx; /* the engine's, while RUNNING */
	dma_cookie_t cookie;
	struct fence *fence;
	struct fence_wait wait;
	uint64_t periods;
	dma_xfer_period_fn period_fn;
	void *period_data;
	TAILQ_ENTRY(dma_xfer) node;
};

/* ------------------------------------------------------------------ */
/* Attachments */

int dma_xfer_attach(struct dma_chan *chan, struct dma_buf *buf,
		    struct dma_xfer_att **ret_att)
{
	struct dma_xfer_att *a;
	int r;

	if (!chan || !chan->device || !buf || !ret_att)
		return -EINVAL;
	if (chan->device->dead)
		return -ENODEV;
	if (!chan->client_count)
		return -EPERM;
	TAILQ_FOREACH(a, &chan->attachments, node) {
		if (a->buf == buf) {
			*ret_att = dma_xfer_att_ref(a);
			return 0;
		}
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	r = dma_buf_attach(buf, a, &a->att);
	if (r < 0)
		goto fail;
	/* The device that does the DMA, as a kernel importer attaches with
	 * dmaengine_get_dma_device(chan). */
	snprintf(a->att->dev_name, sizeof(a->att->dev_name), "%s",
		 chan->device->name);
	r = resv_lock(&buf->resv);
	if (r < 0)
		goto fail_detach;
	r = dma_buf_map_attachment(a->att, DMA_BIDIRECTIONAL, &a->sgt);
	resv_unlock(&buf->resv);
	if (r < 0)
		goto fail_detach;
	for (unsigned i = 0; i < a->sgt->nents; i++)
		a->size += a->sgt->ents[i].length;
	if (a->size > buf->size)
		a->size = buf->size;
	a->refcount = 1;
	a->chan = chan;
	a->dev = chan->device;
	a->buf = dma_buf_ref(buf);
	dma_device_get(a->dev);
	TAILQ_INSERT_TAIL(&chan->attachments, a, node);
	objstat_inc(OBJ_DMA_ATT);
	*ret_att = a;
	return 0;

fail_detach:
	dma_buf_detach(a->att);
fail:
	free(a);
	return r;
}

struct dma_xfer_att *dma_xfer_att_ref(struct dma_xfer_att *att)
{
	if (att)
		att->refcount++;
	return att;
}

struct dma_xfer_att *dma_xfer_att_unref(struct dma_xfer_att *att)
{
	struct dma_buf *buf;

	if (!att || --att->refcount > 0)
		return NULL;
	buf = att->buf;
	TAILQ_REMOVE(&att->chan->attachments, att, node);
	if (resv_lock(&buf->resv) == 0) {
		dma_buf_unmap_attachment(att->att, att->sgt, DMA_BIDIRECTIONAL);
		resv_unlock(&buf->resv);
	} else {
		log_err("dma: detaching buffer %llu with its resv locked",
			(unsigned long long)buf->id);
	}
	dma_buf_detach(att->att);
	dma_buf_unref(buf);
	dma_device_put(att->dev);
	objstat_dec(OBJ_DMA_ATT);
	free(att);
	return NULL;
}

int dma_xfer_att_addr(const struct dma_xfer_att *att, uint64_t off,
		      dma_addr_t *ret_addr, uint64_t *ret_contig)
{
	if (!att || !ret_addr || off >= att->size)
		return -EINVAL;
	for (unsigned i = 0; i < att->sgt->nents; i++) {
		const struct dma_buf_sg_entry *e = &att->sgt->ents[i];

		if (off < e->length) {
			*ret_addr = e->dma_addr + off;
			if (ret_contig)
				*ret_contig = e->length - off;
			return 0;
		}
		off -= e->length;
	}
	return -EINVAL;
}

uint64_t dma_xfer_att_size(const struct dma_xfer_att *att)
{
	return att ? att->size : 0;
}

struct dma_buf *dma_xfer_att_buf(const struct dma_xfer_att *att)
{
	return att ? att->buf : NULL;
}

struct dma_chan *dma_xfer_att_chan(const struct dma_xfer_att *att)
{
	return att ? att->chan : NULL;
}

/* The scatter list of [off, off + len) of @att. */
static int att_range(const struct dma_xfer_att *att, uint64_t off, uint64_t len,
		     dma_sg_t **ret_sg, unsigned *ret_n)
{
	dma_sg_t *sg;
	unsigned n = 0;
	uint64_t pos = 0, end;

	if (len == 0 || off > att->size || len > att->size - off)
		return -EINVAL;
	end = off + len;
	sg = calloc(att->sgt->nents, sizeof(*sg));
	if (!sg)
		return -ENOMEM;
	for (unsigned i = 0; i < att->sgt->nents && pos < end; i++) {
		const struct dma_buf_sg_entry *e = &att->sgt->ents[i];
		uint64_t s = pos, t = pos + e->length;

		pos = t;
		if (t <= off || s >= end)
			continue;
		uint64_t from = off > s ? off - s : 0;
		uint64_t to = (end < t ? end : t) - s;

		sg[n].dma_addr = e->dma_addr + from;
		sg[n].length = to - from;
		sg[n].cpu_addr = e->cpu_addr ? (char *)e->cpu_addr + from : NULL;
		n++;
	}
	*ret_sg = sg;
	*ret_n = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Fences */

static const char *xfer_fence_driver(struct fence *f)
{
	return DMA_XFER_DRIVER_NAME;
}

static const char *xfer_fence_timeline(struct fence *f)
{
	return container_of(f, struct xfer_fence, base)->timeline;
}

static const struct fence_ops xfer_fence_ops = {
	.get_driver_name = xfer_fence_driver,
	.get_timeline_name = xfer_fence_timeline,
};

static struct fence *xfer_fence_new(struct dma_chan *chan)
{
	struct xfer_fence *xf = calloc(1, sizeof(*xf));

	if (!xf)
		return NULL;
	if (!chan->fence_context)
		chan->fence_context = fence_context_alloc(1);
	snprintf(xf->timeline, sizeof(xf->timeline), "%s", chan->name);
	fence_init(&xf->base, &xfer_fence_ops, chan->fence_context,
		   ++chan->fence_seqno);
	return &xf->base;
}

/* ------------------------------------------------------------------ */
/* Transfers */

static void xfer_list_del(struct dma_xfer *x)
{
	struct dma_chan *chan = x->chan;

	switch (x->list) {
	case XL_QUEUE: TAILQ_REMOVE(&chan->xfer_queue, x, node); break;
	case XL_RUNNING: TAILQ_REMOVE(&chan->xfer_running, x, node); break;
	case XL_ABORTING: TAILQ_REMOVE(&chan->xfer_aborting, x, node); break;
	case XL_NONE: break;
	}
	x->list = XL_NONE;
}

static void xfer_release_buffers(struct dma_xfer *x)
{
	x->dst = dma_xfer_att_unref(x->dst);
	x->src = dma_xfer_att_unref(x->src);
}

/* End @x with @err (0: success): signal, drop the channel's reference. */
static void xfer_finish(struct dma_xfer *x, int err)
{
	if (x->state == XFER_DONE)
		return;
	xfer_list_del(x);
	fence_wait_cancel(&x->wait);
	x->state = XFER_DONE;
	/* A terminated descriptor may call back until the channel is
	 * synchronized (a cyclic period already counted, say), and @x may be
	 * freed before that: its callbacks must not reach @x any more. A
	 * descriptor given back and reused already is another's. */
	if (x->tx && x->tx->callback_param == x) {
		x->tx->callback_result = NULL;
		x->tx->callback = NULL;
		x->tx->callback_param = NULL;
	}
	x->tx = NULL;
	if (err < 0)
		fence_set_error(x->fence, err);
	xfer_release_buffers(x);
	fence_signal(x->fence);
	dma_xfer_unref(x); /* the channel's */
}

/* A descriptor will come back (after the engine's callbacks): retry the
 * head if it is ready. */
static void xfer_pump_later(struct dma_chan *chan)
{
	struct dma_xfer *x = TAILQ_FIRST(&chan->xfer_queue);

	if (x && x->fences_met)
		dma_cq_post(&chan->xfer_pump);
}

static int result_errno(enum dmaengine_tx_result r)
{
	switch (r) {
	case DMA_TRANS_NOERROR: return 0;
	case DMA_TRANS_READ_FAILED:
	case DMA_TRANS_WRITE_FAILED: return -EIO;
	default: return -ECANCELED;
	}
}

static void xfer_tx_done(void *param, const struct dmaengine_result *result)
{
	struct dma_xfer *x = param;
	struct dma_chan *chan;

	if (x->state != XFER_RUNNING)
		return;
	if (x->cyclic && result->result == DMA_TRANS_NOERROR) {
		x->periods++;
		if (x->period_fn)
			x->period_fn(x, x->period_data);
		return;
	}
	chan = x->chan; /* @x may go with its fence */
	xfer_finish(x, result_errno(result->result));
	xfer_pump_later(chan);
}

/* The engine's prep call for @x: 0 and *ret_tx, or its error. */
static int xfer_prep_tx(struct dma_xfer *x, struct dma_async_tx_descriptor **ret_tx)
{
	struct dma_chan *chan = x->chan;

	switch (x->kind) {
	case XK_MEMCPY:
		return dmaengine_prep_dma_memcpy(chan, x->dsg[0].dma_addr,
						 x->ssg[0].dma_addr, x->len,
						 x->flags, ret_tx);
	case XK_MEMCPY_SG:
		return dmaengine_prep_dma_memcpy_sg(chan, x->dsg, x->dn, x->ssg,
						    x->sn, x->flags, ret_tx);
	case XK_SLAVE:
		return dmaengine_prep_slave_sg(chan, x->dsg, x->dn, x->dir,
					       x->flags, ret_tx);
	default: /* XK_CYCLIC */
		return dmaengine_prep_dma_cyclic(chan, x->dsg[0].dma_addr, x->len,
						 x->period_len, x->dir, x->flags,
						 ret_tx);
	}
}

/* Start the transfers at the head of @chan's queue whose fences are met,
 * in order. */
static void xfer_pump(struct dma_chan *chan)
{
	struct dma_xfer *x;
	bool issue = false;
	int r;

	while ((x = TAILQ_FIRST(&chan->xfer_queue)) && x->fences_met) {
		dma_cookie_t cookie;

		r = xfer_prep_tx(x, &x->tx);
		if (r == -EBUSY && !TAILQ_EMPTY(&chan->xfer_running))
			break; /* xfer_pump_fired() retries */
		xfer_list_del(x);
		if (r < 0) {
			x->tx = NULL;
			xfer_finish(x, r);
			continue;
		}
		x->tx->callback_result = xfer_tx_done;
		x->tx->callback_param = x;
		cookie = dmaengine_submit(x->tx);
		if (cookie < 0) {
			if (cookie != -ENODEV && cookie != -EPERM)
				dmaengine_desc_free(x->tx);
			x->tx = NULL;
			xfer_finish(x, cookie);
			continue;
		}
		x->cookie = cookie;
		x->state = XFER_RUNNING;
		x->list = XL_RUNNING;
		TAILQ_INSERT_TAIL(&chan->xfer_running, x, node);
		issue = true;
	}
	if (issue)
		dma_async_issue_pending(chan);
}

static void xfer_pump_fired(struct dma_cq_entry *entry)
{
	xfer_pump(container_of(entry, struct dma_chan, xfer_pump));
}

static void xfer_wait_done(struct fence_wait *wait, int64_t result)
{
	struct dma_xfer *x = container_of(wait, struct dma_xfer, wait);

	x->fences_met = true;
	xfer_pump(x->chan);
}

static void xfer_free(struct dma_xfer *x)
{
	free(x->dsg);
	free(x->ssg);
	xfer_release_buffers(x);
	fence_unref(x->fence);
	objstat_dec(OBJ_DMA_XFER);
	free(x);
}

/*
 * A new PREPARED transfer of @len bytes from @proto (kind, direction,
 * flags, period and the scatter lists, which it takes over). The engine's
 * prep call is made once and its descriptor given back at once, so that
 * the transfer is refused now for what the engine would refuse later.
 * Returns 0 and *ret, or -ENOMEM or the prep error (the lists are freed).
 */
static int xfer_new(struct dma_chan *chan, const struct dma_xfer *proto,
		    uint64_t len, struct dma_xfer **ret)
{
	struct dma_async_tx_descriptor *tx = NULL;
	struct dma_xfer *x;
	int r;

	x = calloc(1, sizeof(*x));
	if (!x) {
		free(proto->dsg);
		free(proto->ssg);
		return -ENOMEM;
	}
	*x = *proto;
	x->refcount = 1;
	x->chan = chan;
	x->state = XFER_PREPARED;
	x->len = len;
	x->flags |= DMA_PREP_INTERRUPT;
	objstat_inc(OBJ_DMA_XFER);
	r = xfer_prep_tx(x, &tx);
	if (r < 0) {
		xfer_free(x);
		return r;
	}
	dmaengine_desc_free(tx);
	*ret = x;
	return 0;
}

static int chan_check(struct dma_chan *chan)
{
	if (chan->device->dead)
		return -ENODEV;
	if (!chan->client_count)
		return -EPERM;
	return 0;
}

int dma_xfer_memcpy(struct dma_xfer_att *dst, uint64_t dst_off,
		    struct dma_xfer_att *src, uint64_t src_off, uint64_t len,
		    unsigned long flags, struct dma_xfer **ret_xfer)
{
	struct dma_xfer p = { .dir = DMA_MEM_TO_MEM, .flags = flags };
	struct dma_chan *chan;
	struct dma_xfer *x;
	int r;

	if (!dst || !src || !ret_xfer || dst->chan != src->chan ||
	    (flags & ~DMA_PREP_VALID_FLAGS))
		return -EINVAL;
	chan = dst->chan;
	if ((r = chan_check(chan)) < 0)
		return r;
	if (!dma_has_cap(DMA_MEMCPY, chan->device->cap_mask))
		return -EOPNOTSUPP;
	if ((r = att_range(dst, dst_off, len, &p.dsg, &p.dn)) < 0)
		return r;
	if ((r = att_range(src, src_off, len, &p.ssg, &p.sn)) < 0 ||
	    (dst->buf == src->buf && dst_off < src_off + len &&
	     src_off < dst_off + len)) {
		free(p.dsg);
		free(p.ssg);
		return r < 0 ? r : -EINVAL;
	}
	p.kind = p.dn == 1 && p.sn == 1 ? XK_MEMCPY : XK_MEMCPY_SG;
	r = xfer_new(chan, &p, len, &x);
	if (r < 0)
		return r;
	x->dst = dma_xfer_att_ref(dst);
	x->src = dma_xfer_att_ref(src);
	*ret_xfer = x;
	return 0;
}

int dma_xfer_slave(struct dma_xfer_att *att, uint64_t off, uint64_t len,
		   enum dma_transfer_direction dir, unsigned long flags,
		   struct dma_xfer **ret_xfer)
{
	struct dma_xfer p = { .kind = XK_SLAVE, .dir = dir, .flags = flags };
	struct dma_xfer *x;
	int r;

	if (!att || !ret_xfer || (flags & ~DMA_PREP_VALID_FLAGS) ||
	    (dir != DMA_MEM_TO_DEV && dir != DMA_DEV_TO_MEM))
		return -EINVAL;
	if ((r = chan_check(att->chan)) < 0)
		return r;
	if (!dma_has_cap(DMA_SLAVE, att->chan->device->cap_mask))
		return -EOPNOTSUPP;
	if ((r = att_range(att, off, len, &p.dsg, &p.dn)) < 0)
		return r;
	r = xfer_new(att->chan, &p, len, &x);
	if (r < 0)
		return r;
	if (dir == DMA_MEM_TO_DEV)
		x->src = dma_xfer_att_ref(att);
	else
		x->dst = dma_xfer_att_ref(att);
	*ret_xfer = x;
	return 0;
}

int dma_xfer_cyclic(struct dma_xfer_att *att, uint64_t off, uint64_t buf_len,
		    uint64_t period_len, enum dma_transfer_direction dir,
		    unsigned long flags, struct dma_xfer **ret_xfer)
{
	struct dma_xfer p = { .kind = XK_CYCLIC, .dir = dir, .flags = flags,
			      .period_len = period_len };
	struct dma_xfer *x;
	int r;

	if (!att || !ret_xfer || (flags & ~DMA_PREP_VALID_FLAGS) ||
	    (dir != DMA_MEM_TO_DEV && dir != DMA_DEV_TO_MEM) || !period_len ||
	    buf_len % period_len)
		return -EINVAL;
	if ((r = chan_check(att->chan)) < 0)
		return r;
	if (!dma_has_cap(DMA_CYCLIC, att->chan->device->cap_mask))
		return -EOPNOTSUPP;
	if ((r = att_range(att, off, buf_len, &p.dsg, &p.dn)) < 0)
		return r;
	if (p.dn != 1) { /* a cyclic buffer must be contiguous for the engine */
		free(p.dsg);
		return -EINVAL;
	}
	r = xfer_new(att->chan, &p, buf_len, &x);
	if (r < 0)
		return r;
	x->cyclic = true;
	if (dir == DMA_MEM_TO_DEV)
		x->src = dma_xfer_att_ref(att);
	else
		x->dst = dma_xfer_att_ref(att);
	*ret_xfer = x;
	return 0;
}

/* Collect the unsignaled fences @x must wait for into one array. */
static int xfer_wait_fences(struct dma_xfer *x, struct fence ***ret,
			    unsigned *ret_n)
{
	struct fence **a = NULL, **b = NULL, **all;
	unsigned na = 0, nb = 0;
	int r;

	if (x->dst) {
		r = resv_get_fences(&x->dst->buf->resv, RESV_USAGE_READ, &na, &a);
		if (r < 0)
			return r;
	}
	if (x->src && (!x->dst || x->src->buf != x->dst->buf)) {
		r = resv_get_fences(&x->src->buf->resv, RESV_USAGE_WRITE, &nb, &b);
		if (r < 0) {
			resv_fences_put(a, na);
			return r;
		}
	}
	if (!nb) {
		*ret = a;
		*ret_n = na;
		return 0;
	}
	if (!na) {
		*ret = b;
		*ret_n = nb;
		return 0;
	}
	all = realloc(a, (na + nb) * sizeof(*all));
	if (!all) {
		resv_fences_put(a, na);
		resv_fences_put(b, nb);
		return -ENOMEM;
	}
	memcpy(all + na, b, nb * sizeof(*b));
	free(b);
	*ret = all;
	*ret_n = na + nb;
	return 0;
}

/* Publish @fence: WRITE on the destination, READ on the source. */
static int xfer_publish(struct dma_xfer *x, struct fence *fence)
{
	struct resv *dres = x->dst ? &x->dst->buf->resv : NULL;
	struct resv *sres = x->src ? &x->src->buf->resv : NULL;
	int r;

	if (sres == dres)
		sres = NULL;
	if (dres && (r = resv_lock(dres)) < 0)
		return r;
	if (sres && (r = resv_lock(sres)) < 0)
		goto unlock_d;
	if (dres && (r = resv_reserve_fences(dres, 1)) < 0)
		goto unlock;
	if (sres && (r = resv_reserve_fences(sres, 1)) < 0)
		goto unlock;
	if (dres)
		resv_add_fence(dres, fence, RESV_USAGE_WRITE);
	if (sres)
		resv_add_fence(sres, fence, RESV_USAGE_READ);
	r = 0;
unlock:
	if (sres)
		resv_unlock(sres);
unlock_d:
	if (dres)
		resv_unlock(dres);
	return r;
}

int dma_xfer_submit(struct dma_xfer *x)
{
	struct fence **fences = NULL;
	struct fence *fence;
	unsigned n = 0;
	int64_t w;
	int r;

	if (!x || x->state != XFER_PREPARED)
		return -EINVAL;
	if ((r = chan_check(x->chan)) < 0)
		return r;
	r = xfer_wait_fences(x, &fences, &n);
	if (r < 0)
		return r;
	fence = xfer_fence_new(x->chan);
	if (!fence) {
		resv_fences_put(fences, n);
		return -ENOMEM;
	}
	r = xfer_publish(x, fence);
	if (r < 0) {
		/* Never published: nobody saw this seqno. */
		x->chan->fence_seqno--;
		fence_unref(fence);
		resv_fences_put(fences, n);
		return r;
	}
	x->fence = fence;
	x->state = XFER_WAITING;
	x->list = XL_QUEUE;
	TAILQ_INSERT_TAIL(&x->chan->xfer_queue, x, node);
	dma_xfer_ref(x); /* the channel's */

	if (n == 0) {
		x->fences_met = true;
	} else {
		w = fence_wait_start(&x->wait, fences, n, FENCE_WAIT_ALL,
				     FENCE_WAIT_FOREVER, xfer_wait_done);
		if (w >= 0)
			x->fences_met = true;
		else if (w != -EINPROGRESS) /* -ENOMEM: fail the transfer */
			xfer_finish(x, (int)w);
	}
	resv_fences_put(fences, n);
	xfer_pump(x->chan);
	return 0;
}

struct dma_xfer *dma_xfer_ref(struct dma_xfer *x)
{
	if (x)
		x->refcount++;
	return x;
}

struct dma_xfer *dma_xfer_unref(struct dma_xfer *x)
{
	if (x && --x->refcount == 0)
		xfer_free(x);
	return NULL;
}

struct fence *dma_xfer_fence(const struct dma_xfer *x)
{
	return x ? x->fence : NULL;
}

int dma_xfer_export_sync_file(const struct dma_xfer *x, struct sync_file **ret_sf)
{
	if (!x || !x->fence || !ret_sf)
		return -EINVAL;
	return sync_file_new(x->fence, ret_sf);
}

unsigned dma_xfer_blockers(const struct dma_xfer *x, struct fence **ret,
			   unsigned max)
{
	unsigned n = 0;

	if (!x || x->state != XFER_WAITING || x->fences_met || !x->wait.active)
		return 0;
	for (unsigned i = 0; i < x->wait.num; i++) {
		struct fence *f = x->wait.slots[i].fence;

		if (fence_peek_status(f) != 0)
			continue;
		if (n < max)
			ret[n] = f;
		n++;
	}
	return n;
}

struct dma_chan *dma_xfer_chan(const struct dma_xfer *x)
{
	return x ? x->chan : NULL;
}

dma_cookie_t dma_xfer_cookie(const struct dma_xfer *x)
{
	return x ? x->cookie : 0;
}

enum dma_status dma_xfer_status(const struct dma_xfer *x,
				struct dma_tx_state *state)
{
	struct dma_tx_state st = { 0 };
	enum dma_status status;

	if (!x)
		return DMA_ERROR;
	switch (x->state) {
	case XFER_PREPARED:
	case XFER_WAITING:
		st.residue = x->len > UINT32_MAX ? UINT32_MAX : (uint32_t)x->len;
		status = DMA_IN_PROGRESS;
		break;
	case XFER_RUNNING:
		status = dmaengine_tx_status(x->chan, x->cookie, &st);
		break;
	default:
		status = fence_get_status(x->fence) == 1 ? DMA_COMPLETE : DMA_ERROR;
		break;
	}
	if (state)
		*state = st;
	return status;
}

int dma_xfer_result(const struct dma_xfer *x)
{
	if (!x)
		return -EINVAL;
	return x->fence ? fence_get_status(x->fence) : 0;
}

uint64_t dma_xfer_periods(const struct dma_xfer *x)
{
	return x ? x->periods : 0;
}

int dma_xfer_set_period_cb(struct dma_xfer *x, dma_xfer_period_fn fn, void *data)
{
	if (!x)
		return -EINVAL;
	x->period_fn = fn;
	x->period_data = data;
	return 0;
}

static int count_running(struct dma_device *dev, void *data)
{
	unsigned *n = data;
	struct dma_chan *chan;
	struct dma_xfer *x;

	TAILQ_FOREACH(chan, &dev->channels, device_node)
		TAILQ_FOREACH(x, &chan->xfer_running, node)
			if (!x->cyclic)
				(*n)++;
	return 0;
}

unsigned dma_xfer_running_count(void)
{
	unsigned n = 0;

	dma_device_foreach(count_running, &n);
	return n;
}

/* ------------------------------------------------------------------ */
/* The core's side (internal.h) */

void dma_xfer_chan_init(struct dma_chan *chan)
{
	TAILQ_INIT(&chan->xfer_queue);
	TAILQ_INIT(&chan->xfer_running);
	TAILQ_INIT(&chan->xfer_aborting);
	TAILQ_INIT(&chan->attachments);
	chan->fence_context = 0;
	chan->fence_seqno = 0;
	dma_cq_entry_init(&chan->xfer_pump, xfer_pump_fired);
}

void dma_xfer_chan_fini(struct dma_chan *chan)
{
	dma_cq_cancel(&chan->xfer_pump);
}

void dma_xfer_chan_abort_begin(struct dma_chan *chan)
{
	struct dma_xfer *x;

	while ((x = TAILQ_FIRST(&chan->xfer_queue))) {
		xfer_list_del(x);
		fence_wait_cancel(&x->wait);
		x->list = XL_ABORTING;
		TAILQ_INSERT_TAIL(&chan->xfer_aborting, x, node);
	}
}

void dma_xfer_chan_abort_end(struct dma_chan *chan, int reason, bool running)
{
	struct dma_xfer *x;
	bool first = true;

	while (running && (x = TAILQ_FIRST(&chan->xfer_running))) {
		int err = reason;

		if (reason == -ETIMEDOUT && !first)
			err = -ECANCELED;
		if (x->cyclic && err == -ECANCELED)
			err = 0; /* terminate is how a cyclic transfer ends */
		first = false;
		xfer_finish(x, err);
	}
	while ((x = TAILQ_FIRST(&chan->xfer_aborting)))
		xfer_finish(x, reason == -ETIMEDOUT ? -ECANCELED : reason);
	/* A head held back for want of a descriptor has them now. */
	if (running)
		xfer_pump_later(chan);
}
