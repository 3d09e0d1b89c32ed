/* SPDX-License-Identifier: MIT */
/*
 * The per-channel watchdog (dma_chan_set_timeout() in dmaengine.h). One
 * model timer per channel, armed for the oldest issued descriptor: it
 * starts when that descriptor reaches the head of the channel's work,
 * restarts at each period of a cyclic transfer, and stops while the
 * channel is paused. When it fires, the channel's hardware work is aborted
 * (the head with -ETIMEDOUT), synchronized and reset through
 * ops->device_reset; transfers still waiting for their fences are left
 * alone and start on the reset channel.
 *
 * Loop thread only (the model's timer queue).
 */
#include <errno.h>

#include "internal.h"
#include "model/clock.h"
#include "util/log.h"

static void watchdog_fire(struct timer *timer)
{
	struct dma_chan *chan = container_of(timer, struct dma_chan, watchdog);
	const struct dma_device_ops *ops = chan->device->ops;
	int r;

	log_warn("dma: %s: transfer %d exceeded %llu ms (channel held by "
		 "%s); aborting and resetting the channel", chan->name,
		 chan->watched_cookie,
		 (unsigned long long)(chan->timeout_ns / 1000000),
		 chan->dbg_client_name[0] ? chan->dbg_client_name : "nobody");
	chan->stats.timeouts++;
	chan->watched_cookie = 0;
	dma_chan_abort(chan, -ETIMEDOUT, false, true);
	if (ops->device_reset) {
		r = ops->device_reset(chan);
		if (r < 0)
			log_err("dma: %s: reset failed: %d", chan->name, r);
	}
}

void dma_watchdog_init(struct dma_chan *chan)
{
	timer_init(&chan->watchdog, watchdog_fire);
	chan->watched_cookie = 0;
}

void dma_watchdog_stop(struct dma_chan *chan)
{
	timer_cancel(&chan->watchdog);
	chan->watched_cookie = 0;
}

static struct dma_async_tx_descriptor *watch_head(struct dma_chan *chan)
{
	struct dma_async_tx_descriptor *tx = TAILQ_FIRST(&chan->active);

	if (!tx || !tx->issued || chan->paused || !chan->timeout_ns ||
	    chan->device->dead)
		return NULL;
	return tx;
}

void dma_watchdog_update(struct dma_chan *chan)
{
	struct dma_async_tx_descriptor *head = watch_head(chan);

	if (!head) {
		dma_watchdog_stop(chan);
		return;
	}
	if (head->cookie == chan->watched_cookie && chan->watchdog.armed)
		return;
	chan->watched_cookie = head->cookie;
	timer_arm(&chan->watchdog, clock_now_ns() + chan->timeout_ns);
}

void dma_watchdog_kick(struct dma_chan *chan)
{
	chan->watched_cookie = 0;
	dma_watchdog_update(chan);
}

int dma_chan_set_timeout(struct dma_chan *chan, uint64_t timeout_ms)
{
	if (!chan || !chan->device || timeout_ms > UINT64_MAX / 1000000)
		return -EINVAL;
	if (chan->device->dead)
		return -ENODEV;
	chan->timeout_ns = timeout_ms * 1000000ull;
	dma_watchdog_stop(chan);
	dma_watchdog_update(chan);
	return 0;
}
