/* SPDX-License-Identifier: MIT */
/*
 * The STM32H7 DMA/DMAMUX register map (backend/stm32-uio/stm32_dma_regs.h)
 * and the DMA masters' memory map (stm32_dma_mem.h): internal consistency
 * (fields do not overlap, fields plus reserved bits cover each register
 * exactly, offsets follow the stride) and spot checks against RM0433 / ST's
 * CMSIS stm32h743xx.h values written out here by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stm32_dma_mem.h"
#include "stm32_dma_regs.h"

struct reg {
	const char *name;
	uint32_t reserved;	/* the register's _RESERVED mask */
};

struct field {
	const char *reg;
	const char *name;
	uint64_t mask;		/* widened: a field past bit 31 would show */
};

static const struct reg regs[] = {
	{ "LISR", STM32_DMA_xISR_RESERVED },
	{ "HISR", STM32_DMA_xISR_RESERVED },
	{ "LIFCR", STM32_DMA_xISR_RESERVED },
	{ "HIFCR", STM32_DMA_xISR_RESERVED },
	{ "SxCR", STM32_DMA_SxCR_RESERVED },
	{ "SxNDTR", STM32_DMA_SxNDTR_RESERVED },
	{ "SxPAR", STM32_DMA_SxPAR_RESERVED },
	{ "SxM0AR", STM32_DMA_SxM0AR_RESERVED },
	{ "SxM1AR", STM32_DMA_SxM1AR_RESERVED },
	{ "SxFCR", STM32_DMA_SxFCR_RESERVED },
	{ "CxCR", STM32_DMAMUX_CxCR_RESERVED },
	{ "CSR", STM32_DMAMUX_CSR_RESERVED },
	{ "CFR", STM32_DMAMUX_CFR_RESERVED },
	{ "RGxCR", STM32_DMAMUX_RGxCR_RESERVED },
	{ "RGSR", STM32_DMAMUX_RGSR_RESERVED },
	{ "RGCFR", STM32_DMAMUX_RGCFR_RESERVED },
};

#define ISR_GROUP(reg, x, pfx)                                   \
	{ reg, pfx "FEIF" #x, STM32_DMA_ISR_FEIF(x) },            \
	{ reg, pfx "DMEIF" #x, STM32_DMA_ISR_DMEIF(x) },          \
	{ reg, pfx "TEIF" #x, STM32_DMA_ISR_TEIF(x) },            \
	{ reg, pfx "HTIF" #x, STM32_DMA_ISR_HTIF(x) },            \
	{ reg, pfx "TCIF" #x, STM32_DMA_ISR_TCIF(x) }
#define ISR_REG(reg, a, b, c, d, pfx) \
	ISR_GROUP(reg, a, pfx), ISR_GROUP(reg, b, pfx), ISR_GROUP(reg, c, pfx), ISR_GROUP(reg, d, pfx)
#define BIT16(reg, pfx, m)                                                        \
	{ reg, pfx "0", m(0) }, { reg, pfx "1", m(1) }, { reg, pfx "2", m(2) },     \
	{ reg, pfx "3", m(3) }, { reg, pfx "4", m(4) }, { reg, pfx "5", m(5) },     \
	{ reg, pfx "6", m(6) }, { reg, pfx "7", m(7) }
#define BIT16_HI(reg, pfx, m)                                                     \
	{ reg, pfx "8", m(8) }, { reg, pfx "9", m(9) }, { reg, pfx "10", m(10) },   \
	{ reg, pfx "11", m(11) }, { reg, pfx "12", m(12) }, { reg, pfx "13", m(13) }, \
	{ reg, pfx "14", m(14) }, { reg, pfx "15", m(15) }

/* Every documented field, from the header's macros. */
static const struct field fields[] = {
	ISR_REG("LISR", 0, 1, 2, 3, ""),
	ISR_REG("HISR", 4, 5, 6, 7, ""),
	ISR_REG("LIFCR", 0, 1, 2, 3, "C"),
	ISR_REG("HIFCR", 4, 5, 6, 7, "C"),

	{ "SxCR", "EN", STM32_DMA_SxCR_EN },
	{ "SxCR", "DMEIE", STM32_DMA_SxCR_DMEIE },
	{ "SxCR", "TEIE", STM32_DMA_SxCR_TEIE },
	{ "SxCR", "HTIE", STM32_DMA_SxCR_HTIE },
	{ "SxCR", "TCIE", STM32_DMA_SxCR_TCIE },
	{ "SxCR", "PFCTRL", STM32_DMA_SxCR_PFCTRL },
	{ "SxCR", "DIR", STM32_DMA_SxCR_DIR },
	{ "SxCR", "CIRC", STM32_DMA_SxCR_CIRC },
	{ "SxCR", "PINC", STM32_DMA_SxCR_PINC },
	{ "SxCR", "MINC", STM32_DMA_SxCR_MINC },
	{ "SxCR", "PSIZE", STM32_DMA_SxCR_PSIZE },
	{ "SxCR", "MSIZE", STM32_DMA_SxCR_MSIZE },
	{ "SxCR", "PINCOS", STM32_DMA_SxCR_PINCOS },
	{ "SxCR", "PL", STM32_DMA_SxCR_PL },
	{ "SxCR", "DBM", STM32_DMA_SxCR_DBM },
	{ "SxCR", "CT", STM32_DMA_SxCR_CT },
	{ "SxCR", "TRBUFF", STM32_DMA_SxCR_TRBUFF },
	{ "SxCR", "PBURST", STM32_DMA_SxCR_PBURST },
	{ "SxCR", "MBURST", STM32_DMA_SxCR_MBURST },
	{ "SxNDTR", "NDT", STM32_DMA_SxNDTR_NDT },
	{ "SxPAR", "PA", STM32_DMA_SxPAR_PA },
	{ "SxM0AR", "M0A", STM32_DMA_SxM0AR_M0A },
	{ "SxM1AR", "M1A", STM32_DMA_SxM1AR_M1A },
	{ "SxFCR", "FTH", STM32_DMA_SxFCR_FTH },
	{ "SxFCR", "DMDIS", STM32_DMA_SxFCR_DMDIS },
	{ "SxFCR", "FS", STM32_DMA_SxFCR_FS },
	{ "SxFCR", "FEIE", STM32_DMA_SxFCR_FEIE },

	{ "CxCR", "DMAREQ_ID", STM32_DMAMUX_CxCR_DMAREQ_ID },
	{ "CxCR", "SOIE", STM32_DMAMUX_CxCR_SOIE },
	{ "CxCR", "EGE", STM32_DMAMUX_CxCR_EGE },
	{ "CxCR", "SE", STM32_DMAMUX_CxCR_SE },
	{ "CxCR", "SPOL", STM32_DMAMUX_CxCR_SPOL },
	{ "CxCR", "NBREQ", STM32_DMAMUX_CxCR_NBREQ },
	{ "CxCR", "SYNC_ID", STM32_DMAMUX_CxCR_SYNC_ID },
	BIT16("CSR", "SOF", STM32_DMAMUX_CSR_SOF),
	BIT16_HI("CSR", "SOF", STM32_DMAMUX_CSR_SOF),
	BIT16("CFR", "CSOF", STM32_DMAMUX_CFR_CSOF),
	BIT16_HI("CFR", "CSOF", STM32_DMAMUX_CFR_CSOF),
	{ "RGxCR", "SIG_ID", STM32_DMAMUX_RGxCR_SIG_ID },
	{ "RGxCR", "OIE", STM32_DMAMUX_RGxCR_OIE },
	{ "RGxCR", "GE", STM32_DMAMUX_RGxCR_GE },
	{ "RGxCR", "GPOL", STM32_DMAMUX_RGxCR_GPOL },
	{ "RGxCR", "GNBREQ", STM32_DMAMUX_RGxCR_GNBREQ },
	BIT16("RGSR", "OF", STM32_DMAMUX_RGSR_OF),
	BIT16("RGCFR", "COF", STM32_DMAMUX_RGCFR_COF),
};

#define N_REGS (sizeof(regs) / sizeof(regs[0]))
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* The union of @reg's fields; fails if @reg has none. */
static uint64_t fields_of(const char *reg)
{
	uint64_t all = 0;
	int n = 0;

	for (size_t i = 0; i < N_FIELDS; i++) {
		if (streq(fields[i].reg, reg)) {
			all |= fields[i].mask;
			n++;
		}
	}
	if (n == 0)
		fail_msg("register %s has no documented field", reg);
	return all;
}

static void every_field_lies_within_32_bits(void **state)
{
	for (size_t i = 0; i < N_FIELDS; i++) {
		if (fields[i].mask == 0 || fields[i].mask > UINT32_MAX)
			fail_msg("%s.%s: mask 0x%llx is empty or beyond bit 31", fields[i].reg,
				 fields[i].name, (unsigned long long)fields[i].mask);
	}
}

static void every_field_is_contiguous(void **state)
{
	for (size_t i = 0; i < N_FIELDS; i++) {
		uint64_t v = fields[i].mask >> __builtin_ctzll(fields[i].mask);

		if ((v & (v + 1)) != 0)
			fail_msg("%s.%s: mask 0x%llx has a hole", fields[i].reg, fields[i].name,
				 (unsigned long long)fields[i].mask);
	}
}

static void fields_of_a_register_do_not_overlap(void **state)
{
	for (size_t i = 0; i < N_FIELDS; i++) {
		for (size_t j = i + 1; j < N_FIELDS; j++) {
			if (!streq(fields[i].reg, fields[j].reg))
				continue;
			if (fields[i].mask & fields[j].mask)
				fail_msg("%s: %s and %s overlap", fields[i].reg, fields[i].name,
					 fields[j].name);
		}
	}
}

static void every_field_belongs_to_a_listed_register(void **state)
{
	for (size_t i = 0; i < N_FIELDS; i++) {
		size_t r = 0;

		while (r < N_REGS && !streq(regs[r].name, fields[i].reg))
			r++;
		if (r == N_REGS)
			fail_msg("%s.%s: unknown register", fields[i].reg, fields[i].name);
	}
}

static void fields_never_cover_reserved_bits(void **state)
{
	for (size_t r = 0; r < N_REGS; r++) {
		uint64_t f = fields_of(regs[r].name);

		if (f & regs[r].reserved)
			fail_msg("%s: fields cover reserved bits 0x%llx", regs[r].name,
				 (unsigned long long)(f & regs[r].reserved));
	}
}

static void fields_and_reserved_bits_cover_each_register(void **state)
{
	for (size_t r = 0; r < N_REGS; r++) {
		uint64_t all = fields_of(regs[r].name) | regs[r].reserved;

		if (all != UINT32_MAX)
			fail_msg("%s: bits 0x%llx are neither a field nor reserved", regs[r].name,
				 (unsigned long long)(~all & UINT32_MAX));
	}
}

static void common_registers_sit_at_rm0433_offsets(void **state)
{
	assert_int_equal(STM32_DMA_LISR, 0x00);
	assert_int_equal(STM32_DMA_HISR, 0x04);
	assert_int_equal(STM32_DMA_LIFCR, 0x08);
	assert_int_equal(STM32_DMA_HIFCR, 0x0C);
}

static void stream_registers_follow_the_stride(void **state)
{
	for (unsigned x = 0; x < STM32_DMA_NR_STREAMS; x++) {
		uint32_t base = 0x10 + 0x18 * x;

		assert_int_equal(STM32_DMA_STREAM(x), base);
		assert_int_equal(STM32_DMA_SxCR(x), base + 0x00);
		assert_int_equal(STM32_DMA_SxNDTR(x), base + 0x04);
		assert_int_equal(STM32_DMA_SxPAR(x), base + 0x08);
		assert_int_equal(STM32_DMA_SxM0AR(x), base + 0x0C);
		assert_int_equal(STM32_DMA_SxM1AR(x), base + 0x10);
		assert_int_equal(STM32_DMA_SxFCR(x), base + 0x14);
		if (x + 1 < STM32_DMA_NR_STREAMS)
			assert_int_equal(STM32_DMA_SxFCR(x) + 4, STM32_DMA_SxCR(x + 1));
	}
	/* CMSIS: DMA1_Stream7_BASE = DMA1_BASE + 0x0B8. */
	assert_int_equal(STM32_DMA_STREAM(7), 0xB8);
}

static void stream_registers_end_inside_the_block(void **state)
{
	assert_int_equal(STM32_DMA_SxFCR(STM32_DMA_NR_STREAMS - 1) + 4, STM32_DMA_REGS_END);
	assert_true(STM32_DMA_REGS_END <= STM32_DMA_BLOCK_SIZE);
	assert_true(STM32_DMA_HIFCR + 4 <= STM32_DMA_SxCR(0));
}

static void flag_shift_matches_the_reference_table(void **state)
{
	static const unsigned expect[STM32_DMA_NR_STREAMS] = { 0, 6, 16, 22, 0, 6, 16, 22 };

	for (unsigned n = 0; n < STM32_DMA_NR_STREAMS; n++) {
		assert_int_equal(stm32_dma_flags_shift(n), expect[n]);
		assert_int_equal(STM32_DMA_FLAGS_SHIFT(n), expect[n]);
	}
}

static void streams_0_to_3_use_the_low_registers(void **state)
{
	for (unsigned n = 0; n < STM32_DMA_NR_STREAMS; n++) {
		assert_int_equal(stm32_dma_isr_offset(n), n < 4 ? STM32_DMA_LISR : STM32_DMA_HISR);
		assert_int_equal(stm32_dma_ifcr_offset(n), n < 4 ? STM32_DMA_LIFCR : STM32_DMA_HIFCR);
	}
}

static void flag_bits_sit_at_cmsis_positions(void **state)
{
	/* DMA_LISR_*: FEIF0 0, DMEIF0 2, TEIF0 3, HTIF0 4, TCIF0 5, FEIF1 6,
	 * TCIF1 11, FEIF2 16, HTIF2 20, FEIF3 22, DMEIF3 24, TCIF3 27. */
	assert_int_equal(STM32_DMA_ISR_FEIF(0), 1u << 0);
	assert_int_equal(STM32_DMA_ISR_DMEIF(0), 1u << 2);
	assert_int_equal(STM32_DMA_ISR_TEIF(0), 1u << 3);
	assert_int_equal(STM32_DMA_ISR_HTIF(0), 1u << 4);
	assert_int_equal(STM32_DMA_ISR_TCIF(0), 1u << 5);
	assert_int_equal(STM32_DMA_ISR_FEIF(1), 1u << 6);
	assert_int_equal(STM32_DMA_ISR_TCIF(1), 1u << 11);
	assert_int_equal(STM32_DMA_ISR_FEIF(2), 1u << 16);
	assert_int_equal(STM32_DMA_ISR_HTIF(2), 1u << 20);
	assert_int_equal(STM32_DMA_ISR_FEIF(3), 1u << 22);
	assert_int_equal(STM32_DMA_ISR_DMEIF(3), 1u << 24);
	assert_int_equal(STM32_DMA_ISR_TCIF(3), 1u << 27);
	/* HISR repeats the layout: TCIF7 27, FEIF4 0. */
	assert_int_equal(STM32_DMA_ISR_TCIF(7), 1u << 27);
	assert_int_equal(STM32_DMA_ISR_FEIF(4), 1u << 0);
	assert_int_equal(~STM32_DMA_xISR_RESERVED, 0x0F7D0F7Du);
}

static void flag_helpers_convert_groups_and_registers(void **state)
{
	assert_int_equal(stm32_dma_flags_to_reg(5, STM32_DMA_TCIF), 1u << 11);
	assert_int_equal(stm32_dma_flags_to_reg(3, STM32_DMA_FLAGS_ALL), 0x3Du << 22);
	/* Reserved bit 1 of a group is never produced. */
	assert_int_equal(stm32_dma_flags_to_reg(2, 0x3F), 0x3Du << 16);
	assert_int_equal(stm32_dma_flags_from_reg(6, 1u << 19 | 1u << 21),
			 STM32_DMA_TEIF | STM32_DMA_TCIF);
	assert_int_equal(stm32_dma_flags_from_reg(0, 0xFFFFFFFFu), STM32_DMA_FLAGS_ALL);
}

static void sxcr_fields_match_rm0433(void **state)
{
	assert_int_equal(STM32_DMA_SxCR_EN, 0x00000001u);
	assert_int_equal(STM32_DMA_SxCR_DMEIE, 0x00000002u);
	assert_int_equal(STM32_DMA_SxCR_TEIE, 0x00000004u);
	assert_int_equal(STM32_DMA_SxCR_HTIE, 0x00000008u);
	assert_int_equal(STM32_DMA_SxCR_TCIE, 0x00000010u);
	assert_int_equal(STM32_DMA_SxCR_PFCTRL, 0x00000020u);
	assert_int_equal(STM32_DMA_SxCR_DIR, 0x000000C0u);	/* 7:6 */
	assert_int_equal(STM32_DMA_SxCR_CIRC, 0x00000100u);
	assert_int_equal(STM32_DMA_SxCR_PINC, 0x00000200u);
	assert_int_equal(STM32_DMA_SxCR_MINC, 0x00000400u);
	assert_int_equal(STM32_DMA_SxCR_PSIZE, 0x00001800u);	/* 12:11 */
	assert_int_equal(STM32_DMA_SxCR_MSIZE, 0x00006000u);	/* 14:13 */
	assert_int_equal(STM32_DMA_SxCR_PINCOS, 0x00008000u);
	assert_int_equal(STM32_DMA_SxCR_PL, 0x00030000u);	/* 17:16 */
	assert_int_equal(STM32_DMA_SxCR_DBM, 0x00040000u);
	assert_int_equal(STM32_DMA_SxCR_CT, 0x00080000u);
	assert_int_equal(STM32_DMA_SxCR_TRBUFF, 0x00100000u);
	assert_int_equal(STM32_DMA_SxCR_PBURST, 0x00600000u);	/* 22:21 */
	assert_int_equal(STM32_DMA_SxCR_MBURST, 0x01800000u);	/* 24:23 */
}

static void sxcr_has_no_channel_select_on_h7(void **state)
{
	/* F4's CHSEL (27:25) is reserved on H7: DMAMUX1 routes requests. */
	assert_int_equal(STM32_DMA_SxCR_RESERVED & 0x0E000000u, 0x0E000000u);
	assert_int_equal(STM32_DMA_SxCR_RESERVED, 0xFE000000u);
}

static void sxcr_value_encodings(void **state)
{
	assert_int_equal(STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_P2M), 0x00);
	assert_int_equal(STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_M2P), 0x40);
	assert_int_equal(STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_M2M), 0x80);
	assert_int_equal(STM32_FIELD_PREP(STM32_DMA_SxCR_PSIZE, STM32_DMA_SIZE_WORD), 0x1000);
	assert_int_equal(STM32_FIELD_PREP(STM32_DMA_SxCR_MSIZE, STM32_DMA_SIZE_HALFWORD), 0x2000);
	assert_int_equal(STM32_FIELD_PREP(STM32_DMA_SxCR_PL, STM32_DMA_PL_VERY_HIGH), 0x30000);
	assert_int_equal(STM32_FIELD_PREP(STM32_DMA_SxCR_MBURST, STM32_DMA_BURST_INCR16),
			 0x01800000u);
	assert_int_equal(STM32_FIELD_PREP(STM32_DMA_SxCR_PBURST, STM32_DMA_BURST_INCR4),
			 0x00200000u);
}

static void sxndtr_counts_16_bits(void **state)
{
	assert_int_equal(STM32_DMA_SxNDTR_NDT, 0x0000FFFFu);
	assert_int_equal(STM32_FIELD_MAX(STM32_DMA_SxNDTR_NDT), STM32_DMA_MAX_NDT);
}

static void sxfcr_fields_and_reset_value(void **state)
{
	assert_int_equal(STM32_DMA_SxFCR_FTH, 0x03u);
	assert_int_equal(STM32_DMA_SxFCR_DMDIS, 0x04u);
	assert_int_equal(STM32_DMA_SxFCR_FS, 0x38u);
	assert_int_equal(STM32_DMA_SxFCR_FEIE, 0x80u);
	/* 0x21: FIFO empty, threshold 1/2, direct mode. */
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxFCR_FS, STM32_DMA_SxFCR_RESET),
			 STM32_DMA_FS_EMPTY);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxFCR_FTH, STM32_DMA_SxFCR_RESET),
			 STM32_DMA_FTH_HALF);
	assert_int_equal(STM32_DMA_SxFCR_RESET & STM32_DMA_SxFCR_DMDIS, 0);
	assert_int_equal(STM32_DMA_SxFCR_RESET & STM32_DMA_SxFCR_RESERVED, 0);
}

static void field_helpers_round_trip(void **state)
{
	assert_int_equal(STM32_GENMASK(7, 6), 0xC0u);
	assert_int_equal(STM32_GENMASK(31, 0), 0xFFFFFFFFu);
	assert_int_equal(STM32_GENMASK(31, 31), 0x80000000u);
	assert_int_equal(STM32_BIT(31), 0x80000000u);
	assert_int_equal(STM32_FIELD_GET(STM32_DMA_SxCR_DIR, 0xFFFFFFBFu), 2);
	/* Excess bits of a value are dropped, never spilled into a neighbour. */
	assert_int_equal(STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, 7), 0xC0u);
	for (uint32_t v = 0; v <= STM32_FIELD_MAX(STM32_DMAMUX_CxCR_NBREQ); v++)
		assert_int_equal(STM32_FIELD_GET(STM32_DMAMUX_CxCR_NBREQ,
						 STM32_FIELD_PREP(STM32_DMAMUX_CxCR_NBREQ, v)), v);
}

static void block_addresses_match_cmsis(void **state)
{
	assert_int_equal(STM32H7_DMA1_BASE, 0x40020000u);
	assert_int_equal(STM32H7_DMA2_BASE, 0x40020400u);
	assert_int_equal(STM32H7_DMAMUX1_BASE, 0x40020800u);
	assert_int_equal(STM32H7_DMA2_BASE - STM32H7_DMA1_BASE, STM32_DMA_BLOCK_SIZE);
	/* One 4 KiB page holds all three on H7 (a UIO map of one shows all). */
	assert_int_equal(STM32H7_DMA1_BASE >> 12, STM32H7_DMAMUX1_BASE >> 12);
	/* STM32MP1: each on its own page. */
	assert_int_equal(STM32MP1_DMA1_BASE, 0x48000000u);
	assert_int_equal(STM32MP1_DMA2_BASE, 0x48001000u);
	assert_int_equal(STM32MP1_DMAMUX1_BASE, 0x48002000u);
}

static void dmamux_registers_sit_at_cmsis_offsets(void **state)
{
	assert_int_equal(STM32_DMAMUX_CxCR(0), 0x000);
	assert_int_equal(STM32_DMAMUX_CxCR(15), 0x03C);
	assert_int_equal(STM32_DMAMUX_CSR, 0x080);
	assert_int_equal(STM32_DMAMUX_CFR, 0x084);
	assert_int_equal(STM32_DMAMUX_RGxCR(0), 0x100);
	assert_int_equal(STM32_DMAMUX_RGxCR(7), 0x11C);
	assert_int_equal(STM32_DMAMUX_RGSR, 0x140);
	assert_int_equal(STM32_DMAMUX_RGCFR, 0x144);
	assert_true(STM32_DMAMUX_CxCR(STM32_DMAMUX_NR_CHANNELS - 1) + 4 <= STM32_DMAMUX_CSR);
	assert_true(STM32_DMAMUX_RGxCR(STM32_DMAMUX_NR_REQGEN - 1) + 4 <= STM32_DMAMUX_RGSR);
	assert_true(STM32_DMAMUX_RGCFR + 4 <= STM32_DMAMUX_BLOCK_SIZE);
}

static void dmamux_cxcr_fields_match_cmsis(void **state)
{
	assert_int_equal(STM32_DMAMUX_CxCR_DMAREQ_ID, 0x000000FFu);
	assert_int_equal(STM32_DMAMUX_CxCR_SOIE, 0x00000100u);
	assert_int_equal(STM32_DMAMUX_CxCR_EGE, 0x00000200u);
	assert_int_equal(STM32_DMAMUX_CxCR_SE, 0x00010000u);
	assert_int_equal(STM32_DMAMUX_CxCR_SPOL, 0x00060000u);
	assert_int_equal(STM32_DMAMUX_CxCR_NBREQ, 0x00F80000u);
	assert_int_equal(STM32_DMAMUX_CxCR_SYNC_ID, 0x1F000000u);
	/* The H743 range fits the field. */
	assert_true(STM32_DMAMUX_REQ_MAX_H743 <= STM32_FIELD_MAX(STM32_DMAMUX_CxCR_DMAREQ_ID));
}

static void dmamux_rgxcr_fields_match_cmsis(void **state)
{
	assert_int_equal(STM32_DMAMUX_RGxCR_SIG_ID, 0x0000001Fu);
	assert_int_equal(STM32_DMAMUX_RGxCR_OIE, 0x00000100u);
	assert_int_equal(STM32_DMAMUX_RGxCR_GE, 0x00010000u);
	assert_int_equal(STM32_DMAMUX_RGxCR_GPOL, 0x00060000u);
	assert_int_equal(STM32_DMAMUX_RGxCR_GNBREQ, 0x00F80000u);
}

static void dmamux_channels_map_to_dma_streams(void **state)
{
	for (unsigned s = 0; s < STM32_DMA_NR_STREAMS; s++) {
		assert_int_equal(stm32_dmamux_channel(0, s), s);
		assert_int_equal(stm32_dmamux_channel(1, s), s + 8);
	}
	assert_int_equal(stm32_dmamux_channel(1, 7) + 1, STM32_DMAMUX_NR_CHANNELS);
	assert_int_equal(STM32_DMAMUX_REQ_NONE, 0);
	assert_int_equal(STM32_DMAMUX_REQ_GENERATOR(0), 1);
	assert_int_equal(STM32_DMAMUX_REQ_GENERATOR(7), 8);
}

/* ---- DMA master memory map ------------------------------------------------ */

static void tcm_memories_are_unreachable(void **state)
{
	assert_false(stm32_dma_addr_reachable(0x00000000, 4));		/* ITCM */
	assert_false(stm32_dma_addr_reachable(0x0000FFFC, 4));		/* ITCM end */
	assert_false(stm32_dma_addr_reachable(0x20000000, 1024));	/* DTCM */
	assert_false(stm32_dma_addr_reachable(0x2001FFFF, 1));		/* DTCM end */
}

static void sram_regions_are_reachable(void **state)
{
	assert_true(stm32_dma_addr_reachable(STM32H7_AXISRAM_BASE, 512 * 1024));
	assert_true(stm32_dma_addr_reachable(STM32H7_SRAM1_BASE, 288 * 1024));
	assert_true(stm32_dma_addr_reachable(STM32H7_SRAM4_BASE, 64 * 1024));
	assert_true(stm32_dma_addr_reachable(0x08000000, 4096));	/* flash */
	assert_true(stm32_dma_addr_reachable(0x00010000, 16));		/* just past ITCM */
	assert_true(stm32_dma_addr_reachable(0x20020000, 16));		/* just past DTCM */
}

static void ranges_straddling_a_tcm_edge_are_unreachable(void **state)
{
	assert_false(stm32_dma_addr_reachable(0x1FFFFFF0, 0x20));	/* into DTCM */
	assert_false(stm32_dma_addr_reachable(0x2001FFF0, 0x20));	/* out of DTCM */
	assert_false(stm32_dma_addr_reachable(0x0000FFF0, 0x20));	/* out of ITCM */
	assert_false(stm32_dma_addr_reachable(0x00000000, 0x30000000)); /* spans both */
}

static void addresses_beyond_32_bits_are_unreachable(void **state)
{
	assert_false(stm32_dma_addr_reachable(0xFFFFFFF0u, 0x20));
	assert_false(stm32_dma_addr_reachable(UINT64_C(0x100000000), 4));
	assert_false(stm32_dma_addr_reachable(UINT64_MAX, 2));		/* wraps */
	assert_true(stm32_dma_addr_reachable(0xFFFFFFF0u, 0x10));	/* ends at 4 GiB */
}

static void empty_ranges_are_reachable_only_below_4_gib(void **state)
{
	assert_true(stm32_dma_addr_reachable(0x24000000, 0));
	assert_false(stm32_dma_addr_reachable(UINT64_C(0x100000000), 0));
}

static void holes_are_itcm_then_dtcm(void **state)
{
	assert_string_equal(stm32_dma_hole(0)->name, "ITCM");
	assert_int_equal(stm32_dma_hole(0)->base, 0x00000000u);
	assert_int_equal(stm32_dma_hole(0)->size, 64 * 1024);
	assert_string_equal(stm32_dma_hole(1)->name, "DTCM");
	assert_int_equal(stm32_dma_hole(1)->base, 0x20000000u);
	assert_int_equal(stm32_dma_hole(1)->size, 128 * 1024);
	assert_null(stm32_dma_hole(STM32H7_DMA_NR_HOLES));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_field_lies_within_32_bits),
		cmocka_unit_test(every_field_is_contiguous),
		cmocka_unit_test(fields_of_a_register_do_not_overlap),
		cmocka_unit_test(every_field_belongs_to_a_listed_register),
		cmocka_unit_test(fields_never_cover_reserved_bits),
		cmocka_unit_test(fields_and_reserved_bits_cover_each_register),
		cmocka_unit_test(common_registers_sit_at_rm0433_offsets),
		cmocka_unit_test(stream_registers_follow_the_stride),
		cmocka_unit_test(stream_registers_end_inside_the_block),
		cmocka_unit_test(flag_shift_matches_the_reference_table),
		cmocka_unit_test(streams_0_to_3_use_the_low_registers),
		cmocka_unit_test(flag_bits_sit_at_cmsis_positions),
		cmocka_unit_test(flag_helpers_convert_groups_and_registers),
		cmocka_unit_test(sxcr_fields_match_rm0433),
		cmocka_unit_test(sxcr_has_no_channel_select_on_h7),
		cmocka_unit_test(sxcr_value_encodings),
		cmocka_unit_test(sxndtr_counts_16_bits),
		cmocka_unit_test(sxfcr_fields_and_reset_value),
		cmocka_unit_test(field_helpers_round_trip),
		cmocka_unit_test(block_addresses_match_cmsis),
		cmocka_unit_test(dmamux_registers_sit_at_cmsis_offsets),
		cmocka_unit_test(dmamux_cxcr_fields_match_cmsis),
		cmocka_unit_test(dmamux_rgxcr_fields_match_cmsis),
		cmocka_unit_test(dmamux_channels_map_to_dma_streams),
		cmocka_unit_test(tcm_memories_are_unreachable),
		cmocka_unit_test(sram_regions_are_reachable),
		cmocka_unit_test(ranges_straddling_a_tcm_edge_are_unreachable),
		cmocka_unit_test(addresses_beyond_32_bits_are_unreachable),
		cmocka_unit_test(empty_ranges_are_reachable_only_below_4_gib),
		cmocka_unit_test(holes_are_itcm_then_dtcm),
	};

	return cmocka_run_group_tests_name("stm32-regs", tests, NULL, NULL);
}
