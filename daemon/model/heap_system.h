/* SPDX-License-Identifier: MIT */
/*
 * heap_system - the "system" dma-heap (drivers/dma-buf/heaps/system_heap.c)
 * over memfds.
 *
 * Each buffer is one memfd ("dmabufd:system"), its size rounded up to the
 * page, its pages really reserved with fallocate (so an allocation that
 * cannot be backed fails at once with -ENOMEM instead of at first touch),
 * zero-filled as the kernel's __GFP_ZERO pages, and sealed against
 * resizing (F_SEAL_SHRINK | F_SEAL_GROW, then F_SEAL_SEAL) so that the fd
 * can be handed to clients for mmap. The daemon keeps one MAP_SHARED
 * mapping of it: that address is the buffer's vmap address and, as an
 * integer, the DMA address of its single scatter-list entry (the software
 * DMA engine works on daemon memory). dma_buf_get_memfd() returns the
 * memfd.
 *
 * Life cycle: heap_system_register() adds the heap to the registry and
 * keeps a reference; heap_system_unregister() removes it and drops that
 * reference. Each buffer holds a reference to the heap and is charged to
 * its usage, so the heap outlives its last buffer. Buffers are freed (fd
 * closed, mapping removed, charge returned) by their dma_buf release.
 *
 * Lingering. A client's CPU mapping is a reopen of the memfd
 * (dma_buf_open_memfd()) that it may keep, or keep mmap'ed, after its
 * buffer fd is closed: the memory then outlives the dma_buf. So that the
 * heap's limit still holds, a released buffer of which such a file was
 * ever handed out is not freed but handed, as a struct system_buffer (its
 * memfd, its size; still charged to the heap and holding its reference),
 * to the linger hook the daemon installs (heap_system_set_linger()). The
 * daemon's own mapping is removed first. The hook owns it from then on
 * and calls system_buffer_free() once no client file of the memfd is
 * left (util/memfd_probe.h tells); that returns the charge. Without a
 * hook (unit tests, a kernel whose leases tell nothing) the buffer is
 * freed at once, as for a buffer never mapped.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdint.h>

#include "heap.h"

#define HEAP_SYSTEM_NAME "system"

/*
 * Register the system heap with a byte limit on the memory its live
 * buffers may hold (0: no limit other than the machine's memory).
 * An allocation whose memfd would take one of the last 256 descriptors
 * below the soft RLIMIT_NOFILE at registration fails with -EMFILE, so
 * that buffers never starve the daemon of descriptors.
 * Returns 0, -EEXIST if it is registered already, or -ENOMEM.
 */
int heap_system_register(uint64_t limit_bytes);

/*
 * Change the limit of the registered system heap (0: none), for a
 * reload: allocations from now on are held to it, buffers already
 * allocated stay. Returns 0, or -ENOENT if it is not registered.
 */
int heap_system_set_limit(uint64_t limit_bytes);

/*
 * Remove the system heap from the registry. Buffers still alive keep it
 * until they go. Returns 0, or -ENOENT if it was not registered.
 */
int heap_system_unregister(void);

/* A released buffer's backing, handed to the linger hook. */
struct system_buffer;

/*
 * The linger hook: takes ownership of @sbuf, and must eventually call
 * system_buffer_free() on it (which may also be at once, from inside the
 * hook).
 */
typedef void (*heap_system_linger_fn)(struct system_buffer *sbuf, void *data);

/*
 * Install @fn (NULL: none; buffers are freed at release) with @data for
 * the buffers released from now on. Backings the previous hook holds
 * stay its own.
 */
void heap_system_set_linger(heap_system_linger_fn fn, void *data);

/* The backing's memfd (owned by it: closed by system_buffer_free()). */
int system_buffer_memfd(const struct system_buffer *sbuf);
/* The backing's size in bytes, as charged to its heap. */
uint64_t system_buffer_size(const struct system_buffer *sbuf);
/* Close the memfd, return the charge, drop the heap reference, free. */
void system_buffer_free(struct system_buffer *sbuf);

/*
 * How many released buffers the linger hook holds, and their bytes
 * (either pointer may be NULL).
 */
void heap_system_lingering(uint64_t *ret_buffers, uint64_t *ret_bytes);
