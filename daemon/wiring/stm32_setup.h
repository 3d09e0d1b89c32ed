/* SPDX-License-Identifier: MIT */
/*
 * stm32_setup - the daemon's STM32H7 wiring (backend/stm32-uio): the
 * board description read from the configuration file ([stm32:NAME]
 * controllers, [heap:NAME] type = stm32-contig heaps, [stm32] UIO
 * locations), the contiguous heaps created before the nodes exist, the
 * controllers registered when their UIO devices are present (at start or
 * later: hotplug), their interrupt fds polled on the loop.
 *
 * Life cycle: stm32_setup_heaps() before node_registry_build() (heap
 * nodes are made once, so a heap's UIO device must exist at start);
 * stm32_setup_start() once the loop glue and dma_setup run; it registers
 * every controller whose devices are present and watches for the others
 * (udev "kernel" uevents where netlink works, and a rescan every
 * rescan-ms unless that is 0; with neither, a controller missing at start
 * is never seen), which are registered when they appear and removed when
 * they go (a channel request by name waits for them: dmaengine's deferred
 * requests). stm32_setup_stop() at shutdown after dev_shutdown().
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <uv.h>

struct uio_env;

#define STM32_SETUP_MAX_CONTROLLERS 2	/* DMA1, DMA2 */
#define STM32_SETUP_MAX_HEAPS 4
#define STM32_SETUP_NAME_LEN 64		/* UIO names, controller names */
#define STM32_SETUP_NR_STREAMS 8
#define STM32_SETUP_MAX_REQUESTS 256	/* DMAMUX1 request inputs */
/* stm32_controller_option.trbuff: the driver's STM32_DMA_TRBUFF_*. */
enum { STM32_SETUP_TRBUFF_AUTO, STM32_SETUP_TRBUFF_ON, STM32_SETUP_TRBUFF_OFF };

/* One [stm32:NAME] section. */
struct stm32_controller_option {
	char name[32];			/* dma_device name ("dma1"): NAME */
	unsigned index;			/* index: 0 DMA1, 1 DMA2 */
	char uio[STM32_SETUP_NAME_LEN];	/* uio: UIO name of the register block */
	unsigned map;			/* map: its UIO map */
	char dmamux_uio[STM32_SETUP_NAME_LEN]; /* dmamux-uio: "" for none */
	unsigned dmamux_map;		/* dmamux-map */
	/* irq-uio: UIO devices carrying stream interrupts, "" for none */
	char irq_uio[STM32_SETUP_NR_STREAMS][STM32_SETUP_NAME_LEN];
	bool mem2mem;			/* mem2mem: offer DMA_MEMCPY */
	unsigned nr_descs;		/* descriptors: per channel (64) */
	unsigned nr_requests;		/* requests: DMAMUX inputs (128) */
	/* trbuff-on, trbuff-off: SxCR.TRBUFF per request line, for channels
	 * that do not set it (AUTO: on for the U(S)ART lines). */
	uint8_t trbuff[STM32_SETUP_MAX_REQUESTS + 1];
};

/* One [heap:NAME] section with type = stm32-contig. */
struct stm32_heap_option {
	char name[32];			/* heap name: NAME */
	char uio[STM32_SETUP_NAME_LEN];	/* uio: UIO device of the region */
	unsigned map;			/* map */
};

struct stm32_options {
	unsigned nr_controllers;
	struct stm32_controller_option controllers[STM32_SETUP_MAX_CONTROLLERS];
	unsigned nr_heaps;
	struct stm32_heap_option heaps[STM32_SETUP_MAX_HEAPS];
	/* [stm32]: where UIO lives (tests point these at a fake tree) */
	char uio_class_dir[256];	/* uio-class-dir: "/sys/class/uio" */
	char uio_dev_dir[256];		/* uio-dev-dir: "/dev" */
	unsigned rescan_ms;		/* rescan-ms: hotplug poll, also
					 * with uevents (1000; 0: never) */
	/* Not from the file: the UIO seam itself, NULL for the real ops
	 * over the two directories above (tests give a fake's env, which
	 * must outlive every controller and heap buffer). */
	const struct uio_env *uio_env;
};

/* Defaults: nothing configured, the real UIO locations, rescan 1000 ms. */
void stm32_options_init(struct stm32_options *o);
/* Fill @c with one controller's defaults (index 0, map 0, mem2mem, 64
 * descriptors, 128 requests); the caller sets the name and UIO names. */
void stm32_controller_option_init(struct stm32_controller_option *c);

/*
 * Create and register the configured contiguous heaps. Returns 0, or a
 * negative errno with a message logged naming the heap (then none is left
 * registered).
 */
int stm32_setup_heaps(const struct stm32_options *o);

/*
 * Register the controllers present and watch for the rest. Returns 0, or
 * a negative errno with a message logged (then nothing is left to stop).
 * A controller whose UIO devices are missing is not an error: it is
 * logged and awaited.
 */
int stm32_setup_start(uv_loop_t *loop, const struct stm32_options *o);

/* Remove the controllers, stop watching, destroy the heaps. Safe to call
 * when nothing started. */
void stm32_setup_stop(void);
