/* SPDX-License-Identifier: MIT */
/*
 * listing - the control socket's listings made one batch at a time
 * (proto/dmabufd/control.h, version 2).
 *
 * A listing holds no object and no pointer to one between batches: only
 * a cursor, the key of the next object to list. Every kind of object has
 * a key that orders it and is never reused (a list number given at
 * creation, seq_tree.h; a controller's and channel's ids; an fd's open
 * number and a transfer's prepare number), and a lister that finds the
 * object with the smallest key at or after the cursor. So an object that
 * lives through the whole listing is listed exactly once, one created or
 * freed meanwhile maybe, and nothing is ever read after it was freed.
 *
 * One batch costs at most CTL_BATCH_STEPS seeks (O(log n) each for the
 * model's objects, a walk of a few dozen entries for the DMA ones) and
 * DMABUFD_CTL_RECS_PER_MSG records, whatever the number of objects: the
 * control socket makes one when the client's socket has room for it, and
 * so never holds more than one batch per connection.
 *
 * Who sees what: every record goes through ctl_listing_may_see() (the
 * one place a filter by the peer's uid belongs).
 *
 * No libuv, no socket: tests/unit/test-ctl-records.c drives it directly.
 * Threading: loop thread only (the model's thread).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A cursor: keys order by @hi, then @lo. */
struct ctl_key {
	uint64_t hi, lo;
};

struct ctl_listing;

/* One kind of listing. */
struct ctl_lister {
	uint32_t op;       /* DMABUFD_CTL_* */
	uint32_t rec_size; /* sizeof its record */
	/*
	 * The object with the smallest key >= *@key, with its key in *@key,
	 * or NULL (and *@key unspecified) when there is none. The object is
	 * borrowed, and only until the loop runs again.
	 */
	void *(*seek)(struct ctl_key *key);
	/* The uid that owns @obj (ACCT_NO_OWNER: the daemon); NULL for
	 * objects that are everyone's (ctl_listing_may_see()). */
	uid_t (*owner)(const void *obj);
	/* Fill @rec (zeroed, rec_size bytes) from @obj; reads only. */
	void (*fill)(const struct ctl_listing *l, void *obj, void *rec);
};

struct ctl_listing {
	const struct ctl_lister *lister;
	uid_t uid;           /* the peer's (SO_PEERCRED) */
	uint64_t now;        /* clock_now_ns() at the request (fences' age) */
	struct ctl_key next; /* the next batch starts at the first key >= it */
	bool done;           /* the END batch was made */
};

/* Seeks per batch at most (objects a filter skips count too). */
#define CTL_BATCH_STEPS (4 * DMABUFD_CTL_RECS_PER_MSG)

/* Start @l: the first batch will begin at the smallest key. */
void ctl_listing_init(struct ctl_listing *l, const struct ctl_lister *lister,
		      uid_t uid, uint64_t now);

/* The bytes of the largest batch of @lister: header and records. */
size_t ctl_listing_batch_max(const struct ctl_lister *lister);

/*
 * Make the next batch into @buf (ctl_listing_batch_max() bytes): a
 * struct dmabufd_ctl_batch and its records. It may hold fewer records
 * than DMABUFD_CTL_RECS_PER_MSG, even none, when CTL_BATCH_STEPS ran
 * out; it has DMABUFD_CTL_BATCH_END once nothing follows, and then
 * @l->done is set. Returns the batch's length in bytes. Must not be
 * called once @l->done.
 */
size_t ctl_listing_batch(struct ctl_listing *l, void *buf);

/*
 * Whether the peer of @l may see @obj (of @l's lister). Every record of
 * every listing passes here before it is filled; a record it refuses is
 * left out of the listing and counted in its batch's hidden. As /proc's
 * hidepid (proto/dmabufd/control.h): root and the daemon's uid see all;
 * another peer sees the buffers, fences, timelines and transfers whose
 * owner is its uid, and every heap, controller and channel.
 */
bool ctl_listing_may_see(const struct ctl_listing *l, const void *obj);

/* Whether the peer of @l sees every detail of every object (root, or the
 * daemon's own uid). */
bool ctl_listing_sees_all(const struct ctl_listing *l);
