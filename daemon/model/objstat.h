/* SPDX-License-Identifier: MIT */
/*
 * Live-object counters of the object model. Every constructor counts its
 * object in and every release counts it out, so a test (or dmabufctl) can
 * prove that an operation, or a client dying, left nothing behind.
 *
 * Loop thread only, like the rest of the object model.
 */
#pragma once

enum objstat_type {
	OBJ_FENCE,
	OBJ_TIMELINE,
	OBJ_SYNC_FILE,
	OBJ_DMA_BUF,
	OBJ_ATTACHMENT,
	OBJ_MAPPING,
	OBJ_HEAP,
	OBJ_DMA_DEVICE, OBJ_DMA_DESC, OBJ_DMA_XFER, OBJ_DMA_ATT, /* daemon/dmaengine */
	_OBJ_MAX,
};

void objstat_inc(enum objstat_type type);
void objstat_dec(enum objstat_type type);

/* Number of live objects of @type. */
long objstat_get(enum objstat_type type);

/* Human-readable name of @type ("fence", "dma_buf", ...), or NULL. */
const char *objstat_name(enum objstat_type type);
