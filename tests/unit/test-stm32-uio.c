/* SPDX-License-Identifier: MIT */
/*
 * The UIO layer (backend/stm32-uio/uio.c) against the fake kernel UIO
 * driver (uio_fake.c): a sysfs tree in the kernel's formats in a temporary
 * directory, temporary files standing in for device memory, eventfds for
 * interrupt fds. Each test checks that it gave back every fd and mapping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "uio.h"
#include "uio_fake.h"

#define PG ((uint64_t)sysconf(_SC_PAGESIZE))

/* Sentinels: outputs must stay untouched on failure. */
#define BAD_PTR ((void *)0x5a5a5a5a)
#define BAD_NUM 0xdeadbeefu

static struct uio_fake *fake;
static const struct uio_env *env;

static int fake_setup(void **state)
{
	assert_int_equal(uio_fake_new(&fake), 0);
	env = uio_fake_env(fake);
	return 0;
}

/* Everything handed out must have been given back. */
static int fake_teardown(void **state)
{
	assert_int_equal(uio_fake_open_fds(fake), 0);
	assert_int_equal(uio_fake_mappings(fake), 0);
	fake = uio_fake_free(fake);
	return 0;
}

#define uio_test(fn) cmocka_unit_test_setup_teardown(fn, fake_setup, fake_teardown)

/* QEMU's edu device as uio_pci_generic registers it (seen in the VM). */
static const struct uio_fake_map edu_bar0 = {
	.name = "0000:00:02.0", .addr = 0xfeb00000, .size = 0x100000, .offset = 0,
};

static void add_plain(unsigned num, const char *name, unsigned flags)
{
	assert_int_equal(uio_fake_add(fake, num, name, "0.01.0", &edu_bar0, 1, flags), 0);
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* ---- Parsing ---------------------------------------------------------------- */

static void parse_hex_accepts_kernel_formats(void **state)
{
	uint64_t v;

	/* %pa on 64-bit: 16 digits. */
	assert_int_equal(uio_parse_hex("0x0000000000100000", &v), 0);
	assert_int_equal(v, 0x100000);
	assert_int_equal(uio_parse_hex("0x00000000feb00000", &v), 0);
	assert_int_equal(v, 0xfeb00000);
	/* %pa on 32-bit ARM: 8 digits. */
	assert_int_equal(uio_parse_hex("0x40020000", &v), 0);
	assert_int_equal(v, 0x40020000);
	/* offset: "0x%llx". */
	assert_int_equal(uio_parse_hex("0x0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(uio_parse_hex("0xffffffffffffffff", &v), 0);
	assert_true(v == UINT64_MAX);
}

static void parse_hex_rejects_anything_else(void **state)
{
	uint64_t v = 7;

	assert_int_equal(uio_parse_hex("", &v), -EINVAL);
	assert_int_equal(uio_parse_hex("0x", &v), -EINVAL);
	assert_int_equal(uio_parse_hex("100000", &v), -EINVAL);
	assert_int_equal(uio_parse_hex("0x12g4", &v), -EINVAL);
	assert_int_equal(uio_parse_hex(" 0x1", &v), -EINVAL);
	assert_int_equal(uio_parse_hex("0x1\n", &v), -EINVAL);
	assert_int_equal(uio_parse_hex("-0x1", &v), -EINVAL);
	assert_int_equal(uio_parse_hex("0x10000000000000000", &v), -ERANGE);
	assert_int_equal(uio_parse_hex(NULL, &v), -EINVAL);
	assert_int_equal(v, 7);
}

static void parse_u32_reads_event_counts(void **state)
{
	uint32_t v = 7;

	assert_int_equal(uio_parse_u32("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(uio_parse_u32("4294967295", &v), 0);
	assert_true(v == UINT32_MAX);
	v = 7;
	assert_int_equal(uio_parse_u32("4294967296", &v), -ERANGE);
	assert_int_equal(uio_parse_u32("-1", &v), -EINVAL);
	assert_int_equal(uio_parse_u32("12a", &v), -EINVAL);
	assert_int_equal(uio_parse_u32("", &v), -EINVAL);
	assert_int_equal(v, 7);
}

/* ---- Discovery ---------------------------------------------------------- */

static void enumerate_lists_devices_in_number_order(void **state)
{
	struct uio_dev_id ids[4];

	add_plain(10, "dma2", 0);
	add_plain(2, "dmamux1", 0);
	add_plain(0, "dma1", 0);
	assert_int_equal(env->ops->enumerate(env->ops_data, env->class_dir, ids, 4), 3);
	assert_int_equal(ids[0].num, 0);
	assert_string_equal(ids[0].name, "dma1");
	assert_int_equal(ids[1].num, 2);
	assert_string_equal(ids[1].name, "dmamux1");
	assert_int_equal(ids[2].num, 10);
	assert_string_equal(ids[2].name, "dma2");
}

static void enumerate_skips_entries_that_are_not_uio_devices(void **state)
{
	const char *junk[] = { "foo", "uio", "uiox", "uio01", "uio-1" };
	char path[4096];
	struct uio_dev_id ids[8];

	add_plain(1, "dma1", 0);
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", env->class_dir, junk[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	assert_int_equal(env->ops->enumerate(env->ops_data, env->class_dir, ids, 8), 1);
	assert_int_equal(ids[0].num, 1);
}

static void enumerate_counts_devices_beyond_max(void **state)
{
	struct uio_dev_id ids[1];

	add_plain(5, "a", 0);
	add_plain(3, "b", 0);
	add_plain(4, "c", 0);
	assert_int_equal(env->ops->enumerate(env->ops_data, env->class_dir, ids, 1), 3);
	assert_int_equal(ids[0].num, 3);
}

static void enumerate_of_missing_class_dir_is_empty(void **state)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/nonexistent", env->class_dir);
	assert_int_equal(uio_enumerate_sysfs(env->ops, env->ops_data, dir, NULL, 0), 0);
}

static void real_enumeration_works_without_udevd(void **state)
{
	/* This host has no udevd (and maybe no UIO): libudev or the sysfs
	 * fallback must still answer, with zero or more devices. */
	assert_true(uio_real_ops.enumerate(NULL, UIO_CLASS_DIR, NULL, 0) >= 0);
	assert_true(uio_enumerate_sysfs(&uio_real_ops, NULL, UIO_CLASS_DIR, NULL, 0) >= 0);
}

static void udev_and_sysfs_enumeration_agree(void **state)
{
	struct uio_dev_id by_udev[16], by_sysfs[16];
	int u = uio_enumerate_udev(by_udev, 16);

	if (u < 0)
		skip();	/* libudev unusable here: the fallback is the answer */
	assert_int_equal(u, uio_enumerate_sysfs(&uio_real_ops, NULL, UIO_CLASS_DIR,
						by_sysfs, 16));
	/* The same devices with the same identities (the syspath is the
	 * target of the class directory's link). */
	for (int i = 0; i < u && i < 16; i++) {
		assert_int_equal(by_udev[i].num, by_sysfs[i].num);
		assert_string_equal(by_udev[i].name, by_sysfs[i].name);
		assert_true(by_udev[i].sys_dev == by_sysfs[i].sys_dev);
		assert_true(by_udev[i].sys_ino == by_sysfs[i].sys_ino);
	}
}

static void sysfs_enumeration_identifies_a_device_by_its_directory(void **state)
{
	/* The real ops over the fake's tree: the identity is what stat()
	 * says of class_dir/uioN. */
	struct uio_dev_id ids[2];
	char path[4096];
	struct stat st;

	add_plain(3, "dma1", 0);
	snprintf(path, sizeof(path), "%s/uio3", env->class_dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(uio_enumerate_sysfs(&uio_real_ops, NULL, env->class_dir, ids, 2), 1);
	assert_int_equal(ids[0].num, 3);
	assert_true(ids[0].sys_dev == (uint64_t)st.st_dev);
	assert_true(ids[0].sys_ino == (uint64_t)st.st_ino);
}

static void real_ops_read_a_sysfs_tree_elsewhere(void **state)
{
	/* The real ops over the fake's tree: real read_attr, and the sysfs
	 * fallback because libudev only knows /sys. */
	struct uio_env real = { &uio_real_ops, NULL, env->class_dir, env->dev_dir };
	struct uio_info info;
	unsigned num = BAD_NUM;

	add_plain(7, "uio_pci_generic", 0);
	assert_int_equal(uio_find_by_name(&real, "uio_pci_generic", &num), 0);
	assert_int_equal(num, 7);
	assert_int_equal(uio_read_info(&real, 7, &info), 0);
	assert_string_equal(info.name, "uio_pci_generic");
	assert_int_equal(info.maps[0].size, 0x100000);
}

static void real_ops_give_a_regular_file_node_no_irq(void **state)
{
	char path[] = "/tmp/uio-node-XXXXXX";
	uint32_t regs[4] = { 7, 8, 9, 10 }, back[4], count = BAD_NUM;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, regs, sizeof(regs)), sizeof(regs));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(uio_real_ops.read_irq(NULL, fd, &count), -EIO);
	assert_int_equal(uio_real_ops.enable_irq(NULL, fd, true), -EIO);
	assert_int_equal(count, BAD_NUM);
	/* Neither moved the position nor wrote anything. */
	assert_int_equal(read(fd, back, sizeof(back)), sizeof(back));
	assert_memory_equal(back, regs, sizeof(regs));
	close(fd);
}

static void find_by_name_picks_the_lowest_number(void **state)
{
	unsigned num = BAD_NUM;

	add_plain(3, "dma-stream", 0);
	add_plain(1, "dma-stream", 0);
	add_plain(0, "other", 0);
	assert_int_equal(uio_find_by_name(env, "dma-stream", &num), 0);
	assert_int_equal(num, 1);
}

static void find_by_name_of_an_absent_device_is_enodev(void **state)
{
	unsigned num = BAD_NUM;

	add_plain(0, "dma1", 0);
	assert_int_equal(uio_find_by_name(env, "dma2", &num), -ENODEV);
	assert_int_equal(uio_find_by_name(env, "dma", &num), -ENODEV);	/* no prefix match */
	assert_int_equal(num, BAD_NUM);
}

static void enumeration_errors_propagate(void **state)
{
	unsigned num = BAD_NUM;

	add_plain(0, "dma1", 0);
	uio_fake_fail_next(fake, UIO_FAKE_OP_ENUMERATE, -EACCES);
	assert_int_equal(uio_find_by_name(env, "dma1", &num), -EACCES);
	uio_fake_fail_next(fake, UIO_FAKE_OP_READ_ATTR, -EIO);
	assert_int_equal(uio_find_by_name(env, "dma1", &num), -EIO);
	assert_int_equal(num, BAD_NUM);
}

/* ---- sysfs description ---------------------------------------------------- */

static void read_info_parses_the_kernel_formats(void **state)
{
	/* map1 as uio_pdrv_genirq registers DMA2 on H7: page-aligned addr,
	 * in-page offset, size rounded to the page. */
	const struct uio_fake_map maps[2] = {
		edu_bar0,
		{ .name = "dma2", .addr = 0x40020000, .size = PG, .offset = 0x400 },
	};
	struct uio_info info;

	assert_int_equal(uio_fake_add(fake, 4, "dma-controller@40020400", "devicetree", maps, 2,
				      UIO_FAKE_IRQ), 0);
	assert_int_equal(uio_read_info(env, 4, &info), 0);
	assert_int_equal(info.num, 4);
	assert_string_equal(info.name, "dma-controller@40020400");
	assert_string_equal(info.version, "devicetree");
	assert_int_equal(info.nr_maps, 2);
	assert_string_equal(info.maps[0].name, "0000:00:02.0");
	assert_int_equal(info.maps[0].addr, 0xfeb00000);
	assert_int_equal(info.maps[0].size, 0x100000);
	assert_int_equal(info.maps[0].offset, 0);
	assert_string_equal(info.maps[1].name, "dma2");
	assert_int_equal(info.maps[1].addr, 0x40020000);
	assert_int_equal(info.maps[1].size, PG);
	assert_int_equal(info.maps[1].offset, 0x400);
}

static void read_info_accepts_32_bit_kernel_addresses(void **state)
{
	struct uio_info info;

	add_plain(0, "dma1", 0);
	assert_int_equal(uio_fake_write_attr(fake, 0, "maps/map0/addr", "0x40020000\n"), 0);
	assert_int_equal(uio_fake_write_attr(fake, 0, "maps/map0/size", "0x00001000\n"), 0);
	assert_int_equal(uio_read_info(env, 0, &info), 0);
	assert_int_equal(info.maps[0].addr, 0x40020000);
	assert_int_equal(info.maps[0].size, 0x1000);
}

static void read_info_of_a_device_without_maps(void **state)
{
	struct uio_info info;

	assert_int_equal(uio_fake_add(fake, 0, "irq-only", NULL, NULL, 0, UIO_FAKE_IRQ), 0);
	assert_int_equal(uio_read_info(env, 0, &info), 0);
	assert_int_equal(info.nr_maps, 0);
}

static void read_info_of_an_absent_device_is_enodev(void **state)
{
	struct uio_info info = { .num = BAD_NUM };

	assert_int_equal(uio_read_info(env, 9, &info), -ENODEV);
	assert_int_equal(info.num, BAD_NUM);
}

static void read_info_rejects_malformed_attributes(void **state)
{
	static const struct {
		const char *rel, *text;
	} bad[] = {
		{ "maps/map0/size", "0x12z\n" },
		{ "maps/map0/size", "1048576\n" },
		{ "maps/map0/size", "0x0000000000000000\n" },	/* empty map */
		{ "maps/map0/offset", "0x100000\n" },		/* offset >= size */
		{ "maps/map0/addr", "\n" },
		{ "maps/map0/addr", "0x00000000000000000000000000000000000000000000000000000000000000001\n" },
	};
	struct uio_info info = { .num = BAD_NUM };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		add_plain(0, "dma1", 0);
		assert_int_equal(uio_fake_write_attr(fake, 0, bad[i].rel, bad[i].text), 0);
		assert_int_equal(uio_read_info(env, 0, &info), -EINVAL);
		assert_int_equal(info.num, BAD_NUM);
		assert_int_equal(uio_fake_remove(fake, 0), 0);
	}
}

static void read_info_passes_read_errors_on(void **state)
{
	struct uio_info info;

	add_plain(0, "dma1", 0);
	uio_fake_fail_next(fake, UIO_FAKE_OP_READ_ATTR, -EACCES);
	assert_int_equal(uio_read_info(env, 0, &info), -EACCES);
}

static void read_info_refuses_an_overlong_name(void **state)
{
	char name[UIO_NAME_MAX + 8];
	struct uio_info info;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	add_plain(0, name, 0);
	assert_int_equal(uio_read_info(env, 0, &info), -EOVERFLOW);
}

/* ---- Devices and maps ---------------------------------------------------------- */

static void device_new_opens_the_node_and_reads_sysfs(void **state)
{
	struct uio_device *dev = NULL;

	add_plain(0, "uio_pci_generic", UIO_FAKE_IRQ);
	assert_int_equal(uio_device_new_by_name(env, "uio_pci_generic", &dev), 0);
	assert_true(uio_device_fd(dev) >= 0);
	assert_int_equal(uio_fake_open_fds(fake), 1);
	assert_string_equal(uio_device_info(dev)->name, "uio_pci_generic");
	assert_string_equal(uio_device_info(dev)->version, "0.01.0");
	assert_int_equal(uio_device_info(dev)->nr_maps, 1);
	assert_null(uio_device_unref(dev));
	assert_int_equal(uio_fake_open_fds(fake), 0);
}

static void device_new_of_an_absent_device_is_enodev(void **state)
{
	struct uio_device *dev = BAD_PTR;

	assert_int_equal(uio_device_new(env, 0, &dev), -ENODEV);
	assert_int_equal(uio_device_new_by_name(env, "dma1", &dev), -ENODEV);
	assert_ptr_equal(dev, BAD_PTR);
}

static void device_new_open_failure_leaves_nothing_behind(void **state)
{
	struct uio_device *dev = BAD_PTR;

	add_plain(0, "dma1", UIO_FAKE_IRQ);
	uio_fake_fail_next(fake, UIO_FAKE_OP_OPEN, -EACCES);
	assert_int_equal(uio_device_new(env, 0, &dev), -EACCES);
	assert_ptr_equal(dev, BAD_PTR);
	assert_int_equal(uio_fake_open_fds(fake), 0);
}

static void device_new_checks_its_arguments(void **state)
{
	struct uio_env broken = *env;
	struct uio_device *dev = BAD_PTR;

	assert_int_equal(uio_device_new(NULL, 0, &dev), -EINVAL);
	assert_int_equal(uio_device_new(env, 0, NULL), -EINVAL);
	broken.ops = NULL;
	assert_int_equal(uio_device_new(&broken, 0, &dev), -EINVAL);
	assert_ptr_equal(dev, BAD_PTR);
	assert_null(uio_device_unref(NULL));
}

static void map_gives_the_bar_of_the_device(void **state)
{
	struct uio_device *dev;
	void *addr = NULL;
	size_t len = 0;
	volatile uint32_t *regs;
	uint32_t *mem;

	add_plain(0, "uio_pci_generic", UIO_FAKE_IRQ);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_device_map(dev, 0, &addr, &len), 0);
	assert_int_equal(len, 0x100000);
	assert_int_equal(uio_fake_mappings(fake), 1);
	regs = addr;
	mem = uio_fake_map_mem(fake, 0, 0);
	regs[0x04 / 4] = 0x12345678;		/* CPU writes, device sees */
	assert_int_equal(mem[0x04 / 4], 0x12345678);
	mem[0x00] = 0x010000ed;			/* device value, CPU reads */
	assert_int_equal(regs[0x00], 0x010000ed);
	regs[0xffffc / 4] = 1;			/* the last word is in the map */
	assert_int_equal(mem[0xffffc / 4], 1);
	uio_device_unref(dev);
	assert_int_equal(uio_fake_mappings(fake), 0);
}

static void map_adds_the_sub_page_offset(void **state)
{
	/* uio_pdrv_genirq style: addr page-aligned, offset in the page, size
	 * page-rounded (offset + length). */
	const struct uio_fake_map m = { "dma2", 0x40020000, PG, 0x400 };
	struct uio_device *dev;
	void *addr;
	size_t len;
	uint8_t *mem;

	assert_int_equal(uio_fake_add(fake, 0, "dma2", NULL, &m, 1, 0), 0);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_device_map(dev, 0, &addr, &len), 0);
	assert_int_equal(len, PG - 0x400);
	mem = uio_fake_map_mem(fake, 0, 0);
	*(volatile uint32_t *)addr = 0xa5a5a5a5;
	assert_int_equal(*(uint32_t *)(mem + 0x400), 0xa5a5a5a5);
	uio_device_unref(dev);
}

static void map_of_an_unaligned_address_adds_its_in_page_part(void **state)
{
	/* Older drivers: addr not page-aligned, offset 0. */
	const struct uio_fake_map m = { "dmamux1", 0x40020800, 0x400, 0 };
	struct uio_device *dev;
	void *addr;
	size_t len;
	uint8_t *mem;

	assert_int_equal(uio_fake_add(fake, 0, "dmamux1", NULL, &m, 1, 0), 0);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_device_map(dev, 0, &addr, &len), 0);
	assert_int_equal(len, 0x400);
	mem = uio_fake_map_mem(fake, 0, 0);
	*(volatile uint32_t *)addr = 0x5a;
	assert_int_equal(*(uint32_t *)(mem + 0x800), 0x5a);
	uio_device_unref(dev);
}

static void map_n_is_selected_by_offset_n_pages(void **state)
{
	const struct uio_fake_map maps[3] = {
		{ "a", 0x10000000, PG, 0 },
		{ "b", 0x20000000, 2 * PG, 0 },
		{ "c", 0x30000000, PG, 0 },
	};
	struct uio_device *dev;
	void *addr;
	size_t len;

	assert_int_equal(uio_fake_add(fake, 0, "multi", NULL, maps, 3, 0), 0);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_device_map(dev, 2, &addr, &len), 0);
	*(volatile uint32_t *)addr = 2;
	assert_int_equal(*(uint32_t *)uio_fake_map_mem(fake, 0, 2), 2);
	assert_int_equal(uio_device_map(dev, 1, &addr, &len), 0);
	assert_int_equal(len, 2 * PG);
	*(volatile uint32_t *)addr = 1;
	assert_int_equal(*(uint32_t *)uio_fake_map_mem(fake, 0, 1), 1);
	assert_int_equal(*(uint32_t *)uio_fake_map_mem(fake, 0, 0), 0);
	uio_device_unref(dev);
}

static void mapping_twice_returns_the_same_mapping(void **state)
{
	struct uio_device *dev;
	void *a, *b;
	size_t la, lb;

	add_plain(0, "edu", 0);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_device_map(dev, 0, &a, &la), 0);
	assert_int_equal(uio_device_map(dev, 0, &b, &lb), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(la, lb);
	assert_int_equal(uio_fake_mappings(fake), 1);
	assert_int_equal(uio_device_unmap(dev, 0), 0);
	assert_int_equal(uio_fake_mappings(fake), 0);
	assert_int_equal(uio_device_unmap(dev, 0), 0);	/* idempotent */
	uio_device_unref(dev);
}

static void map_beyond_the_last_map_is_einval(void **state)
{
	struct uio_device *dev;
	void *addr = BAD_PTR;
	size_t len = 3;

	add_plain(0, "edu", 0);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_device_map(dev, 1, &addr, &len), -EINVAL);
	assert_int_equal(uio_device_map(dev, UIO_MAX_MAPS, &addr, &len), -EINVAL);
	assert_ptr_equal(addr, BAD_PTR);
	assert_int_equal(len, 3);
	uio_device_unref(dev);
}

static void map_failure_is_reported_and_retry_works(void **state)
{
	struct uio_device *dev;
	void *addr = BAD_PTR;
	size_t len = 3;

	add_plain(0, "edu", 0);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	uio_fake_fail_next(fake, UIO_FAKE_OP_MMAP, -ENOMEM);
	assert_int_equal(uio_device_map(dev, 0, &addr, &len), -ENOMEM);
	assert_ptr_equal(addr, BAD_PTR);
	assert_int_equal(uio_fake_mappings(fake), 0);
	assert_int_equal(uio_device_map(dev, 0, &addr, &len), 0);
	uio_device_unref(dev);
}

static void munmap_failure_still_forgets_the_mapping(void **state)
{
	struct uio_device *dev;
	void *addr;
	size_t len;

	add_plain(0, "edu", 0);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_device_map(dev, 0, &addr, &len), 0);
	uio_fake_fail_next(fake, UIO_FAKE_OP_MUNMAP, -EINVAL);
	assert_int_equal(uio_device_unmap(dev, 0), -EINVAL);
	assert_int_equal(uio_fake_mappings(fake), 0);
	uio_device_unref(dev);
}

static void last_unref_unmaps_and_closes(void **state)
{
	struct uio_device *dev;
	void *addr;
	size_t len;

	add_plain(0, "edu", 0);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_device_map(dev, 0, &addr, &len), 0);
	assert_ptr_equal(uio_device_ref(dev), dev);
	assert_null(uio_device_unref(dev));
	assert_int_equal(uio_fake_mappings(fake), 1);	/* one reference left */
	assert_int_equal(uio_fake_open_fds(fake), 1);
	assert_null(uio_device_unref(dev));
	assert_int_equal(uio_fake_mappings(fake), 0);
	assert_int_equal(uio_fake_open_fds(fake), 0);
}

/* ---- Interrupts ------------------------------------------------------------- */

static void interrupt_makes_the_fd_readable_until_acked(void **state)
{
	struct uio_device *dev;
	uint32_t ev = BAD_NUM;

	add_plain(0, "edu", UIO_FAKE_IRQ);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_false(readable(uio_device_fd(dev)));
	assert_int_equal(uio_fake_raise_irq(fake, 0), 0);
	assert_true(readable(uio_device_fd(dev)));
	assert_int_equal(uio_irq_ack(dev, &ev), 0);
	assert_int_equal(ev, 1);
	assert_int_equal(uio_irq_count(dev), 1);
	assert_false(readable(uio_device_fd(dev)));
	uio_device_unref(dev);
}

static void ack_without_an_interrupt_is_eagain(void **state)
{
	struct uio_device *dev;
	uint32_t ev = BAD_NUM;

	add_plain(0, "edu", UIO_FAKE_IRQ);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_irq_ack(dev, &ev), -EAGAIN);
	assert_int_equal(ev, BAD_NUM);
	uio_device_unref(dev);
}

static void count_jump_reports_missed_interrupts(void **state)
{
	struct uio_device *dev;
	uint32_t ev;

	add_plain(0, "edge", UIO_FAKE_IRQ);	/* no automask: every raise counts */
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(uio_fake_raise_irq(fake, 0), 0);
	assert_int_equal(uio_irq_ack(dev, &ev), 0);
	assert_int_equal(ev, 3);
	assert_int_equal(uio_irq_missed(dev), 2);
	assert_int_equal(uio_fake_raise_irq(fake, 0), 0);
	assert_int_equal(uio_irq_ack(dev, &ev), 0);
	assert_int_equal(ev, 1);
	assert_int_equal(uio_irq_missed(dev), 2);
	uio_device_unref(dev);
}

static void first_ack_counts_from_the_sysfs_event_baseline(void **state)
{
	struct uio_device *dev;
	uint32_t ev;

	add_plain(0, "edge", UIO_FAKE_IRQ);
	for (int i = 0; i < 5; i++)	/* before anyone listens */
		assert_int_equal(uio_fake_raise_irq(fake, 0), 0);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_irq_ack(dev, &ev), -EAGAIN);	/* old ones are not news */
	assert_int_equal(uio_fake_raise_irq(fake, 0), 0);
	assert_int_equal(uio_irq_ack(dev, &ev), 0);
	assert_int_equal(ev, 1);
	assert_int_equal(uio_irq_count(dev), 6);
	assert_int_equal(uio_irq_missed(dev), 0);
	uio_device_unref(dev);
}

static void masked_line_needs_reenable_to_deliver(void **state)
{
	struct uio_device *dev;
	uint32_t ev;

	add_plain(0, "uio_pci_generic", UIO_FAKE_IRQ | UIO_FAKE_AUTOMASK);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_fake_raise_irq(fake, 0), 0);
	assert_int_equal(uio_irq_ack(dev, &ev), 0);
	assert_false(uio_fake_irq_unmasked(fake, 0));
	/* Raised while masked: pending, not delivered. */
	assert_int_equal(uio_fake_raise_irq(fake, 0), 0);
	assert_false(readable(uio_device_fd(dev)));
	assert_int_equal(uio_irq_ack(dev, &ev), -EAGAIN);
	assert_int_equal(uio_irq_enable(dev), 0);
	assert_true(readable(uio_device_fd(dev)));
	assert_int_equal(uio_irq_ack(dev, &ev), 0);
	assert_int_equal(ev, 1);
	assert_int_equal(uio_irq_enable(dev), 0);
	assert_true(uio_fake_irq_unmasked(fake, 0));
	assert_int_equal(uio_irq_disable(dev), 0);
	assert_false(uio_fake_irq_unmasked(fake, 0));
	uio_device_unref(dev);
}

static void device_without_irq_answers_eio(void **state)
{
	struct uio_device *dev;
	uint32_t ev = BAD_NUM;

	add_plain(0, "no-irq", 0);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_irq_ack(dev, &ev), -EIO);
	assert_int_equal(uio_irq_enable(dev), -EIO);
	assert_int_equal(uio_irq_wait(dev, 10, &ev), -EIO);
	assert_int_equal(ev, BAD_NUM);
	assert_int_equal(uio_fake_raise_irq(fake, 0), -EIO);
	uio_device_unref(dev);
}

static void enable_without_irqcontrol_is_enosys(void **state)
{
	struct uio_device *dev;

	add_plain(0, "no-irqcontrol", UIO_FAKE_IRQ | UIO_FAKE_NO_IRQCONTROL);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_irq_enable(dev), -ENOSYS);
	uio_device_unref(dev);
}

static void pci_generic_line_is_unmasked_through_config_space(void **state)
{
	struct uio_device *dev;
	uint32_t ev;

	add_plain(0, "uio_pci_generic", UIO_FAKE_PCI_GENERIC);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_fake_pci_command(fake, 0) & 0x400, 0);
	assert_int_equal(uio_fake_raise_irq(fake, 0), 0);
	assert_int_equal(uio_irq_ack(dev, &ev), 0);
	/* The handler set INTx-disable; a second interrupt is held back. */
	assert_int_equal(uio_fake_pci_command(fake, 0) & 0x400, 0x400);
	assert_int_equal(uio_fake_raise_irq(fake, 0), 0);
	assert_int_equal(uio_irq_ack(dev, &ev), -EAGAIN);
	/* write(1) is -ENOSYS there: the layer clears the bit instead, and
	 * the held-back interrupt arrives (and masks the line again). */
	assert_int_equal(uio_irq_enable(dev), 0);
	assert_int_equal(uio_irq_ack(dev, &ev), 0);
	assert_int_equal(ev, 1);
	assert_int_equal(uio_fake_pci_command(fake, 0) & 0x400, 0x400);
	assert_int_equal(uio_irq_enable(dev), 0);
	assert_int_equal(uio_fake_pci_command(fake, 0) & 0x400, 0);
	assert_true(uio_fake_irq_unmasked(fake, 0));
	assert_int_equal(uio_irq_disable(dev), 0);
	assert_int_equal(uio_fake_pci_command(fake, 0) & 0x400, 0x400);
	assert_false(uio_fake_irq_unmasked(fake, 0));
	uio_device_unref(dev);
}

static void config_space_is_used_directly_once_found(void **state)
{
	struct uio_device *dev;

	add_plain(0, "uio_pci_generic", UIO_FAKE_PCI_GENERIC);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_irq_enable(dev), 0);
	/* A failure injected into write() is not seen: no write any more. */
	uio_fake_fail_next(fake, UIO_FAKE_OP_ENABLE_IRQ, -EINVAL);
	assert_int_equal(uio_irq_enable(dev), 0);
	uio_fake_fail_next(fake, UIO_FAKE_OP_PCI_INTX, -EIO);
	assert_int_equal(uio_irq_enable(dev), -EIO);
	uio_device_unref(dev);
}

static void real_pci_intx_changes_only_the_intx_disable_bit(void **state)
{
	char path[4096];
	uint8_t cfg[64] = { 0 }, out[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/config", env->class_dir);
	cfg[4] = 0x07;		/* IO, memory, bus master */
	cfg[5] = 0x05;		/* SERR#, INTx-disable */
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(cfg, 1, sizeof(cfg), f), sizeof(cfg));
	fclose(f);
	assert_int_equal(uio_real_ops.pci_intx(NULL, path, true), 0);
	f = fopen(path, "r");
	assert_int_equal(fread(out, 1, sizeof(out), f), sizeof(out));
	fclose(f);
	assert_int_equal(out[4], 0x07);
	assert_int_equal(out[5], 0x01);
	assert_memory_equal(out + 6, cfg + 6, sizeof(cfg) - 6);
	assert_int_equal(uio_real_ops.pci_intx(NULL, path, false), 0);
	f = fopen(path, "r");
	assert_int_equal(fread(out, 1, sizeof(out), f), sizeof(out));
	fclose(f);
	assert_memory_equal(out, cfg, sizeof(cfg));
	snprintf(path, sizeof(path), "%s/missing", env->class_dir);
	assert_int_equal(uio_real_ops.pci_intx(NULL, path, true), -ENOENT);
}

static void irq_errors_propagate(void **state)
{
	struct uio_device *dev;
	uint32_t ev = BAD_NUM;

	add_plain(0, "edu", UIO_FAKE_IRQ);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_fake_raise_irq(fake, 0), 0);
	uio_fake_fail_next(fake, UIO_FAKE_OP_READ_IRQ, -EINTR);
	assert_int_equal(uio_irq_ack(dev, &ev), -EINTR);
	assert_int_equal(ev, BAD_NUM);
	assert_int_equal(uio_irq_count(dev), 0);
	uio_fake_fail_next(fake, UIO_FAKE_OP_ENABLE_IRQ, -EINVAL);
	assert_int_equal(uio_irq_enable(dev), -EINVAL);
	assert_int_equal(uio_irq_ack(dev, &ev), 0);	/* still there */
	assert_int_equal(ev, 1);
	uio_device_unref(dev);
}

static void wait_returns_a_pending_interrupt(void **state)
{
	struct uio_device *dev;
	uint32_t ev = 0;

	add_plain(0, "edu", UIO_FAKE_IRQ);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_fake_raise_irq(fake, 0), 0);
	assert_int_equal(uio_irq_wait(dev, 1000, &ev), 0);
	assert_int_equal(ev, 1);
	uio_device_unref(dev);
}

static void wait_times_out(void **state)
{
	struct uio_device *dev;
	struct timespec a, b;
	uint32_t ev = BAD_NUM;
	long ms;

	add_plain(0, "edu", UIO_FAKE_IRQ);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(uio_irq_wait(dev, 50, &ev), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(ms >= 45 && ms < 5000);
	assert_int_equal(ev, BAD_NUM);
	assert_int_equal(uio_irq_wait(dev, -1, &ev), -EINVAL);	/* never forever */
	uio_device_unref(dev);
}

static void removed_device_answers_eio(void **state)
{
	struct uio_device *dev;
	uint32_t ev;

	add_plain(0, "edu", UIO_FAKE_IRQ);
	assert_int_equal(uio_device_new(env, 0, &dev), 0);
	assert_int_equal(uio_fake_remove(fake, 0), 0);
	assert_int_equal(uio_irq_ack(dev, &ev), -EIO);
	assert_int_equal(uio_irq_enable(dev), -EIO);
	uio_device_unref(dev);
}

/* ---- Hotplug ------------------------------------------------------------------ */

struct seen {
	int n;
	enum uio_event ev[8];
	unsigned num[8];
	char name[8][UIO_NAME_MAX];
	uint64_t ino[8];
};

static void record(void *userdata, enum uio_event event, const struct uio_dev_id *id)
{
	struct seen *s = userdata;

	assert_true(s->n < 8);
	s->ev[s->n] = event;
	s->num[s->n] = id->num;
	snprintf(s->name[s->n], UIO_NAME_MAX, "%s", id->name);
	s->ino[s->n] = id->sys_ino;
	s->n++;
}

static const char *const dma_names[] = { "dma1", "dma2" };

static void first_rescan_reports_present_wanted_devices(void **state)
{
	struct uio_watch *w;
	struct seen s = { 0 };

	add_plain(0, "dma1", 0);
	add_plain(1, "other", 0);
	add_plain(2, "dma2", 0);
	assert_int_equal(uio_watch_new(env, dma_names, 2, &w), 0);
	assert_int_equal(uio_watch_rescan(w, record, &s), 2);
	assert_int_equal(s.ev[0], UIO_EVENT_ADD);
	assert_int_equal(s.num[0], 0);
	assert_string_equal(s.name[0], "dma1");
	assert_int_equal(s.ev[1], UIO_EVENT_ADD);
	assert_int_equal(s.num[1], 2);
	uio_watch_free(w);
}

static void rescan_without_change_reports_nothing(void **state)
{
	struct uio_watch *w;
	struct seen s = { 0 };

	add_plain(0, "dma1", 0);
	assert_int_equal(uio_watch_new(env, dma_names, 2, &w), 0);
	assert_int_equal(uio_watch_rescan(w, record, &s), 1);
	assert_int_equal(uio_watch_rescan(w, record, &s), 0);
	assert_int_equal(s.n, 1);
	uio_watch_free(w);
}

static void rescan_reports_a_device_that_appeared(void **state)
{
	struct uio_watch *w;
	struct seen s = { 0 };

	assert_int_equal(uio_watch_new(env, dma_names, 2, &w), 0);
	assert_int_equal(uio_watch_rescan(w, record, &s), 0);
	add_plain(3, "dma2", 0);
	add_plain(4, "not-wanted", 0);
	assert_int_equal(uio_watch_rescan(w, record, &s), 1);
	assert_int_equal(s.ev[0], UIO_EVENT_ADD);
	assert_int_equal(s.num[0], 3);
	uio_watch_free(w);
}

static void rescan_reports_a_device_that_went_away(void **state)
{
	struct uio_watch *w;
	struct seen s = { 0 };

	add_plain(0, "dma1", 0);
	add_plain(1, "dma2", 0);
	assert_int_equal(uio_watch_new(env, dma_names, 2, &w), 0);
	assert_int_equal(uio_watch_rescan(w, record, &s), 2);
	assert_int_equal(uio_fake_remove(fake, 0), 0);
	assert_int_equal(uio_watch_rescan(w, record, &s), 1);
	assert_int_equal(s.ev[2], UIO_EVENT_REMOVE);
	assert_int_equal(s.num[2], 0);
	assert_string_equal(s.name[2], "dma1");
	uio_watch_free(w);
}

static void reused_number_is_a_remove_then_an_add(void **state)
{
	struct uio_watch *w;
	struct seen s = { 0 };

	add_plain(2, "dma2", 0);
	assert_int_equal(uio_watch_new(env, dma_names, 2, &w), 0);
	assert_int_equal(uio_watch_rescan(w, record, &s), 1);
	assert_int_equal(uio_fake_remove(fake, 2), 0);
	add_plain(2, "dma1", 0);
	assert_int_equal(uio_watch_rescan(w, record, &s), 2);
	assert_int_equal(s.ev[1], UIO_EVENT_REMOVE);
	assert_string_equal(s.name[1], "dma2");
	assert_int_equal(s.ev[2], UIO_EVENT_ADD);
	assert_string_equal(s.name[2], "dma1");
	uio_watch_free(w);
}

static void same_number_and_name_with_a_new_identity_is_a_remove_then_an_add(void **state)
{
	struct uio_watch *w;
	struct seen s = { 0 };

	/* Unbound and bound again between two rescans: the kernel gives the
	 * lowest free number, the same one, and the name is the same. */
	add_plain(0, "dma1", 0);
	assert_int_equal(uio_watch_new(env, dma_names, 2, &w), 0);
	assert_int_equal(uio_watch_rescan(w, record, &s), 1);
	assert_int_equal(uio_fake_remove(fake, 0), 0);
	add_plain(0, "dma1", 0);
	assert_int_equal(uio_watch_rescan(w, record, &s), 2);
	assert_int_equal(s.ev[1], UIO_EVENT_REMOVE);
	assert_int_equal(s.num[1], 0);
	assert_string_equal(s.name[1], "dma1");
	assert_true(s.ino[1] == s.ino[0]);
	assert_int_equal(s.ev[2], UIO_EVENT_ADD);
	assert_int_equal(s.num[2], 0);
	assert_string_equal(s.name[2], "dma1");
	assert_true(s.ino[2] != s.ino[0]);
	assert_int_equal(uio_watch_rescan(w, record, &s), 0);
	uio_watch_free(w);
}

static void failed_rescan_keeps_what_was_known(void **state)
{
	struct uio_watch *w;
	struct seen s = { 0 };

	add_plain(0, "dma1", 0);
	assert_int_equal(uio_watch_new(env, dma_names, 2, &w), 0);
	assert_int_equal(uio_watch_rescan(w, record, &s), 1);
	uio_fake_fail_next(fake, UIO_FAKE_OP_ENUMERATE, -EIO);
	assert_int_equal(uio_watch_rescan(w, record, &s), -EIO);
	assert_int_equal(uio_watch_rescan(w, record, &s), 0);
	assert_int_equal(s.n, 1);
	uio_watch_free(w);
}

static void watch_new_checks_its_arguments(void **state)
{
	const char *const with_null[] = { "dma1", NULL };
	struct uio_watch *w = BAD_PTR;

	assert_int_equal(uio_watch_new(env, dma_names, 0, &w), -EINVAL);
	assert_int_equal(uio_watch_new(env, NULL, 1, &w), -EINVAL);
	assert_int_equal(uio_watch_new(env, with_null, 2, &w), -EINVAL);
	assert_ptr_equal(w, BAD_PTR);
	assert_null(uio_watch_free(NULL));
}

static void kernel_monitor_gives_a_pollable_fd(void **state)
{
	struct uio_monitor *m = NULL;
	int r = uio_monitor_new(&m);

	if (r < 0)
		skip();	/* no netlink here: the daemon rescans periodically */
	assert_true(uio_monitor_fd(m) >= 0);
	assert_int_equal(uio_monitor_receive(m), 0);	/* nothing queued: no block */
	assert_null(uio_monitor_free(m));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_hex_accepts_kernel_formats),
		cmocka_unit_test(parse_hex_rejects_anything_else),
		cmocka_unit_test(parse_u32_reads_event_counts),
		uio_test(enumerate_lists_devices_in_number_order),
		uio_test(enumerate_skips_entries_that_are_not_uio_devices),
		uio_test(enumerate_counts_devices_beyond_max),
		uio_test(enumerate_of_missing_class_dir_is_empty),
		cmocka_unit_test(real_enumeration_works_without_udevd),
		cmocka_unit_test(udev_and_sysfs_enumeration_agree),
		uio_test(real_ops_read_a_sysfs_tree_elsewhere),
		uio_test(sysfs_enumeration_identifies_a_device_by_its_directory),
		cmocka_unit_test(real_ops_give_a_regular_file_node_no_irq),
		uio_test(find_by_name_picks_the_lowest_number),
		uio_test(find_by_name_of_an_absent_device_is_enodev),
		uio_test(enumeration_errors_propagate),
		uio_test(read_info_parses_the_kernel_formats),
		uio_test(read_info_accepts_32_bit_kernel_addresses),
		uio_test(read_info_of_a_device_without_maps),
		uio_test(read_info_of_an_absent_device_is_enodev),
		uio_test(read_info_rejects_malformed_attributes),
		uio_test(read_info_passes_read_errors_on),
		uio_test(read_info_refuses_an_overlong_name),
		uio_test(device_new_opens_the_node_and_reads_sysfs),
		uio_test(device_new_of_an_absent_device_is_enodev),
		uio_test(device_new_open_failure_leaves_nothing_behind),
		uio_test(device_new_checks_its_arguments),
		uio_test(map_gives_the_bar_of_the_device),
		uio_test(map_adds_the_sub_page_offset),
		uio_test(map_of_an_unaligned_address_adds_its_in_page_part),
		uio_test(map_n_is_selected_by_offset_n_pages),
		uio_test(mapping_twice_returns_the_same_mapping),
		uio_test(map_beyond_the_last_map_is_einval),
		uio_test(map_failure_is_reported_and_retry_works),
		uio_test(munmap_failure_still_forgets_the_mapping),
		uio_test(last_unref_unmaps_and_closes),
		uio_test(interrupt_makes_the_fd_readable_until_acked),
		uio_test(ack_without_an_interrupt_is_eagain),
		uio_test(count_jump_reports_missed_interrupts),
		uio_test(first_ack_counts_from_the_sysfs_event_baseline),
		uio_test(masked_line_needs_reenable_to_deliver),
		uio_test(device_without_irq_answers_eio),
		uio_test(enable_without_irqcontrol_is_enosys),
		uio_test(pci_generic_line_is_unmasked_through_config_space),
		uio_test(config_space_is_used_directly_once_found),
		uio_test(real_pci_intx_changes_only_the_intx_disable_bit),
		uio_test(irq_errors_propagate),
		uio_test(wait_returns_a_pending_interrupt),
		uio_test(wait_times_out),
		uio_test(removed_device_answers_eio),
		uio_test(first_rescan_reports_present_wanted_devices),
		uio_test(rescan_without_change_reports_nothing),
		uio_test(rescan_reports_a_device_that_appeared),
		uio_test(rescan_reports_a_device_that_went_away),
		uio_test(reused_number_is_a_remove_then_an_add),
		uio_test(same_number_and_name_with_a_new_identity_is_a_remove_then_an_add),
		uio_test(failed_rescan_keeps_what_was_known),
		uio_test(watch_new_checks_its_arguments),
		cmocka_unit_test(kernel_monitor_gives_a_pollable_fd),
	};

	return cmocka_run_group_tests_name("stm32-uio", tests, NULL, NULL);
}
