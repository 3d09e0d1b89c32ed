/* SPDX-License-Identifier: MIT */
/*
 * What each node type implements (heap_node.c, dma_buf_node.c,
 * sync_file_node.c, sw_sync_node.c, dmaengine_node.c), and the helpers they share
 * (common_node.c). Internal to daemon/dev.
 *
 * Every ioctl handler validates every input field before it changes
 * anything, and answers its request exactly once (request.h). Dispatch is
 * on the whole command number, so a known number with another size or
 * direction is an unknown command: ENOTTY, as the kernel's dma-buf and
 * sync_file files do. The one exception is the heap node's 'H' magic,
 * which like drivers/dma-buf/dma-heap.c looks at _IOC_NR only.
 */
#pragma once

#include <stdbool.h>

#include <dmabufd/control.h>

#include "file.h"
#include "node.h"
#include "request.h"
#include "token.h"

struct dev_node_ops {
	enum dev_node_type type;
	/* Set up @file->... for a fresh open. Optional. */
	int (*open)(struct dev_file *file);
	/* Drop what open and the ioctls bound to @file. Optional. */
	void (*release)(struct dev_file *file);
	/* Answer (or defer) @req. Required. */
	void (*ioctl)(struct dev_req *req);
	/*
	 * The ready mask for @events; when not ready and @arm, arrange for
	 * dev_file_poll_wake() once the state changes. Optional: without it
	 * the file is always readable and writable.
	 */
	unsigned (*poll)(struct dev_file *file, unsigned events, bool arm);
	/* Undo what poll armed. Optional. */
	void (*poll_disarm)(struct dev_file *file);
	/*
	 * Set if the release of such a file ends fences that others may be
	 * waiting on (sw_sync: its timeline's points signal -ENOENT;
	 * dmaengine: its transfers end -ECANCELED). dev_shutdown() releases
	 * these files first, so those waits get their ordinary answer.
	 */
	bool produces_fences;
	/*
	 * Fill in the DMABUFD_STAT_* counts this node type owns. Optional;
	 * dev_get_stats() calls it once per type, whether or not a node of
	 * the type exists. Loop thread.
	 */
	void (*get_stats)(struct dmabufd_ctl_stats *ret_stats);
	/*
	 * For the hang report (request.c) of parked @req: what its own
	 * fences wait for before they can signal (a DMA WAIT's transfer
	 * waits for its buffers' implicit fences): the unsignaled ones,
	 * borrowed, the first @max in @ret. Returns how many there are in
	 * all. Optional. Loop thread.
	 */
	unsigned (*blockers)(const struct dev_req *req, struct fence **ret,
			     unsigned max);
};

extern const struct dev_node_ops heap_node_ops;
extern const struct dev_node_ops dma_buf_node_ops;
extern const struct dev_node_ops sync_file_node_ops;
extern const struct dev_node_ops sw_sync_node_ops;
extern const struct dev_node_ops dmaengine_node_ops;

/* The ops of each node type, by enum dev_node_type (node.c): for what
 * goes by type rather than by node. */
extern const struct dev_node_ops *const dev_node_type_ops[DEV_NODE_TYPE_COUNT];

/*
 * The ioctls of the 0x00-0x0f range, before the node's own handler:
 * DMABUFD_IOC_HANDLE on every node; DMABUFD_IOC_CLAIM,
 * DMABUFD_IOC_EXPORT_TOKEN and DMABUFD_IOC_CREATE (create.c) on the
 * object nodes (dma_buf, sync_file). Returns true if @req was one of them
 * (it is then answered), false if the node's handler should go on.
 */
bool dev_common_ioctl(struct dev_req *req);

/* DMABUFD_IOC_CREATE (create.c): answer @req on a fresh object fd. */
void dev_create_ioctl(struct dev_req *req);

/*
 * Bind @file (a fresh sync_file node fd) to a new sync_file of @fence;
 * the fence, if nobody's yet, becomes the file's uid's. Returns 0 or
 * -ENOMEM with nothing bound.
 */
int dev_file_bind_fence(struct dev_file *file, struct fence *fence);

/*
 * The fence a DMA_BUF_IOCTL_EXPORT_SYNC_FILE for @flags (DMA_BUF_SYNC_READ
 * and/or _WRITE, nothing else) returns on @buf: a new reference in
 * *ret_fence (a signaled stub when there is nothing to wait for).
 * Returns 0, -EINVAL for bad @flags, or -ENOMEM.
 */
int dma_buf_node_export_fence(struct dma_buf *buf, uint32_t flags,
			      struct fence **ret_fence);

/*
 * The @size input bytes of @req, or NULL if the transport brought fewer
 * (a restricted ioctl always brings _IOC_SIZE, so this is a guard).
 */
const void *dev_req_input(const struct dev_req *req, size_t size);

/*
 * Wrap @fence in a new sync_file and issue a claim token for it on
 * @file (EXPORT_SYNC_FILE, CREATE_FENCE). Returns 0 and *ret_token, or
 * -ENOMEM / token_new()'s error with nothing left behind.
 */
int dev_file_issue_sync_file(struct dev_file *file, struct fence *fence,
			     __u64 *ret_token);

/* The command name of @pid (/proc/<pid>/comm, as the kernel's task
 * comm) in @ret_name, or "unknown" (a pid outside our namespace arrives
 * as 0). */
void dev_pid_comm(pid_t pid, char *ret_name, size_t size);

/* True if @buf's @len bytes are all zero. */
bool dev_all_zero(const void *buf, size_t len);
