/* SPDX-License-Identifier: MIT */
/*
 * Integration tests: the control socket's flow control and caps, at the
 * protocol level (raw SOCK_SEQPACKET connections). A listing larger than
 * the socket's send buffer (4000 fences, 480 KB) is made batch by batch
 * as a client that reads late takes it: meanwhile the daemon holds one
 * batch for it and no more (DMABUFD_STAT_CTL_HELD_*), serves other
 * clients, listings included; it answers the requests behind it
 * afterwards, in order, and drops the client when it reads nothing for
 * the send timeout (5 s). Fences freed while a listing is under way are
 * listed once or not at all, and every other one exactly once. A
 * version-1 listing request is refused with EPROTONOSUPPORT. One uid gets
 * 64 connections at a time and no more: a new one closes the longest idle
 * one (never one whose request waits unread), or is refused when all are
 * busy.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
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

	itest_setup(state);
	assert_non_null(m);
	/* One fd per fence. */
	raise_nofile(MANY_FENCES + 256);
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

/* A batch message of fence records. */
struct fence_batch {
	struct dmabufd_ctl_batch head;
	struct dmabufd_ctl_fence recs[DMABUFD_CTL_RECS_PER_MSG];
};

/* The most the daemon may hold for one fence listing: one batch. */
#define FENCE_BATCH_MAX sizeof(struct fence_batch)

/* Read one batch of fence records; returns whether it was the END. */
static bool recv_fence_batch(int sock, struct fence_batch *b)
{
	ssize_t n = recv(sock, b, sizeof(*b), MSG_TRUNC);

	assert_true(n >= (ssize_t)sizeof(b->head));
	assert_true(n <= (ssize_t)sizeof(*b));
	assert_int_equal(b->head.rec_size, sizeof(b->recs[0]));
	assert_int_equal(n, sizeof(b->head) + b->head.count * sizeof(b->recs[0]));
	return b->head.flags & DMABUFD_CTL_BATCH_END;
}

/*
 * Read the rest of a DMABUFD_CTL_FENCES listing (its reply read) into
 * @recs (room for @max); returns how many records came.
 */
static unsigned recv_fence_records(int sock, struct dmabufd_ctl_fence *recs,
				   unsigned max)
{
	struct fence_batch b;
	unsigned n = 0;
	bool end;

	do {
		end = recv_fence_batch(sock, &b);
		assert_true(n + b.head.count <= max);
		memcpy(recs + n, b.recs, b.head.count * sizeof(b.recs[0]));
		n += b.head.count;
	} while (!end);
	return n;
}

/* Read a listing's reply: error 0, no count, the record size. */
static void recv_list_reply(int sock, uint32_t op, uint32_t rec_size)
{
	struct dmabufd_ctl_reply reply;

	recv_reply(sock, op, &reply);
	assert_int_equal(reply.count, 0);
	assert_int_equal(reply.size, 0);
	assert_int_equal(reply.rec_size, rec_size);
}

/*
 * Read a DMABUFD_CTL_FENCES reply and its records from @sock; check that
 * they are exactly the MANY_FENCES points of @m's timeline, seqno 1 to
 * MANY_FENCES, pending.
 */
static void recv_many_fences(int sock)
{
	struct dmabufd_ctl_fence *recs = calloc(MANY_FENCES + 1, sizeof(*recs));
	uint64_t context;

	assert_non_null(recs);
	recv_list_reply(sock, DMABUFD_CTL_FENCES, sizeof(*recs));
	assert_int_equal(recv_fence_records(sock, recs, MANY_FENCES + 1),
			 MANY_FENCES);
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

/*
 * One uid holds at most 64 connections. A connection past that closes
 * the uid's longest idle one (libdmabufd keeps one per process and makes
 * it again when it needs it), so the newest 64 are served. This process
 * starts with one kept connection (itest's first mapping).
 */
static void connection_past_the_uid_cap_closes_the_longest_idle_one(void **state)
{
	int socks[CLIENTS_PER_UID + 6];
	const unsigned gone = ARRAY_SIZE(socks) + 1 - CLIENTS_PER_UID - 1;
	size_t len;
	void *p;
	int buf;

	/* One at a time, each served (so the most recently used) before the
	 * next connects. */
	for (unsigned i = 0; i < ARRAY_SIZE(socks); i++) {
		socks[i] = ctl_connect();
		if (!ctl_served(socks[i], NULL))
			fail_msg("connection %u was not served", i + 1);
	}
	/* The kept connection went first, then the oldest of these. */
	for (unsigned i = 0; i < gone; i++)
		if (!hung_up_within(socks[i], 2000))
			fail_msg("connection %u was not closed", i + 1);
	for (unsigned i = gone; i < ARRAY_SIZE(socks); i++)
		if (!ctl_served(socks[i], NULL))
			fail_msg("connection %u is not served", i + 1);
	/* The library's kept connection is made again, at the cost of the
	 * longest idle one. */
	buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	assert_ok(dmabufd_buf_mmap(buf, PROT_READ | PROT_WRITE, &p, &len));
	assert_ok(dmabufd_buf_munmap(p, len));
	assert_true(hung_up_within(socks[gone], 2000));
	close(buf);
	for (unsigned i = 0; i < ARRAY_SIZE(socks); i++)
		close(socks[i]);
}

/*
 * When every connection of the uid is busy (a listing waiting for room
 * in its socket), none can make room: the new one is closed at once, and
 * a call on it fails as a closed connection.
 */
static void connection_past_the_uid_cap_when_all_are_busy_is_refused(void **state)
{
	struct dmabufd_ctl_stats st;
	int socks[CLIENTS_PER_UID], extra, buf;
	size_t len;
	void *p;

	/* The kept connection is idle: the first of these closes it. Each
	 * is busy once its reply starts (the listing does not fit in the
	 * socket). No stats call until the end: it would be one more. */
	for (unsigned i = 0; i < ARRAY_SIZE(socks); i++) {
		socks[i] = ctl_connect();
		send_req(socks[i], DMABUFD_CTL_FENCES);
		assert_int_equal(poll_in(socks[i], 2000), 1);
	}
	extra = ctl_connect();
	assert_true(hung_up_within(extra, 2000));
	close(extra);
	{
		int r = dmabufd_stats(&st);

		assert_true(r == -EPROTO || r == -ECONNRESET || r == -EPIPE);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(socks); i++)
		close(socks[i]);
	for (int i = 0; i < 100 && dmabufd_stats(&st) < 0; i++)
		usleep(10 * 1000);
	/* The library makes its kept connection again when it maps. */
	buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	assert_ok(dmabufd_buf_mmap(buf, PROT_READ, &p, &len));
	assert_ok(dmabufd_buf_munmap(p, len));
	close(buf);
}

/* The pid of the daemon under test (run.sh), or 0 when not known. */
static pid_t daemon_pid(void)
{
	const char *s = getenv("DMABUFD_DAEMON_PID");

	return s ? (pid_t)atoi(s) : 0;
}

/* Whether @pid is stopped (its /proc/PID/stat state is T) within 5 s. */
static bool stopped_within_5s(pid_t pid)
{
	for (int i = 0; i < 500; i++) {
		char path[64], buf[512], *state;
		ssize_t n;
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return false;
		buf[n] = '\0';
		/* "PID (COMM) STATE ...": the comm may hold spaces. */
		state = strrchr(buf, ')');
		if (state && state[1] == ' ' && state[2] == 'T')
			return true;
		usleep(10 * 1000);
	}
	return false;
}

/*
 * A connection whose request the daemon has not read yet is not idle: a
 * connection past the uid cap that arrives with it closes the longest
 * idle one after it, and the request is answered. The daemon is stopped
 * while both arrive, so that one turn of its loop meets them together,
 * the new connection first (epoll reports them in the order they became
 * ready).
 */
static void connection_past_the_uid_cap_spares_one_whose_request_waits(void **state)
{
	int socks[CLIENTS_PER_UID], extra;
	pid_t daemon = daemon_pid();

	if (daemon <= 0) {
		print_message("DMABUFD_DAEMON_PID is not set: run through run.sh\n");
		skip();
	}
	/* Served one after the other: socks[0] is the longest idle (the
	 * kept connection went on the way). */
	for (unsigned i = 0; i < ARRAY_SIZE(socks); i++) {
		socks[i] = ctl_connect();
		if (!ctl_served(socks[i], NULL))
			fail_msg("connection %u was not served", i + 1);
	}
	assert_int_equal(kill(daemon, SIGSTOP), 0);
	if (!stopped_within_5s(daemon)) {
		kill(daemon, SIGCONT);
		fail_msg("the daemon did not stop");
	}
	/* connect() completes in the listen backlog. */
	extra = ctl_connect();
	send_req(socks[0], DMABUFD_CTL_STATS);
	assert_int_equal(kill(daemon, SIGCONT), 0);
	{
		struct dmabufd_ctl_reply reply;
		struct dmabufd_ctl_stats st;
		ssize_t n = recv(socks[0], &reply, sizeof(reply), 0);

		if (n != (ssize_t)sizeof(reply))
			fail_msg("the waiting request got no reply (recv: %zd, %s)", n,
				 n < 0 ? strerror(errno) : "EOF");
		assert_int_equal(reply.op, DMABUFD_CTL_STATS);
		assert_int_equal(reply.error, 0);
		assert_int_equal(recv(socks[0], &st, sizeof(st), 0), sizeof(st));
	}
	/* The room came from the next longest idle one. */
	assert_true(hung_up_within(socks[1], 2000));
	assert_true(ctl_served(extra, NULL));
	for (unsigned i = 2; i < ARRAY_SIZE(socks); i++)
		if (!ctl_served(socks[i], NULL))
			fail_msg("connection %u is not served", i + 1);
	close(extra);
	for (unsigned i = 0; i < ARRAY_SIZE(socks); i++)
		close(socks[i]);
	/* The library makes its kept connection again (setup counted it). */
	{
		int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
		size_t len;
		void *p;

		assert_ok(dmabufd_buf_mmap(buf, PROT_READ, &p, &len));
		assert_ok(dmabufd_buf_munmap(p, len));
		close(buf);
	}
}

/*
 * A client asks for the fences and reads nothing. The daemon fills its
 * socket and then holds one batch for it, no more; meanwhile another
 * client's listing of the same fences comes whole, record for record.
 */
static void stalled_listing_holds_one_batch_while_others_are_served(void **state)
{
	struct dmabufd_ctl_fence *recs;
	struct dmabufd_ctl_stats st;
	uint32_t count, size;
	int sock = ctl_connect();
	int i;

	send_req(sock, DMABUFD_CTL_FENCES);
	/* Until its socket is full and the daemon holds a batch. */
	for (i = 0; i < 500; i++) {
		stats_now(&st);
		if (st.count[DMABUFD_STAT_CTL_HELD_MAX] > 0)
			break;
		usleep(10 * 1000);
	}
	assert_true(st.count[DMABUFD_STAT_CTL_HELD_MAX] > 0);
	assert_true(st.count[DMABUFD_STAT_CTL_HELD_MAX] <= (int64_t)FENCE_BATCH_MAX);
	assert_true(st.count[DMABUFD_STAT_CTL_HELD_BYTES] <= (int64_t)FENCE_BATCH_MAX);
	assert_true(st.count[DMABUFD_STAT_CTL_CLIENTS] >= 2);

	for (int round = 0; round < 3; round++) {
		assert_ok(dmabufd_ctl_list(DMABUFD_CTL_FENCES, (void **)&recs,
					   &count, &size));
		assert_int_equal(count, MANY_FENCES);
		assert_int_equal(size, sizeof(*recs));
		for (unsigned k = 0; k < count; k++) {
			assert_int_equal(recs[k].seqno, k + 1);
			assert_string_equal(recs[k].driver, "sw_sync");
			assert_int_equal(recs[k].status, 0);
		}
		free(recs);
		stats_now(&st);
		assert_true(st.count[DMABUFD_STAT_CTL_HELD_MAX] <=
			    (int64_t)FENCE_BATCH_MAX);
	}
	/* The stalled one is still a client, and gets all of it. */
	recv_many_fences(sock);
	close(sock);
}

/*
 * Half the fences go while a listing is under way (after its first
 * batch): every one that stayed is listed exactly once, a gone one at
 * most once, in order, and nothing else.
 */
static void fences_freed_mid_listing_are_listed_at_most_once(void **state)
{
	struct many *m = *state;
	struct dmabufd_ctl_fence *recs = calloc(MANY_FENCES + 1, sizeof(*recs));
	struct dmabufd_ctl_stats st;
	struct fence_batch b;
	unsigned n, seen_gone = 0, seen_kept = 0;
	uint64_t last = 0;
	int sock = ctl_connect();

	assert_non_null(recs);
	send_req(sock, DMABUFD_CTL_FENCES);
	recv_list_reply(sock, DMABUFD_CTL_FENCES, sizeof(recs[0]));
	assert_false(recv_fence_batch(sock, &b));
	assert_int_equal(b.head.count, DMABUFD_CTL_RECS_PER_MSG);
	memcpy(recs, b.recs, sizeof(b.recs));
	/* Seqnos 2001..4000 go (closing the last fd releases each). */
	for (unsigned i = MANY_FENCES / 2; i < MANY_FENCES; i++) {
		close(m->fences[i]);
		m->fences[i] = -1;
	}
	for (int i = 0; i < 3000; i++) {
		stats_now(&st);
		if (st.count[DMABUFD_STAT_FENCES] ==
		    m->before.count[DMABUFD_STAT_FENCES] + MANY_FENCES / 2)
			break;
		usleep(10 * 1000);
	}
	assert_int_equal(st.count[DMABUFD_STAT_FENCES],
			 m->before.count[DMABUFD_STAT_FENCES] + MANY_FENCES / 2);
	n = DMABUFD_CTL_RECS_PER_MSG +
	    recv_fence_records(sock, recs + DMABUFD_CTL_RECS_PER_MSG,
			       MANY_FENCES + 1 - DMABUFD_CTL_RECS_PER_MSG);
	for (unsigned i = 0; i < n; i++) {
		assert_true(recs[i].seqno > last); /* in order, none twice */
		last = recs[i].seqno;
		assert_true(last >= 1 && last <= MANY_FENCES);
		if (last > MANY_FENCES / 2)
			seen_gone++;
		else
			seen_kept++;
	}
	assert_int_equal(seen_kept, MANY_FENCES / 2);
	assert_int_equal(n, seen_kept + seen_gone);
	free(recs);
	/* The daemon is fine: the next listing has the ones kept. */
	send_req(sock, DMABUFD_CTL_STATS);
	recv_stats(sock, m->before.count[DMABUFD_STAT_FENCES] + MANY_FENCES / 2);
	close(sock);
}

static void version_1_listing_is_refused_with_eprotonosupport(void **state)
{
	struct dmabufd_ctl_req req = { .version = 1, .op = DMABUFD_CTL_FENCES };
	struct dmabufd_ctl_reply reply;
	int sock = ctl_connect();

	assert_int_equal(send(sock, &req, sizeof(req), MSG_NOSIGNAL), sizeof(req));
	assert_int_equal(recv(sock, &reply, sizeof(reply), 0), sizeof(reply));
	assert_int_equal(reply.op, DMABUFD_CTL_FENCES);
	assert_int_equal(reply.error, EPROTONOSUPPORT);
	assert_int_equal(reply.count, 0);
	/* Version 1 still gets STATS. */
	req.op = DMABUFD_CTL_STATS;
	assert_int_equal(send(sock, &req, sizeof(req), MSG_NOSIGNAL), sizeof(req));
	recv_stats(sock, 0);
	close(sock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		many_test(listing_larger_than_the_send_buffer_waits_for_a_late_reader),
		many_test(request_behind_a_queued_listing_is_answered_after_it),
		many_test(client_reading_nothing_is_dropped_after_the_send_timeout),
		many_test(stalled_listing_holds_one_batch_while_others_are_served),
		many_test(fences_freed_mid_listing_are_listed_at_most_once),
		itest(version_1_listing_is_refused_with_eprotonosupport),
		itest(connection_past_the_uid_cap_closes_the_longest_idle_one),
		many_test(connection_past_the_uid_cap_when_all_are_busy_is_refused),
		itest(connection_past_the_uid_cap_spares_one_whose_request_waits),
	};

	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
