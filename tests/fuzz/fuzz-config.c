/* SPDX-License-Identifier: MIT */
/*
 * fuzz-config: the configuration file parser (daemon/config/config.c),
 * with the whole input as the file's text. The file is a memfd read
 * through /proc/self/fd, so the parser's own fopen() and reader run as
 * they do in the daemon.
 *
 * Besides the sanitizers, the harness checks the parser's promises:
 * every problem is reported as "PATH:LINE: reason" (LINE from 1, one
 * line, a reason), a file is refused exactly when a problem was
 * reported, and a file that is accepted goes through what the daemon
 * does next: config_check() (refusing only with a report), config_diff()
 * against the defaults and against itself (which must find nothing),
 * and config_apply_live().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char path[64];
static unsigned reports;

static void report(void *data, const char *msg)
{
	size_t len = strlen(path);
	const char *p = msg + len;
	char *end;
	unsigned long line;

	reports++;
	if (strchr(msg, '\n'))
		goto bad;
	/* "--OPTION=VALUE ..." only comes with an option: none here. */
	if (strncmp(msg, path, len) || *p != ':')
		goto bad;
	line = strtoul(p + 1, &end, 10);
	if (end == p + 1 || line == 0 || strncmp(end, ": ", 2) || !end[2])
		goto bad;
	return;
bad:
	fprintf(stderr, "fuzz-config: a report not of the form "
		"\"PATH:LINE: reason\": \"%s\"\n", msg);
	abort();
}

static void count_change(void *data, const char *key, const char *value,
			 bool live)
{
	if (!key || !*key)
		abort();
	(*(unsigned *)data)++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	memfd = memfd_create("fuzz-config", MFD_CLOEXEC);
	if (memfd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct daemon_config defaults, c, running;
	unsigned changes = 0;
	int r;

	if (ftruncate(memfd, 0) < 0 ||
	    (size && pwrite(memfd, data, size, 0) != (ssize_t)size))
		abort();
	config_init(&defaults);
	config_init(&c);
	reports = 0;
	r = config_read_file(&c, path, true, report, NULL);
	if ((r < 0) != (reports > 0) || (r < 0 && r != -EINVAL)) {
		fprintf(stderr, "fuzz-config: returned %d after %u report(s)\n",
			r, reports);
		abort();
	}
	if (r < 0)
		return 0;
	r = config_check(&c, NULL, report, NULL);
	if ((r < 0) != (reports > 0))
		abort();
	if (config_diff(&c, &c, count_change, &changes) || changes) {
		fprintf(stderr, "fuzz-config: a configuration differs from itself\n");
		abort();
	}
	(void)config_diff(&defaults, &c, count_change, &changes);
	running = defaults;
	config_apply_live(&running, &c);
	return 0;
}
