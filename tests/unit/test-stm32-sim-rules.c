/* SPDX-License-Identifier: MIT */
/*
 * The STM32 simulator's own rules (tests/unit/stm32-sim.c), driven at the
 * register level with no driver in between: each test programs a stream
 * (or DMAMUX1) as RM0433 describes, breaks or keeps one rule, and checks
 * what the silicon does, as the simulator's comments cite it. The
 * driver's tests (test-dma-stm32) then run against these rules.
 *
 * Memory used: AXI SRAM (STM32H7_AXISRAM_BASE), peripheral loopback
 * FIFOs on real H743 request lines (>= 9; 1..8 are the request
 * generators).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stm32-sim.h"
#include "stm32_dma_mem.h"
#include "stm32_dma_regs.h"
#include "stm32_mmio.h"
#include "uio.h"

#define SRC	(STM32H7_AXISRAM_BASE + 0x1000u)
#define DST	(STM32H7_AXISRAM_BASE + 0x8000u)
#define LINE	41u	/* USART1_RX on H743 */

struct fx {
	struct stm32_sim *sim;
	struct uio_device *dev[3];
	struct stm32_regs regs[3];	/* DMA1, DMA2, DMAMUX1 */
};

static int fx_setup(void **state)
{
	static const char *const names[3] = { "dma1", "dma2", "dmamux1" };
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || stm32_sim_new(0, &f->sim) < 0)
		return -1;
	for (unsigned i = 0; i < 3; i++) {
		void *base;
		size_t len;

		if (uio_device_new_by_name(stm32_sim_env(f->sim), names[i], &f->dev[i]) < 0 ||
		    uio_device_map(f->dev[i], 0, &base, &len) < 0)
			return -1;
		f->regs[i] = (struct stm32_regs){ base, len, &stm32_sim_mmio_ops, f->sim };
	}
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	for (unsigned i = 0; i < 3; i++)
		uio_device_unref(f->dev[i]);
	stm32_sim_free(f->sim);
	free(f);
	return 0;
}

static uint32_t rd(struct fx *f, uint32_t off)
{
	return stm32_read(&f->regs[0], off);
}

static void wr(struct fx *f, uint32_t off, uint32_t v)
{
	stm32_write(&f->regs[0], off, v);
}

static uint32_t mux_rd(struct fx *f, uint32_t off)
{
	return stm32_read(&f->regs[2], off);
}

static void mux_wr(struct fx *f, uint32_t off, uint32_t v)
{
	stm32_write(&f->regs[2], off, v);
}

static uint8_t *mem(struct fx *f, uint64_t addr, size_t len)
{
	uint8_t *p = stm32_sim_phys(f->sim, addr, len);

	assert_non_null(p);
	return p;
}

static uint32_t flags(struct fx *f, unsigned n)
{
	return stm32_dma_flags_from_reg(n, rd(f, stm32_dma_isr_offset(n)));
}

static void clear_flags(struct fx *f, unsigned n)
{
	wr(f, stm32_dma_ifcr_offset(n), stm32_dma_flags_to_reg(n, STM32_DMA_FLAGS_ALL));
}

/* Program DMA1 stream @n (EN clear), flags cleared. */
static void program(struct fx *f, unsigned n, uint32_t cr, uint32_t fcr, uint32_t par,
		    uint32_t m0ar, uint32_t ndtr)
{
	wr(f, STM32_DMA_SxCR(n), cr);
	wr(f, STM32_DMA_SxPAR(n), par);
	wr(f, STM32_DMA_SxM0AR(n), m0ar);
	wr(f, STM32_DMA_SxFCR(n), fcr);
	wr(f, STM32_DMA_SxNDTR(n), ndtr);
	clear_flags(f, n);
}

static void enable(struct fx *f, unsigned n)
{
	wr(f, STM32_DMA_SxCR(n), rd(f, STM32_DMA_SxCR(n)) | STM32_DMA_SxCR_EN);
}

/* Disable and wait (bounded) for EN to read 0. */
static void disable(struct fx *f, unsigned n)
{
	wr(f, STM32_DMA_SxCR(n), rd(f, STM32_DMA_SxCR(n)) & ~STM32_DMA_SxCR_EN);
	for (unsigned i = 0; i < 100 && (rd(f, STM32_DMA_SxCR(n)) & STM32_DMA_SxCR_EN); i++)
		stm32_sim_step(f->sim, SIZE_MAX);
	assert_false(rd(f, STM32_DMA_SxCR(n)) & STM32_DMA_SxCR_EN);
}

static void run(struct fx *f)
{
	for (unsigned i = 0; i < 10000 && stm32_sim_step(f->sim, SIZE_MAX); i++)
		;
}

/* A memory-to-memory copy of @len bytes (byte items, FIFO threshold full). */
static const uint32_t M2M_CR = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_M2M) |
			       STM32_DMA_SxCR_PINC | STM32_DMA_SxCR_MINC;
static const uint32_t FIFO_FULL = STM32_DMA_SxFCR_DMDIS |
				  STM32_FIELD_PREP(STM32_DMA_SxFCR_FTH, STM32_DMA_FTH_FULL);

static void fill(struct fx *f, uint64_t addr, size_t len, uint8_t seed)
{
	uint8_t *p = mem(f, addr, len);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* ------------------------------------------------------------------ */
/* Rule 1: start rules */

static void enable_with_any_flag_set_does_not_start(void **state)
{
	struct fx *f = *state;
	static const uint32_t each[] = { STM32_DMA_FEIF, STM32_DMA_DMEIF, STM32_DMA_TEIF,
					 STM32_DMA_HTIF, STM32_DMA_TCIF };

	fill(f, SRC, 64, 1);
	for (unsigned i = 0; i < 5; i++) {
		memset(mem(f, DST, 64), 0, 64);
		program(f, 1, M2M_CR, FIFO_FULL, SRC, DST, 64);
		assert_int_equal(stm32_sim_inject_flags(f->sim, 0, 1, each[i], false), 0);
		enable(f, 1);
		assert_int_equal(rd(f, STM32_DMA_SxCR(1)) & STM32_DMA_SxCR_EN, 0);
		run(f);
		assert_int_equal(rd(f, STM32_DMA_SxNDTR(1)), 64);
		assert_int_equal(flags(f, 1), each[i]);
		assert_int_equal(mem(f, DST, 1)[0], 0);
		assert_int_equal(stm32_sim_refused(f->sim, 0, 1), i + 1);
		assert_int_equal(stm32_sim_violations(f->sim, NULL), i + 1);
	}
	/* Cleared, the same stream starts and completes. */
	clear_flags(f, 1);
	enable(f, 1);
	assert_int_equal(rd(f, STM32_DMA_SxCR(1)) & STM32_DMA_SxCR_EN, STM32_DMA_SxCR_EN);
	run(f);
	assert_memory_equal(mem(f, DST, 64), mem(f, SRC, 64), 64);
	assert_int_equal(flags(f, 1) & STM32_DMA_TCIF, STM32_DMA_TCIF);
}

static void flags_of_another_stream_do_not_block_an_enable(void **state)
{
	struct fx *f = *state;

	fill(f, SRC, 32, 2);
	program(f, 1, M2M_CR, FIFO_FULL, SRC, DST, 32);
	assert_int_equal(stm32_sim_inject_flags(f->sim, 0, 0, STM32_DMA_TCIF, false), 0);
	assert_int_equal(stm32_sim_inject_flags(f->sim, 0, 5, STM32_DMA_TEIF, false), 0);
	enable(f, 1);
	run(f);
	assert_memory_equal(mem(f, DST, 32), mem(f, SRC, 32), 32);
	assert_int_equal(stm32_sim_refused(f->sim, 0, 1), 0);
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 0);
}

static void ndtr_zero_enables_and_serves_nothing_until_disabled(void **state)
{
	struct fx *f = *state;

	fill(f, SRC, 16, 3);
	memset(mem(f, DST, 16), 0, 16);
	program(f, 2, M2M_CR | STM32_DMA_SxCR_TCIE, FIFO_FULL, SRC, DST, 0);
	enable(f, 2);
	run(f);
	assert_int_equal(rd(f, STM32_DMA_SxCR(2)) & STM32_DMA_SxCR_EN, STM32_DMA_SxCR_EN);
	assert_int_equal(flags(f, 2), 0);
	assert_int_equal(mem(f, DST, 1)[0], 0);
	disable(f, 2);
	assert_int_equal(flags(f, 2), STM32_DMA_TCIF); /* the stop's */
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(2)), 0);
	assert_int_equal(mem(f, DST, 1)[0], 0);
}

static void finished_ndtr_reloads_the_programmed_count_on_reenable(void **state)
{
	struct fx *f = *state;

	fill(f, SRC, 24, 4);
	program(f, 3, M2M_CR, FIFO_FULL, SRC, DST, 24);
	enable(f, 3);
	run(f);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(3)), 0);
	assert_memory_equal(mem(f, DST, 24), mem(f, SRC, 24), 24);
	/* Again without writing NDTR: 24 items again. */
	memset(mem(f, DST, 24), 0, 24);
	clear_flags(f, 3);
	enable(f, 3);
	assert_int_equal(stm32_sim_last_ndtr(f->sim, 0, 3), 24);
	run(f);
	assert_memory_equal(mem(f, DST, 24), mem(f, SRC, 24), 24);
	/* NDTR written 0 is not reloaded. */
	clear_flags(f, 3);
	wr(f, STM32_DMA_SxNDTR(3), 0);
	enable(f, 3);
	assert_int_equal(stm32_sim_last_ndtr(f->sim, 0, 3), 0);
	disable(f, 3);
}

static void protected_fields_written_while_enabled_are_ignored_and_violations(void **state)
{
	struct fx *f = *state;
	uint32_t cr = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_P2M) | STM32_DMA_SxCR_MINC;
	uint32_t par = stm32_sim_periph_addr(LINE);

	mux_wr(f, STM32_DMAMUX_CxCR(7), LINE);
	program(f, 7, cr, 0, par, DST, 8);
	enable(f, 7); /* waits for requests */
	wr(f, STM32_DMA_SxPAR(7), par + 4);
	wr(f, STM32_DMA_SxM0AR(7), DST + 4);
	wr(f, STM32_DMA_SxNDTR(7), 4);
	wr(f, STM32_DMA_SxCR(7), cr | STM32_DMA_SxCR_EN | STM32_DMA_SxCR_CIRC);
	wr(f, STM32_DMA_SxFCR(7), STM32_DMA_SxFCR_DMDIS);
	assert_int_equal(rd(f, STM32_DMA_SxPAR(7)), par);
	assert_int_equal(rd(f, STM32_DMA_SxM0AR(7)), DST);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(7)), 8);
	assert_int_equal(rd(f, STM32_DMA_SxCR(7)), cr | STM32_DMA_SxCR_EN);
	assert_int_equal(rd(f, STM32_DMA_SxFCR(7)) & STM32_DMA_SxFCR_DMDIS, 0);
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 5);
	/* The interrupt enables may change while it runs. */
	wr(f, STM32_DMA_SxCR(7), cr | STM32_DMA_SxCR_EN | STM32_DMA_SxCR_TCIE);
	wr(f, STM32_DMA_SxFCR(7), STM32_DMA_SxFCR_FEIE);
	assert_int_equal(rd(f, STM32_DMA_SxCR(7)), cr | STM32_DMA_SxCR_EN | STM32_DMA_SxCR_TCIE);
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 5);
	disable(f, 7);
}

/* ------------------------------------------------------------------ */
/* Rule 2: fields the hardware forces at enable */

static void direct_mode_forces_msize_to_psize_and_single_bursts(void **state)
{
	struct fx *f = *state;
	uint32_t cr = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_P2M) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_PSIZE, STM32_DMA_SIZE_HALFWORD) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_MSIZE, STM32_DMA_SIZE_WORD) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_PBURST, STM32_DMA_BURST_INCR4) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_MBURST, STM32_DMA_BURST_INCR8) |
		      STM32_DMA_SxCR_PINC | STM32_DMA_SxCR_PINCOS | STM32_DMA_SxCR_MINC;
	uint32_t got;

	mux_wr(f, STM32_DMAMUX_CxCR(4), LINE);
	program(f, 4, cr, 0, stm32_sim_periph_addr(LINE), DST, 4);
	/* Before EN: as written. */
	assert_int_equal(rd(f, STM32_DMA_SxCR(4)), cr);
	enable(f, 4);
	got = rd(f, STM32_DMA_SxCR(4));
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MSIZE, got), STM32_DMA_SIZE_HALFWORD);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_PBURST, got), STM32_DMA_BURST_SINGLE);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_MBURST, got), STM32_DMA_BURST_SINGLE);
	assert_int_equal(got & STM32_DMA_SxCR_PINCOS, 0);
	assert_int_equal(got & (STM32_DMA_SxCR_PINC | STM32_DMA_SxCR_MINC),
			 STM32_DMA_SxCR_PINC | STM32_DMA_SxCR_MINC);
	/* Still forced after the stop. */
	disable(f, 4);
	assert_int_equal(rd(f, STM32_DMA_SxCR(4)), got & ~STM32_DMA_SxCR_EN);
}

static void fifo_mode_keeps_msize_and_bursts_pincos_only_without_pburst(void **state)
{
	struct fx *f = *state;
	uint32_t base = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_P2M) |
			STM32_FIELD_PREP(STM32_DMA_SxCR_PSIZE, STM32_DMA_SIZE_BYTE) |
			STM32_FIELD_PREP(STM32_DMA_SxCR_MSIZE, STM32_DMA_SIZE_WORD) |
			STM32_FIELD_PREP(STM32_DMA_SxCR_MBURST, STM32_DMA_BURST_INCR4) |
			STM32_DMA_SxCR_PINC | STM32_DMA_SxCR_PINCOS | STM32_DMA_SxCR_MINC;
	uint32_t with_pburst = base |
			       STM32_FIELD_PREP(STM32_DMA_SxCR_PBURST, STM32_DMA_BURST_INCR4);

	mux_wr(f, STM32_DMAMUX_CxCR(4), LINE);
	program(f, 4, base, FIFO_FULL, stm32_sim_periph_addr(LINE), DST, 16);
	enable(f, 4);
	assert_int_equal(rd(f, STM32_DMA_SxCR(4)), base | STM32_DMA_SxCR_EN);
	disable(f, 4);
	program(f, 4, with_pburst, FIFO_FULL, stm32_sim_periph_addr(LINE), DST, 16);
	enable(f, 4);
	assert_int_equal(rd(f, STM32_DMA_SxCR(4)),
			 (with_pburst & ~STM32_DMA_SxCR_PINCOS) | STM32_DMA_SxCR_EN);
	disable(f, 4);
}

static void memory_to_memory_forces_fifo_mode(void **state)
{
	struct fx *f = *state;
	uint32_t fcr = STM32_FIELD_PREP(STM32_DMA_SxFCR_FTH, STM32_DMA_FTH_FULL);

	fill(f, SRC, 32, 5);
	program(f, 5, M2M_CR, fcr, SRC, DST, 32);
	assert_int_equal(rd(f, STM32_DMA_SxFCR(5)) & STM32_DMA_SxFCR_DMDIS, 0);
	enable(f, 5);
	assert_int_equal(rd(f, STM32_DMA_SxFCR(5)) & STM32_DMA_SxFCR_DMDIS,
			 STM32_DMA_SxFCR_DMDIS);
	run(f);
	assert_memory_equal(mem(f, DST, 32), mem(f, SRC, 32), 32);
	assert_int_equal(rd(f, STM32_DMA_SxFCR(5)) & STM32_DMA_SxFCR_DMDIS,
			 STM32_DMA_SxFCR_DMDIS);
}

static void memory_to_memory_in_circular_mode_is_refused_and_a_violation(void **state)
{
	struct fx *f = *state;

	fill(f, SRC, 16, 11);
	memset(mem(f, DST, 16), 0, 16);
	program(f, 5, M2M_CR | STM32_DMA_SxCR_CIRC, FIFO_FULL, SRC, DST, 16);
	enable(f, 5);
	run(f);
	assert_int_equal(flags(f, 5), STM32_DMA_TEIF);
	assert_int_equal(rd(f, STM32_DMA_SxCR(5)) & STM32_DMA_SxCR_EN, 0);
	assert_int_equal(mem(f, DST, 1)[0], 0);
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 1);
}

static void double_buffer_forces_circular(void **state)
{
	struct fx *f = *state;
	uint32_t cr = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_P2M) |
		      STM32_DMA_SxCR_MINC | STM32_DMA_SxCR_DBM;

	mux_wr(f, STM32_DMAMUX_CxCR(6), LINE);
	program(f, 6, cr, 0, stm32_sim_periph_addr(LINE), DST, 8);
	wr(f, STM32_DMA_SxM1AR(6), DST + 0x100);
	enable(f, 6);
	assert_int_equal(rd(f, STM32_DMA_SxCR(6)) & STM32_DMA_SxCR_CIRC, STM32_DMA_SxCR_CIRC);
	disable(f, 6);
}

/* ------------------------------------------------------------------ */
/* Rule 4: alignment, the 1 KB burst boundary, NDT vs packing */

static void unaligned_memory_access_is_a_transfer_error(void **state)
{
	struct fx *f = *state;
	uint32_t cr = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_P2M) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_PSIZE, STM32_DMA_SIZE_HALFWORD) |
		      STM32_DMA_SxCR_MINC;
	static const uint8_t data[4] = { 1, 2, 3, 4 };

	memset(mem(f, DST, 8), 0xEE, 8);
	mux_wr(f, STM32_DMAMUX_CxCR(0), LINE);
	assert_int_equal(stm32_sim_periph_push(f->sim, LINE, data, 4), 4);
	program(f, 0, cr, 0, stm32_sim_periph_addr(LINE), DST + 1, 2);
	enable(f, 0);
	run(f);
	assert_int_equal(flags(f, 0), STM32_DMA_TEIF);
	assert_int_equal(rd(f, STM32_DMA_SxCR(0)) & STM32_DMA_SxCR_EN, 0);
	assert_int_equal(mem(f, DST, 8)[0], 0xEE);
	assert_int_equal(mem(f, DST, 8)[1], 0xEE);
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 1);
}

static void unaligned_peripheral_address_is_a_transfer_error(void **state)
{
	struct fx *f = *state;
	uint32_t cr = M2M_CR | STM32_FIELD_PREP(STM32_DMA_SxCR_PSIZE, STM32_DMA_SIZE_WORD) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_MSIZE, STM32_DMA_SIZE_WORD);

	fill(f, SRC, 16, 6);
	program(f, 1, cr, FIFO_FULL, SRC + 2, DST, 4);
	enable(f, 1);
	run(f);
	assert_int_equal(flags(f, 1), STM32_DMA_TEIF);
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 1);
}

/* Word items in 4-beat bursts on both ports, from @src. */
static void burst_copy(struct fx *f, unsigned n, uint64_t src)
{
	uint32_t cr = M2M_CR | STM32_FIELD_PREP(STM32_DMA_SxCR_PSIZE, STM32_DMA_SIZE_WORD) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_MSIZE, STM32_DMA_SIZE_WORD) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_PBURST, STM32_DMA_BURST_INCR4) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_MBURST, STM32_DMA_BURST_INCR4);

	fill(f, src, 32, 7);
	memset(mem(f, DST, 32), 0, 32);
	program(f, n, cr, FIFO_FULL, (uint32_t)src, DST, 8);
	enable(f, n);
	run(f);
}

static void burst_across_a_1k_boundary_is_a_transfer_error(void **state)
{
	struct fx *f = *state;

	/* Word aligned, but the 16-byte burst at 0x...3F8 ends past 0x...400. */
	burst_copy(f, 2, SRC + 0x3F8);
	assert_int_equal(flags(f, 2), STM32_DMA_TEIF);
	assert_int_equal(rd(f, STM32_DMA_SxCR(2)) & STM32_DMA_SxCR_EN, 0);
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 1);
}

static void bursts_up_to_a_1k_boundary_are_fine(void **state)
{
	struct fx *f = *state;

	burst_copy(f, 2, SRC + 0x3E0);
	assert_int_equal(flags(f, 2), STM32_DMA_TCIF | STM32_DMA_HTIF);
	assert_memory_equal(mem(f, DST, 32), mem(f, SRC + 0x3E0, 32), 32);
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 0);
}

static void ndt_that_does_not_fill_memory_items_is_a_violation(void **state)
{
	struct fx *f = *state;
	uint32_t cr = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_P2M) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_PSIZE, STM32_DMA_SIZE_BYTE) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_MSIZE, STM32_DMA_SIZE_WORD) |
		      STM32_DMA_SxCR_MINC;

	mux_wr(f, STM32_DMAMUX_CxCR(3), LINE);
	program(f, 3, cr, FIFO_FULL, stm32_sim_periph_addr(LINE), DST, 8);
	enable(f, 3);
	disable(f, 3);
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 0);
	program(f, 3, cr, FIFO_FULL, stm32_sim_periph_addr(LINE), DST, 6);
	enable(f, 3);
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 1);
	disable(f, 3);
}

static void whole_fifo_peripheral_burst_at_three_quarters_runs_as_a_violation(void **state)
{
	struct fx *f = *state;
	uint32_t cr = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_P2M) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_PSIZE, STM32_DMA_SIZE_WORD) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_MSIZE, STM32_DMA_SIZE_WORD) |
		      STM32_FIELD_PREP(STM32_DMA_SxCR_PBURST, STM32_DMA_BURST_INCR4) |
		      STM32_DMA_SxCR_MINC;
	uint32_t fcr = STM32_DMA_SxFCR_DMDIS |
		       STM32_FIELD_PREP(STM32_DMA_SxFCR_FTH, STM32_DMA_FTH_3QUARTERS);

	mux_wr(f, STM32_DMAMUX_CxCR(4), LINE);
	program(f, 4, cr, fcr, stm32_sim_periph_addr(LINE), DST, 16);
	enable(f, 4);
	/* Not refused at enable (that is only the memory-burst table). */
	assert_int_equal(rd(f, STM32_DMA_SxCR(4)) & STM32_DMA_SxCR_EN, STM32_DMA_SxCR_EN);
	assert_int_equal(flags(f, 4), 0);
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 1);
	disable(f, 4);
}

/* ------------------------------------------------------------------ */
/* Rule 5: DMAMUX1 synchronization, events, request generators */

#define SIG_LPTIM1	3u
#define SIG_EXTI0	6u

/* DMA1 stream @n, peripheral-to-memory of bytes, direct mode, @ndtr
 * items from @par (incrementing if @pinc) to DST; DMAMUX channel n
 * gets @ccr. */
static void p2m_bytes(struct fx *f, unsigned n, uint32_t ccr, uint32_t par, bool pinc,
		      uint32_t ndtr)
{
	uint32_t cr = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_P2M) |
		      STM32_DMA_SxCR_MINC | (pinc ? STM32_DMA_SxCR_PINC : 0);

	mux_wr(f, STM32_DMAMUX_CxCR(n), ccr);
	program(f, n, cr, 0, par, DST + 0x100 * n, ndtr);
	enable(f, n);
}

static uint32_t rgcr(unsigned sig, unsigned pol, unsigned gnbreq)
{
	return STM32_DMAMUX_RGxCR_GE | STM32_FIELD_PREP(STM32_DMAMUX_RGxCR_SIG_ID, sig) |
	       STM32_FIELD_PREP(STM32_DMAMUX_RGxCR_GPOL, pol) |
	       STM32_FIELD_PREP(STM32_DMAMUX_RGxCR_GNBREQ, gnbreq);
}

static void generator_serves_gnbreq_plus_one_requests_per_trigger(void **state)
{
	struct fx *f = *state;

	fill(f, SRC, 16, 8);
	mux_wr(f, STM32_DMAMUX_RGxCR(2), rgcr(SIG_LPTIM1, STM32_DMAMUX_POL_RISING, 3));
	p2m_bytes(f, 0, STM32_DMAMUX_REQ_GENERATOR(2), SRC, true, 10);
	run(f);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(0)), 10); /* no trigger yet */
	assert_int_equal(stm32_sim_mux_signal(f->sim, SIG_LPTIM1, true), 0);
	assert_int_equal(stm32_sim_mux_gen_pending(f->sim, 2), 4);
	run(f);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(0)), 6);
	assert_int_equal(stm32_sim_mux_gen_pending(f->sim, 2), 0);
	assert_int_equal(stm32_sim_mux_signal(f->sim, SIG_LPTIM1, false), 0);
	run(f);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(0)), 6); /* rising edges only */
	assert_int_equal(stm32_sim_mux_signal(f->sim, SIG_LPTIM1, true), 0);
	run(f);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(0)), 2);
	assert_memory_equal(mem(f, DST, 8), mem(f, SRC, 8), 8);
	assert_int_equal(mux_rd(f, STM32_DMAMUX_RGSR), 0);
	disable(f, 0);
}

static void trigger_while_requests_are_left_sets_of_and_is_lost(void **state)
{
	struct fx *f = *state;

	mux_wr(f, STM32_DMAMUX_RGxCR(5), rgcr(SIG_EXTI0, STM32_DMAMUX_POL_BOTH, 1) |
					 STM32_DMAMUX_RGxCR_OIE);
	assert_int_equal(stm32_sim_mux_signal(f->sim, SIG_EXTI0, true), 0);
	assert_int_equal(stm32_sim_mux_gen_pending(f->sim, 5), 2);
	assert_false(stm32_sim_mux_irq(f->sim));
	assert_int_equal(stm32_sim_mux_signal(f->sim, SIG_EXTI0, false), 0); /* both edges */
	assert_int_equal(mux_rd(f, STM32_DMAMUX_RGSR), STM32_DMAMUX_RGSR_OF(5));
	assert_int_equal(stm32_sim_mux_gen_pending(f->sim, 5), 2);
	assert_true(stm32_sim_mux_irq(f->sim));
	mux_wr(f, STM32_DMAMUX_RGCFR, STM32_DMAMUX_RGCFR_COF(5));
	assert_int_equal(mux_rd(f, STM32_DMAMUX_RGSR), 0);
	assert_int_equal(mux_rd(f, STM32_DMAMUX_RGCFR), 0);
	assert_false(stm32_sim_mux_irq(f->sim));
	/* GE cleared: the generator's requests are gone. */
	mux_wr(f, STM32_DMAMUX_RGxCR(5), 0);
	assert_int_equal(stm32_sim_mux_gen_pending(f->sim, 5), 0);
}

static void generator_ids_are_not_peripheral_lines(void **state)
{
	struct fx *f = *state;
	static const uint8_t data[4] = { 9, 8, 7, 6 };

	/* Data at the loopback FIFO numbered like generator 0's input:
	 * it raises no request there. */
	assert_int_equal(stm32_sim_periph_push(f->sim, STM32_DMAMUX_REQ_GENERATOR(0), data, 4), 4);
	p2m_bytes(f, 1, STM32_DMAMUX_REQ_GENERATOR(0),
		  stm32_sim_periph_addr(STM32_DMAMUX_REQ_GENERATOR(0)), false, 4);
	run(f);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(1)), 4);
	assert_int_equal(stm32_sim_periph_level(f->sim, STM32_DMAMUX_REQ_GENERATOR(0)), 4);
	disable(f, 1);
}

static uint32_t sync_ccr(unsigned line, unsigned sig, unsigned pol, unsigned nbreq)
{
	return line | STM32_DMAMUX_CxCR_SE | STM32_FIELD_PREP(STM32_DMAMUX_CxCR_SYNC_ID, sig) |
	       STM32_FIELD_PREP(STM32_DMAMUX_CxCR_SPOL, pol) |
	       STM32_FIELD_PREP(STM32_DMAMUX_CxCR_NBREQ, nbreq);
}

static void sync_lets_nbreq_plus_one_requests_through_per_event(void **state)
{
	struct fx *f = *state;
	static const uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	assert_int_equal(stm32_sim_periph_push(f->sim, LINE, data, 8), 8);
	p2m_bytes(f, 2, sync_ccr(LINE, SIG_EXTI0, STM32_DMAMUX_POL_RISING, 1),
		  stm32_sim_periph_addr(LINE), false, 8);
	run(f);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(2)), 8); /* held until the event */
	assert_int_equal(stm32_sim_mux_signal(f->sim, SIG_EXTI0, true), 0);
	run(f);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(2)), 6);
	assert_int_equal(stm32_sim_mux_signal(f->sim, SIG_EXTI0, false), 0);
	run(f);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(2)), 6);
	assert_int_equal(stm32_sim_mux_signal(f->sim, SIG_EXTI0, true), 0);
	run(f);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(2)), 4);
	assert_memory_equal(mem(f, DST + 0x200, 4), data, 4);
	assert_int_equal(mux_rd(f, STM32_DMAMUX_CSR), 0);
	disable(f, 2);
}

static void sync_event_before_the_counter_runs_out_sets_sof(void **state)
{
	struct fx *f = *state;
	uint32_t ccr = sync_ccr(LINE, SIG_LPTIM1, STM32_DMAMUX_POL_RISING, 3);

	mux_wr(f, STM32_DMAMUX_CxCR(9), ccr | STM32_DMAMUX_CxCR_SOIE);
	assert_int_equal(stm32_sim_mux_signal(f->sim, SIG_LPTIM1, true), 0);
	assert_int_equal(stm32_sim_mux_signal(f->sim, SIG_LPTIM1, false), 0);
	assert_int_equal(mux_rd(f, STM32_DMAMUX_CSR), 0);
	assert_int_equal(stm32_sim_mux_signal(f->sim, SIG_LPTIM1, true), 0);
	assert_int_equal(mux_rd(f, STM32_DMAMUX_CSR), STM32_DMAMUX_CSR_SOF(9));
	assert_true(stm32_sim_mux_irq(f->sim));
	mux_wr(f, STM32_DMAMUX_CFR, STM32_DMAMUX_CFR_CSOF(9));
	assert_int_equal(mux_rd(f, STM32_DMAMUX_CSR), 0);
	assert_int_equal(mux_rd(f, STM32_DMAMUX_CFR), 0);
	assert_false(stm32_sim_mux_irq(f->sim));
}

static void event_after_nbreq_plus_one_requests_triggers_a_generator(void **state)
{
	struct fx *f = *state;
	static const uint8_t data[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

	/* Stream 1 runs on generator 0, triggered by channel 0's event
	 * (signal 0), one request per event. */
	fill(f, SRC, 16, 9);
	mux_wr(f, STM32_DMAMUX_RGxCR(0), rgcr(0, STM32_DMAMUX_POL_RISING, 0));
	p2m_bytes(f, 1, STM32_DMAMUX_REQ_GENERATOR(0), SRC, true, 8);
	/* Channel 0: a peripheral, an event every 3 requests. */
	assert_int_equal(stm32_sim_periph_push(f->sim, LINE, data, 9), 9);
	p2m_bytes(f, 0, LINE | STM32_DMAMUX_CxCR_EGE |
			       STM32_FIELD_PREP(STM32_DMAMUX_CxCR_NBREQ, 2),
		  stm32_sim_periph_addr(LINE), false, 9);
	run(f);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(0)), 0);
	assert_int_equal(stm32_sim_mux_events(f->sim, 0), 3);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(1)), 5);
	assert_memory_equal(mem(f, DST + 0x100, 3), mem(f, SRC, 3), 3);
	assert_int_equal(mux_rd(f, STM32_DMAMUX_RGSR), 0);
	disable(f, 1);
}

static void nbreq_written_while_in_use_is_a_violation(void **state)
{
	struct fx *f = *state;
	uint32_t ccr = LINE | STM32_DMAMUX_CxCR_EGE;

	mux_wr(f, STM32_DMAMUX_CxCR(3), ccr);
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 0);
	mux_wr(f, STM32_DMAMUX_CxCR(3), ccr | STM32_FIELD_PREP(STM32_DMAMUX_CxCR_NBREQ, 4));
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 1);
	/* It took effect: there is no hardware write protection. */
	assert_int_equal(STM32_FIELD_GET(STM32_DMAMUX_CxCR_NBREQ,
					 mux_rd(f, STM32_DMAMUX_CxCR(3))), 4);
	mux_wr(f, STM32_DMAMUX_RGxCR(1), rgcr(SIG_EXTI0, STM32_DMAMUX_POL_RISING, 0));
	mux_wr(f, STM32_DMAMUX_RGxCR(1), rgcr(SIG_EXTI0, STM32_DMAMUX_POL_RISING, 2));
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 2);
	/* Written with the enables off, in the same write or before: fine. */
	mux_wr(f, STM32_DMAMUX_RGxCR(1), 0);
	mux_wr(f, STM32_DMAMUX_RGxCR(1), rgcr(SIG_EXTI0, STM32_DMAMUX_POL_RISING, 5));
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 2);
}

static void sync_and_trigger_inputs_beyond_dmamux1_are_violations(void **state)
{
	struct fx *f = *state;

	mux_wr(f, STM32_DMAMUX_CxCR(4), sync_ccr(LINE, 8, STM32_DMAMUX_POL_RISING, 0));
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 1);
	mux_wr(f, STM32_DMAMUX_RGxCR(4), rgcr(12, STM32_DMAMUX_POL_RISING, 0));
	assert_int_equal(stm32_sim_violations(f->sim, NULL), 2);
	/* Test hooks drive only the external inputs. */
	assert_int_equal(stm32_sim_mux_signal(f->sim, 0, true), -EINVAL);
	assert_int_equal(stm32_sim_mux_signal(f->sim, 2, true), -EINVAL);
	assert_int_equal(stm32_sim_mux_signal(f->sim, 8, true), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* Rule 3: FIFO overrun / underrun from pacing */

static const uint8_t seq[40] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
				 31, 32, 33, 34, 35, 36, 37, 38, 39, 40 };

/* DMA1 stream 0: @len bytes from LINE to DST, direct mode or FIFO (FTH
 * 1/2), MINC if @minc; the memory port busy for @busy slots first. */
static void p2m_paced(struct fx *f, bool fifo, bool minc, uint32_t len, unsigned busy)
{
	uint32_t cr = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_P2M) |
		      (minc ? STM32_DMA_SxCR_MINC : 0);
	uint32_t fcr = fifo ? STM32_DMA_SxFCR_DMDIS | STM32_DMA_SxFCR_FEIE |
			      STM32_FIELD_PREP(STM32_DMA_SxFCR_FTH, STM32_DMA_FTH_HALF) : 0;

	memset(mem(f, DST, 64), 0, 64);
	assert_int_equal(stm32_sim_periph_push(f->sim, LINE, seq, len), (long)len);
	mux_wr(f, STM32_DMAMUX_CxCR(0), LINE);
	program(f, 0, cr, fcr, stm32_sim_periph_addr(LINE), DST, len);
	assert_int_equal(stm32_sim_mem_busy(f->sim, 0, 0, busy), 0);
	enable(f, 0);
	run(f);
}

static void granted_memory_port_keeps_up_without_fifo_errors(void **state)
{
	struct fx *f = *state;

	p2m_paced(f, false, true, 40, 0);
	assert_int_equal(flags(f, 0), STM32_DMA_TCIF | STM32_DMA_HTIF);
	assert_memory_equal(mem(f, DST, 40), seq, 40);
}

static void direct_mode_overrun_while_memory_is_busy_sets_feif_and_loses_nothing(void **state)
{
	struct fx *f = *state;

	p2m_paced(f, false, true, 40, 30);
	/* The FIFO took 16 bytes, then each request found it saturated. */
	assert_int_equal(flags(f, 0), STM32_DMA_FEIF | STM32_DMA_TCIF | STM32_DMA_HTIF);
	assert_memory_equal(mem(f, DST, 40), seq, 40);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(0)), 0);
}

static void direct_mode_overrun_keeps_the_stream_enabled(void **state)
{
	struct fx *f = *state;

	/* Busy longer than the run lasts: stopped mid-way. */
	memset(mem(f, DST, 64), 0, 64);
	assert_int_equal(stm32_sim_periph_push(f->sim, LINE, seq, 40), 40);
	mux_wr(f, STM32_DMAMUX_CxCR(0), LINE);
	program(f, 0, STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_P2M) | STM32_DMA_SxCR_MINC,
		0, stm32_sim_periph_addr(LINE), DST, 40);
	assert_int_equal(stm32_sim_mem_busy(f->sim, 0, 0, 1000), 0);
	enable(f, 0);
	for (unsigned i = 0; i < 20; i++)
		stm32_sim_step(f->sim, 1);
	assert_int_equal(flags(f, 0), STM32_DMA_FEIF);
	assert_int_equal(rd(f, STM32_DMA_SxCR(0)) & STM32_DMA_SxCR_EN, STM32_DMA_SxCR_EN);
	assert_int_equal(rd(f, STM32_DMA_SxNDTR(0)), 40 - 16);
	assert_int_equal(rd(f, STM32_DMA_SxFCR(0)) & STM32_DMA_SxFCR_FS,
			 STM32_FIELD_PREP(STM32_DMA_SxFCR_FS, STM32_DMA_FS_FULL));
	assert_int_equal(stm32_sim_mem_busy(f->sim, 0, 0, 0), 0);
	run(f);
	assert_memory_equal(mem(f, DST, 40), seq, 40);
}

static void direct_mode_without_minc_sets_dmeif_when_memory_lags(void **state)
{
	struct fx *f = *state;

	p2m_paced(f, false, false, 4, 3);
	assert_int_equal(flags(f, 0) & STM32_DMA_DMEIF, STM32_DMA_DMEIF);
	assert_int_equal(mem(f, DST, 1)[0], 4); /* every item to one address */
}

static void fifo_mode_overrun_while_memory_is_busy_sets_feif(void **state)
{
	struct fx *f = *state;

	p2m_paced(f, true, true, 40, 30);
	assert_int_equal(flags(f, 0), STM32_DMA_FEIF | STM32_DMA_TCIF | STM32_DMA_HTIF);
	assert_memory_equal(mem(f, DST, 40), seq, 40);
}

static void memory_to_peripheral_underrun_while_memory_is_busy_sets_feif(void **state)
{
	struct fx *f = *state;
	uint32_t cr = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_M2P) | STM32_DMA_SxCR_MINC;
	uint8_t out[40];

	memcpy(mem(f, SRC, 40), seq, 40);
	mux_wr(f, STM32_DMAMUX_CxCR(1), LINE);
	program(f, 1, cr, 0, stm32_sim_periph_addr(LINE), SRC, 40);
	assert_int_equal(stm32_sim_mem_busy(f->sim, 0, 1, 5), 0);
	enable(f, 1);
	run(f);
	assert_int_equal(flags(f, 1), STM32_DMA_FEIF | STM32_DMA_TCIF | STM32_DMA_HTIF);
	assert_int_equal(stm32_sim_periph_pop(f->sim, LINE, out, 40), 40);
	assert_memory_equal(out, seq, 40);
}

static void memory_to_memory_detects_no_overrun(void **state)
{
	struct fx *f = *state;

	fill(f, SRC, 40, 10);
	program(f, 2, M2M_CR, FIFO_FULL | STM32_DMA_SxFCR_FEIE, SRC, DST, 40);
	assert_int_equal(stm32_sim_mem_busy(f->sim, 0, 2, 30), 0);
	enable(f, 2);
	run(f);
	assert_int_equal(flags(f, 2), STM32_DMA_TCIF | STM32_DMA_HTIF);
	assert_memory_equal(mem(f, DST, 40), mem(f, SRC, 40), 40);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(enable_with_any_flag_set_does_not_start),
		T(flags_of_another_stream_do_not_block_an_enable),
		T(ndtr_zero_enables_and_serves_nothing_until_disabled),
		T(finished_ndtr_reloads_the_programmed_count_on_reenable),
		T(protected_fields_written_while_enabled_are_ignored_and_violations),
		T(direct_mode_forces_msize_to_psize_and_single_bursts),
		T(fifo_mode_keeps_msize_and_bursts_pincos_only_without_pburst),
		T(memory_to_memory_forces_fifo_mode),
		T(memory_to_memory_in_circular_mode_is_refused_and_a_violation),
		T(double_buffer_forces_circular),
		T(unaligned_memory_access_is_a_transfer_error),
		T(unaligned_peripheral_address_is_a_transfer_error),
		T(burst_across_a_1k_boundary_is_a_transfer_error),
		T(bursts_up_to_a_1k_boundary_are_fine),
		T(ndt_that_does_not_fill_memory_items_is_a_violation),
		T(whole_fifo_peripheral_burst_at_three_quarters_runs_as_a_violation),
		T(generator_serves_gnbreq_plus_one_requests_per_trigger),
		T(trigger_while_requests_are_left_sets_of_and_is_lost),
		T(generator_ids_are_not_peripheral_lines),
		T(sync_lets_nbreq_plus_one_requests_through_per_event),
		T(sync_event_before_the_counter_runs_out_sets_sof),
		T(event_after_nbreq_plus_one_requests_triggers_a_generator),
		T(nbreq_written_while_in_use_is_a_violation),
		T(sync_and_trigger_inputs_beyond_dmamux1_are_violations),
		T(granted_memory_port_keeps_up_without_fifo_errors),
		T(direct_mode_overrun_while_memory_is_busy_sets_feif_and_loses_nothing),
		T(direct_mode_overrun_keeps_the_stream_enabled),
		T(direct_mode_without_minc_sets_dmeif_when_memory_lags),
		T(fifo_mode_overrun_while_memory_is_busy_sets_feif),
		T(memory_to_peripheral_underrun_while_memory_is_busy_sets_feif),
		T(memory_to_memory_detects_no_overrun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
