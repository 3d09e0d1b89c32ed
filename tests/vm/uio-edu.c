/* SPDX-License-Identifier: MIT */
/*
 * uio-edu - the UIO layer (backend/stm32-uio/uio.c) against the real kernel
 * UIO driver, in the test VM: QEMU's edu device (1234:11e8) bound to
 * uio_pci_generic (run-vm.sh --edu). Discovery (libudev and sysfs), map
 * size against sysfs and the PCI resource, mmap of BAR0, the
 * identification and liveness registers, interrupts raised through the
 * device and received through the UIO fd with poll() timeouts, re-enable
 * through write(1), and hotplug (unbind/bind) seen by the kernel uevent
 * monitor and a rescan.
 *
 * edu registers (QEMU hw/misc/edu.c; 32-bit accesses below 0x80):
 *   0x00 identification, reads 0x010000ed (version 1.0, 0xed)
 *   0x04 liveness: reads back the bitwise inverse of what was written
 *   0x24 interrupt status (read)
 *   0x60 interrupt raise: status |= value, INTx asserted while status != 0
 *   0x64 interrupt acknowledge: status &= ~value, INTx lowered at 0
 * uio_pci_generic masks INTx (PCI command INTx-disable bit) in its handler
 * and has no irqcontrol: write(1) on the fd is -ENOSYS, and
 * uio_irq_enable() clears the bit in the device's config space instead.
 *
 * Prints "ok - ..." / "not ok - ..." per check and exits 1 if any failed.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uio.h"

#define EDU_ID		0x00
#define EDU_LIVENESS	0x04
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define EDU_ID_VALUE	0x010000edu
#define EDU_BAR0_SIZE	0x100000u
#define UIO_NAME	"uio_pci_generic"
#define IRQ_TIMEOUT_MS	5000	/* TCG is slow; never wait forever */

static int failed, passed;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
}

static uint32_t rd(volatile uint32_t *regs, unsigned off)
{
	return regs[off / 4];
}

static void wr(volatile uint32_t *regs, unsigned off, uint32_t v)
{
	regs[off / 4] = v;
}

static int read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	int r = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) < 0)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

/* Interrupts counted by the kernel for the line named @name (summed over
 * CPUs), or -errno. */
static int proc_interrupts(const char *name)
{
	char line[512];
	FILE *f = fopen("/proc/interrupts", "re");
	int total = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *end;

		if (!p || !strstr(line, name))
			continue;
		total = 0;
		for (p++;; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			total += (int)v;
		}
	}
	fclose(f);
	return total;
}

/* Raise edu interrupt @bit, receive it through the fd, acknowledge the
 * device, re-enable the line. */
static void irq_round_trip(struct uio_device *dev, volatile uint32_t *regs, uint32_t bit,
			   const char *what)
{
	uint32_t ev = 0, before = uio_irq_count(dev);
	int r;

	wr(regs, EDU_IRQ_RAISE, bit);
	r = uio_irq_wait(dev, IRQ_TIMEOUT_MS, &ev);
	check(r == 0 && ev == 1, "%s: interrupt received through the UIO fd (r=%d events=%u)",
	      what, r, ev);
	check(uio_irq_count(dev) == before + 1, "%s: total count moved by one (%u -> %u)", what,
	      before, uio_irq_count(dev));
	check(rd(regs, EDU_IRQ_STATUS) & bit, "%s: edu status shows 0x%x (0x%x)", what, bit,
	      rd(regs, EDU_IRQ_STATUS));
	wr(regs, EDU_IRQ_ACK, bit);
	check(rd(regs, EDU_IRQ_STATUS) == 0, "%s: edu status clear after acknowledge", what);
	r = uio_irq_enable(dev);
	check(r == 0, "%s: line re-enabled (r=%d)", what, r);
}

struct seen {
	int add, remove;
};

static void count_event(void *userdata, enum uio_event event, const struct uio_dev_id *id)
{
	struct seen *s = userdata;

	if (event == UIO_EVENT_ADD)
		s->add++;
	else
		s->remove++;
}

/* Wait up to @ms for the monitor to report a UIO uevent. */
static int monitor_wait(struct uio_monitor *m, int ms)
{
	int n = 0;

	for (int waited = 0; n == 0 && waited < ms; waited += 100) {
		struct pollfd p = { .fd = uio_monitor_fd(m), .events = POLLIN };

		(void)poll(&p, 1, 100);
		n = uio_monitor_receive(m);
		if (n < 0)
			return n;
	}
	return n;
}

static void hotplug(const char *pci)
{
	static const char *const names[] = { UIO_NAME };
	struct uio_monitor *mon = NULL;
	struct uio_watch *w = NULL;
	struct seen s = { 0 };
	char path[PATH_MAX];
	int r;

	r = uio_monitor_new(&mon);
	check(r == 0, "kernel uevent monitor created without udevd (r=%d)", r);
	r = uio_watch_new(&uio_real_env, names, 1, &w);
	check(r == 0, "watch created (r=%d)", r);
	if (!mon || !w)
		goto out;
	r = uio_watch_rescan(w, count_event, &s);
	check(r == 1 && s.add == 1, "first rescan reports the edu device (r=%d)", r);

	r = write_text("/sys/bus/pci/drivers/uio_pci_generic/unbind", pci);
	check(r == 0, "unbind %s from uio_pci_generic (r=%d)", pci, r);
	r = monitor_wait(mon, 3000);
	check(r > 0, "monitor saw the uio remove uevent (n=%d)", r);
	r = uio_watch_rescan(w, count_event, &s);
	check(r == 1 && s.remove == 1, "rescan reports the device gone (r=%d)", r);

	r = write_text("/sys/bus/pci/drivers/uio_pci_generic/bind", pci);
	check(r == 0, "bind %s again (r=%d)", pci, r);
	r = monitor_wait(mon, 3000);
	check(r > 0, "monitor saw the uio add uevent (n=%d)", r);
	r = uio_watch_rescan(w, count_event, &s);
	check(r == 1 && s.add == 2, "rescan reports the device back (r=%d)", r);
	snprintf(path, sizeof(path), "/dev/uio0");
	check(access(path, F_OK) == 0, "/dev/uio0 is back");

	/* Unbound and bound again with no rescan between: uio0 again, same
	 * name, but a new sysfs directory (kernfs gives it a new inode), so
	 * one rescan reports the old device gone and the new one added. */
	r = write_text("/sys/bus/pci/drivers/uio_pci_generic/unbind", pci);
	if (r == 0)
		r = write_text("/sys/bus/pci/drivers/uio_pci_generic/bind", pci);
	check(r == 0, "unbind and bind %s again (r=%d)", pci, r);
	(void)monitor_wait(mon, 3000);
	r = uio_watch_rescan(w, count_event, &s);
	check(r == 2 && s.remove == 2 && s.add == 3,
	      "one rescan reports uio0 rebound as a removal and an addition "
	      "(r=%d)", r);
	check(access(path, F_OK) == 0, "/dev/uio0 is back again");
out:
	uio_watch_free(w);
	uio_monitor_free(mon);
}

int main(void)
{
	const struct uio_env *env = &uio_real_env;
	struct uio_dev_id ids[8];
	struct uio_device *dev = NULL;
	const struct uio_info *info;
	char path[PATH_MAX], text[256], pci[64] = "";
	unsigned num = UINT_MAX;
	uint64_t v;
	void *addr = NULL;
	size_t len = 0;
	volatile uint32_t *regs;
	uint32_t ev;
	int n, r;

	/* Discovery: both enumerators see it, and find_by_name picks it. */
	n = uio_enumerate_udev(ids, 8);
	check(n == 1 && strcmp(ids[0].name, UIO_NAME) == 0,
	      "libudev enumeration finds one device named %s (n=%d)", UIO_NAME, n);
	n = uio_enumerate_sysfs(&uio_real_ops, NULL, UIO_CLASS_DIR, ids, 8);
	check(n == 1 && strcmp(ids[0].name, UIO_NAME) == 0,
	      "sysfs enumeration finds one device named %s (n=%d)", UIO_NAME, n);
	r = uio_find_by_name(env, UIO_NAME, &num);
	check(r == 0, "found by name %s: uio%u (r=%d)", UIO_NAME, num, r);
	if (r < 0)
		goto out;

	r = uio_device_new(env, num, &dev);
	check(r == 0, "uio%u opened (r=%d)", num, r);
	if (r < 0)
		goto out;
	info = uio_device_info(dev);
	check(strcmp(info->version, "0.01.0") == 0, "version %s", info->version);
	check(info->nr_maps == 1, "one map (nr_maps=%u)", info->nr_maps);
	check(info->maps[0].size == EDU_BAR0_SIZE, "map0 size 0x%llx is 1 MiB",
	      (unsigned long long)info->maps[0].size);
	snprintf(path, sizeof(path), UIO_CLASS_DIR "/uio%u/maps/map0/size", num);
	r = read_text(path, text, sizeof(text));
	check(r == 0 && uio_parse_hex(text, &v) == 0 && v == info->maps[0].size,
	      "map0 size matches sysfs \"%s\"", text);
	snprintf(path, sizeof(path), UIO_CLASS_DIR "/uio%u/maps/map0/addr", num);
	r = read_text(path, text, sizeof(text));
	check(r == 0 && strlen(text) == 18 && uio_parse_hex(text, &v) == 0 &&
	      v == info->maps[0].addr, "map0 addr matches sysfs \"%s\" (%%pa, 16 digits)", text);
	/* The BAR's start from the PCI resource file, first field. */
	snprintf(path, sizeof(path), UIO_CLASS_DIR "/uio%u/device/resource", num);
	r = read_text(path, text, sizeof(text));
	text[18] = '\0';
	check(r == 0 && uio_parse_hex(text, &v) == 0 && v == info->maps[0].addr,
	      "map0 addr is BAR0 of the PCI device (%s)", text);
	snprintf(path, sizeof(path), UIO_CLASS_DIR "/uio%u/device", num);
	n = (int)readlink(path, text, sizeof(text) - 1);
	if (n > 0) {
		text[n] = '\0';
		snprintf(pci, sizeof(pci), "%s", strrchr(text, '/') ? strrchr(text, '/') + 1 : text);
	}
	check(pci[0] != '\0' && strcmp(info->maps[0].name, pci) == 0,
	      "map0 is named after the PCI device %s", pci);

	r = uio_device_map(dev, 0, &addr, &len);
	check(r == 0 && len == EDU_BAR0_SIZE, "BAR0 mmapped, %zu bytes (r=%d)", len, r);
	if (r < 0)
		goto out;
	regs = addr;
	check(rd(regs, EDU_ID) == EDU_ID_VALUE, "identification register reads 0x%08x",
	      rd(regs, EDU_ID));
	wr(regs, EDU_LIVENESS, 0x12345678);
	check(rd(regs, EDU_LIVENESS) == ~0x12345678u, "liveness: 0x12345678 reads back 0x%08x",
	      rd(regs, EDU_LIVENESS));
	wr(regs, EDU_LIVENESS, 0);
	check(rd(regs, EDU_LIVENESS) == 0xffffffffu, "liveness: 0 reads back 0x%08x",
	      rd(regs, EDU_LIVENESS));

	/* Interrupts. */
	check(rd(regs, EDU_IRQ_STATUS) == 0, "no edu interrupt pending at start");
	r = uio_irq_ack(dev, &ev);
	check(r == -EAGAIN, "nothing to ack at start (r=%d)", r);
	r = uio_real_ops.enable_irq(NULL, uio_device_fd(dev), true);
	check(r == -ENOSYS, "write(1) on uio_pci_generic is -ENOSYS: no irqcontrol (r=%d)", r);
	r = uio_irq_enable(dev);
	check(r == 0, "uio_irq_enable() enables the line through config space (r=%d)", r);
	r = uio_irq_wait(dev, 200, &ev);
	check(r == -ETIMEDOUT, "wait without an interrupt times out (r=%d)", r);
	irq_round_trip(dev, regs, 0x1, "first interrupt");
	irq_round_trip(dev, regs, 0x100, "second interrupt");

	/* Masked line: raised while masked arrives only at re-enable. */
	wr(regs, EDU_IRQ_RAISE, 0x2);
	r = uio_irq_wait(dev, IRQ_TIMEOUT_MS, &ev);
	check(r == 0, "third interrupt received (r=%d)", r);
	wr(regs, EDU_IRQ_ACK, 0x2);
	wr(regs, EDU_IRQ_RAISE, 0x4);	/* line masked by the handler */
	r = uio_irq_wait(dev, 300, &ev);
	check(r == -ETIMEDOUT, "interrupt raised while masked is held back (r=%d)", r);
	r = uio_irq_enable(dev);
	check(r == 0, "re-enable without acknowledging the device (r=%d)", r);
	r = uio_irq_wait(dev, IRQ_TIMEOUT_MS, &ev);
	check(r == 0 && ev == 1, "the held-back interrupt arrives at re-enable (r=%d)", r);
	wr(regs, EDU_IRQ_ACK, 0x4);
	check(uio_irq_enable(dev) == 0 && rd(regs, EDU_IRQ_STATUS) == 0, "device and line clean");
	check(uio_irq_missed(dev) == 0, "no interrupt missed (%llu)",
	      (unsigned long long)uio_irq_missed(dev));
	snprintf(path, sizeof(path), UIO_CLASS_DIR "/uio%u/event", num);
	r = read_text(path, text, sizeof(text));
	check(r == 0 && strtoul(text, NULL, 10) == uio_irq_count(dev),
	      "sysfs event %s equals the count read from the fd (%u)", text, uio_irq_count(dev));

	n = proc_interrupts(UIO_NAME);
	check(n >= 0 && (uint32_t)n == uio_irq_count(dev),
	      "/proc/interrupts shows %d, all of them events: no spurious storm", n);

	dev = uio_device_unref(dev);
	if (pci[0])
		hotplug(pci);
out:
	uio_device_unref(dev);
	printf("uio-edu: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
