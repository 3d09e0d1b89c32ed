/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd-compat: the per-process fd table and how an fd is told to
 * be dmabufd's.
 *
 * An entry is UNKNOWN until a call needs it, then FOREIGN or OURS. A
 * dmabufd fd is one whose fstat shows a file of the daemon: on the FUSE
 * fallback any file of the mount at the device root (its st_dev); with
 * CUSE a character device whose number is one of the nodes' under the
 * root (the heaps': those in compat_heap_dir()). The identity is taken
 * the first time it can be (the daemon may start after the program), and
 * again when a file that could be the daemon's does not match it and the
 * nodes have changed (a restarted daemon, a heap added: is_daemons()).
 * An fd of ours is then asked its
 * handle and kind (DMABUFD_IOC_HANDLE: one round trip in the fd's life);
 * a dma-buf or sync_file node fd that is not bound yet is not cached,
 * so a later claim is seen.
 *
 * Locking: none. Entries live in chunks of 1024, allocated on first use
 * and never freed (a CAS publishes a chunk); each entry's state is
 * written last with release order and read first with acquire order.
 * fds at or past COMPAT_MAX_FD are identified on every call.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <dmabufd/dma_buf.h>

#include "compat.h"

#define CHUNK_SIZE (1u << COMPAT_CHUNK_SHIFT)
#define COMPAT_MAX_FD (CHUNK_SIZE * COMPAT_NUM_CHUNKS)

struct entry {
	_Atomic uint32_t state; /* first: compat_fd_known_foreign() reads it */
	uint32_t kind;
	uint32_t mode;
	_Atomic int64_t size; /* dma-buf size, 0 until asked */
	uint64_t handle;
};

_Static_assert(sizeof(struct entry) == COMPAT_ENTRY_SIZE, "compat.h's entry size");

static struct entry *_Atomic chunks[COMPAT_NUM_CHUNKS];
void *_Atomic *const compat_chunks = (void *_Atomic *)chunks;

/* Make chunk @c (another thread may make it first: then that one). */
static __attribute__((noinline)) struct entry *chunk_make(unsigned int c)
{
	struct entry *chunk = NULL, *fresh = calloc(CHUNK_SIZE, sizeof(*fresh));

	if (!fresh)
		return NULL;
	if (atomic_compare_exchange_strong(&chunks[c], &chunk, fresh))
		return fresh;
	free(fresh); /* another thread's won; chunk holds it */
	return chunk;
}

/* The entry of @fd; allocated when @create, else NULL if never made. */
static struct entry *entry_of(int fd, bool create)
{
	unsigned int c;
	struct entry *chunk;

	if (fd < 0 || (unsigned int)fd >= COMPAT_MAX_FD)
		return NULL;
	c = (unsigned int)fd >> COMPAT_CHUNK_SHIFT;
	chunk = atomic_load_explicit(&chunks[c], memory_order_acquire);
	if (!chunk && create)
		chunk = chunk_make(c);
	return chunk ? &chunk[fd & (CHUNK_SIZE - 1)] : NULL;
}

static void entry_store(struct entry *e, uint32_t state, const struct compat_fd *info)
{
	atomic_store_explicit(&e->state, COMPAT_ENTRY_UNKNOWN, memory_order_release);
	if (info) {
		e->kind = info->kind;
		e->mode = info->mode;
		e->handle = info->handle;
	}
	atomic_store_explicit(&e->size, 0, memory_order_relaxed);
	atomic_store_explicit(&e->state, state, memory_order_release);
}

/* ---- the daemon's identity -------------------------------------------- */

#define MAX_CUSE_NODES 64

/*
 * What the daemon's files look like, taken from the nodes under the
 * device root. A snapshot is never changed once published, and never
 * freed (a thread may still read one that was replaced): a process
 * keeps one more for each time the daemon it sees is replaced, each on
 * the list of those before it.
 */
struct identity {
	struct identity *older; /* the one it replaced, kept */
	bool fuse;
	dev_t dev;                   /* FUSE: the mount's st_dev */
	unsigned int nrdev;
	dev_t rdev[MAX_CUSE_NODES]; /* CUSE: the nodes' numbers */
	struct stat root;            /* the dma-buf node, as found */
	struct stat heap_dir;        /* CUSE: the heap directory, as found */
};

static struct identity *_Atomic identity;

static void add_rdev(struct identity *id, const char *path)
{
	struct stat st;

	if (id->nrdev < MAX_CUSE_NODES && stat(path, &st) == 0 && S_ISCHR(st.st_mode))
		id->rdev[id->nrdev++] = st.st_rdev;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_rdev == b->st_rdev;
}

/* A directory's entries changed: its mtime moved. */
static bool same_entries(const struct stat *a, const struct stat *b)
{
	return same_file(a, b) && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The paths of the dma-buf node and of the heap directory. */
static void root_paths(char *node, char *heap_dir)
{
	const char *root = compat_dev_root();

	snprintf(node, PATH_MAX, "%s/%s", root, DMABUFD_NODE_DMA_BUF);
	snprintf(heap_dir, PATH_MAX, "%s/%s", root, compat_heap_dir());
}

/* Whether @id still describes the nodes under the device root: the same
 * dma-buf node (a restarted daemon mounts anew or makes its nodes anew)
 * and, with CUSE, the same heap directory (a heap added by a reload). */
static bool identity_current(const struct identity *id)
{
	char node[PATH_MAX], heap_dir[PATH_MAX];
	struct stat st;

	root_paths(node, heap_dir);
	if (stat(node, &st) < 0 || !same_file(&st, &id->root))
		return false;
	if (id->fuse)
		return true;
	return stat(heap_dir, &st) == 0 && same_entries(&st, &id->heap_dir);
}

/* Take the identity from the nodes and publish it, or NULL if the
 * daemon is not there. Two threads may both take it; the last one
 * published stands, and both describe the same daemon. */
static const struct identity *identity_take(void)
{
	static const char *const nodes[] = {
		DMABUFD_NODE_DMA_BUF, DMABUFD_NODE_SYNC_FILE, DMABUFD_NODE_SW_SYNC,
		"dmabufd/dmaengine",
	};
	const char *root = compat_dev_root();
	char path[PATH_MAX], heap_dir[PATH_MAX];
	struct identity *id;
	DIR *dir;

	id = calloc(1, sizeof(*id));
	if (!id)
		return NULL;
	root_paths(path, heap_dir);
	if (stat(path, &id->root) < 0)
		goto none;
	if (S_ISREG(id->root.st_mode)) {
		id->fuse = true;
		id->dev = id->root.st_dev;
	} else if (S_ISCHR(id->root.st_mode)) {
		for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", root, nodes[i]);
			add_rdev(id, path);
		}
		/* The directory first: a heap added after is seen next time. */
		if (stat(heap_dir, &id->heap_dir) < 0)
			goto none;
		dir = opendir(heap_dir);
		for (struct dirent *d; dir && (d = readdir(dir));) {
			char heap[PATH_MAX + NAME_MAX + 2];

			if (d->d_name[0] == '.')
				continue;
			snprintf(heap, sizeof(heap), "%s/%s", heap_dir, d->d_name);
			add_rdev(id, heap);
		}
		if (dir)
			closedir(dir);
	} else {
		goto none;
	}
	/* Two threads taking it at once each keep the one they replace. */
	id->older = atomic_exchange_explicit(&identity, id, memory_order_acq_rel);
	return id;
none:
	free(id);
	return NULL;
}

/* Whether @st could be a daemon's file at all: a character device, or a
 * regular file on an anonymous device (FUSE's, tmpfs', a memfd's). */
static bool could_be_ours(const struct stat *st)
{
	return S_ISCHR(st->st_mode) || (S_ISREG(st->st_mode) && major(st->st_dev) == 0);
}

static bool identity_match(const struct identity *id, const struct stat *st)
{
	if (id->fuse) /* the debug views' files are not nodes */
		return st->st_dev == id->dev && S_ISREG(st->st_mode) &&
		       st->st_ino < DMABUFD_FUSE_VIEW_INO_MIN;
	if (!S_ISCHR(st->st_mode))
		return false;
	for (unsigned int i = 0; i < id->nrdev; i++)
		if (id->rdev[i] == st->st_rdev)
			return true;
	return false;
}

/*
 * Whether @st is a file of the daemon under the device root. The identity
 * is taken the first time the daemon is there; a file that does not match
 * it but could be the daemon's has the nodes looked at again (two stats),
 * so a daemon restarted since (a new mount, new device numbers) or a heap
 * added is seen.
 */
static bool is_daemons(const struct stat *st)
{
	const struct identity *id = atomic_load_explicit(&identity, memory_order_acquire);

	if (!id && !(id = identity_take()))
		return false;
	if (identity_match(id, st))
		return true;
	if (!could_be_ours(st) || identity_current(id) || !(id = identity_take()))
		return false;
	return identity_match(id, st);
}

/* ---- lookups ------------------------------------------------------------ */

/* Identify @fd (UNKNOWN or beyond the table). */
static bool identify(int fd, struct entry *e, struct compat_fd *ret)
{
	struct dmabufd_handle h = { 0 };
	struct compat_fd info;
	struct stat st;
	int fl;

	if (fstat(fd, &st) < 0)
		return false; /* not open: the call itself says EBADF */
	if (!is_daemons(&st)) {
		if (e)
			entry_store(e, COMPAT_ENTRY_FOREIGN, NULL);
		return false;
	}
	if (real_ioctl(fd, DMABUFD_IOC_HANDLE, &h) < 0)
		return false; /* an unbound node fd: ask again next time */
	fl = real_fcntl(fd, F_GETFL, 0);
	info = (struct compat_fd){
		.kind = h.kind,
		.mode = fl < 0 ? O_RDONLY : (uint32_t)(fl & O_ACCMODE),
		.handle = h.handle,
	};
	if (e)
		entry_store(e, COMPAT_ENTRY_OURS, &info);
	*ret = info;
	return true;
}

/* compat_fd_get() past the table: identify @fd, keeping errno. Out of
 * line, so that the lookup above it stays a leaf. */
static __attribute__((noinline)) bool fd_get_slow(int fd, struct entry *e,
						  struct compat_fd *ret)
{
	int saved = errno;
	bool ours;

	if (fd < 0)
		return false;
	ours = identify(fd, e, ret);
	errno = saved;
	return ours;
}

bool compat_fd_get(int fd, struct compat_fd *ret)
{
	struct entry *e = entry_of(fd, true);

	if (e) {
		uint32_t state = atomic_load_explicit(&e->state, memory_order_acquire);

		if (state == COMPAT_ENTRY_FOREIGN)
			return false;
		if (state == COMPAT_ENTRY_OURS) {
			*ret = (struct compat_fd){ e->kind, e->mode, e->handle };
			return true;
		}
	}
	return fd_get_slow(fd, e, ret);
}

void compat_fd_set(int fd, const struct compat_fd *info)
{
	struct entry *e = entry_of(fd, true);

	if (e)
		entry_store(e, COMPAT_ENTRY_OURS, info);
}

void compat_fd_forget(int fd)
{
	struct entry *e = entry_of(fd, false);

	if (e)
		atomic_store_explicit(&e->state, COMPAT_ENTRY_UNKNOWN, memory_order_release);
}

void compat_fd_forget_range(unsigned int first, unsigned int last)
{
	if (last >= COMPAT_MAX_FD)
		last = COMPAT_MAX_FD - 1;
	for (unsigned int fd = first; fd <= last && fd >= first; fd++) {
		if (!atomic_load_explicit(&chunks[fd >> COMPAT_CHUNK_SHIFT], memory_order_acquire)) {
			fd |= CHUNK_SIZE - 1; /* a chunk never made: skip it */
			continue;
		}
		compat_fd_forget((int)fd);
	}
}

void compat_fd_dup(int oldfd, int newfd)
{
	struct entry *from = entry_of(oldfd, false), *to;
	uint32_t state;

	if (oldfd == newfd)
		return;
	to = entry_of(newfd, true);
	if (!to)
		return;
	state = from ? atomic_load_explicit(&from->state, memory_order_acquire) : COMPAT_ENTRY_UNKNOWN;
	if (state == COMPAT_ENTRY_OURS) {
		struct compat_fd info = { from->kind, from->mode, from->handle };
		int64_t size = atomic_load_explicit(&from->size, memory_order_relaxed);

		entry_store(to, COMPAT_ENTRY_OURS, &info);
		atomic_store_explicit(&to->size, size, memory_order_relaxed);
	} else {
		entry_store(to, state, NULL);
	}
}

int64_t compat_buf_size(int fd)
{
	struct entry *e = entry_of(fd, false);
	struct dmabufd_dma_buf_info info;
	int64_t size = e ? atomic_load_explicit(&e->size, memory_order_relaxed) : 0;

	if (size > 0)
		return size;
	if (real_ioctl(fd, DMABUFD_DMA_BUF_IOC_INFO, &info) < 0)
		return -errno;
	if (e)
		atomic_store_explicit(&e->size, (int64_t)info.size, memory_order_relaxed);
	return (int64_t)info.size;
}
