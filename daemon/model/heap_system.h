/* SPDX-License-Identifier: MIT */
/*
 * heap_system - the "system" dma-heap (drivers/dma-buf/heaps/system_heap.c)
 * over memfds.
 *
 * A buffer's pages are really reserved at allocation (fallocate, so an
 * allocation that cannot be backed fails at once with -ENOMEM instead of
 * at first touch), zero-filled as the kernel's __GFP_ZERO pages, and its
 * size is rounded up to the page. Where they live depends on whether
 * anything has reached its bytes yet:
 *
 * - Untouched, a buffer is a range of pages in an *arena*: one sparse
 *   memfd of HEAP_SYSTEM_ARENA_SPAN bytes that the daemon never maps and
 *   never hands out, whose offsets go to buffers upwards and never
 *   twice. Its release punches the range out (FALLOC_FL_PUNCH_HOLE), so
 *   the pages go back at once. When an arena is used up the next one
 *   starts; an old one is closed with its last buffer. So a buffer
 *   costs the daemon no descriptor and no mapping of its own, and live
 *   buffers are capped by memory (the heap's limit), not by
 *   RLIMIT_NOFILE or vm.max_map_count.
 *
 * - The first call that needs its bytes (dma_buf_get_memfd(), and so
 *   dma_buf_open_memfd() for a client's CPU mapping; an importer's
 *   attach or map; vmap) gives it a memfd of its own ("dmabufd:system",
 *   mode 0600, sealed against resizing with F_SEAL_SHRINK | F_SEAL_GROW,
 *   then F_SEAL_SEAL, so that reopens can be handed to clients for mmap)
 *   and a daemon MAP_SHARED mapping of it, and punches its arena range.
 *   That mapping's address is the buffer's vmap address and, as an
 *   integer, the DMA address of its single scatter-list entry (the
 *   software DMA engine works on daemon memory). The buffer keeps both
 *   until it goes. Since no path reaches the bytes before, its pages
 *   are still zero and nothing is copied; a failure (-EMFILE, -ENOMEM)
 *   leaves it in its arena. A buffer never moves once an engine or a
 *   client may hold its address: a DMA worker copying into an arena
 *   range while the buffer moved would lose its writes, or, once the
 *   range is reused, write into another buffer.
 *
 * A buffer with its own memfd costs the daemon one descriptor and one
 * mapping until it goes (or, lingering, until the last client file of it
 * is gone): those buffers, the ones clients map or DMA engines attach,
 * are the ones RLIMIT_NOFILE caps. Their memfd may not take one of the
 * last 256 descriptors below the soft RLIMIT_NOFILE (-EMFILE at the
 * first mapping or attach).
 *
 * Life cycle: heap_system_register() adds the heap to the registry and
 * keeps a reference; heap_system_unregister() removes it and drops that
 * reference, and the current arena's. Each buffer holds a reference to
 * the heap (and to its arena while in one) and is charged to its usage,
 * so the heap outlives its last buffer. Buffers are freed (arena range
 * punched, or fd closed and mapping removed; charge returned) by their
 * dma_buf release.
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

/* The bytes of offsets one arena hands out (1 TiB, sparse). */
#define HEAP_SYSTEM_ARENA_SPAN (1ull << 40)

/*
 * Register the system heap with a byte limit on the memory its live
 * buffers may hold (0: no limit other than the machine's memory).
 * A buffer's first mapping or attach (or an allocation that starts an
 * arena) whose memfd would take one of the last 256 descriptors below the
 * soft RLIMIT_NOFILE at registration fails with -EMFILE, so that buffers
 * never starve the daemon of descriptors.
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

/*
 * For tests: make the arenas started from now on hand out @bytes of
 * offsets (HEAP_SYSTEM_ARENA_SPAN by default), and start a new one at the
 * next allocation. Returns 0, or -EINVAL for 0, a size that is not a
 * multiple of the page or does not fit an off_t.
 */
int heap_system_set_arena_span(uint64_t bytes);
