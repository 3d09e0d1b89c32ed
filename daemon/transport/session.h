/* SPDX-License-Identifier: MIT */
/*
 * What the CUSE and FUSE transports share (internal to daemon/transport).
 *
 * struct tsession drives one fuse_session from the libuv loop: its fd is
 * non-blocking and watched by a uv_poll; each wake-up receives and
 * processes the queued requests. Life cycle: tsession_start() after the
 * session has its fd; tsession_stop() closes the poll handle (the struct
 * is freed from its close callback) and destroys the session, after
 * @before_destroy (unmount, say) has run.
 *
 * ts_open/ts_release/ts_ioctl/ts_poll adapt the lowlevel requests to
 * daemon/dev; the dev layer answers through ts_dev_ops.
 */
#pragma once

#define FUSE_USE_VERSION 35

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <uv.h>

#include "dev/dev.h"

struct dev_node;
struct tsession;

/*
 * Watch @se (which has its fd) in @loop. @on_exit runs once if the
 * session ends on its own (unmount, abort, read error). Returns 0 and
 * *ret_ts, or a negative errno (@se is then still the caller's).
 */
int tsession_start(uv_loop_t *loop, struct fuse_session *se,
		   void (*on_exit)(struct tsession *ts, void *data),
		   void *data, struct tsession **ret_ts);

/* Stop watching, run @before_destroy(@se) if given, destroy the session. */
void tsession_stop(struct tsession *ts,
		   void (*before_destroy)(struct fuse_session *se));

extern const struct dev_transport_ops ts_dev_ops;

void ts_open(struct dev_node *node, fuse_req_t req, struct fuse_file_info *fi);
void ts_release(fuse_req_t req, struct fuse_file_info *fi);
void ts_ioctl(fuse_req_t req, unsigned cmd, struct fuse_file_info *fi,
	      unsigned flags, const void *in_buf, size_t in_bufsz,
	      size_t out_bufsz);
void ts_poll(fuse_req_t req, struct fuse_file_info *fi,
	     struct fuse_pollhandle *ph);
void ts_read(fuse_req_t req, size_t size, off_t off,
	     struct fuse_file_info *fi);
void ts_write(fuse_req_t req, const char *buf, size_t size, off_t off,
	      struct fuse_file_info *fi);
