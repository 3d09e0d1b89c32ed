/* SPDX-License-Identifier: MIT */
/*
 * Integration: the dmaengine node on the mock controller, at the ioctl
 * level (proto/dmabufd/dmaengine.h) and through libdmabufd.
 *
 * The daemon runs with this program's own options (test-dma.args, read by
 * run.sh and the VM suite): the mock controller registers 3 s after start
 * (--mock-delay-ms), so the first test sees a request deferred and then
 * served; the name map has uart0:rx (channel 1, request line 2), uart0:tx
 * (any channel) and late:x (a controller that never comes).
 *
 * Faults are injected through the control socket (dmabufd_dma_fault), as
 * dmabufctl does. Every test ends with the daemon's object counts back
 * where they were (itest.h): channels, attachments, transfers, fences,
 * timers.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "itest.h"

#define CAP_MEMCPY DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY)
#define MIB (1024u * 1024u)
#define BOGUS_TOKEN 0x5eed1e55c0ffee01ull

/* ---- helpers --------------------------------------------------------------- */

static int chan_new(struct dmabufd_dma_chan_info *info)
{
	int fd = dmabufd_dma_request_chan_by_cap(CAP_MEMCPY, 0, info);

	assert_ok(fd);
	return fd;
}

static uint32_t attach(int chan, int buf)
{
	int id = dmabufd_dma_attach(chan, buf, NULL);

	assert_ok(id);
	assert_true(id > 0);
	return (uint32_t)id;
}

static uint8_t *map(int buf, size_t *ret_len)
{
	void *p;
	size_t len;

	assert_ok(dmabufd_buf_mmap(buf, PROT_READ | PROT_WRITE, &p, &len));
	if (ret_len)
		*ret_len = len;
	return p;
}

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed + i / 4096);
}

static bool filled(const uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(i * 7 + seed + i / 4096))
			return false;
	return true;
}

static bool zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void fault(const char *chan, uint32_t kind, uint32_t count)
{
	assert_ok(dmabufd_dma_fault(chan, kind, count));
}

/* A channel with a source (filled with @seed) and a destination buffer. */
struct copy_rig {
	int chan, src, dst;
	uint32_t src_id, dst_id;
	uint8_t *s, *d;
	size_t len;
	struct dmabufd_dma_chan_info info;
};

static void rig_open(struct copy_rig *r, size_t len, unsigned seed)
{
	r->len = len;
	r->chan = chan_new(&r->info);
	r->src = buf_new(len, O_RDWR | O_CLOEXEC);
	r->dst = buf_new(len, O_RDWR | O_CLOEXEC);
	r->s = map(r->src, NULL);
	r->d = map(r->dst, NULL);
	fill(r->s, len, seed);
	r->src_id = attach(r->chan, r->src);
	r->dst_id = attach(r->chan, r->dst);
}

static void rig_close(struct copy_rig *r)
{
	/* Faults stay with the channel: leave none behind. */
	fault(r->info.name, DMABUFD_CTL_FAULT_CLEAR, 0);
	dmabufd_buf_munmap(r->s, r->len);
	dmabufd_buf_munmap(r->d, r->len);
	close(r->chan);
	close(r->src);
	close(r->dst);
}

static int32_t copy(struct copy_rig *r, size_t len, unsigned flags)
{
	int32_t cookie = dmabufd_dma_memcpy(r->chan, r->dst_id, 0, r->src_id, 0, len, flags);

	assert_ok(cookie);
	assert_true(cookie >= 2);
	return cookie;
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

/* ---- deferral (first: the controller appears 3 s after the daemon) ----- */

static void request_by_name_is_deferred_until_the_controller_registers(void **state)
{
	struct dmabufd_dma_chan_info info;
	int64_t t0 = now_ns();
	int fd;

	fd = dmabufd_dma_request_chan("uart0", "rx", 0, NULL);
	if (fd >= 0)
		fail_msg("mock0 was there already: start the daemon with a longer "
			 "--mock-delay-ms (test-dma.args)");
	assert_errno(fd, EAGAIN);
	fd = dmabufd_dma_request_chan("uart0", "rx", 20000, &info);
	assert_ok(fd);
	assert_string_equal(info.device, "mock0");
	assert_string_equal(info.name, "dma0chan1");
	assert_int_equal(info.chan_id, 1);
	assert_true(info.caps & CAP_MEMCPY);
	assert_true(now_ns() - t0 < 20000000000LL);
	close(fd);
}

static void deferred_request_times_out_with_eagain(void **state)
{
	int64_t t0 = now_ns();

	assert_errno(dmabufd_dma_request_chan("late", "x", 300, NULL), EAGAIN);
	assert_true(now_ns() - t0 >= 290000000LL);
}

static void deferred_request_is_interrupted_by_a_signal(void **state)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 }, old;
	struct dmabufd_dma_request req = {
		.how = DMABUFD_DMA_REQ_BY_NAME,
		.timeout_ms = 10000,
		.consumer = "late",
		.name = "x",
	};
	int fd = dmabufd_open_node(DMABUFD_NODE_DMAENGINE, O_RDWR | O_CLOEXEC);
	int64_t t0;
	pid_t pid;

	assert_ok(fd);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	/* A helper process signals us. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!await_pending_request(5000))
			_exit(1);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	t0 = now_ns();
	assert_errno(raw_ioctl(fd, DMABUFD_DMA_IOC_REQUEST_CHAN, &req), EINTR);
	assert_true(now_ns() - t0 < 5000000000LL);
	assert_child_ok(pid);
	sigaction(SIGUSR1, &old, NULL);
	/* The fd is free to ask again. */
	req.how = DMABUFD_DMA_REQ_BY_CAP;
	req.cap_mask = CAP_MEMCPY;
	req.timeout_ms = 0;
	memset(req.consumer, 0, sizeof(req.consumer));
	assert_ok(raw_ioctl(fd, DMABUFD_DMA_IOC_REQUEST_CHAN, &req));
	close(fd);
}

/* ---- requests ---------------------------------------------------------------- */

static void request_by_cap_gets_a_memcpy_channel(void **state)
{
	struct dmabufd_dma_chan_info info;
	struct dmabufd_dma_caps caps;
	int fd = chan_new(&info);

	assert_string_equal(info.device, "mock0");
	assert_memory_equal(info.name, "dma0chan", 8);
	assert_ok(dmabufd_dma_caps(fd, &caps));
	assert_true(caps.cap_mask & CAP_MEMCPY);
	assert_true(caps.cap_mask & DMABUFD_DMA_CAP(DMABUFD_DMA_SLAVE));
	assert_true(caps.cap_mask & DMABUFD_DMA_CAP(DMABUFD_DMA_CYCLIC));
	assert_true(caps.directions & (1u << DMABUFD_DMA_MEM_TO_DEV));
	assert_int_equal(caps.max_sg, DMABUFD_DMA_MAX_SG);
	assert_true(caps.cmd_pause && caps.cmd_resume && caps.cmd_terminate);
	assert_true(caps.max_len >= 64 * MIB);
	close(fd);
}

static const struct dmabufd_ctl_dma_channel *find_chan(void *recs, uint32_t n, uint32_t size,
						       const char *name)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct dmabufd_ctl_dma_channel *c =
			(const void *)((char *)recs + (size_t)i * size);

		if (!strcmp(c->name, name))
			return c;
	}
	return NULL;
}

static void request_by_name_gets_the_mapped_channel_and_line(void **state)
{
	struct dmabufd_dma_chan_info info;
	const struct dmabufd_ctl_dma_channel *c;
	uint32_t n, size;
	void *recs;
	int fd = dmabufd_dma_request_chan("uart0", "rx", 0, &info);

	assert_ok(fd);
	assert_string_equal(info.name, "dma0chan1");
	assert_ok(dmabufd_ctl_list(DMABUFD_CTL_DMA_CHANNELS, &recs, &n, &size));
	c = find_chan(recs, n, size, "dma0chan1");
	assert_non_null(c);
	assert_int_equal(c->request_line, 2);
	assert_int_equal(c->client_count, 1);
	assert_true(c->flags & DMABUFD_CTL_CHAN_IN_USE);
	assert_true(c->flags & DMABUFD_CTL_CHAN_PRIVATE);
	assert_int_equal(c->timeout_ms, 4000); /* --dma-timeout-ms */
	free(recs);
	close(fd);
	/* "any channel" entries get one too. */
	fd = dmabufd_dma_request_chan("uart0", "tx", 0, &info);
	assert_ok(fd);
	assert_string_equal(info.device, "mock0");
	close(fd);
}

static void request_by_channel_name_gets_that_channel(void **state)
{
	struct dmabufd_dma_chan_info info;
	int fd = dmabufd_dma_request_chan_by_name("dma0chan3", 0, &info);

	assert_ok(fd);
	assert_string_equal(info.name, "dma0chan3");
	assert_int_equal(info.chan_id, 3);
	close(fd);
}

static void private_channel_second_request_is_ebusy(void **state)
{
	int a = dmabufd_dma_request_chan_by_name("dma0chan2", 0, NULL), b;

	assert_ok(a);
	assert_errno(dmabufd_dma_request_chan_by_name("dma0chan2", 0, NULL), EBUSY);
	b = dmabufd_dma_request_chan("uart0", "rx", 0, NULL);
	assert_ok(b);
	assert_errno(dmabufd_dma_request_chan("uart0", "rx", 0, NULL), EBUSY);
	close(b);
	close(a);
	/* Released with the fd: the next request gets it. */
	a = dmabufd_dma_request_chan_by_name("dma0chan2", 0, NULL);
	assert_ok(a);
	close(a);
}

static void request_on_a_fd_holding_a_channel_is_ebusy(void **state)
{
	struct dmabufd_dma_request req = { .how = DMABUFD_DMA_REQ_BY_CAP,
					   .cap_mask = CAP_MEMCPY };
	int fd = chan_new(NULL);

	assert_errno(raw_ioctl(fd, DMABUFD_DMA_IOC_REQUEST_CHAN, &req), EBUSY);
	close(fd);
}

static void request_without_a_match_is_enodev(void **state)
{
	assert_errno(dmabufd_dma_request_chan("uart9", "rx", 0, NULL), ENODEV);
	assert_errno(dmabufd_dma_request_chan_by_name("dma7chan7", 0, NULL), ENODEV);
	/* The mock has no INTERLEAVE. */
	assert_errno(dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(12), 0, NULL), ENODEV);
}

static void channels_run_out_and_come_back(void **state)
{
	int fds[4], i;

	for (i = 0; i < 4; i++) {
		fds[i] = dmabufd_dma_request_chan_by_cap(CAP_MEMCPY, 0, NULL);
		assert_ok(fds[i]);
	}
	assert_errno(dmabufd_dma_request_chan_by_cap(CAP_MEMCPY, 0, NULL), ENODEV);
	close(fds[2]);
	fds[2] = dmabufd_dma_request_chan_by_cap(CAP_MEMCPY, 0, NULL);
	assert_ok(fds[2]);
	for (i = 0; i < 4; i++)
		close(fds[i]);
}

/* ---- the end-to-end test of the issue ---------------------------------------- */

struct peer_b {
	int sock;
	size_t len;
	unsigned seed;
	int want_status; /* 1, or the error the fence must carry */
};

/* Process B: gets the fence and the destination buffer over SCM_RIGHTS,
 * waits, then reads the bytes. */
static int process_b(void *arg)
{
	struct peer_b *b = arg;
	int fence = -1, buf = -1, status = 99;
	uint64_t word;
	void *p;
	size_t len;

	CHILD_CHECK(recv_fd(b->sock, &fence, &word) == 0 && fence >= 0);
	CHILD_CHECK(recv_fd(b->sock, &buf, NULL) == 0 && buf >= 0);
	CHILD_CHECK(dmabufd_sync_wait(fence, 20000) == 0);
	CHILD_CHECK(dmabufd_sync_status(fence, &status) == 0);
	if (status != b->want_status) {
		fprintf(stderr, "process B: fence status %d, expected %d\n", status,
			b->want_status);
		return 1;
	}
	CHILD_CHECK(dmabufd_buf_begin_cpu_access(buf, DMA_BUF_SYNC_READ) == 0);
	CHILD_CHECK(dmabufd_buf_mmap(buf, PROT_READ, &p, &len) == 0 && len == b->len);
	if (b->want_status == 1)
		CHILD_CHECK(filled(p, len, b->seed));
	else
		CHILD_CHECK(zero(p, len));
	CHILD_CHECK(dmabufd_buf_end_cpu_access(buf, DMA_BUF_SYNC_READ) == 0);
	dmabufd_buf_munmap(p, len);
	close(fence);
	close(buf);
	return 0;
}

/* Process A: copy on the mock, hand the fence to B. */
static void a_copies_b_waits(bool stall)
{
	struct peer_b b = { .len = 4 * MIB, .seed = 41, .want_status = 1 };
	struct copy_rig r;
	int sv[2], fence;
	int32_t cookie;
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	b.sock = sv[1];
	if (stall)
		b.want_status = -ETIMEDOUT;
	pid = fork_child(process_b, &b);
	close(sv[1]);

	rig_open(&r, b.len, b.seed);
	if (stall) {
		assert_ok(dmabufd_dma_set_timeout(r.chan, 300));
		fault(r.info.name, DMABUFD_CTL_FAULT_STALL, 0);
	}
	cookie = copy(&r, r.len, 0);
	fence = dmabufd_dma_fence(r.chan, cookie);
	assert_ok(fence);
	assert_ok(send_fd(sv[0], fence, (uint64_t)cookie));
	assert_ok(send_fd(sv[0], r.dst, 0));
	close(fence);
	assert_child_ok(pid);
	close(sv[0]);

	if (stall) {
		struct dmabufd_dma_tx_status st;

		assert_int_equal(dmabufd_dma_tx_status(r.chan, cookie, &st), DMABUFD_DMA_ERROR);
		assert_int_equal(st.error, -ETIMEDOUT);
		assert_int_equal(st.result, DMABUFD_DMA_TRANS_ABORTED);
		assert_true(zero(r.d, r.len));
		/* The watchdog reset the channel: it serves the next one. */
		cookie = copy(&r, r.len, 0);
		assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), 0);
	} else {
		assert_int_equal(dmabufd_dma_tx_status(r.chan, cookie, NULL),
				 DMABUFD_DMA_COMPLETE);
	}
	assert_true(filled(r.d, r.len, b.seed));
	rig_close(&r);
}

static void process_b_reads_what_process_a_copied_after_the_fence(void **state)
{
	a_copies_b_waits(false);
}

static void stalled_copy_signals_etimedout_to_process_b_with_no_data(void **state)
{
	a_copies_b_waits(true);
}

/* ---- transfers ----------------------------------------------------------------- */

static void copy_with_offsets_moves_exactly_those_bytes(void **state)
{
	struct copy_rig r;
	int32_t cookie;

	rig_open(&r, 4 * PAGE, 3);
	cookie = dmabufd_dma_memcpy(r.chan, r.dst_id, 100, r.src_id, 5000, 3000, 0);
	assert_ok(cookie);
	assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), 0);
	assert_true(zero(r.d, 100));
	assert_memory_equal(r.d + 100, r.s + 5000, 3000);
	assert_true(zero(r.d + 3100, 4 * PAGE - 3100));
	rig_close(&r);
}

static void failed_transfer_signals_eio_and_the_next_one_works(void **state)
{
	struct dmabufd_dma_tx_status st;
	struct copy_rig r;
	int32_t cookie;

	rig_open(&r, 64 * 1024, 9);
	fault(r.info.name, DMABUFD_CTL_FAULT_FAIL_NTH, 1);
	cookie = copy(&r, r.len, 0);
	assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), -EIO);
	assert_int_equal(dmabufd_dma_tx_status(r.chan, cookie, &st), DMABUFD_DMA_ERROR);
	assert_int_equal(st.error, -EIO);
	assert_int_equal(st.result, DMABUFD_DMA_TRANS_READ_FAILED);
	assert_true(zero(r.d, r.len));
	cookie = copy(&r, r.len, 0);
	assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), 0);
	assert_true(filled(r.d, r.len, 9));
	rig_close(&r);
}

/* A fail-nth fault counts the transfers of its own channel: another
 * channel of the same controller is not touched. */
static void fail_nth_counts_only_the_faulted_channels_transfers(void **state)
{
	struct copy_rig a, b;
	int32_t cookie;

	rig_open(&a, 4096, 3);
	rig_open(&b, 4096, 5);
	assert_string_equal(a.info.device, b.info.device);
	fault(a.info.name, DMABUFD_CTL_FAULT_FAIL_NTH, 1);
	cookie = copy(&b, b.len, 0);
	assert_int_equal(dmabufd_dma_wait(b.chan, cookie, 10000), 0);
	assert_true(filled(b.d, b.len, 5));
	cookie = copy(&a, a.len, 0);
	assert_int_equal(dmabufd_dma_wait(a.chan, cookie, 10000), -EIO);
	assert_true(zero(a.d, a.len));
	rig_close(&a);
	rig_close(&b);
}

static void terminate_with_work_queued_cancels_every_fence(void **state)
{
	struct dmabufd_dma_prep prep = {
		.type = DMABUFD_DMA_MEMCPY,
		.flags = DMABUFD_DMA_PREP_SUBMIT | DMABUFD_DMA_PREP_INTERRUPT,
		.nsegs = 1,
	};
	struct dmabufd_dma_event ev[4];
	struct copy_rig r;
	int32_t c[4];
	int f[4];

	rig_open(&r, 64 * 1024, 5);
	assert_ok(dmabufd_dma_set_timeout(r.chan, 0));
	fault(r.info.name, DMABUFD_CTL_FAULT_STALL, 0);
	for (int i = 0; i < 3; i++)
		c[i] = copy(&r, r.len, DMABUFD_DMA_PREP_INTERRUPT);
	/* One submitted, not issued. */
	prep.src = (struct dmabufd_dma_seg){ .attach_id = r.src_id, .len = PAGE };
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = r.dst_id, .len = PAGE };
	assert_ok(dmabufd_dma_prep(r.chan, &prep));
	c[3] = prep.cookie;
	assert_int_equal(c[3], c[2] + 1);
	for (int i = 0; i < 4; i++) {
		f[i] = dmabufd_dma_fence(r.chan, c[i]);
		assert_ok(f[i]);
		assert_int_equal(fence_status(f[i]), 0);
	}
	assert_ok(dmabufd_dma_terminate(r.chan));
	assert_ok(dmabufd_dma_synchronize(r.chan));
	for (int i = 0; i < 4; i++) {
		assert_int_equal(poll_in(f[i], 5000), 1);
		assert_int_equal(fence_status(f[i]), -ECANCELED);
		assert_int_equal(dmabufd_dma_tx_status(r.chan, c[i], NULL), DMABUFD_DMA_ERROR);
		close(f[i]);
	}
	/* dmaengine calls no callback for what terminate aborts. */
	assert_int_equal(dmabufd_dma_events(r.chan, ev, 4, NULL), 0);
	fault(r.info.name, DMABUFD_CTL_FAULT_CLEAR, 0);
	c[0] = copy(&r, r.len, 0);
	assert_int_equal(dmabufd_dma_wait(r.chan, c[0], 10000), 0);
	assert_true(filled(r.d, r.len, 5));
	rig_close(&r);
}

static void pause_and_resume_a_running_transfer(void **state)
{
	struct dmabufd_dma_tx_status st;
	struct copy_rig r;
	int32_t cookie;

	rig_open(&r, 64 * 1024, 6);
	assert_errno(dmabufd_dma_pause(r.chan), EPERM);  /* nothing runs */
	assert_errno(dmabufd_dma_resume(r.chan), EPERM); /* not paused */
	assert_ok(dmabufd_dma_set_timeout(r.chan, 0));
	fault(r.info.name, DMABUFD_CTL_FAULT_STALL, 0);
	cookie = copy(&r, r.len, 0);
	/* Wait until it is on the channel (not waiting for its fences). */
	for (int i = 0; i < 500; i++) {
		int p = dmabufd_dma_pause(r.chan);

		if (p == 0)
			break;
		assert_errno(p, EPERM);
		usleep(2000);
	}
	assert_int_equal(dmabufd_dma_tx_status(r.chan, cookie, &st), DMABUFD_DMA_PAUSED);
	assert_int_equal(st.residue, r.len);
	assert_errno(dmabufd_dma_pause(r.chan), EPERM); /* paused already */
	fault(r.info.name, DMABUFD_CTL_FAULT_CLEAR, 0);
	usleep(50000);
	/* Still paused: nothing moved. */
	assert_int_equal(dmabufd_dma_tx_status(r.chan, cookie, &st), DMABUFD_DMA_PAUSED);
	assert_true(zero(r.d, r.len));
	assert_ok(dmabufd_dma_resume(r.chan));
	assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), 0);
	assert_true(filled(r.d, r.len, 6));
	rig_close(&r);
}

static void tx_status_reports_residue_then_complete(void **state)
{
	struct dmabufd_dma_prep prep = {
		.type = DMABUFD_DMA_MEMCPY,
		.flags = DMABUFD_DMA_PREP_SUBMIT,
		.nsegs = 1,
	};
	struct dmabufd_dma_tx_status st;
	struct copy_rig r;
	int32_t cookie;

	rig_open(&r, 64 * 1024, 7);
	/* Cookie 1 and cookies never handed out read complete. */
	assert_int_equal(dmabufd_dma_tx_status(r.chan, 1, &st), DMABUFD_DMA_COMPLETE);
	assert_int_equal(st.last, 1);
	assert_int_equal(st.used, 1);
	assert_int_equal(dmabufd_dma_tx_status(r.chan, 5, NULL), DMABUFD_DMA_COMPLETE);
	assert_errno(dmabufd_dma_tx_status(r.chan, 0, NULL), EINVAL);

	/* Submitted, not issued: in progress, nothing moved. */
	prep.src = (struct dmabufd_dma_seg){ .attach_id = r.src_id, .len = r.len };
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = r.dst_id, .len = r.len };
	assert_ok(dmabufd_dma_prep(r.chan, &prep));
	cookie = prep.cookie;
	assert_int_equal(cookie, 2);
	assert_int_equal(dmabufd_dma_tx_status(r.chan, cookie, &st), DMABUFD_DMA_IN_PROGRESS);
	assert_int_equal(st.residue, r.len);
	assert_int_equal(st.used, 2);
	assert_int_equal(st.last, 1);

	/* Issued on a stalled channel: still all of it left. */
	assert_ok(dmabufd_dma_set_timeout(r.chan, 0));
	fault(r.info.name, DMABUFD_CTL_FAULT_STALL, 0);
	assert_ok(dmabufd_dma_issue_pending(r.chan));
	usleep(50000);
	assert_int_equal(dmabufd_dma_tx_status(r.chan, cookie, &st), DMABUFD_DMA_IN_PROGRESS);
	assert_int_equal(st.residue, r.len);
	fault(r.info.name, DMABUFD_CTL_FAULT_CLEAR, 0);
	assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), 0);
	assert_int_equal(dmabufd_dma_tx_status(r.chan, cookie, &st), DMABUFD_DMA_COMPLETE);
	assert_int_equal(st.residue, 0);
	assert_int_equal(st.error, 0);
	assert_int_equal(st.last, 2);
	assert_int_equal(st.used, 2);
	rig_close(&r);
}

static void prep_submit_issue_in_three_steps(void **state)
{
	struct dmabufd_dma_prep prep = { .type = DMABUFD_DMA_MEMCPY, .nsegs = 1 };
	struct copy_rig r;
	int32_t cookie;
	int f;

	rig_open(&r, 8 * PAGE, 8);
	prep.src = (struct dmabufd_dma_seg){ .attach_id = r.src_id, .len = r.len };
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = r.dst_id, .len = r.len };
	assert_ok(dmabufd_dma_prep(r.chan, &prep));
	assert_true(prep.desc_id > 0);
	assert_int_equal(prep.cookie, 0);
	cookie = dmabufd_dma_submit(r.chan, prep.desc_id);
	assert_int_equal(cookie, 2);
	assert_errno(dmabufd_dma_submit(r.chan, prep.desc_id), EINVAL);
	/* The fence exists from SUBMIT on; nothing starts before ISSUE. */
	f = dmabufd_dma_fence(r.chan, cookie);
	assert_ok(f);
	assert_int_equal(poll_in(f, 100), 0);
	assert_true(zero(r.d, r.len));
	assert_ok(dmabufd_dma_issue_pending(r.chan));
	assert_int_equal(poll_in(f, 10000), 1);
	assert_int_equal(fence_status(f), 1);
	assert_true(filled(r.d, r.len, 8));
	close(f);
	rig_close(&r);
}

static void fence_of_a_long_completed_cookie_is_a_signaled_stub(void **state)
{
	struct copy_rig r;
	int32_t first = 0, cookie = 0;
	int f;

	rig_open(&r, PAGE, 1);
	for (int i = 0; i < DMABUFD_DMA_FENCE_HISTORY + 4; i++) {
		cookie = copy(&r, PAGE, 0);
		if (!first)
			first = cookie;
		assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), 0);
	}
	f = dmabufd_dma_fence(r.chan, first);
	assert_ok(f);
	assert_int_equal(fence_status(f), 1);
	close(f);
	assert_errno(dmabufd_dma_fence(r.chan, cookie + 1), EINVAL);
	rig_close(&r);
}

static void completion_events_for_prep_interrupt_only(void **state)
{
	struct dmabufd_dma_event ev[DMABUFD_DMA_MAX_EVENTS];
	struct copy_rig r;
	int32_t quiet, loud;
	uint32_t lost = 99;

	rig_open(&r, 64 * 1024, 2);
	assert_int_equal(poll_events(r.chan, POLLIN | POLLOUT, 0), POLLOUT);
	quiet = copy(&r, r.len, 0);
	loud = copy(&r, r.len, DMABUFD_DMA_PREP_INTERRUPT);
	assert_int_equal(poll_in(r.chan, 10000), 1);
	assert_int_equal(dmabufd_dma_events(r.chan, ev, DMABUFD_DMA_MAX_EVENTS, &lost), 1);
	assert_int_equal(ev[0].cookie, loud);
	assert_int_equal(ev[0].error, 0);
	assert_int_equal(ev[0].result, DMABUFD_DMA_TRANS_NOERROR);
	assert_int_equal(ev[0].period, 0);
	assert_int_equal(lost, 0);
	assert_int_equal(poll_in(r.chan, 0), 0);
	assert_int_equal(dmabufd_dma_tx_status(r.chan, quiet, NULL), DMABUFD_DMA_COMPLETE);
	rig_close(&r);
}

static void implicit_sync_cpu_access_waits_for_the_dma(void **state)
{
	struct copy_rig r;
	int32_t cookie;
	int64_t t0;
	pid_t pid;
	int status;

	rig_open(&r, 256 * 1024, 4);
	assert_ok(dmabufd_dma_set_timeout(r.chan, 0));
	fault(r.info.name, DMABUFD_CTL_FAULT_STALL, 0);
	cookie = copy(&r, r.len, 0);
	/* A SYNC START (READ) on the destination waits for the DMA's write
	 * fence: it is still waiting after 300 ms, and returns once the
	 * stall is lifted. A child does it, so the parent can lift it. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(dmabufd_buf_sync(r.dst, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) == 0 &&
			      filled(r.d, r.len, 4)
		      ? 0 : 1);
	t0 = now_ns();
	usleep(300000);
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	fault(r.info.name, DMABUFD_CTL_FAULT_CLEAR, 0);
	assert_child_ok(pid);
	assert_true(now_ns() - t0 >= 300000000LL);
	assert_int_equal(dmabufd_dma_tx_status(r.chan, cookie, NULL), DMABUFD_DMA_COMPLETE);
	assert_ok(dmabufd_buf_end_cpu_access(r.dst, DMA_BUF_SYNC_READ));
	rig_close(&r);
}

static void copy_waits_for_the_implicit_fences_of_its_buffers(void **state)
{
	struct copy_rig r;
	int tl = timeline_new(), f = fence_new(tl, 1), df;
	int32_t cookie;

	rig_open(&r, 64 * 1024, 12);
	/* A pending writer of the source: the copy may not read it yet. */
	assert_ok(dmabufd_buf_import_sync_file(r.src, DMA_BUF_SYNC_WRITE, f));
	cookie = copy(&r, r.len, 0);
	df = dmabufd_dma_fence(r.chan, cookie);
	assert_ok(df);
	assert_int_equal(poll_in(df, 200), 0);
	assert_true(zero(r.d, r.len));
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(poll_in(df, 10000), 1);
	assert_int_equal(fence_status(df), 1);
	assert_true(filled(r.d, r.len, 12));
	close(df);
	close(f);
	close(tl);
	rig_close(&r);
}

static void transfers_in_flight_are_listed_with_their_cookies(void **state)
{
	struct dmabufd_dma_prep prep = { .type = DMABUFD_DMA_MEMCPY, .nsegs = 1 };
	const struct dmabufd_ctl_dma_channel *c;
	struct copy_rig r;
	uint32_t n, size, seen = 0;
	int32_t cookie;
	void *recs;

	rig_open(&r, 64 * 1024, 1);
	assert_ok(dmabufd_dma_set_timeout(r.chan, 0));
	fault(r.info.name, DMABUFD_CTL_FAULT_STALL, 0);
	cookie = copy(&r, r.len, 0);
	prep.src = (struct dmabufd_dma_seg){ .attach_id = r.src_id, .len = PAGE };
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = r.dst_id, .len = PAGE };
	assert_ok(dmabufd_dma_prep(r.chan, &prep));
	usleep(50000);

	assert_ok(dmabufd_ctl_list(DMABUFD_CTL_DMA_XFERS, &recs, &n, &size));
	assert_int_equal(size, sizeof(struct dmabufd_ctl_dma_xfer));
	for (uint32_t i = 0; i < n; i++) {
		const struct dmabufd_ctl_dma_xfer *x =
			(const void *)((char *)recs + (size_t)i * size);

		if (strcmp(x->chan, r.info.name) || x->pid != (uint32_t)getpid())
			continue;
		if (x->cookie == cookie) {
			assert_int_equal(x->state, DMABUFD_CTL_XFER_ACTIVE);
			assert_true(x->chan_cookie >= 2);
			assert_int_equal(x->len, r.len);
			assert_int_equal(x->residue, r.len);
			assert_int_equal(x->type, DMABUFD_DMA_MEMCPY);
		} else {
			assert_int_equal(x->cookie, 0);
			assert_int_equal(x->state, DMABUFD_CTL_XFER_PREPARED);
			assert_int_equal(x->len, PAGE);
		}
		seen++;
	}
	assert_int_equal(seen, 2);
	free(recs);
	assert_ok(dmabufd_ctl_list(DMABUFD_CTL_DMA_CHANNELS, &recs, &n, &size));
	c = find_chan(recs, n, size, r.info.name);
	assert_non_null(c);
	assert_int_equal(c->in_flight, 1);
	assert_int_equal(c->timeout_ms, 0);
	assert_string_not_equal(c->client, "");
	free(recs);
	fault(r.info.name, DMABUFD_CTL_FAULT_CLEAR, 0);
	assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), 0);
	rig_close(&r);
}

static void detach_while_a_transfer_uses_it_is_ebusy(void **state)
{
	struct copy_rig r;
	int32_t cookie;

	rig_open(&r, 64 * 1024, 1);
	assert_ok(dmabufd_dma_set_timeout(r.chan, 0));
	fault(r.info.name, DMABUFD_CTL_FAULT_STALL, 0);
	cookie = copy(&r, r.len, 0);
	assert_errno(dmabufd_dma_detach(r.chan, r.dst_id), EBUSY);
	fault(r.info.name, DMABUFD_CTL_FAULT_CLEAR, 0);
	assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), 0);
	assert_ok(dmabufd_dma_detach(r.chan, r.dst_id));
	assert_errno(dmabufd_dma_detach(r.chan, r.dst_id), EINVAL);
	assert_errno(dmabufd_dma_memcpy(r.chan, r.dst_id, 0, r.src_id, 0, PAGE, 0), EINVAL);
	rig_close(&r);
}

static void read_only_buffer_is_a_source_only(void **state)
{
	struct copy_rig r;
	int ro, ro_id;
	int32_t cookie;

	rig_open(&r, 2 * PAGE, 13);
	ro = dmabufd_open_node(DMABUFD_NODE_DMA_BUF, O_RDONLY | O_CLOEXEC);
	assert_ok(ro);
	{
		uint64_t token;
		struct dmabufd_claim claim = { 0 };

		assert_ok(dmabufd_export_token(r.dst, &token));
		claim.token = token;
		assert_ok(raw_ioctl(ro, DMABUFD_IOC_CLAIM, &claim));
	}
	ro_id = dmabufd_dma_attach(r.chan, ro, NULL);
	assert_ok(ro_id);
	assert_errno(dmabufd_dma_memcpy(r.chan, (uint32_t)ro_id, 0, r.src_id, 0, PAGE, 0), EACCES);
	/* As a source it is fine. */
	cookie = dmabufd_dma_memcpy(r.chan, r.src_id, 0, (uint32_t)ro_id, PAGE, PAGE, 0);
	assert_ok(cookie);
	assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), 0);
	close(ro);
	rig_close(&r);
}

/* A buffer fd of access mode 3 (neither read nor write) may be attached
 * but is neither a destination nor a source. */
static void access_mode_3_buffer_is_no_source_or_destination(void **state)
{
	struct copy_rig r;
	int none, none_id;

	rig_open(&r, 2 * PAGE, 13);
	none = dmabufd_alloc("system", 2 * PAGE, O_ACCMODE | O_CLOEXEC);
	assert_ok(none);
	none_id = dmabufd_dma_attach(r.chan, none, NULL);
	assert_ok(none_id);
	assert_errno(dmabufd_dma_memcpy(r.chan, (uint32_t)none_id, 0, r.src_id, 0, PAGE, 0),
		     EACCES);
	assert_errno(dmabufd_dma_memcpy(r.chan, r.dst_id, 0, (uint32_t)none_id, 0, PAGE, 0),
		     EACCES);
	assert_ok(dmabufd_dma_detach(r.chan, (uint32_t)none_id));
	close(none);
	rig_close(&r);
}

static void scatter_copy_fills_the_segments_in_order(void **state)
{
	struct dmabufd_dma_prep prep = {
		.type = DMABUFD_DMA_MEMCPY,
		.flags = DMABUFD_DMA_PREP_SUBMIT | DMABUFD_DMA_PREP_ISSUE |
			 DMABUFD_DMA_PREP_INTERRUPT,
		.nsegs = 3,
	};
	struct dmabufd_dma_event ev[4];
	struct dmabufd_dma_tx_status st;
	struct copy_rig r;
	int other = buf_new(4 * PAGE, O_RDWR | O_CLOEXEC);
	uint32_t other_id;
	uint8_t *o;

	rig_open(&r, 4 * PAGE, 17);
	other_id = attach(r.chan, other);
	o = map(other, NULL);
	/* 10000 bytes from src+100: 3000 to dst+0, 5000 to other+2000,
	 * 2000 to dst+8000. */
	prep.src = (struct dmabufd_dma_seg){ .attach_id = r.src_id, .offset = 100, .len = 10000 };
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = r.dst_id, .len = 3000 };
	prep.segs[1] = (struct dmabufd_dma_seg){ .attach_id = other_id, .offset = 2000,
						 .len = 5000 };
	prep.segs[2] = (struct dmabufd_dma_seg){ .attach_id = r.dst_id, .offset = 8000,
						 .len = 2000 };
	assert_ok(dmabufd_dma_prep(r.chan, &prep));
	assert_int_equal(dmabufd_dma_wait(r.chan, prep.cookie, 10000), 0);
	assert_memory_equal(r.d, r.s + 100, 3000);
	assert_memory_equal(o + 2000, r.s + 3100, 5000);
	assert_memory_equal(r.d + 8000, r.s + 8100, 2000);
	assert_true(zero(r.d + 3000, 5000));
	assert_true(zero(o, 2000));
	assert_int_equal(dmabufd_dma_tx_status(r.chan, prep.cookie, &st), DMABUFD_DMA_COMPLETE);
	/* One notice for the whole transfer. */
	assert_int_equal(poll_in(r.chan, 5000), 1);
	assert_int_equal(dmabufd_dma_events(r.chan, ev, 4, NULL), 1);
	assert_int_equal(ev[0].cookie, prep.cookie);
	dmabufd_buf_munmap(o, 4 * PAGE);
	close(other);
	rig_close(&r);
}

static void scatter_copy_fails_whole_when_a_segment_fails(void **state)
{
	struct dmabufd_dma_prep prep = {
		.type = DMABUFD_DMA_MEMCPY,
		.flags = DMABUFD_DMA_PREP_SUBMIT | DMABUFD_DMA_PREP_ISSUE,
		.nsegs = 2,
	};
	struct copy_rig r;

	rig_open(&r, 2 * PAGE, 18);
	fault(r.info.name, DMABUFD_CTL_FAULT_FAIL_NTH, 2);
	prep.src = (struct dmabufd_dma_seg){ .attach_id = r.src_id, .len = 2 * PAGE };
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = r.dst_id, .offset = PAGE,
						 .len = PAGE };
	prep.segs[1] = (struct dmabufd_dma_seg){ .attach_id = r.dst_id, .len = PAGE };
	assert_ok(dmabufd_dma_prep(r.chan, &prep));
	assert_int_equal(dmabufd_dma_wait(r.chan, prep.cookie, 10000), -EIO);
	/* The first segment made it, the second did not. */
	assert_memory_equal(r.d + PAGE, r.s, PAGE);
	assert_true(zero(r.d, PAGE));
	rig_close(&r);
}

/* ---- slave and cyclic: the mock's loopback FIFO per request line ------- */

static void slave_config_line(int chan, uint32_t line)
{
	struct dmabufd_dma_slave_config cfg = {
		.src_addr_width = 4,
		.dst_addr_width = 4,
		.src_maxburst = 4,
		.dst_maxburst = 4,
		.request_line = line,
		.flags = DMABUFD_DMA_CFG_REQUEST_LINE,
	};

	assert_ok(dmabufd_dma_slave_config(chan, &cfg));
}

static void slave_round_trip_through_the_loopback_fifo(void **state)
{
	struct copy_rig r;
	int32_t out, in;

	rig_open(&r, PAGE, 21);
	slave_config_line(r.chan, 5);
	out = dmabufd_dma_slave(r.chan, r.src_id, 0, PAGE, DMABUFD_DMA_MEM_TO_DEV, 0);
	assert_ok(out);
	in = dmabufd_dma_slave(r.chan, r.dst_id, 0, PAGE, DMABUFD_DMA_DEV_TO_MEM, 0);
	assert_ok(in);
	assert_int_equal(in, out + 1);
	assert_int_equal(dmabufd_dma_wait(r.chan, in, 10000), 0);
	assert_int_equal(dmabufd_dma_tx_status(r.chan, out, NULL), DMABUFD_DMA_COMPLETE);
	assert_true(filled(r.d, PAGE, 21));
	rig_close(&r);
}

static void slave_scatter_gather_round_trip(void **state)
{
	struct dmabufd_dma_prep prep = {
		.type = DMABUFD_DMA_SLAVE,
		.direction = DMABUFD_DMA_MEM_TO_DEV,
		.flags = DMABUFD_DMA_PREP_SUBMIT | DMABUFD_DMA_PREP_ISSUE,
		.nsegs = 2,
	};
	struct copy_rig r;
	int32_t in;

	rig_open(&r, 2 * PAGE, 22);
	slave_config_line(r.chan, 4);
	/* Out: the second page's first half, then the first page's start. */
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = r.src_id, .offset = PAGE,
						 .len = 2048 };
	prep.segs[1] = (struct dmabufd_dma_seg){ .attach_id = r.src_id, .len = 1024 };
	assert_ok(dmabufd_dma_prep(r.chan, &prep));
	/* In: all 3 KiB into one range. */
	in = dmabufd_dma_slave(r.chan, r.dst_id, 0, 3072, DMABUFD_DMA_DEV_TO_MEM, 0);
	assert_ok(in);
	assert_int_equal(dmabufd_dma_wait(r.chan, in, 10000), 0);
	assert_int_equal(dmabufd_dma_tx_status(r.chan, prep.cookie, NULL), DMABUFD_DMA_COMPLETE);
	assert_memory_equal(r.d, r.s + PAGE, 2048);
	assert_memory_equal(r.d + 2048, r.s, 1024);
	rig_close(&r);
}

static void slave_without_a_request_line_is_einval(void **state)
{
	struct copy_rig r;

	rig_open(&r, PAGE, 1);
	/* Taken by capability: no line from the map. */
	assert_errno(dmabufd_dma_slave(r.chan, r.src_id, 0, PAGE, DMABUFD_DMA_MEM_TO_DEV, 0),
		     EINVAL);
	rig_close(&r);
}

static void cyclic_periods_arrive_as_events(void **state)
{
	struct dmabufd_dma_event ev[DMABUFD_DMA_MAX_EVENTS];
	struct copy_rig ring, feed;
	uint32_t periods = 0, lost;
	int32_t cyc, fed;
	int64_t deadline;
	int f;

	/* The ring: 4 periods of 1 KiB, filled from FIFO 6. */
	rig_open(&ring, PAGE, 0);
	memset(ring.d, 0, PAGE);
	slave_config_line(ring.chan, 6);
	cyc = dmabufd_dma_cyclic(ring.chan, ring.dst_id, 0, PAGE, 1024,
				 DMABUFD_DMA_DEV_TO_MEM, DMABUFD_DMA_PREP_INTERRUPT);
	assert_ok(cyc);
	/* The far side: 8 KiB pushed into FIFO 6 by a second channel. */
	rig_open(&feed, 2 * PAGE, 33);
	slave_config_line(feed.chan, 6);
	fed = dmabufd_dma_slave(feed.chan, feed.src_id, 0, 2 * PAGE, DMABUFD_DMA_MEM_TO_DEV, 0);
	assert_ok(fed);
	assert_int_equal(dmabufd_dma_wait(feed.chan, fed, 10000), 0);

	deadline = now_ns() + 10000000000LL;
	while (periods < 8 && now_ns() < deadline) {
		int n;

		if (!poll_in(ring.chan, 1000))
			continue;
		n = dmabufd_dma_events(ring.chan, ev, DMABUFD_DMA_MAX_EVENTS, &lost);
		assert_true(n >= 0);
		assert_int_equal(lost, 0);
		for (int i = 0; i < n; i++) {
			assert_int_equal(ev[i].cookie, cyc);
			assert_int_equal(ev[i].error, 0);
			assert_int_equal(ev[i].period, ++periods);
		}
	}
	assert_int_equal(periods, 8);
	/* The ring holds the last pass: the second half of what was fed. */
	assert_memory_equal(ring.d, feed.s + PAGE, PAGE);
	assert_int_equal(dmabufd_dma_tx_status(ring.chan, cyc, NULL), DMABUFD_DMA_IN_PROGRESS);
	f = dmabufd_dma_fence(ring.chan, cyc);
	assert_ok(f);
	assert_int_equal(fence_status(f), 0);
	/* Terminate is how a cyclic transfer ends: without an error. */
	assert_ok(dmabufd_dma_terminate(ring.chan));
	assert_int_equal(poll_in(f, 5000), 1);
	assert_int_equal(fence_status(f), 1);
	assert_int_equal(dmabufd_dma_tx_status(ring.chan, cyc, NULL), DMABUFD_DMA_COMPLETE);
	close(f);
	rig_close(&feed);
	rig_close(&ring);
}

static void events_past_the_queue_are_counted_as_lost(void **state)
{
	struct dmabufd_dma_event ev[DMABUFD_DMA_MAX_EVENTS];
	struct copy_rig ring, feed;
	uint32_t got = 0, lost = 0, l;
	struct dmabufd_dma_tx_status st;
	int32_t cyc, fed;
	int n;

	rig_open(&ring, PAGE, 0);
	slave_config_line(ring.chan, 7);
	/* 16-byte periods: 8 KiB fed makes 512 periods, the queue holds 256. */
	cyc = dmabufd_dma_cyclic(ring.chan, ring.dst_id, 0, PAGE, 16, DMABUFD_DMA_DEV_TO_MEM,
				 DMABUFD_DMA_PREP_INTERRUPT);
	assert_ok(cyc);
	rig_open(&feed, 2 * PAGE, 1);
	slave_config_line(feed.chan, 7);
	fed = dmabufd_dma_slave(feed.chan, feed.src_id, 0, 2 * PAGE, DMABUFD_DMA_MEM_TO_DEV, 0);
	assert_ok(fed);
	assert_int_equal(dmabufd_dma_wait(feed.chan, fed, 10000), 0);
	/* Every byte fed has reached the ring once the FIFO is drained. */
	for (int i = 0; i < 1000; i++) {
		assert_ok(dmabufd_dma_tx_status(ring.chan, cyc, &st));
		if (st.residue == PAGE || st.residue == 0)
			break;
		usleep(2000);
	}
	usleep(100000);
	while ((n = dmabufd_dma_events(ring.chan, ev, DMABUFD_DMA_MAX_EVENTS, &l)) > 0) {
		got += (uint32_t)n;
		lost += l;
	}
	assert_int_equal(n, 0);
	assert_int_equal(got, DMABUFD_DMA_EVENT_QUEUE);
	assert_int_equal(got + lost, 2 * PAGE / 16);
	assert_ok(dmabufd_dma_terminate(ring.chan));
	rig_close(&feed);
	rig_close(&ring);
}

/* ---- the daemon against a busy mock worker; a line's bytes across users ---- */

/*
 * Wait up to @timeout_ms for child @pid to exit 0. A child still running
 * then is stuck in a daemon that stopped answering: it is killed and the
 * whole program ends here, failed, since every later test (and this one's
 * teardown) would block on the same daemon.
 */
static void assert_child_ok_within(pid_t pid, int timeout_ms)
{
	int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;
	int status;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ns() >= deadline) {
			kill(pid, SIGKILL);
			fprintf(stderr, "child %d got no answer from the daemon in %d ms: "
				"the daemon is wedged; stopping here\n", (int)pid, timeout_ms);
			fflush(NULL);
			_exit(1);
		}
		usleep(10000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child %d: %s %d", (int)pid, WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

struct pair_probe {
	struct copy_rig *out, *in, *other;
	int32_t out_cookie, in_cookie;
};

/* In a child: everything the daemon must still answer while a cyclic
 * loopback pair runs. */
static int probe_daemon_during_a_loopback_pair(void *arg)
{
	struct dmabufd_dma_event ev[DMABUFD_DMA_MAX_EVENTS];
	struct pair_probe *p = arg;
	struct dmabufd_ctl_stats st;
	int64_t deadline = now_ns() + 30000000000LL;
	uint32_t periods = 0, lost;
	int32_t cookie;
	int buf, tl, f;

	/* The reader's periods keep coming back through the loop. */
	while (periods < 16 && now_ns() < deadline) {
		int n;

		if (!poll_in(p->in->chan, 1000))
			continue;
		n = dmabufd_dma_events(p->in->chan, ev, DMABUFD_DMA_MAX_EVENTS, &lost);
		CHILD_CHECK(n >= 0);
		periods += (uint32_t)n + lost;
	}
	CHILD_CHECK(periods >= 16);
	/* The control socket. */
	CHILD_CHECK(dmabufd_stats(&st) == 0);
	/* A third channel of the same controller copies. */
	cookie = dmabufd_dma_memcpy(p->other->chan, p->other->dst_id, 0, p->other->src_id, 0,
				    p->other->len, 0);
	CHILD_CHECK(cookie > 0);
	CHILD_CHECK(dmabufd_dma_wait(p->other->chan, cookie, 30000) == 0);
	CHILD_CHECK(filled(p->other->d, p->other->len, 61));
	/* Other nodes: the heap, sw_sync and a sync_file. */
	buf = dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(buf >= 0);
	close(buf);
	tl = dmabufd_timeline_create();
	CHILD_CHECK(tl >= 0);
	f = dmabufd_timeline_create_fence(tl, "probe", 1);
	CHILD_CHECK(f >= 0);
	CHILD_CHECK(dmabufd_timeline_inc(tl, 1) == 0);
	CHILD_CHECK(poll_in(f, 10000) == 1);
	close(f);
	close(tl);
	/* Terminate ends both rings. */
	CHILD_CHECK(dmabufd_dma_terminate(p->out->chan) == 0);
	CHILD_CHECK(dmabufd_dma_terminate(p->in->chan) == 0);
	CHILD_CHECK(dmabufd_dma_tx_status(p->out->chan, p->out_cookie, NULL) ==
		    DMABUFD_DMA_COMPLETE);
	CHILD_CHECK(dmabufd_dma_tx_status(p->in->chan, p->in_cookie, NULL) ==
		    DMABUFD_DMA_COMPLETE);
	CHILD_CHECK(dmabufd_stats(&st) == 0);
	return 0;
}

static void cyclic_loopback_pair_leaves_the_daemon_answering(void **state)
{
	struct copy_rig out, in, other;
	struct pair_probe p = { &out, &in, &other };

	/* A ring written into FIFO 3 for ever, a ring read from it for ever. */
	rig_open(&out, PAGE, 41);
	rig_open(&in, PAGE, 0);
	rig_open(&other, 4 * MIB, 61);
	memset(in.d, 0, PAGE);
	slave_config_line(out.chan, 3);
	slave_config_line(in.chan, 3);
	p.out_cookie = dmabufd_dma_cyclic(out.chan, out.src_id, 0, PAGE, 1024,
					  DMABUFD_DMA_MEM_TO_DEV, 0);
	assert_ok(p.out_cookie);
	p.in_cookie = dmabufd_dma_cyclic(in.chan, in.dst_id, 0, PAGE, 1024,
					 DMABUFD_DMA_DEV_TO_MEM, DMABUFD_DMA_PREP_INTERRUPT);
	assert_ok(p.in_cookie);
	/* From here on the daemon may be wedged: ask in a child, bounded. */
	assert_child_ok_within(fork_child(probe_daemon_during_a_loopback_pair, &p), 60000);
	/* The stream is the source ring over and over, at the same offsets. */
	assert_memory_equal(in.d, out.s, PAGE);
	rig_close(&other);
	rig_close(&in);
	rig_close(&out);
}

/* Client A, another process: 1000 bytes into line 0's FIFO, then gone. */
static int write_line_0_and_leave(void *arg)
{
	struct copy_rig r;
	int32_t out;

	(void)arg;
	r.len = PAGE;
	r.chan = dmabufd_dma_request_chan_by_cap(CAP_MEMCPY, 0, &r.info);
	CHILD_CHECK(r.chan >= 0);
	r.src = dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(r.src >= 0);
	CHILD_CHECK(dmabufd_buf_mmap(r.src, PROT_READ | PROT_WRITE, (void **)&r.s, &r.len) == 0);
	memset(r.s, 0xa1, PAGE);
	r.src_id = (uint32_t)dmabufd_dma_attach(r.chan, r.src, NULL);
	CHILD_CHECK((int)r.src_id > 0);
	{
		struct dmabufd_dma_slave_config cfg = {
			.src_addr_width = 4, .dst_addr_width = 4,
			.request_line = 0, .flags = DMABUFD_DMA_CFG_REQUEST_LINE,
		};

		CHILD_CHECK(dmabufd_dma_slave_config(r.chan, &cfg) == 0);
	}
	out = dmabufd_dma_slave(r.chan, r.src_id, 0, 1000, DMABUFD_DMA_MEM_TO_DEV, 0);
	CHILD_CHECK(out > 0);
	CHILD_CHECK(dmabufd_dma_wait(r.chan, out, 10000) == 0);
	dmabufd_buf_munmap(r.s, r.len);
	close(r.src);
	close(r.chan);
	return 0;
}

static void fifo_bytes_of_a_closed_channel_are_not_read_by_the_next_user(void **state)
{
	struct dmabufd_ctl_stats base;
	struct dmabufd_dma_tx_status st;
	struct copy_rig b, c;
	int32_t in, out;

	/* A writes into line 0 (its transfer completes: the bytes are in the
	 * FIFO) and closes; the daemon has released everything of A's. */
	stats_now(&base);
	assert_child_ok(fork_child(write_line_0_and_leave, NULL));
	assert_stats_settle(&base, 5000);

	/* B reads 1000 bytes from line 0: none of A's come. */
	rig_open(&b, PAGE, 0);
	slave_config_line(b.chan, 0);
	in = dmabufd_dma_slave(b.chan, b.dst_id, 0, 1000, DMABUFD_DMA_DEV_TO_MEM, 0);
	assert_ok(in);
	assert_int_equal(dmabufd_dma_wait(b.chan, in, 300), -ETIME);
	assert_int_equal(dmabufd_dma_tx_status(b.chan, in, &st), DMABUFD_DMA_IN_PROGRESS);
	assert_int_equal(st.residue, 1000);
	/* C, a user of line 0 now, writes 1000 bytes of its own: they are
	 * exactly what B gets. */
	rig_open(&c, PAGE, 77);
	slave_config_line(c.chan, 0);
	out = dmabufd_dma_slave(c.chan, c.src_id, 0, 1000, DMABUFD_DMA_MEM_TO_DEV, 0);
	assert_ok(out);
	assert_int_equal(dmabufd_dma_wait(b.chan, in, 10000), 0);
	assert_int_equal(dmabufd_dma_wait(c.chan, out, 10000), 0);
	assert_memory_equal(b.d, c.s, 1000);
	assert_true(zero(b.d + 1000, PAGE - 1000));
	rig_close(&c);
	rig_close(&b);
}

/* ---- malformed requests ---------------------------------------------------------- */

enum target { T_UNBOUND, T_CHAN, T_MAX };

union dma_arg {
	struct dmabufd_dma_request req;
	struct dmabufd_dma_caps caps;
	struct dmabufd_dma_slave_config cfg;
	struct dmabufd_dma_attach att;
	struct dmabufd_dma_prep prep;
	struct dmabufd_dma_submit sub;
	struct dmabufd_dma_tx_status st;
	struct dmabufd_dma_fence fence;
	struct dmabufd_dma_wait wait;
	struct dmabufd_dma_control ctl;
	struct dmabufd_dma_events ev;
	uint8_t raw[1024];
};

struct malformed {
	const char *what;
	enum target target;
	unsigned long cmd;
	union dma_arg arg;
	int err;
};

/* On T_CHAN, attachment 1 is an O_RDWR 2-page buffer, 2 a read-only one.
 * MEMCPY(...) is a valid copy with the given fields overridden. */
#pragma GCC diagnostic ignored "-Woverride-init"
#define SEG(id, off, n) { .attach_id = (id), .offset = (off), .len = (n) }
#define MEMCPY(...) { .type = DMABUFD_DMA_MEMCPY, .nsegs = 1, .src = SEG(1, 0, 64), \
		      .segs = { SEG(1, 4096, 64) }, __VA_ARGS__ }
#define NAME32 { 'a','b','c','d','e','f','g','h','i','j','k','l','m','n','o','p', \
		 'q','r','s','t','u','v','w','x','y','z','0','1','2','3','4','5' }

static const struct malformed table[] = {
	/* no channel */
	{ "CAPS", T_UNBOUND, DMABUFD_DMA_IOC_CAPS, .err = EBADFD },
	{ "PREP", T_UNBOUND, DMABUFD_DMA_IOC_PREP, .arg.prep = MEMCPY(), .err = EBADFD },
	{ "ISSUE_PENDING", T_UNBOUND, DMABUFD_DMA_IOC_ISSUE_PENDING, .err = EBADFD },
	{ "TX_STATUS", T_UNBOUND, DMABUFD_DMA_IOC_TX_STATUS, .arg.st = { .cookie = 2 },
	  .err = EBADFD },
	{ "EVENTS", T_UNBOUND, DMABUFD_DMA_IOC_EVENTS, .err = EBADFD },
	{ "CONTROL", T_UNBOUND, DMABUFD_DMA_IOC_CONTROL,
	  .arg.ctl = { .op = DMABUFD_DMA_TERMINATE }, .err = EBADFD },
	{ "WAIT", T_UNBOUND, DMABUFD_DMA_IOC_WAIT, .arg.wait = { .status.cookie = 2 },
	  .err = EBADFD },
	{ "ATTACH", T_UNBOUND, DMABUFD_DMA_IOC_ATTACH, .arg.att = { .token = BOGUS_TOKEN },
	  .err = EBADFD },
	/* REQUEST_CHAN */
	{ "REQUEST how 0", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN, .err = EINVAL },
	{ "REQUEST how 4", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = 4, .cap_mask = 1 }, .err = EINVAL },
	{ "REQUEST no caps", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = DMABUFD_DMA_REQ_BY_CAP }, .err = EINVAL },
	{ "REQUEST cap bit 20", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = DMABUFD_DMA_REQ_BY_CAP, .cap_mask = 1u << 20 }, .err = EINVAL },
	{ "REQUEST pad", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = DMABUFD_DMA_REQ_BY_CAP, .cap_mask = 1, .pad = 1 }, .err = EINVAL },
	{ "REQUEST by cap with a consumer", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = DMABUFD_DMA_REQ_BY_CAP, .cap_mask = 1, .consumer = "uart0" },
	  .err = EINVAL },
	{ "REQUEST by name, no consumer", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = DMABUFD_DMA_REQ_BY_NAME, .name = "rx" }, .err = EINVAL },
	{ "REQUEST by name, 32-char name", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = DMABUFD_DMA_REQ_BY_NAME, .consumer = "uart0", .name = NAME32 },
	  .err = EINVAL },
	{ "REQUEST by name, bytes after the NUL", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = DMABUFD_DMA_REQ_BY_NAME, .consumer = "uart0\0x", .name = "rx" },
	  .err = EINVAL },
	{ "REQUEST by name with caps", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = DMABUFD_DMA_REQ_BY_NAME, .cap_mask = 1, .consumer = "uart0",
		       .name = "rx" }, .err = EINVAL },
	{ "REQUEST by channel, no name", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = DMABUFD_DMA_REQ_BY_CHAN }, .err = EINVAL },
	{ "REQUEST unmapped name", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = DMABUFD_DMA_REQ_BY_NAME, .consumer = "nobody", .name = "rx" },
	  .err = ENODEV },
	{ "REQUEST unknown channel", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = DMABUFD_DMA_REQ_BY_CHAN, .name = "dma9chan9" }, .err = ENODEV },
	{ "REQUEST late controller, no wait", T_UNBOUND, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = DMABUFD_DMA_REQ_BY_NAME, .consumer = "late", .name = "x" },
	  .err = EAGAIN },
	/* numbers */
	{ "unknown nr", T_UNBOUND, _IOWR(DMABUFD_IOC_MAGIC, 0x5f, uint64_t), .err = ENOTTY },
	{ "REQUEST with a 64-byte struct", T_UNBOUND, _IOWR(DMABUFD_IOC_MAGIC, 0x50, uint8_t[64]),
	  .err = ENOTTY },
	{ "EVENTS encoded _IOR", T_CHAN, _IOR(DMABUFD_IOC_MAGIC, 0x5b, struct dmabufd_dma_events),
	  .err = ENOTTY },
	{ "CLAIM on the dmaengine node", T_UNBOUND, DMABUFD_IOC_CLAIM, .err = ENOTTY },
	{ "foreign magic", T_CHAN, _IO('Z', 3), .err = ENOTTY },
	/* with a channel */
	{ "REQUEST again", T_CHAN, DMABUFD_DMA_IOC_REQUEST_CHAN,
	  .arg.req = { .how = DMABUFD_DMA_REQ_BY_CAP, .cap_mask = 1 }, .err = EBUSY },
	{ "CAPS", T_CHAN, DMABUFD_DMA_IOC_CAPS, .err = 0 },
	{ "SLAVE_CONFIG width 3", T_CHAN, DMABUFD_DMA_IOC_SLAVE_CONFIG,
	  .arg.cfg = { .src_addr_width = 3 }, .err = EINVAL },
	{ "SLAVE_CONFIG width 16", T_CHAN, DMABUFD_DMA_IOC_SLAVE_CONFIG,
	  .arg.cfg = { .dst_addr_width = 16 }, .err = EINVAL },
	{ "SLAVE_CONFIG burst 17", T_CHAN, DMABUFD_DMA_IOC_SLAVE_CONFIG,
	  .arg.cfg = { .src_maxburst = 17 }, .err = EINVAL },
	{ "SLAVE_CONFIG device_fc 2", T_CHAN, DMABUFD_DMA_IOC_SLAVE_CONFIG,
	  .arg.cfg = { .device_fc = 2 }, .err = EINVAL },
	{ "SLAVE_CONFIG flags", T_CHAN, DMABUFD_DMA_IOC_SLAVE_CONFIG,
	  .arg.cfg = { .flags = 2 }, .err = EINVAL },
	{ "SLAVE_CONFIG pad", T_CHAN, DMABUFD_DMA_IOC_SLAVE_CONFIG, .arg.cfg = { .pad = 1 },
	  .err = EINVAL },
	{ "SLAVE_CONFIG line 2^31", T_CHAN, DMABUFD_DMA_IOC_SLAVE_CONFIG,
	  .arg.cfg = { .flags = DMABUFD_DMA_CFG_REQUEST_LINE, .request_line = 1u << 31 },
	  .err = EINVAL },
	{ "ATTACH bogus token", T_CHAN, DMABUFD_DMA_IOC_ATTACH,
	  .arg.att = { .token = BOGUS_TOKEN }, .err = EINVAL },
	{ "ATTACH pad", T_CHAN, DMABUFD_DMA_IOC_ATTACH,
	  .arg.att = { .token = BOGUS_TOKEN, .pad = 1 }, .err = EINVAL },
	{ "DETACH unknown id", T_CHAN, DMABUFD_DMA_IOC_DETACH, .arg.att = { .attach_id = 99 },
	  .err = EINVAL },
	{ "DETACH with a token", T_CHAN, DMABUFD_DMA_IOC_DETACH,
	  .arg.att = { .attach_id = 1, .token = 1 }, .err = EINVAL },
	{ "PREP type 5", T_CHAN, DMABUFD_DMA_IOC_PREP, .arg.prep = MEMCPY(.type = 5),
	  .err = EINVAL },
	{ "PREP memcpy to a device", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.direction = DMABUFD_DMA_MEM_TO_DEV), .err = EINVAL },
	{ "PREP slave mem to mem", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = { .type = DMABUFD_DMA_SLAVE, .nsegs = 1, .segs = { SEG(1, 0, 64) } },
	  .err = EINVAL },
	{ "PREP unknown flag", T_CHAN, DMABUFD_DMA_IOC_PREP, .arg.prep = MEMCPY(.flags = 1u << 5),
	  .err = EINVAL },
	{ "PREP issue without submit", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.flags = DMABUFD_DMA_PREP_ISSUE), .err = EINVAL },
	{ "PREP nsegs 0", T_CHAN, DMABUFD_DMA_IOC_PREP, .arg.prep = MEMCPY(.nsegs = 0),
	  .err = EINVAL },
	{ "PREP 2 segments, total short of src", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.nsegs = 2, .src = SEG(1, 0, 130),
			     .segs = { SEG(1, 4096, 64), SEG(1, 6000, 64) }), .err = EINVAL },
	{ "PREP 2 segments, second overlaps the source", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.nsegs = 2, .src = SEG(1, 0, 128),
			     .segs = { SEG(1, 4096, 64), SEG(1, 100, 64) }), .err = EINVAL },
	{ "PREP cyclic, 2 segments", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = { .type = DMABUFD_DMA_CYCLIC, .direction = DMABUFD_DMA_DEV_TO_MEM,
			.nsegs = 2, .segs = { SEG(1, 0, 1024), SEG(1, 1024, 1024) },
			.period_len = 1024 }, .err = EINVAL },
	{ "PREP nsegs 17", T_CHAN, DMABUFD_DMA_IOC_PREP, .arg.prep = MEMCPY(.nsegs = 17),
	  .err = EINVAL },
	{ "PREP unused segment set", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.segs = { SEG(1, 4096, 64), SEG(0, 0, 0), SEG(1, 0, 1) }),
	  .err = EINVAL },
	{ "PREP unknown attachment", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.src = SEG(7, 0, 64)), .err = EINVAL },
	{ "PREP length 0", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.src = SEG(1, 0, 0), .segs = { SEG(1, 4096, 0) }), .err = EINVAL },
	{ "PREP past the end", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.src = SEG(1, 0, 64), .segs = { SEG(1, 8190, 64) }), .err = EINVAL },
	{ "PREP offset past the end", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.src = SEG(1, 1ull << 40, 64)), .err = EINVAL },
	{ "PREP offset wrapping", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.src = SEG(1, ~0ull - 10, 64)), .err = EINVAL },
	{ "PREP 4 GiB", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.src = SEG(1, 0, 1ull << 32), .segs = { SEG(1, 0, 1ull << 32) }),
	  .err = EINVAL },
	{ "PREP lengths differ", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.src = SEG(1, 0, 65)), .err = EINVAL },
	{ "PREP overlapping ranges", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.src = SEG(1, 4000, 200)), .err = EINVAL },
	{ "PREP memcpy with a period", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.period_len = 16), .err = EINVAL },
	{ "PREP cyclic period 0", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = { .type = DMABUFD_DMA_CYCLIC, .direction = DMABUFD_DMA_DEV_TO_MEM,
			.nsegs = 1, .segs = { SEG(1, 0, 4096) } }, .err = EINVAL },
	{ "PREP cyclic period not dividing", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = { .type = DMABUFD_DMA_CYCLIC, .direction = DMABUFD_DMA_DEV_TO_MEM,
			.nsegs = 1, .segs = { SEG(1, 0, 4096) }, .period_len = 1000 },
	  .err = EINVAL },
	{ "PREP slave with a source", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = { .type = DMABUFD_DMA_SLAVE, .direction = DMABUFD_DMA_MEM_TO_DEV,
			.nsegs = 1, .src = SEG(1, 0, 64), .segs = { SEG(1, 0, 64) } },
	  .err = EINVAL },
	{ "PREP pad", T_CHAN, DMABUFD_DMA_IOC_PREP, .arg.prep = MEMCPY(.pad = 1), .err = EINVAL },
	{ "PREP pad2", T_CHAN, DMABUFD_DMA_IOC_PREP, .arg.prep = MEMCPY(.pad2 = 1),
	  .err = EINVAL },
	{ "PREP segment pad", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.src = { .attach_id = 1, .pad = 1, .len = 64 }), .err = EINVAL },
	{ "PREP into a read-only buffer", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = MEMCPY(.segs = { SEG(2, 0, 64) }), .err = EACCES },
	{ "PREP slave without a line", T_CHAN, DMABUFD_DMA_IOC_PREP,
	  .arg.prep = { .type = DMABUFD_DMA_SLAVE, .direction = DMABUFD_DMA_MEM_TO_DEV,
			.nsegs = 1, .segs = { SEG(1, 0, 64) } }, .err = EINVAL },
	{ "SUBMIT descriptor 0", T_CHAN, DMABUFD_DMA_IOC_SUBMIT, .err = EINVAL },
	{ "SUBMIT unknown descriptor", T_CHAN, DMABUFD_DMA_IOC_SUBMIT,
	  .arg.sub = { .desc_id = 1234 }, .err = EINVAL },
	{ "ISSUE_PENDING with nothing", T_CHAN, DMABUFD_DMA_IOC_ISSUE_PENDING, .err = 0 },
	{ "TX_STATUS cookie 0", T_CHAN, DMABUFD_DMA_IOC_TX_STATUS, .err = EINVAL },
	{ "TX_STATUS cookie -5", T_CHAN, DMABUFD_DMA_IOC_TX_STATUS, .arg.st = { .cookie = -5 },
	  .err = EINVAL },
	{ "TX_STATUS cookie 1", T_CHAN, DMABUFD_DMA_IOC_TX_STATUS, .arg.st = { .cookie = 1 },
	  .err = 0 },
	{ "FENCE cookie never used", T_CHAN, DMABUFD_DMA_IOC_FENCE,
	  .arg.fence = { .cookie = 99 }, .err = EINVAL },
	{ "FENCE cookie 0", T_CHAN, DMABUFD_DMA_IOC_FENCE, .err = EINVAL },
	{ "FENCE pad", T_CHAN, DMABUFD_DMA_IOC_FENCE, .arg.fence = { .cookie = 1, .pad = 1 },
	  .err = EINVAL },
	{ "WAIT cookie never used", T_CHAN, DMABUFD_DMA_IOC_WAIT,
	  .arg.wait = { .status.cookie = 99 }, .err = EINVAL },
	{ "WAIT cookie 0", T_CHAN, DMABUFD_DMA_IOC_WAIT, .err = EINVAL },
	{ "WAIT negative timeout", T_CHAN, DMABUFD_DMA_IOC_WAIT,
	  .arg.wait = { .timeout_ns = -1, .status.cookie = 1 }, .err = EINVAL },
	{ "WAIT flags", T_CHAN, DMABUFD_DMA_IOC_WAIT,
	  .arg.wait = { .flags = 1, .status.cookie = 1 }, .err = EINVAL },
	{ "WAIT pad", T_CHAN, DMABUFD_DMA_IOC_WAIT,
	  .arg.wait = { .pad = 1, .status.cookie = 1 }, .err = EINVAL },
	{ "WAIT status.status not 0", T_CHAN, DMABUFD_DMA_IOC_WAIT,
	  .arg.wait = { .status = { .cookie = 1, .status = 1 } }, .err = EINVAL },
	{ "WAIT status.error not 0", T_CHAN, DMABUFD_DMA_IOC_WAIT,
	  .arg.wait = { .status = { .cookie = 1, .error = -5 } }, .err = EINVAL },
	{ "WAIT status.residue not 0", T_CHAN, DMABUFD_DMA_IOC_WAIT,
	  .arg.wait = { .status = { .cookie = 1, .residue = 1 } }, .err = EINVAL },
	{ "WAIT cookie 1 reads complete", T_CHAN, DMABUFD_DMA_IOC_WAIT,
	  .arg.wait = { .status.cookie = 1 }, .err = 0 },
	{ "CONTROL op 0", T_CHAN, DMABUFD_DMA_IOC_CONTROL, .err = EINVAL },
	{ "CONTROL op 9", T_CHAN, DMABUFD_DMA_IOC_CONTROL, .arg.ctl = { .op = 9 },
	  .err = EINVAL },
	{ "CONTROL pause with an arg", T_CHAN, DMABUFD_DMA_IOC_CONTROL,
	  .arg.ctl = { .op = DMABUFD_DMA_PAUSE, .arg = 1 }, .err = EINVAL },
	{ "CONTROL pause, nothing runs", T_CHAN, DMABUFD_DMA_IOC_CONTROL,
	  .arg.ctl = { .op = DMABUFD_DMA_PAUSE }, .err = EPERM },
	{ "CONTROL resume, not paused", T_CHAN, DMABUFD_DMA_IOC_CONTROL,
	  .arg.ctl = { .op = DMABUFD_DMA_RESUME }, .err = EPERM },
	{ "EVENTS count 33", T_CHAN, DMABUFD_DMA_IOC_EVENTS, .arg.ev = { .count = 33 },
	  .err = EINVAL },
	{ "EVENTS, none queued", T_CHAN, DMABUFD_DMA_IOC_EVENTS, .err = 0 },
};

static void malformed_dma_ioctls_get_their_errno_and_leave_nothing(void **state)
{
	static const char *const names[T_MAX] = { "unbound fd", "channel fd" };
	struct dmabufd_ctl_stats base, now;
	int fd[T_MAX], rw, ro, ro_fd, failures = 0;
	uint64_t token;
	struct dmabufd_claim claim = { 0 };

	fd[T_UNBOUND] = dmabufd_open_node(DMABUFD_NODE_DMAENGINE, O_RDWR | O_CLOEXEC);
	assert_ok(fd[T_UNBOUND]);
	fd[T_CHAN] = chan_new(NULL);
	rw = buf_new(2 * PAGE, O_RDWR | O_CLOEXEC);
	ro = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	assert_int_equal(attach(fd[T_CHAN], rw), 1);
	assert_ok(dmabufd_export_token(ro, &token));
	ro_fd = dmabufd_open_node(DMABUFD_NODE_DMA_BUF, O_RDONLY | O_CLOEXEC);
	assert_ok(ro_fd);
	claim.token = token;
	assert_ok(raw_ioctl(ro_fd, DMABUFD_IOC_CLAIM, &claim));
	assert_int_equal(attach(fd[T_CHAN], ro_fd), 2);

	stats_now(&base);
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		const struct malformed *m = &table[i];
		union dma_arg arg = m->arg;
		int r = raw_ioctl(fd[m->target], m->cmd, &arg);

		if (r != -m->err) {
			print_error("%s on %s (cmd 0x%08lx): got %s, expected %s\n", m->what,
				    names[m->target], m->cmd, r ? strerror(-r) : "success",
				    m->err ? strerror(m->err) : "success");
			failures++;
		}
		stats_now(&now);
		if (!stats_equal(&now, &base)) {
			print_error("%s on %s changed the daemon's object counts\n", m->what,
				    names[m->target]);
			failures++;
			assert_stats_settle(&base, 1000);
		}
	}
	/* The channel still works. */
	{
		int32_t c = dmabufd_dma_memcpy(fd[T_CHAN], 1, PAGE, 2, 0, PAGE, 0);

		assert_ok(c);
		assert_int_equal(dmabufd_dma_wait(fd[T_CHAN], c, 10000), 0);
	}
	close(ro_fd);
	close(ro);
	close(rw);
	close(fd[T_CHAN]);
	close(fd[T_UNBOUND]);
	assert_int_equal(failures, 0);
}

static void fault_injection_refuses_bad_requests(void **state)
{
	assert_errno(dmabufd_dma_fault("dma0chan99", DMABUFD_CTL_FAULT_STALL, 0), ENODEV);
	assert_errno(dmabufd_dma_fault("dma0chan0", 99, 0), EINVAL);
	assert_errno(dmabufd_dma_fault("dma0chan0", DMABUFD_CTL_FAULT_FAIL_NTH, 0), EINVAL);
	assert_errno(dmabufd_dma_fault("dma0chan0", DMABUFD_CTL_FAULT_STALL, 3), EINVAL);
	assert_errno(dmabufd_dma_fault("chan0", DMABUFD_CTL_FAULT_STALL, 0), EINVAL);
}

/* ---- client death --------------------------------------------------------------- */

static int doomed_dma_client(void *arg)
{
	int report = *(int *)arg, chan, src, dst, s, d;
	struct dmabufd_dma_prep prep = { .type = DMABUFD_DMA_MEMCPY, .nsegs = 1 };
	struct dmabufd_dma_chan_info info;
	int32_t c;

	chan = dmabufd_dma_request_chan_by_name("dma0chan3", 0, &info);
	CHILD_CHECK(chan >= 0);
	CHILD_CHECK(dmabufd_dma_set_timeout(chan, 0) == 0);
	CHILD_CHECK(dmabufd_dma_fault("dma0chan3", DMABUFD_CTL_FAULT_STALL, 0) == 0);
	src = dmabufd_alloc("system", 64 * 1024, O_RDWR | O_CLOEXEC);
	dst = dmabufd_alloc("system", 64 * 1024, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(src >= 0 && dst >= 0);
	s = dmabufd_dma_attach(chan, src, NULL);
	d = dmabufd_dma_attach(chan, dst, NULL);
	CHILD_CHECK(s > 0 && d > 0);
	/* Running (stalled), queued behind it, submitted, prepared. */
	c = dmabufd_dma_memcpy(chan, (uint32_t)d, 0, (uint32_t)s, 0, 64 * 1024, 0);
	CHILD_CHECK(c > 0);
	c = dmabufd_dma_memcpy(chan, (uint32_t)d, 0, (uint32_t)s, 0, 4096,
			       DMABUFD_DMA_PREP_INTERRUPT);
	CHILD_CHECK(c > 0);
	prep.src = (struct dmabufd_dma_seg){ .attach_id = (uint32_t)s, .len = 4096 };
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = (uint32_t)d, .len = 4096 };
	prep.flags = DMABUFD_DMA_PREP_SUBMIT;
	CHILD_CHECK(dmabufd_dma_prep(chan, &prep) == 0);
	prep.flags = 0;
	CHILD_CHECK(dmabufd_dma_prep(chan, &prep) == 0);
	c = dmabufd_dma_fence(chan, c);
	CHILD_CHECK(c >= 0);
	if (write(report, "x", 1) != 1)
		return 2;
	for (;;)
		pause();
}

static int doomed_waiter(void *arg)
{
	int report = *(int *)arg;

	if (write(report, "x", 1) != 1)
		return 2;
	/* Blocked in the daemon until killed. */
	dmabufd_dma_request_chan("late", "x", 60000, NULL);
	return 3;
}

/* ---- the status page (TX_STATUS without a round trip) -------------------- */

/*
 * For every cookie from 1 to two past the last handed out: the page
 * answers (no -EAGAIN), as the ioctl does, and so does tx_status without
 * a status.
 */
static void page_equals_ioctl(int chan)
{
	struct dmabufd_dma_tx_status st;
	int32_t used;

	assert_ok(dmabufd_dma_tx_status(chan, 1, &st));
	used = st.used;
	for (int32_t c = 1; c <= used + 2; c++) {
		int want = dmabufd_dma_tx_status(chan, c, &st);
		int page = dmabufd_dma_tx_status_page(chan, c);

		assert_ok(want);
		if (page != want)
			fail_msg("cookie %d: page %d, ioctl %d", c, page, want);
		assert_int_equal(dmabufd_dma_tx_status(chan, c, NULL), want);
	}
}

static void status_page_answers_as_the_ioctl_over_copies_a_failure_and_a_terminate(void **state)
{
	struct dmabufd_dma_prep prep = {
		.type = DMABUFD_DMA_MEMCPY,
		.flags = DMABUFD_DMA_PREP_SUBMIT,
		.nsegs = 1,
	};
	struct copy_rig r;
	int32_t c, held[3];

	rig_open(&r, 16 * 1024, 11);
	page_equals_ioctl(r.chan);
	for (int i = 0; i < 5; i++) {
		c = copy(&r, r.len, 0);
		assert_int_equal(dmabufd_dma_wait(r.chan, c, 10000), 0);
		page_equals_ioctl(r.chan);
	}
	/* A failed one reads DMA_ERROR on both. */
	fault(r.info.name, DMABUFD_CTL_FAULT_FAIL_NTH, 1);
	c = copy(&r, r.len, 0);
	assert_int_equal(dmabufd_dma_wait(r.chan, c, 10000), -EIO);
	assert_int_equal(dmabufd_dma_tx_status_page(r.chan, c), DMABUFD_DMA_ERROR);
	page_equals_ioctl(r.chan);
	c = copy(&r, r.len, 0);
	assert_int_equal(dmabufd_dma_wait(r.chan, c, 10000), 0);
	page_equals_ioctl(r.chan);

	/* Issued on a stalled channel, and one submitted only: in progress. */
	assert_ok(dmabufd_dma_set_timeout(r.chan, 0));
	fault(r.info.name, DMABUFD_CTL_FAULT_STALL, 0);
	held[0] = copy(&r, r.len, 0);
	held[1] = copy(&r, r.len, 0);
	prep.src = (struct dmabufd_dma_seg){ .attach_id = r.src_id, .len = PAGE };
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = r.dst_id, .len = PAGE };
	assert_ok(dmabufd_dma_prep(r.chan, &prep));
	held[2] = prep.cookie;
	for (int i = 0; i < 3; i++)
		assert_int_equal(dmabufd_dma_tx_status_page(r.chan, held[i]),
				 DMABUFD_DMA_IN_PROGRESS);
	page_equals_ioctl(r.chan);

	/* Terminated: all three read DMA_ERROR (-ECANCELED) on both. */
	assert_ok(dmabufd_dma_terminate(r.chan));
	assert_ok(dmabufd_dma_synchronize(r.chan));
	for (int i = 0; i < 3; i++)
		assert_int_equal(dmabufd_dma_wait(r.chan, held[i], 10000), -ECANCELED);
	for (int i = 0; i < 3; i++)
		assert_int_equal(dmabufd_dma_tx_status_page(r.chan, held[i]), DMABUFD_DMA_ERROR);
	page_equals_ioctl(r.chan);
	fault(r.info.name, DMABUFD_CTL_FAULT_CLEAR, 0);
	c = copy(&r, r.len, 0);
	assert_int_equal(dmabufd_dma_wait(r.chan, c, 10000), 0);
	page_equals_ioctl(r.chan);
	rig_close(&r);
}

/* Failures fall out of the fd's history after DMABUFD_DMA_FENCE_HISTORY
 * ends: then both read DMA_COMPLETE. */
static void status_page_forgets_a_failure_with_the_history(void **state)
{
	struct copy_rig r;
	int32_t failed, c = 0;

	rig_open(&r, 4096, 12);
	fault(r.info.name, DMABUFD_CTL_FAULT_FAIL_NTH, 1);
	failed = copy(&r, r.len, 0);
	assert_int_equal(dmabufd_dma_wait(r.chan, failed, 10000), -EIO);
	assert_int_equal(dmabufd_dma_tx_status_page(r.chan, failed), DMABUFD_DMA_ERROR);
	for (int i = 0; i < DMABUFD_DMA_FENCE_HISTORY; i++)
		c = copy(&r, r.len, 0);
	assert_int_equal(dmabufd_dma_wait(r.chan, c, 10000), 0);
	/* The history is trimmed from the loop, after the last end. */
	for (int i = 0; i < 500 && dmabufd_dma_tx_status_page(r.chan, failed) !=
					   DMABUFD_DMA_COMPLETE; i++)
		usleep(2000);
	assert_int_equal(dmabufd_dma_tx_status_page(r.chan, failed), DMABUFD_DMA_COMPLETE);
	page_equals_ioctl(r.chan);
	rig_close(&r);
}

static void status_page_defers_to_the_ioctl_while_paused(void **state)
{
	struct copy_rig r;
	int32_t cookie;
	int p = -EPERM;

	rig_open(&r, 64 * 1024, 13);
	assert_ok(dmabufd_dma_set_timeout(r.chan, 0));
	fault(r.info.name, DMABUFD_CTL_FAULT_STALL, 0);
	cookie = copy(&r, r.len, 0);
	assert_int_equal(dmabufd_dma_tx_status_page(r.chan, cookie), DMABUFD_DMA_IN_PROGRESS);
	for (int i = 0; i < 500 && p == -EPERM; i++) {
		p = dmabufd_dma_pause(r.chan);
		if (p == -EPERM)
			usleep(2000);
	}
	assert_ok(p);
	/* The page cannot tell paused from in progress: the ioctl answers. */
	assert_int_equal(dmabufd_dma_tx_status_page(r.chan, cookie), -EAGAIN);
	assert_int_equal(dmabufd_dma_tx_status(r.chan, cookie, NULL), DMABUFD_DMA_PAUSED);
	/* Cookies that ended still read from the page. */
	assert_int_equal(dmabufd_dma_tx_status_page(r.chan, 1), DMABUFD_DMA_COMPLETE);
	fault(r.info.name, DMABUFD_CTL_FAULT_CLEAR, 0);
	assert_ok(dmabufd_dma_resume(r.chan));
	assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), 0);
	assert_int_equal(dmabufd_dma_tx_status_page(r.chan, cookie), DMABUFD_DMA_COMPLETE);
	rig_close(&r);
}

/* A channel whose cookie 2 is stalled in progress, on the lowest free fd. */
static int stalled_chan(int32_t *ret_cookie, struct copy_rig *r)
{
	rig_open(r, 4096, 14);
	assert_ok(dmabufd_dma_set_timeout(r->chan, 0));
	fault(r->info.name, DMABUFD_CTL_FAULT_STALL, 0);
	*ret_cookie = copy(r, r->len, 0);
	assert_int_equal(*ret_cookie, 2);
	return r->chan;
}

static void status_page_of_a_released_channel_does_not_answer_for_the_next(void **state)
{
	struct dmabufd_dma_request req = { .how = DMABUFD_DMA_REQ_BY_CAP, .cap_mask = CAP_MEMCPY };
	struct dmabufd_ctl_stats base;
	struct copy_rig r;
	int32_t cookie;
	int old, fd;

	/* Old channel: cookies 2..4 complete, its page mapped. */
	stats_now(&base);
	old = chan_new(NULL);
	{
		int src = buf_new(PAGE, O_RDWR | O_CLOEXEC), dst = buf_new(PAGE, O_RDWR | O_CLOEXEC);
		uint32_t s = attach(old, src), d = attach(old, dst);

		for (int i = 0; i < 3; i++) {
			cookie = dmabufd_dma_memcpy(old, d, 0, s, 0, PAGE, 0);
			assert_int_equal(dmabufd_dma_wait(old, cookie, 10000), 0);
		}
		close(src);
		close(dst);
	}
	assert_int_equal(dmabufd_dma_tx_status_page(old, 2), DMABUFD_DMA_COMPLETE);
	close(old);

	/* A new channel through libdmabufd on the same number, at once. */
	fd = stalled_chan(&cookie, &r);
	assert_int_equal(fd, old);
	assert_int_equal(dmabufd_dma_tx_status_page(fd, cookie), DMABUFD_DMA_IN_PROGRESS);
	assert_int_equal(dmabufd_dma_tx_status(fd, cookie, NULL), DMABUFD_DMA_IN_PROGRESS);
	rig_close(&r);
	assert_stats_settle(&base, 3000);

	/* Not through libdmabufd: the old page's retirement tells. */
	fd = stalled_chan(&cookie, &r);
	assert_int_equal(dmabufd_dma_tx_status_page(fd, 2), DMABUFD_DMA_IN_PROGRESS);
	fault(r.info.name, DMABUFD_CTL_FAULT_CLEAR, 0);
	assert_int_equal(dmabufd_dma_wait(fd, 2, 10000), 0);
	assert_int_equal(dmabufd_dma_tx_status_page(fd, 2), DMABUFD_DMA_COMPLETE);
	rig_close(&r);
	assert_stats_settle(&base, 3000);
	fd = dmabufd_open_node(DMABUFD_NODE_DMAENGINE, O_RDWR | O_CLOEXEC);
	assert_int_equal(fd, old);
	assert_ok(raw_ioctl(fd, DMABUFD_DMA_IOC_REQUEST_CHAN, &req));
	/* Cookie 2 was never handed out on it: complete, by the kernel's
	 * rule, from its own page; then in progress once submitted. */
	{
		struct dmabufd_dma_prep prep = {
			.type = DMABUFD_DMA_MEMCPY,
			.flags = DMABUFD_DMA_PREP_SUBMIT,
			.nsegs = 1,
		};
		int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
		uint32_t id = attach(fd, buf);

		prep.src = (struct dmabufd_dma_seg){ .attach_id = id, .len = 64 };
		prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = id, .offset = 64, .len = 64 };
		assert_ok(dmabufd_dma_prep(fd, &prep));
		assert_int_equal(prep.cookie, 2);
		assert_int_equal(dmabufd_dma_tx_status_page(fd, 2), DMABUFD_DMA_IN_PROGRESS);
		page_equals_ioctl(fd);
		close(buf);
	}
	close(fd);
}

/* A fd whose STATUS_MAP is ENOTTY (as on a daemon without status pages)
 * is answered by the ioctl, and its number is not stuck there. */
static void status_page_refused_with_enotty_falls_back_to_the_ioctl(void **state)
{
	int tl = timeline_new(), chan;

	assert_int_equal(dmabufd_dma_tx_status_page(tl, 2), -EAGAIN);
	assert_errno(dmabufd_dma_tx_status(tl, 2, NULL), ENOTTY);
	assert_int_equal(dmabufd_dma_tx_status_page(tl, 2), -EAGAIN);
	close(tl);
	chan = chan_new(NULL);
	assert_int_equal(chan, tl);
	assert_int_equal(dmabufd_dma_tx_status_page(chan, 2), DMABUFD_DMA_COMPLETE);
	close(chan);
}

/* DMABUFD_CTL_MAP by hand: the reply's errno (0 with the fd in *ret_fd). */
static int ctl_redeem(uint64_t token, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct dmabufd_ctl_req req = { .version = DMABUFD_CTL_VERSION,
				       .op = DMABUFD_CTL_MAP, .token = token };
	struct dmabufd_ctl_reply reply;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &reply, sizeof(reply) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int sock, fd = -1;

	if (dmabufd_get_control_path(sa.sun_path, sizeof(sa.sun_path)) < 0)
		return -1;
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(sock, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req) ||
	    recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != sizeof(reply)) {
		if (sock >= 0)
			close(sock);
		return -1;
	}
	close(sock);
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	if (ret_fd)
		*ret_fd = fd;
	else if (fd >= 0)
		close(fd);
	return reply.error;
}

static void status_page_is_read_only(void **state)
{
	struct dmabufd_dma_status_map m = { 0 };
	const struct dmabufd_dma_status_page *page;
	char byte = 0;
	void *addr;
	int chan, fd, raw;

	/* No channel: EBADFD. */
	raw = dmabufd_open_node(DMABUFD_NODE_DMAENGINE, O_RDWR | O_CLOEXEC);
	assert_ok(raw);
	assert_errno(raw_ioctl(raw, DMABUFD_DMA_IOC_STATUS_MAP, &m), EBADFD);
	close(raw);

	chan = chan_new(NULL);
	assert_ok(raw_ioctl(chan, DMABUFD_DMA_IOC_STATUS_MAP, &m));
	assert_true(m.size >= sizeof(*page));
	assert_int_equal(m.pad, 0);
	assert_int_equal(ctl_redeem(m.token, &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_true(mmap(NULL, m.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
	assert_int_equal(errno, EACCES);
	assert_int_equal(write(fd, &byte, 1), -1);
	assert_int_equal(errno, EBADF);
	addr = mmap(NULL, m.size, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(addr != MAP_FAILED);
	close(fd);
	page = addr;
	assert_int_not_equal(page->generation, 0);
	assert_int_equal(page->used, 1);
	assert_int_equal(page->last, 1);
	/* Used up. */
	assert_int_equal(ctl_redeem(m.token, NULL), EINVAL);
	close(chan);
	/* Released: the page says so. */
	for (int i = 0; i < 500 && page->generation; i++)
		usleep(2000);
	assert_int_equal(page->generation, 0);
	munmap(addr, m.size);
}

static int redeem_as_nobody(void *arg)
{
	uint64_t token = *(uint64_t *)arg;

	if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
		return 2;
	CHILD_CHECK(ctl_redeem(token, NULL) == EPERM);
	return 0;
}

static void status_page_token_of_another_uid_is_refused(void **state)
{
	struct dmabufd_dma_status_map m = { 0 };
	int chan;

	if (geteuid() != 0)
		skip();
	chan = chan_new(NULL);
	assert_ok(raw_ioctl(chan, DMABUFD_DMA_IOC_STATUS_MAP, &m));
	assert_child_ok(fork_child(redeem_as_nobody, &m.token));
	/* Used up by the refusal, as MAP's tokens are. */
	assert_int_equal(ctl_redeem(m.token, NULL), EINVAL);
	close(chan);
}

static void kill_client(int (*fn)(void *arg), int settle_ms)
{
	struct dmabufd_ctl_stats base, held;
	int pipefd[2], status;
	char c;
	pid_t pid;

	stats_now(&base);
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork_child(fn, &pipefd[1]);
	close(pipefd[1]);
	if (read(pipefd[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		fail_msg("the client died before it was ready (status 0x%x)", status);
	}
	close(pipefd[0]);
	usleep(100000);
	stats_now(&held);
	assert_true(memcmp(&held, &base, sizeof(held)) != 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_stats_settle(&base, settle_ms);
}

static void client_killed_with_transfers_in_flight_leaves_nothing(void **state)
{
	kill_client(doomed_dma_client, 5000);
	fault("dma0chan3", DMABUFD_CTL_FAULT_CLEAR, 0);
	/* The channel is free and works. */
	{
		struct dmabufd_ctl_stats base;
		int fd;

		stats_now(&base);
		fd = dmabufd_dma_request_chan_by_name("dma0chan3", 0, NULL);
		assert_ok(fd);
		close(fd);
		assert_stats_settle(&base, 3000);
	}
}

static void client_killed_in_a_deferred_request_leaves_nothing(void **state)
{
	kill_client(doomed_waiter, 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* First: the controller is not there yet. */
		itest(request_by_name_is_deferred_until_the_controller_registers),
		itest(deferred_request_times_out_with_eagain),
		itest(deferred_request_is_interrupted_by_a_signal),
		itest(request_by_cap_gets_a_memcpy_channel),
		itest(request_by_name_gets_the_mapped_channel_and_line),
		itest(request_by_channel_name_gets_that_channel),
		itest(private_channel_second_request_is_ebusy),
		itest(request_on_a_fd_holding_a_channel_is_ebusy),
		itest(request_without_a_match_is_enodev),
		itest(channels_run_out_and_come_back),
		itest(process_b_reads_what_process_a_copied_after_the_fence),
		itest(stalled_copy_signals_etimedout_to_process_b_with_no_data),
		itest(copy_with_offsets_moves_exactly_those_bytes),
		itest(failed_transfer_signals_eio_and_the_next_one_works),
		itest(fail_nth_counts_only_the_faulted_channels_transfers),
		itest(terminate_with_work_queued_cancels_every_fence),
		itest(pause_and_resume_a_running_transfer),
		itest(tx_status_reports_residue_then_complete),
		itest(status_page_answers_as_the_ioctl_over_copies_a_failure_and_a_terminate),
		itest(status_page_forgets_a_failure_with_the_history),
		itest(status_page_defers_to_the_ioctl_while_paused),
		itest(status_page_of_a_released_channel_does_not_answer_for_the_next),
		itest(status_page_is_read_only),
		itest(status_page_token_of_another_uid_is_refused),
		itest(status_page_refused_with_enotty_falls_back_to_the_ioctl),
		itest(prep_submit_issue_in_three_steps),
		itest(fence_of_a_long_completed_cookie_is_a_signaled_stub),
		itest(completion_events_for_prep_interrupt_only),
		itest(implicit_sync_cpu_access_waits_for_the_dma),
		itest(copy_waits_for_the_implicit_fences_of_its_buffers),
		itest(transfers_in_flight_are_listed_with_their_cookies),
		itest(detach_while_a_transfer_uses_it_is_ebusy),
		itest(read_only_buffer_is_a_source_only),
		itest(access_mode_3_buffer_is_no_source_or_destination),
		itest(scatter_copy_fills_the_segments_in_order),
		itest(scatter_copy_fails_whole_when_a_segment_fails),
		itest(slave_round_trip_through_the_loopback_fifo),
		itest(slave_scatter_gather_round_trip),
		itest(slave_without_a_request_line_is_einval),
		itest(cyclic_periods_arrive_as_events),
		itest(events_past_the_queue_are_counted_as_lost),
		itest(fifo_bytes_of_a_closed_channel_are_not_read_by_the_next_user),
		itest(cyclic_loopback_pair_leaves_the_daemon_answering),
		itest(malformed_dma_ioctls_get_their_errno_and_leave_nothing),
		itest(fault_injection_refuses_bad_requests),
		itest(client_killed_with_transfers_in_flight_leaves_nothing),
		itest(client_killed_in_a_deferred_request_leaves_nothing),
	};

	return cmocka_run_group_tests_name("dma", tests, NULL, NULL);
}
