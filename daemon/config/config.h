/* SPDX-License-Identifier: MIT */
/*
 * config - everything the daemon can be told, in one struct
 * daemon_config, and the configuration file that fills it
 * (dmabufd.conf(5); etc/dmabufd.conf documents every key).
 *
 * A configuration is built in three layers, each overriding the one
 * before: the built-in defaults (config_init()), the file
 * (config_read_file()), the command line (options.h, which also holds
 * config_load(), the three steps in order). The daemon keeps the one it
 * runs with; on SIGHUP it builds a fresh one the same way, and
 * config_diff() says which keys differ and whether each can change in a
 * running daemon (config_apply_live() takes over those).
 *
 * The file is INI, read with inih: [daemon], [nodes], [heap:NAME],
 * [limits], [dma], [mock], [stm32], [stm32:NAME] and [consumer:NAME]
 * sections of
 * KEY = VALUE lines. Every problem (unknown section or key, bad value,
 * duplicate, missing backend, a backend this build lacks) is reported as
 * "PATH:LINE: reason" through a callback, all of them rather than only
 * the first, and then the file is refused as a whole.
 *
 * What depends on both the file and the command line (the backend
 * against the controllers and the heaps) is checked once both are in,
 * by config_check(): a problem the file alone has is still "PATH:LINE:
 * reason", one an option brought in starts with "--OPTION=VALUE".
 *
 * This code has no libuv and no libfuse in it (dma_setup.h and
 * stm32_setup.h are included for their option structs only), so the unit
 * test links it alone.
 *
 * Threading: none of its own; the daemon calls it on the loop thread.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dev/node.h"
#include "limits.h"
#include "wiring/dma_setup.h"
#include "wiring/stm32_setup.h"

enum transport_kind {
	TRANSPORT_AUTO,	/* CUSE when /dev/cuse exists, else FUSE */
	TRANSPORT_CUSE,
	TRANSPORT_FUSE,
};

#define CONFIG_GROUP_LEN 64
#define CONFIG_STOP_TIMEOUT_MS 5000	/* stop-timeout-ms default */
#define CONFIG_STOP_TIMEOUT_MAX_MS 600000
/* token-ttl-ms and max-wait-ms: one day at most, so that now + the value
 * in nanoseconds is far from wrapping. A plain number: it is also text. */
#define CONFIG_MS_MAX 86400000

struct daemon_config {
	char path[PATH_MAX];		/* the file read; "" when none */

	/* [daemon] */
	enum transport_kind transport;	/* transport */
	char dev_root[PATH_MAX];	/* dev-root: the FUSE mount point */
	char control[PATH_MAX];		/* control: the control socket */
	char lock[PATH_MAX];		/* lock: "" for dmabufd.lock beside
					 * the control socket */
	uint64_t token_ttl_ms;		/* token-ttl-ms (> 0) */
	uint64_t max_wait_ms;		/* max-wait-ms (> 0) */
	uint64_t stop_timeout_ms;	/* stop-timeout-ms: how long SIGTERM
					 * waits for running DMA; 0: not */
	int log_level;			/* log-level: LOG_ERR .. LOG_DEBUG */
	uint64_t hang_report_ms;	/* hang-report-ms: a wait parked this
					 * long is logged once; 0: off */

	/* [nodes]: names relative to the device root */
	char heap_dir[DEV_NODE_NAME_MAX];	/* heap-dir */
	char dma_buf_node[DEV_NODE_NAME_MAX];	/* dma-buf */
	char sync_file_node[DEV_NODE_NAME_MAX];	/* sync-file */
	char sw_sync_node[DEV_NODE_NAME_MAX];	/* sw-sync */
	char dmaengine_node[DEV_NODE_NAME_MAX];	/* dmaengine */
	char group[CONFIG_GROUP_LEN];	/* group: a name or a number */
	struct node_access access;	/* mode, and the gid that
					 * config_resolve_group() found */
	bool group_missing;		/* no such group: gid 0 instead */

	/* [heap:system] */
	uint64_t heap_limit;		/* limit in bytes; 0: none */

	/* [limits] */
	struct limit_options limits;

	/* [dma] backend and timeout-ms, [mock], [consumer:NAME] */
	struct dma_options dma;
	/* [stm32], [stm32:NAME], [heap:NAME] type = stm32-contig */
	struct stm32_options stm32;

	/* Where in the file config_check() points: the backend = line and
	 * the [heap:NAME] headers of stm32.heaps (0: not from the file).
	 * Not part of the configuration: config_diff() ignores them. */
	unsigned backend_line;
	unsigned heap_line[STM32_SETUP_MAX_HEAPS];
};

/*
 * Where problems go: @msg is "PATH:LINE: reason" ("PATH: reason" when
 * the file cannot be read at all; "--OPTION=VALUE ..." when an option
 * conflicts with the file: config_check()), without a newline.
 */
typedef void config_report_fn(void *data, const char *msg);

/* The built-in defaults (what dmabufd runs with when no file exists). */
void config_init(struct daemon_config *c);

/*
 * Read the file at @path over @c (which holds the defaults). A file that
 * does not exist is no error unless @must_exist: then @c is left alone,
 * with path "". Lines are read 198 characters at most (inih's line less
 * its end) and files 1 MiB. Returns 0 (c->path set when a file was
 * read); -EINVAL when the file has errors, each reported (then @c holds
 * a mix of valid values, and must not be used but for config_check());
 * or another negative errno when it cannot be read (reported too):
 * -EFBIG past 1 MiB. The checks against the command line are not made
 * here: config_check() does them.
 */
int config_read_file(struct daemon_config *c, const char *path,
		     bool must_exist, config_report_fn *report, void *data);

/*
 * The checks between the backend, the STM32 controllers and the
 * contiguous heaps, on the configuration the file and the command line
 * made: backend stm32-uio needs a controller, and the mock cannot serve
 * a contiguous heap. @backend_opt is the option that set the backend
 * ("--backend=mock"), NULL when the file did; then a problem is the
 * file's, "PATH:LINE: reason". With neither (the default backend, with
 * no file or a file that lacks one, which is refused already) there is
 * nothing to check. Returns 0, or -EINVAL with each problem reported.
 */
int config_check(const struct daemon_config *c, const char *backend_opt,
		 config_report_fn *report, void *data);

/*
 * Resolve c->group into c->access.gid: a number is taken as it is, a
 * name is looked up (getgrnam_r). A group that does not exist gives gid 0
 * and sets c->group_missing, for the caller to warn about. Returns 0, or
 * -errno when the lookup itself failed (then as if missing).
 */
int config_resolve_group(struct daemon_config *c);

/* The node names of @c, pointing into @c. */
void config_node_names(const struct daemon_config *c,
		       struct node_names *ret_names);

/* "auto", "cuse", "fuse". */
const char *config_transport_name(enum transport_kind transport);
/* "err", "warning", "notice", "info", "debug". */
const char *config_log_level_name(int level);

/*
 * The value parsers the file and the command line share. Each returns 0
 * and stores the value, or -EINVAL (nothing stored).
 */
int config_parse_transport(const char *s, enum transport_kind *ret);
/* err | warning | notice | info | debug */
int config_parse_log_level(const char *s, int *ret);
/* A byte count with an optional K, M or G suffix (powers of 1024). */
int config_parse_size(const char *s, uint64_t *ret);
/* Milliseconds, 1 .. CONFIG_MS_MAX. */
int config_parse_ms(const char *s, uint64_t *ret);
/* A stop timeout: milliseconds from 0 to CONFIG_STOP_TIMEOUT_MAX_MS. */
int config_parse_stop_timeout(const char *s, uint64_t *ret);
/* hang-report-ms: 0 (off) to CONFIG_MS_MAX. */
int config_parse_hang_report(const char *s, uint64_t *ret);
/* A decimal number in [@min, @max]. */
int config_parse_uint(const char *s, uint64_t min, uint64_t max,
		      uint64_t *ret);
/* Octal permission bits, 07777 at most. */
int config_parse_mode(const char *s, mode_t *ret);
/* yes/no, true/false, on/off, 1/0. */
int config_parse_bool(const char *s, bool *ret);
/* Copy an absolute path that fits into @dst (PATH_MAX). */
int config_set_path(char *dst, const char *s);
/* Copy a node name (relative, no empty, "." or ".." component) into
 * @dst (DEV_NODE_NAME_MAX). */
int config_set_node_name(char *dst, const char *s);
/* Copy a group (a name of letters, digits, '_', '-', '.' not starting
 * with '-', or a number) into c->group; the gid is resolved later. */
int config_set_group(struct daemon_config *c, const char *s);

/* Whether @s is a consumer or dma name of the channel map, in the file
 * ([consumer:NAME], NAME = ...) and in --dma-map alike: 1 to 63
 * characters, none of them a space, a control character, ':', '=', '/',
 * '[' or ']'. */
bool config_map_name_valid(const char *s);

/*
 * What a good value of the command-line option --@opt looks like, as the
 * file says it for the same key ("expected auto, cuse or fuse"); NULL
 * for an option without a key of its own (--dma-map).
 */
const char *config_option_expect(const char *opt);

/*
 * Compare a running configuration with a fresh one: call @fn for every
 * key that differs, with its name as the file spells it ("log-level",
 * "[stm32:dma1]", "[consumer:uart0] rx"), the new value as text when it
 * is a single value (else NULL), and whether it can change live
 * (config_apply_live()) or needs a restart. Returns the number of calls.
 */
typedef void config_change_fn(void *data, const char *key, const char *value,
			      bool live);
unsigned config_diff(const struct daemon_config *old,
		     const struct daemon_config *new, config_change_fn *fn,
		     void *data);

/*
 * Copy into @running what can change live from @fresh: log-level,
 * token-ttl-ms, max-wait-ms, stop-timeout-ms, [dma] timeout-ms, the
 * system heap's limit, and the nodes' group and mode. The rest of
 * @running stays what the daemon started with.
 */
void config_apply_live(struct daemon_config *running,
		       const struct daemon_config *fresh);
