/* SPDX-License-Identifier: MIT */
/*
 * Requests: a request is allocated by the transport, owned by the dev
 * layer from dispatch on, and freed by the one function that answers it
 * (dev_req_reply / dev_req_fail). A deferred request sits on its file's
 * pending list until then.
 */
#include "request.h"

#include <errno.h>
#include <stdlib.h>

#include "file.h"
#include "node_ops.h"
#include "util/log.h"

static unsigned req_pending;

struct dev_req *dev_req_new(const struct dev_transport_ops *tops, void *treq,
			    struct dev_file *file, unsigned cmd,
			    const void *in, size_t in_size, size_t out_size)
{
	struct dev_req *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->tops = tops;
	req->treq = treq;
	req->file = file;
	req->caller_uid = file ? file->uid : (uid_t)-1;
	req->cmd = cmd;
	req->in = in;
	req->in_size = in_size;
	req->out_size = out_size;
	return req;
}

void dev_req_dispatch(struct dev_req *req)
{
	/* The daemon is stopping: no new work (dev.h). */
	if (dev_stopping()) {
		dev_req_fail(req, -ENODEV);
		return;
	}
	req->file->node->ops->ioctl(req);
}

/* Take @req off its file's pending list, if it is on it. */
static void dev_req_unpark(struct dev_req *req)
{
	if (!req->deferred)
		return;
	LIST_REMOVE(req, link);
	req->deferred = false;
	req_pending--;
}

void dev_req_reply(struct dev_req *req, int result, const void *out,
		   size_t size)
{
	dev_req_unpark(req);
	if (result < 0 || size > req->out_size) {
		log_err("dev: reply to ioctl 0x%08x with result %d and %zu "
			"bytes for %zu: a handler bug",
			req->cmd, result, size, req->out_size);
		req->tops->reply_error(req->treq, -EIO);
	} else {
		req->tops->reply(req->treq, result, out, size);
	}
	free(req);
}

void dev_req_fail(struct dev_req *req, int neg_errno)
{
	dev_req_unpark(req);
	/* Errors <= -512 (ERESTARTSYS and friends) must never reach
	 * /dev/fuse (abi.md §4.4); 0 or positive here is a bug. */
	if (neg_errno >= 0 || neg_errno <= -512) {
		log_err("dev: ioctl 0x%08x failed with %d: a handler bug",
			req->cmd, neg_errno);
		neg_errno = -EIO;
	}
	req->tops->reply_error(req->treq, neg_errno);
	free(req);
}

int dev_req_defer(struct dev_req *req, void (*cancel)(struct dev_req *req))
{
	int r;

	req->cancel = cancel;
	req->deferred = true;
	LIST_INSERT_HEAD(&req->file->pending, req, link);
	req_pending++;

	r = req->tops->set_interrupt(req->treq, req);
	if (r < 0) {
		req->cancel(req);
		dev_req_fail(req, -EINTR);
		return -EINTR;
	}
	return 0;
}

void dev_req_cancel_wait(struct dev_req *req)
{
	fence_wait_cancel(&req->wait);
}

void dev_req_interrupted(struct dev_req *req)
{
	if (!req->deferred)
		return;
	req->cancel(req);
	dev_req_fail(req, -EINTR);
}

void dev_req_abort_file(struct dev_file *file, int neg_errno)
{
	struct dev_req *req;

	while ((req = LIST_FIRST(&file->pending))) {
		req->cancel(req);
		dev_req_fail(req, neg_errno);
	}
}

unsigned dev_req_pending_count(void)
{
	return req_pending;
}

const void *dev_req_input(const struct dev_req *req, size_t size)
{
	return req->in && req->in_size >= size ? req->in : NULL;
}

bool dev_all_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}
