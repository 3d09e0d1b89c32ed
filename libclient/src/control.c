/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd: the control socket (proto/dmabufd/control.h). One
 * SOCK_SEQPACKET connection per call, so calls need no lock and a fork
 * never shares a connection.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
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

static int send_all(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = send(fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EPROTO;
}

/*
 * Receive one message of exactly @len bytes. With @ret_fd, a descriptor
 * passed along is returned there (-1 if none); any other descriptor is
 * closed. Returns 0 or -errno (-EPROTO for a short message, EOF or a
 * truncated one).
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

/* Send @req, read the reply header; the reply's error becomes -errno. */
static int ctl_call(int sock, uint32_t op, uint64_t token, struct dmabufd_ctl_reply *ret_reply,
		    int *ret_fd)
{
	struct dmabufd_ctl_req req = {
		.version = DMABUFD_CTL_VERSION,
		.op = op,
		.token = token,
	};
	struct dmabufd_ctl_reply reply;
	int r;

	r = send_all(sock, &req, sizeof(req));
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

int dmabufd_ctl_map(uint64_t token, int *ret_fd, uint64_t *ret_size)
{
	struct dmabufd_ctl_reply reply;
	int sock, memfd = -1, r;

	sock = ctl_connect();
	if (sock < 0)
		return sock;
	r = ctl_call(sock, DMABUFD_CTL_MAP, token, &reply, &memfd);
	close(sock);
	if (r < 0)
		return r;
	if (memfd < 0)
		return -EPROTO;
	*ret_fd = memfd;
	*ret_size = reply.size;
	return 0;
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
