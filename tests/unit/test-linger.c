/* SPDX-License-Identifier: MIT */
/*
 * daemon/linger.c on a real libuv loop and the real system heap: a
 * released buffer still mapped stays charged and is freed once its last
 * mapping goes, noticed through inotify or, without it, the sweep;
 * linger_stop() frees whatever still lingers and leaves no handle open.
 * With the STM32 backend built, the same for the contiguous heap's bounce
 * memfd on the simulator's region: the region is free at once, the
 * bounce stays charged to its owner until its holder lets go.
 * Waits run the loop and are bounded (WAIT_MS); they assert what happens,
 * not how fast.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include "linger.h"
#include "model/dma_buf.h"
#include "model/heap.h"
#include "model/heap_system.h"
#include "model/objstat.h"
#ifdef LINGER_TEST_STM32
#include "model/acct.h"
#include "stm32-sim.h"
#include "stm32_heap.h"
#endif

#define PAGE 4096u
#define WAIT_MS 10000

struct fixture {
	uv_loop_t loop;
	struct heap *heap;
};

static int setup_with(void **state, unsigned flags)
{
	static struct fixture f;

	assert_int_equal(uv_loop_init(&f.loop), 0);
	assert_int_equal(heap_system_register(0), 0);
	f.heap = heap_find(HEAP_SYSTEM_NAME);
	assert_int_equal(linger_start(&f.loop, flags), 0);
	assert_true(linger_active());
	*state = &f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 0);
}

static int setup_no_inotify(void **state)
{
	return setup_with(state, LINGER_NO_INOTIFY);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	linger_stop();
	heap_unref(f->heap);
	assert_int_equal(heap_system_unregister(), 0);
	uv_run(&f->loop, UV_RUN_NOWAIT); /* the close callbacks */
	assert_int_equal(uv_loop_close(&f->loop), 0);
	assert_int_equal(objstat_get(OBJ_DMA_BUF), 0);
	assert_int_equal(objstat_get(OBJ_HEAP), 0);
	return 0;
}

static uint64_t heap_bytes(struct fixture *f)
{
	struct heap_usage u;

	heap_get_usage(f->heap, &u);
	return u.bytes;
}

static uint64_t lingering(void)
{
	uint64_t n;

	heap_lingering(&n, NULL);
	return n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the loop until nothing lingers (WAIT_MS at most). */
static void run_until_nothing_lingers(struct fixture *f)
{
	int64_t deadline = now_ms() + WAIT_MS;

	while (lingering() && now_ms() < deadline) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		usleep(2000);
	}
	assert_int_equal(lingering(), 0);
}

/* A released buffer of @len bytes of which a client kept a mapping of a
 * @accmode file (closed): returns the mapping. */
static void *released_but_mapped(struct fixture *f, uint64_t len, int accmode)
{
	struct dma_buf *buf = NULL;
	int fd;
	void *addr;

	assert_int_equal(heap_alloc(f->heap, NULL, len, O_RDWR, 0, &buf), 0);
	fd = dma_buf_open_memfd(buf, accmode);
	assert_true(fd >= 0);
	addr = mmap(NULL, len, PROT_READ | (accmode == O_RDWR ? PROT_WRITE : 0),
		    MAP_SHARED, fd, 0);
	assert_true(addr != MAP_FAILED);
	close(fd);
	dma_buf_unref(buf);
	return addr;
}

static void check_freed_after_the_last_mapping(struct fixture *f)
{
	uint64_t base = heap_bytes(f);
	char *a = released_but_mapped(f, 2 * PAGE, O_RDWR);
	char *b = released_but_mapped(f, PAGE, O_RDONLY);

	assert_int_equal(lingering(), 2);
	assert_int_equal(heap_bytes(f), base + 3 * PAGE);
	strcpy(a, "kept");
	/* The loop runs (events, sweeps): nothing goes while mapped. */
	for (int i = 0; i < 50; i++) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	assert_int_equal(lingering(), 2);
	munmap(a, 2 * PAGE);
	munmap(b, PAGE);
	run_until_nothing_lingers(f);
	assert_int_equal(heap_bytes(f), base);
}

static void mapped_buffer_is_freed_after_its_last_mapping(void **state)
{
	check_freed_after_the_last_mapping(*state);
}

static void without_inotify_the_sweep_frees_it(void **state)
{
	check_freed_after_the_last_mapping(*state);
}

static void buffer_unmapped_before_release_is_freed_at_once(void **state)
{
	struct fixture *f = *state;
	uint64_t base = heap_bytes(f);
	void *a = released_but_mapped(f, PAGE, O_RDWR);
	struct dma_buf *buf = NULL;
	int fd;

	munmap(a, PAGE);
	run_until_nothing_lingers(f);
	/* Mapped and unmapped again before the release: no wait at all. */
	assert_int_equal(heap_alloc(f->heap, NULL, PAGE, O_RDWR, 0, &buf), 0);
	fd = dma_buf_open_memfd(buf, O_RDWR);
	assert_true(fd >= 0);
	close(fd);
	dma_buf_unref(buf);
	assert_int_equal(lingering(), 0);
	assert_int_equal(heap_bytes(f), base);
}

static void stop_frees_every_lingering_buffer(void **state)
{
	struct fixture *f = *state;
	uint64_t base = heap_bytes(f);
	char *a = released_but_mapped(f, PAGE, O_RDWR);
	char *b = released_but_mapped(f, PAGE, O_RDWR);
	struct dma_buf *buf = NULL;
	int fd;

	assert_int_equal(lingering(), 2);
	linger_stop();
	assert_false(linger_active());
	assert_int_equal(lingering(), 0);
	assert_int_equal(heap_bytes(f), base);
	/* The memory stays the clients' until they unmap it. */
	strcpy(a, "still here");
	assert_string_equal(a, "still here");
	/* With the hook gone, a release frees at once. */
	assert_int_equal(heap_alloc(f->heap, NULL, PAGE, O_RDWR, 0, &buf), 0);
	fd = dma_buf_open_memfd(buf, O_RDWR);
	assert_true(fd >= 0);
	dma_buf_unref(buf);
	assert_int_equal(lingering(), 0);
	assert_int_equal(heap_bytes(f), base);
	close(fd);
	munmap(a, PAGE);
	munmap(b, PAGE);
}

#ifdef LINGER_TEST_STM32
#define STM32_POOL (1u << 20)
#define USER 1000u

struct stm32_fixture {
	struct stm32_sim *sim;
	struct stm32_heap *contig;
	struct acct *acct;
};

static void stm32_up(struct stm32_fixture *s)
{
	struct stm32_heap_config cfg;

	assert_int_equal(stm32_sim_new(STM32_POOL, &s->sim), 0);
	stm32_heap_config_default(&cfg);
	cfg.env = stm32_sim_env(s->sim);
	assert_int_equal(stm32_heap_create(&cfg, &s->contig), 0);
	assert_int_equal(acct_get(USER, &s->acct), 0);
}

static void stm32_down(struct stm32_fixture *s)
{
	stm32_heap_destroy(s->contig);
	stm32_sim_free(s->sim);
	acct_unref(s->acct);
	assert_int_equal(acct_count(), 0);
}

static uint64_t stm32_heap_bytes(struct stm32_fixture *s)
{
	struct heap_usage u;

	heap_get_usage(stm32_heap_heap(s->contig), &u);
	return u.bytes;
}

/* A released buffer of the whole region whose bounce a client holds:
 * returns the client's file of it. */
static int released_but_bounce_held(struct stm32_fixture *s)
{
	struct dma_buf *buf = NULL;
	int fd;

	assert_int_equal(heap_alloc(stm32_heap_heap(s->contig), s->acct,
				    STM32_POOL, O_RDWR, 0, &buf), 0);
	fd = dma_buf_open_memfd(buf, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(s->acct->used[ACCT_BYTES], 2 * STM32_POOL);
	dma_buf_unref(buf);
	return fd;
}

static void held_bounce_lingers_until_its_holder_closes_it(void **state)
{
	struct fixture *f = *state;
	struct stm32_fixture s;
	struct dma_buf *again = NULL;
	int fd;

	stm32_up(&s);
	fd = released_but_bounce_held(&s);
	assert_int_equal(lingering(), 1);
	assert_int_equal(s.acct->used[ACCT_BYTES], STM32_POOL);
	/* The region is free, and reusable, at once. */
	assert_int_equal(stm32_heap_bytes(&s), 0);
	assert_int_equal(heap_alloc(stm32_heap_heap(s.contig), s.acct,
				    STM32_POOL, O_RDWR, 0, &again), 0);
	dma_buf_unref(again);
	/* The loop runs (sweeps): nothing goes while the file is held. */
	for (int i = 0; i < 50; i++) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	assert_int_equal(lingering(), 1);
	assert_int_equal(s.acct->used[ACCT_BYTES], STM32_POOL);
	close(fd);
	run_until_nothing_lingers(f);
	assert_int_equal(s.acct->used[ACCT_BYTES], 0);
	stm32_down(&s);
}

static void stop_frees_a_lingering_bounce(void **state)
{
	struct stm32_fixture s;
	char *m;
	int fd;

	stm32_up(&s);
	fd = released_but_bounce_held(&s);
	m = mmap(NULL, STM32_POOL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	close(fd);
	assert_int_equal(lingering(), 1);
	/* The heap goes first, as at the daemon's stop: the bounce does
	 * not need it. */
	stm32_heap_destroy(s.contig);
	s.contig = NULL;
	linger_stop();
	assert_int_equal(lingering(), 0);
	assert_int_equal(s.acct->used[ACCT_BYTES], 0);
	/* The memory stays the client's until it unmaps it. */
	strcpy(m, "still here");
	assert_string_equal(m, "still here");
	munmap(m, STM32_POOL);
	stm32_down(&s);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(mapped_buffer_is_freed_after_its_last_mapping,
						setup, teardown),
		cmocka_unit_test_setup_teardown(without_inotify_the_sweep_frees_it,
						setup_no_inotify, teardown),
		cmocka_unit_test_setup_teardown(buffer_unmapped_before_release_is_freed_at_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(stop_frees_every_lingering_buffer,
						setup, teardown),
#ifdef LINGER_TEST_STM32
		cmocka_unit_test_setup_teardown(held_bounce_lingers_until_its_holder_closes_it,
						setup, teardown),
		cmocka_unit_test_setup_teardown(stop_frees_a_lingering_bounce,
						setup, teardown),
#endif
	};

	return cmocka_run_group_tests_name("linger", tests, NULL, NULL);
}
