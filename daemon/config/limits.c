/* SPDX-License-Identifier: MIT */
/* The [limits] section and --limit (limits.h). */
#include "limits.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "config.h"

static const struct {
	const char *key;
	enum acct_res res;
} limit_keys[] = {
	{ "uid-bytes", ACCT_BYTES },
	{ "uid-files", ACCT_FILES },
	{ "uid-tokens", ACCT_TOKENS },
	{ "uid-channels", ACCT_CHANNELS },
	{ "uid-connections", ACCT_CONNECTIONS },
};

#define EXPECT_COUNT "expected a number from 0 to 4294967295 (0: no limit)"
#define EXPECT_MEM "expected a byte count with an optional K, M or G " \
	"suffix, or a percentage of RAM from 1% to 100% (0: no limit)"

uint64_t limits_ram_percent(unsigned pct)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return 0;
	return (uint64_t)si.totalram * si.mem_unit / 100u * pct;
}

void limit_options_init(struct limit_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max[ACCT_BYTES] = limits_ram_percent(LIMITS_UID_BYTES_PCT);
	o->max[ACCT_FILES] = LIMITS_UID_FILES;
	o->max[ACCT_TOKENS] = LIMITS_UID_TOKENS;
	o->max[ACCT_CHANNELS] = LIMITS_UID_CHANNELS;
	o->max[ACCT_CONNECTIONS] = LIMITS_UID_CONNECTIONS;
	o->exempt_root = true;
}

int config_parse_mem(const char *s, uint64_t *ret)
{
	size_t len = strlen(s);
	uint64_t pct;
	char num[8];

	if (len < 2 || s[len - 1] != '%')
		return config_parse_size(s, ret);
	if (len - 1 >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len - 1);
	num[len - 1] = '\0';
	if (config_parse_uint(num, 1, 100, &pct) < 0)
		return -EINVAL;
	*ret = limits_ram_percent((unsigned)pct);
	return *ret ? 0 : -EINVAL;
}

bool limit_option_known(const char *key)
{
	for (size_t i = 0; i < sizeof(limit_keys) / sizeof(limit_keys[0]); i++)
		if (!strcmp(key, limit_keys[i].key))
			return true;
	return !strcmp(key, "exempt-root") || !strcmp(key, "exempt-group");
}

int limit_option_set(struct limit_options *o, const char *key,
		     const char *value, const char **ret_expect)
{
	const char *expect = NULL;
	uint64_t n;
	int r = -ENOENT;

	for (size_t i = 0; i < sizeof(limit_keys) / sizeof(limit_keys[0]); i++) {
		if (strcmp(key, limit_keys[i].key))
			continue;
		if (limit_keys[i].res == ACCT_BYTES) {
			expect = EXPECT_MEM;
			r = config_parse_mem(value, &n);
		} else {
			expect = EXPECT_COUNT;
			r = config_parse_uint(value, 0, UINT32_MAX, &n);
		}
		if (r == 0)
			o->max[limit_keys[i].res] = n;
		break;
	}
	if (!strcmp(key, "exempt-root")) {
		expect = "expected yes, no, true, false, on, off, 1 or 0";
		r = config_parse_bool(value, &o->exempt_root);
	} else if (!strcmp(key, "exempt-group")) {
		struct daemon_config scratch;

		/* The same names as [nodes] group takes. */
		expect = "expected a group name or number";
		r = config_set_group(&scratch, value);
		if (r == 0)
			snprintf(o->exempt_group, sizeof(o->exempt_group), "%s",
				 value);
	}
	if (r < 0 && r != -ENOENT)
		r = -EINVAL;
	if (ret_expect)
		*ret_expect = expect;
	return r;
}

int limit_options_resolve(const struct limit_options *o,
			  struct acct_limits *ret)
{
	size_t len = strlen(o->exempt_group);
	struct group grp, *found = NULL;
	char buf[16384];

	memset(ret, 0, sizeof(*ret));
	memcpy(ret->max, o->max, sizeof(ret->max));
	ret->exempt_root = o->exempt_root;
	if (!len)
		return 0;
	if (strspn(o->exempt_group, "0123456789") == len) {
		ret->exempt_gid = (gid_t)strtoul(o->exempt_group, NULL, 10);
		ret->exempt_gid_set = true;
		return 0;
	}
	if (getgrnam_r(o->exempt_group, &grp, buf, sizeof(buf), &found) != 0 ||
	    !found)
		return -ENOENT;
	ret->exempt_gid = found->gr_gid;
	ret->exempt_gid_set = true;
	return 0;
}
