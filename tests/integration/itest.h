/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the integration tests. They run against a live daemon
 * found the way libdmabufd finds it (DMABUFD_DEV_ROOT, DMABUFD_CONTROL),
 * on the FUSE fallback (tests/integration/run.sh) or on CUSE nodes (the VM
 * suite). Every test runs between itest_setup() and itest_teardown(),
 * which fail the test if it left an fd open in this process or an object
 * alive in the daemon (compared through the control socket's stats).
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <unistd.h>
#include <cmocka.h>

#include "dmabufd/dmabufd.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE 4096u

/* Record open fds and the daemon's stats; use as a cmocka setup. */
int itest_setup(void **state);
/* Fail if fds or daemon objects differ from setup (waits up to 3 s for the
 * daemon to process releases, which FUSE sends asynchronously). */
int itest_teardown(void **state);
#define itest(fn) cmocka_unit_test_setup_teardown(fn, itest_setup, itest_teardown)

/* Whether @a and @b hold the same objects: equal but for the counts
 * that only grow (dmabufd_stat_is_cumulative()). */
bool stats_equal(const struct dmabufd_ctl_stats *a, const struct dmabufd_ctl_stats *b);
/* Stats now; fails the test if the control socket does not answer. */
void stats_now(struct dmabufd_ctl_stats *ret);
/* Wait up to @timeout_ms for the stats to equal @want; fail with a diff if
 * they do not. */
/*
 * Wait up to @timeout_ms until the daemon holds a blocked request
 * (DMABUFD_STAT_PENDING_REQS > 0): the point after which a signal to the
 * blocked caller interrupts that request, not the code before it. Returns
 * true once it does, false on timeout. Safe from any thread or forked
 * child (it never calls cmocka).
 */
bool await_pending_request(int timeout_ms);
void assert_stats_settle(const struct dmabufd_ctl_stats *want, int timeout_ms);
/* Number of open fds of this process. */
int open_fd_count(void);
/* Let this process hold at least @n fds: raise RLIMIT_NOFILE's soft limit,
 * and the hard one where it is lower (the VM's init leaves 1024; root may
 * raise it). Fails the test if it cannot. */
void raise_nofile(unsigned long n);

/* ioctl(2) returning 0 or -errno. */
int raw_ioctl(int fd, unsigned long cmd, void *arg);

/* Fails the test if @r is negative, printing the errno name. */
#define assert_ok(r) assert_ok_((long)(r), #r, __FILE__, __LINE__)
void assert_ok_(long r, const char *what, const char *file, int line);
/* Fails unless @r == -@err. */
#define assert_errno(r, err) assert_errno_((long)(r), (err), #r, __FILE__, __LINE__)
void assert_errno_(long r, int err, const char *what, const char *file, int line);

/* New timeline / fence / buffer; fail the test on error. */
int timeline_new(void);
int fence_new(int timeline, uint32_t value);
int buf_new(size_t len, unsigned int fd_flags);

/* Status of a sync_file (1, 0 or < 0); fails the test on error. */
int fence_status(int sync_fd);
/* Number of component fences with status @status, as the kernel selftest's
 * sync_fence_count_with_status() (1 signaled, 0 active, < 0 error). */
int fence_count_with_status(int sync_fd, int status);
int fence_size(int sync_fd);
/* poll() for POLLIN with @timeout_ms: poll's result (0 or 1), as the
 * selftests' sync_wait(). */
int poll_in(int fd, int timeout_ms);
/* revents of a poll() with @events and @timeout_ms. */
short poll_events(int fd, short events, int timeout_ms);

/* Monotonic time in ns. */
int64_t now_ns(void);

/* The daemon's cap on one blocking ioctl, as the runner configured it
 * ($DMABUFD_TEST_MAX_WAIT_MS), or 300 ms when unknown: a delay longer than
 * this crosses the cap when the runner set one. */
int daemon_max_wait_ms(void);

/* Iteration count scaled by DMABUFD_STRESS_SCALE (a float, default 1). */
unsigned int stress_iters(unsigned int base);

/* Fork a child running @fn(@arg); returns its pid. The child exits with
 * fn's return value (0 = pass) and never returns into cmocka. */
pid_t fork_child(int (*fn)(void *arg), void *arg);
/* Wait for @pid and fail unless it exited 0. */
void assert_child_ok(pid_t pid);

/*
 * fork_child(), the child first becoming @uid (gid @uid, no
 * supplementary groups; exit 2 if it cannot), its fd limit raised to at
 * least 8192 while still root: a client of another user, for the tests
 * of the per-uid limits and listings (the test itself runs as root).
 */
pid_t fork_child_as(uid_t uid, int (*fn)(void *arg), void *arg);

/* Send / receive one fd (and one 64-bit word) over a Unix socket. */
int send_fd(int sock, int fd, uint64_t word);
int recv_fd(int sock, int *ret_fd, uint64_t *ret_word);

/* In a forked child: report a failure and return 1 (usage: CHILD_CHECK(x)). */
#define CHILD_CHECK(cond)                                                            \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, \
				__LINE__, #cond);                                    \
			return 1;                                                    \
		}                                                                    \
	} while (0)

/*
 * Memory a client still maps after its buffer is released stays charged
 * to the heap until the daemon sees the last mapping go: these wait for
 * what the daemon reports, at most LINGER_WAIT_MS, and fail the test
 * otherwise.
 */
#define LINGER_WAIT_MS 10000
/* The system heap's usage record (DMABUFD_CTL_HEAPS). */
struct dmabufd_ctl_heap system_heap_usage(void);
/* Stats entry @idx (enum dmabufd_stat) now. */
int64_t stat_of(unsigned idx);
/* Wait until stats entry @idx is @want. */
void await_stat(unsigned idx, int64_t want);
/* Wait until the system heap's usage is @want bytes. */
void await_heap_bytes(uint64_t want);
/* Close @fd and wait until the daemon has released its buffer (FUSE sends
 * releases asynchronously): the dma_buf count drops to @bufs_after. */
void close_and_await_release(int fd, int64_t bufs_after);
/* One released buffer of @len bytes lingers, and the heap holds
 * @heap_bytes. */
void assert_lingering(uint64_t heap_bytes, uint64_t len);
/* Wait until the heap holds @heap_bytes; then nothing lingers. */
void assert_nothing_lingers(uint64_t heap_bytes);
/* A new connection to the daemon's control socket (found as libdmabufd
 * finds it), or a negative errno. Safe in a forked child (no cmocka). */
int ctl_connect_raw(void);
/* The same; fails the test if it cannot connect. */
int ctl_connect(void);
/* Whether @sock is served: a STATS request on it gets its whole reply,
 * whose count of control connections goes to *ret_clients (may be NULL).
 * Safe in a forked child. */
bool ctl_served(int sock, int64_t *ret_clients);
/* DMABUFD_CTL_MAP by hand for buffer @buf_fd: the mapping's file itself,
 * as the control socket sends it (libdmabufd maps and closes it). */
int ctl_map_raw(int buf_fd);
