/* SPDX-License-Identifier: MIT */
/*
 * Closing what a client handed over, off the loop.
 *
 * The last close of a file runs its release in the closing thread. For a
 * file of this daemon's own CUSE nodes that release is a request only the
 * loop can answer, and the kernel waits for the answer uninterruptibly
 * (cuse_release(): a forced FUSE_RELEASE; on FUSE the first FLUSH of a
 * mount likewise): closed on the loop, it wedges the daemon for good. Any
 * fd a client passed (SCM_RIGHTS) may be the last reference to such a
 * file, and so may a Unix socket with such fds still queued in it. So
 * those are closed here, each on a detached thread of its own; the loop
 * goes on and answers the release. At shutdown, once the transports are
 * gone, such a release fails at once (the connection is aborted).
 *
 * Threading: any thread.
 */
#pragma once

/* Close @fd (a client's: passed over SCM_RIGHTS, or a client socket)
 * without blocking the calling thread on its release. When no thread
 * can be made the fd is kept open (and one warning logged): a leak, not
 * a wedge. */
void fd_drop(int fd);

/* How many fd_drop() closes have not happened yet (for tests: a client
 * socket is closed a moment after its connection ends). */
unsigned fd_drop_pending(void);
