/* SPDX-License-Identifier: MIT */
/*
 * uio_fake - a fake kernel UIO driver behind struct uio_ops, for tests (and
 * for the simulator to build on). It writes a sysfs tree in the kernel's
 * exact formats under a fresh temporary directory, backs each map with a
 * temporary file standing in for the device memory, and hands out eventfds
 * as device fds so that poll() works: an interrupt raised with
 * uio_fake_raise_irq() makes every open fd of the device readable, as the
 * kernel's uio_poll() does.
 *
 * Interrupt model: a device without UIO_FAKE_IRQ answers reads and writes
 * with -EIO. With UIO_FAKE_AUTOMASK the line is masked at each delivered
 * interrupt (uio_pdrv_genirq, uio_pci_generic) and an interrupt raised while
 * masked stays pending until write(1) unmasks it; without it every raise is
 * counted at once, so several raises between two reads show as a count
 * jump. UIO_FAKE_NO_IRQCONTROL makes enable/disable writes fail -ENOSYS.
 * UIO_FAKE_PCI_INTX gives the device a 256-byte uioN/device/config whose
 * command register INTx-disable bit mirrors the mask (set at each
 * automasked interrupt; clearing it through the pci_intx op unmasks).
 *
 * Identity: enumeration reports a device's identity as sys_dev 0 and
 * sys_ino a generation number, fresh at each uio_fake_add(), as kernfs
 * gives a device added again a new inode: the fake's tree lives on an
 * ordinary file system, which may give a new directory the inode number
 * of one just deleted.
 *
 * Not thread-safe; test thread only. Not linked into the daemon.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "uio.h"

enum {
	UIO_FAKE_IRQ = 1 << 0,
	UIO_FAKE_AUTOMASK = 1 << 1,
	UIO_FAKE_NO_IRQCONTROL = 1 << 2,
	UIO_FAKE_PCI_INTX = 1 << 3,
};
/* uio_pci_generic as seen on 6.1: the handler sets INTx-disable in the PCI
 * command register, write(1) is -ENOSYS, clearing the bit in
 * uioN/device/config unmasks. */
#define UIO_FAKE_PCI_GENERIC \
	(UIO_FAKE_IRQ | UIO_FAKE_AUTOMASK | UIO_FAKE_NO_IRQCONTROL | UIO_FAKE_PCI_INTX)

/* The ops a fault can be injected into. */
enum uio_fake_op {
	UIO_FAKE_OP_OPEN,
	UIO_FAKE_OP_MMAP,
	UIO_FAKE_OP_MUNMAP,
	UIO_FAKE_OP_READ_IRQ,
	UIO_FAKE_OP_ENABLE_IRQ,
	UIO_FAKE_OP_READ_ATTR,
	UIO_FAKE_OP_PCI_INTX,
	UIO_FAKE_OP_ENUMERATE,
	UIO_FAKE_OP_COUNT,
};

/* A map as the fake device's driver would register it. */
struct uio_fake_map {
	const char *name;	/* NULL: empty */
	uint64_t addr;		/* written as maps/mapN/addr */
	uint64_t size;		/* written as maps/mapN/size, > 0 */
	uint64_t offset;	/* written as maps/mapN/offset */
};

struct uio_fake;

/* A fake with an empty class directory. -errno if the temporary tree
 * cannot be made. */
int uio_fake_new(struct uio_fake **ret_fake);
/* Close what tests left open, remove the temporary tree, free. NULL is a
 * no-op. Returns NULL. */
struct uio_fake *uio_fake_free(struct uio_fake *fake);

/* The env whose ops are the fake's (valid until uio_fake_free). */
const struct uio_env *uio_fake_env(struct uio_fake *fake);

/* Add uio@num named @name: sysfs files and backing files. -EEXIST if that
 * number is taken, -EINVAL for bad arguments (more than UIO_MAX_MAPS maps,
 * a map of size 0). */
int uio_fake_add(struct uio_fake *fake, unsigned num, const char *name, const char *version,
		 const struct uio_fake_map *maps, unsigned nr_maps, unsigned flags);
/* Remove uio@num's sysfs directory; its open fds then fail reads and
 * writes with -EIO (the kernel's behaviour for a gone device). */
int uio_fake_remove(struct uio_fake *fake, unsigned num);
/* Overwrite sysfs attribute @rel (e.g. "maps/map0/size") of uio@num with
 * @text, as is (no newline added): for malformed-input tests. */
int uio_fake_write_attr(struct uio_fake *fake, unsigned num, const char *rel, const char *text);

/* Raise one interrupt on uio@num (see the interrupt model above). -EIO
 * without UIO_FAKE_IRQ, -ENODEV for an unknown device. */
int uio_fake_raise_irq(struct uio_fake *fake, unsigned num);
/* Total interrupts delivered on uio@num (its "event" count). */
uint32_t uio_fake_irq_total(struct uio_fake *fake, unsigned num);
/* Whether uio@num's line is unmasked. */
bool uio_fake_irq_unmasked(struct uio_fake *fake, unsigned num);
/* The PCI command register in uio@num's config file (-errno if none). */
int uio_fake_pci_command(struct uio_fake *fake, unsigned num);

/* The device memory behind map @index of uio@num (the backing file,
 * mapped by the fake itself): what the device sees. NULL if none. */
void *uio_fake_map_mem(struct uio_fake *fake, unsigned num, unsigned index);

/* Make the next call of @op fail with @err (< 0). One shot. */
void uio_fake_fail_next(struct uio_fake *fake, enum uio_fake_op op, int err);

/* An fd open on uio@num (the device's first listener), for tests that
 * watch what its user does with it; -ENOENT when none. */
int uio_fake_open_fd(struct uio_fake *fake, unsigned num);

/* Fds and mappings handed out and not yet given back. */
unsigned uio_fake_open_fds(const struct uio_fake *fake);
unsigned uio_fake_mappings(const struct uio_fake *fake);
