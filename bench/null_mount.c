/* SPDX-License-Identifier: MIT */
/*
 * Starting and stopping the bench's bare null servers (null-server.c):
 * fork + exec on a temporary directory, ready when its file opens (the
 * directory is empty before the mount). Stopping is SIGTERM (the server
 * unmounts itself), then after 5 s SIGKILL and a lazy unmount, and the
 * directory goes. Main thread only; stopping runs at exit too, so a
 * failed run leaves no mount behind (children of the bench must leave
 * with _exit()).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

struct null_server {
	pid_t pid;
	char dir[PATH_MAX];
	char file[PATH_MAX];
};

static struct null_server servers[_NULL_MODE_MAX];
static bool atexit_done;

/* The server binary: $DMABUFD_NULL_SERVER, else beside /proc/self/exe. */
static int server_path(char *buf, size_t size)
{
	const char *env = getenv("DMABUFD_NULL_SERVER");
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && *env)
		return snprintf(buf, size, "%s", env) < (int)size ? 0 : -ENAMETOOLONG;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	return snprintf(buf, size, "%s/dmabufd-null-server", self) < (int)size ? 0 : -ENAMETOOLONG;
}

static void server_stop(struct null_server *s)
{
	int status;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		for (int i = 0; i < 500; i++) {
			if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
				s->pid = 0;
				break;
			}
			usleep(10000);
		}
		if (s->pid > 0) {
			fprintf(stderr, "bench: null server %d did not stop in 5 s; killing it\n",
				(int)s->pid);
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &status, 0);
			s->pid = 0;
		}
	}
	if (s->dir[0]) {
		/* Gone already after a clean stop: EINVAL, harmless. */
		umount2(s->dir, MNT_DETACH);
		rmdir(s->dir);
		s->dir[0] = '\0';
	}
}

void null_servers_stop(void)
{
	for (int m = 0; m < _NULL_MODE_MAX; m++)
		server_stop(&servers[m]);
}

pid_t null_server_start(enum null_mode mode, const char **ret_path)
{
	struct null_server *s = &servers[mode];
	const char *tmp = getenv("TMPDIR");
	char exe[PATH_MAX];
	int r, status;

	if (s->pid > 0) {
		*ret_path = s->file;
		return s->pid;
	}
	r = server_path(exe, sizeof(exe));
	if (r < 0)
		return r;
	if (access(exe, X_OK) < 0) {
		fprintf(stderr, "bench: no null server at %s (set DMABUFD_NULL_SERVER)\n", exe);
		return -ENOENT;
	}
	snprintf(s->dir, sizeof(s->dir), "%s/dmabufd-null.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(s->dir)) {
		s->dir[0] = '\0';
		return -errno;
	}
	if (strlen(s->dir) + sizeof("/null") > sizeof(s->file)) {
		server_stop(s);
		return -ENAMETOOLONG;
	}
	memcpy(s->file, s->dir, strlen(s->dir));
	strcpy(s->file + strlen(s->dir), "/null");
	if (!atexit_done) {
		atexit(null_servers_stop);
		atexit_done = true;
	}
	s->pid = fork();
	if (s->pid < 0) {
		s->pid = 0;
		return -errno;
	}
	if (s->pid == 0) {
		if (mode == NULL_EPOLL)
			execl(exe, exe, "--epoll", s->dir, (char *)NULL);
		else
			execl(exe, exe, s->dir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {
		int fd = open(s->file, O_RDWR | O_CLOEXEC);

		if (fd >= 0) {
			close(fd);
			*ret_path = s->file;
			return s->pid;
		}
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			fprintf(stderr, "bench: the null server exited (status %d) before its "
				"mount answered\n", status);
			s->pid = 0;
			server_stop(s);
			return -EIO;
		}
		usleep(10000);
	}
	fprintf(stderr, "bench: the null server's mount at %s did not answer in 10 s\n",
		s->dir);
	server_stop(s);
	return -ETIMEDOUT;
}
