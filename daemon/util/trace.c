/* SPDX-License-Identifier: MIT */
/*
 * The USDT probes' semaphores (trace.h): a counter per probe in the
 * ".probes" section, raised by the kernel while a uprobe is attached to
 * the probe (the stapsdt note names its address).
 */
#include "trace.h"

#ifdef DMABUFD_HAVE_SDT
#define TRACE_SEMAPHORE_DEFINE(name) \
	unsigned short TRACE_SEMAPHORE(name) __attribute__((section(".probes")))

TRACE_SEMAPHORE_DEFINE(fence_init);
TRACE_SEMAPHORE_DEFINE(fence_enable_signal);
TRACE_SEMAPHORE_DEFINE(fence_signaled);
TRACE_SEMAPHORE_DEFINE(fence_destroy);
TRACE_SEMAPHORE_DEFINE(dma_buf_export);
TRACE_SEMAPHORE_DEFINE(dma_buf_release);
TRACE_SEMAPHORE_DEFINE(dma_submit);
TRACE_SEMAPHORE_DEFINE(dma_complete);
#endif
