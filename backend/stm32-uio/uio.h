/* SPDX-License-Identifier: MIT */
/*
 * uio - the Linux UIO userspace interface (drivers/uio/uio.c) behind one
 * seam: discovery of /sys/class/uio devices by name, their maps from sysfs,
 * mmap of a map, and the interrupt fd (4-byte count reads, 4-byte enable
 * writes). Every system call goes through a struct uio_ops, so tests swap in
 * a fake device (uio_fake.h) or a register-level simulator.
 *
 * Life cycle. A struct uio_env names the ops and where sysfs and the device
 * nodes live; it is plain data the caller keeps alive while devices use it.
 * uio_device_new() opens /dev/uioN (non-blocking) and reads its sysfs
 * description; maps are mmapped on demand by uio_device_map() and unmapped
 * by the last uio_device_unref(). The device fd becomes readable when an
 * interrupt arrives: the daemon's loop watches uio_device_fd(), calls
 * uio_irq_ack() to consume the event count (a jump of more than one means
 * missed interrupts), services the hardware, then uio_irq_enable() to
 * unmask the line (uio_pdrv_genirq and uio_pci_generic mask it on every
 * interrupt).
 *
 * Hotplug. uio_watch keeps the set of devices with wanted names and reports
 * the ones that appeared or went away since the previous rescan;
 * uio_monitor wraps a libudev "kernel" netlink monitor (it works without
 * udevd; a "udev" monitor never fires there) whose fd tells when to rescan.
 *
 * Errors are negative errno values; output parameters are written only on
 * success. Not thread-safe: one thread (the loop) per device/watch/monitor.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define UIO_MAX_MAPS	5	/* MAX_UIO_MAPS of include/linux/uio_driver.h */
#define UIO_NAME_MAX	128	/* longest name or version string kept, NUL included */
#define UIO_CLASS_DIR	"/sys/class/uio"
#define UIO_DEV_DIR	"/dev"

/*
 * A UIO device seen by enumeration. Number and name do not tell two
 * devices apart: the kernel gives a new device the lowest free minor, so
 * a device unbound and bound again is uioN again, under the same name.
 * The identity does: st_dev and st_ino of the device's sysfs directory
 * (class_dir/uioN resolved), a new kernfs node for every new device, and
 * kernfs numbers its nodes cyclically (on 64-bit with a generation in the
 * upper 32 bits), so a new directory does not take over the inode number
 * of one just removed.
 */
struct uio_dev_id {
	unsigned num;			/* N of uioN */
	char name[UIO_NAME_MAX];	/* the sysfs "name" attribute */
	uint64_t sys_dev;		/* identity: st_dev of the directory */
	uint64_t sys_ino;		/* and its st_ino */
};

/*
 * The system seam. @data is the ops' own state (NULL for the real ones).
 * Every op returns 0 (or the documented non-negative value) or -errno, and
 * writes its ret_* output only on success.
 */
struct uio_ops {
	/* Open device node @path read-write, O_NONBLOCK | O_CLOEXEC.
	 * Returns the new fd. */
	int (*open)(void *data, const char *path);
	/* Close an fd that open() returned. */
	void (*close)(void *data, int fd);
	/* mmap(NULL, @len, RW, MAP_SHARED, @fd, @offset). */
	int (*mmap)(void *data, int fd, size_t len, off_t offset, void **ret_addr);
	/* munmap() a mapping mmap() returned. */
	int (*munmap)(void *data, void *addr, size_t len);
	/* read() of exactly 4 bytes: the device's total interrupt count.
	 * -EAGAIN when no new interrupt, -EIO when the device has no IRQ. */
	int (*read_irq)(void *data, int fd, uint32_t *ret_count);
	/* write() of exactly 4 bytes, 1 (@enable) or 0. -EIO without an IRQ,
	 * -ENOSYS when the driver has no irqcontrol. */
	int (*enable_irq)(void *data, int fd, bool enable);
	/* Read sysfs attribute file @path into @buf (size @size), without
	 * one trailing newline, NUL-terminated. Returns the length; -EOVERFLOW
	 * when the value does not fit, -ENOENT when the file is missing. */
	int (*read_attr)(void *data, const char *path, char *buf, size_t size);
	/* Set (@enable false) or clear (@enable true) the INTx-disable bit
	 * (bit 10 of the command register, offset 4) in the PCI config space
	 * file @config_path (a 16-bit read-modify-write of the command
	 * word); only that bit changes. -ENOENT when the device
	 * has no PCI config space. */
	int (*pci_intx)(void *data, const char *config_path, bool enable);
	/* List UIO devices under @class_dir: fills up to @max entries of
	 * @ret_ids with device numbers, names and identities, in ascending
	 * number order, and returns how many devices exist (may exceed
	 * @max). A missing @class_dir (no UIO in the kernel) is 0 devices. */
	int (*enumerate)(void *data, const char *class_dir,
			 struct uio_dev_id *ret_ids, size_t max);
};

/* Where the seam points. Plain data; the fields must outlive its users. */
struct uio_env {
	const struct uio_ops *ops;
	void *ops_data;
	const char *class_dir;		/* UIO_CLASS_DIR unless testing */
	const char *dev_dir;		/* UIO_DEV_DIR unless testing */
};

/* The kernel interface: libudev enumeration (sysfs when libudev fails or
 * class_dir is not UIO_CLASS_DIR), plain syscalls for the rest. A regular
 * file in place of /dev/uioN (a tree built on disk) maps like the node and
 * has no interrupt: read_irq and enable_irq answer -EIO. */
extern const struct uio_ops uio_real_ops;
/* { &uio_real_ops, NULL, UIO_CLASS_DIR, UIO_DEV_DIR } */
extern const struct uio_env uio_real_env;

/* Enumerators behind uio_real_ops.enumerate, same contract. The udev one
 * enumerates subsystem "uio", reads sysattr "name" and stats the syspath;
 * -ENOMEM/-errno when libudev cannot start or scan (the caller then falls
 * back to sysfs). The sysfs one reads class_dir/uioN/name through @ops and
 * stats class_dir/uioN (following the link, as the syspath is the link's
 * target, so both give one device the same identity). A device that goes
 * away during the scan is left out. */
int uio_enumerate_udev(struct uio_dev_id *ret_ids, size_t max);
int uio_enumerate_sysfs(const struct uio_ops *ops, void *ops_data,
			const char *class_dir, struct uio_dev_id *ret_ids, size_t max);

/* One memory map, as sysfs describes it (maps/mapN). */
struct uio_map {
	char name[UIO_NAME_MAX];	/* maps/mapN/name (may be empty) */
	uint64_t addr;		/* maps/mapN/addr: physical, usually page aligned */
	uint64_t size;		/* maps/mapN/size in bytes, > 0 */
	uint64_t offset;	/* maps/mapN/offset: the region's start within its page */
};

/* A device's sysfs description. */
struct uio_info {
	unsigned num;
	char name[UIO_NAME_MAX];
	char version[UIO_NAME_MAX];
	unsigned nr_maps;		/* maps 0..nr_maps-1 exist */
	struct uio_map maps[UIO_MAX_MAPS];
};

/*
 * Parsers for the kernel's sysfs formats, exposed for tests. Hex: "0x"
 * followed by 1..16 hex digits (%pa prints 16 on 64-bit, 8 on 32-bit;
 * offset is "0x%llx"). Decimal: the "%u" of "event". Surrounding white
 * space is not accepted (read_attr strips the newline). -EINVAL on
 * anything else, -ERANGE on overflow.
 */
int uio_parse_hex(const char *s, uint64_t *ret);
int uio_parse_u32(const char *s, uint32_t *ret);

/* Read uioN's name, version and maps through @env. -ENODEV when uioN does
 * not exist; -EINVAL when an attribute is malformed (map size 0, offset
 * beyond size, bad number). */
int uio_read_info(const struct uio_env *env, unsigned num, struct uio_info *ret_info);

/* The lowest-numbered UIO device called @name. -ENODEV when none (yet). */
int uio_find_by_name(const struct uio_env *env, const char *name, unsigned *ret_num);

struct uio_device;

/*
 * Open uioN (@env must outlive the device): reads its description, opens
 * the node, and takes the current sysfs event count as the baseline of
 * uio_irq_ack(). Returns a reference. -ENODEV when uioN does not exist, or
 * the errno of open (-EACCES, -ENOENT for a missing node, ...).
 */
int uio_device_new(const struct uio_env *env, unsigned num, struct uio_device **ret_dev);
/* Same, for the lowest-numbered device called @name. */
int uio_device_new_by_name(const struct uio_env *env, const char *name,
			   struct uio_device **ret_dev);
struct uio_device *uio_device_ref(struct uio_device *dev);
/* Drop a reference; the last one unmaps every map and closes the fd.
 * NULL is a no-op. Returns NULL. */
struct uio_device *uio_device_unref(struct uio_device *dev);

const struct uio_info *uio_device_info(const struct uio_device *dev);
/* The interrupt fd to poll for POLLIN. Valid until the last unref. */
int uio_device_fd(const struct uio_device *dev);

/*
 * Map map @index: mmap at offset index * page size of
 * page_round(sub-page start + size) bytes, and return the address of the
 * region's first byte (page base + the address's in-page part + sysfs
 * offset) and how many bytes from there belong to it (size - offset).
 * Mapping twice returns the same mapping. -EINVAL for an index beyond
 * nr_maps; the mmap errno otherwise.
 */
int uio_device_map(struct uio_device *dev, unsigned index, void **ret_addr, size_t *ret_len);
/* Unmap map @index now (it is unmapped at the last unref anyway). */
int uio_device_unmap(struct uio_device *dev, unsigned index);

/*
 * Consume the pending interrupt events: reads the count and returns in
 * *ret_events how many interrupts happened since the previous ack (at
 * least 1; more than 1 means some were coalesced, counted in
 * uio_irq_missed()). -EAGAIN when none is pending, -EIO when the device
 * has no interrupt. Loop thread.
 */
int uio_irq_ack(struct uio_device *dev, uint32_t *ret_events);
/*
 * Unmask the interrupt line after servicing (and acknowledging) the
 * device: write(1) on the fd. Drivers without irqcontrol answer -ENOSYS;
 * uio_pci_generic is one (verified on 6.1), because userspace owns the
 * INTx-disable bit of the PCI command register that its handler sets: for
 * a device with a PCI config space (uioN/device/config) the bit is then
 * cleared there instead, and every later call goes straight to it. -EIO
 * without an IRQ, -ENOSYS when neither way exists.
 */
int uio_irq_enable(struct uio_device *dev);
/* Mask it (write 0, or set INTx-disable). */
int uio_irq_disable(struct uio_device *dev);
/* Interrupts that were coalesced into a later ack so far. */
uint64_t uio_irq_missed(const struct uio_device *dev);
/* Total interrupt count last read from the device (0 before any). */
uint32_t uio_irq_count(const struct uio_device *dev);
/*
 * Wait up to @timeout_ms (>= 0; never forever) for an interrupt and ack it.
 * For tools and tests; the daemon polls the fd from its loop instead.
 * -ETIMEDOUT when none came.
 */
int uio_irq_wait(struct uio_device *dev, int timeout_ms, uint32_t *ret_events);

/* ---- Hotplug ------------------------------------------------------------ */

enum uio_event {
	UIO_EVENT_ADD,		/* a device with a wanted name appeared */
	UIO_EVENT_REMOVE,	/* a device reported before is gone */
};

typedef void (*uio_watch_cb)(void *userdata, enum uio_event event,
			     const struct uio_dev_id *id);

struct uio_watch;

/* Watch for devices named any of @names (@nr_names >= 1; the strings are
 * copied). Nothing is known yet: the first rescan reports every present
 * device. */
int uio_watch_new(const struct uio_env *env, const char *const *names, size_t nr_names,
		  struct uio_watch **ret_watch);
struct uio_watch *uio_watch_free(struct uio_watch *watch);
/* Enumerate again and call @cb for every removed device, then every added
 * one (ascending numbers). A number reused by another device (another
 * name, or the same name with another identity: unbound and bound again
 * between two rescans) is a remove then an add. Returns the number of
 * events reported. */
int uio_watch_rescan(struct uio_watch *watch, uio_watch_cb cb, void *userdata);

struct uio_monitor;

/* A libudev "kernel" netlink monitor filtered on subsystem "uio". -errno
 * when libudev or the netlink socket is unavailable (then rescan
 * periodically instead). */
int uio_monitor_new(struct uio_monitor **ret_mon);
struct uio_monitor *uio_monitor_free(struct uio_monitor *mon);
/* The fd to poll for POLLIN. */
int uio_monitor_fd(const struct uio_monitor *mon);
/* Drain the queued uevents; returns how many concerned UIO devices (a
 * rescan is due when > 0). Never blocks. */
int uio_monitor_receive(struct uio_monitor *mon);
