/* SPDX-License-Identifier: MIT */
/*
 * The open files' listing of the control socket (file_records.h): one
 * record per open file of the device nodes, in open order, resumed by
 * the open number (dev_file_seek(), O(log n)). What a file is bound to
 * is read, never changed: a sync_file's status comes from
 * fence_peek_status(), which asks no producer.
 */
#include "file_records.h"

#include <stdio.h>

#include <dmabufd/control.h>

#include "dev/dmaengine_node.h"
#include "dev/file.h"
#include "dmaengine/dmaengine.h"
#include "model/sync_file.h"
#include "model/timeline.h"
#include "util/proc_name.h"

static void *seek_file(struct ctl_key *key)
{
	struct dev_file *file = key->hi ? NULL : dev_file_seek(key->lo);

	if (file)
		key->lo = dev_file_id(file);
	return file;
}

static void fill_file(const struct ctl_listing *l, void *obj, void *out)
{
	struct dmabufd_ctl_file *rec = out;
	struct dev_file *file = obj;
	const struct dma_chan *chan = dmaengine_node_file_chan(file);

	rec->id = dev_file_id(file);
	snprintf(rec->node, sizeof(rec->node), "%.*s",
		 (int)sizeof(rec->node) - 1, file->node->name);
	rec->mode = (uint32_t)file->mode;
	rec->uid = (uint32_t)file->uid;
	proc_name_get(file->pid, l->now, &rec->opener_pid, rec->opener_comm);
	proc_name_get(file->last_pid, l->now, &rec->last_pid, rec->last_comm);
	if (file->dma_buf) {
		rec->kind = DMABUFD_CTL_FILE_BUFFER;
		rec->object = file->dma_buf->id;
		rec->size = file->dma_buf->size;
		snprintf(rec->name, sizeof(rec->name), "%s",
			 dma_buf_get_name(file->dma_buf));
	} else if (file->sync_file) {
		struct fence *fence = sync_file_fence(file->sync_file);
		char name[SYNC_FILE_NAME_LEN];

		rec->kind = DMABUFD_CTL_FILE_SYNC_FILE;
		rec->object = fence->context;
		rec->seqno = fence->seqno;
		rec->status = fence_peek_status(fence);
		snprintf(rec->name, sizeof(rec->name), "%s",
			 sync_file_get_name(file->sync_file, name));
	} else if (file->timeline) {
		rec->kind = DMABUFD_CTL_FILE_TIMELINE;
		rec->object = timeline_context(file->timeline);
		snprintf(rec->name, sizeof(rec->name), "%s",
			 timeline_name(file->timeline));
	} else if (chan) {
		rec->kind = DMABUFD_CTL_FILE_CHANNEL;
		rec->object = (uint64_t)(uint32_t)chan->device->dev_id << 32 |
			      (uint32_t)chan->chan_id;
		snprintf(rec->name, sizeof(rec->name), "%s", chan->name);
	}
}

static uid_t owner_file(const void *obj)
{
	return ((const struct dev_file *)obj)->uid;
}

const struct ctl_lister ctl_file_lister = {
	.op = DMABUFD_CTL_FILES,
	.rec_size = sizeof(struct dmabufd_ctl_file),
	.seek = seek_file,
	.owner = owner_file,
	.fill = fill_file,
};
