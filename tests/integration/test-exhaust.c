/* SPDX-License-Identifier: MIT */
/*
 * A daemon with the default limits (test-exhaust.args only opens the
 * nodes to every user) against an unprivileged client (uid 65534) that
 * tries to take everything: buffer memory, open files, tokens, channels
 * and control connections, each until the daemon refuses. While it holds
 * all it could get, another user (65533) and root still allocate, make
 * fences, get a channel and read the stats; and once it lets go,
 * everything is back.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "itest.h"
#include "dmabufd/dma_heap.h"

#define NOBODY 65534
#define OTHER 65533

/* The defaults of daemon/config/limits.h. */
#define UID_FILES 4096
#define UID_TOKENS 1024
#define UID_CHANNELS 2
#define UID_CONNECTIONS 64
#define UID_BYTES_PCT 25

#define CHUNK (64u << 20)

/* MemTotal, as sysinfo(2) gives the daemon. */
static uint64_t ram_bytes(void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	assert_true(kb > 0);
	return (uint64_t)kb * 1024u;
}

static int alloc_unclaimed(int heap)
{
	struct dmabufd_heap_alloc req = { .len = PAGE, .fd_flags = O_RDWR };

	return ioctl(heap, DMABUFD_HEAP_IOC_ALLOC, &req) < 0 ? -errno : 0;
}

/* What the greedy client got, reported to the parent. */
struct greed {
	uint64_t bytes;
	unsigned files, tokens, channels, connections;
};

static int fds[UID_FILES + 8];
static unsigned nfds;

/* Keep @fd; 0, or 1 (reported) if it is an error or there is no room. */
static int hold(int fd)
{
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(nfds < sizeof(fds) / sizeof(fds[0]));
	fds[nfds++] = fd;
	return 0;
}

/* Take all it can, tell the parent, wait for its word, let go. */
static uint64_t uid_bytes;

static int greedy_child(void *arg)
{
	int sock = *(int *)arg;
	struct greed g = { 0 };
	int heap, r;
	char c;

	/* Memory: 64 MiB at a time until the daemon says EDQUOT. */
	for (;;) {
		r = dmabufd_alloc("system", CHUNK, O_RDWR | O_CLOEXEC);
		if (r < 0)
			break;
		CHILD_CHECK(hold(r) == 0);
		g.bytes += CHUNK;
	}
	CHILD_CHECK(r == -EDQUOT);
	CHILD_CHECK(g.bytes <= uid_bytes && g.bytes + CHUNK > uid_bytes);
	/* Tokens: ALLOCs never claimed, from one heap fd. */
	heap = dmabufd_heap_open("system");
	CHILD_CHECK(hold(heap) == 0);
	/* Page-sized: the memory is nearly all taken. Let one buffer go to
	 * make room for the tokens' buffers. */
	close(fds[0]);
	fds[0] = dmabufd_heap_open("system");
	CHILD_CHECK(fds[0] >= 0);
	g.bytes -= CHUNK;
	/* (The buffer's release reaches the daemon a little later: until
	 * then its bytes refuse too.) */
	for (int tries = 0; g.tokens < UID_TOKENS; ) {
		r = alloc_unclaimed(heap);
		if (r == 0) {
			g.tokens++;
			continue;
		}
		CHILD_CHECK(r == -EDQUOT && tries++ < 500);
		usleep(10000);
	}
	CHILD_CHECK(alloc_unclaimed(heap) == -EDQUOT);
	/* Channels. */
	while ((r = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 0,
						    NULL)) >= 0) {
		CHILD_CHECK(hold(r) == 0);
		g.channels++;
	}
	CHILD_CHECK(r == -EDQUOT);
	CHILD_CHECK(g.channels == UID_CHANNELS);
	/* Files: timelines up to the limit (the heap fds dmabufd_alloc()
	 * opened and closed count until their release reaches the daemon). */
	for (int tries = 0; nfds < UID_FILES; ) {
		r = dmabufd_timeline_create();
		if (r >= 0) {
			CHILD_CHECK(hold(r) == 0);
			continue;
		}
		CHILD_CHECK(r == -EDQUOT && tries++ < 500);
		usleep(10000);
	}
	CHILD_CHECK(dmabufd_timeline_create() == -EDQUOT);
	g.files = nfds;
	/* Control connections, on fds of its own (not node files). */
	for (unsigned i = 0; i < UID_CONNECTIONS; i++) {
		r = ctl_connect_raw();
		CHILD_CHECK(r >= 0);
		g.connections++;
	}
	CHILD_CHECK(write(sock, &g, sizeof(g)) == sizeof(g));
	CHILD_CHECK(read(sock, &c, 1) == 1);
	/* Everything goes at once with the child, as a killed client's. */
	return 0;
}

static int other_user_works(void *arg)
{
	struct dmabufd_ctl_stats st;
	int buf, tl, fence, chan;

	buf = dmabufd_alloc("system", 1u << 20, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(buf >= 0);
	tl = dmabufd_timeline_create();
	CHILD_CHECK(tl >= 0);
	fence = dmabufd_timeline_create_fence(tl, "other", 1);
	CHILD_CHECK(fence >= 0);
	CHILD_CHECK(dmabufd_timeline_inc(tl, 1) == 0);
	CHILD_CHECK(dmabufd_sync_wait(fence, 5000) == 0);
	chan = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 0, NULL);
	/* The mock has four: the greedy uid holds two. */
	CHILD_CHECK(chan >= 0);
	CHILD_CHECK(dmabufd_stats(&st) == 0);
	close(chan);
	close(fence);
	close(tl);
	close(buf);
	return 0;
}

static void default_limits_hold_a_greedy_user_while_others_work(void **state)
{
	struct dmabufd_ctl_stats st;
	struct greed g;
	int sv[2], sock, buf;
	pid_t greedy;

	uid_bytes = ram_bytes() / 100u * UID_BYTES_PCT;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	greedy = fork_child_as(NOBODY, greedy_child, &sv[1]);
	close(sv[1]);
	sock = sv[0];
	assert_int_equal(read(sock, &g, sizeof(g)), sizeof(g));
	assert_int_equal(g.files, UID_FILES);
	assert_int_equal(g.tokens, UID_TOKENS);
	assert_int_equal(g.channels, UID_CHANNELS);
	assert_int_equal(g.connections, UID_CONNECTIONS);

	/* Meanwhile: another user, and root. */
	assert_child_ok(fork_child_as(OTHER, other_user_works, NULL));
	buf = dmabufd_alloc("system", 1u << 20, O_RDWR | O_CLOEXEC);
	assert_ok(buf);
	close(buf);
	stats_now(&st);
	assert_true(st.count[DMABUFD_STAT_REFUSED_BYTES] >= 1);
	assert_true(st.count[DMABUFD_STAT_REFUSED_FILES] >= 1);
	assert_true(st.count[DMABUFD_STAT_REFUSED_TOKENS] >= 1);
	assert_true(st.count[DMABUFD_STAT_REFUSED_CHANNELS] >= 1);

	/* It lets go (all at once, as a dying client): the teardown checks
	 * the daemon is back where it was. */
	assert_int_equal(write(sock, "x", 1), 1);
	close(sock);
	assert_child_ok(greedy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(default_limits_hold_a_greedy_user_while_others_work),
	};

	return cmocka_run_group_tests_name("exhaust", tests, NULL, NULL);
}
