/*
 * cmocka's TAP output, as meson's TAP parser must read it.
 *
 * Linked into every cmocka program of tests/unit and tests/integration
 * (cmocka_tap_dep, tests/meson.build). meson runs them with
 * CMOCKA_MESSAGE_OUTPUT=TAP and protocol 'tap', so that each case is a
 * subtest in its logs. cmocka 1.1.5 (Debian 12) then prints the plan
 * "1..N", one "ok N - name" or "not ok N - name" per case and its failure
 * message as "# " lines, which meson 1.0.1 reads as meant, but for three
 * things:
 *  - a skipped case is "not ok N # SKIP name", and meson takes a SKIP
 *    directive only on an "ok" line: the case would count as failed;
 *  - a program that runs two groups (the dmaengine conformance suite and
 *    the backend's own) prints two plans, each numbering from 1: meson
 *    wants one plan and numbers in order ("TAP parsing error");
 *  - print_message() lines, and whatever else the program writes to
 *    stdout, are not TAP: meson warns of "Unknown TAP output lines".
 *
 * So with CMOCKA_MESSAGE_OUTPUT=TAP (any case), a constructor puts a pipe
 * on the program's stdout before main and forks a filter. It writes a
 * skip as "ok N - name # SKIP", numbers the cases on through the groups,
 * turns each group's plan into a comment and prints their sum as the plan
 * at the end, lets "#" comments and "Bail out!" through, and puts "# "
 * before any other line. Any other output mode leaves stdout alone.
 *
 * The program stays the process meson started: its exit status, a crash
 * included, is what meson sees (and a crash mid-run leaves fewer cases
 * than the plan, which meson reports too). The filter is its child; it
 * reads until the last writer of the pipe is gone (the program and any
 * process it forked), so nothing written before a crash is lost, and
 * exits. It uses read(2), write(2) and snprintf on static buffers: nothing
 * for valgrind, ASan or TSan to report in it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define TAP_LINE_MAX 4096

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			_exit(1);	/* meson is gone: nobody reads */
		p += r;
		n -= (size_t)r;
	}
}

static void write_str(int fd, const char *s)
{
	write_all(fd, s, strlen(s));
}

/*
 * The number at *S (nine digits at most: no program has a billion cases),
 * moving *S past it; -1 when there is none.
 */
static long take_number(const char **s)
{
	const char *p = *s;
	long n = 0;

	while (*p >= '0' && *p <= '9' && p - *s < 9)
		n = n * 10 + (*p++ - '0');
	if (p == *s || (*p >= '0' && *p <= '9'))
		return -1;
	*s = p;
	return n;
}

/* Cases announced by the plans so far, and cases reported. */
static long planned, reported;

static void put_number(int out, long n)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%ld", n);
	write_str(out, buf);
}

/*
 * One whole line, without its newline. A program may run several groups
 * (the dmaengine conformance suite and the backend's own), each with a
 * plan and its cases numbered from 1: meson takes one plan and numbers in
 * order. So the cases are numbered on through the groups, each plan
 * becomes a comment, and their sum is the plan at the end (filter()): a
 * crash in a group leaves fewer cases than that, and meson says so.
 */
static void put_line(int out, const char *line)
{
	static const char skip_mark[] = " # SKIP ";
	const char *p = line + 3;
	bool ok;
	long n;

	if (strncmp(line, "1..", 3) == 0 && (n = take_number(&p)) >= 0 &&
	    *p == '\0') {
		planned += n;
		write_str(out, "# a group's plan: ");
		write_str(out, line);
		write_str(out, "\n");
		return;
	}
	p = line;
	ok = strncmp(p, "ok ", 3) == 0;
	if (ok || strncmp(p, "not ok ", 7) == 0) {
		p += ok ? 3 : 7;
		if (take_number(&p) >= 0 && (*p == ' ' || *p == '\0')) {
			/* cmocka: "not ok N # SKIP name"; meson: "ok N - name # SKIP". */
			if (!ok && strncmp(p, skip_mark, strlen(skip_mark)) == 0) {
				write_str(out, "ok ");
				put_number(out, ++reported);
				write_str(out, " - ");
				write_str(out, p + strlen(skip_mark));
				write_str(out, " # SKIP\n");
				return;
			}
			write_str(out, ok ? "ok " : "not ok ");
			put_number(out, ++reported);
			write_str(out, p);
			write_str(out, "\n");
			return;
		}
	}
	/* Comments and bail-outs as they are; anything else as a comment. */
	if (line[0] != '#' && strncmp(line, "Bail out!", 9) != 0)
		write_str(out, "# ");
	write_str(out, line);
	write_str(out, "\n");
}

/* The end of a line that went out in pieces: the rest, as it is. */
static void put_rest(int out, const char *rest)
{
	write_str(out, rest);
	write_str(out, "\n");
}

/* Copy IN to OUT line by line, as the file head says, until EOF. */
static void filter(int in, int out)
{
	static char line[TAP_LINE_MAX];
	static char chunk[TAP_LINE_MAX];
	size_t len = 0;
	bool overlong = false;	/* the line's start went out already, as "# " */

	for (;;) {
		ssize_t r = read(in, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++) {
			if (chunk[i] == '\n') {
				line[len] = '\0';
				if (overlong)
					put_rest(out, line);
				else
					put_line(out, line);
				len = 0;
				overlong = false;
				continue;
			}
			line[len++] = chunk[i];
			if (len == sizeof(line) - 1) {
				/* No TAP line is this long: a comment, in pieces. */
				if (!overlong)
					write_str(out, "# ");
				write_all(out, line, len);
				len = 0;
				overlong = true;
			}
		}
	}
	line[len] = '\0';
	if (overlong)
		put_rest(out, line);
	else if (len > 0)
		put_line(out, line);
	if (planned > 0 || reported > 0) {
		write_str(out, "1..");
		put_number(out, planned);
		write_str(out, "\n");
	}
}

__attribute__((constructor))
static void cmocka_tap_start(void)
{
	const char *mode = getenv("CMOCKA_MESSAGE_OUTPUT");
	int fds[2];
	pid_t pid;

	if (!mode || strcasecmp(mode, "tap") != 0)
		return;
	/* Unfiltered if this fails: still TAP, but a skip reads as failed. */
	if (pipe(fds) < 0)
		return;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		close(fds[1]);
		filter(fds[0], STDOUT_FILENO);
		_exit(0);
	}
	close(fds[0]);
	if (dup2(fds[1], STDOUT_FILENO) < 0)
		abort();	/* the filter would wait on a pipe nobody writes */
	close(fds[1]);
}
