/* SPDX-License-Identifier: MIT */
/*
 * The object model's listings of the control socket (model_records.h).
 * Each listing walks its objects twice, once to count and once to fill;
 * nothing runs in between, since both walks are on the loop thread and
 * read only (fence states come from fence_peek_status(), which never asks
 * a producer and so never signals).
 */
#include "model_records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <dmabufd/control.h>

#include "model/clock.h"
#include "model/dma_buf.h"
#include "model/fence.h"
#include "model/heap.h"
#include "model/resv.h"
#include "model/timeline.h"

struct walk {
	void *recs;
	unsigned count, max;
	uint64_t now; /* the listing's snapshot time (clock_now_ns()) */
};

/* Room for @w->count records of @size; @w->count back to 0 for the fill. */
static int walk_alloc(struct walk *w, size_t size)
{
	w->max = w->count;
	w->count = 0;
	if (!w->max)
		return 0;
	w->recs = calloc(w->max, size);
	return w->recs ? 0 : -ENOMEM;
}

/* The next record to fill, or NULL when the counted room is used up. */
static void *walk_next(struct walk *w, size_t size)
{
	if (w->count == w->max)
		return NULL;
	return (char *)w->recs + size * w->count++;
}

/* Heaps. */

static int count_heap(struct heap *heap, void *data)
{
	((struct walk *)data)->count++;
	return 0;
}

static int add_heap(struct heap *heap, void *data)
{
	struct dmabufd_ctl_heap *rec = walk_next(data, sizeof(*rec));
	struct heap_usage usage;

	if (!rec)
		return 1;
	heap_get_usage(heap, &usage);
	snprintf(rec->name, sizeof(rec->name), "%s", heap->name);
	rec->buffers = usage.buffers;
	rec->bytes = usage.bytes;
	rec->limit_bytes = usage.limit_bytes;
	return 0;
}

int ctl_heaps(struct dmabufd_ctl_heap **ret_recs, unsigned *ret_count)
{
	struct walk w = { 0 };

	heap_foreach(count_heap, &w);
	if (walk_alloc(&w, sizeof(**ret_recs)) < 0)
		return -ENOMEM;
	heap_foreach(add_heap, &w);
	*ret_recs = w.recs;
	*ret_count = w.count;
	return 0;
}

/* Buffers. */

static int count_buffer(struct dma_buf *buf, void *data)
{
	((struct walk *)data)->count++;
	return 0;
}

static int add_buffer(struct dma_buf *buf, void *data)
{
	struct dmabufd_ctl_buffer *rec = walk_next(data, sizeof(*rec));
	const struct dma_buf_attachment *att;
	struct resv_iter it;
	struct fence *fence;

	if (!rec)
		return 1;
	rec->id = buf->id;
	rec->size = buf->size;
	snprintf(rec->name, sizeof(rec->name), "%s", dma_buf_get_name(buf));
	snprintf(rec->exporter, sizeof(rec->exporter), "%s", buf->exp_name);
	rec->mode = (uint32_t)buf->mode;
	rec->flags = buf->orphaned ? DMABUFD_CTL_BUF_ORPHANED : 0;
	rec->refcount = buf->refcount;
	rec->attachments = buf->num_attachments;
	TAILQ_FOREACH(att, &buf->attachments, node)
		if (att->map_count)
			rec->mapped++;
	rec->vmaps = buf->vmapping_counter;
	resv_for_each_fence(&it, &buf->resv, RESV_USAGE_BOOKKEEP, fence) {
		if (fence_peek_status(fence) != 0)
			continue;
		switch (it.fence_usage) {
		case RESV_USAGE_KERNEL:
			rec->fences_kernel++;
			break;
		case RESV_USAGE_WRITE:
			rec->fences_write++;
			break;
		case RESV_USAGE_READ:
			rec->fences_read++;
			break;
		case RESV_USAGE_BOOKKEEP:
			rec->fences_bookkeep++;
			break;
		}
	}
	return 0;
}

int ctl_buffers(struct dmabufd_ctl_buffer **ret_recs, unsigned *ret_count)
{
	struct walk w = { 0 };

	dma_buf_foreach(count_buffer, &w);
	if (walk_alloc(&w, sizeof(**ret_recs)) < 0)
		return -ENOMEM;
	dma_buf_foreach(add_buffer, &w);
	*ret_recs = w.recs;
	*ret_count = w.count;
	return 0;
}

/* Fences. */

static int count_fence(struct fence *fence, void *data)
{
	((struct walk *)data)->count++;
	return 0;
}

static int add_fence(struct fence *fence, void *data)
{
	struct walk *w = data;
	struct dmabufd_ctl_fence *rec = walk_next(w, sizeof(*rec));

	if (!rec)
		return 1;
	rec->context = fence->context;
	rec->seqno = fence->seqno;
	snprintf(rec->driver, sizeof(rec->driver), "%s",
		 fence_driver_name(fence));
	snprintf(rec->timeline, sizeof(rec->timeline), "%s",
		 fence_timeline_name(fence));
	rec->status = fence_peek_status(fence);
	rec->flags = (fence->flags & (1ul << FENCE_FLAG_ENABLE_SIGNAL_BIT))
			     ? DMABUFD_CTL_FENCE_ENABLED : 0;
	rec->refcount = fence->refcount;
	rec->waiters = fence_waiter_count(fence);
	rec->created_ns = fence->created_ns;
	rec->timestamp_ns = fence_timestamp(fence);
	rec->age_ns = w->now > fence->created_ns ? w->now - fence->created_ns : 0;
	return 0;
}

int ctl_fences(struct dmabufd_ctl_fence **ret_recs, unsigned *ret_count)
{
	struct walk w = { 0 };

	fence_foreach(count_fence, &w);
	if (walk_alloc(&w, sizeof(**ret_recs)) < 0)
		return -ENOMEM;
	w.now = clock_now_ns();
	fence_foreach(add_fence, &w);
	*ret_recs = w.recs;
	*ret_count = w.count;
	return 0;
}

/* Timelines. */

static int count_timeline(struct timeline *tl, void *data)
{
	((struct walk *)data)->count++;
	return 0;
}

static int add_timeline(struct timeline *tl, void *data)
{
	struct dmabufd_ctl_timeline *rec = walk_next(data, sizeof(*rec));

	if (!rec)
		return 1;
	snprintf(rec->name, sizeof(rec->name), "%s", timeline_name(tl));
	rec->context = timeline_context(tl);
	rec->value = timeline_value(tl);
	rec->pending = timeline_pending_count(tl);
	rec->flags = timeline_is_closed(tl) ? DMABUFD_CTL_TIMELINE_CLOSED : 0;
	return 0;
}

int ctl_timelines(struct dmabufd_ctl_timeline **ret_recs, unsigned *ret_count)
{
	struct walk w = { 0 };

	timeline_foreach(count_timeline, &w);
	if (walk_alloc(&w, sizeof(**ret_recs)) < 0)
		return -ENOMEM;
	timeline_foreach(add_timeline, &w);
	*ret_recs = w.recs;
	*ret_count = w.count;
	return 0;
}
