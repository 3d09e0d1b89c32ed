/* SPDX-License-Identifier: MIT */
/*
 * dmabufd demo: a producer and a consumer process, a DMA copy between them.
 *
 * The producer allocates a "capture" and a "display" dma-buf from the
 * system heap and a fence on a sw_sync timeline ("frame-ready"). It opens
 * a CPU write bracket on the capture buffer and publishes the fence there
 * as a writer (DMA_BUF_IOCTL_IMPORT_SYNC_FILE): the frame is not there
 * until the fence signals. Then it queues a DMA copy capture -> display
 * on a channel of the daemon's mock controller; the copy waits for that
 * implicit fence (dma_resv), as a kernel driver's job would. The consumer
 * receives the display buffer and the copy's completion fence (over a
 * Unix socket with SCM_RIGHTS, or with --tokens as two 64-bit claim
 * tokens) and waits. The producer writes its frame, closes the bracket and
 * signals the timeline; the engine copies; the copy's fence signals; the
 * consumer wakes and checks that it saw nothing before the fence and the
 * whole frame after it.
 *
 *   pipeline [--tokens]
 *
 * Needs a running dmabufd with a DMA controller offering memcpy (the mock:
 * see tools/demo.sh). Exit status 0 on success.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dmabufd/dmabufd.h>

/* What the producer writes into the buffer. */
struct frame {
	uint64_t written_ns;    /* CLOCK_MONOTONIC when the producer finished */
	uint32_t sequence;
	char text[64];
};

static const char message[] = "frame 1: hello from the producer";

static int64_t t0;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void say(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *who, const char *fmt, ...)
{
	va_list ap;

	printf("[%7.3f ms] %-8s ", (double)(now_ns() - t0) / 1e6, who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void die(const char *who, const char *what, int err)
{
	say(who, "FAILED: %s: %s", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* One message: a 64-bit word and, if fd >= 0, a descriptor. */
static void send_word(int sock, uint64_t word, int fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = &word, .iov_len = sizeof(word) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	memset(&control, 0, sizeof(control));
	if (fd >= 0) {
		struct cmsghdr *c;

		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(sock, &msg, 0) != sizeof(word))
		die("socket", "sendmsg", errno);
}

static uint64_t recv_word(int sock, int *ret_fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	uint64_t word = 0;
	struct iovec iov = { .iov_base = &word, .iov_len = sizeof(word) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != sizeof(word))
		die("socket", "recvmsg", errno ? errno : EPROTO);
	c = CMSG_FIRSTHDR(&msg);
	if (ret_fd) {
		*ret_fd = -1;
		if (c && c->cmsg_type == SCM_RIGHTS)
			memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
	}
	return word;
}

static int consumer(int sock, int use_tokens)
{
	const char *me = "consumer";
	struct dmabufd_sync_info info;
	struct sync_fence_info fi;
	struct frame *frame;
	int buf, fence, status, r, ok = 1;
	int64_t woke;
	size_t len;
	void *addr;

	if (use_tokens) {
		uint64_t buf_token = recv_word(sock, NULL), fence_token = recv_word(sock, NULL);

		buf = dmabufd_buf_claim(buf_token, O_RDONLY | O_CLOEXEC);
		if (buf < 0)
			die(me, "dmabufd_buf_claim", buf);
		fence = dmabufd_sync_claim(fence_token);
		if (fence < 0)
			die(me, "dmabufd_sync_claim", fence);
		say(me, "claimed the display buffer (fd %d, read-only) and the DMA "
			"copy's fence (fd %d) from tokens", buf, fence);
	} else {
		recv_word(sock, &buf);
		recv_word(sock, &fence);
		if (buf < 0 || fence < 0)
			die(me, "SCM_RIGHTS", EPROTO);
		say(me, "received the display buffer (fd %d) and the DMA copy's "
			"fence (fd %d) over SCM_RIGHTS", buf, fence);
	}

	r = dmabufd_buf_mmap(buf, PROT_READ, &addr, &len);
	if (r < 0)
		die(me, "dmabufd_buf_mmap", r);
	frame = addr;
	r = dmabufd_sync_status(fence, &status);
	if (r < 0)
		die(me, "dmabufd_sync_status", r);
	say(me, "fence status %d (0 = not signaled); buffer holds sequence %" PRIu32
		" text \"%s\" (nothing yet)", status, frame->sequence, frame->text);
	if (status != 0 || frame->sequence != 0 || frame->text[0] != '\0') {
		say(me, "ERROR: saw data or a signaled fence before the producer wrote");
		ok = 0;
	}

	say(me, "waiting for the fence...");
	send_word(sock, 1, -1);         /* tell the producer we are waiting */
	r = dmabufd_sync_wait(fence, 10000);
	woke = now_ns();
	if (r < 0)
		die(me, "dmabufd_sync_wait", r);
	r = dmabufd_sync_file_info(fence, &info, &fi, 1);
	if (r < 0)
		die(me, "dmabufd_sync_file_info", r);
	say(me, "the copy's fence signaled (status %d) at %.3f ms; woke %.3f ms later",
	    info.status, (double)((int64_t)fi.timestamp_ns - t0) / 1e6,
	    (double)(woke - (int64_t)fi.timestamp_ns) / 1e6);

	r = dmabufd_buf_begin_cpu_access(buf, DMA_BUF_SYNC_READ);
	if (r < 0)
		die(me, "dmabufd_buf_begin_cpu_access", r);
	say(me, "buffer holds sequence %" PRIu32 " text \"%s\"", frame->sequence, frame->text);
	if (info.status != 1 || frame->sequence != 1 || strcmp(frame->text, message) != 0) {
		say(me, "ERROR: the frame is not what the producer wrote");
		ok = 0;
	}
	if ((int64_t)frame->written_ns > (int64_t)fi.timestamp_ns) {
		say(me, "ERROR: the copy finished before the producer finished writing");
		ok = 0;
	} else {
		say(me, "the producer finished writing %.3f ms before the copy's fence "
			"signaled: the frame was complete when we woke",
		    (double)((int64_t)fi.timestamp_ns - (int64_t)frame->written_ns) / 1e6);
	}
	dmabufd_buf_end_cpu_access(buf, DMA_BUF_SYNC_READ);
	dmabufd_buf_munmap(addr, len);
	close(fence);
	close(buf);
	say(me, ok ? "done: saw the data only after the fence" : "done, with errors");
	return ok ? 0 : 1;
}

/* Queue a DMA copy of @src into @dst; returns the channel fd and, in
 * *ret_cookie / *ret_fence, the transfer's cookie and completion fence. */
static int queue_copy(int dst, int src, size_t len, int32_t *ret_cookie,
		      int *ret_fence)
{
	const char *me = "producer";
	struct dmabufd_dma_chan_info info;
	int chan, src_id, dst_id, fence;
	int32_t cookie;

	chan = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY),
					       2000, &info);
	if (chan < 0)
		die(me, "dmabufd_dma_request_chan_by_cap (is a DMA controller "
			"configured?)", chan);
	src_id = dmabufd_dma_attach(chan, src, NULL);
	if (src_id < 0)
		die(me, "dmabufd_dma_attach", src_id);
	dst_id = dmabufd_dma_attach(chan, dst, NULL);
	if (dst_id < 0)
		die(me, "dmabufd_dma_attach", dst_id);
	cookie = dmabufd_dma_memcpy(chan, (uint32_t)dst_id, 0, (uint32_t)src_id, 0,
				    len, 0);
	if (cookie < 0)
		die(me, "dmabufd_dma_memcpy", cookie);
	fence = dmabufd_dma_fence(chan, cookie);
	if (fence < 0)
		die(me, "dmabufd_dma_fence", fence);
	say(me, "queued a DMA copy capture -> display on %s (cookie %d): it waits "
		"for frame-ready, the capture buffer's write fence", info.name, (int)cookie);
	*ret_cookie = cookie;
	*ret_fence = fence;
	return chan;
}

int main(int argc, char **argv)
{
	const char *me = "producer";
	int use_tokens = argc > 1 && strcmp(argv[1], "--tokens") == 0;
	int sv[2], capture, display, timeline, fence, chan, copy_fence, r, status;
	struct frame *frame;
	int32_t cookie;
	char root[256];
	size_t len;
	void *addr;
	pid_t pid;

	t0 = now_ns();
	dmabufd_get_dev_root(root, sizeof(root));
	say(me, "dmabufd device root: %s", root);

	capture = dmabufd_alloc("system", sizeof(struct frame), O_RDWR | O_CLOEXEC);
	if (capture < 0)
		die(me, "dmabufd_alloc", capture);
	dmabufd_buf_set_name(capture, "pipeline-capture");
	display = dmabufd_alloc("system", sizeof(struct frame), O_RDWR | O_CLOEXEC);
	if (display < 0)
		die(me, "dmabufd_alloc", display);
	dmabufd_buf_set_name(display, "pipeline-display");
	say(me, "allocated two %" PRId64 "-byte buffers from the system heap: capture "
		"(fd %d) and display (fd %d)", dmabufd_buf_size(capture), capture, display);
	timeline = dmabufd_timeline_create();
	if (timeline < 0)
		die(me, "dmabufd_timeline_create", timeline);
	fence = dmabufd_timeline_create_fence(timeline, "frame-ready", 1);
	if (fence < 0)
		die(me, "dmabufd_timeline_create_fence", fence);
	say(me, "created a timeline (fd %d) and the frame-ready fence at point 1 (fd %d)",
	    timeline, fence);

	/* The CPU takes the capture buffer for writing, then promises the
	 * frame by the fence: readers of the buffer (the DMA copy) wait. */
	r = dmabufd_buf_mmap(capture, PROT_READ | PROT_WRITE, &addr, &len);
	if (r < 0)
		die(me, "dmabufd_buf_mmap", r);
	frame = addr;
	r = dmabufd_buf_begin_cpu_access(capture, DMA_BUF_SYNC_WRITE);
	if (r < 0)
		die(me, "dmabufd_buf_begin_cpu_access", r);
	r = dmabufd_buf_import_sync_file(capture, DMA_BUF_SYNC_WRITE, fence);
	if (r < 0)
		die(me, "dmabufd_buf_import_sync_file", r);
	chan = queue_copy(display, capture, sizeof(struct frame), &cookie, &copy_fence);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die(me, "socketpair", errno);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die(me, "fork", errno);
	if (pid == 0) {
		/* The consumer gets nothing by inheritance: only what is sent. */
		close(sv[0]);
		close(capture);
		close(display);
		close(fence);
		close(copy_fence);
		close(timeline);
		close(chan);
		_exit(consumer(sv[1], use_tokens));
	}
	close(sv[1]);

	if (use_tokens) {
		uint64_t bt, ft;

		r = dmabufd_export_token(display, &bt);
		if (r < 0)
			die(me, "dmabufd_export_token", r);
		r = dmabufd_export_token(copy_fence, &ft);
		if (r < 0)
			die(me, "dmabufd_export_token", r);
		send_word(sv[0], bt, -1);
		send_word(sv[0], ft, -1);
		say(me, "sent claim tokens %016" PRIx64 " and %016" PRIx64 " to the consumer (pid %d)",
		    bt, ft, (int)pid);
	} else {
		send_word(sv[0], 0, display);
		send_word(sv[0], 0, copy_fence);
		say(me, "sent the display buffer and the copy's fence to the consumer (pid %d)",
		    (int)pid);
	}

	recv_word(sv[0], NULL);
	say(me, "the consumer is waiting; writing the frame (slowly)");
	usleep(100000);
	strcpy(frame->text, message);
	frame->sequence = 1;
	frame->written_ns = (uint64_t)now_ns();
	dmabufd_buf_end_cpu_access(capture, DMA_BUF_SYNC_WRITE);
	say(me, "frame written; the copy and the consumer still wait. Signaling frame-ready");
	r = dmabufd_timeline_inc(timeline, 1);
	if (r < 0)
		die(me, "dmabufd_timeline_inc", r);
	r = dmabufd_dma_wait(chan, cookie, 10000);
	if (r < 0)
		die(me, "dmabufd_dma_wait", r);
	say(me, "the DMA copy completed");

	if (waitpid(pid, &status, 0) != pid)
		die(me, "waitpid", errno);
	dmabufd_buf_munmap(addr, len);
	close(copy_fence);
	close(chan);
	close(fence);
	close(timeline);
	close(display);
	close(capture);
	close(sv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		say(me, "the consumer failed");
		return 1;
	}
	say(me, "the consumer saw the frame only after the copy's fence: OK");
	return 0;
}
