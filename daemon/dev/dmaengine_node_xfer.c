/* SPDX-License-Identifier: MIT */
/*
 * A dmaengine fd's transfers from PREP to the end of their history (the
 * four lists of dmaengine_node.c): the fd's cookies (cookie.h rules) and
 * fences (struct node_fence: one fence context per fd, seqno the cookie,
 * timeline the channel's name, made at SUBMIT), issuing the pieces to
 * dma_xfer_submit() in order, the ends seen in callbacks on the engine's
 * fences, the EVENTS queue, and what the status page says.
 *
 * An end runs inside fence_signal() of an engine's fence: xfer_ended()
 * moves the record to the history and publishes on the status page, then
 * signals the fd's fence and queues the event, so a client woken by
 * either reads the end on the page too. It drops no dma_xfer: that is
 * done later from the loop (the fd's "reap" completion-queue entry).
 *
 * Threading: loop thread only.
 */
#include "dmaengine_node_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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

uint32_t dma_node_result_of(int error)
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
			.result = dma_node_result_of(error),
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
 * error and pieces still running (dma_node_xfer_status() says DMA_ERROR), or a
 * transfer that ended successfully ahead of an older live one.
 * O(issued + history). Called whenever one of those changes, before the
 * change shows anywhere else (a fence, an event, a reply).
 */
void dma_node_status_publish(struct dmaengine_file *df)
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
void dma_node_update_completed(struct dmaengine_file *df)
{
	struct dma_node_xfer *x = TAILQ_FIRST(&df->issued);

	if (!x)
		x = TAILQ_FIRST(&df->submitted);
	df->completed = x ? cookie_prev(x->cookie) : df->cookie;
	dma_node_status_publish(df);
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
void dma_node_xfer_free(struct dma_node_xfer *x)
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
	dma_node_update_completed(df);
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
			dma_node_status_publish(x->df);
	}
	if (--x->pending == 0)
		xfer_ended(x, x->error);
}

static void piece_fence_fired(struct fence *fence, struct fence_cb *cb)
{
	piece_ended(container_of(cb, struct dma_node_piece, cb),
		    fence_get_status(fence));
}

void dma_node_xfer_period_fired(struct dma_xfer *xfer, void *data)
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
		dma_node_xfer_free(x);
		trimmed = true;
	}
	/* A trimmed failure reads DMA_COMPLETE now. */
	if (trimmed)
		dma_node_status_publish(df);
}

void dma_node_reap_fired(struct dma_cq_entry *entry)
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
void dma_node_xfer_cancel(struct dma_node_xfer *x, int error)
{
	struct dmaengine_file *df = x->df;

	if (x->state == XFER_PREPARED) {
		TAILQ_REMOVE(&df->prepared, x, link);
		df->num_live--;
		dma_node_xfer_free(x);
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
int dma_node_xfer_submit(struct dma_node_xfer *x)
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
	x->fence->producer = df->file->pid; /* the channel's holder */
	df->wrapped |= wrapped;
	x->cookie = df->cookie = cookie;
	TAILQ_REMOVE(&df->prepared, x, link);
	x->state = XFER_SUBMITTED;
	TAILQ_INSERT_TAIL(&df->submitted, x, link);
	dma_node_update_completed(df);
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
		dma_node_status_publish(df); /* issued with an error: DMA_ERROR */
	/* One count for the loop below, so @x cannot end inside it. */
	x->pending = queued + 1;
	for (unsigned i = 0; i < queued; i++) {
		struct dma_node_piece *p = &x->piece[i];

		p->engine_fence = fence_ref(dma_xfer_fence(p->xfer));
		p->engine_fence->owner = df->file->uid;
		if (!p->engine_fence->producer)
			p->engine_fence->producer = df->file->pid;
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
int dma_node_issue_pending(struct dmaengine_file *df)
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

struct dma_node_xfer *dma_node_xfer_find_cookie(struct dmaengine_file *df,
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
bool dma_node_cookie_was_used(const struct dmaengine_file *df,
			      dma_cookie_t cookie)
{
	return cookie >= DMA_MIN_COOKIE &&
	       (df->wrapped || cookie <= df->cookie);
}

/* ---- the status of an issued transfer ----------------------------------- */

/*
 * The status of an issued @x from its pieces': an error if one has one,
 * else paused if one is, else in progress until all are complete; the
 * residue and bytes in flight are the sums.
 */
enum dma_status dma_node_xfer_status(const struct dma_node_xfer *x,
				     struct dma_tx_state *ret_state,
				     int *ret_error)
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
