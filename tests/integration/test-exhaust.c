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
#include <grp.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

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

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,   \
				#cond);                                      \
			_exit(1);                                            \
		}                                                            \
	} while (0)

static void drop_root(uid_t uid)
{
	struct rlimit rl;

	/* Room for every file the daemon would give it, and more (still
	 * root: the hard limit may rise too, as the VM's is 4096). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_max < 8192)
			rl.rlim_max = 8192;
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		perror("dropping root");
		_exit(2);
	}
}

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

static int ctl_connect_raw(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (dmabufd_get_control_path(sa.sun_path, sizeof(sa.sun_path)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
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

static void hold(int fd)
{
	CHECK(fd >= 0);
	CHECK(nfds < sizeof(fds) / sizeof(fds[0]));
	fds[nfds++] = fd;
}

/* Take all it can, tell the parent, wait for its word, let go. */
static void greedy_child(int sock, uint64_t uid_bytes)
{
	struct greed g = { 0 };
	int heap, r;
	char c;

	drop_root(NOBODY);
	/* Memory: 64 MiB at a time until the daemon says EDQUOT. */
	for (;;) {
		r = dmabufd_alloc("system", CHUNK, O_RDWR | O_CLOEXEC);
		if (r < 0)
			break;
		hold(r);
		g.bytes += CHUNK;
	}
	CHECK(r == -EDQUOT);
	CHECK(g.bytes <= uid_bytes && g.bytes + CHUNK > uid_bytes);
	/* Tokens: ALLOCs never claimed, from one heap fd. */
	heap = dmabufd_heap_open("system");
	hold(heap);
	/* Page-sized: the memory is nearly all taken. Let one buffer go to
	 * make room for the tokens' buffers. */
	close(fds[0]);
	fds[0] = dmabufd_heap_open("system");
	CHECK(fds[0] >= 0);
	g.bytes -= CHUNK;
	/* (The buffer's release reaches the daemon a little later: until
	 * then its bytes refuse too.) */
	for (int tries = 0; g.tokens < UID_TOKENS; ) {
		r = alloc_unclaimed(heap);
		if (r == 0) {
			g.tokens++;
			continue;
		}
		CHECK(r == -EDQUOT && tries++ < 500);
		usleep(10000);
	}
	CHECK(alloc_unclaimed(heap) == -EDQUOT);
	/* Channels. */
	while ((r = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 0,
						    NULL)) >= 0) {
		hold(r);
		g.channels++;
	}
	CHECK(r == -EDQUOT);
	CHECK(g.channels == UID_CHANNELS);
	/* Files: timelines up to the limit (the heap fds dmabufd_alloc()
	 * opened and closed count until their release reaches the daemon). */
	for (int tries = 0; nfds < UID_FILES; ) {
		r = dmabufd_timeline_create();
		if (r >= 0) {
			hold(r);
			continue;
		}
		CHECK(r == -EDQUOT && tries++ < 500);
		usleep(10000);
	}
	CHECK(dmabufd_timeline_create() == -EDQUOT);
	g.files = nfds;
	/* Control connections, on fds of its own (not node files). */
	for (unsigned i = 0; i < UID_CONNECTIONS; i++) {
		r = ctl_connect_raw();
		CHECK(r >= 0);
		g.connections++;
	}
	CHECK(write(sock, &g, sizeof(g)) == sizeof(g));
	CHECK(read(sock, &c, 1) == 1);
	_exit(0); /* everything goes at once, as a killed client's would */
}

static void other_user_works(void)
{
	struct dmabufd_ctl_stats st;
	int buf, tl, fence, chan;

	drop_root(OTHER);
	buf = dmabufd_alloc("system", 1u << 20, O_RDWR | O_CLOEXEC);
	CHECK(buf >= 0);
	tl = dmabufd_timeline_create();
	CHECK(tl >= 0);
	fence = dmabufd_timeline_create_fence(tl, "other", 1);
	CHECK(fence >= 0);
	CHECK(dmabufd_timeline_inc(tl, 1) == 0);
	CHECK(dmabufd_sync_wait(fence, 5000) == 0);
	chan = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 0, NULL);
	/* The mock has four: the greedy uid holds two. */
	CHECK(chan >= 0);
	CHECK(dmabufd_stats(&st) == 0);
	close(chan);
	close(fence);
	close(tl);
	close(buf);
	_exit(0);
}

static void wait_child(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void default_limits_hold_a_greedy_user_while_others_work(void **state)
{
	uint64_t uid_bytes = ram_bytes() / 100u * UID_BYTES_PCT;
	struct dmabufd_ctl_stats st;
	struct greed g;
	int sv[2], buf;
	pid_t greedy, other;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	greedy = fork();
	assert_true(greedy >= 0);
	if (greedy == 0) {
		close(sv[0]);
		greedy_child(sv[1], uid_bytes);
	}
	close(sv[1]);
	assert_int_equal(read(sv[0], &g, sizeof(g)), sizeof(g));
	assert_int_equal(g.files, UID_FILES);
	assert_int_equal(g.tokens, UID_TOKENS);
	assert_int_equal(g.channels, UID_CHANNELS);
	assert_int_equal(g.connections, UID_CONNECTIONS);

	/* Meanwhile: another user, and root. */
	other = fork();
	assert_true(other >= 0);
	if (other == 0)
		other_user_works();
	wait_child(other);
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
	assert_int_equal(write(sv[0], "x", 1), 1);
	close(sv[0]);
	wait_child(greedy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(default_limits_hold_a_greedy_user_while_others_work),
	};

	return cmocka_run_group_tests_name("exhaust", tests, NULL, NULL);
}
