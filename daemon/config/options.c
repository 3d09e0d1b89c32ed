/* SPDX-License-Identifier: MIT */
/*
 * The command line (options.h). getopt_long() reads it once; each option
 * that sets a key is checked at once by applying it to a scratch
 * configuration, and kept as text, in order, to be applied again over
 * every configuration the daemon builds (at start and on each reload).
 * -v and -vv are kept as the log levels they stand for: -v's in a row are
 * one setting, so that there are never more settings than arguments
 * (-vvvv is one argument).
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <dmabufd/common.h>
#include <dmabufd/dmaengine.h>

#include "dev/dev.h"

#ifndef DMABUFD_CONFIG_FILE
#define DMABUFD_CONFIG_FILE "/etc/dmabufd/dmabufd.conf"
#endif

enum {
	OPT_TRANSPORT = 0x100,
	OPT_DEV_ROOT,
	OPT_CONTROL,
	OPT_LOCK,
	OPT_HEAP_LIMIT,
	OPT_TOKEN_TTL,
	OPT_MAX_WAIT,
	OPT_STOP_TIMEOUT,
	OPT_HANG_REPORT,
	OPT_LOG_LEVEL,
	OPT_HEAP_DIR,
	OPT_DMA_BUF,
	OPT_SYNC_FILE,
	OPT_SW_SYNC,
	OPT_DMAENGINE,
	OPT_NODE_GROUP,
	OPT_NODE_MODE,
	OPT_BACKEND,
	OPT_DMA,	/* dma_options_parse() */
	OPT_CONFIG,
	OPT_NO_CONFIG,
	OPT_LIMIT,	/* limit_option_set() */
};

static const struct option longopts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "no-config", no_argument, NULL, OPT_NO_CONFIG },
	{ "transport", required_argument, NULL, OPT_TRANSPORT },
	{ "dev-root", required_argument, NULL, OPT_DEV_ROOT },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "lock", required_argument, NULL, OPT_LOCK },
	{ "heap-limit", required_argument, NULL, OPT_HEAP_LIMIT },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "token-ttl-ms", required_argument, NULL, OPT_TOKEN_TTL },
	{ "max-wait-ms", required_argument, NULL, OPT_MAX_WAIT },
	{ "stop-timeout-ms", required_argument, NULL, OPT_STOP_TIMEOUT },
	{ "hang-report-ms", required_argument, NULL, OPT_HANG_REPORT },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "heap-dir", required_argument, NULL, OPT_HEAP_DIR },
	{ "dma-buf-node", required_argument, NULL, OPT_DMA_BUF },
	{ "sync-file-node", required_argument, NULL, OPT_SYNC_FILE },
	{ "sw-sync-node", required_argument, NULL, OPT_SW_SYNC },
	{ "dmaengine-node", required_argument, NULL, OPT_DMAENGINE },
	{ "node-group", required_argument, NULL, OPT_NODE_GROUP },
	{ "node-mode", required_argument, NULL, OPT_NODE_MODE },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	/* dma_setup.h's, all handled by dma_options_parse() */
	{ "mock-channels", required_argument, NULL, OPT_DMA },
	{ "mock-latency-us", required_argument, NULL, OPT_DMA },
	{ "mock-bandwidth", required_argument, NULL, OPT_DMA },
	{ "mock-delay-ms", required_argument, NULL, OPT_DMA },
	{ "dma-timeout-ms", required_argument, NULL, OPT_DMA },
	{ "dma-map", required_argument, NULL, OPT_DMA },
	{ "foreground", no_argument, NULL, 'f' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

const char *config_default_path(void)
{
	return DMABUFD_CONFIG_FILE;
}

void cli_options_usage(FILE *f)
{
	fprintf(f,
		"Usage: dmabufd [OPTIONS]\n"
		"Serve dma-heap, dma-buf, sync_file, sw_sync and dmaengine nodes over\n"
		"CUSE, or over a FUSE mount where the kernel has no CUSE.\n"
		"Options override the configuration file (dmabufd.conf(5)).\n\n"
		"  --config=PATH               configuration file (default, which may be\n"
		"                              missing: %s)\n"
		"  --no-config                 read no configuration file\n"
		"  --transport=auto|cuse|fuse  how to serve the nodes (auto: CUSE when\n"
		"                              /dev/cuse exists, else FUSE)\n"
		"  --dev-root=PATH             FUSE mount point (default %s)\n"
		"  --control=PATH              control socket (default %s)\n"
		"  --lock=PATH                 instance lock (default: dmabufd.lock next\n"
		"                              to the control socket)\n"
		"  --heap-limit=BYTES          limit of the system heap (K/M/G suffixes,\n"
		"                              or N%% of RAM; default %u%%; 0: none)\n"
		"  --limit=KEY=VALUE           a [limits] key: uid-bytes, uid-files,\n"
		"                              uid-tokens, uid-channels, uid-connections,\n"
		"                              exempt-root, exempt-group (dmabufd.conf(5))\n"
		"  --token-ttl-ms=MS           lifetime of unclaimed tokens (default %d)\n"
		"  --max-wait-ms=MS            cap on blocking ioctls (default %llu)\n"
		"  --stop-timeout-ms=MS        how long SIGTERM waits for running DMA\n"
		"                              transfers (default %d; 0: not at all)\n"
		"  --hang-report-ms=MS         log a wait still blocked after MS, once,\n"
		"                              with what it waits for (default 0: off)\n"
		"  --log-level=LEVEL           err, warning, notice (default), info, debug\n"
		"  --heap-dir=NAME             directory of heap nodes (default %s)\n"
		"  --dma-buf-node=NAME         (default %s)\n"
		"  --sync-file-node=NAME       (default %s)\n"
		"  --sw-sync-node=NAME         (default %s)\n"
		"  --dmaengine-node=NAME       (default %s)\n"
		"  --node-group=GROUP          group of the nodes, a name or a number\n"
		"                              (default video; root if it does not exist)\n"
		"  --node-mode=MODE            permission bits of the nodes, octal\n"
		"                              (default 0660)\n",
		config_default_path(), DMABUFD_FUSE_ROOT, DMABUFD_CONTROL_SOCKET,
		LIMITS_SYSTEM_HEAP_PCT, DMABUFD_TOKEN_TTL_MS, DEV_DEFAULT_MAX_WAIT_NS / 1000000ull,
		CONFIG_STOP_TIMEOUT_MS,
		DMABUFD_NODE_HEAP_DIR, DMABUFD_NODE_DMA_BUF,
		DMABUFD_NODE_SYNC_FILE, DMABUFD_NODE_SW_SYNC,
		DMABUFD_NODE_DMAENGINE);
	dma_options_usage(f);
	fprintf(f,
		"  -f, --foreground            run in the foreground (the default)\n"
		"  -v, --verbose               log level info (twice: debug)\n"
		"  -h, --help                  this text\n"
		"  -V, --version               print the version and exit\n"
		"\nSIGHUP reloads the configuration file; SIGTERM stops.\n");
}

/*
 * Apply one option to @c. Returns 0; -EINVAL for a bad value (the caller
 * prints the message); -EDOM for a relative path; -EOPNOTSUPP for a
 * backend not built; -EALREADY when a message was printed here.
 */
static int apply_one(struct daemon_config *c, const struct cli_setting *s)
{
	const char *v = s->value;
	int r;

	switch (s->id) {
	case OPT_TRANSPORT:
		return config_parse_transport(v, &c->transport);
	case OPT_DEV_ROOT:
	case OPT_CONTROL:
	case OPT_LOCK:
		if (v[0] != '/')
			return -EDOM;
		return config_set_path(s->id == OPT_DEV_ROOT  ? c->dev_root
				       : s->id == OPT_CONTROL ? c->control
							      : c->lock,
				       v);
	case OPT_HEAP_LIMIT:
		return config_parse_mem(v, &c->heap_limit);
	case OPT_LIMIT: {
		const char *eq = strchr(v, '=');
		char key[32];

		if (!eq || (size_t)(eq - v) >= sizeof(key))
			return -EINVAL;
		memcpy(key, v, (size_t)(eq - v));
		key[eq - v] = '\0';
		r = limit_option_set(&c->limits, key, eq + 1, NULL);
		return r < 0 ? -EINVAL : 0;
	}
	case OPT_TOKEN_TTL:
		return config_parse_ms(v, &c->token_ttl_ms);
	case OPT_MAX_WAIT:
		return config_parse_ms(v, &c->max_wait_ms);
	case OPT_STOP_TIMEOUT:
		return config_parse_stop_timeout(v, &c->stop_timeout_ms);
	case OPT_HANG_REPORT:
		return config_parse_hang_report(v, &c->hang_report_ms);
	case OPT_LOG_LEVEL:
		return config_parse_log_level(v, &c->log_level);
	case OPT_HEAP_DIR:
		return config_set_node_name(c->heap_dir, v);
	case OPT_DMA_BUF:
		return config_set_node_name(c->dma_buf_node, v);
	case OPT_SYNC_FILE:
		return config_set_node_name(c->sync_file_node, v);
	case OPT_SW_SYNC:
		return config_set_node_name(c->sw_sync_node, v);
	case OPT_DMAENGINE:
		return config_set_node_name(c->dmaengine_node, v);
	case OPT_NODE_GROUP:
		return config_set_group(c, v);
	case OPT_NODE_MODE:
		return config_parse_mode(v, &c->access.mode);
	case OPT_BACKEND:
		return dma_backend_parse(v, &c->dma.backend);
	case OPT_DMA:
		r = dma_options_parse(&c->dma, s->name, v);
		return r < 0 ? -EALREADY : 0;
	}
	return -EINVAL;
}

static void print_error(const struct cli_setting *s, int r)
{
	const char *expect;

	switch (r) {
	case -EALREADY:
		break;
	case -EDOM:
		fprintf(stderr, "dmabufd: --dev-root, --control and --lock "
				"need absolute paths\n");
		break;
	case -EOPNOTSUPP:
		fprintf(stderr, "dmabufd: --%s=%s: this dmabufd was built "
				"without that backend\n", s->name, s->value);
		break;
	default:
		/* The reason the file gives for the same key. */
		expect = config_option_expect(s->name);
		fprintf(stderr, "dmabufd: invalid value \"%s\" for --%s%s%s\n",
			s->value, s->name, expect ? ": " : "",
			expect ? expect : "");
	}
}

int cli_options_parse(int argc, char **argv, struct cli_options *ret)
{
	static struct daemon_config scratch;
	struct cli_options cli = {
		.default_config_path = config_default_path(),
	};
	bool verbose_last = false; /* the last setting is a -v */
	int c, idx, verbose = 0;

	cli.settings = calloc((size_t)argc + 1, sizeof(*cli.settings));
	if (!cli.settings)
		return -ENOMEM;
	config_init(&scratch);
	optind = 0; /* glibc: start afresh (tests parse more than once) */
	for (;;) {
		struct cli_setting *s = &cli.settings[cli.nr_settings];
		int r;

		idx = -1;
		c = getopt_long(argc, argv, "fvhV", longopts, &idx);
		if (c == -1)
			break;
		switch (c) {
		case OPT_CONFIG:
			cli.config_path = optarg;
			cli.no_config = false;
			continue;
		case OPT_NO_CONFIG:
			cli.config_path = NULL;
			cli.no_config = true;
			continue;
		case 'f':
			continue;
		case 'v':
			/* Only the last of log levels in a row counts. */
			if (verbose_last)
				s = &cli.settings[cli.nr_settings - 1];
			*s = (struct cli_setting){
				.id = OPT_LOG_LEVEL,
				.name = "verbose",
				.value = ++verbose >= 2 ? "debug" : "info",
			};
			break;
		case 'h':
			cli_options_usage(stdout);
			free(cli.settings);
			return 1;
		case 'V':
			printf("dmabufd %s\n", DMABUFD_VERSION);
			free(cli.settings);
			return 1;
		default:
			if (c < OPT_TRANSPORT || idx < 0) {
				cli_options_usage(stderr);
				free(cli.settings);
				return -EINVAL;
			}
			*s = (struct cli_setting){
				.id = c,
				.name = longopts[idx].name,
				.value = optarg,
			};
			break;
		}
		r = apply_one(&scratch, s);
		if (r < 0) {
			print_error(s, r);
			free(cli.settings);
			return -EINVAL;
		}
		if (c == 'v' && verbose_last)
			continue; /* updated in place */
		verbose_last = c == 'v';
		cli.nr_settings++;
	}
	if (optind < argc) {
		fprintf(stderr, "dmabufd: unexpected argument \"%s\"\n",
			argv[optind]);
		free(cli.settings);
		return -EINVAL;
	}
	*ret = cli;
	return 0;
}

void cli_options_free(struct cli_options *cli)
{
	free(cli->settings);
	cli->settings = NULL;
	cli->nr_settings = 0;
}

int cli_options_apply(const struct cli_options *cli, struct daemon_config *c,
		      const struct cli_setting **ret_backend)
{
	const struct cli_setting *backend = NULL;

	for (unsigned i = 0; i < cli->nr_settings; i++) {
		const struct cli_setting *s = &cli->settings[i];
		enum dma_backend before = c->dma.backend;
		int r = apply_one(c, s);

		if (r < 0) {
			print_error(s, r);
			return -EINVAL;
		}
		/* --backend, or --mock-channels when it switched */
		if (s->id == OPT_BACKEND || c->dma.backend != before)
			backend = s;
	}
	*ret_backend = backend;
	return 0;
}

int config_load(struct daemon_config *c, const struct cli_options *cli,
		config_report_fn *report, void *data)
{
	const struct cli_setting *backend;
	char opt[96];
	int r = 0;

	config_init(c);
	if (!cli->no_config) {
		const char *path = cli->config_path ? cli->config_path
						    : cli->default_config_path;

		r = config_read_file(c, path, cli->config_path != NULL, report,
				     data);
		/* A file with errors still holds valid values: check them
		 * with the options too, to report every problem at once. */
		if (r < 0 && r != -EINVAL)
			return r;
	}
	if (cli_options_apply(cli, c, &backend) < 0)
		return -EINVAL;
	if (backend)
		snprintf(opt, sizeof(opt), "--%s=%s", backend->name,
			 backend->value);
	if (config_check(c, backend ? opt : NULL, report, data) < 0)
		r = -EINVAL;
	if (r < 0)
		return r;
	/* A group that cannot be found is the caller's warning to give. */
	(void)config_resolve_group(c);
	return 0;
}
