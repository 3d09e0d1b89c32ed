/* SPDX-License-Identifier: MIT */
/*
 * Integration: the control socket's cap on all connections (256, every
 * uid together) against one uid's own cap (uid-connections), at the
 * protocol level. A connection of a uid at its own cap makes room from
 * that uid's own connections and from no one else's, even when the
 * connections of all uids are at 256 too: one user's new connections
 * never close another user's.
 *
 * The daemon runs with this program's own options (test-control-cap-
 * all.args): 2 connections per uid, root exempt (the default), so that
 * root can take the daemon to 256 by itself; a child of uid 65534 is the
 * user held to its cap.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "itest.h"

#define CLIENTS_MAX 256   /* CTL_CLIENTS_MAX of daemon/ctl/control.c */
#define CONNECTIONS_PER_UID 2 /* test-control-cap-all.args */
#define NOBODY 65534

/* Whether the daemon closed @sock within @timeout_ms (nothing is read). */
static bool hung_up_within(int sock, int timeout_ms)
{
	struct pollfd pfd = { .fd = sock, .events = POLLRDHUP };

	return poll(&pfd, 1, timeout_ms) >= 0 && (pfd.revents & (POLLRDHUP | POLLHUP));
}

struct capped {
	int ready_rd, ready_wr; /* the child writes one byte once it checked */
	int done_rd, done_wr;   /* and keeps its connections until EOF here */
};

/*
 * As uid 65534: fill its own cap, then one more. The one more closes the
 * uid's own longest idle connection, and is served.
 */
static int child_one_past_its_own_cap(void *arg)
{
	struct capped *c = arg;
	int socks[CONNECTIONS_PER_UID + 1];
	struct pollfd pfd = { .fd = c->done_rd, .events = POLLIN };
	char byte;

	/* The parent's ends: EOF on done_rd comes when the parent closes. */
	close(c->ready_rd);
	close(c->done_wr);
	for (unsigned i = 0; i < ARRAY_SIZE(socks); i++) {
		socks[i] = ctl_connect_raw();
		CHILD_CHECK(socks[i] >= 0);
		CHILD_CHECK(ctl_served(socks[i], NULL));
	}
	CHILD_CHECK(hung_up_within(socks[0], 2000));
	for (unsigned i = 1; i < ARRAY_SIZE(socks); i++)
		CHILD_CHECK(ctl_served(socks[i], NULL));
	CHILD_CHECK(write(c->ready_wr, "r", 1) == 1);
	/* Bounded: a parent that failed has closed its end already. */
	CHILD_CHECK(poll(&pfd, 1, 30000) == 1);
	CHILD_CHECK(read(c->done_rd, &byte, 1) == 0);
	for (unsigned i = 0; i < ARRAY_SIZE(socks); i++)
		close(socks[i]);
	return 0;
}

/*
 * Root (exempt) holds 256 - 2 connections, uid 65534 its 2: all 256 are
 * taken. A third of uid 65534 closes its own longest idle one, and no
 * connection of root's, though root's are idle longer: the daemon still
 * holds 256, all of root's served.
 */
static void connection_at_its_uid_cap_closes_its_own_not_another_uids(void **state)
{
	int socks[CLIENTS_MAX], n = 0, ready[2], done[2], closed = -1;
	int64_t clients = 0;
	struct capped c;
	struct pollfd pfd;
	char byte;
	pid_t pid;

	/* This process holds its kept connection already (itest_setup). */
	while (clients < CLIENTS_MAX - CONNECTIONS_PER_UID) {
		assert_true(n < CLIENTS_MAX);
		socks[n] = ctl_connect_raw();
		assert_true(socks[n] >= 0);
		if (!ctl_served(socks[n], &clients))
			fail_msg("root's connection %d was not served", n + 1);
		n++;
	}
	assert_int_equal(clients, CLIENTS_MAX - CONNECTIONS_PER_UID);

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(done, O_CLOEXEC), 0);
	c = (struct capped){ .ready_rd = ready[0], .ready_wr = ready[1],
			     .done_rd = done[0], .done_wr = done[1] };
	pid = fork_child_as(NOBODY, child_one_past_its_own_cap, &c);
	close(ready[1]);
	close(done[0]);
	pfd = (struct pollfd){ .fd = ready[0], .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	if (read(ready[0], &byte, 1) != 1) {
		close(done[1]);
		assert_child_ok(pid);
		fail_msg("the child failed before its checks were done");
	}

	/* Still 256: root lost nothing to make room. Looked at while the
	 * child holds its connections, asserted once it has let go. */
	if (!ctl_served(socks[n - 1], &clients))
		clients = -1;
	for (int i = 0; i < n; i++)
		if (!ctl_served(socks[i], NULL) && closed < 0)
			closed = i;
	close(done[1]);
	close(ready[0]);
	assert_child_ok(pid);
	for (int i = 0; i < n; i++)
		close(socks[i]);
	assert_int_equal(clients, CLIENTS_MAX);
	if (closed >= 0)
		fail_msg("root's connection %d was closed", closed + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(connection_at_its_uid_cap_closes_its_own_not_another_uids),
	};

	return cmocka_run_group_tests_name("control-cap-all", tests, NULL, NULL);
}
