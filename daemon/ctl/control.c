/* SPDX-License-Identifier: MIT */
/*
 * The control socket. One request per message, one reply per request, in
 * order, and at most one reply in flight per client: while a reply waits
 * for room in the client's socket (a listing larger than the send
 * buffer), the rest of it stays queued here, the client's requests stay
 * unread in its socket, and the client's poll waits for UV_WRITABLE. A
 * client that takes nothing of its reply for CTL_SEND_TIMEOUT_MS is
 * dropped; the loop never blocks on a client.
 *
 * Each client costs the daemon one fd and at most one queued reply, so
 * the clients are capped: CTL_CLIENTS_PER_UID per peer uid (SO_PEERCRED
 * at connect time) and CTL_CLIENTS_MAX in all. A connection past a cap
 * is closed at once, with a log line at most every
 * CTL_REFUSE_LOG_INTERVAL_MS.
 *
 * DMABUFD_CTL_MAP redeems a mapping token issued by DMABUFD_DMA_BUF_IOC_MAP
 * to the same uid (root may redeem any) and sends a reopen of the
 * buffer's memfd (dma_buf_open_memfd(): /proc/self/fd/N), read-only when
 * the token was issued on a read-only fd, so the client cannot map it
 * writable. Never the memfd itself: a reopen is counted by the kernel, so
 * the system heap can tell when the last of them is gone (heap_system.h).
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

/* Clients of one peer uid at a time (proto/dmabufd/control.h). */
#define CTL_CLIENTS_PER_UID 64u
/* Clients at a time, all uids together. */
#define CTL_CLIENTS_MAX 256u
/* A client that takes nothing of its reply for this long is dropped. */
#define CTL_SEND_TIMEOUT_MS 5000
/* At most one log line about refused connections per this interval. */
#define CTL_REFUSE_LOG_INTERVAL_MS 10000

/*
 * The reply being sent to a client: the header (with @fd, for MAP), then
 * @len bytes of payload as messages of at most @msg_size bytes.
 */
struct ctl_out {
	struct dmabufd_ctl_reply head;
	int fd;                          /* -EBADF: none; closed once sent */
	bool head_sent;
	void *recs;                      /* a listing's records (owned) */
	struct dmabufd_ctl_stats stats;  /* STATS' payload */
	const char *payload;             /* recs, &stats or NULL */
	size_t len, off, msg_size;
};

struct ctl_client {
	uv_poll_t poll;
	uv_timer_t deadline;   /* armed while a reply waits for room */
	unsigned handles;      /* libuv handles not closed yet */
	int fd;
	uid_t uid;             /* the peer's, at connect time */
	bool sending;          /* @out is in flight: requests wait unread */
	struct ctl_out out;
	LIST_ENTRY(ctl_client) link;
};

static LIST_HEAD(, ctl_client) clients = LIST_HEAD_INITIALIZER(clients);
static unsigned client_count;
static uv_poll_t listener;
static int listen_fd = -EBADF;
static bool listener_live; /* uv_poll_init'ed: close through uv_close */
/* accept() ran out of fds or memory: the listener rests this long (else
 * its pending connection keeps it readable and the loop spins). */
#define LISTEN_BACKOFF_MS 100
static uv_timer_t backoff;
static bool backoff_live;
static bool starved;	/* said so; cleared by the next accept */
static char *socket_path;
static uint64_t refuse_logged_ms; /* uv_now() of the last line; 0: none */
static unsigned refused_unlogged; /* refused since that line */

static void out_clear(struct ctl_out *out)
{
	if (out->fd >= 0)
		close(out->fd);
	free(out->recs);
	*out = (struct ctl_out){ .fd = -EBADF };
}

/* A close callback: the client goes with its last handle. */
static void client_release(struct ctl_client *c)
{
	if (--c->handles)
		return;
	out_clear(&c->out);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void client_poll_closed(uv_handle_t *handle)
{
	client_release(container_of((uv_poll_t *)handle, struct ctl_client, poll));
}

static void client_deadline_closed(uv_handle_t *handle)
{
	client_release(container_of((uv_timer_t *)handle, struct ctl_client,
				    deadline));
}

static void client_drop(struct ctl_client *c)
{
	LIST_REMOVE(c, link);
	client_count--;
	uv_close((uv_handle_t *)&c->poll, client_poll_closed);
	uv_close((uv_handle_t *)&c->deadline, client_deadline_closed);
}

/* Send @head, with @fd attached when >= 0: sendmsg()'s result. */
static ssize_t send_head(int sock, const struct dmabufd_ctl_reply *head, int fd)
{
	struct iovec iov = { .iov_base = (void *)head, .iov_len = sizeof(*head) };
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
	return sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * Send as much of @c's reply as the socket takes, one whole message at a
 * time (SOCK_SEQPACKET sends each message whole or not at all). Returns
 * 0 when all of it went, 1 when the socket is full, or -errno; sets
 * *ret_progress when at least one message went.
 */
static int out_send(struct ctl_client *c, bool *ret_progress)
{
	struct ctl_out *out = &c->out;

	while (!out->head_sent || out->off < out->len) {
		size_t want;
		ssize_t n;

		if (!out->head_sent) {
			want = sizeof(out->head);
			n = send_head(c->fd, &out->head, out->fd);
		} else {
			want = out->len - out->off < out->msg_size
				       ? out->len - out->off : out->msg_size;
			n = send(c->fd, out->payload + out->off, want,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n < 0)
			return -errno;
		if ((size_t)n != want)
			return -EIO;
		*ret_progress = true;
		if (out->head_sent) {
			out->off += want;
		} else {
			out->head_sent = true;
			if (out->fd >= 0)
				close(out->fd);
			out->fd = -EBADF;
		}
	}
	return 0;
}

static void client_event(uv_poll_t *handle, int status, int events);

static void client_timed_out(uv_timer_t *timer)
{
	struct ctl_client *c = container_of(timer, struct ctl_client, deadline);

	log_debug("control: dropping a client of uid %u: it took nothing of "
		  "its reply for %d ms", (unsigned)c->uid, CTL_SEND_TIMEOUT_MS);
	client_drop(c);
}

/*
 * Go on with @c's reply: send what the socket takes; when all of it went,
 * read the next request, else wait for room (the deadline restarts
 * whenever a message went). Drops @c on a send error.
 */
static void client_continue(struct ctl_client *c)
{
	bool progress = false;
	int r = out_send(c, &progress);

	if (r == 0) {
		out_clear(&c->out);
		c->sending = false;
		uv_timer_stop(&c->deadline);
		r = uv_poll_start(&c->poll, UV_READABLE, client_event);
	} else if (r > 0) {
		if (progress || !uv_is_active((uv_handle_t *)&c->deadline))
			uv_timer_start(&c->deadline, client_timed_out,
				       CTL_SEND_TIMEOUT_MS, 0);
		r = uv_poll_start(&c->poll, UV_WRITABLE, client_event);
	}
	if (r < 0) {
		log_debug("control: dropping a client: %s", strerror(-r));
		client_drop(c);
	}
}

/*
 * Redeem @token: returns an fd to send (the caller closes it) and sets
 * *ret_size, or a negative errno.
 */
static int ctl_map(struct ctl_client *c, uint64_t token, __u64 *ret_size)
{
	_cleanup_(dma_buf_unrefp) struct dma_buf *buf = NULL;
	uid_t uid, peer = c->uid;
	void *obj;
	int mode, fd, r;

	r = token_take(token, TOKEN_MAP, -1, &obj, &mode, &uid);
	if (r < 0)
		return -EINVAL;
	buf = obj;
	if (peer != 0 && peer != uid)
		return -EPERM;
	fd = dma_buf_open_memfd(buf, mode == O_RDWR ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return fd;
	*ret_size = buf->size;
	return fd;
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

/* Answer @req (@len bytes long): queue the reply and start sending it. */
static void client_request(struct ctl_client *c,
			   const struct dmabufd_ctl_req *req, ssize_t len)
{
	struct ctl_out *out = &c->out;
	struct dmabufd_ctl_reply *reply = &out->head;
	unsigned count = 0;
	size_t rec_size = 0;
	int r = 0;

	*out = (struct ctl_out){ .fd = -EBADF };
	reply->op = len >= (ssize_t)sizeof(*req) ? req->op : 0;
	if (len != sizeof(*req) || req->version != DMABUFD_CTL_VERSION ||
	    (req->op != DMABUFD_CTL_DMA_FAULT && !args_zero(req)) ||
	    (req->op != DMABUFD_CTL_MAP && req->token)) {
		r = -EINVAL;
	} else if (req->op == DMABUFD_CTL_MAP) {
		r = ctl_map(c, req->token, &reply->size);
		if (r >= 0) {
			out->fd = r;
			r = 0;
		}
	} else if (req->op == DMABUFD_CTL_STATS) {
		dev_get_stats(&out->stats);
		out->payload = (const char *)&out->stats;
		out->len = out->msg_size = sizeof(out->stats);
		reply->size = sizeof(out->stats);
	} else if (req->op == DMABUFD_CTL_DMA_FAULT) {
		if (c->uid != 0 && c->uid != geteuid())
			r = -EPERM;
		else
			r = dma_setup_fault(req->arg[0], req->arg[1], req->arg[2],
					    req->arg[3]);
	} else {
		r = ctl_list(req->op, &out->recs, &count, &rec_size);
		if (r >= 0) {
			out->payload = out->recs;
			out->len = (size_t)count * rec_size;
			out->msg_size = rec_size * DMABUFD_CTL_RECS_PER_MSG;
			reply->count = count;
			reply->rec_size = (uint32_t)rec_size;
			reply->size = (uint64_t)count * rec_size;
		}
	}
	reply->error = -r;
	c->sending = true;
	client_continue(c);
}

static void client_event(uv_poll_t *handle, int status, int events)
{
	struct ctl_client *c = container_of(handle, struct ctl_client, poll);
	struct dmabufd_ctl_req req;
	ssize_t n;

	if (status < 0)
		return client_drop(c);
	if (c->sending)
		return client_continue(c);
	n = recv(c->fd, &req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		return client_drop(c);
	client_request(c, &req, n);
}

/* The peer's uid, or -errno. */
static int peer_uid(int fd, uid_t *ret_uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	*ret_uid = cred.uid;
	return 0;
}

/* Whether one more client of @uid stays within the caps. */
static bool client_allowed(uid_t uid, unsigned *ret_of_uid)
{
	const struct ctl_client *c;
	unsigned of_uid = 0;

	LIST_FOREACH(c, &clients, link)
		if (c->uid == uid)
			of_uid++;
	*ret_of_uid = of_uid;
	return client_count < CTL_CLIENTS_MAX && of_uid < CTL_CLIENTS_PER_UID;
}

/* Log a refused connection, at most once per CTL_REFUSE_LOG_INTERVAL_MS. */
static void log_refused(uv_loop_t *loop, uid_t uid, unsigned of_uid)
{
	uint64_t now = uv_now(loop);
	char more[64] = "";

	if (refuse_logged_ms && now - refuse_logged_ms < CTL_REFUSE_LOG_INTERVAL_MS) {
		refused_unlogged++;
		return;
	}
	if (refused_unlogged)
		snprintf(more, sizeof(more), "; %u more refused since the last "
			 "such line", refused_unlogged);
	log_warn("control: refused a connection of uid %u: it has %u of at "
		 "most %u, all uids %u of at most %u%s", (unsigned)uid, of_uid,
		 CTL_CLIENTS_PER_UID, client_count, CTL_CLIENTS_MAX, more);
	refuse_logged_ms = now ? now : 1;
	refused_unlogged = 0;
}

static void listener_readable(uv_poll_t *handle, int status, int events);

static void listener_resume(uv_timer_t *timer)
{
	if (listener_live)
		(void)uv_poll_start(&listener, UV_READABLE, listener_readable);
}

/* Stop accepting for LISTEN_BACKOFF_MS (see backoff above). */
static void listener_rest(uv_loop_t *loop, int err)
{
	if (!backoff_live) {
		if (uv_timer_init(loop, &backoff) < 0)
			return;
		backoff_live = true;
	}
	if (uv_is_active((uv_handle_t *)&backoff))
		return;
	if (!starved)
		log_warn("control: cannot accept a connection (%s): resting "
			 "%d ms at a time until one is accepted",
			 strerror(err), LISTEN_BACKOFF_MS);
	starved = true;
	uv_poll_stop(&listener);
	uv_timer_start(&backoff, listener_resume, LISTEN_BACKOFF_MS, 0);
}

static void listener_readable(uv_poll_t *handle, int status, int events)
{
	struct ctl_client *c;
	uid_t uid = (uid_t)-1; /* set by peer_uid(); quiets -Wmaybe-uninitialized */
	unsigned of_uid;
	int fd;

	if (status < 0)
		return;
	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			listener_rest(handle->loop, errno);
		return;
	}
	if (starved) {
		log_notice("control: accepting connections again");
		starved = false;
	}
	if (peer_uid(fd, &uid) < 0) {
		close(fd);
		return;
	}
	if (!client_allowed(uid, &of_uid)) {
		log_refused(handle->loop, uid, of_uid);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->uid = uid;
	c->out.fd = -EBADF;
	uv_timer_init(handle->loop, &c->deadline);
	c->handles = 1;
	if (uv_poll_init(handle->loop, &c->poll, fd) < 0) {
		uv_close((uv_handle_t *)&c->deadline, client_deadline_closed);
		return;
	}
	c->handles++;
	LIST_INSERT_HEAD(&clients, c, link);
	client_count++;
	if (uv_poll_start(&c->poll, UV_READABLE, client_event) < 0)
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
	if (backoff_live) {
		uv_close((uv_handle_t *)&backoff, NULL);
		backoff_live = false;
	}
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
