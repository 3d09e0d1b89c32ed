/* SPDX-License-Identifier: MIT */
/*
 * /sys/kernel/debug/dmaengine/summary, after dmaengine_summary_show()
 * and dmaengine_dbg_summary_show() in drivers/dma/dmaengine.c (added in
 * 5.7 with the list_empty() checks of 5.8; the same text through 6.12):
 *
 *   per controller:
 *     dma%d (%s): number of channels: %u      dev_id, device name, chancnt
 *     per channel with clients (client_count > 0):
 *       " %-13s| %s"                          its name, its client
 *     a blank line, except after the last controller
 *
 * The client is the kernel's dbg_client_name: "CONSUMER:NAME" for a
 * channel requested by consumer name through the map (dma_request_chan()
 * sets "dev_name:name"); where the kernel prints "in-use" (a channel
 * taken by capability or by channel name) the daemon prints its holder,
 * "pid N (comm)", to root and the holder's own uid, and "in-use" to
 * others (the listings' rule). The device name is the controller's
 * ("mock0") where the kernel prints dev_name(dma_dev->dev). No channel
 * is routed (" (via router: %s)" is never printed: DMAMUX1 is part of
 * the stm32-uio controller, not a router device). Controllers are in
 * dev_id order; the kernel's list is in registration order, the same
 * unless a controller went and another took its lower id.
 */
#include "debug.h"

#include "dmaengine/dmaengine.h"

struct dev_seek {
	uint64_t from;
	struct dma_device *best;
};

static int seek_one(struct dma_device *dev, void *data)
{
	struct dev_seek *s = data;

	if (dev->dev_id >= 0 && (uint64_t)dev->dev_id >= s->from &&
	    (!s->best || dev->dev_id < s->best->dev_id))
		s->best = dev;
	return 0;
}

/* The registered controller with the smallest dev_id >= @from, or NULL. */
static struct dma_device *device_from(uint64_t from)
{
	struct dev_seek s = { .from = from };

	dma_device_foreach(seek_one, &s);
	return s.best;
}

static void step(struct debug_cursor *c, struct debug_out *o)
{
	struct dma_device *dev = device_from(c->key);
	struct dma_chan *chan;

	if (!dev) {
		c->done = true;
		return;
	}
	c->key = (uint64_t)dev->dev_id + 1;
	debug_printf(o, "dma%d (%s): number of channels: %u\n", dev->dev_id,
		     dev->name, (unsigned)dev->chancnt);
	TAILQ_FOREACH(chan, &dev->channels, device_node) {
		bool named = chan->dbg_client_name[0] &&
			     debug_may_see(c, chan->client_uid);

		if (!chan->client_count)
			continue;
		debug_printf(o, " %-13s| %s\n", chan->name,
			     named ? chan->dbg_client_name : "in-use");
	}
	if (device_from(c->key))
		debug_printf(o, "\n");
	else
		c->done = true;
}

const struct debug_view debug_view_dma_summary = {
	.id = DEBUG_VIEW_DMA_SUMMARY,
	.path = "dmaengine/summary",
	.step = step,
};
