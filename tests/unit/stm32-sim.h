/* SPDX-License-Identifier: MIT */
/*
 * stm32-sim - a register-level simulator of the STM32H7 DMA1/DMA2 stream
 * controllers and DMAMUX1 behind the UIO seam, for tests only.
 *
 * The UIO side is the fake kernel driver (uio_fake.h) with four devices:
 *   uio0 "dma1"     map0 = DMA1 registers, 0x40020000 (IRQ, automasked)
 *   uio1 "dma2"     map0 = DMA2 registers, page 0x40020000 + offset 0x400
 *   uio2 "dmamux1"  map0 = DMAMUX1, page 0x40020000 + offset 0x800
 *   uio3 "dma-pool" map0 = a reserved-memory region at STM32_SIM_POOL_BASE
 * as uio_pdrv_genirq on 6.12 shows them (page-aligned addr + in-page
 * offset). stm32_sim_env() wraps the fake's ops to learn where the driver
 * mapped each register block; stm32_sim_mmio_ops (data: the sim) then
 * serves every stm32_read()/stm32_write() of the driver from the model.
 *
 * Physical address space (what the DMA masters see): the pool region
 * (backed by the fake's map file, so the driver's mapping and the model
 * share the bytes), AXI SRAM (512 KiB), ITCM and DTCM (present, but a DMA
 * access to them is a bus error, as on the H743), and the peripheral FIFOs:
 * request line L (a DMAMUX1 request input) has a loopback FIFO whose data
 * register is stm32_sim_periph_addr(L); its request is asserted while the
 * FIFO has data (peripheral-to-memory) or room (memory-to-peripheral).
 * Everything else is unmapped: a bus error.
 *
 * The engine (stm32_sim_step/run) moves data per the programmed stream:
 * DIR, PINC/MINC/PINCOS, PSIZE/MSIZE packing through a 16-byte FIFO in
 * FIFO mode (threshold and bursts), one item at a time in direct mode,
 * NDTR counting in PSIZE items, HTIF/TCIF, circular and double-buffer
 * reload (CT toggles; the idle M0AR/M1AR may be rewritten, the current one
 * not: TEIF), EN read-back (a disable completes a few accesses later, then
 * TCIF), the FEIF of a threshold/burst mismatch at enable, peripheral
 * flow control (PFCTRL: NDTR forced to 0xFFFF, the peripheral's last
 * request ends the transfer; CIRC forced off; DBM refused; off in
 * memory-to-memory), and the interrupts: one level line per stream
 * (flag & enable, as the NVIC sees it), each serviced after a latency
 * settable per stream in period ends (stm32_sim_set_irq_latency()), ORed
 * into the controller's UIO device only at the UIO boundary (raised on a
 * rising OR, and again when software unmasks it with the OR still high;
 * held back as a whole by stm32_sim_hold_irq()), or each to a UIO device
 * of its own (stm32_sim_route_stream_irq()). Registers follow the
 * reference: reserved bits are ignored and read 0, xIFCR reads 0, config
 * bits are frozen while EN = 1.
 *
 * Enable-time rules (RM0433 §15.5 register descriptions, cited in the code):
 * an enable while any of the stream's flags is set is refused (EN reads
 * 0, nothing moves); NDTR = 0 enables but serves nothing until disabled,
 * and a NDTR left at 0 by a finished transfer reloads the last programmed
 * count on the next enable; a write to a protected field (all but EN,
 * the interrupt enables and a double-buffer stream's idle target) while
 * EN reads 1 is ignored and a violation; the hardware forces DMDIS in
 * memory-to-memory, MSIZE = PSIZE and single bursts in direct mode,
 * PINCOS = 0 in direct mode or with a peripheral burst, CIRC with DBM
 * (read back so).
 *
 * Address rules (RM0433 §15.3.13): an access not aligned to its size, or
 * a burst across a 1 KB boundary, is a transfer error (TEIF, EN cleared)
 * and a violation; NDT that does not fill whole memory items (Table 111)
 * and a peripheral burst the FIFO cannot take (over 16 bytes, or 16 with
 * FTH 3/4) are violations at enable, the stream runs.
 *
 * DMAMUX1 (RM0433 §17): CxCR picks the request input (0 none, 1..8 the
 * request generators, 9.. the loopback peripherals); synchronization (SE,
 * SYNC_ID, SPOL: each event lets NBREQ + 1 requests through, an event
 * before they are used up sets SOFx in CSR, cleared through CFR), event
 * generation (EGE: an event after each NBREQ + 1 forwarded requests,
 * channels 0..2 feeding signals 0..2), request generators (RGxCR GE,
 * SIG_ID, GPOL, GNBREQ: GNBREQ + 1 requests per trigger, a trigger before
 * they are served sets OFx in RGSR, cleared through RGCFR), and the
 * overrun interrupt level (not wired to UIO). Tests drive the external
 * sync/trigger inputs 3..7 with stm32_sim_mux_signal().
 *
 * Pacing (RM0433 §15.3.20): while a stream's memory port is held busy
 * (stm32_sim_mem_busy()), a peripheral request that finds the FIFO
 * saturated (P2M) or empty (M2P) sets FEIF, direct mode included, and
 * the stream goes on; in direct P2M with MINC = 0 a request while the
 * previous item is not in memory sets DMEIF.
 *
 * Violations: rules whose outcome the silicon does not reliably report
 * (an enable with flags set, a protected field written while EN = 1,
 * memory-to-memory in circular mode (refused with TEIF), the address
 * rules above, NBREQ/GNBREQ written while in use, a sync/trigger input
 * DMAMUX1 lacks) are counted (stm32_sim_violations())
 * so that tests can demand that the driver never breaks one.
 *
 * Faults: bus-error ranges (TEIF, EN cleared), a one-shot read or write
 * error on the next stream enabled, a stalled stream (no progress until it
 * is disabled), a stream whose disable never completes, and injected
 * flags (FEIF/DMEIF, with or without EN cleared).
 *
 * Single-threaded: the test thread steps it; deterministic except for
 * stm32_sim_run()'s rate limit, which uses the monotonic clock.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stm32_mmio.h"
#include "uio.h"
#include "uio_fake.h"

#define STM32_SIM_POOL_BASE	UINT64_C(0xC0000000)	/* FMC SDRAM bank */
#define STM32_SIM_POOL_SIZE	(8u << 20)
#define STM32_SIM_AXI_SIZE	(512u << 10)
#define STM32_SIM_PERIPH_BASE	UINT32_C(0x40011000)
#define STM32_SIM_NR_LINES	128	/* DMAMUX1 request inputs modelled */
#define STM32_SIM_FIFO_SIZE	4096

/* UIO numbers of the simulated devices. */
enum {
	STM32_SIM_UIO_DMA1 = 0,
	STM32_SIM_UIO_DMA2 = 1,
	STM32_SIM_UIO_DMAMUX = 2,
	STM32_SIM_UIO_POOL = 3,
};

/* Register blocks for stm32_sim_peek(). */
enum stm32_sim_block {
	STM32_SIM_DMA1 = 0,
	STM32_SIM_DMA2 = 1,
	STM32_SIM_DMAMUX1 = 2,
};

struct stm32_sim;

/* A simulator with its fake UIO tree (pool of @pool_size bytes, 0 for the
 * default). -errno when the fake cannot be made. */
int stm32_sim_new(size_t pool_size, struct stm32_sim **ret_sim);
/* Free everything (the driver must have let go of its UIO devices). */
void stm32_sim_free(struct stm32_sim *sim);

/* The UIO env the driver and the heap open devices through. */
const struct uio_env *stm32_sim_env(struct stm32_sim *sim);
/* The register accessors; pass the sim as their data. */
extern const struct stm32_mmio_ops stm32_sim_mmio_ops;
struct uio_fake *stm32_sim_fake(struct stm32_sim *sim);

/* Run bus slots until @budget bytes moved on the peripheral ports, no
 * stream can progress, or an interrupt line rose (the caller services it
 * before the bus moves on). Returns the bytes moved (other progress, such
 * as a FIFO drain or a stop, counts as 1). */
size_t stm32_sim_step(struct stm32_sim *sim, size_t budget);
/* Step with the budget the rate allows since the last call (everything
 * possible when the rate is 0). */
size_t stm32_sim_run(struct stm32_sim *sim);
/* Limit stm32_sim_run() to about @bytes_per_sec (0: no limit). */
void stm32_sim_set_rate(struct stm32_sim *sim, uint64_t bytes_per_sec);
/* Accesses (CR reads or slots) a disable takes to complete (>= 1; 2). */
void stm32_sim_set_stop_delay(struct stm32_sim *sim, unsigned accesses);
/* Interrupt service latency: while @hold, controller @ctrl's line is kept
 * from the UIO device (software has not got to it yet) and the streams run
 * on, so several period ends (TCIF set once, CT toggled each time in DBM)
 * can pass before the handler runs. Releasing it raises the interrupt if
 * the level is still high. -EINVAL for a bad @ctrl. */
int stm32_sim_hold_irq(struct stm32_sim *sim, unsigned ctrl, bool hold);
/* Service latency of stream @stream's interrupt line (or of every stream
 * of @ctrl: STM32_SIM_ALL_STREAMS): a line that rises is serviced (counts
 * in the UIO line) only after @period_ends more period ends of that
 * stream (TCIFs the hardware sets), or at once when the stream has
 * stopped, or when the bus goes idle (no stream can move). 0 (the
 * default): at once. -EINVAL for a bad @ctrl or @stream. */
#define STM32_SIM_ALL_STREAMS (~0u)
int stm32_sim_set_irq_latency(struct stm32_sim *sim, unsigned ctrl, unsigned stream,
			      unsigned period_ends);
/* Route stream @stream's line to fake UIO device @uio (added by the
 * caller with UIO_FAKE_IRQ, as a uio_pdrv_genirq node per stream IRQ:
 * stm32h7-dma.md §13) instead of the controller's; -1 routes it back.
 * -EINVAL for a bad argument. */
int stm32_sim_route_stream_irq(struct stm32_sim *sim, unsigned ctrl, unsigned stream,
			       int uio);
/* Times stream @stream's line was serviced (went up). */
unsigned stm32_sim_stream_irqs(struct stm32_sim *sim, unsigned ctrl, unsigned stream);

/* Host pointer to simulated physical memory [@addr, @addr + @len), any
 * region (TCMs included), or NULL. */
void *stm32_sim_phys(struct stm32_sim *sim, uint64_t addr, size_t len);

/* Faults. Kinds: bit 0 reads, bit 1 writes. */
#define STM32_SIM_READ 1u
#define STM32_SIM_WRITE 2u
int stm32_sim_bus_error(struct stm32_sim *sim, uint64_t base, uint64_t len, unsigned kinds);
void stm32_sim_clear_bus_errors(struct stm32_sim *sim);
/* The next stream enabled fails at its first access of @kind. */
void stm32_sim_fail_next(struct stm32_sim *sim, unsigned kind);
/* Stream @stream of controller @ctrl makes no progress until disabled. */
int stm32_sim_stall(struct stm32_sim *sim, unsigned ctrl, unsigned stream, bool stall);
/* Its disables never complete (EN keeps reading 1) while @stuck. */
int stm32_sim_stuck(struct stm32_sim *sim, unsigned ctrl, unsigned stream, bool stuck);
/* Pacing: the memory port of that stream is not granted for its next
 * @slots bus slots (another master holds the memory) while the
 * peripheral side goes on, so FIFO overrun/underrun (FEIF) and the
 * direct-mode error (DMEIF) come from rates, not injection. */
int stm32_sim_mem_busy(struct stm32_sim *sim, unsigned ctrl, unsigned stream,
		       unsigned slots);
/* Set @flags (STM32_DMA_FEIF/DMEIF/...) on a stream; @disable also clears
 * EN as hardware does on a FIFO configuration error. */
int stm32_sim_inject_flags(struct stm32_sim *sim, unsigned ctrl, unsigned stream,
			   uint32_t flags, bool disable);

/* Peripheral side of request line @line. */
uint32_t stm32_sim_periph_addr(unsigned line);
long stm32_sim_periph_push(struct stm32_sim *sim, unsigned line, const void *data, size_t len);
long stm32_sim_periph_pop(struct stm32_sim *sim, unsigned line, void *buf, size_t len);
long stm32_sim_periph_level(struct stm32_sim *sim, unsigned line);
/* Arm the peripheral on @line as a flow controller: the request that
 * moves the byte making @bytes more bytes through its data register
 * (counted by streams with PFCTRL, from the previous end) is its last
 * one: the stream then ends (TCIF, EN cleared). Up to 4 ends queue, in
 * order; 0 disarms all. -EINVAL for a bad line, -ENOSPC when 4 wait. */
int stm32_sim_periph_last(struct stm32_sim *sim, unsigned line, size_t bytes);

/* DMAMUX1: drive synchronization / trigger input @id (3..7: LPTIM1/2/3,
 * EXTI0, TIM12_TRGO; 0..2 are channel events, driven by the model) to
 * @level; a change is one edge. -EINVAL for another @id. */
int stm32_sim_mux_signal(struct stm32_sim *sim, unsigned id, bool level);
/* Events channel @ch generated (EGE) so far. */
unsigned stm32_sim_mux_events(struct stm32_sim *sim, unsigned ch);
/* Requests generator @gen still asserts, or -EINVAL. */
long stm32_sim_mux_gen_pending(struct stm32_sim *sim, unsigned gen);
/* The DMAMUX1 overrun interrupt level (IRQ 102: SOFx & SOIE, OFx & OIE);
 * not wired to a UIO device. */
bool stm32_sim_mux_irq(struct stm32_sim *sim);

/* A register's current value, without side effects. */
uint32_t stm32_sim_peek(struct stm32_sim *sim, enum stm32_sim_block block, uint32_t off);
/* Interrupts raised on controller @ctrl so far. */
unsigned stm32_sim_irqs(struct stm32_sim *sim, unsigned ctrl);
/* Enables seen on controller @ctrl's stream @stream (starts). */
unsigned stm32_sim_starts(struct stm32_sim *sim, unsigned ctrl, unsigned stream);
/* The NDTR value of the last enable of that stream. */
uint32_t stm32_sim_last_ndtr(struct stm32_sim *sim, unsigned ctrl, unsigned stream);
/* The CR value of the last enable of that stream. */
uint32_t stm32_sim_last_cr(struct stm32_sim *sim, unsigned ctrl, unsigned stream);
/* Enables of that stream refused because its flags were still set. */
unsigned stm32_sim_refused(struct stm32_sim *sim, unsigned ctrl, unsigned stream);
/* Rules software broke whose outcome the silicon does not (reliably)
 * report (see the header comment); *@ret_last (may be NULL) gets the
 * last one as text, NULL if none. */
unsigned stm32_sim_violations(struct stm32_sim *sim, const char **ret_last);
