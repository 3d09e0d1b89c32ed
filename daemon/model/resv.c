/* SPDX-License-Identifier: MIT */
/*
 * The set is one array of (fence, usage) entries, as the kernel's
 * dma_resv_list. Entries are read by index on every step, never through a
 * saved pointer: fence_is_signaled() may signal a fence and run callbacks,
 * and the table must stay consistent whatever they do.
 */
#include "resv.h"

#include <errno.h>
#include <stdlib.h>

#include "fence_array.h"
#include "util/log.h"

static bool usage_valid(enum resv_usage usage)
{
	return (unsigned)usage <= RESV_USAGE_BOOKKEEP;
}

void resv_init(struct resv *resv)
{
	*resv = (struct resv){ 0 };
}

void resv_fini(struct resv *resv)
{
	struct resv_entry *entries;
	unsigned num;

	if (!resv)
		return;
	/* Detach first: a release may run callbacks that look at the set. */
	entries = resv->entries;
	num = resv->num_fences;
	*resv = (struct resv){ 0 };
	for (unsigned i = 0; i < num; i++)
		fence_unref(entries[i].fence);
	free(entries);
}

int resv_lock(struct resv *resv)
{
	if (!resv)
		return -EINVAL;
	if (resv->locked)
		return -EDEADLK;
	resv->locked = true;
	return 0;
}

int resv_unlock(struct resv *resv)
{
	if (!resv)
		return -EINVAL;
	if (!resv->locked)
		return -EPERM;
	/* Reservations do not outlive the lock (dma_resv_reset_max_fences). */
	resv->max_fences = resv->num_fences;
	resv->locked = false;
	return 0;
}

bool resv_is_locked(const struct resv *resv)
{
	return resv && resv->locked;
}

int resv_reserve_fences(struct resv *resv, unsigned num)
{
	struct resv_entry *entries;
	unsigned need, alloc, kept = 0, dropped;

	if (!resv || num == 0)
		return -EINVAL;
	if (!resv->locked)
		return -EPERM;
	if (num > RESV_MAX_FENCES - resv->num_fences)
		return -ENOMEM;

	need = resv->num_fences + num;
	if (need <= resv->alloc_fences) {
		if (resv->max_fences < need)
			resv->max_fences = need;
		return 0;
	}

	alloc = resv->alloc_fences * 2;
	if (alloc < 4)
		alloc = 4;
	if (alloc < need)
		alloc = need;
	if (alloc > RESV_MAX_FENCES)
		alloc = RESV_MAX_FENCES;
	entries = calloc(alloc, sizeof(*entries));
	if (!entries)
		return -ENOMEM;

	/*
	 * Copy the pending entries to the front and park the signaled ones
	 * at the back, as dma_resv_reserve_fences does; their references are
	 * dropped only once the new table is in place.
	 */
	dropped = alloc;
	for (unsigned i = 0; i < resv->num_fences; i++) {
		struct resv_entry e = resv->entries[i];

		if (fence_is_signaled(e.fence))
			entries[--dropped] = e;
		else
			entries[kept++] = e;
	}
	free(resv->entries);
	resv->entries = entries;
	resv->alloc_fences = alloc;
	resv->num_fences = kept;
	resv->max_fences = kept + num;

	for (unsigned i = dropped; i < alloc; i++) {
		struct fence *f = entries[i].fence;

		entries[i] = (struct resv_entry){ 0 };
		fence_unref(f);
	}
	return 0;
}

/* dma_fence_is_later_or_same(): the same fence, or a strictly later one. */
static bool later_or_same(const struct fence *fence, const struct fence *old)
{
	return fence == old || fence_is_later(fence, old);
}

int resv_add_fence(struct resv *resv, struct fence *fence,
		   enum resv_usage usage)
{
	if (!resv || !fence || !usage_valid(usage))
		return -EINVAL;
	if (!resv->locked)
		return -EPERM;
	/* The kernel WARNs on containers; the model refuses them outright. */
	if (fence_is_array(fence))
		return -EINVAL;

	for (unsigned i = 0; i < resv->num_fences; i++) {
		struct resv_entry *e = &resv->entries[i];
		struct fence *old = e->fence;

		if ((old->context == fence->context && e->usage >= usage &&
		     later_or_same(fence, old)) ||
		    fence_is_signaled(old)) {
			/* fence_is_signaled() may have run callbacks. */
			e = &resv->entries[i];
			old = e->fence;
			e->fence = fence_ref(fence);
			e->usage = usage;
			fence_unref(old);
			return 0;
		}
	}

	if (resv->num_fences >= resv->max_fences) {
		log_err("resv: fence %llu:%llu added without a reserved slot",
			(unsigned long long)fence->context,
			(unsigned long long)fence->seqno);
		return -ENOSPC;
	}
	resv->entries[resv->num_fences++] = (struct resv_entry){
		.fence = fence_ref(fence),
		.usage = usage,
	};
	return 0;
}

enum resv_usage resv_usage_rw(bool write)
{
	/*
	 * Counter-intuitive but right: a new writer must wait for all
	 * readers and writers, a new reader only for the writers.
	 */
	return write ? RESV_USAGE_READ : RESV_USAGE_WRITE;
}

unsigned resv_num_fences(const struct resv *resv)
{
	return resv ? resv->num_fences : 0;
}

bool resv_test_signaled(struct resv *resv, enum resv_usage usage)
{
	for (unsigned i = 0; i < resv->num_fences; i++) {
		if (resv->entries[i].usage > usage)
			continue;
		if (!fence_is_signaled(resv->entries[i].fence))
			return false;
	}
	return true;
}

int resv_get_fences(struct resv *resv, enum resv_usage usage,
		    unsigned *ret_num, struct fence ***ret_fences)
{
	struct fence **fences;
	unsigned num = 0, cap;

	if (!resv || !usage_valid(usage) || !ret_num || !ret_fences)
		return -EINVAL;

	cap = resv->num_fences;
	if (cap == 0) {
		*ret_num = 0;
		*ret_fences = NULL;
		return 0;
	}
	fences = calloc(cap, sizeof(*fences));
	if (!fences)
		return -ENOMEM;

	for (unsigned i = 0; i < resv->num_fences && num < cap; i++) {
		struct resv_entry *e = &resv->entries[i];

		if (e->usage > usage || fence_is_signaled(e->fence))
			continue;
		fences[num++] = fence_ref(resv->entries[i].fence);
	}
	if (num == 0) {
		free(fences);
		fences = NULL;
	}
	*ret_num = num;
	*ret_fences = fences;
	return 0;
}

void resv_fences_put(struct fence **fences, unsigned num)
{
	for (unsigned i = 0; i < num; i++)
		fence_unref(fences[i]);
	free(fences);
}

int resv_get_singleton(struct resv *resv, enum resv_usage usage,
		       struct fence **ret_fence)
{
	struct fence **fences, *result;
	unsigned num;
	int r;

	if (!ret_fence)
		return -EINVAL;
	r = resv_get_fences(resv, usage, &num, &fences);
	if (r < 0)
		return r;

	if (num <= 1) {
		*ret_fence = num ? fences[0] : NULL;
		free(fences);
		return 0;
	}

	r = fence_array_create(fences, num, fence_context_alloc(1), 1, &result);
	resv_fences_put(fences, num);
	if (r < 0)
		return r;
	*ret_fence = result;
	return 0;
}

int64_t resv_wait_start(struct resv *resv, enum resv_usage usage,
			struct fence_wait *wait, int64_t timeout_ns,
			fence_wait_done_fn done)
{
	struct fence **fences;
	unsigned num;
	int64_t r;

	if (!resv || !usage_valid(usage) || !wait || !done || timeout_ns < 0)
		return -EINVAL;

	r = resv_get_fences(resv, usage, &num, &fences);
	if (r < 0)
		return r;
	if (num == 0)
		return timeout_ns ? timeout_ns : 1;

	r = fence_wait_start(wait, fences, num, FENCE_WAIT_ALL, timeout_ns,
			     done);
	resv_fences_put(fences, num);
	return r;
}

static struct fence *iter_scan(struct resv_iter *it)
{
	struct resv *resv = it->resv;

	for (; it->index < resv->num_fences; it->index++) {
		struct resv_entry *e = &resv->entries[it->index];

		if (e->usage <= it->usage) {
			it->fence_usage = e->usage;
			return resv->entries[it->index++].fence;
		}
	}
	return NULL;
}

struct fence *resv_iter_first(struct resv_iter *it, struct resv *resv,
			      enum resv_usage usage)
{
	*it = (struct resv_iter){ .resv = resv, .usage = usage };
	return iter_scan(it);
}

struct fence *resv_iter_next(struct resv_iter *it)
{
	return iter_scan(it);
}

const char *resv_usage_name(enum resv_usage usage)
{
	static const char *const names[] = {
		[RESV_USAGE_KERNEL] = "kernel",
		[RESV_USAGE_WRITE] = "write",
		[RESV_USAGE_READ] = "read",
		[RESV_USAGE_BOOKKEEP] = "bookkeep",
	};

	if (!usage_valid(usage))
		return NULL;
	return names[usage];
}
