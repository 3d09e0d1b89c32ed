/* SPDX-License-Identifier: MIT */
/*
 * The daemon's DMA wiring (dma_setup.h). The completion queue (dma_cq.h)
 * wakes the loop through one uv_async, whose callback drains it; the mock
 * controller (backend mock) is created from the options, at once or from
 * a one-shot uv_timer (--mock-delay-ms) so that clients can watch a
 * deferred request complete; the name map entries are added before
 * anything can ask. The options' parsers are in config/dma_options.c.
 */
#include "dma_setup.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <dmabufd/control.h>

#include "dev/dmaengine_node.h"
#include "dmaengine/dma_cq.h"
#include "dmaengine/dmaengine.h"
#include "util/log.h"
#ifdef DMABUFD_HAVE_MOCK
#include "mock.h"
#endif

static struct {
	uv_async_t wakeup;
	uv_timer_t delay;
	bool wakeup_live, delay_live;
	struct dma_options opts;
#ifdef DMABUFD_HAVE_MOCK
	struct mock_device *mock;
#endif
} dma;

static void wakeup_fired(uv_async_t *handle)
{
	dma_cq_drain();
}

/* From any thread: the completion queue became non-empty. */
static void wakeup_send(void *data)
{
	uv_async_send(data);
}

#ifdef DMABUFD_HAVE_MOCK
static int mock_start(void)
{
	struct mock_config cfg;
	int r;

	mock_config_default(&cfg);
	cfg.nr_channels = dma.opts.mock_channels;
	cfg.latency_ns = dma.opts.mock_latency_us * 1000u;
	cfg.bytes_per_sec = dma.opts.mock_bandwidth;
	r = mock_device_create(&cfg, &dma.mock);
	if (r < 0) {
		log_err("dma: cannot start the mock controller: %s",
			strerror(-r));
		return r;
	}
	log_info("dma: mock controller %s with %u channels registered",
		 cfg.name, cfg.nr_channels);
	return 0;
}
#else
static int mock_start(void)
{
	log_err("dma: this dmabufd was built without the mock controller "
		"(-Dmock=disabled): use --mock-channels=0");
	return -EOPNOTSUPP;
}
#endif

static void delay_fired(uv_timer_t *timer)
{
	(void)mock_start();
}

static void handle_closed(uv_handle_t *handle)
{
}

int dma_setup_start(uv_loop_t *loop, const struct dma_options *o)
{
	int r;

	dma.opts = *o;
	r = uv_async_init(loop, &dma.wakeup, wakeup_fired);
	if (r < 0) {
		log_err("dma: uv_async_init: %s", uv_strerror(r));
		return r;
	}
	dma.wakeup_live = true;
	dma_cq_set_wakeup(wakeup_send, &dma.wakeup);
	dmaengine_node_set_default_timeout(o->timeout_ms);
	for (unsigned i = 0; i < o->num_maps; i++) {
		const struct dma_map_option *m = &o->maps[i];

		r = dma_slave_map_add(&(struct dma_slave_map_entry){
			.consumer = m->consumer,
			.dma_name = m->dma_name,
			.controller = m->controller,
			.chan_index = m->chan_index,
			.request_line = m->request_line,
		});
		if (r < 0) {
			log_err("dma: channel map %s:%s: %s", m->consumer,
				m->dma_name, strerror(-r));
			goto fail;
		}
	}
	if (o->backend != DMA_BACKEND_MOCK || !o->mock_channels)
		return 0;
	if (o->mock_delay_ms) {
		uv_timer_init(loop, &dma.delay);
		dma.delay_live = true;
		uv_timer_start(&dma.delay, delay_fired, o->mock_delay_ms, 0);
	} else {
		r = mock_start();
		if (r < 0)
			goto fail;
	}
	return 0;

fail:
	dma_setup_stop();
	return r;
}

void dma_setup_stop(void)
{
	if (dma.delay_live) {
		uv_timer_stop(&dma.delay);
		uv_close((uv_handle_t *)&dma.delay, handle_closed);
		dma.delay_live = false;
	}
#ifdef DMABUFD_HAVE_MOCK
	/* Every client file is released: the device goes at once, and its
	 * worker with it. */
	mock_device_remove(dma.mock);
	dma.mock = NULL;
#endif
	dma_slave_map_clear();
	if (dma.wakeup_live) {
		dma_cq_set_wakeup(NULL, NULL);
		dma_cq_drain();
		uv_close((uv_handle_t *)&dma.wakeup, handle_closed);
		dma.wakeup_live = false;
	}
}

int dma_setup_fault(uint32_t dev_id, uint32_t chan_id, uint32_t kind,
		    uint32_t count)
{
	char name[DMA_CHAN_NAME_LEN];
	struct dma_chan *chan;

	if ((kind == DMABUFD_CTL_FAULT_FAIL_NTH && count == 0) ||
	    (kind != DMABUFD_CTL_FAULT_FAIL_NTH && count != 0) ||
	    (kind != DMABUFD_CTL_FAULT_FAIL_NTH &&
	     kind != DMABUFD_CTL_FAULT_STALL && kind != DMABUFD_CTL_FAULT_CLEAR))
		return -EINVAL;
	snprintf(name, sizeof(name), "dma%uchan%u", dev_id, chan_id);
	chan = dma_find_chan_by_name(name);
	if (!chan)
		return -ENODEV;
#ifdef DMABUFD_HAVE_MOCK
	if (dma.mock && chan->device == mock_dma_device(dma.mock)) {
		switch (kind) {
		case DMABUFD_CTL_FAULT_FAIL_NTH:
			return mock_chan_fail_nth(dma.mock,
						  (unsigned)chan->chan_id, count,
						  DMA_TRANS_READ_FAILED);
		case DMABUFD_CTL_FAULT_STALL:
			return mock_stall(dma.mock, (unsigned)chan->chan_id,
					  true);
		default:
			(void)mock_chan_fail_nth(dma.mock,
						 (unsigned)chan->chan_id, 0,
						 DMA_TRANS_READ_FAILED);
			return mock_stall(dma.mock, (unsigned)chan->chan_id,
					  false);
		}
	}
#endif
	return -EOPNOTSUPP;
}
