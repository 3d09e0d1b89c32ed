/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: daemon/ctl/model_records.c and listing.c, the control
 * socket's listings of heaps, buffers, fences and timelines, made batch
 * by batch as the socket makes them, from model objects made here (the
 * system heap, a sw_sync timeline, a fence in a buffer's resv); and the
 * batches themselves: bounded, resumed past objects freed between them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <dmabufd/control.h>

#include "ctl/model_records.h"
#include "helpers.h"
#include "model/acct.h"
#include "model/clock.h"
#include "model/dma_buf.h"
#include "model/heap.h"
#include "model/heap_system.h"
#include "model/timeline.h"

static int setup(void **state)
{
	fake_clock_setup(state);
	assert_int_equal(heap_system_register(1 << 20), 0);
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(heap_system_unregister(), 0);
	return leak_check_teardown(state);
}

#define ctl_test(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* Check one batch's header: its size, its count, its record size. */
static void check_batch(const struct ctl_lister *lister, const void *buf,
			size_t len)
{
	const struct dmabufd_ctl_batch *b = buf;

	assert_true(len >= sizeof(*b));
	assert_true(len <= ctl_listing_batch_max(lister));
	assert_true(b->count <= DMABUFD_CTL_RECS_PER_MSG);
	assert_int_equal(len, sizeof(*b) + (size_t)b->count * lister->rec_size);
	assert_int_equal(b->rec_size, lister->rec_size);
	assert_int_equal(b->flags & ~DMABUFD_CTL_BATCH_END, 0);
}

/*
 * A whole listing as the control socket makes it, batch by batch, the
 * records gathered into one array (NULL when there are none).
 */
static int list_as(uid_t uid, const struct ctl_lister *lister, void **ret_recs,
		   unsigned *ret_count, unsigned *ret_hidden)
{
	_cleanup_free_ char *batch = malloc(ctl_listing_batch_max(lister));
	struct ctl_listing l;
	char *recs = NULL;
	unsigned n = 0, hidden = 0;

	assert_non_null(batch);
	ctl_listing_init(&l, lister, uid, clock_now_ns());
	while (!l.done) {
		size_t len = ctl_listing_batch(&l, batch);
		const struct dmabufd_ctl_batch *b = (void *)batch;

		check_batch(lister, batch, len);
		assert_int_equal(!!(b->flags & DMABUFD_CTL_BATCH_END), l.done);
		hidden += b->hidden;
		if (!b->count)
			continue;
		recs = realloc(recs, (size_t)(n + b->count) * lister->rec_size);
		assert_non_null(recs);
		memcpy(recs + (size_t)n * lister->rec_size, b + 1,
		       (size_t)b->count * lister->rec_size);
		n += b->count;
	}
	*ret_recs = recs;
	*ret_count = n;
	*ret_hidden = hidden;
	return 0;
}

/* As root, who sees everything. */
static int list_all(const struct ctl_lister *lister, void **ret_recs,
		    unsigned *ret_count)
{
	unsigned hidden;
	int r = list_as(0, lister, ret_recs, ret_count, &hidden);

	assert_int_equal(hidden, 0);
	return r;
}

#define ctl_heaps(r, n) list_all(&ctl_heap_lister, (void **)(r), n)
#define ctl_buffers(r, n) list_all(&ctl_buffer_lister, (void **)(r), n)
#define ctl_fences(r, n) list_all(&ctl_fence_lister, (void **)(r), n)
#define ctl_timelines(r, n) list_all(&ctl_timeline_lister, (void **)(r), n)

static struct dma_buf *alloc(uint64_t len)
{
	_cleanup_(heap_unrefp) struct heap *heap = heap_find(HEAP_SYSTEM_NAME);
	struct dma_buf *buf;

	assert_non_null(heap);
	assert_int_equal(heap_alloc(heap, NULL, len, O_RDWR, 0, &buf), 0);
	return buf;
}

static void add_fence(struct dma_buf *buf, struct fence *fence,
		      enum resv_usage usage)
{
	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(resv_reserve_fences(&buf->resv, 1), 0);
	assert_int_equal(resv_add_fence(&buf->resv, fence, usage), 0);
	assert_int_equal(resv_unlock(&buf->resv), 0);
}

static void empty_model_lists_only_the_heap(void **state)
{
	struct dmabufd_ctl_heap *heaps;
	struct dmabufd_ctl_buffer *bufs;
	struct dmabufd_ctl_fence *fences;
	struct dmabufd_ctl_timeline *tls;
	unsigned n;

	assert_int_equal(ctl_heaps(&heaps, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(heaps[0].name, "system");
	assert_int_equal(heaps[0].buffers, 0);
	assert_int_equal(heaps[0].bytes, 0);
	assert_int_equal(heaps[0].limit_bytes, 1 << 20);
	free(heaps);
	assert_int_equal(ctl_buffers(&bufs, &n), 0);
	assert_int_equal(n, 0);
	assert_null(bufs);
	assert_int_equal(ctl_fences(&fences, &n), 0);
	assert_int_equal(n, 0);
	assert_null(fences);
	assert_int_equal(ctl_timelines(&tls, &n), 0);
	assert_int_equal(n, 0);
	assert_null(tls);
}

static void buffer_record_shows_size_name_exporter_and_pending_fences(void **state)
{
	struct dma_buf *buf = alloc(3 * heap_page_size());
	struct dmabufd_ctl_buffer *recs;
	struct dmabufd_ctl_heap *heaps;
	struct timeline *tl;
	struct fence *w, *r;
	unsigned n;

	assert_int_equal(dma_buf_set_name(buf, "frame"), 0);
	assert_int_equal(timeline_new("t", &tl), 0);
	assert_int_equal(timeline_create_fence(tl, 1, &w), 0);
	assert_int_equal(timeline_create_fence(tl, 2, &r), 0);
	add_fence(buf, w, RESV_USAGE_WRITE);
	add_fence(buf, r, RESV_USAGE_READ);
	assert_int_equal(ctl_buffers(&recs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(recs[0].id, buf->id);
	assert_int_equal(recs[0].size, 3 * heap_page_size());
	assert_string_equal(recs[0].name, "frame");
	assert_string_equal(recs[0].exporter, "system");
	assert_int_equal(recs[0].mode, O_RDWR);
	assert_int_equal(recs[0].refcount, 1);
	assert_int_equal(recs[0].attachments, 0);
	assert_int_equal(recs[0].fences_kernel, 0);
	assert_int_equal(recs[0].fences_write, 1);
	assert_int_equal(recs[0].fences_read, 1);
	assert_int_equal(recs[0].fences_bookkeep, 0);
	assert_int_equal(recs[0].flags, 0);
	free(recs);

	/* Signaled fences no longer count. */
	assert_int_equal(timeline_inc(tl, 1), 0);
	assert_int_equal(ctl_buffers(&recs, &n), 0);
	assert_int_equal(recs[0].fences_write, 0);
	assert_int_equal(recs[0].fences_read, 1);
	free(recs);

	assert_int_equal(ctl_heaps(&heaps, &n), 0);
	assert_int_equal(heaps[0].buffers, 1);
	assert_int_equal(heaps[0].bytes, 3 * heap_page_size());
	free(heaps);

	fence_unref(w);
	fence_unref(r);
	dma_buf_unref(buf);
	timeline_close(tl);
}

static void fence_records_show_names_status_and_times(void **state)
{
	struct dmabufd_ctl_fence *recs;
	struct timeline *tl;
	struct fence *a, *b;
	unsigned n;

	assert_int_equal(timeline_new("tl-name", &tl), 0);
	assert_int_equal(timeline_create_fence(tl, 7, &a), 0);
	fake_clock_advance(1000);
	assert_int_equal(timeline_create_fence(tl, 9, &b), 0);
	fake_clock_advance(500);
	assert_int_equal(fence_set_error(b, -EIO), 0);
	assert_int_equal(fence_signal(b), 0);
	fake_clock_advance(250);

	assert_int_equal(ctl_fences(&recs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(recs[0].context, timeline_context(tl));
	assert_int_equal(recs[0].seqno, 7);
	assert_string_equal(recs[0].driver, "sw_sync");
	assert_string_equal(recs[0].timeline, "tl-name");
	assert_int_equal(recs[0].status, 0);
	assert_int_equal(recs[0].refcount, 1);
	assert_int_equal(recs[0].waiters, 0);
	assert_int_equal(recs[0].flags, 0);
	assert_int_equal(recs[0].timestamp_ns, 0);
	assert_int_equal(recs[0].age_ns, 1750);
	assert_int_equal(recs[1].seqno, 9);
	assert_int_equal(recs[1].status, -EIO);
	assert_int_equal(recs[1].timestamp_ns - recs[1].created_ns, 500);
	assert_int_equal(recs[1].age_ns, 750);
	free(recs);

	fence_unref(a);
	fence_unref(b);
	timeline_close(tl);
}

/* A clock that moves on by 1 ns each time it is read. */
static uint64_t ticking_now_ns;

static uint64_t ticking_clock(void)
{
	return ++ticking_now_ns;
}

static void fences_of_one_listing_share_one_snapshot_time(void **state)
{
	struct dmabufd_ctl_fence *recs;
	struct fence *pts[3];
	struct timeline *tl;
	uint64_t snapshot;
	unsigned n;

	assert_int_equal(timeline_new("tl", &tl), 0);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(timeline_create_fence(tl, i + 1, &pts[i]), 0);
		fake_clock_advance(100);
	}
	ticking_now_ns = fake_now_ns;
	clock_set_source(ticking_clock);
	assert_int_equal(ctl_fences(&recs, &n), 0);
	assert_int_equal(n, 3);
	/* created + age is the snapshot time, the same for every record. */
	snapshot = recs[0].created_ns + recs[0].age_ns;
	assert_true(snapshot > fake_now_ns);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(recs[i].created_ns, fake_now_ns - 300 + 100 * i);
		assert_int_equal(recs[i].created_ns + recs[i].age_ns, snapshot);
	}
	free(recs);

	for (unsigned i = 0; i < 3; i++)
		fence_unref(pts[i]);
	timeline_close(tl);
}

static void timeline_records_show_value_pending_and_closed(void **state)
{
	struct dmabufd_ctl_timeline *recs;
	struct timeline *open_tl, *closed_tl;
	struct fence *p5, *p1;
	unsigned n;

	assert_int_equal(timeline_new("open", &open_tl), 0);
	assert_int_equal(timeline_new("closed", &closed_tl), 0);
	assert_int_equal(timeline_create_fence(open_tl, 5, &p5), 0);
	assert_int_equal(timeline_inc(open_tl, 2), 0);
	assert_int_equal(timeline_create_fence(closed_tl, 1, &p1), 0);
	timeline_close(closed_tl);

	assert_int_equal(ctl_timelines(&recs, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(recs[0].name, "open");
	assert_int_equal(recs[0].context, timeline_context(open_tl));
	assert_int_equal(recs[0].value, 2);
	assert_int_equal(recs[0].pending, 1);
	assert_int_equal(recs[0].flags, 0);
	assert_string_equal(recs[1].name, "closed");
	assert_int_equal(recs[1].value, 0);
	assert_int_equal(recs[1].pending, 0);
	assert_int_equal(recs[1].flags, DMABUFD_CTL_TIMELINE_CLOSED);
	free(recs);

	fence_unref(p5);
	fence_unref(p1);
	timeline_close(open_tl);
}

/* A timeline with points 1..@n, every fence held in @pts. */
static struct timeline *make_points(struct fence **pts, unsigned n)
{
	struct timeline *tl;

	assert_int_equal(timeline_new("many", &tl), 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(timeline_create_fence(tl, i + 1, &pts[i]), 0);
	return tl;
}

static void one_batch_holds_at_most_recs_per_msg_records(void **state)
{
	enum { N = 1000 };
	struct fence **pts = calloc(N, sizeof(*pts));
	_cleanup_free_ char *batch = malloc(ctl_listing_batch_max(&ctl_fence_lister));
	const struct dmabufd_ctl_batch *b = (void *)batch;
	const struct dmabufd_ctl_fence *recs = (const void *)(b + 1);
	struct timeline *tl = make_points(pts, N);
	struct ctl_listing l;
	size_t len;

	assert_int_equal(ctl_listing_batch_max(&ctl_fence_lister),
			 sizeof(struct dmabufd_ctl_batch) +
				 DMABUFD_CTL_RECS_PER_MSG *
					 sizeof(struct dmabufd_ctl_fence));
	ctl_listing_init(&l, &ctl_fence_lister, 0, clock_now_ns());
	len = ctl_listing_batch(&l, batch);
	check_batch(&ctl_fence_lister, batch, len);
	assert_int_equal(b->count, DMABUFD_CTL_RECS_PER_MSG);
	assert_int_equal(b->flags, 0);
	assert_false(l.done);
	for (unsigned i = 0; i < DMABUFD_CTL_RECS_PER_MSG; i++)
		assert_int_equal(recs[i].seqno, i + 1);

	for (unsigned i = 0; i < N; i++)
		fence_unref(pts[i]);
	free(pts);
	timeline_close(tl);
}

static void listing_of_n_fences_has_each_exactly_once_in_order(void **state)
{
	enum { N = 10000 };
	struct fence **pts = calloc(N, sizeof(*pts));
	struct timeline *tl = make_points(pts, N);
	struct dmabufd_ctl_fence *recs;
	unsigned n;

	assert_int_equal(ctl_fences(&recs, &n), 0);
	assert_int_equal(n, N);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(recs[i].seqno, i + 1);
		assert_int_equal(recs[i].context, timeline_context(tl));
		assert_int_equal(recs[i].status, 0);
	}
	free(recs);

	for (unsigned i = 0; i < N; i++)
		fence_unref(pts[i]);
	free(pts);
	timeline_close(tl);
}

/*
 * Between two batches, fences on both sides of the cursor go, and the
 * one the last batch ended on too; new ones come. The rest of the listing
 * has every survivor once and the new ones, and reads no freed fence
 * (ASan build).
 */
static void listing_resumes_past_fences_freed_between_batches(void **state)
{
	enum { N = 200, MORE = 10 };
	struct fence *pts[N + MORE];
	_cleanup_free_ char *batch = malloc(ctl_listing_batch_max(&ctl_fence_lister));
	const struct dmabufd_ctl_batch *b = (void *)batch;
	const struct dmabufd_ctl_fence *recs = (const void *)(b + 1);
	struct timeline *tl = make_points(pts, N);
	uint64_t want = 1;
	struct ctl_listing l;
	size_t len;

	ctl_listing_init(&l, &ctl_fence_lister, 0, clock_now_ns());
	len = ctl_listing_batch(&l, batch);
	check_batch(&ctl_fence_lister, batch, len);
	assert_int_equal(b->count, DMABUFD_CTL_RECS_PER_MSG);
	for (unsigned i = 0; i < b->count; i++)
		assert_int_equal(recs[i].seqno, want++);

	/* Seqnos 60..130 go: 60..64 were listed, 64 was the last. */
	for (unsigned i = 59; i < 130; i++) {
		fence_unref(pts[i]);
		pts[i] = NULL;
	}
	for (unsigned i = N; i < N + MORE; i++)
		assert_int_equal(timeline_create_fence(tl, i + 1, &pts[i]), 0);

	want = 131;
	while (!l.done) {
		len = ctl_listing_batch(&l, batch);
		check_batch(&ctl_fence_lister, batch, len);
		for (unsigned i = 0; i < b->count; i++)
			assert_int_equal(recs[i].seqno, want++);
	}
	assert_int_equal(want, N + MORE + 1);

	for (unsigned i = 0; i < N + MORE; i++)
		fence_unref(pts[i]);
	timeline_close(tl);
}

/* A listing whose objects all go between two batches ends, empty. */
static void listing_ends_when_every_object_went(void **state)
{
	enum { N = 100 };
	struct fence *pts[N];
	_cleanup_free_ char *batch = malloc(ctl_listing_batch_max(&ctl_fence_lister));
	const struct dmabufd_ctl_batch *b = (void *)batch;
	struct timeline *tl = make_points(pts, N);
	struct ctl_listing l;
	size_t len;

	ctl_listing_init(&l, &ctl_fence_lister, 0, clock_now_ns());
	len = ctl_listing_batch(&l, batch);
	assert_int_equal(b->count, DMABUFD_CTL_RECS_PER_MSG);
	assert_false(l.done);
	for (unsigned i = 0; i < N; i++)
		fence_unref(pts[i]);
	timeline_close(tl);
	len = ctl_listing_batch(&l, batch);
	check_batch(&ctl_fence_lister, batch, len);
	assert_int_equal(b->count, 0);
	assert_int_equal(b->flags, DMABUFD_CTL_BATCH_END);
	assert_true(l.done);
}

#define USER_A 1000u
#define USER_B 2000u

static struct dma_buf *alloc_as(uid_t uid)
{
	_cleanup_(heap_unrefp) struct heap *heap = heap_find(HEAP_SYSTEM_NAME);
	_cleanup_(acct_unrefp) struct acct *acct = NULL;
	struct dma_buf *buf;

	assert_int_equal(acct_get(uid, &acct), 0);
	assert_int_equal(heap_alloc(heap, acct, 4096, O_RDWR, 0, &buf), 0);
	return buf;
}

static struct timeline *timeline_as(uid_t uid, const char *name)
{
	struct timeline *tl;

	assert_int_equal(timeline_new(name, &tl), 0);
	if (uid != ACCT_NO_OWNER)
		timeline_set_owner(tl, uid);
	return tl;
}

static void user_sees_only_its_own_objects_and_a_count_of_the_rest(void **state)
{
	struct timeline *ta = timeline_as(USER_A, "a"), *tb = timeline_as(USER_B, "b"),
			*tn = timeline_as(ACCT_NO_OWNER, "daemon");
	struct fence *fa, *fb, *fn;
	struct dma_buf *ba = alloc_as(USER_A), *bb = alloc_as(USER_B);
	_cleanup_free_ struct dmabufd_ctl_timeline *tls = NULL;
	_cleanup_free_ struct dmabufd_ctl_fence *fences = NULL;
	_cleanup_free_ struct dmabufd_ctl_buffer *bufs = NULL;
	_cleanup_free_ struct dmabufd_ctl_heap *heaps = NULL;
	unsigned n, hidden;

	assert_int_equal(timeline_create_fence(ta, 1, &fa), 0);
	assert_int_equal(timeline_create_fence(tb, 1, &fb), 0);
	assert_int_equal(timeline_create_fence(tn, 1, &fn), 0);
	assert_int_equal(fa->owner, USER_A);

	list_as(USER_A, &ctl_timeline_lister, (void **)&tls, &n, &hidden);
	assert_int_equal(n, 1);
	assert_string_equal(tls[0].name, "a");
	assert_int_equal(hidden, 2);
	list_as(USER_A, &ctl_fence_lister, (void **)&fences, &n, &hidden);
	assert_int_equal(n, 1);
	assert_int_equal(fences[0].context, fa->context);
	assert_int_equal(hidden, 2);
	list_as(USER_A, &ctl_buffer_lister, (void **)&bufs, &n, &hidden);
	assert_int_equal(n, 1);
	assert_int_equal(bufs[0].id, ba->id);
	assert_int_equal(hidden, 1);
	/* Heaps are the machine's: everyone sees them. */
	list_as(USER_B, &ctl_heap_lister, (void **)&heaps, &n, &hidden);
	assert_int_equal(n, 1);
	assert_int_equal(hidden, 0);
	free(tls);
	/* Root sees all three timelines. */
	tls = NULL;
	list_as(0, &ctl_timeline_lister, (void **)&tls, &n, &hidden);
	assert_int_equal(n, 3);
	assert_int_equal(hidden, 0);

	fence_unref(fa);
	fence_unref(fb);
	fence_unref(fn);
	dma_buf_unref(ba);
	dma_buf_unref(bb);
	timeline_close(ta);
	timeline_close(tb);
	timeline_close(tn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ctl_test(empty_model_lists_only_the_heap),
		ctl_test(buffer_record_shows_size_name_exporter_and_pending_fences),
		ctl_test(fence_records_show_names_status_and_times),
		ctl_test(fences_of_one_listing_share_one_snapshot_time),
		ctl_test(timeline_records_show_value_pending_and_closed),
		ctl_test(one_batch_holds_at_most_recs_per_msg_records),
		ctl_test(listing_of_n_fences_has_each_exactly_once_in_order),
		ctl_test(listing_resumes_past_fences_freed_between_batches),
		ctl_test(listing_ends_when_every_object_went),
		ctl_test(user_sees_only_its_own_objects_and_a_count_of_the_rest),
	};

	return cmocka_run_group_tests_name("ctl-records", tests, NULL, NULL);
}
