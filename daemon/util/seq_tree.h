/* SPDX-License-Identifier: MIT */
/*
 * seq_tree - live objects ordered by a creation sequence number, so that
 * a walk can stop and resume later by number: seq_tree_seek(tree, n) is
 * the first object still there whose number is n or more, whatever came
 * and went meanwhile. The control socket's listings resume this way
 * between messages; they never keep a pointer to an object across the
 * loop.
 *
 * A treap, intrusive (a struct seq_node in each object; no allocation, so
 * adding cannot fail), with numbers given by the tree itself: 1, 2, ...
 * in order of seq_tree_add(), never reused. The heap priorities are a
 * mix of the number and a per-tree seed, so the expected depth is
 * O(log n) whichever objects a client keeps or frees. Add, remove and
 * seek cost O(depth). Not thread safe: the owner's thread only (the
 * daemon's loop thread for the model's trees).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct seq_node {
	struct seq_node *left, *right;
	uint64_t seq;	/* 0 while not in a tree */
};

struct seq_tree {
	struct seq_node *root;
	uint64_t last;	/* the last number given */
	uint64_t seed;
	uint64_t count;
};

#define SEQ_TREE_INIT { 0 }

/* Number @node (the next number) and add it. */
void seq_tree_add(struct seq_tree *tree, struct seq_node *node);

/* Remove @node; a node not in a tree (seq 0) is left alone. */
void seq_tree_remove(struct seq_tree *tree, struct seq_node *node);

/* The node with the smallest number >= @seq, or NULL. */
struct seq_node *seq_tree_seek(const struct seq_tree *tree, uint64_t seq);

/* The depth of the deepest node (tests). */
unsigned seq_tree_depth(const struct seq_tree *tree);
