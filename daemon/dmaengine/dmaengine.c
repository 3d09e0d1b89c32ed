/* SPDX-License-Identifier: MIT */
/*
 * The dmaengine core: device registration, channels and their clients,
 * the public channel table and allocator, private requests, notifiers
 * (drivers/dma/dmaengine.c, include/linux/dmaengine.h). The name map is
 * in dma_map.c, descriptor tracking and the client wrappers in
 * dma_client.c. Life cycle and threading: see dmaengine.h.
 */
#include "dmaengine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cookie.h"
#include "internal.h"
#include "model/objstat.h"
#include "util/log.h"

static TAILQ_HEAD(, dma_device) dma_device_list =
	TAILQ_HEAD_INITIALIZER(dma_device_list);
static TAILQ_HEAD(, dma_device) dma_alive_list =
	TAILQ_HEAD_INITIALIZER(dma_alive_list);
static TAILQ_HEAD(, dma_notifier) dma_notifiers =
	TAILQ_HEAD_INITIALIZER(dma_notifiers);
static int dmaengine_ref_count;
static struct dma_chan *channel_table[DMA_TX_TYPE_END];

/* Caps with a channel-table entry: all but INTERRUPT, PRIVATE, SLAVE. */
static bool cap_in_table(enum dma_transaction_type cap)
{
	return cap != DMA_INTERRUPT && cap != DMA_PRIVATE && cap != DMA_SLAVE;
}

/* ------------------------------------------------------------------ */
/* Devices */

void dma_device_init(struct dma_device *dev)
{
	memset(dev, 0, sizeof(*dev));
	dev->dev_id = -1;
	TAILQ_INIT(&dev->channels);
}

int dma_device_add_chan(struct dma_device *dev, struct dma_chan *chan)
{
	if (!dev || !chan)
		return -EINVAL;
	if (dev->registered)
		return -EBUSY;
	memset(chan, 0, sizeof(*chan));
	chan->device = dev;
	chan->chan_id = dev->chancnt++;
	chan->request_line = -1;
	chan->timeout_ns = DMA_CHAN_DEFAULT_TIMEOUT_MS * 1000000ull;
	TAILQ_INIT(&chan->active);
	dma_cookie_init(chan);
	dma_watchdog_init(chan);
	dma_xfer_chan_init(chan);
	TAILQ_INSERT_TAIL(&dev->channels, chan, device_node);
	return 0;
}

void dma_device_get(struct dma_device *dev)
{
	dev->ref++;
}

void dma_device_put(struct dma_device *dev)
{
	if (--dev->ref > 0)
		return;
	TAILQ_REMOVE(&dma_alive_list, dev, alive_node);
	objstat_dec(OBJ_DMA_DEVICE);
	log_debug("dma: %s (dma%d) released", dev->name, dev->dev_id);
	if (dev->ops->device_release)
		dev->ops->device_release(dev);
}

static int dma_id_alloc(void)
{
	for (int id = 0;; id++) {
		struct dma_device *d;
		bool used = false;

		TAILQ_FOREACH(d, &dma_alive_list, alive_node)
			if (d->dev_id == id)
				used = true;
		if (!used)
			return id;
	}
}

struct dma_device *dma_find_device(const char *name)
{
	struct dma_device *dev;

	if (!name)
		return NULL;
	TAILQ_FOREACH(dev, &dma_device_list, global_node)
		if (strcmp(dev->name, name) == 0)
			return dev;
	return NULL;
}

struct dma_chan *dma_find_chan_by_name(const char *name)
{
	struct dma_device *dev;
	struct dma_chan *chan;

	if (!name)
		return NULL;
	TAILQ_FOREACH(dev, &dma_device_list, global_node)
		TAILQ_FOREACH(chan, &dev->channels, device_node)
			if (strcmp(chan->name, name) == 0)
				return chan;
	return NULL;
}

int dma_device_foreach(int (*fn)(struct dma_device *dev, void *data), void *data)
{
	struct dma_device *dev;
	int r;

	if (!fn)
		return -EINVAL;
	TAILQ_FOREACH(dev, &dma_device_list, global_node)
		if ((r = fn(dev, data)))
			return r;
	return 0;
}

static void dma_notify(enum dma_notify_event event, struct dma_device *dev)
{
	struct dma_notifier *n, *next;

	for (n = TAILQ_FIRST(&dma_notifiers); n; n = next) {
		next = TAILQ_NEXT(n, node);
		n->fn(n, event, dev);
	}
}

int dma_notifier_register(struct dma_notifier *n)
{
	if (!n || !n->fn || n->registered)
		return -EINVAL;
	n->registered = true;
	TAILQ_INSERT_TAIL(&dma_notifiers, n, node);
	return 0;
}

int dma_notifier_unregister(struct dma_notifier *n)
{
	if (!n || !n->registered)
		return -EINVAL;
	n->registered = false;
	TAILQ_REMOVE(&dma_notifiers, n, node);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The public channel table */

static struct dma_chan *min_chan(enum dma_transaction_type cap)
{
	struct dma_device *dev;
	struct dma_chan *chan, *min = NULL;

	TAILQ_FOREACH(dev, &dma_device_list, global_node) {
		if (!dma_has_cap(cap, dev->cap_mask) || device_is_private(dev))
			continue;
		TAILQ_FOREACH(chan, &dev->channels, device_node) {
			if (!chan->client_count)
				continue;
			if (!min || chan->table_count < min->table_count)
				min = chan;
		}
	}
	if (min)
		min->table_count++;
	return min;
}

/* dma_channel_rebalance: undo the last distribution and hand every
 * capability the least used channel (one "cpu": the loop). */
static void dma_channel_rebalance(void)
{
	struct dma_device *dev;
	struct dma_chan *chan;

	for (int cap = 0; cap < DMA_TX_TYPE_END; cap++)
		channel_table[cap] = NULL;
	TAILQ_FOREACH(dev, &dma_device_list, global_node) {
		if (device_is_private(dev))
			continue;
		TAILQ_FOREACH(chan, &dev->channels, device_node)
			chan->table_count = 0;
	}
	if (!dmaengine_ref_count)
		return;
	for (int cap = 0; cap < DMA_TX_TYPE_END; cap++)
		if (cap_in_table(cap))
			channel_table[cap] = min_chan(cap);
}

struct dma_chan *dma_find_channel(enum dma_transaction_type cap)
{
	if ((unsigned)cap >= DMA_TX_TYPE_END)
		return NULL;
	return channel_table[cap];
}

int dmaengine_ref_count_get(void)
{
	return dmaengine_ref_count;
}

/* ------------------------------------------------------------------ */
/* Channel get / put */

/* Make a public channel's client count follow the public allocator's. */
static void balance_ref_count(struct dma_chan *chan)
{
	while (chan->client_count < dmaengine_ref_count)
		chan->client_count++;
}

static int dma_chan_get(struct dma_chan *chan)
{
	struct dma_device *dev = chan->device;
	int r;

	if (chan->client_count) {
		chan->client_count++;
		return 0;
	}
	if (dev->dead)
		return -ENODEV;
	dma_device_get(dev);
	if (dev->ops->device_alloc_chan_resources) {
		r = dev->ops->device_alloc_chan_resources(chan);
		if (r < 0) {
			log_debug("dma: %s: alloc_chan_resources failed: %d",
				  chan->name, r);
			dma_device_put(dev);
			return r;
		}
	}
	chan->client_count++;
	if (!device_is_private(dev))
		balance_ref_count(chan);
	return 0;
}

static bool chan_has_work(struct dma_chan *chan)
{
	return !TAILQ_EMPTY(&chan->active) || !TAILQ_EMPTY(&chan->xfer_queue) ||
	       !TAILQ_EMPTY(&chan->xfer_running);
}

static void dma_chan_put(struct dma_chan *chan)
{
	struct dma_device *dev = chan->device;

	if (!chan->client_count)
		return;
	if (chan->client_count == 1 && chan_has_work(chan))
		dma_chan_abort(chan, -ECANCELED, true, false);
	if (--chan->client_count > 0)
		return;
	dmaengine_synchronize(chan);
	if (dev->ops->device_free_chan_resources)
		dev->ops->device_free_chan_resources(chan);
	dma_watchdog_stop(chan);
	dma_xfer_chan_fini(chan);
	chan->paused = false;
	chan->privately_held = false;
	chan->private = NULL;
	chan->request_line = -1;
	chan->dbg_client_name[0] = '\0';
	dma_device_put(dev);
}

/* ------------------------------------------------------------------ */
/* Registration */

#define CHECK_CAP(cap, op)                                                  \
	do {                                                                 \
		if (dma_has_cap(cap, dev->cap_mask) && !ops->op) {           \
			log_err("dma %s: device claims capability %s, but "  \
				"op is not defined", dev->name, #cap);       \
			return -EIO;                                         \
		}                                                            \
	} while (0)

int dma_async_device_register(struct dma_device *dev)
{
	const struct dma_device_ops *ops;
	struct dma_chan *chan;

	if (!dev || !dev->ops || !dev->name[0] ||
	    !memchr(dev->name, '\0', sizeof(dev->name)))
		return -EINVAL;
	if (dev->registered || dev->dead)
		return -EBUSY;
	ops = dev->ops;

	CHECK_CAP(DMA_MEMCPY, device_prep_dma_memcpy);
	CHECK_CAP(DMA_XOR, device_prep_dma_xor);
	CHECK_CAP(DMA_XOR_VAL, device_prep_dma_xor_val);
	CHECK_CAP(DMA_PQ, device_prep_dma_pq);
	CHECK_CAP(DMA_PQ_VAL, device_prep_dma_pq_val);
	CHECK_CAP(DMA_MEMSET, device_prep_dma_memset);
	CHECK_CAP(DMA_INTERRUPT, device_prep_dma_interrupt);
	CHECK_CAP(DMA_CYCLIC, device_prep_dma_cyclic);
	CHECK_CAP(DMA_INTERLEAVE, device_prep_interleaved_dma);
	if (!ops->device_tx_status) {
		log_err("dma %s: device tx_status is not defined", dev->name);
		return -EIO;
	}
	if (!ops->device_issue_pending) {
		log_err("dma %s: device issue_pending is not defined", dev->name);
		return -EIO;
	}
	if (!ops->device_release)
		log_debug("dma %s: device_release is not defined; the backend "
			  "must keep the device until its channels are released",
			  dev->name);
	if (!dev->chancnt) {
		log_err("dma %s: device has no channels", dev->name);
		return -ENODEV;
	}
	if (dma_find_device(dev->name)) {
		log_err("dma %s: a device of that name is registered", dev->name);
		return -EEXIST;
	}

	dev->dev_id = dma_id_alloc();
	dev->ref = 1;
	dev->privatecnt = 0;
	TAILQ_FOREACH(chan, &dev->channels, device_node)
		snprintf(chan->name, sizeof(chan->name), "dma%dchan%d",
			 dev->dev_id, chan->chan_id);
	TAILQ_INSERT_TAIL(&dma_alive_list, dev, alive_node);
	objstat_inc(OBJ_DMA_DEVICE);

	if (dmaengine_ref_count && !device_is_private(dev))
		TAILQ_FOREACH(chan, &dev->channels, device_node)
			(void)dma_chan_get(chan);
	TAILQ_INSERT_TAIL(&dma_device_list, dev, global_node);
	dev->registered = true;
	if (device_is_private(dev))
		dev->privatecnt++; /* always private */
	dma_channel_rebalance();
	log_info("dma: %s registered as dma%d with %d channel(s)", dev->name,
		 dev->dev_id, dev->chancnt);
	dma_notify(DMA_NOTIFY_DEVICE_ADDED, dev);
	return 0;
}

void dma_async_device_unregister(struct dma_device *dev)
{
	struct dma_chan *chan;
	bool was_public;

	if (!dev || !dev->registered || dev->dead) {
		log_warn("dma: unregister of a device that is not registered");
		return;
	}
	TAILQ_REMOVE(&dma_device_list, dev, global_node);
	dev->dead = true;
	was_public = !device_is_private(dev);

	TAILQ_FOREACH(chan, &dev->channels, device_node)
		if (chan->client_count || chan_has_work(chan))
			dma_chan_abort(chan, -ENODEV, true, true);
	/* Give back what the public allocator holds on its clients' behalf. */
	if (was_public)
		TAILQ_FOREACH(chan, &dev->channels, device_node)
			for (int i = 0; i < dmaengine_ref_count; i++)
				dma_chan_put(chan);
	dma_cap_set(DMA_PRIVATE, &dev->cap_mask);
	dma_channel_rebalance();
	log_info("dma: %s (dma%d) unregistered", dev->name, dev->dev_id);
	dma_notify(DMA_NOTIFY_DEVICE_REMOVED, dev);
	dma_device_put(dev);
}

/* ------------------------------------------------------------------ */
/* The public allocator */

void dmaengine_get(void)
{
	struct dma_device *dev;
	struct dma_chan *chan;

	dmaengine_ref_count++;
	TAILQ_FOREACH(dev, &dma_device_list, global_node) {
		if (device_is_private(dev))
			continue;
		TAILQ_FOREACH(chan, &dev->channels, device_node) {
			int r = dma_chan_get(chan);

			if (r < 0)
				log_debug("dma: failed to get %s: %d", chan->name, r);
		}
	}
	dma_channel_rebalance();
}

void dmaengine_put(void)
{
	struct dma_device *dev, *next;
	struct dma_chan *chan;

	if (dmaengine_ref_count == 0) {
		log_warn("dma: dmaengine_put without dmaengine_get");
		return;
	}
	dmaengine_ref_count--;
	/* A put may release a device that was unregistered meanwhile: not
	 * on this list any more, so the walk is safe; fetch next first. */
	for (dev = TAILQ_FIRST(&dma_device_list); dev; dev = next) {
		next = TAILQ_NEXT(dev, global_node);
		if (device_is_private(dev))
			continue;
		TAILQ_FOREACH(chan, &dev->channels, device_node)
			dma_chan_put(chan);
	}
	dma_channel_rebalance();
}

/* ------------------------------------------------------------------ */
/* Private requests */

static bool device_satisfies_mask(const struct dma_device *dev,
				  const dma_cap_mask_t *want)
{
	return (dev->cap_mask.bits[0] & want->bits[0]) == want->bits[0];
}

static struct dma_chan *private_candidate(const dma_cap_mask_t *mask,
					  struct dma_device *dev,
					  dma_filter_fn fn, void *fn_param)
{
	struct dma_chan *chan;

	if (!device_satisfies_mask(dev, mask))
		return NULL;
	/* A device's channels are either all public or all private. */
	if (dev->chancnt > 1 && !device_is_private(dev))
		TAILQ_FOREACH(chan, &dev->channels, device_node)
			if (chan->client_count)
				return NULL;
	TAILQ_FOREACH(chan, &dev->channels, device_node) {
		if (chan->client_count) {
			log_debug("dma: %s busy", chan->name);
			continue;
		}
		if (fn && !fn(chan, fn_param)) {
			log_debug("dma: %s filter said false", chan->name);
			continue;
		}
		return chan;
	}
	return NULL;
}

/* Take @chan as a private channel (find_candidate / dma_get_slave_channel). */
int dma_chan_get_private(struct dma_chan *chan)
{
	struct dma_device *dev = chan->device;
	int r;

	dma_cap_set(DMA_PRIVATE, &dev->cap_mask);
	dev->privatecnt++;
	r = dma_chan_get(chan);
	if (r < 0) {
		if (--dev->privatecnt == 0)
			dma_cap_clear(DMA_PRIVATE, &dev->cap_mask);
		return r;
	}
	chan->privately_held = true;
	return 0;
}

int dma_request_channel(const dma_cap_mask_t *mask, dma_filter_fn fn,
			void *fn_param, struct dma_chan **ret_chan)
{
	struct dma_device *dev;
	int r = -ENODEV;

	if (!mask || !ret_chan)
		return -EINVAL;
	TAILQ_FOREACH(dev, &dma_device_list, global_node) {
		struct dma_chan *chan = private_candidate(mask, dev, fn, fn_param);

		if (!chan)
			continue;
		r = dma_chan_get_private(chan);
		if (r == 0) {
			*ret_chan = chan;
			return 0;
		}
	}
	return r;
}

int dma_request_chan_by_mask(const dma_cap_mask_t *mask,
			     struct dma_chan **ret_chan)
{
	int r;

	if (!mask || !ret_chan)
		return -EINVAL;
	r = dma_request_channel(mask, NULL, NULL, ret_chan);
	if (r == -ENODEV && TAILQ_EMPTY(&dma_device_list))
		return -EAGAIN;
	return r;
}

int dma_get_slave_channel(struct dma_chan *chan)
{
	if (!chan || !chan->device)
		return -EINVAL;
	if (chan->device->dead)
		return -ENODEV;
	if (chan->client_count)
		return -EBUSY;
	return dma_chan_get_private(chan);
}

void dma_release_channel(struct dma_chan *chan)
{
	struct dma_device *dev;

	if (!chan)
		return;
	dev = chan->device;
	if (chan->client_count != 1)
		log_warn("dma: %s: release with client count %d != 1",
			 chan->name, chan->client_count);
	if (!chan->privately_held) {
		log_warn("dma: %s: release of a channel not requested",
			 chan->name);
		return;
	}
	/* Drop PRIVATE first: the put may free a removed device. */
	if (--dev->privatecnt == 0)
		dma_cap_clear(DMA_PRIVATE, &dev->cap_mask);
	if (dev->dead)
		dma_cap_set(DMA_PRIVATE, &dev->cap_mask);
	dma_chan_put(chan);
}
