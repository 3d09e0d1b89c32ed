/* SPDX-License-Identifier: MIT */
/* Unit tests of daemon/model/resv.c: the dma_resv rules of Linux 6.12. */
#include "helpers.h"

#include <errno.h>
#include <stdlib.h>

#include "model/fence.h"
#include "model/fence_array.h"
#include "model/fence_wait.h"
#include "model/resv.h"

static const char *test_fence_name(struct fence *fence)
{
	return "test";
}

static const struct fence_ops test_fence_ops = {
	.get_driver_name = test_fence_name,
	.get_timeline_name = test_fence_name,
};

static struct fence *test_fence(uint64_t context, uint64_t seqno)
{
	struct fence *fence = malloc(sizeof(*fence));

	assert_non_null(fence);
	assert_int_equal(fence_init(fence, &test_fence_ops, context, seqno), 0);
	return fence;
}

/* Lock, reserve @n slots, add, unlock. */
static void add_one(struct resv *resv, struct fence *fence,
		    enum resv_usage usage)
{
	assert_int_equal(resv_lock(resv), 0);
	assert_int_equal(resv_reserve_fences(resv, 1), 0);
	assert_int_equal(resv_add_fence(resv, fence, usage), 0);
	assert_int_equal(resv_unlock(resv), 0);
}

static enum resv_usage usage_of(struct resv *resv, struct fence *fence)
{
	for (unsigned i = 0; i < resv->num_fences; i++)
		if (resv->entries[i].fence == fence)
			return resv->entries[i].usage;
	fail_msg("fence not in the set");
	return RESV_USAGE_BOOKKEEP;
}

static bool contains(struct resv *resv, struct fence *fence)
{
	for (unsigned i = 0; i < resv->num_fences; i++)
		if (resv->entries[i].fence == fence)
			return true;
	return false;
}

/* Locking. */

static void lock_twice_is_edeadlk(void **state)
{
	struct resv resv;

	resv_init(&resv);
	assert_false(resv_is_locked(&resv));
	assert_int_equal(resv_lock(&resv), 0);
	assert_true(resv_is_locked(&resv));
	assert_int_equal(resv_lock(&resv), -EDEADLK);
	assert_int_equal(resv_unlock(&resv), 0);
	assert_false(resv_is_locked(&resv));
	resv_fini(&resv);
}

static void unlock_without_lock_is_eperm(void **state)
{
	struct resv resv;

	resv_init(&resv);
	assert_int_equal(resv_unlock(&resv), -EPERM);
	resv_fini(&resv);
}

static void reserve_without_lock_is_eperm(void **state)
{
	struct resv resv;

	resv_init(&resv);
	assert_int_equal(resv_reserve_fences(&resv, 1), -EPERM);
	resv_fini(&resv);
}

static void add_fence_without_lock_is_eperm(void **state)
{
	struct fence *f = test_fence(fence_context_alloc(1), 1);
	struct resv resv;

	resv_init(&resv);
	assert_int_equal(resv_lock(&resv), 0);
	assert_int_equal(resv_reserve_fences(&resv, 1), 0);
	assert_int_equal(resv_unlock(&resv), 0);
	assert_int_equal(resv_add_fence(&resv, f, RESV_USAGE_WRITE), -EPERM);
	assert_int_equal(resv_num_fences(&resv), 0);
	assert_int_equal(f->refcount, 1);
	resv_fini(&resv);
	fence_unref(f);
}

/* Reservation. */

static void reserve_zero_is_einval(void **state)
{
	struct resv resv;

	resv_init(&resv);
	assert_int_equal(resv_lock(&resv), 0);
	assert_int_equal(resv_reserve_fences(&resv, 0), -EINVAL);
	resv_unlock(&resv);
	resv_fini(&resv);
}

static void add_without_reservation_is_enospc(void **state)
{
	struct fence *f = test_fence(fence_context_alloc(1), 1);
	struct resv resv;

	resv_init(&resv);
	assert_int_equal(resv_lock(&resv), 0);
	assert_int_equal(resv_add_fence(&resv, f, RESV_USAGE_WRITE), -ENOSPC);
	assert_int_equal(resv_num_fences(&resv), 0);
	assert_int_equal(f->refcount, 1);
	resv_unlock(&resv);
	resv_fini(&resv);
	fence_unref(f);
}

static void reserve_counts_appends(void **state)
{
	uint64_t ctx = fence_context_alloc(3);
	struct fence *f[3] = {
		test_fence(ctx, 1), test_fence(ctx + 1, 1), test_fence(ctx + 2, 1),
	};
	struct resv resv;

	resv_init(&resv);
	assert_int_equal(resv_lock(&resv), 0);
	assert_int_equal(resv_reserve_fences(&resv, 2), 0);
	assert_int_equal(resv_add_fence(&resv, f[0], RESV_USAGE_READ), 0);
	assert_int_equal(resv_add_fence(&resv, f[1], RESV_USAGE_READ), 0);
	assert_int_equal(resv_add_fence(&resv, f[2], RESV_USAGE_READ), -ENOSPC);
	assert_int_equal(resv_num_fences(&resv), 2);
	assert_int_equal(f[0]->refcount, 2);
	assert_int_equal(f[2]->refcount, 1);
	/* One more reservation makes room for exactly one more. */
	assert_int_equal(resv_reserve_fences(&resv, 1), 0);
	assert_int_equal(resv_add_fence(&resv, f[2], RESV_USAGE_READ), 0);
	assert_int_equal(resv_num_fences(&resv), 3);
	resv_unlock(&resv);
	resv_fini(&resv);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f[i]->refcount, 1);
		fence_unref(f[i]);
	}
}

static void reservation_is_forgotten_at_unlock(void **state)
{
	struct fence *f = test_fence(fence_context_alloc(1), 1);
	struct resv resv;

	resv_init(&resv);
	assert_int_equal(resv_lock(&resv), 0);
	assert_int_equal(resv_reserve_fences(&resv, 4), 0);
	assert_int_equal(resv_unlock(&resv), 0);
	assert_int_equal(resv_lock(&resv), 0);
	assert_int_equal(resv_add_fence(&resv, f, RESV_USAGE_READ), -ENOSPC);
	resv_unlock(&resv);
	resv_fini(&resv);
	fence_unref(f);
}

static void reserve_past_max_is_enomem(void **state)
{
	struct resv resv;

	resv_init(&resv);
	assert_int_equal(resv_lock(&resv), 0);
	assert_int_equal(resv_reserve_fences(&resv, RESV_MAX_FENCES + 1), -ENOMEM);
	assert_int_equal(resv_reserve_fences(&resv, 2), 0);
	resv_unlock(&resv);
	resv_fini(&resv);
}

static void reserve_drops_signaled_entries_when_growing(void **state)
{
	uint64_t ctx = fence_context_alloc(4);
	struct fence *f[4];
	struct resv resv;

	resv_init(&resv);
	assert_int_equal(resv_lock(&resv), 0);
	assert_int_equal(resv_reserve_fences(&resv, 4), 0);
	for (int i = 0; i < 4; i++) {
		f[i] = test_fence(ctx + i, 1);
		assert_int_equal(resv_add_fence(&resv, f[i], RESV_USAGE_READ), 0);
	}
	fence_signal(f[1]);
	fence_signal(f[3]);
	/* The table is full: growing it keeps only the pending entries. */
	assert_int_equal(resv_reserve_fences(&resv, 1), 0);
	assert_int_equal(resv_num_fences(&resv), 2);
	assert_ptr_equal(resv.entries[0].fence, f[0]);
	assert_ptr_equal(resv.entries[1].fence, f[2]);
	assert_int_equal(f[1]->refcount, 1);
	assert_int_equal(f[3]->refcount, 1);
	resv_unlock(&resv);
	resv_fini(&resv);
	for (int i = 0; i < 4; i++)
		fence_unref(f[i]);
}

/* Replacement rules. */

static void add_fence_replaces_same_context_earlier_fence(void **state)
{
	uint64_t ctx = fence_context_alloc(1);
	struct fence *old = test_fence(ctx, 1), *new = test_fence(ctx, 2);
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, old, RESV_USAGE_WRITE);
	assert_int_equal(resv_lock(&resv), 0);
	/* No reservation needed: a replacement never appends. */
	assert_int_equal(resv_add_fence(&resv, new, RESV_USAGE_WRITE), 0);
	resv_unlock(&resv);
	assert_int_equal(resv_num_fences(&resv), 1);
	assert_ptr_equal(resv.entries[0].fence, new);
	assert_int_equal(old->refcount, 1);
	assert_int_equal(new->refcount, 2);
	resv_fini(&resv);
	fence_unref(old);
	fence_unref(new);
}

static void add_fence_keeps_same_context_later_fence(void **state)
{
	uint64_t ctx = fence_context_alloc(1);
	struct fence *later = test_fence(ctx, 5), *earlier = test_fence(ctx, 4);
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, later, RESV_USAGE_WRITE);
	add_one(&resv, earlier, RESV_USAGE_WRITE);
	assert_int_equal(resv_num_fences(&resv), 2);
	assert_true(contains(&resv, later));
	assert_true(contains(&resv, earlier));
	resv_fini(&resv);
	fence_unref(later);
	fence_unref(earlier);
}

static void add_fence_same_seqno_other_fence_appends(void **state)
{
	/* dma_fence_is_later_or_same() compares identity, not seqno. */
	uint64_t ctx = fence_context_alloc(1);
	struct fence *a = test_fence(ctx, 3), *b = test_fence(ctx, 3);
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, a, RESV_USAGE_READ);
	add_one(&resv, b, RESV_USAGE_READ);
	assert_int_equal(resv_num_fences(&resv), 2);
	resv_fini(&resv);
	fence_unref(a);
	fence_unref(b);
}

static void add_same_fence_again_keeps_one_entry(void **state)
{
	struct fence *f = test_fence(fence_context_alloc(1), 1);
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, f, RESV_USAGE_READ);
	add_one(&resv, f, RESV_USAGE_READ);
	assert_int_equal(resv_num_fences(&resv), 1);
	assert_int_equal(f->refcount, 2);
	resv_fini(&resv);
	fence_unref(f);
}

static void add_fence_different_context_appends(void **state)
{
	uint64_t ctx = fence_context_alloc(2);
	struct fence *a = test_fence(ctx, 1), *b = test_fence(ctx + 1, 2);
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, a, RESV_USAGE_WRITE);
	add_one(&resv, b, RESV_USAGE_WRITE);
	assert_int_equal(resv_num_fences(&resv), 2);
	assert_ptr_equal(resv.entries[0].fence, a);
	assert_ptr_equal(resv.entries[1].fence, b);
	resv_fini(&resv);
	fence_unref(a);
	fence_unref(b);
}

static void add_fence_replaces_signaled_entry(void **state)
{
	uint64_t ctx = fence_context_alloc(2);
	struct fence *a = test_fence(ctx, 1), *b = test_fence(ctx + 1, 1);
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, a, RESV_USAGE_KERNEL);
	fence_signal(a);
	assert_int_equal(resv_lock(&resv), 0);
	assert_int_equal(resv_add_fence(&resv, b, RESV_USAGE_BOOKKEEP), 0);
	resv_unlock(&resv);
	assert_int_equal(resv_num_fences(&resv), 1);
	assert_ptr_equal(resv.entries[0].fence, b);
	assert_int_equal(resv.entries[0].usage, RESV_USAGE_BOOKKEEP);
	assert_int_equal(a->refcount, 1);
	resv_fini(&resv);
	fence_unref(a);
	fence_unref(b);
}

static void add_fence_promotes_usage(void **state)
{
	uint64_t ctx = fence_context_alloc(1);
	struct fence *a = test_fence(ctx, 1), *b = test_fence(ctx, 2);
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, a, RESV_USAGE_BOOKKEEP);
	add_one(&resv, b, RESV_USAGE_READ);
	assert_int_equal(resv_num_fences(&resv), 1);
	assert_int_equal(usage_of(&resv, b), RESV_USAGE_READ);
	resv_fini(&resv);
	fence_unref(a);
	fence_unref(b);
}

static void add_fence_never_demotes_usage(void **state)
{
	uint64_t ctx = fence_context_alloc(1);
	struct fence *a = test_fence(ctx, 1), *b = test_fence(ctx, 2);
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, a, RESV_USAGE_WRITE);
	add_one(&resv, b, RESV_USAGE_BOOKKEEP);
	/* The WRITE entry stays; the later fence gets its own entry. */
	assert_int_equal(resv_num_fences(&resv), 2);
	assert_int_equal(usage_of(&resv, a), RESV_USAGE_WRITE);
	assert_int_equal(usage_of(&resv, b), RESV_USAGE_BOOKKEEP);
	resv_fini(&resv);
	fence_unref(a);
	fence_unref(b);
}

static void add_fence_rejects_arrays_and_bad_usage(void **state)
{
	uint64_t ctx = fence_context_alloc(2);
	struct fence *kids[2] = { test_fence(ctx, 1), test_fence(ctx + 1, 1) };
	struct fence *array;
	struct resv resv;

	assert_int_equal(fence_array_create(kids, 2, fence_context_alloc(1), 1,
					    &array), 0);
	resv_init(&resv);
	assert_int_equal(resv_lock(&resv), 0);
	assert_int_equal(resv_reserve_fences(&resv, 2), 0);
	assert_int_equal(resv_add_fence(&resv, array, RESV_USAGE_READ), -EINVAL);
	assert_int_equal(resv_add_fence(&resv, kids[0], 4), -EINVAL);
	assert_int_equal(resv_add_fence(&resv, NULL, RESV_USAGE_READ), -EINVAL);
	assert_int_equal(resv_num_fences(&resv), 0);
	resv_unlock(&resv);
	resv_fini(&resv);
	fence_unref(array);
	fence_unref(kids[0]);
	fence_unref(kids[1]);
}

static void usage_rw_maps_write_to_read_and_read_to_write(void **state)
{
	assert_int_equal(resv_usage_rw(true), RESV_USAGE_READ);
	assert_int_equal(resv_usage_rw(false), RESV_USAGE_WRITE);
	assert_string_equal(resv_usage_name(RESV_USAGE_BOOKKEEP), "bookkeep");
	assert_null(resv_usage_name(4));
}

/* Queries. */

static void test_signaled_with_no_fences_is_true(void **state)
{
	struct resv resv;

	resv_init(&resv);
	for (int u = RESV_USAGE_KERNEL; u <= RESV_USAGE_BOOKKEEP; u++)
		assert_true(resv_test_signaled(&resv, u));
	resv_fini(&resv);
}

static void test_signaled_is_cumulative_per_usage(void **state)
{
	uint64_t ctx = fence_context_alloc(4);
	struct fence *f[4];
	struct resv resv;

	resv_init(&resv);
	for (int u = 0; u < 4; u++) {
		f[u] = test_fence(ctx + u, 1);
		add_one(&resv, f[u], u);
	}
	/* Usage U covers every class <= U: one pending fence per class. */
	for (int u = 0; u < 4; u++)
		assert_false(resv_test_signaled(&resv, u));

	fence_signal(f[RESV_USAGE_KERNEL]);
	assert_true(resv_test_signaled(&resv, RESV_USAGE_KERNEL));
	assert_false(resv_test_signaled(&resv, RESV_USAGE_WRITE));

	fence_signal(f[RESV_USAGE_WRITE]);
	assert_true(resv_test_signaled(&resv, RESV_USAGE_WRITE));
	assert_false(resv_test_signaled(&resv, RESV_USAGE_READ));

	fence_signal(f[RESV_USAGE_READ]);
	assert_true(resv_test_signaled(&resv, RESV_USAGE_READ));
	assert_false(resv_test_signaled(&resv, RESV_USAGE_BOOKKEEP));

	fence_signal(f[RESV_USAGE_BOOKKEEP]);
	assert_true(resv_test_signaled(&resv, RESV_USAGE_BOOKKEEP));

	resv_fini(&resv);
	for (int u = 0; u < 4; u++)
		fence_unref(f[u]);
}

static void test_signaled_ignores_higher_usage(void **state)
{
	struct fence *f = test_fence(fence_context_alloc(1), 1);
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, f, RESV_USAGE_READ);
	assert_true(resv_test_signaled(&resv, RESV_USAGE_KERNEL));
	assert_true(resv_test_signaled(&resv, RESV_USAGE_WRITE));
	assert_false(resv_test_signaled(&resv, RESV_USAGE_READ));
	resv_fini(&resv);
	fence_unref(f);
}

static void get_fences_returns_unsignaled_with_references(void **state)
{
	uint64_t ctx = fence_context_alloc(4);
	struct fence *k = test_fence(ctx, 1), *w = test_fence(ctx + 1, 1);
	struct fence *done = test_fence(ctx + 2, 1), *r = test_fence(ctx + 3, 1);
	struct fence **fences = NULL;
	unsigned num = 99;
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, k, RESV_USAGE_KERNEL);
	add_one(&resv, w, RESV_USAGE_WRITE);
	add_one(&resv, done, RESV_USAGE_WRITE);
	add_one(&resv, r, RESV_USAGE_READ);
	fence_signal(done);

	assert_int_equal(resv_get_fences(&resv, RESV_USAGE_WRITE, &num, &fences), 0);
	assert_int_equal(num, 2);
	assert_ptr_equal(fences[0], k);
	assert_ptr_equal(fences[1], w);
	assert_int_equal(k->refcount, 3);
	resv_fences_put(fences, num);
	assert_int_equal(k->refcount, 2);

	assert_int_equal(resv_get_fences(&resv, RESV_USAGE_BOOKKEEP, &num, &fences), 0);
	assert_int_equal(num, 3);
	assert_ptr_equal(fences[2], r);
	resv_fences_put(fences, num);

	resv_fini(&resv);
	fence_unref(k);
	fence_unref(w);
	fence_unref(done);
	fence_unref(r);
}

static void get_fences_with_none_pending_is_empty(void **state)
{
	struct fence *f = test_fence(fence_context_alloc(1), 1);
	struct fence **fences = (struct fence **)&fences;
	unsigned num = 99;
	struct resv resv;

	resv_init(&resv);
	assert_int_equal(resv_get_fences(&resv, RESV_USAGE_BOOKKEEP, &num, &fences), 0);
	assert_int_equal(num, 0);
	assert_null(fences);

	add_one(&resv, f, RESV_USAGE_BOOKKEEP);
	num = 99;
	assert_int_equal(resv_get_fences(&resv, RESV_USAGE_READ, &num, &fences), 0);
	assert_int_equal(num, 0);
	assert_null(fences);
	assert_int_equal(resv_get_fences(&resv, 7, &num, &fences), -EINVAL);
	resv_fini(&resv);
	fence_unref(f);
}

static void get_singleton_with_no_fence_is_null(void **state)
{
	struct fence *result = (struct fence *)&result;
	struct resv resv;

	resv_init(&resv);
	assert_int_equal(resv_get_singleton(&resv, RESV_USAGE_READ, &result), 0);
	assert_null(result);
	resv_fini(&resv);
}

static void get_singleton_with_one_fence_is_that_fence(void **state)
{
	uint64_t ctx = fence_context_alloc(2);
	struct fence *f = test_fence(ctx, 1), *bk = test_fence(ctx + 1, 1);
	struct fence *result = NULL;
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, f, RESV_USAGE_WRITE);
	add_one(&resv, bk, RESV_USAGE_BOOKKEEP);
	assert_int_equal(resv_get_singleton(&resv, RESV_USAGE_READ, &result), 0);
	assert_ptr_equal(result, f);
	assert_int_equal(f->refcount, 3);
	fence_unref(result);
	resv_fini(&resv);
	fence_unref(f);
	fence_unref(bk);
}

static void get_singleton_with_several_is_new_array(void **state)
{
	uint64_t ctx = fence_context_alloc(2);
	struct fence *a = test_fence(ctx, 1), *b = test_fence(ctx + 1, 1);
	struct fence *result = NULL;
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, a, RESV_USAGE_WRITE);
	add_one(&resv, b, RESV_USAGE_READ);
	assert_int_equal(resv_get_singleton(&resv, RESV_USAGE_READ, &result), 0);
	assert_non_null(result);
	assert_true(fence_is_array(result));
	assert_true(result->context > ctx + 1);
	assert_int_equal(result->seqno, 1);
	assert_int_equal(fence_unwrap_count(result), 2);
	assert_ptr_equal(fence_unwrap_at(result, 0), a);
	assert_ptr_equal(fence_unwrap_at(result, 1), b);

	assert_false(fence_is_signaled(result));
	fence_signal(a);
	assert_false(fence_is_signaled(result));
	fence_signal(b);
	assert_true(fence_is_signaled(result));

	fence_unref(result);
	resv_fini(&resv);
	fence_unref(a);
	fence_unref(b);
}

/* Waits. */

static int64_t wait_result;
static unsigned wait_calls;

static void wait_done(struct fence_wait *wait, int64_t result)
{
	wait_result = result;
	wait_calls++;
}

static void wait_start_with_nothing_pending_is_immediate(void **state)
{
	struct fence *f = test_fence(fence_context_alloc(1), 1);
	struct fence_wait wait;
	struct resv resv;

	wait_calls = 0;
	resv_init(&resv);
	assert_int_equal(resv_wait_start(&resv, RESV_USAGE_READ, &wait, 5000,
					 wait_done), 5000);
	assert_int_equal(resv_wait_start(&resv, RESV_USAGE_READ, &wait, 0,
					 wait_done), 1);
	add_one(&resv, f, RESV_USAGE_READ);
	fence_signal(f);
	assert_int_equal(resv_wait_start(&resv, RESV_USAGE_READ, &wait, 7,
					 wait_done), 7);
	assert_int_equal(wait_calls, 0);
	resv_fini(&resv);
	fence_unref(f);
}

static void wait_start_ignores_higher_usage(void **state)
{
	struct fence *f = test_fence(fence_context_alloc(1), 1);
	struct fence_wait wait;
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, f, RESV_USAGE_BOOKKEEP);
	assert_int_equal(resv_wait_start(&resv, RESV_USAGE_READ, &wait, 100,
					 wait_done), 100);
	assert_int_equal(resv_wait_start(&resv, RESV_USAGE_BOOKKEEP, &wait, 0,
					 wait_done), 0);
	resv_fini(&resv);
	fence_unref(f);
}

static void wait_start_pending_completes_when_all_signal(void **state)
{
	uint64_t ctx = fence_context_alloc(2);
	struct fence *a = test_fence(ctx, 1), *b = test_fence(ctx + 1, 1);
	struct fence_wait wait;
	struct resv resv;

	wait_calls = 0;
	resv_init(&resv);
	add_one(&resv, a, RESV_USAGE_KERNEL);
	add_one(&resv, b, RESV_USAGE_WRITE);
	assert_int_equal(resv_wait_start(&resv, RESV_USAGE_WRITE, &wait,
					 1000000, wait_done), -EINPROGRESS);
	/* The wait holds its own references: the set may go away. */
	resv_fini(&resv);
	fake_clock_advance(1000);
	fence_signal(a);
	assert_int_equal(wait_calls, 0);
	fence_signal(b);
	assert_int_equal(wait_calls, 1);
	assert_int_equal(wait_result, 1000000 - 1000);
	fence_unref(a);
	fence_unref(b);
}

static void wait_start_times_out(void **state)
{
	struct fence *f = test_fence(fence_context_alloc(1), 1);
	struct fence_wait wait;
	struct resv resv;

	wait_calls = 0;
	wait_result = -1;
	resv_init(&resv);
	add_one(&resv, f, RESV_USAGE_READ);
	assert_int_equal(resv_wait_start(&resv, RESV_USAGE_READ, &wait, 5000,
					 wait_done), -EINPROGRESS);
	fake_clock_advance(4999);
	assert_int_equal(wait_calls, 0);
	fake_clock_advance(1);
	assert_int_equal(wait_calls, 1);
	assert_int_equal(wait_result, 0);
	/* Signaling afterwards does not report again. */
	fence_signal(f);
	assert_int_equal(wait_calls, 1);
	resv_fini(&resv);
	fence_unref(f);
}

static void wait_start_with_timeout_zero_polls(void **state)
{
	struct fence *f = test_fence(fence_context_alloc(1), 1);
	struct fence_wait wait;
	struct resv resv;

	resv_init(&resv);
	add_one(&resv, f, RESV_USAGE_WRITE);
	assert_int_equal(resv_wait_start(&resv, RESV_USAGE_WRITE, &wait, 0,
					 wait_done), 0);
	assert_int_equal(timerq_armed(), 0);
	resv_fini(&resv);
	fence_unref(f);
}

static void wait_start_rejects_bad_arguments(void **state)
{
	struct fence_wait wait;
	struct resv resv;

	resv_init(&resv);
	assert_int_equal(resv_wait_start(&resv, RESV_USAGE_READ, &wait, -1,
					 wait_done), -EINVAL);
	assert_int_equal(resv_wait_start(&resv, 4, &wait, 1, wait_done), -EINVAL);
	assert_int_equal(resv_wait_start(&resv, RESV_USAGE_READ, &wait, 1,
					 NULL), -EINVAL);
	resv_fini(&resv);
}

static void wait_start_can_be_cancelled(void **state)
{
	struct fence *f = test_fence(fence_context_alloc(1), 1);
	struct fence_wait wait;
	struct resv resv;

	wait_calls = 0;
	resv_init(&resv);
	add_one(&resv, f, RESV_USAGE_READ);
	assert_int_equal(resv_wait_start(&resv, RESV_USAGE_READ, &wait,
					 FENCE_WAIT_FOREVER, wait_done),
			 -EINPROGRESS);
	assert_int_equal(f->refcount, 3);
	assert_true(fence_wait_cancel(&wait));
	assert_int_equal(f->refcount, 2);
	fence_signal(f);
	assert_int_equal(wait_calls, 0);
	resv_fini(&resv);
	fence_unref(f);
}

/* Iteration and teardown. */

static void iterator_lists_entries_up_to_usage(void **state)
{
	uint64_t ctx = fence_context_alloc(3);
	struct fence *k = test_fence(ctx, 1), *r = test_fence(ctx + 1, 1);
	struct fence *bk = test_fence(ctx + 2, 1), *fence;
	struct resv_iter it;
	struct resv resv;
	unsigned n = 0;

	resv_init(&resv);
	add_one(&resv, k, RESV_USAGE_KERNEL);
	add_one(&resv, bk, RESV_USAGE_BOOKKEEP);
	add_one(&resv, r, RESV_USAGE_READ);
	fence_signal(k); /* signaled entries are listed too */

	resv_for_each_fence(&it, &resv, RESV_USAGE_READ, fence) {
		if (n == 0) {
			assert_ptr_equal(fence, k);
			assert_int_equal(it.fence_usage, RESV_USAGE_KERNEL);
		} else {
			assert_ptr_equal(fence, r);
			assert_int_equal(it.fence_usage, RESV_USAGE_READ);
		}
		n++;
	}
	assert_int_equal(n, 2);

	n = 0;
	resv_for_each_fence(&it, &resv, RESV_USAGE_BOOKKEEP, fence)
		n++;
	assert_int_equal(n, 3);

	resv_fini(&resv);
	fence_unref(k);
	fence_unref(r);
	fence_unref(bk);
}

static void fini_drops_every_fence_reference(void **state)
{
	const long base_fence = objstat_get(OBJ_FENCE);
	uint64_t ctx = fence_context_alloc(3);
	struct fence *f[3];
	struct resv resv;

	resv_init(&resv);
	for (int i = 0; i < 3; i++) {
		f[i] = test_fence(ctx + i, 1);
		add_one(&resv, f[i], i);
		assert_int_equal(f[i]->refcount, 2);
	}
	resv_fini(&resv);
	assert_int_equal(resv_num_fences(&resv), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f[i]->refcount, 1);
		fence_unref(f[i]);
	}
	assert_int_equal(objstat_get(OBJ_FENCE) - base_fence, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		model_test(lock_twice_is_edeadlk),
		model_test(unlock_without_lock_is_eperm),
		model_test(reserve_without_lock_is_eperm),
		model_test(add_fence_without_lock_is_eperm),
		model_test(reserve_zero_is_einval),
		model_test(add_without_reservation_is_enospc),
		model_test(reserve_counts_appends),
		model_test(reservation_is_forgotten_at_unlock),
		model_test(reserve_past_max_is_enomem),
		model_test(reserve_drops_signaled_entries_when_growing),
		model_test(add_fence_replaces_same_context_earlier_fence),
		model_test(add_fence_keeps_same_context_later_fence),
		model_test(add_fence_same_seqno_other_fence_appends),
		model_test(add_same_fence_again_keeps_one_entry),
		model_test(add_fence_different_context_appends),
		model_test(add_fence_replaces_signaled_entry),
		model_test(add_fence_promotes_usage),
		model_test(add_fence_never_demotes_usage),
		model_test(add_fence_rejects_arrays_and_bad_usage),
		model_test(usage_rw_maps_write_to_read_and_read_to_write),
		model_test(test_signaled_with_no_fences_is_true),
		model_test(test_signaled_is_cumulative_per_usage),
		model_test(test_signaled_ignores_higher_usage),
		model_test(get_fences_returns_unsignaled_with_references),
		model_test(get_fences_with_none_pending_is_empty),
		model_test(get_singleton_with_no_fence_is_null),
		model_test(get_singleton_with_one_fence_is_that_fence),
		model_test(get_singleton_with_several_is_new_array),
		model_test(wait_start_with_nothing_pending_is_immediate),
		model_test(wait_start_ignores_higher_usage),
		model_test(wait_start_pending_completes_when_all_signal),
		model_test(wait_start_times_out),
		model_test(wait_start_with_timeout_zero_polls),
		model_test(wait_start_rejects_bad_arguments),
		model_test(wait_start_can_be_cancelled),
		model_test(iterator_lists_entries_up_to_usage),
		model_test(fini_drops_every_fence_reference),
	};

	return cmocka_run_group_tests_name("resv", tests, NULL, NULL);
}
