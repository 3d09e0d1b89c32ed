/* SPDX-License-Identifier: MIT */
/*
 * Integration: handles and create-into (proto/dmabufd/common.h,
 * DMABUFD_IOC_HANDLE and DMABUFD_IOC_CREATE), the *_h() calls of
 * libdmabufd, and the dmaengine node's WAIT (DMABUFD_DMA_IOC_WAIT,
 * dmabufd_dma_wait()).
 *
 * A handle names an fd's open file for the uid that asked, until the
 * file's last close; it is the same value for every call and every dup,
 * stands for the fd where a token would, and is refused from another
 * uid. CREATE makes an object straight into a fresh fd, and leaves the
 * fd fresh when it fails.
 *
 * The daemon runs with this program's own options (test-handles.args):
 * nodes 0666, so that a child of another uid (fork_child_as()) can open
 * them. The mock DMA controller has its default 4 channels.
 */
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "itest.h"

#define CAP_MEMCPY DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY)
#define NOBODY 65534
#define BOGUS_HANDLE 0x5eed1e55c0ffee01ull

/* ---- helpers -------------------------------------------------------------- */

static uint64_t handle_of(int fd)
{
	uint64_t h = 0;

	assert_ok(dmabufd_handle(fd, &h, NULL));
	assert_true(h != 0);
	return h;
}

static int heap_new(void)
{
	int fd = dmabufd_heap_open("system");

	assert_ok(fd);
	return fd;
}

static int fresh(const char *node)
{
	int fd = dmabufd_open_node(node, (strcmp(node, DMABUFD_NODE_DMA_BUF) ? O_RDONLY : O_RDWR) |
					      O_CLOEXEC);

	assert_ok(fd);
	return fd;
}

static int create(int fd, struct dmabufd_create *c)
{
	return raw_ioctl(fd, DMABUFD_IOC_CREATE, c);
}

/* The fences of @fd, as SYNC_IOC_FILE_INFO reports them (at most 4). */
struct fences {
	struct dmabufd_sync_info info;
	struct sync_fence_info f[4];
};

static void fences_of(int fd, struct fences *ret)
{
	memset(ret, 0, sizeof(*ret));
	assert_ok(dmabufd_sync_file_info(fd, &ret->info, ret->f, ARRAY_SIZE(ret->f)));
	assert_true(ret->info.num_fences <= ARRAY_SIZE(ret->f));
}

static void assert_same_fences(int a, int b)
{
	struct fences fa, fb;

	fences_of(a, &fa);
	fences_of(b, &fb);
	assert_int_equal(fa.info.num_fences, fb.info.num_fences);
	assert_int_equal(fa.info.status, fb.info.status);
	assert_memory_equal(fa.f, fb.f, fa.info.num_fences * sizeof(fa.f[0]));
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* A memcpy channel with two attached 4-page buffers (ids 1 and 2). */
struct chan_rig {
	int chan, a, b;
	uint32_t a_id, b_id;
	struct dmabufd_dma_chan_info info;
};

static void chan_rig_open(struct chan_rig *r)
{
	r->chan = dmabufd_dma_request_chan_by_cap(CAP_MEMCPY, 0, &r->info);
	assert_ok(r->chan);
	r->a = buf_new(4 * PAGE, O_RDWR | O_CLOEXEC);
	r->b = buf_new(4 * PAGE, O_RDWR | O_CLOEXEC);
	r->a_id = (uint32_t)dmabufd_dma_attach(r->chan, r->a, NULL);
	r->b_id = (uint32_t)dmabufd_dma_attach(r->chan, r->b, NULL);
	assert_true(r->a_id > 0 && r->b_id > 0);
}

static void chan_rig_close(struct chan_rig *r)
{
	assert_ok(dmabufd_dma_fault(r->info.name, DMABUFD_CTL_FAULT_CLEAR, 0));
	close(r->chan);
	close(r->a);
	close(r->b);
}

/* A copy a -> b, submitted and not issued: its cookie. */
static int32_t submit_unissued(struct chan_rig *r)
{
	struct dmabufd_dma_prep prep = { .type = DMABUFD_DMA_MEMCPY, .nsegs = 1 };
	int32_t cookie;

	prep.src = (struct dmabufd_dma_seg){ .attach_id = r->a_id, .len = PAGE };
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = r->b_id, .len = PAGE };
	assert_ok(dmabufd_dma_prep(r->chan, &prep));
	cookie = dmabufd_dma_submit(r->chan, prep.desc_id);
	assert_ok(cookie);
	return cookie;
}

/* ---- what a handle is ------------------------------------------------------ */

static void handle_is_the_same_for_every_call_and_every_dup(void **state)
{
	int tl = timeline_new(), f = fence_new(tl, 1), buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	int tl2 = dup(tl), f2 = dup(f), buf2 = fcntl(buf, F_DUPFD_CLOEXEC, 100);
	uint64_t htl = handle_of(tl), hf = handle_of(f), hb = handle_of(buf);

	assert_int_equal(handle_of(tl), htl);
	assert_int_equal(handle_of(tl2), htl);
	assert_int_equal(handle_of(f), hf);
	assert_int_equal(handle_of(f2), hf);
	assert_int_equal(handle_of(buf2), hb);
	assert_int_equal(handle_of(buf), hb);
	/* Three files, three names. */
	assert_true(htl != hf && hf != hb && htl != hb);
	close(buf2);
	close(f2);
	close(tl2);
	close(buf);
	close(f);
	close(tl);
}

/* A second open of the same object is another file: another handle. */
static void another_file_of_the_same_object_has_another_handle(void **state)
{
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC), other;
	uint64_t token;

	assert_ok(dmabufd_export_token(buf, &token));
	other = dmabufd_buf_claim(token, O_RDWR | O_CLOEXEC);
	assert_ok(other);
	assert_true(handle_of(buf) != handle_of(other));
	close(other);
	close(buf);
}

static void unbound_sync_file_and_dma_buf_fds_get_ebadfd(void **state)
{
	int s = fresh(DMABUFD_NODE_SYNC_FILE), b = fresh(DMABUFD_NODE_DMA_BUF);
	uint64_t h = 77;

	assert_errno(dmabufd_handle(s, &h, NULL), EBADFD);
	assert_errno(dmabufd_handle(b, &h, NULL), EBADFD);
	assert_int_equal(h, 77);
	close(b);
	close(s);
}

static void handle_reports_the_kind_of_each_node(void **state)
{
	int heap = heap_new(), tl = timeline_new(), f = fence_new(tl, 1);
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	int dma = dmabufd_open_node(DMABUFD_NODE_DMAENGINE, O_RDWR | O_CLOEXEC);
	int chan = dmabufd_dma_request_chan_by_cap(CAP_MEMCPY, 0, NULL);
	const struct {
		int fd;
		uint32_t kind;
	} want[] = {
		{ heap, DMABUFD_KIND_HEAP },	     { tl, DMABUFD_KIND_SW_SYNC },
		{ f, DMABUFD_KIND_SYNC_FILE },	     { buf, DMABUFD_KIND_DMA_BUF },
		{ dma, DMABUFD_KIND_DMAENGINE },     { chan, DMABUFD_KIND_DMAENGINE },
	};

	assert_ok(dma);
	assert_ok(chan);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		uint64_t h = 0;
		uint32_t kind = 0;

		assert_ok(dmabufd_handle(want[i].fd, &h, &kind));
		assert_true(h != 0);
		assert_int_equal(kind, want[i].kind);
	}
	close(chan);
	close(dma);
	close(buf);
	close(f);
	close(tl);
	close(heap);
}

static void handle_names_nothing_after_the_files_last_close(void **state)
{
	struct dmabufd_ctl_stats base;
	int tl = timeline_new(), buf = buf_new(PAGE, O_RDWR | O_CLOEXEC), f, b, g;
	uint64_t hf, hb;
	size_t len;
	void *p;

	stats_now(&base);
	f = fence_new(tl, 1);
	b = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	hf = handle_of(f);
	hb = handle_of(b);
	close(f);
	close(b);
	/* FUSE sends the releases after close returns. */
	assert_stats_settle(&base, 3000);
	/* As the kernel's calls on closed fds: EBADF where the handle
	 * stands for the call's own fd, the call's answer for a bad fd
	 * argument elsewhere. */
	assert_errno(dmabufd_sync_merge_h("m", hf, hf, NULL), EBADF);
	g = fence_new(tl, 2);
	assert_errno(dmabufd_sync_merge_h("m", handle_of(g), hf, NULL), ENOENT);
	close(g);
	assert_errno(dmabufd_buf_import_sync_file_h(buf, DMA_BUF_SYNC_READ, hf), EINVAL);
	assert_errno(dmabufd_buf_mmap_h(hb, PROT_READ, &p, &len), EINVAL);
	assert_errno(dmabufd_buf_export_sync_file_h(hb, DMA_BUF_SYNC_READ, NULL), EBADF);
	close(buf);
	close(tl);
}

struct holder {
	int pipe_rd, pipe_wr;
};

/* The child holds every fd it inherited until the parent closes the pipe. */
static int hold_until_eof(void *arg)
{
	struct holder *h = arg;
	char c;

	close(h->pipe_wr);
	while (read(h->pipe_rd, &c, 1) > 0)
		;
	return 0;
}

static void handle_works_while_a_forked_child_holds_a_dup(void **state)
{
	struct dmabufd_ctl_stats base;
	int tl = timeline_new(), f, b, m, p[2];
	struct holder h;
	uint64_t hf, hb;
	uint8_t *map;
	size_t len;
	void *addr;
	pid_t pid;

	stats_now(&base);
	f = fence_new(tl, 1);
	b = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	hf = handle_of(f);
	hb = handle_of(b);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	h = (struct holder){ p[0], p[1] };
	pid = fork_child(hold_until_eof, &h);
	close(p[0]);
	close(f);
	close(b);
	/* Only the child holds the files now: the handles still name them. */
	m = dmabufd_sync_merge_h("m", hf, hf, NULL);
	assert_ok(m);
	assert_int_equal(fence_status(m), 0);
	close(m);
	assert_ok(dmabufd_buf_mmap_h(hb, PROT_READ | PROT_WRITE, &addr, &len));
	map = addr;
	assert_int_equal(len, PAGE);
	map[0] = 0x5a;
	assert_ok(dmabufd_buf_munmap(addr, len));
	/* The child goes: so do the files and their handles. */
	close(p[1]);
	assert_child_ok(pid);
	assert_stats_settle(&base, 3000);
	assert_errno(dmabufd_sync_merge_h("m", hf, hf, NULL), EBADF);
	assert_errno(dmabufd_buf_mmap_h(hb, PROT_READ, &addr, &len), EINVAL);
	close(tl);
}

struct foreign {
	int f, buf;
	uint64_t hf, hb, hheap, htl;
};

/* As uid 65534, with the root-opened files inherited. */
static int use_roots_handles(void *arg)
{
	struct foreign *x = arg;
	uint64_t mine = 0;
	size_t len;
	void *p;
	int own, m;

	CHILD_CHECK(dmabufd_sync_merge_h("m", x->hf, x->hf, NULL) == -EBADF);
	CHILD_CHECK(dmabufd_buf_mmap_h(x->hb, PROT_READ, &p, &len) == -EINVAL);
	CHILD_CHECK(dmabufd_buf_export_sync_file_h(x->hb, DMA_BUF_SYNC_READ, NULL) == -EBADF);
	CHILD_CHECK(dmabufd_alloc_h(x->hheap, PAGE, O_RDWR | O_CLOEXEC, NULL) == -EBADF);
	CHILD_CHECK(dmabufd_timeline_create_fence_h(x->htl, 1, NULL) == -EBADF);
	own = dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(own >= 0);
	CHILD_CHECK(dmabufd_buf_import_sync_file_h(own, DMA_BUF_SYNC_READ, x->hf) == -EINVAL);
	/* The same file, asked by this uid: a handle of its own, that works. */
	CHILD_CHECK(dmabufd_handle(x->f, &mine, NULL) == 0);
	CHILD_CHECK(mine != 0 && mine != x->hf);
	m = dmabufd_sync_merge_h("m", mine, mine, NULL);
	CHILD_CHECK(m >= 0);
	close(m);
	CHILD_CHECK(dmabufd_handle(x->buf, &mine, NULL) == 0);
	CHILD_CHECK(mine != x->hb);
	CHILD_CHECK(dmabufd_buf_mmap_h(mine, PROT_READ, &p, &len) == 0);
	munmap(p, len);
	close(own);
	return 0;
}

static void another_uids_handle_is_refused(void **state)
{
	int heap = heap_new(), tl = timeline_new();
	struct foreign x = { .f = fence_new(tl, 1), .buf = buf_new(PAGE, O_RDWR | O_CLOEXEC) };
	int m;

	x.hf = handle_of(x.f);
	x.hb = handle_of(x.buf);
	x.hheap = handle_of(heap);
	x.htl = handle_of(tl);
	assert_child_ok(fork_child_as(NOBODY, use_roots_handles, &x));
	/* Still good for their own uid. */
	m = dmabufd_sync_merge_h("m", x.hf, x.hf, NULL);
	assert_ok(m);
	close(m);
	close(x.buf);
	close(x.f);
	close(tl);
	close(heap);
}

/* Root until it has mapped once (the kept connection is root's), then
 * uid 65534 for good: its own buffer maps by handle. */
static int map_by_handle_after_dropping_root(void *arg)
{
	uint64_t h = 0;
	size_t len;
	void *p;
	int buf;

	(void)arg;
	buf = dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(buf >= 0);
	CHILD_CHECK(dmabufd_buf_mmap(buf, PROT_READ, &p, &len) == 0);
	munmap(p, len);
	close(buf);
	CHILD_CHECK(setgroups(0, NULL) == 0);
	CHILD_CHECK(setresgid(NOBODY, NOBODY, NOBODY) == 0);
	CHILD_CHECK(setresuid(NOBODY, NOBODY, NOBODY) == 0);
	buf = dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(buf >= 0);
	CHILD_CHECK(dmabufd_handle(buf, &h, NULL) == 0);
	CHILD_CHECK(dmabufd_buf_mmap_h(h, PROT_READ | PROT_WRITE, &p, &len) == 0);
	CHILD_CHECK(len == PAGE);
	munmap(p, len);
	close(buf);
	return 0;
}

/*
 * The daemon knows a control connection's peer by its uid at connect
 * time, and takes only that uid's handles on it. A process that made
 * its kept connection as root and then became another user maps its new
 * user's buffers by handle all the same: the library connects again as
 * that user.
 */
static void mmap_by_handle_works_after_the_process_changed_its_uid(void **state)
{
	assert_child_ok(fork_child(map_by_handle_after_dropping_root, NULL));
}

/* A handle stands for its fd where the ioctls take a token, and is not
 * used up there. */
static void handle_stands_for_the_fd_in_token_arguments(void **state)
{
	int tl = timeline_new(), f = fence_new(tl, 1), buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	struct dmabufd_sw_sync_get_deadline gd = { 0 };
	struct dmabufd_dma_chan_info info;
	uint64_t hf = handle_of(f), hb = handle_of(buf);
	int chan, id;

	for (int i = 0; i < 2; i++) {
		struct dmabufd_sync_merge merge = { .name = "m", .token2 = hf };
		int m;

		assert_ok(raw_ioctl(f, DMABUFD_SYNC_IOC_MERGE, &merge));
		m = dmabufd_sync_claim(merge.token);
		assert_ok(m);
		assert_int_equal(fence_size(m), 1);
		close(m);
		assert_ok(dmabufd_buf_import_sync_file_h(buf, DMA_BUF_SYNC_WRITE, hf));
	}
	assert_ok(dmabufd_sync_set_deadline(f, 12345));
	gd.token = hf;
	assert_ok(raw_ioctl(tl, DMABUFD_SW_SYNC_IOC_GET_DEADLINE, &gd));
	assert_int_equal(gd.deadline_ns, 12345);
	chan = dmabufd_dma_request_chan_by_cap(CAP_MEMCPY, 0, &info);
	assert_ok(chan);
	for (int i = 0; i < 2; i++) {
		struct dmabufd_dma_attach att = { .token = hb };

		assert_ok(raw_ioctl(chan, DMABUFD_DMA_IOC_ATTACH, &att));
		id = (int)att.attach_id;
		assert_true(id > 0);
		assert_ok(dmabufd_dma_detach(chan, (uint32_t)id));
	}
	assert_ok(dmabufd_timeline_inc(tl, 1));
	close(chan);
	close(buf);
	close(f);
	close(tl);
}

/* ---- CREATE ---------------------------------------------------------------- */

static void create_into_a_bound_fd_is_ebusy(void **state)
{
	int heap = heap_new(), tl = timeline_new(), f = fence_new(tl, 1);
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	struct dmabufd_create fence = { .op = DMABUFD_CREATE_FENCE, .src = { handle_of(tl) },
					.arg = 7 };
	struct dmabufd_create alloc = { .op = DMABUFD_CREATE_ALLOC, .src = { handle_of(heap) },
					.arg = 2 * PAGE };

	assert_errno(create(f, &fence), EBUSY);
	assert_errno(create(buf, &alloc), EBUSY);
	/* Each still names what it did. */
	assert_int_equal(dmabufd_buf_size(buf), PAGE);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(fence_status(f), 1);
	close(buf);
	close(f);
	close(tl);
	close(heap);
}

static void each_create_op_on_the_wrong_node_is_einval(void **state)
{
	int heap = heap_new(), tl = timeline_new(), f = fence_new(tl, 1);
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	struct chan_rig r;
	int s, b;

	chan_rig_open(&r);
	s = fresh(DMABUFD_NODE_SYNC_FILE);
	b = fresh(DMABUFD_NODE_DMA_BUF);
	{
		struct dmabufd_create on_sync[] = {
			{ .op = DMABUFD_CREATE_ALLOC, .src = { handle_of(heap) }, .arg = PAGE },
		};
		struct dmabufd_create on_buf[] = {
			{ .op = DMABUFD_CREATE_FENCE, .src = { handle_of(tl) }, .arg = 1 },
			{ .op = DMABUFD_CREATE_MERGE, .src = { handle_of(f), handle_of(f) } },
			{ .op = DMABUFD_CREATE_EXPORT, .flags = DMA_BUF_SYNC_READ,
			  .src = { handle_of(buf) } },
			{ .op = DMABUFD_CREATE_DMA_FENCE, .src = { handle_of(r.chan) }, .arg = 1 },
		};

		for (size_t i = 0; i < ARRAY_SIZE(on_sync); i++)
			assert_errno(create(s, &on_sync[i]), EINVAL);
		for (size_t i = 0; i < ARRAY_SIZE(on_buf); i++)
			assert_errno(create(b, &on_buf[i]), EINVAL);
		/* Nodes that hold no object have no CREATE at all; a heap
		 * answers by _IOC_NR, as dma_heap_ioctl() (nr 3: EINVAL). */
		assert_errno(create(heap, &on_sync[0]), EINVAL);
		assert_errno(create(tl, &on_buf[0]), ENOTTY);
		assert_errno(create(r.chan, &on_buf[0]), ENOTTY);
		/* Both are still fresh: the right op works. */
		assert_ok(create(s, &on_buf[0]));
		assert_ok(create(b, &on_sync[0]));
	}
	assert_int_equal(dmabufd_buf_size(b), PAGE);
	assert_int_equal(fence_status(s), 0);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	close(b);
	close(s);
	chan_rig_close(&r);
	close(buf);
	close(f);
	close(tl);
	close(heap);
}

static void wrong_kind_of_source_is_refused(void **state)
{
	int heap = heap_new(), tl = timeline_new(), f = fence_new(tl, 1);
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	uint64_t hheap = handle_of(heap), htl = handle_of(tl), hf = handle_of(f),
		 hb = handle_of(buf);
	struct dmabufd_sw_sync_get_deadline gd = { .token = hb };
	struct chan_rig r;
	size_t len;
	void *p;

	chan_rig_open(&r);
	/* MERGE answers as the kernel's for an fd2 that is no sync_file. */
	assert_errno(dmabufd_sync_merge_h("m", htl, hf, NULL), ENOTTY);
	assert_errno(dmabufd_sync_merge_h("m", hf, hb, NULL), ENOENT);
	assert_errno(dmabufd_sync_merge_h("m", hf, BOGUS_HANDLE, NULL), ENOENT);
	assert_errno(dmabufd_timeline_create_fence_h(hheap, 1, NULL), ENOTTY);
	assert_errno(dmabufd_timeline_create_fence_h(hf, 1, NULL), ENOTTY);
	assert_errno(dmabufd_alloc_h(htl, PAGE, O_RDWR | O_CLOEXEC, NULL), ENOTTY);
	assert_errno(dmabufd_alloc_h(hb, PAGE, O_RDWR | O_CLOEXEC, NULL), ENOTTY);
	assert_errno(dmabufd_buf_export_sync_file_h(hf, DMA_BUF_SYNC_READ, NULL), ENOTTY);
	assert_errno(dmabufd_buf_export_sync_file_h(hheap, DMA_BUF_SYNC_READ, NULL), ENOTTY);
	assert_errno(dmabufd_dma_fence_h(hb, 1, NULL), ENOTTY);
	assert_errno(dmabufd_dma_fence_h(htl, 1, NULL), ENOTTY);
	assert_errno(dmabufd_buf_import_sync_file_h(buf, DMA_BUF_SYNC_READ, hb), EINVAL);
	assert_errno(dmabufd_buf_import_sync_file_h(buf, DMA_BUF_SYNC_READ, htl), EINVAL);
	assert_errno(dmabufd_buf_mmap_h(hf, PROT_READ, &p, &len), EINVAL);
	assert_errno(dmabufd_buf_mmap_h(hheap, PROT_READ, &p, &len), EINVAL);
	assert_errno(raw_ioctl(tl, DMABUFD_SW_SYNC_IOC_GET_DEADLINE, &gd), EINVAL);
	assert_errno(raw_ioctl(r.chan, DMABUFD_DMA_IOC_ATTACH,
			       &(struct dmabufd_dma_attach){ .token = hf }),
		     EINVAL);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	chan_rig_close(&r);
	close(buf);
	close(f);
	close(tl);
	close(heap);
}

static void create_with_a_field_that_must_be_0_set_is_einval(void **state)
{
	int heap = heap_new(), tl = timeline_new(), f = fence_new(tl, 1);
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	uint64_t hheap = handle_of(heap), htl = handle_of(tl), hf = handle_of(f),
		 hb = handle_of(buf);
	struct chan_rig r;
	int32_t cookie;

	chan_rig_open(&r);
	cookie = submit_unissued(&r);
	{
		const uint64_t hc = handle_of(r.chan);
		const struct {
			const char *what;
			bool buf_node;
			struct dmabufd_create c;
		} rows[] = {
			{ "ALLOC src[1]", true,
			  { .op = DMABUFD_CREATE_ALLOC, .src = { hheap, hheap }, .arg = PAGE } },
			{ "ALLOC name", true,
			  { .op = DMABUFD_CREATE_ALLOC, .src = { hheap }, .arg = PAGE, .name = "x" } },
			{ "ALLOC handle", true,
			  { .op = DMABUFD_CREATE_ALLOC, .src = { hheap }, .arg = PAGE, .handle = 1 } },
			{ "FENCE flags", false,
			  { .op = DMABUFD_CREATE_FENCE, .flags = 1, .src = { htl }, .arg = 1 } },
			{ "FENCE src[1]", false,
			  { .op = DMABUFD_CREATE_FENCE, .src = { htl, htl }, .arg = 1 } },
			{ "FENCE handle", false,
			  { .op = DMABUFD_CREATE_FENCE, .src = { htl }, .arg = 1, .handle = hf } },
			{ "MERGE flags", false,
			  { .op = DMABUFD_CREATE_MERGE, .flags = 1, .src = { hf, hf } } },
			{ "MERGE arg", false,
			  { .op = DMABUFD_CREATE_MERGE, .src = { hf, hf }, .arg = 1 } },
			{ "EXPORT src[1]", false,
			  { .op = DMABUFD_CREATE_EXPORT, .flags = DMA_BUF_SYNC_READ,
			    .src = { hb, hb } } },
			{ "EXPORT arg", false,
			  { .op = DMABUFD_CREATE_EXPORT, .flags = DMA_BUF_SYNC_READ,
			    .src = { hb }, .arg = 1 } },
			{ "EXPORT name", false,
			  { .op = DMABUFD_CREATE_EXPORT, .flags = DMA_BUF_SYNC_READ,
			    .src = { hb }, .name = "x" } },
			{ "EXPORT flags 0", false, { .op = DMABUFD_CREATE_EXPORT, .src = { hb } } },
			{ "EXPORT flags 4", false,
			  { .op = DMABUFD_CREATE_EXPORT, .flags = DMA_BUF_SYNC_READ | 4,
			    .src = { hb } } },
			{ "DMA_FENCE flags", false,
			  { .op = DMABUFD_CREATE_DMA_FENCE, .flags = 1, .src = { hc },
			    .arg = (uint64_t)cookie } },
			{ "DMA_FENCE src[1]", false,
			  { .op = DMABUFD_CREATE_DMA_FENCE, .src = { hc, hc },
			    .arg = (uint64_t)cookie } },
			{ "DMA_FENCE name", false,
			  { .op = DMABUFD_CREATE_DMA_FENCE, .src = { hc },
			    .arg = (uint64_t)cookie, .name = "x" } },
		};
		int failures = 0;

		for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
			struct dmabufd_create c = rows[i].c;
			int fd = fresh(rows[i].buf_node ? DMABUFD_NODE_DMA_BUF
							: DMABUFD_NODE_SYNC_FILE);
			int rc = create(fd, &c);

			if (rc != -EINVAL) {
				print_error("%s: got %s, expected EINVAL\n", rows[i].what,
					    rc ? strerror(-rc) : "success");
				failures++;
			}
			close(fd);
		}
		assert_int_equal(failures, 0);
	}
	assert_ok(dmabufd_dma_issue_pending(r.chan));
	assert_ok(dmabufd_dma_wait(r.chan, cookie, 10000));
	assert_ok(dmabufd_timeline_inc(tl, 1));
	chan_rig_close(&r);
	close(buf);
	close(f);
	close(tl);
	close(heap);
}

/* CREATE's sources are handles only: a token there names nothing, and a
 * refused CREATE has not used it up. */
static void create_sources_are_handles_not_tokens(void **state)
{
	int tl = timeline_new(), f = fence_new(tl, 1), buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	int s = fresh(DMABUFD_NODE_SYNC_FILE), claimed;
	uint64_t tf, tb;
	struct dmabufd_create merge = { .op = DMABUFD_CREATE_MERGE };
	struct dmabufd_create export = { .op = DMABUFD_CREATE_EXPORT,
					 .flags = DMA_BUF_SYNC_READ };

	assert_ok(dmabufd_export_token(f, &tf));
	assert_ok(dmabufd_export_token(buf, &tb));
	merge.src[0] = merge.src[1] = tf;
	assert_errno(create(s, &merge), EBADF);
	export.src[0] = tb;
	assert_errno(create(s, &export), EBADF);
	claimed = dmabufd_sync_claim(tf);
	assert_ok(claimed);
	close(claimed);
	claimed = dmabufd_buf_claim(tb, O_RDWR | O_CLOEXEC);
	assert_ok(claimed);
	close(claimed);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	close(s);
	close(buf);
	close(f);
	close(tl);
}

static void fence_value_past_u32_is_einval(void **state)
{
	int tl = timeline_new(), s = fresh(DMABUFD_NODE_SYNC_FILE);
	struct dmabufd_create c = { .op = DMABUFD_CREATE_FENCE, .src = { handle_of(tl) },
				    .arg = 1ull << 32 };

	assert_errno(create(s, &c), EINVAL);
	/* The largest value is taken (it reads signaled on a timeline at 0,
	 * as the kernel's 32-bit seqno comparison has it). */
	c.arg = UINT32_MAX;
	assert_ok(create(s, &c));
	assert_int_equal(fence_size(s), 1);
	close(s);
	close(tl);
}

static void failed_create_leaves_the_fd_fresh(void **state)
{
	int heap = heap_new(), tl = timeline_new();
	int s = fresh(DMABUFD_NODE_SYNC_FILE), b = fresh(DMABUFD_NODE_DMA_BUF);
	struct dmabufd_create bad_fence = { .op = DMABUFD_CREATE_FENCE, .src = { BOGUS_HANDLE },
					    .arg = 1 };
	struct dmabufd_create bad_merge = { .op = DMABUFD_CREATE_MERGE,
					    .src = { BOGUS_HANDLE, BOGUS_HANDLE } };
	struct dmabufd_create fence = { .op = DMABUFD_CREATE_FENCE, .src = { handle_of(tl) },
					.arg = 1 };
	struct dmabufd_create alloc = { .op = DMABUFD_CREATE_ALLOC, .src = { handle_of(heap) } };
	uint64_t h;

	assert_errno(create(s, &bad_fence), EBADF);
	assert_errno(create(s, &bad_merge), EBADF);
	assert_errno(dmabufd_handle(s, &h, NULL), EBADFD);
	alloc.arg = 0;
	assert_errno(create(b, &alloc), EINVAL);
	alloc.arg = 1ull << 62;
	assert_errno(create(b, &alloc), ENOMEM);
	assert_errno(dmabufd_handle(b, &h, NULL), EBADFD);
	/* Still fresh: a good CREATE binds them, with their handles. */
	assert_ok(create(s, &fence));
	assert_int_equal(fence.handle, handle_of(s));
	alloc.arg = PAGE;
	assert_ok(create(b, &alloc));
	assert_int_equal(alloc.handle, handle_of(b));
	assert_int_equal(dmabufd_buf_size(b), PAGE);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(fence_status(s), 1);
	close(b);
	close(s);
	close(tl);
	close(heap);
}

/* ---- the *_h() calls ------------------------------------------------------ */

static void alloc_h_honours_the_fds_access_mode(void **state)
{
	int heap = heap_new(), ro, wo;
	uint64_t hro = 0, hwo = 0;
	size_t len;
	void *p;

	ro = dmabufd_alloc_h(handle_of(heap), PAGE, O_RDONLY | O_CLOEXEC, &hro);
	assert_ok(ro);
	assert_int_equal(fcntl(ro, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_int_equal(hro, handle_of(ro));
	assert_errno(dmabufd_buf_mmap_h(hro, PROT_READ | PROT_WRITE, &p, &len), EACCES);
	assert_ok(dmabufd_buf_mmap_h(hro, PROT_READ, &p, &len));
	assert_ok(dmabufd_buf_munmap(p, len));

	wo = dmabufd_alloc_h(handle_of(heap), PAGE, O_WRONLY | O_CLOEXEC, &hwo);
	assert_ok(wo);
	assert_int_equal(fcntl(wo, F_GETFL) & O_ACCMODE, O_WRONLY);
	assert_errno(dmabufd_buf_mmap_h(hwo, PROT_READ, &p, &len), EACCES);
	assert_errno(dmabufd_buf_mmap_h(hwo, PROT_READ | PROT_WRITE, &p, &len), EACCES);
	close(wo);
	close(ro);
	close(heap);
}

static void alloc_h_memory_is_zeroed_and_shared_with_buf_mmap(void **state)
{
	int heap = heap_new(), b;
	uint64_t hb = 0;
	uint8_t *p, *q;
	size_t plen, qlen;
	void *addr;

	b = dmabufd_alloc_h(handle_of(heap), 3 * PAGE, O_RDWR | O_CLOEXEC, &hb);
	assert_ok(b);
	assert_int_equal(dmabufd_buf_size(b), 3 * PAGE);
	assert_ok(dmabufd_buf_mmap_h(hb, PROT_READ | PROT_WRITE, &addr, &plen));
	p = addr;
	assert_int_equal(plen, 3 * PAGE);
	assert_true(all_zero(p, plen));
	assert_ok(dmabufd_buf_mmap(b, PROT_READ | PROT_WRITE, &addr, &qlen));
	q = addr;
	assert_int_equal(qlen, plen);
	memset(p + PAGE, 0xa5, PAGE);
	assert_int_equal(q[PAGE], 0xa5);
	assert_int_equal(q[2 * PAGE - 1], 0xa5);
	q[0] = 0x3c;
	assert_int_equal(p[0], 0x3c);
	assert_ok(dmabufd_buf_munmap(q, qlen));
	assert_ok(dmabufd_buf_munmap(p, plen));
	close(b);
	close(heap);
}

static void create_fence_h_makes_the_fence_create_fence_makes(void **state)
{
	int tl = timeline_new(), a, b;
	uint64_t hb = 0;

	a = fence_new(tl, 3);
	b = dmabufd_timeline_create_fence_h(handle_of(tl), 3, &hb);
	assert_ok(b);
	assert_int_equal(hb, handle_of(b));
	assert_same_fences(a, b);
	assert_ok(dmabufd_timeline_inc(tl, 2));
	assert_int_equal(fence_status(b), 0);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(fence_status(b), 1);
	assert_same_fences(a, b);
	close(b);
	close(a);
	close(tl);
}

static void merge_h_makes_the_merge_merge_makes(void **state)
{
	int t1 = timeline_new(), t2 = timeline_new(), f1 = fence_new(t1, 1), f2 = fence_new(t2, 1);
	int a = dmabufd_sync_merge("both", f1, f2), b;
	struct fences fa, fb;
	uint64_t hb = 0;

	assert_ok(a);
	b = dmabufd_sync_merge_h("both", handle_of(f1), handle_of(f2), &hb);
	assert_ok(b);
	assert_int_equal(hb, handle_of(b));
	fences_of(a, &fa);
	fences_of(b, &fb);
	assert_string_equal(fb.info.name, "both");
	assert_string_equal(fa.info.name, fb.info.name);
	assert_int_equal(fb.info.num_fences, 2);
	assert_same_fences(a, b);
	assert_ok(dmabufd_timeline_inc(t1, 1));
	assert_ok(dmabufd_timeline_inc(t2, 1));
	assert_int_equal(fence_status(b), 1);
	assert_same_fences(a, b);
	close(b);
	close(a);
	close(f2);
	close(f1);
	close(t2);
	close(t1);
}

static void export_and_import_h_move_the_fences_the_fd_calls_move(void **state)
{
	int tl = timeline_new(), f = fence_new(tl, 1);
	int b1 = buf_new(PAGE, O_RDWR | O_CLOEXEC), b2 = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	int e1, e2;
	uint64_t he = 0;

	assert_ok(dmabufd_buf_import_sync_file(b1, DMA_BUF_SYNC_WRITE, f));
	assert_ok(dmabufd_buf_import_sync_file_h(b2, DMA_BUF_SYNC_WRITE, handle_of(f)));
	e1 = dmabufd_buf_export_sync_file(b1, DMA_BUF_SYNC_READ);
	assert_ok(e1);
	e2 = dmabufd_buf_export_sync_file_h(handle_of(b2), DMA_BUF_SYNC_READ, &he);
	assert_ok(e2);
	assert_int_equal(he, handle_of(e2));
	assert_int_equal(fence_size(e2), 1);
	assert_int_equal(fence_status(e2), 0);
	assert_same_fences(e1, e2);
	assert_same_fences(f, e2);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(fence_status(e2), 1);
	assert_same_fences(e1, e2);
	close(e2);
	close(e1);
	close(b2);
	close(b1);
	close(f);
	close(tl);
}

static void dma_fence_h_signals_when_the_transfer_ends(void **state)
{
	struct chan_rig r;
	int32_t cookie;
	uint64_t hs = 0;
	int s, t;

	chan_rig_open(&r);
	cookie = submit_unissued(&r);
	s = dmabufd_dma_fence_h(handle_of(r.chan), cookie, &hs);
	assert_ok(s);
	assert_int_equal(hs, handle_of(s));
	t = dmabufd_dma_fence(r.chan, cookie);
	assert_ok(t);
	assert_same_fences(s, t);
	assert_int_equal(poll_in(s, 0), 0);
	assert_errno(dmabufd_dma_fence_h(handle_of(r.chan), cookie + 100, NULL), EINVAL);
	assert_ok(dmabufd_dma_issue_pending(r.chan));
	assert_int_equal(poll_in(s, 10000), 1);
	assert_int_equal(fence_status(s), 1);
	assert_same_fences(s, t);
	close(t);
	close(s);
	chan_rig_close(&r);
}

/* ---- DMA WAIT --------------------------------------------------------------- */

static void dma_wait_returns_the_status_of_the_completed_transfer(void **state)
{
	struct dmabufd_dma_wait w = { .timeout_ns = 10000000000LL };
	struct chan_rig r;
	int32_t cookie;

	chan_rig_open(&r);
	cookie = dmabufd_dma_memcpy(r.chan, r.b_id, 0, r.a_id, 0, PAGE, 0);
	assert_ok(cookie);
	assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), 0);
	w.status.cookie = cookie;
	assert_ok(raw_ioctl(r.chan, DMABUFD_DMA_IOC_WAIT, &w));
	assert_int_equal(w.status.cookie, cookie);
	assert_int_equal(w.status.status, DMABUFD_DMA_COMPLETE);
	assert_int_equal(w.status.error, 0);
	assert_int_equal(w.status.residue, 0);
	assert_true(w.status.last >= cookie);
	assert_int_equal(w.status.used, cookie);
	chan_rig_close(&r);
}

static void dma_wait_of_a_cookie_never_handed_out_is_einval(void **state)
{
	struct chan_rig r;
	int dma = dmabufd_open_node(DMABUFD_NODE_DMAENGINE, O_RDWR | O_CLOEXEC);

	assert_ok(dma);
	chan_rig_open(&r);
	assert_errno(dmabufd_dma_wait(r.chan, 99, 0), EINVAL);
	assert_errno(dmabufd_dma_wait(r.chan, 99, 1000), EINVAL);
	assert_errno(dmabufd_dma_wait(dma, 2, 0), EBADFD);
	chan_rig_close(&r);
	close(dma);
}

static void dma_wait_of_a_transfer_not_issued_is_etime(void **state)
{
	struct dmabufd_dma_wait w = { .timeout_ns = 0 };
	struct chan_rig r;
	int32_t cookie;

	chan_rig_open(&r);
	cookie = submit_unissued(&r);
	assert_errno(dmabufd_dma_wait(r.chan, cookie, 0), ETIME);
	assert_errno(dmabufd_dma_wait(r.chan, cookie, 50), ETIME);
	w.status.cookie = cookie;
	assert_errno(raw_ioctl(r.chan, DMABUFD_DMA_IOC_WAIT, &w), ETIME);
	w = (struct dmabufd_dma_wait){ .timeout_ns = 20000000, .status.cookie = cookie };
	assert_errno(raw_ioctl(r.chan, DMABUFD_DMA_IOC_WAIT, &w), ETIME);
	/* The transfer goes on: issued, it ends. */
	assert_ok(dmabufd_dma_issue_pending(r.chan));
	assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), 0);
	chan_rig_close(&r);
}

static void dma_wait_returns_the_error_of_a_failed_transfer(void **state)
{
	struct dmabufd_dma_wait w = { .timeout_ns = 10000000000LL };
	struct chan_rig r;
	int32_t cookie;

	chan_rig_open(&r);
	assert_ok(dmabufd_dma_fault(r.info.name, DMABUFD_CTL_FAULT_FAIL_NTH, 1));
	cookie = dmabufd_dma_memcpy(r.chan, r.b_id, 0, r.a_id, 0, PAGE, 0);
	assert_ok(cookie);
	assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 10000), -EIO);
	w.status.cookie = cookie;
	assert_ok(raw_ioctl(r.chan, DMABUFD_DMA_IOC_WAIT, &w));
	assert_int_equal(w.status.status, DMABUFD_DMA_ERROR);
	assert_int_equal(w.status.error, -EIO);
	chan_rig_close(&r);
}

static volatile sig_atomic_t signals;

static void on_sigusr1(int sig)
{
	(void)sig;
	signals++;
}

struct interrupter {
	int chan;
};

/* Signal the parent in its wait, then let the transfer start. */
static int interrupt_then_issue(void *arg)
{
	struct interrupter *x = arg;

	CHILD_CHECK(await_pending_request(5000));
	CHILD_CHECK(kill(getppid(), SIGUSR1) == 0);
	usleep(100 * 1000);
	CHILD_CHECK(dmabufd_dma_issue_pending(x->chan) == 0);
	return 0;
}

static void dma_wait_interrupted_by_a_signal_is_asked_again(void **state)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 }, old;
	struct interrupter x;
	struct chan_rig r;
	int32_t cookie;
	pid_t pid;

	chan_rig_open(&r);
	cookie = submit_unissued(&r);
	signals = 0;
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	x.chan = r.chan;
	pid = fork_child(interrupt_then_issue, &x);
	assert_int_equal(dmabufd_dma_wait(r.chan, cookie, 20000), 0);
	assert_child_ok(pid);
	sigaction(SIGUSR1, &old, NULL);
	assert_int_equal(signals, 1);
	chan_rig_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(handle_is_the_same_for_every_call_and_every_dup),
		itest(another_file_of_the_same_object_has_another_handle),
		itest(unbound_sync_file_and_dma_buf_fds_get_ebadfd),
		itest(handle_reports_the_kind_of_each_node),
		itest(handle_names_nothing_after_the_files_last_close),
		itest(handle_works_while_a_forked_child_holds_a_dup),
		itest(another_uids_handle_is_refused),
		itest(mmap_by_handle_works_after_the_process_changed_its_uid),
		itest(handle_stands_for_the_fd_in_token_arguments),
		itest(create_into_a_bound_fd_is_ebusy),
		itest(each_create_op_on_the_wrong_node_is_einval),
		itest(wrong_kind_of_source_is_refused),
		itest(create_with_a_field_that_must_be_0_set_is_einval),
		itest(create_sources_are_handles_not_tokens),
		itest(fence_value_past_u32_is_einval),
		itest(failed_create_leaves_the_fd_fresh),
		itest(alloc_h_honours_the_fds_access_mode),
		itest(alloc_h_memory_is_zeroed_and_shared_with_buf_mmap),
		itest(create_fence_h_makes_the_fence_create_fence_makes),
		itest(merge_h_makes_the_merge_merge_makes),
		itest(export_and_import_h_move_the_fences_the_fd_calls_move),
		itest(dma_fence_h_signals_when_the_transfer_ends),
		itest(dma_wait_returns_the_status_of_the_completed_transfer),
		itest(dma_wait_of_a_cookie_never_handed_out_is_einval),
		itest(dma_wait_of_a_transfer_not_issued_is_etime),
		itest(dma_wait_returns_the_error_of_a_failed_transfer),
		itest(dma_wait_interrupted_by_a_signal_is_asked_again),
	};

	return cmocka_run_group_tests_name("handles", tests, NULL, NULL);
}
