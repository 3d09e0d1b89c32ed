/* SPDX-License-Identifier: MIT */
/*
 * stm32_pool - the allocator of the contiguous heap: ranges of one fixed
 * region (offsets 0..size), every block a multiple of the granule and
 * aligned to it.
 *
 * Best fit over an address-ordered list of blocks: an allocation takes the
 * smallest free block that fits (the lowest one among equals) and leaves
 * the rest of it free; a free merges the block with free neighbours at
 * once, so two free blocks are never adjacent and freeing everything
 * leaves one block. Best fit with immediate coalescing keeps fragmentation
 * low under random churn (Wilson et al., "Dynamic Storage Allocation: A
 * Survey", 1995); tests/unit/test-stm32-heap.c measures it. Operations are
 * O(blocks); a heap of DMA buffers holds tens to hundreds.
 *
 * Not thread-safe: the loop thread owns it.
 */
#pragma once

#include <stdint.h>

struct stm32_pool_block;

struct stm32_pool {
	uint64_t size;			/* bytes managed (a multiple of granule) */
	uint64_t granule;		/* allocation unit and alignment, a power of 2 */
	uint64_t free_bytes;
	unsigned nr_blocks;		/* free and used */
	unsigned nr_free;		/* free blocks */
	struct stm32_pool_block *head;	/* lowest address first */
};

struct stm32_pool_stats {
	uint64_t size;
	uint64_t free_bytes;
	uint64_t largest_free;	/* the biggest allocation that would succeed */
	unsigned nr_free;	/* free blocks (1 when nothing is allocated) */
	unsigned nr_used;
};

/*
 * Manage @size bytes (rounded down to @granule, a power of two). Returns
 * 0, -EINVAL (granule not a power of two, or size < granule), -ENOMEM.
 */
int stm32_pool_init(struct stm32_pool *pool, uint64_t size, uint64_t granule);
/* Free the bookkeeping (allocations still out are forgotten). */
void stm32_pool_fini(struct stm32_pool *pool);

/* Allocate @len bytes (rounded up to the granule): 0 and *ret_off, -EINVAL
 * for 0, -ENOMEM when no free block is big enough. */
int stm32_pool_alloc(struct stm32_pool *pool, uint64_t len, uint64_t *ret_off);
/* Give back the allocation at @off: 0, or -EINVAL if none starts there. */
int stm32_pool_free(struct stm32_pool *pool, uint64_t off);

void stm32_pool_get_stats(const struct stm32_pool *pool, struct stm32_pool_stats *ret);
