/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: daemon/model/clock.c's timer queue, its order (expiry, then
 * arming order) and what callbacks may do to it while it runs. The
 * basics (expiry order, notify) are in test-fence-wait.c.
 */
#include <stdlib.h>

#include "helpers.h"
#include "util/macros.h"

struct rec_timer {
	struct timer timer;
	unsigned id;
	struct rec_timer *victim; /* cancelled by this one's callback */
	uint64_t rearm_ns;	  /* re-armed to this by its callback */
};

static unsigned *order;
static unsigned norder;

static void record(struct timer *timer)
{
	struct rec_timer *t = container_of(timer, struct rec_timer, timer);

	order[norder++] = t->id;
	if (t->victim)
		timer_cancel(&t->victim->timer);
	if (t->rearm_ns) {
		timer_arm(&t->timer, t->rearm_ns);
		t->rearm_ns = 0;
	}
}

static struct rec_timer *rec_timers(unsigned n)
{
	struct rec_timer *t = calloc(n, sizeof(*t));

	assert_non_null(t);
	order = calloc(n * 4, sizeof(*order)); /* re-armed ones fire again */
	assert_non_null(order);
	norder = 0;
	for (unsigned i = 0; i < n; i++) {
		timer_init(&t[i].timer, record);
		t[i].id = i;
	}
	return t;
}

static void rec_free(struct rec_timer *t, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		timer_cancel(&t[i].timer);
	free(t);
	free(order);
	order = NULL;
}

static void equal_expiries_fire_in_arming_order(void **state)
{
	static const unsigned arm[] = { 5, 2, 7, 0, 3, 6, 1, 4 };
	struct rec_timer *t = rec_timers(10);

	/* Two earlier and later neighbours around the equal ones. */
	timer_arm(&t[8].timer, 1500);
	for (unsigned i = 0; i < 8; i++)
		timer_arm(&t[arm[i]].timer, 2000);
	timer_arm(&t[9].timer, 1000);
	assert_int_equal(timerq_run(2000), 10);
	assert_int_equal(order[0], 9);
	assert_int_equal(order[1], 8);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(order[2 + i], arm[i]);
	assert_int_equal(timerq_armed(), 0);
	rec_free(t, 10);
}

static void rearm_moves_a_timer_behind_equal_expiries(void **state)
{
	struct rec_timer *t = rec_timers(3);

	timer_arm(&t[0].timer, 2000);
	timer_arm(&t[1].timer, 2000);
	timer_arm(&t[2].timer, 2000);
	/* Re-armed to the same expiry: it is armed last now. */
	timer_arm(&t[0].timer, 2000);
	assert_int_equal(timerq_armed(), 3);
	assert_int_equal(timerq_run(2000), 3);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 0);
	rec_free(t, 3);
}

static void rearm_moves_a_timer_earlier_and_later(void **state)
{
	struct rec_timer *t = rec_timers(3);

	timer_arm(&t[0].timer, 1000);
	timer_arm(&t[1].timer, 2000);
	timer_arm(&t[2].timer, 3000);
	timer_arm(&t[2].timer, 500);
	timer_arm(&t[0].timer, 5000);
	assert_int_equal(timerq_next(), 500);
	assert_int_equal(timerq_armed(), 3);
	assert_int_equal(timerq_run(4000), 2);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 1);
	assert_int_equal(timerq_next(), 5000);
	assert_int_equal(timerq_run(5000), 1);
	assert_int_equal(order[2], 0);
	rec_free(t, 3);
}

static void callback_may_cancel_a_due_timer(void **state)
{
	struct rec_timer *t = rec_timers(3);

	t[0].victim = &t[1];
	timer_arm(&t[0].timer, 1000);
	timer_arm(&t[1].timer, 1000);
	timer_arm(&t[2].timer, 1000);
	assert_int_equal(timerq_run(1000), 2);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 2);
	assert_false(t[1].timer.armed);
	assert_int_equal(timerq_armed(), 0);
	rec_free(t, 3);
}

static void callback_may_cancel_itself_and_others_later(void **state)
{
	struct rec_timer *t = rec_timers(3);

	/* Cancelling its own, already disarmed, timer is a no-op. */
	t[0].victim = &t[0];
	t[1].victim = &t[2];
	timer_arm(&t[0].timer, 1000);
	timer_arm(&t[1].timer, 2000);
	timer_arm(&t[2].timer, 9000);
	assert_int_equal(timerq_run(2000), 2);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 1);
	assert_int_equal(timerq_armed(), 0);
	assert_int_equal(timerq_next(), CLOCK_NS_NEVER);
	rec_free(t, 3);
}

static void callback_may_rearm_itself(void **state)
{
	struct rec_timer *t = rec_timers(2);

	/* Re-armed past @now: fires in a later run, not this one. */
	t[0].rearm_ns = 3000;
	timer_arm(&t[0].timer, 1000);
	timer_arm(&t[1].timer, 2000);
	assert_int_equal(timerq_run(2000), 2);
	assert_true(t[0].timer.armed);
	assert_int_equal(timerq_next(), 3000);
	/* Re-armed at or before @now: fires again in the same run, after
	 * the timers already due at that expiry. */
	t[0].rearm_ns = 3500;
	timer_arm(&t[1].timer, 3500);
	assert_int_equal(timerq_run(4000), 3);
	assert_int_equal(order[2], 0);
	assert_int_equal(order[3], 1);
	assert_int_equal(order[4], 0);
	assert_int_equal(timerq_armed(), 0);
	rec_free(t, 2);
}

#define MANY 100000u

static void reverse_armed_timers_fire_in_expiry_order(void **state)
{
	struct rec_timer *t = rec_timers(MANY);

	for (unsigned i = MANY; i-- > 0;)
		timer_arm(&t[i].timer, 1000 + i);
	assert_int_equal(timerq_armed(), MANY);
	assert_int_equal(timerq_next(), 1000);
	assert_int_equal(timerq_run(1000 + MANY), MANY);
	for (unsigned i = 0; i < MANY; i++)
		if (order[i] != i)
			fail_msg("fired #%u was timer %u", i, order[i]);
	rec_free(t, MANY);
}

/*
 * Pseudo-random expiries with many repeats, a third cancelled and a
 * tenth re-armed: what is left fires sorted by expiry, equal expiries
 * by their last arming.
 */
static void cancel_and_rearm_keep_the_order(void **state)
{
	const unsigned n = 20000;
	struct rec_timer *t = rec_timers(n);
	uint64_t *armed_seq = calloc(n, sizeof(*armed_seq));
	uint32_t x = 12345;
	unsigned left = n;

	assert_non_null(armed_seq);
	for (unsigned i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		timer_arm(&t[i].timer, 1000 + (x >> 16) % 500);
	}
	for (unsigned i = 0; i < n; i += 3) {
		assert_true(timer_cancel(&t[i].timer));
		left--;
	}
	for (unsigned i = 1; i < n; i += 10) {
		if (i % 3 == 0)
			continue;
		x = x * 1103515245u + 12345u;
		timer_arm(&t[i].timer, 1000 + (x >> 16) % 500);
	}
	assert_int_equal(timerq_armed(), left);
	for (unsigned i = 0; i < n; i++)
		armed_seq[i] = t[i].timer.seq;
	assert_int_equal(timerq_run(2000), left);
	for (unsigned i = 1; i < left; i++) {
		const struct rec_timer *a = &t[order[i - 1]], *b = &t[order[i]];

		if (a->timer.expires_ns > b->timer.expires_ns ||
		    (a->timer.expires_ns == b->timer.expires_ns &&
		     armed_seq[a->id] > armed_seq[b->id]))
			fail_msg("timer %u fired after timer %u", b->id, a->id);
	}
	for (unsigned i = 0; i < left; i++)
		assert_int_not_equal(order[i] % 3, 0);
	free(armed_seq);
	rec_free(t, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		model_test(equal_expiries_fire_in_arming_order),
		model_test(rearm_moves_a_timer_behind_equal_expiries),
		model_test(rearm_moves_a_timer_earlier_and_later),
		model_test(callback_may_cancel_a_due_timer),
		model_test(callback_may_cancel_itself_and_others_later),
		model_test(callback_may_rearm_itself),
		model_test(reverse_armed_timers_fire_in_expiry_order),
		model_test(cancel_and_rearm_keep_the_order),
	};

	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
