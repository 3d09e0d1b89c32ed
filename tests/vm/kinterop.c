/* SPDX-License-Identifier: MIT */
/*
 * Fences between dmabufd and the real kernel, in the VM (guest-compat.sh,
 * after the oracle runs): the kernel's own sw_sync (dmabufd_sw_sync.ko,
 * at /sys/kernel/debug/sync/sw_sync) on one side, dmabufd on CUSE with
 * its mock DMA controller on the other. Not under the preload: this
 * program talks to the kernel's sw_sync itself and to dmabufd through
 * libdmabufd.
 *
 *   1. a kernel sw_sync fence imported, gating a dmabufd DMA copy (an
 *      implicit write fence of the source buffer): the copy waits until
 *      the kernel timeline moves, then runs, and the bytes arrive;
 *   2. the copy's dmabufd fence exported as a kernel sync_file, waited on
 *      through the kernel's poll and SYNC_IOC_FILE_INFO;
 *   3. a dmabufd sw_sync fence exported, signaled by the dmabufd
 *      timeline, seen by the kernel;
 *   4. a kernel fence that ends in error (its timeline closed: ENOENT)
 *      reaches dmabufd with its error;
 *   5. a dmabufd buffer exported as a kernel dma-buf (the kernel's own
 *      udmabuf, dmabufd_udmabuf.ko), imported into vgem
 *      (DRM_IOCTL_PRIME_FD_TO_HANDLE) and exported again by vgem (the
 *      same kernel dma-buf): bytes written through dmabufd's mapping
 *      read back through the kernel dma-buf's mmap, and the other way;
 *      with every fd and mapping gone but vgem's import, the dmabufd
 *      buffer stays; once vgem lets go, the daemon frees it. Skipped
 *      (said so) without /dev/udmabuf or vgem.
 *
 * Prints "ok - NAME" / "not ok - NAME: why" per check and a last line
 * "N passed, M failed"; exits 0 when none failed, 77 when the kernel has
 * no sw_sync (a skip, said so).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>

#include <dmabufd/control.h>
#include <dmabufd/dmabufd.h>
#include <dmabufd/sw_sync.h>

#include "kcheck.h"


#define SW_SYNC_PATH "/sys/kernel/debug/sync/sw_sync"
/* dmabufd's system heap beside the kernel's (guest-compat.sh: the
 * daemon's --heap-dir; /dev/dma_heap/system is the kernel's). */
#define DMABUFD_HEAP_NODE "dmabufd/dma_heap/system"
#define LEN 65536
#define WAIT_MS 20000


static int kernel_fence(int tl, uint32_t value)
{
	struct sw_sync_create_fence_data d = { .value = value };

	snprintf(d.name, sizeof(d.name), "kinterop-%u", value);
	if (ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &d) < 0)
		return -errno;
	return d.fence;
}

/* The kernel's status of sync_file @fd: 0 pending, 1, or -errno. */
static int kernel_status(int fd)
{
	struct sync_file_info info = { .num_fences = 0 };

	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info) < 0)
		return -10000 - errno;
	return info.status;
}

static int kernel_poll(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms);
}

static void gated_copy_and_exported_completion(void)
{
	int ktl = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	int kf = kernel_fence(ktl, 1);
	int imported = dmabufd_fence_import_sync_file(kf);
	int heap = dmabufd_open_node(DMABUFD_HEAP_NODE, O_RDONLY | O_CLOEXEC);
	int src = dmabufd_heap_alloc(heap, LEN, O_RDWR | O_CLOEXEC, 0);
	int dst = dmabufd_heap_alloc(heap, LEN, O_RDWR | O_CLOEXEC, 0);
	int chan = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY),
						   5000, NULL);
	int st = -1, kdone, done, r, a_src, a_dst;
	unsigned char *s = NULL, *d = NULL;
	size_t len;
	int32_t cookie;

	check(kf >= 0, "kernel sw_sync fence made", kf);
	check(imported >= 0, "kernel sync_file imported", imported);
	if (kf < 0 || imported < 0 || src < 0 || dst < 0 || chan < 0) {
		check(0, "setup", src < 0 ? src : dst < 0 ? dst : chan);
		return;
	}
	r = dmabufd_sync_status(imported, &st);
	check(r == 0 && st == 0, "imported fence pending while the kernel's is", st);
	check(dmabufd_buf_mmap(src, PROT_READ | PROT_WRITE, (void **)&s, &len) == 0,
	      "source mapped", 0);
	for (size_t i = 0; i < LEN; i++)
		s[i] = (unsigned char)(i * 7 + 3);
	r = dmabufd_buf_import_sync_file(src, DMA_BUF_SYNC_WRITE, imported);
	check(r == 0, "kernel fence imported into the source's implicit fences", r);
	a_src = dmabufd_dma_attach(chan, src, NULL);
	a_dst = dmabufd_dma_attach(chan, dst, NULL);
	cookie = dmabufd_dma_memcpy(chan, (uint32_t)a_dst, 0, (uint32_t)a_src, 0, LEN, 0);
	check(cookie > 0, "copy submitted", cookie);
	done = dmabufd_dma_fence(chan, cookie);
	check(done >= 0, "copy fence", done);
	kdone = dmabufd_fence_export_kernel(done);
	check(kdone >= 0, "copy fence exported as a kernel sync_file", kdone);
	/* Gated: neither the copy nor its kernel fence may finish first. */
	r = dmabufd_dma_wait(chan, cookie, 300);
	check(r == -ETIME || r == -ETIMEDOUT, "copy waits for the kernel fence", r);
	check(kernel_poll(kdone, 0) == 0 && kernel_status(kdone) == 0,
	      "exported kernel fence pending while the copy is", kernel_status(kdone));

	r = ioctl(ktl, SW_SYNC_IOC_INC, &(uint32_t){ 1 });
	check(r == 0, "kernel timeline moved", r);
	r = dmabufd_dma_wait(chan, cookie, WAIT_MS);
	check(r == 0, "copy ran once the kernel fence signaled", r);
	r = dmabufd_sync_status(imported, &st);
	check(r == 0 && st == 1, "imported fence signaled without error", st);
	check(kernel_poll(kdone, WAIT_MS) == 1, "kernel poll sees the copy's fence signal", 0);
	check(kernel_status(kdone) == 1, "kernel status of the copy's fence is 1",
	      kernel_status(kdone));
	if (dmabufd_buf_mmap(dst, PROT_READ, (void **)&d, &len) == 0) {
		check(memcmp(s, d, LEN) == 0, "the bytes arrived", 0);
		dmabufd_buf_munmap(d, LEN);
	}
	dmabufd_buf_munmap(s, LEN);
	close(kdone);
	close(done);
	close(chan);
	close(src);
	close(dst);
	close(heap);
	close(imported);
	close(kf);
	close(ktl);
}

static void dmabufd_timeline_fence_exported(void)
{
	int tl = dmabufd_timeline_create();
	int f2 = dmabufd_timeline_create_fence(tl, "two", 2);
	int f1 = dmabufd_timeline_create_fence(tl, "one", 1);
	int k2 = dmabufd_fence_export_kernel(f2);
	int k1 = dmabufd_fence_export_kernel(f1);

	check(k1 >= 0 && k2 >= 0, "dmabufd sw_sync fences exported", k1 < 0 ? k1 : k2);
	if (k1 < 0 || k2 < 0)
		return;
	check(kernel_poll(k1, 0) == 0 && kernel_poll(k2, 0) == 0,
	      "kernel fences pending", 0);
	dmabufd_timeline_inc(tl, 1);
	check(kernel_poll(k1, WAIT_MS) == 1, "kernel fence of point 1 signals at 1", 0);
	check(kernel_poll(k2, 0) == 0, "kernel fence of point 2 still pending at 1", 0);
	dmabufd_timeline_inc(tl, 1);
	check(kernel_poll(k2, WAIT_MS) == 1, "kernel fence of point 2 signals at 2", 0);
	close(k1);
	close(k2);
	close(f1);
	close(f2);
	close(tl);
}

static void kernel_error_reaches_dmabufd(void)
{
	int ktl = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	int kf = kernel_fence(ktl, 5);
	int imported = dmabufd_fence_import_sync_file(kf);
	int st = 0;

	check(imported >= 0, "second import", imported);
	if (imported < 0)
		return;
	close(ktl); /* sw_sync's release: pending points signal -ENOENT */
	check(dmabufd_sync_wait(imported, WAIT_MS) == 0, "imported fence signals", 0);
	dmabufd_sync_status(imported, &st);
	check(st == -ENOENT, "with the kernel fence's error (ENOENT)", st);
	close(imported);
	close(kf);
}


/* Whether the daemon lists a dma-buf of id @id: 1, 0, or -errno; its
 * listing's flags in *@ret_flags when listed (may be NULL). */
static int dmabufd_buffer_flags(uint64_t id, uint32_t *ret_flags)
{
	void *recs;
	uint32_t n, size;
	int r = dmabufd_ctl_list(DMABUFD_CTL_BUFFERS, &recs, &n, &size);

	if (r < 0)
		return r;
	r = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct dmabufd_ctl_buffer *b =
			(const void *)((char *)recs + (size_t)i * size);

		if (b->id != id)
			continue;
		r = 1;
		if (ret_flags)
			*ret_flags = b->flags;
	}
	free(recs);
	return r;
}

static int dmabufd_has_buffer(uint64_t id)
{
	return dmabufd_buffer_flags(id, NULL);
}

/* Wait (at most WAIT_MS) until dmabufd_has_buffer(@id) is @want. */
static int dmabufd_buffer_becomes(uint64_t id, int want)
{
	int r = dmabufd_has_buffer(id);

	for (int ms = 0; r != want && ms < WAIT_MS; ms += 50) {
		usleep(50 * 1000);
		r = dmabufd_has_buffer(id);
	}
	return r;
}

/* Whether fds @a and @b are one open file's (the same inode). */
static int same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void buffer_exported_to_vgem(void)
{
	int heap = dmabufd_open_node(DMABUFD_HEAP_NODE, O_RDONLY | O_CLOEXEC);
	int card = vgem_open();
	struct dmabufd_dma_buf_info info;
	int b, kb, again, r, mism = 0;
	uint32_t flags = 0;
	unsigned char *d = NULL, *k;
	size_t len;
	struct drm_prime_handle imp = { 0 }, exp = { 0 };
	struct drm_gem_close gc = { 0 };

	if (access("/dev/udmabuf", F_OK) != 0 || card < 0) {
		printf("SKIP: buffers out: no %s\n",
		       card < 0 ? "vgem" : "/dev/udmabuf");
		if (card >= 0)
			close(card);
		close(heap);
		return;
	}
	b = dmabufd_heap_alloc(heap, LEN, O_RDWR | O_CLOEXEC, 0);
	check(b >= 0, "buffer allocated", b);
	if (b < 0 || dmabufd_buf_info(b, &info) < 0)
		return;
	kb = dmabufd_buf_export_kernel(b);
	check(kb >= 0, "buffer exported as a kernel dma-buf (udmabuf)", kb);
	if (kb < 0)
		return;
	/* One kernel dma-buf per buffer: a second export is that one. */
	r = dmabufd_buf_export_kernel(b);
	check(r >= 0 && same_file(r, kb), "exported again: the same kernel dma-buf", r);
	if (r >= 0)
		close(r);
	imp.fd = kb;
	r = ioctl(card, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp);
	check(r == 0 && imp.handle, "kernel dma-buf imported into vgem", r ? -errno : 0);
	/* vgem's object, exported again: the kernel gives the same dma-buf. */
	exp.handle = imp.handle;
	exp.flags = DRM_CLOEXEC | DRM_RDWR;
	r = ioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp);
	again = r == 0 ? exp.fd : -1;
	check(r == 0, "vgem's object exported again", r ? -errno : 0);
	if (again < 0)
		return;
	k = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, again, 0);
	check(k != MAP_FAILED, "kernel dma-buf mapped", k == MAP_FAILED ? -errno : 0);
	r = dmabufd_buf_mmap(b, PROT_READ | PROT_WRITE, (void **)&d, &len);
	check(r == 0 && len == LEN, "dmabufd buffer mapped", r);
	if (k == MAP_FAILED || r < 0)
		return;
	for (size_t i = 0; i < LEN; i++)
		d[i] = (unsigned char)(i * 13 + 5);
	for (size_t i = 0; i < LEN; i++)
		mism += k[i] != (unsigned char)(i * 13 + 5);
	check(mism == 0, "dmabufd's CPU writes read back through the kernel object", mism);
	for (size_t i = 0; i < LEN; i++)
		k[i] = (unsigned char)(i * 3 + 1);
	mism = 0;
	for (size_t i = 0; i < LEN; i++)
		mism += d[i] != (unsigned char)(i * 3 + 1);
	check(mism == 0, "the kernel object's writes read back through dmabufd's mapping", mism);
	dmabufd_buf_munmap(d, len);
	munmap(k, LEN);
	close(again);
	close(kb);
	close(b);
	/* Only vgem's import holds the kernel dma-buf now: the daemon keeps
	 * the buffer past a few of its sweeps (one a second). */
	sleep(3);
	r = dmabufd_buffer_flags(info.id, &flags);
	check(r == 1, "buffer kept while vgem holds its kernel dma-buf", r);
	check(r == 1 && (flags & DMABUFD_CTL_BUF_KERNEL),
	      "listed as held in the kernel (dmabufctl buffers -o KERNEL)", flags);
	gc.handle = imp.handle;
	r = ioctl(card, DRM_IOCTL_GEM_CLOSE, &gc);
	check(r == 0, "vgem let go", r ? -errno : 0);
	r = dmabufd_buffer_becomes(info.id, 0);
	check(r == 0, "buffer freed once no kernel holder is left", r);
	close(card);
	close(heap);
}

int main(void)
{
	if (access(SW_SYNC_PATH, F_OK) != 0) {
		printf("SKIP: no %s\n", SW_SYNC_PATH);
		return 77;
	}
	gated_copy_and_exported_completion();
	dmabufd_timeline_fence_exported();
	kernel_error_reaches_dmabufd();
	buffer_exported_to_vgem();
	return check_summary();
}
