/* SPDX-License-Identifier: MIT */
/*
 * What a dmaengine fd's client reads about its transfers: TX_STATUS (from
 * the records, the engine's residues for issued ones, or the cookie
 * rules for a cookie that left the history), WAIT (deferred on the
 * transfer's fence, bounded by --max-wait-ms; ETIME when it runs out;
 * the hang report names the implicit fences the transfer still waits
 * for, dma_node_wait_blockers()),
 * FENCE (a sync_file of the fd's fence, or a signaled stub for a cookie
 * that ended long ago), STATUS_MAP (the status page, made at the first
 * one, and a token for a read-only map of it) and EVENTS (the queue of
 * ends and cyclic periods, with the count of those lost to a full one).
 *
 * Threading: loop thread only.
 */
#include "dmaengine_node_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

/* ---- TX_STATUS --------------------------------------------------------- */

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
	x = dma_node_xfer_find_cookie(df, cookie);
	if (!x) {
		out->status = dma_async_is_complete(cookie, df->completed,
						    df->cookie);
	} else if (x->state == XFER_SUBMITTED) {
		out->status = DMABUFD_DMA_IN_PROGRESS;
		out->residue = (uint32_t)x->len;
	} else if (x->state == XFER_ISSUED) {
		out->status = dma_node_xfer_status(x, &state, &out->error);
		out->residue = state.residue;
		out->in_flight_bytes = state.in_flight_bytes;
	} else {
		out->status = x->error ? DMABUFD_DMA_ERROR : DMABUFD_DMA_COMPLETE;
		out->error = x->error;
	}
	if (out->error > 0)
		out->error = 0;
	out->result = dma_node_result_of(out->error);
}

void dma_node_tx_status_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_tx_status *in = dev_req_input(req, sizeof(*in));
	struct dmabufd_dma_tx_status out;

	if (!in || in->cookie < DMA_MIN_COOKIE)
		return dev_req_fail(req, -EINVAL);
	tx_status_fill(req->file->dmaengine, in->cookie, &out);
	dev_req_reply(req, 0, &out, sizeof(out));
}

/* ---- WAIT, FENCE, STATUS_MAP ------------------------------------------- */

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

void dma_node_wait_ioctl(struct dev_req *req)
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

unsigned dma_node_wait_blockers(const struct dev_req *req, struct fence **ret,
				unsigned max)
{
	struct dmaengine_file *df = req->file->dmaengine;
	struct dma_node_xfer *x;
	unsigned n = 0;

	if (req->cmd != DMABUFD_DMA_IOC_WAIT || !df)
		return 0;
	x = dma_node_xfer_find_cookie(df, (dma_cookie_t)req->arg);
	for (unsigned i = 0; x && i < x->npieces; i++)
		n += dma_xfer_blockers(x->piece[i].xfer, ret + (n < max ? n : max),
				       n < max ? max - n : 0);
	return n;
}

int dmaengine_node_cookie_fence(struct dev_file *file, int32_t cookie,
				struct fence **ret_fence)
{
	struct dmaengine_file *df = file->dmaengine;
	struct dma_node_xfer *x;
	struct fence *fence;

	if (!df || !df->chan)
		return -EBADFD;
	if (!dma_node_cookie_was_used(df, cookie))
		return -EINVAL;
	x = dma_node_xfer_find_cookie(df, cookie);
	/* Ended long ago (or cookie 1, which reads complete from the start). */
	fence = x ? fence_ref(x->fence) : fence_get_stub();
	if (!fence)
		return -ENOMEM;
	*ret_fence = fence;
	return 0;
}

void dma_node_fence_ioctl(struct dev_req *req)
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
void dma_node_status_map_ioctl(struct dev_req *req)
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
		dma_node_status_publish(df);
	}
	/* The caller, not the opener: the fd may have been passed on. */
	r = token_new(&req->file->tokens, TOKEN_DMA_STATUS, df->status,
		      O_RDONLY, req->caller_uid, &out.token);
	if (r < 0)
		return dev_req_fail(req, r);
	out.size = (uint32_t)status_page_size();
	dev_req_reply(req, 0, &out, sizeof(out));
}

/* ---- EVENTS ------------------------------------------------------------ */

void dma_node_events_ioctl(struct dev_req *req)
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
