/* SPDX-License-Identifier: MIT */
/* The VM kernel-interop programs' checks and vgem: see kcheck.h. */
#include "kcheck.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int passed, failed;

void check(int ok, const char *name, long v)
{
	if (ok) {
		printf("ok - %s\n", name);
		passed++;
	} else {
		printf("not ok - %s: %ld\n", name, v);
		failed++;
	}
	fflush(stdout);
}

int check_summary(void)
{
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

int vgem_open(void)
{
	for (int i = 0; i < 16; i++) {
		char path[32], name[16] = "";
		struct drm_version v = { .name_len = sizeof(name) - 1, .name = name };
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (ioctl(fd, DRM_IOCTL_VERSION, &v) == 0 && strcmp(name, "vgem") == 0)
			return fd;
		close(fd);
	}
	return -1;
}
