/* SPDX-License-Identifier: MIT */
/*
 * dmabufd scale curves through a running daemon (issue #11, item 4): the
 * latency of creating and closing one more object while N of its kind are
 * live in the daemon, as median and p99 over SAMPLES single operations,
 * each as a ratio to the same figure taken on an empty daemon before the
 * curve (and printed again after it, so the machine's drift shows).
 *
 *   fence   dmabufd_timeline_create_fence() at a free odd value between
 *           the pending points + close(); N = 1k, 10k, 100k, 1M
 *   buffer  dmabufd_heap_alloc() of 4 KiB from the system heap + close();
 *           N = 1k, 10k, 100k
 *
 * A program of its own rather than a mode of bench/scale.c: that one links
 * the object model in process and needs no daemon; this one is a client
 * of libdmabufd only, forks, and runs under tests/integration/run.sh
 * (which points it at a private daemon through DMABUFD_DEV_ROOT):
 *
 *   tests/integration/run.sh --build-dir BUILD $PWD/BUILD/bench/dmabufd-scale-live
 *
 * Run it as root: the per-uid limits (4096 files and tokens per uid) do
 * not apply to root by default, and they would stop the fill long before
 * the targets. SCALE_LIVE_FENCES and SCALE_LIVE_BUFFERS cap the largest N
 * (e.g. 10000 for a smoke run).
 *
 * How a million fences are held with a process's 20,000 fds: the points
 * are made on one sw_sync timeline at even values 2, 4, ... and merged,
 * BATCH at a time, into one sync_file per batch (a binary tree of
 * SYNC_IOC_MERGEs, each leaf fd closed once merged). A merged sync_file's
 * fence array holds a reference on every point it merged, so every point
 * stays pending on the timeline, in its tree, as the kernel's sw_sync
 * would keep them, while the process holds only N / BATCH fds. The
 * measured point then lands at a random odd value among them: the
 * daemon's insert searches the whole tree of pending points.
 *
 * Buffers cannot be merged: each live buffer is an fd in some client, so
 * HOLDERS child processes hold up to PER_HOLDER buffers each, filling on
 * the parent's command over a pipe. The fill stops at the first error, and
 * the program says where and with which errno instead of assuming that
 * the daemon can hold them all (a buffer nobody maps costs the daemon no
 * fd: its pages are a range of a shared arena, heap_system.h).
 *
 * Not a test: it asserts nothing about speed, and exits 0 unless it
 * cannot talk to the daemon at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dmabufd/dmabufd.h>

#define SAMPLES 2000
#define BATCH 1024
#define PER_HOLDER 16000u
#define HOLDERS 8
#define BUF_SIZE 4096

static const unsigned fence_sizes[] = { 1000, 10000, 100000, 1000000 };
static const unsigned buffer_sizes[] = { 1000, 10000, 100000 };

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

struct figure {
	double median_us, p99_us;
};

static struct figure summarize(uint64_t *samples)
{
	qsort(samples, SAMPLES, sizeof(*samples), cmp_u64);
	return (struct figure){
		.median_us = samples[SAMPLES / 2] / 1e3,
		.p99_us = samples[SAMPLES * 99 / 100] / 1e3,
	};
}

static void die(const char *what, int r)
{
	fprintf(stderr, "scale-live: %s failed: %s\n", what, strerror(-r));
	exit(1);
}

static unsigned env_cap(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned)strtoul(v, NULL, 10) : dflt;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void print_row(const char *what, unsigned n, struct figure f,
		      struct figure base)
{
	printf("%-7s %8u live  median %7.1f us (%.2fx)  p99 %7.1f us (%.2fx)\n",
	       what, n, f.median_us, f.median_us / base.median_us, f.p99_us,
	       f.p99_us / base.p99_us);
	fflush(stdout);
}

/* Fences. */

struct fence_state {
	int tl;
	unsigned live;	  /* points pending, at values 2, 4, ..., 2 * live */
	int *held;	  /* one merged sync_file per batch */
	unsigned nheld;
};

/* Merge fds[0..n) into one sync_file, closing them. */
static int merge_down(int *fds, unsigned n)
{
	while (n > 1) {
		unsigned out = 0;

		for (unsigned i = 0; i + 1 < n; i += 2) {
			int m = dmabufd_sync_merge(NULL, fds[i], fds[i + 1]);

			if (m < 0)
				return m;
			close(fds[i]);
			close(fds[i + 1]);
			fds[out++] = m;
		}
		if (n & 1)
			fds[out++] = fds[n - 1];
		n = out;
	}
	return fds[0];
}

static int fence_fill(struct fence_state *st, unsigned target)
{
	int fds[BATCH];

	while (st->live < target) {
		unsigned n = target - st->live < BATCH ? target - st->live : BATCH;
		int r;

		for (unsigned i = 0; i < n; i++) {
			fds[i] = dmabufd_timeline_create_fence(
				st->tl, "held", 2 * (st->live + i + 1));
			if (fds[i] < 0) {
				r = fds[i];
				while (i--)
					close(fds[i]);
				return r;
			}
		}
		r = merge_down(fds, n);
		if (r < 0)
			return r;
		st->held[st->nheld++] = r;
		st->live += n;
	}
	return 0;
}

static struct figure fence_measure(const struct fence_state *st)
{
	static uint64_t samples[SAMPLES];
	unsigned span = st->live ? st->live : 1;
	uint64_t t0;
	int fd;

	for (unsigned s = 0; s < SAMPLES; s++) {
		uint32_t value = 2 * (uint32_t)(rnd() % span) + 1;

		t0 = now_ns();
		fd = dmabufd_timeline_create_fence(st->tl, "one", value);
		if (fd < 0)
			die("dmabufd_timeline_create_fence", fd);
		close(fd);
		samples[s] = now_ns() - t0;
	}
	return summarize(samples);
}

static void fence_state_reset(struct fence_state *st)
{
	for (unsigned i = 0; i < st->nheld; i++)
		close(st->held[i]);
	st->nheld = 0;
	st->live = 0;
	if (st->tl >= 0)
		close(st->tl);
	st->tl = dmabufd_timeline_create();
	if (st->tl < 0)
		die("dmabufd_timeline_create", st->tl);
}

static void fence_curve(void)
{
	unsigned cap = env_cap("SCALE_LIVE_FENCES", 1000000);
	struct fence_state st = { .tl = -1 };
	struct figure base, f;
	int r;

	st.held = calloc(cap / BATCH + 2, sizeof(*st.held));
	if (!st.held)
		die("calloc", -ENOMEM);
	fence_state_reset(&st);
	fence_measure(&st); /* warm up: the first pass pays page faults */
	base = fence_measure(&st);
	printf("fence   empty daemon     median %7.1f us          p99 %7.1f us\n",
	       base.median_us, base.p99_us);
	for (unsigned i = 0; i < sizeof(fence_sizes) / sizeof(*fence_sizes); i++) {
		if (fence_sizes[i] > cap)
			break;
		r = fence_fill(&st, fence_sizes[i]);
		if (r < 0) {
			printf("fence   fill stopped at %u live: %s (%d)\n",
			       st.live, strerror(-r), r);
			break;
		}
		f = fence_measure(&st);
		print_row("fence", st.live, f, base);
	}
	fence_state_reset(&st);
	f = fence_measure(&st);
	printf("fence   empty again      median %7.1f us          p99 %7.1f us\n",
	       f.median_us, f.p99_us);
	close(st.tl);
	free(st.held);
}

/* Buffers. */

struct holder {
	pid_t pid;
	int cmd, reply; /* parent's ends */
	unsigned held;
};

struct holder_reply {
	unsigned held;
	int err; /* 0, or the -errno that stopped the fill */
};

/* A holder: on each target read from @cmd, allocate up to it, reply. */
static void holder_run(int cmd, int reply)
{
	struct holder_reply rep = { 0 };
	unsigned target;
	int heap;

	raise_nofile();
	heap = dmabufd_heap_open("system");
	while (read(cmd, &target, sizeof(target)) == sizeof(target)) {
		rep.err = heap < 0 ? heap : 0;
		while (!rep.err && rep.held < target) {
			int fd = dmabufd_heap_alloc(heap, BUF_SIZE,
						    O_RDWR | O_CLOEXEC, 0);

			/* Held open until the holder exits. */
			if (fd < 0)
				rep.err = fd;
			else
				rep.held++;
		}
		if (write(reply, &rep, sizeof(rep)) != sizeof(rep))
			break;
	}
	_exit(0);
}

static void holder_start(struct holder *h)
{
	int cmd[2], reply[2];

	if (pipe(cmd) < 0 || pipe(reply) < 0)
		die("pipe", -errno);
	fflush(stdout);
	h->pid = fork();
	if (h->pid < 0)
		die("fork", -errno);
	if (h->pid == 0) {
		close(cmd[1]);
		close(reply[0]);
		holder_run(cmd[0], reply[1]);
	}
	close(cmd[0]);
	close(reply[1]);
	h->cmd = cmd[1];
	h->reply = reply[0];
	h->held = 0;
}

static int holder_fill(struct holder *h, unsigned target)
{
	struct holder_reply rep;

	if (write(h->cmd, &target, sizeof(target)) != sizeof(target) ||
	    read(h->reply, &rep, sizeof(rep)) != sizeof(rep))
		return -EPIPE;
	h->held = rep.held;
	return rep.err;
}

/* Returns 0 and *ret, or the allocation's -errno (with a full daemon). */
static int buffer_measure(int heap, struct figure *ret)
{
	static uint64_t samples[SAMPLES];
	uint64_t t0;
	int fd;

	for (unsigned s = 0; s < SAMPLES; s++) {
		t0 = now_ns();
		fd = dmabufd_heap_alloc(heap, BUF_SIZE, O_RDWR | O_CLOEXEC, 0);
		if (fd < 0)
			return fd;
		close(fd);
		samples[s] = now_ns() - t0;
	}
	*ret = summarize(samples);
	return 0;
}

static void buffer_curve(void)
{
	unsigned cap = env_cap("SCALE_LIVE_BUFFERS", 100000);
	struct holder holders[HOLDERS];
	unsigned nholders = 0, live = 0;
	struct figure base, f;
	int heap = dmabufd_heap_open("system"), r = 0, r2;

	if (heap < 0)
		die("dmabufd_heap_open", heap);
	r = buffer_measure(heap, &base); /* warm up, as for fences */
	if (r >= 0)
		r = buffer_measure(heap, &base);
	if (r < 0)
		die("dmabufd_heap_alloc", r);
	printf("buffer  empty daemon     median %7.1f us          p99 %7.1f us\n",
	       base.median_us, base.p99_us);
	for (unsigned i = 0; !r && i < sizeof(buffer_sizes) / sizeof(*buffer_sizes);
	     i++) {
		unsigned target = buffer_sizes[i];

		if (target > cap || target > HOLDERS * PER_HOLDER)
			break;
		/* Fill the holders in turn, each up to PER_HOLDER. */
		while (!r && live < target) {
			struct holder *h;
			unsigned want;

			if (!nholders || holders[nholders - 1].held == PER_HOLDER)
				holder_start(&holders[nholders++]);
			h = &holders[nholders - 1];
			want = h->held + (target - live);
			if (want > PER_HOLDER)
				want = PER_HOLDER;
			live -= h->held;
			r = holder_fill(h, want);
			live += h->held;
		}
		if (r < 0)
			printf("buffer  fill stopped at %u live: %s (%d)\n", live,
			       strerror(-r), r);
		/* Where the fill stopped, measure if one more still fits. */
		r2 = buffer_measure(heap, &f);
		if (r2 < 0) {
			printf("buffer  one more at %u live: %s (%d)\n", live,
			       strerror(-r2), r2);
			break;
		}
		print_row("buffer", live, f, base);
	}
	/* Every holder forked later inherited the earlier ones' command
	 * pipes: close them all before waiting for any. */
	for (unsigned i = 0; i < nholders; i++) {
		close(holders[i].cmd);
		close(holders[i].reply);
	}
	for (unsigned i = 0; i < nholders; i++)
		waitpid(holders[i].pid, NULL, 0);
	/* The daemon's RELEASEs of the holders' files are asynchronous. */
	sleep(1);
	r = buffer_measure(heap, &f);
	if (r < 0)
		die("dmabufd_heap_alloc", r);
	printf("buffer  empty again      median %7.1f us          p99 %7.1f us\n",
	       f.median_us, f.p99_us);
	close(heap);
}

int main(void)
{
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	printf("create+close one object with N live in the daemon, %u samples "
	       "(ratio: to the empty daemon before the curve)\n", SAMPLES);
	fence_curve();
	buffer_curve();
	return 0;
}
