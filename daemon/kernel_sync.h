/* SPDX-License-Identifier: MIT */
/*
 * kernel_sync - fences that cross between dmabufd and the real kernel.
 *
 * Fences in: a kernel sync_file (from a GPU, a display, V4L2, the
 * kernel's sw_sync) becomes a dmabufd fence of its own context (seqno 1,
 * driver "kernel", timeline the sync_file's name). The daemon keeps the
 * sync_file's fd and watches it with a uv_poll on the loop (POLLIN: the
 * kernel fence signaled); it then asks SYNC_IOC_FILE_INFO for the status
 * and signals the dmabufd fence with the kernel fence's error, if any. The
 * fd is closed once the fence has signaled, or when the dmabufd fence is
 * released first (nobody waits any more). Each pending import costs the
 * daemon one fd, charged to the importer's account (ACCT_FILES).
 *
 * Fences out: a dmabufd fence becomes a kernel sync_file made by the
 * kernel's sw_sync (SW_SYNC_IOC_CREATE_FENCE), one kernel timeline per
 * dmabufd fence context (struct ktimeline). A timeline takes points at
 * k = seqno - base, base fixed when the timeline is opened so that its
 * first point is at 1. When a dmabufd fence signals, the timeline moves
 * forward (SW_SYNC_IOC_INC) to the highest k whose points, and every
 * point below it, have signaled: a fence that signals ahead of a lower
 * seqno of its context waits for it, so a kernel point never signals
 * before its dmabufd fence. A point that cannot go on a context's
 * timelines (its k is at or below the value already reached, or 2^31 or
 * more ahead of it) gets a timeline of its own for the same context. A
 * timeline is closed once it has no pending points. A fence that has
 * signaled already is exported as a point at 0 of a fresh timeline,
 * signaled at once. sw_sync cannot carry an error: a dmabufd fence that
 * fails signals its kernel point without one. When the daemon stops, the
 * timelines are closed and the kernel signals their pending points with
 * ENOENT (sw_sync's release).
 *
 * Everything the kernel is asked goes through struct kernel_sync_ops, so
 * the unit tests substitute pipes for sync_files and a table for sw_sync.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "model/fence.h"

#define KERNEL_SYNC_NAME_LEN 32

struct kernel_sync_ops {
	/* 0 when @fd is a kernel sync_file, else -EINVAL. */
	int (*check)(int fd);
	/* SYNC_IOC_FILE_INFO without fences: the fence's status (0 pending,
	 * 1 signaled, or its -errno) and the sync_file's name. 0 or -errno. */
	int (*info)(int fd, int *ret_status, char ret_name[KERNEL_SYNC_NAME_LEN]);
	/* A new sw_sync timeline: its fd, or -EOPNOTSUPP where the kernel has
	 * none, or -errno. */
	int (*timeline_open)(void);
	/* SW_SYNC_IOC_CREATE_FENCE: a sync_file fd for point @value, or -errno. */
	int (*create_fence)(int timeline, uint32_t value, const char *name);
	/* SW_SYNC_IOC_INC by @count. 0 or -errno. */
	int (*inc)(int timeline, uint32_t count);
};

/* The real kernel's: /proc/self/fd, SYNC_IOC_FILE_INFO,
 * /sys/kernel/debug/sync/sw_sync. */
extern const struct kernel_sync_ops kernel_sync_real_ops;

/* Start serving on @loop with @ops (NULL: kernel_sync_real_ops). */
void kernel_sync_start(uv_loop_t *loop, const struct kernel_sync_ops *ops);

/*
 * Signal every pending import with -ENODEV and close its fd, close every
 * export timeline (the kernel signals their points with ENOENT), and let
 * go of the fences. Safe without a start, and twice.
 */
void kernel_sync_stop(void);

/*
 * Import the kernel sync_file @fd (taken over: closed by this call on
 * failure, or when done) as a fence made for @owner. Returns 0 and
 * *ret_fence (one reference); -EINVAL when @fd is no kernel sync_file;
 * -EDQUOT past @owner's limit of files; -ENODEV when not started;
 * -ENOMEM, or a libuv error as -errno.
 */
int kernel_fence_import(int fd, uid_t owner, struct fence **ret_fence);

/*
 * Export @fence as a kernel sync_file for @owner. Returns 0 and *ret_fd
 * (the caller's to close); -EOPNOTSUPP where the kernel has no sw_sync;
 * -EDQUOT when a new kernel timeline would take @owner past its limit of
 * files (each timeline the daemon holds open is one file, charged to the
 * uid whose export opened it until its last point signals; a point on a
 * timeline already open costs no file); -ENODEV when not started;
 * -ENOMEM or the kernel's -errno. A fence exported again while pending
 * gets another kernel fence at its existing point: the daemon keeps one
 * point per fence, however often it is exported.
 */
int kernel_fence_export(struct fence *fence, uid_t owner, int *ret_fd);

/* Imports still watched, export timelines open and points pending (for
 * tests). */
unsigned kernel_sync_watching(void);
unsigned kernel_sync_timelines(void);
unsigned kernel_sync_points(void);
