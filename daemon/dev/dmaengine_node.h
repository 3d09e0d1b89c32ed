/* SPDX-License-Identifier: MIT */
/*
 * The dmaengine node seen from the rest of the daemon: its one setting
 * (the watchdog deadline each requested channel starts with), and what
 * the control socket lists (channels held, transfers not ended). The
 * node's ioctls are in dmaengine_node.c (proto/dmabufd/dmaengine.h).
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdint.h>

struct dmabufd_ctl_dma_xfer;

/*
 * The watchdog deadline (ms; 0: none) given to every channel when a
 * client takes it; DMA_CHAN_DEFAULT_TIMEOUT_MS until set. A client may
 * change its channel's with DMABUFD_DMA_SET_TIMEOUT.
 */
void dmaengine_node_set_default_timeout(uint64_t timeout_ms);

/* Channels held by dmaengine node fds. */
unsigned dmaengine_node_channels_held(void);

/*
 * Every transfer of every dmaengine fd that has not ended (prepared,
 * submitted, waiting or active), fd by fd, in cookie order. Returns 0
 * with a malloc'ed array in *ret_recs (NULL when *ret_count is 0; the
 * caller frees it), or -ENOMEM.
 */
int dmaengine_node_list_xfers(struct dmabufd_ctl_dma_xfer **ret_recs,
			      unsigned *ret_count);
