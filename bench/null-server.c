/* SPDX-License-Identifier: MIT */
/*
 * The benchmark's bare libfuse null server: the floor a FUSE server of
 * dmabufd's shape cannot go under. A lowlevel filesystem with one regular
 * file, "null", that answers open (direct_io, non-seekable, as the
 * daemon's FUSE files), release, and every ioctl with ENOTTY, the way
 * daemon/transport/fuse.c answers an ioctl number no node knows. Nothing
 * else is behind it: no object model, no libuv.
 *
 *   dmabufd-null-server [--epoll] MOUNTPOINT
 *
 * The loop is single-threaded, as the daemon's: fuse_session_receive_buf()
 * then fuse_session_process_buf(), one request at a time. By default the
 * read blocks (two system calls a request: read and writev). --epoll
 * drives the same calls as daemon/transport/session.c does: a
 * non-blocking fd, epoll_wait for it, one request per wake-up (three).
 * The difference between the two modes is what the daemon's loop costs
 * over a blocking read.
 *
 * Mounted with the daemon's options (allow_other and default_permissions
 * as root); SIGTERM or SIGINT unmounts and exits 0. Splice is off, as in
 * the daemon.
 */
#define FUSE_USE_VERSION 35

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#define NULL_INO 2
#define ATTR_TIMEOUT 86400.0

static void null_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = geteuid();
	if (ino == NULL_INO) {
		st->st_mode = S_IFREG | 0666;
		st->st_nlink = 1;
	} else {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	}
}

static void ns_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
}

static void ns_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param ep = { .ino = NULL_INO, .generation = 1,
				       .attr_timeout = ATTR_TIMEOUT,
				       .entry_timeout = ATTR_TIMEOUT };

	if (parent != FUSE_ROOT_ID || strcmp(name, "null")) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	null_stat(NULL_INO, &ep.attr);
	fuse_reply_entry(req, &ep);
}

static void ns_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != NULL_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	null_stat(ino, &st);
	fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

static void ns_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != NULL_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static void ns_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void ns_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
		     struct fuse_file_info *fi, unsigned flags, const void *in_buf,
		     size_t in_bufsz, size_t out_bufsz)
{
	(void)ino, (void)cmd, (void)arg, (void)fi, (void)flags;
	(void)in_buf, (void)in_bufsz, (void)out_bufsz;
	fuse_reply_err(req, ENOTTY);
}

static const struct fuse_lowlevel_ops ns_ops = {
	.init = ns_init,
	.lookup = ns_lookup,
	.getattr = ns_getattr,
	.open = ns_open,
	.release = ns_release,
	.ioctl = ns_ioctl,
};

/* Returns 0 when the session ended (unmount or signal), -errno otherwise. */
static int loop_blocking(struct fuse_session *se)
{
	struct fuse_buf buf = { 0 };
	int r = 0;

	while (!fuse_session_exited(se)) {
		r = fuse_session_receive_buf(se, &buf);
		if (r == -EINTR || r == -EAGAIN) {
			r = 0;
			continue;
		}
		if (r <= 0)
			break;
		fuse_session_process_buf(se, &buf);
		r = 0;
	}
	free(buf.mem);
	return r < 0 && !fuse_session_exited(se) ? r : 0;
}

static int loop_epoll(struct fuse_session *se)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct fuse_buf buf = { 0 };
	int fd = fuse_session_fd(se), ep, r = 0;

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	while (!fuse_session_exited(se)) {
		if (epoll_wait(ep, &ev, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		r = fuse_session_receive_buf(se, &buf);
		if (r == -EINTR || r == -EAGAIN) {
			r = 0;
			continue;
		}
		if (r <= 0)
			break;
		fuse_session_process_buf(se, &buf);
		r = 0;
	}
	close(ep);
	free(buf.mem);
	return r < 0 && !fuse_session_exited(se) ? r : 0;
}

int main(int argc, char **argv)
{
	char *fargv[] = {
		argv[0], "-o",
		geteuid() == 0 ? "allow_other,default_permissions,fsname=dmabufd-null"
			       : "default_permissions,fsname=dmabufd-null",
		NULL,
	};
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	bool epoll_mode = argc == 3 && !strcmp(argv[1], "--epoll");
	const char *mnt = argv[argc - 1];
	struct fuse_session *se;
	int r;

	if (argc != 2 && !epoll_mode) {
		fprintf(stderr, "usage: dmabufd-null-server [--epoll] MOUNTPOINT\n");
		return 2;
	}
	se = fuse_session_new(&args, &ns_ops, sizeof(ns_ops), NULL);
	fuse_opt_free_args(&args);
	if (!se)
		return 1;
	if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, mnt) != 0) {
		fprintf(stderr, "dmabufd-null-server: cannot mount at %s\n", mnt);
		fuse_session_destroy(se);
		return 1;
	}
	r = epoll_mode ? loop_epoll(se) : loop_blocking(se);
	if (r < 0)
		fprintf(stderr, "dmabufd-null-server: %s\n", strerror(-r));
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	return r < 0;
}
