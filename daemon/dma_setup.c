/* SPDX-License-Identifier: MIT */
/*
 * The daemon's DMA wiring (dma_setup.h). The completion queue (dma_cq.h)
 * wakes the loop through one uv_async, whose callback drains it; the mock
 * controller is created from the options, at once or from a one-shot
 * uv_timer (--mock-delay-ms) so that clients can watch a deferred request
 * complete; the name map entries are added before anything can ask.
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

void dma_options_init(struct dma_options *o)
{
	*o = (struct dma_options){
#ifdef DMABUFD_HAVE_MOCK
		.mock_channels = 4,
#endif
		.timeout_ms = DMA_CHAN_DEFAULT_TIMEOUT_MS,
	};
}

void dma_options_usage(FILE *f)
{
	fprintf(f,
		"  --mock-channels=N           channels of the mock DMA controller \"mock0\"\n"
		"                              (default 4, at most 32; 0: no controller)\n"
		"  --mock-latency-us=US        mock: delay before a transfer moves (default 0)\n"
		"  --mock-bandwidth=BYTES      mock: bytes per second (K/M/G suffixes; default\n"
		"                              0: as fast as memcpy)\n"
		"  --mock-delay-ms=MS          register the mock controller MS after start\n"
		"                              (requests by name wait for it)\n"
		"  --dma-timeout-ms=MS         watchdog deadline of a transfer at the head of\n"
		"                              its channel (default %d; 0: none)\n"
		"  --dma-map=CONSUMER:NAME=CONTROLLER[:CHAN[:LINE]]\n"
		"                              what dma_request_chan(CONSUMER, NAME) gets: a\n"
		"                              channel of CONTROLLER (CHAN: its index, empty or\n"
		"                              \"any\": any free one) and request line LINE\n"
		"                              (the device tree's dmas/dma-names); repeatable\n",
		DMA_CHAN_DEFAULT_TIMEOUT_MS);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A byte count with an optional K, M or G suffix (powers of 1024). */
static int parse_bytes(const char *s, uint64_t *ret)
{
	char buf[32];
	size_t len = strlen(s);
	unsigned shift = 0;
	uint64_t v;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	switch (buf[len - 1]) {
	case 'K': case 'k': shift = 10; break;
	case 'M': case 'm': shift = 20; break;
	case 'G': case 'g': shift = 30; break;
	}
	if (shift)
		buf[len - 1] = '\0';
	if (parse_u64(buf, UINT64_MAX >> shift, &v) < 0)
		return -EINVAL;
	*ret = v << shift;
	return 0;
}

static int copy_field(char *dst, size_t size, const char *src, size_t len)
{
	if (len == 0 || len >= size)
		return -EINVAL;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* CONSUMER:NAME=CONTROLLER[:CHAN[:LINE]] */
static int parse_map(const char *s, struct dma_map_option *m)
{
	const char *colon = strchr(s, ':'), *eq = strchr(s, '=');
	const char *ctl, *rest, *line;
	char chan[16];
	size_t len;
	uint64_t v;

	*m = (struct dma_map_option){ .chan_index = -1, .request_line = -1 };
	if (!colon || !eq || eq < colon ||
	    copy_field(m->consumer, sizeof(m->consumer), s,
		       (size_t)(colon - s)) < 0 ||
	    copy_field(m->dma_name, sizeof(m->dma_name), colon + 1,
		       (size_t)(eq - colon - 1)) < 0)
		return -EINVAL;
	ctl = eq + 1;
	rest = strchr(ctl, ':');
	if (copy_field(m->controller, sizeof(m->controller), ctl,
		       rest ? (size_t)(rest - ctl) : strlen(ctl)) < 0)
		return -EINVAL;
	if (!rest)
		return 0;
	rest++;
	line = strchr(rest, ':');
	len = line ? (size_t)(line - rest) : strlen(rest);
	if (len >= sizeof(chan))
		return -EINVAL;
	memcpy(chan, rest, len);
	chan[len] = '\0';
	if (chan[0] && strcmp(chan, "any") != 0) {
		if (parse_u64(chan, 1023, &v) < 0)
			return -EINVAL;
		m->chan_index = (int)v;
	}
	if (line) {
		if (parse_u64(line + 1, INT_MAX, &v) < 0)
			return -EINVAL;
		m->request_line = (int)v;
	}
	return 0;
}

int dma_options_parse(struct dma_options *o, const char *name,
		      const char *value)
{
	uint64_t v;
	int r;

	if (!strcmp(name, "mock-channels")) {
		r = parse_u64(value, 32, &v);
		if (r >= 0)
			o->mock_channels = (unsigned)v;
	} else if (!strcmp(name, "mock-latency-us")) {
		r = parse_u64(value, 60ull * 1000000, &o->mock_latency_us);
	} else if (!strcmp(name, "mock-bandwidth")) {
		r = parse_bytes(value, &o->mock_bandwidth);
	} else if (!strcmp(name, "mock-delay-ms")) {
		r = parse_u64(value, 3600ull * 1000, &o->mock_delay_ms);
	} else if (!strcmp(name, "dma-timeout-ms")) {
		r = parse_u64(value, UINT32_MAX, &o->timeout_ms);
	} else if (!strcmp(name, "dma-map")) {
		if (o->num_maps == DMA_SETUP_MAX_MAPS) {
			fprintf(stderr, "dmabufd: more than %d --dma-map\n",
				DMA_SETUP_MAX_MAPS);
			return -EINVAL;
		}
		r = parse_map(value, &o->maps[o->num_maps]);
		if (r >= 0)
			o->num_maps++;
	} else {
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "dmabufd: invalid value \"%s\" for --%s\n", value,
			name);
		return r;
	}
	return 1;
}

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
			log_err("dma: --dma-map %s:%s: %s", m->consumer,
				m->dma_name, strerror(-r));
			goto fail;
		}
	}
	if (o->mock_channels && o->mock_delay_ms) {
		uv_timer_init(loop, &dma.delay);
		dma.delay_live = true;
		uv_timer_start(&dma.delay, delay_fired, o->mock_delay_ms, 0);
	} else if (o->mock_channels) {
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
			return mock_fail_nth(dma.mock, count,
					     DMA_TRANS_READ_FAILED);
		case DMABUFD_CTL_FAULT_STALL:
			return mock_stall(dma.mock, (unsigned)chan->chan_id,
					  true);
		default:
			(void)mock_fail_nth(dma.mock, 0, DMA_TRANS_READ_FAILED);
			return mock_stall(dma.mock, (unsigned)chan->chan_id,
					  false);
		}
	}
#endif
	return -EOPNOTSUPP;
}
