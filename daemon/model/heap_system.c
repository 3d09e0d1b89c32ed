/* SPDX-License-Identifier: MIT */
#include "heap_system.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "util/log.h"

/* Arena offsets past 2 GiB. */
_Static_assert(sizeof(off_t) == 8, "the system heap needs a 64-bit off_t");

/*
 * An arena: one sparse memfd from which buffers nobody has touched yet
 * take their pages (see heap_system.h). Offsets are handed out upwards
 * and never again; a freed range is punched out, so its pages go back at
 * once. The heap's current arena holds a reference, and each buffer in
 * it one: a full arena is closed when its last buffer goes.
 */
struct system_arena {
	unsigned refcount;
	int fd;
	uint64_t next; /* the first offset never handed out */
};

struct system_buffer {
	struct heap_linger hl; /* its own memfd (-EBADF in the arena) and size */
	struct heap *heap; /* a reference */
	struct acct *acct; /* charged with hl.size (heap_charge) */
	void *vaddr; /* the daemon's MAP_SHARED mapping of hl.memfd */
	struct system_arena *arena; /* until it has its own memfd: a reference */
	uint64_t arena_off; /* its pages in arena */
};

static struct heap *system_heap;
static struct system_arena *current_arena;
static uint64_t arena_span = HEAP_SYSTEM_ARENA_SPAN;
/* A memfd (a buffer's or an arena's) may not take one of the last
 * HEAP_SYSTEM_FD_RESERVE descriptors below the soft RLIMIT_NOFILE (read
 * at registration): those stay for the transports, the control socket
 * and the DMA backends, so that many buffers make their first mapping
 * fail, not the daemon. */
#define HEAP_SYSTEM_FD_RESERVE 256
static int memfd_ceiling = INT_MAX;

static struct system_arena *arena_unref(struct system_arena *a)
{
	if (a && --a->refcount == 0) {
		close(a->fd);
		free(a);
	}
	return NULL;
}

/* A memfd private to the daemon's user, or a negative errno. */
static int system_memfd_new(unsigned flags)
{
	int fd = memfd_create("dmabufd:system", MFD_CLOEXEC | flags);

	if (fd < 0)
		return -errno;
	/* Descriptors are handed out lowest first: a number this high means
	 * the reserve would be used. */
	if (fd >= memfd_ceiling) {
		close(fd);
		return -EMFILE;
	}
	/*
	 * memfd inodes are created 0777: a client given a read-only fd could
	 * reopen it writable through /proc/<pid>/fd. Only the daemon's user
	 * may open the inode itself.
	 */
	if (fchmod(fd, 0600) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Really reserve [@off, @off + @len) of @fd's pages (zero-filled). */
static int reserve_pages(int fd, uint64_t off, uint64_t len)
{
	if (fallocate(fd, 0, (off_t)off, (off_t)len) < 0) {
		int e = errno;

		if (e == ENOSPC || e == EFBIG || e == ENOMEM)
			return -ENOMEM;
		return -e;
	}
	return 0;
}

/* Give back the pages of @sbuf in its arena, and its arena reference. */
static void arena_put_back(struct system_buffer *sbuf)
{
	struct system_arena *a = sbuf->arena;

	if (!a)
		return;
	if (fallocate(a->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)sbuf->arena_off, (off_t)sbuf->hl.size) < 0)
		log_warn("system heap: cannot give back %llu bytes of an "
			 "arena: %s", (unsigned long long)sbuf->hl.size,
			 strerror(errno));
	sbuf->arena = arena_unref(a);
}

/* Reserve @sbuf's pages in the current arena, starting a new arena when
 * it has no room left. */
static int arena_take(struct system_buffer *sbuf)
{
	struct system_arena *a = current_arena;
	int r;

	if (sbuf->hl.size > arena_span)
		return -ENOMEM;
	if (!a || arena_span - a->next < sbuf->hl.size) {
		a = calloc(1, sizeof(*a));
		if (!a)
			return -ENOMEM;
		a->refcount = 1;
		a->fd = system_memfd_new(0);
		if (a->fd < 0) {
			r = a->fd;
			free(a);
			return r;
		}
		arena_unref(current_arena);
		current_arena = a;
	}
	r = reserve_pages(a->fd, a->next, sbuf->hl.size);
	if (r < 0)
		return r;
	sbuf->arena = a;
	a->refcount++;
	sbuf->arena_off = a->next;
	a->next += sbuf->hl.size;
	return 0;
}

/* The backing's free op (heap_linger.free): also for buffers never
 * handed over. */
static void system_buffer_free(struct heap_linger *hl)
{
	struct system_buffer *sbuf = container_of(hl, struct system_buffer, hl);

	if (sbuf->vaddr)
		munmap(sbuf->vaddr, hl->size);
	if (hl->memfd >= 0)
		close(hl->memfd);
	arena_put_back(sbuf);
	heap_uncharge(sbuf->heap, sbuf->acct, hl->size);
	heap_unref(sbuf->heap);
	free(sbuf);
}

/*
 * Give @sbuf a memfd of its own, sealed and mapped by the daemon, and
 * give its arena pages back. Nothing has read or written the buffer
 * before (every way to its bytes comes here first), so its pages are
 * zero: there is nothing to copy. On failure the buffer stays in its
 * arena, unchanged.
 */
static int system_buffer_own(struct system_buffer *sbuf)
{
	void *vaddr;
	int fd, r;

	if (sbuf->hl.memfd >= 0)
		return 0;
	fd = system_memfd_new(MFD_ALLOW_SEALING);
	if (fd < 0)
		return fd;
	r = reserve_pages(fd, 0, sbuf->hl.size);
	if (r < 0)
		goto fail;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) < 0) {
		r = -errno;
		goto fail;
	}
	vaddr = mmap(NULL, sbuf->hl.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     fd, 0);
	if (vaddr == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	sbuf->hl.memfd = fd;
	sbuf->vaddr = vaddr;
	arena_put_back(sbuf);
	return 0;

fail:
	close(fd);
	return r;
}

/* An importer's first attach gives the buffer its memory: the engine
 * then holds its address (see heap_system.h). */
static int system_attach(struct dma_buf *buf, struct dma_buf_attachment *att)
{
	return system_buffer_own(buf->priv);
}

static int system_map_dma_buf(struct dma_buf_attachment *att,
			      enum dma_data_direction dir,
			      struct dma_buf_sgt **ret_sgt)
{
	struct system_buffer *sbuf = att->dmabuf->priv;
	struct dma_buf_sgt *sgt;
	int r = system_buffer_own(sbuf);

	if (r < 0)
		return r;
	sgt = dma_buf_sgt_alloc(1);
	if (!sgt)
		return -ENOMEM;
	sgt->ents[0] = (struct dma_buf_sg_entry){
		.dma_addr = (uint64_t)(uintptr_t)sbuf->vaddr,
		.length = sbuf->hl.size,
		.cpu_addr = sbuf->vaddr,
	};
	*ret_sgt = sgt;
	return 0;
}

static void system_unmap_dma_buf(struct dma_buf_attachment *att,
				 struct dma_buf_sgt *sgt,
				 enum dma_data_direction dir)
{
	free(sgt);
}

static int system_vmap(struct dma_buf *buf, void **ret_vaddr)
{
	struct system_buffer *sbuf = buf->priv;
	int r = system_buffer_own(sbuf);

	if (r < 0)
		return r;
	*ret_vaddr = sbuf->vaddr;
	return 0;
}

static int system_get_memfd(struct dma_buf *buf)
{
	struct system_buffer *sbuf = buf->priv;
	int r = system_buffer_own(sbuf);

	return r < 0 ? r : sbuf->hl.memfd;
}

/* A buffer whose memfd was reopened for a client may still be mapped:
 * the linger hook decides when it goes (see heap_system.h). */
static void system_release(struct dma_buf *buf)
{
	struct system_buffer *sbuf = buf->priv;

	if (!buf->memfd_opened) {
		system_buffer_free(&sbuf->hl);
		return;
	}
	munmap(sbuf->vaddr, sbuf->hl.size);
	sbuf->vaddr = NULL;
	heap_linger_hand_over(&sbuf->hl);
}

static const struct dma_buf_ops system_buf_ops = {
	.attach = system_attach,
	.map_dma_buf = system_map_dma_buf,
	.unmap_dma_buf = system_unmap_dma_buf,
	.release = system_release,
	.vmap = system_vmap,
	.get_memfd = system_get_memfd,
};

/* Bigger than the machine's RAM: refuse before fallocate tries (and the
 * OOM killer steps in on someone else). */
static bool exceeds_ram(uint64_t len)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return false;
	return len / si.mem_unit > si.totalram;
}

static int system_allocate(struct heap *heap, struct acct *acct, uint64_t len,
			   uint32_t fd_flags, uint64_t heap_flags,
			   struct dma_buf **ret_buf)
{
	struct system_buffer *sbuf;
	struct dma_buf *buf;
	int r;

	if (len > INT64_MAX || exceeds_ram(len))
		return -ENOMEM;
	r = heap_charge(heap, acct, len);
	if (r < 0)
		return r;

	sbuf = calloc(1, sizeof(*sbuf));
	if (!sbuf) {
		heap_uncharge(heap, acct, len);
		return -ENOMEM;
	}
	sbuf->hl = (struct heap_linger){
		.memfd = -EBADF,
		.size = len,
		.free = system_buffer_free,
	};
	sbuf->heap = heap_ref(heap);
	sbuf->acct = acct;

	r = arena_take(sbuf);
	if (r < 0)
		goto fail;

	r = dma_buf_export(&(struct dma_buf_export_info){
				   .exp_name = HEAP_SYSTEM_NAME,
				   .ops = &system_buf_ops,
				   .size = len,
				   .flags = (int)fd_flags,
				   .priv = sbuf,
			   },
			   &buf);
	if (r < 0)
		goto fail;

	*ret_buf = buf;
	return 0;

fail:
	system_buffer_free(&sbuf->hl);
	return r;
}

static const struct heap_ops system_heap_ops = {
	.allocate = system_allocate,
};

int heap_system_register(uint64_t limit_bytes)
{
	struct heap *heap;
	struct rlimit rl;
	int r;

	if (system_heap)
		return -EEXIST;
	memfd_ceiling = INT_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)INT_MAX)
		memfd_ceiling = rl.rlim_cur > 2 * HEAP_SYSTEM_FD_RESERVE
					? (int)rl.rlim_cur - HEAP_SYSTEM_FD_RESERVE
					: (int)rl.rlim_cur / 2;
	r = heap_add(HEAP_SYSTEM_NAME, &system_heap_ops, NULL, &heap);
	if (r < 0)
		return r;
	heap_set_limit(heap, limit_bytes);
	system_heap = heap;
	return 0;
}

int heap_system_set_limit(uint64_t limit_bytes)
{
	if (!system_heap)
		return -ENOENT;
	return heap_set_limit(system_heap, limit_bytes);
}

int heap_system_unregister(void)
{
	if (!system_heap)
		return -ENOENT;
	heap_remove(system_heap);
	system_heap = heap_unref(system_heap);
	/* Buffers still in it keep it open. */
	current_arena = arena_unref(current_arena);
	return 0;
}

int heap_system_set_arena_span(uint64_t bytes)
{
	if (bytes == 0 || bytes % heap_page_size() || bytes > (uint64_t)INT64_MAX)
		return -EINVAL;
	arena_span = bytes;
	/* The next allocation starts an arena of the new span. */
	current_arena = arena_unref(current_arena);
	return 0;
}
