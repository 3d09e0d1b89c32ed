/* SPDX-License-Identifier: MIT */
/*
 * dmabufd control socket protocol.
 *
 * A SOCK_SEQPACKET Unix socket (DMABUFD_CONTROL_SOCKET, or the daemon's
 * --control option). Each message is one struct dmabufd_ctl_req; the daemon
 * answers each with one struct dmabufd_ctl_reply, in order, followed by a
 * payload for some ops. Replies carrying a file descriptor pass it with
 * SCM_RIGHTS on the reply message.
 *
 * The socket grants nothing by itself: mapping a buffer needs a mapping
 * token, which only a holder of that buffer's fd can get
 * (DMABUFD_DMA_BUF_IOC_MAP).
 */
#ifndef _DMABUFD_CONTROL_H
#define _DMABUFD_CONTROL_H

#include <linux/types.h>

#define DMABUFD_CTL_VERSION 1

enum dmabufd_ctl_op {
	/*
	 * Redeem a mapping token. Reply: error 0, size = bytes to map, and a
	 * sealed memfd (SCM_RIGHTS) of the buffer's memory, opened read-only
	 * when the token was issued on a read-only fd. mmap it MAP_SHARED
	 * with at most the prot DMABUFD_DMA_BUF_IOC_MAP reported.
	 * Errors: EINVAL for an unknown, used or expired token; EPERM when
	 * the peer's uid is not the uid that asked for the token (root may
	 * redeem any; the token is used up either way).
	 */
	DMABUFD_CTL_MAP = 1,
	/*
	 * Live-object counts. Reply: error 0, size = sizeof(struct
	 * dmabufd_ctl_stats), then the stats as a second message.
	 */
	DMABUFD_CTL_STATS = 2,
};

/*
 * Every op fails with EINVAL for a version other than DMABUFD_CTL_VERSION,
 * an unknown op, non-zero pad, or a message that is not exactly one
 * struct dmabufd_ctl_req.
 */
struct dmabufd_ctl_req {
	__u32 version;  /* DMABUFD_CTL_VERSION */
	__u32 op;       /* enum dmabufd_ctl_op */
	__u64 token;    /* DMABUFD_CTL_MAP: the mapping token */
	__u64 pad[2];   /* must be 0 */
};

struct dmabufd_ctl_reply {
	__s32 error;    /* 0 or a positive errno */
	__u32 op;       /* the op answered */
	__u64 size;
	__u64 pad[2];
};

/* Indices into dmabufd_ctl_stats.count. */
enum dmabufd_stat {
	DMABUFD_STAT_FENCES,
	DMABUFD_STAT_TIMELINES,
	DMABUFD_STAT_SYNC_FILES,
	DMABUFD_STAT_DMA_BUFS,
	DMABUFD_STAT_ATTACHMENTS,
	DMABUFD_STAT_MAPPINGS,
	DMABUFD_STAT_HEAPS,
	DMABUFD_STAT_TOKENS,        /* tokens issued and not yet used or expired */
	DMABUFD_STAT_OPEN_FILES,    /* open files on every node */
	DMABUFD_STAT_PENDING_REQS,  /* ioctls waiting for a late reply */
	DMABUFD_STAT_TIMERS,        /* armed timers (waits with a timeout) */
	DMABUFD_STAT_HEAP_BYTES,    /* bytes allocated from every heap */
	_DMABUFD_STAT_MAX = 32,
};

struct dmabufd_ctl_stats {
	__s64 count[_DMABUFD_STAT_MAX];
};

#if !defined(__cplusplus)
_Static_assert(sizeof(struct dmabufd_ctl_req) == 32, "dmabufd_ctl_req size");
_Static_assert(sizeof(struct dmabufd_ctl_reply) == 32, "dmabufd_ctl_reply size");
_Static_assert(sizeof(struct dmabufd_ctl_stats) == 256, "dmabufd_ctl_stats size");
#endif

#endif /* _DMABUFD_CONTROL_H */
