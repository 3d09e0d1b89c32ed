/* SPDX-License-Identifier: MIT */
/* Descriptor lists and pool for backends (virt_dma.h). Loop thread only. */
#include "virt_dma.h"

#include <limits.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cookie.h"
#include "model/objstat.h"

static struct vd_list *vd_list_of(struct virt_dma_chan *vc, enum vd_where w)
{
	switch (w) {
	case VD_FREE: return &vc->desc_pool;
	case VD_ALLOCATED: return &vc->desc_allocated;
	case VD_SUBMITTED: return &vc->desc_submitted;
	case VD_ISSUED: return &vc->desc_issued;
	case VD_COMPLETED: return &vc->desc_completed;
	case VD_TERMINATED: return &vc->desc_terminated;
	default: return NULL;
	}
}

static struct virt_dma_chan *vd_chan(struct virt_dma_desc *vd)
{
	return to_virt_chan(vd->tx.chan);
}

static void vd_unlink(struct virt_dma_desc *vd)
{
	struct vd_list *l = vd_list_of(vd_chan(vd), vd->where);

	if (l)
		TAILQ_REMOVE(l, vd, node);
	vd->where = VD_NONE;
}

static void vd_move(struct virt_dma_desc *vd, enum vd_where to)
{
	vd_unlink(vd);
	TAILQ_INSERT_TAIL(vd_list_of(vd_chan(vd), to), vd, node);
	vd->where = to;
}

/* Back to the pool: the backend's hook, then the free list. */
static void vd_put(struct virt_dma_desc *vd)
{
	struct virt_dma_chan *vc = vd_chan(vd);

	if (vc->cyclic == vd) {
		vc->cyclic = NULL;
		vc->cyclic_periods = 0;
	}
	if (vc->desc_free)
		vc->desc_free(vd);
	/* The cookie stays readable until reuse: the core's terminate reads
	 * the cookies of what the provider just gave back. */
	vd->tx.callback = NULL;
	vd->tx.callback_result = NULL;
	vd->tx.callback_param = NULL;
	vd_move(vd, VD_FREE);
	objstat_dec(OBJ_DMA_DESC);
}

static void vd_put_list(struct virt_dma_chan *vc, struct vd_list *l)
{
	struct virt_dma_desc *vd;

	while ((vd = TAILQ_FIRST(l)))
		vd_put(vd);
}

/*
 * Period callbacks per run of the "tasklet" at most; the rest wait for the
 * next run (the entry is posted again), so a channel that ends periods
 * faster than the loop runs their callbacks (a cyclic pair on the mock's
 * loopback, as fast as memcpy) delays them but cannot keep the loop here:
 * dma_cq_drain() has a budget of runs, and the loop serves its other
 * handles in between. Every period is still reported, in order.
 */
#define VCHAN_PERIODS_PER_RUN 64u

/* The "tasklet": callbacks of completed descriptors and cyclic periods. */
static void vchan_complete(struct dma_cq_entry *entry)
{
	struct virt_dma_chan *vc = container_of(entry, struct virt_dma_chan, task);
	struct vd_list done = TAILQ_HEAD_INITIALIZER(done);
	struct virt_dma_desc *vd;

	if (vc->cyclic && vc->cyclic_periods) {
		struct virt_dma_desc *cyc = vc->cyclic;
		dma_cookie_t cookie = cyc->tx.cookie;
		unsigned n = vc->cyclic_periods < VCHAN_PERIODS_PER_RUN
				     ? vc->cyclic_periods
				     : VCHAN_PERIODS_PER_RUN;

		vc->cyclic_periods -= n;
		if (vc->cyclic_periods)
			dma_cq_post(&vc->task);
		/* A callback may terminate the transfer (and the descriptor
		 * may even be reused): stop as soon as it is not ours. */
		while (n-- && vc->cyclic == cyc && cyc->tx.cookie == cookie)
			dma_desc_cyclic_callback(&cyc->tx);
	}

	while ((vd = TAILQ_FIRST(&vc->desc_completed))) {
		TAILQ_REMOVE(&vc->desc_completed, vd, node);
		vd->where = VD_NONE;
		TAILQ_INSERT_TAIL(&done, vd, node);
	}
	while ((vd = TAILQ_FIRST(&done))) {
		struct dmaengine_result result = vd->tx_result;

		TAILQ_REMOVE(&done, vd, node);
		/* Still counts as out of the pool: not on any list now. */
		TAILQ_INSERT_TAIL(&vc->desc_terminated, vd, node);
		vd->where = VD_TERMINATED;
		dma_desc_callback_invoke(&vd->tx, &result);
		/* The callback may have terminated (and synchronized) the
		 * channel, which already gave it back. */
		if (vd->where == VD_TERMINATED)
			vd_put(vd);
	}
}

int vchan_init(struct virt_dma_chan *vc, struct dma_device *dev)
{
	TAILQ_INIT(&vc->desc_pool);
	TAILQ_INIT(&vc->desc_allocated);
	TAILQ_INIT(&vc->desc_submitted);
	TAILQ_INIT(&vc->desc_issued);
	TAILQ_INIT(&vc->desc_completed);
	TAILQ_INIT(&vc->desc_terminated);
	vc->cyclic = NULL;
	vc->cyclic_periods = 0;
	vc->pool = NULL;
	vc->pool_size = 0;
	dma_cq_entry_init(&vc->task, vchan_complete);
	return dma_device_add_chan(dev, &vc->chan);
}

int vchan_pool_alloc(struct virt_dma_chan *vc, unsigned nr, size_t desc_size,
		     size_t vd_offset)
{
	if (!vc || nr == 0 || desc_size < sizeof(struct virt_dma_desc) ||
	    vd_offset > desc_size - sizeof(struct virt_dma_desc))
		return -EINVAL;
	if (vc->pool)
		return -EBUSY;
	vc->pool = calloc(nr, desc_size);
	if (!vc->pool)
		return -ENOMEM;
	vc->desc_size = desc_size;
	vc->vd_offset = vd_offset;
	vc->pool_size = nr;
	for (unsigned i = 0; i < nr; i++) {
		struct virt_dma_desc *vd =
			(void *)((char *)vc->pool + i * desc_size + vd_offset);

		vd->tx.chan = &vc->chan;
		vd->where = VD_FREE;
		TAILQ_INSERT_TAIL(&vc->desc_pool, vd, node);
	}
	return (int)nr;
}

void vchan_pool_free(struct virt_dma_chan *vc)
{
	if (!vc || !vc->pool)
		return;
	TAILQ_INIT(&vc->desc_pool);
	free(vc->pool);
	vc->pool = NULL;
	vc->pool_size = 0;
}

struct virt_dma_desc *vchan_desc_get(struct virt_dma_chan *vc)
{
	struct virt_dma_desc *vd = TAILQ_FIRST(&vc->desc_pool);
	char *base;

	if (!vd)
		return NULL;
	TAILQ_REMOVE(&vc->desc_pool, vd, node);
	base = (char *)vd - vc->vd_offset;
	memset(base, 0, vc->desc_size);
	vd->tx.chan = &vc->chan;
	vd->where = VD_NONE;
	objstat_inc(OBJ_DMA_DESC);
	return vd;
}

static dma_cookie_t vchan_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct virt_dma_desc *vd = to_virt_desc(tx);
	dma_cookie_t cookie;

	if (vd->where != VD_ALLOCATED)
		return -EINVAL;
	cookie = dma_cookie_assign(tx);
	vd_move(vd, VD_SUBMITTED);
	return cookie;
}

static int vchan_tx_desc_free(struct dma_async_tx_descriptor *tx)
{
	struct virt_dma_desc *vd = to_virt_desc(tx);

	if (vd->where != VD_ALLOCATED)
		return -EBUSY;
	vd_put(vd);
	return 0;
}

struct dma_async_tx_descriptor *vchan_tx_prep(struct virt_dma_chan *vc,
					      struct virt_dma_desc *vd,
					      unsigned long flags)
{
	vd->tx.flags = flags;
	vd->tx.chan = &vc->chan;
	vd->tx.cookie = 0;
	vd->tx.tx_submit = vchan_tx_submit;
	vd->tx.desc_free = vchan_tx_desc_free;
	vd->tx_result = (struct dmaengine_result){ DMA_TRANS_NOERROR, 0 };
	TAILQ_INSERT_TAIL(&vc->desc_allocated, vd, node);
	vd->where = VD_ALLOCATED;
	return &vd->tx;
}

bool vchan_issue_pending(struct virt_dma_chan *vc)
{
	struct virt_dma_desc *vd;

	while ((vd = TAILQ_FIRST(&vc->desc_submitted)))
		vd_move(vd, VD_ISSUED);
	return !TAILQ_EMPTY(&vc->desc_issued);
}

struct virt_dma_desc *vchan_next_desc(struct virt_dma_chan *vc)
{
	return TAILQ_FIRST(&vc->desc_issued);
}

void vchan_desc_take(struct virt_dma_desc *vd)
{
	vd_unlink(vd);
}

struct virt_dma_desc *vchan_find_desc(struct virt_dma_chan *vc,
				      dma_cookie_t cookie)
{
	struct virt_dma_desc *vd;

	TAILQ_FOREACH(vd, &vc->desc_submitted, node)
		if (vd->tx.cookie == cookie)
			return vd;
	TAILQ_FOREACH(vd, &vc->desc_issued, node)
		if (vd->tx.cookie == cookie)
			return vd;
	return NULL;
}

void vchan_cookie_complete(struct virt_dma_desc *vd,
			   const struct dmaengine_result *result)
{
	struct virt_dma_chan *vc = vd_chan(vd);

	vd->tx_result = result ? *result
			       : (struct dmaengine_result){ DMA_TRANS_NOERROR, 0 };
	if (vc->cyclic == vd) {
		vc->cyclic = NULL;
		vc->cyclic_periods = 0;
	}
	/* Keep the cookie for the callback's sake: the core reads it. */
	vd->tx.chan->completed_cookie = vd->tx.cookie;
	vd_move(vd, VD_COMPLETED);
	dma_cq_post(&vc->task);
}

void vchan_cyclic_callbacks(struct virt_dma_desc *vd, unsigned n)
{
	struct virt_dma_chan *vc = vd_chan(vd);

	if (!n)
		return;
	vc->cyclic = vd;
	vc->cyclic_periods = vc->cyclic_periods > UINT_MAX - n
				     ? UINT_MAX
				     : vc->cyclic_periods + n;
	dma_cq_post(&vc->task);
}

void vchan_cyclic_callback(struct virt_dma_desc *vd)
{
	vchan_cyclic_callbacks(vd, 1);
}

void vchan_terminate_vdesc(struct virt_dma_desc *vd)
{
	struct virt_dma_chan *vc = vd_chan(vd);

	if (vc->cyclic == vd) {
		vc->cyclic = NULL;
		vc->cyclic_periods = 0;
	}
	vd_move(vd, VD_TERMINATED);
}

void vchan_terminate_all(struct virt_dma_chan *vc)
{
	vd_put_list(vc, &vc->desc_allocated);
	vd_put_list(vc, &vc->desc_submitted);
	vd_put_list(vc, &vc->desc_issued);
	vd_put_list(vc, &vc->desc_completed);
	vc->cyclic = NULL;
	vc->cyclic_periods = 0;
}

void vchan_synchronize(struct virt_dma_chan *vc)
{
	vd_put_list(vc, &vc->desc_terminated);
}

void vchan_free_chan_resources(struct virt_dma_chan *vc)
{
	vchan_terminate_all(vc);
	vchan_synchronize(vc);
	dma_cq_cancel(&vc->task);
}

unsigned vchan_desc_in_use(const struct virt_dma_chan *vc)
{
	const struct virt_dma_desc *vd;
	unsigned free_n = 0;

	if (!vc->pool)
		return 0;
	TAILQ_FOREACH(vd, &vc->desc_pool, node)
		free_n++;
	return vc->pool_size - free_n;
}
