// SPDX-License-Identifier: GPL-2.0
/*
 * dmabufd_sw_sync.ko's additions to drivers/dma-buf/sw_sync.c and
 * sync_debug.c: the licence, the namespace import, and a stand-in for
 * sync_file_get_name(), which the kernel has but does not export. Only
 * sync_debug.c's /sys/kernel/debug/sync/info uses it, for the name of each
 * sync_file listed there; the stand-in names every one "sync_file", so
 * that file's names differ from a built-in sw_sync's and nothing else does.
 * The init is sync_debug.c's own (its late_initcall is this module's init).
 */
#include <linux/module.h>
#include <linux/string.h>
#include <linux/sync_file.h>

char *sync_file_get_name(struct sync_file *sync_file, char *buf, int len)
{
	strscpy(buf, "sync_file", len);
	return buf;
}

MODULE_DESCRIPTION("drivers/dma-buf sw_sync + sync_debug, out of tree (dmabufd VM tests)");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
