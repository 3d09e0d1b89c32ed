/* SPDX-License-Identifier: MIT */
/*
 * kernel_buf - dmabufd buffers exported as real kernel dma-bufs.
 *
 * Where the kernel has /dev/udmabuf, the daemon makes a kernel dma-buf
 * over a buffer's own memory: UDMABUF_CREATE on the exporter's sealed
 * memfd (dma_buf_get_memfd(): the system heap's F_SEAL_SHRINK|GROW, never
 * F_SEAL_WRITE, whole pages), offset 0, the buffer's size. The kernel's
 * udmabuf takes a reference on each page of the memfd, not on its file:
 * the pages outlive the memfd if the buffer goes first, and nothing the
 * daemon can see of the memfd (its opens, its mappings: linger.h's
 * probe) tells whether a udmabuf still uses them.
 *
 * So the export keeps what it needs itself: a reference to the dmabufd
 * buffer (its memory stays charged to its owner, and the buffer stays
 * listed) and a dup of the kernel dma-buf's fd, charged to the exporting
 * uid's account (ACCT_FILES). Every holder of a kernel dma-buf holds its
 * struct file: each fd, each mmap, each importer (DRM's PRIME import
 * takes get_dma_buf()), an fd in flight over a socket. The kernel
 * prints that count in the fd's fdinfo ("count:", the holders less the
 * reader's own), so the daemon reads /proc/self/fdinfo of its dup every
 * KERNEL_BUF_SWEEP_MS while exports live, and lets go of both once its
 * dup is the only holder left. A kernel that prints no count keeps the
 * export (and its charge) until the daemon stops: the conservative rule,
 * said once in the log.
 *
 * udmabuf has no read-only mode: the caller checks the access the
 * client has (control.c refuses anything but O_RDWR).
 *
 * Everything the kernel is asked goes through struct kernel_buf_ops, so
 * unit tests substitute a pipe for the dma-buf and a number for the
 * count.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "model/dma_buf.h"

#define KERNEL_BUF_SWEEP_MS 1000

struct kernel_buf_ops {
	/* UDMABUF_CREATE over [0, @size) of @memfd: the new dma-buf's fd
	 * (O_CLOEXEC), -EOPNOTSUPP where the daemon cannot use
	 * /dev/udmabuf (absent, or not its to open), or the kernel's
	 * -errno. */
	int (*create)(int memfd, uint64_t size);
	/* How many hold @fd's file besides @fd's own reference, or
	 * -EOPNOTSUPP when the kernel does not tell. */
	int (*holders)(int fd);
};

/* The real kernel's: /dev/udmabuf, /proc/self/fdinfo. */
extern const struct kernel_buf_ops kernel_buf_real_ops;

/* Start serving on @loop with @ops (NULL: kernel_buf_real_ops). */
void kernel_buf_start(uv_loop_t *loop, const struct kernel_buf_ops *ops);

/*
 * Let go of every export: close the daemon's dups and drop the buffer
 * references (kernel dma-bufs still held elsewhere keep their pages, no
 * longer accounted). Safe without a start, and twice.
 */
void kernel_buf_stop(void);

/*
 * Export @buf as a kernel dma-buf for @owner. Returns 0 and *ret_fd (the
 * caller's to close; the export keeps its own copy and a reference to
 * @buf). A buffer has one kernel dma-buf at a time: while an export of it
 * lives, another returns a new fd of that same kernel dma-buf, at no new
 * charge, as the kernel gives one dma-buf per buffer (so DRM's PRIME
 * import gives the same GEM handle again, and every kernel importer
 * shares one reservation object). -EOPNOTSUPP where there is no usable
 * /dev/udmabuf; -ENODEV for a
 * buffer whose exporter has no memfd; -EDQUOT past @owner's limit of
 * files; -ENODEV when not started; -ENOMEM, or the kernel's -errno
 * (EINVAL past udmabuf's size_limit_mb).
 */
int kernel_buf_export(struct dma_buf *buf, uid_t owner, int *ret_fd);

/* Look at every export now, as the sweep does (for tests). */
void kernel_buf_sweep(void);

/* Exports alive (for tests). */
unsigned kernel_buf_exports(void);
