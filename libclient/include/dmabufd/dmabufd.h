/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd: the client library of dmabufd.
 *
 * dmabufd serves the kernel's dma-heap, dma-buf, sync_file and sw_sync
 * interfaces, and a DMA engine, from a daemon. A daemon cannot put a file descriptor into its
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
 *   - No daemon is -ENXIO: every call that opens a node fails with
 *     -ENXIO when the device root holds no dma-buf node
 *     (DMABUFD_NODE_DMA_BUF), i.e. no daemon serves it (none runs, or
 *     $DMABUFD_DEV_ROOT names another place), as the kernel answers
 *     ENXIO for a device node whose driver is not there. -ENOENT is
 *     left to mean what it means with the kernel: no such node (a heap
 *     of that name). The control socket calls keep connect(2)'s
 *     answers: -ENOENT when the socket is not there, -ECONNREFUSED when
 *     nothing listens on it.
 *
 * Where the nodes are (no configuration needed):
 *   device root: $DMABUFD_DEV_ROOT if set; else "/dev" when
 *                /dev/dmabufd/dma_buf exists (the CUSE daemon); else the
 *                FUSE fallback's DMABUFD_FUSE_ROOT ("/run/dmabufd/dev").
 *   control socket: $DMABUFD_CONTROL if set; else DMABUFD_CONTROL_SOCKET.
 * Both variables are read with secure_getenv(3): a set-uid or set-gid
 * program (AT_SECURE) ignores them and uses the defaults.
 *
 * Names follow Android's libsync (sync_merge, sync_wait, sync_file_info)
 * and libdmabufheap (Alloc, CpuSyncStart/End) where they fit.
 */
#ifndef DMABUFD_DMABUFD_H
#define DMABUFD_DMABUFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <dmabufd/common.h>
#include <dmabufd/control.h>
#include <dmabufd/dma_buf.h>
#include <dmabufd/dma_heap.h>
#include <dmabufd/dmaengine.h>
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
 * @node, -ENAMETOOLONG. An open that fails with ENOENT or ENOTDIR is
 * -ENXIO when the device root holds no DMABUFD_NODE_DMA_BUF (no daemon
 * serves it), and -ENOENT when a daemon serves it but has no @node.
 */
DMABUFD_EXPORT int dmabufd_open_node(const char *node, int flags);

/* ---- Heaps and buffers ---------------------------------------------------- */

/**
 * dmabufd_heap_open() - open the heap called @name ("system")
 *
 * Returns an O_RDONLY|O_CLOEXEC fd of DMABUFD_NODE_HEAP_DIR/@name, or
 * -ENOENT if the daemon has no such heap, -ENXIO if no daemon serves the
 * device root, -EINVAL for an empty name or one with '/', other -errno
 * from open(2).
 */
DMABUFD_EXPORT int dmabufd_heap_open(const char *name);

/**
 * dmabufd_heap_alloc() - allocate a buffer (DMA_HEAP_IOCTL_ALLOC)
 * @heap_fd: from dmabufd_heap_open()
 * @len: bytes; the buffer is page-rounded
 * @fd_flags: O_CLOEXEC and an access mode; 0 means O_RDONLY, as in the
 *            kernel (pass O_RDWR | O_CLOEXEC for a writable mapping);
 *            O_ACCMODE gives, as the kernel does, an fd with neither
 *            read nor write access: no mapping (-EACCES), no DMA
 * @heap_flags: must be 0
 *
 * Returns the new dma-buf fd, opened with @fd_flags' access mode and
 * O_CLOEXEC if asked. Errors: -EINVAL (bad flags, len 0 or wrapping),
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
 * is closed, as with the kernel, and its memory stays charged to the
 * heap (and its limit) until it is unmapped. Errors: -EINVAL (prot other than
 * READ/READ|WRITE, NULL outputs), -EACCES (PROT_WRITE on a read-only fd,
 * any mapping of a write-only or O_ACCMODE fd), -EDQUOT (past the uid's tokens, or
 * its bytes for a heap that maps through a copy: the STM32 contiguous
 * heap), -EBADFD, -ENOTTY, -ECONNREFUSED or
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
 * Returns 0, -EINVAL (bad flags, @sync_fd not a sync_file: closed, not
 * dmabufd's, another node), -EBADFD, -ENOMEM; as the kernel's, a bad
 * @buf_fd answers first: -EBADF, -ENOTTY.
 */
DMABUFD_EXPORT int dmabufd_buf_import_sync_file(int buf_fd, unsigned int flags, int sync_fd);

/* ---- sync_file -------------------------------------------------------- */

/**
 * dmabufd_sync_merge() - SYNC_IOC_MERGE: a sync_file for both fences
 * @name: the new sync_file's name (truncated to 31 characters); NULL = ""
 * @fd1, @fd2: sync_file fds, still owned by the caller; may be equal
 *
 * Returns a new sync_file fd (O_CLOEXEC), or -ENOENT if @fd2 is not a
 * sync_file (closed, not dmabufd's, another node), -EBADFD, -ENOMEM; as
 * the kernel's, a bad @fd1 answers first: -EBADF, -ENOTTY (-EINVAL from
 * a heap).
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
 * The status, as the kernel's: with @max_fences 0 that of the sync_file's
 * own fence (a merge's container: active until all its fences have
 * signaled); with an array the first fence status that is not 1.
 * Returns 0, -EINVAL, -EBADFD, -ENOTTY.
 */
DMABUFD_EXPORT int dmabufd_sync_file_info(int sync_fd, struct dmabufd_sync_info *ret_info,
					  struct sync_fence_info *fences, uint32_t max_fences);

/**
 * dmabufd_sync_status() - status of a sync_file's own fence (as
 * dmabufd_sync_file_info() with no array)
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
 * hold a single sw_sync point (a closed fd or another file included); as
 * the kernel's, a bad @timeline_fd answers first: -EBADF, -ENOTTY.
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
 * not a dma-buf token), -EACCES (more access than the token grants;
 * O_ACCMODE, which grants no access, may claim any dma-buf token),
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

/* ---- The real kernel's fences ----------------------------------------- */

/**
 * dmabufd_fence_import_sync_file() - a dmabufd sync_file for a kernel one
 * @kernel_fd: a real kernel sync_file (a GPU's, a display's, V4L2's,
 *             sw_sync's), still owned by the caller
 *
 * The daemon keeps its own copy of the fd and polls it: the new dmabufd
 * fence signals when the kernel fence does, with its error. It is used
 * like any dmabufd sync_file (merge, DMA_BUF_IOCTL_IMPORT_SYNC_FILE,
 * DMA dependencies). Returns an O_CLOEXEC sync_file fd, or -EINVAL when
 * @kernel_fd is no kernel sync_file (a dmabufd one included), -EBADF,
 * -EDQUOT, -ENOMEM, -errno of the control socket or of open(2).
 */
DMABUFD_EXPORT int dmabufd_fence_import_sync_file(int kernel_fd);

/**
 * dmabufd_fence_export_kernel() - a kernel sync_file for a dmabufd one
 * @sync_fd: a dmabufd sync_file, still owned by the caller
 *
 * Made with the kernel's sw_sync (one kernel timeline per dmabufd fence
 * context), it signals when the dmabufd fence does, so kernel importers
 * (DRM's IN_FENCE_FD, V4L2) can wait on dmabufd's DMA. sw_sync carries
 * no error: a dmabufd fence that fails signals the kernel one with
 * status 1. Returns the kernel sync_file fd (O_CLOEXEC), or
 * -EOPNOTSUPP where the kernel has no sw_sync
 * (/sys/kernel/debug/sync/sw_sync: CONFIG_SW_SYNC and debugfs mounted),
 * -EINVAL when @sync_fd is no dmabufd sync_file, -EDQUOT past the
 * caller's limit of files (an open kernel timeline is one, while a point
 * on it is pending), -ENOMEM, the kernel's -errno.
 */
DMABUFD_EXPORT int dmabufd_fence_export_kernel(int sync_fd);

/* ---- The real kernel's buffers ---------------------------------------- */

/**
 * dmabufd_buf_export_kernel() - a real kernel dma-buf over a dmabufd buffer
 * @buf_fd: a dmabufd dma-buf opened O_RDWR, still owned by the caller
 *
 * Made with the kernel's udmabuf over the buffer's own pages, so DRM,
 * V4L2 or vgem can import it (DRM_IOCTL_PRIME_FD_TO_HANDLE) and either
 * side's writes are seen by the other at once. The kernel dma-buf is
 * always writable (udmabuf has no read-only mode), so a buffer fd
 * without write access is refused. The dmabufd buffer, and its charge
 * to its owner, stays while the kernel dma-buf has any holder (an fd, a
 * mapping, an importer); the daemon notices the last one go within
 * about a second. One kernel dma-buf per buffer while one is held:
 * another call gives a new fd of that same kernel dma-buf (so DRM gives
 * the same GEM handle again). The kernel side sees the memory only: the dmabufd
 * buffer's implicit fences and DMA_BUF_IOCTL_SYNC brackets are not the
 * kernel dma-buf's (export a fence with dmabufd_fence_export_kernel()).
 * Returns the kernel dma-buf fd (O_RDWR|O_CLOEXEC), or -EOPNOTSUPP where
 * the daemon cannot use /dev/udmabuf, -EACCES for an fd without read
 * and write access, -EINVAL when @buf_fd is no dmabufd dma-buf (or past
 * udmabuf's size limit, 64 MiB by default), -ENODEV for a buffer whose
 * heap has no memfd, -EDQUOT, -ENOMEM, -errno of the control socket.
 */
DMABUFD_EXPORT int dmabufd_buf_export_kernel(int buf_fd);

/* ---- Handles: every operation at its fewest round trips --------------- */

/*
 * A handle (proto/dmabufd/common.h, DMABUFD_IOC_HANDLE) is a reusable
 * name of an fd's open file, for the calling user, valid until the last
 * close of that file: all its dups, in every process. Getting one costs a
 * round trip; using one costs none. The *_h() calls below take handles
 * where the kernel takes fds, and return the new fd's handle along with
 * it, so a pipeline pays for each handle once:
 *
 *   dmabufd_alloc_h, dmabufd_timeline_create_fence_h, dmabufd_sync_merge_h,
 *   dmabufd_buf_export_sync_file_h, dmabufd_dma_fence_h:
 *                                   2 round trips (an open, one ioctl)
 *   dmabufd_buf_import_sync_file_h, dmabufd_buf_mmap_h: 1
 *
 * libdmabufd does not remember handles by fd number (a number closed and
 * reused would name another file): the caller keeps each handle with its
 * fd and stops using it when it closes the fd. While any process still
 * holds the file, a handle names that file's object, as the fd did.
 *
 * A handle in the place of the fd the kernel's call is made on answers as
 * that fd would: -EBADF for a handle that names nothing (a file that is
 * gone, another user's, a made-up value), -ENOTTY for one of another kind
 * of fd, -EBADFD for a dma-buf or sync_file fd not bound yet; except in
 * dmabufd_buf_mmap_h(), which goes over the control socket, where a
 * handle and a token are one kind of value: -EINVAL. A handle in
 * the place of an fd argument answers as the kernel's call does for a
 * bad fd there (-ENOENT for SYNC_IOC_MERGE's fd2, -EINVAL for
 * DMA_BUF_IOCTL_IMPORT_SYNC_FILE's fd).
 */

/**
 * dmabufd_handle() - the handle of @fd's open file for this user
 * @ret_handle: the handle
 * @ret_kind: enum dmabufd_node_kind of @fd (may be NULL)
 *
 * Any dmabufd node's fd: heap, dma-buf, sync_file, sw_sync timeline,
 * dmaengine channel. Returns 0, -EBADFD (a dma-buf or sync_file fd not
 * bound yet), -ENOTTY (not a dmabufd fd; a kernel dma-heap fd answers
 * -EINVAL, its ioctl looking at _IOC_NR only), -EBADF, -EINVAL (NULL
 * output).
 */
DMABUFD_EXPORT int dmabufd_handle(int fd, uint64_t *ret_handle, uint32_t *ret_kind);

/**
 * dmabufd_alloc_h() - dmabufd_heap_alloc() from the handle of a heap fd
 * @ret_handle: the new buffer fd's handle (may be NULL)
 *
 * Returns the dma-buf fd, or the errors of dmabufd_heap_alloc(); -EBADF,
 * -ENOTTY for a handle that names no heap fd of this user (see above).
 */
DMABUFD_EXPORT int dmabufd_alloc_h(uint64_t heap_handle, size_t len, unsigned int fd_flags,
				   uint64_t *ret_handle);

/**
 * dmabufd_timeline_create_fence_h() - dmabufd_timeline_create_fence() on
 * the timeline of @timeline_handle; the name is ignored, as the kernel's
 * @ret_handle: the new sync_file fd's handle (may be NULL)
 *
 * Returns the sync_file fd or -errno (-EBADF, -ENOTTY: no timeline fd of
 * this user).
 */
DMABUFD_EXPORT int dmabufd_timeline_create_fence_h(uint64_t timeline_handle, uint32_t value,
						   uint64_t *ret_handle);

/**
 * dmabufd_sync_merge_h() - dmabufd_sync_merge() of two sync_file handles
 * @ret_handle: the merged fd's handle (may be NULL)
 *
 * Returns the sync_file fd, -EBADF, -ENOTTY or -EBADFD when @handle1 names
 * no sync_file fd of this user, -ENOENT when @handle2 names none (the
 * kernel's answer for a bad fd2), -ENOMEM, -errno of open.
 */
DMABUFD_EXPORT int dmabufd_sync_merge_h(const char *name, uint64_t handle1, uint64_t handle2,
					uint64_t *ret_handle);

/**
 * dmabufd_buf_export_sync_file_h() - dmabufd_buf_export_sync_file() on the
 * buffer of @buf_handle
 * @ret_handle: the sync_file fd's handle (may be NULL)
 *
 * Returns the sync_file fd or -errno (-EINVAL: bad flags; -EBADF,
 * -ENOTTY, -EBADFD: no bound buffer fd of this user).
 */
DMABUFD_EXPORT int dmabufd_buf_export_sync_file_h(uint64_t buf_handle, unsigned int flags,
						  uint64_t *ret_handle);

/**
 * dmabufd_buf_import_sync_file_h() - dmabufd_buf_import_sync_file() of the
 * sync_file of @sync_handle into @buf_fd: one round trip
 *
 * Returns 0 or -errno (-EINVAL: bad flags, or no sync_file of this user).
 */
DMABUFD_EXPORT int dmabufd_buf_import_sync_file_h(int buf_fd, unsigned int flags,
						  uint64_t sync_handle);

/**
 * dmabufd_buf_mmap_h() - dmabufd_buf_mmap() of the buffer of @buf_handle:
 * one round trip on the process's kept control connection
 *
 * Returns 0 or -errno: -EINVAL (bad prot, no bound buffer fd of this
 * user, whatever else the handle names),
 * -EACCES (PROT_WRITE on a read-only buffer fd, any mapping of a
 * write-only or O_ACCMODE one), -ENODEV (memory that cannot be mapped), mmap's errors.
 */
DMABUFD_EXPORT int dmabufd_buf_mmap_h(uint64_t buf_handle, int prot, void **ret_addr,
				      size_t *ret_len);

/**
 * dmabufd_dma_fence_h() - dmabufd_dma_fence() on the channel fd of
 * @chan_handle
 * @ret_handle: the sync_file fd's handle (may be NULL)
 *
 * Returns the sync_file fd or -errno (-EBADFD: no channel; -EINVAL: a
 * cookie never handed out; -EBADF, -ENOTTY: no dmaengine fd of this user).
 */
DMABUFD_EXPORT int dmabufd_dma_fence_h(uint64_t chan_handle, int32_t cookie,
				       uint64_t *ret_handle);

/* ---- DMA engine ------------------------------------------------------- */

/*
 * A channel is a fd of the dmaengine node (DMABUFD_NODE_DMAENGINE) bound
 * to one DMA channel, privately: nobody else gets that channel until the
 * fd's last reference is closed, which terminates and releases it. The
 * calls below take that fd ("chan_fd"). Transfers name dma-buf memory
 * through attachments (dmabufd_dma_attach) and are identified by cookies
 * (> 0) in submission order. Completion is a fence: the transfer's
 * sync_file (dmabufd_dma_fence), the implicit fences it leaves on its
 * buffers (a CPU access with dmabufd_buf_begin_cpu_access() waits for it),
 * or dmabufd_dma_wait(). A transfer that fails signals its fence with
 * -EIO (the engine failed), -ECANCELED (terminated), -ETIMEDOUT (the
 * channel watchdog aborted it) or -ENODEV (the controller went away).
 * proto/dmabufd/dmaengine.h has the ioctl-level details.
 *
 * Every call on a chan_fd also returns -EBADFD if it holds no channel,
 * -ENODEV once the controller has gone away, and -ENOTTY/-EBADF for a fd
 * that is not a channel. Like the rest of this library they keep no state
 * and are thread-safe; the calls on one chan_fd are serialized by the
 * daemon, in the order it receives them.
 */

/**
 * struct dmabufd_dma_chan_info - what a request got
 * @chan_id: the channel's index on its controller
 * @caps: the controller's DMABUFD_DMA_CAP() mask
 * @name: the channel's name ("dma0chan1")
 * @device: its controller's name ("mock0")
 */
struct dmabufd_dma_chan_info {
	uint32_t chan_id;
	uint32_t caps;
	char name[DMABUFD_DMA_NAME_LEN];
	char device[DMABUFD_DMA_NAME_LEN];
};

/**
 * dmabufd_dma_request_chan() - dma_request_chan(@consumer, @name)
 * @consumer: the consumer device of the daemon's map (--dma-map), "uart0"
 * @name: its DMA's name there, "rx"
 * @timeout_ms: how long to wait for a controller that has not appeared
 *              yet (0: not at all; < 0: for ever); the daemon's cap on
 *              one wait is handled here by asking again
 * @ret_info: may be NULL
 *
 * Returns the channel fd (O_RDWR, O_CLOEXEC), or -EAGAIN when the map's
 * controller has not appeared within @timeout_ms (the kernel's
 * -EPROBE_DEFER), -ENODEV when the map has no such entry or the
 * controller no such channel, -EBUSY when the channel (every channel, for
 * an entry naming none) is in use, -EINVAL for NULL, empty or too long
 * (31 characters at most) names, -errno of open(2).
 */
DMABUFD_EXPORT int dmabufd_dma_request_chan(const char *consumer, const char *name,
					    int timeout_ms,
					    struct dmabufd_dma_chan_info *ret_info);

/**
 * dmabufd_dma_request_chan_by_cap() - dma_request_chan_by_mask()
 * @cap_mask: DMABUFD_DMA_CAP() bits, e.g. DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY)
 * @timeout_ms: how long to wait while no controller at all is registered
 *              (as dmabufd_dma_request_chan())
 *
 * Returns the channel fd, or -ENODEV when no free channel has the
 * capabilities, -EAGAIN when no controller is registered (after
 * @timeout_ms), -EINVAL for an empty or unknown mask, -errno of open(2).
 */
DMABUFD_EXPORT int dmabufd_dma_request_chan_by_cap(uint32_t cap_mask, int timeout_ms,
						   struct dmabufd_dma_chan_info *ret_info);

/**
 * dmabufd_dma_request_chan_by_name() - dma_get_slave_channel() by name
 * @chan_name: "dma0chan1"
 * @timeout_ms: how long to wait for the channel to appear (as above)
 *
 * Returns the channel fd, or -ENODEV when no such channel appeared within
 * @timeout_ms, -EBUSY when it is in use, -EINVAL, -errno of open(2).
 */
DMABUFD_EXPORT int dmabufd_dma_request_chan_by_name(const char *chan_name, int timeout_ms,
						    struct dmabufd_dma_chan_info *ret_info);

/**
 * dmabufd_dma_caps() - dma_get_slave_caps(): what the channel can do
 *
 * Returns 0, -EINVAL for NULL.
 */
DMABUFD_EXPORT int dmabufd_dma_caps(int chan_fd, struct dmabufd_dma_caps *ret_caps);

/**
 * dmabufd_dma_slave_config() - dmaengine_slave_config()
 * @cfg: pad 0; set DMABUFD_DMA_CFG_REQUEST_LINE in @cfg->flags to choose
 *       the request line (the mock controller's loopback FIFO)
 *
 * Applies to transfers prepared afterwards. Returns 0, -EINVAL for a
 * width or burst the channel cannot do, -EOPNOTSUPP for a channel without
 * slave transfers.
 */
DMABUFD_EXPORT int dmabufd_dma_slave_config(int chan_fd,
					    const struct dmabufd_dma_slave_config *cfg);

/**
 * dmabufd_dma_attach() - attach and map a dma-buf for this channel
 * @buf_fd: a dma-buf fd; stays the caller's. A read-only fd's buffer can
 *          only be a source.
 * @ret_size: the buffer's size; may be NULL
 *
 * Returns the attachment id (> 0), which names the buffer in transfers
 * until dmabufd_dma_detach() or the channel fd's close, or -EINVAL (a
 * fd that is not a dma-buf), -EBUSY, -ENOSPC (DMABUFD_DMA_MAX_ATTACH),
 * -ENOMEM, -ENODEV (the channel's controller went away: then every call
 * but tx_status, fence, events and detach gives -ENODEV).
 */
DMABUFD_EXPORT int dmabufd_dma_attach(int chan_fd, int buf_fd, uint64_t *ret_size);

/**
 * dmabufd_dma_detach() - undo dmabufd_dma_attach()
 *
 * Returns 0, -EINVAL for an unknown id, -EBUSY while a transfer that has
 * not ended uses it.
 */
DMABUFD_EXPORT int dmabufd_dma_detach(int chan_fd, uint32_t attach_id);

/**
 * dmabufd_dma_memcpy() - copy @len bytes between two attachments
 * @flags: 0 or DMABUFD_DMA_PREP_INTERRUPT (a completion event, see
 *         dmabufd_dma_events())
 *
 * Prepares, submits and issues in one round trip: the copy starts once
 * the implicit fences of its buffers allow (the destination's readers and
 * writers, the source's writers). Returns the cookie (> 0), or -EINVAL
 * (unknown ids, a range outside a buffer, len 0 or over the channel's
 * max_len, overlapping ranges of one buffer, bad flags), -EACCES (the
 * destination was attached read-only), -EOPNOTSUPP (no MEMCPY), -EBUSY
 * (the channel's descriptors are all in use), -ENOSPC
 * (DMABUFD_DMA_MAX_PENDING transfers not ended on this fd), -ENOMEM.
 */
DMABUFD_EXPORT int32_t dmabufd_dma_memcpy(int chan_fd, uint32_t dst_id, uint64_t dst_off,
					  uint32_t src_id, uint64_t src_off, uint64_t len,
					  unsigned int flags);

/**
 * dmabufd_dma_slave() - a transfer between memory and the peripheral
 * @direction: DMABUFD_DMA_MEM_TO_DEV (the buffer is read) or
 *             DMABUFD_DMA_DEV_TO_MEM (written)
 * @flags: as dmabufd_dma_memcpy()
 *
 * Needs a slave config (and a request line). Returns the cookie, or the
 * errors of dmabufd_dma_memcpy() (-EOPNOTSUPP: no SLAVE).
 */
DMABUFD_EXPORT int32_t dmabufd_dma_slave(int chan_fd, uint32_t attach_id, uint64_t off,
					 uint64_t len, unsigned int direction,
					 unsigned int flags);

/**
 * dmabufd_dma_cyclic() - a ring buffer of @buf_len bytes in periods
 * @period_len: divides @buf_len
 * @flags: DMABUFD_DMA_PREP_INTERRUPT for an event per period
 *
 * Runs until dmabufd_dma_terminate() (its fence then signals without
 * error). Returns the cookie, or the errors of dmabufd_dma_slave()
 * (-EOPNOTSUPP: no CYCLIC).
 */
DMABUFD_EXPORT int32_t dmabufd_dma_cyclic(int chan_fd, uint32_t attach_id, uint64_t off,
					  uint64_t buf_len, uint64_t period_len,
					  unsigned int direction, unsigned int flags);

/**
 * dmabufd_dma_prep() - DMABUFD_DMA_IOC_PREP as it is (the kernel's
 * three steps: prep, then dmabufd_dma_submit(), dmabufd_dma_issue_pending())
 * @prep: in and out (desc_id, cookie)
 *
 * Returns 0 or the ioctl's errors (dmaengine.h), -EINVAL for NULL.
 */
DMABUFD_EXPORT int dmabufd_dma_prep(int chan_fd, struct dmabufd_dma_prep *prep);

/**
 * dmabufd_dma_submit() - dmaengine_submit() of a prepared descriptor
 *
 * Returns the cookie (> 0); nothing starts before
 * dmabufd_dma_issue_pending(). -EINVAL for an unknown descriptor.
 */
DMABUFD_EXPORT int32_t dmabufd_dma_submit(int chan_fd, uint32_t desc_id);

/**
 * dmabufd_dma_issue_pending() - start the submitted transfers, in order
 *
 * Returns 0, -EDEADLK or -ENOMEM from a buffer's reservation object
 * (the transfers from the failing one on stay submitted).
 */
DMABUFD_EXPORT int dmabufd_dma_issue_pending(int chan_fd);

/**
 * dmabufd_dma_tx_status() - dmaengine_tx_status(), never blocks
 * @ret_status: cookies, residue and the transfer's error; may be NULL
 *
 * One round trip (DMABUFD_DMA_IOC_TX_STATUS): the kernel's
 * dma_cookie_status() plus the fd's failed transfers, and with
 * @ret_status the cookies, residue and error. For the status alone with
 * no round trip, see dmabufd_dma_tx_status_page() (the same answer, from
 * a shared page, with its caveat on reused fd numbers). Returns
 * DMABUFD_DMA_COMPLETE, _IN_PROGRESS, _PAUSED or _ERROR (>= 0), or
 * -EINVAL for a cookie < 1, -EBADFD (no channel), -EBADF.
 */
DMABUFD_EXPORT int dmabufd_dma_tx_status(int chan_fd, int32_t cookie,
					 struct dmabufd_dma_tx_status *ret_status);

/**
 * dmabufd_dma_tx_status_page() - the status of @cookie from the status page
 *
 * Reads the channel fd's status page (proto/dmabufd/dmaengine.h,
 * DMABUFD_DMA_IOC_STATUS_MAP), mapping it read-only at the first call for
 * the fd (two round trips, once); then no round trip, only a fcntl(2) to
 * check that @chan_fd is open. The answer is the one TX_STATUS gives at
 * the moment of the page's last update. Pages are kept per fd number (16
 * at most, then the oldest are unmapped); libdmabufd's channel requests
 * forget the page of a number they reuse, but a number reused for another
 * channel fd by other means (dup2, SCM_RIGHTS, open) can answer from the
 * old channel's page while the old channel is still open somewhere: use
 * dmabufd_dma_tx_status() with a status there. Thread-safe; a fork child
 * keeps the pages. Returns DMABUFD_DMA_COMPLETE, _IN_PROGRESS or _ERROR;
 * -EAGAIN when only the ioctl can tell (a paused channel, a transfer
 * failed in part, a daemon without status pages, a page being rewritten
 * for too long, the channel released); -EINVAL for a cookie < 1; -EBADF.
 */
DMABUFD_EXPORT int dmabufd_dma_tx_status_page(int chan_fd, int32_t cookie);

/**
 * dmabufd_dma_fence() - the completion of transfer @cookie as a sync_file
 *
 * Returns a sync_file fd (O_CLOEXEC) that signals when the transfer ends,
 * with its error if it fails (share it like any sync_file); a cookie
 * ended long ago gives a signaled one. -EINVAL for a cookie this fd never
 * handed out, -ENOMEM, -errno of open(2).
 */
DMABUFD_EXPORT int dmabufd_dma_fence(int chan_fd, int32_t cookie);

/**
 * dmabufd_dma_wait() - wait for transfer @cookie to end
 * @timeout_ms: < 0 waits for ever; 0 only checks
 *
 * One DMABUFD_DMA_IOC_WAIT round trip (more only for a wait longer than
 * the daemon's cap, or after a signal). Returns 0 when the transfer
 * completed, its error (-EIO, -ECANCELED, -ETIMEDOUT, -ENODEV) when it
 * failed, -ETIME when @timeout_ms passed first, -EINVAL for a cookie this
 * fd never handed out, -EBADFD without a channel.
 */
DMABUFD_EXPORT int dmabufd_dma_wait(int chan_fd, int32_t cookie, int timeout_ms);

/**
 * dmabufd_dma_pause(), dmabufd_dma_resume() - dmaengine_pause / _resume
 *
 * Return 0, -EOPNOTSUPP when the channel cannot, -EPERM when nothing runs
 * (pause) or the channel is not paused (resume).
 */
DMABUFD_EXPORT int dmabufd_dma_pause(int chan_fd);
DMABUFD_EXPORT int dmabufd_dma_resume(int chan_fd);

/**
 * dmabufd_dma_terminate() - dmaengine_terminate_async(): abort everything
 *
 * Every prepared, submitted, waiting and running transfer of @chan_fd
 * ends: its fence signals -ECANCELED (a cyclic one's without error), and
 * no event is queued for it. Returns 0.
 */
DMABUFD_EXPORT int dmabufd_dma_terminate(int chan_fd);

/**
 * dmabufd_dma_synchronize() - wait until the hardware stopped touching
 * memory after a terminate (dmaengine_synchronize). Returns 0.
 */
DMABUFD_EXPORT int dmabufd_dma_synchronize(int chan_fd);

/**
 * dmabufd_dma_set_timeout() - the channel watchdog's deadline
 * @timeout_ms: how long an issued transfer may stay at the head of the
 *              channel before it is aborted (-ETIMEDOUT); 0: no watchdog
 *
 * Holds while the fd holds the channel. Returns 0.
 */
DMABUFD_EXPORT int dmabufd_dma_set_timeout(int chan_fd, uint32_t timeout_ms);

/**
 * dmabufd_dma_events() - take queued completion notices, never blocks
 * @ret_events: room for @max (> 0) notices, oldest first
 * @ret_lost: notices dropped since the last call because the daemon's
 *            queue was full; may be NULL
 *
 * Notices come for transfers prepared with DMABUFD_DMA_PREP_INTERRUPT
 * (one when they end, one per period of a cyclic one). poll(2) the
 * chan_fd for POLLIN to wait for them. Returns the number filled (0 when
 * none is queued), -EINVAL for NULL or @max 0.
 */
DMABUFD_EXPORT int dmabufd_dma_events(int chan_fd, struct dmabufd_dma_event *ret_events,
				      unsigned int max, uint32_t *ret_lost);

/* ---- Control socket -------------------------------------------------- */

/**
 * dmabufd_stats() - the daemon's live-object counts (DMABUFD_CTL_STATS)
 * @ret_stats: indexed by enum dmabufd_stat
 *
 * Returns 0, -EINVAL for NULL, -ENOENT/-ECONNREFUSED if no daemon listens,
 * -EPROTO on a malformed reply, the daemon's error as -errno.
 */
DMABUFD_EXPORT int dmabufd_stats(struct dmabufd_ctl_stats *ret_stats);

/**
 * dmabufd_info() - the daemon itself: version, pid, uptime, transport,
 * device root, configuration file, per-uid limits (DMABUFD_CTL_INFO)
 * @ret_info: filled; fields a daemon older than this header does not
 * send are 0
 *
 * Returns 0, -EINVAL for NULL or from a daemon too old to know the
 * request, -ENOENT/-ECONNREFUSED if no daemon listens, -EPROTO on a
 * malformed reply, the daemon's error as -errno.
 */
DMABUFD_EXPORT int dmabufd_info(struct dmabufd_ctl_info *ret_info);

/**
 * dmabufd_stat_name() - the name of a stats index ("fences", "dma_bufs",
 * "pending_requests", ...), as dmabufctl prints it
 * @index: an enum dmabufd_stat value
 *
 * Returns a static string, or NULL for an index the library does not know.
 * Thread-safe.
 */
DMABUFD_EXPORT const char *dmabufd_stat_name(unsigned int index);

/**
 * dmabufd_ctl_list() - one of the daemon's listings
 * @op: DMABUFD_CTL_DMA_DEVICES, _DMA_CHANNELS, _DMA_XFERS, _HEAPS,
 *      _BUFFERS, _FENCES, _TIMELINES or _FILES (records:
 *      dmabufd/control.h)
 * @ret_recs: malloc'ed records (free() them; NULL when there are none)
 * @ret_count: how many
 * @ret_rec_size: bytes per record: at least the size of the record struct
 *                this header knows (a newer daemon may send longer ones;
 *                step through them by this size; an older daemon's
 *                shorter ones are widened, the fields it did not send 0)
 *
 * The daemon makes the listing as it is read, in batches (protocol
 * version 2): an object alive through the whole call is listed exactly
 * once, one created or freed meanwhile may be listed or not (never twice).
 *
 * Returns 0, -EINVAL for NULL outputs or an op that is not a listing,
 * the connection errors of dmabufd_stats(), -EPROTO (a malformed reply,
 * or a listing growing past 64 MiB), -ENOMEM; -EINVAL too from a daemon
 * older than version 2 of the protocol.
 */
DMABUFD_EXPORT int dmabufd_ctl_list(uint32_t op, void **ret_recs, uint32_t *ret_count,
				    uint32_t *ret_rec_size);

/**
 * dmabufd_ctl_list_hidden() - dmabufd_ctl_list(), and what it left out
 * @ret_hidden: objects of other users the daemon did not list to this
 *              caller (as /proc's hidepid: a caller that is neither root
 *              nor the daemon's user sees only its own buffers, fences,
 *              timelines and transfers; proto/dmabufd/control.h)
 *
 * Returns as dmabufd_ctl_list(); -EINVAL for a NULL @ret_hidden too.
 */
DMABUFD_EXPORT int dmabufd_ctl_list_hidden(uint32_t op, void **ret_recs,
					   uint32_t *ret_count,
					   uint32_t *ret_rec_size,
					   uint32_t *ret_hidden);

/**
 * dmabufd_ctl_view() - one of the kernel's debugfs texts, from the daemon
 * @op: DMABUFD_CTL_BUFINFO (/sys/kernel/debug/dma_buf/bufinfo),
 *      DMABUFD_CTL_SYNC_INFO (sync/info) or DMABUFD_CTL_DMA_SUMMARY
 *      (dmaengine/summary)
 * @ret_text: the text, malloc'ed and NUL-terminated (free() it)
 * @ret_len: its length without the NUL
 * @ret_hidden: NULL, or where to put how many objects of other users
 *              the text leaves out for this caller (as the listings)
 *
 * The text is in the kernel's format (man dmabufctl(1), VIEWS, lists the
 * fields dmabufd fills differently), made by the daemon in batches as it
 * is read. Returns 0, -EINVAL for a NULL output or another op, the
 * connection errors of dmabufd_stats(), -EPROTO (a malformed reply, or a
 * text past 64 MiB), -ENOMEM; -EINVAL too from a daemon without views.
 * Thread-safe.
 */
DMABUFD_EXPORT int dmabufd_ctl_view(uint32_t op, char **ret_text,
				    size_t *ret_len, uint32_t *ret_hidden);

/**
 * dmabufd_dma_fault() - inject a fault on a channel of the mock controller
 * @chan_name: "dma0chan1"
 * @fault: DMABUFD_CTL_FAULT_FAIL_NTH (the @count-th transfer the
 *         channel starts from now fails: fence -EIO), _STALL
 *         (transfers on the channel make no progress until the watchdog
 *         aborts them; @count 0), _CLEAR (@count 0)
 *
 * Returns 0, -EINVAL (a malformed name, bad fault or count), -ENODEV (no
 * such channel), -EOPNOTSUPP (its controller injects no faults), -EPERM
 * (neither root nor the daemon's user), the connection errors of
 * dmabufd_stats().
 */
DMABUFD_EXPORT int dmabufd_dma_fault(const char *chan_name, uint32_t fault, uint32_t count);

/**
 * dmabufd_trace_open() - subscribe to the daemon's event recorder
 * (DMABUFD_CTL_TRACE)
 * @kinds: a mask of (1 << DMABUFD_TRACE_*) kinds to record, 0 for all
 *
 * Returns a connection of its own (a socket fd, close-on-exec; close(2)
 * it when done) from which dmabufd_trace_read() takes the records, or
 * -EINVAL (an unknown kind bit), -EBUSY (the daemon has as many
 * subscribers as it takes: DMABUFD_CTL_TRACE_SUBSCRIBERS in all, at most
 * DMABUFD_CTL_TRACE_PER_UID of the caller's uid, the last
 * DMABUFD_CTL_TRACE_RESERVED for root and the daemon's user), -EPROTONOSUPPORT or -EINVAL from a daemon
 * without the recorder, -EPROTO, the connection errors of
 * dmabufd_stats(). A caller that is neither root nor the daemon's user
 * gets only the events of its own objects and calls.
 */
DMABUFD_EXPORT int dmabufd_trace_open(uint32_t kinds);

/**
 * dmabufd_trace_read() - take one batch of trace records
 * @fd: from dmabufd_trace_open()
 * @ret_recs: room for DMABUFD_CTL_RECS_PER_MSG records, filled oldest
 *            first (the fields this header knows of a longer record)
 * @ret_lost: records the daemon dropped before these because its buffer
 *            was full (the reader was slow)
 * @ret_end: set when this was the last batch (after dmabufd_trace_stop())
 *
 * Blocks until a batch comes; poll(2) @fd for POLLIN not to. Returns the
 * number of records (0 is possible, e.g. with the END), -EINVAL for NULL,
 * -ECONNRESET when the daemon closed the connection, -EPROTO for a
 * malformed batch, -ENOMEM, or recv(2)'s -errno.
 */
DMABUFD_EXPORT int dmabufd_trace_read(int fd, struct dmabufd_ctl_trace_rec *ret_recs,
				      uint32_t *ret_lost, bool *ret_end);

/**
 * dmabufd_trace_stop() - ask for the rest of the trace
 * @fd: from dmabufd_trace_open()
 *
 * The daemon records nothing more for @fd, sends what it still holds and
 * then the last batch: keep calling dmabufd_trace_read() until it sets
 * *ret_end. Returns 0 or send(2)'s -errno.
 */
DMABUFD_EXPORT int dmabufd_trace_stop(int fd);

#ifdef __cplusplus
}
#endif

#endif /* DMABUFD_DMABUFD_H */
