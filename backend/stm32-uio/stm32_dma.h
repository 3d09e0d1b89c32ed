/* SPDX-License-Identifier: MIT */
/*
 * stm32_dma - the STM32H7 DMA1/DMA2 stream controller as a dmaengine
 * provider, driven from userspace through UIO (drivers/dma/stm32/
 * stm32-dma.c and stm32-dmamux.c are the model; stm32h7-dma.md the
 * hardware reference).
 *
 * One struct stm32_dma per controller, one struct dma_device each (as the
 * Linux driver), eight channels: channel n is stream n. Streams take their
 * requests from DMAMUX1 channel 8 * index + n; the channel's request line
 * (chan->request_line, from the core's name map: the DT dma-spec) is
 * written to that channel's CxCR.DMAREQ_ID when the channel is taken, and
 * 0 when it is let go; a slave transfer takes the line the channel had
 * when it was prepared (a slave config may name another: checked there,
 * -EINVAL beyond the DMAMUX inputs) and DMAMUX1 is routed to it when the
 * transfer starts.
 *
 * Transfers (capabilities DMA_SLAVE, DMA_CYCLIC, DMA_PRIVATE, and
 * DMA_MEMCPY when cfg->mem2mem):
 *   memcpy   memory-to-memory (DIR 10: PAR is the source), byte items, FIFO
 *            mode with threshold full, INCR16 bursts when the length and
 *            both addresses allow them; split into segments of at most
 *            STM32_DMA_MAX_SEG_ITEMS items that run back to back.
 *   slave sg both directions; PSIZE from the slave config's device width,
 *            MSIZE / bursts / FIFO threshold chosen per entry as Linux's
 *            stm32_dma_set_xfer_param() does (direct mode when both bursts
 *            are single and, unlike Linux, the memory address is aligned
 *            to the peripheral width: direct mode accesses memory with
 *            PSIZE; otherwise the FIFO with narrower memory accesses; a
 *            client forcing direct mode gets -EINVAL for such an address);
 *            entries longer than one segment are split. TRBUFF as
 *            the channel config says (by default for U(S)ART requests).
 *            With dma_slave_config.device_fc the peripheral is the flow
 *            controller (SxCR.PFCTRL, RM0433 §15.3.17): each entry is
 *            one hardware transfer of at most 0xFFFF items (NDTR is
 *            forced to 0xFFFF at enable: no split), which the peripheral
 *            ends with its last request (or fills the entry: the
 *            peripheral must not send more, the hardware cannot stop it;
 *            a transfer past the entry fails DMA_TRANS_ABORTED); the
 *            bytes an entry was left short count in the residue that
 *            completes the descriptor (DMA_TRANS_NOERROR).
 *   cyclic   (device_fc ignored, as Linux: circular and double-buffer
 *            modes need the DMA as flow controller, RM0433 Table 113)
 *            one period: circular mode (TC per period); more:
 *            double-buffer mode. At each TC the driver reads CT from SxCR
 *            (the hardware toggles it by itself, serviced or not) and the
 *            current target's address, so two period ends serviced late as
 *            one interrupt are both reported (CT unchanged since the last
 *            service) and the driver goes on from the period the hardware
 *            runs; with more than two periods it rewrites only the idle
 *            M0AR/M1AR (the current one must not be written while EN = 1)
 *            with the period after the current one.
 * Residue: NDTR << PSIZE of the running segment plus the segments not yet
 * started, rounded up to a whole memory burst (granularity BURST); with
 * device_fc the running entry's length less the (0xFFFF - NDTR) items
 * moved, plus what finished entries were left short.
 * Pause/resume follow the Linux driver (resume reprograms the addresses
 * from the remaining NDTR; cyclic streams drop CIRC/DBM until the next TC);
 * unlike Linux, a FIFO-mode resume at a memory address that is not a
 * multiple of MSIZE (a stop at any PSIZE item) lowers MSIZE, and drops a
 * burst no longer aligned, for the rest of that segment: the hardware
 * ignores the address bits below the access size. A pause whose stop
 * meets the end of a segment (NDTR 0: every item read, the FIFO flushed
 * by the stop) is that segment's completion: the transfer completes
 * (pause -EPERM, as for one that ended before) or its period is reported,
 * and the pause holds before the next segment or period, which resume
 * programs whole.
 * Terminate clears the stream's interrupt enables, clears EN and waits,
 * bounded by cfg->stop_timeout_us, for EN to read 0.
 *
 * Errors: unlike Linux (which only logs), TEIF, DMEIF, and an FEIF with
 * the stream disabled by hardware without a TC (a FIFO configuration
 * refused at enable) stop the
 * stream, complete the descriptor with DMA_TRANS_READ_FAILED or
 * DMA_TRANS_WRITE_FAILED (so its fence signals -EIO), reset the stream and
 * start the next descriptor. The hardware does not say which port failed;
 * the driver guesses: the side whose range the masters cannot reach, else
 * WRITE_FAILED when data sat in the FIFO (read but not written) and
 * READ_FAILED otherwise. An FEIF over/underrun with the stream still
 * running, in FIFO or direct mode, loses no data and is only counted.
 *
 * Memory: every address a prep call is given must be reachable by the
 * DMA1/DMA2 masters (stm32_dma_addr_reachable(): below 4 GiB, not
 * ITCM/DTCM); otherwise the prep fails with -EFAULT. Memory comes from the
 * contiguous heap (stm32_heap.h): its sg entries carry physical addresses.
 *
 * Interrupts: the daemon watches stm32_dma_irq_fds() for POLLIN and calls
 * stm32_dma_irq_handler() on the loop thread; it acknowledges the UIO
 * event count, handles the flags of every stream from LISR/HISR (cleared
 * through LIFCR/HIFCR before the line is unmasked) and re-enables the
 * line(s). Without an interrupt the handler may be called periodically.
 * UIO devices without an interrupt (uio_irq_ack() -EIO) are not watched.
 *
 * Life cycle: stm32_dma_create() opens the UIO devices, maps the register
 * windows, resets the streams and this controller's DMAMUX channels, and
 * registers the device. stm32_dma_remove() stops every stream, routes the
 * controller's DMAMUX channels nowhere and unregisters it; from then on
 * the instance touches no register (clients may still hold its channels
 * while a new instance drives the same hardware), and its memory and UIO
 * devices go when the last channel is released (device_release),
 * possibly before stm32_dma_remove() returns.
 *
 * Threading: loop thread only; nothing here runs on another thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dmaengine/dmaengine.h"
#include "stm32_dma_regs.h"
#include "stm32_mmio.h"
#include "uio.h"

/* Longest segment, in items: 0xFFFF rounded down to the FIFO size. */
#define STM32_DMA_MAX_SEG_ITEMS 0xFFF0u
#define STM32_DMA_MAX_BURST 16u
/* Default bound of the wait for EN to read 0 after a disable. */
#define STM32_DMA_STOP_TIMEOUT_US 10000u

/*
 * Optional per-channel settings a client may pass in
 * dma_slave_config.peripheral_config (peripheral_size = sizeof), the
 * "features" and "stream config" cells of the Linux DT binding.
 */
struct stm32_dma_chan_config {
	unsigned fifo_threshold; /* STM32_DMA_FTH_* (default full) */
	bool direct;		 /* force direct mode (bursts single) */
	unsigned priority;	 /* STM32_DMA_PL_* (default low) */
	unsigned trbuff;	 /* STM32_DMA_TRBUFF_* (default auto) */
};

/*
 * SxCR.TRBUFF (bufferable transfers), the "features" bit 4 of the Linux
 * binding. ST's workaround for the H7 erratum "UART/USART DMA transfer
 * lock" (item 2.22 of the H742/743/750/753 errata sheet, as
 * stm32h7-dma.md §12 cites it) is TRBUFF = 1 for every U(S)ART request;
 * HAL_DMA_Init does it (on rev V and later of those parts). AUTO sets it when
 * the channel's request line is a U(S)ART input of DMAMUX1
 * (stm32_dma_request_is_usart()), unless the controller's configuration
 * says otherwise for that line (stm32_dma_config.trbuff); ON and OFF
 * in a channel's peripheral_config override both.
 */
enum {
	STM32_DMA_TRBUFF_AUTO = 0,
	STM32_DMA_TRBUFF_ON = 1,
	STM32_DMA_TRBUFF_OFF = 2,
};

/* Whether DMAMUX1 request input @line is a U(S)ART RX/TX request: 41-46
 * (USART1-3), 63-66 (UART4/5), 71-72 (USART6), 79-82 (UART7/8) as
 * STM32CubeH7's stm32h7xx_hal_dma.h numbers them, and 116-119 (UART9,
 * USART10 on the H72x/H73x/H7A3 parts; not connected on the H743). */
bool stm32_dma_request_is_usart(unsigned line);

/* DMAMUX1 request inputs at most (stm32_dma_config.nr_requests). */
#define STM32_DMA_MAX_REQUESTS 256

struct stm32_dma_config {
	char name[DMA_DEV_NAME_LEN]; /* dma_device name, unique ("dma1") */
	unsigned index;		     /* 0: DMA1, 1: DMA2 (DMAMUX1 channels) */
	const struct uio_env *env;   /* where the UIO devices are */
	const char *uio_name;	     /* UIO device with the register block */
	unsigned regs_map;	     /* its map holding the block */
	const char *dmamux_uio_name; /* UIO device of DMAMUX1; NULL: none
				      * (slave transfers are then refused) */
	unsigned dmamux_map;
	/* UIO devices that carry stream interrupts (uio_pdrv_genirq takes
	 * one IRQ per node): NULL entries are skipped. The register device's
	 * own IRQ, if it has one, is always watched. */
	const char *irq_uio_names[STM32_DMA_NR_STREAMS];
	/* Register accessors (NULL: MMIO); a simulator's in tests. */
	const struct stm32_mmio_ops *mmio;
	void *mmio_data;
	bool mem2mem;		     /* st,mem2mem: offer DMA_MEMCPY */
	unsigned nr_descs;	     /* descriptor pool per channel; 64 */
	unsigned nr_requests;	     /* DMAMUX request inputs (dma-requests); 128 */
	unsigned stop_timeout_us;    /* bound of the EN wait; STM32_DMA_STOP_TIMEOUT_US */
	/* TRBUFF per DMAMUX1 request input, STM32_DMA_TRBUFF_* (AUTO: the
	 * U(S)ART rule), for channels that do not set it themselves. */
	uint8_t trbuff[STM32_DMA_MAX_REQUESTS + 1];
};

struct stm32_dma;

/* Fill @cfg with defaults (name "dma1", index 0, the real UIO env, UIO
 * names "dma1"/"dmamux1", map 0, mem2mem, 64 descriptors, 128 requests). */
void stm32_dma_config_default(struct stm32_dma_config *cfg);

/*
 * Create and register a controller. Returns 0 and *ret_dma; -EINVAL for a
 * bad config; -ENODEV (or the UIO layer's error) when a UIO device is
 * missing or cannot be mapped; -ENXIO when a register map is too small;
 * -ENOMEM; or dma_async_device_register()'s error.
 */
int stm32_dma_create(const struct stm32_dma_config *cfg, struct stm32_dma **ret_dma);

/* Stop the hardware and unregister (see the top). NULL is a no-op. */
void stm32_dma_remove(struct stm32_dma *dma);

struct dma_device *stm32_dma_device(struct stm32_dma *dma);
/* Stream @stream's channel, or NULL. */
struct dma_chan *stm32_dma_chan(struct stm32_dma *dma, unsigned stream);

/*
 * Fds to watch for POLLIN (UIO interrupt fds): fills up to @max and
 * returns how many there are (0: poll stm32_dma_irq_handler() instead).
 */
int stm32_dma_irq_fds(const struct stm32_dma *dma, int *ret_fds, unsigned max);

/*
 * Service the controller: acknowledge pending UIO interrupts, handle and
 * clear every stream's flags, re-enable the interrupt lines (-ENOSYS from
 * the UIO layer is no error: a driver without irqcontrol, nothing to
 * unmask). Returns the number of streams that had flags, or the first
 * negative errno the UIO layer gave for some fd (the flags were still
 * handled; stm32_dma_irq_fd_error() tells which fds failed). 0 after
 * stm32_dma_remove(). Loop thread.
 */
int stm32_dma_irq_handler(struct stm32_dma *dma);

/*
 * What the last stm32_dma_irq_handler() met on interrupt fd @fd (one of
 * stm32_dma_irq_fds()): 0 when acknowledging and unmasking it worked or
 * it had nothing pending, else the UIO layer's negative errno. -EINVAL
 * for any other fd. Loop thread.
 */
int stm32_dma_irq_fd_error(const struct stm32_dma *dma, int fd);

/* Per-stream counters (tests, introspection). */
struct stm32_chan_stats {
	uint64_t tc;		/* TCIF handled */
	uint64_t ht;		/* HTIF handled */
	uint64_t te;		/* TEIF */
	uint64_t dme;		/* DMEIF */
	uint64_t fe;		/* FEIF (fatal or not) */
	uint64_t segments;	/* segments programmed */
	uint64_t stop_timeouts;	/* EN did not read 0 in time */
};

/* Copy stream @stream's counters. 0 or -EINVAL. */
int stm32_dma_chan_stats(const struct stm32_dma *dma, unsigned stream,
			 struct stm32_chan_stats *ret_stats);
