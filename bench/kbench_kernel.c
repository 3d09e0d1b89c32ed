/* SPDX-License-Identifier: MIT */
/*
 * kbench's kernel side: the operations through the kernel's own uapi, on
 * the kernel's drivers (in the VM: drivers/dma-buf's dma-heap, system
 * heap and sw_sync built as modules by tests/vm/fetch-kernel-src.sh).
 * Only the kernel's headers are included here. sw_sync's ioctls are not
 * uapi: drivers/dma-buf/sw_sync.c defines them, and so does this file,
 * from that ABI (../shared/reference/abi.md's numbers are checked below).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>
#include <linux/types.h>

#include "kbench.h"

struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};

#define SW_SYNC_IOC_MAGIC 'W'
#define SW_SYNC_IOC_CREATE_FENCE _IOWR(SW_SYNC_IOC_MAGIC, 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW(SW_SYNC_IOC_MAGIC, 1, __u32)

_Static_assert(SW_SYNC_IOC_CREATE_FENCE == 0xc0285700, "SW_SYNC_IOC_CREATE_FENCE");
_Static_assert(SW_SYNC_IOC_INC == 0x40045701, "SW_SYNC_IOC_INC");

/* Not a sw_sync number: sw_sync_ioctl() answers ENOTTY. */
#define KB_NULL_CMD _IOWR('W', 0x4f, __u64)

const char *kb_kernel_sw_sync = "/sys/kernel/debug/sync/sw_sync";

static struct {
	int heap;
	int tl_create, tl_a, tl_b, tl_signaled; /* sw_sync timelines */
	int fence_a, fence_b;  /* pending, on tl_a and tl_b: merged */
	int fence_signaled;    /* on tl_signaled: imported */
	int buf_export, buf_import, buf_mmap;
} k = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };

static int neg_errno(int r)
{
	return r < 0 ? -errno : r;
}

static int heap_alloc(size_t len)
{
	struct dma_heap_allocation_data d = {
		.len = len,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(k.heap, DMA_HEAP_IOCTL_ALLOC, &d) < 0)
		return -errno;
	return (int)d.fd;
}

static int fence_create(int tl, __u32 value)
{
	struct sw_sync_create_fence_data d = { .value = value, .name = "kbench" };

	if (ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &d) < 0)
		return -errno;
	return d.fence;
}

static int timeline_open(void)
{
	return neg_errno(open(kb_kernel_sw_sync, O_RDWR | O_CLOEXEC));
}

static int k_setup(const char *heap, const char **ret_what)
{
	__u32 one = 1;

#define TRY(expr, what)                       \
	do {                                  \
		int r_ = (expr);              \
		if (r_ < 0) {                 \
			*ret_what = (what);   \
			return r_;            \
		}                             \
	} while (0)
	TRY(k.heap = neg_errno(open(heap, O_RDONLY | O_CLOEXEC)), "open the heap");
	TRY(k.tl_create = timeline_open(), "open sw_sync");
	TRY(k.tl_a = timeline_open(), "open sw_sync");
	TRY(k.tl_b = timeline_open(), "open sw_sync");
	TRY(k.tl_signaled = timeline_open(), "open sw_sync");
	TRY(k.fence_a = fence_create(k.tl_a, 1), "SW_SYNC_IOC_CREATE_FENCE");
	TRY(k.fence_b = fence_create(k.tl_b, 1), "SW_SYNC_IOC_CREATE_FENCE");
	TRY(neg_errno(ioctl(k.tl_signaled, SW_SYNC_IOC_INC, &one)), "SW_SYNC_IOC_INC");
	TRY(k.fence_signaled = fence_create(k.tl_signaled, 1), "SW_SYNC_IOC_CREATE_FENCE");
	TRY(k.buf_export = heap_alloc(KB_ALLOC_LEN), "DMA_HEAP_IOCTL_ALLOC");
	TRY(k.buf_import = heap_alloc(KB_ALLOC_LEN), "DMA_HEAP_IOCTL_ALLOC");
	TRY(k.buf_mmap = heap_alloc(KB_MMAP_LEN), "DMA_HEAP_IOCTL_ALLOC");
#undef TRY
	return 0;
}

static int k_null(void)
{
	__u64 arg = 0;

	if (ioctl(k.tl_create, KB_NULL_CMD, &arg) == 0)
		return -EPROTO;
	return errno == ENOTTY ? 0 : -errno;
}

static int close_new(int fd)
{
	if (fd < 0)
		return fd;
	return neg_errno(close(fd));
}

static int k_run(enum kb_op op, unsigned int i)
{
	switch (op) {
	case KB_NULL:
		return k_null();
	case KB_ALLOC:
		return close_new(heap_alloc(KB_ALLOC_LEN));
	case KB_FENCE:
		/* Pending (the timeline stays at 0), as dmabufd's side. */
		return close_new(fence_create(k.tl_create, 1000 + i));
	case KB_MERGE: {
		struct sync_merge_data d = { .name = "kbench", .fd2 = k.fence_b };

		if (ioctl(k.fence_a, SYNC_IOC_MERGE, &d) < 0)
			return -errno;
		return close_new(d.fence);
	}
	case KB_EXPORT: {
		struct dma_buf_export_sync_file d = { .flags = DMA_BUF_SYNC_RW, .fd = -1 };

		if (ioctl(k.buf_export, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &d) < 0)
			return -errno;
		return close_new(d.fd);
	}
	case KB_IMPORT: {
		struct dma_buf_import_sync_file d = {
			.flags = DMA_BUF_SYNC_WRITE,
			.fd = k.fence_signaled,
		};

		return neg_errno(ioctl(k.buf_import, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &d));
	}
	case KB_MMAP: {
		void *p = mmap(NULL, KB_MMAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			       k.buf_mmap, 0);

		if (p == MAP_FAILED)
			return -errno;
		return neg_errno(munmap(p, KB_MMAP_LEN));
	}
	case _KB_OP_MAX:
		break;
	}
	return -EINVAL;
}

static void k_teardown(void)
{
	int *fds[] = { &k.buf_mmap, &k.buf_import, &k.buf_export, &k.fence_signaled,
		       &k.fence_b, &k.fence_a, &k.tl_signaled, &k.tl_b, &k.tl_a,
		       &k.tl_create, &k.heap };

	for (size_t j = 0; j < sizeof(fds) / sizeof(fds[0]); j++) {
		if (*fds[j] >= 0)
			close(*fds[j]);
		*fds[j] = -1;
	}
}

const struct kb_side kb_kernel = {
	.name = "kernel",
	.setup = k_setup,
	.null = k_null,
	.run = k_run,
	.teardown = k_teardown,
};
