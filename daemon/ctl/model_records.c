/* SPDX-License-Identifier: MIT */
/*
 * The object model's listings of the control socket (model_records.h).
 * Each kind resumes by its list number (the model's seq_tree: heap_seek(),
 * dma_buf_seek(), fence_seek(), timeline_seek()), the key's @lo; fills
 * read only (fence states come from fence_peek_status(), which never
 * asks a producer and so never signals). Pids and comms are read from
 * /proc as the records are made (proc_name.h).
 */
#include "model_records.h"

#include <stdio.h>

#include <dmabufd/control.h>

#include "model/dma_buf.h"
#include "model/fence.h"
#include "model/heap.h"
#include "model/resv.h"
#include "model/timeline.h"
#include "util/proc_name.h"

/* Every model key has @hi 0: one past the last number ends the walk. */
#define MODEL_SEEK(name, type, seek_fn, seq_of)                 \
	static void *name(struct ctl_key *key)                  \
	{                                                       \
		type *obj = key->hi ? NULL : seek_fn(key->lo);  \
								\
		if (obj)                                        \
			key->lo = seq_of(obj);                  \
		return obj;                                     \
	}

#define LIST_SEQ(obj) ((obj)->list_node.seq)

/* Heaps. */

MODEL_SEEK(seek_heap, struct heap, heap_seek, LIST_SEQ)

static void fill_heap(const struct ctl_listing *l, void *obj, void *out)
{
	struct dmabufd_ctl_heap *rec = out;
	struct heap *heap = obj;
	struct heap_usage usage;

	heap_get_usage(heap, &usage);
	snprintf(rec->name, sizeof(rec->name), "%s", heap->name);
	rec->buffers = usage.buffers;
	rec->bytes = usage.bytes;
	rec->limit_bytes = usage.limit_bytes;
}

const struct ctl_lister ctl_heap_lister = {
	.op = DMABUFD_CTL_HEAPS,
	.rec_size = sizeof(struct dmabufd_ctl_heap),
	.seek = seek_heap,
	.fill = fill_heap,
};

/* Buffers. */

MODEL_SEEK(seek_buffer, struct dma_buf, dma_buf_seek, LIST_SEQ)

static void fill_buffer(const struct ctl_listing *l, void *obj, void *out)
{
	struct dmabufd_ctl_buffer *rec = out;
	const struct dma_buf_attachment *att;
	struct dma_buf *buf = obj;
	struct resv_iter it;
	struct fence *fence;

	rec->id = buf->id;
	rec->size = buf->size;
	snprintf(rec->name, sizeof(rec->name), "%s", dma_buf_get_name(buf));
	snprintf(rec->exporter, sizeof(rec->exporter), "%s", buf->exp_name);
	rec->mode = (uint32_t)buf->mode;
	rec->flags = (buf->orphaned ? DMABUFD_CTL_BUF_ORPHANED : 0) |
		     (buf->kernel_exported ? DMABUFD_CTL_BUF_KERNEL : 0);
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
	proc_name_get(buf->opener_pid, l->now, &rec->opener_pid,
		      rec->opener_comm);
	proc_name_get(buf->last_pid, l->now, &rec->last_pid, rec->last_comm);
}

static uid_t owner_buffer(const void *obj)
{
	return ((const struct dma_buf *)obj)->owner;
}

const struct ctl_lister ctl_buffer_lister = {
	.op = DMABUFD_CTL_BUFFERS,
	.rec_size = sizeof(struct dmabufd_ctl_buffer),
	.seek = seek_buffer,
	.owner = owner_buffer,
	.fill = fill_buffer,
};

/* Fences. */

MODEL_SEEK(seek_fence, struct fence, fence_seek, LIST_SEQ)

static void fill_fence(const struct ctl_listing *l, void *obj, void *out)
{
	struct dmabufd_ctl_fence *rec = out;
	struct fence *fence = obj;

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
	rec->age_ns = l->now > fence->created_ns ? l->now - fence->created_ns : 0;
	proc_name_get(fence->producer, l->now, &rec->producer_pid,
		      rec->producer_comm);
}

static uid_t owner_fence(const void *obj)
{
	return ((const struct fence *)obj)->owner;
}

const struct ctl_lister ctl_fence_lister = {
	.op = DMABUFD_CTL_FENCES,
	.rec_size = sizeof(struct dmabufd_ctl_fence),
	.seek = seek_fence,
	.owner = owner_fence,
	.fill = fill_fence,
};

/* Timelines. */

MODEL_SEEK(seek_timeline, struct timeline, timeline_seek, timeline_list_seq)

static void fill_timeline(const struct ctl_listing *l, void *obj, void *out)
{
	struct dmabufd_ctl_timeline *rec = out;
	struct timeline *tl = obj;

	snprintf(rec->name, sizeof(rec->name), "%s", timeline_name(tl));
	rec->context = timeline_context(tl);
	rec->value = timeline_value(tl);
	rec->pending = timeline_pending_count(tl);
	rec->flags = timeline_is_closed(tl) ? DMABUFD_CTL_TIMELINE_CLOSED : 0;
}

static uid_t owner_timeline(const void *obj)
{
	return timeline_owner(obj);
}

const struct ctl_lister ctl_timeline_lister = {
	.op = DMABUFD_CTL_TIMELINES,
	.rec_size = sizeof(struct dmabufd_ctl_timeline),
	.seek = seek_timeline,
	.owner = owner_timeline,
	.fill = fill_timeline,
};
