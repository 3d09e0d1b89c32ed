/* SPDX-License-Identifier: MIT */
/*
 * Batches of a listing (listing.h). A batch seeks the next object from
 * the cursor for each record, so nothing is held between two batches;
 * within one batch nothing runs but the seeks and the fills, which read
 * only, so the objects a batch sees stay valid while it is made.
 */
#include "listing.h"

#include <string.h>
#include <unistd.h>

#include <dmabufd/control.h>

/* The smallest key after @k. */
static struct ctl_key key_after(struct ctl_key k)
{
	if (++k.lo == 0)
		k.hi++;
	return k;
}

void ctl_listing_init(struct ctl_listing *l, const struct ctl_lister *lister,
		      uid_t uid, uint64_t now)
{
	*l = (struct ctl_listing){
		.lister = lister,
		.uid = uid,
		.now = now,
	};
}

size_t ctl_listing_batch_max(const struct ctl_lister *lister)
{
	return sizeof(struct dmabufd_ctl_batch) +
	       (size_t)lister->rec_size * DMABUFD_CTL_RECS_PER_MSG;
}

bool ctl_listing_sees_all(const struct ctl_listing *l)
{
	return l->uid == 0 || l->uid == geteuid();
}

bool ctl_listing_may_see(const struct ctl_listing *l, const void *obj)
{
	/* No owner op: the machine's (heaps, controllers, channels, whose
	 * holder the channel's fill blanks), everyone's. */
	if (!l->lister->owner || ctl_listing_sees_all(l))
		return true;
	return l->lister->owner(obj) == l->uid;
}

size_t ctl_listing_batch(struct ctl_listing *l, void *buf)
{
	const struct ctl_lister *lister = l->lister;
	struct dmabufd_ctl_batch *b = buf;
	char *rec = (char *)(b + 1);
	unsigned steps = 0;
	struct ctl_key key;
	void *obj;

	*b = (struct dmabufd_ctl_batch){ .rec_size = lister->rec_size };
	while (b->count < DMABUFD_CTL_RECS_PER_MSG && steps < CTL_BATCH_STEPS) {
		key = l->next;
		obj = lister->seek(&key);
		steps++;
		if (!obj) {
			l->done = true;
			break;
		}
		l->next = key_after(key);
		if (!ctl_listing_may_see(l, obj)) {
			b->hidden++;
			continue;
		}
		memset(rec, 0, lister->rec_size);
		lister->fill(l, obj, rec);
		rec += lister->rec_size;
		b->count++;
	}
	/* Say END with the last records rather than in a batch of none. */
	if (!l->done) {
		key = l->next;
		if (!lister->seek(&key))
			l->done = true;
	}
	if (l->done)
		b->flags |= DMABUFD_CTL_BATCH_END;
	return sizeof(*b) + (size_t)b->count * lister->rec_size;
}
