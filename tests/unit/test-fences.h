/* SPDX-License-Identifier: MIT */
/*
 * A minimal producer for tests: fences of driver "test" that the test
 * signals by hand.
 */
#pragma once

#include "model/fence.h"

/* A new pending fence (one reference) on @context at @seqno. */
struct fence *test_fence_new(uint64_t context, uint64_t seqno);

/* Signal @f with @error (0 for success). */
void test_fence_signal(struct fence *f, int error);

/* Earliest deadline set on test fence @f, 0 if none. */
uint64_t test_fence_deadline(struct fence *f);
