/* SPDX-License-Identifier: MIT */
/*
 * Integration: how many requests each libdmabufd operation costs the
 * daemon, counted by the daemon itself (DMABUFD_STAT_REQ_* and
 * DMABUFD_STAT_CTL_REQUESTS). Each test reads the counters, runs one
 * operation, reads them again and asserts the exact difference. Nothing
 * else talks to this test's daemon (run.sh starts one per program).
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
 * 3 s for their count. */
static void assert_trips(struct trips before, int64_t open, int64_t ioctl,
			 int64_t release, int64_t other, int64_t control)
{
	struct trips now = trips_now();

	for (int i = 0; i < 300 && now.release - before.release < release; i++) {
		usleep(10000);
		now = trips_now();
	}
	/* Each trips_now() after @before is one control request. */
	assert_int_equal(now.open - before.open, open);
	assert_int_equal(now.ioctl - before.ioctl, ioctl);
	assert_int_equal(now.release - before.release, release);
	assert_int_equal(now.other - before.other, other);
	assert_true(now.control - before.control >= control + 1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(null_ioctl_is_one_ioctl_request),
		itest(open_and_close_is_one_open_and_one_release),
		itest(poll_is_one_other_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
