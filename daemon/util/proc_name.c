/* SPDX-License-Identifier: MIT */
/*
 * Callers' processes and comms from /proc (proc_name.h). Two small reads
 * per thread id; a thread's own Name: line would be the thread's comm, so
 * the comm is the process's, from /proc/PID/comm.
 */
#include "proc_name.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read up to @size - 1 bytes of @path into @buf, NUL-terminated.
 * Returns the bytes read, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The Tgid of @tid, or 0 when it cannot be read. */
static pid_t tgid_of(pid_t tid)
{
	char path[64], buf[512];
	const char *line;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	line = strstr(buf, "\nTgid:");
	if (!line)
		return 0;
	return (pid_t)strtol(line + 6, NULL, 10);
}

/* The last answers, reused within one listing (proc_name.h). */
#define CACHE_SLOTS 8
static struct {
	pid_t tid;
	uint64_t stamp;
	uint32_t pid;
	char comm[PROC_COMM_LEN];
} cache[CACHE_SLOTS];
static unsigned cache_next;

void proc_name_get(pid_t tid, uint64_t stamp, uint32_t *ret_pid,
		   char ret_comm[PROC_COMM_LEN])
{
	char path[64];
	unsigned slot;
	pid_t pid;

	*ret_pid = 0;
	ret_comm[0] = '\0';
	if (tid <= 0)
		return;
	for (slot = 0; slot < CACHE_SLOTS; slot++)
		if (cache[slot].tid == tid && cache[slot].stamp == stamp) {
			*ret_pid = cache[slot].pid;
			memcpy(ret_comm, cache[slot].comm, PROC_COMM_LEN);
			return;
		}
	pid = tgid_of(tid);
	*ret_pid = (uint32_t)(pid > 0 ? pid : tid);
	if (pid > 0) {
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		if (read_small(path, ret_comm, PROC_COMM_LEN) > 0)
			ret_comm[strcspn(ret_comm, "\n")] = '\0';
		else
			ret_comm[0] = '\0';
	}
	slot = cache_next++ % CACHE_SLOTS;
	cache[slot].tid = tid;
	cache[slot].stamp = stamp;
	cache[slot].pid = *ret_pid;
	memcpy(cache[slot].comm, ret_comm, PROC_COMM_LEN);
}
