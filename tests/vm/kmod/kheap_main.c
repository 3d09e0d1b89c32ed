// SPDX-License-Identifier: GPL-2.0
/*
 * dmabufd_kheap.ko's init: the dma-heap core (the dma_heap class and its
 * char device region), then the system heap (/dev/dma_heap/system), as the
 * built-in kernel orders them. Neither source has an exit, so neither does
 * the module: once loaded it stays (as built in). The licence comes from
 * system_heap.c's own MODULE_LICENSE.
 */
#include <linux/init.h>
#include <linux/module.h>

int kheap_core_init(void);
int kheap_system_init(void);

static int __init kheap_init(void)
{
	int ret = kheap_core_init();

	if (ret)
		return ret;
	return kheap_system_init();
}
module_init(kheap_init);

MODULE_DESCRIPTION("drivers/dma-buf dma-heap core + system heap, out of tree (dmabufd VM tests)");
MODULE_IMPORT_NS(DMA_BUF);
