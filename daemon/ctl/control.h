/* SPDX-License-Identifier: MIT */
/*
 * control - the control socket (proto/dmabufd/control.h): a
 * SOCK_SEQPACKET Unix socket that redeems mapping tokens for memfds,
 * reports live-object counts, lists the live objects (heaps, buffers,
 * fences, timelines, DMA controllers, channels, transfers) and injects
 * DMA faults.
 *
 * Life cycle: control_start() binds (replacing a stale socket file: the
 * caller holds the instance lock) and watches the socket with uv_poll;
 * each accepted client gets its own uv_poll and is freed from its close
 * callback. control_stop() closes every client and the listener and
 * removes the socket file.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <uv.h>

/* Returns 0, or a negative errno with a message logged. */
int control_start(uv_loop_t *loop, const char *path);
void control_stop(void);
