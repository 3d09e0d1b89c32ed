/* SPDX-License-Identifier: MIT */
/*
 * sd_notify(3) for the daemon (notify.h). Everything above notify_send()
 * and watchdog_interval() is the same with and without libsystemd; those
 * two are sd_notify() and sd_watchdog_enabled() when the build has
 * libsystemd (DMABUFD_HAVE_LIBSYSTEMD) and do nothing when it has not.
 */
#include "notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef DMABUFD_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "util/log.h"

#define NOTIFY_STATUS_MAX 256

static uv_timer_t watchdog_timer;
static bool watchdog_live;

/* The live summary (notify_summary_start()) and the last STATUS= sent. */
static uv_timer_t summary_timer;
static bool summary_live;
static notify_summary_fn summary_fn;
static char status_sent[NOTIFY_STATUS_MAX];

#ifdef DMABUFD_HAVE_LIBSYSTEMD

static void notify_send(const char *msg)
{
	static bool warned;
	int r = sd_notify(0, msg);

	/* 0: not under systemd. A failure is worth one line, not one per
	 * watchdog ping. */
	if (r < 0 && !warned) {
		log_warn("notify: sd_notify: %s", strerror(-r));
		warned = true;
	}
}

/* Whether anybody listens: $NOTIFY_SOCKET is set. */
static bool notify_wanted(void)
{
	return getenv("NOTIFY_SOCKET") != NULL;
}

/* 1 and the interval in *ret_usec if systemd wants pings; 0 if not. */
static int watchdog_interval(uint64_t *ret_usec)
{
	int r = sd_watchdog_enabled(0, ret_usec);

	if (r < 0) {
		log_warn("notify: ignoring $WATCHDOG_USEC/$WATCHDOG_PID: %s",
			 strerror(-r));
		return 0;
	}
	return r;
}

#else

static void notify_send(const char *msg)
{
}

/* Without libsystemd nothing is sent: no summary timer either. */
static bool notify_wanted(void)
{
	return false;
}

static int watchdog_interval(uint64_t *ret_usec)
{
	if (getenv("NOTIFY_SOCKET"))
		log_warn("notify: $NOTIFY_SOCKET is set, but this dmabufd was "
			 "built without libsystemd: no READY=1 and no watchdog "
			 "pings (run it as Type=simple)");
	return 0;
}

#endif

/* Send @head followed by "STATUS=" and the formatted text. */
static void notify_with_status(const char *head, const char *fmt, va_list ap)
	_printf_(2, 0);

static void notify_with_status(const char *head, const char *fmt, va_list ap)
{
	char status[NOTIFY_STATUS_MAX], msg[NOTIFY_STATUS_MAX + 32];

	vsnprintf(status, sizeof(status), fmt, ap);
	/* One line: a newline would start another assignment. */
	for (char *c = status; *c; c++)
		if (*c == '\n')
			*c = ' ';
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", head, status);
	notify_send(msg);
	memcpy(status_sent, status, sizeof(status_sent));
}

/* "STATUS=" @fmt's text, unless it is the last one sent. */
static void notify_status_if_changed(const char *fmt, ...) _printf_(1, 2);

static void notify_status_if_changed(const char *fmt, ...)
{
	char status[NOTIFY_STATUS_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(status, sizeof(status), fmt, ap);
	va_end(ap);
	for (char *c = status; *c; c++)
		if (*c == '\n')
			*c = ' ';
	if (strcmp(status, status_sent))
		notify_status("%s", status);
}

static void summary_tick(uv_timer_t *timer)
{
	char status[NOTIFY_STATUS_MAX] = "";

	summary_fn(status, sizeof(status));
	notify_status_if_changed("%s", status);
}

int notify_summary_start(uv_loop_t *loop, uint64_t interval_ms,
			 notify_summary_fn fn)
{
	int r;

	if (!fn || !interval_ms)
		return -EINVAL;
	/* Nobody to tell: no timer at all. */
	if (summary_live || !notify_wanted())
		return 0;
	r = uv_timer_init(loop, &summary_timer);
	if (r < 0)
		return r;
	summary_live = true;
	summary_fn = fn;
	r = uv_timer_start(&summary_timer, summary_tick, interval_ms, interval_ms);
	if (r < 0) {
		summary_live = false;
		uv_close((uv_handle_t *)&summary_timer, NULL);
	}
	return r;
}

/* The summary pauses: a stop or a start-up failure says what it does. */
static void summary_pause(void)
{
	if (summary_live)
		uv_timer_stop(&summary_timer);
}

static void watchdog_ping(uv_timer_t *timer)
{
	notify_send("WATCHDOG=1");
}

int notify_start(uv_loop_t *loop)
{
	uint64_t usec, ms;
	int r;

	if (watchdog_live || watchdog_interval(&usec) <= 0)
		return 0;
	/* Half the interval, as sd_watchdog_enabled(3) advises. */
	ms = usec / 2000;
	if (ms == 0)
		ms = 1;
	r = uv_timer_init(loop, &watchdog_timer);
	if (r < 0)
		return r;
	watchdog_live = true;
	r = uv_timer_start(&watchdog_timer, watchdog_ping, ms, ms);
	if (r < 0) {
		notify_stop();
		return r;
	}
	log_info("notify: watchdog ping every %" PRIu64 " ms", ms);
	return 0;
}

void notify_stop(void)
{
	if (summary_live) {
		summary_live = false;
		uv_close((uv_handle_t *)&summary_timer, NULL);
	}
	if (!watchdog_live)
		return;
	watchdog_live = false;
	uv_close((uv_handle_t *)&watchdog_timer, NULL);
}

void notify_ready(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_with_status("READY=1\n", fmt, ap);
	va_end(ap);
}

void notify_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_with_status("", fmt, ap);
	va_end(ap);
}

void notify_stopping(void)
{
	summary_pause();
	notify_send("STOPPING=1");
}

void notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
		 (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	notify_send(msg);
}

void notify_reloaded(void)
{
	notify_send("READY=1");
}
