/* SPDX-License-Identifier: MIT */
/*
 * Integration: malformed requests. A table of raw ioctls (wrong sizes,
 * unknown numbers, the kernel's fd- and pointer-carrying numbers, bad
 * flags, pad, names without NUL, huge lengths) on every kind of node,
 * each with the exact errno it must get; then bogus, used and expired
 * tokens and malformed control-socket requests. After every request the
 * daemon's object counts must be where they were: nothing is left behind.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "itest.h"

/* The kernel's numbers that dmabufd refuses (reference/abi.md §1.2). */
struct k_heap_alloc { uint64_t len; uint32_t fd; uint32_t fd_flags; uint64_t heap_flags; };
struct k_export_sync_file { uint32_t flags; int32_t fd; };
#define K_DMA_HEAP_IOCTL_ALLOC _IOWR('H', 0x0, struct k_heap_alloc)
#define K_DMA_BUF_SET_NAME_A _IOW('b', 1, uint32_t)
#define K_DMA_BUF_SET_NAME_B _IOW('b', 1, uint64_t)
#define K_DMA_BUF_EXPORT_SYNC_FILE _IOWR('b', 2, struct k_export_sync_file)
#define K_DMA_BUF_IMPORT_SYNC_FILE _IOW('b', 3, struct k_export_sync_file)

enum target {
	T_HEAP,         /* dma_heap/system */
	T_SW_SYNC,      /* a timeline */
	T_BUF,          /* a bound dma-buf fd (O_RDWR) */
	T_BUF_UNBOUND,  /* an open of the dma_buf node, never claimed */
	T_SYNC,         /* a bound sync_file fd (a pending fence) */
	T_SYNC_UNBOUND, /* an open of the sync_file node, never claimed */
	T_MAX,
};

static const char *const target_names[T_MAX] = {
	"heap", "sw_sync", "dma_buf", "unbound dma_buf", "sync_file", "unbound sync_file",
};

union arg {
	struct dmabufd_claim claim;
	struct dmabufd_export_token export_token;
	struct dmabufd_handle handle;
	struct dmabufd_create create_into;
	struct dmabufd_heap_alloc alloc;
	struct dma_buf_sync sync;
	struct dmabufd_dma_buf_name name;
	struct dmabufd_dma_buf_export_sync_file exp;
	struct dmabufd_dma_buf_import_sync_file imp;
	struct dmabufd_dma_buf_map map;
	struct dmabufd_sync_merge merge;
	struct dmabufd_sync_file_info info;
	struct dmabufd_sync_wait wait;
	struct sync_file_info kinfo;
	struct sync_set_deadline deadline;
	struct sync_merge_data kmerge;
	struct dmabufd_sw_sync_create_fence create;
	struct dmabufd_sw_sync_get_deadline get_deadline;
	struct sw_sync_create_fence_data kcreate;
	uint8_t raw[2048];
};

struct malformed {
	const char *what;
	enum target target;
	unsigned long cmd;
	union arg arg;
	int err;                /* expected errno; 0 = must succeed */
};

/* A made-up token: 64 random-looking bits nobody was issued. */
#define BOGUS_TOKEN 0x5eed1e55c0ffee01ull
#define NAME32 { 'a','b','c','d','e','f','g','h','i','j','k','l','m','n','o','p', \
		 'q','r','s','t','u','v','w','x','y','z','0','1','2','3','4','5' }

static const struct malformed table[] = {
	/* every node: unknown numbers and wrong sizes are ENOTTY */
	{ "unknown dmabufd nr", T_SW_SYNC, _IOWR(DMABUFD_IOC_MAGIC, 0x4f, uint64_t), .err = ENOTTY },
	{ "unknown dmabufd nr", T_BUF, _IOWR(DMABUFD_IOC_MAGIC, 0x2f, uint64_t), .err = ENOTTY },
	{ "unknown dmabufd nr", T_SYNC, _IOWR(DMABUFD_IOC_MAGIC, 0x3f, uint64_t), .err = ENOTTY },
	{ "foreign magic", T_BUF, _IO('Z', 7), .err = ENOTTY },
	{ "foreign magic", T_SYNC, _IOR('T', 0x13, uint32_t), .err = ENOTTY },
	{ "heap nr on a timeline", T_SW_SYNC, DMABUFD_HEAP_IOC_ALLOC,
	  .arg.alloc = { .len = PAGE }, .err = ENOTTY },
	{ "timeline nr on a buffer", T_BUF, SW_SYNC_IOC_INC, .err = ENOTTY },
	{ "sync_file nr on a buffer", T_BUF, DMABUFD_SYNC_IOC_WAIT, .err = ENOTTY },
	{ "buffer nr on a sync_file", T_SYNC, DMA_BUF_IOCTL_SYNC,
	  .arg.sync = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ }, .err = ENOTTY },
	{ "CLAIM with a 8-byte struct", T_BUF_UNBOUND, _IOW(DMABUFD_IOC_MAGIC, 0x00, uint64_t),
	  .arg.claim = { .token = BOGUS_TOKEN }, .err = ENOTTY },
	{ "WAIT with a 8-byte struct", T_SYNC, _IOWR(DMABUFD_IOC_MAGIC, 0x32, int64_t),
	  .err = ENOTTY },
	{ "SYNC with a 4-byte struct", T_BUF, _IOW('b', 0, uint32_t),
	  .arg.sync = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ }, .err = ENOTTY },

	/* the kernel's fd-returning or pointer-carrying numbers */
	{ "kernel DMA_HEAP_IOCTL_ALLOC", T_HEAP, K_DMA_HEAP_IOCTL_ALLOC, .err = EOPNOTSUPP },
	{ "kernel heap nr 1", T_HEAP, _IOWR('H', 0x1, struct k_heap_alloc), .err = EINVAL },

	/* heap nodes: dma_heap_ioctl() looks at _IOC_NR only, whatever the
	 * magic, size or direction; only dmabufd's two exact numbers differ */
	{ "heap nr 0, foreign magic", T_HEAP, _IOWR('Z', 0x0, struct k_heap_alloc),
	  .err = EOPNOTSUPP },
	{ "heap nr 0, no direction", T_HEAP, _IO('H', 0x0), .err = EOPNOTSUPP },
	{ "heap nr 0, _IOR", T_HEAP, _IOR('H', 0x0, struct k_heap_alloc), .err = EOPNOTSUPP },
	{ "heap nr 0, 16 bytes", T_HEAP, _IOWR('H', 0x0, uint8_t[16]), .err = EOPNOTSUPP },
	{ "heap nr 7, foreign magic", T_HEAP, _IOR('T', 0x7, uint32_t), .err = EINVAL },
	{ "heap nr 0xff", T_HEAP, _IOWR('H', 0xff, uint64_t), .err = EINVAL },
	{ "heap unknown dmabufd nr", T_HEAP, _IOWR(DMABUFD_IOC_MAGIC, 0x1f, uint64_t),
	  .err = EINVAL },
	{ "heap ALLOC with a 16-byte struct", T_HEAP, _IOWR(DMABUFD_IOC_MAGIC, 0x10, uint8_t[16]),
	  .arg.alloc = { .len = PAGE }, .err = EINVAL },
	{ "heap ALLOC with a 48-byte struct", T_HEAP, _IOWR(DMABUFD_IOC_MAGIC, 0x10, uint8_t[48]),
	  .arg.alloc = { .len = PAGE }, .err = EINVAL },
	{ "heap ALLOC encoded _IOR", T_HEAP,
	  _IOR(DMABUFD_IOC_MAGIC, 0x10, struct dmabufd_heap_alloc),
	  .arg.alloc = { .len = PAGE }, .err = EINVAL },
	{ "heap EXPORT_TOKEN (nr 1)", T_HEAP, DMABUFD_IOC_EXPORT_TOKEN, .err = EINVAL },
	{ "heap HANDLE with a 8-byte struct", T_HEAP, _IOWR(DMABUFD_IOC_MAGIC, 0x02, uint64_t),
	  .err = EINVAL },
	{ "kernel DMA_BUF_SET_NAME_A", T_BUF, K_DMA_BUF_SET_NAME_A, .err = EOPNOTSUPP },
	{ "kernel DMA_BUF_SET_NAME_B", T_BUF, K_DMA_BUF_SET_NAME_B, .err = EOPNOTSUPP },
	{ "kernel EXPORT_SYNC_FILE", T_BUF, K_DMA_BUF_EXPORT_SYNC_FILE,
	  .arg.raw = { DMA_BUF_SYNC_READ }, .err = EOPNOTSUPP },
	{ "kernel IMPORT_SYNC_FILE", T_BUF, K_DMA_BUF_IMPORT_SYNC_FILE,
	  .arg.raw = { DMA_BUF_SYNC_READ }, .err = EOPNOTSUPP },
	{ "kernel SYNC_IOC_MERGE", T_SYNC, SYNC_IOC_MERGE, .err = EOPNOTSUPP },
	{ "kernel SW_SYNC_IOC_CREATE_FENCE", T_SW_SYNC, SW_SYNC_IOC_CREATE_FENCE,
	  .arg.kcreate = { .value = 1 }, .err = EOPNOTSUPP },
	{ "kernel SW_SYNC_GET_DEADLINE", T_SW_SYNC, SW_SYNC_GET_DEADLINE, .err = EOPNOTSUPP },
	{ "kernel FILE_INFO with an array", T_SYNC, SYNC_IOC_FILE_INFO,
	  .arg.kinfo = { .num_fences = 1, .sync_fence_info = 0x1000 }, .err = EFAULT },
	{ "kernel FILE_INFO flags", T_SYNC, SYNC_IOC_FILE_INFO,
	  .arg.kinfo = { .flags = 1 }, .err = EINVAL },
	{ "kernel FILE_INFO pad", T_SYNC, SYNC_IOC_FILE_INFO,
	  .arg.kinfo = { .pad = 1 }, .err = EINVAL },
	{ "kernel FILE_INFO count only", T_SYNC, SYNC_IOC_FILE_INFO, .err = 0 },

	/* heap ALLOC */
	{ "ALLOC token not 0", T_HEAP, DMABUFD_HEAP_IOC_ALLOC,
	  .arg.alloc = { .len = PAGE, .token = 1 }, .err = EINVAL },
	{ "ALLOC pad", T_HEAP, DMABUFD_HEAP_IOC_ALLOC,
	  .arg.alloc = { .len = PAGE, .pad = 1 }, .err = EINVAL },
	{ "ALLOC heap_flags", T_HEAP, DMABUFD_HEAP_IOC_ALLOC,
	  .arg.alloc = { .len = PAGE, .heap_flags = 1 }, .err = EINVAL },
	{ "ALLOC fd_flags O_NONBLOCK", T_HEAP, DMABUFD_HEAP_IOC_ALLOC,
	  .arg.alloc = { .len = PAGE, .fd_flags = O_RDWR | O_NONBLOCK }, .err = EINVAL },
	{ "ALLOC fd_flags all bits", T_HEAP, DMABUFD_HEAP_IOC_ALLOC,
	  .arg.alloc = { .len = PAGE, .fd_flags = ~0u }, .err = EINVAL },
	{ "ALLOC len 0", T_HEAP, DMABUFD_HEAP_IOC_ALLOC, .arg.alloc = { .len = 0 }, .err = EINVAL },
	{ "ALLOC len wraps", T_HEAP, DMABUFD_HEAP_IOC_ALLOC,
	  .arg.alloc = { .len = ~0ull }, .err = EINVAL },
	{ "ALLOC len wraps when rounded", T_HEAP, DMABUFD_HEAP_IOC_ALLOC,
	  .arg.alloc = { .len = ~0ull - PAGE + 2 }, .err = EINVAL },
	{ "ALLOC huge len", T_HEAP, DMABUFD_HEAP_IOC_ALLOC,
	  .arg.alloc = { .len = 1ull << 62 }, .err = ENOMEM },

	/* CLAIM and EXPORT_TOKEN */
	{ "CLAIM bogus token", T_BUF_UNBOUND, DMABUFD_IOC_CLAIM,
	  .arg.claim = { .token = BOGUS_TOKEN }, .err = EINVAL },
	{ "CLAIM token 0", T_SYNC_UNBOUND, DMABUFD_IOC_CLAIM, .err = EINVAL },
	{ "CLAIM flags", T_BUF_UNBOUND, DMABUFD_IOC_CLAIM,
	  .arg.claim = { .token = BOGUS_TOKEN, .flags = 1 }, .err = EINVAL },
	{ "CLAIM pad", T_SYNC_UNBOUND, DMABUFD_IOC_CLAIM,
	  .arg.claim = { .token = BOGUS_TOKEN, .pad = 1 }, .err = EINVAL },
	{ "CLAIM on a bound fd", T_BUF, DMABUFD_IOC_CLAIM,
	  .arg.claim = { .token = BOGUS_TOKEN }, .err = EBUSY },
	{ "CLAIM on a heap (nr 0)", T_HEAP, DMABUFD_IOC_CLAIM,
	  .arg.claim = { .token = BOGUS_TOKEN }, .err = EOPNOTSUPP },
	{ "CLAIM on a timeline", T_SW_SYNC, DMABUFD_IOC_CLAIM,
	  .arg.claim = { .token = BOGUS_TOKEN }, .err = ENOTTY },
	{ "EXPORT_TOKEN unbound", T_BUF_UNBOUND, DMABUFD_IOC_EXPORT_TOKEN, .err = EBADFD },
	{ "EXPORT_TOKEN unbound", T_SYNC_UNBOUND, DMABUFD_IOC_EXPORT_TOKEN, .err = EBADFD },
	{ "EXPORT_TOKEN flags", T_BUF, DMABUFD_IOC_EXPORT_TOKEN,
	  .arg.export_token = { .flags = 1 }, .err = EINVAL },
	{ "EXPORT_TOKEN pad", T_SYNC, DMABUFD_IOC_EXPORT_TOKEN,
	  .arg.export_token = { .pad = 1 }, .err = EINVAL },

	/* HANDLE and CREATE (none succeeds: the unbound fds stay unbound) */
	{ "HANDLE handle not 0", T_HEAP, DMABUFD_IOC_HANDLE,
	  .arg.handle = { .handle = 1 }, .err = EINVAL },
	{ "HANDLE flags", T_SW_SYNC, DMABUFD_IOC_HANDLE, .arg.handle = { .flags = 1 },
	  .err = EINVAL },
	{ "HANDLE kind not 0", T_BUF, DMABUFD_IOC_HANDLE,
	  .arg.handle = { .kind = DMABUFD_KIND_DMA_BUF }, .err = EINVAL },
	{ "HANDLE kind not 0", T_SYNC, DMABUFD_IOC_HANDLE, .arg.handle = { .kind = 9 },
	  .err = EINVAL },
	{ "HANDLE unbound", T_BUF_UNBOUND, DMABUFD_IOC_HANDLE, .err = EBADFD },
	{ "HANDLE unbound", T_SYNC_UNBOUND, DMABUFD_IOC_HANDLE, .err = EBADFD },
	{ "HANDLE with a 8-byte struct", T_SYNC, _IOWR(DMABUFD_IOC_MAGIC, 0x02, uint64_t),
	  .err = ENOTTY },
	{ "CREATE op 0", T_SYNC_UNBOUND, DMABUFD_IOC_CREATE, .err = EINVAL },
	{ "CREATE op 99", T_SYNC_UNBOUND, DMABUFD_IOC_CREATE,
	  .arg.create_into = { .op = 99 }, .err = EINVAL },
	{ "CREATE op 99", T_BUF_UNBOUND, DMABUFD_IOC_CREATE,
	  .arg.create_into = { .op = 99 }, .err = EINVAL },
	{ "CREATE ALLOC on a sync_file", T_SYNC_UNBOUND, DMABUFD_IOC_CREATE,
	  .arg.create_into = { .op = DMABUFD_CREATE_ALLOC, .src = { BOGUS_TOKEN }, .arg = PAGE },
	  .err = EINVAL },
	{ "CREATE FENCE on a dma_buf", T_BUF_UNBOUND, DMABUFD_IOC_CREATE,
	  .arg.create_into = { .op = DMABUFD_CREATE_FENCE, .src = { BOGUS_TOKEN } },
	  .err = EINVAL },
	{ "CREATE handle not 0", T_SYNC_UNBOUND, DMABUFD_IOC_CREATE,
	  .arg.create_into = { .op = DMABUFD_CREATE_FENCE, .src = { BOGUS_TOKEN }, .handle = 1 },
	  .err = EINVAL },
	{ "CREATE ALLOC with a name", T_BUF_UNBOUND, DMABUFD_IOC_CREATE,
	  .arg.create_into = { .op = DMABUFD_CREATE_ALLOC, .src = { BOGUS_TOKEN }, .arg = PAGE,
			       .name = "x" }, .err = EINVAL },
	{ "CREATE FENCE bogus handle", T_SYNC_UNBOUND, DMABUFD_IOC_CREATE,
	  .arg.create_into = { .op = DMABUFD_CREATE_FENCE, .src = { BOGUS_TOKEN } },
	  .err = EBADF },
	{ "CREATE MERGE bogus handles", T_SYNC_UNBOUND, DMABUFD_IOC_CREATE,
	  .arg.create_into = { .op = DMABUFD_CREATE_MERGE, .src = { BOGUS_TOKEN, BOGUS_TOKEN } },
	  .err = EBADF },
	{ "CREATE on a bound fd", T_SYNC, DMABUFD_IOC_CREATE,
	  .arg.create_into = { .op = DMABUFD_CREATE_FENCE, .src = { BOGUS_TOKEN } },
	  .err = EBUSY },
	{ "CREATE on a bound fd", T_BUF, DMABUFD_IOC_CREATE,
	  .arg.create_into = { .op = DMABUFD_CREATE_ALLOC, .src = { BOGUS_TOKEN } },
	  .err = EBUSY },
	{ "CREATE on a heap (nr 3)", T_HEAP, DMABUFD_IOC_CREATE,
	  .arg.create_into = { .op = DMABUFD_CREATE_ALLOC }, .err = EINVAL },
	{ "CREATE on a timeline", T_SW_SYNC, DMABUFD_IOC_CREATE,
	  .arg.create_into = { .op = DMABUFD_CREATE_FENCE }, .err = ENOTTY },
	{ "CREATE with a 64-byte struct", T_SYNC_UNBOUND, _IOWR(DMABUFD_IOC_MAGIC, 0x03, uint8_t[64]),
	  .err = ENOTTY },

	/* dma-buf */
	{ "INFO unbound", T_BUF_UNBOUND, DMABUFD_DMA_BUF_IOC_INFO, .err = EBADFD },
	{ "SYNC unbound", T_BUF_UNBOUND, DMA_BUF_IOCTL_SYNC,
	  .arg.sync = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ }, .err = EBADFD },
	{ "MAP unbound", T_BUF_UNBOUND, DMABUFD_DMA_BUF_IOC_MAP, .err = EBADFD },
	{ "SYNC flags 0", T_BUF, DMA_BUF_IOCTL_SYNC, .arg.sync = { 0 }, .err = EINVAL },
	{ "SYNC END without direction", T_BUF, DMA_BUF_IOCTL_SYNC,
	  .arg.sync = { DMA_BUF_SYNC_END }, .err = EINVAL },
	{ "SYNC unknown flag", T_BUF, DMA_BUF_IOCTL_SYNC,
	  .arg.sync = { DMA_BUF_SYNC_READ | 8 }, .err = EINVAL },
	{ "SYNC high flag", T_BUF, DMA_BUF_IOCTL_SYNC,
	  .arg.sync = { DMA_BUF_SYNC_READ | (1ull << 63) }, .err = EINVAL },
	{ "SET_NAME without NUL", T_BUF, DMABUFD_DMA_BUF_IOC_SET_NAME,
	  .arg.name = { NAME32 }, .err = EINVAL },
	{ "SET_NAME unbound", T_BUF_UNBOUND, DMABUFD_DMA_BUF_IOC_SET_NAME, .err = EBADFD },
	{ "EXPORT_SYNC_FILE flags 0", T_BUF, DMABUFD_DMA_BUF_IOC_EXPORT_SYNC_FILE,
	  .arg.exp = { .flags = 0 }, .err = EINVAL },
	{ "EXPORT_SYNC_FILE flags 4", T_BUF, DMABUFD_DMA_BUF_IOC_EXPORT_SYNC_FILE,
	  .arg.exp = { .flags = DMA_BUF_SYNC_READ | 4 }, .err = EINVAL },
	{ "EXPORT_SYNC_FILE pad", T_BUF, DMABUFD_DMA_BUF_IOC_EXPORT_SYNC_FILE,
	  .arg.exp = { .flags = DMA_BUF_SYNC_READ, .pad = 1 }, .err = EINVAL },
	{ "IMPORT_SYNC_FILE bogus token", T_BUF, DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE,
	  .arg.imp = { .flags = DMA_BUF_SYNC_WRITE, .token = BOGUS_TOKEN }, .err = EINVAL },
	{ "IMPORT_SYNC_FILE flags 0", T_BUF, DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE,
	  .arg.imp = { .flags = 0, .token = BOGUS_TOKEN }, .err = EINVAL },
	{ "IMPORT_SYNC_FILE pad", T_BUF, DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE,
	  .arg.imp = { .flags = DMA_BUF_SYNC_READ, .pad = 1 }, .err = EINVAL },
	{ "MAP pad", T_BUF, DMABUFD_DMA_BUF_IOC_MAP, .arg.map = { .pad = 1 }, .err = EINVAL },

	/* sync_file */
	{ "MERGE unbound", T_SYNC_UNBOUND, DMABUFD_SYNC_IOC_MERGE,
	  .arg.merge = { .token2 = BOGUS_TOKEN }, .err = EBADFD },
	{ "MERGE bogus token2", T_SYNC, DMABUFD_SYNC_IOC_MERGE,
	  .arg.merge = { .name = "m", .token2 = BOGUS_TOKEN }, .err = ENOENT },
	{ "MERGE flags", T_SYNC, DMABUFD_SYNC_IOC_MERGE,
	  .arg.merge = { .token2 = BOGUS_TOKEN, .flags = 1 }, .err = EINVAL },
	{ "MERGE pad", T_SYNC, DMABUFD_SYNC_IOC_MERGE,
	  .arg.merge = { .token2 = BOGUS_TOKEN, .pad = 1 }, .err = EINVAL },
	{ "FILE_INFO flags", T_SYNC, DMABUFD_SYNC_IOC_FILE_INFO,
	  .arg.info = { .flags = 1 }, .err = EINVAL },
	{ "FILE_INFO pad", T_SYNC, DMABUFD_SYNC_IOC_FILE_INFO,
	  .arg.info = { .pad = 1 }, .err = EINVAL },
	{ "FILE_INFO first past the end", T_SYNC, DMABUFD_SYNC_IOC_FILE_INFO,
	  .arg.info = { .first = 2 }, .err = EINVAL },
	{ "FILE_INFO first huge", T_SYNC, DMABUFD_SYNC_IOC_FILE_INFO,
	  .arg.info = { .first = ~0u }, .err = EINVAL },
	{ "FILE_INFO unbound", T_SYNC_UNBOUND, DMABUFD_SYNC_IOC_FILE_INFO, .err = EBADFD },
	{ "WAIT negative timeout", T_SYNC, DMABUFD_SYNC_IOC_WAIT,
	  .arg.wait = { .timeout_ns = -1 }, .err = EINVAL },
	{ "WAIT pad", T_SYNC, DMABUFD_SYNC_IOC_WAIT, .arg.wait = { .pad = 1 }, .err = EINVAL },
	{ "WAIT zero timeout", T_SYNC, DMABUFD_SYNC_IOC_WAIT, .err = ETIME },
	{ "WAIT unbound", T_SYNC_UNBOUND, DMABUFD_SYNC_IOC_WAIT, .err = EBADFD },
	{ "SET_DEADLINE pad", T_SYNC, SYNC_IOC_SET_DEADLINE,
	  .arg.deadline = { .deadline_ns = 1, .pad = 1 }, .err = EINVAL },
	{ "SET_DEADLINE unbound", T_SYNC_UNBOUND, SYNC_IOC_SET_DEADLINE, .err = EBADFD },

	/* sw_sync */
	{ "CREATE_FENCE pad", T_SW_SYNC, DMABUFD_SW_SYNC_IOC_CREATE_FENCE,
	  .arg.create = { .value = 1, .pad = 1 }, .err = EINVAL },
	{ "GET_DEADLINE deadline not 0", T_SW_SYNC, DMABUFD_SW_SYNC_IOC_GET_DEADLINE,
	  .arg.get_deadline = { .deadline_ns = 1, .token = BOGUS_TOKEN }, .err = EINVAL },
	{ "GET_DEADLINE pad", T_SW_SYNC, DMABUFD_SW_SYNC_IOC_GET_DEADLINE,
	  .arg.get_deadline = { .token = BOGUS_TOKEN, .pad = 1 }, .err = EINVAL },
	{ "GET_DEADLINE bogus token", T_SW_SYNC, DMABUFD_SW_SYNC_IOC_GET_DEADLINE,
	  .arg.get_deadline = { .token = BOGUS_TOKEN }, .err = EINVAL },
};

struct targets {
	int fd[T_MAX];
	int timeline_of_sync;
};

static void targets_open(struct targets *t)
{
	t->fd[T_HEAP] = dmabufd_heap_open("system");
	assert_ok(t->fd[T_HEAP]);
	t->fd[T_SW_SYNC] = timeline_new();
	t->fd[T_BUF] = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	t->fd[T_BUF_UNBOUND] = dmabufd_open_node(DMABUFD_NODE_DMA_BUF, O_RDWR | O_CLOEXEC);
	assert_ok(t->fd[T_BUF_UNBOUND]);
	t->timeline_of_sync = timeline_new();
	t->fd[T_SYNC] = fence_new(t->timeline_of_sync, 1);
	t->fd[T_SYNC_UNBOUND] = dmabufd_open_node(DMABUFD_NODE_SYNC_FILE, O_RDONLY | O_CLOEXEC);
	assert_ok(t->fd[T_SYNC_UNBOUND]);
}

static void targets_close(struct targets *t)
{
	for (int i = 0; i < T_MAX; i++)
		close(t->fd[i]);
	close(t->timeline_of_sync);
}

static void malformed_ioctls_get_their_errno_and_leave_nothing(void **state)
{
	struct dmabufd_ctl_stats base, now;
	struct targets t;
	int failures = 0;

	targets_open(&t);
	stats_now(&base);
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		const struct malformed *m = &table[i];
		union arg arg = m->arg;
		int r = raw_ioctl(t.fd[m->target], m->cmd, &arg);

		if (r != -m->err) {
			print_error("%s on %s (cmd 0x%08lx): got %s, expected %s\n", m->what,
				    target_names[m->target], m->cmd,
				    r ? strerror(-r) : "success", m->err ? strerror(m->err) : "success");
			failures++;
		}
		stats_now(&now);
		if (!stats_equal(&now, &base)) {
			print_error("%s on %s changed the daemon's object counts\n", m->what,
				    target_names[m->target]);
			failures++;
			assert_stats_settle(&base, 1000);
		}
	}
	/* The fixtures still work. */
	assert_int_equal(fence_status(t.fd[T_SYNC]), 0);
	assert_int_equal(dmabufd_buf_size(t.fd[T_BUF]), PAGE);
	targets_close(&t);
	assert_int_equal(failures, 0);
}

/* ---- tokens ------------------------------------------------------------- */

static void used_token_is_einval(void **state)
{
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC), a, b;
	struct dmabufd_ctl_stats base;
	struct dmabufd_claim claim = { 0 };
	uint64_t token;

	assert_ok(dmabufd_export_token(buf, &token));
	claim.token = token;
	a = dmabufd_open_node(DMABUFD_NODE_DMA_BUF, O_RDWR | O_CLOEXEC);
	b = dmabufd_open_node(DMABUFD_NODE_DMA_BUF, O_RDWR | O_CLOEXEC);
	assert_ok(a);
	assert_ok(b);
	assert_ok(raw_ioctl(a, DMABUFD_IOC_CLAIM, &claim));
	stats_now(&base);
	assert_errno(raw_ioctl(b, DMABUFD_IOC_CLAIM, &claim), EINVAL);
	assert_errno(raw_ioctl(b, DMABUFD_IOC_EXPORT_TOKEN, &(struct dmabufd_export_token){ 0 }),
		     EBADFD);
	assert_stats_settle(&base, 0);
	close(b);
	close(a);
	close(buf);
}

static void token_of_another_type_is_einval(void **state)
{
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC), tl = timeline_new(), f = fence_new(tl, 1);
	struct dmabufd_ctl_stats base;
	uint64_t buf_token, sync_token;

	assert_ok(dmabufd_export_token(buf, &buf_token));
	assert_ok(dmabufd_export_token(f, &sync_token));
	stats_now(&base);
	assert_errno(dmabufd_sync_claim(buf_token), EINVAL);
	assert_errno(dmabufd_buf_claim(sync_token, O_RDWR | O_CLOEXEC), EINVAL);
	/* A buffer token where a sync_file token is wanted. */
	assert_errno(raw_ioctl(f, DMABUFD_SYNC_IOC_MERGE,
			       &(struct dmabufd_sync_merge){ .token2 = buf_token }), ENOENT);
	assert_errno(raw_ioctl(buf, DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE,
			       &(struct dmabufd_dma_buf_import_sync_file){
				       .flags = DMA_BUF_SYNC_READ, .token = buf_token }),
		     EINVAL);
	assert_errno(raw_ioctl(tl, DMABUFD_SW_SYNC_IOC_GET_DEADLINE,
			       &(struct dmabufd_sw_sync_get_deadline){ .token = buf_token }),
		     EINVAL);
	/* Whether a refused token is consumed is not specified; once every
	 * issuer is closed, nothing of it may remain. */
	close(f);
	close(tl);
	close(buf);
}

static void token_expires_with_its_issuer(void **state)
{
	struct dmabufd_ctl_stats base;
	uint64_t token;
	int buf;

	stats_now(&base);
	buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	assert_ok(dmabufd_export_token(buf, &token));
	close(buf);
	assert_stats_settle(&base, 3000);
	assert_errno(dmabufd_buf_claim(token, O_RDWR | O_CLOEXEC), EINVAL);
	assert_stats_settle(&base, 0);
}

static void unclaimed_alloc_token_expires_with_the_heap_fd(void **state)
{
	struct dmabufd_heap_alloc req = { .len = PAGE, .fd_flags = O_RDWR };
	struct dmabufd_ctl_stats base, held;
	int heap;

	stats_now(&base);
	heap = dmabufd_heap_open("system");
	assert_ok(heap);
	assert_ok(raw_ioctl(heap, DMABUFD_HEAP_IOC_ALLOC, &req));
	stats_now(&held);
	assert_int_equal(held.count[DMABUFD_STAT_DMA_BUFS], base.count[DMABUFD_STAT_DMA_BUFS] + 1);
	assert_int_equal(held.count[DMABUFD_STAT_TOKENS], base.count[DMABUFD_STAT_TOKENS] + 1);
	close(heap);
	assert_stats_settle(&base, 3000);
	assert_errno(dmabufd_buf_claim(req.token, O_RDWR), EINVAL);
}

static void unclaimed_token_expires_after_its_ttl(void **state)
{
	const char *env = getenv("DMABUFD_TEST_TOKEN_TTL_MS");
	int ttl_ms = env ? atoi(env) : DMABUFD_TOKEN_TTL_MS;
	int buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	struct dmabufd_ctl_stats base, held;
	uint64_t token;

	stats_now(&base);
	assert_ok(dmabufd_export_token(buf, &token));
	stats_now(&held);
	assert_int_equal(held.count[DMABUFD_STAT_TOKENS], base.count[DMABUFD_STAT_TOKENS] + 1);
	usleep((useconds_t)(ttl_ms + 500) * 1000);
	assert_stats_settle(&base, 2000);
	assert_errno(dmabufd_buf_claim(token, O_RDWR | O_CLOEXEC), EINVAL);
	close(buf);
}

/* ---- control socket ----------------------------------------------------- */

/* Send @req on a fresh connection; returns the reply's error (errno > 0,
 * or 0), closing any fd that came with it; -1 if the daemon closed the
 * connection without a reply. */
static int ctl_request(const void *req, size_t len, int *ret_fd)
{
	struct dmabufd_ctl_reply reply;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = &reply, .iov_len = sizeof(reply) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c;
	int sock = ctl_connect(), fd = -1;
	ssize_t n;

	assert_int_equal(send(sock, req, len, MSG_NOSIGNAL), (ssize_t)len);
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	close(sock);
	if (ret_fd)
		*ret_fd = fd;
	else if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	assert_int_equal(n, sizeof(reply));
	return reply.error;
}

static void control_requests_with_bad_tokens_are_einval(void **state)
{
	struct dmabufd_dma_buf_map map = { 0 };
	struct dmabufd_ctl_req req = { .version = DMABUFD_CTL_VERSION, .op = DMABUFD_CTL_MAP };
	struct dmabufd_ctl_stats start, base;
	int memfd, buf;

	stats_now(&start);
	buf = buf_new(PAGE, O_RDWR | O_CLOEXEC);
	stats_now(&base);
	req.token = BOGUS_TOKEN;
	assert_int_equal(ctl_request(&req, sizeof(req), NULL), EINVAL);
	req.token = 0;
	assert_int_equal(ctl_request(&req, sizeof(req), NULL), EINVAL);
	assert_stats_settle(&base, 0);

	/* A used mapping token. */
	assert_ok(raw_ioctl(buf, DMABUFD_DMA_BUF_IOC_MAP, &map));
	assert_int_equal(map.size, PAGE);
	assert_int_equal(map.prot, PROT_READ | PROT_WRITE);
	req.token = map.token;
	assert_int_equal(ctl_request(&req, sizeof(req), &memfd), 0);
	assert_true(memfd >= 0);
	close(memfd);
	assert_int_equal(ctl_request(&req, sizeof(req), NULL), EINVAL);

	/* A mapping token of a closed fd. */
	assert_ok(raw_ioctl(buf, DMABUFD_DMA_BUF_IOC_MAP, &map));
	close(buf);
	assert_stats_settle(&start, 3000);
	req.token = map.token;
	assert_int_equal(ctl_request(&req, sizeof(req), NULL), EINVAL);
	assert_stats_settle(&start, 0);
}

static void control_requests_malformed_are_refused(void **state)
{
	struct dmabufd_ctl_req req = { .version = DMABUFD_CTL_VERSION, .op = DMABUFD_CTL_STATS };
	struct dmabufd_ctl_stats base;
	uint8_t junk[7] = { 1, 2, 3, 4, 5, 6, 7 };

	stats_now(&base);
	req.version = DMABUFD_CTL_VERSION + 1;
	assert_int_equal(ctl_request(&req, sizeof(req), NULL), EINVAL);
	req.version = DMABUFD_CTL_VERSION;
	req.op = 99;
	assert_int_equal(ctl_request(&req, sizeof(req), NULL), EINVAL);
	req.op = DMABUFD_CTL_STATS;
	req.arg[3] = 1;
	assert_int_equal(ctl_request(&req, sizeof(req), NULL), EINVAL);
	/* A short message: refused (EINVAL) or the connection closed. */
	{
		int r = ctl_request(junk, sizeof(junk), NULL);

		assert_true(r == EINVAL || r == -1);
	}
	/* The daemon keeps serving, and nothing moved. */
	assert_stats_settle(&base, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(malformed_ioctls_get_their_errno_and_leave_nothing),
		itest(used_token_is_einval),
		itest(token_of_another_type_is_einval),
		itest(token_expires_with_its_issuer),
		itest(unclaimed_alloc_token_expires_with_the_heap_fd),
		itest(control_requests_with_bad_tokens_are_einval),
		itest(control_requests_malformed_are_refused),
		itest(unclaimed_token_expires_after_its_ttl),
	};

	return cmocka_run_group_tests_name("malformed", tests, NULL, NULL);
}
