/* SPDX-License-Identifier: MIT */
/* The contiguous dma-heap over a UIO-mapped reserved region (stm32_heap.h). */
#include "stm32_heap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stm32_dma_mem.h"
#include "stm32_mmio.h"
#include "util/log.h"

struct stm32_heap {
	struct heap *heap;		/* the caller's reference until destroy */
	struct uio_device *uio;
	volatile uint8_t *cpu;		/* the daemon's mapping of the region */
	uint64_t phys;
	uint64_t size;
	struct stm32_pool pool;
};

/* A buffer's CPU copy for clients: outlives the buffer while it lingers. */
struct stm32_bounce {
	struct heap_linger hl;		/* the memfd and its size */
	struct acct *acct;		/* a reference, charged hl.size bytes */
	void *map;			/* the daemon's mapping, until release */
};

struct stm32_heap_buffer {
	struct heap *heap;		/* a reference */
	struct acct *acct;		/* charged with size (heap_charge) */
	struct stm32_heap *sh;
	uint64_t off, size;
	struct stm32_bounce *bounce;	/* NULL until a client asks */
	unsigned cpu_writers;		/* open SYNC START brackets with WRITE */
};

/* The bounce's free op (heap_linger.free). */
static void bounce_free(struct heap_linger *hl)
{
	struct stm32_bounce *bb = container_of(hl, struct stm32_bounce, hl);

	if (bb->map)
		munmap(bb->map, hl->size);
	if (hl->memfd >= 0)
		close(hl->memfd);
	acct_uncharge(bb->acct, ACCT_BYTES, hl->size);
	acct_unref(bb->acct);
	free(bb);
}

/*
 * Give back @b's pool region and charge at once, and its bounce (if any)
 * too unless a client was handed a file of it (@memfd_opened): then the
 * bounce lingers (heap.h), still charged to the owner.
 */
static void buffer_free(struct stm32_heap_buffer *b, bool memfd_opened)
{
	struct stm32_bounce *bb = b->bounce;

	stm32_pool_free(&b->sh->pool, b->off);
	heap_uncharge(b->heap, b->acct, b->size);
	heap_unref(b->heap);
	free(b);
	if (!bb)
		return;
	if (!memfd_opened) {
		bounce_free(&bb->hl);
		return;
	}
	munmap(bb->map, bb->hl.size);
	bb->map = NULL;
	heap_linger_hand_over(&bb->hl);
}

static int contig_map_dma_buf(struct dma_buf_attachment *att, enum dma_data_direction dir,
			      struct dma_buf_sgt **ret_sgt)
{
	struct stm32_heap_buffer *b = att->dmabuf->priv;
	struct dma_buf_sgt *sgt = dma_buf_sgt_alloc(1);

	if (!sgt)
		return -ENOMEM;
	sgt->ents[0] = (struct dma_buf_sg_entry){
		.dma_addr = b->sh->phys + b->off,
		.length = b->size,
		.cpu_addr = (void *)(b->sh->cpu + b->off),
	};
	*ret_sgt = sgt;
	return 0;
}

static void contig_unmap_dma_buf(struct dma_buf_attachment *att, struct dma_buf_sgt *sgt,
				 enum dma_data_direction dir)
{
	free(sgt);
}

static int contig_vmap(struct dma_buf *buf, void **ret_vaddr)
{
	struct stm32_heap_buffer *b = buf->priv;

	*ret_vaddr = (void *)(b->sh->cpu + b->off);
	return 0;
}

static void contig_release(struct dma_buf *buf)
{
	buffer_free(buf->priv, buf->memfd_opened);
}

/* Device -> bounce. */
static void bounce_fill(struct stm32_heap_buffer *b)
{
	stm32_io_copy_from(b->bounce->map, b->sh->cpu + b->off, b->size);
}

/* Make @bb's memfd: as the system heap's, a private inode of fixed size. */
static int bounce_back(struct stm32_bounce *bb)
{
	void *p;

	bb->hl.memfd = memfd_create("dmabufd:stm32-contig",
				    MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (bb->hl.memfd < 0)
		return -errno;
	if (fchmod(bb->hl.memfd, 0600) < 0)
		return -errno;
	if (ftruncate(bb->hl.memfd, (off_t)bb->hl.size) < 0)
		return errno == EFBIG ? -ENOMEM : -errno;
	if (fcntl(bb->hl.memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0 ||
	    fcntl(bb->hl.memfd, F_ADD_SEALS, F_SEAL_SEAL) < 0)
		return -errno;
	p = mmap(NULL, bb->hl.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 bb->hl.memfd, 0);
	if (p == MAP_FAILED)
		return -errno;
	bb->map = p;
	return 0;
}

/*
 * The bounce memfd, made at the first call and charged to the buffer's
 * owner. Returns it, -EDQUOT past the owner's uid-bytes limit, -ENOMEM,
 * or memfd_create's and friends' errors.
 */
static int contig_get_memfd(struct dma_buf *buf)
{
	struct stm32_heap_buffer *b = buf->priv;
	struct stm32_bounce *bb;
	int r;

	if (b->bounce)
		return b->bounce->hl.memfd;
	r = acct_charge(b->acct, ACCT_BYTES, b->size);
	if (r < 0)
		return r == -EOVERFLOW ? -ENOMEM : r;
	bb = calloc(1, sizeof(*bb));
	if (!bb) {
		acct_uncharge(b->acct, ACCT_BYTES, b->size);
		return -ENOMEM;
	}
	*bb = (struct stm32_bounce){
		.hl = {
			.memfd = -EBADF,
			.size = b->size,
			.free = bounce_free,
		},
		.acct = acct_ref(b->acct),
	};
	r = bounce_back(bb);
	if (r < 0) {
		bounce_free(&bb->hl);
		return r;
	}
	b->bounce = bb;
	bounce_fill(b);
	return bb->hl.memfd;
}

static int contig_begin_cpu_access(struct dma_buf *buf, enum dma_data_direction dir)
{
	struct stm32_heap_buffer *b = buf->priv;

	if (!b->bounce)
		return 0; /* nobody maps it: the daemon's vmap is the device */
	if (!b->cpu_writers)
		bounce_fill(b);
	if (dir != DMA_FROM_DEVICE)
		b->cpu_writers++;
	return 0;
}

static int contig_end_cpu_access(struct dma_buf *buf, enum dma_data_direction dir)
{
	struct stm32_heap_buffer *b = buf->priv;

	if (!b->bounce || dir == DMA_FROM_DEVICE)
		return 0;
	stm32_io_copy_to(b->sh->cpu + b->off, b->bounce->map, b->size);
	if (b->cpu_writers)
		b->cpu_writers--;
	return 0;
}

static const struct dma_buf_ops contig_buf_ops = {
	.map_dma_buf = contig_map_dma_buf,
	.unmap_dma_buf = contig_unmap_dma_buf,
	.release = contig_release,
	.begin_cpu_access = contig_begin_cpu_access,
	.end_cpu_access = contig_end_cpu_access,
	.vmap = contig_vmap,
	.get_memfd = contig_get_memfd,
};

static int contig_allocate(struct heap *heap, struct acct *acct, uint64_t len,
			   uint32_t fd_flags, uint64_t heap_flags,
			   struct dma_buf **ret_buf)
{
	struct stm32_heap *sh = heap->priv;
	struct stm32_heap_buffer *b;
	struct dma_buf *buf;
	uint64_t off;
	int r;

	r = heap_charge(heap, acct, len);
	if (r < 0)
		return r;
	r = stm32_pool_alloc(&sh->pool, len, &off);
	if (r < 0) {
		heap_uncharge(heap, acct, len);
		return r == -EINVAL ? -ENOMEM : r;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		stm32_pool_free(&sh->pool, off);
		heap_uncharge(heap, acct, len);
		return -ENOMEM;
	}
	*b = (struct stm32_heap_buffer){
		.heap = heap_ref(heap),
		.acct = acct,
		.sh = sh,
		.off = off,
		.size = len,
	};
	stm32_io_zero(sh->cpu + off, len);
	r = dma_buf_export(&(struct dma_buf_export_info){
				   .exp_name = "stm32-contig",
				   .ops = &contig_buf_ops,
				   .size = len,
				   .flags = (int)fd_flags,
				   .priv = b,
			   },
			   &buf);
	if (r < 0) {
		buffer_free(b, false);
		return r;
	}
	*ret_buf = buf;
	return 0;
}

static void contig_heap_release(struct heap *heap)
{
	struct stm32_heap *sh = heap->priv;

	stm32_pool_fini(&sh->pool);
	uio_device_unref(sh->uio);
	free(sh);
}

static const struct heap_ops contig_heap_ops = {
	.allocate = contig_allocate,
	.release = contig_heap_release,
};

void stm32_heap_config_default(struct stm32_heap_config *cfg)
{
	*cfg = (struct stm32_heap_config){
		.name = STM32_HEAP_DEFAULT_NAME,
		.env = &uio_real_env,
		.uio_name = "dma-pool",
		.map = 0,
	};
}

int stm32_heap_create(const struct stm32_heap_config *cfg, struct stm32_heap **ret_heap)
{
	const struct uio_map *m;
	struct stm32_heap *sh;
	void *addr;
	size_t len;
	int r;

	if (!cfg || !ret_heap || !cfg->env || !cfg->uio_name ||
	    !memchr(cfg->name, '\0', sizeof(cfg->name)) || cfg->map >= UIO_MAX_MAPS)
		return -EINVAL;
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	r = uio_device_new_by_name(cfg->env, cfg->uio_name, &sh->uio);
	if (r < 0)
		goto fail;
	r = uio_device_map(sh->uio, cfg->map, &addr, &len);
	if (r < 0)
		goto fail;
	m = &uio_device_info(sh->uio)->maps[cfg->map];
	sh->cpu = addr;
	sh->phys = m->addr + m->offset;
	sh->size = len;
	if (!stm32_dma_addr_reachable(sh->phys, sh->size)) {
		log_err("stm32-heap: region 0x%llx+0x%llx is out of the DMA masters' reach",
			(unsigned long long)sh->phys, (unsigned long long)sh->size);
		r = -EFAULT;
		goto fail;
	}
	r = stm32_pool_init(&sh->pool, sh->size, heap_page_size());
	if (r < 0) {
		r = -ENOSPC;
		goto fail;
	}
	r = heap_add(cfg->name, &contig_heap_ops, sh, &sh->heap);
	if (r < 0) {
		stm32_pool_fini(&sh->pool);
		goto fail;
	}
	*ret_heap = sh;
	return 0;

fail:
	uio_device_unref(sh->uio);
	free(sh);
	return r;
}

void stm32_heap_destroy(struct stm32_heap *sh)
{
	struct heap *heap;

	if (!sh)
		return;
	heap = sh->heap;
	heap_remove(heap);
	heap_unref(heap); /* may free sh */
}

struct heap *stm32_heap_heap(struct stm32_heap *sh)
{
	return sh ? sh->heap : NULL;
}

uint64_t stm32_heap_phys_base(const struct stm32_heap *sh)
{
	return sh->phys;
}

uint64_t stm32_heap_size(const struct stm32_heap *sh)
{
	return sh->size;
}

void stm32_heap_get_stats(const struct stm32_heap *sh, struct stm32_pool_stats *ret)
{
	stm32_pool_get_stats(&sh->pool, ret);
}
