/* SPDX-License-Identifier: MIT */
/*
 * daemon/util/recorder.c: off unless subscribed, what a fence's signal
 * records, a full ring drops and counts, records filtered by owner.
 */
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "test-fences.h"
#include "util/recorder.h"

static unsigned wakes;

static void count_wake(struct recorder_sub *sub)
{
	wakes++;
}

static struct dmabufd_ctl_trace_rec rec_of(uint32_t kind, uint64_t id)
{
	return (struct dmabufd_ctl_trace_rec){ .ts_ns = 1, .kind = kind,
					       .id = id,
					       .phase = DMABUFD_TRACE_BEGIN };
}

static void recorder_without_subscriber_records_nothing(void **state)
{
	struct recorder_sub gone, later;
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);

	assert_int_equal(recorder_active, 0);
	/* One that came and went before the event keeps nothing of it. */
	assert_int_equal(recorder_subscribe(&gone, 4, 0, true, 0, count_wake), 0);
	assert_int_equal(recorder_active, 1);
	recorder_unsubscribe(&gone);
	assert_int_equal(recorder_active, 0);
	wakes = 0;
	test_fence_signal(f, 0);
	assert_int_equal(gone.len, 0);
	assert_int_equal(gone.lost, 0);
	assert_int_equal(wakes, 0);
	recorder_sub_free(&gone);
	/* Nor does one that comes after it. */
	assert_int_equal(recorder_subscribe(&later, 4, 0, true, 0, count_wake), 0);
	assert_int_equal(later.len, 0);
	assert_int_equal(later.lost, 0);
	recorder_sub_free(&later);
	assert_int_equal(recorder_active, 0);
	fence_unref(f);
}

static void fence_signal_records_end_with_creation_time(void **state)
{
	struct recorder_sub sub;
	struct dmabufd_ctl_trace_rec out[2];
	uint64_t ctx = fence_context_alloc(1);
	struct fence *f = test_fence_new(ctx, 7);

	assert_int_equal(recorder_subscribe(&sub, 4, 0, true, 0, count_wake), 0);
	wakes = 0;
	fence_set_error(f, -EIO);
	assert_int_equal(fence_signal_timestamp(f, f->created_ns + 5000), 0);
	assert_int_equal(wakes, 1);
	assert_int_equal(recorder_peek(&sub, out, 2), 1);
	assert_int_equal(out[0].kind, DMABUFD_TRACE_FENCE);
	assert_int_equal(out[0].phase, DMABUFD_TRACE_END);
	assert_int_equal(out[0].track, ctx);
	assert_int_equal(out[0].id, 7);
	assert_int_equal(out[0].result, -EIO);
	assert_int_equal(out[0].begin_ns, f->created_ns);
	assert_int_equal(out[0].ts_ns, f->created_ns + 5000);
	assert_string_equal(out[0].label, "test");
	recorder_consume(&sub, 1);
	assert_int_equal(sub.len, 0);
	recorder_sub_free(&sub);
	fence_unref(f);
}

static void full_ring_drops_newest_and_counts_them(void **state)
{
	struct recorder_sub sub;
	struct dmabufd_ctl_trace_rec out[3], r;

	assert_int_equal(recorder_subscribe(&sub, 2, 0, true, 0, count_wake), 0);
	wakes = 0;
	for (uint64_t i = 1; i <= 5; i++) {
		r = rec_of(DMABUFD_TRACE_WAIT, i);
		recorder_emit(&r, 0);
	}
	assert_int_equal(wakes, 1);
	assert_int_equal(recorder_peek(&sub, out, 3), 2);
	assert_int_equal(out[0].id, 1);
	assert_int_equal(out[1].id, 2);
	assert_int_equal(recorder_take_lost(&sub), 3);
	assert_int_equal(recorder_take_lost(&sub), 0);
	/* Room again: the ring goes on where it was. */
	recorder_consume(&sub, 1);
	r = rec_of(DMABUFD_TRACE_WAIT, 6);
	recorder_emit(&r, 0);
	assert_int_equal(recorder_peek(&sub, out, 3), 2);
	assert_int_equal(out[0].id, 2);
	assert_int_equal(out[1].id, 6);
	recorder_sub_free(&sub);
}

static void subscriber_sees_own_records_and_wanted_kinds_only(void **state)
{
	struct recorder_sub mine, all, dma_only;
	struct dmabufd_ctl_trace_rec out[4], r;

	assert_int_equal(recorder_subscribe(&mine, 4, 0, false, 1000, NULL), 0);
	assert_int_equal(recorder_subscribe(&all, 4, 0, true, 1000, NULL), 0);
	assert_int_equal(recorder_subscribe(&dma_only, 4,
					    1u << DMABUFD_TRACE_DMA, true, 0,
					    NULL), 0);
	r = rec_of(DMABUFD_TRACE_CPU, 1);
	recorder_emit(&r, 1000);
	r = rec_of(DMABUFD_TRACE_CPU, 2);
	recorder_emit(&r, 1001);
	r = rec_of(DMABUFD_TRACE_DMA, 3);
	recorder_emit(&r, 1001);
	assert_int_equal(recorder_peek(&mine, out, 4), 1);
	assert_int_equal(out[0].id, 1);
	assert_int_equal(recorder_peek(&all, out, 4), 3);
	assert_int_equal(recorder_peek(&dma_only, out, 4), 1);
	assert_int_equal(out[0].id, 3);
	/* An unknown kind bit is refused. */
	assert_int_equal(recorder_subscribe(&mine, 4, 1u << 9, true, 0, NULL),
			 -EINVAL);
	recorder_sub_free(&mine);
	recorder_sub_free(&all);
	recorder_sub_free(&dma_only);
	assert_int_equal(recorder_active, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		model_test(recorder_without_subscriber_records_nothing),
		model_test(fence_signal_records_end_with_creation_time),
		model_test(full_ring_drops_newest_and_counts_them),
		model_test(subscriber_sees_own_records_and_wanted_kinds_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
