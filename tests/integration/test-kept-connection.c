/* SPDX-License-Identifier: MIT */
/*
 * Integration: libdmabufd's kept control connection (libclient/src/
 * control.c), through which every mapping goes. It is per process: a
 * forked child makes its own, so parent and child can map at once; it is
 * made again when the daemon closed it to make room for another
 * connection of the uid; and when its fd number was closed and reused
 * for something else, the library neither writes into that fd nor closes
 * it, and connects again.
 *
 * The daemon runs with this program's own options (test-kept-connection.
 * args): root is held to 4 control connections, so that four raw
 * connections push the kept one out. itest's setup made the kept
 * connection before any test runs.
 */
#include <dirent.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include "itest.h"

#define CONNECTIONS_PER_UID 4 /* test-kept-connection.args */

/* Map @buf read-write, check its length and first byte, write @mark. */
static bool map_and_mark(int buf, size_t want_len, int want_first, uint8_t mark)
{
	uint8_t *p;
	size_t len;
	void *addr;
	bool ok;

	if (dmabufd_buf_mmap(buf, PROT_READ | PROT_WRITE, &addr, &len) < 0)
		return false;
	p = addr;
	ok = len == want_len && (want_first < 0 || p[0] == want_first);
	p[0] = mark;
	dmabufd_buf_munmap(addr, len);
	return ok;
}

/* ---- fork ---------------------------------------------------------------- */

struct forked {
	int buf;
};

static int child_maps(void *arg)
{
	struct forked *f = arg;

	CHILD_CHECK(map_and_mark(f->buf, PAGE, 0x11, 0x22));
	return 0;
}

static void mmap_works_in_a_forked_child_and_again_in_the_parent_after(void **state)
{
	struct forked f = { .buf = buf_new(PAGE, O_RDWR | O_CLOEXEC) };

	assert_true(map_and_mark(f.buf, PAGE, 0, 0x11));
	assert_child_ok(fork_child(child_maps, &f));
	assert_true(map_and_mark(f.buf, PAGE, 0x22, 0x33));
	close(f.buf);
}

#define MAPS_AT_ONCE 300

struct racer {
	int buf, go_rd, go_wr;
	size_t len;
};

static int map_many(struct racer *r)
{
	for (int i = 0; i < MAPS_AT_ONCE; i++)
		if (!map_and_mark(r->buf, r->len, -1, (uint8_t)i))
			return 1;
	return 0;
}

static int child_maps_many(void *arg)
{
	struct racer *r = arg;
	char c;

	close(r->go_wr);
	CHILD_CHECK(read(r->go_rd, &c, 1) == 1);
	CHILD_CHECK(map_many(r) == 0);
	return 0;
}

/*
 * Parent and child map at the same time, each its own buffer (of its own
 * size): over one shared connection their replies would cross. Each
 * process has its own, so every mapping is of the right buffer.
 */
static void parent_and_forked_child_map_at_once_each_on_its_own_connection(void **state)
{
	struct racer mine = { .buf = buf_new(PAGE, O_RDWR | O_CLOEXEC), .len = PAGE };
	struct racer child = { .buf = buf_new(3 * PAGE, O_RDWR | O_CLOEXEC), .len = 3 * PAGE };
	int go[2];
	pid_t pid;

	/* The parent's kept connection is there before the fork. */
	assert_true(map_and_mark(mine.buf, PAGE, 0, 1));
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	child.go_rd = go[0];
	child.go_wr = go[1];
	pid = fork_child(child_maps_many, &child);
	close(go[0]);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	assert_int_equal(map_many(&mine), 0);
	assert_child_ok(pid);
	close(child.buf);
	close(mine.buf);
}

/* ---- eviction -------------------------------------------------------------- */

static void mmap_after_the_daemon_closed_the_kept_connection_works(void **state)
{
	int socks[CONNECTIONS_PER_UID], buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);

	assert_true(map_and_mark(buf, PAGE, 0, 0x44));
	/* The kept connection is the uid's longest idle one: the last of
	 * these pushes it out. No stats call until the end: it would be a
	 * connection too. */
	for (unsigned i = 0; i < ARRAY_SIZE(socks); i++) {
		socks[i] = ctl_connect();
		if (!ctl_served(socks[i], NULL))
			fail_msg("connection %u was not served", i + 1);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(socks); i++)
		if (!ctl_served(socks[i], NULL))
			fail_msg("connection %u was closed, not the kept one", i + 1);
	/* The library finds its connection closed and makes it again (at
	 * the cost of the longest idle of these). */
	assert_true(map_and_mark(buf, PAGE, 0x44, 0x55));
	assert_true(map_and_mark(buf, PAGE, 0x55, 0x66));
	for (unsigned i = 0; i < ARRAY_SIZE(socks); i++)
		close(socks[i]);
	close(buf);
}

/* ---- fd number reused ------------------------------------------------------- */

/* Put @fd over every socket fd of this process; returns how many. */
static int cover_sockets(int fd, int *ret_fds, int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[64], target[64];
		ssize_t len;
		int num;

		if (e->d_name[0] == '.')
			continue;
		num = atoi(e->d_name);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", num);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0 || num == dirfd(d))
			continue;
		target[len] = '\0';
		if (strncmp(target, "socket:", 7) != 0)
			continue;
		assert_true(n < max);
		assert_int_equal(dup3(fd, num, O_CLOEXEC), num);
		ret_fds[n++] = num;
	}
	closedir(d);
	return n;
}

static void mmap_after_the_kept_fd_number_was_reused_works_and_writes_nothing_there(
	void **state)
{
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC), p[2], covered[8], n;
	char c;

	assert_true(map_and_mark(buf, PAGE, 0, 0x77));
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	/* Only the kept connection is a socket here. */
	n = cover_sockets(p[1], covered, (int)ARRAY_SIZE(covered));
	assert_int_equal(n, 1);
	assert_true(map_and_mark(buf, PAGE, 0x77, 0x88));
	assert_true(map_and_mark(buf, PAGE, 0x88, 0x99));
	/* Nothing went into the pipe, and the library left the number be. */
	assert_int_equal(read(p[0], &c, 1), -1);
	assert_int_equal(errno, EAGAIN);
	for (int i = 0; i < n; i++) {
		assert_int_equal(fcntl(covered[i], F_GETFD), FD_CLOEXEC);
		close(covered[i]);
	}
	/* Every write end is closed: the pipe reads EOF, still empty. */
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 0);
	close(p[0]);
	close(buf);
}

/* ---- fork while a mapping waits -------------------------------------- */

struct waiter {
	uint64_t handle;
	pid_t tid;
	int result;
};

static void *map_by_handle(void *arg)
{
	struct waiter *w = arg;
	size_t len;
	void *p;

	__atomic_store_n(&w->tid, gettid(), __ATOMIC_RELEASE);
	w->result = dmabufd_buf_mmap_h(w->handle, PROT_READ, &p, &len);
	if (w->result == 0)
		munmap(p, len);
	return NULL;
}

/* The scheduler state of thread @tid of this process ('S': sleeping). */
static char thread_state(pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * A thread waits on the kept connection for a daemon that does not
 * answer (stopped): fork() in another thread must not wait with it (the
 * library's fork handling used to take the connection's lock), and the
 * child maps nothing, so it needs nothing of it. Once the daemon goes on,
 * the waiting mapping completes.
 */
static void fork_while_a_mapping_waits_does_not_wait_with_it(void **state)
{
	const char *env = getenv("DMABUFD_DAEMON_PID");
	struct waiter w = { 0 };
	pthread_t thread;
	pid_t daemon = env ? (pid_t)atoi(env) : 0, child;
	int buf, status;
	size_t len;
	void *p;

	if (daemon <= 0)
		skip(); /* the runner did not say which daemon */
	buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	assert_ok(dmabufd_handle(buf, &w.handle, NULL));
	assert_ok(dmabufd_buf_mmap_h(w.handle, PROT_READ, &p, &len));
	munmap(p, len);
	assert_int_equal(kill(daemon, SIGSTOP), 0);
	assert_int_equal(pthread_create(&thread, NULL, map_by_handle, &w), 0);
	while (!__atomic_load_n(&w.tid, __ATOMIC_ACQUIRE) || thread_state(w.tid) != 'S')
		usleep(1000);
	child = fork();
	if (child == 0)
		_exit(0);
	assert_true(child > 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(kill(daemon, SIGCONT), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(w.result, 0);
	close(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(mmap_works_in_a_forked_child_and_again_in_the_parent_after),
		itest(parent_and_forked_child_map_at_once_each_on_its_own_connection),
		itest(mmap_after_the_daemon_closed_the_kept_connection_works),
		itest(mmap_after_the_kept_fd_number_was_reused_works_and_writes_nothing_there),
		itest(fork_while_a_mapping_waits_does_not_wait_with_it),
	};

	return cmocka_run_group_tests_name("kept-connection", tests, NULL, NULL);
}
