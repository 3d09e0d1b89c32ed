/* SPDX-License-Identifier: MIT */
/*
 * linger - keeps the heaps' released-but-still-mapped memory charged
 * until the last client file of it is gone.
 *
 * A heap hands the backing of a released buffer whose memfd was reopened
 * for a client (model/heap.h: struct heap_linger; the system heap's
 * buffer memfd, the STM32 contiguous heap's bounce memfd) to the hook
 * installed here. Such a backing keeps its memfd and its charges (to its
 * heap, to its owner's account); this file adds the daemon's probe file
 * (util/memfd_probe.h) and an inotify watch on the memfd's inode. A
 * close event on the inode (a client's last fd of one of its files
 * closed and its last mapping gone: the kernel sends IN_CLOSE_* when a
 * file is finally released) triggers a probe; when no other file of the
 * inode is left, the backing is freed (heap_linger_free()) and its bytes
 * leave the charges. Events cannot be counted (identical events
 * coalesce) and arrive before the kernel drops the file's count
 * (__fput() notifies first), so they are only triggers: a probe that
 * still sees a file is tried again LINGER_RECHECK_MS later, and every
 * backing is probed every LINGER_SWEEP_MS anyway, which is all a backing
 * gets when it has no watch (inotify_add_watch() failed: past
 * fs.inotify.max_user_watches, or no inotify at all).
 *
 * At start, memfd_probe_calibrate() finds how this kernel's leases can
 * tell. When they cannot, the hook is not installed and one warning says
 * so: released buffers are then freed at once, as when nothing was ever
 * mapped, and memory a client keeps mapped is not counted against the
 * heap's or the owner's limit. Charging it until the daemon stops would
 * be the other choice, but then the heap would fill up for good with
 * memory nobody holds.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdbool.h>

#include <uv.h>

/* How often every lingering backing is probed, watched or not. */
#define LINGER_SWEEP_MS 1000
/* The second look after an event found the file still held. */
#define LINGER_RECHECK_MS 20

enum linger_flags {
	LINGER_NO_INOTIFY = 1 << 0, /* tests: rely on the sweep alone */
};

/*
 * Calibrate the probe, open the inotify fd and install the heaps' linger
 * hook (heap_set_linger()). @flags: enum linger_flags. Returns 0 (also
 * when the probe is unusable: logged, and nothing lingers), or -ENOMEM /
 * a libuv error.
 */
int linger_start(uv_loop_t *loop, unsigned flags);

/*
 * Uninstall the hook, free every lingering backing (their memory goes
 * with the clients' last files; the heap's charge goes now) and close the
 * handles. Safe to call without a start, and twice.
 */
void linger_stop(void);

/* Whether linger_start() installed the hook (the probe works here). */
bool linger_active(void);
