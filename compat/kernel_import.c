/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd-compat: a dmabufd dma-buf handed to DRM's PRIME import.
 *
 * A program that passes a dma-buf fd to DRM_IOCTL_PRIME_FD_TO_HANDLE
 * passes, when that fd is dmabufd's, the buffer's kernel dma-buf instead:
 * the daemon's export through the kernel's udmabuf
 * (dmabufd_buf_export_kernel(), DMABUFD_CTL_BUF_EXPORT_KERNEL), which is
 * one kernel dma-buf per buffer for as long as something in the kernel
 * holds it, so importing the same buffer again gives the same GEM handle,
 * as on the kernel. The call is made on a copy of the program's struct
 * holding the new fd, which is closed after it (the GEM object keeps its
 * own reference); the program's struct gets the handle, its fd untouched.
 *
 * Where the export fails (no /dev/udmabuf, a buffer opened read-only,
 * the daemon's limits) the call goes to the kernel with the program's
 * fd as given, and the kernel answers for a file that is no dma-buf
 * (EINVAL from dma_buf_get()), as it would without the preload.
 *
 * Not done here: V4L2's VIDIOC_QBUF with V4L2_MEMORY_DMABUF. vb2 keeps
 * the fd number it was given and hands it back in VIDIOC_DQBUF and
 * VIDIOC_QUERYBUF, which would be a number the program never had: such
 * programs export with libdmabufd (dmabufd-compat(7)).
 *
 * What the kernel side sees: the pages, and nothing of dmabufd's fences
 * or CPU-access sync (udmabuf has its own reservation object); the
 * README's "Interop with the kernel" says how to carry fences across.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include <linux/ioctl.h>

#include "compat.h"

/* DRM's uapi (<drm/drm.h>, libdrm-dev): only what is used here. */
struct compat_drm_prime_handle {
	uint32_t handle;
	uint32_t flags;
	int32_t fd;
};
#define COMPAT_DRM_IOCTL_PRIME_FD_TO_HANDLE _IOWR('d', 0x2e, struct compat_drm_prime_handle)

/* The kernel dma-buf of @fd when it is a dmabufd dma-buf: a new fd of
 * it, or -1. Keeps errno. */
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
	struct compat_drm_prime_handle copy;
	int k, r, err;

	if (!arg)
		return real_ioctl(fd, cmd, arg);
	k = kernel_twin(arg->fd);
	if (k < 0)
		return real_ioctl(fd, cmd, arg);
	copy = *arg;
	copy.fd = k;
	r = real_ioctl(fd, cmd, &copy);
	err = errno;
	if (r == 0)
		arg->handle = copy.handle;
	real_close(k);
	errno = err;
	return r;
}

int compat_kernel_import_ioctl(int fd, unsigned long cmd, void *arg)
{
	if (cmd == COMPAT_DRM_IOCTL_PRIME_FD_TO_HANDLE)
		return drm_import(fd, cmd, arg);
	return real_ioctl(fd, cmd, arg);
}
