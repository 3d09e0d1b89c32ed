/* SPDX-License-Identifier: MIT */
/*
 * The dmaengine core's descriptor side and client API: descriptors
 * tracked per channel from submit to completion, completion callbacks
 * with results, the error cookies that tx_status reports, aborting a
 * channel's work, and the client wrappers (dmaengine_prep_*, submit,
 * issue_pending, tx_status, pause/resume, terminate, synchronize), which
 * check every call before it reaches the provider.
 * Life cycle and threading: see dmaengine.h.
 */
#include "dmaengine.h"

#include <errno.h>

#include "cookie.h"
#include "internal.h"
#include "util/recorder.h"
#include "util/trace.h"

/* ------------------------------------------------------------------ */
/* Descriptor tracking and completion */

/*
 * The recorder's DMA record of @tx on @chan (recorder.h): BEGIN at its
 * submit with its length, END at its completion with @result and the
 * bytes moved. Owned by the channel's holder.
 */
static void dma_record(const struct dma_chan *chan, dma_cookie_t cookie,
		       uint32_t phase, uint64_t bytes, int result)
{
	struct dmabufd_ctl_trace_rec rec = {
		.track = (uint64_t)(uint32_t)chan->device->dev_id << 32 |
			 (uint32_t)chan->chan_id,
		.id = (uint64_t)(uint32_t)cookie,
		.value = bytes,
		.kind = DMABUFD_TRACE_DMA,
		.phase = phase,
		.result = result,
	};

	recorder_name(rec.track_name, chan->name);
	recorder_emit(&rec, chan->client_uid);
}

static void chan_mark_error(struct dma_chan *chan, dma_cookie_t cookie)
{
	if (cookie < DMA_MIN_COOKIE)
		return;
	chan->err_cookies[chan->err_next] = cookie;
	chan->err_next = (chan->err_next + 1) % DMA_CHAN_ERR_COOKIES;
}

static bool chan_cookie_failed(const struct dma_chan *chan, dma_cookie_t cookie)
{
	if (cookie < DMA_MIN_COOKIE)
		return false;
	for (unsigned i = 0; i < DMA_CHAN_ERR_COOKIES; i++)
		if (chan->err_cookies[i] == cookie)
			return true;
	return false;
}

static void untrack(struct dma_async_tx_descriptor *tx)
{
	TAILQ_REMOVE(&tx->chan->active, tx, core_node);
	tx->tracked = false;
}

void dma_desc_callback_invoke(struct dma_async_tx_descriptor *tx,
			      const struct dmaengine_result *result)
{
	static const struct dmaengine_result noerror = { DMA_TRANS_NOERROR, 0 };
	struct dma_chan *chan;

	if (!tx || !tx->tracked)
		return;
	if (!result)
		result = &noerror;
	chan = tx->chan;
	untrack(tx);
	TRACE_DMA_COMPLETE(chan->name, tx->cookie, (int)result->result,
			   result->residue);
	if (recorder_on())
		dma_record(chan, tx->cookie, DMABUFD_TRACE_END,
			   result->result == DMA_TRANS_NOERROR &&
					   tx->len > result->residue
				   ? tx->len - result->residue : 0,
			   (int)result->result);
	switch (result->result) {
	case DMA_TRANS_NOERROR:
		chan->stats.xfer_count++;
		chan->stats.bytes_transferred +=
			tx->len > result->residue ? tx->len - result->residue : 0;
		break;
	case DMA_TRANS_ABORTED:
		chan->stats.aborted++;
		chan_mark_error(chan, tx->cookie);
		break;
	default:
		chan->stats.errors++;
		chan_mark_error(chan, tx->cookie);
		break;
	}
	dma_watchdog_update(chan);
	if (tx->callback_result)
		tx->callback_result(tx->callback_param, result);
	else if (tx->callback)
		tx->callback(tx->callback_param);
}

void dma_desc_cyclic_callback(struct dma_async_tx_descriptor *tx)
{
	static const struct dmaengine_result noerror = { DMA_TRANS_NOERROR, 0 };

	if (!tx || !tx->tracked)
		return;
	tx->chan->stats.bytes_transferred += tx->len;
	dma_watchdog_kick(tx->chan);
	if (tx->callback_result)
		tx->callback_result(tx->callback_param, &noerror);
	else if (tx->callback)
		tx->callback(tx->callback_param);
}

int dma_chan_abort(struct dma_chan *chan, int reason, bool queue, bool sync)
{
	const struct dma_device_ops *ops = chan->device->ops;
	struct dma_async_tx_descriptor *tx;
	bool running = false;
	int r = 0;

	if (queue)
		dma_xfer_chan_abort_begin(chan);
	if (ops->device_terminate_all)
		r = ops->device_terminate_all(chan);
	if (r == 0) {
		running = true;
		while ((tx = TAILQ_FIRST(&chan->active))) {
			TRACE_DMA_COMPLETE(chan->name, tx->cookie,
					   (int)DMA_TRANS_ABORTED, 0);
			if (recorder_on())
				dma_record(chan, tx->cookie, DMABUFD_TRACE_END,
					   0, (int)DMA_TRANS_ABORTED);
			chan_mark_error(chan, tx->cookie);
			chan->stats.aborted++;
			untrack(tx);
		}
		/* Everything handed out is now over, one way or another. */
		chan->completed_cookie = chan->cookie;
		chan->paused = false;
		dma_watchdog_stop(chan);
	}
	if (sync)
		dmaengine_synchronize(chan);
	dma_xfer_chan_abort_end(chan, reason, running);
	return r;
}

/* ------------------------------------------------------------------ */
/* Client wrappers */

static int chan_usable(const struct dma_chan *chan)
{
	if (!chan || !chan->device)
		return -EINVAL;
	if (chan->device->dead)
		return -ENODEV;
	if (!chan->client_count)
		return -EPERM;
	return 0;
}

int dma_chan_get_stats(const struct dma_chan *chan,
		       struct dma_chan_stats *ret_stats)
{
	if (!chan || !ret_stats)
		return -EINVAL;
	*ret_stats = chan->stats;
	return 0;
}

int dmaengine_slave_config(struct dma_chan *chan,
			   const struct dma_slave_config *config)
{
	int r = chan_usable(chan);

	if (r < 0)
		return r;
	if (!config)
		return -EINVAL;
	if (!chan->device->ops->device_config)
		return -ENOSYS;
	return chan->device->ops->device_config(chan, config);
}

int dma_get_slave_caps(struct dma_chan *chan, struct dma_slave_caps *caps)
{
	struct dma_device *dev;

	if (!chan || !chan->device || !caps)
		return -EINVAL;
	dev = chan->device;
	if (!dma_has_cap(DMA_SLAVE, dev->cap_mask) &&
	    !dma_has_cap(DMA_CYCLIC, dev->cap_mask))
		return -ENXIO;
	if (!dev->directions)
		return -ENXIO;
	*caps = (struct dma_slave_caps){
		.src_addr_widths = dev->src_addr_widths,
		.dst_addr_widths = dev->dst_addr_widths,
		.directions = dev->directions,
		.min_burst = dev->min_burst,
		.max_burst = dev->max_burst,
		.max_sg_burst = dev->max_sg_burst,
		.residue_granularity = dev->residue_granularity,
		.descriptor_reuse = dev->descriptor_reuse,
		.cmd_pause = !!dev->ops->device_pause,
		.cmd_resume = !!dev->ops->device_resume,
		.cmd_terminate = !!dev->ops->device_terminate_all,
	};
	if (dev->ops->device_caps)
		dev->ops->device_caps(chan, caps);
	return 0;
}

static int prep_check(struct dma_chan *chan, unsigned long flags, bool have_op,
		      struct dma_async_tx_descriptor **ret_tx)
{
	int r = chan_usable(chan);

	if (r < 0)
		return r;
	if (!ret_tx || (flags & ~DMA_PREP_VALID_FLAGS))
		return -EINVAL;
	if (!have_op)
		return -EOPNOTSUPP;
	return 0;
}

static int prep_done(int r, struct dma_async_tx_descriptor *tx, size_t len,
		     bool cyclic, struct dma_async_tx_descriptor **ret_tx)
{
	if (r < 0)
		return r;
	if (!tx)
		return -EIO;
	tx->len = len;
	tx->cyclic = cyclic;
	tx->issued = false;
	tx->tracked = false;
	*ret_tx = tx;
	return 0;
}

#define OPS(chan) ((chan)->device->ops)

int dmaengine_prep_dma_memcpy(struct dma_chan *chan, dma_addr_t dst,
			      dma_addr_t src, size_t len, unsigned long flags,
			      struct dma_async_tx_descriptor **ret_tx)
{
	struct dma_async_tx_descriptor *tx = NULL;
	int r = prep_check(chan, flags,
			   chan && chan->device && OPS(chan)->device_prep_dma_memcpy,
			   ret_tx);

	if (r < 0)
		return r;
	if (len == 0)
		return -EINVAL;
	r = OPS(chan)->device_prep_dma_memcpy(chan, dst, src, len, flags, &tx);
	return prep_done(r, tx, len, false, ret_tx);
}

static size_t sg_total(const dma_sg_t *sg, unsigned n)
{
	size_t total = 0;

	for (unsigned i = 0; i < n; i++)
		total += sg[i].length;
	return total;
}

int dmaengine_prep_dma_memcpy_sg(struct dma_chan *chan,
				 const dma_sg_t *dst_sg, unsigned dst_nents,
				 const dma_sg_t *src_sg, unsigned src_nents,
				 unsigned long flags,
				 struct dma_async_tx_descriptor **ret_tx)
{
	struct dma_async_tx_descriptor *tx = NULL;
	size_t len;
	int r = prep_check(chan, flags,
			   chan && chan->device && OPS(chan)->device_prep_dma_memcpy_sg,
			   ret_tx);

	if (r < 0)
		return r;
	if (!dst_sg || !src_sg || !dst_nents || !src_nents)
		return -EINVAL;
	len = sg_total(dst_sg, dst_nents);
	if (len == 0 || len != sg_total(src_sg, src_nents))
		return -EINVAL;
	r = OPS(chan)->device_prep_dma_memcpy_sg(chan, dst_sg, dst_nents, src_sg,
						 src_nents, flags, &tx);
	return prep_done(r, tx, len, false, ret_tx);
}

int dmaengine_prep_dma_memset(struct dma_chan *chan, dma_addr_t dest,
			      int value, size_t len, unsigned long flags,
			      struct dma_async_tx_descriptor **ret_tx)
{
	struct dma_async_tx_descriptor *tx = NULL;
	int r = prep_check(chan, flags,
			   chan && chan->device && OPS(chan)->device_prep_dma_memset,
			   ret_tx);

	if (r < 0)
		return r;
	if (len == 0)
		return -EINVAL;
	r = OPS(chan)->device_prep_dma_memset(chan, dest, value, len, flags, &tx);
	return prep_done(r, tx, len, false, ret_tx);
}

int dmaengine_prep_dma_interrupt(struct dma_chan *chan, unsigned long flags,
				 struct dma_async_tx_descriptor **ret_tx)
{
	struct dma_async_tx_descriptor *tx = NULL;
	int r = prep_check(chan, flags,
			   chan && chan->device && OPS(chan)->device_prep_dma_interrupt,
			   ret_tx);

	if (r < 0)
		return r;
	r = OPS(chan)->device_prep_dma_interrupt(chan, flags, &tx);
	return prep_done(r, tx, 0, false, ret_tx);
}

static bool dir_is_slave(enum dma_transfer_direction dir)
{
	return dir == DMA_MEM_TO_DEV || dir == DMA_DEV_TO_MEM ||
	       dir == DMA_DEV_TO_DEV;
}

int dmaengine_prep_slave_sg(struct dma_chan *chan, const dma_sg_t *sgl,
			    unsigned sg_len, enum dma_transfer_direction dir,
			    unsigned long flags,
			    struct dma_async_tx_descriptor **ret_tx)
{
	struct dma_async_tx_descriptor *tx = NULL;
	size_t len;
	int r = prep_check(chan, flags,
			   chan && chan->device && OPS(chan)->device_prep_slave_sg,
			   ret_tx);

	if (r < 0)
		return r;
	if (!sgl || !sg_len || !dir_is_slave(dir))
		return -EINVAL;
	len = sg_total(sgl, sg_len);
	if (len == 0)
		return -EINVAL;
	r = OPS(chan)->device_prep_slave_sg(chan, sgl, sg_len, dir, flags, &tx);
	return prep_done(r, tx, len, false, ret_tx);
}

int dmaengine_prep_slave_single(struct dma_chan *chan, dma_addr_t buf,
				size_t len, enum dma_transfer_direction dir,
				unsigned long flags,
				struct dma_async_tx_descriptor **ret_tx)
{
	dma_sg_t sg = { .dma_addr = buf, .length = len, .cpu_addr = NULL };

	return dmaengine_prep_slave_sg(chan, &sg, 1, dir, flags, ret_tx);
}

int dmaengine_prep_dma_cyclic(struct dma_chan *chan, dma_addr_t buf_addr,
			      size_t buf_len, size_t period_len,
			      enum dma_transfer_direction dir,
			      unsigned long flags,
			      struct dma_async_tx_descriptor **ret_tx)
{
	struct dma_async_tx_descriptor *tx = NULL;
	int r = prep_check(chan, flags,
			   chan && chan->device && OPS(chan)->device_prep_dma_cyclic,
			   ret_tx);

	if (r < 0)
		return r;
	if (!dir_is_slave(dir) || !buf_len || !period_len ||
	    buf_len % period_len)
		return -EINVAL;
	r = OPS(chan)->device_prep_dma_cyclic(chan, buf_addr, buf_len,
					      period_len, dir, flags, &tx);
	return prep_done(r, tx, period_len, true, ret_tx);
}

dma_cookie_t dmaengine_submit(struct dma_async_tx_descriptor *tx)
{
	struct dma_chan *chan;
	dma_cookie_t cookie;
	int r;

	if (!tx || !tx->chan || !tx->tx_submit || tx->tracked)
		return -EINVAL;
	chan = tx->chan;
	r = chan_usable(chan);
	if (r < 0) {
		if (tx->desc_free)
			tx->desc_free(tx);
		return r;
	}
	cookie = tx->tx_submit(tx);
	if (cookie < 0)
		return cookie;
	TRACE_DMA_SUBMIT(chan->name, cookie, tx->len);
	if (recorder_on())
		dma_record(chan, cookie, DMABUFD_TRACE_BEGIN, tx->len, 0);
	tx->tracked = true;
	tx->issued = false;
	TAILQ_INSERT_TAIL(&chan->active, tx, core_node);
	return cookie;
}

int dmaengine_desc_free(struct dma_async_tx_descriptor *tx)
{
	if (!tx || !tx->desc_free)
		return -EINVAL;
	if (tx->tracked)
		return -EBUSY;
	return tx->desc_free(tx);
}

void dma_async_issue_pending(struct dma_chan *chan)
{
	struct dma_async_tx_descriptor *tx;

	if (chan_usable(chan) < 0)
		return;
	TAILQ_FOREACH(tx, &chan->active, core_node)
		tx->issued = true;
	OPS(chan)->device_issue_pending(chan);
	dma_watchdog_update(chan);
}

enum dma_status dmaengine_tx_status(struct dma_chan *chan, dma_cookie_t cookie,
				    struct dma_tx_state *state)
{
	if (!chan || !chan->device)
		return DMA_ERROR;
	if (chan->device->dead || chan_cookie_failed(chan, cookie)) {
		dma_cookie_status(chan, cookie, state);
		return DMA_ERROR;
	}
	return OPS(chan)->device_tx_status(chan, cookie, state);
}

enum dma_status dma_async_is_tx_complete(struct dma_chan *chan,
					 dma_cookie_t cookie,
					 dma_cookie_t *last, dma_cookie_t *used)
{
	struct dma_tx_state state = { 0 };
	enum dma_status status = dmaengine_tx_status(chan, cookie, &state);

	if (last)
		*last = state.last;
	if (used)
		*used = state.used;
	return status;
}

int dmaengine_pause(struct dma_chan *chan)
{
	int r = chan_usable(chan);

	if (r < 0)
		return r;
	if (!OPS(chan)->device_pause)
		return -ENOSYS;
	r = OPS(chan)->device_pause(chan);
	if (r == 0) {
		chan->paused = true;
		dma_watchdog_stop(chan);
	}
	return r;
}

int dmaengine_resume(struct dma_chan *chan)
{
	int r = chan_usable(chan);

	if (r < 0)
		return r;
	if (!OPS(chan)->device_resume)
		return -ENOSYS;
	r = OPS(chan)->device_resume(chan);
	if (r == 0) {
		chan->paused = false;
		dma_watchdog_update(chan);
	}
	return r;
}

int dmaengine_terminate_async(struct dma_chan *chan)
{
	int r = chan_usable(chan);

	if (r < 0)
		return r;
	if (!OPS(chan)->device_terminate_all)
		return -EINVAL;
	return dma_chan_abort(chan, -ECANCELED, true, false);
}

void dmaengine_synchronize(struct dma_chan *chan)
{
	if (chan && chan->device && OPS(chan)->device_synchronize)
		OPS(chan)->device_synchronize(chan);
}

int dmaengine_terminate_sync(struct dma_chan *chan)
{
	int r = dmaengine_terminate_async(chan);

	if (r < 0)
		return r;
	dmaengine_synchronize(chan);
	return 0;
}
