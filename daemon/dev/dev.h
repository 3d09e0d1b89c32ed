/* SPDX-License-Identifier: MIT */
/*
 * dev - the transport-neutral device layer: what a dmabufd node does when
 * it is opened, ioctl'ed, polled and released, written once for CUSE and
 * the FUSE fallback (DESIGN.md §3).
 *
 *   transport (cuse.c, fuse.c)  adapts libfuse: it creates a dev_file on
 *                               open, a dev_req per ioctl, asks
 *                               dev_file_poll() on poll, and calls
 *                               dev_file_release() on release;
 *   dev (this folder)           nodes, files, requests, tokens and the
 *                               ioctl handlers of every node type;
 *   model (daemon/model)        the objects themselves.
 *
 * This layer includes neither libfuse nor libuv. What it needs from the
 * transport (replying, interrupts, poll handles) goes through struct
 * dev_transport_ops; every errno crossing it is negative.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dmabufd/control.h>

struct dev_req;

/*
 * What a transport provides to the dev layer. @treq is the transport's
 * request (a fuse_req_t), @ph its poll handle (a struct fuse_pollhandle *).
 */
struct dev_transport_ops {
	const char *name;
	/* Answer @treq with @result (>= 0) and @size bytes of @out. */
	void (*reply)(void *treq, int result, const void *out, size_t size);
	/* Answer @treq with the error @neg_errno (< 0). */
	void (*reply_error)(void *treq, int neg_errno);
	/*
	 * Ask for dev_req_interrupted(@req) when the caller of @treq is
	 * interrupted. Returns 0, or -EINTR if it has been interrupted
	 * already (then nothing is registered and the caller replies).
	 */
	int (*set_interrupt)(void *treq, struct dev_req *req);
	/* Wake the pollers of @ph. */
	void (*poll_notify)(void *ph);
	/* Free @ph. */
	void (*poll_destroy)(void *ph);
};

struct dev_config {
	uint64_t token_ttl_ns; /* 0: DMABUFD_TOKEN_TTL_MS */
	uint64_t max_wait_ns;  /* cap on every blocking ioctl; 0: default */
	uint64_t hang_report_ns; /* dev_set_hang_report() (request.h); 0: off */
};

#define DEV_DEFAULT_MAX_WAIT_NS (60ull * 1000000000ull)

/*
 * Apply @config: before the first open, and again on a reload (SIGHUP),
 * after which new tokens and new waits take the new values.
 */
void dev_init(const struct dev_config *config);

/* The cap on blocking ioctls, in ns. */
int64_t dev_max_wait_ns(void);

/*
 * The first step of a graceful stop: from now on every open fails with
 * -ENODEV and every new ioctl is answered -ENODEV before its handler
 * runs. Requests already deferred, polls and releases go on, so
 * transfers in flight can finish and their waiters hear of it.
 */
void dev_stop_accepting(void);
bool dev_stopping(void);
/* Accept work again after a stop (tests start afresh in one process). */
void dev_restart(void);

/*
 * Daemon shutdown (implies dev_stop_accepting()). First the files that
 * produce fences are released, their own pending requests answered
 * -ENODEV: a sw_sync timeline signals its pending points -ENOENT, a
 * dmaengine file's channels end their transfers -ECANCELED, so each
 * pending fence signals with an error and the callers waiting on them get
 * their replies. Then every request still pending is answered -ENODEV,
 * and every other open file is released as if its last fd had closed
 * (the transports are about to go and will send no more releases).
 * Call before the transports destroy their sessions.
 */
void dev_shutdown(void);

/* Fill @ret_stats with the live counts (proto/dmabufd/control.h). */
void dev_get_stats(struct dmabufd_ctl_stats *ret_stats);

/* Count one node request a transport answers: @which is one of
 * DMABUFD_STAT_REQ_OPENS .. DMABUFD_STAT_REQ_OTHER. */
void dev_count_request(enum dmabufd_stat which);
