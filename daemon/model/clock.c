/* SPDX-License-Identifier: MIT */
/*
 * The timer queue is a list sorted by expiry. Waits with timeouts are the
 * only users and there are as many as there are blocked callers, so an
 * ordered insert is cheap and keeps the firing order obvious.
 */
#include "clock.h"

#include <assert.h>
#include <stddef.h>
#include <time.h>

static uint64_t (*clock_source)(void);

static TAILQ_HEAD(, timer) timerq = TAILQ_HEAD_INITIALIZER(timerq);
static unsigned timerq_count;
static void (*timerq_notify)(void *data);
static void *timerq_notify_data;

uint64_t clock_now_ns(void)
{
	struct timespec ts;

	if (clock_source)
		return clock_source();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void clock_set_source(uint64_t (*now_ns)(void))
{
	clock_source = now_ns;
}

void timer_init(struct timer *timer, timer_fn fn)
{
	timer->expires_ns = CLOCK_NS_NEVER;
	timer->fn = fn;
	timer->armed = false;
}

void timer_arm(struct timer *timer, uint64_t expires_ns)
{
	struct timer *pos;

	timer_cancel(timer);
	timer->expires_ns = expires_ns;
	TAILQ_FOREACH(pos, &timerq, node)
		if (pos->expires_ns > expires_ns)
			break;
	if (pos)
		TAILQ_INSERT_BEFORE(pos, timer, node);
	else
		TAILQ_INSERT_TAIL(&timerq, timer, node);
	timer->armed = true;
	timerq_count++;
	if (TAILQ_FIRST(&timerq) == timer && timerq_notify)
		timerq_notify(timerq_notify_data);
}

bool timer_cancel(struct timer *timer)
{
	if (!timer->armed)
		return false;
	TAILQ_REMOVE(&timerq, timer, node);
	timer->armed = false;
	timerq_count--;
	return true;
}

uint64_t timerq_next(void)
{
	struct timer *first = TAILQ_FIRST(&timerq);

	return first ? first->expires_ns : CLOCK_NS_NEVER;
}

unsigned timerq_run(uint64_t now_ns)
{
	struct timer *timer;
	unsigned fired = 0;

	while ((timer = TAILQ_FIRST(&timerq)) && timer->expires_ns <= now_ns) {
		timer_cancel(timer);
		fired++;
		timer->fn(timer);
	}
	return fired;
}

unsigned timerq_armed(void)
{
	return timerq_count;
}

void timerq_set_notify(void (*notify)(void *data), void *data)
{
	timerq_notify = notify;
	timerq_notify_data = data;
}
