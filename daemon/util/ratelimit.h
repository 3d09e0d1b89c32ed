/* SPDX-License-Identifier: MIT */
/*
 * ratelimit - at most @burst events per @interval, as the kernel's
 * ___ratelimit(): for log lines that a client can cause as often as it
 * likes (the hang report), so no one client floods the journal or keeps
 * the loop reading /proc. The caller owns the state and the clock.
 *
 * Threading: none of its own; the caller's (the loop thread).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint64_t begin_ns;	/* the interval's start; 0: none yet */
	unsigned allowed;	/* events allowed in it */
	uint64_t missed;	/* events refused since the last allowed one */
};

/*
 * Whether an event at @now_ns may go: yes for the first @burst of an
 * interval of @interval_ns (which starts with the first event after the
 * last interval ended), no after them. When it may, *@ret_missed is the
 * number refused since the last one allowed (the caller says so in its
 * line), and the count starts again.
 */
bool ratelimit_allow(struct ratelimit *rl, uint64_t now_ns, uint64_t interval_ns,
		     unsigned burst, uint64_t *ret_missed);
