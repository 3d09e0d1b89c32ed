/* SPDX-License-Identifier: MIT */
/*
 * Shared fixtures for the object-model unit tests: a clock the test moves
 * by hand, and a teardown that fails the test if it left any object, timer
 * or callback behind.
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/clock.h"
#include "model/objstat.h"

struct heap_linger;

/* The fake clock: starts at 1 s so that 0 never looks like "now". */
extern uint64_t fake_now_ns;

/* Install the fake clock and reset it; use as a cmocka setup. */
int fake_clock_setup(void **state);

/*
 * Restore the real clock and fail if the test left more objects or armed
 * timers than there were when it started; use as teardown.
 */
int leak_check_teardown(void **state);

/* Move the fake clock forward by @ns and fire due timers. */
void fake_clock_advance(uint64_t ns);

/* A test with the fake clock and the leak check around it. */
#define model_test(fn) cmocka_unit_test_setup_teardown(fn, fake_clock_setup, leak_check_teardown)

/*
 * Bytes glibc's malloc has handed out (mallinfo2's uordblks), for the
 * per-object memory budgets; 0 where that cannot be told, because ASan
 * or valgrind replaced the allocator: a budget test then skip()s.
 */
size_t heap_bytes_in_use(void);

/*
 * A linger hook for heap_set_linger() (model/heap.h) that only records
 * what it is handed: the test frees it with heap_linger_free().
 */
struct fake_linger {
	unsigned calls;
	struct heap_linger *hl; /* the last one */
};
void fake_linger(struct heap_linger *hl, void *data);
