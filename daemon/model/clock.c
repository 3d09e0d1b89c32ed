/* SPDX-License-Identifier: MIT */
/*
 * The timer queue is a binary min-heap made of the timers themselves (a
 * parent and two child pointers in each, the shape libuv's timer heap
 * has): arming allocates nothing and cannot fail, and arming, cancelling
 * and firing cost O(log n) however many token TTLs and wait timeouts are
 * pending. The heap is complete: the node at position k (the root is 1)
 * is reached from the root by the bits of k after its leading one, 0 for
 * left and 1 for right, so the next free slot and the last node are both
 * found in log2(n) steps.
 *
 * Timers are ordered by (expiry, arming sequence number): equal expiries
 * fire in the order they were armed, as they did when the queue was a
 * sorted list, and a re-arm counts as a new arming.
 */
#include "clock.h"

#include <stddef.h>
#include <time.h>

static uint64_t (*clock_source)(void);

static struct timer *timerq_root;
static unsigned timerq_count;
static uint64_t timerq_seq; /* the last arming's number */
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
	timer->seq = 0;
	timer->parent = timer->left = timer->right = NULL;
	timer->armed = false;
}

/* Earlier expiry, or the same one armed before. */
static bool timer_before(const struct timer *a, const struct timer *b)
{
	if (a->expires_ns != b->expires_ns)
		return a->expires_ns < b->expires_ns;
	return a->seq < b->seq;
}

/*
 * The link (the root pointer or a child field) that holds heap position
 * @pos (1-based, <= the node count + 1), and its parent in *ret_parent.
 */
static struct timer **timerq_link(unsigned pos, struct timer **ret_parent)
{
	struct timer **link = &timerq_root, *parent = NULL;
	int bit = 31 - __builtin_clz(pos);

	while (--bit >= 0) {
		parent = *link;
		link = (pos >> bit) & 1 ? &parent->right : &parent->left;
	}
	*ret_parent = parent;
	return link;
}

/* Point whatever pointed at @old (its parent's link or the root) at @new. */
static void timerq_relink(struct timer *parent, struct timer *old,
			  struct timer *new)
{
	if (!parent)
		timerq_root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/* Swap @child with its parent. */
static void timerq_swap_up(struct timer *child)
{
	struct timer *p = child->parent;
	struct timer *cl = child->left, *cr = child->right;

	timerq_relink(p->parent, p, child);
	child->parent = p->parent;
	if (p->left == child) {
		child->left = p;
		child->right = p->right;
	} else {
		child->left = p->left;
		child->right = p;
	}
	if (child->left && child->left != p)
		child->left->parent = child;
	if (child->right && child->right != p)
		child->right->parent = child;
	p->parent = child;
	p->left = cl;
	p->right = cr;
	if (cl)
		cl->parent = p;
	if (cr)
		cr->parent = p;
}

static void timerq_sift_up(struct timer *timer)
{
	while (timer->parent && timer_before(timer, timer->parent))
		timerq_swap_up(timer);
}

static void timerq_sift_down(struct timer *timer)
{
	struct timer *min;

	for (;;) {
		min = timer->left;
		if (timer->right && timer_before(timer->right, min))
			min = timer->right;
		if (!min || !timer_before(min, timer))
			return;
		timerq_swap_up(min);
	}
}

void timer_arm(struct timer *timer, uint64_t expires_ns)
{
	struct timer **link, *parent;

	timer_cancel(timer);
	timer->expires_ns = expires_ns;
	timer->seq = ++timerq_seq;
	link = timerq_link(++timerq_count, &parent);
	*link = timer;
	timer->parent = parent;
	timer->left = timer->right = NULL;
	timer->armed = true;
	timerq_sift_up(timer);
	if (timerq_root == timer && timerq_notify)
		timerq_notify(timerq_notify_data);
}

bool timer_cancel(struct timer *timer)
{
	struct timer **link, *last, *parent;

	if (!timer->armed)
		return false;
	timer->armed = false;

	/* Take the last node out, then put it where @timer was. */
	link = timerq_link(timerq_count--, &parent);
	last = *link;
	*link = NULL;
	if (last == timer)
		return true;
	last->parent = timer->parent;
	last->left = timer->left;
	last->right = timer->right;
	timerq_relink(timer->parent, timer, last);
	if (last->left)
		last->left->parent = last;
	if (last->right)
		last->right->parent = last;
	if (last->parent && timer_before(last, last->parent))
		timerq_sift_up(last);
	else
		timerq_sift_down(last);
	return true;
}

uint64_t timerq_next(void)
{
	return timerq_root ? timerq_root->expires_ns : CLOCK_NS_NEVER;
}

unsigned timerq_run(uint64_t now_ns)
{
	struct timer *timer;
	unsigned fired = 0;

	while ((timer = timerq_root) && timer->expires_ns <= now_ns) {
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
