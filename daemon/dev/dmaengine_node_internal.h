/* SPDX-License-Identifier: MIT */
/*
 * What the files of the dmaengine node tell each other (not for the rest
 * of the daemon, which has dmaengine_node.h): the per-fd state, the
 * transfer records, and the calls across files. The node's life cycle and
 * its rules are at the top of dmaengine_node.c; each file says what it
 * serves:
 *
 *   dmaengine_node.c         dispatch, open, release, poll; the listing
 *   dmaengine_node_chan.c    REQUEST_CHAN, controllers coming and going,
 *                            CAPS, SLAVE_CONFIG, CONTROL
 *   dmaengine_node_attach.c  ATTACH, DETACH
 *   dmaengine_node_prep.c    PREP, SUBMIT, ISSUE_PENDING
 *   dmaengine_node_xfer.c    a transfer's life: the fd's fences, cookies,
 *                            ends, events, the status page's contents
 *   dmaengine_node_status.c  TX_STATUS, WAIT, FENCE, STATUS_MAP, EVENTS
 *
 * Threading: loop thread only, all of it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <dmabufd/dmaengine.h>

#include "dmaengine/cookie.h"
#include "dmaengine/dma_cq.h"
#include "dmaengine/dma_xfer.h"
#include "dmaengine/dmaengine.h"
#include "model/clock.h"
#include "dmaengine_node.h"
#include "node_ops.h"
#include "status_page.h"

/* The longest transfer: residues are 32-bit (struct dma_tx_state). */
#define DMA_NODE_MAX_LEN UINT32_MAX

enum xfer_state {
	XFER_PREPARED,
	XFER_SUBMITTED,
	XFER_ISSUED,
	XFER_ENDED,
};

struct dma_node_att {
	uint32_t id;
	int mode;		/* what the token granted (O_ACCMODE) */
	unsigned users;		/* transfers not ended that use it */
	struct dma_xfer_att *att;
	LIST_ENTRY(dma_node_att) link;
};

/* One engine transfer: a segment of a dma_node_xfer. */
struct dma_node_piece {
	struct dma_node_xfer *x;
	struct dma_xfer *xfer;	    /* until reaped after the end */
	struct fence *engine_fence; /* dma_xfer_fence(), once issued */
	struct fence_cb cb;	    /* on engine_fence */
	bool armed;
	struct dma_node_att *dst, *src; /* counted users, until the end */
};

struct dma_node_xfer {
	struct dmaengine_file *df;
	uint64_t seq;		/* 1, 2, ... in the fd's prepare order */
	enum xfer_state state;
	uint32_t desc_id;	/* while prepared */
	dma_cookie_t cookie;	/* from SUBMIT on */
	uint32_t type;		/* DMABUFD_DMA_MEMCPY, _SLAVE, _CYCLIC */
	uint32_t direction;
	uint32_t flags;		/* the PREP flags */
	uint64_t len;
	struct fence *fence;	/* the fd's, from SUBMIT on (for FENCE) */
	bool no_event;		/* terminated: no completion notice */
	int error;		/* once ended: 0 or the first piece's error */
	unsigned pending;	/* issued pieces not ended */
	TAILQ_ENTRY(dma_node_xfer) link;
	unsigned npieces;
	struct dma_node_piece piece[];
};

TAILQ_HEAD(xfer_list, dma_node_xfer);

struct dmaengine_file {
	struct dev_file *file;
	struct dma_chan *chan;
	bool named_chan;	/* we set chan->dbg_client_name */
	bool chan_charged;	/* ACCT_CHANNELS charged for chan or request */

	/* A REQUEST_CHAN waiting for a controller. */
	struct dev_req *request;
	struct dmabufd_dma_request request_in;
	struct timer request_timer;
	uint64_t request_deadline;
	TAILQ_ENTRY(dmaengine_file) wait_link;

	LIST_HEAD(, dma_node_att) atts;
	unsigned num_atts;
	uint32_t next_att_id;

	struct xfer_list prepared, submitted, issued, history;
	unsigned num_live;	/* prepared + submitted + issued */
	unsigned num_history;
	uint32_t next_desc_id;
	uint64_t last_xfer_seq;	/* the last dma_node_xfer.seq given */
	uint64_t fence_context;
	dma_cookie_t cookie;	/* last handed out */
	dma_cookie_t completed;	/* every cookie up to it has ended */
	bool wrapped;		/* cookies went past DMA_MAX_COOKIE */
	struct dma_cq_entry reap;
	struct dma_cq_entry gone;	/* the channel's controller went away */
	/* TERMINATE ran and no SYNCHRONIZE since: the controller may still
	 * be inside a terminated transfer, so nothing it used may be freed
	 * before dmaengine_synchronize() (dma_node_att_free() calls it). */
	bool unsynced;
	bool paused;		/* PAUSE succeeded; no RESUME or TERMINATE since */
	/* The status page (STATUS_MAP), from its first request on. */
	struct status_page *status;

	struct dmabufd_dma_event events[DMABUFD_DMA_EVENT_QUEUE];
	unsigned ev_head, ev_count;
	uint32_t ev_lost;

	LIST_ENTRY(dmaengine_file) link;
};

/* Every open dmaengine fd (dmaengine_node.c). */
LIST_HEAD(dma_node_file_list, dmaengine_file);
extern struct dma_node_file_list dma_node_files;

/*
 * The ioctl handlers below answer their request exactly once. Every one
 * but REQUEST_CHAN runs only on an fd that holds a channel; on a channel
 * whose controller went away, only the ones that read how transfers
 * ended or let an attachment go (dmaengine_ioctl()).
 */

/* ---- dmaengine_node_xfer.c ---------------------------------------------- */

/* The DMABUFD_DMA_TRANS_* result of an end with @error (0: success). */
uint32_t dma_node_result_of(int error);
/* Put on @df's status page (if any) what TX_STATUS without residue
 * answers now; run before such a change shows anywhere else. */
void dma_node_status_publish(struct dmaengine_file *df);
/* Recompute @df->completed from the oldest live cookie; publish. */
void dma_node_update_completed(struct dmaengine_file *df);
/* Free an ended or never-submitted record and what it still holds; its
 * fence, if it has not signaled, signals -ECANCELED. */
void dma_node_xfer_free(struct dma_node_xfer *x);
/* The period callback of a cyclic transfer asked to notify (@data: x). */
void dma_node_xfer_period_fired(struct dma_xfer *xfer, void *data);
/* The completion-queue entry @df->reap: drop the dma_xfers of ended
 * transfers and trim the history. */
void dma_node_reap_fired(struct dma_cq_entry *entry);
/* End a transfer that was never issued (see there for @error). */
void dma_node_xfer_cancel(struct dma_node_xfer *x, int error);
/* Give a prepared @x the fd's next cookie and its fence: 0 or -ENOMEM
 * (nothing changed). */
int dma_node_xfer_submit(struct dma_node_xfer *x);
/* Hand @df's submitted transfers to the channel, in order: 0 or the
 * error of the first that could not be queued. */
int dma_node_issue_pending(struct dmaengine_file *df);
/* The submitted, issued or remembered transfer of @cookie, or NULL. */
struct dma_node_xfer *dma_node_xfer_find_cookie(struct dmaengine_file *df,
						dma_cookie_t cookie);
/* True if @df has handed out @cookie at some point. */
bool dma_node_cookie_was_used(const struct dmaengine_file *df,
			      dma_cookie_t cookie);
/* The status of an issued @x from its pieces', with the summed residue
 * and bytes in flight in *ret_state and its error in *ret_error. */
enum dma_status dma_node_xfer_status(const struct dma_node_xfer *x,
				     struct dma_tx_state *ret_state,
				     int *ret_error);

/* ---- dmaengine_node_chan.c ---------------------------------------------- */

/* Channels held by dmaengine node fds (DMABUFD_STAT_DMA_CHANNELS). */
unsigned dmaengine_node_channels_held(void);

/* The completion-queue entry @df->gone: the channel's controller went
 * away; submitted transfers end -ENODEV. */
void dma_node_gone_fired(struct dma_cq_entry *entry);
/* The timer of a deferred REQUEST_CHAN (@df->request_timer). */
void dma_node_request_timer_fired(struct timer *timer);
/* Forget @df's deferred request, if any, without answering it. */
void dma_node_request_unwait(struct dmaengine_file *df);
/* At release, once nothing uses it: give @df's channel back (if it
 * has one) and the channel charge. */
void dma_node_chan_release(struct dmaengine_file *df);
void dma_node_request_ioctl(struct dev_req *req);
void dma_node_caps_ioctl(struct dev_req *req);
void dma_node_slave_config_ioctl(struct dev_req *req);
void dma_node_control_ioctl(struct dev_req *req);

/* ---- dmaengine_node_attach.c -------------------------------------------- */

/* @df's attachment @id, or NULL. */
struct dma_node_att *dma_node_att_find(struct dmaengine_file *df, uint32_t id);
/* Free @a (no transfer uses it), synchronizing the channel first if a
 * TERMINATE has not been followed by one. */
void dma_node_att_free(struct dmaengine_file *df, struct dma_node_att *a);
void dma_node_attach_ioctl(struct dev_req *req);
void dma_node_detach_ioctl(struct dev_req *req);

/* ---- dmaengine_node_prep.c ---------------------------------------------- */

void dma_node_prep_ioctl(struct dev_req *req);
void dma_node_submit_ioctl(struct dev_req *req);
void dma_node_issue_pending_ioctl(struct dev_req *req);

/* ---- dmaengine_node_status.c -------------------------------------------- */

void dma_node_tx_status_ioctl(struct dev_req *req);
void dma_node_wait_ioctl(struct dev_req *req);
void dma_node_fence_ioctl(struct dev_req *req);
/* node_ops.blockers: a parked WAIT's transfer's unsignaled implicit
 * fences, over its pieces. */
unsigned dma_node_wait_blockers(const struct dev_req *req, struct fence **ret,
				unsigned max);
void dma_node_status_map_ioctl(struct dev_req *req);
void dma_node_events_ioctl(struct dev_req *req);
