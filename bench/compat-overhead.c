/* SPDX-License-Identifier: MIT */
/*
 * The cost of libdmabufd-compat.so on fds that are not dmabufd's (issue
 * #12: within 2% of native): ioctl(FIONREAD) on a pipe, and mmap + munmap
 * of one page of a memfd. Run under the preload (bench/compat-overhead.sh
 * does), it times each call through the preload (the program's own ioctl
 * and mmap, which the preload interposes) and straight into libc (the
 * same functions looked up in libc.so.6 itself), batch for batch
 * interleaved so both see the same machine, and prints the medians over
 * SAMPLES batches of BATCH calls and their ratio. Without the preload
 * both are libc's: the ratio is the method's own noise. Not a test: it
 * asserts nothing.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BATCH 1000
#define SAMPLES 301

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v)
{
	qsort(v, SAMPLES, sizeof(*v), cmp);
	return v[SAMPLES / 2];
}

typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);

static double time_ioctl(ioctl_fn fn, int fd)
{
	int64_t t = now_ns();
	int avail;

	for (int b = 0; b < BATCH; b++)
		if (fn(fd, FIONREAD, &avail) < 0)
			exit(1);
	return (double)(now_ns() - t) / BATCH;
}

static double time_mmap(mmap_fn fn, int fd)
{
	int64_t t = now_ns();

	for (int b = 0; b < BATCH; b++) {
		void *p = fn(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (p == MAP_FAILED)
			exit(1);
		munmap(p, 4096);
	}
	return (double)(now_ns() - t) / BATCH;
}

int main(void)
{
	static double io[2][SAMPLES], mm[2][SAMPLES];
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	ioctl_fn libc_ioctl = libc ? (ioctl_fn)dlsym(libc, "ioctl") : NULL;
	mmap_fn libc_mmap = libc ? (mmap_fn)dlsym(libc, "mmap") : NULL;
	int pipefd[2], memfd;

	if (!libc_ioctl || !libc_mmap || pipe(pipefd) < 0 ||
	    (memfd = memfd_create("overhead", MFD_CLOEXEC)) < 0 || ftruncate(memfd, 4096) < 0) {
		perror("compat-overhead: setup");
		return 1;
	}
	/* Which goes first swaps every sample: neither always pays for
	 * the other's cache and branch state. */
	for (int i = 0; i < SAMPLES; i++) {
		int a = i & 1, b = !a;

		io[a][i] = time_ioctl(a ? (ioctl_fn)ioctl : libc_ioctl, pipefd[0]);
		io[b][i] = time_ioctl(b ? (ioctl_fn)ioctl : libc_ioctl, pipefd[0]);
		mm[a][i] = time_mmap(a ? mmap : libc_mmap, memfd);
		mm[b][i] = time_mmap(b ? mmap : libc_mmap, memfd);
	}
	double i0 = median(io[0]), i1 = median(io[1]), m0 = median(mm[0]), m1 = median(mm[1]);

	printf("foreign ioctl: libc %.1f ns, interposed %.1f ns, ratio %.3f\n", i0, i1, i1 / i0);
	printf("foreign mmap+munmap: libc %.1f ns, interposed %.1f ns, ratio %.3f\n", m0, m1,
	       m1 / m0);
	return 0;
}
