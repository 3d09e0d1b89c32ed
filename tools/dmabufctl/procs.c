/* SPDX-License-Identifier: MIT */
/*
 * Who holds what: the open files (DMABUFD_CTL_FILES) and, made from them
 * and the fences' listing here in the client, one row per process, as
 * Android's dmabuf_dump shows it (buffers, bytes, shared and private
 * bytes), with sync_files, fences and channels, then the totals.
 *
 * A process holds what it opened (a file's opener) and what it called
 * last (a file's last caller): the daemon sees nothing else, so an fd
 * that a process got over a socket or by fork and never used is not
 * counted for it. A buffer is shared when more than one process holds
 * it, and its bytes count as shared for each of them; the totals count
 * every buffer once.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmabufctl.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define U64(buf, size, v) (snprintf((buf), (size), "%" PRIu64, (uint64_t)(v)), (buf))

/* ---- files ----------------------------------------------------------- */

enum {
	FILE_ID, FILE_NODE, FILE_KIND, FILE_OBJECT, FILE_SEQNO, FILE_NAME,
	FILE_SIZE, FILE_STATUS, FILE_MODE, FILE_UID, FILE_OPENER_PID,
	FILE_OPENER_COMM, FILE_LAST_PID, FILE_LAST_COMM,
};

static const struct col_def file_cols[] = {
	[FILE_ID] = { "ID", COL_NUM, COL_DEFAULT | COL_RIGHT,
		      "open number: the #N of the daemon's log lines" },
	[FILE_NODE] = { "NODE", COL_STR, 0, "the node it is an open of" },
	[FILE_KIND] = { "KIND", COL_STR, COL_DEFAULT,
			"buffer, sync_file, timeline, channel, or none" },
	[FILE_OBJECT] = { "OBJECT", COL_STR, COL_DEFAULT,
			  "buffer id, fence context:seqno, timeline context, "
			  "channel" },
	[FILE_SEQNO] = { "SEQNO", COL_NUM, COL_RIGHT,
			 "a sync_file's fence seqno" },
	[FILE_NAME] = { "NAME", COL_STR, COL_DEFAULT,
			"the buffer's, sync_file's, timeline's or channel's name" },
	[FILE_SIZE] = { "SIZE", COL_NUM, COL_DEFAULT | COL_RIGHT,
			"a buffer's bytes" },
	[FILE_STATUS] = { "STATUS", COL_STR, 0,
			  "a sync_file's: pending, signaled or error" },
	[FILE_MODE] = { "MODE", COL_STR, 0, "access mode: r, w, rw, -" },
	[FILE_UID] = { "UID", COL_NUM, COL_RIGHT, "the opener's uid" },
	[FILE_OPENER_PID] = { "OPENER_PID", COL_NUM, COL_DEFAULT | COL_RIGHT,
			      "the process that opened it" },
	[FILE_OPENER_COMM] = { "OPENER_COMM", COL_STR, COL_DEFAULT,
			       "its comm, as of the listing" },
	[FILE_LAST_PID] = { "LAST_PID", COL_NUM, COL_DEFAULT | COL_RIGHT,
			    "the last caller of an ioctl on it" },
	[FILE_LAST_COMM] = { "LAST_COMM", COL_STR, COL_DEFAULT,
			     "its comm, as of the listing" },
};

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case DMABUFD_CTL_FILE_BUFFER:
		return "buffer";
	case DMABUFD_CTL_FILE_SYNC_FILE:
		return "sync_file";
	case DMABUFD_CTL_FILE_TIMELINE:
		return "timeline";
	case DMABUFD_CTL_FILE_CHANNEL:
		return "channel";
	}
	return "none";
}

static const char *file_cell(const void *rec, unsigned col, char *buf, size_t size)
{
	const struct dmabufd_ctl_file *f = rec;

	switch (col) {
	case FILE_ID:
		return U64(buf, size, f->id);
	case FILE_NODE:
		return name_cell(buf, size, f->node, sizeof(f->node));
	case FILE_KIND:
		return kind_name(f->kind);
	case FILE_OBJECT:
		switch (f->kind) {
		case DMABUFD_CTL_FILE_BUFFER:
		case DMABUFD_CTL_FILE_TIMELINE:
			return U64(buf, size, f->object);
		case DMABUFD_CTL_FILE_SYNC_FILE:
			snprintf(buf, size, "%" PRIu64 ":%" PRIu64, (uint64_t)f->object,
				 (uint64_t)f->seqno);
			return buf;
		case DMABUFD_CTL_FILE_CHANNEL:
			snprintf(buf, size, "dma%" PRIu64 "chan%" PRIu64,
				 (uint64_t)f->object >> 32,
				 (uint64_t)f->object & 0xffffffffu);
			return buf;
		}
		return NULL;
	case FILE_SEQNO:
		return f->kind == DMABUFD_CTL_FILE_SYNC_FILE ? U64(buf, size, f->seqno)
							     : NULL;
	case FILE_NAME:
		return name_cell(buf, size, f->name, sizeof(f->name));
	case FILE_SIZE:
		return f->kind == DMABUFD_CTL_FILE_BUFFER ? U64(buf, size, f->size)
							  : NULL;
	case FILE_STATUS:
		if (f->kind != DMABUFD_CTL_FILE_SYNC_FILE)
			return NULL;
		return f->status == 0 ? "pending" : f->status == 1 ? "signaled" : "error";
	case FILE_MODE:
		switch (f->mode) {
		case O_RDONLY:
			return "r";
		case O_WRONLY:
			return "w";
		case O_RDWR:
			return "rw";
		}
		return "-";
	case FILE_UID:
		return U64(buf, size, f->uid);
	case FILE_OPENER_PID:
		return f->opener_pid ? U64(buf, size, f->opener_pid) : NULL;
	case FILE_OPENER_COMM:
		return name_cell(buf, size, f->opener_comm, sizeof(f->opener_comm));
	case FILE_LAST_PID:
		return f->last_pid ? U64(buf, size, f->last_pid) : NULL;
	case FILE_LAST_COMM:
		return name_cell(buf, size, f->last_comm, sizeof(f->last_comm));
	}
	return NULL;
}

const struct table_def files_table = {
	"files", "files", file_cols, ARRAY_LEN(file_cols), file_cell,
};

int cmd_files(int argc, char **argv)
{
	return ctl_list_table(DMABUFD_CTL_FILES, "files", &files_table,
			      "pids and comms as of the listing; LAST: the last "
			      "caller of an ioctl on the file");
}

/* ---- procs ----------------------------------------------------------- */

struct proc_row {
	uint32_t pid;
	char comm[16];
	uint64_t buffers, bytes, shared_bytes, private_bytes;
	uint64_t sync_files, fences, channels;
};

/* A process's hold on an object: what the files say. */
struct hold {
	uint32_t kind;
	uint64_t object;   /* buffer id; else the file's id */
	uint64_t size;
	uint32_t pid;
};

static int hold_cmp(const void *a, const void *b)
{
	const struct hold *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->object != y->object)
		return x->object < y->object ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

struct procs {
	struct proc_row *rows;
	size_t n, cap;
};

/* The row of @pid (made with @comm, if there is none yet), or NULL. */
static struct proc_row *row_of(struct procs *p, uint32_t pid, const char *comm,
			       size_t comm_len)
{
	struct proc_row *r;

	for (size_t i = 0; i < p->n; i++)
		if (p->rows[i].pid == pid) {
			if (!p->rows[i].comm[0] && comm && comm[0])
				memcpy(p->rows[i].comm, comm, comm_len);
			return &p->rows[i];
		}
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		struct proc_row *rows = realloc(p->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		p->rows = rows;
		p->cap = cap;
	}
	r = &p->rows[p->n++];
	memset(r, 0, sizeof(*r));
	r->pid = pid;
	if (comm)
		memcpy(r->comm, comm, comm_len < sizeof(r->comm) ? comm_len
								  : sizeof(r->comm));
	return r;
}

static int row_cmp(const void *a, const void *b)
{
	const struct proc_row *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

enum {
	PROC_PID, PROC_COMM, PROC_BUFFERS, PROC_BYTES, PROC_SHARED, PROC_PRIVATE,
	PROC_SYNC_FILES, PROC_FENCES, PROC_CHANNELS,
};

static const struct col_def proc_cols[] = {
	[PROC_PID] = { "PID", COL_NUM, COL_DEFAULT | COL_RIGHT, "the process" },
	[PROC_COMM] = { "COMM", COL_STR, COL_DEFAULT, "its comm, as of the listing" },
	[PROC_BUFFERS] = { "BUFFERS", COL_NUM, COL_DEFAULT | COL_RIGHT,
			   "buffers it opened or called last" },
	[PROC_BYTES] = { "BYTES", COL_NUM, COL_DEFAULT | COL_RIGHT, "their bytes" },
	[PROC_SHARED] = { "SHARED_BYTES", COL_NUM, COL_DEFAULT | COL_RIGHT,
			  "of which buffers another process holds too" },
	[PROC_PRIVATE] = { "PRIVATE_BYTES", COL_NUM, COL_DEFAULT | COL_RIGHT,
			   "of which buffers it alone holds" },
	[PROC_SYNC_FILES] = { "SYNC_FILES", COL_NUM, COL_DEFAULT | COL_RIGHT,
			      "sync_file files it opened or called last" },
	[PROC_FENCES] = { "FENCES", COL_NUM, COL_DEFAULT | COL_RIGHT,
			  "live fences it produced" },
	[PROC_CHANNELS] = { "CHANNELS", COL_NUM, COL_DEFAULT | COL_RIGHT,
			    "DMA channels its dmaengine fds hold" },
};

static const char *proc_cell(const void *rec, unsigned col, char *buf, size_t size)
{
	const struct proc_row *r = rec;

	switch (col) {
	case PROC_PID:
		return U64(buf, size, r->pid);
	case PROC_COMM:
		return name_cell(buf, size, r->comm, sizeof(r->comm));
	case PROC_BUFFERS:
		return U64(buf, size, r->buffers);
	case PROC_BYTES:
		return U64(buf, size, r->bytes);
	case PROC_SHARED:
		return U64(buf, size, r->shared_bytes);
	case PROC_PRIVATE:
		return U64(buf, size, r->private_bytes);
	case PROC_SYNC_FILES:
		return U64(buf, size, r->sync_files);
	case PROC_FENCES:
		return U64(buf, size, r->fences);
	case PROC_CHANNELS:
		return U64(buf, size, r->channels);
	}
	return NULL;
}

const struct table_def procs_table = {
	"procs", "procs", proc_cols, ARRAY_LEN(proc_cols), proc_cell,
};

/* Add the holds of file @f: its opener's and its last caller's. */
static size_t add_holds(struct hold *h, const struct dmabufd_ctl_file *f)
{
	uint64_t object = f->kind == DMABUFD_CTL_FILE_BUFFER ? f->object : f->id;
	size_t n = 0;

	if (f->opener_pid)
		h[n++] = (struct hold){ f->kind, object, f->size, f->opener_pid };
	if (f->last_pid && f->last_pid != f->opener_pid)
		h[n++] = (struct hold){ f->kind, object, f->size, f->last_pid };
	return n;
}

/* Totals: every buffer once. */
struct totals {
	uint64_t procs, buffers, bytes, shared_bytes, sync_files, fences, channels;
};

static void print_totals(const struct totals *t)
{
	if (opts.mode == OUT_JSON) {
		printf("\"total\": {\"processes\": %" PRIu64 ", \"buffers\": %" PRIu64
		       ", \"bytes\": %" PRIu64 ", \"shared_bytes\": %" PRIu64
		       ", \"private_bytes\": %" PRIu64 ", \"sync_files\": %" PRIu64
		       ", \"fences\": %" PRIu64 ", \"channels\": %" PRIu64 "}",
		       t->procs, t->buffers, t->bytes, t->shared_bytes,
		       t->bytes - t->shared_bytes, t->sync_files, t->fences,
		       t->channels);
		return;
	}
	printf("total: %" PRIu64 " processes, %" PRIu64 " buffers, %" PRIu64
	       " bytes (%" PRIu64 " shared, %" PRIu64 " private), %" PRIu64
	       " sync_files, %" PRIu64 " fences, %" PRIu64 " channels\n",
	       t->procs, t->buffers, t->bytes, t->shared_bytes,
	       t->bytes - t->shared_bytes, t->sync_files, t->fences, t->channels);
}

/* The table, then the totals: text a line below it; JSON one object
 * {"procs": [...], "total": {...}}, the table printed into memory. */
static int print_procs(struct table *t, const struct totals *tot)
{
	char *json = NULL, *end;
	size_t len = 0;
	FILE *mem;
	int r;

	if (opts.mode != OUT_JSON) {
		r = table_print(t);
		if (!r && opts.mode == OUT_TEXT)
			print_totals(tot);
		return r;
	}
	mem = open_memstream(&json, &len);
	if (!mem) {
		table_free(t);
		return ctl_error(EXIT_FAILURE, ENOMEM, "out of memory");
	}
	table_set_stream(t, mem);
	r = table_print(t);
	fclose(mem);
	end = json ? strrchr(json, '}') : NULL;
	if (!r && end) {
		*end = '\0';
		/* Up to the table's closing brace, then ours. */
		while (end > json && (end[-1] == '\n' || end[-1] == ' '))
			*--end = '\0';
		printf("%s,\n   ", json);
		print_totals(tot);
		printf("\n}\n");
	}
	free(json);
	return r;
}

int cmd_procs(int argc, char **argv)
{
	void *files = NULL, *fences = NULL;
	uint32_t nfiles, fsize, nfences, fensize;
	struct procs p = { 0 };
	struct totals tot = { 0 };
	struct hold *holds = NULL;
	struct table *t;
	size_t nholds = 0;
	int r;

	r = table_new(&procs_table, &t);
	if (r)
		return r;
	r = ctl_list(DMABUFD_CTL_FILES, "files", &files, &nfiles, &fsize);
	if (!r)
		r = ctl_list(DMABUFD_CTL_FENCES, "fences", &fences, &nfences, &fensize);
	if (r)
		goto out;
	holds = calloc((size_t)nfiles * 2 + 1, sizeof(*holds));
	if (!holds)
		goto oom;
	FOREACH_REC(struct dmabufd_ctl_file, f, files, nfiles, fsize) {
		if (f->kind == DMABUFD_CTL_FILE_NONE ||
		    f->kind == DMABUFD_CTL_FILE_TIMELINE)
			continue;
		nholds += add_holds(holds + nholds, f);
		if ((f->opener_pid && !row_of(&p, f->opener_pid, f->opener_comm,
					      sizeof(f->opener_comm))) ||
		    (f->last_pid && !row_of(&p, f->last_pid, f->last_comm,
					    sizeof(f->last_comm))))
			goto oom;
	}
	qsort(holds, nholds, sizeof(*holds), hold_cmp);
	/* One group per object; a process once per group. */
	for (size_t i = 0; i < nholds;) {
		size_t j = i, holders = 0;

		for (; j < nholds && holds[j].kind == holds[i].kind &&
		       holds[j].object == holds[i].object; j++)
			if (j == i || holds[j].pid != holds[j - 1].pid)
				holders++;
		for (size_t k = i; k < j; k++) {
			struct proc_row *row;

			if (k > i && holds[k].pid == holds[k - 1].pid)
				continue;
			row = row_of(&p, holds[k].pid, NULL, 0);
			if (!row)
				goto oom;
			switch (holds[k].kind) {
			case DMABUFD_CTL_FILE_BUFFER:
				row->buffers++;
				row->bytes += holds[k].size;
				if (holders > 1)
					row->shared_bytes += holds[k].size;
				else
					row->private_bytes += holds[k].size;
				break;
			case DMABUFD_CTL_FILE_SYNC_FILE:
				row->sync_files++;
				break;
			case DMABUFD_CTL_FILE_CHANNEL:
				row->channels++;
				break;
			}
		}
		if (!opts.pid || holds[i].pid == (uint32_t)opts.pid ||
		    holders > 1) {
			bool counted = !opts.pid;

			for (size_t k = i; k < j && !counted; k++)
				counted = holds[k].pid == (uint32_t)opts.pid;
			if (counted) {
				switch (holds[i].kind) {
				case DMABUFD_CTL_FILE_BUFFER:
					tot.buffers++;
					tot.bytes += holds[i].size;
					if (holders > 1)
						tot.shared_bytes += holds[i].size;
					break;
				case DMABUFD_CTL_FILE_SYNC_FILE:
					tot.sync_files++;
					break;
				case DMABUFD_CTL_FILE_CHANNEL:
					tot.channels++;
					break;
				}
			}
		}
		i = j;
	}
	FOREACH_REC(struct dmabufd_ctl_fence, f, fences, nfences, fensize) {
		struct proc_row *row;

		if (!f->producer_pid)
			continue;
		row = row_of(&p, f->producer_pid, f->producer_comm,
			     sizeof(f->producer_comm));
		if (!row)
			goto oom;
		row->fences++;
		if (!opts.pid || f->producer_pid == (uint32_t)opts.pid)
			tot.fences++;
	}
	qsort(p.rows, p.n, sizeof(*p.rows), row_cmp);
	for (size_t i = 0; i < p.n && !r; i++) {
		if (opts.pid && p.rows[i].pid != (uint32_t)opts.pid)
			continue;
		tot.procs++;
		r = table_add(t, &p.rows[i]);
	}
	if (r)
		goto oom;
	r = print_procs(t, &tot);
	t = NULL;
	goto out;
oom:
	r = ctl_error(EXIT_FAILURE, ENOMEM, "out of memory");
out:
	table_free(t);
	free(holds);
	free(p.rows);
	free(files);
	free(fences);
	return r;
}
