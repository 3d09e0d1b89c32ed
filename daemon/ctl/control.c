/* SPDX-License-Identifier: MIT */
/*
 * The control socket. One request per message, one reply per request, in
 * order; a reply that cannot be sent at once (the client does not read)
 * drops the client rather than blocking the loop.
 *
 * DMABUFD_CTL_MAP redeems a mapping token issued by DMABUFD_DMA_BUF_IOC_MAP
 * to the same uid (root may redeem any) and sends the buffer's memfd:
 * a read-only reopen of it (/proc/self/fd/N, O_RDONLY) when the token was
 * issued on a read-only fd, so the client cannot map it writable.
 * Exporters make their memfd inodes 0600 (dma_buf_ops.get_memfd), so a
 * client that is not root cannot reopen its copy writable through /proc.
 *
 * The listings (dma_records.c: DMA controllers, channels, transfers;
 * model_records.c: heaps, buffers, fences, timelines) follow their reply
 * as messages of at most DMABUFD_CTL_RECS_PER_MSG records.
 * DMABUFD_CTL_DMA_FAULT is for root and the daemon's own uid only
 * (dma_setup_fault()).
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <dmabufd/control.h>

#include "dev/dev.h"
#include "dev/token.h"
#include "dma_records.h"
#include "dma_setup.h"
#include "model/dma_buf.h"
#include "model_records.h"
#include "util/log.h"
#include "util/macros.h"

struct ctl_client {
	uv_poll_t poll;
	int fd;
	LIST_ENTRY(ctl_client) link;
};

static LIST_HEAD(, ctl_client) clients = LIST_HEAD_INITIALIZER(clients);
static uv_poll_t listener;
static int listen_fd = -EBADF;
static bool listener_live; /* uv_poll_init'ed: close through uv_close */
static char *socket_path;

static void client_closed(uv_handle_t *handle)
{
	struct ctl_client *c = container_of((uv_poll_t *)handle,
					    struct ctl_client, poll);

	close(c->fd);
	free(c);
}

static void client_drop(struct ctl_client *c)
{
	LIST_REMOVE(c, link);
	uv_close((uv_handle_t *)&c->poll, client_closed);
}

/* Send @reply, with @fd attached when >= 0. Returns 0 or -errno. */
static int client_send(struct ctl_client *c, const struct dmabufd_ctl_reply *reply,
		       int fd)
{
	struct iovec iov = { .iov_base = (void *)reply, .iov_len = sizeof(*reply) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *cmsg;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	if (sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) != sizeof(*reply))
		return errno ? -errno : -EIO;
	return 0;
}

static uid_t client_uid(struct ctl_client *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return (uid_t)-1;
	return cred.uid;
}

/*
 * Redeem @token: returns an fd to send (the caller closes it) and sets
 * *ret_size, or a negative errno.
 */
static int ctl_map(struct ctl_client *c, uint64_t token, __u64 *ret_size)
{
	_cleanup_(dma_buf_unrefp) struct dma_buf *buf = NULL;
	uid_t uid, peer = client_uid(c);
	char path[64];
	void *obj;
	int mode, memfd, fd, r;

	r = token_take(token, TOKEN_MAP, -1, &obj, &mode, &uid);
	if (r < 0)
		return -EINVAL;
	buf = obj;
	if (peer != 0 && peer != uid)
		return -EPERM;
	memfd = dma_buf_get_memfd(buf);
	if (memfd < 0)
		return memfd;
	if (mode == O_RDWR) {
		fd = fcntl(memfd, F_DUPFD_CLOEXEC, 3);
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	*ret_size = buf->size;
	return fd;
}

/* Send @count records of @rec_size bytes, a few per message. */
static int client_send_records(struct ctl_client *c, const void *recs,
			       unsigned count, size_t rec_size)
{
	const char *p = recs;

	for (unsigned i = 0; i < count; i += DMABUFD_CTL_RECS_PER_MSG) {
		unsigned n = count - i < DMABUFD_CTL_RECS_PER_MSG
				     ? count - i : DMABUFD_CTL_RECS_PER_MSG;
		size_t len = n * rec_size;

		if (send(c->fd, p + i * rec_size, len,
			 MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
			return errno ? -errno : -EIO;
	}
	return 0;
}

/* A listing op: the records to send after the reply, or -errno. */
static int ctl_list(uint32_t op, void **ret_recs, unsigned *ret_count,
		    size_t *ret_rec_size)
{
	switch (op) {
	case DMABUFD_CTL_DMA_DEVICES:
		*ret_rec_size = sizeof(struct dmabufd_ctl_dma_device);
		return ctl_dma_devices((struct dmabufd_ctl_dma_device **)ret_recs,
				       ret_count);
	case DMABUFD_CTL_DMA_CHANNELS:
		*ret_rec_size = sizeof(struct dmabufd_ctl_dma_channel);
		return ctl_dma_channels((struct dmabufd_ctl_dma_channel **)ret_recs,
					ret_count);
	case DMABUFD_CTL_DMA_XFERS:
		*ret_rec_size = sizeof(struct dmabufd_ctl_dma_xfer);
		return ctl_dma_xfers((struct dmabufd_ctl_dma_xfer **)ret_recs,
				     ret_count);
	case DMABUFD_CTL_HEAPS:
		*ret_rec_size = sizeof(struct dmabufd_ctl_heap);
		return ctl_heaps((struct dmabufd_ctl_heap **)ret_recs, ret_count);
	case DMABUFD_CTL_BUFFERS:
		*ret_rec_size = sizeof(struct dmabufd_ctl_buffer);
		return ctl_buffers((struct dmabufd_ctl_buffer **)ret_recs,
				   ret_count);
	case DMABUFD_CTL_FENCES:
		*ret_rec_size = sizeof(struct dmabufd_ctl_fence);
		return ctl_fences((struct dmabufd_ctl_fence **)ret_recs,
				  ret_count);
	case DMABUFD_CTL_TIMELINES:
		*ret_rec_size = sizeof(struct dmabufd_ctl_timeline);
		return ctl_timelines((struct dmabufd_ctl_timeline **)ret_recs,
				     ret_count);
	}
	return -EINVAL;
}

static bool args_zero(const struct dmabufd_ctl_req *req)
{
	return !req->arg[0] && !req->arg[1] && !req->arg[2] && !req->arg[3];
}

static void client_request(struct ctl_client *c,
			   const struct dmabufd_ctl_req *req, ssize_t len)
{
	struct dmabufd_ctl_reply reply = { 0 };
	struct dmabufd_ctl_stats stats;
	_cleanup_free_ void *recs = NULL;
	unsigned count = 0;
	size_t rec_size = 0;
	uid_t peer;
	int fd = -EBADF, r = 0;

	reply.op = len >= (ssize_t)sizeof(*req) ? req->op : 0;
	if (len != sizeof(*req) || req->version != DMABUFD_CTL_VERSION ||
	    (req->op != DMABUFD_CTL_DMA_FAULT && !args_zero(req)) ||
	    (req->op != DMABUFD_CTL_MAP && req->token)) {
		r = -EINVAL;
	} else if (req->op == DMABUFD_CTL_MAP) {
		r = ctl_map(c, req->token, &reply.size);
		if (r >= 0) {
			fd = r;
			r = 0;
		}
	} else if (req->op == DMABUFD_CTL_STATS) {
		reply.size = sizeof(stats);
	} else if (req->op == DMABUFD_CTL_DMA_FAULT) {
		peer = client_uid(c);
		if (peer != 0 && peer != geteuid())
			r = -EPERM;
		else
			r = dma_setup_fault(req->arg[0], req->arg[1], req->arg[2],
					    req->arg[3]);
	} else {
		r = ctl_list(req->op, &recs, &count, &rec_size);
		if (r >= 0) {
			reply.count = count;
			reply.rec_size = (uint32_t)rec_size;
			reply.size = (uint64_t)count * rec_size;
		}
	}
	reply.error = -r;

	r = client_send(c, &reply, fd);
	if (fd >= 0)
		close(fd);
	if (r >= 0 && reply.error == 0 && req->op == DMABUFD_CTL_STATS) {
		dev_get_stats(&stats);
		if (send(c->fd, &stats, sizeof(stats),
			 MSG_NOSIGNAL | MSG_DONTWAIT) != sizeof(stats))
			r = -errno;
	}
	if (r >= 0 && reply.error == 0 && count)
		r = client_send_records(c, recs, count, rec_size);
	if (r < 0) {
		log_debug("control: dropping a client: %s", strerror(-r));
		client_drop(c);
	}
}

static void client_readable(uv_poll_t *handle, int status, int events)
{
	struct ctl_client *c = container_of(handle, struct ctl_client, poll);
	struct dmabufd_ctl_req req;
	ssize_t n;

	if (status < 0)
		return client_drop(c);
	n = recv(c->fd, &req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		return client_drop(c);
	client_request(c, &req, n);
}

static void listener_readable(uv_poll_t *handle, int status, int events)
{
	struct ctl_client *c;
	int fd;

	if (status < 0)
		return;
	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c || uv_poll_init(handle->loop, &c->poll, fd) < 0) {
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	LIST_INSERT_HEAD(&clients, c, link);
	if (uv_poll_start(&c->poll, UV_READABLE, client_readable) < 0)
		client_drop(c);
}

int control_start(uv_loop_t *loop, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("control: socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
			   0);
	if (listen_fd < 0)
		return -errno;
	/* We hold the instance lock: a socket file there is a stale one. */
	(void)unlink(path);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0666) < 0 || listen(listen_fd, 64) < 0) {
		r = -errno;
		log_err("control: cannot listen on %s: %s", path, strerror(-r));
		close(listen_fd);
		listen_fd = -EBADF;
		return r;
	}
	socket_path = strdup(path);
	r = uv_poll_init(loop, &listener, listen_fd);
	listener_live = r >= 0;
	if (r >= 0)
		r = uv_poll_start(&listener, UV_READABLE, listener_readable);
	if (r < 0) {
		log_err("control: cannot watch the socket: %s", uv_strerror(r));
		control_stop();
		return r;
	}
	log_info("control: listening on %s", path);
	return 0;
}

static void listener_closed(uv_handle_t *handle)
{
	close(listen_fd);
	listen_fd = -EBADF;
}

void control_stop(void)
{
	struct ctl_client *c;

	while ((c = LIST_FIRST(&clients)))
		client_drop(c);
	if (listen_fd >= 0) {
		if (listener_live)
			uv_close((uv_handle_t *)&listener, listener_closed);
		else
			listener_closed(NULL);
		listener_live = false;
	}
	if (socket_path) {
		(void)unlink(socket_path);
		free(socket_path);
		socket_path = NULL;
	}
}
