/* SPDX-License-Identifier: MIT */
/*
 * dmabufd wire ABI: dma-buf fds (opens of DMABUFD_NODE_DMA_BUF bound to a
 * buffer with DMABUFD_IOC_CLAIM).
 *
 * Kept from the kernel: DMA_BUF_IOCTL_SYNC (struct dma_buf_sync, the same
 * number and flags), and poll (POLLIN when no KERNEL/WRITE fence is
 * pending, POLLOUT when no fence of an implicit-sync class is pending).
 * A SYNC START waits in the daemon, interruptibly, for the fences its
 * direction needs; END never waits. A START fails with EINTR when a
 * signal interrupts the caller (retry, as with the kernel), and with
 * ETIMEDOUT when the fences are still pending after the daemon's longest
 * wait (its --max-wait-ms), so that no caller waits forever.
 *
 * Replaced, because an fd or a pointer would cross: DMA_BUF_SET_NAME
 * (a string pointer), EXPORT_SYNC_FILE and IMPORT_SYNC_FILE (fds). Those
 * kernel numbers fail with EOPNOTSUPP.
 *
 * CPU mappings: a dmabufd node cannot be mmap()ed. DMABUFD_DMA_BUF_IOC_MAP
 * returns a mapping token; the control socket (DMABUFD_CONTROL_SOCKET)
 * redeems it for a sealed memfd of the buffer's memory, read-only when
 * this fd is read-only. libdmabufd's dmabufd_buf_mmap() does both steps.
 */
#ifndef _DMABUFD_DMA_BUF_H
#define _DMABUFD_DMA_BUF_H

#include "common.h"

/*
 * The kernel's own header comes first wherever it exists, so that this
 * header and <linux/dma-buf.h> may be included in either order (the
 * kernel's include guard then keeps its second inclusion out). Only where
 * the system has no such header does this one define the kernel's ABI
 * itself; a program on such a system must not include both.
 */
#if defined(__has_include)
#if __has_include(<linux/dma-buf.h>)
#include <linux/dma-buf.h>
#endif
#endif

#ifndef DMA_BUF_BASE
struct dma_buf_sync {
	__u64 flags;
};
#define DMA_BUF_SYNC_READ (1 << 0)
#define DMA_BUF_SYNC_WRITE (2 << 0)
#define DMA_BUF_SYNC_RW (DMA_BUF_SYNC_READ | DMA_BUF_SYNC_WRITE)
#define DMA_BUF_SYNC_START (0 << 2)
#define DMA_BUF_SYNC_END (1 << 2)
#define DMA_BUF_SYNC_VALID_FLAGS_MASK (DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END)
#define DMA_BUF_NAME_LEN 32
#define DMA_BUF_BASE 'b'
#define DMA_BUF_IOCTL_SYNC _IOW(DMA_BUF_BASE, 0, struct dma_buf_sync)
#endif

/**
 * struct dmabufd_dma_buf_info - what the buffer is
 * @size: out, size in bytes (page-rounded)
 * @id: out, the buffer's unique id in the daemon (the kernel's inode number)
 * @exp_name: out, exporter name, NUL-terminated ("system" for the system heap)
 * @mode: out, this fd's access mode: O_RDONLY, O_WRONLY, O_RDWR or
 *        O_ACCMODE (neither read nor write)
 * @attachments: out, number of attachments (devices using the buffer)
 *
 * DMABUFD_DMA_BUF_IOC_INFO. Errors: EBADFD if the fd is not bound.
 */
struct dmabufd_dma_buf_info {
	__u64 size;
	__u64 id;
	char exp_name[32];
	__u32 mode;
	__u32 attachments;
};

/**
 * struct dmabufd_dma_buf_name - a buffer's name (DMA_BUF_SET_NAME)
 * @name: NUL-terminated, at most DMA_BUF_NAME_LEN - 1 characters
 *
 * DMABUFD_DMA_BUF_IOC_SET_NAME replaces the name, even with attachments
 * (as Linux 6.12); EINVAL if @name has no NUL within its 32 bytes.
 * DMABUFD_DMA_BUF_IOC_GET_NAME reads it ("" if never set).
 * Both: EBADFD if the fd is not bound.
 */
struct dmabufd_dma_buf_name {
	char name[32];
};

/**
 * struct dmabufd_dma_buf_export_sync_file - snapshot the implicit fences
 * @flags: in, DMA_BUF_SYNC_READ, _WRITE or _RW
 * @pad: must be 0
 * @token: out, claim token of a new sync_file
 *
 * DMABUFD_DMA_BUF_IOC_EXPORT_SYNC_FILE, as DMA_BUF_IOCTL_EXPORT_SYNC_FILE:
 * READ gives the KERNEL and WRITE fences (what POLLIN waits for), WRITE or
 * RW also the READ fences (what POLLOUT waits for); none gives a signaled
 * stub. Errors: EINVAL for flags other than READ/WRITE/RW or pad not 0;
 * EBADFD if the fd is not bound; ENOMEM.
 */
struct dmabufd_dma_buf_export_sync_file {
	__u32 flags;
	__u32 pad;
	__u64 token;
};

/**
 * struct dmabufd_dma_buf_import_sync_file - add a sync_file's fences
 * @flags: in, DMA_BUF_SYNC_READ, _WRITE or _RW
 * @pad: must be 0
 * @token: in, a token of a sync_file (DMABUFD_IOC_EXPORT_TOKEN); consumed
 *
 * DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE, as DMA_BUF_IOCTL_IMPORT_SYNC_FILE:
 * every fence of the sync_file is added to the buffer, as READ usage for
 * READ, as WRITE usage for WRITE or RW. Errors: EINVAL for bad flags, pad
 * not 0, or a token that is not a live sync_file token (the kernel's
 * EINVAL for an fd that is not a sync_file); EBADFD if not bound; ENOMEM.
 */
struct dmabufd_dma_buf_import_sync_file {
	__u32 flags;
	__u32 pad;
	__u64 token;
};

/**
 * struct dmabufd_dma_buf_map - ask for a CPU mapping of the buffer
 * @token: out, a mapping token to redeem on the control socket
 * @size: out, bytes to map
 * @prot: out, PROT_READ, plus PROT_WRITE when this fd is writable
 * @pad: must be 0
 *
 * DMABUFD_DMA_BUF_IOC_MAP. The token is single use, expires like a claim
 * token, and dies with this fd. Errors: EINVAL if pad not 0; EBADFD if
 * not bound; EACCES on a write-only fd or one of access mode O_ACCMODE
 * (as the kernel refuses mmap without FMODE_READ); ENOMEM; EDQUOT past the caller's uid-tokens, or when the
 * heap must make a CPU copy of the buffer (the STM32 contiguous heap's
 * bounce memfd, made at the buffer's first MAP and charged to the uid that
 * allocated the buffer until the last mapping of it is gone) that would
 * take that uid past its uid-bytes.
 */
struct dmabufd_dma_buf_map {
	__u64 token;
	__u64 size;
	__u32 prot;
	__u32 pad;
};

#define DMABUFD_DMA_BUF_IOC_INFO _IOR(DMABUFD_IOC_MAGIC, 0x20, struct dmabufd_dma_buf_info)
#define DMABUFD_DMA_BUF_IOC_SET_NAME _IOW(DMABUFD_IOC_MAGIC, 0x21, struct dmabufd_dma_buf_name)
#define DMABUFD_DMA_BUF_IOC_GET_NAME _IOR(DMABUFD_IOC_MAGIC, 0x22, struct dmabufd_dma_buf_name)
#define DMABUFD_DMA_BUF_IOC_EXPORT_SYNC_FILE \
	_IOWR(DMABUFD_IOC_MAGIC, 0x23, struct dmabufd_dma_buf_export_sync_file)
#define DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE \
	_IOW(DMABUFD_IOC_MAGIC, 0x24, struct dmabufd_dma_buf_import_sync_file)
#define DMABUFD_DMA_BUF_IOC_MAP _IOWR(DMABUFD_IOC_MAGIC, 0x25, struct dmabufd_dma_buf_map)

#if !defined(__cplusplus)
_Static_assert(sizeof(struct dma_buf_sync) == 8, "dma_buf_sync size");
_Static_assert(sizeof(struct dmabufd_dma_buf_info) == 56, "dmabufd_dma_buf_info size");
_Static_assert(sizeof(struct dmabufd_dma_buf_name) == 32, "dmabufd_dma_buf_name size");
_Static_assert(sizeof(struct dmabufd_dma_buf_export_sync_file) == 16, "export size");
_Static_assert(sizeof(struct dmabufd_dma_buf_import_sync_file) == 16, "import size");
_Static_assert(sizeof(struct dmabufd_dma_buf_map) == 24, "dmabufd_dma_buf_map size");
#endif

#endif /* _DMABUFD_DMA_BUF_H */
