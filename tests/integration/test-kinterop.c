/* SPDX-License-Identifier: MIT */
/*
 * Integration: the kernel-interop calls of libdmabufd against a live
 * daemon, for what a kernel without the parts (this one: no sw_sync, no
 * udmabuf, no kernel sync_files to be had) and bad arguments must
 * answer. The real
 * kernel's side is tests/vm/kinterop.c, in the VM.
 */
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <dmabufd/control.h>

#include "itest.h"

#define SW_SYNC_PATH "/sys/kernel/debug/sync/sw_sync"
#define UDMABUF_PATH "/dev/udmabuf"

static void fence_import_of_a_pipe_is_einval(void **state)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(dmabufd_fence_import_sync_file(p[0]), -EINVAL);
	close(p[0]);
	close(p[1]);
}

static void fence_import_of_a_dmabufd_sync_file_is_einval(void **state)
{
	int tl = timeline_new();
	int f = dmabufd_timeline_create_fence(tl, "f", 1);
	int st = -1;

	assert_ok(f);
	assert_int_equal(dmabufd_fence_import_sync_file(f), -EINVAL);
	/* The daemon did not call into its own node: it still answers. */
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_ok(dmabufd_sync_status(f, &st));
	assert_int_equal(st, 1);
	close(f);
	close(tl);
}

static void fence_import_of_a_bad_fd_is_ebadf(void **state)
{
	int p[2];

	assert_int_equal(dmabufd_fence_import_sync_file(-1), -EBADF);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	close(p[1]);
	assert_int_equal(dmabufd_fence_import_sync_file(p[0]), -EBADF);
}

/* A raw request on a connection of its own: the reply's error. */
static int raw_call(uint32_t op, uint64_t token, int pass_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct dmabufd_ctl_req req = { .version = DMABUFD_CTL_VERSION, .op = op,
				       .token = token };
	struct dmabufd_ctl_reply reply = { 0 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int s;

	assert_ok(dmabufd_get_control_path(sa.sun_path, sizeof(sa.sun_path)));
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (pass_fd >= 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	assert_int_equal(sendmsg(s, &msg, MSG_NOSIGNAL), (ssize_t)sizeof(req));
	assert_int_equal(recv(s, &reply, sizeof(reply), 0), (ssize_t)sizeof(reply));
	assert_int_equal(reply.op, op);
	close(s);
	return reply.error;
}

static void fence_import_request_without_an_fd_is_ebadf(void **state)
{
	assert_int_equal(raw_call(DMABUFD_CTL_FENCE_IMPORT, 0, -1), EBADF);
}

static void fence_import_request_with_a_token_is_einval(void **state)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(raw_call(DMABUFD_CTL_FENCE_IMPORT, 1, p[0]), EINVAL);
	close(p[0]);
	close(p[1]);
}

static void fd_passed_with_another_op_is_dropped(void **state)
{
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(raw_call(DMABUFD_CTL_STATS, 0, p[0]), 0);
	close(p[0]);
	/* The daemon keeps no copy of the read end (it closes it off its
	 * loop, so within a moment): the pipe has no reader. */
	for (int i = 0; i < 10000 && write(p[1], "x", 1) == 1; i++)
		usleep(1000);
	assert_int_equal(write(p[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	close(p[1]);
	signal(SIGPIPE, old);
}

/*
 * Send @op with @nfds fds on a connection of its own, closing this
 * process's copies right after the send (so the daemon's are the last),
 * then read the reply, or (@hang_up) close the connection at once.
 */
static void send_own_fds(uint32_t op, const int *fds, int nfds, bool hang_up)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct dmabufd_ctl_req req = { .version = DMABUFD_CTL_VERSION, .op = op };
	struct dmabufd_ctl_reply reply = { 0 };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds) };
	struct cmsghdr *c;
	int s;

	assert_true(nfds > 0 && nfds <= 8);
	assert_ok(dmabufd_get_control_path(sa.sun_path, sizeof(sa.sun_path)));
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	memset(&control, 0, sizeof(control));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	assert_int_equal(sendmsg(s, &msg, MSG_NOSIGNAL), (ssize_t)sizeof(req));
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	if (!hang_up)
		assert_int_equal(recv(s, &reply, sizeof(reply), 0), (ssize_t)sizeof(reply));
	close(s);
}

/* Fresh opens of the daemon's own nodes, none used before. */
static void own_node_fds(int *fds, int n)
{
	static const char *const nodes[] = {
		DMABUFD_NODE_SYNC_FILE, DMABUFD_NODE_DMA_BUF, DMABUFD_NODE_SW_SYNC,
	};

	for (int i = 0; i < n; i++) {
		fds[i] = dmabufd_open_node(nodes[i % 3], O_RDWR | O_CLOEXEC);
		assert_true(fds[i] >= 0);
	}
}

/*
 * The last close of one of the daemon's own CUSE files waits for a
 * release only the daemon's loop can answer: fds of its nodes passed to
 * it, and closed by the sender at once, must never be closed on that
 * loop. Passed with FENCE_IMPORT (refused), with another op (dropped),
 * more of them than a request takes, and left queued in a connection
 * that hangs up: after each, the daemon still answers. (On CUSE, in the
 * VM suite, a daemon that closed them on its loop is wedged for good.)
 */
static void own_node_fds_passed_and_dropped_leave_the_daemon_answering(void **state)
{
	struct dmabufd_ctl_stats st;
	int fds[8];

	own_node_fds(fds, 1);
	send_own_fds(DMABUFD_CTL_FENCE_IMPORT, fds, 1, false);
	assert_ok(dmabufd_stats(&st));
	own_node_fds(fds, 1);
	send_own_fds(DMABUFD_CTL_STATS, fds, 1, false);
	assert_ok(dmabufd_stats(&st));
	own_node_fds(fds, 8);
	send_own_fds(DMABUFD_CTL_STATS, fds, 8, false);
	assert_ok(dmabufd_stats(&st));
	own_node_fds(fds, 3);
	send_own_fds(DMABUFD_CTL_STATS, fds, 3, true);
	assert_ok(dmabufd_stats(&st));
	/* Nothing of them is left: every open file goes (the releases come
	 * after the closes return). */
	for (int i = 0; i < 1000; i++) {
		assert_ok(dmabufd_stats(&st));
		if (st.count[DMABUFD_STAT_OPEN_FILES] == 0)
			break;
		usleep(10000);
	}
	assert_int_equal(st.count[DMABUFD_STAT_OPEN_FILES], 0);
}

static void fence_export_of_a_pipe_is_einval(void **state)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(dmabufd_fence_export_kernel(p[0]), -EINVAL);
	close(p[0]);
	close(p[1]);
}

static void fence_export_request_of_an_unknown_token_is_einval(void **state)
{
	assert_int_equal(raw_call(DMABUFD_CTL_FENCE_EXPORT, 12345, -1), EINVAL);
}

static void fence_export_without_sw_sync_is_eopnotsupp(void **state)
{
	int tl, f;

	if (access(SW_SYNC_PATH, F_OK) == 0)
		skip(); /* this kernel has sw_sync: the VM test covers it */
	tl = timeline_new();
	f = dmabufd_timeline_create_fence(tl, "f", 1);
	assert_ok(f);
	assert_int_equal(dmabufd_fence_export_kernel(f), -EOPNOTSUPP);
	close(f);
	close(tl);
}

static void buf_export_kernel_without_udmabuf_is_eopnotsupp(void **state)
{
	int b;

	if (access(UDMABUF_PATH, F_OK) == 0)
		skip(); /* this kernel has udmabuf: the VM test covers it */
	b = buf_new(4096, O_RDWR | O_CLOEXEC);
	assert_int_equal(dmabufd_buf_export_kernel(b), -EOPNOTSUPP);
	close(b);
}

static void buf_export_kernel_of_a_read_only_buffer_is_eacces(void **state)
{
	int b = buf_new(4096, O_RDONLY | O_CLOEXEC);

	assert_int_equal(dmabufd_buf_export_kernel(b), -EACCES);
	close(b);
}

static void buf_export_kernel_request_of_a_read_only_handle_is_eacces(void **state)
{
	int b = buf_new(4096, O_RDONLY | O_CLOEXEC);
	uint64_t h;
	uint32_t kind;

	assert_ok(dmabufd_handle(b, &h, &kind));
	assert_int_equal(raw_call(DMABUFD_CTL_BUF_EXPORT_KERNEL, h, -1), EACCES);
	close(b);
}

static void buf_export_kernel_request_of_an_unknown_token_is_einval(void **state)
{
	assert_int_equal(raw_call(DMABUFD_CTL_BUF_EXPORT_KERNEL, 12345, -1),
			 EINVAL);
}

static void buf_export_kernel_of_a_pipe_is_einval(void **state)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(dmabufd_buf_export_kernel(p[0]), -EINVAL);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(fence_import_of_a_pipe_is_einval),
		itest(fence_import_of_a_dmabufd_sync_file_is_einval),
		itest(fence_import_of_a_bad_fd_is_ebadf),
		itest(fence_import_request_without_an_fd_is_ebadf),
		itest(fence_import_request_with_a_token_is_einval),
		itest(fd_passed_with_another_op_is_dropped),
		itest(own_node_fds_passed_and_dropped_leave_the_daemon_answering),
		itest(fence_export_of_a_pipe_is_einval),
		itest(fence_export_request_of_an_unknown_token_is_einval),
		itest(fence_export_without_sw_sync_is_eopnotsupp),
		itest(buf_export_kernel_without_udmabuf_is_eopnotsupp),
		itest(buf_export_kernel_of_a_read_only_buffer_is_eacces),
		itest(buf_export_kernel_request_of_a_read_only_handle_is_eacces),
		itest(buf_export_kernel_request_of_an_unknown_token_is_einval),
		itest(buf_export_kernel_of_a_pipe_is_einval),
	};

	return cmocka_run_group_tests_name("kinterop", tests, NULL, NULL);
}
