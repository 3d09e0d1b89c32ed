/* SPDX-License-Identifier: MIT */
/*
 * The pending points are kept in seqno order, as the kernel's pt_list is,
 * but in a treap rather than a list, so that creating a point (find the
 * same value, or the place for a new one) costs O(log n) however many are
 * pending. All pending points lie within 2^31 after the timeline's value,
 * so the tree is keyed by the distance seqno - value as an unsigned 32-bit
 * number: that order is the 32-bit wrap comparison's, and an increment
 * lowers every key by the same amount, so it never reorders the tree.
 * Priorities come from a 64-bit mixer over the point's address.
 *
 * An increment first cuts off the subtree of the points it reaches (every
 * key <= the step, against the old value) and strings them, in order, on
 * the timeline's reached list; only then does the value move and do the
 * points signal, head first. So the tree only ever holds points later
 * than the value, whatever the fence callbacks do meanwhile: a callback
 * that increments again appends behind what is still waiting on the
 * list, and the list is signaled head first as the old single list was.
 * timeline_close() moves the whole tree onto the list the same way.
 *
 * Neither the tree nor the list holds a reference: a point unlinks itself
 * when it is released. Points the timeline did not signal itself (see
 * timeline.h) stay in place until the timeline reaches them, a new point
 * takes their value, or they are released; the walkers skip them.
 *
 * The recursions go as deep as the tree, O(log n) expected.
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

/*
 * Where a point is linked, in two more of the fence's user bits (a field
 * of its own would cost a 16-byte step of malloc's): neither, the
 * pending tree (tl->tree) or the reached list (tl->reached).
 */
#define SYNC_PT_IN_TREE_BIT (FENCE_FLAG_USER_BITS + 1)
#define SYNC_PT_REACHED_BIT (FENCE_FLAG_USER_BITS + 2)

enum sync_pt_place {
	SYNC_PT_UNLINKED = 0,
	SYNC_PT_IN_TREE = 1u << SYNC_PT_IN_TREE_BIT,
	SYNC_PT_REACHED = 1u << SYNC_PT_REACHED_BIT,
};

/*
 * The tree links come first: a search reads them and the seqno, which
 * then share a cache line more often than not.
 */
struct sync_pt {
	union {
		struct {
			struct sync_pt *left, *right;
		};
		TAILQ_ENTRY(sync_pt) reached_link;
	};
	struct fence base;
	struct timeline *tl;
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
	struct sync_pt *tree;	     /* pending points, by seqno - value */
	struct sync_pt_list reached; /* taken off the tree, to signal */
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
	return pt->base.flags & (1u << FENCE_FLAG_SIGNALED_BIT);
}

static enum sync_pt_place sync_pt_place(const struct sync_pt *pt)
{
	return pt->base.flags & (SYNC_PT_IN_TREE | SYNC_PT_REACHED);
}

static void sync_pt_set_place(struct sync_pt *pt, enum sync_pt_place place)
{
	pt->base.flags &= ~(uint32_t)(SYNC_PT_IN_TREE | SYNC_PT_REACHED);
	pt->base.flags |= place;
}

static uint32_t sync_pt_key(const struct sync_pt *pt)
{
	return (uint32_t)pt->base.seqno - pt->tl->value;
}

static uint64_t sync_pt_prio(const struct sync_pt *pt)
{
	uint64_t x = (uintptr_t)pt;

	x = (x ^ (x >> 31)) * 0x7fb5d329728ea185ull;
	x = (x ^ (x >> 27)) * 0x81dadef4bc2dd44dull;
	return x ^ (x >> 33);
}

static struct sync_pt *pt_rotate_left(struct sync_pt *n)
{
	struct sync_pt *r = n->right;

	n->right = r->left;
	r->left = n;
	return r;
}

static struct sync_pt *pt_rotate_right(struct sync_pt *n)
{
	struct sync_pt *l = n->left;

	n->left = l->right;
	l->right = n;
	return l;
}

/* Add @pt, whose key is in no node under @root. */
static struct sync_pt *pt_insert(struct sync_pt *root, struct sync_pt *pt)
{
	if (!root)
		return pt;
	if (sync_pt_key(pt) < sync_pt_key(root)) {
		root->left = pt_insert(root->left, pt);
		if (sync_pt_prio(root->left) > sync_pt_prio(root))
			root = pt_rotate_right(root);
	} else {
		root->right = pt_insert(root->right, pt);
		if (sync_pt_prio(root->right) > sync_pt_prio(root))
			root = pt_rotate_left(root);
	}
	return root;
}

/* Every key under @a is smaller than every key under @b. */
static struct sync_pt *pt_merge(struct sync_pt *a, struct sync_pt *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (sync_pt_prio(a) > sync_pt_prio(b)) {
		a->right = pt_merge(a->right, b);
		return a;
	}
	b->left = pt_merge(a, b->left);
	return b;
}

static struct sync_pt *pt_erase(struct sync_pt *root, uint32_t key)
{
	uint32_t k;

	assert(root);
	k = sync_pt_key(root);
	if (key == k)
		return pt_merge(root->left, root->right);
	if (key < k)
		root->left = pt_erase(root->left, key);
	else
		root->right = pt_erase(root->right, key);
	return root;
}

/* Cut @root into the keys <= @key (*ret_le) and the rest (returned). */
static struct sync_pt *pt_split(struct sync_pt *root, uint32_t key,
				struct sync_pt **ret_le)
{
	struct sync_pt *le, *gt;

	if (!root) {
		*ret_le = NULL;
		return NULL;
	}
	if (sync_pt_key(root) <= key) {
		gt = pt_split(root->right, key, &le);
		root->right = le;
		*ret_le = root;
		return gt;
	}
	root->left = pt_split(root->left, key, &le);
	*ret_le = le;
	return root;
}

/* Append the points under @root, in order, to the reached list. */
static void pt_append_reached(struct timeline *tl, struct sync_pt *root)
{
	struct sync_pt *right;

	if (!root)
		return;
	right = root->right;
	pt_append_reached(tl, root->left);
	TAILQ_INSERT_TAIL(&tl->reached, root, reached_link);
	sync_pt_set_place(root, SYNC_PT_REACHED);
	pt_append_reached(tl, right);
}

static struct sync_pt *pt_find(const struct timeline *tl, uint32_t key)
{
	struct sync_pt *n = tl->tree;
	uint32_t k;

	while (n) {
		k = sync_pt_key(n);
		if (key == k)
			return n;
		n = key < k ? n->left : n->right;
	}
	return NULL;
}

/* In seqno order, skipping points signaled by someone else. */
static int pt_walk(struct sync_pt *root,
		   int (*fn)(struct fence *fence, void *data), void *data)
{
	int r;

	if (!root)
		return 0;
	r = pt_walk(root->left, fn, data);
	if (r)
		return r;
	if (!sync_pt_signaled(root)) {
		r = fn(&root->base, data);
		if (r)
			return r;
	}
	return pt_walk(root->right, fn, data);
}

static void sync_pt_unlink(struct sync_pt *pt)
{
	struct timeline *tl = pt->tl;

	if (sync_pt_place(pt) == SYNC_PT_IN_TREE)
		tl->tree = pt_erase(tl->tree, sync_pt_key(pt));
	else if (sync_pt_place(pt) == SYNC_PT_REACHED)
		TAILQ_REMOVE(&tl->reached, pt, reached_link);
	sync_pt_set_place(pt, SYNC_PT_UNLINKED);
}

/* Move the points up to @key (against the current value) to the list. */
static void timeline_reach(struct timeline *tl, uint32_t key)
{
	struct sync_pt *le;

	tl->tree = pt_split(tl->tree, key, &le);
	pt_append_reached(tl, le);
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
	uint32_t bit = 1u << SYNC_PT_HAS_DEADLINE_BIT;

	/* ktime_before(): the kernel's deadline is a signed 64-bit ktime_t
	 * (ns_to_ktime() of the uapi's __u64), so 2^63 and above are
	 * earlier than 0. */
	if (!(fence->flags & bit) ||
	    (int64_t)deadline_ns < (int64_t)pt->deadline_ns)
		pt->deadline_ns = deadline_ns;
	fence->flags |= bit;
}

static void sync_pt_release(struct fence *fence)
{
	struct sync_pt *pt = to_sync_pt(fence);

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
	TAILQ_INIT(&tl->reached);
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
	assert(!tl->tree && TAILQ_EMPTY(&tl->reached));
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
	timeline_reach(tl, UINT32_MAX);
	while ((pt = TAILQ_FIRST(&tl->reached))) {
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
	struct sync_pt *pt, *same;
	bool later;

	if (!tl || !ret_fence)
		return -EINVAL;
	if (tl->closed)
		return -ENODEV;

	/*
	 * A point the timeline has reached is born signaled and never
	 * listed; otherwise a pending point of the same value is shared,
	 * and one signaled by someone else gives its place up.
	 */
	later = fence_seqno_is_later(value, tl->value, false);
	if (later) {
		same = pt_find(tl, value - tl->value);
		if (same && !sync_pt_signaled(same)) {
			*ret_fence = fence_ref(&same->base);
			return 0;
		}
		if (same)
			sync_pt_unlink(same);
	}

	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	fence_init(&pt->base, &sync_pt_ops, tl->context, value);
	pt->base.owner = tl->owner;
	pt->tl = timeline_ref(tl);

	if (!later) {
		fence_signal(&pt->base);
	} else {
		tl->tree = pt_insert(tl->tree, pt);
		sync_pt_set_place(pt, SYNC_PT_IN_TREE);
	}

	*ret_fence = &pt->base;
	return 0;
}

/* Advance by @step (<= INT32_MAX) and signal what has been reached. */
static void timeline_signal(struct timeline *tl, uint32_t step)
{
	struct sync_pt *pt;

	timeline_reach(tl, step);
	tl->value += step;
	/*
	 * Re-read the head every time: a callback may create, release or
	 * signal points, or increment or close the timeline itself.
	 */
	while ((pt = TAILQ_FIRST(&tl->reached))) {
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

static int count_one(struct fence *fence, void *data)
{
	(*(unsigned *)data)++;
	return 0;
}

unsigned timeline_pending_count(const struct timeline *tl)
{
	unsigned n = 0;

	timeline_foreach_pending(tl, count_one, &n);
	return n;
}

int timeline_foreach_pending(const struct timeline *tl,
			     int (*fn)(struct fence *fence, void *data),
			     void *data)
{
	struct sync_pt *pt;
	int r;

	/* The reached points come first: they are the earliest. */
	TAILQ_FOREACH(pt, &tl->reached, reached_link) {
		if (sync_pt_signaled(pt))
			continue;
		r = fn(&pt->base, data);
		if (r)
			return r;
	}
	return pt_walk(tl->tree, fn, data);
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
	if (!(fence->flags & (1u << SYNC_PT_HAS_DEADLINE_BIT)))
		return -ENOENT;
	*ret_deadline_ns = to_sync_pt(fence)->deadline_ns;
	return 0;
}
