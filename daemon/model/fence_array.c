/* SPDX-License-Identifier: MIT */
#include "fence_array.h"

#include <errno.h>
#include <stdlib.h>

struct fence_array_slot {
	struct fence *fence;
	struct fence_cb cb;
	struct fence_array *array;
};

struct fence_array {
	struct fence base;
	unsigned num_fences;
	unsigned num_pending;
	struct fence_array_slot slots[];
};

static const char *fence_array_driver_name(struct fence *fence)
{
	return "dma_fence_array";
}

static const char *fence_array_timeline_name(struct fence *fence)
{
	return "unbound";
}

static struct fence_array *to_fence_array(struct fence *fence)
{
	return container_of(fence, struct fence_array, base);
}

static void fence_array_set_deadline(struct fence *fence, uint64_t deadline_ns)
{
	struct fence_array *array = to_fence_array(fence);

	for (unsigned i = 0; i < array->num_fences; i++)
		fence_set_deadline(array->slots[i].fence, deadline_ns);
}

static void fence_array_release(struct fence *fence)
{
	struct fence_array *array = to_fence_array(fence);

	for (unsigned i = 0; i < array->num_fences; i++) {
		fence_remove_callback(array->slots[i].fence, &array->slots[i].cb);
		fence_unref(array->slots[i].fence);
	}
	free(array);
}

static const struct fence_ops fence_array_ops = {
	.get_driver_name = fence_array_driver_name,
	.get_timeline_name = fence_array_timeline_name,
	.set_deadline = fence_array_set_deadline,
	.release = fence_array_release,
};

static void fence_array_put_pending(struct fence_array *array)
{
	if (--array->num_pending == 0)
		fence_signal(&array->base);
}

static void fence_array_child_signaled(struct fence *child, struct fence_cb *cb)
{
	struct fence_array_slot *slot = container_of(cb, struct fence_array_slot, cb);
	struct fence_array *array = slot->array;

	/* The first error seen wins, as in the kernel. */
	if (child->error && !array->base.error)
		fence_set_error(&array->base, child->error);
	fence_array_put_pending(array);
}

bool fence_is_array(const struct fence *fence)
{
	return fence->ops == &fence_array_ops;
}

unsigned fence_unwrap_count(const struct fence *fence)
{
	if (fence_is_array(fence))
		return container_of(fence, struct fence_array, base)->num_fences;
	return 1;
}

struct fence *fence_unwrap_at(struct fence *fence, unsigned i)
{
	if (fence_is_array(fence)) {
		struct fence_array *array = to_fence_array(fence);

		return i < array->num_fences ? array->slots[i].fence : NULL;
	}
	return i == 0 ? fence : NULL;
}

/* Total leaves of @num fences, or -EINVAL for no fences or a NULL one. */
static int count_leaves(struct fence *const *fences, unsigned num,
			unsigned *ret_total)
{
	unsigned total = 0;

	if (!fences || num == 0)
		return -EINVAL;
	for (unsigned i = 0; i < num; i++) {
		if (!fences[i])
			return -EINVAL;
		total += fence_unwrap_count(fences[i]);
	}
	*ret_total = total;
	return 0;
}

int fence_array_create(struct fence *const *fences, unsigned num,
		       uint64_t context, uint64_t seqno,
		       struct fence **ret_fence)
{
	struct fence_array *array;
	unsigned total, n = 0;

	if (!ret_fence || count_leaves(fences, num, &total) < 0)
		return -EINVAL;

	array = calloc(1, sizeof(*array) + total * sizeof(array->slots[0]));
	if (!array)
		return -ENOMEM;
	fence_init(&array->base, &fence_array_ops, context, seqno);
	array->num_fences = total;

	for (unsigned i = 0; i < num; i++)
		for (unsigned j = 0; j < fence_unwrap_count(fences[i]); j++) {
			struct fence_array_slot *slot = &array->slots[n++];

			slot->fence = fence_ref(fence_unwrap_at(fences[i], j));
			slot->array = array;
		}

	/*
	 * Arm every child now, so the array learns each child's error even
	 * if nobody waits on it yet (the kernel arms lazily and can then
	 * report an errored child as success).
	 */
	array->num_pending = total + 1;
	for (unsigned i = 0; i < total; i++) {
		struct fence_array_slot *slot = &array->slots[i];

		if (fence_add_callback(slot->fence, &slot->cb,
				       fence_array_child_signaled) == -ENOENT)
			fence_array_child_signaled(slot->fence, &slot->cb);
	}
	/* Drop the guard that kept the array from signaling mid-setup. */
	fence_array_put_pending(array);

	*ret_fence = &array->base;
	return 0;
}

static int fence_merge_cmp(const void *pa, const void *pb)
{
	const struct fence *a = *(struct fence *const *)pa;
	const struct fence *b = *(struct fence *const *)pb;

	if (a->context != b->context)
		return a->context < b->context ? -1 : 1;
	/* Within a context, the later fence first. */
	if (fence_is_later(a, b))
		return -1;
	if (fence_is_later(b, a))
		return 1;
	return 0;
}

int fence_unwrap_merge(struct fence *const *fences, unsigned num,
		       struct fence **ret_fence)
{
	_cleanup_free_ struct fence **keep = NULL;
	uint64_t latest_ts = 0;
	unsigned total, n = 0, out = 0;

	if (!ret_fence || count_leaves(fences, num, &total) < 0)
		return -EINVAL;

	keep = calloc(total, sizeof(*keep));
	if (!keep)
		return -ENOMEM;

	for (unsigned i = 0; i < num; i++)
		for (unsigned j = 0; j < fence_unwrap_count(fences[i]); j++) {
			struct fence *leaf = fence_unwrap_at(fences[i], j);

			if (fence_is_signaled(leaf)) {
				if (fence_timestamp(leaf) > latest_ts)
					latest_ts = fence_timestamp(leaf);
				continue;
			}
			keep[n++] = leaf;
		}

	if (n == 0) {
		struct fence *stub = fence_allocate_private_stub(latest_ts);

		if (!stub)
			return -ENOMEM;
		*ret_fence = stub;
		return 0;
	}

	qsort(keep, n, sizeof(*keep), fence_merge_cmp);
	for (unsigned i = 0; i < n; i++) {
		if (out > 0 && keep[out - 1]->context == keep[i]->context)
			continue; /* an earlier (or equal) point of a kept context */
		keep[out++] = keep[i];
	}

	if (out == 1) {
		*ret_fence = fence_ref(keep[0]);
		return 0;
	}

	return fence_array_create(keep, out, fence_context_alloc(1), 1, ret_fence);
}
