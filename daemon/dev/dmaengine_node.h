/* SPDX-License-Identifier: MIT */
/*
 * The dmaengine node seen from the rest of the daemon: its one setting
 * (the watchdog deadline each requested channel starts with), what the
 * control socket lists (transfers not ended), and the fence of a cookie
 * (DMABUFD_IOC_CREATE). Its counts (channels held, status pages) reach
 * dev_get_stats() through its node ops (get_stats). The node's ioctls
 * are in dmaengine_node*.c (proto/dmabufd/dmaengine.h).
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

struct dev_file;
struct dma_chan;
struct dmabufd_ctl_dma_xfer;
struct dma_node_xfer;
struct fence;

/*
 * The watchdog deadline (ms; 0: none) given to every channel when a
 * client takes it; DMA_CHAN_DEFAULT_TIMEOUT_MS until set. A client may
 * change its channel's with DMABUFD_DMA_SET_TIMEOUT.
 */
void dmaengine_node_set_default_timeout(uint64_t timeout_ms);

/*
 * For the control socket's listing, which resumes by key: of every
 * transfer of every dmaengine fd that has not ended (prepared, submitted,
 * waiting or active), the one with the smallest key (fd open number
 * dev_file.id, then its prepare number, 1, 2, ... per fd) >= (*@fd_id,
 * *@seq), with its key set there; NULL if none. Borrowed: valid until the
 * loop runs again. O(fds with a channel + their transfers).
 */
struct dma_node_xfer *dmaengine_node_xfer_seek(uint64_t *fd_id,
					       uint64_t *seq);

/* The channel dmaengine fd @file holds (borrowed), or NULL: none, or
 * @file is no dmaengine fd. */
struct dma_chan *dmaengine_node_file_chan(const struct dev_file *file);

/* The uid of the fd @x was prepared on. */
uid_t dmaengine_node_xfer_owner(const struct dma_node_xfer *x);

/* The listing's record of @x (dmaengine_node_xfer_seek()). */
void dmaengine_node_xfer_record(const struct dma_node_xfer *x,
				struct dmabufd_ctl_dma_xfer *rec);

/*
 * A new reference to the fence of @cookie on the dmaengine fd @file (a
 * signaled stub for a cookie that ended long ago), as
 * DMABUFD_DMA_IOC_FENCE. Returns 0, -EBADFD (no channel), -EINVAL (a
 * cookie never handed out) or -ENOMEM.
 */
int dmaengine_node_cookie_fence(struct dev_file *file, int32_t cookie,
				struct fence **ret_fence);
