/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd-compat: the interposed libc entry points.
 *
 * Each one does what libc's does, plus only this:
 *   - open family, opendir, stat family, access: a kernel path of the
 *     dma-heap or sw_sync ABI (compat_redirect()) becomes the daemon's;
 *     an fd made here forgets what the table held for its number;
 *   - close, fclose, closedir, close_range, dup, dup2, dup3,
 *     fcntl(F_DUPFD, F_DUPFD_CLOEXEC): the table follows;
 *   - ioctl: only the kernel's magics 'H', 'b', '>' and 'W' are looked
 *     at, and only on an fd of the daemon (compat_fd_get());
 *   - mmap of a dma-buf fd: the buffer's memfd from the daemon's control
 *     socket (the handle's MAP), mapped as asked; lseek of a dma-buf fd:
 *     dma_buf_llseek.
 * Everything else goes to libc untouched, errno included.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/close_range.h>

#include <dmabufd/dmabufd.h>

#include "compat.h"

/* Symbols libc has and its headers no longer declare. */
COMPAT_EXPORT int __open_2(const char *path, int flags);
COMPAT_EXPORT int __open64_2(const char *path, int flags);
COMPAT_EXPORT int __openat_2(int dirfd, const char *path, int flags);
COMPAT_EXPORT int __openat64_2(int dirfd, const char *path, int flags);
COMPAT_EXPORT int fcntl64(int fd, int cmd, ...);

/* The next definition of @name (libc's), looked up once, into
 * real_fn_NAME: declared here, or by DEFINE_REAL() at file scope. */
#define REAL_LOOKUP(name)                                                       \
	if (!real_fn_##name)                                                     \
		real_fn_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name);
#define REAL(name)                                                              \
	static __typeof__(&name) real_fn_##name;                                \
	REAL_LOOKUP(name)

/* ---- where the daemon is ---------------------------------------------- */

static char dev_root[PATH_MAX];
static _Atomic int dev_root_done;

const char *compat_dev_root(void)
{
	if (!atomic_load_explicit(&dev_root_done, memory_order_acquire)) {
		char root[PATH_MAX];

		if (dmabufd_get_dev_root(root, sizeof(root)) < 0)
			snprintf(root, sizeof(root), "%s", DMABUFD_FUSE_ROOT);
		memcpy(dev_root, root, sizeof(root));
		atomic_store_explicit(&dev_root_done, 1, memory_order_release);
	}
	return dev_root;
}

static char heap_dir[PATH_MAX];
static _Atomic int heap_dir_done;

const char *compat_heap_dir(void)
{
	if (!atomic_load_explicit(&heap_dir_done, memory_order_acquire)) {
		const char *env = getenv("DMABUFD_HEAP_DIR");
		char dir[PATH_MAX];

		/* A node name under the root, as the daemon's --heap-dir. */
		if (!env || !*env || env[0] == '/' || strstr(env, "..") ||
		    snprintf(dir, sizeof(dir), "%s", env) >= (int)sizeof(dir))
			snprintf(dir, sizeof(dir), "%s", DMABUFD_NODE_HEAP_DIR);
		memcpy(heap_dir, dir, sizeof(dir));
		atomic_store_explicit(&heap_dir_done, 1, memory_order_release);
	}
	return heap_dir;
}

enum { KERNEL_UNKNOWN = 0, KERNEL_HAS = 1, KERNEL_LACKS = 2 };

static _Atomic int kernel_heaps, kernel_sw_sync;

/* Whether dmabufd serves this kind of path: $DMABUFD_COMPAT=1 always,
 * =0 never, else where the kernel has no node of its own. */
static bool served(_Atomic int *kernel, const char *kernel_path)
{
	const char *env = getenv("DMABUFD_COMPAT");
	int k;

	if (env && !strcmp(env, "1"))
		return true;
	if (env && !strcmp(env, "0"))
		return false;
	k = atomic_load_explicit(kernel, memory_order_relaxed);
	if (k == KERNEL_UNKNOWN) {
		int saved = errno;

		/* With CUSE and the default heap directory the daemon's
		 * heaps are /dev/dma_heap itself. */
		k = kernel == &kernel_heaps && !strcmp(compat_dev_root(), "/dev") &&
				    !strcmp(compat_heap_dir(), DMABUFD_NODE_HEAP_DIR)
			    ? KERNEL_LACKS
		    : faccessat(AT_FDCWD, kernel_path, F_OK, 0) == 0 ? KERNEL_HAS
								     : KERNEL_LACKS;
		errno = saved;
		atomic_store_explicit(kernel, k, memory_order_relaxed);
	}
	return k == KERNEL_LACKS;
}

/* If @path starts with directory @prefix, what follows it ("" or "/..."). */
static const char *under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(path, prefix, n) || (path[n] && path[n] != '/'))
		return NULL;
	return path + n;
}

const char *compat_redirect(const char *path, char *buf, size_t size)
{
	const char *rest, *node;
	int n;

	if (!path || path[0] != '/')
		return NULL;
	if ((rest = under(path, "/dev/dma_heap"))) {
		if (!served(&kernel_heaps, "/dev/dma_heap"))
			return NULL;
		node = compat_heap_dir();
	} else if (!strcmp(path, "/dev/sw_sync") ||
		   !strcmp(path, "/sys/kernel/debug/sync/sw_sync")) {
		if (!served(&kernel_sw_sync, "/sys/kernel/debug/sync/sw_sync"))
			return NULL;
		node = DMABUFD_NODE_SW_SYNC;
		rest = "";
	} else {
		return NULL;
	}
	n = snprintf(buf, size, "%s/%s%s", compat_dev_root(), node, rest);
	return n > 0 && (size_t)n < size ? buf : NULL;
}

/* ---- the real functions ------------------------------------------------- */

/*
 * real_NAME(PARAMS): libc's NAME, looked up at the first call. The look-up
 * is out of line, so that the call itself is a load, a test and a jump
 * into libc's (no frame: a foreign fd's ioctl, mmap and lseek go this
 * way).
 */
#define DEFINE_REAL(ret, name, params, args)                                    \
	static __typeof__(&name) real_fn_##name;                                \
	static __attribute__((noinline)) ret real_first_##name params          \
	{                                                                       \
		REAL_LOOKUP(name)                                               \
		return real_fn_##name args;                                     \
	}                                                                       \
	ret real_##name params                                                  \
	{                                                                       \
		__typeof__(&name) fn = real_fn_##name;                          \
                                                                                \
		if (__builtin_expect(fn != NULL, 1))                            \
			return fn args;                                         \
		return real_first_##name args;                                  \
	}

DEFINE_REAL(int, open, (const char *path, int flags, mode_t mode), (path, flags, mode))
DEFINE_REAL(int, openat, (int dirfd, const char *path, int flags, mode_t mode),
	    (dirfd, path, flags, mode))
DEFINE_REAL(int, close, (int fd), (fd))
DEFINE_REAL(int, ioctl, (int fd, unsigned long cmd, void *arg), (fd, cmd, arg))
DEFINE_REAL(int, fcntl, (int fd, int cmd, unsigned long arg), (fd, cmd, arg))
DEFINE_REAL(void *, mmap, (void *addr, size_t len, int prot, int flags, int fd, off_t off),
	    (addr, len, prot, flags, fd, off))
DEFINE_REAL(off_t, lseek, (int fd, off_t off, int whence), (fd, off, whence))

/* ---- open ----------------------------------------------------------------- */

static int opened(int fd)
{
	if (fd >= 0)
		compat_fd_forget(fd);
	return fd;
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	char buf[PATH_MAX];
	const char *to = compat_redirect(path, buf, sizeof(buf));

	return opened(real_openat(dirfd, to ? to : path, flags, mode));
}

/* The mode argument exists only with O_CREAT or O_TMPFILE. */
#define OPEN_MODE(flags, last)                                                  \
	mode_t mode = 0;                                                        \
	if ((flags) & (O_CREAT | __O_TMPFILE)) {                                 \
		va_list ap;                                                     \
		va_start(ap, last);                                             \
		mode = va_arg(ap, mode_t);                                      \
		va_end(ap);                                                     \
	}

COMPAT_EXPORT int open(const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return do_openat(AT_FDCWD, path, flags, mode);
}

COMPAT_EXPORT int open64(const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return do_openat(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

COMPAT_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return do_openat(dirfd, path, flags, mode);
}

COMPAT_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return do_openat(dirfd, path, flags | O_LARGEFILE, mode);
}

/* The _FORTIFY_SOURCE variants: no mode (O_CREAT without one aborts in
 * libc; here it is 0). */
COMPAT_EXPORT int __open_2(const char *path, int flags)
{
	return do_openat(AT_FDCWD, path, flags, 0);
}

COMPAT_EXPORT int __open64_2(const char *path, int flags)
{
	return do_openat(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

COMPAT_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return do_openat(dirfd, path, flags, 0);
}

COMPAT_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return do_openat(dirfd, path, flags | O_LARGEFILE, 0);
}

/* ---- directories and attributes ------------------------------------------ */

COMPAT_EXPORT DIR *opendir(const char *path)
{
	char buf[PATH_MAX];
	const char *to = compat_redirect(path, buf, sizeof(buf));

	REAL(opendir);
	return real_fn_opendir(to ? to : path);
}

COMPAT_EXPORT int closedir(DIR *dir)
{
	int fd = dirfd(dir), r;

	REAL(closedir);
	r = real_fn_closedir(dir);
	compat_fd_forget(fd);
	return r;
}

/* A path call: the same with the daemon's path where one applies. */
#define PATH_CALL(ret, name, params, ...)                                      \
	COMPAT_EXPORT ret name params                                           \
	{                                                                       \
		char buf[PATH_MAX];                                             \
		const char *to = compat_redirect(path, buf, sizeof(buf));       \
		REAL(name);                                      \
		if (to)                                                         \
			path = to;                                              \
		return real_fn_##name(__VA_ARGS__);                             \
	}

PATH_CALL(int, stat, (const char *path, struct stat *st), path, st)
PATH_CALL(int, stat64, (const char *path, struct stat64 *st), path, st)
PATH_CALL(int, lstat, (const char *path, struct stat *st), path, st)
PATH_CALL(int, lstat64, (const char *path, struct stat64 *st), path, st)
PATH_CALL(int, access, (const char *path, int how), path, how)

/* ---- closing and duplicating ------------------------------------------------ */

COMPAT_EXPORT int close(int fd)
{
	int r = real_close(fd);

	/* After the close: the number may be reused from here on, and a
	 * lookup between a forget and the close could cache it again. */
	compat_fd_forget(fd);
	return r;
}

COMPAT_EXPORT int fclose(FILE *f)
{
	int fd = fileno(f), r;

	REAL(fclose);
	r = real_fn_fclose(f);
	compat_fd_forget(fd);
	return r;
}

COMPAT_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	int r;

	REAL(close_range);
	r = real_fn_close_range(first, last, flags);
	if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
		compat_fd_forget_range(first, last);
	return r;
}

COMPAT_EXPORT int dup(int fd)
{
	int r;

	REAL(dup);
	r = real_fn_dup(fd);
	if (r >= 0)
		compat_fd_dup(fd, r);
	return r;
}

COMPAT_EXPORT int dup2(int fd, int fd2)
{
	int r;

	REAL(dup2);
	r = real_fn_dup2(fd, fd2);
	if (r >= 0)
		compat_fd_dup(fd, r);
	return r;
}

COMPAT_EXPORT int dup3(int fd, int fd2, int flags)
{
	int r;

	REAL(dup3);
	r = real_fn_dup3(fd, fd2, flags);
	if (r >= 0)
		compat_fd_dup(fd, r);
	return r;
}

static int do_fcntl(int fd, int cmd, unsigned long arg)
{
	int r = real_fcntl(fd, cmd, arg);

	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		compat_fd_dup(fd, r);
	return r;
}

COMPAT_EXPORT int fcntl(int fd, int cmd, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	return do_fcntl(fd, cmd, arg);
}

COMPAT_EXPORT int fcntl64(int fd, int cmd, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	return do_fcntl(fd, cmd, arg);
}

/* ---- ioctl, mmap, lseek ---------------------------------------------------- */

/* An ioctl of a magic dmabufd may serve (ioctl_entry.c sorts them). */
int ioctl_maybe_ours(int fd, unsigned long cmd, void *arg)
{
	struct compat_fd info;

	if (compat_fd_get(fd, &info))
		return compat_ioctl(fd, &info, cmd, arg);
	return real_ioctl(fd, cmd, arg);
}

#define PAGE 4096ULL

/*
 * mmap of a dma-buf fd, as the kernel's do_mmap() and dma_buf_mmap_internal():
 * EACCES without read access or for a shared writable mapping of a
 * read-only fd; EINVAL past the buffer's end.
 */
static void *buf_mmap(int fd, const struct compat_fd *info, void *addr, size_t len,
		      int prot, int flags, off_t off)
{
	uint64_t memfd_size;
	int64_t size;
	int memfd, r;
	void *p;

	if (len == 0 || (off & (off_t)(PAGE - 1))) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (info->mode == O_WRONLY ||
	    ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE) && info->mode != O_RDWR)) {
		errno = EACCES;
		return MAP_FAILED;
	}
	size = compat_buf_size(fd);
	if (size < 0) {
		errno = (int)-size;
		return MAP_FAILED;
	}
	if (off < 0 || (uint64_t)off / PAGE + (len + PAGE - 1) / PAGE > (uint64_t)size / PAGE) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	r = dmabufd_ctl_map(info->handle, &memfd, &memfd_size);
	if (r < 0) {
		errno = -r;
		return MAP_FAILED;
	}
	p = real_mmap(addr, len, prot, flags, memfd, off);
	r = errno;
	close(memfd);
	errno = r;
	return p;
}

/* mmap() of an fd that may be a dma-buf. Out of line, so that mmap() of
 * a known foreign fd stays a jump into libc's. */
static __attribute__((noinline)) void *mmap_maybe_ours(void *addr, size_t len, int prot,
							 int flags, int fd, off_t off)
{
	struct compat_fd info;

	if (compat_fd_get(fd, &info) && info.kind == DMABUFD_KIND_DMA_BUF)
		return buf_mmap(fd, &info, addr, len, prot, flags, off);
	return real_mmap(addr, len, prot, flags, fd, off);
}

COMPAT_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (!(flags & MAP_ANONYMOUS) && fd >= 0 && !compat_fd_known_foreign(fd))
		return mmap_maybe_ours(addr, len, prot, flags, fd, off);
	return real_mmap(addr, len, prot, flags, fd, off);
}

COMPAT_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

/* dma_buf_llseek(): offset 0 from SEEK_END (the size) or SEEK_SET. */
static off_t buf_lseek(int fd, off_t off, int whence)
{
	int64_t size;

	if ((whence != SEEK_END && whence != SEEK_SET) || off != 0) {
		errno = EINVAL;
		return -1;
	}
	if (whence == SEEK_SET)
		return 0;
	size = compat_buf_size(fd);
	if (size < 0) {
		errno = (int)-size;
		return -1;
	}
	return (off_t)size;
}

/* lseek() of an fd that may be a dma-buf, out of line as mmap's. */
static __attribute__((noinline)) off_t lseek_maybe_ours(int fd, off_t off, int whence)
{
	struct compat_fd info;

	if (compat_fd_get(fd, &info) && info.kind == DMABUFD_KIND_DMA_BUF)
		return buf_lseek(fd, off, whence);
	return real_lseek(fd, off, whence);
}

COMPAT_EXPORT off_t lseek(int fd, off_t off, int whence)
{
	if (!compat_fd_known_foreign(fd))
		return lseek_maybe_ours(fd, off, whence);
	return real_lseek(fd, off, whence);
}

COMPAT_EXPORT off_t lseek64(int fd, off_t off, int whence)
{
	return lseek(fd, off, whence);
}
