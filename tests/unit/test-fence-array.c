/* SPDX-License-Identifier: MIT */
/* Unit tests: daemon/model/fence_array.c (dma_fence_array, unwrap, merge). */
#include <errno.h>

#include "helpers.h"
#include "model/fence_array.h"
#include "test-fences.h"

static void array_create_rejects_empty_input(void **state)
{
	struct fence *ret = NULL;
	struct fence *none[1] = { NULL };

	assert_int_equal(fence_array_create(none, 0, 1, 1, &ret), -EINVAL);
	assert_int_equal(fence_array_create(none, 1, 1, 1, &ret), -EINVAL);
	assert_null(ret);
}

static void array_signals_when_all_children_signal(void **state)
{
	struct fence *c[3], *array;

	for (int i = 0; i < 3; i++)
		c[i] = test_fence_new(fence_context_alloc(1), 1);
	assert_int_equal(fence_array_create(c, 3, fence_context_alloc(1), 1, &array), 0);
	test_fence_signal(c[0], 0);
	test_fence_signal(c[2], 0);
	assert_int_equal(fence_get_status(array), 0);
	test_fence_signal(c[1], 0);
	assert_int_equal(fence_get_status(array), 1);
	for (int i = 0; i < 3; i++)
		fence_unref(c[i]);
	fence_unref(array);
}

static void array_carries_first_child_error(void **state)
{
	struct fence *c[3], *array;

	for (int i = 0; i < 3; i++)
		c[i] = test_fence_new(fence_context_alloc(1), 1);
	fence_array_create(c, 3, fence_context_alloc(1), 1, &array);
	test_fence_signal(c[1], -EIO);
	test_fence_signal(c[0], -ETIMEDOUT);
	test_fence_signal(c[2], 0);
	assert_int_equal(fence_get_status(array), -EIO);
	for (int i = 0; i < 3; i++)
		fence_unref(c[i]);
	fence_unref(array);
}

static void array_sees_child_error_without_any_waiter(void **state)
{
	struct fence *c, *array;

	c = test_fence_new(fence_context_alloc(1), 1);
	fence_array_create(&c, 1, fence_context_alloc(1), 1, &array);
	test_fence_signal(c, -ENOENT);
	/* Nobody polled or waited the array; it still reports the error. */
	assert_int_equal(fence_get_status(array), -ENOENT);
	fence_unref(c);
	fence_unref(array);
}

static void array_of_signaled_children_is_born_signaled(void **state)
{
	struct fence *c[2], *array;

	for (int i = 0; i < 2; i++) {
		c[i] = test_fence_new(fence_context_alloc(1), 1);
		test_fence_signal(c[i], 0);
	}
	fence_array_create(c, 2, fence_context_alloc(1), 1, &array);
	assert_int_equal(fence_get_status(array), 1);
	for (int i = 0; i < 2; i++)
		fence_unref(c[i]);
	fence_unref(array);
}

static void array_names_are_dma_fence_array_unbound(void **state)
{
	struct fence *c = test_fence_new(fence_context_alloc(1), 1), *array;

	fence_array_create(&c, 1, 77, 5, &array);
	assert_string_equal(fence_driver_name(array), "dma_fence_array");
	assert_string_equal(fence_timeline_name(array), "unbound");
	assert_int_equal(array->context, 77);
	assert_int_equal(array->seqno, 5);
	assert_true(fence_is_array(array));
	assert_false(fence_is_array(c));
	fence_unref(c);
	fence_unref(array);
}

static void array_keeps_children_alive(void **state)
{
	struct fence *c = test_fence_new(fence_context_alloc(1), 1), *array;

	fence_array_create(&c, 1, fence_context_alloc(1), 1, &array);
	fence_unref(c);
	assert_int_equal(objstat_get(OBJ_FENCE), 2);
	assert_ptr_equal(fence_unwrap_at(array, 0), c);
	test_fence_signal(c, 0);
	assert_int_equal(fence_get_status(array), 1);
	fence_unref(array);
	assert_int_equal(objstat_get(OBJ_FENCE), 0);
}

static void array_released_before_children_detaches_callbacks(void **state)
{
	struct fence *c = test_fence_new(fence_context_alloc(1), 1), *array;

	fence_array_create(&c, 1, fence_context_alloc(1), 1, &array);
	fence_unref(array);
	/* Signaling the child must not touch the freed array. */
	test_fence_signal(c, 0);
	fence_unref(c);
}

static void array_of_arrays_is_flattened(void **state)
{
	struct fence *c[3], *inner, *outer, *in2[2];

	for (int i = 0; i < 3; i++)
		c[i] = test_fence_new(fence_context_alloc(1), 1);
	fence_array_create(c, 2, fence_context_alloc(1), 1, &inner);
	in2[0] = inner;
	in2[1] = c[2];
	fence_array_create(in2, 2, fence_context_alloc(1), 1, &outer);
	assert_int_equal(fence_unwrap_count(outer), 3);
	assert_ptr_equal(fence_unwrap_at(outer, 0), c[0]);
	assert_ptr_equal(fence_unwrap_at(outer, 1), c[1]);
	assert_ptr_equal(fence_unwrap_at(outer, 2), c[2]);
	assert_null(fence_unwrap_at(outer, 3));
	for (int i = 0; i < 3; i++) {
		test_fence_signal(c[i], 0);
		fence_unref(c[i]);
	}
	assert_int_equal(fence_get_status(outer), 1);
	fence_unref(inner);
	fence_unref(outer);
}

static void unwrap_of_plain_fence_is_itself(void **state)
{
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);

	assert_int_equal(fence_unwrap_count(f), 1);
	assert_ptr_equal(fence_unwrap_at(f, 0), f);
	assert_null(fence_unwrap_at(f, 1));
	fence_unref(f);
}

static void deadline_on_array_reaches_every_child(void **state)
{
	struct fence *c[2], *array;

	for (int i = 0; i < 2; i++)
		c[i] = test_fence_new(fence_context_alloc(1), 1);
	fence_array_create(c, 2, fence_context_alloc(1), 1, &array);
	test_fence_signal(c[1], 0);
	fence_set_deadline(array, 1234);
	assert_int_equal(test_fence_deadline(c[0]), 1234);
	/* A signaled child takes no deadline. */
	assert_int_equal(test_fence_deadline(c[1]), 0);
	test_fence_signal(c[0], 0);
	for (int i = 0; i < 2; i++)
		fence_unref(c[i]);
	fence_unref(array);
}

static void merge_keeps_later_point_per_context(void **state)
{
	uint64_t ctx = fence_context_alloc(1);
	struct fence *a = test_fence_new(ctx, 1), *b = test_fence_new(ctx, 3);
	struct fence *in[2] = { b, a }, *m;

	assert_int_equal(fence_unwrap_merge(in, 2, &m), 0);
	assert_ptr_equal(m, b);
	fence_unref(m);
	in[0] = a;
	in[1] = b;
	assert_int_equal(fence_unwrap_merge(in, 2, &m), 0);
	assert_ptr_equal(m, b);
	fence_unref(m);
	fence_unref(a);
	fence_unref(b);
}

static void merge_keeps_later_point_across_seqno_wrap(void **state)
{
	uint64_t ctx = fence_context_alloc(1);
	struct fence *a = test_fence_new(ctx, 0xfffffffeu), *b = test_fence_new(ctx, 1);
	struct fence *in[2] = { a, b }, *m;

	assert_int_equal(fence_unwrap_merge(in, 2, &m), 0);
	assert_ptr_equal(m, b);
	fence_unref(m);
	fence_unref(a);
	fence_unref(b);
}

static void merge_drops_signaled_fences(void **state)
{
	struct fence *a = test_fence_new(fence_context_alloc(1), 1);
	struct fence *b = test_fence_new(fence_context_alloc(1), 1);
	struct fence *in[2] = { a, b }, *m;

	test_fence_signal(a, 0);
	assert_int_equal(fence_unwrap_merge(in, 2, &m), 0);
	assert_ptr_equal(m, b);
	fence_unref(m);
	fence_unref(a);
	fence_unref(b);
}

static void merge_of_signaled_fences_is_stub_with_latest_timestamp(void **state)
{
	struct fence *a = test_fence_new(fence_context_alloc(1), 1);
	struct fence *b = test_fence_new(fence_context_alloc(1), 1);
	struct fence *in[2] = { a, b }, *m;

	fence_signal_timestamp(a, 900);
	fence_signal_timestamp(b, 300);
	assert_int_equal(fence_unwrap_merge(in, 2, &m), 0);
	assert_int_equal(m->context, 0);
	assert_string_equal(fence_driver_name(m), "stub");
	assert_int_equal(fence_get_status(m), 1);
	assert_int_equal(fence_timestamp(m), 900);
	fence_unref(m);
	fence_unref(a);
	fence_unref(b);
}

static void merge_of_errored_signaled_fence_drops_it(void **state)
{
	struct fence *a = test_fence_new(fence_context_alloc(1), 1), *m;

	test_fence_signal(a, -EIO);
	assert_int_equal(fence_unwrap_merge(&a, 1, &m), 0);
	/* Linux 6.12 drops signaled leaves, errored or not. */
	assert_int_equal(fence_get_status(m), 1);
	fence_unref(m);
	fence_unref(a);
}

static void merge_sorts_by_context(void **state)
{
	uint64_t base = fence_context_alloc(3);
	struct fence *f2 = test_fence_new(base + 2, 1);
	struct fence *f0 = test_fence_new(base, 1);
	struct fence *f1 = test_fence_new(base + 1, 1);
	struct fence *in[3] = { f2, f0, f1 }, *m;

	assert_int_equal(fence_unwrap_merge(in, 3, &m), 0);
	assert_true(fence_is_array(m));
	assert_int_equal(fence_unwrap_count(m), 3);
	assert_ptr_equal(fence_unwrap_at(m, 0), f0);
	assert_ptr_equal(fence_unwrap_at(m, 1), f1);
	assert_ptr_equal(fence_unwrap_at(m, 2), f2);
	assert_int_equal(m->seqno, 1);
	assert_true(m->context > base + 2);
	for (int i = 0; i < 3; i++) {
		test_fence_signal(in[i], 0);
		fence_unref(in[i]);
	}
	fence_unref(m);
}

static void merge_unwraps_arrays_and_dedups(void **state)
{
	uint64_t c1 = fence_context_alloc(1), c2 = fence_context_alloc(1);
	struct fence *a1 = test_fence_new(c1, 1), *a5 = test_fence_new(c1, 5);
	struct fence *b2 = test_fence_new(c2, 2);
	struct fence *pair[2] = { a1, b2 }, *arr, *in[2], *m;

	fence_array_create(pair, 2, fence_context_alloc(1), 1, &arr);
	in[0] = arr;
	in[1] = a5;
	assert_int_equal(fence_unwrap_merge(in, 2, &m), 0);
	assert_int_equal(fence_unwrap_count(m), 2);
	assert_ptr_equal(fence_unwrap_at(m, 0), a5);
	assert_ptr_equal(fence_unwrap_at(m, 1), b2);
	test_fence_signal(a1, 0);
	test_fence_signal(a5, 0);
	test_fence_signal(b2, 0);
	fence_unref(a1);
	fence_unref(a5);
	fence_unref(b2);
	fence_unref(arr);
	fence_unref(m);
}

static void merge_with_itself_is_itself(void **state)
{
	struct fence *f = test_fence_new(fence_context_alloc(1), 4);
	struct fence *in[2] = { f, f }, *m;

	assert_int_equal(fence_unwrap_merge(in, 2, &m), 0);
	assert_ptr_equal(m, f);
	fence_unref(m);
	fence_unref(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		model_test(array_create_rejects_empty_input),
		model_test(array_signals_when_all_children_signal),
		model_test(array_carries_first_child_error),
		model_test(array_sees_child_error_without_any_waiter),
		model_test(array_of_signaled_children_is_born_signaled),
		model_test(array_names_are_dma_fence_array_unbound),
		model_test(array_keeps_children_alive),
		model_test(array_released_before_children_detaches_callbacks),
		model_test(array_of_arrays_is_flattened),
		model_test(unwrap_of_plain_fence_is_itself),
		model_test(deadline_on_array_reaches_every_child),
		model_test(merge_keeps_later_point_per_context),
		model_test(merge_keeps_later_point_across_seqno_wrap),
		model_test(merge_drops_signaled_fences),
		model_test(merge_of_signaled_fences_is_stub_with_latest_timestamp),
		model_test(merge_of_errored_signaled_fence_drops_it),
		model_test(merge_sorts_by_context),
		model_test(merge_unwraps_arrays_and_dedups),
		model_test(merge_with_itself_is_itself),
	};

	return cmocka_run_group_tests_name("fence_array", tests, NULL, NULL);
}
