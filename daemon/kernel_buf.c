/* SPDX-License-Identifier: MIT */
/*
 * Buffers out to the kernel (see kernel_buf.h). Each export is one
 * struct kexport on a list; one timer, running while the list is not
 * empty, reads each one's holder count.
 */
#include "kernel_buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <unistd.h>

#include <linux/udmabuf.h>

#include "model/acct.h"
#include "util/log.h"
#include "util/macros.h"

#define UDMABUF_PATH "/dev/udmabuf"

static int real_create(int memfd, uint64_t size)
{
	struct udmabuf_create create = {
		.memfd = (__u32)memfd,
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.offset = 0,
		.size = size,
	};
	int dev, fd, e;

	dev = open(UDMABUF_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		e = errno;
		log_debug("kernel_buf: cannot open " UDMABUF_PATH ": %s",
			  strerror(e));
		return e == ENOENT || e == ENXIO || e == ENODEV || e == EACCES ||
				       e == EPERM
			       ? -EOPNOTSUPP
			       : -e;
	}
	fd = ioctl(dev, UDMABUF_CREATE, &create);
	e = errno;
	close(dev);
	return fd < 0 ? -e : fd;
}

static int real_holders(int fd)
{
	char path[64], line[128];
	FILE *f;
	long count = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "count: %ld", &count) == 1)
			break;
	fclose(f);
	if (count < 1)
		return -EOPNOTSUPP;
	return count > INT32_MAX ? INT32_MAX : (int)(count - 1);
}

const struct kernel_buf_ops kernel_buf_real_ops = {
	.create = real_create,
	.holders = real_holders,
};

struct kexport {
	struct dma_buf *buf; /* a reference: its memory and its charge */
	struct acct *acct;   /* charged one file for @fd */
	int fd;              /* the daemon's dup of the kernel dma-buf */
	LIST_ENTRY(kexport) link;
};

static LIST_HEAD(, kexport) exports = LIST_HEAD_INITIALIZER(exports);
static unsigned export_count;
static const struct kernel_buf_ops *kb_ops;
static uv_timer_t sweep_timer;
static bool started, warned_no_count;

static void kexport_free(struct kexport *x)
{
	LIST_REMOVE(x, link);
	x->buf->kernel_exported = false; /* its one export (kernel_buf_export()) */
	export_count--;
	close(x->fd);
	acct_uncharge(x->acct, ACCT_FILES, 1);
	acct_unref(x->acct);
	dma_buf_unref(x->buf);
	free(x);
	if (LIST_EMPTY(&exports) && started)
		uv_timer_stop(&sweep_timer);
}

void kernel_buf_sweep(void)
{
	struct kexport *x, *next;

	for (x = LIST_FIRST(&exports); x; x = next) {
		int n = kb_ops->holders(x->fd);

		next = LIST_NEXT(x, link);
		if (n == 0) {
			kexport_free(x);
		} else if (n == -EOPNOTSUPP && !warned_no_count) {
			warned_no_count = true;
			log_warn("kernel_buf: this kernel does not count a "
				 "dma-buf's holders (fdinfo): exported "
				 "buffers stay until the daemon stops");
		}
	}
}

static void sweep_fired(uv_timer_t *timer)
{
	kernel_buf_sweep();
}

void kernel_buf_start(uv_loop_t *loop, const struct kernel_buf_ops *ops)
{
	if (started)
		return;
	kb_ops = ops ? ops : &kernel_buf_real_ops;
	if (uv_timer_init(loop, &sweep_timer) < 0)
		return;
	started = true;
}

void kernel_buf_stop(void)
{
	while (!LIST_EMPTY(&exports))
		kexport_free(LIST_FIRST(&exports));
	if (!started)
		return;
	started = false;
	uv_close((uv_handle_t *)&sweep_timer, NULL);
}

int kernel_buf_export(struct dma_buf *buf, uid_t owner, int *ret_fd)
{
	struct acct *acct = NULL;
	struct kexport *x;
	int memfd, fd, keep, r;

	if (!buf || !ret_fd)
		return -EINVAL;
	if (!started)
		return -ENODEV;
	LIST_FOREACH(x, &exports, link) {
		if (x->buf != buf)
			continue;
		fd = fcntl(x->fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return -errno;
		*ret_fd = fd;
		return 0;
	}
	r = acct_get(owner, &acct);
	if (r < 0)
		return r;
	r = acct_charge(acct, ACCT_FILES, 1);
	if (r < 0) {
		acct_unref(acct);
		return r;
	}
	memfd = dma_buf_get_memfd(buf);
	if (memfd < 0) {
		r = memfd == -EINVAL ? -ENODEV : memfd;
		goto uncharge;
	}
	fd = kb_ops->create(memfd, buf->size);
	if (fd < 0) {
		r = fd;
		goto uncharge;
	}
	keep = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	x = keep < 0 ? NULL : calloc(1, sizeof(*x));
	if (!x) {
		r = keep < 0 ? -errno : -ENOMEM;
		if (keep >= 0)
			close(keep);
		close(fd);
		goto uncharge;
	}
	x->buf = dma_buf_ref(buf);
	buf->kernel_exported = true;
	x->acct = acct;
	x->fd = keep;
	LIST_INSERT_HEAD(&exports, x, link);
	export_count++;
	if (!uv_is_active((uv_handle_t *)&sweep_timer))
		uv_timer_start(&sweep_timer, sweep_fired, KERNEL_BUF_SWEEP_MS,
			       KERNEL_BUF_SWEEP_MS);
	*ret_fd = fd;
	return 0;

uncharge:
	acct_uncharge(acct, ACCT_FILES, 1);
	acct_unref(acct);
	return r;
}

unsigned kernel_buf_exports(void)
{
	return export_count;
}
