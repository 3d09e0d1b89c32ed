/* SPDX-License-Identifier: MIT */
/*
 * fence_wait - waiting for fences without blocking the loop.
 *
 * A wait is an object the caller embeds (a blocked ioctl, a DMA transfer
 * waiting for its buffers' implicit fences). It holds a reference to each
 * fence it waits for and a timer for its timeout, and reports exactly once,
 * with the kernel's dma_fence_wait_timeout() conventions:
 *
 *   > 0   the fences signaled; the value is the time left, in ns (at least 1)
 *   0     the timeout expired first
 *   1     timeout 0 (a poll) and the fences have signaled
 *   0     timeout 0 and they have not
 *
 * A timeout of FENCE_WAIT_FOREVER arms no timer; the owner must then cancel
 * the wait itself when its caller goes away or is interrupted.
 *
 * Loop thread only.
 */
#pragma once

#include <stdint.h>

#include "clock.h"
#include "fence.h"

#define FENCE_WAIT_FOREVER INT64_MAX

enum fence_wait_mode {
	FENCE_WAIT_ALL,
	FENCE_WAIT_ANY,
};

struct fence_wait;
typedef void (*fence_wait_done_fn)(struct fence_wait *wait, int64_t result);

struct fence_wait_slot {
	struct fence *fence;
	struct fence_cb cb;
	struct fence_wait *wait;
};

struct fence_wait {
	enum fence_wait_mode mode;
	unsigned num;
	unsigned pending;
	/* FENCE_WAIT_ANY: index of the first fence that signaled, or -1. */
	int first_signaled;
	uint64_t deadline_ns;
	struct timer timer;
	fence_wait_done_fn done;
	struct fence_wait_slot *slots;
	bool active;
	/* Optional, set by the owner once the wait is armed: called when
	 * the timeout expires, before the fences are dropped and @done
	 * runs, so the owner can say what it waited for (the slots' fences,
	 * signaled or not). Must not cancel or free the wait. */
	void (*expired)(struct fence_wait *wait);
};

/*
 * Start waiting for @num fences (all of them, or any one) for at most
 * @timeout_ns. Returns:
 *   >= 0          the wait is already decided (see above); @done is not called
 *   -EINPROGRESS  the wait is armed; @done is called exactly once, later,
 *                 unless fence_wait_cancel() comes first
 *   -EINVAL       num == 0, a NULL fence or @done, or a negative timeout
 *   -ENOMEM
 * @wait must stay valid until @done has run or the wait is cancelled.
 */
int64_t fence_wait_start(struct fence_wait *wait, struct fence *const *fences,
		      unsigned num, enum fence_wait_mode mode,
		      int64_t timeout_ns, fence_wait_done_fn done);

/*
 * Stop an armed wait without calling @done: the caller replies for it
 * (interrupt, client gone). Returns true if the wait was still armed.
 * Safe to call on a wait that has completed.
 */
bool fence_wait_cancel(struct fence_wait *wait);
