/* SPDX-License-Identifier: MIT */
/*
 * dmabufd benchmark: the cost of the daemon's operations as a ratio to a
 * null ioctl through the same transport (an unknown ioctl number, answered
 * ENOTTY by the daemon), plus absolute microseconds. Each operation is the
 * libdmabufd call a user makes; its round trips (ioctls, opens, releases)
 * are listed so the per-round-trip cost can be read off too.
 *
 *   bench [-s SCALE]      SCALE multiplies the iteration counts (default 1)
 *
 * Then the DMA engine on the mock controller: memcpy throughput from 4 KiB
 * to 64 MiB per transfer as a ratio to memcpy() between the same two
 * mapped buffers in this process, and the submit-to-completion latency of
 * small transfers as a ratio to the null-ioctl floor.
 *
 * Needs a running dmabufd (DMABUFD_DEV_ROOT / DMABUFD_CONTROL honoured)
 * with a DMA controller (the default mock one).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <dmabufd/dmabufd.h>

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void check(long r, const char *what)
{
	if (r < 0) {
		fprintf(stderr, "bench: %s: %s\n", what, strerror((int)-r));
		exit(1);
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

struct result {
	const char *name;
	const char *round_trips;
	unsigned int iterations;
	double mean_us, median_us;
	double floor_us; /* median null ioctl interleaved with the operation */
};

/*
 * The floor. An idle machine and a busy one differ by a factor of several
 * in the cost of one round trip (CPU idle-state wake-ups), and the state
 * drifts within a run. So every operation's iteration is preceded by one
 * null ioctl, timed into floor_samples[], and each ratio is to the median
 * of those: both see the same machine.
 */
static int floor_fd = -1;
static int64_t *floor_samples;
static unsigned int floor_taken;

/* An unknown dmabufd number on the sw_sync node: the daemon answers ENOTTY. */
static const unsigned long null_cmd = _IOWR(DMABUFD_IOC_MAGIC, 0x4f, uint64_t);

static int64_t null_ioctl_ns(int fd)
{
	uint64_t arg = 0;
	int64_t t = now_ns();

	if (ioctl(fd, null_cmd, &arg) == 0 || errno != ENOTTY)
		check(-EPROTO, "null ioctl did not fail with ENOTTY");
	return now_ns() - t;
}

/* One floor sample before iteration @i of an operation. */
static void floor_sample(unsigned int i)
{
	floor_samples[i] = null_ioctl_ns(floor_fd);
	floor_taken = i + 1;
}

static void summarize(struct result *r, int64_t *samples, unsigned int n)
{
	int64_t sum = 0;

	for (unsigned int i = 0; i < n; i++)
		sum += samples[i];
	qsort(samples, n, sizeof(*samples), cmp_i64);
	r->iterations = n;
	r->mean_us = (double)sum / n / 1e3;
	r->median_us = (double)samples[n / 2] / 1e3;
	r->floor_us = r->median_us;
	if (floor_taken) {
		qsort(floor_samples, floor_taken, sizeof(*floor_samples), cmp_i64);
		r->floor_us = (double)floor_samples[floor_taken / 2] / 1e3;
		floor_taken = 0;
	}
}

/* ---- operations ---------------------------------------------------------- */

static void bench_null(struct result *r, int64_t *s, unsigned int n, int fd)
{
	for (unsigned int i = 0; i < n; i++)
		s[i] = null_ioctl_ns(fd);
	summarize(r, s, n);
}

static void bench_open_close(struct result *r, int64_t *s, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = now_ns();
		int fd = dmabufd_open_node(DMABUFD_NODE_SYNC_FILE, O_RDONLY | O_CLOEXEC);

		check(fd, "open of the sync_file node");
		close(fd);
		s[i] = now_ns() - t;
	}
	summarize(r, s, n);
}

static void bench_mmap(struct result *r, int64_t *s, unsigned int n, int heap)
{
	int fd = dmabufd_heap_alloc(heap, 65536, O_RDWR | O_CLOEXEC, 0);

	check(fd, "dmabufd_heap_alloc");
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = now_ns();
		void *addr;
		size_t len;

		check(dmabufd_buf_mmap(fd, PROT_READ | PROT_WRITE, &addr, &len), "dmabufd_buf_mmap");
		dmabufd_buf_munmap(addr, len);
		s[i] = now_ns() - t;
	}
	close(fd);
	summarize(r, s, n);
}

static void bench_alloc(struct result *r, int64_t *s, unsigned int n, int heap)
{
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = now_ns();
		int fd = dmabufd_heap_alloc(heap, 4096, O_RDWR | O_CLOEXEC, 0);

		check(fd, "dmabufd_heap_alloc");
		close(fd);
		s[i] = now_ns() - t;
	}
	summarize(r, s, n);
}

static void bench_fence_create(struct result *r, int64_t *s, unsigned int n, int tl)
{
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = now_ns();
		int fd = dmabufd_timeline_create_fence(tl, "bench", 1000000 + i);

		check(fd, "dmabufd_timeline_create_fence");
		close(fd);
		s[i] = now_ns() - t;
	}
	summarize(r, s, n);
}

static void bench_merge(struct result *r, int64_t *s, unsigned int n, int tl1, int tl2)
{
	int a = dmabufd_timeline_create_fence(tl1, "a", 1000000);
	int b = dmabufd_timeline_create_fence(tl2, "b", 1000000);

	check(a, "fence a");
	check(b, "fence b");
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = now_ns();
		int m = dmabufd_sync_merge("bench", a, b);

		check(m, "dmabufd_sync_merge");
		close(m);
		s[i] = now_ns() - t;
	}
	close(a);
	close(b);
	summarize(r, s, n);
}

/* Signal-to-wake: the main thread increments the timeline; a waiter
 * thread blocked in DMABUFD_SYNC_IOC_WAIT on the point returns. */
struct waker {
	int *fences;
	unsigned int n;
	int64_t *woke;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int armed;     /* waiter is about to wait on fence armed-1 */
	unsigned int done;
};

static void *waiter_thread(void *arg)
{
	struct waker *w = arg;

	for (unsigned int i = 0; i < w->n; i++) {
		struct dmabufd_sync_wait req = { .timeout_ns = 5000000000LL };

		pthread_mutex_lock(&w->lock);
		w->armed = i + 1;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		if (ioctl(w->fences[i], DMABUFD_SYNC_IOC_WAIT, &req) < 0)
			check(-errno, "DMABUFD_SYNC_IOC_WAIT");
		w->woke[i] = now_ns();
		pthread_mutex_lock(&w->lock);
		w->done = i + 1;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

static void bench_signal_to_wake(struct result *r, int64_t *s, unsigned int n, int tl)
{
	struct waker w = { .n = n };
	int64_t *signaled = calloc(n, sizeof(int64_t));
	pthread_t t;

	w.fences = calloc(n, sizeof(int));
	w.woke = calloc(n, sizeof(int64_t));
	if (!signaled || !w.fences || !w.woke)
		check(-ENOMEM, "calloc");
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	for (unsigned int i = 0; i < n; i++) {
		w.fences[i] = dmabufd_timeline_create_fence(tl, "wake", i + 1);
		check(w.fences[i], "dmabufd_timeline_create_fence");
	}
	pthread_create(&t, NULL, waiter_thread, &w);
	for (unsigned int i = 0; i < n; i++) {
		pthread_mutex_lock(&w.lock);
		while (w.armed < i + 1)
			pthread_cond_wait(&w.cond, &w.lock);
		pthread_mutex_unlock(&w.lock);
		/* Give the waiter time to be parked in the daemon. */
		usleep(300);
		floor_sample(i);
		signaled[i] = now_ns();
		check(dmabufd_timeline_inc(tl, 1), "dmabufd_timeline_inc");
		pthread_mutex_lock(&w.lock);
		while (w.done < i + 1)
			pthread_cond_wait(&w.cond, &w.lock);
		pthread_mutex_unlock(&w.lock);
	}
	pthread_join(t, NULL);
	for (unsigned int i = 0; i < n; i++) {
		s[i] = w.woke[i] - signaled[i];
		close(w.fences[i]);
	}
	free(w.fences);
	free(w.woke);
	free(signaled);
	summarize(r, s, n);
}

/* ---- DMA engine ------------------------------------------------------------ */

struct dma_rig {
	int chan, src, dst;
	uint32_t src_id, dst_id;
	void *s, *d;
	size_t len;
};

static void dma_rig_open(struct dma_rig *r, size_t len)
{
	size_t l;

	r->len = len;
	check(r->chan = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 0,
							NULL),
	      "dmabufd_dma_request_chan_by_cap (is a DMA controller registered?)");
	check(r->src = dmabufd_alloc("system", len, O_RDWR | O_CLOEXEC), "alloc");
	check(r->dst = dmabufd_alloc("system", len, O_RDWR | O_CLOEXEC), "alloc");
	check(dmabufd_buf_mmap(r->src, PROT_READ | PROT_WRITE, &r->s, &l), "mmap");
	check(dmabufd_buf_mmap(r->dst, PROT_READ | PROT_WRITE, &r->d, &l), "mmap");
	memset(r->s, 0x5a, len);
	memset(r->d, 0, len);
	check(r->src_id = (uint32_t)dmabufd_dma_attach(r->chan, r->src, NULL), "attach");
	check(r->dst_id = (uint32_t)dmabufd_dma_attach(r->chan, r->dst, NULL), "attach");
}

static void dma_rig_close(struct dma_rig *r)
{
	dmabufd_buf_munmap(r->s, r->len);
	dmabufd_buf_munmap(r->d, r->len);
	close(r->chan);
	close(r->src);
	close(r->dst);
}

struct tput {
	size_t len;
	unsigned int copies;
	double dma_gbs, cpu_gbs;
};

/* Copies in flight at once: well under the mock's 64 descriptors. */
#define DMA_BATCH 16

/* DMA memcpy throughput vs memcpy() for @t->len bytes per transfer. */
static void bench_dma_throughput(struct tput *t, double scale)
{
	size_t total = (size_t)(256.0 * 1024 * 1024 * scale);
	unsigned int n = (unsigned int)(total / t->len);
	struct dma_rig r;
	int64_t t0, dma_ns, cpu_ns;

	if (n < 4)
		n = 4;
	if (n > 20000 * scale + 1)
		n = (unsigned int)(20000 * scale + 1);
	t->copies = n;
	dma_rig_open(&r, t->len);
	/* Warm up: the pages and the path. */
	check(dmabufd_dma_wait(r.chan, dmabufd_dma_memcpy(r.chan, r.dst_id, 0, r.src_id, 0, t->len,
							 0), -1),
	      "warm-up copy");
	memcpy(r.d, r.s, t->len);

	t0 = now_ns();
	for (unsigned int i = 0; i < n;) {
		int32_t last = 0;

		for (unsigned int b = 0; b < DMA_BATCH && i < n; b++, i++)
			check(last = dmabufd_dma_memcpy(r.chan, r.dst_id, 0, r.src_id, 0, t->len, 0),
			      "dmabufd_dma_memcpy");
		check(dmabufd_dma_wait(r.chan, last, -1), "dmabufd_dma_wait");
	}
	dma_ns = now_ns() - t0;

	t0 = now_ns();
	for (unsigned int i = 0; i < n; i++) {
		memcpy(r.d, r.s, t->len);
		__asm__ volatile("" ::: "memory");
	}
	cpu_ns = now_ns() - t0;
	t->dma_gbs = (double)t->len * n / (double)dma_ns;
	t->cpu_gbs = (double)t->len * n / (double)cpu_ns;
	dma_rig_close(&r);
}

/* Submit to completion of one small copy: PREP with an event, poll, EVENTS. */
static void bench_dma_event_latency(struct result *res, int64_t *s, unsigned int n, size_t len)
{
	struct dmabufd_dma_event ev[4];
	struct pollfd pfd;
	struct dma_rig r;

	dma_rig_open(&r, len);
	pfd = (struct pollfd){ .fd = r.chan, .events = POLLIN };
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = now_ns();

		check(dmabufd_dma_memcpy(r.chan, r.dst_id, 0, r.src_id, 0, len,
					 DMABUFD_DMA_PREP_INTERRUPT), "dmabufd_dma_memcpy");
		if (poll(&pfd, 1, 5000) != 1)
			check(-ETIME, "poll for the completion event");
		check(dmabufd_dma_events(r.chan, ev, 4, NULL) == 1 ? 0 : -EPROTO,
		      "dmabufd_dma_events");
		s[i] = now_ns() - t;
	}
	dma_rig_close(&r);
	summarize(res, s, n);
}

/* Submit to completion through the fence: memcpy, then dmabufd_dma_wait. */
static void bench_dma_wait_latency(struct result *res, int64_t *s, unsigned int n, size_t len)
{
	struct dma_rig r;

	dma_rig_open(&r, len);
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = now_ns();
		int32_t c = dmabufd_dma_memcpy(r.chan, r.dst_id, 0, r.src_id, 0, len, 0);

		check(c, "dmabufd_dma_memcpy");
		check(dmabufd_dma_wait(r.chan, c, 5000), "dmabufd_dma_wait");
		s[i] = now_ns() - t;
	}
	dma_rig_close(&r);
	summarize(res, s, n);
}

/*
 * TX_STATUS of a completed cookie: through the ioctl (a status wanted,
 * one round trip) or from the status page (no status: no round trip once
 * mapped; a fcntl and a few loads). Page calls are timed in batches of
 * STATUS_BATCH, the clock's own cost being of their order.
 */
#define STATUS_BATCH 100

static void bench_tx_status(struct result *ioc, struct result *page, int64_t *s,
			    unsigned int n)
{
	struct dmabufd_dma_tx_status st;
	struct dma_rig r;
	int32_t c;

	dma_rig_open(&r, 4096);
	check(c = dmabufd_dma_memcpy(r.chan, r.dst_id, 0, r.src_id, 0, 4096, 0), "memcpy");
	check(dmabufd_dma_wait(r.chan, c, 5000), "dmabufd_dma_wait");
	/* Maps the page; a daemon without pages would make this -EAGAIN. */
	check(dmabufd_dma_tx_status_page(r.chan, c), "dmabufd_dma_tx_status_page");
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = now_ns();
		check(dmabufd_dma_tx_status(r.chan, c, &st), "dmabufd_dma_tx_status");
		s[i] = now_ns() - t;
	}
	summarize(ioc, s, n);
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = now_ns();
		for (unsigned int b = 0; b < STATUS_BATCH; b++)
			if (dmabufd_dma_tx_status_page(r.chan, c) != DMABUFD_DMA_COMPLETE)
				check(-EPROTO, "dmabufd_dma_tx_status (page)");
		s[i] = (now_ns() - t) / STATUS_BATCH;
	}
	summarize(page, s, n);
	dma_rig_close(&r);
}

int main(int argc, char **argv)
{
	double scale = 1.0;
	struct result res[7] = {
		{ "null ioctl (ENOTTY)", "1 ioctl" },
		{ "node open + close", "open, release" },
		{ "mmap + munmap 64 KiB", "MAP, control socket, mmap" },
		{ "heap alloc + free", "ALLOC, open, CLAIM, release" },
		{ "fence create + close", "CREATE_FENCE, open, CLAIM, release" },
		{ "fence signal-to-wake", "INC -> blocked WAIT returns" },
		{ "sync_file merge + close", "EXPORT_TOKEN, MERGE, open, CLAIM, release" },
	};
	int64_t *samples;
	unsigned int n_null, n_op, n_wake;
	int tl, tl2, heap, opt;
	char root[256];

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's') {
			fprintf(stderr, "usage: bench [-s SCALE]\n");
			return 2;
		}
		scale = atof(optarg);
	}
	n_null = (unsigned int)(20000 * scale) + 1;
	n_op = (unsigned int)(2000 * scale) + 1;
	n_wake = (unsigned int)(300 * scale) + 1;
	samples = calloc(n_null > n_op ? n_null : n_op, sizeof(int64_t));
	floor_samples = calloc(n_null > n_op ? n_null : n_op, sizeof(int64_t));
	check(samples && floor_samples ? 0 : -ENOMEM, "calloc");

	check(dmabufd_get_dev_root(root, sizeof(root)), "dev root");
	check(tl = dmabufd_timeline_create(), "dmabufd_timeline_create");
	check(tl2 = dmabufd_timeline_create(), "dmabufd_timeline_create");
	check(heap = dmabufd_heap_open("system"), "dmabufd_heap_open");

	floor_fd = tl;
	/* Warm up the paths once. */
	bench_null(&res[0], samples, 200, tl);

	bench_null(&res[0], samples, n_null, tl);
	bench_open_close(&res[1], samples, n_op);
	bench_mmap(&res[2], samples, n_op, heap);
	bench_alloc(&res[3], samples, n_op, heap);
	bench_fence_create(&res[4], samples, n_op, tl);
	bench_signal_to_wake(&res[5], samples, n_wake, tl2);
	bench_merge(&res[6], samples, n_op, tl, tl2);

	printf("dmabufd benchmark, device root %s\n", root);
	printf("%-26s %8s %10s %10s %9s %8s  %s\n", "operation", "iters", "mean us",
	       "median us", "floor us", "ratio", "round trips");
	for (int i = 0; i < 7; i++)
		printf("%-26s %8u %10.2f %10.2f %9.2f %8.2f  %s\n", res[i].name,
		       res[i].iterations, res[i].mean_us, res[i].median_us, res[i].floor_us,
		       res[i].median_us / res[i].floor_us, res[i].round_trips);
	printf("ratio = median / median of a null ioctl through the same transport,\n"
	       "        one timed before every iteration of the operation (the floor)\n");

	/* The DMA engine. */
	{
		static const size_t sizes[] = { 4096, 65536, 1u << 20, 16u << 20, 64u << 20 };
		struct tput t[sizeof(sizes) / sizeof(sizes[0])];
		struct result txs[2] = {
			{ "tx_status, ioctl", "TX_STATUS" },
			{ "tx_status, status page", "none (fcntl + page read)" },
		};
		struct result lat[3] = {
			{ "dma 64 B, event", "PREP(submit+issue), POLL, EVENTS" },
			{ "dma 4 KiB, event", "PREP(submit+issue), POLL, EVENTS" },
			{ "dma 4 KiB, fence wait", "PREP, FENCE, open, CLAIM, WAIT, release" },
		};
		unsigned int n_lat = (unsigned int)(1000 * scale) + 1;

		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			t[i] = (struct tput){ .len = sizes[i] };
			bench_dma_throughput(&t[i], scale);
		}
		for (int i = 0; i < 3; i++) {
			if (i < 2)
				bench_dma_event_latency(&lat[i], samples, n_lat, i ? 4096 : 64);
			else
				bench_dma_wait_latency(&lat[i], samples, n_lat, 4096);
		}

		printf("\nDMA memcpy on the mock controller, %d transfers in flight\n", DMA_BATCH);
		printf("%-12s %8s %10s %12s %8s\n", "transfer", "copies", "dma GB/s",
		       "memcpy GB/s", "ratio");
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			printf("%-9zu KiB %8u %10.2f %12.2f %8.2f\n", t[i].len / 1024, t[i].copies,
			       t[i].dma_gbs, t[i].cpu_gbs, t[i].dma_gbs / t[i].cpu_gbs);
		printf("ratio = DMA throughput / memcpy() between the same two buffers here\n\n");
		printf("%-26s %8s %10s %10s %9s %8s  %s\n", "submit to completion", "iters",
		       "mean us", "median us", "floor us", "ratio", "round trips");
		for (int i = 0; i < 3; i++)
			printf("%-26s %8u %10.2f %10.2f %9.2f %8.2f  %s\n", lat[i].name,
			       lat[i].iterations, lat[i].mean_us, lat[i].median_us, lat[i].floor_us,
			       lat[i].median_us / lat[i].floor_us, lat[i].round_trips);

		bench_tx_status(&txs[0], &txs[1], samples, n_op);
		printf("\n%-26s %8s %10s %10s %9s %8s  %s\n", "status of a cookie", "iters",
		       "mean us", "median us", "floor us", "ratio", "round trips");
		for (int i = 0; i < 2; i++)
			printf("%-26s %8u %10.3f %10.3f %9.2f %8.3f  %s\n", txs[i].name,
			       txs[i].iterations, txs[i].mean_us, txs[i].median_us,
			       txs[i].floor_us, txs[i].median_us / txs[i].floor_us,
			       txs[i].round_trips);
		printf("status page speed-up (ioctl median / page median): %.0fx\n",
		       txs[0].median_us / txs[1].median_us);
	}

	close(heap);
	close(tl2);
	close(tl);
	free(samples);
	free(floor_samples);
	return 0;
}
