/* SPDX-License-Identifier: MIT */
/*
 * uio_fake - see uio_fake.h. Layout of the temporary tree:
 *   ROOT/class/uioN/{name,version,event,maps/mapI/{name,addr,size,offset}}
 *   ROOT/dev/            (the env's dev_dir; nodes are not files here)
 *   ROOT/mem/uioN-mapI   (backing files, page-rounded size)
 * Devices and open fds live in fixed-size tables; the fake is small on
 * purpose.
 */
#include "uio_fake.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAKE_MAX_DEVS 16
#define FAKE_MAX_OPENS 32
#define FAKE_MAX_MAPPINGS 64
#define FAKE_DIR_MAX 512

struct fake_dev {
	bool used, removed;
	unsigned num;
	uint64_t generation;		/* its identity's sys_ino */
	unsigned flags;
	unsigned nr_maps;
	uint64_t span[UIO_MAX_MAPS];	/* backing file sizes */
	void *mem[UIO_MAX_MAPS];	/* the fake's own view of them */
	uint32_t total;
	bool masked, pending;
};

struct fake_open {
	int fd;				/* an eventfd; -EBADF when free */
	struct fake_dev *dev;
	uint32_t seen;
};

struct fake_mapping {
	void *addr;
	size_t len;
};

struct uio_fake {
	char root[FAKE_DIR_MAX - 16];	/* $TMPDIR (<= 256 chars)/uio-fake.XXXXXX */
	char class_dir[FAKE_DIR_MAX];
	char dev_dir[FAKE_DIR_MAX];
	char mem_dir[FAKE_DIR_MAX];
	struct uio_env env;
	struct fake_dev devs[FAKE_MAX_DEVS];
	struct fake_open opens[FAKE_MAX_OPENS];
	struct fake_mapping mappings[FAKE_MAX_MAPPINGS];
	int fail[UIO_FAKE_OP_COUNT];
	uint64_t generations;		/* handed out so far */
};

static size_t page_size(void)
{
	long pg = sysconf(_SC_PAGESIZE);

	return pg > 0 ? (size_t)pg : 4096;
}

/* The injected error for @op, consumed; 0 if none. */
static int take_fail(struct uio_fake *f, enum uio_fake_op op)
{
	int r = f->fail[op];

	f->fail[op] = 0;
	return r;
}

static struct fake_dev *find_dev(struct uio_fake *f, unsigned num)
{
	for (unsigned i = 0; i < FAKE_MAX_DEVS; i++)
		if (f->devs[i].used && !f->devs[i].removed && f->devs[i].num == num)
			return &f->devs[i];
	return NULL;
}

static struct fake_open *find_open(struct uio_fake *f, int fd)
{
	for (unsigned i = 0; i < FAKE_MAX_OPENS; i++)
		if (f->opens[i].fd >= 0 && f->opens[i].fd == fd)
			return &f->opens[i];
	return NULL;
}

static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0 || (size_t)n != len) {
		int r = n < 0 ? -errno : -EIO;

		(void)close(fd);
		return r;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* Write @fmt into ROOT/class/uio@num/@rel. */
static int dev_printf(struct uio_fake *f, unsigned num, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int dev_printf(struct uio_fake *f, unsigned num, const char *rel, const char *fmt, ...)
{
	char path[PATH_MAX], text[256];
	va_list ap;

	if (snprintf(path, sizeof(path), "%s/uio%u/%s", f->class_dir, num, rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return write_file(path, text);
}

/* ---- ops ---------------------------------------------------------------- */

static int fake_open(void *data, const char *path)
{
	struct uio_fake *f = data;
	const char *base = strrchr(path, '/');
	struct fake_dev *dev;
	unsigned num;
	int r = take_fail(f, UIO_FAKE_OP_OPEN);

	if (r)
		return r;
	base = base ? base + 1 : path;
	if (sscanf(base, "uio%u", &num) != 1 || strncmp(path, f->dev_dir, strlen(f->dev_dir)) != 0)
		return -ENOENT;
	dev = find_dev(f, num);
	if (!dev)
		return -ENOENT;
	for (unsigned i = 0; i < FAKE_MAX_OPENS; i++) {
		struct fake_open *o = &f->opens[i];

		if (o->fd >= 0)
			continue;
		o->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (o->fd < 0) {
			r = -errno;
			o->fd = -EBADF;
			return r;
		}
		o->dev = dev;
		o->seen = dev->total;	/* as the kernel's uio_open() */
		return o->fd;
	}
	return -EMFILE;
}

static void fake_close(void *data, int fd)
{
	struct fake_open *o = find_open(data, fd);

	if (!o)
		abort();	/* closing an fd the fake never gave: a test bug */
	(void)close(o->fd);
	o->fd = -EBADF;
	o->dev = NULL;
}

static int fake_mmap(void *data, int fd, size_t len, off_t offset, void **ret_addr)
{
	struct uio_fake *f = data;
	struct fake_open *o = find_open(f, fd);
	size_t pg = page_size();
	char path[PATH_MAX];
	unsigned index;
	void *p;
	int mfd, r = take_fail(f, UIO_FAKE_OP_MMAP);

	if (r)
		return r;
	if (!o)
		return -EBADF;
	if (o->dev->removed)
		return -ENODEV;
	/* The kernel's uio_mmap() checks. */
	if (offset < 0 || (size_t)offset % pg != 0)
		return -EINVAL;
	index = (unsigned)((size_t)offset / pg);
	if (index >= o->dev->nr_maps || len == 0 || len > o->dev->span[index])
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/uio%u-map%u", f->mem_dir, o->dev->num, index);
	mfd = open(path, O_RDWR | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	r = p == MAP_FAILED ? -errno : 0;
	(void)close(mfd);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < FAKE_MAX_MAPPINGS; i++) {
		if (!f->mappings[i].addr) {
			f->mappings[i].addr = p;
			f->mappings[i].len = len;
			*ret_addr = p;
			return 0;
		}
	}
	(void)munmap(p, len);
	return -ENOMEM;
}

static int fake_munmap(void *data, void *addr, size_t len)
{
	struct uio_fake *f = data;
	int r = take_fail(f, UIO_FAKE_OP_MUNMAP);

	for (unsigned i = 0; i < FAKE_MAX_MAPPINGS; i++) {
		struct fake_mapping *m = &f->mappings[i];

		if (m->addr != addr)
			continue;
		if (m->len != len)
			return -EINVAL;
		/* Unmapped even when a failure is injected: the caller must
		 * not leak on that path. */
		(void)munmap(m->addr, m->len);
		m->addr = NULL;
		m->len = 0;
		return r;
	}
	return -EINVAL;
}

static int fake_read_irq(void *data, int fd, uint32_t *ret_count)
{
	struct uio_fake *f = data;
	struct fake_open *o = find_open(f, fd);
	uint64_t drain;
	int r = take_fail(f, UIO_FAKE_OP_READ_IRQ);

	if (r)
		return r;
	if (!o)
		return -EBADF;
	if (o->dev->removed || !(o->dev->flags & UIO_FAKE_IRQ))
		return -EIO;
	if (o->seen == o->dev->total)
		return -EAGAIN;
	(void)!read(o->fd, &drain, sizeof(drain));	/* no longer readable */
	o->seen = o->dev->total;
	*ret_count = o->seen;
	return 0;
}

static int config_path(struct uio_fake *f, unsigned num, char *buf, size_t size)
{
	if (snprintf(buf, size, "%s/uio%u/device/config", f->class_dir, num) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/* uio_pci_generic's handler: set INTx-disable in the command register. */
static void set_intx_disable(struct uio_fake *f, struct fake_dev *dev)
{
	char path[PATH_MAX];

	if ((dev->flags & UIO_FAKE_PCI_INTX) && config_path(f, dev->num, path, sizeof(path)) == 0)
		(void)uio_real_ops.pci_intx(NULL, path, false);
}

/* Count one interrupt on @dev and wake its listeners. */
static void deliver(struct uio_fake *f, struct fake_dev *dev)
{
	uint64_t one = 1;

	dev->total++;
	if (dev->flags & UIO_FAKE_AUTOMASK) {
		dev->masked = true;
		set_intx_disable(f, dev);
	}
	(void)dev_printf(f, dev->num, "event", "%u\n", dev->total);
	for (unsigned i = 0; i < FAKE_MAX_OPENS; i++)
		if (f->opens[i].fd >= 0 && f->opens[i].dev == dev)
			(void)!write(f->opens[i].fd, &one, sizeof(one));
}

static int fake_enable_irq(void *data, int fd, bool enable)
{
	struct uio_fake *f = data;
	struct fake_open *o = find_open(f, fd);
	struct fake_dev *dev;
	int r = take_fail(f, UIO_FAKE_OP_ENABLE_IRQ);

	if (r)
		return r;
	if (!o)
		return -EBADF;
	dev = o->dev;
	if (dev->removed || !(dev->flags & UIO_FAKE_IRQ))
		return -EIO;
	if (dev->flags & UIO_FAKE_NO_IRQCONTROL)
		return -ENOSYS;
	dev->masked = !enable;
	if (enable && dev->pending) {
		dev->pending = false;
		deliver(f, dev);
	}
	return 0;
}

static int fake_read_attr(void *data, const char *path, char *buf, size_t size)
{
	int r = take_fail(data, UIO_FAKE_OP_READ_ATTR);

	return r ? r : uio_real_ops.read_attr(NULL, path, buf, size);
}

static int fake_pci_intx(void *data, const char *path, bool enable)
{
	struct uio_fake *f = data;
	size_t len = strlen(f->class_dir);
	struct fake_dev *dev;
	unsigned num;
	int r = take_fail(f, UIO_FAKE_OP_PCI_INTX);

	if (r)
		return r;
	if (strncmp(path, f->class_dir, len) != 0 || sscanf(path + len, "/uio%u/", &num) != 1)
		return -ENOENT;
	dev = find_dev(f, num);
	if (!dev || !(dev->flags & UIO_FAKE_PCI_INTX))
		return -ENOENT;
	r = uio_real_ops.pci_intx(NULL, path, enable);
	if (r < 0)
		return r;
	dev->masked = !enable;
	if (enable && dev->pending) {
		dev->pending = false;
		deliver(f, dev);
	}
	return 0;
}

static const struct uio_ops fake_ops;

/* The sysfs enumeration of the tree, with each device's identity made
 * its generation (see uio_fake.h). */
static int fake_enumerate(void *data, const char *class_dir, struct uio_dev_id *ret_ids,
			  size_t max)
{
	struct uio_fake *f = data;
	int n = take_fail(f, UIO_FAKE_OP_ENUMERATE);

	if (n)
		return n;
	n = uio_enumerate_sysfs(&fake_ops, f, class_dir, ret_ids, max);
	for (int i = 0; i < n && (size_t)i < max; i++) {
		struct fake_dev *dev = find_dev(f, ret_ids[i].num);

		ret_ids[i].sys_dev = 0;
		ret_ids[i].sys_ino = dev ? dev->generation : 0;
	}
	return n;
}

static const struct uio_ops fake_ops = {
	.open = fake_open,
	.close = fake_close,
	.mmap = fake_mmap,
	.munmap = fake_munmap,
	.read_irq = fake_read_irq,
	.enable_irq = fake_enable_irq,
	.read_attr = fake_read_attr,
	.pci_intx = fake_pci_intx,
	.enumerate = fake_enumerate,
};

/* ---- test API ------------------------------------------------------------- */

int uio_fake_new(struct uio_fake **ret_fake)
{
	const char *tmp = getenv("TMPDIR");
	struct uio_fake *f;
	int r;

	if (!ret_fake)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (unsigned i = 0; i < FAKE_MAX_OPENS; i++)
		f->opens[i].fd = -EBADF;
	if (!tmp || !*tmp || strlen(tmp) > 256)
		tmp = "/tmp";
	snprintf(f->root, sizeof(f->root), "%s/uio-fake.XXXXXX", tmp);
	if (!mkdtemp(f->root)) {
		r = -errno;
		free(f);
		return r;
	}
	snprintf(f->class_dir, sizeof(f->class_dir), "%s/class", f->root);
	snprintf(f->dev_dir, sizeof(f->dev_dir), "%s/dev", f->root);
	snprintf(f->mem_dir, sizeof(f->mem_dir), "%s/mem", f->root);
	if (mkdir(f->class_dir, 0755) < 0 || mkdir(f->dev_dir, 0755) < 0 ||
	    mkdir(f->mem_dir, 0755) < 0) {
		r = -errno;
		uio_fake_free(f);
		return r;
	}
	f->env = (struct uio_env){
		.ops = &fake_ops,
		.ops_data = f,
		.class_dir = f->class_dir,
		.dev_dir = f->dev_dir,
	};
	*ret_fake = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

struct uio_fake *uio_fake_free(struct uio_fake *f)
{
	if (!f)
		return NULL;
	for (unsigned i = 0; i < FAKE_MAX_OPENS; i++)
		if (f->opens[i].fd >= 0)
			(void)close(f->opens[i].fd);
	for (unsigned i = 0; i < FAKE_MAX_MAPPINGS; i++)
		if (f->mappings[i].addr)
			(void)munmap(f->mappings[i].addr, f->mappings[i].len);
	for (unsigned i = 0; i < FAKE_MAX_DEVS; i++)
		for (unsigned m = 0; m < f->devs[i].nr_maps; m++)
			if (f->devs[i].mem[m])
				(void)munmap(f->devs[i].mem[m], f->devs[i].span[m]);
	(void)nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return NULL;
}

const struct uio_env *uio_fake_env(struct uio_fake *f)
{
	return f ? &f->env : NULL;
}

static int make_dir(struct uio_fake *f, unsigned num, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/uio%u%s%s", f->class_dir, num, *rel ? "/" : "", rel);
	return mkdir(path, 0755) < 0 ? -errno : 0;
}

/* Create, size and map the backing file of map @i. */
static int make_backing(struct uio_fake *f, struct fake_dev *dev, unsigned i,
			const struct uio_fake_map *m)
{
	size_t pg = page_size();
	char path[PATH_MAX];
	uint64_t span = ((m->addr & (pg - 1)) + m->size + pg - 1) & ~(uint64_t)(pg - 1);
	void *p;
	int fd, r = 0;

	if (span > (64u << 20))
		return -EFBIG;	/* a fake, not a memory hog */
	snprintf(path, sizeof(path), "%s/uio%u-map%u", f->mem_dir, dev->num, i);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)span) < 0)
		r = -errno;
	p = r < 0 ? MAP_FAILED : mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r == 0 && p == MAP_FAILED)
		r = -errno;
	(void)close(fd);
	if (r < 0)
		return r;
	dev->span[i] = span;
	dev->mem[i] = p;
	return 0;
}

int uio_fake_add(struct uio_fake *f, unsigned num, const char *name, const char *version,
		 const struct uio_fake_map *maps, unsigned nr_maps, unsigned flags)
{
	struct fake_dev *dev = NULL;
	int r;

	if (!f || !name || nr_maps > UIO_MAX_MAPS || (nr_maps && !maps))
		return -EINVAL;
	for (unsigned i = 0; i < nr_maps; i++)
		if (maps[i].size == 0)
			return -EINVAL;
	for (unsigned i = 0; i < FAKE_MAX_DEVS; i++)
		if (f->devs[i].used && f->devs[i].num == num && !f->devs[i].removed)
			return -EEXIST;
	for (unsigned i = 0; i < FAKE_MAX_DEVS && !dev; i++)
		if (!f->devs[i].used)
			dev = &f->devs[i];
	if (!dev)
		return -ENOSPC;
	*dev = (struct fake_dev){
		.used = true,
		.num = num,
		.generation = ++f->generations,
		.flags = flags,
	};
	r = make_dir(f, num, "");
	if (r == 0)
		r = dev_printf(f, num, "name", "%s\n", name);
	if (r == 0)
		r = dev_printf(f, num, "version", "%s\n", version ? version : "0.0");
	if (r == 0)
		r = dev_printf(f, num, "event", "%u\n", 0u);
	if (r == 0 && (flags & UIO_FAKE_PCI_INTX)) {
		static const char zeros[256];
		char path[PATH_MAX];
		int fd;

		r = make_dir(f, num, "device");
		if (r == 0)
			r = config_path(f, num, path, sizeof(path));
		fd = r < 0 ? -EBADF : open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (r == 0 && fd < 0)
			r = -errno;
		if (fd >= 0) {
			if (write(fd, zeros, sizeof(zeros)) != (ssize_t)sizeof(zeros))
				r = -EIO;
			(void)close(fd);
		}
	}
	if (r == 0 && nr_maps)
		r = make_dir(f, num, "maps");
	for (unsigned i = 0; r == 0 && i < nr_maps; i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "maps/map%u", i);
		r = make_dir(f, num, rel);
		snprintf(rel, sizeof(rel), "maps/map%u/name", i);
		if (r == 0)
			r = dev_printf(f, num, rel, "%s\n", maps[i].name ? maps[i].name : "");
		/* %pa on a 64-bit kernel: "0x" and 16 digits. */
		snprintf(rel, sizeof(rel), "maps/map%u/addr", i);
		if (r == 0)
			r = dev_printf(f, num, rel, "0x%016llx\n", (unsigned long long)maps[i].addr);
		snprintf(rel, sizeof(rel), "maps/map%u/size", i);
		if (r == 0)
			r = dev_printf(f, num, rel, "0x%016llx\n", (unsigned long long)maps[i].size);
		snprintf(rel, sizeof(rel), "maps/map%u/offset", i);
		if (r == 0)
			r = dev_printf(f, num, rel, "0x%llx\n", (unsigned long long)maps[i].offset);
		if (r == 0)
			r = make_backing(f, dev, i, &maps[i]);
		if (r == 0)
			dev->nr_maps = i + 1;
	}
	if (r < 0) {
		(void)uio_fake_remove(f, num);
		return r;
	}
	return 0;
}

int uio_fake_remove(struct uio_fake *f, unsigned num)
{
	struct fake_dev *dev = f ? find_dev(f, num) : NULL;
	char path[PATH_MAX];

	if (!dev)
		return -ENODEV;
	snprintf(path, sizeof(path), "%s/uio%u", f->class_dir, num);
	(void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	/* Kept (removed) while fds may point at it; its slot is reused only
	 * by a later add of the same number. */
	dev->removed = true;
	return 0;
}

int uio_fake_write_attr(struct uio_fake *f, unsigned num, const char *rel, const char *text)
{
	if (!f || !rel || !text || !find_dev(f, num))
		return -EINVAL;
	return dev_printf(f, num, rel, "%s", text);
}

int uio_fake_raise_irq(struct uio_fake *f, unsigned num)
{
	struct fake_dev *dev = f ? find_dev(f, num) : NULL;

	if (!dev)
		return -ENODEV;
	if (!(dev->flags & UIO_FAKE_IRQ))
		return -EIO;
	if (dev->masked)
		dev->pending = true;
	else
		deliver(f, dev);
	return 0;
}

uint32_t uio_fake_irq_total(struct uio_fake *f, unsigned num)
{
	struct fake_dev *dev = f ? find_dev(f, num) : NULL;

	return dev ? dev->total : 0;
}

bool uio_fake_irq_unmasked(struct uio_fake *f, unsigned num)
{
	struct fake_dev *dev = f ? find_dev(f, num) : NULL;

	return dev && !dev->masked;
}

int uio_fake_pci_command(struct uio_fake *f, unsigned num)
{
	struct fake_dev *dev = f ? find_dev(f, num) : NULL;
	char path[PATH_MAX];
	uint8_t b[2];
	int fd, r;

	if (!dev)
		return -ENODEV;
	r = config_path(f, num, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = pread(fd, b, 2, 4) == 2 ? (b[0] | b[1] << 8) : -EIO;
	(void)close(fd);
	return r;
}

void *uio_fake_map_mem(struct uio_fake *f, unsigned num, unsigned index)
{
	struct fake_dev *dev = f ? find_dev(f, num) : NULL;

	return dev && index < dev->nr_maps ? dev->mem[index] : NULL;
}

void uio_fake_fail_next(struct uio_fake *f, enum uio_fake_op op, int err)
{
	if (f && op < UIO_FAKE_OP_COUNT && err < 0)
		f->fail[op] = err;
}

int uio_fake_open_fd(struct uio_fake *f, unsigned num)
{
	struct fake_dev *dev = f ? find_dev(f, num) : NULL;

	for (unsigned i = 0; dev && i < FAKE_MAX_OPENS; i++)
		if (f->opens[i].fd >= 0 && f->opens[i].dev == dev)
			return f->opens[i].fd;
	return -ENOENT;
}

unsigned uio_fake_open_fds(const struct uio_fake *f)
{
	unsigned n = 0;

	for (unsigned i = 0; f && i < FAKE_MAX_OPENS; i++)
		n += f->opens[i].fd >= 0;
	return n;
}

unsigned uio_fake_mappings(const struct uio_fake *f)
{
	unsigned n = 0;

	for (unsigned i = 0; f && i < FAKE_MAX_MAPPINGS; i++)
		n += f->mappings[i].addr != NULL;
	return n;
}
