/* SPDX-License-Identifier: MIT */
/*
 * loop - the glue between the object model and the one libuv loop: a
 * uv_timer that follows the model's timer queue (timerq_set_notify +
 * timerq_run), and uv_signal handlers for SIGINT and SIGTERM (stop) and
 * SIGHUP (reload the configuration).
 *
 * Life cycle: loop_glue_start() arms them all; loop_glue_stop() closes
 * their handles so that uv_run() can return once everything else is
 * closed, and from then on ignores the three signals.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <uv.h>

/*
 * @on_signal runs (on the loop) for SIGINT and SIGTERM, @on_reload for
 * SIGHUP (NULL: SIGHUP is ignored). Returns 0 or a negative errno.
 */
int loop_glue_start(uv_loop_t *loop, void (*on_signal)(int signum),
		    void (*on_reload)(void));
void loop_glue_stop(void);
