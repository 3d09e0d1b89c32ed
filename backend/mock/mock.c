/* SPDX-License-Identifier: MIT */
/*
 * The mock DMA controller (mock.h): ops, descriptors, the worker thread,
 * the loopback FIFOs and fault injection.
 *
 * Locking. The loop thread alone changes what a channel runs (cur, gen,
 * paused, the timing of cur), under md->lock, so it reads those without
 * the lock. The worker takes md->lock to pick a chunk (and to check pause,
 * stall and terminate between chunks) and to hand its result over; it
 * copies memory to memory without it, flagging the channel busy meanwhile.
 * A chunk's result counts only if the channel's generation (bumped when a
 * descriptor starts or is stopped) has not changed. tx_status reads the
 * published progress (an atomic) and takes no lock; pause and
 * synchronize wait until the channel is not busy, which is at most one
 * chunk's copy. FIFO moves stay under the lock: they share the FIFO with
 * mock_fifo_push/pop and are at most one chunk.
 *
 * The hand-off. A loopback pair (a cyclic writer and a cyclic reader on
 * one line) always has work, so the worker may go from FIFO chunk to FIFO
 * chunk without ever sleeping. Unlocking and relocking between chunks
 * would not let the loop in: glibc's mutex is not fair, and the worker
 * relocks before a woken waiter runs. So every other thread takes the
 * lock through mock_lock() and waits on its conditions through
 * mock_wait(), both counted in md->loop_want (an atomic the worker reads
 * without the lock), and the worker, between any two chunks,
 * (worker_yield) sleeps on md->handoff while someone wants the lock and
 * has not had it since; mock_unlock() and mock_wait() wake it. The worker
 * therefore keeps the lock from the loop for at most one chunk (at most
 * chunk_size bytes, and a FIFO holds at most fifo_size). This keeps FIFO
 * state under one lock, where a FIFO lock of its own would add a lock
 * order and still need the same hand-off for md->lock. It cannot
 * deadlock: the loop waits only for busy to clear (wait_not_busy), which
 * the worker does before it yields, and the worker's wait ends as soon as
 * the loop has had the lock once. Channels of one controller share the
 * worker round robin, a chunk each (pick_chunk), so a loopback pair
 * delays another channel's chunk by at most two chunks.
 *
 * Also under md->lock: the FIFOs, and who uses each line (line_users,
 * each channel's lines; see chan_lines_in_use).
 *
 * Small copies. A memory-to-memory copy of at most one chunk with no
 * timing model, fault, stall or copy hook in its way is done by the loop
 * itself when it starts (mock_copy_inline(), md->lock held): waking the
 * worker and being woken back would cost two thread switches for a copy
 * of a few microseconds. Its completion still goes through the
 * completion queue.
 *
 * Lock order: md->lock, then the completion queue's lock (dma_cq_post
 * under md->lock); never the other way (dma_cq_drain runs handlers
 * without its lock).
 */
#include "mock.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dmaengine/cookie.h"
#include "dmaengine/dma_cq.h"
#include "dmaengine/virt_dma.h"
#include "util/log.h"

#define MOCK_FIFO_BASE 0x40000000ull
#define MOCK_FIFO_STRIDE 0x100ull

struct mock_desc {
	struct virt_dma_desc vd;
	enum dma_transfer_direction dir;
	bool cyclic;
	dma_sg_t *dst; /* memory written (MEM_TO_MEM, DEV_TO_MEM) */
	unsigned dst_n;
	dma_sg_t *src; /* memory read (MEM_TO_MEM, MEM_TO_DEV) */
	unsigned src_n;
	dma_sg_t dst1, src1; /* inline single entries */
	size_t len;	     /* bytes (cyclic: the whole buffer) */
	size_t period_len;
	int line;
};

struct mock_fifo {
	unsigned char *data;
	size_t head, level;
};

struct mock_device;

struct mock_chan {
	struct virt_dma_chan vc;
	struct mock_device *md;
	struct dma_slave_config cfg;
	struct dma_cq_entry cq;
	/* Shared with the worker, under md->lock (see the top). */
	struct mock_desc *cur;
	uint64_t gen;		/* bumped when cur starts or stops */
	bool busy;		/* the worker is copying a chunk of cur */
	bool fifo_wait;		/* its FIFO was full / empty: wait for the
				 * far side (mock_fifo_push / pop) */
	bool paused, stalled, done, fail_this;
	enum dmaengine_tx_result result;
	/* mock_chan_fail_nth(): transfers this channel started, and the
	 * count at which one fails (0: none), with what */
	unsigned started, fail_at;
	enum dmaengine_tx_result fail_result;
	size_t pos;		/* offset in cur (cyclic: in the buffer) */
	uint64_t total;		/* bytes moved since cur started */
	uint64_t start_ns;
	uint64_t latency_ns, bytes_per_sec;
	_Atomic size_t progress; /* bytes of cur done, for tx_status */
	unsigned periods;	 /* cyclic periods not yet reported */
	uint64_t lines;		 /* request lines it uses (chan_update_lines) */
};

struct mock_device {
	struct dma_device dev;
	struct mock_config cfg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t worker;
	pthread_cond_t idle;	/* a channel stopped being busy */
	/* The hand-off (see the top): threads other than the worker that
	 * want md->lock or wait on one of its conditions, and how often
	 * one of them got it; the worker waits on @handoff meanwhile. */
	atomic_uint loop_want;
	uint64_t handoffs;
	pthread_cond_t handoff;
	bool worker_started, stop;
	unsigned next_chan;	/* round robin */
	_Atomic uint64_t worker_chunks;	/* mock_worker_chunks() */
	unsigned started, fail_at;
	void (*copy_hook)(void *data);
	void *copy_hook_data;
	enum dmaengine_tx_result fail_result;
	struct mock_fifo fifos[MOCK_MAX_LINES];
	uint32_t line_users[MOCK_MAX_LINES]; /* a bit per channel using it */
	struct mock_chan chans[MOCK_MAX_CHANNELS];
};

static struct mock_chan *to_mock_chan(struct dma_chan *chan)
{
	return container_of(to_virt_chan(chan), struct mock_chan, vc);
}

static struct mock_desc *to_mock_desc(struct virt_dma_desc *vd)
{
	return container_of(vd, struct mock_desc, vd);
}

static struct mock_device *to_mock_device(struct dma_device *dev)
{
	return container_of(dev, struct mock_device, dev);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* md->lock from the loop side, and the worker's hand-off (see the top) */

/* Take md->lock on any thread but the worker's. */
static void mock_lock(struct mock_device *md)
{
	atomic_fetch_add(&md->loop_want, 1);
	pthread_mutex_lock(&md->lock);
	atomic_fetch_sub(&md->loop_want, 1);
	md->handoffs++;
}

static void mock_unlock(struct mock_device *md)
{
	/* A worker in worker_yield() may go on once we are out. */
	pthread_cond_signal(&md->handoff);
	pthread_mutex_unlock(&md->lock);
}

/* Wait on @cond (md->lock held, not the worker): counted as wanting the
 * lock, so that the worker, having signalled @cond, lets us back in. */
static void mock_wait(struct mock_device *md, pthread_cond_t *cond)
{
	pthread_cond_signal(&md->handoff);
	atomic_fetch_add(&md->loop_want, 1);
	pthread_cond_wait(cond, &md->lock);
	atomic_fetch_sub(&md->loop_want, 1);
	md->handoffs++;
}

/*
 * The worker, md->lock held, between two chunks: if another thread wants
 * the lock, wait until it has had it. A mutex alone would not do: glibc's
 * is not fair, and a worker relocking at once can keep a woken waiter out
 * for ever.
 */
static void worker_yield(struct mock_device *md)
{
	uint64_t seen = md->handoffs;

	while (atomic_load(&md->loop_want) && md->handoffs == seen)
		pthread_cond_wait(&md->handoff, &md->lock);
}

/* ------------------------------------------------------------------ */
/* Loopback FIFOs (md->lock held) */

static size_t fifo_write(struct mock_device *md, struct mock_fifo *f,
			 const unsigned char *p, size_t len)
{
	size_t size = md->cfg.fifo_size, n = 0;

	while (n < len && f->level < size) {
		size_t tail = (f->head + f->level) % size;
		size_t run = size - tail;

		if (run > size - f->level)
			run = size - f->level;
		if (run > len - n)
			run = len - n;
		memcpy(f->data + tail, p + n, run);
		f->level += run;
		n += run;
	}
	return n;
}

static size_t fifo_read(struct mock_device *md, struct mock_fifo *f,
			unsigned char *p, size_t len)
{
	size_t size = md->cfg.fifo_size, n = 0;

	while (n < len && f->level > 0) {
		size_t run = size - f->head;

		if (run > f->level)
			run = f->level;
		if (run > len - n)
			run = len - n;
		memcpy(p + n, f->data + f->head, run);
		f->head = (f->head + run) % size;
		f->level -= run;
		n += run;
	}
	return n;
}

/*
 * Who may read a FIFO. A line's bytes belong to the channels using it: a
 * channel uses line L while L is its configured request line or a
 * transfer of it not yet finished (prepared, queued or running) is on L.
 * When the last of them stops using L (released, reconfigured to another
 * line with its transfers on L over, or its last transfer on L over after
 * such a change) the FIFO forgets its contents, so that a later user of
 * L, another client perhaps, never reads what an earlier one wrote. The
 * far side (mock_fifo_push/pop) is no channel and changes nothing here.
 * No channel waits on a FIFO that is forgotten (fifo_wait): a waiting
 * channel's running transfer is on that line, so the line is in use.
 */
static uint64_t chan_lines_in_use(struct mock_chan *c)
{
	const struct vd_list *lists[] = {
		&c->vc.desc_allocated, &c->vc.desc_submitted, &c->vc.desc_issued,
	};
	int line = c->vc.chan.request_line;
	struct virt_dma_desc *vd;
	uint64_t m = 0;

	if (line >= 0 && (unsigned)line < c->md->cfg.nr_request_lines)
		m |= 1ull << line;
	if (c->cur && c->cur->line >= 0)
		m |= 1ull << c->cur->line;
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		TAILQ_FOREACH(vd, lists[i], node)
			if (to_mock_desc(vd)->line >= 0)
				m |= 1ull << to_mock_desc(vd)->line;
	return m;
}

/* Record that @c now uses @lines (md->lock held); forget the FIFO of each
 * line it was the last to use. */
static void chan_set_lines(struct mock_chan *c, uint64_t lines)
{
	struct mock_device *md = c->md;
	uint32_t bit = 1u << (c - md->chans);

	for (unsigned l = 0; l < md->cfg.nr_request_lines; l++) {
		if (lines >> l & 1) {
			md->line_users[l] |= bit;
		} else if (c->lines >> l & 1) {
			md->line_users[l] &= ~bit;
			if (!md->line_users[l]) {
				struct mock_fifo *f = &md->fifos[l];

				memset(f->data, 0, md->cfg.fifo_size);
				f->head = f->level = 0;
			}
		}
	}
	c->lines = lines;
}

static void chan_update_lines(struct mock_chan *c)
{
	chan_set_lines(c, chan_lines_in_use(c));
}

/* The far side moved data: channels waiting on a FIFO try again. */
static void fifo_kick(struct mock_device *md)
{
	for (unsigned i = 0; i < md->cfg.nr_channels; i++)
		md->chans[i].fifo_wait = false;
	pthread_cond_signal(&md->cond);
}

/* ------------------------------------------------------------------ */
/* The worker */

/* The address of byte @pos of the scatter list, and the bytes left in its
 * entry. */
static unsigned char *sg_at(const dma_sg_t *sg, unsigned n, size_t pos,
			    size_t *ret_run)
{
	for (unsigned i = 0; i < n; i++) {
		if (pos < sg[i].length) {
			*ret_run = sg[i].length - pos;
			return (unsigned char *)(uintptr_t)sg[i].dma_addr + pos;
		}
		pos -= sg[i].length;
	}
	*ret_run = 0;
	return NULL;
}

/*
 * Move up to @max bytes of @d at @pos. Returns the bytes moved (0 when a
 * FIFO blocks). A FIFO transfer needs md->lock; memory to memory does not.
 */
static size_t chunk_move(struct mock_device *md, struct mock_desc *d,
			 size_t pos, size_t max)
{
	struct mock_fifo *f = d->line >= 0 ? &md->fifos[d->line] : NULL;
	size_t done = 0;

	while (done < max) {
		size_t run_a, run_b, n;
		unsigned char *a, *b;

		switch (d->dir) {
		case DMA_MEM_TO_MEM:
			a = sg_at(d->dst, d->dst_n, pos + done, &run_a);
			b = sg_at(d->src, d->src_n, pos + done, &run_b);
			if (!a || !b)
				return done;
			n = run_a < run_b ? run_a : run_b;
			if (n > max - done)
				n = max - done;
			memcpy(a, b, n);
			break;
		case DMA_MEM_TO_DEV:
			b = sg_at(d->src, d->src_n, pos + done, &run_b);
			if (!b)
				return done;
			n = fifo_write(md, f, b, run_b < max - done ? run_b : max - done);
			if (!n)
				return done;
			break;
		default: /* DMA_DEV_TO_MEM */
			a = sg_at(d->dst, d->dst_n, pos + done, &run_a);
			if (!a)
				return done;
			n = fifo_read(md, f, a, run_a < max - done ? run_a : max - done);
			if (!n)
				return done;
			break;
		}
		done += n;
	}
	return done;
}

/*
 * floor(a * b / c) for c > 0, exact whenever the result fits in 64 bits,
 * without a 128-bit type (32-bit targets have none): a * b / c =
 * (a / c) * b + (a % c) * b / c, the second term by binary long
 * multiplication keeping its remainder below c.
 */
static uint64_t mul_div_u64(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t q = a / c * b, r = a % c, qr = 0, rr = 0;
	int i;

	for (i = 63; i >= 0; i--) {
		qr <<= 1;			/* (qr, rr) *= 2 */
		if (rr >= c - rr) {
			rr -= c - rr;
			qr++;
		} else {
			rr += rr;
		}
		if (b >> i & 1) {		/* (qr, rr) += r */
			if (rr >= c - r) {
				rr -= c - r;
				qr++;
			} else {
				rr += r;
			}
		}
	}
	return q + qr;
}

/* A chunk the worker moves: what, from where, how much, for which
 * generation of its channel. */
struct chunk {
	struct mock_chan *c;
	struct mock_desc *d;
	uint64_t gen;
	size_t pos, max;
};

/*
 * Look at channel @c (md->lock held): fail its transfer now, or return
 * true and *ret a chunk to move. Lowers *next_ns to the time it next wants
 * to run when the timing model holds it back. A rate-limited transfer
 * waits until a whole chunk (or the rest of its period) is due, so the
 * worker sleeps between chunks rather than spinning on the lock.
 */
static bool chan_pick(struct mock_device *md, struct mock_chan *c,
		      uint64_t now, uint64_t *next_ns, struct chunk *ret)
{
	struct mock_desc *d = c->cur;
	size_t max, limit;

	if (!d || c->done || c->paused || c->stalled || c->fifo_wait)
		return false;
	if (c->fail_this) {
		/* Fail before touching memory: nothing is corrupted. The
		 * result was set when it started. */
		c->done = true;
		dma_cq_post(&c->cq);
		return false;
	}
	if (now < c->start_ns + c->latency_ns) {
		if (c->start_ns + c->latency_ns < *next_ns)
			*next_ns = c->start_ns + c->latency_ns;
		return false;
	}
	limit = d->cyclic ? d->period_len - c->pos % d->period_len : d->len - c->pos;
	max = md->cfg.chunk_size < limit ? md->cfg.chunk_size : limit;
	if (c->bytes_per_sec) {
		uint64_t elapsed = now - c->start_ns - c->latency_ns;
		uint64_t allowed = mul_div_u64(elapsed, c->bytes_per_sec,
					       1000000000ull);

		if (allowed < c->total + max) {
			uint64_t t = c->start_ns + c->latency_ns +
				     mul_div_u64(c->total + max, 1000000000ull,
						 c->bytes_per_sec);

			if (t < *next_ns)
				*next_ns = t;
			return false;
		}
	}
	*ret = (struct chunk){ .c = c, .d = d, .gen = c->gen, .pos = c->pos,
			       .max = max };
	return true;
}

/* Hand over @moved bytes of @k (md->lock held), unless cur was stopped or
 * replaced meanwhile. */
static void chunk_done(struct chunk *k, size_t moved)
{
	struct mock_chan *c = k->c;
	struct mock_desc *d = c->cur;

	if (!moved || !d || c->gen != k->gen)
		return;
	c->pos += moved;
	c->total += moved;
	atomic_store(&c->progress, c->pos);
	if (d->cyclic) {
		if (c->pos % d->period_len == 0) {
			if (c->pos == d->len)
				c->pos = 0;
			c->periods++;
			dma_cq_post(&c->cq);
		}
	} else if (c->pos == d->len) {
		c->result = DMA_TRANS_NOERROR;
		c->done = true;
		dma_cq_post(&c->cq);
	}
}

/* The next chunk to move, round robin over the channels (md->lock held). */
static bool pick_chunk(struct mock_device *md, uint64_t *next_ns,
		       struct chunk *ret)
{
	uint64_t now = mono_ns();
	unsigned n = md->cfg.nr_channels;

	for (unsigned i = 0; i < n; i++) {
		unsigned id = (md->next_chan + i) % n;

		if (chan_pick(md, &md->chans[id], now, next_ns, ret)) {
			md->next_chan = (id + 1) % n;
			return true;
		}
	}
	return false;
}

static void *mock_worker(void *arg)
{
	struct mock_device *md = arg;

	pthread_mutex_lock(&md->lock);
	for (;;) {
		uint64_t next_ns = UINT64_MAX;
		void (*hook)(void *data);
		void *hook_data;
		struct chunk k;
		size_t moved;

		/* After every chunk: the lock is never kept from the loop
		 * for longer than one chunk. */
		worker_yield(md);
		if (md->stop)
			break;
		if (pick_chunk(md, &next_ns, &k)) {
			struct mock_chan *c = k.c;

			if (k.d->dir != DMA_MEM_TO_MEM) {
				/* FIFO state is shared: under the lock. */
				moved = chunk_move(md, k.d, k.pos, k.max);
				if (moved)
					fifo_kick(md); /* a loopback peer */
				c->fifo_wait = !moved;
				chunk_done(&k, moved);
				atomic_fetch_add(&md->worker_chunks, 1);
				continue;
			}
			/* The loop may stop or replace cur meanwhile, but k.d
			 * stays out of the pool until synchronize, which
			 * waits for !busy. */
			c->busy = true;
			hook = md->copy_hook;
			hook_data = md->copy_hook_data;
			pthread_mutex_unlock(&md->lock);
			if (hook)
				hook(hook_data);
			moved = chunk_move(md, k.d, k.pos, k.max);
			pthread_mutex_lock(&md->lock);
			c->busy = false;
			pthread_cond_broadcast(&md->idle);
			chunk_done(&k, moved);
			atomic_fetch_add(&md->worker_chunks, 1);
			continue;
		}
		if (next_ns == UINT64_MAX) {
			pthread_cond_wait(&md->cond, &md->lock);
		} else {
			struct timespec ts = {
				.tv_sec = (time_t)(next_ns / 1000000000ull),
				.tv_nsec = (long)(next_ns % 1000000000ull),
			};

			pthread_cond_timedwait(&md->cond, &md->lock, &ts);
		}
	}
	pthread_mutex_unlock(&md->lock);
	return NULL;
}

/* Wait until the worker is not copying for @c (md->lock held): at most one
 * chunk's memcpy. */
static void wait_not_busy(struct mock_chan *c)
{
	while (c->busy)
		mock_wait(c->md, &c->md->idle);
}

/* ------------------------------------------------------------------ */
/* Loop side: starting and completing (md->lock held) */

/*
 * A memory-to-memory copy that fits in one worker step, with no timing
 * model, fault, pause, stall or copy hook in the way, is done here on the
 * loop (md->lock held): a chunk's memcpy costs less than waking the
 * worker and being woken back by it. Its completion still goes through
 * the completion queue, as the worker's would (never from inside
 * issue_pending). Returns whether it is done.
 */
static bool mock_copy_inline(struct mock_chan *c)
{
	struct mock_device *md = c->md;
	struct mock_desc *d = c->cur;
	size_t moved;

	if (d->dir != DMA_MEM_TO_MEM || d->len > md->cfg.chunk_size ||
	    c->latency_ns || c->bytes_per_sec || c->fail_this || c->paused ||
	    c->stalled || md->copy_hook)
		return false;
	moved = chunk_move(md, d, 0, d->len);
	chunk_done(&(struct chunk){ .c = c, .d = d, .gen = c->gen, .max = d->len },
		   moved);
	/* Short (its lists ended early): the worker sees to the rest. */
	return c->done;
}

static void mock_start_next(struct mock_chan *c)
{
	struct mock_device *md = c->md;
	struct virt_dma_desc *vd;

	if (c->cur)
		return;
	vd = vchan_next_desc(&c->vc);
	if (!vd)
		return;
	vchan_desc_take(vd);
	c->cur = to_mock_desc(vd);
	c->gen++;
	c->fifo_wait = false;
	c->pos = 0;
	c->total = 0;
	c->done = false;
	c->periods = 0;
	c->start_ns = mono_ns();
	c->latency_ns = md->cfg.latency_ns;
	c->bytes_per_sec = md->cfg.bytes_per_sec;
	atomic_store(&c->progress, 0);
	md->started++;
	c->started++;
	c->fail_this = false;
	if (md->fail_at && md->started == md->fail_at) {
		c->fail_this = true;
		c->result = md->fail_result;
		md->fail_at = 0;
	}
	if (c->fail_at && c->started == c->fail_at) {
		c->fail_this = true;
		c->result = c->fail_result;
		c->fail_at = 0;
	}
	if (!mock_copy_inline(c))
		pthread_cond_signal(&md->cond);
}

/* The completion-queue handler: report periods and completion. */
static void mock_chan_cq(struct dma_cq_entry *e)
{
	struct mock_chan *c = container_of(e, struct mock_chan, cq);
	struct mock_device *md = c->md;

	mock_lock(md);
	if (c->cur && c->cur->cyclic) {
		vchan_cyclic_callbacks(&c->cur->vd, c->periods);
		c->periods = 0;
	}
	if (c->cur && c->done) {
		struct mock_desc *d = c->cur;
		struct dmaengine_result res = {
			.result = c->result,
			.residue = (uint32_t)(d->len - c->pos),
		};

		c->cur = NULL;
		c->done = false;
		vchan_cookie_complete(&d->vd, &res);
		mock_start_next(c);
		chan_update_lines(c);
	}
	mock_unlock(md);
}

/* ------------------------------------------------------------------ */
/* Ops */

static void mock_desc_free(struct virt_dma_desc *vd)
{
	struct mock_desc *d = to_mock_desc(vd);

	if (d->dst && d->dst != &d->dst1)
		free(d->dst);
	if (d->src && d->src != &d->src1)
		free(d->src);
	d->dst = d->src = NULL;
}

static int mock_alloc_chan_resources(struct dma_chan *chan)
{
	struct mock_chan *c = to_mock_chan(chan);
	int r;

	r = vchan_pool_alloc(&c->vc, c->md->cfg.nr_descs, sizeof(struct mock_desc),
			     offsetof(struct mock_desc, vd));
	if (r < 0)
		return r;
	dma_cookie_init(chan);
	memset(&c->cfg, 0, sizeof(c->cfg));
	return r;
}

static void mock_stop_cur(struct mock_chan *c)
{
	if (c->cur) {
		vchan_terminate_vdesc(&c->cur->vd);
		c->cur = NULL;
		c->gen++;
	}
	c->done = false;
	c->paused = false;
	c->periods = 0;
	c->fail_this = false;
}

static void mock_free_chan_resources(struct dma_chan *chan)
{
	struct mock_chan *c = to_mock_chan(chan);

	mock_lock(c->md);
	mock_stop_cur(c);
	wait_not_busy(c);
	chan_set_lines(c, 0);
	mock_unlock(c->md);
	dma_cq_cancel(&c->cq);
	vchan_free_chan_resources(&c->vc);
	vchan_pool_free(&c->vc);
}

static struct mock_desc *desc_get(struct mock_chan *c)
{
	struct virt_dma_desc *vd = vchan_desc_get(&c->vc);

	return vd ? to_mock_desc(vd) : NULL;
}

static int prep_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		       size_t len, unsigned long flags,
		       struct dma_async_tx_descriptor **ret_tx)
{
	struct mock_chan *c = to_mock_chan(chan);
	struct mock_desc *d;

	if (!dst || !src)
		return -EINVAL;
	d = desc_get(c);
	if (!d)
		return -EBUSY;
	d->dir = DMA_MEM_TO_MEM;
	d->dst1 = (dma_sg_t){ .dma_addr = dst, .length = len };
	d->src1 = (dma_sg_t){ .dma_addr = src, .length = len };
	d->dst = &d->dst1;
	d->src = &d->src1;
	d->dst_n = d->src_n = 1;
	d->len = len;
	d->line = -1;
	*ret_tx = vchan_tx_prep(&c->vc, &d->vd, flags);
	return 0;
}

static dma_sg_t *sg_dup(const dma_sg_t *sg, unsigned n, dma_sg_t *inline1)
{
	dma_sg_t *copy;

	if (n == 1) {
		*inline1 = sg[0];
		return inline1;
	}
	copy = malloc(n * sizeof(*copy));
	if (copy)
		memcpy(copy, sg, n * sizeof(*copy));
	return copy;
}

static bool sg_ok(const dma_sg_t *sg, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!sg[i].dma_addr || !sg[i].length)
			return false;
	return true;
}

static int prep_memcpy_sg(struct dma_chan *chan, const dma_sg_t *dst_sg,
			  unsigned dst_nents, const dma_sg_t *src_sg,
			  unsigned src_nents, unsigned long flags,
			  struct dma_async_tx_descriptor **ret_tx)
{
	struct mock_chan *c = to_mock_chan(chan);
	struct mock_desc *d;
	size_t len = 0;

	if (!sg_ok(dst_sg, dst_nents) || !sg_ok(src_sg, src_nents))
		return -EINVAL;
	for (unsigned i = 0; i < dst_nents; i++)
		len += dst_sg[i].length;
	d = desc_get(c);
	if (!d)
		return -EBUSY;
	d->dir = DMA_MEM_TO_MEM;
	d->line = -1;
	d->len = len;
	d->dst = sg_dup(dst_sg, dst_nents, &d->dst1);
	d->src = sg_dup(src_sg, src_nents, &d->src1);
	d->dst_n = dst_nents;
	d->src_n = src_nents;
	if (!d->dst || !d->src) {
		/* Not prepared: back to the pool through the allocated list. */
		vchan_tx_prep(&c->vc, &d->vd, flags);
		d->vd.tx.desc_free(&d->vd.tx);
		return -ENOMEM;
	}
	*ret_tx = vchan_tx_prep(&c->vc, &d->vd, flags);
	return 0;
}

/* @c has prepared a transfer on @line. */
static void chan_use_line(struct mock_chan *c, int line)
{
	mock_lock(c->md);
	chan_set_lines(c, c->lines | 1ull << line);
	mock_unlock(c->md);
}

/* The request line a slave transfer uses, after checking the config. */
static int slave_line(struct mock_chan *c, enum dma_transfer_direction dir)
{
	struct mock_device *md = c->md;
	int line = c->vc.chan.request_line;
	dma_addr_t addr;

	if (dir != DMA_MEM_TO_DEV && dir != DMA_DEV_TO_MEM)
		return -EINVAL;
	if (line < 0 || (unsigned)line >= md->cfg.nr_request_lines)
		return -EINVAL;
	addr = dir == DMA_MEM_TO_DEV ? c->cfg.dst_addr : c->cfg.src_addr;
	if (addr && addr != mock_fifo_addr(md, (unsigned)line))
		return -EINVAL;
	return line;
}

static int prep_slave_sg(struct dma_chan *chan, const dma_sg_t *sgl,
			 unsigned sg_len, enum dma_transfer_direction dir,
			 unsigned long flags,
			 struct dma_async_tx_descriptor **ret_tx)
{
	struct mock_chan *c = to_mock_chan(chan);
	struct mock_desc *d;
	dma_sg_t *copy;
	size_t len = 0;
	int line = slave_line(c, dir);

	if (line < 0)
		return line;
	if (!sg_ok(sgl, sg_len))
		return -EINVAL;
	for (unsigned i = 0; i < sg_len; i++)
		len += sgl[i].length;
	d = desc_get(c);
	if (!d)
		return -EBUSY;
	d->dir = dir;
	d->line = line;
	d->len = len;
	copy = sg_dup(sgl, sg_len, dir == DMA_MEM_TO_DEV ? &d->src1 : &d->dst1);
	if (dir == DMA_MEM_TO_DEV) {
		d->src = copy;
		d->src_n = sg_len;
	} else {
		d->dst = copy;
		d->dst_n = sg_len;
	}
	if (!copy) {
		vchan_tx_prep(&c->vc, &d->vd, flags);
		d->vd.tx.desc_free(&d->vd.tx);
		return -ENOMEM;
	}
	*ret_tx = vchan_tx_prep(&c->vc, &d->vd, flags);
	chan_use_line(c, line);
	return 0;
}

static int prep_cyclic(struct dma_chan *chan, dma_addr_t buf, size_t buf_len,
		       size_t period_len, enum dma_transfer_direction dir,
		       unsigned long flags, struct dma_async_tx_descriptor **ret_tx)
{
	struct mock_chan *c = to_mock_chan(chan);
	struct mock_desc *d;
	int line = slave_line(c, dir);

	if (line < 0)
		return line;
	if (!buf)
		return -EINVAL;
	d = desc_get(c);
	if (!d)
		return -EBUSY;
	d->dir = dir;
	d->line = line;
	d->len = buf_len;
	d->period_len = period_len;
	d->cyclic = true;
	if (dir == DMA_MEM_TO_DEV) {
		d->src1 = (dma_sg_t){ .dma_addr = buf, .length = buf_len };
		d->src = &d->src1;
		d->src_n = 1;
	} else {
		d->dst1 = (dma_sg_t){ .dma_addr = buf, .length = buf_len };
		d->dst = &d->dst1;
		d->dst_n = 1;
	}
	*ret_tx = vchan_tx_prep(&c->vc, &d->vd, flags);
	chan_use_line(c, line);
	return 0;
}

static bool width_ok(enum dma_slave_buswidth w)
{
	return w == DMA_SLAVE_BUSWIDTH_UNDEFINED || w == 1 || w == 2 || w == 4 ||
	       w == 8;
}

static int mock_config_op(struct dma_chan *chan, const struct dma_slave_config *cfg)
{
	struct mock_chan *c = to_mock_chan(chan);

	if (!width_ok(cfg->src_addr_width) || !width_ok(cfg->dst_addr_width))
		return -EINVAL;
	c->cfg = *cfg;
	/* The core has set the request line: leaving one may forget it. */
	mock_lock(c->md);
	chan_update_lines(c);
	mock_unlock(c->md);
	return 0;
}

static int mock_pause(struct dma_chan *chan)
{
	struct mock_chan *c = to_mock_chan(chan);
	int r = 0;

	mock_lock(c->md);
	if (!c->cur || c->done || c->paused) {
		r = -EPERM;
	} else {
		/* Let the chunk in flight land: paused means no progress. */
		c->paused = true;
		wait_not_busy(c);
	}
	mock_unlock(c->md);
	return r;
}

static int mock_resume(struct dma_chan *chan)
{
	struct mock_chan *c = to_mock_chan(chan);
	int r = 0;

	mock_lock(c->md);
	if (!c->paused) {
		r = -EPERM;
	} else {
		c->paused = false;
		pthread_cond_signal(&c->md->cond);
	}
	mock_unlock(c->md);
	return r;
}

static int mock_terminate_all(struct dma_chan *chan)
{
	struct mock_chan *c = to_mock_chan(chan);

	mock_lock(c->md);
	mock_stop_cur(c);
	vchan_terminate_all(&c->vc);
	chan_update_lines(c);
	mock_unlock(c->md);
	return 0;
}

static void mock_synchronize(struct dma_chan *chan)
{
	struct mock_chan *c = to_mock_chan(chan);

	/* Once the worker is not busy for @c it has let go of every
	 * terminated descriptor: the next chunk it picks is of cur. */
	mock_lock(c->md);
	wait_not_busy(c);
	mock_unlock(c->md);
	vchan_synchronize(&c->vc);
}

static enum dma_status mock_tx_status(struct dma_chan *chan, dma_cookie_t cookie,
				      struct dma_tx_state *state)
{
	struct mock_chan *c = to_mock_chan(chan);
	enum dma_status status = dma_cookie_status(chan, cookie, state);
	struct virt_dma_desc *vd;
	size_t residue = 0;

	if (status == DMA_COMPLETE)
		return status;
	/* No lock: cur and paused change on this thread only, progress is
	 * published atomically (see the top). */
	if (c->cur && c->cur->vd.tx.cookie == cookie) {
		residue = c->cur->len - atomic_load(&c->progress);
		if (c->paused)
			status = DMA_PAUSED;
	} else if ((vd = vchan_find_desc(&c->vc, cookie))) {
		residue = to_mock_desc(vd)->len;
	}
	dma_set_residue(state, (uint32_t)residue);
	return status;
}

static void mock_issue_pending(struct dma_chan *chan)
{
	struct mock_chan *c = to_mock_chan(chan);

	mock_lock(c->md);
	if (vchan_issue_pending(&c->vc))
		mock_start_next(c);
	mock_unlock(c->md);
}

static int mock_reset(struct dma_chan *chan)
{
	struct mock_chan *c = to_mock_chan(chan);

	mock_lock(c->md);
	c->stalled = false;
	/* The worker may be asleep with nothing else to do. */
	pthread_cond_signal(&c->md->cond);
	mock_unlock(c->md);
	return 0;
}

static void mock_release(struct dma_device *dev)
{
	struct mock_device *md = to_mock_device(dev);

	mock_lock(md);
	md->stop = true;
	pthread_cond_signal(&md->cond);
	mock_unlock(md);
	if (md->worker_started)
		pthread_join(md->worker, NULL);
	for (unsigned i = 0; i < md->cfg.nr_channels; i++)
		dma_cq_cancel(&md->chans[i].cq);
	for (unsigned i = 0; i < md->cfg.nr_request_lines; i++)
		free(md->fifos[i].data);
	pthread_cond_destroy(&md->handoff);
	pthread_cond_destroy(&md->idle);
	pthread_cond_destroy(&md->cond);
	pthread_mutex_destroy(&md->lock);
	free(md);
}

static const struct dma_device_ops mock_ops = {
	.device_alloc_chan_resources = mock_alloc_chan_resources,
	.device_free_chan_resources = mock_free_chan_resources,
	.device_prep_dma_memcpy = prep_memcpy,
	.device_prep_dma_memcpy_sg = prep_memcpy_sg,
	.device_prep_slave_sg = prep_slave_sg,
	.device_prep_dma_cyclic = prep_cyclic,
	.device_config = mock_config_op,
	.device_pause = mock_pause,
	.device_resume = mock_resume,
	.device_terminate_all = mock_terminate_all,
	.device_synchronize = mock_synchronize,
	.device_tx_status = mock_tx_status,
	.device_issue_pending = mock_issue_pending,
	.device_release = mock_release,
	.device_reset = mock_reset,
};

/* ------------------------------------------------------------------ */
/* Creation and control */

void mock_config_default(struct mock_config *cfg)
{
	*cfg = (struct mock_config){
		.name = "mock0",
		.nr_channels = 4,
		.caps = MOCK_CAP_MEMCPY | MOCK_CAP_SLAVE | MOCK_CAP_CYCLIC,
		.nr_request_lines = 8,
		.fifo_size = 4096,
		.nr_descs = 64,
		.chunk_size = 16384,
		.fail_result = DMA_TRANS_READ_FAILED,
	};
}

static bool fail_result_ok(enum dmaengine_tx_result r)
{
	return r == DMA_TRANS_READ_FAILED || r == DMA_TRANS_WRITE_FAILED;
}

int mock_device_create(const struct mock_config *cfg, struct mock_device **ret_md)
{
	pthread_condattr_t ca;
	struct mock_device *md;
	sigset_t all, old;
	int r;

	if (!cfg || !ret_md || !cfg->name[0] ||
	    !memchr(cfg->name, '\0', sizeof(cfg->name)) ||
	    cfg->nr_channels < 1 || cfg->nr_channels > MOCK_MAX_CHANNELS ||
	    cfg->nr_request_lines < 1 || cfg->nr_request_lines > MOCK_MAX_LINES ||
	    cfg->fifo_size < 1 || cfg->nr_descs < 1 || cfg->chunk_size < 1 ||
	    !fail_result_ok(cfg->fail_result))
		return -EINVAL;
	md = calloc(1, sizeof(*md));
	if (!md)
		return -ENOMEM;
	md->cfg = *cfg;
	md->fail_at = cfg->fail_nth;
	md->fail_result = cfg->fail_result;
	pthread_mutex_init(&md->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&md->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&md->idle, NULL);
	pthread_cond_init(&md->handoff, NULL);

	dma_device_init(&md->dev);
	memcpy(md->dev.name, cfg->name, sizeof(md->dev.name));
	md->dev.ops = &mock_ops;
	if (cfg->caps & MOCK_CAP_MEMCPY)
		dma_cap_set(DMA_MEMCPY, &md->dev.cap_mask);
	if (cfg->caps & MOCK_CAP_SLAVE)
		dma_cap_set(DMA_SLAVE, &md->dev.cap_mask);
	if (cfg->caps & MOCK_CAP_CYCLIC)
		dma_cap_set(DMA_CYCLIC, &md->dev.cap_mask);
	if (cfg->caps & MOCK_CAP_PRIVATE)
		dma_cap_set(DMA_PRIVATE, &md->dev.cap_mask);
	md->dev.src_addr_widths = md->dev.dst_addr_widths =
		(1u << 1) | (1u << 2) | (1u << 4) | (1u << 8);
	md->dev.directions = 1u << DMA_MEM_TO_MEM;
	if (cfg->caps & (MOCK_CAP_SLAVE | MOCK_CAP_CYCLIC))
		md->dev.directions |= (1u << DMA_MEM_TO_DEV) | (1u << DMA_DEV_TO_MEM);
	md->dev.min_burst = 1;
	md->dev.max_burst = 16;
	md->dev.residue_granularity = DMA_RESIDUE_GRANULARITY_BURST;

	for (unsigned i = 0; i < cfg->nr_request_lines; i++) {
		md->fifos[i].data = malloc(cfg->fifo_size);
		if (!md->fifos[i].data) {
			r = -ENOMEM;
			goto fail;
		}
	}
	for (unsigned i = 0; i < cfg->nr_channels; i++) {
		struct mock_chan *c = &md->chans[i];

		c->md = md;
		c->vc.desc_free = mock_desc_free;
		c->stalled = (cfg->stall_mask >> i) & 1u;
		dma_cq_entry_init(&c->cq, mock_chan_cq);
		vchan_init(&c->vc, &md->dev);
	}
	/* The worker takes no signal: they are the loop thread's (the
	 * daemon's uv_signal handles, and the moment it ignores them at
	 * stop; daemon/loop.c). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&md->worker, NULL, mock_worker, md);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		r = -EAGAIN;
		goto fail;
	}
	md->worker_started = true;
	r = dma_async_device_register(&md->dev);
	if (r < 0)
		goto fail;
	*ret_md = md;
	return 0;

fail:
	mock_release(&md->dev);
	return r;
}

void mock_device_remove(struct mock_device *md)
{
	if (md)
		dma_async_device_unregister(&md->dev);
}

struct dma_device *mock_dma_device(struct mock_device *md)
{
	return md ? &md->dev : NULL;
}

struct dma_chan *mock_chan(struct mock_device *md, unsigned chan_id)
{
	if (!md || chan_id >= md->cfg.nr_channels)
		return NULL;
	return &md->chans[chan_id].vc.chan;
}

int mock_chan_fail_nth(struct mock_device *md, unsigned chan_id, unsigned n,
		       enum dmaengine_tx_result result)
{
	struct mock_chan *c;

	if (!md || chan_id >= md->cfg.nr_channels ||
	    (n && !fail_result_ok(result)))
		return -EINVAL;
	c = &md->chans[chan_id];
	mock_lock(md);
	c->fail_at = n ? c->started + n : 0;
	c->fail_result = result;
	mock_unlock(md);
	return 0;
}

int mock_fail_nth(struct mock_device *md, unsigned n,
		  enum dmaengine_tx_result result)
{
	if (!md || (n && !fail_result_ok(result)))
		return -EINVAL;
	mock_lock(md);
	md->fail_at = n ? md->started + n : 0;
	md->fail_result = result;
	mock_unlock(md);
	return 0;
}

int mock_stall(struct mock_device *md, unsigned chan_id, bool stall)
{
	if (!md || chan_id >= md->cfg.nr_channels)
		return -EINVAL;
	mock_lock(md);
	md->chans[chan_id].stalled = stall;
	pthread_cond_signal(&md->cond);
	mock_unlock(md);
	return 0;
}

int mock_set_timing(struct mock_device *md, uint64_t latency_ns,
		    uint64_t bytes_per_sec)
{
	if (!md)
		return -EINVAL;
	mock_lock(md);
	md->cfg.latency_ns = latency_ns;
	md->cfg.bytes_per_sec = bytes_per_sec;
	mock_unlock(md);
	return 0;
}

int mock_set_copy_hook(struct mock_device *md, void (*hook)(void *data),
		       void *data)
{
	if (!md)
		return -EINVAL;
	mock_lock(md);
	md->copy_hook = hook;
	md->copy_hook_data = data;
	mock_unlock(md);
	return 0;
}

dma_addr_t mock_fifo_addr(struct mock_device *md, unsigned line)
{
	if (!md || line >= md->cfg.nr_request_lines)
		return 0;
	return MOCK_FIFO_BASE + line * MOCK_FIFO_STRIDE;
}

long mock_fifo_push(struct mock_device *md, unsigned line, const void *data,
		    size_t len)
{
	size_t n;

	if (!md || line >= md->cfg.nr_request_lines || (!data && len))
		return -EINVAL;
	mock_lock(md);
	n = fifo_write(md, &md->fifos[line], data, len);
	fifo_kick(md);
	mock_unlock(md);
	return (long)n;
}

long mock_fifo_pop(struct mock_device *md, unsigned line, void *buf, size_t len)
{
	size_t n;

	if (!md || line >= md->cfg.nr_request_lines || (!buf && len))
		return -EINVAL;
	mock_lock(md);
	n = fifo_read(md, &md->fifos[line], buf, len);
	fifo_kick(md);
	mock_unlock(md);
	return (long)n;
}

uint64_t mock_worker_chunks(struct mock_device *md)
{
	return md ? atomic_load(&md->worker_chunks) : 0;
}

long mock_fifo_level(struct mock_device *md, unsigned line)
{
	long n;

	if (!md || line >= md->cfg.nr_request_lines)
		return -EINVAL;
	mock_lock(md);
	n = (long)md->fifos[line].level;
	mock_unlock(md);
	return n;
}
