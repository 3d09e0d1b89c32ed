/* SPDX-License-Identifier: MIT */
/*
 * The stress run (meson suite "slow"): a daemon of its own on the FUSE
 * fallback, dozens of client processes of several uids doing a seeded
 * random mix of everything libdmabufd offers, a killer that SIGKILLs
 * them at random moments and starts new ones, and a probe that times one
 * cheap ioctl every 10 ms. Afterwards the daemon must be back where it
 * started: every stats count, its descriptors, its memory (within a
 * margin), alive, and exit 0 on SIGTERM with no leak reported.
 *
 *   stress DAEMON
 *
 * Environment: STRESS_SECONDS (run time, default 60), STRESS_SEED (the
 * seed; default from the clock, printed either way), STRESS_CLIENTS
 * (default 28, at most 64). The seed fixes each client's choices, not
 * the timing: two runs with one seed do not do exactly the same.
 *
 * Clients tolerate the errors a busy multi-user daemon may rightly give
 * (EDQUOT, ENOMEM, EBUSY, ENODEV for no free channel, ETIME, EINTR, ...:
 * each listed at its call) and count them; any other error, a wrong
 * byte after a DMA copy, or a client ending by any signal but the
 * killer's fails the run. Nothing here is timed: waits are bounded
 * generously and latency is reported, never asserted.
 *
 * Output: the figures, one "ok - CHECK" or "FAIL - CHECK: why" line per
 * check, and last "stress: N passed, M failed" (tools/test-summary.py
 * counts the checks from it). Exit status 0 when every check passed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dmabufd/dmabufd.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KIB 1024u
#define MIB (1024u * 1024u)

/* How far the daemon's VmRSS may end above its baseline. The daemon
 * touches no buffer memory of its own after the run (the mock's copies
 * map and unmap), so what remains is the C heap: glibc keeps freed
 * chunks (and the mock worker thread's arena) instead of returning them
 * to the system, a few MiB after tens of thousands of objects came and
 * went. A leak the stats do not see (a buffer's memory held by a
 * mapping the daemon forgot) is at least a buffer, up to 4 MiB here,
 * and the run makes thousands. */
#define RSS_MARGIN_KIB (8 * 1024)
/* Bounds on waiting for the system, not measurements. */
#define SETTLE_MS 20000	     /* the daemon back to its baseline */
#define CLIENTS_END_MS 60000 /* clients finish their operation and exit */
#define READY_MS 20000	     /* the daemon up */
#define STOP_MS 15000	     /* the daemon gone after SIGTERM */

static const uid_t uids[] = { 0, 65534, 65533, 65532 };
#define MAX_CLIENTS 64
#define NLINES 8 /* the mock controller's loopback request lines */
/* Twice the default: room for a few loopback pairs at once beside the
 * copies (three uids of two channels each, and root). */
#define MOCK_CHANNELS 8
#define STR_(x) #x
#define STR(x) STR_(x)

enum op {
	OP_ALLOC, OP_CLOSE, OP_MMAP, OP_MUNMAP, OP_SEND_FD, OP_RECV_FD,
	OP_EXPORT_TOKEN, OP_CLAIM_TOKEN, OP_TIMELINE, OP_FENCE, OP_MERGE,
	OP_WAIT, OP_INC, OP_IMPORT, OP_EXPORT, OP_CPU_SYNC, OP_DMA_COPY,
	OP_DMA_SLAVE, OP_DMA_CYCLIC, OP_TERMINATE, OP_MAX,
};

static const char *const op_names[OP_MAX] = {
	[OP_ALLOC] = "alloc", [OP_CLOSE] = "close", [OP_MMAP] = "mmap",
	[OP_MUNMAP] = "munmap", [OP_SEND_FD] = "send-fd", [OP_RECV_FD] = "recv-fd",
	[OP_EXPORT_TOKEN] = "export-token", [OP_CLAIM_TOKEN] = "claim-token",
	[OP_TIMELINE] = "timeline", [OP_FENCE] = "fence", [OP_MERGE] = "merge",
	[OP_WAIT] = "wait", [OP_INC] = "inc", [OP_IMPORT] = "import-fence",
	[OP_EXPORT] = "export-fence", [OP_CPU_SYNC] = "cpu-sync",
	[OP_DMA_COPY] = "dma-copy", [OP_DMA_SLAVE] = "dma-slave",
	[OP_DMA_CYCLIC] = "dma-cyclic", [OP_TERMINATE] = "dma-terminate",
};

#define TOKEN_SLOTS 32
#define MAX_SAMPLES 200000
#define MAX_FAIL_MSGS 16

/* Shared by every process of the run (MAP_SHARED before the forks);
 * counters only grow, through atomics, so a client killed anywhere
 * leaves them consistent. */
struct shared {
	int stop;
	uint64_t ops[OP_MAX];
	uint64_t calls;			/* libdmabufd calls judged */
	uint64_t refused[256];		/* tolerated errors, by errno */
	uint64_t buf_tokens[TOKEN_SLOTS]; /* exported, not yet claimed */
	uint64_t sync_tokens[TOKEN_SLOTS];
	uint64_t failures;
	char fail_msg[MAX_FAIL_MSGS][200];
	uint64_t nsamples;
	uint32_t samples_us[MAX_SAMPLES];
};

static struct shared *sh;
static int mailbox[2] = { -1, -1 }; /* SOCK_DGRAM: fds in flight between clients */

/* ---- small helpers -------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* xorshift64*: each process its own state, from the run's seed. */
static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ull) >> 33) % (n ? n : 1);
}

static void seed_rng(uint64_t seed)
{
	rng = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
	if (!rng)
		rng = 1;
	for (int i = 0; i < 8; i++)
		rnd(2);
}

static void note_failure(const char *fmt, ...)
{
	uint64_t n = __atomic_fetch_add(&sh->failures, 1, __ATOMIC_SEQ_CST);
	va_list ap;

	if (n >= MAX_FAIL_MSGS)
		return;
	va_start(ap, fmt);
	vsnprintf(sh->fail_msg[n], sizeof(sh->fail_msg[n]), fmt, ap);
	va_end(ap);
}

/*
 * Judge a result @r (>= 0 or -errno) of operation @op: success counts the
 * operation done (if @count); an error among the zero-terminated tolerated ones
 * counts a refusal by errno; anything else is a failure: recorded, and
 * the client exits 3 at once. Returns true on success.
 */
static bool judge_(enum op op, bool count, long r, const char *what, int line, ...)
{
	va_list ap;
	int e;

	__atomic_fetch_add(&sh->calls, 1, __ATOMIC_RELAXED);
	if (r >= 0) {
		if (count)
			__atomic_fetch_add(&sh->ops[op], 1, __ATOMIC_RELAXED);
		return true;
	}
	va_start(ap, line);
	while ((e = va_arg(ap, int)) != 0) {
		if (-r == e) {
			va_end(ap);
			__atomic_fetch_add(&sh->refused[e & 255], 1, __ATOMIC_RELAXED);
			return false;
		}
	}
	va_end(ap);
	note_failure("pid %d uid %d: %s (line %d, %s): unexpected %s", (int)getpid(),
		     (int)getuid(), what, line, op_names[op], strerrorname_np((int)-r) ?: "?");
	_exit(3);
}
#define judge(op, r, ...) judge_((op), true, (long)(r), #r, __LINE__, __VA_ARGS__, 0)
/* The same for a step of operation @op that is not the operation itself:
 * counted as a library call only. */
#define call(op, r, ...) judge_((op), false, (long)(r), #r, __LINE__, __VA_ARGS__, 0)

static void fail_client(int line, const char *what)
{
	note_failure("pid %d uid %d: line %d: %s", (int)getpid(), (int)getuid(), line, what);
	_exit(3);
}
#define CHECK(cond)                                  \
	do {                                         \
		if (!(cond))                         \
			fail_client(__LINE__, #cond); \
	} while (0)

static int send_fd(int sock, int fd, uint64_t word)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = &word, .iov_len = sizeof(word) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c;

	memset(&control, 0, sizeof(control));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_DONTWAIT) == (ssize_t)sizeof(word) ? 0 : -errno;
}

/* One fd from the mailbox, or -EAGAIN when it is empty. */
static int recv_fd(int sock, int *ret_fd, uint64_t *ret_word)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	uint64_t word = 0;
	struct iovec iov = { .iov_base = &word, .iov_len = sizeof(word) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(word))
		return -errno;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (fd < 0)
		return -EPROTO;
	*ret_fd = fd;
	*ret_word = word;
	return 0;
}

/* ---- a client --------------------------------------------------------------- */

#define MAX_BUFS 8
#define MAX_SYNCS 16
#define MAX_TLS 4
#define MAX_MAPS 4

struct mapping {
	uint8_t *p;
	size_t len;
};

struct client {
	int bufs[MAX_BUFS];
	int syncs[MAX_SYNCS];
	int tls[MAX_TLS];
	uint32_t tl_value[MAX_TLS]; /* points handed out so far */
	struct mapping maps[MAX_MAPS];
	int nbufs, nsyncs, ntls, nmaps;
};

enum { WORD_BUF = 1, WORD_SYNC = 2 };

static size_t pick_size(void)
{
	static const size_t sizes[] = { 4 * KIB, 4 * KIB, 16 * KIB, 64 * KIB,
					256 * KIB, 1 * MIB, 4 * MIB };

	return sizes[rnd(ARRAY_SIZE(sizes))];
}

/* Keep @fd in @set (room @max): when full, a random one is closed. */
static void keep(int *set, int *n, int max, int fd)
{
	if (*n == max) {
		int i = (int)rnd((uint32_t)max);

		close(set[i]);
		set[i] = fd;
		__atomic_fetch_add(&sh->ops[OP_CLOSE], 1, __ATOMIC_RELAXED);
		return;
	}
	set[(*n)++] = fd;
}

static void drop(int *set, int *n, int i)
{
	close(set[i]);
	set[i] = set[--*n];
	__atomic_fetch_add(&sh->ops[OP_CLOSE], 1, __ATOMIC_RELAXED);
}

static void op_alloc(struct client *c)
{
	int fd = dmabufd_alloc("system", pick_size(), O_RDWR | O_CLOEXEC);

	if (judge(OP_ALLOC, fd, ENOMEM, EDQUOT))
		keep(c->bufs, &c->nbufs, MAX_BUFS, fd);
}

static void op_munmap(struct client *c)
{
	int i;

	if (!c->nmaps)
		return;
	i = (int)rnd((uint32_t)c->nmaps);
	CHECK(dmabufd_buf_munmap(c->maps[i].p, c->maps[i].len) == 0);
	__atomic_fetch_add(&sh->ops[OP_MUNMAP], 1, __ATOMIC_RELAXED);
	c->maps[i] = c->maps[--c->nmaps];
}

static void op_mmap(struct client *c)
{
	struct mapping m;
	void *p;
	int r;

	if (!c->nbufs) {
		op_alloc(c);
		return;
	}
	if (c->nmaps == MAX_MAPS)
		op_munmap(c);
	r = dmabufd_buf_mmap(c->bufs[rnd((uint32_t)c->nbufs)], PROT_READ | PROT_WRITE, &p,
			     &m.len);
	/* EMFILE/ENFILE: the daemon's last descriptors are kept for itself. */
	if (!judge(OP_MMAP, r, ENOMEM, EDQUOT, EMFILE))
		return;
	m.p = p;
	/* Touch a few pages: they become memory the heap must give back. */
	for (size_t off = 0; off < m.len; off += 64 * KIB)
		m.p[off] ^= (uint8_t)rnd(256);
	c->maps[c->nmaps++] = m;
}

static void op_close(struct client *c)
{
	switch (rnd(3)) {
	case 0:
		if (c->nbufs)
			drop(c->bufs, &c->nbufs, (int)rnd((uint32_t)c->nbufs));
		break;
	case 1:
		if (c->nsyncs)
			drop(c->syncs, &c->nsyncs, (int)rnd((uint32_t)c->nsyncs));
		break;
	default:
		/* Closing a timeline signals its pending points with -ENOENT. */
		if (c->ntls) {
			int i = (int)rnd((uint32_t)c->ntls);

			close(c->tls[i]);
			c->tls[i] = c->tls[--c->ntls];
			c->tl_value[i] = c->tl_value[c->ntls];
			__atomic_fetch_add(&sh->ops[OP_CLOSE], 1, __ATOMIC_RELAXED);
		}
	}
}

static void op_timeline(struct client *c)
{
	int fd = dmabufd_timeline_create();

	if (!judge(OP_TIMELINE, fd, EDQUOT))
		return;
	if (c->ntls == MAX_TLS) {
		close(c->tls[0]);
		c->tls[0] = c->tls[--c->ntls];
		c->tl_value[0] = c->tl_value[c->ntls];
	}
	c->tls[c->ntls] = fd;
	c->tl_value[c->ntls++] = 0;
}

static void op_fence(struct client *c)
{
	int i, fd;

	if (!c->ntls) {
		op_timeline(c);
		return;
	}
	i = (int)rnd((uint32_t)c->ntls);
	c->tl_value[i] += 1 + rnd(3);
	fd = dmabufd_timeline_create_fence(c->tls[i], "stress", c->tl_value[i]);
	if (judge(OP_FENCE, fd, ENOMEM, EDQUOT))
		keep(c->syncs, &c->nsyncs, MAX_SYNCS, fd);
}

static void op_inc(struct client *c)
{
	if (!c->ntls) {
		op_timeline(c);
		return;
	}
	judge(OP_INC, dmabufd_timeline_inc(c->tls[rnd((uint32_t)c->ntls)], 1 + rnd(3)), 0);
}

static void op_merge(struct client *c)
{
	int fd;

	if (!c->nsyncs) {
		op_fence(c);
		return;
	}
	fd = dmabufd_sync_merge("merged", c->syncs[rnd((uint32_t)c->nsyncs)],
				c->syncs[rnd((uint32_t)c->nsyncs)]);
	if (judge(OP_MERGE, fd, ENOMEM, EDQUOT))
		keep(c->syncs, &c->nsyncs, MAX_SYNCS, fd);
}

static void op_wait(struct client *c)
{
	int fd, r;

	if (!c->nsyncs) {
		op_fence(c);
		return;
	}
	fd = c->syncs[rnd((uint32_t)c->nsyncs)];
	if (rnd(2))
		r = dmabufd_sync_wait(fd, (int)rnd(50));
	else
		r = dmabufd_sync_poll(fd, (int)rnd(50));
	judge(OP_WAIT, r, ETIME);
}

static void op_import(struct client *c)
{
	if (!c->nbufs || !c->nsyncs) {
		op_fence(c);
		return;
	}
	judge(OP_IMPORT,
	      dmabufd_buf_import_sync_file(c->bufs[rnd((uint32_t)c->nbufs)],
					   rnd(2) ? DMA_BUF_SYNC_READ : DMA_BUF_SYNC_WRITE,
					   c->syncs[rnd((uint32_t)c->nsyncs)]),
	      ENOMEM);
}

static void op_export(struct client *c)
{
	static const unsigned flags[] = { DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE,
					  DMA_BUF_SYNC_RW };
	int fd;

	if (!c->nbufs) {
		op_alloc(c);
		return;
	}
	fd = dmabufd_buf_export_sync_file(c->bufs[rnd((uint32_t)c->nbufs)],
					  flags[rnd(3)]);
	if (judge(OP_EXPORT, fd, ENOMEM, EDQUOT))
		keep(c->syncs, &c->nsyncs, MAX_SYNCS, fd);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Arm (ms > 0) or disarm (0) a one-shot SIGALRM that interrupts a call. */
static void alarm_ms(unsigned ms)
{
	struct itimerval it = { .it_value = { ms / 1000, (long)(ms % 1000) * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* A START waits for the buffer's implicit fences, which may be points of
 * a timeline nobody advances: an interval timer interrupts it (EINTR, the
 * FUSE interrupt path) after 20-300 ms. */
static void op_cpu_sync(struct client *c)
{
	static const unsigned dirs[] = { DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE,
					 DMA_BUF_SYNC_RW };
	unsigned dir = dirs[rnd(3)];
	int buf, r;

	if (!c->nbufs) {
		op_alloc(c);
		return;
	}
	buf = c->bufs[rnd((uint32_t)c->nbufs)];
	alarm_ms(20 + rnd(280));
	r = dmabufd_buf_sync(buf, DMA_BUF_SYNC_START | dir);
	alarm_ms(0);
	if (!judge(OP_CPU_SYNC, r, EINTR, ETIMEDOUT))
		return;
	call(OP_CPU_SYNC, dmabufd_buf_sync(buf, DMA_BUF_SYNC_END | dir), 0);
}

static void op_send_fd(struct client *c)
{
	bool buf = c->nbufs && (!c->nsyncs || rnd(2));
	int fd, r;

	if (!c->nbufs && !c->nsyncs) {
		op_alloc(c);
		return;
	}
	fd = buf ? c->bufs[rnd((uint32_t)c->nbufs)] : c->syncs[rnd((uint32_t)c->nsyncs)];
	r = send_fd(mailbox[0], fd, buf ? WORD_BUF : WORD_SYNC);
	/* A full mailbox is the socket's queue limit, not the daemon's. */
	if (r != -EAGAIN)
		judge(OP_SEND_FD, r, 0);
}

static void op_recv_fd(struct client *c)
{
	uint64_t word;
	int fd, r = recv_fd(mailbox[1], &fd, &word);

	if (r == -EAGAIN)
		return;
	if (!judge(OP_RECV_FD, r, 0))
		return;
	if (word == WORD_BUF)
		keep(c->bufs, &c->nbufs, MAX_BUFS, fd);
	else
		keep(c->syncs, &c->nsyncs, MAX_SYNCS, fd);
}

static void op_export_token(struct client *c)
{
	bool buf = c->nbufs && (!c->nsyncs || rnd(2));
	uint64_t token;
	int r;

	if (!c->nbufs && !c->nsyncs) {
		op_alloc(c);
		return;
	}
	r = dmabufd_export_token(buf ? c->bufs[rnd((uint32_t)c->nbufs)]
				     : c->syncs[rnd((uint32_t)c->nsyncs)],
				 &token);
	if (!judge(OP_EXPORT_TOKEN, r, ENOMEM, EDQUOT))
		return;
	/* A token it displaces from the board expires unclaimed. */
	__atomic_exchange_n(buf ? &sh->buf_tokens[rnd(TOKEN_SLOTS)]
				: &sh->sync_tokens[rnd(TOKEN_SLOTS)],
			    token, __ATOMIC_SEQ_CST);
}

static void op_claim_token(struct client *c)
{
	bool buf = rnd(2);
	uint64_t token = __atomic_exchange_n(buf ? &sh->buf_tokens[rnd(TOKEN_SLOTS)]
						 : &sh->sync_tokens[rnd(TOKEN_SLOTS)],
					     0, __ATOMIC_SEQ_CST);
	int fd;

	if (!token)
		return;
	/* EINVAL: expired (its fd closed, its exporter killed, its time up). */
	fd = buf ? dmabufd_buf_claim(token, O_RDWR | O_CLOEXEC) : dmabufd_sync_claim(token);
	if (!judge(OP_CLAIM_TOKEN, fd, EINVAL, EDQUOT))
		return;
	if (buf)
		keep(c->bufs, &c->nbufs, MAX_BUFS, fd);
	else
		keep(c->syncs, &c->nsyncs, MAX_SYNCS, fd);
}

/* ---- DMA on the mock controller ------------------------------------------ */

/* A channel: ENODEV when every channel is taken, EDQUOT past the uid's
 * channels (root is exempt). */
static int chan_get(enum op op)
{
	int fd = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 0, NULL);

	return call(op, fd, ENODEV, EBUSY, EDQUOT, EAGAIN) ? fd : -1;
}

struct dma_buf_map {
	int fd;
	uint8_t *p;
	size_t len;
	int id;
};

static bool dbuf_new(enum op op, struct dma_buf_map *b, size_t len, int chan)
{
	void *p;

	b->fd = dmabufd_alloc("system", len, O_RDWR | O_CLOEXEC);
	b->p = NULL;
	if (!call(op, b->fd, ENOMEM, EDQUOT))
		return false;
	if (!call(op, dmabufd_buf_mmap(b->fd, PROT_READ | PROT_WRITE, &p, &b->len), ENOMEM,
		   EDQUOT, EMFILE))
		return false;
	b->p = p;
	b->id = dmabufd_dma_attach(chan, b->fd, NULL);
	return call(op, b->id, ENOMEM, ENOSPC);
}

static void dbuf_free(struct dma_buf_map *b)
{
	if (b->p)
		dmabufd_buf_munmap(b->p, b->len);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	b->p = NULL;
}

/* A transfer's end: 0, or an error a busy engine may rightly give
 * (ECANCELED terminated, ETIMEDOUT the watchdog, ETIME our patience). */
static bool dma_ended(enum op op, int r)
{
	return judge(op, r, ECANCELED, ETIMEDOUT, ETIME);
}

static void op_dma_copy(struct client *c)
{
	struct dma_buf_map src = { .fd = -1 }, dst = { .fd = -1 };
	size_t len = pick_size() / (1 + rnd(4));
	int chan = chan_get(OP_DMA_COPY), tl = -1, gate = -1, r;
	uint8_t seed = (uint8_t)rnd(256);
	int32_t cookie;

	(void)c;
	if (chan < 0)
		return;
	if (!dbuf_new(OP_DMA_COPY, &src, len, chan) || !dbuf_new(OP_DMA_COPY, &dst, len, chan))
		goto out;
	for (size_t i = 0; i < len; i++)
		src.p[i] = (uint8_t)(seed + i * 7);
	/* Sometimes held back by an implicit fence on the source, released
	 * after the copy is queued. */
	if (rnd(4) == 0) {
		tl = dmabufd_timeline_create();
		if (!call(OP_DMA_COPY, tl, EDQUOT))
			goto out;
		gate = dmabufd_timeline_create_fence(tl, "gate", 1);
		if (!call(OP_DMA_COPY, gate, ENOMEM, EDQUOT))
			goto out;
		call(OP_DMA_COPY, dmabufd_buf_import_sync_file(src.fd, DMA_BUF_SYNC_WRITE, gate),
		      ENOMEM);
	}
	cookie = dmabufd_dma_memcpy(chan, (uint32_t)dst.id, 0, (uint32_t)src.id, 0, len,
				    rnd(2) ? DMABUFD_DMA_PREP_INTERRUPT : 0);
	if (!call(OP_DMA_COPY, cookie, EBUSY, ENOSPC, ENOMEM))
		goto out;
	if (tl >= 0)
		call(OP_DMA_COPY, dmabufd_timeline_inc(tl, 1), 0);
	if (rnd(5) == 0) {
		judge(OP_TERMINATE, dmabufd_dma_terminate(chan), 0);
		r = dmabufd_dma_wait(chan, cookie, 20000);
		dma_ended(OP_DMA_COPY, r);
		goto out;
	}
	r = dmabufd_dma_wait(chan, cookie, 20000);
	if (dma_ended(OP_DMA_COPY, r) && r == 0)
		for (size_t i = 0; i < len; i++)
			if (dst.p[i] != (uint8_t)(seed + i * 7))
				fail_client(__LINE__, "a completed DMA copy's bytes differ");
out:
	if (gate >= 0)
		close(gate);
	if (tl >= 0)
		close(tl);
	close(chan);
	dbuf_free(&src);
	dbuf_free(&dst);
}

static bool line_config(enum op op, int chan, uint32_t line)
{
	struct dmabufd_dma_slave_config cfg = {
		.src_addr_width = 4, .dst_addr_width = 4,
		.src_maxburst = 4, .dst_maxburst = 4,
		.request_line = line, .flags = DMABUFD_DMA_CFG_REQUEST_LINE,
	};

	return call(op, dmabufd_dma_slave_config(chan, &cfg), 0);
}

/*
 * A writer and a reader channel on one loopback line (shared with any
 * other client that picked it: a reader may get others' bytes, or wait
 * for ever for its own, which is ETIME here). @cyclic: both are rings
 * that run until terminated.
 */
static void op_dma_pair(bool cyclic)
{
	enum op op = cyclic ? OP_DMA_CYCLIC : OP_DMA_SLAVE;
	struct dma_buf_map out = { .fd = -1 }, in = { .fd = -1 };
	int wchan = chan_get(op), rchan = -1;
	uint32_t line = rnd(NLINES);
	size_t len = 4 * KIB << rnd(3);
	int32_t wc, rc;

	if (wchan < 0)
		return;
	rchan = chan_get(op);
	if (rchan < 0)
		goto out;
	if (!dbuf_new(op, &out, len, wchan) || !dbuf_new(op, &in, len, rchan))
		goto out;
	memset(out.p, 0x5a, len);
	if (!line_config(op, wchan, line) || !line_config(op, rchan, line))
		goto out;
	if (cyclic) {
		struct dmabufd_dma_event ev[DMABUFD_DMA_MAX_EVENTS];
		int64_t until = now_ms() + 50 + rnd(250);
		uint32_t lost;

		wc = dmabufd_dma_cyclic(wchan, (uint32_t)out.id, 0, len, len / 4,
					DMABUFD_DMA_MEM_TO_DEV, 0);
		if (!call(op, wc, EBUSY, ENOSPC, ENOMEM))
			goto out;
		rc = dmabufd_dma_cyclic(rchan, (uint32_t)in.id, 0, len, len / 4,
					DMABUFD_DMA_DEV_TO_MEM, DMABUFD_DMA_PREP_INTERRUPT);
		if (!call(op, rc, EBUSY, ENOSPC, ENOMEM))
			goto out;
		while (now_ms() < until) {
			struct pollfd p = { .fd = rchan, .events = POLLIN };

			if (poll(&p, 1, 20) == 1)
				call(op, dmabufd_dma_events(rchan, ev, ARRAY_SIZE(ev), &lost), 0);
		}
		judge(OP_TERMINATE, dmabufd_dma_terminate(wchan), 0);
		judge(OP_TERMINATE, dmabufd_dma_terminate(rchan), 0);
		call(op, dmabufd_dma_synchronize(rchan), 0);
		/* A terminated ring ends without an error. */
		judge(op, dmabufd_dma_wait(rchan, rc, 20000), ETIME);
		goto out;
	}
	wc = dmabufd_dma_slave(wchan, (uint32_t)out.id, 0, len, DMABUFD_DMA_MEM_TO_DEV, 0);
	if (!call(op, wc, EBUSY, ENOSPC, ENOMEM))
		goto out;
	rc = dmabufd_dma_slave(rchan, (uint32_t)in.id, 0, len, DMABUFD_DMA_DEV_TO_MEM, 0);
	if (!call(op, rc, EBUSY, ENOSPC, ENOMEM))
		goto out;
	dma_ended(op, dmabufd_dma_wait(rchan, rc, 1000 + (int)rnd(2000)));
	if (rnd(2)) {
		judge(OP_TERMINATE, dmabufd_dma_terminate(wchan), 0);
		judge(OP_TERMINATE, dmabufd_dma_terminate(rchan), 0);
	}
out:
	/* Closing a channel terminates what still runs on it. */
	if (rchan >= 0)
		close(rchan);
	close(wchan);
	dbuf_free(&out);
	dbuf_free(&in);
}

static void client_cleanup(struct client *c)
{
	for (int i = 0; i < c->nmaps; i++)
		CHECK(dmabufd_buf_munmap(c->maps[i].p, c->maps[i].len) == 0);
	for (int i = 0; i < c->nbufs; i++)
		close(c->bufs[i]);
	for (int i = 0; i < c->nsyncs; i++)
		close(c->syncs[i]);
	for (int i = 0; i < c->ntls; i++)
		close(c->tls[i]);
}

static int client_main(uid_t uid, uint64_t seed)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct client c = { 0 };
	unsigned ops;

	seed_rng(seed);
	ops = 100 + rnd(2000);
	if (uid && (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, uid) < 0)) {
		note_failure("dropping root to uid %d: %s", (int)uid, strerror(errno));
		return 2;
	}
	sigaction(SIGALRM, &sa, NULL);
	while (ops-- && !__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		uint32_t r = rnd(100);

		if (r < 10)
			op_alloc(&c);
		else if (r < 15)
			op_close(&c);
		else if (r < 22)
			op_mmap(&c);
		else if (r < 26)
			op_munmap(&c);
		else if (r < 30)
			op_send_fd(&c);
		else if (r < 34)
			op_recv_fd(&c);
		else if (r < 37)
			op_export_token(&c);
		else if (r < 40)
			op_claim_token(&c);
		else if (r < 43)
			op_timeline(&c);
		else if (r < 52)
			op_fence(&c);
		else if (r < 57)
			op_merge(&c);
		else if (r < 63)
			op_wait(&c);
		else if (r < 71)
			op_inc(&c);
		else if (r < 76)
			op_import(&c);
		else if (r < 80)
			op_export(&c);
		else if (r < 85)
			op_cpu_sync(&c);
		else if (r < 93)
			op_dma_copy(&c);
		else if (r < 97)
			op_dma_pair(false);
		else
			op_dma_pair(true);
	}
	client_cleanup(&c);
	return 0;
}

/* ---- the probe ------------------------------------------------------------ */

/* One SW_SYNC_IOC_INC on a timeline of its own every 10 ms: a round trip
 * through the kernel's FUSE and the daemon's loop, nothing more. */
static int probe_main(void)
{
	int tl = dmabufd_timeline_create();

	if (tl < 0) {
		note_failure("probe: timeline: %s", strerror(-tl));
		return 1;
	}
	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		int64_t t0, t1;
		struct timespec ts;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t0 = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
		r = dmabufd_timeline_inc(tl, 1);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t1 = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
		if (r < 0) {
			note_failure("probe: SW_SYNC_IOC_INC: %s", strerror(-r));
			return 1;
		}
		uint64_t n = __atomic_fetch_add(&sh->nsamples, 1, __ATOMIC_RELAXED);

		if (n < MAX_SAMPLES)
			sh->samples_us[n] = (uint32_t)(t1 - t0);
		sleep_ms(10);
	}
	close(tl);
	return 0;
}

/* ---- the run ------------------------------------------------------------- */

static char tmp[64], root[96], ctl[96], logpath[96];
static pid_t daemon_pid = -1;
static unsigned checks_passed, checks_failed;

static void check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok - %s\n", name);
		checks_passed++;
		return;
	}
	printf("FAIL - %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	checks_failed++;
}

static bool is_mounted(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/mounts", "re");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');

		found = sp && !strncmp(sp + 1, root, strlen(root)) &&
			sp[1 + strlen(root)] == ' ';
	}
	fclose(f);
	return found;
}

static void print_daemon_log(void)
{
	char line[512];
	FILE *f = fopen(logpath, "re");

	if (!f)
		return;
	fprintf(stderr, "--- daemon log\n");
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "  | %s", line);
	fclose(f);
}

/* Whatever happened: no daemon, mount or directory left behind. */
static void teardown(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
		daemon_pid = -1;
	}
	if (root[0] && is_mounted())
		umount2(root, MNT_DETACH);
	if (tmp[0]) {
		DIR *d = opendir(tmp);
		struct dirent *e;

		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name,
					 !strcmp(e->d_name, "dev") ? AT_REMOVEDIR : 0);
		if (d)
			closedir(d);
		rmdir(tmp);
		tmp[0] = 0;
	}
}

static bool log_has(const char *what)
{
	char line[512];
	FILE *f = fopen(logpath, "re");
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return found;
}

static bool start_daemon(const char *exe)
{
	char a_root[128], a_ctl[128];
	struct stat st;
	int64_t deadline;

	snprintf(a_root, sizeof(a_root), "--dev-root=%s", root);
	snprintf(a_ctl, sizeof(a_ctl), "--control=%s", ctl);
	daemon_pid = fork();
	if (daemon_pid < 0)
		return false;
	if (daemon_pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		/* Default limits; nodes every uid may open. Tokens live ten
		 * minutes, not ten seconds: on a shared host a stall past
		 * the default TTL between an ALLOC and its CLAIM would
		 * expire the token, which the clients rightly call a
		 * failure (the TTL itself is test-token's). */
		execl(exe, exe, "--foreground", "--no-config", "--transport=fuse", a_root, a_ctl,
		      "--node-mode=0666", "--mock-channels=" STR(MOCK_CHANNELS),
		      "--token-ttl-ms=600000", (char *)NULL);
		_exit(127);
	}
	deadline = now_ms() + READY_MS;
	while (now_ms() < deadline) {
		char node[160];

		if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
			daemon_pid = -1;
			return false;
		}
		snprintf(node, sizeof(node), "%s/dmabufd/dma_buf", root);
		if (log_has("dmabufd: ready") && stat(node, &st) == 0 && stat(ctl, &st) == 0 &&
		    S_ISSOCK(st.st_mode))
			return true;
		sleep_ms(50);
	}
	return false;
}

static int daemon_fds(void)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)daemon_pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * The daemon's fds once they hold still: each stats request is a control
 * connection whose fd the daemon closes when it gets to it, so a count
 * taken right after one may include it. Two equal counts 100 ms apart.
 */
static int daemon_quiet_fds(void)
{
	int n = daemon_fds();

	for (int i = 0; i < 50; i++) {
		int again;

		sleep_ms(100);
		again = daemon_fds();
		if (again == n)
			break;
		n = again;
	}
	return n;
}

static long daemon_rss_kib(void)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)daemon_pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* Whether the daemon runs under a sanitizer runtime (ASan keeps freed
 * memory in quarantine, 256 MiB by default: its RSS says nothing then). */
static bool daemon_sanitized(void)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)daemon_pid);
	f = fopen(path, "re");
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, "/libasan.so") || strstr(line, "/libtsan.so");
	if (f)
		fclose(f);
	return found;
}

/* Every count but the refusals and request counters, which only grow. */
static bool stat_compared(unsigned i)
{
	return !dmabufd_stat_is_cumulative(i);
}

static unsigned stats_diff(const struct dmabufd_ctl_stats *a,
			   const struct dmabufd_ctl_stats *b, bool print)
{
	unsigned n = 0;

	for (unsigned i = 0; i < _DMABUFD_STAT_MAX; i++) {
		if (!stat_compared(i) || a->count[i] == b->count[i])
			continue;
		n++;
		if (print)
			printf("  %s: %lld at baseline, %lld now\n", dmabufd_stat_name(i) ?: "?",
			       (long long)a->count[i], (long long)b->count[i]);
	}
	return n;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static pid_t spawn(int (*fn)(uid_t, uint64_t), uid_t uid, uint64_t seed)
{
	pid_t pid = fork();

	if (pid == 0) {
		close(STDIN_FILENO);
		_exit(fn(uid, seed));
	}
	return pid;
}

static int probe_entry(uid_t uid, uint64_t seed)
{
	(void)uid;
	(void)seed;
	return probe_main();
}

struct slot {
	pid_t pid;
	bool killed; /* by the killer: a SIGKILL end is expected */
};

static unsigned spawned, killed, ended_clean;

/* Account for a child that ended; false if it crashed or failed. */
static void reaped(struct slot *slots, unsigned n, pid_t pid, int status)
{
	for (unsigned i = 0; i < n; i++) {
		if (slots[i].pid != pid)
			continue;
		slots[i].pid = 0;
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && slots[i].killed)
			return;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			ended_clean++;
			return;
		}
		if (WIFSIGNALED(status))
			note_failure("client %d (uid %d) died of signal %s", (int)pid,
				     (int)uids[i % ARRAY_SIZE(uids)],
				     strsignal(WTERMSIG(status)));
		else if (WEXITSTATUS(status) != 3) /* 3: it recorded why */
			note_failure("client %d (uid %d) exited %d", (int)pid,
				     (int)uids[i % ARRAY_SIZE(uids)], WEXITSTATUS(status));
		return;
	}
}

static unsigned env_uint(const char *name, unsigned def, unsigned max)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		return def;
	n = strtoul(v, &end, 10);
	if (*end || n > max) {
		fprintf(stderr, "stress: %s=%s: a number up to %u please\n", name, v, max);
		exit(2);
	}
	return (unsigned)n;
}

int main(int argc, char **argv)
{
	unsigned seconds = env_uint("STRESS_SECONDS", 60, 86400);
	unsigned nclients = env_uint("STRESS_CLIENTS", 28, MAX_CLIENTS);
	struct dmabufd_ctl_stats base, now;
	struct slot slots[MAX_CLIENTS] = { 0 };
	uint64_t seed, total_ops = 0, total_refused = 0;
	int fds_before, fds_after, status, r;
	long rss_before, rss_after;
	pid_t probe;
	int64_t t_end, t0, settle_ms;
	bool settled, alive;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DAEMON\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		printf("stress: needs root (clients of several uids)\n");
		return 77;
	}
	if (getenv("STRESS_SEED") && *getenv("STRESS_SEED"))
		seed = strtoull(getenv("STRESS_SEED"), NULL, 0);
	else
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	seed_rng(seed);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("stress: seed %" PRIu64 " (STRESS_SEED=%" PRIu64 " repeats its choices), "
	       "%u clients of uids 0/65534/65533/65532, %u s\n",
	       seed, seed, nclients, seconds);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, mailbox) < 0)
		return 1;

	/* As tests/integration/run.sh: a private device root and control
	 * socket in a directory every uid may enter. */
	snprintf(tmp, sizeof(tmp), "%s/dmabufd-stress.XXXXXX", "/tmp");
	if (!mkdtemp(tmp))
		return 1;
	chmod(tmp, 0755);
	snprintf(root, sizeof(root), "%s/dev", tmp);
	snprintf(ctl, sizeof(ctl), "%s/control", tmp);
	snprintf(logpath, sizeof(logpath), "%s/daemon.log", tmp);
	mkdir(root, 0755);
	atexit(teardown);
	setenv("DMABUFD_DEV_ROOT", root, 1);
	setenv("DMABUFD_CONTROL", ctl, 1);
	if (!start_daemon(argv[1])) {
		printf("stress: the daemon did not start\n");
		print_daemon_log();
		return 1;
	}

	/* The baseline, once the daemon is idle and has made what it keeps
	 * for good at its first allocation (the system heap's current arena,
	 * one fd): one buffer made and released first. */
	r = dmabufd_alloc("system", 4096, O_RDWR | O_CLOEXEC);
	if (r < 0) {
		printf("stress: warm-up allocation: %s\n", strerror(-r));
		return 1;
	}
	close(r);
	sleep_ms(500);
	if ((r = dmabufd_stats(&base)) < 0) {
		printf("stress: stats: %s\n", strerror(-r));
		return 1;
	}
	fds_before = daemon_quiet_fds();
	rss_before = daemon_rss_kib();

	probe = spawn(probe_entry, 0, 0);
	for (unsigned i = 0; i < nclients; i++) {
		slots[i].pid = spawn(client_main, uids[i % ARRAY_SIZE(uids)], seed + ++spawned);
		slots[i].killed = false;
	}

	/* The killer: every 20-300 ms, a random client may die; every
	 * client that ended is replaced. */
	t0 = now_ms();
	t_end = t0 + (int64_t)seconds * 1000;
	while (now_ms() < t_end) {
		pid_t pid;

		sleep_ms(20 + rnd(280));
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid == probe) {
				note_failure("the probe ended early");
				probe = 0;
				continue;
			}
			reaped(slots, nclients, pid, status);
		}
		if (rnd(3)) {
			unsigned i = rnd(nclients);

			if (slots[i].pid > 0 && !slots[i].killed) {
				kill(slots[i].pid, SIGKILL);
				slots[i].killed = true;
				killed++;
			}
		}
		for (unsigned i = 0; i < nclients; i++) {
			if (slots[i].pid)
				continue;
			slots[i].pid = spawn(client_main, uids[i % ARRAY_SIZE(uids)],
					     seed + ++spawned);
			slots[i].killed = false;
		}
	}

	/* The end: every client finishes its operation and exits. */
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	t_end = now_ms() + CLIENTS_END_MS;
	for (;;) {
		unsigned left = 0;
		pid_t pid;

		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid == probe) {
				if (!WIFEXITED(status) || WEXITSTATUS(status))
					note_failure("the probe failed");
				probe = 0;
				continue;
			}
			reaped(slots, nclients, pid, status);
		}
		for (unsigned i = 0; i < nclients; i++)
			left += slots[i].pid > 0;
		if (!left && !probe)
			break;
		if (now_ms() >= t_end) {
			note_failure("%u clients%s still running %d s after the end: the "
				     "daemon stopped answering them", left,
				     probe ? " and the probe" : "", CLIENTS_END_MS / 1000);
			for (unsigned i = 0; i < nclients; i++)
				if (slots[i].pid > 0) {
					kill(slots[i].pid, SIGKILL);
					waitpid(slots[i].pid, NULL, 0);
					slots[i].pid = 0;
				}
			if (probe) {
				kill(probe, SIGKILL);
				waitpid(probe, NULL, 0);
			}
			break;
		}
		sleep_ms(20);
	}
	/* Fds still in the mailbox: nobody is left to take them. */
	for (;;) {
		uint64_t word;
		int fd;

		if (recv_fd(mailbox[1], &fd, &word) < 0)
			break;
		close(fd);
	}
	close(mailbox[0]);
	close(mailbox[1]);

	/* Settle: the daemon takes FUSE releases asynchronously, and sees a
	 * killed client's mappings go by inotify or its 1 s sweep. */
	t0 = now_ms();
	settled = false;
	while (!settled && now_ms() - t0 < SETTLE_MS) {
		if (dmabufd_stats(&now) == 0 && stats_diff(&base, &now, false) == 0 &&
		    daemon_quiet_fds() == fds_before)
			settled = true;
		else
			sleep_ms(100);
	}
	settle_ms = now_ms() - t0;
	alive = kill(daemon_pid, 0) == 0 && waitpid(daemon_pid, &status, WNOHANG) == 0;
	if (dmabufd_stats(&now) < 0)
		memset(&now, 0xff, sizeof(now));
	fds_after = daemon_quiet_fds();
	rss_after = daemon_rss_kib();

	/* The figures. */
	printf("\nstress: operations done, by kind:\n");
	for (unsigned i = 0; i < OP_MAX; i++) {
		printf("  %-14s %" PRIu64 "\n", op_names[i], sh->ops[i]);
		total_ops += sh->ops[i];
	}
	printf("  %-14s %" PRIu64 " (%" PRIu64 " libdmabufd calls)\n", "total", total_ops,
	       sh->calls);
	printf("stress: clients started %u, killed %u, ended on their own %u\n", spawned,
	       killed, ended_clean);
	printf("stress: refusals, by errno:");
	for (unsigned e = 0; e < 256; e++)
		if (sh->refused[e]) {
			printf(" %s %" PRIu64, strerrorname_np((int)e) ?: "?", sh->refused[e]);
			total_refused += sh->refused[e];
		}
	printf(" (total %" PRIu64 ")\n", total_refused);
	printf("stress: daemon refusals of per-uid limits: bytes %lld, files %lld, tokens %lld, "
	       "channels %lld, connections %lld\n",
	       (long long)now.count[DMABUFD_STAT_REFUSED_BYTES],
	       (long long)now.count[DMABUFD_STAT_REFUSED_FILES],
	       (long long)now.count[DMABUFD_STAT_REFUSED_TOKENS],
	       (long long)now.count[DMABUFD_STAT_REFUSED_CHANNELS],
	       (long long)now.count[DMABUFD_STAT_REFUSED_CONNECTIONS]);
	printf("stress: objects leaked (stats counts off baseline): %u, after %.1f s of "
	       "settling\n", stats_diff(&base, &now, false), (double)settle_ms / 1000);
	stats_diff(&base, &now, true);
	printf("stress: daemon fds %d before, %d after; VmRSS %ld KiB before, %ld KiB after\n",
	       fds_before, fds_after, rss_before, rss_after);
	{
		uint64_t n = sh->nsamples < MAX_SAMPLES ? sh->nsamples : MAX_SAMPLES;

		qsort(sh->samples_us, n, sizeof(sh->samples_us[0]), cmp_u32);
		if (n)
			printf("stress: probe (SW_SYNC_IOC_INC every 10 ms), %" PRIu64
			       " samples: p50 %u us, p99 %u us, max %u us\n", n,
			       sh->samples_us[n / 2], sh->samples_us[n * 99 / 100],
			       sh->samples_us[n - 1]);
	}
	for (uint64_t i = 0; i < sh->failures && i < MAX_FAIL_MSGS; i++)
		printf("stress: failure: %s\n", sh->fail_msg[i]);

	/* The checks. */
	putchar('\n');
	check(sh->failures == 0, "clients and probe met only tolerated errors",
	      "%" PRIu64 " failures (above)", sh->failures);
	check(killed > 0 && total_ops > 0, "clients worked and were killed",
	      "%" PRIu64 " operations, %u killed", total_ops, killed);
	check(alive, "daemon alive after the run", "it is gone");
	check(settled || stats_diff(&base, &now, false) == 0,
	      "every stats count back at baseline", "%u counts differ (above)",
	      stats_diff(&base, &now, false));
	check(fds_after == fds_before, "daemon fds back at baseline", "%d before, %d after",
	      fds_before, fds_after);
	if (daemon_sanitized())
		printf("(daemon VmRSS not checked: it runs under a sanitizer)\n");
	else
		check(rss_after >= 0 && rss_after <= rss_before + RSS_MARGIN_KIB,
		      "daemon VmRSS within 8 MiB of baseline", "%ld KiB before, %ld KiB after",
		      rss_before, rss_after);

	/* SIGTERM: exit 0, no leak reported, nothing left behind. */
	if (alive) {
		int64_t deadline = now_ms() + STOP_MS;
		bool exited = false;

		kill(daemon_pid, SIGTERM);
		while (now_ms() < deadline)
			if (waitpid(daemon_pid, &status, WNOHANG) == daemon_pid) {
				exited = true;
				break;
			} else {
				sleep_ms(50);
			}
		if (exited)
			daemon_pid = -1;
		if (exited)
			check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "daemon exits 0 on SIGTERM", "wait status 0x%x", status);
		else
			check(false, "daemon exits 0 on SIGTERM", "still running %d s later",
			      STOP_MS / 1000);
		check(!log_has("leak at exit"), "daemon reports no leak at exit",
		      "see its log");
		check(!is_mounted(), "daemon leaves no mount", "%s still mounted", root);
		check(access(ctl, F_OK) < 0, "daemon leaves no control socket", "%s is there",
		      ctl);
	}
	if (checks_failed)
		print_daemon_log();
	printf("stress: %u passed, %u failed\n", checks_passed, checks_failed);
	return checks_failed ? 1 : 0;
}
