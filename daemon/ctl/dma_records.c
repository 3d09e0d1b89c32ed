/* SPDX-License-Identifier: MIT */
/*
 * The DMA listings of the control socket (dma_records.h). The counters
 * come from dma_chan_get_stats(); the few things the core keeps private
 * (device id, DMA_PRIVATE hold, pause, the descriptors in flight) are
 * read, never written, for this snapshot.
 */
#include "dma_records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <dmabufd/control.h>

#include "dev/dmaengine_node.h"
#include "dmaengine/dmaengine.h"

struct walk {
	void *recs;
	unsigned count, max;
};

static int count_device(struct dma_device *dev, void *data)
{
	struct walk *w = data;

	w->count++;
	w->max += (unsigned)dev->chancnt;
	return 0;
}

static int add_device(struct dma_device *dev, void *data)
{
	struct walk *w = data;
	struct dmabufd_ctl_dma_device *rec =
		&((struct dmabufd_ctl_dma_device *)w->recs)[w->count++];

	*rec = (struct dmabufd_ctl_dma_device){
		.dev_id = (uint32_t)dev->dev_id,
		.chancnt = (uint32_t)dev->chancnt,
		.cap_mask = (uint32_t)dev->cap_mask.bits[0],
		.privatecnt = (uint32_t)dev->privatecnt,
		.directions = dev->directions,
		.residue_granularity = dev->residue_granularity,
		.flags = dma_has_cap(DMA_PRIVATE, dev->cap_mask)
				 ? DMABUFD_CTL_DEV_PRIVATE : 0,
	};
	snprintf(rec->name, sizeof(rec->name), "%s", dev->name);
	return 0;
}

int ctl_dma_devices(struct dmabufd_ctl_dma_device **ret_recs,
		    unsigned *ret_count)
{
	struct walk w = { 0 };

	dma_device_foreach(count_device, &w);
	if (w.count) {
		w.recs = calloc(w.count, sizeof(struct dmabufd_ctl_dma_device));
		if (!w.recs)
			return -ENOMEM;
	}
	w.count = 0;
	dma_device_foreach(add_device, &w);
	*ret_recs = w.recs;
	*ret_count = w.count;
	return 0;
}

static int add_channels(struct dma_device *dev, void *data)
{
	struct walk *w = data;
	struct dma_chan *chan;

	TAILQ_FOREACH(chan, &dev->channels, device_node) {
		struct dmabufd_ctl_dma_channel *rec;
		struct dma_async_tx_descriptor *tx;
		struct dma_chan_stats st = { 0 };

		if (w->count == w->max)
			break;
		rec = &((struct dmabufd_ctl_dma_channel *)w->recs)[w->count++];
		(void)dma_chan_get_stats(chan, &st);
		*rec = (struct dmabufd_ctl_dma_channel){
			.dev_id = (uint32_t)dev->dev_id,
			.chan_id = (uint32_t)chan->chan_id,
			.client_count = (uint32_t)chan->client_count,
			.table_count = (uint32_t)chan->table_count,
			.flags = (chan->client_count ? DMABUFD_CTL_CHAN_IN_USE : 0) |
				 (chan->privately_held ? DMABUFD_CTL_CHAN_PRIVATE : 0) |
				 (chan->paused ? DMABUFD_CTL_CHAN_PAUSED : 0),
			.request_line = chan->request_line,
			.cookie = chan->cookie,
			.completed_cookie = chan->completed_cookie,
			.timeout_ms = chan->timeout_ns / 1000000u,
			.xfer_count = st.xfer_count,
			.bytes_transferred = st.bytes_transferred,
			.errors = st.errors,
			.aborted = st.aborted,
			.timeouts = st.timeouts,
		};
		TAILQ_FOREACH(tx, &chan->active, core_node)
			rec->in_flight++;
		snprintf(rec->name, sizeof(rec->name), "%s", chan->name);
		snprintf(rec->device, sizeof(rec->device), "%s", dev->name);
		snprintf(rec->client, sizeof(rec->client), "%s",
			 chan->client_count ? chan->dbg_client_name : "");
	}
	return 0;
}

int ctl_dma_channels(struct dmabufd_ctl_dma_channel **ret_recs,
		     unsigned *ret_count)
{
	struct walk w = { 0 };

	dma_device_foreach(count_device, &w);
	w.count = 0;
	if (w.max) {
		w.recs = calloc(w.max, sizeof(struct dmabufd_ctl_dma_channel));
		if (!w.recs)
			return -ENOMEM;
	}
	dma_device_foreach(add_channels, &w);
	*ret_recs = w.recs;
	*ret_count = w.count;
	return 0;
}

int ctl_dma_xfers(struct dmabufd_ctl_dma_xfer **ret_recs, unsigned *ret_count)
{
	return dmaengine_node_list_xfers(ret_recs, ret_count);
}
