/* SPDX-License-Identifier: MIT */
/*
 * The event recorder behind `dmabufctl trace` (DMABUFD_CTL_TRACE,
 * proto/dmabufd/control.h): fence lifetimes, DMA descriptors, CPU access
 * windows and waits, as fixed-size records (struct dmabufd_ctl_trace_rec)
 * for the control socket's subscribers.
 *
 * Off unless someone records, and then nearly free. @recorder_active
 * counts the subscriptions, like a USDT semaphore (trace.h): every
 * record site is
 *
 *	if (recorder_on())
 *		... build a record, recorder_emit() ...
 *
 * so with no subscriber an event costs one load of a global and one
 * branch predicted not taken; nothing is built, no clock is read.
 *
 * A subscription (struct recorder_sub, embedded in its owner: the
 * control connection) has a ring of records. recorder_emit() copies a
 * record into the ring of every subscription that may see it (its kind
 * is wanted, and the subscriber sees every event or owns the record's
 * object: @owner == @uid) or, when the ring is full, drops it and counts
 * it in @lost. It never blocks and never allocates. The first record
 * into an empty ring calls the subscription's @wake, which starts the
 * owner's sending; the owner takes records with recorder_peek() and
 * recorder_consume() once they are sent.
 *
 * Threading: loop thread only, like everything that emits (the DMA
 * workers never do: completions reach the core through the loop).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include <dmabufd/control.h>

/* Live subscriptions; 0: nothing records. Only recorder.c writes it. */
extern unsigned recorder_active;

#define recorder_on() __builtin_expect(recorder_active != 0, 0)

struct recorder_sub {
	struct dmabufd_ctl_trace_rec *ring;
	unsigned cap;     /* records @ring holds */
	unsigned head;    /* the oldest record */
	unsigned len;     /* records in @ring */
	uint32_t lost;    /* dropped since recorder_take_lost() */
	uint32_t kinds;   /* 1 << DMABUFD_TRACE_* wanted */
	bool all;         /* sees every record, whatever its owner */
	bool on;          /* subscribed: records arrive */
	uid_t uid;        /* else only records of this owner */
	void (*wake)(struct recorder_sub *sub);
	LIST_ENTRY(recorder_sub) link;
};

/*
 * Subscribe @sub with a ring of @cap records for the kinds in @kinds (0:
 * all), seeing every record when @all, else those owned by @uid. @wake
 * (may be NULL) runs from recorder_emit() when the ring stops being
 * empty. Returns 0, -EINVAL (@cap 0, an unknown kind bit), -ENOMEM.
 */
int recorder_subscribe(struct recorder_sub *sub, unsigned cap, uint32_t kinds,
		       bool all, uid_t uid, void (*wake)(struct recorder_sub *));

/* No more records for @sub; what its ring holds stays for the taking. */
void recorder_unsubscribe(struct recorder_sub *sub);

/* Unsubscribe and free the ring; @sub may be zeroed or freed already. */
void recorder_sub_free(struct recorder_sub *sub);

/* Copy up to @max of the oldest records to @out; returns how many. */
unsigned recorder_peek(const struct recorder_sub *sub,
		       struct dmabufd_ctl_trace_rec *out, unsigned max);

/* Forget the @n oldest records (those peeked and sent). */
void recorder_consume(struct recorder_sub *sub, unsigned n);

/* The records dropped since the last call, and reset the count. */
uint32_t recorder_take_lost(struct recorder_sub *sub);

/*
 * Give @rec (its ts_ns: 0 for now) to every subscription that may see
 * it; @owner is the uid of the object or caller it is about. Call only
 * under recorder_on().
 */
void recorder_emit(const struct dmabufd_ctl_trace_rec *rec, uid_t owner);

/* Copy @s, cut to fit, into a record's name field. */
void recorder_name(char dst[DMABUFD_CTL_NAME_LEN], const char *s);
