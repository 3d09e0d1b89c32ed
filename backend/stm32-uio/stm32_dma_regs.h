/* SPDX-License-Identifier: MIT */
/*
 * STM32H7 DMA1/DMA2 (dual-AHB, 8-stream DMA controller) and DMAMUX1:
 * register offsets and bit fields, named after RM0433 (chapter 15 "DMA"
 * and chapter 17 "DMAMUX") with an STM32_DMA_ / STM32_DMAMUX_ prefix.
 *
 * Values were checked against ST's CMSIS device header
 * (STMicroelectronics/cmsis_device_h7 Include/stm32h743xx.h: DMA_Stream_
 * TypeDef, DMA_TypeDef, DMAMUX_*_TypeDef, the DMA_Sx*, DMA_LISR/HISR and
 * DMAMUX_* bit definitions and the *_BASE addresses) and against the
 * reference notes ../shared/reference/stm32h7-dma.md (relative to the
 * source tree's root). Where the sources disagree the
 * choice is said next to the field (TRBUFF, DMAMUX ID widths).
 *
 * Every offset is in bytes from the start of its block (DMA1, DMA2 or
 * DMAMUX1); every register is 32 bits wide and must be accessed with 32-bit
 * loads and stores only. Each register also has a _RESERVED mask: bits that
 * RM0433 marks reserved, which software must keep at reset value (0) and a
 * simulator must ignore on write and read back as 0. The fields of a
 * register and its reserved mask partition the 32 bits
 * (tests/unit/test-stm32-regs.c checks it).
 *
 * Pure constants and inline helpers: no state, usable from any thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* ---- Field helpers (Linux bitfield.h style, 32-bit registers) -------- */

/* Bit @n of a 32-bit register. */
#define STM32_BIT(n) (UINT32_C(1) << (n))
/* Bits @h down to @l inclusive (h >= l, both 0..31). */
#define STM32_GENMASK(h, l) \
	((UINT32_MAX >> (31 - (h))) & (UINT32_MAX << (l)))
/* Position of the lowest set bit of a non-zero constant mask. */
#define STM32_FIELD_SHIFT(mask) ((unsigned)__builtin_ctz(mask))
/* The value of field @mask inside register value @reg. */
#define STM32_FIELD_GET(mask, reg) \
	((uint32_t)(((uint32_t)(reg) & (mask)) >> STM32_FIELD_SHIFT(mask)))
/* Register bits for @val placed in field @mask (excess high bits dropped). */
#define STM32_FIELD_PREP(mask, val) \
	((uint32_t)(((uint32_t)(val) << STM32_FIELD_SHIFT(mask)) & (mask)))
/* Largest value field @mask can hold. */
#define STM32_FIELD_MAX(mask) ((uint32_t)((mask) >> STM32_FIELD_SHIFT(mask)))

/* ---- Base addresses ----------------------------------------------------- */

/* STM32H743/H750: the three blocks share one 4 KiB page (D2 AHB1). */
#define STM32H7_DMA1_BASE	UINT32_C(0x40020000)
#define STM32H7_DMA2_BASE	UINT32_C(0x40020400)
#define STM32H7_DMAMUX1_BASE	UINT32_C(0x40020800)
/* STM32MP15x: same IP and layout, each block on its own 4 KiB page. */
#define STM32MP1_DMA1_BASE	UINT32_C(0x48000000)
#define STM32MP1_DMA2_BASE	UINT32_C(0x48001000)
#define STM32MP1_DMAMUX1_BASE	UINT32_C(0x48002000)

/* ======================================================================
 * DMA1 / DMA2
 * ====================================================================== */

#define STM32_DMA_NR_CONTROLLERS 2	/* DMA1 and DMA2 */
#define STM32_DMA_NR_STREAMS	8	/* streams 0..7 per controller */
#define STM32_DMA_FIFO_SIZE	16	/* bytes (4 words) of FIFO per stream */
#define STM32_DMA_MAX_NDT	0xFFFFu	/* largest SxNDTR item count */
/* Address space RM0433 gives each controller; the registers end at 0xD0. */
#define STM32_DMA_BLOCK_SIZE	0x400u
#define STM32_DMA_REGS_END	0xD0u

/* ---- Common registers --------------------------------------------------- */

#define STM32_DMA_LISR	0x00u	/* low interrupt status, streams 0..3 (read-only) */
#define STM32_DMA_HISR	0x04u	/* high interrupt status, streams 4..7 (read-only) */
#define STM32_DMA_LIFCR	0x08u	/* low interrupt flag clear, streams 0..3 (write 1 to clear, reads 0) */
#define STM32_DMA_HIFCR	0x0Cu	/* high interrupt flag clear, streams 4..7 (write 1 to clear, reads 0) */

/*
 * Each stream owns a 6-bit group of event flags in xISR, and the clear bits
 * at the same positions in xIFCR (CFEIFx, CDMEIFx, CTEIFx, CHTIFx, CTCIFx).
 * The group of stream n starts at bit stm32_dma_flags_shift(n): 0, 6, 16 or
 * 22 for n mod 4. Bit 1 of each group is reserved.
 */
#define STM32_DMA_FEIF	STM32_BIT(0)	/* FIFO error: over/underrun, or FTH/MBURST mismatch at enable */
#define STM32_DMA_DMEIF	STM32_BIT(2)	/* direct mode error (direct mode only) */
#define STM32_DMA_TEIF	STM32_BIT(3)	/* transfer error (bus error); hardware clears EN */
#define STM32_DMA_HTIF	STM32_BIT(4)	/* half transfer: half of NDT items done */
#define STM32_DMA_TCIF	STM32_BIT(5)	/* transfer complete (also after a software stop) */
/* All five flags of one group, unshifted. */
#define STM32_DMA_FLAGS_ALL \
	(STM32_DMA_FEIF | STM32_DMA_DMEIF | STM32_DMA_TEIF | STM32_DMA_HTIF | STM32_DMA_TCIF)
/* The error flags of one group, unshifted. */
#define STM32_DMA_FLAGS_ERR (STM32_DMA_FEIF | STM32_DMA_DMEIF | STM32_DMA_TEIF)

/* Bit position of stream @n's flag group inside LISR/HISR (LIFCR/HIFCR):
 * 0, 6, 16, 22 for n mod 4. A constant expression for constant @n. */
#define STM32_DMA_FLAGS_SHIFT(n) \
	((((unsigned)(n) & 2u) ? 16u : 0u) + (((unsigned)(n) & 1u) ? 6u : 0u))

static inline unsigned stm32_dma_flags_shift(unsigned n)
{
	return STM32_DMA_FLAGS_SHIFT(n);
}

/* Offset of the status register holding stream @n's flags. */
static inline uint32_t stm32_dma_isr_offset(unsigned n)
{
	return n < 4 ? STM32_DMA_LISR : STM32_DMA_HISR;
}

/* Offset of the flag clear register for stream @n. */
static inline uint32_t stm32_dma_ifcr_offset(unsigned n)
{
	return n < 4 ? STM32_DMA_LIFCR : STM32_DMA_HIFCR;
}

/* xISR/xIFCR bits of flag(s) @flags (unshifted STM32_DMA_*IF) of stream @n. */
static inline uint32_t stm32_dma_flags_to_reg(unsigned n, uint32_t flags)
{
	return (flags & STM32_DMA_FLAGS_ALL) << stm32_dma_flags_shift(n);
}

/* The unshifted flags of stream @n in a LISR/HISR value @reg. */
static inline uint32_t stm32_dma_flags_from_reg(unsigned n, uint32_t reg)
{
	return (reg >> stm32_dma_flags_shift(n)) & STM32_DMA_FLAGS_ALL;
}

/* Per-stream flag bits as RM0433 names them (x = stream 0..7; LISR holds
 * 0..3, HISR 4..7 at the same positions as x - 4). */
#define STM32_DMA_ISR_FEIF(x)	(STM32_DMA_FEIF << STM32_DMA_FLAGS_SHIFT(x))	/* FEIFx */
#define STM32_DMA_ISR_DMEIF(x)	(STM32_DMA_DMEIF << STM32_DMA_FLAGS_SHIFT(x))	/* DMEIFx */
#define STM32_DMA_ISR_TEIF(x)	(STM32_DMA_TEIF << STM32_DMA_FLAGS_SHIFT(x))	/* TEIFx */
#define STM32_DMA_ISR_HTIF(x)	(STM32_DMA_HTIF << STM32_DMA_FLAGS_SHIFT(x))	/* HTIFx */
#define STM32_DMA_ISR_TCIF(x)	(STM32_DMA_TCIF << STM32_DMA_FLAGS_SHIFT(x))	/* TCIFx */
/* LIFCR/HIFCR clear bits: same positions (CFEIFx ... CTCIFx). */
#define STM32_DMA_IFCR_CFEIF(x)	 STM32_DMA_ISR_FEIF(x)	/* CFEIFx */
#define STM32_DMA_IFCR_CDMEIF(x) STM32_DMA_ISR_DMEIF(x)	/* CDMEIFx */
#define STM32_DMA_IFCR_CTEIF(x)	 STM32_DMA_ISR_TEIF(x)	/* CTEIFx */
#define STM32_DMA_IFCR_CHTIF(x)	 STM32_DMA_ISR_HTIF(x)	/* CHTIFx */
#define STM32_DMA_IFCR_CTCIF(x)	 STM32_DMA_ISR_TCIF(x)	/* CTCIFx */
/* Reserved bits of LISR/HISR/LIFCR/HIFCR: bit 1 of each group, 12..15, 28..31. */
#define STM32_DMA_xISR_RESERVED \
	(STM32_BIT(1) | STM32_BIT(7) | STM32_BIT(17) | STM32_BIT(23) | \
	 STM32_GENMASK(15, 12) | STM32_GENMASK(31, 28))

/* ---- Per-stream registers ----------------------------------------------- */

#define STM32_DMA_STREAM_BASE	0x10u	/* offset of stream 0's SxCR */
#define STM32_DMA_STREAM_STRIDE	0x18u	/* bytes between two streams' blocks */

/* Offset of stream @x's register block (its SxCR). */
#define STM32_DMA_STREAM(x)	(STM32_DMA_STREAM_BASE + STM32_DMA_STREAM_STRIDE * (uint32_t)(x))
#define STM32_DMA_SxCR(x)	(STM32_DMA_STREAM(x) + 0x00u)	/* stream x configuration */
#define STM32_DMA_SxNDTR(x)	(STM32_DMA_STREAM(x) + 0x04u)	/* stream x number of data items */
#define STM32_DMA_SxPAR(x)	(STM32_DMA_STREAM(x) + 0x08u)	/* stream x peripheral address */
#define STM32_DMA_SxM0AR(x)	(STM32_DMA_STREAM(x) + 0x0Cu)	/* stream x memory 0 address */
#define STM32_DMA_SxM1AR(x)	(STM32_DMA_STREAM(x) + 0x10u)	/* stream x memory 1 address (DBM) */
#define STM32_DMA_SxFCR(x)	(STM32_DMA_STREAM(x) + 0x14u)	/* stream x FIFO control */

/* SxCR: stream configuration. Everything but EN is writable only while EN
 * reads 0 (CT and the idle M0AR/M1AR excepted in double-buffer mode). */
#define STM32_DMA_SxCR_EN	STM32_BIT(0)		/* stream enable; reads 1 until the stream has really stopped */
#define STM32_DMA_SxCR_DMEIE	STM32_BIT(1)		/* direct mode error interrupt enable */
#define STM32_DMA_SxCR_TEIE	STM32_BIT(2)		/* transfer error interrupt enable */
#define STM32_DMA_SxCR_HTIE	STM32_BIT(3)		/* half transfer interrupt enable */
#define STM32_DMA_SxCR_TCIE	STM32_BIT(4)		/* transfer complete interrupt enable */
#define STM32_DMA_SxCR_PFCTRL	STM32_BIT(5)		/* peripheral is the flow controller (NDTR forced to 0xFFFF) */
#define STM32_DMA_SxCR_DIR	STM32_GENMASK(7, 6)	/* data transfer direction (STM32_DMA_DIR_*) */
#define STM32_DMA_SxCR_CIRC	STM32_BIT(8)		/* circular mode: NDTR and addresses reload at the end */
#define STM32_DMA_SxCR_PINC	STM32_BIT(9)		/* peripheral address increments after each item */
#define STM32_DMA_SxCR_MINC	STM32_BIT(10)		/* memory address increments after each item */
#define STM32_DMA_SxCR_PSIZE	STM32_GENMASK(12, 11)	/* peripheral data size (STM32_DMA_SIZE_*); NDT counts these */
#define STM32_DMA_SxCR_MSIZE	STM32_GENMASK(14, 13)	/* memory data size (STM32_DMA_SIZE_*); ignored in direct mode */
#define STM32_DMA_SxCR_PINCOS	STM32_BIT(15)		/* peripheral increment fixed at 4 bytes (needs PINC) */
#define STM32_DMA_SxCR_PL	STM32_GENMASK(17, 16)	/* software priority level (STM32_DMA_PL_*) */
#define STM32_DMA_SxCR_DBM	STM32_BIT(18)		/* double-buffer mode: M0AR/M1AR swap at each end */
#define STM32_DMA_SxCR_CT	STM32_BIT(19)		/* current target in DBM: 0 = M0AR, 1 = M1AR */
#define STM32_DMA_SxCR_TRBUFF	STM32_BIT(20)		/* bufferable transfers (U(S)ART erratum); in CMSIS, absent from SVD 2.4 */
#define STM32_DMA_SxCR_PBURST	STM32_GENMASK(22, 21)	/* peripheral burst (STM32_DMA_BURST_*) */
#define STM32_DMA_SxCR_MBURST	STM32_GENMASK(24, 23)	/* memory burst (STM32_DMA_BURST_*) */
/* 31:25 reserved: no CHSEL on H7 (requests come from DMAMUX1). */
#define STM32_DMA_SxCR_RESERVED	STM32_GENMASK(31, 25)
/* The interrupt enables that live in SxCR. */
#define STM32_DMA_SxCR_IRQ_MASK \
	(STM32_DMA_SxCR_DMEIE | STM32_DMA_SxCR_TEIE | STM32_DMA_SxCR_HTIE | STM32_DMA_SxCR_TCIE)

/* SxCR.DIR values. */
#define STM32_DMA_DIR_P2M	0u	/* peripheral (PAR) to memory (M0AR/M1AR) */
#define STM32_DMA_DIR_M2P	1u	/* memory (M0AR/M1AR) to peripheral (PAR) */
#define STM32_DMA_DIR_M2M	2u	/* memory (PAR, peripheral port) to memory (M0AR); FIFO mode only */
/* 3 is reserved. */

/* SxCR.PSIZE / MSIZE values: item size is 1 << value bytes. */
#define STM32_DMA_SIZE_BYTE	0u
#define STM32_DMA_SIZE_HALFWORD	1u
#define STM32_DMA_SIZE_WORD	2u
/* 3 is reserved. */

/* SxCR.PL values. */
#define STM32_DMA_PL_LOW	0u
#define STM32_DMA_PL_MEDIUM	1u
#define STM32_DMA_PL_HIGH	2u
#define STM32_DMA_PL_VERY_HIGH	3u

/* SxCR.PBURST / MBURST values. */
#define STM32_DMA_BURST_SINGLE	0u
#define STM32_DMA_BURST_INCR4	1u
#define STM32_DMA_BURST_INCR8	2u
#define STM32_DMA_BURST_INCR16	3u

/* SxNDTR: items still to transfer, in PSIZE units; reloads in CIRC/DBM. */
#define STM32_DMA_SxNDTR_NDT	STM32_GENMASK(15, 0)	/* number of data items (0..65535) */
#define STM32_DMA_SxNDTR_RESERVED STM32_GENMASK(31, 16)

/* SxPAR / SxM0AR / SxM1AR: 32-bit base addresses; hardware never updates
 * them while it runs (the current pointers are internal). */
#define STM32_DMA_SxPAR_PA	STM32_GENMASK(31, 0)	/* peripheral (or M2M source) address */
#define STM32_DMA_SxPAR_RESERVED 0u
#define STM32_DMA_SxM0AR_M0A	STM32_GENMASK(31, 0)	/* memory 0 address */
#define STM32_DMA_SxM0AR_RESERVED 0u
#define STM32_DMA_SxM1AR_M1A	STM32_GENMASK(31, 0)	/* memory 1 address (double-buffer mode) */
#define STM32_DMA_SxM1AR_RESERVED 0u

/* SxFCR: FIFO control. Reset value 0x21: FIFO empty, FTH 1/2, direct mode. */
#define STM32_DMA_SxFCR_FTH	STM32_GENMASK(1, 0)	/* FIFO threshold (STM32_DMA_FTH_*) */
#define STM32_DMA_SxFCR_DMDIS	STM32_BIT(2)		/* direct mode disable: 1 = FIFO mode */
#define STM32_DMA_SxFCR_FS	STM32_GENMASK(5, 3)	/* FIFO status, read-only (STM32_DMA_FS_*) */
#define STM32_DMA_SxFCR_FEIE	STM32_BIT(7)		/* FIFO error interrupt enable */
#define STM32_DMA_SxFCR_RESERVED (STM32_BIT(6) | STM32_GENMASK(31, 8))
#define STM32_DMA_SxFCR_RESET	UINT32_C(0x00000021)

/* SxFCR.FTH values. */
#define STM32_DMA_FTH_1QUARTER	0u
#define STM32_DMA_FTH_HALF	1u
#define STM32_DMA_FTH_3QUARTERS	2u
#define STM32_DMA_FTH_FULL	3u

/* SxFCR.FS values. */
#define STM32_DMA_FS_LT_1QUARTER 0u	/* 0 < level < 1/4 */
#define STM32_DMA_FS_LT_HALF	1u	/* 1/4 <= level < 1/2 */
#define STM32_DMA_FS_LT_3QUARTERS 2u	/* 1/2 <= level < 3/4 */
#define STM32_DMA_FS_LT_FULL	3u	/* 3/4 <= level < full */
#define STM32_DMA_FS_EMPTY	4u
#define STM32_DMA_FS_FULL	5u

/* ======================================================================
 * DMAMUX1
 * ====================================================================== */

#define STM32_DMAMUX_NR_CHANNELS 16	/* channel n drives DMA(n / 8 + 1) stream n % 8 */
#define STM32_DMAMUX_NR_REQGEN	8	/* request generators 0..7 */
#define STM32_DMAMUX_NR_SYNC	8	/* DMAMUX1 sync inputs / generator signals 0..7 */
/* Address space RM0433 gives DMAMUX1 (the SVD block size). */
#define STM32_DMAMUX_BLOCK_SIZE	0x400u

/* DMAMUX1 channel driving stream @stream (0..7) of controller @dma (0 =
 * DMA1, 1 = DMA2). */
static inline unsigned stm32_dmamux_channel(unsigned dma, unsigned stream)
{
	return dma * STM32_DMA_NR_STREAMS + stream;
}

#define STM32_DMAMUX_CxCR(x)	(0x000u + 4u * (uint32_t)(x))	/* channel x configuration, x = 0..15 */
#define STM32_DMAMUX_CSR	0x080u	/* channel status: synchronization overrun flags (read-only) */
#define STM32_DMAMUX_CFR	0x084u	/* channel clear flag (write 1 to clear) */
#define STM32_DMAMUX_RGxCR(x)	(0x100u + 4u * (uint32_t)(x))	/* request generator x configuration, x = 0..7 */
#define STM32_DMAMUX_RGSR	0x140u	/* request generator status: trigger overrun flags (read-only) */
#define STM32_DMAMUX_RGCFR	0x144u	/* request generator clear flag (write 1 to clear) */

/* CxCR: request routing and synchronisation of channel x. Widths follow
 * CMSIS (DMAREQ_ID 8 bits, SYNC_ID 5 bits, shared with DMAMUX2 and the
 * H72x/H73x); H743's DMAMUX1 needs only 7 and 3 bits (SVD). */
#define STM32_DMAMUX_CxCR_DMAREQ_ID STM32_GENMASK(7, 0)	/* request input (STM32_DMAMUX_REQ_*) */
#define STM32_DMAMUX_CxCR_SOIE	STM32_BIT(8)		/* synchronization overrun interrupt enable */
#define STM32_DMAMUX_CxCR_EGE	STM32_BIT(9)		/* event generation enable (after NBREQ+1 requests) */
#define STM32_DMAMUX_CxCR_SE	STM32_BIT(16)		/* synchronization enable */
#define STM32_DMAMUX_CxCR_SPOL	STM32_GENMASK(18, 17)	/* sync input edge (STM32_DMAMUX_POL_*) */
#define STM32_DMAMUX_CxCR_NBREQ	STM32_GENMASK(23, 19)	/* requests to forward minus 1; write only while SE = EGE = 0 */
#define STM32_DMAMUX_CxCR_SYNC_ID STM32_GENMASK(28, 24)	/* synchronization input */
#define STM32_DMAMUX_CxCR_RESERVED (STM32_GENMASK(15, 10) | STM32_GENMASK(31, 29))

/* CSR / CFR: one bit per channel 0..15. */
#define STM32_DMAMUX_CSR_SOF(x)	STM32_BIT(x)		/* SOFx: sync event while channel x's request counter < NBREQ */
#define STM32_DMAMUX_CSR_SOF_ALL STM32_GENMASK(15, 0)
#define STM32_DMAMUX_CSR_RESERVED STM32_GENMASK(31, 16)
#define STM32_DMAMUX_CFR_CSOF(x) STM32_BIT(x)		/* CSOFx: write 1 to clear SOFx */
#define STM32_DMAMUX_CFR_CSOF_ALL STM32_GENMASK(15, 0)
#define STM32_DMAMUX_CFR_RESERVED STM32_GENMASK(31, 16)

/* RGxCR: request generator x. */
#define STM32_DMAMUX_RGxCR_SIG_ID STM32_GENMASK(4, 0)	/* trigger signal (CMSIS 5 bits; 0..7 used on DMAMUX1) */
#define STM32_DMAMUX_RGxCR_OIE	STM32_BIT(8)		/* trigger overrun interrupt enable */
#define STM32_DMAMUX_RGxCR_GE	STM32_BIT(16)		/* generator enable */
#define STM32_DMAMUX_RGxCR_GPOL	STM32_GENMASK(18, 17)	/* trigger edge (STM32_DMAMUX_POL_*) */
#define STM32_DMAMUX_RGxCR_GNBREQ STM32_GENMASK(23, 19)	/* requests per trigger minus 1; write only while GE = 0 */
#define STM32_DMAMUX_RGxCR_RESERVED \
	(STM32_GENMASK(7, 5) | STM32_GENMASK(15, 9) | STM32_GENMASK(31, 24))

/* RGSR / RGCFR: one bit per request generator 0..7. */
#define STM32_DMAMUX_RGSR_OF(x)	STM32_BIT(x)		/* OFx: trigger overrun on generator x */
#define STM32_DMAMUX_RGSR_OF_ALL STM32_GENMASK(7, 0)
#define STM32_DMAMUX_RGSR_RESERVED STM32_GENMASK(31, 8)
#define STM32_DMAMUX_RGCFR_COF(x) STM32_BIT(x)		/* COFx: write 1 to clear OFx */
#define STM32_DMAMUX_RGCFR_COF_ALL STM32_GENMASK(7, 0)
#define STM32_DMAMUX_RGCFR_RESERVED STM32_GENMASK(31, 8)

/* SPOL / GPOL values. */
#define STM32_DMAMUX_POL_NONE	0u	/* no event: sync/trigger disabled */
#define STM32_DMAMUX_POL_RISING	1u
#define STM32_DMAMUX_POL_FALLING 2u
#define STM32_DMAMUX_POL_BOTH	3u

/* CxCR.DMAREQ_ID values (request line numbers of peripherals: later). */
#define STM32_DMAMUX_REQ_NONE	0u	/* no request: memory-to-memory */
#define STM32_DMAMUX_REQ_GENERATOR(x) (1u + (unsigned)(x))	/* dmamux1_req_gen0..7 = 1..8 */
#define STM32_DMAMUX_REQ_MAX_H743 115u	/* highest request line on H743 (ADC3) */
