/* SPDX-License-Identifier: MIT */
/*
 * dmabufd scale check: the cost of creating and closing one object while
 * N others of its kind are live, in process (the object model and the
 * token table linked in, no daemon), for N = 1k, 10k and 100k:
 *
 *   timer   timer_arm() at a random expiry + timer_cancel()
 *   point   timeline_create_fence() at a random free value between the
 *           pending points + fence_unref() (the point leaves the timeline)
 *   token   token_new() + token_take() + the unref of the reference it
 *           held (60k, not 100k: TOKEN_MAX_TOTAL is 65,536)
 *
 * Each figure is the median over 201 batches of 64 pairs, in ns per pair;
 * "ratio" is the largest N's median over the 1k one: flat is ~1, a walk
 * over the live objects grows it ~100x. Then the heap memory (malloc's
 * in-use bytes, mallinfo2) per idle sw_sync point, alone, with the
 * sync_file DMABUFD_IOC_CREATE makes, and with the token the token path
 * (SW_SYNC_IOC_CREATE_FENCE, CLAIM) adds until claimed, and per
 * 4 KiB buffer of the system heap (the dma_buf and what the heap adds;
 * not the memfd, its pages or its mapping, which are not malloc's), each
 * beside its target (issue #11: 256 and 512 bytes). Not a test: it
 * asserts nothing about speed. The curves through a running daemon are
 * bench/scale-live.c's.
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dev/file.h"
#include "dev/token.h"
#include "model/clock.h"
#include "model/dma_buf.h"
#include "model/fence.h"
#include "model/heap.h"
#include "model/heap_system.h"
#include "model/sync_file.h"
#include "model/timeline.h"

#define BATCH 64
#define SAMPLES 201

static const unsigned sizes[] = { 1000, 10000, 100000 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double median_per_pair(uint64_t *samples)
{
	qsort(samples, SAMPLES, sizeof(*samples), cmp_u64);
	return (double)samples[SAMPLES / 2] / BATCH;
}

static void die(const char *what, int r)
{
	fprintf(stderr, "scale: %s failed: %d\n", what, r);
	exit(1);
}

static void nop_timer(struct timer *timer)
{
}

static double bench_timers(unsigned n)
{
	struct timer *live = calloc(n, sizeof(*live)), extra[BATCH];
	uint64_t samples[SAMPLES], t0;

	if (!live)
		die("calloc", -1);
	for (unsigned i = 0; i < n; i++) {
		timer_init(&live[i], nop_timer);
		timer_arm(&live[i], 1000000000ull + rnd() % 1000000000ull);
	}
	for (unsigned b = 0; b < BATCH; b++)
		timer_init(&extra[b], nop_timer);
	for (unsigned s = 0; s < SAMPLES; s++) {
		t0 = now_ns();
		for (unsigned b = 0; b < BATCH; b++) {
			timer_arm(&extra[b], 1000000000ull + rnd() % 1000000000ull);
			timer_cancel(&extra[b]);
		}
		samples[s] = now_ns() - t0;
	}
	for (unsigned i = 0; i < n; i++)
		timer_cancel(&live[i]);
	free(live);
	return median_per_pair(samples);
}

static double bench_points(unsigned n)
{
	struct fence **live = calloc(n, sizeof(*live)), *extra;
	struct timeline *tl;
	uint64_t samples[SAMPLES], t0;
	int r;

	if (!live)
		die("calloc", -1);
	r = timeline_new("scale", &tl);
	if (r < 0)
		die("timeline_new", r);
	/* Even values pending; the measured ones are odd, in between. */
	for (unsigned i = 0; i < n; i++) {
		r = timeline_create_fence(tl, 2 * (i + 1), &live[i]);
		if (r < 0)
			die("timeline_create_fence", r);
	}
	for (unsigned s = 0; s < SAMPLES; s++) {
		t0 = now_ns();
		for (unsigned b = 0; b < BATCH; b++) {
			r = timeline_create_fence(tl, 2 * (uint32_t)(rnd() % n) + 1,
						  &extra);
			if (r < 0)
				die("timeline_create_fence", r);
			fence_unref(extra);
		}
		samples[s] = now_ns() - t0;
	}
	timeline_close(tl);
	for (unsigned i = 0; i < n; i++)
		fence_unref(live[i]);
	free(live);
	return median_per_pair(samples);
}

static double bench_tokens(unsigned n)
{
	unsigned nowners = n / TOKEN_MAX_PER_OWNER + 2;
	struct token_owner *owners = calloc(nowners, sizeof(*owners));
	struct sync_file *sf;
	struct fence *stub = fence_get_stub();
	uint64_t samples[SAMPLES], t0;
	__u64 value;
	void *obj;
	int r;

	if (!owners)
		die("calloc", -1);
	r = sync_file_new(stub, &sf);
	if (r < 0)
		die("sync_file_new", r);
	for (unsigned o = 0; o < nowners; o++)
		token_owner_init(&owners[o]);
	for (unsigned i = 0; i < n; i++) {
		r = token_new(&owners[i % (nowners - 1)], TOKEN_SYNC_FILE, sf,
			      O_RDWR, 0, &value);
		if (r < 0)
			die("token_new", r);
	}
	for (unsigned s = 0; s < SAMPLES; s++) {
		t0 = now_ns();
		for (unsigned b = 0; b < BATCH; b++) {
			r = token_new(&owners[nowners - 1], TOKEN_SYNC_FILE, sf,
				      O_RDWR, 0, &value);
			if (r < 0)
				die("token_new", r);
			r = token_take(value, TOKEN_SYNC_FILE, -1, &obj, NULL, NULL);
			if (r < 0)
				die("token_take", r);
			sync_file_unref(obj);
		}
		samples[s] = now_ns() - t0;
	}
	for (unsigned o = 0; o < nowners; o++)
		token_owner_clear(&owners[o]);
	free(owners);
	sync_file_unref(sf);
	fence_unref(stub);
	return median_per_pair(samples);
}

static void report(const char *what, double (*fn)(unsigned), unsigned cap)
{
	double first = 0, last = 0;
	unsigned n;

	printf("%-6s", what);
	for (unsigned i = 0; i < NSIZES; i++) {
		n = sizes[i] < cap ? sizes[i] : cap;
		last = fn(n);
		if (!i)
			first = last;
		printf("  %6uk %8.0f ns", n / 1000, last);
	}
	printf("  ratio %.2f\n", last / first);
}

/* Heap bytes per idle point: alone, + sync_file, + token. */
static void report_memory(void)
{
	const unsigned n = 10000;
	struct fence **pts = calloc(n, sizeof(*pts));
	struct sync_file **sfs = calloc(n, sizeof(*sfs));
	struct token_owner owners[n / TOKEN_MAX_PER_OWNER + 1];
	struct timeline *tl;
	size_t base, with_pt, with_sf, with_tok;
	__u64 value;
	int r;

	if (!pts || !sfs || timeline_new("mem", &tl) < 0)
		die("setup", -1);
	for (unsigned o = 0; o < n / TOKEN_MAX_PER_OWNER + 1; o++)
		token_owner_init(&owners[o]);
	base = mallinfo2().uordblks;
	for (unsigned i = 0; i < n; i++)
		if (timeline_create_fence(tl, i + 1, &pts[i]) < 0)
			die("timeline_create_fence", -1);
	with_pt = mallinfo2().uordblks;
	for (unsigned i = 0; i < n; i++)
		if (sync_file_new(pts[i], &sfs[i]) < 0)
			die("sync_file_new", -1);
	with_sf = mallinfo2().uordblks;
	for (unsigned i = 0; i < n; i++) {
		r = token_new(&owners[i / TOKEN_MAX_PER_OWNER], TOKEN_SYNC_FILE,
			      sfs[i], O_RDWR, 0, &value);
		if (r < 0)
			die("token_new", r);
	}
	with_tok = mallinfo2().uordblks;
	/* DMABUFD_IOC_CREATE makes the sync_file straight into the fd: no
	 * token. The token path (CREATE_FENCE + CLAIM) adds one until it is
	 * claimed. Either way the fd that holds it is an open file
	 * (struct dev_file), one per fd however many fences it holds. */
	printf("memory per idle sw_sync point (malloc in-use bytes, %u points):\n"
	       "  point %zu, + sync_file %zu (DMABUFD_IOC_CREATE): target 256, %s;\n"
	       "  + a token until claimed (the token path) %zu; + the holding "
	       "fd's open file %zu\n"
	       "  (struct fence %zu, struct timer %zu)\n", n, (with_pt - base) / n,
	       (with_sf - base) / n, (with_sf - base) / n <= 256 ? "met" : "missed",
	       (with_tok - base) / n, sizeof(struct dev_file),
	       sizeof(struct fence), sizeof(struct timer));
	for (unsigned o = 0; o < n / TOKEN_MAX_PER_OWNER + 1; o++)
		token_owner_clear(&owners[o]);
	timeline_close(tl);
	for (unsigned i = 0; i < n; i++) {
		sync_file_unref(sfs[i]);
		fence_unref(pts[i]);
	}
	free(pts);
	free(sfs);
}

/*
 * Heap bytes per 4 KiB system-heap buffer (never mapped: its pages are
 * in a shared arena, heap_system.h).
 */
static void report_buffer_memory(void)
{
	const unsigned n = 1000;
	struct dma_buf **bufs = calloc(n, sizeof(*bufs));
	struct heap *heap;
	size_t base, with_bufs;
	int r;

	if (!bufs)
		die("calloc", -1);
	r = heap_system_register(0);
	if (r < 0)
		die("heap_system_register", r);
	heap = heap_find(HEAP_SYSTEM_NAME);
	/* The first allocation may set up state once: not per buffer. */
	r = heap_alloc(heap, NULL, 4096, O_RDWR, 0, &bufs[0]);
	if (r < 0)
		die("heap_alloc", r);
	base = mallinfo2().uordblks;
	for (unsigned i = 1; i < n; i++) {
		r = heap_alloc(heap, NULL, 4096, O_RDWR, 0, &bufs[i]);
		if (r < 0)
			die("heap_alloc", r);
	}
	with_bufs = mallinfo2().uordblks;
	printf("memory per 4 KiB system-heap buffer (malloc in-use bytes, "
	       "%u buffers, memfd not counted):\n"
	       "  dma_buf + heap %zu: target 512, %s (struct dma_buf %zu)\n",
	       n - 1, (with_bufs - base) / (n - 1),
	       (with_bufs - base) / (n - 1) <= 512 ? "met" : "missed",
	       sizeof(struct dma_buf));
	for (unsigned i = 0; i < n; i++)
		dma_buf_unref(bufs[i]);
	free(bufs);
	heap_system_unregister();
}

int main(void)
{
	printf("create+close one object with N live, median ns per pair:\n");
	report("timer", bench_timers, UINT32_MAX);
	report("point", bench_points, UINT32_MAX);
	report("token", bench_tokens, 60000);
	report_memory();
	report_buffer_memory();
	return 0;
}
