/* SPDX-License-Identifier: MIT */
/*
 * Small helpers every layer of the daemon uses: container_of, array size,
 * cleanup attributes and the ref/unref cleanup generator.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

/*
 * DEFINE_UNREF_CLEANUP(type, fn) defines fn##p(type **) for use with
 * _cleanup_, so a local reference is dropped on every return path.
 */
#define DEFINE_UNREF_CLEANUP(type, fn)              \
	static inline void fn##p(type **p)          \
	{                                           \
		if (*p)                             \
			(void)fn(*p);               \
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Take ownership of a pointer out of a _cleanup_ variable. */
#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _tp = (p);     \
		(p) = NULL;                  \
		_tp;                         \
	})
