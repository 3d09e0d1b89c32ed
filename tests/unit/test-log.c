/* SPDX-License-Identifier: MIT */
/*
 * The daemon's logger (daemon/util/log.c): the "<N>" priority prefix only
 * when stderr is the journal ($JOURNAL_STREAM names stderr's device and
 * inode), and otherwise the local time to the millisecond and the level
 * in words. Each test points stderr at a file of its own and reads back
 * exactly what one log line wrote.
 */
#include "helpers.h"

#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

/* A timestamped line: "2025-01-31 12:00:00.123 " and the rest. */
#define TIME_RE "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} "

struct capture {
	char path[64];
	int fd, saved;
};

/* stderr into a fresh temporary file; $JOURNAL_STREAM as @journal
 * says: NULL unset, "" the file's own DEV:INO, else that text. */
static void capture_start(struct capture *c, const char *journal)
{
	struct stat st;
	char env[64];

	snprintf(c->path, sizeof(c->path), "/tmp/test-log.XXXXXX");
	c->fd = mkstemp(c->path);
	assert_true(c->fd >= 0);
	unlink(c->path);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(c->fd, STDERR_FILENO), STDERR_FILENO);
	if (!journal) {
		unsetenv("JOURNAL_STREAM");
	} else if (!journal[0]) {
		assert_int_equal(fstat(c->fd, &st), 0);
		snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", env, 1);
	} else {
		setenv("JOURNAL_STREAM", journal, 1);
	}
	log_open();
}

/* stderr back; what was written, in @buf. */
static void capture_end(struct capture *c, char *buf, size_t size)
{
	ssize_t n;

	assert_int_equal(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
	close(c->saved);
	n = pread(c->fd, buf, size - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(c->fd);
	unsetenv("JOURNAL_STREAM");
	log_open();
}

static void assert_matches(const char *s, const char *re)
{
	regex_t rx;
	int r;

	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	r = regexec(&rx, s, 0, NULL, 0);
	regfree(&rx);
	if (r)
		fail_msg("\"%s\" does not match %s", s, re);
}

static void journal_stream_of_stderr_gets_priority_prefix(void **state)
{
	struct capture c;
	char out[256];

	capture_start(&c, "");
	assert_true(log_to_journal());
	log_warn("disk %d", 7);
	log_info("info line");
	capture_end(&c, out, sizeof(out));
	assert_string_equal(out, "<4>disk 7\n<6>info line\n");
}

static void no_journal_stream_gets_time_and_level(void **state)
{
	struct capture c;
	char out[256];

	capture_start(&c, NULL);
	assert_false(log_to_journal());
	log_err("boom %s", "now");
	capture_end(&c, out, sizeof(out));
	assert_matches(out, TIME_RE "error: boom now\n$");
}

static void journal_stream_of_another_file_gets_time_and_level(void **state)
{
	struct capture c;
	char out[256];

	/* stderr was the journal once, and is a file now. */
	capture_start(&c, "1:2");
	assert_false(log_to_journal());
	log_notice("reload: done");
	capture_end(&c, out, sizeof(out));
	assert_matches(out, TIME_RE "notice: reload: done\n$");
}

static void malformed_journal_stream_gets_time_and_level(void **state)
{
	struct capture c;
	struct stat st;
	char out[256], env[80];

	/* stderr's DEV:INO with trailing junk is not a match. */
	capture_start(&c, NULL);
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llux", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_open();
	assert_false(log_to_journal());
	log_debug("not shown");
	log_warn("shown");
	capture_end(&c, out, sizeof(out));
	assert_matches(out, TIME_RE "warning: shown\n$");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(journal_stream_of_stderr_gets_priority_prefix),
		cmocka_unit_test(no_journal_stream_gets_time_and_level),
		cmocka_unit_test(journal_stream_of_another_file_gets_time_and_level),
		cmocka_unit_test(malformed_journal_stream_gets_time_and_level),
	};

	log_set_level(LOG_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
