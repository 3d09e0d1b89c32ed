/* SPDX-License-Identifier: MIT */
/* Unit tests of daemon/model/dma_buf.c: the dma-buf rules of Linux 6.12. */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "model/dma_buf.h"
#include "model/fence.h"
#include "model/resv.h"

/* A test exporter that counts every op call. */
struct test_exp {
	unsigned attach, detach, map, unmap, release;
	unsigned begin, end, vmap, vunmap;
	int attach_err;
	enum dma_data_direction last_dir;
	struct dma_buf_attachment *last_att;
	char mem[64];
};

static struct test_exp *exp_of(struct dma_buf *buf)
{
	return buf->priv;
}

static int exp_attach(struct dma_buf *buf, struct dma_buf_attachment *att)
{
	exp_of(buf)->attach++;
	exp_of(buf)->last_att = att;
	return exp_of(buf)->attach_err;
}

static void exp_detach(struct dma_buf *buf, struct dma_buf_attachment *att)
{
	exp_of(buf)->detach++;
	exp_of(buf)->last_att = att;
}

static int exp_map(struct dma_buf_attachment *att, enum dma_data_direction dir,
		   struct dma_buf_sgt **ret_sgt)
{
	struct test_exp *exp = exp_of(att->dmabuf);
	struct dma_buf_sgt *sgt = dma_buf_sgt_alloc(1);

	assert_non_null(sgt);
	sgt->ents[0].cpu_addr = exp->mem;
	sgt->ents[0].dma_addr = (uintptr_t)exp->mem;
	sgt->ents[0].length = sizeof(exp->mem);
	exp->map++;
	exp->last_dir = dir;
	*ret_sgt = sgt;
	return 0;
}

static void exp_unmap(struct dma_buf_attachment *att, struct dma_buf_sgt *sgt,
		      enum dma_data_direction dir)
{
	exp_of(att->dmabuf)->unmap++;
	free(sgt);
}

static void exp_release(struct dma_buf *buf)
{
	exp_of(buf)->release++;
}

static int exp_begin(struct dma_buf *buf, enum dma_data_direction dir)
{
	exp_of(buf)->begin++;
	exp_of(buf)->last_dir = dir;
	return 0;
}

static int exp_end(struct dma_buf *buf, enum dma_data_direction dir)
{
	exp_of(buf)->end++;
	exp_of(buf)->last_dir = dir;
	return -EIO; /* passed back as is */
}

static int exp_vmap(struct dma_buf *buf, void **ret_vaddr)
{
	exp_of(buf)->vmap++;
	*ret_vaddr = exp_of(buf)->mem;
	return 0;
}

static void exp_vunmap(struct dma_buf *buf, void *vaddr)
{
	assert_ptr_equal(vaddr, exp_of(buf)->mem);
	exp_of(buf)->vunmap++;
}

static const struct dma_buf_ops full_ops = {
	.attach = exp_attach,
	.detach = exp_detach,
	.map_dma_buf = exp_map,
	.unmap_dma_buf = exp_unmap,
	.release = exp_release,
	.begin_cpu_access = exp_begin,
	.end_cpu_access = exp_end,
	.vmap = exp_vmap,
	.vunmap = exp_vunmap,
};

static const struct dma_buf_ops minimal_ops = {
	.map_dma_buf = exp_map,
	.unmap_dma_buf = exp_unmap,
	.release = exp_release,
};

static struct dma_buf *export_with(struct test_exp *exp,
				   const struct dma_buf_ops *ops, int flags)
{
	struct dma_buf *buf = NULL;

	assert_int_equal(dma_buf_export(&(struct dma_buf_export_info){
						 .exp_name = "test",
						 .ops = ops,
						 .size = 4096,
						 .flags = flags,
						 .priv = exp,
					 },
					 &buf),
			 0);
	assert_non_null(buf);
	return buf;
}

static struct dma_buf *test_buf(struct test_exp *exp)
{
	return export_with(exp, &full_ops, O_RDWR);
}

static const char *test_fence_name(struct fence *fence)
{
	return "test";
}

static const struct fence_ops test_fence_ops = {
	.get_driver_name = test_fence_name,
	.get_timeline_name = test_fence_name,
};

static struct fence *test_fence(void)
{
	struct fence *fence = malloc(sizeof(*fence));

	assert_non_null(fence);
	assert_int_equal(fence_init(fence, &test_fence_ops,
				    fence_context_alloc(1), 1), 0);
	return fence;
}

static void add_fence(struct dma_buf *buf, struct fence *fence,
		      enum resv_usage usage)
{
	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(resv_reserve_fences(&buf->resv, 1), 0);
	assert_int_equal(resv_add_fence(&buf->resv, fence, usage), 0);
	assert_int_equal(resv_unlock(&buf->resv), 0);
}

static int collect_buf(struct dma_buf *buf, void *data)
{
	struct dma_buf **seen = data;

	while (*seen)
		seen++;
	*seen = buf;
	return 0;
}

/* Export. */

static void export_rejects_missing_required_ops(void **state)
{
	const long base_dma_buf = objstat_get(OBJ_DMA_BUF);
	struct test_exp exp = { 0 };
	struct dma_buf *buf = (struct dma_buf *)&exp;
	struct dma_buf_ops ops[3] = { full_ops, full_ops, full_ops };

	ops[0].map_dma_buf = NULL;
	ops[1].unmap_dma_buf = NULL;
	ops[2].release = NULL;
	for (int i = 0; i < 3; i++) {
		struct dma_buf_export_info info = {
			.exp_name = "test", .ops = &ops[i], .size = 4096,
			.priv = &exp,
		};

		assert_int_equal(dma_buf_export(&info, &buf), -EINVAL);
	}
	assert_int_equal(dma_buf_export(&(struct dma_buf_export_info){
						 .exp_name = "test", .size = 4096,
						 .priv = &exp },
					 &buf),
			 -EINVAL);
	/* ret untouched on failure */
	assert_ptr_equal(buf, (struct dma_buf *)&exp);
	assert_int_equal(objstat_get(OBJ_DMA_BUF) - base_dma_buf, 0);
}

static void export_rejects_size_zero_and_missing_priv(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = NULL;

	assert_int_equal(dma_buf_export(&(struct dma_buf_export_info){
						 .exp_name = "test", .ops = &minimal_ops,
						 .size = 0, .priv = &exp },
					 &buf),
			 -EINVAL);
	assert_int_equal(dma_buf_export(&(struct dma_buf_export_info){
						 .exp_name = "test", .ops = &minimal_ops,
						 .size = 4096, .priv = NULL },
					 &buf),
			 -EINVAL);
	assert_null(buf);
}

static void export_keeps_access_mode_size_and_name(void **state)
{
	const long base_dma_buf = objstat_get(OBJ_DMA_BUF);
	struct test_exp exp = { 0 };
	struct dma_buf *ro = export_with(&exp, &minimal_ops, O_RDONLY | O_CLOEXEC);
	struct dma_buf *wo = export_with(&exp, &minimal_ops, O_WRONLY);
	struct dma_buf *rw = export_with(&exp, &minimal_ops, O_RDWR | O_NONBLOCK);

	assert_int_equal(ro->mode, O_RDONLY);
	assert_int_equal(wo->mode, O_WRONLY);
	assert_int_equal(rw->mode, O_RDWR);
	assert_int_equal(rw->size, 4096);
	assert_string_equal(rw->exp_name, "test");
	assert_string_equal(dma_buf_get_name(rw), "");
	assert_int_equal(rw->refcount, 1);
	assert_int_equal(objstat_get(OBJ_DMA_BUF) - base_dma_buf, 3);
	dma_buf_unref(ro);
	dma_buf_unref(wo);
	dma_buf_unref(rw);
	assert_int_equal(exp.release, 3);
}

static void ids_are_unique_and_increasing(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *a = test_buf(&exp), *b;
	uint64_t first = a->id;

	b = test_buf(&exp);
	assert_true(b->id > a->id);
	dma_buf_unref(a);
	dma_buf_unref(b);
	/* Ids are never reused, even after release. */
	a = test_buf(&exp);
	assert_true(a->id > first + 1);
	dma_buf_unref(a);
}

static int count_buf(struct dma_buf *buf, void *data)
{
	(*(unsigned *)data)++;
	return 0;
}

static void foreach_visits_live_buffers(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *a = test_buf(&exp), *b = test_buf(&exp);
	unsigned n = 0;

	assert_int_equal(dma_buf_foreach(count_buf, &n), 0);
	assert_int_equal(n, 2);
	dma_buf_unref(a);
	n = 0;
	dma_buf_foreach(count_buf, &n);
	assert_int_equal(n, 1);
	dma_buf_unref(b);
}

/* Names. */

static void set_name_accepts_31_chars(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	char name[DMA_BUF_NAME_LEN];

	memset(name, 'a', 31);
	name[31] = '\0';
	assert_int_equal(dma_buf_set_name(buf, name), 0);
	assert_int_equal(strlen(dma_buf_get_name(buf)), 31);
	assert_string_equal(dma_buf_get_name(buf), name);
	dma_buf_unref(buf);
}

static void set_name_without_nul_in_32_bytes_is_einval(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	char name[DMA_BUF_NAME_LEN + 1];

	assert_int_equal(dma_buf_set_name(buf, "before"), 0);
	memset(name, 'b', 32);
	name[32] = '\0';
	assert_int_equal(dma_buf_set_name(buf, name), -EINVAL);
	assert_string_equal(dma_buf_get_name(buf), "before");
	dma_buf_unref(buf);
}

static void set_name_replaces_old_name(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);

	assert_int_equal(dma_buf_set_name(buf, "a-long-first-name"), 0);
	assert_int_equal(dma_buf_set_name(buf, "short"), 0);
	assert_string_equal(dma_buf_get_name(buf), "short");
	assert_int_equal(dma_buf_set_name(buf, ""), 0);
	assert_string_equal(dma_buf_get_name(buf), "");
	dma_buf_unref(buf);
}

static void set_name_allowed_with_attachments(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct dma_buf_attachment *att;

	assert_int_equal(dma_buf_attach(buf, NULL, &att), 0);
	assert_int_equal(dma_buf_set_name(buf, "attached"), 0);
	assert_string_equal(dma_buf_get_name(buf), "attached");
	assert_int_equal(dma_buf_detach(att), 0);
	dma_buf_unref(buf);
}

/* Attachments. */

static void attach_calls_exporter_and_lists_attachment(void **state)
{
	const long base_attachment = objstat_get(OBJ_ATTACHMENT);
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct dma_buf_attachment *att = NULL;
	int importer;

	assert_int_equal(dma_buf_attach(buf, &importer, &att), 0);
	assert_int_equal(exp.attach, 1);
	assert_ptr_equal(exp.last_att, att);
	assert_ptr_equal(att->dmabuf, buf);
	assert_ptr_equal(att->importer_priv, &importer);
	assert_ptr_equal(TAILQ_FIRST(&buf->attachments), att);
	assert_int_equal(buf->num_attachments, 1);
	assert_int_equal(objstat_get(OBJ_ATTACHMENT) - base_attachment, 1);
	assert_false(resv_is_locked(&buf->resv));

	assert_int_equal(dma_buf_detach(att), 0);
	assert_int_equal(exp.detach, 1);
	assert_int_equal(buf->num_attachments, 0);
	assert_true(TAILQ_EMPTY(&buf->attachments));
	assert_int_equal(objstat_get(OBJ_ATTACHMENT) - base_attachment, 0);
	dma_buf_unref(buf);
}

static void attach_refused_by_exporter_leaves_nothing(void **state)
{
	const long base_attachment = objstat_get(OBJ_ATTACHMENT);
	struct test_exp exp = { .attach_err = -ENODEV };
	struct dma_buf *buf = test_buf(&exp);
	struct dma_buf_attachment *att = NULL;

	assert_int_equal(dma_buf_attach(buf, NULL, &att), -ENODEV);
	assert_null(att);
	assert_int_equal(buf->num_attachments, 0);
	assert_int_equal(objstat_get(OBJ_ATTACHMENT) - base_attachment, 0);
	assert_false(resv_is_locked(&buf->resv));
	dma_buf_unref(buf);
}

static void attach_and_detach_with_resv_held_are_edeadlk(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct dma_buf_attachment *att = NULL;

	assert_int_equal(dma_buf_attach(buf, NULL, &att), 0);
	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_attach(buf, NULL, &att), -EDEADLK);
	assert_int_equal(dma_buf_detach(att), -EDEADLK);
	assert_int_equal(buf->num_attachments, 1);
	resv_unlock(&buf->resv);
	assert_int_equal(dma_buf_detach(att), 0);
	dma_buf_unref(buf);
}

static void map_requires_resv_lock(void **state)
{
	const long base_mapping = objstat_get(OBJ_MAPPING);
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct dma_buf_attachment *att;
	struct dma_buf_sgt *sgt = NULL;

	assert_int_equal(dma_buf_attach(buf, NULL, &att), 0);
	assert_int_equal(dma_buf_map_attachment(att, DMA_TO_DEVICE, &sgt), -EPERM);
	assert_null(sgt);
	assert_int_equal(exp.map, 0);

	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_map_attachment(att, DMA_TO_DEVICE, &sgt), 0);
	assert_int_equal(resv_unlock(&buf->resv), 0);
	assert_non_null(sgt);
	assert_int_equal(sgt->nents, 1);
	assert_ptr_equal(sgt->ents[0].cpu_addr, exp.mem);
	assert_int_equal(exp.last_dir, DMA_TO_DEVICE);
	assert_int_equal(objstat_get(OBJ_MAPPING) - base_mapping, 1);

	/* Unmap needs the lock too. */
	assert_int_equal(dma_buf_unmap_attachment(att, sgt, DMA_TO_DEVICE), -EPERM);
	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_unmap_attachment(att, sgt, DMA_TO_DEVICE), 0);
	assert_int_equal(resv_unlock(&buf->resv), 0);
	assert_int_equal(exp.unmap, 1);
	assert_int_equal(objstat_get(OBJ_MAPPING) - base_mapping, 0);

	assert_int_equal(dma_buf_detach(att), 0);
	dma_buf_unref(buf);
}

static void map_with_pending_kernel_fence_is_ebusy(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct fence *kernel = test_fence(), *write = test_fence();
	struct dma_buf_attachment *att;
	struct dma_buf_sgt *sgt = NULL;

	add_fence(buf, kernel, RESV_USAGE_KERNEL);
	add_fence(buf, write, RESV_USAGE_WRITE);
	assert_int_equal(dma_buf_attach(buf, NULL, &att), 0);
	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_map_attachment(att, DMA_FROM_DEVICE, &sgt), -EBUSY);
	assert_int_equal(exp.map, 0);
	/* Only KERNEL fences gate the mapping; the WRITE one may stay. */
	fence_signal(kernel);
	assert_int_equal(dma_buf_map_attachment(att, DMA_FROM_DEVICE, &sgt), 0);
	assert_int_equal(dma_buf_unmap_attachment(att, sgt, DMA_FROM_DEVICE), 0);
	resv_unlock(&buf->resv);

	assert_int_equal(dma_buf_detach(att), 0);
	dma_buf_unref(buf);
	fence_unref(kernel);
	fence_unref(write);
}

static void map_twice_shares_table_and_counts(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct dma_buf_attachment *att;
	struct dma_buf_sgt *a, *b;

	assert_int_equal(dma_buf_attach(buf, NULL, &att), 0);
	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_map_attachment(att, DMA_BIDIRECTIONAL, &a), 0);
	assert_int_equal(dma_buf_map_attachment(att, DMA_TO_DEVICE, &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(exp.map, 1);
	assert_int_equal(att->map_count, 2);
	assert_int_equal(dma_buf_unmap_attachment(att, a, DMA_TO_DEVICE), 0);
	assert_int_equal(exp.unmap, 0);
	assert_int_equal(dma_buf_unmap_attachment(att, a, DMA_BIDIRECTIONAL), 0);
	assert_int_equal(exp.unmap, 1);
	assert_int_equal(att->map_count, 0);
	/* One unmap too many. */
	assert_int_equal(dma_buf_unmap_attachment(att, a, DMA_BIDIRECTIONAL), -EINVAL);
	resv_unlock(&buf->resv);
	assert_int_equal(dma_buf_detach(att), 0);
	dma_buf_unref(buf);
}

static void map_in_conflicting_direction_is_ebusy(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct dma_buf_attachment *att;
	struct dma_buf_sgt *sgt, *other = NULL;

	assert_int_equal(dma_buf_attach(buf, NULL, &att), 0);
	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_map_attachment(att, DMA_TO_DEVICE, &sgt), 0);
	assert_int_equal(dma_buf_map_attachment(att, DMA_FROM_DEVICE, &other), -EBUSY);
	assert_null(other);
	assert_int_equal(dma_buf_map_attachment(att, 7, &other), -EINVAL);
	assert_int_equal(att->map_count, 1);
	assert_int_equal(dma_buf_unmap_attachment(att, sgt, DMA_TO_DEVICE), 0);
	resv_unlock(&buf->resv);
	assert_int_equal(dma_buf_detach(att), 0);
	dma_buf_unref(buf);
}

static void detach_while_mapped_is_ebusy(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct dma_buf_attachment *att;
	struct dma_buf_sgt *sgt;

	assert_int_equal(dma_buf_attach(buf, NULL, &att), 0);
	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_map_attachment(att, DMA_TO_DEVICE, &sgt), 0);
	assert_int_equal(resv_unlock(&buf->resv), 0);
	assert_int_equal(dma_buf_detach(att), -EBUSY);
	assert_int_equal(exp.detach, 0);
	assert_int_equal(buf->num_attachments, 1);

	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_unmap_attachment(att, sgt, DMA_TO_DEVICE), 0);
	assert_int_equal(resv_unlock(&buf->resv), 0);
	assert_int_equal(dma_buf_detach(att), 0);
	dma_buf_unref(buf);
}

/* vmap. */

static void vmap_counts_and_calls_ops_once(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	void *a = NULL, *b = NULL;

	assert_int_equal(dma_buf_vmap(buf, &a), 0);
	assert_int_equal(dma_buf_vmap(buf, &b), 0);
	assert_ptr_equal(a, exp.mem);
	assert_ptr_equal(b, a);
	assert_int_equal(exp.vmap, 1);
	assert_int_equal(buf->vmapping_counter, 2);
	assert_false(resv_is_locked(&buf->resv));

	assert_int_equal(dma_buf_vunmap(buf, a), 0);
	assert_int_equal(exp.vunmap, 0);
	assert_int_equal(dma_buf_vunmap(buf, a), 0);
	assert_int_equal(exp.vunmap, 1);
	assert_int_equal(buf->vmapping_counter, 0);
	assert_null(buf->vmap_ptr);
	dma_buf_unref(buf);
}

static void vunmap_without_vmap_is_einval(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	void *vaddr;

	assert_int_equal(dma_buf_vunmap(buf, exp.mem), -EINVAL);
	assert_int_equal(dma_buf_vmap(buf, &vaddr), 0);
	/* The wrong address is refused as well. */
	assert_int_equal(dma_buf_vunmap(buf, exp.mem + 1), -EINVAL);
	assert_int_equal(dma_buf_vunmap(buf, vaddr), 0);
	assert_int_equal(exp.vunmap, 1);
	dma_buf_unref(buf);
}

static void vmap_without_exporter_op_is_einval(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = export_with(&exp, &minimal_ops, O_RDWR);
	void *vaddr = NULL;

	assert_int_equal(dma_buf_vmap(buf, &vaddr), -EINVAL);
	assert_null(vaddr);
	assert_int_equal(buf->vmapping_counter, 0);
	dma_buf_unref(buf);
}

static void vmap_with_resv_held_is_edeadlk(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	void *vaddr = NULL;

	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_vmap(buf, &vaddr), -EDEADLK);
	assert_int_equal(exp.vmap, 0);
	resv_unlock(&buf->resv);
	dma_buf_unref(buf);
}

/* CPU access. */

static void sync_parse_validates_flags_like_the_kernel(void **state)
{
	static const struct {
		uint64_t flags;
		int ret;
	} table[] = {
		{ 0, -EINVAL },
		{ DMA_BUF_SYNC_END, -EINVAL },
		{ DMA_BUF_SYNC_READ, 0 },
		{ DMA_BUF_SYNC_WRITE, 0 },
		{ DMA_BUF_SYNC_RW, 0 },
		{ DMA_BUF_SYNC_READ | DMA_BUF_SYNC_END, 0 },
		{ DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END, 0 },
		{ 8, -EINVAL },
		{ DMA_BUF_SYNC_READ | 8, -EINVAL },
		{ DMA_BUF_SYNC_RW | (1ull << 32), -EINVAL },
		{ UINT64_MAX, -EINVAL },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct dma_buf_sync_op op = { .dir = 99 };
		int r = dma_buf_sync_parse(table[i].flags, &op);

		if (r != table[i].ret)
			fail_msg("flags %#llx: got %d, want %d",
				 (unsigned long long)table[i].flags, r,
				 table[i].ret);
		if (r < 0)
			assert_int_equal(op.dir, 99); /* untouched */
	}
}

static void sync_parse_maps_direction_and_wait_usage(void **state)
{
	struct dma_buf_sync_op op;

	assert_int_equal(dma_buf_sync_parse(DMA_BUF_SYNC_READ, &op), 0);
	assert_false(op.end);
	assert_int_equal(op.dir, DMA_FROM_DEVICE);
	assert_int_equal(op.wait_usage, RESV_USAGE_WRITE);

	assert_int_equal(dma_buf_sync_parse(DMA_BUF_SYNC_WRITE, &op), 0);
	assert_int_equal(op.dir, DMA_TO_DEVICE);
	assert_int_equal(op.wait_usage, RESV_USAGE_READ);

	assert_int_equal(dma_buf_sync_parse(DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END,
					    &op), 0);
	assert_true(op.end);
	assert_int_equal(op.dir, DMA_BIDIRECTIONAL);
	assert_int_equal(op.wait_usage, RESV_USAGE_READ);
}

static void begin_end_cpu_access_call_the_ops(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct dma_buf *plain = export_with(&exp, &minimal_ops, O_RDWR);

	assert_int_equal(dma_buf_begin_cpu_access(buf, DMA_FROM_DEVICE), 0);
	assert_int_equal(exp.begin, 1);
	assert_int_equal(exp.last_dir, DMA_FROM_DEVICE);
	assert_int_equal(dma_buf_end_cpu_access(buf, DMA_TO_DEVICE), -EIO);
	assert_int_equal(exp.end, 1);
	assert_int_equal(exp.last_dir, DMA_TO_DEVICE);
	assert_int_equal(dma_buf_begin_cpu_access(buf, 5), -EINVAL);
	assert_int_equal(exp.begin, 1);
	/* Without the ops, both brackets succeed and do nothing. */
	assert_int_equal(dma_buf_begin_cpu_access(plain, DMA_BIDIRECTIONAL), 0);
	assert_int_equal(dma_buf_end_cpu_access(plain, DMA_BIDIRECTIONAL), 0);
	assert_int_equal(exp.begin, 1);
	dma_buf_unref(buf);
	dma_buf_unref(plain);
}

static void get_memfd_without_exporter_op_is_einval(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);

	assert_int_equal(dma_buf_get_memfd(buf), -EINVAL);
	dma_buf_unref(buf);
}

/* Poll. */

struct poller {
	struct dma_buf_poll_cb cb;
	unsigned notified;
};

static void poller_notify(struct dma_buf_poll_cb *cb)
{
	container_of(cb, struct poller, cb)->notified++;
}

static void poll_with_no_fences_is_ready(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct poller p = { 0 };

	dma_buf_poll_cb_init(&p.cb);
	assert_int_equal(dma_buf_poll(buf, POLLIN | POLLOUT, &p.cb, poller_notify),
			 POLLIN | POLLOUT);
	assert_int_equal(dma_buf_poll(buf, POLLIN, &p.cb, poller_notify), POLLIN);
	assert_int_equal(dma_buf_poll(buf, POLLPRI, &p.cb, poller_notify), 0);
	assert_false(p.cb.active);
	assert_int_equal(buf->poll_active, 0);
	dma_buf_unref(buf);
}

static void poll_in_waits_for_kernel_and_write_only(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct fence *k = test_fence(), *w = test_fence(), *r = test_fence();

	add_fence(buf, k, RESV_USAGE_KERNEL);
	add_fence(buf, w, RESV_USAGE_WRITE);
	add_fence(buf, r, RESV_USAGE_READ);
	assert_int_equal(dma_buf_poll(buf, POLLIN | POLLOUT, NULL, NULL), 0);
	fence_signal(k);
	assert_int_equal(dma_buf_poll(buf, POLLIN | POLLOUT, NULL, NULL), 0);
	fence_signal(w);
	/* A pending reader blocks writers (OUT) but not readers (IN). */
	assert_int_equal(dma_buf_poll(buf, POLLIN | POLLOUT, NULL, NULL), POLLIN);
	fence_signal(r);
	assert_int_equal(dma_buf_poll(buf, POLLIN | POLLOUT, NULL, NULL),
			 POLLIN | POLLOUT);
	dma_buf_unref(buf);
	fence_unref(k);
	fence_unref(w);
	fence_unref(r);
}

static void poll_never_waits_for_bookkeep(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct fence *bk = test_fence();
	struct poller p = { 0 };

	dma_buf_poll_cb_init(&p.cb);
	add_fence(buf, bk, RESV_USAGE_BOOKKEEP);
	assert_int_equal(dma_buf_poll(buf, POLLIN | POLLOUT, &p.cb, poller_notify),
			 POLLIN | POLLOUT);
	assert_false(p.cb.active);
	dma_buf_unref(buf);
	fence_unref(bk);
}

static void poll_notifies_once_when_fence_signals(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct fence *a = test_fence(), *b = test_fence();
	struct poller p = { 0 };

	dma_buf_poll_cb_init(&p.cb);
	add_fence(buf, a, RESV_USAGE_WRITE);
	add_fence(buf, b, RESV_USAGE_WRITE);
	assert_int_equal(dma_buf_poll(buf, POLLIN, &p.cb, poller_notify), 0);
	assert_true(p.cb.active);
	assert_int_equal(buf->poll_active, 1);
	assert_int_equal(buf->refcount, 2); /* the armed callback's */
	/* A second poll while armed does not arm twice. */
	assert_int_equal(dma_buf_poll(buf, POLLIN, &p.cb, poller_notify), 0);
	assert_int_equal(buf->poll_active, 1);

	/* Armed on the first pending fence: b does not notify. */
	fence_signal(b);
	assert_int_equal(p.notified, 0);
	fence_signal(a);
	assert_int_equal(p.notified, 1);
	assert_false(p.cb.active);
	assert_int_equal(buf->poll_active, 0);
	assert_int_equal(buf->refcount, 1);
	assert_int_equal(a->refcount, 2);
	assert_int_equal(dma_buf_poll(buf, POLLIN, &p.cb, poller_notify), POLLIN);
	assert_int_equal(p.notified, 1);
	dma_buf_unref(buf);
	fence_unref(a);
	fence_unref(b);
}

static void poll_out_arms_on_pending_reader(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct fence *r = test_fence();
	struct poller p = { 0 };

	dma_buf_poll_cb_init(&p.cb);
	add_fence(buf, r, RESV_USAGE_READ);
	assert_int_equal(dma_buf_poll(buf, POLLIN | POLLOUT, &p.cb, poller_notify),
			 POLLIN);
	assert_true(p.cb.active);
	assert_ptr_equal(p.cb.fence, r);
	fence_signal(r);
	assert_int_equal(p.notified, 1);
	dma_buf_unref(buf);
	fence_unref(r);
}

static void poll_cancel_disarms_and_drops_references(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct fence *w = test_fence();
	struct poller p = { 0 };

	dma_buf_poll_cb_init(&p.cb);
	assert_false(dma_buf_poll_cancel(&p.cb));
	add_fence(buf, w, RESV_USAGE_WRITE);
	assert_int_equal(dma_buf_poll(buf, POLLOUT, &p.cb, poller_notify), 0);
	assert_int_equal(w->refcount, 3);
	assert_true(dma_buf_poll_cancel(&p.cb));
	assert_false(dma_buf_poll_cancel(&p.cb));
	assert_int_equal(w->refcount, 2);
	assert_int_equal(buf->refcount, 1);
	assert_int_equal(buf->poll_active, 0);
	fence_signal(w);
	assert_int_equal(p.notified, 0);
	dma_buf_unref(buf);
	fence_unref(w);
}

static void poll_callback_keeps_buffer_alive(void **state)
{
	const long base_dma_buf = objstat_get(OBJ_DMA_BUF);
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct fence *w = test_fence();
	struct poller p = { 0 };
	unsigned long violations = dma_buf_violations();

	dma_buf_poll_cb_init(&p.cb);
	add_fence(buf, w, RESV_USAGE_WRITE);
	assert_int_equal(dma_buf_poll(buf, POLLIN, &p.cb, poller_notify), 0);
	dma_buf_unref(buf);
	assert_int_equal(exp.release, 0);
	assert_int_equal(objstat_get(OBJ_DMA_BUF) - base_dma_buf, 1);
	fence_signal(w);
	assert_int_equal(p.notified, 1);
	assert_int_equal(exp.release, 1);
	assert_int_equal(dma_buf_violations(), violations);
	fence_unref(w);
}

/* Release. */

static void release_calls_exporter_and_drops_fences(void **state)
{
	const long base_dma_buf = objstat_get(OBJ_DMA_BUF);
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct fence *f = test_fence();
	unsigned long violations = dma_buf_violations();

	add_fence(buf, f, RESV_USAGE_READ);
	assert_int_equal(f->refcount, 2);
	dma_buf_ref(buf);
	dma_buf_unref(buf);
	assert_int_equal(exp.release, 0);
	assert_null(dma_buf_unref(buf));
	assert_int_equal(exp.release, 1);
	assert_int_equal(f->refcount, 1);
	assert_int_equal(objstat_get(OBJ_DMA_BUF) - base_dma_buf, 0);
	assert_int_equal(dma_buf_violations(), violations);
	assert_null(dma_buf_unref(NULL));
	fence_unref(f);
}

static void release_with_attachment_is_reported_and_deferred(void **state)
{
	const long base_dma_buf = objstat_get(OBJ_DMA_BUF);
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	struct dma_buf_attachment *att;
	struct dma_buf_sgt *sgt;
	unsigned long violations = dma_buf_violations();

	assert_int_equal(dma_buf_attach(buf, NULL, &att), 0);
	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_map_attachment(att, DMA_TO_DEVICE, &sgt), 0);
	assert_int_equal(resv_unlock(&buf->resv), 0);

	dma_buf_unref(buf);
	assert_int_equal(dma_buf_violations(), violations + 1);
	assert_int_equal(exp.release, 0);
	assert_int_equal(objstat_get(OBJ_DMA_BUF) - base_dma_buf, 1);
	assert_true(buf->orphaned);
	/* The importer's mapping is still good memory. */
	memset(sgt->ents[0].cpu_addr, 0x5a, sgt->ents[0].length);
	/* A released buffer takes no new users. */
	assert_int_equal(dma_buf_attach(buf, NULL, &att), -EINVAL);

	assert_int_equal(resv_lock(&buf->resv), 0);
	assert_int_equal(dma_buf_unmap_attachment(att, sgt, DMA_TO_DEVICE), 0);
	assert_int_equal(resv_unlock(&buf->resv), 0);
	assert_int_equal(exp.release, 0);
	assert_int_equal(dma_buf_detach(att), 0);
	assert_int_equal(exp.release, 1);
	assert_int_equal(dma_buf_violations(), violations + 1);
}

static void release_with_vmap_is_reported_and_deferred(void **state)
{
	const long base_dma_buf = objstat_get(OBJ_DMA_BUF);
	struct test_exp exp = { 0 };
	struct dma_buf *buf = test_buf(&exp);
	unsigned long violations = dma_buf_violations();
	void *vaddr;

	assert_int_equal(dma_buf_vmap(buf, &vaddr), 0);
	dma_buf_unref(buf);
	assert_int_equal(dma_buf_violations(), violations + 1);
	assert_int_equal(exp.release, 0);
	assert_int_equal(objstat_get(OBJ_DMA_BUF) - base_dma_buf, 1);
	assert_int_equal(dma_buf_vmap(buf, &vaddr), -EINVAL);

	assert_int_equal(dma_buf_vunmap(buf, vaddr), 0);
	assert_int_equal(exp.vunmap, 1);
	assert_int_equal(exp.release, 1);
	assert_int_equal(objstat_get(OBJ_DMA_BUF) - base_dma_buf, 0);
}

/*
 * The model's part of a buffer, unnamed: malloc's 160-byte chunk at
 * most (it was 208), toward the README's 512 bytes per buffer.
 */
static void unnamed_buffer_costs_at_most_160_heap_bytes(void **state)
{
	enum { N = 1000 };
	static struct dma_buf *bufs[N];
	struct test_exp exp = { 0 };
	size_t before, after;

	before = heap_bytes_in_use();
	for (unsigned i = 0; i < N; i++)
		bufs[i] = export_with(&exp, &minimal_ops, O_RDWR);
	after = heap_bytes_in_use();
	for (unsigned i = 0; i < N; i++)
		dma_buf_unref(bufs[i]);
	assert_int_equal(exp.release, N);
	if (!before)
		skip();
	assert_in_range((after - before) / N, 1, 160);
}

static void unnamed_buffer_name_is_empty_and_listed_oldest_first(void **state)
{
	struct test_exp exp = { 0 };
	struct dma_buf *a = test_buf(&exp), *b = test_buf(&exp);
	struct dma_buf *seen[3] = { NULL };

	assert_string_equal(dma_buf_get_name(a), "");
	assert_int_equal(dma_buf_foreach(collect_buf, seen), 0);
	assert_ptr_equal(seen[0], a);
	assert_ptr_equal(seen[1], b);
	assert_null(seen[2]);
	dma_buf_unref(a);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(dma_buf_foreach(collect_buf, seen), 0);
	assert_ptr_equal(seen[0], b);
	assert_null(seen[1]);
	dma_buf_unref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		model_test(export_rejects_missing_required_ops),
		model_test(export_rejects_size_zero_and_missing_priv),
		model_test(export_keeps_access_mode_size_and_name),
		model_test(ids_are_unique_and_increasing),
		model_test(foreach_visits_live_buffers),
		model_test(set_name_accepts_31_chars),
		model_test(set_name_without_nul_in_32_bytes_is_einval),
		model_test(set_name_replaces_old_name),
		model_test(set_name_allowed_with_attachments),
		model_test(attach_calls_exporter_and_lists_attachment),
		model_test(attach_refused_by_exporter_leaves_nothing),
		model_test(attach_and_detach_with_resv_held_are_edeadlk),
		model_test(map_requires_resv_lock),
		model_test(map_with_pending_kernel_fence_is_ebusy),
		model_test(map_twice_shares_table_and_counts),
		model_test(map_in_conflicting_direction_is_ebusy),
		model_test(detach_while_mapped_is_ebusy),
		model_test(vmap_counts_and_calls_ops_once),
		model_test(vunmap_without_vmap_is_einval),
		model_test(vmap_without_exporter_op_is_einval),
		model_test(vmap_with_resv_held_is_edeadlk),
		model_test(sync_parse_validates_flags_like_the_kernel),
		model_test(sync_parse_maps_direction_and_wait_usage),
		model_test(begin_end_cpu_access_call_the_ops),
		model_test(get_memfd_without_exporter_op_is_einval),
		model_test(poll_with_no_fences_is_ready),
		model_test(poll_in_waits_for_kernel_and_write_only),
		model_test(poll_never_waits_for_bookkeep),
		model_test(poll_notifies_once_when_fence_signals),
		model_test(poll_out_arms_on_pending_reader),
		model_test(poll_cancel_disarms_and_drops_references),
		model_test(poll_callback_keeps_buffer_alive),
		model_test(release_calls_exporter_and_drops_fences),
		model_test(release_with_attachment_is_reported_and_deferred),
		model_test(release_with_vmap_is_reported_and_deferred),
		model_test(unnamed_buffer_costs_at_most_160_heap_bytes),
		model_test(unnamed_buffer_name_is_empty_and_listed_oldest_first),
	};

	return cmocka_run_group_tests_name("dma-buf", tests, NULL, NULL);
}
