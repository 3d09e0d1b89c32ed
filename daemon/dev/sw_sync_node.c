/* SPDX-License-Identifier: MIT */
/*
 * sw_sync node (sw_sync, proto/dmabufd/sw_sync.h). Each open is a new
 * timeline at 0 named after the opener's command (/proc/<pid>/comm, as
 * the kernel's task comm); its release is timeline_close(), which signals
 * every point still pending with -ENOENT. Points keep the timeline alive
 * after that, by reference.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <dmabufd/sw_sync.h>

#include "model/sync_file.h"
#include "model/timeline.h"
#include "handle.h"
#include "node_ops.h"

/* The kernel's fd-carrying numbers (abi.md §1.2). */
#define KERNEL_SW_SYNC_IOC_CREATE_FENCE 0xc0285700u
#define KERNEL_SW_SYNC_IOC_INC 0x40045701u
#define KERNEL_SW_SYNC_GET_DEADLINE 0xc0105702u

_Static_assert(SW_SYNC_IOC_CREATE_FENCE == KERNEL_SW_SYNC_IOC_CREATE_FENCE,
	       "CREATE_FENCE");
_Static_assert(SW_SYNC_IOC_INC == KERNEL_SW_SYNC_IOC_INC, "INC");
_Static_assert(SW_SYNC_GET_DEADLINE == KERNEL_SW_SYNC_GET_DEADLINE,
	       "GET_DEADLINE");

static int sw_sync_open(struct dev_file *file)
{
	char name[TIMELINE_NAME_LEN];

	int r;

	dev_pid_comm(file->pid, name, sizeof(name));
	r = timeline_new(name, &file->timeline);
	if (r == 0)
		timeline_set_owner(file->timeline, file->uid);
	return r;
}

static void sw_sync_create_fence_ioctl(struct dev_req *req)
{
	const struct dmabufd_sw_sync_create_fence *in =
		dev_req_input(req, sizeof(*in));
	struct dev_file *file = req->file;
	_cleanup_(fence_unrefp) struct fence *fence = NULL;
	struct dmabufd_sw_sync_create_fence out;
	int r;

	if (!in || in->pad)
		return dev_req_fail(req, -EINVAL);
	r = timeline_create_fence(file->timeline, in->value, &fence);
	if (r < 0)
		return dev_req_fail(req, r);
	out = *in;
	r = dev_file_issue_sync_file(file, fence, &out.token);
	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, &out, sizeof(out));
}

static void sw_sync_inc_ioctl(struct dev_req *req)
{
	const __u32 *in = dev_req_input(req, sizeof(*in));
	int r;

	if (!in)
		return dev_req_fail(req, -EINVAL);
	r = timeline_inc(req->file->timeline, *in);
	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, NULL, 0);
}

static void sw_sync_get_deadline_ioctl(struct dev_req *req)
{
	const struct dmabufd_sw_sync_get_deadline *in =
		dev_req_input(req, sizeof(*in));
	_cleanup_(sync_file_unrefp) struct sync_file *sf = NULL;
	struct dmabufd_sw_sync_get_deadline out;
	uint64_t deadline;
	int r;

	if (!in || in->deadline_ns || in->pad)
		return dev_req_fail(req, -EINVAL);
	r = dev_arg_sync_file(in->token, req->caller_uid, &sf);
	if (r < 0)
		return dev_req_fail(req, r);
	r = sync_pt_get_deadline(sync_file_fence(sf), &deadline);
	if (r < 0)
		return dev_req_fail(req, r);
	out = *in;
	out.deadline_ns = deadline;
	dev_req_reply(req, 0, &out, sizeof(out));
}

static void sw_sync_ioctl(struct dev_req *req)
{
	switch (req->cmd) {
	case DMABUFD_SW_SYNC_IOC_CREATE_FENCE:
		return sw_sync_create_fence_ioctl(req);
	case DMABUFD_SW_SYNC_IOC_GET_DEADLINE:
		return sw_sync_get_deadline_ioctl(req);
	case KERNEL_SW_SYNC_IOC_INC:
		return sw_sync_inc_ioctl(req);
	case KERNEL_SW_SYNC_IOC_CREATE_FENCE:
	case KERNEL_SW_SYNC_GET_DEADLINE:
		return dev_req_fail(req, -EOPNOTSUPP);
	}
	dev_req_fail(req, -ENOTTY);
}

const struct dev_node_ops sw_sync_node_ops = {
	.type = DEV_NODE_SW_SYNC,
	.open = sw_sync_open,
	.ioctl = sw_sync_ioctl,
	.produces_fences = true,
};
