/* SPDX-License-Identifier: MIT */
/*
 * The treap of seq_tree.h. Keys grow with every add, so an add always
 * goes down the right spine; priorities come from a 64-bit mixer
 * (splitmix64's finalizer) over key and seed, a max-heap on them.
 * Removal merges the node's two subtrees in its place. The recursion
 * depth is the tree's depth, O(log n) expected.
 */
#include "seq_tree.h"

#include <stddef.h>
#include <sys/random.h>

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t prio(const struct seq_tree *tree, const struct seq_node *n)
{
	return mix(n->seq ^ tree->seed);
}

static struct seq_node *rotate_left(struct seq_node *n)
{
	struct seq_node *r = n->right;

	n->right = r->left;
	r->left = n;
	return r;
}

/* Add @node, whose key is larger than every key under @root. */
static struct seq_node *insert_max(const struct seq_tree *tree,
				   struct seq_node *root, struct seq_node *node)
{
	if (!root)
		return node;
	root->right = insert_max(tree, root->right, node);
	if (prio(tree, root->right) > prio(tree, root))
		root = rotate_left(root);
	return root;
}

/* Every key under @a is smaller than every key under @b. */
static struct seq_node *merge(const struct seq_tree *tree, struct seq_node *a,
			      struct seq_node *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (prio(tree, a) > prio(tree, b)) {
		a->right = merge(tree, a->right, b);
		return a;
	}
	b->left = merge(tree, a, b->left);
	return b;
}

static struct seq_node *erase(const struct seq_tree *tree,
			      struct seq_node *root, uint64_t seq)
{
	if (!root)
		return NULL;
	if (seq == root->seq)
		return merge(tree, root->left, root->right);
	if (seq < root->seq)
		root->left = erase(tree, root->left, seq);
	else
		root->right = erase(tree, root->right, seq);
	return root;
}

void seq_tree_add(struct seq_tree *tree, struct seq_node *node)
{
	if (!tree->last) {
		/* The seed only has to be unknown to clients; a failure
		 * leaves 0, which is still a valid treap. */
		if (getrandom(&tree->seed, sizeof(tree->seed), GRND_NONBLOCK) !=
		    sizeof(tree->seed))
			tree->seed = 0;
	}
	node->left = node->right = NULL;
	node->seq = ++tree->last;
	tree->root = insert_max(tree, tree->root, node);
	tree->count++;
}

void seq_tree_remove(struct seq_tree *tree, struct seq_node *node)
{
	if (!node->seq)
		return;
	tree->root = erase(tree, tree->root, node->seq);
	node->left = node->right = NULL;
	node->seq = 0;
	tree->count--;
}

struct seq_node *seq_tree_seek(const struct seq_tree *tree, uint64_t seq)
{
	struct seq_node *n = tree->root, *best = NULL;

	while (n) {
		if (n->seq >= seq) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

static unsigned depth(const struct seq_node *n)
{
	unsigned l, r;

	if (!n)
		return 0;
	l = depth(n->left);
	r = depth(n->right);
	return 1 + (l > r ? l : r);
}

unsigned seq_tree_depth(const struct seq_tree *tree)
{
	return depth(tree->root);
}
