/* SPDX-License-Identifier: MIT */
/*
 * status_page - the status page of a dmaengine fd: struct
 * dmabufd_dma_status_page (proto/dmabufd/dmaengine.h) in shared memory,
 * so that its holder reads the fd's cookies without a round trip.
 *
 * Life cycle: the dmaengine node makes one per fd at the fd's first
 * DMABUFD_DMA_IOC_STATUS_MAP (status_page_new()) and holds a reference;
 * each token issued for it (TOKEN_DMA_STATUS) holds one more until it is
 * redeemed on the control socket (status_page_open(): a read-only reopen
 * of the page's memfd) or dies. At the fd's release the node retires it
 * (generation 0: readers stop trusting it) and drops its reference. A
 * client's open or mapping holds the memfd's inode, not this object.
 *
 * The memfd is one page, its inode 0600 (a client that is not root
 * cannot reopen its read-only copy writable through /proc), sealed
 * against shrinking and growing (a client's mapping never faults), and
 * mapped read-write by the daemon alone.
 *
 * Threading: loop thread only; the page's readers are other processes,
 * which the sequence count (status_page_publish()) keeps consistent.
 */
#pragma once

#include <stddef.h>

#include <dmabufd/dmaengine.h>

#include "util/macros.h"

struct status_page;

/*
 * A new page with a new non-zero generation, its fields those of a fresh
 * fd (cookies DMA_MIN_COOKIE, no errors). Returns 0 and a reference in
 * *@ret, or -ENOMEM / -errno of memfd_create, fchmod, ftruncate or mmap.
 */
int status_page_new(struct status_page **ret);

struct status_page *status_page_ref(struct status_page *st);
/* NULL is a no-op; returns NULL. */
struct status_page *status_page_unref(struct status_page *st);
DEFINE_UNREF_CLEANUP(struct status_page, status_page_unref)

/* Its generation (non-zero until retired). */
unsigned status_page_generation(const struct status_page *st);

/*
 * Publish @snap's used, last, flags and errs (nerrs of them, at most
 * DMABUFD_DMA_STATUS_ERRS) under the sequence count; seq and generation
 * are the page's own. No-op on a retired page.
 */
void status_page_publish(struct status_page *st,
			const struct dmabufd_dma_status_page *snap);

/* The fd is gone: set generation 0, publish nothing more. */
void status_page_retire(struct status_page *st);

/* A read-only open of the page's memfd (O_CLOEXEC): the fd or -errno. */
int status_page_open(struct status_page *st);

/* Bytes a client maps (one page). */
size_t status_page_size(void);

/* Pages alive (DMABUFD_STAT_DMA_STATUS_PAGES). */
unsigned status_page_count(void);
