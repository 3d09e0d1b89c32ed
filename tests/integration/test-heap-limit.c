/* SPDX-License-Identifier: MIT */
/*
 * Integration: the system heap's limit (--heap-limit, test-heap-limit.args)
 * against memory a client still maps, or holds the mapping's file of, after
 * its buffer is released: that memory is the heap's until the last such
 * file is gone, so the limit keeps refusing allocations past it. Own
 * daemon, as the limit would get in the way of the other heap tests.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "itest.h"

/* What is left under the limit, split in a part that takes three
 * quarters and one that takes half: they do not both fit. */
static void limit_parts(const struct dmabufd_ctl_heap *h, size_t *ret_big,
			size_t *ret_more)
{
	if (h->limit_bytes == 0)
		skip(); /* a daemon started without --heap-limit */
	assert_true(h->limit_bytes > h->bytes);
	*ret_big = (size_t)(h->limit_bytes - h->bytes) / 4 * 3 / PAGE * PAGE;
	*ret_more = (size_t)(h->limit_bytes - h->bytes) / 2 / PAGE * PAGE;
}

static void limit_counts_a_released_buffer_still_mapped(void **state)
{
	struct dmabufd_ctl_heap h = system_heap_usage();
	int64_t bufs = stat_of(DMABUFD_STAT_DMA_BUFS);
	size_t big, more, l;
	void *p;
	int fd;

	limit_parts(&h, &big, &more);
	fd = buf_new(big, O_RDWR | O_CLOEXEC);
	assert_ok(dmabufd_buf_mmap(fd, PROT_READ | PROT_WRITE, &p, &l));
	close_and_await_release(fd, bufs);
	assert_lingering(h.bytes + big, big);
	assert_errno(dmabufd_alloc("system", more, O_RDWR | O_CLOEXEC), ENOMEM);
	assert_ok(dmabufd_buf_munmap(p, l));
	assert_nothing_lingers(h.bytes);
	fd = buf_new(more, O_RDWR | O_CLOEXEC);
	close(fd);
}

static void limit_counts_a_released_buffer_whose_map_fd_is_open(void **state)
{
	struct dmabufd_ctl_heap h = system_heap_usage();
	int64_t bufs = stat_of(DMABUFD_STAT_DMA_BUFS);
	size_t big, more;
	int fd, memfd;

	limit_parts(&h, &big, &more);
	fd = buf_new(big, O_RDONLY | O_CLOEXEC);
	memfd = ctl_map_raw(fd);
	close_and_await_release(fd, bufs);
	assert_lingering(h.bytes + big, big);
	assert_errno(dmabufd_alloc("system", more, O_RDWR | O_CLOEXEC), ENOMEM);
	close(memfd);
	assert_nothing_lingers(h.bytes);
	fd = buf_new(more, O_RDWR | O_CLOEXEC);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(limit_counts_a_released_buffer_still_mapped),
		itest(limit_counts_a_released_buffer_whose_map_fd_is_open),
	};

	return cmocka_run_group_tests_name("heap-limit", tests, NULL, NULL);
}
