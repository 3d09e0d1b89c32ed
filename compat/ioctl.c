/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd-compat: the kernel's ioctls on dmabufd fds, in the kernel's
 * structs, translated to the dmabufd ABI at its round-trip floor.
 *
 * Per node kind, the kernel's fd- and pointer-carrying numbers are done
 * here; every other number (the ones dmabufd keeps: DMA_BUF_IOCTL_SYNC,
 * SYNC_IOC_SET_DEADLINE, SW_SYNC_IOC_INC, SYNC_IOC_FILE_INFO with
 * num_fences 0; and the unknown ones, ENOTTY) goes to the daemon as it
 * came. A new fd is an open of the object's node and one
 * DMABUFD_IOC_CREATE from the handles of its sources (2 round trips);
 * an fd argument is the table's handle of that fd (no round trip once
 * known). Checks the kernel makes before it creates anything are made
 * here first, with its errno, so a refused call costs no round trip:
 *   dma-heap (drivers/dma-buf/dma-heap.c): _IOC_NR only, nr > 0 EINVAL;
 *     _IOC_SIZE bytes in and out, zero-filled to the kernel's struct;
 *     fd not 0, fd_flags outside DMA_HEAP_VALID_FD_FLAGS, heap_flags,
 *     PAGE_ALIGN(len) 0: EINVAL.
 *   dma-buf (dma-buf.c): SET_NAME (both numbers) EINVAL for 32 chars or
 *     more; EXPORT/IMPORT_SYNC_FILE EINVAL for flags outside RW or none,
 *     IMPORT EINVAL for an fd that is not a sync_file.
 *   sync_file (sync_file.c): MERGE EINVAL flags/pad, ENOENT for an fd2
 *     that is not a sync_file; FILE_INFO EINVAL flags/pad, EINVAL for a
 *     num_fences below the count, the array filled in windows of
 *     DMABUFD_SYNC_INFO_MAX.
 *   sw_sync (sw_sync.c): GET_DEADLINE EINVAL for deadline_ns or pad not
 *     0, or an fd that is not a sync_file.
 * A NULL argument pointer is EFAULT; any other bad pointer faults in
 * the caller, where the kernel would return EFAULT.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>

#include <dmabufd/dma_buf.h>
#include <dmabufd/sw_sync.h>
#include <dmabufd/sync_file.h>

#include "compat.h"

static int fail(int err)
{
	errno = err;
	return -1;
}

/* Open @node under the device root and make @req into it; the new fd is
 * recorded in the table as @kind with @mode. Returns the fd or -errno. */
static int create_into(const char *node, int open_flags, struct dmabufd_create *req,
		       uint32_t kind)
{
	char path[PATH_MAX];
	int fd, n, err;

	n = snprintf(path, sizeof(path), "%s/%s", compat_dev_root(), node);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = real_open(path, open_flags, 0);
	if (fd < 0)
		return -errno;
	if (real_ioctl(fd, DMABUFD_IOC_CREATE, req) < 0) {
		err = errno;
		real_close(fd);
		compat_fd_forget(fd);
		return -err;
	}
	compat_fd_set(fd, &(struct compat_fd){
		.kind = kind,
		.mode = (uint32_t)(open_flags & O_ACCMODE),
		.handle = req->handle,
	});
	return fd;
}

/* The handle of @fd if it is a dmabufd fd of @kind, else 0. */
static uint64_t handle_of(int fd, uint32_t kind)
{
	struct compat_fd info;

	return compat_fd_get(fd, &info) && info.kind == kind ? info.handle : 0;
}

/*
 * The handle of the sync_file @fd where a call takes one as an argument:
 * a dmabufd sync_file's own or, for a real kernel sync_file (a GPU's,
 * sw_sync's), that of a dmabufd import of it
 * (dmabufd_fence_import_sync_file(): the daemon polls the kernel fence),
 * whose fd goes to *ret_tmp for the caller to close after the call (-1
 * when none). 0 when @fd is neither.
 */
static uint64_t sync_handle_of(int fd, int *ret_tmp)
{
	uint64_t h = handle_of(fd, DMABUFD_KIND_SYNC_FILE);
	int saved = errno, tmp;

	*ret_tmp = -1;
	if (h || fd < 0)
		return h;
	tmp = dmabufd_fence_import_sync_file(fd);
	if (tmp < 0) {
		errno = saved;
		return 0;
	}
	h = handle_of(tmp, DMABUFD_KIND_SYNC_FILE);
	if (!h)
		close(tmp);
	else
		*ret_tmp = tmp;
	errno = saved;
	return h;
}

/* Close @tmp (sync_handle_of()'s) after a call, keeping its errno. */
static int done_tmp(int r, int tmp)
{
	int saved = errno;

	if (tmp >= 0)
		close(tmp);
	errno = saved;
	return r;
}

/* ---- dma-heap ---------------------------------------------------------------- */

#define HEAP_VALID_FD_FLAGS (O_CLOEXEC | O_ACCMODE)

static int heap_alloc(const struct compat_fd *heap, struct dma_heap_allocation_data *k)
{
	struct dmabufd_create req = {
		.op = DMABUFD_CREATE_ALLOC,
		.flags = (uint32_t)k->heap_flags,
		.src = { heap->handle },
		.arg = k->len,
	};
	int fd;

	if (k->fd)
		return -EINVAL;
	if (k->fd_flags & ~(uint32_t)HEAP_VALID_FD_FLAGS)
		return -EINVAL;
	if (k->heap_flags)
		return -EINVAL;
	if (k->len == 0 || k->len > UINT64_MAX - 4095)
		return -EINVAL; /* PAGE_ALIGN(len) == 0 */
	fd = create_into(DMABUFD_NODE_DMA_BUF, (int)k->fd_flags, &req, DMABUFD_KIND_DMA_BUF);
	if (fd < 0)
		return fd;
	k->fd = (uint32_t)fd;
	return 0;
}

/* dma_heap_ioctl(): only _IOC_NR counts; the caller's size is copied in
 * (if it writes) and out (if it reads), the kernel struct zero-filled. */
static int heap_ioctl(const struct compat_fd *info, unsigned long cmd, void *arg)
{
	struct dma_heap_allocation_data k = { 0 };
	size_t size = _IOC_SIZE(cmd), ksize = sizeof(k);
	size_t in = (_IOC_DIR(cmd) & _IOC_WRITE) ? size : 0;
	size_t out = (_IOC_DIR(cmd) & _IOC_READ) ? size : 0;
	int r;

	if (_IOC_NR(cmd) != 0)
		return fail(EINVAL);
	if ((in || out) && !arg)
		return fail(EFAULT);
	memcpy(&k, arg, in < ksize ? in : ksize);
	r = heap_alloc(info, &k);
	memcpy(arg, &k, out < ksize ? out : ksize);
	if (out > ksize && in < out) {
		size_t from = in > ksize ? in : ksize;

		memset((char *)arg + from, 0, out - from);
	}
	return r < 0 ? fail(-r) : 0;
}

/* ---- dma-buf ------------------------------------------------------------------ */

static int bad_sync_flags(__u32 flags)
{
	return (flags & ~(__u32)DMA_BUF_SYNC_RW) || !(flags & DMA_BUF_SYNC_RW);
}

static int buf_ioctl(int fd, const struct compat_fd *info, unsigned long cmd, void *arg)
{
	switch (cmd) {
	case DMA_BUF_SET_NAME_A:
	case DMA_BUF_SET_NAME_B: {
		struct dmabufd_dma_buf_name n = { { 0 } };
		/* The argument is the pointer itself (both numbers). */
		const char *name = arg;
		size_t len;

		if (!name)
			return fail(EFAULT);
		len = strnlen(name, DMA_BUF_NAME_LEN);
		if (len >= DMA_BUF_NAME_LEN)
			return fail(EINVAL);
		memcpy(n.name, name, len);
		return real_ioctl(fd, DMABUFD_DMA_BUF_IOC_SET_NAME, &n);
	}
	case DMA_BUF_IOCTL_EXPORT_SYNC_FILE: {
		struct dma_buf_export_sync_file *e = arg;
		struct dmabufd_create req = { .op = DMABUFD_CREATE_EXPORT };
		int sfd;

		if (!e)
			return fail(EFAULT);
		if (bad_sync_flags(e->flags))
			return fail(EINVAL);
		req.flags = e->flags;
		req.src[0] = info->handle;
		sfd = create_into(DMABUFD_NODE_SYNC_FILE, O_RDONLY | O_CLOEXEC, &req,
				  DMABUFD_KIND_SYNC_FILE);
		if (sfd < 0)
			return fail(-sfd);
		e->fd = sfd;
		return 0;
	}
	case DMA_BUF_IOCTL_IMPORT_SYNC_FILE: {
		const struct dma_buf_import_sync_file *i = arg;
		struct dmabufd_dma_buf_import_sync_file req = { 0 };
		int tmp;

		if (!i)
			return fail(EFAULT);
		if (bad_sync_flags(i->flags))
			return fail(EINVAL);
		req.flags = i->flags;
		req.token = sync_handle_of(i->fd, &tmp);
		if (!req.token)
			return fail(EINVAL); /* not a sync_file */
		return done_tmp(real_ioctl(fd, DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE, &req),
				tmp);
	}
	}
	return real_ioctl(fd, cmd, arg);
}

/* ---- sync_file ------------------------------------------------------------------ */

static int file_info(int fd, struct sync_file_info *info)
{
	struct sync_fence_info *out = (struct sync_fence_info *)(uintptr_t)info->sync_fence_info;
	struct dmabufd_sync_file_info w;
	__s32 status = 1;
	__u32 num = 0;

	/* Windows of DMABUFD_SYNC_INFO_MAX; the first says the count. */
	for (__u32 first = 0;; first += w.count) {
		memset(&w, 0, sizeof(w));
		w.first = first;
		if (real_ioctl(fd, DMABUFD_SYNC_IOC_FILE_INFO, &w) < 0)
			return -1;
		if (first == 0) {
			num = w.num_fences;
			if (info->num_fences < num)
				return fail(EINVAL);
			if (num && !out)
				return fail(EFAULT);
		}
		for (__u32 i = 0; i < w.count && first + i < num; i++) {
			out[first + i] = w.fences[i];
			if (status > 0)
				status = w.fences[i].status;
		}
		if (w.count == 0 || first + w.count >= num)
			break;
	}
	memcpy(info->name, w.name, sizeof(info->name));
	info->status = status;
	info->num_fences = num;
	return 0;
}

static int sync_ioctl(int fd, const struct compat_fd *info, unsigned long cmd, void *arg)
{
	switch (cmd) {
	case SYNC_IOC_MERGE: {
		struct sync_merge_data *m = arg;
		struct dmabufd_create req = { .op = DMABUFD_CREATE_MERGE };
		int nfd, tmp;

		if (!m)
			return fail(EFAULT);
		if (m->flags || m->pad)
			return fail(EINVAL);
		req.src[0] = info->handle;
		req.src[1] = sync_handle_of(m->fd2, &tmp);
		if (!req.src[1])
			return fail(ENOENT);
		memcpy(req.name, m->name, sizeof(m->name) - 1);
		nfd = create_into(DMABUFD_NODE_SYNC_FILE, O_RDONLY | O_CLOEXEC, &req,
				  DMABUFD_KIND_SYNC_FILE);
		done_tmp(0, tmp);
		if (nfd < 0)
			return fail(-nfd);
		m->fence = nfd;
		return 0;
	}
	case SYNC_IOC_FILE_INFO: {
		struct sync_file_info *i = arg;

		if (!i)
			return fail(EFAULT);
		if (i->flags || i->pad)
			return fail(EINVAL);
		if (i->num_fences == 0)
			break; /* the count-only form: dmabufd's own */
		return file_info(fd, i);
	}
	}
	return real_ioctl(fd, cmd, arg);
}

/* ---- sw_sync ------------------------------------------------------------------- */

static int sw_sync_ioctl(int fd, const struct compat_fd *info, unsigned long cmd, void *arg)
{
	switch (cmd) {
	case SW_SYNC_IOC_CREATE_FENCE: {
		struct sw_sync_create_fence_data *d = arg;
		struct dmabufd_create req = { .op = DMABUFD_CREATE_FENCE };
		int nfd;

		if (!d)
			return fail(EFAULT);
		req.src[0] = info->handle;
		req.arg = d->value;
		nfd = create_into(DMABUFD_NODE_SYNC_FILE, O_RDONLY | O_CLOEXEC, &req,
				  DMABUFD_KIND_SYNC_FILE);
		if (nfd < 0)
			return fail(-nfd);
		d->fence = nfd;
		return 0;
	}
	case SW_SYNC_GET_DEADLINE: {
		struct sw_sync_get_deadline *d = arg;
		struct dmabufd_sw_sync_get_deadline req = { 0 };

		if (!d)
			return fail(EFAULT);
		if (d->deadline_ns || d->pad)
			return fail(EINVAL);
		req.token = handle_of(d->fence_fd, DMABUFD_KIND_SYNC_FILE);
		if (!req.token)
			return fail(EINVAL);
		if (real_ioctl(fd, DMABUFD_SW_SYNC_IOC_GET_DEADLINE, &req) < 0)
			return -1;
		d->deadline_ns = req.deadline_ns;
		return 0;
	}
	}
	return real_ioctl(fd, cmd, arg);
}

int compat_ioctl(int fd, const struct compat_fd *info, unsigned long cmd, void *arg)
{
	switch (info->kind) {
	case DMABUFD_KIND_HEAP:
		if (_IOC_TYPE(cmd) == DMA_HEAP_IOC_MAGIC)
			return heap_ioctl(info, cmd, arg);
		break;
	case DMABUFD_KIND_DMA_BUF:
		if (_IOC_TYPE(cmd) == DMA_BUF_BASE)
			return buf_ioctl(fd, info, cmd, arg);
		break;
	case DMABUFD_KIND_SYNC_FILE:
		if (_IOC_TYPE(cmd) == SYNC_IOC_MAGIC)
			return sync_ioctl(fd, info, cmd, arg);
		break;
	case DMABUFD_KIND_SW_SYNC:
		if (_IOC_TYPE(cmd) == SW_SYNC_IOC_MAGIC)
			return sw_sync_ioctl(fd, info, cmd, arg);
		break;
	}
	return real_ioctl(fd, cmd, arg);
}
