/* SPDX-License-Identifier: MIT */
/*
 * A dmaengine fd's channel: REQUEST_CHAN (by cap, by map name, by channel
 * name; taken privately, charged to the uid's ACCT_CHANNELS from the
 * request on), the controllers coming and going, CAPS, SLAVE_CONFIG and
 * CONTROL (pause, resume, terminate, synchronize, the watchdog deadline).
 *
 * A request for a controller that is not registered yet waits, when the
 * caller gave a timeout, as a deferred request with a timer (bounded by
 * --max-wait-ms) on the list of waiting fds; a dma_notifier, registered
 * while someone waits or holds a channel, retries every waiting request
 * when a controller registers, and when one is removed ends what its
 * channels' holders submitted and did not issue (-ENODEV), from the loop
 * (the fd's "gone" completion-queue entry). A stopping daemon grants no
 * request (dev.h).
 *
 * TERMINATE is terminate_async: until SYNCHRONIZE the controller may still
 * be inside a terminated transfer (dmaengine_node_attach.c synchronizes
 * before it frees an attachment then).
 *
 * Threading: loop thread only.
 */
#include "dmaengine_node_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"

static TAILQ_HEAD(, dmaengine_file) waiting = TAILQ_HEAD_INITIALIZER(waiting);
static struct dma_notifier notifier;
static bool notifier_on;
static unsigned channels_held;
static uint64_t default_timeout_ms = DMA_CHAN_DEFAULT_TIMEOUT_MS;

void dmaengine_node_set_default_timeout(uint64_t timeout_ms)
{
	default_timeout_ms = timeout_ms;
}

unsigned dmaengine_node_channels_held(void)
{
	return channels_held;
}

/* ---- REQUEST_CHAN, and the controllers coming and going ---------------- */

static void notifier_fired(struct dma_notifier *n, enum dma_notify_event event,
			   struct dma_device *dev);

/*
 * The notifier is registered while someone needs it: requests waiting for
 * a controller (DEVICE_ADDED) and channels held (DEVICE_REMOVED).
 */
static int notifier_sync(void)
{
	bool want = !TAILQ_EMPTY(&waiting) || channels_held;
	int r = 0;

	if (want && !notifier_on) {
		notifier = (struct dma_notifier){ .fn = notifier_fired };
		r = dma_notifier_register(&notifier);
		notifier_on = r == 0;
	} else if (!want && notifier_on) {
		dma_notifier_unregister(&notifier);
		notifier_on = false;
	}
	return r;
}

/*
 * From the loop, after the controller of @df's channel was removed: the
 * transfers submitted but not issued can never run now; they end with
 * -ENODEV (their fences signal). Issued ones ended in the removal.
 */
void dma_node_gone_fired(struct dma_cq_entry *entry)
{
	struct dmaengine_file *df =
		container_of(entry, struct dmaengine_file, gone);
	struct dma_node_xfer *x;

	while ((x = TAILQ_FIRST(&df->submitted)))
		dma_node_xfer_cancel(x, -ENODEV);
}

static int chan_request(const struct dmabufd_dma_request *in,
			struct dma_chan **ret_chan)
{
	struct dma_chan *chan;
	dma_cap_mask_t mask;
	int r;

	switch (in->how) {
	case DMABUFD_DMA_REQ_BY_CAP:
		dma_cap_zero(&mask);
		mask.bits[0] = in->cap_mask;
		return dma_request_chan_by_mask(&mask, ret_chan);
	case DMABUFD_DMA_REQ_BY_NAME:
		return dma_request_chan(in->consumer, in->name, ret_chan);
	case DMABUFD_DMA_REQ_BY_CHAN:
		chan = dma_find_chan_by_name(in->name);
		if (!chan)
			return -EAGAIN; /* its controller may come */
		r = dma_get_slave_channel(chan);
		if (r < 0)
			return r;
		*ret_chan = chan;
		return 0;
	}
	return -EINVAL;
}

static void chan_bind(struct dmaengine_file *df, struct dma_chan *chan,
		      struct dmabufd_dma_request *out)
{
	char comm[16];
	int r;

	df->chan = chan;
	chan->client_uid = df->file->uid;
	channels_held++;
	(void)notifier_sync(); /* fails only for a malformed notifier */
	if (!chan->dbg_client_name[0]) {
		dev_pid_comm(df->file->pid, comm, sizeof(comm));
		snprintf(chan->dbg_client_name, sizeof(chan->dbg_client_name),
			 "pid %d (%s)", (int)df->file->pid, comm);
		df->named_chan = true;
	}
	r = dma_chan_set_timeout(chan, default_timeout_ms);
	if (r < 0)
		log_warn("dmaengine: cannot set the watchdog of %s: %s",
			 chan->name, strerror(-r));
	out->chan_id = (uint32_t)chan->chan_id;
	snprintf(out->name, sizeof(out->name), "%s", chan->name);
	snprintf(out->device, sizeof(out->device), "%s", chan->device->name);
	out->caps = (uint32_t)chan->device->cap_mask.bits[0];
}

/* Give back the channel charge of @df's request or channel, if any. */
static void chan_uncharge(struct dmaengine_file *df)
{
	if (!df->chan_charged)
		return;
	acct_uncharge(df->file->acct, ACCT_CHANNELS, 1);
	df->chan_charged = false;
}

/* Forget the wait of @df's deferred request (not answering it). */
void dma_node_request_unwait(struct dmaengine_file *df)
{
	if (!df->request)
		return;
	timer_cancel(&df->request_timer);
	TAILQ_REMOVE(&waiting, df, wait_link);
	df->request = NULL;
	(void)notifier_sync();
}

void dma_node_chan_release(struct dmaengine_file *df)
{
	if (df->chan) {
		if (df->named_chan)
			df->chan->dbg_client_name[0] = '\0';
		dma_release_channel(df->chan);
		channels_held--;
		(void)notifier_sync();
	}
	chan_uncharge(df);
}

static void request_cancel(struct dev_req *req)
{
	dma_node_request_unwait(req->file->dmaengine);
	chan_uncharge(req->file->dmaengine);
}

static void request_finish(struct dmaengine_file *df, int r,
			   struct dma_chan *chan)
{
	struct dev_req *req = df->request;
	struct dmabufd_dma_request out = df->request_in;

	dma_node_request_unwait(df);
	if (r < 0) {
		chan_uncharge(df);
		return dev_req_fail(req, r);
	}
	chan_bind(df, chan, &out);
	dev_req_reply(req, 0, &out, sizeof(out));
}

/* The deadline passed, or a controller came (armed for now): try again. */
void dma_node_request_timer_fired(struct timer *timer)
{
	struct dmaengine_file *df =
		container_of(timer, struct dmaengine_file, request_timer);
	struct dma_chan *chan = NULL;
	int r;

	/* A stopping daemon takes on no new work (dev.h). */
	if (dev_stopping())
		return request_finish(df, -ENODEV, NULL);
	r = chan_request(&df->request_in, &chan);
	if (r != -EAGAIN)
		return request_finish(df, r, chan);
	if (clock_now_ns() >= df->request_deadline)
		return request_finish(df, df->request_in.how ==
						  DMABUFD_DMA_REQ_BY_CHAN
					  ? -ENODEV : -EAGAIN, NULL);
	timer_arm(&df->request_timer, df->request_deadline);
}

/*
 * A controller registered: retry every waiting request; one was removed:
 * end what its channels' holders submitted (dma_node_gone_fired()). Both
 * from the loop, not from inside dma_async_device_(un)register().
 */
static void notifier_fired(struct dma_notifier *n, enum dma_notify_event event,
			   struct dma_device *dev)
{
	struct dmaengine_file *df;
	uint64_t now = clock_now_ns();

	if (event == DMA_NOTIFY_DEVICE_REMOVED) {
		LIST_FOREACH(df, &dma_node_files, link)
			if (df->chan && df->chan->device == dev)
				dma_cq_post(&df->gone);
		return;
	}
	TAILQ_FOREACH(df, &waiting, wait_link)
		timer_arm(&df->request_timer, now);
}

static bool name_valid(const char name[DMABUFD_DMA_NAME_LEN], bool empty_ok)
{
	const char *nul = memchr(name, '\0', DMABUFD_DMA_NAME_LEN);

	return nul && (empty_ok || nul != name) &&
	       dev_all_zero(nul, (size_t)(name + DMABUFD_DMA_NAME_LEN - nul));
}

static int request_check(const struct dmabufd_dma_request *in)
{
	if (in->pad)
		return -EINVAL;
	switch (in->how) {
	case DMABUFD_DMA_REQ_BY_CAP:
		if (!in->cap_mask || in->cap_mask >> DMA_TX_TYPE_END ||
		    !name_valid(in->consumer, true) || in->consumer[0])
			return -EINVAL;
		return 0;
	case DMABUFD_DMA_REQ_BY_NAME:
		if (in->cap_mask || !name_valid(in->consumer, false) ||
		    !name_valid(in->name, false))
			return -EINVAL;
		return 0;
	case DMABUFD_DMA_REQ_BY_CHAN:
		if (in->cap_mask || !name_valid(in->consumer, true) ||
		    in->consumer[0] || !name_valid(in->name, false))
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

void dma_node_request_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_request *in = dev_req_input(req, sizeof(*in));
	struct dmaengine_file *df = req->file->dmaengine;
	struct dmabufd_dma_request out;
	struct dma_chan *chan = NULL;
	int64_t wait_ns;
	int r;

	if (!in)
		return dev_req_fail(req, -EINVAL);
	r = request_check(in);
	if (r < 0)
		return dev_req_fail(req, r);
	if (df->chan || df->request)
		return dev_req_fail(req, -EBUSY);
	/* Held from the request on, so waiting requests count too. */
	r = acct_charge(req->file->acct, ACCT_CHANNELS, 1);
	if (r < 0)
		return dev_req_fail(req, r);
	df->chan_charged = true;
	out = *in;
	if (in->how == DMABUFD_DMA_REQ_BY_CAP)
		memset(out.name, 0, sizeof(out.name));
	memset(out.device, 0, sizeof(out.device));
	out.chan_id = out.caps = 0;

	r = chan_request(in, &chan);
	if (r == -EAGAIN && in->timeout_ms > 0) {
		wait_ns = (int64_t)in->timeout_ms * 1000000;
		if (wait_ns > dev_max_wait_ns())
			wait_ns = dev_max_wait_ns();
		TAILQ_INSERT_TAIL(&waiting, df, wait_link);
		r = notifier_sync();
		if (r < 0) {
			TAILQ_REMOVE(&waiting, df, wait_link);
			chan_uncharge(df);
			return dev_req_fail(req, r);
		}
		df->request = req;
		df->request_in = out;
		df->request_deadline = clock_now_ns() + (uint64_t)wait_ns;
		timer_arm(&df->request_timer, df->request_deadline);
		dev_req_defer(req, request_cancel);
		return;
	}
	if (r == -EAGAIN && in->how == DMABUFD_DMA_REQ_BY_CHAN)
		r = -ENODEV;
	if (r < 0) {
		chan_uncharge(df);
		return dev_req_fail(req, r);
	}
	chan_bind(df, chan, &out);
	dev_req_reply(req, 0, &out, sizeof(out));
}

/* ---- CAPS, SLAVE_CONFIG ------------------------------------------------ */

void dma_node_caps_ioctl(struct dev_req *req)
{
	struct dma_chan *chan = req->file->dmaengine->chan;
	struct dmabufd_dma_caps out = {
		.cap_mask = (uint32_t)chan->device->cap_mask.bits[0],
		.max_sg = DMABUFD_DMA_MAX_SG,
		.max_len = DMA_NODE_MAX_LEN,
	};
	struct dma_slave_caps caps;
	int r;

	r = dma_get_slave_caps(chan, &caps);
	if (r == 0) {
		out.directions = caps.directions;
		out.src_addr_widths = caps.src_addr_widths;
		out.dst_addr_widths = caps.dst_addr_widths;
		out.min_burst = caps.min_burst;
		out.max_burst = caps.max_burst;
		out.residue_granularity = caps.residue_granularity;
		out.cmd_pause = caps.cmd_pause;
		out.cmd_resume = caps.cmd_resume;
		out.cmd_terminate = caps.cmd_terminate;
	} else if (r != -ENXIO) {
		return dev_req_fail(req, r);
	}
	dev_req_reply(req, 0, &out, sizeof(out));
}

static bool width_valid(uint32_t width, uint32_t supported)
{
	if (width == 0)
		return true;
	if (width != 1 && width != 2 && width != 4 && width != 8)
		return false;
	return !supported || (supported & (1u << width));
}

void dma_node_slave_config_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_slave_config *in =
		dev_req_input(req, sizeof(*in));
	struct dma_chan *chan = req->file->dmaengine->chan;
	struct dma_slave_caps caps = { 0 };
	struct dma_slave_config cfg;
	int old_line = chan->request_line;
	int r;

	if (!in || in->pad || (in->flags & ~DMABUFD_DMA_CFG_REQUEST_LINE) ||
	    in->device_fc > 1 ||
	    ((in->flags & DMABUFD_DMA_CFG_REQUEST_LINE) &&
	     in->request_line > INT32_MAX))
		return dev_req_fail(req, -EINVAL);
	r = dma_get_slave_caps(chan, &caps);
	if (r == -ENXIO)
		return dev_req_fail(req, -EOPNOTSUPP);
	if (r < 0)
		return dev_req_fail(req, r);
	if (!width_valid(in->src_addr_width, caps.src_addr_widths) ||
	    !width_valid(in->dst_addr_width, caps.dst_addr_widths) ||
	    (caps.max_burst && (in->src_maxburst > caps.max_burst ||
				in->dst_maxburst > caps.max_burst)))
		return dev_req_fail(req, -EINVAL);
	cfg = (struct dma_slave_config){
		.src_addr = in->src_addr,
		.dst_addr = in->dst_addr,
		.src_addr_width = (enum dma_slave_buswidth)in->src_addr_width,
		.dst_addr_width = (enum dma_slave_buswidth)in->dst_addr_width,
		.src_maxburst = in->src_maxburst,
		.dst_maxburst = in->dst_maxburst,
		.device_fc = in->device_fc,
	};
	if (in->flags & DMABUFD_DMA_CFG_REQUEST_LINE)
		chan->request_line = (int)in->request_line;
	r = dmaengine_slave_config(chan, &cfg);
	if (r < 0) {
		chan->request_line = old_line;
		return dev_req_fail(req, r == -ENOSYS ? -EOPNOTSUPP : r);
	}
	dev_req_reply(req, 0, NULL, 0);
}

/* ---- CONTROL ----------------------------------------------------------- */

static int dma_terminate(struct dmaengine_file *df)
{
	struct dma_node_xfer *x;

	TAILQ_FOREACH(x, &df->issued, link)
		x->no_event = true;
	while ((x = TAILQ_FIRST(&df->prepared)))
		dma_node_xfer_cancel(x, -ECANCELED);
	while ((x = TAILQ_FIRST(&df->submitted)))
		dma_node_xfer_cancel(x, -ECANCELED);
	return dmaengine_terminate_async(df->chan);
}

void dma_node_control_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_control *in = dev_req_input(req, sizeof(*in));
	struct dmaengine_file *df = req->file->dmaengine;
	int r;

	if (!in || (in->arg && in->op != DMABUFD_DMA_SET_TIMEOUT))
		return dev_req_fail(req, -EINVAL);
	switch (in->op) {
	case DMABUFD_DMA_PAUSE:
		r = dmaengine_pause(df->chan);
		if (r == 0)
			df->paused = true;
		break;
	case DMABUFD_DMA_RESUME:
		r = dmaengine_resume(df->chan);
		if (r == 0)
			df->paused = false;
		break;
	case DMABUFD_DMA_TERMINATE:
		r = dma_terminate(df);
		if (r == 0) {
			df->unsynced = true;
			df->paused = false;
		}
		break;
	case DMABUFD_DMA_SYNCHRONIZE:
		dmaengine_synchronize(df->chan);
		df->unsynced = false;
		r = 0;
		break;
	case DMABUFD_DMA_SET_TIMEOUT:
		r = dma_chan_set_timeout(df->chan, in->arg);
		break;
	default:
		r = -EINVAL;
		break;
	}
	if (r == -ENOSYS)
		r = -EOPNOTSUPP;
	dma_node_status_publish(df);
	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, NULL, 0);
}
