/* SPDX-License-Identifier: MIT */
/*
 * Per-uid limits against a daemon started with small ones
 * (test-limits.args): an unprivileged client (uid 65534, as a forked
 * child that drops root) is refused with EDQUOT past each limit, gets it
 * back when it closes what it holds, and meanwhile other uids (65533,
 * and root, which is exempt) keep working. The refusals show in the
 * daemon's stats.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "itest.h"
#include "dmabufd/dma_heap.h"

/* test-limits.args */
#define UID_BYTES (256u * 1024u)
#define UID_FILES 16
#define UID_TOKENS 4
#define UID_CHANNELS 1
#define UID_CONNECTIONS 4

#define NOBODY 65534
#define OTHER 65533

/* Run @fn as @uid in a child; fail the test unless it exits 0. */
static void run_as(uid_t uid, int (*fn)(void *arg))
{
	assert_child_ok(fork_child_as(uid, fn, NULL));
}

/* A child of @uid running @fn(its end of a socketpair), the parent's end
 * in *ret_sock: for a client that holds something while the test looks. */
static pid_t start_as(uid_t uid, int (*fn)(void *arg), int *ret_sock)
{
	static int child_end;
	int sv[2];
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	child_end = sv[1];
	pid = fork_child_as(uid, fn, &child_end);
	close(sv[1]);
	*ret_sock = sv[0];
	return pid;
}

static int64_t refused(unsigned stat)
{
	struct dmabufd_ctl_stats st;

	stats_now(&st);
	return st.count[stat];
}

/* ---- bytes ---- */

static int bytes_child(void *arg)
{
	int a = dmabufd_alloc("system", UID_BYTES - PAGE, O_RDWR | O_CLOEXEC);
	int b;

	CHILD_CHECK(a >= 0);
	CHILD_CHECK(dmabufd_alloc("system", 2 * PAGE, O_RDWR | O_CLOEXEC) == -EDQUOT);
	b = dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(b >= 0);
	CHILD_CHECK(dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC) == -EDQUOT);
	close(a);
	/* The release reaches the daemon asynchronously (FUSE). */
	for (int i = 0; i < 300 && (a = dmabufd_alloc("system", 2 * PAGE,
						      O_RDWR | O_CLOEXEC)) == -EDQUOT; i++)
		usleep(10000);
	CHILD_CHECK(a >= 0);
	close(a);
	close(b);
	return 0;
}

static void uid_past_its_bytes_is_edquot_until_it_frees(void **state)
{
	int64_t before = refused(DMABUFD_STAT_REFUSED_BYTES);

	run_as(NOBODY, bytes_child);
	assert_true(refused(DMABUFD_STAT_REFUSED_BYTES) >= before + 2);
}

/* ---- files ---- */

static int files_child(void *arg)
{
	int fds[UID_FILES], heap, n = 0, r;

	heap = dmabufd_heap_open("system");
	CHILD_CHECK(heap >= 0);
	/* The heap fd is one of the files. */
	while ((r = dmabufd_heap_alloc(heap, PAGE, O_RDWR | O_CLOEXEC, 0)) >= 0) {
		CHILD_CHECK(n < UID_FILES - 1);
		fds[n++] = r;
	}
	CHILD_CHECK(r == -EDQUOT);
	CHILD_CHECK(n == UID_FILES - 1);
	/* Any node: a timeline is a file too. */
	CHILD_CHECK(dmabufd_timeline_create() == -EDQUOT);
	while (n > 0)
		close(fds[--n]);
	close(heap);
	return 0;
}

static void uid_past_its_files_is_edquot(void **state)
{
	int64_t before = refused(DMABUFD_STAT_REFUSED_FILES);

	run_as(NOBODY, files_child);
	assert_true(refused(DMABUFD_STAT_REFUSED_FILES) >= before + 2);
}

/* ---- tokens ---- */

static int alloc_unclaimed(int heap)
{
	struct dmabufd_heap_alloc req = { .len = PAGE, .fd_flags = O_RDWR };

	return ioctl(heap, DMABUFD_HEAP_IOC_ALLOC, &req) < 0 ? -errno : 0;
}

static int tokens_child(void *arg)
{
	int heap = dmabufd_heap_open("system"), k = 0, r = 0;

	CHILD_CHECK(heap >= 0);
	for (int i = 0; i < UID_TOKENS; i++)
		CHILD_CHECK(alloc_unclaimed(heap) == 0);
	CHILD_CHECK(alloc_unclaimed(heap) == -EDQUOT);
	/* Closing the heap fd drops its tokens (once the daemon sees the
	 * release, which FUSE sends asynchronously): all of them again. */
	for (int i = 0; i < 300; i++) {
		close(heap);
		usleep(10000);
		heap = dmabufd_heap_open("system");
		CHILD_CHECK(heap >= 0);
		for (k = 0; k < UID_TOKENS && (r = alloc_unclaimed(heap)) == 0; k++)
			;
		if (k == UID_TOKENS)
			break;
		CHILD_CHECK(r == -EDQUOT);
	}
	CHILD_CHECK(k == UID_TOKENS);
	CHILD_CHECK(alloc_unclaimed(heap) == -EDQUOT);
	close(heap);
	return 0;
}

static void uid_past_its_tokens_is_edquot(void **state)
{
	int64_t before = refused(DMABUFD_STAT_REFUSED_TOKENS);

	run_as(NOBODY, tokens_child);
	assert_true(refused(DMABUFD_STAT_REFUSED_TOKENS) >= before + 2);
}

/* ---- channels ---- */

static int memcpy_chan(void)
{
	return dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 0, NULL);
}

static int other_gets_a_channel(void *arg)
{
	int c = memcpy_chan();

	CHILD_CHECK(c >= 0);
	close(c);
	return 0;
}

/* Holds one channel (another is EDQUOT for this uid) until told. */
static int channels_child(void *arg)
{
	int sock = *(int *)arg, a = memcpy_chan();
	char c;

	CHILD_CHECK(a >= 0);
	CHILD_CHECK(memcpy_chan() == -EDQUOT);
	CHILD_CHECK(write(sock, "x", 1) == 1);
	CHILD_CHECK(read(sock, &c, 1) == 1);
	close(a);
	return 0;
}

static void uid_past_its_channels_is_edquot_and_others_still_get_one(void **state)
{
	int sock;
	char c;
	pid_t pid = start_as(NOBODY, channels_child, &sock);

	/* While it holds its channel, OTHER and root ask for one. */
	assert_int_equal(read(sock, &c, 1), 1);
	run_as(OTHER, other_gets_a_channel);
	assert_int_equal(other_gets_a_channel(NULL), 0);
	assert_int_equal(write(sock, "x", 1), 1);
	close(sock);
	assert_child_ok(pid);
}

/* ---- control connections ---- */

/* Whether the daemon closed @fd within @ms. */
static bool hung_up(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, ms) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

/* At its limit, a uid's new connection closes its longest idle one. */
static int connections_child(void *arg)
{
	struct dmabufd_ctl_stats st;
	int fds[UID_CONNECTIONS];

	for (int i = 0; i < UID_CONNECTIONS; i++) {
		fds[i] = ctl_connect_raw();
		CHILD_CHECK(fds[i] >= 0);
	}
	CHILD_CHECK(dmabufd_stats(&st) == 0);
	CHILD_CHECK(hung_up(fds[0], 2000));
	for (int i = 1; i < UID_CONNECTIONS; i++)
		CHILD_CHECK(!hung_up(fds[i], 0));
	for (int i = 0; i < UID_CONNECTIONS; i++)
		close(fds[i]);
	return 0;
}

static void uid_at_its_connections_closes_its_longest_idle_one(void **state)
{
	int64_t before = refused(DMABUFD_STAT_REFUSED_CONNECTIONS);

	run_as(NOBODY, connections_child);
	/* Room was made: nothing refused. */
	assert_int_equal(refused(DMABUFD_STAT_REFUSED_CONNECTIONS), before);
}

/* ---- others keep working ---- */

static int fill_bytes_then_signal(void *arg)
{
	int sock = *(int *)arg;
	int a = dmabufd_alloc("system", UID_BYTES, O_RDWR | O_CLOEXEC);
	char c;

	CHILD_CHECK(a >= 0);
	CHILD_CHECK(dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC) == -EDQUOT);
	CHILD_CHECK(write(sock, "x", 1) == 1);
	CHILD_CHECK(read(sock, &c, 1) == 1);
	close(a);
	return 0;
}

static int other_allocates(void *arg)
{
	int a = dmabufd_alloc("system", UID_BYTES, O_RDWR | O_CLOEXEC);

	CHILD_CHECK(a >= 0);
	close(a);
	return 0;
}

static void a_uid_at_its_limit_leaves_others_working(void **state)
{
	int sock, root_buf;
	char c;
	pid_t pid = start_as(NOBODY, fill_bytes_then_signal, &sock);

	assert_int_equal(read(sock, &c, 1), 1);
	run_as(OTHER, other_allocates);
	/* Root is exempt: past the per-uid figure. */
	root_buf = dmabufd_alloc("system", 2 * UID_BYTES, O_RDWR | O_CLOEXEC);
	assert_ok(root_buf);
	close(root_buf);
	assert_int_equal(write(sock, "x", 1), 1);
	close(sock);
	assert_child_ok(pid);
}

/* ---- listings, as hidepid ---- */

#define ODD_SIZE (3 * PAGE)

static int listings_child(void *arg)
{
	struct dmabufd_ctl_buffer *bufs = NULL;
	struct dmabufd_ctl_dma_channel *chans = NULL;
	uint32_t n = 0, size = 0, hidden = 0, busy = 0;
	int buf = dmabufd_alloc("system", ODD_SIZE, O_RDWR | O_CLOEXEC);

	CHILD_CHECK(buf >= 0);
	CHILD_CHECK(dmabufd_ctl_list_hidden(DMABUFD_CTL_BUFFERS, (void **)&bufs, &n, &size,
				      &hidden) == 0);
	/* Its own buffer, and root's counted but not shown. */
	CHILD_CHECK(n == 1);
	CHILD_CHECK(bufs[0].size == ODD_SIZE);
	CHILD_CHECK(hidden >= 1);
	free(bufs);
	/* Channels are the machine's; who holds one is its holder's. */
	CHILD_CHECK(dmabufd_ctl_list_hidden(DMABUFD_CTL_DMA_CHANNELS, (void **)&chans, &n,
				      &size, &hidden) == 0);
	CHILD_CHECK(n > 0 && hidden == 0);
	for (uint32_t i = 0; i < n; i++) {
		const struct dmabufd_ctl_dma_channel *c =
			(const void *)((const char *)chans + (size_t)i * size);

		if (c->flags & DMABUFD_CTL_CHAN_IN_USE) {
			busy++;
			CHILD_CHECK(c->client[0] == '\0');
		}
	}
	CHILD_CHECK(busy == 1);
	free(chans);
	close(buf);
	return 0;
}

static void listings_show_a_user_only_its_own_objects(void **state)
{
	struct dmabufd_ctl_buffer *bufs = NULL;
	struct dmabufd_ctl_dma_channel *chans = NULL;
	uint32_t n = 0, size = 0, hidden = 0;
	int root_buf = dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC);
	int chan = memcpy_chan();
	bool named = false;

	assert_ok(root_buf);
	assert_ok(chan);
	run_as(NOBODY, listings_child);
	/* Root sees its own buffer and the channel's holder. */
	assert_ok(dmabufd_ctl_list_hidden(DMABUFD_CTL_BUFFERS, (void **)&bufs, &n, &size,
					  &hidden));
	assert_int_equal(hidden, 0);
	assert_true(n >= 1);
	free(bufs);
	assert_ok(dmabufd_ctl_list_hidden(DMABUFD_CTL_DMA_CHANNELS, (void **)&chans, &n,
					  &size, &hidden));
	for (uint32_t i = 0; i < n; i++) {
		const struct dmabufd_ctl_dma_channel *c =
			(const void *)((const char *)chans + (size_t)i * size);

		if (c->flags & DMABUFD_CTL_CHAN_IN_USE)
			named = c->client[0] != '\0';
	}
	assert_true(named);
	free(chans);
	close(chan);
	close(root_buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(uid_past_its_bytes_is_edquot_until_it_frees),
		itest(uid_past_its_files_is_edquot),
		itest(uid_past_its_tokens_is_edquot),
		itest(uid_past_its_channels_is_edquot_and_others_still_get_one),
		itest(uid_at_its_connections_closes_its_longest_idle_one),
		itest(a_uid_at_its_limit_leaves_others_working),
		itest(listings_show_a_user_only_its_own_objects),
	};

	return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
