/*
 * cuse-probe: proves that real CUSE works in the test VM.  Not product code.
 *
 *   cuse-probe [-f -s ...]          server: registers /dev/dmabufd_probe via
 *                                   CUSE (args go to cuse_lowlevel_setup) and
 *                                   serves it single-threaded until SIGTERM.
 *   cuse-probe --client [N]         client: opens /dev/dmabufd_probe (waits up
 *                                   to 5 s for it), checks N (default 100)
 *                                   PROBE_IOC_INC round trips (value -> value+1)
 *                                   and that an unknown ioctl gets ENOTTY.
 *
 * PROBE_IOC_INC is a restricted (_IOWR with a fixed size) ioctl, so the
 * kernel copies the argument in and out itself: no retry dance needed.
 * Build: cc -O2 -o cuse-probe cuse-probe.c $(pkg-config --cflags --libs fuse3)
 */
#define FUSE_USE_VERSION 35
#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define PROBE_DEVNAME "dmabufd_probe"
#define PROBE_IOC_INC _IOWR('p', 1, uint64_t)
#define PROBE_IOC_BOGUS _IOWR('p', 99, uint64_t)

static void probe_open(fuse_req_t req, struct fuse_file_info *fi)
{
	fuse_reply_open(req, fi);
}

static void probe_ioctl(fuse_req_t req, int cmd, void *arg,
			struct fuse_file_info *fi, unsigned flags,
			const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	uint64_t v;

	(void)arg; (void)fi; (void)flags;
	if ((unsigned)cmd != PROBE_IOC_INC) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if (in_bufsz != sizeof(v) || out_bufsz != sizeof(v)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	memcpy(&v, in_buf, sizeof(v));
	v++;
	fuse_reply_ioctl(req, 0, &v, sizeof(v));
}

static int run_server(int argc, char **argv)
{
	const char *dev_info[] = { "DEVNAME=" PROBE_DEVNAME };
	struct cuse_info ci = {
		.dev_info_argc = 1,
		.dev_info_argv = dev_info,
		.flags = 0, /* restricted ioctls */
	};
	struct cuse_lowlevel_ops ops = {
		.open = probe_open,
		.ioctl = probe_ioctl,
	};
	struct fuse_session *se;
	int multithreaded = 0, rc;

	se = cuse_lowlevel_setup(argc, argv, &ci, &ops, &multithreaded, NULL);
	if (!se) {
		fprintf(stderr, "cuse-probe: cuse_lowlevel_setup failed\n");
		return 1;
	}
	if (multithreaded)
		fprintf(stderr, "cuse-probe: note: pass -s for single-threaded\n");
	rc = fuse_session_loop(se);
	cuse_lowlevel_teardown(se);
	return rc < 0 ? 1 : 0;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int run_client(int n)
{
	const char *path = "/dev/" PROBE_DEVNAME;
	uint64_t v, i;
	double t0;
	int fd = -1, tries;

	for (tries = 0; tries < 50 && fd < 0; tries++) {
		fd = open(path, O_RDWR);
		if (fd < 0)
			usleep(100000);
	}
	if (fd < 0) {
		fprintf(stderr, "cuse-probe: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	t0 = now_us();
	for (i = 0; i < (uint64_t)n; i++) {
		v = 1000 + i;
		if (ioctl(fd, PROBE_IOC_INC, &v) != 0) {
			fprintf(stderr, "cuse-probe: ioctl: %s\n", strerror(errno));
			return 1;
		}
		if (v != 1001 + i) {
			fprintf(stderr, "cuse-probe: ioctl returned %llu, want %llu\n",
				(unsigned long long)v, (unsigned long long)(1001 + i));
			return 1;
		}
	}
	printf("cuse-probe: %d ioctl round trips ok, %.1f us each\n", n,
	       n ? (now_us() - t0) / n : 0.0);
	v = 0;
	if (ioctl(fd, PROBE_IOC_BOGUS, &v) == 0 || errno != ENOTTY) {
		fprintf(stderr, "cuse-probe: unknown ioctl: want ENOTTY, got %s\n",
			strerror(errno));
		return 1;
	}
	printf("cuse-probe: unknown ioctl -> ENOTTY ok\n");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--client") == 0)
		return run_client(argc >= 3 ? atoi(argv[2]) : 100);
	return run_server(argc, argv);
}
