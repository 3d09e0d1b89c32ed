/* SPDX-License-Identifier: MIT */
/*
 * Integration: sw_sync timelines and sync_files through a live daemon.
 * The first group reproduces the kernel's tools/testing/selftests/sync
 * (sync_alloc.c, sync_wait.c, sync_merge.c, sync_fence.c); the rest pins
 * the sync_file semantics of reference/abi.md §1.5 (info, names, poll,
 * timeline release, deadlines, dup, fork, tokens).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "itest.h"

/* ---- kernel selftests ---------------------------------------------------- */

static void alloc_timeline_gives_valid_fd(void **state)
{
	int tl = timeline_new();

	assert_true(fcntl(tl, F_GETFD) >= 0);
	assert_int_equal(fcntl(tl, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(tl);
}

static void alloc_fence_gives_valid_fd(void **state)
{
	int tl = timeline_new();
	int f = dmabufd_timeline_create_fence(tl, "allocFence", 1);

	assert_ok(f);
	assert_true(fcntl(f, F_GETFD) >= 0);
	assert_int_equal(fcntl(f, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(f);
	close(tl);
}

static void create_fence_on_bad_fd_fails(void **state)
{
	int heap = dmabufd_heap_open("system");

	assert_errno(dmabufd_timeline_create_fence(-1, "fence", 1), EBADF);
	/* A heap answers by _IOC_NR, as dma_heap_ioctl(): nr 0x40 is EINVAL. */
	assert_ok(heap);
	assert_errno(dmabufd_timeline_create_fence(heap, "fence", 1), EINVAL);
	close(heap);
}

static void fence_one_timeline_wait(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 5);

	assert_int_equal(poll_in(f, 0), 0);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(poll_in(f, 0), 0);
	assert_ok(dmabufd_timeline_inc(tl, 4));
	assert_int_equal(poll_in(f, 0), 1);
	assert_ok(dmabufd_timeline_inc(tl, 10));
	assert_int_equal(poll_in(f, 0), 1);
	close(f);
	close(tl);
}

static void fence_one_timeline_merge(void **state)
{
	int tl = timeline_new();
	int a = fence_new(tl, 1), b = fence_new(tl, 2), c = fence_new(tl, 3);
	int ab = dmabufd_sync_merge("ab", b, a);
	int d;

	assert_ok(ab);
	d = dmabufd_sync_merge("cab", c, ab);
	assert_ok(d);
	assert_int_equal(fence_count_with_status(a, 0), 1);
	assert_int_equal(fence_count_with_status(b, 0), 1);
	assert_int_equal(fence_count_with_status(c, 0), 1);
	assert_int_equal(fence_count_with_status(d, 0), 1);
	assert_int_equal(fence_size(d), 1);

	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(fence_count_with_status(a, 1), 1);
	assert_int_equal(fence_count_with_status(d, 0), 1);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(fence_count_with_status(b, 1), 1);
	assert_int_equal(fence_count_with_status(d, 0), 1);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(fence_count_with_status(c, 1), 1);
	assert_int_equal(fence_count_with_status(d, 0), 0);
	assert_int_equal(fence_count_with_status(d, 1), 1);

	close(d);
	close(ab);
	close(c);
	close(b);
	close(a);
	close(tl);
}

static void fence_merge_same_fence(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 5);
	int m = dmabufd_sync_merge("mergeFence", f, f);

	assert_ok(m);
	assert_int_equal(fence_count_with_status(m, 1), 0);
	assert_ok(dmabufd_timeline_inc(tl, 5));
	assert_int_equal(fence_count_with_status(m, 1), 1);
	close(m);
	close(f);
	close(tl);
}

static void fence_multi_timeline_wait(void **state)
{
	int tl[3], f[3], ab, abc;

	for (int i = 0; i < 3; i++) {
		tl[i] = timeline_new();
		f[i] = fence_new(tl[i], 5);
	}
	ab = dmabufd_sync_merge("mergeFence", f[0], f[1]);
	assert_ok(ab);
	abc = dmabufd_sync_merge("mergeFence", ab, f[2]);
	assert_ok(abc);
	assert_int_equal(fence_size(abc), 3);
	assert_int_equal(fence_count_with_status(abc, 0), 3);
	assert_int_equal(poll_in(abc, 0), 0);

	for (int i = 0; i < 3; i++) {
		assert_ok(dmabufd_timeline_inc(tl[i], 5));
		assert_int_equal(fence_count_with_status(abc, 0), 2 - i);
		assert_int_equal(fence_count_with_status(abc, 1), i + 1);
	}
	assert_int_equal(poll_in(abc, 100), 1);

	close(abc);
	close(ab);
	for (int i = 0; i < 3; i++) {
		close(f[i]);
		close(tl[i]);
	}
}

/* ---- fence creation -------------------------------------------------------- */

static void fence_at_or_below_timeline_value_is_born_signaled(void **state)
{
	int tl = timeline_new();
	int zero = fence_new(tl, 0), f;

	assert_int_equal(fence_status(zero), 1);
	assert_ok(dmabufd_timeline_inc(tl, 7));
	f = fence_new(tl, 7);
	assert_int_equal(fence_status(f), 1);
	close(f);
	f = fence_new(tl, 3);
	assert_int_equal(fence_status(f), 1);
	close(f);
	f = fence_new(tl, 8);
	assert_int_equal(fence_status(f), 0);
	close(f);
	close(zero);
	close(tl);
}

static void fences_of_one_pending_point_are_shared(void **state)
{
	int tl = timeline_new();
	int f1 = fence_new(tl, 4), f2 = fence_new(tl, 4);
	int m = dmabufd_sync_merge("same", f1, f2);

	assert_ok(m);
	/* One dma_fence behind both sync_files: the merge holds one fence. */
	assert_int_equal(fence_size(m), 1);
	assert_ok(dmabufd_timeline_inc(tl, 4));
	assert_int_equal(fence_status(f1), 1);
	assert_int_equal(fence_status(f2), 1);
	close(m);
	close(f2);
	close(f1);
	close(tl);
}

static void inc_signals_every_point_up_to_the_new_value(void **state)
{
	int tl = timeline_new();
	int f[6];

	for (int i = 0; i < 6; i++)
		f[i] = fence_new(tl, (uint32_t)(i + 1) * 2);
	assert_ok(dmabufd_timeline_inc(tl, 7));
	for (int i = 0; i < 6; i++)
		assert_int_equal(fence_status(f[i]), (i + 1) * 2 <= 7 ? 1 : 0);
	for (int i = 0; i < 6; i++)
		close(f[i]);
	close(tl);
}

/* ---- info ------------------------------------------------------------------ */

static void file_info_counts_then_fills(void **state)
{
	int tl[2] = { timeline_new(), timeline_new() };
	int a = fence_new(tl[0], 1), b = fence_new(tl[1], 1);
	int m = dmabufd_sync_merge("two", a, b);
	struct sync_fence_info fences[3];
	struct dmabufd_sync_info info;

	assert_ok(m);
	memset(&info, 0xaa, sizeof(info));
	assert_ok(dmabufd_sync_file_info(m, &info, NULL, 0));
	assert_int_equal(info.num_fences, 2);
	assert_int_equal(info.status, 0);
	assert_string_equal(info.name, "two");
	/* Too small an array is EINVAL, as the kernel's num_fences < actual. */
	assert_errno(dmabufd_sync_file_info(m, &info, fences, 1), EINVAL);
	memset(fences, 0xaa, sizeof(fences));
	assert_ok(dmabufd_sync_file_info(m, &info, fences, 3));
	assert_int_equal(info.num_fences, 2);
	for (int i = 0; i < 2; i++) {
		assert_string_equal(fences[i].driver_name, "sw_sync");
		assert_int_equal(fences[i].status, 0);
		assert_int_equal(fences[i].flags, 0);
		assert_int_equal(fences[i].timestamp_ns, 0);
	}
	close(m);
	close(b);
	close(a);
	close(tl[1]);
	close(tl[0]);
}

/* sync_file_ioctl_fence_info(): with num_fences 0 the status is
 * dma_fence_get_status() of the sync_file's own fence (the container: still
 * active until every child has signaled); with an array it is the first
 * child's status that is not 1. A merge of a fence whose timeline is gone
 * (signaled with ENOENT) and a pending one shows the difference. */
static void file_info_status_is_the_containers_without_an_array(void **state)
{
	int tl[2] = { timeline_new(), timeline_new() };
	int a = fence_new(tl[0], 1), b = fence_new(tl[1], 1);
	int m = dmabufd_sync_merge("two", a, b);
	struct sync_file_info k = { 0 };
	struct sync_fence_info fences[2];
	struct dmabufd_sync_info info;
	int status = 99;

	assert_ok(m);
	close(tl[0]);
	assert_int_equal(fence_status(a), -ENOENT);

	assert_int_equal(raw_ioctl(m, SYNC_IOC_FILE_INFO, &k), 0);
	assert_int_equal(k.status, 0);
	assert_int_equal(k.num_fences, 2);
	assert_ok(dmabufd_sync_status(m, &status));
	assert_int_equal(status, 0);
	memset(&info, 0xaa, sizeof(info));
	assert_ok(dmabufd_sync_file_info(m, &info, NULL, 0));
	assert_int_equal(info.status, 0);
	assert_int_equal(info.num_fences, 2);
	assert_string_equal(info.name, "two");

	memset(&info, 0xaa, sizeof(info));
	assert_ok(dmabufd_sync_file_info(m, &info, fences, 2));
	assert_int_equal(info.status, -ENOENT);
	assert_int_equal(fences[0].status, -ENOENT);
	assert_int_equal(fences[1].status, 0);

	/* Once all have signaled the container carries the first error. */
	assert_ok(dmabufd_timeline_inc(tl[1], 1));
	assert_ok(dmabufd_sync_status(m, &status));
	assert_int_equal(status, -ENOENT);
	k = (struct sync_file_info){ 0 };
	assert_int_equal(raw_ioctl(m, SYNC_IOC_FILE_INFO, &k), 0);
	assert_int_equal(k.status, -ENOENT);
	close(m);
	close(b);
	close(a);
	close(tl[1]);
}

/* The kernel checks num_fences against the count before it writes: a
 * non-zero num_fences below the count is EINVAL (not the EFAULT of the
 * array dmabufd cannot write through). */
static void file_info_too_small_num_fences_is_einval(void **state)
{
	int tl[2] = { timeline_new(), timeline_new() };
	int a = fence_new(tl[0], 1), b = fence_new(tl[1], 1);
	int m = dmabufd_sync_merge("two", a, b);
	struct sync_file_info k = { .num_fences = 1, .sync_fence_info = 0x1000 };

	assert_ok(m);
	assert_int_equal(raw_ioctl(m, SYNC_IOC_FILE_INFO, &k), -EINVAL);
	k = (struct sync_file_info){ .num_fences = 2, .sync_fence_info = 0x1000 };
	assert_int_equal(raw_ioctl(m, SYNC_IOC_FILE_INFO, &k), -EFAULT);
	close(m);
	close(b);
	close(a);
	close(tl[1]);
	close(tl[0]);
}

static void file_info_reports_signal_time_only_once_signaled(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1);
	struct sync_fence_info fi;
	struct dmabufd_sync_info info;
	int64_t before, after;

	assert_ok(dmabufd_sync_file_info(f, &info, &fi, 1));
	assert_int_equal(fi.timestamp_ns, 0);
	before = now_ns();
	assert_ok(dmabufd_timeline_inc(tl, 1));
	after = now_ns();
	assert_ok(dmabufd_sync_file_info(f, &info, &fi, 1));
	assert_int_equal(info.status, 1);
	assert_int_equal(fi.status, 1);
	assert_true((int64_t)fi.timestamp_ns >= before && (int64_t)fi.timestamp_ns <= after);
	close(f);
	close(tl);
}

static void merge_drops_fences_signaled_before_it(void **state)
{
	enum { N = DMABUFD_SYNC_INFO_MAX + 5 };        /* odd: the last one stays pending */
	int tl[N], acc = -1;
	struct sync_fence_info fences[N];
	struct dmabufd_sync_info info;

	/* Merge N pending fences one by one, signaling every odd one right
	 * after its merge: the next merge drops it (abi.md §6.7), so only the
	 * even ones remain, all pending. */
	for (int i = 0; i < N; i++) {
		int f;

		tl[i] = timeline_new();
		f = fence_new(tl[i], 1);
		if (acc < 0) {
			acc = f;
		} else {
			int m = dmabufd_sync_merge("acc", acc, f);

			assert_ok(m);
			close(acc);
			close(f);
			acc = m;
		}
		if (i % 2)
			assert_ok(dmabufd_timeline_inc(tl[i], 1));
	}
	assert_ok(dmabufd_sync_file_info(acc, &info, fences, N));
	assert_int_equal(info.num_fences, (N + 1) / 2);
	assert_int_equal(info.status, 0);
	for (uint32_t i = 0; i < info.num_fences; i++) {
		assert_int_equal(fences[i].status, 0);
		assert_string_equal(fences[i].driver_name, "sw_sync");
	}
	close(acc);
	for (int i = 0; i < N; i++)
		close(tl[i]);
}

static void file_info_reads_many_fences_in_windows(void **state)
{
	enum { N = 2 * DMABUFD_SYNC_INFO_MAX + 3 };
	int tl[N], acc = -1;
	struct sync_fence_info fences[N];
	struct dmabufd_sync_info info;

	for (int i = 0; i < N; i++) {
		int f;

		tl[i] = timeline_new();
		f = fence_new(tl[i], 1);
		if (acc < 0) {
			acc = f;
			continue;
		}
		int m = dmabufd_sync_merge("many", acc, f);

		assert_ok(m);
		close(acc);
		close(f);
		acc = m;
	}
	/* Signal the last 3 timelines now: their records must say so. */
	for (int i = N - 3; i < N; i++)
		assert_ok(dmabufd_timeline_inc(tl[i], 1));
	memset(fences, 0, sizeof(fences));
	assert_ok(dmabufd_sync_file_info(acc, &info, fences, N));
	assert_int_equal(info.num_fences, N);
	assert_int_equal(info.status, 0);
	assert_int_equal(fence_count_with_status(acc, 1), 3);
	assert_int_equal(fence_count_with_status(acc, 0), N - 3);
	for (int i = 0; i < N; i++)
		assert_string_equal(fences[i].driver_name, "sw_sync");
	close(acc);
	for (int i = 0; i < N; i++)
		close(tl[i]);
}

static void own_comm(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/comm", "r");

	assert_non_null(f);
	assert_non_null(fgets(buf, (int)size, f));
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static void timeline_is_named_after_the_opener(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 3);
	struct sync_fence_info fi;
	struct dmabufd_sync_info info;
	char comm[32], prefix[64];

	own_comm(comm, sizeof(comm));
	assert_ok(dmabufd_sync_file_info(f, &info, &fi, 1));
	assert_string_equal(fi.obj_name, comm);
	assert_string_equal(fi.driver_name, "sw_sync");
	/* "sw_sync-<comm><context>-<seqno>": context digits, no separator. */
	snprintf(prefix, sizeof(prefix), "sw_sync-%s", comm);
	assert_int_equal(strncmp(info.name, prefix, strlen(prefix)), 0);
	assert_true(strlen(info.name) > strlen(prefix) + 2);
	assert_string_equal(info.name + strlen(info.name) - 2, "-3");
	close(f);
	close(tl);
}

static void merge_name_is_truncated_to_31_chars(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1);
	const char *longname = "0123456789012345678901234567890123456789";
	int m = dmabufd_sync_merge(longname, f, f);
	struct dmabufd_sync_info info;

	assert_ok(m);
	assert_ok(dmabufd_sync_file_info(m, &info, NULL, 0));
	assert_int_equal(strlen(info.name), 31);
	assert_int_equal(strncmp(info.name, longname, 31), 0);
	close(m);
	close(f);
	close(tl);
}

static void merge_of_signaled_fences_is_signaled(void **state)
{
	int tl = timeline_new();
	int a = fence_new(tl, 1), b = fence_new(tl, 2), m;

	assert_ok(dmabufd_timeline_inc(tl, 2));
	m = dmabufd_sync_merge("done", a, b);
	assert_ok(m);
	assert_int_equal(fence_status(m), 1);
	assert_int_equal(poll_in(m, 0), 1);
	close(m);
	close(b);
	close(a);
	close(tl);
}

static void merge_with_a_non_sync_file_is_enoent(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1);
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);

	assert_errno(dmabufd_sync_merge("x", f, tl), ENOENT);
	assert_errno(dmabufd_sync_merge("x", f, buf), ENOENT);
	assert_errno(dmabufd_sync_merge("x", f, -1), ENOENT);
	close(buf);
	close(f);
	close(tl);
}

/* sync_file_ioctl_merge(): fd1 is the ioctl's own fd, so a bad fd1 answers
 * first, as the syscall (EBADF) or its file's ioctl (ENOTTY for a dma-buf)
 * does; any fd2 that sync_file_fdget() refuses is ENOENT, a heap and a
 * pipe included. */
static void merge_with_a_bad_fd1_answers_before_fd2(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1);
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	int heap = dmabufd_heap_open("system");
	int unbound = dmabufd_open_node(DMABUFD_NODE_SYNC_FILE, O_RDONLY | O_CLOEXEC);
	int p[2];

	assert_ok(heap);
	assert_ok(unbound);
	assert_ok(pipe(p));
	assert_errno(dmabufd_sync_merge("x", f, heap), ENOENT);
	assert_errno(dmabufd_sync_merge("x", f, p[0]), ENOENT);
	assert_errno(dmabufd_sync_merge("x", f, unbound), ENOENT);
	assert_errno(dmabufd_sync_merge("x", -1, -1), EBADF);
	assert_errno(dmabufd_sync_merge("x", -1, f), EBADF);
	assert_errno(dmabufd_sync_merge("x", buf, -1), ENOTTY);
	assert_errno(dmabufd_sync_merge("x", p[0], heap), ENOTTY);
	close(p[0]);
	close(p[1]);
	close(unbound);
	close(heap);
	close(buf);
	close(f);
	close(tl);
}

/* ---- waits and poll ---------------------------------------------------------- */

static void sync_file_pollin_once_signaled(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1);

	assert_int_equal(poll_events(f, POLLIN | POLLOUT, 0), 0);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(poll_events(f, POLLIN, 1000), POLLIN);
	close(f);
	close(tl);
}

struct delayed_inc {
	int timeline;
	int delay_ms;
	uint32_t count;
};

static void *delayed_inc_thread(void *arg)
{
	struct delayed_inc *d = arg;

	usleep((useconds_t)d->delay_ms * 1000);
	if (dmabufd_timeline_inc(d->timeline, d->count) < 0)
		abort();
	return NULL;
}

static void sync_file_poll_wakes_when_signaled_by_another_thread(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1);
	struct delayed_inc d = { .timeline = tl, .delay_ms = 100, .count = 1 };
	pthread_t t;
	int64_t t0 = now_ns();

	assert_int_equal(pthread_create(&t, NULL, delayed_inc_thread, &d), 0);
	assert_int_equal(poll_events(f, POLLIN, 5000), POLLIN);
	assert_true(now_ns() - t0 >= 90 * 1000000LL);
	pthread_join(t, NULL);
	close(f);
	close(tl);
}

static void timeline_close_signals_pending_fences_with_enoent(void **state)
{
	int tl = timeline_new();
	int done = fence_new(tl, 1), pending = fence_new(tl, 5);
	struct sync_fence_info fi;
	struct dmabufd_sync_info info;

	assert_ok(dmabufd_timeline_inc(tl, 1));
	close(tl);
	/* The release is asynchronous on FUSE: wait for it. */
	assert_int_equal(poll_in(pending, 2000), 1);
	assert_int_equal(fence_status(pending), -ENOENT);
	assert_ok(dmabufd_sync_file_info(pending, &info, &fi, 1));
	assert_int_equal(fi.status, -ENOENT);
	assert_true(fi.timestamp_ns > 0);
	/* An already signaled point keeps its success. */
	assert_int_equal(fence_status(done), 1);
	assert_ok(dmabufd_sync_wait(pending, 0));
	close(pending);
	close(done);
}

static void sync_file_pollin_on_error_signal_without_pollerr(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1);

	close(tl);
	assert_int_equal(poll_events(f, POLLIN, 2000), POLLIN);
	close(f);
}

static void sync_wait_times_out_with_etime(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1);
	int status = 99;
	int64_t t0 = now_ns();

	assert_errno(dmabufd_sync_wait(f, 0), ETIME);
	assert_errno(dmabufd_sync_wait(f, 50), ETIME);
	assert_true(now_ns() - t0 >= 45 * 1000000LL);
	assert_errno(dmabufd_sync_wait_ns(f, 1000000, &status), ETIME);
	assert_int_equal(status, 0);
	assert_errno(dmabufd_sync_poll(f, 20), ETIME);
	close(f);
	close(tl);
}

static void sync_wait_returns_when_signaled_by_another_thread(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 3);
	struct delayed_inc d = { .timeline = tl, .delay_ms = 100, .count = 3 };
	int status = 99;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, delayed_inc_thread, &d), 0);
	assert_ok(dmabufd_sync_wait_ns(f, 5000000000LL, &status));
	assert_int_equal(status, 1);
	pthread_join(t, NULL);
	assert_ok(dmabufd_sync_wait(f, -1));
	assert_ok(dmabufd_sync_poll(f, -1));
	close(f);
	close(tl);
}

static void sync_wait_forever_outlasts_the_daemon_cap(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1);
	struct delayed_inc d = { .timeline = tl, .delay_ms = daemon_max_wait_ms() + 300, .count = 1 };
	pthread_t t;
	int64_t t0 = now_ns();

	assert_int_equal(pthread_create(&t, NULL, delayed_inc_thread, &d), 0);
	assert_ok(dmabufd_sync_wait(f, -1));
	assert_true(now_ns() - t0 >= (int64_t)d.delay_ms * 1000000 - 10000000);
	assert_int_equal(fence_status(f), 1);
	pthread_join(t, NULL);
	close(f);
	close(tl);
}

static void sync_wait_reports_error_status(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1);
	int status = 99;

	close(tl);
	assert_ok(dmabufd_sync_wait_ns(f, 2000000000LL, &status));
	assert_int_equal(status, -ENOENT);
	close(f);
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

struct kill_later {
	pthread_t target;
	int delay_ms;
};

static void *kill_later_thread(void *arg)
{
	struct kill_later *k = arg;

	/* If nothing ever blocks, signal anyway: the test then fails. */
	(void)await_pending_request(5000);
	usleep((useconds_t)k->delay_ms * 1000);
	pthread_kill(k->target, SIGUSR1);
	return NULL;
}

static void sync_wait_is_interrupted_by_a_signal(void **state)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 }, old;
	struct kill_later k = { .target = pthread_self(), .delay_ms = 100 };
	int tl = timeline_new();
	int f = fence_new(tl, 1);
	pthread_t t;
	struct dmabufd_sync_wait w = { .timeout_ns = 5000000000LL };
	int64_t t0;

	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	assert_int_equal(pthread_create(&t, NULL, kill_later_thread, &k), 0);
	t0 = now_ns();
	assert_errno(raw_ioctl(f, DMABUFD_SYNC_IOC_WAIT, &w), EINTR);
	assert_true(now_ns() - t0 < 3000000000LL);
	pthread_join(t, NULL);
	sigaction(SIGUSR1, &old, NULL);
	/* The fence is untouched and the daemon holds no pending request. */
	assert_int_equal(fence_status(f), 0);
	close(f);
	close(tl);
}

/* ---- deadlines -------------------------------------------------------------- */

static void deadline_earliest_is_reported_by_the_timeline(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1);
	uint64_t d = 0, now = (uint64_t)now_ns();

	assert_errno(dmabufd_timeline_get_deadline(tl, f, &d), ENOENT);
	assert_ok(dmabufd_sync_set_deadline(f, now + 2000000000ull));
	assert_ok(dmabufd_sync_set_deadline(f, now + 1000000000ull));
	assert_ok(dmabufd_sync_set_deadline(f, now + 3000000000ull));
	assert_ok(dmabufd_timeline_get_deadline(tl, f, &d));
	assert_int_equal(d, now + 1000000000ull);
	close(f);
	close(tl);
}

/* sw_sync_ioctl_get_deadline(): the timeline fd is the ioctl's own (EBADF,
 * or ENOTTY from another file); a fence fd that sync_file_get_fence()
 * refuses is EINVAL. */
static void deadline_get_with_a_bad_fence_fd_is_einval(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1);
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	int heap = dmabufd_heap_open("system");
	uint64_t d = 77;
	int p[2];

	assert_ok(heap);
	assert_ok(pipe(p));
	assert_errno(dmabufd_timeline_get_deadline(tl, -1, &d), EINVAL);
	assert_errno(dmabufd_timeline_get_deadline(tl, heap, &d), EINVAL);
	assert_errno(dmabufd_timeline_get_deadline(tl, p[0], &d), EINVAL);
	assert_errno(dmabufd_timeline_get_deadline(tl, buf, &d), EINVAL);
	assert_errno(dmabufd_timeline_get_deadline(-1, -1, &d), EBADF);
	assert_errno(dmabufd_timeline_get_deadline(-1, f, &d), EBADF);
	assert_errno(dmabufd_timeline_get_deadline(buf, -1, &d), ENOTTY);
	assert_int_equal(d, 77);
	close(p[0]);
	close(p[1]);
	close(heap);
	close(buf);
	close(f);
	close(tl);
}

/* SYNC_IOC_SET_DEADLINE takes any __u64 as ns_to_ktime() does: 0 and the
 * past are accepted (the earliest wins, as sw_sync keeps it), and 2^63 and
 * above are negative ktimes, earlier still. On a signaled fence it is a
 * no-op (dma_fence_set_deadline()). */
static void deadline_set_takes_zero_past_and_negative_ktimes(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1), g = fence_new(tl, 2);
	uint64_t d = 0;

	assert_ok(dmabufd_sync_set_deadline(f, 1000));
	assert_ok(dmabufd_sync_set_deadline(f, 0));
	assert_ok(dmabufd_timeline_get_deadline(tl, f, &d));
	assert_int_equal(d, 0);
	assert_ok(dmabufd_sync_set_deadline(f, UINT64_C(1) << 63));
	assert_ok(dmabufd_sync_set_deadline(f, 5));
	assert_ok(dmabufd_timeline_get_deadline(tl, f, &d));
	assert_int_equal(d, UINT64_C(1) << 63);
	assert_ok(dmabufd_timeline_inc(tl, 2));
	assert_ok(dmabufd_sync_set_deadline(g, 7));
	assert_errno(dmabufd_timeline_get_deadline(tl, g, &d), ENOENT);
	close(g);
	close(f);
	close(tl);
}

static void deadline_of_a_merge_is_einval_for_get(void **state)
{
	int tl[2] = { timeline_new(), timeline_new() };
	int a = fence_new(tl[0], 1), b = fence_new(tl[1], 1);
	int m = dmabufd_sync_merge("m", a, b);
	uint64_t d = 0;

	assert_ok(m);
	/* SET_DEADLINE forwards to every child of the array. */
	assert_ok(dmabufd_sync_set_deadline(m, 12345));
	assert_errno(dmabufd_timeline_get_deadline(tl[0], m, &d), EINVAL);
	assert_ok(dmabufd_timeline_get_deadline(tl[0], a, &d));
	assert_int_equal(d, 12345);
	assert_ok(dmabufd_timeline_get_deadline(tl[1], b, &d));
	assert_int_equal(d, 12345);
	close(m);
	close(b);
	close(a);
	close(tl[1]);
	close(tl[0]);
}

/* ---- fds: dup, fork, tokens ------------------------------------------------------ */

static void dup_of_a_sync_file_sees_the_same_fence(void **state)
{
	int tl = timeline_new();
	int f = fence_new(tl, 1);
	int g = dup(f);

	assert_true(g >= 0);
	close(f);
	assert_int_equal(fence_status(g), 0);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(fence_status(g), 1);
	close(g);
	close(tl);
}

struct child_fence {
	int fence;
	int timeline;
	uint64_t token;
};

static int child_waits_for_inherited_fence(void *arg)
{
	struct child_fence *c = arg;
	int status = 99;

	CHILD_CHECK(dmabufd_sync_wait_ns(c->fence, 5000000000LL, &status) == 0);
	CHILD_CHECK(status == 1);
	return 0;
}

static void fork_child_inherits_a_sync_file(void **state)
{
	struct child_fence c = { .timeline = timeline_new() };
	pid_t pid;

	c.fence = fence_new(c.timeline, 2);
	pid = fork_child(child_waits_for_inherited_fence, &c);
	usleep(50000);
	assert_ok(dmabufd_timeline_inc(c.timeline, 2));
	assert_child_ok(pid);
	close(c.fence);
	close(c.timeline);
}

static int child_claims_fence_token(void *arg)
{
	struct child_fence *c = arg;
	int f, status = 99;

	/* Close what fork gave us: the token alone must carry the fence. */
	close(c->fence);
	close(c->timeline);
	f = dmabufd_sync_claim(c->token);
	CHILD_CHECK(f >= 0);
	CHILD_CHECK(dmabufd_sync_claim(c->token) == -EINVAL);  /* single use */
	CHILD_CHECK(dmabufd_sync_wait_ns(f, 5000000000LL, &status) == 0);
	CHILD_CHECK(status == 1);
	close(f);
	return 0;
}

static void sync_file_token_is_claimed_by_another_process(void **state)
{
	struct child_fence c = { .timeline = timeline_new() };
	pid_t pid;

	c.fence = fence_new(c.timeline, 1);
	assert_ok(dmabufd_export_token(c.fence, &c.token));
	pid = fork_child(child_claims_fence_token, &c);
	usleep(100000);
	assert_ok(dmabufd_timeline_inc(c.timeline, 1));
	assert_child_ok(pid);
	close(c.fence);
	close(c.timeline);
}

static void token_dies_with_the_fd_that_issued_it(void **state)
{
	int tl = timeline_new();
	struct dmabufd_ctl_stats base;
	uint64_t token;
	int f;

	stats_now(&base);
	f = fence_new(tl, 0);
	assert_ok(dmabufd_export_token(f, &token));
	close(f);
	/* FUSE sends the release asynchronously: wait until it is processed. */
	assert_stats_settle(&base, 3000);
	assert_errno(dmabufd_sync_claim(token), EINVAL);
	close(tl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(alloc_timeline_gives_valid_fd),
		itest(alloc_fence_gives_valid_fd),
		itest(create_fence_on_bad_fd_fails),
		itest(fence_one_timeline_wait),
		itest(fence_one_timeline_merge),
		itest(fence_merge_same_fence),
		itest(fence_multi_timeline_wait),
		itest(fence_at_or_below_timeline_value_is_born_signaled),
		itest(fences_of_one_pending_point_are_shared),
		itest(inc_signals_every_point_up_to_the_new_value),
		itest(file_info_counts_then_fills),
		itest(file_info_status_is_the_containers_without_an_array),
		itest(file_info_too_small_num_fences_is_einval),
		itest(file_info_reports_signal_time_only_once_signaled),
		itest(merge_drops_fences_signaled_before_it),
		itest(file_info_reads_many_fences_in_windows),
		itest(timeline_is_named_after_the_opener),
		itest(merge_name_is_truncated_to_31_chars),
		itest(merge_of_signaled_fences_is_signaled),
		itest(merge_with_a_non_sync_file_is_enoent),
		itest(merge_with_a_bad_fd1_answers_before_fd2),
		itest(sync_file_pollin_once_signaled),
		itest(sync_file_poll_wakes_when_signaled_by_another_thread),
		itest(timeline_close_signals_pending_fences_with_enoent),
		itest(sync_file_pollin_on_error_signal_without_pollerr),
		itest(sync_wait_times_out_with_etime),
		itest(sync_wait_returns_when_signaled_by_another_thread),
		itest(sync_wait_forever_outlasts_the_daemon_cap),
		itest(sync_wait_reports_error_status),
		itest(sync_wait_is_interrupted_by_a_signal),
		itest(deadline_earliest_is_reported_by_the_timeline),
		itest(deadline_set_takes_zero_past_and_negative_ktimes),
		itest(deadline_of_a_merge_is_einval_for_get),
		itest(deadline_get_with_a_bad_fence_fd_is_einval),
		itest(dup_of_a_sync_file_sees_the_same_fence),
		itest(fork_child_inherits_a_sync_file),
		itest(sync_file_token_is_claimed_by_another_process),
		itest(token_dies_with_the_fd_that_issued_it),
	};

	return cmocka_run_group_tests_name("sync", tests, NULL, NULL);
}
