/* SPDX-License-Identifier: MIT */
/*
 * handle - reusable names of open files (DESIGN.md §4,
 * proto/dmabufd/common.h: DMABUFD_IOC_HANDLE, DMABUFD_IOC_CREATE).
 *
 * A handle is a random 64-bit value that names one open file (a struct
 * dev_file, the kernel's struct file) for one uid. DMABUFD_IOC_HANDLE on
 * the file gives the caller's uid its handle (the same value every time);
 * DMABUFD_IOC_CREATE gives the handle of the file it fills. Where an
 * ioctl takes an fd argument as a token, it takes a handle too, and
 * DMABUFD_IOC_CREATE's sources are handles: so an fd's owner pays one
 * round trip for the handle once and none per use after.
 *
 * Unlike a token a handle is not used up and holds no reference: it names
 * its file until the file's release (the last close of every fd sharing
 * it), then nothing, and no value is ever given twice. It is accepted
 * only from the uid it was given to, so a handle that leaks to another
 * user is useless; within a uid it is as good as the fd, which the
 * caller held to get it. Handle values share the token id space
 * (token_exists(), handle_exists()), so a value names at most one thing.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "token.h"

struct dev_file;
struct dma_buf;
struct sync_file;

/*
 * The handle of @file for @uid, made at the first call. Returns 0 and
 * *ret_value, -ENOMEM, or -errno from getrandom.
 */
int handle_get(struct dev_file *file, uid_t uid, __u64 *ret_value);

/* The file handle @value names for @uid, or NULL (unknown, released, or
 * another uid's). */
struct dev_file *handle_file(uint64_t value, uid_t uid);

/* Forget every handle of @file (its release). */
void handle_file_clear(struct dev_file *file);

/* Whether @value is a live handle's. */
bool handle_exists(uint64_t value);

/* Whether @id is a live token's or handle's (id_table_new_id()). */
bool dev_id_in_use(uint64_t id);

/* Number of live handles. */
unsigned handle_count(void);

/*
 * An fd argument given as @value, a token (used up) or a handle (of
 * @uid): a new reference to the sync_file in *ret. Returns 0 or -EINVAL
 * (no live token of that type, no handle of @uid naming a bound
 * sync_file).
 */
int dev_arg_sync_file(uint64_t value, uid_t uid, struct sync_file **ret);

/*
 * The same for a dma_buf: @type is TOKEN_DMA_BUF or TOKEN_MAP (which
 * tokens are accepted); *ret_mode is the access the token grants or the
 * handle's file was opened with, *ret_uid (may be NULL) whom the token
 * was issued to (for a handle, @uid). Returns 0 or -EINVAL.
 */
int dev_arg_dma_buf(uint64_t value, enum token_type type, uid_t uid,
		    struct dma_buf **ret, int *ret_mode, uid_t *ret_uid);
