/* SPDX-License-Identifier: MIT */
/*
 * The dev layer's request contract (daemon/dev/request.c) through a fake
 * transport: every ioctl is answered exactly once, whether at once, later
 * from the loop, on interrupt, on release of its file, or at shutdown;
 * waits honour the daemon's cap; and a released file takes its tokens and
 * objects with it.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <dmabufd/common.h>
#include <dmabufd/sw_sync.h>
#include <dmabufd/sync_file.h>

#include "dev/dev.h"
#include "dev/file.h"
#include "dev/node.h"
#include "dev/request.h"
#include "dev/token.h"
#include "util/log.h"

/* --- the fake transport --------------------------------------------- */

struct fake_req {
	unsigned replies;
	int result; /* >= 0, or the negative errno */
	unsigned char out[2048];
	size_t size;
	struct dev_req *armed; /* set_interrupt registered this */
};

static int interrupt_answer;
static unsigned polls_notified, polls_destroyed;

static void fake_reply(void *treq, int result, const void *out, size_t size)
{
	struct fake_req *fr = treq;

	fr->replies++;
	fr->result = result;
	fr->size = size;
	if (size)
		memcpy(fr->out, out, size);
}

static void fake_reply_error(void *treq, int neg_errno)
{
	struct fake_req *fr = treq;

	fr->replies++;
	fr->result = neg_errno;
	fr->size = 0;
}

static int fake_set_interrupt(void *treq, struct dev_req *req)
{
	if (interrupt_answer < 0)
		return interrupt_answer;
	((struct fake_req *)treq)->armed = req;
	return 0;
}

static void fake_poll_notify(void *ph)
{
	polls_notified++;
}

static void fake_poll_destroy(void *ph)
{
	polls_destroyed++;
}

static const struct dev_transport_ops fake_ops = {
	.name = "fake",
	.reply = fake_reply,
	.reply_error = fake_reply_error,
	.set_interrupt = fake_set_interrupt,
	.poll_notify = fake_poll_notify,
	.poll_destroy = fake_poll_destroy,
};

/* Run ioctl @cmd with @in (of _IOC_SIZE bytes) on @file. */
static void do_ioctl(struct dev_file *file, unsigned cmd, const void *in,
		     struct fake_req *fr)
{
	size_t size = _IOC_SIZE(cmd);
	struct dev_req *req;

	memset(fr, 0, sizeof(*fr));
	req = dev_req_new(&fake_ops, fr, file, cmd,
			  (_IOC_DIR(cmd) & _IOC_WRITE) ? in : NULL,
			  (_IOC_DIR(cmd) & _IOC_WRITE) ? size : 0,
			  (_IOC_DIR(cmd) & _IOC_READ) ? size : 0);
	assert_non_null(req);
	dev_req_dispatch(req);
}

/* --- fixtures --------------------------------------------------------- */

static struct dev_node *node_of(enum dev_node_type type)
{
	for (unsigned i = 0; i < node_count(); i++)
		if (node_at(i)->type == type)
			return node_at(i);
	fail();
	return NULL;
}

static struct dev_file *open_node(enum dev_node_type type, int flags)
{
	struct dev_file *file = NULL;

	assert_int_equal(dev_file_open(node_of(type), &fake_ops, flags,
				       getpid(), getuid(), getgid(), &file), 0);
	return file;
}

static int dev_setup(void **state)
{
	fake_clock_setup(state);
	interrupt_answer = 0;
	polls_notified = polls_destroyed = 0;
	dev_restart();
	dev_init(&(struct dev_config){ .max_wait_ns = 5000000000ull });
	assert_int_equal(node_registry_build(NULL), 0);
	return 0;
}

static int dev_teardown(void **state)
{
	dev_shutdown();
	node_registry_free();
	assert_int_equal(dev_file_count(), 0);
	assert_int_equal(token_count(), 0);
	assert_int_equal(dev_req_pending_count(), 0);
	assert_int_equal(polls_notified <= polls_destroyed, true);
	return leak_check_teardown(state);
}

#define dev_test(fn) cmocka_unit_test_setup_teardown(fn, dev_setup, dev_teardown)

/* A sync_file fd bound to a new point @value of @tl's timeline. */
static struct dev_file *point_fd(struct dev_file *tl, uint32_t value)
{
	struct dmabufd_sw_sync_create_fence cf = { .value = value };
	struct dmabufd_claim claim = { 0 };
	struct dev_file *sf = open_node(DEV_NODE_SYNC_FILE, O_RDONLY);
	struct fake_req fr;

	do_ioctl(tl, DMABUFD_SW_SYNC_IOC_CREATE_FENCE, &cf, &fr);
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, 0);
	memcpy(&cf, fr.out, sizeof(cf));
	claim.token = cf.token;
	do_ioctl(sf, DMABUFD_IOC_CLAIM, &claim, &fr);
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, 0);
	return sf;
}

static void start_wait(struct dev_file *sf, int64_t timeout_ns,
		       struct fake_req *fr)
{
	struct dmabufd_sync_wait w = { .timeout_ns = timeout_ns };

	do_ioctl(sf, DMABUFD_SYNC_IOC_WAIT, &w, fr);
}

/* --- tests ------------------------------------------------------------ */

static void immediate_error_is_one_reply(void **state)
{
	struct dev_file *sf = open_node(DEV_NODE_SYNC_FILE, O_RDONLY);
	struct dmabufd_claim bad = { .token = 1, .flags = 1 };
	struct fake_req fr;

	do_ioctl(sf, DMABUFD_IOC_CLAIM, &bad, &fr);
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, -EINVAL);
	do_ioctl(sf, 0x1234, NULL, &fr);
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, -ENOTTY);
	do_ioctl(sf, DMABUFD_SYNC_IOC_WAIT, &(struct dmabufd_sync_wait){ 0 }, &fr);
	assert_int_equal(fr.result, -EBADFD);
	dev_file_release(sf);
}

static void wait_is_answered_when_the_fence_signals(void **state)
{
	struct dev_file *tl = open_node(DEV_NODE_SW_SYNC, O_RDWR);
	struct dev_file *sf = point_fd(tl, 1);
	struct fake_req fr, inc_fr;
	__u32 one = 1;

	start_wait(sf, 1000000000, &fr);
	assert_int_equal(fr.replies, 0);
	assert_int_equal(dev_req_pending_count(), 1);
	do_ioctl(tl, SW_SYNC_IOC_INC, &one, &inc_fr);
	assert_int_equal(inc_fr.result, 0);
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, 0);
	assert_int_equal(((struct dmabufd_sync_wait *)fr.out)->status, 1);
	assert_int_equal(dev_req_pending_count(), 0);
	dev_file_release(sf);
	dev_file_release(tl);
}

static void wait_times_out_with_etime(void **state)
{
	struct dev_file *tl = open_node(DEV_NODE_SW_SYNC, O_RDWR);
	struct dev_file *sf = point_fd(tl, 1);
	struct fake_req fr;

	start_wait(sf, 1000, &fr);
	assert_int_equal(fr.replies, 0);
	fake_clock_advance(1000);
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, -ETIME);
	/* A poll (timeout 0) of a pending fence. */
	start_wait(sf, 0, &fr);
	assert_int_equal(fr.result, -ETIME);
	dev_file_release(sf);
	dev_file_release(tl);
}

static void wait_is_capped_by_the_daemon(void **state)
{
	struct dev_file *tl = open_node(DEV_NODE_SW_SYNC, O_RDWR);
	struct dev_file *sf = point_fd(tl, 1);
	struct fake_req fr;

	start_wait(sf, INT64_MAX, &fr);
	fake_clock_advance(dev_max_wait_ns() - 1);
	assert_int_equal(fr.replies, 0);
	fake_clock_advance(1);
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, -ETIME);
	dev_file_release(sf);
	dev_file_release(tl);
}

static void interrupt_answers_eintr_and_cancels(void **state)
{
	struct dev_file *tl = open_node(DEV_NODE_SW_SYNC, O_RDWR);
	struct dev_file *sf = point_fd(tl, 1);
	unsigned timers = timerq_armed();
	struct fake_req fr;

	start_wait(sf, 1000000000, &fr);
	assert_non_null(fr.armed);
	assert_int_equal(timerq_armed(), timers + 1);
	dev_req_interrupted(fr.armed);
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, -EINTR);
	assert_int_equal(timerq_armed(), timers);
	assert_int_equal(dev_req_pending_count(), 0);
	/* The fence signaling later answers nothing more. */
	do_ioctl(tl, SW_SYNC_IOC_INC, &(__u32){ 1 }, &(struct fake_req){ 0 });
	assert_int_equal(fr.replies, 1);
	dev_file_release(sf);
	dev_file_release(tl);
}

static void interrupt_before_defer_answers_eintr(void **state)
{
	struct dev_file *tl = open_node(DEV_NODE_SW_SYNC, O_RDWR);
	struct dev_file *sf = point_fd(tl, 1);
	struct fake_req fr;

	interrupt_answer = -EINTR;
	start_wait(sf, 1000000000, &fr);
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, -EINTR);
	assert_int_equal(dev_req_pending_count(), 0);
	dev_file_release(sf);
	dev_file_release(tl);
}

static void release_answers_pending_requests(void **state)
{
	struct dev_file *tl = open_node(DEV_NODE_SW_SYNC, O_RDWR);
	struct dev_file *sf = point_fd(tl, 1);
	struct fake_req fr;

	start_wait(sf, 1000000000, &fr);
	dev_file_release(sf);
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, -EBADF);
	dev_file_release(tl);
}

static void shutdown_ends_producers_first_so_waiters_hear_the_error(void **state)
{
	struct dev_file *tl = open_node(DEV_NODE_SW_SYNC, O_RDWR);
	struct dev_file *sf = point_fd(tl, 1);
	struct fake_req fr;

	start_wait(sf, 1000000000, &fr);
	dev_shutdown();
	/* The wait ends as waits end: its fence signaled, with the error of
	 * a timeline that went away. */
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, 0);
	assert_int_equal(((struct dmabufd_sync_wait *)fr.out)->status, -ENOENT);
	assert_int_equal(dev_file_count(), 0);
}

static void stop_accepting_refuses_opens_and_new_ioctls_with_enodev(void **state)
{
	struct dev_file *tl = open_node(DEV_NODE_SW_SYNC, O_RDWR);
	struct dev_file *sf = point_fd(tl, 1);
	struct dev_file *file = NULL;
	struct fake_req fr, waiter;

	start_wait(sf, 1000000000, &waiter);
	dev_stop_accepting();
	assert_true(dev_stopping());
	assert_int_equal(dev_file_open(node_of(DEV_NODE_SYNC_FILE), &fake_ops,
				       O_RDONLY, getpid(), getuid(), getgid(),
				       &file), -ENODEV);
	assert_null(file);
	do_ioctl(tl, SW_SYNC_IOC_INC, &(__u32){ 1 }, &fr);
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, -ENODEV);
	/* What was pending goes on, and is answered when it ends. */
	assert_int_equal(waiter.replies, 0);
	dev_file_release(tl);
	assert_int_equal(waiter.replies, 1);
	assert_int_equal(waiter.result, 0);
	assert_int_equal(((struct dmabufd_sync_wait *)waiter.out)->status, -ENOENT);
	dev_file_release(sf);
}

static void closing_the_timeline_signals_with_enoent(void **state)
{
	struct dev_file *tl = open_node(DEV_NODE_SW_SYNC, O_RDWR);
	struct dev_file *sf = point_fd(tl, 1);
	struct fake_req fr;

	start_wait(sf, 1000000000, &fr);
	dev_file_release(tl);
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, 0);
	assert_int_equal(((struct dmabufd_sync_wait *)fr.out)->status, -ENOENT);
	dev_file_release(sf);
}

static void tokens_die_with_the_issuing_file(void **state)
{
	struct dev_file *tl = open_node(DEV_NODE_SW_SYNC, O_RDWR);
	struct dmabufd_sw_sync_create_fence cf = { .value = 1 };
	long files = objstat_get(OBJ_SYNC_FILE);
	struct fake_req fr;

	do_ioctl(tl, DMABUFD_SW_SYNC_IOC_CREATE_FENCE, &cf, &fr);
	do_ioctl(tl, DMABUFD_SW_SYNC_IOC_CREATE_FENCE, &cf, &fr);
	assert_int_equal(token_count(), 2);
	assert_int_equal(objstat_get(OBJ_SYNC_FILE), files + 2);
	dev_file_release(tl);
	assert_int_equal(token_count(), 0);
	assert_int_equal(objstat_get(OBJ_SYNC_FILE), files);
}

static void poll_handle_is_notified_once(void **state)
{
	struct dev_file *tl = open_node(DEV_NODE_SW_SYNC, O_RDWR);
	struct dev_file *sf = point_fd(tl, 1);
	int ph1, ph2;

	assert_int_equal(dev_file_poll(sf, POLLIN, NULL), 0);
	assert_int_equal(dev_file_poll(sf, POLLIN, &ph1), 0);
	/* A newer handle replaces (and frees) the older one. */
	assert_int_equal(dev_file_poll(sf, POLLIN, &ph2), 0);
	assert_int_equal(polls_destroyed, 1);
	do_ioctl(tl, SW_SYNC_IOC_INC, &(__u32){ 1 }, &(struct fake_req){ 0 });
	assert_int_equal(polls_notified, 1);
	assert_int_equal(polls_destroyed, 2);
	assert_int_equal(dev_file_poll(sf, POLLIN, NULL), POLLIN);
	dev_file_release(sf);
	dev_file_release(tl);
	assert_int_equal(polls_notified, 1);
}

static void debug_log_has_one_line_per_open_ioctl_and_release(void **state)
{
	int level = log_get_level(), saved, pipefd[2];
	char log[4096] = "", want[128];
	struct dev_file *tl;
	unsigned long long id;
	ssize_t n;

	assert_int_equal(pipe(pipefd), 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(pipefd[1], STDERR_FILENO), STDERR_FILENO);
	log_open(); /* a pipe: lines as "<time> debug: ..." */
	log_set_level(LOG_DEBUG);

	tl = open_node(DEV_NODE_SW_SYNC, O_RDWR);
	id = (unsigned long long)dev_file_id(tl);
	do_ioctl(tl, SW_SYNC_IOC_INC, &(__u32){ 1 }, &(struct fake_req){ 0 });
	do_ioctl(tl, _IO('x', 7), NULL, &(struct fake_req){ 0 });
	dev_file_release(tl);

	log_set_level(level);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	log_open();
	close(saved);
	close(pipefd[1]);
	n = read(pipefd[0], log, sizeof(log) - 1);
	close(pipefd[0]);
	assert_true(n > 0);
	log[n] = '\0';

	snprintf(want, sizeof(want), " debug: dev: sw_sync #%llu: open by pid %d", id,
		 (int)getpid());
	assert_non_null(strstr(log, want));
	snprintf(want, sizeof(want), " debug: dev: sw_sync #%llu: SW_SYNC_IOC_INC = 0\n",
		 id);
	assert_non_null(strstr(log, want));
	snprintf(want, sizeof(want), " debug: dev: sw_sync #%llu: ioctl 0x00007807 "
		 "(type 0x78 nr 7) = -ENOTTY\n", id);
	assert_non_null(strstr(log, want));
	snprintf(want, sizeof(want), " debug: dev: sw_sync #%llu: release\n", id);
	assert_non_null(strstr(log, want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		dev_test(immediate_error_is_one_reply),
		dev_test(wait_is_answered_when_the_fence_signals),
		dev_test(wait_times_out_with_etime),
		dev_test(wait_is_capped_by_the_daemon),
		dev_test(interrupt_answers_eintr_and_cancels),
		dev_test(interrupt_before_defer_answers_eintr),
		dev_test(release_answers_pending_requests),
		dev_test(shutdown_ends_producers_first_so_waiters_hear_the_error),
		dev_test(stop_accepting_refuses_opens_and_new_ioctls_with_enodev),
		dev_test(closing_the_timeline_signals_with_enoent),
		dev_test(tokens_die_with_the_issuing_file),
		dev_test(poll_handle_is_notified_once),
		dev_test(debug_log_has_one_line_per_open_ioctl_and_release),
	};

	return cmocka_run_group_tests_name("dev-request", tests, NULL, NULL);
}
