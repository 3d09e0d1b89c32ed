/* SPDX-License-Identifier: MIT */
/*
 * dmabufctl trace - record the daemon's events into a trace-event JSON
 * file that ui.perfetto.dev and chrome://tracing open as it is.
 *
 *   dmabufctl trace -o FILE [--duration S]
 *
 * It subscribes to the daemon's recorder (dmabufd_trace_open(),
 * DMABUFD_CTL_TRACE), gathers records until S seconds have passed or
 * SIGINT/SIGTERM comes, asks for the rest (dmabufd_trace_stop()), and
 * only then writes FILE ("-": stdout), so a slow disk never slows the
 * reading. It says "dmabufctl: trace: recording" on stderr once the
 * daemon records for it.
 *
 * The file is the Trace Event Format: {"traceEvents": [...],
 * "displayTimeUnit": "ns", "otherData": {...}}. Each timeline (fence
 * context), DMA channel, buffer and process is one track, drawn as a
 * trace "process" named by an "M" process_name event and ordered by kind
 * (process_sort_index); every interval is one "X" (complete) event with
 * "ts" and "dur" in microseconds, fractional to the nanosecond. The
 * trace format wants the intervals of one thread nested or apart, never
 * overlapping: fences of a timeline overlap (each lives from its
 * creation to its signal), so a track's intervals are laid out on lanes
 * (its "threads", tid 1, 2, ...), each interval on the first lane where
 * it nests or is clear. Pairing: an END closes the latest open BEGIN of
 * the same kind, track and id; an END with none began before the trace
 * (a fence's own creation time, else the trace's start, with "args":
 * {"before_trace": true}); a BEGIN never closed runs to the trace's end
 * with {"unfinished": true}. Times are the daemon's CLOCK_MONOTONIC less
 * the trace's start (otherData.start_ns).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dmabufd/dmabufd.h>

#include "trace.h"

/* How long the rest of a trace may take to come after the STOP. */
#define TRACE_DRAIN_MS 5000

static volatile sig_atomic_t trace_signaled;

static void on_signal(int sig)
{
	(void)sig;
	trace_signaled = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- gathering ---------------------------------------------------- */

struct recs {
	struct dmabufd_ctl_trace_rec *v;
	size_t n, cap;
	uint64_t lost;
};

static int recs_read(int fd, struct recs *recs, bool *ret_end)
{
	uint32_t lost;
	int n;

	if (recs->cap - recs->n < DMABUFD_CTL_RECS_PER_MSG) {
		size_t cap = recs->cap ? recs->cap * 2 : 1024;
		void *v = realloc(recs->v, cap * sizeof(*recs->v));

		if (!v)
			return -ENOMEM;
		recs->v = v;
		recs->cap = cap;
	}
	n = dmabufd_trace_read(fd, recs->v + recs->n, &lost, ret_end);
	if (n < 0)
		return n;
	recs->n += (size_t)n;
	recs->lost += lost;
	return 0;
}

/* Wait for @fd to be readable until @deadline_ns (0: none) or a signal;
 * returns 1 readable, 0 not (time up, signal), -errno. */
static int wait_readable(int fd, uint64_t deadline_ns)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int timeout = -1, r;

	if (deadline_ns) {
		uint64_t now = mono_ns();

		if (now >= deadline_ns)
			return 0;
		timeout = (int)((deadline_ns - now + 999999) / 1000000);
	}
	r = poll(&p, 1, timeout);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	return r > 0;
}

/* Record from @fd until @duration_ns passed (0: until a signal), then
 * take the rest. */
static int gather(int fd, uint64_t duration_ns, struct recs *recs)
{
	uint64_t deadline = duration_ns ? mono_ns() + duration_ns : 0;
	bool end = false;
	int r;

	while (!trace_signaled) {
		r = wait_readable(fd, deadline);
		if (r < 0)
			return r;
		if (r == 0 && deadline && mono_ns() >= deadline)
			break;
		if (r > 0) {
			r = recs_read(fd, recs, &end);
			if (r < 0)
				return r;
		}
	}
	r = dmabufd_trace_stop(fd);
	if (r < 0)
		return r;
	deadline = mono_ns() + TRACE_DRAIN_MS * 1000000ull;
	while (!end) {
		r = wait_readable(fd, deadline);
		if (r < 0)
			return r;
		if (r == 0 && mono_ns() >= deadline)
			return -ETIMEDOUT;
		if (r > 0) {
			r = recs_read(fd, recs, &end);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- intervals, tracks, lanes ------------------------------------- */

struct interval {
	const struct dmabufd_ctl_trace_rec *begin; /* NULL: before the trace */
	const struct dmabufd_ctl_trace_rec *end;   /* NULL: unfinished */
	uint64_t start_ns, end_ns;
	size_t track;                              /* index into tracks */
	unsigned lane;
};

struct track {
	uint32_t kind;
	uint64_t id;
	char name[DMABUFD_CTL_NAME_LEN];  /* the first record's track_name */
	char label[DMABUFD_CTL_NAME_LEN]; /* the first record's label */
	uint32_t pid;                     /* the first record's */
	unsigned order;                   /* of first appearance, per kind */
	unsigned lanes;
};

struct layout {
	struct interval *iv;
	size_t n_iv;
	struct track *tracks;
	size_t n_tracks;
};

static size_t track_of(struct layout *l, const struct dmabufd_ctl_trace_rec *r)
{
	struct track *t;
	unsigned order = 0;

	for (size_t i = 0; i < l->n_tracks; i++) {
		if (l->tracks[i].kind == r->kind && l->tracks[i].id == r->track)
			return i;
		if (l->tracks[i].kind == r->kind)
			order++;
	}
	t = &l->tracks[l->n_tracks];
	*t = (struct track){ .kind = r->kind, .id = r->track, .pid = r->pid,
			     .order = order };
	memcpy(t->name, r->track_name, sizeof(t->name));
	memcpy(t->label, r->label, sizeof(t->label));
	t->name[sizeof(t->name) - 1] = t->label[sizeof(t->label) - 1] = '\0';
	return l->n_tracks++;
}

static bool same_key(const struct dmabufd_ctl_trace_rec *a,
		     const struct dmabufd_ctl_trace_rec *b)
{
	return a->kind == b->kind && a->track == b->track && a->id == b->id;
}

/* Pair @recs into intervals between @start_ns and @stop_ns. */
static int pair(const struct recs *recs, uint64_t start_ns, uint64_t stop_ns,
		struct layout *l)
{
	/* Indices of BEGINs not closed yet; (size_t)-1 once closed. */
	size_t *open = calloc(recs->n + 1, sizeof(*open)), n_open = 0;

	l->iv = calloc(recs->n + 1, sizeof(*l->iv));
	l->tracks = calloc(recs->n + 1, sizeof(*l->tracks));
	if (!open || !l->iv || !l->tracks) {
		free(open);
		return -ENOMEM;
	}
	for (size_t i = 0; i < recs->n; i++) {
		const struct dmabufd_ctl_trace_rec *r = &recs->v[i];
		struct interval *iv;
		size_t j;

		if (r->phase == DMABUFD_TRACE_BEGIN) {
			open[n_open++] = i;
			continue;
		}
		if (r->phase != DMABUFD_TRACE_END)
			continue;
		iv = &l->iv[l->n_iv++];
		*iv = (struct interval){ .end = r, .end_ns = r->ts_ns,
					 .track = track_of(l, r) };
		for (j = n_open; j-- > 0;)
			if (open[j] != (size_t)-1 && same_key(&recs->v[open[j]], r))
				break;
		if (j != (size_t)-1) {
			iv->begin = &recs->v[open[j]];
			iv->start_ns = iv->begin->ts_ns;
			open[j] = (size_t)-1;
		} else {
			iv->start_ns = r->begin_ns ? r->begin_ns : start_ns;
		}
		if (iv->start_ns > iv->end_ns)
			iv->start_ns = iv->end_ns;
	}
	for (size_t j = 0; j < n_open; j++) {
		const struct dmabufd_ctl_trace_rec *r;
		struct interval *iv;

		if (open[j] == (size_t)-1)
			continue;
		r = &recs->v[open[j]];
		iv = &l->iv[l->n_iv++];
		*iv = (struct interval){ .begin = r, .start_ns = r->ts_ns,
					 .end_ns = stop_ns > r->ts_ns ? stop_ns : r->ts_ns,
					 .track = track_of(l, r) };
	}
	free(open);
	return 0;
}

/* By track, then start, the longer first (so it is the outer one). */
static int iv_cmp(const void *a, const void *b)
{
	const struct interval *x = a, *y = b;

	if (x->track != y->track)
		return x->track < y->track ? -1 : 1;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if (x->end_ns != y->end_ns)
		return x->end_ns > y->end_ns ? -1 : 1;
	return 0;
}

/*
 * Put each interval on a lane of its track where it nests in, or comes
 * after, what the lane holds: per lane a stack of the ends of the
 * intervals that contain the current start.
 */
static int lay_out(struct layout *l)
{
	uint64_t **stack = NULL;
	size_t *depth = NULL, lanes_max = 0;

	qsort(l->iv, l->n_iv, sizeof(*l->iv), iv_cmp);
	for (size_t i = 0; i < l->n_iv;) {
		size_t t = l->iv[i].track, first = i, lanes = 0;

		for (; i < l->n_iv && l->iv[i].track == t; i++) {
			struct interval *iv = &l->iv[i];
			unsigned k;

			for (k = 0; k < lanes; k++) {
				while (depth[k] && stack[k][depth[k] - 1] <= iv->start_ns)
					depth[k]--;
				if (!depth[k] || stack[k][depth[k] - 1] >= iv->end_ns)
					break;
			}
			if (k == lanes) {
				if (lanes == lanes_max) {
					size_t m = lanes_max ? lanes_max * 2 : 4;
					void *s = realloc(stack, m * sizeof(*stack));
					void *d;

					if (!s)
						goto nomem;
					stack = s;
					d = realloc(depth, m * sizeof(*depth));
					if (!d)
						goto nomem;
					depth = d;
					for (size_t x = lanes_max; x < m; x++)
						stack[x] = NULL;
					lanes_max = m;
				}
				free(stack[lanes]);
				/* A lane holds at most every interval of its track. */
				stack[lanes] = malloc((l->n_iv - first) * sizeof(**stack));
				if (!stack[lanes])
					goto nomem;
				depth[lanes++] = 0;
			}
			stack[k][depth[k]++] = iv->end_ns;
			iv->lane = k;
		}
		l->tracks[t].lanes = (unsigned)lanes;
	}
	for (size_t k = 0; k < lanes_max; k++)
		free(stack[k]);
	free(stack);
	free(depth);
	return 0;
nomem:
	for (size_t k = 0; k < lanes_max; k++)
		free(stack[k]);
	free(stack);
	free(depth);
	return -ENOMEM;
}

/* ---- the JSON ----------------------------------------------------- */

/* A JSON string of @s (at most @n bytes): control bytes and every byte
 * past ASCII as \u00XX, so any name gives valid JSON. */
static void jstr(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

#define JSTR(f, s) jstr(f, s, sizeof(s))

/* Microseconds since @t0, to the nanosecond. */
static void jts(FILE *f, uint64_t ns, uint64_t t0)
{
	uint64_t d = ns > t0 ? ns - t0 : 0;

	fprintf(f, "%" PRIu64 ".%03u", d / 1000, (unsigned)(d % 1000));
}

static const char *const kind_cat[] = {
	[DMABUFD_TRACE_FENCE] = "fence",
	[DMABUFD_TRACE_DMA] = "dma",
	[DMABUFD_TRACE_CPU] = "cpu",
	[DMABUFD_TRACE_WAIT] = "wait",
};

static const char *cat_of(uint32_t kind)
{
	return kind < sizeof(kind_cat) / sizeof(kind_cat[0]) && kind_cat[kind]
		       ? kind_cat[kind] : "unknown";
}

/* A process's comm, best effort ("" when it is gone). */
static void comm_of(uint32_t pid, char *buf, size_t size)
{
	char path[64];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static void track_name(FILE *f, const struct track *t)
{
	char name[128], comm[32];

	switch (t->kind) {
	case DMABUFD_TRACE_FENCE:
		snprintf(name, sizeof(name), "timeline %s (%s, context %" PRIu64 ")",
			 t->name, t->label, t->id);
		break;
	case DMABUFD_TRACE_DMA:
		snprintf(name, sizeof(name), "DMA %s", t->name);
		break;
	case DMABUFD_TRACE_CPU:
		snprintf(name, sizeof(name), "buffer %" PRIu64 " (%s)", t->id,
			 t->name);
		break;
	case DMABUFD_TRACE_WAIT:
		comm_of((uint32_t)t->id, comm, sizeof(comm));
		if (comm[0])
			snprintf(name, sizeof(name), "process %" PRIu64 " (%s)",
				 t->id, comm);
		else
			snprintf(name, sizeof(name), "process %" PRIu64, t->id);
		break;
	default:
		snprintf(name, sizeof(name), "kind %u track %" PRIu64, t->kind, t->id);
	}
	jstr(f, name, sizeof(name));
}

static const char *const dma_results[] = { "ok", "read failed", "write failed",
					   "aborted" };

static const char *cpu_name(uint64_t flags)
{
	switch (flags & DMA_BUF_SYNC_RW) {
	case DMA_BUF_SYNC_READ:
		return "read";
	case DMA_BUF_SYNC_WRITE:
		return "write";
	default:
		return "read+write";
	}
}

/* An interval's "name" and "args" members. */
static void iv_body(FILE *f, const struct interval *iv)
{
	const struct dmabufd_ctl_trace_rec *r = iv->end ? iv->end : iv->begin;
	char name[64];

	switch (r->kind) {
	case DMABUFD_TRACE_FENCE:
		snprintf(name, sizeof(name), "seqno %" PRIu64, (uint64_t)r->id);
		fprintf(f, "\"name\": ");
		jstr(f, name, sizeof(name));
		fprintf(f, ", \"args\": {\"context\": %" PRIu64 ", \"seqno\": %" PRIu64
			   ", \"driver\": ", (uint64_t)r->track, (uint64_t)r->id);
		JSTR(f, r->label);
		fprintf(f, ", \"timeline\": ");
		JSTR(f, r->track_name);
		fprintf(f, ", \"error\": %d", iv->end ? iv->end->result : 0);
		break;
	case DMABUFD_TRACE_DMA:
		snprintf(name, sizeof(name), "cookie %" PRIu64, (uint64_t)r->id);
		fprintf(f, "\"name\": ");
		jstr(f, name, sizeof(name));
		fprintf(f, ", \"args\": {\"channel\": ");
		JSTR(f, r->track_name);
		fprintf(f, ", \"cookie\": %" PRIu64, (uint64_t)r->id);
		if (iv->begin)
			fprintf(f, ", \"length\": %" PRIu64, (uint64_t)iv->begin->value);
		if (iv->end) {
			uint32_t res = (uint32_t)iv->end->result;

			fprintf(f, ", \"bytes\": %" PRIu64 ", \"result\": \"%s\"",
				(uint64_t)iv->end->value, res < 4 ? dma_results[res] : "?");
		}
		break;
	case DMABUFD_TRACE_CPU: {
		/* The direction, as START asked it (END has END in it). */
		uint64_t dir = (iv->begin ? iv->begin : r)->value & DMA_BUF_SYNC_RW;

		fprintf(f, "\"name\": \"%s\", \"args\": {\"buffer\": %" PRIu64
			   ", \"pid\": %u, \"flags\": %" PRIu64,
			cpu_name(dir), (uint64_t)r->track, r->pid, dir);
		break;
	}
	case DMABUFD_TRACE_WAIT:
		fprintf(f, "\"name\": ");
		JSTR(f, r->label);
		fprintf(f, ", \"args\": {\"pid\": %u, \"wait\": %" PRIu64, r->pid,
			(uint64_t)r->id);
		if (iv->end)
			fprintf(f, ", \"result\": %d", iv->end->result);
		break;
	default:
		fprintf(f, "\"name\": \"?\", \"args\": {\"kind\": %u", r->kind);
	}
	if (!iv->begin && !(r->kind == DMABUFD_TRACE_FENCE && r->begin_ns))
		fprintf(f, ", \"before_trace\": true");
	if (!iv->end)
		fprintf(f, ", \"unfinished\": true");
	fputc('}', f);
}

static const char *const lane_names[] = {
	[DMABUFD_TRACE_FENCE] = "fences",
	[DMABUFD_TRACE_DMA] = "transfers",
	[DMABUFD_TRACE_CPU] = "CPU access",
	[DMABUFD_TRACE_WAIT] = "waits",
};

static void write_json(FILE *f, const struct layout *l, uint64_t t0,
		       uint64_t start_ns, uint64_t stop_ns, uint64_t lost,
		       size_t n_recs)
{
	bool first = true;

	fprintf(f, "{\"displayTimeUnit\": \"ns\",\n\"otherData\": {\"clock\": "
		   "\"CLOCK_MONOTONIC\", \"start_ns\": %" PRIu64 ", \"stop_ns\": %"
		   PRIu64 ", \"t0_ns\": %" PRIu64 ", \"records\": %zu, \"lost\": %"
		   PRIu64 "},\n\"traceEvents\": [\n",
		start_ns, stop_ns, t0, n_recs, lost);
	for (size_t t = 0; t < l->n_tracks; t++) {
		const struct track *tr = &l->tracks[t];

		fprintf(f, "%s{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": "
			   "%zu, \"tid\": 0, \"args\": {\"name\": ",
			first ? "" : ",\n", t + 1);
		first = false;
		track_name(f, tr);
		fprintf(f, "}},\n{\"ph\": \"M\", \"name\": \"process_sort_index\", "
			   "\"pid\": %zu, \"tid\": 0, \"args\": {\"sort_index\": %u}}",
			t + 1, tr->kind * 100000 + tr->order);
		for (unsigned k = 0; k < tr->lanes; k++) {
			const char *ln = tr->kind < 5 && lane_names[tr->kind]
						 ? lane_names[tr->kind] : "events";

			fprintf(f, ",\n{\"ph\": \"M\", \"name\": \"thread_name\", "
				   "\"pid\": %zu, \"tid\": %u, \"args\": {\"name\": "
				   "\"%s %u\"}}", t + 1, k + 1, ln, k + 1);
		}
	}
	for (size_t i = 0; i < l->n_iv; i++) {
		const struct interval *iv = &l->iv[i];

		fprintf(f, "%s{\"ph\": \"X\", \"cat\": \"%s\", \"pid\": %zu, "
			   "\"tid\": %u, \"ts\": ", first ? "" : ",\n",
			cat_of(l->tracks[iv->track].kind), iv->track + 1, iv->lane + 1);
		first = false;
		jts(f, iv->start_ns, t0);
		fprintf(f, ", \"dur\": ");
		jts(f, iv->end_ns, iv->start_ns);
		fprintf(f, ", ");
		iv_body(f, iv);
		fputc('}', f);
	}
	fprintf(f, "\n]}\n");
}

/* ---- the command -------------------------------------------------- */

static int trace_usage(const char *msg)
{
	fprintf(stderr, "dmabufctl: trace: %s\n"
			"Usage: dmabufctl trace -o FILE [--duration SECONDS]\n", msg);
	return EXIT_FAILURE;
}

int ctl_trace_index(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--control")) {
			i++;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1])
			continue;
		return strcmp(argv[i], "trace") ? 0 : i;
	}
	return 0;
}

int ctl_cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct recs recs = { 0 };
	struct layout l = { 0 };
	const char *out = NULL;
	uint64_t duration_ns = 0, start_ns, stop_ns, t0;
	FILE *f;
	int c, fd, r;

	/* argv[0] is the first argument: getopt skips argv[-1], "trace". */
	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "o:h", longopts, NULL)) != -1) {
		char *end;
		double s;

		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'd':
			errno = 0;
			s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(s) ||
			    s <= 0 || s > 1e6)
				return trace_usage("--duration wants seconds > 0");
			duration_ns = (uint64_t)(s * 1e9);
			break;
		case 'h':
			printf("Usage: dmabufctl trace -o FILE [--duration SECONDS]\n");
			return 0;
		default:
			return trace_usage("bad option");
		}
	}
	if (optind != argc + 1)
		return trace_usage("unexpected argument");
	if (!out)
		return trace_usage("-o FILE is needed");

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fd = dmabufd_trace_open(0);
	if (fd < 0) {
		if (fd == -ENOENT || fd == -ECONNREFUSED)
			fprintf(stderr, "dmabufctl: trace: dmabufd is not running\n");
		else
			fprintf(stderr, "dmabufctl: trace: %s\n", strerror(-fd));
		return fd == -ENOENT || fd == -ECONNREFUSED ? 2 : EXIT_FAILURE;
	}
	start_ns = mono_ns();
	fprintf(stderr, "dmabufctl: trace: recording\n");
	r = gather(fd, duration_ns, &recs);
	stop_ns = mono_ns();
	close(fd);
	if (r < 0) {
		fprintf(stderr, "dmabufctl: trace: %s\n", strerror(-r));
		free(recs.v);
		return EXIT_FAILURE;
	}

	r = pair(&recs, start_ns, stop_ns, &l);
	if (r == 0)
		r = lay_out(&l);
	if (r < 0) {
		fprintf(stderr, "dmabufctl: trace: %s\n", strerror(-r));
		return EXIT_FAILURE;
	}
	t0 = start_ns;
	for (size_t i = 0; i < l.n_iv; i++)
		if (l.iv[i].start_ns < t0)
			t0 = l.iv[i].start_ns;

	f = strcmp(out, "-") ? fopen(out, "we") : stdout;
	if (!f) {
		fprintf(stderr, "dmabufctl: trace: %s: %s\n", out, strerror(errno));
		return EXIT_FAILURE;
	}
	write_json(f, &l, t0, start_ns, stop_ns, recs.lost, recs.n);
	r = ferror(f) ? -EIO : 0;
	if ((f == stdout ? fflush(f) : fclose(f)) != 0 && r == 0)
		r = -errno;
	if (r < 0) {
		fprintf(stderr, "dmabufctl: trace: %s: %s\n", out, strerror(-r));
		return EXIT_FAILURE;
	}
	fprintf(stderr, "dmabufctl: trace: %zu records, %zu intervals on %zu "
			"tracks%s; %" PRIu64 " lost\n", recs.n, l.n_iv, l.n_tracks,
		strcmp(out, "-") ? "" : " (stdout)", recs.lost);
	free(l.iv);
	free(l.tracks);
	free(recs.v);
	return 0;
}
