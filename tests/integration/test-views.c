/* SPDX-License-Identifier: MIT */
/*
 * Integration tests: the kernel's debugfs texts as the daemon renders
 * them (dmabufd_ctl_view(); daemon/debug/), checked line by line against
 * the kernel's seq_printf formats, turned into one regular expression
 * per kind of line, and against the exact values of the objects each
 * test made:
 *
 *   dma_buf/bufinfo    dma_buf_debug_show(), dma_resv_describe(),
 *                      dma_fence_describe() (drivers/dma-buf)
 *   sync/info          sync_info_debugfs_show() (sync_debug.c)
 *   dmaengine/summary  dmaengine_summary_show() (drivers/dma/dmaengine.c)
 *
 * On the FUSE fallback the same texts are files under the mount
 * (debug/dma_buf/bufinfo, ...): their contents equal the control
 * request's.
 */
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "itest.h"

/* A view's text cut into lines (the last '\n' ends the last line). */
struct text {
	char *buf;
	char *lines[4096];
	size_t n;
};

static void text_split(struct text *t)
{
	char *p = t->buf, *nl;

	t->n = 0;
	while (*p) {
		nl = strchr(p, '\n');
		assert_non_null(nl); /* every line ends with '\n' */
		*nl = '\0';
		assert_true(t->n < ARRAY_SIZE(t->lines));
		t->lines[t->n++] = p;
		p = nl + 1;
	}
}

static void view_get(uint32_t op, struct text *t)
{
	size_t len;

	assert_ok(dmabufd_ctl_view(op, &t->buf, &len, NULL));
	assert_int_equal(strlen(t->buf), len);
	text_split(t);
}

static void text_free(struct text *t)
{
	free(t->buf);
	t->buf = NULL;
}

/* Whether @line matches the extended regex @re (whole line). */
static bool matches(const char *line, const char *re)
{
	regex_t rx;
	bool ok;

	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	ok = regexec(&rx, line, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok;
}

#define assert_match(line, re)                                              \
	do {                                                                \
		if (!matches((line), (re)))                                 \
			fail_msg("line \"%s\" does not match %s", (line), (re)); \
	} while (0)

/* The kernel's formats, one regex per kind of line. */
/* "%08zu\t%08x\t%08x\t%08ld\t%s\t%08lu\t%s" */
#define RE_BUF_LINE "^[0-9]{8,}\t[0-9a-f]{8,}\t[0-9a-f]{8,}\t[0-9]{8,}\t[^\t]*\t[0-9]{8,}\t.*$"
/* "\t%s fence:" + "%s %s seq %llu %ssignalled" */
#define RE_FENCE_LINE "^\t(kernel|write|read|bookkeep) fence:[^ ]+ [^ ]+ seq [0-9]+ (un)?signalled$"
#define RE_ATTACHED_TOTAL "^Total [0-9]+ devices attached$"
#define RE_TOTAL "^Total [0-9]+ objects, [0-9]+ bytes$"
/* sync_print_obj: "%s: %d" */
#define RE_TIMELINE "^.*: -?[0-9]+$"
/* sync_print_fence: "  %s%sfence %s" [@%lld.%09ld] [": %s / %s"] */
#define RE_PT "^  ([^ ]*_)?fence (active|signaled|error)(@[0-9]+\\.[0-9]{9})?(: -?[0-9]+ / -?[0-9]+)?$"
/* sync_print_sync_file: "[%p] %s: %s" */
#define RE_SYNC_FILE "^\\[[0-9a-f]{16}\\] .*: (active|signaled|error)$"
/* dmaengine: "dma%d (%s): number of channels: %u", " %-13s| %s" */
#define RE_DMA_DEV "^dma[0-9]+ \\([^)]*\\): number of channels: [0-9]+$"
#define RE_DMA_CHAN "^ [^ ].{12}\\| .+$"

static void comm_of_self(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/comm", "r");

	assert_non_null(f);
	assert_non_null(fgets(buf, (int)size, f));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * Check the whole of a bufinfo text against the format (every line of
 * the kind its place says) and its totals against its buffer lines.
 * Returns the number of buffers.
 */
static unsigned check_bufinfo_format(const struct text *t)
{
	unsigned long long objects = 0, bytes = 0, got_objects, got_bytes;
	size_t i = 3;

	assert_true(t->n >= 5);
	assert_string_equal(t->lines[0], "");
	assert_string_equal(t->lines[1], "Dma-buf Objects:");
	assert_string_equal(t->lines[2],
			    "size    \tflags   \tmode    \tcount   \texp_name\tino     \tname");
	while (i < t->n && t->lines[i][0] != '\0') {
		unsigned attached = 0, want;

		assert_match(t->lines[i], RE_BUF_LINE);
		objects++;
		bytes += strtoull(t->lines[i], NULL, 10);
		for (i++; i < t->n && t->lines[i][0] == '\t' &&
			  strcmp(t->lines[i], "\tAttached Devices:"); i++)
			assert_match(t->lines[i], RE_FENCE_LINE);
		assert_true(i < t->n);
		assert_string_equal(t->lines[i], "\tAttached Devices:");
		for (i++; i < t->n && t->lines[i][0] == '\t'; i++)
			attached++;
		assert_true(i + 1 < t->n);
		assert_match(t->lines[i], RE_ATTACHED_TOTAL);
		assert_int_equal(sscanf(t->lines[i], "Total %u devices", &want), 1);
		assert_int_equal(want, attached);
		assert_string_equal(t->lines[i + 1], "");
		i += 2;
	}
	/* The blank line after the last buffer's, then the total. */
	assert_int_equal(i + 2, t->n);
	assert_string_equal(t->lines[i], "");
	assert_match(t->lines[i + 1], RE_TOTAL);
	assert_int_equal(sscanf(t->lines[i + 1], "Total %llu objects, %llu bytes",
				&got_objects, &got_bytes), 2);
	assert_int_equal(got_objects, objects);
	assert_int_equal(got_bytes, bytes);
	return (unsigned)objects;
}

/* The index of the line equal to @want, or -1. */
static long find_line(const struct text *t, const char *want)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->lines[i], want))
			return (long)i;
	return -1;
}

static void bufinfo_follows_the_kernel_format_with_exact_values(void **state)
{
	struct dmabufd_dma_buf_info ia, ib;
	struct dmabufd_dma_chan_info ci;
	char comm[32], want[256];
	int a = buf_new(2 * PAGE, O_RDWR), b = buf_new(PAGE, O_RDONLY);
	int tl = timeline_new(), pt = fence_new(tl, 1);
	int chan = dmabufd_dma_request_chan_by_cap(
		DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 5000, &ci);
	struct text t;
	long at;
	int att;

	assert_true(chan >= 0);
	comm_of_self(comm, sizeof(comm));
	assert_ok(dmabufd_buf_set_name(a, "kfmt-a"));
	assert_ok(dmabufd_buf_import_sync_file(a, DMA_BUF_SYNC_WRITE, pt));
	att = dmabufd_dma_attach(chan, a, NULL);
	assert_true(att >= 0);
	assert_ok(dmabufd_buf_info(a, &ia));
	assert_ok(dmabufd_buf_info(b, &ib));

	view_get(DMABUFD_CTL_BUFINFO, &t);
	assert_int_equal(check_bufinfo_format(&t), 2);
	/* a: O_RDWR (flags 2, f_mode READ|WRITE|LSEEK|OPENED), its write
	 * fence, attached to the channel's controller. */
	snprintf(want, sizeof(want), "%08u\t%08x\t%08x\t", 2 * PAGE, 2, 0x80007);
	for (at = 3; at < (long)t.n && !strstr(t.lines[at], "\tkfmt-a"); at++)
		;
	assert_true(at < (long)t.n);
	assert_memory_equal(t.lines[at], want, strlen(want));
	snprintf(want, sizeof(want), "\tsystem\t%08llu\tkfmt-a",
		 (unsigned long long)ia.id);
	assert_non_null(strstr(t.lines[at], want));
	snprintf(want, sizeof(want), "\twrite fence:sw_sync %s seq 1 unsignalled",
		 comm);
	assert_string_equal(t.lines[at + 1], want);
	assert_string_equal(t.lines[at + 2], "\tAttached Devices:");
	snprintf(want, sizeof(want), "\t%s", ci.device);
	assert_string_equal(t.lines[at + 3], want);
	assert_string_equal(t.lines[at + 4], "Total 1 devices attached");
	/* b: read-only (flags 0, f_mode READ|LSEEK|OPENED), no name. */
	snprintf(want, sizeof(want), "%08u\t%08x\t%08x\t", PAGE, 0, 0x80005);
	for (at = 3; at < (long)t.n && !strstr(t.lines[at], "\t<none>"); at++)
		;
	assert_true(at < (long)t.n);
	assert_memory_equal(t.lines[at], want, strlen(want));
	snprintf(want, sizeof(want), "\tsystem\t%08llu\t<none>",
		 (unsigned long long)ib.id);
	assert_non_null(strstr(t.lines[at], want));
	assert_string_equal(t.lines[at + 1], "\tAttached Devices:");
	assert_string_equal(t.lines[at + 2], "Total 0 devices attached");
	snprintf(want, sizeof(want), "Total 2 objects, %u bytes", 3 * PAGE);
	assert_string_equal(t.lines[t.n - 1], want);
	text_free(&t);

	/* Signaled, the fence says so. */
	assert_ok(dmabufd_timeline_inc(tl, 1));
	view_get(DMABUFD_CTL_BUFINFO, &t);
	snprintf(want, sizeof(want), "\twrite fence:sw_sync %s seq 1 signalled",
		 comm);
	assert_true(find_line(&t, want) > 0);
	text_free(&t);

	assert_ok(dmabufd_dma_detach(chan, (uint32_t)att));
	close(chan);
	close(pt);
	close(tl);
	close(a);
	close(b);
}

/* More text than one message: every buffer once, totals right. */
static void bufinfo_larger_than_a_batch_lists_every_buffer_once(void **state)
{
	enum { N = 400 };
	int bufs[N];
	char name[32];
	struct text t;

	raise_nofile(N + 256);
	for (int i = 0; i < N; i++) {
		bufs[i] = buf_new(PAGE, O_RDWR);
		snprintf(name, sizeof(name), "kfmt-many-%03d", i);
		assert_ok(dmabufd_buf_set_name(bufs[i], name));
	}
	view_get(DMABUFD_CTL_BUFINFO, &t);
	/* 400 buffers of 4 lines (~80 bytes each): past 16 KiB. */
	assert_int_equal(check_bufinfo_format(&t), N);
	for (int i = 0; i < N; i++) {
		unsigned seen = 0;

		snprintf(name, sizeof(name), "\tkfmt-many-%03d", i);
		for (size_t l = 0; l < t.n; l++) {
			const char *p = strstr(t.lines[l], name);

			if (p && p[strlen(name)] == '\0')
				seen++;
		}
		assert_int_equal(seen, 1);
	}
	text_free(&t);
	for (int i = 0; i < N; i++)
		close(bufs[i]);
}

static void sync_info_lists_timelines_points_and_sync_files(void **state)
{
	char comm[32], want[256];
	int tl = timeline_new(), tl2 = timeline_new();
	int p3 = fence_new(tl, 3), p1 = fence_new(tl, 1), q2 = fence_new(tl2, 2);
	int merged = dmabufd_sync_merge("kfmt-merged", p3, q2);
	struct text t;
	long at, i;

	assert_true(merged >= 0);
	comm_of_self(comm, sizeof(comm));
	assert_ok(dmabufd_timeline_inc(tl, 1)); /* p1 signals */

	view_get(DMABUFD_CTL_SYNC_INFO, &t);
	assert_string_equal(t.lines[0], "objs:");
	assert_string_equal(t.lines[1], "--------------");
	/* Timelines: "name: value", a line per pending point, a blank. */
	for (i = 2; i < (long)t.n && strcmp(t.lines[i], "fences:"); i++) {
		assert_match(t.lines[i], RE_TIMELINE);
		for (i++; t.lines[i][0] == ' '; i++)
			assert_match(t.lines[i], RE_PT);
		assert_string_equal(t.lines[i], "");
	}
	assert_true(i + 1 < (long)t.n);
	assert_string_equal(t.lines[i + 1], "--------------");
	/* Ours, oldest first: tl at 1 with point 3 left; tl2 at 0 with 2. */
	snprintf(want, sizeof(want), "%s: 1", comm);
	at = find_line(&t, want);
	assert_true(at > 1);
	assert_string_equal(t.lines[at + 1], "  fence active: 3 / 1");
	assert_string_equal(t.lines[at + 2], "");
	snprintf(want, sizeof(want), "%s: 0", comm);
	assert_string_equal(t.lines[at + 3], want);
	assert_string_equal(t.lines[at + 4], "  fence active: 2 / 0");
	assert_string_equal(t.lines[at + 5], "");

	/* sync_files: "[id] name: status", a line per fence, a blank. */
	for (i += 2; i < (long)t.n; i++) {
		assert_match(t.lines[i], RE_SYNC_FILE);
		for (i++; i < (long)t.n && t.lines[i][0] == ' '; i++)
			assert_match(t.lines[i], RE_PT);
		assert_true(i < (long)t.n);
		assert_string_equal(t.lines[i], "");
	}
	/* p1: signaled, with its time, "seqno / timeline value". */
	for (at = 0; at < (long)t.n; at++)
		if (matches(t.lines[at], "^\\[[0-9a-f]{16}\\] sw_sync-.*-1: signaled$"))
			break;
	assert_true(at < (long)t.n);
	snprintf(want, sizeof(want), "^  %s_fence signaled@[0-9]+\\.[0-9]{9}: 1 / 1$",
		 comm);
	assert_match(t.lines[at + 1], want);
	/* The merge: named, pending, its two leaves. */
	for (at = 0; at < (long)t.n; at++)
		if (matches(t.lines[at], "^\\[[0-9a-f]{16}\\] kfmt-merged: active$"))
			break;
	assert_true(at < (long)t.n);
	snprintf(want, sizeof(want), "  %s_fence active: 3 / 1", comm);
	assert_string_equal(t.lines[at + 1], want);
	snprintf(want, sizeof(want), "  %s_fence active: 2 / 0", comm);
	assert_string_equal(t.lines[at + 2], want);
	assert_string_equal(t.lines[at + 3], "");
	text_free(&t);

	close(merged);
	close(p1);
	close(p3);
	close(q2);
	close(tl);
	close(tl2);
}

static void dma_summary_shows_controllers_and_held_channels(void **state)
{
	struct dmabufd_dma_chan_info ci;
	char want[256], comm[32];
	int chan = dmabufd_dma_request_chan_by_cap(
		DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 5000, &ci);
	struct text t;
	long at;

	assert_true(chan >= 0);
	comm_of_self(comm, sizeof(comm));
	view_get(DMABUFD_CTL_DMA_SUMMARY, &t);
	assert_true(t.n >= 2);
	for (size_t i = 0; i < t.n; i++) {
		if (t.lines[i][0] == 'd')
			assert_match(t.lines[i], RE_DMA_DEV);
		else if (t.lines[i][0] == ' ')
			assert_match(t.lines[i], RE_DMA_CHAN);
		else /* between controllers, never last */
			assert_true(t.lines[i][0] == '\0' && i + 1 < t.n);
	}
	/* The default daemon's mock0 has 4 channels; ours is held. */
	snprintf(want, sizeof(want), "dma0 (%s): number of channels: 4", ci.device);
	at = find_line(&t, want);
	assert_true(at >= 0);
	snprintf(want, sizeof(want), " %-13s| pid %d (%s)", ci.name, (int)getpid(),
		 comm);
	assert_true(find_line(&t, want) > at);
	text_free(&t);
	close(chan);

	/* Let go, the channel is not listed. */
	view_get(DMABUFD_CTL_DMA_SUMMARY, &t);
	for (size_t i = 0; i < t.n; i++)
		assert_null(strstr(t.lines[i], ci.name));
	text_free(&t);
}

/* The FUSE fallback's file of a view, or skip() when there is none
 * (CUSE nodes: the files live only on the FUSE mount). */
/* As uid 65534: one buffer of its own; bufinfo shows it alone, its
 * Total line counts it alone, and the root's buffer is counted hidden. */
static int bufinfo_of_another_uid(void *arg)
{
	int fd = dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC);
	uint32_t hidden = 99;
	size_t len;
	char *text = NULL;
	const char *tail = "\nTotal 1 objects, 4096 bytes\n";

	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(dmabufd_ctl_view(DMABUFD_CTL_BUFINFO, &text, &len, &hidden) == 0);
	CHILD_CHECK(len > strlen(tail) && !strcmp(text + len - strlen(tail), tail));
	/* One buffer line: 4096 bytes, not the root's 8192. */
	CHILD_CHECK(strstr(text, "\n00004096\t") && !strstr(text, "\n00008192\t"));
	CHILD_CHECK(hidden == 1);
	free(text);
	close(fd);
	return 0;
}

static void bufinfo_for_another_uid_shows_and_totals_only_its_buffers(void **state)
{
	int mine = buf_new(2 * PAGE, O_RDWR | O_CLOEXEC);
	uint32_t hidden = 99;
	size_t len;
	char *text = NULL;

	/* Root sees everything, hides nothing. */
	assert_ok(dmabufd_ctl_view(DMABUFD_CTL_BUFINFO, &text, &len, &hidden));
	assert_int_equal(hidden, 0);
	assert_non_null(strstr(text, "\nTotal 1 objects, 8192 bytes\n"));
	free(text);
	assert_child_ok(fork_child_as(65534, bufinfo_of_another_uid, NULL));
	close(mine);
}

/* As uid 65534: its own timeline at 0 with a point at 7; sync-info shows
 * that timeline and its sync_file alone, the root's (a timeline at 3, a
 * point at 9) hidden. */
static int sync_info_of_another_uid(void *arg)
{
	int tl = dmabufd_timeline_create(), pt;
	uint32_t hidden = 99;
	char *text = NULL, *objs, *fences;
	size_t len;

	CHILD_CHECK(tl >= 0);
	pt = dmabufd_timeline_create_fence(tl, "fence", 7);
	CHILD_CHECK(pt >= 0);
	CHILD_CHECK(dmabufd_ctl_view(DMABUFD_CTL_SYNC_INFO, &text, &len, &hidden) == 0);
	CHILD_CHECK(hidden == 2);
	objs = strstr(text, "objs:\n--------------\n");
	fences = strstr(text, "fences:\n--------------\n");
	CHILD_CHECK(objs == text && fences);
	/* One timeline: "comm: 0", its point, a blank line; then fences. */
	objs += strlen("objs:\n--------------\n");
	CHILD_CHECK(strchr(objs, '\n') &&
		    !strncmp(strchr(objs, '\n'), "\n  fence active: 7 / 0\n\nfences:", 30));
	CHILD_CHECK(!strncmp(strchr(objs, '\n') - 3, ": 0\n", 4));
	/* One sync_file, its own. */
	fences += strlen("fences:\n--------------\n");
	/* One sync_file, its own ("sw_sync-TIMELINE CONTEXT-7", the name
	 * the kernel's sync_file_get_name() gives an unnamed one). */
	CHILD_CHECK(fences[0] == '[' && strstr(fences, "-7: active\n  "));
	CHILD_CHECK(!strstr(fences, "-9: "));
	CHILD_CHECK(!strstr(strchr(fences, '\n'), "\n["));
	free(text);
	close(pt);
	close(tl);
	return 0;
}

static void sync_info_for_another_uid_shows_only_its_timelines_and_sync_files(void **state)
{
	int tl = timeline_new();
	int pt = dmabufd_timeline_create_fence(tl, "fence", 9);

	assert_ok(pt);
	assert_ok(dmabufd_timeline_inc(tl, 3));
	assert_child_ok(fork_child_as(65534, sync_info_of_another_uid, NULL));
	close(pt);
	close(tl);
}

/* As uid 65534: the root's channel is listed, its holder "in-use". */
static int dma_summary_of_another_uid(void *arg)
{
	const char *name = arg;
	char *text = NULL, want[64];
	size_t len;

	CHILD_CHECK(dmabufd_ctl_view(DMABUFD_CTL_DMA_SUMMARY, &text, &len, NULL) == 0);
	snprintf(want, sizeof(want), "\n %-13s| in-use\n", name);
	CHILD_CHECK(strstr(text, want));
	CHILD_CHECK(!strstr(text, "| pid "));
	free(text);
	return 0;
}

static void dma_summary_for_another_uid_names_no_holder(void **state)
{
	struct dmabufd_dma_chan_info ci;
	int chan = dmabufd_dma_request_chan_by_cap(
		DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 5000, &ci);

	assert_true(chan >= 0);
	assert_child_ok(fork_child_as(65534, dma_summary_of_another_uid, ci.name));
	close(chan);
}

static void view_file_path(const char *rel, char *buf, size_t size)
{
	const char *root = getenv("DMABUFD_DEV_ROOT");
	struct stat st;

	snprintf(buf, size, "%s/debug/%s", root ? root : DMABUFD_FUSE_ROOT, rel);
	if (stat(buf, &st) < 0)
		skip();
}

/* The whole file, read in small pieces (so several reads per batch). */
static char *read_file_all(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	assert_non_null(buf);
	while ((n = read(fd, buf + len, 1000)) > 0) {
		len += (size_t)n;
		if (cap - len < 1000) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
	}
	assert_int_equal(n, 0);
	close(fd);
	buf[len] = '\0';
	return buf;
}

static void fuse_view_files_read_as_the_control_request(void **state)
{
	static const struct {
		const char *rel;
		uint32_t op;
	} views[] = {
		{ "dma_buf/bufinfo", DMABUFD_CTL_BUFINFO },
		{ "sync/info", DMABUFD_CTL_SYNC_INFO },
		{ "dmaengine/summary", DMABUFD_CTL_DMA_SUMMARY },
	};
	enum { N = 300 };
	int bufs[N], tl, pt;
	char path[PATH_MAX], name[32];
	struct stat st;

	raise_nofile(N + 256);
	/* Skips on CUSE (no such files), before it opens anything. */
	view_file_path("dma_buf/bufinfo", path, sizeof(path));
	tl = timeline_new();
	pt = fence_new(tl, 5);
	/* Past one batch of text, so the file is read over several. */
	for (int i = 0; i < N; i++) {
		bufs[i] = buf_new(PAGE, O_RDWR);
		snprintf(name, sizeof(name), "kfmt-file-%03d", i);
		assert_ok(dmabufd_buf_set_name(bufs[i], name));
	}
	for (size_t v = 0; v < ARRAY_SIZE(views); v++) {
		char *file, *text;
		size_t len;

		view_file_path(views[v].rel, path, sizeof(path));
		assert_int_equal(stat(path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0444);
		assert_true(st.st_ino >= DMABUFD_FUSE_VIEW_INO_MIN);
		file = read_file_all(path);
		assert_ok(dmabufd_ctl_view(views[v].op, &text, &len, NULL));
		assert_string_equal(file, text);
		free(file);
		free(text);
	}
	/* Read-only, even for root. */
	view_file_path("sync/info", path, sizeof(path));
	assert_int_equal(open(path, O_RDWR | O_CLOEXEC), -1);
	assert_int_equal(errno, EACCES);
	for (int i = 0; i < N; i++)
		close(bufs[i]);
	close(pt);
	close(tl);
}

/* A view file is a stream, as a pipe: read on from where the last read
 * ended; pread and lseek fail with ESPIPE (a far offset would make the
 * daemon render the text up to there). */
static void fuse_view_files_are_not_seekable(void **state)
{
	char path[PATH_MAX], buf[64], *whole;
	ssize_t n;
	int fd;

	view_file_path("sync/info", path, sizeof(path));
	whole = read_file_all(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), 1 << 30), -1);
	assert_int_equal(errno, ESPIPE);
	assert_int_equal(lseek(fd, 5, SEEK_SET), -1);
	assert_int_equal(errno, ESPIPE);
	n = read(fd, buf, 7);
	assert_int_equal(n, 7);
	assert_memory_equal(buf, whole, 7);
	n = read(fd, buf, 7);
	assert_int_equal(n, 7);
	assert_memory_equal(buf, whole + 7, 7);
	close(fd);
	free(whole);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(bufinfo_follows_the_kernel_format_with_exact_values),
		itest(bufinfo_larger_than_a_batch_lists_every_buffer_once),
		itest(sync_info_lists_timelines_points_and_sync_files),
		itest(dma_summary_shows_controllers_and_held_channels),
		itest(fuse_view_files_read_as_the_control_request),
		itest(bufinfo_for_another_uid_shows_and_totals_only_its_buffers),
		itest(sync_info_for_another_uid_shows_only_its_timelines_and_sync_files),
		itest(dma_summary_for_another_uid_names_no_holder),
		itest(fuse_view_files_are_not_seekable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
