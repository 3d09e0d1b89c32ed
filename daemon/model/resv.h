/* SPDX-License-Identifier: MIT */
/*
 * resv - the dma_resv of the object model: the set of fences that guard a
 * buffer, each tagged with a usage class that says who must wait for it
 * (drivers/dma-buf/dma-resv.c, Linux 6.12).
 *
 * Life cycle: a resv is embedded in its owner (a dma_buf) and has no
 * reference count of its own. resv_init() gives an empty, unlocked set;
 * resv_fini() drops every fence reference and frees the table. Every fence
 * in the set is referenced by the set.
 *
 * Locking: the kernel's ww_mutex becomes a held flag, since the model is
 * single-threaded. It still enforces the kernel's call discipline: the
 * functions the kernel calls with the lock held (resv_reserve_fences,
 * resv_add_fence, and dma_buf_map_attachment / unmap) return -EPERM when it
 * is not held, and resv_lock() returns -EDEADLK when it is held already
 * (the kernel would deadlock). Readers (test_signaled, get_fences,
 * get_singleton, wait_start, the iterator) need no lock, like the kernel's
 * RCU readers. As under CONFIG_DEBUG_MUTEXES, fence slots reserved with
 * resv_reserve_fences() are forgotten at resv_unlock().
 *
 * Adding a fence follows dma_resv_add_fence: the new fence replaces an
 * entry of the same context whose usage is >= the new usage when the new
 * fence is the same fence or a later one, and it replaces any entry that
 * has signaled; otherwise it is appended into a slot reserved beforehand.
 * A usage can thus be promoted (BOOKKEEP -> READ) but never demoted.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "fence.h"
#include "fence_wait.h"

/*
 * Usage classes, in the kernel's order: a query for usage U covers every
 * fence whose usage is <= U.
 */
enum resv_usage {
	RESV_USAGE_KERNEL = 0,	 /* memory management; always waited for */
	RESV_USAGE_WRITE = 1,	 /* implicit-sync writers */
	RESV_USAGE_READ = 2,	 /* implicit-sync readers */
	RESV_USAGE_BOOKKEEP = 3, /* never part of implicit sync */
};

/* The most fences one resv holds; reserving past it fails with -ENOMEM. */
#define RESV_MAX_FENCES 65536u

struct resv_entry {
	struct fence *fence;
	enum resv_usage usage;
};

struct resv {
	struct resv_entry *entries; /* num_fences used, alloc_fences allocated */
	unsigned num_fences;
	unsigned max_fences;   /* slots reserved: appends may go up to this */
	unsigned alloc_fences;
	bool locked;
};

/* An empty, unlocked set. Cannot fail. */
void resv_init(struct resv *resv);

/* Drop every fence reference and free the table. @resv may be reused after
 * a new resv_init(). */
void resv_fini(struct resv *resv);

/*
 * Take the lock. Returns 0, -EDEADLK if it is held already, or -EINVAL for
 * a NULL @resv.
 */
int resv_lock(struct resv *resv);

/*
 * Release the lock and forget unused reserved slots. Returns 0, -EPERM if
 * it was not held, or -EINVAL for a NULL @resv.
 */
int resv_unlock(struct resv *resv);

/* True if the lock is held. */
bool resv_is_locked(const struct resv *resv);

/*
 * Make room for @num more fences, so that the next @num resv_add_fence()
 * calls under this lock cannot fail. Grows the table when needed, dropping
 * entries that have signaled as it copies (as the kernel does). Requires
 * the lock. Returns 0, -EPERM without the lock, -EINVAL for @num == 0,
 * -ENOMEM without memory or past RESV_MAX_FENCES.
 */
int resv_reserve_fences(struct resv *resv, unsigned num);

/*
 * Add @fence with @usage (the set takes its own reference): replace a
 * matching entry (see the top of this file) or append into a reserved
 * slot. Never fails for lack of memory. Requires the lock. Returns 0,
 * -EPERM without the lock, -EINVAL for a NULL fence, a usage out of range
 * or a fence_array (add the leaves one by one), -ENOSPC when an append was
 * needed and no slot was reserved (a bug in the caller, logged).
 */
int resv_add_fence(struct resv *resv, struct fence *fence,
		   enum resv_usage usage);

/*
 * The usage an implicit-sync access must wait for: a writer
 * (@write true) waits for readers and writers, RESV_USAGE_READ; a reader
 * waits for writers, RESV_USAGE_WRITE.
 */
enum resv_usage resv_usage_rw(bool write);

/* Number of entries in the set, signaled ones included. */
unsigned resv_num_fences(const struct resv *resv);

/*
 * True if every fence with usage <= @usage has signaled (also when there
 * are none). May signal fences whose producer reports completion.
 */
bool resv_test_signaled(struct resv *resv, enum resv_usage usage);

/*
 * The fences with usage <= @usage that have not signaled yet, in table
 * order, each with a new reference. Returns 0 with *ret_num and
 * *ret_fences set (NULL and 0 when there are none; otherwise free with
 * resv_fences_put()), -EINVAL for a bad argument, or -ENOMEM.
 */
int resv_get_fences(struct resv *resv, enum resv_usage usage,
		    unsigned *ret_num, struct fence ***ret_fences);

/* Drop the references of an array from resv_get_fences() and free it. */
void resv_fences_put(struct fence **fences, unsigned num);

/*
 * One fence standing for all unsignaled fences with usage <= @usage (what
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE hands out): *ret_fence is NULL when there
 * are none (the caller substitutes the stub), the fence itself (a new
 * reference) when there is one, and a new fence_array on a fresh context,
 * seqno 1, when there are several. Returns 0, -EINVAL, or -ENOMEM.
 */
int resv_get_singleton(struct resv *resv, enum resv_usage usage,
		       struct fence **ret_fence);

/*
 * Wait, without blocking, for every fence with usage <= @usage that has
 * not signaled yet, with the conventions of fence_wait_start() and
 * dma_resv_wait_timeout():
 *   >= 0          decided now, @done is not called: with no pending fence
 *                 the result is @timeout_ns, or 1 when @timeout_ns is 0
 *   -EINPROGRESS  @wait is armed and @done runs exactly once later, unless
 *                 fence_wait_cancel(@wait) comes first
 *   -EINVAL       a NULL argument, a usage out of range or a negative
 *                 timeout
 *   -ENOMEM
 * The wait holds its own fence references: the resv may change or go away
 * while it is armed.
 */
int64_t resv_wait_start(struct resv *resv, enum resv_usage usage,
			struct fence_wait *wait, int64_t timeout_ns,
			fence_wait_done_fn done);

/*
 * Iteration over the entries with usage <= @usage, signaled ones included,
 * for debug listings. Fences are borrowed, and the set must not change
 * during the walk. resv_iter_first() and resv_iter_next() return the next
 * fence or NULL at the end; it->fence_usage is the usage of the fence just
 * returned.
 */
struct resv_iter {
	struct resv *resv;
	enum resv_usage usage;
	unsigned index;
	enum resv_usage fence_usage;
};

struct fence *resv_iter_first(struct resv_iter *it, struct resv *resv,
			      enum resv_usage usage);
struct fence *resv_iter_next(struct resv_iter *it);

#define resv_for_each_fence(it, resv, usage, fence)                  \
	for ((fence) = resv_iter_first((it), (resv), (usage)); (fence); \
	     (fence) = resv_iter_next(it))

/* "kernel", "write", "read", "bookkeep", or NULL out of range. */
const char *resv_usage_name(enum resv_usage usage);
