/* SPDX-License-Identifier: MIT */
/*
 * dmabufd wire ABI: what every node shares.
 *
 * dmabufd serves the kernel's dma-heap, dma-buf, sync_file and sw_sync
 * interfaces from a daemon, as CUSE character devices (or files of a FUSE
 * mount where the kernel has no CUSE). Every ioctl is "restricted": the
 * kernel copies exactly _IOC_SIZE(cmd) bytes in and out, so every struct
 * here has a fixed size, explicit padding and no pointer.
 *
 * A daemon cannot put a file descriptor into its caller's table. Where the
 * kernel returns a new fd (heap ALLOC, EXPORT_SYNC_FILE, MERGE,
 * CREATE_FENCE), the dmabufd ioctl returns a *claim token* instead: a
 * 64-bit random, single-use ticket for the new object. The caller opens
 * the node of that object type (DMABUFD_NODE_DMA_BUF or
 * DMABUFD_NODE_SYNC_FILE) and binds the fresh fd to the object with
 * DMABUFD_IOC_CLAIM. Where the kernel takes an fd argument (merge's fd2,
 * IMPORT_SYNC_FILE), the caller first turns that fd into a token with
 * DMABUFD_IOC_EXPORT_TOKEN. libdmabufd does all of this for you.
 *
 * Tokens hold a reference to their object. A token is gone once claimed
 * or used, when DMABUFD_TOKEN_TTL_MS pass unclaimed, or when the fd that
 * issued it is closed; its reference goes with it.
 *
 * The kernel's own ioctl numbers and layouts are kept where no fd and no
 * pointer crosses: DMA_BUF_IOCTL_SYNC, SYNC_IOC_SET_DEADLINE,
 * SW_SYNC_IOC_INC, and SYNC_IOC_FILE_INFO with num_fences == 0. The
 * kernel's fd- or pointer-carrying numbers fail with EOPNOTSUPP on dmabufd
 * nodes; use the DMABUFD_ equivalents (or the preload library).
 *
 * Every node dispatches on the whole command number, as the kernel's
 * dma-buf and sync_file files do: a known number with another size or
 * direction is unknown, ENOTTY (heap nodes keep the kernel's 'H' rule,
 * see dma_heap.h). A blocking ioctl still pending when the daemon stops
 * fails with ENODEV.
 *
 * Per-uid limits (dmabufd.conf(5), [limits]): opening a node fails with
 * EDQUOT when the caller's uid holds uid-files open files of the nodes
 * already (every object fd counts: buffers, sync_files, timelines,
 * channels, heap fds); an ioctl that issues a token (ALLOC, EXPORT_TOKEN,
 * MAP, merges, fences) fails with EDQUOT past uid-tokens unredeemed
 * tokens. Root is exempt unless configured otherwise.
 *
 * All dmabufd-specific ioctls use the magic DMABUFD_IOC_MAGIC (0xDB).
 * Number ranges: 0x00-0x0f dma-buf and sync_file nodes (heap and sw_sync
 * nodes answer them with ENOTTY), 0x10 heaps, 0x20 dma-buf,
 * 0x30 sync_file, 0x40 sw_sync, 0x50 dmaengine.
 */
#ifndef _DMABUFD_COMMON_H
#define _DMABUFD_COMMON_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DMABUFD_IOC_MAGIC 0xDB

/* Node names, relative to the device root ("/dev" with CUSE). */
#define DMABUFD_NODE_HEAP_DIR "dma_heap"        /* dma_heap/<heap name> */
#define DMABUFD_NODE_SW_SYNC "sw_sync"
#define DMABUFD_NODE_DMA_BUF "dmabufd/dma_buf"
#define DMABUFD_NODE_SYNC_FILE "dmabufd/sync_file"

/* Device root of the FUSE fallback, and the control socket. */
#define DMABUFD_FUSE_ROOT "/run/dmabufd/dev"
#define DMABUFD_CONTROL_SOCKET "/run/dmabufd/control"

/* Environment variables libdmabufd honours. */
#define DMABUFD_ENV_DEV_ROOT "DMABUFD_DEV_ROOT"
#define DMABUFD_ENV_CONTROL "DMABUFD_CONTROL"

/* How long an unclaimed token lives (default; the daemon may be told otherwise). */
#define DMABUFD_TOKEN_TTL_MS 10000

/**
 * struct dmabufd_claim - bind a fresh fd to the object of a token
 * @token: in, the claim token
 * @flags: must be 0
 * @pad: must be 0
 *
 * DMABUFD_IOC_CLAIM, on a fresh open of the node for the token's object
 * type. Errors:
 *   EINVAL  flags or pad not 0; the token is unknown, expired or used; the
 *           token is for another object type
 *   EBUSY   this fd is bound to an object already
 *   EACCES  the fd was opened with more access than the token grants
 *           (a read-only buffer claimed O_RDWR)
 * A refused claim (EINVAL for a token of another type, EACCES) leaves the
 * token as it was: it can still be claimed by a right fd before it expires.
 */
struct dmabufd_claim {
	__u64 token;
	__u32 flags;
	__u32 pad;
};

/**
 * struct dmabufd_export_token - make a token for the object of this fd
 * @token: out, a new token with its own reference to the object
 * @flags: must be 0
 * @pad: must be 0
 *
 * DMABUFD_IOC_EXPORT_TOKEN, on a bound dma-buf or sync_file fd: the token
 * stands for this fd where an ioctl wants an fd argument (merge's fd2,
 * IMPORT_SYNC_FILE, sw_sync GET_DEADLINE), or it is claimed by another
 * process to share the object. Errors:
 *   EINVAL  flags or pad not 0
 *   EBADFD  the fd is not bound to an object (never claimed)
 *   ENOMEM  too many tokens outstanding
 */
struct dmabufd_export_token {
	__u64 token;
	__u32 flags;
	__u32 pad;
};

#define DMABUFD_IOC_CLAIM _IOW(DMABUFD_IOC_MAGIC, 0x00, struct dmabufd_claim)
#define DMABUFD_IOC_EXPORT_TOKEN _IOWR(DMABUFD_IOC_MAGIC, 0x01, struct dmabufd_export_token)

#if !defined(__cplusplus)
_Static_assert(sizeof(struct dmabufd_claim) == 16, "dmabufd_claim size");
_Static_assert(sizeof(struct dmabufd_export_token) == 16, "dmabufd_export_token size");
#endif

#endif /* _DMABUFD_COMMON_H */
