/* SPDX-License-Identifier: MIT */
/*
 * The dmaengine node (daemon/dev/dmaengine_node.c) on the mock controller,
 * driven in-process through a fake transport: what a terminated transfer
 * may still use (its memory, its callback's argument) is not freed under
 * the controller's feet.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dmabufd/dmaengine.h>
#include <dmabufd/sync_file.h>

#include "backend/mock/mock.h"
#include "dev/dev.h"
#include "dev/dmaengine_node.h"
#include "dev/file.h"
#include "dev/node.h"
#include "dev/node_ops.h"
#include "dev/request.h"
#include "dev/token.h"
#include "dmaengine/dma_cq.h"
#include "dmaengine/virt_dma.h"
#include "model/dma_buf.h"
#include "model/heap.h"
#include "model/heap_system.h"
#include "util/log.h"

/* --- a fake transport: one reply per request, kept ------------------- */

struct fake_req {
	unsigned replies;
	int result;
	unsigned char out[1024];
};

static void fake_reply(void *treq, int result, const void *out, size_t size)
{
	struct fake_req *fr = treq;

	fr->replies++;
	fr->result = result;
	if (size)
		memcpy(fr->out, out, size < sizeof(fr->out) ? size : sizeof(fr->out));
}

static void fake_reply_error(void *treq, int neg_errno)
{
	struct fake_req *fr = treq;

	fr->replies++;
	fr->result = neg_errno;
}

static int fake_set_interrupt(void *treq, struct dev_req *req)
{
	return 0;
}

static void fake_poll(void *ph)
{
}

static const struct dev_transport_ops fake_ops = {
	.name = "fake",
	.reply = fake_reply,
	.reply_error = fake_reply_error,
	.set_interrupt = fake_set_interrupt,
	.poll_notify = fake_poll,
	.poll_destroy = fake_poll,
};

/* Start ioctl @cmd with @in on @file; its reply (now or later) lands in
 * @fr, which must live until then. */
static void start_ioctl(struct dev_file *file, unsigned cmd, const void *in,
			struct fake_req *fr)
{
	size_t size = _IOC_SIZE(cmd);
	struct dev_req *req;

	*fr = (struct fake_req){ 0 };
	req = dev_req_new(&fake_ops, fr, file, cmd,
			  (_IOC_DIR(cmd) & _IOC_WRITE) ? in : NULL,
			  (_IOC_DIR(cmd) & _IOC_WRITE) ? size : 0,
			  (_IOC_DIR(cmd) & _IOC_READ) ? size : 0);
	assert_non_null(req);
	dev_req_dispatch(req);
}

/* Run ioctl @cmd with @in on @file; returns its one reply's result, the
 * output in @out (if not NULL, _IOC_SIZE bytes). */
static int do_ioctl(struct dev_file *file, unsigned cmd, const void *in,
		    void *out)
{
	size_t size = _IOC_SIZE(cmd);
	struct fake_req fr;

	start_ioctl(file, cmd, in, &fr);
	assert_int_equal(fr.replies, 1);
	if (out && fr.result >= 0)
		memcpy(out, fr.out, size);
	return fr.result;
}

/* --- holding the mock worker inside a copy --------------------------- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool inside, release, left;
} hold = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

static void hold_copy(void *data)
{
	pthread_mutex_lock(&hold.lock);
	hold.inside = true;
	pthread_cond_broadcast(&hold.cond);
	while (!hold.release)
		pthread_cond_wait(&hold.cond, &hold.lock);
	hold.inside = false;
	hold.left = true;
	pthread_mutex_unlock(&hold.lock);
}

/* Let the worker go after a while, from a thread of its own (the test's
 * thread may be blocked waiting for the worker). */
static void *release_later(void *arg)
{
	struct timespec t = { .tv_nsec = 300000000 };

	nanosleep(&t, NULL);
	pthread_mutex_lock(&hold.lock);
	hold.release = true;
	pthread_cond_broadcast(&hold.cond);
	pthread_mutex_unlock(&hold.lock);
	return NULL;
}

/* --- fixtures -------------------------------------------------------- */

static struct mock_device *mock;

static struct dev_file *open_node(enum dev_node_type type)
{
	struct dev_file *file = NULL;

	for (unsigned i = 0; i < node_count(); i++)
		if (node_at(i)->type == type)
			assert_int_equal(dev_file_open(node_at(i), &fake_ops,
						       O_RDWR, getpid(), getuid(),
						       getgid(), &file), 0);
	assert_non_null(file);
	return file;
}

static struct dev_file *open_dmaengine(void)
{
	return open_node(DEV_NODE_DMAENGINE);
}

static int node_setup(void **state)
{
	struct mock_config cfg;

	memset(&hold, 0, sizeof(hold));
	pthread_mutex_init(&hold.lock, NULL);
	pthread_cond_init(&hold.cond, NULL);
	dev_restart();
	dev_init(&(struct dev_config){ .max_wait_ns = 5000000000ull });
	assert_int_equal(heap_system_register(16u << 20), 0);
	assert_int_equal(node_registry_build(NULL), 0);
	mock_config_default(&cfg);
	cfg.chunk_size = 4096;
	assert_int_equal(mock_device_create(&cfg, &mock), 0);
	/* The leak check counts from here: the controller and the heap are
	 * the fixture's. */
	return fake_clock_setup(state);
}

static int node_teardown(void **state)
{
	int r;

	dev_shutdown();
	dma_cq_drain();
	r = leak_check_teardown(state);
	mock_device_remove(mock);
	dma_cq_drain();
	node_registry_free();
	heap_system_unregister();
	return r;
}

#define node_test(fn) cmocka_unit_test_setup_teardown(fn, node_setup, node_teardown)

/* A fresh 2-page buffer's token, issued by @owner. */
static uint64_t buffer_token(struct token_owner *owner)
{
	struct heap *heap = heap_find("system"); /* a reference */
	struct dma_buf *buf = NULL;
	__u64 token = 0;

	assert_int_equal(heap_alloc(heap, NULL, 8192, O_RDWR, 0, &buf), 0);
	heap_unref(heap);
	assert_int_equal(token_new(owner, TOKEN_DMA_BUF, buf, O_RDWR, getuid(),
				   &token), 0);
	dma_buf_unref(buf);
	return token;
}

static void drain_until(bool *flag)
{
	for (unsigned i = 0; i < 10000; i++) {
		struct timespec ms = { .tv_nsec = 1000000 };
		bool set;

		dma_cq_drain();
		pthread_mutex_lock(&hold.lock);
		set = *flag;
		pthread_mutex_unlock(&hold.lock);
		if (set)
			return;
		nanosleep(&ms, NULL);
	}
	fail_msg("timed out");
}

/* --- tests ------------------------------------------------------------ */

/*
 * TERMINATE is terminate_async: the worker may still be inside a chunk of
 * the memcpy. DETACH of the buffer it copies into must wait for it
 * (dmaengine_synchronize) before the mapping goes.
 */
static void detach_after_terminate_waits_for_the_copy_in_flight(void **state)
{
	struct dmabufd_dma_request rq = {
		.how = DMABUFD_DMA_REQ_BY_CAP,
		.cap_mask = DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY),
	};
	struct dmabufd_dma_attach at = { 0 };
	struct dmabufd_dma_prep prep = { 0 };
	struct token_owner owner;
	struct dev_file *df;
	pthread_t releaser;
	uint32_t id;
	bool left;

	token_owner_init(&owner);
	df = open_dmaengine();
	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_REQUEST_CHAN, &rq, &rq), 0);
	at.token = buffer_token(&owner);
	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_ATTACH, &at, &at), 0);
	id = at.attach_id;
	assert_int_equal(mock_set_copy_hook(mock, hold_copy, NULL), 0);

	prep.type = DMABUFD_DMA_MEMCPY;
	prep.flags = DMABUFD_DMA_PREP_SUBMIT | DMABUFD_DMA_PREP_ISSUE;
	prep.nsegs = 1;
	prep.src = (struct dmabufd_dma_seg){ .attach_id = id, .len = 4096 };
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = id,
						 .offset = 4096, .len = 4096 };
	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_PREP, &prep, &prep), 0);
	drain_until(&hold.inside);

	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_CONTROL,
				  &(struct dmabufd_dma_control){
					  .op = DMABUFD_DMA_TERMINATE }, NULL), 0);
	dma_cq_drain(); /* the reap drops the terminated dma_xfer */
	assert_int_equal(pthread_create(&releaser, NULL, release_later, NULL), 0);
	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_DETACH,
				  &(struct dmabufd_dma_attach){ .attach_id = id },
				  NULL), 0);
	pthread_mutex_lock(&hold.lock);
	left = hold.left;
	pthread_mutex_unlock(&hold.lock);

	pthread_join(releaser, NULL);
	assert_int_equal(mock_set_copy_hook(mock, NULL, NULL), 0);
	dev_file_release(df);
	token_owner_clear(&owner);
	dma_cq_drain();
	/* The worker was done with the chunk before the mapping went. */
	assert_true(left);
}

/*
 * A terminated descriptor may still call back until the channel is
 * synchronized (a cyclic period already counted). Once TERMINATE ended the
 * transfer and the reap dropped its dma_xfer, no descriptor of the
 * channel may still call back into it.
 */
static void terminated_cyclic_descriptor_does_not_call_the_freed_transfer(
	void **state)
{
	struct dmabufd_dma_request rq = {
		.how = DMABUFD_DMA_REQ_BY_CAP,
		.cap_mask = DMABUFD_DMA_CAP(DMABUFD_DMA_CYCLIC),
	};
	struct dmabufd_dma_slave_config sc = {
		.src_addr = mock_fifo_addr(mock, 0),
		.src_addr_width = 4,
		.dst_addr_width = 4,
		.flags = DMABUFD_DMA_CFG_REQUEST_LINE,
		.request_line = 0,
	};
	struct dmabufd_dma_attach at = { 0 };
	struct dmabufd_dma_prep prep = { 0 };
	struct dmabufd_dma_events ev = { .count = DMABUFD_DMA_MAX_EVENTS };
	struct token_owner owner;
	struct virt_dma_desc *vd;
	struct virt_dma_chan *vc;
	struct dev_file *df;
	char data[4096] = { 1 };
	unsigned terminated = 0;

	token_owner_init(&owner);
	df = open_dmaengine();
	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_REQUEST_CHAN, &rq, &rq), 0);
	vc = to_virt_chan(mock_chan(mock, rq.chan_id));
	sc.src_addr = mock_fifo_addr(mock, 0);
	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_SLAVE_CONFIG, &sc, NULL), 0);
	at.token = buffer_token(&owner);
	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_ATTACH, &at, &at), 0);

	prep.type = DMABUFD_DMA_CYCLIC;
	prep.direction = DMABUFD_DMA_DEV_TO_MEM;
	prep.flags = DMABUFD_DMA_PREP_INTERRUPT | DMABUFD_DMA_PREP_SUBMIT |
		     DMABUFD_DMA_PREP_ISSUE;
	prep.nsegs = 1;
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = at.attach_id,
						 .len = 8192 };
	prep.period_len = 4096;
	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_PREP, &prep, &prep), 0);
	/* One period, and its event. */
	assert_int_equal(mock_fifo_push(mock, 0, data, sizeof(data)),
			 (long)sizeof(data));
	for (unsigned i = 0; i < 10000 && ev.count == DMABUFD_DMA_MAX_EVENTS; i++) {
		struct timespec ms = { .tv_nsec = 1000000 };
		struct dmabufd_dma_events in = { .count = DMABUFD_DMA_MAX_EVENTS };

		dma_cq_drain();
		assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_EVENTS, &in, &ev), 0);
		if (ev.count)
			break;
		ev.count = DMABUFD_DMA_MAX_EVENTS;
		nanosleep(&ms, NULL);
	}
	assert_int_equal(ev.count, 1);
	assert_int_equal(ev.events[0].cookie, prep.cookie);
	assert_int_equal(ev.events[0].period, 1);

	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_CONTROL,
				  &(struct dmabufd_dma_control){
					  .op = DMABUFD_DMA_TERMINATE }, NULL), 0);
	dma_cq_drain(); /* the reap drops the terminated dma_xfer */
	TAILQ_FOREACH(vd, &vc->desc_terminated, node) {
		terminated++;
		assert_null(vd->tx.callback_result);
		assert_null(vd->tx.callback);
		assert_null(vd->tx.callback_param);
	}
	assert_int_equal(terminated, 1);

	dev_file_release(df);
	token_owner_clear(&owner);
	dma_cq_drain();
}

/*
 * The daemon's statistics count the channels dmaengine fds hold and their
 * status pages (the node's get_stats op), and drop both at release.
 */
static void stats_count_channels_held_and_status_pages(void **state)
{
	struct dmabufd_dma_request rq = {
		.how = DMABUFD_DMA_REQ_BY_CAP,
		.cap_mask = DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY),
	};
	struct dmabufd_dma_status_map map = { 0 };
	struct dmabufd_ctl_stats st;
	struct dev_file *df = open_dmaengine();

	dev_get_stats(&st);
	assert_int_equal(st.count[DMABUFD_STAT_DMA_CHANNELS], 0);
	assert_int_equal(st.count[DMABUFD_STAT_DMA_STATUS_PAGES], 0);
	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_REQUEST_CHAN, &rq, &rq), 0);
	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_STATUS_MAP, NULL, &map), 0);
	dev_get_stats(&st);
	assert_int_equal(st.count[DMABUFD_STAT_DMA_CHANNELS], 1);
	assert_int_equal(st.count[DMABUFD_STAT_DMA_STATUS_PAGES], 1);
	dev_file_release(df);
	dev_get_stats(&st);
	assert_int_equal(st.count[DMABUFD_STAT_DMA_CHANNELS], 0);
	assert_int_equal(st.count[DMABUFD_STAT_DMA_STATUS_PAGES], 0);
}

/*
 * dev_shutdown() releases the dmaengine fds (fence producers, by their
 * node ops) before it answers whoever else waits: a WAIT on the fence of
 * a transfer submitted but not issued hears that transfer's end,
 * -ECANCELED, not ENODEV.
 */
static void shutdown_ends_dma_transfers_first_so_waiters_hear_ecanceled(
	void **state)
{
	struct dmabufd_dma_request rq = {
		.how = DMABUFD_DMA_REQ_BY_CAP,
		.cap_mask = DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY),
	};
	struct dmabufd_sync_wait w = { .timeout_ns = 1000000000 };
	struct dmabufd_dma_attach at = { 0 };
	struct dmabufd_dma_prep prep = { 0 };
	struct token_owner owner;
	struct dev_file *df, *sf;
	struct fence *fence = NULL;
	struct fake_req fr;

	token_owner_init(&owner);
	df = open_dmaengine();
	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_REQUEST_CHAN, &rq, &rq), 0);
	at.token = buffer_token(&owner);
	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_ATTACH, &at, &at), 0);
	prep.type = DMABUFD_DMA_MEMCPY;
	prep.flags = DMABUFD_DMA_PREP_SUBMIT;
	prep.nsegs = 1;
	prep.src = (struct dmabufd_dma_seg){ .attach_id = at.attach_id,
					     .len = 4096 };
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = at.attach_id,
						 .offset = 4096, .len = 4096 };
	assert_int_equal(do_ioctl(df, DMABUFD_DMA_IOC_PREP, &prep, &prep), 0);
	assert_int_equal(dmaengine_node_cookie_fence(df, prep.cookie, &fence), 0);
	sf = open_node(DEV_NODE_SYNC_FILE);
	assert_int_equal(dev_file_bind_fence(sf, fence), 0);
	fence_unref(fence);

	start_ioctl(sf, DMABUFD_SYNC_IOC_WAIT, &w, &fr);
	assert_int_equal(fr.replies, 0);
	dev_shutdown();
	assert_int_equal(fr.replies, 1);
	assert_int_equal(fr.result, 0);
	assert_int_equal(((struct dmabufd_sync_wait *)fr.out)->status,
			 -ECANCELED);
	assert_int_equal(dev_file_count(), 0);
	token_owner_clear(&owner);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		node_test(detach_after_terminate_waits_for_the_copy_in_flight),
		node_test(terminated_cyclic_descriptor_does_not_call_the_freed_transfer),
		node_test(stats_count_channels_held_and_status_pages),
		node_test(shutdown_ends_dma_transfers_first_so_waiters_hear_ecanceled),
	};

	log_set_level(LOG_WARNING);
	return cmocka_run_group_tests_name("dma-node", tests, NULL, NULL);
}
