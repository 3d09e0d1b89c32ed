/* SPDX-License-Identifier: MIT */
/*
 * The completion queue (dma_cq.h): a singly linked FIFO of entries under
 * one mutex, posted from any thread and drained on the loop thread.
 */
#include "dma_cq.h"

#include <pthread.h>
#include <stddef.h>

static pthread_mutex_t cq_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dma_cq_entry *cq_head;
static struct dma_cq_entry **cq_tail = &cq_head;
static unsigned cq_count;
static void (*cq_wakeup)(void *data);
static void *cq_wakeup_data;

void dma_cq_entry_init(struct dma_cq_entry *entry, dma_cq_fn fn)
{
	entry->fn = fn;
	entry->next = NULL;
	entry->queued = false;
}

void dma_cq_post(struct dma_cq_entry *entry)
{
	void (*wakeup)(void *data) = NULL;
	void *data = NULL;

	pthread_mutex_lock(&cq_lock);
	if (!entry->queued) {
		entry->queued = true;
		entry->next = NULL;
		*cq_tail = entry;
		cq_tail = &entry->next;
		if (cq_count++ == 0) {
			wakeup = cq_wakeup;
			data = cq_wakeup_data;
		}
	}
	pthread_mutex_unlock(&cq_lock);
	if (wakeup)
		wakeup(data);
}

bool dma_cq_cancel(struct dma_cq_entry *entry)
{
	struct dma_cq_entry **pp;
	bool found = false;

	pthread_mutex_lock(&cq_lock);
	if (entry->queued) {
		for (pp = &cq_head; *pp; pp = &(*pp)->next) {
			if (*pp == entry) {
				*pp = entry->next;
				if (cq_tail == &entry->next)
					cq_tail = pp;
				entry->queued = false;
				entry->next = NULL;
				cq_count--;
				found = true;
				break;
			}
		}
	}
	pthread_mutex_unlock(&cq_lock);
	return found;
}

/*
 * Entries handled per dma_cq_drain() at most. A channel posts again as
 * soon as its entry is taken (a cyclic loopback pair on the mock posts a
 * period every few microseconds), so "until empty" could keep the loop in
 * here for ever, serving nothing else: past the budget the drain wakes
 * the loop again and returns, and the loop serves its other handles
 * before it comes back.
 */
#define CQ_DRAIN_BUDGET 256u

unsigned dma_cq_drain(void)
{
	void (*wakeup)(void *data) = NULL;
	void *data = NULL;
	unsigned n = 0;

	while (n < CQ_DRAIN_BUDGET) {
		struct dma_cq_entry *e;

		pthread_mutex_lock(&cq_lock);
		e = cq_head;
		if (e) {
			cq_head = e->next;
			if (!cq_head)
				cq_tail = &cq_head;
			e->next = NULL;
			e->queued = false;
			cq_count--;
		}
		pthread_mutex_unlock(&cq_lock);
		if (!e)
			return n;
		e->fn(e);
		n++;
	}
	/* Posts meanwhile found the queue busy and woke no one. */
	pthread_mutex_lock(&cq_lock);
	if (cq_head) {
		wakeup = cq_wakeup;
		data = cq_wakeup_data;
	}
	pthread_mutex_unlock(&cq_lock);
	if (wakeup)
		wakeup(data);
	return n;
}

unsigned dma_cq_pending(void)
{
	unsigned n;

	pthread_mutex_lock(&cq_lock);
	n = cq_count;
	pthread_mutex_unlock(&cq_lock);
	return n;
}

void dma_cq_set_wakeup(void (*wakeup)(void *data), void *data)
{
	pthread_mutex_lock(&cq_lock);
	cq_wakeup = wakeup;
	cq_wakeup_data = data;
	pthread_mutex_unlock(&cq_lock);
}
