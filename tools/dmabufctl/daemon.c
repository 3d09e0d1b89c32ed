/* SPDX-License-Identifier: MIT */
/*
 * The daemon as a whole: status (DMABUFD_CTL_INFO, the live counts of
 * DMABUFD_CTL_STATS and the heaps' limits) and stats (every count).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmabufctl.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- stats ----------------------------------------------------------- */

enum { ST_NAME, ST_VALUE, ST_KIND };

static const struct col_def stat_cols[] = {
	[ST_NAME] = { "NAME", COL_STR, COL_DEFAULT, "the count (dmabufctl(1))" },
	[ST_VALUE] = { "VALUE", COL_NUM, COL_DEFAULT | COL_RIGHT, "its value" },
	[ST_KIND] = { "KIND", COL_STR, 0,
		      "gauge (what is held now) or counter (only grows)" },
};

struct stat_rec {
	unsigned index;
	int64_t value;
};

static const char *stat_cell(const void *rec, unsigned col, char *buf, size_t size)
{
	const struct stat_rec *s = rec;

	switch (col) {
	case ST_NAME:
		return dmabufd_stat_name(s->index);
	case ST_VALUE:
		snprintf(buf, size, "%" PRId64, s->value);
		return buf;
	case ST_KIND:
		return dmabufd_stat_is_cumulative(s->index) ? "counter" : "gauge";
	}
	return NULL;
}

const struct table_def stats_table = {
	"stats", "stats", stat_cols, ARRAY_LEN(stat_cols), stat_cell,
};

int cmd_stats(int argc, char **argv)
{
	struct dmabufd_ctl_stats st;
	struct table *t = NULL;
	bool first = true;
	int r;

	/* JSON: one object, {"fences": 3, ...}, whatever -o says. */
	if (opts.mode != OUT_JSON) {
		r = table_new(&stats_table, &t);
		if (r)
			return r;
	}
	r = dmabufd_stats(&st);
	if (r < 0) {
		table_free(t);
		return ctl_fail("stats", r);
	}
	if (!t)
		putchar('{');
	for (unsigned i = 0; i < _DMABUFD_STAT_MAX; i++) {
		const char *name = dmabufd_stat_name(i);

		if (!name)
			continue;
		if (t) {
			if (table_add(t, &(struct stat_rec){ i, st.count[i] }) < 0) {
				table_free(t);
				return ctl_error(EXIT_FAILURE, ENOMEM, "out of memory");
			}
			continue;
		}
		printf("%s", first ? "" : ", ");
		json_str(name);
		printf(": %" PRId64, (int64_t)st.count[i]);
		first = false;
	}
	if (!t) {
		printf("}\n");
		return 0;
	}
	return table_print(t);
}

/* ---- status ---------------------------------------------------------- */

/* The [limits] keys of dmabufd.conf(5), by enum dmabufd_ctl_limit. */
static const char *const limit_keys[] = {
	[DMABUFD_CTL_LIMIT_BYTES] = "uid-bytes",
	[DMABUFD_CTL_LIMIT_FILES] = "uid-files",
	[DMABUFD_CTL_LIMIT_TOKENS] = "uid-tokens",
	[DMABUFD_CTL_LIMIT_CHANNELS] = "uid-channels",
	[DMABUFD_CTL_LIMIT_CONNECTIONS] = "uid-connections",
};

/* The live counts: what systemd's STATUS= line shows, and more. */
static const struct {
	const char *key;
	enum dmabufd_stat stat;
} live_counts[] = {
	{ "buffers", DMABUFD_STAT_DMA_BUFS },
	{ "heap_bytes", DMABUFD_STAT_HEAP_BYTES },
	{ "fences", DMABUFD_STAT_FENCES },
	{ "timelines", DMABUFD_STAT_TIMELINES },
	{ "open_files", DMABUFD_STAT_OPEN_FILES },
	{ "dma_channels", DMABUFD_STAT_DMA_CHANNELS },
	{ "dma_transfers", DMABUFD_STAT_DMA_XFERS },
	{ "accounts", DMABUFD_STAT_ACCOUNTS },
	{ "control_clients", DMABUFD_STAT_CTL_CLIENTS },
};

/* @ns of uptime: "3d04h05m", "1h02m03s", "2m05s", "42s". */
static const char *uptime(uint64_t ns, char *buf, size_t size)
{
	uint64_t s = ns / 1000000000;

	if (s >= 86400)
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h%02" PRIu64 "m",
			 s / 86400, s / 3600 % 24, s / 60 % 60);
	else if (s >= 3600)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s",
			 s / 3600, s / 60 % 60, s % 60);
	else if (s >= 60)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, size, "%" PRIu64 "s", s);
	return buf;
}

static const char *transport_name(uint32_t t)
{
	return t == DMABUFD_CTL_TRANSPORT_CUSE	 ? "cuse"
	       : t == DMABUFD_CTL_TRANSPORT_FUSE ? "fuse"
						 : "?";
}

static void status_json(const struct dmabufd_ctl_info *in, const char *control,
			const struct dmabufd_ctl_stats *st,
			const struct dmabufd_ctl_heap *heaps, uint32_t nheaps,
			uint32_t heap_size)
{
	printf("{\"version\": ");
	json_str(in->version);
	printf(", \"pid\": %u, \"uptime_ns\": \"%" PRIu64 "\", \"transport\": \"%s\""
	       ", \"dev_root\": ",
	       in->pid, (uint64_t)in->uptime_ns, transport_name(in->transport));
	json_str(in->dev_root);
	printf(", \"config\": ");
	if (in->config[0])
		json_str(in->config);
	else
		printf("null");
	printf(", \"control\": ");
	json_str(control);
	printf(", \"nodes\": %u, \"nodes_live\": %u, \"limits\": {", in->nodes,
	       in->nodes_live);
	for (unsigned i = 0; i < ARRAY_LEN(limit_keys); i++) {
		printf("%s\"", i ? ", " : "");
		for (const char *k = limit_keys[i]; *k; k++)
			putchar(*k == '-' ? '_' : *k);
		printf("\": %" PRIu64, (uint64_t)in->limit[i]);
	}
	printf(", \"exempt_root\": %s, \"exempt_gid\": ",
	       (in->limit_flags & DMABUFD_CTL_LIMIT_EXEMPT_ROOT) ? "true" : "false");
	if (in->limit_flags & DMABUFD_CTL_LIMIT_EXEMPT_GROUP)
		printf("%u", in->exempt_gid);
	else
		printf("null");
	printf("}, \"heaps\": [");
	FOREACH_REC(struct dmabufd_ctl_heap, h, heaps, nheaps, heap_size) {
		printf("%s{\"name\": ", _i ? ", " : "");
		json_strn(h->name, strnlen(h->name, sizeof(h->name)));
		printf(", \"limit_bytes\": %" PRIu64 "}", (uint64_t)h->limit_bytes);
	}
	printf("], \"live\": {");
	for (unsigned i = 0; i < ARRAY_LEN(live_counts); i++)
		printf("%s\"%s\": %" PRId64, i ? ", " : "", live_counts[i].key,
		       (int64_t)st->count[live_counts[i].stat]);
	printf("}}\n");
}

static void status_text(const struct dmabufd_ctl_info *in, const char *control,
			const struct dmabufd_ctl_stats *st,
			const struct dmabufd_ctl_heap *heaps, uint32_t nheaps,
			uint32_t heap_size)
{
	char buf[NAME_CELL_SIZE(in->dev_root)], up[32];
	const char *s;

	printf("%-15s %s\n", "version:", (s = name_field(buf, in->version)) ? s : "-");
	printf("%-15s %u\n", "pid:", in->pid);
	printf("%-15s %s\n", "uptime:", uptime(in->uptime_ns, up, sizeof(up)));
	printf("%-15s %s\n", "transport:", transport_name(in->transport));
	printf("%-15s %s\n", "dev-root:", (s = name_field(buf, in->dev_root)) ? s : "-");
	printf("%-15s %s\n", "config:", (s = name_field(buf, in->config)) ? s : "none");
	printf("%-15s %s\n", "control:",
	       (s = name_cell(buf, sizeof(buf), control, strlen(control))) ? s : "-");
	printf("%-15s %u (%u live)\n", "nodes:", in->nodes, in->nodes_live);
	printf("%-15s", "limits:");
	for (unsigned i = 0; i < ARRAY_LEN(limit_keys); i++) {
		if (in->limit[i])
			printf(" %s=%" PRIu64, limit_keys[i], (uint64_t)in->limit[i]);
		else
			printf(" %s=none", limit_keys[i]);
	}
	putchar('\n');
	printf("%-15s %s", "exempt:",
	       (in->limit_flags & DMABUFD_CTL_LIMIT_EXEMPT_ROOT) ? "root" : "-");
	if (in->limit_flags & DMABUFD_CTL_LIMIT_EXEMPT_GROUP)
		printf(", gid %u", in->exempt_gid);
	putchar('\n');
	FOREACH_REC(struct dmabufd_ctl_heap, h, heaps, nheaps, heap_size) {
		char name[NAME_CELL_SIZE(h->name)];

		printf("%-15s %s", _i ? "" : "heap limits:",
		       (s = name_field(name, h->name)) ? s : "-");
		if (h->limit_bytes)
			printf("=%" PRIu64 "\n", (uint64_t)h->limit_bytes);
		else
			printf("=none\n");
	}
	printf("%-15s", "live:");
	for (unsigned i = 0; i < ARRAY_LEN(live_counts); i++)
		printf(" %s=%" PRId64, live_counts[i].key,
		       (int64_t)st->count[live_counts[i].stat]);
	putchar('\n');
}

int cmd_status(int argc, char **argv)
{
	struct dmabufd_ctl_info info;
	struct dmabufd_ctl_stats st;
	uint32_t nheaps, heap_size;
	char control[256];
	void *heaps;
	int r = dmabufd_info(&info);

	if (r == -EINVAL)
		return ctl_error(EXIT_FAILURE, EINVAL,
				 "status: the daemon does not know the request "
				 "(a dmabufd older than this dmabufctl?)");
	if (r < 0)
		return ctl_fail("status", r);
	r = dmabufd_stats(&st);
	if (r < 0)
		return ctl_fail("stats", r);
	r = ctl_list(DMABUFD_CTL_HEAPS, "heaps", &heaps, &nheaps, &heap_size);
	if (r)
		return r;
	dmabufd_get_control_path(control, sizeof(control));
	if (opts.mode == OUT_JSON)
		status_json(&info, control, &st, heaps, nheaps, heap_size);
	else
		status_text(&info, control, &st, heaps, nheaps, heap_size);
	free(heaps);
	return 0;
}
