/* SPDX-License-Identifier: MIT */
#include "memfd_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ __attribute__((cleanup(closep)))

int memfd_reopen(int memfd, int flags)
{
	char path[64];
	int fd;

	if (memfd < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	fd = open(path, flags);
	return fd < 0 ? -errno : fd;
}

/* 0 if a write lease on @fd was granted (and is dropped again), or the
 * lease's -errno. */
static int try_write_lease(int fd)
{
	if (fcntl(fd, F_SETLEASE, F_WRLCK) < 0)
		return -errno;
	(void)fcntl(fd, F_SETLEASE, F_UNLCK);
	return 0;
}

int memfd_probe_shared(int probe_fd)
{
	int r = try_write_lease(probe_fd);

	if (r == -EAGAIN)
		return 1;
	return r;
}

int memfd_probe_open(enum memfd_probe_how how, int memfd)
{
	int fd;

	switch (how) {
	case MEMFD_PROBE_ON_MEMFD:
		fd = fcntl(memfd, F_DUPFD_CLOEXEC, 3);
		return fd < 0 ? -errno : fd;
	case MEMFD_PROBE_ON_REOPEN:
		return memfd_reopen(memfd, O_RDWR | O_CLOEXEC);
	default:
		return -EINVAL;
	}
}

/* The probe answers "shared" while another file of the inode is open,
 * and while one is closed but mapped, and "not shared" once it is gone:
 * checked with a read-only and a read-write reopen. 0 or -EPROTO. */
static int check_probe(int probe, int flags, int prot)
{
	void *addr;
	int fd, r = -EPROTO;

	fd = memfd_reopen(probe, flags | O_CLOEXEC);
	if (fd < 0)
		return fd;
	if (memfd_probe_shared(probe) != 1) {
		close(fd);
		return -EPROTO;
	}
	addr = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), prot, MAP_SHARED, fd, 0);
	close(fd);
	if (addr == MAP_FAILED)
		return -errno;
	if (memfd_probe_shared(probe) == 1)
		r = 0;
	munmap(addr, (size_t)sysconf(_SC_PAGESIZE));
	if (r == 0 && memfd_probe_shared(probe) != 0)
		r = -EPROTO;
	return r;
}

enum memfd_probe_how memfd_probe_calibrate(int *ret_error)
{
	_cleanup_close_ int memfd = -EBADF, probe = -EBADF;
	enum memfd_probe_how how;
	int r;

	memfd = memfd_create("dmabufd:probe", MFD_CLOEXEC);
	if (memfd < 0) {
		r = -errno;
		goto none;
	}
	if (ftruncate(memfd, sysconf(_SC_PAGESIZE)) < 0) {
		r = -errno;
		goto none;
	}
	/* Alone: which of the daemon's files is granted the lease? */
	r = try_write_lease(memfd);
	if (r == 0) {
		how = MEMFD_PROBE_ON_MEMFD;
	} else if (r == -EAGAIN) {
		how = MEMFD_PROBE_ON_REOPEN;
	} else {
		goto none;
	}
	probe = memfd_probe_open(how, memfd);
	if (probe < 0) {
		r = probe;
		goto none;
	}
	r = memfd_probe_shared(probe);
	if (r != 0) {
		/* Leases refused on the reopen too: nothing to go by. */
		if (r > 0)
			r = -EAGAIN;
		goto none;
	}
	r = check_probe(probe, O_RDONLY, PROT_READ);
	if (r == 0)
		r = check_probe(probe, O_RDWR, PROT_READ | PROT_WRITE);
	if (r < 0)
		goto none;
	/* A client reopening its fd while a probe holds the lease breaks
	 * it, and the kernel sends the holder SIGIO. */
	signal(SIGIO, SIG_IGN);
	return how;

none:
	if (ret_error)
		*ret_error = r;
	return MEMFD_PROBE_NONE;
}
