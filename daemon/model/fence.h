/* SPDX-License-Identifier: MIT */
/*
 * fence - the dma_fence of the object model.
 *
 * A fence is a one-shot completion point on a context (a timeline) with a
 * sequence number. It starts unsignaled, is signaled exactly once (a second
 * signal is refused with -EINVAL), may carry an error set before it
 * signals, records the time it signaled, and runs its callbacks once, in
 * the order they were added, when it does.
 *
 * Life cycle: fence_init() gives the caller one reference; fence_ref() and
 * fence_unref() count them; the last unref calls ops->release (free() when
 * the ops have none). A fence released unsignaled while callbacks are still
 * registered is force-signaled with -EDEADLK first, as the kernel does, so
 * no waiter is left hanging.
 *
 * Every initialised fence is on one list of live fences (fence_foreach(),
 * for the control socket's listing) from fence_init() until its release,
 * the global stub excepted, and has a number on that list
 * (list_node.seq: 1, 2, ... in fence_init() order, never reused) by which
 * a listing resumes (fence_seek()).
 *
 * Threading: the object model is single-threaded. Every function here must
 * be called from the thread that owns the model (the daemon's loop thread).
 * Callbacks run on that thread, from inside fence_signal(). That includes
 * the list of live fences, which has no lock: the fences of DMA transfers
 * are created, signaled and released on the loop thread too (a backend's
 * worker only posts to the completion queue, dma_cq.h, which the loop
 * drains before it touches a fence).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "util/macros.h"
#include "util/seq_tree.h"

#define FENCE_NAME_LEN 32

enum fence_flag_bits {
	FENCE_FLAG_SIGNALED_BIT,
	FENCE_FLAG_TIMESTAMP_BIT,
	FENCE_FLAG_ENABLE_SIGNAL_BIT,
	FENCE_FLAG_USER_BITS,
};

struct fence;
struct fence_cb;

typedef void (*fence_func_t)(struct fence *fence, struct fence_cb *cb);

/*
 * The links of a fence's callback list: circular, with the fence's
 * cb_list as the head, as the kernel's list_head. Unlinking a callback
 * touches its neighbours only, never the head, so a callback may be
 * removed while fence_signal() runs the list from a head of its own.
 */
struct fence_cb_link {
	struct fence_cb_link *next, *prev;
};

/* A callback slot, embedded in the waiter's own structure. */
struct fence_cb {
	struct fence_cb_link node;
	fence_func_t func;
	bool pending;
};

struct fence_ops {
	/* Names shown by sync_file info. Both required. */
	const char *(*get_driver_name)(struct fence *fence);
	const char *(*get_timeline_name)(struct fence *fence);
	/*
	 * Called once, the first time someone waits on or adds a callback to
	 * the fence. Return false if the fence has signaled already (it is
	 * then signaled at once). Optional.
	 */
	bool (*enable_signaling)(struct fence *fence);
	/* Poll the producer: true if the fence has completed. Optional. */
	bool (*signaled)(struct fence *fence);
	/* A consumer would like completion by @deadline_ns. Optional. */
	void (*set_deadline)(struct fence *fence, uint64_t deadline_ns);
	/* Free the fence's memory. Optional; free() of the fence by default. */
	void (*release)(struct fence *fence);
	/* Compare seqnos as 64-bit numbers instead of 32-bit with wrap. */
	bool use_64bit_seqno;
};

/*
 * 88 bytes on LP64, no padding: a million idle fences are mostly this
 * struct (bench/dmabufd-scale prints the cost per point). As in the
 * kernel's dma_fence, the callback list and the timestamp share their
 * bytes: callbacks only wait while the fence is unsignaled, and the
 * timestamp only exists once it has signaled (fence_signal() detaches
 * the list before it writes the time). @flags and @error are 16 bits
 * each (six flag bits are used; an error is -1 .. -FENCE_MAX_ERRNO) so
 * that @producer fits in the same 88 bytes.
 */
struct fence {
	const struct fence_ops *ops;
	uint64_t context;
	uint64_t seqno;
	uint16_t flags;	     /* FENCE_FLAG_*_BIT, then the producer's */
	int16_t error;	     /* fence_set_error()'s, 0 for none */
	uid_t owner;	     /* who made it (ACCT_NO_OWNER: the daemon): the
			      * listings show its details to it alone */
	unsigned refcount;
	pid_t producer;	     /* the caller that made it, as its transport
			      * told it (a thread id; 0: the daemon or
			      * unknown). Set by dev/ after fence_init();
			      * the listings and the hang report show it */
	uint64_t created_ns; /* clock_now_ns() at fence_init() */
	union {
		struct fence_cb_link cb_list; /* unsignaled: the waiters */
		uint64_t timestamp_ns;	      /* signaled: when */
	};
	struct seq_node list_node; /* the live fences, by number */
};
_Static_assert(sizeof(void *) != 8 || sizeof(struct fence) == 88,
	       "struct fence grew: a million fences pay for every byte");

/*
 * Allocate @num consecutive fence contexts and return the first. Context 0
 * belongs to the stub and is never returned.
 */
uint64_t fence_context_alloc(unsigned num);

/*
 * Initialise @fence with one reference. @ops must have both name ops.
 * Returns 0 or -EINVAL.
 */
int fence_init(struct fence *fence, const struct fence_ops *ops,
	       uint64_t context, uint64_t seqno);

struct fence *fence_ref(struct fence *fence);
/* Drop a reference; NULL is a no-op. Always returns NULL. */
struct fence *fence_unref(struct fence *fence);
DEFINE_UNREF_CLEANUP(struct fence, fence_unref)

/*
 * Signal @fence now (or at @timestamp_ns) and run its callbacks. Returns 0,
 * or -EINVAL if it had signaled already (nothing changes then).
 */
int fence_signal(struct fence *fence);
int fence_signal_timestamp(struct fence *fence, uint64_t timestamp_ns);

/*
 * Record @error (in [-4095, -1]) to be reported when @fence signals.
 * Returns 0, -EINVAL for an error out of range, or -EBUSY if the fence has
 * signaled already (the error is then not recorded).
 */
int fence_set_error(struct fence *fence, int error);

/*
 * True if @fence has signaled. Asks ops->signaled when the flag is not set
 * yet, and signals the fence if the producer says it is done.
 */
bool fence_is_signaled(struct fence *fence);

/* 0 while pending, 1 when signaled without error, the error otherwise. */
int fence_get_status(struct fence *fence);

/* Signal time in CLOCK_MONOTONIC ns, or 0 while pending. */
uint64_t fence_timestamp(const struct fence *fence);

/*
 * The status as fence_get_status() reports it, from what is recorded
 * only: a fence whose producer would report completion when asked
 * (ops->signaled) still reads 0, and nothing is signaled. For listings.
 */
int fence_peek_status(const struct fence *fence);

/* Number of callbacks waiting for @fence. */
unsigned fence_waiter_count(const struct fence *fence);

/*
 * Call @fn on every live fence, oldest first (the global stub is not
 * listed), until it returns non-zero; returns that value, or 0. @fn gets
 * a borrowed fence and must not create, signal or release fences.
 * O(log n) per fence visited (a seek by number per step).
 */
int fence_foreach(int (*fn)(struct fence *fence, void *data), void *data);

/*
 * The live fence whose list number (list_node.seq) is the smallest one
 * >= @seq, borrowed, or NULL. O(log n): a walk may stop at any fence and
 * resume from its number + 1, whatever was created or released meanwhile.
 */
struct fence *fence_seek(uint64_t seq);

/*
 * Call @func once when @fence signals. Returns 0 when registered, -ENOENT
 * if the fence has signaled already (@func is not called; @cb is left
 * unregistered), or -EINVAL for a NULL argument. Enables signaling.
 */
int fence_add_callback(struct fence *fence, struct fence_cb *cb,
		       fence_func_t func);

/* Unregister @cb. Returns true if it was still pending. */
bool fence_remove_callback(struct fence *fence, struct fence_cb *cb);

/* Tell the producer that someone waits (ops->enable_signaling, once). */
void fence_enable_signaling(struct fence *fence);

/*
 * Pass a deadline hint (CLOCK_MONOTONIC ns) to the producer. A no-op on a
 * signaled fence or one whose ops have no set_deadline.
 */
void fence_set_deadline(struct fence *fence, uint64_t deadline_ns);

/*
 * True if @f1 is later than @f2 on their common context: 32-bit serial
 * number arithmetic, (int32_t)(f1 - f2) > 0, unless the ops ask for 64-bit
 * seqnos. Fences of different contexts are never later (false).
 */
bool fence_is_later(const struct fence *f1, const struct fence *f2);

/* The seqno comparison behind fence_is_later(), for callers with raw values. */
bool fence_seqno_is_later(uint64_t a, uint64_t b, bool use_64bit_seqno);

const char *fence_driver_name(struct fence *fence);
const char *fence_timeline_name(struct fence *fence);

/*
 * The global stub: context 0, seqno 0, named "stub", signaled at its first
 * use. Returns a new reference.
 */
struct fence *fence_get_stub(void);

/*
 * A private signaled stub with timestamp @timestamp_ns (the merge of only
 * signaled fences). Returns a new reference, or NULL without memory.
 */
struct fence *fence_allocate_private_stub(uint64_t timestamp_ns);
