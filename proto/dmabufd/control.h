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
 * (DMABUFD_DMA_BUF_IOC_MAP). The listings never show memory, but they
 * are not private: any local user who can connect (the socket is 0666)
 * sees what the kernel shows only to root in debugfs (dma_buf/bufinfo,
 * sync_file and sw_sync state): every buffer's size, mode, exporter and
 * name (DMA_BUF_SET_NAME: whatever its holder chose), every sw_sync
 * timeline's name (its opener's comm), every fence's state and times,
 * the pid and comm of each DMA channel's holder, the pid behind each
 * transfer. This is on purpose: the listings are for debugging without
 * privileges, and pids and comms are in /proc for everyone anyway; a
 * buffer has no single owner to check a caller against (its fds pass
 * between processes and users). Clients must not put secrets in buffer
 * names. Fault injection needs the daemon's uid or root.
 *
 * Flow and limits. A reply larger than the socket's send buffer goes out
 * as the client reads it; meanwhile the daemon reads no further request
 * of that client (one reply in flight per connection), and it drops a
 * client that takes nothing of its reply for 5 s. One peer uid
 * (SO_PEERCRED) may hold [limits] uid-connections (default 64; root
 * exempt by default) connections at a time, all uids together 256; a connection past either cap is closed at once, before any reply.
 * libdmabufd refuses a listing of more than 64 MiB (EPROTO).
 *
 * Listings (DMABUFD_CTL_DMA_DEVICES, _DMA_CHANNELS, _DMA_XFERS, _HEAPS,
 * _BUFFERS, _FENCES, _TIMELINES, _FILES), version 2. The reply has error 0,
 * rec_size = bytes per record, count 0 and size 0: the daemon makes the
 * listing as the client reads it, one message at a time, so it does not
 * know the count up front. Then come one or more batch messages, each a
 * struct dmabufd_ctl_batch and its count records (at most
 * DMABUFD_CTL_RECS_PER_MSG); the last has DMABUFD_CTL_BATCH_END in its
 * flags (and may hold records, or none). The next reply follows only
 * after it. Records only ever grow at their end: a client reads the
 * fields it knows and skips to the next rec_size. @token and @arg must
 * be 0 (EINVAL). A listing fails only with ENOMEM, in the reply.
 *
 * Who sees what, as /proc's hidepid: root and the daemon's own uid see
 * every object. Any other peer uid sees the buffers, fences, timelines,
 * open files and DMA transfers it owns (made through its own fds) and none of the
 * others, which each batch counts in @hidden instead; heaps and DMA
 * controllers are everyone's, and a channel another uid holds is listed
 * with an empty client.
 *
 * Consistency. A listing is not a snapshot: the daemon makes each batch
 * when the socket has room for it, and objects come and go between
 * batches. Every object that lives from the request until the END batch
 * is listed exactly once; an object created or destroyed meanwhile may be
 * listed or not, but never twice; each record is the object's state when
 * its batch was made. The order is the one each listing names below,
 * which is also how the daemon resumes (by a number per object, never
 * reused).
 *
 * Views (DMABUFD_CTL_BUFINFO, _SYNC_INFO, _DMA_SUMMARY), version 2: a
 * text, sent as a listing of one-byte records. The reply has error 0,
 * rec_size 1, count 0 and size 0; then batch messages as above, each a
 * struct dmabufd_ctl_batch and @count bytes of text (at most
 * DMABUFD_CTL_TEXT_PER_MSG, whole lines only), the last one marked END.
 * The text is the batches' bytes in order, exactly what the kernel's
 * file reads as, for the kernel version and with the field substitutions
 * man/dmabufctl.1.scd lists (dmabufd prints what it knows where the
 * kernel prints a struct file's flags, count or inode). Who sees what is
 * as for the listings: a peer that is neither root nor the daemon's uid
 * gets only its own buffers, timelines and sync_files (the rest is left
 * out of the text and counted in @hidden), and "Total N objects, M
 * bytes" counts what the text shows; DMA channels are everyone's, but
 * another uid's channel shows "in-use" as its client. The consistency
 * rule of the listings holds per object; an object whose lines span two
 * batches (more than DMABUFD_CTL_TEXT_PER_MSG of them) may show its
 * state of either. Errors: ENOMEM in the reply, EPROTONOSUPPORT for a
 * version-1 request.
 *
 * Versions. Version 1 had the count in the reply, records as bare
 * messages, and a snapshot. A version-1 listing request is refused with
 * EPROTONOSUPPORT (an old client says "Protocol not supported" instead
 * of misreading batches). DMABUFD_CTL_MAP, _STATS and _DMA_FAULT are the
 * same in both versions, and the daemon takes either for them.
 * DMABUFD_CTL_TRACE came later, within version 2: an op is added without
 * a new version, since a daemon that does not know it answers EINVAL
 * (unknown op), which is all a client needs to tell. It needs version 2
 * (a version-1 request is refused with EPROTONOSUPPORT, as listings).
 *
 * Trace (DMABUFD_CTL_TRACE), a subscription. @arg[0] is
 * DMABUFD_CTL_TRACE_START, @arg[1] a mask of (1 << DMABUFD_TRACE_*)
 * kinds to record (0: every kind), @arg[2..3] 0. The reply has error 0
 * and rec_size = bytes per record; from then on the daemon sends batch
 * messages, each a struct dmabufd_ctl_trace_batch and its count records
 * (struct dmabufd_ctl_trace_rec, at most DMABUFD_CTL_RECS_PER_MSG), as
 * events happen. The daemon never waits for a slow reader: each
 * subscription has a buffer of DMABUFD_CTL_TRACE_RING records; when it is
 * full, new records are dropped and counted in the next batch's @lost.
 * The connection then takes one request only: DMABUFD_CTL_TRACE with
 * @arg[0] DMABUFD_CTL_TRACE_STOP, answered by the records still
 * buffered and a batch flagged DMABUFD_CTL_BATCH_END (no reply header);
 * after it the connection takes any request again. Any other message, or
 * a close, ends the subscription and the connection. At most
 * DMABUFD_CTL_TRACE_SUBSCRIBERS subscriptions at a time, at most
 * DMABUFD_CTL_TRACE_PER_UID of them of one uid, and the last
 * DMABUFD_CTL_TRACE_RESERVED for root and the daemon's uid only (EBUSY
 * past any of these).
 * Errors: EINVAL for an unknown @arg[0] or kind bit, EBUSY.
 * Who sees what is as for listings: root and the daemon's uid get every
 * event; any other uid only those of its own objects and calls (fences
 * made for it, transfers on channels it holds, its buffers, its waits).
 *
 * Who holds what. The daemon knows a process through its calls only: the
 * caller that opened a file (FUSE's and CUSE's request context, a thread
 * id, resolved to its process when a listing is made), and the last
 * caller of an ioctl on it (for a buffer, or of a MAP of it: the
 * connection's SO_PEERCRED process). A process that got an fd over a Unix socket
 * or by fork and never used it is invisible. So the records name these
 * two honestly (*opener_pid*, *last_pid*), and a fence its *producer*:
 * the caller that made it (CREATE_FENCE, MERGE, EXPORT_SYNC_FILE,
 * CREATE), or for a DMA transfer's fence the process that opened the
 * channel's dmaengine fd. Each pid is the process (Tgid) of the
 * thread as of the listing, and each comm the process's comm as of
 * the listing (read from /proc when the batch is made, never per
 * request); a process gone by then shows its thread id and an empty
 * comm. 0 means none (the daemon's own, or no call yet).
 *
 * Ops added later within a version (DMABUFD_CTL_TRACE, _INFO, _FILES,
 * _FENCE_IMPORT, _FENCE_EXPORT, _BUF_EXPORT_KERNEL) change nothing of
 * the others: a daemon that predates one answers it EINVAL (an unknown
 * op), which a client reports as "daemon too old". Their payloads, like
 * records, only grow at their end: the reply's size says how much the
 * daemon sent, and a client reads the fields it knows.
 */
#ifndef _DMABUFD_CONTROL_H
#define _DMABUFD_CONTROL_H

#include <linux/types.h>

#define DMABUFD_CTL_VERSION 2
/* The oldest version the daemon still takes (not for listings). */
#define DMABUFD_CTL_VERSION_MIN 1

enum dmabufd_ctl_op {
	/*
	 * Redeem a mapping token. Reply: error 0, size = bytes to map, and a
	 * new open of the buffer's sealed memfd (SCM_RIGHTS), read-only
	 * when the token was issued on a read-only fd. mmap it MAP_SHARED
	 * with at most the prot DMABUFD_DMA_BUF_IOC_MAP reported. The memory
	 * stays charged to its heap while this file or a mapping of it is
	 * left, even after the buffer is released (DMABUFD_STAT_LINGERING).
	 * A token of DMABUFD_DMA_IOC_STATUS_MAP (a dmaengine fd's status
	 * page, proto/dmabufd/dmaengine.h) is redeemed the same way, always
	 * for a read-only open: map it PROT_READ.
	 * A dma-buf fd's handle (DMABUFD_IOC_HANDLE, proto/dmabufd/common.h)
	 * of the peer's uid is taken in place of a token and is not used
	 * up: on a connection kept open this is one round trip per mapping.
	 * The memfd is read-only when the handle's fd is.
	 * Errors: EINVAL for an unknown, used or expired token or handle;
	 * EPERM when the peer's uid is not the uid that asked for the token
	 * (root may redeem any; the token is used up either way); EACCES
	 * for the handle of a write-only fd or one of access mode O_ACCMODE; ENODEV for a buffer whose
	 * memory cannot be mapped.
	 */
	DMABUFD_CTL_MAP = 1,
	/*
	 * Live-object counts. Reply: error 0, size = sizeof(struct
	 * dmabufd_ctl_stats), then the stats as a second message. @token
	 * must be 0.
	 */
	DMABUFD_CTL_STATS = 2,
	/* DMA controllers, by dev_id: struct dmabufd_ctl_dma_device. */
	DMABUFD_CTL_DMA_DEVICES = 3,
	/*
	 * Every channel of every controller, by dev_id then chan_id: struct
	 * dmabufd_ctl_dma_channel.
	 */
	DMABUFD_CTL_DMA_CHANNELS = 4,
	/*
	 * Transfers of the dmaengine nodes' clients not ended yet (prepared,
	 * submitted, waiting, running), fd by fd in open order, each fd's in
	 * the order they were prepared: struct dmabufd_ctl_dma_xfer.
	 */
	DMABUFD_CTL_DMA_XFERS = 5,
	/*
	 * Fault injection on a channel (the mock controller's): @arg[0] the
	 * controller id, @arg[1] the channel index ("dma<arg0>chan<arg1>"),
	 * @arg[2] a DMABUFD_CTL_FAULT_*, @arg[3] its count. Reply: error only.
	 * Errors: EINVAL for an unknown fault or a bad count; ENODEV for no
	 * such channel; EOPNOTSUPP when its controller injects no faults;
	 * EPERM when the peer is neither root nor the daemon's uid.
	 */
	DMABUFD_CTL_DMA_FAULT = 6,
	/* Registered heaps, in registration order: struct dmabufd_ctl_heap. */
	DMABUFD_CTL_HEAPS = 7,
	/*
	 * Every live dma-buf, oldest first (the kernel's
	 * /sys/kernel/debug/dma_buf/bufinfo): struct dmabufd_ctl_buffer.
	 */
	DMABUFD_CTL_BUFFERS = 8,
	/*
	 * Every live fence, oldest first: sw_sync points, DMA transfer
	 * fences, merged fence arrays, stubs (not the global stub): struct
	 * dmabufd_ctl_fence.
	 */
	DMABUFD_CTL_FENCES = 9,
	/*
	 * Every live sw_sync timeline, oldest first, closed ones whose points
	 * are still held included: struct dmabufd_ctl_timeline.
	 */
	DMABUFD_CTL_TIMELINES = 10,
	/*
	 * The kernel's debugfs texts, in the kernel's own formats (views,
	 * below): /sys/kernel/debug/dma_buf/bufinfo, sync/info and
	 * dmaengine/summary.
	 */
	DMABUFD_CTL_BUFINFO = 11,
	DMABUFD_CTL_SYNC_INFO = 12,
	DMABUFD_CTL_DMA_SUMMARY = 13,
	/* Record events (see "Trace" above): struct dmabufd_ctl_trace_rec. */
	DMABUFD_CTL_TRACE = 14,
	/*
	 * The daemon itself: version, pid, uptime, transport, where its
	 * nodes are, its configuration file, its per-uid limits. Reply:
	 * error 0, size = bytes of struct dmabufd_ctl_info the daemon
	 * sends (a client takes at most its own sizeof, and zeroes what a
	 * shorter one lacks), then those bytes as a second message. Any
	 * version; @token and @arg must be 0. Added within version 2: an
	 * older daemon answers EINVAL.
	 */
	DMABUFD_CTL_INFO = 15,
	/*
	 * Every open file of the device nodes, in open order: struct
	 * dmabufd_ctl_file (who holds which buffer, sync_file, timeline
	 * and channel). A listing (version 2) added within version 2: an
	 * older daemon answers EINVAL. Owner for "who sees what": the
	 * file's opener uid.
	 */
	DMABUFD_CTL_FILES = 16,
	/*
	 * Kernel interop (added within version 2, any version taken; an
	 * older daemon answers EINVAL). What the kernel side can and cannot
	 * see is in README.md, "Interop with the kernel".
	 *
	 * FENCE_IMPORT: make a dmabufd fence of a real kernel sync_file,
	 * passed with SCM_RIGHTS on the request (exactly one fd; @token and
	 * @arg 0). The fence signals, with the kernel fence's error
	 * (SYNC_IOC_FILE_INFO's status), when the kernel fence does: the
	 * daemon keeps its own copy of the fd and polls it (POLLIN). Reply:
	 * error 0 and @token, a claim token of the new sync_file
	 * (DMABUFD_IOC_CLAIM on a fresh open of the sync_file node, O_RDONLY
	 * or O_RDWR), which dies with this connection if not claimed first.
	 * Errors: EBADF without an fd; EINVAL when the fd is no kernel
	 * sync_file (a dmabufd sync_file included: it needs no import);
	 * EDQUOT past the peer's limit of files (a pending import holds
	 * one), EDQUOT or ENOMEM past its limit of tokens.
	 */
	DMABUFD_CTL_FENCE_IMPORT = 17,
	/*
	 * FENCE_EXPORT: make a real kernel sync_file that signals when a
	 * dmabufd fence does, through the kernel's sw_sync
	 * (/sys/kernel/debug/sync/sw_sync; one kernel timeline per dmabufd
	 * fence context). @token: a sync_file token or handle of the peer's
	 * uid (DMABUFD_IOC_EXPORT_TOKEN, DMABUFD_IOC_HANDLE); @arg 0.
	 * Reply: error 0 and the kernel sync_file (SCM_RIGHTS). sw_sync
	 * carries no error: the kernel fence of a dmabufd fence that failed
	 * signals with status 1. Errors: EINVAL for no such token or
	 * handle; EOPNOTSUPP where the kernel has no sw_sync (or debugfs is
	 * not mounted); EDQUOT past the peer's limit of files (the daemon
	 * holds each kernel timeline open until its last point signals: one
	 * file, charged to the uid whose export opened it; a fence exported
	 * again while pending gets another kernel fence at its existing
	 * point, at no cost); the kernel's errno of a failed sw_sync call.
	 */
	DMABUFD_CTL_FENCE_EXPORT = 18,
	/*
	 * BUF_EXPORT_KERNEL: make a real kernel dma-buf over a dmabufd
	 * buffer's own memory, through the kernel's udmabuf
	 * (UDMABUF_CREATE on the buffer's sealed memfd), for DRM, V4L2 or
	 * vgem to import. @token: a mapping token
	 * (DMABUFD_DMA_BUF_IOC_MAP) or a dma-buf handle of the peer's uid,
	 * as for DMABUFD_CTL_MAP; @arg 0. Reply: error 0, size = the
	 * buffer's size, and the kernel dma-buf (SCM_RIGHTS, O_CLOEXEC,
	 * O_RDWR). Writes through either side are seen by the other at
	 * once (the same pages).
	 * Lifetime: the export holds a reference to the dmabufd buffer,
	 * so its memory stays charged to its owner, and the daemon keeps
	 * its own copy of the kernel dma-buf (one of the peer's files,
	 * [limits] uid-files). It lets both go once the kernel counts no
	 * other holder of that dma-buf (no fd, mapping or importer left;
	 * the daemon reads the count from its copy's fdinfo about once a
	 * second). A kernel that shows no count keeps them until the
	 * daemon stops.
	 * Errors: EINVAL for no such token or handle; EPERM for another
	 * uid's token (root may use any); EACCES unless the token or
	 * handle grants read and write (udmabuf has no read-only mode:
	 * its dma-buf is always writable); ENODEV for a buffer whose heap
	 * has no memfd; EOPNOTSUPP where the daemon cannot use
	 * /dev/udmabuf (absent, or not the daemon user's to open); EDQUOT
	 * past the peer's limit of files; the kernel's errno of
	 * UDMABUF_CREATE (EINVAL past udmabuf's size_limit_mb, 64 MiB by
	 * default). Added within version 2: an older daemon answers EINVAL.
	 */
	DMABUFD_CTL_BUF_EXPORT_KERNEL = 19,
};

/* DMABUFD_CTL_DMA_FAULT kinds */
#define DMABUFD_CTL_FAULT_FAIL_NTH 1 /* the @arg[3]-th (>= 1) transfer the
				      * channel starts from now fails
				      * (READ_FAILED: fence EIO) */
#define DMABUFD_CTL_FAULT_STALL 2    /* transfers started from now never
				      * finish (the watchdog aborts them);
				      * @arg[3] 0 */
#define DMABUFD_CTL_FAULT_CLEAR 3    /* forget pending faults and un-stall;
				      * @arg[3] 0 */

/*
 * Every op fails with EINVAL for a version outside DMABUFD_CTL_VERSION_MIN
 * .. DMABUFD_CTL_VERSION, an unknown op, a @token or @arg the op does not use that is not 0, or a
 * message that is not exactly one struct dmabufd_ctl_req.
 */
struct dmabufd_ctl_req {
	__u32 version;  /* DMABUFD_CTL_VERSION */
	__u32 op;       /* enum dmabufd_ctl_op */
	__u64 token;    /* DMABUFD_CTL_MAP, BUF_EXPORT_KERNEL: the mapping
			 * token or a dma-buf handle; FENCE_EXPORT: a
			 * sync_file token or handle; else 0 */
	__u32 arg[4];   /* per op (DMABUFD_CTL_DMA_FAULT); else 0 */
};

struct dmabufd_ctl_reply {
	__s32 error;    /* 0 or a positive errno */
	__u32 op;       /* the op answered */
	__u64 size;     /* bytes that follow (MAP: bytes to map; listings: 0) */
	__u32 count;    /* listings: 0 (version 1: records that follow) */
	__u32 rec_size; /* listings: bytes per record */
	__u64 token;    /* FENCE_IMPORT: the claim token; else 0 */
};

#define DMABUFD_CTL_RECS_PER_MSG 64
/* Text bytes per message of a view at most. */
#define DMABUFD_CTL_TEXT_PER_MSG 16384

/* One message of a listing: this, then @count records of @rec_size. */
struct dmabufd_ctl_batch {
	__u32 count;    /* records in this message, <= DMABUFD_CTL_RECS_PER_MSG
			 * (a view's: bytes, <= DMABUFD_CTL_TEXT_PER_MSG) */
	__u32 flags;    /* DMABUFD_CTL_BATCH_* */
	__u32 rec_size; /* as in the reply */
	__u32 hidden;   /* objects this batch passed over that the peer may
			 * not see (another uid's) */
};
#define DMABUFD_CTL_BATCH_END (1u << 0) /* the listing's last message */

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
	DMABUFD_STAT_DMA_CHANNELS,  /* channels held by dmaengine node fds */
	DMABUFD_STAT_DMA_ATTACHMENTS, /* dma-bufs attached to channels */
	DMABUFD_STAT_DMA_XFERS,     /* transfers prepared and not ended */
	/* Per-uid limits ([limits] in dmabufd.conf(5)): uids holding
	 * anything now, and refusals since the daemon started (these only
	 * grow) of each limit. */
	DMABUFD_STAT_ACCOUNTS,
	DMABUFD_STAT_REFUSED_BYTES,
	DMABUFD_STAT_REFUSED_FILES,
	DMABUFD_STAT_REFUSED_TOKENS,
	DMABUFD_STAT_REFUSED_CHANNELS,
	DMABUFD_STAT_REFUSED_CONNECTIONS,
	DMABUFD_STAT_CTL_CLIENTS,   /* control socket connections */
	DMABUFD_STAT_CTL_HELD_BYTES, /* bytes the daemon holds for replies
				      * not yet taken by their sockets, all
				      * connections together */
	DMABUFD_STAT_CTL_HELD_MAX,  /* the most one connection holds now (a
				     * listing: one batch, whatever its size) */
	/* Released buffers whose memory a client still maps or holds the
	 * mapping's file of: they stay charged to their heap. */
	DMABUFD_STAT_LINGERING,
	DMABUFD_STAT_LINGERING_BYTES, /* their bytes (part of HEAP_BYTES) */
	DMABUFD_STAT_DMA_STATUS_PAGES, /* dmaengine fds' status pages, kept
					* while the fd, a token or a
					* client's open of the page is left */
	/* Requests the daemon has answered since it started (these only
	 * grow): each one a round trip of its caller. Opens, ioctls and
	 * releases of the device nodes (a release is asynchronous: the
	 * closing process does not wait for it), every other node request
	 * (poll, read, write, interrupt), and control socket requests. */
	DMABUFD_STAT_REQ_OPENS,
	DMABUFD_STAT_REQ_IOCTLS,
	DMABUFD_STAT_REQ_RELEASES,
	DMABUFD_STAT_REQ_OTHER,
	DMABUFD_STAT_CTL_REQUESTS,
	_DMABUFD_STAT_MAX = 32,
};

/* Whether stat @i only grows (a count of events, not of things held):
 * the refusals and the request counters. */
static inline int dmabufd_stat_is_cumulative(unsigned int i)
{
	return (i >= DMABUFD_STAT_REFUSED_BYTES &&
		i <= DMABUFD_STAT_REFUSED_CONNECTIONS) ||
	       (i >= DMABUFD_STAT_REQ_OPENS && i <= DMABUFD_STAT_CTL_REQUESTS);
}

struct dmabufd_ctl_stats {
	__s64 count[_DMABUFD_STAT_MAX];
};

#define DMABUFD_CTL_NAME_LEN 32
#define DMABUFD_CTL_PATH_LEN 256

/* dmabufd_ctl_info.transport */
#define DMABUFD_CTL_TRANSPORT_CUSE 1 /* character devices under /dev */
#define DMABUFD_CTL_TRANSPORT_FUSE 2 /* the files of a FUSE mount */

/* Indices into dmabufd_ctl_info.limit: [limits] of dmabufd.conf(5). */
enum dmabufd_ctl_limit {
	DMABUFD_CTL_LIMIT_BYTES,       /* uid-bytes */
	DMABUFD_CTL_LIMIT_FILES,       /* uid-files */
	DMABUFD_CTL_LIMIT_TOKENS,      /* uid-tokens */
	DMABUFD_CTL_LIMIT_CHANNELS,    /* uid-channels */
	DMABUFD_CTL_LIMIT_CONNECTIONS, /* uid-connections */
	_DMABUFD_CTL_LIMIT_MAX = 8,
};

/* DMABUFD_CTL_INFO payload. Strings are NUL-terminated (paths cut at
 * DMABUFD_CTL_PATH_LEN - 1 bytes). */
struct dmabufd_ctl_info {
	char version[DMABUFD_CTL_NAME_LEN];  /* the daemon's, "0.1.0" */
	char config[DMABUFD_CTL_PATH_LEN];   /* the configuration file it
					      * read; "" for none */
	char dev_root[DMABUFD_CTL_PATH_LEN]; /* where its nodes are: the
					      * FUSE mount point, or "/dev" */
	__u32 pid;
	__u32 transport;                     /* DMABUFD_CTL_TRANSPORT_* */
	__u32 nodes;                         /* device nodes it serves */
	__u32 nodes_live;                    /* of which can be opened now */
	__u64 uptime_ns;                     /* since it started
					      * (CLOCK_MONOTONIC) */
	__u64 limit[_DMABUFD_CTL_LIMIT_MAX]; /* per uid, in force now;
					      * 0: none */
	__u32 limit_flags;                   /* DMABUFD_CTL_LIMIT_EXEMPT_* */
	__u32 exempt_gid;                    /* with _EXEMPT_GROUP */
};
#define DMABUFD_CTL_LIMIT_EXEMPT_ROOT (1u << 0)  /* uid 0 is never refused */
#define DMABUFD_CTL_LIMIT_EXEMPT_GROUP (1u << 1) /* nor members of exempt_gid */

/* DMABUFD_CTL_DMA_DEVICES record. */
struct dmabufd_ctl_dma_device {
	char name[DMABUFD_CTL_NAME_LEN]; /* "mock0" */
	__u32 dev_id;                    /* the N of dma<N>chan<M> */
	__u32 chancnt;
	__u32 cap_mask;                  /* bit per enum dma_transaction_type */
	__u32 privatecnt;                /* channels held privately */
	__u32 directions;                /* bit per enum dma_transfer_direction */
	__u32 residue_granularity;
	__u32 flags;                     /* DMABUFD_CTL_DEV_* */
	__u32 pad;
};
#define DMABUFD_CTL_DEV_PRIVATE (1u << 0) /* DMA_PRIVATE: not in the public pool */

/* DMABUFD_CTL_DMA_CHANNELS record: /sys/class/dma/<name>/ and more. */
struct dmabufd_ctl_dma_channel {
	char name[DMABUFD_CTL_NAME_LEN];   /* "dma0chan1" */
	char device[DMABUFD_CTL_NAME_LEN]; /* its controller's name */
	char client[64];                   /* who holds it ("pid 123 (comm)"), or "" */
	__u32 dev_id;
	__u32 chan_id;
	__u32 client_count;                /* /sys: in_use when > 0 */
	__u32 table_count;                 /* entries of the per-cap table */
	__u32 flags;                       /* DMABUFD_CTL_CHAN_* */
	__s32 request_line;                /* from the map, -1 for none */
	__s32 cookie;                      /* last cookie the channel assigned */
	__s32 completed_cookie;            /* last one completed */
	__u32 in_flight;                   /* descriptors submitted, not done */
	__u32 pad;
	__u64 timeout_ms;                  /* watchdog deadline, 0: none */
	__u64 xfer_count;                  /* /sys: memcpy_count, completed OK */
	__u64 bytes_transferred;           /* /sys: bytes_transferred */
	__u64 errors;                      /* READ_FAILED / WRITE_FAILED */
	__u64 aborted;                     /* terminate, watchdog, removal */
	__u64 timeouts;                    /* watchdog firings */
};
#define DMABUFD_CTL_CHAN_IN_USE (1u << 0)
#define DMABUFD_CTL_CHAN_PRIVATE (1u << 1) /* held by a request */
#define DMABUFD_CTL_CHAN_PAUSED (1u << 2)

/* DMABUFD_CTL_DMA_XFERS states */
#define DMABUFD_CTL_XFER_PREPARED 1  /* PREP done, not submitted */
#define DMABUFD_CTL_XFER_SUBMITTED 2 /* has a cookie, not issued */
#define DMABUFD_CTL_XFER_WAITING 3   /* issued: waiting for implicit fences
				      * or for the ones queued before it */
#define DMABUFD_CTL_XFER_ACTIVE 4    /* on the channel (chan_cookie set) */
#define DMABUFD_CTL_XFER_PAUSED 5

/* DMABUFD_CTL_DMA_XFERS record. */
struct dmabufd_ctl_dma_xfer {
	char chan[DMABUFD_CTL_NAME_LEN]; /* "dma0chan1" */
	__u32 pid;                       /* of the process that opened the fd */
	__s32 cookie;                    /* the fd's cookie; 0 while prepared */
	__s32 chan_cookie;               /* the channel's, 0 until ACTIVE */
	__u32 state;                     /* DMABUFD_CTL_XFER_* */
	__u32 type;                      /* DMABUFD_DMA_MEMCPY, _SLAVE, _CYCLIC */
	__u32 direction;
	__u64 len;
	__u64 residue;
	__u64 periods;                   /* cyclic: periods completed */
};

/* DMABUFD_CTL_HEAPS record: the usage the heap accounts. */
struct dmabufd_ctl_heap {
	char name[DMABUFD_CTL_NAME_LEN]; /* "system": the node dma_heap/<name> */
	__u64 buffers;                   /* buffers allocated and not freed */
	__u64 bytes;                     /* bytes they take */
	__u64 limit_bytes;               /* allocations past it fail ENOMEM;
					  * 0: no limit */
};

/* DMABUFD_CTL_BUFFERS record: one line of bufinfo, and more. */
struct dmabufd_ctl_buffer {
	__u64 id;                            /* unique for the daemon's life
					      * (bufinfo's ino); what
					      * DMABUFD_DMA_BUF_IOC_INFO says */
	__u64 size;                          /* bytes */
	char name[DMABUFD_CTL_NAME_LEN];     /* DMA_BUF_SET_NAME, or "" */
	char exporter[DMABUFD_CTL_NAME_LEN]; /* exp_name: the heap's name */
	__u32 mode;                          /* O_RDONLY, O_WRONLY or O_RDWR */
	__u32 flags;                         /* DMABUFD_CTL_BUF_* */
	__u32 refcount;                      /* references: each fd bound to
					      * it, each claim token, each
					      * armed poll */
	__u32 attachments;                   /* importers (DMA channels) */
	__u32 mapped;                        /* of which mapped for DMA now */
	__u32 vmaps;                         /* the daemon's own CPU mappings */
	/* Fences of its reservation object not signaled yet, by usage
	 * (write: the kernel's old exclusive fence, read: shared ones). */
	__u32 fences_kernel;
	__u32 fences_write;
	__u32 fences_read;
	__u32 fences_bookkeep;
	/* Who holds it (see "Who holds what"); added within version 2. */
	__u32 opener_pid;                    /* opened the first file bound
					      * to it */
	__u32 last_pid;                      /* the last ioctl on one, or
					      * the last MAP of it */
	char opener_comm[16];
	char last_comm[16];
};
#define DMABUFD_CTL_BUF_ORPHANED (1u << 0) /* released while attached or
					    * vmapped: kept until they go */
#define DMABUFD_CTL_BUF_KERNEL (1u << 1)   /* a kernel dma-buf made from it
					    * (BUF_EXPORT_KERNEL) is still
					    * held in the kernel; added
					    * within version 2 */

/* DMABUFD_CTL_FENCES record. */
struct dmabufd_ctl_fence {
	__u64 context;
	__u64 seqno;
	char driver[DMABUFD_CTL_NAME_LEN];   /* "sw_sync", "dmabufd-dma", ... */
	char timeline[DMABUFD_CTL_NAME_LEN]; /* a timeline's or channel's name */
	__s32 status;                        /* 0 pending, 1 signaled, or the
					      * negative errno it signaled
					      * with (sync_file_info's) */
	__u32 flags;                         /* DMABUFD_CTL_FENCE_* */
	__u32 refcount;
	__u32 waiters;                       /* callbacks waiting for it */
	__u64 created_ns;                    /* CLOCK_MONOTONIC, the daemon's */
	__u64 timestamp_ns;                  /* when it signaled; 0 pending */
	__u64 age_ns;                        /* since it was created, when
					      * the listing was requested */
	/* Who made it (see "Who holds what"); added within version 2. */
	__u32 producer_pid;
	__u32 pad;
	char producer_comm[16];
};
#define DMABUFD_CTL_FENCE_ENABLED (1u << 0) /* someone waited for it
					     * (enable_signaling ran) */

/* DMABUFD_CTL_TIMELINES record: a sw_sync timeline. */
struct dmabufd_ctl_timeline {
	char name[DMABUFD_CTL_NAME_LEN]; /* the opener's comm */
	__u64 context;                   /* the fence context of its points */
	__u32 value;                     /* the counter */
	__u32 pending;                   /* points not reached yet */
	__u32 flags;                     /* DMABUFD_CTL_TIMELINE_* */
	__u32 pad;
};
#define DMABUFD_CTL_TIMELINE_CLOSED (1u << 0) /* its sw_sync fd is gone */

/* DMABUFD_CTL_FILES: what a file is bound to */
#define DMABUFD_CTL_FILE_NONE 0      /* nothing (yet): a heap's fd, a fresh
				      * open before CLAIM or CREATE */
#define DMABUFD_CTL_FILE_BUFFER 1    /* a dma-buf: @object its id */
#define DMABUFD_CTL_FILE_SYNC_FILE 2 /* a sync_file: @object, @seqno its
				      * fence's context and seqno */
#define DMABUFD_CTL_FILE_TIMELINE 3  /* a sw_sync timeline: @object its
				      * context */
#define DMABUFD_CTL_FILE_CHANNEL 4   /* a dmaengine fd holding a channel:
				      * @object dev_id << 32 | chan_id */

/* DMABUFD_CTL_FILES record: one open file (a struct file in the
 * kernel's terms; every fd dup'ed, forked or passed from it shares it). */
struct dmabufd_ctl_file {
	__u64 id;                        /* its open number: the "#N" of the
					  * daemon's log lines */
	char node[DMABUFD_CTL_NAME_LEN]; /* "dma_buf", "sync_file", "sw_sync",
					  * "dma_heap/system", "dmaengine" */
	__u32 kind;                      /* DMABUFD_CTL_FILE_* */
	__u32 mode;                      /* O_RDONLY, O_WRONLY or O_RDWR */
	__u32 uid;                       /* the opener's */
	__u32 opener_pid;                /* see "Who holds what" */
	__u32 last_pid;
	__s32 status;                    /* SYNC_FILE: 0 pending, 1 signaled,
					  * or the negative errno; else 0 */
	__u64 object;                    /* per @kind */
	__u64 seqno;                     /* SYNC_FILE: its fence's; else 0 */
	__u64 size;                      /* BUFFER: bytes; else 0 */
	char name[DMABUFD_CTL_NAME_LEN]; /* the buffer's, sync_file's,
					  * timeline's or channel's name */
	char opener_comm[16];
	char last_comm[16];
};

/* DMABUFD_CTL_TRACE: @arg[0] */
#define DMABUFD_CTL_TRACE_START 0
#define DMABUFD_CTL_TRACE_STOP 1
/* Records a subscription buffers while its reader is behind. */
#define DMABUFD_CTL_TRACE_RING 4096
#define DMABUFD_CTL_TRACE_SUBSCRIBERS 8
#define DMABUFD_CTL_TRACE_PER_UID 2
#define DMABUFD_CTL_TRACE_RESERVED 2

/* One message of a trace: this, then @count records of @rec_size. */
struct dmabufd_ctl_trace_batch {
	__u32 count;    /* records in this message, <= DMABUFD_CTL_RECS_PER_MSG */
	__u32 flags;    /* DMABUFD_CTL_BATCH_END: the trace's last message */
	__u32 rec_size; /* as in the reply */
	__u32 lost;     /* records dropped (buffer full) since the last batch */
};

/*
 * Trace record kinds. Each is an interval on a track: a BEGIN and an END
 * record with the same @kind, @track and @id (an END may come without
 * its BEGIN: the interval began before the subscription).
 *
 *   FENCE  a fence's life, from its creation to its signal. Only the END
 *          is sent, at the signal, with @begin_ns its creation (its name
 *          and owner are known only once it is made). @track the fence
 *          context (one per timeline), @id the seqno, @track_name the
 *          timeline's name, @label the driver's, @result 0 or the
 *          -errno it signaled with.
 *   DMA    a descriptor, from its submit to its completion. @track the
 *          channel (dev_id << 32 | chan_id), @track_name "dma0chan1",
 *          @id the cookie, @value the length (END: bytes moved), @result
 *          (END) enum dmaengine_tx_result (0 ok, 1 read failed, 2 write
 *          failed, 3 aborted).
 *   CPU    a CPU access window, DMA_BUF_IOCTL_SYNC START (once granted)
 *          to END. @track the buffer's id, @track_name its name or its
 *          exporter's, @id and @pid the caller's pid, @value the
 *          DMA_BUF_SYNC_* flags.
 *   WAIT   an ioctl that waits (answered late: a sync_file WAIT, a SYNC
 *          START behind fences, a deferred channel request). @track and
 *          @pid the caller's pid, @id a number
 *          per wait, @label the ioctl's name, @result (END) its answer.
 */
enum dmabufd_trace_kind {
	DMABUFD_TRACE_FENCE = 1,
	DMABUFD_TRACE_DMA = 2,
	DMABUFD_TRACE_CPU = 3,
	DMABUFD_TRACE_WAIT = 4,
};
#define DMABUFD_TRACE_BEGIN 1
#define DMABUFD_TRACE_END 2

/* DMABUFD_CTL_TRACE record. */
struct dmabufd_ctl_trace_rec {
	__u64 ts_ns;     /* CLOCK_MONOTONIC, the daemon's */
	__u64 begin_ns;  /* FENCE END: when the fence was made; else 0 */
	__u64 track;     /* per kind, above */
	__u64 id;        /* pairs BEGIN and END within the track */
	__u64 value;     /* per kind */
	__u32 kind;      /* enum dmabufd_trace_kind */
	__u32 phase;     /* DMABUFD_TRACE_BEGIN or _END */
	__s32 result;    /* END: per kind; BEGIN: 0 */
	__u32 pid;       /* CPU, WAIT: the caller's (the calling thread's
			  * id, as FUSE and CUSE tell it: the process id
			  * for a single-threaded caller); else 0 */
	char track_name[DMABUFD_CTL_NAME_LEN];
	char label[DMABUFD_CTL_NAME_LEN];
};

#if !defined(__cplusplus)
_Static_assert(sizeof(struct dmabufd_ctl_trace_batch) == 16, "ctl_trace_batch size");
_Static_assert(sizeof(struct dmabufd_ctl_trace_rec) == 120, "ctl_trace_rec size");
_Static_assert(sizeof(struct dmabufd_ctl_req) == 32, "dmabufd_ctl_req size");
_Static_assert(sizeof(struct dmabufd_ctl_reply) == 32, "dmabufd_ctl_reply size");
_Static_assert(sizeof(struct dmabufd_ctl_batch) == 16, "dmabufd_ctl_batch size");
_Static_assert(sizeof(struct dmabufd_ctl_stats) == 256, "dmabufd_ctl_stats size");
_Static_assert(sizeof(struct dmabufd_ctl_dma_device) == 64, "ctl_dma_device size");
_Static_assert(sizeof(struct dmabufd_ctl_dma_channel) == 216, "ctl_dma_channel size");
_Static_assert(sizeof(struct dmabufd_ctl_dma_xfer) == 80, "ctl_dma_xfer size");
_Static_assert(sizeof(struct dmabufd_ctl_heap) == 56, "ctl_heap size");
_Static_assert(sizeof(struct dmabufd_ctl_buffer) == 160, "ctl_buffer size");
_Static_assert(sizeof(struct dmabufd_ctl_fence) == 144, "ctl_fence size");
_Static_assert(sizeof(struct dmabufd_ctl_file) == 152, "ctl_file size");
_Static_assert(sizeof(struct dmabufd_ctl_timeline) == 56, "ctl_timeline size");
_Static_assert(sizeof(struct dmabufd_ctl_info) == 640, "ctl_info size");
#endif

#endif /* _DMABUFD_CONTROL_H */
