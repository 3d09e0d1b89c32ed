/* SPDX-License-Identifier: MIT */
/*
 * The event recorder (recorder.h): a list of subscriptions, each a ring
 * of fixed-size records that drops the newest when full. Loop thread
 * only: no lock.
 */
#include "recorder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RECORDER_KINDS ((1u << DMABUFD_TRACE_FENCE) | (1u << DMABUFD_TRACE_DMA) | \
			(1u << DMABUFD_TRACE_CPU) | (1u << DMABUFD_TRACE_WAIT))

unsigned recorder_active;

static LIST_HEAD(, recorder_sub) subs = LIST_HEAD_INITIALIZER(subs);

int recorder_subscribe(struct recorder_sub *sub, unsigned cap, uint32_t kinds,
		       bool all, uid_t uid, void (*wake)(struct recorder_sub *))
{
	if (!sub || !cap || (kinds & ~RECORDER_KINDS))
		return -EINVAL;
	*sub = (struct recorder_sub){
		.ring = calloc(cap, sizeof(*sub->ring)),
		.cap = cap,
		.kinds = kinds ? kinds : RECORDER_KINDS,
		.all = all,
		.uid = uid,
		.wake = wake,
		.on = true,
	};
	if (!sub->ring)
		return -ENOMEM;
	LIST_INSERT_HEAD(&subs, sub, link);
	recorder_active++;
	return 0;
}

void recorder_unsubscribe(struct recorder_sub *sub)
{
	if (!sub || !sub->on)
		return;
	LIST_REMOVE(sub, link);
	sub->on = false;
	recorder_active--;
}

void recorder_sub_free(struct recorder_sub *sub)
{
	if (!sub)
		return;
	recorder_unsubscribe(sub);
	free(sub->ring);
	sub->ring = NULL;
	sub->cap = sub->len = sub->head = 0;
}

unsigned recorder_peek(const struct recorder_sub *sub,
		       struct dmabufd_ctl_trace_rec *out, unsigned max)
{
	unsigned n = sub->len < max ? sub->len : max;

	for (unsigned i = 0; i < n; i++)
		out[i] = sub->ring[(sub->head + i) % sub->cap];
	return n;
}

void recorder_consume(struct recorder_sub *sub, unsigned n)
{
	if (n > sub->len)
		n = sub->len;
	sub->head = sub->len == n ? 0 : (sub->head + n) % sub->cap;
	sub->len -= n;
}

uint32_t recorder_take_lost(struct recorder_sub *sub)
{
	uint32_t lost = sub->lost;

	sub->lost = 0;
	return lost;
}

void recorder_emit(const struct dmabufd_ctl_trace_rec *rec, uid_t owner)
{
	struct recorder_sub *sub, *next;
	uint64_t ts = rec->ts_ns;

	if (!ts) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ts = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	}
	/* @wake may not unsubscribe, but take the next one first anyway. */
	for (sub = LIST_FIRST(&subs); sub; sub = next) {
		struct dmabufd_ctl_trace_rec *slot;

		next = LIST_NEXT(sub, link);
		if (rec->kind >= 32 || !(sub->kinds & (1u << rec->kind)) ||
		    (!sub->all && owner != sub->uid))
			continue;
		if (sub->len == sub->cap) {
			if (sub->lost < UINT32_MAX)
				sub->lost++;
			continue;
		}
		slot = &sub->ring[(sub->head + sub->len) % sub->cap];
		*slot = *rec;
		slot->ts_ns = ts;
		if (sub->len++ == 0 && sub->wake)
			sub->wake(sub);
	}
}

void recorder_name(char dst[DMABUFD_CTL_NAME_LEN], const char *s)
{
	size_t n = s ? strnlen(s, DMABUFD_CTL_NAME_LEN - 1) : 0;

	memcpy(dst, s ? s : "", n);
	memset(dst + n, 0, DMABUFD_CTL_NAME_LEN - n);
}
