/* SPDX-License-Identifier: MIT */
#include "heap_system.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "util/log.h"

struct system_buffer {
	struct heap_linger hl; /* the memfd and its size */
	struct heap *heap; /* a reference */
	struct acct *acct; /* charged with hl.size (heap_charge) */
	void *vaddr; /* the daemon's MAP_SHARED mapping of the memfd */
};

static struct heap *system_heap;
/* A buffer's memfd may not take one of the last HEAP_SYSTEM_FD_RESERVE
 * descriptors below the soft RLIMIT_NOFILE (read at registration): those
 * stay for the transports, the control socket and the DMA backends, so
 * that many buffers make allocations fail, not the daemon. */
#define HEAP_SYSTEM_FD_RESERVE 256
static int memfd_ceiling = INT_MAX;

/* The backing's free op (heap_linger.free): also for buffers never
 * handed over. */
static void system_buffer_free(struct heap_linger *hl)
{
	struct system_buffer *sbuf = container_of(hl, struct system_buffer, hl);

	if (sbuf->vaddr)
		munmap(sbuf->vaddr, hl->size);
	if (hl->memfd >= 0)
		close(hl->memfd);
	heap_uncharge(sbuf->heap, sbuf->acct, hl->size);
	heap_unref(sbuf->heap);
	free(sbuf);
}

static int system_map_dma_buf(struct dma_buf_attachment *att,
			      enum dma_data_direction dir,
			      struct dma_buf_sgt **ret_sgt)
{
	struct system_buffer *sbuf = att->dmabuf->priv;
	struct dma_buf_sgt *sgt = dma_buf_sgt_alloc(1);

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

	*ret_vaddr = sbuf->vaddr;
	return 0;
}

static int system_get_memfd(struct dma_buf *buf)
{
	struct system_buffer *sbuf = buf->priv;

	return sbuf->hl.memfd;
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

/* Create, reserve, seal and map the memfd of @sbuf. */
static int system_buffer_back(struct system_buffer *sbuf)
{
	void *vaddr;

	sbuf->hl.memfd = memfd_create("dmabufd:system",
				   MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (sbuf->hl.memfd < 0)
		return -errno;
	/* Descriptors are handed out lowest first: a number this high means
	 * the reserve would be used. */
	if (sbuf->hl.memfd >= memfd_ceiling)
		return -EMFILE;
	/*
	 * memfd inodes are created 0777: a client given a read-only fd could
	 * reopen it writable through /proc/<pid>/fd. Only the daemon's user
	 * may open the inode itself.
	 */
	if (fchmod(sbuf->hl.memfd, 0600) < 0)
		return -errno;

	if (fallocate(sbuf->hl.memfd, 0, 0, (off_t)sbuf->hl.size) < 0) {
		int e = errno;

		if (e == ENOSPC || e == EFBIG || e == ENOMEM)
			return -ENOMEM;
		return -e;
	}
	if (fcntl(sbuf->hl.memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0 ||
	    fcntl(sbuf->hl.memfd, F_ADD_SEALS, F_SEAL_SEAL) < 0)
		return -errno;

	vaddr = mmap(NULL, sbuf->hl.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     sbuf->hl.memfd, 0);
	if (vaddr == MAP_FAILED)
		return -errno;
	sbuf->vaddr = vaddr;
	return 0;
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

	r = system_buffer_back(sbuf);
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
	return 0;
}
