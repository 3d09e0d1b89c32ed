/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int log_level = LOG_INFO;

/* -1: not decided yet; 0: timestamps; 1: "<N>" for journald. */
static int journal = -1;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg",     [LOG_ALERT] = "alert",
	[LOG_CRIT] = "crit",       [LOG_ERR] = "error",
	[LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",       [LOG_DEBUG] = "debug",
};

/* Whether $JOURNAL_STREAM ("DEV:INO", decimal) is stderr. */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int end = 0;

	if (!env || sscanf(env, "%llu:%llu%n", &dev, &ino, &end) != 2 ||
	    env[end] || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

void log_open(void)
{
	journal = stderr_is_journal();
	tzset();
}

bool log_to_journal(void)
{
	if (journal < 0)
		log_open();
	return journal;
}

void log_set_level(int level)
{
	log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

bool log_enabled(int level)
{
	return level <= log_level;
}

/* The line's head into @line: "<N>", or the time and the level. */
static int log_head(char *line, size_t size, int level)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	if (log_to_journal())
		return snprintf(line, size, "<%d>", level);
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(line, size, "%Y-%m-%d %H:%M:%S", &tm);
	return (int)n + snprintf(line + n, size - n, ".%03ld %s: ",
				 ts.tv_nsec / 1000000,
				 level >= 0 && level <= LOG_DEBUG
					 ? level_names[level]
					 : "?");
}

void log_msg(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, m;

	if (level > log_level)
		return;

	n = log_head(line, sizeof(line), level);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
