/* SPDX-License-Identifier: MIT */
#include "heap.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "objstat.h"
#include "util/log.h"

static TAILQ_HEAD(, heap) heap_list = TAILQ_HEAD_INITIALIZER(heap_list);
static struct seq_tree heap_tree = SEQ_TREE_INIT;

uint64_t heap_page_size(void)
{
	static uint64_t page_size;

	if (!page_size) {
		long v = sysconf(_SC_PAGESIZE);

		page_size = v > 0 ? (uint64_t)v : 4096;
	}
	return page_size;
}

static struct heap *heap_lookup(const char *name)
{
	struct heap *heap;

	TAILQ_FOREACH(heap, &heap_list, node)
		if (strcmp(heap->name, name) == 0)
			return heap;
	return NULL;
}

int heap_add(const char *name, const struct heap_ops *ops, void *priv,
	     struct heap **ret_heap)
{
	struct heap *heap;
	size_t len;

	if (!name || !ops || !ret_heap)
		return -EINVAL;
	len = strnlen(name, HEAP_NAME_LEN);
	if (len == 0 || len == HEAP_NAME_LEN || strchr(name, '/')) {
		log_err("heap: invalid heap name \"%.*s\"", HEAP_NAME_LEN, name);
		return -EINVAL;
	}
	if (!ops->allocate) {
		log_err("heap %s: no allocate op", name);
		return -EINVAL;
	}
	if (heap_lookup(name)) {
		log_err("heap %s: already registered", name);
		return -EEXIST;
	}

	heap = calloc(1, sizeof(*heap));
	if (!heap)
		return -ENOMEM;
	memcpy(heap->name, name, len);
	heap->ops = ops;
	heap->priv = priv;
	heap->refcount = 2; /* the caller's and the registry's */
	heap->registered = true;
	TAILQ_INSERT_TAIL(&heap_list, heap, node);
	seq_tree_add(&heap_tree, &heap->list_node);
	objstat_inc(OBJ_HEAP);
	log_info("heap: %s registered", heap->name);

	*ret_heap = heap;
	return 0;
}

struct heap *heap_ref(struct heap *heap)
{
	if (heap) {
		assert(heap->refcount > 0);
		heap->refcount++;
	}
	return heap;
}

struct heap *heap_unref(struct heap *heap)
{
	if (!heap)
		return NULL;
	assert(heap->refcount > 0);
	if (--heap->refcount > 0)
		return NULL;

	assert(!heap->registered);
	if (heap->usage.buffers || heap->usage.bytes)
		log_err("heap %s released with %llu buffer(s), %llu byte(s) "
			"still charged", heap->name,
			(unsigned long long)heap->usage.buffers,
			(unsigned long long)heap->usage.bytes);
	if (heap->ops->release)
		heap->ops->release(heap);
	objstat_dec(OBJ_HEAP);
	free(heap);
	return NULL;
}

int heap_remove(struct heap *heap)
{
	if (!heap)
		return -EINVAL;
	if (!heap->registered)
		return -ENOENT;
	TAILQ_REMOVE(&heap_list, heap, node);
	seq_tree_remove(&heap_tree, &heap->list_node);
	heap->registered = false;
	heap_unref(heap);
	return 0;
}

struct heap *heap_find(const char *name)
{
	if (!name)
		return NULL;
	return heap_ref(heap_lookup(name));
}

struct heap *heap_seek(uint64_t seq)
{
	struct seq_node *n = seq_tree_seek(&heap_tree, seq);

	return n ? container_of(n, struct heap, list_node) : NULL;
}

int heap_foreach(int (*fn)(struct heap *heap, void *data), void *data)
{
	struct heap *heap;
	int r;

	TAILQ_FOREACH(heap, &heap_list, node) {
		r = fn(heap, data);
		if (r)
			return r;
	}
	return 0;
}

int heap_alloc(struct heap *heap, struct acct *acct, uint64_t len,
	       uint32_t fd_flags, uint64_t heap_flags, struct dma_buf **ret_buf)
{
	struct dma_buf *buf = NULL;
	uint64_t size;
	int r;

	if (!heap || !ret_buf)
		return -EINVAL;
	if (fd_flags & ~(uint32_t)HEAP_VALID_FD_FLAGS)
		return -EINVAL;
	if (heap_flags & ~HEAP_VALID_HEAP_FLAGS)
		return -EINVAL;
	/* PAGE_ALIGN() wraps to 0 for the last page of the range. */
	size = ALIGN_UP(len, heap_page_size());
	if (size == 0)
		return -EINVAL;

	r = heap->ops->allocate(heap, acct, size, fd_flags, heap_flags, &buf);
	if (r < 0)
		return r;
	assert(buf);
	if (acct)
		buf->owner = acct->uid;
	*ret_buf = buf;
	return 0;
}

void heap_get_usage(const struct heap *heap, struct heap_usage *ret_usage)
{
	*ret_usage = heap->usage;
}

int heap_set_limit(struct heap *heap, uint64_t limit_bytes)
{
	if (!heap)
		return -EINVAL;
	heap->usage.limit_bytes = limit_bytes;
	return 0;
}

int heap_charge(struct heap *heap, struct acct *acct, uint64_t bytes)
{
	uint64_t limit = heap->usage.limit_bytes;
	int r;

	if (bytes > UINT64_MAX - heap->usage.bytes)
		return -ENOMEM;
	if (limit && heap->usage.bytes + bytes > limit)
		return -ENOMEM;
	r = acct_charge(acct, ACCT_BYTES, bytes);
	if (r < 0)
		return r == -EOVERFLOW ? -ENOMEM : r;
	acct_ref(acct);
	heap->usage.bytes += bytes;
	heap->usage.buffers++;
	return 0;
}

void heap_uncharge(struct heap *heap, struct acct *acct, uint64_t bytes)
{
	assert(heap->usage.bytes >= bytes && heap->usage.buffers > 0);
	acct_uncharge(acct, ACCT_BYTES, bytes);
	acct_unref(acct);
	heap->usage.bytes -= bytes;
	heap->usage.buffers--;
}

/* Lingering backings (heap.h). */

static heap_linger_fn linger_fn;
static void *linger_data;
static uint64_t lingering_backings, lingering_bytes;

void heap_set_linger(heap_linger_fn fn, void *data)
{
	linger_fn = fn;
	linger_data = data;
}

void heap_linger_hand_over(struct heap_linger *hl)
{
	assert(hl->free && !hl->lingering);
	if (!linger_fn) {
		hl->free(hl);
		return;
	}
	hl->lingering = true;
	lingering_backings++;
	lingering_bytes += hl->size;
	linger_fn(hl, linger_data);
}

void heap_linger_free(struct heap_linger *hl)
{
	if (hl->lingering) {
		assert(lingering_backings > 0 && lingering_bytes >= hl->size);
		lingering_backings--;
		lingering_bytes -= hl->size;
		hl->lingering = false;
	}
	hl->free(hl);
}

void heap_lingering(uint64_t *ret_backings, uint64_t *ret_bytes)
{
	if (ret_backings)
		*ret_backings = lingering_backings;
	if (ret_bytes)
		*ret_bytes = lingering_bytes;
}
