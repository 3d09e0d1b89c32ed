/* SPDX-License-Identifier: MIT */
/* daemon/util/ratelimit.c: bursts per interval, and the refusals counted
 * for the next line allowed. The clock is the test's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/ratelimit.h"

#define SEC 1000000000ull

static void ratelimit_allows_a_burst_per_interval(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t missed = 99;

	for (int i = 0; i < 3; i++) {
		assert_true(ratelimit_allow(&rl, 5 * SEC + i, 10 * SEC, 3, &missed));
		assert_int_equal(missed, 0);
	}
	assert_false(ratelimit_allow(&rl, 6 * SEC, 10 * SEC, 3, &missed));
	assert_false(ratelimit_allow(&rl, 15 * SEC - 1, 10 * SEC, 3, &missed));
	assert_int_equal(rl.missed, 2);
}

static void ratelimit_reports_what_it_refused_with_the_next_allowed(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t missed = 99;

	assert_true(ratelimit_allow(&rl, SEC, 10 * SEC, 1, &missed));
	for (int i = 0; i < 4; i++)
		assert_false(ratelimit_allow(&rl, 2 * SEC, 10 * SEC, 1, &missed));
	/* A new interval: allowed, with the 4 refused before it. */
	assert_true(ratelimit_allow(&rl, 11 * SEC, 10 * SEC, 1, &missed));
	assert_int_equal(missed, 4);
	assert_int_equal(rl.missed, 0);
	assert_false(ratelimit_allow(&rl, 12 * SEC, 10 * SEC, 1, &missed));
}

static void ratelimit_starts_at_time_zero(void **state)
{
	struct ratelimit rl = { 0 };
	uint64_t missed;

	/* A clock at 0 (a test's) is an interval's start like any other. */
	assert_true(ratelimit_allow(&rl, 0, 10 * SEC, 1, &missed));
	assert_false(ratelimit_allow(&rl, 1, 10 * SEC, 1, &missed));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ratelimit_allows_a_burst_per_interval),
		cmocka_unit_test(ratelimit_reports_what_it_refused_with_the_next_allowed),
		cmocka_unit_test(ratelimit_starts_at_time_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
