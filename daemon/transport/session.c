/* SPDX-License-Identifier: MIT */
/*
 * Shared libfuse glue of the CUSE and FUSE transports: a fuse_session
 * driven from the libuv loop, and the adapters from lowlevel requests to
 * daemon/dev. The sign of errors flips here, once: the dev layer speaks
 * negative errno, fuse_reply_err() wants it positive.
 */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dev/file.h"
#include "dev/request.h"
#include "util/log.h"

/*
 * One request per wake-up. The poll is level-triggered, so a request
 * still queued wakes the loop again at once; reading on until EAGAIN
 * would cost every lone request (the common case: a client waits for
 * its reply before it asks again) a read that finds nothing. So a
 * request costs epoll_wait, read and writev, and a burst is shared out
 * fairly between sessions, one request each per loop iteration.
 */
struct tsession {
	uv_poll_t poll;
	struct fuse_session *se;
	struct fuse_buf buf;
	void (*on_exit)(struct tsession *ts, void *data);
	void *data;
	bool exited;
};

static void tsession_exit(struct tsession *ts)
{
	if (ts->exited)
		return;
	ts->exited = true;
	uv_poll_stop(&ts->poll);
	if (ts->on_exit)
		ts->on_exit(ts, ts->data);
}

static void tsession_readable(uv_poll_t *handle, int status, int events)
{
	struct tsession *ts = container_of(handle, struct tsession, poll);

	if (status < 0 || (events & UV_DISCONNECT)) {
		log_info("transport: session fd: %s",
			 status < 0 ? uv_strerror(status) : "disconnected");
		return tsession_exit(ts);
	}
	int r = fuse_session_receive_buf(ts->se, &ts->buf);

	/* EAGAIN: another reader took it, or the kernel dropped an
	 * interrupted request; EINTR: the loop comes back. */
	if (r == -EAGAIN || r == -EINTR)
		return;
	if (r <= 0) {
		if (r < 0)
			log_warn("transport: receive: %s", strerror(-r));
		return tsession_exit(ts);
	}
	fuse_session_process_buf(ts->se, &ts->buf);
	if (fuse_session_exited(ts->se))
		return tsession_exit(ts);
}

int tsession_start(uv_loop_t *loop, struct fuse_session *se,
		   void (*on_exit)(struct tsession *ts, void *data),
		   void *data, struct tsession **ret_ts)
{
	struct tsession *ts;
	int fd = fuse_session_fd(se);
	int flags, r;

	if (fd < 0)
		return -EBADF;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	ts = calloc(1, sizeof(*ts));
	if (!ts)
		return -ENOMEM;
	ts->se = se;
	ts->on_exit = on_exit;
	ts->data = data;
	r = uv_poll_init(loop, &ts->poll, fd);
	if (r < 0) {
		free(ts);
		return r;
	}
	r = uv_poll_start(&ts->poll, UV_READABLE | UV_DISCONNECT,
			  tsession_readable);
	if (r < 0) {
		/* The handle is initialised: it must be closed, and freed
		 * from the close callback; the session stays the caller's. */
		ts->se = NULL;
		uv_close((uv_handle_t *)&ts->poll, (uv_close_cb)free);
		return r;
	}
	*ret_ts = ts;
	return 0;
}

static void tsession_closed(uv_handle_t *handle)
{
	struct tsession *ts = container_of((uv_poll_t *)handle,
					   struct tsession, poll);

	free(ts->buf.mem);
	free(ts);
}

void tsession_stop(struct tsession *ts,
		   void (*before_destroy)(struct fuse_session *se))
{
	struct fuse_session *se = ts->se;

	ts->exited = true;
	/* uv_close stops epoll watching the fd now, so the session (and
	 * its fd) may go before the close callback runs. */
	uv_close((uv_handle_t *)&ts->poll, tsession_closed);
	if (before_destroy)
		before_destroy(se);
	fuse_session_destroy(se);
}

/* --- replies for the dev layer ------------------------------------ */

static void ts_reply(void *treq, int result, const void *out, size_t size)
{
	fuse_reply_ioctl(treq, result, size ? out : NULL, size);
}

static void ts_reply_error(void *treq, int neg_errno)
{
	fuse_reply_err(treq, -neg_errno);
}

static void ts_interrupt(fuse_req_t req, void *data)
{
	dev_count_request(DMABUFD_STAT_REQ_OTHER);
	dev_req_interrupted(data);
}

static int ts_set_interrupt(void *treq, struct dev_req *req)
{
	/*
	 * An interrupt that came first makes fuse_req_interrupt_func() run
	 * the callback inside the call, and an answer from there frees the
	 * request under libfuse's feet (3.14 unlocks req->lock after it).
	 * Interrupts are processed by this thread only, so checking first
	 * leaves no window.
	 */
	if (fuse_req_interrupted(treq))
		return -EINTR;
	fuse_req_interrupt_func(treq, ts_interrupt, req);
	return 0;
}

static void ts_poll_notify(void *ph)
{
	int r = fuse_lowlevel_notify_poll(ph);

	if (r < 0 && r != -ENOENT)
		log_debug("transport: notify_poll: %s", strerror(-r));
}

static void ts_poll_destroy(void *ph)
{
	fuse_pollhandle_destroy(ph);
}

const struct dev_transport_ops ts_dev_ops = {
	.name = "libfuse",
	.reply = ts_reply,
	.reply_error = ts_reply_error,
	.set_interrupt = ts_set_interrupt,
	.poll_notify = ts_poll_notify,
	.poll_destroy = ts_poll_destroy,
};

/* --- request adapters ----------------------------------------------- */

static struct dev_file *ts_file(const struct fuse_file_info *fi)
{
	return (struct dev_file *)(uintptr_t)fi->fh;
}

void ts_open(struct dev_node *node, fuse_req_t req, struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct dev_file *file;
	int r;

	dev_count_request(DMABUFD_STAT_REQ_OPENS);
	r = dev_file_open(node, &ts_dev_ops, fi->flags, ctx->pid, ctx->uid,
			  ctx->gid, &file);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uintptr_t)file;
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fi->keep_cache = 0;
	if (fuse_reply_open(req, fi) < 0)
		/* The caller is gone (interrupted open): no release will come. */
		dev_file_release(file);
}

void ts_release(fuse_req_t req, struct fuse_file_info *fi)
{
	dev_count_request(DMABUFD_STAT_REQ_RELEASES);
	dev_file_release(ts_file(fi));
	fuse_reply_err(req, 0);
}

void ts_ioctl(fuse_req_t req, unsigned cmd, struct fuse_file_info *fi,
	      unsigned flags, const void *in_buf, size_t in_bufsz,
	      size_t out_bufsz)
{
	struct dev_req *dreq;

	dev_count_request(DMABUFD_STAT_REQ_IOCTLS);
	/* Restricted ioctls only (no CUSE_UNRESTRICTED_IOCTL, and FUSE files
	 * are always restricted): the kernel copied _IOC_SIZE(cmd) bytes. */
	if (flags & FUSE_IOCTL_UNRESTRICTED) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	dreq = dev_req_new(&ts_dev_ops, req, ts_file(fi), cmd, in_buf,
			   in_bufsz, out_bufsz);
	if (!dreq) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	dreq->caller_uid = fuse_req_ctx(req)->uid;
	dreq->caller_pid = fuse_req_ctx(req)->pid;
	dev_req_dispatch(dreq);
}

void ts_poll(fuse_req_t req, struct fuse_file_info *fi,
	     struct fuse_pollhandle *ph)
{
	dev_count_request(DMABUFD_STAT_REQ_OTHER);
	/* The kernel waits for this answer: never defer it (abi.md §4.6). */
	fuse_reply_poll(req, dev_file_poll(ts_file(fi), fi->poll_events, ph));
}

/* dma-buf and sync_file files have no read or write; the kernel answers
 * EINVAL when the access mode allows the call (the VFS refuses the rest
 * with EBADF before it reaches us). */
void ts_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi)
{
	dev_count_request(DMABUFD_STAT_REQ_OTHER);
	fuse_reply_err(req, EINVAL);
}

void ts_write(fuse_req_t req, const char *buf, size_t size, off_t off,
	      struct fuse_file_info *fi)
{
	dev_count_request(DMABUFD_STAT_REQ_OTHER);
	fuse_reply_err(req, EINVAL);
}
