/* SPDX-License-Identifier: MIT */
/*
 * The dmaengine conformance suite (dma-conformance.h). Every test names
 * the behaviour it checks. Waiting for the backend is always bounded:
 * run_until() drains the core's completion queue and sleeps on a
 * condition variable the queue's wake-up signals, with a deadline.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dma-conformance.h"
#include "dmaengine/dma_cq.h"
#include "dmaengine/dma_xfer.h"
#include "dmaengine/dmaengine.h"
#include "model/resv.h"
#include "model/sync_file.h"
#include "test-fences.h"

static const struct dma_backend *be;

/* The @i-th request line of the backend's loopback peripherals. */
#define LINE(i) (be->first_line + (unsigned)(i))
static bool device_up;

/* ------------------------------------------------------------------ */
/* Bounded waiting */

static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond;
static unsigned wake_posted;

static void wake(void *data)
{
	pthread_mutex_lock(&wake_lock);
	wake_posted++;
	pthread_cond_signal(&wake_cond);
	pthread_mutex_unlock(&wake_lock);
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef bool (*pred_fn)(void *arg);

/* Drain completions until @done(@arg) or @timeout_ms pass. */
static bool run_until(pred_fn done, void *arg, unsigned timeout_ms)
{
	uint64_t deadline = real_ns() + timeout_ms * 1000000ull;

	for (;;) {
		uint64_t now, until;
		struct timespec ts;

		if (be->poll)
			be->poll();
		dma_cq_drain();
		if (done && done(arg))
			return true;
		now = real_ns();
		if (now >= deadline)
			return false;
		/* Sleep until woken, in slices of at most 5 ms so that
		 * predicates on progress (not completions) are seen. */
		until = now + 5000000ull < deadline ? now + 5000000ull : deadline;
		ts.tv_sec = (time_t)(until / 1000000000ull);
		ts.tv_nsec = (long)(until % 1000000000ull);
		pthread_mutex_lock(&wake_lock);
		if (!wake_posted)
			pthread_cond_timedwait(&wake_cond, &wake_lock, &ts);
		wake_posted = 0;
		pthread_mutex_unlock(&wake_lock);
	}
}

static bool fence_done(void *arg)
{
	return fence_is_signaled(arg);
}

static void wait_fence(struct fence *f)
{
	assert_non_null(f);
	assert_true(run_until(fence_done, f, 10000));
}

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

static void cb_plain(void *param)
{
	((struct cb_rec *)param)->calls++;
}

struct calls_want {
	const unsigned *calls;
	unsigned want;
};

static bool calls_reached(void *arg)
{
	struct calls_want *w = arg;

	return *w->calls >= w->want;
}

static void wait_calls(const unsigned *calls, unsigned want)
{
	struct calls_want w = { calls, want };

	assert_true(run_until(calls_reached, &w, 10000));
}

/* ------------------------------------------------------------------ */
/* Fixture */

static int conf_setup(void **state)
{
	pthread_condattr_t ca;

	fake_clock_setup(state);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wake_cond, &ca);
	pthread_condattr_destroy(&ca);
	dma_cq_set_wakeup(wake, NULL);
	if (be->setup && be->setup() < 0)
		return -1;
	if (be->device_add() < 0)
		return -1;
	device_up = true;
	return 0;
}

static int conf_teardown(void **state)
{
	if (be->set_rate)
		be->set_rate(0);
	if (device_up)
		be->device_remove();
	device_up = false;
	dma_cq_drain();
	dma_slave_map_clear();
	if (be->teardown)
		be->teardown();
	dma_cq_set_wakeup(NULL, NULL);
	pthread_cond_destroy(&wake_cond);
	return leak_check_teardown(state);
}

static void device_remove(void)
{
	be->device_remove();
	device_up = false;
}

static void device_add(void)
{
	assert_int_equal(be->device_add(), 0);
	device_up = true;
}

static struct dma_chan *get_chan(enum dma_transaction_type cap)
{
	dma_cap_mask_t mask;
	struct dma_chan *chan = NULL;

	dma_cap_zero(&mask);
	dma_cap_set(cap, &mask);
	assert_int_equal(dma_request_chan_by_mask(&mask, &chan), 0);
	assert_non_null(chan);
	return chan;
}

/* A slave channel on @line through the name map, configured for it. */
static struct dma_chan *get_slave_chan(const char *consumer, const char *name,
				       unsigned line)
{
	struct dma_slave_map_entry e = {
		.consumer = consumer,
		.dma_name = name,
		.controller = be->controller,
		.chan_index = -1,
		.request_line = (int)line,
	};
	struct dma_slave_config cfg = {
		.src_addr = be->fifo_addr(line),
		.dst_addr = be->fifo_addr(line),
		.src_addr_width = DMA_SLAVE_BUSWIDTH_1_BYTE,
		.dst_addr_width = DMA_SLAVE_BUSWIDTH_1_BYTE,
		.src_maxburst = 1,
		.dst_maxburst = 1,
	};
	struct dma_chan *chan = NULL;

	assert_int_equal(dma_slave_map_add(&e), 0);
	assert_int_equal(dma_request_chan(consumer, name, &chan), 0);
	assert_int_equal(chan->request_line, (int)line);
	assert_int_equal(dmaengine_slave_config(chan, &cfg), 0);
	return chan;
}

struct tbuf {
	struct dma_buf *buf;
	struct dma_xfer_att *att;
	unsigned char *cpu;
	dma_addr_t dma;
	size_t size;
};

static void tbuf_new(struct tbuf *t, struct dma_chan *chan, size_t size,
		     unsigned char seed)
{
	uint64_t contig;

	t->buf = be->buf_alloc(size);
	assert_non_null(t->buf);
	assert_int_equal(dma_buf_vmap(t->buf, (void **)&t->cpu), 0);
	assert_int_equal(dma_xfer_attach(chan, t->buf, &t->att), 0);
	assert_int_equal(dma_xfer_att_addr(t->att, 0, &t->dma, &contig), 0);
	assert_true(contig >= size);
	t->size = size;
	for (size_t i = 0; i < size; i++)
		t->cpu[i] = (unsigned char)(seed + i * 7 + (i >> 8));
}

static void tbuf_free(struct tbuf *t)
{
	dma_xfer_att_unref(t->att);
	assert_int_equal(dma_buf_vunmap(t->buf, t->cpu), 0);
	dma_buf_unref(t->buf);
}

static dma_cookie_t raw_memcpy(struct dma_chan *chan, dma_addr_t dst,
			       dma_addr_t src, size_t len, struct cb_rec *rec)
{
	struct dma_async_tx_descriptor *tx = NULL;
	dma_cookie_t cookie;

	assert_int_equal(dmaengine_prep_dma_memcpy(chan, dst, src, len,
						   DMA_PREP_INTERRUPT, &tx), 0);
	tx->callback_result = cb_result;
	tx->callback_param = rec;
	cookie = dmaengine_submit(tx);
	assert_true(cookie > 0);
	return cookie;
}

/* A submitted memcpy transfer of @len bytes between offsets. */
static struct dma_xfer *xfer_copy(struct tbuf *dst, uint64_t doff,
				  struct tbuf *src, uint64_t soff, uint64_t len)
{
	struct dma_xfer *x = NULL;

	assert_int_equal(dma_xfer_memcpy(dst->att, doff, src->att, soff, len,
					 0, &x), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	return x;
}

struct residue_arg {
	struct dma_chan *chan;
	dma_cookie_t cookie;
	uint32_t len;
};

static bool residue_moving(void *arg)
{
	struct residue_arg *a = arg;
	struct dma_tx_state st;
	enum dma_status s = dmaengine_tx_status(a->chan, a->cookie, &st);

	return s == DMA_IN_PROGRESS && st.residue > 0 && st.residue < a->len;
}

static bool never(void *arg)
{
	return false;
}

/* ------------------------------------------------------------------ */
/* Cookies and status */

static void cookie_first_assigned_is_two(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct cb_rec rec = { 0 };
	struct tbuf a, b;

	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	assert_int_equal(dmaengine_tx_status(chan, DMA_MIN_COOKIE, NULL),
			 DMA_COMPLETE);
	assert_int_equal(raw_memcpy(chan, b.dma, a.dma, 64, &rec), 2);
	assert_int_equal(raw_memcpy(chan, b.dma, a.dma, 64, &rec), 3);
	dma_async_issue_pending(chan);
	wait_calls(&rec.calls, 2);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

static void cookie_wraps_past_max_to_min(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct cb_rec rec = { 0 };
	dma_cookie_t c1, c2;
	struct tbuf a, b;

	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	chan->cookie = chan->completed_cookie = DMA_MAX_COOKIE - 1;
	c1 = raw_memcpy(chan, b.dma, a.dma, 64, &rec);
	c2 = raw_memcpy(chan, b.dma, a.dma, 64, &rec);
	assert_int_equal(c1, DMA_MAX_COOKIE);
	assert_int_equal(c2, DMA_MIN_COOKIE);
	assert_int_equal(dmaengine_tx_status(chan, c1, NULL), DMA_IN_PROGRESS);
	assert_int_equal(dmaengine_tx_status(chan, c2, NULL), DMA_IN_PROGRESS);
	dma_async_issue_pending(chan);
	wait_calls(&rec.calls, 2);
	assert_int_equal(dmaengine_tx_status(chan, c1, NULL), DMA_COMPLETE);
	assert_int_equal(dmaengine_tx_status(chan, c2, NULL), DMA_COMPLETE);
	assert_int_equal(raw_memcpy(chan, b.dma, a.dma, 64, &rec), 2);
	dma_async_issue_pending(chan);
	wait_calls(&rec.calls, 3);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

static void status_before_and_after_completion(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct cb_rec rec = { 0 };
	struct dma_tx_state st;
	dma_cookie_t c;
	struct tbuf a, b;

	tbuf_new(&a, chan, 8192, 1);
	tbuf_new(&b, chan, 8192, 2);
	c = raw_memcpy(chan, b.dma, a.dma, 5000, &rec);
	assert_int_equal(dmaengine_tx_status(chan, c, &st), DMA_IN_PROGRESS);
	assert_int_equal(st.residue, 5000);
	assert_int_equal(st.used, c);
	assert_int_equal(st.last, c - 1);
	/* A cookie never handed out reads as complete. */
	assert_int_equal(dmaengine_tx_status(chan, c + 100, NULL), DMA_COMPLETE);
	dma_async_issue_pending(chan);
	wait_calls(&rec.calls, 1);
	assert_int_equal(dmaengine_tx_status(chan, c, &st), DMA_COMPLETE);
	assert_int_equal(st.residue, 0);
	assert_int_equal(st.last, c);
	assert_int_equal(st.used, c);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

static void issue_pending_starts_submitted_work_only(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct cb_rec rec = { 0 };
	struct tbuf a, b;
	dma_cookie_t c;

	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	c = raw_memcpy(chan, b.dma, a.dma, 4096, &rec);
	assert_false(run_until(never, NULL, 50));
	assert_int_equal(rec.calls, 0);
	assert_int_equal(dmaengine_tx_status(chan, c, NULL), DMA_IN_PROGRESS);
	assert_int_not_equal(memcmp(a.cpu, b.cpu, 4096), 0);
	dma_async_issue_pending(chan);
	wait_calls(&rec.calls, 1);
	assert_memory_equal(a.cpu, b.cpu, 4096);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

static void completion_callback_reports_result(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct dma_async_tx_descriptor *tx = NULL;
	struct cb_rec rec = { 0 }, plain = { 0 };
	struct tbuf a, b;

	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	raw_memcpy(chan, b.dma, a.dma, 100, &rec);
	/* Without callback_result, the plain callback runs. */
	assert_int_equal(dmaengine_prep_dma_memcpy(chan, b.dma, a.dma, 100,
						   DMA_PREP_INTERRUPT, &tx), 0);
	tx->callback = cb_plain;
	tx->callback_param = &plain;
	assert_true(dmaengine_submit(tx) > 0);
	dma_async_issue_pending(chan);
	wait_calls(&plain.calls, 1);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(rec.last.result, DMA_TRANS_NOERROR);
	assert_int_equal(rec.last.residue, 0);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

static void residue_mid_transfer(void **state)
{
	const uint32_t len = 65536;
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct cb_rec rec = { 0 };
	struct dma_tx_state st;
	struct residue_arg arg;
	struct tbuf a, b;

	tbuf_new(&a, chan, len, 1);
	tbuf_new(&b, chan, len, 2);
	assert_int_equal(be->set_rate(256 * 1024), 0);
	arg.chan = chan;
	arg.len = len;
	arg.cookie = raw_memcpy(chan, b.dma, a.dma, len, &rec);
	dma_async_issue_pending(chan);
	assert_true(run_until(residue_moving, &arg, 10000));
	assert_int_equal(dmaengine_tx_status(chan, arg.cookie, &st),
			 DMA_IN_PROGRESS);
	assert_true(st.residue > 0 && st.residue < len);
	wait_calls(&rec.calls, 1);
	assert_int_equal(dmaengine_tx_status(chan, arg.cookie, &st), DMA_COMPLETE);
	assert_int_equal(st.residue, 0);
	assert_memory_equal(a.cpu, b.cpu, len);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

/* ------------------------------------------------------------------ */
/* Control: terminate, pause, resume */

static void terminate_with_work_queued_aborts_all(void **state)
{
	const size_t len = 65536;
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct cb_rec rec = { 0 }, after = { 0 };
	struct residue_arg arg;
	struct dma_xfer *x;
	dma_cookie_t c[3];
	struct tbuf a, b, d;

	tbuf_new(&a, chan, len, 1);
	tbuf_new(&b, chan, len, 2);
	tbuf_new(&d, chan, len, 3);
	assert_int_equal(be->set_rate(256 * 1024), 0);
	for (int i = 0; i < 3; i++)
		c[i] = raw_memcpy(chan, b.dma, a.dma, len, &rec);
	dma_async_issue_pending(chan);
	x = xfer_copy(&d, 0, &a, 0, len);
	arg = (struct residue_arg){ chan, c[0], (uint32_t)len };
	assert_true(run_until(residue_moving, &arg, 10000));

	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	dma_cq_drain();
	assert_int_equal(rec.calls, 0); /* no callback for aborted work */
	for (int i = 0; i < 3; i++)
		assert_int_equal(dmaengine_tx_status(chan, c[i], NULL), DMA_ERROR);
	assert_true(fence_is_signaled(dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), -ECANCELED);
	assert_int_equal(dma_xfer_status(x, NULL), DMA_ERROR);
	dma_xfer_unref(x);

	/* The channel serves the next request. */
	assert_int_equal(be->set_rate(0), 0);
	raw_memcpy(chan, d.dma, a.dma, len, &after);
	dma_async_issue_pending(chan);
	wait_calls(&after.calls, 1);
	assert_int_equal(after.last.result, DMA_TRANS_NOERROR);
	assert_memory_equal(d.cpu, a.cpu, len);
	tbuf_free(&a);
	tbuf_free(&b);
	tbuf_free(&d);
	dma_release_channel(chan);
}

static void pause_resume(void **state)
{
	const uint32_t len = 65536;
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct cb_rec rec = { 0 };
	struct dma_slave_caps caps;
	struct dma_tx_state st, st2;
	struct residue_arg arg;
	struct tbuf a, b;

	if (dma_get_slave_caps(chan, &caps) == 0 && !caps.cmd_pause) {
		dma_release_channel(chan);
		skip();
	}
	tbuf_new(&a, chan, len, 1);
	tbuf_new(&b, chan, len, 2);
	assert_true(dmaengine_resume(chan) < 0); /* not paused */
	assert_true(dmaengine_pause(chan) < 0);	 /* nothing running */
	assert_int_equal(be->set_rate(256 * 1024), 0);
	arg = (struct residue_arg){ chan, raw_memcpy(chan, b.dma, a.dma, len, &rec),
				    len };
	dma_async_issue_pending(chan);
	assert_true(run_until(residue_moving, &arg, 10000));
	assert_int_equal(dmaengine_pause(chan), 0);
	assert_int_equal(dmaengine_tx_status(chan, arg.cookie, &st), DMA_PAUSED);
	assert_true(st.residue > 0 && st.residue < len);
	/* Really stopped: no progress while paused. */
	assert_false(run_until(never, NULL, 100));
	assert_int_equal(dmaengine_tx_status(chan, arg.cookie, &st2), DMA_PAUSED);
	assert_int_equal(st2.residue, st.residue);
	assert_int_equal(rec.calls, 0);
	assert_int_equal(dmaengine_resume(chan), 0);
	wait_calls(&rec.calls, 1);
	assert_int_equal(rec.last.result, DMA_TRANS_NOERROR);
	assert_memory_equal(a.cpu, b.cpu, len);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

/* ------------------------------------------------------------------ */
/* Channels: table, privacy, deferral, removal */

static bool chan_of_backend(struct dma_chan *chan)
{
	return chan && strcmp(chan->device->name, be->controller) == 0;
}

static void rebalance_after_channels_come_and_go(void **state)
{
	struct dma_device *dev;
	struct dma_chan *chan;
	int sum = 0;

	dmaengine_get();
	if (!be->public_device) {
		/* A private controller never appears in the table. */
		assert_false(chan_of_backend(dma_find_channel(DMA_MEMCPY)));
		dmaengine_put();
		return;
	}
	assert_true(chan_of_backend(dma_find_channel(DMA_MEMCPY)));
	dev = dma_find_device(be->controller);
	TAILQ_FOREACH(chan, &dev->channels, device_node) {
		assert_int_equal(chan->client_count, 1);
		sum += chan->table_count;
	}
	/* One table entry per capability that has one (not SLAVE). */
	for (int cap = 0; cap < DMA_TX_TYPE_END; cap++)
		if (dma_has_cap(cap, dev->cap_mask) && cap != DMA_SLAVE &&
		    cap != DMA_INTERRUPT && cap != DMA_PRIVATE)
			sum--;
	assert_int_equal(sum, 0);

	/* The controller goes: its channels leave the table. */
	device_remove();
	assert_false(chan_of_backend(dma_find_channel(DMA_MEMCPY)));
	/* It comes back while the client is there: taken and tabled. */
	device_add();
	assert_true(chan_of_backend(dma_find_channel(DMA_MEMCPY)));
	chan = dma_find_channel(DMA_MEMCPY);
	assert_int_equal(chan->client_count, 1);
	/* The client goes: the table empties and the channels are free. */
	dmaengine_put();
	assert_null(dma_find_channel(DMA_MEMCPY));
	assert_int_equal(chan->client_count, 0);
}

static void private_channel_is_exclusive(void **state)
{
	struct dma_chan *chans[64], *a, *other = NULL;
	struct dma_slave_map_entry e = {
		.consumer = "dev0", .dma_name = "tx",
		.controller = be->controller, .request_line = -1,
	};
	dma_cap_mask_t mask;
	unsigned n = 0;

	a = get_chan(DMA_MEMCPY);
	assert_true(dma_has_cap(DMA_PRIVATE, a->device->cap_mask));
	assert_int_equal(dma_get_slave_channel(a), -EBUSY);
	e.chan_index = a->chan_id;
	assert_int_equal(dma_slave_map_add(&e), 0);
	assert_int_equal(dma_request_chan("dev0", "tx", &other), -EBUSY);
	/* Every other channel can be had once, and then none. */
	dma_cap_zero(&mask);
	dma_cap_set(DMA_MEMCPY, &mask);
	while (n < 64 && dma_request_channel(&mask, NULL, NULL, &chans[n]) == 0) {
		assert_ptr_not_equal(chans[n], a);
		for (unsigned i = 0; i < n; i++)
			assert_ptr_not_equal(chans[i], chans[n]);
		n++;
	}
	assert_int_equal(dma_request_channel(&mask, NULL, NULL, &other), -ENODEV);
	while (n)
		dma_release_channel(chans[--n]);
	dma_release_channel(a);
	if (be->public_device)
		assert_false(dma_has_cap(DMA_PRIVATE, a->device->cap_mask));
	assert_int_equal(dma_get_slave_channel(a), 0);
	dma_release_channel(a);
}

struct deferred {
	struct dma_notifier n;
	struct dma_chan *chan;
	int result;
	unsigned added;
};

static void deferred_retry(struct dma_notifier *n, enum dma_notify_event ev,
			   struct dma_device *dev)
{
	struct deferred *d = container_of(n, struct deferred, n);

	if (ev != DMA_NOTIFY_DEVICE_ADDED)
		return;
	d->added++;
	d->result = dma_request_chan("uart1", "rx", &d->chan);
}

static void request_deferred_then_succeeds(void **state)
{
	struct dma_slave_map_entry e = {
		.consumer = "uart1", .dma_name = "rx",
		.controller = be->controller, .chan_index = -1,
		.request_line = (int)LINE(2),
	};
	struct deferred d = { .n.fn = deferred_retry, .result = 1 };
	struct dma_chan *chan = NULL;

	device_remove();
	assert_int_equal(dma_slave_map_add(&e), 0);
	assert_int_equal(dma_request_chan("uart1", "rx", &chan), -EAGAIN);
	assert_null(chan);
	assert_int_equal(dma_request_chan("uart1", "nope", &chan), -ENODEV);
	assert_int_equal(dma_notifier_register(&d.n), 0);
	device_add();
	assert_int_equal(d.added, 1);
	assert_int_equal(d.result, 0);
	assert_true(chan_of_backend(d.chan));
	assert_int_equal(d.chan->request_line, (int)LINE(2));
	assert_int_equal(dma_notifier_unregister(&d.n), 0);
	dma_release_channel(d.chan);
}

static void device_removed_fails_pending_and_future_work_with_enodev(void **state)
{
	const size_t len = 65536;
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct dma_async_tx_descriptor *tx = NULL;
	struct dma_slave_config cfg = { 0 };
	struct cb_rec rec = { 0 };
	struct dma_xfer *x, *y = NULL;
	struct tbuf a, b, d;
	dma_cookie_t c;

	tbuf_new(&a, chan, len, 1);
	tbuf_new(&b, chan, len, 2);
	tbuf_new(&d, chan, len, 3);
	assert_int_equal(be->set_rate(256 * 1024), 0);
	c = raw_memcpy(chan, b.dma, a.dma, len, &rec);
	dma_async_issue_pending(chan);
	x = xfer_copy(&d, 0, &a, 0, len);

	device_remove();
	dma_cq_drain();
	assert_int_equal(dma_xfer_result(x), -ENODEV);
	assert_int_equal(rec.calls, 0);
	assert_int_equal(dmaengine_tx_status(chan, c, NULL), DMA_ERROR);
	/* Future work fails too. */
	assert_int_equal(dmaengine_prep_dma_memcpy(chan, b.dma, a.dma, 16, 0, &tx),
			 -ENODEV);
	assert_int_equal(dma_xfer_memcpy(d.att, 0, a.att, 0, 16, 0, &y), -ENODEV);
	assert_int_equal(dmaengine_slave_config(chan, &cfg), -ENODEV);
	assert_int_equal(dmaengine_terminate_sync(chan), -ENODEV);
	assert_int_equal(dma_get_slave_channel(chan), -ENODEV);
	assert_null(dma_find_device(be->controller));
	dma_xfer_unref(x);
	tbuf_free(&a);
	tbuf_free(&b);
	tbuf_free(&d);
	/* The last user lets go: the device is freed (the leak check). */
	dma_release_channel(chan);
}

/* ------------------------------------------------------------------ */
/* Errors and the watchdog */

static void failed_transfer_signals_fence_with_eio(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	unsigned char *orig = malloc(8192);
	struct cb_rec rec = { 0 };
	struct dma_xfer *x;
	dma_cookie_t c;
	struct tbuf a, b;

	assert_non_null(orig);
	tbuf_new(&a, chan, 8192, 1);
	tbuf_new(&b, chan, 8192, 2);
	memcpy(orig, b.cpu, 8192);
	assert_int_equal(be->fail_next(DMA_TRANS_READ_FAILED), 0);
	x = xfer_copy(&b, 0, &a, 0, 8192);
	wait_fence(dma_xfer_fence(x));
	assert_int_equal(dma_xfer_result(x), -EIO);
	assert_memory_equal(b.cpu, orig, 8192); /* nothing corrupted */
	dma_xfer_unref(x);

	assert_int_equal(be->fail_next(DMA_TRANS_WRITE_FAILED), 0);
	c = raw_memcpy(chan, b.dma, a.dma, 8192, &rec);
	dma_async_issue_pending(chan);
	wait_calls(&rec.calls, 1);
	assert_int_equal(rec.last.result, DMA_TRANS_WRITE_FAILED);
	assert_int_equal(dmaengine_tx_status(chan, c, NULL), DMA_ERROR);

	/* The channel still works. */
	x = xfer_copy(&b, 0, &a, 0, 8192);
	wait_fence(dma_xfer_fence(x));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(a.cpu, b.cpu, 8192);
	dma_xfer_unref(x);
	free(orig);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

static void watchdog_times_out_stalled_transfer_and_channel_recovers(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct dma_chan_stats stats;
	struct dma_xfer *x;
	struct tbuf a, b;

	tbuf_new(&a, chan, 8192, 1);
	tbuf_new(&b, chan, 8192, 2);
	assert_int_equal(dma_chan_set_timeout(chan, 100), 0);
	assert_int_equal(be->stall(chan, true), 0);
	x = xfer_copy(&b, 0, &a, 0, 8192);
	assert_false(run_until(never, NULL, 50));
	assert_false(fence_is_signaled(dma_xfer_fence(x)));
	fake_clock_advance(99 * 1000000ull);
	assert_false(fence_is_signaled(dma_xfer_fence(x)));
	fake_clock_advance(2 * 1000000ull);
	assert_true(fence_is_signaled(dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_result(x), -ETIMEDOUT);
	assert_int_equal(dma_chan_get_stats(chan, &stats), 0);
	assert_int_equal(stats.timeouts, 1);
	dma_xfer_unref(x);

	/* Reset: the channel serves the next request. */
	x = xfer_copy(&b, 0, &a, 0, 8192);
	wait_fence(dma_xfer_fence(x));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(a.cpu, b.cpu, 8192);
	dma_xfer_unref(x);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

static void add_fence(struct dma_buf *buf, struct fence *f, enum resv_usage u);

/*
 * The watchdog aborts what hung on the hardware, not a transfer still
 * waiting for its fences: that one holds no descriptor the abort could
 * take back, and starts later, on the reset channel, moving its bytes.
 */
static void watchdog_spares_transfers_waiting_for_their_fences(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct fence *w = test_fence_new(fence_context_alloc(1), 1);
	struct dma_chan_stats stats;
	struct dma_xfer *hung, *waiting;
	struct tbuf a, b, c, d;

	tbuf_new(&a, chan, 8192, 1);
	tbuf_new(&b, chan, 8192, 2);
	tbuf_new(&c, chan, 8192, 3);
	tbuf_new(&d, chan, 8192, 4);
	assert_int_equal(dma_chan_set_timeout(chan, 100), 0);
	assert_int_equal(be->stall(chan, true), 0);
	hung = xfer_copy(&b, 0, &a, 0, 8192);
	add_fence(c.buf, w, RESV_USAGE_WRITE);
	waiting = xfer_copy(&d, 0, &c, 0, 8192);
	assert_false(run_until(never, NULL, 30));
	fake_clock_advance(101 * 1000000ull);
	assert_int_equal(dma_xfer_result(hung), -ETIMEDOUT);
	assert_int_equal(dma_xfer_result(waiting), 0); /* still waiting */
	assert_int_equal(dma_chan_get_stats(chan, &stats), 0);
	assert_int_equal(stats.timeouts, 1);

	test_fence_signal(w, 0);
	wait_fence(dma_xfer_fence(waiting));
	assert_int_equal(dma_xfer_result(waiting), 1);
	assert_memory_equal(d.cpu, c.cpu, 8192);
	dma_xfer_unref(hung);
	dma_xfer_unref(waiting);
	fence_unref(w);
	tbuf_free(&a);
	tbuf_free(&b);
	tbuf_free(&c);
	tbuf_free(&d);
	dma_release_channel(chan);
}

/*
 * Terminate ends the submitted transfers still waiting for their fences
 * with -ECANCELED, and leaves unsubmitted ones without a descriptor to
 * misuse: the descriptors terminate took back go to other users, dropping
 * an unsubmitted transfer gives none of theirs back, and submitting one
 * later runs it.
 */
static void terminate_cancels_waiting_transfers_without_dangling_descriptors(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct fence *w = test_fence_new(fence_context_alloc(1), 1);
	struct dma_async_tx_descriptor **txs = calloc(100000, sizeof(*txs));
	struct dma_xfer *waiting, *later = NULL, *dropped = NULL;
	struct tbuf a, b, c, d;
	unsigned n = 0;

	assert_non_null(txs);
	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	tbuf_new(&c, chan, 4096, 3);
	tbuf_new(&d, chan, 4096, 4);
	add_fence(a.buf, w, RESV_USAGE_WRITE);
	waiting = xfer_copy(&b, 0, &a, 0, 4096);
	assert_int_equal(dma_xfer_memcpy(d.att, 0, c.att, 0, 4096, 0, &later), 0);
	assert_int_equal(dma_xfer_memcpy(d.att, 0, c.att, 0, 4096, 0, &dropped), 0);

	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	assert_true(fence_is_signaled(dma_xfer_fence(waiting)));
	assert_int_equal(dma_xfer_result(waiting), -ECANCELED);

	/* Every descriptor to someone else, then drop a transfer. */
	while (n < 99999 && dmaengine_prep_dma_memcpy(chan, b.dma, a.dma, 8, 0,
						      &txs[n]) == 0)
		n++;
	assert_true(n > 0);
	dma_xfer_unref(dropped);
	while (n)
		assert_int_equal(dmaengine_desc_free(txs[--n]), 0);

	assert_int_equal(dma_xfer_submit(later), 0);
	wait_fence(dma_xfer_fence(later));
	assert_int_equal(dma_xfer_result(later), 1);
	assert_memory_equal(d.cpu, c.cpu, 4096);
	test_fence_signal(w, 0);
	dma_cq_drain();
	dma_xfer_unref(waiting);
	dma_xfer_unref(later);
	fence_unref(w);
	free(txs);
	tbuf_free(&a);
	tbuf_free(&b);
	tbuf_free(&c);
	tbuf_free(&d);
	dma_release_channel(chan);
}

/* Take every descriptor @chan's pool has left; returns how many (the
 * caller gives them back with give_back_descriptors()). */
static unsigned take_every_descriptor(struct dma_chan *chan, struct tbuf *s,
				      struct tbuf *d,
				      struct dma_async_tx_descriptor **txs,
				      unsigned max)
{
	unsigned n = 0;

	while (n < max && dmaengine_prep_dma_memcpy(chan, d->dma, s->dma, 8, 0,
						    &txs[n]) == 0)
		n++;
	return n;
}

static void give_back_descriptors(struct dma_async_tx_descriptor **txs,
				  unsigned n)
{
	while (n)
		assert_int_equal(dmaengine_desc_free(txs[--n]), 0);
}

/*
 * A transfer ready to start while the channel's descriptors are all in
 * use waits at the head of its queue while a transfer of the channel runs,
 * and starts on the descriptor that one gives back.
 */
static void ready_transfer_waits_for_a_descriptor_a_running_one_gives_back(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct dma_async_tx_descriptor **txs = calloc(100000, sizeof(*txs));
	struct dma_xfer *running, *next = NULL;
	struct tbuf a, b, c, d;
	unsigned n;

	assert_non_null(txs);
	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	tbuf_new(&c, chan, 4096, 3);
	tbuf_new(&d, chan, 4096, 4);
	assert_int_equal(be->stall(chan, true), 0);
	running = xfer_copy(&b, 0, &a, 0, 4096);
	/* Prepared (checked) while a descriptor was free; started after
	 * the pool ran dry. */
	assert_int_equal(dma_xfer_memcpy(d.att, 0, c.att, 0, 4096, 0, &next), 0);
	n = take_every_descriptor(chan, &c, &d, txs, 99999);
	assert_int_equal(dma_xfer_submit(next), 0);
	assert_false(run_until(never, NULL, 30));
	assert_int_equal(dma_xfer_result(next), 0); /* waiting, not failed */
	assert_int_equal(dma_xfer_cookie(next), 0);

	assert_int_equal(be->stall(chan, false), 0);
	wait_fence(dma_xfer_fence(running));
	wait_fence(dma_xfer_fence(next));
	assert_int_equal(dma_xfer_result(running), 1);
	assert_int_equal(dma_xfer_result(next), 1);
	assert_memory_equal(b.cpu, a.cpu, 4096);
	assert_memory_equal(d.cpu, c.cpu, 4096);
	give_back_descriptors(txs, n);
	dma_xfer_unref(running);
	dma_xfer_unref(next);
	free(txs);
	tbuf_free(&a);
	tbuf_free(&b);
	tbuf_free(&c);
	tbuf_free(&d);
	dma_release_channel(chan);
}

/* With every descriptor in use and nothing of the channel running, no
 * descriptor will come back: the ready transfer fails with -EBUSY. */
static void ready_transfer_fails_ebusy_when_no_descriptor_can_come_back(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct dma_async_tx_descriptor **txs = calloc(100000, sizeof(*txs));
	struct dma_xfer *x = NULL;
	struct tbuf a, b;
	unsigned n;

	assert_non_null(txs);
	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	assert_int_equal(dma_xfer_memcpy(b.att, 0, a.att, 0, 4096, 0, &x), 0);
	n = take_every_descriptor(chan, &a, &b, txs, 99999);
	assert_true(n > 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_true(run_until(fence_done, dma_xfer_fence(x), 1000));
	assert_int_equal(dma_xfer_result(x), -EBUSY);
	assert_int_equal(b.cpu[0], 2); /* untouched */
	dma_xfer_unref(x);

	/* The descriptors back, the channel serves again. */
	give_back_descriptors(txs, n);
	x = xfer_copy(&b, 0, &a, 0, 4096);
	wait_fence(dma_xfer_fence(x));
	assert_int_equal(dma_xfer_result(x), 1);
	assert_memory_equal(b.cpu, a.cpu, 4096);
	dma_xfer_unref(x);
	free(txs);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

/* ------------------------------------------------------------------ */
/* Data movement */

static void memcpy_moves_the_bytes(void **state)
{
	static const size_t sizes[] = { 1, 3, 64, 4095, 4096, 65536 + 13 };
	static const size_t offs[] = { 0, 1, 7, 4093 };
	const size_t bufsize = 65536 + 13 + 8192;
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	unsigned char *sref = malloc(bufsize), *dref = malloc(bufsize);
	struct tbuf s, d;
	unsigned n = 0;

	assert_non_null(sref);
	assert_non_null(dref);
	tbuf_new(&s, chan, bufsize, 0x80);
	tbuf_new(&d, chan, bufsize, 0x11);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(offs); j++) {
			size_t len = sizes[i], so = offs[j],
			       dof = offs[(j + 1) % ARRAY_SIZE(offs)];
			struct dma_xfer *x;

			for (size_t k = 0; k < bufsize; k++) {
				s.cpu[k] = (unsigned char)(0x80 | (k * 13 + n));
				d.cpu[k] = (unsigned char)(0x7f & (k * 5 + n));
			}
			memcpy(sref, s.cpu, bufsize);
			memcpy(dref, d.cpu, bufsize);
			memcpy(dref + dof, sref + so, len);
			x = xfer_copy(&d, dof, &s, so, len);
			wait_fence(dma_xfer_fence(x));
			assert_int_equal(dma_xfer_result(x), 1);
			/* Copied, nothing over- or under-copied, source intact. */
			assert_memory_equal(d.cpu, dref, bufsize);
			assert_memory_equal(s.cpu, sref, bufsize);
			dma_xfer_unref(x);
			n++;
		}
	}
	free(sref);
	free(dref);
	tbuf_free(&s);
	tbuf_free(&d);
	dma_release_channel(chan);
}

static void memcpy_sg_moves_the_bytes(void **state)
{
	struct dma_chan *chan;
	struct dma_async_tx_descriptor *tx = NULL;
	struct cb_rec rec = { 0 };
	unsigned char expect[8192];
	struct tbuf s, d;

	if (!be->has_memcpy_sg)
		skip();
	chan = get_chan(DMA_MEMCPY);
	tbuf_new(&s, chan, 8192, 0x80);
	tbuf_new(&d, chan, 8192, 0x01);
	dma_sg_t dsg[3] = {
		{ .dma_addr = d.dma + 0, .length = 100 },
		{ .dma_addr = d.dma + 300, .length = 50 },
		{ .dma_addr = d.dma + 1001, .length = 250 },
	};
	dma_sg_t ssg[2] = {
		{ .dma_addr = s.dma + 10, .length = 201 },
		{ .dma_addr = s.dma + 4097, .length = 199 },
	};
	memcpy(expect, d.cpu, sizeof(expect));
	{
		unsigned char flat[400];

		memcpy(flat, s.cpu + 10, 201);
		memcpy(flat + 201, s.cpu + 4097, 199);
		memcpy(expect + 0, flat, 100);
		memcpy(expect + 300, flat + 100, 50);
		memcpy(expect + 1001, flat + 150, 250);
	}
	assert_int_equal(dmaengine_prep_dma_memcpy_sg(chan, dsg, 3, ssg, 2, 0, &tx), 0);
	tx->callback_result = cb_result;
	tx->callback_param = &rec;
	assert_true(dmaengine_submit(tx) > 0);
	dma_async_issue_pending(chan);
	wait_calls(&rec.calls, 1);
	assert_memory_equal(d.cpu, expect, sizeof(expect));
	/* Lists of different total length are refused. */
	ssg[1].length = 1;
	assert_int_equal(dmaengine_prep_dma_memcpy_sg(chan, dsg, 3, ssg, 2, 0, &tx),
			 -EINVAL);
	tbuf_free(&s);
	tbuf_free(&d);
	dma_release_channel(chan);
}

static void slave_round_trip_through_loopback_fifo(void **state)
{
	const size_t len = 10000; /* more than a FIFO holds */
	struct dma_chan *tx_chan = get_slave_chan("uart0", "tx", LINE(3));
	struct dma_chan *rx_chan = get_slave_chan("uart0", "rx", LINE(3));
	struct dma_xfer *tx, *rx;
	struct tbuf a, b;

	assert_ptr_not_equal(tx_chan, rx_chan);
	tbuf_new(&a, tx_chan, len, 0x33);
	tbuf_new(&b, rx_chan, len, 0x44);
	assert_int_equal(dma_xfer_slave(a.att, 0, len, DMA_MEM_TO_DEV, 0, &tx), 0);
	assert_int_equal(dma_xfer_slave(b.att, 0, len, DMA_DEV_TO_MEM, 0, &rx), 0);
	assert_int_equal(dma_xfer_submit(rx), 0);
	assert_int_equal(dma_xfer_submit(tx), 0);
	wait_fence(dma_xfer_fence(tx));
	wait_fence(dma_xfer_fence(rx));
	assert_int_equal(dma_xfer_result(tx), 1);
	assert_int_equal(dma_xfer_result(rx), 1);
	assert_memory_equal(a.cpu, b.cpu, len);
	dma_xfer_unref(tx);
	dma_xfer_unref(rx);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(tx_chan);
	dma_release_channel(rx_chan);
}

static void slave_dev_to_mem_reads_what_the_peripheral_sent(void **state)
{
	struct dma_chan *chan = get_slave_chan("spi0", "rx", LINE(1));
	unsigned char data[300], out[300];
	struct dma_xfer *rx, *tx;
	struct tbuf b;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 3 + 1);
	tbuf_new(&b, chan, 4096, 0);
	assert_int_equal(dma_xfer_slave(b.att, 100, sizeof(data), DMA_DEV_TO_MEM,
					0, &rx), 0);
	assert_int_equal(dma_xfer_submit(rx), 0);
	assert_false(run_until(never, NULL, 30));
	assert_false(fence_is_signaled(dma_xfer_fence(rx))); /* waits for data */
	assert_int_equal(be->fifo_push(LINE(1), data, sizeof(data)), (long)sizeof(data));
	wait_fence(dma_xfer_fence(rx));
	assert_memory_equal(b.cpu + 100, data, sizeof(data));
	dma_xfer_unref(rx);

	/* And the other way: what MEM_TO_DEV writes, the peripheral gets. */
	assert_int_equal(dma_xfer_slave(b.att, 1000, sizeof(out), DMA_MEM_TO_DEV,
					0, &tx), 0);
	assert_int_equal(dma_xfer_submit(tx), 0);
	wait_fence(dma_xfer_fence(tx));
	assert_int_equal(be->fifo_pop(LINE(1), out, sizeof(out)), (long)sizeof(out));
	assert_memory_equal(out, b.cpu + 1000, sizeof(out));
	dma_xfer_unref(tx);
	tbuf_free(&b);
	dma_release_channel(chan);
}

struct period_count {
	unsigned n;
};

static void on_period(struct dma_xfer *x, void *data)
{
	((struct period_count *)data)->n++;
}

static void cyclic_period_callbacks(void **state)
{
	const size_t period = 256, nper = 4;
	struct dma_chan *chan = get_slave_chan("i2s0", "rx", LINE(5));
	unsigned char data[256 * 5];
	struct period_count pc = { 0 };
	struct dma_xfer *x;
	struct tbuf b;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i ^ (i >> 8) ^ 0x5a);
	tbuf_new(&b, chan, 4096, 0);
	assert_int_equal(dma_xfer_cyclic(b.att, 0, period * nper, period,
					 DMA_DEV_TO_MEM, 0, &x), 0);
	assert_int_equal(dma_xfer_set_period_cb(x, on_period, &pc), 0);
	assert_int_equal(dma_xfer_submit(x), 0);
	if (be->late_periods > 1) {
		for (unsigned p = 0; p < nper; p++) {
			assert_int_equal(be->fifo_push(LINE(5), data + p * period, period),
					 (long)period);
			wait_calls(&pc.n, p + 1);
		}
	} else {
		assert_int_equal(be->fifo_push(LINE(5), data, period * nper), (long)(period * nper));
	}
	wait_calls(&pc.n, 4);
	assert_int_equal(dma_xfer_periods(x), 4);
	assert_memory_equal(b.cpu, data, period * nper);
	/* The fifth period wraps to the start of the buffer. */
	assert_int_equal(be->fifo_push(LINE(5), data + period * nper, period), (long)period);
	wait_calls(&pc.n, 5);
	assert_memory_equal(b.cpu, data + period * nper, period);
	assert_false(fence_is_signaled(dma_xfer_fence(x)));
	/* Terminate is how a cyclic transfer ends: no error. */
	assert_int_equal(dmaengine_terminate_sync(chan), 0);
	assert_int_equal(dma_xfer_result(x), 1);
	dma_xfer_unref(x);
	tbuf_free(&b);
	dma_release_channel(chan);
}

/* ------------------------------------------------------------------ */
/* Fences */

static void add_fence(struct dma_buf *buf, struct fence *f, enum resv_usage u)
{
	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(resv_reserve_fences(&buf->resv, 1), 0);
	assert_int_equal(resv_add_fence(&buf->resv, f, u), 0);
	assert_int_equal(resv_unlock(&buf->resv), 0);
}

static void transfer_waits_for_pending_write_fence_on_source(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct fence *w = test_fence_new(fence_context_alloc(1), 1);
	struct dma_tx_state st;
	struct dma_xfer *x;
	struct tbuf a, b;

	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	add_fence(a.buf, w, RESV_USAGE_WRITE);
	x = xfer_copy(&b, 0, &a, 0, 4096);
	assert_false(run_until(never, NULL, 50));
	assert_false(fence_is_signaled(dma_xfer_fence(x)));
	assert_int_equal(dma_xfer_cookie(x), 0); /* not started */
	assert_int_equal(dma_xfer_status(x, &st), DMA_IN_PROGRESS);
	assert_int_equal(st.residue, 4096);
	assert_int_not_equal(memcmp(a.cpu, b.cpu, 4096), 0);
	test_fence_signal(w, 0);
	wait_fence(dma_xfer_fence(x));
	assert_true(dma_xfer_cookie(x) > 0);
	assert_memory_equal(a.cpu, b.cpu, 4096);
	dma_xfer_unref(x);
	fence_unref(w);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

static void transfer_waits_for_readers_of_its_destination(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct fence *r = test_fence_new(fence_context_alloc(1), 1);
	struct dma_xfer *x;
	struct tbuf a, b;

	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	add_fence(b.buf, r, RESV_USAGE_READ);
	/* A reader of the source does not hold the copy back... */
	add_fence(a.buf, r, RESV_USAGE_READ);
	x = xfer_copy(&b, 0, &a, 0, 4096);
	assert_false(run_until(never, NULL, 30));
	/* ...but a reader of the destination does. */
	assert_false(fence_is_signaled(dma_xfer_fence(x)));
	test_fence_signal(r, 0);
	wait_fence(dma_xfer_fence(x));
	assert_memory_equal(a.cpu, b.cpu, 4096);
	dma_xfer_unref(x);
	fence_unref(r);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

static bool resv_has(struct dma_buf *buf, struct fence *f, enum resv_usage u)
{
	struct resv_iter it;
	struct fence *g;

	resv_for_each_fence(&it, &buf->resv, RESV_USAGE_BOOKKEEP, g)
		if (g == f && it.fence_usage == u)
			return true;
	return false;
}

static void transfer_fence_lands_on_destination_and_source_resv(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct dma_xfer *x, *y;
	struct tbuf a, b, c;

	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	tbuf_new(&c, chan, 4096, 3);
	x = xfer_copy(&b, 0, &a, 0, 4096);
	assert_true(resv_has(b.buf, dma_xfer_fence(x), RESV_USAGE_WRITE));
	assert_true(resv_has(a.buf, dma_xfer_fence(x), RESV_USAGE_READ));
	assert_string_equal(fence_driver_name(dma_xfer_fence(x)),
			    DMA_XFER_DRIVER_NAME);
	assert_string_equal(fence_timeline_name(dma_xfer_fence(x)),
			    dma_chan_name(chan));
	/* A copy from b to c is ordered after the first by the resv. */
	y = xfer_copy(&c, 0, &b, 0, 4096);
	wait_fence(dma_xfer_fence(y));
	assert_true(fence_is_signaled(dma_xfer_fence(x)));
	assert_memory_equal(c.cpu, a.cpu, 4096);
	dma_xfer_unref(x);
	dma_xfer_unref(y);
	tbuf_free(&a);
	tbuf_free(&b);
	tbuf_free(&c);
	dma_release_channel(chan);
}

static void exported_sync_file_signals_on_completion(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct sync_file *sf = NULL;
	struct dma_xfer *x;
	struct tbuf a, b;

	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	assert_int_equal(dma_xfer_memcpy(b.att, 0, a.att, 0, 4096, 0, &x), 0);
	assert_int_equal(dma_xfer_export_sync_file(x, &sf), -EINVAL);
	assert_int_equal(dma_xfer_submit(x), 0);
	assert_int_equal(dma_xfer_export_sync_file(x, &sf), 0);
	/* Completion reaches the fence on the loop thread only. */
	assert_int_equal(sync_file_get_status(sf), 0);
	wait_fence(sync_file_fence(sf));
	assert_int_equal(sync_file_get_status(sf), 1);
	assert_memory_equal(a.cpu, b.cpu, 4096);
	sync_file_unref(sf);
	dma_xfer_unref(x);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

/* ------------------------------------------------------------------ */
/* Arguments, caps and resources */

static void slave_caps_reported(void **state)
{
	struct dma_chan *chan = get_slave_chan("uart2", "tx", 0);
	struct dma_slave_caps caps;

	assert_int_equal(dma_get_slave_caps(chan, &caps), 0);
	assert_true(caps.directions & (1u << DMA_MEM_TO_DEV));
	assert_true(caps.directions & (1u << DMA_DEV_TO_MEM));
	assert_true(caps.cmd_terminate);
	assert_true(caps.src_addr_widths & (1u << 1));
	dma_release_channel(chan);
}

static void prep_refuses_bad_arguments(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct dma_async_tx_descriptor *tx = NULL;
	struct dma_xfer *x = NULL;
	struct tbuf a, b;

	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	assert_int_equal(dmaengine_prep_dma_memcpy(chan, b.dma, a.dma, 0, 0, &tx),
			 -EINVAL);
	assert_int_equal(dmaengine_prep_dma_memcpy(chan, b.dma, a.dma, 8, 1ul << 20,
						   &tx), -EINVAL);
	assert_int_equal(dmaengine_prep_dma_cyclic(chan, a.dma, 1000, 300,
						   DMA_DEV_TO_MEM, 0, &tx), -EINVAL);
	assert_int_equal(dma_xfer_memcpy(b.att, 4000, a.att, 0, 200, 0, &x), -EINVAL);
	assert_int_equal(dma_xfer_memcpy(b.att, 0, a.att, 0, 0, 0, &x), -EINVAL);
	assert_int_equal(dma_xfer_memcpy(a.att, 0, a.att, 100, 200, 0, &x), -EINVAL);
	assert_null(x);
	assert_int_equal(dmaengine_submit(NULL), -EINVAL);
	assert_int_equal(dma_chan_set_timeout(NULL, 1), -EINVAL);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
	/* A released channel refuses work. */
	assert_int_equal(dmaengine_prep_dma_memcpy(chan, 1, 2, 8, 0, &tx), -EPERM);
}

static void prep_fails_with_ebusy_when_descriptors_run_out(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct dma_async_tx_descriptor **txs = calloc(100000, sizeof(*txs));
	struct tbuf a, b;
	unsigned n = 0;
	int r;

	assert_non_null(txs);
	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	while ((r = dmaengine_prep_dma_memcpy(chan, b.dma, a.dma, 8, 0,
					      &txs[n])) == 0 && n < 99999)
		n++;
	assert_int_equal(r, -EBUSY);
	assert_true(n > 0);
	while (n)
		assert_int_equal(dmaengine_desc_free(txs[--n]), 0);
	/* Given back: prep works again. */
	assert_int_equal(dmaengine_prep_dma_memcpy(chan, b.dma, a.dma, 8, 0, &txs[0]), 0);
	assert_int_equal(dmaengine_desc_free(txs[0]), 0);
	free(txs);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
}

static void released_channel_aborts_its_transfers(void **state)
{
	struct dma_chan *chan = get_chan(DMA_MEMCPY);
	struct fence *w = test_fence_new(fence_context_alloc(1), 1);
	struct dma_xfer *x;
	struct tbuf a, b;

	tbuf_new(&a, chan, 4096, 1);
	tbuf_new(&b, chan, 4096, 2);
	add_fence(a.buf, w, RESV_USAGE_WRITE);
	x = xfer_copy(&b, 0, &a, 0, 4096);
	tbuf_free(&a);
	tbuf_free(&b);
	dma_release_channel(chan);
	/* Nothing waits forever: the transfer ended with its channel. */
	assert_int_equal(dma_xfer_result(x), -ECANCELED);
	dma_xfer_unref(x);
	test_fence_signal(w, 0);
	fence_unref(w);
}

#define conf_test(fn) cmocka_unit_test_setup_teardown(fn, conf_setup, conf_teardown)

int dma_conformance_run(const struct dma_backend *backend)
{
	const struct CMUnitTest tests[] = {
		conf_test(cookie_first_assigned_is_two),
		conf_test(cookie_wraps_past_max_to_min),
		conf_test(status_before_and_after_completion),
		conf_test(issue_pending_starts_submitted_work_only),
		conf_test(completion_callback_reports_result),
		conf_test(residue_mid_transfer),
		conf_test(terminate_with_work_queued_aborts_all),
		conf_test(pause_resume),
		conf_test(rebalance_after_channels_come_and_go),
		conf_test(private_channel_is_exclusive),
		conf_test(request_deferred_then_succeeds),
		conf_test(device_removed_fails_pending_and_future_work_with_enodev),
		conf_test(failed_transfer_signals_fence_with_eio),
		conf_test(watchdog_times_out_stalled_transfer_and_channel_recovers),
		conf_test(watchdog_spares_transfers_waiting_for_their_fences),
		conf_test(terminate_cancels_waiting_transfers_without_dangling_descriptors),
		conf_test(ready_transfer_waits_for_a_descriptor_a_running_one_gives_back),
		conf_test(ready_transfer_fails_ebusy_when_no_descriptor_can_come_back),
		conf_test(memcpy_moves_the_bytes),
		conf_test(memcpy_sg_moves_the_bytes),
		conf_test(slave_round_trip_through_loopback_fifo),
		conf_test(slave_dev_to_mem_reads_what_the_peripheral_sent),
		conf_test(cyclic_period_callbacks),
		conf_test(transfer_waits_for_pending_write_fence_on_source),
		conf_test(transfer_waits_for_readers_of_its_destination),
		conf_test(transfer_fence_lands_on_destination_and_source_resv),
		conf_test(exported_sync_file_signals_on_completion),
		conf_test(slave_caps_reported),
		conf_test(prep_refuses_bad_arguments),
		conf_test(prep_fails_with_ebusy_when_descriptors_run_out),
		conf_test(released_channel_aborts_its_transfers),
	};
	char name[64];

	be = backend;
	snprintf(name, sizeof(name), "dma-conformance/%s", be->name);
	return _cmocka_run_group_tests(name, tests, ARRAY_SIZE(tests), NULL, NULL);
}
