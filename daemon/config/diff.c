/* SPDX-License-Identifier: MIT */
/*
 * What a reload changes (config.h): config_diff() walks both
 * configurations key by key, in the order of the file's sections, and
 * config_apply_live() takes over the keys a running daemon can follow.
 *
 * Live: log-level, token-ttl-ms, max-wait-ms, hang-report-ms (new tokens and new
 * waits), stop-timeout-ms (the next SIGTERM), [dma] timeout-ms (channels
 * taken from now on), the system heap's limit (new allocations), the
 * nodes' group and mode. Everything else was used once at start (the
 * transport, paths and node names, the heaps and controllers, the
 * channel map) and needs a restart.
 *
 * Fields are compared one by one, never with memcmp: the option structs
 * may hold padding that no one initialised.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

struct differ {
	config_change_fn *fn;
	void *data;
	unsigned count;
};

static void changed(struct differ *d, const char *key, const char *value,
		    bool live)
{
	d->count++;
	if (d->fn)
		d->fn(d->data, key, value, live);
}

static void diff_str(struct differ *d, const char *key, const char *a,
		     const char *b, bool live)
{
	if (strcmp(a, b) != 0)
		changed(d, key, b, live);
}

static void diff_u64(struct differ *d, const char *key, uint64_t a, uint64_t b,
		     bool live)
{
	char value[24];

	if (a == b)
		return;
	snprintf(value, sizeof(value), "%llu", (unsigned long long)b);
	changed(d, key, value, live);
}

static bool same_controller(const struct stm32_controller_option *a,
			    const struct stm32_controller_option *b)
{
	if (a->index != b->index || strcmp(a->uio, b->uio) != 0 ||
	    a->map != b->map || strcmp(a->dmamux_uio, b->dmamux_uio) != 0 ||
	    a->dmamux_map != b->dmamux_map || a->mem2mem != b->mem2mem ||
	    a->nr_descs != b->nr_descs || a->nr_requests != b->nr_requests ||
	    memcmp(a->trbuff, b->trbuff, sizeof(a->trbuff)) != 0)
		return false;
	for (unsigned i = 0; i < STM32_SETUP_NR_STREAMS; i++)
		if (strcmp(a->irq_uio[i], b->irq_uio[i]) != 0)
			return false;
	return true;
}

static const struct stm32_controller_option *
find_controller(const struct stm32_options *o, const char *name)
{
	for (unsigned i = 0; i < o->nr_controllers; i++)
		if (!strcmp(o->controllers[i].name, name))
			return &o->controllers[i];
	return NULL;
}

static const struct stm32_heap_option *find_heap(const struct stm32_options *o,
						 const char *name)
{
	for (unsigned i = 0; i < o->nr_heaps; i++)
		if (!strcmp(o->heaps[i].name, name))
			return &o->heaps[i];
	return NULL;
}

static const struct dma_map_option *find_map(const struct dma_options *o,
					     const char *consumer,
					     const char *dma_name)
{
	for (unsigned i = 0; i < o->num_maps; i++)
		if (!strcmp(o->maps[i].consumer, consumer) &&
		    !strcmp(o->maps[i].dma_name, dma_name))
			return &o->maps[i];
	return NULL;
}

static bool same_map(const struct dma_map_option *a,
		     const struct dma_map_option *b)
{
	return !strcmp(a->controller, b->controller) &&
	       a->chan_index == b->chan_index &&
	       a->request_line == b->request_line;
}

/* Controllers, heaps and map entries: changed, added or gone, by name. */
static void diff_stm32(struct differ *d, const struct stm32_options *a,
		       const struct stm32_options *b)
{
	char key[96];

	if (strcmp(a->uio_class_dir, b->uio_class_dir) != 0 ||
	    strcmp(a->uio_dev_dir, b->uio_dev_dir) != 0 ||
	    a->rescan_ms != b->rescan_ms)
		changed(d, "[stm32]", NULL, false);
	for (unsigned i = 0; i < b->nr_controllers; i++) {
		const struct stm32_controller_option *old =
			find_controller(a, b->controllers[i].name);

		if (!old || !same_controller(old, &b->controllers[i])) {
			snprintf(key, sizeof(key), "[stm32:%s]",
				 b->controllers[i].name);
			changed(d, key, NULL, false);
		}
	}
	for (unsigned i = 0; i < a->nr_controllers; i++)
		if (!find_controller(b, a->controllers[i].name)) {
			snprintf(key, sizeof(key), "[stm32:%s]",
				 a->controllers[i].name);
			changed(d, key, NULL, false);
		}
	for (unsigned i = 0; i < b->nr_heaps; i++) {
		const struct stm32_heap_option *h = &b->heaps[i];
		const struct stm32_heap_option *old = find_heap(a, h->name);

		if (!old || strcmp(old->uio, h->uio) != 0 || old->map != h->map) {
			snprintf(key, sizeof(key), "[heap:%s]", h->name);
			changed(d, key, NULL, false);
		}
	}
	for (unsigned i = 0; i < a->nr_heaps; i++) {
		const struct stm32_heap_option *h = &a->heaps[i];

		if (!find_heap(b, h->name)) {
			snprintf(key, sizeof(key), "[heap:%s]", h->name);
			changed(d, key, NULL, false);
		}
	}
}

static void diff_maps(struct differ *d, const struct dma_options *a,
		      const struct dma_options *b)
{
	char key[160];

	for (unsigned i = 0; i < b->num_maps; i++) {
		const struct dma_map_option *m = &b->maps[i];
		const struct dma_map_option *old =
			find_map(a, m->consumer, m->dma_name);

		if (!old || !same_map(old, m)) {
			snprintf(key, sizeof(key), "[consumer:%s] %s",
				 m->consumer, m->dma_name);
			changed(d, key, NULL, false);
		}
	}
	for (unsigned i = 0; i < a->num_maps; i++) {
		const struct dma_map_option *m = &a->maps[i];

		if (!find_map(b, m->consumer, m->dma_name)) {
			snprintf(key, sizeof(key), "[consumer:%s] %s",
				 m->consumer, m->dma_name);
			changed(d, key, NULL, false);
		}
	}
}

unsigned config_diff(const struct daemon_config *a,
		     const struct daemon_config *b, config_change_fn *fn,
		     void *data)
{
	struct differ d = { .fn = fn, .data = data };
	char value[CONFIG_GROUP_LEN + 32];

	/* [daemon] */
	if (a->transport != b->transport)
		changed(&d, "transport", config_transport_name(b->transport),
			false);
	diff_str(&d, "dev-root", a->dev_root, b->dev_root, false);
	diff_str(&d, "control", a->control, b->control, false);
	diff_str(&d, "lock", a->lock, b->lock, false);
	diff_u64(&d, "token-ttl-ms", a->token_ttl_ms, b->token_ttl_ms, true);
	diff_u64(&d, "max-wait-ms", a->max_wait_ms, b->max_wait_ms, true);
	diff_u64(&d, "stop-timeout-ms", a->stop_timeout_ms, b->stop_timeout_ms,
		 true);
	diff_u64(&d, "hang-report-ms", a->hang_report_ms, b->hang_report_ms,
		 true);
	if (a->log_level != b->log_level)
		changed(&d, "log-level", config_log_level_name(b->log_level),
			true);

	/* [nodes] */
	diff_str(&d, "heap-dir", a->heap_dir, b->heap_dir, false);
	diff_str(&d, "dma-buf", a->dma_buf_node, b->dma_buf_node, false);
	diff_str(&d, "sync-file", a->sync_file_node, b->sync_file_node, false);
	diff_str(&d, "sw-sync", a->sw_sync_node, b->sw_sync_node, false);
	diff_str(&d, "dmaengine", a->dmaengine_node, b->dmaengine_node, false);
	if (strcmp(a->group, b->group) != 0 || a->access.gid != b->access.gid) {
		snprintf(value, sizeof(value), "%s (gid %u)", b->group,
			 (unsigned)b->access.gid);
		changed(&d, "group", value, true);
	}
	if (a->access.mode != b->access.mode) {
		snprintf(value, sizeof(value), "%04o", (unsigned)b->access.mode);
		changed(&d, "mode", value, true);
	}

	/* [heap:system] */
	diff_u64(&d, "[heap:system] limit", a->heap_limit, b->heap_limit, true);

	/* [limits] */
	if (memcmp(&a->limits, &b->limits, sizeof(a->limits)) != 0)
		changed(&d, "[limits]", NULL, true);

	/* [dma], [mock] */
	if (a->dma.backend != b->dma.backend)
		changed(&d, "backend", dma_backend_name(b->dma.backend), false);
	diff_u64(&d, "[dma] timeout-ms", a->dma.timeout_ms, b->dma.timeout_ms,
		 true);
	if (a->dma.mock_channels != b->dma.mock_channels ||
	    a->dma.mock_latency_us != b->dma.mock_latency_us ||
	    a->dma.mock_bandwidth != b->dma.mock_bandwidth ||
	    a->dma.mock_delay_ms != b->dma.mock_delay_ms)
		changed(&d, "[mock]", NULL, false);

	/* [stm32], [stm32:NAME], [heap:NAME], [consumer:NAME] */
	diff_stm32(&d, &a->stm32, &b->stm32);
	diff_maps(&d, &a->dma, &b->dma);
	return d.count;
}

void config_apply_live(struct daemon_config *running,
		       const struct daemon_config *fresh)
{
	running->token_ttl_ms = fresh->token_ttl_ms;
	running->max_wait_ms = fresh->max_wait_ms;
	running->stop_timeout_ms = fresh->stop_timeout_ms;
	running->hang_report_ms = fresh->hang_report_ms;
	running->log_level = fresh->log_level;
	memcpy(running->group, fresh->group, sizeof(running->group));
	running->access = fresh->access;
	running->group_missing = fresh->group_missing;
	running->heap_limit = fresh->heap_limit;
	running->limits = fresh->limits;
	running->dma.timeout_ms = fresh->dma.timeout_ms;
}
