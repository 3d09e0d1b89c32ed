/* SPDX-License-Identifier: MIT */
/*
 * timeline - the sw_sync timeline and its points (drivers/dma-buf/sw_sync.c).
 *
 * A timeline is a 32-bit counter on a fence context of its own, starting at
 * 0. timeline_create_fence() hands out points (struct sync_pt, a fence with
 * driver name "sw_sync" and the timeline's name) that signal when the
 * counter reaches their value; timeline_inc() moves the counter and signals,
 * in seqno order, every point it has reached. Values compare as 32-bit
 * serial numbers, so the counter may wrap.
 *
 * Life cycle: timeline_new() gives the caller (the sw_sync file) one
 * reference. Every point holds a reference on its timeline, so points may
 * outlive the file. When the file goes away its owner calls
 * timeline_close(): every point still pending is signaled with -ENOENT,
 * no point can be created any more, and the owner's reference is dropped.
 * A point leaves the timeline's pending list when the timeline signals it
 * and when its last reference goes. Points are signaled by the timeline
 * only; a point signaled some other way (fence_signal() by hand, the
 * -EDEADLK of a release with waiters) is treated as gone by every timeline
 * function from then on. Every timeline is on a list of live timelines
 * (timeline_foreach()) from timeline_new() until its last reference goes,
 * so a closed timeline whose points are still held is listed too.
 *
 * Threading: loop thread only, like the rest of the object model. Fence
 * callbacks run from inside timeline_create_fence(), timeline_inc() and
 * timeline_close(); they may call back into the timeline.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "fence.h"
#include "util/macros.h"

/* A timeline name holds at most 31 characters and the NUL. */
#define TIMELINE_NAME_LEN 32

/* The driver name of every sw_sync point. */
#define SW_SYNC_DRIVER_NAME "sw_sync"

struct timeline;

/*
 * Create a timeline named @name (at most TIMELINE_NAME_LEN - 1 characters;
 * sw_sync uses the opener's comm) at value 0 on a fresh fence context.
 * Returns 0 and *ret_timeline (one reference), -EINVAL for a NULL argument
 * or a name too long, or -ENOMEM.
 */
int timeline_new(const char *name, struct timeline **ret_timeline);

/* Whose it is (ACCT_NO_OWNER until set): its points are theirs too. */
void timeline_set_owner(struct timeline *tl, uid_t uid);
uid_t timeline_owner(const struct timeline *tl);

/* Take a reference. Returns @tl (NULL stays NULL). */
struct timeline *timeline_ref(struct timeline *tl);

/* Drop a reference; NULL is a no-op. Always returns NULL. */
struct timeline *timeline_unref(struct timeline *tl);
DEFINE_UNREF_CLEANUP(struct timeline, timeline_unref)

/*
 * The release of the sw_sync file: set -ENOENT on every pending point and
 * signal them in seqno order, refuse new points from now on, then drop the
 * caller's reference. NULL is a no-op. Always returns NULL.
 */
struct timeline *timeline_close(struct timeline *tl);

/*
 * SW_SYNC_IOC_CREATE_FENCE: a point with seqno @value on @tl. If @value is
 * not later than the timeline's value the point is born signaled (now). If
 * a pending point with @value exists, it is returned again (one more
 * reference), so two sync_files may share one fence. Returns 0 and
 * *ret_fence (one reference), -EINVAL for a NULL argument, -ENODEV once
 * the timeline has been closed, or -ENOMEM.
 */
int timeline_create_fence(struct timeline *tl, uint32_t value,
			  struct fence **ret_fence);

/*
 * SW_SYNC_IOC_INC: add @inc to the value (in steps of at most INT32_MAX, as
 * the kernel does, so that no point is stepped over by the 32-bit wrap
 * comparison) and signal, in seqno order, every pending point that is not
 * later than the new value. Returns 0, -EINVAL for a NULL @tl, or -ENODEV
 * once the timeline has been closed (the value does not move then).
 */
int timeline_inc(struct timeline *tl, uint32_t inc);

/* The current value. */
uint32_t timeline_value(const struct timeline *tl);

/* The name given to timeline_new(). Valid as long as @tl. */
const char *timeline_name(const struct timeline *tl);

/* The fence context of the timeline's points. */
uint64_t timeline_context(const struct timeline *tl);

/* True once timeline_close() has run. */
bool timeline_is_closed(const struct timeline *tl);

/* Number of points waiting for the timeline to reach them. */
unsigned timeline_pending_count(const struct timeline *tl);

/*
 * Call @fn on every pending point in seqno order (the borrowed fence, no
 * reference), for debug listings. @fn must not create, signal or release
 * points. Stops at the first non-zero return of @fn and returns it;
 * returns 0 when every point was visited.
 */
int timeline_foreach_pending(const struct timeline *tl,
			     int (*fn)(struct fence *fence, void *data),
			     void *data);

/*
 * Call @fn on every live timeline, oldest first, closed ones included,
 * until it returns non-zero; returns that value, or 0. @fn gets a borrowed
 * timeline and must not create, close or release timelines or points.
 */
int timeline_foreach(int (*fn)(struct timeline *tl, void *data), void *data);

/*
 * The live timeline (closed ones included) whose list number
 * (timeline_list_seq(): 1, 2, ... in timeline_new() order, never reused)
 * is the smallest one >= @seq, borrowed, or NULL. O(log n); a walk
 * resumes from the last number it saw + 1.
 */
struct timeline *timeline_seek(uint64_t seq);
uint64_t timeline_list_seq(const struct timeline *tl);

/* True if @fence is a sw_sync point. */
bool fence_is_sync_pt(const struct fence *fence);

/*
 * The timeline of the point @fence (borrowed, no reference), or NULL if
 * @fence is not a sw_sync point.
 */
struct timeline *sync_pt_timeline(const struct fence *fence);

/*
 * SW_SYNC_GET_DEADLINE: the earliest deadline (CLOCK_MONOTONIC ns, ordered
 * as the kernel's signed ktime_t: 2^63 and above are earlier than 0) ever
 * set on the point @fence with fence_set_deadline(). Returns 0 and
 * *ret_deadline_ns, -EINVAL if @fence is NULL or not a sw_sync point (a
 * merged array, a stub), or -ENOENT if no deadline was set while it was
 * pending.
 */
int sync_pt_get_deadline(const struct fence *fence, uint64_t *ret_deadline_ns);
