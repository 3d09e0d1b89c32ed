/* SPDX-License-Identifier: MIT */
/*
 * The dmaengine core: device registration, channels and their clients,
 * the public channel table, requests, the name map, notifiers, and the
 * client wrappers (drivers/dma/dmaengine.c, include/linux/dmaengine.h).
 * Life cycle and threading: see dmaengine.h.
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
#include "util/trace.h"

static TAILQ_HEAD(, dma_device) dma_device_list =
	TAILQ_HEAD_INITIALIZER(dma_device_list);
static TAILQ_HEAD(, dma_device) dma_alive_list =
	TAILQ_HEAD_INITIALIZER(dma_alive_list);
static TAILQ_HEAD(, dma_notifier) dma_notifiers =
	TAILQ_HEAD_INITIALIZER(dma_notifiers);
static int dmaengine_ref_count;
static struct dma_chan *channel_table[DMA_TX_TYPE_END];

#define DMA_MAP_NAME_MAX 63

struct dma_map_node {
	char consumer[DMA_MAP_NAME_MAX + 1];
	char dma_name[DMA_MAP_NAME_MAX + 1];
	char controller[DMA_MAP_NAME_MAX + 1];
	int chan_index;
	int request_line;
	TAILQ_ENTRY(dma_map_node) node;
};
static TAILQ_HEAD(, dma_map_node) dma_map = TAILQ_HEAD_INITIALIZER(dma_map);

/* Caps with a channel-table entry: all but INTERRUPT, PRIVATE, SLAVE. */
static bool cap_in_table(enum dma_transaction_type cap)
{
	return cap != DMA_INTERRUPT && cap != DMA_PRIVATE && cap != DMA_SLAVE;
}

static bool device_is_private(const struct dma_device *dev)
{
	return dma_has_cap(DMA_PRIVATE, dev->cap_mask);
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
static int get_private(struct dma_chan *chan)
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
		r = get_private(chan);
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
	return get_private(chan);
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

/* ------------------------------------------------------------------ */
/* The name map */

static struct dma_map_node *map_find(const char *consumer, const char *name)
{
	struct dma_map_node *m;

	TAILQ_FOREACH(m, &dma_map, node)
		if (!strcmp(m->consumer, consumer) && !strcmp(m->dma_name, name))
			return m;
	return NULL;
}

static bool map_name_ok(const char *s)
{
	return s && s[0] && strlen(s) <= DMA_MAP_NAME_MAX;
}

int dma_slave_map_add(const struct dma_slave_map_entry *e)
{
	struct dma_map_node *m;

	if (!e || !map_name_ok(e->consumer) || !map_name_ok(e->dma_name) ||
	    !map_name_ok(e->controller) || e->chan_index < -1 ||
	    e->request_line < -1)
		return -EINVAL;
	if (map_find(e->consumer, e->dma_name))
		return -EEXIST;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	strcpy(m->consumer, e->consumer);
	strcpy(m->dma_name, e->dma_name);
	strcpy(m->controller, e->controller);
	m->chan_index = e->chan_index;
	m->request_line = e->request_line;
	TAILQ_INSERT_TAIL(&dma_map, m, node);
	return 0;
}

int dma_slave_map_remove(const char *consumer, const char *dma_name)
{
	struct dma_map_node *m;

	if (!consumer || !dma_name)
		return -EINVAL;
	m = map_find(consumer, dma_name);
	if (!m)
		return -ENOENT;
	TAILQ_REMOVE(&dma_map, m, node);
	free(m);
	return 0;
}

void dma_slave_map_clear(void)
{
	struct dma_map_node *m;

	while ((m = TAILQ_FIRST(&dma_map))) {
		TAILQ_REMOVE(&dma_map, m, node);
		free(m);
	}
}

int dma_request_chan(const char *consumer, const char *name,
		     struct dma_chan **ret_chan)
{
	struct dma_map_node *m;
	struct dma_device *dev;
	struct dma_chan *chan, *found = NULL;
	int r;

	if (!consumer || !name || !ret_chan)
		return -EINVAL;
	m = map_find(consumer, name);
	if (!m)
		return -ENODEV;
	dev = dma_find_device(m->controller);
	if (!dev)
		return -EAGAIN;
	if (m->chan_index >= 0) {
		TAILQ_FOREACH(chan, &dev->channels, device_node)
			if (chan->chan_id == m->chan_index)
				found = chan;
		if (!found)
			return -ENODEV;
		if (found->client_count)
			return -EBUSY;
	} else {
		if (!device_is_private(dev) && dev->chancnt > 1)
			TAILQ_FOREACH(chan, &dev->channels, device_node)
				if (chan->client_count)
					return -EBUSY;
		TAILQ_FOREACH(chan, &dev->channels, device_node)
			if (!chan->client_count) {
				found = chan;
				break;
			}
		if (!found)
			return -EBUSY;
	}
	found->request_line = m->request_line;
	r = get_private(found);
	if (r < 0) {
		found->request_line = -1;
		return r;
	}
	snprintf(found->dbg_client_name, sizeof(found->dbg_client_name),
		 "%s:%s", consumer, name);
	*ret_chan = found;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Descriptor tracking and completion */

static void chan_mark_error(struct dma_chan *chan, dma_cookie_t cookie)
{
	if (cookie < DMA_MIN_COOKIE)
		return;
	chan->err_cookies[chan->err_next] = cookie;
	chan->err_next = (chan->err_next + 1) % DMA_CHAN_ERR_COOKIES;
}

static bool chan_cookie_failed(const struct dma_chan *chan, dma_cookie_t cookie)
{
	if (cookie < DMA_MIN_COOKIE)
		return false;
	for (unsigned i = 0; i < DMA_CHAN_ERR_COOKIES; i++)
		if (chan->err_cookies[i] == cookie)
			return true;
	return false;
}

static void untrack(struct dma_async_tx_descriptor *tx)
{
	TAILQ_REMOVE(&tx->chan->active, tx, core_node);
	tx->tracked = false;
}

void dma_desc_callback_invoke(struct dma_async_tx_descriptor *tx,
			      const struct dmaengine_result *result)
{
	static const struct dmaengine_result noerror = { DMA_TRANS_NOERROR, 0 };
	struct dma_chan *chan;

	if (!tx || !tx->tracked)
		return;
	if (!result)
		result = &noerror;
	chan = tx->chan;
	untrack(tx);
	TRACE_DMA_COMPLETE(chan->name, tx->cookie, (int)result->result,
			   result->residue);
	switch (result->result) {
	case DMA_TRANS_NOERROR:
		chan->stats.xfer_count++;
		chan->stats.bytes_transferred +=
			tx->len > result->residue ? tx->len - result->residue : 0;
		break;
	case DMA_TRANS_ABORTED:
		chan->stats.aborted++;
		chan_mark_error(chan, tx->cookie);
		break;
	default:
		chan->stats.errors++;
		chan_mark_error(chan, tx->cookie);
		break;
	}
	dma_watchdog_update(chan);
	if (tx->callback_result)
		tx->callback_result(tx->callback_param, result);
	else if (tx->callback)
		tx->callback(tx->callback_param);
}

void dma_desc_cyclic_callback(struct dma_async_tx_descriptor *tx)
{
	static const struct dmaengine_result noerror = { DMA_TRANS_NOERROR, 0 };

	if (!tx || !tx->tracked)
		return;
	tx->chan->stats.bytes_transferred += tx->len;
	dma_watchdog_kick(tx->chan);
	if (tx->callback_result)
		tx->callback_result(tx->callback_param, &noerror);
	else if (tx->callback)
		tx->callback(tx->callback_param);
}

int dma_chan_abort(struct dma_chan *chan, int reason, bool queue, bool sync)
{
	const struct dma_device_ops *ops = chan->device->ops;
	struct dma_async_tx_descriptor *tx;
	bool running = false;
	int r = 0;

	if (queue)
		dma_xfer_chan_abort_begin(chan);
	if (ops->device_terminate_all)
		r = ops->device_terminate_all(chan);
	if (r == 0) {
		running = true;
		while ((tx = TAILQ_FIRST(&chan->active))) {
			TRACE_DMA_COMPLETE(chan->name, tx->cookie,
					   (int)DMA_TRANS_ABORTED, 0);
			chan_mark_error(chan, tx->cookie);
			chan->stats.aborted++;
			untrack(tx);
		}
		/* Everything handed out is now over, one way or another. */
		chan->completed_cookie = chan->cookie;
		chan->paused = false;
		dma_watchdog_stop(chan);
	}
	if (sync)
		dmaengine_synchronize(chan);
	dma_xfer_chan_abort_end(chan, reason, running);
	return r;
}

/* ------------------------------------------------------------------ */
/* Client wrappers */

static int chan_usable(const struct dma_chan *chan)
{
	if (!chan || !chan->device)
		return -EINVAL;
	if (chan->device->dead)
		return -ENODEV;
	if (!chan->client_count)
		return -EPERM;
	return 0;
}

int dma_chan_get_stats(const struct dma_chan *chan,
		       struct dma_chan_stats *ret_stats)
{
	if (!chan || !ret_stats)
		return -EINVAL;
	*ret_stats = chan->stats;
	return 0;
}

int dmaengine_slave_config(struct dma_chan *chan,
			   const struct dma_slave_config *config)
{
	int r = chan_usable(chan);

	if (r < 0)
		return r;
	if (!config)
		return -EINVAL;
	if (!chan->device->ops->device_config)
		return -ENOSYS;
	return chan->device->ops->device_config(chan, config);
}

int dma_get_slave_caps(struct dma_chan *chan, struct dma_slave_caps *caps)
{
	struct dma_device *dev;

	if (!chan || !chan->device || !caps)
		return -EINVAL;
	dev = chan->device;
	if (!dma_has_cap(DMA_SLAVE, dev->cap_mask) &&
	    !dma_has_cap(DMA_CYCLIC, dev->cap_mask))
		return -ENXIO;
	if (!dev->directions)
		return -ENXIO;
	*caps = (struct dma_slave_caps){
		.src_addr_widths = dev->src_addr_widths,
		.dst_addr_widths = dev->dst_addr_widths,
		.directions = dev->directions,
		.min_burst = dev->min_burst,
		.max_burst = dev->max_burst,
		.max_sg_burst = dev->max_sg_burst,
		.residue_granularity = dev->residue_granularity,
		.descriptor_reuse = dev->descriptor_reuse,
		.cmd_pause = !!dev->ops->device_pause,
		.cmd_resume = !!dev->ops->device_resume,
		.cmd_terminate = !!dev->ops->device_terminate_all,
	};
	if (dev->ops->device_caps)
		dev->ops->device_caps(chan, caps);
	return 0;
}

static int prep_check(struct dma_chan *chan, unsigned long flags, bool have_op,
		      struct dma_async_tx_descriptor **ret_tx)
{
	int r = chan_usable(chan);

	if (r < 0)
		return r;
	if (!ret_tx || (flags & ~DMA_PREP_VALID_FLAGS))
		return -EINVAL;
	if (!have_op)
		return -EOPNOTSUPP;
	return 0;
}

static int prep_done(int r, struct dma_async_tx_descriptor *tx, size_t len,
		     bool cyclic, struct dma_async_tx_descriptor **ret_tx)
{
	if (r < 0)
		return r;
	if (!tx)
		return -EIO;
	tx->len = len;
	tx->cyclic = cyclic;
	tx->issued = false;
	tx->tracked = false;
	*ret_tx = tx;
	return 0;
}

#define OPS(chan) ((chan)->device->ops)

int dmaengine_prep_dma_memcpy(struct dma_chan *chan, dma_addr_t dst,
			      dma_addr_t src, size_t len, unsigned long flags,
			      struct dma_async_tx_descriptor **ret_tx)
{
	struct dma_async_tx_descriptor *tx = NULL;
	int r = prep_check(chan, flags,
			   chan && chan->device && OPS(chan)->device_prep_dma_memcpy,
			   ret_tx);

	if (r < 0)
		return r;
	if (len == 0)
		return -EINVAL;
	r = OPS(chan)->device_prep_dma_memcpy(chan, dst, src, len, flags, &tx);
	return prep_done(r, tx, len, false, ret_tx);
}

static size_t sg_total(const dma_sg_t *sg, unsigned n)
{
	size_t total = 0;

	for (unsigned i = 0; i < n; i++)
		total += sg[i].length;
	return total;
}

int dmaengine_prep_dma_memcpy_sg(struct dma_chan *chan,
				 const dma_sg_t *dst_sg, unsigned dst_nents,
				 const dma_sg_t *src_sg, unsigned src_nents,
				 unsigned long flags,
				 struct dma_async_tx_descriptor **ret_tx)
{
	struct dma_async_tx_descriptor *tx = NULL;
	size_t len;
	int r = prep_check(chan, flags,
			   chan && chan->device && OPS(chan)->device_prep_dma_memcpy_sg,
			   ret_tx);

	if (r < 0)
		return r;
	if (!dst_sg || !src_sg || !dst_nents || !src_nents)
		return -EINVAL;
	len = sg_total(dst_sg, dst_nents);
	if (len == 0 || len != sg_total(src_sg, src_nents))
		return -EINVAL;
	r = OPS(chan)->device_prep_dma_memcpy_sg(chan, dst_sg, dst_nents, src_sg,
						 src_nents, flags, &tx);
	return prep_done(r, tx, len, false, ret_tx);
}

int dmaengine_prep_dma_memset(struct dma_chan *chan, dma_addr_t dest,
			      int value, size_t len, unsigned long flags,
			      struct dma_async_tx_descriptor **ret_tx)
{
	struct dma_async_tx_descriptor *tx = NULL;
	int r = prep_check(chan, flags,
			   chan && chan->device && OPS(chan)->device_prep_dma_memset,
			   ret_tx);

	if (r < 0)
		return r;
	if (len == 0)
		return -EINVAL;
	r = OPS(chan)->device_prep_dma_memset(chan, dest, value, len, flags, &tx);
	return prep_done(r, tx, len, false, ret_tx);
}

int dmaengine_prep_dma_interrupt(struct dma_chan *chan, unsigned long flags,
				 struct dma_async_tx_descriptor **ret_tx)
{
	struct dma_async_tx_descriptor *tx = NULL;
	int r = prep_check(chan, flags,
			   chan && chan->device && OPS(chan)->device_prep_dma_interrupt,
			   ret_tx);

	if (r < 0)
		return r;
	r = OPS(chan)->device_prep_dma_interrupt(chan, flags, &tx);
	return prep_done(r, tx, 0, false, ret_tx);
}

static bool dir_is_slave(enum dma_transfer_direction dir)
{
	return dir == DMA_MEM_TO_DEV || dir == DMA_DEV_TO_MEM ||
	       dir == DMA_DEV_TO_DEV;
}

int dmaengine_prep_slave_sg(struct dma_chan *chan, const dma_sg_t *sgl,
			    unsigned sg_len, enum dma_transfer_direction dir,
			    unsigned long flags,
			    struct dma_async_tx_descriptor **ret_tx)
{
	struct dma_async_tx_descriptor *tx = NULL;
	size_t len;
	int r = prep_check(chan, flags,
			   chan && chan->device && OPS(chan)->device_prep_slave_sg,
			   ret_tx);

	if (r < 0)
		return r;
	if (!sgl || !sg_len || !dir_is_slave(dir))
		return -EINVAL;
	len = sg_total(sgl, sg_len);
	if (len == 0)
		return -EINVAL;
	r = OPS(chan)->device_prep_slave_sg(chan, sgl, sg_len, dir, flags, &tx);
	return prep_done(r, tx, len, false, ret_tx);
}

int dmaengine_prep_slave_single(struct dma_chan *chan, dma_addr_t buf,
				size_t len, enum dma_transfer_direction dir,
				unsigned long flags,
				struct dma_async_tx_descriptor **ret_tx)
{
	dma_sg_t sg = { .dma_addr = buf, .length = len, .cpu_addr = NULL };

	return dmaengine_prep_slave_sg(chan, &sg, 1, dir, flags, ret_tx);
}

int dmaengine_prep_dma_cyclic(struct dma_chan *chan, dma_addr_t buf_addr,
			      size_t buf_len, size_t period_len,
			      enum dma_transfer_direction dir,
			      unsigned long flags,
			      struct dma_async_tx_descriptor **ret_tx)
{
	struct dma_async_tx_descriptor *tx = NULL;
	int r = prep_check(chan, flags,
			   chan && chan->device && OPS(chan)->device_prep_dma_cyclic,
			   ret_tx);

	if (r < 0)
		return r;
	if (!dir_is_slave(dir) || !buf_len || !period_len ||
	    buf_len % period_len)
		return -EINVAL;
	r = OPS(chan)->device_prep_dma_cyclic(chan, buf_addr, buf_len,
					      period_len, dir, flags, &tx);
	return prep_done(r, tx, period_len, true, ret_tx);
}

dma_cookie_t dmaengine_submit(struct dma_async_tx_descriptor *tx)
{
	struct dma_chan *chan;
	dma_cookie_t cookie;
	int r;

	if (!tx || !tx->chan || !tx->tx_submit || tx->tracked)
		return -EINVAL;
	chan = tx->chan;
	r = chan_usable(chan);
	if (r < 0) {
		if (tx->desc_free)
			tx->desc_free(tx);
		return r;
	}
	cookie = tx->tx_submit(tx);
	if (cookie < 0)
		return cookie;
	TRACE_DMA_SUBMIT(chan->name, cookie, tx->len);
	tx->tracked = true;
	tx->issued = false;
	TAILQ_INSERT_TAIL(&chan->active, tx, core_node);
	return cookie;
}

int dmaengine_desc_free(struct dma_async_tx_descriptor *tx)
{
	if (!tx || !tx->desc_free)
		return -EINVAL;
	if (tx->tracked)
		return -EBUSY;
	return tx->desc_free(tx);
}

void dma_async_issue_pending(struct dma_chan *chan)
{
	struct dma_async_tx_descriptor *tx;

	if (chan_usable(chan) < 0)
		return;
	TAILQ_FOREACH(tx, &chan->active, core_node)
		tx->issued = true;
	OPS(chan)->device_issue_pending(chan);
	dma_watchdog_update(chan);
}

enum dma_status dmaengine_tx_status(struct dma_chan *chan, dma_cookie_t cookie,
				    struct dma_tx_state *state)
{
	if (!chan || !chan->device)
		return DMA_ERROR;
	if (chan->device->dead || chan_cookie_failed(chan, cookie)) {
		dma_cookie_status(chan, cookie, state);
		return DMA_ERROR;
	}
	return OPS(chan)->device_tx_status(chan, cookie, state);
}

enum dma_status dma_async_is_tx_complete(struct dma_chan *chan,
					 dma_cookie_t cookie,
					 dma_cookie_t *last, dma_cookie_t *used)
{
	struct dma_tx_state state = { 0 };
	enum dma_status status = dmaengine_tx_status(chan, cookie, &state);

	if (last)
		*last = state.last;
	if (used)
		*used = state.used;
	return status;
}

int dmaengine_pause(struct dma_chan *chan)
{
	int r = chan_usable(chan);

	if (r < 0)
		return r;
	if (!OPS(chan)->device_pause)
		return -ENOSYS;
	r = OPS(chan)->device_pause(chan);
	if (r == 0) {
		chan->paused = true;
		dma_watchdog_stop(chan);
	}
	return r;
}

int dmaengine_resume(struct dma_chan *chan)
{
	int r = chan_usable(chan);

	if (r < 0)
		return r;
	if (!OPS(chan)->device_resume)
		return -ENOSYS;
	r = OPS(chan)->device_resume(chan);
	if (r == 0) {
		chan->paused = false;
		dma_watchdog_update(chan);
	}
	return r;
}

int dmaengine_terminate_async(struct dma_chan *chan)
{
	int r = chan_usable(chan);

	if (r < 0)
		return r;
	if (!OPS(chan)->device_terminate_all)
		return -EINVAL;
	return dma_chan_abort(chan, -ECANCELED, true, false);
}

void dmaengine_synchronize(struct dma_chan *chan)
{
	if (chan && chan->device && OPS(chan)->device_synchronize)
		OPS(chan)->device_synchronize(chan);
}

int dmaengine_terminate_sync(struct dma_chan *chan)
{
	int r = dmaengine_terminate_async(chan);

	if (r < 0)
		return r;
	dmaengine_synchronize(chan);
	return 0;
}
