/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd: the client library of dmabufd.
 *
 * dmabufd serves the kernel's dma-heap, dma-buf, sync_file and sw_sync
 * interfaces from a daemon. A daemon cannot put a file descriptor into its
 * caller's table, so the wire ABI (the headers in proto/dmabufd/) hands out claim
 * tokens where the kernel hands out fds. This library hides that: every
 * function that the kernel would answer with a new fd returns a real fd
 * here (a fresh open of the object's node, bound to the object), so close,
 * dup, fork, poll() and SCM_RIGHTS behave as with the kernel.
 *
 * Conventions, for every function below:
 *   - Errors are negative errno values; errno itself is left as the last
 *     system call set it. Arguments are checked first (-EINVAL).
 *   - Output parameters come last, are named ret_*, and are not touched
 *     when the function fails.
 *   - New fds are O_CLOEXEC (dma-buf fds: only if fd_flags asks for it, as
 *     the kernel's heap ALLOC does).
 *   - Every function is thread-safe: the library keeps no state. The
 *     environment variables below are read on each call.
 *   - Nothing leaks on an error path: no fd, no mapping, no token held
 *     by this process.
 *
 * Where the nodes are (no configuration needed):
 *   device root: $DMABUFD_DEV_ROOT if set; else "/dev" when
 *                /dev/dmabufd/dma_buf exists (the CUSE daemon); else the
 *                FUSE fallback's DMABUFD_FUSE_ROOT ("/run/dmabufd/dev").
 *   control socket: $DMABUFD_CONTROL if set; else DMABUFD_CONTROL_SOCKET.
 *
 * Names follow Android's libsync (sync_merge, sync_wait, sync_file_info)
 * and libdmabufheap (Alloc, CpuSyncStart/End) where they fit.
 */
#ifndef DMABUFD_DMABUFD_H
#define DMABUFD_DMABUFD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <dmabufd/common.h>
#include <dmabufd/control.h>
#include <dmabufd/dma_buf.h>
#include <dmabufd/dma_heap.h>
#include <dmabufd/sw_sync.h>
#include <dmabufd/sync_file.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define DMABUFD_EXPORT __attribute__((visibility("default")))
#else
#define DMABUFD_EXPORT
#endif

/* ---- Locating the daemon ------------------------------------------------ */

/**
 * dmabufd_get_dev_root() - the device root the library uses
 * @ret_path: filled with the NUL-terminated path
 * @size: size of @ret_path
 *
 * Returns 0, or -EINVAL if @ret_path is NULL, -ENAMETOOLONG if the path
 * does not fit in @size bytes.
 */
DMABUFD_EXPORT int dmabufd_get_dev_root(char *ret_path, size_t size);

/**
 * dmabufd_get_control_path() - the control socket path the library uses
 * @ret_path: filled with the NUL-terminated path
 * @size: size of @ret_path
 *
 * Returns 0, -EINVAL or -ENAMETOOLONG as dmabufd_get_dev_root().
 */
DMABUFD_EXPORT int dmabufd_get_control_path(char *ret_path, size_t size);

/**
 * dmabufd_open_node() - open a node by its name under the device root
 * @node: e.g. DMABUFD_NODE_SW_SYNC, "dma_heap/system"; no leading '/'
 * @flags: open(2) flags
 *
 * Returns the fd, or -errno from open(2), -EINVAL for a NULL or absolute
 * @node, -ENAMETOOLONG.
 */
DMABUFD_EXPORT int dmabufd_open_node(const char *node, int flags);

/* ---- Heaps and buffers ---------------------------------------------------- */

/**
 * dmabufd_heap_open() - open the heap called @name ("system")
 *
 * Returns an O_RDONLY|O_CLOEXEC fd of DMABUFD_NODE_HEAP_DIR/@name, or
 * -ENOENT if no such heap, -EINVAL for an empty name or one with '/',
 * other -errno from open(2).
 */
DMABUFD_EXPORT int dmabufd_heap_open(const char *name);

/**
 * dmabufd_heap_alloc() - allocate a buffer (DMA_HEAP_IOCTL_ALLOC)
 * @heap_fd: from dmabufd_heap_open()
 * @len: bytes; the buffer is page-rounded
 * @fd_flags: O_CLOEXEC and an access mode; 0 means O_RDONLY, as in the
 *            kernel (pass O_RDWR | O_CLOEXEC for a writable mapping)
 * @heap_flags: must be 0
 *
 * Returns the new dma-buf fd, opened with @fd_flags' access mode and
 * O_CLOEXEC if asked. Errors: -EINVAL (bad flags, an access mode of
 * O_ACCMODE, len 0 or wrapping),
 * -ENOMEM, -EBADF/-ENOTTY for a fd that is not a heap, -errno of the
 * dma_buf node's open(2).
 */
DMABUFD_EXPORT int dmabufd_heap_alloc(int heap_fd, size_t len, unsigned int fd_flags,
				      uint64_t heap_flags);

/**
 * dmabufd_alloc() - open heap @heap_name, allocate, close the heap
 *
 * libdmabufheap's Alloc(). Returns the dma-buf fd or the errors of
 * dmabufd_heap_open() and dmabufd_heap_alloc().
 */
DMABUFD_EXPORT int dmabufd_alloc(const char *heap_name, size_t len, unsigned int fd_flags);

/**
 * dmabufd_buf_info() - size, id, exporter name and access mode of a buffer
 *
 * Returns 0, -EBADFD if @buf_fd is not bound to a buffer, -EBADF, -ENOTTY
 * if it is not a dma-buf fd, -EINVAL if @ret_info is NULL.
 */
DMABUFD_EXPORT int dmabufd_buf_info(int buf_fd, struct dmabufd_dma_buf_info *ret_info);

/**
 * dmabufd_buf_size() - the buffer's size in bytes
 *
 * Returns the size (> 0), or the errors of dmabufd_buf_info().
 */
DMABUFD_EXPORT int64_t dmabufd_buf_size(int buf_fd);

/**
 * dmabufd_buf_mmap() - map the whole buffer into this process
 * @buf_fd: a dma-buf fd
 * @prot: PROT_READ, optionally | PROT_WRITE
 * @ret_addr: the mapping (MAP_SHARED: every holder sees the same bytes)
 * @ret_len: its length (the buffer size); pass it to dmabufd_buf_munmap()
 *
 * Gets a mapping token from the buffer and redeems it on the control
 * socket for the buffer's memory. The mapping stays valid after @buf_fd
 * is closed, as with the kernel. Errors: -EINVAL (prot other than
 * READ/READ|WRITE, NULL outputs), -EACCES (PROT_WRITE on a read-only fd,
 * any mapping of a write-only fd), -EBADFD, -ENOTTY, -ECONNREFUSED or
 * -ENOENT if the control socket is not there, -EPROTO on a malformed
 * reply, -errno of mmap(2).
 */
DMABUFD_EXPORT int dmabufd_buf_mmap(int buf_fd, int prot, void **ret_addr, size_t *ret_len);

/**
 * dmabufd_buf_munmap() - undo dmabufd_buf_mmap()
 *
 * Returns 0 or -errno of munmap(2) (-EINVAL for a NULL @addr).
 */
DMABUFD_EXPORT int dmabufd_buf_munmap(void *addr, size_t len);

/**
 * dmabufd_buf_sync() - DMA_BUF_IOCTL_SYNC with @flags, once, no retry
 *
 * For tests and callers that handle EINTR themselves. Returns 0, -EINVAL
 * for bad flags, -EINTR if a signal interrupted a START, -ETIMEDOUT if the
 * fences were still pending after the daemon's longest wait, -EBADFD,
 * -ENOTTY.
 */
DMABUFD_EXPORT int dmabufd_buf_sync(int buf_fd, uint64_t flags);

/**
 * dmabufd_buf_begin_cpu_access() - DMA_BUF_SYNC_START for @dir
 * @dir: DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE or DMA_BUF_SYNC_RW
 *
 * Waits until the implicit fences that @dir requires have signaled
 * (READ: writers; WRITE: readers and writers), retrying on EINTR and
 * EAGAIN as the kernel documentation asks, and on ETIMEDOUT (the daemon's
 * cap on one wait): like the kernel, it waits as long as it takes. Use
 * dmabufd_buf_sync() for a single bounded attempt. Returns 0, -EINVAL for
 * a bad @dir, -EBADFD, -ENOTTY, -ENODEV if the daemon stopped.
 */
DMABUFD_EXPORT int dmabufd_buf_begin_cpu_access(int buf_fd, unsigned int dir);

/**
 * dmabufd_buf_end_cpu_access() - DMA_BUF_SYNC_END for @dir
 *
 * Never waits. Returns 0 or the errors of dmabufd_buf_begin_cpu_access().
 */
DMABUFD_EXPORT int dmabufd_buf_end_cpu_access(int buf_fd, unsigned int dir);

/**
 * dmabufd_buf_set_name() - DMA_BUF_SET_NAME
 *
 * Returns 0, -EINVAL if @name is NULL or has DMA_BUF_NAME_LEN (32) or more
 * characters, -EBADFD, -ENOTTY.
 */
DMABUFD_EXPORT int dmabufd_buf_set_name(int buf_fd, const char *name);

/**
 * dmabufd_buf_get_name() - the buffer's name ("" if never set)
 * @ret_name: at least @size bytes; filled NUL-terminated
 *
 * Returns 0, -EINVAL for NULL/size 0, -ENAMETOOLONG if the name does not
 * fit in @size, -EBADFD, -ENOTTY.
 */
DMABUFD_EXPORT int dmabufd_buf_get_name(int buf_fd, char *ret_name, size_t size);

/**
 * dmabufd_buf_export_sync_file() - DMA_BUF_IOCTL_EXPORT_SYNC_FILE
 * @flags: DMA_BUF_SYNC_READ (wait for writers), _WRITE or _RW (wait for
 *         everyone)
 *
 * Returns a new sync_file fd (O_CLOEXEC) with a snapshot of the buffer's
 * implicit fences, or -EINVAL (bad flags), -EBADFD, -ENOMEM, -ENOTTY.
 */
DMABUFD_EXPORT int dmabufd_buf_export_sync_file(int buf_fd, unsigned int flags);

/**
 * dmabufd_buf_import_sync_file() - DMA_BUF_IOCTL_IMPORT_SYNC_FILE
 * @flags: DMA_BUF_SYNC_READ adds the fences as readers; _WRITE or _RW as
 *         writers
 * @sync_fd: a sync_file fd; stays owned by the caller
 *
 * Returns 0, -EINVAL (bad flags, @sync_fd not a sync_file), -EBADFD,
 * -ENOMEM, -ENOTTY.
 */
DMABUFD_EXPORT int dmabufd_buf_import_sync_file(int buf_fd, unsigned int flags, int sync_fd);

/* ---- sync_file -------------------------------------------------------- */

/**
 * dmabufd_sync_merge() - SYNC_IOC_MERGE: a sync_file for both fences
 * @name: the new sync_file's name (truncated to 31 characters); NULL = ""
 * @fd1, @fd2: sync_file fds, still owned by the caller; may be equal
 *
 * Returns a new sync_file fd (O_CLOEXEC), or -ENOENT if @fd2 is not a
 * sync_file, -EBADFD, -ENOMEM, -ENOTTY if @fd1 is not a sync_file.
 */
DMABUFD_EXPORT int dmabufd_sync_merge(const char *name, int fd1, int fd2);

/**
 * dmabufd_sync_wait() - wait for a sync_file to signal (DMABUFD_SYNC_IOC_WAIT)
 * @timeout_ms: < 0 waits for ever; 0 only checks
 *
 * Retries when a signal interrupts the wait (with the time left), as
 * libsync's sync_wait() does. Returns 0 once signaled, also when signaled
 * with an error (use dmabufd_sync_status() to tell); -ETIME if the
 * timeout passed first; -EBADFD, -ENOTTY.
 */
DMABUFD_EXPORT int dmabufd_sync_wait(int sync_fd, int timeout_ms);

/**
 * dmabufd_sync_wait_ns() - one DMABUFD_SYNC_IOC_WAIT, no retry
 * @timeout_ns: >= 0
 * @ret_status: if not NULL: on success the status (1, or < 0 for an
 *              error signal); on -ETIME 0 (still active); else untouched
 *
 * Returns 0 once signaled, -ETIME, -EINTR if a signal interrupted the
 * caller, -EINVAL for a negative timeout, -EBADFD, -ENOTTY.
 */
DMABUFD_EXPORT int dmabufd_sync_wait_ns(int sync_fd, int64_t timeout_ns, int *ret_status);

/**
 * dmabufd_sync_poll() - wait with poll(2) for POLLIN, as libsync's sync_wait
 * @timeout_ms: < 0 waits for ever
 *
 * Returns 0 once POLLIN (signaled, with or without an error), -ETIME on
 * timeout, -EINVAL on POLLERR/POLLNVAL, -errno of poll(2) other than
 * EINTR/EAGAIN (which are retried with the time left).
 */
DMABUFD_EXPORT int dmabufd_sync_poll(int sync_fd, int timeout_ms);

/**
 * struct dmabufd_sync_info - what dmabufd_sync_file_info() reports
 * @name: the sync_file's name
 * @status: 1 signaled, 0 active, < 0 signaled with that error
 * @num_fences: how many fences the sync_file holds
 */
struct dmabufd_sync_info {
	char name[32];
	int32_t status;
	uint32_t num_fences;
};

/**
 * dmabufd_sync_file_info() - SYNC_IOC_FILE_INFO
 * @ret_info: name, status and fence count
 * @fences: array for the per-fence records, or NULL
 * @max_fences: entries in @fences
 *
 * The kernel's count-then-fill convention: with @max_fences 0 only
 * @ret_info is filled; with @max_fences at least the fence count, the
 * first num_fences entries of @fences are filled too; a @max_fences
 * smaller than the fence count is -EINVAL (ask for the count first).
 * Returns 0, -EINVAL, -EBADFD, -ENOTTY.
 */
DMABUFD_EXPORT int dmabufd_sync_file_info(int sync_fd, struct dmabufd_sync_info *ret_info,
					  struct sync_fence_info *fences, uint32_t max_fences);

/**
 * dmabufd_sync_status() - status of a sync_file
 * @ret_status: 1 signaled, 0 active, < 0 signaled with that error
 *
 * Returns 0 or the errors of dmabufd_sync_file_info().
 */
DMABUFD_EXPORT int dmabufd_sync_status(int sync_fd, int *ret_status);

/**
 * dmabufd_sync_set_deadline() - SYNC_IOC_SET_DEADLINE
 * @deadline_ns: CLOCK_MONOTONIC time by which the fence should signal
 *
 * Returns 0, -EBADFD, -ENOTTY.
 */
DMABUFD_EXPORT int dmabufd_sync_set_deadline(int sync_fd, uint64_t deadline_ns);

/* ---- sw_sync timelines ---------------------------------------------- */

/**
 * dmabufd_timeline_create() - open sw_sync: a new timeline at value 0
 *
 * libsync's sw_sync_timeline_create(). Closing the fd signals every fence
 * still pending on it with -ENOENT. Returns an O_RDWR|O_CLOEXEC fd or
 * -errno of open(2).
 */
DMABUFD_EXPORT int dmabufd_timeline_create(void);

/**
 * dmabufd_timeline_create_fence() - SW_SYNC_IOC_CREATE_FENCE
 * @name: ignored, as by the kernel (may be NULL)
 * @value: the point; at or below the timeline's value the fence is born
 *         signaled
 *
 * libsync's sw_sync_fence_create(). Returns a new sync_file fd
 * (O_CLOEXEC), or -ENOMEM, -ENOTTY/-EBADF if @timeline_fd is not a
 * timeline.
 */
DMABUFD_EXPORT int dmabufd_timeline_create_fence(int timeline_fd, const char *name,
						 uint32_t value);

/**
 * dmabufd_timeline_inc() - SW_SYNC_IOC_INC: advance the timeline by @count
 *
 * Signals every point up to the new value. Returns 0, -ENOTTY, -EBADF.
 */
DMABUFD_EXPORT int dmabufd_timeline_inc(int timeline_fd, uint32_t count);

/**
 * dmabufd_timeline_get_deadline() - SW_SYNC_GET_DEADLINE
 * @sync_fd: a sync_file of a point of this timeline's kind
 * @ret_deadline_ns: the earliest deadline set on the point
 *
 * Returns 0, -ENOENT if no deadline was set, -EINVAL if @sync_fd does not
 * hold a single sw_sync point.
 */
DMABUFD_EXPORT int dmabufd_timeline_get_deadline(int timeline_fd, int sync_fd,
						 uint64_t *ret_deadline_ns);

/* ---- Tokens: sharing without SCM_RIGHTS ------------------------------ */

/**
 * dmabufd_export_token() - DMABUFD_IOC_EXPORT_TOKEN on a dma-buf or sync_file fd
 * @ret_token: a single-use token holding its own reference to the object;
 *             it expires after DMABUFD_TOKEN_TTL_MS or when @fd closes
 *
 * Another process (of any user that can open the node) turns it into an
 * fd with dmabufd_buf_claim() or dmabufd_sync_claim(). Returns 0,
 * -EBADFD (fd not bound), -ENOMEM, -ENOTTY, -EINVAL for a NULL output.
 */
DMABUFD_EXPORT int dmabufd_export_token(int fd, uint64_t *ret_token);

/**
 * dmabufd_buf_claim() - turn a dma-buf token into a dma-buf fd
 * @fd_flags: access mode and O_CLOEXEC for the new fd
 *
 * Returns the fd, or -EINVAL (bad flags; unknown, used or expired token;
 * not a dma-buf token), -EACCES (more access than the token grants),
 * -errno of open(2).
 */
DMABUFD_EXPORT int dmabufd_buf_claim(uint64_t token, unsigned int fd_flags);

/**
 * dmabufd_sync_claim() - turn a sync_file token into a sync_file fd
 *
 * Returns an O_RDONLY|O_CLOEXEC fd, or -EINVAL (unknown, used or expired
 * token; not a sync_file token), -errno of open(2).
 */
DMABUFD_EXPORT int dmabufd_sync_claim(uint64_t token);

/* ---- Control socket -------------------------------------------------- */

/**
 * dmabufd_stats() - the daemon's live-object counts (DMABUFD_CTL_STATS)
 * @ret_stats: indexed by enum dmabufd_stat
 *
 * Returns 0, -EINVAL for NULL, -ENOENT/-ECONNREFUSED if no daemon listens,
 * -EPROTO on a malformed reply, the daemon's error as -errno.
 */
DMABUFD_EXPORT int dmabufd_stats(struct dmabufd_ctl_stats *ret_stats);

#ifdef __cplusplus
}
#endif

#endif /* DMABUFD_DMABUFD_H */
