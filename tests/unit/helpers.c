/* SPDX-License-Identifier: MIT */
#include "helpers.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t fake_now_ns;

/* Counts when the test started: a test is judged only by what it left. */
static long baseline[_OBJ_MAX];
static unsigned baseline_timers;

static uint64_t fake_clock(void)
{
	return fake_now_ns;
}

int fake_clock_setup(void **state)
{
	fake_now_ns = 1000000000ull;
	clock_set_source(fake_clock);
	for (int t = 0; t < _OBJ_MAX; t++)
		baseline[t] = objstat_get(t);
	baseline_timers = timerq_armed();
	return 0;
}

void fake_clock_advance(uint64_t ns)
{
	fake_now_ns += ns;
	timerq_run(fake_now_ns);
}

int leak_check_teardown(void **state)
{
	int leaked = 0;

	clock_set_source(NULL);
	for (int t = 0; t < _OBJ_MAX; t++) {
		if (objstat_get(t) != baseline[t]) {
			fprintf(stderr, "leak: %ld %s object(s) still alive\n",
				objstat_get(t) - baseline[t], objstat_name(t));
			leaked = 1;
		}
	}
	if (timerq_armed() != baseline_timers) {
		fprintf(stderr, "leak: %u timer(s) still armed\n",
			timerq_armed() - baseline_timers);
		leaked = 1;
	}
	return leaked ? -1 : 0;
}

/* The "test" producer (test-fences.h). */
#include "test-fences.h"

static const char *test_fence_name(struct fence *f)
{
	return "test";
}

struct test_fence {
	struct fence base;
	uint64_t deadline_ns;
};

static void test_fence_set_deadline(struct fence *f, uint64_t deadline_ns)
{
	struct test_fence *tf = (struct test_fence *)f;

	if (!tf->deadline_ns || deadline_ns < tf->deadline_ns)
		tf->deadline_ns = deadline_ns;
}

static const struct fence_ops test_fence_ops = {
	.get_driver_name = test_fence_name,
	.get_timeline_name = test_fence_name,
	.set_deadline = test_fence_set_deadline,
};

struct fence *test_fence_new(uint64_t context, uint64_t seqno)
{
	struct test_fence *tf = calloc(1, sizeof(*tf));

	assert_non_null(tf);
	assert_int_equal(fence_init(&tf->base, &test_fence_ops, context, seqno), 0);
	return &tf->base;
}

uint64_t test_fence_deadline(struct fence *f)
{
	assert_ptr_equal(f->ops, &test_fence_ops);
	return ((struct test_fence *)f)->deadline_ns;
}

void test_fence_signal(struct fence *f, int error)
{
	if (error)
		assert_int_equal(fence_set_error(f, error), 0);
	assert_int_equal(fence_signal(f), 0);
}

void fake_linger(struct heap_linger *hl, void *data)
{
	struct fake_linger *fl = data;

	fl->calls++;
	fl->hl = hl;
}

size_t heap_bytes_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return 0;
#else
	const char *preload = getenv("LD_PRELOAD");

	/* valgrind preloads its own malloc (vgpreload_*.so). */
	if (preload && strstr(preload, "vgpreload"))
		return 0;
	return mallinfo2().uordblks;
#endif
}
