/* SPDX-License-Identifier: MIT */
/*
 * proc_name - a caller's process and comm for the listings and the hang
 * report, read from /proc when a record or a log line is made ("as of
 * the listing"), never per request:
 * the daemon keeps the thread id its transport gave (FUSE's and CUSE's
 * request context) and nothing else.
 *
 * Threading: loop thread only (a small cache, per listing).
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#define PROC_COMM_LEN 16

/*
 * The process of thread @tid (the Tgid line of /proc/TID/status) in
 * *@ret_pid, and that process's comm (/proc/PID/comm) in @ret_comm. A
 * thread that is gone leaves @tid in *@ret_pid and "" in @ret_comm; a
 * @tid <= 0 (none) gives 0 and "". @stamp names the listing (its @now; a caller that wants no reuse passes the time):
 * the last few answers are reused for the same @tid and @stamp, so a
 * process holding many objects costs two reads per listing, not per
 * record.
 */
void proc_name_get(pid_t tid, uint64_t stamp, uint32_t *ret_pid,
		   char ret_comm[PROC_COMM_LEN]);
