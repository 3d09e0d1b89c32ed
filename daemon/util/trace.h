/* SPDX-License-Identifier: MIT */
/*
 * USDT probes (provider "dmabufd") where the kernel has tracepoints: the
 * dma_fence class (init, enable_signal, signaled, destroy), dma_buf export
 * and release, and the dmaengine descriptor submit and completion.
 *
 * With <sys/sdt.h> (meson defines DMABUFD_HAVE_SDT) each macro is one
 * DTRACE_PROBEn: a nop in the code and an ELF note (.note.stapsdt) that
 * perf, bpftrace and systemtap turn into a uprobe. Each probe has a
 * semaphore (dmabufd_<name>_semaphore, in the ".probes" section; trace.c)
 * that the kernel raises while a uprobe is attached (the note carries its
 * address): until then the probe's arguments are not even evaluated, and
 * an unused probe costs one load and a branch. Without <sys/sdt.h> (the
 * armhf cross build) the macros evaluate nothing and compile to nothing.
 *
 * Probe arguments (the kernel tracepoints' fields where they exist):
 *
 *   fence_init           fence, context, seqno
 *   fence_enable_signal  fence, context, seqno, driver, timeline
 *   fence_signaled       fence, context, seqno, error (0 or -errno),
 *                        driver, timeline
 *   fence_destroy        fence, context, seqno
 *   dma_buf_export       buf, id, size, exporter
 *   dma_buf_release      buf, id, size
 *   dma_submit           channel ("dma0chan1"), cookie, length
 *   dma_complete         channel, cookie, result (enum
 *                        dmaengine_tx_result: 0 ok, 1 read failed,
 *                        2 write failed, 3 aborted), residue (as the
 *                        backend reported it; 0 for a descriptor a
 *                        terminate took back)
 *
 * tests/check-probes.sh checks that the daemon carries every one of them.
 * Any thread (only the loop thread fires them today).
 */
#pragma once

#ifdef DMABUFD_HAVE_SDT
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

/* The semaphores, one per probe (defined in trace.c). */
#define TRACE_SEMAPHORE(name) dmabufd_##name##_semaphore
extern unsigned short TRACE_SEMAPHORE(fence_init), TRACE_SEMAPHORE(fence_enable_signal),
	TRACE_SEMAPHORE(fence_signaled), TRACE_SEMAPHORE(fence_destroy),
	TRACE_SEMAPHORE(dma_buf_export), TRACE_SEMAPHORE(dma_buf_release),
	TRACE_SEMAPHORE(dma_submit), TRACE_SEMAPHORE(dma_complete);

#define TRACE_PROBE3(name, a, b, c)                                   \
	do {                                                          \
		if (__builtin_expect(TRACE_SEMAPHORE(name), 0))       \
			DTRACE_PROBE3(dmabufd, name, a, b, c);        \
	} while (0)
#define TRACE_PROBE4(name, a, b, c, d)                                \
	do {                                                          \
		if (__builtin_expect(TRACE_SEMAPHORE(name), 0))       \
			DTRACE_PROBE4(dmabufd, name, a, b, c, d);     \
	} while (0)
#define TRACE_PROBE5(name, a, b, c, d, e)                             \
	do {                                                          \
		if (__builtin_expect(TRACE_SEMAPHORE(name), 0))       \
			DTRACE_PROBE5(dmabufd, name, a, b, c, d, e);  \
	} while (0)
#define TRACE_PROBE6(name, a, b, c, d, e, f)                          \
	do {                                                          \
		if (__builtin_expect(TRACE_SEMAPHORE(name), 0))       \
			DTRACE_PROBE6(dmabufd, name, a, b, c, d, e, f); \
	} while (0)
#else
/* Type-checks and "uses" the arguments without evaluating them. */
static inline void trace_nop(int unused, ...)
{
}
#define TRACE_PROBE3(name, ...) \
	do {                    \
		if (0)          \
			trace_nop(0, __VA_ARGS__); \
	} while (0)
#define TRACE_PROBE4 TRACE_PROBE3
#define TRACE_PROBE5 TRACE_PROBE3
#define TRACE_PROBE6 TRACE_PROBE3
#endif

#define TRACE_FENCE_INIT(fence, context, seqno) \
	TRACE_PROBE3(fence_init, fence, context, seqno)
#define TRACE_FENCE_ENABLE_SIGNAL(fence, context, seqno, driver, timeline) \
	TRACE_PROBE5(fence_enable_signal, fence, context, seqno, driver, timeline)
#define TRACE_FENCE_SIGNALED(fence, context, seqno, error, driver, timeline) \
	TRACE_PROBE6(fence_signaled, fence, context, seqno, error, driver, \
		     timeline)
#define TRACE_FENCE_DESTROY(fence, context, seqno) \
	TRACE_PROBE3(fence_destroy, fence, context, seqno)

#define TRACE_DMA_BUF_EXPORT(buf, id, size, exporter) \
	TRACE_PROBE4(dma_buf_export, buf, id, size, exporter)
#define TRACE_DMA_BUF_RELEASE(buf, id, size) \
	TRACE_PROBE3(dma_buf_release, buf, id, size)

#define TRACE_DMA_SUBMIT(channel, cookie, len) \
	TRACE_PROBE3(dma_submit, channel, cookie, len)
#define TRACE_DMA_COMPLETE(channel, cookie, result, residue) \
	TRACE_PROBE4(dma_complete, channel, cookie, result, residue)
