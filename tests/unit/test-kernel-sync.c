/* SPDX-License-Identifier: MIT */
/*
 * daemon/kernel_sync.c on a real libuv loop, with the kernel replaced
 * (struct kernel_sync_ops): a "kernel sync_file" is the read end of a
 * pipe whose status the test sets, made readable (POLLIN) by a byte
 * written to it; a "sw_sync timeline" is an entry of a table whose
 * points are pipes, readable once the timeline reaches them, as the
 * kernel's sw_sync. The real kernel's side runs in the VM
 * (tests/vm/kinterop.c). Waits run the loop and are bounded (WAIT_MS).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include "kernel_sync.h"
#include "model/acct.h"
#include "test-fences.h"

#define WAIT_MS 10000
#define FDS 1024

/* ---- the fake kernel ------------------------------------------------------- */

static struct {
	bool is_sync_file;
	int status;
	int write_end;
} fake_sf[FDS];

static bool no_sw_sync;
static struct {
	bool open;
	uint32_t value;
} fake_tl[FDS];
static struct {
	bool live;
	int tl;
	uint32_t value;
	int write_end;
	bool signaled;
} fake_pt[FDS];

static int fake_check(int fd)
{
	return fd >= 0 && fd < FDS && fake_sf[fd].is_sync_file ? 0 : -EINVAL;
}

static int fake_info(int fd, int *ret_status, char ret_name[KERNEL_SYNC_NAME_LEN])
{
	*ret_status = fake_sf[fd].status;
	snprintf(ret_name, KERNEL_SYNC_NAME_LEN, "fake-%d", fd);
	return 0;
}

static int fake_timeline_open(void)
{
	int fd;

	if (no_sw_sync)
		return -EOPNOTSUPP;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0 && fd < FDS);
	fake_tl[fd].open = true;
	fake_tl[fd].value = 0;
	return fd;
}

static void fake_pt_signal(int rfd)
{
	if (!fake_pt[rfd].signaled)
		assert_int_equal(write(fake_pt[rfd].write_end, "x", 1), 1);
	fake_pt[rfd].signaled = true;
}

static int fake_create_fence(int tl, uint32_t value, const char *name)
{
	int p[2];

	assert_true(fake_tl[tl].open);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_true(p[0] < FDS);
	fake_pt[p[0]].live = true;
	fake_pt[p[0]].tl = tl;
	fake_pt[p[0]].value = value;
	fake_pt[p[0]].write_end = p[1];
	fake_pt[p[0]].signaled = false;
	if (value <= fake_tl[tl].value)
		fake_pt_signal(p[0]);
	return p[0];
}

static int fake_inc(int tl, uint32_t count)
{
	fake_tl[tl].value += count;
	for (int i = 0; i < FDS; i++)
		if (fake_pt[i].live && fake_pt[i].tl == tl &&
		    fake_pt[i].value <= fake_tl[tl].value)
			fake_pt_signal(i);
	return 0;
}

static const struct kernel_sync_ops fake_ops = {
	.check = fake_check,
	.info = fake_info,
	.timeline_open = fake_timeline_open,
	.create_fence = fake_create_fence,
	.inc = fake_inc,
};

/* A fake kernel sync_file with @status: its fd (the test keeps none). */
static int fake_sync_file(int status)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_true(p[0] < FDS);
	fake_sf[p[0]].is_sync_file = true;
	fake_sf[p[0]].status = status;
	fake_sf[p[0]].write_end = p[1];
	return p[0];
}

/* The kernel fence of fake sync_file @fd signals with @status. */
static void fake_sync_file_signal(int fd, int status)
{
	fake_sf[fd].status = status;
	assert_int_equal(write(fake_sf[fd].write_end, "x", 1), 1);
}

/* Whether the kernel point @fd (returned by an export) has signaled. */
static bool kernel_point_signaled(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* Whether @fd is closed within 10 s: a refused fd is closed off the
 * caller's thread (util/fd_drop.h). */
static bool fd_closes(int fd)
{
	for (int i = 0; i < 10000; i++) {
		if (!fd_open(fd))
			return true;
		usleep(1000);
	}
	return false;
}

/* ---- fixture ------------------------------------------------------------- */

static uv_loop_t loop;

static int setup(void **state)
{
	memset(fake_sf, 0, sizeof(fake_sf));
	memset(fake_tl, 0, sizeof(fake_tl));
	memset(fake_pt, 0, sizeof(fake_pt));
	no_sw_sync = false;
	assert_int_equal(uv_loop_init(&loop), 0);
	kernel_sync_start(&loop, &fake_ops);
	return 0;
}

static int teardown(void **state)
{
	kernel_sync_stop();
	uv_run(&loop, UV_RUN_NOWAIT); /* the close callbacks */
	assert_int_equal(uv_loop_close(&loop), 0);
	for (int i = 0; i < FDS; i++) {
		if (fake_sf[i].is_sync_file)
			close(fake_sf[i].write_end);
		if (fake_pt[i].live) {
			close(fake_pt[i].write_end);
			close(i);
		}
	}
	return 0;
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the loop until @f signals (at most WAIT_MS). */
static void run_until_signaled(struct fence *f)
{
	int64_t end = ms_now() + WAIT_MS;

	while (!fence_is_signaled(f) && ms_now() < end)
		uv_run(&loop, UV_RUN_ONCE);
	assert_true(fence_is_signaled(f));
}

/* ---- fences in ----------------------------------------------------------- */

static void import_refuses_what_is_no_kernel_sync_file(void **state)
{
	struct fence *f = NULL;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(kernel_fence_import(p[0], 0, &f), -EINVAL);
	assert_null(f);
	assert_true(fd_closes(p[0])); /* taken, closed */
	assert_int_equal(kernel_sync_watching(), 0);
	close(p[1]);
}

static void import_of_a_signaled_sync_file_is_signaled(void **state)
{
	int fd = fake_sync_file(1);
	struct fence *f;

	assert_int_equal(kernel_fence_import(fd, 0, &f), 0);
	assert_int_equal(fence_get_status(f), 1);
	assert_string_equal(fence_driver_name(f), "kernel");
	assert_int_equal(kernel_sync_watching(), 0);
	assert_false(fd_open(fd));
	fence_unref(f);
}

static void import_of_a_failed_sync_file_carries_its_error(void **state)
{
	int fd = fake_sync_file(-ETIMEDOUT);
	struct fence *f;

	assert_int_equal(kernel_fence_import(fd, 0, &f), 0);
	assert_int_equal(fence_get_status(f), -ETIMEDOUT);
	fence_unref(f);
}

static void import_signals_when_the_kernel_fence_does(void **state)
{
	int fd = fake_sync_file(0);
	struct fence *f;
	char name[KERNEL_SYNC_NAME_LEN];

	assert_int_equal(kernel_fence_import(fd, 0, &f), 0);
	snprintf(name, sizeof(name), "fake-%d", fd);
	assert_string_equal(fence_timeline_name(f), name);
	assert_int_equal(kernel_sync_watching(), 1);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(fence_get_status(f), 0);
	fake_sync_file_signal(fd, 1);
	run_until_signaled(f);
	assert_int_equal(fence_get_status(f), 1);
	assert_int_equal(kernel_sync_watching(), 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_false(fd_open(fd)); /* the daemon's copy is closed */
	fence_unref(f);
}

static void import_signals_with_the_kernel_fence_error(void **state)
{
	int fd = fake_sync_file(0);
	struct fence *f;

	assert_int_equal(kernel_fence_import(fd, 0, &f), 0);
	fake_sync_file_signal(fd, -EPIPE);
	run_until_signaled(f);
	assert_int_equal(fence_get_status(f), -EPIPE);
	fence_unref(f);
}

static void import_keeps_waiting_through_a_spurious_wakeup(void **state)
{
	int fd = fake_sync_file(0);
	struct fence *f;

	assert_int_equal(kernel_fence_import(fd, 0, &f), 0);
	fake_sync_file_signal(fd, 0); /* readable, status still 0 */
	for (int i = 0; i < 5; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(fence_get_status(f), 0);
	assert_int_equal(kernel_sync_watching(), 1);
	fake_sf[fd].status = 1;
	run_until_signaled(f);
	assert_int_equal(fence_get_status(f), 1);
	fence_unref(f);
}

static void import_released_unsignaled_stops_watching(void **state)
{
	int fd = fake_sync_file(0);
	struct fence *f;

	assert_int_equal(kernel_fence_import(fd, 0, &f), 0);
	fence_unref(f);
	assert_int_equal(kernel_sync_watching(), 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_false(fd_open(fd));
}

static void import_pending_is_charged_one_file(void **state)
{
	struct acct *a;
	struct fence *f;
	int fd = fake_sync_file(0);

	assert_int_equal(acct_get(4242, &a), 0);
	assert_int_equal(a->used[ACCT_FILES], 0);
	assert_int_equal(kernel_fence_import(fd, 4242, &f), 0);
	assert_int_equal(f->owner, 4242);
	assert_int_equal(a->used[ACCT_FILES], 1);
	fake_sync_file_signal(fd, 1);
	run_until_signaled(f);
	assert_int_equal(a->used[ACCT_FILES], 0);
	fence_unref(f);
	acct_unref(a);
}

static void stop_signals_pending_imports_enodev(void **state)
{
	int fd = fake_sync_file(0);
	struct fence *f;

	assert_int_equal(kernel_fence_import(fd, 0, &f), 0);
	kernel_sync_stop();
	assert_int_equal(fence_get_status(f), -ENODEV);
	assert_int_equal(kernel_sync_watching(), 0);
	fence_unref(f);
	assert_int_equal(kernel_fence_import(fake_sync_file(0), 0, &f), -ENODEV);
}

/* ---- fences out ---------------------------------------------------------- */

static void export_without_sw_sync_is_eopnotsupp(void **state)
{
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);
	int kfd = -1;

	no_sw_sync = true;
	assert_int_equal(kernel_fence_export(f, 0, &kfd), -EOPNOTSUPP);
	assert_int_equal(kfd, -1);
	assert_int_equal(kernel_sync_timelines(), 0);
	fence_unref(f);
}

static void export_signals_the_kernel_point_with_the_fence(void **state)
{
	struct fence *f = test_fence_new(fence_context_alloc(1), 7);
	int kfd;

	assert_int_equal(kernel_fence_export(f, 0, &kfd), 0);
	assert_int_equal(kernel_sync_timelines(), 1);
	assert_false(kernel_point_signaled(kfd));
	test_fence_signal(f, 0);
	assert_true(kernel_point_signaled(kfd));
	assert_int_equal(fake_pt[kfd].value, 1); /* the first point is at 1 */
	assert_int_equal(kernel_sync_timelines(), 0); /* nothing pending: closed */
	fence_unref(f);
}

static void export_of_a_failed_fence_signals_the_kernel_point(void **state)
{
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);
	int kfd;

	assert_int_equal(kernel_fence_export(f, 0, &kfd), 0);
	test_fence_signal(f, -EIO);
	assert_true(kernel_point_signaled(kfd));
	fence_unref(f);
}

static void export_of_a_signaled_fence_is_signaled_at_once(void **state)
{
	struct fence *f = test_fence_new(fence_context_alloc(1), 3);
	int kfd;

	test_fence_signal(f, 0);
	assert_int_equal(kernel_fence_export(f, 0, &kfd), 0);
	assert_true(kernel_point_signaled(kfd));
	assert_int_equal(kernel_sync_timelines(), 0);
	fence_unref(f);
}

static void export_shares_one_timeline_per_context(void **state)
{
	uint64_t ctx = fence_context_alloc(2);
	struct fence *a = test_fence_new(ctx, 1), *b = test_fence_new(ctx, 2);
	struct fence *c = test_fence_new(ctx + 1, 1);
	int ka, kb, kc;

	assert_int_equal(kernel_fence_export(a, 0, &ka), 0);
	assert_int_equal(kernel_fence_export(b, 0, &kb), 0);
	assert_int_equal(kernel_fence_export(c, 0, &kc), 0);
	assert_int_equal(kernel_sync_timelines(), 2);
	assert_int_equal(fake_pt[ka].tl, fake_pt[kb].tl);
	assert_int_not_equal(fake_pt[ka].tl, fake_pt[kc].tl);
	test_fence_signal(a, 0);
	assert_true(kernel_point_signaled(ka));
	assert_false(kernel_point_signaled(kb));
	test_fence_signal(b, 0);
	test_fence_signal(c, 0);
	assert_true(kernel_point_signaled(kb));
	assert_true(kernel_point_signaled(kc));
	assert_int_equal(kernel_sync_timelines(), 0);
	fence_unref(a);
	fence_unref(b);
	fence_unref(c);
}

static void export_holds_a_later_seqno_until_the_earlier_signals(void **state)
{
	uint64_t ctx = fence_context_alloc(1);
	struct fence *a = test_fence_new(ctx, 1), *b = test_fence_new(ctx, 2);
	int ka, kb;

	assert_int_equal(kernel_fence_export(a, 0, &ka), 0);
	assert_int_equal(kernel_fence_export(b, 0, &kb), 0);
	test_fence_signal(b, 0); /* out of order */
	assert_false(kernel_point_signaled(kb));
	assert_false(kernel_point_signaled(ka));
	test_fence_signal(a, 0);
	assert_true(kernel_point_signaled(ka));
	assert_true(kernel_point_signaled(kb));
	fence_unref(a);
	fence_unref(b);
}

static void export_below_the_timeline_value_gets_a_timeline_of_its_own(void **state)
{
	uint64_t ctx = fence_context_alloc(1);
	struct fence *f2 = test_fence_new(ctx, 2), *f3 = test_fence_new(ctx, 3);
	struct fence *f1 = test_fence_new(ctx, 1);
	int k1, k2, k3;

	assert_int_equal(kernel_fence_export(f2, 0, &k2), 0);
	assert_int_equal(kernel_fence_export(f3, 0, &k3), 0);
	test_fence_signal(f2, 0); /* the timeline is at 2's point now */
	assert_true(kernel_point_signaled(k2));
	assert_int_equal(kernel_fence_export(f1, 0, &k1), 0);
	assert_false(kernel_point_signaled(k1));
	assert_int_equal(kernel_sync_timelines(), 2);
	assert_int_not_equal(fake_pt[k1].tl, fake_pt[k3].tl);
	test_fence_signal(f1, 0);
	assert_true(kernel_point_signaled(k1));
	assert_false(kernel_point_signaled(k3));
	test_fence_signal(f3, 0);
	assert_true(kernel_point_signaled(k3));
	assert_int_equal(kernel_sync_timelines(), 0);
	fence_unref(f1);
	fence_unref(f2);
	fence_unref(f3);
}

static void export_more_than_2g_ahead_gets_a_timeline_of_its_own(void **state)
{
	uint64_t ctx = fence_context_alloc(1);
	struct fence *a = test_fence_new(ctx, 1);
	struct fence *b = test_fence_new(ctx, (uint64_t)1 << 32);
	int ka, kb;

	assert_int_equal(kernel_fence_export(a, 0, &ka), 0);
	assert_int_equal(kernel_fence_export(b, 0, &kb), 0);
	assert_int_equal(kernel_sync_timelines(), 2);
	assert_int_equal(fake_pt[kb].value, 1);
	test_fence_signal(b, 0);
	assert_true(kernel_point_signaled(kb));
	assert_false(kernel_point_signaled(ka));
	test_fence_signal(a, 0);
	assert_true(kernel_point_signaled(ka));
	fence_unref(a);
	fence_unref(b);
}

static void export_charges_each_timeline_it_opens_one_file(void **state)
{
	struct acct_limits lim = { .max[ACCT_FILES] = 1, .exempt_root = true };
	uint64_t ctx = fence_context_alloc(2);
	struct fence *a = test_fence_new(ctx, 1), *a2 = test_fence_new(ctx, 2);
	struct fence *b = test_fence_new(ctx + 1, 1);
	struct acct *u;
	int ka, ka2, kb = -1;

	assert_int_equal(acct_set_limits(&lim), 0);
	assert_int_equal(acct_get(4242, &u), 0);
	assert_int_equal(kernel_fence_export(a, 4242, &ka), 0);
	assert_int_equal(u->used[ACCT_FILES], 1);
	/* A point on the open timeline costs no file; a new one does. */
	assert_int_equal(kernel_fence_export(a2, 4242, &ka2), 0);
	assert_int_equal(kernel_fence_export(b, 4242, &kb), -EDQUOT);
	assert_int_equal(kb, -1);
	assert_int_equal(kernel_sync_timelines(), 1);
	assert_int_equal(u->used[ACCT_FILES], 1);
	test_fence_signal(a, 0);
	test_fence_signal(a2, 0);
	assert_true(kernel_point_signaled(ka2));
	assert_int_equal(kernel_sync_timelines(), 0);
	assert_int_equal(u->used[ACCT_FILES], 0);
	acct_unref(u);
	lim = (struct acct_limits){ .exempt_root = true };
	assert_int_equal(acct_set_limits(&lim), 0);
	fence_unref(a);
	fence_unref(a2);
	fence_unref(b);
}

static void export_again_while_pending_keeps_one_point(void **state)
{
	struct fence *f = test_fence_new(fence_context_alloc(1), 5);
	int k1, k2;

	assert_int_equal(kernel_fence_export(f, 0, &k1), 0);
	assert_int_equal(kernel_fence_export(f, 0, &k2), 0);
	assert_int_not_equal(k1, k2);
	assert_int_equal(kernel_sync_points(), 1);
	assert_int_equal(fence_waiter_count(f), 1);
	assert_int_equal(fake_pt[k1].value, fake_pt[k2].value);
	test_fence_signal(f, 0);
	assert_true(kernel_point_signaled(k1));
	assert_true(kernel_point_signaled(k2));
	assert_int_equal(kernel_sync_points(), 0);
	assert_int_equal(kernel_sync_timelines(), 0);
	fence_unref(f);
}

/* Its point on an older timeline, though a newer one of the context now
 * fits its seqno: still the one point. */
static void export_again_finds_the_point_on_any_timeline_of_the_context(void **state)
{
	uint64_t ctx = fence_context_alloc(1);
	struct fence *f2 = test_fence_new(ctx, 2), *f5 = test_fence_new(ctx, 5);
	struct fence *f1 = test_fence_new(ctx, 1);
	int k2, k5, k1, again;

	assert_int_equal(kernel_fence_export(f2, 0, &k2), 0);
	assert_int_equal(kernel_fence_export(f5, 0, &k5), 0);
	test_fence_signal(f2, 0); /* the first timeline is at 2's point */
	assert_int_equal(kernel_fence_export(f1, 0, &k1), 0); /* a second */
	assert_int_equal(kernel_sync_timelines(), 2);
	assert_int_equal(kernel_fence_export(f5, 0, &again), 0);
	assert_int_equal(kernel_sync_points(), 2); /* 5's and 1's */
	assert_int_equal(fake_pt[again].tl, fake_pt[k5].tl);
	assert_int_equal(fake_pt[again].value, fake_pt[k5].value);
	test_fence_signal(f1, 0);
	test_fence_signal(f5, 0);
	assert_true(kernel_point_signaled(again));
	assert_int_equal(kernel_sync_timelines(), 0);
	fence_unref(f1);
	fence_unref(f2);
	fence_unref(f5);
}

static void stop_closes_the_timelines_and_lets_go_of_the_fences(void **state)
{
	struct fence *f = test_fence_new(fence_context_alloc(1), 1);
	int kfd;

	assert_int_equal(kernel_fence_export(f, 0, &kfd), 0);
	assert_int_equal(fence_waiter_count(f), 1);
	kernel_sync_stop();
	assert_int_equal(kernel_sync_timelines(), 0);
	assert_int_equal(fence_waiter_count(f), 0);
	assert_int_equal(f->refcount, 1);
	fence_unref(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(import_refuses_what_is_no_kernel_sync_file),
		T(import_of_a_signaled_sync_file_is_signaled),
		T(import_of_a_failed_sync_file_carries_its_error),
		T(import_signals_when_the_kernel_fence_does),
		T(import_signals_with_the_kernel_fence_error),
		T(import_keeps_waiting_through_a_spurious_wakeup),
		T(import_released_unsignaled_stops_watching),
		T(import_pending_is_charged_one_file),
		T(stop_signals_pending_imports_enodev),
		T(export_without_sw_sync_is_eopnotsupp),
		T(export_signals_the_kernel_point_with_the_fence),
		T(export_of_a_failed_fence_signals_the_kernel_point),
		T(export_of_a_signaled_fence_is_signaled_at_once),
		T(export_shares_one_timeline_per_context),
		T(export_holds_a_later_seqno_until_the_earlier_signals),
		T(export_below_the_timeline_value_gets_a_timeline_of_its_own),
		T(export_more_than_2g_ahead_gets_a_timeline_of_its_own),
		T(export_charges_each_timeline_it_opens_one_file),
		T(export_again_while_pending_keeps_one_point),
		T(export_again_finds_the_point_on_any_timeline_of_the_context),
		T(stop_closes_the_timelines_and_lets_go_of_the_fences),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
