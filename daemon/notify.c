/* SPDX-License-Identifier: MIT */
/*
 * sd_notify(3) for the daemon (notify.h). Everything above notify_send()
 * and watchdog_interval() is the same with and without libsystemd; those
 * two are sd_notify() and sd_watchdog_enabled() when the build has
 * libsystemd (DMABUFD_HAVE_LIBSYSTEMD) and do nothing when it has not.
 */
#include "notify.h"

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
