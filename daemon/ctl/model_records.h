/* SPDX-License-Identifier: MIT */
/*
 * model_records - the control socket's listings of the object model as
 * fixed-size records (proto/dmabufd/control.h), made a batch at a time
 * (listing.h): heaps with their usage, dma-bufs (what the kernel's
 * dma_buf/bufinfo shows), fences, and sw_sync timelines. Each is in
 * its objects' creation (registration) order and resumes by their list
 * number. A record reads its object and changes nothing: no fence is
 * signaled or polled for it. Threading: loop thread only.
 */
#pragma once

#include "listing.h"

/* Registered heaps, in registration order. */
extern const struct ctl_lister ctl_heap_lister;

/* Live dma-bufs, orphaned ones included, oldest first. */
extern const struct ctl_lister ctl_buffer_lister;

/*
 * Live fences, oldest first (not the global stub). age_ns is taken
 * against the listing's @now, one clock read for the whole listing.
 */
extern const struct ctl_lister ctl_fence_lister;

/* Live sw_sync timelines, closed ones included, oldest first. */
extern const struct ctl_lister ctl_timeline_lister;
