/* SPDX-License-Identifier: MIT */
/*
 * FUSE transport, the fallback where the kernel has no CUSE: one small
 * read-only filesystem mounted at the device root (default
 * DMABUFD_FUSE_ROOT), in which every dev node is a regular file at its
 * node name (dma_heap/system, dmabufd/dma_buf, dmabufd/sync_file,
 * sw_sync). Files are opened direct_io and non-seekable; their ioctls are
 * restricted (the only kind FUSE files have), exactly like the CUSE nodes.
 *
 * The tree is built once from the node registry: inode 1 is the root,
 * directories and files follow in creation order. It never changes, so
 * lookups and attributes are cached by the kernel for a long time.
 *
 * Besides the nodes, debug/ holds the kernel's debugfs texts as
 * read-only files (mode 0444, size 0 as in debugfs, direct_io):
 * debug/dma_buf/bufinfo, debug/sync/info, debug/dmaengine/summary,
 * rendered by daemon/debug for the opener's uid (the control socket's
 * rule for who sees what). An open file holds a view cursor and at
 * most one batch of text not read yet; a read at the offset where the
 * last one ended goes on, any other offset starts the text again and
 * skips to it (seq_file's way). Their inode numbers are
 * DMABUFD_FUSE_VIEW_INO_MIN + the entry's index, so that a client
 * telling the daemon's files by st_dev does not take them for nodes.
 *
 * Life cycle: fuse_transport_start() detaches a stale mount left at the
 * root by a killed instance (one whose server is gone; a mount that still
 * answers belongs to someone else, and the start fails with EBUSY: see
 * fuse_clean_stale()), creates the root, mounts and starts the session;
 * fuse_transport_stop() unmounts (lazily, as libfuse does as root) and
 * destroys the session. The mount is default_permissions, and allow_other
 * when we are root. Files are owned by the daemon's user, with the group
 * and mode of node_get_access() (dev/node.h; default root 0660);
 * directories are 0755. fuse_transport_apply_access() makes the kernel
 * forget the attributes it cached, after a reload changed them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "session.h"

#include <dmabufd/common.h>

#include "debug/debug.h"
#include "dev/node.h"
#include "transport.h"
#include "util/log.h"

#define FUSE_ENTRY_MAX 128
#define FUSE_ATTR_TIMEOUT 86400.0

struct fuse_entry {
	fuse_ino_t ino;
	fuse_ino_t parent;
	char name[NAME_MAX + 1];
	struct dev_node *node; /* NULL for a directory or a view */
	const struct debug_view *view; /* a debug view's file */
};

/* An open debug view file (fi->fh). */
struct view_file {
	struct debug_cursor cursor;
	uint64_t pos;          /* the text offset the next read goes on at */
	size_t len, off;       /* @buf's text, and how much of it was read */
	char buf[DEBUG_BATCH_BYTES];
};

/* A view file's inode: out of the nodes' range (dmabufd/common.h). */
#define VIEW_INO(e) (DMABUFD_FUSE_VIEW_INO_MIN + (e)->ino)

static struct fuse_entry entries[FUSE_ENTRY_MAX];
static unsigned num_entries;
static struct tsession *fuse_ts;
static struct fuse_session *fuse_se; /* fuse_ts's, for notifications */
static const struct transport_hooks *fuse_hooks;
static char *fuse_root;

static struct fuse_entry *entry_by_ino(fuse_ino_t ino)
{
	if (ino < 1 || ino > num_entries)
		return NULL;
	return &entries[ino - 1];
}

static struct fuse_entry *entry_child(fuse_ino_t parent, const char *name)
{
	for (unsigned i = 0; i < num_entries; i++)
		if (entries[i].ino != 1 && entries[i].parent == parent &&
		    !strcmp(entries[i].name, name))
			return &entries[i];
	return NULL;
}

static struct fuse_entry *entry_add(fuse_ino_t parent, const char *name,
				    size_t len, struct dev_node *node)
{
	struct fuse_entry *e;

	if (num_entries >= FUSE_ENTRY_MAX || len > NAME_MAX)
		return NULL;
	e = &entries[num_entries++];
	*e = (struct fuse_entry){ .ino = num_entries, .parent = parent,
				  .node = node };
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	return e;
}

/* Add the file @name (a path under the root), @node's or @view's, and
 * the directories on its way. */
static int tree_add(const char *name, struct dev_node *node,
		    const struct debug_view *view)
{
	fuse_ino_t parent = 1;
	const char *c = name;

	for (;;) {
		size_t len = strcspn(c, "/");
		char comp[NAME_MAX + 1];
		struct fuse_entry *e;
		bool last = c[len] == '\0';

		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, c, len);
		comp[len] = '\0';
		e = entry_child(parent, comp);
		if (e && (last || e->node || e->view))
			return -EEXIST; /* a file where a dir goes */
		if (!e)
			e = entry_add(parent, c, len, last ? node : NULL);
		if (!e)
			return -ENOMEM;
		if (last) {
			e->view = view;
			return 0;
		}
		parent = e->ino;
		c += len + 1;
	}
}

/* Build the tree: every node name, its directories first, then the
 * debug views. */
static int tree_build(void)
{
	char path[64];
	int r;

	num_entries = 0;
	entry_add(1, "", 0, NULL); /* the root, inode 1 */
	for (unsigned i = 0; i < node_count(); i++) {
		r = tree_add(node_at(i)->name, node_at(i), NULL);
		if (r < 0)
			return r;
	}
	for (unsigned v = 0; v < _DEBUG_VIEW_MAX; v++) {
		const struct debug_view *view = debug_view_get(v);

		snprintf(path, sizeof(path), "debug/%s", view->path);
		r = tree_add(path, NULL, view);
		if (r < 0)
			return r;
	}
	return 0;
}

static void entry_stat(const struct fuse_entry *e, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = e->ino;
	/* Ours: a daemon run by a user (no allow_other) reaches its files. */
	st->st_uid = geteuid();
	if (e->view) {
		/* debugfs' files: 0444, size 0 (read to the end). */
		st->st_ino = VIEW_INO(e);
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
	} else if (e->node) {
		struct node_access a;

		node_get_access(&a);
		st->st_mode = S_IFREG | a.mode;
		st->st_gid = a.gid;
		st->st_nlink = 1;
	} else {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	}
}

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	/* Plain read(2) of the fd; splice would need a pipe per session. */
	conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE |
			FUSE_CAP_SPLICE_MOVE);
	log_info("fuse: mounted at %s", fuse_root);
	for (unsigned i = 0; i < node_count(); i++)
		if (fuse_hooks && fuse_hooks->node_live)
			fuse_hooks->node_live(node_at(i));
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry *e = entry_child(parent, name);
	struct fuse_entry_param ep = { 0 };

	if (!e) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	ep.ino = e->ino;
	ep.generation = 1;
	ep.attr_timeout = FUSE_ATTR_TIMEOUT;
	ep.entry_timeout = FUSE_ATTR_TIMEOUT;
	entry_stat(e, &ep.attr);
	fuse_reply_entry(req, &ep);
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct fuse_entry *e = entry_by_ino(ino);
	struct stat st;

	if (!e) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	entry_stat(e, &st);
	fuse_reply_attr(req, &st, FUSE_ATTR_TIMEOUT);
}

static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct fuse_entry *dir = entry_by_ino(ino);
	char *buf;
	size_t used = 0;
	off_t n = 0;

	if (!dir || dir->node) {
		fuse_reply_err(req, dir ? ENOTDIR : ENOENT);
		return;
	}
	buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* Offsets: 1 ".", 2 "..", then 3 + child index. */
	for (unsigned i = 0; i < num_entries + 2; i++) {
		struct stat st = { 0 };
		const char *name;
		size_t len;

		if (i == 0) {
			name = ".";
			st.st_ino = dir->ino;
			st.st_mode = S_IFDIR;
		} else if (i == 1) {
			name = "..";
			st.st_ino = dir->parent;
			st.st_mode = S_IFDIR;
		} else {
			struct fuse_entry *e = &entries[i - 2];

			if (e->ino == 1 || e->parent != dir->ino)
				continue;
			name = e->name;
			entry_stat(e, &st);
		}
		if (++n <= off)
			continue;
		len = fuse_add_direntry(req, buf + used, size - used, name, &st,
					n);
		if (len > size - used)
			break;
		used += len;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

/* Open a debug view file: a cursor for the opener's uid. */
static void view_open(fuse_req_t req, struct fuse_entry *e,
		      struct fuse_file_info *fi)
{
	struct view_file *vf;

	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	vf = calloc(1, sizeof(*vf));
	if (!vf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	debug_cursor_init(&vf->cursor, e->view, fuse_req_ctx(req)->uid);
	fi->fh = (uintptr_t)vf;
	fi->direct_io = 1; /* no size: the reads say where the text ends */
	/* A stream, read from the start on: a read at another offset would
	 * make the loop render the text up to there, for every such read
	 * (the kernel's seq_file does that in the reader's own time; here
	 * it would be the whole daemon's). */
	fi->nonseekable = 1;
	if (fuse_reply_open(req, fi) != 0)
		free(vf);
}

/*
 * Read @size bytes of a view at @off, which is where the last read ended
 * (the file is not seekable: pread and lseek fail with ESPIPE in the
 * kernel); anything else is refused with ESPIPE too. One batch of text
 * at most is kept between reads.
 */
static void view_read(fuse_req_t req, struct view_file *vf, size_t size,
		      off_t off)
{
	char *out;
	size_t used = 0;

	if (off < 0 || (uint64_t)off != vf->pos) {
		fuse_reply_err(req, ESPIPE);
		return;
	}
	out = malloc(size ? size : 1);
	if (!out) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	while (used < size) {
		size_t n;

		if (vf->off == vf->len) {
			if (vf->cursor.done)
				break;
			vf->len = debug_view_batch(&vf->cursor, vf->buf,
						   sizeof(vf->buf));
			vf->off = 0;
			continue;
		}
		n = vf->len - vf->off;
		if (n > size - used)
			n = size - used;
		memcpy(out + used, vf->buf + vf->off, n);
		used += n;
		vf->off += n;
		vf->pos += n;
	}
	fuse_reply_buf(req, out, used);
	free(out);
}

static void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuse_entry *e = entry_by_ino(ino);

	if (!e) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (e->view) {
		view_open(req, e, fi);
		return;
	}
	if (!e->node) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	ts_open(e->node, req, fi);
}

/* Whether @ino is a debug view's file (its fi->fh a struct view_file). */
static bool is_view(fuse_ino_t ino)
{
	struct fuse_entry *e = entry_by_ino(ino);

	return e && e->view;
}

static void fs_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	if (is_view(ino)) {
		free((struct view_file *)(uintptr_t)fi->fh);
		fuse_reply_err(req, 0);
		return;
	}
	ts_release(req, fi);
}

static void fs_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd,
		     void *arg, struct fuse_file_info *fi, unsigned flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	if (is_view(ino)) {
		dev_count_request(DMABUFD_STAT_REQ_IOCTLS); /* a round trip */
		fuse_reply_err(req, ENOTTY);
		return;
	}
	ts_ioctl(req, cmd, fi, flags, in_buf, in_bufsz, out_bufsz);
}

static void fs_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	if (is_view(ino)) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_poll(req, POLLIN | POLLRDNORM);
		return;
	}
	ts_poll(req, fi, ph);
}

static void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	if (is_view(ino)) {
		view_read(req, (struct view_file *)(uintptr_t)fi->fh, size, off);
		return;
	}
	ts_read(req, size, off, fi);
}

static void fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	if (is_view(ino)) {
		fuse_reply_err(req, EBADF);
		return;
	}
	ts_write(req, buf, size, off, fi);
}

static const struct fuse_lowlevel_ops fs_ops = {
	.init = fs_init,
	.lookup = fs_lookup,
	.getattr = fs_getattr,
	.readdir = fs_readdir,
	.open = fs_open,
	.release = fs_release,
	.read = fs_read,
	.write = fs_write,
	.ioctl = fs_ioctl,
	.poll = fs_poll,
};

/* mkdir -p @path (mode 0755). */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Undo the octal escapes of /proc/self/mountinfo ("\040" for a space). */
static void mountinfo_unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/* True if a FUSE filesystem is mounted exactly at @path. */
static bool fuse_mounted_at(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], fstype[256];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%255s", fstype) != 1)
			continue;
		mountinfo_unescape(mnt);
		found = !strcmp(mnt, path) && !strncmp(fstype, "fuse", 4);
	}
	fclose(f);
	return found;
}

/*
 * How long the probe of a FUSE mount found at the root may wait for its
 * server. A server that does not answer in that time (stopped, or busy)
 * counts as live: only a server that is gone is certain.
 */
#define FUSE_PROBE_TIMEOUT_MS 2000

/*
 * Whether the FUSE filesystem mounted at @path still has its server.
 * Returns 0 when it is gone (the kernel answers ENOTCONN: the server's
 * /dev/fuse fd was closed), 1 when it answered, or did not answer within
 * FUSE_PROBE_TIMEOUT_MS, or -errno when the probe could not run.
 *
 * The probe opens the root and reads it, which always reaches the server
 * (attributes may come from the kernel's cache, a directory read does
 * not). It runs in a child: a request to a stopped server waits for as
 * long as the server is stopped, and only a fatal signal ends that wait.
 */
static int fuse_mount_live(const char *path)
{
	unsigned waited = 0;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char dents[1024];
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0 && syscall(SYS_getdents64, fd, dents, sizeof(dents)) >= 0)
			_exit(0);
		_exit(errno == ENOTCONN ? 1 : 0);
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (waited >= FUSE_PROBE_TIMEOUT_MS) {
			/* The wait for a FUSE answer is killable. */
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			log_notice("fuse: the server of the mount at %s did "
				   "not answer in %d ms (stopped?): taken as "
				   "live", path, FUSE_PROBE_TIMEOUT_MS);
			return 1;
		}
		usleep(10 * 1000);
		waited += 10;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 1 ? 0 : 1;
}

/*
 * A FUSE mount at @path is detached only when its server is gone (a
 * killed instance left it). The instance lock does not cover the device
 * root: a second daemon with another control socket, or another FUSE
 * filesystem, may be serving there, and detaching it would take every
 * node from that daemon's clients. Returns 0 (nothing there, or the stale
 * mount detached, or tried to be), or -EBUSY with a message when the
 * mount is live (or cannot be probed).
 */
static int fuse_clean_stale(const char *path)
{
	pid_t pid;
	int status, r;

	if (!fuse_mounted_at(path))
		return 0;
	r = fuse_mount_live(path);
	if (r != 0) {
		if (r < 0)
			log_err("fuse: cannot probe the FUSE mount at %s: %s",
				path, strerror(-r));
		log_err("fuse: %s is already a FUSE mount with a live server "
			"(another dmabufd, with another control socket?): "
			"not starting; stop it, or give this one another "
			"--dev-root", path);
		return -EBUSY;
	}
	log_warn("fuse: detaching the stale mount at %s", path);
	if (umount2(path, MNT_DETACH) == 0)
		return 0;
	/* Not root: let fusermount3 do it. */
	pid = fork();
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-z", path,
		       (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	return 0;
}

static void fuse_session_gone(struct tsession *ts, void *data)
{
	log_err("fuse: the filesystem at %s was unmounted", fuse_root);
	if (fuse_hooks && fuse_hooks->gone)
		fuse_hooks->gone("the FUSE mount went away");
}

int fuse_transport_start(uv_loop_t *loop, const char *root,
			 const struct transport_hooks *hooks)
{
	/* allow_other needs root (or user_allow_other in fuse.conf). */
	char *argv[] = {
		"dmabufd", "-o",
		geteuid() == 0 ? "allow_other,default_permissions,fsname=dmabufd,"
				 "subtype=dmabufd"
			       : "default_permissions,fsname=dmabufd,"
				 "subtype=dmabufd",
		NULL,
	};
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_session *se;
	char real[PATH_MAX];
	int r;

	fuse_hooks = hooks;
	r = tree_build();
	if (r < 0) {
		log_err("fuse: node names do not make a tree: %s", strerror(-r));
		return r;
	}
	r = mkdir_p(root);
	if (r < 0 && r != -ENOTCONN) {
		log_err("fuse: cannot create %s: %s", root, strerror(-r));
		return r;
	}
	/* The mount table has the canonical path; a stale FUSE mount makes
	 * realpath fail with ENOTCONN, so fall back to the given one. */
	if (!realpath(root, real))
		snprintf(real, sizeof(real), "%s", root);
	r = fuse_clean_stale(real);
	if (r < 0)
		return r;
	r = mkdir_p(real);
	if (r < 0) {
		log_err("fuse: cannot create %s: %s", real, strerror(-r));
		return r;
	}
	fuse_root = strdup(real);
	if (!fuse_root)
		return -ENOMEM;

	se = fuse_session_new(&args, &fs_ops, sizeof(fs_ops), NULL);
	fuse_opt_free_args(&args);
	if (!se) {
		log_err("fuse: cannot create the session");
		r = -ENOMEM;
		goto fail;
	}
	if (fuse_session_mount(se, fuse_root) != 0) {
		log_err("fuse: cannot mount at %s (is /dev/fuse usable?)",
			fuse_root);
		fuse_session_destroy(se);
		r = -EIO;
		goto fail;
	}
	r = tsession_start(loop, se, fuse_session_gone, NULL, &fuse_ts);
	if (r < 0) {
		log_err("fuse: cannot watch the session: %s", strerror(-r));
		fuse_session_unmount(se);
		fuse_session_destroy(se);
		goto fail;
	}
	fuse_se = se;
	return 0;

fail:
	free(fuse_root);
	fuse_root = NULL;
	return r;
}

void fuse_transport_apply_access(void)
{
	if (!fuse_ts)
		return;
	/* A negative offset invalidates the attributes only. -ENOENT: the
	 * kernel never looked the file up, nothing is cached. */
	for (unsigned i = 0; i < num_entries; i++)
		if (entries[i].node)
			(void)fuse_lowlevel_notify_inval_inode(fuse_se,
							       entries[i].ino,
							       -1, 0);
}

void fuse_transport_stop(void)
{
	if (fuse_ts) {
		tsession_stop(fuse_ts, fuse_session_unmount);
		fuse_ts = NULL;
		fuse_se = NULL;
		log_info("fuse: unmounted %s", fuse_root);
	}
	free(fuse_root);
	fuse_root = NULL;
}
