/* SPDX-License-Identifier: MIT */
/*
 * The pending list is kept in seqno order, as the kernel's pt_list is. All
 * pending points lie within 2^31 after the timeline's value, so the 32-bit
 * wrap comparison orders them consistently, and every increment only ever
 * takes points off the head. Creation walks from the tail, because new
 * points are usually the latest ones.
 *
 * The list holds no reference: a point unlinks itself when it is released.
 * Entries the timeline did not signal itself (see timeline.h) are skipped
 * by the read-only walkers and unlinked by the others when they meet them.
 *
 * live_timelines lists every timeline until its last unref, without a
 * reference either.
 */
#include "timeline.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "objstat.h"

/* sw_sync's SW_SYNC_HAS_DEADLINE_BIT: a deadline has been recorded. */
#define SYNC_PT_HAS_DEADLINE_BIT FENCE_FLAG_USER_BITS

struct sync_pt {
	struct fence base;
	struct timeline *tl;
	TAILQ_ENTRY(sync_pt) link;
	bool linked;
	uint64_t deadline_ns;
};

TAILQ_HEAD(sync_pt_list, sync_pt);

struct timeline {
	unsigned refcount;
	uint64_t context;
	uint32_t value;
	bool closed;
	uid_t owner; /* given to its points */
	char name[TIMELINE_NAME_LEN];
	struct sync_pt_list pending;
	TAILQ_ENTRY(timeline) live_node;
	struct seq_node list_node; /* by number: timeline_seek() */
};

static TAILQ_HEAD(, timeline) live_timelines =
	TAILQ_HEAD_INITIALIZER(live_timelines);
static struct seq_tree timeline_tree = SEQ_TREE_INIT;

static const struct fence_ops sync_pt_ops;

static struct sync_pt *to_sync_pt(const struct fence *fence)
{
	return container_of(fence, struct sync_pt, base);
}

static bool sync_pt_signaled(const struct sync_pt *pt)
{
	return pt->base.flags & (1ul << FENCE_FLAG_SIGNALED_BIT);
}

static void sync_pt_unlink(struct sync_pt *pt)
{
	TAILQ_REMOVE(&pt->tl->pending, pt, link);
	pt->linked = false;
}

/* Point ops. */

static const char *sync_pt_driver_name(struct fence *fence)
{
	return SW_SYNC_DRIVER_NAME;
}

static const char *sync_pt_timeline_name(struct fence *fence)
{
	return to_sync_pt(fence)->tl->name;
}

static void sync_pt_set_deadline(struct fence *fence, uint64_t deadline_ns)
{
	struct sync_pt *pt = to_sync_pt(fence);
	unsigned long bit = 1ul << SYNC_PT_HAS_DEADLINE_BIT;

	if (!(fence->flags & bit) || deadline_ns < pt->deadline_ns)
		pt->deadline_ns = deadline_ns;
	fence->flags |= bit;
}

static void sync_pt_release(struct fence *fence)
{
	struct sync_pt *pt = to_sync_pt(fence);

	if (pt->linked)
		sync_pt_unlink(pt);
	timeline_unref(pt->tl);
	free(pt);
}

/*
 * No enable_signaling and no signaled op: the timeline signals every point
 * it reaches at once, so there is never a reached point left to poll for.
 */
static const struct fence_ops sync_pt_ops = {
	.get_driver_name = sync_pt_driver_name,
	.get_timeline_name = sync_pt_timeline_name,
	.set_deadline = sync_pt_set_deadline,
	.release = sync_pt_release,
};

/* Timeline. */

int timeline_new(const char *name, struct timeline **ret_timeline)
{
	struct timeline *tl;

	if (!name || !ret_timeline || strlen(name) >= TIMELINE_NAME_LEN)
		return -EINVAL;

	tl = calloc(1, sizeof(*tl));
	if (!tl)
		return -ENOMEM;
	tl->refcount = 1;
	tl->context = fence_context_alloc(1);
	tl->owner = ACCT_NO_OWNER;
	strcpy(tl->name, name);
	TAILQ_INIT(&tl->pending);
	TAILQ_INSERT_TAIL(&live_timelines, tl, live_node);
	seq_tree_add(&timeline_tree, &tl->list_node);
	objstat_inc(OBJ_TIMELINE);

	*ret_timeline = tl;
	return 0;
}

void timeline_set_owner(struct timeline *tl, uid_t uid)
{
	tl->owner = uid;
}

uid_t timeline_owner(const struct timeline *tl)
{
	return tl->owner;
}

struct timeline *timeline_ref(struct timeline *tl)
{
	if (tl) {
		assert(tl->refcount > 0);
		tl->refcount++;
	}
	return tl;
}

struct timeline *timeline_unref(struct timeline *tl)
{
	if (!tl)
		return NULL;
	assert(tl->refcount > 0);
	if (--tl->refcount > 0)
		return NULL;

	/* Every point holds a reference: none can be left. */
	assert(TAILQ_EMPTY(&tl->pending));
	TAILQ_REMOVE(&live_timelines, tl, live_node);
	seq_tree_remove(&timeline_tree, &tl->list_node);
	objstat_dec(OBJ_TIMELINE);
	free(tl);
	return NULL;
}

struct timeline *timeline_close(struct timeline *tl)
{
	struct sync_pt *pt;

	if (!tl)
		return NULL;

	/* Callbacks that try to create points from here on are refused. */
	tl->closed = true;
	while ((pt = TAILQ_FIRST(&tl->pending))) {
		sync_pt_unlink(pt);
		if (sync_pt_signaled(pt))
			continue;
		fence_set_error(&pt->base, -ENOENT);
		fence_signal(&pt->base);
	}
	return timeline_unref(tl);
}

int timeline_create_fence(struct timeline *tl, uint32_t value,
			  struct fence **ret_fence)
{
	struct sync_pt *pt, *pos, *prev;

	if (!tl || !ret_fence)
		return -EINVAL;
	if (tl->closed)
		return -ENODEV;

	/*
	 * A point the timeline has reached is born signaled and never
	 * listed; otherwise find the same value (shared) or the place that
	 * keeps the list in order.
	 */
	pos = NULL;
	if (fence_seqno_is_later(value, tl->value, false)) {
		for (pos = TAILQ_LAST(&tl->pending, sync_pt_list); pos; pos = prev) {
			prev = TAILQ_PREV(pos, sync_pt_list, link);
			if (sync_pt_signaled(pos)) {
				sync_pt_unlink(pos);
				continue;
			}
			if ((uint32_t)pos->base.seqno == value) {
				*ret_fence = fence_ref(&pos->base);
				return 0;
			}
			if (fence_seqno_is_later(value, pos->base.seqno, false))
				break;
		}
	}

	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	fence_init(&pt->base, &sync_pt_ops, tl->context, value);
	pt->base.owner = tl->owner;
	pt->tl = timeline_ref(tl);

	if (!fence_seqno_is_later(value, tl->value, false)) {
		fence_signal(&pt->base);
	} else {
		if (pos)
			TAILQ_INSERT_AFTER(&tl->pending, pos, pt, link);
		else
			TAILQ_INSERT_HEAD(&tl->pending, pt, link);
		pt->linked = true;
	}

	*ret_fence = &pt->base;
	return 0;
}

/* Advance by @step (<= INT32_MAX) and signal what has been reached. */
static void timeline_signal(struct timeline *tl, uint32_t step)
{
	struct sync_pt *pt;

	tl->value += step;
	/*
	 * Re-read the head every time: a callback may create, release or
	 * signal points, or increment the timeline itself.
	 */
	while ((pt = TAILQ_FIRST(&tl->pending))) {
		if (!sync_pt_signaled(pt) &&
		    fence_seqno_is_later(pt->base.seqno, tl->value, false))
			break;
		sync_pt_unlink(pt);
		if (!sync_pt_signaled(pt))
			fence_signal(&pt->base);
	}
}

int timeline_inc(struct timeline *tl, uint32_t inc)
{
	if (!tl)
		return -EINVAL;
	if (tl->closed)
		return -ENODEV;

	/* A callback may drop the caller's reference (by closing it). */
	timeline_ref(tl);
	while (inc > INT32_MAX) {
		timeline_signal(tl, INT32_MAX);
		inc -= INT32_MAX;
	}
	timeline_signal(tl, inc);
	timeline_unref(tl);
	return 0;
}

uint32_t timeline_value(const struct timeline *tl)
{
	return tl->value;
}

const char *timeline_name(const struct timeline *tl)
{
	return tl->name;
}

uint64_t timeline_context(const struct timeline *tl)
{
	return tl->context;
}

bool timeline_is_closed(const struct timeline *tl)
{
	return tl->closed;
}

unsigned timeline_pending_count(const struct timeline *tl)
{
	const struct sync_pt *pt;
	unsigned n = 0;

	TAILQ_FOREACH(pt, &tl->pending, link)
		if (!sync_pt_signaled(pt))
			n++;
	return n;
}

int timeline_foreach_pending(const struct timeline *tl,
			     int (*fn)(struct fence *fence, void *data),
			     void *data)
{
	struct sync_pt *pt;
	int r;

	TAILQ_FOREACH(pt, &tl->pending, link) {
		if (sync_pt_signaled(pt))
			continue;
		r = fn(&pt->base, data);
		if (r)
			return r;
	}
	return 0;
}

struct timeline *timeline_seek(uint64_t seq)
{
	struct seq_node *n = seq_tree_seek(&timeline_tree, seq);

	return n ? container_of(n, struct timeline, list_node) : NULL;
}

uint64_t timeline_list_seq(const struct timeline *tl)
{
	return tl->list_node.seq;
}

int timeline_foreach(int (*fn)(struct timeline *tl, void *data), void *data)
{
	struct timeline *tl;
	int r;

	TAILQ_FOREACH(tl, &live_timelines, live_node) {
		r = fn(tl, data);
		if (r)
			return r;
	}
	return 0;
}

bool fence_is_sync_pt(const struct fence *fence)
{
	return fence && fence->ops == &sync_pt_ops;
}

struct timeline *sync_pt_timeline(const struct fence *fence)
{
	return fence_is_sync_pt(fence) ? to_sync_pt(fence)->tl : NULL;
}

int sync_pt_get_deadline(const struct fence *fence, uint64_t *ret_deadline_ns)
{
	if (!fence_is_sync_pt(fence) || !ret_deadline_ns)
		return -EINVAL;
	if (!(fence->flags & (1ul << SYNC_PT_HAS_DEADLINE_BIT)))
		return -ENOENT;
	*ret_deadline_ns = to_sync_pt(fence)->deadline_ns;
	return 0;
}
