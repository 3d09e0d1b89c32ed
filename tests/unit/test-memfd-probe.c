/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of daemon/util/memfd_probe.c: the calibration on this host's
 * kernel and what the lease probe answers for each way a client can hold
 * a memfd's memory (an fd, a read-only fd, a mapping of a closed file, a
 * copy in another process, a file in flight in a socket), and what it
 * must not count (the daemon's own memfd and mappings).
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/memfd_probe.h"

#define PAGE 4096

static enum memfd_probe_how how;

/* A one-page memfd as the system heap makes them, and its probe file. */
struct pair {
	int memfd, probe;
};

static struct pair pair_new(void)
{
	struct pair p;

	p.memfd = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(p.memfd >= 0);
	assert_int_equal(ftruncate(p.memfd, PAGE), 0);
	p.probe = memfd_probe_open(how, p.memfd);
	assert_true(p.probe >= 0);
	return p;
}

static void pair_close(struct pair *p)
{
	close(p->probe);
	close(p->memfd);
}

static int calibrate(void **state)
{
	int error = 0;

	how = memfd_probe_calibrate(&error);
	if (how == MEMFD_PROBE_NONE)
		print_error("no lease probe on this kernel: %s\n", strerror(-error));
	return 0;
}

static void calibration_finds_a_probe_and_ignores_sigio(void **state)
{
	struct sigaction sa;

	assert_int_not_equal(how, MEMFD_PROBE_NONE);
	assert_int_equal(sigaction(SIGIO, NULL, &sa), 0);
	assert_ptr_equal(sa.sa_handler, SIG_IGN);
}

static void probe_alone_is_not_shared(void **state)
{
	struct pair p = pair_new();

	assert_int_equal(memfd_probe_shared(p.probe), 0);
	/* Asking does not change the answer. */
	assert_int_equal(memfd_probe_shared(p.probe), 0);
	pair_close(&p);
}

static void probe_ignores_the_daemon_own_mappings(void **state)
{
	struct pair p = pair_new();
	void *a = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, p.memfd, 0);
	void *b = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, p.probe, 0);

	assert_true(a != MAP_FAILED && b != MAP_FAILED);
	assert_int_equal(memfd_probe_shared(p.probe), 0);
	munmap(a, PAGE);
	munmap(b, PAGE);
	pair_close(&p);
}

static void check_reopen_is_seen(int flags)
{
	struct pair p = pair_new();
	int fd = memfd_reopen(p.memfd, flags | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(memfd_probe_shared(p.probe), 1);
	close(fd);
	assert_int_equal(memfd_probe_shared(p.probe), 0);
	pair_close(&p);
}

static void probe_sees_a_read_write_reopen(void **state)
{
	check_reopen_is_seen(O_RDWR);
}

static void probe_sees_a_read_only_reopen(void **state)
{
	check_reopen_is_seen(O_RDONLY);
}

static void probe_sees_a_closed_file_still_mapped(void **state)
{
	struct pair p = pair_new();
	int fd = memfd_reopen(p.memfd, O_RDONLY | O_CLOEXEC);
	void *a;

	assert_true(fd >= 0);
	a = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(a != MAP_FAILED);
	close(fd);
	assert_int_equal(memfd_probe_shared(p.probe), 1);
	munmap(a, PAGE);
	assert_int_equal(memfd_probe_shared(p.probe), 0);
	pair_close(&p);
}

static void probe_sees_a_copy_in_another_process(void **state)
{
	struct pair p = pair_new();
	int fd = memfd_reopen(p.memfd, O_RDWR | O_CLOEXEC);
	int go[2], status;
	pid_t pid;
	char c;

	assert_true(fd >= 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Holds its copy of fd until the parent says go. */
		close(go[1]);
		_exit(read(go[0], &c, 1) == 0 ? 0 : 1);
	}
	close(go[0]);
	close(fd);
	assert_int_equal(memfd_probe_shared(p.probe), 1);
	close(go[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(memfd_probe_shared(p.probe), 0);
	pair_close(&p);
}

static void probe_sees_a_file_in_flight_in_a_socket(void **state)
{
	struct pair p = pair_new();
	int fd = memfd_reopen(p.memfd, O_RDONLY | O_CLOEXEC);
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	int sv[2];

	assert_true(fd >= 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	assert_int_equal(sendmsg(sv[0], &msg, 0), 1);
	close(fd);
	/* Sent, not received: the socket holds the file. */
	assert_int_equal(memfd_probe_shared(p.probe), 1);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(memfd_probe_shared(p.probe), 0);
	pair_close(&p);
}

static void probe_open_without_a_probe_is_einval(void **state)
{
	int memfd = memfd_create("test", MFD_CLOEXEC);

	assert_true(memfd >= 0);
	assert_int_equal(memfd_probe_open(MEMFD_PROBE_NONE, memfd), -EINVAL);
	close(memfd);
}

static void reopen_of_a_closed_fd_is_an_error(void **state)
{
	assert_int_equal(memfd_reopen(-EBADF, O_RDONLY), -EBADF);
	/* Not open in this process: /proc/self/fd has no such entry. */
	assert_int_equal(memfd_reopen(1000000, O_RDONLY), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(calibration_finds_a_probe_and_ignores_sigio),
		cmocka_unit_test(probe_alone_is_not_shared),
		cmocka_unit_test(probe_ignores_the_daemon_own_mappings),
		cmocka_unit_test(probe_sees_a_read_write_reopen),
		cmocka_unit_test(probe_sees_a_read_only_reopen),
		cmocka_unit_test(probe_sees_a_closed_file_still_mapped),
		cmocka_unit_test(probe_sees_a_copy_in_another_process),
		cmocka_unit_test(probe_sees_a_file_in_flight_in_a_socket),
		cmocka_unit_test(probe_open_without_a_probe_is_einval),
		cmocka_unit_test(reopen_of_a_closed_fd_is_an_error),
	};

	return cmocka_run_group_tests_name("memfd-probe", tests, calibrate, NULL);
}
