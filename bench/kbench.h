/* SPDX-License-Identifier: MIT */
/*
 * dmabufd-kbench: the same operations through the kernel's own drivers
 * and through dmabufd, in one process (bench/kbench.c). Each side is one
 * file behind the same five calls, so the kernel side is compiled against
 * the kernel's uapi headers only (kbench_kernel.c) and the dmabufd side
 * against libdmabufd only (kbench_dmabufd.c): no header of one reaches
 * the other. Single-threaded; a side is set up once, run, torn down.
 */
#pragma once

enum kb_op {
	KB_NULL,   /* an ioctl number the sw_sync file does not know: ENOTTY */
	KB_ALLOC,  /* heap alloc 4 KiB + close */
	KB_FENCE,  /* sw_sync fence create + close */
	KB_MERGE,  /* sync_file merge + close */
	KB_EXPORT, /* export a buffer's fences as a sync_file + close */
	KB_IMPORT, /* import a signaled sync_file into a buffer */
	KB_MMAP,   /* mmap + munmap of a 64 KiB buffer */
	_KB_OP_MAX,
};

#define KB_ALLOC_LEN 4096
#define KB_MMAP_LEN 65536

/*
 * One side. setup() opens a heap and timelines, allocates the buffers and
 * fences the operations reuse; returns 0 or -errno and says what failed
 * in @ret_what. null() is one null ioctl: 0 when it failed with ENOTTY,
 * else -errno (-EPROTO if it succeeded). run() is one iteration @i of @op:
 * 0 or -errno, and it leaves nothing behind (every fd it makes is
 * closed). teardown() closes what setup() made.
 */
struct kb_side {
	const char *name;
	int (*setup)(const char *heap, const char **ret_what);
	int (*null)(void);
	int (*run)(enum kb_op op, unsigned int i);
	void (*teardown)(void);
};

/* kbench_kernel.c: @heap is the heap's path (/dev/dma_heap/system);
 * kb_kernel_sw_sync the sw_sync file, set before setup(). */
extern const struct kb_side kb_kernel;
extern const char *kb_kernel_sw_sync;

/* kbench_dmabufd.c: @heap is the heap's node under dmabufd's device root
 * ("dma_heap/system"; another name when the kernel's heap holds that one). */
extern const struct kb_side kb_dmabufd;
