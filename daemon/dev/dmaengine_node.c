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
 * mirrors what TX_STATUS without residue answers:
 * dma_node_status_publish() runs wherever the fd's cookies, its failed
 * transfers in the history or its pause change, and xfer_ended()
 * publishes before it signals the fence or queues the event, so a client
 * woken by either reads the end there.
 *
 * Release (the last close, client death, daemon shutdown): no more
 * events; unissued transfers end with -ECANCELED; the channel is
 * terminated and synchronized (issued transfers end in it); then every
 * record, every attachment and the channel (dma_release_channel) go;
 * the status page is retired (generation 0) and lives on only for those
 * who still map it. Nothing else is left behind.
 *
 * This file has the dispatch, open, release and poll, and what the
 * control socket lists; the ioctls are in the dmaengine_node_*.c files
 * named after what they serve (dmaengine_node_internal.h lists them).
 *
 * Threading: loop thread only.
 */
#include "dmaengine_node_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include <dmabufd/control.h>

struct dma_node_file_list dma_node_files =
	LIST_HEAD_INITIALIZER(dma_node_files);

/* ---- node ops ---------------------------------------------------------- */

static void dmaengine_ioctl(struct dev_req *req)
{
	void (*handler)(struct dev_req *req);

	switch (req->cmd) {
	case DMABUFD_DMA_IOC_REQUEST_CHAN:
		return dma_node_request_ioctl(req);
	case DMABUFD_DMA_IOC_CAPS:
		handler = dma_node_caps_ioctl;
		break;
	case DMABUFD_DMA_IOC_SLAVE_CONFIG:
		handler = dma_node_slave_config_ioctl;
		break;
	case DMABUFD_DMA_IOC_ATTACH:
		handler = dma_node_attach_ioctl;
		break;
	case DMABUFD_DMA_IOC_DETACH:
		handler = dma_node_detach_ioctl;
		break;
	case DMABUFD_DMA_IOC_PREP:
		handler = dma_node_prep_ioctl;
		break;
	case DMABUFD_DMA_IOC_SUBMIT:
		handler = dma_node_submit_ioctl;
		break;
	case DMABUFD_DMA_IOC_ISSUE_PENDING:
		handler = dma_node_issue_pending_ioctl;
		break;
	case DMABUFD_DMA_IOC_TX_STATUS:
		handler = dma_node_tx_status_ioctl;
		break;
	case DMABUFD_DMA_IOC_FENCE:
		handler = dma_node_fence_ioctl;
		break;
	case DMABUFD_DMA_IOC_CONTROL:
		handler = dma_node_control_ioctl;
		break;
	case DMABUFD_DMA_IOC_EVENTS:
		handler = dma_node_events_ioctl;
		break;
	case DMABUFD_DMA_IOC_STATUS_MAP:
		handler = dma_node_status_map_ioctl;
		break;
	case DMABUFD_DMA_IOC_WAIT:
		handler = dma_node_wait_ioctl;
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
	timer_init(&df->request_timer, dma_node_request_timer_fired);
	LIST_INIT(&df->atts);
	df->next_att_id = 1;
	df->next_desc_id = 1;
	TAILQ_INIT(&df->prepared);
	TAILQ_INIT(&df->submitted);
	TAILQ_INIT(&df->issued);
	TAILQ_INIT(&df->history);
	df->cookie = df->completed = DMA_MIN_COOKIE;
	df->fence_context = fence_context_alloc(1);
	dma_cq_entry_init(&df->reap, dma_node_reap_fired);
	dma_cq_entry_init(&df->gone, dma_node_gone_fired);
	LIST_INSERT_HEAD(&dma_node_files, df, link);
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
	dma_node_request_unwait(df);
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
		dma_node_xfer_cancel(x, -ECANCELED);
	while ((x = TAILQ_FIRST(&df->submitted)))
		dma_node_xfer_cancel(x, -ECANCELED);
	if (df->chan)
		(void)dmaengine_terminate_sync(df->chan);
	df->unsynced = false;
	dma_cq_cancel(&df->reap);
	dma_cq_cancel(&df->gone);
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		while ((x = TAILQ_FIRST(lists[i]))) {
			TAILQ_REMOVE(lists[i], x, link);
			dma_node_xfer_free(x);
		}
	while ((a = LIST_FIRST(&df->atts)))
		dma_node_att_free(df, a);
	dma_node_chan_release(df);
	status_page_unref(df->status);
	LIST_REMOVE(df, link);
	file->dmaengine = NULL;
	free(df);
}

static void dmaengine_get_stats(struct dmabufd_ctl_stats *ret_stats)
{
	ret_stats->count[DMABUFD_STAT_DMA_CHANNELS] =
		dmaengine_node_channels_held();
	ret_stats->count[DMABUFD_STAT_DMA_STATUS_PAGES] = status_page_count();
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

struct dma_chan *dmaengine_node_file_chan(const struct dev_file *file)
{
	return file && file->dmaengine ? file->dmaengine->chan : NULL;
}

const struct dev_node_ops dmaengine_node_ops = {
	.type = DEV_NODE_DMAENGINE,
	.open = dmaengine_open,
	.release = dmaengine_release,
	.ioctl = dmaengine_ioctl,
	.poll = dmaengine_poll,
	.produces_fences = true,
	.get_stats = dmaengine_get_stats,
	.blockers = dma_node_wait_blockers,
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
		st = dma_node_xfer_status(x, &state, &error);
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
	LIST_FOREACH(df, &dma_node_files, link) {
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
