/* SPDX-License-Identifier: MIT */
/*
 * memfd_probe - whether anyone but the daemon still holds a memfd's memory.
 *
 * A client's CPU mapping of a buffer is a reopen of the buffer's memfd
 * (memfd_reopen(), through /proc/self/fd/N) that the control socket sends
 * over SCM_RIGHTS. The client may close the buffer fd and keep that fd, or
 * only its mmap; either keeps the file, and so the memory, alive. The
 * kernel counts each open file description made by an open() of the
 * inode in i_writecount (opened for writing) or i_readcount (read only)
 * until the file is finally released: last fd closed *and* last mapping
 * of it gone (a mapping holds its file). Nothing exposes those counts,
 * but a write lease (fcntl F_SETLEASE, F_WRLCK) is granted only when they
 * are exactly the caller's own file's (fs/locks.c check_conflicting_open()),
 * and the daemon owns the inode, as a lease requires. So "try a lease on
 * the daemon's own file, drop it at once" tells whether any other file of
 * the inode is left.
 *
 * Which of the daemon's files to try depends on the kernel: the file
 * memfd_create() returns is a pseudo file (alloc_file_pseudo) that is not
 * counted (measured on 6.18; 6.1's alloc_file() takes no write count for
 * it either), so a lease on it alone fails with EAGAIN (count 0, self 1),
 * and the probe is made on a reopen of the daemon's own. A kernel that
 * counted the memfd itself would grant the lease on the memfd and refuse
 * it on a reopen. memfd_probe_calibrate() finds out once, on a scratch
 * memfd, and also checks the property everything rests on: that one more
 * read-only reopen, and such a reopen closed but still mapped, make the
 * probe answer "shared". Leases can be unusable (fs.leases-enable = 0, an
 * LSM refusing them, a kernel built without file locking): then
 * calibration says so and the caller has no probe.
 *
 * A lease the daemon holds is broken by an open() of the inode, which
 * sends the lease holder SIGIO: the probe holds it for two system calls
 * only, and memfd_probe_calibrate() makes the process ignore SIGIO (whose
 * default action is to terminate) so that a client reopening its fd in
 * that window cannot kill the daemon.
 *
 * No state, no threads: any thread may call these, on its own fds.
 */
#pragma once

enum memfd_probe_how {
	MEMFD_PROBE_NONE,      /* leases tell nothing here: no probe */
	MEMFD_PROBE_ON_MEMFD,  /* the memfd itself is counted: lease on it */
	MEMFD_PROBE_ON_REOPEN, /* it is not: lease on a reopen of it */
};

/*
 * Open @memfd again through /proc/self/fd with @flags (O_RDONLY or
 * O_RDWR, plus O_CLOEXEC and the like): a new open file description of
 * the same inode, which the kernel counts. Returns the new fd or a
 * negative errno.
 */
int memfd_reopen(int memfd, int flags);

/*
 * Find how this kernel lets the daemon probe a memfd (see the top), on a
 * scratch memfd. Returns the way (never negative); with MEMFD_PROBE_NONE,
 * *ret_error (if not NULL) says why: the lease's errno, or -EPROTO when
 * leases were granted but did not see an extra reader. Sets SIGIO to be
 * ignored unless the answer is MEMFD_PROBE_NONE.
 */
enum memfd_probe_how memfd_probe_calibrate(int *ret_error);

/*
 * The daemon's own file to probe @memfd with, @how being what
 * calibration found: a duplicate of @memfd (ON_MEMFD) or a read-write
 * reopen (ON_REOPEN). The caller closes it. Returns the fd, -EINVAL for
 * MEMFD_PROBE_NONE, or the errno of dup/open.
 */
int memfd_probe_open(enum memfd_probe_how how, int memfd);

/*
 * Whether some other open file description of @probe_fd's inode (an fd,
 * an fd in flight in a socket, a mapping) exists besides the daemon's
 * own: 1 if so, 0 if not (the memory can go once the daemon closes its
 * files), or a negative errno if the lease failed for another reason.
 * The daemon's memfd (in ON_REOPEN mode) and its own mappings of
 * @probe_fd's file do not count.
 */
int memfd_probe_shared(int probe_fd);
