/* SPDX-License-Identifier: MIT */
/*
 * What the files of the core tell each other (not for backends or
 * clients). Loop thread only.
 */
#pragma once

#include "dmaengine.h"

/* dma_client.c: abort the work of @chan for @reason (see dmaengine.h);
 * @queue: also the dma_xfer transfers still waiting for their fences;
 * @sync: also synchronize. Returns 0 or the provider's terminate error. */
int dma_chan_abort(struct dma_chan *chan, int reason, bool queue, bool sync);
/* dmaengine.c: take @chan for a private request (client count, the
 * device's privatecnt, alloc_chan_resources); 0 or a negative errno. */
int dma_chan_get_private(struct dma_chan *chan);

static inline bool device_is_private(const struct dma_device *dev)
{
	return dma_has_cap(DMA_PRIVATE, dev->cap_mask);
}
void dma_device_get(struct dma_device *dev);
void dma_device_put(struct dma_device *dev);

/* watchdog.c */
void dma_watchdog_init(struct dma_chan *chan);
/* Arm the timer for the head of the issued work, or disarm it. */
void dma_watchdog_update(struct dma_chan *chan);
/* A cyclic period completed: restart the head's deadline. */
void dma_watchdog_kick(struct dma_chan *chan);
void dma_watchdog_stop(struct dma_chan *chan);

/* dma_xfer.c */
void dma_xfer_chan_init(struct dma_chan *chan);
/* The last client let go: nothing is queued; cancel the deferred start. */
void dma_xfer_chan_fini(struct dma_chan *chan);
/* Move the waiting transfers to the aborting list (no fence signals yet;
 * they hold no descriptor). */
void dma_xfer_chan_abort_begin(struct dma_chan *chan);
/* The provider aborted every running transfer (when @running), and the
 * aborting list is to be ended: signal their fences with @reason (the
 * running head with @reason, the others -ECANCELED when @reason is
 * -ETIMEDOUT). Transfers still waiting (the watchdog leaves them) start
 * later, on descriptors prepared then. */
void dma_xfer_chan_abort_end(struct dma_chan *chan, int reason, bool running);
