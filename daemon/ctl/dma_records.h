/* SPDX-License-Identifier: MIT */
/*
 * dma_records - the control socket's DMA listings as fixed-size records
 * (proto/dmabufd/control.h): controllers, channels (what /sys/class/dma
 * shows, and more), and the transfers of dmaengine node clients.
 *
 * Each function returns a malloc'ed array the caller frees (NULL when the
 * count is 0). Threading: loop thread only.
 */
#pragma once

struct dmabufd_ctl_dma_device;
struct dmabufd_ctl_dma_channel;
struct dmabufd_ctl_dma_xfer;

/* Registered controllers, in registration order. 0 or -ENOMEM. */
int ctl_dma_devices(struct dmabufd_ctl_dma_device **ret_recs,
		    unsigned *ret_count);

/* Every channel of every registered controller. 0 or -ENOMEM. */
int ctl_dma_channels(struct dmabufd_ctl_dma_channel **ret_recs,
		     unsigned *ret_count);

/* Transfers not ended (dmaengine_node_list_xfers()). 0 or -ENOMEM. */
int ctl_dma_xfers(struct dmabufd_ctl_dma_xfer **ret_recs,
		  unsigned *ret_count);
