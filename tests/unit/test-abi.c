/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the wire ABI in proto/. Kernel-compatible ioctls must keep
 * the kernel's numbers (reference/abi.md §1.2) and every dmabufd struct its
 * pinned layout, so a client built against one version talks to another.
 */
#include <stddef.h>
#include <linux/dma-heap.h>

#include "helpers.h"
#include "dmabufd/dma_buf.h"
#include "dmabufd/dma_heap.h"
#include "dmabufd/sw_sync.h"
#include "dmabufd/sync_file.h"

static void kernel_ioctl_numbers_are_kept(void **state)
{
	assert_int_equal(DMA_HEAP_IOCTL_ALLOC, 0xc0184800u);
	assert_int_equal(DMA_BUF_IOCTL_SYNC, 0x40086200u);
	assert_int_equal(SYNC_IOC_MERGE, 0xc0303e03u);
	assert_int_equal(SYNC_IOC_FILE_INFO, 0xc0383e04u);
	assert_int_equal(SYNC_IOC_SET_DEADLINE, 0x40103e05u);
	assert_int_equal(SW_SYNC_IOC_CREATE_FENCE, 0xc0285700u);
	assert_int_equal(SW_SYNC_IOC_INC, 0x40045701u);
	assert_int_equal(SW_SYNC_GET_DEADLINE, 0xc0105702u);
}

static void kernel_struct_layouts_match(void **state)
{
	assert_int_equal(offsetof(struct sync_file_info, num_fences), 40);
	assert_int_equal(offsetof(struct sync_file_info, sync_fence_info), 48);
	assert_int_equal(offsetof(struct sync_fence_info, status), 64);
	assert_int_equal(offsetof(struct sync_fence_info, timestamp_ns), 72);
	assert_int_equal(offsetof(struct sw_sync_create_fence_data, fence), 36);
	assert_int_equal(offsetof(struct sw_sync_get_deadline, fence_fd), 12);
}

static void extension_ioctls_use_dmabufd_magic(void **state)
{
	const unsigned long cmds[] = {
		DMABUFD_IOC_CLAIM, DMABUFD_IOC_EXPORT_TOKEN, DMABUFD_HEAP_IOC_ALLOC,
		DMABUFD_DMA_BUF_IOC_INFO, DMABUFD_DMA_BUF_IOC_SET_NAME,
		DMABUFD_DMA_BUF_IOC_GET_NAME, DMABUFD_DMA_BUF_IOC_EXPORT_SYNC_FILE,
		DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE, DMABUFD_DMA_BUF_IOC_MAP,
		DMABUFD_SYNC_IOC_MERGE, DMABUFD_SYNC_IOC_FILE_INFO, DMABUFD_SYNC_IOC_WAIT,
		DMABUFD_SW_SYNC_IOC_CREATE_FENCE, DMABUFD_SW_SYNC_IOC_GET_DEADLINE,
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_equal(_IOC_TYPE(cmds[i]), 0xDB);
		/* Restricted ioctls must fit the 14-bit size field. */
		assert_true(_IOC_SIZE(cmds[i]) > 0 && _IOC_SIZE(cmds[i]) < 16384);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(_IOC_NR(cmds[i]), _IOC_NR(cmds[j]));
	}
}

static void extension_struct_layouts_are_pinned(void **state)
{
	assert_int_equal(offsetof(struct dmabufd_heap_alloc, token), 8);
	assert_int_equal(offsetof(struct dmabufd_heap_alloc, fd_flags), 16);
	assert_int_equal(offsetof(struct dmabufd_heap_alloc, heap_flags), 24);
	assert_int_equal(offsetof(struct dmabufd_dma_buf_info, exp_name), 16);
	assert_int_equal(offsetof(struct dmabufd_dma_buf_info, mode), 48);
	assert_int_equal(offsetof(struct dmabufd_dma_buf_export_sync_file, token), 8);
	assert_int_equal(offsetof(struct dmabufd_dma_buf_map, prot), 16);
	assert_int_equal(offsetof(struct dmabufd_sync_merge, token2), 32);
	assert_int_equal(offsetof(struct dmabufd_sync_merge, flags), 48);
	assert_int_equal(offsetof(struct dmabufd_sync_file_info, first), 44);
	assert_int_equal(offsetof(struct dmabufd_sync_file_info, fences), 56);
	assert_int_equal(offsetof(struct dmabufd_sw_sync_create_fence, token), 40);
	assert_int_equal(offsetof(struct dmabufd_sw_sync_get_deadline, token), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_ioctl_numbers_are_kept),
		cmocka_unit_test(kernel_struct_layouts_match),
		cmocka_unit_test(extension_ioctls_use_dmabufd_magic),
		cmocka_unit_test(extension_struct_layouts_are_pinned),
	};

	return cmocka_run_group_tests_name("abi", tests, NULL, NULL);
}
