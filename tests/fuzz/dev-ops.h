/* SPDX-License-Identifier: MIT */
/*
 * The input language of fuzz-dev (fuzz-dev.c), shared with the seed
 * corpus generator (gen-corpus.c) so that both spell it the same way.
 *
 * An input is a sequence of operations, each an op byte followed by its
 * operands; an input that ends early reads zeros. Slots are the open
 * files the harness holds (DEV_FUZZ_SLOTS of them, operands taken modulo).
 *
 *   OPEN      node, how, slot      open node_at(node % count); how's bits
 *                                  0-1 the access mode (3 is invalid),
 *                                  2 O_NONBLOCK, 3 uid 1000 instead of 0,
 *                                  4 pid 0 (a caller outside our pid
 *                                  namespace); a file in the slot is
 *                                  released first
 *   RELEASE   slot
 *   IOCTL     slot, cmd, how, pick, at, then the payload
 *                                  cmd indexes dev_fuzz_cmds[]; past its
 *                                  end the next 4 bytes (little endian)
 *                                  are the raw command. The payload is
 *                                  _IOC_SIZE(cmd) bytes (at most
 *                                  DEV_FUZZ_MAX_PAYLOAD) when the command
 *                                  writes. If pick is not 0xff, the
 *                                  (pick % DEV_FUZZ_VALUES)-th value the
 *                                  harness saw in a reply (the u64s at
 *                                  8-byte offsets: tokens, ids) is
 *                                  written over the payload at 8 * at.
 *                                  how bit 0: the caller is interrupted
 *                                  already when the handler defers
 *   POLL      slot, events         events: bit 0 POLLIN, 1 POLLOUT,
 *                                  2 POLLPRI, 3 hand a poll handle
 *   INTERRUPT which                interrupt the which-th deferred request
 *   ADVANCE   4 bytes              move the clock by that many µs (LE)
 *                                  and run what is due, then the
 *                                  completion queue
 *   DRAIN                          run the DMA completion queue
 *   STOP                           dev_stop_accepting()
 *   SHUTDOWN                       dev_shutdown(), then forget the slots
 *
 * After the last operation every slot is released, then dev_shutdown()
 * answers what is left: an input never leaves state for the next.
 */
#pragma once

#include <linux/ioctl.h>

#include <dmabufd/common.h>
#include <dmabufd/dma_buf.h>
#include <dmabufd/dma_heap.h>
#include <dmabufd/dmaengine.h>
#include <dmabufd/sw_sync.h>
#include <dmabufd/sync_file.h>

enum dev_fuzz_op {
	DEV_FUZZ_OPEN,
	DEV_FUZZ_RELEASE,
	DEV_FUZZ_IOCTL,
	DEV_FUZZ_POLL,
	DEV_FUZZ_INTERRUPT,
	DEV_FUZZ_ADVANCE,
	DEV_FUZZ_DRAIN,
	DEV_FUZZ_STOP,
	DEV_FUZZ_SHUTDOWN,
	_DEV_FUZZ_OPS,
};

#define DEV_FUZZ_SLOTS 8
#define DEV_FUZZ_VALUES 32
#define DEV_FUZZ_MAX_PAYLOAD 4096

/* OPEN's how bits */
#define DEV_FUZZ_OPEN_NONBLOCK 0x04
#define DEV_FUZZ_OPEN_UID1000 0x08
#define DEV_FUZZ_OPEN_PID0 0x10

/* The node order of node_registry_build() with one heap ("system"). */
enum dev_fuzz_node {
	DEV_FUZZ_NODE_HEAP,
	DEV_FUZZ_NODE_DMA_BUF,
	DEV_FUZZ_NODE_SYNC_FILE,
	DEV_FUZZ_NODE_SW_SYNC,
	DEV_FUZZ_NODE_DMAENGINE,
};

/* The kernel's numbers that dmabufd answers EOPNOTSUPP or dispatches on
 * _IOC_NR (the heap node), with the kernel's sizes. */
#define DEV_FUZZ_KERNEL_HEAP_ALLOC _IOC(_IOC_READ | _IOC_WRITE, 'H', 0, 24)
#define DEV_FUZZ_KERNEL_EXPORT_SYNC_FILE _IOC(_IOC_READ | _IOC_WRITE, 'b', 2, 8)
#define DEV_FUZZ_KERNEL_IMPORT_SYNC_FILE _IOC(_IOC_WRITE, 'b', 3, 8)
#define DEV_FUZZ_KERNEL_SET_NAME _IOC(_IOC_WRITE, 'b', 1, 8)

/* Every command of every node; IOCTL's cmd operand indexes it. */
static const unsigned dev_fuzz_cmds[] = {
	DMABUFD_IOC_CLAIM,		/* 0 */
	DMABUFD_IOC_EXPORT_TOKEN,
	DMABUFD_HEAP_IOC_ALLOC,
	DEV_FUZZ_KERNEL_HEAP_ALLOC,
	DMA_BUF_IOCTL_SYNC,
	DMABUFD_DMA_BUF_IOC_INFO,	/* 5 */
	DMABUFD_DMA_BUF_IOC_SET_NAME,
	DMABUFD_DMA_BUF_IOC_GET_NAME,
	DMABUFD_DMA_BUF_IOC_EXPORT_SYNC_FILE,
	DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE,
	DMABUFD_DMA_BUF_IOC_MAP,	/* 10 */
	DEV_FUZZ_KERNEL_EXPORT_SYNC_FILE,
	DEV_FUZZ_KERNEL_IMPORT_SYNC_FILE,
	DEV_FUZZ_KERNEL_SET_NAME,
	SYNC_IOC_MERGE,
	SYNC_IOC_FILE_INFO,		/* 15 */
	SYNC_IOC_SET_DEADLINE,
	DMABUFD_SYNC_IOC_MERGE,
	DMABUFD_SYNC_IOC_FILE_INFO,
	DMABUFD_SYNC_IOC_WAIT,
	SW_SYNC_IOC_CREATE_FENCE,	/* 20 */
	SW_SYNC_IOC_INC,
	SW_SYNC_GET_DEADLINE,
	DMABUFD_SW_SYNC_IOC_CREATE_FENCE,
	DMABUFD_SW_SYNC_IOC_GET_DEADLINE,
	DMABUFD_DMA_IOC_REQUEST_CHAN,	/* 25 */
	DMABUFD_DMA_IOC_CAPS,
	DMABUFD_DMA_IOC_SLAVE_CONFIG,
	DMABUFD_DMA_IOC_ATTACH,
	DMABUFD_DMA_IOC_DETACH,
	DMABUFD_DMA_IOC_PREP,		/* 30 */
	DMABUFD_DMA_IOC_SUBMIT,
	DMABUFD_DMA_IOC_ISSUE_PENDING,
	DMABUFD_DMA_IOC_TX_STATUS,
	DMABUFD_DMA_IOC_FENCE,
	DMABUFD_DMA_IOC_CONTROL,	/* 35 */
	DMABUFD_DMA_IOC_EVENTS,
};

#define DEV_FUZZ_NCMDS (sizeof(dev_fuzz_cmds) / sizeof(dev_fuzz_cmds[0]))
