/* SPDX-License-Identifier: MIT */
/*
 * sync_file: names, merge (the kernel's selftests 5, 6, 7 and 10), the
 * FILE_INFO rules, status and deadlines.
 */
#include "helpers.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model/fence.h"
#include "model/fence_array.h"
#include "model/sync_file.h"
#include "model/timeline.h"

static struct timeline *new_timeline(const char *name)
{
	struct timeline *tl = NULL;

	assert_int_equal(timeline_new(name, &tl), 0);
	return tl;
}

/* A sync_file on a new point of @tl at @value (SW_SYNC_IOC_CREATE_FENCE). */
static struct sync_file *point_file(struct timeline *tl, uint32_t value)
{
	struct fence *f = NULL;
	struct sync_file *sf = NULL;

	assert_int_equal(timeline_create_fence(tl, value, &f), 0);
	assert_int_equal(sync_file_new(f, &sf), 0);
	fence_unref(f);
	return sf;
}

static struct sync_file *merge(const char *name, struct sync_file *a,
			       struct sync_file *b)
{
	struct sync_file *sf = NULL;

	assert_int_equal(sync_file_merge(name, a, b, &sf), 0);
	assert_non_null(sf);
	return sf;
}

struct counts {
	unsigned num, active, signaled, error;
};

/* What the selftests' sync_fence_count_with_status() sees. */
static struct counts count_status(struct sync_file *sf)
{
	struct sync_fence_info_rec recs[64];
	struct counts c = { 0 };
	uint32_t num = 0;
	int32_t status;

	assert_int_equal(sync_file_info(sf, 0, NULL, &num, &status), 0);
	assert_true(num > 0 && num <= ARRAY_SIZE(recs));
	assert_int_equal(sync_file_info(sf, num, recs, &c.num, &status), 0);
	assert_int_equal(c.num, num);
	for (unsigned i = 0; i < num; i++) {
		if (recs[i].status == 0)
			c.active++;
		else if (recs[i].status == 1)
			c.signaled++;
		else
			c.error++;
	}
	return c;
}

#define assert_counts(sf, n, act, sig)                          \
	do {                                                    \
		struct counts _c = count_status(sf);            \
		assert_int_equal(_c.num, (n));                  \
		assert_int_equal(_c.active, (act));             \
		assert_int_equal(_c.signaled, (sig));           \
	} while (0)

/* Life cycle. */

static void sync_file_new_takes_own_fence_reference(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct fence *f = NULL;
	struct sync_file *sf = NULL;

	assert_int_equal(timeline_create_fence(tl, 1, &f), 0);
	assert_int_equal(sync_file_new(f, &sf), 0);
	assert_int_equal(objstat_get(OBJ_SYNC_FILE), 1);
	assert_int_equal(f->refcount, 2);
	assert_ptr_equal(sync_file_fence(sf), f);
	fence_unref(f);
	assert_int_equal(objstat_get(OBJ_FENCE), 1);

	assert_ptr_equal(sync_file_ref(sf), sf);
	assert_null(sync_file_unref(sf));
	assert_int_equal(objstat_get(OBJ_SYNC_FILE), 1);
	assert_null(sync_file_unref(sf));
	assert_int_equal(objstat_get(OBJ_SYNC_FILE), 0);
	assert_int_equal(objstat_get(OBJ_FENCE), 0);
	timeline_unref(tl);
}

static void sync_file_new_rejects_null_arguments(void **state)
{
	struct sync_file *sf = (struct sync_file *)0x1;
	struct fence *stub = fence_allocate_private_stub(1);

	assert_int_equal(sync_file_new(NULL, &sf), -EINVAL);
	assert_ptr_equal(sf, (struct sync_file *)0x1);
	assert_int_equal(sync_file_new(stub, NULL), -EINVAL);
	assert_int_equal(objstat_get(OBJ_SYNC_FILE), 0);
	assert_null(sync_file_unref(NULL));
	assert_null(sync_file_ref(NULL));
	fence_unref(stub);
}

static void sync_file_merge_rejects_null_arguments(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct sync_file *a = point_file(tl, 1);
	struct sync_file *out = (struct sync_file *)0x1;

	assert_int_equal(sync_file_merge("x", a, NULL, &out), -EINVAL);
	assert_int_equal(sync_file_merge("x", NULL, a, &out), -EINVAL);
	assert_int_equal(sync_file_merge("x", a, a, NULL), -EINVAL);
	assert_ptr_equal(out, (struct sync_file *)0x1);
	assert_int_equal(objstat_get(OBJ_SYNC_FILE), 1);
	sync_file_unref(a);
	timeline_unref(tl);
}

/* Names. */

static void name_generated_as_driver_timeline_context_seqno(void **state)
{
	struct timeline *tl = new_timeline("myprog");
	struct sync_file *sf = point_file(tl, 3);
	char expect[64], buf[SYNC_FILE_NAME_LEN];

	snprintf(expect, sizeof(expect), "sw_sync-myprog%llu-3",
		 (unsigned long long)timeline_context(tl));
	assert_ptr_equal(sync_file_get_name(sf, buf), buf);
	assert_string_equal(buf, expect);
	sync_file_unref(sf);
	timeline_unref(tl);
}

static void name_generated_is_cut_to_31_chars(void **state)
{
	char tlname[32], buf[SYNC_FILE_NAME_LEN], expect[SYNC_FILE_NAME_LEN];
	struct timeline *tl;
	struct sync_file *sf;

	memset(tlname, 't', 31);
	tlname[31] = '\0';
	tl = new_timeline(tlname);
	sf = point_file(tl, 3);
	memset(buf, 'X', sizeof(buf));
	sync_file_get_name(sf, buf);
	/* "sw_sync-" and the first 23 characters of the timeline name. */
	memcpy(expect, "sw_sync-", 8);
	memset(expect + 8, 't', 23);
	expect[31] = '\0';
	assert_string_equal(buf, expect);
	sync_file_unref(sf);
	timeline_unref(tl);
}

static void name_generated_for_array_is_unbound_with_seqno_1(void **state)
{
	struct timeline *t1 = new_timeline("a"), *t2 = new_timeline("b");
	struct sync_file *a = point_file(t1, 1), *b = point_file(t2, 1);
	struct sync_file *m = merge("", a, b);
	char expect[64], buf[SYNC_FILE_NAME_LEN];

	assert_true(fence_is_array(sync_file_fence(m)));
	snprintf(expect, sizeof(expect), "dma_fence_array-unbound%llu-1",
		 (unsigned long long)sync_file_fence(m)->context);
	assert_string_equal(sync_file_get_name(m, buf), expect);
	sync_file_unref(m);
	sync_file_unref(a);
	sync_file_unref(b);
	timeline_unref(t1);
	timeline_unref(t2);
}

static void merge_user_name_has_byte_31_forced_to_nul(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct sync_file *a = point_file(tl, 1);
	char name[SYNC_FILE_NAME_LEN], expect[SYNC_FILE_NAME_LEN];
	char buf[SYNC_FILE_NAME_LEN];
	struct sync_file *m;

	memset(name, 'n', sizeof(name));	/* no NUL at all */
	m = merge(name, a, a);
	memset(expect, 'n', 31);
	expect[31] = '\0';
	assert_string_equal(sync_file_get_name(m, buf), expect);
	sync_file_unref(m);

	m = merge("merged", a, a);
	assert_string_equal(sync_file_get_name(m, buf), "merged");
	sync_file_unref(m);
	sync_file_unref(a);
	timeline_unref(tl);
}

/* The name lives out of line: the file without one is malloc's
 * smallest chunk (32 bytes; it was 64). */
static void unnamed_sync_file_costs_at_most_32_heap_bytes(void **state)
{
	enum { N = 1000 };
	static struct sync_file *files[N];
	struct fence *stub = fence_get_stub();
	size_t before, after;

	before = heap_bytes_in_use();
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(sync_file_new(stub, &files[i]), 0);
	after = heap_bytes_in_use();
	for (unsigned i = 0; i < N; i++)
		sync_file_unref(files[i]);
	fence_unref(stub);
	if (!before)
		skip();
	assert_in_range((after - before) / N, 1, 32);
}

static void merge_with_empty_name_generates_the_name(void **state)
{
	struct timeline *tl = new_timeline("prog");
	struct sync_file *a = point_file(tl, 1);
	char buf[SYNC_FILE_NAME_LEN], expect[SYNC_FILE_NAME_LEN];
	struct sync_file *m;

	m = merge("", a, a);
	snprintf(expect, sizeof(expect), "sw_sync-prog%llu-1",
		 (unsigned long long)timeline_context(tl));
	assert_string_equal(sync_file_get_name(m, buf), expect);
	sync_file_unref(m);
	sync_file_unref(a);
	timeline_unref(tl);
}

/* Merge. */

static void merge_keeps_later_point_per_timeline(void **state)
{
	/* Selftest 5: test_fence_one_timeline_merge. */
	struct timeline *tl = new_timeline("prog");
	struct sync_file *a = point_file(tl, 1);
	struct sync_file *b = point_file(tl, 2);
	struct sync_file *c = point_file(tl, 3);
	struct sync_file *ab = merge("ab", b, a);
	struct sync_file *d = merge("d", c, ab);

	assert_counts(a, 1, 1, 0);
	assert_counts(b, 1, 1, 0);
	assert_counts(c, 1, 1, 0);
	assert_counts(d, 1, 1, 0);
	assert_ptr_equal(sync_file_fence(d), sync_file_fence(c));

	assert_int_equal(timeline_inc(tl, 1), 0);
	assert_counts(a, 1, 0, 1);
	assert_counts(d, 1, 1, 0);
	assert_int_equal(timeline_inc(tl, 1), 0);
	assert_counts(b, 1, 0, 1);
	assert_counts(d, 1, 1, 0);
	assert_int_equal(timeline_inc(tl, 1), 0);
	assert_counts(c, 1, 0, 1);
	assert_counts(d, 1, 0, 1);

	sync_file_unref(a);
	sync_file_unref(b);
	sync_file_unref(c);
	sync_file_unref(ab);
	sync_file_unref(d);
	timeline_unref(tl);
}

static void merge_of_fence_with_itself_keeps_one_entry(void **state)
{
	/* Selftest 6: test_fence_merge_same_fence. */
	struct timeline *tl = new_timeline("prog");
	struct sync_file *a = point_file(tl, 5);
	struct sync_file *m = merge("self", a, a);

	assert_counts(m, 1, 1, 0);
	assert_ptr_equal(sync_file_fence(m), sync_file_fence(a));
	assert_int_equal(timeline_inc(tl, 4), 0);
	assert_counts(m, 1, 1, 0);
	assert_int_equal(timeline_inc(tl, 1), 0);
	assert_counts(m, 1, 0, 1);
	sync_file_unref(m);
	sync_file_unref(a);
	timeline_unref(tl);
}

static void merge_of_array_with_itself_keeps_its_leaves(void **state)
{
	struct timeline *t1 = new_timeline("a"), *t2 = new_timeline("b");
	struct sync_file *a = point_file(t1, 1), *b = point_file(t2, 1);
	struct sync_file *ab = merge("ab", a, b);
	struct sync_file *m = merge("m", ab, ab);

	assert_counts(m, 2, 2, 0);
	assert_ptr_equal(fence_unwrap_at(sync_file_fence(m), 0), sync_file_fence(a));
	assert_ptr_equal(fence_unwrap_at(sync_file_fence(m), 1), sync_file_fence(b));
	sync_file_unref(m);
	sync_file_unref(ab);
	sync_file_unref(a);
	sync_file_unref(b);
	timeline_unref(t1);
	timeline_unref(t2);
}

static void merge_of_three_timelines_tracks_each_timeline(void **state)
{
	/* Selftest 7: test_fence_multi_timeline_wait. */
	struct timeline *ta = new_timeline("a"), *tb = new_timeline("b");
	struct timeline *tc = new_timeline("c");
	struct sync_file *a = point_file(ta, 5), *b = point_file(tb, 5);
	struct sync_file *c = point_file(tc, 5);
	struct sync_file *ab = merge("ab", a, b);
	struct sync_file *m = merge("abc", ab, c);

	assert_counts(m, 3, 3, 0);
	assert_int_equal(sync_file_get_status(m), 0);
	assert_int_equal(timeline_inc(ta, 5), 0);
	assert_counts(m, 3, 2, 1);
	assert_int_equal(sync_file_get_status(m), 0);
	assert_int_equal(timeline_inc(tb, 5), 0);
	assert_counts(m, 3, 1, 2);
	assert_int_equal(sync_file_get_status(m), 0);
	assert_int_equal(timeline_inc(tc, 5), 0);
	assert_counts(m, 3, 0, 3);
	assert_int_equal(sync_file_get_status(m), 1);

	sync_file_unref(a);
	sync_file_unref(b);
	sync_file_unref(c);
	sync_file_unref(ab);
	sync_file_unref(m);
	timeline_unref(ta);
	timeline_unref(tb);
	timeline_unref(tc);
}

static void merge_drops_signaled_fences(void **state)
{
	struct timeline *t1 = new_timeline("a"), *t2 = new_timeline("b");
	struct timeline *t3 = new_timeline("c");
	struct sync_file *done = point_file(t1, 0);
	struct sync_file *p2 = point_file(t2, 1), *p3 = point_file(t3, 1);
	struct sync_file *m1 = merge("", done, p2);
	struct sync_file *m = merge("", m1, p3);

	assert_counts(m, 2, 2, 0);
	assert_ptr_equal(fence_unwrap_at(sync_file_fence(m), 0), sync_file_fence(p2));
	assert_ptr_equal(fence_unwrap_at(sync_file_fence(m), 1), sync_file_fence(p3));

	/* A leaf that signals after a merge is dropped by the next merge. */
	assert_int_equal(timeline_inc(t2, 1), 0);
	sync_file_unref(m1);
	m1 = merge("", m, m);
	assert_ptr_equal(sync_file_fence(m1), sync_file_fence(p3));

	sync_file_unref(done);
	sync_file_unref(p2);
	sync_file_unref(p3);
	sync_file_unref(m1);
	sync_file_unref(m);
	timeline_unref(t1);
	timeline_unref(t2);
	timeline_unref(t3);
}

static void merge_of_only_signaled_gives_stub_with_latest_timestamp(void **state)
{
	struct timeline *t1 = new_timeline("a"), *t2 = new_timeline("b");
	struct sync_file *early = point_file(t1, 0);
	struct sync_file *late, *m;
	struct sync_fence_info_rec rec;
	uint32_t num = 0;
	int32_t status = 0;

	fake_clock_advance(900);
	late = point_file(t2, 0);
	fake_clock_advance(100);
	m = merge("", late, early);

	assert_false(fence_is_sync_pt(sync_file_fence(m)));
	assert_int_equal(sync_file_fence(m)->context, 0);
	assert_int_equal(sync_file_get_status(m), 1);
	assert_int_equal(fence_timestamp(sync_file_fence(m)), 1000000900ull);
	assert_int_equal(sync_file_info(m, 1, &rec, &num, &status), 0);
	assert_int_equal(num, 1);
	assert_int_equal(status, 1);
	assert_string_equal(rec.obj_name, "stub");
	assert_string_equal(rec.driver_name, "stub");
	assert_int_equal(rec.timestamp_ns, 1000000900ull);

	sync_file_unref(early);
	sync_file_unref(late);
	sync_file_unref(m);
	timeline_unref(t1);
	timeline_unref(t2);
}

static void merge_result_is_sorted_by_context(void **state)
{
	struct timeline *t1 = new_timeline("one"), *t2 = new_timeline("two");
	struct timeline *t3 = new_timeline("three");
	struct sync_file *s1 = point_file(t1, 1), *s2 = point_file(t2, 1);
	struct sync_file *s3 = point_file(t3, 1);
	struct sync_file *m31 = merge("", s3, s1);
	struct sync_file *m = merge("", s2, m31);
	struct sync_fence_info_rec recs[3];
	uint32_t num = 0;
	int32_t status = 9;
	struct fence *f = sync_file_fence(m);

	assert_int_equal(fence_unwrap_count(f), 3);
	assert_int_equal(fence_unwrap_at(f, 0)->context, timeline_context(t1));
	assert_int_equal(fence_unwrap_at(f, 1)->context, timeline_context(t2));
	assert_int_equal(fence_unwrap_at(f, 2)->context, timeline_context(t3));
	assert_int_equal(sync_file_info(m, 3, recs, &num, &status), 0);
	assert_string_equal(recs[0].obj_name, "one");
	assert_string_equal(recs[1].obj_name, "two");
	assert_string_equal(recs[2].obj_name, "three");

	sync_file_unref(s1);
	sync_file_unref(s2);
	sync_file_unref(s3);
	sync_file_unref(m31);
	sync_file_unref(m);
	timeline_unref(t1);
	timeline_unref(t2);
	timeline_unref(t3);
}

static void merge_single_survivor_is_the_fence_itself(void **state)
{
	struct timeline *t1 = new_timeline("a"), *t2 = new_timeline("b");
	struct sync_file *pending = point_file(t1, 1);
	struct sync_file *done = point_file(t2, 0);
	struct sync_file *m = merge("", done, pending);
	char expect[64], buf[SYNC_FILE_NAME_LEN];

	assert_ptr_equal(sync_file_fence(m), sync_file_fence(pending));
	assert_false(fence_is_array(sync_file_fence(m)));
	assert_int_equal(fence_unwrap_count(sync_file_fence(m)), 1);
	/* No user name: the survivor's own name. */
	snprintf(expect, sizeof(expect), "sw_sync-a%llu-1",
		 (unsigned long long)timeline_context(t1));
	assert_string_equal(sync_file_get_name(m, buf), expect);

	sync_file_unref(pending);
	sync_file_unref(done);
	sync_file_unref(m);
	timeline_unref(t1);
	timeline_unref(t2);
}

static void merge_takes_own_references(void **state)
{
	struct timeline *t1 = new_timeline("a"), *t2 = new_timeline("b");
	struct sync_file *a = point_file(t1, 1), *b = point_file(t2, 1);
	struct sync_file *m = merge("", a, b);

	assert_int_equal(objstat_get(OBJ_SYNC_FILE), 3);
	sync_file_unref(a);
	sync_file_unref(b);
	assert_int_equal(objstat_get(OBJ_SYNC_FILE), 1);
	/* Two points and the array. */
	assert_int_equal(objstat_get(OBJ_FENCE), 3);
	assert_int_equal(timeline_inc(t1, 1), 0);
	assert_int_equal(timeline_inc(t2, 1), 0);
	assert_int_equal(sync_file_get_status(m), 1);
	sync_file_unref(m);
	assert_int_equal(objstat_get(OBJ_FENCE), 0);
	timeline_unref(t1);
	timeline_unref(t2);
}

static void merge_replaces_array_leaf_with_later_point(void **state)
{
	struct timeline *t1 = new_timeline("a"), *t2 = new_timeline("b");
	struct sync_file *a1 = point_file(t1, 1), *b1 = point_file(t2, 1);
	struct sync_file *a9 = point_file(t1, 9);
	struct sync_file *ab = merge("", a1, b1);
	struct sync_file *m = merge("", ab, a9);

	assert_counts(m, 2, 2, 0);
	assert_ptr_equal(fence_unwrap_at(sync_file_fence(m), 0), sync_file_fence(a9));
	assert_ptr_equal(fence_unwrap_at(sync_file_fence(m), 1), sync_file_fence(b1));
	assert_int_equal(timeline_inc(t1, 1), 0);
	assert_int_equal(sync_file_get_status(ab), 0);
	assert_int_equal(timeline_inc(t2, 1), 0);
	assert_int_equal(sync_file_get_status(ab), 1);
	assert_int_equal(sync_file_get_status(m), 0);

	sync_file_unref(a1);
	sync_file_unref(b1);
	sync_file_unref(a9);
	sync_file_unref(ab);
	sync_file_unref(m);
	timeline_unref(t1);
	timeline_unref(t2);
}

/* FILE_INFO. */

static void info_count_only_returns_leaves_and_whole_status(void **state)
{
	struct timeline *t1 = new_timeline("a"), *t2 = new_timeline("b");
	struct sync_file *a = point_file(t1, 1), *b = point_file(t2, 1);
	struct sync_file *m = merge("", a, b);
	struct sync_fence_info_rec rec, poison;
	uint32_t num = 77;
	int32_t status = 77;

	memset(&poison, 0xab, sizeof(poison));
	rec = poison;
	assert_int_equal(sync_file_info(m, 0, &rec, &num, &status), 0);
	assert_int_equal(num, 2);
	assert_int_equal(status, 0);
	assert_memory_equal(&rec, &poison, sizeof(rec));

	assert_int_equal(timeline_inc(t1, 1), 0);
	assert_int_equal(sync_file_info(m, 0, NULL, &num, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(timeline_inc(t2, 1), 0);
	assert_int_equal(sync_file_info(m, 0, NULL, &num, &status), 0);
	assert_int_equal(num, 2);
	assert_int_equal(status, 1);

	sync_file_unref(a);
	sync_file_unref(b);
	sync_file_unref(m);
	timeline_unref(t1);
	timeline_unref(t2);
}

static void info_with_too_small_array_returns_einval(void **state)
{
	struct timeline *t1 = new_timeline("a"), *t2 = new_timeline("b");
	struct timeline *t3 = new_timeline("c");
	struct sync_file *a = point_file(t1, 1), *b = point_file(t2, 1);
	struct sync_file *c = point_file(t3, 1);
	struct sync_file *ab = merge("", a, b), *m = merge("", ab, c);
	struct sync_fence_info_rec recs[2], poison[2];
	uint32_t num = 77;
	int32_t status = 77;

	memset(poison, 0xab, sizeof(poison));
	memcpy(recs, poison, sizeof(recs));
	assert_int_equal(sync_file_info(m, 2, recs, &num, &status), -EINVAL);
	assert_int_equal(sync_file_info(m, 1, recs, &num, &status), -EINVAL);
	assert_int_equal(num, 77);
	assert_int_equal(status, 77);
	assert_memory_equal(recs, poison, sizeof(recs));

	sync_file_unref(a);
	sync_file_unref(b);
	sync_file_unref(c);
	sync_file_unref(ab);
	sync_file_unref(m);
	timeline_unref(t1);
	timeline_unref(t2);
	timeline_unref(t3);
}

static void info_rejects_null_arguments(void **state)
{
	struct timeline *tl = new_timeline("a");
	struct sync_file *a = point_file(tl, 1);
	uint32_t num = 77;
	int32_t status = 77;

	assert_int_equal(sync_file_info(NULL, 0, NULL, &num, &status), -EINVAL);
	assert_int_equal(sync_file_info(a, 1, NULL, &num, &status), -EINVAL);
	assert_int_equal(sync_file_info(a, 0, NULL, NULL, &status), -EINVAL);
	assert_int_equal(sync_file_info(a, 0, NULL, &num, NULL), -EINVAL);
	assert_int_equal(num, 77);
	assert_int_equal(status, 77);
	sync_file_unref(a);
	timeline_unref(tl);
}

static void info_fills_records_with_names_status_and_timestamps(void **state)
{
	struct timeline *t1 = new_timeline("alpha"), *t2 = new_timeline("beta");
	struct sync_file *a = point_file(t1, 1), *b = point_file(t2, 1);
	struct sync_file *m = merge("", a, b);
	struct sync_fence_info_rec recs[4], poison;
	uint32_t num = 0;
	int32_t status = 77;

	memset(&poison, 0xab, sizeof(poison));
	for (unsigned i = 0; i < ARRAY_SIZE(recs); i++)
		recs[i] = poison;
	fake_clock_advance(4242);
	assert_int_equal(timeline_inc(t1, 1), 0);

	/* A larger array is fine: only the leaves are written. */
	assert_int_equal(sync_file_info(m, 4, recs, &num, &status), 0);
	assert_int_equal(num, 2);
	assert_int_equal(status, 0);
	assert_string_equal(recs[0].obj_name, "alpha");
	assert_string_equal(recs[0].driver_name, "sw_sync");
	assert_int_equal(recs[0].status, 1);
	assert_int_equal(recs[0].flags, 0);
	assert_int_equal(recs[0].timestamp_ns, 1000004242ull);
	assert_string_equal(recs[1].obj_name, "beta");
	assert_string_equal(recs[1].driver_name, "sw_sync");
	assert_int_equal(recs[1].status, 0);
	assert_int_equal(recs[1].flags, 0);
	assert_int_equal(recs[1].timestamp_ns, 0);
	assert_memory_equal(&recs[2], &poison, sizeof(poison));
	assert_memory_equal(&recs[3], &poison, sizeof(poison));

	sync_file_unref(a);
	sync_file_unref(b);
	sync_file_unref(m);
	timeline_unref(t1);
	timeline_unref(t2);
}

static void info_on_single_point_reports_one_record(void **state)
{
	struct timeline *tl = new_timeline("solo");
	struct sync_file *sf = point_file(tl, 2);
	struct sync_fence_info_rec rec;
	uint32_t num = 0;
	int32_t status = 77;

	assert_int_equal(sync_file_info(sf, 1, &rec, &num, &status), 0);
	assert_int_equal(num, 1);
	assert_int_equal(status, 0);
	assert_string_equal(rec.obj_name, "solo");
	assert_int_equal(rec.status, 0);
	assert_int_equal(timeline_inc(tl, 2), 0);
	assert_int_equal(sync_file_info(sf, 1, &rec, &num, &status), 0);
	assert_int_equal(status, 1);
	assert_int_equal(rec.status, 1);
	assert_int_equal(rec.timestamp_ns, fake_now_ns);
	sync_file_unref(sf);
	timeline_unref(tl);
}

static void info_status_reports_first_non_positive_leaf(void **state)
{
	struct timeline *t1 = new_timeline("a"), *t2 = new_timeline("b");
	struct timeline *t3 = new_timeline("c");
	struct sync_file *a = point_file(t1, 1), *b = point_file(t2, 1);
	struct sync_file *c = point_file(t3, 1);
	struct sync_file *ab = merge("", a, b), *m = merge("", ab, c);
	struct sync_fence_info_rec recs[3];
	uint32_t num = 0;
	int32_t status = 77;

	/* Leaves (pending, -ENOENT, pending): the pending one comes first. */
	timeline_close(t2);
	assert_int_equal(sync_file_info(m, 3, recs, &num, &status), 0);
	assert_int_equal(recs[1].status, -ENOENT);
	assert_int_equal(status, 0);

	/* (1, -ENOENT, pending): the error comes first. */
	assert_int_equal(timeline_inc(t1, 1), 0);
	assert_int_equal(sync_file_info(m, 3, recs, &num, &status), 0);
	assert_int_equal(status, -ENOENT);
	assert_int_equal(recs[2].status, 0);
	/* The container is still pending. */
	assert_int_equal(sync_file_info(m, 0, NULL, &num, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(sync_file_get_status(m), 0);

	/* (1, -ENOENT, 1): the array signals with its child's error. */
	assert_int_equal(timeline_inc(t3, 1), 0);
	assert_int_equal(sync_file_info(m, 3, recs, &num, &status), 0);
	assert_int_equal(status, -ENOENT);
	assert_int_equal(sync_file_info(m, 0, NULL, &num, &status), 0);
	assert_int_equal(status, -ENOENT);
	assert_int_equal(sync_file_get_status(m), -ENOENT);

	sync_file_unref(a);
	sync_file_unref(b);
	sync_file_unref(c);
	sync_file_unref(ab);
	sync_file_unref(m);
	timeline_unref(t1);
	timeline_unref(t3);
}

/* Status and deadlines. */

static void status_follows_the_fence(void **state)
{
	struct timeline *t1 = new_timeline("a"), *t2 = new_timeline("b");
	struct sync_file *ok = point_file(t1, 1), *bad = point_file(t2, 1);

	assert_int_equal(sync_file_get_status(ok), 0);
	assert_int_equal(sync_file_get_status(bad), 0);
	assert_int_equal(timeline_inc(t1, 1), 0);
	timeline_close(t2);
	assert_int_equal(sync_file_get_status(ok), 1);
	assert_int_equal(sync_file_get_status(bad), -ENOENT);
	sync_file_unref(ok);
	sync_file_unref(bad);
	timeline_unref(t1);
}

static void set_deadline_reaches_sw_sync_point(void **state)
{
	struct timeline *tl = new_timeline("a");
	struct sync_file *sf = point_file(tl, 1);
	uint64_t d = 0;

	assert_int_equal(sync_pt_get_deadline(sync_file_fence(sf), &d), -ENOENT);
	assert_int_equal(sync_file_set_deadline(sf, 2000000000ull), 0);
	assert_int_equal(sync_file_set_deadline(sf, 3000000000ull), 0);
	assert_int_equal(sync_pt_get_deadline(sync_file_fence(sf), &d), 0);
	assert_int_equal(d, 2000000000ull);
	assert_int_equal(sync_file_set_deadline(NULL, 1), -EINVAL);
	sync_file_unref(sf);
	timeline_unref(tl);
}

static void set_deadline_on_merged_reaches_every_point(void **state)
{
	struct timeline *t1 = new_timeline("a"), *t2 = new_timeline("b");
	struct sync_file *a = point_file(t1, 1), *b = point_file(t2, 1);
	struct sync_file *m = merge("", a, b);
	uint64_t d = 0;

	/* The array itself is not a sw_sync point. */
	assert_int_equal(sync_pt_get_deadline(sync_file_fence(m), &d), -EINVAL);
	assert_int_equal(sync_file_set_deadline(m, 1234567), 0);
	assert_int_equal(sync_pt_get_deadline(sync_file_fence(a), &d), 0);
	assert_int_equal(d, 1234567);
	d = 0;
	assert_int_equal(sync_pt_get_deadline(sync_file_fence(b), &d), 0);
	assert_int_equal(d, 1234567);

	sync_file_unref(a);
	sync_file_unref(b);
	sync_file_unref(m);
	timeline_unref(t1);
	timeline_unref(t2);
}

/* Selftest 10 (test_merge_stress_random_merge), smaller. */

#define STRESS_TIMELINES 32
#define STRESS_MERGES 2000

static uint32_t xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static void merge_stress_counts_distinct_timelines(void **state)
{
	struct timeline *tls[STRESS_TIMELINES];
	uint32_t max[STRESS_TIMELINES] = { 0 };
	bool used[STRESS_TIMELINES] = { false };
	unsigned distinct = 0;
	uint32_t seed = 0x2545f491;
	struct sync_file *acc = NULL;
	char name[16];

	for (unsigned i = 0; i < STRESS_TIMELINES; i++) {
		snprintf(name, sizeof(name), "tl%u", i);
		tls[i] = new_timeline(name);
	}

	for (unsigned i = 0; i < STRESS_MERGES; i++) {
		unsigned t = xorshift32(&seed) % STRESS_TIMELINES;
		uint32_t value = 1 + xorshift32(&seed) % 0x7fffffu;
		struct sync_file *sf = point_file(tls[t], value);

		if (!used[t]) {
			used[t] = true;
			distinct++;
		}
		if (value > max[t])
			max[t] = value;
		if (!acc) {
			acc = sf;
			continue;
		}
		struct sync_file *next = merge("", acc, sf);
		sync_file_unref(acc);
		sync_file_unref(sf);
		acc = next;
	}

	struct fence *f = sync_file_fence(acc);
	uint32_t num = 0;
	int32_t status = 77;

	assert_int_equal(sync_file_info(acc, 0, NULL, &num, &status), 0);
	assert_int_equal(num, distinct);
	assert_int_equal(status, 0);
	/* Each leaf is the latest point of its timeline, in context order. */
	for (unsigned i = 0; i < num; i++) {
		struct fence *leaf = fence_unwrap_at(f, i);
		struct timeline *tl = sync_pt_timeline(leaf);
		unsigned t = 0;

		while (t < STRESS_TIMELINES && tls[t] != tl)
			t++;
		assert_true(t < STRESS_TIMELINES);
		assert_true(used[t]);
		assert_int_equal(leaf->seqno, max[t]);
		if (i > 0)
			assert_true(fence_unwrap_at(f, i - 1)->context < leaf->context);
	}

	for (unsigned i = 0; i < STRESS_TIMELINES; i++) {
		assert_int_equal(sync_file_get_status(acc), 0);
		assert_int_equal(timeline_inc(tls[i], max[i]), 0);
	}
	assert_int_equal(sync_file_get_status(acc), 1);

	sync_file_unref(acc);
	for (unsigned i = 0; i < STRESS_TIMELINES; i++)
		timeline_unref(tls[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		model_test(sync_file_new_takes_own_fence_reference),
		model_test(sync_file_new_rejects_null_arguments),
		model_test(sync_file_merge_rejects_null_arguments),
		model_test(name_generated_as_driver_timeline_context_seqno),
		model_test(name_generated_is_cut_to_31_chars),
		model_test(name_generated_for_array_is_unbound_with_seqno_1),
		model_test(merge_user_name_has_byte_31_forced_to_nul),
		model_test(unnamed_sync_file_costs_at_most_32_heap_bytes),
		model_test(merge_with_empty_name_generates_the_name),
		model_test(merge_keeps_later_point_per_timeline),
		model_test(merge_of_fence_with_itself_keeps_one_entry),
		model_test(merge_of_array_with_itself_keeps_its_leaves),
		model_test(merge_of_three_timelines_tracks_each_timeline),
		model_test(merge_drops_signaled_fences),
		model_test(merge_of_only_signaled_gives_stub_with_latest_timestamp),
		model_test(merge_result_is_sorted_by_context),
		model_test(merge_single_survivor_is_the_fence_itself),
		model_test(merge_takes_own_references),
		model_test(merge_replaces_array_leaf_with_later_point),
		model_test(info_count_only_returns_leaves_and_whole_status),
		model_test(info_with_too_small_array_returns_einval),
		model_test(info_rejects_null_arguments),
		model_test(info_fills_records_with_names_status_and_timestamps),
		model_test(info_on_single_point_reports_one_record),
		model_test(info_status_reports_first_non_positive_leaf),
		model_test(status_follows_the_fence),
		model_test(set_deadline_reaches_sw_sync_point),
		model_test(set_deadline_on_merged_reaches_every_point),
		model_test(merge_stress_counts_distinct_timelines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
