/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd: the control socket (proto/dmabufd/control.h).
 *
 * Mappings (MAP) go over one connection the process keeps, so a mapping
 * costs one round trip and no connect. It is soft state: made at the
 * first use; made again in a child after fork (the parent's stays the
 * parent's), when the daemon closed it (a restart, or it made room for
 * a new connection by closing the longest idle one: dmabufd(8)), when
 * the process's effective uid changed (the daemon knows the peer by its
 * uid at connect time, and takes only that uid's handles), and when its
 * fd number no longer holds the socket it did (a program that closed
 * every fd, say); a request that meets a closed connection is
 * sent once more on a new one. A reply waits at most KEPT_TIMEOUT_MS
 * (then -ETIMEDOUT, and the connection is dropped: a late reply would
 * answer the next request). A lock serialises the kept connection's
 * requests; fork() never waits for it (the child starts with a fresh
 * one). The other calls (stats, listings, faults) take a connection of
 * their own and close it.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"


static int ctl_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = dmabufd_control_path();
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Send @buf whole, with @pass_fd (SCM_RIGHTS) when >= 0. */
static int send_all_fd(int fd, const void *buf, size_t len, int pass_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (pass_fd >= 0) {
		struct cmsghdr *cmsg;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &pass_fd, sizeof(int));
	}
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EPROTO;
}

/*
 * Receive one message of exactly @len bytes. With @ret_fd, a descriptor
 * passed along is returned there (-1 if none); any other descriptor is
 * closed. Returns 0 or -errno (-ECONNRESET at EOF, -EPROTO for a short
 * or truncated message).
 */
static int recv_msg(int fd, void *buf, size_t len, int *ret_fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	int passed = -1, r = 0;
	ssize_t n;

	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0 && len)
		return -ECONNRESET;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t nfds;
		int fds[4];

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds, CMSG_DATA(c), nfds * sizeof(int));
		for (size_t i = 0; i < nfds; i++) {
			if (ret_fd && passed < 0)
				passed = fds[i];
			else
				close(fds[i]);
		}
	}
	if ((size_t)n != len || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		r = -EPROTO;
	if (r < 0 || !ret_fd) {
		dmabufd_close_quiet(passed);
		passed = -1;
	}
	if (ret_fd)
		*ret_fd = passed;
	return r;
}

static int send_all(int fd, const void *buf, size_t len)
{
	return send_all_fd(fd, buf, len, -1);
}

/* Send @req (with @pass_fd when >= 0), read the reply header; the
 * reply's error becomes -errno. */
static int ctl_call_req_fd(int sock, const struct dmabufd_ctl_req *req, int pass_fd,
			   struct dmabufd_ctl_reply *ret_reply, int *ret_fd)
{
	uint32_t op = req->op;
	struct dmabufd_ctl_reply reply;
	int r;

	r = send_all_fd(sock, req, sizeof(*req), pass_fd);
	if (r < 0)
		return r;
	r = recv_msg(sock, &reply, sizeof(reply), ret_fd);
	if (r < 0)
		return r;
	if (reply.op != op || reply.error < 0) {
		if (ret_fd)
			dmabufd_close_quiet(*ret_fd);
		return -EPROTO;
	}
	if (reply.error > 0) {
		if (ret_fd)
			dmabufd_close_quiet(*ret_fd);
		return -reply.error;
	}
	*ret_reply = reply;
	return 0;
}

static int ctl_call_req(int sock, const struct dmabufd_ctl_req *req,
			struct dmabufd_ctl_reply *ret_reply, int *ret_fd)
{
	return ctl_call_req_fd(sock, req, -1, ret_reply, ret_fd);
}

static size_t list_rec_size(uint32_t op);

static int ctl_call_fd(int sock, uint32_t op, uint64_t token, int pass_fd,
		       struct dmabufd_ctl_reply *ret_reply, int *ret_fd)
{
	/* Listings need version 2; the other ops are the same in version
	 * 1, which a daemon older than the batched listings takes too. */
	struct dmabufd_ctl_req req = {
		.version = list_rec_size(op) ? DMABUFD_CTL_VERSION
					     : DMABUFD_CTL_VERSION_MIN,
		.op = op,
		.token = token,
	};

	return ctl_call_req_fd(sock, &req, pass_fd, ret_reply, ret_fd);
}

static int ctl_call(int sock, uint32_t op, uint64_t token, struct dmabufd_ctl_reply *ret_reply,
		    int *ret_fd)
{
	return ctl_call_fd(sock, op, token, -1, ret_reply, ret_fd);
}

/* ---- the kept connection ------------------------------------------- */

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t kept_once = PTHREAD_ONCE_INIT;
static int kept_fd = -1;
static pid_t kept_pid;    /* the process that connected it */
static uid_t kept_euid;   /* as whom: the daemon's idea of the peer */
static dev_t kept_dev;    /* the socket's identity, to see that kept_fd */
static ino_t kept_ino;    /* still holds it */

/*
 * fork() never waits for the lock: a thread may hold it while the daemon
 * takes its time. The child, alone, starts with a fresh lock; whatever
 * it inherited of the connection is another process's (kept_pid), which
 * it only closes its copy of.
 */
static void kept_child(void)
{
	pthread_mutex_init(&kept_lock, NULL);
}

static void kept_init(void)
{
	pthread_atfork(NULL, NULL, kept_child);
}

/* Whether kept_fd is this process's live connection, made as the user
 * it is now (lock held). */
static bool kept_valid(void)
{
	struct stat st;

	if (kept_fd < 0 || kept_pid != getpid() || kept_euid != geteuid())
		return false;
	return fstat(kept_fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
	       st.st_dev == kept_dev && st.st_ino == kept_ino;
}

/*
 * Let go of the kept connection (lock held): close it if this process
 * made it and its number still holds it, else just forget the number
 * (a forked child's copy is closed too: the parent keeps its own).
 */
static void kept_drop(void)
{
	struct stat st;

	if (kept_fd >= 0 && fstat(kept_fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == kept_dev && st.st_ino == kept_ino)
		close(kept_fd);
	kept_fd = -1;
}

/* The most a request on the kept connection waits for its reply (the
 * daemon answers a MAP at once; more is a stopped or wedged daemon). */
#define KEPT_TIMEOUT_MS 10000

static int kept_connect(void)
{
	struct timeval tv = {
		.tv_sec = KEPT_TIMEOUT_MS / 1000,
		.tv_usec = (KEPT_TIMEOUT_MS % 1000) * 1000,
	};
	struct stat st;
	int fd = ctl_connect();

	if (fd < 0)
		return fd;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    fstat(fd, &st) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	kept_fd = fd;
	kept_pid = getpid();
	/* SO_PEERCRED: the effective uid at connect() time. */
	kept_euid = geteuid();
	kept_dev = st.st_dev;
	kept_ino = st.st_ino;
	return 0;
}

/* A request on the kept connection (with @pass_fd when >= 0), sent once
 * more on a new one if the daemon had closed it. */
static int kept_call_fd(uint32_t op, uint64_t token, int pass_fd,
			struct dmabufd_ctl_reply *ret_reply, int *ret_fd)
{
	int r = 0;

	pthread_once(&kept_once, kept_init);
	pthread_mutex_lock(&kept_lock);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!kept_valid()) {
			kept_drop();
			r = kept_connect();
			if (r < 0)
				break;
		}
		r = ctl_call_fd(kept_fd, op, token, pass_fd, ret_reply, ret_fd);
		if (r == -EAGAIN || r == -EWOULDBLOCK) {
			/* No reply in KEPT_TIMEOUT_MS: a late one would answer
			 * the next request, so this connection is done. */
			kept_drop();
			r = -ETIMEDOUT;
			break;
		}
		if (r != -EPIPE && r != -ECONNRESET && r != -ENOTCONN)
			break;
		kept_drop();
	}
	pthread_mutex_unlock(&kept_lock);
	return r;
}

static int kept_call(uint32_t op, uint64_t token,
		     struct dmabufd_ctl_reply *ret_reply, int *ret_fd)
{
	return kept_call_fd(op, token, -1, ret_reply, ret_fd);
}

int dmabufd_ctl_map(uint64_t token, int *ret_fd, uint64_t *ret_size)
{
	struct dmabufd_ctl_reply reply;
	int memfd = -1, r;

	r = kept_call(DMABUFD_CTL_MAP, token, &reply, &memfd);
	if (r < 0)
		return r;
	if (memfd < 0)
		return -EPROTO;
	*ret_fd = memfd;
	*ret_size = reply.size;
	return 0;
}

int dmabufd_map_token(uint64_t token, int prot, uint64_t want_size,
		      void **ret_addr, size_t *ret_len)
{
	uint64_t size;
	void *addr;
	int memfd, r;

	r = dmabufd_ctl_map(token, &memfd, &size);
	if (r < 0)
		return r;
	if (size == 0 || size > SIZE_MAX || (want_size && size != want_size)) {
		dmabufd_close_quiet(memfd);
		return -EPROTO;
	}
	addr = mmap(NULL, (size_t)size, prot, MAP_SHARED, memfd, 0);
	r = addr == MAP_FAILED ? -errno : 0;
	dmabufd_close_quiet(memfd);
	if (r < 0)
		return r;
	*ret_addr = addr;
	*ret_len = (size_t)size;
	return 0;
}

static const char *const stat_names[_DMABUFD_STAT_MAX] = {
	[DMABUFD_STAT_FENCES] = "fences",
	[DMABUFD_STAT_TIMELINES] = "timelines",
	[DMABUFD_STAT_SYNC_FILES] = "sync_files",
	[DMABUFD_STAT_DMA_BUFS] = "dma_bufs",
	[DMABUFD_STAT_ATTACHMENTS] = "attachments",
	[DMABUFD_STAT_MAPPINGS] = "mappings",
	[DMABUFD_STAT_HEAPS] = "heaps",
	[DMABUFD_STAT_TOKENS] = "tokens",
	[DMABUFD_STAT_OPEN_FILES] = "open_files",
	[DMABUFD_STAT_PENDING_REQS] = "pending_requests",
	[DMABUFD_STAT_TIMERS] = "timers",
	[DMABUFD_STAT_HEAP_BYTES] = "heap_bytes",
	[DMABUFD_STAT_DMA_CHANNELS] = "dma_channels",
	[DMABUFD_STAT_DMA_ATTACHMENTS] = "dma_attachments",
	[DMABUFD_STAT_DMA_XFERS] = "dma_transfers",
	[DMABUFD_STAT_ACCOUNTS] = "accounts",
	[DMABUFD_STAT_REFUSED_BYTES] = "refused_bytes",
	[DMABUFD_STAT_REFUSED_FILES] = "refused_files",
	[DMABUFD_STAT_REFUSED_TOKENS] = "refused_tokens",
	[DMABUFD_STAT_REFUSED_CHANNELS] = "refused_channels",
	[DMABUFD_STAT_REFUSED_CONNECTIONS] = "refused_connections",
	[DMABUFD_STAT_CTL_CLIENTS] = "control_clients",
	[DMABUFD_STAT_CTL_HELD_BYTES] = "control_held_bytes",
	[DMABUFD_STAT_CTL_HELD_MAX] = "control_held_max",
	[DMABUFD_STAT_LINGERING] = "lingering_buffers",
	[DMABUFD_STAT_LINGERING_BYTES] = "lingering_bytes",
	[DMABUFD_STAT_DMA_STATUS_PAGES] = "dma_status_pages",
	[DMABUFD_STAT_REQ_OPENS] = "requests_open",
	[DMABUFD_STAT_REQ_IOCTLS] = "requests_ioctl",
	[DMABUFD_STAT_REQ_RELEASES] = "requests_release",
	[DMABUFD_STAT_REQ_OTHER] = "requests_other",
	[DMABUFD_STAT_CTL_REQUESTS] = "requests_control",
};

DMABUFD_EXPORT const char *dmabufd_stat_name(unsigned int index)
{
	return index < _DMABUFD_STAT_MAX ? stat_names[index] : NULL;
}

DMABUFD_EXPORT int dmabufd_stats(struct dmabufd_ctl_stats *ret_stats)
{
	struct dmabufd_ctl_reply reply;
	struct dmabufd_ctl_stats stats;
	int sock, r;

	if (!ret_stats)
		return -EINVAL;
	sock = ctl_connect();
	if (sock < 0)
		return sock;
	r = ctl_call(sock, DMABUFD_CTL_STATS, 0, &reply, NULL);
	if (r == 0 && reply.size != sizeof(stats))
		r = -EPROTO;
	if (r == 0)
		r = recv_msg(sock, &stats, sizeof(stats), NULL);
	close(sock);
	if (r < 0)
		return r;
	*ret_stats = stats;
	return 0;
}

/* A DMABUFD_CTL_INFO payload past this is not believed (EPROTO). */
#define CTL_INFO_MAX 65536

DMABUFD_EXPORT int dmabufd_info(struct dmabufd_ctl_info *ret_info)
{
	struct dmabufd_ctl_info info = { 0 };
	struct dmabufd_ctl_reply reply;
	char *buf = NULL;
	int sock, r;

	if (!ret_info)
		return -EINVAL;
	sock = ctl_connect();
	if (sock < 0)
		return sock;
	r = ctl_call(sock, DMABUFD_CTL_INFO, 0, &reply, NULL);
	if (r == 0 && (reply.size == 0 || reply.size > CTL_INFO_MAX))
		r = -EPROTO;
	if (r == 0 && !(buf = malloc(reply.size)))
		r = -ENOMEM;
	if (r == 0)
		r = recv_msg(sock, buf, reply.size, NULL);
	close(sock);
	if (r == 0) {
		/* A daemon's longer struct: the fields this header knows. */
		memcpy(&info, buf, reply.size < sizeof(info) ? reply.size : sizeof(info));
		/* Its strings end within their arrays, whatever it sent. */
		info.version[sizeof(info.version) - 1] = '\0';
		info.config[sizeof(info.config) - 1] = '\0';
		info.dev_root[sizeof(info.dev_root) - 1] = '\0';
		*ret_info = info;
	}
	free(buf);
	return r;
}

/* The smallest record of each listing this header knows. */
static size_t list_rec_size(uint32_t op)
{
	switch (op) {
	case DMABUFD_CTL_DMA_DEVICES:
		return sizeof(struct dmabufd_ctl_dma_device);
	case DMABUFD_CTL_DMA_CHANNELS:
		return sizeof(struct dmabufd_ctl_dma_channel);
	case DMABUFD_CTL_DMA_XFERS:
		return sizeof(struct dmabufd_ctl_dma_xfer);
	case DMABUFD_CTL_HEAPS:
		return sizeof(struct dmabufd_ctl_heap);
	/* Records grown within version 2: the size they had first is all
	 * a daemon must send (list_widen() zero-fills the rest). */
	case DMABUFD_CTL_BUFFERS:
		return offsetof(struct dmabufd_ctl_buffer, opener_pid);
	case DMABUFD_CTL_FENCES:
		return offsetof(struct dmabufd_ctl_fence, producer_pid);
	case DMABUFD_CTL_TIMELINES:
		return sizeof(struct dmabufd_ctl_timeline);
	case DMABUFD_CTL_FILES:
		return sizeof(struct dmabufd_ctl_file);
	}
	return 0;
}

/*
 * The most memory a listing may take: one that grows past it is refused
 * with -EPROTO (a malformed or hostile daemon cannot make us allocate
 * without end). It also keeps the size within size_t on 32-bit hosts.
 */
#define LIST_MAX_BYTES ((uint64_t)64 << 20)
_Static_assert(LIST_MAX_BYTES <= SIZE_MAX, "a listing fits in size_t");

/*
 * Receive a listing's batches (proto/dmabufd/control.h) up to the one
 * marked END, the records gathered in *@ret_recs (NULL when none).
 */
static int recv_batches(int sock, uint32_t rec_size, uint32_t max_count,
			char **ret_recs, uint64_t *ret_len, uint32_t *ret_hidden)
{
	uint64_t hidden = 0;
	size_t msg_max = sizeof(struct dmabufd_ctl_batch) +
			 (size_t)rec_size * max_count;
	char *msg = malloc(msg_max), *recs = NULL;
	size_t len = 0, cap = 0;
	bool end = false;
	int r = 0;

	if (!msg)
		return -ENOMEM;
	while (!end && r == 0) {
		const struct dmabufd_ctl_batch *b = (const void *)msg;
		size_t bytes;
		ssize_t n;

		do
			n = recv(sock, msg, msg_max, MSG_TRUNC);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			r = -errno;
			break;
		}
		if ((size_t)n < sizeof(*b) || (size_t)n > msg_max ||
		    b->rec_size != rec_size ||
		    b->count > max_count ||
		    (size_t)n != sizeof(*b) + (size_t)b->count * rec_size ||
		    (b->flags & ~DMABUFD_CTL_BATCH_END)) {
			r = -EPROTO;
			break;
		}
		end = b->flags & DMABUFD_CTL_BATCH_END;
		hidden += b->hidden;
		bytes = (size_t)b->count * rec_size;
		if ((uint64_t)len + bytes > LIST_MAX_BYTES) {
			r = -EPROTO;
			break;
		}
		if (len + bytes > cap) {
			size_t want = cap ? cap * 2 : msg_max;
			char *grown;

			while (want < len + bytes)
				want *= 2;
			grown = realloc(recs, want);
			if (!grown) {
				r = -ENOMEM;
				break;
			}
			recs = grown;
			cap = want;
		}
		if (bytes)
			memcpy(recs + len, b + 1, bytes);
		len += bytes;
	}
	free(msg);
	if (r < 0) {
		free(recs);
		return r;
	}
	if (!len) {
		free(recs);
		recs = NULL;
	}
	*ret_recs = recs;
	*ret_len = len;
	*ret_hidden = hidden > UINT32_MAX ? UINT32_MAX : (uint32_t)hidden;
	return 0;
}

DMABUFD_EXPORT int dmabufd_ctl_list(uint32_t op, void **ret_recs, uint32_t *ret_count,
				    uint32_t *ret_rec_size)
{
	uint32_t hidden;

	return dmabufd_ctl_list_hidden(op, ret_recs, ret_count, ret_rec_size,
				       &hidden);
}

/* The size of @op's record as this header has it. */
static size_t list_rec_full(uint32_t op)
{
	switch (op) {
	case DMABUFD_CTL_BUFFERS:
		return sizeof(struct dmabufd_ctl_buffer);
	case DMABUFD_CTL_FENCES:
		return sizeof(struct dmabufd_ctl_fence);
	}
	return list_rec_size(op);
}

/*
 * Records of an older daemon, shorter than this header's (@full bytes):
 * copied into records of @full bytes, the fields the daemon did not send
 * zero (0: "unknown" in each of them). Returns 0 or -ENOMEM (then *@recs
 * is unchanged).
 */
static int list_widen(char **recs, uint64_t count, uint32_t rec_size,
		      size_t full)
{
	char *wide;

	if (!count)
		return 0;
	wide = calloc((size_t)count, full);
	if (!wide)
		return -ENOMEM;
	for (uint64_t i = 0; i < count; i++)
		memcpy(wide + i * full, *recs + i * rec_size, rec_size);
	free(*recs);
	*recs = wide;
	return 0;
}

DMABUFD_EXPORT int dmabufd_ctl_list_hidden(uint32_t op, void **ret_recs,
					   uint32_t *ret_count,
					   uint32_t *ret_rec_size,
					   uint32_t *ret_hidden)
{
	struct dmabufd_ctl_reply reply;
	size_t min = list_rec_size(op);
	char *recs = NULL;
	uint32_t hidden = 0;
	uint64_t len = 0;
	int sock, r;

	if (!ret_recs || !ret_count || !ret_rec_size || !ret_hidden || !min)
		return -EINVAL;
	sock = ctl_connect();
	if (sock < 0)
		return sock;
	r = ctl_call(sock, op, 0, &reply, NULL);
	if (r == 0 && (reply.rec_size < min || reply.rec_size > 65536 ||
		       reply.count || reply.size))
		r = -EPROTO;
	if (r == 0)
		r = recv_batches(sock, reply.rec_size, DMABUFD_CTL_RECS_PER_MSG,
				 &recs, &len, &hidden);
	close(sock);
	if (r == 0 && reply.rec_size < list_rec_full(op)) {
		r = list_widen(&recs, len / reply.rec_size, reply.rec_size,
			       list_rec_full(op));
		if (r == 0) {
			len = len / reply.rec_size * list_rec_full(op);
			reply.rec_size = (uint32_t)list_rec_full(op);
		}
	}
	if (r < 0) {
		free(recs);
		return r;
	}
	*ret_recs = recs;
	*ret_count = (uint32_t)(len / reply.rec_size);
	*ret_rec_size = reply.rec_size;
	*ret_hidden = hidden;
	return 0;
}

DMABUFD_EXPORT int dmabufd_ctl_view(uint32_t op, char **ret_text,
				    size_t *ret_len, uint32_t *ret_hidden)
{
	struct dmabufd_ctl_req req = {
		.version = DMABUFD_CTL_VERSION,
		.op = op,
	};
	struct dmabufd_ctl_reply reply;
	char *text = NULL, *nul;
	uint32_t hidden = 0;
	uint64_t len = 0;
	int sock, r;

	if (!ret_text || !ret_len ||
	    (op != DMABUFD_CTL_BUFINFO && op != DMABUFD_CTL_SYNC_INFO &&
	     op != DMABUFD_CTL_DMA_SUMMARY))
		return -EINVAL;
	sock = ctl_connect();
	if (sock < 0)
		return sock;
	r = ctl_call_req(sock, &req, &reply, NULL);
	if (r == 0 && (reply.rec_size != 1 || reply.count || reply.size))
		r = -EPROTO;
	if (r == 0)
		r = recv_batches(sock, 1, DMABUFD_CTL_TEXT_PER_MSG, &text, &len,
				 &hidden);
	close(sock);
	if (r < 0)
		return r;
	/* Room for the terminating NUL: the batches leave it in cap. */
	nul = realloc(text, (size_t)len + 1);
	if (!nul) {
		free(text);
		return -ENOMEM;
	}
	nul[len] = '\0';
	*ret_text = nul;
	*ret_len = (size_t)len;
	if (ret_hidden)
		*ret_hidden = hidden;
	return 0;
}

/* ---- the recorder (DMABUFD_CTL_TRACE) ---------------------------- */

DMABUFD_EXPORT int dmabufd_trace_open(uint32_t kinds)
{
	struct dmabufd_ctl_req req = {
		.version = DMABUFD_CTL_VERSION,
		.op = DMABUFD_CTL_TRACE,
		.arg = { DMABUFD_CTL_TRACE_START, kinds },
	};
	struct dmabufd_ctl_reply reply;
	int sock, r;

	sock = ctl_connect();
	if (sock < 0)
		return sock;
	r = ctl_call_req(sock, &req, &reply, NULL);
	if (r == 0 && reply.rec_size < sizeof(struct dmabufd_ctl_trace_rec))
		r = -EPROTO;
	if (r < 0) {
		close(sock);
		return r;
	}
	return sock;
}

DMABUFD_EXPORT int dmabufd_trace_read(int fd, struct dmabufd_ctl_trace_rec *ret_recs,
				      uint32_t *ret_lost, bool *ret_end)
{
	const struct dmabufd_ctl_trace_batch *b;
	size_t want = sizeof(*ret_recs);
	char *msg;
	ssize_t n;
	int r;

	if (fd < 0 || !ret_recs || !ret_lost || !ret_end)
		return -EINVAL;
	/* The message's length first: a newer daemon's records are longer. */
	do
		n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	msg = malloc((size_t)n);
	if (!msg)
		return -ENOMEM;
	r = recv_msg(fd, msg, (size_t)n, NULL);
	b = (const void *)msg;
	if (r == 0 && ((size_t)n < sizeof(*b) || b->rec_size < want ||
		       b->count > DMABUFD_CTL_RECS_PER_MSG ||
		       (size_t)n != sizeof(*b) + (size_t)b->count * b->rec_size ||
		       (b->flags & ~DMABUFD_CTL_BATCH_END)))
		r = -EPROTO;
	if (r == 0) {
		for (uint32_t i = 0; i < b->count; i++)
			memcpy(&ret_recs[i],
			       msg + sizeof(*b) + (size_t)i * b->rec_size, want);
		*ret_lost = b->lost;
		*ret_end = b->flags & DMABUFD_CTL_BATCH_END;
		r = (int)b->count;
	}
	free(msg);
	return r;
}

DMABUFD_EXPORT int dmabufd_trace_stop(int fd)
{
	struct dmabufd_ctl_req req = {
		.version = DMABUFD_CTL_VERSION,
		.op = DMABUFD_CTL_TRACE,
		.arg = { DMABUFD_CTL_TRACE_STOP },
	};

	if (fd < 0)
		return -EINVAL;
	return send_all(fd, &req, sizeof(req));
}

/* Decimal digits at @s (at least one, at most UINT32_MAX); *ret_end past them. */
static int parse_u32(const char *s, const char **ret_end, uint32_t *ret)
{
	uint64_t v = 0;
	const char *c = s;

	for (; *c >= '0' && *c <= '9'; c++) {
		v = v * 10 + (uint64_t)(*c - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	if (c == s)
		return -EINVAL;
	*ret = (uint32_t)v;
	*ret_end = c;
	return 0;
}

DMABUFD_EXPORT int dmabufd_dma_fault(const char *chan_name, uint32_t fault, uint32_t count)
{
	struct dmabufd_ctl_req req = {
		.version = DMABUFD_CTL_VERSION_MIN,
		.op = DMABUFD_CTL_DMA_FAULT,
		.arg = { 0, 0, fault, count },
	};
	struct dmabufd_ctl_reply reply;
	const char *p = chan_name;
	int sock, r;

	/* "dma<N>chan<M>", decimal, nothing else. */
	if (!p || strncmp(p, "dma", 3) || parse_u32(p + 3, &p, &req.arg[0]) < 0 ||
	    strncmp(p, "chan", 4) || parse_u32(p + 4, &p, &req.arg[1]) < 0 || *p)
		return -EINVAL;
	sock = ctl_connect();
	if (sock < 0)
		return sock;
	r = ctl_call_req(sock, &req, &reply, NULL);
	close(sock);
	return r;
}

/* ---- the real kernel's fences ---------------------------------------- */

DMABUFD_EXPORT int dmabufd_fence_import_sync_file(int kernel_fd)
{
	struct dmabufd_ctl_reply reply;
	int r;

	if (kernel_fd < 0)
		return -EBADF;
	/* The token dies with the connection that got it: claimed at once,
	 * while this process keeps it (a concurrent reconnect would only
	 * make this claim fail with EINVAL). */
	r = kept_call_fd(DMABUFD_CTL_FENCE_IMPORT, 0, kernel_fd, &reply, NULL);
	if (r < 0)
		return r;
	if (!reply.token)
		return -EPROTO;
	return dmabufd_sync_claim(reply.token);
}

DMABUFD_EXPORT int dmabufd_fence_export_kernel(int sync_fd)
{
	struct dmabufd_ctl_reply reply;
	uint64_t token;
	int kfd = -1, r;

	r = dmabufd_fd_arg_token(sync_fd, &token);
	if (r < 0)
		return r;
	if (!token)
		return -EINVAL; /* not a dmabufd sync_file */
	r = kept_call(DMABUFD_CTL_FENCE_EXPORT, token, &reply, &kfd);
	if (r < 0)
		return r;
	if (kfd < 0)
		return -EPROTO;
	return kfd;
}

DMABUFD_EXPORT int dmabufd_buf_export_kernel(int buf_fd)
{
	struct dmabufd_dma_buf_map map = { 0 };
	struct dmabufd_ctl_reply reply;
	int kfd = -1, r;

	r = xioctl(buf_fd, DMABUFD_DMA_BUF_IOC_MAP, &map);
	if (r == -ENOTTY)
		return -EINVAL; /* not a dmabufd dma-buf */
	if (r < 0)
		return r;
	/* The daemon checks the token's access (EACCES unless O_RDWR). */
	r = kept_call(DMABUFD_CTL_BUF_EXPORT_KERNEL, map.token, &reply, &kfd);
	if (r < 0)
		return r;
	if (kfd < 0)
		return -EPROTO;
	return kfd;
}
