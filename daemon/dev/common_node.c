/* SPDX-License-Identifier: MIT */
/*
 * The ioctls every node answers before its own (proto/dmabufd/common.h):
 * DMABUFD_IOC_CLAIM binds a fresh fd to a token's object,
 * DMABUFD_IOC_EXPORT_TOKEN makes a token for the object of a bound fd,
 * DMABUFD_IOC_CREATE (create.c) makes an object into a fresh fd (these
 * three on dma_buf and sync_file nodes), and DMABUFD_IOC_HANDLE names any
 * node's open file (handle.h). A dma_buf fd is bound to a dma_buf, a
 * sync_file fd to a sync_file; the binding never changes until release.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <dmabufd/common.h>

#include "model/sync_file.h"
#include "handle.h"
#include "node_ops.h"

static enum token_type node_token_type(const struct dev_file *file)
{
	return file->node->type == DEV_NODE_DMA_BUF ? TOKEN_DMA_BUF
						    : TOKEN_SYNC_FILE;
}

static bool file_is_bound(const struct dev_file *file)
{
	return file->dma_buf || file->sync_file;
}

static void common_claim(struct dev_req *req)
{
	const struct dmabufd_claim *in = dev_req_input(req, sizeof(*in));
	struct dev_file *file = req->file;
	void *obj;
	int r;

	if (!in || in->flags || in->pad)
		return dev_req_fail(req, -EINVAL);
	if (file_is_bound(file))
		return dev_req_fail(req, -EBUSY);
	/* sync_file fds are read-only in the kernel; any mode may hold one. */
	r = token_take(in->token, node_token_type(file),
		       file->node->type == DEV_NODE_DMA_BUF ? file->mode : -1,
		       &obj, NULL, NULL);
	if (r < 0)
		return dev_req_fail(req, r);
	if (file->node->type == DEV_NODE_DMA_BUF)
		file->dma_buf = obj;
	else
		file->sync_file = obj;
	dev_file_note_bound(file);
	dev_req_reply(req, 0, NULL, 0);
}

static void common_export_token(struct dev_req *req)
{
	const struct dmabufd_export_token *in = dev_req_input(req, sizeof(*in));
	struct dev_file *file = req->file;
	struct dmabufd_export_token out = { 0 };
	int r;

	if (!in || in->flags || in->pad)
		return dev_req_fail(req, -EINVAL);
	if (!file_is_bound(file))
		return dev_req_fail(req, -EBADFD);
	r = token_new(&file->tokens, node_token_type(file),
		      file->dma_buf ? (void *)file->dma_buf
				    : (void *)file->sync_file,
		      file->node->type == DEV_NODE_DMA_BUF ? file->mode
							   : O_RDWR,
		      file->uid, &out.token);
	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, &out, sizeof(out));
}

static bool file_is_object(const struct dev_file *file)
{
	return file->node->type == DEV_NODE_DMA_BUF ||
	       file->node->type == DEV_NODE_SYNC_FILE;
}

static void common_handle(struct dev_req *req)
{
	const struct dmabufd_handle *in = dev_req_input(req, sizeof(*in));
	struct dev_file *file = req->file;
	struct dmabufd_handle out = { 0 };
	int r;

	static const uint32_t kinds[] = {
		[DEV_NODE_HEAP] = DMABUFD_KIND_HEAP,
		[DEV_NODE_DMA_BUF] = DMABUFD_KIND_DMA_BUF,
		[DEV_NODE_SYNC_FILE] = DMABUFD_KIND_SYNC_FILE,
		[DEV_NODE_SW_SYNC] = DMABUFD_KIND_SW_SYNC,
		[DEV_NODE_DMAENGINE] = DMABUFD_KIND_DMAENGINE,
	};

	if (!in || in->handle || in->flags || in->kind)
		return dev_req_fail(req, -EINVAL);
	if (file_is_object(file) && !file_is_bound(file))
		return dev_req_fail(req, -EBADFD);
	out.kind = kinds[file->node->type];
	r = handle_get(file, req->caller_uid, &out.handle);
	if (r < 0)
		return dev_req_fail(req, r);
	dev_req_reply(req, 0, &out, sizeof(out));
}

int dev_file_bind_fence(struct dev_file *file, struct fence *fence)
{
	int r;

	r = sync_file_new(fence, &file->sync_file);
	if (r < 0)
		return r;
	if (fence->owner == ACCT_NO_OWNER)
		fence->owner = file->uid;
	dev_file_note_producer(file, fence);
	return 0;
}

int dev_file_issue_sync_file(struct dev_file *file, struct fence *fence,
			     __u64 *ret_token)
{
	_cleanup_(sync_file_unrefp) struct sync_file *sf = NULL;
	int r;

	r = sync_file_new(fence, &sf);
	if (r < 0)
		return r;
	/* A fence the daemon made for this caller (an export's snapshot)
	 * is the caller's in the listings. */
	if (fence->owner == ACCT_NO_OWNER)
		fence->owner = file->uid;
	dev_file_note_producer(file, fence);
	/* The token takes its own reference; ours goes at return. */
	return token_new(&file->tokens, TOKEN_SYNC_FILE, sf, O_RDWR, file->uid,
			 ret_token);
}

void dev_pid_comm(pid_t pid, char *ret_name, size_t size)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(ret_name, size, "unknown");
	if (pid <= 0 || size < 2)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, ret_name, size - 1);
	close(fd);
	if (n <= 0) {
		snprintf(ret_name, size, "unknown");
		return;
	}
	ret_name[n] = '\0';
	ret_name[strcspn(ret_name, "\n")] = '\0';
}

bool dev_common_ioctl(struct dev_req *req)
{
	if (req->cmd == DMABUFD_IOC_HANDLE) {
		common_handle(req);
		return true;
	}
	if (!file_is_object(req->file))
		return false;
	switch (req->cmd) {
	case DMABUFD_IOC_CREATE:
		dev_create_ioctl(req);
		return true;
	case DMABUFD_IOC_CLAIM:
		common_claim(req);
		return true;
	case DMABUFD_IOC_EXPORT_TOKEN:
		common_export_token(req);
		return true;
	}
	return false;
}
