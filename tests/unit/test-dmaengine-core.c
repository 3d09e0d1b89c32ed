/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the dmaengine core itself (daemon/dmaengine), with a
 * minimal fake backend whose ops only count calls: registration rules,
 * channel names and ids, lazy channel resources, the public channel table,
 * requests, the name map, notifiers, wrapper errors, cookies and the
 * completion queue.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dmaengine/cookie.h"
#include "dmaengine/dma_cq.h"
#include "dmaengine/dmaengine.h"
#include "util/log.h"

struct fake_dev {
	struct dma_device dev;
	struct dma_chan chans[4];
	unsigned alloc_calls, free_calls, release_calls;
	int alloc_err;
};

static struct fake_dev *fake_of(struct dma_device *dev)
{
	return container_of(dev, struct fake_dev, dev);
}

static int fake_alloc(struct dma_chan *chan)
{
	struct fake_dev *f = fake_of(chan->device);

	f->alloc_calls++;
	return f->alloc_err ? f->alloc_err : 1;
}

static void fake_free(struct dma_chan *chan)
{
	fake_of(chan->device)->free_calls++;
}

static void fake_release(struct dma_device *dev)
{
	fake_of(dev)->release_calls++;
}

static enum dma_status fake_tx_status(struct dma_chan *chan, dma_cookie_t c,
				      struct dma_tx_state *st)
{
	return dma_cookie_status(chan, c, st);
}

static void fake_issue_pending(struct dma_chan *chan)
{
}

static int fake_prep_any(void)
{
	return -EIO;
}

#define FAKE_PREP(name, ...)                         \
	static int name(__VA_ARGS__)                 \
	{                                            \
		return fake_prep_any();              \
	}
FAKE_PREP(p_memcpy, struct dma_chan *c, dma_addr_t d, dma_addr_t s, size_t l,
	  unsigned long f, struct dma_async_tx_descriptor **t)
FAKE_PREP(p_xor, struct dma_chan *c, dma_addr_t d, const dma_addr_t *s,
	  unsigned n, size_t l, unsigned long f, struct dma_async_tx_descriptor **t)
FAKE_PREP(p_xor_val, struct dma_chan *c, const dma_addr_t *s, unsigned n,
	  size_t l, uint32_t *r, unsigned long f, struct dma_async_tx_descriptor **t)
FAKE_PREP(p_pq, struct dma_chan *c, const dma_addr_t *d, const dma_addr_t *s,
	  unsigned n, const unsigned char *scf, size_t l, unsigned long f,
	  struct dma_async_tx_descriptor **t)
FAKE_PREP(p_pq_val, struct dma_chan *c, const dma_addr_t *pq,
	  const dma_addr_t *s, unsigned n, const unsigned char *scf, size_t l,
	  uint32_t *r, unsigned long f, struct dma_async_tx_descriptor **t)
FAKE_PREP(p_memset, struct dma_chan *c, dma_addr_t d, int v, size_t l,
	  unsigned long f, struct dma_async_tx_descriptor **t)
FAKE_PREP(p_interrupt, struct dma_chan *c, unsigned long f,
	  struct dma_async_tx_descriptor **t)
FAKE_PREP(p_cyclic, struct dma_chan *c, dma_addr_t b, size_t bl, size_t pl,
	  enum dma_transfer_direction d, unsigned long f,
	  struct dma_async_tx_descriptor **t)
FAKE_PREP(p_interleave, struct dma_chan *c,
	  const struct dma_interleaved_template *x, unsigned long f,
	  struct dma_async_tx_descriptor **t)

static const struct dma_device_ops fake_ops = {
	.device_alloc_chan_resources = fake_alloc,
	.device_free_chan_resources = fake_free,
	.device_prep_dma_memcpy = p_memcpy,
	.device_prep_dma_xor = p_xor,
	.device_prep_dma_xor_val = p_xor_val,
	.device_prep_dma_pq = p_pq,
	.device_prep_dma_pq_val = p_pq_val,
	.device_prep_dma_memset = p_memset,
	.device_prep_dma_interrupt = p_interrupt,
	.device_prep_dma_cyclic = p_cyclic,
	.device_prep_interleaved_dma = p_interleave,
	.device_tx_status = fake_tx_status,
	.device_issue_pending = fake_issue_pending,
	.device_release = fake_release,
};

static void fake_init(struct fake_dev *f, const char *name, unsigned nchan,
		      const struct dma_device_ops *ops)
{
	memset(f, 0, sizeof(*f));
	dma_device_init(&f->dev);
	snprintf(f->dev.name, sizeof(f->dev.name), "%s", name);
	f->dev.ops = ops;
	dma_cap_set(DMA_MEMCPY, &f->dev.cap_mask);
	for (unsigned i = 0; i < nchan; i++)
		assert_int_equal(dma_device_add_chan(&f->dev, &f->chans[i]), 0);
}

static void fake_register(struct fake_dev *f, const char *name, unsigned nchan)
{
	fake_init(f, name, nchan, &fake_ops);
	assert_int_equal(dma_async_device_register(&f->dev), 0);
}

/* ------------------------------------------------------------------ */

static void register_fails_with_eio_for_each_cap_without_its_op(void **state)
{
	static const struct {
		enum dma_transaction_type cap;
		size_t op;
	} pairs[] = {
#define P(c, o) { c, offsetof(struct dma_device_ops, o) }
		P(DMA_MEMCPY, device_prep_dma_memcpy),
		P(DMA_XOR, device_prep_dma_xor),
		P(DMA_XOR_VAL, device_prep_dma_xor_val),
		P(DMA_PQ, device_prep_dma_pq),
		P(DMA_PQ_VAL, device_prep_dma_pq_val),
		P(DMA_MEMSET, device_prep_dma_memset),
		P(DMA_INTERRUPT, device_prep_dma_interrupt),
		P(DMA_CYCLIC, device_prep_dma_cyclic),
		P(DMA_INTERLEAVE, device_prep_interleaved_dma),
#undef P
	};

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		struct dma_device_ops ops = fake_ops;
		struct fake_dev f;

		memset((char *)&ops + pairs[i].op, 0, sizeof(void (*)(void)));
		fake_init(&f, "bad", 1, &ops);
		dma_cap_set(pairs[i].cap, &f.dev.cap_mask);
		assert_int_equal(dma_async_device_register(&f.dev), -EIO);
		/* The same device without the capability registers. */
		dma_cap_clear(pairs[i].cap, &f.dev.cap_mask);
		if (pairs[i].cap == DMA_MEMCPY)
			continue;
		assert_int_equal(dma_async_device_register(&f.dev), 0);
		dma_async_device_unregister(&f.dev);
		assert_int_equal(f.release_calls, 1);
	}
}

static void register_requires_tx_status_issue_pending_and_channels(void **state)
{
	struct dma_device_ops ops = fake_ops;
	struct fake_dev f;

	ops.device_tx_status = NULL;
	fake_init(&f, "bad", 1, &ops);
	assert_int_equal(dma_async_device_register(&f.dev), -EIO);
	ops = fake_ops;
	ops.device_issue_pending = NULL;
	fake_init(&f, "bad", 1, &ops);
	assert_int_equal(dma_async_device_register(&f.dev), -EIO);
	fake_init(&f, "bad", 0, &fake_ops);
	assert_int_equal(dma_async_device_register(&f.dev), -ENODEV);
	fake_init(&f, "", 1, &fake_ops);
	assert_int_equal(dma_async_device_register(&f.dev), -EINVAL);
	assert_int_equal(dma_async_device_register(NULL), -EINVAL);
	/* A missing device_release is only a debug note. */
	ops = fake_ops;
	ops.device_release = NULL;
	fake_init(&f, "norelease", 1, &ops);
	assert_int_equal(dma_async_device_register(&f.dev), 0);
	dma_async_device_unregister(&f.dev);
}

static void register_refuses_a_duplicate_name_and_double_registration(void **state)
{
	struct fake_dev a, b;

	fake_register(&a, "dup", 1);
	assert_int_equal(dma_async_device_register(&a.dev), -EBUSY);
	fake_init(&b, "dup", 1, &fake_ops);
	assert_int_equal(dma_async_device_register(&b.dev), -EEXIST);
	assert_int_equal(dma_device_add_chan(&a.dev, &a.chans[3]), -EBUSY);
	dma_async_device_unregister(&a.dev);
}

static void channels_are_named_dma_dev_chan_n(void **state)
{
	struct fake_dev a, b, c;

	fake_register(&a, "a", 2);
	fake_register(&b, "b", 3);
	assert_string_equal(dma_chan_name(&a.chans[0]), "dma0chan0");
	assert_string_equal(dma_chan_name(&a.chans[1]), "dma0chan1");
	assert_string_equal(dma_chan_name(&b.chans[2]), "dma1chan2");
	assert_ptr_equal(dma_find_chan_by_name("dma1chan1"), &b.chans[1]);
	assert_null(dma_find_chan_by_name("dma9chan0"));
	assert_ptr_equal(dma_find_device("b"), &b.dev);
	/* A freed id is reused. */
	dma_async_device_unregister(&a.dev);
	fake_register(&c, "c", 1);
	assert_string_equal(dma_chan_name(&c.chans[0]), "dma0chan0");
	dma_async_device_unregister(&b.dev);
	dma_async_device_unregister(&c.dev);
}

static void channel_resources_are_allocated_by_first_client_freed_by_last(void **state)
{
	struct fake_dev f;
	struct dma_chan *chan = NULL;
	dma_cap_mask_t mask;

	fake_register(&f, "lazy", 1);
	assert_int_equal(f.alloc_calls, 0);
	dma_cap_zero(&mask);
	dma_cap_set(DMA_MEMCPY, &mask);
	assert_int_equal(dma_request_channel(&mask, NULL, NULL, &chan), 0);
	assert_int_equal(f.alloc_calls, 1);
	assert_int_equal(chan->client_count, 1);
	dma_release_channel(chan);
	assert_int_equal(f.free_calls, 1);
	assert_int_equal(chan->client_count, 0);
	/* An alloc failure is the request's error, and nothing is held. */
	f.alloc_err = -ENOMEM;
	assert_int_equal(dma_request_channel(&mask, NULL, NULL, &chan), -ENOMEM);
	assert_false(dma_has_cap(DMA_PRIVATE, f.dev.cap_mask));
	dma_async_device_unregister(&f.dev);
	assert_int_equal(f.release_calls, 1);
}

static void public_allocator_takes_every_public_channel(void **state)
{
	struct fake_dev pub, priv;

	fake_register(&pub, "pub", 2);
	fake_init(&priv, "priv", 2, &fake_ops);
	dma_cap_set(DMA_PRIVATE, &priv.dev.cap_mask);
	assert_int_equal(dma_async_device_register(&priv.dev), 0);
	assert_null(dma_find_channel(DMA_MEMCPY));
	dmaengine_get();
	dmaengine_get();
	assert_int_equal(dmaengine_ref_count_get(), 2);
	assert_int_equal(pub.chans[0].client_count, 2);
	assert_int_equal(pub.chans[1].client_count, 2);
	assert_int_equal(priv.chans[0].client_count, 0);
	assert_int_equal(pub.alloc_calls, 2); /* once per channel */
	assert_ptr_equal(dma_find_channel(DMA_MEMCPY), &pub.chans[0]);
	assert_null(dma_find_channel(DMA_SLAVE));
	dmaengine_put();
	assert_int_equal(pub.chans[0].client_count, 1);
	dmaengine_put();
	assert_int_equal(pub.chans[0].client_count, 0);
	assert_int_equal(pub.free_calls, 2);
	assert_null(dma_find_channel(DMA_MEMCPY));
	dma_async_device_unregister(&pub.dev);
	dma_async_device_unregister(&priv.dev);
}

static void table_spreads_capabilities_by_table_count(void **state)
{
	struct fake_dev f, g;

	fake_init(&f, "spread", 2, &fake_ops);
	dma_cap_set(DMA_MEMSET, &f.dev.cap_mask);
	dma_cap_set(DMA_CYCLIC, &f.dev.cap_mask);
	dma_cap_set(DMA_SLAVE, &f.dev.cap_mask);
	assert_int_equal(dma_async_device_register(&f.dev), 0);
	dmaengine_get();
	/* MEMCPY, MEMSET, CYCLIC in order: chan0, chan1, chan0. */
	assert_ptr_equal(dma_find_channel(DMA_MEMCPY), &f.chans[0]);
	assert_ptr_equal(dma_find_channel(DMA_MEMSET), &f.chans[1]);
	assert_ptr_equal(dma_find_channel(DMA_CYCLIC), &f.chans[0]);
	assert_int_equal(f.chans[0].table_count, 2);
	assert_int_equal(f.chans[1].table_count, 1);
	/* A second device arrives while the client is there: rebalanced. */
	fake_register(&g, "spread2", 1);
	assert_int_equal(g.chans[0].client_count, 1);
	assert_int_equal(f.chans[0].table_count + f.chans[1].table_count +
				 g.chans[0].table_count, 3);
	/* g has MEMCPY only, which the first least used channel keeps. */
	assert_int_equal(g.chans[0].table_count, 0);
	/* The first goes: everything lands on the second. */
	dma_async_device_unregister(&f.dev);
	assert_int_equal(f.release_calls, 1);
	assert_ptr_equal(dma_find_channel(DMA_MEMCPY), &g.chans[0]);
	assert_null(dma_find_channel(DMA_CYCLIC));
	dmaengine_put();
	dma_async_device_unregister(&g.dev);
}

static bool filter_second(struct dma_chan *chan, void *param)
{
	return chan->chan_id == *(int *)param;
}

static void request_channel_honours_the_filter_and_exclusivity(void **state)
{
	struct fake_dev f;
	struct dma_chan *c1 = NULL, *c2 = NULL, *c3 = NULL;
	dma_cap_mask_t mask;
	int want = 1;

	fake_register(&f, "filt", 3);
	dma_cap_zero(&mask);
	dma_cap_set(DMA_MEMCPY, &mask);
	assert_int_equal(dma_request_channel(&mask, filter_second, &want, &c1), 0);
	assert_ptr_equal(c1, &f.chans[1]);
	assert_true(dma_has_cap(DMA_PRIVATE, f.dev.cap_mask));
	assert_int_equal(f.dev.privatecnt, 1);
	assert_int_equal(dma_request_channel(&mask, filter_second, &want, &c2),
			 -ENODEV);
	assert_int_equal(dma_get_slave_channel(&f.chans[2]), 0);
	assert_int_equal(f.dev.privatecnt, 2);
	dma_cap_set(DMA_CYCLIC, &mask); /* no device has it */
	assert_int_equal(dma_request_channel(&mask, NULL, NULL, &c3), -ENODEV);
	dma_release_channel(c1);
	dma_release_channel(&f.chans[2]);
	assert_int_equal(f.dev.privatecnt, 0);
	assert_false(dma_has_cap(DMA_PRIVATE, f.dev.cap_mask));
	dma_async_device_unregister(&f.dev);
}

static void request_by_mask_without_devices_is_deferred(void **state)
{
	struct dma_chan *chan = NULL;
	dma_cap_mask_t mask;

	dma_cap_zero(&mask);
	dma_cap_set(DMA_MEMCPY, &mask);
	assert_int_equal(dma_request_chan_by_mask(&mask, &chan), -EAGAIN);
}

static void name_map_maps_consumers_to_channels_and_lines(void **state)
{
	struct dma_slave_map_entry e = {
		.consumer = "uart0", .dma_name = "rx", .controller = "ctl",
		.chan_index = 2, .request_line = 7,
	};
	struct dma_chan *chan = NULL, *any = NULL;
	struct fake_dev f;

	assert_int_equal(dma_slave_map_add(&e), 0);
	assert_int_equal(dma_slave_map_add(&e), -EEXIST);
	e.dma_name = "tx";
	e.chan_index = -1;
	e.request_line = -1;
	assert_int_equal(dma_slave_map_add(&e), 0);
	e.consumer = "";
	assert_int_equal(dma_slave_map_add(&e), -EINVAL);
	assert_int_equal(dma_request_chan("uart0", "rx", &chan), -EAGAIN);
	assert_int_equal(dma_request_chan("uart9", "rx", &chan), -ENODEV);
	fake_register(&f, "ctl", 3);
	assert_int_equal(dma_request_chan("uart0", "rx", &chan), 0);
	assert_ptr_equal(chan, &f.chans[2]);
	assert_int_equal(chan->request_line, 7);
	assert_string_equal(chan->dbg_client_name, "uart0:rx");
	assert_int_equal(dma_request_chan("uart0", "rx", &any), -EBUSY);
	assert_int_equal(dma_request_chan("uart0", "tx", &any), 0);
	assert_ptr_equal(any, &f.chans[0]);
	assert_int_equal(any->request_line, -1);
	dma_release_channel(chan);
	assert_int_equal(f.chans[2].request_line, -1);
	dma_release_channel(any);
	assert_int_equal(dma_slave_map_remove("uart0", "rx"), 0);
	assert_int_equal(dma_slave_map_remove("uart0", "rx"), -ENOENT);
	assert_int_equal(dma_request_chan("uart0", "rx", &chan), -ENODEV);
	/* An index the controller does not have. */
	e = (struct dma_slave_map_entry){ "spi", "rx", "ctl", 9, -1 };
	assert_int_equal(dma_slave_map_add(&e), 0);
	assert_int_equal(dma_request_chan("spi", "rx", &chan), -ENODEV);
	dma_slave_map_clear();
	dma_async_device_unregister(&f.dev);
}

struct note {
	struct dma_notifier n;
	unsigned added, removed;
};

static void note_fn(struct dma_notifier *n, enum dma_notify_event ev,
		    struct dma_device *dev)
{
	struct note *note = container_of(n, struct note, n);

	if (ev == DMA_NOTIFY_DEVICE_ADDED)
		note->added++;
	else
		note->removed++;
}

static void notifiers_hear_devices_come_and_go(void **state)
{
	struct note note = { .n.fn = note_fn };
	struct fake_dev f;

	assert_int_equal(dma_notifier_register(&note.n), 0);
	assert_int_equal(dma_notifier_register(&note.n), -EINVAL);
	fake_register(&f, "n", 1);
	dma_async_device_unregister(&f.dev);
	assert_int_equal(note.added, 1);
	assert_int_equal(note.removed, 1);
	assert_int_equal(dma_notifier_unregister(&note.n), 0);
	assert_int_equal(dma_notifier_unregister(&note.n), -EINVAL);
}

static void removed_device_lives_until_its_last_channel_is_released(void **state)
{
	struct fake_dev f;

	fake_register(&f, "gone", 2);
	assert_int_equal(dma_get_slave_channel(&f.chans[0]), 0);
	dma_async_device_unregister(&f.dev);
	assert_int_equal(f.release_calls, 0);
	assert_null(dma_find_device("gone"));
	assert_int_equal(dmaengine_tx_status(&f.chans[0], 2, NULL), DMA_ERROR);
	dma_release_channel(&f.chans[0]);
	assert_int_equal(f.release_calls, 1);
	assert_int_equal(f.free_calls, 1);
}

static void wrappers_report_missing_ops_as_the_kernel_does(void **state)
{
	struct dma_slave_config cfg = { 0 };
	struct dma_slave_caps caps;
	struct fake_dev f;

	fake_register(&f, "wrap", 1);
	assert_int_equal(dma_get_slave_channel(&f.chans[0]), 0);
	assert_int_equal(dmaengine_slave_config(&f.chans[0], &cfg), -ENOSYS);
	assert_int_equal(dmaengine_pause(&f.chans[0]), -ENOSYS);
	assert_int_equal(dmaengine_resume(&f.chans[0]), -ENOSYS);
	assert_int_equal(dmaengine_terminate_async(&f.chans[0]), -EINVAL);
	assert_int_equal(dma_get_slave_caps(&f.chans[0], &caps), -ENXIO);
	dma_release_channel(&f.chans[0]);
	dma_async_device_unregister(&f.dev);
}

static void cookie_status_follows_dma_async_is_complete(void **state)
{
	/* Not wrapped: done up to 5, used up to 9. */
	assert_int_equal(dma_async_is_complete(5, 5, 9), DMA_COMPLETE);
	assert_int_equal(dma_async_is_complete(6, 5, 9), DMA_IN_PROGRESS);
	assert_int_equal(dma_async_is_complete(9, 5, 9), DMA_IN_PROGRESS);
	assert_int_equal(dma_async_is_complete(10, 5, 9), DMA_COMPLETE);
	/* Wrapped: done up to MAX-1, used up to 2. */
	assert_int_equal(dma_async_is_complete(DMA_MAX_COOKIE, DMA_MAX_COOKIE - 1, 2),
			 DMA_IN_PROGRESS);
	assert_int_equal(dma_async_is_complete(1, DMA_MAX_COOKIE - 1, 2),
			 DMA_IN_PROGRESS);
	assert_int_equal(dma_async_is_complete(3, DMA_MAX_COOKIE - 1, 2),
			 DMA_COMPLETE);
	assert_int_equal(dma_submit_error(-EIO), -EIO);
	assert_int_equal(dma_submit_error(7), 0);
}

static void cookie_assign_starts_at_two_and_wraps_to_one(void **state)
{
	struct dma_chan chan = { 0 };
	struct dma_async_tx_descriptor tx = { .chan = &chan };

	dma_cookie_init(&chan);
	assert_int_equal(dma_cookie_assign(&tx), 2);
	assert_int_equal(dma_cookie_status(&chan, 1, NULL), DMA_COMPLETE);
	assert_int_equal(dma_cookie_status(&chan, 2, NULL), DMA_IN_PROGRESS);
	dma_cookie_complete(&tx);
	assert_int_equal(tx.cookie, 0);
	assert_int_equal(chan.completed_cookie, 2);
	chan.cookie = DMA_MAX_COOKIE;
	assert_int_equal(dma_cookie_assign(&tx), DMA_MIN_COOKIE);
}

/* The completion queue */

static unsigned cq_runs, cq_wakeups;
static pthread_mutex_t cq_test_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cq_test_cond = PTHREAD_COND_INITIALIZER;

static void cq_fn(struct dma_cq_entry *e)
{
	cq_runs++;
}

static void cq_wake(void *data)
{
	pthread_mutex_lock(&cq_test_lock);
	cq_wakeups++;
	pthread_cond_signal(&cq_test_cond);
	pthread_mutex_unlock(&cq_test_lock);
}

static void *cq_poster(void *arg)
{
	dma_cq_post(arg);
	return NULL;
}

static void completion_queue_runs_posts_from_a_thread_on_drain(void **state)
{
	struct dma_cq_entry e, f;
	pthread_t t;
	struct timespec ts;

	cq_runs = cq_wakeups = 0;
	dma_cq_entry_init(&e, cq_fn);
	dma_cq_entry_init(&f, cq_fn);
	dma_cq_set_wakeup(cq_wake, NULL);
	assert_int_equal(pthread_create(&t, NULL, cq_poster, &e), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	pthread_mutex_lock(&cq_test_lock);
	while (!cq_wakeups)
		assert_int_equal(pthread_cond_timedwait(&cq_test_cond,
							&cq_test_lock, &ts), 0);
	pthread_mutex_unlock(&cq_test_lock);
	pthread_join(t, NULL);
	/* A second post of a queued entry is a no-op; another entry is
	 * queued without a second wake-up. */
	dma_cq_post(&e);
	dma_cq_post(&f);
	assert_int_equal(dma_cq_pending(), 2);
	assert_int_equal(cq_wakeups, 1);
	assert_true(dma_cq_cancel(&f));
	assert_false(dma_cq_cancel(&f));
	assert_int_equal(dma_cq_drain(), 1);
	assert_int_equal(cq_runs, 1);
	assert_int_equal(dma_cq_drain(), 0);
	dma_cq_set_wakeup(NULL, NULL);
}

int main(void)
{
	log_set_level(LOG_WARNING);
	const struct CMUnitTest tests[] = {
		model_test(register_fails_with_eio_for_each_cap_without_its_op),
		model_test(register_requires_tx_status_issue_pending_and_channels),
		model_test(register_refuses_a_duplicate_name_and_double_registration),
		model_test(channels_are_named_dma_dev_chan_n),
		model_test(channel_resources_are_allocated_by_first_client_freed_by_last),
		model_test(public_allocator_takes_every_public_channel),
		model_test(table_spreads_capabilities_by_table_count),
		model_test(request_channel_honours_the_filter_and_exclusivity),
		model_test(request_by_mask_without_devices_is_deferred),
		model_test(name_map_maps_consumers_to_channels_and_lines),
		model_test(notifiers_hear_devices_come_and_go),
		model_test(removed_device_lives_until_its_last_channel_is_released),
		model_test(wrappers_report_missing_ops_as_the_kernel_does),
		model_test(cookie_status_follows_dma_async_is_complete),
		model_test(cookie_assign_starts_at_two_and_wraps_to_one),
		model_test(completion_queue_runs_posts_from_a_thread_on_drain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
