/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of daemon/model/heap.c (the registry and DMA_HEAP_IOCTL_ALLOC
 * validation) and daemon/model/heap_system.c (the memfd system heap).
 */
#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/dma_buf.h"
#include "model/heap.h"
#include "model/heap_system.h"

#define PAGE 4096ull

/* A heap that records what reaches its allocate op and refuses. */
struct test_heap {
	unsigned allocs, releases;
	uint64_t len;
	uint32_t fd_flags;
};

static int test_allocate(struct heap *heap, struct acct *acct, uint64_t len,
			 uint32_t fd_flags, uint64_t heap_flags,
			 struct dma_buf **ret_buf)
{
	struct test_heap *th = heap->priv;

	th->allocs++;
	th->len = len;
	th->fd_flags = fd_flags;
	return -ENOSYS;
}

static void test_release(struct heap *heap)
{
	((struct test_heap *)heap->priv)->releases++;
}

static const struct heap_ops test_heap_ops = {
	.allocate = test_allocate,
	.release = test_release,
};

static struct heap *add_test_heap(const char *name, struct test_heap *th)
{
	struct heap *heap = NULL;

	assert_int_equal(heap_add(name, &test_heap_ops, th, &heap), 0);
	assert_non_null(heap);
	return heap;
}

static void remove_heap(struct heap *heap)
{
	assert_int_equal(heap_remove(heap), 0);
	heap_unref(heap);
}

static unsigned count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	unsigned n = 0;

	assert_non_null(dir);
	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

/* The system heap, registered with @limit for one test. */
static struct heap *system_setup(uint64_t limit)
{
	assert_int_equal(heap_system_register(limit), 0);
	struct heap *heap = heap_find(HEAP_SYSTEM_NAME);

	assert_non_null(heap);
	return heap;
}

static void system_teardown(struct heap *heap)
{
	heap_unref(heap);
	assert_int_equal(heap_system_unregister(), 0);
}

static struct dma_buf *system_alloc(struct heap *heap, uint64_t len,
				    uint32_t fd_flags)
{
	struct dma_buf *buf = NULL;

	assert_int_equal(heap_alloc(heap, NULL, len, fd_flags, 0, &buf), 0);
	assert_non_null(buf);
	return buf;
}

/* Registry. */

static void add_rejects_bad_names_with_einval(void **state)
{
	const long base_heap = objstat_get(OBJ_HEAP);
	static const char *const bad[] = {
		"",
		"dma_heap/system",
		"/",
		"abcdefghijklmnopqrstuvwxyz012345", /* 32 chars */
		"abcdefghijklmnopqrstuvwxyz0123456789",
	};
	struct test_heap th = { 0 };
	struct heap *heap = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(heap_add(bad[i], &test_heap_ops, &th, &heap),
				 -EINVAL);
	assert_int_equal(heap_add(NULL, &test_heap_ops, &th, &heap), -EINVAL);
	assert_null(heap);
	assert_int_equal(objstat_get(OBJ_HEAP) - base_heap, 0);
}

static void add_accepts_31_char_name(void **state)
{
	const char *name = "abcdefghijklmnopqrstuvwxyz01234";
	struct test_heap th = { 0 };
	struct heap *heap = add_test_heap(name, &th), *found;

	assert_int_equal(strlen(name), 31);
	assert_string_equal(heap->name, name);
	found = heap_find(name);
	assert_ptr_equal(found, heap);
	heap_unref(found);
	remove_heap(heap);
}

static void add_duplicate_is_eexist(void **state)
{
	const long base_heap = objstat_get(OBJ_HEAP);
	struct test_heap th = { 0 };
	struct heap *heap = add_test_heap("dup", &th), *other = NULL;

	assert_int_equal(heap_add("dup", &test_heap_ops, &th, &other), -EEXIST);
	assert_null(other);
	assert_int_equal(objstat_get(OBJ_HEAP) - base_heap, 1);
	remove_heap(heap);
	/* The name is free again once removed. */
	heap = add_test_heap("dup", &th);
	remove_heap(heap);
}

static void add_without_allocate_op_is_einval(void **state)
{
	static const struct heap_ops no_alloc = { .release = test_release };
	struct test_heap th = { 0 };
	struct heap *heap = NULL;

	assert_int_equal(heap_add("x", &no_alloc, &th, &heap), -EINVAL);
	assert_int_equal(heap_add("x", NULL, &th, &heap), -EINVAL);
	assert_null(heap);
}

static void find_returns_reference_and_remove_hides_heap(void **state)
{
	struct test_heap th = { 0 };
	struct heap *heap = add_test_heap("findme", &th), *found;

	assert_null(heap_find("findm"));
	assert_null(heap_find("other"));
	found = heap_find("findme");
	assert_ptr_equal(found, heap);
	assert_int_equal(heap->refcount, 3);
	heap_unref(found);

	assert_int_equal(heap_remove(heap), 0);
	assert_null(heap_find("findme"));
	assert_int_equal(heap_remove(heap), -ENOENT);
	assert_int_equal(heap->refcount, 1);
	assert_int_equal(th.releases, 0);
	assert_null(heap_unref(heap));
	assert_int_equal(th.releases, 1);
	assert_null(heap_unref(NULL));
}

static int collect_name(struct heap *heap, void *data)
{
	char *out = data;

	strcat(out, heap->name);
	strcat(out, ",");
	return strcmp(heap->name, "stop") == 0 ? 42 : 0;
}

static void foreach_visits_registered_heaps_in_order(void **state)
{
	struct test_heap th = { 0 };
	struct heap *a = add_test_heap("a", &th), *b = add_test_heap("b", &th);
	struct heap *stop, *c;
	char names[64] = "";

	assert_int_equal(heap_foreach(collect_name, names), 0);
	assert_string_equal(names, "a,b,");
	remove_heap(a);
	stop = add_test_heap("stop", &th);
	c = add_test_heap("c", &th);
	names[0] = '\0';
	assert_int_equal(heap_foreach(collect_name, names), 42);
	assert_string_equal(names, "b,stop,");
	remove_heap(b);
	remove_heap(stop);
	remove_heap(c);
}

static void alloc_validation_happens_before_the_heap(void **state)
{
	struct test_heap th = { 0 };
	struct heap *heap = add_test_heap("t", &th);
	struct dma_buf *buf = NULL;

	assert_int_equal(heap_alloc(heap, NULL, PAGE, O_NONBLOCK, 0, &buf), -EINVAL);
	assert_int_equal(heap_alloc(heap, NULL, PAGE, 0, 1, &buf), -EINVAL);
	assert_int_equal(heap_alloc(heap, NULL, 0, 0, 0, &buf), -EINVAL);
	assert_int_equal(th.allocs, 0);
	/* Valid arguments reach the heap, whose error comes back. */
	assert_int_equal(heap_alloc(heap, NULL, 1, O_RDWR | O_CLOEXEC, 0, &buf), -ENOSYS);
	assert_int_equal(th.allocs, 1);
	assert_null(buf);
	remove_heap(heap);
}

static void alloc_passes_page_aligned_len_to_heap(void **state)
{
	struct test_heap th = { 0 };
	struct heap *heap = add_test_heap("t", &th);
	struct dma_buf *buf = NULL;

	heap_alloc(heap, NULL, PAGE + 1, O_WRONLY, 0, &buf);
	assert_int_equal(th.len, 2 * PAGE);
	assert_int_equal(th.fd_flags, O_WRONLY);
	heap_alloc(heap, NULL, 3 * PAGE, O_RDONLY, 0, &buf);
	assert_int_equal(th.len, 3 * PAGE);
	/* 2^64 - 8191 rounds up to 2^64 - 4096: the last page, no wrap. */
	heap_alloc(heap, NULL, UINT64_MAX - 2 * PAGE + 2, O_RDONLY, 0, &buf);
	assert_int_equal(th.len, UINT64_MAX - PAGE + 1);
	assert_int_equal(heap_page_size(), PAGE);
	remove_heap(heap);
}

/* Allocation rules, on the system heap. */

static void alloc_accepts_rdwr_cloexec(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, PAGE, O_RDWR | O_CLOEXEC);

	assert_int_equal(buf->size, PAGE);
	assert_int_equal(buf->mode, O_RDWR);
	dma_buf_unref(buf);
	system_teardown(heap);
}

static void alloc_rejects_bad_fd_flags_with_einval(void **state)
{
	const long base_dma_buf = objstat_get(OBJ_DMA_BUF);
	static const uint32_t bad[] = {
		O_NONBLOCK, O_APPEND, O_TRUNC, O_CREAT, O_RDWR | O_SYNC,
		O_CLOEXEC | O_DIRECT, 0x80000000u,
	};
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(heap_alloc(heap, NULL, PAGE, bad[i], 0, &buf), -EINVAL);
	assert_null(buf);
	assert_int_equal(objstat_get(OBJ_DMA_BUF) - base_dma_buf, 0);
	system_teardown(heap);
}

static void alloc_rejects_heap_flags_with_einval(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = NULL;

	assert_int_equal(heap_alloc(heap, NULL, PAGE, O_RDWR, 1, &buf), -EINVAL);
	assert_int_equal(heap_alloc(heap, NULL, PAGE, O_RDWR, 1ull << 63, &buf), -EINVAL);
	assert_null(buf);
	system_teardown(heap);
}

static void alloc_rejects_len_zero_with_einval(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = NULL;

	assert_int_equal(heap_alloc(heap, NULL, 0, O_RDWR | O_CLOEXEC, 0, &buf), -EINVAL);
	assert_null(buf);
	system_teardown(heap);
}

static void alloc_rejects_len_that_wraps_with_einval(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = NULL;

	assert_int_equal(heap_alloc(heap, NULL, UINT64_MAX, O_RDWR, 0, &buf), -EINVAL);
	assert_int_equal(heap_alloc(heap, NULL, UINT64_MAX - PAGE + 2, O_RDWR, 0, &buf),
			 -EINVAL);
	assert_null(buf);
	system_teardown(heap);
}

static void alloc_rounds_len_up_to_page(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *one = system_alloc(heap, 1, O_RDWR);
	struct dma_buf *more = system_alloc(heap, PAGE + 1, O_RDWR);
	struct dma_buf *exact = system_alloc(heap, 2 * PAGE, O_RDWR);
	struct stat st;

	assert_int_equal(one->size, PAGE);
	assert_int_equal(more->size, 2 * PAGE);
	assert_int_equal(exact->size, 2 * PAGE);
	assert_int_equal(fstat(dma_buf_get_memfd(one), &st), 0);
	assert_int_equal(st.st_size, PAGE);
	dma_buf_unref(one);
	dma_buf_unref(more);
	dma_buf_unref(exact);
	system_teardown(heap);
}

static void alloc_access_mode_from_fd_flags(void **state)
{
	static const struct {
		uint32_t fd_flags;
		int mode;
	} table[] = {
		{ 0, O_RDONLY },
		{ O_CLOEXEC, O_RDONLY },
		{ O_WRONLY, O_WRONLY },
		{ O_RDWR | O_CLOEXEC, O_RDWR },
	};
	struct heap *heap = system_setup(0);

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct dma_buf *buf = system_alloc(heap, PAGE, table[i].fd_flags);

		assert_int_equal(buf->mode, table[i].mode);
		dma_buf_unref(buf);
	}
	system_teardown(heap);
}

/* The system heap. */

static void system_memory_is_zeroed(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *bufs[32];
	struct dma_buf *buf = system_alloc(heap, 4 * PAGE, O_RDWR);
	unsigned char *p;

	assert_int_equal(dma_buf_vmap(buf, (void **)&p), 0);
	memset(p, 0xff, buf->size);
	assert_int_equal(dma_buf_vunmap(buf, p), 0);
	dma_buf_unref(buf);

	for (int i = 0; i < 32; i++) {
		bufs[i] = system_alloc(heap, 4 * PAGE, O_RDWR);
		assert_int_equal(dma_buf_vmap(bufs[i], (void **)&p), 0);
		for (uint64_t j = 0; j < bufs[i]->size; j++)
			if (p[j] != 0)
				fail_msg("buffer %d byte %llu is %#x", i,
					 (unsigned long long)j, p[j]);
		assert_int_equal(dma_buf_vunmap(bufs[i], p), 0);
	}
	for (int i = 0; i < 32; i++)
		dma_buf_unref(bufs[i]);
	system_teardown(heap);
}

static void system_limit_is_enomem_with_nothing_left(void **state)
{
	const long base_dma_buf = objstat_get(OBJ_DMA_BUF);
	struct heap *heap = system_setup(3 * PAGE);
	struct dma_buf *a = system_alloc(heap, 2 * PAGE, O_RDWR), *b = NULL;
	struct heap_usage usage;
	unsigned fds = count_fds();

	assert_int_equal(heap_alloc(heap, NULL, 2 * PAGE, O_RDWR, 0, &b), -ENOMEM);
	assert_null(b);
	heap_get_usage(heap, &usage);
	assert_int_equal(usage.bytes, 2 * PAGE);
	assert_int_equal(usage.buffers, 1);
	assert_int_equal(usage.limit_bytes, 3 * PAGE);
	assert_int_equal(objstat_get(OBJ_DMA_BUF) - base_dma_buf, 1);
	assert_int_equal(count_fds(), fds);

	/* Exactly up to the limit is fine. */
	b = system_alloc(heap, PAGE, O_RDWR);
	dma_buf_unref(b);
	dma_buf_unref(a);
	system_teardown(heap);
}

static void system_impossible_size_is_enomem(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = NULL;
	struct heap_usage usage;
	unsigned fds = count_fds();

	assert_int_equal(heap_alloc(heap, NULL, 1ull << 62, O_RDWR, 0, &buf), -ENOMEM);
	assert_int_equal(heap_alloc(heap, NULL, 1ull << 50, O_RDWR, 0, &buf), -ENOMEM);
	/* Page-aligns to 2^64 - 4096: no wrap, just far too big. */
	assert_int_equal(heap_alloc(heap, NULL, UINT64_MAX - 2 * PAGE + 2, O_RDWR, 0,
				    &buf), -ENOMEM);
	assert_null(buf);
	heap_get_usage(heap, &usage);
	assert_int_equal(usage.bytes, 0);
	assert_int_equal(usage.buffers, 0);
	assert_int_equal(count_fds(), fds);
	system_teardown(heap);
}

static void system_memfd_is_sealed(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, PAGE, O_RDWR);
	int fd = dma_buf_get_memfd(buf);
	struct stat st;

	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GET_SEALS),
			 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	errno = 0;
	assert_int_equal(ftruncate(fd, 0), -1);
	assert_int_equal(errno, EPERM);
	errno = 0;
	assert_int_equal(ftruncate(fd, 2 * PAGE), -1);
	assert_int_equal(errno, EPERM);
	errno = 0;
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, PAGE);
	dma_buf_unref(buf);
	system_teardown(heap);
}

static void system_memfd_inode_is_private_to_the_daemon(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, PAGE, O_RDWR);
	struct stat st;

	assert_int_equal(fstat(dma_buf_get_memfd(buf), &st), 0);
	/* No one but the owner may reopen it through /proc/<pid>/fd. */
	assert_int_equal(st.st_mode & 07777, 0600);
	dma_buf_unref(buf);
	system_teardown(heap);
}

static void system_memfd_is_cloexec_and_writable(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, PAGE, O_RDONLY);
	int fd = dma_buf_get_memfd(buf);

	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	dma_buf_unref(buf);
	system_teardown(heap);
}

static void system_usage_accounting_returns_to_zero(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *a = system_alloc(heap, 1, O_RDWR);
	struct dma_buf *b = system_alloc(heap, 3 * PAGE, O_RDWR);
	struct heap_usage usage;

	heap_get_usage(heap, &usage);
	assert_int_equal(usage.bytes, 4 * PAGE);
	assert_int_equal(usage.buffers, 2);
	assert_int_equal(usage.limit_bytes, 0);
	dma_buf_unref(a);
	heap_get_usage(heap, &usage);
	assert_int_equal(usage.bytes, 3 * PAGE);
	assert_int_equal(usage.buffers, 1);
	dma_buf_unref(b);
	heap_get_usage(heap, &usage);
	assert_int_equal(usage.bytes, 0);
	assert_int_equal(usage.buffers, 0);
	system_teardown(heap);
}

static void system_leaks_no_fd(void **state)
{
	unsigned fds = count_fds();
	struct heap *heap = system_setup(8 * PAGE);
	struct dma_buf *bufs[4], *fail = NULL;

	for (int i = 0; i < 4; i++)
		bufs[i] = system_alloc(heap, 2 * PAGE, O_RDWR);
	assert_true(dma_buf_get_memfd(bufs[0]) >= 0);
	assert_int_equal(count_fds(), fds + 2); /* the arena, bufs[0]'s own */
	assert_int_equal(heap_alloc(heap, NULL, PAGE, O_RDWR, 0, &fail), -ENOMEM);
	assert_int_equal(heap_alloc(heap, NULL, 1ull << 60, O_RDWR, 0, &fail), -ENOMEM);
	assert_int_equal(heap_alloc(heap, NULL, PAGE, O_APPEND, 0, &fail), -EINVAL);
	assert_int_equal(count_fds(), fds + 2);
	for (int i = 0; i < 4; i++)
		dma_buf_unref(bufs[i]);
	system_teardown(heap);
	assert_int_equal(count_fds(), fds);
}

/* Arenas: buffers nothing has reached yet. */

/* The daemon's arena memfds: "dmabufd:system" memfds that are not
 * sealed (a buffer's own memfd is). Fills @ret_fds (up to @max) and
 * returns how many there are. */
static unsigned arena_fds(int *ret_fds, unsigned max)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	unsigned n = 0;

	assert_non_null(dir);
	while ((de = readdir(dir))) {
		char path[64], target[128];
		int fd = atoi(de->d_name);
		ssize_t len;

		if (de->d_name[0] == '.' || fd == dirfd(dir))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = 0;
		if (strncmp(target, "/memfd:dmabufd:system", 21) != 0 ||
		    (fcntl(fd, F_GET_SEALS) & F_SEAL_GROW))
			continue;
		if (n < max)
			ret_fds[n] = fd;
		n++;
	}
	closedir(dir);
	return n;
}

/* Bytes of memory @fd's file really holds. */
static uint64_t held_bytes(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

static void buffers_never_mapped_take_no_fd(void **state)
{
	unsigned fds = count_fds();
	struct heap *heap = system_setup(0);
	struct dma_buf *bufs[256];

	for (int i = 0; i < 256; i++)
		bufs[i] = system_alloc(heap, PAGE, O_RDWR);
	/* One arena for all of them. */
	assert_int_equal(count_fds(), fds + 1);
	assert_int_equal(arena_fds(NULL, 0), 1);
	for (int i = 0; i < 256; i++)
		dma_buf_unref(bufs[i]);
	system_teardown(heap);
	assert_int_equal(count_fds(), fds);
}

static void arena_pages_are_reserved_at_alloc_and_given_back_at_release(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *a = system_alloc(heap, 3 * PAGE, O_RDWR);
	struct dma_buf *b = system_alloc(heap, PAGE, O_RDWR);
	int arena;

	assert_int_equal(arena_fds(&arena, 1), 1);
	assert_int_equal(held_bytes(arena), 4 * PAGE);
	dma_buf_unref(a);
	assert_int_equal(held_bytes(arena), PAGE);
	dma_buf_unref(b);
	assert_int_equal(held_bytes(arena), 0);
	system_teardown(heap);
}

static void first_map_moves_the_buffer_out_of_its_arena(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *a = system_alloc(heap, 2 * PAGE, O_RDWR);
	struct dma_buf *b = system_alloc(heap, PAGE, O_RDWR);
	unsigned fds = count_fds();
	int arena, memfd, fd;

	assert_int_equal(arena_fds(&arena, 1), 1);
	fd = dma_buf_open_memfd(a, O_RDWR);
	assert_true(fd >= 0);
	memfd = dma_buf_get_memfd(a);
	assert_true(memfd >= 0 && memfd != arena);
	/* Its own memfd (and the reopen), its arena pages back. */
	assert_int_equal(count_fds(), fds + 2);
	assert_int_equal(held_bytes(arena), PAGE);
	assert_int_equal(held_bytes(memfd), 2 * PAGE);
	/* It keeps that memfd: later calls make no other. */
	assert_int_equal(dma_buf_get_memfd(a), memfd);
	close(fd);
	dma_buf_unref(a);
	dma_buf_unref(b);
	system_teardown(heap);
}

static void first_attach_moves_the_buffer_out_of_its_arena(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, PAGE, O_RDWR);
	struct dma_buf_attachment *att;
	unsigned fds = count_fds();
	int arena;

	assert_int_equal(arena_fds(&arena, 1), 1);
	assert_int_equal(dma_buf_attach(buf, NULL, &att), 0);
	assert_int_equal(count_fds(), fds + 1);
	assert_int_equal(held_bytes(arena), 0);
	assert_int_equal(dma_buf_detach(att), 0);
	dma_buf_unref(buf);
	system_teardown(heap);
}

static void bytes_dma_wrote_are_in_the_first_cpu_map(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, 2 * PAGE, O_RDWR);
	struct dma_buf_attachment *att;
	struct dma_buf_sgt *sgt;
	char *p;
	int fd;

	assert_int_equal(dma_buf_attach(buf, NULL, &att), 0);
	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_map_attachment(att, DMA_FROM_DEVICE, &sgt), 0);
	/* What an engine does: write through the DMA address. */
	memcpy((char *)(uintptr_t)sgt->ents[0].dma_addr + PAGE + 7, "engine", 7);
	assert_int_equal(dma_buf_unmap_attachment(att, sgt, DMA_FROM_DEVICE), 0);
	assert_int_equal(resv_unlock(&buf->resv), 0);
	assert_int_equal(dma_buf_detach(att), 0);

	fd = dma_buf_open_memfd(buf, O_RDONLY);
	assert_true(fd >= 0);
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_string_equal(p + PAGE + 7, "engine");
	assert_int_equal(p[0], 0);
	munmap(p, 2 * PAGE);
	close(fd);
	dma_buf_unref(buf);
	system_teardown(heap);
}

static void later_maps_share_memory_with_the_first(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, PAGE, O_RDWR);
	int first = dma_buf_open_memfd(buf, O_RDWR);
	int later = dma_buf_open_memfd(buf, O_RDONLY);
	char *w, *r, *v;

	assert_true(first >= 0 && later >= 0);
	w = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, first, 0);
	r = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, later, 0);
	assert_true(w != MAP_FAILED && r != MAP_FAILED);
	memcpy(w + 100, "shared", 7);
	assert_string_equal(r + 100, "shared");
	/* And the daemon's own address, which DMA uses, is the same memory. */
	assert_int_equal(dma_buf_vmap(buf, (void **)&v), 0);
	assert_string_equal(v + 100, "shared");
	memcpy(v + 200, "daemon", 7);
	assert_string_equal(r + 200, "daemon");
	assert_int_equal(dma_buf_vunmap(buf, v), 0);
	munmap(w, PAGE);
	munmap(r, PAGE);
	close(first);
	close(later);
	dma_buf_unref(buf);
	system_teardown(heap);
}

static void released_mapped_buffer_from_an_arena_lingers(void **state)
{
	struct fake_linger fl = { 0 };
	struct heap *heap = system_setup(0);
	struct dma_buf *keep = system_alloc(heap, PAGE, O_RDWR);
	struct dma_buf *buf = system_alloc(heap, 2 * PAGE, O_RDWR);
	int fd = dma_buf_open_memfd(buf, O_RDWR);
	struct heap_usage usage;
	char *p;

	assert_true(fd >= 0);
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	close(fd);
	memcpy(p, "still here", 11);
	heap_set_linger(fake_linger, &fl);
	dma_buf_unref(buf);
	heap_set_linger(NULL, NULL);
	assert_int_equal(fl.calls, 1);
	assert_int_equal(fl.hl->size, 2 * PAGE);
	heap_get_usage(heap, &usage);
	assert_int_equal(usage.bytes, 3 * PAGE);
	assert_int_equal(usage.buffers, 2);
	/* The client's mapping is the lingering memfd's memory. */
	assert_string_equal(p, "still here");
	memcpy(p, "written after release", 22);
	{
		char check[22] = { 0 };

		assert_int_equal(pread(fl.hl->memfd, check, 22, 0), 22);
		assert_string_equal(check, "written after release");
	}
	heap_linger_free(fl.hl);
	heap_get_usage(heap, &usage);
	assert_int_equal(usage.bytes, PAGE);
	munmap(p, 2 * PAGE);
	dma_buf_unref(keep);
	system_teardown(heap);
}

/* Every byte of @len at @p is zero. */
static void assert_all_zero(const unsigned char *p, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (p[i])
			fail_msg("byte %llu is %#x", (unsigned long long)i, p[i]);
}

static void one_buffers_bytes_never_show_in_anothers_map(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *neighbour = system_alloc(heap, PAGE, O_RDWR);
	struct dma_buf *gone = system_alloc(heap, 2 * PAGE, O_RDWR);
	struct dma_buf *fresh[4];
	unsigned char *p;
	struct stat st;

	/* Written, both of them: one lives on beside, one is released. */
	assert_int_equal(dma_buf_vmap(neighbour, (void **)&p), 0);
	memset(p, 0xa5, PAGE);
	assert_int_equal(dma_buf_vunmap(neighbour, p), 0);
	assert_int_equal(dma_buf_vmap(gone, (void **)&p), 0);
	memset(p, 0x5a, 2 * PAGE);
	assert_int_equal(dma_buf_vunmap(gone, p), 0);
	dma_buf_unref(gone);

	for (int i = 0; i < 4; i++) {
		int fd;

		fresh[i] = system_alloc(heap, (uint64_t)(i + 1) * PAGE, O_RDWR);
		fd = dma_buf_open_memfd(fresh[i], O_RDONLY);
		assert_true(fd >= 0);
		/* The file holds that buffer and nothing else. */
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(st.st_size, fresh[i]->size);
		p = mmap(NULL, fresh[i]->size, PROT_READ, MAP_SHARED, fd, 0);
		assert_true(p != MAP_FAILED);
		assert_all_zero(p, fresh[i]->size);
		munmap(p, fresh[i]->size);
		close(fd);
	}
	for (int i = 0; i < 4; i++)
		dma_buf_unref(fresh[i]);
	dma_buf_unref(neighbour);
	system_teardown(heap);
}

static void full_arena_starts_another_and_closes_with_its_last_buffer(void **state)
{
	unsigned fds = count_fds();
	struct heap *heap = system_setup(0);
	struct dma_buf *a, *b, *c, *big = NULL;
	int arenas[2];

	assert_int_equal(heap_system_set_arena_span(2 * PAGE), 0);
	a = system_alloc(heap, PAGE, O_RDWR);
	b = system_alloc(heap, PAGE, O_RDWR);
	assert_int_equal(arena_fds(NULL, 0), 1);
	c = system_alloc(heap, PAGE, O_RDWR);
	assert_int_equal(arena_fds(arenas, 2), 2);
	/* Larger than an arena: refused, nothing taken. */
	assert_int_equal(heap_alloc(heap, NULL, 3 * PAGE, O_RDWR, 0, &big), -ENOMEM);
	assert_null(big);
	dma_buf_unref(a);
	assert_int_equal(arena_fds(NULL, 0), 2);
	dma_buf_unref(b);
	assert_int_equal(arena_fds(NULL, 0), 1);
	dma_buf_unref(c);
	system_teardown(heap);
	assert_int_equal(count_fds(), fds);
	assert_int_equal(heap_system_set_arena_span(HEAP_SYSTEM_ARENA_SPAN), 0);
	assert_int_equal(heap_system_set_arena_span(0), -EINVAL);
	assert_int_equal(heap_system_set_arena_span(PAGE + 1), -EINVAL);
}

static void first_map_past_the_fd_reserve_is_emfile_and_can_be_retried(void **state)
{
	struct rlimit saved, low;
	struct heap *heap;
	struct dma_buf *buf;
	int dups[512], n = 0, fd;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	low = saved;
	low.rlim_cur = 400; /* below twice the reserve: memfds stay under 200 */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	heap = system_setup(0);
	buf = system_alloc(heap, PAGE, O_RDWR);
	/* Take every descriptor up to the ceiling. */
	while ((fd = dup(0)) >= 0 && fd < 200)
		dups[n++] = fd;
	if (fd >= 0)
		close(fd);
	assert_int_equal(dma_buf_get_memfd(buf), -EMFILE);
	assert_int_equal(dma_buf_open_memfd(buf, O_RDWR), -EMFILE);
	assert_false(buf->memfd_opened);
	for (int i = 0; i < n; i++)
		close(dups[i]);
	/* Still in its arena, intact: the next try works. */
	fd = dma_buf_open_memfd(buf, O_RDWR);
	assert_true(fd >= 0);
	close(fd);
	dma_buf_unref(buf);
	system_teardown(heap);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

static void system_map_gives_one_entry_over_the_memory(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, 2 * PAGE, O_RDWR);
	struct dma_buf_attachment *att;
	struct dma_buf_sgt *sgt;
	char check[4] = { 0 };
	void *vaddr;

	assert_int_equal(dma_buf_attach(buf, NULL, &att), 0);
	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_map_attachment(att, DMA_BIDIRECTIONAL, &sgt), 0);
	assert_int_equal(resv_unlock(&buf->resv), 0);
	assert_int_equal(sgt->nents, 1);
	assert_int_equal(sgt->ents[0].length, 2 * PAGE);
	assert_non_null(sgt->ents[0].cpu_addr);
	assert_int_equal(sgt->ents[0].dma_addr, (uintptr_t)sgt->ents[0].cpu_addr);

	/* The daemon's mapping is the memfd's memory, and the vmap address. */
	memcpy((char *)sgt->ents[0].cpu_addr + PAGE, "dma", 4);
	assert_int_equal(pread(dma_buf_get_memfd(buf), check, 4, PAGE), 4);
	assert_string_equal(check, "dma");
	assert_int_equal(dma_buf_vmap(buf, &vaddr), 0);
	assert_ptr_equal(vaddr, sgt->ents[0].cpu_addr);
	assert_int_equal(dma_buf_vunmap(buf, vaddr), 0);

	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_unmap_attachment(att, sgt, DMA_BIDIRECTIONAL), 0);
	assert_int_equal(resv_unlock(&buf->resv), 0);
	assert_int_equal(dma_buf_detach(att), 0);
	dma_buf_unref(buf);
	system_teardown(heap);
}

static void system_exporter_is_named_system(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, PAGE, O_RDWR);

	assert_string_equal(heap->name, "system");
	assert_string_equal(buf->exp_name, "system");
	dma_buf_unref(buf);
	system_teardown(heap);
}

static void system_register_twice_is_eexist(void **state)
{
	struct heap *heap = system_setup(0);

	assert_int_equal(heap_system_register(0), -EEXIST);
	system_teardown(heap);
	assert_int_equal(heap_system_unregister(), -ENOENT);
	assert_null(heap_find(HEAP_SYSTEM_NAME));
}

static void system_heap_outlives_unregister_while_buffers_live(void **state)
{
	const long base_heap = objstat_get(OBJ_HEAP);
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, PAGE, O_RDWR);
	struct heap_usage usage;

	system_teardown(heap);
	assert_null(heap_find(HEAP_SYSTEM_NAME));
	assert_int_equal(objstat_get(OBJ_HEAP) - base_heap, 1);
	/* Registering anew while the old heap lingers works. */
	heap = system_setup(0);
	heap_get_usage(heap, &usage);
	assert_int_equal(usage.buffers, 0);
	assert_int_equal(objstat_get(OBJ_HEAP) - base_heap, 2);
	system_teardown(heap);

	dma_buf_unref(buf);
	assert_int_equal(objstat_get(OBJ_HEAP) - base_heap, 0);
}

/* Lingering: a released buffer whose memfd was reopened for a client. */

static void open_memfd_gives_a_new_file_of_the_same_memory(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, PAGE, O_RDWR);
	int memfd = dma_buf_get_memfd(buf);
	int rw = dma_buf_open_memfd(buf, O_RDWR);
	int ro = dma_buf_open_memfd(buf, O_RDONLY);
	struct stat a, b;

	assert_true(buf->memfd_opened);
	assert_true(rw >= 0 && ro >= 0);
	assert_int_equal(fcntl(rw, F_GETFL) & O_ACCMODE, O_RDWR);
	assert_int_equal(fcntl(ro, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_int_equal(fcntl(rw, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fstat(memfd, &a), 0);
	assert_int_equal(fstat(rw, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	/* Not a dup: its own file offset. */
	assert_int_equal(lseek(rw, 10, SEEK_SET), 10);
	assert_int_equal(lseek(memfd, 0, SEEK_CUR), 0);
	assert_int_equal(write(ro, "x", 1), -1);
	close(rw);
	close(ro);
	dma_buf_unref(buf);
	system_teardown(heap);
}

static void open_memfd_with_another_mode_is_einval(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, PAGE, O_RDWR);

	assert_int_equal(dma_buf_open_memfd(buf, O_WRONLY), -EINVAL);
	assert_int_equal(dma_buf_open_memfd(NULL, O_RDONLY), -EINVAL);
	assert_false(buf->memfd_opened);
	dma_buf_unref(buf);
	system_teardown(heap);
}

static void release_of_a_never_mapped_buffer_skips_the_linger_hook(void **state)
{
	struct fake_linger fl = { 0 };
	struct heap *heap = system_setup(0);
	struct heap_usage usage;

	heap_set_linger(fake_linger, &fl);
	dma_buf_unref(system_alloc(heap, PAGE, O_RDWR));
	heap_set_linger(NULL, NULL);
	assert_int_equal(fl.calls, 0);
	heap_get_usage(heap, &usage);
	assert_int_equal(usage.bytes, 0);
	system_teardown(heap);
}

static void release_of_a_mapped_buffer_without_a_hook_frees_it(void **state)
{
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, PAGE, O_RDWR);
	int fd = dma_buf_open_memfd(buf, O_RDWR);
	struct heap_usage usage;
	uint64_t n = 1;

	assert_true(fd >= 0);
	dma_buf_unref(buf);
	heap_get_usage(heap, &usage);
	assert_int_equal(usage.bytes, 0);
	heap_lingering(&n, NULL);
	assert_int_equal(n, 0);
	close(fd);
	system_teardown(heap);
}

static void release_of_a_mapped_buffer_lingers_still_charged(void **state)
{
	struct fake_linger fl = { 0 };
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, 3 * PAGE, O_RDWR);
	int fd = dma_buf_open_memfd(buf, O_RDONLY);
	struct heap_usage usage;
	uint64_t n, bytes;
	struct stat st;

	assert_true(fd >= 0);
	heap_set_linger(fake_linger, &fl);
	dma_buf_unref(buf);
	heap_set_linger(NULL, NULL);
	assert_int_equal(fl.calls, 1);
	assert_int_equal(fl.hl->size, 3 * PAGE);
	assert_int_equal(fstat(fl.hl->memfd, &st), 0);
	assert_int_equal(st.st_size, 3 * PAGE);
	heap_get_usage(heap, &usage);
	assert_int_equal(usage.bytes, 3 * PAGE);
	assert_int_equal(usage.buffers, 1);
	heap_lingering(&n, &bytes);
	assert_int_equal(n, 1);
	assert_int_equal(bytes, 3 * PAGE);

	heap_linger_free(fl.hl);
	heap_get_usage(heap, &usage);
	assert_int_equal(usage.bytes, 0);
	assert_int_equal(usage.buffers, 0);
	heap_lingering(&n, &bytes);
	assert_int_equal(n, 0);
	assert_int_equal(bytes, 0);
	close(fd);
	system_teardown(heap);
}

static void lingering_buffer_counts_against_the_limit(void **state)
{
	struct fake_linger fl = { 0 };
	struct heap *heap = system_setup(2 * PAGE);
	struct dma_buf *buf = system_alloc(heap, 2 * PAGE, O_RDWR);
	struct dma_buf *more = NULL;
	int fd = dma_buf_open_memfd(buf, O_RDWR);

	assert_true(fd >= 0);
	heap_set_linger(fake_linger, &fl);
	dma_buf_unref(buf);
	heap_set_linger(NULL, NULL);
	assert_int_equal(heap_alloc(heap, NULL, PAGE, O_RDWR, 0, &more), -ENOMEM);
	heap_linger_free(fl.hl);
	more = system_alloc(heap, PAGE, O_RDWR);
	dma_buf_unref(more);
	close(fd);
	system_teardown(heap);
}

static void system_heap_outlives_unregister_while_a_buffer_lingers(void **state)
{
	const long heaps = objstat_get(OBJ_HEAP);
	struct fake_linger fl = { 0 };
	struct heap *heap = system_setup(0);
	struct dma_buf *buf = system_alloc(heap, PAGE, O_RDWR);
	int fd = dma_buf_open_memfd(buf, O_RDWR);

	assert_true(fd >= 0);
	heap_set_linger(fake_linger, &fl);
	dma_buf_unref(buf);
	heap_set_linger(NULL, NULL);
	system_teardown(heap);
	assert_int_equal(objstat_get(OBJ_HEAP), heaps + 1);
	heap_linger_free(fl.hl);
	assert_int_equal(objstat_get(OBJ_HEAP), heaps);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		model_test(add_rejects_bad_names_with_einval),
		model_test(add_accepts_31_char_name),
		model_test(add_duplicate_is_eexist),
		model_test(add_without_allocate_op_is_einval),
		model_test(find_returns_reference_and_remove_hides_heap),
		model_test(foreach_visits_registered_heaps_in_order),
		model_test(alloc_validation_happens_before_the_heap),
		model_test(alloc_passes_page_aligned_len_to_heap),
		model_test(alloc_accepts_rdwr_cloexec),
		model_test(alloc_rejects_bad_fd_flags_with_einval),
		model_test(alloc_rejects_heap_flags_with_einval),
		model_test(alloc_rejects_len_zero_with_einval),
		model_test(alloc_rejects_len_that_wraps_with_einval),
		model_test(alloc_rounds_len_up_to_page),
		model_test(alloc_access_mode_from_fd_flags),
		model_test(system_memory_is_zeroed),
		model_test(system_limit_is_enomem_with_nothing_left),
		model_test(system_impossible_size_is_enomem),
		model_test(system_memfd_is_sealed),
		model_test(system_memfd_inode_is_private_to_the_daemon),
		model_test(system_memfd_is_cloexec_and_writable),
		model_test(system_usage_accounting_returns_to_zero),
		model_test(system_leaks_no_fd),
		model_test(buffers_never_mapped_take_no_fd),
		model_test(arena_pages_are_reserved_at_alloc_and_given_back_at_release),
		model_test(first_map_moves_the_buffer_out_of_its_arena),
		model_test(first_attach_moves_the_buffer_out_of_its_arena),
		model_test(bytes_dma_wrote_are_in_the_first_cpu_map),
		model_test(later_maps_share_memory_with_the_first),
		model_test(released_mapped_buffer_from_an_arena_lingers),
		model_test(one_buffers_bytes_never_show_in_anothers_map),
		model_test(full_arena_starts_another_and_closes_with_its_last_buffer),
		model_test(first_map_past_the_fd_reserve_is_emfile_and_can_be_retried),
		model_test(system_map_gives_one_entry_over_the_memory),
		model_test(system_exporter_is_named_system),
		model_test(system_register_twice_is_eexist),
		model_test(system_heap_outlives_unregister_while_buffers_live),
		model_test(open_memfd_gives_a_new_file_of_the_same_memory),
		model_test(open_memfd_with_another_mode_is_einval),
		model_test(release_of_a_never_mapped_buffer_skips_the_linger_hook),
		model_test(release_of_a_mapped_buffer_without_a_hook_frees_it),
		model_test(release_of_a_mapped_buffer_lingers_still_charged),
		model_test(lingering_buffer_counts_against_the_limit),
		model_test(system_heap_outlives_unregister_while_a_buffer_lingers),
	};

	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
