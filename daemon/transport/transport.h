/* SPDX-License-Identifier: MIT */
/*
 * transport - how the nodes of daemon/dev reach processes: as CUSE
 * character devices (cuse.c, the product) or as files of a FUSE mount
 * (fuse.c, the fallback where the kernel has no CUSE). Both adapt libfuse
 * to the dev layer and nothing more; session.c holds what they share
 * (driving a fuse_session from the libuv loop, and the open / release /
 * ioctl / poll adapters).
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <uv.h>

struct dev_node;

struct transport_hooks {
	/* @node can now be opened by processes. */
	void (*node_live)(struct dev_node *node);
	/* A session ended without being asked to (the mount went away, the
	 * CUSE connection was aborted): the daemon should stop. */
	void (*gone)(const char *why);
};

/* True if /dev/cuse exists (the kernel has CUSE). */
bool cuse_transport_available(void);

/*
 * Start one CUSE session per registered node, named DEVNAME=<node name>,
 * with restricted ioctls. Nodes become live when their CUSE_INIT has
 * been processed by the loop (hooks->node_live). Returns 0, or a negative
 * errno with a message logged (nothing left started).
 */
int cuse_transport_start(uv_loop_t *loop, const struct transport_hooks *hooks);
/* Close every CUSE session (the kernel removes the device nodes). */
void cuse_transport_stop(void);
/*
 * Apply node_get_access() (group and mode, dev/node.h) again to every
 * live CUSE node: call it after node_set_access() on a reload (SIGHUP).
 * Nodes that become live later get it anyway. Failures are logged (a
 * warning per node), never fatal. Does nothing when CUSE is not running.
 */
void cuse_transport_apply_access(void);

/*
 * Mount the nodes as files under @root (created if missing; a stale mount
 * of a killed instance there is detached first). Returns 0, or a negative
 * errno with a message logged.
 */
int fuse_transport_start(uv_loop_t *loop, const char *root,
			 const struct transport_hooks *hooks);
/* Unmount and close the FUSE session. */
void fuse_transport_stop(void);
/*
 * The FUSE files report node_get_access() in their attributes (owner:
 * the daemon's user); the kernel caches attributes, so after
 * node_set_access() on a reload (SIGHUP) call this to make it ask again.
 * Does nothing when FUSE is not running.
 */
void fuse_transport_apply_access(void);
