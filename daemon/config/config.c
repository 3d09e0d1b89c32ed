/* SPDX-License-Identifier: MIT */
/*
 * The configuration file (config.h): defaults, and the parser.
 *
 * inih does the INI part: it splits "KEY = VALUE" (or "KEY: VALUE"),
 * trims both, drops ';' comments that follow whitespace, and calls
 * on_pair() per key. It reads through read_line(), our fgets-like reader
 * (ini_parse_stream), which is what gives every key its line number:
 * inih calls the handler for a line before it asks for the next one. The
 * reader also takes for itself what inih would get wrong or report
 * without a line of ours:
 *
 *   - leading whitespace is removed, so an indented line is never taken
 *     for the continuation of the value above (inih's multi-line values);
 *     a value is one line;
 *   - section headers are handled here (inih sees them too, harmlessly):
 *     unknown and duplicate sections are found even when they hold no
 *     key, and their keys are skipped without one error each;
 *   - a line that is neither a comment, a header nor a KEY = VALUE, and a
 *     line longer than inih's buffer, is reported and handed to inih as
 *     an empty line; a comment may be of any length, and the keys after
 *     a header too long to read belong to no section;
 *   - it reads a bounded piece of each line and drops the rest, a file
 *     1 MiB at most, so that neither a long line nor an endless file
 *     (/dev/zero) takes memory, and a read error is one, not an end;
 *   - a UTF-8 byte order mark, and the CR of CRLF line ends, go.
 *
 * Each section kind has a table of keys (keys[]), each with a setter and
 * the text that says what a good value looks like (the command line's
 * messages use it too: config_option_expect()). The checks that need the
 * whole file (the backend is given, a heap has a type, controllers have
 * UIO devices and distinct indexes) run at its end; those between the
 * backend, the controllers and the heaps wait for the command line:
 * config_check(), which config_load() calls.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <dmabufd/common.h>
#include <dmabufd/dmaengine.h>

#include "dev/dev.h"
#include "model/heap.h"
#include "model/heap_system.h"
#include "util/macros.h"

#define CONFIG_DEFAULT_GROUP "video"
#define UIO_MAPS 5 /* MAX_UIO_MAPS of the kernel: maps 0..4 */
#define CONFIG_FILE_MAX (1u << 20) /* bytes read at most */
#define UTF8_BOM "\xEF\xBB\xBF"

#define STR_(x) #x
#define STR(x) STR_(x)

enum section_kind {
	SEC_NONE,	 /* before the first header */
	SEC_SKIP,	 /* refused (reported): its keys are ignored */
	SEC_DAEMON,	 /* [daemon] */
	SEC_NODES,	 /* [nodes] */
	SEC_HEAP_SYSTEM, /* [heap:system] */
	SEC_HEAP,	 /* [heap:NAME]: a stm32-contig heap */
	SEC_DMA,	 /* [dma] */
	SEC_MOCK,	 /* [mock] */
	SEC_STM32,	 /* [stm32] */
	SEC_STM32_CTL,	 /* [stm32:NAME]: a controller */
	SEC_CONSUMER,	 /* [consumer:NAME]: channel map entries */
	SEC_LIMITS,	 /* [limits]: limits.h */
};

struct seen {
	char *name;
	unsigned line;
};

struct parser {
	struct daemon_config *c;
	const char *path;
	config_report_fn *report;
	void *data;
	unsigned errors;

	FILE *f;
	/* The line being read: a byte order mark, the longest line inih
	 * takes less its "\n\0", a CR, and a NUL. */
	char buf[3 + (INI_MAX_LINE - 2) + 1 + 1];
	size_t bytes;	 /* read so far */
	unsigned line;	 /* of the line last read */
	int read_errno;

	/* The current section */
	enum section_kind kind;
	char section[128];	/* its name, for messages */
	unsigned slot;		/* SEC_HEAP, SEC_STM32_CTL: array index */
	const char *consumer;	/* SEC_CONSUMER: the name after ':' */
	struct seen *keys;	/* its keys so far */
	unsigned nr_keys;

	struct seen *sections;	/* every section accepted */
	unsigned nr_sections;

	/* What the checks at the end need (and c->heap_line) */
	unsigned dma_line;	/* the [dma] header; 0: none */
	unsigned backend_line;	/* backend = ..., even a bad one; 0: none */
	bool heap_typed[STM32_SETUP_MAX_HEAPS];
	unsigned ctl_line[STM32_SETUP_MAX_CONTROLLERS];

	char why[160];		/* a setter's reason, when it gives one */
};

struct key_def {
	enum section_kind kind;
	const char *name;
	/* 0, or -EINVAL for a bad value (the reason: p->why if set, else
	 * expect), or another -errno with the whole message in p->why. */
	int (*set)(struct parser *p, const struct key_def *k,
		   const char *value);
	size_t off;		/* the field in the section's struct */
	uint64_t min, max;	/* numbers */
	const char *opt;	/* its command-line option, without "--"
				 * (for [dma] and [mock], dma_options_set()'s
				 * name) */
	const char *expect;	/* what a good value looks like */
};

static void report(struct parser *p, unsigned line, const char *fmt, ...)
	_printf_(3, 4);

static void report(struct parser *p, unsigned line, const char *fmt, ...)
{
	char msg[PATH_MAX + 512];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "%s:%u: ", p->path, line);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	p->errors++;
	if (p->report)
		p->report(p->data, msg);
}

void config_init(struct daemon_config *c)
{
	memset(c, 0, sizeof(*c));
	c->transport = TRANSPORT_AUTO;
	snprintf(c->dev_root, sizeof(c->dev_root), "%s", DMABUFD_FUSE_ROOT);
	snprintf(c->control, sizeof(c->control), "%s", DMABUFD_CONTROL_SOCKET);
	c->token_ttl_ms = DMABUFD_TOKEN_TTL_MS;
	c->max_wait_ms = DEV_DEFAULT_MAX_WAIT_NS / 1000000u;
	c->stop_timeout_ms = CONFIG_STOP_TIMEOUT_MS;
	c->log_level = LOG_NOTICE;
	snprintf(c->heap_dir, sizeof(c->heap_dir), "%s", DMABUFD_NODE_HEAP_DIR);
	snprintf(c->dma_buf_node, sizeof(c->dma_buf_node), "%s",
		 DMABUFD_NODE_DMA_BUF);
	snprintf(c->sync_file_node, sizeof(c->sync_file_node), "%s",
		 DMABUFD_NODE_SYNC_FILE);
	snprintf(c->sw_sync_node, sizeof(c->sw_sync_node), "%s",
		 DMABUFD_NODE_SW_SYNC);
	snprintf(c->dmaengine_node, sizeof(c->dmaengine_node), "%s",
		 DMABUFD_NODE_DMAENGINE);
	snprintf(c->group, sizeof(c->group), "%s", CONFIG_DEFAULT_GROUP);
	c->access = (struct node_access){ .gid = 0, .mode = 0660 };
	c->heap_limit = limits_ram_percent(LIMITS_SYSTEM_HEAP_PCT);
	limit_options_init(&c->limits);
	dma_options_init(&c->dma);
#ifdef DMABUFD_HAVE_STM32
	stm32_options_init(&c->stm32);
#endif
}

void config_node_names(const struct daemon_config *c,
		       struct node_names *ret_names)
{
	*ret_names = (struct node_names){
		.heap_dir = c->heap_dir,
		.dma_buf = c->dma_buf_node,
		.sync_file = c->sync_file_node,
		.sw_sync = c->sw_sync_node,
		.dmaengine = c->dmaengine_node,
	};
}

int config_resolve_group(struct daemon_config *c)
{
	size_t len = strlen(c->group), size = 1024;
	struct group grp, *found = NULL;
	char *buf = NULL;
	int r;

	if (len && strspn(c->group, "0123456789") == len) {
		c->access.gid = (gid_t)strtoul(c->group, NULL, 10);
		c->group_missing = false;
		return 0;
	}
	for (;;) {
		buf = malloc(size);
		if (!buf) {
			r = ENOMEM;
			break;
		}
		r = getgrnam_r(c->group, &grp, buf, size, &found);
		if (r != ERANGE || size >= (1u << 20))
			break;
		free(buf);
		buf = NULL;
		size *= 2;
	}
	c->access.gid = found ? found->gr_gid : 0;
	c->group_missing = !found;
	free(buf);
	return found ? 0 : -r;
}

/* ---- the setters ---- */

/* The struct the keys of the current section are fields of. */
static char *section_base(struct parser *p)
{
	switch (p->kind) {
	case SEC_DMA:
	case SEC_MOCK:
		return (char *)&p->c->dma;
	case SEC_STM32:
		return (char *)&p->c->stm32;
	case SEC_STM32_CTL:
		return (char *)&p->c->stm32.controllers[p->slot];
	case SEC_HEAP:
		return (char *)&p->c->stm32.heaps[p->slot];
	default:
		return (char *)p->c;
	}
}

/* The field of @k in the current section. */
static void *field(struct parser *p, const struct key_def *k)
{
	return section_base(p) + k->off;
}

static int set_path(struct parser *p, const struct key_def *k, const char *v)
{
	return config_set_path(field(p, k), v);
}

static int set_ms(struct parser *p, const struct key_def *k, const char *v)
{
	return config_parse_ms(v, field(p, k));
}

static int set_stop_timeout(struct parser *p, const struct key_def *k,
			    const char *v)
{
	return config_parse_stop_timeout(v, field(p, k));
}

static int set_hang_report(struct parser *p, const struct key_def *k,
			   const char *v)
{
	return config_parse_hang_report(v, field(p, k));
}

static int set_mem(struct parser *p, const struct key_def *k, const char *v)
{
	return config_parse_mem(v, field(p, k));
}

static int set_unsigned(struct parser *p, const struct key_def *k,
			const char *v)
{
	uint64_t n;

	if (config_parse_uint(v, k->min, k->max, &n) < 0) {
		snprintf(p->why, sizeof(p->why),
			 "expected a number from %llu to %llu",
			 (unsigned long long)k->min, (unsigned long long)k->max);
		return -EINVAL;
	}
	*(unsigned *)field(p, k) = (unsigned)n;
	return 0;
}

static int set_bool(struct parser *p, const struct key_def *k, const char *v)
{
	return config_parse_bool(v, field(p, k));
}

static int set_node_name(struct parser *p, const struct key_def *k,
			 const char *v)
{
	return config_set_node_name(field(p, k), v);
}

static int set_transport(struct parser *p, const struct key_def *k,
			 const char *v)
{
	return config_parse_transport(v, &p->c->transport);
}

static int set_log_level(struct parser *p, const struct key_def *k,
			 const char *v)
{
	return config_parse_log_level(v, &p->c->log_level);
}

static int set_group(struct parser *p, const struct key_def *k, const char *v)
{
	return config_set_group(p->c, v);
}

static int set_mode(struct parser *p, const struct key_def *k, const char *v)
{
	return config_parse_mode(v, &p->c->access.mode);
}

static int set_backend(struct parser *p, const struct key_def *k,
		       const char *v)
{
	int r;

	p->backend_line = p->line;
	r = dma_backend_parse(v, &p->c->dma.backend);
	if (r == 0)
		p->c->backend_line = p->line;
	if (r == -EOPNOTSUPP)
		snprintf(p->why, sizeof(p->why),
			 "backend = %s: this dmabufd was built without it "
			 "(%s)", v,
			 !strcmp(v, "mock") ? "-Dmock=disabled"
					    : "-Dstm32_uio=disabled");
	return r;
}

/* [dma] timeout-ms and [mock]: dma_options_set() knows their ranges. */
static int set_dma_opt(struct parser *p, const struct key_def *k,
		       const char *v)
{
	return dma_options_set(&p->c->dma, k->opt, v) > 0 ? 0 : -EINVAL;
}

static int set_heap_type(struct parser *p, const struct key_def *k,
			 const char *v)
{
	if (strcmp(v, "stm32-contig") != 0)
		return -EINVAL;
	p->heap_typed[p->slot] = true;
#ifndef DMABUFD_HAVE_STM32
	snprintf(p->why, sizeof(p->why),
		 "type = stm32-contig: this dmabufd was built without the "
		 "STM32 backend (-Dstm32_uio=disabled)");
	return -EOPNOTSUPP;
#else
	return 0;
#endif
}

/* A UIO device name: 1..63 chars, no whitespace, no '/'. */
static bool uio_name_valid(const char *s, size_t len)
{
	if (len == 0 || len >= STM32_SETUP_NAME_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '/')
			return false;
	return true;
}

static int set_uio_name(struct parser *p, const struct key_def *k,
			const char *v)
{
	char *dst = field(p, k);

	/* min 0: optional, "-" for none */
	if (k->min == 0 && !strcmp(v, "-")) {
		dst[0] = '\0';
		return 0;
	}
	if (!uio_name_valid(v, strlen(v)) || !strcmp(v, "-"))
		return -EINVAL;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int set_dir(struct parser *p, const struct key_def *k, const char *v)
{
	size_t len = strlen(v);

	/* uio_class_dir and uio_dev_dir have the same size */
	if (v[0] != '/' || len >= sizeof(p->c->stm32.uio_class_dir))
		return -EINVAL;
	memcpy(field(p, k), v, len + 1);
	return 0;
}

static int set_irq_uio(struct parser *p, const struct key_def *k,
		       const char *v)
{
	struct stm32_controller_option *ctl =
		&p->c->stm32.controllers[p->slot];
	char names[STM32_SETUP_NR_STREAMS][STM32_SETUP_NAME_LEN] = { { 0 } };
	unsigned n = 0;

	for (const char *s = v; *s;) {
		size_t len;

		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		len = strcspn(s, " \t");
		if (n == STM32_SETUP_NR_STREAMS) {
			snprintf(p->why, sizeof(p->why),
				 "at most %d names, one per stream",
				 STM32_SETUP_NR_STREAMS);
			return -EINVAL;
		}
		if (!(len == 1 && s[0] == '-')) {
			if (!uio_name_valid(s, len))
				return -EINVAL;
			memcpy(names[n], s, len);
		}
		n++;
		s += len;
	}
	if (n == 0)
		return -EINVAL;
	memcpy(ctl->irq_uio, names, sizeof(names));
	return 0;
}

/* trbuff-on / trbuff-off: request lines (1 to 256), separated by blanks
 * or commas; each gets the key's setting (the later key wins a line). */
static int set_trbuff(struct parser *p, const struct key_def *k, const char *v)
{
	struct stm32_controller_option *ctl = &p->c->stm32.controllers[p->slot];
	uint8_t mode = strcmp(k->name, "trbuff-on") == 0 ? STM32_SETUP_TRBUFF_ON
							 : STM32_SETUP_TRBUFF_OFF;
	uint8_t lines[STM32_SETUP_MAX_REQUESTS + 1];
	unsigned n = 0;

	memcpy(lines, ctl->trbuff, sizeof(lines));
	for (const char *s = v; *s;) {
		unsigned long line;
		char *end;

		if (isspace((unsigned char)*s) || *s == ',') {
			s++;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		errno = 0;
		line = strtoul(s, &end, 10);
		if (errno || line < 1 || line > STM32_SETUP_MAX_REQUESTS ||
		    (*end && !isspace((unsigned char)*end) && *end != ','))
			return -EINVAL;
		lines[line] = mode;
		n++;
		s = end;
	}
	if (n == 0)
		return -EINVAL;
	memcpy(ctl->trbuff, lines, sizeof(lines));
	return 0;
}

#define DAEMON_FIELD(f) offsetof(struct daemon_config, f)
#define CTL_FIELD(f) offsetof(struct stm32_controller_option, f)
#define EXPECT_MS "expected a number of milliseconds from 1 to " \
	STR(CONFIG_MS_MAX)
#define EXPECT_NODE "expected a relative node name (no empty, \".\" or " \
	"\"..\" component)"
#define EXPECT_UIO "expected a UIO device name (its sysfs name attribute)"

static const struct key_def keys[] = {
	{ SEC_DAEMON, "transport", set_transport, .opt = "transport",
	  .expect = "expected auto, cuse or fuse" },
	{ SEC_DAEMON, "dev-root", set_path, DAEMON_FIELD(dev_root),
	  .opt = "dev-root", .expect = "expected an absolute path" },
	{ SEC_DAEMON, "control", set_path, DAEMON_FIELD(control),
	  .opt = "control", .expect = "expected an absolute path" },
	{ SEC_DAEMON, "lock", set_path, DAEMON_FIELD(lock), .opt = "lock",
	  .expect = "expected an absolute path" },
	{ SEC_DAEMON, "token-ttl-ms", set_ms, DAEMON_FIELD(token_ttl_ms),
	  .opt = "token-ttl-ms", .expect = EXPECT_MS },
	{ SEC_DAEMON, "max-wait-ms", set_ms, DAEMON_FIELD(max_wait_ms),
	  .opt = "max-wait-ms", .expect = EXPECT_MS },
	{ SEC_DAEMON, "stop-timeout-ms", set_stop_timeout,
	  DAEMON_FIELD(stop_timeout_ms), .opt = "stop-timeout-ms",
	  .expect = "expected a number of milliseconds from 0 to "
		    STR(CONFIG_STOP_TIMEOUT_MAX_MS) },
	{ SEC_DAEMON, "hang-report-ms", set_hang_report,
	  DAEMON_FIELD(hang_report_ms), .opt = "hang-report-ms",
	  .expect = "expected a number of milliseconds from 0 to "
		    STR(CONFIG_MS_MAX) },
	{ SEC_DAEMON, "log-level", set_log_level, .opt = "log-level",
	  .expect = "expected err, warning, notice, info or debug" },

	{ SEC_NODES, "heap-dir", set_node_name, DAEMON_FIELD(heap_dir),
	  .opt = "heap-dir", .expect = EXPECT_NODE },
	{ SEC_NODES, "dma-buf", set_node_name, DAEMON_FIELD(dma_buf_node),
	  .opt = "dma-buf-node", .expect = EXPECT_NODE },
	{ SEC_NODES, "sync-file", set_node_name, DAEMON_FIELD(sync_file_node),
	  .opt = "sync-file-node", .expect = EXPECT_NODE },
	{ SEC_NODES, "sw-sync", set_node_name, DAEMON_FIELD(sw_sync_node),
	  .opt = "sw-sync-node", .expect = EXPECT_NODE },
	{ SEC_NODES, "dmaengine", set_node_name, DAEMON_FIELD(dmaengine_node),
	  .opt = "dmaengine-node", .expect = EXPECT_NODE },
	{ SEC_NODES, "group", set_group, .opt = "node-group",
	  .expect = "expected a group name or number" },
	{ SEC_NODES, "mode", set_mode, .opt = "node-mode",
	  .expect = "expected octal permission bits, at most 07777" },

	{ SEC_HEAP_SYSTEM, "limit", set_mem, DAEMON_FIELD(heap_limit),
	  .opt = "heap-limit",
	  .expect = "expected a byte count with an optional K, M or G "
		    "suffix, or a percentage of RAM from 1% to 100% (0: no "
		    "limit)" },

	{ SEC_HEAP, "type", set_heap_type, .expect = "expected stm32-contig" },
	{ SEC_HEAP, "uio", set_uio_name, offsetof(struct stm32_heap_option, uio),
	  .min = 1, .expect = EXPECT_UIO },
	{ SEC_HEAP, "map", set_unsigned, offsetof(struct stm32_heap_option, map),
	  0, UIO_MAPS - 1 },

	{ SEC_DMA, "backend", set_backend, .opt = "backend",
	  .expect = "expected mock, stm32-uio or none" },
	{ SEC_DMA, "timeout-ms", set_dma_opt, .opt = "dma-timeout-ms",
	  .expect = "expected milliseconds from 0 to 4294967295 (0: none)" },

	{ SEC_MOCK, "channels", set_dma_opt, .opt = "mock-channels",
	  .expect = "expected a number from 0 to 32" },
	{ SEC_MOCK, "latency-us", set_dma_opt, .opt = "mock-latency-us",
	  .expect = "expected microseconds from 0 to 60000000" },
	{ SEC_MOCK, "bandwidth", set_dma_opt, .opt = "mock-bandwidth",
	  .expect = "expected bytes per second with an optional K, M or G "
		    "suffix (0: as fast as memcpy)" },
	{ SEC_MOCK, "delay-ms", set_dma_opt, .opt = "mock-delay-ms",
	  .expect = "expected milliseconds from 0 to 3600000" },

	{ SEC_STM32, "uio-class-dir", set_dir,
	  offsetof(struct stm32_options, uio_class_dir),
	  .expect = "expected an absolute path" },
	{ SEC_STM32, "uio-dev-dir", set_dir,
	  offsetof(struct stm32_options, uio_dev_dir),
	  .expect = "expected an absolute path" },
	{ SEC_STM32, "rescan-ms", set_unsigned,
	  offsetof(struct stm32_options, rescan_ms), 0, 3600000 },

	{ SEC_STM32_CTL, "index", set_unsigned, CTL_FIELD(index), 0,
	  STM32_SETUP_MAX_CONTROLLERS - 1 },
	{ SEC_STM32_CTL, "uio", set_uio_name, CTL_FIELD(uio), .min = 1,
	  .expect = EXPECT_UIO },
	{ SEC_STM32_CTL, "map", set_unsigned, CTL_FIELD(map), 0, UIO_MAPS - 1 },
	{ SEC_STM32_CTL, "dmamux-uio", set_uio_name, CTL_FIELD(dmamux_uio),
	  .min = 0, .expect = EXPECT_UIO " or - for none" },
	{ SEC_STM32_CTL, "dmamux-map", set_unsigned, CTL_FIELD(dmamux_map), 0,
	  UIO_MAPS - 1 },
	{ SEC_STM32_CTL, "irq-uio", set_irq_uio,
	  .expect = "expected UIO device names separated by spaces, one per "
		    "stream, - for none" },
	{ SEC_STM32_CTL, "mem2mem", set_bool, CTL_FIELD(mem2mem),
	  .expect = "expected yes, no, true, false, on, off, 1 or 0" },
	{ SEC_STM32_CTL, "descriptors", set_unsigned, CTL_FIELD(nr_descs), 1,
	  4096 },
	{ SEC_STM32_CTL, "requests", set_unsigned, CTL_FIELD(nr_requests), 1,
	  256 },
	{ SEC_STM32_CTL, "trbuff-on", set_trbuff,
	  .expect = "expected request lines from 1 to 256" },
	{ SEC_STM32_CTL, "trbuff-off", set_trbuff,
	  .expect = "expected request lines from 1 to 256" },
};

static const struct key_def *find_key(enum section_kind kind, const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].kind == kind && !strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

const char *config_option_expect(const char *opt)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].opt && !strcmp(keys[i].opt, opt))
			return keys[i].expect;
	return NULL;
}

/* ---- sections ---- */

/* Heap and controller names: 1..31 of [A-Za-z0-9_.-], not "." or "..". */
static bool object_name_valid(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len < HEAP_NAME_LEN &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == len &&
	       strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static const struct seen *find_seen(const struct seen *list, unsigned n,
				    const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(list[i].name, name))
			return &list[i];
	return NULL;
}

/* Remember @name at the current line in @list; false when out of memory
 * (reported). */
static bool add_seen(struct parser *p, struct seen **list, unsigned *n,
		     const char *name)
{
	struct seen *grown = realloc(*list, (*n + 1) * sizeof(**list));
	char *copy = strdup(name);

	if (grown)
		*list = grown;
	if (!grown || !copy) {
		free(copy);
		report(p, p->line, "out of memory");
		return false;
	}
	grown[*n] = (struct seen){ .name = copy, .line = p->line };
	(*n)++;
	return true;
}

static void forget_keys(struct parser *p)
{
	for (unsigned i = 0; i < p->nr_keys; i++)
		free(p->keys[i].name);
	p->nr_keys = 0;
}

static enum section_kind classify(const char *name, const char **ret_arg)
{
	static const struct {
		const char *name;
		enum section_kind kind;
		bool prefix;
	} kinds[] = {
		{ "daemon", SEC_DAEMON, false },
		{ "nodes", SEC_NODES, false },
		{ "dma", SEC_DMA, false },
		{ "mock", SEC_MOCK, false },
		{ "stm32", SEC_STM32, false },
		{ "heap:", SEC_HEAP, true },
		{ "stm32:", SEC_STM32_CTL, true },
		{ "consumer:", SEC_CONSUMER, true },
		{ "limits", SEC_LIMITS, false },
	};

	*ret_arg = NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t len = strlen(kinds[i].name);

		if (kinds[i].prefix ? !strncmp(name, kinds[i].name, len)
				    : !strcmp(name, kinds[i].name)) {
			*ret_arg = name + len;
			return kinds[i].kind;
		}
	}
	return SEC_NONE;
}

/* What config_map_name_valid() takes. */
#define MAP_NAME_RULE "1 to 63 characters, no space, ':', '=', '/', '[' or ']'"

/* A [@name] header on the current line. */
static void section_begin(struct parser *p, const char *name)
{
	enum section_kind kind;
	const struct seen *first;
	const char *arg;

	forget_keys(p);
	p->kind = SEC_SKIP;
	snprintf(p->section, sizeof(p->section), "%s", name);
	kind = classify(name, &arg);
	if (kind == SEC_NONE) {
		report(p, p->line, "unknown section [%s]", name);
		return;
	}
	first = find_seen(p->sections, p->nr_sections, name);
	if (first && kind == SEC_HEAP) {
		report(p, p->line, "duplicate heap %s (first at line %u)", arg,
		       first->line);
		return;
	}
	if (first) {
		report(p, p->line, "duplicate section [%s] (first at line %u)",
		       name, first->line);
		return;
	}
#ifndef DMABUFD_HAVE_MOCK
	if (kind == SEC_MOCK) {
		report(p, p->line, "[mock]: this dmabufd was built without the "
				   "mock controller (-Dmock=disabled)");
		return;
	}
#endif
#ifndef DMABUFD_HAVE_STM32
	if (kind == SEC_STM32 || kind == SEC_STM32_CTL) {
		report(p, p->line, "[%s]: this dmabufd was built without the "
				   "STM32 backend (-Dstm32_uio=disabled)", name);
		return;
	}
#endif
	switch (kind) {
	case SEC_HEAP:
		if (!object_name_valid(arg)) {
			report(p, p->line, "invalid heap name \"%s\" (1 to %d "
					   "letters, digits, '_', '.' or '-')",
			       arg, HEAP_NAME_LEN - 1);
			return;
		}
		if (!strcmp(arg, HEAP_SYSTEM_NAME)) {
			kind = SEC_HEAP_SYSTEM;
			break;
		}
		if (p->c->stm32.nr_heaps == STM32_SETUP_MAX_HEAPS) {
			report(p, p->line, "too many heaps (at most %d besides "
					   "system)", STM32_SETUP_MAX_HEAPS);
			return;
		}
		p->slot = p->c->stm32.nr_heaps++;
		memset(&p->c->stm32.heaps[p->slot], 0,
		       sizeof(p->c->stm32.heaps[p->slot]));
		snprintf(p->c->stm32.heaps[p->slot].name,
			 sizeof(p->c->stm32.heaps[p->slot].name), "%s", arg);
		p->c->heap_line[p->slot] = p->line;
		p->heap_typed[p->slot] = false;
		break;
	case SEC_STM32_CTL:
		if (!object_name_valid(arg)) {
			report(p, p->line, "invalid controller name \"%s\" (1 to "
					   "%d letters, digits, '_', '.' or '-')",
			       arg, HEAP_NAME_LEN - 1);
			return;
		}
		if (p->c->stm32.nr_controllers == STM32_SETUP_MAX_CONTROLLERS) {
			report(p, p->line, "too many controllers (at most %d)",
			       STM32_SETUP_MAX_CONTROLLERS);
			return;
		}
		p->slot = p->c->stm32.nr_controllers++;
#ifdef DMABUFD_HAVE_STM32
		stm32_controller_option_init(&p->c->stm32.controllers[p->slot]);
#endif
		snprintf(p->c->stm32.controllers[p->slot].name,
			 sizeof(p->c->stm32.controllers[p->slot].name), "%s",
			 arg);
		p->ctl_line[p->slot] = p->line;
		break;
	case SEC_CONSUMER:
		if (!config_map_name_valid(arg)) {
			report(p, p->line, "invalid consumer name \"%s\" (%s)",
			       arg, MAP_NAME_RULE);
			return;
		}
		break;
	case SEC_DMA:
		p->dma_line = p->line;
		break;
	default:
		break;
	}
	if (!add_seen(p, &p->sections, &p->nr_sections, name))
		return;
	/* The stored copy outlives this line. */
	p->consumer = kind == SEC_CONSUMER
			      ? p->sections[p->nr_sections - 1].name +
					strlen("consumer:")
			      : NULL;
	p->kind = kind;
}

/* ---- keys ---- */

/* A "NAME = CONTROLLER[:CHAN[:LINE]]" line of [consumer:CONSUMER]. */
static void consumer_key(struct parser *p, const char *name, const char *value)
{
	struct dma_map_option m;

	memset(&m, 0, sizeof(m));
	if (!config_map_name_valid(name)) {
		report(p, p->line, "invalid dma name \"%s\" (%s)", name,
		       MAP_NAME_RULE);
		return;
	}
	snprintf(m.consumer, sizeof(m.consumer), "%s", p->consumer);
	snprintf(m.dma_name, sizeof(m.dma_name), "%s", name);
	if (dma_map_parse_target(value, &m) < 0) {
		report(p, p->line, "bad value \"%s\" for %s: expected "
				   "CONTROLLER[:CHAN[:LINE]] (CHAN a number, "
				   "\"any\" or empty; LINE a number)",
		       value, name);
		return;
	}
	if (dma_options_add_map(&p->c->dma, &m) < 0)
		report(p, p->line, "too many channel map entries (at most %d)",
		       DMA_SETUP_MAX_MAPS);
}

static int on_pair(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parser *p = user;
	const struct key_def *k;
	const struct seen *first;
	int r;

	if (p->kind == SEC_SKIP)
		return 1;
	if (!name[0]) {
		report(p, p->line, "a line without a key");
		return 1;
	}
	if (p->kind == SEC_NONE) {
		report(p, p->line, "%s outside any section", name);
		return 1;
	}
	first = find_seen(p->keys, p->nr_keys, name);
	if (first) {
		report(p, p->line, "duplicate key %s in [%s] (first at line %u)",
		       name, p->section, first->line);
		return 1;
	}
	if (!add_seen(p, &p->keys, &p->nr_keys, name))
		return 1;
	if (p->kind == SEC_CONSUMER) {
		consumer_key(p, name, value);
		return 1;
	}
	if (p->kind == SEC_LIMITS) {
		const char *expect;

		r = limit_option_set(&p->c->limits, name, value, &expect);
		if (r == -ENOENT)
			report(p, p->line, "unknown key %s in [limits]", name);
		else if (r < 0)
			report(p, p->line, "bad value \"%s\" for %s: %s", value,
			       name, expect);
		return 1;
	}
	k = find_key(p->kind, name);
	if (!k && p->kind == SEC_HEAP_SYSTEM) {
		report(p, p->line, "[heap:system] takes only limit, not %s",
		       name);
		return 1;
	}
	if (!k) {
		report(p, p->line, "unknown key %s in [%s]", name, p->section);
		return 1;
	}
	p->why[0] = '\0';
	r = k->set(p, k, value);
	if (r == -EINVAL)
		report(p, p->line, "bad value \"%s\" for %s: %s", value, name,
		       p->why[0] ? p->why : k->expect);
	else if (r < 0)
		report(p, p->line, "%s", p->why);
	return 1;
}

/* ---- lines ---- */

/* Whether inih would find "=" or ":" on @s before an inline comment. */
static bool has_delimiter(const char *s)
{
	for (const char *c = s; *c; c++) {
		if (*c == '=' || *c == ':')
			return true;
		if (*c == ';' && c > s && isspace((unsigned char)c[-1]))
			return false;
	}
	return false;
}

/*
 * A line starting with '['. Returns false if malformed (reported; the
 * keys up to the next header are then skipped).
 */
static bool header_line(struct parser *p, char *s)
{
	char *end = strchr(s, ']'), *rest;

	forget_keys(p);
	p->kind = SEC_SKIP;
	if (!end) {
		report(p, p->line, "expected ] at the end of the section name");
		return false;
	}
	for (rest = end + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest && !(*rest == ';' && rest > end + 1)) {
		report(p, p->line, "unexpected text after [%.*s]",
		       (int)(end - s - 1), s + 1);
		return false;
	}
	*end = '\0';
	section_begin(p, s + 1);
	*end = ']';
	return true;
}

/*
 * Read the next line into p->buf: its first @size - 1 bytes (a longer
 * line's rest is read and dropped), without the '\n'. Returns how many
 * bytes the line had, more than kept when it was too long; -1 at the end
 * of the file, or on an error (p->read_errno set: EFBIG past
 * CONFIG_FILE_MAX).
 */
static ssize_t get_line(struct parser *p, size_t size)
{
	size_t n = 0;
	int ch;

	errno = 0;
	while ((ch = getc(p->f)) != EOF && ch != '\n') {
		if (n < size - 1)
			p->buf[n] = (char)ch;
		n++;
		if (++p->bytes > CONFIG_FILE_MAX) {
			p->read_errno = EFBIG;
			return -1;
		}
	}
	if (ch == '\n' && ++p->bytes > CONFIG_FILE_MAX) {
		p->read_errno = EFBIG;
		return -1;
	}
	if (ch == EOF && ferror(p->f)) {
		p->read_errno = errno ? errno : EIO;
		return -1;
	}
	if (ch == EOF && n == 0)
		return -1;
	p->buf[n < size - 1 ? n : size - 1] = '\0';
	return (ssize_t)n;
}

/* inih's reader: see the top. */
static char *read_line(char *str, int num, void *stream)
{
	struct parser *p = stream;
	/* inih's buffer holds the line, "\n" and "\0" */
	size_t limit = (size_t)(num < INI_MAX_LINE ? num : INI_MAX_LINE) - 2;
	size_t kept;
	ssize_t n;
	bool too_long;
	char *s;

	n = get_line(p, limit + 5); /* a BOM, a CR and the NUL besides */
	if (n < 0)
		return NULL;
	p->line++;
	s = p->buf;
	kept = strnlen(s, (size_t)n);
	too_long = (size_t)n > limit + 4;
	if (!too_long)
		while (kept > 0 && s[kept - 1] == '\r')
			s[--kept] = '\0';
	if (p->line == 1 && !strncmp(s, UTF8_BOM, 3)) {
		s += 3;
		kept -= 3;
	}
	too_long = too_long || kept > limit;
	while (isspace((unsigned char)*s))
		s++;
	if (too_long && (*s == '#' || *s == ';')) {
		s = ""; /* a comment: no length limit */
	} else if (too_long) {
		report(p, p->line, "line too long (at most %zu characters)",
		       limit);
		if (*s == '[') {
			/* A header, unread: its keys are in no section. */
			forget_keys(p);
			p->kind = SEC_SKIP;
		}
		s = "";
	} else if (*s == '[') {
		if (!header_line(p, s))
			s = "";
	} else if (*s && *s != '#' && *s != ';' && !has_delimiter(s)) {
		report(p, p->line, "expected KEY = VALUE, [SECTION] or a "
				   "comment");
		s = "";
	}
	snprintf(str, (size_t)num, "%s\n", s);
	return str;
}

/* The checks that need the whole file (and not the command line). */
static void check_file(struct parser *p)
{
	const struct stm32_options *st = &p->c->stm32;

	for (unsigned i = 0; i < st->nr_heaps; i++) {
		if (!p->heap_typed[i])
			report(p, p->c->heap_line[i],
			       "heap %s needs type = stm32-contig",
			       st->heaps[i].name);
		else if (!st->heaps[i].uio[0])
			report(p, p->c->heap_line[i],
			       "heap %s needs uio (the UIO device of its memory)",
			       st->heaps[i].name);
	}
	for (unsigned i = 0; i < st->nr_controllers; i++) {
		const struct stm32_controller_option *ctl = &st->controllers[i];

		if (!ctl->uio[0])
			report(p, p->ctl_line[i],
			       "[stm32:%s] needs uio (the UIO device of its "
			       "registers)", ctl->name);
		for (unsigned j = 0; j < i; j++)
			if (st->controllers[j].index == ctl->index)
				report(p, p->ctl_line[i],
				       "[stm32:%s] has index %u, as [stm32:%s] "
				       "(line %u)", ctl->name, ctl->index,
				       st->controllers[j].name, p->ctl_line[j]);
	}
	/* The file names its backend even when an option overrides it: it
	 * must hold on its own, on a reload too. */
	if (!p->backend_line) {
		if (p->dma_line)
			report(p, p->dma_line, "missing backend: [dma] needs "
					       "backend = mock, stm32-uio or none");
		else
			report(p, p->line ? p->line : 1,
			       "missing backend: add [dma] with backend = mock, "
			       "stm32-uio or none");
	}
}

static void check_report(config_report_fn *report_fn, void *data,
			 const char *fmt, ...) _printf_(3, 4);

static void check_report(config_report_fn *report_fn, void *data,
			 const char *fmt, ...)
{
	char msg[PATH_MAX + 512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (report_fn)
		report_fn(data, msg);
}

int config_check(const struct daemon_config *c, const char *backend_opt,
		 config_report_fn *report_fn, void *data)
{
	const struct stm32_options *st = &c->stm32;
	unsigned errors = 0;

	if (!backend_opt && !c->backend_line)
		return 0;
	if (c->dma.backend == DMA_BACKEND_STM32 && st->nr_controllers == 0) {
		if (backend_opt)
			check_report(report_fn, data, "%s needs a [stm32:NAME] "
				     "controller in the configuration file",
				     backend_opt);
		else
			check_report(report_fn, data, "%s:%u: backend = "
				     "stm32-uio needs a [stm32:NAME] controller",
				     c->path, c->backend_line);
		errors++;
	} else if (c->dma.backend == DMA_BACKEND_MOCK) {
		/* The mock copies through CPU pointers; a contiguous heap's
		 * DMA addresses are physical. */
		for (unsigned i = 0; i < st->nr_heaps; i++, errors++) {
			if (backend_opt)
				check_report(report_fn, data, "%s: heap %s "
					     "(stm32-contig, %s:%u) needs "
					     "backend = stm32-uio or none: the "
					     "mock controller cannot reach "
					     "physical memory", backend_opt,
					     st->heaps[i].name, c->path,
					     c->heap_line[i]);
			else
				check_report(report_fn, data, "%s:%u: heap %s "
					     "(stm32-contig) needs backend = "
					     "stm32-uio or none: the mock "
					     "controller cannot reach physical "
					     "memory", c->path, c->heap_line[i],
					     st->heaps[i].name);
		}
	}
	return errors ? -EINVAL : 0;
}

int config_read_file(struct daemon_config *c, const char *path,
		     bool must_exist, config_report_fn *report_fn, void *data)
{
	struct parser p = {
		.c = c,
		.path = path,
		.report = report_fn,
		.data = data,
		.kind = SEC_NONE,
	};
	char msg[PATH_MAX + 128];
	int r = 0;

	p.f = fopen(path, "re");
	if (!p.f) {
		r = -errno;
		if (r == -ENOENT && !must_exist) {
			c->path[0] = '\0';
			return 0;
		}
		snprintf(msg, sizeof(msg), "%s: cannot open: %s", path,
			 strerror(-r));
		if (report_fn)
			report_fn(data, msg);
		return r;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	/* Our reader and handler never fail: problems are counted in p. */
	(void)ini_parse_stream(read_line, &p, on_pair, &p);
	if (p.read_errno) {
		r = -p.read_errno;
		snprintf(msg, sizeof(msg), "%s: cannot read: %s", path,
			 strerror(-r));
		if (report_fn)
			report_fn(data, msg);
	} else {
		check_file(&p);
		if (p.errors)
			r = -EINVAL;
	}
	forget_keys(&p);
	free(p.keys);
	for (unsigned i = 0; i < p.nr_sections; i++)
		free(p.sections[i].name);
	free(p.sections);
	fclose(p.f);
	return r;
}
