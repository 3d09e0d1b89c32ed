/* SPDX-License-Identifier: MIT */
/*
 * dmabufd wire ABI: sw_sync (DMABUFD_NODE_SW_SYNC), the equivalent of
 * /sys/kernel/debug/sync/sw_sync. Each open creates a timeline at value 0
 * named after the opener's command name; closing it signals every fence
 * still pending on it with -ENOENT.
 *
 * Kept from the kernel: SW_SYNC_IOC_INC. Replaced (fds cross):
 * SW_SYNC_IOC_CREATE_FENCE and SW_SYNC_GET_DEADLINE, which fail with
 * EOPNOTSUPP.
 */
#ifndef _DMABUFD_SW_SYNC_H
#define _DMABUFD_SW_SYNC_H

#include "common.h"

/* sw_sync is not UAPI in Linux; its definitions, as drivers/dma-buf/sw_sync.c. */
struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};

struct sw_sync_get_deadline {
	__u64 deadline_ns;
	__u32 pad;
	__s32 fence_fd;
};

#define SW_SYNC_IOC_MAGIC 'W'
#define SW_SYNC_IOC_CREATE_FENCE _IOWR(SW_SYNC_IOC_MAGIC, 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW(SW_SYNC_IOC_MAGIC, 1, __u32)
#define SW_SYNC_GET_DEADLINE _IOWR(SW_SYNC_IOC_MAGIC, 2, struct sw_sync_get_deadline)

/**
 * struct dmabufd_sw_sync_create_fence - a fence on this timeline
 * @value: in, the point; at or below the timeline's value the fence is
 *         born signaled; a pending point of the same value is shared
 * @name: in, ignored (as by the kernel)
 * @pad: must be 0
 * @token: out, claim token of a sync_file holding the fence
 *
 * DMABUFD_SW_SYNC_IOC_CREATE_FENCE. Errors: EINVAL if pad not 0; ENOMEM.
 */
struct dmabufd_sw_sync_create_fence {
	__u32 value;
	char name[32];
	__u32 pad;
	__u64 token;
};

/**
 * struct dmabufd_sw_sync_get_deadline - earliest deadline of a point
 * @deadline_ns: out, CLOCK_MONOTONIC ns; must be 0 on input
 * @token: in, a token of a sync_file (DMABUFD_IOC_EXPORT_TOKEN); consumed
 * @pad: must be 0
 *
 * DMABUFD_SW_SYNC_IOC_GET_DEADLINE, as SW_SYNC_GET_DEADLINE. Errors:
 * EINVAL if deadline_ns or pad is not 0, the token is not a live sync_file
 * token, or its fence is not a sw_sync point (a merge, say); ENOENT if no
 * deadline was set on it while it was pending. The earliest is kept as the
 * kernel's ktime_before() orders them: signed 64-bit ns, so a deadline of
 * 2^63 or more (a negative ktime) is earlier than 0.
 */
struct dmabufd_sw_sync_get_deadline {
	__u64 deadline_ns;
	__u64 token;
	__u64 pad;
};

#define DMABUFD_SW_SYNC_IOC_CREATE_FENCE \
	_IOWR(DMABUFD_IOC_MAGIC, 0x40, struct dmabufd_sw_sync_create_fence)
#define DMABUFD_SW_SYNC_IOC_GET_DEADLINE \
	_IOWR(DMABUFD_IOC_MAGIC, 0x41, struct dmabufd_sw_sync_get_deadline)

#if !defined(__cplusplus)
_Static_assert(sizeof(struct sw_sync_create_fence_data) == 40, "create_fence_data size");
_Static_assert(sizeof(struct sw_sync_get_deadline) == 16, "get_deadline size");
_Static_assert(sizeof(struct dmabufd_sw_sync_create_fence) == 48, "create_fence size");
_Static_assert(sizeof(struct dmabufd_sw_sync_get_deadline) == 24, "get_deadline size");
#endif

#endif /* _DMABUFD_SW_SYNC_H */
