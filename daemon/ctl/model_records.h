/* SPDX-License-Identifier: MIT */
/*
 * model_records - the control socket's listings of the object model as
 * fixed-size records (proto/dmabufd/control.h): heaps with their usage,
 * dma-bufs (what the kernel's dma_buf/bufinfo shows), fences, and sw_sync
 * timelines.
 *
 * Each function returns 0 and a malloc'ed array the caller frees (NULL
 * when the count is 0), or -ENOMEM. The snapshot reads the objects and
 * changes nothing: no fence is signaled or polled for it. Threading: loop
 * thread only.
 */
#pragma once

struct dmabufd_ctl_heap;
struct dmabufd_ctl_buffer;
struct dmabufd_ctl_fence;
struct dmabufd_ctl_timeline;

/* Registered heaps, in registration order (heap_foreach()). */
int ctl_heaps(struct dmabufd_ctl_heap **ret_recs, unsigned *ret_count);

/* Live dma-bufs, oldest first (dma_buf_foreach()). */
int ctl_buffers(struct dmabufd_ctl_buffer **ret_recs, unsigned *ret_count);

/*
 * Live fences, oldest first (fence_foreach()). Every record's age_ns is
 * taken against one clock_now_ns() read for the whole listing.
 */
int ctl_fences(struct dmabufd_ctl_fence **ret_recs, unsigned *ret_count);

/* Live sw_sync timelines, oldest first (timeline_foreach()). */
int ctl_timelines(struct dmabufd_ctl_timeline **ret_recs, unsigned *ret_count);
