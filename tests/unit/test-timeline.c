/* SPDX-License-Identifier: MIT */
/*
 * sw_sync timelines and their points: creation, increments, the 32-bit
 * wrap, close, deadlines and the pending list.
 */
#include "helpers.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/fence.h"
#include "model/timeline.h"

/* Records the order in which watched fences signal. */
struct watch {
	struct fence_cb cb;
	int id;
};

static int signal_order[16];
static unsigned signal_count;

static void watch_signaled(struct fence *fence, struct fence_cb *cb)
{
	struct watch *w = container_of(cb, struct watch, cb);

	assert_true(signal_count < ARRAY_SIZE(signal_order));
	signal_order[signal_count++] = w->id;
}

static void watch(struct fence *fence, struct watch *w, int id)
{
	w->id = id;
	assert_int_equal(fence_add_callback(fence, &w->cb, watch_signaled), 0);
}

static void reset_order(void)
{
	signal_count = 0;
	memset(signal_order, 0, sizeof(signal_order));
}

static struct timeline *new_timeline(const char *name)
{
	struct timeline *tl = NULL;

	assert_int_equal(timeline_new(name, &tl), 0);
	assert_non_null(tl);
	return tl;
}

static struct fence *create(struct timeline *tl, uint32_t value)
{
	struct fence *f = NULL;

	assert_int_equal(timeline_create_fence(tl, value, &f), 0);
	assert_non_null(f);
	return f;
}

/* Life cycle. */

static void timeline_new_counts_one_object_and_unref_frees_it(void **state)
{
	struct timeline *tl = new_timeline("prog");

	assert_int_equal(objstat_get(OBJ_TIMELINE), 1);
	assert_ptr_equal(timeline_ref(tl), tl);
	assert_null(timeline_unref(tl));
	assert_int_equal(objstat_get(OBJ_TIMELINE), 1);
	assert_null(timeline_unref(tl));
	assert_int_equal(objstat_get(OBJ_TIMELINE), 0);
}

static void timeline_unref_null_is_noop(void **state)
{
	assert_null(timeline_unref(NULL));
	assert_null(timeline_ref(NULL));
	assert_null(timeline_close(NULL));
	assert_int_equal(objstat_get(OBJ_TIMELINE), 0);
}

static void timeline_new_rejects_null_name(void **state)
{
	struct timeline *tl = (struct timeline *)0x1;

	assert_int_equal(timeline_new(NULL, &tl), -EINVAL);
	assert_ptr_equal(tl, (struct timeline *)0x1);
	assert_int_equal(timeline_new("x", NULL), -EINVAL);
	assert_int_equal(objstat_get(OBJ_TIMELINE), 0);
}

static void timeline_new_rejects_name_longer_than_31(void **state)
{
	char name[33];
	struct timeline *tl = (struct timeline *)0x1;

	memset(name, 'a', 32);
	name[32] = '\0';
	assert_int_equal(timeline_new(name, &tl), -EINVAL);
	assert_ptr_equal(tl, (struct timeline *)0x1);
	assert_int_equal(objstat_get(OBJ_TIMELINE), 0);

	name[31] = '\0';
	tl = new_timeline(name);
	assert_string_equal(timeline_name(tl), name);
	assert_int_equal(strlen(timeline_name(tl)), 31);
	timeline_unref(tl);
}

static void timeline_starts_at_zero_on_a_fresh_context(void **state)
{
	struct timeline *a = new_timeline("first");
	struct timeline *b = new_timeline("second");

	assert_int_equal(timeline_value(a), 0);
	assert_int_equal(timeline_value(b), 0);
	assert_string_equal(timeline_name(a), "first");
	assert_string_equal(timeline_name(b), "second");
	assert_true(timeline_context(a) != 0);
	assert_int_equal(timeline_context(b), timeline_context(a) + 1);
	assert_false(timeline_is_closed(a));
	assert_int_equal(timeline_pending_count(a), 0);
	timeline_unref(a);
	timeline_unref(b);
}

/* Creating points. */

static void timeline_create_fence_rejects_null_arguments(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f = (struct fence *)0x1;

	assert_int_equal(timeline_create_fence(NULL, 1, &f), -EINVAL);
	assert_int_equal(timeline_create_fence(tl, 1, NULL), -EINVAL);
	assert_ptr_equal(f, (struct fence *)0x1);
	assert_int_equal(objstat_get(OBJ_FENCE), 0);
	assert_int_equal(timeline_inc(NULL, 1), -EINVAL);
	timeline_unref(tl);
}

static void timeline_create_above_value_is_pending(void **state)
{
	struct timeline *tl = new_timeline("myprog");
	struct fence *f = create(tl, 5);

	assert_int_equal(fence_get_status(f), 0);
	assert_int_equal(f->seqno, 5);
	assert_int_equal(f->context, timeline_context(tl));
	assert_string_equal(fence_driver_name(f), "sw_sync");
	assert_string_equal(fence_timeline_name(f), "myprog");
	assert_int_equal(fence_timestamp(f), 0);
	assert_int_equal(timeline_pending_count(tl), 1);
	assert_int_equal(objstat_get(OBJ_FENCE), 1);
	fence_unref(f);
	timeline_unref(tl);
}

static void timeline_create_at_zero_on_fresh_timeline_is_born_signaled(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f = create(tl, 0);

	assert_int_equal(fence_get_status(f), 1);
	assert_int_equal(fence_timestamp(f), fake_now_ns);
	assert_int_equal(timeline_pending_count(tl), 0);
	fence_unref(f);
	timeline_unref(tl);
}

static void timeline_create_at_or_below_value_is_born_signaled(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *at, *below, *above;

	assert_int_equal(timeline_inc(tl, 10), 0);
	at = create(tl, 10);
	below = create(tl, 3);
	above = create(tl, 11);
	assert_int_equal(fence_get_status(at), 1);
	assert_int_equal(fence_get_status(below), 1);
	assert_int_equal(fence_get_status(above), 0);
	assert_int_equal(timeline_pending_count(tl), 1);
	fence_unref(at);
	fence_unref(below);
	fence_unref(above);
	timeline_unref(tl);
}

static void timeline_create_same_pending_value_returns_same_fence(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *a = create(tl, 7);
	struct fence *b = create(tl, 7);

	assert_ptr_equal(a, b);
	assert_int_equal(a->refcount, 2);
	assert_int_equal(objstat_get(OBJ_FENCE), 1);
	assert_int_equal(timeline_pending_count(tl), 1);
	fence_unref(a);
	assert_int_equal(fence_get_status(b), 0);
	assert_int_equal(timeline_inc(tl, 7), 0);
	assert_int_equal(fence_get_status(b), 1);
	fence_unref(b);
	timeline_unref(tl);
}

static void timeline_create_same_signaled_value_gives_distinct_fences(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *a = create(tl, 0);
	struct fence *b = create(tl, 0);

	assert_ptr_not_equal(a, b);
	assert_int_equal(objstat_get(OBJ_FENCE), 2);
	fence_unref(a);
	fence_unref(b);
	timeline_unref(tl);
}

static void fences_keep_the_timeline_alive(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f = create(tl, 3);

	timeline_unref(tl);
	assert_int_equal(objstat_get(OBJ_TIMELINE), 1);
	assert_string_equal(fence_timeline_name(f), "prog");
	assert_ptr_equal(sync_pt_timeline(f), tl);
	fence_unref(f);
	assert_int_equal(objstat_get(OBJ_TIMELINE), 0);
}

/* Increments. */

static void timeline_inc_signals_in_seqno_order(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f3 = create(tl, 3);
	struct fence *f1 = create(tl, 1);
	struct fence *f2 = create(tl, 2);
	struct watch w1, w2, w3;

	reset_order();
	watch(f3, &w3, 3);
	watch(f1, &w1, 1);
	watch(f2, &w2, 2);
	assert_int_equal(timeline_inc(tl, 3), 0);
	assert_int_equal(signal_count, 3);
	assert_int_equal(signal_order[0], 1);
	assert_int_equal(signal_order[1], 2);
	assert_int_equal(signal_order[2], 3);
	fence_unref(f1);
	fence_unref(f2);
	fence_unref(f3);
	timeline_unref(tl);
}

static void timeline_inc_signals_only_points_not_later_than_value(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f2 = create(tl, 2);
	struct fence *f3 = create(tl, 3);
	struct fence *f5 = create(tl, 5);

	assert_int_equal(timeline_inc(tl, 3), 0);
	assert_int_equal(timeline_value(tl), 3);
	assert_int_equal(fence_get_status(f2), 1);
	assert_int_equal(fence_get_status(f3), 1);
	assert_int_equal(fence_get_status(f5), 0);
	assert_int_equal(timeline_pending_count(tl), 1);

	assert_int_equal(timeline_inc(tl, 1), 0);
	assert_int_equal(fence_get_status(f5), 0);
	assert_int_equal(timeline_inc(tl, 1), 0);
	assert_int_equal(fence_get_status(f5), 1);
	assert_int_equal(timeline_value(tl), 5);
	assert_int_equal(timeline_pending_count(tl), 0);
	fence_unref(f2);
	fence_unref(f3);
	fence_unref(f5);
	timeline_unref(tl);
}

static void timeline_inc_by_zero_signals_nothing(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f = create(tl, 1);

	assert_int_equal(timeline_inc(tl, 0), 0);
	assert_int_equal(timeline_value(tl), 0);
	assert_int_equal(fence_get_status(f), 0);
	fence_unref(f);
	timeline_unref(tl);
}

static void timeline_signal_timestamp_comes_from_clock(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *a = create(tl, 1);
	struct fence *b = create(tl, 2);

	fake_clock_advance(1500);
	assert_int_equal(timeline_inc(tl, 1), 0);
	assert_int_equal(fence_timestamp(a), 1000001500ull);
	assert_int_equal(fence_timestamp(b), 0);
	fake_clock_advance(250);
	assert_int_equal(timeline_inc(tl, 1), 0);
	assert_int_equal(fence_timestamp(a), 1000001500ull);
	assert_int_equal(fence_timestamp(b), 1000001750ull);
	fence_unref(a);
	fence_unref(b);
	timeline_unref(tl);
}

static void timeline_wraps_around_past_uint32_max(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *wrapped, *high, *old;
	struct watch ww, wh;

	assert_int_equal(timeline_inc(tl, 0xfffffff0u), 0);
	assert_int_equal(timeline_value(tl), 0xfffffff0u);

	/* 4 is 20 after 0xfffffff0 in serial arithmetic, so it is later. */
	wrapped = create(tl, 4);
	high = create(tl, 0xfffffff8u);
	old = create(tl, 0xffffffe0u);
	assert_int_equal(fence_get_status(wrapped), 0);
	assert_int_equal(fence_get_status(high), 0);
	assert_int_equal(fence_get_status(old), 1);

	reset_order();
	watch(wrapped, &ww, 4);
	watch(high, &wh, 0xfff8);
	assert_int_equal(timeline_inc(tl, 0x10), 0);
	assert_int_equal(timeline_value(tl), 0);
	assert_int_equal(fence_get_status(high), 1);
	assert_int_equal(fence_get_status(wrapped), 0);
	assert_int_equal(timeline_inc(tl, 4), 0);
	assert_int_equal(fence_get_status(wrapped), 1);
	assert_int_equal(signal_count, 2);
	assert_int_equal(signal_order[0], 0xfff8);
	assert_int_equal(signal_order[1], 4);

	/* 0 (= 2^32) on a timeline at 4 has been passed. */
	fence_unref(old);
	old = create(tl, 0);
	assert_int_equal(fence_get_status(old), 1);
	fence_unref(old);
	fence_unref(wrapped);
	fence_unref(high);
	timeline_unref(tl);
}

static void timeline_inc_larger_than_int_max_steps_over_no_point(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *one = create(tl, 1);
	struct fence *mid = create(tl, 0x7fffffffu);

	/*
	 * One addition of 0xffffffff would land at -1, where 1 looks two
	 * steps in the future; steps of INT_MAX pass over it first.
	 */
	assert_int_equal(timeline_inc(tl, UINT32_MAX), 0);
	assert_int_equal(timeline_value(tl), UINT32_MAX);
	assert_int_equal(fence_get_status(one), 1);
	assert_int_equal(fence_get_status(mid), 1);
	assert_int_equal(timeline_pending_count(tl), 0);
	fence_unref(one);
	fence_unref(mid);
	timeline_unref(tl);
}

static void timeline_half_range_ahead_is_born_signaled(void **state)
{
	struct timeline *tl = new_timeline("prog");
	/* (int32_t)(0x80000000 - 0) is negative: not later than 0. */
	struct fence *half = create(tl, 0x80000000u);
	struct fence *below_half = create(tl, 0x7fffffffu);

	assert_int_equal(fence_get_status(half), 1);
	assert_int_equal(fence_get_status(below_half), 0);
	fence_unref(half);
	fence_unref(below_half);
	timeline_unref(tl);
}

/* A callback that creates points on its own timeline while it signals. */
struct reentrant {
	struct fence_cb cb;
	struct timeline *tl;
	struct fence *same, *next;
};

static void reentrant_signaled(struct fence *fence, struct fence_cb *cb)
{
	struct reentrant *r = container_of(cb, struct reentrant, cb);

	assert_int_equal(timeline_create_fence(r->tl, (uint32_t)fence->seqno, &r->same), 0);
	assert_int_equal(timeline_create_fence(r->tl, 3, &r->next), 0);
}

static void timeline_callback_may_create_points_while_signaling(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f1 = create(tl, 1);
	struct fence *f3;
	struct reentrant r = { .tl = tl };

	assert_int_equal(fence_add_callback(f1, &r.cb, reentrant_signaled), 0);
	assert_int_equal(timeline_inc(tl, 2), 0);
	/* Created at 1 while the timeline is at 2: a new, signaled fence. */
	assert_ptr_not_equal(r.same, f1);
	assert_int_equal(fence_get_status(r.same), 1);
	assert_int_equal(fence_get_status(r.next), 0);
	f3 = create(tl, 3);
	assert_ptr_equal(f3, r.next);
	assert_int_equal(timeline_inc(tl, 1), 0);
	assert_int_equal(fence_get_status(f3), 1);
	fence_unref(f3);
	fence_unref(r.same);
	fence_unref(r.next);
	fence_unref(f1);
	timeline_unref(tl);
}

/* The pending list. */

static void timeline_point_leaves_pending_list_when_released(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *a = create(tl, 5);
	struct fence *b;

	assert_int_equal(timeline_pending_count(tl), 1);
	fence_unref(a);
	assert_int_equal(timeline_pending_count(tl), 0);
	assert_int_equal(objstat_get(OBJ_FENCE), 0);
	b = create(tl, 5);
	assert_int_equal(fence_get_status(b), 0);
	assert_int_equal(objstat_get(OBJ_FENCE), 1);
	assert_int_equal(timeline_inc(tl, 5), 0);
	assert_int_equal(fence_get_status(b), 1);
	fence_unref(b);
	timeline_unref(tl);
}

static void timeline_point_signaled_by_hand_leaves_pending_list(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *a = create(tl, 5);
	struct fence *b;

	assert_int_equal(fence_signal(a), 0);
	assert_int_equal(timeline_pending_count(tl), 0);
	/* Not shared any more: the timeline has not reached 5. */
	b = create(tl, 5);
	assert_ptr_not_equal(a, b);
	assert_int_equal(fence_get_status(b), 0);
	assert_int_equal(timeline_pending_count(tl), 1);
	assert_int_equal(timeline_inc(tl, 5), 0);
	assert_int_equal(fence_get_status(b), 1);
	fence_unref(a);
	fence_unref(b);
	timeline_unref(tl);
}

struct collect {
	uint64_t seqnos[8];
	unsigned n;
	unsigned stop_after;
};

static int collect_pending(struct fence *fence, void *data)
{
	struct collect *c = data;

	c->seqnos[c->n++] = fence->seqno;
	return c->n == c->stop_after ? 42 : 0;
}

static void timeline_foreach_pending_visits_points_in_seqno_order(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f9 = create(tl, 9);
	struct fence *f4 = create(tl, 4);
	struct fence *f6 = create(tl, 6);
	struct fence *f0 = create(tl, 0);
	struct collect c = { .stop_after = 0 };

	assert_int_equal(timeline_foreach_pending(tl, collect_pending, &c), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.seqnos[0], 4);
	assert_int_equal(c.seqnos[1], 6);
	assert_int_equal(c.seqnos[2], 9);

	c = (struct collect){ .stop_after = 2 };
	assert_int_equal(timeline_foreach_pending(tl, collect_pending, &c), 42);
	assert_int_equal(c.n, 2);

	fence_unref(f0);
	fence_unref(f4);
	fence_unref(f6);
	fence_unref(f9);
	timeline_unref(tl);
}

/* A waiter that creates the same value again while its point is forced. */
static void recreate_on_signal(struct fence *fence, struct fence_cb *cb)
{
	struct reentrant *r = container_of(cb, struct reentrant, cb);

	assert_int_equal(fence->error, -EDEADLK);
	assert_int_equal(timeline_create_fence(r->tl, (uint32_t)fence->seqno, &r->same), 0);
}

static void timeline_point_released_with_waiter_is_not_shared_again(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f = create(tl, 8);
	struct reentrant r = { .tl = tl };

	assert_int_equal(fence_add_callback(f, &r.cb, recreate_on_signal), 0);
	/* The last reference goes with a waiter still registered. */
	fence_unref(f);
	assert_non_null(r.same);
	assert_ptr_not_equal(r.same, f);
	assert_int_equal(fence_get_status(r.same), 0);
	assert_int_equal(timeline_pending_count(tl), 1);
	assert_int_equal(objstat_get(OBJ_FENCE), 1);
	fence_unref(r.same);
	timeline_unref(tl);
}

/* Close. */

static void timeline_close_signals_pending_with_enoent(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *done, *p1, *p2;
	struct watch w1, w2;

	assert_int_equal(timeline_inc(tl, 1), 0);
	done = create(tl, 1);
	p2 = create(tl, 20);
	p1 = create(tl, 10);
	reset_order();
	watch(p2, &w2, 20);
	watch(p1, &w1, 10);
	fake_clock_advance(77);

	assert_null(timeline_close(tl));
	assert_int_equal(fence_get_status(done), 1);
	assert_int_equal(fence_get_status(p1), -ENOENT);
	assert_int_equal(fence_get_status(p2), -2);
	assert_int_equal(p1->error, -ENOENT);
	assert_int_equal(fence_timestamp(p1), 1000000077ull);
	assert_int_equal(signal_count, 2);
	assert_int_equal(signal_order[0], 10);
	assert_int_equal(signal_order[1], 20);
	fence_unref(done);
	fence_unref(p1);
	fence_unref(p2);
}

static void timeline_fences_outlive_closed_timeline(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f = create(tl, 3);

	timeline_close(tl);
	assert_int_equal(objstat_get(OBJ_TIMELINE), 1);
	assert_string_equal(fence_driver_name(f), "sw_sync");
	assert_string_equal(fence_timeline_name(f), "prog");
	assert_int_equal(fence_get_status(f), -ENOENT);
	fence_unref(f);
	assert_int_equal(objstat_get(OBJ_TIMELINE), 0);
	assert_int_equal(objstat_get(OBJ_FENCE), 0);
}

static void timeline_create_after_close_fails_with_enodev(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct timeline *other = timeline_ref(tl);
	struct fence *f = (struct fence *)0x1;

	timeline_close(tl);
	assert_true(timeline_is_closed(other));
	assert_int_equal(timeline_create_fence(other, 5, &f), -ENODEV);
	assert_int_equal(timeline_create_fence(other, 0, &f), -ENODEV);
	assert_ptr_equal(f, (struct fence *)0x1);
	assert_int_equal(timeline_inc(other, 1), -ENODEV);
	assert_int_equal(timeline_value(other), 0);
	assert_int_equal(objstat_get(OBJ_FENCE), 0);
	timeline_unref(other);
}

/* Deadlines. */

static void sync_pt_deadline_keeps_earliest(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f = create(tl, 1);
	uint64_t d = 0;

	fence_set_deadline(f, 5000);
	assert_int_equal(sync_pt_get_deadline(f, &d), 0);
	assert_int_equal(d, 5000);
	fence_set_deadline(f, 3000);
	fence_set_deadline(f, 4000);
	assert_int_equal(sync_pt_get_deadline(f, &d), 0);
	assert_int_equal(d, 3000);
	/* Past deadlines count too: "immediately". */
	fence_set_deadline(f, 0);
	assert_int_equal(sync_pt_get_deadline(f, &d), 0);
	assert_int_equal(d, 0);
	fence_unref(f);
	timeline_unref(tl);
}

/* The kernel's deadline is a ktime_t, signed 64-bit ns, kept with
 * ktime_before(): a deadline_ns of 2^63 or more (ns_to_ktime() of a __u64)
 * is negative, earlier than any positive one, and comes back as given. */
static void sync_pt_deadline_compares_as_signed_ktime(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f = create(tl, 1), *g = create(tl, 2);
	uint64_t d = 0;

	fence_set_deadline(f, 5000);
	fence_set_deadline(f, UINT64_C(1) << 63);
	assert_int_equal(sync_pt_get_deadline(f, &d), 0);
	assert_int_equal(d, UINT64_C(1) << 63);
	/* -1 ns is after INT64_MIN ns: kept as it was. */
	fence_set_deadline(f, UINT64_MAX);
	assert_int_equal(sync_pt_get_deadline(f, &d), 0);
	assert_int_equal(d, UINT64_C(1) << 63);

	fence_set_deadline(g, UINT64_MAX);
	fence_set_deadline(g, 5000);
	assert_int_equal(sync_pt_get_deadline(g, &d), 0);
	assert_int_equal(d, UINT64_MAX);
	fence_unref(g);
	fence_unref(f);
	timeline_unref(tl);
}

static void sync_pt_deadline_without_one_set_returns_enoent(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f = create(tl, 1);
	uint64_t d = 1234;

	assert_int_equal(sync_pt_get_deadline(f, &d), -ENOENT);
	assert_int_equal(d, 1234);
	fence_unref(f);
	timeline_unref(tl);
}

static void sync_pt_deadline_on_signaled_point_is_not_recorded(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f = create(tl, 0);
	uint64_t d = 1234;

	fence_set_deadline(f, 5000);
	assert_int_equal(sync_pt_get_deadline(f, &d), -ENOENT);
	assert_int_equal(d, 1234);
	fence_unref(f);
	timeline_unref(tl);
}

static void sync_pt_deadline_on_other_fence_returns_einval(void **state)
{
	struct fence *stub = fence_allocate_private_stub(5);
	uint64_t d = 1234;

	assert_non_null(stub);
	assert_false(fence_is_sync_pt(stub));
	assert_null(sync_pt_timeline(stub));
	assert_int_equal(sync_pt_get_deadline(stub, &d), -EINVAL);
	assert_int_equal(sync_pt_get_deadline(NULL, &d), -EINVAL);
	assert_int_equal(d, 1234);
	fence_unref(stub);
}

static void fence_is_sync_pt_recognises_points(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *pending = create(tl, 1);
	struct fence *born = create(tl, 0);

	assert_true(fence_is_sync_pt(pending));
	assert_true(fence_is_sync_pt(born));
	assert_false(fence_is_sync_pt(NULL));
	assert_ptr_equal(sync_pt_timeline(pending), tl);
	fence_unref(pending);
	fence_unref(born);
	timeline_unref(tl);
}

static int collect_timeline(struct timeline *tl, void *data)
{
	struct timeline **seen = data;

	while (*seen)
		seen++;
	*seen = tl;
	return 0;
}

static void timelines_are_listed_until_their_last_reference_goes(void **state)
{
	struct timeline *a, *b, *seen[4] = { NULL };
	struct fence *pt;

	assert_int_equal(timeline_new("a", &a), 0);
	assert_int_equal(timeline_new("b", &b), 0);
	assert_int_equal(timeline_create_fence(a, 1, &pt), 0);
	assert_int_equal(timeline_foreach(collect_timeline, seen), 0);
	assert_ptr_equal(seen[0], a);
	assert_ptr_equal(seen[1], b);
	assert_null(seen[2]);

	/* Closed, a lives on in the listing while its point is held. */
	timeline_close(a);
	timeline_close(b);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(timeline_foreach(collect_timeline, seen), 0);
	assert_ptr_equal(seen[0], a);
	assert_null(seen[1]);
	assert_true(timeline_is_closed(seen[0]));

	fence_unref(pt);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(timeline_foreach(collect_timeline, seen), 0);
	assert_null(seen[0]);
}

/* Many points, the 32-bit wrap, re-entry: the ordered pending set. */

static void timeline_points_across_the_wrap_signal_in_seqno_order(void **state)
{
	static const uint32_t values[] = { 3, 0xfffffffau, 0, 0xfffffff1u,
					   0xffffffffu, 7 };
	static const int expect[] = { 3, 1, 4, 2, 0, 5 };
	struct timeline *tl = new_timeline("prog");
	struct fence *f[ARRAY_SIZE(values)];
	struct watch w[ARRAY_SIZE(values)];
	struct collect c = { .stop_after = 0 };

	assert_int_equal(timeline_inc(tl, 0xfffffff0u), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(values); i++)
		f[i] = create(tl, values[i]);
	assert_int_equal(timeline_pending_count(tl), ARRAY_SIZE(values));
	assert_int_equal(timeline_foreach_pending(tl, collect_pending, &c), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(values); i++)
		assert_int_equal(c.seqnos[i], values[expect[i]]);

	reset_order();
	for (unsigned i = 0; i < ARRAY_SIZE(values); i++)
		watch(f[i], &w[i], (int)i);
	assert_int_equal(timeline_inc(tl, 0x20), 0);
	assert_int_equal(signal_count, ARRAY_SIZE(values));
	for (unsigned i = 0; i < ARRAY_SIZE(values); i++)
		assert_int_equal(signal_order[i], expect[i]);
	for (unsigned i = 0; i < ARRAY_SIZE(values); i++)
		fence_unref(f[i]);
	timeline_unref(tl);
}

static void timeline_same_value_across_the_wrap_returns_same_fence(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *a, *b, *c, *d;

	assert_int_equal(timeline_inc(tl, 0xfffffffeu), 0);
	a = create(tl, 1);
	b = create(tl, 0xffffffffu);
	c = create(tl, 1);
	d = create(tl, 0xffffffffu);
	assert_ptr_equal(a, c);
	assert_ptr_equal(b, d);
	assert_ptr_not_equal(a, b);
	assert_int_equal(timeline_pending_count(tl), 2);
	assert_int_equal(timeline_inc(tl, 1), 0);
	assert_int_equal(fence_get_status(b), 1);
	assert_int_equal(fence_get_status(a), 0);
	/* Past 0xffffffff, that value is born signaled, a new fence. */
	fence_unref(d);
	d = create(tl, 0xffffffffu);
	assert_ptr_not_equal(b, d);
	assert_int_equal(fence_get_status(d), 1);
	fence_unref(a);
	fence_unref(b);
	fence_unref(c);
	fence_unref(d);
	timeline_unref(tl);
}

struct order_check {
	uint32_t base;
	uint32_t last;	/* distance from base of the last point seen */
	unsigned n;
	bool sorted;
};

static int check_order(struct fence *fence, void *data)
{
	struct order_check *oc = data;
	uint32_t d = (uint32_t)fence->seqno - oc->base;

	if (oc->n++ && d <= oc->last)
		oc->sorted = false;
	oc->last = d;
	return 0;
}

#define MANY_POINTS 100000u

/* Values 1..MANY_POINTS past a value near the wrap, made out of order. */
static void timeline_many_scattered_points_stay_in_seqno_order(void **state)
{
	const uint32_t base = 0xffff0000u;
	struct timeline *tl = new_timeline("prog");
	struct fence **f = calloc(MANY_POINTS + 1, sizeof(*f));
	struct order_check oc = { .base = base, .sorted = true };
	struct fence *again;
	unsigned k;

	assert_non_null(f);
	assert_int_equal(timeline_inc(tl, base), 0);
	for (unsigned i = 0; i < MANY_POINTS; i++) {
		k = (uint32_t)(((uint64_t)i * 7919u) % MANY_POINTS) + 1;
		assert_null(f[k]);
		f[k] = create(tl, base + k);
	}
	assert_int_equal(timeline_pending_count(tl), MANY_POINTS);
	assert_int_equal(timeline_foreach_pending(tl, check_order, &oc), 0);
	assert_int_equal(oc.n, MANY_POINTS);
	assert_true(oc.sorted);
	for (k = 1; k <= MANY_POINTS; k += 997) {
		again = create(tl, base + k);
		assert_ptr_equal(again, f[k]);
		fence_unref(again);
	}

	/* Half of them, across the wrap (0x10000 after base is 0). */
	assert_int_equal(timeline_inc(tl, MANY_POINTS / 2), 0);
	for (k = 1; k <= MANY_POINTS; k++)
		if (fence_get_status(f[k]) != (k <= MANY_POINTS / 2 ? 1 : 0))
			fail_msg("point %u has status %d", k,
				 fence_get_status(f[k]));
	assert_int_equal(timeline_pending_count(tl), MANY_POINTS / 2);
	oc = (struct order_check){ .base = timeline_value(tl), .sorted = true };
	assert_int_equal(timeline_foreach_pending(tl, check_order, &oc), 0);
	assert_true(oc.sorted);

	/* Every other one released, then the rest by close. */
	for (k = MANY_POINTS / 2 + 1; k <= MANY_POINTS; k += 2)
		f[k] = fence_unref(f[k]);
	assert_int_equal(timeline_pending_count(tl), MANY_POINTS / 4);
	timeline_ref(tl);
	timeline_close(tl);
	for (k = 1; k <= MANY_POINTS; k++) {
		if (f[k] && k > MANY_POINTS / 2)
			assert_int_equal(fence_get_status(f[k]), -ENOENT);
		fence_unref(f[k]);
	}
	free(f);
	timeline_unref(tl);
}

struct inc_in_cb {
	struct fence_cb cb;
	struct timeline *tl;
	struct fence *drop;
};

static void inc_from_callback(struct fence *fence, struct fence_cb *cb)
{
	struct inc_in_cb *r = container_of(cb, struct inc_in_cb, cb);

	r->drop = fence_unref(r->drop);
	assert_int_equal(timeline_inc(r->tl, 2), 0);
}

/*
 * inc(2) reaches 1 and 2; 1's callback releases 2 (reached, not signaled
 * yet) and increments again: 3 and 4 signal after the rest of the first
 * increment, in seqno order.
 */
static void timeline_callback_may_release_and_increment_while_signaling(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f1 = create(tl, 1), *f3 = create(tl, 3);
	struct fence *f4 = create(tl, 4), *f5 = create(tl, 5);
	struct fence *f2 = create(tl, 2);
	struct watch w1, w3, w4;
	struct inc_in_cb r = { .tl = tl, .drop = f2 };

	reset_order();
	watch(f1, &w1, 1);
	assert_int_equal(fence_add_callback(f1, &r.cb, inc_from_callback), 0);
	watch(f4, &w4, 4);
	watch(f3, &w3, 3);
	assert_int_equal(timeline_inc(tl, 2), 0);
	assert_int_equal(timeline_value(tl), 4);
	assert_int_equal(signal_count, 3);
	assert_int_equal(signal_order[0], 1);
	assert_int_equal(signal_order[1], 3);
	assert_int_equal(signal_order[2], 4);
	assert_int_equal(fence_get_status(f5), 0);
	assert_int_equal(timeline_pending_count(tl), 1);
	assert_int_equal(objstat_get(OBJ_FENCE), 4);
	fence_unref(f1);
	fence_unref(f3);
	fence_unref(f4);
	fence_unref(f5);
	timeline_unref(tl);
}

/*
 * A pending point with nothing else: malloc's 128-byte chunk at most
 * (it was 160), so that a million idle fences fit the README's budget.
 */
static void idle_point_costs_at_most_128_heap_bytes(void **state)
{
	enum { N = 1000 };
	static struct fence *pts[N];
	struct timeline *tl;
	size_t before, after;

	assert_int_equal(timeline_new("mem", &tl), 0);
	before = heap_bytes_in_use();
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(timeline_create_fence(tl, i + 1, &pts[i]), 0);
	after = heap_bytes_in_use();
	timeline_close(tl);
	for (unsigned i = 0; i < N; i++)
		fence_unref(pts[i]);
	if (!before)
		skip();
	assert_in_range((after - before) / N, 1, 128);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		model_test(timeline_new_counts_one_object_and_unref_frees_it),
		model_test(timeline_unref_null_is_noop),
		model_test(timeline_new_rejects_null_name),
		model_test(timeline_new_rejects_name_longer_than_31),
		model_test(timeline_starts_at_zero_on_a_fresh_context),
		model_test(timeline_create_fence_rejects_null_arguments),
		model_test(timeline_create_above_value_is_pending),
		model_test(timeline_create_at_zero_on_fresh_timeline_is_born_signaled),
		model_test(timeline_create_at_or_below_value_is_born_signaled),
		model_test(timeline_create_same_pending_value_returns_same_fence),
		model_test(timeline_create_same_signaled_value_gives_distinct_fences),
		model_test(fences_keep_the_timeline_alive),
		model_test(timeline_inc_signals_in_seqno_order),
		model_test(timeline_inc_signals_only_points_not_later_than_value),
		model_test(timeline_inc_by_zero_signals_nothing),
		model_test(timeline_signal_timestamp_comes_from_clock),
		model_test(timeline_wraps_around_past_uint32_max),
		model_test(timeline_inc_larger_than_int_max_steps_over_no_point),
		model_test(timeline_half_range_ahead_is_born_signaled),
		model_test(timeline_callback_may_create_points_while_signaling),
		model_test(timeline_point_leaves_pending_list_when_released),
		model_test(timeline_point_signaled_by_hand_leaves_pending_list),
		model_test(timeline_foreach_pending_visits_points_in_seqno_order),
		model_test(timeline_point_released_with_waiter_is_not_shared_again),
		model_test(timeline_close_signals_pending_with_enoent),
		model_test(timeline_fences_outlive_closed_timeline),
		model_test(timeline_create_after_close_fails_with_enodev),
		model_test(sync_pt_deadline_keeps_earliest),
		model_test(sync_pt_deadline_compares_as_signed_ktime),
		model_test(sync_pt_deadline_without_one_set_returns_enoent),
		model_test(sync_pt_deadline_on_signaled_point_is_not_recorded),
		model_test(sync_pt_deadline_on_other_fence_returns_einval),
		model_test(fence_is_sync_pt_recognises_points),
		model_test(timelines_are_listed_until_their_last_reference_goes),
		model_test(timeline_points_across_the_wrap_signal_in_seqno_order),
		model_test(timeline_same_value_across_the_wrap_returns_same_fence),
		model_test(timeline_many_scattered_points_stay_in_seqno_order),
		model_test(timeline_callback_may_release_and_increment_while_signaling),
		model_test(idle_point_costs_at_most_128_heap_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
