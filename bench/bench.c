/* SPDX-License-Identifier: MIT */
/*
 * dmabufd benchmark: the cost of the daemon's operations as a ratio to a
 * null ioctl through the same transport (an unknown ioctl number, answered
 * ENOTTY by the daemon), beside the round trips each one takes, counted by
 * the daemon itself, and the same null ioctl on a bare libfuse server.
 *
 *   dmabufd-bench [-s SCALE] [--cpu same|split|both] [--csv FILE]
 *
 * SCALE multiplies the iteration counts (default 1). --cpu pins client and
 * daemon to one CPU (same) or two (split); the default runs both, one
 * after the other (pin.c). --csv writes every row to FILE for
 * bench/plot.sh.
 *
 * Round trips are counted, not assumed: the daemon's request counters
 * (DMABUFD_STAT_REQ_* and DMABUFD_STAT_CTL_REQUESTS) are read before and
 * after an operation's iterations, less the bench's own floor ioctls and
 * stats reads, and divided by the iterations. Synchronous ones (open,
 * ioctl, poll/read/write/interrupt, control request) are what a caller
 * waits for; releases are sent by the kernel after close() returns and
 * are reported apart, after waiting for their count to settle.
 *
 * The floor. An idle machine and a busy one differ by a factor of several
 * in the cost of one round trip (CPU idle-state wake-ups), and the state
 * drifts within a run. So every iteration of an operation is preceded by
 * a timed null ioctl, and each ratio is to the median of those: both see
 * the same machine. The floor is clean: before the timed null ioctl comes
 * an untimed one. The daemon serves its requests in the order the kernel
 * queued them, and the previous iteration's RELEASE was queued when its
 * close() returned, so by the time the untimed ioctl is answered the
 * release has been served, and the timed one has the daemon to itself.
 * "ratio / rt" is the ratio per counted synchronous round trip: 1.2 reads
 * as "within 1.2x of its round trips x the null ioctl".
 *
 * The transport floor: the bench's own bare libfuse null server
 * (null-server.c, a blocking read per request) and the same server with
 * the daemon's epoll-driven loop, mounted by the bench, answer the same
 * null ioctl and open + close; dmabufd's samples are interleaved with
 * theirs, and the ratio is dmabufd's median to the bare server's.
 *
 * Then throughput with 1, 2, 4 and 8 client processes (tput.c), and the
 * DMA engine on the mock controller: memcpy throughput from 4 KiB to 64
 * MiB per transfer as a ratio to memcpy() between the same two mapped
 * buffers in this process, and the submit-to-completion latency of small
 * transfers as a ratio to the null-ioctl floor.
 *
 * Needs a running dmabufd (DMABUFD_DEV_ROOT / DMABUFD_CONTROL honoured)
 * with a DMA controller (the default mock one), its pid
 * ($DMABUFD_DAEMON_PID, or the one process named dmabufd), and
 * dmabufd-null-server beside this program (or $DMABUFD_NULL_SERVER).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <dmabufd/dmabufd.h>

#include "bench.h"

int64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void bench_check(long r, const char *what)
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
	const char *requests; /* what it asks of the daemon, in words */
	unsigned int iterations;
	double mean_us, median_us, p99_us;
	double floor_us;  /* median clean null ioctl interleaved with it */
	bool counted;     /* round trips below were counted */
	double rt_sync;   /* counted synchronous round trips per iteration */
	double rt_release; /* counted releases per iteration (asynchronous) */
};

static int floor_fd = -1;
static int64_t *floor_samples;
static unsigned int floor_taken;

/* An unknown dmabufd number on the sw_sync node: the daemon answers ENOTTY. */
static const unsigned long null_cmd = _IOWR(DMABUFD_IOC_MAGIC, 0x4f, uint64_t);

/* Null ioctls the floor sent to the daemon: not the operation's. */
static int64_t floor_nulls;

static int64_t null_ioctl_ns(int fd)
{
	uint64_t arg = 0;
	int64_t t = bench_now_ns();

	if (ioctl(fd, null_cmd, &arg) == 0 || errno != ENOTTY)
		bench_check(-EPROTO, "null ioctl did not fail with ENOTTY");
	return bench_now_ns() - t;
}

/* One clean floor sample before iteration @i of an operation: an
 * untimed null ioctl drains what the previous iteration left queued (its
 * RELEASE), then the timed one. */
static void floor_sample(unsigned int i)
{
	null_ioctl_ns(floor_fd);
	floor_samples[i] = null_ioctl_ns(floor_fd);
	floor_nulls += 2;
	floor_taken = i + 1;
}

/* ---- counted round trips ----------------------------------------------- */

struct trips {
	int64_t open, ioctl, release, other, control;
};

static struct trips count_start;
static int64_t count_start_nulls;
static unsigned int count_reads; /* stats reads since count_start */

static struct trips trips_read(void)
{
	struct dmabufd_ctl_stats st;

	bench_check(dmabufd_stats(&st), "dmabufd_stats");
	count_reads++;
	return (struct trips){
		.open = st.count[DMABUFD_STAT_REQ_OPENS],
		.ioctl = st.count[DMABUFD_STAT_REQ_IOCTLS],
		.release = st.count[DMABUFD_STAT_REQ_RELEASES],
		.other = st.count[DMABUFD_STAT_REQ_OTHER],
		.control = st.count[DMABUFD_STAT_CTL_REQUESTS],
	};
}

/* Before the iterations of an operation. */
static void count_begin(void)
{
	count_start = trips_read();
	count_reads = 0;
	count_start_nulls = floor_nulls;
}

/*
 * After its @n iterations: the requests since count_begin(), less the
 * floor's null ioctls and this bench's own stats reads (each read after
 * the first is one control request), per iteration. Releases come after
 * close() returns: their count is read until it stays put for 50 ms (2 s
 * at most).
 */
static void count_end(struct result *r, unsigned int n)
{
	struct trips now = trips_read();
	int64_t sync;

	for (int i = 0, still = 0; i < 200 && still < 5; i++) {
		struct trips next;

		usleep(10000);
		next = trips_read();
		still = next.release == now.release ? still + 1 : 0;
		now = next;
	}
	sync = (now.open - count_start.open) + (now.ioctl - count_start.ioctl) +
	       (now.other - count_start.other) + (now.control - count_start.control) -
	       (floor_nulls - count_start_nulls) - count_reads;
	r->counted = true;
	r->rt_sync = (double)sync / n;
	r->rt_release = (double)(now.release - count_start.release) / n;
}

static double median_us(int64_t *samples, unsigned int n)
{
	qsort(samples, n, sizeof(*samples), cmp_i64);
	return (double)samples[n / 2] / 1e3;
}

static void summarize(struct result *r, int64_t *samples, unsigned int n)
{
	int64_t sum = 0;

	for (unsigned int i = 0; i < n; i++)
		sum += samples[i];
	r->iterations = n;
	r->mean_us = (double)sum / n / 1e3;
	r->median_us = median_us(samples, n);
	r->p99_us = (double)samples[(size_t)n * 99 / 100] / 1e3;
	r->floor_us = r->median_us;
	if (floor_taken) {
		r->floor_us = median_us(floor_samples, floor_taken);
		floor_taken = 0;
	}
}

/* ---- operations ---------------------------------------------------------- */

static void bench_null(struct result *r, int64_t *s, unsigned int n, int fd)
{
	count_begin();
	for (unsigned int i = 0; i < n; i++)
		s[i] = null_ioctl_ns(fd);
	count_end(r, n);
	summarize(r, s, n);
}

static void bench_open_close(struct result *r, int64_t *s, unsigned int n)
{
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();
		int fd = dmabufd_open_node(DMABUFD_NODE_SYNC_FILE, O_RDONLY | O_CLOEXEC);

		bench_check(fd, "open of the sync_file node");
		close(fd);
		s[i] = bench_now_ns() - t;
	}
	count_end(r, n);
	summarize(r, s, n);
}

static void bench_mmap(struct result *r, int64_t *s, unsigned int n, int heap)
{
	int fd = dmabufd_heap_alloc(heap, 65536, O_RDWR | O_CLOEXEC, 0);

	bench_check(fd, "dmabufd_heap_alloc");
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();
		void *addr;
		size_t len;

		bench_check(dmabufd_buf_mmap(fd, PROT_READ | PROT_WRITE, &addr, &len), "dmabufd_buf_mmap");
		dmabufd_buf_munmap(addr, len);
		s[i] = bench_now_ns() - t;
	}
	count_end(r, n);
	close(fd);
	summarize(r, s, n);
}

static void bench_alloc(struct result *r, int64_t *s, unsigned int n, int heap)
{
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();
		int fd = dmabufd_heap_alloc(heap, 4096, O_RDWR | O_CLOEXEC, 0);

		bench_check(fd, "dmabufd_heap_alloc");
		close(fd);
		s[i] = bench_now_ns() - t;
	}
	count_end(r, n);
	summarize(r, s, n);
}

static void bench_fence_create(struct result *r, int64_t *s, unsigned int n, int tl)
{
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();
		int fd = dmabufd_timeline_create_fence(tl, "bench", 1000000 + i);

		bench_check(fd, "dmabufd_timeline_create_fence");
		close(fd);
		s[i] = bench_now_ns() - t;
	}
	count_end(r, n);
	summarize(r, s, n);
}

static void bench_merge(struct result *r, int64_t *s, unsigned int n, int tl1, int tl2)
{
	int a = dmabufd_timeline_create_fence(tl1, "a", 1000000);
	int b = dmabufd_timeline_create_fence(tl2, "b", 1000000);

	bench_check(a, "fence a");
	bench_check(b, "fence b");
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();
		int m = dmabufd_sync_merge("bench", a, b);

		bench_check(m, "dmabufd_sync_merge");
		close(m);
		s[i] = bench_now_ns() - t;
	}
	count_end(r, n);
	close(a);
	close(b);
	summarize(r, s, n);
}

/* ---- the same operations with handles (the round-trip floor) ------- */

static uint64_t handle_of(int fd)
{
	uint64_t h;

	bench_check(dmabufd_handle(fd, &h, NULL), "dmabufd_handle");
	return h;
}

static void bench_alloc_h(struct result *r, int64_t *s, unsigned int n, int heap)
{
	uint64_t hh = handle_of(heap);

	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();
		int fd = dmabufd_alloc_h(hh, 4096, O_RDWR | O_CLOEXEC, NULL);

		bench_check(fd, "dmabufd_alloc_h");
		close(fd);
		s[i] = bench_now_ns() - t;
	}
	count_end(r, n);
	summarize(r, s, n);
}

static void bench_fence_create_h(struct result *r, int64_t *s, unsigned int n, int tl)
{
	uint64_t th = handle_of(tl);

	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();
		int fd = dmabufd_timeline_create_fence_h(th, 2000000 + i, NULL);

		bench_check(fd, "dmabufd_timeline_create_fence_h");
		close(fd);
		s[i] = bench_now_ns() - t;
	}
	count_end(r, n);
	summarize(r, s, n);
}

static void bench_merge_h(struct result *r, int64_t *s, unsigned int n, int tl1, int tl2)
{
	uint64_t ha, hb;
	int a = dmabufd_timeline_create_fence_h(handle_of(tl1), 3000000, &ha);
	int b = dmabufd_timeline_create_fence_h(handle_of(tl2), 3000000, &hb);

	bench_check(a, "fence a");
	bench_check(b, "fence b");
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();
		int m = dmabufd_sync_merge_h("bench", ha, hb, NULL);

		bench_check(m, "dmabufd_sync_merge_h");
		close(m);
		s[i] = bench_now_ns() - t;
	}
	count_end(r, n);
	close(a);
	close(b);
	summarize(r, s, n);
}

/* Export a buffer's fences as a sync_file (fd or handle), then close it. */
static void bench_export(struct result *r, int64_t *s, unsigned int n, int heap, bool by_handle)
{
	int buf = dmabufd_heap_alloc(heap, 4096, O_RDWR | O_CLOEXEC, 0);
	uint64_t bh;

	bench_check(buf, "dmabufd_heap_alloc");
	bh = handle_of(buf);
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();
		int fd = by_handle ? dmabufd_buf_export_sync_file_h(bh, DMA_BUF_SYNC_RW, NULL)
				   : dmabufd_buf_export_sync_file(buf, DMA_BUF_SYNC_RW);

		bench_check(fd, "export sync_file");
		close(fd);
		s[i] = bench_now_ns() - t;
	}
	count_end(r, n);
	close(buf);
	summarize(r, s, n);
}

/* Import a signaled fence into a buffer (fd or handle). */
static void bench_import(struct result *r, int64_t *s, unsigned int n, int heap, int tl,
			 bool by_handle)
{
	int buf = dmabufd_heap_alloc(heap, 4096, O_RDWR | O_CLOEXEC, 0);
	uint64_t fh;
	int f;

	bench_check(buf, "dmabufd_heap_alloc");
	/* Value 1 on a timeline past it: signaled, so nothing piles up. */
	bench_check(dmabufd_timeline_inc(tl, 1), "dmabufd_timeline_inc");
	f = dmabufd_timeline_create_fence_h(handle_of(tl), 1, &fh);
	bench_check(f, "fence");
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();
		bench_check(by_handle ? dmabufd_buf_import_sync_file_h(buf, DMA_BUF_SYNC_WRITE, fh)
				      : dmabufd_buf_import_sync_file(buf, DMA_BUF_SYNC_WRITE, f),
			    "import sync_file");
		s[i] = bench_now_ns() - t;
	}
	count_end(r, n);
	close(f);
	close(buf);
	summarize(r, s, n);
}

static void bench_mmap_h(struct result *r, int64_t *s, unsigned int n, int heap)
{
	int fd = dmabufd_heap_alloc(heap, 65536, O_RDWR | O_CLOEXEC, 0);
	uint64_t bh;

	bench_check(fd, "dmabufd_heap_alloc");
	bh = handle_of(fd);
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;
		void *addr;
		size_t len;

		floor_sample(i);
		t = bench_now_ns();
		bench_check(dmabufd_buf_mmap_h(bh, PROT_READ | PROT_WRITE, &addr, &len),
			    "dmabufd_buf_mmap_h");
		dmabufd_buf_munmap(addr, len);
		s[i] = bench_now_ns() - t;
	}
	count_end(r, n);
	close(fd);
	summarize(r, s, n);
}

/*
 * dmabufd against a bare server: the same request on @fd (the daemon) and
 * on @bare_fd (or opens of @bare_path), interleaved, the order swapped
 * every iteration so neither always goes first. The result is dmabufd's;
 * its floor is the bare server's median. Only dmabufd's requests are
 * counted (the bare server has no counters).
 */
static void bench_vs_bare_null(struct result *r, int64_t *s, unsigned int n, int fd,
			       int bare_fd)
{
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		if (i & 1) {
			floor_samples[i] = null_ioctl_ns(bare_fd);
			s[i] = null_ioctl_ns(fd);
		} else {
			s[i] = null_ioctl_ns(fd);
			floor_samples[i] = null_ioctl_ns(bare_fd);
		}
	}
	floor_taken = n;
	count_end(r, n);
	summarize(r, s, n);
}

static int64_t open_close_ns(const char *bare_path)
{
	int64_t t = bench_now_ns();
	int fd = bare_path ? open(bare_path, O_RDWR | O_CLOEXEC)
			   : dmabufd_open_node(DMABUFD_NODE_SYNC_FILE, O_RDONLY | O_CLOEXEC);

	bench_check(fd < 0 && bare_path ? -errno : fd, "open for open + close");
	close(fd);
	return bench_now_ns() - t;
}

static void bench_vs_bare_open(struct result *r, int64_t *s, unsigned int n,
			       const char *bare_path, int bare_fd)
{
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		/* A clean start for both: the previous releases served. */
		null_ioctl_ns(floor_fd);
		null_ioctl_ns(bare_fd);
		floor_nulls++;
		if (i & 1) {
			floor_samples[i] = open_close_ns(bare_path);
			s[i] = open_close_ns(NULL);
		} else {
			s[i] = open_close_ns(NULL);
			floor_samples[i] = open_close_ns(bare_path);
		}
	}
	floor_taken = n;
	count_end(r, n);
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
			bench_check(-errno, "DMABUFD_SYNC_IOC_WAIT");
		w->woke[i] = bench_now_ns();
		pthread_mutex_lock(&w->lock);
		w->done = i + 1;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

/* On a timeline of its own: its points start at 1 whatever ran before. */
static void bench_signal_to_wake(struct result *r, int64_t *s, unsigned int n)
{
	struct waker w = { .n = n };
	int64_t *signaled = calloc(n, sizeof(int64_t));
	int tl = dmabufd_timeline_create();
	pthread_t t;

	bench_check(tl, "dmabufd_timeline_create");

	w.fences = calloc(n, sizeof(int));
	w.woke = calloc(n, sizeof(int64_t));
	if (!signaled || !w.fences || !w.woke)
		bench_check(-ENOMEM, "calloc");
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	for (unsigned int i = 0; i < n; i++) {
		w.fences[i] = dmabufd_timeline_create_fence(tl, "wake", i + 1);
		bench_check(w.fences[i], "dmabufd_timeline_create_fence");
	}
	count_begin();
	pthread_create(&t, NULL, waiter_thread, &w);
	for (unsigned int i = 0; i < n; i++) {
		pthread_mutex_lock(&w.lock);
		while (w.armed < i + 1)
			pthread_cond_wait(&w.cond, &w.lock);
		pthread_mutex_unlock(&w.lock);
		/* Give the waiter time to be parked in the daemon. */
		usleep(300);
		floor_sample(i);
		signaled[i] = bench_now_ns();
		bench_check(dmabufd_timeline_inc(tl, 1), "dmabufd_timeline_inc");
		pthread_mutex_lock(&w.lock);
		while (w.done < i + 1)
			pthread_cond_wait(&w.cond, &w.lock);
		pthread_mutex_unlock(&w.lock);
	}
	pthread_join(t, NULL);
	count_end(r, n);
	for (unsigned int i = 0; i < n; i++) {
		s[i] = w.woke[i] - signaled[i];
		close(w.fences[i]);
	}
	close(tl);
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
	bench_check(r->chan = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 0,
							NULL),
	      "dmabufd_dma_request_chan_by_cap (is a DMA controller registered?)");
	bench_check(r->src = dmabufd_alloc("system", len, O_RDWR | O_CLOEXEC), "alloc");
	bench_check(r->dst = dmabufd_alloc("system", len, O_RDWR | O_CLOEXEC), "alloc");
	bench_check(dmabufd_buf_mmap(r->src, PROT_READ | PROT_WRITE, &r->s, &l), "mmap");
	bench_check(dmabufd_buf_mmap(r->dst, PROT_READ | PROT_WRITE, &r->d, &l), "mmap");
	memset(r->s, 0x5a, len);
	memset(r->d, 0, len);
	bench_check(r->src_id = (uint32_t)dmabufd_dma_attach(r->chan, r->src, NULL), "attach");
	bench_check(r->dst_id = (uint32_t)dmabufd_dma_attach(r->chan, r->dst, NULL), "attach");
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
	bench_check(dmabufd_dma_wait(r.chan, dmabufd_dma_memcpy(r.chan, r.dst_id, 0, r.src_id, 0, t->len,
							 0), -1),
	      "warm-up copy");
	memcpy(r.d, r.s, t->len);

	t0 = bench_now_ns();
	for (unsigned int i = 0; i < n;) {
		int32_t last = 0;

		for (unsigned int b = 0; b < DMA_BATCH && i < n; b++, i++)
			bench_check(last = dmabufd_dma_memcpy(r.chan, r.dst_id, 0, r.src_id, 0, t->len, 0),
			      "dmabufd_dma_memcpy");
		bench_check(dmabufd_dma_wait(r.chan, last, -1), "dmabufd_dma_wait");
	}
	dma_ns = bench_now_ns() - t0;

	t0 = bench_now_ns();
	for (unsigned int i = 0; i < n; i++) {
		memcpy(r.d, r.s, t->len);
		__asm__ volatile("" ::: "memory");
	}
	cpu_ns = bench_now_ns() - t0;
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
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();

		bench_check(dmabufd_dma_memcpy(r.chan, r.dst_id, 0, r.src_id, 0, len,
					 DMABUFD_DMA_PREP_INTERRUPT), "dmabufd_dma_memcpy");
		if (poll(&pfd, 1, 5000) != 1)
			bench_check(-ETIME, "poll for the completion event");
		bench_check(dmabufd_dma_events(r.chan, ev, 4, NULL) == 1 ? 0 : -EPROTO,
		      "dmabufd_dma_events");
		s[i] = bench_now_ns() - t;
	}
	count_end(res, n);
	dma_rig_close(&r);
	summarize(res, s, n);
}

/* Submit to completion through the fence: memcpy, then dmabufd_dma_wait. */
static void bench_dma_wait_latency(struct result *res, int64_t *s, unsigned int n, size_t len)
{
	struct dma_rig r;

	dma_rig_open(&r, len);
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();
		int32_t c = dmabufd_dma_memcpy(r.chan, r.dst_id, 0, r.src_id, 0, len, 0);

		bench_check(c, "dmabufd_dma_memcpy");
		bench_check(dmabufd_dma_wait(r.chan, c, 5000), "dmabufd_dma_wait");
		s[i] = bench_now_ns() - t;
	}
	count_end(res, n);
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
	bench_check(c = dmabufd_dma_memcpy(r.chan, r.dst_id, 0, r.src_id, 0, 4096, 0), "memcpy");
	bench_check(dmabufd_dma_wait(r.chan, c, 5000), "dmabufd_dma_wait");
	/* Maps the page; a daemon without pages would make this -EAGAIN. */
	bench_check(dmabufd_dma_tx_status_page(r.chan, c), "dmabufd_dma_tx_status_page");
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();
		bench_check(dmabufd_dma_tx_status(r.chan, c, &st), "dmabufd_dma_tx_status");
		s[i] = bench_now_ns() - t;
	}
	count_end(ioc, n);
	summarize(ioc, s, n);
	count_begin();
	for (unsigned int i = 0; i < n; i++) {
		int64_t t;

		floor_sample(i);
		t = bench_now_ns();
		for (unsigned int b = 0; b < STATUS_BATCH; b++)
			if (dmabufd_dma_tx_status_page(r.chan, c) != DMABUFD_DMA_COMPLETE)
				bench_check(-EPROTO, "dmabufd_dma_tx_status (page)");
		s[i] = (bench_now_ns() - t) / STATUS_BATCH;
	}
	count_end(page, n * STATUS_BATCH);
	summarize(page, s, n);
	dma_rig_close(&r);
}

/* ---- one run per CPU placement ------------------------------------------ */

enum {
	LAT_NULL, LAT_OPEN, LAT_MMAP, LAT_ALLOC, LAT_FENCE, LAT_WAKE, LAT_MERGE,
	LAT_DMA_EV64, LAT_DMA_EV4K, LAT_DMA_WAIT, LAT_TX_IOCTL, LAT_TX_PAGE,
	LAT_VS_NULL, LAT_VS_NULL_EPOLL, LAT_VS_OPEN,
	LAT_ALLOC_H, LAT_FENCE_H, LAT_MERGE_H, LAT_EXPORT, LAT_EXPORT_H,
	LAT_IMPORT, LAT_IMPORT_H, LAT_MMAP_H,
	_LAT_MAX,
};

static const struct result lat_template[_LAT_MAX] = {
	[LAT_NULL] = { "null ioctl (ENOTTY)", "1 ioctl" },
	[LAT_OPEN] = { "node open + close", "open, release" },
	[LAT_MMAP] = { "mmap + munmap 64 KiB", "MAP ioctl, MAP (kept connection)" },
	[LAT_ALLOC] = { "heap alloc + free", "libdmabufd's alloc, release" },
	[LAT_FENCE] = { "fence create + close", "libdmabufd's create, release" },
	[LAT_WAKE] = { "fence signal-to-wake", "INC -> blocked WAIT returns" },
	[LAT_MERGE] = { "sync_file merge + close", "libdmabufd's merge, release" },
	[LAT_DMA_EV64] = { "dma 64 B event wait", "PREP(submit+issue), POLL, EVENTS" },
	[LAT_DMA_EV4K] = { "dma 4 KiB event wait", "PREP(submit+issue), POLL, EVENTS" },
	[LAT_DMA_WAIT] = { "dma 4 KiB memcpy + wait", "PREP(submit+issue), WAIT" },
	[LAT_TX_IOCTL] = { "tx_status by ioctl", "TX_STATUS" },
	[LAT_TX_PAGE] = { "tx_status by status page", "none (fcntl + page read)" },
	[LAT_VS_NULL] = { "null ioctl vs bare", "bare: blocking read" },
	[LAT_VS_NULL_EPOLL] = { "null ioctl vs bare epoll", "bare: epoll + read" },
	[LAT_VS_OPEN] = { "open + close vs bare", "bare: blocking read" },
	[LAT_ALLOC_H] = { "heap alloc + free (handle)", "open, CREATE, release" },
	[LAT_FENCE_H] = { "fence create + close (handle)", "open, CREATE, release" },
	[LAT_MERGE_H] = { "sync_file merge + close (handles)", "open, CREATE, release" },
	[LAT_EXPORT] = { "export sync_file + close", "EXPORT, open, CLAIM, release" },
	[LAT_EXPORT_H] = { "export sync_file + close (handle)", "open, CREATE, release" },
	[LAT_IMPORT] = { "import sync_file", "EXPORT_TOKEN, IMPORT" },
	[LAT_IMPORT_H] = { "import sync_file (handle)", "IMPORT" },
	[LAT_MMAP_H] = { "mmap + munmap 64 KiB (handle)", "MAP (kept connection)" },
};

static const size_t dma_sizes[] = { 4096, 65536, 1u << 20, 16u << 20, 64u << 20 };
static const unsigned int tput_clients[] = { 1, 2, 4, 8 };

struct tput_row {
	enum tput_op op;
	unsigned int clients;
	double total, per_client;
};

struct run {
	enum placement place;
	struct result lat[_LAT_MAX];
	struct tput dma[ARRAY_SIZE(dma_sizes)];
	struct tput_row tp[_TPUT_OP_MAX * ARRAY_SIZE(tput_clients)];
};

struct fixture {
	double scale;
	int64_t *samples;
	int tl, tl2, heap;
	int bare_fd[_NULL_MODE_MAX];
	const char *bare_path;
};

static void run_placement(struct run *run, const struct fixture *fx)
{
	double scale = fx->scale;
	unsigned int n_null = (unsigned int)(20000 * scale) + 1;
	unsigned int n_op = (unsigned int)(2000 * scale) + 1;
	unsigned int n_wake = (unsigned int)(300 * scale) + 1;
	unsigned int n_lat = (unsigned int)(1000 * scale) + 1;
	struct result *res = run->lat;
	int64_t *s = fx->samples;
	size_t k = 0;

	memcpy(res, lat_template, sizeof(lat_template));
	/* Warm up the paths once. */
	bench_null(&res[LAT_NULL], s, 200, fx->tl);

	bench_null(&res[LAT_NULL], s, n_null, fx->tl);
	bench_vs_bare_null(&res[LAT_VS_NULL], s, n_null, fx->tl, fx->bare_fd[NULL_BLOCKING]);
	bench_vs_bare_null(&res[LAT_VS_NULL_EPOLL], s, n_null, fx->tl, fx->bare_fd[NULL_EPOLL]);
	bench_vs_bare_open(&res[LAT_VS_OPEN], s, n_op, fx->bare_path,
			   fx->bare_fd[NULL_BLOCKING]);
	bench_open_close(&res[LAT_OPEN], s, n_op);
	bench_mmap(&res[LAT_MMAP], s, n_op, fx->heap);
	bench_alloc(&res[LAT_ALLOC], s, n_op, fx->heap);
	bench_fence_create(&res[LAT_FENCE], s, n_op, fx->tl);
	bench_signal_to_wake(&res[LAT_WAKE], s, n_wake);
	bench_merge(&res[LAT_MERGE], s, n_op, fx->tl, fx->tl2);
	bench_alloc_h(&res[LAT_ALLOC_H], s, n_op, fx->heap);
	bench_fence_create_h(&res[LAT_FENCE_H], s, n_op, fx->tl);
	bench_merge_h(&res[LAT_MERGE_H], s, n_op, fx->tl, fx->tl2);
	bench_export(&res[LAT_EXPORT], s, n_op, fx->heap, false);
	bench_export(&res[LAT_EXPORT_H], s, n_op, fx->heap, true);
	bench_import(&res[LAT_IMPORT], s, n_op, fx->heap, fx->tl, false);
	bench_import(&res[LAT_IMPORT_H], s, n_op, fx->heap, fx->tl, true);
	bench_mmap_h(&res[LAT_MMAP_H], s, n_op, fx->heap);
	bench_dma_event_latency(&res[LAT_DMA_EV64], s, n_lat, 64);
	bench_dma_event_latency(&res[LAT_DMA_EV4K], s, n_lat, 4096);
	bench_dma_wait_latency(&res[LAT_DMA_WAIT], s, n_lat, 4096);
	bench_tx_status(&res[LAT_TX_IOCTL], &res[LAT_TX_PAGE], s, n_op);

	for (size_t i = 0; i < ARRAY_SIZE(dma_sizes); i++) {
		run->dma[i] = (struct tput){ .len = dma_sizes[i] };
		bench_dma_throughput(&run->dma[i], scale);
	}

	for (int op = 0; op < _TPUT_OP_MAX; op++) {
		unsigned int total = op == TPUT_NULL_IOCTL ? n_null / 2 : n_op;

		for (size_t c = 0; c < ARRAY_SIZE(tput_clients); c++, k++) {
			unsigned int per = total / tput_clients[c];
			struct tput_row *t = &run->tp[k];

			*t = (struct tput_row){ .op = op, .clients = tput_clients[c] };
			bench_check(tput_run(op, t->clients, per ? per : 1, &t->total,
					     &t->per_client),
				    "throughput run");
		}
	}
}

static double ratio_per_rt(const struct result *r)
{
	return r->rt_sync > 0.5 ? r->median_us / r->floor_us / r->rt_sync : 0;
}

static void print_lat_row(const struct result *r)
{
	char rt[16] = "-", rel[16] = "-", per[16] = "-";

	if (r->counted) {
		snprintf(rt, sizeof(rt), "%.2f", r->rt_sync);
		snprintf(rel, sizeof(rel), "%.2f", r->rt_release);
		if (ratio_per_rt(r) > 0)
			snprintf(per, sizeof(per), "%.2f", ratio_per_rt(r));
	}
	printf("%-26s %6u %9.2f %9.2f %8.2f %7.3f %5s %5s %8s  %s\n", r->name, r->iterations,
	       r->median_us, r->p99_us, r->floor_us, r->median_us / r->floor_us, rt, rel, per,
	       r->requests);
}

static void print_run(const struct run *run)
{
	static const char hdr[] = "%-26s %6s %9s %9s %8s %7s %5s %5s %8s  %s\n";

	printf("\n=== CPU placement: %s\n", run->place == PLACE_SAME ?
	       "same (client and daemon pinned to one CPU)" :
	       "split (client on one CPU, daemon on another)");
	printf(hdr, "operation", "iters", "median us", "p99 us", "floor us", "ratio", "rt",
	       "rel", "ratio/rt", "requests");
	for (int i = 0; i < LAT_VS_NULL; i++)
		print_lat_row(&run->lat[i]);
	printf("floor = median of a clean null ioctl before every iteration; ratio = median /\n"
	       "floor; rt = synchronous round trips counted by the daemon per iteration, rel =\n"
	       "releases (asynchronous); ratio/rt = ratio per round trip\n");

	printf("\n");
	printf(hdr, "transport floor", "iters", "dmabufd", "p99 us", "bare us", "ratio", "rt",
	       "rel", "ratio/rt", "bare server");
	for (int i = LAT_VS_NULL; i < _LAT_MAX; i++)
		print_lat_row(&run->lat[i]);
	printf("ratio = dmabufd median / the bench's bare libfuse null server's, interleaved\n");

	printf("\n%-12s %8s %10s %12s %8s\n", "DMA memcpy", "copies", "dma GB/s", "memcpy GB/s",
	       "ratio");
	for (size_t i = 0; i < ARRAY_SIZE(dma_sizes); i++)
		printf("%-9zu KiB %8u %10.2f %12.2f %8.2f\n", run->dma[i].len / 1024,
		       run->dma[i].copies, run->dma[i].dma_gbs, run->dma[i].cpu_gbs,
		       run->dma[i].dma_gbs / run->dma[i].cpu_gbs);
	printf("mock controller, %d transfers in flight; ratio = DMA / memcpy() here\n", DMA_BATCH);

	printf("\n%-26s %8s %12s %14s\n", "throughput", "clients", "ops/s", "ops/s/client");
	for (size_t i = 0; i < ARRAY_SIZE(run->tp); i++)
		printf("%-26s %8u %12.0f %14.0f\n", tput_op_name(run->tp[i].op), run->tp[i].clients,
		       run->tp[i].total, run->tp[i].per_client);
}

/* "model name" of /proc/cpuinfo into @buf, or "unknown CPU". */
static void cpu_model(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];

	snprintf(buf, size, "unknown CPU");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon += 1 + (colon[1] == ' ');
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, size, "%s", colon);
		break;
	}
	if (f)
		fclose(f);
}

static void csv_header(FILE *f, double scale)
{
	char when[64], model[128];
	struct utsname u;
	time_t t = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M %Z", localtime(&t));
	cpu_model(model, sizeof(model));
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	fprintf(f, "# run: %s, %ld CPUs (%s), kernel %s, scale %g\n", when,
		sysconf(_SC_NPROCESSORS_ONLN), model, u.release, scale);
	fprintf(f, "# dmabufd-bench; rows by their first field:\n"
		   "# latency,cpu,operation,round_trips,releases,median_us,p99_us,floor_us,ratio,"
		   "ratio_per_rt\n"
		   "# dma,cpu,bytes,dma_gbs,memcpy_gbs,ratio\n"
		   "# throughput,cpu,operation,clients,ops_per_s,ops_per_s_per_client\n"
		   "# (\"vs bare\" rows: floor_us is the bare libfuse server's median)\n");
}

static void csv_run(FILE *f, const struct run *run)
{
	const char *cpu = placement_name(run->place);

	for (int i = 0; i < _LAT_MAX; i++) {
		const struct result *r = &run->lat[i];

		fprintf(f, "latency,%s,%s,%.3f,%.3f,%.3f,%.3f,%.3f,%.4f,%.4f\n", cpu, r->name,
			r->rt_sync, r->rt_release, r->median_us, r->p99_us, r->floor_us,
			r->median_us / r->floor_us, ratio_per_rt(r));
	}
	for (size_t i = 0; i < ARRAY_SIZE(dma_sizes); i++)
		fprintf(f, "dma,%s,%zu,%.4f,%.4f,%.4f\n", cpu, run->dma[i].len,
			run->dma[i].dma_gbs, run->dma[i].cpu_gbs,
			run->dma[i].dma_gbs / run->dma[i].cpu_gbs);
	for (size_t i = 0; i < ARRAY_SIZE(run->tp); i++)
		fprintf(f, "throughput,%s,%s,%u,%.0f,%.0f\n", cpu, tput_op_name(run->tp[i].op),
			run->tp[i].clients, run->tp[i].total, run->tp[i].per_client);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: dmabufd-bench [-s SCALE] [--cpu same|split|both] [--csv FILE]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scale", required_argument, NULL, 's' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "csv", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fixture fx = { .scale = 1.0 };
	bool want[2] = { true, true };
	const char *csv_path = NULL, *epoll_path;
	pid_t daemon, servers[_NULL_MODE_MAX];
	FILE *csv = NULL;
	size_t max_n;
	char root[256];
	int opt;

	while ((opt = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			fx.scale = atof(optarg);
			if (fx.scale <= 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'c':
			want[PLACE_SAME] = !strcmp(optarg, "same") || !strcmp(optarg, "both");
			want[PLACE_SPLIT] = !strcmp(optarg, "split") || !strcmp(optarg, "both");
			if (!want[PLACE_SAME] && !want[PLACE_SPLIT]) {
				usage(stderr);
				return 2;
			}
			break;
		case 'o':
			csv_path = optarg;
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
	max_n = (size_t)(20000 * fx.scale) + 201;
	fx.samples = calloc(max_n, sizeof(int64_t));
	floor_samples = calloc(max_n, sizeof(int64_t));
	bench_check(fx.samples && floor_samples ? 0 : -ENOMEM, "calloc");
	if (csv_path) {
		csv = fopen(csv_path, "we");
		bench_check(csv ? 0 : -errno, csv_path);
		csv_header(csv, fx.scale);
	}

	bench_check(dmabufd_get_dev_root(root, sizeof(root)), "dev root");
	bench_check(daemon = pin_find_daemon(), "the daemon's pid");
	bench_check(pin_init(daemon), "the daemon's CPU affinity");
	bench_check(servers[NULL_BLOCKING] = null_server_start(NULL_BLOCKING, &fx.bare_path),
		    "the bare null server");
	bench_check(servers[NULL_EPOLL] = null_server_start(NULL_EPOLL, &epoll_path),
		    "the bare null server (epoll)");
	fx.bare_fd[NULL_BLOCKING] = open(fx.bare_path, O_RDWR | O_CLOEXEC);
	fx.bare_fd[NULL_EPOLL] = open(epoll_path, O_RDWR | O_CLOEXEC);
	bench_check(fx.bare_fd[0] < 0 || fx.bare_fd[1] < 0 ? -errno : 0, "open of a bare server");
	bench_check(fx.tl = dmabufd_timeline_create(), "dmabufd_timeline_create");
	bench_check(fx.tl2 = dmabufd_timeline_create(), "dmabufd_timeline_create");
	bench_check(fx.heap = dmabufd_heap_open("system"), "dmabufd_heap_open");
	floor_fd = fx.tl;

	printf("dmabufd benchmark, device root %s, daemon pid %d\n", root, (int)daemon);
	for (int p = PLACE_SAME; p <= PLACE_SPLIT; p++) {
		struct run run = { .place = p };

		if (!want[p])
			continue;
		if (!pin_possible(p)) {
			printf("\n=== CPU placement %s: skipped, this process may use one CPU only\n",
			       placement_name(p));
			continue;
		}
		for (int m = 0; m < _NULL_MODE_MAX; m++)
			bench_check(pin_apply(p, servers[m]), "sched_setaffinity");
		run_placement(&run, &fx);
		print_run(&run);
		if (csv)
			csv_run(csv, &run);
		fflush(stdout);
	}
	pin_restore();

	if (csv && fclose(csv) != 0)
		bench_check(-errno, csv_path);
	close(fx.heap);
	close(fx.tl2);
	close(fx.tl);
	close(fx.bare_fd[NULL_BLOCKING]);
	close(fx.bare_fd[NULL_EPOLL]);
	null_servers_stop();
	free(fx.samples);
	free(floor_samples);
	return 0;
}
