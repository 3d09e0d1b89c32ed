/* SPDX-License-Identifier: MIT */
/*
 * The DMA options (struct dma_options, dma_setup.h): their defaults, the
 * command line's --mock-*, --dma-timeout-ms and --dma-map, and the value
 * parsers the configuration file's [dma], [mock] and [consumer:NAME]
 * sections share with them.
 *
 * These live apart from dma_setup.c, which drives the loop handles and
 * the controllers, so that the configuration code links without libuv.
 * dma_options_set() is the one place that knows each option's range;
 * dma_options_parse() adds the command line's side effects (the backend
 * follows --mock-channels) and its messages. The names of --dma-map are
 * checked as the file's [consumer:NAME] names are (config.h).
 */
#include "wiring/dma_setup.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "config.h"
#include "dmaengine/dmaengine.h"

void dma_options_init(struct dma_options *o)
{
	memset(o, 0, sizeof(*o));
#ifdef DMABUFD_HAVE_MOCK
	o->backend = DMA_BACKEND_MOCK;
	o->mock_channels = 4;
#else
	o->backend = DMA_BACKEND_NONE;
#endif
	o->timeout_ms = DMA_CHAN_DEFAULT_TIMEOUT_MS;
}

void dma_options_usage(FILE *f)
{
	fprintf(f,
		"  --backend=mock|stm32-uio|none  the DMA controller ([dma] backend)\n"
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

const char *dma_backend_name(enum dma_backend backend)
{
	switch (backend) {
	case DMA_BACKEND_NONE:
		return "none";
	case DMA_BACKEND_MOCK:
		return "mock";
	case DMA_BACKEND_STM32:
		return "stm32-uio";
	}
	return "?";
}

int dma_backend_parse(const char *s, enum dma_backend *ret_backend)
{
	if (!strcmp(s, "none")) {
		*ret_backend = DMA_BACKEND_NONE;
	} else if (!strcmp(s, "mock")) {
#ifndef DMABUFD_HAVE_MOCK
		return -EOPNOTSUPP;
#endif
		*ret_backend = DMA_BACKEND_MOCK;
	} else if (!strcmp(s, "stm32-uio")) {
#ifndef DMABUFD_HAVE_STM32
		return -EOPNOTSUPP;
#endif
		*ret_backend = DMA_BACKEND_STM32;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* Copy @len bytes of @src into the string @dst of @size: 1..size-1. */
static int copy_field(char *dst, size_t size, const char *src, size_t len)
{
	if (len == 0 || len >= size)
		return -EINVAL;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

int dma_map_parse_target(const char *s, struct dma_map_option *m)
{
	const char *chan = strchr(s, ':'), *line = NULL;
	char idx[16];
	size_t len;
	uint64_t v;

	m->chan_index = -1;
	m->request_line = -1;
	if (copy_field(m->controller, sizeof(m->controller), s,
		       chan ? (size_t)(chan - s) : strlen(s)) < 0)
		return -EINVAL;
	if (!chan)
		return 0;
	chan++;
	line = strchr(chan, ':');
	len = line ? (size_t)(line - chan) : strlen(chan);
	if (len >= sizeof(idx))
		return -EINVAL;
	memcpy(idx, chan, len);
	idx[len] = '\0';
	if (idx[0] && strcmp(idx, "any") != 0) {
		if (config_parse_uint(idx, 0, 1023, &v) < 0)
			return -EINVAL;
		m->chan_index = (int)v;
	}
	if (line) {
		if (config_parse_uint(line + 1, 0, INT_MAX, &v) < 0)
			return -EINVAL;
		m->request_line = (int)v;
	}
	return 0;
}

/* CONSUMER:NAME=CONTROLLER[:CHAN[:LINE]] */
static int parse_map(const char *s, struct dma_map_option *m)
{
	const char *colon = strchr(s, ':'), *eq = strchr(s, '=');

	memset(m, 0, sizeof(*m));
	if (!colon || !eq || eq < colon ||
	    copy_field(m->consumer, sizeof(m->consumer), s,
		       (size_t)(colon - s)) < 0 ||
	    copy_field(m->dma_name, sizeof(m->dma_name), colon + 1,
		       (size_t)(eq - colon - 1)) < 0 ||
	    !config_map_name_valid(m->consumer) ||
	    !config_map_name_valid(m->dma_name))
		return -EINVAL;
	return dma_map_parse_target(eq + 1, m);
}

int dma_options_add_map(struct dma_options *o, const struct dma_map_option *m)
{
	for (unsigned i = 0; i < o->num_maps; i++)
		if (!strcmp(o->maps[i].consumer, m->consumer) &&
		    !strcmp(o->maps[i].dma_name, m->dma_name)) {
			o->maps[i] = *m;
			return 0;
		}
	if (o->num_maps == DMA_SETUP_MAX_MAPS)
		return -ENOSPC;
	o->maps[o->num_maps++] = *m;
	return 0;
}

int dma_options_set(struct dma_options *o, const char *name,
		    const char *value)
{
	struct dma_map_option m;
	uint64_t v;
	int r;

	if (!strcmp(name, "mock-channels")) {
		r = config_parse_uint(value, 0, 32, &v);
		if (r >= 0)
			o->mock_channels = (unsigned)v;
	} else if (!strcmp(name, "mock-latency-us")) {
		r = config_parse_uint(value, 0, 60ull * 1000000,
				      &o->mock_latency_us);
	} else if (!strcmp(name, "mock-bandwidth")) {
		r = config_parse_size(value, &o->mock_bandwidth);
	} else if (!strcmp(name, "mock-delay-ms")) {
		r = config_parse_uint(value, 0, 3600ull * 1000, &o->mock_delay_ms);
	} else if (!strcmp(name, "dma-timeout-ms")) {
		r = config_parse_uint(value, 0, UINT32_MAX, &o->timeout_ms);
	} else if (!strcmp(name, "dma-map")) {
		r = parse_map(value, &m);
		if (r >= 0)
			r = dma_options_add_map(o, &m);
	} else {
		return 0;
	}
	return r < 0 ? r : 1;
}

int dma_options_parse(struct dma_options *o, const char *name,
		      const char *value)
{
	int r = dma_options_set(o, name, value);

	if (r == -ENOSPC) {
		fprintf(stderr, "dmabufd: more than %d --dma-map\n",
			DMA_SETUP_MAX_MAPS);
		return -EINVAL;
	}
	if (r < 0) {
		/* The reason the file gives for the same key. */
		const char *expect = config_option_expect(name);

		fprintf(stderr, "dmabufd: invalid value \"%s\" for --%s%s%s\n",
			value, name, expect ? ": " : "", expect ? expect : "");
		return r;
	}
	if (r > 0 && !strcmp(name, "mock-channels")) {
		if (o->mock_channels)
			o->backend = DMA_BACKEND_MOCK;
		else if (o->backend == DMA_BACKEND_MOCK)
			o->backend = DMA_BACKEND_NONE;
	}
	return r;
}
