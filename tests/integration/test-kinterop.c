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
	/* The daemon kept no copy of the read end: the pipe has no reader. */
	assert_int_equal(write(p[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	close(p[1]);
	signal(SIGPIPE, old);
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
