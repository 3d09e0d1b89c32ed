/* SPDX-License-Identifier: MIT */
/*
 * dmabufd wire ABI: heap nodes (DMABUFD_NODE_HEAP_DIR "/" <name>), the
 * equivalent of /dev/dma_heap/<name>.
 *
 * The kernel's DMA_HEAP_IOCTL_ALLOC returns an fd and fails with
 * EOPNOTSUPP here; DMABUFD_HEAP_IOC_ALLOC returns a claim token for the
 * new buffer instead (see common.h).
 *
 * Dispatch follows the kernel's dma_heap_ioctl(), which looks at _IOC_NR
 * only, with dmabufd's numbers carved out: a command equal, magic, number,
 * size and direction, to DMABUFD_HEAP_IOC_ALLOC or DMABUFD_IOC_HANDLE is
 * served as documented; any other command, of any magic, size or
 * direction, is the kernel's: nr 0 (its ALLOC) fails with EOPNOTSUPP and
 * nr >= 1 with EINVAL. So a heap node never answers ENOTTY, and
 * DMABUFD_IOC_CLAIM (nr 0) gets EOPNOTSUPP, DMABUFD_IOC_EXPORT_TOKEN and
 * DMABUFD_IOC_CREATE EINVAL. The two carve-outs cannot collide with a
 * kernel program: the kernel's heap has no number but 0, and no kernel
 * uapi ioctl uses dmabufd's magic.
 */
#ifndef _DMABUFD_DMA_HEAP_H
#define _DMABUFD_DMA_HEAP_H

#include "common.h"

/**
 * struct dmabufd_heap_alloc - allocate a buffer from this heap
 * @len: in, size in bytes; rounded up to the page size
 * @token: out, claim token of the new dma-buf; must be 0 on input
 * @fd_flags: in, O_CLOEXEC and the access mode (O_RDONLY, O_WRONLY,
 *            O_RDWR or O_ACCMODE) the new fd may be opened with; 0 means
 *            O_RDONLY, as in the kernel. O_ACCMODE (3) is the kernel's
 *            alloc_file_pseudo() with flags 3: an fd with neither read nor
 *            write access (claimed by an open with access mode 3); its
 *            ioctls work, but it cannot be mapped (EACCES, as mmap(2)
 *            without FMODE_READ) nor be a DMA source or destination
 * @pad: must be 0
 * @heap_flags: in, must be 0 (no heap flags exist)
 *
 * DMABUFD_HEAP_IOC_ALLOC. Errors, as the kernel's ALLOC:
 *   EINVAL  token not 0; fd_flags outside O_CLOEXEC|O_ACCMODE; heap_flags
 *           not 0; pad not 0; len 0 or so large it wraps when rounded
 *   ENOMEM  the heap cannot provide len bytes (or its limit is reached)
 *   EDQUOT  the caller's uid would hold more buffer memory, or more
 *           unredeemed tokens, than its [limits] allow (uid-bytes,
 *           uid-tokens; dmabufd.conf(5))
 *   EMFILE  the daemon keeps its last descriptors for its own work
 */
struct dmabufd_heap_alloc {
	__u64 len;
	__u64 token;
	__u32 fd_flags;
	__u32 pad;
	__u64 heap_flags;
};

#define DMABUFD_HEAP_IOC_ALLOC _IOWR(DMABUFD_IOC_MAGIC, 0x10, struct dmabufd_heap_alloc)

#if !defined(__cplusplus)
_Static_assert(sizeof(struct dmabufd_heap_alloc) == 32, "dmabufd_heap_alloc size");
#endif

#endif /* _DMABUFD_DMA_HEAP_H */
