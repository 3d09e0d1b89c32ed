/* SPDX-License-Identifier: MIT */
/*
 * acct - what each uid holds in the daemon, against per-uid limits.
 *
 * The daemon is a multi-user service: every client is untrusted, and no
 * one uid may take the shared pools (memory, the daemon's files and
 * descriptors, tokens, DMA channels, control connections) from the
 * others. Each uid that holds anything has one struct acct with a count
 * per resource (enum acct_res); acct_charge() refuses a charge that
 * would take the uid past its limit, with -EDQUOT, and counts and logs
 * the refusal (once per uid and resource per ACCT_LOG_INTERVAL_NS, with
 * the number of refusals meanwhile). acct_uncharge() gives it back.
 *
 * What is charged where: ACCT_BYTES by the heaps for the memory of a
 * buffer (heap_charge(): it stays charged as long as the memory lives,
 * past the buffer when a client still maps it); ACCT_FILES by the dev
 * layer for every open file of a node (each object a client holds is an
 * open file: a buffer, a sync_file, a timeline, a channel); ACCT_TOKENS
 * for tokens not yet redeemed; ACCT_CHANNELS for DMA channels held;
 * ACCT_CONNECTIONS for control-socket connections.
 *
 * Exempt uids (root, unless configured otherwise; members of a configured
 * group) are counted but never refused. Limits of 0 mean no limit.
 *
 * Life cycle: acct_get() finds or makes the uid's account and returns a
 * reference; whoever holds a charge holds a reference (so an account
 * outlives everything charged to it); acct_unref() frees it with the
 * last one. Loop thread only, like the rest of the object model.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/macros.h"

enum acct_res {
	ACCT_BYTES,	  /* buffer memory, bytes */
	ACCT_FILES,	  /* open files of the nodes (objects held) */
	ACCT_TOKENS,	  /* tokens issued and not redeemed */
	ACCT_CHANNELS,	  /* DMA channels held */
	ACCT_CONNECTIONS, /* control-socket connections */
	_ACCT_RES_MAX,
};

/* The owner of an object no client made (the daemon's own, tests'):
 * only root and the daemon's uid see its details in listings. */
#define ACCT_NO_OWNER ((uid_t)-1)

/* At most one log line per uid and resource per this interval. */
#define ACCT_LOG_INTERVAL_NS (10ull * 1000000000ull)

struct acct_limits {
	uint64_t max[_ACCT_RES_MAX]; /* per uid; 0: no limit */
	bool exempt_root;	     /* uid 0 is never refused */
	bool exempt_gid_set;
	gid_t exempt_gid;	     /* members are never refused */
};

struct acct {
	unsigned refcount;
	uid_t uid;
	bool exempt;
	uint64_t used[_ACCT_RES_MAX];
	uint64_t refused[_ACCT_RES_MAX];	/* refusals, ever */
	uint64_t unlogged[_ACCT_RES_MAX];	/* refusals not logged yet */
	uint64_t logged_ns[_ACCT_RES_MAX];	/* last log line; 0: none */
	struct acct *next;			/* in the table's bucket */
};

/*
 * The limits every account is held to from now on (charges already made
 * stay). Exemptions are worked out again for every account. -EINVAL for
 * NULL.
 */
int acct_set_limits(const struct acct_limits *limits);

/* The limits in force (all 0 and root exempt until acct_set_limits()). */
const struct acct_limits *acct_get_limits(void);

/*
 * The account of @uid, with a reference: found, or made (its exemption
 * worked out from the limits: root, or a member of the exempt group in
 * the group database). Returns 0 and *ret_acct, or -ENOMEM.
 */
int acct_get(uid_t uid, struct acct **ret_acct);

struct acct *acct_ref(struct acct *acct);
/* Drop a reference; NULL is a no-op. Always returns NULL. */
struct acct *acct_unref(struct acct *acct);
DEFINE_UNREF_CLEANUP(struct acct, acct_unref)

/*
 * Charge @n of @res to @acct. Returns 0; -EDQUOT (and counts the refusal,
 * logged as the top says) if it would take a uid that is not exempt past
 * its limit; -EOVERFLOW if the count would wrap. NULL @acct is charged
 * nothing and returns 0 (objects made without an owner: tests, the
 * daemon itself).
 */
int acct_charge(struct acct *acct, enum acct_res res, uint64_t n);

/* Give back @n of @res (at most what is charged). NULL is a no-op. */
void acct_uncharge(struct acct *acct, enum acct_res res, uint64_t n);

/* The limit of @res that applies to @acct now (0: none, or exempt). */
uint64_t acct_limit(const struct acct *acct, enum acct_res res);

/* Refusals of @res, all uids together, since the daemon started. */
uint64_t acct_refused_total(enum acct_res res);

/* The resource's name in logs and the configuration ("bytes", ...). */
const char *acct_res_name(enum acct_res res);

/*
 * Call @fn for each account, in no particular order, until it returns
 * non-zero; returns that value or 0. @fn must not get or drop accounts.
 */
int acct_foreach(int (*fn)(const struct acct *acct, void *data), void *data);

/* Number of accounts alive. */
unsigned acct_count(void);
