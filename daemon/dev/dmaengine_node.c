/* SPDX-License-Identifier: MIT */
/*
 * The dmaengine node (dmabufd/dmaengine, proto/dmabufd/dmaengine.h): each
 * open is one consumer of the DMA engine, holding at most one channel.
 *
 * Per fd (struct dmaengine_file): the channel, taken privately by
 * REQUEST_CHAN (at once, or later from the loop when a controller
 * registers: a deferred request with a timer, retried when a dma_notifier
 * hears a device come; never granted once the daemon is stopping); the attachments, by id, each holding a reference
 * to its struct dma_xfer_att; and the transfers (struct dma_node_xfer),
 * which move through four lists:
 *
 *   prepared   PREP made its dma_xfers (one per segment: the engine's
 *              transfers take one range each); it has a descriptor id
 *   submitted  SUBMIT gave it the fd's next cookie (cookie.h rules) and
 *              its fence
 *   issued     ISSUE_PENDING handed its pieces to dma_xfer_submit(), in
 *              order; callbacks on the engine's fences (dma_xfer_fence)
 *              watch them, and it ends when the last does, with the
 *              first error
 *   history    it ended; the last DMABUFD_DMA_FENCE_HISTORY are kept for
 *              TX_STATUS and FENCE
 *
 * The fence FENCE hands out is the fd's own (struct node_fence: one fence
 * context per fd, seqno the cookie, timeline the channel's name), made at
 * SUBMIT, since the engine's fence only exists from dma_xfer_submit() on;
 * it signals, with the same error, when the engine's does, or with
 * -ECANCELED when a transfer is terminated before it was issued.
 *
 * A transfer's end is seen in a fence callback, inside whatever signaled
 * the engine's fence; the callback signals the fd's fence, moves the
 * record and queues its event. The dma_xfer reference is dropped later
 * from the loop (a completion-queue entry per fd, "reap"), never from
 * inside the signal.
 *
 * TERMINATE is terminate_async: the controller may still be inside a
 * terminated transfer until SYNCHRONIZE, so an attachment freed before
 * then (DETACH) synchronizes the channel first, as the kernel asks of
 * its clients before they free what such a transfer used.
 *
 * The status page (status_page.h), made at the fd's first STATUS_MAP,
 * mirrors what TX_STATUS without residue answers: status_publish() runs
 * wherever the fd's cookies, its failed transfers in the history or its
 * pause change, and xfer_ended() publishes before it signals the fence or
 * queues the event, so a client woken by either reads the end there.
 *
 * Release (the last close, client death, daemon shutdown): no more
 * events; unissued transfers end with -ECANCELED; the channel is
 * terminated and synchronized (issued transfers end in it); then every
 * record, every attachment and the channel (dma_release_channel) go;
 * the status page is retired (generation 0) and lives on only for those
 * who still map it. Nothing else is left behind.
 *
 * Threading: loop thread only.
 */
#include "dmaengine_node.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dmabufd/control.h>
#include <dmabufd/dmaengine.h>

#include "dmaengine/cookie.h"
#include "dmaengine/dma_cq.h"
#include "dmaengine/dma_xfer.h"
#include "dmaengine/dmaengine.h"
#include "status_page.h"
#include "model/clock.h"
#include "handle.h"
#include "node_ops.h"
#include "util/log.h"

/* The longest transfer: residues are 32-bit (struct dma_tx_state). */
#define DMA_NODE_MAX_LEN UINT32_MAX

enum xfer_state {
	XFER_PREPARED,
	XFER_SUBMITTED,
	XFER_ISSUED,
	XFER_ENDED,
};

struct dma_node_att {
	uint32_t id;
	int mode;		/* what the token granted (O_ACCMODE) */
	unsigned users;		/* transfers not ended that use it */
	struct dma_xfer_att *att;
	LIST_ENTRY(dma_node_att) link;
};

/* One engine transfer: a segment of a dma_node_xfer. */
struct dma_node_piece {
	struct dma_node_xfer *x;
	struct dma_xfer *xfer;	    /* until reaped after the end */
	struct fence *engine_fence; /* dma_xfer_fence(), once issued */
	struct fence_cb cb;	    /* on engine_fence */
	bool armed;
	struct dma_node_att *dst, *src; /* counted users, until the end */
};

struct dma_node_xfer {
	struct dmaengine_file *df;
	uint64_t seq;		/* 1, 2, ... in the fd's prepare order */
	enum xfer_state state;
	uint32_t desc_id;	/* while prepared */
	dma_cookie_t cookie;	/* from SUBMIT on */
	uint32_t type;		/* DMABUFD_DMA_MEMCPY, _SLAVE, _CYCLIC */
	uint32_t direction;
	uint32_t flags;		/* the PREP flags */
	uint64_t len;
	struct fence *fence;	/* the fd's, from SUBMIT on (for FENCE) */
	bool no_event;		/* terminated: no completion notice */
	int error;		/* once ended: 0 or the first piece's error */
	unsigned pending;	/* issued pieces not ended */
	TAILQ_ENTRY(dma_node_xfer) link;
	unsigned npieces;
	struct dma_node_piece piece[];
};

TAILQ_HEAD(xfer_list, dma_node_xfer);

struct dmaengine_file {
	struct dev_file *file;
	struct dma_chan *chan;
	bool named_chan;	/* we set chan->dbg_client_name */
	bool chan_charged;	/* ACCT_CHANNELS charged for chan or request */

	/* A REQUEST_CHAN waiting for a controller. */
	struct dev_req *request;
	struct dmabufd_dma_request request_in;
	struct timer request_timer;
	uint64_t request_deadline;
	TAILQ_ENTRY(dmaengine_file) wait_link;

	LIST_HEAD(, dma_node_att) atts;
	unsigned num_atts;
	uint32_t next_att_id;

	struct xfer_list prepared, submitted, issued, history;
	unsigned num_live;	/* prepared + submitted + issued */
	unsigned num_history;
	uint32_t next_desc_id;
	uint64_t last_xfer_seq;	/* the last dma_node_xfer.seq given */
	uint64_t fence_context;
	dma_cookie_t cookie;	/* last handed out */
	dma_cookie_t completed;	/* every cookie up to it has ended */
	bool wrapped;		/* cookies went past DMA_MAX_COOKIE */
	struct dma_cq_entry reap;
	struct dma_cq_entry gone;	/* the channel's controller went away */
	/* TERMINATE ran and no SYNCHRONIZE since: the controller may still
	 * be inside a terminated transfer, so nothing it used may be freed
	 * before dmaengine_synchronize() (att_free() calls it). */
	bool unsynced;
	bool paused;		/* PAUSE succeeded; no RESUME or TERMINATE since */
	/* The status page (STATUS_MAP), from its first request on. */
	struct status_page *status;

	struct dmabufd_dma_event events[DMABUFD_DMA_EVENT_QUEUE];
	unsigned ev_head, ev_count;
	uint32_t ev_lost;

	LIST_ENTRY(dmaengine_file) link;
};

static LIST_HEAD(, dmaengine_file) all_files = LIST_HEAD_INITIALIZER(all_files);
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

static dma_cookie_t cookie_prev(dma_cookie_t cookie)
{
	return cookie > DMA_MIN_COOKIE ? cookie - 1 : DMA_MAX_COOKIE;
}

/* ---- the fd's fences ---------------------------------------------------- */

struct node_fence {
	struct fence base; /* first: the default release frees the whole */
	char timeline[DMA_CHAN_NAME_LEN];
};

static const char *node_fence_driver(struct fence *fence)
{
	return DMA_XFER_DRIVER_NAME;
}

static const char *node_fence_timeline(struct fence *fence)
{
	return container_of(fence, struct node_fence, base)->timeline;
}

static const struct fence_ops node_fence_ops = {
	.get_driver_name = node_fence_driver,
	.get_timeline_name = node_fence_timeline,
};

static struct fence *node_fence_new(struct dmaengine_file *df,
				    dma_cookie_t cookie)
{
	struct node_fence *nf = calloc(1, sizeof(*nf));

	if (!nf)
		return NULL;
	snprintf(nf->timeline, sizeof(nf->timeline), "%s", df->chan->name);
	fence_init(&nf->base, &node_fence_ops, df->fence_context,
		   (uint32_t)cookie);
	return &nf->base;
}

/* Signal @fence with @error (0: success) unless it has signaled. */
static void node_fence_end(struct fence *fence, int error)
{
	if (!fence || fence_is_signaled(fence))
		return;
	if (error < 0)
		fence_set_error(fence, error);
	fence_signal(fence);
}

/* ---- events ------------------------------------------------------------ */

static uint32_t result_of(int error)
{
	if (error >= 0)
		return DMABUFD_DMA_TRANS_NOERROR;
	return error == -EIO ? DMABUFD_DMA_TRANS_READ_FAILED
			     : DMABUFD_DMA_TRANS_ABORTED;
}

static void event_push(struct dmaengine_file *df, dma_cookie_t cookie,
		       int error, uint32_t period)
{
	if (df->ev_count == DMABUFD_DMA_EVENT_QUEUE) {
		df->ev_lost++;
		return;
	}
	df->events[(df->ev_head + df->ev_count) % DMABUFD_DMA_EVENT_QUEUE] =
		(struct dmabufd_dma_event){
			.cookie = cookie,
			.error = error < 0 ? error : 0,
			.result = result_of(error),
			.period = period,
		};
	/* Pollers wait for the queue to become non-empty. */
	if (++df->ev_count == 1)
		dev_file_poll_wake(df->file);
}

/* ---- transfers --------------------------------------------------------- */

static struct xfer_list *list_of(struct dmaengine_file *df,
				 enum xfer_state state)
{
	switch (state) {
	case XFER_PREPARED:
		return &df->prepared;
	case XFER_SUBMITTED:
		return &df->submitted;
	case XFER_ISSUED:
		return &df->issued;
	case XFER_ENDED:
		break;
	}
	return &df->history;
}

/*
 * Publish on the status page (if the fd has one) what TX_STATUS without
 * residue answers now (proto/dmabufd/dmaengine.h): the cookies, the
 * ended transfers it reports as errors, and when in-progress answers
 * must come from the ioctl: a pause, an issued transfer that has an
 * error and pieces still running (xfer_status() says DMA_ERROR), or a
 * transfer that ended successfully ahead of an older live one.
 * O(issued + history). Called whenever one of those changes, before the
 * change shows anywhere else (a fence, an event, a reply).
 */
static void status_publish(struct dmaengine_file *df)
{
	struct dmabufd_dma_status_page snap = {
		.used = df->cookie,
		.last = df->completed,
	};
	struct dma_node_xfer *x;

	if (!df->status)
		return;
	if (df->paused)
		snap.flags |= DMABUFD_DMA_STATUS_ASK_LIVE;
	TAILQ_FOREACH(x, &df->issued, link)
		if (x->error < 0) {
			snap.flags |= DMABUFD_DMA_STATUS_ASK_LIVE;
			break;
		}
	TAILQ_FOREACH(x, &df->history, link) {
		if (!x->error) {
			if (dma_async_is_complete(x->cookie, df->completed,
						  df->cookie) != DMA_COMPLETE)
				snap.flags |= DMABUFD_DMA_STATUS_ASK_LIVE;
		} else if (snap.nerrs == DMABUFD_DMA_STATUS_ERRS) {
			/* Until reap_run() trims the history. */
			snap.flags |= DMABUFD_DMA_STATUS_ASK_ALL;
		} else {
			snap.errs[snap.nerrs++] = (struct dmabufd_dma_status_err){
				.cookie = x->cookie,
				.error = x->error,
			};
		}
	}
	status_page_publish(df->status, &snap);
}

/* Every cookie before the oldest one still live has ended; publish. */
static void update_completed(struct dmaengine_file *df)
{
	struct dma_node_xfer *x = TAILQ_FIRST(&df->issued);

	if (!x)
		x = TAILQ_FIRST(&df->submitted);
	df->completed = x ? cookie_prev(x->cookie) : df->cookie;
	status_publish(df);
}

static void atts_unuse(struct dma_node_xfer *x)
{
	for (unsigned i = 0; i < x->npieces; i++) {
		struct dma_node_piece *p = &x->piece[i];

		if (p->dst)
			p->dst->users--;
		if (p->src)
			p->src->users--;
		p->dst = p->src = NULL;
	}
}

/* Drop a piece's dma_xfer (an unsubmitted one gives its descriptor back). */
static void piece_drop(struct dma_node_piece *p)
{
	if (p->armed)
		fence_remove_callback(p->engine_fence, &p->cb);
	p->armed = false;
	if (p->xfer)
		dma_xfer_set_period_cb(p->xfer, NULL, NULL);
	p->xfer = dma_xfer_unref(p->xfer);
}

/* Free an ended or never-submitted record; drops what it still holds. */
static void xfer_free(struct dma_node_xfer *x)
{
	atts_unuse(x);
	for (unsigned i = 0; i < x->npieces; i++) {
		piece_drop(&x->piece[i]);
		fence_unref(x->piece[i].engine_fence);
	}
	/* Whoever holds the fd's fence must not wait for ever. */
	node_fence_end(x->fence, -ECANCELED);
	fence_unref(x->fence);
	free(x);
}

/*
 * @x has ended with @error (0: success): move it to the history (and onto
 * the status page), then signal the fd's fence and queue its notice, so
 * that whoever sees the end there reads it on the page too. Runs inside
 * fence_signal() of an engine's fence: nothing here drops a dma_xfer.
 */
static void xfer_ended(struct dma_node_xfer *x, int error)
{
	struct dmaengine_file *df = x->df;

	x->error = error < 0 ? error : 0;
	TAILQ_REMOVE(list_of(df, x->state), x, link);
	x->state = XFER_ENDED;
	TAILQ_INSERT_TAIL(&df->history, x, link);
	df->num_live--;
	df->num_history++;
	atts_unuse(x);
	update_completed(df);
	node_fence_end(x->fence, x->error);
	if ((x->flags & DMABUFD_DMA_PREP_INTERRUPT) && !x->no_event)
		event_push(df, x->cookie, x->error, 0);
	dma_cq_post(&df->reap);
}

/* A piece ended with @status (1, or its error). */
static void piece_ended(struct dma_node_piece *p, int status)
{
	struct dma_node_xfer *x = p->x;

	p->armed = false;
	if (status < 0 && !x->error) {
		x->error = status;
		/* TX_STATUS says DMA_ERROR from now on. */
		if (x->pending > 1)
			status_publish(x->df);
	}
	if (--x->pending == 0)
		xfer_ended(x, x->error);
}

static void piece_fence_fired(struct fence *fence, struct fence_cb *cb)
{
	piece_ended(container_of(cb, struct dma_node_piece, cb),
		    fence_get_status(fence));
}

static void xfer_period_fired(struct dma_xfer *xfer, void *data)
{
	struct dma_node_xfer *x = data;
	uint64_t periods = dma_xfer_periods(xfer);

	if (!x->no_event)
		event_push(x->df, x->cookie, 0,
			   periods > UINT32_MAX ? UINT32_MAX : (uint32_t)periods);
}

/* Drop the dma_xfers of ended transfers and trim the history. Loop. */
static void reap_run(struct dmaengine_file *df)
{
	struct dma_node_xfer *x;

	bool trimmed = false;

	TAILQ_FOREACH(x, &df->history, link)
		for (unsigned i = 0; i < x->npieces; i++)
			piece_drop(&x->piece[i]);
	while (df->num_history > DMABUFD_DMA_FENCE_HISTORY) {
		x = TAILQ_FIRST(&df->history);
		TAILQ_REMOVE(&df->history, x, link);
		df->num_history--;
		xfer_free(x);
		trimmed = true;
	}
	/* A trimmed failure reads DMA_COMPLETE now. */
	if (trimmed)
		status_publish(df);
}

static void reap_fired(struct dma_cq_entry *entry)
{
	reap_run(container_of(entry, struct dmaengine_file, reap));
}

/*
 * End a transfer that was never issued: its dma_xfer gives its descriptor
 * back; a submitted one ends with @error and keeps its cookie in the
 * history, a prepared one is forgotten. Terminate and release end them
 * with -ECANCELED and no notice; the removal of the channel's controller
 * with -ENODEV and the notice PREP_INTERRUPT asked for.
 */
static void xfer_cancel(struct dma_node_xfer *x, int error)
{
	struct dmaengine_file *df = x->df;

	if (x->state == XFER_PREPARED) {
		TAILQ_REMOVE(&df->prepared, x, link);
		df->num_live--;
		xfer_free(x);
		return;
	}
	for (unsigned i = 0; i < x->npieces; i++)
		piece_drop(&x->piece[i]);
	if (error == -ECANCELED)
		x->no_event = true;
	xfer_ended(x, error);
}

/* dma_cookie_assign() on the fd's cookies, and the fd's fence. Returns 0
 * or -ENOMEM (then nothing changed). */
static int xfer_submit(struct dma_node_xfer *x)
{
	struct dmaengine_file *df = x->df;
	dma_cookie_t cookie = (dma_cookie_t)((uint32_t)df->cookie + 1u);
	bool wrapped = false;

	if (cookie < DMA_MIN_COOKIE) {
		cookie = DMA_MIN_COOKIE;
		wrapped = true;
	}
	x->fence = node_fence_new(df, cookie);
	if (!x->fence)
		return -ENOMEM;
	x->fence->owner = df->file->uid;
	df->wrapped |= wrapped;
	x->cookie = df->cookie = cookie;
	TAILQ_REMOVE(&df->prepared, x, link);
	x->state = XFER_SUBMITTED;
	TAILQ_INSERT_TAIL(&df->submitted, x, link);
	update_completed(df);
	return 0;
}

/*
 * Queue @x's pieces on the channel, in order. Returns 0 (it is issued; a
 * piece after the first that could not be queued is dropped and @x ends
 * with that error once the queued ones have), or the error of the first
 * piece (then nothing changed).
 */
static int xfer_issue(struct dma_node_xfer *x)
{
	struct dmaengine_file *df = x->df;
	unsigned queued = 0;
	int r = 0;

	for (; queued < x->npieces; queued++) {
		r = dma_xfer_submit(x->piece[queued].xfer);
		if (r < 0)
			break;
	}
	if (queued == 0)
		return r;
	for (unsigned i = queued; i < x->npieces; i++)
		piece_drop(&x->piece[i]);
	x->error = r;
	TAILQ_REMOVE(&df->submitted, x, link);
	x->state = XFER_ISSUED;
	TAILQ_INSERT_TAIL(&df->issued, x, link);
	if (r < 0)
		status_publish(df); /* issued with an error: DMA_ERROR */
	/* One count for the loop below, so @x cannot end inside it. */
	x->pending = queued + 1;
	for (unsigned i = 0; i < queued; i++) {
		struct dma_node_piece *p = &x->piece[i];

		p->engine_fence = fence_ref(dma_xfer_fence(p->xfer));
		p->engine_fence->owner = df->file->uid;
		p->armed = true;
		if (fence_add_callback(p->engine_fence, &p->cb,
				       piece_fence_fired) < 0)
			/* It ended already (it could not start). */
			piece_ended(p, fence_get_status(p->engine_fence));
	}
	piece_ended(&(struct dma_node_piece){ .x = x }, 1);
	return 0;
}

/* Hand the submitted transfers to the channel, in order. */
static int issue_pending(struct dmaengine_file *df)
{
	struct dma_node_xfer *x;
	int r;

	while ((x = TAILQ_FIRST(&df->submitted))) {
		r = xfer_issue(x);
		if (r < 0)
			return r;
	}
	return 0;
}

static struct dma_node_xfer *xfer_find_cookie(struct dmaengine_file *df,
					      dma_cookie_t cookie)
{
	struct xfer_list *lists[] = { &df->issued, &df->submitted,
				      &df->history };
	struct dma_node_xfer *x;

	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		TAILQ_FOREACH(x, lists[i], link)
			if (x->cookie == cookie)
				return x;
	return NULL;
}

/* True if the fd has handed out @cookie at some point. */
static bool cookie_was_used(const struct dmaengine_file *df, dma_cookie_t cookie)
{
	return cookie >= DMA_MIN_COOKIE &&
	       (df->wrapped || cookie <= df->cookie);
}

/* ---- attachments ------------------------------------------------------- */

static struct dma_node_att *att_find(struct dmaengine_file *df, uint32_t id)
{
	struct dma_node_att *a;

	LIST_FOREACH(a, &df->atts, link)
		if (a->id == id)
			return a;
	return NULL;
}

static void att_free(struct dmaengine_file *df, struct dma_node_att *a)
{
	/* The kernel's rule for terminate_async: synchronize before freeing
	 * memory a terminated transfer used; a controller may still be
	 * copying into this attachment's mapping. */
	if (df->unsynced) {
		dmaengine_synchronize(df->chan);
		df->unsynced = false;
	}
	LIST_REMOVE(a, link);
	df->num_atts--;
	dma_xfer_att_unref(a->att);
	free(a);
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
static void gone_fired(struct dma_cq_entry *entry)
{
	struct dmaengine_file *df =
		container_of(entry, struct dmaengine_file, gone);
	struct dma_node_xfer *x;

	while ((x = TAILQ_FIRST(&df->submitted)))
		xfer_cancel(x, -ENODEV);
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
static void request_unwait(struct dmaengine_file *df)
{
	if (!df->request)
		return;
	timer_cancel(&df->request_timer);
	TAILQ_REMOVE(&waiting, df, wait_link);
	df->request = NULL;
	(void)notifier_sync();
}

static void request_cancel(struct dev_req *req)
{
	request_unwait(req->file->dmaengine);
	chan_uncharge(req->file->dmaengine);
}

static void request_finish(struct dmaengine_file *df, int r,
			   struct dma_chan *chan)
{
	struct dev_req *req = df->request;
	struct dmabufd_dma_request out = df->request_in;

	request_unwait(df);
	if (r < 0) {
		chan_uncharge(df);
		return dev_req_fail(req, r);
	}
	chan_bind(df, chan, &out);
	dev_req_reply(req, 0, &out, sizeof(out));
}

/* The deadline passed, or a controller came (armed for now): try again. */
static void request_timer_fired(struct timer *timer)
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
 * end what its channels' holders submitted (gone_fired()). Both from the
 * loop, not from inside dma_async_device_(un)register().
 */
static void notifier_fired(struct dma_notifier *n, enum dma_notify_event event,
			   struct dma_device *dev)
{
	struct dmaengine_file *df;
	uint64_t now = clock_now_ns();

	if (event == DMA_NOTIFY_DEVICE_REMOVED) {
		LIST_FOREACH(df, &all_files, link)
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

static void dma_request_ioctl(struct dev_req *req)
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

static void dma_caps_ioctl(struct dev_req *req)
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

static void dma_slave_config_ioctl(struct dev_req *req)
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

/* ---- ATTACH, DETACH ---------------------------------------------------- */

static void dma_attach_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_attach *in = dev_req_input(req, sizeof(*in));
	struct dmaengine_file *df = req->file->dmaengine;
	_cleanup_(dma_buf_unrefp) struct dma_buf *buf = NULL;
	struct dmabufd_dma_attach out = { 0 };
	struct dma_node_att *a;
	int mode, r;

	if (!in || in->pad)
		return dev_req_fail(req, -EINVAL);
	if (df->num_atts >= DMABUFD_DMA_MAX_ATTACH)
		return dev_req_fail(req, -ENOSPC);
	a = calloc(1, sizeof(*a));
	if (!a)
		return dev_req_fail(req, -ENOMEM);
	r = dev_arg_dma_buf(in->token, TOKEN_DMA_BUF, req->caller_uid, &buf,
			    &mode, NULL);
	if (r < 0) {
		free(a);
		return dev_req_fail(req, r);
	}
	r = dma_xfer_attach(df->chan, buf, &a->att);
	if (r < 0) {
		free(a);
		return dev_req_fail(req, r);
	}
	do
		a->id = df->next_att_id++;
	while (a->id == 0 || att_find(df, a->id));
	a->mode = mode;
	LIST_INSERT_HEAD(&df->atts, a, link);
	df->num_atts++;
	out.token = in->token;
	out.attach_id = a->id;
	out.size = buf->size;
	dev_req_reply(req, 0, &out, sizeof(out));
}

static void dma_detach_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_attach *in = dev_req_input(req, sizeof(*in));
	struct dmaengine_file *df = req->file->dmaengine;
	struct dma_node_att *a;

	if (!in || in->token || in->pad || in->size)
		return dev_req_fail(req, -EINVAL);
	a = att_find(df, in->attach_id);
	if (!a)
		return dev_req_fail(req, -EINVAL);
	if (a->users)
		return dev_req_fail(req, -EBUSY);
	att_free(df, a);
	dev_req_reply(req, 0, NULL, 0);
}

/* ---- PREP, SUBMIT, ISSUE_PENDING --------------------------------------- */

/* What PREP asks for, resolved: one engine transfer per segment. */
struct prep_piece {
	struct dma_node_att *dst, *src; /* the one written, the one read */
	uint64_t dst_off, src_off, len;
};

struct prep_args {
	unsigned n;
	uint64_t len;
	struct prep_piece piece[DMABUFD_DMA_MAX_SG];
};

/* Resolve @seg to an attachment, checking its bounds. */
static int seg_resolve(struct dmaengine_file *df,
		       const struct dmabufd_dma_seg *seg,
		       struct dma_node_att **ret_att)
{
	struct dma_node_att *a;
	uint64_t size;

	if (seg->pad)
		return -EINVAL;
	a = att_find(df, seg->attach_id);
	if (!a)
		return -EINVAL;
	size = dma_xfer_att_buf(a->att)->size;
	if (seg->len == 0 || seg->len > DMA_NODE_MAX_LEN ||
	    seg->offset > size || seg->len > size - seg->offset)
		return -EINVAL;
	*ret_att = a;
	return 0;
}

static enum dma_transaction_type cap_of(uint32_t type)
{
	return type == DMABUFD_DMA_MEMCPY ? DMA_MEMCPY
	       : type == DMABUFD_DMA_SLAVE ? DMA_SLAVE
					   : DMA_CYCLIC;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* A MEMCPY: @src split over the destination segments, in order. */
static int prep_memcpy_pieces(struct dmaengine_file *df,
			      const struct dmabufd_dma_prep *in,
			      struct prep_args *a)
{
	struct dma_node_att *src;
	uint64_t off = in->src.offset;
	int r;

	r = seg_resolve(df, &in->src, &src);
	if (r < 0)
		return r;
	if (in->period_len || in->src.len != a->len)
		return -EINVAL;
	for (unsigned i = 0; i < a->n; i++) {
		struct prep_piece *p = &a->piece[i];

		p->src = src;
		p->src_off = off;
		off += p->len;
		if (p->dst->att == src->att &&
		    ranges_overlap(p->dst_off, p->len, p->src_off, p->len))
			return -EINVAL;
	}
	return 0;
}

static int prep_check(struct dmaengine_file *df,
		      const struct dmabufd_dma_prep *in, struct prep_args *a)
{
	const uint32_t valid_flags = DMABUFD_DMA_PREP_INTERRUPT |
				     DMABUFD_DMA_CTRL_ACK |
				     DMABUFD_DMA_PREP_SUBMIT |
				     DMABUFD_DMA_PREP_ISSUE;
	bool memcpy_ = in->type == DMABUFD_DMA_MEMCPY;
	bool to_mem = memcpy_ || in->direction == DMABUFD_DMA_DEV_TO_MEM;
	int r;

	if (in->pad || in->pad2 || (in->flags & ~valid_flags) ||
	    ((in->flags & DMABUFD_DMA_PREP_ISSUE) &&
	     !(in->flags & DMABUFD_DMA_PREP_SUBMIT)))
		return -EINVAL;
	if (in->type != DMABUFD_DMA_MEMCPY && in->type != DMABUFD_DMA_SLAVE &&
	    in->type != DMABUFD_DMA_CYCLIC)
		return -EINVAL;
	if (memcpy_ ? in->direction != DMABUFD_DMA_MEM_TO_MEM
		    : in->direction != DMABUFD_DMA_MEM_TO_DEV &&
			      in->direction != DMABUFD_DMA_DEV_TO_MEM)
		return -EINVAL;
	/* A cyclic transfer is one ring. */
	if (in->nsegs < 1 || in->nsegs > DMABUFD_DMA_MAX_SG ||
	    (in->type == DMABUFD_DMA_CYCLIC && in->nsegs != 1) ||
	    !dev_all_zero(&in->segs[in->nsegs],
			  (DMABUFD_DMA_MAX_SG - in->nsegs) * sizeof(in->segs[0])))
		return -EINVAL;
	*a = (struct prep_args){ .n = in->nsegs };
	for (unsigned i = 0; i < a->n; i++) {
		struct prep_piece *p = &a->piece[i];
		struct dma_node_att *mem;

		r = seg_resolve(df, &in->segs[i], &mem);
		if (r < 0)
			return r;
		p->len = in->segs[i].len;
		if (to_mem) {
			p->dst = mem;
			p->dst_off = in->segs[i].offset;
		} else {
			p->src = mem;
			p->src_off = in->segs[i].offset;
		}
		a->len += p->len;
	}
	if (a->len > DMA_NODE_MAX_LEN)
		return -EINVAL;
	if (memcpy_) {
		r = prep_memcpy_pieces(df, in, a);
		if (r < 0)
			return r;
	} else if (!dev_all_zero(&in->src, sizeof(in->src)) ||
		   (in->type == DMABUFD_DMA_CYCLIC
			    ? !in->period_len || a->len % in->period_len
			    : in->period_len != 0)) {
		return -EINVAL;
	}
	for (unsigned i = 0; i < a->n; i++)
		if ((a->piece[i].dst && (a->piece[i].dst->mode == O_RDONLY ||
					 a->piece[i].dst->mode == O_ACCMODE)) ||
		    (a->piece[i].src && (a->piece[i].src->mode == O_WRONLY ||
					 a->piece[i].src->mode == O_ACCMODE)))
			return -EACCES;
	if (!dma_has_cap(cap_of(in->type), df->chan->device->cap_mask))
		return -EOPNOTSUPP;
	if (df->num_live >= DMABUFD_DMA_MAX_PENDING)
		return -ENOSPC;
	return 0;
}

/* The engine transfer of one piece. */
static int piece_make(const struct dmabufd_dma_prep *in,
		      const struct prep_piece *p, struct dma_xfer **ret_xfer)
{
	/* The completion is what the fences and the events stand on. */
	const unsigned long flags = DMA_PREP_INTERRUPT | DMA_CTRL_ACK;
	enum dma_transfer_direction dir = (enum dma_transfer_direction)in->direction;

	switch (in->type) {
	case DMABUFD_DMA_MEMCPY:
		return dma_xfer_memcpy(p->dst->att, p->dst_off, p->src->att,
				       p->src_off, p->len, flags, ret_xfer);
	case DMABUFD_DMA_SLAVE:
		return p->dst ? dma_xfer_slave(p->dst->att, p->dst_off, p->len,
					       dir, flags, ret_xfer)
			      : dma_xfer_slave(p->src->att, p->src_off, p->len,
					       dir, flags, ret_xfer);
	}
	return p->dst ? dma_xfer_cyclic(p->dst->att, p->dst_off, p->len,
					in->period_len, dir, flags, ret_xfer)
		      : dma_xfer_cyclic(p->src->att, p->src_off, p->len,
					in->period_len, dir, flags, ret_xfer);
}

/* Make the engine transfers and the record (prepared); all or nothing. */
static int prep_make(struct dmaengine_file *df,
		     const struct dmabufd_dma_prep *in,
		     const struct prep_args *a, struct dma_node_xfer **ret_x)
{
	struct dma_node_xfer *x;
	int r;

	x = calloc(1, sizeof(*x) + a->n * sizeof(x->piece[0]));
	if (!x)
		return -ENOMEM;
	x->df = df;
	x->npieces = a->n;
	for (unsigned i = 0; i < a->n; i++) {
		x->piece[i].x = x;
		r = piece_make(in, &a->piece[i], &x->piece[i].xfer);
		if (r < 0) {
			/* Back to the pool with what was made. */
			xfer_free(x);
			return r;
		}
		x->piece[i].dst = a->piece[i].dst;
		x->piece[i].src = a->piece[i].src;
		if (x->piece[i].dst)
			x->piece[i].dst->users++;
		if (x->piece[i].src)
			x->piece[i].src->users++;
	}
	if (in->type == DMABUFD_DMA_CYCLIC &&
	    (in->flags & DMABUFD_DMA_PREP_INTERRUPT))
		dma_xfer_set_period_cb(x->piece[0].xfer, xfer_period_fired, x);
	x->state = XFER_PREPARED;
	x->type = in->type;
	x->direction = in->direction;
	x->flags = in->flags;
	x->len = a->len;
	do
		x->desc_id = df->next_desc_id++;
	while (x->desc_id == 0);
	x->seq = ++df->last_xfer_seq;
	TAILQ_INSERT_TAIL(&df->prepared, x, link);
	df->num_live++;
	*ret_x = x;
	return 0;
}

static void dma_prep_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_prep *in = dev_req_input(req, sizeof(*in));
	struct dmaengine_file *df = req->file->dmaengine;
	_cleanup_free_ struct dmabufd_dma_prep *out = NULL;
	dma_cookie_t old_cookie = df->cookie;
	bool old_wrapped = df->wrapped;
	struct dma_node_xfer *x;
	struct prep_args a;
	int r;

	if (!in)
		return dev_req_fail(req, -EINVAL);
	r = prep_check(df, in, &a);
	if (r < 0)
		return dev_req_fail(req, r);
	out = malloc(sizeof(*out));
	if (!out)
		return dev_req_fail(req, -ENOMEM);
	r = prep_make(df, in, &a, &x);
	if (r < 0)
		return dev_req_fail(req, r);
	*out = *in;
	out->desc_id = x->desc_id;
	out->cookie = 0;
	if (in->flags & DMABUFD_DMA_PREP_SUBMIT) {
		r = xfer_submit(x);
		if (r < 0) {
			TAILQ_REMOVE(&df->prepared, x, link);
			df->num_live--;
			xfer_free(x);
			return dev_req_fail(req, r);
		}
		out->desc_id = 0;
		out->cookie = x->cookie;
	}
	if (in->flags & DMABUFD_DMA_PREP_ISSUE) {
		r = issue_pending(df);
		if (r < 0 && x->state == XFER_SUBMITTED) {
			/* Take it back whole: it is the newest cookie. */
			TAILQ_REMOVE(&df->submitted, x, link);
			df->num_live--;
			xfer_free(x);
			df->cookie = old_cookie;
			df->wrapped = old_wrapped;
			update_completed(df);
		}
		if (r < 0)
			return dev_req_fail(req, r);
	}
	dev_req_reply(req, 0, out, sizeof(*out));
}

static void dma_submit_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_submit *in = dev_req_input(req, sizeof(*in));
	struct dmaengine_file *df = req->file->dmaengine;
	struct dmabufd_dma_submit out;
	struct dma_node_xfer *x;
	int r;

	if (!in)
		return dev_req_fail(req, -EINVAL);
	TAILQ_FOREACH(x, &df->prepared, link)
		if (x->desc_id == in->desc_id)
			break;
	if (!x || in->desc_id == 0)
		return dev_req_fail(req, -EINVAL);
	r = xfer_submit(x);
	if (r < 0)
		return dev_req_fail(req, r);
	out = (struct dmabufd_dma_submit){ .desc_id = in->desc_id,
					   .cookie = x->cookie };
	dev_req_reply(req, 0, &out, sizeof(out));
}

static void dma_issue_pending_ioctl(struct dev_req *req)
{
	int r = issue_pending(req->file->dmaengine);

	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, NULL, 0);
}

/* ---- TX_STATUS, FENCE -------------------------------------------------- */

/*
 * The status of an issued @x from its pieces': an error if one has one,
 * else paused if one is, else in progress until all are complete; the
 * residue and bytes in flight are the sums.
 */
static enum dma_status xfer_status(const struct dma_node_xfer *x,
				   struct dma_tx_state *ret_state, int *ret_error)
{
	bool paused = false, done = true;
	int error = x->error;

	*ret_state = (struct dma_tx_state){ 0 };
	for (unsigned i = 0; i < x->npieces; i++) {
		struct dma_tx_state st = { 0 };
		enum dma_status s;

		if (!x->piece[i].xfer)
			continue;
		s = dma_xfer_status(x->piece[i].xfer, &st);
		ret_state->residue += st.residue;
		ret_state->in_flight_bytes += st.in_flight_bytes;
		if (s == DMA_ERROR && !error)
			error = dma_xfer_result(x->piece[i].xfer);
		paused |= s == DMA_PAUSED;
		done &= s == DMA_COMPLETE;
	}
	*ret_error = error < 0 ? error : 0;
	if (*ret_error)
		return DMA_ERROR;
	return paused ? DMA_PAUSED : done ? DMA_COMPLETE : DMA_IN_PROGRESS;
}

/* The TX_STATUS answer for @cookie (>= DMA_MIN_COOKIE) on @df. */
static void tx_status_fill(struct dmaengine_file *df, dma_cookie_t cookie,
			   struct dmabufd_dma_tx_status *out)
{
	struct dma_tx_state state = { 0 };
	struct dma_node_xfer *x;

	*out = (struct dmabufd_dma_tx_status){
		.cookie = cookie,
		.last = df->completed,
		.used = df->cookie,
	};
	x = xfer_find_cookie(df, cookie);
	if (!x) {
		out->status = dma_async_is_complete(cookie, df->completed,
						    df->cookie);
	} else if (x->state == XFER_SUBMITTED) {
		out->status = DMABUFD_DMA_IN_PROGRESS;
		out->residue = (uint32_t)x->len;
	} else if (x->state == XFER_ISSUED) {
		out->status = xfer_status(x, &state, &out->error);
		out->residue = state.residue;
		out->in_flight_bytes = state.in_flight_bytes;
	} else {
		out->status = x->error ? DMABUFD_DMA_ERROR : DMABUFD_DMA_COMPLETE;
		out->error = x->error;
	}
	if (out->error > 0)
		out->error = 0;
	out->result = result_of(out->error);
}

static void dma_tx_status_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_tx_status *in = dev_req_input(req, sizeof(*in));
	struct dmabufd_dma_tx_status out;

	if (!in || in->cookie < DMA_MIN_COOKIE)
		return dev_req_fail(req, -EINVAL);
	tx_status_fill(req->file->dmaengine, in->cookie, &out);
	dev_req_reply(req, 0, &out, sizeof(out));
}

/* ---- WAIT -------------------------------------------------------------- */

static void dma_wait_finish(struct dev_req *req, int64_t result)
{
	struct dmabufd_dma_wait out = { 0 };

	if (result == 0)
		return dev_req_fail(req, -ETIME);
	tx_status_fill(req->file->dmaengine, (dma_cookie_t)req->arg,
		       &out.status);
	dev_req_reply(req, 0, &out, sizeof(out));
}

static void dma_wait_done(struct fence_wait *wait, int64_t result)
{
	dma_wait_finish(container_of(wait, struct dev_req, wait), result);
}

static void dma_wait_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_wait *in = dev_req_input(req, sizeof(*in));
	_cleanup_(fence_unrefp) struct fence *fence = NULL;
	struct dmabufd_dma_tx_status want = { 0 };
	int64_t timeout, w;
	int r;

	if (!in || in->timeout_ns < 0 || in->flags || in->pad)
		return dev_req_fail(req, -EINVAL);
	want.cookie = in->status.cookie;
	if (memcmp(&want, &in->status, sizeof(want)))
		return dev_req_fail(req, -EINVAL);
	r = dmaengine_node_cookie_fence(req->file, in->status.cookie, &fence);
	if (r < 0)
		return dev_req_fail(req, r);
	req->arg = in->status.cookie;
	timeout = in->timeout_ns < dev_max_wait_ns() ? in->timeout_ns
						     : dev_max_wait_ns();
	w = fence_wait_start(&req->wait, &fence, 1, FENCE_WAIT_ALL, timeout,
			     dma_wait_done);
	if (w == -EINPROGRESS) {
		dev_req_defer(req, dev_req_cancel_wait);
		return;
	}
	if (w < 0)
		return dev_req_fail(req, (int)w);
	dma_wait_finish(req, w);
}

int dmaengine_node_cookie_fence(struct dev_file *file, int32_t cookie,
				struct fence **ret_fence)
{
	struct dmaengine_file *df = file->dmaengine;
	struct dma_node_xfer *x;
	struct fence *fence;

	if (!df || !df->chan)
		return -EBADFD;
	if (!cookie_was_used(df, cookie))
		return -EINVAL;
	x = xfer_find_cookie(df, cookie);
	/* Ended long ago (or cookie 1, which reads complete from the start). */
	fence = x ? fence_ref(x->fence) : fence_get_stub();
	if (!fence)
		return -ENOMEM;
	*ret_fence = fence;
	return 0;
}

static void dma_fence_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_fence *in = dev_req_input(req, sizeof(*in));
	_cleanup_(fence_unrefp) struct fence *fence = NULL;
	struct dmabufd_dma_fence out;
	int r;

	if (!in || in->pad)
		return dev_req_fail(req, -EINVAL);
	r = dmaengine_node_cookie_fence(req->file, in->cookie, &fence);
	if (r < 0)
		return dev_req_fail(req, r);
	out = (struct dmabufd_dma_fence){ .cookie = in->cookie };
	r = dev_file_issue_sync_file(req->file, fence, &out.token);
	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, &out, sizeof(out));
}

/* Make the fd's status page if it has none, and a token for it. */
static void dma_status_map_ioctl(struct dev_req *req)
{
	struct dmaengine_file *df = req->file->dmaengine;
	struct dmabufd_dma_status_map out = { 0 };
	int r;

	if (!df->status) {
		r = status_page_new(&df->status);
		if (r < 0) {
			log_warn("dmaengine: no status page for %s: %s",
				 df->chan->name, strerror(-r));
			return dev_req_fail(req, -ENOMEM);
		}
		status_publish(df);
	}
	/* The caller, not the opener: the fd may have been passed on. */
	r = token_new(&req->file->tokens, TOKEN_DMA_STATUS, df->status,
		      O_RDONLY, req->caller_uid, &out.token);
	if (r < 0)
		return dev_req_fail(req, r);
	out.size = (uint32_t)status_page_size();
	dev_req_reply(req, 0, &out, sizeof(out));
}

/* ---- CONTROL, EVENTS --------------------------------------------------- */

static int dma_terminate(struct dmaengine_file *df)
{
	struct dma_node_xfer *x;

	TAILQ_FOREACH(x, &df->issued, link)
		x->no_event = true;
	while ((x = TAILQ_FIRST(&df->prepared)))
		xfer_cancel(x, -ECANCELED);
	while ((x = TAILQ_FIRST(&df->submitted)))
		xfer_cancel(x, -ECANCELED);
	return dmaengine_terminate_async(df->chan);
}

static void dma_control_ioctl(struct dev_req *req)
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
	status_publish(df);
	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, NULL, 0);
}

static void dma_events_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_events *in = dev_req_input(req, sizeof(*in));
	struct dmaengine_file *df = req->file->dmaengine;
	_cleanup_free_ struct dmabufd_dma_events *out = NULL;
	uint32_t max;

	if (!in || in->count > DMABUFD_DMA_MAX_EVENTS)
		return dev_req_fail(req, -EINVAL);
	max = in->count ? in->count : DMABUFD_DMA_MAX_EVENTS;
	out = calloc(1, sizeof(*out));
	if (!out)
		return dev_req_fail(req, -ENOMEM);
	while (df->ev_count && out->count < max) {
		out->events[out->count++] = df->events[df->ev_head];
		df->ev_head = (df->ev_head + 1) % DMABUFD_DMA_EVENT_QUEUE;
		df->ev_count--;
	}
	out->lost = df->ev_lost;
	df->ev_lost = 0;
	dev_req_reply(req, 0, out, sizeof(*out));
}

/* ---- node ops ---------------------------------------------------------- */

static void dmaengine_ioctl(struct dev_req *req)
{
	void (*handler)(struct dev_req *req);

	switch (req->cmd) {
	case DMABUFD_DMA_IOC_REQUEST_CHAN:
		return dma_request_ioctl(req);
	case DMABUFD_DMA_IOC_CAPS:
		handler = dma_caps_ioctl;
		break;
	case DMABUFD_DMA_IOC_SLAVE_CONFIG:
		handler = dma_slave_config_ioctl;
		break;
	case DMABUFD_DMA_IOC_ATTACH:
		handler = dma_attach_ioctl;
		break;
	case DMABUFD_DMA_IOC_DETACH:
		handler = dma_detach_ioctl;
		break;
	case DMABUFD_DMA_IOC_PREP:
		handler = dma_prep_ioctl;
		break;
	case DMABUFD_DMA_IOC_SUBMIT:
		handler = dma_submit_ioctl;
		break;
	case DMABUFD_DMA_IOC_ISSUE_PENDING:
		handler = dma_issue_pending_ioctl;
		break;
	case DMABUFD_DMA_IOC_TX_STATUS:
		handler = dma_tx_status_ioctl;
		break;
	case DMABUFD_DMA_IOC_FENCE:
		handler = dma_fence_ioctl;
		break;
	case DMABUFD_DMA_IOC_CONTROL:
		handler = dma_control_ioctl;
		break;
	case DMABUFD_DMA_IOC_EVENTS:
		handler = dma_events_ioctl;
		break;
	case DMABUFD_DMA_IOC_STATUS_MAP:
		handler = dma_status_map_ioctl;
		break;
	case DMABUFD_DMA_IOC_WAIT:
		handler = dma_wait_ioctl;
		break;
	default:
		return dev_req_fail(req, -ENOTTY);
	}
	if (!req->file->dmaengine->chan)
		return dev_req_fail(req, -EBADFD);
	/* Its controller went away: nothing starts or changes on the
	 * channel any more; what reads how transfers ended, or lets an
	 * attachment go, still works. */
	if (dma_chan_device_gone(req->file->dmaengine->chan) &&
	    req->cmd != DMABUFD_DMA_IOC_TX_STATUS &&
	    req->cmd != DMABUFD_DMA_IOC_STATUS_MAP &&
	    req->cmd != DMABUFD_DMA_IOC_FENCE &&
	    req->cmd != DMABUFD_DMA_IOC_WAIT &&
	    req->cmd != DMABUFD_DMA_IOC_EVENTS &&
	    req->cmd != DMABUFD_DMA_IOC_DETACH)
		return dev_req_fail(req, -ENODEV);
	handler(req);
}

static int dmaengine_open(struct dev_file *file)
{
	struct dmaengine_file *df = calloc(1, sizeof(*df));

	if (!df)
		return -ENOMEM;
	df->file = file;
	timer_init(&df->request_timer, request_timer_fired);
	LIST_INIT(&df->atts);
	df->next_att_id = 1;
	df->next_desc_id = 1;
	TAILQ_INIT(&df->prepared);
	TAILQ_INIT(&df->submitted);
	TAILQ_INIT(&df->issued);
	TAILQ_INIT(&df->history);
	df->cookie = df->completed = DMA_MIN_COOKIE;
	df->fence_context = fence_context_alloc(1);
	dma_cq_entry_init(&df->reap, reap_fired);
	dma_cq_entry_init(&df->gone, gone_fired);
	LIST_INSERT_HEAD(&all_files, df, link);
	file->dmaengine = df;
	return 0;
}

static void dmaengine_release(struct dev_file *file)
{
	struct dmaengine_file *df = file->dmaengine;
	struct xfer_list *lists[] = { &df->prepared, &df->submitted,
				      &df->issued, &df->history };
	struct dma_node_xfer *x;
	struct dma_node_att *a;

	/* Readers of the page stop trusting it; nothing is published now. */
	if (df->status)
		status_page_retire(df->status);
	/* dev_req_abort_file() cancelled a deferred request already. */
	request_unwait(df);
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		TAILQ_FOREACH(x, lists[i], link) {
			x->no_event = true;
			for (unsigned p = 0; p < x->npieces; p++)
				if (x->piece[p].xfer)
					dma_xfer_set_period_cb(x->piece[p].xfer,
							       NULL, NULL);
		}
	/* As TERMINATE: unissued transfers end here (-ECANCELED, no
	 * notice), issued ones in the channel's terminate. */
	while ((x = TAILQ_FIRST(&df->prepared)))
		xfer_cancel(x, -ECANCELED);
	while ((x = TAILQ_FIRST(&df->submitted)))
		xfer_cancel(x, -ECANCELED);
	if (df->chan)
		(void)dmaengine_terminate_sync(df->chan);
	df->unsynced = false;
	dma_cq_cancel(&df->reap);
	dma_cq_cancel(&df->gone);
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		while ((x = TAILQ_FIRST(lists[i]))) {
			TAILQ_REMOVE(lists[i], x, link);
			xfer_free(x);
		}
	while ((a = LIST_FIRST(&df->atts)))
		att_free(df, a);
	if (df->chan) {
		if (df->named_chan)
			df->chan->dbg_client_name[0] = '\0';
		dma_release_channel(df->chan);
		channels_held--;
		(void)notifier_sync();
	}
	chan_uncharge(df);
	status_page_unref(df->status);
	LIST_REMOVE(df, link);
	file->dmaengine = NULL;
	free(df);
}

static unsigned dmaengine_poll(struct dev_file *file, unsigned events,
			       bool arm)
{
	struct dmaengine_file *df = file->dmaengine;

	/* The newest poll handle stays with the file; event_push() wakes
	 * it when the queue stops being empty. */
	if (!df->chan)
		return POLLERR;
	return POLLOUT | POLLWRNORM |
	       (df->ev_count ? POLLIN | POLLRDNORM : 0);
}

const struct dev_node_ops dmaengine_node_ops = {
	.type = DEV_NODE_DMAENGINE,
	.open = dmaengine_open,
	.release = dmaengine_release,
	.ioctl = dmaengine_ioctl,
	.poll = dmaengine_poll,
};

/* ---- introspection ----------------------------------------------------- */

void dmaengine_node_xfer_record(const struct dma_node_xfer *x,
				struct dmabufd_ctl_dma_xfer *rec)
{
	const struct dmaengine_file *df = x->df;
	struct dma_tx_state state = { 0 };
	enum dma_status st;
	int error;

	*rec = (struct dmabufd_ctl_dma_xfer){
		.pid = (uint32_t)df->file->pid,
		.cookie = x->state == XFER_PREPARED ? 0 : x->cookie,
		.type = x->type,
		.direction = x->direction,
		.len = x->len,
		.residue = x->len,
		.periods = dma_xfer_periods(x->piece[0].xfer),
	};
	snprintf(rec->chan, sizeof(rec->chan), "%s", df->chan->name);
	switch (x->state) {
	case XFER_PREPARED:
		rec->state = DMABUFD_CTL_XFER_PREPARED;
		break;
	case XFER_SUBMITTED:
		rec->state = DMABUFD_CTL_XFER_SUBMITTED;
		break;
	default:
		st = xfer_status(x, &state, &error);
		/* The channel's cookie of the piece it is at. */
		for (unsigned i = 0; i < x->npieces && !rec->chan_cookie; i++)
			if (x->piece[i].xfer &&
			    dma_xfer_status(x->piece[i].xfer, NULL) != DMA_COMPLETE)
				rec->chan_cookie = dma_xfer_cookie(x->piece[i].xfer);
		rec->residue = state.residue;
		rec->state = st == DMA_PAUSED ? DMABUFD_CTL_XFER_PAUSED
			     : rec->chan_cookie ? DMABUFD_CTL_XFER_ACTIVE
						: DMABUFD_CTL_XFER_WAITING;
		break;
	}
}

uid_t dmaengine_node_xfer_owner(const struct dma_node_xfer *x)
{
	return x->df->file->uid;
}

struct dma_node_xfer *dmaengine_node_xfer_seek(uint64_t *fd_id,
					       uint64_t *seq)
{
	const struct dmaengine_file *df, *best_df = NULL;
	struct dma_node_xfer *x, *best = NULL;

	/* The fd with the smallest open number >= *fd_id that has one. */
	LIST_FOREACH(df, &all_files, link) {
		const struct xfer_list *lists[] = { &df->issued, &df->submitted,
						    &df->prepared };
		struct dma_node_xfer *first = NULL;

		if (dev_file_id(df->file) < *fd_id || !df->num_live ||
		    (best_df && dev_file_id(df->file) > dev_file_id(best_df->file)))
			continue;
		/* Its transfer with the smallest number past the cursor. */
		for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
			TAILQ_FOREACH(x, lists[l], link)
				if ((dev_file_id(df->file) > *fd_id || x->seq >= *seq) &&
				    (!first || x->seq < first->seq))
					first = x;
		if (first) {
			best_df = df;
			best = first;
		}
	}
	if (best) {
		*fd_id = dev_file_id(best_df->file);
		*seq = best->seq;
	}
	return best;
}
