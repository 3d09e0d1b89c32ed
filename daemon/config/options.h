/* SPDX-License-Identifier: MIT */
/*
 * options - dmabufd's command line, on top of the configuration file.
 *
 * cli_options_parse() reads argv once, checks every value (the same
 * parsers as the file's keys: config.h) and keeps the options in their
 * order, as text. config_load() then builds a configuration: defaults,
 * the file (--config=PATH, the built-in path, or none with --no-config),
 * and the kept options applied over it. The daemon calls config_load()
 * again with the same options on SIGHUP, so the command line still wins
 * over the file after a reload.
 *
 * Messages about the command line alone go to stderr as "dmabufd: ...",
 * as they always did; problems in the file, and an option that conflicts
 * with the file (config_check(): "--backend=mock: heap contig ..."), go
 * through the report callback.
 *
 * Threading: none of its own; the daemon calls it on the loop thread.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

/* One option as given: its id (options.c), long name and argument. */
struct cli_setting {
	int id;
	const char *name;
	const char *value; /* points into argv, or a constant */
};

struct cli_options {
	const char *config_path;	 /* --config; NULL: the default */
	const char *default_config_path; /* the built-in path (tests change
					  * it) */
	bool no_config;			 /* --no-config */
	unsigned nr_settings;
	struct cli_setting *settings;	 /* everything else that sets a key,
					  * in order */
};

/* The built-in configuration file (DMABUFD_CONFIG_FILE, from the build's
 * sysconfdir: /etc/dmabufd/dmabufd.conf for a /usr install). */
const char *config_default_path(void);

/*
 * Parse @argv into @ret (argv must outlive it). Returns 0; 1 when --help
 * printed the usage or --version the version (exit 0); -EINVAL for a bad
 * option or value, with a message printed (exit 2); -ENOMEM. On failure *@ret holds nothing to
 * free.
 */
int cli_options_parse(int argc, char **argv, struct cli_options *ret);

/* Free what cli_options_parse() allocated. */
void cli_options_free(struct cli_options *cli);

/* --help's text. */
void cli_options_usage(FILE *f);

/*
 * Apply the kept options over @c. *@ret_backend is set to the last one
 * that set the backend (--backend, or a --mock-channels that switched
 * it), NULL if none. Returns 0, or -EINVAL (message printed) when more
 * --dma-map entries than fit; then *@ret_backend is left alone.
 */
int cli_options_apply(const struct cli_options *cli, struct daemon_config *c,
		      const struct cli_setting **ret_backend);

/*
 * Build a configuration into @c: config_init(), the file unless
 * --no-config (the default path may be missing, an explicit --config
 * may not), cli_options_apply(), config_check() (the backend against the
 * controllers and heaps, naming the option when one set the backend),
 * config_resolve_group(). A file with errors is still checked with the
 * options, so that every problem is reported at once. Returns 0, or a
 * negative errno when the file or the options were refused (every
 * problem in the file, or between it and the options, reported through
 * @report).
 */
int config_load(struct daemon_config *c, const struct cli_options *cli,
		config_report_fn *report, void *data);
