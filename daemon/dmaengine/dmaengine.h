/* SPDX-License-Identifier: MIT */
/*
 * dmaengine - the daemon's DMA engine core (include/linux/dmaengine.h and
 * drivers/dma/dmaengine.c, Linux 6.12): controllers (dma_device) with
 * channels (dma_chan), descriptors with cookies and completion callbacks,
 * and the client API that requests channels and drives them.
 *
 * Life cycle.
 *   A backend embeds a struct dma_device and one struct dma_chan per
 *   channel in its own state, calls dma_device_init(), fills in the
 *   device's fields (name, ops, cap_mask, slave caps), adds its channels
 *   with dma_device_add_chan() and calls dma_async_device_register(). The
 *   core names the device dma<N> and its channels dma<N>chan<M>.
 *   A client takes a channel (dma_request_chan(), dma_request_channel(),
 *   dma_request_chan_by_mask(), dma_get_slave_channel(), or the public
 *   allocator dmaengine_get() + dma_find_channel()). The first client of a
 *   channel calls device_alloc_chan_resources; the last one to let go
 *   calls device_synchronize then device_free_chan_resources (lazy channel
 *   resources). A held channel holds a reference on its device.
 *   dma_async_device_unregister() takes the device off the list at once
 *   (no new request finds it), aborts the work of every channel with
 *   -ENODEV, and makes every later call on its channels fail with -ENODEV;
 *   the device is freed (ops->device_release) only when the last client
 *   has released its channel.
 *
 * Descriptors. A prep call returns a descriptor owned by the backend;
 * dmaengine_submit() gives it a cookie and queues it, and
 * dma_async_issue_pending() starts the queue. The core tracks every
 * submitted descriptor until its completion callback has run or it has
 * been aborted, so that terminate, the watchdog and device removal can
 * account for each one. After completion or abort the descriptor belongs
 * to the backend again: the client must not touch it.
 *
 * Results. A completed descriptor reports a struct dmaengine_result through
 * callback_result (or the plain callback). As the provider contract
 * requires, no client callback runs for a transfer that terminate aborts:
 * its cookie then reads DMA_ERROR from dmaengine_tx_status() (as does the
 * cookie of a transfer that completed with READ_FAILED / WRITE_FAILED), and
 * transfers made through dma_xfer.h signal their fence with -ECANCELED
 * (terminate), -ETIMEDOUT (watchdog) or -ENODEV (device gone).
 *
 * Deferral. A request by name for a controller that is not registered yet
 * fails with -EAGAIN (the kernel's -EPROBE_DEFER, which cannot cross FUSE).
 * Registration and removal of a device are announced to every registered
 * struct dma_notifier, so the daemon can retry deferred requests.
 *
 * Threading and locking. Everything here runs on the loop thread that owns
 * the object model, and so needs no lock: cookies, the channel lists, the
 * channel table. The one exception is the completion queue (dma_cq.h),
 * which a backend's worker threads post to and the loop drains. Backends
 * keep whatever they share with their own threads under their own lock,
 * and call the provider functions of this header (dma_desc_*) from the
 * loop thread only, usually from a completion-queue handler.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "dma_cq.h"
#include "model/clock.h"
#include "model/dma_buf.h"
#include "util/macros.h"

typedef int32_t dma_cookie_t;
typedef uint64_t dma_addr_t;

#define DMA_MIN_COOKIE 1
#define DMA_MAX_COOKIE INT32_MAX

/* c if c is an error (< 0), else 0. */
static inline int dma_submit_error(dma_cookie_t cookie)
{
	return cookie < 0 ? cookie : 0;
}

enum dma_status {
	DMA_COMPLETE = 0,
	DMA_IN_PROGRESS = 1,
	DMA_PAUSED = 2,
	DMA_ERROR = 3,
	DMA_OUT_OF_ORDER = 4,
};

enum dma_transaction_type {
	DMA_MEMCPY,
	DMA_XOR,
	DMA_PQ,
	DMA_XOR_VAL,
	DMA_PQ_VAL,
	DMA_MEMSET,
	DMA_MEMSET_SG,
	DMA_INTERRUPT,
	DMA_PRIVATE,
	DMA_ASYNC_TX,
	DMA_SLAVE,
	DMA_CYCLIC,
	DMA_INTERLEAVE,
	DMA_COMPLETION_NO_ORDER,
	DMA_REPEAT,
	DMA_LOAD_EOT,
	DMA_TX_TYPE_END,
};

enum dma_transfer_direction {
	DMA_MEM_TO_MEM = 0,
	DMA_MEM_TO_DEV = 1,
	DMA_DEV_TO_MEM = 2,
	DMA_DEV_TO_DEV = 3,
	DMA_TRANS_NONE = 4,
};

/* enum dma_ctrl_flags: the prep flags. */
enum dma_ctrl_flags {
	DMA_PREP_INTERRUPT = 1 << 0,
	DMA_CTRL_ACK = 1 << 1,
	DMA_PREP_PQ_DISABLE_P = 1 << 2,
	DMA_PREP_PQ_DISABLE_Q = 1 << 3,
	DMA_PREP_CONTINUE = 1 << 4,
	DMA_PREP_FENCE = 1 << 5,
	DMA_CTRL_REUSE = 1 << 6,
	DMA_PREP_CMD = 1 << 7,
	DMA_PREP_REPEAT = 1 << 8,
	DMA_PREP_LOAD_EOT = 1 << 9,
};
#define DMA_PREP_VALID_FLAGS ((1ul << 10) - 1)

enum dma_residue_granularity {
	DMA_RESIDUE_GRANULARITY_DESCRIPTOR = 0,
	DMA_RESIDUE_GRANULARITY_SEGMENT = 1,
	DMA_RESIDUE_GRANULARITY_BURST = 2,
};

enum dma_slave_buswidth {
	DMA_SLAVE_BUSWIDTH_UNDEFINED = 0,
	DMA_SLAVE_BUSWIDTH_1_BYTE = 1,
	DMA_SLAVE_BUSWIDTH_2_BYTES = 2,
	DMA_SLAVE_BUSWIDTH_3_BYTES = 3,
	DMA_SLAVE_BUSWIDTH_4_BYTES = 4,
	DMA_SLAVE_BUSWIDTH_8_BYTES = 8,
	DMA_SLAVE_BUSWIDTH_16_BYTES = 16,
	DMA_SLAVE_BUSWIDTH_32_BYTES = 32,
	DMA_SLAVE_BUSWIDTH_64_BYTES = 64,
	DMA_SLAVE_BUSWIDTH_128_BYTES = 128,
};

/* The kernel's struct dma_slave_config, fields in the kernel's order. */
struct dma_slave_config {
	enum dma_transfer_direction direction; /* deprecated: use the prep's */
	dma_addr_t src_addr;
	dma_addr_t dst_addr;
	enum dma_slave_buswidth src_addr_width;
	enum dma_slave_buswidth dst_addr_width;
	uint32_t src_maxburst;
	uint32_t dst_maxburst;
	uint32_t src_port_window_size;
	uint32_t dst_port_window_size;
	bool device_fc;
	void *peripheral_config;
	size_t peripheral_size;
};

struct dma_slave_caps {
	uint32_t src_addr_widths; /* bit n: width of n bytes supported */
	uint32_t dst_addr_widths;
	uint32_t directions;	  /* bit n: enum dma_transfer_direction n */
	uint32_t min_burst;
	uint32_t max_burst;
	uint32_t max_sg_burst;
	bool cmd_pause;
	bool cmd_resume;
	bool cmd_terminate;
	enum dma_residue_granularity residue_granularity;
	bool descriptor_reuse;
};

struct dma_tx_state {
	dma_cookie_t last;
	dma_cookie_t used;
	uint32_t residue;
	uint32_t in_flight_bytes;
};

enum dmaengine_tx_result {
	DMA_TRANS_NOERROR = 0,
	DMA_TRANS_READ_FAILED = 1,
	DMA_TRANS_WRITE_FAILED = 2,
	DMA_TRANS_ABORTED = 3,
};

struct dmaengine_result {
	enum dmaengine_tx_result result;
	uint32_t residue;
};

/* The capability bitmap (DMA_TX_TYPE_END bits). */
typedef struct {
	unsigned long bits[1];
} dma_cap_mask_t;

static inline void dma_cap_zero(dma_cap_mask_t *m) { m->bits[0] = 0; }
static inline void dma_cap_set(enum dma_transaction_type t, dma_cap_mask_t *m)
{
	m->bits[0] |= 1ul << t;
}
static inline void dma_cap_clear(enum dma_transaction_type t, dma_cap_mask_t *m)
{
	m->bits[0] &= ~(1ul << t);
}
static inline bool dma_has_cap(enum dma_transaction_type t, dma_cap_mask_t m)
{
	return (m.bits[0] >> t) & 1ul;
}

/* A scatter-gather element: the model's dma_buf_sgt entry. */
typedef struct dma_buf_sg_entry dma_sg_t;

struct dma_chan;
struct dma_device;
struct dma_async_tx_descriptor;
struct dma_xfer;
struct dma_xfer_att;
struct dma_interleaved_template; /* no backend implements interleave yet */

typedef void (*dma_async_tx_callback)(void *param);
typedef void (*dma_async_tx_callback_result)(void *param,
					     const struct dmaengine_result *result);

/*
 * A transfer descriptor. The backend allocates it (from a per-channel
 * pool: see virt_dma.h) and fills in cookie (0), flags, chan, tx_submit
 * and desc_free; the client sets the callbacks before submitting.
 */
struct dma_async_tx_descriptor {
	dma_cookie_t cookie;
	unsigned long flags;
	struct dma_chan *chan;
	/* Assign the cookie and queue the descriptor; returns the cookie
	 * or a negative errno. Loop thread. */
	dma_cookie_t (*tx_submit)(struct dma_async_tx_descriptor *tx);
	/* Give an unsubmitted descriptor back. Returns 0 or -errno. */
	int (*desc_free)(struct dma_async_tx_descriptor *tx);
	dma_async_tx_callback callback;
	dma_async_tx_callback_result callback_result;
	void *callback_param;

	/* Core-private from here. */
	size_t len;	  /* bytes the transfer moves (one period set if cyclic) */
	bool cyclic;
	bool issued;	  /* dma_async_issue_pending() has seen it */
	bool tracked;	  /* on its channel's active list */
	TAILQ_ENTRY(dma_async_tx_descriptor) core_node;
};

/*
 * The provider's ops. Kernel names; prep ops return 0 and *ret_tx, or a
 * negative errno (the kernel's NULL). Every op is called on the loop
 * thread. Required: device_tx_status and device_issue_pending, plus the
 * prep op of each capability claimed (checked at registration).
 */
struct dma_device_ops {
	/* First client takes the channel: >= 0 (descriptors available) or
	 * a negative errno. Optional. */
	int (*device_alloc_chan_resources)(struct dma_chan *chan);
	/* Last client let go, after device_synchronize. Optional. */
	void (*device_free_chan_resources)(struct dma_chan *chan);

	int (*device_prep_dma_memcpy)(struct dma_chan *chan, dma_addr_t dst,
				      dma_addr_t src, size_t len,
				      unsigned long flags,
				      struct dma_async_tx_descriptor **ret_tx);
	/* dmabufd: memcpy between two scatter lists of the same total
	 * length (what a dma-buf to dma-buf copy needs). Optional. */
	int (*device_prep_dma_memcpy_sg)(struct dma_chan *chan,
					 const dma_sg_t *dst_sg, unsigned dst_nents,
					 const dma_sg_t *src_sg, unsigned src_nents,
					 unsigned long flags,
					 struct dma_async_tx_descriptor **ret_tx);
	int (*device_prep_dma_xor)(struct dma_chan *chan, dma_addr_t dst,
				   const dma_addr_t *src, unsigned src_cnt,
				   size_t len, unsigned long flags,
				   struct dma_async_tx_descriptor **ret_tx);
	int (*device_prep_dma_xor_val)(struct dma_chan *chan,
				       const dma_addr_t *src, unsigned src_cnt,
				       size_t len, uint32_t *result,
				       unsigned long flags,
				       struct dma_async_tx_descriptor **ret_tx);
	int (*device_prep_dma_pq)(struct dma_chan *chan, const dma_addr_t *dst,
				  const dma_addr_t *src, unsigned src_cnt,
				  const unsigned char *scf, size_t len,
				  unsigned long flags,
				  struct dma_async_tx_descriptor **ret_tx);
	int (*device_prep_dma_pq_val)(struct dma_chan *chan, const dma_addr_t *pq,
				      const dma_addr_t *src, unsigned src_cnt,
				      const unsigned char *scf, size_t len,
				      uint32_t *pqres, unsigned long flags,
				      struct dma_async_tx_descriptor **ret_tx);
	int (*device_prep_dma_memset)(struct dma_chan *chan, dma_addr_t dest,
				      int value, size_t len, unsigned long flags,
				      struct dma_async_tx_descriptor **ret_tx);
	int (*device_prep_dma_interrupt)(struct dma_chan *chan,
					 unsigned long flags,
					 struct dma_async_tx_descriptor **ret_tx);
	int (*device_prep_slave_sg)(struct dma_chan *chan, const dma_sg_t *sgl,
				    unsigned sg_len,
				    enum dma_transfer_direction dir,
				    unsigned long flags,
				    struct dma_async_tx_descriptor **ret_tx);
	int (*device_prep_dma_cyclic)(struct dma_chan *chan, dma_addr_t buf_addr,
				      size_t buf_len, size_t period_len,
				      enum dma_transfer_direction dir,
				      unsigned long flags,
				      struct dma_async_tx_descriptor **ret_tx);
	int (*device_prep_interleaved_dma)(struct dma_chan *chan,
					   const struct dma_interleaved_template *xt,
					   unsigned long flags,
					   struct dma_async_tx_descriptor **ret_tx);

	/* Per-channel refinement of the device's slave caps. Optional. */
	void (*device_caps)(struct dma_chan *chan, struct dma_slave_caps *caps);
	/* Applies to transfers prepared afterwards. */
	int (*device_config)(struct dma_chan *chan,
			     const struct dma_slave_config *config);
	int (*device_pause)(struct dma_chan *chan);
	int (*device_resume)(struct dma_chan *chan);
	/* Abort every prepared, submitted, issued and running descriptor;
	 * must not block and must not call client callbacks. */
	int (*device_terminate_all)(struct dma_chan *chan);
	/* Wait until the hardware has stopped touching memory and no
	 * callback runs. May block briefly. */
	void (*device_synchronize)(struct dma_chan *chan);
	/* Handle a NULL @state; report the residue of @cookie. */
	enum dma_status (*device_tx_status)(struct dma_chan *chan,
					    dma_cookie_t cookie,
					    struct dma_tx_state *state);
	void (*device_issue_pending)(struct dma_chan *chan);
	/* Free the backend's device after the last user let go. */
	void (*device_release)(struct dma_device *dev);
	/* dmabufd: bring a channel back after a hang (the watchdog calls it
	 * after terminate + synchronize). Returns 0 or -errno. Optional. */
	int (*device_reset)(struct dma_chan *chan);
};

#define DMA_CHAN_NAME_LEN 32
#define DMA_DEV_NAME_LEN 32
#define DMA_CLIENT_NAME_LEN 64
/* Recent cookies that ended in an error or an abort, per channel. */
#define DMA_CHAN_ERR_COOKIES 32
/* The watchdog's default deadline: dma_sync_wait()'s 5000 ms. */
#define DMA_CHAN_DEFAULT_TIMEOUT_MS 5000

/* Counters, as /sys/class/dma/<chan>/ would show them (and a few more). */
struct dma_chan_stats {
	uint64_t xfer_count;	    /* transfers completed without error */
	uint64_t bytes_transferred;
	uint64_t errors;	    /* READ_FAILED / WRITE_FAILED */
	uint64_t aborted;	    /* by terminate, watchdog or removal */
	uint64_t timeouts;	    /* watchdog firings */
};

struct dma_chan {
	struct dma_device *device;
	dma_cookie_t cookie;	       /* last cookie assigned */
	dma_cookie_t completed_cookie; /* last cookie completed */
	int chan_id;
	char name[DMA_CHAN_NAME_LEN];  /* "dma<dev_id>chan<chan_id>" */
	int client_count;
	int table_count;
	/* Request line from the name map (the DT dma-spec), else -1. The
	 * backend reads it in alloc_chan_resources and prep. */
	int request_line;
	void *private;		       /* a filter's, for the backend */
	char dbg_client_name[DMA_CLIENT_NAME_LEN];
	uid_t client_uid;	       /* the holder's uid (while client_count) */

	/* Core-private from here. */
	TAILQ_ENTRY(dma_chan) device_node;
	TAILQ_HEAD(, dma_async_tx_descriptor) active; /* submitted, not done */
	dma_cookie_t err_cookies[DMA_CHAN_ERR_COOKIES];
	unsigned err_next;
	bool privately_held;  /* taken by a request, not by dmaengine_get */
	bool paused;
	struct dma_chan_stats stats;
	/* Watchdog (watchdog.c). */
	struct timer watchdog;
	uint64_t timeout_ns;	/* 0: no watchdog */
	dma_cookie_t watched_cookie; /* the descriptor the timer is armed for */
	/* dma_xfer.c: transfers waiting for their fences, attachments,
	 * the channel's fence timeline, the deferred start of the queue's
	 * head (waiting for a descriptor). */
	TAILQ_HEAD(, dma_xfer) xfer_queue;
	TAILQ_HEAD(, dma_xfer) xfer_running;
	TAILQ_HEAD(, dma_xfer) xfer_aborting;
	TAILQ_HEAD(, dma_xfer_att) attachments;
	uint64_t fence_context;
	uint64_t fence_seqno;
	struct dma_cq_entry xfer_pump;
};

struct dma_device {
	/* Set by the backend between dma_device_init() and register. */
	char name[DMA_DEV_NAME_LEN];	 /* controller name, unique; the name
					  * map refers to it */
	const struct dma_device_ops *ops;
	dma_cap_mask_t cap_mask;
	uint32_t src_addr_widths;
	uint32_t dst_addr_widths;
	uint32_t directions;
	uint32_t min_burst;
	uint32_t max_burst;
	uint32_t max_sg_burst;
	enum dma_residue_granularity residue_granularity;
	bool descriptor_reuse;

	/* Core-private from here. */
	int dev_id;
	int chancnt;
	int privatecnt;
	unsigned ref;
	bool registered;
	bool dead;	/* unregistered: every call fails with -ENODEV */
	TAILQ_HEAD(, dma_chan) channels;
	TAILQ_ENTRY(dma_device) global_node; /* registered devices */
	TAILQ_ENTRY(dma_device) alive_node;  /* until device_release */
};

/* ---------------------------------------------------------------------
 * Provider side.
 */

/* Prepare @dev (zeroed core fields, empty channel list). Cannot fail. */
void dma_device_init(struct dma_device *dev);

/*
 * Add @chan (embedded in the backend's channel) to @dev before
 * registration; channels get ids in the order they are added. Returns 0,
 * -EINVAL for NULL arguments, or -EBUSY once @dev is registered.
 */
int dma_device_add_chan(struct dma_device *dev, struct dma_chan *chan);

/*
 * dma_async_device_register: validate and publish @dev. Fails with -EIO
 * (logging the capability or op by name) when device_tx_status or
 * device_issue_pending is missing or a capability is claimed without its
 * prep op (MEMCPY, XOR, XOR_VAL, PQ, PQ_VAL, MEMSET, INTERRUPT, CYCLIC,
 * INTERLEAVE); -ENODEV when @dev has no channel; -EINVAL for NULL, no ops
 * or an empty name; -EEXIST when a registered device has the same name;
 * -EBUSY when registered already. A missing device_release is only
 * logged (at debug level, as the kernel does); the backend then owns the
 * memory and must keep it until every channel is released. On success the
 * device gets the lowest free id, its channels their names, a public
 * device's channels join the public allocator, the channel table is
 * rebalanced and every notifier hears DMA_NOTIFY_DEVICE_ADDED.
 */
int dma_async_device_register(struct dma_device *dev);

/*
 * Take @dev away (see the top of this file): no new request finds it;
 * the work of every held channel is aborted with reason -ENODEV; later
 * calls on its channels fail with -ENODEV; notifiers hear
 * DMA_NOTIFY_DEVICE_REMOVED; ops->device_release runs when the last
 * channel is released (possibly before this returns). Calling it on an
 * unregistered device is a logged no-op.
 */
void dma_async_device_unregister(struct dma_device *dev);

/*
 * Provider completion, from the loop thread (virt_dma.c calls these):
 * dma_desc_callback_invoke() ends the core's tracking of @tx, counts it,
 * and runs callback_result(param, result) or callback(param). A NULL
 * @result reads as {DMA_TRANS_NOERROR, 0}. A READ_FAILED / WRITE_FAILED /
 * ABORTED result marks the cookie so dmaengine_tx_status() says
 * DMA_ERROR. Does nothing for a descriptor that was aborted already.
 * dma_desc_cyclic_callback() reports one period of a cyclic transfer
 * (the descriptor stays tracked).
 */
void dma_desc_callback_invoke(struct dma_async_tx_descriptor *tx,
			      const struct dmaengine_result *result);
void dma_desc_cyclic_callback(struct dma_async_tx_descriptor *tx);

/* ---------------------------------------------------------------------
 * Client side: channels.
 */

typedef bool (*dma_filter_fn)(struct dma_chan *chan, void *filter_param);

/*
 * __dma_request_channel: the first channel, across registered devices in
 * registration order, whose device has every capability of @mask, that
 * is not in use, and that @fn (if any) accepts. A device with several
 * channels of which some are publicly allocated is skipped. The device
 * becomes DMA_PRIVATE while it has privately held channels. Returns 0 and
 * *ret_chan, -ENODEV when no channel fits, -EINVAL, or the backend's
 * alloc_chan_resources error.
 */
int dma_request_channel(const dma_cap_mask_t *mask, dma_filter_fn fn,
			void *fn_param, struct dma_chan **ret_chan);

/*
 * dma_request_chan_by_mask: as dma_request_channel() with no filter, but
 * -EAGAIN (the kernel's -EPROBE_DEFER) when no device is registered at
 * all.
 */
int dma_request_chan_by_mask(const dma_cap_mask_t *mask,
			     struct dma_chan **ret_chan);

/*
 * dma_request_chan: the channel the name map (below) gives consumer
 * @consumer's DMA named @name (the device tree's dmas / dma-names).
 * The map's request line is stored in chan->request_line before the
 * channel's resources are allocated. Returns 0 and *ret_chan; -ENODEV
 * when the map has no such entry or the controller has no such channel;
 * -EAGAIN when the controller is not registered (yet): retry when a
 * notifier hears DMA_NOTIFY_DEVICE_ADDED; -EBUSY when the channel (or
 * every channel, for an entry with chan_index -1) is in use; -EINVAL.
 */
int dma_request_chan(const char *consumer, const char *name,
		     struct dma_chan **ret_chan);

/*
 * dma_get_slave_channel: take exactly @chan, privately. Returns 0, -EBUSY
 * if it is in use, -ENODEV if its device is gone, -EINVAL, or the
 * backend's alloc_chan_resources error.
 */
int dma_get_slave_channel(struct dma_chan *chan);

/*
 * Let go of a channel taken by one of the requests above: its work is
 * terminated (reason -ECANCELED) and synchronized, its resources are freed
 * when it was the last client, and the device drops DMA_PRIVATE when no
 * private channel is left. NULL is a no-op.
 */
void dma_release_channel(struct dma_chan *chan);

/*
 * The public allocator. dmaengine_get() registers one client: every
 * channel of every public (non-DMA_PRIVATE) device is taken and the
 * channel table is rebuilt; dmaengine_put() undoes one get.
 * dma_find_channel(cap) returns the table's channel for @cap (borrowed;
 * valid while the client holds its get), or NULL. Caps INTERRUPT, PRIVATE
 * and SLAVE have no table entry, as in the kernel.
 */
void dmaengine_get(void);
void dmaengine_put(void);
struct dma_chan *dma_find_channel(enum dma_transaction_type cap);

/* Clients of the public allocator (dmaengine_get minus put). */
int dmaengine_ref_count_get(void);

/* The registered device called @name, or NULL (borrowed). */
struct dma_device *dma_find_device(const char *name);
/* The channel of a registered device called @name ("dma0chan1"), or NULL
 * (borrowed). */
struct dma_chan *dma_find_chan_by_name(const char *name);

/*
 * Call @fn for each registered device in registration order, until it
 * returns non-zero; returns that value or 0. @fn must not register or
 * unregister devices.
 */
int dma_device_foreach(int (*fn)(struct dma_device *dev, void *data),
		       void *data);

/* The name of @chan ("dma0chan1"). */
static inline const char *dma_chan_name(const struct dma_chan *chan)
{
	return chan->name;
}

/* True once @chan's device was unregistered (its calls fail -ENODEV). */
static inline bool dma_chan_device_gone(const struct dma_chan *chan)
{
	return chan->device->dead;
}

/* Copy @chan's counters. Returns 0 or -EINVAL. */
int dma_chan_get_stats(const struct dma_chan *chan,
		       struct dma_chan_stats *ret_stats);

/* ---------------------------------------------------------------------
 * Client side: the name map (DT dmas / dma-names as configuration).
 */

struct dma_slave_map_entry {
	const char *consumer;	/* the consumer device, e.g. "uart0" */
	const char *dma_name;	/* its DMA's name, e.g. "rx" */
	const char *controller;	/* a dma_device name, e.g. "mock0" */
	int chan_index;		/* channel of that device, -1: any free one */
	int request_line;	/* request line / DMAMUX input, -1: none */
};

/*
 * Add an entry (strings are copied). Returns 0, -EINVAL for a NULL or
 * empty string, a name longer than 63 chars or chan_index < -1, -EEXIST
 * when (consumer, dma_name) is mapped already, or -ENOMEM.
 */
int dma_slave_map_add(const struct dma_slave_map_entry *entry);
/* Remove one entry. Returns 0, -EINVAL, or -ENOENT. */
int dma_slave_map_remove(const char *consumer, const char *dma_name);
/* Remove every entry. */
void dma_slave_map_clear(void);

/* ---------------------------------------------------------------------
 * Client side: device notifications (deferred requests).
 */

enum dma_notify_event {
	DMA_NOTIFY_DEVICE_ADDED,
	DMA_NOTIFY_DEVICE_REMOVED,
};

struct dma_notifier {
	void (*fn)(struct dma_notifier *n, enum dma_notify_event event,
		   struct dma_device *dev);
	bool registered;
	TAILQ_ENTRY(dma_notifier) node;
};

/* Start / stop hearing about devices. @n->fn must be set. A notifier may
 * unregister itself (or others) from its fn. Return 0 or -EINVAL. */
int dma_notifier_register(struct dma_notifier *n);
int dma_notifier_unregister(struct dma_notifier *n);

/* ---------------------------------------------------------------------
 * Client side: slave config, prep, submit, status, control. Every call on
 * a channel of a removed device fails with -ENODEV (status: DMA_ERROR).
 */

/* -ENOSYS when the backend has no device_config; -EINVAL; -ENODEV. */
int dmaengine_slave_config(struct dma_chan *chan,
			   const struct dma_slave_config *config);

/*
 * dma_get_slave_caps. Returns 0 and *caps, -ENXIO when the device has
 * neither SLAVE nor CYCLIC or reports no directions, -EINVAL.
 */
int dma_get_slave_caps(struct dma_chan *chan, struct dma_slave_caps *caps);

/*
 * The prep wrappers. Return 0 and *ret_tx (owned by the backend until
 * submitted and completed, or given back with dmaengine_desc_free()),
 * -EINVAL for a bad argument or flags outside DMA_PREP_VALID_FLAGS,
 * -EOPNOTSUPP when the backend lacks the op, -ENODEV when the device is
 * gone, -EPERM when the channel is not held, or the backend's error
 * (-EBUSY when its descriptor pool is empty).
 */
int dmaengine_prep_dma_memcpy(struct dma_chan *chan, dma_addr_t dst,
			      dma_addr_t src, size_t len, unsigned long flags,
			      struct dma_async_tx_descriptor **ret_tx);
int dmaengine_prep_dma_memcpy_sg(struct dma_chan *chan,
				 const dma_sg_t *dst_sg, unsigned dst_nents,
				 const dma_sg_t *src_sg, unsigned src_nents,
				 unsigned long flags,
				 struct dma_async_tx_descriptor **ret_tx);
int dmaengine_prep_dma_memset(struct dma_chan *chan, dma_addr_t dest,
			      int value, size_t len, unsigned long flags,
			      struct dma_async_tx_descriptor **ret_tx);
int dmaengine_prep_dma_interrupt(struct dma_chan *chan, unsigned long flags,
				 struct dma_async_tx_descriptor **ret_tx);
int dmaengine_prep_slave_sg(struct dma_chan *chan, const dma_sg_t *sgl,
			    unsigned sg_len, enum dma_transfer_direction dir,
			    unsigned long flags,
			    struct dma_async_tx_descriptor **ret_tx);
int dmaengine_prep_slave_single(struct dma_chan *chan, dma_addr_t buf,
				size_t len, enum dma_transfer_direction dir,
				unsigned long flags,
				struct dma_async_tx_descriptor **ret_tx);
/* buf_len must be a non-zero multiple of period_len (-EINVAL). */
int dmaengine_prep_dma_cyclic(struct dma_chan *chan, dma_addr_t buf_addr,
			      size_t buf_len, size_t period_len,
			      enum dma_transfer_direction dir,
			      unsigned long flags,
			      struct dma_async_tx_descriptor **ret_tx);

/*
 * dmaengine_submit: assign the cookie and queue @tx. Nothing starts until
 * dma_async_issue_pending(). Returns the cookie (> 0) or a negative errno
 * (-EINVAL, -ENODEV; the descriptor is then given back).
 */
dma_cookie_t dmaengine_submit(struct dma_async_tx_descriptor *tx);

/* Give back a prepared, unsubmitted descriptor. 0, -EINVAL or -EBUSY
 * (submitted already). */
int dmaengine_desc_free(struct dma_async_tx_descriptor *tx);

/* Start the submitted descriptors. Arms the watchdog. */
void dma_async_issue_pending(struct dma_chan *chan);

/*
 * dmaengine_tx_status: DMA_COMPLETE, DMA_IN_PROGRESS (with the residue of
 * @cookie in @state), DMA_PAUSED, or DMA_ERROR for a cookie that failed
 * or was aborted, and for any cookie of a removed device. @state may be
 * NULL.
 */
enum dma_status dmaengine_tx_status(struct dma_chan *chan, dma_cookie_t cookie,
				    struct dma_tx_state *state);

/* dma_async_is_tx_complete: status, and the last completed / used
 * cookies (either pointer may be NULL). */
enum dma_status dma_async_is_tx_complete(struct dma_chan *chan,
					 dma_cookie_t cookie,
					 dma_cookie_t *last, dma_cookie_t *used);

/* -ENOSYS without the op; the backend's error (e.g. -EPERM when not
 * running / not paused); -ENODEV. Pause stops the watchdog, resume
 * restarts it. */
int dmaengine_pause(struct dma_chan *chan);
int dmaengine_resume(struct dma_chan *chan);

/*
 * Abort everything prepared, submitted, issued and running on @chan.
 * No client callback runs for the aborted transfers; their cookies read
 * DMA_ERROR, dma_xfer fences signal -ECANCELED, transfers of dma_xfer.h
 * still waiting for their fences are aborted too. Safe from a completion
 * callback. terminate_async returns 0, -EINVAL without the op (as the
 * kernel), or -ENODEV; terminate_sync also synchronizes.
 */
int dmaengine_terminate_async(struct dma_chan *chan);
int dmaengine_terminate_sync(struct dma_chan *chan);
void dmaengine_synchronize(struct dma_chan *chan);

/*
 * The per-channel watchdog (watchdog.c): an issued transfer that has been
 * at the head of its channel for longer than @timeout_ms (model clock;
 * 0 disables; DMA_CHAN_DEFAULT_TIMEOUT_MS by default) is aborted with
 * reason -ETIMEDOUT (the ones queued behind it on the hardware with
 * -ECANCELED), the channel is synchronized and reset
 * (ops->device_reset), and serves the next request. A cyclic transfer is
 * watched period by period. Returns 0, -EINVAL, or -ENODEV.
 */
int dma_chan_set_timeout(struct dma_chan *chan, uint64_t timeout_ms);
