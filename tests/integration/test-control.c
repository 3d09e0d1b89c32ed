/* SPDX-License-Identifier: MIT */
/*
 * Integration tests: the control socket's flow control and caps, at the
 * protocol level (raw SOCK_SEQPACKET connections). A listing larger than
 * the socket's send buffer (4000 fences, 480 KB) waits in the daemon for
 * a client that reads late, answers the requests behind it afterwards, in
 * order, and is dropped when the client reads nothing for the send
 * timeout (5 s), while other clients are served all along; one uid gets
 * 64 connections at a time and no more.
 */
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "itest.h"

#define MANY_FENCES 4000u
#define SEND_TIMEOUT_MS 5000  /* CTL_SEND_TIMEOUT_MS of daemon/ctl/control.c */
#define CLIENTS_PER_UID 64    /* [limits] uid-connections, by default */

struct many {
	struct dmabufd_ctl_stats before;
	int timeline;
	int fences[MANY_FENCES];
};

/* itest_setup(), then MANY_FENCES pending points on one timeline. */
static int many_setup(void **state)
{
	struct many *m = calloc(1, sizeof(*m));
	struct rlimit lim;

	itest_setup(state);
	assert_non_null(m);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
	/* One fd per fence: raise the limit, the hard one too where it is
	 * lower (the VM's init leaves 4096; root may raise it). */
	if (lim.rlim_cur < MANY_FENCES + 256) {
		lim.rlim_cur = MANY_FENCES + 256;
		if (lim.rlim_max < lim.rlim_cur)
			lim.rlim_max = lim.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
			fail_msg("cannot raise RLIMIT_NOFILE to %llu: %s",
				 (unsigned long long)lim.rlim_cur,
				 strerror(errno));
	}
	stats_now(&m->before);
	m->timeline = timeline_new();
	for (unsigned i = 0; i < MANY_FENCES; i++)
		m->fences[i] = fence_new(m->timeline, i + 1);
	*state = m;
	return 0;
}

static int many_teardown(void **state)
{
	struct many *m = *state;

	for (unsigned i = 0; i < MANY_FENCES; i++)
		close(m->fences[i]);
	close(m->timeline);
	/* 4000 releases take a slow daemon (valgrind) longer than the 3 s
	 * itest_teardown() waits. */
	assert_stats_settle(&m->before, 30000);
	free(m);
	return itest_teardown(state);
}

#define many_test(fn) cmocka_unit_test_setup_teardown(fn, many_setup, many_teardown)

static int ctl_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	assert_ok(dmabufd_get_control_path(sa.sun_path, sizeof(sa.sun_path)));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_req(int sock, uint32_t op)
{
	struct dmabufd_ctl_req req = { .version = DMABUFD_CTL_VERSION, .op = op };

	assert_int_equal(send(sock, &req, sizeof(req), MSG_NOSIGNAL), sizeof(req));
}

static void recv_reply(int sock, uint32_t op, struct dmabufd_ctl_reply *ret)
{
	assert_int_equal(recv(sock, ret, sizeof(*ret), 0), sizeof(*ret));
	assert_int_equal(ret->op, op);
	assert_int_equal(ret->error, 0);
}

/*
 * Read a DMABUFD_CTL_FENCES reply and its records from @sock; check that
 * they are exactly the MANY_FENCES points of @m's timeline, seqno 1 to
 * MANY_FENCES, pending.
 */
static void recv_many_fences(int sock)
{
	struct dmabufd_ctl_reply reply;
	struct dmabufd_ctl_fence *recs;
	uint64_t got = 0, context;

	recv_reply(sock, DMABUFD_CTL_FENCES, &reply);
	assert_int_equal(reply.count, MANY_FENCES);
	assert_int_equal(reply.rec_size, sizeof(*recs));
	assert_int_equal(reply.size, (uint64_t)MANY_FENCES * sizeof(*recs));
	recs = malloc(reply.size);
	assert_non_null(recs);
	while (got < reply.size) {
		ssize_t n = recv(sock, (char *)recs + got, reply.size - got, 0);

		assert_true(n > 0);
		assert_int_equal(n % sizeof(*recs), 0);
		got += (uint64_t)n;
	}
	context = recs[0].context;
	for (unsigned i = 0; i < MANY_FENCES; i++) {
		if (recs[i].context != context || recs[i].seqno != i + 1 ||
		    recs[i].status != 0 || strcmp(recs[i].driver, "sw_sync"))
			fail_msg("record %u: context %llu seqno %llu status %d driver %s",
				 i, (unsigned long long)recs[i].context,
				 (unsigned long long)recs[i].seqno, recs[i].status,
				 recs[i].driver);
	}
	free(recs);
}

/* Read a DMABUFD_CTL_STATS reply and its stats; check the fence count. */
static void recv_stats(int sock, int64_t fences)
{
	struct dmabufd_ctl_reply reply;
	struct dmabufd_ctl_stats st;

	recv_reply(sock, DMABUFD_CTL_STATS, &reply);
	assert_int_equal(reply.size, sizeof(st));
	assert_int_equal(recv(sock, &st, sizeof(st), 0), sizeof(st));
	assert_int_equal(st.count[DMABUFD_STAT_FENCES], fences);
}

/* Whether the daemon closed @sock within @timeout_ms (nothing is read). */
static bool hung_up_within(int sock, int timeout_ms)
{
	struct pollfd pfd = { .fd = sock, .events = POLLRDHUP };

	assert_true(poll(&pfd, 1, timeout_ms) >= 0);
	return pfd.revents & (POLLRDHUP | POLLHUP);
}

static void listing_larger_than_the_send_buffer_waits_for_a_late_reader(void **state)
{
	int sock = ctl_connect();

	send_req(sock, DMABUFD_CTL_FENCES);
	/* The daemon filled the socket and holds the rest. */
	assert_false(hung_up_within(sock, 1000));
	recv_many_fences(sock);
	/* Still a client: the next request is answered. */
	send_req(sock, DMABUFD_CTL_STATS);
	recv_stats(sock, MANY_FENCES);
	close(sock);
}

static void request_behind_a_queued_listing_is_answered_after_it(void **state)
{
	int sock = ctl_connect();

	send_req(sock, DMABUFD_CTL_FENCES);
	send_req(sock, DMABUFD_CTL_STATS);
	usleep(200 * 1000);
	recv_many_fences(sock);
	recv_stats(sock, MANY_FENCES);
	close(sock);
}

static void client_reading_nothing_is_dropped_after_the_send_timeout(void **state)
{
	struct dmabufd_ctl_stats st;
	int64_t start = now_ns(), took_ms;
	int sock = ctl_connect();

	send_req(sock, DMABUFD_CTL_FENCES);
	/* Meanwhile the daemon serves everyone else at once. */
	for (int i = 0; i < 10; i++) {
		int64_t t = now_ns();

		stats_now(&st);
		assert_int_equal(st.count[DMABUFD_STAT_FENCES], MANY_FENCES);
		assert_true(now_ns() - t < 1000 * 1000000ll);
	}
	assert_false(hung_up_within(sock, SEND_TIMEOUT_MS - 1000));
	assert_true(hung_up_within(sock, 4000));
	took_ms = (now_ns() - start) / 1000000;
	assert_true(took_ms >= SEND_TIMEOUT_MS - 1000);
	close(sock);
}

/* Whether @sock is served: a STATS request gets its whole reply. */
static bool served(int sock)
{
	struct dmabufd_ctl_req req = { .version = DMABUFD_CTL_VERSION,
				       .op = DMABUFD_CTL_STATS };
	struct dmabufd_ctl_reply reply;
	struct dmabufd_ctl_stats st;

	if (send(sock, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
		return false;
	return recv(sock, &reply, sizeof(reply), 0) == sizeof(reply) && reply.error == 0 &&
	       recv(sock, &st, sizeof(st), 0) == sizeof(st);
}

static void connections_past_64_of_one_uid_are_refused(void **state)
{
	struct dmabufd_ctl_stats st;
	int socks[CLIENTS_PER_UID + 6];

	/* One at a time, each served before the next connects. */
	for (unsigned i = 0; i < ARRAY_SIZE(socks); i++) {
		socks[i] = ctl_connect();
		if (i < CLIENTS_PER_UID && !served(socks[i]))
			fail_msg("connection %u of %d was not served", i + 1,
				 CLIENTS_PER_UID);
		if (i >= CLIENTS_PER_UID && !hung_up_within(socks[i], 2000))
			fail_msg("connection %u was not refused", i + 1);
	}
	/* A refused call fails: the daemon closes before it reads the
	 * request, so the library sees EOF, a reset or a broken pipe. */
	{
		int r = dmabufd_stats(&st);

		assert_true(r == -EPROTO || r == -ECONNRESET || r == -EPIPE);
	}
	/* The first 64 are still served; once they close, anyone is. */
	for (unsigned i = 0; i < CLIENTS_PER_UID; i++)
		assert_true(served(socks[i]));
	for (unsigned i = 0; i < ARRAY_SIZE(socks); i++)
		close(socks[i]);
	for (int i = 0; i < 100 && dmabufd_stats(&st) < 0; i++)
		usleep(10 * 1000);
	stats_now(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		many_test(listing_larger_than_the_send_buffer_waits_for_a_late_reader),
		many_test(request_behind_a_queued_listing_is_answered_after_it),
		many_test(client_reading_nothing_is_dropped_after_the_send_timeout),
		itest(connections_past_64_of_one_uid_are_refused),
	};

	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
