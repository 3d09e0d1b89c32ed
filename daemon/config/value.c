/* SPDX-License-Identifier: MIT */
/*
 * The value parsers of the configuration (config.h), shared by the file
 * and the command line, so that a key and its option accept exactly the
 * same text. Numbers are plain decimal (no sign, no spaces, no 0x); an
 * error leaves the destination as it was.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const struct {
	const char *name;
	int level;
} log_levels[] = {
	{ "err", LOG_ERR },
	{ "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE },
	{ "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
};

const char *config_transport_name(enum transport_kind transport)
{
	switch (transport) {
	case TRANSPORT_AUTO:
		return "auto";
	case TRANSPORT_CUSE:
		return "cuse";
	case TRANSPORT_FUSE:
		return "fuse";
	}
	return "?";
}

int config_parse_transport(const char *s, enum transport_kind *ret)
{
	static const enum transport_kind kinds[] = {
		TRANSPORT_AUTO, TRANSPORT_CUSE, TRANSPORT_FUSE,
	};

	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(s, config_transport_name(kinds[i]))) {
			*ret = kinds[i];
			return 0;
		}
	return -EINVAL;
}

const char *config_log_level_name(int level)
{
	for (unsigned i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (log_levels[i].level == level)
			return log_levels[i].name;
	return "?";
}

int config_parse_log_level(const char *s, int *ret)
{
	for (unsigned i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (!strcmp(s, log_levels[i].name)) {
			*ret = log_levels[i].level;
			return 0;
		}
	return -EINVAL;
}

/* The decimal digits at the start of @s; *@end: where they stop. */
static int parse_digits(const char *s, char **end, uint64_t *ret)
{
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, end, 10);
	if (errno)
		return -EINVAL;
	*ret = v;
	return 0;
}

int config_parse_uint(const char *s, uint64_t min, uint64_t max,
		      uint64_t *ret)
{
	uint64_t v;
	char *end;

	if (parse_digits(s, &end, &v) < 0 || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int config_parse_size(const char *s, uint64_t *ret)
{
	unsigned shift = 0;
	uint64_t v;
	char *end;

	if (parse_digits(s, &end, &v) < 0)
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (shift && (end[1] || v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*ret = v << shift;
	return 0;
}

int config_parse_ms(const char *s, uint64_t *ret)
{
	return config_parse_uint(s, 1, CONFIG_MS_MAX, ret);
}

int config_parse_stop_timeout(const char *s, uint64_t *ret)
{
	return config_parse_uint(s, 0, CONFIG_STOP_TIMEOUT_MAX_MS, ret);
}

int config_parse_hang_report(const char *s, uint64_t *ret)
{
	return config_parse_uint(s, 0, CONFIG_MS_MAX, ret);
}

int config_parse_mode(const char *s, mode_t *ret)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '7')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || *end || v > 07777)
		return -EINVAL;
	*ret = (mode_t)v;
	return 0;
}

int config_parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (unsigned i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(s, yes[i])) {
			*ret = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int config_set_path(char *dst, const char *s)
{
	size_t len = strlen(s);

	if (s[0] != '/' || len >= PATH_MAX)
		return -EINVAL;
	memcpy(dst, s, len + 1);
	return 0;
}

int config_set_node_name(char *dst, const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= DEV_NODE_NAME_MAX || s[0] == '/' ||
	    s[len - 1] == '/' || strstr(s, "//"))
		return -EINVAL;
	for (const char *c = s; *c;) {
		size_t n = strcspn(c, "/");

		if ((n == 1 && c[0] == '.') || (n == 2 && !strncmp(c, "..", 2)))
			return -EINVAL;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)c[i] <= ' ')
				return -EINVAL;
		c += n;
		if (*c == '/')
			c++;
	}
	memcpy(dst, s, len + 1);
	return 0;
}

int config_set_group(struct daemon_config *c, const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= sizeof(c->group) || s[0] == '-')
		return -EINVAL;
	if (strspn(s, "0123456789") == len) {
		uint64_t gid;

		/* (gid_t)-1 means "no change" to chown(2). */
		if (config_parse_uint(s, 0, UINT32_MAX - 1, &gid) < 0)
			return -EINVAL;
	} else if (strspn(s, "abcdefghijklmnopqrstuvwxyz"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != len) {
		return -EINVAL;
	}
	memcpy(c->group, s, len + 1);
	return 0;
}

/* One length for both names. */
_Static_assert(sizeof(((struct dma_map_option *)0)->consumer) ==
		       sizeof(((struct dma_map_option *)0)->dma_name),
	       "consumer and dma names differ in length");

bool config_map_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= sizeof(((struct dma_map_option *)0)->consumer))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || strchr(":=/[]", s[i]))
			return false;
	return true;
}
