/* SPDX-License-Identifier: MIT */
/*
 * /sys/kernel/debug/sync/info, after sync_info_debugfs_show() in
 * drivers/dma-buf/sync_debug.c (6.12; the same text in 6.1):
 *
 *   objs:
 *   --------------
 *   per sw_sync timeline, oldest first (closed ones whose points are
 *   still held included, as the kernel keeps a timeline until its last
 *   point goes):
 *     %s: %d                            name (its opener's comm), value
 *     per pending point, in seqno order (sync_print_obj(), show false):
 *       "  fence %s[@%lld.%09ld]: %llu / %d"   status, signal time,
 *                                               seqno / timeline value
 *     (blank line)
 *   fences:
 *   --------------
 *   per sync_file (sync_print_sync_file()):
 *     [%p] %s: %s                       the file, its name, its status
 *     per fence (an array's leaves, else the fence; show true):
 *       "  %s_fence %s[@%lld.%09ld][: %llu / %d]"   timeline name, ...
 *     (blank line)
 *
 * Statuses are sync_status_str()'s: "active" (pending), "signaled",
 * "error"; the time (CLOCK_MONOTONIC, the kernel's ktime_get()) only
 * once signaled; the ": seqno / value" part only for sw_sync points,
 * the fences whose ops have fence_value_str in the kernel.
 *
 * The "fences:" section lists every open file bound to a sync_file (a
 * fd of the sync_file node, a claimed fence), in open order, "[%p]"
 * being the file's open number in 16 hex digits (the kernel prints a
 * hashed pointer). The kernel itself lists none there: since sync_file
 * left staging, nothing calls sync_file_debug_add() (checked in 6.1), so
 * its section is always empty; the daemon prints what the format
 * describes. For a fence that is not a sw_sync point the kernel's
 * show=true line would take the name of a sync_timeline that is not
 * there (dma_fence_parent()); the daemon prints the fence's timeline
 * name (a DMA fence: its channel's). Owners (hidepid): a timeline its
 * opener's uid, a sync_file its file's opener's.
 */
#include "debug.h"

#include <stdio.h>

#include "dev/file.h"
#include "model/fence.h"
#include "model/fence_array.h"
#include "model/sync_file.h"
#include "model/timeline.h"

enum { SEC_OBJS, SEC_TIMELINES, SEC_FENCES, SEC_SYNC_FILES };

/* sync_status_str() */
static const char *status_str(int status)
{
	return status < 0 ? "error" : status > 0 ? "signaled" : "active";
}

/*
 * sync_print_fence(): one line. @show names the timeline (the
 * sync_file section) as "<name>_"; the timeline section does not.
 */
static void show_fence(struct debug_out *o, struct fence *fence, bool show)
{
	char when[48] = "", value[64] = "";
	struct timeline *tl;

	if (fence->flags & (1u << FENCE_FLAG_TIMESTAMP_BIT)) {
		uint64_t ts = fence_timestamp(fence);

		snprintf(when, sizeof(when), "@%lld.%09ld",
			 (long long)(ts / 1000000000u),
			 (long)(ts % 1000000000u));
	}
	if (fence_is_sync_pt(fence) && (tl = sync_pt_timeline(fence)))
		snprintf(value, sizeof(value), ": %lld / %d",
			 (long long)fence->seqno, (int)timeline_value(tl));
	debug_printf(o, "  %s%sfence %s%s%s\n",
		     show ? fence_timeline_name(fence) : "", show ? "_" : "",
		     status_str(fence_peek_status(fence)), when, value);
}

static int show_point(struct fence *fence, void *data)
{
	show_fence(data, fence, false);
	return 0;
}

static void show_sync_file(struct debug_out *o, const struct dev_file *file)
{
	struct fence *fence = sync_file_fence(file->sync_file);
	char name[SYNC_FILE_NAME_LEN];
	unsigned n = fence_unwrap_count(fence);

	debug_printf(o, "[%016llx] %s: %s\n",
		     (unsigned long long)dev_file_id(file),
		     sync_file_get_name(file->sync_file, name),
		     status_str(fence_peek_status(fence)));
	if (fence_is_array(fence))
		for (unsigned i = 0; i < n; i++)
			show_fence(o, fence_unwrap_at(fence, i), true);
	else
		show_fence(o, fence, true);
	debug_printf(o, "\n");
}

static void step(struct debug_cursor *c, struct debug_out *o)
{
	struct timeline *tl;
	struct dev_file *file;
	int r;

	switch (c->section) {
	case SEC_OBJS:
		debug_printf(o, "objs:\n--------------\n");
		c->section = SEC_TIMELINES;
		c->key = 0;
		break;
	case SEC_TIMELINES:
		tl = timeline_seek(c->key);
		if (!tl) {
			c->section = SEC_FENCES;
			break;
		}
		c->key = timeline_list_seq(tl) + 1;
		if (!debug_may_see(c, timeline_owner(tl))) {
			c->hidden++;
			break;
		}
		/* sync_print_obj(): obj->value is a u32 printed with %d. */
		debug_printf(o, "%s: %d\n", timeline_name(tl),
			     (int)timeline_value(tl));
		(void)timeline_foreach_pending(tl, show_point, o);
		debug_printf(o, "\n");
		c->count++;
		break;
	case SEC_FENCES:
		debug_printf(o, "fences:\n--------------\n");
		c->section = SEC_SYNC_FILES;
		c->key = 0;
		break;
	default:
		/* Files of other kinds are passed over, 64 per step at most. */
		r = dev_file_seek_sync_file(&c->key, 64, &file);
		if (r <= 0) {
			c->done = r == 0;
			break;
		}
		c->key = dev_file_id(file) + 1;
		if (!debug_may_see(c, file->uid)) {
			c->hidden++;
			break;
		}
		show_sync_file(o, file);
		break;
	}
}

const struct debug_view debug_view_sync_info = {
	.id = DEBUG_VIEW_SYNC_INFO,
	.path = "sync/info",
	.step = step,
};
