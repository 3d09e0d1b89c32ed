/* SPDX-License-Identifier: MIT */
/*
 * Cookie helpers for providers, exactly as the kernel's
 * drivers/dma/dmaengine.h (6.12). A channel's cookie is the last one
 * handed out, its completed_cookie the last one completed; both start at
 * DMA_MIN_COOKIE (1), so the first cookie assigned is 2 and cookie 1 reads
 * as complete. After DMA_MAX_COOKIE the next cookie is DMA_MIN_COOKIE
 * again. A cookie never handed out reads DMA_COMPLETE.
 *
 * Loop thread only (the channel's cookies are loop-thread state).
 */
#pragma once

#include <assert.h>

#include "dmaengine.h"

/* Status of @cookie given the last completed and last used ones. */
static inline enum dma_status dma_async_is_complete(dma_cookie_t cookie,
						    dma_cookie_t last_complete,
						    dma_cookie_t last_used)
{
	if (last_complete <= last_used) {
		if (cookie <= last_complete || cookie > last_used)
			return DMA_COMPLETE;
	} else {
		if (cookie <= last_complete && cookie > last_used)
			return DMA_COMPLETE;
	}
	return DMA_IN_PROGRESS;
}

static inline void dma_cookie_init(struct dma_chan *chan)
{
	chan->cookie = DMA_MIN_COOKIE;
	chan->completed_cookie = DMA_MIN_COOKIE;
	/* The failed cookies of the old numbering would shadow new ones
	 * (a backend re-inits in alloc_chan_resources, per client). */
	for (unsigned i = 0; i < DMA_CHAN_ERR_COOKIES; i++)
		chan->err_cookies[i] = 0;
	chan->err_next = 0;
}

/*
 * Give @tx the channel's next cookie. The addition is done unsigned: the
 * kernel relies on -fno-strict-overflow for the s32 wrap.
 */
static inline dma_cookie_t dma_cookie_assign(struct dma_async_tx_descriptor *tx)
{
	struct dma_chan *chan = tx->chan;
	dma_cookie_t cookie = (dma_cookie_t)((uint32_t)chan->cookie + 1u);

	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	tx->cookie = chan->cookie = cookie;
	return cookie;
}

/* Mark @tx complete: completed_cookie = its cookie, its cookie = 0. */
static inline void dma_cookie_complete(struct dma_async_tx_descriptor *tx)
{
	assert(tx->cookie >= DMA_MIN_COOKIE);
	tx->chan->completed_cookie = tx->cookie;
	tx->cookie = 0;
}

/* Fill @state (may be NULL) with last/used and zero residue; return the
 * status of @cookie. */
static inline enum dma_status dma_cookie_status(struct dma_chan *chan,
						dma_cookie_t cookie,
						struct dma_tx_state *state)
{
	dma_cookie_t used = chan->cookie;
	dma_cookie_t complete = chan->completed_cookie;

	if (state) {
		state->last = complete;
		state->used = used;
		state->residue = 0;
		state->in_flight_bytes = 0;
	}
	return dma_async_is_complete(cookie, complete, used);
}

static inline void dma_set_residue(struct dma_tx_state *state, uint32_t residue)
{
	if (state)
		state->residue = residue;
}

static inline void dma_set_in_flight_bytes(struct dma_tx_state *state,
					   uint32_t in_flight_bytes)
{
	if (state)
		state->in_flight_bytes = in_flight_bytes;
}
