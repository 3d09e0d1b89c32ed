/* SPDX-License-Identifier: MIT */
/*
 * A kernel-ABI program under dmabufd-run, in the VM (guest-compat.sh,
 * after kinterop), with vgem and the kernel's udmabuf loaded: it knows
 * only the kernel's uapi (no libdmabufd), and the preload makes its
 * dmabufd objects cross into the kernel and back.
 *
 *   1. buffers out: a buffer from /dev/dma_heap/system (dmabufd's, through
 *      the preload) passed to vgem's DRM_IOCTL_PRIME_FD_TO_HANDLE as it
 *      is: the preload passes the kernel the buffer's udmabuf over the
 *      same pages (compat/kernel_import.c); a second import gives the
 *      same GEM handle (one kernel dma-buf per buffer); vgem's object
 *      exported again is a kernel dma-buf and, mapped, reads what was
 *      written through the dmabufd mapping; the program's fd is left in
 *      its struct and stays dmabufd's;
 *   2. fences in: a vgem fence (DRM_IOCTL_VGEM_FENCE_ATTACH on a dumb
 *      buffer, the kernel dma-buf's DMA_BUF_IOCTL_EXPORT_SYNC_FILE: a real
 *      kernel sync_file) given to DMA_BUF_IOCTL_IMPORT_SYNC_FILE of the
 *      dmabufd buffer: the preload imports it (the daemon polls the
 *      kernel fence), so the buffer's read fence (EXPORT_SYNC_FILE) is
 *      pending until vgem signals, then signals.
 *
 * Prints "ok - NAME" / "not ok - NAME: why" per check and a last line
 * "N passed, M failed"; exits 0 when none failed, 77 without vgem or
 * /dev/udmabuf (a skip, said so).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>

#include "kcheck.h"

#define LEN 65536



/* The fd's file, as /proc/self/fd names it. */
static void fd_target(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, size - 1);
	buf[n < 0 ? 0 : n] = '\0';
}

static int alloc_dmabufd(void)
{
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	struct dma_heap_allocation_data a = {
		.len = LEN, .fd_flags = O_RDWR | O_CLOEXEC,
	};
	int r;

	if (heap < 0)
		return -errno;
	r = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a);
	close(heap);
	return r < 0 ? -errno : (int)a.fd;
}

static void buffer_to_vgem(int card, int buf, unsigned char *d)
{
	struct drm_prime_handle imp = { .fd = buf }, again = { 0 }, exp = { 0 };
	char before[128], after[128];
	unsigned char *k;
	int r, mism = 0;

	for (size_t i = 0; i < LEN; i++)
		d[i] = (unsigned char)(i * 7 + 3);
	fd_target(buf, before, sizeof(before));
	r = ioctl(card, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp);
	check(r == 0 && imp.handle, "dmabufd buffer imported into vgem as it is",
	      r ? -errno : 0);
	check(imp.fd == buf, "the program's fd left in its struct", imp.fd);
	fd_target(buf, after, sizeof(after));
	check(strcmp(before, after) == 0 && strstr(after, "anon_inode:dmabuf") == NULL,
	      "the fd is still dmabufd's", 0);
	if (r < 0)
		return;
	/* As on the kernel: the same buffer, the same GEM handle. */
	again.fd = buf;
	r = ioctl(card, DRM_IOCTL_PRIME_FD_TO_HANDLE, &again);
	check(r == 0 && again.handle == imp.handle,
	      "imported again: the same GEM handle", r ? -errno : (long)again.handle);
	exp.handle = imp.handle;
	exp.flags = O_CLOEXEC | O_RDWR;
	r = ioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp);
	check(r == 0, "vgem's object exported again", r ? -errno : 0);
	if (r < 0)
		return;
	fd_target(exp.fd, after, sizeof(after));
	check(strncmp(after, "/dmabuf:", 8) == 0, "a real kernel dma-buf", 0);
	k = mmap(NULL, LEN, PROT_READ, MAP_SHARED, exp.fd, 0);
	check(k != MAP_FAILED, "kernel dma-buf mapped", k == MAP_FAILED ? -errno : 0);
	if (k != MAP_FAILED) {
		for (size_t i = 0; i < LEN; i++)
			mism += k[i] != (unsigned char)(i * 7 + 3);
		check(mism == 0, "dmabufd's writes read back through vgem's object", mism);
		munmap(k, LEN);
	}
	close(exp.fd);
}

static void vgem_fence_into_buffer(int card, int buf)
{
	struct drm_mode_create_dumb dumb = { .height = 1, .width = 1024, .bpp = 32 };
	struct drm_vgem_fence_attach att = { .flags = VGEM_FENCE_WRITE };
	struct drm_vgem_fence_signal sig = { 0 };
	struct drm_prime_handle exp = { 0 };
	struct dma_buf_export_sync_file kx = { .flags = DMA_BUF_SYNC_READ, .fd = -1 };
	struct dma_buf_import_sync_file im = { .flags = DMA_BUF_SYNC_WRITE };
	struct dma_buf_export_sync_file bx = { .flags = DMA_BUF_SYNC_READ, .fd = -1 };
	struct pollfd p = { .events = POLLIN };
	int r;

	r = ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &dumb);
	check(r == 0, "vgem dumb buffer", r ? -errno : 0);
	if (r < 0)
		return;
	att.handle = dumb.handle;
	r = ioctl(card, DRM_IOCTL_VGEM_FENCE_ATTACH, &att);
	check(r == 0, "vgem fence attached", r ? -errno : 0);
	exp.handle = dumb.handle;
	exp.flags = O_CLOEXEC | O_RDWR;
	if (r == 0)
		r = ioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp);
	/* The kernel dma-buf's write fence (vgem's), as a kernel sync_file. */
	if (r == 0)
		r = ioctl(exp.fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &kx);
	check(r == 0, "kernel sync_file of the vgem fence", r ? -errno : 0);
	if (r < 0)
		return;
	im.fd = kx.fd;
	r = ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &im);
	check(r == 0, "kernel sync_file imported into the dmabufd buffer", r ? -errno : 0);
	r = r == 0 ? ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &bx) : -1;
	check(r == 0, "the buffer's read fence exported", r ? -errno : 0);
	if (r < 0)
		return;
	p.fd = bx.fd;
	check(poll(&p, 1, 0) == 0, "pending while the vgem fence is", 0);
	sig.fence = att.out_fence;
	r = ioctl(card, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig);
	check(r == 0, "vgem fence signaled", r ? -errno : 0);
	r = poll(&p, 1, 20000);
	check(r == 1 && (p.revents & POLLIN), "signaled once vgem's fence is", r);
	close(bx.fd);
	close(kx.fd);
	close(exp.fd);
}

int main(void)
{
	int card = vgem_open(), buf;
	unsigned char *d;

	if (card < 0 || access("/dev/udmabuf", F_OK) != 0) {
		printf("SKIP: no %s\n", card < 0 ? "vgem" : "/dev/udmabuf");
		return 77;
	}
	buf = alloc_dmabufd();
	check(buf >= 0, "buffer from /dev/dma_heap/system", buf);
	if (buf < 0)
		return 1;
	d = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	check(d != MAP_FAILED, "buffer mapped", d == MAP_FAILED ? -errno : 0);
	if (d == MAP_FAILED)
		return 1;
	buffer_to_vgem(card, buf, d);
	vgem_fence_into_buffer(card, buf);
	munmap(d, LEN);
	close(buf);
	close(card);
	return check_summary();
}
