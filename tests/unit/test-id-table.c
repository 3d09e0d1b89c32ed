/* SPDX-License-Identifier: MIT */
/*
 * The id table (daemon/util/id_table.c) that tokens and handles share:
 * entries are found by id until removed, growth rehashes without losing
 * one, growth stops at the table's cap, and new ids are never 0 nor one
 * that is in use. getrandom(2) is scripted here (this file's definition
 * takes the place of libc's in the test program), so the ids the table
 * is offered are known.
 */
#include "helpers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/id_table.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- scripted getrandom ---------------------------------------------- */

static const uint64_t *script;  /* ids to hand out, then the real source */
static size_t script_len, script_pos;
static int script_errno;        /* fail every call with this, if not 0 */

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	if (script_errno) {
		errno = script_errno;
		return -1;
	}
	if (script_pos < script_len && len == sizeof(uint64_t)) {
		memcpy(buf, &script[script_pos++], sizeof(uint64_t));
		return (ssize_t)len;
	}
	return syscall(SYS_getrandom, buf, len, flags);
}

static void script_ids(const uint64_t *ids, size_t n)
{
	script = ids;
	script_len = n;
	script_pos = 0;
}

static int id_setup(void **state)
{
	script_ids(NULL, 0);
	script_errno = 0;
	return 0;
}

#define id_test(fn) cmocka_unit_test_setup(fn, id_setup)

/* ---- predicates for id_table_new_id ------------------------------------ */

static uint64_t busy_ids[4];
static unsigned in_use_calls;

static bool in_busy_ids(uint64_t id)
{
	in_use_calls++;
	for (unsigned i = 0; i < ARRAY_LEN(busy_ids); i++)
		if (busy_ids[i] == id)
			return true;
	return false;
}

static bool nothing_in_use(uint64_t id)
{
	(void)id;
	in_use_calls++;
	return false;
}

/* ---- tests ------------------------------------------------------------- */

static void added_entries_are_found_until_removed(void **state)
{
	struct id_table t;
	struct id_node a = { .id = 0x1111 }, b = { .id = 0x2222 }, c = { .id = 0x3333 };

	id_table_init(&t, 1024);
	id_table_add(&t, &a);
	id_table_add(&t, &b);
	id_table_add(&t, &c);
	assert_int_equal(t.count, 3);
	assert_ptr_equal(id_table_find(&t, 0x1111), &a);
	assert_ptr_equal(id_table_find(&t, 0x2222), &b);
	assert_ptr_equal(id_table_find(&t, 0x3333), &c);
	assert_null(id_table_find(&t, 0x4444));

	id_table_remove(&t, &b);
	assert_int_equal(t.count, 2);
	assert_null(id_table_find(&t, 0x2222));
	assert_ptr_equal(id_table_find(&t, 0x1111), &a);
	assert_ptr_equal(id_table_find(&t, 0x3333), &c);
	id_table_remove(&t, &a);
	id_table_remove(&t, &c);
	assert_int_equal(t.count, 0);
	assert_null(id_table_find(&t, 0x1111));
	id_table_fini(&t);
}

/* Ids equal in the hash's low bits share a bucket: each is still its own. */
static void entries_of_one_bucket_are_told_apart_by_id(void **state)
{
	struct id_table t;
	struct id_node n[8];

	id_table_init(&t, ID_TABLE_MIN);
	for (unsigned i = 0; i < ARRAY_LEN(n); i++) {
		/* (id ^ id >> 32) is 5 for every one of these. */
		n[i].id = ((uint64_t)(i + 1) << 32) | (5u ^ (i + 1));
		id_table_add(&t, &n[i]);
	}
	for (unsigned i = 0; i < ARRAY_LEN(n); i++)
		assert_ptr_equal(id_table_find(&t, n[i].id), &n[i]);
	/* Out of the middle of the chain. */
	id_table_remove(&t, &n[3]);
	assert_null(id_table_find(&t, n[3].id));
	for (unsigned i = 0; i < ARRAY_LEN(n); i++)
		if (i != 3)
			assert_ptr_equal(id_table_find(&t, n[i].id), &n[i]);
	id_table_fini(&t);
}

static void id_0_is_never_found(void **state)
{
	struct id_table t;
	struct id_node a = { .id = 7 };

	id_table_init(&t, 1024);
	id_table_add(&t, &a);
	assert_null(id_table_find(&t, 0));
	id_table_remove(&t, &a);
	id_table_fini(&t);
}

/* A static table (ID_TABLE_INIT) works before anything initialises it. */
static struct id_table static_table = ID_TABLE_INIT(static_table, 256);

static void static_table_works_without_init(void **state)
{
	struct id_node a = { .id = 42 };

	id_table_add(&static_table, &a);
	assert_ptr_equal(id_table_find(&static_table, 42), &a);
	id_table_remove(&static_table, &a);
	assert_int_equal(static_table.count, 0);
	id_table_fini(&static_table);
}

/* A zeroed table (no init, no ID_TABLE_INIT) finds nothing and removing
 * from it is a no-op, as adding to it works (it initialises itself). */
static void zeroed_table_finds_nothing_and_removes_nothing(void **state)
{
	struct id_table t = { 0 };
	struct id_node a = { .id = 42 };

	assert_null(id_table_find(&t, 42));
	id_table_remove(&t, &a);
	assert_int_equal(t.count, 0);
	id_table_add(&t, &a);
	assert_ptr_equal(id_table_find(&t, 42), &a);
	id_table_remove(&t, &a);
	assert_int_equal(t.count, 0);
	id_table_fini(&t);
}

/* Removing a node that is not in the table changes nothing. */
static void removing_an_absent_node_changes_nothing(void **state)
{
	struct id_table t;
	struct id_node a = { .id = 0x1111 }, absent = { .id = 0x2222 };

	id_table_init(&t, 1024);
	id_table_add(&t, &a);
	id_table_remove(&t, &absent);
	assert_int_equal(t.count, 1);
	assert_ptr_equal(id_table_find(&t, 0x1111), &a);
	id_table_remove(&t, &a);
	id_table_fini(&t);
}

#define MANY 20000u

static void growth_keeps_every_entry_findable(void **state)
{
	struct id_node *n = calloc(MANY, sizeof(*n));
	struct id_table t;

	assert_non_null(n);
	id_table_init(&t, 1u << 20);
	for (unsigned i = 0; i < MANY; i++) {
		assert_int_equal(id_table_new_id(nothing_in_use, &n[i].id), 0);
		id_table_add(&t, &n[i]);
		/* Every entry added so far, at each doubling. */
		if ((i & (i + 1)) == 0)
			for (unsigned j = 0; j <= i; j++)
				assert_ptr_equal(id_table_find(&t, n[j].id), &n[j]);
	}
	assert_int_equal(t.count, MANY);
	/* Doubled to at least one bucket per entry. */
	assert_true(t.nbuckets >= MANY);
	assert_int_equal(t.nbuckets & (t.nbuckets - 1), 0);
	for (unsigned i = 0; i < MANY; i++)
		assert_ptr_equal(id_table_find(&t, n[i].id), &n[i]);
	for (unsigned i = 0; i < MANY; i += 2)
		id_table_remove(&t, &n[i]);
	assert_int_equal(t.count, MANY / 2);
	for (unsigned i = 0; i < MANY; i++)
		if (i % 2)
			assert_ptr_equal(id_table_find(&t, n[i].id), &n[i]);
		else
			assert_null(id_table_find(&t, n[i].id));
	id_table_fini(&t);
	free(n);
}

static void growth_stops_at_the_cap_and_entries_stay_findable(void **state)
{
	struct id_node *n = calloc(1000, sizeof(*n));
	struct id_table t;

	assert_non_null(n);
	id_table_init(&t, 128);
	for (unsigned i = 0; i < 1000; i++) {
		n[i].id = (uint64_t)i * 0x9e3779b97f4a7c15ull + 1;
		id_table_add(&t, &n[i]);
	}
	assert_int_equal(t.nbuckets, 128);
	for (unsigned i = 0; i < 1000; i++)
		assert_ptr_equal(id_table_find(&t, n[i].id), &n[i]);
	id_table_fini(&t);
	free(n);
}

static void new_id_is_never_0(void **state)
{
	static const uint64_t ids[] = { 0, 0, 0x5eed };
	uint64_t id = 1;

	script_ids(ids, ARRAY_LEN(ids));
	in_use_calls = 0;
	assert_int_equal(id_table_new_id(nothing_in_use, &id), 0);
	assert_int_equal(id, 0x5eed);
	assert_int_equal(script_pos, 3);
}

static void new_id_avoids_ids_in_use(void **state)
{
	static const uint64_t ids[] = { 0xa, 0xb, 0xc, 0xd };
	uint64_t id = 0;

	busy_ids[0] = 0xa;
	busy_ids[1] = 0xb;
	busy_ids[2] = 0xc;
	busy_ids[3] = 0;
	script_ids(ids, ARRAY_LEN(ids));
	in_use_calls = 0;
	assert_int_equal(id_table_new_id(in_busy_ids, &id), 0);
	assert_int_equal(id, 0xd);
	assert_int_equal(in_use_calls, 4);
}

static void new_id_fails_with_the_errno_of_getrandom_and_leaves_the_output(void **state)
{
	uint64_t id = 77;

	script_errno = EAGAIN;
	assert_int_equal(id_table_new_id(nothing_in_use, &id), -EAGAIN);
	assert_int_equal(id, 77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		id_test(added_entries_are_found_until_removed),
		id_test(entries_of_one_bucket_are_told_apart_by_id),
		id_test(id_0_is_never_found),
		id_test(static_table_works_without_init),
		id_test(zeroed_table_finds_nothing_and_removes_nothing),
		id_test(removing_an_absent_node_changes_nothing),
		id_test(growth_keeps_every_entry_findable),
		id_test(growth_stops_at_the_cap_and_entries_stay_findable),
		id_test(new_id_is_never_0),
		id_test(new_id_avoids_ids_in_use),
		id_test(new_id_fails_with_the_errno_of_getrandom_and_leaves_the_output),
	};

	return cmocka_run_group_tests_name("id-table", tests, NULL, NULL);
}
