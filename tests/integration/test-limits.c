/* SPDX-License-Identifier: MIT */
/*
 * Per-uid limits against a daemon started with small ones
 * (test-limits.args): an unprivileged client (uid 65534, as a forked
 * child that drops root) is refused with EDQUOT past each limit, gets it
 * back when it closes what it holds, and meanwhile other uids (65533,
 * and root, which is exempt) keep working. The refusals show in the
 * daemon's stats.
 */
#include <grp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

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

/* In a child: fail with the line, so the parent says where. */
#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,   \
				#cond);                                      \
			_exit(1);                                            \
		}                                                            \
	} while (0)

/* Run @fn in a child with uid and gid @uid and no supplementary groups;
 * fail the test unless it exits 0. */
static void run_as(uid_t uid, void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, uid) < 0) {
			perror("dropping root");
			_exit(2);
		}
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int64_t refused(unsigned stat)
{
	struct dmabufd_ctl_stats st;

	stats_now(&st);
	return st.count[stat];
}

/* ---- bytes ---- */

static void bytes_child(void)
{
	int a = dmabufd_alloc("system", UID_BYTES - PAGE, O_RDWR | O_CLOEXEC);
	int b;

	CHECK(a >= 0);
	CHECK(dmabufd_alloc("system", 2 * PAGE, O_RDWR | O_CLOEXEC) == -EDQUOT);
	b = dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC);
	CHECK(b >= 0);
	CHECK(dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC) == -EDQUOT);
	close(a);
	/* The release reaches the daemon asynchronously (FUSE). */
	for (int i = 0; i < 300 && (a = dmabufd_alloc("system", 2 * PAGE,
						      O_RDWR | O_CLOEXEC)) == -EDQUOT; i++)
		usleep(10000);
	CHECK(a >= 0);
	close(a);
	close(b);
}

static void uid_past_its_bytes_is_edquot_until_it_frees(void **state)
{
	int64_t before = refused(DMABUFD_STAT_REFUSED_BYTES);

	run_as(NOBODY, bytes_child);
	assert_true(refused(DMABUFD_STAT_REFUSED_BYTES) >= before + 2);
}

/* ---- files ---- */

static void files_child(void)
{
	int fds[UID_FILES], heap, n = 0, r;

	heap = dmabufd_heap_open("system");
	CHECK(heap >= 0);
	/* The heap fd is one of the files. */
	while ((r = dmabufd_heap_alloc(heap, PAGE, O_RDWR | O_CLOEXEC, 0)) >= 0) {
		CHECK(n < UID_FILES - 1);
		fds[n++] = r;
	}
	CHECK(r == -EDQUOT);
	CHECK(n == UID_FILES - 1);
	/* Any node: a timeline is a file too. */
	CHECK(dmabufd_timeline_create() == -EDQUOT);
	while (n > 0)
		close(fds[--n]);
	close(heap);
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

static void tokens_child(void)
{
	int heap = dmabufd_heap_open("system"), k = 0, r = 0;

	CHECK(heap >= 0);
	for (int i = 0; i < UID_TOKENS; i++)
		CHECK(alloc_unclaimed(heap) == 0);
	CHECK(alloc_unclaimed(heap) == -EDQUOT);
	/* Closing the heap fd drops its tokens (once the daemon sees the
	 * release, which FUSE sends asynchronously): all of them again. */
	for (int i = 0; i < 300; i++) {
		close(heap);
		usleep(10000);
		heap = dmabufd_heap_open("system");
		CHECK(heap >= 0);
		for (k = 0; k < UID_TOKENS && (r = alloc_unclaimed(heap)) == 0; k++)
			;
		if (k == UID_TOKENS)
			break;
		CHECK(r == -EDQUOT);
	}
	CHECK(k == UID_TOKENS);
	CHECK(alloc_unclaimed(heap) == -EDQUOT);
	close(heap);
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

/* Holds one channel: another is EDQUOT for this uid, not for others. */
static int held_chan = -1;

static void other_gets_a_channel(void)
{
	int c = memcpy_chan();

	CHECK(c >= 0);
	close(c);
}

static void channels_child(void)
{
	int a = memcpy_chan();

	CHECK(a >= 0);
	CHECK(memcpy_chan() == -EDQUOT);
	held_chan = a;
}

static void uid_past_its_channels_is_edquot_and_others_still_get_one(void **state)
{
	int sv[2], status;
	char c;
	pid_t pid;

	/* The child holds its channel while OTHER and root ask for one. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
		    setresuid(NOBODY, NOBODY, NOBODY) < 0)
			_exit(2);
		channels_child();
		CHECK(write(sv[1], "x", 1) == 1);
		CHECK(read(sv[1], &c, 1) == 1);
		close(held_chan);
		_exit(0);
	}
	close(sv[1]);
	assert_int_equal(read(sv[0], &c, 1), 1);
	run_as(OTHER, other_gets_a_channel);
	other_gets_a_channel();
	assert_int_equal(write(sv[0], "x", 1), 1);
	close(sv[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- control connections ---- */

static int ctl_connect_raw(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (dmabufd_get_control_path(sa.sun_path, sizeof(sa.sun_path)) < 0) {
		close(fd);
		return -ENAMETOOLONG;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		fprintf(stderr, "connect %s: %s\n", sa.sun_path, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

static void connections_child(void)
{
	struct dmabufd_ctl_stats st;
	int fds[UID_CONNECTIONS], r = -1;

	for (int i = 0; i < UID_CONNECTIONS; i++) {
		fds[i] = ctl_connect_raw();
		CHECK(fds[i] >= 0);
	}
	/* One more is closed at once by the daemon. */
	CHECK(dmabufd_stats(&st) < 0);
	close(fds[0]);
	for (int i = 0; i < 300 && (r = dmabufd_stats(&st)) < 0; i++)
		usleep(10000);
	CHECK(r == 0);
	for (int i = 1; i < UID_CONNECTIONS; i++)
		close(fds[i]);
}

static void uid_past_its_connections_is_refused(void **state)
{
	int64_t before = refused(DMABUFD_STAT_REFUSED_CONNECTIONS);

	run_as(NOBODY, connections_child);
	assert_true(refused(DMABUFD_STAT_REFUSED_CONNECTIONS) >= before + 1);
}

/* ---- others keep working ---- */

static void fill_bytes_then_signal(int fd)
{
	int a = dmabufd_alloc("system", UID_BYTES, O_RDWR | O_CLOEXEC);
	char c;

	CHECK(a >= 0);
	CHECK(dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC) == -EDQUOT);
	CHECK(write(fd, "x", 1) == 1);
	CHECK(read(fd, &c, 1) == 1);
	close(a);
}

static void other_allocates(void)
{
	int a = dmabufd_alloc("system", UID_BYTES, O_RDWR | O_CLOEXEC);

	CHECK(a >= 0);
	close(a);
}

static void a_uid_at_its_limit_leaves_others_working(void **state)
{
	int sv[2], status, root_buf;
	char c;
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
		    setresuid(NOBODY, NOBODY, NOBODY) < 0)
			_exit(2);
		fill_bytes_then_signal(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	assert_int_equal(read(sv[0], &c, 1), 1);
	run_as(OTHER, other_allocates);
	/* Root is exempt: past the per-uid figure. */
	root_buf = dmabufd_alloc("system", 2 * UID_BYTES, O_RDWR | O_CLOEXEC);
	assert_ok(root_buf);
	close(root_buf);
	assert_int_equal(write(sv[0], "x", 1), 1);
	close(sv[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- listings, as hidepid ---- */

#define ODD_SIZE (3 * PAGE)

static void listings_child(void)
{
	struct dmabufd_ctl_buffer *bufs = NULL;
	struct dmabufd_ctl_dma_channel *chans = NULL;
	uint32_t n = 0, size = 0, hidden = 0, busy = 0;
	int buf = dmabufd_alloc("system", ODD_SIZE, O_RDWR | O_CLOEXEC);

	CHECK(buf >= 0);
	CHECK(dmabufd_ctl_list_hidden(DMABUFD_CTL_BUFFERS, (void **)&bufs, &n, &size,
				      &hidden) == 0);
	/* Its own buffer, and root's counted but not shown. */
	CHECK(n == 1);
	CHECK(bufs[0].size == ODD_SIZE);
	CHECK(hidden >= 1);
	free(bufs);
	/* Channels are the machine's; who holds one is its holder's. */
	CHECK(dmabufd_ctl_list_hidden(DMABUFD_CTL_DMA_CHANNELS, (void **)&chans, &n,
				      &size, &hidden) == 0);
	CHECK(n > 0 && hidden == 0);
	for (uint32_t i = 0; i < n; i++) {
		const struct dmabufd_ctl_dma_channel *c =
			(const void *)((const char *)chans + (size_t)i * size);

		if (c->flags & DMABUFD_CTL_CHAN_IN_USE) {
			busy++;
			CHECK(c->client[0] == '\0');
		}
	}
	CHECK(busy == 1);
	free(chans);
	close(buf);
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
		itest(uid_past_its_connections_is_refused),
		itest(a_uid_at_its_limit_leaves_others_working),
		itest(listings_show_a_user_only_its_own_objects),
	};

	return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
