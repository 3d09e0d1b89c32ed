/* SPDX-License-Identifier: MIT */
/*
 * sync_file nodes (dmabufd/sync_file, proto/dmabufd/sync_file.h). A fresh
 * open is unbound until DMABUFD_IOC_CLAIM binds it to a sync_file; the
 * file then holds a sync_file reference until release.
 *
 * DMABUFD_SYNC_IOC_WAIT waits in the loop (at most the caller's timeout
 * capped by dev_max_wait_ns(), then ETIME) and is cancelled with EINTR
 * when the caller is interrupted. Poll: POLLIN once the fence has
 * signaled, an error included; while it has not, one fence callback per
 * file wakes the newest poll handle once.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <dmabufd/sync_file.h>

#include "model/fence_array.h"
#include "model/sync_file.h"
#include "handle.h"
#include "node_ops.h"

/* The kernel's fd-carrying number (abi.md §1.2). */
#define KERNEL_SYNC_IOC_MERGE 0xc0303e03u
#define KERNEL_SYNC_IOC_FILE_INFO 0xc0383e04u
#define KERNEL_SYNC_IOC_SET_DEADLINE 0x40103e05u

_Static_assert(SYNC_IOC_FILE_INFO == KERNEL_SYNC_IOC_FILE_INFO, "FILE_INFO");
_Static_assert(SYNC_IOC_SET_DEADLINE == KERNEL_SYNC_IOC_SET_DEADLINE,
	       "SET_DEADLINE");

static void sync_merge_ioctl(struct dev_req *req)
{
	const struct dmabufd_sync_merge *in = dev_req_input(req, sizeof(*in));
	struct dev_file *file = req->file;
	_cleanup_(sync_file_unrefp) struct sync_file *other = NULL;
	_cleanup_(sync_file_unrefp) struct sync_file *merged = NULL;
	struct dmabufd_sync_merge out;
	char name[SYNC_FILE_NAME_LEN];
	int r;

	if (!in || in->flags || in->pad)
		return dev_req_fail(req, -EINVAL);
	if (dev_arg_sync_file(in->token2, req->caller_uid, &other) < 0)
		return dev_req_fail(req, -ENOENT);
	memcpy(name, in->name, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	r = sync_file_merge(name, file->sync_file, other, &merged);
	if (r < 0)
		return dev_req_fail(req, r);
	/* A new container is the merger's; a fence it passes on keeps its
	 * owner. */
	if (sync_file_fence(merged)->owner == ACCT_NO_OWNER)
		sync_file_fence(merged)->owner = file->uid;
	dev_file_note_producer(file, sync_file_fence(merged));
	out = *in;
	out.name[sizeof(out.name) - 1] = '\0';
	r = token_new(&file->tokens, TOKEN_SYNC_FILE, merged, O_RDWR,
		      file->uid, &out.token);
	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, &out, sizeof(out));
}

/*
 * SYNC_IOC_FILE_INFO, count only: the array would need a user pointer.
 * Checked in sync_file_ioctl_fence_info()'s order: flags and pad, then a
 * non-zero num_fences below the count (EINVAL) before the write through
 * the pointer that dmabufd cannot make (EFAULT).
 */
static void sync_kernel_info_ioctl(struct dev_req *req)
{
	const struct sync_file_info *in = dev_req_input(req, sizeof(*in));
	struct sync_file *sf = req->file->sync_file;
	struct sync_file_info out = { 0 };
	int32_t status;
	uint32_t num;
	int r;

	if (!in || in->flags || in->pad)
		return dev_req_fail(req, -EINVAL);
	if (in->num_fences)
		return dev_req_fail(req, in->num_fences <
						 fence_unwrap_count(sync_file_fence(sf))
					 ? -EINVAL : -EFAULT);
	r = sync_file_info(sf, 0, NULL, &num, &status);
	if (r < 0)
		return dev_req_fail(req, r);
	sync_file_get_name(sf, out.name);
	out.status = status;
	out.num_fences = num;
	dev_req_reply(req, 0, &out, sizeof(out));
}

static void sync_info_ioctl(struct dev_req *req)
{
	const struct dmabufd_sync_file_info *in = dev_req_input(req, sizeof(*in));
	struct sync_file *sf = req->file->sync_file;
	_cleanup_free_ struct sync_fence_info_rec *recs = NULL;
	_cleanup_free_ struct dmabufd_sync_file_info *out = NULL;
	uint32_t total = fence_unwrap_count(sync_file_fence(sf));
	uint32_t num, count;
	int32_t status;
	int r;

	if (!in || in->flags || in->pad)
		return dev_req_fail(req, -EINVAL);
	if (in->first > total)
		return dev_req_fail(req, -EINVAL);
	recs = calloc(total, sizeof(*recs));
	out = calloc(1, sizeof(*out));
	if (!recs || !out)
		return dev_req_fail(req, -ENOMEM);
	r = sync_file_info(sf, total, recs, &num, &status);
	if (r < 0)
		return dev_req_fail(req, r);
	count = num - in->first;
	if (count > DMABUFD_SYNC_INFO_MAX)
		count = DMABUFD_SYNC_INFO_MAX;
	sync_file_get_name(sf, out->name);
	out->status = status;
	out->num_fences = num;
	out->first = in->first;
	out->count = count;
	_Static_assert(sizeof(out->fences[0]) == sizeof(recs[0]), "record");
	memcpy(out->fences, recs + in->first, count * sizeof(recs[0]));
	dev_req_reply(req, 0, out, sizeof(*out));
}

static void sync_set_deadline_ioctl(struct dev_req *req)
{
	const struct sync_set_deadline *in = dev_req_input(req, sizeof(*in));

	if (!in || in->pad)
		return dev_req_fail(req, -EINVAL);
	int r = sync_file_set_deadline(req->file->sync_file, in->deadline_ns);
	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, NULL, 0);
}

static void sync_wait_finish(struct dev_req *req, int64_t result)
{
	struct dmabufd_sync_wait out = { 0 };

	if (result == 0)
		return dev_req_fail(req, -ETIME);
	out.timeout_ns = 0;
	out.status = sync_file_get_status(req->file->sync_file);
	dev_req_reply(req, 0, &out, sizeof(out));
}

static void sync_wait_done(struct fence_wait *wait, int64_t result)
{
	sync_wait_finish(container_of(wait, struct dev_req, wait), result);
}

static void sync_wait_ioctl(struct dev_req *req)
{
	const struct dmabufd_sync_wait *in = dev_req_input(req, sizeof(*in));
	struct fence *fence = sync_file_fence(req->file->sync_file);
	int64_t timeout, w;

	if (!in || in->timeout_ns < 0 || in->pad)
		return dev_req_fail(req, -EINVAL);
	timeout = in->timeout_ns < dev_max_wait_ns() ? in->timeout_ns
						     : dev_max_wait_ns();
	w = fence_wait_start(&req->wait, &fence, 1, FENCE_WAIT_ALL, timeout,
			     sync_wait_done);
	if (w == -EINPROGRESS) {
		dev_req_defer(req, dev_req_cancel_wait);
		return;
	}
	if (w < 0)
		return dev_req_fail(req, (int)w);
	sync_wait_finish(req, w);
}

static void sync_file_ioctl(struct dev_req *req)
{
	void (*handler)(struct dev_req *req);

	switch (req->cmd) {
	case DMABUFD_SYNC_IOC_MERGE:
		handler = sync_merge_ioctl;
		break;
	case DMABUFD_SYNC_IOC_FILE_INFO:
		handler = sync_info_ioctl;
		break;
	case DMABUFD_SYNC_IOC_WAIT:
		handler = sync_wait_ioctl;
		break;
	case KERNEL_SYNC_IOC_FILE_INFO:
		handler = sync_kernel_info_ioctl;
		break;
	case KERNEL_SYNC_IOC_SET_DEADLINE:
		handler = sync_set_deadline_ioctl;
		break;
	case KERNEL_SYNC_IOC_MERGE:
		return dev_req_fail(req, -EOPNOTSUPP);
	default:
		return dev_req_fail(req, -ENOTTY);
	}
	if (!req->file->sync_file)
		return dev_req_fail(req, -EBADFD);
	handler(req);
}

static void sync_file_poll_fired(struct fence *fence, struct fence_cb *cb)
{
	struct dev_file *file = container_of(cb, struct dev_file, poll_fence_cb);

	file->poll_fence = fence_unref(file->poll_fence);
	dev_file_poll_wake(file);
}

static unsigned sync_file_node_poll(struct dev_file *file, unsigned events,
				    bool arm)
{
	struct fence *fence;

	if (!file->sync_file)
		return POLLERR;
	fence = sync_file_fence(file->sync_file);
	if (fence_is_signaled(fence))
		return POLLIN;
	if (!arm || file->poll_fence)
		return 0;
	/* The first poll enables signaling, as the kernel's. */
	if (fence_add_callback(fence, &file->poll_fence_cb,
			       sync_file_poll_fired) < 0)
		return POLLIN;
	file->poll_fence = fence_ref(fence);
	return 0;
}

static void sync_file_node_poll_disarm(struct dev_file *file)
{
	if (!file->poll_fence)
		return;
	fence_remove_callback(file->poll_fence, &file->poll_fence_cb);
	file->poll_fence = fence_unref(file->poll_fence);
}

const struct dev_node_ops sync_file_node_ops = {
	.type = DEV_NODE_SYNC_FILE,
	.ioctl = sync_file_ioctl,
	.poll = sync_file_node_poll,
	.poll_disarm = sync_file_node_poll_disarm,
};
