/* SPDX-License-Identifier: MIT */
/*
 * trace-pipeline: a small frame pipeline for `dmabufctl trace` to record
 * (tests/integration/trace.sh checks the trace; tools/trace-plot.py draws
 * the README's picture of it).
 *
 *   trace-pipeline [FRAMES [WORK_MS]]     (default 3 frames, 10 ms)
 *
 * Two buffers of 64 KiB from the system heap, "trace-src" and
 * "trace-dst", a sw_sync timeline named "trace-tl" (its opener's comm)
 * and a memcpy channel of the mock controller. Per frame N (1, 2, ...):
 *
 *   1. the CPU writes the source (DMA_BUF_IOCTL_SYNC START/END WRITE);
 *   2. a "render" fence, point N of the timeline, which a second thread
 *      signals after WORK_MS once the daemon holds the main thread's
 *      wait on it (DMABUFD_SYNC_IOC_WAIT, parked: a recorded wait every
 *      frame, whatever the machine's speed; the thread watches the
 *      daemon's pending_requests);
 *   3. a DMA memcpy source -> destination, waited for (dmabufd_dma_wait);
 *   4. the CPU reads the destination (SYNC START/END READ).
 *
 * Prints "pipeline SRC_ID DST_ID CHANNEL PID FRAMES" when done; exits 1
 * with a message on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <dmabufd/dmabufd.h>

#define BUF_SIZE (64 * 1024)

static int timeline;
static int work_ms = 10;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static unsigned frame_due; /* the point the signaller is to reach */

static int check(int r, const char *what)
{
	if (r < 0) {
		fprintf(stderr, "trace-pipeline: %s: %s\n", what, strerror(-r));
		exit(1);
	}
	return r;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The "GPU": for each frame, once a wait is parked in the daemon, works
 * WORK_MS and signals the frame's point. */
static void *signaller(void *arg)
{
	unsigned done = 0;

	(void)arg;
	for (;;) {
		struct dmabufd_ctl_stats st;

		pthread_mutex_lock(&lock);
		while (frame_due == done)
			pthread_cond_wait(&cond, &lock);
		done = frame_due;
		pthread_mutex_unlock(&lock);
		if (done == ~0u)
			return NULL;
		/* At most 10 s for the main thread's wait to be parked. */
		for (int i = 0; i < 10000; i++) {
			check(dmabufd_stats(&st), "stats");
			if (st.count[DMABUFD_STAT_PENDING_REQS] > 0)
				break;
			sleep_ms(1);
		}
		sleep_ms(work_ms);
		check(dmabufd_timeline_inc(timeline, 1), "timeline inc");
	}
}

static void fill(int buf, unsigned char byte)
{
	void *p;
	size_t len;

	check(dmabufd_buf_begin_cpu_access(buf, DMA_BUF_SYNC_WRITE), "write start");
	check(dmabufd_buf_mmap(buf, PROT_READ | PROT_WRITE, &p, &len), "mmap");
	memset(p, byte, len);
	check(dmabufd_buf_munmap(p, len), "munmap");
	check(dmabufd_buf_end_cpu_access(buf, DMA_BUF_SYNC_WRITE), "write end");
}

static void consume(int buf, unsigned char byte)
{
	unsigned char *p;
	size_t len;

	check(dmabufd_buf_begin_cpu_access(buf, DMA_BUF_SYNC_READ), "read start");
	check(dmabufd_buf_mmap(buf, PROT_READ, (void **)&p, &len), "mmap");
	if (p[0] != byte || p[len - 1] != byte)
		check(-EIO, "the copy's bytes");
	check(dmabufd_buf_munmap(p, len), "munmap");
	check(dmabufd_buf_end_cpu_access(buf, DMA_BUF_SYNC_READ), "read end");
}

int main(int argc, char **argv)
{
	struct dmabufd_dma_buf_info si, di;
	struct dmabufd_dma_chan_info ci;
	int frames = argc > 1 ? atoi(argv[1]) : 3;
	int src, dst, chan;
	uint32_t src_att, dst_att;
	pthread_t thread;

	if (argc > 2)
		work_ms = atoi(argv[2]);
	if (frames < 1 || work_ms < 0) {
		fprintf(stderr, "usage: trace-pipeline [FRAMES [WORK_MS]]\n");
		return 1;
	}
	if (prctl(PR_SET_NAME, "trace-tl", 0, 0, 0) < 0)
		check(-errno, "prctl");
	timeline = check(dmabufd_timeline_create(), "timeline");
	src = check(dmabufd_alloc("system", BUF_SIZE, O_RDWR | O_CLOEXEC), "alloc");
	dst = check(dmabufd_alloc("system", BUF_SIZE, O_RDWR | O_CLOEXEC), "alloc");
	check(dmabufd_buf_set_name(src, "trace-src"), "set name");
	check(dmabufd_buf_set_name(dst, "trace-dst"), "set name");
	check(dmabufd_buf_info(src, &si), "info");
	check(dmabufd_buf_info(dst, &di), "info");
	chan = check(dmabufd_dma_request_chan_by_cap(
			     DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 5000, &ci),
		     "request channel");
	src_att = (uint32_t)check(dmabufd_dma_attach(chan, src, NULL), "attach");
	dst_att = (uint32_t)check(dmabufd_dma_attach(chan, dst, NULL), "attach");
	if (prctl(PR_SET_NAME, "trace-pipeline", 0, 0, 0) < 0)
		check(-errno, "prctl");
	check(-pthread_create(&thread, NULL, signaller, NULL), "pthread_create");

	for (int n = 1; n <= frames; n++) {
		unsigned char byte = (unsigned char)(0x40 + n);
		int fence;
		int32_t cookie;

		fill(src, byte);
		fence = check(dmabufd_timeline_create_fence(timeline, "render",
							    (uint32_t)n), "fence");
		pthread_mutex_lock(&lock);
		frame_due = (unsigned)n;
		pthread_cond_signal(&cond);
		pthread_mutex_unlock(&lock);
		check(dmabufd_sync_wait(fence, 10000), "wait for the render fence");
		close(fence);
		cookie = check(dmabufd_dma_memcpy(chan, dst_att, 0, src_att, 0,
						  BUF_SIZE, 0), "memcpy");
		check(dmabufd_dma_wait(chan, cookie, 10000), "wait for the copy");
		consume(dst, byte);
	}
	pthread_mutex_lock(&lock);
	frame_due = ~0u;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
	printf("pipeline %llu %llu %s %d %d\n", (unsigned long long)si.id,
	       (unsigned long long)di.id, ci.name, (int)getpid(), frames);
	close(chan);
	close(src);
	close(dst);
	close(timeline);
	return 0;
}
