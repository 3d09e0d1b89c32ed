/* SPDX-License-Identifier: MIT */
/*
 * uio - see uio.h. The real ops are thin wrappers over the syscalls and
 * libudev; everything above them (sysfs formats, map arithmetic, event
 * counting, hotplug bookkeeping) goes through struct uio_ops only, so the
 * same code runs against the fake in the unit tests.
 *
 * A uio_device is reference counted; its fd and mappings live until the
 * last unref. Single-threaded: the caller serialises all calls on one
 * device, watch or monitor.
 */
#include "uio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/macros.h"

/* ---- Real ops ------------------------------------------------------------ */

static int real_open(void *data, const char *path)
{
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static void real_close(void *data, int fd)
{
	(void)close(fd);
}

static int real_mmap(void *data, int fd, size_t len, off_t offset, void **ret_addr)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);

	if (p == MAP_FAILED)
		return -errno;
	*ret_addr = p;
	return 0;
}

static int real_munmap(void *data, void *addr, size_t len)
{
	return munmap(addr, len) < 0 ? -errno : 0;
}

/*
 * A regular file standing in for the device node (a UIO tree built on disk
 * for tests or board bring-up: it mmaps like the node does) has no
 * interrupt: a read would return register bytes as a count and a write
 * would land in the registers. One fstat per call; interrupts cost more.
 */
static bool fd_is_regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static int real_read_irq(void *data, int fd, uint32_t *ret_count)
{
	uint32_t count;
	ssize_t n;

	if (fd_is_regular(fd))
		return -EIO;
	do
		n = read(fd, &count, sizeof(count));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != sizeof(count))
		return -EIO;
	*ret_count = count;
	return 0;
}

static int real_enable_irq(void *data, int fd, bool enable)
{
	int32_t v = enable ? 1 : 0;
	ssize_t n;

	if (fd_is_regular(fd))
		return -EIO;
	do
		n = write(fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(v) ? 0 : -EIO;
}

static int real_read_attr(void *data, const char *path, char *buf, size_t size)
{
	_cleanup_free_ char *tmp = NULL;
	size_t len = 0;
	int fd, r = 0;

	if (!path || !buf || size < 1 || size > INT_MAX)
		return -EINVAL;
	/* One byte more than fits tells an overflow from an exact fit. */
	tmp = malloc(size + 1);
	if (!tmp)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size + 1) {
		ssize_t n = read(fd, tmp + len, size + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	(void)close(fd);
	if (r < 0)
		return r;
	if (len > 0 && tmp[len - 1] == '\n')
		len--;
	if (len >= size)
		return -EOVERFLOW;
	memcpy(buf, tmp, len);
	buf[len] = '\0';
	return (int)len;
}

static int real_pci_intx(void *data, const char *config_path, bool enable)
{
	uint8_t cmd[2];
	uint16_t v, want;
	ssize_t n;
	int fd, r = 0;

	fd = open(config_path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Command register: offset 4, 16 bits, little endian; INTx-disable
	 * is bit 10. Read-modify-write of the whole word, as DPDK does: a
	 * byte write at offset 5 (uio-howto's example) changes the bit, but
	 * QEMU then does not re-evaluate the INTx line (it only does so for
	 * writes covering byte 4), and its line level goes wrong. */
	n = pread(fd, cmd, 2, 4);
	if (n != 2) {
		r = n < 0 ? -errno : -EIO;
		goto out;
	}
	v = (uint16_t)(cmd[0] | cmd[1] << 8);
	want = enable ? (uint16_t)(v & ~0x0400u) : (uint16_t)(v | 0x0400u);
	if (want != v) {
		cmd[0] = (uint8_t)want;
		cmd[1] = (uint8_t)(want >> 8);
		n = pwrite(fd, cmd, 2, 4);
		if (n != 2)
			r = n < 0 ? -errno : -EIO;
	}
out:
	(void)close(fd);
	return r;
}

static int real_enumerate(void *data, const char *class_dir,
			  struct uio_dev_id *ret_ids, size_t max)
{
	int r = -ENOTSUP;

	/* libudev only knows the real /sys. */
	if (strcmp(class_dir, UIO_CLASS_DIR) == 0)
		r = uio_enumerate_udev(ret_ids, max);
	if (r < 0)
		r = uio_enumerate_sysfs(&uio_real_ops, NULL, class_dir, ret_ids, max);
	return r;
}

const struct uio_ops uio_real_ops = {
	.open = real_open,
	.close = real_close,
	.mmap = real_mmap,
	.munmap = real_munmap,
	.read_irq = real_read_irq,
	.enable_irq = real_enable_irq,
	.read_attr = real_read_attr,
	.pci_intx = real_pci_intx,
	.enumerate = real_enumerate,
};

const struct uio_env uio_real_env = {
	.ops = &uio_real_ops,
	.ops_data = NULL,
	.class_dir = UIO_CLASS_DIR,
	.dev_dir = UIO_DEV_DIR,
};

/* ---- Parsing ------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int uio_parse_hex(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	size_t n = 0;

	if (!s || !ret)
		return -EINVAL;
	if (s[0] != '0' || s[1] != 'x')
		return -EINVAL;
	for (s += 2; *s; s++, n++) {
		int d = hexval(*s);

		if (d < 0)
			return -EINVAL;
		if (n == 16)
			return -ERANGE;
		v = v << 4 | (uint64_t)d;
	}
	if (n == 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

int uio_parse_u32(const char *s, uint32_t *ret)
{
	uint64_t v = 0;

	if (!s || !ret || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*ret = (uint32_t)v;
	return 0;
}

/* ---- Enumeration ------------------------------------------------------- */

/* A growing, later sorted, list of device ids. */
struct id_list {
	struct uio_dev_id *v;
	size_t n, cap;
};

static int id_list_add(struct id_list *l, unsigned num, const char *name,
		       const struct stat *st)
{
	if (strlen(name) >= UIO_NAME_MAX)
		return 0;	/* cannot be a wanted name: not listed */
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct uio_dev_id *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].num = num;
	strcpy(l->v[l->n].name, name);
	l->v[l->n].sys_dev = (uint64_t)st->st_dev;
	l->v[l->n].sys_ino = (uint64_t)st->st_ino;
	l->n++;
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	const struct uio_dev_id *x = a, *y = b;

	return x->num < y->num ? -1 : x->num > y->num;
}

/* Sort @l, copy up to @max entries out, free it; returns l->n or -errno. */
static int id_list_finish(struct id_list *l, struct uio_dev_id *ret_ids, size_t max)
{
	int n = (int)l->n;

	if (l->n > INT_MAX) {
		free(l->v);
		return -EOVERFLOW;
	}
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), id_cmp);
	if (ret_ids && max && l->n)
		memcpy(ret_ids, l->v, (l->n < max ? l->n : max) * sizeof(*l->v));
	free(l->v);
	return n;
}

/* "uioN" -> N; -EINVAL for anything else. */
static int parse_sysname(const char *s, unsigned *ret)
{
	uint32_t n;

	if (strncmp(s, "uio", 3) != 0 || uio_parse_u32(s + 3, &n) < 0 ||
	    (s[3] == '0' && s[4] != '\0') || n > UINT_MAX)
		return -EINVAL;
	*ret = n;
	return 0;
}

int uio_enumerate_udev(struct uio_dev_id *ret_ids, size_t max)
{
	struct id_list l = { 0 };
	struct udev *udev;
	struct udev_enumerate *e = NULL;
	struct udev_list_entry *entry;
	int r;

	if (!ret_ids && max)
		return -EINVAL;
	udev = udev_new();
	if (!udev)
		return errno > 0 ? -errno : -ENOMEM;
	e = udev_enumerate_new(udev);
	if (!e) {
		r = errno > 0 ? -errno : -ENOMEM;
		goto out;
	}
	r = udev_enumerate_add_match_subsystem(e, "uio");
	if (r < 0)
		goto out;
	r = udev_enumerate_scan_devices(e);
	if (r < 0)
		goto out;
	udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
		struct udev_device *d;
		const char *sysname, *name, *syspath;
		struct stat st;
		unsigned num;

		d = udev_device_new_from_syspath(udev, udev_list_entry_get_name(entry));
		if (!d)
			continue;	/* gone since the scan */
		sysname = udev_device_get_sysname(d);
		name = udev_device_get_sysattr_value(d, "name");
		syspath = udev_device_get_syspath(d);
		r = 0;
		/* A failed stat: gone since the scan. */
		if (sysname && name && syspath && parse_sysname(sysname, &num) == 0 &&
		    stat(syspath, &st) == 0)
			r = id_list_add(&l, num, name, &st);
		udev_device_unref(d);
		if (r < 0)
			goto out;
	}
	udev_enumerate_unref(e);
	udev_unref(udev);
	return id_list_finish(&l, ret_ids, max);
out:
	free(l.v);
	udev_enumerate_unref(e);
	udev_unref(udev);
	return r;
}

int uio_enumerate_sysfs(const struct uio_ops *ops, void *ops_data,
			const char *class_dir, struct uio_dev_id *ret_ids, size_t max)
{
	struct id_list l = { 0 };
	struct dirent *de;
	DIR *dir;
	int r = 0;

	if (!ops || !class_dir || (!ret_ids && max))
		return -EINVAL;
	dir = opendir(class_dir);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((errno = 0, de = readdir(dir))) {
		char dir_path[PATH_MAX], path[PATH_MAX + 8], name[UIO_NAME_MAX];
		struct stat st;
		unsigned num;

		if (parse_sysname(de->d_name, &num) < 0)
			continue;
		if (snprintf(dir_path, sizeof(dir_path), "%s/%s", class_dir, de->d_name) >=
		    (int)sizeof(dir_path)) {
			r = -ENAMETOOLONG;
			break;
		}
		snprintf(path, sizeof(path), "%s/name", dir_path);
		r = ops->read_attr(ops_data, path, name, sizeof(name));
		if (r == -ENOENT || r == -EOVERFLOW) {
			r = 0;	/* gone meanwhile, or a name nobody can want */
			continue;
		}
		if (r < 0)
			break;
		/* stat, not lstat: in the real /sys/class/uio the entry is a
		 * link to the device's directory, which is the identity. */
		if (stat(dir_path, &st) < 0) {
			if (errno == ENOENT)
				continue;	/* gone meanwhile */
			r = -errno;
			break;
		}
		r = id_list_add(&l, num, name, &st);
		if (r < 0)
			break;
	}
	if (r == 0 && errno != 0)
		r = -errno;
	closedir(dir);
	if (r < 0) {
		free(l.v);
		return r;
	}
	return id_list_finish(&l, ret_ids, max);
}

/* ---- sysfs description --------------------------------------------------- */

static int env_ok(const struct uio_env *env)
{
	return env && env->ops && env->class_dir && env->dev_dir;
}

/* Read attribute @rel of uioN into @buf. */
static int read_dev_attr(const struct uio_env *env, unsigned num, const char *rel,
			 char *buf, size_t size)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/uio%u/%s", env->class_dir, num, rel) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	return env->ops->read_attr(env->ops_data, path, buf, size);
}

static int read_dev_hex(const struct uio_env *env, unsigned num, const char *rel,
			uint64_t *ret)
{
	char buf[64];
	int r = read_dev_attr(env, num, rel, buf, sizeof(buf));

	if (r == -EOVERFLOW)
		return -EINVAL;
	return r < 0 ? r : uio_parse_hex(buf, ret);
}

static int read_map(const struct uio_env *env, unsigned num, unsigned i, struct uio_map *m)
{
	char rel[32];
	int r;

	snprintf(rel, sizeof(rel), "maps/map%u/size", i);
	r = read_dev_hex(env, num, rel, &m->size);
	if (r < 0)
		return r;	/* -ENOENT: no map i */
	snprintf(rel, sizeof(rel), "maps/map%u/addr", i);
	r = read_dev_hex(env, num, rel, &m->addr);
	if (r == -ENOENT)
		r = -EINVAL;	/* size without addr: not the kernel's layout */
	if (r < 0)
		return r;
	snprintf(rel, sizeof(rel), "maps/map%u/offset", i);
	r = read_dev_hex(env, num, rel, &m->offset);
	if (r == -ENOENT) {
		m->offset = 0;	/* kernels before 2.6.x had no offset */
		r = 0;
	}
	if (r < 0)
		return r;
	snprintf(rel, sizeof(rel), "maps/map%u/name", i);
	r = read_dev_attr(env, num, rel, m->name, sizeof(m->name));
	if (r == -ENOENT) {
		m->name[0] = '\0';
		r = 0;
	}
	if (r < 0)
		return r;
	if (m->size == 0 || m->offset >= m->size)
		return -EINVAL;
	return 0;
}

int uio_read_info(const struct uio_env *env, unsigned num, struct uio_info *ret_info)
{
	struct uio_info info = { .num = num };
	int r;

	if (!env_ok(env) || !ret_info)
		return -EINVAL;
	r = read_dev_attr(env, num, "name", info.name, sizeof(info.name));
	if (r == -ENOENT)
		return -ENODEV;
	if (r < 0)
		return r;
	r = read_dev_attr(env, num, "version", info.version, sizeof(info.version));
	if (r == -ENOENT)
		info.version[0] = '\0';
	else if (r < 0)
		return r;
	for (unsigned i = 0; i < UIO_MAX_MAPS; i++) {
		r = read_map(env, num, i, &info.maps[i]);
		if (r == -ENOENT)
			break;	/* the kernel lists maps without gaps */
		if (r < 0)
			return r;
		info.nr_maps = i + 1;
	}
	*ret_info = info;
	return 0;
}

/* Enumerate through @env into a malloc'ed array; returns the count. */
static int enumerate_all(const struct uio_env *env, struct uio_dev_id **ret_ids)
{
	size_t max = 16;

	for (;;) {
		struct uio_dev_id *ids = calloc(max, sizeof(*ids));
		int n;

		if (!ids)
			return -ENOMEM;
		n = env->ops->enumerate(env->ops_data, env->class_dir, ids, max);
		if (n < 0) {
			free(ids);
			return n;
		}
		if ((size_t)n <= max) {
			*ret_ids = ids;
			return n;
		}
		free(ids);
		max = (size_t)n + 8;	/* more appeared: try again */
	}
}

int uio_find_by_name(const struct uio_env *env, const char *name, unsigned *ret_num)
{
	struct uio_dev_id *ids = NULL;
	int n, r = -ENODEV;

	if (!env_ok(env) || !name || !ret_num)
		return -EINVAL;
	n = enumerate_all(env, &ids);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (strcmp(ids[i].name, name) == 0) {
			*ret_num = ids[i].num;
			r = 0;
			break;	/* ascending: the first is the lowest */
		}
	}
	free(ids);
	return r;
}

/* ---- Devices ------------------------------------------------------------- */

struct uio_device {
	unsigned n_ref;
	const struct uio_env *env;
	struct uio_info info;
	int fd;
	bool have_count;
	uint32_t count;
	uint64_t missed;
	bool intx_via_config;	/* no irqcontrol: PCI command register instead */
	struct {
		void *base;	/* page-aligned mmap address, NULL when unmapped */
		size_t len;	/* mmap length */
	} maps[UIO_MAX_MAPS];
};

static size_t page_size(void)
{
	long pg = sysconf(_SC_PAGESIZE);

	return pg > 0 ? (size_t)pg : 4096;
}

int uio_device_new(const struct uio_env *env, unsigned num, struct uio_device **ret_dev)
{
	struct uio_device *dev;
	char path[PATH_MAX], buf[32];
	int r;

	if (!env_ok(env) || !ret_dev)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->n_ref = 1;
	dev->env = env;
	dev->fd = -EBADF;
	r = uio_read_info(env, num, &dev->info);
	if (r < 0)
		goto fail;
	if (snprintf(path, sizeof(path), "%s/uio%u", env->dev_dir, num) >= (int)sizeof(path)) {
		r = -ENAMETOOLONG;
		goto fail;
	}
	r = env->ops->open(env->ops_data, path);
	if (r < 0)
		goto fail;
	dev->fd = r;
	/* The kernel starts this listener at the current total: take the
	 * same baseline so the first ack counts exactly. Best effort: without
	 * it the first ack reports one event. */
	if (read_dev_attr(env, num, "event", buf, sizeof(buf)) >= 0 &&
	    uio_parse_u32(buf, &dev->count) == 0)
		dev->have_count = true;
	*ret_dev = dev;
	return 0;
fail:
	uio_device_unref(dev);
	return r;
}

int uio_device_new_by_name(const struct uio_env *env, const char *name,
			   struct uio_device **ret_dev)
{
	unsigned num;
	int r;

	if (!ret_dev)
		return -EINVAL;
	r = uio_find_by_name(env, name, &num);
	if (r < 0)
		return r;
	return uio_device_new(env, num, ret_dev);
}

struct uio_device *uio_device_ref(struct uio_device *dev)
{
	if (dev)
		dev->n_ref++;
	return dev;
}

struct uio_device *uio_device_unref(struct uio_device *dev)
{
	if (!dev || --dev->n_ref > 0)
		return NULL;
	for (unsigned i = 0; i < UIO_MAX_MAPS; i++)
		(void)uio_device_unmap(dev, i);
	if (dev->fd >= 0)
		dev->env->ops->close(dev->env->ops_data, dev->fd);
	free(dev);
	return NULL;
}

const struct uio_info *uio_device_info(const struct uio_device *dev)
{
	return dev ? &dev->info : NULL;
}

int uio_device_fd(const struct uio_device *dev)
{
	return dev ? dev->fd : -EINVAL;
}

int uio_device_map(struct uio_device *dev, unsigned index, void **ret_addr, size_t *ret_len)
{
	const struct uio_map *m;
	size_t pg = page_size(), in_page, len;
	uint64_t span;
	void *base;
	int r;

	if (!dev || !ret_addr || !ret_len || index >= dev->info.nr_maps)
		return -EINVAL;
	m = &dev->info.maps[index];
	in_page = (size_t)(m->addr & (pg - 1));
	/* uio_mmap() allows up to page_round(in-page part + size) bytes. */
	if (m->size > UINT64_MAX - in_page - pg)
		return -EOVERFLOW;
	span = (in_page + m->size + pg - 1) & ~(uint64_t)(pg - 1);
	if (span > SIZE_MAX || (uint64_t)index * pg > (uint64_t)INT64_MAX)
		return -EOVERFLOW;
	len = (size_t)span;
	if (!dev->maps[index].base) {
		r = dev->env->ops->mmap(dev->env->ops_data, dev->fd, len,
					(off_t)((uint64_t)index * pg), &base);
		if (r < 0)
			return r;
		dev->maps[index].base = base;
		dev->maps[index].len = len;
	}
	*ret_addr = (char *)dev->maps[index].base + in_page + m->offset;
	*ret_len = (size_t)(m->size - m->offset);
	return 0;
}

int uio_device_unmap(struct uio_device *dev, unsigned index)
{
	int r;

	if (!dev || index >= UIO_MAX_MAPS)
		return -EINVAL;
	if (!dev->maps[index].base)
		return 0;
	r = dev->env->ops->munmap(dev->env->ops_data, dev->maps[index].base,
				  dev->maps[index].len);
	dev->maps[index].base = NULL;	/* a failed munmap leaves nothing to retry */
	dev->maps[index].len = 0;
	return r;
}

/* ---- Interrupts ---------------------------------------------------------- */

int uio_irq_ack(struct uio_device *dev, uint32_t *ret_events)
{
	uint32_t count, events;
	int r;

	if (!dev || !ret_events)
		return -EINVAL;
	r = dev->env->ops->read_irq(dev->env->ops_data, dev->fd, &count);
	if (r < 0)
		return r;
	/* A read only returns when the count moved: at least one event.
	 * Unsigned subtraction copes with the s32 counter wrapping. */
	events = dev->have_count ? count - dev->count : 1;
	if (events == 0)
		events = 1;
	dev->missed += events - 1;
	dev->count = count;
	dev->have_count = true;
	*ret_events = events;
	return 0;
}

static int irq_control(struct uio_device *dev, bool enable)
{
	const struct uio_env *env = dev->env;
	char path[PATH_MAX];
	int r;

	if (!dev->intx_via_config) {
		r = env->ops->enable_irq(env->ops_data, dev->fd, enable);
		if (r != -ENOSYS)
			return r;
	}
	if (snprintf(path, sizeof(path), "%s/uio%u/device/config", env->class_dir,
		     dev->info.num) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	r = env->ops->pci_intx(env->ops_data, path, enable);
	if (r == -ENOENT && !dev->intx_via_config)
		return -ENOSYS;	/* not PCI: the driver has no way at all */
	if (r < 0)
		return r;
	dev->intx_via_config = true;
	return 0;
}

int uio_irq_enable(struct uio_device *dev)
{
	return dev ? irq_control(dev, true) : -EINVAL;
}

int uio_irq_disable(struct uio_device *dev)
{
	return dev ? irq_control(dev, false) : -EINVAL;
}

uint64_t uio_irq_missed(const struct uio_device *dev)
{
	return dev ? dev->missed : 0;
}

uint32_t uio_irq_count(const struct uio_device *dev)
{
	return dev && dev->have_count ? dev->count : 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int uio_irq_wait(struct uio_device *dev, int timeout_ms, uint32_t *ret_events)
{
	int64_t deadline;

	if (!dev || timeout_ms < 0 || !ret_events)
		return -EINVAL;
	deadline = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd p = { .fd = dev->fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		int r;

		r = uio_irq_ack(dev, ret_events);
		if (r != -EAGAIN)
			return r;
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* ---- Hotplug: rescan ----------------------------------------------------- */

struct uio_watch {
	const struct uio_env *env;
	char **names;
	size_t nr_names;
	struct uio_dev_id *known;	/* ascending numbers */
	size_t nr_known;
};

int uio_watch_new(const struct uio_env *env, const char *const *names, size_t nr_names,
		  struct uio_watch **ret_watch)
{
	struct uio_watch *w;

	if (!env_ok(env) || !names || nr_names == 0 || !ret_watch)
		return -EINVAL;
	for (size_t i = 0; i < nr_names; i++)
		if (!names[i])
			return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->env = env;
	w->names = calloc(nr_names, sizeof(*w->names));
	if (!w->names)
		goto nomem;
	for (size_t i = 0; i < nr_names; i++) {
		w->names[i] = strdup(names[i]);
		if (!w->names[i])
			goto nomem;
		w->nr_names = i + 1;
	}
	*ret_watch = w;
	return 0;
nomem:
	uio_watch_free(w);
	return -ENOMEM;
}

struct uio_watch *uio_watch_free(struct uio_watch *w)
{
	if (!w)
		return NULL;
	for (size_t i = 0; i < w->nr_names; i++)
		free(w->names[i]);
	free(w->names);
	free(w->known);
	free(w);
	return NULL;
}

static bool watch_wants(const struct uio_watch *w, const char *name)
{
	for (size_t i = 0; i < w->nr_names; i++)
		if (strcmp(w->names[i], name) == 0)
			return true;
	return false;
}

/* Is @id (same number, name and identity) in the sorted list @v of @n? */
static bool id_in(const struct uio_dev_id *v, size_t n, const struct uio_dev_id *id)
{
	for (size_t i = 0; i < n && v[i].num <= id->num; i++)
		if (v[i].num == id->num && strcmp(v[i].name, id->name) == 0 &&
		    v[i].sys_dev == id->sys_dev && v[i].sys_ino == id->sys_ino)
			return true;
	return false;
}

int uio_watch_rescan(struct uio_watch *w, uio_watch_cb cb, void *userdata)
{
	struct uio_dev_id *ids = NULL;
	size_t kept = 0;
	int n, events = 0;

	if (!w || !cb)
		return -EINVAL;
	n = enumerate_all(w->env, &ids);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)	/* keep the wanted ones, in order */
		if (watch_wants(w, ids[i].name))
			ids[kept++] = ids[i];
	for (size_t i = 0; i < w->nr_known; i++) {
		if (!id_in(ids, kept, &w->known[i])) {
			cb(userdata, UIO_EVENT_REMOVE, &w->known[i]);
			events++;
		}
	}
	for (size_t i = 0; i < kept; i++) {
		if (!id_in(w->known, w->nr_known, &ids[i])) {
			cb(userdata, UIO_EVENT_ADD, &ids[i]);
			events++;
		}
	}
	free(w->known);
	w->known = ids;
	w->nr_known = kept;
	return events;
}

/* ---- Hotplug: kernel uevent monitor ------------------------------------- */

struct uio_monitor {
	struct udev *udev;
	struct udev_monitor *mon;
};

int uio_monitor_new(struct uio_monitor **ret_mon)
{
	struct uio_monitor *m;
	int r;

	if (!ret_mon)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->udev = udev_new();
	if (!m->udev) {
		r = errno > 0 ? -errno : -ENOMEM;
		goto fail;
	}
	/* "kernel": raw uevents, delivered with or without udevd. */
	m->mon = udev_monitor_new_from_netlink(m->udev, "kernel");
	if (!m->mon) {
		r = errno > 0 ? -errno : -ENOMEM;
		goto fail;
	}
	r = udev_monitor_filter_add_match_subsystem_devtype(m->mon, "uio", NULL);
	if (r < 0)
		goto fail;
	r = udev_monitor_enable_receiving(m->mon);
	if (r < 0)
		goto fail;
	*ret_mon = m;
	return 0;
fail:
	uio_monitor_free(m);
	return r;
}

struct uio_monitor *uio_monitor_free(struct uio_monitor *m)
{
	if (!m)
		return NULL;
	udev_monitor_unref(m->mon);
	udev_unref(m->udev);
	free(m);
	return NULL;
}

int uio_monitor_fd(const struct uio_monitor *m)
{
	return m ? udev_monitor_get_fd(m->mon) : -EINVAL;
}

int uio_monitor_receive(struct uio_monitor *m)
{
	struct udev_device *d;
	int n = 0;

	if (!m)
		return -EINVAL;
	/* Non-blocking socket: NULL once the queue is empty. */
	while ((d = udev_monitor_receive_device(m->mon))) {
		const char *subsystem = udev_device_get_subsystem(d);

		if (subsystem && strcmp(subsystem, "uio") == 0)
			n++;
		udev_device_unref(d);
	}
	return n;
}
