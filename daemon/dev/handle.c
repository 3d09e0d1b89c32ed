/* SPDX-License-Identifier: MIT */
/*
 * Handles live in an id table keyed by value and in their file's list
 * (a file has one per uid that asked: nearly always one).
 */
#include "handle.h"

#include <errno.h>
#include <stdlib.h>

#include "file.h"
#include "model/dma_buf.h"
#include "model/sync_file.h"
#include "util/id_table.h"
#include "util/macros.h"

struct dev_handle {
	struct id_node id; /* id.id: the handle's value */
	struct dev_file *file;
	struct dev_handle *next; /* the file's next handle */
	uid_t uid;
};

/* One bucket per handle up to this many; chains get longer after. */
#define HANDLE_BUCKETS_MAX (1u << 20)

static struct id_table handle_table = ID_TABLE_INIT(handle_table, HANDLE_BUCKETS_MAX);

static struct dev_handle *handle_find(uint64_t value)
{
	struct id_node *node = id_table_find(&handle_table, value);

	return node ? container_of(node, struct dev_handle, id) : NULL;
}

bool handle_exists(uint64_t value)
{
	return handle_find(value) != NULL;
}

bool dev_id_in_use(uint64_t id)
{
	return token_exists(id) || handle_exists(id);
}

unsigned handle_count(void)
{
	return handle_table.count;
}

int handle_get(struct dev_file *file, uid_t uid, __u64 *ret_value)
{
	struct dev_handle *h;
	uint64_t value;
	int r;

	for (h = file->handles; h; h = h->next) {
		if (h->uid == uid) {
			*ret_value = h->id.id;
			return 0;
		}
	}
	r = id_table_new_id(dev_id_in_use, &value);
	if (r < 0)
		return r;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->id.id = value;
	h->file = file;
	h->uid = uid;
	h->next = file->handles;
	file->handles = h;
	id_table_add(&handle_table, &h->id);
	*ret_value = value;
	return 0;
}

struct dev_file *handle_file(uint64_t value, uid_t uid)
{
	struct dev_handle *h = handle_find(value);

	return h && h->uid == uid ? h->file : NULL;
}

void handle_file_clear(struct dev_file *file)
{
	struct dev_handle *h;

	while ((h = file->handles)) {
		file->handles = h->next;
		id_table_remove(&handle_table, &h->id);
		free(h);
	}
}

int dev_arg_sync_file(uint64_t value, uid_t uid, struct sync_file **ret)
{
	struct dev_file *file;
	void *obj;

	if (token_take(value, TOKEN_SYNC_FILE, -1, &obj, NULL, NULL) == 0) {
		*ret = obj;
		return 0;
	}
	file = handle_file(value, uid);
	if (!file || !file->sync_file)
		return -EINVAL;
	*ret = sync_file_ref(file->sync_file);
	return 0;
}

int dev_arg_dma_buf(uint64_t value, enum token_type type, uid_t uid,
		    struct dma_buf **ret, int *ret_mode, uid_t *ret_uid)
{
	struct dev_file *file;
	void *obj;

	if (token_take(value, type, -1, &obj, ret_mode, ret_uid) == 0) {
		*ret = obj;
		return 0;
	}
	file = handle_file(value, uid);
	if (!file || !file->dma_buf)
		return -EINVAL;
	*ret = dma_buf_ref(file->dma_buf);
	*ret_mode = file->mode;
	if (ret_uid)
		*ret_uid = uid;
	return 0;
}
