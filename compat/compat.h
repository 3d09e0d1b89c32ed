/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd-compat internals: what the interposed calls share.
 *
 * The library is LD_PRELOADed into a program written against the
 * kernel's uapi (<linux/dma-heap.h>, <linux/dma-buf.h>,
 * <linux/sync_file.h>, sw_sync). It defines open, ioctl, mmap, lseek,
 * close, dup and the rest itself; the real ones are found with
 * dlsym(RTLD_NEXT) (real_*() below). Nothing is translated on an fd that
 * is not dmabufd's: those calls go to libc with their arguments as they
 * came.
 *
 * The fd table (fdtable.c) knows, per fd number, whether the fd is
 * dmabufd's and then its node kind, its handle (DMABUFD_IOC_HANDLE) and
 * access mode. An fd is identified lazily, by what it is (fstat: the
 * FUSE mount's st_dev, or the CUSE nodes' device numbers; then one
 * HANDLE), the first time a call needs to know, so fds received over
 * SCM_RIGHTS or inherited across exec are known too. Every close, dup
 * and open this library sees forgets what the table held for the
 * numbers it touches. Lock-free: one atomic state word per entry,
 * written last (release) and read first (acquire); safe from any thread
 * and from signal handlers.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dmabufd/common.h>

#define COMPAT_EXPORT __attribute__((visibility("default")))

/* What the table knows of a dmabufd fd. */
struct compat_fd {
	uint32_t kind;   /* enum dmabufd_node_kind */
	uint32_t mode;   /* O_RDONLY, O_WRONLY or O_RDWR */
	uint64_t handle; /* this uid's handle of the fd's file */
};

/*
 * The table's layout, shared with compat_fd_known_foreign() below so that
 * a foreign fd's mmap and lseek cost a few instructions: chunks of 2^10
 * entries of COMPAT_ENTRY_SIZE bytes, each starting with its state word.
 */
#define COMPAT_CHUNK_SHIFT 10
#define COMPAT_NUM_CHUNKS 1024u
#define COMPAT_ENTRY_SIZE 32
enum { COMPAT_ENTRY_UNKNOWN = 0, COMPAT_ENTRY_FOREIGN = 1, COMPAT_ENTRY_OURS = 2 };
extern void *_Atomic *const compat_chunks;

/* Whether the table knows @fd is not dmabufd's: the whole cost of an
 * interposed call on such an fd. False also for an fd not seen yet. */
static inline bool compat_fd_known_foreign(int fd)
{
	unsigned int c = (unsigned int)fd >> COMPAT_CHUNK_SHIFT;
	const char *chunk;

	if (fd < 0 || c >= COMPAT_NUM_CHUNKS)
		return false;
	chunk = atomic_load_explicit(&compat_chunks[c], memory_order_acquire);
	return chunk &&
	       atomic_load_explicit((const _Atomic uint32_t *)(const void *)
					    (chunk + (size_t)(fd & ((1 << COMPAT_CHUNK_SHIFT) - 1)) *
							     COMPAT_ENTRY_SIZE),
				    memory_order_acquire) == COMPAT_ENTRY_FOREIGN;
}

/*
 * compat_fd_get() - is @fd a bound dmabufd fd, and which
 * Returns true with @ret filled, or false for a foreign fd, a closed
 * one, or a dma-buf/sync_file node fd not bound yet. Keeps errno.
 * Costs nothing for an fd the table knows; one fstat (and one HANDLE
 * round trip if it is dmabufd's) the first time.
 */
bool compat_fd_get(int fd, struct compat_fd *ret);

/* Record a dmabufd fd this library just made (after the open). */
void compat_fd_set(int fd, const struct compat_fd *info);

/* Forget what the table held for @fd (closed, or a new file there). */
void compat_fd_forget(int fd);

/* Forget every fd in [@first, @last]. */
void compat_fd_forget_range(unsigned int first, unsigned int last);

/* @newfd is a dup of @oldfd: same open file, same entry. */
void compat_fd_dup(int oldfd, int newfd);

/* The buffer's size of a dma-buf fd (DMABUFD_DMA_BUF_IOC_INFO, cached
 * per fd): > 0, or -errno. */
int64_t compat_buf_size(int fd);

/* The daemon's device root ($DMABUFD_DEV_ROOT, or libdmabufd's default),
 * read once. */
const char *compat_dev_root(void);

/* The daemon's heap directory under the root: $DMABUFD_HEAP_DIR when it
 * is a relative name without "..", as the daemon's --heap-dir, else
 * DMABUFD_NODE_HEAP_DIR. Read once. */
const char *compat_heap_dir(void);

/*
 * compat_redirect() - the daemon's path for a kernel path
 * @path: what the program opened: /dev/dma_heap[/NAME], /dev/sw_sync,
 *        /sys/kernel/debug/sync/sw_sync
 * @buf, @size: where the daemon's path is written
 *
 * Returns @buf when @path is one of those and dmabufd serves it
 * ($DMABUFD_COMPAT=1, or unset and the kernel has no such node), NULL
 * when the call should go to the path as given.
 */
const char *compat_redirect(const char *path, char *buf, size_t size);

/* The real libc functions. */
int real_open(const char *path, int flags, mode_t mode);
int real_openat(int dirfd, const char *path, int flags, mode_t mode);
int real_close(int fd);
int real_ioctl(int fd, unsigned long cmd, void *arg);
int real_fcntl(int fd, int cmd, unsigned long arg);
void *real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
off_t real_lseek(int fd, off_t off, int whence);

/* ioctl.c: the kernel's ioctl @cmd on dmabufd fd @fd of @info.
 * Returns the ioctl's result with errno set, as ioctl(2). */
int compat_ioctl(int fd, const struct compat_fd *info, unsigned long cmd, void *arg);

/* intercept.c: an ioctl whose magic dmabufd may serve ('H', 'b', '>',
 * 'W'): compat_ioctl() on a dmabufd fd, else libc's. */
int ioctl_maybe_ours(int fd, unsigned long cmd, void *arg);

/* kernel_import.c: DRM's ioctls ('d'): a dmabufd dma-buf given to its
 * PRIME import as its kernel dma-buf (udmabuf). As ioctl(2). */
int compat_kernel_import_ioctl(int fd, unsigned long cmd, void *arg);

/* libdmabufd's control.c: the kernel dma-buf over a dmabufd buffer's
 * pages (udmabuf), or -errno. */
int dmabufd_buf_export_kernel(int buf_fd);

/* libdmabufd internals linked in (libclient/src/internal.h). */
int dmabufd_ctl_map(uint64_t token, int *ret_fd, uint64_t *ret_size);
/* libdmabufd's control.c too: a dmabufd sync_file fd of a real kernel
 * sync_file, or -errno (EINVAL: @kernel_fd is none). */
int dmabufd_fence_import_sync_file(int kernel_fd);
