/* SPDX-License-Identifier: MIT */
/*
 * The dmaengine name map: what dma_request_chan(consumer, name) gets, as
 * the device tree's dmas/dma-names give a driver its channel (consumer +
 * dma name -> controller, channel index or any, request line). The
 * request itself takes the channel privately (dma_chan_get_private()).
 * Life cycle and threading: see dmaengine.h.
 */
#include "dmaengine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "internal.h"

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
	r = dma_chan_get_private(found);
	if (r < 0) {
		found->request_line = -1;
		return r;
	}
	snprintf(found->dbg_client_name, sizeof(found->dbg_client_name),
		 "%s:%s", consumer, name);
	*ret_chan = found;
	return 0;
}
