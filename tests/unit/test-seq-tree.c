/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: daemon/util/seq_tree.c, the numbered treap the listings
 * resume by. Seeks are checked against a plain array of who is still
 * there; the depth against a generous bound.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "helpers.h"
#include "util/seq_tree.h"

static void numbers_are_given_in_add_order_from_one(void **state)
{
	struct seq_tree t = SEQ_TREE_INIT;
	struct seq_node a, b, c;

	seq_tree_add(&t, &a);
	seq_tree_add(&t, &b);
	seq_tree_remove(&t, &b);
	seq_tree_add(&t, &c);
	assert_int_equal(a.seq, 1);
	assert_int_equal(b.seq, 0);
	assert_int_equal(c.seq, 3);
	assert_int_equal(t.count, 2);
	assert_ptr_equal(seq_tree_seek(&t, 0), &a);
	assert_ptr_equal(seq_tree_seek(&t, 2), &c);
	assert_null(seq_tree_seek(&t, 4));
	seq_tree_remove(&t, &b); /* not in the tree: nothing */
	seq_tree_remove(&t, &a);
	seq_tree_remove(&t, &c);
	assert_null(t.root);
	assert_int_equal(t.count, 0);
}

/* Random removals among 20000 nodes; every seek agrees with the array. */
static void seek_finds_the_first_node_still_there(void **state)
{
	enum { N = 20000 };
	struct seq_node *nodes = calloc(N, sizeof(*nodes));
	bool *in = calloc(N + 2, sizeof(*in));
	struct seq_tree t = SEQ_TREE_INIT;

	assert_non_null(nodes);
	assert_non_null(in);
	srand(7);
	for (unsigned i = 0; i < N; i++) {
		seq_tree_add(&t, &nodes[i]);
		in[i + 1] = true;
	}
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned k = 0; k < N / 8; k++) {
			unsigned i = (unsigned)rand() % N;

			seq_tree_remove(&t, &nodes[i]);
			in[i + 1] = false;
		}
		for (uint64_t s = 0; s <= N + 1; s++) {
			uint64_t want = s ? s : 1;
			struct seq_node *n = seq_tree_seek(&t, s);

			while (want <= N && !in[want])
				want++;
			if (want > N)
				assert_null(n);
			else
				assert_int_equal(n->seq, want);
		}
	}
	/* Expected depth is about 3 ln n (30 here). */
	assert_true(seq_tree_depth(&t) < 100);
	for (unsigned i = 0; i < N; i++)
		seq_tree_remove(&t, &nodes[i]);
	assert_null(t.root);
	free(nodes);
	free(in);
}

/* Adds only ever go to the right: the tree must not become a list. */
static void depth_stays_logarithmic_for_a_million_adds(void **state)
{
	enum { N = 1000000 };
	struct seq_node *nodes = calloc(N, sizeof(*nodes));
	struct seq_tree t = SEQ_TREE_INIT;

	assert_non_null(nodes);
	for (unsigned i = 0; i < N; i++)
		seq_tree_add(&t, &nodes[i]);
	assert_true(seq_tree_depth(&t) < 150);
	/* Keep every 1000th only: still a tree. */
	for (unsigned i = 0; i < N; i++)
		if (i % 1000)
			seq_tree_remove(&t, &nodes[i]);
	assert_int_equal(t.count, N / 1000);
	assert_true(seq_tree_depth(&t) < 60);
	for (unsigned i = 0; i < N; i += 1000)
		seq_tree_remove(&t, &nodes[i]);
	free(nodes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numbers_are_given_in_add_order_from_one),
		cmocka_unit_test(seek_finds_the_first_node_still_there),
		cmocka_unit_test(depth_stays_logarithmic_for_a_million_adds),
	};

	return cmocka_run_group_tests_name("seq-tree", tests, NULL, NULL);
}
