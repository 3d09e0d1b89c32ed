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
};

extern const struct dev_node_ops heap_node_ops;
extern const struct dev_node_ops dma_buf_node_ops;
extern const struct dev_node_ops sync_file_node_ops;
extern const struct dev_node_ops sw_sync_node_ops;
extern const struct dev_node_ops dmaengine_node_ops;

/*
 * DMABUFD_IOC_CLAIM and DMABUFD_IOC_EXPORT_TOKEN on an object node
 * (dma_buf, sync_file). Returns true if @req was one of them (it is then
 * answered), false if the handler should go on.
 */
bool dev_common_ioctl(struct dev_req *req);

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
