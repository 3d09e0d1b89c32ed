/* SPDX-License-Identifier: MIT */
/*
 * Time for the object model: CLOCK_MONOTONIC in nanoseconds (the clock the
 * kernel uses for fence timestamps and deadlines), and a timer queue that
 * fires callbacks when their expiry passes.
 *
 * The model never sleeps. Whoever runs the model (the daemon's libuv loop,
 * or a unit test) asks timerq_next() for the earliest expiry, waits for it
 * its own way, and calls timerq_run(). timerq_set_notify() tells that owner
 * when the earliest expiry changes. Tests replace the clock with
 * clock_set_source() to run time by hand.
 *
 * Loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_NS_NEVER UINT64_MAX

/* Current time, CLOCK_MONOTONIC nanoseconds (or the test source). */
uint64_t clock_now_ns(void);

/* Replace the clock (NULL restores CLOCK_MONOTONIC). For tests. */
void clock_set_source(uint64_t (*now_ns)(void));

struct timer;
typedef void (*timer_fn)(struct timer *timer);

struct timer {
	uint64_t expires_ns;
	uint64_t seq;	/* arming order: the tie-break of equal expiries */
	timer_fn fn;
	struct timer *parent, *left, *right; /* the queue's heap, while armed */
	bool armed;
};

/* Prepare @timer to call @fn. Does not arm it. */
void timer_init(struct timer *timer, timer_fn fn);

/*
 * Arm (or re-arm) @timer to fire once at @expires_ns. Cannot fail (the queue
 * allocates nothing). O(log n). Timers with equal expiries fire in the
 * order they were (last) armed.
 */
void timer_arm(struct timer *timer, uint64_t expires_ns);

/* Disarm @timer. Returns true if it was armed. Safe on an idle timer.
 * O(log n). */
bool timer_cancel(struct timer *timer);

/* Earliest expiry of any armed timer, or CLOCK_NS_NEVER. */
uint64_t timerq_next(void);

/*
 * Fire, in expiry order, every timer whose expiry is <= @now_ns. A callback
 * may arm or cancel timers, including its own. Returns the number fired.
 */
unsigned timerq_run(uint64_t now_ns);

/* Number of armed timers (for leak checks). */
unsigned timerq_armed(void);

/*
 * Register the single function that is called whenever timerq_next()
 * may have become earlier. NULL removes it.
 */
void timerq_set_notify(void (*notify)(void *data), void *data);
