/* SPDX-License-Identifier: MIT */
/*
 * Per-uid accounts (acct.h): a small hash table by uid, counts, limits
 * and rate-limited refusal logs (per uid and resource, and at most
 * ACCT_LOG_BURST lines per interval for all uids together). Group membership for the exempt group
 * comes from the group database when an account is made (and again
 * when the limits change), not per charge.
 */
#include "acct.h"

#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "util/log.h"

#define ACCT_BUCKETS 64u

static struct acct *acct_table[ACCT_BUCKETS];
static unsigned acct_live;
static uint64_t acct_refusals[_ACCT_RES_MAX];
static struct acct_limits acct_limits = { .exempt_root = true };
/* All uids together: at most ACCT_LOG_BURST refusal lines per
 * ACCT_LOG_INTERVAL_NS (an account freed and made again starts afresh,
 * so the per-uid interval alone would not bound the log). */
#define ACCT_LOG_BURST 10u
static uint64_t acct_burst_start_ns;
static unsigned acct_burst_lines;

static const char *const acct_res_names[_ACCT_RES_MAX] = {
	[ACCT_BYTES] = "bytes",
	[ACCT_FILES] = "files",
	[ACCT_TOKENS] = "tokens",
	[ACCT_CHANNELS] = "channels",
	[ACCT_CONNECTIONS] = "connections",
};

const char *acct_res_name(enum acct_res res)
{
	return (unsigned)res < _ACCT_RES_MAX ? acct_res_names[res] : NULL;
}

static struct acct **acct_bucket(uid_t uid)
{
	return &acct_table[(uid * 2654435761u) % ACCT_BUCKETS];
}

/* Whether the user @uid is a member of @gid (primary or supplementary),
 * by the group database. */
static bool uid_in_group(uid_t uid, gid_t gid)
{
	struct passwd pw, *pwp = NULL;
	char buf[4096];
	gid_t groups[256];
	int n = (int)ARRAY_SIZE(groups);

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
		return false;
	if (pw.pw_gid == gid)
		return true;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return false; /* more than 256 groups: not worth the search */
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

static bool uid_exempt(uid_t uid)
{
	if (uid == 0 && acct_limits.exempt_root)
		return true;
	return acct_limits.exempt_gid_set &&
	       uid_in_group(uid, acct_limits.exempt_gid);
}

int acct_set_limits(const struct acct_limits *limits)
{
	if (!limits)
		return -EINVAL;
	acct_limits = *limits;
	for (unsigned i = 0; i < ACCT_BUCKETS; i++)
		for (struct acct *a = acct_table[i]; a; a = a->next)
			a->exempt = uid_exempt(a->uid);
	return 0;
}

const struct acct_limits *acct_get_limits(void)
{
	return &acct_limits;
}

int acct_get(uid_t uid, struct acct **ret_acct)
{
	struct acct **bucket = acct_bucket(uid), *a;

	if (!ret_acct)
		return -EINVAL;
	for (a = *bucket; a; a = a->next) {
		if (a->uid == uid) {
			*ret_acct = acct_ref(a);
			return 0;
		}
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->refcount = 1;
	a->uid = uid;
	a->exempt = uid_exempt(uid);
	a->next = *bucket;
	*bucket = a;
	acct_live++;
	*ret_acct = a;
	return 0;
}

struct acct *acct_ref(struct acct *acct)
{
	if (acct)
		acct->refcount++;
	return acct;
}

struct acct *acct_unref(struct acct *acct)
{
	struct acct **p;

	if (!acct)
		return NULL;
	assert(acct->refcount > 0);
	if (--acct->refcount)
		return NULL;
	for (p = acct_bucket(acct->uid); *p != acct; p = &(*p)->next)
		assert(*p);
	*p = acct->next;
	acct_live--;
	free(acct);
	return NULL;
}

uint64_t acct_limit(const struct acct *acct, enum acct_res res)
{
	if (!acct || acct->exempt || (unsigned)res >= _ACCT_RES_MAX)
		return 0;
	return acct_limits.max[res];
}

/* Log a refusal of @res to @acct, at most once per interval. */
static void acct_log_refusal(struct acct *acct, enum acct_res res,
			     uint64_t n)
{
	uint64_t now = clock_now_ns();

	acct->unlogged[res]++;
	if (acct->logged_ns[res] &&
	    now - acct->logged_ns[res] < ACCT_LOG_INTERVAL_NS)
		return;
	if (!acct_burst_start_ns ||
	    now - acct_burst_start_ns >= ACCT_LOG_INTERVAL_NS) {
		acct_burst_start_ns = now ? now : 1;
		acct_burst_lines = 0;
	}
	if (acct_burst_lines == ACCT_LOG_BURST)
		return;
	acct_burst_lines++;
	log_warn("limits: refused uid %u %llu more %s: it holds %llu of at "
		 "most %llu (%llu refusal%s since the last such line)",
		 (unsigned)acct->uid, (unsigned long long)n,
		 acct_res_names[res], (unsigned long long)acct->used[res],
		 (unsigned long long)acct_limits.max[res],
		 (unsigned long long)acct->unlogged[res],
		 acct->unlogged[res] == 1 ? "" : "s");
	acct->unlogged[res] = 0;
	acct->logged_ns[res] = now ? now : 1;
}

int acct_charge(struct acct *acct, enum acct_res res, uint64_t n)
{
	uint64_t limit;

	if (!acct)
		return 0;
	if ((unsigned)res >= _ACCT_RES_MAX)
		return -EINVAL;
	if (n > UINT64_MAX - acct->used[res])
		return -EOVERFLOW;
	limit = acct_limit(acct, res);
	if (limit && acct->used[res] + n > limit) {
		acct->refused[res]++;
		acct_refusals[res]++;
		acct_log_refusal(acct, res, n);
		return -EDQUOT;
	}
	acct->used[res] += n;
	return 0;
}

void acct_uncharge(struct acct *acct, enum acct_res res, uint64_t n)
{
	if (!acct || (unsigned)res >= _ACCT_RES_MAX)
		return;
	assert(acct->used[res] >= n);
	acct->used[res] -= n;
}

uint64_t acct_refused_total(enum acct_res res)
{
	return (unsigned)res < _ACCT_RES_MAX ? acct_refusals[res] : 0;
}

int acct_foreach(int (*fn)(const struct acct *acct, void *data), void *data)
{
	for (unsigned i = 0; i < ACCT_BUCKETS; i++) {
		for (struct acct *a = acct_table[i]; a; a = a->next) {
			int r = fn(a, data);

			if (r)
				return r;
		}
	}
	return 0;
}

unsigned acct_count(void)
{
	return acct_live;
}
