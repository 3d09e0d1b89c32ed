/* SPDX-License-Identifier: MIT */
/*
 * dmabufd demo: a producer and a consumer process share a buffer and a
 * fence. The producer allocates a dma-buf from the system heap, creates a
 * sw_sync timeline and a fence on it, and hands both to the consumer (over
 * a Unix socket with SCM_RIGHTS, or with --tokens as two 64-bit claim
 * tokens). The consumer waits on the fence; the producer writes its frame
 * and only then signals. The consumer checks that it saw nothing before the
 * fence and everything after it.
 *
 *   pipeline [--tokens]
 *
 * Needs a running dmabufd (see tools/demo.sh). Exit status 0 on success.
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
		say(me, "claimed the buffer (fd %d, read-only) and the fence (fd %d) from tokens",
		    buf, fence);
	} else {
		recv_word(sock, &buf);
		recv_word(sock, &fence);
		if (buf < 0 || fence < 0)
			die(me, "SCM_RIGHTS", EPROTO);
		say(me, "received the buffer (fd %d) and the fence (fd %d) over SCM_RIGHTS",
		    buf, fence);
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
	say(me, "fence signaled (status %d) at %.3f ms; woke %.3f ms later",
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
		say(me, "ERROR: the producer finished writing after the fence signaled");
		ok = 0;
	} else {
		say(me, "the producer finished writing %.3f ms before the fence signaled: "
			"the data was complete when we woke",
		    (double)((int64_t)fi.timestamp_ns - (int64_t)frame->written_ns) / 1e6);
	}
	dmabufd_buf_end_cpu_access(buf, DMA_BUF_SYNC_READ);
	dmabufd_buf_munmap(addr, len);
	close(fence);
	close(buf);
	say(me, ok ? "done: saw the data only after the fence" : "done, with errors");
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *me = "producer";
	int use_tokens = argc > 1 && strcmp(argv[1], "--tokens") == 0;
	int sv[2], buf, timeline, fence, r, status;
	struct frame *frame;
	char root[256];
	size_t len;
	void *addr;
	pid_t pid;

	t0 = now_ns();
	dmabufd_get_dev_root(root, sizeof(root));
	say(me, "dmabufd device root: %s", root);

	buf = dmabufd_alloc("system", sizeof(struct frame), O_RDWR | O_CLOEXEC);
	if (buf < 0)
		die(me, "dmabufd_alloc", buf);
	dmabufd_buf_set_name(buf, "pipeline-frame");
	say(me, "allocated a %" PRId64 "-byte buffer from the system heap (fd %d)",
	    dmabufd_buf_size(buf), buf);
	timeline = dmabufd_timeline_create();
	if (timeline < 0)
		die(me, "dmabufd_timeline_create", timeline);
	fence = dmabufd_timeline_create_fence(timeline, "frame-ready", 1);
	if (fence < 0)
		die(me, "dmabufd_timeline_create_fence", fence);
	say(me, "created a timeline (fd %d) and a fence at point 1 (fd %d)", timeline, fence);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die(me, "socketpair", errno);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die(me, "fork", errno);
	if (pid == 0) {
		/* The consumer gets nothing by inheritance: only what is sent. */
		close(sv[0]);
		close(buf);
		close(fence);
		close(timeline);
		_exit(consumer(sv[1], use_tokens));
	}
	close(sv[1]);

	if (use_tokens) {
		uint64_t bt, ft;

		r = dmabufd_export_token(buf, &bt);
		if (r < 0)
			die(me, "dmabufd_export_token", r);
		r = dmabufd_export_token(fence, &ft);
		if (r < 0)
			die(me, "dmabufd_export_token", r);
		send_word(sv[0], bt, -1);
		send_word(sv[0], ft, -1);
		say(me, "sent claim tokens %016" PRIx64 " and %016" PRIx64 " to the consumer (pid %d)",
		    bt, ft, (int)pid);
	} else {
		send_word(sv[0], 0, buf);
		send_word(sv[0], 0, fence);
		say(me, "sent the buffer and the fence fds to the consumer (pid %d)", (int)pid);
	}

	recv_word(sv[0], NULL);
	say(me, "the consumer is waiting; writing the frame (slowly)");
	r = dmabufd_buf_mmap(buf, PROT_READ | PROT_WRITE, &addr, &len);
	if (r < 0)
		die(me, "dmabufd_buf_mmap", r);
	frame = addr;
	r = dmabufd_buf_begin_cpu_access(buf, DMA_BUF_SYNC_WRITE);
	if (r < 0)
		die(me, "dmabufd_buf_begin_cpu_access", r);
	usleep(100000);
	strcpy(frame->text, message);
	frame->sequence = 1;
	frame->written_ns = (uint64_t)now_ns();
	dmabufd_buf_end_cpu_access(buf, DMA_BUF_SYNC_WRITE);
	say(me, "frame written; the consumer is still blocked. Signaling the fence");
	r = dmabufd_timeline_inc(timeline, 1);
	if (r < 0)
		die(me, "dmabufd_timeline_inc", r);

	if (waitpid(pid, &status, 0) != pid)
		die(me, "waitpid", errno);
	dmabufd_buf_munmap(addr, len);
	close(fence);
	close(timeline);
	close(buf);
	close(sv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		say(me, "the consumer failed");
		return 1;
	}
	say(me, "the consumer saw the frame only after the fence: OK");
	return 0;
}
