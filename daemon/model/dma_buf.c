/* SPDX-License-Identifier: MIT */
#include "dma_buf.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "objstat.h"
#include "util/log.h"
#include "util/memfd_probe.h"
#include "util/trace.h"

static uint64_t dma_buf_next_id = 1;
static struct seq_tree dma_buf_tree = SEQ_TREE_INIT;
static unsigned long dma_buf_violation_count;

static bool dir_valid(enum dma_data_direction dir)
{
	return dir == DMA_BIDIRECTIONAL || dir == DMA_TO_DEVICE ||
	       dir == DMA_FROM_DEVICE;
}

struct dma_buf_sgt *dma_buf_sgt_alloc(unsigned nents)
{
	struct dma_buf_sgt *sgt;

	if (nents == 0)
		return NULL;
	sgt = calloc(1, sizeof(*sgt) + (size_t)nents * sizeof(sgt->ents[0]));
	if (sgt)
		sgt->nents = nents;
	return sgt;
}

int dma_buf_export(const struct dma_buf_export_info *info,
		   struct dma_buf **ret_buf)
{
	const struct dma_buf_ops *ops;
	struct dma_buf *buf;

	if (!info || !ret_buf)
		return -EINVAL;
	ops = info->ops;
	if (!ops) {
		log_err("dma_buf: exporter %s has no ops",
			info->exp_name ? info->exp_name : "(null)");
		return -EINVAL;
	}
	if (!ops->map_dma_buf || !ops->unmap_dma_buf || !ops->release) {
		log_err("dma_buf: exporter %s lacks the required op %s",
			info->exp_name ? info->exp_name : "(null)",
			!ops->map_dma_buf ? "map_dma_buf" :
			!ops->unmap_dma_buf ? "unmap_dma_buf" : "release");
		return -EINVAL;
	}
	if (!info->exp_name || !info->priv || info->size == 0) {
		log_err("dma_buf: exporter %s: %s",
			info->exp_name ? info->exp_name : "(null)",
			!info->exp_name ? "no exporter name" :
			!info->priv ? "no priv" : "size 0");
		return -EINVAL;
	}

	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	buf->refcount = 1;
	buf->size = info->size;
	buf->ops = ops;
	buf->priv = info->priv;
	buf->exp_name = info->exp_name;
	buf->mode = (uint8_t)(info->flags & O_ACCMODE);
	buf->id = dma_buf_next_id++;
	buf->owner = ACCT_NO_OWNER;
	resv_init(&buf->resv);
	TAILQ_INIT(&buf->attachments);
	seq_tree_add(&dma_buf_tree, &buf->list_node);
	objstat_inc(OBJ_DMA_BUF);
	TRACE_DMA_BUF_EXPORT(buf, buf->id, buf->size, buf->exp_name);

	*ret_buf = buf;
	return 0;
}

struct dma_buf *dma_buf_ref(struct dma_buf *buf)
{
	if (buf) {
		assert(buf->refcount > 0);
		buf->refcount++;
	}
	return buf;
}

static void dma_buf_free(struct dma_buf *buf)
{
	TRACE_DMA_BUF_RELEASE(buf, buf->id, buf->size);
	seq_tree_remove(&dma_buf_tree, &buf->list_node);
	buf->ops->release(buf);
	resv_fini(&buf->resv);
	objstat_dec(OBJ_DMA_BUF);
	free(buf->name);
	free(buf);
}

static bool dma_buf_in_use(const struct dma_buf *buf)
{
	return !TAILQ_EMPTY(&buf->attachments) || buf->vmapping_counter > 0 ||
	       buf->poll_active > 0;
}

/* The last reference is gone: free the buffer unless someone still uses it. */
static void dma_buf_release(struct dma_buf *buf)
{
	if (!dma_buf_in_use(buf)) {
		dma_buf_free(buf);
		return;
	}

	/*
	 * The kernel BUG()s here. Freeing would hand memory still mapped or
	 * attached to the next user, so keep the buffer and report.
	 */
	dma_buf_violation_count++;
	buf->orphaned = true;
	log_err("dma_buf %llu (%s, \"%s\") released while in use: "
		"%u attachment(s), %u vmap(s), %u poll callback(s); kept until "
		"they are gone",
		(unsigned long long)buf->id, buf->exp_name,
		dma_buf_get_name(buf),
		buf->num_attachments, buf->vmapping_counter, buf->poll_active);
}

/* An orphaned buffer lost a user: finish its release if it was the last. */
static void dma_buf_orphan_check(struct dma_buf *buf)
{
	if (buf->orphaned && !dma_buf_in_use(buf)) {
		log_notice("dma_buf %llu: deferred release completed",
			   (unsigned long long)buf->id);
		dma_buf_free(buf);
	}
}

struct dma_buf *dma_buf_unref(struct dma_buf *buf)
{
	if (!buf)
		return NULL;
	assert(buf->refcount > 0);
	if (--buf->refcount == 0)
		dma_buf_release(buf);
	return NULL;
}

unsigned long dma_buf_violations(void)
{
	return dma_buf_violation_count;
}

struct dma_buf *dma_buf_seek(uint64_t seq)
{
	struct seq_node *n = seq_tree_seek(&dma_buf_tree, seq);

	return n ? container_of(n, struct dma_buf, list_node) : NULL;
}

int dma_buf_foreach(int (*fn)(struct dma_buf *buf, void *data), void *data)
{
	struct seq_node *n;
	int r;

	/* By number, so oldest first; no second list of the same buffers. */
	for (n = seq_tree_seek(&dma_buf_tree, 1); n;
	     n = seq_tree_seek(&dma_buf_tree, n->seq + 1)) {
		r = fn(container_of(n, struct dma_buf, list_node), data);
		if (r)
			return r;
	}
	return 0;
}

int dma_buf_set_name(struct dma_buf *buf, const char *name)
{
	size_t len;
	char *copy;

	if (!buf || !name)
		return -EINVAL;
	len = strnlen(name, DMA_BUF_NAME_LEN);
	if (len == DMA_BUF_NAME_LEN)
		return -EINVAL;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, name, len);
	copy[len] = '\0';
	free(buf->name);
	buf->name = copy;
	return 0;
}

const char *dma_buf_get_name(const struct dma_buf *buf)
{
	return buf->name ? buf->name : "";
}

int dma_buf_attach(struct dma_buf *buf, void *importer_priv,
		   struct dma_buf_attachment **ret_att)
{
	struct dma_buf_attachment *att;
	int r;

	if (!buf || !ret_att || buf->orphaned)
		return -EINVAL;
	r = resv_lock(&buf->resv);
	if (r < 0)
		return r;

	att = calloc(1, sizeof(*att));
	if (!att) {
		r = -ENOMEM;
		goto out;
	}
	att->dmabuf = buf;
	att->importer_priv = importer_priv;
	att->dir = DMA_BIDIRECTIONAL;
	if (buf->ops->attach) {
		r = buf->ops->attach(buf, att);
		if (r < 0) {
			free(att);
			goto out;
		}
	}
	TAILQ_INSERT_TAIL(&buf->attachments, att, node);
	buf->num_attachments++;
	objstat_inc(OBJ_ATTACHMENT);
	*ret_att = att;
	r = 0;
out:
	resv_unlock(&buf->resv);
	return r;
}

int dma_buf_detach(struct dma_buf_attachment *att)
{
	struct dma_buf *buf;
	int r;

	if (!att || !att->dmabuf)
		return -EINVAL;
	buf = att->dmabuf;
	if (att->map_count > 0)
		return -EBUSY;
	r = resv_lock(&buf->resv);
	if (r < 0)
		return r;

	TAILQ_REMOVE(&buf->attachments, att, node);
	buf->num_attachments--;
	if (buf->ops->detach)
		buf->ops->detach(buf, att);
	objstat_dec(OBJ_ATTACHMENT);
	free(att);

	resv_unlock(&buf->resv);
	dma_buf_orphan_check(buf);
	return 0;
}

int dma_buf_map_attachment(struct dma_buf_attachment *att,
			   enum dma_data_direction dir,
			   struct dma_buf_sgt **ret_sgt)
{
	struct dma_buf *buf;
	struct dma_buf_sgt *sgt = NULL;
	int r;

	if (!att || !att->dmabuf || !dir_valid(dir) || !ret_sgt)
		return -EINVAL;
	buf = att->dmabuf;
	if (!resv_is_locked(&buf->resv))
		return -EPERM;
	/*
	 * A non-dynamic importer may only touch the memory once kernel
	 * memory management is done with it. The kernel waits here; the
	 * model does not block, so the caller waits first.
	 */
	if (!resv_test_signaled(&buf->resv, RESV_USAGE_KERNEL))
		return -EBUSY;

	if (att->sgt) {
		if (att->dir != dir && att->dir != DMA_BIDIRECTIONAL)
			return -EBUSY;
		att->map_count++;
		*ret_sgt = att->sgt;
		return 0;
	}

	r = buf->ops->map_dma_buf(att, dir, &sgt);
	if (r < 0)
		return r;
	if (!sgt) {
		log_err("dma_buf %llu: exporter %s mapped without a table",
			(unsigned long long)buf->id, buf->exp_name);
		return -EIO;
	}
	att->sgt = sgt;
	att->dir = dir;
	att->map_count = 1;
	objstat_inc(OBJ_MAPPING);
	*ret_sgt = sgt;
	return 0;
}

int dma_buf_unmap_attachment(struct dma_buf_attachment *att,
			     struct dma_buf_sgt *sgt,
			     enum dma_data_direction dir)
{
	struct dma_buf *buf;

	if (!att || !att->dmabuf || !sgt || !dir_valid(dir))
		return -EINVAL;
	buf = att->dmabuf;
	if (!resv_is_locked(&buf->resv))
		return -EPERM;
	if (att->map_count == 0 || att->sgt != sgt)
		return -EINVAL;

	if (--att->map_count > 0)
		return 0;
	att->sgt = NULL;
	buf->ops->unmap_dma_buf(att, sgt, att->dir);
	att->dir = DMA_BIDIRECTIONAL;
	objstat_dec(OBJ_MAPPING);
	return 0;
}

int dma_buf_vmap(struct dma_buf *buf, void **ret_vaddr)
{
	void *vaddr = NULL;
	int r;

	if (!buf || !ret_vaddr || !buf->ops->vmap || buf->orphaned)
		return -EINVAL;
	r = resv_lock(&buf->resv);
	if (r < 0)
		return r;

	if (buf->vmapping_counter == 0) {
		r = buf->ops->vmap(buf, &vaddr);
		if (r < 0)
			goto out;
		buf->vmap_ptr = vaddr;
	}
	buf->vmapping_counter++;
	*ret_vaddr = buf->vmap_ptr;
	r = 0;
out:
	resv_unlock(&buf->resv);
	return r;
}

int dma_buf_vunmap(struct dma_buf *buf, void *vaddr)
{
	int r;

	if (!buf || buf->vmapping_counter == 0 || vaddr != buf->vmap_ptr)
		return -EINVAL;
	r = resv_lock(&buf->resv);
	if (r < 0)
		return r;

	if (--buf->vmapping_counter == 0) {
		if (buf->ops->vunmap)
			buf->ops->vunmap(buf, buf->vmap_ptr);
		buf->vmap_ptr = NULL;
	}

	resv_unlock(&buf->resv);
	dma_buf_orphan_check(buf);
	return 0;
}

int dma_buf_begin_cpu_access(struct dma_buf *buf, enum dma_data_direction dir)
{
	if (!buf || !dir_valid(dir))
		return -EINVAL;
	if (!buf->ops->begin_cpu_access)
		return 0;
	return buf->ops->begin_cpu_access(buf, dir);
}

int dma_buf_end_cpu_access(struct dma_buf *buf, enum dma_data_direction dir)
{
	if (!buf || !dir_valid(dir))
		return -EINVAL;
	if (!buf->ops->end_cpu_access)
		return 0;
	return buf->ops->end_cpu_access(buf, dir);
}

int dma_buf_sync_parse(uint64_t flags, struct dma_buf_sync_op *ret_op)
{
	struct dma_buf_sync_op op;

	if (!ret_op || (flags & ~(uint64_t)DMA_BUF_SYNC_VALID_FLAGS_MASK))
		return -EINVAL;

	switch (flags & DMA_BUF_SYNC_RW) {
	case DMA_BUF_SYNC_READ:
		op.dir = DMA_FROM_DEVICE;
		break;
	case DMA_BUF_SYNC_WRITE:
		op.dir = DMA_TO_DEVICE;
		break;
	case DMA_BUF_SYNC_RW:
		op.dir = DMA_BIDIRECTIONAL;
		break;
	default:
		return -EINVAL;
	}
	op.end = flags & DMA_BUF_SYNC_END;
	op.wait_usage = resv_usage_rw(op.dir != DMA_FROM_DEVICE);
	*ret_op = op;
	return 0;
}

int dma_buf_get_memfd(struct dma_buf *buf)
{
	if (!buf || !buf->ops->get_memfd)
		return -EINVAL;
	return buf->ops->get_memfd(buf);
}

int dma_buf_open_memfd(struct dma_buf *buf, int accmode)
{
	int memfd, fd;

	if (!buf || (accmode != O_RDONLY && accmode != O_RDWR))
		return -EINVAL;
	memfd = dma_buf_get_memfd(buf);
	if (memfd < 0)
		return memfd;
	fd = memfd_reopen(memfd, accmode | O_CLOEXEC);
	if (fd >= 0)
		buf->memfd_opened = true;
	return fd;
}

/* Poll. */

void dma_buf_poll_cb_init(struct dma_buf_poll_cb *cb)
{
	*cb = (struct dma_buf_poll_cb){ 0 };
}

static void dma_buf_poll_fire(struct fence *fence, struct fence_cb *fcb)
{
	struct dma_buf_poll_cb *cb = container_of(fcb, struct dma_buf_poll_cb, cb);
	struct dma_buf *buf = cb->dmabuf;
	struct fence *f = cb->fence;

	/* Disarm before notifying: the poller re-polls and may re-arm @cb. */
	cb->active = false;
	cb->fence = NULL;
	cb->dmabuf = NULL;
	buf->poll_active--;
	cb->notify(cb);
	fence_unref(f);
	dma_buf_unref(buf);
}

/* The first pending fence with usage <= @usage, or NULL. */
static struct fence *first_pending(struct dma_buf *buf, enum resv_usage usage)
{
	struct resv *resv = &buf->resv;

	for (unsigned i = 0; i < resv->num_fences; i++) {
		if (resv->entries[i].usage > usage)
			continue;
		if (!fence_is_signaled(resv->entries[i].fence))
			return resv->entries[i].fence;
	}
	return NULL;
}

int dma_buf_poll(struct dma_buf *buf, unsigned events,
		 struct dma_buf_poll_cb *cb, dma_buf_poll_fn notify)
{
	struct fence *in_fence = NULL, *out_fence = NULL, *fence;
	unsigned ready = 0;

	if (!buf || buf->orphaned || (cb && !notify))
		return -EINVAL;

	/*
	 * Arm on the first pending fence, retrying if it signals as the
	 * callback is added: the loop ends because each pass sees one more
	 * fence signaled.
	 */
	for (;;) {
		ready = 0;
		if (events & POLLIN) {
			in_fence = first_pending(buf, RESV_USAGE_WRITE);
			if (!in_fence)
				ready |= POLLIN;
		}
		if (events & POLLOUT) {
			out_fence = first_pending(buf, RESV_USAGE_READ);
			if (!out_fence)
				ready |= POLLOUT;
		}
		fence = in_fence ? in_fence : out_fence;
		if (!fence || !cb || cb->active)
			return (int)ready;

		cb->notify = notify;
		if (fence_add_callback(fence, &cb->cb, dma_buf_poll_fire) == 0)
			break;
		/* Signaled meanwhile (-ENOENT): look again. */
		in_fence = out_fence = NULL;
	}

	cb->fence = fence_ref(fence);
	cb->dmabuf = dma_buf_ref(buf);
	cb->active = true;
	buf->poll_active++;
	return (int)ready;
}

bool dma_buf_poll_cancel(struct dma_buf_poll_cb *cb)
{
	struct dma_buf *buf;
	struct fence *fence;

	if (!cb || !cb->active)
		return false;
	buf = cb->dmabuf;
	fence = cb->fence;
	fence_remove_callback(fence, &cb->cb);
	cb->active = false;
	cb->fence = NULL;
	cb->dmabuf = NULL;
	buf->poll_active--;
	fence_unref(fence);
	dma_buf_unref(buf);
	return true;
}
