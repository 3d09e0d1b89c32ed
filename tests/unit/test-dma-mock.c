/* SPDX-License-Identifier: MIT */
/* The dmaengine conformance suite on the mock controller (backend/mock). */
#include "helpers.h"

#include "dma-conformance.h"
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

	if (heap_alloc(heap, size, O_RDWR, 0, &buf) < 0)
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

int main(void)
{
	log_set_level(LOG_WARNING);
	return dma_conformance_run(&mock_backend) ? 1 : 0;
}
