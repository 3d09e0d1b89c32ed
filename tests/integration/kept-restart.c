/* SPDX-License-Identifier: MIT */
/*
 * A client of daemon-restart.sh: maps a buffer (libdmabufd makes its kept
 * control connection), says "mapped N" (N: its open fds), waits for a line
 * on stdin (meanwhile the daemon is restarted), then maps a buffer of the
 * new daemon and says "mapped N" again, or "error ..." and exits 1.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <dmabufd/dmabufd.h>

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own */
}

static int map_one(void)
{
	int fd = dmabufd_alloc("system", 4096, O_RDWR | O_CLOEXEC), r;
	size_t len;
	void *p;

	if (fd < 0) {
		printf("error alloc %s\n", strerror(-fd));
		return -1;
	}
	r = dmabufd_buf_mmap(fd, PROT_READ | PROT_WRITE, &p, &len);
	if (r < 0) {
		printf("error mmap %s\n", strerror(-r));
		close(fd);
		return -1;
	}
	memset(p, 0x5a, len);
	munmap(p, len);
	close(fd);
	printf("mapped %d\n", open_fds());
	fflush(stdout);
	return 0;
}

int main(void)
{
	char line[16];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (map_one() < 0)
		return 1;
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	return map_one() < 0 ? 1 : 0;
}
