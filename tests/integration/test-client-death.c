/* SPDX-License-Identifier: MIT */
/*
 * Integration: a client killed (SIGKILL) at any point leaves nothing in the
 * daemon. A child builds up state stage by stage (buffers, fences,
 * unclaimed tokens, mappings, waits blocked in the daemon, armed polls)
 * and is killed after each stage in turn; every time, the daemon's object
 * counts must return to the baseline. Fences of a killed producer's
 * timeline signal with -ENOENT, as when a sw_sync timeline is released.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "itest.h"

enum stage {
	STAGE_OPENED,           /* a timeline and a heap fd */
	STAGE_BUFFERS,          /* three buffers, one named */
	STAGE_FENCES,           /* pending fences, a merge, an imported implicit fence */
	STAGE_TOKENS,           /* unclaimed tokens: export, heap ALLOC, MAP */
	STAGE_MAPPINGS,         /* two live CPU mappings */
	STAGE_BLOCKED_WAIT,     /* a thread blocked in DMABUFD_SYNC_IOC_WAIT */
	STAGE_BLOCKED_SYNC,     /* a thread blocked in DMA_BUF_IOCTL_SYNC START */
	STAGE_POLLING,          /* a thread blocked in poll() on a sync_file */
	STAGE_COUNT,
};

static int report_fd;

static void report(enum stage s)
{
	uint8_t b = (uint8_t)s;

	if (write(report_fd, &b, 1) != 1)
		_exit(2);
}

static void *blocked_wait(void *arg)
{
	struct dmabufd_sync_wait w = { .timeout_ns = 60 * 1000000000LL };

	ioctl(*(int *)arg, DMABUFD_SYNC_IOC_WAIT, &w);
	return NULL;
}

static void *blocked_sync(void *arg)
{
	struct dma_buf_sync s = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW };

	ioctl(*(int *)arg, DMA_BUF_IOCTL_SYNC, &s);
	return NULL;
}

static void *blocked_poll(void *arg)
{
	struct pollfd pfd = { .fd = *(int *)arg, .events = POLLIN };

	poll(&pfd, 1, 60000);
	return NULL;
}

#define OR_DIE(x) do { if ((x) < 0) _exit(3); } while (0)

/* The doomed client. Never returns. */
static int doomed_client(void *arg)
{
	static int tl, heap, buf[3], f[3], merged;
	struct dmabufd_heap_alloc alloc = { .len = 3 * PAGE, .fd_flags = O_RDWR };
	struct dmabufd_dma_buf_map map = { 0 };
	uint64_t token;
	void *addr[2];
	size_t len[2];
	pthread_t t;

	report_fd = *(int *)arg;
	OR_DIE(tl = dmabufd_timeline_create());
	OR_DIE(heap = dmabufd_heap_open("system"));
	report(STAGE_OPENED);

	for (int i = 0; i < 3; i++)
		OR_DIE(buf[i] = dmabufd_heap_alloc(heap, (size_t)(i + 1) * 65536,
						   O_RDWR | O_CLOEXEC, 0));
	OR_DIE(dmabufd_buf_set_name(buf[0], "doomed"));
	report(STAGE_BUFFERS);

	for (int i = 0; i < 3; i++)
		OR_DIE(f[i] = dmabufd_timeline_create_fence(tl, "f", (uint32_t)i + 1));
	OR_DIE(merged = dmabufd_sync_merge("m", f[0], f[2]));
	OR_DIE(dmabufd_buf_import_sync_file(buf[1], DMA_BUF_SYNC_WRITE, f[1]));
	report(STAGE_FENCES);

	OR_DIE(dmabufd_export_token(buf[0], &token));
	OR_DIE(dmabufd_export_token(merged, &token));
	OR_DIE(ioctl(heap, DMABUFD_HEAP_IOC_ALLOC, &alloc));
	OR_DIE(ioctl(buf[2], DMABUFD_DMA_BUF_IOC_MAP, &map));
	report(STAGE_TOKENS);

	OR_DIE(dmabufd_buf_mmap(buf[0], PROT_READ | PROT_WRITE, &addr[0], &len[0]));
	OR_DIE(dmabufd_buf_mmap(buf[2], PROT_READ, &addr[1], &len[1]));
	memset(addr[0], 0x77, len[0]);
	report(STAGE_MAPPINGS);

	OR_DIE(-pthread_create(&t, NULL, blocked_wait, &merged));
	usleep(50000);
	report(STAGE_BLOCKED_WAIT);

	OR_DIE(-pthread_create(&t, NULL, blocked_sync, &buf[1]));
	usleep(50000);
	report(STAGE_BLOCKED_SYNC);

	OR_DIE(-pthread_create(&t, NULL, blocked_poll, &f[2]));
	usleep(50000);
	report(STAGE_POLLING);

	for (;;)
		pause();
}

static void kill_at(enum stage stage, const struct dmabufd_ctl_stats *base)
{
	int pipefd[2], status;
	uint8_t got = 0xff;
	pid_t pid;

	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork_child(doomed_client, &pipefd[1]);
	close(pipefd[1]);
	do {
		if (read(pipefd[0], &got, 1) != 1) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(pipefd[0]);
			fail_msg("client died before stage %d (exit status 0x%x)", stage, status);
		}
	} while (got < stage);
	assert_int_equal(kill(pid, SIGKILL), 0);
	/* A caller blocked in a FUSE request dies only once the daemon
	 * answers the interrupt: waitpid returning proves it did. */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(pipefd[0]);
	assert_stats_settle(base, 5000);
}

#define KILL_TEST(name, stage)                                   \
	static void name(void **state)                            \
	{                                                          \
		struct dmabufd_ctl_stats base;                     \
		stats_now(&base);                                  \
		kill_at(stage, &base);                             \
	}

KILL_TEST(client_killed_holding_timeline_and_heap_leaves_nothing, STAGE_OPENED)
KILL_TEST(client_killed_holding_buffers_leaves_nothing, STAGE_BUFFERS)
KILL_TEST(client_killed_holding_fences_leaves_nothing, STAGE_FENCES)
KILL_TEST(client_killed_holding_unclaimed_tokens_leaves_nothing, STAGE_TOKENS)
KILL_TEST(client_killed_holding_mappings_leaves_nothing, STAGE_MAPPINGS)
KILL_TEST(client_killed_in_a_blocked_wait_leaves_nothing, STAGE_BLOCKED_WAIT)
KILL_TEST(client_killed_in_a_blocked_cpu_sync_leaves_nothing, STAGE_BLOCKED_SYNC)
KILL_TEST(client_killed_while_polling_leaves_nothing, STAGE_POLLING)

static void clients_killed_repeatedly_leave_nothing(void **state)
{
	struct dmabufd_ctl_stats base;

	stats_now(&base);
	for (int round = 0; round < 3; round++)
		for (int s = 0; s < STAGE_COUNT; s++)
			kill_at((enum stage)s, &base);
}

/* A producer that dies leaves its consumers' fences signaled with -ENOENT. */
static int doomed_producer(void *arg)
{
	int sock = *(int *)arg, tl, f;
	uint64_t token;

	OR_DIE(tl = dmabufd_timeline_create());
	OR_DIE(f = dmabufd_timeline_create_fence(tl, "f", 10));
	OR_DIE(dmabufd_export_token(f, &token));
	if (write(sock, &token, sizeof(token)) != sizeof(token))
		_exit(4);
	for (;;)
		pause();
}

static void killed_producer_signals_its_fences_with_enoent(void **state)
{
	int pipefd[2], f, status;
	uint64_t token;
	pid_t pid;

	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork_child(doomed_producer, &pipefd[1]);
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &token, sizeof(token)), sizeof(token));
	close(pipefd[0]);
	f = dmabufd_sync_claim(token);
	assert_ok(f);
	assert_int_equal(fence_status(f), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(poll_in(f, 5000), 1);
	assert_int_equal(fence_status(f), -ENOENT);
	close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(client_killed_holding_timeline_and_heap_leaves_nothing),
		itest(client_killed_holding_buffers_leaves_nothing),
		itest(client_killed_holding_fences_leaves_nothing),
		itest(client_killed_holding_unclaimed_tokens_leaves_nothing),
		itest(client_killed_holding_mappings_leaves_nothing),
		itest(client_killed_in_a_blocked_wait_leaves_nothing),
		itest(client_killed_in_a_blocked_cpu_sync_leaves_nothing),
		itest(client_killed_while_polling_leaves_nothing),
		itest(clients_killed_repeatedly_leave_nothing),
		itest(killed_producer_signals_its_fences_with_enoent),
	};

	return cmocka_run_group_tests_name("client-death", tests, NULL, NULL);
}
