/* SPDX-License-Identifier: MIT */
/*
 * virt_dma - descriptor bookkeeping for backends (drivers/dma/virt-dma.h).
 *
 * A backend's channel embeds a struct virt_dma_chan (which embeds the
 * struct dma_chan), and its descriptor embeds a struct virt_dma_desc
 * (which embeds the struct dma_async_tx_descriptor). Descriptors come from
 * a fixed pool per channel, allocated in alloc_chan_resources
 * (vchan_pool_alloc) and freed in free_chan_resources (vchan_pool_free),
 * so neither completion nor prep ever allocates; an empty pool makes prep
 * fail with -EBUSY.
 *
 * A descriptor moves through the lists: taken from the pool and prepared
 * (vchan_tx_prep: "allocated"), submitted (tx_submit assigns the cookie:
 * "submitted"), issued (vchan_issue_pending: "issued"), taken by the
 * backend to run (vchan_desc_take: on no list), completed
 * (vchan_cookie_complete: "completed"), and after its callback has run,
 * back to the pool. Completion callbacks run from the channel's "tasklet":
 * a completion-queue entry that vchan_cookie_complete() and
 * vchan_cyclic_callback() post, so they run on the loop thread after the
 * backend's handler has returned (and may call into the channel).
 *
 * Terminate: vchan_terminate_all() gives every prepared, submitted,
 * issued and completed descriptor back to the pool without callbacks; the
 * one the hardware may still be using goes on the "terminated" list
 * (vchan_terminate_vdesc) and back to the pool in vchan_synchronize(),
 * once the backend has made sure its hardware stopped.
 *
 * Threading: every function here runs on the loop thread; the lists need
 * no lock. What a backend shares with its own threads (the running
 * descriptor, progress) is under the backend's lock.
 */
#pragma once

#include <stddef.h>
#include <sys/queue.h>

#include "dma_cq.h"
#include "dmaengine.h"

enum vd_where {
	VD_FREE,
	VD_ALLOCATED,
	VD_SUBMITTED,
	VD_ISSUED,
	VD_COMPLETED,
	VD_TERMINATED,
	VD_NONE, /* taken by the backend, or being called back */
};

struct virt_dma_desc {
	struct dma_async_tx_descriptor tx;
	struct dmaengine_result tx_result;
	enum vd_where where;
	TAILQ_ENTRY(virt_dma_desc) node;
};

TAILQ_HEAD(vd_list, virt_dma_desc);

struct virt_dma_chan {
	struct dma_chan chan;
	/* Called when a descriptor goes back to the pool (e.g. to free a
	 * scatter list copied at prep). Optional. */
	void (*desc_free)(struct virt_dma_desc *vd);

	struct vd_list desc_pool;
	struct vd_list desc_allocated;
	struct vd_list desc_submitted;
	struct vd_list desc_issued;
	struct vd_list desc_completed;
	struct vd_list desc_terminated;

	/* The cyclic descriptor with periods to report, and how many. */
	struct virt_dma_desc *cyclic;
	unsigned cyclic_periods;
	struct dma_cq_entry task;

	void *pool;
	size_t desc_size;
	size_t vd_offset;
	unsigned pool_size;
};

static inline struct virt_dma_chan *to_virt_chan(struct dma_chan *chan)
{
	return container_of(chan, struct virt_dma_chan, chan);
}

static inline struct virt_dma_desc *to_virt_desc(struct dma_async_tx_descriptor *tx)
{
	return container_of(tx, struct virt_dma_desc, tx);
}

/* Initialise @vc and add its channel to @dev (dma_device_add_chan).
 * Returns 0 or that call's error. */
int vchan_init(struct virt_dma_chan *vc, struct dma_device *dev);

/*
 * Allocate the pool: @nr descriptors of @desc_size bytes each, with the
 * struct virt_dma_desc at @vd_offset inside. Returns @nr, -EINVAL, -EBUSY
 * if a pool exists, or -ENOMEM.
 */
int vchan_pool_alloc(struct virt_dma_chan *vc, unsigned nr, size_t desc_size,
		     size_t vd_offset);

/* Free the pool (every descriptor must be back: vchan_free_chan_resources
 * first). NULL pool is a no-op. */
void vchan_pool_free(struct virt_dma_chan *vc);

/* A descriptor from the pool (zeroed backend part), or NULL when empty. */
struct virt_dma_desc *vchan_desc_get(struct virt_dma_chan *vc);

/* Make @vd a prepared descriptor with @flags (list "allocated"); returns
 * its tx. */
struct dma_async_tx_descriptor *vchan_tx_prep(struct virt_dma_chan *vc,
					      struct virt_dma_desc *vd,
					      unsigned long flags);

/* Move submitted descriptors to issued. Returns true if any is issued. */
bool vchan_issue_pending(struct virt_dma_chan *vc);

/* The first issued descriptor, still on its list, or NULL. */
struct virt_dma_desc *vchan_next_desc(struct virt_dma_chan *vc);

/* Take @vd off its list: the backend runs it now. */
void vchan_desc_take(struct virt_dma_desc *vd);

/* The submitted or issued descriptor with @cookie, or NULL. */
struct virt_dma_desc *vchan_find_desc(struct virt_dma_chan *vc,
				      dma_cookie_t cookie);

/*
 * Complete @vd (taken by the backend) with @result (NULL: no error):
 * completes its cookie, queues it for its callback and posts the task.
 */
void vchan_cookie_complete(struct virt_dma_desc *vd,
			   const struct dmaengine_result *result);

/* One period of the cyclic @vd (still running) is done: post its
 * callback. */
void vchan_cyclic_callback(struct virt_dma_desc *vd);
/* The same for @n periods at once, in O(1) whatever @n. */
void vchan_cyclic_callbacks(struct virt_dma_desc *vd, unsigned n);

/* The hardware was running @vd when terminated: keep it until
 * vchan_synchronize(). */
void vchan_terminate_vdesc(struct virt_dma_desc *vd);

/* Give back every prepared, submitted, issued and completed descriptor
 * (no callbacks) and forget pending cyclic periods. */
void vchan_terminate_all(struct virt_dma_chan *vc);

/* Give back the terminated descriptors (the hardware has stopped). */
void vchan_synchronize(struct virt_dma_chan *vc);

/* Give back every descriptor on any list and cancel the task (the
 * backend's running descriptor must be given back by the backend first,
 * with vchan_terminate_vdesc). */
void vchan_free_chan_resources(struct virt_dma_chan *vc);

/* Descriptors out of the pool (tests, introspection). */
unsigned vchan_desc_in_use(const struct virt_dma_chan *vc);
