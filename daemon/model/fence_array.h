/* SPDX-License-Identifier: MIT */
/*
 * fence_array - a fence that signals when all of its child fences have
 * signaled (dma_fence_array), and the unwrap/merge rules built on it.
 *
 * An array holds a reference to each child and a callback on each pending
 * one; it signals, synchronously, when the last child does, carrying the
 * first child error it saw. Arrays are never nested: creating one from
 * fences that are themselves arrays flattens them (dma_fence_unwrap).
 *
 * Driver name "dma_fence_array", timeline name "unbound", as the kernel's.
 *
 * Loop thread only.
 */
#pragma once

#include "fence.h"

struct fence_array;

/*
 * Create an array signaling when all @num (> 0) @fences have signaled, on
 * @context / @seqno. Takes its own reference to each child; the caller
 * keeps its references. Children that are arrays are flattened. Returns 0
 * and *ret_fence (one reference), -EINVAL for num == 0, -ENOMEM.
 */
int fence_array_create(struct fence *const *fences, unsigned num,
		       uint64_t context, uint64_t seqno,
		       struct fence **ret_fence);

/* True if @fence is a fence_array. */
bool fence_is_array(const struct fence *fence);

/*
 * The leaves of @fence: the children of an array, or the fence itself.
 * fence_unwrap_count() gives their number, fence_unwrap_at() the @i-th
 * (borrowed, no reference).
 */
unsigned fence_unwrap_count(const struct fence *fence);
struct fence *fence_unwrap_at(struct fence *fence, unsigned i);

/*
 * Merge @num fences as SYNC_IOC_MERGE does in Linux 6.12
 * (dma_fence_unwrap_merge): take the leaves of every input, drop the ones
 * that have signaled, keep only the latest fence of each context, sort by
 * context. No survivor gives a private signaled stub stamped with the
 * latest signal time among the inputs; one survivor is returned itself;
 * more become a new array on a fresh context with seqno 1.
 * Returns 0 and *ret_fence (one reference), -EINVAL, or -ENOMEM.
 */
int fence_unwrap_merge(struct fence *const *fences, unsigned num,
		       struct fence **ret_fence);
