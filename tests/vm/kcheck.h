/* SPDX-License-Identifier: MIT */
/*
 * What the VM's kernel-interop programs share (kinterop.c, not preloaded;
 * kimport-preload.c, under dmabufd-run): their "ok - NAME" / "not ok -
 * NAME: VALUE" checks and summary, and the few DRM calls they make of
 * vgem, as include/uapi/drm/{drm,drm_mode,vgem_drm}.h have them (Debian's
 * linux-libc-dev leaves drm/ out: it is libdrm-dev's). Kernel uapi and
 * libc only, so a program under the preload may use it.
 */
#pragma once

#include <fcntl.h>
#include <linux/types.h>
#include <sys/ioctl.h>

struct drm_version {
	int version_major, version_minor, version_patchlevel;
	__kernel_size_t name_len;
	char *name;
	__kernel_size_t date_len;
	char *date;
	__kernel_size_t desc_len;
	char *desc;
};
struct drm_gem_close {
	__u32 handle;
	__u32 pad;
};
struct drm_prime_handle {
	__u32 handle;
	__u32 flags; /* DRM_CLOEXEC, DRM_RDWR (HANDLE_TO_FD) */
	__s32 fd;
};
struct drm_mode_create_dumb {
	__u32 height, width, bpp, flags, handle, pitch;
	__u64 size;
};
struct drm_vgem_fence_attach {
	__u32 handle;
	__u32 flags; /* VGEM_FENCE_WRITE */
	__u32 out_fence;
	__u32 pad;
};
struct drm_vgem_fence_signal {
	__u32 fence;
	__u32 flags;
};
#define DRM_CLOEXEC O_CLOEXEC
#define DRM_RDWR O_RDWR
#define DRM_IOCTL_VERSION _IOWR('d', 0x00, struct drm_version)
#define DRM_IOCTL_GEM_CLOSE _IOW('d', 0x09, struct drm_gem_close)
#define DRM_IOCTL_PRIME_HANDLE_TO_FD _IOWR('d', 0x2d, struct drm_prime_handle)
#define DRM_IOCTL_PRIME_FD_TO_HANDLE _IOWR('d', 0x2e, struct drm_prime_handle)
#define DRM_IOCTL_MODE_CREATE_DUMB _IOWR('d', 0xB2, struct drm_mode_create_dumb)
#define DRM_IOCTL_VGEM_FENCE_ATTACH _IOWR('d', 0x40 + 0x1, struct drm_vgem_fence_attach)
#define DRM_IOCTL_VGEM_FENCE_SIGNAL _IOW('d', 0x40 + 0x2, struct drm_vgem_fence_signal)
#define VGEM_FENCE_WRITE 0x1

/* One check: @v (a result, a status) is printed when it failed. */
void check(int ok, const char *name, long v);

/* Print "N passed, M failed"; the exit status: 0 when none failed. */
int check_summary(void);

/* vgem's card (DRM_IOCTL_VERSION's name), opened, or -1. */
int vgem_open(void);
