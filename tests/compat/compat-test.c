/* SPDX-License-Identifier: MIT */
/*
 * The compatibility suite: a program written only against the kernel's
 * uapi headers (<linux/dma-heap.h>, <linux/dma-buf.h>,
 * <linux/sync_file.h>; sw_sync's definitions, which are not uapi, are
 * copied from drivers/dma-buf/sw_sync.c below), in the style of the
 * kernel's tools/testing/selftests. One case per behaviour, exact
 * results and errnos as the kernel's drivers give them (6.12). It is
 * meant to pass unchanged against the kernel's own drivers and against
 * dmabufd through libdmabufd-compat.so (dmabufd-run).
 *
 *   compat-test [CASE...]     run every case, or those named
 *
 * Prints "ok N - name" or "not ok N - name" per case and ends with
 * "N passed, M failed"; the exit status is 1 if any failed. A case that
 * finds the kernel too old for what it tests (the 6.7 deadlines on 6.1,
 * the VM's kernel) prints "ok N - name # SKIP why", counts in neither
 * number, and a "# K skipped" line comes before the last. A case
 * re-executes this program (/proc/self/exe) to check what crosses exec:
 *   compat-test --exec-child WHAT FD [ARG]
 * For the scripts: --hold and --churn (compat-run.sh) make objects to be
 * killed with; --across-restart makes them before and after a daemon
 * restart (tests/integration/daemon-restart.sh).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>

/* sw_sync: drivers/dma-buf/sw_sync.c (not in the uapi headers). */
struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};

struct sw_sync_get_deadline {
	__u64 deadline_ns;
	__u32 pad;
	__s32 fence_fd;
};

#define SW_SYNC_IOC_MAGIC 'W'
#define SW_SYNC_IOC_CREATE_FENCE _IOWR(SW_SYNC_IOC_MAGIC, 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW(SW_SYNC_IOC_MAGIC, 1, __u32)
#define SW_SYNC_GET_DEADLINE _IOWR(SW_SYNC_IOC_MAGIC, 2, struct sw_sync_get_deadline)

/* Linux 6.7's deadline, absent from older uapi headers. */
#ifndef SYNC_IOC_SET_DEADLINE
struct sync_set_deadline {
	__u64 deadline_ns;
	__u64 pad;
};
#define SYNC_IOC_SET_DEADLINE _IOW(SYNC_IOC_MAGIC, 5, struct sync_set_deadline)
#endif

#define HEAP_PATH "/dev/dma_heap/system"
#define PAGE 4096

static const char *sw_sync_path = "/sys/kernel/debug/sync/sw_sync";

/* ---- a small harness ------------------------------------------------------- */

static int case_failed;
static const char *case_skipped; /* why the case could not run here */

/* The case cannot run on this kernel: say why and stop it. */
#define SKIP(why)                                                               \
	do {                                                                    \
		case_skipped = (why);                                           \
		return;                                                         \
	} while (0)

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			printf("#   %s:%d: %s (errno %d %s)\n", __FILE__, __LINE__, \
			       #cond, errno, strerror(errno));                  \
			case_failed = 1;                                        \
			return;                                                 \
		}                                                               \
	} while (0)

/* A call that must fail with exactly @err. */
#define CHECK_ERR(call, err)                                                    \
	do {                                                                    \
		errno = 0;                                                      \
		long r_ = (long)(call);                                          \
		if (r_ != -1 || errno != (err)) {                               \
			printf("#   %s:%d: %s gave %ld errno %d (%s), want %s\n",  \
			       __FILE__, __LINE__, #call, r_, errno,            \
			       strerror(errno), #err);                          \
			case_failed = 1;                                        \
			return;                                                 \
		}                                                               \
	} while (0)

static int heap_open(void)
{
	return open(HEAP_PATH, O_RDONLY | O_CLOEXEC);
}

/* A buffer of @len bytes with @fd_flags, or -1. */
static int alloc_buf(size_t len, unsigned int fd_flags)
{
	struct dma_heap_allocation_data d = { .len = len, .fd_flags = fd_flags };
	int heap = heap_open(), r;

	if (heap < 0)
		return -1;
	r = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d);
	close(heap);
	return r < 0 ? -1 : (int)d.fd;
}

static int timeline_open(void)
{
	return open(sw_sync_path, O_RDWR | O_CLOEXEC);
}

static int fence_create(int tl, unsigned int value)
{
	struct sw_sync_create_fence_data d = { .value = value };

	strcpy(d.name, "compat");
	return ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &d) < 0 ? -1 : d.fence;
}

static int timeline_inc(int tl, __u32 n)
{
	return ioctl(tl, SW_SYNC_IOC_INC, &n);
}

/* The status SYNC_IOC_FILE_INFO reports without an array, or -100. */
static int fence_status(int fd)
{
	struct sync_file_info info = { 0 };

	return ioctl(fd, SYNC_IOC_FILE_INFO, &info) < 0 ? -100 : info.status;
}

static int is_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl < 0 ? -1 : !!(fl & FD_CLOEXEC);
}

/* ---- /dev/dma_heap ----------------------------------------------------------- */

static void heap_dir_lists_system(void)
{
	struct stat st;
	DIR *d = opendir("/dev/dma_heap");
	int found = 0;

	CHECK(d);
	for (struct dirent *e; (e = readdir(d));)
		found |= !strcmp(e->d_name, "system");
	closedir(d);
	CHECK(found);
	CHECK(stat("/dev/dma_heap", &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(stat(HEAP_PATH, &st) == 0);
	CHECK(access(HEAP_PATH, F_OK) == 0);
	CHECK_ERR(stat("/dev/dma_heap/no-such-heap", &st), ENOENT);
	CHECK_ERR(open("/dev/dma_heap/no-such-heap", O_RDONLY), ENOENT);
}

static void heap_open_variants(void)
{
	int fd;

	fd = openat(AT_FDCWD, HEAP_PATH, O_RDONLY);
	CHECK(fd >= 0);
	CHECK(is_cloexec(fd) == 0);
	close(fd);
	fd = open(HEAP_PATH, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && is_cloexec(fd) == 1);
	close(fd);
}

/* ---- DMA_HEAP_IOCTL_ALLOC ---------------------------------------------------- */

static void alloc_rounds_to_page_size(void)
{
	int fd = alloc_buf(1, O_RDWR | O_CLOEXEC);

	CHECK(fd >= 0);
	CHECK(lseek(fd, 0, SEEK_END) == PAGE);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	close(fd);
}

static void alloc_honours_cloexec(void)
{
	int a = alloc_buf(PAGE, O_RDWR | O_CLOEXEC), b = alloc_buf(PAGE, O_RDWR);

	CHECK(a >= 0 && b >= 0);
	CHECK(is_cloexec(a) == 1);
	CHECK(is_cloexec(b) == 0);
	close(a);
	close(b);
}

static void alloc_access_mode_is_fd_flags(void)
{
	int ro = alloc_buf(PAGE, 0), rw = alloc_buf(PAGE, O_RDWR);

	CHECK(ro >= 0 && rw >= 0);
	CHECK((fcntl(ro, F_GETFL) & O_ACCMODE) == O_RDONLY);
	CHECK((fcntl(rw, F_GETFL) & O_ACCMODE) == O_RDWR);
	close(ro);
	close(rw);
}

static void alloc_bad_input_einval(void)
{
	struct dma_heap_allocation_data d;
	int heap = heap_open();

	CHECK(heap >= 0);
	d = (struct dma_heap_allocation_data){ .len = PAGE, .fd = 3 };
	CHECK_ERR(ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d), EINVAL);
	d = (struct dma_heap_allocation_data){ .len = PAGE, .fd_flags = O_NONBLOCK };
	CHECK_ERR(ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d), EINVAL);
	d = (struct dma_heap_allocation_data){ .len = PAGE, .heap_flags = 1 };
	CHECK_ERR(ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d), EINVAL);
	d = (struct dma_heap_allocation_data){ .len = 0 };
	CHECK_ERR(ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d), EINVAL);
	d = (struct dma_heap_allocation_data){ .len = UINT64_MAX - 10 };
	CHECK_ERR(ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d), EINVAL);
	/* dma_heap_ioctl() looks at _IOC_NR only: nr 1 is EINVAL, not ENOTTY. */
	d = (struct dma_heap_allocation_data){ .len = PAGE };
	CHECK_ERR(ioctl(heap, _IOWR(DMA_HEAP_IOC_MAGIC, 1, struct dma_heap_allocation_data), &d),
		  EINVAL);
	close(heap);
}

/* The caller's _IOC_SIZE is what is copied: a shorter struct reads zeros
 * past its end, a longer one keeps its tail, an _IOR reads nothing. */
static void alloc_copies_callers_size(void)
{
	struct {
		__u64 len;
		__u32 fd;
		__u32 fd_flags;
	} small = { .len = PAGE, .fd_flags = O_RDWR };
	struct {
		struct dma_heap_allocation_data d;
		__u64 tail;
	} big = { .d = { .len = PAGE, .fd_flags = O_RDWR | O_CLOEXEC }, .tail = 0x1234 };
	struct dma_heap_allocation_data d = { .len = PAGE };
	int heap = heap_open();

	CHECK(heap >= 0);
	CHECK(ioctl(heap, _IOWR(DMA_HEAP_IOC_MAGIC, 0, small), &small) == 0);
	CHECK(small.fd > 0 && (fcntl(small.fd, F_GETFL) & O_ACCMODE) == O_RDWR);
	close(small.fd);
	CHECK(ioctl(heap, _IOWR(DMA_HEAP_IOC_MAGIC, 0, big), &big) == 0);
	CHECK(big.d.fd > 0 && big.tail == 0x1234 && is_cloexec(big.d.fd) == 1);
	close(big.d.fd);
	CHECK_ERR(ioctl(heap, _IOR(DMA_HEAP_IOC_MAGIC, 0, struct dma_heap_allocation_data), &d),
		  EINVAL);
	close(heap);
}

/* ---- mmap and lseek ------------------------------------------------------------- */

static void mmap_is_shared_between_mappings(void)
{
	int fd = alloc_buf(2 * PAGE, O_RDWR | O_CLOEXEC);
	unsigned char *a, *b;

	CHECK(fd >= 0);
	a = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(a != MAP_FAILED);
	b = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, PAGE);
	CHECK(b != MAP_FAILED);
	CHECK(a[0] == 0 && a[2 * PAGE - 1] == 0); /* zeroed pages */
	a[PAGE] = 0xa5;
	a[2 * PAGE - 1] = 0x5a;
	CHECK(b[0] == 0xa5 && b[PAGE - 1] == 0x5a);
	munmap(b, PAGE);
	close(fd);
	/* The mapping outlives the fd. */
	a[0] = 1;
	CHECK(a[0] == 1);
	munmap(a, 2 * PAGE);
}

static void mmap_write_of_readonly_fd_eacces(void)
{
	int fd = alloc_buf(PAGE, O_RDONLY);
	void *p;

	CHECK(fd >= 0);
	CHECK_ERR(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0,
		  EACCES);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	munmap(p, PAGE);
	close(fd);
}

static void mmap_past_end_einval(void)
{
	int fd = alloc_buf(PAGE, O_RDWR);

	CHECK(fd >= 0);
	CHECK_ERR(mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0,
		  EINVAL);
	CHECK_ERR(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, PAGE) == MAP_FAILED ? -1 : 0,
		  EINVAL);
	close(fd);
}

static void lseek_other_than_size_einval(void)
{
	int fd = alloc_buf(3 * PAGE, O_RDWR);

	CHECK(fd >= 0);
	CHECK(lseek(fd, 0, SEEK_END) == 3 * PAGE);
	CHECK_ERR(lseek(fd, 0, SEEK_CUR), EINVAL);
	CHECK_ERR(lseek(fd, 1, SEEK_END), EINVAL);
	CHECK_ERR(lseek(fd, 4096, SEEK_SET), EINVAL);
	close(fd);
}

/* ---- dma-buf ioctls --------------------------------------------------------------- */

static void set_name_both_numbers(void)
{
	char long_name[40];
	int fd = alloc_buf(PAGE, O_RDWR);

	CHECK(fd >= 0);
	CHECK(ioctl(fd, DMA_BUF_SET_NAME_A, "frame-a") == 0);
	CHECK(ioctl(fd, DMA_BUF_SET_NAME_B, "frame-b") == 0);
	memset(long_name, 'x', sizeof(long_name));
	long_name[31] = '\0'; /* 31 characters: the longest */
	CHECK(ioctl(fd, DMA_BUF_SET_NAME, long_name) == 0);
	long_name[31] = 'x';
	long_name[32] = '\0'; /* 32: too long */
	CHECK_ERR(ioctl(fd, DMA_BUF_SET_NAME, long_name), EINVAL);
	close(fd);
}

static void buf_sync_start_end(void)
{
	struct dma_buf_sync s = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW };
	int fd = alloc_buf(PAGE, O_RDWR);

	CHECK(fd >= 0);
	CHECK(ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) == 0);
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
	CHECK(ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) == 0);
	s.flags = 0x10;
	CHECK_ERR(ioctl(fd, DMA_BUF_IOCTL_SYNC, &s), EINVAL);
	close(fd);
}

static void import_then_export_sync_file(void)
{
	struct dma_buf_import_sync_file imp = { .flags = DMA_BUF_SYNC_WRITE };
	struct dma_buf_export_sync_file exp = { .flags = DMA_BUF_SYNC_READ };
	int buf = alloc_buf(PAGE, O_RDWR), tl = timeline_open(), f;

	CHECK(buf >= 0 && tl >= 0);
	f = fence_create(tl, 1);
	CHECK(f >= 0);
	imp.fd = f;
	CHECK(ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp) == 0);
	CHECK(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp) == 0);
	CHECK(exp.fd >= 0 && exp.fd != f && is_cloexec(exp.fd) == 1);
	CHECK(fence_status(exp.fd) == 0);
	CHECK(timeline_inc(tl, 1) == 0);
	CHECK(fence_status(exp.fd) == 1);
	close(exp.fd);
	close(f);
	close(tl);
	close(buf);
}

static void export_import_bad_input_einval(void)
{
	struct dma_buf_import_sync_file imp = { .flags = DMA_BUF_SYNC_READ };
	struct dma_buf_export_sync_file exp = { .flags = 0 };
	int buf = alloc_buf(PAGE, O_RDWR), p[2];

	CHECK(buf >= 0 && pipe(p) == 0);
	CHECK_ERR(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp), EINVAL);
	exp.flags = 4;
	CHECK_ERR(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp), EINVAL);
	imp.fd = p[0]; /* not a sync_file */
	CHECK_ERR(ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp), EINVAL);
	imp.fd = buf;
	CHECK_ERR(ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp), EINVAL);
	imp.flags = 0;
	CHECK_ERR(ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp), EINVAL);
	close(p[0]);
	close(p[1]);
	close(buf);
}

/* ---- sw_sync and sync_file --------------------------------------------------------- */

static void fence_signals_on_inc(void)
{
	int tl = timeline_open(), f;
	struct pollfd pfd;

	CHECK(tl >= 0);
	f = fence_create(tl, 2);
	CHECK(f >= 0 && is_cloexec(f) == 1);
	CHECK(fence_status(f) == 0);
	pfd = (struct pollfd){ .fd = f, .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 0);
	CHECK(timeline_inc(tl, 1) == 0 && fence_status(f) == 0);
	CHECK(timeline_inc(tl, 1) == 0 && fence_status(f) == 1);
	CHECK(poll(&pfd, 1, 10000) == 1 && (pfd.revents & POLLIN));
	close(f);
	close(tl);
}

static void fence_at_or_below_value_born_signaled(void)
{
	int tl = timeline_open(), f;

	CHECK(tl >= 0 && timeline_inc(tl, 5) == 0);
	f = fence_create(tl, 5);
	CHECK(f >= 0 && fence_status(f) == 1);
	close(f);
	close(tl);
}

static void timeline_close_signals_enoent(void)
{
	int tl = timeline_open(), f;

	CHECK(tl >= 0);
	f = fence_create(tl, 1);
	CHECK(f >= 0);
	close(tl);
	CHECK(fence_status(f) == -ENOENT);
	close(f);
}

static void merge_and_file_info_array(void)
{
	struct sync_fence_info fi[3];
	struct sync_merge_data m = { .name = "both" };
	struct sync_file_info info = { 0 };
	int tl1 = timeline_open(), tl2 = timeline_open(), a, b;

	CHECK(tl1 >= 0 && tl2 >= 0);
	a = fence_create(tl1, 1);
	b = fence_create(tl2, 1);
	CHECK(a >= 0 && b >= 0);
	m.fd2 = b;
	CHECK(ioctl(a, SYNC_IOC_MERGE, &m) == 0);
	CHECK(m.fence >= 0 && is_cloexec(m.fence) == 1);
	CHECK(ioctl(m.fence, SYNC_IOC_FILE_INFO, &info) == 0);
	CHECK(info.num_fences == 2 && info.status == 0 && !strcmp(info.name, "both"));
	/* Too small an array: EINVAL. */
	info = (struct sync_file_info){ .num_fences = 1,
					.sync_fence_info = (__u64)(uintptr_t)fi };
	CHECK_ERR(ioctl(m.fence, SYNC_IOC_FILE_INFO, &info), EINVAL);
	CHECK(timeline_inc(tl1, 1) == 0);
	memset(fi, 0xff, sizeof(fi));
	info = (struct sync_file_info){ .num_fences = 3,
					.sync_fence_info = (__u64)(uintptr_t)fi };
	CHECK(ioctl(m.fence, SYNC_IOC_FILE_INFO, &info) == 0);
	CHECK(info.num_fences == 2);
	CHECK(!strcmp(fi[0].driver_name, "sw_sync") && !strcmp(fi[1].driver_name, "sw_sync"));
	CHECK(fi[0].status + fi[1].status == 1); /* one signaled, one not */
	CHECK(info.status == 0);
	CHECK((fi[0].status == 1) == (fi[0].timestamp_ns != 0));
	CHECK(fi[2].status == -1); /* untouched past the count */
	CHECK(timeline_inc(tl2, 1) == 0);
	info = (struct sync_file_info){ .num_fences = 2,
					.sync_fence_info = (__u64)(uintptr_t)fi };
	CHECK(ioctl(m.fence, SYNC_IOC_FILE_INFO, &info) == 0 && info.status == 1);
	close(m.fence);
	close(a);
	close(b);
	close(tl1);
	close(tl2);
}

/* A sync_file of 20 fences: more than one window of dmabufd's FILE_INFO. */
static void file_info_many_fences(void)
{
	struct sync_fence_info fi[20];
	struct sync_file_info info;
	int tl[20], acc = -1;

	for (int i = 0; i < 20; i++) {
		struct sync_merge_data m = { .name = "many" };
		int f;

		tl[i] = timeline_open();
		CHECK(tl[i] >= 0);
		f = fence_create(tl[i], 1);
		CHECK(f >= 0);
		if (acc < 0) {
			acc = f;
			continue;
		}
		m.fd2 = f;
		CHECK(ioctl(acc, SYNC_IOC_MERGE, &m) == 0);
		close(acc);
		close(f);
		acc = m.fence;
	}
	CHECK(timeline_inc(tl[19], 1) == 0);
	info = (struct sync_file_info){ .num_fences = 20,
					.sync_fence_info = (__u64)(uintptr_t)fi };
	CHECK(ioctl(acc, SYNC_IOC_FILE_INFO, &info) == 0);
	CHECK(info.num_fences == 20);
	int signaled = 0;
	for (int i = 0; i < 20; i++)
		signaled += fi[i].status == 1;
	CHECK(signaled == 1);
	close(acc);
	for (int i = 0; i < 20; i++)
		close(tl[i]);
}

static void merge_bad_input(void)
{
	struct sync_merge_data m = { .name = "x" };
	int tl = timeline_open(), f, p[2];

	CHECK(tl >= 0 && pipe(p) == 0);
	f = fence_create(tl, 1);
	CHECK(f >= 0);
	m.fd2 = p[0];
	CHECK_ERR(ioctl(f, SYNC_IOC_MERGE, &m), ENOENT);
	m.fd2 = -1;
	CHECK_ERR(ioctl(f, SYNC_IOC_MERGE, &m), ENOENT);
	m.fd2 = f;
	m.flags = 1;
	CHECK_ERR(ioctl(f, SYNC_IOC_MERGE, &m), EINVAL);
	m.flags = 0;
	m.pad = 1;
	CHECK_ERR(ioctl(f, SYNC_IOC_MERGE, &m), EINVAL);
	/* fd2 may be the fd itself. */
	m.pad = 0;
	CHECK(ioctl(f, SYNC_IOC_MERGE, &m) == 0 && m.fence >= 0);
	close(m.fence);
	struct sync_file_info info = { .flags = 1 };
	CHECK_ERR(ioctl(f, SYNC_IOC_FILE_INFO, &info), EINVAL);
	close(p[0]);
	close(p[1]);
	close(f);
	close(tl);
}

static void get_deadline(void)
{
	struct sw_sync_get_deadline gd = { 0 };
	struct sync_set_deadline sd = { 0 };
	struct timespec ts;
	int tl = timeline_open(), f, p[2];
	__u64 now;

	CHECK(tl >= 0 && pipe(p) == 0);
	f = fence_create(tl, 1);
	CHECK(f >= 0);
	gd.fence_fd = f;
	/* Linux 6.7 added both ioctls: before it, each is ENOTTY. */
	errno = 0;
	if (ioctl(tl, SW_SYNC_GET_DEADLINE, &gd) < 0 && errno == ENOTTY &&
	    ioctl(f, SYNC_IOC_SET_DEADLINE, &sd) < 0 && errno == ENOTTY) {
		close(p[0]);
		close(p[1]);
		close(f);
		close(tl);
		SKIP("no deadlines in this kernel (SYNC_IOC_SET_DEADLINE and "
		     "SW_SYNC_GET_DEADLINE are ENOTTY; Linux 6.7 added them)");
	}
	gd = (struct sw_sync_get_deadline){ .fence_fd = f };
	CHECK_ERR(ioctl(tl, SW_SYNC_GET_DEADLINE, &gd), ENOENT);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	sd.deadline_ns = now + 2000000000ull;
	CHECK(ioctl(f, SYNC_IOC_SET_DEADLINE, &sd) == 0);
	sd.deadline_ns = now + 1000000000ull; /* earlier: it wins */
	CHECK(ioctl(f, SYNC_IOC_SET_DEADLINE, &sd) == 0);
	sd.deadline_ns = now + 3000000000ull;
	CHECK(ioctl(f, SYNC_IOC_SET_DEADLINE, &sd) == 0);
	gd = (struct sw_sync_get_deadline){ .fence_fd = f };
	CHECK(ioctl(tl, SW_SYNC_GET_DEADLINE, &gd) == 0);
	CHECK(gd.deadline_ns == now + 1000000000ull);
	gd = (struct sw_sync_get_deadline){ .fence_fd = f, .deadline_ns = 1 };
	CHECK_ERR(ioctl(tl, SW_SYNC_GET_DEADLINE, &gd), EINVAL);
	gd = (struct sw_sync_get_deadline){ .fence_fd = f, .pad = 1 };
	CHECK_ERR(ioctl(tl, SW_SYNC_GET_DEADLINE, &gd), EINVAL);
	gd = (struct sw_sync_get_deadline){ .fence_fd = p[0] };
	CHECK_ERR(ioctl(tl, SW_SYNC_GET_DEADLINE, &gd), EINVAL);
	close(p[0]);
	close(p[1]);
	close(f);
	close(tl);
}

/* ---- fds: dup, reuse, foreign fds -------------------------------------------------- */

static void dups_are_the_same_buffer(void)
{
	int fd = alloc_buf(2 * PAGE, O_RDWR), d1, d2, d3, d4 = 100;

	CHECK(fd >= 0);
	d1 = dup(fd);
	d2 = fcntl(fd, F_DUPFD_CLOEXEC, 50);
	d3 = dup3(fd, 90, O_CLOEXEC);
	CHECK(d1 >= 0 && d2 >= 50 && d3 == 90 && is_cloexec(d2) == 1);
	CHECK(dup2(fd, d4) == d4);
	close(fd);
	CHECK(lseek(d1, 0, SEEK_END) == 2 * PAGE);
	CHECK(lseek(d2, 0, SEEK_END) == 2 * PAGE);
	CHECK(lseek(d3, 0, SEEK_END) == 2 * PAGE);
	CHECK(lseek(d4, 0, SEEK_END) == 2 * PAGE);
	void *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, d4, 0);
	CHECK(p != MAP_FAILED);
	munmap(p, 2 * PAGE);
	close(d1);
	close(d2);
	close(d3);
	close(d4);
}

/* A memfd at number @fd (free), made by filling the holes below it;
 * memfd_create is not interposed. Returns it, or -1. */
static int memfd_at(int fd)
{
	int f = -1, held[64], n = 0;

	while (n < 64) {
		f = memfd_create("reuse", MFD_CLOEXEC);
		if (f < 0 || f == fd)
			break;
		held[n++] = f;
	}
	while (n > 0)
		close(held[--n]);
	return f == fd ? f : -1;
}

/* A number that held a buffer and now holds another file is that file,
 * however that file came. */
static void reused_number_is_the_new_file(void)
{
	int fd = alloc_buf(PAGE, O_RDWR), f, g;

	CHECK(fd >= 0);
	CHECK(lseek(fd, 0, SEEK_END) == PAGE);
	close(fd);
	f = memfd_at(fd);
	CHECK(f == fd);
	CHECK(write(f, "abc", 3) == 3);
	CHECK(lseek(f, 0, SEEK_END) == 3);
	CHECK(lseek(f, 1, SEEK_SET) == 1);
	/* dup2 over a buffer's number: the number is the new file. */
	fd = alloc_buf(PAGE, O_RDWR);
	CHECK(fd >= 0 && lseek(fd, 0, SEEK_END) == PAGE);
	CHECK(dup2(f, fd) == fd);
	CHECK(lseek(fd, 0, SEEK_END) == 3);
	close(fd);
	/* close_range over a buffer, then the number reused. */
	fd = alloc_buf(PAGE, O_RDWR);
	CHECK(fd >= 0 && lseek(fd, 0, SEEK_END) == PAGE);
	CHECK(close_range((unsigned int)fd, (unsigned int)fd, 0) == 0);
	g = memfd_at(fd);
	CHECK(g == fd);
	CHECK(lseek(g, 0, SEEK_END) == 0);
	close(g);
	close(f);
}

static void foreign_fds_untouched(void)
{
	struct dma_buf_sync s = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };
	struct sync_merge_data m = { .name = "x" };
	struct sync_file_info info = { 0 };
	struct dma_heap_allocation_data d = { .len = PAGE };
	int p[2], mfd;
	char *map;

	CHECK(pipe(p) == 0);
	CHECK_ERR(ioctl(p[0], DMA_BUF_IOCTL_SYNC, &s), ENOTTY);
	CHECK_ERR(ioctl(p[0], SYNC_IOC_MERGE, &m), ENOTTY);
	CHECK_ERR(ioctl(p[0], SYNC_IOC_FILE_INFO, &info), ENOTTY);
	CHECK_ERR(ioctl(p[0], DMA_HEAP_IOCTL_ALLOC, &d), ENOTTY);
	CHECK_ERR(lseek(p[0], 0, SEEK_END), ESPIPE);
	CHECK_ERR(ioctl(-1, DMA_BUF_IOCTL_SYNC, &s), EBADF);
	CHECK_ERR(ioctl(1000000, DMA_BUF_IOCTL_SYNC, &s), EBADF);
	CHECK_ERR(lseek(-1, 0, SEEK_END), EBADF);
	mfd = memfd_create("compat", MFD_CLOEXEC);
	CHECK(mfd >= 0 && ftruncate(mfd, PAGE) == 0);
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	CHECK(map != MAP_FAILED);
	map[0] = 'x';
	CHECK(pread(mfd, &s, 1, 0) == 1 && ((char *)&s)[0] == 'x');
	munmap(map, PAGE);
	CHECK(lseek(mfd, 0, SEEK_END) == PAGE);
	close(mfd);
	close(p[0]);
	close(p[1]);
}

/* ---- sharing: SCM_RIGHTS, fork, exec ----------------------------------------------- */

static int send_fd(int sock, int fd)
{
	char c = 'f';
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { &c, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { &c, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static int wait_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Child: receives a buffer and a sync_file over the socket; maps and
 * writes the buffer, merges the fence with one of its own, signals back. */
static int scm_child(int sock)
{
	struct sync_merge_data m = { .name = "child" };
	int buf = recv_fd(sock), fence = recv_fd(sock), tl;
	unsigned char *p;

	if (buf < 0 || fence < 0)
		return 10;
	if (lseek(buf, 0, SEEK_END) != PAGE)
		return 11;
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	if (p == MAP_FAILED || p[0] != 0x11)
		return 12;
	p[1] = 0x22;
	tl = timeline_open();
	if (tl < 0)
		return 13;
	m.fd2 = fence_create(tl, 1);
	if (m.fd2 < 0 || ioctl(fence, SYNC_IOC_MERGE, &m) < 0)
		return 14;
	if (fence_status(m.fence) != 0 || timeline_inc(tl, 1) < 0)
		return 15;
	return send_fd(sock, m.fence) < 0 ? 16 : 0;
}

static void fds_received_over_scm_rights(void)
{
	int sv[2], buf = alloc_buf(PAGE, O_RDWR | O_CLOEXEC), tl = timeline_open(), f, merged;
	unsigned char *p;
	pid_t pid;

	CHECK(buf >= 0 && tl >= 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	f = fence_create(tl, 1);
	CHECK(f >= 0);
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	CHECK(p != MAP_FAILED);
	p[0] = 0x11;
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		close(buf); /* the child has only what it receives */
		close(f);
		_exit(scm_child(sv[1]));
	}
	close(sv[1]);
	CHECK(send_fd(sv[0], buf) == 0 && send_fd(sv[0], f) == 0);
	merged = recv_fd(sv[0]);
	CHECK(wait_child(pid) == 0);
	CHECK(merged >= 0);
	CHECK(p[1] == 0x22);
	CHECK(fence_status(merged) == 0);
	CHECK(timeline_inc(tl, 1) == 0 && fence_status(merged) == 1);
	munmap(p, PAGE);
	close(merged);
	close(sv[0]);
	close(f);
	close(tl);
	close(buf);
}

static void fds_inherited_across_fork(void)
{
	int buf = alloc_buf(PAGE, O_RDWR | O_CLOEXEC), tl = timeline_open(), f;
	pid_t pid;

	CHECK(buf >= 0 && tl >= 0);
	f = fence_create(tl, 1);
	CHECK(f >= 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		unsigned char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);

		if (p == MAP_FAILED)
			_exit(1);
		p[7] = 7;
		_exit(timeline_inc(tl, 1) == 0 && fence_status(f) == 1 ? 0 : 2);
	}
	CHECK(wait_child(pid) == 0);
	CHECK(fence_status(f) == 1);
	unsigned char *p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, buf, 0);
	CHECK(p != MAP_FAILED && p[7] == 7);
	munmap(p, PAGE);
	close(f);
	close(tl);
	close(buf);
}

static int exec_self(const char *what, int fd, const char *arg)
{
	char num[16];
	pid_t pid;

	snprintf(num, sizeof(num), "%d", fd);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl("/proc/self/exe", "compat-test", "--exec-child", what, num, arg,
		      (char *)NULL);
		_exit(127);
	}
	return wait_child(pid);
}

/* The exec'ed side: what the fd is, seen by a new image. */
static int exec_child(const char *what, int fd, const char *arg)
{
	if (!strcmp(what, "buf")) {
		unsigned char *p;

		if (lseek(fd, 0, SEEK_END) != atoi(arg))
			return 3;
		p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || p[0] != 0x33)
			return 4;
		p[0] = 0x44;
		return 0;
	}
	if (!strcmp(what, "fence"))
		return fence_status(fd) == atoi(arg) ? 0 : 5;
	if (!strcmp(what, "closed")) {
		errno = 0;
		return fcntl(fd, F_GETFD) == -1 && errno == EBADF ? 0 : 6;
	}
	return 7;
}

static void fds_inherited_across_exec(void)
{
	int buf = alloc_buf(2 * PAGE, O_RDWR), tl = timeline_open(), f, g;
	unsigned char *p;

	CHECK(buf >= 0 && tl >= 0 && is_cloexec(buf) == 0);
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	CHECK(p != MAP_FAILED);
	p[0] = 0x33;
	CHECK(exec_self("buf", buf, "8192") == 0);
	CHECK(p[0] == 0x44);
	f = fence_create(tl, 1);
	CHECK(f >= 0);
	/* A sync_file is O_CLOEXEC; a dup of it without the flag crosses. */
	g = fcntl(f, F_DUPFD, 0);
	CHECK(g >= 0 && is_cloexec(g) == 0);
	CHECK(exec_self("fence", g, "0") == 0);
	CHECK(exec_self("closed", f, "") == 0);
	CHECK(timeline_inc(tl, 1) == 0);
	CHECK(exec_self("fence", g, "1") == 0);
	munmap(p, PAGE);
	close(g);
	close(f);
	close(tl);
	close(buf);
}

/* ---- objects for compat-run.sh to kill ---------------------------------------- */

/* One of everything: buffers (mapped, named, with an implicit fence),
 * timelines with pending fences, a merge, an export. Returns 0 or the
 * line that failed. */
static int make_objects(void)
{
	struct dma_buf_import_sync_file imp = { .flags = DMA_BUF_SYNC_WRITE };
	struct dma_buf_export_sync_file exp = { .flags = DMA_BUF_SYNC_RW };
	struct sync_merge_data m = { .name = "held" };
	int buf = alloc_buf(4 * PAGE, O_RDWR), ro = alloc_buf(PAGE, O_RDONLY);
	int tl = timeline_open(), tl2 = timeline_open(), f;
	void *p;

	if (buf < 0 || ro < 0 || tl < 0 || tl2 < 0)
		return __LINE__;
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	if (p == MAP_FAILED || ioctl(buf, DMA_BUF_SET_NAME, "held") < 0)
		return __LINE__;
	f = fence_create(tl, 1);
	m.fd2 = fence_create(tl2, 3);
	if (f < 0 || m.fd2 < 0 || ioctl(f, SYNC_IOC_MERGE, &m) < 0)
		return __LINE__;
	imp.fd = m.fence;
	if (ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp) < 0 ||
	    ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp) < 0)
		return __LINE__;
	return 0;
}

static int hold(void)
{
	int r = make_objects();

	if (r) {
		printf("failed at line %d: %s\n", r, strerror(errno));
		return 1;
	}
	printf("ready\n");
	for (;;)
		pause();
}

/* Make and drop objects for ever; every fd is closed before the next
 * round, so a kill lands between any two calls. */
static int churn(void)
{
	for (unsigned long round = 0;; round++) {
		int r, maxfd = 0;
		struct stat st;

		r = make_objects();
		if (r) {
			printf("failed at line %d: %s\n", r, strerror(errno));
			return 1;
		}
		if (round == 0)
			printf("running\n");
		for (int fd = 3; fd < 64; fd++)
			if (fstat(fd, &st) == 0)
				maxfd = fd;
		if (maxfd >= 3)
			close_range(3, (unsigned int)maxfd, 0);
	}
}

/* Objects before and after a restart of the daemon (a new mount, new
 * device numbers): the second round must find the new daemon's files
 * the preload's. Says "ready", waits for a line on stdin, says "again". */
static int across_restart(void)
{
	char line[16];
	off_t size;
	int r, buf;

	r = make_objects();
	if (r) {
		printf("failed at line %d: %s\n", r, strerror(errno));
		return 1;
	}
	printf("ready\n");
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	r = make_objects();
	buf = alloc_buf(3 * PAGE, O_RDWR);
	size = buf >= 0 ? lseek(buf, 0, SEEK_END) : -1;
	if (r || size != 3 * PAGE) {
		printf("failed after the restart at line %d: %s\n", r ? r : __LINE__,
		       strerror(errno));
		return 1;
	}
	printf("again\n");
	return 0;
}

/* ---- driver ----------------------------------------------------------------------- */

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define CASE(f) { #f, f }

static const struct test_case cases[] = {
	CASE(heap_dir_lists_system),
	CASE(heap_open_variants),
	CASE(alloc_rounds_to_page_size),
	CASE(alloc_honours_cloexec),
	CASE(alloc_access_mode_is_fd_flags),
	CASE(alloc_bad_input_einval),
	CASE(alloc_copies_callers_size),
	CASE(mmap_is_shared_between_mappings),
	CASE(mmap_write_of_readonly_fd_eacces),
	CASE(mmap_past_end_einval),
	CASE(lseek_other_than_size_einval),
	CASE(set_name_both_numbers),
	CASE(buf_sync_start_end),
	CASE(import_then_export_sync_file),
	CASE(export_import_bad_input_einval),
	CASE(fence_signals_on_inc),
	CASE(fence_at_or_below_value_born_signaled),
	CASE(timeline_close_signals_enoent),
	CASE(merge_and_file_info_array),
	CASE(file_info_many_fences),
	CASE(merge_bad_input),
	CASE(get_deadline),
	CASE(dups_are_the_same_buffer),
	CASE(reused_number_is_the_new_file),
	CASE(foreign_fds_untouched),
	CASE(fds_received_over_scm_rights),
	CASE(fds_inherited_across_fork),
	CASE(fds_inherited_across_exec),
};

int main(int argc, char **argv)
{
	unsigned int passed = 0, failed = 0, skipped = 0, n = 0;

	if (argc >= 4 && !strcmp(argv[1], "--exec-child"))
		return exec_child(argv[2], atoi(argv[3]), argc > 4 ? argv[4] : "");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "--hold"))
		return hold();
	if (argc == 2 && !strcmp(argv[1], "--churn"))
		return churn();
	if (argc == 2 && !strcmp(argv[1], "--across-restart"))
		return across_restart();
	if (getenv("COMPAT_SW_SYNC"))
		sw_sync_path = getenv("COMPAT_SW_SYNC");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int wanted = argc < 2;

		for (int a = 1; a < argc; a++)
			wanted |= !strcmp(argv[a], cases[i].name);
		if (!wanted)
			continue;
		case_failed = 0;
		case_skipped = NULL;
		cases[i].fn();
		n++;
		if (case_skipped && !case_failed) {
			printf("ok %u - %s # SKIP %s\n", n, cases[i].name, case_skipped);
			skipped++;
			continue;
		}
		printf("%s %u - %s\n", case_failed ? "not ok" : "ok", n, cases[i].name);
		if (case_failed)
			failed++;
		else
			passed++;
	}
	if (skipped)
		printf("# %u skipped (see the SKIP lines)\n", skipped);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
