/* SPDX-License-Identifier: MIT */
/*
 * sd-client: the client side of the booted-systemd VM suite
 * (guest-systemd.sh), run as a user of the installed service through
 * libdmabufd against the system daemon's nodes under /dev.
 *
 *   sd-client use       every node once: a system-heap buffer (dma_heap,
 *                       dma_buf) written through its mapping, a sw_sync
 *                       timeline and a fence of it (sw_sync, sync_file)
 *                       waited for, a DMA copy on a memcpy channel
 *                       (dmaengine) waited for and its bytes checked.
 *                       One "ok NODE" line per node; exit 0 only if all.
 *   sd-client refused   opening each of the five nodes fails with EACCES
 *                       (one "refused NODE" line each); exit 0 only if all.
 *   sd-client wait MS   a fence of its own timeline, never signaled, waited
 *                       for up to MS: prints "waiting pid PID", then how
 *                       the wait ended: "wait: signaled status N
 *                       (ERRNAME)" or "wait: error ERRNAME". Exit 0 once
 *                       it printed.
 *   sd-client kexport   dmabufd objects out to the kernel's own drivers
 *                       (udmabuf, sw_sync; loaded by the caller): a
 *                       buffer as a kernel dma-buf, "ok buffer out"; a
 *                       fence as a kernel sync_file that signals once the
 *                       dmabufd fence does, "ok fence out". Exit 0 only
 *                       if both.
 *   sd-client xfer MS   a 4 MiB DMA copy queued ("queued"), then waited
 *                       for up to MS: "xfer: done, bytes ok",
 *                       "xfer: done, bytes wrong" or "xfer: error
 *                       ERRNAME". Exit 0 once it printed.
 *
 * Everything goes to stdout, line-buffered, so that the script reading it
 * sees "waiting" and "queued" as they happen.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <dmabufd/dmabufd.h>

static const char *errname(int neg)
{
	const char *n = strerrorname_np(-neg);

	return n ? n : "unknown";
}

static int fail(const char *what, int r)
{
	printf("FAIL %s: %s (%s)\n", what, strerror(-r), errname(r));
	return 1;
}

/* A buffer of @len bytes, filled with @byte through its mapping. */
static int filled_buffer(size_t len, unsigned char byte)
{
	void *p;
	size_t mlen;
	int fd, r;

	fd = dmabufd_alloc("system", len, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fd;
	r = dmabufd_buf_mmap(fd, PROT_READ | PROT_WRITE, &p, &mlen);
	if (r < 0) {
		close(fd);
		return r;
	}
	memset(p, byte, mlen);
	dmabufd_buf_munmap(p, mlen);
	return fd;
}

static int all_bytes(int fd, unsigned char byte)
{
	unsigned char *p;
	size_t len, i;
	int r;

	r = dmabufd_buf_mmap(fd, PROT_READ, (void **)&p, &len);
	if (r < 0)
		return r;
	for (i = 0; i < len && p[i] == byte; i++)
		;
	dmabufd_buf_munmap(p, len);
	return i == len;
}

/* A channel with @len-byte buffers src (0x5a) and dst (0) attached;
 * the copy's cookie, or -errno. */
static int32_t queue_copy(size_t len, int *ret_chan, int *ret_dst)
{
	uint32_t src_id, dst_id;
	int chan, src, dst, r;

	chan = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY),
					       5000, NULL);
	if (chan < 0)
		return chan;
	src = filled_buffer(len, 0x5a);
	dst = filled_buffer(len, 0);
	if (src < 0 || dst < 0)
		return src < 0 ? src : dst;
	r = dmabufd_dma_attach(chan, src, NULL);
	if (r < 0)
		return r;
	src_id = (uint32_t)r;
	r = dmabufd_dma_attach(chan, dst, NULL);
	if (r < 0)
		return r;
	dst_id = (uint32_t)r;
	close(src);
	*ret_chan = chan;
	*ret_dst = dst;
	return dmabufd_dma_memcpy(chan, dst_id, 0, src_id, 0, len, 0);
}

static int use_every_node(void)
{
	int buf, tl, fence, chan, dst, r;
	int32_t cookie;

	buf = filled_buffer(4096, 0x11);
	if (buf < 0)
		return fail("dma_heap/system alloc", buf);
	printf("ok %s\n", "dma_heap/system");
	r = all_bytes(buf, 0x11);
	if (r != 1)
		return fail("dma_buf mapping", r < 0 ? r : -EIO);
	printf("ok %s\n", DMABUFD_NODE_DMA_BUF);
	close(buf);

	tl = dmabufd_timeline_create();
	if (tl < 0)
		return fail("sw_sync timeline", tl);
	printf("ok %s\n", DMABUFD_NODE_SW_SYNC);
	fence = dmabufd_timeline_create_fence(tl, "sd-client", 1);
	if (fence < 0)
		return fail("sync_file fence", fence);
	r = dmabufd_sync_wait(fence, 0);
	if (r != -ETIME)
		return fail("sync_file wait before the signal", r < 0 ? r : -EIO);
	r = dmabufd_timeline_inc(tl, 1);
	if (r < 0)
		return fail("sw_sync inc", r);
	r = dmabufd_sync_wait(fence, 10000);
	if (r < 0)
		return fail("sync_file wait", r);
	printf("ok %s\n", DMABUFD_NODE_SYNC_FILE);
	close(fence);
	close(tl);

	cookie = queue_copy(65536, &chan, &dst);
	if (cookie < 0)
		return fail("dmaengine memcpy", cookie);
	r = dmabufd_dma_wait(chan, cookie, 10000);
	if (r < 0)
		return fail("dmaengine wait", r);
	r = all_bytes(dst, 0x5a);
	if (r != 1)
		return fail("dmaengine copy's bytes", r < 0 ? r : -EIO);
	printf("ok %s\n", DMABUFD_NODE_DMAENGINE);
	close(dst);
	close(chan);
	return 0;
}

static int refused_every_node(void)
{
	static const char *const nodes[] = {
		"dma_heap/system", DMABUFD_NODE_DMA_BUF, DMABUFD_NODE_SYNC_FILE,
		DMABUFD_NODE_SW_SYNC, DMABUFD_NODE_DMAENGINE,
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		int fd = dmabufd_open_node(nodes[i], O_RDWR | O_CLOEXEC);

		if (fd == -EACCES) {
			printf("refused %s\n", nodes[i]);
			continue;
		}
		if (fd >= 0) {
			printf("FAIL %s: opened\n", nodes[i]);
			close(fd);
		} else {
			printf("FAIL %s: %s, not EACCES\n", nodes[i], errname(fd));
		}
		bad = 1;
	}
	return bad;
}

/* Each of the two is tried, whatever the other gave. */
static int buffer_out(void)
{
	int buf, kbuf;

	buf = filled_buffer(4096, 0x22);
	if (buf < 0)
		return fail("dma_heap/system alloc", buf);
	kbuf = dmabufd_buf_export_kernel(buf);
	close(buf);
	if (kbuf < 0)
		return fail("buffer out (udmabuf)", kbuf);
	close(kbuf);
	printf("ok buffer out\n");
	return 0;
}

static int fence_out(void)
{
	struct pollfd p = { .events = POLLIN };
	int tl, fence, r;

	tl = dmabufd_timeline_create();
	if (tl < 0)
		return fail("sw_sync timeline", tl);
	fence = dmabufd_timeline_create_fence(tl, "sd-client-kexport", 1);
	if (fence < 0)
		return fail("sync_file fence", fence);
	p.fd = dmabufd_fence_export_kernel(fence);
	if (p.fd < 0)
		return fail("fence out (sw_sync)", p.fd);
	if (poll(&p, 1, 0) != 0)
		return fail("kernel fence pending before the signal", -EIO);
	r = dmabufd_timeline_inc(tl, 1);
	if (r < 0)
		return fail("sw_sync inc", r);
	if (poll(&p, 1, 10000) != 1)
		return fail("kernel fence signaled after the dmabufd one", -ETIME);
	printf("ok fence out\n");
	close(p.fd);
	close(fence);
	close(tl);
	return 0;
}

static int export_to_kernel(void)
{
	int bad = buffer_out();

	return fence_out() | bad;
}

static int wait_unsignaled(int timeout_ms)
{
	int64_t ns = (int64_t)timeout_ms * 1000000;
	int tl, fence, r, status = 0;

	tl = dmabufd_timeline_create();
	if (tl < 0)
		return fail("sw_sync timeline", tl);
	fence = dmabufd_timeline_create_fence(tl, "sd-client-wait", 1);
	if (fence < 0)
		return fail("sync_file fence", fence);
	printf("waiting pid %d\n", (int)getpid());
	/* One wait, its status from the same reply: the daemon may be gone
	 * right after it. Signals (none expected) just wait again. */
	do
		r = dmabufd_sync_wait_ns(fence, ns, &status);
	while (r == -EINTR);
	if (r == 0)
		printf("wait: signaled status %d (%s)\n", status,
		       status < 0 ? errname(status) : "ok");
	else
		printf("wait: error %s\n", errname(r));
	return 0;
}

static int xfer(int timeout_ms)
{
	int chan, dst, r;
	int32_t cookie;

	cookie = queue_copy(4 << 20, &chan, &dst);
	if (cookie < 0)
		return fail("dmaengine memcpy", cookie);
	printf("queued\n");
	r = dmabufd_dma_wait(chan, cookie, timeout_ms);
	if (r < 0) {
		printf("xfer: error %s\n", errname(r));
		return 0;
	}
	r = all_bytes(dst, 0x5a);
	if (r < 0)
		printf("xfer: done, bytes unreadable: %s\n", errname(r));
	else
		printf("xfer: done, bytes %s\n", r ? "ok" : "wrong");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "use"))
		return use_every_node();
	if (argc == 2 && !strcmp(argv[1], "refused"))
		return refused_every_node();
	if (argc == 3 && !strcmp(argv[1], "wait"))
		return wait_unsignaled(atoi(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "kexport"))
		return export_to_kernel();
	if (argc == 3 && !strcmp(argv[1], "xfer"))
		return xfer(atoi(argv[2]));
	fprintf(stderr, "usage: sd-client use | refused | kexport | wait MS | xfer MS\n");
	return 2;
}
