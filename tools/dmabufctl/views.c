/* SPDX-License-Identifier: MIT */
/*
 * dmabufctl's views: the kernel's debugfs texts, as the daemon renders
 * them (proto/dmabufd/control.h, "Views"; daemon/debug/):
 *
 *   bufinfo        /sys/kernel/debug/dma_buf/bufinfo
 *   sync-info      /sys/kernel/debug/sync/info
 *   dma summary    /sys/kernel/debug/dmaengine/summary
 *
 * The text goes to stdout byte for byte, so that scripts and parsers
 * written for the kernel's files take it unchanged; nothing is escaped
 * (the kernel escapes nothing either) and --json does not apply. When
 * the daemon left other users' objects out, one line on stderr says how
 * many. Exit status and errors as dmabufctl's (main.c).
 */
#include "views.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dmabufd/dmabufd.h>

#include "dmabufctl.h"


static int view(uint32_t op, const char *what)
{
	uint32_t hidden = 0;
	size_t len;
	char *text;
	int r = dmabufd_ctl_view(op, &text, &len, &hidden);

	if (r == -EINVAL)
		return ctl_error(EXIT_FAILURE, EINVAL,
				 "%s: the daemon has no such view (a dmabufd older "
				 "than this dmabufctl?)", what);
	if (r < 0)
		return ctl_fail(what, r);
	r = fwrite(text, 1, len, stdout) == len ? 0 : EXIT_FAILURE;
	free(text);
	if (hidden)
		fprintf(stderr, "dmabufctl: %u objects of other users left out\n",
			hidden);
	if (fflush(stdout) != 0)
		r = EXIT_FAILURE;
	return r;
}

int ctl_cmd_bufinfo(int argc, char **argv)
{
	return view(DMABUFD_CTL_BUFINFO, "bufinfo");
}

int ctl_cmd_sync_info(int argc, char **argv)
{
	return view(DMABUFD_CTL_SYNC_INFO, "sync-info");
}

int ctl_cmd_dma_summary(int argc, char **argv)
{
	return view(DMABUFD_CTL_DMA_SUMMARY, "dma summary");
}
