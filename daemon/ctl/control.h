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
 * each accepted client gets its own uv_poll and a uv_timer (the deadline
 * of a reply waiting for room) and is freed from the close callback of
 * the last of them, with the rest of a reply not sent yet. Clients are
 * capped per peer uid and in all (control.c). control_stop() closes every
 * client and the listener and removes the socket file.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <uv.h>

#include <dmabufd/control.h>

/* Returns 0, or a negative errno with a message logged. */
int control_start(uv_loop_t *loop, const char *path);
void control_stop(void);

/*
 * Who fills DMABUFD_CTL_INFO's facts of the daemon (version, config,
 * dev_root, transport, nodes, uptime; pid is set already): main.c. The
 * control socket adds the limits. NULL: none but the pid and limits.
 * Called on the loop thread for each INFO request; must not block.
 */
typedef void (*control_info_fn)(struct dmabufd_ctl_info *info);
void control_set_info(control_info_fn fn);
