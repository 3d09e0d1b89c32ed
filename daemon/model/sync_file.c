/* SPDX-License-Identifier: MIT */
/*
 * A sync_file is 24 bytes (malloc's smallest chunk): the user name that
 * SYNC_IOC_MERGE may give is rare, so it lives in an allocation of its
 * own, made only for a non-empty name. Every sw_sync fence handed out
 * costs one sync_file, so this is paid per fence.
 */
#include "sync_file.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fence_array.h"
#include "objstat.h"

struct sync_file {
	unsigned refcount;
	struct fence *fence;
	char *user_name; /* NULL: generated (sync_file_get_name()) */
};

/* strscpy into a SYNC_FILE_NAME_LEN buffer: cut, always terminated. */
static void name_copy(char dst[SYNC_FILE_NAME_LEN], const char *src)
{
	size_t n = strnlen(src, SYNC_FILE_NAME_LEN - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Takes over the caller's reference on @fence, also on failure. */
static int sync_file_alloc(struct fence *fence, struct sync_file **ret_sync_file)
{
	struct sync_file *sf = calloc(1, sizeof(*sf));

	if (!sf) {
		fence_unref(fence);
		return -ENOMEM;
	}
	sf->refcount = 1;
	sf->fence = fence;
	objstat_inc(OBJ_SYNC_FILE);
	*ret_sync_file = sf;
	return 0;
}

int sync_file_new(struct fence *fence, struct sync_file **ret_sync_file)
{
	if (!fence || !ret_sync_file)
		return -EINVAL;
	return sync_file_alloc(fence_ref(fence), ret_sync_file);
}

struct sync_file *sync_file_ref(struct sync_file *sf)
{
	if (sf) {
		assert(sf->refcount > 0);
		sf->refcount++;
	}
	return sf;
}

struct sync_file *sync_file_unref(struct sync_file *sf)
{
	if (!sf)
		return NULL;
	assert(sf->refcount > 0);
	if (--sf->refcount > 0)
		return NULL;

	fence_unref(sf->fence);
	objstat_dec(OBJ_SYNC_FILE);
	free(sf->user_name);
	free(sf);
	return NULL;
}

int sync_file_merge(const char *name, struct sync_file *a, struct sync_file *b,
		    struct sync_file **ret_sync_file)
{
	struct fence *fences[2], *merged;
	struct sync_file *sf;
	int r;

	if (!a || !b || !ret_sync_file)
		return -EINVAL;

	fences[0] = a->fence;
	fences[1] = b->fence;
	r = fence_unwrap_merge(fences, ARRAY_SIZE(fences), &merged);
	if (r < 0)
		return r;
	r = sync_file_alloc(merged, &sf);
	if (r < 0)
		return r;
	if (name && name[0]) {
		size_t len = strnlen(name, SYNC_FILE_NAME_LEN - 1);

		sf->user_name = malloc(len + 1);
		if (!sf->user_name) {
			sync_file_unref(sf);
			return -ENOMEM;
		}
		name_copy(sf->user_name, name);
	}

	*ret_sync_file = sf;
	return 0;
}

struct fence *sync_file_fence(const struct sync_file *sf)
{
	return sf->fence;
}

char *sync_file_get_name(const struct sync_file *sf,
			 char buf[SYNC_FILE_NAME_LEN])
{
	struct fence *fence = sf->fence;

	if (sf->user_name) {
		name_copy(buf, sf->user_name);
		return buf;
	}
	/* The kernel's format, seqno printed signed (%lld) as it does. */
	snprintf(buf, SYNC_FILE_NAME_LEN, "%s-%s%llu-%lld",
		 fence_driver_name(fence), fence_timeline_name(fence),
		 (unsigned long long)fence->context, (long long)fence->seqno);
	return buf;
}

int sync_file_get_status(const struct sync_file *sf)
{
	return fence_get_status(sf->fence);
}

static int fill_fence_info(struct fence *fence, struct sync_fence_info_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	name_copy(rec->obj_name, fence_timeline_name(fence));
	name_copy(rec->driver_name, fence_driver_name(fence));
	rec->status = fence_get_status(fence);
	rec->timestamp_ns = fence_is_signaled(fence) ? fence_timestamp(fence) : 0;
	return rec->status;
}

int sync_file_info(const struct sync_file *sf, uint32_t num_fences,
		   struct sync_fence_info_rec *array,
		   uint32_t *ret_num_fences, int32_t *ret_status)
{
	unsigned count;
	int status;

	if (!sf || !ret_num_fences || !ret_status || (num_fences && !array))
		return -EINVAL;

	count = fence_unwrap_count(sf->fence);
	if (num_fences == 0) {
		/* Only the count, and the status of the container. */
		status = fence_get_status(sf->fence);
	} else {
		if (num_fences < count)
			return -EINVAL;
		status = 1;
		for (unsigned i = 0; i < count; i++) {
			int s = fill_fence_info(fence_unwrap_at(sf->fence, i),
						&array[i]);

			if (status > 0)
				status = s;
		}
	}

	*ret_num_fences = count;
	*ret_status = status;
	return 0;
}

int sync_file_set_deadline(struct sync_file *sf, uint64_t deadline_ns)
{
	if (!sf)
		return -EINVAL;
	/* fence_array forwards it to every child. */
	fence_set_deadline(sf->fence, deadline_ns);
	return 0;
}
