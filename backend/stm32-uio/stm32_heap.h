/* SPDX-License-Identifier: MIT */
/*
 * stm32_heap - a contiguous dma-heap over a reserved-memory region that a
 * UIO device exposes as one of its maps (a /reserved-memory child with
 * no-map, repeated as a reg entry of a generic-uio node: stm32h7-dma.md
 * §13). The region's physical base comes from sysfs (maps/mapN/addr +
 * offset); the daemon maps it once through the UIO layer.
 *
 * Buffers: physically contiguous ranges from a best-fit allocator with
 * coalescing (stm32_pool.h), page-granular, zeroed at allocation. Their
 * scatter list has one entry: dma_addr = physical address (what the DMA
 * masters use), cpu_addr = the daemon's mapping. vmap gives the daemon's
 * mapping too.
 *
 * CPU access for clients. The region is one UIO mapping: handing out the
 * UIO fd would expose every buffer, and reserved memory cannot back a
 * memfd. So get_memfd returns a per-buffer *bounce* memfd (created at the
 * first request, exactly the buffer's size, sealed against resizing, mode
 * 0600) that holds a copy of the buffer's bytes and nothing else:
 *   DMA_BUF_IOCTL_SYNC START (any direction) copies device -> memfd, unless
 *     a write bracket is open already (its bytes are the newer ones);
 *   SYNC END with WRITE or RW copies memfd -> device.
 * A client that maps the buffer must bracket its accesses with SYNC, as
 * the dma-buf rules require; without brackets it sees a stale copy, never
 * another buffer's bytes. Costs a copy per bracket and the buffer's size in
 * RAM while the memfd exists.
 *
 * Accounting. The bounce is ordinary memory the client can keep: its
 * bytes are charged to the buffer's owner (the account it was allocated
 * with; ACCT_BYTES, not the heap's usage, which counts the region) from
 * its creation until it is really gone, so making it fails with -EDQUOT
 * past the owner's uid-bytes limit (the MAP ioctl's error). At release
 * the pool region is freed and uncharged at once, always: it is device
 * memory and must be reusable. The bounce goes with it, unless a file of
 * it was handed to a client (dma_buf_open_memfd()): then the daemon's
 * own mapping is removed and the bounce, still charged, is handed to the
 * linger hook (model/heap.h: heap_linger_hand_over()), which frees it
 * once no client file of it is left.
 *
 * Device memory is accessed with aligned 32-bit accesses only
 * (stm32_io_*: the UIO mapping is strongly ordered on ARM).
 *
 * Life cycle: stm32_heap_create() registers the heap (heap.h);
 * stm32_heap_destroy() unregisters it; the UIO device and its mapping go
 * with the last buffer. Threading: loop thread only.
 */
#pragma once

#include <stdint.h>

#include "model/heap.h"
#include "stm32_pool.h"
#include "uio.h"

#define STM32_HEAP_DEFAULT_NAME "stm32-contig"

struct stm32_heap_config {
	char name[HEAP_NAME_LEN];	/* heap name; STM32_HEAP_DEFAULT_NAME */
	const struct uio_env *env;	/* &uio_real_env */
	const char *uio_name;		/* UIO device of the region; "dma-pool" */
	unsigned map;			/* its map index; 0 */
};

struct stm32_heap;

void stm32_heap_config_default(struct stm32_heap_config *cfg);

/*
 * Open the region and register the heap. Returns 0 and *ret_heap;
 * -EINVAL for a bad config; the UIO layer's error (-ENODEV when the device
 * is missing); -EFAULT when the region is not reachable by the DMA
 * masters (stm32_dma_addr_reachable); -ENOSPC when it is smaller than a
 * page; heap_add()'s error.
 */
int stm32_heap_create(const struct stm32_heap_config *cfg, struct stm32_heap **ret_heap);

/* Unregister; buffers alive keep the region mapped. NULL is a no-op. */
void stm32_heap_destroy(struct stm32_heap *sh);

/* The registered heap (borrowed). */
struct heap *stm32_heap_heap(struct stm32_heap *sh);

/* Physical base and size of the region. */
uint64_t stm32_heap_phys_base(const struct stm32_heap *sh);
uint64_t stm32_heap_size(const struct stm32_heap *sh);

/* The allocator's counters. */
void stm32_heap_get_stats(const struct stm32_heap *sh, struct stm32_pool_stats *ret);
