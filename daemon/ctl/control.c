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
 * the clients are capped: per peer uid (SO_PEERCRED at connect time) by
 * its account's limit of connections (acct.h: ACCT_CONNECTIONS, from
 * [limits] uid-connections), and CTL_CLIENTS_MAX in all. Clients keep
 * connections open (libdmabufd keeps one per process for its mappings),
 * so a connection past a cap first makes room: the longest idle
 * connection (no reply in flight, no request waiting unread) of the same
 * uid when that uid is at its own cap (whether or not all are at theirs),
 * else for the cap on all the longest idle of any uid, is closed, and its
 * client connects again when it next needs to. Only when every connection in the way is busy is the new one
 * closed at once, with a log line at most every
 * CTL_REFUSE_LOG_INTERVAL_MS (the account logs its own refusals).
 *
 * DMABUFD_CTL_MAP redeems a mapping token issued by DMABUFD_DMA_BUF_IOC_MAP
 * to the same uid (root may redeem any) and sends a reopen of the
 * buffer's memfd (dma_buf_open_memfd(): /proc/self/fd/N), read-only when
 * the token was issued on a read-only fd, so the client cannot map it
 * writable. Never the memfd itself: a reopen is counted by the kernel, so
 * the system heap can tell when the last of them is gone (heap_system.h).
 * Exporters make their memfd inodes 0600 (dma_buf_ops.get_memfd), so a
 * client that is not root cannot reopen its copy writable through /proc.
 * A token of DMABUFD_DMA_IOC_STATUS_MAP is redeemed the same way, for a
 * read-only reopen of the dmaengine fd's status page (dev/status_page.h).
 *
 * The listings (dma_records.c: DMA controllers, channels, transfers;
 * model_records.c: heaps, buffers, fences, timelines) follow their reply
 * as batches of at most DMABUFD_CTL_RECS_PER_MSG records, made one at a
 * time (listing.h) when the previous one has gone into the socket: a
 * connection holds one batch at most (ctl_listing_batch_max(), 13.8 KiB
 * for the largest records), however many objects there are, and a
 * client that stops reading stops the listing there. One event of a
 * client sends at most CTL_MSGS_PER_EVENT messages, then yields to the
 * loop (its poll stays on UV_WRITABLE, so it goes on at the next turn):
 * a listing of any size costs the loop a few batches per turn. What the
 * connections hold is in the stats (DMABUFD_STAT_CTL_HELD_*).
 * DMABUFD_CTL_DMA_FAULT is for root and the daemon's own uid only
 * (dma_setup_fault()).
 *
 * The views (DMABUFD_CTL_BUFINFO, _SYNC_INFO, _DMA_SUMMARY: the kernel's
 * debugfs texts, rendered by daemon/debug) go the same way: a batch is
 * a struct dmabufd_ctl_batch and up to DMABUFD_CTL_TEXT_PER_MSG bytes of
 * text, made by debug_view_batch() when the last one has gone, with
 * nothing held between two but the view's cursor.
 *
 * DMABUFD_CTL_TRACE subscribes the connection to the recorder
 * (util/recorder.h; at most DMABUFD_CTL_TRACE_SUBSCRIBERS at a time, of
 * them at most DMABUFD_CTL_TRACE_PER_UID of one uid, and the last
 * DMABUFD_CTL_TRACE_RESERVED only root's and the daemon's user's, so no
 * user can keep the administrator from tracing):
 * after the reply, the connection's poll adds UV_WRITABLE whenever its
 * ring holds records (the recorder's wake), and each event sends up to
 * CTL_MSGS_PER_EVENT batches of what the ring holds, consuming only what
 * went. The ring, not the loop, absorbs a slow reader: once full it
 * drops and counts (the next batch's @lost), so a subscriber that reads
 * nothing costs its ring and no time, and is never timed out. While
 * subscribed the connection is read for one message, the STOP: the
 * recorder then stops filling the ring, the rest goes out, then an END
 * batch, and the connection takes requests again. Anything else read,
 * or an error, drops the connection (and the subscription with it).
 *
 * DMABUFD_CTL_INFO is what main.c's control_set_info() callback says of
 * the daemon, and the limits in force (model/acct.h).
 *
 * DMABUFD_CTL_FENCE_IMPORT and _FENCE_EXPORT are kernel_sync.h's. A
 * request is read with recvmsg(), and an fd passed along is taken for
 * FENCE_IMPORT only. Every fd a client passed, and every client socket
 * (fds may be queued in it), is closed off the loop (util/fd_drop.h): the
 * last close of one of this daemon's own CUSE files waits for a release
 * that only the loop can answer. The import's claim token is issued by the
 * connection (a token_owner charged to the peer's account) and dies
 * with it: a client claims it right after the reply, on the connection
 * it keeps.
 *
 * DMABUFD_CTL_BUF_EXPORT_KERNEL is kernel_buf.h's: the buffer named as
 * for MAP (a MAP token or a handle of the peer's uid), and only with
 * read and write access, since a udmabuf is always writable.
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <dmabufd/control.h>

#include "debug/debug.h"
#include "dev/dev.h"
#include "dev/handle.h"
#include "dev/status_page.h"
#include "dev/token.h"
#include "dma_records.h"
#include "file_records.h"
#include "kernel_buf.h"
#include "kernel_sync.h"
#include "model/sync_file.h"
#include "model/acct.h"
#include "listing.h"
#include "model/clock.h"
#include "model/dma_buf.h"
#include "model_records.h"
#include "util/fd_drop.h"
#include "util/log.h"
#include "util/macros.h"
#include "wiring/dma_setup.h"
#include "util/recorder.h"

/* Clients at a time, all uids together. */
#define CTL_CLIENTS_MAX 256u
/* A client that takes nothing of its reply for this long is dropped. */
#define CTL_SEND_TIMEOUT_MS 5000
/* At most one log line about refused connections per this interval. */
#define CTL_REFUSE_LOG_INTERVAL_MS 10000
/* Messages one client event sends at most before the loop goes on. */
#define CTL_MSGS_PER_EVENT 4
/* A view's batch: its header and its text. */
#define VIEW_BATCH_MAX (sizeof(struct dmabufd_ctl_batch) + DMABUFD_CTL_TEXT_PER_MSG)
_Static_assert(DMABUFD_CTL_TEXT_PER_MSG == DEBUG_BATCH_BYTES &&
	       DEBUG_BATCH_BYTES >= DEBUG_LINE_MAX, "a view's batch");

/*
 * The reply being sent to a client: the header (with @fd, for MAP), then
 * the payload, one message of @len bytes (STATS' stats, or a listing's
 * batch), then for a listing the next batches, made as the previous one
 * has gone.
 */
struct ctl_out {
	struct dmabufd_ctl_reply head;
	int fd;                          /* -EBADF: none; closed once sent */
	bool head_sent;
	bool payload_sent;
	union {
		struct dmabufd_ctl_stats stats; /* STATS' payload */
		struct dmabufd_ctl_info info;   /* INFO's */
	};
	const char *payload;             /* &stats, &info, batch or NULL */
	size_t len;
	bool listing_on;                 /* @listing has batches to make */
	struct ctl_listing listing;
	bool view_on;                    /* @view has batches to make */
	struct debug_cursor view;
	void *batch;                     /* ctl_listing_batch_max() or
					  * VIEW_BATCH_MAX bytes */
	size_t held;                     /* bytes allocated for this reply */
};

struct ctl_client {
	uv_poll_t poll;
	uv_timer_t deadline;   /* armed while a reply waits for room */
	unsigned handles;      /* libuv handles not closed yet */
	int fd;
	uid_t uid;             /* the peer's, at connect time */
	pid_t pid;             /* likewise (a buffer's last caller after MAP) */
	struct acct *acct;     /* @uid's, charged with this connection */
	bool sending;          /* @out is in flight: requests wait unread */
	bool charged;          /* @acct's ACCT_CONNECTIONS holds this one */
	int polling;           /* the UV_ events @poll watches now */
	struct ctl_out out;
	TAILQ_ENTRY(ctl_client) link; /* least recently used first */
	/* DMABUFD_CTL_TRACE */
	bool tracing;          /* subscribed (or stopping): @trace is live */
	bool trace_stopping;   /* STOP read: send the rest, then END */
	struct recorder_sub trace;
	void *trace_msg;       /* one batch: CTL_TRACE_MSG_SIZE bytes */
	struct token_owner tokens; /* FENCE_IMPORT's claim tokens */
};

#define CTL_TRACE_MSG_SIZE                          \
	(sizeof(struct dmabufd_ctl_trace_batch) +   \
	 DMABUFD_CTL_RECS_PER_MSG * sizeof(struct dmabufd_ctl_trace_rec))

static TAILQ_HEAD(, ctl_client) clients = TAILQ_HEAD_INITIALIZER(clients);
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
static size_t held_bytes; /* every ctl_out.held together */
static unsigned trace_subs; /* clients tracing */
/* Control requests answered since the start (DMABUFD_STAT_CTL_REQUESTS). */
static uint64_t ctl_requests;
static uint64_t refuse_logged_ms; /* uv_now() of the last line; 0: none */
static unsigned refused_unlogged; /* refused since that line */

static void out_clear(struct ctl_out *out)
{
	if (out->fd >= 0)
		close(out->fd);
	free(out->batch);
	held_bytes -= out->held;
	*out = (struct ctl_out){ .fd = -EBADF };
}

static void client_uncharge(struct ctl_client *c)
{
	if (c->charged)
		acct_uncharge(c->acct, ACCT_CONNECTIONS, 1);
	c->charged = false;
}

/* End @c's subscription, if any, and free what it holds. */
static void trace_end(struct ctl_client *c)
{
	if (!c->tracing)
		return;
	recorder_sub_free(&c->trace);
	free(c->trace_msg);
	c->trace_msg = NULL;
	c->tracing = c->trace_stopping = false;
	trace_subs--;
}

/* A close callback: the client goes with its last handle. */
static void client_release(struct ctl_client *c)
{
	if (--c->handles)
		return;
	out_clear(&c->out);
	/* fds the client sent and nobody read may still be queued in it. */
	fd_drop(c->fd);
	client_uncharge(c);
	acct_unref(c->acct);
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

/* Close @c: it leaves the caps at once, its memory when libuv is done. */
static void client_drop(struct ctl_client *c)
{
	TAILQ_REMOVE(&clients, c, link);
	client_count--;
	client_uncharge(c);
	trace_end(c);
	token_owner_clear(&c->tokens);
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

/* Make a view's next batch into @buf (VIEW_BATCH_MAX bytes): its length. */
static size_t view_batch(struct debug_cursor *view, void *buf)
{
	struct dmabufd_ctl_batch *b = buf;
	uint64_t hidden = view->hidden;
	size_t n = debug_view_batch(view, (char *)(b + 1),
				    DMABUFD_CTL_TEXT_PER_MSG);
	uint64_t passed = view->hidden - hidden;

	*b = (struct dmabufd_ctl_batch){
		.count = (uint32_t)n,
		.flags = view->done ? DMABUFD_CTL_BATCH_END : 0,
		.rec_size = 1,
		.hidden = passed > UINT32_MAX ? UINT32_MAX : (uint32_t)passed,
	};
	return sizeof(*b) + n;
}

/*
 * Send as much of @c's reply as the socket takes, one whole message at a
 * time (SOCK_SEQPACKET sends each message whole or not at all), making a
 * listing's next batch only once the last one went, and at most
 * CTL_MSGS_PER_EVENT messages. Returns 0 when all of it went, 1 when the
 * socket is full or this event's share is used up, or -errno; sets
 * *ret_progress when at least one message went.
 */
static int out_send(struct ctl_client *c, bool *ret_progress)
{
	struct ctl_out *out = &c->out;
	unsigned sent = 0;

	for (;;) {
		size_t want;
		ssize_t n;

		if (out->head_sent && out->payload_sent) {
			if (out->listing_on && !out->listing.done)
				out->len = ctl_listing_batch(&out->listing,
							     out->batch);
			else if (out->view_on && !out->view.done)
				out->len = view_batch(&out->view, out->batch);
			else
				return 0;
			out->payload = out->batch;
			out->payload_sent = false;
		}
		if (sent == CTL_MSGS_PER_EVENT)
			return 1;
		if (!out->head_sent) {
			want = sizeof(out->head);
			n = send_head(c->fd, &out->head, out->fd);
		} else {
			want = out->len;
			n = send(c->fd, out->payload, want,
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
		sent++;
		if (out->head_sent) {
			out->payload_sent = true;
		} else {
			out->head_sent = true;
			out->payload_sent = !out->payload;
			if (out->fd >= 0)
				close(out->fd);
			out->fd = -EBADF;
		}
	}
}

static void client_event(uv_poll_t *handle, int status, int events);

/* Watch @c for @events; a no-op (no system call) when it already does,
 * as for every request whose reply went at once. */
static int client_poll(struct ctl_client *c, int events)
{
	int r;

	if (c->polling == events)
		return 0;
	r = uv_poll_start(&c->poll, events, client_event);
	if (r == 0)
		c->polling = events;
	return r;
}

/* What @c's poll watches with no reply in flight: requests, and while
 * it traces, room for records it has to send (the STOP's END included;
 * then nothing else is read until it went). */
static int client_idle_events(const struct ctl_client *c)
{
	if (!c->tracing)
		return UV_READABLE;
	if (c->trace_stopping)
		return UV_WRITABLE;
	return UV_READABLE | (c->trace.len ? UV_WRITABLE : 0);
}

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
		r = client_poll(c, client_idle_events(c));
	} else if (r > 0) {
		if (progress || !uv_is_active((uv_handle_t *)&c->deadline))
			uv_timer_start(&c->deadline, client_timed_out,
				       CTL_SEND_TIMEOUT_MS, 0);
		r = client_poll(c, UV_WRITABLE);
	}
	if (r < 0) {
		log_debug("control: dropping a client: %s", strerror(-r));
		client_drop(c);
	}
}

/* Redeem a dmaengine status page token (TOKEN_DMA_STATUS): read-only. */
static int ctl_map_status(struct ctl_client *c, uint64_t token,
			  __u64 *ret_size)
{
	_cleanup_(status_page_unrefp) struct status_page *st = NULL;
	uid_t uid;
	void *obj;
	int fd;

	if (token_take(token, TOKEN_DMA_STATUS, -1, &obj, NULL, &uid) < 0)
		return -EINVAL;
	st = obj;
	if (c->uid != 0 && c->uid != uid)
		return -EPERM;
	fd = status_page_open(st);
	if (fd < 0)
		return fd;
	*ret_size = status_page_size();
	return fd;
}

/*
 * Redeem @token, a MAP token or a dma-buf handle of the peer's uid
 * (handle.h): returns an fd to send (the caller closes it) and sets
 * *ret_size, or a negative errno.
 */
static int ctl_map(struct ctl_client *c, uint64_t token, __u64 *ret_size)
{
	_cleanup_(dma_buf_unrefp) struct dma_buf *buf = NULL;
	uid_t uid, peer = c->uid;
	int mode, fd, r;

	r = dev_arg_dma_buf(token, TOKEN_MAP, peer, &buf, &mode, &uid);
	if (r < 0)
		return ctl_map_status(c, token, ret_size);
	if (peer != 0 && peer != uid)
		return -EPERM;
	/* A handle of a write-only or mode-3 fd: mmap needs read access. */
	if (mode == O_WRONLY || mode == O_ACCMODE)
		return -EACCES;
	fd = dma_buf_open_memfd(buf, mode == O_RDWR ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return fd == -EINVAL ? -ENODEV : fd;
	/* Mapping it is using it: the listings' last caller (LAST_PID). */
	if (c->pid > 0)
		buf->last_pid = c->pid;
	*ret_size = buf->size;
	return fd;
}

static const struct ctl_lister *const listers[] = {
	&ctl_dma_device_lister, &ctl_dma_channel_lister, &ctl_dma_xfer_lister,
	&ctl_heap_lister, &ctl_buffer_lister, &ctl_fence_lister,
	&ctl_timeline_lister, &ctl_file_lister,
};

/* The lister of a listing op, or NULL. */
static const struct ctl_lister *lister_find(uint32_t op)
{
	for (size_t i = 0; i < ARRAY_SIZE(listers); i++)
		if (listers[i]->op == op)
			return listers[i];
	return NULL;
}

/*
 * Start a listing for @c: its first batch goes right after the reply.
 * A version-1 request is refused (EPROTONOSUPPORT: its reply had the
 * count, which a listing made as it goes cannot know).
 */
static int ctl_list_start(struct ctl_client *c, const struct dmabufd_ctl_req *req,
			  const struct ctl_lister *lister)
{
	struct ctl_out *out = &c->out;
	size_t size = ctl_listing_batch_max(lister);

	if (req->version < 2)
		return -EPROTONOSUPPORT;
	out->batch = malloc(size);
	if (!out->batch)
		return -ENOMEM;
	out->held = size;
	held_bytes += size;
	ctl_listing_init(&out->listing, lister, c->uid, clock_now_ns());
	out->listing_on = true;
	out->head.rec_size = lister->rec_size;
	return 0;
}

/* The debug view a view op asks for, or NULL. */
static const struct debug_view *view_find(uint32_t op)
{
	switch (op) {
	case DMABUFD_CTL_BUFINFO:
		return debug_view_get(DEBUG_VIEW_BUFINFO);
	case DMABUFD_CTL_SYNC_INFO:
		return debug_view_get(DEBUG_VIEW_SYNC_INFO);
	case DMABUFD_CTL_DMA_SUMMARY:
		return debug_view_get(DEBUG_VIEW_DMA_SUMMARY);
	}
	return NULL;
}

/* Start a view for @c, as a listing of one-byte records (version 2). */
static int ctl_view_start(struct ctl_client *c, const struct dmabufd_ctl_req *req,
			  const struct debug_view *view)
{
	struct ctl_out *out = &c->out;

	if (req->version < 2)
		return -EPROTONOSUPPORT;
	out->batch = malloc(VIEW_BATCH_MAX);
	if (!out->batch)
		return -ENOMEM;
	out->held = VIEW_BATCH_MAX;
	held_bytes += VIEW_BATCH_MAX;
	debug_cursor_init(&out->view, view, c->uid);
	out->view_on = true;
	out->head.rec_size = 1;
	return 0;
}

/* The recorder's wake: @c's ring has records; send them when it may. */
static void trace_wake(struct recorder_sub *sub)
{
	struct ctl_client *c = container_of(sub, struct ctl_client, trace);

	/* A failure here shows as records kept until the next event. */
	if (!c->sending)
		(void)client_poll(c, client_idle_events(c));
}

/* Subscriptions of @uid's connections. */
static unsigned trace_subs_of(uid_t uid)
{
	struct ctl_client *c;
	unsigned n = 0;

	TAILQ_FOREACH(c, &clients, link)
		n += c->tracing && c->uid == uid;
	return n;
}

/* TRACE START for @c: subscribe; records go out once the reply has. */
static int ctl_trace_start(struct ctl_client *c,
			   const struct dmabufd_ctl_req *req)
{
	bool all = c->uid == 0 || c->uid == geteuid();
	unsigned slots = all ? DMABUFD_CTL_TRACE_SUBSCRIBERS
			     : DMABUFD_CTL_TRACE_SUBSCRIBERS - DMABUFD_CTL_TRACE_RESERVED;
	int r;

	if (req->version < 2)
		return -EPROTONOSUPPORT;
	if (req->arg[0] != DMABUFD_CTL_TRACE_START || req->arg[2] || req->arg[3])
		return -EINVAL;
	if (trace_subs >= slots ||
	    trace_subs_of(c->uid) >= DMABUFD_CTL_TRACE_PER_UID)
		return -EBUSY;
	c->trace_msg = malloc(CTL_TRACE_MSG_SIZE);
	if (!c->trace_msg)
		return -ENOMEM;
	r = recorder_subscribe(&c->trace, DMABUFD_CTL_TRACE_RING, req->arg[1],
			       all, c->uid, trace_wake);
	if (r < 0) {
		free(c->trace_msg);
		c->trace_msg = NULL;
		return r;
	}
	c->tracing = true;
	trace_subs++;
	c->out.head.rec_size = sizeof(struct dmabufd_ctl_trace_rec);
	return 0;
}

/*
 * Send what @c's ring holds, a batch at a time, at most
 * CTL_MSGS_PER_EVENT; when stopping and the ring is empty, the END
 * batch, which ends the subscription. Returns 0 or -errno (drop @c).
 */
static int trace_send(struct ctl_client *c)
{
	struct dmabufd_ctl_trace_batch *batch = c->trace_msg;
	struct dmabufd_ctl_trace_rec *recs = (void *)(batch + 1);

	for (unsigned sent = 0; sent < CTL_MSGS_PER_EVENT; sent++) {
		unsigned n = recorder_peek(&c->trace, recs,
					   DMABUFD_CTL_RECS_PER_MSG);
		bool end = c->trace_stopping && n == c->trace.len;
		size_t len = sizeof(*batch) + n * sizeof(*recs);
		ssize_t w;

		if (!n && !end)
			return 0;
		*batch = (struct dmabufd_ctl_trace_batch){
			.count = n,
			.flags = end ? DMABUFD_CTL_BATCH_END : 0,
			.rec_size = sizeof(*recs),
			.lost = c->trace.lost,
		};
		do
			w = send(c->fd, batch, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (w < 0 && errno == EINTR);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w < 0)
			return -errno;
		if ((size_t)w != len)
			return -EIO;
		recorder_consume(&c->trace, n);
		c->trace.lost -= batch->lost;
		if (end) {
			trace_end(c);
			return 0;
		}
	}
	return 0;
}

/*
 * An event of a tracing @c with no reply in flight: read its STOP (or
 * drop it for anything else), then send what is due.
 */
static ssize_t recv_req(int sock, struct dmabufd_ctl_req *req, int *ret_fd);

static void trace_event(struct ctl_client *c, int events)
{
	struct dmabufd_ctl_req req;
	ssize_t n;
	int r, in_fd;

	if ((events & UV_READABLE) && !c->trace_stopping) {
		n = recv_req(c->fd, &req, &in_fd);
		fd_drop(in_fd); /* a STOP carries none */
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			goto send;
		if (n != sizeof(req) || req.op != DMABUFD_CTL_TRACE ||
		    req.version < 2 || req.version > DMABUFD_CTL_VERSION ||
		    req.token || req.arg[0] != DMABUFD_CTL_TRACE_STOP ||
		    req.arg[1] || req.arg[2] || req.arg[3]) {
			if (n > 0)
				log_debug("control: dropping a tracing client "
					  "of uid %u: a message other than its "
					  "STOP", (unsigned)c->uid);
			return client_drop(c);
		}
		ctl_requests++;
		recorder_unsubscribe(&c->trace);
		c->trace_stopping = true;
	}
send:
	r = trace_send(c);
	if (r == 0)
		r = client_poll(c, client_idle_events(c));
	if (r < 0) {
		log_debug("control: dropping a tracing client: %s", strerror(-r));
		client_drop(c);
	}
}

static bool args_zero(const struct dmabufd_ctl_req *req)
{
	return !req->arg[0] && !req->arg[1] && !req->arg[2] && !req->arg[3];
}


/* STATS: the device layer's counts and the control socket's own. */
static void ctl_get_stats(struct dmabufd_ctl_stats *ret_stats)
{
	const struct ctl_client *c;
	size_t max = 0;

	dev_get_stats(ret_stats);
	TAILQ_FOREACH(c, &clients, link)
		if (c->out.held > max)
			max = c->out.held;
	ret_stats->count[DMABUFD_STAT_CTL_CLIENTS] = client_count;
	ret_stats->count[DMABUFD_STAT_CTL_HELD_BYTES] = (int64_t)held_bytes;
	ret_stats->count[DMABUFD_STAT_CTL_HELD_MAX] = (int64_t)max;
	ret_stats->count[DMABUFD_STAT_CTL_REQUESTS] = (int64_t)ctl_requests;
}

static control_info_fn info_fn;

void control_set_info(control_info_fn fn)
{
	info_fn = fn;
}

/* INFO: the daemon's own facts (info_fn) and the limits in force. */
static void ctl_get_info(struct dmabufd_ctl_info *ret_info)
{
	static const enum acct_res res[] = {
		[DMABUFD_CTL_LIMIT_BYTES] = ACCT_BYTES,
		[DMABUFD_CTL_LIMIT_FILES] = ACCT_FILES,
		[DMABUFD_CTL_LIMIT_TOKENS] = ACCT_TOKENS,
		[DMABUFD_CTL_LIMIT_CHANNELS] = ACCT_CHANNELS,
		[DMABUFD_CTL_LIMIT_CONNECTIONS] = ACCT_CONNECTIONS,
	};
	const struct acct_limits *limits = acct_get_limits();

	*ret_info = (struct dmabufd_ctl_info){ .pid = (__u32)getpid() };
	if (info_fn)
		info_fn(ret_info);
	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++)
		ret_info->limit[i] = limits->max[res[i]];
	if (limits->exempt_root)
		ret_info->limit_flags |= DMABUFD_CTL_LIMIT_EXEMPT_ROOT;
	if (limits->exempt_gid_set) {
		ret_info->limit_flags |= DMABUFD_CTL_LIMIT_EXEMPT_GROUP;
		ret_info->exempt_gid = (__u32)limits->exempt_gid;
	}
}

/* FENCE_IMPORT of @fd (taken): a claim token for the new sync_file. */
static int ctl_fence_import(struct ctl_client *c, int fd, __u64 *ret_token)
{
	_cleanup_(fence_unrefp) struct fence *fence = NULL;
	_cleanup_(sync_file_unrefp) struct sync_file *sf = NULL;
	int r;

	if (fd < 0)
		return -EBADF;
	r = kernel_fence_import(fd, c->uid, &fence);
	if (r < 0)
		return r;
	r = sync_file_new(fence, &sf);
	if (r < 0)
		return r;
	return token_new(&c->tokens, TOKEN_SYNC_FILE, sf, O_RDWR, c->uid,
			 ret_token);
}

/* FENCE_EXPORT of the sync_file @token names: the kernel sync_file. */
static int ctl_fence_export(struct ctl_client *c, uint64_t token)
{
	_cleanup_(sync_file_unrefp) struct sync_file *sf = NULL;
	int fd, r;

	if (dev_arg_sync_file(token, c->uid, &sf) < 0)
		return -EINVAL;
	r = kernel_fence_export(sync_file_fence(sf), c->uid, &fd);
	return r < 0 ? r : fd;
}

/*
 * BUF_EXPORT_KERNEL of the buffer @token names: returns the kernel
 * dma-buf's fd (the caller closes it) or a negative errno. Checked in
 * the order the protocol lists its errors.
 */
static int ctl_buf_export_kernel(struct ctl_client *c, uint64_t token,
				 __u64 *ret_size)
{
	_cleanup_(dma_buf_unrefp) struct dma_buf *buf = NULL;
	uid_t uid, peer = c->uid;
	int mode, fd, r;

	if (dev_arg_dma_buf(token, TOKEN_MAP, peer, &buf, &mode, &uid) < 0)
		return -EINVAL;
	if (peer != 0 && peer != uid)
		return -EPERM;
	if (mode != O_RDWR)
		return -EACCES;
	r = kernel_buf_export(buf, uid, &fd);
	if (r < 0)
		return r;
	*ret_size = buf->size;
	return fd;
}

/*
 * Answer @req (@len bytes long; @in_fd, taken, an fd passed along or
 * -EBADF): queue the reply and start sending it.
 */
static void client_request(struct ctl_client *c,
			   const struct dmabufd_ctl_req *req, ssize_t len,
			   int in_fd)
{
	struct ctl_out *out = &c->out;
	struct dmabufd_ctl_reply *reply = &out->head;
	const struct ctl_lister *lister;
	const struct debug_view *view;
	int r = 0;

	ctl_requests++;
	/* The most recently used goes last: eviction takes from the front. */
	TAILQ_REMOVE(&clients, c, link);
	TAILQ_INSERT_TAIL(&clients, c, link);
	*out = (struct ctl_out){ .fd = -EBADF };
	reply->op = len >= (ssize_t)sizeof(*req) ? req->op : 0;
	if (len != sizeof(*req) || req->version < DMABUFD_CTL_VERSION_MIN ||
	    req->version > DMABUFD_CTL_VERSION ||
	    (req->op != DMABUFD_CTL_DMA_FAULT && req->op != DMABUFD_CTL_TRACE &&
	     !args_zero(req)) ||
	    (req->op != DMABUFD_CTL_MAP && req->op != DMABUFD_CTL_FENCE_EXPORT &&
	     req->op != DMABUFD_CTL_BUF_EXPORT_KERNEL && req->token)) {
		r = -EINVAL;
	} else if (req->op == DMABUFD_CTL_FENCE_IMPORT) {
		r = ctl_fence_import(c, in_fd, &reply->token);
		in_fd = -EBADF;
	} else if (req->op == DMABUFD_CTL_FENCE_EXPORT) {
		r = ctl_fence_export(c, req->token);
		if (r >= 0) {
			out->fd = r;
			r = 0;
		}
	} else if (req->op == DMABUFD_CTL_BUF_EXPORT_KERNEL) {
		r = ctl_buf_export_kernel(c, req->token, &reply->size);
		if (r >= 0) {
			out->fd = r;
			r = 0;
		}
	} else if (req->op == DMABUFD_CTL_MAP) {
		r = ctl_map(c, req->token, &reply->size);
		if (r >= 0) {
			out->fd = r;
			r = 0;
		}
	} else if (req->op == DMABUFD_CTL_STATS) {
		ctl_get_stats(&out->stats);
		out->payload = (const char *)&out->stats;
		out->len = sizeof(out->stats);
		reply->size = sizeof(out->stats);
	} else if (req->op == DMABUFD_CTL_INFO) {
		ctl_get_info(&out->info);
		out->payload = (const char *)&out->info;
		out->len = sizeof(out->info);
		reply->size = sizeof(out->info);
	} else if (req->op == DMABUFD_CTL_DMA_FAULT) {
		if (c->uid != 0 && c->uid != geteuid())
			r = -EPERM;
		else
			r = dma_setup_fault(req->arg[0], req->arg[1], req->arg[2],
					    req->arg[3]);
	} else if (req->op == DMABUFD_CTL_TRACE) {
		r = ctl_trace_start(c, req);
	} else if ((lister = lister_find(req->op))) {
		r = ctl_list_start(c, req, lister);
	} else if ((view = view_find(req->op))) {
		r = ctl_view_start(c, req, view);
	} else {
		r = -EINVAL;
	}
	fd_drop(in_fd);
	if (r < 0) {
		out_clear(out);
		reply->token = 0;
	}
	reply->op = len >= (ssize_t)sizeof(*req) ? req->op : 0;
	reply->error = -r;
	c->sending = true;
	client_continue(c);
}

/*
 * Read one request into @req: its length (MSG_TRUNC: the message's), or
 * -1 with errno. *ret_fd is the first fd passed along, or -EBADF; any
 * other is dropped (fd_drop()). Room for as many fds as one message can
 * carry (SCM_MAX_FD), so that the kernel never closes any in this thread.
 */
#define CTL_MAX_FDS 253 /* SCM_MAX_FD */
static ssize_t recv_req(int sock, struct dmabufd_ctl_req *req, int *ret_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = req, .iov_len = sizeof(*req) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n;

	*ret_fd = -EBADF;
	n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm;
	     cm = CMSG_NXTHDR(&msg, cm)) {
		size_t nfds;
		int fds[CTL_MAX_FDS];

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfds > CTL_MAX_FDS)
			nfds = CTL_MAX_FDS;
		memcpy(fds, CMSG_DATA(cm), nfds * sizeof(int));
		for (size_t i = 0; i < nfds; i++) {
			if (*ret_fd < 0)
				*ret_fd = fds[i];
			else
				fd_drop(fds[i]);
		}
	}
	return n;
}

static void client_event(uv_poll_t *handle, int status, int events)
{
	struct ctl_client *c = container_of(handle, struct ctl_client, poll);
	struct dmabufd_ctl_req req;
	int in_fd;
	ssize_t n;

	if (status < 0)
		return client_drop(c);
	if (c->sending)
		return client_continue(c);
	if (c->tracing)
		return trace_event(c, events);
	n = recv_req(c->fd, &req, &in_fd);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		fd_drop(in_fd);
		return client_drop(c);
	}
	client_request(c, &req, n, in_fd);
}

/*
 * Whether @c's peer sent a request that the loop has not read yet (it
 * became readable in the same turn as the listener, or the loop has not
 * come to it): such a connection is in use, not idle.
 */
static bool request_waiting(const struct ctl_client *c)
{
	int n = 0;

	/* On a SOCK_SEQPACKET socket: the length of the next message. */
	return ioctl(c->fd, FIONREAD, &n) == 0 && n > 0;
}

/*
 * Close the longest idle connection (no reply in flight, no request
 * waiting, not tracing) of @acct's uid, or of anyone for NULL, to make room for a new
 * one. Returns whether there was one.
 */
static bool evict_idle(const struct acct *acct)
{
	struct ctl_client *c;

	TAILQ_FOREACH(c, &clients, link) {
		if (c->sending || c->tracing || (acct && c->acct != acct) ||
		    request_waiting(c))
			continue;
		log_debug("control: closing the idle connection of uid %u to "
			  "make room", (unsigned)c->uid);
		client_drop(c);
		return true;
	}
	return false;
}

/* The peer's uid and process, or -errno. */
static int peer_cred(int fd, uid_t *ret_uid, pid_t *ret_pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	*ret_uid = cred.uid;
	*ret_pid = cred.pid;
	return 0;
}

/* Log a connection refused by the cap on all clients, at most once per
 * CTL_REFUSE_LOG_INTERVAL_MS. */
static void log_refused(uv_loop_t *loop, uid_t uid)
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
	log_warn("control: refused a connection of uid %u: all uids have %u "
		 "of at most %u%s", (unsigned)uid, client_count,
		 CTL_CLIENTS_MAX, more);
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
	uid_t uid = (uid_t)-1; /* set by peer_cred(); quiets -Wmaybe-uninitialized */
	pid_t pid = 0;
	struct acct *acct = NULL;
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
	if (peer_cred(fd, &uid, &pid) < 0) {
		close(fd);
		return;
	}
	if (acct_get(uid, &acct) < 0) {
		close(fd);
		return;
	}
	/*
	 * At its own limit, the uid's own longest idle connection makes
	 * room, under both caps at once; if it has none, the charge refuses
	 * (and counts it). Only a uid below its limit may close another's
	 * (the longest idle of all), for the cap on all: so a uid's new
	 * connections never cost another uid more than it is allowed to
	 * hold, and a refused one costs nobody anything.
	 */
	if (acct_limit(acct, ACCT_CONNECTIONS) &&
	    acct->used[ACCT_CONNECTIONS] >= acct_limit(acct, ACCT_CONNECTIONS)) {
		evict_idle(acct);
	} else if (client_count >= CTL_CLIENTS_MAX && !evict_idle(NULL)) {
		log_refused(handle->loop, uid);
		acct_unref(acct);
		close(fd);
		return;
	}
	if (acct_charge(acct, ACCT_CONNECTIONS, 1) < 0) {
		acct_unref(acct);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		acct_uncharge(acct, ACCT_CONNECTIONS, 1);
		acct_unref(acct);
		close(fd);
		return;
	}
	c->fd = fd;
	c->uid = uid;
	c->pid = pid;
	c->acct = acct;
	token_owner_init(&c->tokens);
	c->tokens.acct = acct;
	c->charged = true;
	c->out.fd = -EBADF;
	uv_timer_init(handle->loop, &c->deadline);
	c->handles = 1;
	if (uv_poll_init(handle->loop, &c->poll, fd) < 0) {
		uv_close((uv_handle_t *)&c->deadline, client_deadline_closed);
		return;
	}
	c->handles++;
	TAILQ_INSERT_TAIL(&clients, c, link);
	client_count++;
	if (client_poll(c, UV_READABLE) < 0)
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

	while ((c = TAILQ_FIRST(&clients)))
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
