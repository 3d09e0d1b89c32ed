/* SPDX-License-Identifier: MIT */
#include "fence_wait.h"

#include <errno.h>
#include <stdlib.h>

/* Drop every callback and reference the wait holds. */
static void fence_wait_release(struct fence_wait *wait)
{
	timer_cancel(&wait->timer);
	for (unsigned i = 0; i < wait->num; i++) {
		fence_remove_callback(wait->slots[i].fence, &wait->slots[i].cb);
		fence_unref(wait->slots[i].fence);
	}
	free(wait->slots);
	wait->slots = NULL;
	wait->num = 0;
	wait->active = false;
}

static void fence_wait_finish(struct fence_wait *wait, int64_t result)
{
	fence_wait_done_fn done = wait->done;

	fence_wait_release(wait);
	/* Last: @done may free or reuse @wait. */
	done(wait, result);
}

static int64_t fence_wait_time_left(const struct fence_wait *wait)
{
	uint64_t now = clock_now_ns();

	if (wait->deadline_ns == CLOCK_NS_NEVER)
		return FENCE_WAIT_FOREVER;
	/* Signaled in time counts as at least 1 ns left, as the kernel's jiffy. */
	return wait->deadline_ns > now ? (int64_t)(wait->deadline_ns - now) : 1;
}

static void fence_wait_fence_signaled(struct fence *fence, struct fence_cb *cb)
{
	struct fence_wait_slot *slot = container_of(cb, struct fence_wait_slot, cb);
	struct fence_wait *wait = slot->wait;

	if (wait->first_signaled < 0)
		wait->first_signaled = (int)(slot - wait->slots);
	if (--wait->pending == 0 || wait->mode == FENCE_WAIT_ANY)
		fence_wait_finish(wait, fence_wait_time_left(wait));
}

static void fence_wait_timeout(struct timer *timer)
{
	struct fence_wait *wait = container_of(timer, struct fence_wait, timer);

	if (wait->expired)
		wait->expired(wait);
	fence_wait_finish(wait, 0);
}

int64_t fence_wait_start(struct fence_wait *wait, struct fence *const *fences,
		      unsigned num, enum fence_wait_mode mode,
		      int64_t timeout_ns, fence_wait_done_fn done)
{
	unsigned signaled = 0;
	int first = -1;

	if (!wait || !fences || num == 0 || !done || timeout_ns < 0 ||
	    (mode != FENCE_WAIT_ALL && mode != FENCE_WAIT_ANY))
		return -EINVAL;
	for (unsigned i = 0; i < num; i++)
		if (!fences[i])
			return -EINVAL;

	for (unsigned i = 0; i < num; i++) {
		fence_enable_signaling(fences[i]);
		if (fence_is_signaled(fences[i])) {
			signaled++;
			if (first < 0)
				first = (int)i;
		}
	}

	*wait = (struct fence_wait){
		.mode = mode,
		.first_signaled = first,
		.done = done,
	};
	timer_init(&wait->timer, fence_wait_timeout);

	if (signaled == num || (mode == FENCE_WAIT_ANY && signaled > 0))
		return timeout_ns == 0 ? 1 : timeout_ns;
	if (timeout_ns == 0)
		return 0;

	wait->slots = calloc(num, sizeof(*wait->slots));
	if (!wait->slots)
		return -ENOMEM;
	wait->num = num;
	wait->pending = num;
	wait->active = true;

	if (timeout_ns == FENCE_WAIT_FOREVER ||
	    (uint64_t)timeout_ns >= CLOCK_NS_NEVER - clock_now_ns())
		wait->deadline_ns = CLOCK_NS_NEVER;
	else
		wait->deadline_ns = clock_now_ns() + (uint64_t)timeout_ns;

	for (unsigned i = 0; i < num; i++) {
		wait->slots[i].fence = fence_ref(fences[i]);
		wait->slots[i].wait = wait;
	}
	/*
	 * Nothing signals while we register (single thread), so every
	 * unsignaled fence registers; signaled ones count down at once.
	 */
	for (unsigned i = 0; i < num; i++) {
		struct fence_wait_slot *slot = &wait->slots[i];

		if (fence_add_callback(slot->fence, &slot->cb,
				       fence_wait_fence_signaled) == -ENOENT)
			wait->pending--;
	}
	if (wait->deadline_ns != CLOCK_NS_NEVER)
		timer_arm(&wait->timer, wait->deadline_ns);
	return -EINPROGRESS;
}

bool fence_wait_cancel(struct fence_wait *wait)
{
	if (!wait->active)
		return false;
	fence_wait_release(wait);
	return true;
}
