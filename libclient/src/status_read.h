/* SPDX-License-Identifier: MIT */
/*
 * The reader's half of the status page's sequence count
 * (proto/dmabufd/dmaengine.h, struct dmabufd_dma_status_page): answer
 * TX_STATUS's status for a cookie from a consistent snapshot of the page,
 * or say that only the ioctl can. No state; any thread; a header so that
 * the unit tests run it against the daemon's writer.
 */
#pragma once

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <dmabufd/dmaengine.h>

/* Snapshots tried before giving up (the writer is inside its section). */
#define DMABUFD_STATUS_TRIES 64

/* Acquire, to pair with the writer's release stores of every field
 * (daemon/dev/status_page.c): no fence, which ThreadSanitizer cannot
 * check. */
#define STATUS_LOAD(field) \
	atomic_load_explicit((const _Atomic __typeof__(field) *)&(field), \
			     memory_order_acquire)

/* The kernel's dma_async_is_complete() (include/linux/dmaengine.h). */
static inline int status_is_complete(int32_t cookie, int32_t last, int32_t used)
{
	if (last <= used) {
		if (cookie <= last || cookie > used)
			return DMABUFD_DMA_COMPLETE;
	} else if (cookie <= last && cookie > used) {
		return DMABUFD_DMA_COMPLETE;
	}
	return DMABUFD_DMA_IN_PROGRESS;
}

/*
 * The status of @cookie (> 0) on @page, mapped when its generation was
 * @generation. Returns DMABUFD_DMA_COMPLETE, _IN_PROGRESS or _ERROR;
 * -ESTALE when the page is no longer that fd's (released: generation
 * changed); -EAGAIN when the ioctl must answer (the page says so, or no
 * consistent snapshot in DMABUFD_STATUS_TRIES tries).
 */
static inline int status_read(const struct dmabufd_dma_status_page *page,
			      uint32_t generation, int32_t cookie)
{
	const _Atomic __u32 *seq = (const _Atomic __u32 *)&page->seq;

	for (unsigned t = 0; t < DMABUFD_STATUS_TRIES; t++) {
		uint32_t s = atomic_load_explicit(seq, memory_order_acquire);
		uint32_t gen, flags, nerrs;
		int32_t used, last;
		bool failed = false;

		if (s & 1)
			continue;
		gen = STATUS_LOAD(page->generation);
		used = STATUS_LOAD(page->used);
		last = STATUS_LOAD(page->last);
		flags = STATUS_LOAD(page->flags);
		nerrs = STATUS_LOAD(page->nerrs);
		if (nerrs > DMABUFD_DMA_STATUS_ERRS)
			nerrs = DMABUFD_DMA_STATUS_ERRS;
		for (uint32_t i = 0; i < nerrs && !failed; i++)
			failed = STATUS_LOAD(page->errs[i].cookie) == cookie;
		if (atomic_load_explicit(seq, memory_order_relaxed) != s)
			continue;

		if (gen != generation)
			return -ESTALE;
		if (flags & DMABUFD_DMA_STATUS_ASK_ALL)
			return -EAGAIN;
		if (failed)
			return DMABUFD_DMA_ERROR;
		if (status_is_complete(cookie, last, used) == DMABUFD_DMA_COMPLETE)
			return DMABUFD_DMA_COMPLETE;
		return flags & DMABUFD_DMA_STATUS_ASK_LIVE ? -EAGAIN
							   : DMABUFD_DMA_IN_PROGRESS;
	}
	return -EAGAIN;
}
