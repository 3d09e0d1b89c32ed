/* SPDX-License-Identifier: MIT */
/*
 * CUSE transport: one CUSE session per dev node, named DEVNAME=<node
 * name> (a slash makes devtmpfs create the subdirectory), with restricted
 * ioctls (no CUSE_UNRESTRICTED_IOCTL: every ioctl arrives with its
 * _IOC_SIZE bytes, no retry round trip). The session is built with
 * cuse_lowlevel_new() and given a /dev/cuse fd of our own through
 * fuse_session_custom_io(), so libfuse installs no signal handler and
 * never daemonizes; the fd is driven by the loop (session.c).
 *
 * Life cycle: cuse_transport_start() opens every session; a node exists
 * once the loop has processed its CUSE_INIT (init_done -> node_live).
 * devtmpfs creates it root:root 0600; the node's group and mode
 * (node_get_access) are applied right then, before node_live, and again
 * by cuse_transport_apply_access() (a reload). udev may set them too
 * (systemd/60-dmabufd.rules); whoever comes last wins, so both should
 * agree. cuse_transport_stop() destroys the sessions, which closes their
 * fds; the kernel then removes the device nodes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "session.h"

#include <cuse_lowlevel.h>

#include "dev/node.h"
#include "transport.h"
#include "util/log.h"

#define CUSE_DEVICE "/dev/cuse"

struct cuse_node {
	struct dev_node *node;
	struct tsession *ts;
	char devname[8 + DEV_NODE_NAME_MAX];
	bool live; /* /dev/<name> exists */
};

static struct cuse_node *cuse_nodes;
static unsigned num_cuse_nodes;
static const struct transport_hooks *cuse_hooks;

bool cuse_transport_available(void)
{
	return access(CUSE_DEVICE, F_OK) == 0;
}

static struct dev_node *req_node(fuse_req_t req)
{
	return ((struct cuse_node *)fuse_req_userdata(req))->node;
}

/*
 * True if @path is the character device CUSE made for node @name: its
 * number is the one in /sys/class/cuse/<name, '/' as '!'>/dev. Another
 * file there (the kernel's own /dev/dma_heap/system, say: devtmpfs then
 * leaves it in place and our device has no node) is not ours to touch.
 */
static bool cuse_node_is_ours(const char *name, const char *path)
{
	char kname[DEV_NODE_NAME_MAX], sys[32 + DEV_NODE_NAME_MAX], num[32];
	unsigned maj, min;
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(kname, sizeof(kname), "%s", name);
	for (char *c = kname; *c; c++)
		if (*c == '/')
			*c = '!';
	snprintf(sys, sizeof(sys), "/sys/class/cuse/%s/dev", kname);
	fd = open(sys, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, num, sizeof(num) - 1);
	close(fd);
	if (n <= 0)
		return false;
	num[n] = '\0';
	if (sscanf(num, "%u:%u", &maj, &min) != 2 || stat(path, &st) < 0)
		return false;
	return S_ISCHR(st.st_mode) && st.st_rdev == makedev(maj, min);
}

/*
 * Give /dev/<name> the configured group and mode, if it is our node. A
 * failure is logged and nothing more: the node still works for root.
 * Group 0 (nothing configured, or a group that does not exist, as in the
 * VM's initramfs) is a plain chown to root.
 */
static void cuse_node_apply_access(const struct cuse_node *cn)
{
	struct node_access a;
	char path[8 + DEV_NODE_NAME_MAX];

	node_get_access(&a);
	snprintf(path, sizeof(path), "/dev/%s", cn->node->name);
	if (!cuse_node_is_ours(cn->node->name, path)) {
		log_err("cuse: %s is not the device dmabufd made (another "
			"driver's node of that name?): its access is left "
			"alone, and clients opening it do not reach dmabufd",
			path);
		return;
	}
	if (chown(path, (uid_t)-1, a.gid) < 0)
		log_warn("cuse: cannot give %s to group %u: %s", path,
			 (unsigned)a.gid, strerror(errno));
	if (chmod(path, a.mode) < 0)
		log_warn("cuse: cannot chmod %s to %04o: %s", path,
			 (unsigned)a.mode, strerror(errno));
}

static void cuse_init_done(void *userdata)
{
	struct cuse_node *cn = userdata;

	cn->live = true;
	cuse_node_apply_access(cn);
	log_info("cuse: /dev/%s is live", cn->node->name);
	if (cuse_hooks && cuse_hooks->node_live)
		cuse_hooks->node_live(cn->node);
}

static void cuse_open(fuse_req_t req, struct fuse_file_info *fi)
{
	ts_open(req_node(req), req, fi);
}

static void cuse_ioctl(fuse_req_t req, int cmd, void *arg,
		       struct fuse_file_info *fi, unsigned flags,
		       const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	ts_ioctl(req, (unsigned)cmd, fi, flags, in_buf, in_bufsz, out_bufsz);
}

static const struct cuse_lowlevel_ops cuse_ops = {
	.init_done = cuse_init_done,
	.open = cuse_open,
	.read = ts_read,
	.write = ts_write,
	.release = ts_release,
	.ioctl = cuse_ioctl,
	.poll = ts_poll,
};

static ssize_t cuse_io_read(int fd, void *buf, size_t len, void *userdata)
{
	return read(fd, buf, len);
}

static ssize_t cuse_io_writev(int fd, struct iovec *iov, int count,
			      void *userdata)
{
	return writev(fd, iov, count);
}

static const struct fuse_custom_io cuse_io = {
	.read = cuse_io_read,
	.writev = cuse_io_writev,
};

static void cuse_session_exited(struct tsession *ts, void *data)
{
	struct cuse_node *cn = data;

	log_err("cuse: the session of /dev/%s ended", cn->node->name);
	if (cuse_hooks && cuse_hooks->gone)
		cuse_hooks->gone("a CUSE session ended");
}

static int cuse_node_start(uv_loop_t *loop, struct cuse_node *cn)
{
	char *argv[] = { "dmabufd", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	const char *dev_info[] = { cn->devname };
	struct cuse_info ci = {
		.dev_info_argc = 1,
		.dev_info_argv = dev_info,
		.flags = 0, /* restricted ioctls */
	};
	struct fuse_session *se;
	int fd, r;

	snprintf(cn->devname, sizeof(cn->devname), "DEVNAME=%s", cn->node->name);
	se = cuse_lowlevel_new(&args, &ci, &cuse_ops, cn);
	fuse_opt_free_args(&args);
	if (!se) {
		log_err("cuse: cannot create the session of %s", cn->node->name);
		return -ENOMEM;
	}
	fd = open(CUSE_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_err("cuse: open %s: %s", CUSE_DEVICE, strerror(-r));
		fuse_session_destroy(se);
		return r;
	}
	/* From here on the session owns fd (closed by fuse_session_destroy). */
	r = fuse_session_custom_io(se, &cuse_io, fd);
	if (r < 0) {
		close(fd);
		fuse_session_destroy(se);
		return r;
	}
	r = tsession_start(loop, se, cuse_session_exited, cn, &cn->ts);
	if (r < 0) {
		log_err("cuse: cannot watch the session of %s: %s",
			cn->node->name, strerror(-r));
		fuse_session_destroy(se);
		return r;
	}
	return 0;
}

int cuse_transport_start(uv_loop_t *loop, const struct transport_hooks *hooks)
{
	unsigned n = node_count();

	cuse_hooks = hooks;
	cuse_nodes = calloc(n, sizeof(*cuse_nodes));
	if (!cuse_nodes)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		int r;

		cuse_nodes[i].node = node_at(i);
		r = cuse_node_start(loop, &cuse_nodes[i]);
		if (r < 0) {
			cuse_transport_stop();
			return r;
		}
		num_cuse_nodes = i + 1;
	}
	return 0;
}

void cuse_transport_apply_access(void)
{
	for (unsigned i = 0; i < num_cuse_nodes; i++)
		if (cuse_nodes[i].live)
			cuse_node_apply_access(&cuse_nodes[i]);
}

void cuse_transport_stop(void)
{
	for (unsigned i = 0; i < num_cuse_nodes; i++)
		if (cuse_nodes[i].ts)
			tsession_stop(cuse_nodes[i].ts, NULL);
	free(cuse_nodes);
	cuse_nodes = NULL;
	num_cuse_nodes = 0;
}
