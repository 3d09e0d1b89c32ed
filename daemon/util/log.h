/* SPDX-License-Identifier: MIT */
/*
 * Logging for every layer, to stderr, in one of two forms:
 *
 *   - stderr is the journal ($JOURNAL_STREAM names stderr's device and
 *     inode, "DEV:INO", as systemd.exec(5) documents): each line starts
 *     with the "<N>" priority prefix that journald (and sd-daemon(3))
 *     understand, and nothing else: journald stamps the time itself.
 *   - anything else (a terminal, a file, a pipe): no prefix, but the
 *     local time to the millisecond and the level in words,
 *     "2025-01-31 12:00:00.123 warning: ...".
 *
 * log_open() decides which (once at start-up; the first message decides
 * if nobody called it). The threshold is set once at start-up too;
 * messages below it cost one comparison.
 *
 * May be called from any thread: each line is formatted into one buffer and
 * written with a single write(2). log_open() and log_set_level(): the main
 * thread, before other threads log.
 */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "macros.h"

/*
 * Look at stderr now: journal or not (above). Again after stderr was
 * redirected (dup2) to pick the form for the new one.
 */
void log_open(void);
/* Whether lines get the "<N>" prefix (stderr is the journal). */
bool log_to_journal(void);

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
