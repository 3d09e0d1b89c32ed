/* SPDX-License-Identifier: MIT */
/*
 * ctl-holder: make a known set of objects in the daemon, say so, and hold
 * them until stdin closes, so that tests/integration/dmabufctl-json.sh can
 * check what dmabufctl lists field by field.
 *
 * The objects:
 *   - timeline "ctl-t1" at value 2 with one pending point, seqno 5, whose
 *     sync_file stays open;
 *   - a buffer of two pages from the system heap, named "ctl-buf", with
 *     that point attached as a WRITE fence (DMA_BUF_IOCTL_IMPORT_SYNC_FILE);
 *   - timeline "ctl-t2", closed, whose point seqno 1 therefore signaled
 *     ENOENT; its sync_file stays open, so the closed timeline lives on.
 * A sw_sync timeline is named after its opener's comm, which this program
 * sets before each open.
 *
 * Prints "ready BUF_ID BUF_SIZE" once everything is in place, then waits
 * for EOF on stdin, closes it all and exits 0. A failure prints what failed
 * and exits 1.
 *
 * Other sets, held the same way and announced with "ready":
 *   ctl-holder fences N     timeline "ctl-many" with N pending points,
 *                           seqnos 1..N, each sync_file held (a listing
 *                           larger than the control socket's send buffer);
 *   ctl-holder names NAME...  one page-sized buffer per NAME, named NAME
 *                           byte for byte, in that order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <dmabufd/dmabufd.h>

static int check(int r, const char *what)
{
	if (r < 0) {
		fprintf(stderr, "ctl-holder: %s: %s\n", what, strerror(-r));
		exit(1);
	}
	return r;
}

/* Open a timeline named @comm (the daemon reads the opener's comm). */
static int timeline_named(const char *comm)
{
	if (prctl(PR_SET_NAME, comm, 0, 0, 0) < 0)
		check(-errno, "prctl(PR_SET_NAME)");
	return check(dmabufd_timeline_create(), "open sw_sync");
}

/* Say "ready", then hold everything until stdin closes. */
static void ready_and_hold(const char *extra)
{
	char line[16];

	printf("ready%s\n", extra);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
}

static int hold_fences(unsigned n)
{
	struct rlimit lim;
	int tl, *fds;

	/* One sync_file fd per point, and a few more. */
	if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
		check(-errno, "getrlimit");
	if (lim.rlim_cur < n + 64) {
		lim.rlim_cur = n + 64;
		if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
			check(-errno, "setrlimit(RLIMIT_NOFILE)");
	}
	fds = calloc(n, sizeof(*fds));
	if (!fds)
		check(-ENOMEM, "calloc");
	tl = timeline_named("ctl-many");
	for (unsigned i = 0; i < n; i++)
		fds[i] = check(dmabufd_timeline_create_fence(tl, NULL, i + 1),
			       "create fence");
	ready_and_hold("");
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	close(tl);
	return 0;
}

static int hold_names(int count, char **names)
{
	size_t size = (size_t)sysconf(_SC_PAGESIZE);
	int *fds = calloc((size_t)count, sizeof(*fds));

	if (!fds)
		check(-ENOMEM, "calloc");
	for (int i = 0; i < count; i++) {
		fds[i] = check(dmabufd_alloc("system", size, O_RDWR | O_CLOEXEC),
			       "alloc");
		check(dmabufd_buf_set_name(fds[i], names[i]), "set name");
	}
	ready_and_hold("");
	for (int i = 0; i < count; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	size_t size = 2 * (size_t)sysconf(_SC_PAGESIZE);
	struct dmabufd_dma_buf_info info;
	int t1, t2, pt5, pt1, buf, status;
	char extra[48];

	if (argc == 3 && !strcmp(argv[1], "fences"))
		return hold_fences((unsigned)strtoul(argv[2], NULL, 10));
	if (argc >= 3 && !strcmp(argv[1], "names"))
		return hold_names(argc - 2, argv + 2);
	if (argc != 1) {
		fprintf(stderr, "usage: ctl-holder [fences N | names NAME...]\n");
		return 1;
	}
	t1 = timeline_named("ctl-t1");
	pt5 = check(dmabufd_timeline_create_fence(t1, "pt5", 5), "create fence 5");
	check(dmabufd_timeline_inc(t1, 2), "inc");

	buf = check(dmabufd_alloc("system", size, O_RDWR | O_CLOEXEC), "alloc");
	check(dmabufd_buf_set_name(buf, "ctl-buf"), "set name");
	check(dmabufd_buf_import_sync_file(buf, DMA_BUF_SYNC_WRITE, pt5),
	      "import sync_file");
	check(dmabufd_buf_info(buf, &info), "buffer info");

	t2 = timeline_named("ctl-t2");
	pt1 = check(dmabufd_timeline_create_fence(t2, "pt1", 1), "create fence 1");
	close(t2);
	/* The release of t2 is asynchronous: its point signals when the
	 * daemon has handled it. */
	(void)dmabufd_sync_wait(pt1, 5000);
	check(dmabufd_sync_status(pt1, &status), "sync_file status");
	if (status != -ENOENT) {
		fprintf(stderr, "ctl-holder: the closed timeline's point has "
				"status %d, not -ENOENT\n", status);
		return 1;
	}

	snprintf(extra, sizeof(extra), " %llu %llu", (unsigned long long)info.id,
		 (unsigned long long)info.size);
	ready_and_hold(extra);
	close(pt1);
	close(buf);
	close(pt5);
	close(t1);
	return 0;
}
