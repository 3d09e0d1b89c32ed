/* SPDX-License-Identifier: MIT */
/*
 * The status page of a dmaengine fd; see status_page.h. The writer's half
 * of the sequence count of proto/dmabufd/dmaengine.h: the count goes odd,
 * the fields are stored, each a release store (so the odd count is
 * ordered before it), and the count goes even with a release store, so a
 * reader that saw the same even count before and after its acquire loads
 * saw no store of this writer in between (see STORE below).
 */
#include "status_page.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/macros.h"
#include "util/memfd_probe.h"

struct status_page {
	unsigned refs;
	int memfd;
	size_t size;
	struct dmabufd_dma_status_page *page;
};

static unsigned live_pages;
static unsigned last_generation;

_Static_assert(sizeof(_Atomic __u32) == sizeof(__u32) &&
		       sizeof(_Atomic __s32) == sizeof(__s32),
	       "the page's fields are read as atomics");

/*
 * Every field is stored with release and loaded with acquire (status_read.h)
 * rather than relaxed between fences: a reader that sees any store of a
 * write section then sees, at least, the odd count that opened it, so its
 * second look at the count tells. ThreadSanitizer checks this form; it
 * does not model atomic_thread_fence() (GCC refuses it under -fsanitize=
 * thread). On x86 both are plain moves.
 */
#define STORE(field, value)                                             \
	atomic_store_explicit((_Atomic __typeof__(field) *)&(field), (value), \
			      memory_order_release)

size_t status_page_size(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return page > 0 && (size_t)page >= sizeof(struct dmabufd_dma_status_page)
		       ? (size_t)page
		       : 4096;
}

static void status_free(struct status_page *st)
{
	if (st->page)
		munmap(st->page, st->size);
	if (st->memfd >= 0)
		close(st->memfd);
	free(st);
}

int status_page_new(struct status_page **ret)
{
	struct status_page *st;
	void *map;
	int r;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->refs = 1;
	st->size = status_page_size();
	st->memfd = memfd_create("dmabufd:dma-status",
				 MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (st->memfd < 0) {
		r = -errno;
		goto fail;
	}
	/* memfd inodes are made 0777: see status_page.h. */
	if (fchmod(st->memfd, 0600) < 0 ||
	    ftruncate(st->memfd, (off_t)st->size) < 0 ||
	    fcntl(st->memfd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		r = errno == ENOSPC ? -ENOMEM : -errno;
		goto fail;
	}
	map = mmap(NULL, st->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   st->memfd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	st->page = map;
	do
		last_generation++;
	while (last_generation == 0);
	STORE(st->page->generation, last_generation);
	STORE(st->page->used, 1);
	STORE(st->page->last, 1);
	live_pages++;
	*ret = st;
	return 0;
fail:
	status_free(st);
	return r;
}

struct status_page *status_page_ref(struct status_page *st)
{
	if (st)
		st->refs++;
	return st;
}

struct status_page *status_page_unref(struct status_page *st)
{
	if (st && --st->refs == 0) {
		live_pages--;
		status_free(st);
	}
	return NULL;
}

unsigned status_page_generation(const struct status_page *st)
{
	return atomic_load_explicit(
		(_Atomic __u32 *)&st->page->generation, memory_order_relaxed);
}

/* Open the write section: the count goes odd before any field changes. */
static __u32 write_begin(struct dmabufd_dma_status_page *p)
{
	_Atomic __u32 *seq = (_Atomic __u32 *)&p->seq;
	__u32 s = atomic_load_explicit(seq, memory_order_relaxed);

	atomic_store_explicit(seq, s + 1, memory_order_relaxed);
	return s;
}

static void write_end(struct dmabufd_dma_status_page *p, __u32 s)
{
	atomic_store_explicit((_Atomic __u32 *)&p->seq, s + 2,
			      memory_order_release);
}

void status_page_publish(struct status_page *st,
			const struct dmabufd_dma_status_page *snap)
{
	struct dmabufd_dma_status_page *p = st->page;
	unsigned nerrs = snap->nerrs < DMABUFD_DMA_STATUS_ERRS
				 ? snap->nerrs
				 : DMABUFD_DMA_STATUS_ERRS;
	__u32 s;

	if (status_page_generation(st) == 0)
		return;
	/* Any order does inside the section; used first and last at the end
	 * make a torn read likely if a reader skipped the count (the unit
	 * test's race relies on it). */
	s = write_begin(p);
	STORE(p->used, snap->used);
	STORE(p->flags, snap->flags);
	for (unsigned i = 0; i < nerrs; i++) {
		STORE(p->errs[i].cookie, snap->errs[i].cookie);
		STORE(p->errs[i].error, snap->errs[i].error);
	}
	STORE(p->nerrs, nerrs);
	STORE(p->last, snap->last);
	write_end(p, s);
}

void status_page_retire(struct status_page *st)
{
	__u32 s = write_begin(st->page);

	STORE(st->page->generation, 0);
	write_end(st->page, s);
}

int status_page_open(struct status_page *st)
{
	return memfd_reopen(st->memfd, O_RDONLY | O_CLOEXEC);
}

unsigned status_page_count(void)
{
	return live_pages;
}
