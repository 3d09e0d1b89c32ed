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
 * The shorter way, at the fewest round trips this transport allows: a
 * *handle* (DMABUFD_IOC_HANDLE) is a reusable name of an fd's open file,
 * accepted wherever a token stands for an fd argument; and
 * DMABUFD_IOC_CREATE on a fresh open of the object's node makes the
 * object straight into that fd, from handles of its sources. So heap
 * alloc, fence create, merge and export are an open and one ioctl, and an
 * import one ioctl, once the sources' handles are known.
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
 * direction is unknown, ENOTTY (heap nodes follow the kernel's
 * dma_heap_ioctl() instead, _IOC_NR only: see dma_heap.h). A blocking ioctl still pending when the daemon stops
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
 * Number ranges: 0x00-0x0f every object node (CLAIM, EXPORT_TOKEN and
 * CREATE: dma-buf and sync_file nodes only, ENOTTY elsewhere but on a
 * heap, see dma_heap.h; HANDLE: every node), 0x10 heaps, 0x20 dma-buf, 0x30 sync_file, 0x40 sw_sync,
 * 0x50 dmaengine.
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
/*
 * On the FUSE fallback the kernel's debugfs texts are read-only files
 * under the root too (debug/dma_buf/bufinfo, debug/sync/info,
 * debug/dmaengine/summary; proto/dmabufd/control.h, "Views"). They are
 * not nodes: their inode numbers are DMABUFD_FUSE_VIEW_INO_MIN and up,
 * every node's and directory's is below, so a client that tells the
 * daemon's files by the mount's st_dev (libdmabufd-compat) leaves them
 * alone.
 */
#define DMABUFD_FUSE_VIEW_INO_MIN 0x100000u
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

/* What kind of node an fd is an open of (struct dmabufd_handle). */
enum dmabufd_node_kind {
	DMABUFD_KIND_HEAP = 1,	   /* dma_heap/<name> */
	DMABUFD_KIND_DMA_BUF = 2,  /* DMABUFD_NODE_DMA_BUF */
	DMABUFD_KIND_SYNC_FILE = 3, /* DMABUFD_NODE_SYNC_FILE */
	DMABUFD_KIND_SW_SYNC = 4,  /* DMABUFD_NODE_SW_SYNC */
	DMABUFD_KIND_DMAENGINE = 5, /* DMABUFD_NODE_DMAENGINE */
};

/**
 * struct dmabufd_handle - the reusable name of this fd's open file
 * @handle: out, the handle; must be 0 on input
 * @flags: must be 0
 * @kind: out, enum dmabufd_node_kind of the fd; must be 0 on input
 *
 * DMABUFD_IOC_HANDLE, on any dmabufd node's fd (a dma-buf or sync_file fd
 * must be bound). A handle names the open file the fd refers to (all its
 * dups, in every process holding one) for the caller's uid, until that
 * file is released by the last close: the same value on every call, and
 * no value is ever given twice. Unlike a token it is not used up, so an
 * fd's owner pays this round trip once. It is accepted wherever a token
 * stands for an fd argument (merge's token2, IMPORT_SYNC_FILE, DMA
 * ATTACH, sw_sync GET_DEADLINE, the control socket's MAP), as the
 * sources of DMABUFD_IOC_CREATE, and only from the uid it was given to.
 * It holds no reference: once the file is released it names nothing
 * (EINVAL where it is used; ENOENT as a merge source, the kernel's
 * answer for a bad fd2), even while the object lives on in other files.
 * Errors: EINVAL a field that must be 0 is not; EBADFD an unbound dma-buf
 * or sync_file fd; ENOMEM.
 */
struct dmabufd_handle {
	__u64 handle;
	__u32 flags;
	__u32 kind;
};

/* DMABUFD_IOC_CREATE ops: what to make into the fresh fd. */
enum dmabufd_create_op {
	/* dma-buf fd: a buffer of @arg bytes from the heap of handle
	 * @src[0] (a heap node's fd), as DMA_HEAP_IOCTL_ALLOC; @flags are
	 * heap_flags (0); the fd's access mode is the buffer fd's mode
	 * (O_ACCMODE included: an fd that can be neither mapped nor used
	 * for DMA, see dma_heap.h). */
	DMABUFD_CREATE_ALLOC = 1,
	/* sync_file fd: a fence at value @arg (< 2^32) on the sw_sync
	 * timeline of handle @src[0], named @name, as
	 * SW_SYNC_IOC_CREATE_FENCE. @flags 0. */
	DMABUFD_CREATE_FENCE = 2,
	/* sync_file fd: the merge of sync_files @src[0] and @src[1], named
	 * @name, as SYNC_IOC_MERGE. @flags 0, @arg 0. */
	DMABUFD_CREATE_MERGE = 3,
	/* sync_file fd: the fences of dma-buf @src[0] that a CPU access
	 * for @flags (DMA_BUF_SYNC_READ and/or _WRITE) would wait for, as DMA_BUF_IOCTL_EXPORT_SYNC_FILE. @arg 0. */
	DMABUFD_CREATE_EXPORT = 4,
	/* sync_file fd: the completion of cookie @arg of the dmaengine fd of
	 * handle @src[0], as DMABUFD_DMA_IOC_FENCE. @flags 0. */
	DMABUFD_CREATE_DMA_FENCE = 5,
};

/**
 * struct dmabufd_create - make an object straight into this fresh fd
 * @op: in, enum dmabufd_create_op
 * @flags: in, per @op
 * @src: in, the sources: handles, never tokens (so a refused CREATE
 *        has used nothing up), 0 where unused
 * @arg: in, per @op
 * @name: in, per @op (a fence or merge name, NUL-padded), else all 0
 * @handle: out, the handle of this fd's file for the caller
 *          (DMABUFD_IOC_HANDLE), so it can be a source at once
 *
 * DMABUFD_IOC_CREATE, on a fresh open of the dma-buf node (ALLOC) or the
 * sync_file node (the rest): the one ioctl that, after the open, gives
 * the fd the kernel's fd-returning ioctl would have returned. It binds
 * the fd like DMABUFD_IOC_CLAIM: a client killed between the open and
 * this ioctl leaves only an unbound file that goes with its last close.
 * @src[0] stands for the fd the kernel's ioctl is made on, and answers
 * as that fd would. Errors: those of the kernel call it stands for, and
 *   EINVAL  unknown @op, or an op for the other node; a field that must
 *           be 0 is not
 *   EBADF   @src[0] names nothing: an unknown, released or other uid's
 *           handle, or a token (the kernel's answer for a closed fd)
 *   ENOTTY  @src[0] names a file of another node (another driver's fd
 *           knows no such ioctl)
 *   EBADFD  @src[0] names a dma-buf or sync_file file not bound yet;
 *           DMA_FENCE: the dmaengine fd of @src[0] holds no channel
 *   ENOENT  MERGE: @src[1] names no bound sync_file (the kernel's answer
 *           for a bad fd2)
 *   EBUSY   this fd is bound to an object already
 *   EDQUOT  ALLOC: past the caller's per-uid byte limit
 */
struct dmabufd_create {
	__u32 op;
	__u32 flags;
	__u64 src[2];
	__u64 arg;
	char name[32];
	__u64 handle;
};

#define DMABUFD_IOC_CLAIM _IOW(DMABUFD_IOC_MAGIC, 0x00, struct dmabufd_claim)
#define DMABUFD_IOC_EXPORT_TOKEN _IOWR(DMABUFD_IOC_MAGIC, 0x01, struct dmabufd_export_token)
#define DMABUFD_IOC_HANDLE _IOWR(DMABUFD_IOC_MAGIC, 0x02, struct dmabufd_handle)
#define DMABUFD_IOC_CREATE _IOWR(DMABUFD_IOC_MAGIC, 0x03, struct dmabufd_create)

#if !defined(__cplusplus)
_Static_assert(sizeof(struct dmabufd_claim) == 16, "dmabufd_claim size");
_Static_assert(sizeof(struct dmabufd_export_token) == 16, "dmabufd_export_token size");
_Static_assert(sizeof(struct dmabufd_handle) == 16, "dmabufd_handle size");
_Static_assert(sizeof(struct dmabufd_create) == 72, "dmabufd_create size");
#endif

#endif /* _DMABUFD_COMMON_H */
