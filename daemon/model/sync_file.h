/* SPDX-License-Identifier: MIT */
/*
 * sync_file - one fence handed to userspace (drivers/dma-buf/sync_file.c).
 *
 * A sync_file wraps a single fence, which may be a fence_array of several
 * leaves, and an optional user name given at merge time. It is what the
 * kernel exposes as a sync_file fd: merged with SYNC_IOC_MERGE, inspected
 * with SYNC_IOC_FILE_INFO, given a deadline with SYNC_IOC_SET_DEADLINE.
 *
 * Life cycle: sync_file_new() and sync_file_merge() give the caller one
 * reference; the sync_file holds its own reference on its fence and drops
 * it when the last sync_file reference goes. The fence never changes.
 *
 * Threading: loop thread only, like the rest of the object model.
 */
#pragma once

#include <stdint.h>

#include "fence.h"
#include "util/macros.h"

/* Names (user name, generated name, info records) are 31 chars + NUL. */
#define SYNC_FILE_NAME_LEN 32

/*
 * One leaf of a sync_file, laid out like the kernel's struct
 * sync_fence_info (80 bytes) so a transport can copy it out as is.
 */
struct sync_fence_info_rec {
	char obj_name[SYNC_FILE_NAME_LEN];	/* timeline name */
	char driver_name[SYNC_FILE_NAME_LEN];
	int32_t status;		/* 1 signaled, 0 pending, < 0 error */
	uint32_t flags;		/* always 0 */
	uint64_t timestamp_ns;	/* signal time if signaled, else 0 */
};

_Static_assert(sizeof(struct sync_fence_info_rec) == 80,
	       "struct sync_fence_info_rec must match struct sync_fence_info");

struct sync_file;

/*
 * Wrap @fence. The sync_file takes its own reference; the caller keeps
 * its. Returns 0 and *ret_sync_file (one reference), -EINVAL for a NULL
 * argument, or -ENOMEM.
 */
int sync_file_new(struct fence *fence, struct sync_file **ret_sync_file);

/* Take a reference. Returns @sf (NULL stays NULL). */
struct sync_file *sync_file_ref(struct sync_file *sf);

/* Drop a reference; NULL is a no-op. Always returns NULL. */
struct sync_file *sync_file_unref(struct sync_file *sf);
DEFINE_UNREF_CLEANUP(struct sync_file, sync_file_unref)

/*
 * SYNC_IOC_MERGE: a new sync_file whose fence is fence_unwrap_merge() of
 * the fences of @a and @b (@a may be @b). At most SYNC_FILE_NAME_LEN bytes
 * of @name are read, byte 31 is taken as NUL, and the result is the user
 * name; NULL or "" leaves the name to be generated. Returns 0 and
 * *ret_sync_file (one reference), -EINVAL for a NULL @a, @b or
 * @ret_sync_file, or -ENOMEM.
 */
int sync_file_merge(const char *name, struct sync_file *a, struct sync_file *b,
		    struct sync_file **ret_sync_file);

/* The fence (borrowed: take a reference to keep it). */
struct fence *sync_file_fence(const struct sync_file *sf);

/*
 * Write the name of @sf into @buf: the user name if one was set, else
 * "<driver>-<timeline><context>-<seqno>" of the fence as the kernel
 * generates it (e.g. "sw_sync-myprog5-3"), cut to 31 chars + NUL.
 * Returns @buf.
 */
char *sync_file_get_name(const struct sync_file *sf,
			 char buf[SYNC_FILE_NAME_LEN]);

/* Status of the whole fence: 0 pending, 1 signaled, or its error (< 0). */
int sync_file_get_status(const struct sync_file *sf);

/*
 * SYNC_IOC_FILE_INFO. With @num_fences == 0, nothing is written to @array
 * (which may be NULL); *ret_num_fences is the number of leaves and
 * *ret_status the status of the whole fence. With @num_fences at least the
 * number of leaves, the first that many records of @array are filled in
 * leaf order, *ret_num_fences is the number of leaves and *ret_status is 1,
 * or the status of the first leaf whose status is <= 0. Returns 0, or
 * -EINVAL for a NULL @sf or output pointer, a NULL @array with
 * @num_fences > 0, or 0 < @num_fences < the number of leaves (nothing is
 * written then).
 */
int sync_file_info(const struct sync_file *sf, uint32_t num_fences,
		   struct sync_fence_info_rec *array,
		   uint32_t *ret_num_fences, int32_t *ret_status);

/*
 * SYNC_IOC_SET_DEADLINE: pass @deadline_ns (CLOCK_MONOTONIC) to the fence;
 * an array hands it to every leaf. A no-op once signaled. Returns 0 or
 * -EINVAL for a NULL @sf.
 */
int sync_file_set_deadline(struct sync_file *sf, uint64_t deadline_ns);
