/* SPDX-License-Identifier: MIT */
/*
 * dev_file - one open of a node (one struct file in the kernel's terms).
 *
 * It records the node, the access mode of the open, the caller's pid and
 * uid, the object it is bound to (a dma_buf or sync_file after CLAIM, a
 * timeline for sw_sync from the open on), the tokens it issued, the
 * requests pending on it, and its newest poll handle.
 *
 * Life cycle: dev_file_open() on the transport's open; dev_file_release()
 * on its release (the last close of every fd sharing the open file), or
 * from dev_shutdown(). Release answers every pending request, frees the
 * poll handle, drops every token the file issued and every reference it
 * holds, and runs the node's release (sw_sync: timeline_close). So a
 * client killed at any moment leaves nothing behind.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "dev.h"
#include "node.h"
#include "token.h"

#include "model/dma_buf.h"
#include "model/fence.h"
#include "util/seq_tree.h"

struct dev_handle;
struct dmaengine_file;
struct sync_file;
struct timeline;

struct dev_file {
	struct dev_node *node;
	const struct dev_transport_ops *tops;
	/* In the open files' tree, by number (seq: 1, 2, ... in open order,
	 * never reused): names the file in logs (dev_file_id()), and is how
	 * the debug views resume (dev_file_seek_sync_file()). */
	struct seq_node list_node;
	int mode;	/* O_RDONLY, O_WRONLY or O_RDWR */
	int open_flags;
	pid_t pid;	/* the opener (the transport's: a thread id) */
	pid_t last_pid;	/* the last caller of an ioctl on it; 0: none */
	uid_t uid;
	gid_t gid;
	struct acct *acct; /* @uid's: charged with the file (ACCT_FILES)
			    * and its tokens */

	/* The bound object; at most one is set. */
	struct dma_buf *dma_buf;
	struct sync_file *sync_file;
	struct timeline *timeline;
	struct dmaengine_file *dmaengine; /* dmaengine node: the channel state */

	struct token_owner tokens;
	struct dev_handle *handles; /* handle.h: one per uid that asked */
	LIST_HEAD(, dev_req) pending;

	/* Poll: the newest handle and what watches for the state change. */
	void *ph;
	struct fence *poll_fence;   /* sync_file: fence of poll_fence_cb */
	struct fence_cb poll_fence_cb;
	struct dma_buf_poll_cb poll_buf_cb;
};

/* A dev_file is kept to four cache lines: one per open fd of every
 * client. */
_Static_assert(sizeof(void *) != 8 || sizeof(struct dev_file) <= 256,
	       "struct dev_file grew past 256 bytes");

/* The file's open number (1, 2, ... in open order, never reused). */
static inline uint64_t dev_file_id(const struct dev_file *file)
{
	return file->list_node.seq;
}

/*
 * Open @node for a caller with open flags @flags. Returns 0 and
 * *ret_file, -EINVAL for a bad access mode, -ENOMEM, -EDQUOT when @uid
 * holds as many open files as its limit allows (acct.h), or the node's
 * open error.
 */
int dev_file_open(struct dev_node *node, const struct dev_transport_ops *tops,
		  int flags, pid_t pid, uid_t uid, gid_t gid,
		  struct dev_file **ret_file);

/*
 * @file was just bound to its dma_buf (CLAIM, CREATE): make its opener the
 * buffer's opener if it is the first file bound to it.
 */
void dev_file_note_bound(struct dev_file *file);

/*
 * Make the caller that @file's current request came from (file->last_pid,
 * or the opener before any ioctl) @fence's producer, unless it has one.
 */
void dev_file_note_producer(const struct dev_file *file, struct fence *fence);

/*
 * The open file whose open number is the smallest one >= @id, borrowed,
 * or NULL. O(log n). For the control socket's listing of files.
 */
struct dev_file *dev_file_seek(uint64_t id);

/* Release @file (see above) and free it. NULL is a no-op. */
void dev_file_release(struct dev_file *file);

/*
 * Poll: the ready mask (POLLIN, POLLOUT, ...) for @events. When not ready
 * and @ph is not NULL, keep @ph (the newest; older ones are freed) and
 * notify it once when the state changes. The dev layer owns @ph from
 * here on. Never fails.
 */
unsigned dev_file_poll(struct dev_file *file, unsigned events, void *ph);

/*
 * Wake and free the file's poll handle, if any. For node handlers, when
 * the state a poller watches has changed.
 */
void dev_file_poll_wake(struct dev_file *file);

/* Number of open files on every node. */
unsigned dev_file_count(void);

/*
 * The open file bound to a sync_file (sync_file node, a claimed fence)
 * whose open number is the smallest one >= *@id: returns 1 with it in
 * *@ret_file (borrowed) and its number in *@id; 0 when there is none;
 * -EAGAIN when @max_skip files not bound to a sync_file were passed over
 * first, *@id then the number to go on from. O(log n) per file. For the
 * debug views (daemon/debug/sync_info.c), which resume by number.
 */
int dev_file_seek_sync_file(uint64_t *id, unsigned max_skip,
			    struct dev_file **ret_file);
