/* SPDX-License-Identifier: MIT */
/* Unit tests: daemon/model/fence_wait.c (waits with timeout) and clock.c. */
#include <errno.h>

#include "helpers.h"
#include "model/fence_wait.h"
#include "test-fences.h"

#define MS 1000000ll

struct waiter {
	struct fence_wait wait;
	int calls;
	int64_t result;
};

static void waiter_done(struct fence_wait *wait, int64_t result)
{
	struct waiter *w = container_of(wait, struct waiter, wait);

	w->calls++;
	w->result = result;
}

static void wait_rejects_bad_arguments(void **state)
{
	struct waiter w = { 0 };
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);
	struct fence *none = NULL;

	assert_int_equal(fence_wait_start(&w.wait, &f, 0, FENCE_WAIT_ALL, 0, waiter_done), -EINVAL);
	assert_int_equal(fence_wait_start(&w.wait, &f, 1, FENCE_WAIT_ALL, -1, waiter_done), -EINVAL);
	assert_int_equal(fence_wait_start(&w.wait, &f, 1, FENCE_WAIT_ALL, 0, NULL), -EINVAL);
	assert_int_equal(fence_wait_start(&w.wait, &none, 1, FENCE_WAIT_ALL, 0, waiter_done), -EINVAL);
	assert_int_equal(fence_wait_start(&w.wait, &f, 1, 7, 0, waiter_done), -EINVAL);
	fence_unref(f);
}

static void wait_zero_timeout_on_signaled_returns_one(void **state)
{
	struct waiter w = { 0 };
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);

	test_fence_signal(f, 0);
	assert_int_equal(fence_wait_start(&w.wait, &f, 1, FENCE_WAIT_ALL, 0, waiter_done), 1);
	assert_int_equal(w.calls, 0);
	fence_unref(f);
}

static void wait_zero_timeout_on_pending_returns_zero(void **state)
{
	struct waiter w = { 0 };
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);

	assert_int_equal(fence_wait_start(&w.wait, &f, 1, FENCE_WAIT_ALL, 0, waiter_done), 0);
	assert_int_equal(timerq_armed(), 0);
	fence_unref(f);
}

static void wait_on_signaled_returns_whole_timeout(void **state)
{
	struct waiter w = { 0 };
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);

	test_fence_signal(f, 0);
	assert_int_equal(fence_wait_start(&w.wait, &f, 1, FENCE_WAIT_ALL, 50 * MS, waiter_done), 50 * MS);
	fence_unref(f);
}

static void wait_reports_time_left_when_signaled(void **state)
{
	struct waiter w = { 0 };
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);

	assert_int_equal(fence_wait_start(&w.wait, &f, 1, FENCE_WAIT_ALL, 100 * MS, waiter_done),
			 -EINPROGRESS);
	fake_clock_advance(30 * MS);
	assert_int_equal(w.calls, 0);
	test_fence_signal(f, 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.result, 70 * MS);
	assert_int_equal(timerq_armed(), 0);
	fence_unref(f);
}

static void wait_times_out_with_zero(void **state)
{
	struct waiter w = { 0 };
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);

	fence_wait_start(&w.wait, &f, 1, FENCE_WAIT_ALL, 100 * MS, waiter_done);
	fake_clock_advance(99 * MS);
	assert_int_equal(w.calls, 0);
	fake_clock_advance(1 * MS);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.result, 0);
	/* A late signal does not report a second time. */
	test_fence_signal(f, 0);
	assert_int_equal(w.calls, 1);
	fence_unref(f);
}

static void wait_holds_a_reference_to_its_fences(void **state)
{
	struct waiter w = { 0 };
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);

	fence_wait_start(&w.wait, &f, 1, FENCE_WAIT_ALL, 100 * MS, waiter_done);
	assert_int_equal(f->refcount, 2);
	test_fence_signal(f, 0);
	assert_int_equal(f->refcount, 1);
	fence_unref(f);
}

static void wait_all_needs_every_fence(void **state)
{
	struct waiter w = { 0 };
	struct fence *f[3];

	for (int i = 0; i < 3; i++)
		f[i] = test_fence_new(fence_context_alloc(1), 1);
	fence_wait_start(&w.wait, f, 3, FENCE_WAIT_ALL, 100 * MS, waiter_done);
	test_fence_signal(f[2], 0);
	test_fence_signal(f[0], 0);
	assert_int_equal(w.calls, 0);
	test_fence_signal(f[1], 0);
	assert_int_equal(w.calls, 1);
	assert_true(w.result > 0);
	assert_int_equal(w.wait.first_signaled, 2);
	for (int i = 0; i < 3; i++)
		fence_unref(f[i]);
}

static void wait_all_with_some_signaled_waits_for_the_rest(void **state)
{
	struct waiter w = { 0 };
	struct fence *f[2];

	for (int i = 0; i < 2; i++)
		f[i] = test_fence_new(fence_context_alloc(1), 1);
	test_fence_signal(f[0], 0);
	assert_int_equal(fence_wait_start(&w.wait, f, 2, FENCE_WAIT_ALL, 100 * MS, waiter_done),
			 -EINPROGRESS);
	test_fence_signal(f[1], 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.result, 100 * MS);
	for (int i = 0; i < 2; i++)
		fence_unref(f[i]);
}

static void wait_any_reports_first_signaled_index(void **state)
{
	struct waiter w = { 0 };
	struct fence *f[3];

	for (int i = 0; i < 3; i++)
		f[i] = test_fence_new(fence_context_alloc(1), 1);
	fence_wait_start(&w.wait, f, 3, FENCE_WAIT_ANY, 100 * MS, waiter_done);
	test_fence_signal(f[1], 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.wait.first_signaled, 1);
	test_fence_signal(f[0], 0);
	assert_int_equal(w.calls, 1);
	for (int i = 0; i < 3; i++) {
		if (i == 2)
			test_fence_signal(f[i], 0);
		fence_unref(f[i]);
	}
}

static void wait_any_with_one_signaled_is_immediate(void **state)
{
	struct waiter w = { 0 };
	struct fence *f[2];

	for (int i = 0; i < 2; i++)
		f[i] = test_fence_new(fence_context_alloc(1), 1);
	test_fence_signal(f[1], 0);
	assert_int_equal(fence_wait_start(&w.wait, f, 2, FENCE_WAIT_ANY, 0, waiter_done), 1);
	assert_int_equal(w.wait.first_signaled, 1);
	for (int i = 0; i < 2; i++)
		fence_unref(f[i]);
}

static void wait_counts_errored_fence_as_signaled(void **state)
{
	struct waiter w = { 0 };
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);

	fence_wait_start(&w.wait, &f, 1, FENCE_WAIT_ALL, 100 * MS, waiter_done);
	test_fence_signal(f, -EIO);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.result, 100 * MS);
	fence_unref(f);
}

static void wait_cancel_reports_nothing_and_releases(void **state)
{
	struct waiter w = { 0 };
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);

	fence_wait_start(&w.wait, &f, 1, FENCE_WAIT_ALL, 100 * MS, waiter_done);
	assert_true(fence_wait_cancel(&w.wait));
	assert_false(fence_wait_cancel(&w.wait));
	assert_int_equal(timerq_armed(), 0);
	assert_int_equal(f->refcount, 1);
	test_fence_signal(f, 0);
	fake_clock_advance(200 * MS);
	assert_int_equal(w.calls, 0);
	fence_unref(f);
}

static void wait_forever_arms_no_timer(void **state)
{
	struct waiter w = { 0 };
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);

	fence_wait_start(&w.wait, &f, 1, FENCE_WAIT_ALL, FENCE_WAIT_FOREVER, waiter_done);
	assert_int_equal(timerq_armed(), 0);
	test_fence_signal(f, 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.result, FENCE_WAIT_FOREVER);
	fence_unref(f);
}

static void wait_survives_producer_dropping_fence(void **state)
{
	struct waiter w = { 0 };
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);

	fence_wait_start(&w.wait, &f, 1, FENCE_WAIT_ALL, 100 * MS, waiter_done);
	fence_unref(f); /* the wait's reference keeps it alive */
	assert_int_equal(objstat_get(OBJ_FENCE), 1);
	fake_clock_advance(100 * MS);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.result, 0);
}


struct restarter {
	struct fence_wait wait;
	struct fence *f;
	int rounds;
};

static void restart_done(struct fence_wait *wait, int64_t result)
{
	struct restarter *r = container_of(wait, struct restarter, wait);

	if (++r->rounds == 1)
		assert_int_equal(fence_wait_start(&r->wait, &r->f, 1, FENCE_WAIT_ALL,
						  10 * MS, restart_done), -EINPROGRESS);
}

static void done_callback_may_restart_the_wait(void **state)
{
	struct restarter r = { .f = test_fence_new(fence_context_alloc(1), 1) };

	fence_wait_start(&r.wait, &r.f, 1, FENCE_WAIT_ALL, 10 * MS, restart_done);
	fake_clock_advance(10 * MS);
	assert_int_equal(r.rounds, 1);
	fake_clock_advance(10 * MS);
	assert_int_equal(r.rounds, 2);
	fence_unref(r.f);
}

static int fired[4];
static unsigned nfired;

static void record_timer(struct timer *t)
{
	fired[nfired++] = (int)(t->expires_ns / 1000);
}

static void timers_fire_in_expiry_order(void **state)
{
	struct timer t[3];

	nfired = 0;
	for (int i = 0; i < 3; i++)
		timer_init(&t[i], record_timer);
	timer_arm(&t[0], 3000);
	timer_arm(&t[1], 1000);
	timer_arm(&t[2], 2000);
	assert_int_equal(timerq_next(), 1000);
	assert_int_equal(timerq_run(2500), 2);
	assert_int_equal(fired[0], 1);
	assert_int_equal(fired[1], 2);
	assert_int_equal(timerq_armed(), 1);
	assert_true(timer_cancel(&t[0]));
	assert_false(timer_cancel(&t[0]));
	assert_int_equal(timerq_next(), CLOCK_NS_NEVER);
}

static int notified;

static void count_notify(void *data)
{
	notified++;
}

static void timerq_notifies_when_earliest_changes(void **state)
{
	struct timer a, b;

	notified = 0;
	timerq_set_notify(count_notify, NULL);
	timer_init(&a, record_timer);
	timer_init(&b, record_timer);
	timer_arm(&a, 5000);
	assert_int_equal(notified, 1);
	timer_arm(&b, 9000);
	assert_int_equal(notified, 1);
	timer_arm(&b, 1000);
	assert_int_equal(notified, 2);
	timerq_set_notify(NULL, NULL);
	timer_cancel(&a);
	timer_cancel(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		model_test(wait_rejects_bad_arguments),
		model_test(wait_zero_timeout_on_signaled_returns_one),
		model_test(wait_zero_timeout_on_pending_returns_zero),
		model_test(wait_on_signaled_returns_whole_timeout),
		model_test(wait_reports_time_left_when_signaled),
		model_test(wait_times_out_with_zero),
		model_test(wait_holds_a_reference_to_its_fences),
		model_test(wait_all_needs_every_fence),
		model_test(wait_all_with_some_signaled_waits_for_the_rest),
		model_test(wait_any_reports_first_signaled_index),
		model_test(wait_any_with_one_signaled_is_immediate),
		model_test(wait_counts_errored_fence_as_signaled),
		model_test(wait_cancel_reports_nothing_and_releases),
		model_test(wait_forever_arms_no_timer),
		model_test(wait_survives_producer_dropping_fence),
		model_test(done_callback_may_restart_the_wait),
		model_test(timers_fire_in_expiry_order),
		model_test(timerq_notifies_when_earliest_changes),
	};

	return cmocka_run_group_tests_name("fence_wait", tests, NULL, NULL);
}
