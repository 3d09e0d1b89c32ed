/* SPDX-License-Identifier: MIT */
/*
 * What the benchmark's files share (bench/ only; a program, not a
 * library). Everything runs on the bench's main thread unless a function
 * says otherwise; failures end the program through bench_check(), whose
 * exit runs the atexit handlers (the daemon's CPU affinity is restored
 * there, the null server stopped).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int64_t bench_now_ns(void);

/* Exit with "bench: @what: strerror(-@r)" when @r < 0. */
void bench_check(long r, const char *what);

/* ---- pin.c: CPU placement ------------------------------------------------ */

enum placement {
	PLACE_SAME,  /* client, daemon and null server on one CPU */
	PLACE_SPLIT, /* daemon and null server on one CPU, client on another */
};

const char *placement_name(enum placement p);

/*
 * The daemon's pid: $DMABUFD_DAEMON_PID if set, else the one process
 * whose comm is "dmabufd". Returns the pid, -ESRCH with a message when
 * there is none, -ENOTUNIQ with a message when there are several.
 */
pid_t pin_find_daemon(void);

/*
 * Remember the CPU sets of every thread of @daemon (restored by
 * pin_restore(), also registered with atexit) and choose the two CPUs of
 * this process's own set. Returns 0, or -errno. Call once.
 */
int pin_init(pid_t daemon);

/* Whether @p can be set up here (split needs two CPUs). */
bool pin_possible(enum placement p);

/*
 * Pin every thread of the daemon, of @server (if > 0) and of this
 * process for @p. Children forked later inherit this process's CPU.
 * Returns 0 or -errno.
 */
int pin_apply(enum placement p, pid_t server);

/* Give the daemon's threads back the CPU sets pin_init() found. */
void pin_restore(void);

/* ---- null_mount.c: the bare libfuse null servers ----------------------- */

enum null_mode {
	NULL_BLOCKING, /* a blocking read per request: the floor */
	NULL_EPOLL,    /* epoll, then a non-blocking read: session.c's loop */
	_NULL_MODE_MAX,
};

/*
 * Start dmabufd-null-server (next to this program, or $DMABUFD_NULL_SERVER)
 * in @mode on a fresh temporary directory and wait until its file opens.
 * Returns the server's pid and its file's path in @ret_path (valid until
 * null_servers_stop()), or -errno with a message. One server per mode.
 * null_servers_stop() (also registered with atexit) stops them and
 * removes their directories.
 */
pid_t null_server_start(enum null_mode mode, const char **ret_path);
void null_servers_stop(void);

/* ---- tput.c: throughput with several client processes ------------------- */

enum tput_op {
	TPUT_NULL_IOCTL,
	TPUT_FENCE,  /* dmabufd_timeline_create_fence + close */
	TPUT_ALLOC,  /* dmabufd_heap_alloc 4 KiB + close */
	_TPUT_OP_MAX,
};

const char *tput_op_name(enum tput_op op);

/*
 * Fork @clients processes that each open their own files and, at one
 * start signal, run @ops_per_client operations @op. Returns 0 with the
 * total operations per second (over the span from the first start to
 * the last end) and the mean of each client's own rate, or -errno.
 */
int tput_run(enum tput_op op, unsigned int clients, unsigned int ops_per_client,
	     double *ret_total, double *ret_per_client);
