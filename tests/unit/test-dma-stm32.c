/* SPDX-License-Identifier: MIT */
/*
 * The STM32 DMA driver (backend/stm32-uio/stm32_dma.c) on the register
 * simulator (stm32-sim.h): the dmaengine conformance suite, then the
 * STM32-specific behaviours, each run with the stream interrupt lines
 * serviced at once, one and three period ends late; then a randomized
 * soak (DMABUFD_STM32_SOAK_SEED / _ITERS / _VERBOSE, see the soak's
 * comment). The suite's poll hook plays the daemon's loop: step the
 * simulator, and call stm32_dma_irq_handler() when a controller's UIO fd
 * is readable.
 */
#include "helpers.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dma-conformance.h"
#include "dmaengine/dma_cq.h"
#include "dmaengine/dma_xfer.h"
#include "dmaengine/dmaengine.h"
#include "model/heap.h"
#include "stm32-sim.h"
#include "stm32_dma.h"
#include "stm32_dma_mem.h"
#include "stm32_heap.h"
#include "util/log.h"

static struct stm32_sim *sim;
static struct stm32_heap *contig;
static struct stm32_dma *dmas[2];
/* Service latency of every stream line, in period ends, for the run
 * (main runs the suites at 0, 1 and 3). */
static unsigned irq_latency;

/* ------------------------------------------------------------------ */
/* The backend hooks */

static int sim_setup(void)
{
	struct stm32_heap_config hc;
	int r = stm32_sim_new(0, &sim);

	if (r < 0)
		return r;
	for (unsigned ci = 0; ci < 2; ci++)
		stm32_sim_set_irq_latency(sim, ci, STM32_SIM_ALL_STREAMS, irq_latency);
	stm32_heap_config_default(&hc);
	hc.env = stm32_sim_env(sim);
	return stm32_heap_create(&hc, &contig);
}

static void sim_teardown(void)
{
	const char *last = NULL;
	char what[200] = "";
	unsigned broken = stm32_sim_violations(sim, &last);

	if (broken)
		snprintf(what, sizeof(what), "%s", last);
	stm32_heap_destroy(contig);
	contig = NULL;
	stm32_sim_free(sim);
	sim = NULL;
	/* The driver broke no rule the silicon would not report. */
	if (broken)
		fail_msg("stm32-sim: %u rule(s) broken, the last: %s", broken, what);
}

static int dma_add(unsigned index)
{
	struct stm32_dma_config cfg;

	stm32_dma_config_default(&cfg);
	snprintf(cfg.name, sizeof(cfg.name), "dma%u", index + 1);
	cfg.index = index;
	cfg.env = stm32_sim_env(sim);
	cfg.uio_name = index ? "dma2" : "dma1";
	cfg.mmio = &stm32_sim_mmio_ops;
	cfg.mmio_data = sim;
	return stm32_dma_create(&cfg, &dmas[index]);
}

static int sim_add(void)
{
	return dma_add(0);
}

static void sim_remove(void)
{
	stm32_dma_remove(dmas[0]);
	dmas[0] = NULL;
}

static struct dma_buf *sim_buf_alloc(size_t size)
{
	struct dma_buf *buf = NULL;

	if (heap_alloc(stm32_heap_heap(contig), NULL, size, O_RDWR, 0, &buf) < 0)
		return NULL;
	return buf;
}

static int sim_fail(enum dmaengine_tx_result result)
{
	stm32_sim_fail_next(sim, result == DMA_TRANS_READ_FAILED ? STM32_SIM_READ
								 : STM32_SIM_WRITE);
	return 0;
}

static int sim_stall_chan(struct dma_chan *chan, bool stall)
{
	return stm32_sim_stall(sim, 0, (unsigned)chan->chan_id, stall);
}

static int sim_rate(uint64_t bytes_per_sec)
{
	if (sim)
		stm32_sim_set_rate(sim, bytes_per_sec);
	return 0;
}

static dma_addr_t sim_fifo_addr(unsigned line)
{
	return stm32_sim_periph_addr(line);
}

static long sim_push(unsigned line, const void *data, size_t len)
{
	return stm32_sim_periph_push(sim, line, data, len);
}

static long sim_pop(unsigned line, void *buf, size_t len)
{
	return stm32_sim_periph_pop(sim, line, buf, len);
}

/* What the daemon's loop does: service a controller whose UIO fd is
 * readable. Returns how many were serviced. */
static unsigned irq_service(void)
{
	unsigned serviced = 0;

	for (unsigned i = 0; i < 2; i++) {
		struct pollfd pfd[STM32_DMA_NR_STREAMS + 1];
		int fds[STM32_DMA_NR_STREAMS + 1];
		int n;

		if (!dmas[i])
			continue;
		n = stm32_dma_irq_fds(dmas[i], fds, ARRAY_SIZE(fds));
		assert_true(n >= 1);
		for (int k = 0; k < n; k++)
			pfd[k] = (struct pollfd){ .fd = fds[k], .events = POLLIN };
		if (poll(pfd, (nfds_t)n, 0) > 0) {
			assert_true(stm32_dma_irq_handler(dmas[i]) >= 0);
			serviced++;
		}
	}
	return serviced;
}

static void sim_poll(void)
{
	for (unsigned i = 0; i < 64; i++) {
		size_t moved = stm32_sim_run(sim);

		if (!irq_service() && !moved)
			break;
	}
}

static const struct dma_backend stm32_backend = {
	.name = "stm32-sim",
	.controller = "dma1",
	.nr_lines = 8,
	.first_line = 9,	/* DMAMUX1 inputs 1..8 are request generators */
	.public_device = false,
	.has_memcpy_sg = false,
	.setup = sim_setup,
	.teardown = sim_teardown,
	.device_add = sim_add,
	.device_remove = sim_remove,
	.buf_alloc = sim_buf_alloc,
	.fail_next = sim_fail,
	.stall = sim_stall_chan,
	.set_rate = sim_rate,
	.fifo_addr = sim_fifo_addr,
	.fifo_push = sim_push,
	.fifo_pop = sim_pop,
	.poll = sim_poll,
};

/* ------------------------------------------------------------------ */
/* STM32-specific tests: fixture */

static int st_setup(void **state)
{
	fake_clock_setup(state);
	if (sim_setup() < 0 || dma_add(0) < 0 || dma_add(1) < 0)
		return -1;
	return 0;
}

static int st_teardown(void **state)
{
	for (unsigned i = 0; i < 2; i++) {
		stm32_dma_remove(dmas[i]);
		dmas[i] = NULL;
	}
	dma_cq_drain();
	dma_slave_map_clear();
	sim_teardown();
	return leak_check_teardown(state);
}

static uint64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

typedef bool (*pred_fn)(void *arg);

/* Poll the simulator until @done or 10 s. */
static bool run_until(pred_fn done, void *arg)
{
	uint64_t deadline = real_ms() + 10000;

	do {
		sim_poll();
		dma_cq_drain();
		if (done && done(arg))
			return true;
	} while (real_ms() < deadline);
	return false;
}

static bool fence_done(void *arg)
{
	return fence_is_signaled(arg);
}

static struct dma_chan *memcpy_chan(unsigned ctrl)
{
	struct dma_chan *chan = stm32_dma_chan(dmas[ctrl], 0);

	assert_int_equal(dma_get_slave_channel(chan), 0);
	return chan;
}

struct sbuf {
	struct dma_buf *buf;
	struct dma_xfer_att *att;
	unsigned char *cpu;
	dma_addr_t dma;
	size_t size;
};

static void sbuf_new(struct sbuf *b, struct dma_chan *chan, size_t size, unsigned seed)
{
	uint64_t contig_len;

	b->buf = sim_buf_alloc(size);
	assert_non_null(b->buf);
	assert_int_equal(dma_buf_vmap(b->buf, (void **)&b->cpu), 0);
	assert_int_equal(dma_xfer_attach(chan, b->buf, &b->att), 0);
	assert_int_equal(dma_xfer_att_addr(b->att, 0, &b->dma, &contig_len), 0);
	b->size = size;
	for (size_t i = 0; i < size; i++)
		b->cpu[i] = (unsigned char)(seed + i * 131 + (i >> 9));
}

static void sbuf_free(struct sbuf *b)
{
	dma_xfer_att_unref(b->att);
	assert_int_equal(dma_buf_vunmap(b->buf, b->cpu), 0);
	dma_buf_unref(b->buf);
}

/* Copy @len bytes and check them, and that nothing around moved. */
static void copy_and_check(struct dma_chan *chan, size_t len, size_t soff, size_t doff)
{
	size_t size = len + 64;
	unsigned char *expect = malloc(size);
	struct dma_xfer *x;
	struct sbuf s, d;

	assert_non_null(expect);
	sbuf_new(&s, chan, size, 7);
	sbuf_new(&d, chan, size, 99);
	memcpy(expect, d.cpu, size);
	memcpy(expect + doff, s.cpu + soff, len);
	assert_int_equal(dma_xfer_memcpy(d.att, doff, s.att, soff, len, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(d.cpu, expect, size);
	dma_xfer_unref(x);
	sbuf_free(&s);
	sbuf_free(&d);
	free(expect);
}

/* ------------------------------------------------------------------ */
/* memcpy */

static void memcpy_one_byte(void **state)
{
	struct dma_chan *chan = memcpy_chan(0);

	copy_and_check(chan, 1, 0, 0);
	assert_int_equal(stm32_sim_last_ndtr(sim, 0, 0), 1);
	dma_release_channel(chan);
}

static void memcpy_65535_items(void **state)
{
	struct dma_chan *chan = memcpy_chan(0);
	unsigned starts = stm32_sim_starts(sim, 0, 0);

	copy_and_check(chan, 65535, 0, 0);
	/* Byte items: 65520 (0xFFFF rounded down to the FIFO) then 15. */
	assert_int_equal(stm32_sim_starts(sim, 0, 0) - starts, 2);
	assert_int_equal(stm32_sim_last_ndtr(sim, 0, 0), 15);
	dma_release_channel(chan);
}

static void memcpy_one_mib_chains_segments(void **state)
{
	const size_t len = 1u << 20;
	struct dma_chan *chan = memcpy_chan(0);
	unsigned starts = stm32_sim_starts(sim, 0, 0);
	uint32_t cr;

	copy_and_check(chan, len, 0, 0);
	assert_int_equal(stm32_sim_starts(sim, 0, 0) - starts,
			 (len + STM32_DMA_MAX_SEG_ITEMS - 1) / STM32_DMA_MAX_SEG_ITEMS);
	assert_int_equal(stm32_sim_last_ndtr(sim, 0, 0), len % STM32_DMA_MAX_SEG_ITEMS);
	cr = stm32_sim_last_cr(sim, 0, 0);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_DIR, cr), STM32_DMA_DIR_M2M);
	assert_true(cr & STM32_DMA_SxCR_PINC);
	assert_true(cr & STM32_DMA_SxCR_MINC);
	/* Aligned multiple of 16: INCR16 byte bursts on both ports. */
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MBURST, cr), STM32_DMA_BURST_INCR16);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_PBURST, cr), STM32_DMA_BURST_INCR16);
	dma_release_channel(chan);
}

static void memcpy_unaligned_odd_length(void **state)
{
	struct dma_chan *chan = memcpy_chan(0);
	uint32_t cr;

	copy_and_check(chan, 100003, 3, 1);
	cr = stm32_sim_last_cr(sim, 0, 0);
	/* Unaligned: single transfers, still FIFO mode. */
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MBURST, cr), STM32_DMA_BURST_SINGLE);
	assert_true(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxFCR(0)) & STM32_DMA_SxFCR_DMDIS);
	dma_release_channel(chan);
}

static void memcpy_on_dma2(void **state)
{
	struct dma_chan *chan = memcpy_chan(1);
	unsigned irqs = stm32_sim_irqs(sim, 1);

	copy_and_check(chan, 5000, 0, 0);
	assert_true(stm32_sim_irqs(sim, 1) > irqs);
	assert_int_equal(stm32_sim_starts(sim, 1, 0), 1);
	assert_int_equal(stm32_sim_starts(sim, 0, 0), 0);
	dma_release_channel(chan);
}

/* ------------------------------------------------------------------ */
/* Reachability */

static void refuses_itcm_dtcm_and_beyond_4g(void **state)
{
	struct dma_chan *chan = memcpy_chan(0);
	struct dma_async_tx_descriptor *tx = NULL;
	dma_addr_t pool = STM32_SIM_POOL_BASE;

	assert_int_equal(dmaengine_prep_dma_memcpy(chan, STM32H7_DTCM_BASE + 16, pool, 64, 0,
						   &tx), -EFAULT);
	assert_int_equal(dmaengine_prep_dma_memcpy(chan, pool, STM32H7_ITCM_BASE + 4, 64, 0,
						   &tx), -EFAULT);
	/* A range that ends inside DTCM. */
	assert_int_equal(dmaengine_prep_dma_memcpy(chan, STM32H7_DTCM_BASE - 8, pool, 64, 0,
						   &tx), -EFAULT);
	assert_int_equal(dmaengine_prep_dma_memcpy(chan, 1ull << 32, pool, 64, 0, &tx), -EFAULT);
	/* AXI SRAM is fine. */
	assert_int_equal(dmaengine_prep_dma_memcpy(chan, STM32H7_AXISRAM_BASE, pool, 64, 0,
						   &tx), 0);
	assert_int_equal(dmaengine_desc_free(tx), 0);
	dma_release_channel(chan);
}

/* ------------------------------------------------------------------ */
/* Slave transfers */

static struct dma_chan *slave_chan(const char *consumer, unsigned ctrl, int line,
				   unsigned width, unsigned burst)
{
	struct dma_slave_map_entry e = {
		.consumer = consumer, .dma_name = "rx",
		.controller = ctrl ? "dma2" : "dma1", .chan_index = -1,
		.request_line = line,
	};
	struct dma_slave_config cfg = {
		.src_addr = stm32_sim_periph_addr((unsigned)line),
		.dst_addr = stm32_sim_periph_addr((unsigned)line),
		.src_addr_width = width, .dst_addr_width = width,
		.src_maxburst = burst, .dst_maxburst = burst,
	};
	struct dma_chan *chan = NULL;

	assert_int_equal(dma_slave_map_add(&e), 0);
	assert_int_equal(dma_request_chan(consumer, "rx", &chan), 0);
	assert_int_equal(dmaengine_slave_config(chan, &cfg), 0);
	return chan;
}

static void dmamux_line_programmed_and_cleared(void **state)
{
	struct dma_chan *a = slave_chan("spi1", 0, 37, 1, 1);
	struct dma_chan *b = slave_chan("usart1", 1, 41, 1, 1);
	struct dma_chan *bad = NULL;
	struct dma_slave_map_entry e = {
		.consumer = "x", .dma_name = "rx", .controller = "dma1",
		.chan_index = -1, .request_line = 200,
	};
	uint32_t ca = STM32_DMAMUX_CxCR(stm32_dmamux_channel(0, (unsigned)a->chan_id));
	uint32_t cb = STM32_DMAMUX_CxCR(stm32_dmamux_channel(1, (unsigned)b->chan_id));

	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMAMUX1, ca), 37);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMAMUX1, cb), 41);
	dma_release_channel(a);
	dma_release_channel(b);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMAMUX1, ca), 0);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMAMUX1, cb), 0);
	/* Beyond the DMAMUX inputs (dma-requests = 128). */
	assert_int_equal(dma_slave_map_add(&e), 0);
	assert_int_equal(dma_request_chan("x", "rx", &bad), -EINVAL);
}

/* DMAMUX1 inputs 1..8 are request generators the driver does not run:
 * a slave channel on one is refused (it would wait forever), the
 * neighbours 0 (none) and 9 (ADC1, the first peripheral) are taken. */
static void request_generator_lines_are_refused(void **state)
{
	static const char *const names[8] = { "g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7" };
	struct dma_chan *chan = NULL;

	for (unsigned g = 0; g < 8; g++) {
		struct dma_slave_map_entry e = {
			.consumer = names[g], .dma_name = "rx", .controller = "dma1",
			.chan_index = -1, .request_line = (int)STM32_DMAMUX_REQ_GENERATOR(g),
		};

		assert_int_equal(dma_slave_map_add(&e), 0);
		assert_int_equal(dma_request_chan(names[g], "rx", &chan), -EINVAL);
		assert_null(chan);
	}
	chan = slave_chan("adc1", 0, 9, 1, 1);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMAMUX1,
					STM32_DMAMUX_CxCR(stm32_dmamux_channel(0,
						(unsigned)chan->chan_id))), 9);
	dma_release_channel(chan);
}

static void slave_sg_width_and_burst_from_config(void **state)
{
	struct dma_chan *chan = slave_chan("sai1", 0, 87, 2, 4);
	unsigned char data[4096];
	struct dma_xfer *x;
	struct sbuf b;
	uint32_t cr, fcr;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	sbuf_new(&b, chan, 8192, 0);
	assert_int_equal(dma_xfer_slave(b.att, 0, sizeof(data), DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_int_equal(stm32_sim_periph_push(sim, 87, data, sizeof(data)), (long)sizeof(data));
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_memory_equal(b.cpu, data, sizeof(data));
	cr = stm32_sim_last_cr(sim, 0, (unsigned)chan->chan_id);
	fcr = stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxFCR(chan->chan_id));
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_DIR, cr), STM32_DMA_DIR_P2M);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_PSIZE, cr), STM32_DMA_SIZE_HALFWORD);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MSIZE, cr), STM32_DMA_SIZE_WORD);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_PBURST, cr), STM32_DMA_BURST_INCR4);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MBURST, cr), STM32_DMA_BURST_INCR4);
	assert_false(cr & STM32_DMA_SxCR_PINC);
	assert_true(cr & STM32_DMA_SxCR_MINC);
	assert_true(fcr & STM32_DMA_SxFCR_DMDIS);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxFCR_FTH, fcr), STM32_DMA_FTH_FULL);
	assert_int_equal(stm32_sim_last_ndtr(sim, 0, (unsigned)chan->chan_id), 2048);
	dma_xfer_unref(x);

	/* Memory to peripheral, an odd length of bytes: direct mode. */
	{
		struct dma_slave_config cfg = {
			.dst_addr = stm32_sim_periph_addr(87), .dst_addr_width = 1,
			.dst_maxburst = 1,
		};
		unsigned char out[301];

		assert_int_equal(dmaengine_slave_config(chan, &cfg), 0);
		assert_int_equal(dma_xfer_slave(b.att, 3, sizeof(out), DMA_MEM_TO_DEV, 0, &x), 0);
		assert_int_equal(dma_xfer_submit(x), 0);
		assert_true(run_until(fence_done, dma_xfer_fence(x)));
		assert_int_equal(dma_xfer_result(x), 1);
		cr = stm32_sim_last_cr(sim, 0, (unsigned)chan->chan_id);
		fcr = stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxFCR(chan->chan_id));
		assert_true(cr & STM32_DMA_SxCR_DMEIE);
		assert_false(fcr & STM32_DMA_SxFCR_DMDIS);
		assert_int_equal(stm32_sim_periph_pop(sim, 87, out, sizeof(out)), (long)sizeof(out));
		assert_memory_equal(out, b.cpu + 3, sizeof(out));
		dma_xfer_unref(x);
	}
	/* A width the controller has not: refused. */
	{
		struct dma_slave_config cfg = { .src_addr_width = 8 };

		assert_int_equal(dmaengine_slave_config(chan, &cfg), -EINVAL);
	}
	sbuf_free(&b);
	dma_release_channel(chan);
}

struct periods {
	unsigned n;
};

static void on_period(struct dma_xfer *x, void *data)
{
	((struct periods *)data)->n++;
}

static void cyclic_run(unsigned nper, uint32_t mode_bit)
{
	const size_t period = 512;
	struct dma_chan *chan = slave_chan("i2s1", 0, 9, 4, 1);
	unsigned char *data = malloc(period * (nper + 1));
	struct periods pc = { 0 };
	struct stm32_chan_stats st;
	unsigned want[1];
	struct dma_xfer *x;
	struct sbuf b;

	assert_non_null(data);
	for (size_t i = 0; i < period * (nper + 1); i++)
		data[i] = (unsigned char)(i ^ (i >> 7) ^ nper);
	sbuf_new(&b, chan, period * nper, 0);
	assert_int_equal(dma_xfer_cyclic(b.att, 0, period * nper, period, DMA_DEV_TO_MEM, 0,
					 &x), 0);
	assert_int_equal(dma_xfer_set_period_cb(x, on_period, &pc), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	assert_true(stm32_sim_last_cr(sim, 0, (unsigned)chan->chan_id) & mode_bit);
	/* One period at a time: each completes exactly one callback. */
	for (unsigned p = 0; p <= nper; p++) {
		assert_int_equal(stm32_sim_periph_push(sim, 9, data + p * period, period),
				 (long)period);
		want[0] = p + 1;
		{
			uint64_t deadline = real_ms() + 10000;

			while (pc.n < want[0] && real_ms() < deadline) {
				sim_poll();
				dma_cq_drain();
			}
		}
		assert_int_equal(pc.n, p + 1);
	}
	/* The last push wrapped to period 0; the others hold theirs. */
	assert_memory_equal(b.cpu, data + nper * period, period);
	for (unsigned p = 1; p < nper; p++)
		assert_memory_equal(b.cpu + p * period, data + p * period, period);
	assert_int_equal(stm32_dma_chan_stats(dmas[0], (unsigned)chan->chan_id, &st), 0);
	assert_int_equal(st.tc, nper + 1);
	assert_int_equal(st.ht, nper + 1);	/* a half-period interrupt each */
	assert_false(fence_is_signaled(dma_xfer_fence(x)));
	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	assert_int_equal(dma_xfer_result(x), 1);
	assert_false(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxCR(chan->chan_id)) &
		     STM32_DMA_SxCR_EN);
	dma_xfer_unref(x);
	sbuf_free(&b);
	free(data);
	dma_release_channel(chan);
}

static void cyclic_one_period_is_circular(void **state)
{
	cyclic_run(1, STM32_DMA_SxCR_CIRC);
}

static void cyclic_two_periods_double_buffer(void **state)
{
	cyclic_run(2, STM32_DMA_SxCR_DBM);
}

static void cyclic_five_periods_double_buffer_rewrites_idle_target(void **state)
{
	cyclic_run(5, STM32_DMA_SxCR_DBM);
}

/*
 * Double buffer, serviced late: two period ends pass before the handler
 * runs (one TCIF, CT toggled twice, back to M0AR). The driver must take
 * CT from the register, rewrite only the idle target (never the current
 * one: that is a transfer error which stops the stream), count both
 * periods, and go on from where the hardware is.
 */
static void late_service(unsigned nper)
{
	const size_t period = 512;
	struct dma_chan *chan = slave_chan("i2s1", 0, 9, 4, 1);
	unsigned n = (unsigned)chan->chan_id;
	unsigned char *data = malloc(period * (nper + 2));
	struct periods pc = { 0 };
	struct stm32_chan_stats st;
	struct dma_tx_state ts;
	struct dma_xfer *x;
	struct sbuf b;
	uint32_t cr;

	assert_non_null(data);
	for (size_t i = 0; i < period * (nper + 2); i++)
		data[i] = (unsigned char)(i * 3 ^ (i >> 8) ^ nper);
	sbuf_new(&b, chan, period * nper, 0);
	assert_int_equal(dma_xfer_cyclic(b.att, 0, period * nper, period, DMA_DEV_TO_MEM, 0,
					 &x), 0);
	assert_int_equal(dma_xfer_set_period_cb(x, on_period, &pc), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	assert_int_equal(stm32_sim_hold_irq(sim, 0, true), 0);
	assert_int_equal(stm32_sim_periph_push(sim, 9, data, 2 * period), (long)(2 * period));
	sim_poll();
	/* Both periods ran without service: TCIF pending, CT back to 0. */
	assert_int_equal(stm32_sim_periph_level(sim, 9), 0);
	cr = stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxCR(n));
	assert_true(cr & STM32_DMA_SxCR_EN);
	assert_false(cr & STM32_DMA_SxCR_CT);
	assert_true(stm32_dma_flags_from_reg(n, stm32_sim_peek(sim, STM32_SIM_DMA1,
							      stm32_dma_isr_offset(n))) &
		    STM32_DMA_TCIF);
	assert_int_equal(pc.n, 0);
	assert_int_equal(stm32_sim_hold_irq(sim, 0, false), 0);
	sim_poll();
	dma_cq_drain();
	/* One service, two periods; the stream runs on, nothing failed. */
	assert_int_equal(pc.n, 2);
	assert_true(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxCR(n)) & STM32_DMA_SxCR_EN);
	assert_false(fence_is_signaled(dma_xfer_fence(x)));
	assert_int_equal(stm32_dma_chan_stats(dmas[0], n, &st), 0);
	assert_int_equal(st.te, 0);
	/* The hardware is at the start of the buffer M0AR holds. */
	assert_int_equal(dmaengine_tx_status(chan, dma_xfer_cookie(x), &ts), DMA_IN_PROGRESS);
	assert_int_equal(ts.residue, period * nper);
	/* Periods go on in order from there, one callback each. */
	for (unsigned p = 0; p < nper; p++) {
		uint64_t deadline = real_ms() + 10000;

		assert_int_equal(stm32_sim_periph_push(sim, 9, data + (2 + p) * period, period),
				 (long)period);
		while (pc.n < 3 + p && real_ms() < deadline) {
			sim_poll();
			dma_cq_drain();
		}
		assert_int_equal(pc.n, 3 + p);
		assert_memory_equal(b.cpu + p * period, data + (2 + p) * period, period);
	}
	assert_int_equal(stm32_dma_chan_stats(dmas[0], n, &st), 0);
	assert_int_equal(st.te, 0);
	assert_false(fence_is_signaled(dma_xfer_fence(x)));
	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	assert_int_equal(dma_xfer_result(x), 1);
	dma_xfer_unref(x);
	sbuf_free(&b);
	free(data);
	dma_release_channel(chan);
}

static void cyclic_double_buffer_serviced_two_periods_late_goes_on(void **state)
{
	late_service(3);
}

static void cyclic_two_buffers_serviced_two_periods_late_keep_residue(void **state)
{
	late_service(2);
}

/* ------------------------------------------------------------------ */
/* Residue, pause, resume, terminate */

static void residue_from_ndtr_and_pause_resume(void **state)
{
	struct dma_chan *chan = slave_chan("uart4", 0, 12, 1, 1);
	unsigned char data[1000], junk[100];
	struct dma_tx_state st;
	struct dma_xfer *x;
	dma_cookie_t cookie;
	struct sbuf b;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 13);
	sbuf_new(&b, chan, 4096, 0);
	assert_int_equal(dma_xfer_slave(b.att, 0, sizeof(data), DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	cookie = dma_xfer_cookie(x);
	assert_true(cookie > 0);
	assert_int_equal(dmaengine_tx_status(chan, cookie, &st), DMA_IN_PROGRESS);
	assert_int_equal(st.residue, 1000);
	assert_int_equal(stm32_sim_periph_push(sim, 12, data, 300), 300);
	sim_poll();
	/* Direct mode (single bursts): NDTR << PSIZE, exact. */
	assert_int_equal(dmaengine_tx_status(chan, cookie, &st), DMA_IN_PROGRESS);
	assert_int_equal(st.residue, 700);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxNDTR(chan->chan_id)), 700);

	assert_int_equal(dmaengine_pause(chan), 0);
	assert_false(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxCR(chan->chan_id)) &
		     STM32_DMA_SxCR_EN);
	assert_int_equal(dmaengine_tx_status(chan, cookie, &st), DMA_PAUSED);
	assert_int_equal(st.residue, 700);
	assert_int_equal(dmaengine_pause(chan), -EPERM);
	/* Nothing moves while paused. */
	assert_int_equal(stm32_sim_periph_push(sim, 12, data + 300, 200), 200);
	sim_poll();
	assert_int_equal(stm32_sim_periph_level(sim, 12), 200);
	assert_int_equal(dmaengine_tx_status(chan, cookie, &st), DMA_PAUSED);
	assert_int_equal(st.residue, 700);

	assert_int_equal(dmaengine_resume(chan), 0);
	assert_int_equal(dmaengine_resume(chan), -EPERM);
	sim_poll();
	assert_int_equal(stm32_sim_periph_level(sim, 12), 0);
	assert_int_equal(dmaengine_tx_status(chan, cookie, &st), DMA_IN_PROGRESS);
	assert_int_equal(st.residue, 500);
	/* Resume moved M0AR past the bytes already written. */
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxM0AR(chan->chan_id)),
			 (uint32_t)b.dma + 300);
	assert_int_equal(stm32_sim_periph_push(sim, 12, data + 500, 500), 500);
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(b.cpu, data, sizeof(data));
	assert_int_equal(stm32_sim_periph_pop(sim, 12, junk, sizeof(junk)), 0);
	dma_xfer_unref(x);
	sbuf_free(&b);
	dma_release_channel(chan);
}

/*
 * A pause can stop a FIFO-mode segment at any PSIZE item: @len bytes of
 * @width-byte items from request @line packed into word accesses and
 * 4-word bursts, paused after @stop bytes. The resumed M0AR is base +
 * @stop, which word accesses and 4-word bursts may not use (every access
 * aligned to its size, no burst across 1 KB, RM0433 §15.3; on the
 * simulator a transfer error and a rule broken). The resume narrows
 * MSIZE to @want_msize and drops the bursts for the rest of the segment;
 * the residue, paused (@paused_residue: rounded up to the burst as
 * programmed) and resumed, is exact; every byte arrives.
 */
static void resume_mid_word(const char *consumer, int line, unsigned width, size_t len,
			    unsigned stop, unsigned want_msize, uint32_t paused_residue)
{
	struct dma_chan *chan = slave_chan(consumer, 0, line, width, width == 1 ? 4 : 1);
	unsigned n = (unsigned)chan->chan_id;
	unsigned char *data = malloc(len);
	struct dma_tx_state ts;
	struct dma_xfer *x;
	struct sbuf b;
	uint32_t cr;

	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 3 + width);
	sbuf_new(&b, chan, 4096, 0);
	assert_int_equal(dma_xfer_slave(b.att, 0, len, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	cr = stm32_sim_last_cr(sim, 0, n);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MSIZE, cr), STM32_DMA_SIZE_WORD);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MBURST, cr), STM32_DMA_BURST_INCR4);
	assert_int_equal(stm32_sim_periph_push(sim, (unsigned)line, data, stop), (long)stop);
	sim_poll();
	assert_int_equal(dmaengine_pause(chan), 0);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxNDTR(n)),
			 (len - stop) / width);
	assert_int_equal(dmaengine_tx_status(chan, dma_xfer_cookie(x), &ts), DMA_PAUSED);
	assert_int_equal(ts.residue, paused_residue);
	assert_int_equal(dmaengine_resume(chan), 0);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxM0AR(n)),
			 (uint32_t)b.dma + stop);
	cr = stm32_sim_last_cr(sim, 0, n);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MSIZE, cr), want_msize);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MBURST, cr), STM32_DMA_BURST_SINGLE);
	assert_int_equal(dmaengine_tx_status(chan, dma_xfer_cookie(x), &ts), DMA_IN_PROGRESS);
	assert_int_equal(ts.residue, len - stop);
	assert_int_equal(stm32_sim_periph_push(sim, (unsigned)line, data + stop, len - stop),
			 (long)(len - stop));
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(b.cpu, data, len);
	dma_xfer_unref(x);
	sbuf_free(&b);
	free(data);
	dma_release_channel(chan);
}

/* Byte items, 4-beat peripheral bursts, paused 5 bytes in: bytes. */
static void resume_mid_word_keeps_memory_accesses_aligned(void **state)
{
	resume_mid_word("uart7", 79, 1, 64, 5, STM32_DMA_SIZE_BYTE, 64);
}

/* Halfword items paused 6 bytes in (found by the soak, seed 14):
 * halfwords. */
static void resume_mid_word_keeps_the_bytes_in_place(void **state)
{
	resume_mid_word("dfsdm1", 27, 2, 256, 6, STM32_DMA_SIZE_HALFWORD, 256);
}

static void residue_rounds_up_to_memory_burst(void **state)
{
	struct dma_chan *chan = slave_chan("adc1", 0, 9, 1, 1);
	unsigned char data[64] = { 0 };
	struct dma_tx_state st;
	struct dma_xfer *x;
	struct sbuf b;

	sbuf_new(&b, chan, 4096, 0);
	/* 1024 bytes: word memory accesses, INCR4 -> 16-byte bursts. */
	assert_int_equal(dma_xfer_slave(b.att, 0, 1024, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_int_equal(stm32_sim_periph_push(sim, 9, data, 37), 37);
	sim_poll();
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MBURST,
					 stm32_sim_last_cr(sim, 0, (unsigned)chan->chan_id)),
			 STM32_DMA_BURST_INCR4);
	assert_int_equal(dmaengine_tx_status(chan, dma_xfer_cookie(x), &st), DMA_IN_PROGRESS);
	/* NDTR says 987 left; rounded up to a whole 16-byte burst. */
	assert_int_equal(st.residue, 992);
	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	dma_xfer_unref(x);
	sbuf_free(&b);
	dma_release_channel(chan);
}

static void terminate_waits_for_en_to_clear(void **state)
{
	struct dma_chan *chan = slave_chan("uart5", 0, 14, 1, 1);
	struct stm32_chan_stats st;
	struct dma_xfer *x;
	struct sbuf b;
	uint64_t t0;

	sbuf_new(&b, chan, 4096, 0);
	stm32_sim_set_stop_delay(sim, 5);
	assert_int_equal(dma_xfer_slave(b.att, 0, 100, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	assert_true(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxCR(chan->chan_id)) &
		    STM32_DMA_SxCR_EN);
	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	/* EN really reads 0 when terminate returns (5 accesses later). */
	assert_false(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxCR(chan->chan_id)) &
		     STM32_DMA_SxCR_EN);
	assert_int_equal(dma_xfer_result(x), -ECANCELED);
	dma_xfer_unref(x);

	/* A stream whose disable never completes: the wait is bounded, the
	 * descriptors still end, the counter says so. */
	assert_int_equal(dma_xfer_slave(b.att, 0, 100, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	assert_int_equal(stm32_sim_stuck(sim, 0, (unsigned)chan->chan_id, true), 0);
	t0 = real_ms();
	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	assert_true(real_ms() - t0 < 2000);
	assert_int_equal(dma_xfer_result(x), -ECANCELED);
	assert_int_equal(stm32_dma_chan_stats(dmas[0], (unsigned)chan->chan_id, &st), 0);
	assert_true(st.stop_timeouts >= 1);
	dma_xfer_unref(x);
	/* Unstuck: the stream stops, and serves again. */
	assert_int_equal(stm32_sim_stuck(sim, 0, (unsigned)chan->chan_id, false), 0);
	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	assert_int_equal(dma_xfer_slave(b.att, 0, 4, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_int_equal(stm32_sim_periph_push(sim, 14, "abcd", 4), 4);
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(b.cpu, "abcd", 4);
	dma_xfer_unref(x);
	sbuf_free(&b);
	dma_release_channel(chan);
}

/* ------------------------------------------------------------------ */
/* Removal */

static void a_removed_controller_leaves_the_hardware_to_its_successor(void **state)
{
	struct dma_chan *old = slave_chan("spi1", 0, 38, 1, 1);
	struct dma_slave_config cfg = {
		.src_addr = stm32_sim_periph_addr(38),
		.src_addr_width = 1,
	};
	unsigned stream = (unsigned)old->chan_id;
	uint32_t ccr = STM32_DMAMUX_CxCR(stm32_dmamux_channel(0, stream));
	struct dma_chan *fresh = NULL;
	struct dma_xfer *x;
	struct sbuf b;
	uint32_t cr;

	/* Removed while a client holds a channel: the hardware is stopped
	 * and unrouted at once, not when the client lets go. */
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMAMUX1, ccr), 38);
	stm32_dma_remove(dmas[0]);
	dmas[0] = NULL;
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMAMUX1, ccr), 0);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxCR(stream)) &
			 STM32_DMA_SxCR_EN, 0);

	/* The same block registered again, the same stream at work. */
	assert_int_equal(dma_add(0), 0);
	assert_int_equal(dma_request_chan("spi1", "rx", &fresh), 0);
	assert_ptr_not_equal(fresh, old);
	assert_int_equal(fresh->chan_id, stream);
	assert_int_equal(dmaengine_slave_config(fresh, &cfg), 0);
	sbuf_new(&b, fresh, 4096, 0);
	assert_int_equal(dma_xfer_slave(b.att, 0, 100, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	cr = stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxCR(stream));
	assert_true(cr & STM32_DMA_SxCR_EN);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMAMUX1, ccr), 38);

	/* The old client lets go: nothing of the new one's changes. */
	dma_release_channel(old);
	dma_cq_drain();
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxCR(stream)), cr);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMAMUX1, ccr), 38);
	assert_int_equal(stm32_sim_starts(sim, 0, stream), 1);

	assert_int_equal(dmaengine_terminate_sync(fresh), 0);
	assert_int_equal(dma_xfer_result(x), -ECANCELED);
	dma_xfer_unref(x);
	sbuf_free(&b);
	dma_release_channel(fresh);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMAMUX1, ccr), 0);
}

/* ------------------------------------------------------------------ */
/* Interrupt fds */

/* dma1 again, its stream 0 interrupt on UIO node 10 called "dma1-s0"
 * (@flags: uio_fake's). Returns the fd of that node. */
static int dma1_with_stream_irq_node(unsigned flags)
{
	struct stm32_dma_config cfg;
	int fds[STM32_DMA_NR_STREAMS + 1];

	stm32_dma_remove(dmas[0]);
	dmas[0] = NULL;
	assert_int_equal(uio_fake_add(stm32_sim_fake(sim), 10, "dma1-s0", NULL, NULL, 0,
				      flags),
			 0);
	stm32_dma_config_default(&cfg);
	cfg.env = stm32_sim_env(sim);
	cfg.mmio = &stm32_sim_mmio_ops;
	cfg.mmio_data = sim;
	cfg.irq_uio_names[0] = "dma1-s0";
	assert_int_equal(stm32_dma_create(&cfg, &dmas[0]), 0);
	/* The register node's own interrupt, then the stream's. */
	assert_int_equal(stm32_dma_irq_fds(dmas[0], fds, ARRAY_SIZE(fds)), 2);
	return fds[1];
}

static void irq_handler_takes_enosys_from_unmask_as_nothing_to_unmask(void **state)
{
	int fd = dma1_with_stream_irq_node(UIO_FAKE_IRQ | UIO_FAKE_NO_IRQCONTROL);

	assert_int_equal(uio_fake_raise_irq(stm32_sim_fake(sim), 10), 0);
	assert_int_equal(stm32_dma_irq_handler(dmas[0]), 0);
	/* Acknowledged: not readable any more. */
	assert_int_equal(poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 0), 0);
}

static void irq_handler_tells_which_fd_failed(void **state)
{
	int fds[2], fd = dma1_with_stream_irq_node(UIO_FAKE_IRQ);

	assert_int_equal(stm32_dma_irq_fds(dmas[0], fds, 2), 2);
	/* The stream's node goes (the kernel then answers -EIO) while the
	 * register node's interrupt fires. */
	assert_int_equal(uio_fake_remove(stm32_sim_fake(sim), 10), 0);
	assert_int_equal(uio_fake_raise_irq(stm32_sim_fake(sim), STM32_SIM_UIO_DMA1), 0);
	assert_int_equal(stm32_dma_irq_handler(dmas[0]), -EIO);
	assert_int_equal(stm32_dma_irq_fd_error(dmas[0], fds[0]), 0);
	assert_int_equal(stm32_dma_irq_fd_error(dmas[0], fd), -EIO);
	assert_int_equal(stm32_dma_irq_fd_error(dmas[0], -1), -EINVAL);
}


/* The simulator's PFCTRL rules at enable, through its registers (the
 * driver never programs these combinations): NDTR forced to 0xFFFF, CIRC
 * forced off, the peripheral's last request ends the stream with the
 * count in 0xFFFF - NDTR; PFCTRL forced off in memory-to-memory; refused
 * with double-buffer mode (RM0433 §15.3.17, Table 113; see stm32-sim.c). */
static struct uio_device *sim_regs(const char *name, struct stm32_regs *ret)
{
	struct uio_device *dev = NULL;
	void *addr;
	size_t len;

	assert_int_equal(uio_device_new_by_name(stm32_sim_env(sim), name, &dev), 0);
	assert_int_equal(uio_device_map(dev, 0, &addr, &len), 0);
	*ret = (struct stm32_regs){ addr, len, &stm32_sim_mmio_ops, sim };
	return dev;
}

static void simulator_flow_controller_rules_at_enable(void **state)
{
	struct stm32_regs dma, mux;
	struct uio_device *ddev = sim_regs("dma2", &dma), *mdev = sim_regs("dmamux1", &mux);
	const unsigned n = 7, line = 33;
	struct sbuf b;
	struct dma_chan *chan = memcpy_chan(1);
	uint32_t p2m = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_P2M) |
		       STM32_DMA_SxCR_MINC | STM32_DMA_SxCR_PFCTRL;
	unsigned char data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, after;

	sbuf_new(&b, chan, 4096, 0);
	stm32_write(&mux, STM32_DMAMUX_CxCR(stm32_dmamux_channel(1, n)), line);
	stm32_write(&dma, STM32_DMA_SxPAR(n), stm32_sim_periph_addr(line));
	stm32_write(&dma, STM32_DMA_SxM0AR(n), (uint32_t)b.dma);
	stm32_write(&dma, STM32_DMA_SxNDTR(n), 10);
	stm32_write(&dma, STM32_DMA_SxCR(n), p2m | STM32_DMA_SxCR_CIRC);
	stm32_write(&dma, STM32_DMA_SxCR(n), p2m | STM32_DMA_SxCR_CIRC | STM32_DMA_SxCR_EN);
	assert_int_equal(stm32_read(&dma, STM32_DMA_SxNDTR(n)), 0xFFFF);
	assert_int_equal(stm32_read(&dma, STM32_DMA_SxCR(n)), p2m | STM32_DMA_SxCR_EN);
	/* The peripheral's third byte is its last: 3 items, not 10. */
	assert_int_equal(stm32_sim_periph_last(sim, line, 3), 0);
	assert_int_equal(stm32_sim_periph_push(sim, line, data, sizeof(data)), 8);
	stm32_sim_step(sim, SIZE_MAX);
	assert_false(stm32_read(&dma, STM32_DMA_SxCR(n)) & STM32_DMA_SxCR_EN);
	assert_int_equal(stm32_read(&dma, STM32_DMA_SxNDTR(n)), 0xFFFF - 3);
	assert_true(stm32_dma_flags_from_reg(n, stm32_read(&dma, STM32_DMA_HISR)) & STM32_DMA_TCIF);
	assert_memory_equal(b.cpu, data, 3);
	assert_int_equal(stm32_sim_periph_level(sim, line), 5);
	stm32_write(&dma, STM32_DMA_HIFCR, stm32_dma_flags_to_reg(n, STM32_DMA_FLAGS_ALL));

	/* With double-buffer mode: refused, TEIF. */
	stm32_write(&dma, STM32_DMA_SxCR(n), p2m | STM32_DMA_SxCR_DBM);
	stm32_write(&dma, STM32_DMA_SxCR(n), p2m | STM32_DMA_SxCR_DBM | STM32_DMA_SxCR_EN);
	assert_false(stm32_read(&dma, STM32_DMA_SxCR(n)) & STM32_DMA_SxCR_EN);
	assert_true(stm32_dma_flags_from_reg(n, stm32_read(&dma, STM32_DMA_HISR)) & STM32_DMA_TEIF);
	stm32_write(&dma, STM32_DMA_HIFCR, stm32_dma_flags_to_reg(n, STM32_DMA_FLAGS_ALL));

	/* Memory to memory: PFCTRL forced to 0, NDTR counts. */
	after = b.cpu[64 + 5];
	stm32_write(&dma, STM32_DMA_SxCR(n), 0);
	stm32_write(&dma, STM32_DMA_SxPAR(n), (uint32_t)b.dma);
	stm32_write(&dma, STM32_DMA_SxM0AR(n), (uint32_t)b.dma + 64);
	stm32_write(&dma, STM32_DMA_SxNDTR(n), 5);
	stm32_write(&dma, STM32_DMA_SxFCR(n), STM32_DMA_SxFCR_DMDIS |
					      STM32_FIELD_PREP(STM32_DMA_SxFCR_FTH, STM32_DMA_FTH_FULL));
	p2m = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_M2M) | STM32_DMA_SxCR_PINC |
	      STM32_DMA_SxCR_MINC | STM32_DMA_SxCR_PFCTRL;
	stm32_write(&dma, STM32_DMA_SxCR(n), p2m);
	stm32_write(&dma, STM32_DMA_SxCR(n), p2m | STM32_DMA_SxCR_EN);
	assert_false(stm32_read(&dma, STM32_DMA_SxCR(n)) & STM32_DMA_SxCR_PFCTRL);
	assert_int_equal(stm32_read(&dma, STM32_DMA_SxNDTR(n)), 5);
	stm32_sim_step(sim, SIZE_MAX);
	assert_false(stm32_read(&dma, STM32_DMA_SxCR(n)) & STM32_DMA_SxCR_EN);
	assert_memory_equal(b.cpu + 64, b.cpu, 5);
	assert_int_equal(b.cpu[64 + 5], after);
	stm32_write(&dma, STM32_DMA_HIFCR, stm32_dma_flags_to_reg(n, STM32_DMA_FLAGS_ALL));
	stm32_write(&dma, STM32_DMA_SxCR(n), 0);
	stm32_write(&mux, STM32_DMAMUX_CxCR(stm32_dmamux_channel(1, n)), 0);
	sbuf_free(&b);
	dma_release_channel(chan);
	uio_device_unref(ddev);
	uio_device_unref(mdev);
}

/* ------------------------------------------------------------------ */
/* Interrupt lines */

/* Cyclic over two periods (DBM, HTIE too), three periods pushed at once,
 * on a stream whose line is serviced two period ends after it rises: the
 * line rises at the first half transfer and is serviced at the second
 * period end (both ends in one service), then rises at the third half
 * transfer and is serviced when the bus goes idle. */
static unsigned cyclic_three_periods_services(unsigned latency)
{
	const size_t period = 512;
	struct dma_chan *chan = slave_chan(latency ? "i2s2" : "i2s1", 0, 9, 4, 1);
	unsigned n = (unsigned)chan->chan_id;
	unsigned char data[512 * 3];
	struct periods pc = { 0 };
	struct stm32_chan_stats st;
	struct dma_xfer *x;
	struct sbuf b;
	unsigned irqs;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 5 + latency);
	assert_int_equal(stm32_sim_set_irq_latency(sim, 0, n, latency), 0);
	sbuf_new(&b, chan, period * 2, 0);
	assert_int_equal(dma_xfer_cyclic(b.att, 0, period * 2, period, DMA_DEV_TO_MEM, 0, &x),
			 0);
	assert_int_equal(dma_xfer_set_period_cb(x, on_period, &pc), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	irqs = stm32_sim_stream_irqs(sim, 0, n);
	assert_int_equal(stm32_sim_periph_push(sim, 9, data, sizeof(data)), (long)sizeof(data));
	sim_poll();
	dma_cq_drain();
	assert_int_equal(pc.n, 3);
	assert_memory_equal(b.cpu, data + 2 * period, period);
	assert_memory_equal(b.cpu + period, data + period, period);
	assert_int_equal(stm32_dma_chan_stats(dmas[0], n, &st), 0);
	assert_int_equal(st.te, 0);
	assert_true(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxCR(n)) & STM32_DMA_SxCR_EN);
	irqs = stm32_sim_stream_irqs(sim, 0, n) - irqs;
	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	dma_xfer_unref(x);
	sbuf_free(&b);
	dma_release_channel(chan);
	return irqs;
}

static void stream_line_serviced_after_its_latency_in_period_ends(void **state)
{
	/* At once: a service per half transfer and per period end. */
	assert_int_equal(cyclic_three_periods_services(0), 6);
	/* Two period ends late: two services for the three periods. */
	assert_int_equal(cyclic_three_periods_services(2), 2);
	assert_int_equal(stm32_sim_set_irq_latency(sim, 2, 0, 1), -EINVAL);
	assert_int_equal(stm32_sim_set_irq_latency(sim, 0, 8, 1), -EINVAL);
}

/* The stream lines are levels: a line still high when software unmasks
 * the UIO interrupt (its flags not cleared) interrupts again. */
static void level_line_still_high_at_unmask_interrupts_again(void **state)
{
	struct dma_chan *chan = slave_chan("spi1", 0, 37, 1, 1);
	const struct uio_env *env = stm32_sim_env(sim);
	struct uio_fake *fake = stm32_sim_fake(sim);
	unsigned n = (unsigned)chan->chan_id;
	struct dma_xfer *x;
	uint32_t total, count;
	struct sbuf b;
	int fd;

	assert_int_equal(stm32_sim_set_irq_latency(sim, 0, n, 0), 0);
	sbuf_new(&b, chan, 4096, 0);
	assert_int_equal(dma_xfer_slave(b.att, 0, 10, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	total = uio_fake_irq_total(fake, STM32_SIM_UIO_DMA1);
	fd = uio_fake_open_fd(fake, STM32_SIM_UIO_DMA1);
	assert_true(fd >= 0);
	/* A transfer error: TEIF with TEIE, the line rises. */
	assert_int_equal(stm32_sim_inject_flags(sim, 0, n, STM32_DMA_TEIF, false), 0);
	assert_int_equal(uio_fake_irq_total(fake, STM32_SIM_UIO_DMA1), total + 1);
	assert_false(uio_fake_irq_unmasked(fake, STM32_SIM_UIO_DMA1));
	/* Acknowledged and unmasked without clearing TEIF: again. */
	assert_int_equal(env->ops->read_irq(env->ops_data, fd, &count), 0);
	assert_int_equal(env->ops->enable_irq(env->ops_data, fd, true), 0);
	assert_int_equal(uio_fake_irq_total(fake, STM32_SIM_UIO_DMA1), total + 2);
	assert_int_equal(poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 0), 1);
	/* The driver's service clears it: no more. */
	assert_true(stm32_dma_irq_handler(dmas[0]) >= 1);
	assert_int_equal(uio_fake_irq_total(fake, STM32_SIM_UIO_DMA1), total + 2);
	assert_true(uio_fake_irq_unmasked(fake, STM32_SIM_UIO_DMA1));
	dma_cq_drain();
	assert_int_equal(dma_xfer_result(x), -EIO);
	dma_xfer_unref(x);
	sbuf_free(&b);
	dma_release_channel(chan);
}

/* One UIO node per stream interrupt (uio_pdrv_genirq takes one IRQ per
 * node; the README's irq-uio): a stream routed to its own node raises
 * that node, not the controller's, and the driver services it from
 * there, with the stream's latency. */
static void stream_line_on_its_own_uio_device(void **state)
{
	struct uio_fake *fake = stm32_sim_fake(sim);
	struct dma_slave_map_entry e = {
		.consumer = "sai4", .dma_name = "rx", .controller = "dma1", .chan_index = 3,
		.request_line = 40,
	};
	struct dma_slave_config cfg = {
		.src_addr = stm32_sim_periph_addr(40), .src_addr_width = 1, .src_maxburst = 1,
	};
	struct stm32_dma_config dc;
	unsigned char data[512];
	struct periods pc = { 0 };
	struct dma_chan *chan = NULL;
	uint32_t ctrl_irqs, own_irqs;
	struct dma_xfer *x;
	struct sbuf b;
	int fds[3];

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 3 + 1);
	stm32_dma_remove(dmas[0]);
	dmas[0] = NULL;
	assert_int_equal(uio_fake_add(fake, 13, "dma1-s3", NULL, NULL, 0,
				      UIO_FAKE_IRQ | UIO_FAKE_AUTOMASK), 0);
	assert_int_equal(stm32_sim_route_stream_irq(sim, 0, 3, 13), 0);
	assert_int_equal(stm32_sim_set_irq_latency(sim, 0, 3, 1), 0);
	stm32_dma_config_default(&dc);
	dc.env = stm32_sim_env(sim);
	dc.mmio = &stm32_sim_mmio_ops;
	dc.mmio_data = sim;
	dc.irq_uio_names[3] = "dma1-s3";
	assert_int_equal(stm32_dma_create(&dc, &dmas[0]), 0);
	assert_int_equal(stm32_dma_irq_fds(dmas[0], fds, ARRAY_SIZE(fds)), 2);

	assert_int_equal(dma_slave_map_add(&e), 0);
	assert_int_equal(dma_request_chan("sai4", "rx", &chan), 0);
	assert_int_equal(chan->chan_id, 3);
	assert_int_equal(dmaengine_slave_config(chan, &cfg), 0);
	sbuf_new(&b, chan, 256, 0);
	ctrl_irqs = uio_fake_irq_total(fake, STM32_SIM_UIO_DMA1);
	own_irqs = uio_fake_irq_total(fake, 13);
	/* Cyclic over two periods, four periods sent at once: each line
	 * serviced one period end after it rose. */
	assert_int_equal(dma_xfer_cyclic(b.att, 0, 256, 128, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_set_period_cb(x, on_period, &pc), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_int_equal(stm32_sim_periph_push(sim, 40, data, sizeof(data)), (long)sizeof(data));
	{
		uint64_t deadline = real_ms() + 10000;

		while (pc.n < 4 && real_ms() < deadline) {
			sim_poll();
			dma_cq_drain();
		}
	}
	assert_int_equal(pc.n, 4);
	assert_memory_equal(b.cpu, data + 256, 256);
	assert_int_equal(uio_fake_irq_total(fake, STM32_SIM_UIO_DMA1), ctrl_irqs);
	assert_true(uio_fake_irq_total(fake, 13) > own_irqs);
	assert_true(uio_fake_irq_unmasked(fake, 13));
	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	dma_xfer_unref(x);
	sbuf_free(&b);
	dma_release_channel(chan);
	assert_int_equal(stm32_sim_route_stream_irq(sim, 0, 3, -1), 0);
	assert_int_equal(stm32_sim_route_stream_irq(sim, 0, 8, -1), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* Errors */

struct cb_rec {
	unsigned calls;
	struct dmaengine_result last;
};

static void cb_result(void *param, const struct dmaengine_result *result)
{
	struct cb_rec *rec = param;

	rec->calls++;
	rec->last = *result;
}

static bool calls_reached(void *arg)
{
	return ((struct cb_rec *)arg)->calls > 0;
}

static void expect_memcpy(struct dma_chan *chan, struct sbuf *d, struct sbuf *s, size_t len,
			  enum dmaengine_tx_result want)
{
	struct dma_async_tx_descriptor *tx = NULL;
	struct cb_rec rec = { 0 };

	assert_int_equal(dmaengine_prep_dma_memcpy(chan, d->dma, s->dma, len,
						   DMA_PREP_INTERRUPT, &tx), 0);
	tx->callback_result = cb_result;
	tx->callback_param = &rec;
	assert_true(dmaengine_submit(tx) > 0);
	dma_async_issue_pending(chan);
	assert_true(run_until(calls_reached, &rec));
	assert_int_equal(rec.last.result, want);
}

static void bus_error_fails_the_transfer_and_the_channel_recovers(void **state)
{
	struct dma_chan *chan = memcpy_chan(0);
	struct stm32_chan_stats st;
	struct dma_xfer *x;
	struct sbuf s, d;

	sbuf_new(&s, chan, 8192, 1);
	sbuf_new(&d, chan, 8192, 2);
	/* A bus error on the destination range (writes). */
	assert_int_equal(stm32_sim_bus_error(sim, d.dma + 4096, 16, STM32_SIM_WRITE), 0);
	assert_int_equal(dma_xfer_memcpy(d.att, 0, s.att, 0, 8192, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), -EIO);
	dma_xfer_unref(x);
	assert_int_equal(stm32_dma_chan_stats(dmas[0], 0, &st), 0);
	assert_int_equal(st.te, 1);
	/* The stream was reset: EN 0, CR 0, FCR back to reset. */
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxCR(0)), 0);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxFCR(0)) &
			 ~STM32_DMA_SxFCR_FS, STM32_DMA_SxFCR_RESET & ~STM32_DMA_SxFCR_FS);
	expect_memcpy(chan, &d, &s, 8192, DMA_TRANS_WRITE_FAILED);
	/* On the source (reads). */
	stm32_sim_clear_bus_errors(sim);
	assert_int_equal(stm32_sim_bus_error(sim, s.dma, 4, STM32_SIM_READ), 0);
	expect_memcpy(chan, &d, &s, 8192, DMA_TRANS_READ_FAILED);
	stm32_sim_clear_bus_errors(sim);
	/* Working again. */
	assert_int_equal(dma_xfer_memcpy(d.att, 0, s.att, 0, 8192, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(d.cpu, s.cpu, 8192);
	dma_xfer_unref(x);
	sbuf_free(&s);
	sbuf_free(&d);
	dma_release_channel(chan);
}

static void stalled_stream_times_out_and_the_channel_recovers(void **state)
{
	struct dma_chan *chan = memcpy_chan(0);
	struct dma_xfer *x;
	struct sbuf s, d;

	sbuf_new(&s, chan, 8192, 1);
	sbuf_new(&d, chan, 8192, 2);
	assert_int_equal(dma_chan_set_timeout(chan, 50), 0);
	assert_int_equal(stm32_sim_stall(sim, 0, 0, true), 0);
	assert_int_equal(dma_xfer_memcpy(d.att, 0, s.att, 0, 8192, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	dma_cq_drain();
	assert_false(fence_is_signaled(dma_xfer_fence(x)));
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxNDTR(0)), 8192);
	fake_clock_advance(51 * 1000000ull);
	assert_true(fence_is_signaled(dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), -ETIMEDOUT);
	assert_false(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxCR(0)) & STM32_DMA_SxCR_EN);
	dma_xfer_unref(x);
	assert_int_equal(dma_xfer_memcpy(d.att, 0, s.att, 0, 8192, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(d.cpu, s.cpu, 8192);
	dma_xfer_unref(x);
	sbuf_free(&s);
	sbuf_free(&d);
	dma_release_channel(chan);
}

static void fifo_and_direct_mode_errors(void **state)
{
	struct dma_chan *chan = slave_chan("spi2", 0, 20, 1, 1);
	struct stm32_chan_stats st;
	struct dma_xfer *x;
	struct sbuf b;
	unsigned n = (unsigned)chan->chan_id;

	sbuf_new(&b, chan, 4096, 0);
	/* Direct mode (single bursts): a DMEIF loses data -> -EIO. */
	assert_int_equal(dma_xfer_slave(b.att, 0, 10, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	assert_int_equal(stm32_sim_inject_flags(sim, 0, n, STM32_DMA_DMEIF, false), 0);
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), -EIO);
	dma_xfer_unref(x);

	/* FIFO mode (1024 bytes -> word bursts): an over/underrun FEIF with
	 * the stream running loses nothing and is only counted. */
	assert_int_equal(dma_xfer_slave(b.att, 0, 1024, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	assert_int_equal(stm32_sim_inject_flags(sim, 0, n, STM32_DMA_FEIF, false), 0);
	sim_poll();
	{
		static unsigned char zeros[1024];

		assert_int_equal(stm32_sim_periph_push(sim, 20, zeros, 1024), 1024);
	}
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), 1);
	dma_xfer_unref(x);

	/* An FEIF with EN cleared by hardware: -EIO. */
	assert_int_equal(dma_xfer_slave(b.att, 0, 1024, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	assert_int_equal(stm32_sim_inject_flags(sim, 0, n, STM32_DMA_FEIF, true), 0);
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), -EIO);
	dma_xfer_unref(x);
	assert_int_equal(stm32_dma_chan_stats(dmas[0], n, &st), 0);
	assert_int_equal(st.dme, 1);
	assert_int_equal(st.fe, 2);
	sbuf_free(&b);
	dma_release_channel(chan);
}

/* Direct mode: an FEIF (over/underrun) with the stream going on loses
 * nothing: counted, and the transfer completes with its data. */
static void direct_mode_fifo_error_is_counted_not_fatal(void **state)
{
	struct dma_chan *chan = slave_chan("spi3", 0, 21, 1, 1);
	unsigned n = (unsigned)chan->chan_id;
	unsigned char data[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	struct stm32_chan_stats st;
	struct dma_xfer *x;
	struct sbuf b;

	sbuf_new(&b, chan, 4096, 0);
	assert_int_equal(dma_xfer_slave(b.att, 0, sizeof(data), DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	assert_false(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxFCR(n)) &
		     STM32_DMA_SxFCR_DMDIS);
	assert_int_equal(stm32_sim_periph_push(sim, 21, data, 4), 4);
	sim_poll();
	assert_int_equal(stm32_sim_inject_flags(sim, 0, n, STM32_DMA_FEIF, false), 0);
	/* Nothing raises the line (FEIE is clear in direct mode): the flag
	 * is seen at the next interrupt, the completion's. */
	assert_int_equal(stm32_sim_periph_push(sim, 21, data + 4, 6), 6);
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(b.cpu, data, sizeof(data));
	assert_int_equal(stm32_dma_chan_stats(dmas[0], n, &st), 0);
	assert_int_equal(st.fe, 1);
	assert_int_equal(st.te, 0);
	dma_xfer_unref(x);
	sbuf_free(&b);
	dma_release_channel(chan);
}

/* An over/underrun that comes from rates (the memory port not granted
 * while the peripheral goes on requesting), in direct mode (FEIF seen at
 * the completion) and FIFO mode (FEIE: an interrupt of its own while the
 * stream runs): counted, the transfer completes with every byte. */
static void paced_overrun(unsigned width_burst_fifo)
{
	struct dma_chan *chan = slave_chan("spi4", 0, 83, 1, width_burst_fifo);
	unsigned n = (unsigned)chan->chan_id;
	/* A length off the threshold level keeps the memory side single:
	 * direct mode when the peripheral bursts are single too. */
	size_t len = width_burst_fifo == 1 ? 62 : 64;
	unsigned char data[64];
	struct stm32_chan_stats st;
	struct dma_xfer *x;
	struct sbuf b;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 5 + 1);
	sbuf_new(&b, chan, 4096, 0);
	assert_int_equal(dma_xfer_slave(b.att, 0, len, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_int_equal(stm32_sim_mem_busy(sim, 0, n, 40), 0);
	assert_int_equal(stm32_sim_periph_push(sim, 83, data, len), (long)len);
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(b.cpu, data, len);
	assert_int_equal(!!(stm32_sim_last_cr(sim, 0, n) & STM32_DMA_SxCR_DMEIE),
			 width_burst_fifo == 1);
	assert_int_equal(stm32_dma_chan_stats(dmas[0], n, &st), 0);
	assert_true(st.fe >= 1);
	assert_int_equal(st.te, 0);
	assert_int_equal(st.dme, 0);
	dma_xfer_unref(x);
	sbuf_free(&b);
	dma_release_channel(chan);
}

static void direct_mode_overrun_from_a_busy_memory_port_loses_nothing(void **state)
{
	paced_overrun(1);
}

static void fifo_mode_overrun_from_a_busy_memory_port_loses_nothing(void **state)
{
	paced_overrun(4);
}

/* A memory address not aligned to the peripheral width: not direct mode
 * (whose PSIZE memory accesses would be unaligned: a transfer error and
 * a rule broken, on the simulator) but the FIFO with byte memory
 * accesses. Both
 * directions; a client that forces direct mode is refused. */
static void unaligned_memory_takes_the_fifo_not_direct_mode(void **state)
{
	struct dma_chan *chan = slave_chan("uart5", 0, 22, 2, 1);
	unsigned n = (unsigned)chan->chan_id;
	unsigned char data[64], expect[128], out[64];
	struct dma_xfer *x;
	struct sbuf b;
	uint32_t cr;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(0x80 + i);
	sbuf_new(&b, chan, 4096, 0);
	memcpy(expect, b.cpu, sizeof(expect));
	memcpy(expect + 1, data, sizeof(data));
	assert_int_equal(dma_xfer_slave(b.att, 1, sizeof(data), DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_int_equal(stm32_sim_periph_push(sim, 22, data, sizeof(data)), (long)sizeof(data));
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(b.cpu, expect, sizeof(expect));
	cr = stm32_sim_last_cr(sim, 0, n);
	assert_true(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxFCR(n)) &
		    STM32_DMA_SxFCR_DMDIS);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_PSIZE, cr), STM32_DMA_SIZE_HALFWORD);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MSIZE, cr), STM32_DMA_SIZE_BYTE);
	dma_xfer_unref(x);

	/* Memory to peripheral from the same odd address. */
	{
		struct dma_slave_config cfg = {
			.dst_addr = stm32_sim_periph_addr(22), .dst_addr_width = 2,
			.dst_maxburst = 1,
		};

		assert_int_equal(dmaengine_slave_config(chan, &cfg), 0);
	}
	assert_int_equal(dma_xfer_slave(b.att, 1, sizeof(out), DMA_MEM_TO_DEV, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_int_equal(stm32_sim_periph_pop(sim, 22, out, sizeof(out)), (long)sizeof(out));
	assert_memory_equal(out, data, sizeof(out));
	dma_xfer_unref(x);

	/* Direct mode forced by the client: refused for that address. */
	{
		struct stm32_dma_chan_config feat = {
			.fifo_threshold = STM32_DMA_FTH_FULL, .direct = true,
		};
		struct dma_slave_config cfg = {
			.dst_addr = stm32_sim_periph_addr(22), .dst_addr_width = 2,
			.dst_maxburst = 1,
			.peripheral_config = &feat, .peripheral_size = sizeof(feat),
		};

		assert_int_equal(dmaengine_slave_config(chan, &cfg), 0);
		assert_int_equal(dma_xfer_slave(b.att, 1, sizeof(out), DMA_MEM_TO_DEV, 0, &x),
				 -EINVAL);
		assert_int_equal(dma_xfer_slave(b.att, 2, sizeof(out), DMA_MEM_TO_DEV, 0, &x), 0);
		dma_xfer_unref(x);
	}
	sbuf_free(&b);
	dma_release_channel(chan);
}


/* The hardware bursts are 4, 8 and 16 beats (SxCR.MBURST/PBURST; no
 * INCR2): a buffer aligned for two beats but not four takes single
 * accesses, not a burst code the register cannot hold. Found by the
 * soak (seed 6): a word-wide transmit 8 bytes off a 16-byte boundary was
 * refused at enable (FEIF), a memcpy 2 bytes off got INCR8. */
static void memory_burst_is_never_two_beats(void **state)
{
	struct dma_chan *chan = slave_chan("spi4", 0, 26, 4, 4);
	unsigned n = (unsigned)chan->chan_id;
	unsigned char out[1024];
	struct dma_xfer *x;
	struct sbuf b;
	uint32_t cr;

	sbuf_new(&b, chan, 4096, 3);
	assert_int_equal(dma_xfer_slave(b.att, 8, sizeof(out), DMA_MEM_TO_DEV, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), 1);
	cr = stm32_sim_last_cr(sim, 0, n);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MBURST, cr), STM32_DMA_BURST_SINGLE);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_PBURST, cr), STM32_DMA_BURST_INCR4);
	assert_int_equal(stm32_sim_periph_pop(sim, 26, out, sizeof(out)), (long)sizeof(out));
	assert_memory_equal(out, b.cpu + 8, sizeof(out));
	dma_xfer_unref(x);
	sbuf_free(&b);
	dma_release_channel(chan);

	/* memcpy, both sides 2 bytes off a word: byte items, no burst. */
	chan = memcpy_chan(0);
	copy_and_check(chan, 64, 2, 2);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MBURST, stm32_sim_last_cr(sim, 0, 0)),
			 STM32_DMA_BURST_SINGLE);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_PBURST, stm32_sim_last_cr(sim, 0, 0)),
			 STM32_DMA_BURST_SINGLE);
	dma_release_channel(chan);
}

/* A request line chosen in the slave config (the node's
 * DMABUFD_DMA_CFG_REQUEST_LINE sets chan->request_line, then configures)
 * routes the channel's next transfers: DMAMUX1 is reprogrammed when one
 * starts, not left at the line the channel was taken with. */
static void request_line_from_the_slave_config_routes_the_next_transfer(void **state)
{
	struct dma_chan *chan = slave_chan("sai2", 0, 37, 1, 1);
	uint32_t ccr = STM32_DMAMUX_CxCR(stm32_dmamux_channel(0, (unsigned)chan->chan_id));
	struct dma_slave_config cfg = {
		.src_addr = stm32_sim_periph_addr(38), .src_addr_width = 1, .src_maxburst = 1,
	};
	unsigned char data[100];
	struct dma_xfer *x;
	struct sbuf b;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i + 9);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMAMUX1, ccr), 37);
	/* Beyond the DMAMUX inputs (dma-requests = 128): refused. */
	chan->request_line = 200;
	assert_int_equal(dmaengine_slave_config(chan, &cfg), -EINVAL);
	chan->request_line = 38;
	assert_int_equal(dmaengine_slave_config(chan, &cfg), 0);
	sbuf_new(&b, chan, 4096, 0);
	assert_int_equal(dma_xfer_slave(b.att, 0, sizeof(data), DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_int_equal(stm32_sim_periph_push(sim, 38, data, sizeof(data)), (long)sizeof(data));
	assert_true(run_until(fence_done, dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(b.cpu, data, sizeof(data));
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMAMUX1, ccr), 38);
	dma_xfer_unref(x);
	sbuf_free(&b);
	dma_release_channel(chan);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMAMUX1, ccr), 0);
}

/* Step the bus until stream @n has read every item (NDTR 0) while its
 * FIFO still holds bytes for memory. */
static void step_to_last_item_read(unsigned n)
{
	for (unsigned i = 0; i < 1000; i++) {
		if (!stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxNDTR(n)))
			break;
		stm32_sim_step(sim, 1);
	}
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxNDTR(n)), 0);
	assert_int_not_equal(STM32_FIELD_GET(STM32_DMA_SxFCR_FS,
					     stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxFCR(n))),
			     STM32_DMA_FS_EMPTY);
}

/* A pause whose stop meets the end of a segment (every item read, the
 * FIFO flushed by the stop) is that segment's completion: a transfer
 * that ended completes (pause -EPERM), a cyclic period is reported and
 * the pause holds before the next one. Found by the soak (seed 1002):
 * the period's callback waited for the resume, the residue read 0. */
static void pause_as_the_segment_ends_reports_it(void **state)
{
	struct dma_chan *chan = slave_chan("sai3", 0, 28, 1, 4);
	unsigned n = (unsigned)chan->chan_id;
	unsigned char data[128];
	struct periods pc = { 0 };
	struct dma_tx_state ts;
	struct dma_xfer *x;
	struct sbuf b;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 29 + 3);
	sbuf_new(&b, chan, 4096, 0);
	/* Byte items in bursts of 4, word memory accesses one at a time (the
	 * buffer is 4 bytes off 16): the FIFO drains behind the reads. */
	assert_int_equal(dma_xfer_slave(b.att, 4, 64, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	assert_int_equal(stm32_sim_periph_push(sim, 28, data, 64), 64);
	step_to_last_item_read(n);
	assert_int_equal(dmaengine_pause(chan), -EPERM);
	dma_cq_drain();
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(b.cpu + 4, data, 64);
	dma_xfer_unref(x);

	/* One period, circular. */
	assert_int_equal(dma_xfer_cyclic(b.att, 4, 64, 64, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_set_period_cb(x, on_period, &pc), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	assert_int_equal(stm32_sim_periph_push(sim, 28, data + 64, 64), 64);
	step_to_last_item_read(n);
	assert_int_equal(dmaengine_pause(chan), 0);
	dma_cq_drain();
	assert_int_equal(pc.n, 1);
	assert_memory_equal(b.cpu + 4, data + 64, 64);
	assert_int_equal(dmaengine_tx_status(chan, dma_xfer_cookie(x), &ts), DMA_PAUSED);
	assert_int_equal(ts.residue, 64);
	assert_int_equal(dmaengine_resume(chan), 0);
	assert_true(stm32_sim_last_cr(sim, 0, n) & STM32_DMA_SxCR_CIRC);
	assert_int_equal(stm32_sim_periph_push(sim, 28, data, 64), 64);
	{
		uint64_t deadline = real_ms() + 10000;

		while (pc.n < 2 && real_ms() < deadline) {
			sim_poll();
			dma_cq_drain();
		}
	}
	assert_int_equal(pc.n, 2);
	assert_memory_equal(b.cpu + 4, data, 64);
	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	dma_xfer_unref(x);
	sbuf_free(&b);
	dma_release_channel(chan);
}

/* ------------------------------------------------------------------ */
/* TRBUFF and the peripheral as flow controller */

/* The CR a slave transfer on @chan is started with. */
static uint32_t slave_cr(struct dma_chan *chan, struct sbuf *b, enum dma_transfer_direction dir)
{
	struct dma_async_tx_descriptor *tx = NULL;
	uint32_t cr;

	assert_int_equal(dmaengine_prep_slave_single(chan, b->dma, 64, dir, 0, &tx), 0);
	assert_true(dmaengine_submit(tx) > 0);
	dma_async_issue_pending(chan);
	sim_poll();
	cr = stm32_sim_last_cr(sim, 0, (unsigned)chan->chan_id);
	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	return cr;
}

/* The per-channel config: @trbuff, other fields at their defaults. */
static int set_trbuff(struct dma_chan *chan, unsigned line, unsigned trbuff)
{
	struct stm32_dma_chan_config feat = {
		.fifo_threshold = STM32_DMA_FTH_FULL, .trbuff = trbuff,
	};
	struct dma_slave_config cfg = {
		.src_addr = stm32_sim_periph_addr(line), .dst_addr = stm32_sim_periph_addr(line),
		.src_addr_width = 1, .dst_addr_width = 1, .src_maxburst = 1, .dst_maxburst = 1,
		.peripheral_config = &feat, .peripheral_size = sizeof(feat),
	};

	return dmaengine_slave_config(chan, &cfg);
}

/* dmabufd.conf's trbuff-on / trbuff-off: the controller's table per
 * request line, under a channel's own setting. */
static void trbuff_per_request_line_from_the_controller_config(void **state)
{
	struct stm32_dma_config cfg;
	struct dma_chan *uart, *spi, *spi2;
	struct sbuf b;

	stm32_dma_remove(dmas[0]);
	dmas[0] = NULL;
	stm32_dma_config_default(&cfg);
	snprintf(cfg.name, sizeof(cfg.name), "dma1");
	cfg.env = stm32_sim_env(sim);
	cfg.uio_name = "dma1";
	cfg.mmio = &stm32_sim_mmio_ops;
	cfg.mmio_data = sim;
	cfg.trbuff[41] = STM32_DMA_TRBUFF_OFF; /* USART1_RX */
	cfg.trbuff[37] = STM32_DMA_TRBUFF_ON;  /* SPI1_RX */
	cfg.trbuff[3] = 3;
	assert_int_equal(stm32_dma_create(&cfg, &dmas[0]), -EINVAL);
	cfg.trbuff[3] = STM32_DMA_TRBUFF_AUTO;
	assert_int_equal(stm32_dma_create(&cfg, &dmas[0]), 0);
	uart = slave_chan("usart1", 0, 41, 1, 1);
	spi = slave_chan("spi1", 0, 37, 1, 1);
	spi2 = slave_chan("spi2", 0, 39, 1, 1);
	sbuf_new(&b, uart, 4096, 0);
	assert_false(slave_cr(uart, &b, DMA_MEM_TO_DEV) & STM32_DMA_SxCR_TRBUFF);
	assert_true(slave_cr(spi, &b, DMA_MEM_TO_DEV) & STM32_DMA_SxCR_TRBUFF);
	assert_false(slave_cr(spi2, &b, DMA_MEM_TO_DEV) & STM32_DMA_SxCR_TRBUFF);
	/* A channel's own setting still wins. */
	assert_int_equal(set_trbuff(uart, 41, STM32_DMA_TRBUFF_ON), 0);
	assert_true(slave_cr(uart, &b, DMA_MEM_TO_DEV) & STM32_DMA_SxCR_TRBUFF);
	sbuf_free(&b);
	dma_release_channel(uart);
	dma_release_channel(spi);
	dma_release_channel(spi2);
}

static void trbuff_on_for_usart_requests_by_default_and_per_channel(void **state)
{
	struct dma_chan *uart = slave_chan("usart1", 0, 41, 1, 1);
	struct dma_chan *spi = slave_chan("spi1", 0, 37, 1, 1);
	struct sbuf b;

	sbuf_new(&b, uart, 4096, 0);
	/* USART1_TX / RX: on by default, both directions. */
	assert_true(slave_cr(uart, &b, DMA_MEM_TO_DEV) & STM32_DMA_SxCR_TRBUFF);
	assert_true(slave_cr(uart, &b, DMA_DEV_TO_MEM) & STM32_DMA_SxCR_TRBUFF);
	/* SPI1: off by default. */
	assert_false(slave_cr(spi, &b, DMA_MEM_TO_DEV) & STM32_DMA_SxCR_TRBUFF);
	/* Overridden per channel. */
	assert_int_equal(set_trbuff(uart, 41, STM32_DMA_TRBUFF_OFF), 0);
	assert_false(slave_cr(uart, &b, DMA_MEM_TO_DEV) & STM32_DMA_SxCR_TRBUFF);
	assert_int_equal(set_trbuff(spi, 37, STM32_DMA_TRBUFF_ON), 0);
	assert_true(slave_cr(spi, &b, DMA_DEV_TO_MEM) & STM32_DMA_SxCR_TRBUFF);
	assert_int_equal(set_trbuff(spi, 37, 3), -EINVAL);
	/* The U(S)ART inputs of DMAMUX1 and their neighbours. */
	assert_true(stm32_dma_request_is_usart(41) && stm32_dma_request_is_usart(46));
	assert_true(stm32_dma_request_is_usart(63) && stm32_dma_request_is_usart(66));
	assert_true(stm32_dma_request_is_usart(71) && stm32_dma_request_is_usart(72));
	assert_true(stm32_dma_request_is_usart(79) && stm32_dma_request_is_usart(82));
	assert_false(stm32_dma_request_is_usart(40) || stm32_dma_request_is_usart(47));
	assert_false(stm32_dma_request_is_usart(62) || stm32_dma_request_is_usart(67));
	assert_false(stm32_dma_request_is_usart(70) || stm32_dma_request_is_usart(73));
	assert_false(stm32_dma_request_is_usart(78) || stm32_dma_request_is_usart(83));
	assert_false(stm32_dma_request_is_usart(0));
	sbuf_free(&b);
	dma_release_channel(uart);
	dma_release_channel(spi);
}

/* A channel whose peripheral is the flow controller (device_fc). */
static struct dma_chan *fc_chan(const char *consumer, int line, unsigned width, unsigned burst)
{
	struct dma_chan *chan = slave_chan(consumer, 0, line, width, burst);
	struct dma_slave_config cfg = {
		.src_addr = stm32_sim_periph_addr((unsigned)line),
		.dst_addr = stm32_sim_periph_addr((unsigned)line),
		.src_addr_width = width, .dst_addr_width = width,
		.src_maxburst = burst, .dst_maxburst = burst,
		.device_fc = true,
	};

	assert_int_equal(dmaengine_slave_config(chan, &cfg), 0);
	return chan;
}

static dma_cookie_t fc_submit(struct dma_chan *chan, dma_addr_t addr, size_t len,
			      enum dma_transfer_direction dir, struct cb_rec *rec)
{
	struct dma_async_tx_descriptor *tx = NULL;
	dma_cookie_t cookie;

	assert_int_equal(dmaengine_prep_slave_single(chan, addr, len, dir,
						     DMA_PREP_INTERRUPT, &tx), 0);
	tx->callback_result = cb_result;
	tx->callback_param = rec;
	cookie = dmaengine_submit(tx);
	assert_true(cookie > 0);
	dma_async_issue_pending(chan);
	return cookie;
}

/* Peripheral to memory: the peripheral's last request ends the transfer
 * short of the buffer; the completion says how much was left. */
static void flow_controller_peripheral_ends_the_transfer_with_residue(void **state)
{
	struct dma_chan *chan = fc_chan("sdmmc1", 20, 1, 1);
	unsigned n = (unsigned)chan->chan_id;
	unsigned char data[500], rest[200];
	struct cb_rec rec = { 0 };
	struct dma_tx_state ts;
	dma_cookie_t cookie;
	struct sbuf b;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 1);
	sbuf_new(&b, chan, 4096, 0);
	memset(b.cpu, 0xee, 4096);
	cookie = fc_submit(chan, b.dma, 1000, DMA_DEV_TO_MEM, &rec);
	sim_poll();
	/* PFCTRL set; NDTR forced to 0xFFFF at enable. */
	assert_true(stm32_sim_last_cr(sim, 0, n) & STM32_DMA_SxCR_PFCTRL);
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxNDTR(n)), 0xFFFF);
	assert_int_equal(dmaengine_tx_status(chan, cookie, &ts), DMA_IN_PROGRESS);
	assert_int_equal(ts.residue, 1000);
	/* 120 bytes, no end yet: the residue counts them. */
	assert_int_equal(stm32_sim_periph_push(sim, 20, data, 120), 120);
	sim_poll();
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxNDTR(n)), 0xFFFF - 120);
	assert_int_equal(dmaengine_tx_status(chan, cookie, &ts), DMA_IN_PROGRESS);
	assert_int_equal(ts.residue, 880);
	/* The peripheral ends after 300 bytes in all. */
	assert_int_equal(stm32_sim_periph_last(sim, 20, 180), 0);
	assert_int_equal(stm32_sim_periph_push(sim, 20, data + 120, 380), 380);
	assert_true(run_until(calls_reached, &rec));
	assert_int_equal(rec.last.result, DMA_TRANS_NOERROR);
	assert_int_equal(rec.last.residue, 700);
	assert_int_equal(dmaengine_tx_status(chan, cookie, &ts), DMA_COMPLETE);
	assert_memory_equal(b.cpu, data, 300);
	assert_int_equal(b.cpu[300], 0xee);
	/* The rest stays in the peripheral. */
	assert_int_equal(stm32_sim_periph_pop(sim, 20, rest, sizeof(rest)), 200);
	assert_memory_equal(rest, data + 300, 200);
	sbuf_free(&b);
	dma_release_channel(chan);
}

/* Memory to peripheral: the peripheral takes what it wants; the entries
 * of an sg list are one hardware transfer each. */
static void flow_controller_memory_to_peripheral_and_sg_entries(void **state)
{
	struct dma_chan *chan = fc_chan("sdmmc2", 22, 4, 4);
	struct dma_async_tx_descriptor *tx = NULL;
	unsigned char out[4096];
	struct cb_rec rec = { 0 };
	struct sbuf b;
	dma_sg_t sg[2];

	sbuf_new(&b, chan, 8192, 5);
	sg[0] = (dma_sg_t){ .dma_addr = b.dma, .length = 1024 };
	sg[1] = (dma_sg_t){ .dma_addr = b.dma + 4096, .length = 2048 };
	assert_int_equal(dmaengine_prep_slave_sg(chan, sg, 2, DMA_MEM_TO_DEV, DMA_PREP_INTERRUPT,
						 &tx), 0);
	tx->callback_result = cb_result;
	tx->callback_param = &rec;
	assert_true(dmaengine_submit(tx) > 0);
	/* Entry 1 ends after 256 bytes, entry 2 after all 2048. */
	assert_int_equal(stm32_sim_periph_last(sim, 22, 256), 0);
	assert_int_equal(stm32_sim_periph_last(sim, 22, 2048), 0);
	dma_async_issue_pending(chan);
	assert_true(run_until(calls_reached, &rec));
	assert_int_equal(rec.last.result, DMA_TRANS_NOERROR);
	assert_int_equal(rec.last.residue, 1024 - 256);
	assert_int_equal(stm32_sim_periph_pop(sim, 22, out, sizeof(out)), 256 + 2048);
	assert_memory_equal(out, b.cpu, 256);
	assert_memory_equal(out + 256, b.cpu + 4096, 2048);
	assert_int_equal(stm32_sim_starts(sim, 0, (unsigned)chan->chan_id), 2);
	/* An entry NDTR cannot bound is refused. */
	sg[0].length = 0x10000 * 4;
	assert_int_equal(dmaengine_prep_slave_sg(chan, sg, 1, DMA_MEM_TO_DEV, 0, &tx), -EINVAL);
	sbuf_free(&b);
	dma_release_channel(chan);
}

/* Pause and resume go on from what the segment moved (NDTR restarts from
 * 0xFFFF at each enable); terminate gives the descriptor back. */
static void flow_controller_pause_resume_and_terminate_keep_the_residue(void **state)
{
	struct dma_chan *chan = fc_chan("sdmmc1", 23, 2, 1);
	unsigned char data[600];
	struct cb_rec rec = { 0 };
	struct dma_tx_state ts;
	dma_cookie_t cookie;
	struct sbuf b;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i ^ 0x5a);
	sbuf_new(&b, chan, 4096, 0);
	cookie = fc_submit(chan, b.dma, 1000, DMA_DEV_TO_MEM, &rec);
	assert_int_equal(stm32_sim_periph_push(sim, 23, data, 200), 200);
	sim_poll();
	assert_int_equal(dmaengine_pause(chan), 0);
	assert_int_equal(dmaengine_tx_status(chan, cookie, &ts), DMA_PAUSED);
	assert_int_equal(ts.residue, 800);
	assert_int_equal(dmaengine_resume(chan), 0);
	sim_poll();
	assert_int_equal(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxM0AR(chan->chan_id)),
			 (uint32_t)b.dma + 200);
	assert_int_equal(dmaengine_tx_status(chan, cookie, &ts), DMA_IN_PROGRESS);
	assert_int_equal(ts.residue, 800);
	assert_int_equal(stm32_sim_periph_push(sim, 23, data + 200, 100), 100);
	sim_poll();
	assert_int_equal(dmaengine_tx_status(chan, cookie, &ts), DMA_IN_PROGRESS);
	assert_int_equal(ts.residue, 700);
	/* Ends 150 bytes later. */
	assert_int_equal(stm32_sim_periph_last(sim, 23, 150), 0);
	assert_int_equal(stm32_sim_periph_push(sim, 23, data + 300, 300), 300);
	assert_true(run_until(calls_reached, &rec));
	assert_int_equal(rec.last.result, DMA_TRANS_NOERROR);
	assert_int_equal(rec.last.residue, 550);
	assert_memory_equal(b.cpu, data, 450);
	assert_int_equal(stm32_sim_periph_level(sim, 23), 150);

	/* Terminated midway: aborted, nothing more moves. */
	rec.calls = 0;
	cookie = fc_submit(chan, b.dma, 1000, DMA_DEV_TO_MEM, &rec);
	sim_poll();
	assert_int_equal(stm32_sim_periph_level(sim, 23), 0);
	assert_int_equal(dmaengine_tx_status(chan, cookie, &ts), DMA_IN_PROGRESS);
	assert_int_equal(ts.residue, 850);
	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	assert_int_equal(dmaengine_tx_status(chan, cookie, &ts), DMA_ERROR);
	assert_false(stm32_sim_peek(sim, STM32_SIM_DMA1, STM32_DMA_SxCR(chan->chan_id)) &
		     STM32_DMA_SxCR_EN);
	sbuf_free(&b);
	dma_release_channel(chan);
}

/* A bus error ends a flow-controlled transfer as any other; cyclic
 * transfers take no PFCTRL (circular and double-buffer modes need the DMA
 * as flow controller). */
static void flow_controller_errors_and_cyclic_without_it(void **state)
{
	struct dma_chan *chan = fc_chan("sdmmc1", 24, 1, 1);
	unsigned n = (unsigned)chan->chan_id;
	unsigned char data[64] = { 0 };
	struct cb_rec rec = { 0 };
	struct dma_xfer *x;
	struct sbuf b;

	sbuf_new(&b, chan, 4096, 0);
	assert_int_equal(stm32_sim_bus_error(sim, b.dma + 32, 4, STM32_SIM_WRITE), 0);
	fc_submit(chan, b.dma, 1000, DMA_DEV_TO_MEM, &rec);
	assert_int_equal(stm32_sim_periph_push(sim, 24, data, 64), 64);
	assert_true(run_until(calls_reached, &rec));
	/* Failed (which port, the driver guesses: stm32_dma.h); NDTR counts
	 * the items read from the peripheral, the failed one included. */
	assert_true(rec.last.result == DMA_TRANS_READ_FAILED ||
		    rec.last.result == DMA_TRANS_WRITE_FAILED);
	assert_int_equal(rec.last.residue, 1000 - 33);
	stm32_sim_clear_bus_errors(sim);

	assert_int_equal(dma_xfer_cyclic(b.att, 0, 1024, 256, DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	sim_poll();
	assert_false(stm32_sim_last_cr(sim, 0, n) & STM32_DMA_SxCR_PFCTRL);
	assert_true(stm32_sim_last_cr(sim, 0, n) & STM32_DMA_SxCR_DBM);
	assert_int_equal(stm32_sim_last_ndtr(sim, 0, n), 256);
	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	dma_xfer_unref(x);
	sbuf_free(&b);
	dma_release_channel(chan);
}

/* ------------------------------------------------------------------ */
/* Soak: random slave (half of them with the peripheral as the flow
 * controller), cyclic and memcpy transfers, two at a time, with
 * random interrupt service latency, stop delay, bus budgets and random
 * pause/resume/terminate; every transfer must end with the right result,
 * residue and bytes. Deterministic for a seed: the suite runs
 * SOAK_DEFAULT_SEED (so a run of the suite is the same run everywhere);
 * DMABUFD_STM32_SOAK_SEED replays another (printed at the start), or
 * "random" takes one from the clock; DMABUFD_STM32_SOAK_ITERS sets the
 * iterations (default 60: it also runs under valgrind, TSan and
 * qemu-user), DMABUFD_STM32_SOAK_VERBOSE=1 prints each transfer. */

#define SOAK_DEFAULT_SEED 20261205u

enum soak_kind { SOAK_MEMCPY, SOAK_RX, SOAK_TX, SOAK_CYCLIC };
enum soak_action { SOAK_RUN, SOAK_PAUSE, SOAK_TERMINATE };

#define SOAK_BUF (128u << 10)
#define SOAK_GUARD 64u

static uint64_t soak_state;
static bool soak_verbose;

static uint32_t soak_rand(void)
{
	/* xorshift64* */
	soak_state ^= soak_state >> 12;
	soak_state ^= soak_state << 25;
	soak_state ^= soak_state >> 27;
	return (uint32_t)((soak_state * UINT64_C(2685821657736338717)) >> 32);
}

/* Uniform in [lo, hi]. */
static uint32_t soak_range(uint32_t lo, uint32_t hi)
{
	return lo + soak_rand() % (hi - lo + 1);
}

/* Byte @j of the data stream of job salt @salt. */
static unsigned char soak_byte(uint32_t salt, size_t j)
{
	uint32_t v = (uint32_t)j * 2654435761u + salt;

	return (unsigned char)(v >> 24 ^ v >> 11 ^ v);
}

struct soak_chan {
	struct dma_chan *chan;
	unsigned ctrl, line;	/* line 0: memcpy */
	struct sbuf a, b;	/* memcpy: source a, destination b; slave: b */
};

struct soak_job {
	struct soak_chan *sc;
	enum soak_kind kind;
	enum soak_action action;
	uint32_t salt;
	unsigned width, nper, latency;
	size_t off, len, period;
	size_t target;		/* cyclic: bytes the peripheral sends in all */
	size_t fed, taken;	/* peripheral side: pushed (RX) / popped (TX) */
	unsigned act_at, resume_at, step;
	dma_cookie_t cookie;
	struct cb_rec rec;
	unsigned periods;
	bool paused, acted, terminated, finished;
	bool fc;		/* rx/tx: the peripheral is the flow controller */
	size_t end;		/* fc: bytes after which the peripheral ends */
	unsigned char *sent;	/* TX: what the peripheral got */
};

static const char *const soak_kinds[] = { "memcpy", "rx", "tx", "cyclic" };
static const char *const soak_actions[] = { "run", "pause", "terminate" };

static void soak_period(void *param)
{
	((struct soak_job *)param)->periods++;
}

/* Memory written at the destination so far (memcpy, RX): the length of
 * the prefix that holds the data (the rest holds its complement). */
static size_t soak_written(struct soak_job *j)
{
	const unsigned char *dst = j->sc->b.cpu + j->off;
	size_t n = 0;

	while (n < j->len && dst[n] == (j->kind == SOAK_MEMCPY ? j->sc->a.cpu[j->off + n]
							    : soak_byte(j->salt, n)))
		n++;
	return n;
}

/* The residue the driver must give for @exact bytes not transferred:
 * rounded up to a whole memory burst of the running segment, at most
 * the length (stm32_dma.h "Residue"). */
static size_t soak_round(struct soak_job *j, size_t exact, size_t len)
{
	uint32_t cr = stm32_sim_last_cr(sim, j->sc->ctrl, (unsigned)j->sc->chan->chan_id);
	static const unsigned beats[4] = { 1, 4, 8, 16 };
	unsigned mb = beats[STM32_FIELD_GET(STM32_DMA_SxCR_MBURST, cr)];
	size_t bb = mb > 1 ? mb << STM32_FIELD_GET(STM32_DMA_SxCR_MSIZE, cr) : 0;

	if (bb && exact % bb)
		exact += bb - exact % bb;
	return exact < len ? exact : len;
}

/* Bytes the stream has moved through the peripheral so far. */
static size_t soak_moved(struct soak_job *j)
{
	long lvl = stm32_sim_periph_level(sim, j->sc->line);

	assert_true(lvl >= 0);
	return j->kind == SOAK_TX ? j->taken + (size_t)lvl : j->fed - (size_t)lvl;
}

/* The residue the driver must report now (stopped or paused stream, or
 * a running one the bus has left idle). */
static size_t soak_expected_residue(struct soak_job *j)
{
	switch (j->kind) {
	case SOAK_MEMCPY:
	case SOAK_RX:
		if (j->kind == SOAK_RX)
			assert_int_equal(soak_written(j), soak_moved(j));
		return soak_round(j, j->len - soak_written(j), j->len);
	case SOAK_TX:
		return soak_round(j, j->len - soak_moved(j), j->len);
	case SOAK_CYCLIC:
		return soak_round(j, j->len - soak_moved(j) % j->len, j->len);
	}
	return 0;
}

static void soak_check_residue(struct soak_job *j, enum dma_status want)
{
	struct dma_tx_state ts;

	assert_int_equal(dmaengine_tx_status(j->sc->chan, j->cookie, &ts), want);
	if (soak_verbose && ts.residue != soak_expected_residue(j))
		fprintf(stderr, "# %s residue %u, want %zu (step %u, moved %zu, NDTR %u, CR 0x%08x)\n",
			want == DMA_PAUSED ? "paused" : "running", ts.residue,
			soak_expected_residue(j), j->step, soak_moved(j),
			stm32_sim_peek(sim, j->sc->ctrl, STM32_DMA_SxNDTR(j->sc->chan->chan_id)),
			stm32_sim_peek(sim, j->sc->ctrl, STM32_DMA_SxCR(j->sc->chan->chan_id)));
	assert_int_equal(ts.residue, soak_expected_residue(j));
}

static void soak_start(struct soak_job *j)
{
	struct soak_chan *sc = j->sc;
	struct dma_async_tx_descriptor *tx = NULL;
	unsigned n = (unsigned)sc->chan->chan_id;

	/* Buffers: the data where a transfer reads, its complement where
	 * it writes, guards around. */
	for (size_t i = 0; i < SOAK_BUF; i++) {
		unsigned char v = soak_byte(j->salt, i - j->off);

		if (j->kind == SOAK_MEMCPY) {
			sc->a.cpu[i] = v;
			sc->b.cpu[i] = (unsigned char)~v;
		} else {
			sc->b.cpu[i] = j->kind == SOAK_TX ? v : (unsigned char)~v;
		}
	}
	assert_int_equal(stm32_sim_set_irq_latency(sim, sc->ctrl, n, j->latency), 0);
	switch (j->kind) {
	case SOAK_MEMCPY:
		assert_int_equal(dmaengine_prep_dma_memcpy(sc->chan, sc->b.dma + j->off,
							   sc->a.dma + j->off, j->len,
							   DMA_PREP_INTERRUPT, &tx), 0);
		break;
	case SOAK_RX:
	case SOAK_TX:
		assert_int_equal(dmaengine_prep_slave_single(sc->chan, sc->b.dma + j->off, j->len,
							     j->kind == SOAK_TX ? DMA_MEM_TO_DEV
										: DMA_DEV_TO_MEM,
							     DMA_PREP_INTERRUPT, &tx), 0);
		break;
	case SOAK_CYCLIC:
		assert_int_equal(dmaengine_prep_dma_cyclic(sc->chan, sc->b.dma + j->off, j->len,
							   j->period, DMA_DEV_TO_MEM,
							   DMA_PREP_INTERRUPT, &tx), 0);
		tx->callback = soak_period;
		tx->callback_param = j;
		break;
	}
	if (j->kind != SOAK_CYCLIC) {
		tx->callback_result = cb_result;
		tx->callback_param = &j->rec;
	}
	j->cookie = dmaengine_submit(tx);
	assert_true(j->cookie > 0);
	dma_async_issue_pending(sc->chan);
}

/* The peripheral's side of one step: send or take a random chunk. */
static void soak_feed(struct soak_job *j)
{
	unsigned char chunk[512];
	size_t want = soak_range(0, sizeof(chunk)), total;
	long r;

	if (j->kind == SOAK_TX) {
		r = stm32_sim_periph_pop(sim, j->sc->line, chunk, want);
		assert_true(r >= 0);
		memcpy(j->sent + j->taken, chunk, (size_t)r);
		j->taken += (size_t)r;
		return;
	}
	if (j->kind == SOAK_MEMCPY)
		return;
	total = j->kind == SOAK_RX ? (j->fc ? j->end : j->len) : j->target;
	if (want > total - j->fed)
		want = total - j->fed;
	for (size_t i = 0; i < want; i++)
		chunk[i] = soak_byte(j->salt, j->fed + i);
	r = stm32_sim_periph_push(sim, j->sc->line, chunk, want);
	assert_true(r >= 0);
	j->fed += (size_t)r;
}

static void soak_act(struct soak_job *j)
{
	int r;

	if (j->finished || j->rec.calls)
		return;
	if (j->paused && j->step >= j->resume_at) {
		soak_check_residue(j, DMA_PAUSED);
		assert_int_equal(dmaengine_resume(j->sc->chan), 0);
		j->paused = false;
		return;
	}
	if (j->acted || j->step < j->act_at)
		return;
	j->acted = true;
	if (j->action == SOAK_PAUSE) {
		r = dmaengine_pause(j->sc->chan);
		if (r == -EPERM) {
			/* Ended before: its completion is pending. */
			dma_cq_drain();
			assert_true(j->rec.calls == 1 && j->kind != SOAK_CYCLIC);
			return;
		}
		assert_int_equal(r, 0);
		assert_false(stm32_sim_peek(sim, j->sc->ctrl, STM32_DMA_SxCR(j->sc->chan->chan_id)) &
			     STM32_DMA_SxCR_EN);
		soak_check_residue(j, DMA_PAUSED);
		j->paused = true;
		j->resume_at = j->step + soak_range(1, 6);
	} else if (j->action == SOAK_TERMINATE) {
		dma_cq_drain();
		if (j->rec.calls)
			return; /* completed first */
		assert_int_equal(dmaengine_terminate_sync(j->sc->chan), 0);
		dma_cq_drain();
		assert_int_equal(j->rec.calls, 0);
		assert_false(stm32_sim_peek(sim, j->sc->ctrl, STM32_DMA_SxCR(j->sc->chan->chan_id)) &
			     STM32_DMA_SxCR_EN);
		j->terminated = j->finished = true;
	}
}

/* After it ended: the bytes, and nothing written outside them. */
static void soak_check_end(struct soak_job *j)
{
	const unsigned char *b = j->sc->b.cpu;
	size_t done = j->fc ? j->end : j->len;

	if (j->kind == SOAK_CYCLIC) {
		size_t moved = soak_moved(j);


		for (size_t k = moved > j->len ? moved - j->len : 0; k < moved; k++)
			if (b[j->off + k % j->len] != soak_byte(j->salt, k))
				fail_msg("cyclic byte %zu (ring %zu) of %zu wrong: %02x, want %02x", k,
					 k % j->len, moved, b[j->off + k % j->len], soak_byte(j->salt, k));
		for (size_t k = 0; k < SOAK_BUF; k++)
			if ((k < j->off || k >= j->off + j->len) &&
			    b[k] != (unsigned char)~soak_byte(j->salt, k - j->off))
				fail_msg("byte %zd written outside the ring", (ssize_t)(k - j->off));
		return;
	}
	if (j->kind == SOAK_TX) {
		unsigned char rest[4096];
		long r = stm32_sim_periph_pop(sim, j->sc->line, rest, sizeof(rest));

		assert_true(r >= 0);
		memcpy(j->sent + j->taken, rest, (size_t)r);
		j->taken += (size_t)r;
		if (j->terminated)
			assert_true(j->taken <= j->len);
		else
			assert_int_equal(j->taken, j->fc ? j->end : j->len);
		assert_memory_equal(j->sent, b + j->off, j->taken);
		return;
	}
	if (j->terminated) {
		done = soak_written(j);
		if (j->kind == SOAK_RX)
			assert_int_equal(done, soak_moved(j));
	}
	for (size_t k = 0; k < SOAK_BUF; k++) {
		unsigned char want = j->kind == SOAK_MEMCPY ? j->sc->a.cpu[k]
							    : soak_byte(j->salt, k - j->off);

		if (k >= j->off && k < j->off + done) {
			if (b[k] != want)
				fail_msg("%s: byte %zu not written", soak_kinds[j->kind], k - j->off);
		} else if (b[k] != (unsigned char)~soak_byte(j->salt, k - j->off)) {
			fail_msg("byte %zd written outside [0, %zu)", (ssize_t)(k - j->off), done);
		}
	}
}

/* Run the bus with everything serviced until no stream moves. */
static void soak_settle(void)
{
	for (unsigned i = 0; i < 256; i++) {
		size_t moved = stm32_sim_step(sim, SIZE_MAX);
		unsigned serviced = irq_service();

		dma_cq_drain();
		if (!moved && !serviced)
			return;
	}
	fail_msg("the simulator does not settle");
}

static void soak_job_new(struct soak_job *j, struct soak_chan *sc)
{
	unsigned max_items;

	memset(j, 0, sizeof(*j));
	j->sc = sc;
	j->salt = soak_rand();
	j->action = (enum soak_action)soak_range(0, 2);
	j->latency = soak_range(0, 3);
	j->act_at = soak_range(0, 12);
	if (!sc->line) {
		j->kind = SOAK_MEMCPY;
		j->width = 1;
		j->len = soak_range(0, 7) ? soak_range(1, 20000) : soak_range(0xFFF0, 70000);
	} else {
		j->kind = (enum soak_kind)soak_range(SOAK_RX, SOAK_CYCLIC);
		j->width = 1u << soak_range(0, 2);
		max_items = j->kind == SOAK_CYCLIC ? 300 : 3000;
		if (j->kind == SOAK_CYCLIC) {
			j->nper = soak_range(1, 4);
			j->period = j->width * soak_range(4, max_items);
			j->len = j->period * j->nper;
			j->target = j->width * soak_range(1, (unsigned)(3 * j->len / j->width));
			/* A ring of more than two periods serviced a period
			 * late reuses a stale target (stm32h7-dma.md §7): its
			 * bytes then land out of order, as on hardware. A line
			 * that rises at a period end with latency 1 is serviced
			 * at the next one, so such rings run at latency 0 (the
			 * late service of rings is specified by the tests
			 * above). */
			if (j->nper > 2)
				j->latency = 0;
			if (j->action == SOAK_RUN)
				j->action = SOAK_TERMINATE; /* how a cyclic transfer ends */
		} else {
			j->len = j->width * soak_range(1, max_items);
			/* Half of them with the peripheral as the flow
			 * controller, ending at a random item. */
			j->fc = soak_range(0, 1);
			j->end = j->width * soak_range(1, (unsigned)(j->len / j->width));
		}
	}
	j->off = soak_range(0, 1) ? soak_range(1, 4096) : soak_range(0, 64) * 64;
	if (j->kind != SOAK_MEMCPY)
		j->off -= j->off % j->width;
	j->off += SOAK_GUARD;
	if (j->kind == SOAK_TX) {
		j->sent = malloc(j->len + 4096);
		assert_non_null(j->sent);
	}
	if (sc->line) {
		struct dma_slave_config cfg = {
			.src_addr = stm32_sim_periph_addr(sc->line),
			.dst_addr = stm32_sim_periph_addr(sc->line),
			.src_addr_width = j->width, .dst_addr_width = j->width,
		};

		cfg.device_fc = j->fc;
		assert_int_equal(stm32_sim_periph_last(sim, sc->line, 0), 0);
		if (j->fc)
			assert_int_equal(stm32_sim_periph_last(sim, sc->line, j->end), 0);
		cfg.src_maxburst = cfg.dst_maxburst = j->width == 4 ? soak_range(0, 1) * 4 :
						      1u << (2 * soak_range(0, 1));
		assert_int_equal(dmaengine_slave_config(sc->chan, &cfg), 0);
	}
}


static void soak_random_transfers_end_with_the_right_result_and_residue(void **state)
{
	const char *env = getenv("DMABUFD_STM32_SOAK_SEED");
	unsigned iters = 60;
	bool verbose = getenv("DMABUFD_STM32_SOAK_VERBOSE") != NULL;

	soak_verbose = verbose;
	struct soak_chan chans[4];
	uint64_t seed;

	if (!env || !*env) {
		seed = SOAK_DEFAULT_SEED;
	} else if (strcmp(env, "random") != 0) {
		seed = strtoull(env, NULL, 0);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid();
	}
	env = getenv("DMABUFD_STM32_SOAK_ITERS");
	if (env && *env)
		iters = (unsigned)strtoul(env, NULL, 0);
	fprintf(stderr, "# soak: seed %llu, %u iterations (replay: DMABUFD_STM32_SOAK_SEED=%llu)\n",
		(unsigned long long)seed, iters, (unsigned long long)seed);
	soak_state = seed ? seed : 1;

	/* memcpy on both controllers' stream 0, a slave channel on each. */
	for (unsigned i = 0; i < 2; i++) {
		chans[i] = (struct soak_chan){ .chan = memcpy_chan(i), .ctrl = i };
		sbuf_new(&chans[i].a, chans[i].chan, SOAK_BUF, 0);
		sbuf_new(&chans[i].b, chans[i].chan, SOAK_BUF, 0);
	}
	chans[2] = (struct soak_chan){ .chan = slave_chan("soak0", 0, 30, 1, 1), .ctrl = 0,
				       .line = 30 };
	chans[3] = (struct soak_chan){ .chan = slave_chan("soak1", 1, 31, 1, 1), .ctrl = 1,
				       .line = 31 };
	for (unsigned i = 2; i < 4; i++)
		sbuf_new(&chans[i].b, chans[i].chan, SOAK_BUF, 0);

	for (unsigned it = 0; it < iters; it++) {
		struct soak_job jobs[2];
		unsigned ctrl = soak_range(0, 1);

		/* A memcpy and a slave transfer, on one controller or both. */
		soak_job_new(&jobs[0], &chans[ctrl]);
		soak_job_new(&jobs[1], &chans[2 + soak_range(0, 1)]);
		stm32_sim_set_stop_delay(sim, soak_range(1, 4));
		for (unsigned k = 0; k < 2; k++) {
			if (verbose)
				fprintf(stderr, "# %u.%u: %s%s dma%u s%u len %zu off %zu width %u "
					"period %zu target %zu latency %u %s at %u\n", it, k,
					soak_kinds[jobs[k].kind], jobs[k].fc ? " fc" : "",
					jobs[k].sc->ctrl + 1,
					(unsigned)jobs[k].sc->chan->chan_id, jobs[k].len,
					jobs[k].off - SOAK_GUARD, jobs[k].width, jobs[k].period,
					jobs[k].target, jobs[k].latency,
					soak_actions[jobs[k].action], jobs[k].act_at);
			soak_start(&jobs[k]);
		}
		for (unsigned step = 0; step < 100000; step++) {
			bool busy = false;

			for (unsigned k = 0; k < 2; k++) {
				struct soak_job *j = &jobs[k];

				j->step = step;
				soak_feed(j);
				soak_act(j);
				if (j->kind == SOAK_CYCLIC && !j->finished && !j->paused &&
				    j->fed == j->target && soak_moved(j) == j->target) {
					/* All sent and moved: service what is
					 * pending, check, end it. */
					soak_settle();
					soak_check_residue(j, DMA_IN_PROGRESS);
					/* Late, ends serviced together count as
					 * one or two (one TC flag; CT parity). */
					if (!j->latency)
						assert_int_equal(j->periods, j->target / j->period);
					else
						assert_true(j->periods <= j->target / j->period);
					assert_int_equal(dmaengine_terminate_sync(j->sc->chan), 0);
					j->terminated = j->finished = true;
				}
				if (j->rec.calls && !j->finished) {
					if (verbose && j->rec.last.result != DMA_TRANS_NOERROR)
						fprintf(stderr, "# job %u result %d residue %u step %u\n", k,
							j->rec.last.result, j->rec.last.residue, step);
					assert_int_equal(j->rec.calls, 1);
					assert_int_equal(j->rec.last.result, DMA_TRANS_NOERROR);
					assert_int_equal(j->rec.last.residue,
							 j->fc ? j->len - j->end : 0);
					assert_int_equal(dmaengine_tx_status(j->sc->chan, j->cookie, NULL),
							 DMA_COMPLETE);
					j->finished = true;
				}
				busy |= !j->finished;
			}
			if (!busy)
				break;
			stm32_sim_step(sim, soak_range(1, 4096));
			irq_service();
			dma_cq_drain();
		}
		for (unsigned k = 0; k < 2; k++) {
			struct soak_job *j = &jobs[k];

			assert_true(j->finished);
			if (j->terminated && j->kind != SOAK_CYCLIC)
				assert_int_equal(dmaengine_tx_status(j->sc->chan, j->cookie, NULL),
						 DMA_ERROR);
			soak_check_end(j);
			if (j->sc->line) {
				unsigned char junk[4096];

				while (stm32_sim_periph_pop(sim, j->sc->line, junk, sizeof(junk)) > 0)
					;
			}
			free(j->sent);
		}
	}
	for (unsigned i = 0; i < 4; i++) {
		if (!chans[i].line)
			sbuf_free(&chans[i].a);
		sbuf_free(&chans[i].b);
		dma_release_channel(chans[i].chan);
	}
}

/* ------------------------------------------------------------------ */

#define st_test(fn) cmocka_unit_test_setup_teardown(fn, st_setup, st_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		st_test(memcpy_one_byte),
		st_test(memcpy_65535_items),
		st_test(memcpy_one_mib_chains_segments),
		st_test(memcpy_unaligned_odd_length),
		st_test(memcpy_on_dma2),
		st_test(refuses_itcm_dtcm_and_beyond_4g),
		st_test(dmamux_line_programmed_and_cleared),
		st_test(request_generator_lines_are_refused),
		st_test(slave_sg_width_and_burst_from_config),
		st_test(cyclic_one_period_is_circular),
		st_test(cyclic_two_periods_double_buffer),
		st_test(cyclic_five_periods_double_buffer_rewrites_idle_target),
		st_test(cyclic_double_buffer_serviced_two_periods_late_goes_on),
		st_test(cyclic_two_buffers_serviced_two_periods_late_keep_residue),
		st_test(residue_from_ndtr_and_pause_resume),
		st_test(resume_mid_word_keeps_memory_accesses_aligned),
		st_test(residue_rounds_up_to_memory_burst),
		st_test(terminate_waits_for_en_to_clear),
		st_test(bus_error_fails_the_transfer_and_the_channel_recovers),
		st_test(stalled_stream_times_out_and_the_channel_recovers),
		st_test(fifo_and_direct_mode_errors),
		st_test(direct_mode_fifo_error_is_counted_not_fatal),
		st_test(direct_mode_overrun_from_a_busy_memory_port_loses_nothing),
		st_test(fifo_mode_overrun_from_a_busy_memory_port_loses_nothing),
		st_test(unaligned_memory_takes_the_fifo_not_direct_mode),
		st_test(a_removed_controller_leaves_the_hardware_to_its_successor),
		st_test(irq_handler_takes_enosys_from_unmask_as_nothing_to_unmask),
		st_test(irq_handler_tells_which_fd_failed),
		st_test(memory_burst_is_never_two_beats),
		st_test(request_line_from_the_slave_config_routes_the_next_transfer),
		st_test(resume_mid_word_keeps_the_bytes_in_place),
		st_test(pause_as_the_segment_ends_reports_it),
		st_test(trbuff_on_for_usart_requests_by_default_and_per_channel),
		st_test(trbuff_per_request_line_from_the_controller_config),
		st_test(flow_controller_peripheral_ends_the_transfer_with_residue),
		st_test(flow_controller_memory_to_peripheral_and_sg_entries),
		st_test(flow_controller_pause_resume_and_terminate_keep_the_residue),
		st_test(flow_controller_errors_and_cyclic_without_it),
		st_test(simulator_flow_controller_rules_at_enable),
		st_test(stream_line_serviced_after_its_latency_in_period_ends),
		st_test(level_line_still_high_at_unmask_interrupts_again),
		st_test(stream_line_on_its_own_uio_device),
	};
	const struct CMUnitTest soak[] = {
		st_test(soak_random_transfers_end_with_the_right_result_and_residue),
	};
	/* Interrupts serviced at once, then one and three period ends late
	 * (stm32_sim_set_irq_latency()): the same specifications hold. */
	static const unsigned latencies[] = { 0, 1, 3 };
	int failed = 0;

	log_set_level(LOG_CRIT);
	for (unsigned i = 0; i < ARRAY_SIZE(latencies); i++) {
		struct dma_backend be = stm32_backend;
		char name[64], group[64];

		irq_latency = latencies[i];
		snprintf(name, sizeof(name), "stm32-sim/irq-late-%u", irq_latency);
		snprintf(group, sizeof(group), "stm32-dma/irq-late-%u", irq_latency);
		be.name = name;
		be.late_periods = irq_latency;
		failed += dma_conformance_run(&be);
		failed += _cmocka_run_group_tests(group, tests, ARRAY_SIZE(tests), NULL, NULL);
	}
	irq_latency = 0;
	failed += _cmocka_run_group_tests("stm32-dma/soak", soak, ARRAY_SIZE(soak), NULL, NULL);
	return failed ? 1 : 0;
}
