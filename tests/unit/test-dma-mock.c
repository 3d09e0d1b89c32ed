/* SPDX-License-Identifier: MIT */
/* The dmaengine conformance suite on the mock controller (backend/mock). */
#include "helpers.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dma-conformance.h"
#include "dmaengine/dma_cq.h"
#include "mock.h"
#include "model/heap.h"
#include "model/heap_system.h"
#include "util/log.h"

static struct mock_device *md;

static int mock_setup(void)
{
	return heap_system_register(0);
}

static void mock_teardown(void)
{
	heap_system_unregister();
}

static int mock_add(void)
{
	struct mock_config cfg;

	mock_config_default(&cfg);
	return mock_device_create(&cfg, &md);
}

static void mock_remove(void)
{
	mock_device_remove(md);
	md = NULL;
}

static struct dma_buf *mock_buf_alloc(size_t size)
{
	struct heap *heap = heap_find(HEAP_SYSTEM_NAME);
	struct dma_buf *buf = NULL;

	if (heap_alloc(heap, NULL, size, O_RDWR, 0, &buf) < 0)
		buf = NULL;
	heap_unref(heap);
	return buf;
}

static int mock_fail(enum dmaengine_tx_result result)
{
	return mock_fail_nth(md, 1, result);
}

static int mock_stall_chan(struct dma_chan *chan, bool stall)
{
	return mock_stall(md, (unsigned)chan->chan_id, stall);
}

static int mock_rate(uint64_t bytes_per_sec)
{
	/* After a removal test the device may be gone. */
	return md ? mock_set_timing(md, 0, bytes_per_sec) : 0;
}

static dma_addr_t mock_addr(unsigned line)
{
	return mock_fifo_addr(md, line);
}

static long mock_push(unsigned line, const void *data, size_t len)
{
	return mock_fifo_push(md, line, data, len);
}

static long mock_pop(unsigned line, void *buf, size_t len)
{
	return mock_fifo_pop(md, line, buf, len);
}

static const struct dma_backend mock_backend = {
	.name = "mock",
	.controller = "mock0",
	.nr_lines = 8,
	.public_device = true,
	.has_memcpy_sg = true,
	.setup = mock_setup,
	.teardown = mock_teardown,
	.device_add = mock_add,
	.device_remove = mock_remove,
	.buf_alloc = mock_buf_alloc,
	.fail_next = mock_fail,
	.stall = mock_stall_chan,
	.set_rate = mock_rate,
	.fifo_addr = mock_addr,
	.fifo_push = mock_push,
	.fifo_pop = mock_pop,
};

/* ------------------------------------------------------------------ */
/* The mock's own behaviour */

/* A copy hook that holds the worker inside its second chunk until
 * released (by the test, or by a timer thread after 2 s at the latest). */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned calls;
	bool inside, release;
} hold = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

static void hold_second_chunk(void *data)
{
	pthread_mutex_lock(&hold.lock);
	if (++hold.calls == 2) {
		hold.inside = true;
		pthread_cond_broadcast(&hold.cond);
		while (!hold.release)
			pthread_cond_wait(&hold.cond, &hold.lock);
		hold.inside = false;
	}
	pthread_mutex_unlock(&hold.lock);
}

static void hold_release(void)
{
	pthread_mutex_lock(&hold.lock);
	hold.release = true;
	pthread_cond_broadcast(&hold.cond);
	pthread_mutex_unlock(&hold.lock);
}

static void *release_later(void *arg)
{
	struct timespec ts = { .tv_sec = 2 };

	nanosleep(&ts, NULL);
	hold_release();
	return NULL;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void count_done(void *param, const struct dmaengine_result *result)
{
	(*(unsigned *)param)++;
}

static void tx_status_does_not_wait_for_a_copy_in_flight(void **state)
{
	const size_t len = 65536, chunk = 4096;
	unsigned char *src = malloc(len), *dst = calloc(1, len);
	struct dma_async_tx_descriptor *tx = NULL;
	struct dma_tx_state st;
	struct mock_config cfg;
	struct mock_device *dev;
	struct dma_chan *chan;
	enum dma_status status;
	dma_cookie_t cookie;
	unsigned done = 0;
	pthread_t timer;
	uint64_t t0, took;

	assert_non_null(src);
	assert_non_null(dst);
	for (size_t i = 0; i < len; i++)
		src[i] = (unsigned char)(i * 7 + 3);
	mock_config_default(&cfg);
	cfg.chunk_size = chunk;
	assert_int_equal(mock_device_create(&cfg, &dev), 0);
	chan = mock_chan(dev, 0);
	assert_int_equal(dma_get_slave_channel(chan), 0);
	assert_int_equal(mock_set_copy_hook(dev, hold_second_chunk, NULL), 0);
	assert_int_equal(pthread_create(&timer, NULL, release_later, NULL), 0);

	assert_int_equal(dmaengine_prep_dma_memcpy(chan, (dma_addr_t)(uintptr_t)dst,
						   (dma_addr_t)(uintptr_t)src, len,
						   DMA_PREP_INTERRUPT, &tx), 0);
	tx->callback_result = count_done;
	tx->callback_param = &done;
	cookie = dmaengine_submit(tx);
	assert_true(cookie > 0);
	dma_async_issue_pending(chan);
	pthread_mutex_lock(&hold.lock);
	while (!hold.inside && !hold.release)
		pthread_cond_wait(&hold.cond, &hold.lock);
	assert_true(hold.inside);
	pthread_mutex_unlock(&hold.lock);

	/* The worker is inside a copy: the status comes at once, with the
	 * first chunk done. */
	t0 = mono_ns();
	status = dmaengine_tx_status(chan, cookie, &st);
	took = mono_ns() - t0;
	assert_true(took < 1000000000ull);
	assert_int_equal(status, DMA_IN_PROGRESS);
	assert_int_equal(st.residue, len - chunk);

	hold_release();
	t0 = mono_ns();
	while (!done && mono_ns() - t0 < 10000000000ull) {
		struct timespec ms = { .tv_nsec = 1000000 };

		dma_cq_drain();
		nanosleep(&ms, NULL);
	}
	assert_int_equal(done, 1);
	assert_memory_equal(dst, src, len);
	assert_int_equal(mock_set_copy_hook(dev, NULL, NULL), 0);
	pthread_join(timer, NULL);
	dma_release_channel(chan);
	mock_device_remove(dev);
	dma_cq_drain();
	free(src);
	free(dst);
}

/* Copy @len bytes on channel 0 of a fresh mock (@latency_ns of timing
 * model); returns the chunks its worker moved. The copy is checked. */
static uint64_t copy_and_count_worker_chunks(size_t len, uint64_t latency_ns)
{
	unsigned char *src = malloc(len), *dst = calloc(1, len);
	struct dma_async_tx_descriptor *tx = NULL;
	struct mock_config cfg;
	struct mock_device *dev;
	struct dma_chan *chan;
	unsigned done = 0;
	uint64_t chunks;

	assert_non_null(src);
	assert_non_null(dst);
	for (size_t i = 0; i < len; i++)
		src[i] = (unsigned char)(i * 13 + 1);
	mock_config_default(&cfg);
	cfg.latency_ns = latency_ns;
	assert_int_equal(mock_device_create(&cfg, &dev), 0);
	chan = mock_chan(dev, 0);
	assert_int_equal(dma_get_slave_channel(chan), 0);
	assert_int_equal(dmaengine_prep_dma_memcpy(chan, (dma_addr_t)(uintptr_t)dst,
						   (dma_addr_t)(uintptr_t)src, len,
						   DMA_PREP_INTERRUPT, &tx), 0);
	tx->callback_result = count_done;
	tx->callback_param = &done;
	assert_true(dmaengine_submit(tx) > 0);
	dma_async_issue_pending(chan);
	for (unsigned i = 0; i < 10000 && !done; i++) {
		struct timespec ms = { .tv_nsec = 1000000 };

		dma_cq_drain();
		if (!done)
			nanosleep(&ms, NULL);
	}
	assert_int_equal(done, 1);
	assert_memory_equal(dst, src, len);
	chunks = mock_worker_chunks(dev);
	dma_release_channel(chan);
	mock_device_remove(dev);
	dma_cq_drain();
	free(src);
	free(dst);
	return chunks;
}

static void copy_of_one_chunk_is_done_on_the_loop_without_the_worker(void **state)
{
	assert_int_equal(copy_and_count_worker_chunks(4096, 0), 0);
	assert_int_equal(copy_and_count_worker_chunks(16384, 0), 0);
}

static void copy_past_one_chunk_or_with_a_latency_goes_to_the_worker(void **state)
{
	assert_int_equal(copy_and_count_worker_chunks(16384 + 4096, 0), 2);
	assert_true(copy_and_count_worker_chunks(4096, 1000) >= 1);
}

/* ------------------------------------------------------------------ */
/* The loop side against a busy worker (mock.c, "Locking.") */

/*
 * Run @fn(@arg) on a thread of its own playing the loop thread, and wait
 * up to @timeout_s for it to return. Returns false if it did not: the
 * thread is then left behind, stuck (the hang under test), with its job,
 * so that the test fails instead of hanging the suite.
 */
struct loop_job {
	void (*fn)(void *arg);
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

static void *loop_job_main(void *p)
{
	struct loop_job *job = p;

	job->fn(job->arg);
	pthread_mutex_lock(&job->lock);
	job->done = true;
	pthread_cond_signal(&job->cond);
	pthread_mutex_unlock(&job->lock);
	return NULL;
}

static bool run_as_loop(void (*fn)(void *arg), void *arg, unsigned timeout_s)
{
	struct loop_job *job = calloc(1, sizeof(*job));
	pthread_condattr_t ca;
	struct timespec ts;
	pthread_t t;
	bool done;

	assert_non_null(job);
	job->fn = fn;
	job->arg = arg;
	pthread_mutex_init(&job->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&job->cond, &ca);
	pthread_condattr_destroy(&ca);
	assert_int_equal(pthread_create(&t, NULL, loop_job_main, job), 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_s;
	pthread_mutex_lock(&job->lock);
	while (!job->done &&
	       pthread_cond_timedwait(&job->cond, &job->lock, &ts) == 0)
		;
	done = job->done;
	pthread_mutex_unlock(&job->lock);
	if (!done) {
		pthread_detach(t);
		return false;
	}
	pthread_join(t, NULL);
	pthread_cond_destroy(&job->cond);
	pthread_mutex_destroy(&job->lock);
	free(job);
	return true;
}

/* Drain completions (as the loop does) until *@count reaches @want or
 * @timeout_ms pass. */
static bool drain_until(const unsigned *count, unsigned want, unsigned timeout_ms)
{
	uint64_t t0 = mono_ns();

	while (*count < want && mono_ns() - t0 < timeout_ms * 1000000ull) {
		struct timespec ms = { .tv_nsec = 1000000 };

		dma_cq_drain();
		nanosleep(&ms, NULL);
	}
	return *count >= want;
}

static void count_plain(void *param)
{
	(*(unsigned *)param)++;
}

/* A slave channel of @dev on request line @line. */
static struct dma_chan *slave_chan(struct mock_device *dev, unsigned id, int line)
{
	struct dma_chan *chan = mock_chan(dev, id);

	assert_non_null(chan);
	assert_int_equal(dma_get_slave_channel(chan), 0);
	chan->request_line = line;
	return chan;
}

static dma_cookie_t start_cyclic(struct dma_chan *chan, void *buf, size_t len,
				 size_t period, enum dma_transfer_direction dir,
				 unsigned *periods)
{
	struct dma_async_tx_descriptor *tx = NULL;
	dma_cookie_t cookie;

	assert_int_equal(dmaengine_prep_dma_cyclic(chan, (dma_addr_t)(uintptr_t)buf,
						   len, period, dir,
						   DMA_PREP_INTERRUPT, &tx), 0);
	tx->callback = count_plain;
	tx->callback_param = periods;
	cookie = dmaengine_submit(tx);
	assert_true(cookie > 0);
	dma_async_issue_pending(chan);
	return cookie;
}

static dma_cookie_t start_slave(struct dma_chan *chan, void *buf, size_t len,
				enum dma_transfer_direction dir, unsigned *done)
{
	struct dma_async_tx_descriptor *tx = NULL;
	dma_cookie_t cookie;

	assert_int_equal(dmaengine_prep_slave_single(chan, (dma_addr_t)(uintptr_t)buf,
						     len, dir, DMA_PREP_INTERRUPT,
						     &tx), 0);
	tx->callback_result = count_done;
	tx->callback_param = done;
	cookie = dmaengine_submit(tx);
	assert_true(cookie > 0);
	dma_async_issue_pending(chan);
	return cookie;
}

/* What the loop does while the pair runs: every call here takes md->lock. */
struct pair_rig {
	struct mock_device *dev;
	struct dma_chan *tx, *rx, *cp;
	unsigned tx_periods, rx_periods, copies;
	unsigned char *cp_src, *cp_dst;
	size_t cp_len;
	long level;
	bool periods_seen, copied;
	int tx_term, rx_term;
};

static void pair_loop_side(void *arg)
{
	struct pair_rig *r = arg;
	struct dma_async_tx_descriptor *tx = NULL;

	for (int i = 0; i < 100; i++)
		r->level = mock_fifo_level(r->dev, 3);
	/* Periods come back through the loop, many times round the ring. */
	r->periods_seen = drain_until(&r->rx_periods, 16, 20000);
	/* A third channel of the same controller is served meanwhile. */
	if (dmaengine_prep_dma_memcpy(r->cp, (dma_addr_t)(uintptr_t)r->cp_dst,
				      (dma_addr_t)(uintptr_t)r->cp_src, r->cp_len,
				      DMA_PREP_INTERRUPT, &tx) == 0) {
		tx->callback_result = count_done;
		tx->callback_param = &r->copies;
		if (dmaengine_submit(tx) > 0) {
			dma_async_issue_pending(r->cp);
			r->copied = drain_until(&r->copies, 1, 20000);
		}
	}
	r->tx_term = dmaengine_terminate_sync(r->tx);
	r->rx_term = dmaengine_terminate_sync(r->rx);
	dma_cq_drain();
}

static void loop_gets_the_lock_while_a_cyclic_loopback_pair_runs(void **state)
{
	const size_t len = 4096, period = 1024, cp_len = 1 << 20;
	struct pair_rig r = { .cp_len = cp_len };
	unsigned char *src = malloc(len), *dst = calloc(1, len);
	struct mock_config cfg;

	assert_non_null(src);
	assert_non_null(dst);
	r.cp_src = malloc(cp_len);
	r.cp_dst = calloc(1, cp_len);
	assert_non_null(r.cp_src);
	assert_non_null(r.cp_dst);
	for (size_t i = 0; i < len; i++)
		src[i] = (unsigned char)(i * 13 + 5);
	for (size_t i = 0; i < cp_len; i++)
		r.cp_src[i] = (unsigned char)(i * 3 + 1);
	mock_config_default(&cfg);
	strcpy(cfg.name, "mock-pair"); /* its own: a failure leaves it behind */
	assert_int_equal(mock_device_create(&cfg, &r.dev), 0);
	r.tx = slave_chan(r.dev, 0, 3);
	r.rx = slave_chan(r.dev, 1, 3);
	r.cp = mock_chan(r.dev, 2);
	assert_int_equal(dma_get_slave_channel(r.cp), 0);
	/* A ring written into FIFO 3 for ever, a ring read from it for ever:
	 * both channels always have work. */
	start_cyclic(r.tx, src, len, period, DMA_MEM_TO_DEV, &r.tx_periods);
	start_cyclic(r.rx, dst, len, period, DMA_DEV_TO_MEM, &r.rx_periods);

	if (!run_as_loop(pair_loop_side, &r, 60))
		fail_msg("the loop side never got the mock's lock back from the worker");
	assert_true(r.level >= 0 && r.level <= (long)cfg.fifo_size);
	assert_true(r.periods_seen);
	assert_true(r.copied);
	assert_memory_equal(r.cp_dst, r.cp_src, cp_len);
	assert_int_equal(r.tx_term, 0);
	assert_int_equal(r.rx_term, 0);
	/* The byte stream is src over and over, landing at the same offsets. */
	assert_memory_equal(dst, src, len);
	dma_release_channel(r.tx);
	dma_release_channel(r.rx);
	dma_release_channel(r.cp);
	mock_device_remove(r.dev);
	dma_cq_drain();
	free(src);
	free(dst);
	free(r.cp_src);
	free(r.cp_dst);
}

/* The watchdog's reset of a stalled channel: the worker, asleep with
 * nothing to do, must hear of it. */
struct reset_rig {
	struct dma_chan *chan;
	unsigned done;
	int reset;
	bool completed;
};

static void reset_loop_side(void *arg)
{
	struct reset_rig *r = arg;

	r->reset = r->chan->device->ops->device_reset(r->chan);
	r->completed = drain_until(&r->done, 1, 20000);
}

static void reset_of_a_stalled_channel_lets_its_transfer_run(void **state)
{
	unsigned char src[256], dst[256] = { 0 };
	struct dma_async_tx_descriptor *tx = NULL;
	struct reset_rig r = { 0 };
	struct mock_config cfg;
	struct mock_device *dev;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i + 9);
	mock_config_default(&cfg);
	strcpy(cfg.name, "mock-reset"); /* its own: a failure leaves it behind */
	cfg.stall_mask = 1;
	assert_int_equal(mock_device_create(&cfg, &dev), 0);
	r.chan = mock_chan(dev, 0);
	assert_int_equal(dma_get_slave_channel(r.chan), 0);
	assert_int_equal(dmaengine_prep_dma_memcpy(r.chan, (dma_addr_t)(uintptr_t)dst,
						   (dma_addr_t)(uintptr_t)src,
						   sizeof(src), DMA_PREP_INTERRUPT, &tx), 0);
	tx->callback_result = count_done;
	tx->callback_param = &r.done;
	assert_true(dmaengine_submit(tx) > 0);
	dma_async_issue_pending(r.chan);
	assert_false(drain_until(&r.done, 1, 50)); /* stalled */

	assert_true(run_as_loop(reset_loop_side, &r, 60));
	assert_int_equal(r.reset, 0);
	assert_true(r.completed);
	assert_memory_equal(dst, src, sizeof(src));
	dma_release_channel(r.chan);
	mock_device_remove(dev);
	dma_cq_drain();
}

/* ------------------------------------------------------------------ */
/* A line's bytes stay with the channels that use it */

/* Write @len bytes of @buf into line @line's FIFO through @chan and wait
 * until they are all in. */
static void write_line(struct dma_chan *chan, void *buf, size_t len)
{
	unsigned done = 0;

	start_slave(chan, buf, len, DMA_MEM_TO_DEV, &done);
	assert_true(drain_until(&done, 1, 10000));
}

static void move_to_line(struct dma_chan *chan, int line)
{
	struct dma_slave_config cfg = { 0 };

	chan->request_line = line;
	assert_int_equal(dmaengine_slave_config(chan, &cfg), 0);
}

static void fifo_is_forgotten_when_the_last_channel_on_its_line_is_released(void **state)
{
	unsigned char bytes[100], got[100];
	struct mock_config cfg;
	struct mock_device *dev;
	struct dma_chan *a, *b, *c;
	unsigned done = 0;

	memset(bytes, 0xa5, sizeof(bytes));
	mock_config_default(&cfg);
	strcpy(cfg.name, "mock-release"); /* its own: a failure leaves it behind */
	assert_int_equal(mock_device_create(&cfg, &dev), 0);
	a = slave_chan(dev, 0, 2);
	b = slave_chan(dev, 1, 2);
	move_to_line(b, 2); /* b uses line 2 too, by its configuration */
	write_line(a, bytes, sizeof(bytes));
	assert_int_equal(mock_fifo_level(dev, 2), sizeof(bytes));
	dma_release_channel(a);
	dma_cq_drain();
	/* b still uses line 2: the bytes are b's to read. */
	assert_int_equal(mock_fifo_level(dev, 2), sizeof(bytes));
	dma_release_channel(b);
	dma_cq_drain();
	assert_int_equal(mock_fifo_level(dev, 2), 0);

	/* A new channel on line 2 reads nothing: its transfer waits. */
	c = slave_chan(dev, 2, 2);
	memset(got, 0, sizeof(got));
	start_slave(c, got, sizeof(got), DMA_DEV_TO_MEM, &done);
	assert_false(drain_until(&done, 1, 100));
	assert_int_equal(mock_fifo_pop(dev, 2, got, sizeof(got)), 0);
	assert_int_equal(dmaengine_terminate_sync(c), 0);
	for (size_t i = 0; i < sizeof(got); i++)
		assert_int_equal(got[i], 0);
	dma_release_channel(c);
	mock_device_remove(dev);
	dma_cq_drain();
}

static void fifo_is_forgotten_when_its_only_channel_moves_to_another_line(void **state)
{
	unsigned char bytes[100], big[5000];
	struct mock_config cfg;
	struct mock_device *dev;
	struct dma_chan *a;
	unsigned done = 0;

	memset(bytes, 0x5a, sizeof(bytes));
	memset(big, 0x3c, sizeof(big));
	mock_config_default(&cfg);
	strcpy(cfg.name, "mock-move"); /* its own: a failure leaves it behind */
	assert_int_equal(mock_device_create(&cfg, &dev), 0);
	a = slave_chan(dev, 0, 2);
	write_line(a, bytes, sizeof(bytes));
	assert_int_equal(mock_fifo_level(dev, 2), sizeof(bytes));
	move_to_line(a, 3);
	assert_int_equal(mock_fifo_level(dev, 2), 0);

	/* A transfer still on a line keeps it: 5000 bytes into a FIFO of
	 * 4096 runs until terminated, after the channel moved away. */
	start_slave(a, big, sizeof(big), DMA_MEM_TO_DEV, &done);
	assert_false(drain_until(&done, 1, 100));
	assert_int_equal(mock_fifo_level(dev, 3), cfg.fifo_size);
	move_to_line(a, 4);
	assert_int_equal(mock_fifo_level(dev, 3), cfg.fifo_size);
	assert_int_equal(dmaengine_terminate_sync(a), 0);
	assert_int_equal(mock_fifo_level(dev, 3), 0);
	assert_int_equal(done, 0);
	dma_release_channel(a);
	mock_device_remove(dev);
	dma_cq_drain();
}

/* One drain, as one turn of the loop. */
struct flood {
	unsigned rx_periods, tx_periods, ran;
};

static void one_drain(void *arg)
{
	struct flood *f = arg;

	f->ran = dma_cq_drain();
}

static void period_flood_drain_returns_after_a_bounded_run(void **state)
{
	const size_t len = 4096, period = 16;
	unsigned char *src = calloc(1, len), *dst = calloc(1, len);
	struct mock_config cfg;
	struct mock_device *dev;
	struct dma_chan *tx, *rx;
	struct flood f = { 0 };

	assert_non_null(src);
	assert_non_null(dst);
	mock_config_default(&cfg);
	assert_int_equal(mock_device_create(&cfg, &dev), 0);
	tx = slave_chan(dev, 0, 3);
	rx = slave_chan(dev, 1, 3);
	start_cyclic(tx, src, len, period, DMA_MEM_TO_DEV, &f.tx_periods);
	start_cyclic(rx, dst, len, period, DMA_DEV_TO_MEM, &f.rx_periods);
	/* Periods of 16 bytes as fast as memcpy pile up, nobody draining. */
	nanosleep(&(struct timespec){ .tv_nsec = 200000000 }, NULL);
	/* One drain is one bounded run (256 entries, 64 periods each at
	 * most), however many periods wait and keep coming: without the
	 * bounds it never returns. */
	assert_true(run_as_loop(one_drain, &f, 60));
	assert_true(f.ran >= 1 && f.ran <= 256);
	assert_true(f.rx_periods + f.tx_periods >= 1);
	assert_true(f.rx_periods + f.tx_periods <= 256 * 64);

	assert_int_equal(dmaengine_terminate_sync(tx), 0);
	assert_int_equal(dmaengine_terminate_sync(rx), 0);
	for (unsigned i = 0; i < 1000000 && dma_cq_drain(); i++)
		;
	dma_release_channel(tx);
	dma_release_channel(rx);
	mock_device_remove(dev);
	dma_cq_drain();
	free(src);
	free(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		model_test(tx_status_does_not_wait_for_a_copy_in_flight),
		model_test(copy_of_one_chunk_is_done_on_the_loop_without_the_worker),
		model_test(copy_past_one_chunk_or_with_a_latency_goes_to_the_worker),
		model_test(period_flood_drain_returns_after_a_bounded_run),
		model_test(reset_of_a_stalled_channel_lets_its_transfer_run),
		model_test(fifo_is_forgotten_when_the_last_channel_on_its_line_is_released),
		model_test(fifo_is_forgotten_when_its_only_channel_moves_to_another_line),
		/* Last: without the hand-off it leaves a wedged device behind. */
		model_test(loop_gets_the_lock_while_a_cyclic_loopback_pair_runs),
	};
	int failed;

	log_set_level(LOG_WARNING);
	failed = dma_conformance_run(&mock_backend);
	failed += _cmocka_run_group_tests("dma-mock", tests, ARRAY_SIZE(tests),
					  NULL, NULL);
	return failed ? 1 : 0;
}
