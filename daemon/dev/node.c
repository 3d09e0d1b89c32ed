/* SPDX-License-Identifier: MIT */
/*
 * The node registry: a fixed array filled once by node_registry_build()
 * and emptied once by node_registry_free().
 */
#include "node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dmabufd/common.h>
#include <dmabufd/dmaengine.h>

#include "model/heap.h"
#include "node_ops.h"
#include "util/log.h"

#define NODE_MAX 64

const struct dev_node_ops *const dev_node_type_ops[DEV_NODE_TYPE_COUNT] = {
	[DEV_NODE_HEAP] = &heap_node_ops,
	[DEV_NODE_DMA_BUF] = &dma_buf_node_ops,
	[DEV_NODE_SYNC_FILE] = &sync_file_node_ops,
	[DEV_NODE_SW_SYNC] = &sw_sync_node_ops,
	[DEV_NODE_DMAENGINE] = &dmaengine_node_ops,
};

static struct dev_node *nodes[NODE_MAX];
static unsigned num_nodes;
static bool built;
static struct node_access access = { .gid = 0, .mode = 0660 };

void node_set_access(const struct node_access *a)
{
	access = *a;
	access.mode &= 07777;
}

void node_get_access(struct node_access *ret_access)
{
	*ret_access = access;
}

static bool node_name_valid(const char *name)
{
	size_t len = strlen(name);

	/* Relative, no empty component, no "." or "..". */
	if (len == 0 || len >= DEV_NODE_NAME_MAX || name[0] == '/' ||
	    name[len - 1] == '/' || strstr(name, "//"))
		return false;
	for (const char *c = name; *c;) {
		size_t n = strcspn(c, "/");

		if ((n == 1 && c[0] == '.') || (n == 2 && !strncmp(c, "..", 2)))
			return false;
		c += n;
		if (*c == '/')
			c++;
	}
	return true;
}

static int node_add(enum dev_node_type type, const char *name,
		    const struct dev_node_ops *ops, struct heap *heap)
{
	struct dev_node *node;

	if (!node_name_valid(name)) {
		log_err("node: invalid node name \"%s\"", name);
		return -EINVAL;
	}
	for (unsigned i = 0; i < num_nodes; i++)
		if (!strcmp(nodes[i]->name, name)) {
			log_err("node: two nodes named \"%s\"", name);
			return -EINVAL;
		}
	if (num_nodes >= NODE_MAX)
		return -ENOMEM;
	node = calloc(1, sizeof(*node));
	if (!node)
		return -ENOMEM;
	node->type = type;
	snprintf(node->name, sizeof(node->name), "%s", name);
	node->ops = ops;
	node->heap = heap ? heap_ref(heap) : NULL;
	node->index = num_nodes;
	nodes[num_nodes++] = node;
	return 0;
}

struct heap_walk {
	const char *dir;
	int error;
};

static int node_add_heap(struct heap *heap, void *data)
{
	struct heap_walk *walk = data;
	char name[DEV_NODE_NAME_MAX];

	if ((size_t)snprintf(name, sizeof(name), "%s/%s", walk->dir,
			     heap->name) >= sizeof(name)) {
		walk->error = -EINVAL;
		return 1;
	}
	walk->error = node_add(DEV_NODE_HEAP, name, &heap_node_ops, heap);
	return walk->error < 0;
}

int node_registry_build(const struct node_names *names)
{
	struct node_names n = names ? *names : (struct node_names){ 0 };
	struct heap_walk walk;
	int r;

	if (built)
		return -EEXIST;
	built = true;
	walk = (struct heap_walk){
		.dir = n.heap_dir ? n.heap_dir : DMABUFD_NODE_HEAP_DIR,
	};
	heap_foreach(node_add_heap, &walk);
	r = walk.error;
	if (r >= 0)
		r = node_add(DEV_NODE_DMA_BUF,
			     n.dma_buf ? n.dma_buf : DMABUFD_NODE_DMA_BUF,
			     &dma_buf_node_ops, NULL);
	if (r >= 0)
		r = node_add(DEV_NODE_SYNC_FILE,
			     n.sync_file ? n.sync_file : DMABUFD_NODE_SYNC_FILE,
			     &sync_file_node_ops, NULL);
	if (r >= 0)
		r = node_add(DEV_NODE_SW_SYNC,
			     n.sw_sync ? n.sw_sync : DMABUFD_NODE_SW_SYNC,
			     &sw_sync_node_ops, NULL);
	if (r >= 0)
		r = node_add(DEV_NODE_DMAENGINE,
			     n.dmaengine ? n.dmaengine : DMABUFD_NODE_DMAENGINE,
			     &dmaengine_node_ops, NULL);
	if (r < 0)
		node_registry_free();
	return r;
}

void node_registry_free(void)
{
	while (num_nodes > 0) {
		struct dev_node *node = nodes[--num_nodes];

		heap_unref(node->heap);
		free(node);
	}
	built = false;
}

unsigned node_count(void)
{
	return num_nodes;
}

struct dev_node *node_at(unsigned i)
{
	return i < num_nodes ? nodes[i] : NULL;
}

const char *node_type_name(enum dev_node_type type)
{
	switch (type) {
	case DEV_NODE_HEAP:
		return "heap";
	case DEV_NODE_DMA_BUF:
		return "dma_buf";
	case DEV_NODE_SYNC_FILE:
		return "sync_file";
	case DEV_NODE_SW_SYNC:
		return "sw_sync";
	case DEV_NODE_DMAENGINE:
		return "dmaengine";
	}
	return "?";
}
