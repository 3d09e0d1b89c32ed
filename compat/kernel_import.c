/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd-compat: a dmabufd dma-buf handed to a real kernel importer.
 *
 * A program that passes a dma-buf fd to DRM (DRM_IOCTL_PRIME_FD_TO_HANDLE)
 * or V4L2 (VIDIOC_QBUF, VIDIOC_PREPARE_BUF with V4L2_MEMORY_DMABUF, each
 * plane's fd of a multi-planar buffer) passes, when that fd is
 * dmabufd's, a real kernel dma-buf over the same memory instead: the
 * daemon's export through the kernel's udmabuf
 * (dmabufd_buf_export_kernel(), DMABUFD_CTL_BUF_EXPORT_KERNEL), made for
 * the call and closed after it, the importer keeping its own reference.
 * The program's fd numbers are put back in its struct after the call
 * (V4L2 writes the fd it was given back into the buffer). So each such
 * call imports a kernel dma-buf of its own over the same pages: DRM gives
 * a new GEM handle per call (as for two different dma-bufs), and V4L2
 * attaches again when a queued index gets another dma-buf.
 *
 * Where the export fails (no /dev/udmabuf, a buffer opened read-only,
 * the daemon's limits) the call goes to the kernel with the program's
 * fd as given, and the kernel answers for a file that is no dma-buf
 * (EINVAL from dma_buf_get()), as it would without the preload.
 *
 * What the kernel side sees: the pages, and nothing of dmabufd's fences
 * or CPU-access sync (udmabuf has its own empty reservation object); the
 * README's "Interop with the kernel" says how to carry fences across.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <linux/ioctl.h>
#include <linux/videodev2.h>

#include "compat.h"

/* DRM's uapi (<drm/drm.h>, libdrm-dev): only what is used here. */
struct compat_drm_prime_handle {
	uint32_t handle;
	uint32_t flags;
	int32_t fd;
};
#define COMPAT_DRM_IOCTL_PRIME_FD_TO_HANDLE _IOWR('d', 0x2e, struct compat_drm_prime_handle)

/* A kernel dma-buf for @fd when it is a dmabufd dma-buf: its fd, or -1. */
static int kernel_twin(int fd)
{
	struct compat_fd info;
	int saved = errno, k;

	if (!compat_fd_get(fd, &info) || info.kind != DMABUFD_KIND_DMA_BUF)
		return -1;
	k = dmabufd_buf_export_kernel(fd);
	errno = saved;
	return k < 0 ? -1 : k;
}

static int drm_import(int fd, unsigned long cmd, struct compat_drm_prime_handle *arg)
{
	int orig, k, r, err;

	if (!arg)
		return real_ioctl(fd, cmd, arg);
	orig = arg->fd;
	k = kernel_twin(orig);
	if (k < 0)
		return real_ioctl(fd, cmd, arg);
	arg->fd = k;
	r = real_ioctl(fd, cmd, arg);
	err = errno;
	arg->fd = orig;
	real_close(k);
	errno = err;
	return r;
}

static int v4l2_queue(int fd, unsigned long cmd, struct v4l2_buffer *b)
{
	int orig[VIDEO_MAX_PLANES], k[VIDEO_MAX_PLANES];
	bool mplane;
	unsigned n, i;
	int r, err;

	if (!b || b->memory != V4L2_MEMORY_DMABUF)
		return real_ioctl(fd, cmd, b);
	mplane = V4L2_TYPE_IS_MULTIPLANAR(b->type);
	if (mplane && (!b->m.planes || b->length > VIDEO_MAX_PLANES))
		return real_ioctl(fd, cmd, b); /* the kernel's EINVAL/EFAULT */
	n = mplane ? b->length : 1;
	for (i = 0; i < n; i++) {
		orig[i] = mplane ? b->m.planes[i].m.fd : b->m.fd;
		k[i] = kernel_twin(orig[i]);
		if (k[i] < 0)
			continue;
		if (mplane)
			b->m.planes[i].m.fd = k[i];
		else
			b->m.fd = k[i];
	}
	r = real_ioctl(fd, cmd, b);
	err = errno;
	for (i = 0; i < n; i++) {
		if (k[i] < 0)
			continue;
		if (mplane)
			b->m.planes[i].m.fd = orig[i];
		else
			b->m.fd = orig[i];
		real_close(k[i]);
	}
	errno = err;
	return r;
}

int compat_kernel_import_ioctl(int fd, unsigned long cmd, void *arg)
{
	switch (cmd) {
	case COMPAT_DRM_IOCTL_PRIME_FD_TO_HANDLE:
		return drm_import(fd, cmd, arg);
	case VIDIOC_QBUF:
	case VIDIOC_PREPARE_BUF:
		return v4l2_queue(fd, cmd, arg);
	}
	return real_ioctl(fd, cmd, arg);
}
