/* SPDX-License-Identifier: MIT */
/*
 * The batch driver of the debug views (debug.h). A batch runs units (a
 * view's step) one after the other into a fixed buffer; the first chunk
 * that does not fit ends the batch, the cursor goes back to the start of
 * that unit and remembers how many of its chunks went, so the next batch
 * renders the unit again and skips them. A unit's text that changed
 * between the two batches (a fence signaled) may so lose or repeat a
 * line; units that fit in one batch never do.
 */
#include "debug.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct debug_out {
	char *buf;
	size_t size;
	size_t len;
	unsigned skip;  /* chunks of this unit sent in an earlier batch */
	unsigned chunk; /* chunks of this unit seen so far */
	bool full;
	unsigned full_at; /* the first chunk that did not fit */
};

static const struct debug_view *const views[_DEBUG_VIEW_MAX] = {
	[DEBUG_VIEW_BUFINFO] = &debug_view_bufinfo,
	[DEBUG_VIEW_SYNC_INFO] = &debug_view_sync_info,
	[DEBUG_VIEW_DMA_SUMMARY] = &debug_view_dma_summary,
};

const struct debug_view *debug_view_get(enum debug_view_id id)
{
	return (unsigned)id < _DEBUG_VIEW_MAX ? views[id] : NULL;
}

void debug_cursor_init(struct debug_cursor *c, const struct debug_view *view,
		       uid_t uid)
{
	*c = (struct debug_cursor){ .view = view, .uid = uid };
}

bool debug_sees_all(const struct debug_cursor *c)
{
	return c->uid == 0 || c->uid == geteuid();
}

bool debug_may_see(const struct debug_cursor *c, uid_t owner)
{
	return debug_sees_all(c) || owner == c->uid;
}

void debug_printf(struct debug_out *o, const char *fmt, ...)
{
	char line[DEBUG_LINE_MAX];
	va_list ap;
	int n;

	if (o->full)
		return;
	if (o->chunk++ < o->skip)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		/* Cut: keep the line a line. */
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (o->len + (size_t)n > o->size) {
		o->full = true;
		o->full_at = o->chunk - 1;
		return;
	}
	memcpy(o->buf + o->len, line, (size_t)n);
	o->len += (size_t)n;
}

size_t debug_view_batch(struct debug_cursor *c, char *buf, size_t size)
{
	struct debug_out o = { .buf = buf, .size = size };
	struct debug_cursor saved;

	for (unsigned steps = 0; !c->done && steps < DEBUG_BATCH_STEPS; steps++) {
		saved = *c;
		o.skip = c->line;
		o.chunk = 0;
		c->view->step(c, &o);
		if (o.full) {
			/* Again from this unit, its first chunks skipped. A
			 * batch always takes at least one chunk (a chunk is
			 * at most DEBUG_LINE_MAX <= size), so this moves on. */
			*c = saved;
			c->line = o.full_at;
			break;
		}
		c->line = 0;
	}
	return o.len;
}
