/* SPDX-License-Identifier: MIT */
/*
 * What the DMA1/DMA2 bus masters of an STM32H743/H750 can reach
 * (RM0433 §2.1.6 and Table 3; stm32h7-dma.md §10).
 *
 * Both ports of DMA1 and DMA2 reach every internal memory except the
 * Cortex-M7's tightly coupled memories: ITCM (64 KiB at 0x00000000) and
 * DTCM (128 KiB at 0x20000000). A stream that touches either gets a bus
 * error (TEIF, EN cleared); DTCM is the default RAM of many CubeH7 linker
 * scripts, the classic pitfall. Buffers belong in AXI SRAM (0x24000000),
 * D2 SRAM1..3 (0x30000000) or SRAM4 (0x38000000). The masters are 32-bit:
 * nothing at or above 4 GiB exists for them.
 *
 * H72x/H73x can trade AXI SRAM for a larger ITCM through option bytes; this
 * table is for H743/H750 (fixed 64 KiB ITCM). Pure functions, any thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define STM32H7_ITCM_BASE	UINT32_C(0x00000000)
#define STM32H7_ITCM_SIZE	UINT32_C(0x00010000)	/* 64 KiB */
#define STM32H7_DTCM_BASE	UINT32_C(0x20000000)
#define STM32H7_DTCM_SIZE	UINT32_C(0x00020000)	/* 128 KiB */
#define STM32H7_AXISRAM_BASE	UINT32_C(0x24000000)	/* 512 KiB, D1 */
#define STM32H7_SRAM1_BASE	UINT32_C(0x30000000)	/* SRAM1..3, 288 KiB, D2 */
#define STM32H7_SRAM4_BASE	UINT32_C(0x38000000)	/* 64 KiB, D3 */

/* The DMA masters' address space: 32 bits. */
#define STM32_DMA_ADDR_LIMIT	(UINT64_C(1) << 32)

/* A memory range the DMA1/DMA2 masters cannot reach. */
struct stm32_dma_hole {
	const char *name;
	uint32_t base;
	uint32_t size;
};

#define STM32H7_DMA_NR_HOLES 2

/* The unreachable ranges, lowest first; NULL for @i out of range. */
static inline const struct stm32_dma_hole *stm32_dma_hole(unsigned i)
{
	static const struct stm32_dma_hole holes[STM32H7_DMA_NR_HOLES] = {
		{ "ITCM", STM32H7_ITCM_BASE, STM32H7_ITCM_SIZE },
		{ "DTCM", STM32H7_DTCM_BASE, STM32H7_DTCM_SIZE },
	};

	return i < STM32H7_DMA_NR_HOLES ? &holes[i] : NULL;
}

/*
 * True if DMA1/DMA2 can access every byte of [@addr, @addr + @len): the
 * range lies below 4 GiB and overlaps neither ITCM nor DTCM. An empty range
 * (@len 0) is reachable when @addr itself lies in the 32-bit space.
 */
static inline bool stm32_dma_addr_reachable(uint64_t addr, uint64_t len)
{
	if (addr > STM32_DMA_ADDR_LIMIT || len > STM32_DMA_ADDR_LIMIT - addr)
		return false;
	if (len == 0)
		return addr < STM32_DMA_ADDR_LIMIT;
	for (unsigned i = 0; i < STM32H7_DMA_NR_HOLES; i++) {
		uint64_t b = stm32_dma_hole(i)->base;
		uint64_t e = b + stm32_dma_hole(i)->size;

		if (addr < e && addr + len > b)
			return false;
	}
	return true;
}
