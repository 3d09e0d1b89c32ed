/* SPDX-License-Identifier: MIT */
/*
 * dma_cq - the completion queue: how work done off the loop thread (a
 * backend's copy worker, an interrupt reader) comes back to it.
 *
 * A backend embeds a struct dma_cq_entry wherever it needs one (per
 * channel, per descriptor), initialised with the handler to run. Any thread
 * may post an entry; the loop thread drains the queue and runs each
 * handler once. Posting an entry that is queued already does nothing, so a
 * handler must look at its owner's state (e.g. an atomic counter) to learn
 * how much happened since the last run. Posting never allocates.
 *
 * The wake-up: after a post that made the queue non-empty, the posting
 * thread calls the function set with dma_cq_set_wakeup() (the daemon's
 * uv_async_send; a test's condition variable), outside the queue's lock.
 * The core itself knows no event loop.
 *
 * Locking: one mutex guards the queue; handlers run without it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct dma_cq_entry;
typedef void (*dma_cq_fn)(struct dma_cq_entry *entry);

struct dma_cq_entry {
	dma_cq_fn fn;
	struct dma_cq_entry *next;
	bool queued;
};

/* Prepare @entry to run @fn. Not queued. */
void dma_cq_entry_init(struct dma_cq_entry *entry, dma_cq_fn fn);

/* Queue @entry (no-op if queued). Any thread. */
void dma_cq_post(struct dma_cq_entry *entry);

/*
 * Take @entry off the queue if it is queued (its owner is going away).
 * Returns true if it was. Loop thread.
 */
bool dma_cq_cancel(struct dma_cq_entry *entry);

/*
 * Run the handlers of the queued entries, including entries posted by the
 * handlers themselves, until the queue is empty or 256 have run; then,
 * if any is left, call the wakeup again (dma_cq_set_wakeup()) so that the
 * loop comes back after its other work. Returns the number run.
 * Loop thread.
 */
unsigned dma_cq_drain(void);

/* Number of queued entries (any thread; for tests and leak checks). */
unsigned dma_cq_pending(void);

/*
 * Set the wake-up function (NULL: none). Called from posting threads.
 * Set it before any backend starts.
 */
void dma_cq_set_wakeup(void (*wakeup)(void *data), void *data);
