/* SPDX-License-Identifier: MIT */
/*
 * The contiguous heap (backend/stm32-uio/stm32_heap.c) and its allocator
 * (stm32_pool.c), on the simulator's reserved-memory UIO device; the
 * bounce memfd's charge to the owner and its lingering after release
 * (with a fake linger hook: daemon/linger.c's own tests run it for real).
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/acct.h"
#include "model/dma_buf.h"
#include "model/heap.h"
#include "stm32-sim.h"
#include "stm32_heap.h"
#include "stm32_pool.h"
#include "util/log.h"

/* ------------------------------------------------------------------ */
/* The allocator */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void pool_best_fit_and_coalescing(void **state)
{
	struct stm32_pool pool;
	struct stm32_pool_stats st;
	uint64_t a, b, c, d;

	assert_int_equal(stm32_pool_init(&pool, 64 * 4096, 4096), 0);
	assert_int_equal(stm32_pool_alloc(&pool, 4096, &a), 0);
	assert_int_equal(stm32_pool_alloc(&pool, 3 * 4096, &b), 0);
	assert_int_equal(stm32_pool_alloc(&pool, 1, &c), 0);	/* rounded to a page */
	assert_int_equal(stm32_pool_alloc(&pool, 4096, &d), 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 4096);
	assert_int_equal(c, 4 * 4096);
	assert_int_equal(d, 5 * 4096);
	/* Free b (3 pages) and d's neighbour c: best fit takes the smaller. */
	assert_int_equal(stm32_pool_free(&pool, b), 0);
	assert_int_equal(stm32_pool_free(&pool, c), 0);
	assert_int_equal(stm32_pool_free(&pool, c), -EINVAL);	/* twice */
	assert_int_equal(stm32_pool_free(&pool, 12345), -EINVAL);
	stm32_pool_get_stats(&pool, &st);
	assert_int_equal(st.nr_free, 2);	/* b+c merged; the tail */
	assert_int_equal(stm32_pool_alloc(&pool, 4096, &b), 0);
	assert_int_equal(b, 4096);		/* the 4-page hole, not the tail */
	assert_int_equal(stm32_pool_alloc(&pool, 100 * 4096, &c), -ENOMEM);
	assert_int_equal(stm32_pool_alloc(&pool, 0, &c), -EINVAL);
	stm32_pool_free(&pool, a);
	stm32_pool_free(&pool, b);
	stm32_pool_free(&pool, d);
	stm32_pool_get_stats(&pool, &st);
	assert_int_equal(st.nr_free, 1);
	assert_int_equal(st.largest_free, 64 * 4096);
	stm32_pool_fini(&pool);
}

/*
 * Random churn: sizes from 1 to 64 pages (skewed small), the pool kept
 * around half full. Measured: the largest free block over the free bytes
 * (1 = no fragmentation) never drops below a bound, and freeing everything
 * leaves a single block.
 */
static void pool_churn_keeps_fragmentation_bounded(void **state)
{
	const uint64_t page = 4096, pages = 2048; /* 8 MiB */
	struct stm32_pool pool;
	struct stm32_pool_stats st;
	uint64_t *offs = calloc(4096, sizeof(*offs));
	unsigned n = 0, fails = 0;
	double worst = 1.0, sum = 0;
	unsigned samples = 0;

	assert_non_null(offs);
	assert_int_equal(stm32_pool_init(&pool, pages * page, page), 0);
	for (unsigned i = 0; i < 200000; i++) {
		stm32_pool_get_stats(&pool, &st);
		if (n && (st.free_bytes < st.size / 2 || rng() % 2)) {
			unsigned k = (unsigned)(rng() % n);

			assert_int_equal(stm32_pool_free(&pool, offs[k]), 0);
			offs[k] = offs[--n];
		} else {
			uint64_t r = rng() % 100, len;

			len = r < 70 ? 1 + rng() % 4 : r < 95 ? 1 + rng() % 16 : 1 + rng() % 64;
			if (stm32_pool_alloc(&pool, len * page, &offs[n]) == 0)
				n++;
			else
				fails++;
		}
		if (i > 10000 && i % 100 == 0) {
			double ratio;

			stm32_pool_get_stats(&pool, &st);
			ratio = (double)st.largest_free / (double)st.free_bytes;
			sum += ratio;
			samples++;
			if (ratio < worst)
				worst = ratio;
		}
	}
	print_message("stm32_pool churn: largest free / free bytes: worst %.3f, mean %.3f "
		      "over %u samples; %u allocations refused\n",
		      worst, sum / samples, samples, fails);
	assert_true(worst >= 0.25);
	assert_true(sum / samples >= 0.5);
	while (n)
		assert_int_equal(stm32_pool_free(&pool, offs[--n]), 0);
	stm32_pool_get_stats(&pool, &st);
	assert_int_equal(st.nr_free, 1);
	assert_int_equal(st.nr_used, 0);
	assert_int_equal(st.largest_free, pages * page);
	stm32_pool_fini(&pool);
	free(offs);
}

/* ------------------------------------------------------------------ */
/* The heap */

static struct stm32_sim *sim;
static struct stm32_heap *contig;

static int heap_setup(void **state)
{
	struct stm32_heap_config cfg;

	fake_clock_setup(state);
	if (stm32_sim_new(1u << 20, &sim) < 0)
		return -1;
	stm32_heap_config_default(&cfg);
	cfg.env = stm32_sim_env(sim);
	return stm32_heap_create(&cfg, &contig) < 0 ? -1 : 0;
}

static int heap_teardown(void **state)
{
	stm32_heap_destroy(contig);
	contig = NULL;
	stm32_sim_free(sim);
	sim = NULL;
	return leak_check_teardown(state);
}

static struct dma_buf *alloc_buf(size_t size)
{
	struct dma_buf *buf = NULL;

	assert_int_equal(heap_alloc(stm32_heap_heap(contig), NULL, size, O_RDWR, 0, &buf), 0);
	return buf;
}

static uint64_t buf_phys(struct dma_buf *buf)
{
	struct dma_buf_attachment *att;
	struct dma_buf_sgt *sgt;
	uint64_t phys;

	assert_int_equal(dma_buf_attach(buf, NULL, &att), 0);
	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_map_attachment(att, DMA_BIDIRECTIONAL, &sgt), 0);
	assert_int_equal(sgt->nents, 1);
	assert_int_equal(sgt->ents[0].length, buf->size);
	phys = sgt->ents[0].dma_addr;
	/* cpu_addr is the daemon's mapping of the bytes the DMA sees. */
	{
		volatile unsigned char *cpu = sgt->ents[0].cpu_addr;
		unsigned char *bus = stm32_sim_phys(sim, phys, buf->size);

		assert_non_null(bus);
		cpu[1] = 0x5a;
		assert_int_equal(bus[1], 0x5a);
		bus[1] = 0;
		assert_int_equal(cpu[1], 0);
	}
	assert_int_equal(dma_buf_unmap_attachment(att, sgt, DMA_BIDIRECTIONAL), 0);
	assert_int_equal(resv_unlock(&buf->resv), 0);
	assert_int_equal(dma_buf_detach(att), 0);
	return phys;
}

static void heap_buffers_are_physical_zeroed_and_disjoint(void **state)
{
	struct dma_buf *a = alloc_buf(10000), *b = alloc_buf(4096);
	unsigned char *pa, *pb;
	uint64_t fa = buf_phys(a), fb = buf_phys(b);

	assert_int_equal(stm32_heap_phys_base(contig), STM32_SIM_POOL_BASE);
	assert_int_equal(a->size, 12288);
	assert_true(fa >= STM32_SIM_POOL_BASE && fa + a->size <= STM32_SIM_POOL_BASE + (1u << 20));
	assert_true(fb >= fa + a->size || fb + b->size <= fa);
	assert_int_equal(dma_buf_vmap(a, (void **)&pa), 0);
	for (size_t i = 0; i < a->size; i++)
		assert_int_equal(pa[i], 0);
	memset(pa, 0xAB, a->size);
	assert_int_equal(dma_buf_vunmap(a, pa), 0);
	dma_buf_unref(a);
	/* Reused memory comes back zeroed. */
	a = alloc_buf(12288);
	assert_int_equal(dma_buf_vmap(a, (void **)&pa), 0);
	assert_int_equal(dma_buf_vmap(b, (void **)&pb), 0);
	for (size_t i = 0; i < a->size; i++)
		assert_int_equal(pa[i], 0);
	assert_int_equal(dma_buf_vunmap(a, pa), 0);
	assert_int_equal(dma_buf_vunmap(b, pb), 0);
	dma_buf_unref(a);
	dma_buf_unref(b);
}

static void heap_runs_out_with_enomem(void **state)
{
	struct dma_buf *a = alloc_buf(1u << 19), *b = NULL;

	assert_int_equal(heap_alloc(stm32_heap_heap(contig), NULL, (1u << 19) + 4096, O_RDWR, 0, &b),
			 -ENOMEM);
	assert_null(b);
	dma_buf_unref(a);
	a = alloc_buf(1u << 20); /* everything, once given back */
	dma_buf_unref(a);
}

/* The CPU view handed to clients: a bounce memfd of exactly one buffer. */
static void memfd_exposes_only_its_buffer(void **state)
{
	struct dma_buf *a = alloc_buf(4096), *b = alloc_buf(8192), *c = alloc_buf(4096);
	unsigned char *pa, *pb, *pc, *m;
	char link[64], target[128];
	struct stat st;
	ssize_t n;
	int fd;

	assert_int_equal(dma_buf_vmap(a, (void **)&pa), 0);
	assert_int_equal(dma_buf_vmap(b, (void **)&pb), 0);
	assert_int_equal(dma_buf_vmap(c, (void **)&pc), 0);
	memset(pa, 0x11, a->size);
	memset(pb, 0x22, b->size);
	memset(pc, 0x33, c->size);

	fd = dma_buf_get_memfd(b);
	assert_true(fd >= 0);
	assert_int_equal(dma_buf_get_memfd(b), fd); /* one per buffer */
	/* A memfd of the buffer's size, not the UIO device. */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_non_null(strstr(target, "memfd:"));
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, (off_t)b->size);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Sealed: it cannot grow to reach anything else. */
	assert_true(ftruncate(fd, (off_t)b->size * 4) < 0);
	m = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	for (size_t i = 0; i < b->size; i++)
		assert_int_equal(m[i], 0x22);

	/* SYNC START refreshes from the device; END(WRITE) copies back. */
	memset(pb, 0x44, 100);
	assert_int_equal(dma_buf_begin_cpu_access(b, DMA_FROM_DEVICE), 0);
	assert_int_equal(m[0], 0x44);
	assert_int_equal(m[100], 0x22);
	assert_int_equal(dma_buf_end_cpu_access(b, DMA_FROM_DEVICE), 0);
	assert_int_equal(dma_buf_begin_cpu_access(b, DMA_BIDIRECTIONAL), 0);
	memset(m + 200, 0x55, 50);
	/* A reader's START inside the write bracket keeps the writes. */
	assert_int_equal(dma_buf_begin_cpu_access(b, DMA_FROM_DEVICE), 0);
	assert_int_equal(m[200], 0x55);
	assert_int_equal(dma_buf_end_cpu_access(b, DMA_FROM_DEVICE), 0);
	assert_int_equal(pb[200], 0x22); /* not yet */
	assert_int_equal(dma_buf_end_cpu_access(b, DMA_BIDIRECTIONAL), 0);
	assert_int_equal(pb[200], 0x55);
	assert_int_equal(pb[250], 0x22);
	/* The neighbours were never touched. */
	for (size_t i = 0; i < a->size; i++)
		assert_int_equal(pa[i], 0x11);
	for (size_t i = 0; i < c->size; i++)
		assert_int_equal(pc[i], 0x33);
	munmap(m, b->size);

	assert_int_equal(dma_buf_vunmap(a, pa), 0);
	assert_int_equal(dma_buf_vunmap(b, pb), 0);
	assert_int_equal(dma_buf_vunmap(c, pc), 0);
	dma_buf_unref(a);
	dma_buf_unref(b);
	dma_buf_unref(c);
}

static void heap_outlives_its_registration(void **state)
{
	struct dma_buf *a = alloc_buf(4096);
	struct heap *h;

	stm32_heap_destroy(contig);
	contig = NULL;
	h = heap_find(STM32_HEAP_DEFAULT_NAME);
	assert_null(h);
	dma_buf_unref(a); /* the last buffer takes the region with it */
}

/* ------------------------------------------------------------------ */
/* The bounce memfd: charged to the buffer's owner, lingering if held */

#define PAGE 4096u
#define POOL (1u << 20) /* heap_setup()'s region */
#define USER 1000u

static void set_uid_bytes(uint64_t bytes)
{
	struct acct_limits l = { .exempt_root = true };

	l.max[ACCT_BYTES] = bytes;
	assert_int_equal(acct_set_limits(&l), 0);
}

static int bounce_setup(void **state)
{
	set_uid_bytes(0);
	return heap_setup(state);
}

static int bounce_teardown(void **state)
{
	set_uid_bytes(0);
	assert_int_equal(acct_count(), 0);
	return heap_teardown(state);
}

static struct dma_buf *alloc_owned(struct acct *acct, size_t size)
{
	struct dma_buf *buf = NULL;

	assert_int_equal(heap_alloc(stm32_heap_heap(contig), acct, size, O_RDWR, 0, &buf), 0);
	return buf;
}

static uint64_t heap_bytes(void)
{
	struct heap_usage u;

	heap_get_usage(stm32_heap_heap(contig), &u);
	return u.bytes;
}

static uint64_t lingering_bytes(void)
{
	uint64_t n, bytes;

	heap_lingering(&n, &bytes);
	return bytes;
}

static void bounce_is_charged_to_the_owner_until_release(void **state)
{
	struct acct *acct = NULL;
	struct dma_buf *buf;

	assert_int_equal(acct_get(USER, &acct), 0);
	buf = alloc_owned(acct, 3 * PAGE);
	assert_int_equal(acct->used[ACCT_BYTES], 3 * PAGE);
	assert_true(dma_buf_get_memfd(buf) >= 0);
	assert_int_equal(acct->used[ACCT_BYTES], 6 * PAGE);
	/* Once per buffer. */
	assert_true(dma_buf_get_memfd(buf) >= 0);
	assert_int_equal(acct->used[ACCT_BYTES], 6 * PAGE);
	/* The heap's usage is the region's: the bounce is not in it. */
	assert_int_equal(heap_bytes(), 3 * PAGE);
	/* Never handed to a client: it goes with the buffer. */
	dma_buf_unref(buf);
	assert_int_equal(acct->used[ACCT_BYTES], 0);
	assert_int_equal(lingering_bytes(), 0);
	acct_unref(acct);
}

static void bounce_past_the_uid_limit_is_edquot(void **state)
{
	uint64_t refused = acct_refused_total(ACCT_BYTES);
	struct acct *acct = NULL;
	struct dma_buf *buf;

	set_uid_bytes(3 * PAGE);
	assert_int_equal(acct_get(USER, &acct), 0);
	buf = alloc_owned(acct, 2 * PAGE);
	assert_int_equal(dma_buf_get_memfd(buf), -EDQUOT);
	assert_int_equal(dma_buf_open_memfd(buf, O_RDWR), -EDQUOT);
	assert_false(buf->memfd_opened);
	assert_int_equal(acct->used[ACCT_BYTES], 2 * PAGE);
	assert_int_equal(acct_refused_total(ACCT_BYTES), refused + 2);
	/* Room again: the bounce is made. */
	set_uid_bytes(4 * PAGE);
	assert_true(dma_buf_get_memfd(buf) >= 0);
	assert_int_equal(acct->used[ACCT_BYTES], 4 * PAGE);
	dma_buf_unref(buf);
	assert_int_equal(acct->used[ACCT_BYTES], 0);
	acct_unref(acct);
}

static void released_buffer_with_a_held_bounce_frees_its_region_and_lingers(void **state)
{
	struct fake_linger fl = { 0 };
	struct acct *acct = NULL;
	struct dma_buf *buf, *again;
	unsigned char *dev, *m;
	struct stat st;
	int fd;

	assert_int_equal(acct_get(USER, &acct), 0);
	buf = alloc_owned(acct, POOL); /* all of the region */
	assert_int_equal(dma_buf_vmap(buf, (void **)&dev), 0);
	memset(dev, 0x5a, 2 * PAGE);
	assert_int_equal(dma_buf_vunmap(buf, dev), 0);
	fd = dma_buf_open_memfd(buf, O_RDWR);
	assert_true(fd >= 0);
	heap_set_linger(fake_linger, &fl);
	dma_buf_unref(buf);
	heap_set_linger(NULL, NULL);

	/* The bounce went to the hook, still charged to the owner. */
	assert_int_equal(fl.calls, 1);
	assert_int_equal(fl.hl->size, POOL);
	assert_int_equal(fstat(fl.hl->memfd, &st), 0);
	assert_int_equal(st.st_size, POOL);
	assert_int_equal(lingering_bytes(), POOL);
	assert_int_equal(acct->used[ACCT_BYTES], POOL);
	/* The region is free and reusable at once. */
	assert_int_equal(heap_bytes(), 0);
	again = alloc_owned(acct, POOL);
	assert_int_equal(acct->used[ACCT_BYTES], 2 * POOL);
	/* The client's copy is still the old buffer's, not the new one's. */
	m = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	assert_int_equal(m[0], 0x5a);
	assert_int_equal(m[2 * PAGE - 1], 0x5a);
	munmap(m, 2 * PAGE);
	dma_buf_unref(again);

	heap_linger_free(fl.hl);
	assert_int_equal(lingering_bytes(), 0);
	assert_int_equal(acct->used[ACCT_BYTES], 0);
	close(fd);
	acct_unref(acct);
}

static void released_buffer_with_a_held_bounce_without_a_hook_frees_it(void **state)
{
	struct acct *acct = NULL;
	struct dma_buf *buf;
	int fd;

	assert_int_equal(acct_get(USER, &acct), 0);
	buf = alloc_owned(acct, PAGE);
	fd = dma_buf_open_memfd(buf, O_RDWR);
	assert_true(fd >= 0);
	dma_buf_unref(buf);
	assert_int_equal(lingering_bytes(), 0);
	assert_int_equal(acct->used[ACCT_BYTES], 0);
	close(fd);
	acct_unref(acct);
}

static void lingering_bounce_outlives_the_heap(void **state)
{
	const long heaps = objstat_get(OBJ_HEAP);
	struct fake_linger fl = { 0 };
	struct acct *acct = NULL;
	struct dma_buf *buf;
	int fd;

	assert_int_equal(acct_get(USER, &acct), 0);
	buf = alloc_owned(acct, PAGE);
	fd = dma_buf_open_memfd(buf, O_RDONLY);
	assert_true(fd >= 0);
	stm32_heap_destroy(contig);
	contig = NULL;
	heap_set_linger(fake_linger, &fl);
	dma_buf_unref(buf); /* the last buffer: the heap and region go */
	heap_set_linger(NULL, NULL);
	assert_int_equal(objstat_get(OBJ_HEAP), heaps - 1);
	assert_int_equal(fl.calls, 1);
	assert_int_equal(acct->used[ACCT_BYTES], PAGE);
	heap_linger_free(fl.hl);
	assert_int_equal(acct->used[ACCT_BYTES], 0);
	close(fd);
	acct_unref(acct);
}

static void heap_refuses_region_out_of_dma_reach(void **state)
{
	struct stm32_heap_config cfg;
	struct stm32_heap *h = NULL;
	struct uio_fake *fake = stm32_sim_fake(sim);
	const struct uio_fake_map m = { "dtcm", 0x20000000, 0x10000, 0 };

	assert_int_equal(uio_fake_add(fake, 9, "tcm-pool", NULL, &m, 1, 0), 0);
	stm32_heap_config_default(&cfg);
	snprintf(cfg.name, sizeof(cfg.name), "tcm");
	cfg.env = stm32_sim_env(sim);
	cfg.uio_name = "tcm-pool";
	assert_int_equal(stm32_heap_create(&cfg, &h), -EFAULT);
	cfg.uio_name = "nope";
	assert_int_equal(stm32_heap_create(&cfg, &h), -ENODEV);
	assert_null(h);
}

#define heap_test(fn) cmocka_unit_test_setup_teardown(fn, heap_setup, heap_teardown)
#define bounce_test(fn) cmocka_unit_test_setup_teardown(fn, bounce_setup, bounce_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pool_best_fit_and_coalescing),
		cmocka_unit_test(pool_churn_keeps_fragmentation_bounded),
		heap_test(heap_buffers_are_physical_zeroed_and_disjoint),
		heap_test(heap_runs_out_with_enomem),
		heap_test(memfd_exposes_only_its_buffer),
		heap_test(heap_outlives_its_registration),
		heap_test(heap_refuses_region_out_of_dma_reach),
		bounce_test(bounce_is_charged_to_the_owner_until_release),
		bounce_test(bounce_past_the_uid_limit_is_edquot),
		bounce_test(released_buffer_with_a_held_bounce_frees_its_region_and_lingers),
		bounce_test(released_buffer_with_a_held_bounce_without_a_hook_frees_it),
		bounce_test(lingering_bounce_outlives_the_heap),
	};

	log_set_level(LOG_CRIT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
