/* SPDX-License-Identifier: MIT */
/*
 * Throughput with several client processes: each forked client opens its
 * own files (an sw_sync node for the null ioctl, a timeline, the system
 * heap), says it is ready on a pipe, and starts when the parent closes
 * the start pipe; its start and end times go to a shared page. Children
 * inherit the bench's CPU placement, and leave with _exit() (the bench's
 * atexit handlers are the parent's). A child that fails reports -errno
 * in its slot and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dmabufd/dmabufd.h>

#include "bench.h"

/* The daemon answers ENOTTY: the bench's null ioctl (bench.c). */
#define TPUT_NULL_CMD _IOWR(DMABUFD_IOC_MAGIC, 0x4f, uint64_t)

struct tput_slot {
	int64_t start_ns, end_ns;
	int err;
};

const char *tput_op_name(enum tput_op op)
{
	static const char *const names[] = {
		[TPUT_NULL_IOCTL] = "null ioctl",
		[TPUT_FENCE] = "fence create + close",
		[TPUT_ALLOC] = "heap alloc 4 KiB + close",
	};

	return names[op];
}

static int client_open(enum tput_op op)
{
	switch (op) {
	case TPUT_NULL_IOCTL:
		return dmabufd_open_node(DMABUFD_NODE_SW_SYNC, O_RDWR | O_CLOEXEC);
	case TPUT_FENCE:
		return dmabufd_timeline_create();
	default:
		return dmabufd_heap_open("system");
	}
}

static int client_op(enum tput_op op, int fd, unsigned int i)
{
	uint64_t arg = 0;
	int r;

	switch (op) {
	case TPUT_NULL_IOCTL:
		if (ioctl(fd, TPUT_NULL_CMD, &arg) == 0)
			return -EPROTO;
		return errno == ENOTTY ? 0 : -errno;
	case TPUT_FENCE:
		r = dmabufd_timeline_create_fence(fd, "tput", 1000000 + i);
		break;
	default:
		r = dmabufd_heap_alloc(fd, 4096, O_RDWR | O_CLOEXEC, 0);
		break;
	}
	if (r < 0)
		return r;
	close(r);
	return 0;
}

static void client_run(enum tput_op op, unsigned int n, struct tput_slot *slot,
		       int ready_fd, int go_fd)
{
	int fd = client_open(op), r = fd < 0 ? fd : 0;
	char c = 1;

	if (write(ready_fd, &c, 1) != 1 && r == 0)
		r = -errno;
	/* The parent closes the other end: read returns 0, all at once. */
	while (read(go_fd, &c, 1) < 0 && errno == EINTR)
		;
	slot->start_ns = bench_now_ns();
	for (unsigned int i = 0; r == 0 && i < n; i++)
		r = client_op(op, fd, i);
	slot->end_ns = bench_now_ns();
	slot->err = r;
	_exit(r == 0 ? 0 : 1);
}

int tput_run(enum tput_op op, unsigned int clients, unsigned int ops_per_client,
	     double *ret_total, double *ret_per_client)
{
	size_t map_len = clients * sizeof(struct tput_slot);
	struct tput_slot *slots;
	int ready[2], go[2], r = 0;
	unsigned int started = 0, got = 0;
	int64_t first = INT64_MAX, last = 0;
	double per_client = 0;

	slots = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED)
		return -errno;
	if (pipe2(ready, O_CLOEXEC) < 0) {
		munmap(slots, map_len);
		return -errno;
	}
	if (pipe2(go, O_CLOEXEC) < 0) {
		r = -errno;
		close(ready[0]);
		close(ready[1]);
		munmap(slots, map_len);
		return r;
	}
	for (; started < clients; started++) {
		pid_t pid = fork();

		if (pid < 0) {
			r = -errno;
			break;
		}
		if (pid == 0) {
			close(ready[0]);
			close(go[1]);
			client_run(op, ops_per_client, &slots[started], ready[1], go[0]);
		}
	}
	close(ready[1]);
	close(go[0]);
	/* Every client ready (or gone: read then returns 0), 30 s at most. */
	while (got < started) {
		struct pollfd pfd = { .fd = ready[0], .events = POLLIN };
		char buf[16];
		ssize_t n;

		if (poll(&pfd, 1, 30000) != 1)
			break;
		n = read(ready[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		got += (unsigned int)n;
	}
	close(go[1]);
	for (unsigned int i = 0; i < started; i++) {
		int status;

		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			r = r ? r : -EPROTO;
	}
	for (unsigned int i = 0; r == 0 && i < clients; i++) {
		if (slots[i].err) {
			r = slots[i].err;
			break;
		}
		if (slots[i].start_ns < first)
			first = slots[i].start_ns;
		if (slots[i].end_ns > last)
			last = slots[i].end_ns;
		per_client += ops_per_client * 1e9 / (double)(slots[i].end_ns - slots[i].start_ns);
	}
	if (r == 0) {
		*ret_total = (double)clients * ops_per_client * 1e9 / (double)(last - first);
		*ret_per_client = per_client / clients;
	}
	close(ready[0]);
	munmap(slots, map_len);
	return r;
}
