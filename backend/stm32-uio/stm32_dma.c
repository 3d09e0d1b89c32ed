/* SPDX-License-Identifier: MIT */
/*
 * The STM32 DMA1/DMA2 driver (stm32_dma.h): channels, descriptors built of
 * hardware segments, the register programming of a stream, the interrupt
 * service, pause/resume/terminate and the DMAMUX1 request routing.
 *
 * A descriptor is a list of segments, each one programming of a stream
 * (CR, NDTR, PAR, M0AR, M1AR, FCR): a memcpy longer than
 * STM32_DMA_MAX_SEG_ITEMS items has several, run back to back from the TC
 * interrupt; a slave sg one or more per entry; a cyclic transfer one per
 * period. The running descriptor and its segment index live in the
 * channel; nothing is shared with another thread.
 */
#include "stm32_dma.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dmaengine/cookie.h"
#include "dmaengine/virt_dma.h"
#include "stm32_dma_mem.h"
#include "util/log.h"

#define STM32_MAX_IRQ_DEVS (STM32_DMA_NR_STREAMS + 1)

struct stm32_seg {
	uint32_t len;	/* bytes */
	uint32_t cr;	/* SxCR without EN */
	uint32_t fcr;
	uint32_t ndtr;
	uint32_t par;
	uint32_t m0ar;
	uint32_t m1ar;
	uint32_t burst_bytes; /* memory burst (beats * MSIZE), 0 if single */
};

struct stm32_desc {
	struct virt_dma_desc vd;
	enum dma_transfer_direction dir;
	bool cyclic;
	unsigned nsegs;
	struct stm32_seg *segs;
	struct stm32_seg seg1; /* inline storage for one segment */
	size_t len;
	bool pfctrl;	/* device_fc: the peripheral ends each segment */
	unsigned line;	/* slave: DMAMUX1 request input, at prep */
	size_t pf_short; /* device_fc: bytes finished segments were short */
};

enum stm32_chan_state {
	STM32_CHAN_IDLE,
	STM32_CHAN_RUNNING,
	STM32_CHAN_PAUSED,
};

struct stm32_dma;

struct stm32_chan {
	struct virt_dma_chan vc;
	struct stm32_dma *dma;
	unsigned id;			/* stream number */
	struct dma_slave_config cfg;
	struct stm32_dma_chan_config feat;
	struct stm32_desc *desc;	/* the one the hardware runs */
	unsigned cur;			/* its segment (cyclic: period) */
	bool ct;			/* DBM: CT as read at the last TC service */
	enum stm32_chan_state state;
	bool reconfig;			/* CIRC/DBM dropped by resume until TC */
	uint32_t saved_cr, saved_ndtr;	/* at pause */
	uint32_t pf_done;		/* device_fc: items of the segment moved
					 * before the last pause */
	uint32_t burst_bytes;		/* memory burst as programmed, 0 single */
	unsigned mux_line;		/* request input its DMAMUX1 channel has */
	bool boundary;			/* paused before segment cur started */
	bool wedged;			/* EN did not read 0 in time */
	struct stm32_chan_stats stats;
};

struct stm32_dma {
	struct dma_device dev;
	struct stm32_dma_config cfg;
	struct uio_device *uio;		/* register block */
	struct uio_device *mux_uio;	/* DMAMUX1 (may be the same device) */
	struct uio_device *irq_uio[STM32_MAX_IRQ_DEVS];
	int irq_err[STM32_MAX_IRQ_DEVS];	/* of the last service, per device */
	unsigned nr_irq;
	bool gone;			/* removed: the registers are not ours */
	struct stm32_regs regs;
	struct stm32_regs mux;
	bool has_mux;
	struct stm32_chan chans[STM32_DMA_NR_STREAMS];
};

static struct stm32_chan *to_stm32_chan(struct dma_chan *chan)
{
	return container_of(to_virt_chan(chan), struct stm32_chan, vc);
}

static struct stm32_desc *to_stm32_desc(struct virt_dma_desc *vd)
{
	return container_of(vd, struct stm32_desc, vd);
}

static struct stm32_dma *to_stm32_dma(struct dma_device *dev)
{
	return container_of(dev, struct stm32_dma, dev);
}

/* ------------------------------------------------------------------ */
/* Stream registers */

static uint32_t chan_read(struct stm32_chan *c, uint32_t off)
{
	return stm32_read(&c->dma->regs, off);
}

static void chan_write(struct stm32_chan *c, uint32_t off, uint32_t v)
{
	stm32_write(&c->dma->regs, off, v);
}

/* The stream's flags (unshifted STM32_DMA_*IF). */
static uint32_t chan_flags(struct stm32_chan *c)
{
	return stm32_dma_flags_from_reg(c->id,
					chan_read(c, stm32_dma_isr_offset(c->id)));
}

static void chan_clear_flags(struct stm32_chan *c, uint32_t flags)
{
	if (flags)
		chan_write(c, stm32_dma_ifcr_offset(c->id),
			   stm32_dma_flags_to_reg(c->id, flags));
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * Wait, bounded by the config's stop timeout, for EN to read 0 (the
 * single or burst transfer in flight completes and the FIFO is flushed
 * first: stm32h7-dma.md §2.3). Polls back to back for a few reads, then
 * every 10 us as Linux does. Returns 0 or -ETIMEDOUT.
 */
static int chan_wait_stopped(struct stm32_chan *c, unsigned timeout_us)
{
	uint64_t deadline = 0;

	for (unsigned i = 0;; i++) {
		if (!(chan_read(c, STM32_DMA_SxCR(c->id)) & STM32_DMA_SxCR_EN))
			return 0;
		if (i < 16)
			continue;
		if (!deadline)
			deadline = mono_us() + timeout_us;
		else if (mono_us() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){ .tv_nsec = 10000 }, NULL);
	}
}

/* Clear EN and wait. Returns 0 or -ETIMEDOUT (counted, channel wedged). */
static int chan_disable(struct stm32_chan *c)
{
	uint32_t cr = chan_read(c, STM32_DMA_SxCR(c->id));
	int r;

	if (!(cr & STM32_DMA_SxCR_EN))
		return 0;
	chan_write(c, STM32_DMA_SxCR(c->id), cr & ~STM32_DMA_SxCR_EN);
	r = chan_wait_stopped(c, c->dma->cfg.stop_timeout_us);
	if (r < 0) {
		c->stats.stop_timeouts++;
		c->wedged = true;
		log_err("stm32-dma: %s: stream %u: EN still reads 1 %u us after "
			"disable", c->dma->dev.name, c->id,
			c->dma->cfg.stop_timeout_us);
	} else {
		c->wedged = false;
	}
	return r;
}

/*
 * Stop the stream as Linux's stm32_dma_stop(): interrupt enables off,
 * EN cleared and waited for, leftover flags cleared.
 */
static int chan_stop(struct stm32_chan *c)
{
	uint32_t cr = chan_read(c, STM32_DMA_SxCR(c->id));
	int r;

	chan_write(c, STM32_DMA_SxCR(c->id), cr & ~STM32_DMA_SxCR_IRQ_MASK);
	chan_write(c, STM32_DMA_SxFCR(c->id),
		   chan_read(c, STM32_DMA_SxFCR(c->id)) & ~STM32_DMA_SxFCR_FEIE);
	r = chan_disable(c);
	chan_clear_flags(c, chan_flags(c));
	return r;
}

/* Registers back to their reset values (the stream must be stopped). */
static void chan_reset_regs(struct stm32_chan *c)
{
	if (chan_read(c, STM32_DMA_SxCR(c->id)) & STM32_DMA_SxCR_EN)
		return;
	chan_write(c, STM32_DMA_SxCR(c->id), 0);
	chan_write(c, STM32_DMA_SxNDTR(c->id), 0);
	chan_write(c, STM32_DMA_SxPAR(c->id), 0);
	chan_write(c, STM32_DMA_SxM0AR(c->id), 0);
	chan_write(c, STM32_DMA_SxM1AR(c->id), 0);
	chan_write(c, STM32_DMA_SxFCR(c->id), STM32_DMA_SxFCR_RESET);
	chan_clear_flags(c, STM32_DMA_FLAGS_ALL);
}

/* The DMAMUX1 channel of this stream gets request input @line (0: none). */
static void chan_set_request(struct stm32_chan *c, unsigned line)
{
	struct stm32_dma *dma = c->dma;

	c->mux_line = line;
	if (!dma->has_mux)
		return;
	stm32_write(&dma->mux,
		    STM32_DMAMUX_CxCR(stm32_dmamux_channel(dma->cfg.index, c->id)),
		    STM32_FIELD_PREP(STM32_DMAMUX_CxCR_DMAREQ_ID, line));
}

/* Program segment @seg (CR written last with EN), as
 * stm32_dma_start_transfer(). @ct selects the first DBM target. */
static int chan_program(struct stm32_chan *c, const struct stm32_seg *seg,
			uint32_t cr_extra)
{
	uint32_t cr = seg->cr | cr_extra;
	int r;

	r = chan_disable(c);
	if (r < 0)
		return r;
	chan_write(c, STM32_DMA_SxCR(c->id), cr);
	chan_write(c, STM32_DMA_SxPAR(c->id), seg->par);
	chan_write(c, STM32_DMA_SxM0AR(c->id), seg->m0ar);
	chan_write(c, STM32_DMA_SxFCR(c->id), seg->fcr);
	chan_write(c, STM32_DMA_SxM1AR(c->id), seg->m1ar);
	chan_write(c, STM32_DMA_SxNDTR(c->id), seg->ndtr);
	chan_clear_flags(c, chan_flags(c));
	chan_write(c, STM32_DMA_SxCR(c->id), cr | STM32_DMA_SxCR_EN);
	c->burst_bytes = seg->burst_bytes;
	c->stats.segments++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Running descriptors */

static void chan_start_next(struct stm32_chan *c);

/* Give the running descriptor back with @result (NULL: success). */
static void chan_complete(struct stm32_chan *c, const struct dmaengine_result *result)
{
	struct stm32_desc *d = c->desc;

	c->desc = NULL;
	c->state = STM32_CHAN_IDLE;
	c->reconfig = false;
	vchan_cookie_complete(&d->vd, result);
}

/* Program the period @p of cyclic @d (after a stop): M0AR = period p,
 * M1AR = the next one in double-buffer mode, CT = 0. */
static int chan_program_period(struct stm32_chan *c, unsigned p)
{
	struct stm32_desc *d = c->desc;

	c->cur = p;
	c->ct = false;
	return chan_program(c, &d->segs[p], 0);
}

static void chan_fail(struct stm32_chan *c, enum dmaengine_tx_result result);

/* Start the first issued descriptor if the stream is free. */
static void chan_start_next(struct stm32_chan *c)
{
	struct virt_dma_desc *vd;
	int r;

	if (c->desc || c->wedged)
		return;
	vd = vchan_next_desc(&c->vc);
	if (!vd)
		return;
	vchan_desc_take(vd);
	c->desc = to_stm32_desc(vd);
	c->cur = 0;
	c->ct = false;
	c->reconfig = false;
	c->pf_done = 0;
	c->boundary = false;
	c->state = STM32_CHAN_RUNNING;
	/* The line the slave config named when it was prepared (the node
	 * may have changed chan->request_line since the channel was taken). */
	if (c->desc->dir != DMA_MEM_TO_MEM && c->desc->line != c->mux_line)
		chan_set_request(c, c->desc->line);
	r = chan_program(c, &c->desc->segs[0], 0);
	if (r < 0)
		chan_fail(c, DMA_TRANS_ABORTED);
}

/* Items segment @seg of a device_fc descriptor has moved so far, from
 * NDTR read now (or saved at pause): NDTR counts down from 0xFFFF since
 * the enable (RM0433 §15.3.17; stm32h7-dma.md §3, §8). */
static uint32_t pf_items(struct stm32_chan *c, uint32_t ndtr)
{
	return c->pf_done + (STM32_DMA_SxNDTR_NDT - ndtr);
}

/* Bytes of the running descriptor not transferred yet. */
static uint32_t chan_residue(struct stm32_chan *c)
{
	struct stm32_desc *d = c->desc;
	const struct stm32_seg *seg = &d->segs[c->cur];
	unsigned next = c->cur + 1;
	uint64_t residue;
	uint32_t ndtr;

	if (c->state == STM32_CHAN_PAUSED) {
		ndtr = c->saved_ndtr;
	} else {
		ndtr = STM32_FIELD_GET(STM32_DMA_SxNDTR_NDT,
				       chan_read(c, STM32_DMA_SxNDTR(c->id)));
		/* DBM already switched (its TC not handled yet): the current
		 * period is done and the next one is whole. */
		if (d->cyclic && d->nsegs > 1 && !c->reconfig &&
		    !!(chan_read(c, STM32_DMA_SxCR(c->id)) & STM32_DMA_SxCR_CT) != c->ct) {
			next = c->cur + 2;
			ndtr = seg->ndtr;
		}
	}
	if (d->pfctrl) {
		uint64_t done = (uint64_t)pf_items(c, ndtr)
				<< STM32_FIELD_GET(STM32_DMA_SxCR_PSIZE, seg->cr);

		residue = d->pf_short + (done < seg->len ? seg->len - done : 0);
	} else {
		residue = (uint64_t)ndtr << STM32_FIELD_GET(STM32_DMA_SxCR_PSIZE, seg->cr);
	}
	for (unsigned i = next; i < d->nsegs; i++)
		residue += d->segs[i].len;
	if (c->burst_bytes && residue % c->burst_bytes)
		residue += c->burst_bytes - residue % c->burst_bytes;
	if (residue > d->len)
		residue = d->len;
	return (uint32_t)residue;
}

/* Stop the stream after an error, give the descriptor back failed, reset
 * the stream, start the next one. */
static void chan_fail(struct stm32_chan *c, enum dmaengine_tx_result result)
{
	struct dmaengine_result res = { .result = result };

	if (c->desc)
		res.residue = chan_residue(c);
	chan_stop(c);
	chan_reset_regs(c);
	if (c->desc)
		chan_complete(c, &res);
	c->state = STM32_CHAN_IDLE;
	chan_start_next(c);
}

/* The period of cyclic @d whose buffer starts at @addr (what a DBM
 * target register holds), or @fallback. */
static unsigned period_of(const struct stm32_desc *d, uint32_t addr, unsigned fallback)
{
	for (unsigned p = 0; p < d->nsegs; p++)
		if (d->segs[p].m0ar == addr)
			return p;
	return fallback;
}

/* A TC of the running descriptor (the stream stopped, or in CIRC/DBM
 * moved on). */
static void chan_handle_tc(struct stm32_chan *c)
{
	struct stm32_desc *d = c->desc;

	if (!d || c->state != STM32_CHAN_RUNNING)
		return; /* the stop of a pause or of a terminate */
	if (d->cyclic) {
		unsigned next = (c->cur + 1) % d->nsegs, ends = 1;
		uint32_t cr = chan_read(c, STM32_DMA_SxCR(c->id));
		bool ct;

		if (c->reconfig || !(cr & (STM32_DMA_SxCR_CIRC | STM32_DMA_SxCR_DBM))) {
			/* The stream stopped at the end of the resumed period
			 * (or a resume found the period done): restore
			 * CIRC/DBM from the next period on. */
			vchan_cyclic_callback(&d->vd);
			c->reconfig = false;
			if (chan_program_period(c, next) < 0)
				chan_fail(c, DMA_TRANS_ABORTED);
			return;
		}
		if (d->nsegs > 1) {
			/* DBM: the hardware toggles CT at each period end by
			 * itself, serviced or not; the register says which
			 * target is current (as Linux's
			 * stm32_dma_configure_next_sg). TCIF is one flag: CT as
			 * it was at the last service means two ends were
			 * serviced as one (more cannot be told apart). */
			ct = !!(cr & STM32_DMA_SxCR_CT);
			ends = ct == c->ct ? 2 : 1;
			c->ct = ct;
			c->cur = period_of(d, chan_read(c, ct ? STM32_DMA_SxM1AR(c->id)
							      : STM32_DMA_SxM0AR(c->id)),
					   (c->cur + ends) % d->nsegs);
			if (d->nsegs > 2) {
				/* Only the idle target may be written while
				 * EN = 1 (writing the current one is a
				 * transfer error): point it at the period
				 * after the one the hardware runs. */
				chan_write(c, ct ? STM32_DMA_SxM0AR(c->id)
						 : STM32_DMA_SxM1AR(c->id),
					   d->segs[(c->cur + 1) % d->nsegs].m0ar);
			}
		}
		vchan_cyclic_callbacks(&d->vd, ends);
		return;
	}
	if (d->pfctrl) {
		/* The peripheral ended the segment (or a stop did, which
		 * only a pause or terminate makes: not here). */
		const struct stm32_seg *seg = &d->segs[c->cur];
		uint64_t done = (uint64_t)pf_items(c, STM32_FIELD_GET(STM32_DMA_SxNDTR_NDT,
					chan_read(c, STM32_DMA_SxNDTR(c->id))))
				<< STM32_FIELD_GET(STM32_DMA_SxCR_PSIZE, seg->cr);

		if (done > seg->len) {
			/* The hardware went past the entry: memory beyond it
			 * was written (or read and sent). */
			log_err("stm32-dma: %s: stream %u: the peripheral moved %llu "
				"bytes into a %u-byte entry", c->dma->dev.name, c->id,
				(unsigned long long)done, seg->len);
			chan_fail(c, DMA_TRANS_ABORTED);
			return;
		}
		d->pf_short += seg->len - done;
		c->pf_done = 0;
	}
	if (c->cur + 1 < d->nsegs) {
		c->cur++;
		if (chan_program(c, &d->segs[c->cur], 0) < 0)
			chan_fail(c, DMA_TRANS_ABORTED);
		return;
	}
	chan_complete(c, &(struct dmaengine_result){ DMA_TRANS_NOERROR,
						     d->pfctrl ? (uint32_t)d->pf_short : 0 });
	chan_start_next(c);
}

/* Which port failed (the hardware does not say; see stm32_dma.h). */
static enum dmaengine_tx_result guess_failed_port(struct stm32_chan *c, uint32_t fcr)
{
	const struct stm32_seg *seg = c->desc ? &c->desc->segs[c->cur] : NULL;
	uint32_t dir, len;
	uint64_t src, dst;

	if (seg) {
		dir = STM32_FIELD_GET(STM32_DMA_SxCR_DIR, seg->cr);
		len = seg->len;
		if (dir == STM32_DMA_DIR_M2P) {
			src = seg->m0ar;
			dst = seg->par;
		} else {
			src = seg->par;
			dst = seg->m0ar;
		}
		if (!stm32_dma_addr_reachable(src, len))
			return DMA_TRANS_READ_FAILED;
		if (!stm32_dma_addr_reachable(dst, len))
			return DMA_TRANS_WRITE_FAILED;
	}
	if ((fcr & STM32_DMA_SxFCR_DMDIS) &&
	    STM32_FIELD_GET(STM32_DMA_SxFCR_FS, fcr) != STM32_DMA_FS_EMPTY)
		return DMA_TRANS_WRITE_FAILED;
	return DMA_TRANS_READ_FAILED;
}

/* Handle @flags (already read) of stream @c. Returns true if any. */
static bool chan_service(struct stm32_chan *c, uint32_t flags)
{
	uint32_t cr, fcr;

	if (!flags)
		return false;
	cr = chan_read(c, STM32_DMA_SxCR(c->id));
	fcr = chan_read(c, STM32_DMA_SxFCR(c->id));
	chan_clear_flags(c, flags);
	if (flags & STM32_DMA_HTIF)
		c->stats.ht++;
	if (flags & STM32_DMA_TEIF)
		c->stats.te++;
	if (flags & STM32_DMA_DMEIF)
		c->stats.dme++;
	if (flags & STM32_DMA_FEIF)
		c->stats.fe++;
	if (c->state != STM32_CHAN_RUNNING)
		return true; /* stale, or the stop of a pause: ignored */
	if (flags & (STM32_DMA_TEIF | STM32_DMA_DMEIF)) {
		log_warn("stm32-dma: %s: stream %u: %s error (CR 0x%08x FCR 0x%08x)",
			 c->dma->dev.name, c->id,
			 flags & STM32_DMA_TEIF ? "transfer" : "direct mode",
			 cr, fcr);
		chan_fail(c, flags & STM32_DMA_TEIF ? guess_failed_port(c, fcr)
						    : DMA_TRANS_WRITE_FAILED);
		return true;
	}
	if ((flags & STM32_DMA_FEIF) && !(cr & STM32_DMA_SxCR_EN) &&
	    !((flags | chan_flags(c)) & STM32_DMA_TCIF)) {
		/* Hardware disabled the stream without a completion (it
		 * refused the FIFO configuration at enable). An over/underrun
		 * with the stream going on, direct mode included, loses
		 * nothing: counted only, as Linux, which masks FEIF by FEIE
		 * and only logs it. A TC raised since the flags were read
		 * means the stream ended normally (the next pass takes it). */
		log_warn("stm32-dma: %s: stream %u: FIFO error (CR 0x%08x FCR 0x%08x)",
			 c->dma->dev.name, c->id, cr, fcr);
		chan_fail(c, STM32_FIELD_GET(STM32_DMA_SxCR_DIR, cr) == STM32_DMA_DIR_M2P
				     ? DMA_TRANS_READ_FAILED : DMA_TRANS_WRITE_FAILED);
		return true;
	}
	if (flags & STM32_DMA_TCIF) {
		c->stats.tc++;
		chan_handle_tc(c);
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Segment parameters (Linux stm32_dma_set_xfer_param and helpers) */

static int width_code(uint32_t width)
{
	switch (width) {
	case 1: return STM32_DMA_SIZE_BYTE;
	case 2: return STM32_DMA_SIZE_HALFWORD;
	case 4: return STM32_DMA_SIZE_WORD;
	default: return -EINVAL;
	}
}

static int burst_code(uint32_t burst)
{
	switch (burst) {
	case 0:
	case 1: return STM32_DMA_BURST_SINGLE;
	case 4: return STM32_DMA_BURST_INCR4;
	case 8: return STM32_DMA_BURST_INCR8;
	case 16: return STM32_DMA_BURST_INCR16;
	default: return -EINVAL;
	}
}

/* Whole bursts of @burst beats of @width fill the threshold level: the
 * FIFO threshold / memory burst table (stm32h7-dma.md §5). */
static bool threshold_allows(uint32_t burst, unsigned fth, uint32_t width)
{
	uint32_t level = (fth + 1) * 4; /* bytes at the threshold */

	if (burst * width > STM32_DMA_FIFO_SIZE)
		return false;
	return level % (burst * width) == 0;
}

/* Largest burst of 4, 8 or 16 beats <= @max_burst that fits (0: single,
 * never 2: burst_code() has no INCR2). As Linux, a burst
 * needs the length to be a multiple of the threshold level (else bytes
 * stick in the FIFO at the end); unlike Linux the address must be
 * aligned to the burst too (a burst must not cross a 1 KiB boundary). */
static uint32_t best_burst(uint32_t len, uint64_t addr, uint32_t max_burst,
			   unsigned fth, uint32_t width)
{
	uint32_t burst = max_burst;

	if (burst < 4 || len % ((fth + 1) * 4) != 0)
		return 0;
	/* 16, 8, 4 beats: the hardware has no two-beat burst. */
	while (burst >= 4 && (len < burst * width || !threshold_allows(burst, fth, width) ||
			      addr % (burst * width) != 0))
		burst /= 2;
	return burst >= 4 ? burst : 0;
}

/* Memory width: at most a word with threshold full, else a halfword;
 * dividing the length; a byte for an unaligned address. */
static uint32_t max_mem_width(uint32_t len, uint64_t addr, unsigned fth)
{
	uint32_t w = fth == STM32_DMA_FTH_FULL ? 4 : 2;

	while (w > 1 && (len < w || len % w))
		w /= 2;
	if (addr & (w - 1))
		w = 1;
	return w;
}

bool stm32_dma_request_is_usart(unsigned line)
{
	return (line >= 41 && line <= 46) || (line >= 63 && line <= 66) ||
	       line == 71 || line == 72 || (line >= 79 && line <= 82) ||
	       (line >= 116 && line <= 119);
}

/* TRBUFF for this channel's transfers (stm32_dma.h). */
static bool chan_trbuff(const struct stm32_chan *c)
{
	int line = c->vc.chan.request_line;

	unsigned mode = c->feat.trbuff;

	if (mode == STM32_DMA_TRBUFF_AUTO && line > 0 && line <= STM32_DMA_MAX_REQUESTS)
		mode = c->dma->cfg.trbuff[line];
	switch (mode) {
	case STM32_DMA_TRBUFF_ON:
		return true;
	case STM32_DMA_TRBUFF_OFF:
		return false;
	default:
		return line > 0 && stm32_dma_request_is_usart((unsigned)line);
	}
}

/*
 * A slave segment for @len bytes of memory at @maddr and the channel's
 * peripheral. Returns 0 (filling *seg except NDTR/len) or -EINVAL.
 */
static int slave_seg_params(struct stm32_chan *c, enum dma_transfer_direction dir,
			    uint32_t len, uint64_t maddr, struct stm32_seg *seg,
			    uint32_t *ret_pwidth)
{
	const struct dma_slave_config *cfg = &c->cfg;
	uint32_t pwidth, pmax, mwidth, pburst, mburst;
	unsigned fth = c->feat.fifo_threshold;
	uint64_t paddr;
	int pcode, mcode, pb, mb;
	bool direct;

	if (dir == DMA_MEM_TO_DEV) {
		pwidth = cfg->dst_addr_width;
		pmax = cfg->dst_maxburst;
		paddr = cfg->dst_addr;
	} else {
		pwidth = cfg->src_addr_width;
		pmax = cfg->src_maxburst;
		paddr = cfg->src_addr;
	}
	pcode = width_code(pwidth);
	if (pcode < 0 || burst_code(pmax) < 0 || !paddr ||
	    paddr % pwidth || len % pwidth)
		return -EINVAL;
	if (!stm32_dma_addr_reachable(paddr, pwidth))
		return -EFAULT;
	/* Direct mode moves each item to memory with PSIZE (MSIZE is
	 * forced to PSIZE), and every access must be aligned to its size
	 * (RM0433 §15.3.13): a memory address not aligned to PSIZE needs
	 * the FIFO (stm32h7-dma.md §4, §5). */
	if (c->feat.direct && maddr % pwidth)
		return -EINVAL;
	if (c->feat.direct) {
		pburst = mburst = 0;
		mwidth = pwidth;
	} else {
		pburst = best_burst(len, 0, pmax, fth, pwidth);
		mwidth = max_mem_width(len, maddr, fth);
		mburst = best_burst(len, maddr, STM32_DMA_MAX_BURST, fth, mwidth);
	}
	direct = !pburst && !mburst && maddr % pwidth == 0;
	if (direct)
		mwidth = pwidth; /* direct mode: MSIZE is ignored, PSIZE used */
	if (mwidth > pwidth && len % mwidth)
		return -EINVAL;
	mcode = width_code(mwidth);
	pb = burst_code(pburst);
	mb = burst_code(mburst);
	seg->cr = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, dir == DMA_MEM_TO_DEV ?
				   STM32_DMA_DIR_M2P : STM32_DMA_DIR_P2M) |
		  STM32_FIELD_PREP(STM32_DMA_SxCR_PSIZE, pcode) |
		  STM32_FIELD_PREP(STM32_DMA_SxCR_MSIZE, mcode) |
		  STM32_FIELD_PREP(STM32_DMA_SxCR_PBURST, pb) |
		  STM32_FIELD_PREP(STM32_DMA_SxCR_MBURST, mb) |
		  STM32_FIELD_PREP(STM32_DMA_SxCR_PL, c->feat.priority) |
		  STM32_DMA_SxCR_MINC | STM32_DMA_SxCR_TCIE | STM32_DMA_SxCR_TEIE;
	if (chan_trbuff(c))
		seg->cr |= STM32_DMA_SxCR_TRBUFF;
	if (cfg->device_fc)
		seg->cr |= STM32_DMA_SxCR_PFCTRL; /* cyclic takes it off */
	if (direct) {
		/* Direct mode: DMEIE, no DMDIS/FEIE. */
		seg->cr |= STM32_DMA_SxCR_DMEIE;
		seg->fcr = STM32_FIELD_PREP(STM32_DMA_SxFCR_FTH, fth);
	} else {
		seg->fcr = STM32_FIELD_PREP(STM32_DMA_SxFCR_FTH, fth) |
			   STM32_DMA_SxFCR_DMDIS | STM32_DMA_SxFCR_FEIE;
	}
	seg->par = (uint32_t)paddr;
	seg->burst_bytes = mburst ? mburst * mwidth : 0;
	*ret_pwidth = pwidth;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Descriptors */

static void stm32_desc_free(struct virt_dma_desc *vd)
{
	struct stm32_desc *d = to_stm32_desc(vd);

	if (d->segs && d->segs != &d->seg1)
		free(d->segs);
	d->segs = NULL;
	d->nsegs = 0;
}

/* A descriptor with room for @nsegs segments, or NULL (*ret_err set). */
static struct stm32_desc *desc_new(struct stm32_chan *c, unsigned nsegs, int *ret_err)
{
	struct virt_dma_desc *vd = vchan_desc_get(&c->vc);
	struct stm32_desc *d;

	if (!vd) {
		*ret_err = -EBUSY;
		return NULL;
	}
	d = to_stm32_desc(vd);
	d->segs = nsegs == 1 ? &d->seg1 : calloc(nsegs, sizeof(*d->segs));
	if (!d->segs) {
		/* Back to the pool through the allocated list. */
		vchan_tx_prep(&c->vc, vd, 0);
		vd->tx.desc_free(&vd->tx);
		*ret_err = -ENOMEM;
		return NULL;
	}
	d->nsegs = nsegs;
	return d;
}

static unsigned div_up(uint64_t a, uint64_t b)
{
	return (unsigned)((a + b - 1) / b);
}

static int stm32_prep_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
			     size_t len, unsigned long flags,
			     struct dma_async_tx_descriptor **ret_tx)
{
	struct stm32_chan *c = to_stm32_chan(chan);
	const unsigned fth = STM32_DMA_FTH_FULL;
	uint32_t burst, cr, fcr;
	struct stm32_desc *d;
	int err, bc;

	if (!len || len > UINT32_MAX)
		return -EINVAL;
	if (!stm32_dma_addr_reachable(src, len) || !stm32_dma_addr_reachable(dst, len))
		return -EFAULT;
	/* Byte items, so NDTR counts bytes; a burst only when the whole
	 * copy is a multiple of the threshold level and both sides are
	 * aligned to it (burst chosen on the total, as Linux). */
	burst = best_burst((uint32_t)len, src | dst, STM32_DMA_MAX_BURST, fth, 1);
	bc = burst_code(burst);
	cr = STM32_FIELD_PREP(STM32_DMA_SxCR_DIR, STM32_DMA_DIR_M2M) |
	     STM32_FIELD_PREP(STM32_DMA_SxCR_PBURST, bc) |
	     STM32_FIELD_PREP(STM32_DMA_SxCR_MBURST, bc) |
	     STM32_DMA_SxCR_PINC | STM32_DMA_SxCR_MINC |
	     STM32_DMA_SxCR_TCIE | STM32_DMA_SxCR_TEIE;
	fcr = STM32_DMA_SxFCR_DMDIS | STM32_DMA_SxFCR_FEIE |
	      STM32_FIELD_PREP(STM32_DMA_SxFCR_FTH, fth);
	d = desc_new(c, div_up(len, STM32_DMA_MAX_SEG_ITEMS), &err);
	if (!d)
		return err;
	d->dir = DMA_MEM_TO_MEM;
	d->len = len;
	for (unsigned i = 0; i < d->nsegs; i++) {
		uint32_t off = i * STM32_DMA_MAX_SEG_ITEMS;
		uint32_t n = (uint32_t)len - off < STM32_DMA_MAX_SEG_ITEMS
				     ? (uint32_t)len - off : STM32_DMA_MAX_SEG_ITEMS;

		d->segs[i] = (struct stm32_seg){
			.len = n,
			.cr = cr,
			.fcr = fcr,
			.ndtr = n,
			.par = (uint32_t)src + off,
			.m0ar = (uint32_t)dst + off,
			.m1ar = (uint32_t)dst + off,
			.burst_bytes = burst,
		};
	}
	*ret_tx = vchan_tx_prep(&c->vc, &d->vd, flags);
	return 0;
}

/* Request line @line (<= 0: none) is one DMAMUX1 can route. */
static bool line_ok(const struct stm32_dma *dma, int line)
{
	return line <= 0 || (dma->has_mux && (unsigned)line < dma->cfg.nr_requests &&
			     (unsigned)line <= STM32_FIELD_MAX(STM32_DMAMUX_CxCR_DMAREQ_ID));
}

/* A slave channel can run: DMAMUX routes a request to it. */
static int slave_ready(struct stm32_chan *c, enum dma_transfer_direction dir)
{
	if (dir != DMA_MEM_TO_DEV && dir != DMA_DEV_TO_MEM)
		return -EINVAL;
	if (!c->dma->has_mux || c->vc.chan.request_line <= 0)
		return -EINVAL; /* no request input: the stream would never run */
	return line_ok(c->dma, c->vc.chan.request_line) ? 0 : -EINVAL;
}

static int stm32_prep_slave_sg(struct dma_chan *chan, const dma_sg_t *sgl,
			       unsigned sg_len, enum dma_transfer_direction dir,
			       unsigned long flags,
			       struct dma_async_tx_descriptor **ret_tx)
{
	struct stm32_chan *c = to_stm32_chan(chan);
	struct stm32_seg proto;
	struct stm32_desc *d;
	unsigned nsegs = 0, k = 0;
	uint32_t pwidth;
	size_t total = 0;
	int r;

	r = slave_ready(c, dir);
	if (r < 0)
		return r;
	if (!sgl || !sg_len)
		return -EINVAL;
	for (unsigned i = 0; i < sg_len; i++) {
		if (!sgl[i].length || sgl[i].length > UINT32_MAX)
			return -EINVAL;
		if (!stm32_dma_addr_reachable(sgl[i].dma_addr, sgl[i].length))
			return -EFAULT;
		r = slave_seg_params(c, dir, (uint32_t)sgl[i].length, sgl[i].dma_addr,
				     &proto, &pwidth);
		if (r < 0)
			return r;
		/* The peripheral as flow controller: one hardware transfer
		 * per entry, which NDTR (forced to 0xFFFF) bounds. */
		if (c->cfg.device_fc && sgl[i].length / pwidth > STM32_DMA_SxNDTR_NDT)
			return -EINVAL;
		nsegs += div_up(sgl[i].length / pwidth, c->cfg.device_fc ? STM32_DMA_SxNDTR_NDT
									 : STM32_DMA_MAX_SEG_ITEMS);
		total += sgl[i].length;
	}
	d = desc_new(c, nsegs, &r);
	if (!d)
		return r;
	d->dir = dir;
	d->len = total;
	d->line = (unsigned)c->vc.chan.request_line;
	d->pfctrl = c->cfg.device_fc;
	d->pf_short = 0;
	for (unsigned i = 0; i < sg_len; i++) {
		uint32_t items, done = 0;

		slave_seg_params(c, dir, (uint32_t)sgl[i].length, sgl[i].dma_addr,
				 &proto, &pwidth);
		items = (uint32_t)(sgl[i].length / pwidth);
		while (done < items) {
			uint32_t max = d->pfctrl ? STM32_DMA_SxNDTR_NDT : STM32_DMA_MAX_SEG_ITEMS;
			uint32_t n = items - done < max ? items - done : max;
			struct stm32_seg *s = &d->segs[k++];

			*s = proto;
			s->ndtr = n;
			s->len = n * pwidth;
			s->m0ar = s->m1ar = (uint32_t)sgl[i].dma_addr + done * pwidth;
			done += n;
		}
	}
	*ret_tx = vchan_tx_prep(&c->vc, &d->vd, flags);
	return 0;
}

static int stm32_prep_cyclic(struct dma_chan *chan, dma_addr_t buf, size_t buf_len,
			     size_t period_len, enum dma_transfer_direction dir,
			     unsigned long flags, struct dma_async_tx_descriptor **ret_tx)
{
	struct stm32_chan *c = to_stm32_chan(chan);
	struct stm32_seg proto;
	struct stm32_desc *d;
	unsigned nper;
	uint32_t pwidth;
	int r;

	r = slave_ready(c, dir);
	if (r < 0)
		return r;
	if (!buf_len || !period_len || buf_len % period_len || buf_len > UINT32_MAX)
		return -EINVAL;
	if (!stm32_dma_addr_reachable(buf, buf_len))
		return -EFAULT;
	r = slave_seg_params(c, dir, (uint32_t)period_len, buf, &proto, &pwidth);
	if (r < 0)
		return r;
	if (period_len / pwidth > STM32_DMA_MAX_SEG_ITEMS)
		return -EINVAL; /* a circular period cannot be split */
	nper = (unsigned)(buf_len / period_len);
	/* Circular for one period, double buffer for several (Linux); a
	 * half-transfer interrupt per period too (counted). */
	proto.cr |= nper == 1 ? STM32_DMA_SxCR_CIRC : STM32_DMA_SxCR_DBM;
	proto.cr |= STM32_DMA_SxCR_HTIE;
	proto.cr &= ~(STM32_DMA_SxCR_CT | STM32_DMA_SxCR_PFCTRL);
	d = desc_new(c, nper, &r);
	if (!d)
		return r;
	d->dir = dir;
	d->len = buf_len;
	d->line = (unsigned)c->vc.chan.request_line;
	d->cyclic = true;
	for (unsigned p = 0; p < nper; p++) {
		struct stm32_seg *s = &d->segs[p];

		*s = proto;
		s->len = (uint32_t)period_len;
		s->ndtr = (uint32_t)(period_len / pwidth);
		s->m0ar = (uint32_t)(buf + p * period_len);
		s->m1ar = (uint32_t)(buf + ((p + 1) % nper) * period_len);
	}
	*ret_tx = vchan_tx_prep(&c->vc, &d->vd, flags);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Channel ops */

static void chan_feat_default(struct stm32_chan *c)
{
	c->feat = (struct stm32_dma_chan_config){
		.fifo_threshold = STM32_DMA_FTH_FULL,
		.priority = STM32_DMA_PL_LOW,
	};
}

static int stm32_alloc_chan_resources(struct dma_chan *chan)
{
	struct stm32_chan *c = to_stm32_chan(chan);
	struct stm32_dma *dma = c->dma;
	int line = chan->request_line;
	int r;

	if (!line_ok(dma, line))
		return -EINVAL;
	/* DMAMUX1 inputs 1..8 are its request generators (RM0433 §17, DMAMUX1
	 * implementation),
	 * which this driver does not program: a stream on one would wait
	 * for requests that never come. */
	if (line >= (int)STM32_DMAMUX_REQ_GENERATOR(0) &&
	    line <= (int)STM32_DMAMUX_REQ_GENERATOR(STM32_DMAMUX_NR_REQGEN - 1)) {
		log_warn("stm32-dma: %s: request line %d is DMAMUX1 request generator %d, "
			 "not a peripheral", dma->dev.name, line,
			 line - (int)STM32_DMAMUX_REQ_GENERATOR(0));
		return -EINVAL;
	}
	r = vchan_pool_alloc(&c->vc, dma->cfg.nr_descs, sizeof(struct stm32_desc),
			     offsetof(struct stm32_desc, vd));
	if (r < 0)
		return r;
	dma_cookie_init(chan);
	memset(&c->cfg, 0, sizeof(c->cfg));
	chan_feat_default(c);
	chan_stop(c);
	chan_reset_regs(c);
	chan_set_request(c, line > 0 ? (unsigned)line : 0);
	c->state = STM32_CHAN_IDLE;
	return r;
}

static void chan_drop_running(struct stm32_chan *c)
{
	c->boundary = false;
	if (c->desc) {
		vchan_terminate_vdesc(&c->desc->vd);
		c->desc = NULL;
	}
	c->state = STM32_CHAN_IDLE;
	c->reconfig = false;
}

static void stm32_free_chan_resources(struct dma_chan *chan)
{
	struct stm32_chan *c = to_stm32_chan(chan);

	if (!c->dma->gone) {
		chan_stop(c);
		chan_reset_regs(c);
		chan_set_request(c, 0);
	}
	chan_drop_running(c);
	vchan_free_chan_resources(&c->vc);
	vchan_pool_free(&c->vc);
}

static bool width_ok(enum dma_slave_buswidth w)
{
	return w == DMA_SLAVE_BUSWIDTH_UNDEFINED || w == 1 || w == 2 || w == 4;
}

static int stm32_config(struct dma_chan *chan, const struct dma_slave_config *cfg)
{
	struct stm32_chan *c = to_stm32_chan(chan);
	const struct stm32_dma_chan_config *feat = cfg->peripheral_config;

	if (!width_ok(cfg->src_addr_width) || !width_ok(cfg->dst_addr_width) ||
	    burst_code(cfg->src_maxburst) < 0 || burst_code(cfg->dst_maxburst) < 0 ||
	    !line_ok(c->dma, chan->request_line))
		return -EINVAL;
	if (feat) {
		if (cfg->peripheral_size != sizeof(*feat) ||
		    feat->fifo_threshold > STM32_DMA_FTH_FULL ||
		    feat->priority > STM32_DMA_PL_VERY_HIGH ||
		    feat->trbuff > STM32_DMA_TRBUFF_OFF)
			return -EINVAL;
		c->feat = *feat;
	} else {
		chan_feat_default(c);
	}
	c->cfg = *cfg;
	c->cfg.peripheral_config = NULL;
	c->cfg.peripheral_size = 0;
	return 0;
}

static int stm32_pause(struct dma_chan *chan)
{
	struct stm32_chan *c = to_stm32_chan(chan);
	struct stm32_desc *d;
	uint32_t flags, cr;

	/* A completion that is pending is handled first. */
	if (c->state == STM32_CHAN_RUNNING)
		chan_service(c, chan_flags(c));
	if (c->state != STM32_CHAN_RUNNING || !c->desc)
		return -EPERM;
again:
	d = c->desc;
	if (chan_disable(c) < 0)
		return -EBUSY;
	flags = chan_flags(c);
	if (flags & (STM32_DMA_TEIF | STM32_DMA_DMEIF)) {
		chan_service(c, flags); /* failed while stopping */
		return -EPERM;
	}
	chan_clear_flags(c, flags); /* the TC of the stop */
	if (!d->pfctrl && !STM32_FIELD_GET(STM32_DMA_SxNDTR_NDT,
					   chan_read(c, STM32_DMA_SxNDTR(c->id)))) {
		/* The stop met the end of the segment (every item read, the
		 * FIFO flushed by the stop): its TC is this one. Report it,
		 * and pause before the next segment or period (resume then
		 * programs it whole); a transfer that ended is complete. */
		c->reconfig = false;
		if (d->cyclic) {
			vchan_cyclic_callback(&d->vd);
			c->cur = (c->cur + 1) % d->nsegs;
		} else if (c->cur + 1 < d->nsegs) {
			c->cur++;
		} else {
			chan_complete(c, &(struct dmaengine_result){ DMA_TRANS_NOERROR, 0 });
			chan_start_next(c);
			if (c->state == STM32_CHAN_RUNNING && c->desc)
				goto again; /* the next one started: pause it */
			return -EPERM;
		}
		c->boundary = true;
		c->saved_cr = d->segs[c->cur].cr;
		c->saved_ndtr = d->segs[c->cur].ndtr;
		c->burst_bytes = d->segs[c->cur].burst_bytes;
		c->state = STM32_CHAN_PAUSED;
		return 0;
	}
	cr = chan_read(c, STM32_DMA_SxCR(c->id));
	if (d->cyclic) {
		/* Keep the mode in the saved CR; drop it in hardware so the
		 * NDTR reload value is not corrupted (Linux). */
		cr |= d->segs[c->cur].cr & (STM32_DMA_SxCR_CIRC | STM32_DMA_SxCR_DBM);
		chan_write(c, STM32_DMA_SxCR(c->id),
			   cr & ~(STM32_DMA_SxCR_CIRC | STM32_DMA_SxCR_DBM));
	}
	c->saved_cr = cr;
	c->saved_ndtr = STM32_FIELD_GET(STM32_DMA_SxNDTR_NDT,
					chan_read(c, STM32_DMA_SxNDTR(c->id)));
	c->state = STM32_CHAN_PAUSED;
	return 0;
}

/*
 * The CR to resume with from memory address @maddr (and peripheral-port
 * address @paddr), @left bytes to go: a stop can leave the segment at
 * any PSIZE item, and the segment's widths and bursts were chosen for its
 * start. Every access must be aligned to its size, no burst may cross a
 * 1 KB boundary, and NDT must fill whole memory items (RM0433 §15.3,
 * Table 111; the simulator fails a transfer that breaks one). So in FIFO
 * mode MSIZE is lowered to the widest access that @maddr and @left
 * allow, and a burst whose start is no longer aligned to its length
 * becomes single (an aligned burst of 4, 8 or 16 beats never crosses
 * 1 KB); direct mode accesses memory with PSIZE, at a multiple of it
 * already. Sets c->burst_bytes for the residue.
 */
static uint32_t resume_widths(struct stm32_chan *c, const struct stm32_seg *seg, uint32_t cr,
			      uint32_t paddr, uint32_t maddr, uint32_t left)
{
	static const unsigned beats[4] = { 1, 4, 8, 16 };
	uint32_t psz = 1u << STM32_FIELD_GET(STM32_DMA_SxCR_PSIZE, cr);
	uint32_t msz = 1u << STM32_FIELD_GET(STM32_DMA_SxCR_MSIZE, cr);
	unsigned mb = beats[STM32_FIELD_GET(STM32_DMA_SxCR_MBURST, cr)];
	unsigned pb = beats[STM32_FIELD_GET(STM32_DMA_SxCR_PBURST, cr)];

	c->burst_bytes = 0;
	if (!(seg->fcr & STM32_DMA_SxFCR_DMDIS))
		return cr;
	while (msz > 1 && (maddr % msz || (msz > psz && left % msz)))
		msz /= 2;
	cr = (cr & ~STM32_DMA_SxCR_MSIZE) |
	     STM32_FIELD_PREP(STM32_DMA_SxCR_MSIZE, (uint32_t)width_code(msz));
	if (mb > 1 && maddr % (mb * msz))
		cr &= ~STM32_DMA_SxCR_MBURST;
	else if (mb > 1)
		c->burst_bytes = mb * msz;
	if (pb > 1 && paddr % (pb * psz))
		cr &= ~STM32_DMA_SxCR_PBURST;
	return cr;
}

static int stm32_resume(struct dma_chan *chan)
{
	struct stm32_chan *c = to_stm32_chan(chan);
	struct stm32_desc *d = c->desc;
	const struct stm32_seg *seg;
	uint32_t cr, off, addr, paddr, left;

	if (c->state != STM32_CHAN_PAUSED || !d)
		return -EPERM;
	cr = chan_read(c, STM32_DMA_SxCR(c->id));
	if (cr & STM32_DMA_SxCR_EN)
		return -EPERM;
	c->state = STM32_CHAN_RUNNING;
	seg = &d->segs[c->cur];
	if (c->boundary) {
		/* Paused between segments: this one starts whole. */
		c->boundary = false;
		if ((d->cyclic ? chan_program_period(c, c->cur) : chan_program(c, seg, 0)) < 0)
			chan_fail(c, DMA_TRANS_ABORTED);
		return 0;
	}
	if (c->saved_ndtr == 0) {
		/* It had finished the segment when it stopped. */
		chan_handle_tc(c);
		return 0;
	}
	if (d->pfctrl) {
		/* NDTR restarts from 0xFFFF at the enable: count what this
		 * segment moved so far, and go on from there. */
		c->pf_done = pf_items(c, c->saved_ndtr);
		off = c->pf_done << STM32_FIELD_GET(STM32_DMA_SxCR_PSIZE, c->saved_cr);
	} else {
		off = (seg->ndtr - c->saved_ndtr)
		      << STM32_FIELD_GET(STM32_DMA_SxCR_PSIZE, c->saved_cr);
	}
	left = seg->len > off ? seg->len - off : 0;
	paddr = seg->par + ((c->saved_cr & STM32_DMA_SxCR_PINC) ? off : 0);
	chan_write(c, STM32_DMA_SxPAR(c->id), paddr);
	/* The current period's address (CT selects it in DBM). */
	addr = d->cyclic ? d->segs[c->cur].m0ar : seg->m0ar;
	if (!(c->saved_cr & STM32_DMA_SxCR_MINC))
		off = 0;
	addr += off;
	chan_write(c, STM32_DMA_SxM0AR(c->id), addr);
	chan_write(c, STM32_DMA_SxNDTR(c->id), c->saved_ndtr);
	cr = resume_widths(c, seg, c->saved_cr & ~STM32_DMA_SxCR_EN, paddr, addr, left);
	if (d->cyclic) {
		/* Finish this period in normal mode from M0AR; the TC
		 * restores CIRC/DBM (chan_handle_tc). */
		cr &= ~(STM32_DMA_SxCR_CIRC | STM32_DMA_SxCR_DBM | STM32_DMA_SxCR_CT);
		c->reconfig = true;
	}
	chan_write(c, STM32_DMA_SxCR(c->id), cr);
	chan_clear_flags(c, chan_flags(c));
	chan_write(c, STM32_DMA_SxCR(c->id), cr | STM32_DMA_SxCR_EN);
	return 0;
}

static int stm32_terminate_all(struct dma_chan *chan)
{
	struct stm32_chan *c = to_stm32_chan(chan);

	/* A stop that times out still ends the descriptors (the provider
	 * contract); the stream stays wedged until a reset succeeds. After
	 * removal the stream was stopped already, and may be another's. */
	if (!c->dma->gone)
		chan_stop(c);
	chan_drop_running(c);
	vchan_terminate_all(&c->vc);
	return 0;
}

static void stm32_synchronize(struct dma_chan *chan)
{
	struct stm32_chan *c = to_stm32_chan(chan);

	/* The hardware must be stopped before the memory is reused (after
	 * removal its EN may be a new owner's: not waited for). */
	if (c->wedged && !c->dma->gone &&
	    chan_wait_stopped(c, c->dma->cfg.stop_timeout_us * 10) == 0)
		c->wedged = false;
	vchan_synchronize(&c->vc);
}

static int stm32_reset(struct dma_chan *chan)
{
	struct stm32_chan *c = to_stm32_chan(chan);
	int r;

	if (c->dma->gone)
		return -ENODEV;
	r = chan_stop(c);
	if (r < 0)
		return -EIO;
	chan_reset_regs(c);
	if (!c->desc)
		c->state = STM32_CHAN_IDLE;
	chan_start_next(c);
	return 0;
}

static enum dma_status stm32_tx_status(struct dma_chan *chan, dma_cookie_t cookie,
				       struct dma_tx_state *state)
{
	struct stm32_chan *c = to_stm32_chan(chan);
	enum dma_status status = dma_cookie_status(chan, cookie, state);
	struct virt_dma_desc *vd;
	uint32_t residue = 0;

	if (status == DMA_COMPLETE)
		return status;
	if (c->desc && c->desc->vd.tx.cookie == cookie) {
		residue = chan_residue(c);
		if (c->state == STM32_CHAN_PAUSED)
			status = DMA_PAUSED;
	} else if ((vd = vchan_find_desc(&c->vc, cookie))) {
		residue = (uint32_t)to_stm32_desc(vd)->len;
	}
	dma_set_residue(state, residue);
	return status;
}

static void stm32_issue_pending(struct dma_chan *chan)
{
	struct stm32_chan *c = to_stm32_chan(chan);

	if (vchan_issue_pending(&c->vc))
		chan_start_next(c);
}

static void stm32_caps(struct dma_chan *chan, struct dma_slave_caps *caps)
{
	caps->cmd_pause = true;
	caps->cmd_resume = true;
}

static void stm32_dma_free(struct stm32_dma *dma)
{
	for (unsigned i = 0; i < dma->nr_irq; i++)
		if (dma->irq_uio[i] != dma->uio)
			uio_device_unref(dma->irq_uio[i]);
	uio_device_unref(dma->mux_uio);
	uio_device_unref(dma->uio);
	free(dma);
}

/* After stm32_dma_remove(), which left the hardware alone already. */
static void stm32_release(struct dma_device *dev)
{
	stm32_dma_free(to_stm32_dma(dev));
}

static const struct dma_device_ops stm32_dma_ops = {
	.device_alloc_chan_resources = stm32_alloc_chan_resources,
	.device_free_chan_resources = stm32_free_chan_resources,
	.device_prep_dma_memcpy = stm32_prep_memcpy,
	.device_prep_slave_sg = stm32_prep_slave_sg,
	.device_prep_dma_cyclic = stm32_prep_cyclic,
	.device_caps = stm32_caps,
	.device_config = stm32_config,
	.device_pause = stm32_pause,
	.device_resume = stm32_resume,
	.device_terminate_all = stm32_terminate_all,
	.device_synchronize = stm32_synchronize,
	.device_tx_status = stm32_tx_status,
	.device_issue_pending = stm32_issue_pending,
	.device_release = stm32_release,
	.device_reset = stm32_reset,
};

/* ------------------------------------------------------------------ */
/* Interrupts */

int stm32_dma_irq_fds(const struct stm32_dma *dma, int *ret_fds, unsigned max)
{
	if (!dma || (max && !ret_fds))
		return -EINVAL;
	for (unsigned i = 0; i < dma->nr_irq && i < max; i++)
		ret_fds[i] = uio_device_fd(dma->irq_uio[i]);
	return (int)dma->nr_irq;
}

int stm32_dma_irq_handler(struct stm32_dma *dma)
{
	bool acked[STM32_MAX_IRQ_DEVS] = { false };
	int r = 0, serviced = 0;

	if (!dma)
		return -EINVAL;
	if (dma->gone)
		return 0;
	for (unsigned i = 0; i < dma->nr_irq; i++) {
		uint32_t events;
		int e = uio_irq_ack(dma->irq_uio[i], &events);

		dma->irq_err[i] = e == -EAGAIN ? 0 : e;
		acked[i] = e == 0;
	}
	/* Flags raised while servicing (a stop's TC, the next segment's
	 * completion) are seen by the next pass; bounded. */
	for (unsigned pass = 0; pass < 4; pass++) {
		uint32_t isr[2] = {
			stm32_read(&dma->regs, STM32_DMA_LISR),
			stm32_read(&dma->regs, STM32_DMA_HISR),
		};
		bool any = false;

		for (unsigned n = 0; n < STM32_DMA_NR_STREAMS; n++) {
			uint32_t flags = stm32_dma_flags_from_reg(n, isr[n / 4]);

			if (chan_service(&dma->chans[n], flags)) {
				any = true;
				serviced++;
			}
		}
		if (!any)
			break;
	}
	/* Flags are cleared: unmask the line(s). -ENOSYS: a driver without
	 * irqcontrol, which has nothing to unmask (as at creation). */
	for (unsigned i = 0; i < dma->nr_irq; i++) {
		if (acked[i]) {
			int e = uio_irq_enable(dma->irq_uio[i]);

			if (e < 0 && e != -ENOSYS)
				dma->irq_err[i] = e;
		}
		if (dma->irq_err[i] < 0 && !r)
			r = dma->irq_err[i];
	}
	return r < 0 ? r : serviced;
}

int stm32_dma_irq_fd_error(const struct stm32_dma *dma, int fd)
{
	for (unsigned i = 0; dma && i < dma->nr_irq; i++)
		if (uio_device_fd(dma->irq_uio[i]) == fd)
			return dma->irq_err[i];
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Creation */

void stm32_dma_config_default(struct stm32_dma_config *cfg)
{
	*cfg = (struct stm32_dma_config){
		.name = "dma1",
		.index = 0,
		.env = &uio_real_env,
		.uio_name = "dma1",
		.regs_map = 0,
		.dmamux_uio_name = "dmamux1",
		.dmamux_map = 0,
		.mem2mem = true,
		.nr_descs = 64,
		.nr_requests = 128,
		.stop_timeout_us = STM32_DMA_STOP_TIMEOUT_US,
	};
}

/* Map @index of @dev as a register window of at least @need bytes. */
static int map_window(struct stm32_dma *dma, struct uio_device *dev, unsigned index,
		      size_t need, struct stm32_regs *ret)
{
	void *addr;
	size_t len;
	int r;

	r = uio_device_map(dev, index, &addr, &len);
	if (r < 0)
		return r;
	if (len < need)
		return -ENXIO;
	*ret = (struct stm32_regs){
		.base = addr,
		.len = len,
		.ops = dma->cfg.mmio,
		.ops_data = dma->cfg.mmio_data,
	};
	return 0;
}

/*
 * Watch the IRQ of @dev if it has one. Returns 1 when it has (@dev is
 * then in dma->irq_uio: the caller's reference went there), 0 when it has
 * none (-EIO: a UIO node without an interrupts property, a regular file
 * standing in for a node), or a negative errno.
 */
static int add_irq(struct stm32_dma *dma, struct uio_device *dev)
{
	uint32_t events;
	int r = uio_irq_ack(dev, &events);

	if (r == -EIO)
		return 0;
	if (r < 0 && r != -EAGAIN)
		return r;
	/* Start unmasked (a line masked by an earlier user stays masked
	 * otherwise); -ENOSYS: nothing to unmask. */
	r = uio_irq_enable(dev);
	if (r < 0 && r != -ENOSYS)
		return r;
	dma->irq_uio[dma->nr_irq++] = dev;
	return 1;
}

int stm32_dma_create(const struct stm32_dma_config *cfg, struct stm32_dma **ret_dma)
{
	struct stm32_dma *dma;
	int r;

	if (!cfg || !ret_dma || !cfg->env || !cfg->uio_name || !cfg->name[0] ||
	    !memchr(cfg->name, '\0', sizeof(cfg->name)) ||
	    cfg->index >= STM32_DMA_NR_CONTROLLERS || cfg->nr_descs < 1 ||
	    cfg->nr_requests < 1 || cfg->nr_requests > STM32_DMA_MAX_REQUESTS ||
	    cfg->stop_timeout_us < 1)
		return -EINVAL;
	for (unsigned i = 0; i <= STM32_DMA_MAX_REQUESTS; i++)
		if (cfg->trbuff[i] > STM32_DMA_TRBUFF_OFF)
			return -EINVAL;
	dma = calloc(1, sizeof(*dma));
	if (!dma)
		return -ENOMEM;
	dma->cfg = *cfg;
	for (unsigned i = 0; i < STM32_DMA_NR_STREAMS; i++)
		dma->cfg.irq_uio_names[i] = NULL; /* not kept: caller's strings */

	r = uio_device_new_by_name(cfg->env, cfg->uio_name, &dma->uio);
	if (r < 0)
		goto fail;
	r = map_window(dma, dma->uio, cfg->regs_map, STM32_DMA_REGS_END, &dma->regs);
	if (r < 0)
		goto fail;
	if (cfg->dmamux_uio_name) {
		if (strcmp(cfg->dmamux_uio_name, cfg->uio_name) == 0)
			dma->mux_uio = uio_device_ref(dma->uio);
		else
			r = uio_device_new_by_name(cfg->env, cfg->dmamux_uio_name,
						   &dma->mux_uio);
		if (r == 0)
			r = map_window(dma, dma->mux_uio, cfg->dmamux_map,
				       STM32_DMAMUX_CxCR(STM32_DMAMUX_NR_CHANNELS),
				       &dma->mux);
		if (r < 0)
			goto fail;
		dma->has_mux = true;
	}
	r = add_irq(dma, dma->uio);
	for (unsigned i = 0; r >= 0 && i < STM32_DMA_NR_STREAMS; i++) {
		struct uio_device *dev;

		if (!cfg->irq_uio_names[i])
			continue;
		r = uio_device_new_by_name(cfg->env, cfg->irq_uio_names[i], &dev);
		if (r < 0)
			break;
		r = add_irq(dma, dev);
		if (r <= 0)
			uio_device_unref(dev); /* failed, or has no IRQ */
	}
	if (r < 0)
		goto fail;

	dma_device_init(&dma->dev);
	memcpy(dma->dev.name, cfg->name, sizeof(dma->dev.name));
	dma->dev.ops = &stm32_dma_ops;
	if (cfg->mem2mem)
		dma_cap_set(DMA_MEMCPY, &dma->dev.cap_mask);
	dma_cap_set(DMA_SLAVE, &dma->dev.cap_mask);
	dma_cap_set(DMA_CYCLIC, &dma->dev.cap_mask);
	dma_cap_set(DMA_PRIVATE, &dma->dev.cap_mask);
	dma->dev.src_addr_widths = dma->dev.dst_addr_widths =
		(1u << 1) | (1u << 2) | (1u << 4);
	dma->dev.directions = (1u << DMA_MEM_TO_DEV) | (1u << DMA_DEV_TO_MEM);
	if (cfg->mem2mem)
		dma->dev.directions |= 1u << DMA_MEM_TO_MEM;
	dma->dev.min_burst = 1;
	dma->dev.max_burst = STM32_DMA_MAX_BURST;
	dma->dev.residue_granularity = DMA_RESIDUE_GRANULARITY_BURST;

	for (unsigned i = 0; i < STM32_DMA_NR_STREAMS; i++) {
		struct stm32_chan *c = &dma->chans[i];

		c->dma = dma;
		c->id = i;
		c->vc.desc_free = stm32_desc_free;
		chan_feat_default(c);
		vchan_init(&c->vc, &dma->dev);
		/* Probe: every stream stopped and reset, its DMAMUX channel
		 * routed nowhere (Linux zeroes CxCR at probe). */
		chan_stop(c);
		chan_reset_regs(c);
		chan_set_request(c, 0);
	}
	r = dma_async_device_register(&dma->dev);
	if (r < 0)
		goto fail;
	*ret_dma = dma;
	return 0;

fail:
	stm32_dma_free(dma);
	return r;
}

void stm32_dma_remove(struct stm32_dma *dma)
{
	if (!dma)
		return;
	/* The hardware may get a new owner (the same block registered again
	 * from a new UIO device) while clients still hold channels of this
	 * instance: stop it and route its DMAMUX channels nowhere now, once,
	 * and touch no register from here on (terminate, free and release
	 * of the held channels included). */
	for (unsigned i = 0; i < STM32_DMA_NR_STREAMS; i++) {
		chan_stop(&dma->chans[i]);
		chan_set_request(&dma->chans[i], 0);
	}
	dma->gone = true;
	dma_async_device_unregister(&dma->dev);
}

struct dma_device *stm32_dma_device(struct stm32_dma *dma)
{
	return dma ? &dma->dev : NULL;
}

struct dma_chan *stm32_dma_chan(struct stm32_dma *dma, unsigned stream)
{
	if (!dma || stream >= STM32_DMA_NR_STREAMS)
		return NULL;
	return &dma->chans[stream].vc.chan;
}

int stm32_dma_chan_stats(const struct stm32_dma *dma, unsigned stream,
			 struct stm32_chan_stats *ret_stats)
{
	if (!dma || stream >= STM32_DMA_NR_STREAMS || !ret_stats)
		return -EINVAL;
	*ret_stats = dma->chans[stream].stats;
	return 0;
}
