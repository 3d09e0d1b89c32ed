/* SPDX-License-Identifier: MIT */
/*
 * daemon/loop.c: SIGINT and SIGTERM reach the stop handler and SIGHUP the
 * reload handler, through the libuv loop; once the glue stops, the three
 * are ignored, so a late signal cannot kill a daemon that is still
 * cleaning up (libuv gives a signal its default action back when its last
 * uv_signal closes).
 */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include "loop.h"

static int stops, reloads, last_signum;

static void on_signal(int signum)
{
	stops++;
	last_signum = signum;
}

static void on_reload(void)
{
	reloads++;
}

static void restore_defaults(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

/* Run @loop until @counter moves (one second at most). */
static void run_until_counted(uv_loop_t *loop, int *counter, int want)
{
	for (int i = 0; i < 1000 && *counter != want; i++) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	assert_int_equal(*counter, want);
}

static void finish(uv_loop_t *loop)
{
	loop_glue_stop();
	uv_run(loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(loop), 0);
}

static void sigterm_and_sigint_go_to_the_stop_handler(void **state)
{
	uv_loop_t loop;

	stops = reloads = 0;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(loop_glue_start(&loop, on_signal, on_reload), 0);
	raise(SIGTERM);
	run_until_counted(&loop, &stops, 1);
	assert_int_equal(last_signum, SIGTERM);
	raise(SIGINT);
	run_until_counted(&loop, &stops, 2);
	assert_int_equal(last_signum, SIGINT);
	assert_int_equal(reloads, 0);
	finish(&loop);
	restore_defaults();
}

static void sighup_goes_to_the_reload_handler(void **state)
{
	uv_loop_t loop;

	stops = reloads = 0;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(loop_glue_start(&loop, on_signal, on_reload), 0);
	raise(SIGHUP);
	run_until_counted(&loop, &reloads, 1);
	assert_int_equal(stops, 0);
	finish(&loop);
	restore_defaults();
}

static void signals_are_ignored_once_the_glue_stops(void **state)
{
	static const int signums[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	uv_loop_t loop;

	stops = reloads = 0;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(loop_glue_start(&loop, on_signal, on_reload), 0);
	finish(&loop);
	for (size_t i = 0; i < sizeof(signums) / sizeof(signums[0]); i++) {
		assert_int_equal(sigaction(signums[i], NULL, &sa), 0);
		assert_ptr_equal(sa.sa_handler, SIG_IGN);
		/* Would end this test program with the default action. */
		raise(signums[i]);
	}
	assert_int_equal(stops, 0);
	assert_int_equal(reloads, 0);
	restore_defaults();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sigterm_and_sigint_go_to_the_stop_handler),
		cmocka_unit_test(sighup_goes_to_the_reload_handler),
		cmocka_unit_test(signals_are_ignored_once_the_glue_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
