/* SPDX-License-Identifier: MIT */
/*
 * dmabufd wire ABI: the dmaengine node (DMABUFD_NODE_DMAENGINE).
 *
 * The kernel keeps dmaengine inside the kernel; dmabufd exposes it. Each
 * open of the node is one consumer holding at most one channel, as a
 * driver holds what dma_request_chan() gave it: DMABUFD_DMA_IOC_REQUEST_CHAN
 * binds the fd to a channel, privately (a second request for the same
 * channel fails with EBUSY), and the channel is released (terminate,
 * synchronize, dma_release_channel) when the fd's last reference goes
 * away, whatever the client was doing. The flow is the kernel client
 * API's (Documentation/driver-api/dmaengine/client.rst):
 *
 *   REQUEST_CHAN -> SLAVE_CONFIG (slave and cyclic only) -> ATTACH each
 *   dma-buf once -> PREP (a descriptor) -> SUBMIT (a cookie) ->
 *   ISSUE_PENDING (starts the queue) -> TX_STATUS / FENCE / EVENTS.
 *
 * PREP takes DMABUFD_DMA_PREP_SUBMIT and DMABUFD_DMA_PREP_ISSUE to do the
 * three steps in one round trip.
 *
 * Cookies belong to the fd: SUBMIT hands them out in submission order the
 * way dma_cookie_assign() does (the first is 2, after INT32_MAX comes 1
 * again), and TX_STATUS reads them as dmaengine_tx_status() does: a cookie
 * never handed out, or one completed long ago, reads DMABUFD_DMA_COMPLETE.
 * (The channel's own cookies, which the controller sees, are shown by
 * dmabufctl; they differ once a channel has had several users.)
 *
 * Memory: transfers name dma-buf memory through attachments made on the
 * channel (dma_buf_attach + map, once), by attachment id and byte offset.
 * A buffer attached through a read-only fd can only be read by DMA. At
 * ISSUE_PENDING each transfer adds its completion fence to its buffers'
 * reservation objects (a writer of the destination, a reader of the
 * source), so a CPU access (DMA_BUF_IOCTL_SYNC) or another transfer on the
 * same buffers orders itself after it; the transfers of a channel then
 * start in order, each once the implicit fences it needs have signaled (the
 * destination: every reader and writer; the source: the writers), without
 * blocking anyone. FENCE hands the completion out as a sync_file. A
 * transfer that fails signals its fence with an error:
 *   EIO        the engine reported a read or write failure
 *   ECANCELED  terminated (CONTROL TERMINATE, or the fd was closed), or
 *              queued behind a transfer the watchdog aborted
 *   ETIMEDOUT  the channel watchdog aborted it (DMABUFD_DMA_SET_TIMEOUT)
 *   ENODEV     the controller went away
 * A cyclic transfer runs until terminated; its fence then signals without
 * error.
 *
 * Every struct is fixed-size; pad fields and unknown flags must be 0
 * (EINVAL otherwise). Every ioctl but REQUEST_CHAN fails with EBADFD on a
 * fd that holds no channel. Once the channel's controller has gone away
 * every ioctl fails with ENODEV except those that read how transfers
 * ended or let go: TX_STATUS, STATUS_MAP, FENCE, EVENTS and DETACH. Numbers 0x50-0x6f of DMABUFD_IOC_MAGIC; other numbers, or
 * a known number with another size, are ENOTTY. Values of enums and flags
 * are the kernel's (include/linux/dmaengine.h).
 */
#ifndef _DMABUFD_DMAENGINE_H
#define _DMABUFD_DMAENGINE_H

#include "common.h"

#define DMABUFD_NODE_DMAENGINE "dmabufd/dmaengine"

/* enum dma_transaction_type bits used in cap masks. */
#define DMABUFD_DMA_MEMCPY 0
#define DMABUFD_DMA_INTERRUPT 7
#define DMABUFD_DMA_PRIVATE 8
#define DMABUFD_DMA_SLAVE 10
#define DMABUFD_DMA_CYCLIC 11
#define DMABUFD_DMA_CAP(t) (1u << (t))

/* enum dma_transfer_direction */
#define DMABUFD_DMA_MEM_TO_MEM 0
#define DMABUFD_DMA_MEM_TO_DEV 1
#define DMABUFD_DMA_DEV_TO_MEM 2

/* enum dma_status */
#define DMABUFD_DMA_COMPLETE 0
#define DMABUFD_DMA_IN_PROGRESS 1
#define DMABUFD_DMA_PAUSED 2
#define DMABUFD_DMA_ERROR 3

/* enum dmaengine_tx_result */
#define DMABUFD_DMA_TRANS_NOERROR 0
#define DMABUFD_DMA_TRANS_READ_FAILED 1
#define DMABUFD_DMA_TRANS_WRITE_FAILED 2
#define DMABUFD_DMA_TRANS_ABORTED 3

/* enum dma_ctrl_flags accepted by PREP */
#define DMABUFD_DMA_PREP_INTERRUPT (1u << 0) /* queue an event on completion */
#define DMABUFD_DMA_CTRL_ACK (1u << 1)       /* accepted, no effect */
/* dmabufd's own PREP flags, above the kernel's */
#define DMABUFD_DMA_PREP_SUBMIT (1u << 16) /* submit at once; cookie in the reply */
#define DMABUFD_DMA_PREP_ISSUE (1u << 17)  /* and issue_pending (needs SUBMIT) */

#define DMABUFD_DMA_NAME_LEN 32

/**
 * struct dmabufd_dma_request - bind this fd to a channel
 * @how: in, DMABUFD_DMA_REQ_BY_CAP, _BY_NAME or _BY_CHAN
 * @cap_mask: in, BY_CAP: DMABUFD_DMA_CAP() bits the channel's controller
 *            must have (dma_request_chan_by_mask); 0 for BY_NAME / BY_CHAN
 * @timeout_ms: in, how long to wait for a controller that is not there
 *              yet (0: fail at once); capped by the daemon's --max-wait-ms,
 *              so libdmabufd calls again for the time left
 * @chan_id: out, the channel's index on its controller
 * @consumer: in, BY_NAME: the consumer device ("dmas" owner in the
 *            daemon's map, --dma-map); all 0 for the others
 * @name: in, BY_NAME: the dma-name in the daemon's map; BY_CHAN: the
 *        channel name ("dma0chan1"); ignored for BY_CAP; out: the
 *        channel name
 * @device: out, the controller's name ("mock0")
 * @caps: out, the controller's capability mask
 * @pad: must be 0
 *
 * DMABUFD_DMA_IOC_REQUEST_CHAN. The wait is answered later from the
 * daemon's loop; a signal ends it with EINTR. Errors:
 *   EINVAL  unknown @how, pad not 0, names without NUL or empty, an empty
 *           cap mask for BY_CAP, a cap mask for BY_NAME / BY_CHAN
 *   EBUSY   this fd holds a channel already, or another request on it is
 *           waiting; the channel is in use (BY_CHAN, or a BY_NAME entry
 *           naming one channel); every channel of the entry's controller
 *           is in use (BY_NAME with any channel)
 *   ENODEV  no free registered channel has the capabilities (BY_CAP), the
 *           map has no such entry (BY_NAME), no such channel (BY_CHAN,
 *           after @timeout_ms)
 *   EAGAIN  the map names a controller that has not appeared (yet), or no
 *           controller at all is registered (BY_CAP), and @timeout_ms
 *           passed without it (dma_request_chan's -EPROBE_DEFER)
 *   EDQUOT  the caller's uid holds (or waits for) as many channels as its
 *           [limits] uid-channels allows (dmabufd.conf(5))
 *   EINTR   interrupted while waiting
 */
struct dmabufd_dma_request {
	__u32 how;
	__u32 cap_mask;
	__u32 timeout_ms;
	__u32 chan_id;
	char consumer[DMABUFD_DMA_NAME_LEN];
	char name[DMABUFD_DMA_NAME_LEN];
	char device[DMABUFD_DMA_NAME_LEN];
	__u32 caps;
	__u32 pad;
};
#define DMABUFD_DMA_REQ_BY_CAP 1
#define DMABUFD_DMA_REQ_BY_NAME 2
#define DMABUFD_DMA_REQ_BY_CHAN 3

/**
 * struct dmabufd_dma_caps - what the channel can do (dma_get_slave_caps)
 * @cap_mask: DMABUFD_DMA_CAP() bits
 * @directions: bit per enum dma_transfer_direction (0 without SLAVE/CYCLIC)
 * @src_addr_widths, @dst_addr_widths: bit n set: a width of n bytes
 * @min_burst, @max_burst: in units of the width
 * @max_sg: most segments one PREP takes (DMABUFD_DMA_MAX_SG)
 * @residue_granularity: 0 descriptor, 1 segment, 2 burst
 * @cmd_pause, @cmd_resume, @cmd_terminate: 1 when supported
 * @pad: 0
 * @max_len: longest single transfer in bytes
 *
 * DMABUFD_DMA_IOC_CAPS. Errors: EBADFD, ENODEV.
 */
struct dmabufd_dma_caps {
	__u32 cap_mask;
	__u32 directions;
	__u32 src_addr_widths;
	__u32 dst_addr_widths;
	__u32 min_burst;
	__u32 max_burst;
	__u32 max_sg;
	__u32 residue_granularity;
	__u8 cmd_pause;
	__u8 cmd_resume;
	__u8 cmd_terminate;
	__u8 pad[5];
	__u64 max_len;
};

/**
 * struct dmabufd_dma_slave_config - dmaengine_slave_config
 * @src_addr, @dst_addr: the peripheral's FIFO address (DEV_TO_MEM reads
 *              src_addr, MEM_TO_DEV writes dst_addr); 0 on the mock
 *              controller, whose FIFO is the request line's (a PREP then
 *              fails with EINVAL for another address)
 * @src_addr_width, @dst_addr_width: bytes (0 undefined, 1, 2, 4, 8)
 * @src_maxburst, @dst_maxburst: in units of the width
 * @device_fc: 0 or 1 (the peripheral is the flow controller). On the
 *              STM32 backend SxCR.PFCTRL for slave scatter-gather: each
 *              entry is one hardware transfer of at most 65535 items that
 *              the peripheral ends; the bytes it left count as the
 *              completion's residue (the channel's bytes_transferred
 *              leaves them out; TX_STATUS of an ended transfer reads 0).
 *              Cyclic transfers ignore it, as Linux; so does the mock.
 * @request_line: with DMABUFD_DMA_CFG_REQUEST_LINE in @flags, the
 *              peripheral request line (DMAMUX input on STM32, the loopback
 *              FIFO on the mock) for transfers prepared afterwards; else
 *              the line of the daemon's map entry (if any) stays
 * @flags: DMABUFD_DMA_CFG_*
 * @pad: must be 0
 *
 * DMABUFD_DMA_IOC_SLAVE_CONFIG applies to transfers prepared afterwards.
 * Errors: EINVAL for a width other than those, a width or burst the
 * channel cannot do, device_fc > 1, unknown flags or pad not 0; EOPNOTSUPP
 * for a channel without slave support (the kernel's -ENOSYS); EBADFD;
 * ENODEV.
 */
struct dmabufd_dma_slave_config {
	__u64 src_addr;
	__u64 dst_addr;
	__u32 src_addr_width;
	__u32 dst_addr_width;
	__u32 src_maxburst;
	__u32 dst_maxburst;
	__u32 device_fc;
	__u32 request_line;
	__u32 flags;
	__u32 pad;
};
#define DMABUFD_DMA_CFG_REQUEST_LINE (1u << 0)

/**
 * struct dmabufd_dma_attach - make a dma-buf usable on this channel
 * @token: in, a dma-buf token (DMABUFD_IOC_EXPORT_TOKEN on its fd); used
 *         up by the call, whether it succeeds or not
 * @attach_id: out, names the buffer in PREP until DETACH or release (> 0)
 * @pad: must be 0
 * @size: out, the buffer's size
 *
 * DMABUFD_DMA_IOC_ATTACH: dma_buf_attach + map for the channel's device.
 * The buffer stays referenced while attached; attaching it again gives a
 * new id for the same attachment. A buffer attached through a token of a
 * read-only fd can be a source only, one of a write-only fd a destination
 * only, one of an O_ACCMODE fd neither (EACCES from PREP otherwise). Errors:
 * EINVAL for a token that is not a live dma-buf token, or pad not 0;
 * EBUSY if the buffer's KERNEL fences are pending; ENOSPC past
 * DMABUFD_DMA_MAX_ATTACH attachments on the fd; ENOMEM; EBADFD; ENODEV.
 * DMABUFD_DMA_IOC_DETACH (same struct, only @attach_id read; the rest must
 * be 0): EINVAL for an unknown id or non-zero fields; EBUSY while a
 * prepared, submitted or running transfer uses it. After a TERMINATE with
 * no SYNCHRONIZE since, DETACH synchronizes the channel first (the
 * hardware may still be inside a terminated transfer).
 */
struct dmabufd_dma_attach {
	__u64 token;
	__u32 attach_id;
	__u32 pad;
	__u64 size;
};
#define DMABUFD_DMA_MAX_ATTACH 256

#define DMABUFD_DMA_MAX_SG 16

/* One piece of memory: @len bytes at @offset of attachment @attach_id. */
struct dmabufd_dma_seg {
	__u32 attach_id;
	__u32 pad;
	__u64 offset;
	__u64 len;
};

/**
 * struct dmabufd_dma_prep - prepare a transfer
 * @type: in, DMABUFD_DMA_MEMCPY, _SLAVE (to or from the peripheral) or
 *        _CYCLIC
 * @direction: in, SLAVE and CYCLIC: MEM_TO_DEV or DEV_TO_MEM; MEMCPY:
 *             MEM_TO_MEM (0)
 * @flags: in, DMABUFD_DMA_PREP_INTERRUPT (an event when it completes; for
 *         CYCLIC, one per period), DMABUFD_DMA_CTRL_ACK,
 *         DMABUFD_DMA_PREP_SUBMIT, DMABUFD_DMA_PREP_ISSUE
 * @nsegs: in, used entries of @segs (1..max_sg of CAPS; CYCLIC: 1)
 * @src: in, MEMCPY: where the bytes come from (@src.len = the total of
 *       @segs' lengths); else all 0
 * @segs: in, MEMCPY: the destination pieces, filled in order from @src
 *        (a scatter copy); SLAVE: the memory side, in order (scatter-
 *        gather to or from the peripheral); CYCLIC: the ring buffer;
 *        unused entries all 0
 * @period_len: in, CYCLIC: bytes per period; the buffer length must be a
 *              multiple of it; else 0
 * @pad2: must be 0
 * @desc_id: out, the descriptor, for SUBMIT (0 with PREP_SUBMIT)
 * @cookie: out, with DMABUFD_DMA_PREP_SUBMIT: the cookie
 * @pad: must be 0
 *
 * DMABUFD_DMA_IOC_PREP. A transfer of n segments runs on the channel as n
 * engine transfers in a row, each holding one of the channel's descriptors
 * from PREP until it ends (or the fd terminates or closes); the transfer
 * (its cookie, fence, event, status) ends with the last of them, with the
 * first error, and the segments before a failed one have been moved. With PREP_ISSUE every transfer submitted before this one is
 * issued too, as ISSUE_PENDING would; if that fails, this PREP fails and
 * nothing of it is left. Errors: EINVAL for an unknown type, direction or
 * flag, ISSUE without SUBMIT, unknown attach ids, segments outside their
 * buffer or of length 0, no segment or more than max_sg, a total length
 * over max_len or (MEMCPY) other than @src.len, overlapping source and
 * destination in one buffer, a period
 * that does not divide the buffer, or pad not 0; EACCES to write a buffer
 * attached read-only or to read one attached write-only (either, for one
 * attached through an O_ACCMODE fd); EOPNOTSUPP for a type the channel lacks; EBUSY when
 * the channel's descriptors are all in use; ENOSPC past
 * DMABUFD_DMA_MAX_PENDING prepared, submitted and running transfers on
 * the fd; EBADFD; ENODEV; and ISSUE_PENDING's errors with PREP_ISSUE.
 */
struct dmabufd_dma_prep {
	__u32 type;
	__u32 direction;
	__u32 flags;
	__u32 nsegs;
	struct dmabufd_dma_seg src;
	struct dmabufd_dma_seg segs[DMABUFD_DMA_MAX_SG];
	__u64 period_len;
	__u32 pad2;
	__u32 desc_id;
	__s32 cookie;
	__u32 pad;
};
#define DMABUFD_DMA_MAX_PENDING 256

/**
 * struct dmabufd_dma_submit - dmaengine_submit
 * @desc_id: in, a descriptor from PREP
 * @cookie: out, its cookie (> 0)
 *
 * DMABUFD_DMA_IOC_SUBMIT. Nothing starts until ISSUE_PENDING. Errors:
 * EINVAL for an unknown or submitted descriptor; EBADFD; ENODEV.
 */
struct dmabufd_dma_submit {
	__u32 desc_id;
	__s32 cookie;
};

/*
 * DMABUFD_DMA_IOC_ISSUE_PENDING (no argument): dma_async_issue_pending.
 * The submitted transfers, in cookie order, join their buffers'
 * reservation objects and the channel's queue. Errors: EBADFD; ENODEV;
 * EDEADLK or ENOMEM from a buffer's reservation object: then the
 * transfers before the failing one are issued, it and the later ones stay
 * submitted (issue again, or terminate). (When a later segment of a
 * multi-segment transfer is the one that fails, the transfer counts as
 * issued and ends with that error.)
 */

/**
 * struct dmabufd_dma_tx_status - dmaengine_tx_status
 * @cookie: in
 * @status: out, DMABUFD_DMA_COMPLETE, _IN_PROGRESS (submitted, waiting for
 *          implicit fences, queued or running), _PAUSED or _ERROR (ended
 *          with an error)
 * @last: out, the last cookie that ended
 * @used: out, the last cookie handed out
 * @residue: out, bytes of @cookie's transfer not transferred yet (cyclic:
 *           of the current pass over the ring)
 * @in_flight_bytes: out
 * @result: out, DMABUFD_DMA_TRANS_* of @cookie when it ended and the fd
 *          still remembers it: READ_FAILED for EIO, ABORTED for the other
 *          errors; else NOERROR
 * @error: out, the negative errno @cookie's fence signaled with (see the
 *         top of this file), or 0
 *
 * DMABUFD_DMA_IOC_TX_STATUS; never blocks. Errors: EINVAL for a cookie
 * < 1; EBADFD. (A removed controller's cookies read _ERROR with ENODEV.)
 */
struct dmabufd_dma_tx_status {
	__s32 cookie;
	__u32 status;
	__s32 last;
	__s32 used;
	__u32 residue;
	__u32 in_flight_bytes;
	__u32 result;
	__s32 error;
};

/**
 * struct dmabufd_dma_fence - the completion of a transfer as a sync_file
 * @cookie: in, a cookie this fd handed out
 * @pad: must be 0
 * @token: out, claim token of a sync_file (DMABUFD_NODE_SYNC_FILE) that
 *         signals when the transfer ends, with its error if it fails
 *
 * DMABUFD_DMA_IOC_FENCE. The fd keeps the fences of its transfers in
 * flight and of the last DMABUFD_DMA_FENCE_HISTORY that ended; an older
 * cookie gets a signaled stub. Errors: EINVAL for a cookie never handed
 * out or pad not 0; EBADFD; ENOMEM.
 */
struct dmabufd_dma_fence {
	__s32 cookie;
	__u32 pad;
	__u64 token;
};
#define DMABUFD_DMA_FENCE_HISTORY 64

/**
 * struct dmabufd_dma_wait - wait for a transfer to end, and how it ended
 * @timeout_ns: in, the most to wait (capped by the daemon's max wait,
 *              dmabufd.conf(5)); 0 only looks
 * @flags: must be 0
 * @pad: must be 0
 * @status: in, @status.cookie: a cookie this fd handed out, every other
 *          field 0; out, what DMABUFD_DMA_IOC_TX_STATUS answers once the
 *          transfer has ended (COMPLETE or ERROR, with @status.error)
 *
 * DMABUFD_DMA_IOC_WAIT: the wait of dma_sync_wait() and the status it
 * then knows, in one round trip (DMABUFD_DMA_IOC_FENCE, a sync_file wait
 * and its status take four). A cookie older than the fd's history reads
 * COMPLETE at once. Errors: EINVAL (a cookie never handed out, a field
 * that must be 0); EBADFD; ETIME when @timeout_ns passed first (the
 * transfer goes on); EINTR when the caller was interrupted; ENODEV when
 * the daemon stops.
 */
struct dmabufd_dma_wait {
	__s64 timeout_ns;
	__u32 flags;
	__u32 pad;
	struct dmabufd_dma_tx_status status;
};

/* DMABUFD_DMA_IOC_CONTROL ops */
#define DMABUFD_DMA_PAUSE 1
#define DMABUFD_DMA_RESUME 2
#define DMABUFD_DMA_TERMINATE 3   /* terminate_async: all queued work aborted */
#define DMABUFD_DMA_SYNCHRONIZE 4 /* waits until the hardware stopped */
#define DMABUFD_DMA_SET_TIMEOUT 5 /* the channel watchdog: @arg ms, 0 off */

/**
 * struct dmabufd_dma_control - pause, resume, terminate, synchronize,
 * watchdog
 * @op: in, DMABUFD_DMA_PAUSE, _RESUME, _TERMINATE, _SYNCHRONIZE or
 *      _SET_TIMEOUT
 * @arg: in, SET_TIMEOUT: the deadline in ms of an issued transfer at the
 *       head of the channel (0: no watchdog; the daemon's
 *       --dma-timeout-ms by default); must be 0 for the others
 *
 * DMABUFD_DMA_IOC_CONTROL. TERMINATE aborts every prepared, submitted,
 * queued and running transfer of the fd (their fences signal ECANCELED;
 * a cyclic one's without error), forgets the prepared descriptors, and
 * queues no event for them. Errors: EINVAL for an unknown op or @arg not
 * 0; EOPNOTSUPP when the channel cannot pause or resume (the kernel's
 * -ENOSYS); EPERM for PAUSE with nothing in progress or RESUME of a
 * channel not paused (as the controller reports); EBADFD; ENODEV.
 */
struct dmabufd_dma_control {
	__u32 op;
	__u32 arg;
};

/**
 * struct dmabufd_dma_event - one completion notice
 * @cookie: the transfer's
 * @error: 0, or the negative errno its fence signaled with
 * @result: DMABUFD_DMA_TRANS_NOERROR, READ_FAILED (EIO) or ABORTED
 * @period: cyclic: periods completed since the transfer started (1, 2,
 *          ...); 0 for a transfer that ended
 *
 * Queued for transfers prepared with DMABUFD_DMA_PREP_INTERRUPT when they
 * end (with or without an error, but not when TERMINATE or the fd's close
 * aborts them, as dmaengine calls no callback then), and per period of
 * such a cyclic transfer.
 */
struct dmabufd_dma_event {
	__s32 cookie;
	__s32 error;
	__u32 result;
	__u32 period;
};

#define DMABUFD_DMA_MAX_EVENTS 32
/* Notices the daemon queues per fd before it drops (and counts) them. */
#define DMABUFD_DMA_EVENT_QUEUE 256

/**
 * struct dmabufd_dma_events - take queued completion notices
 * @count: in, the most to take (1..DMABUFD_DMA_MAX_EVENTS; 0 means
 *         DMABUFD_DMA_MAX_EVENTS); out, entries filled (0 when none is
 *         queued)
 * @lost: out, notices dropped because the queue was full, since the last
 *        EVENTS
 * @events: out, oldest first
 *
 * DMABUFD_DMA_IOC_EVENTS; never blocks. poll() on the fd reports POLLIN
 * while notices are queued (and POLLOUT always; POLLERR without a
 * channel). Errors: EINVAL for @count over DMABUFD_DMA_MAX_EVENTS;
 * EBADFD.
 */
struct dmabufd_dma_events {
	__u32 count;
	__u32 lost;
	struct dmabufd_dma_event events[DMABUFD_DMA_MAX_EVENTS];
};

/*
 * The status page: the fd's cookies, readable without a round trip.
 *
 * dma_cookie_status() needs no lock in the kernel: it compares a cookie
 * with the channel's last completed and last used cookies. The daemon
 * publishes the fd's two cookies (those TX_STATUS reports as @last and
 * @used) in a page of shared memory that the holder of the fd maps
 * read-only, so a status without residue costs no call to the daemon.
 *
 * DMABUFD_DMA_IOC_STATUS_MAP issues a single-use token for the fd's page
 * (made at the first call; one page per fd, shared by every call); the
 * control socket's DMABUFD_CTL_MAP redeems it, by the uid the token was
 * issued to (root may redeem any), for a read-only open of the page's
 * memfd (an inode of mode 0600, sealed against shrinking and growing):
 * the client maps @size bytes PROT_READ, MAP_SHARED, and can neither map
 * it writable nor write(2) it. The page outlives the fd for those who
 * map it; the daemon then stops updating it and sets @generation to 0.
 *
 * The daemon updates the page on its loop thread whenever an answer of
 * TX_STATUS without residue could change (SUBMIT, ISSUE_PENDING, a
 * transfer's end, TERMINATE, PAUSE, RESUME, the history's trim, the
 * release), and before the end is visible anywhere else (the fence
 * signals, the event is queued), as a sequence count:
 *
 *   writer: seq = s + 1 (odd); release fence; store the fields;
 *           store seq = s + 2 with release
 *   reader: s1 = load seq with acquire; if odd, retry; load the fields;
 *           acquire fence; s2 = load seq; if s2 != s1, retry
 *
 * Readers bound their retries (libdmabufd: 64, then the ioctl).
 * A consistent snapshot answers TX_STATUS's @status for @cookie as:
 *
 *   @generation == 0 or DMABUFD_DMA_STATUS_ASK_ALL set: ask the ioctl;
 *   @cookie among @errs[0..@nerrs): DMABUFD_DMA_ERROR, with that error;
 *   else dma_async_is_complete(@cookie, @last, @used) (the kernel's rule:
 *   DMABUFD_DMA_COMPLETE for a cookie up to @last or never handed out,
 *   DMABUFD_DMA_IN_PROGRESS in between), but with
 *   DMABUFD_DMA_STATUS_ASK_LIVE set an in-progress answer must come from
 *   the ioctl (a transfer of the fd is paused, or failed in part and has
 *   pieces still running, or ended ahead of an older one).
 *
 * That is the ioctl's answer at the moment of the snapshot. (The ioctl
 * also asks the controller about a running transfer; it may so report
 * DMABUFD_DMA_COMPLETE a little before the daemon's loop has seen the
 * end, where the page still reads in progress.)
 *
 * @seq: the sequence count, odd while the daemon writes
 * @generation: non-zero and unique in the daemon's life for the fd while
 *              it is open; 0 once it was released (answers stop)
 * @used: the fd's last cookie handed out (TX_STATUS @used)
 * @last: every cookie up to it has ended (TX_STATUS @last)
 * @flags: DMABUFD_DMA_STATUS_*
 * @nerrs: used entries of @errs
 * @pad: 0
 * @errs: the transfers that ended with an error and that TX_STATUS still
 *        reports as DMABUFD_DMA_ERROR (the fd's history, up to
 *        DMABUFD_DMA_FENCE_HISTORY), by cookie, with the negative errno
 */
#define DMABUFD_DMA_STATUS_ERRS DMABUFD_DMA_FENCE_HISTORY
#define DMABUFD_DMA_STATUS_ASK_LIVE (1u << 0)
#define DMABUFD_DMA_STATUS_ASK_ALL (1u << 1)

struct dmabufd_dma_status_err {
	__s32 cookie;
	__s32 error;
};

struct dmabufd_dma_status_page {
	__u32 seq;
	__u32 generation;
	__s32 used;
	__s32 last;
	__u32 flags;
	__u32 nerrs;
	__u32 pad[2];
	struct dmabufd_dma_status_err errs[DMABUFD_DMA_STATUS_ERRS];
};

/**
 * struct dmabufd_dma_status_map - a token for the fd's status page
 * @token: out, for DMABUFD_CTL_MAP on the control socket, by the caller's
 *         uid; it dies unused with the fd or after the token TTL
 * @size: out, bytes to map (at least sizeof(struct
 *        dmabufd_dma_status_page))
 * @pad: out, 0
 *
 * DMABUFD_DMA_IOC_STATUS_MAP. Errors: EBADFD (no channel); ENOMEM (no
 * memory for the page, or past the token limits); EDQUOT past the
 * caller's uid's [limits] uid-tokens. An older daemon answers ENOTTY:
 * then use TX_STATUS. It works on a channel whose controller went away.
 */
struct dmabufd_dma_status_map {
	__u64 token;
	__u32 size;
	__u32 pad;
};

#define DMABUFD_DMA_IOC_REQUEST_CHAN _IOWR(DMABUFD_IOC_MAGIC, 0x50, struct dmabufd_dma_request)
#define DMABUFD_DMA_IOC_CAPS _IOR(DMABUFD_IOC_MAGIC, 0x51, struct dmabufd_dma_caps)
#define DMABUFD_DMA_IOC_SLAVE_CONFIG _IOW(DMABUFD_IOC_MAGIC, 0x52, struct dmabufd_dma_slave_config)
#define DMABUFD_DMA_IOC_ATTACH _IOWR(DMABUFD_IOC_MAGIC, 0x53, struct dmabufd_dma_attach)
#define DMABUFD_DMA_IOC_DETACH _IOW(DMABUFD_IOC_MAGIC, 0x54, struct dmabufd_dma_attach)
#define DMABUFD_DMA_IOC_PREP _IOWR(DMABUFD_IOC_MAGIC, 0x55, struct dmabufd_dma_prep)
#define DMABUFD_DMA_IOC_SUBMIT _IOWR(DMABUFD_IOC_MAGIC, 0x56, struct dmabufd_dma_submit)
#define DMABUFD_DMA_IOC_ISSUE_PENDING _IO(DMABUFD_IOC_MAGIC, 0x57)
#define DMABUFD_DMA_IOC_TX_STATUS _IOWR(DMABUFD_IOC_MAGIC, 0x58, struct dmabufd_dma_tx_status)
#define DMABUFD_DMA_IOC_FENCE _IOWR(DMABUFD_IOC_MAGIC, 0x59, struct dmabufd_dma_fence)
#define DMABUFD_DMA_IOC_CONTROL _IOW(DMABUFD_IOC_MAGIC, 0x5a, struct dmabufd_dma_control)
#define DMABUFD_DMA_IOC_EVENTS _IOWR(DMABUFD_IOC_MAGIC, 0x5b, struct dmabufd_dma_events)
#define DMABUFD_DMA_IOC_STATUS_MAP _IOR(DMABUFD_IOC_MAGIC, 0x5c, struct dmabufd_dma_status_map)
#define DMABUFD_DMA_IOC_WAIT _IOWR(DMABUFD_IOC_MAGIC, 0x5d, struct dmabufd_dma_wait)

#if !defined(__cplusplus)
_Static_assert(sizeof(struct dmabufd_dma_request) == 120, "dma_request size");
_Static_assert(sizeof(struct dmabufd_dma_caps) == 48, "dma_caps size");
_Static_assert(sizeof(struct dmabufd_dma_slave_config) == 48, "slave_config size");
_Static_assert(sizeof(struct dmabufd_dma_attach) == 24, "dma_attach size");
_Static_assert(sizeof(struct dmabufd_dma_seg) == 24, "dma_seg size");
_Static_assert(sizeof(struct dmabufd_dma_prep) == 16 + 24 + 16 * 24 + 24, "dma_prep size");
_Static_assert(sizeof(struct dmabufd_dma_submit) == 8, "dma_submit size");
_Static_assert(sizeof(struct dmabufd_dma_tx_status) == 32, "tx_status size");
_Static_assert(sizeof(struct dmabufd_dma_fence) == 16, "dma_fence size");
_Static_assert(sizeof(struct dmabufd_dma_wait) == 48, "dma_wait size");
_Static_assert(sizeof(struct dmabufd_dma_control) == 8, "dma_control size");
_Static_assert(sizeof(struct dmabufd_dma_event) == 16, "dma_event size");
_Static_assert(sizeof(struct dmabufd_dma_events) == 8 + 32 * 16, "dma_events size");
_Static_assert(sizeof(struct dmabufd_dma_status_err) == 8, "dma_status_err size");
_Static_assert(sizeof(struct dmabufd_dma_status_page) == 32 + 64 * 8, "dma_status_page size");
_Static_assert(sizeof(struct dmabufd_dma_status_map) == 16, "dma_status_map size");
#endif

#endif /* _DMABUFD_DMAENGINE_H */
