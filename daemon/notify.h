/* SPDX-License-Identifier: MIT */
/*
 * notify - the daemon's side of systemd's service protocol (sd_notify(3)):
 * READY=1 once every node can be opened, STATUS= lines (and a live
 * summary of what the daemon holds, sent when it changes), RELOADING=1 and
 * READY=1 around a configuration reload, STOPPING=1 at shutdown, and the
 * watchdog's WATCHDOG=1 pings.
 *
 * The pings come from a uv_timer on the daemon's loop, at half the
 * interval systemd asks for (WatchdogSec= in the unit, $WATCHDOG_USEC for
 * the process), so a loop that is wedged stops pinging and systemd kills
 * and restarts the daemon (Restart=on-failure).
 *
 * Outside systemd ($NOTIFY_SOCKET unset) every call does nothing. A build
 * without libsystemd (the armhf cross build's sysroot has none) compiles
 * every call to nothing; notify_start() then says so in the log when
 * $NOTIFY_SOCKET is set, since systemd will wait in vain for READY=1.
 *
 * Life cycle: notify_start() once the loop glue runs; notify_stop() at
 * shutdown, before the loop runs dry (it closes the timer). The messages
 * may be sent at any time in between, and before notify_start() too.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "util/macros.h"

/*
 * Start the watchdog pings if systemd asked for them (sd_watchdog_enabled:
 * $WATCHDOG_USEC, and $WATCHDOG_PID naming this process if it is set).
 * Returns 0 (also when there is no watchdog, or no libsystemd), or a
 * negative errno from libuv.
 */
int notify_start(uv_loop_t *loop);
/* Stop the pings and close the timer. Safe without notify_start(). */
void notify_stop(void);

/*
 * The live summary for `systemctl status`: every @interval_ms, @fn
 * writes the status line (NUL-terminated, into @buf of @size bytes), and
 * it goes out as "STATUS=" when it differs from the last STATUS= sent
 * (so an idle daemon sends nothing). Only when $NOTIFY_SOCKET is set and
 * the build has libsystemd: otherwise no timer is made. notify_stopping()
 * ends the updates (the stop's own status lines stay); notify_stop()
 * closes the timer. Returns 0, -EINVAL for a NULL @fn or an interval of
 * 0, or a negative errno from libuv.
 */
typedef void (*notify_summary_fn)(char *buf, size_t size);
int notify_summary_start(uv_loop_t *loop, uint64_t interval_ms,
			 notify_summary_fn fn);

/* "READY=1" with "STATUS=<fmt>": every node is live (start-up). */
void notify_ready(const char *fmt, ...) _printf_(1, 2);
/* "STATUS=<fmt>": what the daemon is doing, for `systemctl status`. */
void notify_status(const char *fmt, ...) _printf_(1, 2);
/* "STOPPING=1": shutdown has begun. */
void notify_stopping(void);
/*
 * "RELOADING=1" (with MONOTONIC_USEC=, as Type=notify-reload wants) when
 * a reload (SIGHUP) begins, and "READY=1" once it is done: the daemon
 * serves on whether or not the new configuration was taken (a reload that
 * was taken ends with notify_ready() instead, to restore the status line).
 */
void notify_reloading(void);
void notify_reloaded(void);
