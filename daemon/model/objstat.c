/* SPDX-License-Identifier: MIT */
#include "objstat.h"

#include <assert.h>

#include "util/macros.h"

static long objstat_count[_OBJ_MAX];

static const char *const objstat_names[_OBJ_MAX] = {
	[OBJ_FENCE] = "fence",
	[OBJ_TIMELINE] = "timeline",
	[OBJ_SYNC_FILE] = "sync_file",
	[OBJ_DMA_BUF] = "dma_buf",
	[OBJ_ATTACHMENT] = "attachment",
	[OBJ_MAPPING] = "mapping",
	[OBJ_HEAP] = "heap",
	[OBJ_DMA_DEVICE] = "dma_device", [OBJ_DMA_DESC] = "dma_desc", [OBJ_DMA_XFER] = "dma_xfer", [OBJ_DMA_ATT] = "dma_xfer_att",
};

void objstat_inc(enum objstat_type type)
{
	assert(type < _OBJ_MAX);
	objstat_count[type]++;
}

void objstat_dec(enum objstat_type type)
{
	assert(type < _OBJ_MAX);
	assert(objstat_count[type] > 0);
	objstat_count[type]--;
}

long objstat_get(enum objstat_type type)
{
	if ((unsigned)type >= _OBJ_MAX)
		return -1;
	return objstat_count[type];
}

const char *objstat_name(enum objstat_type type)
{
	if ((unsigned)type >= ARRAY_SIZE(objstat_names))
		return NULL;
	return objstat_names[type];
}
