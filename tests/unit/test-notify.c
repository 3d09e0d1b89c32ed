/* SPDX-License-Identifier: MIT */
/*
 * The live summary for systemd (daemon/notify.c, notify_summary_start()):
 * STATUS= goes out when the summary changed and never twice the same,
 * READY=1's status line counts as sent, notify_stopping() ends the
 * updates, and without $NOTIFY_SOCKET no timer is made at all. Each test
 * binds a datagram socket of its own as $NOTIFY_SOCKET and reads back
 * the messages sd_notify() sent it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

static uv_loop_t loop;
static int sock = -1;
static char sock_path[108];

/* What the summary says on each call, then the loop stops. */
static const char *const *script;
static unsigned script_len, calls;

static void scripted(char *buf, size_t size)
{
	snprintf(buf, size, "%s", script[calls < script_len ? calls : script_len - 1]);
	if (++calls == script_len)
		uv_stop(&loop);
}

static int setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sock_path, sizeof(sock_path), "/tmp/test-notify.%d", (int)getpid());
	unlink(sock_path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(sock >= 0);
	assert_int_equal(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", sock_path, 1);
	assert_int_equal(uv_loop_init(&loop), 0);
	calls = 0;
	return 0;
}

static int teardown(void **state)
{
	notify_stop();
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	close(sock);
	unlink(sock_path);
	unsetenv("NOTIFY_SOCKET");
	return 0;
}

/* The messages received so far, each ended by '|'. */
static void received(char *buf, size_t size)
{
	size_t o = 0;
	ssize_t n;

	buf[0] = '\0';
	while (o + 1 < size && (n = recv(sock, buf + o, size - o - 2, 0)) >= 0) {
		o += (size_t)n;
		buf[o++] = '|';
		buf[o] = '\0';
	}
}

static void summary_is_sent_only_when_it_changes(void **state)
{
	static const char *const lines[] = { "a", "a", "b", "b", "a" };
	char got[512];

	script = lines;
	script_len = 5;
	assert_int_equal(notify_summary_start(&loop, 1, scripted), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(calls, 5);
	received(got, sizeof(got));
	assert_string_equal(got, "STATUS=a|STATUS=b|STATUS=a|");
}

static void ready_status_counts_as_sent(void **state)
{
	static const char *const lines[] = { "serving", "serving", "busy" };
	char got[512];

	script = lines;
	script_len = 3;
	notify_ready("%s", "serving");
	assert_int_equal(notify_summary_start(&loop, 1, scripted), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	received(got, sizeof(got));
	assert_string_equal(got, "READY=1\nSTATUS=serving|STATUS=busy|");
}

static void stop_timer(uv_timer_t *t)
{
	uv_close((uv_handle_t *)t, NULL);
}

static void stopping_ends_the_summary(void **state)
{
	static const char *const lines[] = { "x", "y" };
	uv_timer_t later;
	char got[512];

	script = lines;
	script_len = 2;
	assert_int_equal(notify_summary_start(&loop, 1, scripted), 0);
	notify_stopping();
	notify_status("stopping: waiting");
	/* Ten intervals pass: the summary is not asked again. */
	assert_int_equal(uv_timer_init(&loop, &later), 0);
	assert_int_equal(uv_timer_start(&later, stop_timer, 10, 0), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(calls, 0);
	received(got, sizeof(got));
	assert_string_equal(got, "STOPPING=1|STATUS=stopping: waiting|");
}

static void no_notify_socket_makes_no_timer(void **state)
{
	static const char *const lines[] = { "x" };

	script = lines;
	script_len = 1;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_summary_start(&loop, 1, scripted), 0);
	/* Nothing keeps the loop alive: it returns at once. */
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(calls, 0);
}

static void summary_needs_a_function_and_an_interval(void **state)
{
	assert_int_equal(notify_summary_start(&loop, 1, NULL), -EINVAL);
	assert_int_equal(notify_summary_start(&loop, 0, scripted), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(summary_is_sent_only_when_it_changes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(ready_status_counts_as_sent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(stopping_ends_the_summary, setup,
						teardown),
		cmocka_unit_test_setup_teardown(no_notify_socket_makes_no_timer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(summary_needs_a_function_and_an_interval,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
