/* SPDX-License-Identifier: MIT */
/* Shared helpers of the integration tests; see itest.h. */
#include <dirent.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include <sys/mman.h>

#include "itest.h"

struct itest_state {
	int fds;
	struct dmabufd_ctl_stats stats;
};

static struct itest_state saved;

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int open_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;           /* the directory's own fd */
}

void stats_now(struct dmabufd_ctl_stats *ret)
{
	int r = dmabufd_stats(ret);

	if (r < 0)
		fail_msg("dmabufd_stats: %s", strerror(-r));
}

bool await_pending_request(int timeout_ms)
{
	struct dmabufd_ctl_stats st;

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		if (dmabufd_stats(&st) == 0 && st.count[DMABUFD_STAT_PENDING_REQS] > 0)
			return true;
		usleep(10000);
	}
	return false;
}

/* Equal in every count that comes back to where it was: refusals and
 * request counters only grow. */
bool stats_equal(const struct dmabufd_ctl_stats *a, const struct dmabufd_ctl_stats *b)
{
	for (unsigned i = 0; i < _DMABUFD_STAT_MAX; i++)
		if (a->count[i] != b->count[i] && !dmabufd_stat_is_cumulative(i))
			return false;
	return true;
}

void assert_stats_settle(const struct dmabufd_ctl_stats *want, int timeout_ms)
{
	int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;
	struct dmabufd_ctl_stats now;

	for (;;) {
		stats_now(&now);
		if (stats_equal(&now, want))
			return;
		if (now_ns() > deadline)
			break;
		usleep(5000);
	}
	for (int i = 0; i < _DMABUFD_STAT_MAX; i++)
		if (now.count[i] != want->count[i])
			print_error("daemon stat %s (%d): %lld, expected %lld\n",
				    dmabufd_stat_name(i) ? dmabufd_stat_name(i) : "?", i,
				    (long long)now.count[i], (long long)want->count[i]);
	fail_msg("daemon object counts did not return to the expected values");
}

/*
 * libdmabufd keeps one control connection per process once it maps
 * anything (proto/dmabufd/control.h). Make it before the first count, so
 * that a test that maps first is not taken for one that leaks an fd: map
 * a page once, then wait for its buffer to go.
 */
static void kept_connection_warm_up(void)
{
	static bool done;
	struct dmabufd_ctl_stats before;
	size_t len;
	void *p;
	int fd;

	if (done)
		return;
	done = true;
	stats_now(&before);
	fd = dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	if (dmabufd_buf_mmap(fd, PROT_READ, &p, &len) == 0) {
		munmap(p, len);
		/* The connection stays: it is the daemon's client now. */
		before.count[DMABUFD_STAT_CTL_CLIENTS]++;
	}
	close(fd);
	assert_stats_settle(&before, 3000);
}

int itest_setup(void **state)
{
	kept_connection_warm_up();
	saved.fds = open_fd_count();
	stats_now(&saved.stats);
	*state = &saved;
	return 0;
}

int itest_teardown(void **state)
{
	int fds = open_fd_count();

	if (fds != saved.fds) {
		print_error("test left %d fds open (%d before, %d after)\n", fds - saved.fds,
			    saved.fds, fds);
		return -1;
	}
	assert_stats_settle(&saved.stats, 3000);
	return 0;
}

void raise_nofile(unsigned long n)
{
	struct rlimit lim;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
	if (lim.rlim_cur >= n)
		return;
	lim.rlim_cur = n;
	if (lim.rlim_max < n)
		lim.rlim_max = n;
	if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
		fail_msg("cannot raise RLIMIT_NOFILE to %lu: %s", n, strerror(errno));
}

int raw_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

void assert_ok_(long r, const char *what, const char *file, int line)
{
	if (r < 0) {
		print_error("%s failed: %s (%ld)\n", what, strerror((int)-r), r);
		_fail(file, line);
	}
}

void assert_errno_(long r, int err, const char *what, const char *file, int line)
{
	if (r != -err) {
		print_error("%s: got %ld (%s), expected -%d (%s)\n", what, r,
			    r < 0 ? strerror((int)-r) : "success", err, strerror(err));
		_fail(file, line);
	}
}

int timeline_new(void)
{
	int fd = dmabufd_timeline_create();

	assert_ok(fd);
	return fd;
}

int fence_new(int timeline, uint32_t value)
{
	int fd = dmabufd_timeline_create_fence(timeline, "fence", value);

	assert_ok(fd);
	return fd;
}

int buf_new(size_t len, unsigned int fd_flags)
{
	int fd = dmabufd_alloc("system", len, fd_flags);

	assert_ok(fd);
	return fd;
}

int fence_status(int sync_fd)
{
	int status = 99;

	assert_ok(dmabufd_sync_status(sync_fd, &status));
	return status;
}

int fence_size(int sync_fd)
{
	struct dmabufd_sync_info info;

	assert_ok(dmabufd_sync_file_info(sync_fd, &info, NULL, 0));
	return (int)info.num_fences;
}

int fence_count_with_status(int sync_fd, int status)
{
	struct dmabufd_sync_info info;
	struct sync_fence_info *fences;
	int n = 0;

	assert_ok(dmabufd_sync_file_info(sync_fd, &info, NULL, 0));
	fences = calloc(info.num_fences + 1, sizeof(*fences));
	assert_non_null(fences);
	assert_ok(dmabufd_sync_file_info(sync_fd, &info, fences, info.num_fences + 1));
	for (uint32_t i = 0; i < info.num_fences; i++)
		if (fences[i].status == status)
			n++;
	free(fences);
	return n;
}

short poll_events(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	assert_true(r >= 0);
	return r ? pfd.revents : 0;
}

int poll_in(int fd, int timeout_ms)
{
	return (poll_events(fd, POLLIN, timeout_ms) & POLLIN) ? 1 : 0;
}

int daemon_max_wait_ms(void)
{
	const char *s = getenv("DMABUFD_TEST_MAX_WAIT_MS");

	return s && atoi(s) > 0 ? atoi(s) : 300;
}

unsigned int stress_iters(unsigned int base)
{
	const char *s = getenv("DMABUFD_STRESS_SCALE");
	double scale = s ? atof(s) : 1.0;
	double n = base * scale;

	return n < 1 ? 1 : (unsigned int)n;
}

pid_t fork_child(int (*fn)(void *arg), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

void assert_child_ok(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child %d: %s %d", (int)pid, WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

int send_fd(int sock, int fd, uint64_t word)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = &word, .iov_len = sizeof(word) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	memset(&control, 0, sizeof(control));
	if (fd >= 0) {
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, 0) == (ssize_t)sizeof(word) ? 0 : -errno;
}

int recv_fd(int sock, int *ret_fd, uint64_t *ret_word)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	uint64_t word = 0;
	struct iovec iov = { .iov_base = &word, .iov_len = sizeof(word) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(word))
		return -EPROTO;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (ret_fd)
		*ret_fd = fd;
	else if (fd >= 0)
		close(fd);
	if (ret_word)
		*ret_word = word;
	return 0;
}

/* ---- memory still mapped after release (see itest.h) ---- */

struct dmabufd_ctl_heap system_heap_usage(void)
{
	struct dmabufd_ctl_heap found = { 0 };
	uint32_t n, size;
	void *recs = NULL;
	bool seen = false;

	assert_ok(dmabufd_ctl_list(DMABUFD_CTL_HEAPS, &recs, &n, &size));
	for (uint32_t i = 0; i < n; i++) {
		const struct dmabufd_ctl_heap *h =
			(const void *)((const char *)recs + (size_t)i * size);

		if (strcmp(h->name, "system") == 0) {
			found = *h;
			seen = true;
		}
	}
	free(recs);
	assert_true(seen);
	return found;
}

int64_t stat_of(unsigned idx)
{
	struct dmabufd_ctl_stats st;

	stats_now(&st);
	return st.count[idx];
}

void await_stat(unsigned idx, int64_t want)
{
	int64_t deadline = now_ns() + (int64_t)LINGER_WAIT_MS * 1000000, v;

	while ((v = stat_of(idx)) != want && now_ns() < deadline)
		usleep(5000);
	if (v != want)
		fail_msg("stat %s: %lld, expected %lld", dmabufd_stat_name(idx),
			 (long long)v, (long long)want);
}

void await_heap_bytes(uint64_t want)
{
	int64_t deadline = now_ns() + (int64_t)LINGER_WAIT_MS * 1000000;
	uint64_t v;

	while ((v = system_heap_usage().bytes) != want && now_ns() < deadline)
		usleep(5000);
	assert_int_equal(v, want);
}

void close_and_await_release(int fd, int64_t bufs_after)
{
	close(fd);
	await_stat(DMABUFD_STAT_DMA_BUFS, bufs_after);
}

void assert_lingering(uint64_t heap_bytes, uint64_t len)
{
	assert_int_equal(system_heap_usage().bytes, heap_bytes);
	assert_int_equal(stat_of(DMABUFD_STAT_LINGERING), 1);
	assert_int_equal(stat_of(DMABUFD_STAT_LINGERING_BYTES), len);
}

void assert_nothing_lingers(uint64_t heap_bytes)
{
	await_heap_bytes(heap_bytes);
	assert_int_equal(stat_of(DMABUFD_STAT_LINGERING), 0);
	assert_int_equal(stat_of(DMABUFD_STAT_LINGERING_BYTES), 0);
}

int ctl_connect_raw(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	r = dmabufd_get_control_path(sa.sun_path, sizeof(sa.sun_path));
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int ctl_connect(void)
{
	int fd = ctl_connect_raw();

	if (fd < 0)
		fail_msg("cannot connect to the control socket: %s",
			 strerror(-fd));
	return fd;
}

bool ctl_served(int sock, int64_t *ret_clients)
{
	struct dmabufd_ctl_req req = { .version = DMABUFD_CTL_VERSION,
				       .op = DMABUFD_CTL_STATS };
	struct dmabufd_ctl_reply reply;
	struct dmabufd_ctl_stats st;

	if (send(sock, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
		return false;
	if (recv(sock, &reply, sizeof(reply), 0) != sizeof(reply) ||
	    reply.error != 0 || recv(sock, &st, sizeof(st), 0) != sizeof(st))
		return false;
	if (ret_clients)
		*ret_clients = st.count[DMABUFD_STAT_CTL_CLIENTS];
	return true;
}

int ctl_map_raw(int buf_fd)
{
	struct dmabufd_dma_buf_map map = { 0 };
	struct dmabufd_ctl_req req = { .version = DMABUFD_CTL_VERSION,
				       .op = DMABUFD_CTL_MAP };
	struct dmabufd_ctl_reply reply;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &reply, sizeof(reply) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int sock, fd = -1;

	assert_ok(raw_ioctl(buf_fd, DMABUFD_DMA_BUF_IOC_MAP, &map));
	req.token = map.token;
	sock = ctl_connect();
	assert_int_equal(send(sock, &req, sizeof(req), MSG_NOSIGNAL), sizeof(req));
	assert_int_equal(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC), sizeof(reply));
	close(sock);
	assert_int_equal(reply.error, 0);
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	assert_true(fd >= 0);
	return fd;
}

/* In the child: become @uid (fork_child_as()). */
static void become_uid(uid_t uid)
{
	struct rlimit rl;

	/* Still root: the hard limit may rise too (the VM's is 4096). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_max < 8192)
			rl.rlim_max = 8192;
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		perror("fork_child_as");
		_exit(2);
	}
}

pid_t fork_child_as(uid_t uid, int (*fn)(void *arg), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		become_uid(uid);
		_exit(fn(arg));
	}
	return pid;
}
