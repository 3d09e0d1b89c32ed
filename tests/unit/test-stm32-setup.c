/* SPDX-License-Identifier: MIT */
/*
 * The daemon's STM32 wiring (daemon/stm32_setup.c) on a UIO tree built on
 * disk: class/uioN/{name,maps/map0/{addr,size,offset,name}} in the
 * kernel's formats and dev/uioN a regular file of the map's size, which
 * the real UIO ops map as they map the node. The registers are dead
 * memory (no simulator): enough to register controllers, route DMAMUX
 * request lines and allocate from a heap, not to move data. The files
 * have no interrupt, so the controllers are serviced by the tick.
 *
 * Each test runs the real libuv loop, and checks at the end that stop
 * closed every handle (uv_loop_close() succeeds) and left no object, fd
 * or mapping of the tree behind.
 */
#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "daemon/stm32_setup.h"
#include "dmaengine/dma_cq.h"
#include "dmaengine/dmaengine.h"
#include "model/dma_buf.h"
#include "model/heap.h"
#include "stm32_dma_regs.h"

/* Physical addresses as on an STM32H7 (stm32h7-dma.md) and a pool in
 * FMC SDRAM; only the pool's must be reachable by the DMA masters. */
#define DMA1_BASE 0x40020000u
#define DMA2_BASE 0x40020400u
#define DMAMUX1_BASE 0x40020800u
#define POOL_BASE 0xd0000000u
#define POOL_SIZE (1u << 20)
#define BLOCK_SIZE 0x400u

static uv_loop_t loop;
/* Short enough for every path below and for the options' 256 bytes. */
static char root[128], class_dir[160], dev_dir[160];
static struct stm32_options opts;

/* ---- The tree ------------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* uioN called @name with one map of @size bytes at @addr. */
static void tree_add(unsigned num, const char *name, uint64_t addr,
		     uint64_t size)
{
	char dir[192], path[256], text[64];
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t span;
	int fd;

	snprintf(dir, sizeof(dir), "%s/uio%u", class_dir, num);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/maps", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/maps/map0", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/maps/map0/addr", dir);
	snprintf(text, sizeof(text), "0x%08llx\n", (unsigned long long)addr);
	write_file(path, text);
	snprintf(path, sizeof(path), "%s/maps/map0/size", dir);
	snprintf(text, sizeof(text), "0x%08llx\n", (unsigned long long)size);
	write_file(path, text);
	snprintf(path, sizeof(path), "%s/maps/map0/offset", dir);
	write_file(path, "0x0\n");
	snprintf(path, sizeof(path), "%s/maps/map0/name", dir);
	write_file(path, name);
	snprintf(path, sizeof(path), "%s/name", dir);
	snprintf(text, sizeof(text), "%s\n", name);
	write_file(path, text);

	/* The "node": zeroed pages covering the whole mapping, which starts
	 * at the page holding @addr, as the kernel's does. */
	span = (addr % (uint64_t)pg + size + (uint64_t)pg - 1) / (uint64_t)pg *
	       (uint64_t)pg;
	snprintf(path, sizeof(path), "%s/uio%u", dev_dir, num);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)span), 0);
	close(fd);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	return remove(path);
}

static void rm_rf(const char *path)
{
	(void)nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void tree_remove(unsigned num)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/uio%u", class_dir, num);
	rm_rf(path);
	snprintf(path, sizeof(path), "%s/uio%u", dev_dir, num);
	assert_int_equal(unlink(path), 0);
}

/* DMAMUX1's channel register CxCR of @chan, read from the "node" of
 * uio@num (the block starts at DMAMUX1_BASE's offset in its page). */
static uint32_t dmamux_ccr(unsigned num, unsigned chan)
{
	char path[PATH_MAX + 16];
	off_t off = (off_t)(DMAMUX1_BASE % (uint64_t)sysconf(_SC_PAGESIZE) +
			    STM32_DMAMUX_CxCR(chan));
	uint32_t v = 0xffffffffu;
	int fd;

	snprintf(path, sizeof(path), "%s/uio%u", dev_dir, num);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &v, sizeof(v), off), sizeof(v));
	close(fd);
	return v;
}

/* ---- The options ---------------------------------------------------------- */

static void add_controller(const char *name, unsigned index, const char *uio)
{
	struct stm32_controller_option *c =
		&opts.controllers[opts.nr_controllers++];

	stm32_controller_option_init(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->index = index;
	snprintf(c->uio, sizeof(c->uio), "%s", uio);
	snprintf(c->dmamux_uio, sizeof(c->dmamux_uio), "dmamux1");
}

static void add_heap(const char *name, const char *uio)
{
	struct stm32_heap_option *h = &opts.heaps[opts.nr_heaps++];

	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->uio, sizeof(h->uio), "%s", uio);
	h->map = 0;
}

/* ---- The loop -------------------------------------------------------------- */

static bool deadline_passed;

static void deadline_fired(uv_timer_t *timer)
{
	deadline_passed = true;
}

/* Run the loop until @cond holds or @timeout_ms passed; returns @cond. */
static bool run_until(bool (*cond)(void), unsigned timeout_ms)
{
	uv_timer_t deadline;

	deadline_passed = false;
	uv_timer_init(&loop, &deadline);
	uv_timer_start(&deadline, deadline_fired, timeout_ms, 0);
	while (!cond() && !deadline_passed)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return cond();
}

static bool dma1_registered(void)
{
	return dma_find_device("dma1") != NULL;
}

static bool dma1_gone(void)
{
	return dma_find_device("dma1") == NULL;
}

/* ---- Fixtures -------------------------------------------------------------- */

static unsigned open_fds(void)
{
	unsigned n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the one opendir holds */
}

/* Mappings of files whose path contains @what. */
static unsigned mappings_of(const char *what)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 128];
	unsigned n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

/* Mappings of the "node" of uio@num, present or deleted. */
static unsigned node_mappings(unsigned num)
{
	char path[PATH_MAX + 16], deleted[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/uio%u\n", dev_dir, num);
	snprintf(deleted, sizeof(deleted), "%s/uio%u (deleted)", dev_dir, num);
	return mappings_of(path) + mappings_of(deleted);
}

static unsigned fds_at_start;

static int tree_setup(void **state)
{
	snprintf(root, sizeof(root), "%s/stm32-setup-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return -1;
	snprintf(class_dir, sizeof(class_dir), "%s/class", root);
	snprintf(dev_dir, sizeof(dev_dir), "%s/dev", root);
	if (mkdir(class_dir, 0755) < 0 || mkdir(dev_dir, 0755) < 0)
		return -1;
	stm32_options_init(&opts);
	snprintf(opts.uio_class_dir, sizeof(opts.uio_class_dir), "%s",
		 class_dir);
	snprintf(opts.uio_dev_dir, sizeof(opts.uio_dev_dir), "%s", dev_dir);
	opts.rescan_ms = 20;
	fds_at_start = open_fds();
	if (uv_loop_init(&loop) < 0)
		return -1;
	return fake_clock_setup(state);
}

/* Stop, let the loop close what stop closed, and prove nothing is left. */
static int tree_teardown(void **state)
{
	int r;

	stm32_setup_stop();
	dma_slave_map_clear();
	uv_run(&loop, UV_RUN_DEFAULT);
	r = uv_loop_close(&loop);
	if (r < 0)
		fprintf(stderr, "uv_loop_close: %s\n", uv_strerror(r));
	if (open_fds() != fds_at_start || mappings_of(root)) {
		fprintf(stderr, "leak: %u fd(s), %u mapping(s) of the tree\n",
			open_fds() - fds_at_start, mappings_of(root));
		r = -1;
	}
	rm_rf(root);
	if (leak_check_teardown(state) < 0 || r < 0)
		return -1;
	return 0;
}

#define setup_test(fn) \
	cmocka_unit_test_setup_teardown(fn, tree_setup, tree_teardown)

/* ---- Controllers ----------------------------------------------------------- */

static void controllers_present_at_start_are_registered(void **state)
{
	struct dma_device *dev;

	tree_add(0, "dma1", DMA1_BASE, BLOCK_SIZE);
	tree_add(1, "dma2", DMA2_BASE, BLOCK_SIZE);
	tree_add(2, "dmamux1", DMAMUX1_BASE, BLOCK_SIZE);
	add_controller("dma1", 0, "dma1");
	add_controller("dma2", 1, "dma2");
	assert_int_equal(stm32_setup_start(&loop, &opts), 0);
	dev = dma_find_device("dma1");
	assert_non_null(dev);
	assert_int_equal(dev->chancnt, 8);
	assert_true(dma_has_cap(DMA_MEMCPY, dev->cap_mask));
	dev = dma_find_device("dma2");
	assert_non_null(dev);
	assert_int_equal(dev->chancnt, 8);
	/* The tick services them: the loop runs with nothing to report. */
	assert_false(run_until(dma1_gone, 30));
}

static void controller_missing_at_start_is_awaited(void **state)
{
	tree_add(2, "dmamux1", DMAMUX1_BASE, BLOCK_SIZE);
	add_controller("dma1", 0, "dma1");
	assert_int_equal(stm32_setup_start(&loop, &opts), 0);
	assert_null(dma_find_device("dma1"));
}

static bool added_dma1;

static void note_added(struct dma_notifier *n, enum dma_notify_event event,
		       struct dma_device *dev)
{
	if (event == DMA_NOTIFY_DEVICE_ADDED && !strcmp(dev->name, "dma1"))
		added_dma1 = true;
}

static bool dma1_announced(void)
{
	return added_dma1;
}

static void rescan_registers_a_late_controller_and_a_waiting_request_completes(
	void **state)
{
	struct dma_notifier n = { .fn = note_added };
	struct dma_chan *chan = NULL;

	assert_int_equal(dma_slave_map_add(&(struct dma_slave_map_entry){
				 .consumer = "uart4",
				 .dma_name = "rx",
				 .controller = "dma1",
				 .chan_index = -1,
				 .request_line = 63,
			 }),
			 0);
	tree_add(2, "dmamux1", DMAMUX1_BASE, BLOCK_SIZE);
	add_controller("dma1", 0, "dma1");
	assert_int_equal(stm32_setup_start(&loop, &opts), 0);
	/* Deferred, as the dmaengine node defers it: retried on the
	 * notifier's DMA_NOTIFY_DEVICE_ADDED. */
	assert_int_equal(dma_request_chan("uart4", "rx", &chan), -EAGAIN);
	added_dma1 = false;
	assert_int_equal(dma_notifier_register(&n), 0);
	assert_false(run_until(dma1_announced, 60));

	tree_add(3, "dma1", DMA1_BASE, BLOCK_SIZE);
	assert_true(run_until(dma1_announced, 2000));
	assert_int_equal(dma_notifier_unregister(&n), 0);
	assert_int_equal(dma_request_chan("uart4", "rx", &chan), 0);
	assert_string_equal(chan->device->name, "dma1");
	assert_int_equal(chan->request_line, 63);
	/* Stream n of DMA1 takes its request from DMAMUX1 channel n. */
	assert_int_equal(dmamux_ccr(2, (unsigned)chan->chan_id) &
				 STM32_DMAMUX_CxCR_DMAREQ_ID, 63);
	dma_release_channel(chan);
	dma_cq_drain();
	assert_int_equal(dmamux_ccr(2, (unsigned)chan->chan_id) &
				 STM32_DMAMUX_CxCR_DMAREQ_ID, 0);
}

static void removed_devices_remove_the_controller(void **state)
{
	tree_add(0, "dma1", DMA1_BASE, BLOCK_SIZE);
	tree_add(2, "dmamux1", DMAMUX1_BASE, BLOCK_SIZE);
	add_controller("dma1", 0, "dma1");
	assert_int_equal(stm32_setup_start(&loop, &opts), 0);
	assert_non_null(dma_find_device("dma1"));

	tree_remove(0);
	assert_true(run_until(dma1_gone, 2000));
	/* Back under another number. */
	tree_add(4, "dma1", DMA1_BASE, BLOCK_SIZE);
	assert_true(run_until(dma1_registered, 2000));
	/* The DMAMUX it uses goes: so does the controller. */
	tree_remove(2);
	assert_true(run_until(dma1_gone, 2000));
}

static void a_held_channel_outlives_the_removal_of_its_controller(void **state)
{
	struct dma_chan *chan = NULL;
	long devices = objstat_get(OBJ_DMA_DEVICE);

	assert_int_equal(dma_slave_map_add(&(struct dma_slave_map_entry){
				 .consumer = "spi1",
				 .dma_name = "tx",
				 .controller = "dma1",
				 .chan_index = 2,
				 .request_line = 38,
			 }),
			 0);
	tree_add(0, "dma1", DMA1_BASE, BLOCK_SIZE);
	tree_add(2, "dmamux1", DMAMUX1_BASE, BLOCK_SIZE);
	add_controller("dma1", 0, "dma1");
	assert_int_equal(stm32_setup_start(&loop, &opts), 0);
	assert_int_equal(dma_request_chan("spi1", "tx", &chan), 0);
	assert_int_equal(objstat_get(OBJ_DMA_DEVICE), devices + 1);

	tree_remove(0);
	assert_true(run_until(dma1_gone, 2000));
	/* Unregistered, not freed: the client still holds its channel,
	 * and every call on it fails. */
	assert_int_equal(objstat_get(OBJ_DMA_DEVICE), devices + 1);
	assert_int_equal(dmaengine_terminate_sync(chan), -ENODEV);
	dma_release_channel(chan);
	dma_cq_drain();
	assert_int_equal(objstat_get(OBJ_DMA_DEVICE), devices);
}

static void a_controller_replaced_within_one_rescan_comes_back(void **state)
{
	struct dma_device *before;

	tree_add(0, "dma1", DMA1_BASE, BLOCK_SIZE);
	tree_add(2, "dmamux1", DMAMUX1_BASE, BLOCK_SIZE);
	add_controller("dma1", 0, "dma1");
	assert_int_equal(stm32_setup_start(&loop, &opts), 0);
	before = dma_find_device("dma1");
	assert_non_null(before);
	/* One rescan sees uio0 go and uio5 come: removal, then creation,
	 * while the old controller's handles are still closing. */
	tree_remove(0);
	tree_add(5, "dma1", DMA1_BASE, BLOCK_SIZE);
	assert_int_equal(node_mappings(0), 1);
	uv_sleep(50);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_non_null(dma_find_device("dma1"));
	assert_int_equal(node_mappings(0), 0);
	assert_int_equal(node_mappings(5), 1);
	assert_false(run_until(dma1_gone, 50));
}

static void start_fails_on_a_broken_controller_and_leaves_nothing(void **state)
{
	/* A register map smaller than the DMA block. */
	tree_add(0, "dma1", DMA1_BASE, 0x10);
	tree_add(2, "dmamux1", DMAMUX1_BASE, BLOCK_SIZE);
	add_controller("dma1", 0, "dma1");
	assert_int_equal(stm32_setup_start(&loop, &opts), -ENXIO);
	assert_null(dma_find_device("dma1"));
	/* Nothing left to stop: a second start is accepted once the loop
	 * closed what the first one opened. */
	uv_run(&loop, UV_RUN_DEFAULT);
	opts.nr_controllers = 0;
	assert_int_equal(stm32_setup_start(&loop, &opts), 0);
}

static void start_refuses_one_block_under_two_names(void **state)
{
	add_controller("dma1", 0, "dma1");
	add_controller("dmaX", 0, "dma2");
	assert_int_equal(stm32_setup_start(&loop, &opts), -EINVAL);
	opts.controllers[1].index = 1;
	snprintf(opts.controllers[1].name, sizeof(opts.controllers[1].name),
		 "dma1");
	assert_int_equal(stm32_setup_start(&loop, &opts), -EINVAL);
}

/* ---- Heaps ----------------------------------------------------------------- */

static void heap_over_a_uio_region_registers_and_allocates(void **state)
{
	struct dma_buf *buf = NULL;
	struct heap *heap;
	void *cpu;

	tree_add(6, "dma-pool", POOL_BASE, POOL_SIZE);
	add_heap("contig", "dma-pool");
	assert_int_equal(stm32_setup_heaps(&opts), 0);
	heap = heap_find("contig");
	assert_non_null(heap);
	assert_int_equal(heap_alloc(heap, 10000, O_RDWR, 0, &buf), 0);
	assert_int_equal(buf->size, 3 * 4096);
	assert_int_equal(dma_buf_vmap(buf, &cpu), 0);
	((volatile uint32_t *)cpu)[0] = 0xc0ffee;
	assert_int_equal(dma_buf_vunmap(buf, cpu), 0);
	dma_buf_unref(buf);
	heap_unref(heap);
	stm32_setup_stop();
	assert_null(heap_find("contig"));
}

static void missing_heap_device_is_enodev_and_registers_nothing(void **state)
{
	tree_add(6, "dma-pool", POOL_BASE, POOL_SIZE);
	add_heap("contig", "dma-pool");
	add_heap("sram", "sram-pool");
	assert_int_equal(stm32_setup_heaps(&opts), -ENODEV);
	assert_null(heap_find("contig"));
	assert_null(heap_find("sram"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		setup_test(controllers_present_at_start_are_registered),
		setup_test(controller_missing_at_start_is_awaited),
		setup_test(rescan_registers_a_late_controller_and_a_waiting_request_completes),
		setup_test(removed_devices_remove_the_controller),
		setup_test(a_held_channel_outlives_the_removal_of_its_controller),
		setup_test(a_controller_replaced_within_one_rescan_comes_back),
		setup_test(start_fails_on_a_broken_controller_and_leaves_nothing),
		setup_test(start_refuses_one_block_under_two_names),
		setup_test(heap_over_a_uio_region_registers_and_allocates),
		setup_test(missing_heap_device_is_enodev_and_registers_nothing),
	};

	/* libuv opens its process-wide fds (the signal pipe) with the first
	 * loop: let that happen before any test counts fds. */
	if (uv_loop_init(&loop) < 0 || uv_loop_close(&loop) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
