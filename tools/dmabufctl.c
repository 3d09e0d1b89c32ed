/* SPDX-License-Identifier: MIT */
/*
 * dmabufctl - look into a running dmabufd through its control socket.
 *
 *   dmabufctl [--control PATH] [--json] COMMAND
 *
 *   stats                          live-object counts
 *   heaps                          heaps and their usage
 *   buffers                        dma-bufs (as the kernel's dma_buf/bufinfo)
 *   fences                         fences: context, seqno, names, status, age
 *   timelines                      sw_sync timelines: value, pending points
 *   dma devices                    DMA controllers
 *   dma channels                   their channels (as /sys/class/dma, and more)
 *   dma transfers                  transfers of clients not ended yet
 *   dma fault CHAN fail-nth N      the Nth transfer CHAN starts from now fails
 *   dma fault CHAN stall           CHAN's transfers stop moving (the watchdog ends them)
 *   dma fault CHAN clear           forget CHAN's faults
 *   bufinfo, sync-info, dma summary  the kernel's debugfs texts
 *                                  (dmabufctl_views.c)
 *   trace -o FILE [--duration S]   record events as trace-event JSON
 *                                  (dmabufctl_trace.c)
 *
 * --json prints any command's output as one JSON value instead. Names
 * come from clients (DMA_BUF_SET_NAME, an opener's comm) and may hold any
 * bytes: the text output escapes what could drive a terminal
 * (text_safe()), JSON passes UTF-8 through and escapes the rest
 * (json_strn()).
 *
 * Exit status: 0 success; 1 the request failed, or the command line was
 * wrong; 2 no daemon listens on the control socket (EXIT_NO_DAEMON; the
 * message says how to start one). Commands are a table of (group, name)
 * -> handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dmabufd/dmabufd.h>

#include "dmabufctl_views.h"
#include "dmabufctl_trace.h"

#define EXIT_NO_DAEMON 2

static bool json;

/* enum dma_transaction_type, in order. */
static const char *const cap_names[] = {
	"memcpy", "xor", "pq", "xor_val", "pq_val", "memset", "memset_sg",
	"interrupt", "private", "async_tx", "slave", "cyclic", "interleave",
	"completion_no_order", "repeat", "load_eot",
};

static const char *const dir_names[] = {
	"mem_to_mem", "mem_to_dev", "dev_to_mem", "dev_to_dev",
};

static const char *const state_names[] = {
	[DMABUFD_CTL_XFER_PREPARED] = "prepared",
	[DMABUFD_CTL_XFER_SUBMITTED] = "submitted",
	[DMABUFD_CTL_XFER_WAITING] = "waiting",
	[DMABUFD_CTL_XFER_ACTIVE] = "active",
	[DMABUFD_CTL_XFER_PAUSED] = "paused",
};

/* A daemon error: a message, and the exit status. */
static int fail(const char *what, int r)
{
	char path[256] = "?";

	if (r == -ENOENT || r == -ECONNREFUSED) {
		dmabufd_get_control_path(path, sizeof(path));
		fprintf(stderr,
			"dmabufctl: dmabufd is not running (%s %s); start it "
			"with systemctl start dmabufd, or name its socket with "
			"--control or $%s\n",
			r == -ENOENT ? "no control socket at" : "nothing listens on",
			path, DMABUFD_ENV_CONTROL);
		return EXIT_NO_DAEMON;
	}
	fprintf(stderr, "dmabufctl: %s: %s\n", what, strerror(-r));
	return EXIT_FAILURE;
}

/*
 * The length of the valid UTF-8 sequence at @s (@n bytes left), its code
 * point in *ret_cp; 0 when @s starts none: a stray continuation byte, an
 * overlong form, a surrogate, a code point past U+10FFFF, a sequence cut
 * short.
 */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	uint32_t cp, min;
	size_t len;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return len;
}

/* C0 and C1 controls and DEL: a terminal acts on them. */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Bidirectional formatting characters: they reorder the text around them. */
static bool is_bidi_control(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * @s (@n bytes) as a JSON string: valid UTF-8 as it is, a quote and a
 * backslash escaped, controls (C0, DEL, C1) as \u00XX, and each byte that
 * is not part of valid UTF-8 as \ufffd (the replacement character).
 */
static void json_strn(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_char(p + i, n - i, &cp);

		if (!len) {
			printf("\\ufffd");
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			printf("\\%c", (int)cp);
		else if (is_control(cp))
			printf("\\u%04x", (unsigned)cp);
		else
			fwrite(p + i, 1, len, stdout);
		i += len;
	}
	putchar('"');
}

static void json_str(const char *s)
{
	json_strn(s, strlen(s));
}

/* A name field of a record (char[N], NUL-terminated unless full). */
#define json_field(f) json_strn((f), strnlen((f), sizeof(f)))

/*
 * @s (at most @n bytes, up to a NUL) made safe for a terminal, in @buf
 * (4 * @n + 1 bytes: no byte grows to more than four): valid UTF-8 as it
 * is, except controls (C0, DEL, C1) and bidirectional formatting
 * characters, whose bytes become \xNN, as does each byte that is not part
 * of valid UTF-8; a backslash is doubled, so that \xNN is never the
 * name's own text. Returns @buf.
 */
static const char *text_safe(char *buf, size_t size, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	n = strnlen(s, n);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_char(p + i, n - i, &cp);

		if (len && cp == '\\') {
			o += (size_t)snprintf(buf + o, size - o, "\\\\");
		} else if (len && !is_control(cp) && !is_bidi_control(cp)) {
			memcpy(buf + o, p + i, len);
			o += len;
		} else {
			if (!len)
				len = 1;
			for (size_t k = 0; k < len; k++)
				o += (size_t)snprintf(buf + o, size - o, "\\x%02x",
						      p[i + k]);
		}
		i += len;
	}
	buf[o] = '\0';
	return buf;
}

/* A record's name field, made safe for a terminal (text_safe()); the
 * buffer lives until the end of the enclosing block. */
#define text_field(f) \
	text_safe((char[4 * sizeof(f) + 1]){ 0 }, 4 * sizeof(f) + 1, (f), sizeof(f))

/* The cap names of @mask, comma-separated (text) or a JSON array. */
static void print_caps(uint32_t mask)
{
	bool first = true;

	if (json)
		putchar('[');
	for (unsigned i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++) {
		if (!(mask & (1u << i)))
			continue;
		printf("%s", first ? "" : ",");
		if (json)
			json_str(cap_names[i]);
		else
			printf("%s", cap_names[i]);
		first = false;
	}
	if (json)
		putchar(']');
	else if (first)
		putchar('-');
}

static const char *dir_name(uint32_t dir)
{
	return dir < 4 ? dir_names[dir] : "?";
}

static const char *type_name(uint32_t type)
{
	switch (type) {
	case DMABUFD_DMA_MEMCPY:
		return "memcpy";
	case DMABUFD_DMA_SLAVE:
		return "slave";
	case DMABUFD_DMA_CYCLIC:
		return "cyclic";
	}
	return "?";
}

/* ---- commands ------------------------------------------------------------- */

static int cmd_stats(int argc, char **argv)
{
	struct dmabufd_ctl_stats st;
	bool first = true;
	int r = dmabufd_stats(&st);

	if (r < 0)
		return fail("stats", r);
	if (json)
		putchar('{');
	for (unsigned i = 0; i < _DMABUFD_STAT_MAX; i++) {
		const char *name = dmabufd_stat_name(i);

		if (!name)
			continue;
		if (json) {
			printf("%s", first ? "" : ", ");
			json_str(name);
			printf(": %" PRId64, (int64_t)st.count[i]);
		} else {
			printf("%-18s %" PRId64 "\n", name, (int64_t)st.count[i]);
		}
		first = false;
	}
	if (json)
		printf("}\n");
	return 0;
}

/* Fetch a listing; *ret_recs is freed by the caller. */
static int list(uint32_t op, const char *what, void **ret_recs, uint32_t *ret_count,
		uint32_t *ret_size)
{
	uint32_t hidden = 0;
	int r = dmabufd_ctl_list_hidden(op, ret_recs, ret_count, ret_size, &hidden);

	if (r == -EINVAL) {
		/* Every listing takes a request with nothing else in it. */
		fprintf(stderr, "dmabufctl: %s: the daemon has no such listing "
				"(a dmabufd older than this dmabufctl?)\n", what);
		return EXIT_FAILURE;
	}
	if (r < 0)
		return fail(what, r);
	/* To stderr: the listing itself (text or JSON) stays as it was. */
	if (hidden)
		fprintf(stderr, "dmabufctl: %s: %u of other users not shown\n",
			what, hidden);
	return 0;
}

#define FOREACH_REC(type, rec, recs, count, size)                                  \
	for (uint32_t _i = 0; _i < (count); _i++)                                  \
		for (const type *rec = (const void *)((const char *)(recs) +       \
						      (size_t)_i * (size));        \
		     rec; rec = NULL)

/* @ns as a short duration: "850ns", "12us", "3.2ms", "1.50s", "2m05s". */
static const char *duration(uint64_t ns, char *buf, size_t size)
{
	if (ns < 1000)
		snprintf(buf, size, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, size, "%" PRIu64 "us", ns / 1000);
	else if (ns < 1000000000)
		snprintf(buf, size, "%.1fms", (double)ns / 1e6);
	else if (ns < UINT64_C(60000000000))
		snprintf(buf, size, "%.2fs", (double)ns / 1e9);
	else
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s",
			 ns / UINT64_C(60000000000), ns / 1000000000 % 60);
	return buf;
}

static int cmd_heaps(int argc, char **argv)
{
	uint32_t count, size;
	void *recs;
	int r = list(DMABUFD_CTL_HEAPS, "heaps", &recs, &count, &size);

	if (r)
		return r;
	if (json)
		putchar('[');
	else
		printf("%-16s %-8s %-14s %s\n", "HEAP", "BUFFERS", "BYTES", "LIMIT");
	FOREACH_REC(struct dmabufd_ctl_heap, h, recs, count, size) {
		if (json) {
			printf("%s{\"name\": ", _i ? ", " : "");
			json_field(h->name);
			printf(", \"buffers\": %" PRIu64 ", \"bytes\": %" PRIu64
			       ", \"limit_bytes\": %" PRIu64 "}",
			       (uint64_t)h->buffers, (uint64_t)h->bytes,
			       (uint64_t)h->limit_bytes);
		} else if (h->limit_bytes) {
			printf("%-16s %-8" PRIu64 " %-14" PRIu64 " %" PRIu64 "\n",
			       text_field(h->name),
			       (uint64_t)h->buffers, (uint64_t)h->bytes,
			       (uint64_t)h->limit_bytes);
		} else {
			printf("%-16s %-8" PRIu64 " %-14" PRIu64 " -\n", text_field(h->name),
			       (uint64_t)h->buffers, (uint64_t)h->bytes);
		}
	}
	if (json)
		printf("]\n");
	free(recs);
	return 0;
}

static const char *mode_name(uint32_t mode)
{
	switch (mode) {
	case O_RDONLY:
		return "r";
	case O_WRONLY:
		return "w";
	case O_RDWR:
		return "rw";
	case O_ACCMODE:
		return "-";
	}
	return "?";
}

static int cmd_buffers(int argc, char **argv)
{
	uint32_t count, size;
	void *recs;
	int r = list(DMABUFD_CTL_BUFFERS, "buffers", &recs, &count, &size);

	if (r)
		return r;
	if (json)
		putchar('[');
	else
		printf("%-8s %-12s %-4s %-5s %-7s %-6s %-5s %-11s %-16s %s\n", "ID", "SIZE",
		       "MODE", "REFS", "ATTACH", "MAPPED", "VMAPS", "FENCES",
		       "EXPORTER", "NAME");
	FOREACH_REC(struct dmabufd_ctl_buffer, b, recs, count, size) {
		if (json) {
			printf("%s{\"id\": %" PRIu64 ", \"size\": %" PRIu64
			       ", \"mode\": \"%s\", \"name\": ",
			       _i ? ", " : "", (uint64_t)b->id, (uint64_t)b->size,
			       mode_name(b->mode));
			json_field(b->name);
			printf(", \"exporter\": ");
			json_field(b->exporter);
			printf(", \"refcount\": %u, \"attachments\": %u, \"mapped\": %u, "
			       "\"vmaps\": %u, \"fences\": {\"kernel\": %u, \"write\": %u, "
			       "\"read\": %u, \"bookkeep\": %u}, \"orphaned\": %s}",
			       b->refcount, b->attachments, b->mapped, b->vmaps,
			       b->fences_kernel, b->fences_write, b->fences_read,
			       b->fences_bookkeep,
			       (b->flags & DMABUFD_CTL_BUF_ORPHANED) ? "true" : "false");
		} else {
			char fences[48];

			snprintf(fences, sizeof(fences), "%u/%u/%u/%u", b->fences_kernel,
				 b->fences_write, b->fences_read, b->fences_bookkeep);
			printf("%-8" PRIu64 " %-12" PRIu64 " %-4s %-5u %-7u %-6u %-5u %-11s "
			       "%-16s %s%s\n",
			       (uint64_t)b->id, (uint64_t)b->size, mode_name(b->mode),
			       b->refcount, b->attachments, b->mapped, b->vmaps, fences,
			       text_field(b->exporter), b->name[0] ? text_field(b->name) : "-",
			       (b->flags & DMABUFD_CTL_BUF_ORPHANED) ? " (orphaned)" : "");
		}
	}
	if (json)
		printf("]\n");
	else if (count)
		printf("FENCES: unsignaled kernel/write/read/bookkeep fences of the "
		       "reservation object\n");
	free(recs);
	return 0;
}

/* "pending", "signaled" or "error", as the status of a record says. */
static const char *fence_state(int32_t status)
{
	return status == 0 ? "pending" : status == 1 ? "signaled" : "error";
}

/* "ENOENT" for -2; a number when the C library has no name for it. */
static const char *errno_name(int32_t status, char *buf, size_t size)
{
	const char *name = status < 0 ? strerrorname_np(-status) : NULL;

	if (name)
		return name;
	snprintf(buf, size, "%d", status);
	return buf;
}

static int cmd_fences(int argc, char **argv)
{
	uint32_t count, size;
	void *recs;
	int r = list(DMABUFD_CTL_FENCES, "fences", &recs, &count, &size);

	if (r)
		return r;
	if (json)
		putchar('[');
	else
		printf("%-8s %-10s %-12s %-20s %-16s %-9s %-9s %-5s %s\n", "CONTEXT",
		       "SEQNO", "DRIVER", "TIMELINE", "STATUS", "AGE", "SIGNALED",
		       "REFS", "WAITERS");
	FOREACH_REC(struct dmabufd_ctl_fence, f, recs, count, size) {
		char num[16], age[24], took[24];

		if (json) {
			printf("%s{\"context\": %" PRIu64 ", \"seqno\": %" PRIu64
			       ", \"driver\": ",
			       _i ? ", " : "", (uint64_t)f->context, (uint64_t)f->seqno);
			json_field(f->driver);
			printf(", \"timeline\": ");
			json_field(f->timeline);
			printf(", \"status\": \"%s\", \"error\": %d, \"error_name\": ",
			       fence_state(f->status), f->status < 0 ? f->status : 0);
			if (f->status < 0)
				json_str(errno_name(f->status, num, sizeof(num)));
			else
				printf("null");
			printf(", \"enabled\": %s, \"refcount\": %u, \"waiters\": %u, "
			       "\"created_ns\": %" PRIu64 ", \"timestamp_ns\": %" PRIu64
			       ", \"age_ns\": %" PRIu64 "}",
			       (f->flags & DMABUFD_CTL_FENCE_ENABLED) ? "true" : "false",
			       f->refcount, f->waiters, (uint64_t)f->created_ns,
			       (uint64_t)f->timestamp_ns, (uint64_t)f->age_ns);
		} else {
			char status[40];

			if (f->status < 0)
				snprintf(status, sizeof(status), "error %s",
					 errno_name(f->status, num, sizeof(num)));
			else
				snprintf(status, sizeof(status), "%s", fence_state(f->status));
			if (f->timestamp_ns)
				duration(f->timestamp_ns > f->created_ns
						 ? f->timestamp_ns - f->created_ns
						 : 0,
					 took, sizeof(took));
			else
				snprintf(took, sizeof(took), "-");
			printf("%-8" PRIu64 " %-10" PRIu64 " %-12s %-20s %-16s %-9s %-9s %-5u "
			       "%u\n",
			       (uint64_t)f->context, (uint64_t)f->seqno, text_field(f->driver),
			       text_field(f->timeline), status, duration(f->age_ns, age, sizeof(age)),
			       took, f->refcount, f->waiters);
		}
	}
	if (json)
		printf("]\n");
	else if (count)
		printf("AGE: since the fence was created; SIGNALED: how long after "
		       "its creation it signaled\n");
	free(recs);
	return 0;
}

static int cmd_timelines(int argc, char **argv)
{
	uint32_t count, size;
	void *recs;
	int r = list(DMABUFD_CTL_TIMELINES, "timelines", &recs, &count, &size);

	if (r)
		return r;
	if (json)
		putchar('[');
	else
		printf("%-16s %-8s %-10s %-8s %s\n", "TIMELINE", "CONTEXT", "VALUE",
		       "PENDING", "STATE");
	FOREACH_REC(struct dmabufd_ctl_timeline, t, recs, count, size) {
		bool closed = t->flags & DMABUFD_CTL_TIMELINE_CLOSED;

		if (json) {
			printf("%s{\"name\": ", _i ? ", " : "");
			json_field(t->name);
			printf(", \"context\": %" PRIu64 ", \"value\": %u, \"pending\": %u, "
			       "\"closed\": %s}",
			       (uint64_t)t->context, t->value, t->pending,
			       closed ? "true" : "false");
		} else {
			printf("%-16s %-8" PRIu64 " %-10u %-8u %s\n", text_field(t->name),
			       (uint64_t)t->context, t->value, t->pending,
			       closed ? "closed" : "open");
		}
	}
	if (json)
		printf("]\n");
	free(recs);
	return 0;
}

static int cmd_dma_devices(int argc, char **argv)
{
	uint32_t count, size;
	void *recs;
	int r = list(DMABUFD_CTL_DMA_DEVICES, "dma devices", &recs, &count, &size);

	if (r)
		return r;
	if (json)
		putchar('[');
	else
		printf("%-4s %-16s %-6s %-8s %s\n", "ID", "NAME", "CHANS", "PRIVATE",
		       "CAPABILITIES");
	FOREACH_REC(struct dmabufd_ctl_dma_device, d, recs, count, size) {
		if (json) {
			printf("%s{\"id\": %u, \"name\": ", _i ? ", " : "", d->dev_id);
			json_field(d->name);
			printf(", \"channels\": %u, \"private_channels\": %u, "
			       "\"private\": %s, \"capabilities\": ",
			       d->chancnt, d->privatecnt,
			       (d->flags & DMABUFD_CTL_DEV_PRIVATE) ? "true" : "false");
			print_caps(d->cap_mask);
			printf(", \"residue_granularity\": %u}", d->residue_granularity);
		} else {
			printf("%-4u %-16s %-6u %-8u ", d->dev_id, text_field(d->name), d->chancnt,
			       d->privatecnt);
			print_caps(d->cap_mask);
			putchar('\n');
		}
	}
	if (json)
		printf("]\n");
	free(recs);
	return 0;
}

static int cmd_dma_channels(int argc, char **argv)
{
	uint32_t count, size;
	void *recs;
	int r = list(DMABUFD_CTL_DMA_CHANNELS, "dma channels", &recs, &count, &size);

	if (r)
		return r;
	if (json)
		putchar('[');
	else
		printf("%-12s %-8s %-6s %-8s %-10s %-10s %-9s %-9s %-12s %-6s %-7s %-8s %s\n",
		       "CHANNEL", "DEVICE", "IN_USE", "FLAGS", "COOKIE", "COMPLETED",
		       "IN_FLIGHT", "XFERS", "BYTES", "ERRORS", "ABORTED", "TIMEOUTS",
		       "CLIENT");
	FOREACH_REC(struct dmabufd_ctl_dma_channel, c, recs, count, size) {
		if (json) {
			printf("%s{\"name\": ", _i ? ", " : "");
			json_field(c->name);
			printf(", \"device\": ");
			json_field(c->device);
			printf(", \"dev_id\": %u, \"chan_id\": %u, \"in_use\": %u, "
			       "\"private\": %s, \"paused\": %s, \"table_count\": %u, "
			       "\"request_line\": %d, \"cookie\": %d, "
			       "\"completed_cookie\": %d, \"in_flight\": %u, "
			       "\"timeout_ms\": %" PRIu64 ", \"transfers\": %" PRIu64
			       ", \"bytes_transferred\": %" PRIu64 ", \"errors\": %" PRIu64
			       ", \"aborted\": %" PRIu64 ", \"timeouts\": %" PRIu64
			       ", \"client\": ",
			       c->dev_id, c->chan_id, c->client_count,
			       (c->flags & DMABUFD_CTL_CHAN_PRIVATE) ? "true" : "false",
			       (c->flags & DMABUFD_CTL_CHAN_PAUSED) ? "true" : "false",
			       c->table_count, c->request_line, c->cookie,
			       c->completed_cookie, c->in_flight, (uint64_t)c->timeout_ms,
			       (uint64_t)c->xfer_count, (uint64_t)c->bytes_transferred,
			       (uint64_t)c->errors, (uint64_t)c->aborted,
			       (uint64_t)c->timeouts);
			json_field(c->client);
			putchar('}');
		} else {
			char flags[8];

			snprintf(flags, sizeof(flags), "%s%s",
				 (c->flags & DMABUFD_CTL_CHAN_PRIVATE) ? "P" : "",
				 (c->flags & DMABUFD_CTL_CHAN_PAUSED) ? "z" : "");
			printf("%-12s %-8s %-6u %-8s %-10d %-10d %-9u %-9" PRIu64
			       " %-12" PRIu64 " %-6" PRIu64 " %-7" PRIu64 " %-8" PRIu64
			       " %s\n",
			       text_field(c->name), text_field(c->device), c->client_count,
			       flags[0] ? flags : "-",
			       c->cookie, c->completed_cookie, c->in_flight,
			       (uint64_t)c->xfer_count, (uint64_t)c->bytes_transferred,
			       (uint64_t)c->errors, (uint64_t)c->aborted,
			       (uint64_t)c->timeouts, c->client[0] ? text_field(c->client) : "-");
		}
	}
	if (json)
		printf("]\n");
	else if (count)
		printf("FLAGS: P held privately (a request), z paused\n");
	free(recs);
	return 0;
}

static const char *state_name(uint32_t state)
{
	return state < sizeof(state_names) / sizeof(state_names[0]) && state_names[state]
		       ? state_names[state]
		       : "?";
}

static int cmd_dma_transfers(int argc, char **argv)
{
	uint32_t count, size;
	void *recs;
	int r = list(DMABUFD_CTL_DMA_XFERS, "dma transfers", &recs, &count, &size);

	if (r)
		return r;
	if (json)
		putchar('[');
	else
		printf("%-12s %-8s %-10s %-11s %-9s %-7s %-10s %-12s %-12s %s\n", "CHANNEL",
		       "PID", "COOKIE", "CHAN_COOKIE", "STATE", "TYPE", "DIRECTION",
		       "LENGTH", "RESIDUE", "PERIODS");
	FOREACH_REC(struct dmabufd_ctl_dma_xfer, x, recs, count, size) {
		if (json) {
			printf("%s{\"channel\": ", _i ? ", " : "");
			json_field(x->chan);
			printf(", \"pid\": %u, \"cookie\": %d, \"chan_cookie\": %d, "
			       "\"state\": \"%s\", \"type\": \"%s\", \"direction\": \"%s\", "
			       "\"length\": %" PRIu64 ", \"residue\": %" PRIu64
			       ", \"periods\": %" PRIu64 "}",
			       x->pid, x->cookie, x->chan_cookie, state_name(x->state),
			       type_name(x->type), dir_name(x->direction), (uint64_t)x->len,
			       (uint64_t)x->residue, (uint64_t)x->periods);
		} else {
			printf("%-12s %-8u %-10d %-11d %-9s %-7s %-10s %-12" PRIu64
			       " %-12" PRIu64 " %" PRIu64 "\n",
			       text_field(x->chan), x->pid, x->cookie, x->chan_cookie, state_name(x->state),
			       type_name(x->type), dir_name(x->direction), (uint64_t)x->len,
			       (uint64_t)x->residue, (uint64_t)x->periods);
		}
	}
	if (json)
		printf("]\n");
	free(recs);
	return 0;
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "dmabufctl: %s (dmabufctl --help)\n", msg);
	return EXIT_FAILURE;
}

/* @s past its leading decimal digits, or NULL when it starts with none. */
static const char *skip_digits(const char *s)
{
	const char *p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	return p == s ? NULL : p;
}

/* Whether @s has the form of a channel name: "dma<N>chan<M>", decimal. */
static bool is_chan_name(const char *s)
{
	if (strncmp(s, "dma", 3))
		return false;
	s = skip_digits(s + 3);
	if (!s || strncmp(s, "chan", 4))
		return false;
	s = skip_digits(s + 4);
	return s && !*s;
}

static int cmd_dma_fault(int argc, char **argv)
{
	uint32_t fault, count = 0;
	char *end;
	int r;

	if (argc < 2)
		return usage_error("dma fault CHAN fail-nth N|stall|clear");
	if (!strcmp(argv[1], "fail-nth") && argc == 3) {
		unsigned long n;

		errno = 0;
		n = strtoul(argv[2], &end, 10);
		if (errno || end == argv[2] || *end || argv[2][0] == '-' || n == 0 ||
		    n > UINT32_MAX)
			return usage_error("fail-nth needs a count >= 1");
		fault = DMABUFD_CTL_FAULT_FAIL_NTH;
		count = (uint32_t)n;
	} else if (!strcmp(argv[1], "stall") && argc == 2) {
		fault = DMABUFD_CTL_FAULT_STALL;
	} else if (!strcmp(argv[1], "clear") && argc == 2) {
		fault = DMABUFD_CTL_FAULT_CLEAR;
	} else {
		return usage_error("dma fault CHAN fail-nth N|stall|clear");
	}
	/* Checked here, so that an EINVAL of the daemon (a fault or count it
	 * does not take) is not taken for a bad name. */
	if (!is_chan_name(argv[0])) {
		fprintf(stderr, "dmabufctl: \"%s\" is not a channel name like dma0chan1\n",
			argv[0]);
		return EXIT_FAILURE;
	}
	r = dmabufd_dma_fault(argv[0], fault, count);
	if (r < 0)
		return fail("dma fault", r);
	if (json) {
		printf("{\"channel\": ");
		json_str(argv[0]);
		printf(", \"fault\": \"%s\", \"count\": %u}\n", argv[1], count);
	}
	return 0;
}

struct command {
	const char *group; /* NULL: top level */
	const char *name;
	const char *args;
	int (*fn)(int argc, char **argv); /* argv[0] is the first argument */
	int min_args, max_args;
	const char *help;
};

static const struct command commands[] = {
	{ NULL, "stats", "", cmd_stats, 0, 0, "live-object counts" },
	{ NULL, "heaps", "", cmd_heaps, 0, 0, "heaps: buffers, bytes in use, limit" },
	{ NULL, "buffers", "", cmd_buffers, 0, 0,
	  "dma-bufs: size, name, exporter, users, fences" },
	{ NULL, "fences", "", cmd_fences, 0, 0,
	  "fences: context, seqno, names, status, age" },
	{ NULL, "timelines", "", cmd_timelines, 0, 0,
	  "sw_sync timelines: value, pending points" },
	{ NULL, "bufinfo", "", ctl_cmd_bufinfo, 0, 0,
	  "debugfs dma_buf/bufinfo, in the kernel's format" },
	{ NULL, "sync-info", "", ctl_cmd_sync_info, 0, 0,
	  "debugfs sync/info, in the kernel's format" },
	{ "dma", "devices", "", cmd_dma_devices, 0, 0, "DMA controllers" },
	{ "dma", "channels", "", cmd_dma_channels, 0, 0,
	  "their channels: users, cookies, counters" },
	{ "dma", "transfers", "", cmd_dma_transfers, 0, 0,
	  "transfers of clients not ended yet" },
	{ "dma", "fault", "CHAN fail-nth N|stall|clear", cmd_dma_fault, 2, 3,
	  "inject a fault (mock controller)" },
	{ "dma", "summary", "", ctl_cmd_dma_summary, 0, 0,
	  "debugfs dmaengine/summary, in the kernel's format" },
	{ NULL, "trace", "-o FILE [--duration S]", ctl_cmd_trace, 0, 8,
	  "record events into a Perfetto/Chrome trace" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: dmabufctl [--control PATH] [--json] COMMAND\n"
		   "Look into a running dmabufd through its control socket.\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];
		char line[64];

		snprintf(line, sizeof(line), "%s%s%s%s%s", c->group ? c->group : "",
			 c->group ? " " : "", c->name, c->args[0] ? " " : "", c->args);
		fprintf(f, "  %-38s %s\n", line, c->help);
	}
	fprintf(f, "\n  --control PATH   the control socket (default $%s, else %s)\n"
		   "  --json           print the output as JSON (every command)\n"
		   "  -h, --help       this text\n\n"
		   "Exit status: 0 done, 1 the request or the command line failed,\n"
		   "2 the daemon is not running.\n",
		DMABUFD_ENV_CONTROL, DMABUFD_CONTROL_SOCKET);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *group = NULL;
	int trace_at = ctl_trace_index(argc, argv);
	int c, nargs;

	/* getopt_long() permutes: options may follow the command
	 * ("dmabufctl dma channels --json"); but not trace's own. */
	while ((c = getopt_long(trace_at ? trace_at + 1 : argc, argv, "h",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (setenv(DMABUFD_ENV_CONTROL, optarg, 1) < 0)
				return fail("setenv", -errno);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	if (trace_at)
		return ctl_cmd_trace(argc - trace_at - 1, argv + trace_at + 1);
	if (optind >= argc)
		return usage_error("no command");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].group && !strcmp(commands[i].group, argv[optind]))
			group = commands[i].group;
	if (group)
		optind++;
	if (optind >= argc)
		return usage_error("no command");
	nargs = argc - optind - 1;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *cmd = &commands[i];

		if ((cmd->group == NULL) != (group == NULL) ||
		    (group && strcmp(cmd->group, group)) || strcmp(cmd->name, argv[optind]))
			continue;
		if (nargs < cmd->min_args || nargs > cmd->max_args)
			return usage_error("wrong number of arguments");
		return cmd->fn(nargs, argv + optind + 1);
	}
	return usage_error("unknown command");
}
