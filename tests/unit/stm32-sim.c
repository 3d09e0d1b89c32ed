/* SPDX-License-Identifier: MIT */
/*
 * The STM32 DMA simulator (stm32-sim.h). Each stream is a small state
 * machine: idle, active (EN = 1, moving data), stopping (EN written 0,
 * still reads 1 until the in-flight work and the FIFO flush are done).
 */
#include "stm32-sim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stm32_dma_mem.h"
#include "stm32_dma_regs.h"

#define SIM_MAX_OPENS 32
#define SIM_MAX_MAPS 32
#define SIM_MAX_REGIONS 8
#define SIM_MAX_ERRS 8

struct sim_stream {
	uint32_t cr, ndtr, par, m0ar, m1ar, fcr; /* as programmed / current */
	bool active, stopping;
	unsigned stop_left;
	uint32_t ndt_reload;
	uint32_t p_off, m_off;		/* internal pointers (from the bases) */
	uint8_t fifo[STM32_DMA_FIFO_SIZE];
	unsigned lvl;
	uint64_t m_done;		/* memory-port bytes this cycle */
	bool ht_done;
	bool stall, stuck;
	unsigned mem_busy;		/* slots the memory port is not granted */
	unsigned fail;			/* armed one-shot error kind */
	unsigned starts;
	unsigned refused;		/* enables refused: flags still set */
	bool ndtr_written;		/* since the last enable */
	uint32_t last_ndtr, last_cr;
	bool pf_last;			/* PFCTRL: the peripheral's last request done */
};

/*
 * A stream's interrupt line as the NVIC sees it (one level line per
 * stream on the H7, stm32h7-dma.md §1, §6): high while flag & enable;
 * "up" once software has got to it, which takes @latency period ends
 * (TCIFs the hardware sets on that stream) after it rose.
 */
struct sim_irq_line {
	bool up;			/* delivered: counts in the UIO line */
	bool waiting;			/* high, service not reached yet */
	unsigned left;			/* period ends still to wait */
	unsigned latency;		/* set by stm32_sim_set_irq_latency() */
	unsigned raised;		/* deliveries */
	int uio;			/* its own UIO device, or -1: the
					 * controller's (stm32_sim_route_stream_irq) */
	bool dev_line;			/* own device: the level it last saw */
};

struct sim_ctrl {
	uint32_t isr[2];
	struct sim_stream s[STM32_DMA_NR_STREAMS];
	struct sim_irq_line lines[STM32_DMA_NR_STREAMS];
	bool line;
	bool hold;			/* service delayed: line not raised */
	unsigned irqs;
	unsigned uio;
};

struct sim_region {
	uint64_t base, size;
	uint8_t *mem;
	bool dma_ok;
	bool owned;
};

struct sim_err {
	uint64_t base, len;
	unsigned kinds;
};

struct sim_fifo {
	uint8_t *data;
	size_t head, lvl;
	size_t last_left[4];	/* PFCTRL: bytes until each last request, in
				 * order (counted from the previous one) */
	unsigned nr_last;
};

struct sim_open {
	int fd;
	unsigned num;
};

struct sim_map {
	uint8_t *addr;		/* as mmap returned it */
	size_t len;
	unsigned num;
};

struct stm32_sim {
	struct uio_fake *fake;
	const struct uio_env *fenv;
	struct uio_ops ops;
	struct uio_env env;
	struct sim_ctrl ctrl[2];
	uint32_t mux_ccr[STM32_DMAMUX_NR_CHANNELS];
	uint32_t mux_rgcr[STM32_DMAMUX_NR_REQGEN];
	uint32_t mux_csr, mux_rgsr;		/* SOFx, OFx */
	unsigned mux_left[STM32_DMAMUX_NR_CHANNELS];	/* SE: requests still let through */
	unsigned mux_count[STM32_DMAMUX_NR_CHANNELS];	/* forwarded since the last event */
	unsigned mux_events[STM32_DMAMUX_NR_CHANNELS];	/* EGE events generated */
	unsigned gen_left[STM32_DMAMUX_NR_REQGEN];	/* generated, not yet served */
	bool mux_sig[STM32_DMAMUX_NR_SYNC];		/* sync / trigger input levels */
	struct sim_region regions[SIM_MAX_REGIONS];
	unsigned nr_regions;
	struct sim_err errs[SIM_MAX_ERRS];
	struct sim_fifo fifos[STM32_SIM_NR_LINES];
	struct sim_open opens[SIM_MAX_OPENS];
	struct sim_map maps[SIM_MAX_MAPS];
	unsigned fail_next;
	uint64_t rate, last_ns, credit;
	unsigned stop_delay;
	unsigned violations;
	char violation[160];
};

/* Block offsets inside each device's map (page 0x40020000 on the H7). */
static const uint32_t block_off[3] = { 0x000, 0x400, 0x800 };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Software broke a rule of RM0433 whose outcome the silicon does not (or
 * not reliably) report: counted, and the last one kept as text, so that
 * the driver's tests can demand none (stm32_sim_violations()).
 */
static void __attribute__((format(printf, 2, 3)))
violation(struct stm32_sim *sim, const char *fmt, ...)
{
	va_list ap;

	sim->violations++;
	va_start(ap, fmt);
	vsnprintf(sim->violation, sizeof(sim->violation), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* UIO ops wrappers: learn which device each fd and mapping belongs to */

static int sim_open(void *data, const char *path)
{
	struct stm32_sim *sim = data;
	const char *base = strrchr(path, '/');
	unsigned num;
	int fd;

	fd = sim->fenv->ops->open(sim->fenv->ops_data, path);
	if (fd < 0)
		return fd;
	base = base ? base + 1 : path;
	if (sscanf(base, "uio%u", &num) != 1)
		num = ~0u;
	for (unsigned i = 0; i < SIM_MAX_OPENS; i++) {
		if (sim->opens[i].fd < 0) {
			sim->opens[i] = (struct sim_open){ fd, num };
			return fd;
		}
	}
	abort();
}

static void sim_close(void *data, int fd)
{
	struct stm32_sim *sim = data;

	for (unsigned i = 0; i < SIM_MAX_OPENS; i++)
		if (sim->opens[i].fd == fd)
			sim->opens[i].fd = -1;
	sim->fenv->ops->close(sim->fenv->ops_data, fd);
}

static int sim_mmap(void *data, int fd, size_t len, off_t offset, void **ret_addr)
{
	struct stm32_sim *sim = data;
	unsigned num = ~0u;
	void *p;
	int r;

	r = sim->fenv->ops->mmap(sim->fenv->ops_data, fd, len, offset, &p);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < SIM_MAX_OPENS; i++)
		if (sim->opens[i].fd == fd)
			num = sim->opens[i].num;
	for (unsigned i = 0; i < SIM_MAX_MAPS; i++) {
		if (!sim->maps[i].addr) {
			sim->maps[i] = (struct sim_map){ p, len, num };
			*ret_addr = p;
			return 0;
		}
	}
	abort();
}

static int sim_munmap(void *data, void *addr, size_t len)
{
	struct stm32_sim *sim = data;

	for (unsigned i = 0; i < SIM_MAX_MAPS; i++)
		if (sim->maps[i].addr == addr)
			sim->maps[i].addr = NULL;
	return sim->fenv->ops->munmap(sim->fenv->ops_data, addr, len);
}

static int sim_read_irq(void *data, int fd, uint32_t *ret)
{
	struct stm32_sim *sim = data;

	return sim->fenv->ops->read_irq(sim->fenv->ops_data, fd, ret);
}

static void irq_unmasked(struct stm32_sim *sim, unsigned num);

static int sim_enable_irq(void *data, int fd, bool enable)
{
	struct stm32_sim *sim = data;
	int r = sim->fenv->ops->enable_irq(sim->fenv->ops_data, fd, enable);

	if (r == 0 && enable) {
		for (unsigned i = 0; i < SIM_MAX_OPENS; i++)
			if (sim->opens[i].fd == fd)
				irq_unmasked(sim, sim->opens[i].num);
	}
	return r;
}

static int sim_read_attr(void *data, const char *path, char *buf, size_t size)
{
	struct stm32_sim *sim = data;

	return sim->fenv->ops->read_attr(sim->fenv->ops_data, path, buf, size);
}

static int sim_pci_intx(void *data, const char *path, bool enable)
{
	struct stm32_sim *sim = data;

	return sim->fenv->ops->pci_intx(sim->fenv->ops_data, path, enable);
}

static int sim_enumerate(void *data, const char *dir, struct uio_dev_id *ids, size_t max)
{
	struct stm32_sim *sim = data;

	return sim->fenv->ops->enumerate(sim->fenv->ops_data, dir, ids, max);
}

/* ------------------------------------------------------------------ */
/* Memory and peripherals */

static struct sim_region *region_of(struct stm32_sim *sim, uint64_t addr, size_t len)
{
	for (unsigned i = 0; i < sim->nr_regions; i++) {
		struct sim_region *r = &sim->regions[i];

		if (addr >= r->base && len <= r->size && addr - r->base <= r->size - len)
			return r;
	}
	return NULL;
}

static bool in_err_range(struct stm32_sim *sim, uint64_t addr, size_t len, unsigned kind)
{
	for (unsigned i = 0; i < SIM_MAX_ERRS; i++) {
		struct sim_err *e = &sim->errs[i];

		if (e->len && (e->kinds & kind) && addr < e->base + e->len &&
		    addr + len > e->base)
			return true;
	}
	return false;
}

/* The request line whose FIFO data register is at @addr, or -1. */
static int periph_line(uint64_t addr)
{
	if (addr < STM32_SIM_PERIPH_BASE ||
	    addr >= STM32_SIM_PERIPH_BASE + 4ull * STM32_SIM_NR_LINES)
		return -1;
	return (int)((addr - STM32_SIM_PERIPH_BASE) / 4);
}

static struct sim_fifo *fifo_get(struct stm32_sim *sim, unsigned line)
{
	struct sim_fifo *f = &sim->fifos[line];

	if (!f->data)
		f->data = calloc(1, STM32_SIM_FIFO_SIZE);
	return f->data ? f : NULL;
}

static size_t fifo_put(struct sim_fifo *f, const uint8_t *p, size_t len)
{
	size_t n = 0;

	while (n < len && f->lvl < STM32_SIM_FIFO_SIZE) {
		f->data[(f->head + f->lvl) % STM32_SIM_FIFO_SIZE] = p[n++];
		f->lvl++;
	}
	return n;
}

static size_t fifo_take(struct sim_fifo *f, uint8_t *p, size_t len)
{
	size_t n = 0;

	while (n < len && f->lvl) {
		p[n++] = f->data[f->head];
		f->head = (f->head + 1) % STM32_SIM_FIFO_SIZE;
		f->lvl--;
	}
	return n;
}

/*
 * Peripheral flow control (SxCR.PFCTRL), RM0433 §15.3.17 "Flow
 * controller", read in the same IP's RM0090 §10.3.15 (stm32h7-dma.md §3,
 * §8, V there): the peripheral signals the last request; once that
 * single or burst transfer is complete the stream is interrupted: FIFO
 * flushed to memory (peripheral-to-memory), TCIF set, EN cleared. Here
 * the peripheral on a request line is armed by stm32_sim_periph_last():
 * the access that moves the byte reaching the count is the last request.
 */
static void pf_account(struct sim_stream *s, struct sim_fifo *f, size_t len)
{
	if (!(s->cr & STM32_DMA_SxCR_PFCTRL) || !f->nr_last)
		return;
	if (f->last_left[0] <= len) {
		memmove(f->last_left, f->last_left + 1, --f->nr_last * sizeof(f->last_left[0]));
		s->pf_last = true;
	} else {
		f->last_left[0] -= len;
	}
}

/* The peripheral port has nothing more to move: NDTR reached 0, or the
 * flow-controlling peripheral made its last request. NDTR reaching 0
 * under PFCTRL (65535 items) is taken as an end too: not in the sources
 * read (stm32h7-dma.md §8 (U)), a modelling choice. */
static bool periph_done(const struct sim_stream *s)
{
	return !s->ndtr || s->pf_last;
}

/*
 * One bus access of the DMA masters: @len bytes at @addr. Returns 0, or
 * -1 for a bus error (nothing moved). Peripheral FIFO registers pop/push.
 */
static int bus_access(struct stm32_sim *sim, struct sim_stream *s, uint64_t addr,
		      uint8_t *buf, size_t len, unsigned kind)
{
	struct sim_region *r;
	int line;

	if (s->fail & kind) {
		s->fail = 0;
		return -1;
	}
	/* Every access aligned to its size: "the address pointers must be
	 * chosen so that all transfers [...] are aligned on the address
	 * boundary equal to the size of the transfer" (RM0433 §15.3.13;
	 * RM0090 §10.3.11; stm32h7-dma.md §4 (R)). The manual gives no
	 * outcome (AHB has no unaligned transfer). The notes do not confirm
	 * the earlier model (the bits below the size ignored, the data
	 * landing beside the base), so it is withdrawn: an unaligned access
	 * is a transfer error here (TEIF, EN cleared) and a violation. */
	if ((len == 2 || len == 4) && addr % len) {
		violation(sim, "unaligned %zu-byte access at 0x%llx", len,
			  (unsigned long long)addr);
		return -1;
	}
	if (in_err_range(sim, addr, len, kind))
		return -1;
	line = periph_line(addr);
	if (line >= 0) {
		struct sim_fifo *f = fifo_get(sim, (unsigned)line);

		if (!f)
			return -1;
		if ((kind == STM32_SIM_READ ? fifo_take(f, buf, len)
					    : fifo_put(f, buf, len)) != len)
			return -1;
		pf_account(s, f, len);
		return 0;
	}
	r = region_of(sim, addr, len);
	if (!r || !r->dma_ok)
		return -1;
	if (kind == STM32_SIM_READ)
		memcpy(buf, r->mem + (addr - r->base), len);
	else
		memcpy(r->mem + (addr - r->base), buf, len);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Flags and the interrupt line */

static uint32_t stream_flags(struct sim_ctrl *c, unsigned n)
{
	return stm32_dma_flags_from_reg(n, c->isr[n / 4]);
}

static void set_flags(struct sim_ctrl *c, unsigned n, uint32_t flags)
{
	c->isr[n / 4] |= stm32_dma_flags_to_reg(n, flags);
}

/* Stream @n's interrupt request: the OR of flag AND enable over TC, HT,
 * TE, DME (enables in SxCR) and FE (FEIE in SxFCR); flags are set
 * whatever the enables (stm32h7-dma.md §6; RM0433 Table 114). */
static bool stream_irq_level(struct sim_ctrl *c, unsigned n)
{
	struct sim_stream *s = &c->s[n];
	uint32_t f = stream_flags(c, n);

	return ((f & STM32_DMA_TCIF) && (s->cr & STM32_DMA_SxCR_TCIE)) ||
	       ((f & STM32_DMA_HTIF) && (s->cr & STM32_DMA_SxCR_HTIE)) ||
	       ((f & STM32_DMA_TEIF) && (s->cr & STM32_DMA_SxCR_TEIE)) ||
	       ((f & STM32_DMA_DMEIF) && (s->cr & STM32_DMA_SxCR_DMEIE)) ||
	       ((f & STM32_DMA_FEIF) && (s->fcr & STM32_DMA_SxFCR_FEIE));
}

/* A period end (the hardware set TCIF) on stream @n: one less to wait
 * for a line that is high and not serviced yet. */
static void irq_period_end(struct sim_ctrl *c, unsigned n)
{
	struct sim_irq_line *l = &c->lines[n];

	if (l->waiting && l->left)
		l->left--;
}

/*
 * The per-stream level lines, then the controller's UIO line: one UIO
 * device per controller (uio_pdrv_genirq takes one IRQ per node, stm32h7-
 * dma.md §13), so the stream lines are ORed only here, at the UIO
 * boundary. A line that rises waits its latency; one whose stream has
 * stopped (no period end will come) is serviced at once, and so is one
 * whose flags software cleared before getting to it (it drops). The UIO
 * interrupt is raised on a rising OR; a level still high when software
 * unmasks raises it again (sim_enable_irq). A line routed to a UIO device
 * of its own is left out of the OR and raises that device the same way.
 * Returns true if it raised.
 */
static bool update_irq(struct stm32_sim *sim, unsigned ci)
{
	struct sim_ctrl *c = &sim->ctrl[ci];
	bool level = false, raised;

	for (unsigned n = 0; n < STM32_DMA_NR_STREAMS; n++) {
		struct sim_irq_line *l = &c->lines[n];

		if (!stream_irq_level(c, n)) {
			l->up = l->waiting = false;
			continue;
		}
		if (!l->up && !l->waiting) {
			l->waiting = true;
			l->left = l->latency;
		}
		if (l->waiting && (!l->left || !c->s[n].active)) {
			l->waiting = false;
			l->up = true;
			l->raised++;
		}
		if (l->uio < 0)
			level |= l->up;
	}
	if (c->hold)
		return false; /* seen at the release */
	raised = false;
	for (unsigned n = 0; n < STM32_DMA_NR_STREAMS; n++) {
		struct sim_irq_line *l = &c->lines[n];

		if (l->uio < 0)
			continue;
		if (l->up && !l->dev_line) {
			uio_fake_raise_irq(sim->fake, (unsigned)l->uio);
			raised = true;
		}
		l->dev_line = l->up;
	}
	if (level && !c->line) {
		c->irqs++;
		uio_fake_raise_irq(sim->fake, c->uio);
		raised = true;
	}
	c->line = level;
	return raised;
}

/* The bus went idle (no stream can move): no period end will come to end
 * a wait, so software gets to every line that is high. */
static bool irq_bus_idle(struct stm32_sim *sim)
{
	bool raised = false;

	for (unsigned ci = 0; ci < 2; ci++) {
		for (unsigned n = 0; n < STM32_DMA_NR_STREAMS; n++)
			sim->ctrl[ci].lines[n].left = 0;
		raised |= update_irq(sim, ci);
	}
	return raised;
}

/* ------------------------------------------------------------------ */
/* The engine */

static unsigned burst_beats(uint32_t code)
{
	static const unsigned beats[4] = { 1, 4, 8, 16 };

	return beats[code & 3];
}

static bool fifo_mode(const struct sim_stream *s)
{
	return (s->fcr & STM32_DMA_SxFCR_DMDIS) ||
	       STM32_FIELD_GET(STM32_DMA_SxCR_DIR, s->cr) == STM32_DMA_DIR_M2M;
}

static unsigned psize(const struct sim_stream *s)
{
	return 1u << STM32_FIELD_GET(STM32_DMA_SxCR_PSIZE, s->cr);
}

static unsigned msize(const struct sim_stream *s)
{
	return fifo_mode(s) ? 1u << STM32_FIELD_GET(STM32_DMA_SxCR_MSIZE, s->cr) : psize(s);
}

static uint32_t mem_base(const struct sim_stream *s)
{
	return (s->cr & STM32_DMA_SxCR_DBM) && (s->cr & STM32_DMA_SxCR_CT) ? s->m1ar : s->m0ar;
}

/* The bus addresses of the next access (alignment: bus_access()). */
static uint64_t mem_ptr(const struct sim_stream *s)
{
	return (uint64_t)mem_base(s) + s->m_off;
}

static uint64_t periph_ptr(const struct sim_stream *s)
{
	return (uint64_t)s->par + s->p_off;
}

/*
 * "Bursts must not cross the 1 KB address boundary (the smallest address
 * space given to one AHB slave), otherwise an AHB error is generated"
 * (RM0433 §15.3.13 single and burst transfers; RM0090 §10.3.11 for the
 * same IP, read there; stm32h7-dma.md §4 tags it (R)). Whether the DMA
 * reports that error in TEIF is not stated in what was read; modelled as
 * a transfer error (TEIF, EN cleared) and a violation. A burst of
 * @beats x @size bytes from @addr, incrementing if @inc: false if it
 * crosses.
 */
static bool burst_ok(struct stm32_sim *sim, uint64_t addr, unsigned beats, unsigned size,
		     bool inc)
{
	uint64_t last = addr + (uint64_t)beats * size - 1;

	if (beats < 2 || !inc || addr >> 10 == last >> 10)
		return true;
	violation(sim, "%u-beat burst at 0x%llx crosses a 1 KB boundary", beats,
		  (unsigned long long)addr);
	return false;
}

static void bus_error(struct stm32_sim *sim, unsigned ci, unsigned n)
{
	struct sim_stream *s = &sim->ctrl[ci].s[n];

	set_flags(&sim->ctrl[ci], n, STM32_DMA_TEIF);
	s->active = s->stopping = false;
}

/* Write the FIFO's bytes to memory (flush at stop or end). -1: bus error. */
static int flush_fifo(struct stm32_sim *sim, struct sim_stream *s)
{
	while (s->lvl) {
		unsigned w = msize(s) <= s->lvl ? msize(s) : 1;

		if (bus_access(sim, s, mem_ptr(s), s->fifo, w,
			       STM32_SIM_WRITE) < 0)
			return -1;
		memmove(s->fifo, s->fifo + w, s->lvl - w);
		s->lvl -= w;
		s->m_done += w;
		if (s->cr & STM32_DMA_SxCR_MINC)
			s->m_off += w;
	}
	return 0;
}

static bool mux_passes(struct stm32_sim *sim, unsigned ch);
static void mux_served(struct stm32_sim *sim, unsigned ci, unsigned n);

/* The stream's DMAMUX1 channel presents a request: its input asserts one
 * (a request generator with requests left, or a loopback peripheral with
 * @need bytes of data or room) and synchronization lets it through. */
static bool request(struct stm32_sim *sim, unsigned ci, unsigned n, unsigned need, bool in)
{
	unsigned ch = stm32_dmamux_channel(ci, n);
	unsigned line = STM32_FIELD_GET(STM32_DMAMUX_CxCR_DMAREQ_ID, sim->mux_ccr[ch]);
	struct sim_fifo *f;

	if (!line || line >= STM32_SIM_NR_LINES || !mux_passes(sim, ch))
		return false;
	if (line <= STM32_DMAMUX_REQ_GENERATOR(STM32_DMAMUX_NR_REQGEN - 1))
		return sim->gen_left[line - STM32_DMAMUX_REQ_GENERATOR(0)] > 0;
	f = fifo_get(sim, line);
	if (!f)
		return false;
	return in ? f->lvl >= need : STM32_SIM_FIFO_SIZE - f->lvl >= need;
}

static void stop_done(struct stm32_sim *sim, unsigned ci, unsigned n)
{
	struct sim_stream *s = &sim->ctrl[ci].s[n];
	unsigned dir = STM32_FIELD_GET(STM32_DMA_SxCR_DIR, s->cr);

	if (dir != STM32_DMA_DIR_M2P && flush_fifo(sim, s) < 0) {
		bus_error(sim, ci, n);
		return;
	}
	s->lvl = 0; /* memory-to-peripheral: data not sent is dropped */
	s->active = s->stopping = false;
	s->stall = false;
	set_flags(&sim->ctrl[ci], n, STM32_DMA_TCIF);
	irq_period_end(&sim->ctrl[ci], n);
}

/*
 * Pacing: a stream's memory port may not be granted for some slots
 * (another master holds the memory: stm32_sim_mem_busy()), while its
 * peripheral keeps requesting. RM0433 §15.3.20 error management (RM0090
 * §10.3.20 for the same IP; stm32h7-dma.md §6):
 * - a request that finds the FIFO saturated (peripheral-to-memory) or
 *   empty (memory-to-peripheral) is an overrun / underrun: FEIF, the
 *   stream goes on and the request stays pending (nothing lost at the
 *   DMA; the peripheral's own overrun is its business); in direct mode
 *   too, where items wait in the FIFO while the memory port is not
 *   granted. Not detected in memory-to-memory mode.
 * - in direct mode, peripheral-to-memory with MINC = 0, a request while
 *   the previous item has not reached memory: DMEIF.
 * With the memory port granted, the model always makes room in time.
 * Returns whether the memory port is granted this slot.
 */
static bool mem_granted(struct sim_stream *s)
{
	if (!s->mem_busy)
		return true;
	s->mem_busy--;
	return false;
}

static void direct_mode_error(struct stm32_sim *sim, unsigned ci, unsigned n)
{
	struct sim_stream *s = &sim->ctrl[ci].s[n];

	if (!fifo_mode(s) && s->lvl && !(s->cr & STM32_DMA_SxCR_MINC))
		set_flags(&sim->ctrl[ci], n, STM32_DMA_DMEIF);
}

/* One bus slot of an active stream. Returns peripheral-port bytes moved
 * (or 1 for any other progress), 0 if it could not move. */
static size_t stream_slot(struct stm32_sim *sim, unsigned ci, unsigned n)
{
	struct sim_ctrl *c = &sim->ctrl[ci];
	struct sim_stream *s = &c->s[n];
	unsigned dir = STM32_FIELD_GET(STM32_DMA_SxCR_DIR, s->cr);
	unsigned psz = psize(s), msz = msize(s);
	/* Direct mode: M2P preloads one item; P2M items wait in the FIFO
	 * while the memory port is not granted, until it saturates. */
	unsigned cap = fifo_mode(s) || dir == STM32_DMA_DIR_P2M ? STM32_DMA_FIFO_SIZE : psz;
	unsigned thr = (STM32_FIELD_GET(STM32_DMA_SxFCR_FTH, s->fcr) + 1) * 4;
	unsigned pbeats = fifo_mode(s) ? burst_beats(STM32_FIELD_GET(STM32_DMA_SxCR_PBURST, s->cr)) : 1;
	unsigned mbeats = fifo_mode(s) ? burst_beats(STM32_FIELD_GET(STM32_DMA_SxCR_MBURST, s->cr)) : 1;
	uint32_t pstep = (s->cr & STM32_DMA_SxCR_PINC)
				 ? ((s->cr & STM32_DMA_SxCR_PINCOS) ? 4 : psz) : 0;
	uint64_t total = (uint64_t)s->ndt_reload * psz;
	size_t moved = 0;
	bool progress = false;
	bool mem_ok;

	if (!s->active)
		return 0;
	if (s->stopping) {
		if (!s->stuck && --s->stop_left == 0)
			stop_done(sim, ci, n);
		return 1;
	}
	if (s->stall || !s->ndt_reload)
		return 0;
	mem_ok = mem_granted(s);
	progress = !mem_ok; /* a slot passes */

	if (dir == STM32_DMA_DIR_P2M || dir == STM32_DMA_DIR_M2M) {
		/* Peripheral port: read items into the FIFO. */
		if (s->ndtr >= pbeats && !periph_done(s) &&
		    !burst_ok(sim, periph_ptr(s), pbeats, psz, pstep)) {
			bus_error(sim, ci, n);
			return 1;
		}
		for (unsigned b = 0; b < pbeats && !periph_done(s); b++) {
			if (dir == STM32_DMA_DIR_P2M && !request(sim, ci, n, psz, true))
				break;
			if (cap - s->lvl < psz) {
				if (dir == STM32_DMA_DIR_P2M && !mem_ok)
					set_flags(c, n, STM32_DMA_FEIF); /* overrun */
				break;
			}
			if (dir == STM32_DMA_DIR_P2M && !mem_ok)
				direct_mode_error(sim, ci, n);
			if (bus_access(sim, s, periph_ptr(s), s->fifo + s->lvl, psz,
				       STM32_SIM_READ) < 0) {
				bus_error(sim, ci, n);
				return 1;
			}
			s->lvl += psz;
			s->ndtr--;
			s->p_off += pstep;
			moved += psz;
		}
		if (moved && dir == STM32_DMA_DIR_P2M)
			mux_served(sim, ci, n); /* one request: a single or a burst */
		/* Memory port: drain at the threshold (direct: at once), and
		 * everything at the end. A FIFO with no room for one more
		 * peripheral item counts as at its threshold (PSIZE > MSIZE
		 * with single memory beats can leave it one beat short of
		 * "full"): a modelling assumption, not found in the
		 * reference notes (stm32h7-dma.md §5), and still
		 * unconfirmed: §5 has only the threshold/burst table. The
		 * 3/4-threshold rule there (no PBURST x PSIZE = 16 with FTH
		 * 3/4, "to avoid permanent underrun or overrun") shows the
		 * silicon can wedge for want of FIFO room, so this may be
		 * kinder than the hardware. */
		if (mem_ok && s->lvl && (!fifo_mode(s) || s->lvl >= thr || cap - s->lvl < psz ||
					 periph_done(s))) {
			if (s->lvl >= mbeats * msz &&
			    !burst_ok(sim, mem_ptr(s), mbeats, msz, s->cr & STM32_DMA_SxCR_MINC)) {
				bus_error(sim, ci, n);
				return 1;
			}
			/* A burst goes whole or waits for the FIFO to hold
			 * it (the rest at the end goes as single beats):
			 * half a burst would leave the next one off its
			 * alignment. */
			for (unsigned b = 0; b < mbeats && s->lvl >= msz &&
					     (s->lvl >= mbeats * msz || b || periph_done(s)); b++) {
				if (bus_access(sim, s, mem_ptr(s), s->fifo, msz,
					       STM32_SIM_WRITE) < 0) {
					bus_error(sim, ci, n);
					return 1;
				}
				memmove(s->fifo, s->fifo + msz, s->lvl - msz);
				s->lvl -= msz;
				s->m_done += msz;
				if (s->cr & STM32_DMA_SxCR_MINC)
					s->m_off += msz;
				progress = true;
			}
			if (periph_done(s) && s->lvl && s->lvl < msz) {
				if (flush_fifo(sim, s) < 0) {
					bus_error(sim, ci, n);
					return 1;
				}
				progress = true;
			}
		}
		if (!s->ht_done && s->m_done * 2 >= total) {
			s->ht_done = true;
			set_flags(c, n, STM32_DMA_HTIF);
		}
		if (periph_done(s) && !s->lvl)
			goto cycle_end;
	} else if (dir == STM32_DMA_DIR_M2P) {
		/* Memory port: prefetch into the FIFO. */
		if (mem_ok && total - s->m_done >= (uint64_t)mbeats * msz &&
		    cap - s->lvl >= mbeats * msz &&
		    !burst_ok(sim, mem_ptr(s), mbeats, msz, s->cr & STM32_DMA_SxCR_MINC)) {
			bus_error(sim, ci, n);
			return 1;
		}
		/* Likewise a burst is read whole, when the FIFO has room for
		 * it; the rest at the end as single beats. */
		for (unsigned b = 0; mem_ok && b < mbeats && s->m_done < total &&
				     cap - s->lvl >= msz &&
				     (b || total - s->m_done < (uint64_t)mbeats * msz ||
				      cap - s->lvl >= mbeats * msz); b++) {
			unsigned w = total - s->m_done < msz ? (unsigned)(total - s->m_done) : msz;

			if (bus_access(sim, s, mem_ptr(s), s->fifo + s->lvl, w,
				       STM32_SIM_READ) < 0) {
				bus_error(sim, ci, n);
				return 1;
			}
			s->lvl += w;
			s->m_done += w;
			if (s->cr & STM32_DMA_SxCR_MINC)
				s->m_off += w;
			progress = true;
		}
		/* Peripheral port: serve the requests. */
		if (s->ndtr >= pbeats && !periph_done(s) &&
		    !burst_ok(sim, periph_ptr(s), pbeats, psz, pstep)) {
			bus_error(sim, ci, n);
			return 1;
		}
		for (unsigned b = 0; b < pbeats && !periph_done(s); b++) {
			if (!request(sim, ci, n, psz, false))
				break;
			if (s->lvl < psz) {
				if (!mem_ok)
					set_flags(c, n, STM32_DMA_FEIF); /* underrun */
				break;
			}
			if (bus_access(sim, s, periph_ptr(s), s->fifo, psz,
				       STM32_SIM_WRITE) < 0) {
				bus_error(sim, ci, n);
				return 1;
			}
			memmove(s->fifo, s->fifo + psz, s->lvl - psz);
			s->lvl -= psz;
			s->ndtr--;
			s->p_off += pstep;
			moved += psz;
		}
		if (moved)
			mux_served(sim, ci, n);
		if (!s->ht_done && (uint64_t)(s->ndt_reload - s->ndtr) * 2 >= s->ndt_reload) {
			s->ht_done = true;
			set_flags(c, n, STM32_DMA_HTIF);
		}
		if (periph_done(s))
			goto cycle_end;
	} else {
		bus_error(sim, ci, n); /* DIR 11: reserved */
		return 1;
	}
	return moved ? moved : progress;

cycle_end:
	set_flags(c, n, STM32_DMA_TCIF);
	irq_period_end(c, n);
	if (s->cr & (STM32_DMA_SxCR_CIRC | STM32_DMA_SxCR_DBM)) {
		s->ndtr = s->ndt_reload;
		s->p_off = s->m_off = 0;
		s->m_done = 0;
		s->ht_done = false;
		/* DBM: the hardware swaps the memory target by itself at
		 * each end of transfer (CT toggles, NDTR reloads, TCIF set),
		 * whether or not software has serviced the last one: RM0433
		 * §15.3.11 and Table 109 (stm32h7-dma.md §7). */
		if (s->cr & STM32_DMA_SxCR_DBM)
			s->cr ^= STM32_DMA_SxCR_CT;
	} else {
		s->active = false;
	}
	return moved ? moved : 1;
}

size_t stm32_sim_step(struct stm32_sim *sim, size_t budget)
{
	size_t total = 0;

	while (total < budget) {
		size_t pass = 0;

		/* Priority: PL high first, then DMA1 before DMA2, then the
		 * lower stream. */
		for (int pl = 3; pl >= 0; pl--) {
			for (unsigned ci = 0; ci < 2; ci++) {
				for (unsigned n = 0; n < STM32_DMA_NR_STREAMS; n++) {
					struct sim_stream *s = &sim->ctrl[ci].s[n];

					if (!s->active ||
					    STM32_FIELD_GET(STM32_DMA_SxCR_PL, s->cr) != (unsigned)pl)
						continue;
					pass += stream_slot(sim, ci, n);
				}
			}
		}
		total += pass;
		/* An interrupt preempts the bus: return so that the caller
		 * services it before the next slot (an interrupt latency
		 * shorter than a period, as a driver needs for DBM). */
		if ((update_irq(sim, 0) | update_irq(sim, 1)) || !pass) {
			if (!pass)
				irq_bus_idle(sim);
			break;
		}
	}
	return total;
}

size_t stm32_sim_run(struct stm32_sim *sim)
{
	uint64_t now = now_ns();
	size_t budget;

	if (!sim->rate) {
		sim->last_ns = now;
		return stm32_sim_step(sim, SIZE_MAX);
	}
	if (!sim->last_ns)
		sim->last_ns = now;
	sim->credit += (now - sim->last_ns) * sim->rate / 1000000000ull;
	if (sim->credit > sim->rate / 10)
		sim->credit = sim->rate / 10;
	sim->last_ns = now;
	budget = (size_t)sim->credit;
	if (!budget)
		return 0;
	budget = stm32_sim_step(sim, budget);
	sim->credit -= budget < sim->credit ? budget : sim->credit;
	return budget;
}

void stm32_sim_set_rate(struct stm32_sim *sim, uint64_t bytes_per_sec)
{
	sim->rate = bytes_per_sec;
	sim->credit = 0;
	sim->last_ns = 0;
}

void stm32_sim_set_stop_delay(struct stm32_sim *sim, unsigned accesses)
{
	sim->stop_delay = accesses ? accesses : 1;
}

/* Software unmasked UIO device @num: a level line still high interrupts
 * again at once (genirq re-enabling a level interrupt that is asserted),
 * unless the fake already delivered one pending while masked. */
static void irq_unmasked(struct stm32_sim *sim, unsigned num)
{
	for (unsigned ci = 0; ci < 2; ci++) {
		struct sim_ctrl *c = &sim->ctrl[ci];

		if (c->hold)
			continue;
		update_irq(sim, ci);
		if (c->uio == num && c->line && uio_fake_irq_unmasked(sim->fake, num)) {
			c->irqs++;
			uio_fake_raise_irq(sim->fake, num);
		}
		for (unsigned n = 0; n < STM32_DMA_NR_STREAMS; n++) {
			struct sim_irq_line *l = &c->lines[n];

			if (l->uio == (int)num && l->up && uio_fake_irq_unmasked(sim->fake, num))
				uio_fake_raise_irq(sim->fake, num);
		}
	}
}

int stm32_sim_set_irq_latency(struct stm32_sim *sim, unsigned ci, unsigned n,
			      unsigned period_ends)
{
	if (ci >= 2 || (n >= STM32_DMA_NR_STREAMS && n != STM32_SIM_ALL_STREAMS))
		return -EINVAL;
	for (unsigned i = 0; i < STM32_DMA_NR_STREAMS; i++)
		if (n == STM32_SIM_ALL_STREAMS || i == n)
			sim->ctrl[ci].lines[i].latency = period_ends;
	return 0;
}

int stm32_sim_route_stream_irq(struct stm32_sim *sim, unsigned ci, unsigned n, int uio)
{
	if (ci >= 2 || n >= STM32_DMA_NR_STREAMS || uio < -1)
		return -EINVAL;
	sim->ctrl[ci].lines[n].uio = uio;
	sim->ctrl[ci].lines[n].dev_line = false;
	return 0;
}

unsigned stm32_sim_stream_irqs(struct stm32_sim *sim, unsigned ci, unsigned n)
{
	return ci < 2 && n < STM32_DMA_NR_STREAMS ? sim->ctrl[ci].lines[n].raised : 0;
}

int stm32_sim_hold_irq(struct stm32_sim *sim, unsigned ci, bool hold)
{
	if (ci >= 2)
		return -EINVAL;
	sim->ctrl[ci].hold = hold;
	if (!hold)
		update_irq(sim, ci);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Registers */

/*
 * FIFO threshold vs memory burst (stm32h7-dma.md §5, RM0433 Table 112):
 * a mismatch is refused at enable (FEIF, EN cleared). The peripheral-side
 * rules (PBURST x PSIZE <= 16 bytes; no PBURST x PSIZE = 16 with FTH 3/4)
 * are not checked at enable by the hardware: breaking them risks a
 * "permanent underrun or overrun" (RM0433 §15.3.14; RM0090 p.320), so
 * they are violations here, and the stream runs.
 */
static bool fifo_config_ok(struct stm32_sim *sim, const struct sim_stream *s)
{
	unsigned msz = 1u << STM32_FIELD_GET(STM32_DMA_SxCR_MSIZE, s->cr);
	unsigned beats = burst_beats(STM32_FIELD_GET(STM32_DMA_SxCR_MBURST, s->cr));
	unsigned psz = psize(s);
	unsigned pbeats = burst_beats(STM32_FIELD_GET(STM32_DMA_SxCR_PBURST, s->cr));
	unsigned fth = STM32_FIELD_GET(STM32_DMA_SxFCR_FTH, s->fcr);
	unsigned level = (fth + 1) * 4;

	if (pbeats * psz > STM32_DMA_FIFO_SIZE ||
	    (pbeats * psz == STM32_DMA_FIFO_SIZE && fth == STM32_DMA_FTH_3QUARTERS))
		violation(sim, "peripheral burst of %u bytes with FIFO threshold %u/4",
			  pbeats * psz, fth + 1);
	if (beats * msz > STM32_DMA_FIFO_SIZE)
		return false;
	if (beats > 1 && level % (beats * msz))
		return false;
	return true;
}

/*
 * Start rule: "before setting EN to 1 to start a new transfer, the event
 * flags of the stream in LISR/HISR must be cleared" (RM0433 §15.5,
 * DMA_SxCR bit EN, note; §15.3.19 stream configuration procedure; the
 * same words in RM0090 §10.5.5 for this IP; stm32h7-dma.md §2.1 tags it
 * (R)). The manual does not say what the silicon does otherwise; field
 * reports on the same IP (F4/F7: a stream whose TEIF was left set keeps
 * EN reading 0 after EN is written 1, and moves nothing until the flag
 * is cleared) say it does not start. Modelled so for any of the five
 * flags: no start, EN reads 0, no flag raised, and a violation counted.
 * Returns true if the enable is refused.
 */
static bool enable_refused_by_flags(struct stm32_sim *sim, unsigned ci, unsigned n)
{
	uint32_t flags = stream_flags(&sim->ctrl[ci], n);

	if (!flags)
		return false;
	sim->ctrl[ci].s[n].refused++;
	violation(sim, "DMA%u stream %u enabled with flags 0x%02x set", ci + 1, n, flags);
	return true;
}

/*
 * Fields the hardware forces "as soon as EN = 1" (RM0433 §15.5
 * DMA_SxCR and DMA_SxFCR bit descriptions, the same in RM0090
 * §10.5.5/§10.5.10; stm32h7-dma.md §4/§5 tag them (R)); they read back
 * forced and stay so after the stream stops:
 * - memory-to-memory: DMDIS set (direct mode is not allowed there);
 * - direct mode: MSIZE = PSIZE, PBURST = MBURST = single;
 * - PINCOS cleared in direct mode or with PBURST != single;
 * - DBM: CIRC set.
 */
static void force_enable_fields(struct sim_stream *s)
{
	if (STM32_FIELD_GET(STM32_DMA_SxCR_DIR, s->cr) == STM32_DMA_DIR_M2M)
		s->fcr |= STM32_DMA_SxFCR_DMDIS;
	if (!(s->fcr & STM32_DMA_SxFCR_DMDIS)) {
		s->cr &= ~(STM32_DMA_SxCR_MSIZE | STM32_DMA_SxCR_PBURST | STM32_DMA_SxCR_MBURST);
		s->cr |= STM32_FIELD_PREP(STM32_DMA_SxCR_MSIZE,
					  STM32_FIELD_GET(STM32_DMA_SxCR_PSIZE, s->cr));
	}
	if (!(s->fcr & STM32_DMA_SxFCR_DMDIS) || STM32_FIELD_GET(STM32_DMA_SxCR_PBURST, s->cr))
		s->cr &= ~STM32_DMA_SxCR_PINCOS;
	if (s->cr & STM32_DMA_SxCR_DBM)
		s->cr |= STM32_DMA_SxCR_CIRC;
}

/*
 * PFCTRL at enable. RM0433 §15.3.17 as RM0090 §10.3.15 words it (V in
 * stm32h7-dma.md §3, §8): whatever NDTR holds is forced to 0xFFFF. The
 * SxCR field descriptions of the same IP (RM0090 §10.5.5; (R) for the
 * H7): memory-to-memory forces PFCTRL to 0, and PFCTRL forces CIRC to 0.
 * Double-buffer mode with PFCTRL is forbidden (RM0433 Table 113,
 * "possible DMA configurations", title verified; the cell (R)) without a
 * stated consequence: the model refuses the enable with TEIF, so that a
 * driver doing it fails loudly. Returns false if the enable is refused.
 */
static bool pfctrl_enable(struct sim_ctrl *c, unsigned n)
{
	struct sim_stream *s = &c->s[n];

	s->pf_last = false;
	if (STM32_FIELD_GET(STM32_DMA_SxCR_DIR, s->cr) == STM32_DMA_DIR_M2M)
		s->cr &= ~STM32_DMA_SxCR_PFCTRL;
	if (!(s->cr & STM32_DMA_SxCR_PFCTRL))
		return true;
	if (s->cr & STM32_DMA_SxCR_DBM) {
		set_flags(c, n, STM32_DMA_TEIF);
		return false;
	}
	s->cr &= ~STM32_DMA_SxCR_CIRC;
	s->ndtr = STM32_DMA_SxNDTR_NDT;
	return true;
}

static void stream_enable(struct stm32_sim *sim, unsigned ci, unsigned n)
{
	struct sim_ctrl *c = &sim->ctrl[ci];
	struct sim_stream *s = &c->s[n];
	unsigned dir = STM32_FIELD_GET(STM32_DMA_SxCR_DIR, s->cr);

	if (enable_refused_by_flags(sim, ci, n))
		return;
	/* NDTR "is reloaded with the previously programmed value when the
	 * stream is enabled again", after a transfer that ran to 0 (RM0433
	 * §15.5 DMA_SxNDTR; RM0090 §10.5.6). */
	if (!s->ndtr && !s->ndtr_written)
		s->ndtr = s->ndt_reload;
	s->ndtr_written = false;
	force_enable_fields(s);
	s->starts++;
	s->last_ndtr = s->ndtr;
	s->last_cr = s->cr;
	/* NDT vs packing: PSIZE < MSIZE needs NDT x PSIZE a multiple of
	 * MSIZE (RM0433 Table 111); outcome undefined: a violation (the
	 * sim moves the rest as bytes). Not with the peripheral as flow
	 * controller: NDT counts nothing there (forced to 0xFFFF below),
	 * the peripheral ends the transfer where it will, and the rest of
	 * a memory item is flushed as it is at any end (a modelling
	 * choice: the notes say nothing of packing under PFCTRL). */
	if (fifo_mode(s) && (s->ndtr * psize(s)) % msize(s) &&
	    !((s->cr & STM32_DMA_SxCR_PFCTRL) && dir != STM32_DMA_DIR_M2M))
		violation(sim, "NDT %u of %u-byte items does not fill %u-byte memory items",
			  s->ndtr, psize(s), msize(s));
	if (fifo_mode(s) && !fifo_config_ok(sim, s)) {
		set_flags(c, n, STM32_DMA_FEIF); /* EN cleared at once */
		return;
	}
	if (dir == STM32_DMA_DIR_M2M &&
	    (s->cr & (STM32_DMA_SxCR_CIRC | STM32_DMA_SxCR_DBM))) {
		/* "Circular and direct modes are not allowed" in
		 * memory-to-memory (RM0433 §15.3, memory-to-memory mode; DBM
		 * implies CIRC): the
		 * outcome is not stated. A transfer error here, and a
		 * violation. */
		violation(sim, "DMA%u stream %u: memory-to-memory in circular mode", ci + 1, n);
		set_flags(c, n, STM32_DMA_TEIF);
		return;
	}
	if (!pfctrl_enable(c, n))
		return;
	/* NDTR = 0: "no transaction can be served even if the stream is
	 * enabled" (RM0433 §15.5 DMA_SxNDTR): EN reads 1, nothing moves, until
	 * software disables it. */
	s->active = true;
	s->stopping = false;
	s->ndt_reload = s->ndtr;
	s->p_off = s->m_off = 0;
	s->lvl = 0;
	s->m_done = 0;
	s->ht_done = false;
	s->fail = sim->fail_next;
	sim->fail_next = 0;
}

#define SxCR_LIVE (STM32_DMA_SxCR_EN | STM32_DMA_SxCR_IRQ_MASK)

/*
 * A write to a register field that is "write-protected and can be written
 * only when EN = 0" while the stream runs (EN reads 1, stopping included):
 * the hardware ignores it (RM0433 §15.5 DMA_SxCR..DMA_SxFCR descriptions;
 * stm32h7-dma.md §2.1 (R)), and a driver that does it believes something
 * the stream does not do: a violation. Not the interrupt enables, nor
 * the idle target of a double-buffer stream.
 */
static void protected_write(struct stm32_sim *sim, unsigned ci, unsigned n, const char *reg)
{
	violation(sim, "DMA%u stream %u: %s written while EN = 1", ci + 1, n, reg);
}

static void stream_write(struct stm32_sim *sim, unsigned ci, unsigned n, uint32_t reg,
			 uint32_t v)
{
	struct sim_ctrl *c = &sim->ctrl[ci];
	struct sim_stream *s = &c->s[n];
	bool running = s->active;

	switch (reg) {
	case 0x00: /* CR */
		v &= ~STM32_DMA_SxCR_RESERVED;
		if (running) {
			/* Only EN and the interrupt enables change. */
			if ((v ^ s->cr) & ~SxCR_LIVE)
				protected_write(sim, ci, n, "SxCR");
			s->cr = (s->cr & ~STM32_DMA_SxCR_IRQ_MASK) | (v & STM32_DMA_SxCR_IRQ_MASK);
			if (!(v & STM32_DMA_SxCR_EN) && !s->stopping) {
				s->stopping = true;
				s->stop_left = sim->stop_delay;
			}
			break;
		}
		s->cr = v & ~STM32_DMA_SxCR_EN;
		if (v & STM32_DMA_SxCR_EN)
			stream_enable(sim, ci, n);
		break;
	case 0x04:
		if (!running) {
			s->ndtr = v & STM32_DMA_SxNDTR_NDT;
			s->ndtr_written = true;
		} else {
			protected_write(sim, ci, n, "SxNDTR");
		}
		break;
	case 0x08:
		if (!running)
			s->par = v;
		else
			protected_write(sim, ci, n, "SxPAR");
		break;
	case 0x0C:
	case 0x10:
		if (!running) {
			*(reg == 0x0C ? &s->m0ar : &s->m1ar) = v;
		} else if (s->cr & STM32_DMA_SxCR_DBM) {
			bool cur1 = s->cr & STM32_DMA_SxCR_CT;

			if ((reg == 0x10) == cur1) {
				/* The current target (M0AR with CT = 0, M1AR
				 * with CT = 1) may not be written while EN = 1:
				 * TEIF and the stream disabled. RM0433 §15.3.11
				 * (Table 109) and §15.3.20 error management;
				 * stm32h7-dma.md §7 and §6 tag it (R), not
				 * read in RM0433's own text there. */
				bus_error(sim, ci, n);
			} else {
				*(reg == 0x0C ? &s->m0ar : &s->m1ar) = v;
			}
		} else {
			protected_write(sim, ci, n, reg == 0x0C ? "SxM0AR" : "SxM1AR");
		}
		break;
	case 0x14:
		v &= ~(STM32_DMA_SxFCR_RESERVED | STM32_DMA_SxFCR_FS);
		if (running && (v ^ s->fcr) & ~STM32_DMA_SxFCR_FEIE)
			protected_write(sim, ci, n, "SxFCR");
		if (running)
			s->fcr = (s->fcr & ~STM32_DMA_SxFCR_FEIE) | (v & STM32_DMA_SxFCR_FEIE);
		else
			s->fcr = v;
		break;
	}
}

static uint32_t fcr_read(const struct sim_stream *s)
{
	unsigned fs;

	if (!s->lvl)
		fs = STM32_DMA_FS_EMPTY;
	else if (s->lvl >= STM32_DMA_FIFO_SIZE)
		fs = STM32_DMA_FS_FULL;
	else
		fs = s->lvl / 4; /* quarters */
	return (s->fcr & ~STM32_DMA_SxFCR_FS) | STM32_FIELD_PREP(STM32_DMA_SxFCR_FS, fs);
}

static uint32_t stream_read(struct stm32_sim *sim, unsigned ci, unsigned n, uint32_t reg,
			    bool side_effects)
{
	struct sim_stream *s = &sim->ctrl[ci].s[n];

	switch (reg) {
	case 0x00:
		if (side_effects && s->stopping && !s->stuck && --s->stop_left == 0) {
			stop_done(sim, ci, n);
			update_irq(sim, ci);
		}
		return s->cr | (s->active ? STM32_DMA_SxCR_EN : 0);
	case 0x04: return s->ndtr;
	case 0x08: return s->par;
	case 0x0C: return s->m0ar;
	case 0x10: return s->m1ar;
	case 0x14: return fcr_read(s);
	}
	return 0;
}

static uint32_t dma_read(struct stm32_sim *sim, unsigned ci, uint32_t off, bool side_effects)
{
	struct sim_ctrl *c = &sim->ctrl[ci];

	switch (off) {
	case STM32_DMA_LISR: return c->isr[0];
	case STM32_DMA_HISR: return c->isr[1];
	case STM32_DMA_LIFCR:
	case STM32_DMA_HIFCR: return 0;
	}
	if (off >= STM32_DMA_STREAM_BASE && off < STM32_DMA_REGS_END) {
		uint32_t rel = off - STM32_DMA_STREAM_BASE;

		return stream_read(sim, ci, rel / STM32_DMA_STREAM_STRIDE,
				   rel % STM32_DMA_STREAM_STRIDE, side_effects);
	}
	return 0;
}

static void dma_write(struct stm32_sim *sim, unsigned ci, uint32_t off, uint32_t v)
{
	struct sim_ctrl *c = &sim->ctrl[ci];

	switch (off) {
	case STM32_DMA_LISR:
	case STM32_DMA_HISR:
		break; /* read-only */
	case STM32_DMA_LIFCR:
		c->isr[0] &= ~(v & ~STM32_DMA_xISR_RESERVED);
		break;
	case STM32_DMA_HIFCR:
		c->isr[1] &= ~(v & ~STM32_DMA_xISR_RESERVED);
		break;
	default:
		if (off >= STM32_DMA_STREAM_BASE && off < STM32_DMA_REGS_END) {
			uint32_t rel = off - STM32_DMA_STREAM_BASE;

			stream_write(sim, ci, rel / STM32_DMA_STREAM_STRIDE,
				     rel % STM32_DMA_STREAM_STRIDE, v);
		}
	}
	update_irq(sim, ci);
}

/* ------------------------------------------------------------------ */
/* DMAMUX1 (RM0433 §17; stm32h7-dma.md §9)
 *
 * Inputs 1..8 of the request multiplexer are the request generators'
 * outputs, 9.. the peripherals (here loopback FIFOs), 0 none. The 8
 * synchronization inputs and the 8 generator trigger inputs are the same
 * signals on DMAMUX1: 0..2 the events of channels 0..2, 3..7 LPTIM1/2/3,
 * EXTI0, TIM12_TRGO (stm32h7-dma.md §9 from ST's HAL); tests drive 3..7
 * with stm32_sim_mux_signal(). The edge-detection filter (stable for
 * more than two AHB clocks) and the three clocks of masking after a
 * CxCR/RGxCR write (RM0433 §17.4) are below this model's
 * resolution: one signal change is one edge.
 *
 * Sources: RM0433's DMAMUX chapter text was not available to this work
 * (stm32h7-dma.md §0); the behaviour below is the notes' §9 (SVD field
 * texts, ST's HAL) and the same DMAMUX IP's functional description as
 * RM0453 §14.4 words it (synchronization overrun, request generator
 * trigger overrun, "no hardware write protection" of GNBREQ). The
 * RM0433 section numbers are the chapter's, not checked subsections.
 */

static bool pol_matches(unsigned pol, bool rising)
{
	return pol == STM32_DMAMUX_POL_BOTH ||
	       pol == (rising ? STM32_DMAMUX_POL_RISING : STM32_DMAMUX_POL_FALLING);
}

/* Synchronization: with SE, requests pass only while the counter loaded
 * with NBREQ + 1 by the last synchronization event is not exhausted. */
static bool mux_passes(struct stm32_sim *sim, unsigned ch)
{
	return !(sim->mux_ccr[ch] & STM32_DMAMUX_CxCR_SE) || sim->mux_left[ch] > 0;
}

static void mux_signal_edge(struct stm32_sim *sim, unsigned id, bool rising);

/*
 * The DMA served one request of the channel of stream @n of @ci: the
 * generator input gives one up, the synchronization counter counts it,
 * and after NBREQ + 1 forwarded requests the channel raises its event if
 * EGE ("the request counter underrun": RM0433 §17.4), a pulse on
 * signals 0..2 for channels 0..2.
 */
static void mux_served(struct stm32_sim *sim, unsigned ci, unsigned n)
{
	unsigned ch = stm32_dmamux_channel(ci, n);
	uint32_t ccr = sim->mux_ccr[ch];
	unsigned line = STM32_FIELD_GET(STM32_DMAMUX_CxCR_DMAREQ_ID, ccr);

	if (line >= STM32_DMAMUX_REQ_GENERATOR(0) &&
	    line <= STM32_DMAMUX_REQ_GENERATOR(STM32_DMAMUX_NR_REQGEN - 1) &&
	    sim->gen_left[line - STM32_DMAMUX_REQ_GENERATOR(0)])
		sim->gen_left[line - STM32_DMAMUX_REQ_GENERATOR(0)]--;
	if ((ccr & STM32_DMAMUX_CxCR_SE) && sim->mux_left[ch])
		sim->mux_left[ch]--;
	if (++sim->mux_count[ch] < STM32_FIELD_GET(STM32_DMAMUX_CxCR_NBREQ, ccr) + 1)
		return;
	sim->mux_count[ch] = 0;
	if (!(ccr & STM32_DMAMUX_CxCR_EGE))
		return;
	sim->mux_events[ch]++;
	if (ch < 3) {
		mux_signal_edge(sim, ch, true);
		mux_signal_edge(sim, ch, false);
	}
}

/*
 * An edge on signal @id: a synchronization event for every channel with
 * SE whose SYNC_ID and SPOL match, a trigger for every enabled generator
 * whose SIG_ID and GPOL match.
 * - Sync: loads NBREQ + 1 requests; one arriving while the last load is
 *   not used up is an overrun: SOFx, the event lost (RM0433 §17.4).
 * - Trigger: GNBREQ + 1 requests; one arriving while the generator's
 *   counter has not run out is an overrun: OFx, the trigger lost
 *   (RM0433 §17.4).
 */
static void mux_signal_edge(struct stm32_sim *sim, unsigned id, bool rising)
{
	for (unsigned ch = 0; ch < STM32_DMAMUX_NR_CHANNELS; ch++) {
		uint32_t ccr = sim->mux_ccr[ch];

		if (!(ccr & STM32_DMAMUX_CxCR_SE) ||
		    STM32_FIELD_GET(STM32_DMAMUX_CxCR_SYNC_ID, ccr) != id ||
		    !pol_matches(STM32_FIELD_GET(STM32_DMAMUX_CxCR_SPOL, ccr), rising))
			continue;
		if (sim->mux_left[ch])
			sim->mux_csr |= STM32_DMAMUX_CSR_SOF(ch);
		else
			sim->mux_left[ch] = STM32_FIELD_GET(STM32_DMAMUX_CxCR_NBREQ, ccr) + 1;
	}
	for (unsigned g = 0; g < STM32_DMAMUX_NR_REQGEN; g++) {
		uint32_t rg = sim->mux_rgcr[g];

		if (!(rg & STM32_DMAMUX_RGxCR_GE) ||
		    STM32_FIELD_GET(STM32_DMAMUX_RGxCR_SIG_ID, rg) != id ||
		    !pol_matches(STM32_FIELD_GET(STM32_DMAMUX_RGxCR_GPOL, rg), rising))
			continue;
		if (sim->gen_left[g])
			sim->mux_rgsr |= STM32_DMAMUX_RGSR_OF(g);
		else
			sim->gen_left[g] = STM32_FIELD_GET(STM32_DMAMUX_RGxCR_GNBREQ, rg) + 1;
	}
}

static uint32_t mux_read(struct stm32_sim *sim, uint32_t off)
{
	if (off < STM32_DMAMUX_CxCR(STM32_DMAMUX_NR_CHANNELS))
		return sim->mux_ccr[off / 4];
	if (off >= STM32_DMAMUX_RGxCR(0) && off < STM32_DMAMUX_RGxCR(STM32_DMAMUX_NR_REQGEN))
		return sim->mux_rgcr[(off - STM32_DMAMUX_RGxCR(0)) / 4];
	if (off == STM32_DMAMUX_CSR)
		return sim->mux_csr;
	if (off == STM32_DMAMUX_RGSR)
		return sim->mux_rgsr;
	return 0; /* CFR, RGCFR (write-only) and the gaps */
}

/*
 * CxCR: NBREQ "must be written only while SE and EGE are 0" and GNBREQ
 * only while GE is 0 (RM0433 §17.6 DMAMUX_CxCR / DMAMUX_RGxCR; the same
 * IP's RM0453 adds "there is no hardware write protection"): the write
 * takes effect and is a violation (a write that also clears the enables
 * is not one). SYNC_ID / SIG_ID above 7 select no
 * DMAMUX1 input on the H743 (the CMSIS field is wider: stm32h7-dma.md
 * §14.2): a violation too. Clearing SE drops what is left of the
 * synchronization counter; clearing GE the generator's requests.
 */
static void mux_write(struct stm32_sim *sim, uint32_t off, uint32_t v)
{
	if (off < STM32_DMAMUX_CxCR(STM32_DMAMUX_NR_CHANNELS)) {
		unsigned ch = off / 4;
		uint32_t old = sim->mux_ccr[ch];

		v &= ~STM32_DMAMUX_CxCR_RESERVED;
		if ((old & (STM32_DMAMUX_CxCR_SE | STM32_DMAMUX_CxCR_EGE)) &&
		    (v & (STM32_DMAMUX_CxCR_SE | STM32_DMAMUX_CxCR_EGE)) &&
		    (old ^ v) & STM32_DMAMUX_CxCR_NBREQ)
			violation(sim, "DMAMUX1 C%uCR.NBREQ written with SE or EGE set", ch);
		if ((v & STM32_DMAMUX_CxCR_SE) &&
		    STM32_FIELD_GET(STM32_DMAMUX_CxCR_SYNC_ID, v) >= STM32_DMAMUX_NR_SYNC)
			violation(sim, "DMAMUX1 C%uCR.SYNC_ID %u: no such input", ch,
				  STM32_FIELD_GET(STM32_DMAMUX_CxCR_SYNC_ID, v));
		if (!(v & STM32_DMAMUX_CxCR_SE))
			sim->mux_left[ch] = 0;
		if ((old ^ v) & (STM32_DMAMUX_CxCR_DMAREQ_ID | STM32_DMAMUX_CxCR_NBREQ))
			sim->mux_count[ch] = 0;
		sim->mux_ccr[ch] = v;
	} else if (off >= STM32_DMAMUX_RGxCR(0) &&
		   off < STM32_DMAMUX_RGxCR(STM32_DMAMUX_NR_REQGEN)) {
		unsigned g = (off - STM32_DMAMUX_RGxCR(0)) / 4;
		uint32_t old = sim->mux_rgcr[g];

		v &= ~STM32_DMAMUX_RGxCR_RESERVED;
		if ((old & v & STM32_DMAMUX_RGxCR_GE) && (old ^ v) & STM32_DMAMUX_RGxCR_GNBREQ)
			violation(sim, "DMAMUX1 RG%uCR.GNBREQ written with GE set", g);
		if ((v & STM32_DMAMUX_RGxCR_GE) &&
		    STM32_FIELD_GET(STM32_DMAMUX_RGxCR_SIG_ID, v) >= STM32_DMAMUX_NR_SYNC)
			violation(sim, "DMAMUX1 RG%uCR.SIG_ID %u: no such input", g,
				  STM32_FIELD_GET(STM32_DMAMUX_RGxCR_SIG_ID, v));
		if (!(v & STM32_DMAMUX_RGxCR_GE))
			sim->gen_left[g] = 0;
		sim->mux_rgcr[g] = v;
	} else if (off == STM32_DMAMUX_CFR) {
		sim->mux_csr &= ~(v & STM32_DMAMUX_CFR_CSOF_ALL);
	} else if (off == STM32_DMAMUX_RGCFR) {
		sim->mux_rgsr &= ~(v & STM32_DMAMUX_RGCFR_COF_ALL);
	}
}

/* The block and offset of a driver address. */
static int resolve(struct stm32_sim *sim, const volatile void *addr, uint32_t *ret_off)
{
	const uint8_t *a = (const uint8_t *)(uintptr_t)addr;

	for (unsigned i = 0; i < SIM_MAX_MAPS; i++) {
		struct sim_map *m = &sim->maps[i];

		if (!m->addr || a < m->addr || a >= m->addr + m->len || m->num > 2)
			continue;
		if ((size_t)(a - m->addr) < block_off[m->num])
			break;
		*ret_off = (uint32_t)((size_t)(a - m->addr) - block_off[m->num]);
		return (int)m->num;
	}
	fprintf(stderr, "stm32-sim: access to %p outside the register blocks\n",
		(const void *)a);
	abort();
}

static uint32_t sim_mmio_read(void *data, const volatile void *addr)
{
	struct stm32_sim *sim = data;
	uint32_t off;
	int block = resolve(sim, addr, &off);

	if (block == STM32_SIM_DMAMUX1)
		return mux_read(sim, off);
	return dma_read(sim, (unsigned)block, off, true);
}

static void sim_mmio_write(void *data, volatile void *addr, uint32_t value)
{
	struct stm32_sim *sim = data;
	uint32_t off;
	int block = resolve(sim, addr, &off);

	if (block == STM32_SIM_DMAMUX1)
		mux_write(sim, off, value);
	else
		dma_write(sim, (unsigned)block, off, value);
}

const struct stm32_mmio_ops stm32_sim_mmio_ops = {
	.read = sim_mmio_read,
	.write = sim_mmio_write,
};

/* ------------------------------------------------------------------ */
/* Setup */

static int add_region(struct stm32_sim *sim, uint64_t base, uint64_t size, uint8_t *mem,
		      bool dma_ok)
{
	bool owned = !mem;

	if (!mem)
		mem = calloc(1, size);
	if (!mem)
		return -ENOMEM;
	sim->regions[sim->nr_regions++] = (struct sim_region){ base, size, mem, dma_ok, owned };
	return 0;
}

int stm32_sim_new(size_t pool_size, struct stm32_sim **ret_sim)
{
	struct stm32_sim *sim;
	int r;

	if (!pool_size)
		pool_size = STM32_SIM_POOL_SIZE;
	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return -ENOMEM;
	for (unsigned i = 0; i < SIM_MAX_OPENS; i++)
		sim->opens[i].fd = -1;
	sim->stop_delay = 2;
	r = uio_fake_new(&sim->fake);
	if (r < 0) {
		free(sim);
		return r;
	}
	sim->fenv = uio_fake_env(sim->fake);
	sim->ops = (struct uio_ops){
		.open = sim_open,
		.close = sim_close,
		.mmap = sim_mmap,
		.munmap = sim_munmap,
		.read_irq = sim_read_irq,
		.enable_irq = sim_enable_irq,
		.read_attr = sim_read_attr,
		.pci_intx = sim_pci_intx,
		.enumerate = sim_enumerate,
	};
	sim->env = (struct uio_env){
		.ops = &sim->ops,
		.ops_data = sim,
		.class_dir = sim->fenv->class_dir,
		.dev_dir = sim->fenv->dev_dir,
	};
	{
		const struct uio_fake_map dma1 = { "dma1", STM32H7_DMA1_BASE, 0x1000, 0 };
		const struct uio_fake_map dma2 = { "dma2", STM32H7_DMA1_BASE, 0x1000, 0x400 };
		const struct uio_fake_map mux = { "dmamux1", STM32H7_DMA1_BASE, 0x1000, 0x800 };
		const struct uio_fake_map pool = { "dma-pool", STM32_SIM_POOL_BASE, pool_size, 0 };

		r = uio_fake_add(sim->fake, STM32_SIM_UIO_DMA1, "dma1", "devicetree", &dma1, 1,
				 UIO_FAKE_IRQ | UIO_FAKE_AUTOMASK);
		if (r == 0)
			r = uio_fake_add(sim->fake, STM32_SIM_UIO_DMA2, "dma2", "devicetree",
					 &dma2, 1, UIO_FAKE_IRQ | UIO_FAKE_AUTOMASK);
		if (r == 0)
			r = uio_fake_add(sim->fake, STM32_SIM_UIO_DMAMUX, "dmamux1", "devicetree",
					 &mux, 1, 0);
		if (r == 0)
			r = uio_fake_add(sim->fake, STM32_SIM_UIO_POOL, "dma-pool", "devicetree",
					 &pool, 1, 0);
	}
	sim->ctrl[0].uio = STM32_SIM_UIO_DMA1;
	sim->ctrl[1].uio = STM32_SIM_UIO_DMA2;
	for (unsigned ci = 0; ci < 2; ci++) {
		for (unsigned n = 0; n < STM32_DMA_NR_STREAMS; n++) {
			sim->ctrl[ci].s[n].fcr = STM32_DMA_SxFCR_RESET & ~STM32_DMA_SxFCR_FS;
			sim->ctrl[ci].lines[n].uio = -1;
		}
	}
	if (r == 0)
		r = add_region(sim, STM32_SIM_POOL_BASE, pool_size,
			       uio_fake_map_mem(sim->fake, STM32_SIM_UIO_POOL, 0), true);
	if (r == 0)
		r = add_region(sim, STM32H7_AXISRAM_BASE, STM32_SIM_AXI_SIZE, NULL, true);
	if (r == 0)
		r = add_region(sim, STM32H7_ITCM_BASE, STM32H7_ITCM_SIZE, NULL, false);
	if (r == 0)
		r = add_region(sim, STM32H7_DTCM_BASE, STM32H7_DTCM_SIZE, NULL, false);
	if (r < 0) {
		stm32_sim_free(sim);
		return r;
	}
	*ret_sim = sim;
	return 0;
}

void stm32_sim_free(struct stm32_sim *sim)
{
	if (!sim)
		return;
	for (unsigned i = 0; i < sim->nr_regions; i++)
		if (sim->regions[i].owned)
			free(sim->regions[i].mem);
	for (unsigned i = 0; i < STM32_SIM_NR_LINES; i++)
		free(sim->fifos[i].data);
	uio_fake_free(sim->fake);
	free(sim);
}

const struct uio_env *stm32_sim_env(struct stm32_sim *sim)
{
	return &sim->env;
}

struct uio_fake *stm32_sim_fake(struct stm32_sim *sim)
{
	return sim->fake;
}

void *stm32_sim_phys(struct stm32_sim *sim, uint64_t addr, size_t len)
{
	struct sim_region *r = region_of(sim, addr, len);

	return r ? r->mem + (addr - r->base) : NULL;
}

int stm32_sim_bus_error(struct stm32_sim *sim, uint64_t base, uint64_t len, unsigned kinds)
{
	for (unsigned i = 0; i < SIM_MAX_ERRS; i++) {
		if (!sim->errs[i].len) {
			sim->errs[i] = (struct sim_err){ base, len, kinds };
			return 0;
		}
	}
	return -ENOSPC;
}

void stm32_sim_clear_bus_errors(struct stm32_sim *sim)
{
	memset(sim->errs, 0, sizeof(sim->errs));
}

void stm32_sim_fail_next(struct stm32_sim *sim, unsigned kind)
{
	sim->fail_next = kind;
}

static struct sim_stream *stream_of(struct stm32_sim *sim, unsigned ci, unsigned n)
{
	return ci < 2 && n < STM32_DMA_NR_STREAMS ? &sim->ctrl[ci].s[n] : NULL;
}

int stm32_sim_stall(struct stm32_sim *sim, unsigned ci, unsigned n, bool stall)
{
	struct sim_stream *s = stream_of(sim, ci, n);

	if (!s)
		return -EINVAL;
	s->stall = stall;
	return 0;
}

int stm32_sim_stuck(struct stm32_sim *sim, unsigned ci, unsigned n, bool stuck)
{
	struct sim_stream *s = stream_of(sim, ci, n);

	if (!s)
		return -EINVAL;
	s->stuck = stuck;
	return 0;
}

int stm32_sim_inject_flags(struct stm32_sim *sim, unsigned ci, unsigned n, uint32_t flags,
			   bool disable)
{
	struct sim_stream *s = stream_of(sim, ci, n);

	if (!s)
		return -EINVAL;
	set_flags(&sim->ctrl[ci], n, flags & STM32_DMA_FLAGS_ALL);
	if (disable)
		s->active = s->stopping = false;
	update_irq(sim, ci);
	return 0;
}

uint32_t stm32_sim_periph_addr(unsigned line)
{
	return STM32_SIM_PERIPH_BASE + 4u * line;
}

long stm32_sim_periph_push(struct stm32_sim *sim, unsigned line, const void *data, size_t len)
{
	struct sim_fifo *f = line < STM32_SIM_NR_LINES ? fifo_get(sim, line) : NULL;

	return f ? (long)fifo_put(f, data, len) : -EINVAL;
}

long stm32_sim_periph_pop(struct stm32_sim *sim, unsigned line, void *buf, size_t len)
{
	struct sim_fifo *f = line < STM32_SIM_NR_LINES ? fifo_get(sim, line) : NULL;

	return f ? (long)fifo_take(f, buf, len) : -EINVAL;
}

int stm32_sim_periph_last(struct stm32_sim *sim, unsigned line, size_t bytes)
{
	struct sim_fifo *f = line < STM32_SIM_NR_LINES ? fifo_get(sim, line) : NULL;

	if (!f)
		return -EINVAL;
	if (!bytes) {
		f->nr_last = 0;
		return 0;
	}
	if (f->nr_last == sizeof(f->last_left) / sizeof(f->last_left[0]))
		return -ENOSPC;
	f->last_left[f->nr_last++] = bytes;
	return 0;
}

long stm32_sim_periph_level(struct stm32_sim *sim, unsigned line)
{
	struct sim_fifo *f = line < STM32_SIM_NR_LINES ? fifo_get(sim, line) : NULL;

	return f ? (long)f->lvl : -EINVAL;
}

uint32_t stm32_sim_peek(struct stm32_sim *sim, enum stm32_sim_block block, uint32_t off)
{
	if (block == STM32_SIM_DMAMUX1)
		return mux_read(sim, off);
	return dma_read(sim, (unsigned)block, off, false);
}

unsigned stm32_sim_irqs(struct stm32_sim *sim, unsigned ci)
{
	return ci < 2 ? sim->ctrl[ci].irqs : 0;
}

unsigned stm32_sim_starts(struct stm32_sim *sim, unsigned ci, unsigned n)
{
	struct sim_stream *s = stream_of(sim, ci, n);

	return s ? s->starts : 0;
}

uint32_t stm32_sim_last_ndtr(struct stm32_sim *sim, unsigned ci, unsigned n)
{
	struct sim_stream *s = stream_of(sim, ci, n);

	return s ? s->last_ndtr : 0;
}

uint32_t stm32_sim_last_cr(struct stm32_sim *sim, unsigned ci, unsigned n)
{
	struct sim_stream *s = stream_of(sim, ci, n);

	return s ? s->last_cr : 0;
}

unsigned stm32_sim_refused(struct stm32_sim *sim, unsigned ci, unsigned n)
{
	struct sim_stream *s = stream_of(sim, ci, n);

	return s ? s->refused : 0;
}

unsigned stm32_sim_violations(struct stm32_sim *sim, const char **ret_last)
{
	if (ret_last)
		*ret_last = sim->violations ? sim->violation : NULL;
	return sim->violations;
}

int stm32_sim_mux_signal(struct stm32_sim *sim, unsigned id, bool level)
{
	if (id < 3 || id >= STM32_DMAMUX_NR_SYNC)
		return -EINVAL;
	if (sim->mux_sig[id] != level) {
		sim->mux_sig[id] = level;
		mux_signal_edge(sim, id, level);
	}
	return 0;
}

unsigned stm32_sim_mux_events(struct stm32_sim *sim, unsigned ch)
{
	return ch < STM32_DMAMUX_NR_CHANNELS ? sim->mux_events[ch] : 0;
}

long stm32_sim_mux_gen_pending(struct stm32_sim *sim, unsigned gen)
{
	return gen < STM32_DMAMUX_NR_REQGEN ? (long)sim->gen_left[gen] : -EINVAL;
}

bool stm32_sim_mux_irq(struct stm32_sim *sim)
{
	for (unsigned ch = 0; ch < STM32_DMAMUX_NR_CHANNELS; ch++)
		if ((sim->mux_csr & STM32_DMAMUX_CSR_SOF(ch)) &&
		    (sim->mux_ccr[ch] & STM32_DMAMUX_CxCR_SOIE))
			return true;
	for (unsigned g = 0; g < STM32_DMAMUX_NR_REQGEN; g++)
		if ((sim->mux_rgsr & STM32_DMAMUX_RGSR_OF(g)) &&
		    (sim->mux_rgcr[g] & STM32_DMAMUX_RGxCR_OIE))
			return true;
	return false;
}

int stm32_sim_mem_busy(struct stm32_sim *sim, unsigned ci, unsigned n, unsigned slots)
{
	struct sim_stream *s = stream_of(sim, ci, n);

	if (!s)
		return -EINVAL;
	s->mem_busy = slots;
	return 0;
}
