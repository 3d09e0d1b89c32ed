/* SPDX-License-Identifier: MIT */
/*
 * dmabufctl - look into a running dmabufd through its control socket.
 *
 *   dmabufctl [--control PATH] [-J|-r] [-n] [-o COL,...] COMMAND [ARGS]
 *
 * Commands are a table of (group, name) -> handler; a command that is a
 * listing names its table (table.c), which gives it -o, --list-columns,
 * -n, -r and -J. A mistyped command gets the nearest one suggested (edit
 * distance, "did you mean").
 *
 * Exit status: 0 success; 1 the request failed, or the command line was
 * wrong; 2 no daemon listens on the control socket (EXIT_NO_DAEMON; the
 * message says how to start one). Under --json every message is one
 * JSON object on stderr ({"error": ..., "errno": ...}); stdout holds
 * only the output, so it is either a whole JSON value or empty.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmabufctl.h"
#include "trace.h"
#include "views.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct ctl_opts opts;

static const struct command commands[] = {
	{ NULL, "status", "", cmd_status, 0, 0, NULL,
	  "the daemon: version, pid, uptime, transport, paths, limits, counts" },
	{ NULL, "stats", "", cmd_stats, 0, 0, &stats_table, "live-object counts" },
	{ NULL, "heaps", "", cmd_heaps, 0, 0, &heaps_table,
	  "heaps: buffers, bytes in use, limit" },
	{ NULL, "buffers", "", cmd_buffers, 0, 0, &buffers_table,
	  "dma-bufs: size, name, exporter, users, fences" },
	{ NULL, "fences", "", cmd_fences, 0, 0, &fences_table,
	  "fences: context, seqno, names, status, age, producer" },
	{ NULL, "files", "", cmd_files, 0, 0, &files_table,
	  "open files: who opened and last used each, what it holds" },
	{ NULL, "procs", "[-p PID]", cmd_procs, 0, 0, &procs_table,
	  "per process: buffers, bytes shared and private, fences, channels" },
	{ NULL, "timelines", "", cmd_timelines, 0, 0, &timelines_table,
	  "sw_sync timelines: value, pending points" },
	{ "dma", "devices", "", cmd_dma_devices, 0, 0, &dma_devices_table,
	  "DMA controllers" },
	{ "dma", "channels", "", cmd_dma_channels, 0, 0, &dma_channels_table,
	  "their channels: users, cookies, counters" },
	{ "dma", "transfers", "", cmd_dma_transfers, 0, 0, &dma_transfers_table,
	  "transfers of clients not ended yet" },
	{ "dma", "fault", "CHAN fail-nth N|stall|clear", cmd_dma_fault, 2, 3, NULL,
	  "inject a fault (mock controller)" },
	{ NULL, "bufinfo", "", ctl_cmd_bufinfo, 0, 0, NULL,
	  "debugfs dma_buf/bufinfo, in the kernel's format" },
	{ NULL, "sync-info", "", ctl_cmd_sync_info, 0, 0, NULL,
	  "debugfs sync/info, in the kernel's format" },
	{ "dma", "summary", "", ctl_cmd_dma_summary, 0, 0, NULL,
	  "debugfs dmaengine/summary, in the kernel's format" },
	{ NULL, "trace", "-o FILE [--duration S]", ctl_cmd_trace, 0, 8, NULL,
	  "record events into a Perfetto/Chrome trace" },
};

/* ---- messages ------------------------------------------------------------ */

static int vmessage(int status, int err, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (opts.mode != OUT_JSON) {
		fprintf(stderr, "dmabufctl: %s\n", msg);
		return status;
	}
	fflush(stdout);
	fputs("{\"error\": ", stderr);
	json_fstrn(stderr, msg, strlen(msg));
	fprintf(stderr, ", \"errno\": %d}\n", err);
	return status;
}

int ctl_error(int status, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	status = vmessage(status, err, fmt, ap);
	va_end(ap);
	return status;
}

int ctl_usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ctl_error(EXIT_FAILURE, EINVAL, "%s (dmabufctl --help)", msg);
}

int ctl_fail(const char *what, int r)
{
	char path[256] = "?";

	if (r == -ENOENT || r == -ECONNREFUSED) {
		dmabufd_get_control_path(path, sizeof(path));
		return ctl_error(EXIT_NO_DAEMON, -r,
				 "dmabufd is not running (%s %s); start it with "
				 "systemctl start dmabufd, or name its socket with "
				 "--control or $%s",
				 r == -ENOENT ? "no control socket at"
					      : "nothing listens on",
				 path, DMABUFD_ENV_CONTROL);
	}
	return ctl_error(EXIT_FAILURE, -r, "%s: %s", what, strerror(-r));
}

int ctl_list(uint32_t op, const char *what, void **ret_recs, uint32_t *ret_count,
	     uint32_t *ret_size)
{
	uint32_t hidden = 0;
	int r = dmabufd_ctl_list_hidden(op, ret_recs, ret_count, ret_size, &hidden);

	if (r == -EINVAL)
		/* Every listing takes a request with nothing else in it. */
		return ctl_error(EXIT_FAILURE, EINVAL,
				 "%s: the daemon has no such listing (a dmabufd "
				 "older than this dmabufctl?)", what);
	if (r < 0)
		return ctl_fail(what, r);
	/* To stderr: the listing itself (text or JSON) stays as it was. */
	if (hidden && opts.mode == OUT_JSON)
		fprintf(stderr, "{\"warning\": \"%s: %u of other users not shown\", "
				"\"hidden\": %u}\n", what, hidden, hidden);
	else if (hidden)
		fprintf(stderr, "dmabufctl: %s: %u of other users not shown\n", what,
			hidden);
	return 0;
}

const char *duration(uint64_t ns, char *buf, size_t size)
{
	if (ns < 1000)
		snprintf(buf, size, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, size, "%" PRIu64 "us", ns / 1000);
	else if (ns < 1000000000)
		snprintf(buf, size, "%.1fms", (double)ns / 1e6);
	else if (ns < UINT64_C(60000000000))
		snprintf(buf, size, "%.2fs", (double)ns / 1e9);
	else
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s",
			 ns / UINT64_C(60000000000), ns / 1000000000 % 60);
	return buf;
}

/* ---- the command line ---------------------------------------------------- */

/* "dma channels", or "stats". */
static const char *command_words(const struct command *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", c->group ? c->group : "", c->group ? " " : "",
		 c->name);
	return buf;
}

/* Levenshtein distance of @a and @b (each below 64 bytes, else large). */
static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[64];

	if (la >= ARRAY_LEN(row) || lb >= ARRAY_LEN(row))
		return UINT32_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/*
 * An unknown command @typed ("bufers", "dma chanels"): the message, with
 * the nearest command when it is close (at most 2 edits, and fewer than
 * half the letters typed).
 */
static int unknown_command(const char *typed)
{
	unsigned best = UINT32_MAX;
	char words[64], best_words[64] = "";

	for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
		unsigned d = edit_distance(typed,
					   command_words(&commands[i], words,
							 sizeof(words)));

		if (d < best) {
			best = d;
			snprintf(best_words, sizeof(best_words), "%s", words);
		}
	}
	if (best <= 2 && best * 2 < strlen(typed))
		return ctl_usage_error("unknown command \"%s\"; did you mean \"%s\"?",
				       typed, best_words);
	return ctl_usage_error("unknown command \"%s\"", typed);
}

static void usage(FILE *f)
{
	char words[64], line[80];

	fprintf(f, "Usage: dmabufctl [OPTIONS] COMMAND [ARGS]\n"
		   "Look into a running dmabufd through its control socket.\n\n");
	for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
		const struct command *c = &commands[i];

		snprintf(line, sizeof(line), "%s%s%s",
			 command_words(c, words, sizeof(words)), c->args[0] ? " " : "",
			 c->args);
		fprintf(f, "  %-38s %s\n", line, c->help);
	}
	fprintf(f, "\n  fences --pending           only fences not signaled yet\n"
		   "  fences --older-than DUR    only fences at least DUR old (5s,\n"
		   "                             200ms; a bare number: seconds)\n"
		   "  procs -p, --pid PID        only process PID\n");
	fprintf(f, "\n  --control PATH     the control socket (default $%s, else %s)\n"
		   "  -J, --json         print the output as JSON (every command;\n"
		   "                     errors as JSON on stderr)\n"
		   "  -o, --output COLS  the columns of a listing, comma-separated\n"
		   "                     (+COLS: added to the default ones)\n"
		   "  --list-columns     the columns of the listing COMMAND, and exit\n"
		   "  -n, --noheadings   no table headings\n"
		   "  -r, --raw          raw tables: cells one space apart, escaped\n"
		   "  -V, --version      print the version, and exit\n"
		   "  -h, --help         this text\n\n"
		   "Exit status: 0 done, 1 the request or the command line failed,\n"
		   "2 the daemon is not running.\n",
		DMABUFD_ENV_CONTROL, DMABUFD_CONTROL_SOCKET);
}

/* "5s", "200ms", "1.5s", "2m", "300us", "10ns"; a bare number: seconds. */
static int parse_duration(const char *s, uint64_t *ret_ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
		{ "", 1e9 }, { "s", 1e9 }, { "ms", 1e6 }, { "us", 1e3 },
		{ "ns", 1 }, { "m", 60e9 }, { "h", 3600e9 },
	};
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* !(v >= 0): NaN too ("nan" parses; converting it is undefined). */
	if (errno || end == s || !(v >= 0) || *s == '-')
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_LEN(units); i++)
		if (!strcmp(end, units[i].unit)) {
			if (v * units[i].ns >= 1.8e19)
				return -ERANGE;
			*ret_ns = (uint64_t)(v * units[i].ns);
			return 0;
		}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	enum { OPT_CONTROL = 0x100, OPT_LIST_COLUMNS, OPT_PENDING, OPT_OLDER_THAN };
	static const struct option longopts[] = {
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "json", no_argument, NULL, 'J' },
		{ "output", required_argument, NULL, 'o' },
		{ "list-columns", no_argument, NULL, OPT_LIST_COLUMNS },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'r' },
		{ "pending", no_argument, NULL, OPT_PENDING },
		{ "older-than", required_argument, NULL, OPT_OLDER_THAN },
		{ "pid", required_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const struct command *cmd = NULL;
	const char *group = NULL;
	int trace_at = ctl_trace_index(argc, argv);
	char typed[128];
	/* A bad value is told after the loop, once -J (which may come
	 * later) has set the error format. */
	const char *bad_duration = NULL, *bad_pid = NULL;
	bool raw = false;
	int c, nargs;

	text_init();
	/* getopt_long() permutes: options may follow the command
	 * ("dmabufctl dma channels --json"); but not trace's own (-o FILE). */
	while ((c = getopt_long(trace_at ? trace_at + 1 : argc, argv, "Jo:nrVhp:", longopts,
				NULL)) != -1) {
		switch (c) {
		case OPT_CONTROL:
			if (setenv(DMABUFD_ENV_CONTROL, optarg, 1) < 0)
				return ctl_fail("setenv", -errno);
			break;
		case 'J':
			opts.mode = OUT_JSON;
			break;
		case 'o':
			opts.columns = optarg;
			break;
		case OPT_LIST_COLUMNS:
			opts.list_columns = true;
			break;
		case 'n':
			opts.noheadings = true;
			break;
		case OPT_PENDING:
			opts.pending = true;
			break;
		case OPT_OLDER_THAN:
			if (parse_duration(optarg, &opts.older_than_ns) < 0)
				bad_duration = optarg;
			break;
		case 'p': {
			char *end;

			errno = 0;
			opts.pid = strtol(optarg, &end, 10);
			if (errno || *end || opts.pid <= 0 || opts.pid > INT32_MAX)
				bad_pid = optarg;
			break;
		}
		case 'r':
			raw = true;
			break;
		case 'V':
			printf("dmabufctl %s\n", DMABUFD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	if (raw && opts.mode != OUT_JSON)
		opts.mode = OUT_RAW;
	if (bad_duration)
		return ctl_usage_error("--older-than: \"%s\" is no duration (5s, 200ms)",
				       bad_duration);
	if (bad_pid)
		return ctl_usage_error("-p: \"%s\" is no pid", bad_pid);
	if (trace_at)
		return ctl_cmd_trace(argc - trace_at - 1, argv + trace_at + 1);
	if (optind >= argc)
		return ctl_usage_error("no command");
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (commands[i].group && !strcmp(commands[i].group, argv[optind]))
			group = commands[i].group;
	if (group && optind + 1 >= argc)
		return ctl_usage_error("\"%s\" needs a command", group);
	snprintf(typed, sizeof(typed), "%s%s%s", group ? group : "", group ? " " : "",
		 argv[optind + (group != NULL)]);
	optind += group != NULL;
	for (size_t i = 0; i < ARRAY_LEN(commands) && !cmd; i++)
		if ((commands[i].group == NULL) == (group == NULL) &&
		    (!group || !strcmp(commands[i].group, group)) &&
		    !strcmp(commands[i].name, argv[optind]))
			cmd = &commands[i];
	if (!cmd)
		return unknown_command(typed);
	if (opts.list_columns) {
		if (!cmd->table)
			return ctl_usage_error("\"%s\" is not a listing: it has no "
					       "columns", typed);
		return table_list_columns(cmd->table);
	}
	if (opts.columns && !cmd->table)
		return ctl_usage_error("\"%s\" is not a listing: -o does not apply",
				       typed);
	if ((opts.pending || opts.older_than_ns) && cmd->fn != cmd_fences)
		return ctl_usage_error("--pending and --older-than are options of "
				       "\"fences\"");
	if (opts.pid && cmd->fn != cmd_procs)
		return ctl_usage_error("-p is an option of \"procs\"");
	nargs = argc - optind - 1;
	if (nargs < cmd->min_args || nargs > cmd->max_args)
		return ctl_usage_error("wrong number of arguments");
	return cmd->fn(nargs, argv + optind + 1);
}
