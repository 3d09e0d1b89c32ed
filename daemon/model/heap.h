/* SPDX-License-Identifier: MIT */
/*
 * heap - the dma-heap registry (drivers/dma-buf/dma-heap.c): named
 * allocators of dma_bufs, each of which a transport shows as
 * dma_heap/<name>.
 *
 * Life cycle: heap_add() registers a heap and gives the caller one
 * reference; the registry holds another until heap_remove(). heap_ref()
 * and heap_unref() count them; the last unref calls ops->release and frees
 * the heap. Heap implementations make each buffer they allocate hold a
 * reference to its heap, so a removed heap lives until its last buffer is
 * gone. heap_find() looks registered heaps up by name.
 *
 * Every heap carries usage accounting (bytes and buffers in use) and an
 * optional byte limit, which implementations apply through heap_charge()
 * and heap_uncharge().
 *
 * Threading: loop thread only.
 */
#pragma once

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "acct.h"
#include "dma_buf.h"
#include "util/macros.h"
#include "util/seq_tree.h"

/* A heap name holds at most 31 chars + NUL, and no '/'. */
#define HEAP_NAME_LEN 32

/* The fd_flags and heap_flags heap_alloc() accepts (the kernel's
 * DMA_HEAP_VALID_FD_FLAGS and DMA_HEAP_VALID_HEAP_FLAGS). */
#define HEAP_VALID_FD_FLAGS (O_CLOEXEC | O_ACCMODE)
#define HEAP_VALID_HEAP_FLAGS 0ull

struct heap;

struct heap_ops {
	/*
	 * Required. Allocate a buffer of @len bytes (a non-zero multiple of
	 * the page size) and export it with access mode @fd_flags &
	 * O_ACCMODE. @fd_flags and @heap_flags have been validated. Returns
	 * 0 and *ret_buf (one reference) or a negative errno.
	 */
	int (*allocate)(struct heap *heap, struct acct *acct, uint64_t len,
			uint32_t fd_flags, uint64_t heap_flags,
			struct dma_buf **ret_buf);
	/* Free @heap->priv when the heap goes. Optional. */
	void (*release)(struct heap *heap);
};

struct heap_usage {
	uint64_t bytes;	      /* charged by buffers alive */
	uint64_t buffers;     /* buffers alive */
	uint64_t limit_bytes; /* 0: no limit */
};

struct heap {
	unsigned refcount;
	char name[HEAP_NAME_LEN];
	const struct heap_ops *ops;
	void *priv;
	bool registered;
	struct heap_usage usage;
	TAILQ_ENTRY(heap) node;
	struct seq_node list_node; /* while registered: heap_seek() */
};

/*
 * Register a heap called @name. Returns 0 and *ret_heap (one reference
 * for the caller; the registry keeps its own), -EINVAL for a NULL, empty,
 * too long (> 31 chars) name or one with a '/', missing ops->allocate,
 * -EEXIST if a heap of that name is registered, or -ENOMEM.
 */
int heap_add(const char *name, const struct heap_ops *ops, void *priv,
	     struct heap **ret_heap);

/*
 * Unregister @heap: heap_find() no longer sees it and the registry drops
 * its reference. Returns 0, -EINVAL for NULL, or -ENOENT if it is not
 * registered.
 */
int heap_remove(struct heap *heap);

struct heap *heap_ref(struct heap *heap);
/* Drop a reference; NULL is a no-op. Always returns NULL. */
struct heap *heap_unref(struct heap *heap);
DEFINE_UNREF_CLEANUP(struct heap, heap_unref)

/* The registered heap called @name with a new reference, or NULL. */
struct heap *heap_find(const char *name);

/*
 * Call @fn for each registered heap, in registration order, until it
 * returns non-zero. Returns that value or 0. @fn must not add or remove
 * heaps.
 */
int heap_foreach(int (*fn)(struct heap *heap, void *data), void *data);

/*
 * The registered heap whose list number (list_node.seq: 1, 2, ... in
 * registration order) is the smallest one >= @seq, borrowed, or NULL.
 */
struct heap *heap_seek(uint64_t seq);

/* The page size lengths are rounded to. */
uint64_t heap_page_size(void);

/*
 * Allocate a buffer of at least @len bytes, as DMA_HEAP_IOCTL_ALLOC does:
 * -EINVAL for @fd_flags outside HEAP_VALID_FD_FLAGS, @heap_flags outside
 * HEAP_VALID_HEAP_FLAGS, or a length that page-aligns to 0 (0, or so large
 * it wraps); otherwise the size is rounded up to the page and the heap
 * allocates. The buffer's access mode is @fd_flags & O_ACCMODE (0 is
 * O_RDONLY). The memory is charged to @acct (NULL: to no one) for as long
 * as it lives. Returns 0 and *ret_buf (one reference), or the heap's error
 * (-ENOMEM when memory or the heap's limit runs out, -EDQUOT when @acct's
 * limit does).
 */
int heap_alloc(struct heap *heap, struct acct *acct, uint64_t len,
	       uint32_t fd_flags, uint64_t heap_flags, struct dma_buf **ret_buf);

/* Copy out @heap's usage counters. */
void heap_get_usage(const struct heap *heap, struct heap_usage *ret_usage);

/*
 * Set the byte limit of @heap (0: none). Buffers already allocated stay.
 * Returns 0 or -EINVAL.
 */
int heap_set_limit(struct heap *heap, uint64_t limit_bytes);

/*
 * For heap implementations: account one buffer of @bytes to @heap and to
 * @acct (may be NULL), taking a reference to @acct. Returns 0, -ENOMEM if
 * it would take the heap past its limit, or -EDQUOT if it would take
 * @acct past its limit (nothing is charged). Implementations keep the
 * charge until the memory is really gone.
 */
int heap_charge(struct heap *heap, struct acct *acct, uint64_t bytes);

/* Give back what heap_charge() took for one buffer of @bytes, and the
 * reference to @acct. */
void heap_uncharge(struct heap *heap, struct acct *acct, uint64_t bytes);

/*
 * Lingering backings. A client's CPU mapping of a buffer is a reopen of
 * a memfd (dma_buf_open_memfd()) that it may keep, or keep mapped, after
 * the buffer is released: that memory outlives the dma_buf. So a heap
 * does not free the memfd of a released buffer whose memfd was reopened
 * for a client (buf->memfd_opened): it frees what it can at once (its
 * own mapping; a device region), and hands the rest, as a struct
 * heap_linger embedded in its own backing, to heap_linger_hand_over().
 * The backing keeps whatever it holds (its charges, a heap reference)
 * until its free op. The hook the daemon installs (heap_set_linger();
 * daemon/linger.c) owns it from then on and calls heap_linger_free()
 * once no client file of the memfd is left. Without a hook (unit tests,
 * a kernel whose leases tell nothing) it is freed at once, as the
 * backing of a buffer never mapped.
 *
 * Heaps: the system heap (its buffer's memfd, charged to the heap and
 * the owner's account); the STM32 contiguous heap (the bounce memfd, a
 * copy in RAM charged to the owner's account only: its pool region is
 * freed at release).
 */
struct heap_linger {
	int memfd;	/* the memory clients map; closed by free */
	uint64_t size;	/* its bytes, charged until free */
	/* Required: close the memfd, give back the charges, free the
	 * backing this is embedded in. */
	void (*free)(struct heap_linger *hl);
	bool lingering; /* handed over: counted by heap_lingering() */
};

/*
 * The linger hook: takes ownership of @hl and must eventually call
 * heap_linger_free() on it (which may also be at once, from inside the
 * hook).
 */
typedef void (*heap_linger_fn)(struct heap_linger *hl, void *data);

/*
 * Install @fn (NULL: none; backings are freed at release) with @data for
 * the backings handed over from now on. Backings the previous hook holds
 * stay its own.
 */
void heap_set_linger(heap_linger_fn fn, void *data);

/*
 * For heap implementations, at the release of a buffer whose memfd was
 * reopened for a client: give @hl (memfd, size and free set) to the hook,
 * or free it at once without one.
 */
void heap_linger_hand_over(struct heap_linger *hl);

/*
 * Free @hl through its free op, and stop counting it if it was handed
 * over. The hook's way to end a lingering backing; heaps may use it for
 * backings never handed over too.
 */
void heap_linger_free(struct heap_linger *hl);

/*
 * How many backings the linger hook holds, of all heaps, and their bytes
 * (either pointer may be NULL).
 */
void heap_lingering(uint64_t *ret_backings, uint64_t *ret_bytes);
