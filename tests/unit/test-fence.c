/* SPDX-License-Identifier: MIT */
/* Unit tests: daemon/model/fence.c (dma_fence semantics). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "model/fence.h"

struct test_fence {
	struct fence base;
	unsigned enable_calls;
	bool enable_result;
	bool producer_done;
	uint64_t deadline_ns;
	unsigned deadline_calls;
};

static const char *test_driver_name(struct fence *f)
{
	return "test";
}

static const char *test_timeline_name(struct fence *f)
{
	return "tl";
}

static bool test_enable_signaling(struct fence *f)
{
	struct test_fence *tf = container_of(f, struct test_fence, base);

	tf->enable_calls++;
	return tf->enable_result;
}

static bool test_signaled(struct fence *f)
{
	return container_of(f, struct test_fence, base)->producer_done;
}

static void test_set_deadline(struct fence *f, uint64_t deadline_ns)
{
	struct test_fence *tf = container_of(f, struct test_fence, base);

	tf->deadline_calls++;
	if (!tf->deadline_ns || deadline_ns < tf->deadline_ns)
		tf->deadline_ns = deadline_ns;
}

static const struct fence_ops test_ops = {
	.get_driver_name = test_driver_name,
	.get_timeline_name = test_timeline_name,
	.enable_signaling = test_enable_signaling,
	.signaled = test_signaled,
	.set_deadline = test_set_deadline,
};

static const struct fence_ops test_ops_64 = {
	.get_driver_name = test_driver_name,
	.get_timeline_name = test_timeline_name,
	.use_64bit_seqno = true,
};

static struct test_fence *new_test_fence(uint64_t context, uint64_t seqno)
{
	struct test_fence *tf = calloc(1, sizeof(*tf));

	assert_non_null(tf);
	tf->enable_result = true;
	assert_int_equal(fence_init(&tf->base, &test_ops, context, seqno), 0);
	return tf;
}

/* Records the order in which callbacks ran. */
struct recorder {
	struct fence_cb cb;
	int id;
	int *log;
	unsigned *n;
	int status;
};

static void record_cb(struct fence *f, struct fence_cb *cb)
{
	struct recorder *r = container_of(cb, struct recorder, cb);

	r->log[(*r->n)++] = r->id;
	r->status = f->error ? f->error : 1;
}

static void unref_cb(struct fence *f, struct fence_cb *cb)
{
	fence_unref(f);
}

static void never_cb(struct fence *f, struct fence_cb *cb)
{
	fail_msg("callback ran on a fence that must not signal");
}

static void context_alloc_never_returns_zero(void **state)
{
	uint64_t a = fence_context_alloc(1);

	assert_true(a >= 1);
}

static void context_alloc_returns_consecutive_blocks(void **state)
{
	uint64_t a = fence_context_alloc(3);
	uint64_t b = fence_context_alloc(1);

	assert_int_equal(b, a + 3);
}

static void init_rejects_ops_without_names(void **state)
{
	static const struct fence_ops no_names = { 0 };
	struct fence f;

	assert_int_equal(fence_init(&f, &no_names, 1, 1), -EINVAL);
	assert_int_equal(fence_init(&f, NULL, 1, 1), -EINVAL);
	assert_int_equal(objstat_get(OBJ_FENCE), 0);
}

static void new_fence_is_pending_with_one_reference(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);

	assert_int_equal(tf->base.refcount, 1);
	assert_int_equal(fence_get_status(&tf->base), 0);
	assert_int_equal(fence_timestamp(&tf->base), 0);
	assert_int_equal(objstat_get(OBJ_FENCE), 1);
	fence_unref(&tf->base);
	assert_int_equal(objstat_get(OBJ_FENCE), 0);
}

static void unref_null_is_noop(void **state)
{
	assert_null(fence_unref(NULL));
	assert_null(fence_ref(NULL));
}

static void ref_keeps_fence_alive_until_last_unref(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);

	assert_ptr_equal(fence_ref(&tf->base), &tf->base);
	fence_unref(&tf->base);
	assert_int_equal(objstat_get(OBJ_FENCE), 1);
	fence_unref(&tf->base);
	assert_int_equal(objstat_get(OBJ_FENCE), 0);
}

static void signal_sets_status_one_and_timestamp(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);

	fake_now_ns = 5000;
	assert_int_equal(fence_signal(&tf->base), 0);
	assert_int_equal(fence_get_status(&tf->base), 1);
	assert_int_equal(fence_timestamp(&tf->base), 5000);
	fence_unref(&tf->base);
}

static void signal_twice_returns_einval_and_keeps_timestamp(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);

	assert_int_equal(fence_signal_timestamp(&tf->base, 100), 0);
	assert_int_equal(fence_signal_timestamp(&tf->base, 200), -EINVAL);
	assert_int_equal(fence_timestamp(&tf->base), 100);
	fence_unref(&tf->base);
}

static void error_set_before_signal_is_reported_as_status(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);

	assert_int_equal(fence_set_error(&tf->base, -EIO), 0);
	assert_int_equal(fence_get_status(&tf->base), 0);
	fence_signal(&tf->base);
	assert_int_equal(fence_get_status(&tf->base), -EIO);
	fence_unref(&tf->base);
}

static void error_after_signal_is_refused_with_ebusy(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);

	fence_signal(&tf->base);
	assert_int_equal(fence_set_error(&tf->base, -EIO), -EBUSY);
	assert_int_equal(fence_get_status(&tf->base), 1);
	fence_unref(&tf->base);
}

static void error_out_of_range_is_refused(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);

	assert_int_equal(fence_set_error(&tf->base, 0), -EINVAL);
	assert_int_equal(fence_set_error(&tf->base, 5), -EINVAL);
	assert_int_equal(fence_set_error(&tf->base, -4096), -EINVAL);
	assert_int_equal(fence_set_error(&tf->base, -4095), 0);
	fence_unref(&tf->base);
}

static void callbacks_run_once_in_registration_order(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);
	int log[4];
	unsigned n = 0;
	struct recorder r[3];

	for (int i = 0; i < 3; i++) {
		r[i] = (struct recorder){ .id = i, .log = log, .n = &n };
		assert_int_equal(fence_add_callback(&tf->base, &r[i].cb, record_cb), 0);
	}
	fence_signal(&tf->base);
	fence_signal(&tf->base);
	assert_int_equal(n, 3);
	assert_int_equal(log[0], 0);
	assert_int_equal(log[1], 1);
	assert_int_equal(log[2], 2);
	fence_unref(&tf->base);
}

static void add_callback_on_signaled_fence_returns_enoent(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);
	int log[1];
	unsigned n = 0;
	struct recorder r = { .id = 1, .log = log, .n = &n };

	fence_signal(&tf->base);
	assert_int_equal(fence_add_callback(&tf->base, &r.cb, record_cb), -ENOENT);
	assert_int_equal(n, 0);
	assert_false(r.cb.pending);
	fence_unref(&tf->base);
}

static void add_callback_rejects_null_arguments(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);
	struct fence_cb cb;

	assert_int_equal(fence_add_callback(NULL, &cb, record_cb), -EINVAL);
	assert_int_equal(fence_add_callback(&tf->base, NULL, record_cb), -EINVAL);
	assert_int_equal(fence_add_callback(&tf->base, &cb, NULL), -EINVAL);
	fence_unref(&tf->base);
}

static void removed_callback_does_not_run(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);
	int log[2];
	unsigned n = 0;
	struct recorder a = { .id = 1, .log = log, .n = &n };
	struct recorder b = { .id = 2, .log = log, .n = &n };

	fence_add_callback(&tf->base, &a.cb, record_cb);
	fence_add_callback(&tf->base, &b.cb, record_cb);
	assert_true(fence_remove_callback(&tf->base, &a.cb));
	assert_false(fence_remove_callback(&tf->base, &a.cb));
	fence_signal(&tf->base);
	assert_int_equal(n, 1);
	assert_int_equal(log[0], 2);
	assert_false(fence_remove_callback(&tf->base, &b.cb));
	fence_unref(&tf->base);
}

static void enable_signaling_called_once_on_first_callback(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);
	struct fence_cb a, b;

	assert_int_equal(tf->enable_calls, 0);
	fence_add_callback(&tf->base, &a, never_cb);
	fence_add_callback(&tf->base, &b, never_cb);
	assert_int_equal(tf->enable_calls, 1);
	fence_remove_callback(&tf->base, &a);
	fence_remove_callback(&tf->base, &b);
	fence_unref(&tf->base);
}

static void enable_signaling_false_signals_at_once(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);
	struct fence_cb cb;

	tf->enable_result = false;
	assert_int_equal(fence_add_callback(&tf->base, &cb, never_cb), -ENOENT);
	assert_int_equal(fence_get_status(&tf->base), 1);
	fence_unref(&tf->base);
}

static void signaled_op_lets_polling_complete_the_fence(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);

	assert_false(fence_is_signaled(&tf->base));
	tf->producer_done = true;
	fake_now_ns = 777;
	assert_true(fence_is_signaled(&tf->base));
	assert_int_equal(fence_timestamp(&tf->base), 777);
	fence_unref(&tf->base);
}

static void release_with_pending_callback_signals_edeadlk(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);
	int log[1];
	unsigned n = 0;
	struct recorder r = { .id = 9, .log = log, .n = &n };

	fence_add_callback(&tf->base, &r.cb, record_cb);
	fence_unref(&tf->base);
	assert_int_equal(n, 1);
	assert_int_equal(log[0], 9);
	assert_int_equal(r.status, -EDEADLK);
	assert_int_equal(objstat_get(OBJ_FENCE), 0);
}

static void deadline_reaches_producer(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);

	fence_set_deadline(&tf->base, 5000);
	fence_set_deadline(&tf->base, 3000);
	fence_set_deadline(&tf->base, 9000);
	assert_int_equal(tf->deadline_calls, 3);
	assert_int_equal(tf->deadline_ns, 3000);
	fence_unref(&tf->base);
}

static void deadline_on_signaled_fence_is_ignored(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);

	fence_signal(&tf->base);
	fence_set_deadline(&tf->base, 5000);
	assert_int_equal(tf->deadline_calls, 0);
	fence_unref(&tf->base);
}

static void seqno_compare_wraps_at_32_bits(void **state)
{
	assert_true(fence_seqno_is_later(2, 1, false));
	assert_false(fence_seqno_is_later(1, 2, false));
	assert_false(fence_seqno_is_later(5, 5, false));
	/* 0 comes after 0xffffffff in serial-number arithmetic. */
	assert_true(fence_seqno_is_later(0, 0xffffffffu, false));
	assert_true(fence_seqno_is_later(0x10, 0xfffffff0u, false));
	/* Half the space away flips the answer. */
	assert_false(fence_seqno_is_later(0x80000000u, 0, false));
	assert_true(fence_seqno_is_later(0x7fffffffu, 0, false));
	/* Only the low 32 bits count. */
	assert_false(fence_seqno_is_later(0x100000001ull, 2, false));
}

static void seqno_compare_64bit_is_plain(void **state)
{
	assert_true(fence_seqno_is_later(0x100000001ull, 2, true));
	assert_false(fence_seqno_is_later(0, 0xffffffffu, true));
}

static void is_later_uses_the_ops_seqno_width(void **state)
{
	uint64_t ctx = fence_context_alloc(1);
	struct fence *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	fence_init(a, &test_ops_64, ctx, 0x100000001ull);
	fence_init(b, &test_ops_64, ctx, 2);
	assert_true(fence_is_later(a, b));
	assert_false(fence_is_later(b, a));
	fence_unref(a);
	fence_unref(b);
}

static void is_later_is_false_across_contexts(void **state)
{
	struct test_fence *a = new_test_fence(fence_context_alloc(1), 10);
	struct test_fence *b = new_test_fence(fence_context_alloc(1), 1);

	assert_false(fence_is_later(&a->base, &b->base));
	assert_false(fence_is_later(&b->base, &a->base));
	fence_unref(&a->base);
	fence_unref(&b->base);
}

static void stub_is_signaled_context_zero_named_stub(void **state)
{
	struct fence *stub = fence_get_stub();

	assert_int_equal(stub->context, 0);
	assert_int_equal(stub->seqno, 0);
	assert_int_equal(fence_get_status(stub), 1);
	assert_string_equal(fence_driver_name(stub), "stub");
	assert_string_equal(fence_timeline_name(stub), "stub");
	assert_ptr_equal(fence_get_stub(), stub);
	fence_unref(stub);
	fence_unref(stub);
	/* The global stub is not a live object and survives every unref. */
	assert_int_equal(objstat_get(OBJ_FENCE), 0);
	assert_int_equal(fence_get_status(stub), 1);
}

static void private_stub_carries_given_timestamp(void **state)
{
	struct fence *stub = fence_allocate_private_stub(4242);

	assert_non_null(stub);
	assert_int_equal(fence_timestamp(stub), 4242);
	assert_int_equal(fence_get_status(stub), 1);
	assert_int_equal(stub->context, 0);
	assert_ptr_not_equal(stub, fence_get_stub());
	fence_unref(fence_get_stub());
	fence_unref(stub);
}

static void callback_may_drop_last_reference(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);
	struct fence_cb cb;

	fence_ref(&tf->base);
	fence_add_callback(&tf->base, &cb, unref_cb);
	fence_signal(&tf->base);
	/* The callback dropped one reference; the test still holds one. */
	assert_int_equal(tf->base.refcount, 1);
	fence_unref(&tf->base);
	assert_int_equal(objstat_get(OBJ_FENCE), 0);
}

/* Live-fence listing. */

static int collect(struct fence *fence, void *data)
{
	struct fence **seen = data;

	while (*seen)
		seen++;
	*seen = fence;
	return 0;
}

static int stop_at_first(struct fence *fence, void *data)
{
	(*(unsigned *)data)++;
	return 7;
}

static void live_fences_are_listed_oldest_first_until_released(void **state)
{
	struct test_fence *a = new_test_fence(fence_context_alloc(1), 1);
	struct test_fence *b = new_test_fence(fence_context_alloc(1), 2);
	struct fence *seen[4] = { NULL };

	assert_int_equal(fence_foreach(collect, seen), 0);
	assert_ptr_equal(seen[0], &a->base);
	assert_ptr_equal(seen[1], &b->base);
	assert_null(seen[2]);

	fence_unref(&a->base);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(fence_foreach(collect, seen), 0);
	assert_ptr_equal(seen[0], &b->base);
	assert_null(seen[1]);
	fence_unref(&b->base);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(fence_foreach(collect, seen), 0);
	assert_null(seen[0]);
}

static void foreach_stops_at_the_first_nonzero_return(void **state)
{
	struct test_fence *a = new_test_fence(fence_context_alloc(1), 1);
	struct test_fence *b = new_test_fence(fence_context_alloc(1), 1);
	unsigned calls = 0;

	assert_int_equal(fence_foreach(stop_at_first, &calls), 7);
	assert_int_equal(calls, 1);
	fence_unref(&a->base);
	fence_unref(&b->base);
}

static void global_stub_is_not_listed(void **state)
{
	struct fence *stub = fence_get_stub();
	struct fence *priv = fence_allocate_private_stub(5);
	struct fence *seen[4] = { NULL };

	assert_int_equal(fence_foreach(collect, seen), 0);
	assert_ptr_equal(seen[0], priv);
	assert_null(seen[1]);
	fence_unref(priv);
	fence_unref(stub);
}

static void creation_time_is_recorded(void **state)
{
	struct test_fence *tf;

	fake_clock_advance(1000);
	tf = new_test_fence(fence_context_alloc(1), 1);
	assert_int_equal(tf->base.created_ns, fake_now_ns);
	fence_unref(&tf->base);
}

static void peek_status_does_not_ask_the_producer(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);

	tf->producer_done = true;
	assert_int_equal(fence_peek_status(&tf->base), 0);
	assert_int_equal(tf->base.flags & (1ul << FENCE_FLAG_SIGNALED_BIT), 0);
	assert_int_equal(fence_set_error(&tf->base, -EIO), 0);
	assert_int_equal(fence_signal(&tf->base), 0);
	assert_int_equal(fence_peek_status(&tf->base), -EIO);
	fence_unref(&tf->base);
}

static void noop_cb(struct fence *fence, struct fence_cb *cb)
{
}

static void waiter_count_follows_callbacks(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);
	struct fence_cb cb1, cb2;

	assert_int_equal(fence_waiter_count(&tf->base), 0);
	assert_int_equal(fence_add_callback(&tf->base, &cb1, noop_cb), 0);
	assert_int_equal(fence_add_callback(&tf->base, &cb2, noop_cb), 0);
	assert_int_equal(fence_waiter_count(&tf->base), 2);
	assert_true(fence_remove_callback(&tf->base, &cb1));
	assert_int_equal(fence_waiter_count(&tf->base), 1);
	assert_int_equal(fence_signal(&tf->base), 0);
	assert_int_equal(fence_waiter_count(&tf->base), 0);
	fence_unref(&tf->base);
}

/*
 * The timestamp shares its bytes with the callback list: a callback that
 * unlinks the last other waiter while the fence signals must neither run
 * it nor touch the time written over the list's head.
 */
struct remover {
	struct fence_cb cb;
	struct fence_cb *victim;
	bool removed;
};

static void remove_other_cb(struct fence *f, struct fence_cb *cb)
{
	struct remover *r = container_of(cb, struct remover, cb);

	r->removed = fence_remove_callback(f, r->victim);
}

static void callback_removing_last_waiter_while_signaling_keeps_timestamp(void **state)
{
	struct test_fence *tf = new_test_fence(fence_context_alloc(1), 1);
	struct remover first = { 0 };
	struct fence_cb last;

	first.victim = &last;
	assert_int_equal(fence_add_callback(&tf->base, &first.cb, remove_other_cb), 0);
	assert_int_equal(fence_add_callback(&tf->base, &last, never_cb), 0);
	assert_int_equal(fence_signal_timestamp(&tf->base, 0x1234567890ull), 0);
	assert_true(first.removed);
	assert_false(last.pending);
	assert_int_equal(fence_timestamp(&tf->base), 0x1234567890ull);
	assert_int_equal(fence_waiter_count(&tf->base), 0);
	fence_unref(&tf->base);
}

/* The per-fence budget behind the million-fence target (README, Scale). */
static void fence_struct_fits_88_bytes(void **state)
{
	if (sizeof(void *) != 8)
		skip();
	assert_true(sizeof(struct fence) <= 88);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		model_test(context_alloc_never_returns_zero),
		model_test(context_alloc_returns_consecutive_blocks),
		model_test(init_rejects_ops_without_names),
		model_test(new_fence_is_pending_with_one_reference),
		model_test(unref_null_is_noop),
		model_test(ref_keeps_fence_alive_until_last_unref),
		model_test(signal_sets_status_one_and_timestamp),
		model_test(signal_twice_returns_einval_and_keeps_timestamp),
		model_test(error_set_before_signal_is_reported_as_status),
		model_test(error_after_signal_is_refused_with_ebusy),
		model_test(error_out_of_range_is_refused),
		model_test(callbacks_run_once_in_registration_order),
		model_test(add_callback_on_signaled_fence_returns_enoent),
		model_test(add_callback_rejects_null_arguments),
		model_test(removed_callback_does_not_run),
		model_test(enable_signaling_called_once_on_first_callback),
		model_test(enable_signaling_false_signals_at_once),
		model_test(signaled_op_lets_polling_complete_the_fence),
		model_test(release_with_pending_callback_signals_edeadlk),
		model_test(deadline_reaches_producer),
		model_test(deadline_on_signaled_fence_is_ignored),
		model_test(seqno_compare_wraps_at_32_bits),
		model_test(seqno_compare_64bit_is_plain),
		model_test(is_later_uses_the_ops_seqno_width),
		model_test(is_later_is_false_across_contexts),
		model_test(stub_is_signaled_context_zero_named_stub),
		model_test(private_stub_carries_given_timestamp),
		model_test(callback_may_drop_last_reference),
		model_test(live_fences_are_listed_oldest_first_until_released),
		model_test(foreach_stops_at_the_first_nonzero_return),
		model_test(global_stub_is_not_listed),
		model_test(creation_time_is_recorded),
		model_test(peek_status_does_not_ask_the_producer),
		model_test(waiter_count_follows_callbacks),
		model_test(callback_removing_last_waiter_while_signaling_keeps_timestamp),
		model_test(fence_struct_fits_88_bytes),
	};

	return cmocka_run_group_tests_name("fence", tests, NULL, NULL);
}
