/* SPDX-License-Identifier: MIT */
/*
 * kbench's dmabufd side: the same operations as kbench_kernel.c through
 * libdmabufd's handle calls (dmabufd.h, "Handles"), the fewest round trips
 * each takes. Handles are taken once, in setup, as a pipeline would.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <dmabufd/dmabufd.h>

#include "kbench.h"

/* An unknown dmabufd number on the sw_sync node: ENOTTY (as bench.c's). */
#define KB_NULL_CMD _IOWR(DMABUFD_IOC_MAGIC, 0x4f, uint64_t)

static struct {
	int heap;
	int tl_create, tl_a, tl_b, tl_signaled;
	int fence_a, fence_b, fence_signaled;
	int buf_export, buf_import, buf_mmap;
	uint64_t h_heap, h_tl_create, h_fence_a, h_fence_b, h_fence_signaled;
	uint64_t h_buf_export, h_buf_mmap;
} d = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0 };

static int d_setup(const char *heap, const char **ret_what)
{
#define TRY(expr, what)                       \
	do {                                  \
		int r_ = (expr);              \
		if (r_ < 0) {                 \
			*ret_what = (what);   \
			return r_;            \
		}                             \
	} while (0)
	TRY(d.heap = dmabufd_open_node(heap, O_RDONLY | O_CLOEXEC), "open the heap node");
	/* Fails for a node that is not dmabufd's: -ENOTTY, or -EINVAL from
	 * the kernel's own heap (dma_heap_ioctl() looks at _IOC_NR only). */
	TRY(dmabufd_handle(d.heap, &d.h_heap, NULL), "dmabufd_handle of the heap");
	TRY(d.tl_create = dmabufd_timeline_create(), "dmabufd_timeline_create");
	TRY(d.tl_a = dmabufd_timeline_create(), "dmabufd_timeline_create");
	TRY(d.tl_b = dmabufd_timeline_create(), "dmabufd_timeline_create");
	TRY(d.tl_signaled = dmabufd_timeline_create(), "dmabufd_timeline_create");
	TRY(dmabufd_handle(d.tl_create, &d.h_tl_create, NULL), "dmabufd_handle");
	TRY(d.fence_a = dmabufd_timeline_create_fence(d.tl_a, "kbench", 1), "create fence");
	TRY(d.fence_b = dmabufd_timeline_create_fence(d.tl_b, "kbench", 1), "create fence");
	TRY(dmabufd_timeline_inc(d.tl_signaled, 1), "dmabufd_timeline_inc");
	TRY(d.fence_signaled = dmabufd_timeline_create_fence(d.tl_signaled, "kbench", 1),
	    "create fence");
	TRY(dmabufd_handle(d.fence_a, &d.h_fence_a, NULL), "dmabufd_handle");
	TRY(dmabufd_handle(d.fence_b, &d.h_fence_b, NULL), "dmabufd_handle");
	TRY(dmabufd_handle(d.fence_signaled, &d.h_fence_signaled, NULL), "dmabufd_handle");
	TRY(d.buf_export = dmabufd_heap_alloc(d.heap, KB_ALLOC_LEN, O_RDWR | O_CLOEXEC, 0),
	    "dmabufd_heap_alloc");
	TRY(d.buf_import = dmabufd_heap_alloc(d.heap, KB_ALLOC_LEN, O_RDWR | O_CLOEXEC, 0),
	    "dmabufd_heap_alloc");
	TRY(d.buf_mmap = dmabufd_heap_alloc(d.heap, KB_MMAP_LEN, O_RDWR | O_CLOEXEC, 0),
	    "dmabufd_heap_alloc");
	TRY(dmabufd_handle(d.buf_export, &d.h_buf_export, NULL), "dmabufd_handle");
	TRY(dmabufd_handle(d.buf_mmap, &d.h_buf_mmap, NULL), "dmabufd_handle");
#undef TRY
	return 0;
}

static int d_null(void)
{
	uint64_t arg = 0;

	if (ioctl(d.tl_create, KB_NULL_CMD, &arg) == 0)
		return -EPROTO;
	return errno == ENOTTY ? 0 : -errno;
}

static int close_new(int fd)
{
	if (fd < 0)
		return fd;
	return close(fd) < 0 ? -errno : 0;
}

static int d_run(enum kb_op op, unsigned int i)
{
	switch (op) {
	case KB_NULL:
		return d_null();
	case KB_ALLOC:
		return close_new(dmabufd_alloc_h(d.h_heap, KB_ALLOC_LEN, O_RDWR | O_CLOEXEC, NULL));
	case KB_FENCE:
		return close_new(dmabufd_timeline_create_fence_h(d.h_tl_create, 1000 + i, NULL));
	case KB_MERGE:
		return close_new(dmabufd_sync_merge_h("kbench", d.h_fence_a, d.h_fence_b, NULL));
	case KB_EXPORT:
		return close_new(dmabufd_buf_export_sync_file_h(d.h_buf_export, DMA_BUF_SYNC_RW,
								NULL));
	case KB_IMPORT:
		return dmabufd_buf_import_sync_file_h(d.buf_import, DMA_BUF_SYNC_WRITE,
						      d.h_fence_signaled);
	case KB_MMAP: {
		void *p;
		size_t len;
		int r = dmabufd_buf_mmap_h(d.h_buf_mmap, PROT_READ | PROT_WRITE, &p, &len);

		if (r < 0)
			return r;
		return dmabufd_buf_munmap(p, len);
	}
	case _KB_OP_MAX:
		break;
	}
	return -EINVAL;
}

static void d_teardown(void)
{
	int *fds[] = { &d.buf_mmap, &d.buf_import, &d.buf_export, &d.fence_signaled,
		       &d.fence_b, &d.fence_a, &d.tl_signaled, &d.tl_b, &d.tl_a,
		       &d.tl_create, &d.heap };

	for (size_t j = 0; j < sizeof(fds) / sizeof(fds[0]); j++) {
		if (*fds[j] >= 0)
			close(*fds[j]);
		*fds[j] = -1;
	}
}

const struct kb_side kb_dmabufd = {
	.name = "dmabufd",
	.setup = d_setup,
	.null = d_null,
	.run = d_run,
	.teardown = d_teardown,
};
