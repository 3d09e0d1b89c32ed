/* SPDX-License-Identifier: MIT */
/*
 * Integration: how many requests each libdmabufd operation costs the
 * daemon, counted by the daemon itself (DMABUFD_STAT_REQ_* and
 * DMABUFD_STAT_CTL_REQUESTS). Each test reads the counters, runs one
 * operation, reads them again and asserts the exact difference, control
 * requests included (every stats call is one, counted). Nothing else
 * talks to this test's daemon (run.sh starts one per program).
 *
 * The floors of issue #11: an fd-returning operation from handles
 * (alloc_h, create_fence_h, merge_h, export_h, dma_fence_h) is an open
 * and one ioctl, and a release when the fd is closed; import_h, a
 * handle, a DMA wait are one ioctl; a memcpy and its wait are two; a
 * mapping is one control request on the kept connection.
 */
#include <sys/mman.h>

#include "itest.h"

struct trips {
	int64_t open, ioctl, release, other, control;
};

/* The counters now. The stats call itself is one control request. */
static struct trips trips_now(void)
{
	struct dmabufd_ctl_stats st;

	stats_now(&st);
	return (struct trips){
		.open = st.count[DMABUFD_STAT_REQ_OPENS],
		.ioctl = st.count[DMABUFD_STAT_REQ_IOCTLS],
		.release = st.count[DMABUFD_STAT_REQ_RELEASES],
		.other = st.count[DMABUFD_STAT_REQ_OTHER],
		.control = st.count[DMABUFD_STAT_CTL_REQUESTS],
	};
}

/* Assert the requests since @before: synchronous ones exactly; releases
 * (asynchronous: FUSE sends them after close returns) by waiting up to
 * 3 s for their count. @control counts the operation's own control
 * requests: the stats calls made here are added to it. */
static void assert_trips(struct trips before, int64_t open, int64_t ioctl,
			 int64_t release, int64_t other, int64_t control)
{
	struct trips now = trips_now();
	int64_t stats_calls = 1;

	for (int i = 0; i < 300 && now.release - before.release < release; i++) {
		usleep(10000);
		now = trips_now();
		stats_calls++;
	}
	assert_int_equal(now.open - before.open, open);
	assert_int_equal(now.ioctl - before.ioctl, ioctl);
	assert_int_equal(now.release - before.release, release);
	assert_int_equal(now.other - before.other, other);
	assert_int_equal(now.control - before.control, control + stats_calls);
}

static uint64_t handle_of(int fd)
{
	uint64_t h = 0;

	assert_ok(dmabufd_handle(fd, &h, NULL));
	return h;
}

/* A memcpy channel with two attached buffers (ids in @ret_ids). */
static int chan_with_two_buffers(int bufs[2], uint32_t ret_ids[2])
{
	int chan = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 0, NULL);

	assert_ok(chan);
	for (int i = 0; i < 2; i++) {
		int id;

		bufs[i] = buf_new(PAGE, O_RDWR | O_CLOEXEC);
		id = dmabufd_dma_attach(chan, bufs[i], NULL);
		assert_ok(id);
		ret_ids[i] = (uint32_t)id;
	}
	return chan;
}

static void chan_close(int chan, int bufs[2])
{
	close(chan);
	close(bufs[0]);
	close(bufs[1]);
}

static void null_ioctl_is_one_ioctl_request(void **state)
{
	int fd = dmabufd_open_node(DMABUFD_NODE_SW_SYNC, O_RDWR | O_CLOEXEC);
	uint64_t arg = 0;

	assert_ok(fd);
	struct trips before = trips_now();

	assert_errno(raw_ioctl(fd, _IOWR(DMABUFD_IOC_MAGIC, 0x4f, uint64_t), &arg), ENOTTY);
	assert_trips(before, 0, 1, 0, 0, 0);
	close(fd);
}

static void open_and_close_is_one_open_and_one_release(void **state)
{
	struct trips before = trips_now();
	int fd = dmabufd_open_node(DMABUFD_NODE_SYNC_FILE, O_RDONLY | O_CLOEXEC);

	assert_ok(fd);
	close(fd);
	assert_trips(before, 1, 0, 1, 0, 0);
}

static void poll_is_one_other_request(void **state)
{
	int tl = timeline_new(), f = fence_new(tl, 1);
	struct trips before = trips_now();

	assert_int_equal(poll_in(f, 0), 0);
	assert_trips(before, 0, 0, 0, 1, 0);
	close(f);
	close(tl);
}

static void handle_is_one_ioctl(void **state)
{
	int tl = timeline_new();
	struct trips before = trips_now();
	uint64_t h = 0;

	assert_ok(dmabufd_handle(tl, &h, NULL));
	assert_trips(before, 0, 1, 0, 0, 0);
	close(tl);
}

static void alloc_h_is_one_open_and_one_ioctl(void **state)
{
	int heap = dmabufd_heap_open("system"), fd;
	uint64_t hheap;

	assert_ok(heap);
	hheap = handle_of(heap);
	struct trips before = trips_now();

	fd = dmabufd_alloc_h(hheap, PAGE, O_RDWR | O_CLOEXEC, NULL);
	assert_ok(fd);
	assert_trips(before, 1, 1, 0, 0, 0);
	before = trips_now();
	close(fd);
	assert_trips(before, 0, 0, 1, 0, 0);
	close(heap);
}

static void create_fence_h_is_one_open_and_one_ioctl(void **state)
{
	int tl = timeline_new(), fd;
	uint64_t htl = handle_of(tl);
	struct trips before = trips_now();

	fd = dmabufd_timeline_create_fence_h(htl, 1, NULL);
	assert_ok(fd);
	close(fd);
	assert_trips(before, 1, 1, 1, 0, 0);
	close(tl);
}

static void merge_h_is_one_open_and_one_ioctl(void **state)
{
	int tl = timeline_new(), a = fence_new(tl, 1), b = fence_new(tl, 2), fd;
	uint64_t ha = handle_of(a), hb = handle_of(b);
	struct trips before = trips_now();

	fd = dmabufd_sync_merge_h("m", ha, hb, NULL);
	assert_ok(fd);
	close(fd);
	assert_trips(before, 1, 1, 1, 0, 0);
	close(b);
	close(a);
	close(tl);
}

static void export_h_is_one_open_and_one_ioctl(void **state)
{
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC), fd;
	uint64_t hb = handle_of(buf);
	struct trips before = trips_now();

	fd = dmabufd_buf_export_sync_file_h(hb, DMA_BUF_SYNC_READ, NULL);
	assert_ok(fd);
	close(fd);
	assert_trips(before, 1, 1, 1, 0, 0);
	close(buf);
}

static void import_h_is_one_ioctl(void **state)
{
	int tl = timeline_new(), f = fence_new(tl, 1), buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	uint64_t hf = handle_of(f);
	struct trips before = trips_now();

	assert_ok(dmabufd_buf_import_sync_file_h(buf, DMA_BUF_SYNC_WRITE, hf));
	assert_trips(before, 0, 1, 0, 0, 0);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	close(buf);
	close(f);
	close(tl);
}

static void mmap_h_is_one_control_request(void **state)
{
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	uint64_t hb = handle_of(buf);
	size_t len;
	void *p;

	/* The kept connection exists (itest's setup mapped once). */
	struct trips before = trips_now();

	assert_ok(dmabufd_buf_mmap_h(hb, PROT_READ | PROT_WRITE, &p, &len));
	assert_ok(dmabufd_buf_munmap(p, len));
	assert_trips(before, 0, 0, 0, 0, 1);
	close(buf);
}

static void dma_fence_h_is_one_open_and_one_ioctl(void **state)
{
	int bufs[2], chan, fd;
	uint32_t ids[2];
	int32_t cookie;
	uint64_t hc;

	chan = chan_with_two_buffers(bufs, ids);
	hc = handle_of(chan);
	cookie = dmabufd_dma_memcpy(chan, ids[1], 0, ids[0], 0, PAGE, 0);
	assert_ok(cookie);
	struct trips before = trips_now();

	fd = dmabufd_dma_fence_h(hc, cookie, NULL);
	assert_ok(fd);
	close(fd);
	assert_trips(before, 1, 1, 1, 0, 0);
	assert_ok(dmabufd_dma_wait(chan, cookie, 10000));
	chan_close(chan, bufs);
}

static void dma_wait_is_one_ioctl(void **state)
{
	int bufs[2], chan;
	uint32_t ids[2];
	int32_t cookie;

	chan = chan_with_two_buffers(bufs, ids);
	cookie = dmabufd_dma_memcpy(chan, ids[1], 0, ids[0], 0, PAGE, 0);
	assert_ok(cookie);
	struct trips before = trips_now();

	assert_ok(dmabufd_dma_wait(chan, cookie, 10000));
	assert_trips(before, 0, 1, 0, 0, 0);
	chan_close(chan, bufs);
}

static void dma_memcpy_and_wait_are_two_ioctls(void **state)
{
	int bufs[2], chan;
	uint32_t ids[2];
	int32_t cookie;

	chan = chan_with_two_buffers(bufs, ids);
	struct trips before = trips_now();

	cookie = dmabufd_dma_memcpy(chan, ids[1], 0, ids[0], 0, PAGE, 0);
	assert_ok(cookie);
	assert_ok(dmabufd_dma_wait(chan, cookie, 10000));
	assert_trips(before, 0, 2, 0, 0, 0);
	chan_close(chan, bufs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(handle_is_one_ioctl),
		itest(alloc_h_is_one_open_and_one_ioctl),
		itest(create_fence_h_is_one_open_and_one_ioctl),
		itest(merge_h_is_one_open_and_one_ioctl),
		itest(export_h_is_one_open_and_one_ioctl),
		itest(import_h_is_one_ioctl),
		itest(mmap_h_is_one_control_request),
		itest(dma_fence_h_is_one_open_and_one_ioctl),
		itest(dma_wait_is_one_ioctl),
		itest(dma_memcpy_and_wait_are_two_ioctls),
		itest(null_ioctl_is_one_ioctl_request),
		itest(open_and_close_is_one_open_and_one_release),
		itest(poll_is_one_other_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
