/* SPDX-License-Identifier: MIT */
/*
 * A fuzz input read front to back, for the targets that decode it into
 * operations (fuzz-dev, fuzz-control): past its end every read gives
 * zeros, so any input is a valid program.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct input {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t in_u8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* Little-endian. */
static inline uint32_t in_u32(struct input *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)in_u8(in) << (8 * i);
	return v;
}

/* @len bytes into @buf, zeros past the end of the input. */
static inline void in_bytes(struct input *in, void *buf, size_t len)
{
	size_t take = len < in->n ? len : in->n;

	memcpy(buf, in->p, take);
	memset((char *)buf + take, 0, len - take);
	in->p += take;
	in->n -= take;
}
