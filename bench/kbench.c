/* SPDX-License-Identifier: MIT */
/*
 * dmabufd-kbench: dmabufd against the kernel's own drivers, in one run.
 *
 *   dmabufd-kbench [-n N] [--side both|kernel|dmabufd]
 *                  [--kernel-heap PATH] [--kernel-sw-sync PATH]
 *                  [--dmabufd-heap NODE]
 *
 * Times each operation of issue #11's table through the kernel's uapi on
 * the kernel's drivers (kbench_kernel.c: /dev/dma_heap/system and
 * /sys/kernel/debug/sync/sw_sync by default) and through libdmabufd's
 * handle calls on dmabufd (kbench_dmabufd.c: the heap node NODE under
 * dmabufd's device root, default "dma_heap/system"; where the kernel's
 * heap holds /dev/dma_heap, start dmabufd with --heap-dir=OTHER and pass
 * OTHER/system). tests/vm/run-kbench.sh runs it in the VM, where both
 * exist in one boot.
 *
 * Every iteration of an operation is preceded by an untimed and a timed
 * null ioctl on the same side (an ioctl number its sw_sync file does not
 * know, ENOTTY), as bench.c does: the untimed one lets dmabufd serve what
 * the previous iteration left queued (its RELEASE) and the timed one is
 * the side's floor at that moment. The table gives, per side, the median
 * of N iterations in microseconds and its ratio to the median floor
 * ("x null"), then dmabufd's median over the kernel's. Under TCG the
 * absolute numbers mean little; the ratios are the result.
 *
 * Exits 0 after printing "kbench: all N operations ran on SIDES" when
 * every operation succeeded on every side it was asked to run; 1 with a
 * message naming the side, the operation and the errno otherwise; 2 for
 * bad usage. It never judges a time.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kbench.h"

static const char *const op_names[_KB_OP_MAX] = {
	[KB_NULL] = "null ioctl (ENOTTY)",
	[KB_ALLOC] = "heap alloc 4 KiB + close",
	[KB_FENCE] = "sw_sync fence create + close",
	[KB_MERGE] = "sync_file merge + close",
	[KB_EXPORT] = "export sync_file + close",
	[KB_IMPORT] = "import sync_file",
	[KB_MMAP] = "mmap + munmap 64 KiB",
};

struct cell {
	double op_us, floor_us; /* medians */
	bool done;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double median_us(int64_t *s, unsigned int n)
{
	qsort(s, n, sizeof(*s), cmp_i64);
	return (n % 2 ? (double)s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0) / 1000.0;
}

static void fail(const struct kb_side *side, const char *what, int r)
{
	fprintf(stderr, "kbench: %s: %s: %s\n", side->name, what, strerror(-r));
	side->teardown();
	exit(1);
}

/* @n iterations of @op on @side after a few untimed ones; fills @c. */
static void measure(const struct kb_side *side, enum kb_op op, unsigned int n,
		    int64_t *s_op, int64_t *s_floor, struct cell *c)
{
	unsigned int warm = n / 10 < 5 ? 5 : n / 10;
	int r;

	for (unsigned int i = 0; i < warm; i++) {
		r = side->run(op, n + i);
		if (r < 0)
			fail(side, op_names[op], r);
	}
	for (unsigned int i = 0; i < n; i++) {
		int64_t t0, t1, t2;

		r = side->null();
		if (r < 0)
			fail(side, "null ioctl", r);
		t0 = now_ns();
		r = side->null();
		t1 = now_ns();
		if (r < 0)
			fail(side, "null ioctl", r);
		r = side->run(op, i);
		t2 = now_ns();
		if (r < 0)
			fail(side, op_names[op], r);
		s_floor[i] = t1 - t0;
		s_op[i] = t2 - t1;
	}
	c->op_us = median_us(s_op, n);
	c->floor_us = median_us(s_floor, n);
	c->done = true;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: dmabufd-kbench [OPTIONS]\n"
		"Time heap alloc, fence create, merge, export/import sync_file, mmap and a\n"
		"null ioctl through the kernel's own drivers and through dmabufd.\n\n"
		"  -n N                   iterations per operation and side (default 300)\n"
		"  --side=both|kernel|dmabufd\n"
		"  --kernel-heap=PATH     (default /dev/dma_heap/system)\n"
		"  --kernel-sw-sync=PATH  (default %s)\n"
		"  --dmabufd-heap=NODE    heap node under dmabufd's device root\n"
		"                         (default dma_heap/system)\n",
		kb_kernel_sw_sync);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "side", required_argument, NULL, 's' },
		{ "kernel-heap", required_argument, NULL, 'k' },
		{ "kernel-sw-sync", required_argument, NULL, 'w' },
		{ "dmabufd-heap", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *kernel_heap = "/dev/dma_heap/system";
	const char *dmabufd_heap = "dma_heap/system";
	bool run_side[2] = { true, true }; /* kernel, dmabufd */
	const struct kb_side *sides[2] = { &kb_kernel, &kb_dmabufd };
	const char *heaps[2];
	struct cell cells[2][_KB_OP_MAX] = { 0 };
	unsigned long n = 300;
	int64_t *s_op, *s_floor;
	int opt;

	while ((opt = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		char *end;

		switch (opt) {
		case 'n':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || n < 1 || n > 1000000) {
				fprintf(stderr, "kbench: -n wants 1..1000000\n");
				return 2;
			}
			break;
		case 's':
			run_side[0] = !strcmp(optarg, "both") || !strcmp(optarg, "kernel");
			run_side[1] = !strcmp(optarg, "both") || !strcmp(optarg, "dmabufd");
			if (!run_side[0] && !run_side[1]) {
				fprintf(stderr, "kbench: --side wants both, kernel or dmabufd\n");
				return 2;
			}
			break;
		case 'k':
			kernel_heap = optarg;
			break;
		case 'w':
			kb_kernel_sw_sync = optarg;
			break;
		case 'd':
			dmabufd_heap = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	heaps[0] = kernel_heap;
	heaps[1] = dmabufd_heap;

	s_op = calloc(n, sizeof(*s_op));
	s_floor = calloc(n, sizeof(*s_floor));
	if (!s_op || !s_floor) {
		fprintf(stderr, "kbench: out of memory\n");
		return 1;
	}

	for (int j = 0; j < 2; j++) {
		const char *what = "setup";
		int r;

		if (!run_side[j])
			continue;
		r = sides[j]->setup(heaps[j], &what);
		if (r < 0)
			fail(sides[j], what, r);
	}
	/* Operation by operation, the two sides back to back: both see the
	 * machine in the same state as far as that can be had. */
	for (int op = 0; op < _KB_OP_MAX; op++)
		for (int j = 0; j < 2; j++)
			if (run_side[j])
				measure(sides[j], op, n, s_op, s_floor, &cells[j][op]);
	for (int j = 0; j < 2; j++)
		if (run_side[j])
			sides[j]->teardown();

	printf("kbench: median of %lu per operation and side; x null = over the same side's\n"
	       "        null ioctl, timed before each iteration\n",
	       n);
	printf("%-30s %11s %8s %11s %8s %15s\n", "operation", "kernel us", "x null",
	       "dmabufd us", "x null", "dmabufd/kernel");
	for (int op = 0; op < _KB_OP_MAX; op++) {
		printf("%-30s", op_names[op]);
		for (int j = 0; j < 2; j++) {
			const struct cell *c = &cells[j][op];

			if (c->done)
				printf(" %11.2f %8.2f", c->op_us, c->op_us / c->floor_us);
			else
				printf(" %11s %8s", "-", "-");
		}
		if (cells[0][op].done && cells[1][op].done)
			printf(" %15.1f\n", cells[1][op].op_us / cells[0][op].op_us);
		else
			printf(" %15s\n", "-");
	}
	printf("kbench: all %d operations ran on %s\n", _KB_OP_MAX,
	       run_side[0] && run_side[1] ? "kernel and dmabufd"
	       : run_side[0]		  ? "kernel"
					  : "dmabufd");
	free(s_op);
	free(s_floor);
	return 0;
}
