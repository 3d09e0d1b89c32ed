/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the wire ABI in proto/. Kernel-compatible ioctls must keep
 * the kernel's numbers (reference/abi.md §1.2) and every dmabufd struct its
 * pinned layout, so a client built against one version talks to another.
 */
#include <stddef.h>
#include <linux/dma-heap.h>

#include "helpers.h"
#include "dmabufd/control.h"
#include "dmabufd/dma_buf.h"
#include "dmabufd/dma_heap.h"
#include "dmabufd/dmaengine.h"
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
		DMABUFD_IOC_CLAIM, DMABUFD_IOC_EXPORT_TOKEN, DMABUFD_IOC_HANDLE,
		DMABUFD_IOC_CREATE, DMABUFD_HEAP_IOC_ALLOC,
		DMABUFD_DMA_BUF_IOC_INFO, DMABUFD_DMA_BUF_IOC_SET_NAME,
		DMABUFD_DMA_BUF_IOC_GET_NAME, DMABUFD_DMA_BUF_IOC_EXPORT_SYNC_FILE,
		DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE, DMABUFD_DMA_BUF_IOC_MAP,
		DMABUFD_SYNC_IOC_MERGE, DMABUFD_SYNC_IOC_FILE_INFO, DMABUFD_SYNC_IOC_WAIT,
		DMABUFD_SW_SYNC_IOC_CREATE_FENCE, DMABUFD_SW_SYNC_IOC_GET_DEADLINE,
		DMABUFD_DMA_IOC_REQUEST_CHAN, DMABUFD_DMA_IOC_CAPS,
		DMABUFD_DMA_IOC_SLAVE_CONFIG, DMABUFD_DMA_IOC_ATTACH,
		DMABUFD_DMA_IOC_DETACH, DMABUFD_DMA_IOC_PREP, DMABUFD_DMA_IOC_SUBMIT,
		DMABUFD_DMA_IOC_TX_STATUS, DMABUFD_DMA_IOC_FENCE,
		DMABUFD_DMA_IOC_CONTROL, DMABUFD_DMA_IOC_EVENTS,
		DMABUFD_DMA_IOC_STATUS_MAP, DMABUFD_DMA_IOC_WAIT,
	};

	/* ISSUE_PENDING carries no data (_IO): checked on its own. */
	assert_int_equal(_IOC_TYPE(DMABUFD_DMA_IOC_ISSUE_PENDING), 0xDB);
	assert_int_equal(_IOC_NR(DMABUFD_DMA_IOC_ISSUE_PENDING), 0x57);
	assert_int_equal(_IOC_SIZE(DMABUFD_DMA_IOC_ISSUE_PENDING), 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_equal(_IOC_TYPE(cmds[i]), 0xDB);
		assert_int_not_equal(_IOC_NR(cmds[i]), 0x57);
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

/* The dmaengine node: kernel enum values, numbers and layouts. */
static void dmaengine_abi_is_pinned(void **state)
{
	/* enum dma_transaction_type, dma_transfer_direction, dma_status,
	 * dmaengine_tx_result and dma_ctrl_flags (abi.md §3). */
	assert_int_equal(DMABUFD_DMA_MEMCPY, 0);
	assert_int_equal(DMABUFD_DMA_INTERRUPT, 7);
	assert_int_equal(DMABUFD_DMA_PRIVATE, 8);
	assert_int_equal(DMABUFD_DMA_SLAVE, 10);
	assert_int_equal(DMABUFD_DMA_CYCLIC, 11);
	assert_int_equal(DMABUFD_DMA_DEV_TO_MEM, 2);
	assert_int_equal(DMABUFD_DMA_ERROR, 3);
	assert_int_equal(DMABUFD_DMA_TRANS_ABORTED, 3);
	assert_int_equal(DMABUFD_DMA_PREP_INTERRUPT, 1);
	assert_int_equal(DMABUFD_DMA_CTRL_ACK, 2);
	/* The range 0x50-0x6f, in order. */
	assert_int_equal(_IOC_NR(DMABUFD_DMA_IOC_REQUEST_CHAN), 0x50);
	assert_int_equal(_IOC_NR(DMABUFD_DMA_IOC_EVENTS), 0x5b);
	assert_int_equal(_IOC_DIR(DMABUFD_DMA_IOC_EVENTS), _IOC_READ | _IOC_WRITE);
	assert_int_equal(_IOC_DIR(DMABUFD_DMA_IOC_CONTROL), _IOC_WRITE);
	assert_int_equal(_IOC_SIZE(DMABUFD_DMA_IOC_PREP), sizeof(struct dmabufd_dma_prep));
	/* Layouts. */
	assert_int_equal(offsetof(struct dmabufd_dma_request, consumer), 16);
	assert_int_equal(offsetof(struct dmabufd_dma_request, device), 80);
	assert_int_equal(offsetof(struct dmabufd_dma_request, caps), 112);
	assert_int_equal(offsetof(struct dmabufd_dma_caps, cmd_pause), 32);
	assert_int_equal(offsetof(struct dmabufd_dma_caps, max_len), 40);
	assert_int_equal(offsetof(struct dmabufd_dma_slave_config, request_line), 36);
	assert_int_equal(offsetof(struct dmabufd_dma_slave_config, flags), 40);
	assert_int_equal(offsetof(struct dmabufd_dma_attach, size), 16);
	assert_int_equal(offsetof(struct dmabufd_dma_seg, offset), 8);
	assert_int_equal(offsetof(struct dmabufd_dma_prep, src), 16);
	assert_int_equal(offsetof(struct dmabufd_dma_prep, segs), 40);
	assert_int_equal(offsetof(struct dmabufd_dma_prep, period_len), 424);
	assert_int_equal(offsetof(struct dmabufd_dma_prep, cookie), 440);
	assert_int_equal(offsetof(struct dmabufd_dma_tx_status, error), 28);
	assert_int_equal(offsetof(struct dmabufd_dma_fence, token), 8);
	assert_int_equal(offsetof(struct dmabufd_dma_wait, status), 16);
	assert_int_equal(_IOC_NR(DMABUFD_DMA_IOC_WAIT), 0x5d);
	assert_int_equal(offsetof(struct dmabufd_handle, kind), 12);
	assert_int_equal(offsetof(struct dmabufd_create, src), 8);
	assert_int_equal(offsetof(struct dmabufd_create, name), 32);
	assert_int_equal(offsetof(struct dmabufd_create, handle), 64);
	assert_int_equal(_IOC_NR(DMABUFD_IOC_HANDLE), 0x02);
	assert_int_equal(_IOC_NR(DMABUFD_IOC_CREATE), 0x03);
	assert_int_equal(offsetof(struct dmabufd_dma_control, arg), 4);
	assert_int_equal(offsetof(struct dmabufd_dma_event, period), 12);
	assert_int_equal(offsetof(struct dmabufd_dma_events, events), 8);
}

/* The control socket: request, reply and the listing records. */
static void control_abi_is_pinned(void **state)
{
	assert_int_equal(offsetof(struct dmabufd_ctl_req, token), 8);
	assert_int_equal(offsetof(struct dmabufd_ctl_req, arg), 16);
	assert_int_equal(offsetof(struct dmabufd_ctl_reply, size), 8);
	assert_int_equal(offsetof(struct dmabufd_ctl_reply, count), 16);
	assert_int_equal(offsetof(struct dmabufd_ctl_reply, rec_size), 20);
	assert_int_equal(DMABUFD_CTL_DMA_FAULT, 6);
	assert_int_equal(DMABUFD_STAT_HEAP_BYTES, 11);
	assert_int_equal(DMABUFD_STAT_DMA_XFERS, 14);
	assert_int_equal(DMABUFD_STAT_REFUSED_CONNECTIONS, 20);
	assert_int_equal(DMABUFD_STAT_CTL_HELD_MAX, 23);
	assert_int_equal(offsetof(struct dmabufd_ctl_batch, rec_size), 8);
	assert_int_equal(DMABUFD_CTL_BATCH_END, 1);
	assert_int_equal(DMABUFD_STAT_LINGERING, 24);
	assert_int_equal(DMABUFD_STAT_LINGERING_BYTES, 25);
	assert_int_equal(DMABUFD_STAT_DMA_STATUS_PAGES, 26);
	assert_int_equal(DMABUFD_STAT_CTL_REQUESTS, 31);
	assert_int_equal(offsetof(struct dmabufd_ctl_dma_device, dev_id), 32);
	assert_int_equal(offsetof(struct dmabufd_ctl_dma_channel, dev_id), 128);
	assert_int_equal(offsetof(struct dmabufd_ctl_dma_channel, timeout_ms), 168);
	assert_int_equal(offsetof(struct dmabufd_ctl_dma_channel, timeouts), 208);
	assert_int_equal(offsetof(struct dmabufd_ctl_dma_xfer, len), 56);
	assert_int_equal(offsetof(struct dmabufd_ctl_dma_xfer, periods), 72);
	assert_int_equal(DMABUFD_CTL_HEAPS, 7);
	assert_int_equal(DMABUFD_CTL_TIMELINES, 10);
	assert_int_equal(offsetof(struct dmabufd_ctl_heap, buffers), 32);
	assert_int_equal(offsetof(struct dmabufd_ctl_heap, limit_bytes), 48);
	assert_int_equal(offsetof(struct dmabufd_ctl_buffer, name), 16);
	assert_int_equal(offsetof(struct dmabufd_ctl_buffer, exporter), 48);
	assert_int_equal(offsetof(struct dmabufd_ctl_buffer, mode), 80);
	assert_int_equal(offsetof(struct dmabufd_ctl_buffer, fences_kernel), 104);
	assert_int_equal(offsetof(struct dmabufd_ctl_buffer, fences_bookkeep), 116);
	assert_int_equal(offsetof(struct dmabufd_ctl_fence, driver), 16);
	assert_int_equal(offsetof(struct dmabufd_ctl_fence, timeline), 48);
	assert_int_equal(offsetof(struct dmabufd_ctl_fence, status), 80);
	assert_int_equal(offsetof(struct dmabufd_ctl_fence, created_ns), 96);
	assert_int_equal(offsetof(struct dmabufd_ctl_fence, age_ns), 112);
	assert_int_equal(offsetof(struct dmabufd_ctl_timeline, context), 32);
	assert_int_equal(offsetof(struct dmabufd_ctl_timeline, flags), 48);
	assert_int_equal(DMABUFD_CTL_BUFINFO, 11);
	assert_int_equal(DMABUFD_CTL_SYNC_INFO, 12);
	assert_int_equal(DMABUFD_CTL_DMA_SUMMARY, 13);
	assert_int_equal(DMABUFD_CTL_TRACE, 14);
	assert_int_equal(DMABUFD_CTL_INFO, 15);
	assert_int_equal(DMABUFD_CTL_FILES, 16);
	assert_int_equal(DMABUFD_CTL_FENCE_IMPORT, 17);
	assert_int_equal(DMABUFD_CTL_FENCE_EXPORT, 18);
	assert_int_equal(DMABUFD_CTL_BUF_EXPORT_KERNEL, 19);
	assert_int_equal(offsetof(struct dmabufd_ctl_info, config), 32);
	assert_int_equal(offsetof(struct dmabufd_ctl_info, dev_root), 288);
	assert_int_equal(offsetof(struct dmabufd_ctl_info, pid), 544);
	assert_int_equal(offsetof(struct dmabufd_ctl_info, uptime_ns), 560);
	assert_int_equal(offsetof(struct dmabufd_ctl_info, limit), 568);
	assert_int_equal(offsetof(struct dmabufd_ctl_info, limit_flags), 632);
	assert_int_equal(DMABUFD_CTL_LIMIT_CONNECTIONS, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_ioctl_numbers_are_kept),
		cmocka_unit_test(kernel_struct_layouts_match),
		cmocka_unit_test(extension_ioctls_use_dmabufd_magic),
		cmocka_unit_test(extension_struct_layouts_are_pinned),
		cmocka_unit_test(dmaengine_abi_is_pinned),
		cmocka_unit_test(control_abi_is_pinned),
	};

	return cmocka_run_group_tests_name("abi", tests, NULL, NULL);
}
