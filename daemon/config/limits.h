/* SPDX-License-Identifier: MIT */
/*
 * The [limits] section (dmabufd.conf(5)) and --limit=KEY=VALUE: what one
 * uid may hold in the daemon (model/acct.h), and who is exempt.
 *
 *   uid-bytes        buffer memory, a size (K/M/G) or a percentage of
 *                    the machine's RAM (default 25%)
 *   uid-files        open files of the nodes, i.e. objects held: buffers,
 *                    sync_files, timelines, channels (default 4096)
 *   uid-tokens       tokens not yet redeemed (default 1024)
 *   uid-channels     DMA channels held or waited for (default 2)
 *   uid-connections  control-socket connections (default 64)
 *   exempt-root      root is never refused (default yes)
 *   exempt-group     members of this group are never refused (default
 *                    none)
 *
 * 0 is no limit. A percentage is worked out when it is read, against
 * the RAM of the machine then (sysinfo(2)).
 *
 * No libuv, no libfuse: the config unit test links it alone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/acct.h"

#define LIMITS_GROUP_LEN 64

#define LIMITS_UID_BYTES_PCT 25u
#define LIMITS_UID_FILES 4096u
#define LIMITS_UID_TOKENS 1024u
#define LIMITS_UID_CHANNELS 2u
#define LIMITS_UID_CONNECTIONS 64u
/* The system heap's default limit, a percentage of RAM. */
#define LIMITS_SYSTEM_HEAP_PCT 50u

struct limit_options {
	uint64_t max[_ACCT_RES_MAX];	     /* uid-bytes, uid-files, ... */
	bool exempt_root;		     /* exempt-root */
	char exempt_group[LIMITS_GROUP_LEN]; /* exempt-group; "" for none */
};

/* The defaults. */
void limit_options_init(struct limit_options *o);

/*
 * Set @key (a [limits] key) to @value. Returns 0, -ENOENT for an unknown
 * key, or -EINVAL for a bad value; then *@ret_expect (may be NULL) says
 * what the key takes.
 */
int limit_option_set(struct limit_options *o, const char *key,
		     const char *value, const char **ret_expect);

/* Whether @key is a [limits] key. */
bool limit_option_known(const char *key);

/*
 * A memory size: a byte count with an optional K, M or G suffix, or
 * "N%" (1 to 100) of the machine's RAM. Returns 0 or -EINVAL.
 */
int config_parse_mem(const char *s, uint64_t *ret);

/* @pct percent of the machine's RAM (0 when sysinfo fails). */
uint64_t limits_ram_percent(unsigned pct);

/*
 * The acct limits @o stands for: the exempt group's name resolved
 * through the group database. Returns 0, or -ENOENT when the group does
 * not exist (then *ret has no exempt group).
 */
int limit_options_resolve(const struct limit_options *o,
			  struct acct_limits *ret);
