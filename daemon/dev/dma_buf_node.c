/* SPDX-License-Identifier: MIT */
/*
 * dma-buf nodes (dmabufd/dma_buf, proto/dmabufd/dma_buf.h). A fresh open
 * is unbound (EBADFD for every object ioctl) until DMABUFD_IOC_CLAIM binds
 * it to a buffer; the file then holds a buffer reference until release.
 * The fd's access mode is the open's, at most what the token granted.
 *
 * DMA_BUF_IOCTL_SYNC START waits in the loop for the implicit fences its
 * direction needs (at most dev_max_wait_ns(), then ETIMEDOUT), and is
 * cancelled with EINTR when the caller is interrupted. A granted START
 * and its END are the recorder's CPU access window (util/recorder.h),
 * paired by the caller's pid (the calling thread's, as the transport
 * reports it). Poll follows
 * dma_buf_poll(): one armed callback per file, which wakes the file's
 * newest poll handle once.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <dmabufd/dma_buf.h>

#include "model/fence_array.h"
#include "model/sync_file.h"
#include "handle.h"
#include "node_ops.h"
#include "util/log.h"
#include "util/recorder.h"

/* The kernel's fd- and pointer-carrying numbers (abi.md §1.2). */
#define KERNEL_DMA_BUF_SET_NAME_A 0x40046201u
#define KERNEL_DMA_BUF_SET_NAME_B 0x40086201u
#define KERNEL_DMA_BUF_EXPORT_SYNC_FILE 0xc0086202u
#define KERNEL_DMA_BUF_IMPORT_SYNC_FILE 0x40086203u

/* The recorder's CPU record of SYNC @flags on @req's buffer. */
static void dma_buf_record_sync(const struct dev_req *req, uint64_t flags)
{
	const struct dma_buf *buf = req->file->dma_buf;
	const char *name = dma_buf_get_name(buf);
	struct dmabufd_ctl_trace_rec rec = {
		.track = buf->id,
		.id = (uint64_t)req->caller_pid,
		.value = flags,
		.kind = DMABUFD_TRACE_CPU,
		.phase = (flags & DMA_BUF_SYNC_END) ? DMABUFD_TRACE_END
						    : DMABUFD_TRACE_BEGIN,
		.pid = (uint32_t)req->caller_pid,
	};

	recorder_name(rec.track_name, *name ? name : buf->exp_name);
	recorder_emit(&rec, req->caller_uid);
}

/* Finish a SYNC START whose wait ended with @result (fence_wait rules). */
static void dma_buf_sync_finish(struct dev_req *req, int64_t result)
{
	int r;

	if (result == 0)
		return dev_req_fail(req, -ETIMEDOUT);
	r = dma_buf_begin_cpu_access(req->file->dma_buf, req->sync_op.dir);
	if (r < 0)
		return dev_req_fail(req, r);
	if (recorder_on())
		dma_buf_record_sync(req, req->arg);
	dev_req_reply(req, 0, NULL, 0);
}

static void dma_buf_sync_done(struct fence_wait *wait, int64_t result)
{
	dma_buf_sync_finish(container_of(wait, struct dev_req, wait), result);
}

static void dma_buf_sync_ioctl(struct dev_req *req)
{
	const struct dma_buf_sync *in = dev_req_input(req, sizeof(*in));
	struct dma_buf *buf = req->file->dma_buf;
	int64_t w;
	int r;

	if (!in)
		return dev_req_fail(req, -EINVAL);
	r = dma_buf_sync_parse(in->flags, &req->sync_op);
	if (r < 0)
		return dev_req_fail(req, r);
	req->arg = (int64_t)in->flags;
	if (req->sync_op.end) {
		r = dma_buf_end_cpu_access(buf, req->sync_op.dir);
		if (r < 0)
			return dev_req_fail(req, r);
		if (recorder_on())
			dma_buf_record_sync(req, in->flags);
		return dev_req_reply(req, 0, NULL, 0);
	}
	w = resv_wait_start(&buf->resv, req->sync_op.wait_usage, &req->wait,
			    dev_max_wait_ns(), dma_buf_sync_done);
	if (w == -EINPROGRESS) {
		dev_req_defer(req, dev_req_cancel_wait);
		return;
	}
	if (w < 0)
		return dev_req_fail(req, (int)w);
	dma_buf_sync_finish(req, w);
}

static void dma_buf_info_ioctl(struct dev_req *req)
{
	struct dma_buf *buf = req->file->dma_buf;
	struct dmabufd_dma_buf_info out = {
		.size = buf->size,
		.id = buf->id,
		.mode = (uint32_t)req->file->mode,
		.attachments = buf->num_attachments,
	};

	snprintf(out.exp_name, sizeof(out.exp_name), "%s",
		 buf->exp_name ? buf->exp_name : "");
	dev_req_reply(req, 0, &out, sizeof(out));
}

static void dma_buf_set_name_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_buf_name *in = dev_req_input(req, sizeof(*in));

	if (!in || !memchr(in->name, '\0', sizeof(in->name)))
		return dev_req_fail(req, -EINVAL);
	int r = dma_buf_set_name(req->file->dma_buf, in->name);
	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, NULL, 0);
}

static void dma_buf_get_name_ioctl(struct dev_req *req)
{
	struct dmabufd_dma_buf_name out = { 0 };

	snprintf(out.name, sizeof(out.name), "%s",
		 dma_buf_get_name(req->file->dma_buf));
	dev_req_reply(req, 0, &out, sizeof(out));
}

/* READ, WRITE or RW, and nothing else (dma-buf.c's export/import check). */
static bool sync_file_flags_valid(uint32_t flags)
{
	return !(flags & ~(uint32_t)DMA_BUF_SYNC_RW) && (flags & DMA_BUF_SYNC_RW);
}

int dma_buf_node_export_fence(struct dma_buf *buf, uint32_t flags,
			      struct fence **ret_fence)
{
	struct fence *fence = NULL;
	int r;

	if (!sync_file_flags_valid(flags))
		return -EINVAL;
	r = resv_get_singleton(&buf->resv,
			       resv_usage_rw(flags & DMA_BUF_SYNC_WRITE), &fence);
	if (r < 0)
		return r;
	if (!fence)
		fence = fence_get_stub();
	if (!fence)
		return -ENOMEM;
	*ret_fence = fence;
	return 0;
}

static void dma_buf_export_sync_file_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_buf_export_sync_file *in =
		dev_req_input(req, sizeof(*in));
	struct dev_file *file = req->file;
	_cleanup_(fence_unrefp) struct fence *fence = NULL;
	struct dmabufd_dma_buf_export_sync_file out;
	int r;

	if (!in || in->pad)
		return dev_req_fail(req, -EINVAL);
	r = dma_buf_node_export_fence(file->dma_buf, in->flags, &fence);
	if (r < 0)
		return dev_req_fail(req, r);
	out = *in;
	r = dev_file_issue_sync_file(file, fence, &out.token);
	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, &out, sizeof(out));
}

static void dma_buf_import_sync_file_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_buf_import_sync_file *in =
		dev_req_input(req, sizeof(*in));
	struct resv *resv = &req->file->dma_buf->resv;
	_cleanup_(sync_file_unrefp) struct sync_file *sf = NULL;
	enum resv_usage usage;
	struct fence *fence;
	unsigned num;
	int r;

	if (!in || !sync_file_flags_valid(in->flags) || in->pad)
		return dev_req_fail(req, -EINVAL);
	r = dev_arg_sync_file(in->token, req->caller_uid, &sf);
	if (r < 0)
		return dev_req_fail(req, r);
	fence = sync_file_fence(sf);
	num = fence_unwrap_count(fence);
	usage = (in->flags & DMA_BUF_SYNC_WRITE) ? RESV_USAGE_WRITE
						 : RESV_USAGE_READ;

	r = resv_lock(resv);
	if (r < 0)
		return dev_req_fail(req, r);
	r = resv_reserve_fences(resv, num);
	for (unsigned i = 0; r >= 0 && i < num; i++)
		r = resv_add_fence(resv, fence_unwrap_at(fence, i), usage);
	resv_unlock(resv);
	if (r < 0)
		return dev_req_fail(req, r);
	/* Pollers waiting for this buffer may now wait for more; the kernel
	 * does not wake them either, so nothing to do. */
	dev_req_reply(req, 0, NULL, 0);
}

static void dma_buf_map_ioctl(struct dev_req *req)
{
	const struct dmabufd_dma_buf_map *in = dev_req_input(req, sizeof(*in));
	struct dev_file *file = req->file;
	struct dmabufd_dma_buf_map out = { 0 };
	int r;

	if (!in || in->pad)
		return dev_req_fail(req, -EINVAL);
	/* mmap(2) needs FMODE_READ, which O_WRONLY and O_ACCMODE lack. */
	if (file->mode == O_WRONLY || file->mode == O_ACCMODE)
		return dev_req_fail(req, -EACCES);
	r = dma_buf_get_memfd(file->dma_buf);
	if (r < 0)
		return dev_req_fail(req, r == -EINVAL ? -ENODEV : r);
	/* The caller, not the opener: the fd may have been passed over a
	 * socket to another user, who maps it. */
	r = token_new(&file->tokens, TOKEN_MAP, file->dma_buf, file->mode,
		      req->caller_uid, &out.token);
	if (r < 0)
		return dev_req_fail(req, r);
	out.size = file->dma_buf->size;
	out.prot = PROT_READ | (file->mode == O_RDWR ? PROT_WRITE : 0);
	dev_req_reply(req, 0, &out, sizeof(out));
}

static void dma_buf_ioctl(struct dev_req *req)
{
	void (*handler)(struct dev_req *req);

	switch (req->cmd) {
	case DMA_BUF_IOCTL_SYNC:
		handler = dma_buf_sync_ioctl;
		break;
	case DMABUFD_DMA_BUF_IOC_INFO:
		handler = dma_buf_info_ioctl;
		break;
	case DMABUFD_DMA_BUF_IOC_SET_NAME:
		handler = dma_buf_set_name_ioctl;
		break;
	case DMABUFD_DMA_BUF_IOC_GET_NAME:
		handler = dma_buf_get_name_ioctl;
		break;
	case DMABUFD_DMA_BUF_IOC_EXPORT_SYNC_FILE:
		handler = dma_buf_export_sync_file_ioctl;
		break;
	case DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE:
		handler = dma_buf_import_sync_file_ioctl;
		break;
	case DMABUFD_DMA_BUF_IOC_MAP:
		handler = dma_buf_map_ioctl;
		break;
	case KERNEL_DMA_BUF_SET_NAME_A:
	case KERNEL_DMA_BUF_SET_NAME_B:
	case KERNEL_DMA_BUF_EXPORT_SYNC_FILE:
	case KERNEL_DMA_BUF_IMPORT_SYNC_FILE:
		return dev_req_fail(req, -EOPNOTSUPP);
	default:
		return dev_req_fail(req, -ENOTTY);
	}
	if (!req->file->dma_buf)
		return dev_req_fail(req, -EBADFD);
	handler(req);
}

static void dma_buf_poll_notify(struct dma_buf_poll_cb *cb)
{
	dev_file_poll_wake(container_of(cb, struct dev_file, poll_buf_cb));
}

static unsigned dma_buf_node_poll(struct dev_file *file, unsigned events,
				  bool arm)
{
	int ready;

	if (!file->dma_buf)
		return POLLERR;
	ready = dma_buf_poll(file->dma_buf, events,
			     arm ? &file->poll_buf_cb : NULL,
			     dma_buf_poll_notify);
	return ready < 0 ? POLLERR : (unsigned)ready;
}

static void dma_buf_node_poll_disarm(struct dev_file *file)
{
	dma_buf_poll_cancel(&file->poll_buf_cb);
}

const struct dev_node_ops dma_buf_node_ops = {
	.type = DEV_NODE_DMA_BUF,
	.ioctl = dma_buf_ioctl,
	.poll = dma_buf_node_poll,
	.poll_disarm = dma_buf_node_poll_disarm,
};
