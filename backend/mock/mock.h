/* SPDX-License-Identifier: MIT */
/*
 * mock - a software DMA controller for dmabufd's dmaengine core.
 *
 * A mock device is a struct dma_device with a configurable number of
 * channels (MEMCPY with memcpy_sg, SLAVE, CYCLIC, and PRIVATE as
 * configured). Its "bus" is the daemon's own address space: a dma_addr_t
 * is a pointer (the system heap's dma addresses are). One worker thread
 * per device does the copies, a chunk at a time, round-robin over the
 * channels, honouring the timing model; it publishes each channel's
 * progress (so tx_status reports the residue of a running transfer) and
 * hands completions back through the core's completion queue (dma_cq.h).
 *
 * Peripherals are loopback FIFOs, one per request line: a MEM_TO_DEV
 * transfer on a channel whose request line is L writes into FIFO L (and
 * waits while it is full), a DEV_TO_MEM transfer reads from it (and waits
 * while it is empty). mock_fifo_push() / mock_fifo_pop() play the far
 * side. A slave config's device address, when set, must be
 * mock_fifo_addr() of the channel's line.
 * A line's bytes are for the channels using it: when the last channel
 * with that request line (or a transfer on it not yet over) is released
 * or moves to another line, the FIFO forgets what it held, so a later
 * user of the line (another client) never reads an earlier one's bytes.
 *
 * Faults: the Nth transfer started can fail (READ_FAILED or
 * WRITE_FAILED; no byte of memory is touched), and a channel can be
 * stalled (its transfer makes no progress, so only the watchdog ends it;
 * the channel's reset op clears the stall).
 *
 * Life cycle: mock_device_create() allocates, starts the worker and
 * registers the device. mock_device_remove() unregisters it; the memory
 * and the worker go when the last channel is released (device_release),
 * which may be before it returns: do not use @md afterwards.
 *
 * Threading: every function here is for the loop thread. The worker
 * shares the running descriptors and FIFOs with it under the device's
 * mutex, but copies memory to memory outside it (progress is published
 * with atomics), so no loop-thread call waits for a copy: tx_status takes
 * no lock, pause and synchronize wait for at most the chunk in flight.
 * When synchronize returns, the worker touches no memory of a terminated
 * descriptor.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dmaengine/dmaengine.h"

#define MOCK_MAX_CHANNELS 32
#define MOCK_MAX_LINES 64

enum mock_caps {
	MOCK_CAP_MEMCPY = 1 << 0,
	MOCK_CAP_SLAVE = 1 << 1,
	MOCK_CAP_CYCLIC = 1 << 2,
	MOCK_CAP_PRIVATE = 1 << 3, /* DMA_PRIVATE: never in the public table */
};

struct mock_config {
	char name[DMA_DEV_NAME_LEN]; /* controller name; "mock0" by default */
	unsigned nr_channels;	     /* 1..32; 4 */
	unsigned caps;		     /* enum mock_caps; MEMCPY|SLAVE|CYCLIC */
	unsigned nr_request_lines;   /* loopback FIFOs, 1..64; 8 */
	size_t fifo_size;	     /* bytes per FIFO; 4096 */
	unsigned nr_descs;	     /* descriptor pool per channel; 64 */
	size_t chunk_size;	     /* bytes per worker step; 16384 */
	uint64_t latency_ns;	     /* before a transfer moves its first byte */
	uint64_t bytes_per_sec;	     /* 0: as fast as memcpy */
	unsigned fail_nth;	     /* 0: never; else the Nth transfer fails */
	enum dmaengine_tx_result fail_result; /* READ_FAILED or WRITE_FAILED */
	uint32_t stall_mask;	     /* channels stalled from the start */
};

struct mock_device;

/* Fill @cfg with the defaults above. */
void mock_config_default(struct mock_config *cfg);

/*
 * Create and register a mock device. Returns 0 and *ret_md, -EINVAL for
 * a bad config (counts out of range, fail_result not a failure), -ENOMEM,
 * -EAGAIN if the worker cannot start, or dma_async_device_register()'s
 * error (e.g. -EEXIST for a name in use).
 */
int mock_device_create(const struct mock_config *cfg,
		       struct mock_device **ret_md);

/* Unregister @md (see the top). NULL is a no-op. */
void mock_device_remove(struct mock_device *md);

/* The device inside @md. */
struct dma_device *mock_dma_device(struct mock_device *md);

/* The @chan_id'th channel of @md, or NULL. */
struct dma_chan *mock_chan(struct mock_device *md, unsigned chan_id);

/*
 * Make the @n'th transfer started from now on fail with @result
 * (DMA_TRANS_READ_FAILED or DMA_TRANS_WRITE_FAILED); @n = 0 cancels.
 * Returns 0 or -EINVAL.
 */
int mock_fail_nth(struct mock_device *md, unsigned n,
		  enum dmaengine_tx_result result);

/* The same for channel @chan_id alone: the @n'th transfer it starts from
 * now on fails. Returns 0 or -EINVAL (also for a bad @chan_id). */
int mock_chan_fail_nth(struct mock_device *md, unsigned chan_id, unsigned n,
		       enum dmaengine_tx_result result);

/* Stall (or unstall) channel @chan_id. Returns 0 or -EINVAL. */
int mock_stall(struct mock_device *md, unsigned chan_id, bool stall);

/* Change the timing model for transfers started afterwards. */
int mock_set_timing(struct mock_device *md, uint64_t latency_ns,
		    uint64_t bytes_per_sec);

/*
 * Tests: call @hook(@data) on the worker thread before each memory to
 * memory chunk it copies, outside the device's lock (NULL: none). The
 * hook may block, to hold the worker inside a copy. Returns 0 or -EINVAL.
 */
int mock_set_copy_hook(struct mock_device *md, void (*hook)(void *data),
		       void *data);

/* The bus address of FIFO @line (for dma_slave_config), or 0. */
dma_addr_t mock_fifo_addr(struct mock_device *md, unsigned line);

/*
 * The far side of FIFO @line: push up to @len bytes into it (what a
 * DEV_TO_MEM transfer then reads), or pop up to @len bytes (what a
 * MEM_TO_DEV transfer wrote). Return the number of bytes moved (>= 0), or
 * -EINVAL.
 */
long mock_fifo_push(struct mock_device *md, unsigned line, const void *data,
		    size_t len);
long mock_fifo_pop(struct mock_device *md, unsigned line, void *buf,
		   size_t len);
/* Bytes in FIFO @line, or -EINVAL. */
long mock_fifo_level(struct mock_device *md, unsigned line);

/* Chunks the worker thread has moved since @md was created (tests and
 * benchmarks: a copy done on the loop moves none). Any thread. */
uint64_t mock_worker_chunks(struct mock_device *md);
