/* SPDX-License-Identifier: MIT */
/*
 * dma_setup - the daemon's DMA wiring: the completion queue's wake-up on
 * the loop, the dmaengine name map, the mock controller (now or after a
 * delay), the watchdog default, and fault injection for the control
 * socket. Command-line options for now; a configuration file later.
 *
 * Life cycle: dma_options_init() and dma_options_parse() while reading
 * the command line; dma_setup_start() once the loop glue runs and before
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

struct dma_options {
	unsigned mock_channels;	  /* 0: no mock controller */
	uint64_t mock_latency_us;
	uint64_t mock_bandwidth;  /* bytes/s; 0: as fast as memcpy */
	uint64_t mock_delay_ms;	  /* register this long after start */
	uint64_t timeout_ms;	  /* watchdog default; 0: none */
	unsigned num_maps;
	struct dma_map_option maps[DMA_SETUP_MAX_MAPS];
};

/* The defaults: a mock controller with 4 channels at start (none when
 * built without it), memcpy speed, the core's watchdog deadline, no map. */
void dma_options_init(struct dma_options *o);

/*
 * Apply the command-line option --@name=@value if it is one of the DMA
 * options (see dma_options_usage()). Returns 1 if applied, 0 if @name is
 * not a DMA option, -EINVAL for a bad value (a message is printed).
 */
int dma_options_parse(struct dma_options *o, const char *name,
		      const char *value);

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
 * @kind DMABUFD_CTL_FAULT_FAIL_NTH (the @count-th transfer the channel's
 * controller starts from now fails with READ_FAILED), _STALL, _CLEAR.
 * Returns 0, -EINVAL (bad kind or count), -ENODEV (no such channel), or
 * -EOPNOTSUPP (its controller is not the mock).
 */
int dma_setup_fault(uint32_t dev_id, uint32_t chan_id, uint32_t kind,
		    uint32_t count);
