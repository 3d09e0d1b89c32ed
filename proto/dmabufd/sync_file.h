/* SPDX-License-Identifier: MIT */
/*
 * dmabufd wire ABI: sync_file fds (opens of DMABUFD_NODE_SYNC_FILE bound
 * to a fence with DMABUFD_IOC_CLAIM).
 *
 * Kept from the kernel: SYNC_IOC_SET_DEADLINE; SYNC_IOC_FILE_INFO when
 * num_fences is 0 (name, the fence count, and the status of the
 * sync_file's own fence, as dma_fence_get_status(): a merge's container
 * is active until every fence in it has signaled; a non-zero num_fences
 * below the count is EINVAL, as the kernel's, and any other would need
 * the daemon to write through the caller's pointer and fails with EFAULT:
 * use DMABUFD_SYNC_IOC_FILE_INFO); poll, POLLIN
 * once the fence has signaled, with or without an error.
 * Replaced: SYNC_IOC_MERGE (fds cross), which fails with EOPNOTSUPP.
 */
#ifndef _DMABUFD_SYNC_FILE_H
#define _DMABUFD_SYNC_FILE_H

#include "common.h"

/*
 * The kernel's own header comes first wherever it exists, so that this
 * header and <linux/sync_file.h> may be included in either order (as in
 * dma_buf.h). Only what it lacks is defined here: everything on a system
 * without it, the deadline (Linux 6.7) on older headers.
 */
#if defined(__has_include)
#if __has_include(<linux/sync_file.h>)
#include <linux/sync_file.h>
#endif
#endif

#ifndef SYNC_IOC_MAGIC
struct sync_merge_data {
	char name[32];
	__s32 fd2;
	__s32 fence;
	__u32 flags;
	__u32 pad;
};

struct sync_fence_info {
	char obj_name[32];
	char driver_name[32];
	__s32 status;
	__u32 flags;
	__u64 timestamp_ns;
};

struct sync_file_info {
	char name[32];
	__s32 status;
	__u32 flags;
	__u32 num_fences;
	__u32 pad;
	__u64 sync_fence_info;
};

#define SYNC_IOC_MAGIC '>'
#define SYNC_IOC_MERGE _IOWR(SYNC_IOC_MAGIC, 3, struct sync_merge_data)
#define SYNC_IOC_FILE_INFO _IOWR(SYNC_IOC_MAGIC, 4, struct sync_file_info)
#endif

/* Linux 6.7 added deadlines; older headers lack them. SYNC_IOC_SET_DEADLINE
 * takes any deadline_ns (CLOCK_MONOTONIC), 0 and the past included, as the
 * kernel's ns_to_ktime(): a signed ktime, so 2^63 and above are negative;
 * a no-op once the fence has signaled; EINVAL for pad not 0. */
#ifndef SYNC_IOC_SET_DEADLINE
struct sync_set_deadline {
	__u64 deadline_ns;
	__u64 pad;
};
#define SYNC_IOC_SET_DEADLINE _IOW(SYNC_IOC_MAGIC, 5, struct sync_set_deadline)
#endif

/**
 * struct dmabufd_sync_merge - merge two sync_files (SYNC_IOC_MERGE)
 * @name: in, name of the new sync_file; name[31] is forced to NUL
 * @token2: in, a token of the second sync_file (DMABUFD_IOC_EXPORT_TOKEN
 *          on its fd); consumed. It may stand for this very fd.
 * @token: out, claim token of the merged sync_file
 * @flags: must be 0
 * @pad: must be 0
 *
 * DMABUFD_SYNC_IOC_MERGE. The merge keeps, per fence context, only the
 * latest unsignaled fence, as Linux 6.12. Errors: EINVAL for flags or pad
 * not 0; ENOENT if token2 is not a live sync_file token (the kernel's
 * ENOENT for an fd2 that is not a sync_file); EBADFD if this fd is not
 * bound; ENOMEM.
 */
struct dmabufd_sync_merge {
	char name[32];
	__u64 token2;
	__u64 token;
	__u32 flags;
	__u32 pad;
};

#define DMABUFD_SYNC_INFO_MAX 16

/**
 * struct dmabufd_sync_file_info - name, status and fences of a sync_file
 * @name: out, the merge name, or "<driver>-<timeline><context>-<seqno>"
 * @status: out, as the kernel's SYNC_IOC_FILE_INFO with an array: the
 *          first fence's status that is not 1 (0 active, < 0 an error),
 *          else 1; not the container's status (SYNC_IOC_FILE_INFO with
 *          num_fences 0 gives that)
 * @flags: must be 0
 * @num_fences: out, how many fences the sync_file holds
 * @first: in, index of the first fence to report
 * @count: out, records filled in @fences (at most DMABUFD_SYNC_INFO_MAX)
 * @pad: must be 0
 * @fences: out, the fences from @first on: timeline name, driver name,
 *          status, flags 0, and signal time (CLOCK_MONOTONIC ns) once
 *          signaled
 *
 * DMABUFD_SYNC_IOC_FILE_INFO, SYNC_IOC_FILE_INFO without the pointer:
 * read larger sets in windows of DMABUFD_SYNC_INFO_MAX by raising @first.
 * Errors: EINVAL for flags or pad not 0, or @first > @num_fences; EBADFD
 * if the fd is not bound.
 */
struct dmabufd_sync_file_info {
	char name[32];
	__s32 status;
	__u32 flags;
	__u32 num_fences;
	__u32 first;
	__u32 count;
	__u32 pad;
	struct sync_fence_info fences[DMABUFD_SYNC_INFO_MAX];
};

/**
 * struct dmabufd_sync_wait - wait for the sync_file to signal
 * @timeout_ns: in, how long at most; 0 polls; < 0 is EINVAL
 * @status: out, the sync_file's status; written only when the call
 *          succeeds (an error reply carries no data)
 * @pad: must be 0
 *
 * DMABUFD_SYNC_IOC_WAIT: one round trip instead of poll()'s two. Returns
 * 0 once the fence has signaled (check @status for an error); ETIME if the
 * timeout passed first; EINTR if a signal interrupted the caller; EINVAL
 * for a negative timeout or pad not 0; EBADFD if not bound. The daemon
 * caps the timeout at its own limit so no caller waits forever.
 */
struct dmabufd_sync_wait {
	__s64 timeout_ns;
	__s32 status;
	__u32 pad;
};

#define DMABUFD_SYNC_IOC_MERGE _IOWR(DMABUFD_IOC_MAGIC, 0x30, struct dmabufd_sync_merge)
#define DMABUFD_SYNC_IOC_FILE_INFO _IOWR(DMABUFD_IOC_MAGIC, 0x31, struct dmabufd_sync_file_info)
#define DMABUFD_SYNC_IOC_WAIT _IOWR(DMABUFD_IOC_MAGIC, 0x32, struct dmabufd_sync_wait)

#if !defined(__cplusplus)
_Static_assert(sizeof(struct sync_merge_data) == 48, "sync_merge_data size");
_Static_assert(sizeof(struct sync_fence_info) == 80, "sync_fence_info size");
_Static_assert(sizeof(struct sync_file_info) == 56, "sync_file_info size");
_Static_assert(sizeof(struct sync_set_deadline) == 16, "sync_set_deadline size");
_Static_assert(sizeof(struct dmabufd_sync_merge) == 56, "dmabufd_sync_merge size");
_Static_assert(sizeof(struct dmabufd_sync_file_info) == 56 + 16 * 80, "info size");
_Static_assert(sizeof(struct dmabufd_sync_wait) == 16, "dmabufd_sync_wait size");
#endif

#endif /* _DMABUFD_SYNC_FILE_H */
