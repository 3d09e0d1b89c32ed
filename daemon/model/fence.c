/* SPDX-License-Identifier: MIT */
/*
 * Fences (fence.h). fence_tree holds every fence between fence_init() and
 * its release, by list number, so oldest first; it holds no reference, and
 * fence_foreach() walks it by seeking the next number (O(log n) a step: a
 * second list of the same fences would cost every fence 16 bytes). Loop
 * thread only, like the rest of the model, hence no lock (see fence.h).
 */
#include "fence.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "acct.h"
#include "clock.h"
#include "objstat.h"
#include "util/log.h"
#include "util/recorder.h"
#include "util/trace.h"

#define FENCE_MAX_ERRNO 4095

static uint64_t fence_context_counter = 1;
static struct seq_tree fence_tree = SEQ_TREE_INIT;

static inline bool test_bit(unsigned bit, const uint16_t *flags)
{
	return (*flags >> bit) & 1u;
}

static inline bool test_and_set_bit(unsigned bit, uint16_t *flags)
{
	bool old = test_bit(bit, flags);

	*flags |= (uint16_t)(1u << bit);
	return old;
}

/* The callback list (fence.h: struct fence_cb_link). */

static void cb_list_init(struct fence_cb_link *head)
{
	head->next = head->prev = head;
}

static bool cb_list_empty(const struct fence_cb_link *head)
{
	return head->next == head;
}

static void cb_list_add_tail(struct fence_cb_link *head,
			     struct fence_cb_link *link)
{
	link->prev = head->prev;
	link->next = head;
	head->prev->next = link;
	head->prev = link;
}

static void cb_list_del(struct fence_cb_link *link)
{
	link->prev->next = link->next;
	link->next->prev = link->prev;
	link->next = link->prev = link;
}

/* Move every link of @from, in order, to the empty @to; @from is left
 * untouched (it is about to hold the timestamp). */
static void cb_list_move(struct fence_cb_link *from, struct fence_cb_link *to)
{
	if (cb_list_empty(from)) {
		cb_list_init(to);
		return;
	}
	to->next = from->next;
	to->prev = from->prev;
	to->next->prev = to;
	to->prev->next = to;
}

/* The recorder's FENCE record of @fence's signal (recorder.h). */
static void fence_record_signal(struct fence *fence)
{
	struct dmabufd_ctl_trace_rec rec = {
		.ts_ns = fence->timestamp_ns,
		.begin_ns = fence->created_ns,
		.track = fence->context,
		.id = fence->seqno,
		.kind = DMABUFD_TRACE_FENCE,
		.phase = DMABUFD_TRACE_END,
		.result = fence->error,
	};

	recorder_name(rec.track_name, fence_timeline_name(fence));
	recorder_name(rec.label, fence_driver_name(fence));
	recorder_emit(&rec, fence->owner);
}

uint64_t fence_context_alloc(unsigned num)
{
	uint64_t first = fence_context_counter;

	assert(num > 0);
	fence_context_counter += num;
	return first;
}

int fence_init(struct fence *fence, const struct fence_ops *ops,
	       uint64_t context, uint64_t seqno)
{
	if (!fence || !ops || !ops->get_driver_name || !ops->get_timeline_name)
		return -EINVAL;

	*fence = (struct fence){
		.ops = ops,
		.context = context,
		.seqno = seqno,
		.created_ns = clock_now_ns(),
		.refcount = 1,
		.owner = ACCT_NO_OWNER,
	};
	cb_list_init(&fence->cb_list);
	seq_tree_add(&fence_tree, &fence->list_node);
	objstat_inc(OBJ_FENCE);
	TRACE_FENCE_INIT(fence, context, seqno);
	return 0;
}

struct fence *fence_ref(struct fence *fence)
{
	if (fence) {
		assert(fence->refcount > 0);
		fence->refcount++;
	}
	return fence;
}

static void fence_release(struct fence *fence)
{
	if (!test_bit(FENCE_FLAG_SIGNALED_BIT, &fence->flags) &&
	    !cb_list_empty(&fence->cb_list)) {
		/*
		 * Nobody holds a reference, yet someone waits: the producer
		 * is gone. Complete the waiters with an error rather than
		 * leave them hanging (the kernel WARNs and does the same).
		 */
		log_warn("fence %s:%s %llu:%llu released unsignaled with waiters",
			 fence_driver_name(fence), fence_timeline_name(fence),
			 (unsigned long long)fence->context,
			 (unsigned long long)fence->seqno);
		fence->refcount = 1; /* callbacks may take and drop references */
		fence_set_error(fence, -EDEADLK);
		fence_signal(fence);
		assert(fence->refcount == 1);
	}

	TRACE_FENCE_DESTROY(fence, fence->context, fence->seqno);
	seq_tree_remove(&fence_tree, &fence->list_node);
	objstat_dec(OBJ_FENCE);
	if (fence->ops->release)
		fence->ops->release(fence);
	else
		free(fence);
}

struct fence *fence_unref(struct fence *fence)
{
	if (!fence)
		return NULL;
	assert(fence->refcount > 0);
	if (--fence->refcount == 0)
		fence_release(fence);
	return NULL;
}

int fence_signal_timestamp(struct fence *fence, uint64_t timestamp_ns)
{
	struct fence_cb_link list;
	struct fence_cb *cb;

	if (!fence)
		return -EINVAL;
	if (test_and_set_bit(FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return -EINVAL;

	/*
	 * Detach the list first: the timestamp takes its place, a callback
	 * may drop the last reference of another waiter or remove another
	 * callback (which unlinks from this list), or add a callback (which
	 * then sees the fence signaled and is refused).
	 */
	cb_list_move(&fence->cb_list, &list);
	fence->timestamp_ns = timestamp_ns;
	fence->flags |= 1u << FENCE_FLAG_TIMESTAMP_BIT;
	TRACE_FENCE_SIGNALED(fence, fence->context, fence->seqno, fence->error,
			     fence_driver_name(fence), fence_timeline_name(fence));
	if (recorder_on())
		fence_record_signal(fence);

	fence_ref(fence);
	while (!cb_list_empty(&list)) {
		cb = container_of(list.next, struct fence_cb, node);
		cb_list_del(&cb->node);
		cb->pending = false;
		cb->func(fence, cb);
	}
	fence_unref(fence);
	return 0;
}

int fence_signal(struct fence *fence)
{
	return fence_signal_timestamp(fence, clock_now_ns());
}

int fence_set_error(struct fence *fence, int error)
{
	if (!fence || error >= 0 || error < -FENCE_MAX_ERRNO)
		return -EINVAL;
	if (test_bit(FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return -EBUSY;
	fence->error = (int16_t)error;
	return 0;
}

bool fence_is_signaled(struct fence *fence)
{
	if (test_bit(FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return true;
	if (fence->ops->signaled && fence->ops->signaled(fence)) {
		fence_signal(fence);
		return true;
	}
	return false;
}

int fence_get_status(struct fence *fence)
{
	if (!fence_is_signaled(fence))
		return 0;
	return fence->error ? fence->error : 1;
}

uint64_t fence_timestamp(const struct fence *fence)
{
	if (!test_bit(FENCE_FLAG_TIMESTAMP_BIT, &fence->flags))
		return 0;
	return fence->timestamp_ns;
}

int fence_peek_status(const struct fence *fence)
{
	if (!test_bit(FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return 0;
	return fence->error ? fence->error : 1;
}

unsigned fence_waiter_count(const struct fence *fence)
{
	const struct fence_cb_link *link;
	unsigned n = 0;

	if (test_bit(FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return 0;
	for (link = fence->cb_list.next; link != &fence->cb_list;
	     link = link->next)
		n++;
	return n;
}

int fence_foreach(int (*fn)(struct fence *fence, void *data), void *data)
{
	struct seq_node *n;
	int r;

	for (n = seq_tree_seek(&fence_tree, 1); n;
	     n = seq_tree_seek(&fence_tree, n->seq + 1)) {
		r = fn(container_of(n, struct fence, list_node), data);
		if (r)
			return r;
	}
	return 0;
}

struct fence *fence_seek(uint64_t seq)
{
	struct seq_node *n = seq_tree_seek(&fence_tree, seq);

	return n ? container_of(n, struct fence, list_node) : NULL;
}

void fence_enable_signaling(struct fence *fence)
{
	if (test_and_set_bit(FENCE_FLAG_ENABLE_SIGNAL_BIT, &fence->flags))
		return;
	if (test_bit(FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return;
	TRACE_FENCE_ENABLE_SIGNAL(fence, fence->context, fence->seqno,
				  fence_driver_name(fence),
				  fence_timeline_name(fence));
	if (fence->ops->enable_signaling && !fence->ops->enable_signaling(fence))
		fence_signal(fence);
}

int fence_add_callback(struct fence *fence, struct fence_cb *cb,
		       fence_func_t func)
{
	if (!fence || !cb || !func)
		return -EINVAL;

	cb->pending = false;
	fence_enable_signaling(fence);
	if (fence_is_signaled(fence))
		return -ENOENT;

	cb->func = func;
	cb->pending = true;
	cb_list_add_tail(&fence->cb_list, &cb->node);
	return 0;
}

bool fence_remove_callback(struct fence *fence, struct fence_cb *cb)
{
	if (!cb->pending)
		return false;
	cb_list_del(&cb->node);
	cb->pending = false;
	return true;
}

void fence_set_deadline(struct fence *fence, uint64_t deadline_ns)
{
	if (fence->ops->set_deadline && !fence_is_signaled(fence))
		fence->ops->set_deadline(fence, deadline_ns);
}

bool fence_seqno_is_later(uint64_t a, uint64_t b, bool use_64bit_seqno)
{
	if (use_64bit_seqno)
		return a > b;
	return (int32_t)((uint32_t)a - (uint32_t)b) > 0;
}

bool fence_is_later(const struct fence *f1, const struct fence *f2)
{
	if (f1->context != f2->context)
		return false;
	return fence_seqno_is_later(f1->seqno, f2->seqno,
				    f1->ops->use_64bit_seqno);
}

const char *fence_driver_name(struct fence *fence)
{
	return fence->ops->get_driver_name(fence);
}

const char *fence_timeline_name(struct fence *fence)
{
	return fence->ops->get_timeline_name(fence);
}

/* The stubs. */

static const char *stub_name(struct fence *fence)
{
	return "stub";
}

static void stub_release_static(struct fence *fence)
{
	/* The global stub lives for the whole process. */
}

static const struct fence_ops stub_ops = {
	.get_driver_name = stub_name,
	.get_timeline_name = stub_name,
};

static const struct fence_ops global_stub_ops = {
	.get_driver_name = stub_name,
	.get_timeline_name = stub_name,
	.release = stub_release_static,
};

static struct fence global_stub;

struct fence *fence_get_stub(void)
{
	if (!global_stub.ops) {
		fence_init(&global_stub, &global_stub_ops, 0, 0);
		/* Not counted or listed as a live object: it is never freed. */
		seq_tree_remove(&fence_tree, &global_stub.list_node);
		objstat_dec(OBJ_FENCE);
		fence_signal(&global_stub);
	}
	/* Keep the count from ever reaching zero. */
	global_stub.refcount++;
	return &global_stub;
}

struct fence *fence_allocate_private_stub(uint64_t timestamp_ns)
{
	struct fence *fence = malloc(sizeof(*fence));

	if (!fence)
		return NULL;
	fence_init(fence, &stub_ops, 0, 0);
	fence_signal_timestamp(fence, timestamp_ns);
	return fence;
}
