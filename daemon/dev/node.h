/* SPDX-License-Identifier: MIT */
/*
 * node - the registry of device nodes a transport serves.
 *
 * One node per registered heap ("dma_heap/<heap>"), plus the dma_buf,
 * sync_file, sw_sync and dmaengine nodes, named relative to the device root (/dev
 * with CUSE, the FUSE mount point otherwise). Names come from
 * proto/dmabufd/common.h unless configured otherwise.
 *
 * Life cycle: node_registry_build() creates every node once at start-up
 * (heap nodes hold a reference to their heap); node_registry_free() drops
 * them at exit, after every file on them is gone. Nodes never change in
 * between, so transports may keep pointers to them.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct heap;
struct dev_node_ops;

enum dev_node_type {
	DEV_NODE_HEAP,
	DEV_NODE_DMA_BUF,
	DEV_NODE_SYNC_FILE,
	DEV_NODE_SW_SYNC,
	DEV_NODE_DMAENGINE,
};
#define DEV_NODE_TYPE_COUNT (DEV_NODE_DMAENGINE + 1)

#define DEV_NODE_NAME_MAX 128

struct dev_node {
	enum dev_node_type type;
	char name[DEV_NODE_NAME_MAX]; /* relative, e.g. "dma_heap/system" */
	const struct dev_node_ops *ops;
	struct heap *heap;	      /* DEV_NODE_HEAP: a reference */
	unsigned index;
	void *transport_data;	      /* the transport's, per node */
};

/* Node names; NULL fields take the defaults of proto/dmabufd/common.h. */
struct node_names {
	const char *heap_dir;
	const char *dma_buf;
	const char *sync_file;
	const char *sw_sync;
	const char *dmaengine;
};

/*
 * Create the nodes: one per heap registered now, then dma_buf, sync_file,
 * sw_sync and dmaengine. Returns 0, -EINVAL for a bad or duplicate name (logged),
 * -EEXIST if built already, or -ENOMEM.
 */
int node_registry_build(const struct node_names *names);

/* Free every node. */
void node_registry_free(void);

unsigned node_count(void);
/* The @i-th node (i < node_count()), in creation order. */
struct dev_node *node_at(unsigned i);

/*
 * Who may open the nodes: their group and permission bits (CUSE device
 * nodes are chowned/chmodded once live; FUSE files report them in
 * getattr). The default is gid 0 and mode 0660 until configured (the
 * configuration's [nodes] group/mode, default group video).
 */
struct node_access {
	gid_t gid;
	mode_t mode; /* permission bits only (07777 at most) */
};

void node_set_access(const struct node_access *access);
void node_get_access(struct node_access *ret_access);

/* "heap", "dma_buf", "sync_file", "sw_sync" or "dmaengine". */
const char *node_type_name(enum dev_node_type type);
