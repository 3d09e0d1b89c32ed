/* SPDX-License-Identifier: MIT */
/*
 * The dmaengine conformance suite: one test per behaviour of the core's
 * client API, run against a backend described by struct dma_backend. The
 * suite only uses daemon/dmaengine/ headers and these hooks, so a new
 * backend (the STM32 simulator) adds one small file that fills them in
 * and calls dma_conformance_run().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dmaengine/dmaengine.h"
#include "model/dma_buf.h"

struct dma_backend {
	const char *name;
	/* Name of the controller device_add() registers (for the name
	 * map), and how many request lines / loopback FIFOs it has. */
	const char *controller;
	unsigned nr_lines;
	/* The loopback lines are first_line .. first_line + nr_lines - 1
	 * (the STM32's DMAMUX1 inputs 1..8 are its request generators, not
	 * peripherals). */
	unsigned first_line;
	/* True if the controller is public (not DMA_PRIVATE): the public
	 * channel table tests then expect its channels in the table. */
	bool public_device;
	/* True if the backend can do memcpy between multi-entry lists. */
	bool has_memcpy_sg;
	/* Interrupts may be serviced this many period ends late (a
	 * simulator's setting; 0 for the mock). A cyclic transfer serviced
	 * more than one period end late loses period ends the hardware
	 * cannot count (one TC flag; the STM32's double-buffer target
	 * toggles by itself) and a ring of more than two periods then
	 * reuses a stale target, so above 1 the cyclic test feeds one
	 * period at a time; the backend's own tests specify the late case. */
	unsigned late_periods;

	/* Once per test, around everything: e.g. register a heap. */
	int (*setup)(void);
	void (*teardown)(void);
	/* Register / unregister the controller (the device may be freed
	 * later, when its last channel is released). Return 0 / -errno. */
	int (*device_add)(void);
	void (*device_remove)(void);
	/* A new dma_buf of @size bytes the controller can reach, CPU
	 * accessible through dma_buf_vmap(); one reference. */
	struct dma_buf *(*buf_alloc)(size_t size);

	/* Faults: make the next transfer started fail with @result; stall
	 * (or unstall) @chan. */
	int (*fail_next)(enum dmaengine_tx_result result);
	int (*stall)(struct dma_chan *chan, bool stall);
	/* Slow transfers down to about @bytes_per_sec (0: full speed). */
	int (*set_rate)(uint64_t bytes_per_sec);

	/* The far side of the loopback peripheral on request line @line. */
	dma_addr_t (*fifo_addr)(unsigned line);
	long (*fifo_push)(unsigned line, const void *data, size_t len);
	long (*fifo_pop)(unsigned line, void *buf, size_t len);

	/* Optional: advance a simulated controller; called while waiting. */
	void (*poll)(void);
};

/* Run the suite on @be; returns the number of failed tests. */
int dma_conformance_run(const struct dma_backend *be);
