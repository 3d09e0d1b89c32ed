/* SPDX-License-Identifier: MIT */
/*
 * dma_records - the control socket's DMA listings as fixed-size records
 * (proto/dmabufd/control.h), made a batch at a time (listing.h):
 * controllers, channels (what /sys/class/dma shows, and more), and the
 * transfers of dmaengine node clients. Threading: loop thread only.
 */
#pragma once

#include "listing.h"

/* Registered controllers, by dev_id. */
extern const struct ctl_lister ctl_dma_device_lister;

/* Every channel of every registered controller, by dev_id, chan_id. */
extern const struct ctl_lister ctl_dma_channel_lister;

/*
 * Transfers not ended, fd by fd in open order, each fd's in prepare
 * order (dmaengine_node_xfer_seek()).
 */
extern const struct ctl_lister ctl_dma_xfer_lister;
