/* SPDX-License-Identifier: MIT */
/*
 * stm32_mmio - the one seam in front of the controller's registers and of
 * device memory mapped through UIO.
 *
 * A struct stm32_regs is a register window: the address where a UIO map
 * (uio_device_map) put a register block, its length, and the accessors.
 * With no accessors (ops NULL) stm32_read()/stm32_write() are plain 32-bit
 * volatile loads and stores, which is what the hardware wants (the DMA
 * programming port accepts only 32-bit accesses, RM0433; UIO maps are
 * non-cached and strongly ordered on ARM). A test sets ops to a register
 * model (tests/unit/stm32-sim.h): every access of the driver then goes to
 * the simulator, which sees the address the UIO layer handed out.
 *
 * stm32_io_copy_to()/stm32_io_copy_from()/stm32_io_zero() move bytes to and
 * from device memory (a reserved-memory region mapped through UIO) with
 * aligned 32-bit accesses on the device side only, bytes at the unaligned
 * edges: glibc's memcpy may issue unaligned or 64-bit accesses, which
 * fault on ARM strongly-ordered mappings.
 *
 * Pure helpers, any thread; the window's owner decides the locking.
 */
#pragma once

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct stm32_mmio_ops {
	/* A 32-bit load of the register at @addr (inside a window). */
	uint32_t (*read)(void *data, const volatile void *addr);
	/* A 32-bit store of @value to the register at @addr. */
	void (*write)(void *data, volatile void *addr, uint32_t value);
};

struct stm32_regs {
	volatile uint8_t *base;	/* first byte of the block (from uio_device_map) */
	size_t len;		/* bytes of the block mapped */
	const struct stm32_mmio_ops *ops; /* NULL: direct MMIO */
	void *ops_data;
};

/* Read the 32-bit register at byte offset @off of window @r. */
static inline uint32_t stm32_read(const struct stm32_regs *r, uint32_t off)
{
	volatile void *p = r->base + off;

	assert(off % 4 == 0 && (size_t)off + 4 <= r->len);
	if (r->ops)
		return r->ops->read(r->ops_data, p);
	return *(const volatile uint32_t *)p;
}

/* Write @value to the 32-bit register at byte offset @off of window @r. */
static inline void stm32_write(const struct stm32_regs *r, uint32_t off,
			       uint32_t value)
{
	volatile void *p = r->base + off;

	assert(off % 4 == 0 && (size_t)off + 4 <= r->len);
	if (r->ops)
		r->ops->write(r->ops_data, p, value);
	else
		*(volatile uint32_t *)p = value;
}

/* Read-modify-write: clear @clear, then set @set. */
static inline void stm32_update(const struct stm32_regs *r, uint32_t off,
				uint32_t clear, uint32_t set)
{
	stm32_write(r, off, (stm32_read(r, off) & ~clear) | set);
}

/* Copy @len bytes from normal memory @src to device memory @dst. */
static inline void stm32_io_copy_to(volatile void *dst, const void *src, size_t len)
{
	volatile uint8_t *d = dst;
	const uint8_t *s = src;

	while (len && ((uintptr_t)d & 3)) {
		*d++ = *s++;
		len--;
	}
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, s, 4);
		*(volatile uint32_t *)d = w;
		d += 4;
		s += 4;
		len -= 4;
	}
	while (len--)
		*d++ = *s++;
}

/* Copy @len bytes from device memory @src to normal memory @dst. */
static inline void stm32_io_copy_from(void *dst, const volatile void *src, size_t len)
{
	const volatile uint8_t *s = src;
	uint8_t *d = dst;

	while (len && ((uintptr_t)s & 3)) {
		*d++ = *s++;
		len--;
	}
	while (len >= 4) {
		uint32_t w = *(const volatile uint32_t *)s;

		memcpy(d, &w, 4);
		d += 4;
		s += 4;
		len -= 4;
	}
	while (len--)
		*d++ = *s++;
}

/* Zero @len bytes of device memory at @dst. */
static inline void stm32_io_zero(volatile void *dst, size_t len)
{
	volatile uint8_t *d = dst;

	while (len && ((uintptr_t)d & 3)) {
		*d++ = 0;
		len--;
	}
	while (len >= 4) {
		*(volatile uint32_t *)d = 0;
		d += 4;
		len -= 4;
	}
	while (len--)
		*d++ = 0;
}
