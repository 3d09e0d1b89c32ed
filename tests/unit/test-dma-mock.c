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

int main(void)
{
	const struct CMUnitTest tests[] = {
		model_test(tx_status_does_not_wait_for_a_copy_in_flight),
	};
	int failed;

	log_set_level(LOG_WARNING);
	failed = dma_conformance_run(&mock_backend);
	failed += _cmocka_run_group_tests("dma-mock", tests, ARRAY_SIZE(tests),
					  NULL, NULL);
	return failed ? 1 : 0;
}
