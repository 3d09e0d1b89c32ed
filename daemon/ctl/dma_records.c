/* SPDX-License-Identifier: MIT */
/*
 * The DMA listings of the control socket (dma_records.h). The counters
 * come from dma_chan_get_stats(); the few things the core keeps private
 * (device id, DMA_PRIVATE hold, pause, the descriptors in flight) are
 * read, never written. Controllers and channels are few (dozens), so a
 * seek walks them all: the key is (0, dev_id) for a controller and
 * (dev_id, chan_id) for a channel. Transfers seek in dev/dmaengine_node.c.
 */
#include "dma_records.h"

#include <stdio.h>

#include <dmabufd/control.h>

#include "dev/dmaengine_node.h"
#include "dmaengine/dmaengine.h"

/* Controllers. */

struct dev_seek {
	uint64_t from;
	struct dma_device *best;
};

static int seek_device_one(struct dma_device *dev, void *data)
{
	struct dev_seek *s = data;

	if (dev->dev_id >= 0 && (uint64_t)dev->dev_id >= s->from &&
	    (!s->best || dev->dev_id < s->best->dev_id))
		s->best = dev;
	return 0;
}

static struct dma_device *device_from(uint64_t dev_id)
{
	struct dev_seek s = { .from = dev_id };

	dma_device_foreach(seek_device_one, &s);
	return s.best;
}

static void *seek_device(struct ctl_key *key)
{
	struct dma_device *dev = key->hi ? NULL : device_from(key->lo);

	if (dev)
		key->lo = (uint64_t)dev->dev_id;
	return dev;
}

static void fill_device(const struct ctl_listing *l, void *obj, void *out)
{
	struct dmabufd_ctl_dma_device *rec = out;
	struct dma_device *dev = obj;

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
}

const struct ctl_lister ctl_dma_device_lister = {
	.op = DMABUFD_CTL_DMA_DEVICES,
	.rec_size = sizeof(struct dmabufd_ctl_dma_device),
	.seek = seek_device,
	.fill = fill_device,
};

/* Channels. */

static void *seek_channel(struct ctl_key *key)
{
	struct dma_device *dev;

	for (dev = device_from(key->hi); dev;
	     dev = device_from((uint64_t)dev->dev_id + 1)) {
		struct dma_chan *chan, *best = NULL;

		TAILQ_FOREACH(chan, &dev->channels, device_node)
			if (((uint64_t)dev->dev_id > key->hi ||
			     (uint64_t)chan->chan_id >= key->lo) &&
			    (!best || chan->chan_id < best->chan_id))
				best = chan;
		if (best) {
			key->hi = (uint64_t)dev->dev_id;
			key->lo = (uint64_t)best->chan_id;
			return best;
		}
	}
	return NULL;
}

static void fill_channel(const struct ctl_listing *l, void *obj, void *out)
{
	struct dmabufd_ctl_dma_channel *rec = out;
	struct dma_async_tx_descriptor *tx;
	struct dma_chan *chan = obj;
	struct dma_device *dev = chan->device;
	struct dma_chan_stats st = { 0 };

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
	/* Who holds it (a pid and comm) is for its holder's uid to see. */
	if (chan->client_count &&
	    (ctl_listing_sees_all(l) || chan->client_uid == l->uid))
		snprintf(rec->client, sizeof(rec->client), "%s",
			 chan->dbg_client_name);
}

const struct ctl_lister ctl_dma_channel_lister = {
	.op = DMABUFD_CTL_DMA_CHANNELS,
	.rec_size = sizeof(struct dmabufd_ctl_dma_channel),
	.seek = seek_channel,
	.fill = fill_channel,
};

/* Transfers. */

static void *seek_xfer(struct ctl_key *key)
{
	return dmaengine_node_xfer_seek(&key->hi, &key->lo);
}

static void fill_xfer(const struct ctl_listing *l, void *obj, void *out)
{
	dmaengine_node_xfer_record(obj, out);
}

static uid_t owner_xfer(const void *obj)
{
	return dmaengine_node_xfer_owner(obj);
}

const struct ctl_lister ctl_dma_xfer_lister = {
	.op = DMABUFD_CTL_DMA_XFERS,
	.rec_size = sizeof(struct dmabufd_ctl_dma_xfer),
	.seek = seek_xfer,
	.owner = owner_xfer,
	.fill = fill_xfer,
};
