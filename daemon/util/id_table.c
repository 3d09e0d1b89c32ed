/* SPDX-License-Identifier: MIT */
#include "id_table.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

void id_table_init(struct id_table *t, unsigned max_buckets)
{
	*t = (struct id_table){ .nbuckets = ID_TABLE_MIN };
	t->buckets = t->min;
	t->max_buckets = max_buckets < ID_TABLE_MIN ? ID_TABLE_MIN : max_buckets;
}

void id_table_fini(struct id_table *t)
{
	if (t->buckets && t->buckets != t->min)
		free(t->buckets);
	id_table_init(t, t->max_buckets);
}

static struct id_node **bucket_of(struct id_node **buckets, unsigned n,
				  uint64_t id)
{
	return &buckets[(id ^ (id >> 32)) & (n - 1)];
}

struct id_node *id_table_find(const struct id_table *t, uint64_t id)
{
	struct id_node *node;

	if (!id || !t->buckets)
		return NULL;
	for (node = *bucket_of(t->buckets, t->nbuckets, id); node; node = node->next)
		if (node->id == id)
			return node;
	return NULL;
}

/* Double the table if @count entries would outnumber its buckets. */
static void id_table_grow(struct id_table *t, unsigned count)
{
	struct id_node **table, *node, *next;
	unsigned n = t->nbuckets * 2;

	if (count <= t->nbuckets || t->nbuckets >= t->max_buckets)
		return;
	table = calloc(n, sizeof(*table));
	if (!table)
		return;
	for (unsigned i = 0; i < t->nbuckets; i++) {
		for (node = t->buckets[i]; node; node = next) {
			struct id_node **b = bucket_of(table, n, node->id);

			next = node->next;
			node->next = *b;
			*b = node;
		}
	}
	if (t->buckets != t->min)
		free(t->buckets);
	t->buckets = table;
	t->nbuckets = n;
}

void id_table_add(struct id_table *t, struct id_node *node)
{
	struct id_node **b;

	if (!t->buckets)
		id_table_init(t, t->max_buckets);
	id_table_grow(t, t->count + 1);
	b = bucket_of(t->buckets, t->nbuckets, node->id);
	node->next = *b;
	*b = node;
	t->count++;
}

void id_table_remove(struct id_table *t, struct id_node *node)
{
	struct id_node **p;

	/* A zeroed table holds nothing (id_table_add() initialises it). */
	if (!t->buckets)
		return;
	p = bucket_of(t->buckets, t->nbuckets, node->id);
	while (*p && *p != node)
		p = &(*p)->next;
	if (!*p)
		return;
	*p = node->next;
	node->next = NULL;
	t->count--;
}

int id_table_new_id(bool (*in_use)(uint64_t id), uint64_t *ret_id)
{
	uint64_t id;

	/* A collision is astronomically rare but cheap to rule out. */
	do {
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			return errno ? -errno : -EIO;
	} while (id == 0 || in_use(id));
	*ret_id = id;
	return 0;
}
