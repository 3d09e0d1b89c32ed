/* SPDX-License-Identifier: MIT */
/*
 * The object listings: heaps, buffers (the kernel's dma_buf/bufinfo),
 * fences (sync_file debugfs), sw_sync timelines. One table each
 * (table.c); the column names are the JSON keys.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dmabufctl.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define U64(buf, size, v) (snprintf((buf), (size), "%" PRIu64, (uint64_t)(v)), (buf))
#define BOOL(v) ((v) ? "1" : "0")

/* ---- heaps ----------------------------------------------------------- */

enum { HEAP_NAME, HEAP_BUFFERS, HEAP_BYTES, HEAP_LIMIT };

static const struct col_def heap_cols[] = {
	[HEAP_NAME] = { "NAME", COL_STR, COL_DEFAULT,
			"the heap: the node dma_heap/NAME" },
	[HEAP_BUFFERS] = { "BUFFERS", COL_NUM, COL_DEFAULT | COL_RIGHT,
			   "buffers allocated and not freed" },
	[HEAP_BYTES] = { "BYTES", COL_NUM, COL_DEFAULT | COL_RIGHT,
			 "bytes they take" },
	[HEAP_LIMIT] = { "LIMIT_BYTES", COL_NUM, COL_DEFAULT | COL_RIGHT,
			 "allocations past it fail ENOMEM (text \"-\", JSON 0: none)" },
};

static const char *heap_cell(const void *rec, unsigned col, char *buf, size_t size)
{
	const struct dmabufd_ctl_heap *h = rec;

	switch (col) {
	case HEAP_NAME:
		return name_cell(buf, size, h->name, sizeof(h->name));
	case HEAP_BUFFERS:
		return U64(buf, size, h->buffers);
	case HEAP_BYTES:
		return U64(buf, size, h->bytes);
	case HEAP_LIMIT:
		return h->limit_bytes || opts.mode == OUT_JSON
			       ? U64(buf, size, h->limit_bytes)
			       : NULL;
	}
	return NULL;
}

const struct table_def heaps_table = {
	"heaps", "heaps", heap_cols, ARRAY_LEN(heap_cols), heap_cell,
};

int cmd_heaps(int argc, char **argv)
{
	return ctl_list_table(DMABUFD_CTL_HEAPS, "heaps", &heaps_table, NULL);
}

/* ---- buffers --------------------------------------------------------- */

enum {
	BUF_ID, BUF_SIZE, BUF_MODE, BUF_REFS, BUF_ATTACH, BUF_MAPPED, BUF_VMAPS,
	BUF_FENCES, BUF_F_KERNEL, BUF_F_WRITE, BUF_F_READ, BUF_F_BOOKKEEP,
	BUF_EXPORTER, BUF_NAME, BUF_ORPHANED, BUF_OPENER_PID, BUF_OPENER_COMM,
	BUF_LAST_PID, BUF_LAST_COMM, BUF_KERNEL,
};

static const struct col_def buf_cols[] = {
	[BUF_ID] = { "ID", COL_NUM, COL_DEFAULT,
		     "unique for the daemon's life (bufinfo's inode)" },
	[BUF_SIZE] = { "SIZE", COL_NUM, COL_DEFAULT | COL_RIGHT, "bytes" },
	[BUF_MODE] = { "MODE", COL_STR, COL_DEFAULT,
		       "access mode: r, w, rw, or - (O_ACCMODE)" },
	[BUF_REFS] = { "REFCOUNT", COL_NUM, COL_DEFAULT | COL_RIGHT,
		       "references: fds, claim tokens, armed polls" },
	[BUF_ATTACH] = { "ATTACHMENTS", COL_NUM, COL_DEFAULT | COL_RIGHT,
			 "importers (DMA channels)" },
	[BUF_MAPPED] = { "MAPPED", COL_NUM, COL_DEFAULT | COL_RIGHT,
			 "attachments mapped for DMA now" },
	[BUF_VMAPS] = { "VMAPS", COL_NUM, COL_DEFAULT | COL_RIGHT,
			"the daemon's own CPU mappings" },
	[BUF_FENCES] = { "FENCES", COL_STR, COL_DEFAULT | COL_TEXT,
			 "unsignaled fences: kernel/write/read/bookkeep" },
	[BUF_F_KERNEL] = { "FENCES_KERNEL", COL_NUM, COL_RIGHT,
			   "unsignaled kernel fences" },
	[BUF_F_WRITE] = { "FENCES_WRITE", COL_NUM, COL_RIGHT,
			  "unsignaled write fences" },
	[BUF_F_READ] = { "FENCES_READ", COL_NUM, COL_RIGHT,
			 "unsignaled read fences" },
	[BUF_F_BOOKKEEP] = { "FENCES_BOOKKEEP", COL_NUM, COL_RIGHT,
			     "unsignaled bookkeep fences" },
	[BUF_EXPORTER] = { "EXPORTER", COL_STR, COL_DEFAULT,
			   "the heap that exported it" },
	[BUF_NAME] = { "NAME", COL_STR, COL_DEFAULT,
		       "DMA_BUF_SET_NAME's (text: \" (orphaned)\" after it)" },
	[BUF_ORPHANED] = { "ORPHANED", COL_BOOL, 0,
			   "released while attached or vmapped" },
	[BUF_OPENER_PID] = { "OPENER_PID", COL_NUM, COL_RIGHT,
			     "the process that opened the first file bound to it" },
	[BUF_OPENER_COMM] = { "OPENER_COMM", COL_STR, 0,
			      "its comm, as of the listing" },
	[BUF_LAST_PID] = { "LAST_PID", COL_NUM, COL_RIGHT,
			   "the last caller of an ioctl on one of its fds" },
	[BUF_LAST_COMM] = { "LAST_COMM", COL_STR, 0,
			    "its comm, as of the listing" },
	[BUF_KERNEL] = { "KERNEL", COL_BOOL, 0,
			 "a kernel dma-buf made from it (udmabuf) is still "
			 "held in the kernel" },
};

/* A pid cell: none for 0 (no caller yet, or the daemon's own). */
static const char *pid_cell(uint32_t pid, char *buf, size_t size)
{
	return pid ? U64(buf, size, pid) : NULL;
}

static const char *mode_name(uint32_t mode)
{
	switch (mode) {
	case O_RDONLY:
		return "r";
	case O_WRONLY:
		return "w";
	case O_RDWR:
		return "rw";
	case O_ACCMODE:
		return "-";
	}
	return "?";
}

static const char *buf_cell(const void *rec, unsigned col, char *buf, size_t size)
{
	const struct dmabufd_ctl_buffer *b = rec;
	bool orphaned = b->flags & DMABUFD_CTL_BUF_ORPHANED;

	switch (col) {
	case BUF_ID:
		return U64(buf, size, b->id);
	case BUF_SIZE:
		return U64(buf, size, b->size);
	case BUF_MODE:
		return mode_name(b->mode);
	case BUF_REFS:
		return U64(buf, size, b->refcount);
	case BUF_ATTACH:
		return U64(buf, size, b->attachments);
	case BUF_MAPPED:
		return U64(buf, size, b->mapped);
	case BUF_VMAPS:
		return U64(buf, size, b->vmaps);
	case BUF_FENCES:
		snprintf(buf, size, "%u/%u/%u/%u", b->fences_kernel, b->fences_write,
			 b->fences_read, b->fences_bookkeep);
		return buf;
	case BUF_F_KERNEL:
		return U64(buf, size, b->fences_kernel);
	case BUF_F_WRITE:
		return U64(buf, size, b->fences_write);
	case BUF_F_READ:
		return U64(buf, size, b->fences_read);
	case BUF_F_BOOKKEEP:
		return U64(buf, size, b->fences_bookkeep);
	case BUF_EXPORTER:
		return name_cell(buf, size, b->exporter, sizeof(b->exporter));
	case BUF_NAME: {
		const char *s = name_cell(buf, size - 16, b->name, sizeof(b->name));

		if (orphaned && opts.mode == OUT_TEXT) {
			if (!s)
				snprintf(buf, size, "-");
			strcat(buf, " (orphaned)");
			return buf;
		}
		return s;
	}
	case BUF_ORPHANED:
		return BOOL(orphaned);
	case BUF_OPENER_PID:
		return pid_cell(b->opener_pid, buf, size);
	case BUF_OPENER_COMM:
		return name_cell(buf, size, b->opener_comm, sizeof(b->opener_comm));
	case BUF_LAST_PID:
		return pid_cell(b->last_pid, buf, size);
	case BUF_LAST_COMM:
		return name_cell(buf, size, b->last_comm, sizeof(b->last_comm));
	case BUF_KERNEL:
		return BOOL(b->flags & DMABUFD_CTL_BUF_KERNEL);
	}
	return NULL;
}

const struct table_def buffers_table = {
	"buffers", "buffers", buf_cols, ARRAY_LEN(buf_cols), buf_cell,
};

int cmd_buffers(int argc, char **argv)
{
	return ctl_list_table(DMABUFD_CTL_BUFFERS, "buffers", &buffers_table,
			      "FENCES: unsignaled kernel/write/read/bookkeep fences "
			      "of the reservation object");
}

/* ---- fences ---------------------------------------------------------- */

enum {
	FENCE_CONTEXT, FENCE_SEQNO, FENCE_DRIVER, FENCE_TIMELINE, FENCE_STATUS,
	FENCE_ERROR, FENCE_ERROR_NAME, FENCE_ENABLED, FENCE_AGE, FENCE_SIGNALED,
	FENCE_REFS, FENCE_WAITERS, FENCE_CREATED_NS, FENCE_TIMESTAMP_NS,
	FENCE_AGE_NS, FENCE_PRODUCER_PID, FENCE_PRODUCER_COMM,
};

static const struct col_def fence_cols[] = {
	[FENCE_CONTEXT] = { "CONTEXT", COL_NUM, COL_DEFAULT | COL_RIGHT,
			    "fence context (a timeline's, a channel's)" },
	[FENCE_SEQNO] = { "SEQNO", COL_NUM, COL_DEFAULT | COL_RIGHT,
			  "sequence number in its context" },
	[FENCE_DRIVER] = { "DRIVER", COL_STR, COL_DEFAULT,
			   "sw_sync, dmabufd-dma, ..." },
	[FENCE_TIMELINE] = { "TIMELINE", COL_STR, COL_DEFAULT,
			     "its timeline's or channel's name" },
	[FENCE_STATUS] = { "STATUS", COL_STR, COL_DEFAULT,
			   "pending, signaled or error (text: with its errno name)" },
	[FENCE_ERROR] = { "ERROR", COL_NUM, COL_RIGHT,
			  "the negative errno it signaled with, else 0" },
	[FENCE_ERROR_NAME] = { "ERROR_NAME", COL_STR, 0,
			       "that errno's name (ENOENT), else none" },
	[FENCE_ENABLED] = { "ENABLED", COL_BOOL, 0,
			    "someone waited for it (enable_signaling ran)" },
	[FENCE_AGE] = { "AGE", COL_STR, COL_DEFAULT | COL_TEXT | COL_RIGHT,
			"since it was created" },
	[FENCE_SIGNALED] = { "SIGNALED", COL_STR, COL_DEFAULT | COL_TEXT | COL_RIGHT,
			     "how long after its creation it signaled" },
	[FENCE_REFS] = { "REFCOUNT", COL_NUM, COL_DEFAULT | COL_RIGHT, "references" },
	[FENCE_WAITERS] = { "WAITERS", COL_NUM, COL_DEFAULT | COL_RIGHT,
			    "callbacks waiting for it" },
	[FENCE_CREATED_NS] = { "CREATED_NS", COL_NS, COL_RIGHT,
			       "created, the daemon's CLOCK_MONOTONIC" },
	[FENCE_TIMESTAMP_NS] = { "TIMESTAMP_NS", COL_NS, COL_RIGHT,
				 "signaled, CLOCK_MONOTONIC; 0 pending" },
	[FENCE_AGE_NS] = { "AGE_NS", COL_NS, COL_RIGHT,
			   "since it was created, at the request" },
	[FENCE_PRODUCER_PID] = { "PRODUCER_PID", COL_NUM, COL_RIGHT,
				 "the process that made it (a DMA fence: the "
				 "channel's holder)" },
	[FENCE_PRODUCER_COMM] = { "PRODUCER_COMM", COL_STR, 0,
				  "its comm, as of the listing" },
};

static const char *fence_state(int32_t status)
{
	return status == 0 ? "pending" : status == 1 ? "signaled" : "error";
}

/* "ENOENT" for -2; a number when the C library has no name for it. */
static const char *errno_name(int32_t status, char *buf, size_t size)
{
	const char *name = status < 0 ? strerrorname_np(-status) : NULL;

	if (name)
		return name;
	snprintf(buf, size, "%d", status);
	return buf;
}

static const char *fence_cell(const void *rec, unsigned col, char *buf, size_t size)
{
	const struct dmabufd_ctl_fence *f = rec;
	char num[16];

	switch (col) {
	case FENCE_CONTEXT:
		return U64(buf, size, f->context);
	case FENCE_SEQNO:
		return U64(buf, size, f->seqno);
	case FENCE_DRIVER:
		return name_cell(buf, size, f->driver, sizeof(f->driver));
	case FENCE_TIMELINE:
		return name_cell(buf, size, f->timeline, sizeof(f->timeline));
	case FENCE_STATUS:
		if (f->status >= 0 || opts.mode == OUT_JSON)
			return fence_state(f->status);
		snprintf(buf, size, "error %s", errno_name(f->status, num, sizeof(num)));
		return buf;
	case FENCE_ERROR:
		snprintf(buf, size, "%d", f->status < 0 ? f->status : 0);
		return buf;
	case FENCE_ERROR_NAME:
		if (f->status >= 0)
			return NULL;
		snprintf(buf, size, "%s", errno_name(f->status, num, sizeof(num)));
		return buf;
	case FENCE_ENABLED:
		return BOOL(f->flags & DMABUFD_CTL_FENCE_ENABLED);
	case FENCE_AGE:
		return duration(f->age_ns, buf, size);
	case FENCE_SIGNALED:
		if (!f->timestamp_ns)
			return NULL;
		return duration(f->timestamp_ns > f->created_ns
					? f->timestamp_ns - f->created_ns
					: 0,
				buf, size);
	case FENCE_REFS:
		return U64(buf, size, f->refcount);
	case FENCE_WAITERS:
		return U64(buf, size, f->waiters);
	case FENCE_CREATED_NS:
		return U64(buf, size, f->created_ns);
	case FENCE_TIMESTAMP_NS:
		return U64(buf, size, f->timestamp_ns);
	case FENCE_AGE_NS:
		return U64(buf, size, f->age_ns);
	case FENCE_PRODUCER_PID:
		return pid_cell(f->producer_pid, buf, size);
	case FENCE_PRODUCER_COMM:
		return name_cell(buf, size, f->producer_comm, sizeof(f->producer_comm));
	}
	return NULL;
}

const struct table_def fences_table = {
	"fences", "fences", fence_cols, ARRAY_LEN(fence_cols), fence_cell,
};

/* --pending, --older-than: client-side, on the listing's status and age. */
static bool fence_kept(const void *rec)
{
	const struct dmabufd_ctl_fence *f = rec;

	if (opts.pending && f->status != 0)
		return false;
	return f->age_ns >= opts.older_than_ns;
}

int cmd_fences(int argc, char **argv)
{
	bool filtered = opts.pending || opts.older_than_ns;

	/* Stuck fences: who made them is the question. */
	if (filtered && !opts.columns)
		opts.columns = "+PRODUCER_PID,PRODUCER_COMM";
	return ctl_list_table_filtered(DMABUFD_CTL_FENCES, "fences", &fences_table,
				       "AGE: since the fence was created; SIGNALED: "
				       "how long after its creation it signaled",
				       filtered ? fence_kept : NULL);
}

/* ---- timelines ------------------------------------------------------- */

enum { TL_NAME, TL_CONTEXT, TL_VALUE, TL_PENDING, TL_STATE, TL_CLOSED };

static const struct col_def tl_cols[] = {
	[TL_NAME] = { "NAME", COL_STR, COL_DEFAULT, "its opener's comm" },
	[TL_CONTEXT] = { "CONTEXT", COL_NUM, COL_DEFAULT | COL_RIGHT,
			 "the fence context of its points" },
	[TL_VALUE] = { "VALUE", COL_NUM, COL_DEFAULT | COL_RIGHT, "the counter" },
	[TL_PENDING] = { "PENDING", COL_NUM, COL_DEFAULT | COL_RIGHT,
			 "points not reached yet" },
	[TL_STATE] = { "STATE", COL_STR, COL_DEFAULT | COL_TEXT,
		       "open, or closed (its fd is gone)" },
	[TL_CLOSED] = { "CLOSED", COL_BOOL, 0, "its sw_sync fd is gone" },
};

static const char *tl_cell(const void *rec, unsigned col, char *buf, size_t size)
{
	const struct dmabufd_ctl_timeline *t = rec;
	bool closed = t->flags & DMABUFD_CTL_TIMELINE_CLOSED;

	switch (col) {
	case TL_NAME:
		return name_cell(buf, size, t->name, sizeof(t->name));
	case TL_CONTEXT:
		return U64(buf, size, t->context);
	case TL_VALUE:
		return U64(buf, size, t->value);
	case TL_PENDING:
		return U64(buf, size, t->pending);
	case TL_STATE:
		return closed ? "closed" : "open";
	case TL_CLOSED:
		return BOOL(closed);
	}
	return NULL;
}

const struct table_def timelines_table = {
	"timelines", "timelines", tl_cols, ARRAY_LEN(tl_cols), tl_cell,
};

int cmd_timelines(int argc, char **argv)
{
	return ctl_list_table(DMABUFD_CTL_TIMELINES, "timelines", &timelines_table, NULL);
}
