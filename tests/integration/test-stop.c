/* SPDX-License-Identifier: MIT */
/*
 * Integration: a graceful stop (SIGTERM) while a DMA transfer runs and a
 * caller is blocked on a fence nobody will signal.
 *
 * A test-stop* program stops its daemon itself: the runners (run.sh, the
 * VM's guest-integration.sh) give it a daemon of its own (test-stop.args:
 * a slow mock controller, a long cap on blocking ioctls), pass its pid in
 * DMABUFD_DAEMON_PID, and afterwards check that the daemon exited 0 and
 * took its FUSE mount or CUSE nodes with it.
 *
 * What the program checks: the transfer running at SIGTERM completes (its
 * waiter hears status 1 and the bytes arrived), the waiter on the sw_sync
 * fence is answered (status -ENOENT: its timeline ended), and new work is
 * refused with ENODEV while the daemon drains.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "itest.h"

#define CAP_MEMCPY DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY)
/* At the mock's 4 MiB/s (test-stop.args): two seconds of transfer. */
#define XFER_LEN (8u * 1024u * 1024u)
#define WAIT_NS (30ll * 1000000000ll)

struct waiter {
	pthread_t thread;
	int fd;
	int result;
	int status;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->status = 0;
	w->result = dmabufd_sync_wait_ns(w->fd, WAIT_NS, &w->status);
	return NULL;
}

static void start_waiter(struct waiter *w, int fd)
{
	w->fd = fd;
	w->result = 1;
	assert_int_equal(pthread_create(&w->thread, NULL, wait_thread, w), 0);
}

static pid_t daemon_pid(void)
{
	const char *s = getenv("DMABUFD_DAEMON_PID");

	if (!s || atoi(s) <= 0)
		fail_msg("DMABUFD_DAEMON_PID is not set: run through run.sh");
	return (pid_t)atoi(s);
}

/* Wait until the daemon holds @n deferred requests (the waiters). */
static void await_pending(long n)
{
	struct dmabufd_ctl_stats st;

	for (int i = 0; i < 1000; i++) {
		stats_now(&st);
		if (st.count[DMABUFD_STAT_PENDING_REQS] == n)
			return;
		usleep(5000);
	}
	fail_msg("the daemon never held %ld pending requests", n);
}

static void sigterm_lets_dma_finish_and_answers_waiters(void **state)
{
	struct dmabufd_dma_chan_info info;
	struct waiter dma_waiter, fence_waiter;
	uint8_t *src_map, *dst_map;
	size_t src_len, dst_len;
	int src, dst, chan, tl, fence, dma_fence, r, st;
	int32_t cookie;
	uint32_t src_id, dst_id;

	src = buf_new(XFER_LEN, O_RDWR);
	dst = buf_new(XFER_LEN, O_RDWR);
	assert_ok(dmabufd_buf_mmap(src, PROT_READ | PROT_WRITE,
				   (void **)&src_map, &src_len));
	assert_ok(dmabufd_buf_mmap(dst, PROT_READ, (void **)&dst_map, &dst_len));
	assert_ok(dmabufd_buf_begin_cpu_access(src, DMA_BUF_SYNC_WRITE));
	for (size_t i = 0; i < XFER_LEN; i++)
		src_map[i] = (uint8_t)(i * 7 + (i >> 12));
	assert_ok(dmabufd_buf_end_cpu_access(src, DMA_BUF_SYNC_WRITE));

	chan = dmabufd_dma_request_chan_by_cap(CAP_MEMCPY, 0, &info);
	assert_ok(chan);
	r = dmabufd_dma_attach(chan, src, NULL);
	assert_ok(r);
	src_id = (uint32_t)r;
	r = dmabufd_dma_attach(chan, dst, NULL);
	assert_ok(r);
	dst_id = (uint32_t)r;
	cookie = dmabufd_dma_memcpy(chan, dst_id, 0, src_id, 0, XFER_LEN, 0);
	assert_ok(cookie);
	dma_fence = dmabufd_dma_fence(chan, cookie);
	assert_ok(dma_fence);

	tl = timeline_new();
	fence = fence_new(tl, 1);

	start_waiter(&dma_waiter, dma_fence);
	start_waiter(&fence_waiter, fence);
	await_pending(2);
	/* The transfer is still moving: the stop has to wait for it. */
	assert_int_equal(dmabufd_dma_tx_status(chan, cookie, NULL),
			 DMABUFD_DMA_IN_PROGRESS);

	assert_int_equal(kill(daemon_pid(), SIGTERM), 0);

	/* New work is refused at once: a new open, an ioctl on a live fd.
	 * (Until the daemon's loop has taken the signal they still work.) */
	for (int i = 0;; i++) {
		r = dmabufd_timeline_create();
		if (r < 0)
			break;
		close(r);
		if (i == 400)
			fail_msg("the daemon still accepts opens 2 s after SIGTERM");
		usleep(5000);
	}
	assert_int_equal(r, -ENODEV);
	assert_int_equal(dmabufd_sync_status(fence, &st), -ENODEV);

	assert_int_equal(pthread_join(dma_waiter.thread, NULL), 0);
	assert_int_equal(pthread_join(fence_waiter.thread, NULL), 0);
	/* The transfer completed, and its bytes arrived. */
	assert_int_equal(dma_waiter.result, 0);
	assert_int_equal(dma_waiter.status, 1);
	assert_memory_equal(dst_map, src_map, XFER_LEN);
	/* The timeline's fence was signaled with its producer's error. */
	assert_int_equal(fence_waiter.result, 0);
	assert_int_equal(fence_waiter.status, -ENOENT);

	munmap(src_map, src_len);
	munmap(dst_map, dst_len);
	close(dma_fence);
	close(fence);
	close(tl);
	close(chan);
	close(dst);
	close(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sigterm_lets_dma_finish_and_answers_waiters),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
