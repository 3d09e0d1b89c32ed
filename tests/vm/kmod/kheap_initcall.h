/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included (-include) before drivers/dma-buf/dma-heap.c (with
 * -DKHEAP_CORE) and heaps/system_heap.c (with -DKHEAP_SYSTEM) when they are
 * built together as dmabufd_kheap.ko. Built in, the core is a
 * subsys_initcall and the heap a module_init (device_initcall); in a module
 * both would become the one init_module. Here each becomes a named function
 * instead, and kheap_main.c calls them in the built-in order. The sources
 * themselves are untouched: <linux/module.h> is included first, so its
 * include guard keeps these definitions when the source includes it again.
 */
#include <linux/init.h>
#include <linux/module.h>

int kheap_core_init(void);
int kheap_system_init(void);

#ifdef KHEAP_CORE
#undef subsys_initcall
#define subsys_initcall(fn) int __init kheap_core_init(void) { return fn(); }
#endif

#ifdef KHEAP_SYSTEM
#undef module_init
#define module_init(fn) int __init kheap_system_init(void) { return fn(); }
#endif
