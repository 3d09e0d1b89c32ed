/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: libclient/src/node.c, where libdmabufd looks for the daemon
 * and what it answers when the daemon or a node is not there. No daemon:
 * each test makes a device root of its own in a temporary directory (a
 * plain file stands for a node; the library only opens it).
 *
 *   - no daemon (no dmabufd/dma_buf under the root, or no root at all)
 *     is -ENXIO from every call that opens a node;
 *   - a root with the daemon's dma-buf node but no such heap is -ENOENT;
 *   - $DMABUFD_DEV_ROOT and $DMABUFD_CONTROL are honoured, an empty one
 *     is unset;
 *   - a set-uid program (AT_SECURE) ignores both: this program, linked
 *     with libdmabufd's objects (no library to find at run time), copied
 *     set-uid to nobody and run by root, prints what it sees. Skipped
 *     unless root on a file system that honours set-uid bits.
 *
 * $CLIENT_ENV_EXE is this program's path (under valgrind /proc/self/exe
 * is valgrind).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <dmabufd/dmabufd.h>

struct root {
	char dir[64];
};

static void put_file(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
}

static void put_dir(const char *dir, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int root_setup(void **state)
{
	struct root *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	snprintf(r->dir, sizeof(r->dir), "%s/client-env.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(r->dir));
	assert_int_equal(setenv(DMABUFD_ENV_DEV_ROOT, r->dir, 1), 0);
	*state = r;
	return 0;
}

static int root_teardown(void **state)
{
	struct root *r = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	assert_int_equal(system(cmd), 0);
	unsetenv(DMABUFD_ENV_DEV_ROOT);
	unsetenv(DMABUFD_ENV_CONTROL);
	free(r);
	return 0;
}

/* A daemon's root: the dma-buf node, and the heap directory. */
static void make_daemon_root(const char *dir)
{
	put_dir(dir, "dmabufd");
	put_file(dir, DMABUFD_NODE_DMA_BUF);
	put_dir(dir, DMABUFD_NODE_HEAP_DIR);
}

static void no_daemon_is_enxio_from_every_open(void **state)
{
	struct root *r = *state;

	/* A root with nodes of its own but no dma-buf node is no daemon's. */
	put_dir(r->dir, DMABUFD_NODE_HEAP_DIR);
	assert_int_equal(dmabufd_heap_open("system"), -ENXIO);
	assert_int_equal(dmabufd_alloc("system", 4096, O_RDWR), -ENXIO);
	assert_int_equal(dmabufd_timeline_create(), -ENXIO);
	assert_int_equal(dmabufd_open_node(DMABUFD_NODE_SYNC_FILE, O_RDONLY), -ENXIO);
	assert_int_equal(dmabufd_open_node(DMABUFD_NODE_DMA_BUF, O_RDWR), -ENXIO);
	assert_int_equal(dmabufd_buf_claim(1, O_RDWR), -ENXIO);
}

static void missing_dev_root_is_enxio(void **state)
{
	struct root *r = *state;
	char gone[PATH_MAX];

	snprintf(gone, sizeof(gone), "%s/not-there", r->dir);
	assert_int_equal(setenv(DMABUFD_ENV_DEV_ROOT, gone, 1), 0);
	assert_int_equal(dmabufd_heap_open("system"), -ENXIO);
	/* A root that is a file: ENOTDIR from open(2), no daemon either. */
	put_file(r->dir, "a-file");
	snprintf(gone, sizeof(gone), "%s/a-file", r->dir);
	assert_int_equal(setenv(DMABUFD_ENV_DEV_ROOT, gone, 1), 0);
	assert_int_equal(dmabufd_heap_open("system"), -ENXIO);
}

static void unknown_heap_of_a_daemon_is_enoent(void **state)
{
	struct root *r = *state;
	int fd;

	make_daemon_root(r->dir);
	put_file(r->dir, DMABUFD_NODE_HEAP_DIR "/system");
	assert_int_equal(dmabufd_heap_open("no-such-heap"), -ENOENT);
	assert_int_equal(dmabufd_alloc("no-such-heap", 4096, O_RDWR), -ENOENT);
	/* The daemon serves no sw_sync node: ENOENT, not "no daemon". */
	assert_int_equal(dmabufd_timeline_create(), -ENOENT);
	/* The one that is there opens. */
	fd = dmabufd_heap_open("system");
	assert_true(fd >= 0);
	close(fd);
}

static void env_names_dev_root_and_control(void **state)
{
	struct root *r = *state;
	char path[PATH_MAX];

	assert_int_equal(dmabufd_get_dev_root(path, sizeof(path)), 0);
	assert_string_equal(path, r->dir);
	assert_int_equal(setenv(DMABUFD_ENV_CONTROL, "/somewhere/control", 1), 0);
	assert_int_equal(dmabufd_get_control_path(path, sizeof(path)), 0);
	assert_string_equal(path, "/somewhere/control");
	/* Empty is unset. */
	assert_int_equal(setenv(DMABUFD_ENV_CONTROL, "", 1), 0);
	assert_int_equal(dmabufd_get_control_path(path, sizeof(path)), 0);
	assert_string_equal(path, DMABUFD_CONTROL_SOCKET);
	assert_int_equal(setenv(DMABUFD_ENV_DEV_ROOT, "", 1), 0);
	assert_int_equal(dmabufd_get_dev_root(path, sizeof(path)), 0);
	assert_true(!strcmp(path, "/dev") || !strcmp(path, DMABUFD_FUSE_ROOT));
}

/* The child's side: what it sees, one line: "AT_SECURE DEVROOT CONTROL". */
static int print_env(void)
{
	char root[PATH_MAX], control[PATH_MAX];

	if (dmabufd_get_dev_root(root, sizeof(root)) < 0 ||
	    dmabufd_get_control_path(control, sizeof(control)) < 0)
		return 1;
	printf("%lu %s %s\n", getauxval(AT_SECURE), root, control);
	return 0;
}

/* Run @exe --print with the variables set; its line in @out. Returns
 * false when @exe could not be executed at all (a cross build run under
 * qemu-user without binfmt_misc: the test is then skipped). */
static bool run_print(const char *exe, char *out, size_t size)
{
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		setenv(DMABUFD_ENV_DEV_ROOT, "/caller/dev", 1);
		setenv(DMABUFD_ENV_CONTROL, "/caller/control", 1);
		execl(exe, exe, "--print", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	n = read(pipefd[0], out, size - 1);
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return false;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(n > 0);
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return true;
}

static void setuid_program_ignores_environment(void **state)
{
	struct root *r = *state;
	const char *self = getenv("CLIENT_ENV_EXE");
	char copy[PATH_MAX], cmd[PATH_MAX * 2 + 16], line[PATH_MAX * 2];
	char want[PATH_MAX * 2], root[PATH_MAX];

	if (!self)
		skip();
	/* Not set-uid: the caller's variables count. */
	if (!run_print(self, line, sizeof(line)))
		skip();
	assert_string_equal(line, "0 /caller/dev /caller/control");

	if (geteuid() != 0)
		skip(); /* only root can make a set-uid copy of another uid */
#if defined(__SANITIZE_THREAD__)
	/* A set-uid exec clears ADDR_NO_RANDOMIZE, which ThreadSanitizer's
	 * runs need (tools/run-tests.sh runs them under setarch -R). */
	skip();
#endif
#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer stops a set-uid process with a fatal error: it
	 * works through ptrace, which a set-uid exec forbids. */
	skip();
#endif
	snprintf(copy, sizeof(copy), "%s/client-env-setuid", r->dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", self, copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(r->dir, 0755), 0);
	assert_int_equal(chown(copy, 65534, 65534), 0);
	assert_int_equal(chmod(copy, 04755), 0);
	if (!run_print(copy, line, sizeof(line)) || line[0] == '0')
		skip(); /* a nosuid mount: the kernel did not set AT_SECURE */

	/* Set-uid: the defaults, as the library finds them without them. */
	unsetenv(DMABUFD_ENV_DEV_ROOT);
	assert_int_equal(dmabufd_get_dev_root(root, sizeof(root)), 0);
	snprintf(want, sizeof(want), "1 %s %s", root, DMABUFD_CONTROL_SOCKET);
	assert_string_equal(line, want);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(no_daemon_is_enxio_from_every_open,
						root_setup, root_teardown),
		cmocka_unit_test_setup_teardown(missing_dev_root_is_enxio,
						root_setup, root_teardown),
		cmocka_unit_test_setup_teardown(unknown_heap_of_a_daemon_is_enoent,
						root_setup, root_teardown),
		cmocka_unit_test_setup_teardown(env_names_dev_root_and_control,
						root_setup, root_teardown),
		cmocka_unit_test_setup_teardown(setuid_program_ignores_environment,
						root_setup, root_teardown),
	};

	if (argc == 2 && !strcmp(argv[1], "--print"))
		return print_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
