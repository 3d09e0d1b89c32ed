/* SPDX-License-Identifier: MIT */
/*
 * Per-uid accounts (daemon/model/acct.c): charges within and past the
 * limits, exemption, references, and the charges the heaps and the token
 * table make through them.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

#include "dev/token.h"
#include "model/acct.h"
#include "model/heap.h"
#include "model/heap_system.h"
#include "model/sync_file.h"

#define PAGE 4096u
#define USER 1000u

static struct acct_limits limits(uint64_t bytes, uint64_t files, uint64_t tokens)
{
	struct acct_limits l = { .exempt_root = true };

	l.max[ACCT_BYTES] = bytes;
	l.max[ACCT_FILES] = files;
	l.max[ACCT_TOKENS] = tokens;
	return l;
}

static int acct_setup(void **state)
{
	struct acct_limits l = limits(0, 0, 0);

	acct_set_limits(&l);
	return fake_clock_setup(state);
}

static int acct_teardown(void **state)
{
	struct acct_limits l = limits(0, 0, 0);

	assert_int_equal(acct_count(), 0);
	acct_set_limits(&l);
	return leak_check_teardown(state);
}

#define acct_test(fn) cmocka_unit_test_setup_teardown(fn, acct_setup, acct_teardown)

static void charge_within_the_limit_succeeds(void **state)
{
	struct acct_limits l = limits(0, 3, 0);
	struct acct *a = NULL;

	acct_set_limits(&l);
	assert_int_equal(acct_get(USER, &a), 0);
	assert_int_equal(acct_charge(a, ACCT_FILES, 3), 0);
	assert_int_equal(a->used[ACCT_FILES], 3);
	acct_uncharge(a, ACCT_FILES, 3);
	acct_unref(a);
}

static void charge_past_the_limit_is_edquot_and_charges_nothing(void **state)
{
	struct acct_limits l = limits(0, 3, 0);
	uint64_t before = acct_refused_total(ACCT_FILES);
	struct acct *a = NULL;

	acct_set_limits(&l);
	assert_int_equal(acct_get(USER, &a), 0);
	assert_int_equal(acct_charge(a, ACCT_FILES, 2), 0);
	assert_int_equal(acct_charge(a, ACCT_FILES, 2), -EDQUOT);
	assert_int_equal(a->used[ACCT_FILES], 2);
	assert_int_equal(a->refused[ACCT_FILES], 1);
	assert_int_equal(acct_refused_total(ACCT_FILES), before + 1);
	assert_int_equal(acct_charge(a, ACCT_FILES, 1), 0);
	acct_uncharge(a, ACCT_FILES, 3);
	acct_unref(a);
}

static void uncharge_makes_room_again(void **state)
{
	struct acct_limits l = limits(0, 1, 0);
	struct acct *a = NULL;

	acct_set_limits(&l);
	assert_int_equal(acct_get(USER, &a), 0);
	assert_int_equal(acct_charge(a, ACCT_FILES, 1), 0);
	assert_int_equal(acct_charge(a, ACCT_FILES, 1), -EDQUOT);
	acct_uncharge(a, ACCT_FILES, 1);
	assert_int_equal(acct_charge(a, ACCT_FILES, 1), 0);
	acct_uncharge(a, ACCT_FILES, 1);
	acct_unref(a);
}

static void root_is_exempt_unless_configured_otherwise(void **state)
{
	struct acct_limits l = limits(0, 1, 0);
	struct acct *root = NULL;

	acct_set_limits(&l);
	assert_int_equal(acct_get(0, &root), 0);
	assert_int_equal(acct_charge(root, ACCT_FILES, 5), 0);
	assert_int_equal(root->used[ACCT_FILES], 5);
	assert_int_equal(acct_limit(root, ACCT_FILES), 0);
	l.exempt_root = false;
	acct_set_limits(&l);
	assert_int_equal(acct_limit(root, ACCT_FILES), 1);
	assert_int_equal(acct_charge(root, ACCT_FILES, 1), -EDQUOT);
	acct_uncharge(root, ACCT_FILES, 5);
	acct_unref(root);
}

static void zero_limit_is_no_limit(void **state)
{
	struct acct *a = NULL;

	assert_int_equal(acct_get(USER, &a), 0);
	assert_int_equal(acct_charge(a, ACCT_BYTES, UINT64_MAX / 2), 0);
	acct_uncharge(a, ACCT_BYTES, UINT64_MAX / 2);
	acct_unref(a);
}

static void charge_that_would_wrap_is_eoverflow(void **state)
{
	struct acct *a = NULL;

	assert_int_equal(acct_get(USER, &a), 0);
	assert_int_equal(acct_charge(a, ACCT_BYTES, UINT64_MAX), 0);
	assert_int_equal(acct_charge(a, ACCT_BYTES, 1), -EOVERFLOW);
	acct_uncharge(a, ACCT_BYTES, UINT64_MAX);
	acct_unref(a);
}

static void same_uid_shares_one_account_until_the_last_reference(void **state)
{
	struct acct *a = NULL, *b = NULL, *c = NULL;

	assert_int_equal(acct_get(USER, &a), 0);
	assert_int_equal(acct_get(USER, &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(acct_get(USER + 1, &c), 0);
	assert_ptr_not_equal(a, c);
	assert_int_equal(acct_count(), 2);
	acct_unref(a);
	assert_int_equal(acct_count(), 2);
	acct_unref(b);
	acct_unref(c);
	assert_int_equal(acct_count(), 0);
	assert_null(acct_unref(NULL));
}

static void null_account_is_charged_nothing(void **state)
{
	assert_int_equal(acct_charge(NULL, ACCT_BYTES, 1), 0);
	acct_uncharge(NULL, ACCT_BYTES, 1);
}

static void heap_charge_past_the_uid_bytes_is_edquot(void **state)
{
	struct acct_limits l = limits(2 * PAGE, 0, 0);
	struct dma_buf *a = NULL, *b = NULL;
	struct heap *heap;
	struct heap_usage usage;
	struct acct *acct = NULL;

	acct_set_limits(&l);
	assert_int_equal(heap_system_register(0), 0);
	heap = heap_find(HEAP_SYSTEM_NAME);
	assert_int_equal(acct_get(USER, &acct), 0);
	assert_int_equal(heap_alloc(heap, acct, 2 * PAGE, O_RDWR, 0, &a), 0);
	assert_int_equal(acct->used[ACCT_BYTES], 2 * PAGE);
	assert_int_equal(heap_alloc(heap, acct, PAGE, O_RDWR, 0, &b), -EDQUOT);
	assert_null(b);
	heap_get_usage(heap, &usage);
	assert_int_equal(usage.bytes, 2 * PAGE);
	assert_int_equal(usage.buffers, 1);
	/* The buffer holds its own reference to the account. */
	acct_unref(acct);
	assert_int_equal(acct_count(), 1);
	dma_buf_unref(a);
	assert_int_equal(acct_count(), 0);
	heap_get_usage(heap, &usage);
	assert_int_equal(usage.bytes, 0);
	heap_unref(heap);
	assert_int_equal(heap_system_unregister(), 0);
}

static void heap_limit_is_enomem_before_the_uid_limit(void **state)
{
	struct acct_limits l = limits(8 * PAGE, 0, 0);
	struct dma_buf *a = NULL;
	struct heap *heap;
	struct acct *acct = NULL;

	acct_set_limits(&l);
	assert_int_equal(heap_system_register(PAGE), 0);
	heap = heap_find(HEAP_SYSTEM_NAME);
	assert_int_equal(acct_get(USER, &acct), 0);
	assert_int_equal(heap_alloc(heap, acct, 2 * PAGE, O_RDWR, 0, &a), -ENOMEM);
	assert_int_equal(acct->used[ACCT_BYTES], 0);
	acct_unref(acct);
	heap_unref(heap);
	assert_int_equal(heap_system_unregister(), 0);
}

static void tokens_past_the_uid_tokens_are_edquot(void **state)
{
	struct acct_limits l = limits(0, 0, 2);
	struct token_owner owner;
	struct fence *f = fence_get_stub();
	struct sync_file *sf = NULL;
	__u64 v1 = 0, v2 = 0, v3 = 0;
	struct acct *acct = NULL;

	acct_set_limits(&l);
	assert_int_equal(sync_file_new(f, &sf), 0);
	fence_unref(f);
	assert_int_equal(acct_get(USER, &acct), 0);
	token_owner_init(&owner);
	owner.acct = acct;
	assert_int_equal(token_new(&owner, TOKEN_SYNC_FILE, sf, O_RDWR, USER, &v1), 0);
	assert_int_equal(token_new(&owner, TOKEN_SYNC_FILE, sf, O_RDWR, USER, &v2), 0);
	assert_int_equal(token_new(&owner, TOKEN_SYNC_FILE, sf, O_RDWR, USER, &v3), -EDQUOT);
	assert_int_equal(v3, 0);
	assert_int_equal(acct->used[ACCT_TOKENS], 2);
	token_owner_clear(&owner);
	assert_int_equal(acct->used[ACCT_TOKENS], 0);
	acct_unref(acct);
	sync_file_unref(sf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		acct_test(charge_within_the_limit_succeeds),
		acct_test(charge_past_the_limit_is_edquot_and_charges_nothing),
		acct_test(uncharge_makes_room_again),
		acct_test(root_is_exempt_unless_configured_otherwise),
		acct_test(zero_limit_is_no_limit),
		acct_test(charge_that_would_wrap_is_eoverflow),
		acct_test(same_uid_shares_one_account_until_the_last_reference),
		acct_test(null_account_is_charged_nothing),
		acct_test(heap_charge_past_the_uid_bytes_is_edquot),
		acct_test(heap_limit_is_enomem_before_the_uid_limit),
		acct_test(tokens_past_the_uid_tokens_are_edquot),
	};

	return cmocka_run_group_tests_name("acct", tests, NULL, NULL);
}
