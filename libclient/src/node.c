/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd: where the daemon is (device root, control socket), opening
 * its nodes, and the token helpers (DMABUFD_IOC_CLAIM / EXPORT_TOKEN).
 * No state: every call reads the environment and the file system afresh.
 *
 * The environment is read with secure_getenv(): a set-uid or set-gid
 * program (AT_SECURE) ignores DMABUFD_DEV_ROOT and DMABUFD_CONTROL, so
 * its caller cannot point it at nodes or a socket of the caller's making.
 *
 * A node that is not there is told apart from a daemon that is not: an
 * open failing with ENOENT becomes ENXIO when the device root holds no
 * dma-buf node (DMABUFD_NODE_DMA_BUF, which every daemon serves and
 * without which the library can make no buffer). ENXIO is what the
 * kernel answers for a device node whose driver is not there; ENOENT
 * stays the kernel's answer for /dev/dma_heap/NAME of an unknown heap.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int copy_path(const char *path, char *ret_path, size_t size)
{
	size_t len;

	if (!ret_path || size == 0)
		return -EINVAL;
	len = strlen(path);
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(ret_path, path, len + 1);
	return 0;
}

static const char *dev_root(void)
{
	const char *env = secure_getenv(DMABUFD_ENV_DEV_ROOT);

	if (env && *env)
		return env;
	if (access("/dev/" DMABUFD_NODE_DMA_BUF, F_OK) == 0)
		return "/dev";
	return DMABUFD_FUSE_ROOT;
}

static const char *control_path(void)
{
	const char *env = secure_getenv(DMABUFD_ENV_CONTROL);

	return env && *env ? env : DMABUFD_CONTROL_SOCKET;
}

DMABUFD_EXPORT int dmabufd_get_dev_root(char *ret_path, size_t size)
{
	return copy_path(dev_root(), ret_path, size);
}

DMABUFD_EXPORT int dmabufd_get_control_path(char *ret_path, size_t size)
{
	return copy_path(control_path(), ret_path, size);
}

const char *dmabufd_control_path(void)
{
	return control_path();
}

/* Whether @root is certainly no daemon's device root: its dma-buf node
 * is not there (a root we may not search is not known to be empty). */
static bool no_daemon_at(const char *root)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", root, DMABUFD_NODE_DMA_BUF);

	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	return access(path, F_OK) < 0 && (errno == ENOENT || errno == ENOTDIR);
}

DMABUFD_EXPORT int dmabufd_open_node(const char *node, int flags)
{
	const char *root = dev_root();
	char path[4096];
	int n, fd, r;

	if (!node || !*node || node[0] == '/')
		return -EINVAL;
	n = snprintf(path, sizeof(path), "%s/%s", root, node);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, flags);
	if (fd >= 0)
		return fd;
	r = -errno;
	if ((r == -ENOENT || r == -ENOTDIR) && no_daemon_at(root))
		r = -ENXIO;
	return r;
}

void dmabufd_close_quiet(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

int dmabufd_claim_node(const char *node, int open_flags, uint64_t token)
{
	struct dmabufd_claim claim = { .token = token };
	int fd, r;

	fd = dmabufd_open_node(node, open_flags);
	if (fd < 0)
		return fd;
	r = xioctl(fd, DMABUFD_IOC_CLAIM, &claim);
	if (r < 0) {
		dmabufd_close_quiet(fd);
		return r;
	}
	return fd;
}

DMABUFD_EXPORT int dmabufd_export_token(int fd, uint64_t *ret_token)
{
	struct dmabufd_export_token exp = { 0 };
	int r;

	if (!ret_token)
		return -EINVAL;
	r = xioctl(fd, DMABUFD_IOC_EXPORT_TOKEN, &exp);
	if (r < 0)
		return r;
	*ret_token = exp.token;
	return 0;
}

int dmabufd_fd_arg_token(int fd, uint64_t *ret_token)
{
	int r = dmabufd_export_token(fd, ret_token);

	if (r == -ENOMEM || r == -EDQUOT || r == -ENODEV)
		return r;
	if (r < 0)
		*ret_token = 0;
	return 0;
}

DMABUFD_EXPORT int dmabufd_buf_claim(uint64_t token, unsigned int fd_flags)
{
	if (fd_flags & ~(unsigned int)(O_CLOEXEC | O_ACCMODE))
		return -EINVAL;
	return dmabufd_claim_node(DMABUFD_NODE_DMA_BUF, (int)fd_flags, token);
}

DMABUFD_EXPORT int dmabufd_sync_claim(uint64_t token)
{
	return dmabufd_claim_node(DMABUFD_NODE_SYNC_FILE, O_RDONLY | O_CLOEXEC, token);
}
