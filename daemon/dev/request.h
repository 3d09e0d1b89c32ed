/* SPDX-License-Identifier: MIT */
/*
 * dev_req - one ioctl in flight, answered exactly once.
 *
 * The transport creates a request per ioctl with dev_req_new() (copying
 * nothing: @in stays the transport's until dispatch returns) and passes
 * it to dev_req_dispatch(). From then on the request belongs to the dev
 * layer, and every path ends in exactly one of dev_req_reply() or
 * dev_req_fail(), which answer through the transport and free it:
 *
 *   - handlers answering at once do so before returning;
 *   - blocking handlers (waits) call dev_req_defer() with a cancel hook
 *     and answer later from the loop; an interrupt of the caller cancels
 *     and answers -EINTR; release of the file answers -EBADF and daemon
 *     shutdown -ENODEV, each after cancelling.
 *
 * Errors are negative here; the transport flips the sign once, when it
 * talks to libfuse.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "dev.h"

#include "model/dma_buf.h"
#include "model/fence_wait.h"

struct dev_file;

struct dev_req {
	const struct dev_transport_ops *tops;
	void *treq;
	struct dev_file *file;
	uid_t caller_uid; /* who made this call (the file's opener by default) */
	pid_t caller_pid; /* likewise: the transport's (the calling thread) */
	unsigned cmd;
	const void *in;	 /* valid during dispatch only */
	size_t in_size;
	size_t out_size;

	bool deferred;
	void (*cancel)(struct dev_req *req);
	LIST_ENTRY(dev_req) link;

	/* Handler state of a deferred request. */
	struct fence_wait wait;
	int64_t arg;	/* what the handler keeps of the input */
	uint64_t trace_id; /* its recorded wait's number; 0: not recorded */
	struct dma_buf_sync_op sync_op;
	/* The hang report (dev_set_hang_report()): armed at the defer when
	 * the threshold is not 0, fires once. */
	struct timer hang_timer;
	uint64_t deferred_ns;	/* when it was parked (for the report) */
	bool hang_reported;
};

/*
 * A request for ioctl @cmd on @file, with @in_size bytes at @in and room
 * for @out_size bytes of output. Returns NULL without memory (the
 * transport then answers ENOMEM itself).
 */
struct dev_req *dev_req_new(const struct dev_transport_ops *tops, void *treq,
			    struct dev_file *file, unsigned cmd,
			    const void *in, size_t in_size, size_t out_size);

/* Run the node's ioctl handler; the request is answered or deferred. */
void dev_req_dispatch(struct dev_req *req);

/*
 * Answer with @result (>= 0) and @size bytes of @out (at most the
 * caller's out_size; more is a bug answered with -EIO), then free @req.
 */
void dev_req_reply(struct dev_req *req, int result, const void *out,
		   size_t size);

/* Answer with @neg_errno (< 0), then free @req. */
void dev_req_fail(struct dev_req *req, int neg_errno);

/*
 * Park @req on its file until the handler answers it. @cancel undoes the
 * handler's wait without answering (it must not free @req). Returns 0,
 * or -EINTR when the caller was interrupted already: then @cancel has run
 * and @req has been answered with -EINTR, so the handler must not touch
 * it any more (the same holds after a 0 return once control goes back to
 * the loop).
 */
int dev_req_defer(struct dev_req *req, void (*cancel)(struct dev_req *req));

/* The cancel hook of a request deferred on its own @wait. */
void dev_req_cancel_wait(struct dev_req *req);

/* From the transport: the caller of deferred @req was interrupted. */
void dev_req_interrupted(struct dev_req *req);

/* Cancel every request pending on @file and answer it with @neg_errno. */
void dev_req_abort_file(struct dev_file *file, int neg_errno);

/*
 * The hang report's threshold: a request parked (a wait) longer than
 * @ns gets one warning naming what it waits for; 0 turns it off (then a
 * parked request costs no timer). Requests parked from now on take it.
 */
void dev_set_hang_report(uint64_t ns);

/* Requests deferred and not answered yet. */
unsigned dev_req_pending_count(void);
