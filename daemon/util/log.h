/* SPDX-License-Identifier: MIT */
/*
 * Logging for every layer. Lines go to stderr with the "<N>" priority
 * prefix that journald (and sd-daemon(3)) understand. The threshold is set
 * once at start-up; messages below it cost one comparison.
 *
 * May be called from any thread: each line is formatted into one buffer and
 * written with a single write(2).
 */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "macros.h"

void log_set_level(int level);
int log_get_level(void);

/*
 * True if a message at @level would be written. For callers that do work
 * to build the arguments (look-ups, names): check first.
 */
bool log_enabled(int level);

void log_msg(int level, const char *fmt, ...) _printf_(2, 3);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
