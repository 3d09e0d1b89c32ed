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
 * once, the first time it can be (the daemon may start after the
 * program). An fd of ours is then asked its
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

#define CHUNK_SHIFT 10
#define CHUNK_SIZE (1u << CHUNK_SHIFT)
#define NUM_CHUNKS 1024u
#define COMPAT_MAX_FD (CHUNK_SIZE * NUM_CHUNKS)

enum { ENTRY_UNKNOWN = 0, ENTRY_FOREIGN = 1, ENTRY_OURS = 2 };

struct entry {
	_Atomic uint32_t state;
	uint32_t kind;
	uint32_t mode;
	_Atomic int64_t size; /* dma-buf size, 0 until asked */
	uint64_t handle;
};

static struct entry *_Atomic chunks[NUM_CHUNKS];

/* The entry of @fd; allocated when @create, else NULL if never made. */
static struct entry *entry_of(int fd, bool create)
{
	unsigned int c;
	struct entry *chunk, *fresh = NULL;

	if (fd < 0 || (unsigned int)fd >= COMPAT_MAX_FD)
		return NULL;
	c = (unsigned int)fd >> CHUNK_SHIFT;
	chunk = atomic_load_explicit(&chunks[c], memory_order_acquire);
	if (!chunk && create) {
		fresh = calloc(CHUNK_SIZE, sizeof(*fresh));
		if (!fresh)
			return NULL;
		if (atomic_compare_exchange_strong(&chunks[c], &chunk, fresh))
			chunk = fresh;
		else
			free(fresh); /* another thread's won; chunk holds it */
	}
	return chunk ? &chunk[fd & (CHUNK_SIZE - 1)] : NULL;
}

static void entry_store(struct entry *e, uint32_t state, const struct compat_fd *info)
{
	atomic_store_explicit(&e->state, ENTRY_UNKNOWN, memory_order_release);
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

static _Atomic int identity_known;
static bool identity_fuse;
static dev_t identity_dev;                 /* FUSE: the mount's st_dev */
static dev_t identity_rdev[MAX_CUSE_NODES]; /* CUSE: the nodes' numbers */
static unsigned int identity_nrdev;

static void add_rdev(const char *path)
{
	struct stat st;

	if (identity_nrdev < MAX_CUSE_NODES && stat(path, &st) == 0 && S_ISCHR(st.st_mode))
		identity_rdev[identity_nrdev++] = st.st_rdev;
}

/* Take the identity if the daemon is there. Not thread-safe by itself:
 * two threads may both take it; they find the same. */
static bool identity_take(void)
{
	static const char *const nodes[] = {
		DMABUFD_NODE_DMA_BUF, DMABUFD_NODE_SYNC_FILE, DMABUFD_NODE_SW_SYNC,
		"dmabufd/dmaengine",
	};
	const char *root = compat_dev_root();
	char path[PATH_MAX];
	struct stat st;
	DIR *dir;

	if (atomic_load_explicit(&identity_known, memory_order_acquire))
		return true;
	snprintf(path, sizeof(path), "%s/%s", root, DMABUFD_NODE_DMA_BUF);
	if (stat(path, &st) < 0)
		return false;
	if (S_ISREG(st.st_mode)) {
		identity_fuse = true;
		identity_dev = st.st_dev;
	} else if (S_ISCHR(st.st_mode)) {
		identity_nrdev = 0;
		for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", root, nodes[i]);
			add_rdev(path);
		}
		snprintf(path, sizeof(path), "%s/%s", root, compat_heap_dir());
		dir = opendir(path);
		for (struct dirent *d; dir && (d = readdir(dir));) {
			char heap[PATH_MAX + NAME_MAX + 2];

			if (d->d_name[0] == '.')
				continue;
			snprintf(heap, sizeof(heap), "%s/%s", path, d->d_name);
			add_rdev(heap);
		}
		if (dir)
			closedir(dir);
	} else {
		return false;
	}
	atomic_store_explicit(&identity_known, 1, memory_order_release);
	return true;
}

static bool identity_match(const struct stat *st)
{
	if (identity_fuse)
		return st->st_dev == identity_dev && S_ISREG(st->st_mode);
	if (!S_ISCHR(st->st_mode))
		return false;
	for (unsigned int i = 0; i < identity_nrdev; i++)
		if (identity_rdev[i] == st->st_rdev)
			return true;
	return false;
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
	if (!identity_take() || !identity_match(&st)) {
		if (e)
			entry_store(e, ENTRY_FOREIGN, NULL);
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
		entry_store(e, ENTRY_OURS, &info);
	*ret = info;
	return true;
}

bool compat_fd_get(int fd, struct compat_fd *ret)
{
	struct entry *e = entry_of(fd, true);
	int saved = errno;
	bool ours;

	if (e) {
		uint32_t state = atomic_load_explicit(&e->state, memory_order_acquire);

		if (state == ENTRY_FOREIGN)
			return false;
		if (state == ENTRY_OURS) {
			*ret = (struct compat_fd){ e->kind, e->mode, e->handle };
			return true;
		}
	}
	if (fd < 0)
		return false;
	ours = identify(fd, e, ret);
	errno = saved;
	return ours;
}

void compat_fd_set(int fd, const struct compat_fd *info)
{
	struct entry *e = entry_of(fd, true);

	if (e)
		entry_store(e, ENTRY_OURS, info);
}

void compat_fd_forget(int fd)
{
	struct entry *e = entry_of(fd, false);

	if (e)
		atomic_store_explicit(&e->state, ENTRY_UNKNOWN, memory_order_release);
}

void compat_fd_forget_range(unsigned int first, unsigned int last)
{
	if (last >= COMPAT_MAX_FD)
		last = COMPAT_MAX_FD - 1;
	for (unsigned int fd = first; fd <= last && fd >= first; fd++) {
		if (!atomic_load_explicit(&chunks[fd >> CHUNK_SHIFT], memory_order_acquire)) {
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
	state = from ? atomic_load_explicit(&from->state, memory_order_acquire) : ENTRY_UNKNOWN;
	if (state == ENTRY_OURS) {
		struct compat_fd info = { from->kind, from->mode, from->handle };
		int64_t size = atomic_load_explicit(&from->size, memory_order_relaxed);

		entry_store(to, ENTRY_OURS, &info);
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
