/* SPDX-License-Identifier: MIT */
/*
 * Live buffers are not capped by the daemon's descriptors: its own daemon
 * runs with a hard RLIMIT_NOFILE of 512 (test-heap-fd-limit.nofile, run.sh
 * starts it under prlimit), of which a buffer's memfd may take at most
 * the first 256. Buffers nobody maps live in the system heap's arenas and
 * take none; mapped ones take one each.
 */
#include "itest.h"

#include <sys/mman.h>

#define CAP_MEMCPY DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY)
/* Far more than the daemon's 512 descriptors could back one memfd each. */
#define LIVE 2000
/* Mapped: one in EVERY, comfortably below the 256 memfds it may hold. */
#define EVERY 20

static int bufs[LIVE];

static uint8_t *map(int buf)
{
	void *p;
	size_t len;

	assert_ok(dmabufd_buf_mmap(buf, PROT_READ | PROT_WRITE, &p, &len));
	assert_int_equal(len, PAGE);
	return p;
}

static void more_live_buffers_than_the_daemon_has_descriptors(void **state)
{
	const int64_t base_bufs = stat_of(DMABUFD_STAT_DMA_BUFS);
	const uint64_t base_bytes = system_heap_usage().bytes;
	struct dmabufd_dma_buf_info info;

	/* This process holds them all (the VM's init leaves 1024 fds). */
	raise_nofile(LIVE + 256);

	for (int i = 0; i < LIVE; i++) {
		bufs[i] = dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC);
		if (bufs[i] < 0)
			fail_msg("buffer %d: %s", i, strerror(-bufs[i]));
	}
	assert_int_equal(stat_of(DMABUFD_STAT_DMA_BUFS), base_bufs + LIVE);
	assert_int_equal(system_heap_usage().bytes, base_bytes + (uint64_t)LIVE * PAGE);

	/* Every one of them answers, and some are mapped and written. */
	for (int i = 0; i < LIVE; i++) {
		assert_ok(dmabufd_buf_info(bufs[i], &info));
		assert_int_equal(info.size, PAGE);
	}
	for (int i = 0; i < LIVE; i += EVERY) {
		uint8_t *p = map(bufs[i]);

		for (unsigned j = 0; j < PAGE; j++)
			if (p[j])
				fail_msg("buffer %d byte %u is %#x", i, j, p[j]);
		memcpy(p, &i, sizeof(i));
		assert_ok(dmabufd_buf_munmap(p, PAGE));
	}
	/* A later mapping shows what the first one wrote. */
	for (int i = 0; i < LIVE; i += EVERY) {
		uint8_t *p = map(bufs[i]);
		int got;

		memcpy(&got, p, sizeof(got));
		assert_int_equal(got, i);
		assert_ok(dmabufd_buf_munmap(p, PAGE));
	}

	for (int i = 0; i < LIVE; i++)
		close(bufs[i]);
	await_stat(DMABUFD_STAT_DMA_BUFS, base_bufs);
	await_heap_bytes(base_bytes);
}

static void dma_reaches_a_buffer_that_was_never_mapped(void **state)
{
	const int64_t base_bufs = stat_of(DMABUFD_STAT_DMA_BUFS);
	int chan = dmabufd_dma_request_chan_by_cap(CAP_MEMCPY, 0, NULL);
	int src, dst, src_id, dst_id;
	int32_t cookie;
	uint8_t *p;

	assert_ok(chan);
	/* Among many that stay in the arena. */
	for (int i = 0; i < LIVE; i++) {
		bufs[i] = dmabufd_alloc("system", PAGE, O_RDWR | O_CLOEXEC);
		assert_ok(bufs[i]);
	}
	src = bufs[LIVE / 3];
	dst = bufs[2 * LIVE / 3];
	p = map(src);
	memset(p, 0x6b, PAGE);
	assert_ok(dmabufd_buf_munmap(p, PAGE));

	src_id = dmabufd_dma_attach(chan, src, NULL);
	dst_id = dmabufd_dma_attach(chan, dst, NULL);
	assert_ok(src_id);
	assert_ok(dst_id);
	cookie = dmabufd_dma_memcpy(chan, (uint32_t)dst_id, 0, (uint32_t)src_id, 0,
				    PAGE, 0);
	assert_ok(cookie);
	assert_int_equal(dmabufd_dma_wait(chan, cookie, 10000), 0);

	/* The engine's bytes are in dst's first CPU mapping. */
	p = map(dst);
	for (unsigned j = 0; j < PAGE; j++)
		if (p[j] != 0x6b)
			fail_msg("dst byte %u is %#x", j, p[j]);
	assert_ok(dmabufd_buf_munmap(p, PAGE));

	close(chan);
	for (int i = 0; i < LIVE; i++)
		close(bufs[i]);
	await_stat(DMABUFD_STAT_DMA_BUFS, base_bufs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(more_live_buffers_than_the_daemon_has_descriptors),
		itest(dma_reaches_a_buffer_that_was_never_mapped),
	};

	return cmocka_run_group_tests_name("heap-fd-limit", tests, NULL, NULL);
}
