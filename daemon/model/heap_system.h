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
 * Lingering (heap.h). A client's CPU mapping is a reopen of the memfd
 * that it may keep, or keep mmap'ed, after its buffer fd is closed. So
 * that the heap's limit still holds, a released buffer of which such a
 * file was ever handed out is not freed: the daemon's own mapping is
 * removed and the rest (its memfd, its size, its heap charge and
 * reference) goes to heap_linger_hand_over(), and is freed, the charge
 * returned, by heap_linger_free() once no client file of the memfd is
 * left.
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
