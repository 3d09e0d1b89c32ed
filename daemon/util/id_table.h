/* SPDX-License-Identifier: MIT */
/*
 * id_table - objects keyed by a random 64-bit id (tokens, handles): a
 * chained hash table, intrusive (a struct id_node in each object).
 *
 * The table starts with ID_TABLE_MIN buckets, held in the table itself,
 * so adding never fails for want of memory; it doubles whenever there
 * would be more entries than buckets, up to @max_buckets. A doubling that
 * finds no memory is skipped (chains get longer) and tried again at the
 * next add. It never shrinks. Lookups stay O(1) at any count.
 *
 * The ids are random, so any bits of them make a fine hash. id 0 is "no
 * id" on every wire: id_table_new_id() never gives it.
 *
 * Not thread safe: the daemon's loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define ID_TABLE_MIN 64u

/* A static table @t (its own name) of at most @max buckets. */
#define ID_TABLE_INIT(t, max) \
	{ .buckets = (t).min, .nbuckets = ID_TABLE_MIN, .max_buckets = (max) }

struct id_node {
	struct id_node *next;
	uint64_t id;
};

struct id_table {
	struct id_node **buckets;
	struct id_node *min[ID_TABLE_MIN];
	unsigned nbuckets;	/* a power of two */
	unsigned max_buckets;	/* a power of two >= ID_TABLE_MIN */
	unsigned count;
};

void id_table_init(struct id_table *t, unsigned max_buckets);

/* Free the table's memory (its entries are the caller's). */
void id_table_fini(struct id_table *t);

/* The entry with @id, or NULL (always NULL for 0). */
struct id_node *id_table_find(const struct id_table *t, uint64_t id);

/* Add @node under @node->id (not 0, not already in the table). */
void id_table_add(struct id_table *t, struct id_node *node);

/* Remove @node from @t; a node that is not in @t (or a zeroed @t) is
 * left alone. */
void id_table_remove(struct id_table *t, struct id_node *node);

/*
 * A fresh random id (getrandom(2)): not 0, and not one for which
 * @in_use says true (one id space may span several tables). Returns 0
 * and *ret_id, or -errno from getrandom.
 */
int id_table_new_id(bool (*in_use)(uint64_t id), uint64_t *ret_id);
