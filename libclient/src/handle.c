/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd: handles (DMABUFD_IOC_HANDLE) and the calls that take them.
 * Every fd-returning call here is an open of the object's node and one
 * DMABUFD_IOC_CREATE on it; the fd is closed again if the ioctl fails,
 * so nothing is left half-made.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

DMABUFD_EXPORT int dmabufd_handle(int fd, uint64_t *ret_handle, uint32_t *ret_kind)
{
	struct dmabufd_handle h = { 0 };
	int r;

	if (!ret_handle)
		return -EINVAL;
	r = xioctl(fd, DMABUFD_IOC_HANDLE, &h);
	if (r < 0)
		return r;
	*ret_handle = h.handle;
	if (ret_kind)
		*ret_kind = h.kind;
	return 0;
}

/* Open @node with @open_flags and make @req into it. */
static int create_into(const char *node, int open_flags, struct dmabufd_create *req,
		       uint64_t *ret_handle)
{
	int fd, r;

	fd = dmabufd_open_node(node, open_flags);
	if (fd < 0)
		return fd;
	r = xioctl(fd, DMABUFD_IOC_CREATE, req);
	if (r < 0) {
		dmabufd_close_quiet(fd);
		return r;
	}
	if (ret_handle)
		*ret_handle = req->handle;
	return fd;
}

static int create_sync_file(struct dmabufd_create *req, uint64_t *ret_handle)
{
	return create_into(DMABUFD_NODE_SYNC_FILE, O_RDONLY | O_CLOEXEC, req, ret_handle);
}

DMABUFD_EXPORT int dmabufd_alloc_h(uint64_t heap_handle, size_t len, unsigned int fd_flags,
				   uint64_t *ret_handle)
{
	struct dmabufd_create req = {
		.op = DMABUFD_CREATE_ALLOC,
		.src = { heap_handle },
		.arg = len,
	};

	/* The kernel's DMA_HEAP_VALID_FD_FLAGS; the fd's mode is the
	 * buffer's. */
	if (fd_flags & ~(unsigned int)(O_CLOEXEC | O_ACCMODE))
		return -EINVAL;
	return create_into(DMABUFD_NODE_DMA_BUF, (int)fd_flags, &req, ret_handle);
}

DMABUFD_EXPORT int dmabufd_timeline_create_fence_h(uint64_t timeline_handle, uint32_t value,
						   uint64_t *ret_handle)
{
	struct dmabufd_create req = {
		.op = DMABUFD_CREATE_FENCE,
		.src = { timeline_handle },
		.arg = value,
	};

	return create_sync_file(&req, ret_handle);
}

DMABUFD_EXPORT int dmabufd_sync_merge_h(const char *name, uint64_t handle1, uint64_t handle2,
					uint64_t *ret_handle)
{
	struct dmabufd_create req = {
		.op = DMABUFD_CREATE_MERGE,
		.src = { handle1, handle2 },
	};

	if (name)
		strncpy(req.name, name, sizeof(req.name) - 1);
	return create_sync_file(&req, ret_handle);
}

DMABUFD_EXPORT int dmabufd_buf_export_sync_file_h(uint64_t buf_handle, unsigned int flags,
						  uint64_t *ret_handle)
{
	struct dmabufd_create req = {
		.op = DMABUFD_CREATE_EXPORT,
		.flags = flags,
		.src = { buf_handle },
	};

	return create_sync_file(&req, ret_handle);
}

DMABUFD_EXPORT int dmabufd_dma_fence_h(uint64_t chan_handle, int32_t cookie,
				       uint64_t *ret_handle)
{
	struct dmabufd_create req = {
		.op = DMABUFD_CREATE_DMA_FENCE,
		.src = { chan_handle },
		.arg = cookie < 0 ? UINT64_MAX : (uint64_t)cookie,
	};

	return create_sync_file(&req, ret_handle);
}

DMABUFD_EXPORT int dmabufd_buf_import_sync_file_h(int buf_fd, unsigned int flags,
						  uint64_t sync_handle)
{
	struct dmabufd_dma_buf_import_sync_file req = {
		.flags = flags,
		.token = sync_handle,
	};

	return xioctl(buf_fd, DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE, &req);
}

DMABUFD_EXPORT int dmabufd_buf_mmap_h(uint64_t buf_handle, int prot, void **ret_addr,
				      size_t *ret_len)
{
	if (!ret_addr || !ret_len)
		return -EINVAL;
	if (prot != PROT_READ && prot != (PROT_READ | PROT_WRITE))
		return -EINVAL;
	return dmabufd_map_token(buf_handle, prot, 0, ret_addr, ret_len);
}
