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
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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

int main(void)
{
	size_t size = 2 * (size_t)sysconf(_SC_PAGESIZE);
	struct dmabufd_dma_buf_info info;
	int t1, t2, pt5, pt1, buf, status;
	char line[16];

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

	printf("ready %llu %llu\n", (unsigned long long)info.id,
	       (unsigned long long)info.size);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	close(pt1);
	close(buf);
	close(pt5);
	close(t1);
	return 0;
}
