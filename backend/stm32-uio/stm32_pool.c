/* SPDX-License-Identifier: MIT */
/* Best-fit allocator with coalescing (stm32_pool.h). */
#include "stm32_pool.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

struct stm32_pool_block {
	uint64_t off, len;
	bool free;
	struct stm32_pool_block *prev, *next;
};

int stm32_pool_init(struct stm32_pool *pool, uint64_t size, uint64_t granule)
{
	struct stm32_pool_block *b;

	if (!pool || !granule || (granule & (granule - 1)))
		return -EINVAL;
	size &= ~(granule - 1);
	if (!size)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	*b = (struct stm32_pool_block){ .off = 0, .len = size, .free = true };
	*pool = (struct stm32_pool){
		.size = size,
		.granule = granule,
		.free_bytes = size,
		.nr_blocks = 1,
		.nr_free = 1,
		.head = b,
	};
	return 0;
}

void stm32_pool_fini(struct stm32_pool *pool)
{
	struct stm32_pool_block *b, *n;

	if (!pool)
		return;
	for (b = pool->head; b; b = n) {
		n = b->next;
		free(b);
	}
	pool->head = NULL;
	pool->nr_blocks = pool->nr_free = 0;
}

int stm32_pool_alloc(struct stm32_pool *pool, uint64_t len, uint64_t *ret_off)
{
	struct stm32_pool_block *best = NULL, *b, *rest;

	if (!pool || !ret_off || !len)
		return -EINVAL;
	if (len > pool->size)
		return -ENOMEM;
	len = (len + pool->granule - 1) & ~(pool->granule - 1);
	for (b = pool->head; b; b = b->next)
		if (b->free && b->len >= len && (!best || b->len < best->len))
			best = b;
	if (!best)
		return -ENOMEM;
	if (best->len > len) {
		rest = calloc(1, sizeof(*rest));
		if (!rest)
			return -ENOMEM;
		*rest = (struct stm32_pool_block){
			.off = best->off + len,
			.len = best->len - len,
			.free = true,
			.prev = best,
			.next = best->next,
		};
		if (best->next)
			best->next->prev = rest;
		best->next = rest;
		best->len = len;
		pool->nr_blocks++;
		pool->nr_free++;
	}
	best->free = false;
	pool->nr_free--;
	pool->free_bytes -= len;
	*ret_off = best->off;
	return 0;
}

/* Merge @b's successor into @b (both free). */
static void merge_next(struct stm32_pool *pool, struct stm32_pool_block *b)
{
	struct stm32_pool_block *n = b->next;

	b->len += n->len;
	b->next = n->next;
	if (n->next)
		n->next->prev = b;
	free(n);
	pool->nr_blocks--;
	pool->nr_free--;
}

int stm32_pool_free(struct stm32_pool *pool, uint64_t off)
{
	struct stm32_pool_block *b;

	if (!pool)
		return -EINVAL;
	for (b = pool->head; b && b->off < off; b = b->next)
		;
	if (!b || b->off != off || b->free)
		return -EINVAL;
	b->free = true;
	pool->nr_free++;
	pool->free_bytes += b->len;
	if (b->next && b->next->free)
		merge_next(pool, b);
	if (b->prev && b->prev->free)
		merge_next(pool, b->prev);
	return 0;
}

void stm32_pool_get_stats(const struct stm32_pool *pool, struct stm32_pool_stats *ret)
{
	const struct stm32_pool_block *b;

	*ret = (struct stm32_pool_stats){
		.size = pool->size,
		.free_bytes = pool->free_bytes,
		.nr_free = pool->nr_free,
		.nr_used = pool->nr_blocks - pool->nr_free,
	};
	for (b = pool->head; b; b = b->next)
		if (b->free && b->len > ret->largest_free)
			ret->largest_free = b->len;
}
