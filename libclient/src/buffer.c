/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd: heaps and dma-buf fds. Allocation returns a claim token that
 * is bound to a fresh open of the dma_buf node; CPU mappings come from the
 * control socket (control.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"


DMABUFD_EXPORT int dmabufd_heap_open(const char *name)
{
	char node[256];
	int n;

	if (!name || !*name || strchr(name, '/'))
		return -EINVAL;
	n = snprintf(node, sizeof(node), "%s/%s", DMABUFD_NODE_HEAP_DIR, name);
	if (n < 0 || (size_t)n >= sizeof(node))
		return -ENAMETOOLONG;
	return dmabufd_open_node(node, O_RDONLY | O_CLOEXEC);
}

DMABUFD_EXPORT int dmabufd_heap_alloc(int heap_fd, size_t len, unsigned int fd_flags,
				      uint64_t heap_flags)
{
	struct dmabufd_heap_alloc req = {
		.len = len,
		.fd_flags = fd_flags,
		.heap_flags = heap_flags,
	};
	int r;

	/* The daemon checks these too; checking here avoids a round trip. */
	if (fd_flags & ~(unsigned int)(O_CLOEXEC | O_ACCMODE))
		return -EINVAL;
	r = xioctl(heap_fd, DMABUFD_HEAP_IOC_ALLOC, &req);
	if (r < 0)
		return r;
	/* On failure the token dies with the fd that issued it, or expires. */
	return dmabufd_claim_node(DMABUFD_NODE_DMA_BUF, (int)fd_flags, req.token);
}

DMABUFD_EXPORT int dmabufd_alloc(const char *heap_name, size_t len, unsigned int fd_flags)
{
	int heap, fd;

	heap = dmabufd_heap_open(heap_name);
	if (heap < 0)
		return heap;
	fd = dmabufd_heap_alloc(heap, len, fd_flags, 0);
	dmabufd_close_quiet(heap);
	return fd;
}

DMABUFD_EXPORT int dmabufd_buf_info(int buf_fd, struct dmabufd_dma_buf_info *ret_info)
{
	struct dmabufd_dma_buf_info info = { 0 };
	int r;

	if (!ret_info)
		return -EINVAL;
	r = xioctl(buf_fd, DMABUFD_DMA_BUF_IOC_INFO, &info);
	if (r < 0)
		return r;
	*ret_info = info;
	return 0;
}

DMABUFD_EXPORT int64_t dmabufd_buf_size(int buf_fd)
{
	struct dmabufd_dma_buf_info info;
	int r;

	r = dmabufd_buf_info(buf_fd, &info);
	return r < 0 ? r : (int64_t)info.size;
}

DMABUFD_EXPORT int dmabufd_buf_mmap(int buf_fd, int prot, void **ret_addr, size_t *ret_len)
{
	struct dmabufd_dma_buf_map map = { 0 };
	int r;

	if (!ret_addr || !ret_len)
		return -EINVAL;
	if (prot != PROT_READ && prot != (PROT_READ | PROT_WRITE))
		return -EINVAL;
	r = xioctl(buf_fd, DMABUFD_DMA_BUF_IOC_MAP, &map);
	if (r < 0)
		return r;
	/* The token dies with buf_fd or expires: nothing to undo on error. */
	if ((unsigned int)prot & ~map.prot)
		return -EACCES;
	return dmabufd_map_token(map.token, prot, map.size, ret_addr, ret_len);
}

DMABUFD_EXPORT int dmabufd_buf_munmap(void *addr, size_t len)
{
	if (!addr)
		return -EINVAL;
	return munmap(addr, len) < 0 ? -errno : 0;
}

DMABUFD_EXPORT int dmabufd_buf_sync(int buf_fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return xioctl(buf_fd, DMA_BUF_IOCTL_SYNC, &sync);
}

static int cpu_access(int buf_fd, unsigned int dir, uint64_t start_end)
{
	int r;

	if (dir == 0 || (dir & ~(unsigned int)DMA_BUF_SYNC_RW))
		return -EINVAL;
	/* The kernel waits without limit; the daemon caps each wait
	 * (ETIMEDOUT), so ask again, as after a signal. */
	do
		r = dmabufd_buf_sync(buf_fd, dir | start_end);
	while (r == -EINTR || r == -EAGAIN || r == -ETIMEDOUT);
	return r;
}

DMABUFD_EXPORT int dmabufd_buf_begin_cpu_access(int buf_fd, unsigned int dir)
{
	return cpu_access(buf_fd, dir, DMA_BUF_SYNC_START);
}

DMABUFD_EXPORT int dmabufd_buf_end_cpu_access(int buf_fd, unsigned int dir)
{
	return cpu_access(buf_fd, dir, DMA_BUF_SYNC_END);
}

DMABUFD_EXPORT int dmabufd_buf_set_name(int buf_fd, const char *name)
{
	struct dmabufd_dma_buf_name req = { { 0 } };
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, sizeof(req.name));
	if (len >= sizeof(req.name))
		return -EINVAL;
	memcpy(req.name, name, len);
	return xioctl(buf_fd, DMABUFD_DMA_BUF_IOC_SET_NAME, &req);
}

DMABUFD_EXPORT int dmabufd_buf_get_name(int buf_fd, char *ret_name, size_t size)
{
	struct dmabufd_dma_buf_name req = { { 0 } };
	size_t len;
	int r;

	if (!ret_name || size == 0)
		return -EINVAL;
	r = xioctl(buf_fd, DMABUFD_DMA_BUF_IOC_GET_NAME, &req);
	if (r < 0)
		return r;
	len = strnlen(req.name, sizeof(req.name));
	if (len == sizeof(req.name))
		return -EPROTO;
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(ret_name, req.name, len + 1);
	return 0;
}

DMABUFD_EXPORT int dmabufd_buf_export_sync_file(int buf_fd, unsigned int flags)
{
	struct dmabufd_dma_buf_export_sync_file req = { .flags = flags };
	int r;

	r = xioctl(buf_fd, DMABUFD_DMA_BUF_IOC_EXPORT_SYNC_FILE, &req);
	if (r < 0)
		return r;
	return dmabufd_sync_claim(req.token);
}

DMABUFD_EXPORT int dmabufd_buf_import_sync_file(int buf_fd, unsigned int flags, int sync_fd)
{
	struct dmabufd_dma_buf_import_sync_file req = { .flags = flags };
	int r;

	uint64_t token;

	/* Not a sync_file: token 0, EINVAL from a buffer. */
	r = dmabufd_fd_arg_token(sync_fd, &token);
	if (r < 0)
		return r;
	req.token = token;
	/* An unused token dies when sync_fd closes or when it expires. */
	return xioctl(buf_fd, DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE, &req);
}
