/* SPDX-License-Identifier: MIT */
/*
 * The status page of a dmaengine fd: the daemon's writer
 * (daemon/dev/status_page.c) and libdmabufd's reader
 * (libclient/src/status_read.h), through a read-only mapping made the way
 * a client makes it (status_page_open()). The reader's rule is the ABI's
 * (proto/dmabufd/dmaengine.h); the sequence count is checked by a writer
 * thread racing a reader that would see an impossible answer in any torn
 * snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "dev/status_page.h"
#include "status_read.h"

struct mapped {
	struct status_page *st;
	const struct dmabufd_dma_status_page *page;
	size_t len;
	uint32_t generation;
};

static void map_page(struct mapped *m)
{
	void *addr;
	int fd;

	assert_int_equal(status_page_new(&m->st), 0);
	m->len = status_page_size();
	fd = status_page_open(m->st);
	assert_true(fd >= 0);
	addr = mmap(NULL, m->len, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(addr != MAP_FAILED);
	close(fd);
	m->page = addr;
	m->generation = m->page->generation;
	assert_int_not_equal(m->generation, 0);
}

static void unmap_page(struct mapped *m)
{
	munmap((void *)m->page, m->len);
	status_page_unref(m->st);
	assert_int_equal(status_page_count(), 0);
}

static void publish(struct mapped *m, int32_t used, int32_t last, uint32_t flags,
		    const struct dmabufd_dma_status_err *errs, uint32_t nerrs)
{
	struct dmabufd_dma_status_page snap = {
		.used = used, .last = last, .flags = flags, .nerrs = nerrs,
	};

	for (uint32_t i = 0; i < nerrs; i++)
		snap.errs[i] = errs[i];
	status_page_publish(m->st, &snap);
}

static void fresh_page_reads_as_a_fresh_fd(void **state)
{
	struct mapped m;

	map_page(&m);
	assert_int_equal(m.page->used, 1);
	assert_int_equal(m.page->last, 1);
	assert_int_equal(m.page->seq % 2, 0);
	/* Cookie 1 and cookies never handed out read complete. */
	assert_int_equal(status_read(m.page, m.generation, 1), DMABUFD_DMA_COMPLETE);
	assert_int_equal(status_read(m.page, m.generation, 7), DMABUFD_DMA_COMPLETE);
	unmap_page(&m);
}

static void cookies_read_as_dma_cookie_status_with_listed_errors(void **state)
{
	const struct dmabufd_dma_status_err errs[] = { { 4, -EIO }, { 6, -ECANCELED } };
	struct mapped m;

	map_page(&m);
	publish(&m, 9, 6, 0, errs, 2);
	assert_int_equal(status_read(m.page, m.generation, 2), DMABUFD_DMA_COMPLETE);
	assert_int_equal(status_read(m.page, m.generation, 4), DMABUFD_DMA_ERROR);
	assert_int_equal(status_read(m.page, m.generation, 5), DMABUFD_DMA_COMPLETE);
	assert_int_equal(status_read(m.page, m.generation, 6), DMABUFD_DMA_ERROR);
	assert_int_equal(status_read(m.page, m.generation, 7), DMABUFD_DMA_IN_PROGRESS);
	assert_int_equal(status_read(m.page, m.generation, 9), DMABUFD_DMA_IN_PROGRESS);
	assert_int_equal(status_read(m.page, m.generation, 10), DMABUFD_DMA_COMPLETE);
	/* After INT32_MAX comes 1: last > used. */
	publish(&m, 3, INT32_MAX - 1, 0, NULL, 0);
	assert_int_equal(status_read(m.page, m.generation, INT32_MAX - 2), DMABUFD_DMA_COMPLETE);
	assert_int_equal(status_read(m.page, m.generation, INT32_MAX), DMABUFD_DMA_IN_PROGRESS);
	assert_int_equal(status_read(m.page, m.generation, 2), DMABUFD_DMA_IN_PROGRESS);
	assert_int_equal(status_read(m.page, m.generation, 4), DMABUFD_DMA_COMPLETE);
	unmap_page(&m);
}

static void ask_flags_send_the_reader_to_the_ioctl(void **state)
{
	struct mapped m;

	map_page(&m);
	publish(&m, 9, 6, DMABUFD_DMA_STATUS_ASK_LIVE, NULL, 0);
	assert_int_equal(status_read(m.page, m.generation, 7), -EAGAIN);
	assert_int_equal(status_read(m.page, m.generation, 5), DMABUFD_DMA_COMPLETE);
	publish(&m, 9, 6, DMABUFD_DMA_STATUS_ASK_ALL, NULL, 0);
	assert_int_equal(status_read(m.page, m.generation, 5), -EAGAIN);
	unmap_page(&m);
}

static void retired_page_is_stale_and_publishes_nothing(void **state)
{
	struct mapped m;

	map_page(&m);
	publish(&m, 3, 2, 0, NULL, 0);
	status_page_retire(m.st);
	assert_int_equal(m.page->generation, 0);
	assert_int_equal(status_read(m.page, m.generation, 3), -ESTALE);
	publish(&m, 5, 5, 0, NULL, 0);
	assert_int_equal(m.page->used, 3);
	/* A new page has another generation. */
	{
		struct mapped n;

		map_page(&n);
		assert_int_not_equal(n.generation, m.generation);
		assert_int_equal(status_read(n.page, m.generation, 3), -ESTALE);
		munmap((void *)n.page, n.len);
		status_page_unref(n.st);
	}
	unmap_page(&m);
}

static void reader_gives_up_on_a_page_left_mid_write(void **state)
{
	struct dmabufd_dma_status_page page = { .seq = 7, .generation = 1, .used = 1, .last = 1 };

	assert_int_equal(status_read(&page, 1, 2), -EAGAIN);
	page.seq = 8;
	assert_int_equal(status_read(&page, 1, 2), DMABUFD_DMA_COMPLETE);
}

static void clients_open_is_read_only(void **state)
{
	struct status_page *st;
	char byte = 0;
	int fd;

	assert_int_equal(status_page_new(&st), 0);
	fd = status_page_open(st);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_true(mmap(NULL, status_page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
		    MAP_FAILED);
	assert_int_equal(errno, EACCES);
	assert_int_equal(write(fd, &byte, 1), -1);
	assert_int_equal(errno, EBADF);
	/* Sealed: the size cannot change under a client's mapping. */
	assert_int_equal(fcntl(fd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW),
			 F_SEAL_SHRINK | F_SEAL_GROW);
	close(fd);
	status_page_unref(st);
}

/*
 * The race: every snapshot the writer publishes has used == last (all
 * ended), so no cookie can read in progress; the writer stores used
 * first and last after the error list, so a reader that took used from
 * one snapshot and last from an older one would answer in progress for
 * the newest cookie.
 */
#define RACE_ROUNDS 2000000

struct race {
	struct mapped m;
	atomic_bool stop;
};

static void *race_writer(void *arg)
{
	struct dmabufd_dma_status_err errs[DMABUFD_DMA_STATUS_ERRS];
	struct race *r = arg;

	/* Failures of no cookie a reader asks about: a long section. */
	for (unsigned i = 0; i < DMABUFD_DMA_STATUS_ERRS; i++)
		errs[i] = (struct dmabufd_dma_status_err){ .cookie = -1, .error = -EIO };
	for (int32_t k = 2; !atomic_load(&r->stop); k = k == INT32_MAX ? 2 : k + 1)
		publish(&r->m, k, k, 0, errs, DMABUFD_DMA_STATUS_ERRS);
	return NULL;
}

static void reader_never_sees_a_torn_snapshot(void **state)
{
	struct race r = { .stop = false };
	unsigned answered = 0, in_progress = 0;
	pthread_t writer;

	map_page(&r.m);
	assert_int_equal(pthread_create(&writer, NULL, race_writer, &r), 0);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		/* The newest cookie, or the one the writer is about to store. */
		int32_t cookie = STATUS_LOAD(r.m.page->used) + (i & 1);
		int s = status_read(r.m.page, r.m.generation, cookie < 1 ? 1 : cookie);

		if (s >= 0)
			answered++;
		if (s == DMABUFD_DMA_IN_PROGRESS)
			in_progress++;
	}
	atomic_store(&r.stop, true);
	pthread_join(writer, NULL);
	assert_int_equal(in_progress, 0);
	assert_true(answered > 0);
	unmap_page(&r.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_page_reads_as_a_fresh_fd),
		cmocka_unit_test(cookies_read_as_dma_cookie_status_with_listed_errors),
		cmocka_unit_test(ask_flags_send_the_reader_to_the_ioctl),
		cmocka_unit_test(retired_page_is_stale_and_publishes_nothing),
		cmocka_unit_test(reader_gives_up_on_a_page_left_mid_write),
		cmocka_unit_test(clients_open_is_read_only),
		cmocka_unit_test(reader_never_sees_a_torn_snapshot),
	};

	return cmocka_run_group_tests_name("status-page", tests, NULL, NULL);
}
