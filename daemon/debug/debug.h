/* SPDX-License-Identifier: MIT */
/*
 * debug - the kernel's debugfs views, rendered by the daemon in the
 * kernel's own text formats, so that scripts and parsers written for
 * /sys/kernel/debug work on dmabufd's objects unchanged:
 *
 *   DEBUG_VIEW_BUFINFO      dma_buf/bufinfo    (bufinfo.c)
 *   DEBUG_VIEW_SYNC_INFO    sync/info          (sync_info.c)
 *   DEBUG_VIEW_DMA_SUMMARY  dmaengine/summary  (dma_summary.c)
 *
 * Formats: Linux 6.12 (the version reference/abi.md describes), which
 * for these three files is the same as Debian's 6.1; each renderer
 * names the kernel function it follows. Where the daemon does not have
 * a field the kernel prints, the renderer says what it prints instead
 * (and man/dmabufctl.1.scd repeats it).
 *
 * A view is made a batch at a time, like the control socket's listings
 * (ctl/listing.h): between two batches nothing is held but a cursor
 * (struct debug_cursor: a section, the key of the next object, how many
 * lines of that object already went, and the running totals). A batch
 * is at most DEBUG_BATCH_BYTES of text and DEBUG_BATCH_STEPS object
 * seeks, whatever the number of objects. Text is cut only at line ends:
 * an object whose lines do not all fit goes on in the next batch from
 * its first line not sent (seq_file's way), so a huge object (a buffer
 * with thousands of fences) costs several batches, never a big buffer.
 * An object alive through the whole view appears once; each object's
 * lines show its state when its batch was made.
 *
 * Who sees what, as the listings (hidepid): root and the daemon's own
 * uid see every object; another uid sees only the buffers, timelines
 * and sync_files it owns, and DMA channels another uid holds show
 * "in-use" in place of their holder. The objects it may not see are
 * left out of the text altogether and counted in @hidden; totals
 * ("Total N objects, M bytes") count only what the text shows, so a
 * parser that sums the lines gets the total line back.
 *
 * No libuv, no libfuse: the control socket (ctl/control.c) and the FUSE
 * fallback's read-only files (transport/fuse.c) both drive it. Loop
 * thread only (the model's thread); a batch reads objects and changes
 * nothing (no fence is signaled or asked for its state to render it).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/macros.h"

enum debug_view_id {
	DEBUG_VIEW_BUFINFO,
	DEBUG_VIEW_SYNC_INFO,
	DEBUG_VIEW_DMA_SUMMARY,
	_DEBUG_VIEW_MAX,
};

/* Text per batch at most (the control socket's message holds this). */
#define DEBUG_BATCH_BYTES 16384
/* Object seeks per batch at most (objects the filter skips count too). */
#define DEBUG_BATCH_STEPS 256
/* The longest chunk a renderer prints at once (longer ones are cut). */
#define DEBUG_LINE_MAX 512

struct debug_cursor;
struct debug_out;

struct debug_view {
	enum debug_view_id id;
	const char *path; /* under /sys/kernel/debug: "dma_buf/bufinfo" */
	/*
	 * Render the unit (a section's heading or footer, or one object)
	 * at @c with debug_printf() and move @c past it (the next section,
	 * or the key after the object). When @o fills up meanwhile, the
	 * driver puts @c back and the unit is rendered again in the next
	 * batch, its lines already sent skipped; so a step must depend on
	 * @c and the objects only.
	 */
	void (*step)(struct debug_cursor *c, struct debug_out *o);
};

struct debug_cursor {
	const struct debug_view *view;
	uid_t uid;          /* the reader's (SO_PEERCRED, or the FUSE opener) */
	unsigned section;   /* the view's own numbering; 0 first */
	uint64_t key;       /* the next object of the section: key >= it */
	unsigned line;      /* chunks of the unit at the cursor already sent */
	uint64_t count;     /* running totals, for a footer */
	uint64_t bytes;
	uint64_t hidden;    /* objects left out for the reader, so far */
	bool done;          /* the last unit went */
};

extern const struct debug_view debug_view_bufinfo;
extern const struct debug_view debug_view_sync_info;
extern const struct debug_view debug_view_dma_summary;

/* The view of @id, or NULL. */
const struct debug_view *debug_view_get(enum debug_view_id id);

/* Start @c at the beginning of @view for a reader of @uid. */
void debug_cursor_init(struct debug_cursor *c, const struct debug_view *view,
		       uid_t uid);

/*
 * Render the next batch into @buf (@size bytes, at least DEBUG_LINE_MAX):
 * whole lines only, as many as fit, at most DEBUG_BATCH_STEPS units.
 * Returns the bytes written (0 is possible before the end: a batch of
 * skipped objects). Sets @c->done after the last unit. Must not be called
 * once @c->done.
 */
size_t debug_view_batch(struct debug_cursor *c, char *buf, size_t size);

/* Whether the reader of @c sees every object (root, the daemon's uid). */
bool debug_sees_all(const struct debug_cursor *c);
/* Whether the reader of @c may see an object owned by @owner. */
bool debug_may_see(const struct debug_cursor *c, uid_t owner);

/*
 * Append text to the batch, printf-style: whole lines (ending in '\n'),
 * at most DEBUG_LINE_MAX bytes (cut there). Each call is one chunk that
 * goes whole or not at all: chunks of the current unit that went in an
 * earlier batch are skipped, and once a chunk does not fit, @o is full
 * and every further call of this unit is a no-op.
 */
void debug_printf(struct debug_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
