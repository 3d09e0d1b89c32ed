/* SPDX-License-Identifier: MIT */
/*
 * Integration: the system heap and dma-buf fds through a live daemon. The
 * first group reproduces the kernel's selftests/dmabuf-heaps/dmabuf-heap.c
 * (alloc + mmap + sync, zeroed memory, alloc errors; its "compat" struct
 * sizes do not apply: the dmabufd ALLOC is one fixed-size restricted
 * ioctl, see test-malformed). The rest pins the dma-buf semantics of
 * reference/abi.md §1.5 as far as dmabufd serves them: access modes,
 * names, sharing across processes, poll and CPU access with implicit fences.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "itest.h"

static void *map_buf(int fd, int prot, size_t *ret_len)
{
	void *addr = NULL;

	assert_ok(dmabufd_buf_mmap(fd, prot, &addr, ret_len));
	return addr;
}

/* ---- kernel selftests ---------------------------------------------------- */

static void alloc_mmap_and_cpu_sync(void **state)
{
	const size_t len = 1 << 20;
	int fd = buf_new(len, O_RDWR | O_CLOEXEC);
	size_t maplen;
	uint8_t *p = map_buf(fd, PROT_READ | PROT_WRITE, &maplen);

	assert_int_equal(maplen, len);
	assert_ok(dmabufd_buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	memset(p, 1, len / 2);
	assert_ok(dmabufd_buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	assert_ok(dmabufd_buf_begin_cpu_access(fd, DMA_BUF_SYNC_READ));
	assert_int_equal(p[0], 1);
	assert_int_equal(p[len / 2 - 1], 1);
	assert_int_equal(p[len / 2], 0);
	assert_ok(dmabufd_buf_end_cpu_access(fd, DMA_BUF_SYNC_READ));
	assert_ok(dmabufd_buf_munmap(p, maplen));
	close(fd);
}

static void check_alloc_zeroed(size_t size)
{
	enum { N = 32 };
	int fds[N];

	for (int i = 0; i < N; i++) {
		size_t l;
		uint8_t *p;

		fds[i] = buf_new(size, O_RDWR | O_CLOEXEC);
		p = map_buf(fds[i], PROT_READ | PROT_WRITE, &l);
		assert_ok(dmabufd_buf_begin_cpu_access(fds[i], DMA_BUF_SYNC_WRITE));
		memset(p, 0xff, l);
		assert_ok(dmabufd_buf_end_cpu_access(fds[i], DMA_BUF_SYNC_WRITE));
		assert_ok(dmabufd_buf_munmap(p, l));
	}
	for (int i = 0; i < N; i++)
		close(fds[i]);
	for (int i = 0; i < N; i++) {
		size_t l;
		uint8_t *p;

		fds[i] = buf_new(size, O_RDWR | O_CLOEXEC);
		p = map_buf(fds[i], PROT_READ, &l);
		assert_ok(dmabufd_buf_begin_cpu_access(fds[i], DMA_BUF_SYNC_READ));
		for (size_t j = 0; j < l; j++)
			if (p[j] != 0)
				fail_msg("buffer %d byte %zu is 0x%02x, not 0", i, j, p[j]);
		assert_ok(dmabufd_buf_end_cpu_access(fds[i], DMA_BUF_SYNC_READ));
		assert_ok(dmabufd_buf_munmap(p, l));
	}
	for (int i = 0; i < N; i++)
		close(fds[i]);
}

static void alloc_is_zeroed_4k(void **state)
{
	check_alloc_zeroed(4096);
}

static void alloc_is_zeroed_1m(void **state)
{
	check_alloc_zeroed(1 << 20);
}

static void alloc_errors(void **state)
{
	int heap = dmabufd_heap_open("system");
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);

	assert_ok(heap);
	/* Not a heap: fd 0 (a tty, pipe or /dev/null here) and a dma-buf. */
	assert_true(dmabufd_heap_alloc(0, PAGE, O_RDWR | O_CLOEXEC, 0) < 0);
	assert_errno(dmabufd_heap_alloc(buf, PAGE, O_RDWR | O_CLOEXEC, 0), ENOTTY);
	assert_errno(dmabufd_heap_alloc(heap, PAGE, O_RDWR | O_CLOEXEC, 0x111111), EINVAL);
	assert_errno(dmabufd_heap_alloc(heap, PAGE, ~(unsigned int)(O_RDWR | O_CLOEXEC), 0),
		     EINVAL);
	assert_errno(dmabufd_heap_alloc(heap, 0, O_RDWR | O_CLOEXEC, 0), EINVAL);
	assert_errno(dmabufd_heap_alloc(heap, SIZE_MAX, O_RDWR | O_CLOEXEC, 0), EINVAL);
	assert_errno(dmabufd_heap_alloc(heap, SIZE_MAX - PAGE + 2, O_RDWR | O_CLOEXEC, 0), EINVAL);
	/* 2^61 bytes on a 64-bit host: page-aligned, no wrap, more than any RAM. */
	assert_errno(dmabufd_heap_alloc(heap, SIZE_MAX / 8 + 1, O_RDWR | O_CLOEXEC, 0), ENOMEM);
	close(buf);
	close(heap);
}

/* ---- allocation ------------------------------------------------------------ */

static void alloc_rounds_sizes_up_to_pages(void **state)
{
	static const struct { size_t len, size; } cases[] = {
		{ 1, PAGE }, { PAGE - 1, PAGE }, { PAGE, PAGE }, { PAGE + 1, 2 * PAGE },
		{ 3 * PAGE, 3 * PAGE }, { 65536 + 17, 65536 + PAGE }, { 1 << 20, 1 << 20 },
		{ (8 << 20) + 1, (8 << 20) + PAGE },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int fd = buf_new(cases[i].len, O_RDWR | O_CLOEXEC);
		size_t l;
		void *p;

		assert_int_equal(dmabufd_buf_size(fd), cases[i].size);
		p = map_buf(fd, PROT_READ | PROT_WRITE, &l);
		assert_int_equal(l, cases[i].size);
		memset(p, 0x5a, l);
		assert_ok(dmabufd_buf_munmap(p, l));
		close(fd);
	}
}

static void alloc_from_an_unknown_heap_is_enoent(void **state)
{
	assert_errno(dmabufd_heap_open("no-such-heap"), ENOENT);
	assert_errno(dmabufd_alloc("no-such-heap", PAGE, O_RDWR), ENOENT);
	assert_errno(dmabufd_heap_open("../sw_sync"), EINVAL);
}

static void buffer_info_reports_size_exporter_and_mode(void **state)
{
	static const unsigned int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };
	uint64_t ids[3];

	for (int i = 0; i < 3; i++) {
		int fd = buf_new(5000, modes[i] | O_CLOEXEC);
		struct dmabufd_dma_buf_info info;

		assert_ok(dmabufd_buf_info(fd, &info));
		assert_int_equal(info.size, 2 * PAGE);
		assert_string_equal(info.exp_name, "system");
		assert_int_equal(info.mode, modes[i]);
		assert_int_equal(info.attachments, 0);
		assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, (int)modes[i]);
		ids[i] = info.id;
		close(fd);
	}
	assert_true(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
}

static void fd_flags_control_cloexec(void **state)
{
	int a = buf_new(PAGE, O_RDWR | O_CLOEXEC), b = buf_new(PAGE, O_RDWR);

	assert_int_equal(fcntl(a, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fcntl(b, F_GETFD) & FD_CLOEXEC, 0);
	close(b);
	close(a);
}

static void default_fd_flags_give_a_read_only_buffer(void **state)
{
	int fd = buf_new(PAGE, 0);
	void *p = NULL;
	size_t l = 0;

	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_errno(dmabufd_buf_mmap(fd, PROT_READ | PROT_WRITE, &p, &l), EACCES);
	p = map_buf(fd, PROT_READ, &l);
	assert_int_equal(((uint8_t *)p)[0], 0);
	assert_ok(dmabufd_buf_munmap(p, l));
	close(fd);
}

/* The kernel's DMA_HEAP_VALID_FD_FLAGS includes O_ACCMODE: alloc_file_pseudo()
 * with flags 3 makes a file with neither FMODE_READ nor FMODE_WRITE. Its
 * ioctls all work (dma_buf_ioctl() checks no f_mode); mmap(2) needs
 * FMODE_READ and fails with EACCES whatever the prot. */
static void alloc_access_mode_3_gives_an_fd_without_read_or_write(void **state)
{
	int heap = dmabufd_heap_open("system");
	int fd, sync_fd;
	void *p = NULL;
	size_t l = 0;

	assert_ok(heap);
	fd = dmabufd_heap_alloc(heap, PAGE, O_ACCMODE | O_CLOEXEC, 0);
	assert_ok(fd);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_ACCMODE);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(dmabufd_buf_size(fd), PAGE);
	assert_errno(dmabufd_buf_mmap(fd, PROT_READ, &p, &l), EACCES);
	assert_errno(dmabufd_buf_mmap(fd, PROT_READ | PROT_WRITE, &p, &l), EACCES);
	assert_ok(dmabufd_buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	assert_ok(dmabufd_buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	assert_ok(dmabufd_buf_set_name(fd, "nomode"));
	sync_fd = dmabufd_buf_export_sync_file(fd, DMA_BUF_SYNC_RW);
	assert_ok(sync_fd);
	assert_ok(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_WRITE, sync_fd));
	close(sync_fd);
	close(fd);
	close(heap);
}

/* The same through DMABUFD_IOC_CREATE: the fresh fd opened O_ACCMODE. */
static void alloc_h_access_mode_3_gives_an_fd_without_read_or_write(void **state)
{
	int heap = dmabufd_heap_open("system");
	uint64_t heap_h, buf_h;
	void *p = NULL;
	size_t l = 0;
	int fd;

	assert_ok(heap);
	assert_ok(dmabufd_handle(heap, &heap_h, NULL));
	fd = dmabufd_alloc_h(heap_h, PAGE, O_ACCMODE | O_CLOEXEC, &buf_h);
	assert_ok(fd);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_ACCMODE);
	assert_int_equal(dmabufd_buf_size(fd), PAGE);
	assert_errno(dmabufd_buf_mmap(fd, PROT_READ, &p, &l), EACCES);
	assert_errno(dmabufd_buf_mmap_h(buf_h, PROT_READ, &p, &l), EACCES);
	assert_ok(dmabufd_buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	assert_ok(dmabufd_buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	close(fd);
	close(heap);
}

/* A buffer allocated with access mode 3 may be claimed by an fd of mode 3
 * only: the token grants no read and no write. A read-write buffer's
 * token may be claimed by a mode-3 fd, which can then not map it. */
static void access_mode_3_token_claims(void **state)
{
	int heap = dmabufd_heap_open("system");
	struct dmabufd_heap_alloc a = { .len = PAGE, .fd_flags = O_ACCMODE };
	uint64_t token;
	void *p = NULL;
	size_t l = 0;
	int fd, rw;

	assert_ok(heap);
	assert_int_equal(raw_ioctl(heap, DMABUFD_HEAP_IOC_ALLOC, &a), 0);
	assert_errno(dmabufd_buf_claim(a.token, O_RDONLY | O_CLOEXEC), EACCES);
	assert_errno(dmabufd_buf_claim(a.token, O_RDWR | O_CLOEXEC), EACCES);
	fd = dmabufd_buf_claim(a.token, O_ACCMODE | O_CLOEXEC);
	assert_ok(fd);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_ACCMODE);
	/* Its exported token still grants nothing more. */
	assert_ok(dmabufd_export_token(fd, &token));
	assert_errno(dmabufd_buf_claim(token, O_RDONLY | O_CLOEXEC), EACCES);
	close(fd);

	rw = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	assert_ok(dmabufd_export_token(rw, &token));
	fd = dmabufd_buf_claim(token, O_ACCMODE | O_CLOEXEC);
	assert_ok(fd);
	assert_errno(dmabufd_buf_mmap(fd, PROT_READ, &p, &l), EACCES);
	close(fd);
	close(rw);
	close(heap);
}

static void read_only_mapping_cannot_be_made_writable(void **state)
{
	int fd = buf_new(PAGE, O_RDONLY | O_CLOEXEC);
	size_t l;
	void *p = map_buf(fd, PROT_READ, &l);

	/* The memfd behind a read-only fd is itself read-only. */
	assert_int_equal(mprotect(p, l, PROT_READ | PROT_WRITE), -1);
	assert_int_equal(errno, EACCES);
	assert_ok(dmabufd_buf_munmap(p, l));
	close(fd);
}

static void write_only_buffer_cannot_be_mapped(void **state)
{
	int fd = buf_new(PAGE, O_WRONLY | O_CLOEXEC);
	struct dmabufd_dma_buf_map map = { 0 };
	void *p = NULL;
	size_t l = 0;

	assert_errno(dmabufd_buf_mmap(fd, PROT_READ, &p, &l), EACCES);
	assert_errno(raw_ioctl(fd, DMABUFD_DMA_BUF_IOC_MAP, &map), EACCES);
	close(fd);
}

static void buffer_name_is_set_and_read_back(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	char name[64];
	const char *n31 = "abcdefghijklmnopqrstuvwxyz01234";

	assert_ok(dmabufd_buf_get_name(fd, name, sizeof(name)));
	assert_string_equal(name, "");
	assert_ok(dmabufd_buf_set_name(fd, "camera0"));
	assert_ok(dmabufd_buf_get_name(fd, name, sizeof(name)));
	assert_string_equal(name, "camera0");
	assert_ok(dmabufd_buf_set_name(fd, n31));
	assert_ok(dmabufd_buf_get_name(fd, name, sizeof(name)));
	assert_string_equal(name, n31);
	assert_errno(dmabufd_buf_get_name(fd, name, 8), ENAMETOOLONG);
	assert_errno(dmabufd_buf_set_name(fd, "abcdefghijklmnopqrstuvwxyz012345"), EINVAL);
	assert_ok(dmabufd_buf_get_name(fd, name, sizeof(name)));
	assert_string_equal(name, n31);
	close(fd);
}

/* ---- sharing -------------------------------------------------------------- */

static int child_reads_buffer_from_socket(void *arg)
{
	int sock = *(int *)arg, fd;
	uint64_t word;
	uint8_t *p;
	void *addr;
	size_t l;

	CHILD_CHECK(recv_fd(sock, &fd, &word) == 0 && fd >= 0);
	CHILD_CHECK(dmabufd_buf_mmap(fd, PROT_READ | PROT_WRITE, &addr, &l) == 0);
	p = addr;
	CHILD_CHECK(dmabufd_buf_begin_cpu_access(fd, DMA_BUF_SYNC_RW) == 0);
	for (size_t i = 0; i < l; i++)
		CHILD_CHECK(p[i] == (uint8_t)(i * 7 + word));
	/* Answer through the same memory. */
	p[0] = 0xc3;
	p[l - 1] = 0x3c;
	CHILD_CHECK(dmabufd_buf_end_cpu_access(fd, DMA_BUF_SYNC_RW) == 0);
	dmabufd_buf_munmap(addr, l);
	close(fd);
	CHILD_CHECK(send_fd(sock, -1, 1) == 0);
	return 0;
}

static void buffer_shared_over_unix_socket_shows_the_same_bytes(void **state)
{
	const size_t len = 3 * PAGE;
	int fd = buf_new(len, O_RDWR | O_CLOEXEC), sv[2];
	uint8_t *p;
	size_t l;
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	p = map_buf(fd, PROT_READ | PROT_WRITE, &l);
	for (size_t i = 0; i < l; i++)
		p[i] = (uint8_t)(i * 7 + 11);
	pid = fork_child(child_reads_buffer_from_socket, &sv[1]);
	assert_ok(send_fd(sv[0], fd, 11));
	assert_ok(recv_fd(sv[0], NULL, NULL));
	assert_child_ok(pid);
	assert_int_equal(p[0], 0xc3);
	assert_int_equal(p[l - 1], 0x3c);
	assert_int_equal(p[1], (uint8_t)(7 + 11));
	assert_ok(dmabufd_buf_munmap(p, l));
	close(sv[0]);
	close(sv[1]);
	close(fd);
}

struct token_child {
	uint64_t token;
	int fd;
};

static int child_claims_buffer_token(void *arg)
{
	struct token_child *t = arg;
	struct dmabufd_dma_buf_info info;
	uint8_t *p;
	void *addr;
	size_t l;
	int fd;

	close(t->fd);
	fd = dmabufd_buf_claim(t->token, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(dmabufd_buf_info(fd, &info) == 0 && info.size == 2 * PAGE);
	CHILD_CHECK(dmabufd_buf_mmap(fd, PROT_READ | PROT_WRITE, &addr, &l) == 0);
	p = addr;
	CHILD_CHECK(strcmp((char *)p, "hello from the parent") == 0);
	strcpy((char *)p + PAGE, "hello from the child");
	dmabufd_buf_munmap(addr, l);
	close(fd);
	return 0;
}

static void buffer_shared_by_token_shows_the_same_bytes(void **state)
{
	struct token_child t = { .fd = buf_new(2 * PAGE, O_RDWR | O_CLOEXEC) };
	size_t l;
	char *p = map_buf(t.fd, PROT_READ | PROT_WRITE, &l);
	pid_t pid;

	strcpy(p, "hello from the parent");
	assert_ok(dmabufd_export_token(t.fd, &t.token));
	pid = fork_child(child_claims_buffer_token, &t);
	assert_child_ok(pid);
	assert_string_equal(p + PAGE, "hello from the child");
	/* Single use. */
	assert_errno(dmabufd_buf_claim(t.token, O_RDWR), EINVAL);
	assert_ok(dmabufd_buf_munmap(p, l));
	close(t.fd);
}

static void claiming_more_access_than_the_token_grants_is_eacces(void **state)
{
	int ro = buf_new(PAGE, O_RDONLY | O_CLOEXEC), fd;
	uint64_t token;

	assert_ok(dmabufd_export_token(ro, &token));
	assert_errno(dmabufd_buf_claim(token, O_RDWR | O_CLOEXEC), EACCES);
	/* Whether a refused claim consumes the token is not specified: take a new one. */
	assert_ok(dmabufd_export_token(ro, &token));
	fd = dmabufd_buf_claim(token, O_RDONLY | O_CLOEXEC);
	assert_ok(fd);
	close(fd);
	close(ro);
}

static int child_writes_inherited_buffer(void *arg)
{
	int fd = *(int *)arg;
	void *addr;
	size_t l;

	CHILD_CHECK(dmabufd_buf_mmap(fd, PROT_READ | PROT_WRITE, &addr, &l) == 0);
	memcpy(addr, "forked", 7);
	dmabufd_buf_munmap(addr, l);
	CHILD_CHECK(dmabufd_buf_set_name(fd, "child-named") == 0);
	close(fd);
	return 0;
}

static void fork_child_inherits_a_buffer_fd(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	char name[32];
	size_t l;
	char *p;

	assert_child_ok(fork_child(child_writes_inherited_buffer, &fd));
	p = map_buf(fd, PROT_READ, &l);
	assert_string_equal(p, "forked");
	assert_ok(dmabufd_buf_get_name(fd, name, sizeof(name)));
	assert_string_equal(name, "child-named");
	assert_ok(dmabufd_buf_munmap(p, l));
	close(fd);
}

static void dup_of_a_buffer_fd_is_the_same_buffer(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC), d;
	struct dmabufd_dma_buf_info a, b;

	d = dup(fd);
	assert_true(d >= 0);
	assert_ok(dmabufd_buf_info(fd, &a));
	close(fd);
	assert_ok(dmabufd_buf_info(d, &b));
	assert_int_equal(a.id, b.id);
	close(d);
}

static void mapping_outlives_the_buffer_fd(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	size_t l;
	char *p = map_buf(fd, PROT_READ | PROT_WRITE, &l);

	close(fd);
	strcpy(p, "still mapped");
	assert_string_equal(p, "still mapped");
	assert_ok(dmabufd_buf_munmap(p, l));
}

/* ---- memory still mapped after the buffer is released ------------------- */

/*
 * A mapping is a file of the buffer's memory (a reopen of its memfd): it
 * may outlive the buffer fd, and the memory with it. The heap keeps the
 * bytes charged until the daemon sees the last such file go (an inotify
 * trigger and a lease probe, or its 1 s sweep). Waits are bounded by
 * LINGER_WAIT_MS (itest.h) and assert what the daemon reports, never how
 * fast. The heap's limit with such memory: test-heap-limit.c.
 */
static void released_buffer_stays_charged_while_mapped(void **state)
{
	const size_t len = 1 << 20;
	uint64_t base = system_heap_usage().bytes;
	int64_t bufs = stat_of(DMABUFD_STAT_DMA_BUFS);
	int fd = buf_new(len, O_RDWR | O_CLOEXEC);
	size_t l;
	char *p = map_buf(fd, PROT_READ | PROT_WRITE, &l);

	close_and_await_release(fd, bufs);
	assert_lingering(base + len, len);
	strcpy(p, "still mine");
	assert_ok(dmabufd_buf_munmap(p, l));
	assert_nothing_lingers(base);
}

static void released_buffer_stays_charged_while_read_only_mapped(void **state)
{
	const size_t len = 4 * PAGE;
	uint64_t base = system_heap_usage().bytes;
	int64_t bufs = stat_of(DMABUFD_STAT_DMA_BUFS);
	int fd = buf_new(len, O_RDONLY | O_CLOEXEC);
	size_t l;
	const char *p = map_buf(fd, PROT_READ, &l);

	close_and_await_release(fd, bufs);
	assert_lingering(base + len, len);
	assert_int_equal(p[len - 1], 0);
	assert_ok(dmabufd_buf_munmap((void *)p, l));
	assert_nothing_lingers(base);
}

static void released_buffer_stays_charged_while_its_map_fd_is_open(void **state)
{
	const size_t len = 2 * PAGE;
	uint64_t base = system_heap_usage().bytes;
	int64_t bufs = stat_of(DMABUFD_STAT_DMA_BUFS);
	int fd = buf_new(len, O_RDWR | O_CLOEXEC);
	int memfd = ctl_map_raw(fd);
	char c = 7;

	close_and_await_release(fd, bufs);
	assert_lingering(base + len, len);
	assert_int_equal(pwrite(memfd, &c, 1, len - 1), 1);
	close(memfd);
	assert_nothing_lingers(base);
}

/* A copy of the map fd in another process (passed on, or inherited)
 * holds the memory as long as it lives. */
static void released_buffer_stays_charged_while_any_copy_is_open(void **state)
{
	const size_t len = PAGE;
	uint64_t base = system_heap_usage().bytes;
	int64_t bufs = stat_of(DMABUFD_STAT_DMA_BUFS);
	int fd = buf_new(len, O_RDWR | O_CLOEXEC);
	int memfd = ctl_map_raw(fd);
	int copy = fcntl(memfd, F_DUPFD_CLOEXEC, 0);

	assert_true(copy >= 0);
	close_and_await_release(fd, bufs);
	close(memfd);
	/* The trigger fires (a close), but a copy of the file is left. */
	usleep(200 * 1000);
	assert_lingering(base + len, len);
	close(copy);
	assert_nothing_lingers(base);
}

static void buffer_unmapped_before_release_is_freed_at_once(void **state)
{
	const size_t len = PAGE;
	uint64_t base = system_heap_usage().bytes;
	int64_t bufs = stat_of(DMABUFD_STAT_DMA_BUFS);
	int fd = buf_new(len, O_RDWR | O_CLOEXEC);
	size_t l;
	void *p = map_buf(fd, PROT_READ | PROT_WRITE, &l);

	assert_ok(dmabufd_buf_munmap(p, l));
	close_and_await_release(fd, bufs);
	/* No waiting here: the release probed it and found nobody. */
	assert_int_equal(system_heap_usage().bytes, base);
	assert_int_equal(stat_of(DMABUFD_STAT_LINGERING), 0);
}

/* Reports through @pipe once its buffer is released and still mapped,
 * then waits to be killed. */
static int map_close_and_wait(void *arg)
{
	int pipe_fd = *(int *)arg;
	int fd = dmabufd_alloc("system", 1 << 20, O_RDWR | O_CLOEXEC);
	void *addr;
	size_t len;
	char c = 1;

	/* Not left behind when the parent fails before killing it. */
	CHILD_CHECK(prctl(PR_SET_PDEATHSIG, SIGKILL) == 0);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(dmabufd_buf_mmap(fd, PROT_READ | PROT_WRITE, &addr, &len) == 0);
	memset(addr, 0x5a, len);
	close(fd);
	CHILD_CHECK(write(pipe_fd, &c, 1) == 1);
	for (;;)
		pause();
}

static void killed_client_releases_its_lingering_memory(void **state)
{
	uint64_t base = system_heap_usage().bytes;
	int64_t bufs = stat_of(DMABUFD_STAT_DMA_BUFS);
	int pipe_fds[2], status;
	pid_t pid;
	char c;

	assert_int_equal(pipe2(pipe_fds, O_CLOEXEC), 0);
	pid = fork_child(map_close_and_wait, &pipe_fds[1]);
	close(pipe_fds[1]);
	assert_int_equal(read(pipe_fds[0], &c, 1), 1);
	close(pipe_fds[0]);
	await_stat(DMABUFD_STAT_DMA_BUFS, bufs);
	assert_lingering(base + (1 << 20), 1 << 20);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_nothing_lingers(base);
}

/* ---- implicit fences: poll, export/import, CPU access -------------------- */

static void buffer_without_fences_polls_in_and_out(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC);

	assert_int_equal(poll_events(fd, POLLIN | POLLOUT, 0), POLLIN | POLLOUT);
	close(fd);
}

static void buffer_with_a_pending_write_fence_polls_neither(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC), tl = timeline_new();
	int f = fence_new(tl, 1);

	assert_ok(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_WRITE, f));
	assert_int_equal(poll_events(fd, POLLIN | POLLOUT, 0), 0);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(poll_events(fd, POLLIN | POLLOUT, 1000), POLLIN | POLLOUT);
	close(f);
	close(tl);
	close(fd);
}

static void buffer_with_a_pending_read_fence_polls_in_only(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC), tl = timeline_new();
	int f = fence_new(tl, 1);

	assert_ok(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_READ, f));
	assert_int_equal(poll_events(fd, POLLIN | POLLOUT, 0), POLLIN);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(poll_events(fd, POLLOUT, 1000), POLLOUT);
	close(f);
	close(tl);
	close(fd);
}

static void buffer_poll_wakes_when_the_fence_signals(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC), tl = timeline_new();
	int f = fence_new(tl, 1);
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int64_t t0;
	pid_t pid;

	assert_ok(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_WRITE, f));
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		usleep(100000);
		_exit(dmabufd_timeline_inc(tl, 1) == 0 ? 0 : 1);
	}
	t0 = now_ns();
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(pfd.revents, POLLOUT);
	assert_true(now_ns() - t0 >= 80 * 1000000LL);
	assert_child_ok(pid);
	close(f);
	close(tl);
	close(fd);
}

static void export_sync_file_snapshots_the_implicit_fences(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC), tl = timeline_new();
	int w = fence_new(tl, 1), r = fence_new(tl, 2);
	int none, for_read, for_write;

	none = dmabufd_buf_export_sync_file(fd, DMA_BUF_SYNC_RW);
	assert_ok(none);
	assert_int_equal(fence_status(none), 1);
	assert_ok(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_WRITE, w));
	assert_ok(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_READ, r));
	for_read = dmabufd_buf_export_sync_file(fd, DMA_BUF_SYNC_READ);
	for_write = dmabufd_buf_export_sync_file(fd, DMA_BUF_SYNC_WRITE);
	assert_ok(for_read);
	assert_ok(for_write);
	assert_int_equal(fence_status(for_read), 0);
	assert_int_equal(fence_status(for_write), 0);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	/* READ waits only for the writer; WRITE for the reader too. */
	assert_int_equal(fence_status(for_read), 1);
	assert_int_equal(fence_status(for_write), 0);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	assert_int_equal(fence_status(for_write), 1);
	assert_errno(dmabufd_buf_export_sync_file(fd, 0), EINVAL);
	assert_errno(dmabufd_buf_export_sync_file(fd, 4), EINVAL);
	close(for_write);
	close(for_read);
	close(none);
	close(r);
	close(w);
	close(tl);
	close(fd);
}

static void import_of_a_non_sync_file_is_einval(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC), other = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	int tl = timeline_new(), f = fence_new(tl, 1);

	assert_errno(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_WRITE, other), EINVAL);
	assert_errno(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_WRITE, tl), EINVAL);
	assert_errno(dmabufd_buf_import_sync_file(fd, 0, f), EINVAL);
	assert_int_equal(poll_events(fd, POLLIN | POLLOUT, 0), POLLIN | POLLOUT);
	close(f);
	close(tl);
	close(other);
	close(fd);
}

/* dma_buf_import_sync_file(): flags first, then a sync_fd that
 * sync_file_get_fence() refuses (a closed fd too) is EINVAL; the buffer
 * fd is the ioctl's own, so a bad one answers first (EBADF, or ENOTTY
 * from a sync_file). */
static void import_with_a_bad_fd_gets_the_kernels_errno(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	int tl = timeline_new(), f = fence_new(tl, 1);
	int heap = dmabufd_heap_open("system");

	assert_ok(heap);
	assert_errno(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_WRITE, -1), EINVAL);
	assert_errno(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_WRITE, heap), EINVAL);
	assert_errno(dmabufd_buf_import_sync_file(fd, 0, -1), EINVAL);
	assert_errno(dmabufd_buf_import_sync_file(-1, DMA_BUF_SYNC_WRITE, -1), EBADF);
	assert_errno(dmabufd_buf_import_sync_file(-1, DMA_BUF_SYNC_WRITE, f), EBADF);
	assert_errno(dmabufd_buf_import_sync_file(f, DMA_BUF_SYNC_WRITE, -1), ENOTTY);
	assert_int_equal(poll_events(fd, POLLIN | POLLOUT, 0), POLLIN | POLLOUT);
	close(heap);
	close(f);
	close(tl);
	close(fd);
}

struct sync_start {
	int fd;
	uint64_t flags;
	int result;
	int64_t returned_ns;
};

static void *sync_start_thread(void *arg)
{
	struct sync_start *s = arg;

	s->result = dmabufd_buf_sync(s->fd, DMA_BUF_SYNC_START | s->flags);
	s->returned_ns = now_ns();
	return NULL;
}

static void sync_start_blocks_until_the_write_fence_signals(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC), tl = timeline_new();
	int f = fence_new(tl, 1);
	struct sync_start s = { .fd = fd, .flags = DMA_BUF_SYNC_READ, .result = 99 };
	pthread_t t;
	int64_t signaled;

	assert_ok(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_WRITE, f));
	assert_int_equal(pthread_create(&t, NULL, sync_start_thread, &s), 0);
	usleep(150000);
	assert_int_equal(s.result, 99);         /* still blocked */
	signaled = now_ns();
	assert_ok(dmabufd_timeline_inc(tl, 1));
	pthread_join(t, NULL);
	assert_int_equal(s.result, 0);
	assert_true(s.returned_ns >= signaled);
	assert_ok(dmabufd_buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	close(f);
	close(tl);
	close(fd);
}

static void sync_start_read_does_not_wait_for_readers(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC), tl = timeline_new();
	int f = fence_new(tl, 1);
	struct sync_start s = { .fd = fd, .flags = DMA_BUF_SYNC_WRITE, .result = 99 };
	pthread_t t;

	assert_ok(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_READ, f));
	assert_ok(dmabufd_buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	assert_ok(dmabufd_buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	/* A writer waits for the reader. */
	assert_int_equal(pthread_create(&t, NULL, sync_start_thread, &s), 0);
	usleep(100000);
	assert_int_equal(s.result, 99);
	assert_ok(dmabufd_timeline_inc(tl, 1));
	pthread_join(t, NULL);
	assert_int_equal(s.result, 0);
	close(f);
	close(tl);
	close(fd);
}

struct delayed_inc {
	int timeline;
	int delay_ms;
};

static void *delayed_inc_thread(void *arg)
{
	struct delayed_inc *d = arg;

	usleep((useconds_t)d->delay_ms * 1000);
	if (dmabufd_timeline_inc(d->timeline, 1) < 0)
		abort();
	return NULL;
}

static void begin_cpu_access_outlasts_the_daemon_cap(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC), tl = timeline_new();
	int f = fence_new(tl, 1);
	struct delayed_inc d = { .timeline = tl, .delay_ms = daemon_max_wait_ms() + 300 };
	pthread_t t;
	int64_t t0;

	assert_ok(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_WRITE, f));
	assert_int_equal(pthread_create(&t, NULL, delayed_inc_thread, &d), 0);
	t0 = now_ns();
	assert_ok(dmabufd_buf_begin_cpu_access(fd, DMA_BUF_SYNC_READ));
	assert_true(now_ns() - t0 >= (int64_t)d.delay_ms * 1000000 - 10000000);
	assert_int_equal(fence_status(f), 1);
	assert_ok(dmabufd_buf_end_cpu_access(fd, DMA_BUF_SYNC_READ));
	pthread_join(t, NULL);
	close(f);
	close(tl);
	close(fd);
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

static void sync_start_is_interrupted_by_a_signal(void **state)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 }, old;
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC), tl = timeline_new();
	int f = fence_new(tl, 1);
	struct sync_start s = { .fd = fd, .flags = DMA_BUF_SYNC_RW, .result = 99 };
	pthread_t t;

	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	assert_ok(dmabufd_buf_import_sync_file(fd, DMA_BUF_SYNC_WRITE, f));
	assert_int_equal(pthread_create(&t, NULL, sync_start_thread, &s), 0);
	assert_true(await_pending_request(5000));
	assert_int_equal(s.result, 99);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	assert_errno(s.result, EINTR);
	sigaction(SIGUSR1, &old, NULL);
	/* Still pending: a poll-free check that nothing signaled the fence. */
	assert_int_equal(fence_status(f), 0);
	close(f);
	close(tl);
	close(fd);
}

static void sync_rejects_bad_flags(void **state)
{
	int fd = buf_new(PAGE, O_RDWR | O_CLOEXEC);

	assert_errno(dmabufd_buf_sync(fd, 0), EINVAL);
	assert_errno(dmabufd_buf_sync(fd, DMA_BUF_SYNC_END), EINVAL);
	assert_errno(dmabufd_buf_sync(fd, DMA_BUF_SYNC_RW | 8), EINVAL);
	assert_errno(dmabufd_buf_sync(fd, (uint64_t)1 << 40 | DMA_BUF_SYNC_READ), EINVAL);
	/* END without START is accepted, as the kernel. */
	assert_ok(dmabufd_buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
	assert_errno(dmabufd_buf_begin_cpu_access(fd, 0), EINVAL);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(alloc_mmap_and_cpu_sync),
		itest(alloc_is_zeroed_4k),
		itest(alloc_is_zeroed_1m),
		itest(alloc_errors),
		itest(alloc_rounds_sizes_up_to_pages),
		itest(alloc_from_an_unknown_heap_is_enoent),
		itest(buffer_info_reports_size_exporter_and_mode),
		itest(fd_flags_control_cloexec),
		itest(default_fd_flags_give_a_read_only_buffer),
		itest(alloc_access_mode_3_gives_an_fd_without_read_or_write),
		itest(alloc_h_access_mode_3_gives_an_fd_without_read_or_write),
		itest(access_mode_3_token_claims),
		itest(read_only_mapping_cannot_be_made_writable),
		itest(write_only_buffer_cannot_be_mapped),
		itest(buffer_name_is_set_and_read_back),
		itest(buffer_shared_over_unix_socket_shows_the_same_bytes),
		itest(buffer_shared_by_token_shows_the_same_bytes),
		itest(claiming_more_access_than_the_token_grants_is_eacces),
		itest(fork_child_inherits_a_buffer_fd),
		itest(dup_of_a_buffer_fd_is_the_same_buffer),
		itest(mapping_outlives_the_buffer_fd),
		itest(released_buffer_stays_charged_while_mapped),
		itest(released_buffer_stays_charged_while_read_only_mapped),
		itest(released_buffer_stays_charged_while_its_map_fd_is_open),
		itest(released_buffer_stays_charged_while_any_copy_is_open),
		itest(buffer_unmapped_before_release_is_freed_at_once),
		itest(killed_client_releases_its_lingering_memory),
		itest(buffer_without_fences_polls_in_and_out),
		itest(buffer_with_a_pending_write_fence_polls_neither),
		itest(buffer_with_a_pending_read_fence_polls_in_only),
		itest(buffer_poll_wakes_when_the_fence_signals),
		itest(export_sync_file_snapshots_the_implicit_fences),
		itest(import_of_a_non_sync_file_is_einval),
		itest(import_with_a_bad_fd_gets_the_kernels_errno),
		itest(sync_start_blocks_until_the_write_fence_signals),
		itest(sync_start_read_does_not_wait_for_readers),
		itest(begin_cpu_access_outlasts_the_daemon_cap),
		itest(sync_start_is_interrupted_by_a_signal),
		itest(sync_rejects_bad_flags),
	};

	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
