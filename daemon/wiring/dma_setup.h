/* SPDX-License-Identifier: MIT */
/*
 * dma_setup - the daemon's DMA wiring: the completion queue's wake-up on
 * the loop, the dmaengine name map, the mock controller (now or after a
 * delay), the watchdog default, and fault injection for the control
 * socket.
 *
 * The options (struct dma_options) come from the configuration file's
 * [dma], [mock] and [consumer:NAME] sections and from the command line;
 * their parsers live in config/dma_options.c, which links without libuv
 * (the configuration's unit test uses them).
 *
 * Life cycle: dma_options_init(), then the configuration file and
 * dma_options_parse() for the command line; dma_setup_start() once the
 * loop glue runs and before
 * the transport serves anyone; dma_setup_stop() at shutdown after every
 * client file was released (dev_shutdown): it removes the controller,
 * which stops its worker, runs the completion queue dry and closes the
 * loop handles.
 *
 * Threading: loop thread only. The one function other threads reach is
 * the completion queue's wake-up (uv_async_send).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#define DMA_SETUP_MAX_MAPS 64

struct dma_map_option {
	char consumer[64];
	char dma_name[64];
	char controller[32];
	int chan_index;	  /* -1: any channel of the controller */
	int request_line; /* -1: none */
};

/* Which DMA controller the daemon runs ([dma] backend). */
enum dma_backend {
	DMA_BACKEND_NONE,	/* none: no controller, the channel ABI still
				 * answers (requests fail or wait) */
	DMA_BACKEND_MOCK,	/* mock: the software controller "mock0" */
	DMA_BACKEND_STM32,	/* stm32-uio: STM32H7 DMA1/DMA2 over UIO
				 * (stm32_setup.h) */
};

struct dma_options {
	enum dma_backend backend;
	unsigned mock_channels;	  /* 0: no mock controller */
	uint64_t mock_latency_us;
	uint64_t mock_bandwidth;  /* bytes/s; 0: as fast as memcpy */
	uint64_t mock_delay_ms;	  /* register this long after start */
	uint64_t timeout_ms;	  /* watchdog default; 0: none */
	unsigned num_maps;
	struct dma_map_option maps[DMA_SETUP_MAX_MAPS];
};

/* The defaults: backend mock with 4 channels at start (backend none when
 * built without the mock), memcpy speed, the core's watchdog deadline, no
 * map. */
void dma_options_init(struct dma_options *o);

/*
 * Apply the command-line option --@name=@value if it is one of the DMA
 * options (see dma_options_usage()). --mock-channels also picks the
 * backend: N > 0 selects the mock, 0 turns a mock backend into none. A
 * --dma-map for a consumer and name already mapped replaces that entry.
 * Returns 1 if applied, 0 if @name is not a DMA option, -EINVAL for a bad
 * value (a message is printed).
 */
int dma_options_parse(struct dma_options *o, const char *name,
		      const char *value);

/*
 * The same as dma_options_parse() without its side effects and messages:
 * set the value of --@name alone. Returns 1, 0 if @name is not a DMA
 * option, -EINVAL for a bad value, or -ENOSPC when the name map is full.
 */
int dma_options_set(struct dma_options *o, const char *name,
		    const char *value);

/*
 * Parse @s, "CONTROLLER[:CHAN[:LINE]]" (CHAN empty or "any": any free
 * channel), into the target fields of @m (controller, chan_index,
 * request_line); consumer and dma_name are left alone. Returns 0 or
 * -EINVAL (then @m's target fields are unspecified).
 */
int dma_map_parse_target(const char *s, struct dma_map_option *m);

/*
 * Add @m to the name map of @o, replacing the entry of the same consumer
 * and dma name if there is one. Returns 0 or -ENOSPC (DMA_SETUP_MAX_MAPS).
 */
int dma_options_add_map(struct dma_options *o, const struct dma_map_option *m);

/* "none", "mock", "stm32-uio". */
const char *dma_backend_name(enum dma_backend backend);
/*
 * Parse a backend name. Returns 0 and *ret_backend, -EINVAL for an
 * unknown name, or -EOPNOTSUPP when this build lacks that backend.
 */
int dma_backend_parse(const char *s, enum dma_backend *ret_backend);

/* The DMA options' lines of --help. */
void dma_options_usage(FILE *f);

/*
 * Start: wake-up, map, watchdog default, mock controller (or its timer).
 * Returns 0, or a negative errno with a message logged (then nothing is
 * left to stop).
 */
int dma_setup_start(uv_loop_t *loop, const struct dma_options *o);

/* Stop (see the top). Safe to call when start failed or never ran. */
void dma_setup_stop(void);

/*
 * Fault injection on channel dma<@dev_id>chan<@chan_id> (DMABUFD_CTL_DMA_FAULT):
 * @kind DMABUFD_CTL_FAULT_FAIL_NTH (the @count-th transfer the channel
 * starts from now fails with READ_FAILED), _STALL, _CLEAR.
 * Returns 0, -EINVAL (bad kind or count), -ENODEV (no such channel), or
 * -EOPNOTSUPP (its controller is not the mock).
 */
int dma_setup_fault(uint32_t dev_id, uint32_t chan_id, uint32_t kind,
		    uint32_t count);
