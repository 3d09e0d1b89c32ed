/* SPDX-License-Identifier: MIT */
/*
 * Who holds what, and the hang report.
 *
 * The listings name the process that opened a buffer's first file, the
 * last caller of an ioctl on it, a fence's producer, and each open
 * file's opener and last caller (DMABUFD_CTL_FILES); dmabufctl procs
 * adds them up per process (sync_files, fences made and channels
 * too). A call from a second thread shows the process's pid and comm,
 * not the thread's; fences --pending --older-than lists old pending
 * fences with who made them. The hang report: a daemon started with
 * --hang-report-ms=200 (test-who.args) logs one warning for a WAIT
 * parked on an unsignaled fence, naming the fence, its timeline and its
 * producer (and likewise a DMA WAIT on a transfer held back by an
 * implicit fence, naming that fence too, and a CPU-access SYNC, naming
 * the buffer), and one "timed out" line for a wait that reaches its
 * timeout; built as test-who-quiet (WHO_QUIET) against a daemon with
 * the default (0) it logs nothing for the same wait. run.sh gives the
 * daemon's log in $DMABUFD_DAEMON_LOG; meson gives dmabufctl in
 * $DMABUFCTL.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "itest.h"

#ifdef WHO_QUIET
#define SELF_COMM "test-who-quiet"
#else
#define SELF_COMM "test-who"
#endif
#define CHILD_COMM "who-child"

/* The listing @op; fails the test on error. */
static void *list(uint32_t op, uint32_t *ret_count, uint32_t *ret_size)
{
	void *recs = NULL;

	assert_ok(dmabufd_ctl_list(op, &recs, ret_count, ret_size));
	return recs;
}

/* A copy of buffer @id's record. */
static struct dmabufd_ctl_buffer buffer_rec(uint64_t id)
{
	struct dmabufd_ctl_buffer found = { 0 };
	uint32_t count, size;
	char *recs = list(DMABUFD_CTL_BUFFERS, &count, &size);

	for (uint32_t i = 0; i < count; i++) {
		const struct dmabufd_ctl_buffer *b = (const void *)(recs + (size_t)i * size);

		if (b->id == id)
			found = *b;
	}
	free(recs);
	assert_int_equal(found.id, id);
	return found;
}

static uint64_t buf_id(int fd)
{
	struct dmabufd_dma_buf_info info;

	assert_ok(dmabufd_buf_info(fd, &info));
	return info.id;
}

static void buffer_shows_this_process_as_opener_and_last_caller(void **state)
{
	int fd = buf_new(PAGE, O_RDWR);
	struct dmabufd_ctl_buffer b = buffer_rec(buf_id(fd));

	assert_int_equal(b.opener_pid, getpid());
	assert_string_equal(b.opener_comm, SELF_COMM);
	assert_int_equal(b.last_pid, getpid());
	assert_string_equal(b.last_comm, SELF_COMM);
	close(fd);
}

/*
 * A child named CHILD_COMM that takes a buffer fd over @sock, makes one
 * ioctl on it, says so with a byte, and lives until the other end
 * (@peer, which it closes) closes.
 */
static pid_t child_using_buffer(int sock, int peer)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t word;
		char c = 1;
		int fd;

		close(peer);
		prctl(PR_SET_NAME, CHILD_COMM);
		if (recv_fd(sock, &fd, &word) < 0 ||
		    dmabufd_buf_set_name(fd, "shared") < 0 ||
		    write(sock, &c, 1) != 1)
			_exit(1);
		while (read(sock, &c, 1) > 0)
			;
		_exit(0);
	}
	return pid;
}

/* Run "$DMABUFCTL ARGS" and return its stdout (free it); the test fails
 * unless it exits 0. */
static char *dmabufctl(const char *args)
{
	const char *exe = getenv("DMABUFCTL");
	char cmd[512], *out = NULL;
	size_t len = 0;
	FILE *p, *mem;
	int c;

	assert_non_null(exe);
	snprintf(cmd, sizeof(cmd), "%s %s", exe, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	mem = open_memstream(&out, &len);
	assert_non_null(mem);
	while ((c = fgetc(p)) != EOF)
		fputc(c, mem);
	fclose(mem);
	assert_int_equal(pclose(p), 0);
	return out;
}

static void buffer_passed_to_a_child_shows_its_use_and_is_shared(void **state)
{
	int sv[2], fd = buf_new(3 * PAGE, O_RDWR), mine = buf_new(PAGE, O_RDWR);
	uint64_t id = buf_id(fd); /* an ioctl: before the child's */
	struct dmabufd_ctl_buffer b;
	char c, args[128], want[256], *parent_row, *child_row, *json;
	pid_t child;

	assert_ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	child = child_using_buffer(sv[1], sv[0]);
	assert_ok(send_fd(sv[0], fd, 0));
	assert_int_equal(read(sv[0], &c, 1), 1);

	/* Everything is read while the child lives; then it goes, and
	 * only then the checks (a failed one leaves no child behind). */
	b = buffer_rec(id);
	snprintf(args, sizeof(args),
		 "procs -r -n -o PID,COMM,BUFFERS,BYTES,SHARED_BYTES,PRIVATE_BYTES -p %d",
		 (int)getpid());
	parent_row = dmabufctl(args);
	snprintf(args, sizeof(args),
		 "procs -r -n -o PID,COMM,BUFFERS,BYTES,SHARED_BYTES,PRIVATE_BYTES -p %d",
		 (int)child);
	child_row = dmabufctl(args);
	json = dmabufctl("-J procs");
	close(sv[0]);
	assert_child_ok(child);
	close(sv[1]);
	close(fd);
	close(mine);

	assert_int_equal(b.opener_pid, getpid());
	assert_string_equal(b.opener_comm, SELF_COMM);
	assert_int_equal(b.last_pid, child);
	assert_string_equal(b.last_comm, CHILD_COMM);
	/* Per process: this one holds both buffers (3 pages shared with
	 * the child, 1 page its own), the child the shared one. */
	snprintf(want, sizeof(want), "%d %s 2 %u %u %u\n", (int)getpid(), SELF_COMM,
		 4 * PAGE, 3 * PAGE, PAGE);
	assert_string_equal(parent_row, want);
	snprintf(want, sizeof(want), "%d %s 1 %u %u 0\n", (int)child, CHILD_COMM,
		 3 * PAGE, 3 * PAGE);
	assert_string_equal(child_row, want);
	/* The totals count each buffer once. */
	snprintf(want, sizeof(want),
		 "\"total\": {\"processes\": 2, \"buffers\": 2, \"bytes\": %u, "
		 "\"shared_bytes\": %u, \"private_bytes\": %u,",
		 4 * PAGE, 3 * PAGE, PAGE);
	assert_non_null(strstr(json, want));
	free(parent_row);
	free(child_row);
	free(json);
}

/* A child that maps the buffer of handle @arg through the control
 * socket's MAP (no ioctl on any fd of it) and unmaps it. */
static int map_only(void *arg)
{
	void *p;
	size_t len;

	prctl(PR_SET_NAME, CHILD_COMM);
	CHILD_CHECK(dmabufd_buf_mmap_h(*(uint64_t *)arg, PROT_READ, &p, &len) == 0);
	dmabufd_buf_munmap(p, len);
	return 0;
}

static void buffer_mapped_by_a_child_shows_it_as_last_caller(void **state)
{
	int fd = buf_new(PAGE, O_RDWR);
	uint64_t id = buf_id(fd), handle; /* ioctls of this process first */
	struct dmabufd_ctl_buffer b;
	pid_t child;

	assert_ok(dmabufd_handle(fd, &handle, NULL));
	child = fork_child_as(0, map_only, &handle);

	assert_child_ok(child);
	b = buffer_rec(id);
	assert_int_equal(b.opener_pid, getpid());
	assert_int_equal(b.last_pid, child);
	close(fd);
}

struct named_by_thread {
	int fd;
	int go[2];	/* the thread waits for a byte (or EOF) here */
	int done[2];	/* and says it called here */
	int result;
};

/* A second thread: names the buffer (an ioctl), then lives until told,
 * so /proc still has it while dmabufctl lists. */
static void *name_from_a_thread(void *arg)
{
	struct named_by_thread *t = arg;
	char c = 1;

	pthread_setname_np(pthread_self(), "who-thread");
	t->result = dmabufd_buf_set_name(t->fd, "threaded");
	if (write(t->done[1], &c, 1) != 1)
		t->result = -EIO;
	while (read(t->go[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void call_from_a_second_thread_shows_the_process_pid_not_the_tid(void **state)
{
	struct named_by_thread t = { .fd = buf_new(PAGE, O_RDWR) };
	uint64_t id = buf_id(t.fd);
	char args[128], want[256], c, *bufs, *files;
	pthread_t th;

	assert_ok(pipe2(t.go, O_CLOEXEC));
	assert_ok(pipe2(t.done, O_CLOEXEC));
	assert_int_equal(pthread_create(&th, NULL, name_from_a_thread, &t), 0);
	assert_int_equal(read(t.done[0], &c, 1), 1);
	snprintf(args, sizeof(args), "buffers -rn -o ID,NAME,LAST_PID,LAST_COMM");
	bufs = dmabufctl(args);
	files = dmabufctl("files -rn -o KIND,NAME,OPENER_PID,LAST_PID,LAST_COMM");
	close(t.go[1]);
	assert_int_equal(pthread_join(th, NULL), 0);
	close(t.go[0]);
	close(t.done[0]);
	close(t.done[1]);

	assert_ok(t.result);
	/* The thread's tid is not a pid dmabufctl shows: the caller is the
	 * process, under the process's comm. */
	snprintf(want, sizeof(want), "%llu threaded %d %s\n", (unsigned long long)id,
		 (int)getpid(), SELF_COMM);
	assert_string_equal(bufs, want);
	snprintf(want, sizeof(want), "buffer threaded %d %d %s\n", (int)getpid(),
		 (int)getpid(), SELF_COMM);
	assert_string_equal(files, want);
	free(bufs);
	free(files);
	close(t.fd);
}

/* Per process: three sync_files (two points of its timeline, both its
 * fences, and their merge), two fences produced, one channel. */
static void procs_counts_sync_files_fences_and_channels(void **state)
{
	int tl = timeline_new(), f1 = fence_new(tl, 1), f2 = fence_new(tl, 2);
	int chan = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 0, NULL);
	int merged;
	char args[128], want[128], *row, *total;

	assert_ok(chan);
	merged = dmabufd_sync_merge("both", f1, f2);
	assert_ok(merged);
	snprintf(args, sizeof(args),
		 "procs -rn -o PID,COMM,BUFFERS,SYNC_FILES,FENCES,CHANNELS -p %d",
		 (int)getpid());
	row = dmabufctl(args);
	total = dmabufctl("-J procs");

	snprintf(want, sizeof(want), "%d %s 0 3 2 1\n", (int)getpid(), SELF_COMM);
	assert_string_equal(row, want);
	assert_non_null(strstr(total, "\"sync_files\": 3, \"fences\": 2, \"channels\": 1}"));
	free(row);
	free(total);
	close(merged);
	close(chan);
	close(f2);
	close(f1);
	close(tl);
}

/* The sync_file file this process opened last: its fence's context and
 * seqno, from the files' listing. */
static void sync_file_fence_of(uint64_t *ret_context, uint64_t *ret_seqno)
{
	uint32_t count, size;
	char *recs = list(DMABUFD_CTL_FILES, &count, &size);
	bool found = false;

	for (uint32_t i = 0; i < count; i++) {
		const struct dmabufd_ctl_file *f = (const void *)(recs + (size_t)i * size);

		if (f->kind != DMABUFD_CTL_FILE_SYNC_FILE || f->opener_pid != (uint32_t)getpid())
			continue;
		assert_string_equal(f->opener_comm, SELF_COMM);
		*ret_context = f->object;
		*ret_seqno = f->seqno;
		found = true;
	}
	free(recs);
	assert_true(found);
}

static void fence_shows_this_process_as_producer(void **state)
{
	int tl = timeline_new(), fence = fence_new(tl, 7);
	uint64_t context = 0, seqno = 0;
	uint32_t count, size;
	char *recs;
	bool found = false;

	sync_file_fence_of(&context, &seqno);
	assert_int_equal(seqno, 7);
	recs = list(DMABUFD_CTL_FENCES, &count, &size);
	for (uint32_t i = 0; i < count; i++) {
		const struct dmabufd_ctl_fence *f = (const void *)(recs + (size_t)i * size);

		if (f->context != context || f->seqno != seqno)
			continue;
		assert_int_equal(f->producer_pid, getpid());
		assert_string_equal(f->producer_comm, SELF_COMM);
		found = true;
	}
	free(recs);
	assert_true(found);
	close(fence);
	close(tl);
}

/* The age of fence @context:@seqno as the listing gives it (ns). */
static uint64_t fence_age_ns(uint64_t context, uint64_t seqno)
{
	uint32_t count, size;
	char *recs = list(DMABUFD_CTL_FENCES, &count, &size);
	uint64_t age = 0;
	bool found = false;

	for (uint32_t i = 0; i < count; i++) {
		const struct dmabufd_ctl_fence *f = (const void *)(recs + (size_t)i * size);

		if (f->context == context && f->seqno == seqno) {
			age = f->age_ns;
			found = true;
		}
	}
	free(recs);
	assert_true(found);
	return age;
}

/*
 * Points 1 (signaled) and 2 (pending) of a timeline, both at least 6 s
 * old, and point 3 (pending) made just before listing: --older-than 3s
 * leaves the young one out (3 s of slack for a slow machine), --pending
 * the signaled one, and the pair adds who made them.
 */
static void fences_pending_older_than_lists_only_old_pending_ones_with_producers(void **state)
{
	int tl = timeline_new(), f1 = fence_new(tl, 1), f2, f3;
	uint64_t ctx = 0, seq = 0;
	char want[256], *both, *old, *dflt, *row;

	sync_file_fence_of(&ctx, &seq);
	f2 = fence_new(tl, 2);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	for (int i = 0; i < 600 && fence_age_ns(ctx, 2) < 6000000000u; i++)
		usleep(50000);
	assert_true(fence_age_ns(ctx, 2) >= 6000000000u);
	f3 = fence_new(tl, 3);

	both = dmabufctl("fences --pending --older-than 3s -rn "
			 "-o CONTEXT,SEQNO,STATUS,PRODUCER_PID,PRODUCER_COMM");
	old = dmabufctl("fences --older-than 3s -rn -o CONTEXT,SEQNO,STATUS");
	dflt = dmabufctl("fences --pending --older-than 3s -r");

	snprintf(want, sizeof(want), "%llu 2 pending %d %s\n",
		 (unsigned long long)ctx, (int)getpid(), SELF_COMM);
	assert_string_equal(both, want);
	snprintf(want, sizeof(want), "%llu 1 signaled\n%llu 2 pending\n",
		 (unsigned long long)ctx, (unsigned long long)ctx);
	assert_string_equal(old, want);
	/* Without -o: the default columns, then who made it. */
	row = strchr(dflt, '\n');
	assert_non_null(row);
	*row++ = '\0';
	assert_string_equal(dflt, "CONTEXT SEQNO DRIVER TIMELINE STATUS AGE SIGNALED "
				  "REFCOUNT WAITERS PRODUCER_PID PRODUCER_COMM");
	snprintf(want, sizeof(want), "%llu 2 sw_sync %s pending ",
		 (unsigned long long)ctx, SELF_COMM);
	assert_int_equal(strncmp(row, want, strlen(want)), 0);
	snprintf(want, sizeof(want), " %d %s\n", (int)getpid(), SELF_COMM);
	assert_true(strlen(row) > strlen(want));
	assert_string_equal(row + strlen(row) - strlen(want), want);
	assert_ptr_equal(strchr(row, '\n'), row + strlen(row) - 1);
	free(both);
	free(old);
	free(dflt);
	close(f3);
	close(f2);
	close(f1);
	close(tl);
}

/* The daemon log's lines that contain @needle, as one string (free it). */
static char *log_lines_with(const char *needle)
{
	const char *path = getenv("DMABUFD_DAEMON_LOG");
	char line[2048], *out = NULL;
	size_t len = 0;
	FILE *f, *mem;

	assert_non_null(path);
	f = fopen(path, "r");
	assert_non_null(f);
	mem = open_memstream(&out, &len);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			fputs(line, mem);
	fclose(mem);
	fclose(f);
	return out;
}

/*
 * A child waits on @fence (no timeout of its own but the daemon's cap);
 * this process made the fence. Returns the child, parked in the daemon.
 */
static pid_t child_waiting(int fence)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_NAME, CHILD_COMM);
		_exit(dmabufd_sync_wait(fence, -1) == 0 ? 0 : 1);
	}
	assert_true(await_pending_request(10000));
	return pid;
}

#ifndef WHO_QUIET
/* Wait up to 20 s for the log to hold a line with @needle; the lines
 * (free them). */
static char *await_log_lines_with(const char *needle)
{
	char *lines = NULL;

	for (int i = 0; i < 400; i++) {
		free(lines);
		lines = log_lines_with(needle);
		if (*lines)
			break;
		usleep(50000);
	}
	return lines;
}

/* The hang report of child @pid's parked call, awaited as above (it
 * comes 200 ms after the call parked); the lines (free them). */
static char *await_blocked_report(pid_t pid)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "by pid %d (" CHILD_COMM ") still blocked",
		 (int)pid);
	return await_log_lines_with(needle);
}

static void parked_wait_is_reported_once_with_fence_timeline_and_producer(void **state)
{
	int tl = timeline_new(), fence = fence_new(tl, 3);
	uint64_t context = 0, seqno = 0;
	char want[512], *lines;
	pid_t child;

	sync_file_fence_of(&context, &seqno);
	child = child_waiting(fence);
	lines = await_blocked_report(child);
	snprintf(want, sizeof(want),
		 ": fence %llu:%llu (sw_sync/%s) made by pid %d (%s)\n",
		 (unsigned long long)context, (unsigned long long)seqno, SELF_COMM,
		 (int)getpid(), SELF_COMM);
	assert_non_null(strstr(lines, "warning: dev: dmabufd/sync_file #"));
	assert_non_null(strstr(lines, "DMABUFD_SYNC_IOC_WAIT by pid"));
	assert_non_null(strstr(lines, want));
	/* One line only. */
	assert_ptr_equal(strchr(lines, '\n'), lines + strlen(lines) - 1);
	free(lines);

	assert_ok(dmabufd_timeline_inc(tl, 3));
	assert_child_ok(child);
	close(fence);
	close(tl);
}

/* The pending fence of the sync_file this process opened whose fence is
 * not @ctx (the other of two). */
static void sync_file_fence_not_of(uint64_t ctx, uint64_t *ret_context,
				   uint64_t *ret_seqno)
{
	uint32_t count, size;
	char *recs = list(DMABUFD_CTL_FILES, &count, &size);
	unsigned found = 0;

	for (uint32_t i = 0; i < count; i++) {
		const struct dmabufd_ctl_file *f = (const void *)(recs + (size_t)i * size);

		if (f->kind != DMABUFD_CTL_FILE_SYNC_FILE ||
		    f->opener_pid != (uint32_t)getpid() || f->object == ctx)
			continue;
		*ret_context = f->object;
		*ret_seqno = f->seqno;
		found++;
	}
	free(recs);
	assert_int_equal(found, 1);
}

/* Every log line about child @pid's calls (free it). */
static char *log_lines_of_child(pid_t pid)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "by pid %d (" CHILD_COMM ")", (int)pid);
	return log_lines_with(needle);
}

/* "PREFIX by pid P (who-child) WHAT after ": the line's head; the
 * duration after it is whatever it took. */
static void assert_report_line(const char *lines, const char *head,
			       const char *tail)
{
	const char *h = strstr(lines, head), *t = strstr(lines, tail);

	if (!h || !t)
		fail_msg("no \"%s...%s\" in:\n%s", head, tail, lines);
	/* One line: the head, a duration in ms, then the tail to its end. */
	assert_ptr_equal(strchr(lines, '\n'), lines + strlen(lines) - 1);
	assert_true(t > h);
	assert_int_equal(strlen(t), strlen(tail));
}

static int child_dma_wait(int chan, int32_t cookie)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_NAME, CHILD_COMM);
		_exit(dmabufd_dma_wait(chan, cookie, 30000) == 0 ? 0 : 1);
	}
	assert_true(await_pending_request(10000));
	return pid;
}

static void dma_wait_on_a_transfer_gated_by_a_fence_is_reported_once_naming_that_fence(void **state)
{
	struct dmabufd_dma_chan_info info;
	int tl = timeline_new(), gate = fence_new(tl, 5), chan, a, b, dmaf;
	uint64_t gctx = 0, gseq = 0, xctx = 0, xseq = 0;
	uint32_t a_id, b_id;
	char head[128], tail[512], *lines, *all;
	int32_t cookie;
	pid_t child;

	sync_file_fence_of(&gctx, &gseq);
	chan = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 0, &info);
	assert_ok(chan);
	a = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	b = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	a_id = (uint32_t)dmabufd_dma_attach(chan, a, NULL);
	b_id = (uint32_t)dmabufd_dma_attach(chan, b, NULL);
	assert_true(a_id > 0 && b_id > 0);
	/* The source has a writer that has not finished: the copy waits. */
	assert_ok(dmabufd_buf_import_sync_file(a, DMA_BUF_SYNC_WRITE, gate));
	cookie = dmabufd_dma_memcpy(chan, b_id, 0, a_id, 0, PAGE, 0);
	assert_ok(cookie);
	dmaf = dmabufd_dma_fence(chan, cookie);
	assert_ok(dmaf);
	sync_file_fence_not_of(gctx, &xctx, &xseq);

	child = child_dma_wait(chan, cookie);
	lines = await_blocked_report(child);
	assert_ok(dmabufd_timeline_inc(tl, 5));
	assert_child_ok(child);
	all = log_lines_of_child(child);

	assert_non_null(strstr(lines, "warning: dev: dmabufd/dmaengine #"));
	snprintf(head, sizeof(head),
		 ": DMABUFD_DMA_IOC_WAIT by pid %d (" CHILD_COMM ") still blocked after ",
		 (int)child);
	snprintf(tail, sizeof(tail),
		 " ms: fence %llu:%llu (dmabufd-dma/%s) made by pid %d (%s), "
		 "which waits for fence %llu:%llu (sw_sync/%s) made by pid %d (%s)\n",
		 (unsigned long long)xctx, (unsigned long long)xseq, info.name,
		 (int)getpid(), SELF_COMM, (unsigned long long)gctx,
		 (unsigned long long)gseq, SELF_COMM, (int)getpid(), SELF_COMM);
	assert_report_line(lines, head, tail);
	/* Nothing else about that call: one report. */
	assert_string_equal(all, lines);
	free(lines);
	free(all);
	close(dmaf);
	close(chan);
	close(a);
	close(b);
	close(gate);
	close(tl);
}

static void cpu_access_sync_blocked_on_an_implicit_fence_is_reported_once_with_the_buffer(void **state)
{
	int tl = timeline_new(), gate = fence_new(tl, 9), buf = buf_new(PAGE, O_RDWR);
	uint64_t ctx = 0, seq = 0, id = buf_id(buf);
	char head[128], tail[512], *lines, *all;
	pid_t child;

	sync_file_fence_of(&ctx, &seq);
	assert_ok(dmabufd_buf_set_name(buf, "frame"));
	assert_ok(dmabufd_buf_import_sync_file(buf, DMA_BUF_SYNC_WRITE, gate));
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		prctl(PR_SET_NAME, CHILD_COMM);
		_exit(dmabufd_buf_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) == 0 &&
		      dmabufd_buf_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ) == 0 ? 0 : 1);
	}
	assert_true(await_pending_request(10000));
	lines = await_blocked_report(child);
	assert_ok(dmabufd_timeline_inc(tl, 9));
	assert_child_ok(child);
	all = log_lines_of_child(child);

	assert_non_null(strstr(lines, "warning: dev: dmabufd/dma_buf #"));
	snprintf(head, sizeof(head),
		 ": DMA_BUF_IOCTL_SYNC by pid %d (" CHILD_COMM ") still blocked after ",
		 (int)child);
	snprintf(tail, sizeof(tail),
		 " ms: fence %llu:%llu (sw_sync/%s) made by pid %d (%s), buffer %llu \"frame\"\n",
		 (unsigned long long)ctx, (unsigned long long)seq, SELF_COMM,
		 (int)getpid(), SELF_COMM, (unsigned long long)id);
	assert_report_line(lines, head, tail);
	assert_string_equal(all, lines);
	free(lines);
	free(all);
	close(buf);
	close(gate);
	close(tl);
}

static void wait_that_times_out_logs_one_timed_out_line_naming_its_fence(void **state)
{
	int tl = timeline_new(), fence = fence_new(tl, 2);
	uint64_t ctx = 0, seq = 0;
	char head[128], tail[512], *lines;
	pid_t child;

	sync_file_fence_of(&ctx, &seq);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		prctl(PR_SET_NAME, CHILD_COMM);
		/* Past the report's 200 ms: reported, then timed out. */
		_exit(dmabufd_sync_wait(fence, 1000) == -ETIME ? 0 : 1);
	}
	assert_child_ok(child);
	snprintf(head, sizeof(head), "by pid %d (" CHILD_COMM ") timed out", (int)child);
	lines = await_log_lines_with(head);

	assert_non_null(strstr(lines, "warning: dev: dmabufd/sync_file #"));
	snprintf(head, sizeof(head),
		 ": DMABUFD_SYNC_IOC_WAIT by pid %d (" CHILD_COMM ") timed out after ",
		 (int)child);
	snprintf(tail, sizeof(tail),
		 " ms: fence %llu:%llu (sw_sync/%s) made by pid %d (%s)\n",
		 (unsigned long long)ctx, (unsigned long long)seq, SELF_COMM,
		 (int)getpid(), SELF_COMM);
	assert_report_line(lines, head, tail);
	free(lines);
	close(fence);
	close(tl);
}

#define FLOOD_COMM "who-flood"
#define FLOOD_WAITS 12	/* the daemon's burst (10) and two more */

static int flood_wait(void *arg)
{
	prctl(PR_SET_NAME, FLOOD_COMM);
	return dmabufd_sync_wait(*(int *)arg, -1) == 0 ? 0 : 1;
}

/* Lines of the log with @needle. */
static unsigned log_count(const char *needle)
{
	char *lines = log_lines_with(needle);
	unsigned n = 0;

	for (char *p = lines; (p = strchr(p, '\n')); p++)
		n++;
	free(lines);
	return n;
}

static void hang_reports_of_one_uid_are_rate_limited(void **state)
{
	int tl = timeline_new(), fence = fence_new(tl, 1);
	const char *needle = "(" FLOOD_COMM ") still blocked";
	struct dmabufd_ctl_stats st;
	pid_t child[FLOOD_WAITS];
	unsigned seen = 0;

	/* Waits of uid 65534 on a fence of ours: its own lines, its own
	 * limit (the other cases' root waits are not counted with them). */
	for (int i = 0; i < FLOOD_WAITS; i++)
		child[i] = fork_child_as(65534, flood_wait, &fence);
	for (int i = 0; i < 2000; i++) {
		if (dmabufd_stats(&st) == 0 &&
		    st.count[DMABUFD_STAT_PENDING_REQS] >= FLOOD_WAITS)
			break;
		usleep(10000);
	}
	assert_true(st.count[DMABUFD_STAT_PENDING_REQS] >= FLOOD_WAITS);
	/* The burst comes 200 ms after the waits parked; allow 20 s. */
	for (int i = 0; i < 400 && seen < 10; i++) {
		seen = log_count(needle);
		usleep(50000);
	}
	assert_int_equal(seen, 10);
	/* The other two are over their 200 ms by far now and still get no
	 * line (nothing to see happen: a fixed pause is all a test can do). */
	usleep(1000000);
	assert_int_equal(log_count(needle), 10);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	for (int i = 0; i < FLOOD_WAITS; i++)
		assert_child_ok(child[i]);
	close(fence);
	close(tl);
}
#else
static void parked_wait_is_not_reported_when_hang_report_is_0(void **state)
{
	int tl = timeline_new(), fence = fence_new(tl, 3);
	char needle[64], *lines;
	pid_t child;

	child = child_waiting(fence);
	/* Longer than the report's threshold in test-who; nothing to see
	 * happen, so a fixed pause is all a test can do. */
	usleep(600000);
	assert_ok(dmabufd_timeline_inc(tl, 3));
	assert_child_ok(child);
	snprintf(needle, sizeof(needle), "by pid %d", (int)child);
	lines = log_lines_with(needle);
	assert_string_equal(lines, "");
	free(lines);
	close(fence);
	close(tl);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(buffer_shows_this_process_as_opener_and_last_caller),
		itest(buffer_passed_to_a_child_shows_its_use_and_is_shared),
		itest(buffer_mapped_by_a_child_shows_it_as_last_caller),
		itest(fence_shows_this_process_as_producer),
		itest(fences_pending_older_than_lists_only_old_pending_ones_with_producers),
		itest(call_from_a_second_thread_shows_the_process_pid_not_the_tid),
		itest(procs_counts_sync_files_fences_and_channels),
#ifndef WHO_QUIET
		itest(parked_wait_is_reported_once_with_fence_timeline_and_producer),
		itest(dma_wait_on_a_transfer_gated_by_a_fence_is_reported_once_naming_that_fence),
		itest(cpu_access_sync_blocked_on_an_implicit_fence_is_reported_once_with_the_buffer),
		itest(wait_that_times_out_logs_one_timed_out_line_naming_its_fence),
		itest(hang_reports_of_one_uid_are_rate_limited),
#else
		itest(parked_wait_is_not_reported_when_hang_report_is_0),
#endif
	};

	return cmocka_run_group_tests_name(SELF_COMM, tests, NULL, NULL);
}
