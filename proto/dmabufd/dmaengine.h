/* SPDX-License-Identifier: MIT */
/*
 * dmabufd wire ABI: the dmaengine node (DMABUFD_NODE_DMAENGINE).
 *
 * The kernel keeps dmaengine inside the kernel; dmabufd exposes it. Each
 * open of the node is one consumer holding at most one channel, as a
 * driver holds what dma_request_chan() gave it: DMABUFD_DMA_IOC_REQUEST_CHAN
 * binds the fd to a channel, and the channel is released
 * (dma_release_channel) when the fd's last reference goes away, whatever
 * the client was doing. The flow is the kernel client API's
 * (Documentation/driver-api/dmaengine/client.rst):
 *
 *   REQUEST_CHAN -> SLAVE_CONFIG (slave and cyclic only) -> ATTACH each
 *   dma-buf once -> PREP (a descriptor) -> SUBMIT (a cookie) ->
 *   ISSUE_PENDING (starts the queue) -> TX_STATUS / FENCE / EVENTS.
 *
 * PREP takes DMABUFD_DMA_PREP_SUBMIT and DMABUFD_DMA_PREP_ISSUE to do the
 * three steps in one round trip.
 *
 * Memory: transfers name dma-buf memory through attachments made on the
 * channel (dma_buf_attach + map, once), by attachment id and byte offset.
 * A transfer waits, without blocking anyone, for the implicit fences its
 * buffers carry (the destination: every reader and writer; the sources:
 * the writers), then adds its own completion fence to them (a writer of
 * the destination, a reader of the sources), so a CPU access or another
 * transfer on the same buffers orders itself after it. FENCE hands the
 * completion out as a sync_file; a transfer that fails signals it with an
 * error: EIO (the engine reported a read or write failure), ECANCELED
 * (terminated), ETIMEDOUT (the channel watchdog aborted it), ENODEV (the
 * controller went away).
 *
 * Numbers 0x50-0x6f of DMABUFD_IOC_MAGIC. Values of enums and flags are
 * the kernel's (include/linux/dmaengine.h).
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
#define DMABUFD_DMA_CTRL_ACK (1u << 1)
/* dmabufd's own PREP flags, above the kernel's */
#define DMABUFD_DMA_PREP_SUBMIT (1u << 16) /* submit at once; cookie in the reply */
#define DMABUFD_DMA_PREP_ISSUE (1u << 17)  /* and issue_pending (needs SUBMIT) */

/**
 * struct dmabufd_dma_request - bind this fd to a channel
 * @how: in, DMABUFD_DMA_REQ_BY_CAP, _BY_NAME or _BY_CHAN
 * @cap_mask: in, BY_CAP: the capabilities the channel must have
 * @timeout_ms: in, how long to wait for a controller that is not there
 *              yet (0: fail at once with EAGAIN); capped by the daemon
 * @chan_id: out, the channel's id in the daemon
 * @consumer: in, BY_NAME: the consumer device ("dmas" owner in the map)
 * @name: in, BY_NAME: the dma-name in the daemon's channel map;
 *        BY_CHAN: the channel name ("dma0chan1"); out: the channel name
 * @device: out, the controller's name
 * @caps: out, the channel's capability mask
 * @pad: must be 0
 *
 * DMABUFD_DMA_IOC_REQUEST_CHAN. Errors:
 *   EINVAL  unknown @how, pad not 0, names without NUL, empty cap mask
 *   EBUSY   this fd holds a channel already; BY_CHAN of a channel in use
 *   ENODEV  no registered channel can serve the request, or no map entry
 *   EAGAIN  the map names a controller that has not appeared (yet), and
 *           @timeout_ms passed without it (dma_request_chan's -EPROBE_DEFER)
 *   EINTR   interrupted while waiting
 */
struct dmabufd_dma_request {
	__u32 how;
	__u32 cap_mask;
	__u32 timeout_ms;
	__u32 chan_id;
	char consumer[32];
	char name[32];
	char device[32];
	__u32 caps;
	__u32 pad;
};
#define DMABUFD_DMA_REQ_BY_CAP 1
#define DMABUFD_DMA_REQ_BY_NAME 2
#define DMABUFD_DMA_REQ_BY_CHAN 3

/**
 * struct dmabufd_dma_caps - what the channel can do (dma_get_slave_caps)
 * @cap_mask: DMABUFD_DMA_CAP() bits
 * @directions: bit per enum dma_transfer_direction
 * @src_addr_widths, @dst_addr_widths: bit per supported bus width in bytes
 * @min_burst, @max_burst: in units of the width
 * @max_sg: most segments one PREP takes (DMABUFD_DMA_MAX_SG at most)
 * @residue_granularity: 0 descriptor, 1 segment, 2 burst
 * @cmd_pause, @cmd_resume, @cmd_terminate: 1 when supported
 * @pad: 0
 * @max_len: longest single transfer in bytes
 *
 * DMABUFD_DMA_IOC_CAPS. Errors: EBADFD if no channel is held.
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
 *              src_addr, MEM_TO_DEV writes dst_addr); on the mock
 *              controller the request line's loopback FIFO number
 * @src_addr_width, @dst_addr_width: bytes (1, 2, 4, 8; 0 undefined)
 * @src_maxburst, @dst_maxburst: in units of the width
 * @device_fc: 1 if the peripheral is the flow controller
 * @request_line: the peripheral request (DMAMUX line on STM32)
 * @pad: must be 0
 *
 * DMABUFD_DMA_IOC_SLAVE_CONFIG applies to transfers prepared afterwards.
 * Errors: EINVAL for a width or burst the channel cannot do or pad not 0;
 * ENOSYS-as-kernel becomes EOPNOTSUPP here (a channel without slave
 * support); EBADFD if no channel is held.
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
	__u64 pad;
};

/**
 * struct dmabufd_dma_attach - make a dma-buf usable on this channel
 * @token: in, a dma-buf token (DMABUFD_IOC_EXPORT_TOKEN on its fd); consumed
 * @attach_id: out, names the buffer in PREP until DETACH or release
 * @pad: must be 0
 * @size: out, the buffer's size
 *
 * DMABUFD_DMA_IOC_ATTACH: dma_buf_attach + map for the channel's device.
 * The buffer stays referenced while attached. Errors: EINVAL for a token
 * that is not a live dma-buf token or pad not 0; EBADFD if no channel is
 * held; ENOMEM; EBUSY if the buffer's KERNEL fences are pending.
 * DMABUFD_DMA_IOC_DETACH (same struct, @attach_id in): EINVAL for an
 * unknown id; EBUSY while a transfer on it has not completed.
 */
struct dmabufd_dma_attach {
	__u64 token;
	__u32 attach_id;
	__u32 pad;
	__u64 size;
};

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
 * @type: in, DMABUFD_DMA_MEMCPY, _SLAVE (scatter-gather to or from the
 *        peripheral) or _CYCLIC; a MEMCPY with @nsegs > 1 is a
 *        scatter-gather memory copy from @src into @segs
 * @direction: in, SLAVE and CYCLIC: MEM_TO_DEV or DEV_TO_MEM
 * @flags: in, DMABUFD_DMA_PREP_* and DMA_CTRL_ACK
 * @nsegs: in, used entries of @segs (1..max_sg)
 * @src: in, MEMCPY: where the bytes come from (len = the total)
 * @segs: in, MEMCPY: the destination pieces; SLAVE: the memory side;
 *        CYCLIC: @segs[0] is the ring buffer
 * @period_len: in, CYCLIC: bytes per period; the buffer length must be a
 *              multiple of it
 * @timeout_ms: in, watchdog deadline of this transfer (0: the channel's)
 * @desc_id: out, the descriptor, for SUBMIT
 * @cookie: out, with DMABUFD_DMA_PREP_SUBMIT: the cookie
 * @pad: must be 0
 *
 * DMABUFD_DMA_IOC_PREP. Errors: EINVAL for an unknown type or direction,
 * unknown attach ids, segments outside their buffer, zero lengths, lengths
 * the channel cannot do, a period that does not divide the buffer, or pad
 * not 0; EOPNOTSUPP for a type the channel lacks; EBADFD if no channel is
 * held; ENOSPC when the channel's descriptor pool is exhausted; ENODEV if
 * the controller went away; EBUSY for a cyclic transfer on a busy channel.
 */
struct dmabufd_dma_prep {
	__u32 type;
	__u32 direction;
	__u32 flags;
	__u32 nsegs;
	struct dmabufd_dma_seg src;
	struct dmabufd_dma_seg segs[DMABUFD_DMA_MAX_SG];
	__u64 period_len;
	__u32 timeout_ms;
	__u32 desc_id;
	__s32 cookie;
	__u32 pad;
};

/**
 * struct dmabufd_dma_submit - dmaengine_submit
 * @desc_id: in, a descriptor from PREP
 * @cookie: out, its cookie (> 0)
 *
 * DMABUFD_DMA_IOC_SUBMIT. Errors: EINVAL for an unknown or submitted
 * descriptor; EBADFD if no channel is held; ENODEV if the controller went
 * away.
 */
struct dmabufd_dma_submit {
	__u32 desc_id;
	__s32 cookie;
};

/**
 * struct dmabufd_dma_tx_status - dmaengine_tx_status
 * @cookie: in
 * @status: out, DMABUFD_DMA_COMPLETE, _IN_PROGRESS, _PAUSED or _ERROR
 * @last: out, the last completed cookie
 * @used: out, the last issued cookie
 * @residue: out, bytes not transferred yet of @cookie's transfer
 * @in_flight_bytes: out
 * @result: out, DMABUFD_DMA_TRANS_* of @cookie when it has completed and
 *          the channel still remembers it (else NOERROR)
 *
 * DMABUFD_DMA_IOC_TX_STATUS; never blocks. Errors: EINVAL for a cookie
 * < 1; EBADFD if no channel is held.
 */
struct dmabufd_dma_tx_status {
	__s32 cookie;
	__u32 status;
	__s32 last;
	__s32 used;
	__u32 residue;
	__u32 in_flight_bytes;
	__u32 result;
	__u32 pad;
};

/**
 * struct dmabufd_dma_fence - the completion of a transfer as a sync_file
 * @cookie: in, a submitted cookie of this channel
 * @pad: must be 0
 * @token: out, claim token of a sync_file that signals when the transfer
 *         completes (with an error if it fails)
 *
 * DMABUFD_DMA_IOC_FENCE. A cookie that completed long ago (the channel
 * keeps the fences of its last DMABUFD_DMA_FENCE_HISTORY transfers) gets
 * a signaled stub. Errors: EINVAL for a cookie never issued or pad not 0;
 * EBADFD if no channel is held; ENOMEM.
 */
struct dmabufd_dma_fence {
	__s32 cookie;
	__u32 pad;
	__u64 token;
};
#define DMABUFD_DMA_FENCE_HISTORY 64

/* DMABUFD_DMA_IOC_CONTROL ops */
#define DMABUFD_DMA_PAUSE 1
#define DMABUFD_DMA_RESUME 2
#define DMABUFD_DMA_TERMINATE 3   /* terminate_async: all queued work aborted */
#define DMABUFD_DMA_SYNCHRONIZE 4 /* waits until the hardware stopped */

/**
 * struct dmabufd_dma_control - pause, resume, terminate, synchronize
 * @op: in, DMABUFD_DMA_PAUSE, _RESUME, _TERMINATE or _SYNCHRONIZE
 * @pad: must be 0
 *
 * DMABUFD_DMA_IOC_CONTROL. Errors: EINVAL for an unknown op or pad not 0;
 * EOPNOTSUPP when the channel cannot pause or resume (the kernel's
 * -ENOSYS); EPERM for PAUSE with nothing in progress or RESUME of a
 * channel not paused; EBADFD if no channel is held.
 */
struct dmabufd_dma_control {
	__u32 op;
	__u32 pad;
};

/* One completion notice: a DMA_PREP_INTERRUPT transfer, or a cyclic period. */
struct dmabufd_dma_event {
	__s32 cookie;
	__u32 result;  /* DMABUFD_DMA_TRANS_* */
	__u32 residue;
	__u32 period;  /* cyclic: the period's index since start; else 0 */
};

#define DMABUFD_DMA_MAX_EVENTS 32

/**
 * struct dmabufd_dma_events - take queued completion notices
 * @count: out, entries filled
 * @lost: out, notices dropped because the queue was full since last time
 * @events: out, oldest first
 *
 * DMABUFD_DMA_IOC_EVENTS; never blocks. poll() reports POLLIN while
 * notices are queued. Errors: EBADFD if no channel is held.
 */
struct dmabufd_dma_events {
	__u32 count;
	__u32 lost;
	struct dmabufd_dma_event events[DMABUFD_DMA_MAX_EVENTS];
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
#define DMABUFD_DMA_IOC_EVENTS _IOR(DMABUFD_IOC_MAGIC, 0x5b, struct dmabufd_dma_events)

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
_Static_assert(sizeof(struct dmabufd_dma_control) == 8, "dma_control size");
_Static_assert(sizeof(struct dmabufd_dma_events) == 8 + 32 * 16, "dma_events size");
#endif

#endif /* _DMABUFD_DMAENGINE_H */
