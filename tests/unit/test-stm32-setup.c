/* SPDX-License-Identifier: MIT */
/*
 * The daemon's STM32 wiring (daemon/wiring/stm32_setup.c) on a UIO tree built on
 * disk: class/uioN/{name,maps/map0/{addr,size,offset,name}} in the
 * kernel's formats and dev/uioN a regular file of the map's size, which
 * the real UIO ops map as they map the node. The registers are dead
 * memory (no simulator): enough to register controllers, route DMAMUX
 * request lines and allocate from a heap, not to move data; a test plays
 * the hardware's part of a transfer by writing the node. The files have
 * no interrupt, so the controllers are serviced by the tick.
 *
 * The interrupt fds: the fake kernel UIO driver (uio_fake.h) in place of
 * the real ops, whose devices have pollable fds.
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
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "daemon/wiring/stm32_setup.h"
#include "dmaengine/dma_cq.h"
#include "dmaengine/dmaengine.h"
#include "model/dma_buf.h"
#include "model/heap.h"
#include "stm32_dma_regs.h"
#include "uio_fake.h"

/* Physical addresses as on an STM32H7 (stm32h7-dma.md) and a pool in
 * FMC SDRAM; only the pool's must be reachable by the DMA masters. */
#define DMA1_BASE 0x40020000u
#define DMA2_BASE 0x40020400u
#define DMAMUX1_BASE 0x40020800u
#define POOL_BASE 0xd0000000u
#define POOL_SIZE (1u << 20)
#define BLOCK_SIZE 0x400u
#define AXI_SRAM 0x24000000u

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

/* The sysfs directory of uioN called @name with one map of @size bytes
 * at @addr. */
static void tree_add_sysfs(unsigned num, const char *name, uint64_t addr,
			   uint64_t size)
{
	char dir[192], path[256], text[64];

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
}

/* uioN called @name with one map of @size bytes at @addr. */
static void tree_add(unsigned num, const char *name, uint64_t addr,
		     uint64_t size)
{
	char path[256];
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t span;
	int fd;

	tree_add_sysfs(num, name, addr, size);
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

/* Rename uioN's directory and node to old-uioN (which no enumeration
 * lists): gone for the daemon, still there for the file system. */
static void tree_retire(unsigned num)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];

	snprintf(from, sizeof(from), "%s/uio%u", class_dir, num);
	snprintf(to, sizeof(to), "%s/old-uio%u", class_dir, num);
	assert_int_equal(rename(from, to), 0);
	snprintf(from, sizeof(from), "%s/uio%u", dev_dir, num);
	snprintf(to, sizeof(to), "%s/old-uio%u", dev_dir, num);
	assert_int_equal(rename(from, to), 0);
}

/* The node of uio@num, where a block at physical @base starts at @base's
 * offset in its page: register @off's file offset. */
static int node_open(unsigned num, uint32_t base, uint32_t off, int flags,
		     off_t *ret_pos)
{
	char path[PATH_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/uio%u", dev_dir, num);
	fd = open(path, flags | O_CLOEXEC);
	assert_true(fd >= 0);
	*ret_pos = (off_t)(base % (uint64_t)sysconf(_SC_PAGESIZE) + off);
	return fd;
}

static uint32_t node_read32(unsigned num, uint32_t base, uint32_t off)
{
	uint32_t v = 0xffffffffu;
	off_t pos;
	int fd = node_open(num, base, off, O_RDONLY, &pos);

	assert_int_equal(pread(fd, &v, sizeof(v), pos), sizeof(v));
	close(fd);
	return v;
}

static void node_write32(unsigned num, uint32_t base, uint32_t off, uint32_t v)
{
	off_t pos;
	int fd = node_open(num, base, off, O_WRONLY, &pos);

	assert_int_equal(pwrite(fd, &v, sizeof(v), pos), sizeof(v));
	close(fd);
}

/* DMAMUX1's channel register CxCR of @chan, in the node of uio@num. */
static uint32_t dmamux_ccr(unsigned num, unsigned chan)
{
	return node_read32(num, DMAMUX1_BASE, STM32_DMAMUX_CxCR(chan));
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

/* ---- A transfer on the tick ------------------------------------------------ */

static unsigned memcpy_callbacks;

static void memcpy_done(void *param)
{
	memcpy_callbacks++;
}

static bool memcpy_complete(void)
{
	dma_cq_drain();
	return memcpy_callbacks > 0;
}

/*
 * A memcpy on dma1, whose registers are in the node of uio@num, completes
 * with no interrupt fd: the hardware's part is played here (at the end
 * of a transfer EN reads 0 and TCIF is set), the driver's by the loop
 * alone, so by the tick.
 */
static void memcpy_completes_on_the_tick(unsigned num)
{
	struct dma_async_tx_descriptor *tx = NULL;
	struct dma_chan *chan = NULL;
	dma_cap_mask_t mask;
	dma_cookie_t cookie;
	uint32_t cr, isr;
	unsigned stream;

	dma_cap_zero(&mask);
	dma_cap_set(DMA_MEMCPY, &mask);
	assert_int_equal(dma_request_channel(&mask, NULL, NULL, &chan), 0);
	assert_string_equal(chan->device->name, "dma1");
	stream = (unsigned)chan->chan_id;
	isr = stm32_dma_isr_offset(stream);
	assert_int_equal(dmaengine_prep_dma_memcpy(chan, AXI_SRAM + 0x1000, AXI_SRAM,
						   256, DMA_PREP_INTERRUPT, &tx),
			 0);
	tx->callback = memcpy_done;
	memcpy_callbacks = 0;
	cookie = dmaengine_submit(tx);
	assert_true(cookie > 0);
	dma_async_issue_pending(chan);
	cr = node_read32(num, DMA1_BASE, STM32_DMA_SxCR(stream));
	assert_true(cr & STM32_DMA_SxCR_EN);
	assert_int_equal(node_read32(num, DMA1_BASE, STM32_DMA_SxNDTR(stream)), 256);
	/* Running until the hardware says otherwise. */
	assert_false(run_until(memcpy_complete, 20));

	node_write32(num, DMA1_BASE, STM32_DMA_SxCR(stream), cr & ~STM32_DMA_SxCR_EN);
	node_write32(num, DMA1_BASE, isr, stm32_dma_flags_to_reg(stream, STM32_DMA_TCIF));
	assert_true(run_until(memcpy_complete, 2000));
	assert_int_equal(memcpy_callbacks, 1);
	assert_int_equal(dmaengine_tx_status(chan, cookie, NULL), DMA_COMPLETE);
	/* The driver cleared the flag through LIFCR/HIFCR, which dead
	 * memory does not act on: done here. */
	assert_int_equal(node_read32(num, DMA1_BASE, stm32_dma_ifcr_offset(stream)),
			 stm32_dma_flags_to_reg(stream, STM32_DMA_TCIF));
	node_write32(num, DMA1_BASE, isr, 0);
	dma_release_channel(chan);
	dma_cq_drain();
}

/* ---- Loop handles ---------------------------------------------------------- */

struct handle_probe {
	int fd;			/* the poll to look for */
	bool polled;		/* an active poll watches fd */
	unsigned timers;	/* active timers */
};

static void probe_handle(uv_handle_t *h, void *arg)
{
	struct handle_probe *p = arg;
	uv_os_fd_t fd;

	if (!uv_is_active(h) || uv_is_closing(h))
		return;
	if (h->type == UV_TIMER)
		p->timers++;
	if (h->type == UV_POLL && uv_fileno(h, &fd) == 0 && fd == p->fd)
		p->polled = true;
}

static bool fd_polled(int fd)
{
	struct handle_probe p = { .fd = fd };

	uv_walk(&loop, probe_handle, &p);
	return p.polled;
}

static unsigned timers_active(void)
{
	struct handle_probe p = { .fd = -1 };

	uv_walk(&loop, probe_handle, &p);
	return p.timers;
}

static int quiet_fd;

/* Nothing to read on quiet_fd: its interrupt was acknowledged. */
static bool fd_quiet(void)
{
	struct pollfd p = { .fd = quiet_fd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
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

static struct uio_fake *fake;

static int fake_setup(void **state)
{
	if (uio_fake_new(&fake) < 0)
		return -1;
	if (tree_setup(state) < 0)
		return -1;
	opts.uio_env = uio_fake_env(fake);
	return 0;
}

/* Also: every fd and mapping of the fake given back. */
static int fake_teardown(void **state)
{
	int r = 0;

	stm32_setup_stop();
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uio_fake_open_fds(fake) || uio_fake_mappings(fake)) {
		fprintf(stderr, "leak: %u fd(s), %u mapping(s) of the fake\n",
			uio_fake_open_fds(fake), uio_fake_mappings(fake));
		r = -1;
	}
	fake = uio_fake_free(fake);
	if (tree_teardown(state) < 0 || r < 0)
		return -1;
	return 0;
}

#define fake_test(fn) \
	cmocka_unit_test_setup_teardown(fn, fake_setup, fake_teardown)

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
}

static void a_controller_without_interrupt_fds_is_serviced_by_the_tick(void **state)
{
	tree_add(0, "dma1", DMA1_BASE, BLOCK_SIZE);
	tree_add(2, "dmamux1", DMAMUX1_BASE, BLOCK_SIZE);
	add_controller("dma1", 0, "dma1");
	assert_int_equal(stm32_setup_start(&loop, &opts), 0);
	memcpy_completes_on_the_tick(0);
}

static void an_irq_device_without_an_interrupt_leaves_the_controller_to_the_tick(
	void **state)
{
	tree_add(0, "dma1", DMA1_BASE, BLOCK_SIZE);
	tree_add(2, "dmamux1", DMAMUX1_BASE, BLOCK_SIZE);
	/* Stream 0's interrupt node has none, as a UIO node without an
	 * interrupts property (both answer -EIO), and neither has the
	 * register node. */
	tree_add(3, "dma1-s0", DMA1_BASE, BLOCK_SIZE);
	add_controller("dma1", 0, "dma1");
	snprintf(opts.controllers[0].irq_uio[0],
		 sizeof(opts.controllers[0].irq_uio[0]), "dma1-s0");
	assert_int_equal(stm32_setup_start(&loop, &opts), 0);
	assert_non_null(dma_find_device("dma1"));
	memcpy_completes_on_the_tick(0);
}

static void controller_missing_at_start_is_awaited(void **state)
{
	tree_add(2, "dmamux1", DMAMUX1_BASE, BLOCK_SIZE);
	add_controller("dma1", 0, "dma1");
	assert_int_equal(stm32_setup_start(&loop, &opts), 0);
	assert_null(dma_find_device("dma1"));
}

/*
 * A request by name deferred as the dmaengine core means it (and as the
 * dmaengine node does it): dma_request_chan() says -EAGAIN, a notifier
 * hears DMA_NOTIFY_DEVICE_ADDED, the request is retried from the loop.
 */
static struct {
	struct dma_notifier notifier;
	uv_timer_t retry;
	const char *consumer, *name;
	int result;		/* -EAGAIN while waiting */
	struct dma_chan *chan;
} deferred;

static void deferred_retry(uv_timer_t *timer)
{
	int r = dma_request_chan(deferred.consumer, deferred.name, &deferred.chan);

	if (r == -EAGAIN)
		return;	/* another controller came: wait on */
	deferred.result = r;
	assert_int_equal(dma_notifier_unregister(&deferred.notifier), 0);
}

static void deferred_heard(struct dma_notifier *n, enum dma_notify_event event,
			   struct dma_device *dev)
{
	if (event == DMA_NOTIFY_DEVICE_ADDED)
		uv_timer_start(&deferred.retry, deferred_retry, 0, 0);
}

static void deferred_request(const char *consumer, const char *name)
{
	deferred.consumer = consumer;
	deferred.name = name;
	deferred.chan = NULL;
	deferred.result = dma_request_chan(consumer, name, &deferred.chan);
	assert_int_equal(deferred.result, -EAGAIN);
	deferred.notifier = (struct dma_notifier){ .fn = deferred_heard };
	assert_int_equal(dma_notifier_register(&deferred.notifier), 0);
	uv_timer_init(&loop, &deferred.retry);
}

static bool deferred_done(void)
{
	return deferred.result != -EAGAIN;
}

static void rescan_registers_a_late_controller_and_a_waiting_request_completes(
	void **state)
{
	struct dma_chan *chan;

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
	deferred_request("uart4", "rx");
	/* Rescans come and go: it waits. */
	assert_false(run_until(deferred_done, 60));

	tree_add(3, "dma1", DMA1_BASE, BLOCK_SIZE);
	assert_true(run_until(deferred_done, 2000));
	uv_close((uv_handle_t *)&deferred.retry, NULL);
	assert_int_equal(deferred.result, 0);
	chan = deferred.chan;
	assert_non_null(chan);
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

static struct dma_device *old_dma1;

static bool dma1_replaced(void)
{
	struct dma_device *dev = dma_find_device("dma1");

	return dev && dev != old_dma1;
}

static void a_removed_controller_leaves_the_hardware_to_its_successor(void **state)
{
	struct dma_async_tx_descriptor *tx = NULL;
	struct dma_chan *old = NULL, *fresh = NULL;
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	uint32_t cr;

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
	assert_int_equal(dma_request_chan("spi1", "tx", &old), 0);
	old_dma1 = old->device;
	assert_int_equal(dmamux_ccr(2, 2), 38);
	assert_int_equal(dmaengine_prep_dma_memcpy(old, AXI_SRAM + 0x1000, AXI_SRAM,
						   256, 0, &tx),
			 0);
	assert_true(dmaengine_submit(tx) > 0);
	dma_async_issue_pending(old);
	assert_true(node_read32(0, DMA1_BASE, STM32_DMA_SxCR(2)) & STM32_DMA_SxCR_EN);

	/* The block goes while a client holds stream 2, running: stopped
	 * and routed nowhere at once, not when the client lets go. Its
	 * registers stay:
	 * the node's file is linked as uio4's node first (no sysfs
	 * directory yet, so no device). */
	snprintf(from, sizeof(from), "%s/uio0", dev_dir);
	snprintf(to, sizeof(to), "%s/uio4", dev_dir);
	assert_int_equal(link(from, to), 0);
	tree_remove(0);
	assert_true(run_until(dma1_gone, 2000));
	assert_int_equal(dmamux_ccr(2, 2), 0);
	assert_int_equal(node_read32(4, DMA1_BASE, STM32_DMA_SxCR(2)) &
				 STM32_DMA_SxCR_EN,
			 0);

	/* It comes back as uio4, on the same registers. */
	tree_add_sysfs(4, "dma1", DMA1_BASE, BLOCK_SIZE);
	assert_true(run_until(dma1_replaced, 2000));
	assert_int_equal(dma_request_chan("spi1", "tx", &fresh), 0);
	assert_ptr_not_equal(fresh, old);
	assert_int_equal(fresh->chan_id, 2);
	assert_int_equal(dmamux_ccr(2, 2), 38);
	/* The new instance at work on stream 2. */
	assert_int_equal(dmaengine_prep_dma_memcpy(fresh, AXI_SRAM + 0x1000, AXI_SRAM,
						   256, 0, &tx),
			 0);
	assert_true(dmaengine_submit(tx) > 0);
	dma_async_issue_pending(fresh);
	cr = node_read32(4, DMA1_BASE, STM32_DMA_SxCR(2));
	assert_true(cr & STM32_DMA_SxCR_EN);

	/* The old client lets go: the new instance's stream and request
	 * line are left as they are. */
	dma_release_channel(old);
	dma_cq_drain();
	assert_int_equal(node_read32(4, DMA1_BASE, STM32_DMA_SxCR(2)), cr);
	assert_int_equal(node_read32(4, DMA1_BASE, STM32_DMA_SxNDTR(2)), 256);
	assert_int_equal(dmamux_ccr(2, 2), 38);

	assert_int_equal(dmaengine_terminate_sync(fresh), 0);
	dma_release_channel(fresh);
	dma_cq_drain();
	assert_int_equal(dmamux_ccr(2, 2), 0);
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

static bool old_node_unmapped(void)
{
	return mappings_of("old-uio0") == 0;
}

static void same_number_reused_within_one_rescan(void **state)
{
	tree_add(0, "dma1", DMA1_BASE, BLOCK_SIZE);
	tree_add(2, "dmamux1", DMAMUX1_BASE, BLOCK_SIZE);
	add_controller("dma1", 0, "dma1");
	assert_int_equal(stm32_setup_start(&loop, &opts), 0);
	/*
	 * Unbound and bound again between two rescans (or with both
	 * uevents read at once): the kernel gives the lowest free number,
	 * uio0 again, under the same name; only the identity (the sysfs
	 * directory's inode: kernfs gives a new node a new number) differs.
	 * Here the old directory is renamed away and kept until the rescan
	 * ran, so that the new one cannot get the old one's inode number,
	 * as some file systems do once a number is free.
	 */
	tree_retire(0);
	tree_add(0, "dma1", DMA1_BASE, BLOCK_SIZE);
	assert_int_equal(mappings_of("old-uio0"), 1);
	/* The controller of the old device went with it... */
	assert_true(run_until(old_node_unmapped, 2000));
	/* ...and the one of the new device works. */
	assert_non_null(dma_find_device("dma1"));
	assert_int_equal(node_mappings(0), 1);
	memcpy_completes_on_the_tick(0);
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
	assert_int_equal(heap_alloc(heap, NULL, 10000, O_RDWR, 0, &buf), 0);
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

/* ---- Interrupt fds (the fake) ---------------------------------------------- */

/*
 * dma1 (uio0, no interrupt) and DMAMUX1 (uio1) on the fake, and one
 * interrupt node per stream, uio2..uio9 "dma1-s0".."dma1-s7" with
 * @flags: eight interrupt fds for eight streams, so no tick at start.
 * No rescan: a device taken away stays unnoticed.
 */
static void fake_board_start(unsigned flags)
{
	const struct uio_fake_map dma1 = { .addr = DMA1_BASE, .size = BLOCK_SIZE };
	const struct uio_fake_map dmamux1 = { .addr = DMAMUX1_BASE, .size = BLOCK_SIZE };
	struct stm32_controller_option *c;

	assert_int_equal(uio_fake_add(fake, 0, "dma1", NULL, &dma1, 1, 0), 0);
	assert_int_equal(uio_fake_add(fake, 1, "dmamux1", NULL, &dmamux1, 1, 0), 0);
	add_controller("dma1", 0, "dma1");
	c = &opts.controllers[0];
	for (unsigned i = 0; i < 8; i++) {
		snprintf(c->irq_uio[i], sizeof(c->irq_uio[i]), "dma1-s%u", i);
		assert_int_equal(uio_fake_add(fake, 2 + i, c->irq_uio[i], NULL, NULL, 0, flags),
				 0);
	}
	opts.rescan_ms = 0;
	assert_int_equal(stm32_setup_start(&loop, &opts), 0);
	assert_non_null(dma_find_device("dma1"));
	assert_int_equal(timers_active(), 0);
}

static void an_interrupt_fd_without_irqcontrol_stays_polled(void **state)
{
	int fd;

	/* The driver has no irqcontrol: unmasking is -ENOSYS, which means
	 * there is nothing to unmask, not that the fd failed. */
	fake_board_start(UIO_FAKE_IRQ | UIO_FAKE_NO_IRQCONTROL);
	fd = uio_fake_open_fd(fake, 2);
	assert_true(fd >= 0);
	assert_true(fd_polled(fd));
	quiet_fd = fd;
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(uio_fake_raise_irq(fake, 2), 0);
		assert_false(fd_quiet());
		assert_true(run_until(fd_quiet, 2000));
		assert_true(fd_polled(fd));
	}
	assert_int_equal(uio_fake_irq_total(fake, 2), 3);
	/* No tick took over. */
	assert_int_equal(timers_active(), 0);
}

static void a_failing_interrupt_fd_stops_only_its_own_poll(void **state)
{
	int fired, failing;

	fake_board_start(UIO_FAKE_IRQ | UIO_FAKE_AUTOMASK);
	fired = uio_fake_open_fd(fake, 2);
	failing = uio_fake_open_fd(fake, 3);
	assert_true(fired >= 0 && failing >= 0);
	/* uio3 goes (its fd then answers -EIO) while uio2 fires. */
	assert_int_equal(uio_fake_remove(fake, 3), 0);
	assert_int_equal(uio_fake_raise_irq(fake, 2), 0);
	quiet_fd = fired;
	assert_true(run_until(fd_quiet, 2000));
	assert_true(fd_polled(fired));
	assert_false(fd_polled(failing));
	/* The tick serves the stream whose fd failed. */
	assert_int_equal(timers_active(), 1);
	/* uio2 still delivers, and is still polled. */
	assert_int_equal(uio_fake_raise_irq(fake, 2), 0);
	assert_true(run_until(fd_quiet, 2000));
	assert_true(uio_fake_irq_unmasked(fake, 2));
	assert_true(fd_polled(fired));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		setup_test(controllers_present_at_start_are_registered),
		setup_test(a_controller_without_interrupt_fds_is_serviced_by_the_tick),
		setup_test(an_irq_device_without_an_interrupt_leaves_the_controller_to_the_tick),
		setup_test(controller_missing_at_start_is_awaited),
		setup_test(rescan_registers_a_late_controller_and_a_waiting_request_completes),
		setup_test(removed_devices_remove_the_controller),
		setup_test(a_held_channel_outlives_the_removal_of_its_controller),
		setup_test(a_removed_controller_leaves_the_hardware_to_its_successor),
		setup_test(a_controller_replaced_within_one_rescan_comes_back),
		setup_test(same_number_reused_within_one_rescan),
		setup_test(start_fails_on_a_broken_controller_and_leaves_nothing),
		setup_test(start_refuses_one_block_under_two_names),
		setup_test(heap_over_a_uio_region_registers_and_allocates),
		setup_test(missing_heap_device_is_enodev_and_registers_nothing),
		fake_test(an_interrupt_fd_without_irqcontrol_stays_polled),
		fake_test(a_failing_interrupt_fd_stops_only_its_own_poll),
	};

	/* libuv opens its process-wide fds (the signal pipe) with the first
	 * loop: let that happen before any test counts fds. */
	if (uv_loop_init(&loop) < 0 || uv_loop_close(&loop) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
