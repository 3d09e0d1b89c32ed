/* SPDX-License-Identifier: MIT */
/*
 * Claim tokens (daemon/dev/token.c): single use, expiry after the TTL,
 * death with the issuer, type and access checks, and the reference each
 * token holds on its object.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>

#include "dev/token.h"
#include "model/fence.h"
#include "model/sync_file.h"

#define TTL_NS 1000000000ull

static struct sync_file *stub_file(void)
{
	struct fence *f = fence_get_stub();
	struct sync_file *sf = NULL;

	assert_int_equal(sync_file_new(f, &sf), 0);
	fence_unref(f);
	return sf;
}

static int token_setup(void **state)
{
	fake_clock_setup(state);
	token_set_ttl_ns(TTL_NS);
	return 0;
}

static int token_teardown(void **state)
{
	assert_int_equal(token_count(), 0);
	token_set_ttl_ns(0);
	return leak_check_teardown(state);
}

#define token_test(fn) cmocka_unit_test_setup_teardown(fn, token_setup, token_teardown)

static void token_is_single_use(void **state)
{
	struct token_owner owner;
	struct sync_file *sf = stub_file();
	__u64 value = 0;
	void *obj = NULL;

	token_owner_init(&owner);
	assert_int_equal(token_new(&owner, TOKEN_SYNC_FILE, sf, O_RDWR, 0, &value), 0);
	assert_true(value != 0);
	assert_int_equal(token_count(), 1);
	assert_int_equal(token_take(value, TOKEN_SYNC_FILE, -1, &obj, NULL, NULL), 0);
	assert_ptr_equal(obj, sf);
	assert_int_equal(token_take(value, TOKEN_SYNC_FILE, -1, &obj, NULL, NULL), -EINVAL);
	assert_int_equal(token_count(), 0);
	assert_int_equal(owner.count, 0);
	sync_file_unref(obj); /* the token's reference */
	sync_file_unref(sf);
}

static void token_holds_a_reference(void **state)
{
	struct token_owner owner;
	struct sync_file *sf = stub_file();
	long before = objstat_get(OBJ_SYNC_FILE);
	__u64 value = 0;

	token_owner_init(&owner);
	assert_int_equal(token_new(&owner, TOKEN_SYNC_FILE, sf, O_RDWR, 0, &value), 0);
	sync_file_unref(sf);
	/* Still alive: the token holds it. */
	assert_int_equal(objstat_get(OBJ_SYNC_FILE), before);
	token_owner_clear(&owner);
	assert_int_equal(objstat_get(OBJ_SYNC_FILE), before - 1);
}

static void token_expires_after_ttl(void **state)
{
	struct token_owner owner;
	struct sync_file *sf = stub_file();
	__u64 value = 0;
	void *obj = NULL;

	token_owner_init(&owner);
	assert_int_equal(token_new(&owner, TOKEN_SYNC_FILE, sf, O_RDWR, 0, &value), 0);
	sync_file_unref(sf);
	fake_clock_advance(TTL_NS - 1);
	assert_int_equal(token_count(), 1);
	fake_clock_advance(1);
	assert_int_equal(token_count(), 0);
	assert_int_equal(owner.count, 0);
	assert_int_equal(token_take(value, TOKEN_SYNC_FILE, -1, &obj, NULL, NULL), -EINVAL);
}

static void token_dies_with_issuer(void **state)
{
	struct token_owner a, b;
	struct sync_file *sf = stub_file();
	__u64 va = 0, vb = 0;
	void *obj = NULL;

	token_owner_init(&a);
	token_owner_init(&b);
	assert_int_equal(token_new(&a, TOKEN_SYNC_FILE, sf, O_RDWR, 0, &va), 0);
	assert_int_equal(token_new(&a, TOKEN_SYNC_FILE, sf, O_RDWR, 0, &va), 0);
	assert_int_equal(token_new(&b, TOKEN_SYNC_FILE, sf, O_RDWR, 0, &vb), 0);
	assert_int_equal(token_count(), 3);
	token_owner_clear(&a);
	assert_int_equal(token_count(), 1);
	assert_int_equal(token_take(va, TOKEN_SYNC_FILE, -1, &obj, NULL, NULL), -EINVAL);
	assert_int_equal(token_take(vb, TOKEN_SYNC_FILE, -1, &obj, NULL, NULL), 0);
	sync_file_unref(obj);
	sync_file_unref(sf);
	assert_int_equal(timerq_armed(), 0);
}

static void token_of_another_type_is_einval_and_stays(void **state)
{
	struct token_owner owner;
	struct sync_file *sf = stub_file();
	__u64 value = 0;
	void *obj = NULL;

	token_owner_init(&owner);
	assert_int_equal(token_new(&owner, TOKEN_SYNC_FILE, sf, O_RDWR, 0, &value), 0);
	assert_int_equal(token_take(value, TOKEN_DMA_BUF, -1, &obj, NULL, NULL), -EINVAL);
	assert_int_equal(token_take(value, TOKEN_MAP, -1, &obj, NULL, NULL), -EINVAL);
	assert_null(obj);
	assert_int_equal(token_count(), 1);
	token_owner_clear(&owner);
	sync_file_unref(sf);
}

static void token_grants_at_most_its_mode(void **state)
{
	struct token_owner owner;
	struct sync_file *sf = stub_file();
	__u64 value = 0;
	void *obj = NULL;
	int mode = -1;
	uid_t uid = 0;

	token_owner_init(&owner);
	assert_int_equal(token_new(&owner, TOKEN_SYNC_FILE, sf, O_RDONLY, 42, &value), 0);
	assert_int_equal(token_take(value, TOKEN_SYNC_FILE, O_RDWR, &obj, NULL, NULL), -EACCES);
	assert_int_equal(token_take(value, TOKEN_SYNC_FILE, O_WRONLY, &obj, NULL, NULL), -EACCES);
	assert_int_equal(token_count(), 1);
	assert_int_equal(token_take(value, TOKEN_SYNC_FILE, O_RDONLY, &obj, &mode, &uid), 0);
	assert_int_equal(mode, O_RDONLY);
	assert_int_equal(uid, 42);
	sync_file_unref(obj);

	assert_true(token_mode_allows(O_RDWR, O_RDONLY));
	assert_true(token_mode_allows(O_RDWR, O_WRONLY));
	assert_false(token_mode_allows(O_WRONLY, O_RDONLY));
	sync_file_unref(sf);
}

static void token_bad_arguments_are_einval(void **state)
{
	struct token_owner owner;
	struct sync_file *sf = stub_file();
	__u64 value = 0;
	void *obj;

	token_owner_init(&owner);
	assert_int_equal(token_new(&owner, TOKEN_SYNC_FILE, NULL, O_RDWR, 0, &value), -EINVAL);
	assert_int_equal(token_new(&owner, 99, sf, O_RDWR, 0, &value), -EINVAL);
	assert_int_equal(token_new(&owner, TOKEN_SYNC_FILE, sf, O_ACCMODE, 0, &value), -EINVAL);
	assert_int_equal(token_take(0, TOKEN_SYNC_FILE, -1, &obj, NULL, NULL), -EINVAL);
	assert_int_equal(token_count(), 0);
	sync_file_unref(sf);
}

static void token_owner_limit_is_enomem(void **state)
{
	struct token_owner owner;
	struct sync_file *sf = stub_file();
	__u64 value = 0;

	token_owner_init(&owner);
	for (unsigned i = 0; i < TOKEN_MAX_PER_OWNER; i++)
		assert_int_equal(token_new(&owner, TOKEN_SYNC_FILE, sf, O_RDWR, 0, &value), 0);
	assert_int_equal(token_new(&owner, TOKEN_SYNC_FILE, sf, O_RDWR, 0, &value), -ENOMEM);
	token_owner_clear(&owner);
	sync_file_unref(sf);
}

/*
 * Enough tokens (from several issuers) to grow the table a few times:
 * every one is still found by its value, once, with its own object.
 */
#define MANY_TOKENS 10000u
#define MANY_OWNERS (MANY_TOKENS / TOKEN_MAX_PER_OWNER + 1)

static void token_table_growth_keeps_every_token(void **state)
{
	struct token_owner owners[MANY_OWNERS];
	struct sync_file *sf[2] = { stub_file(), stub_file() };
	__u64 *values = calloc(MANY_TOKENS, sizeof(*values));
	void *obj;

	assert_non_null(values);
	for (unsigned o = 0; o < MANY_OWNERS; o++)
		token_owner_init(&owners[o]);
	for (unsigned i = 0; i < MANY_TOKENS; i++)
		assert_int_equal(token_new(&owners[i % MANY_OWNERS], TOKEN_SYNC_FILE,
					   sf[i % 2], O_RDWR, i, &values[i]), 0);
	assert_int_equal(token_count(), MANY_TOKENS);
	for (unsigned i = 0; i < MANY_TOKENS; i++) {
		uid_t uid = (uid_t)-1;

		obj = NULL;
		assert_int_equal(token_take(values[i], TOKEN_DMA_BUF, -1, &obj, NULL, NULL), -EINVAL);
		assert_int_equal(token_take(values[i], TOKEN_SYNC_FILE, -1, &obj, NULL, &uid), 0);
		assert_ptr_equal(obj, sf[i % 2]);
		assert_int_equal(uid, i);
		sync_file_unref(obj);
		assert_int_equal(token_take(values[i], TOKEN_SYNC_FILE, -1, &obj, NULL, NULL), -EINVAL);
	}
	assert_int_equal(token_count(), 0);
	for (unsigned o = 0; o < MANY_OWNERS; o++)
		assert_int_equal(owners[o].count, 0);
	free(values);
	sync_file_unref(sf[0]);
	sync_file_unref(sf[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		token_test(token_is_single_use),
		token_test(token_holds_a_reference),
		token_test(token_expires_after_ttl),
		token_test(token_dies_with_issuer),
		token_test(token_of_another_type_is_einval_and_stays),
		token_test(token_grants_at_most_its_mode),
		token_test(token_bad_arguments_are_einval),
		token_test(token_owner_limit_is_enomem),
		token_test(token_table_growth_keeps_every_token),
	};

	return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
