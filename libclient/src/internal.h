/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd internals shared by its source files: node lookup, claiming
 * a token into a fresh fd, and the ioctl wrapper that returns -errno.
 */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>

#include "dmabufd/dmabufd.h"

/* ioctl(2) returning 0 or -errno (never positive: no dmabufd ioctl returns a value). */
static inline int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* CLOCK_MONOTONIC in ns, for the deadlines of waits the daemon caps. */
static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Close @fd keeping errno; for error paths. */
void dmabufd_close_quiet(int fd);

/*
 * Open @node with @open_flags and bind it to @token (DMABUFD_IOC_CLAIM).
 * Returns the fd, or -errno; the token is consumed or dies with its issuer.
 */
int dmabufd_claim_node(const char *node, int open_flags, uint64_t token);

/*
 * The token standing for @fd where a kernel call takes it as an fd
 * argument (merge's fd2, IMPORT_SYNC_FILE's fd, GET_DEADLINE's fence_fd).
 * An fd that is no dmabufd object (closed, a pipe, another node, unbound)
 * gives token 0, which no object has: the call is still made on its own
 * fd, so that fd's errors come first as in the kernel, and the daemon
 * answers the kernel's errno for the bad argument. Returns 0, or -errno
 * for a failure of the daemon itself (-ENOMEM, -EDQUOT, -ENODEV).
 */
int dmabufd_fd_arg_token(int fd, uint64_t *ret_token);

/* node.c: the control socket path ($DMABUFD_CONTROL or the default). */
const char *dmabufd_control_path(void);

/*
 * control.c: redeem a mapping token. Returns 0 with the memfd in @ret_fd
 * (the caller closes it) and the bytes to map in @ret_size, or -errno.
 */
int dmabufd_ctl_map(uint64_t token, int *ret_fd, uint64_t *ret_size);

/*
 * control.c: redeem a mapping token or handle and mmap the memfd
 * MAP_SHARED with @prot. @want_size (0: any) is the size the caller was
 * told. Returns 0 with the mapping, -EPROTO for a reply of another size,
 * or -errno (mmap's EACCES for more prot than the memfd allows).
 */
int dmabufd_map_token(uint64_t token, int prot, uint64_t want_size,
		      void **ret_addr, size_t *ret_len);

/* dma_status.c: drop what the status page table knows of fd number @fd
 * (a new channel fd got that number). */
void dmabufd_dma_status_forget(int fd);
