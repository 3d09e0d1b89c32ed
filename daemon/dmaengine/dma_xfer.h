/* SPDX-License-Identifier: MIT */
/*
 * dma_xfer - DMA transfers on dma-buf memory, with implicit and explicit
 * fences.
 *
 * Attachments. dma_xfer_attach() attaches a dma_buf to a channel and maps
 * it for DMA (DMA_BIDIRECTIONAL, under the buffer's resv lock) once;
 * attaching the same buffer to the same channel again returns the same
 * attachment with a new reference. An attachment holds a reference on its
 * buffer and on the channel's device; its last unref unmaps and detaches.
 * Transfers name memory as (attachment, offset, length), checked against
 * the mapping.
 *
 * Transfers. dma_xfer_memcpy(), dma_xfer_slave() and dma_xfer_cyclic()
 * check their arguments (with the backend's prep op, whose descriptor is
 * given back at once). A transfer holds a backend descriptor only from
 * the moment it starts until it ends, so a terminate, the watchdog or
 * device removal, which take back every descriptor of the channel, leave
 * nothing dangling in transfers still waiting for their fences: the
 * watchdog leaves those to start later, terminate ends them (-ECANCELED).
 * A transfer whose fences are met while the backend's descriptor pool is
 * empty waits for a running transfer of the channel to end (or fails
 * with -EBUSY when none runs).
 * dma_xfer_submit() creates the transfer's fence (driver "dmabufd-dma",
 * timeline the channel's name, one context per channel, seqnos in
 * submission order), publishes it in the buffers' reservation objects (WRITE usage on
 * the destination, READ on the source) and queues the transfer on its
 * channel. The queue starts in order: its head starts (dmaengine_submit +
 * dma_async_issue_pending) once the implicit fences it needs have signaled
 * (for a buffer it writes: every reader and writer, resv usage READ; for a
 * buffer it reads: writers, usage WRITE), without blocking the loop. The
 * cookie exists from then on.
 *
 * Results: the fence signals when the transfer ends, with
 *   0            success (a cyclic transfer: stopped by terminate)
 *   -EIO         DMA_TRANS_READ_FAILED / DMA_TRANS_WRITE_FAILED
 *   -ECANCELED   aborted by terminate or channel release (or by the
 *                watchdog, when queued behind the transfer that hung),
 *                or DMA_TRANS_ABORTED from the backend
 *   -ETIMEDOUT   the watchdog aborted it
 *   -ENODEV      the device went away
 *   other        the error that kept it from starting
 *
 * Life cycle: the prep functions give the caller one reference; the
 * channel holds another from submit until the transfer ends. An unsubmitted
 * transfer has no fence and no descriptor, and is not touched by terminate.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdint.h>

#include "dmaengine.h"
#include "model/dma_buf.h"
#include "model/fence.h"
#include "model/sync_file.h"

#define DMA_XFER_DRIVER_NAME "dmabufd-dma"

/*
 * Attach @buf to the held channel @chan (or find its attachment). Returns
 * 0 and *ret_att (a new reference), -EINVAL, -EPERM when @chan is not held,
 * -ENODEV when its device is gone, -EDEADLK when @buf's resv is locked,
 * -EBUSY when a KERNEL-usage fence of @buf is pending, -ENOMEM, or the
 * exporter's error.
 */
int dma_xfer_attach(struct dma_chan *chan, struct dma_buf *buf,
		    struct dma_xfer_att **ret_att);
struct dma_xfer_att *dma_xfer_att_ref(struct dma_xfer_att *att);
/* Drop a reference; NULL is a no-op. Always returns NULL. */
struct dma_xfer_att *dma_xfer_att_unref(struct dma_xfer_att *att);
DEFINE_UNREF_CLEANUP(struct dma_xfer_att, dma_xfer_att_unref)
/*
 * The bus address of byte @off of the attachment and how many bytes from
 * there are contiguous (for raw prep calls). Returns 0, or -EINVAL when
 * @off is outside the mapping.
 */
int dma_xfer_att_addr(const struct dma_xfer_att *att, uint64_t off,
		      dma_addr_t *ret_addr, uint64_t *ret_contig);
/* Bytes the mapping covers. */
uint64_t dma_xfer_att_size(const struct dma_xfer_att *att);
/* The attached buffer (borrowed) and its channel. */
struct dma_buf *dma_xfer_att_buf(const struct dma_xfer_att *att);
struct dma_chan *dma_xfer_att_chan(const struct dma_xfer_att *att);

/*
 * Copy @len bytes from @src at @src_off to @dst at @dst_off, both
 * attachments of the same channel, which needs DMA_MEMCPY (a copy whose
 * ranges span several sg entries needs the backend's memcpy_sg).
 * Returns 0 and *ret_xfer (one reference), -EINVAL (NULL, len 0, a range
 * outside the mapping, two channels, overlapping ranges of one buffer,
 * bad flags), -EOPNOTSUPP, -EPERM, -ENODEV, -ENOMEM, or the backend's
 * prep error.
 */
int dma_xfer_memcpy(struct dma_xfer_att *dst, uint64_t dst_off,
		    struct dma_xfer_att *src, uint64_t src_off, uint64_t len,
		    unsigned long flags, struct dma_xfer **ret_xfer);

/*
 * A slave transfer between the buffer range and the channel's peripheral
 * (dmaengine_slave_config first): @dir is DMA_MEM_TO_DEV (the buffer is
 * read) or DMA_DEV_TO_MEM (written). Errors as dma_xfer_memcpy().
 */
int dma_xfer_slave(struct dma_xfer_att *att, uint64_t off, uint64_t len,
		   enum dma_transfer_direction dir, unsigned long flags,
		   struct dma_xfer **ret_xfer);

/*
 * A cyclic transfer over @buf_len bytes at @off, in periods of
 * @period_len (buf_len a multiple of it). It runs until terminate; each
 * period completed is counted (dma_xfer_periods()) and reported to the
 * period callback. Errors as dma_xfer_memcpy().
 */
int dma_xfer_cyclic(struct dma_xfer_att *att, uint64_t off, uint64_t buf_len,
		    uint64_t period_len, enum dma_transfer_direction dir,
		    unsigned long flags, struct dma_xfer **ret_xfer);

/*
 * Publish the fence and queue the transfer (see the top). Returns 0,
 * -EINVAL when @xfer is NULL or submitted already, -ENODEV, -EDEADLK when
 * a buffer's resv is locked, or -ENOMEM (the transfer is then left
 * unsubmitted).
 */
int dma_xfer_submit(struct dma_xfer *xfer);

struct dma_xfer *dma_xfer_ref(struct dma_xfer *xfer);
/* Drop a reference; NULL is a no-op. Always returns NULL. */
struct dma_xfer *dma_xfer_unref(struct dma_xfer *xfer);
DEFINE_UNREF_CLEANUP(struct dma_xfer, dma_xfer_unref)

/* The completion fence (borrowed; fence_ref() it to keep it), NULL before
 * dma_xfer_submit(). */
struct fence *dma_xfer_fence(const struct dma_xfer *xfer);

/* A sync_file of the completion fence. 0 and *ret_sf, -EINVAL (also
 * before submit), -ENOMEM. */
int dma_xfer_export_sync_file(const struct dma_xfer *xfer,
			      struct sync_file **ret_sf);

/*
 * What @xfer still waits for before it may start (the hang report): its
 * implicit fences that have not signaled, borrowed, the first @max of
 * them in @ret. Returns how many there are (0 once its fences are met).
 */
unsigned dma_xfer_blockers(const struct dma_xfer *xfer, struct fence **ret,
			   unsigned max);

/* The channel of @xfer. */
struct dma_chan *dma_xfer_chan(const struct dma_xfer *xfer);

/* The cookie, or 0 while the transfer waits for its implicit fences (or
 * if it never started). */
dma_cookie_t dma_xfer_cookie(const struct dma_xfer *xfer);

/*
 * Status: DMA_IN_PROGRESS while waiting or running (residue = the whole
 * length while waiting), DMA_PAUSED, DMA_COMPLETE once the fence signaled
 * without error, DMA_ERROR when it signaled with one. @state may be NULL.
 */
enum dma_status dma_xfer_status(const struct dma_xfer *xfer,
				struct dma_tx_state *state);

/*
 * Transfers running on an engine now, over every registered device:
 * started and not ended, cyclic ones left out (they end only when
 * terminated). What a graceful stop waits for.
 */
unsigned dma_xfer_running_count(void);

/* Fence status: 0 pending, 1 done, or the negative errno (see top). */
int dma_xfer_result(const struct dma_xfer *xfer);

/* Periods of a cyclic transfer completed so far (0 for others). */
uint64_t dma_xfer_periods(const struct dma_xfer *xfer);

/*
 * Call @fn(xfer, data) after each completed period of a cyclic transfer,
 * from the loop thread. NULL @fn removes it. Returns 0 or -EINVAL.
 */
typedef void (*dma_xfer_period_fn)(struct dma_xfer *xfer, void *data);
int dma_xfer_set_period_cb(struct dma_xfer *xfer, dma_xfer_period_fn fn,
			   void *data);
