/* SPDX-License-Identifier: MIT */
/*
 * CPU placement of the benchmark: client and daemon on one CPU ("same":
 * every round trip is two context switches on that CPU) or on two
 * ("split": every round trip is a wake-up of the other CPU). The two CPUs
 * are the first two of the bench's own allowed set, and the daemon (with
 * the null server) always takes the first.
 *
 * The daemon's threads are found in /proc/PID/task each time, so a thread
 * it started since (the mock's worker) is pinned too. pin_init() saves
 * each thread's CPU set; pin_restore() (atexit) gives them back, and a
 * thread born after pin_init() gets the main thread's saved set. The
 * daemon is not ours: nothing else of it is touched.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

struct saved_task {
	pid_t tid;
	cpu_set_t set;
};

static pid_t daemon_pid;
static struct saved_task *saved;
static size_t n_saved;
static int cpu_first = -1, cpu_second = -1;

const char *placement_name(enum placement p)
{
	return p == PLACE_SAME ? "same" : "split";
}

/* The comm of @pid into @buf, without its newline; false if gone. */
static bool read_comm(const char *pid, char *buf, size_t size)
{
	char path[32 + NAME_MAX];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

pid_t pin_find_daemon(void)
{
	const char *env = getenv("DMABUFD_DAEMON_PID");
	struct dirent *de;
	pid_t found = 0;
	unsigned int n = 0;
	DIR *d;

	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);

		if (*end || v <= 0) {
			fprintf(stderr, "bench: DMABUFD_DAEMON_PID=%s is not a pid\n", env);
			return -EINVAL;
		}
		return (pid_t)v;
	}
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char comm[32];

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (read_comm(de->d_name, comm, sizeof(comm)) && !strcmp(comm, "dmabufd")) {
			found = (pid_t)atol(de->d_name);
			n++;
		}
	}
	closedir(d);
	if (n == 1)
		return found;
	if (n == 0) {
		fprintf(stderr, "bench: no process named dmabufd runs; start one, or "
			"set DMABUFD_DAEMON_PID\n");
		return -ESRCH;
	}
	fprintf(stderr, "bench: %u processes are named dmabufd; set DMABUFD_DAEMON_PID "
		"to the one DMABUFD_DEV_ROOT/DMABUFD_CONTROL lead to\n", n);
	return -ENOTUNIQ;
}

/*
 * Call @fn(tid, @data) for every thread of @pid. Returns 0, the first
 * error of @fn, or -errno when the task list cannot be read. A thread
 * that ended meanwhile (ESRCH) is skipped.
 */
static int for_each_task(pid_t pid, int (*fn)(pid_t tid, void *data), void *data)
{
	char path[64];
	struct dirent *de;
	int r = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while (r == 0 && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		r = fn((pid_t)atol(de->d_name), data);
		if (r == -ESRCH)
			r = 0;
	}
	closedir(d);
	return r;
}

static int save_task(pid_t tid, void *data)
{
	struct saved_task *s = realloc(saved, (n_saved + 1) * sizeof(*saved));

	(void)data;
	if (!s)
		return -ENOMEM;
	saved = s;
	s[n_saved].tid = tid;
	if (sched_getaffinity(tid, sizeof(cpu_set_t), &s[n_saved].set) < 0)
		return -errno;
	n_saved++;
	return 0;
}

static int set_task(pid_t tid, void *data)
{
	return sched_setaffinity(tid, sizeof(cpu_set_t), data) < 0 ? -errno : 0;
}

static int restore_task(pid_t tid, void *data)
{
	const cpu_set_t *set = NULL;

	(void)data;
	/* Its own saved set, else (born since) the main thread's. */
	for (size_t i = 0; i < n_saved; i++)
		if (saved[i].tid == tid)
			set = &saved[i].set;
	for (size_t i = 0; i < n_saved && !set; i++)
		if (saved[i].tid == daemon_pid)
			set = &saved[i].set;
	return set ? set_task(tid, (void *)set) : 0;
}

void pin_restore(void)
{
	if (!daemon_pid || !n_saved)
		return;
	if (for_each_task(daemon_pid, restore_task, NULL) < 0)
		fprintf(stderr, "bench: could not restore the daemon's CPU affinity\n");
}

int pin_init(pid_t daemon)
{
	cpu_set_t mine;
	int r;

	daemon_pid = daemon;
	r = for_each_task(daemon, save_task, NULL);
	if (r < 0)
		return r;
	if (sched_getaffinity(0, sizeof(mine), &mine) < 0)
		return -errno;
	for (int c = 0; c < CPU_SETSIZE && cpu_second < 0; c++) {
		if (!CPU_ISSET(c, &mine))
			continue;
		if (cpu_first < 0)
			cpu_first = c;
		else
			cpu_second = c;
	}
	atexit(pin_restore);
	return cpu_first < 0 ? -EINVAL : 0;
}

bool pin_possible(enum placement p)
{
	return p == PLACE_SAME ? cpu_first >= 0 : cpu_second >= 0;
}

int pin_apply(enum placement p, pid_t server)
{
	cpu_set_t served, client;
	int r;

	if (!pin_possible(p))
		return -EINVAL;
	CPU_ZERO(&served);
	CPU_SET(cpu_first, &served);
	CPU_ZERO(&client);
	CPU_SET(p == PLACE_SAME ? cpu_first : cpu_second, &client);
	r = for_each_task(daemon_pid, set_task, &served);
	if (r == 0 && server > 0)
		r = for_each_task(server, set_task, &served);
	if (r == 0)
		r = for_each_task(getpid(), set_task, &client);
	return r;
}
