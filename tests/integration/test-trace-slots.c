/* SPDX-License-Identifier: MIT */
/*
 * Who may record (DMABUFD_CTL_TRACE): the daemon takes
 * DMABUFD_CTL_TRACE_SUBSCRIBERS recordings at a time, at most
 * DMABUFD_CTL_TRACE_PER_UID of one uid, and keeps the last
 * DMABUFD_CTL_TRACE_RESERVED for root and its own user, so that no user
 * can keep the administrator from tracing. Clients of other uids are
 * forked children (fork_child_as()) that hold their recordings until the
 * test lets them go. The recording itself: trace.sh.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

/* A child holding recordings: how many it asks for, its pipes. */
struct holder {
	uid_t uid;
	unsigned want;
	int report[2]; /* child -> test: the result of each open, as int */
	int hold[2];   /* test -> child: closed when the child may go */
	pid_t pid;
};

/* The test's ends of the hold pipes of the children still running: a
 * child closes those it inherited, or an earlier child would never see
 * its end of file. */
static int holds_open[16];
static unsigned nholds;

static int hold_recordings(void *arg)
{
	struct holder *h = arg;
	char c;

	for (unsigned i = 0; i < nholds; i++)
		close(holds_open[i]);
	close(h->report[0]);
	close(h->hold[1]);
	for (unsigned i = 0; i < h->want; i++) {
		int r = dmabufd_trace_open(0);

		CHILD_CHECK(write(h->report[1], &r, sizeof(r)) == sizeof(r));
	}
	/* Until the test closes its end: the recordings stay open. */
	CHILD_CHECK(read(h->hold[0], &c, 1) == 0);
	return 0;
}

/* Start a child of @uid asking for @want recordings; their results in
 * @ret (negative errno or an fd, the child's). */
static void holder_start(struct holder *h, uid_t uid, unsigned want, int *ret)
{
	h->uid = uid;
	h->want = want;
	assert_int_equal(pipe2(h->report, O_CLOEXEC), 0);
	assert_int_equal(pipe2(h->hold, O_CLOEXEC), 0);
	h->pid = fork_child_as(uid, hold_recordings, h);
	close(h->report[1]);
	close(h->hold[0]);
	assert_true(nholds < ARRAY_SIZE(holds_open));
	holds_open[nholds++] = h->hold[1];
	for (unsigned i = 0; i < want; i++)
		assert_int_equal(read(h->report[0], &ret[i], sizeof(ret[i])),
				 sizeof(ret[i]));
}

static void holder_stop(struct holder *h)
{
	for (unsigned i = 0; i < nholds; i++)
		if (holds_open[i] == h->hold[1])
			holds_open[i] = holds_open[--nholds];
	close(h->hold[1]);
	close(h->report[0]);
	assert_child_ok(h->pid);
}

static void trace_one_uid_records_at_most_per_uid(void **state)
{
	struct holder h;
	int r[DMABUFD_CTL_TRACE_PER_UID + 1];

	holder_start(&h, 65534, DMABUFD_CTL_TRACE_PER_UID + 1, r);
	for (unsigned i = 0; i < DMABUFD_CTL_TRACE_PER_UID; i++)
		assert_true(r[i] >= 0);
	assert_int_equal(r[DMABUFD_CTL_TRACE_PER_UID], -EBUSY);
	holder_stop(&h);
}

static void trace_keeps_the_last_slots_for_root(void **state)
{
	enum {
		USERS = (DMABUFD_CTL_TRACE_SUBSCRIBERS - DMABUFD_CTL_TRACE_RESERVED) /
			DMABUFD_CTL_TRACE_PER_UID,
	};
	struct holder h[USERS + 1];
	int r[DMABUFD_CTL_TRACE_PER_UID], mine[DMABUFD_CTL_TRACE_RESERVED], extra;

	/* Users fill every slot but the reserved ones. */
	for (unsigned u = 0; u < USERS; u++) {
		holder_start(&h[u], 60000 + u, DMABUFD_CTL_TRACE_PER_UID, r);
		for (unsigned i = 0; i < DMABUFD_CTL_TRACE_PER_UID; i++)
			assert_true(r[i] >= 0);
	}
	/* One more user finds none, though it holds nothing. */
	holder_start(&h[USERS], 60000 + USERS, 1, r);
	assert_int_equal(r[0], -EBUSY);
	holder_stop(&h[USERS]);
	/* Root gets the reserved ones, then none is left. */
	for (unsigned i = 0; i < DMABUFD_CTL_TRACE_RESERVED; i++) {
		mine[i] = dmabufd_trace_open(0);
		assert_true(mine[i] >= 0);
	}
	extra = dmabufd_trace_open(0);
	assert_int_equal(extra, -EBUSY);
	for (unsigned i = 0; i < DMABUFD_CTL_TRACE_RESERVED; i++)
		close(mine[i]);
	for (unsigned u = 0; u < USERS; u++)
		holder_stop(&h[u]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(trace_one_uid_records_at_most_per_uid),
		itest(trace_keeps_the_last_slots_for_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
