/* SPDX-License-Identifier: MIT */
/*
 * Fences between dmabufd and the real kernel: the contract, the timeline
 * rule and the life cycles are in kernel_sync.h.
 *
 * An import is a struct kfence (the dmabufd fence) and, while the kernel
 * fence is pending, a struct kwatch (the uv_poll and the fd), which lives
 * until libuv closes its handle: whichever of the two goes first unlinks
 * itself from the other. An export is a struct kpoint on its struct
 * ktimeline's list (sorted by k), holding a reference to its dmabufd
 * fence and a callback on it until the point leaves the list.
 */
#include "kernel_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <unistd.h>

#include <linux/sync_file.h>

#include <dmabufd/sw_sync.h>

#include "model/acct.h"
#include "util/fd_drop.h"
#include "util/log.h"
#include "util/macros.h"

#define SW_SYNC_PATH "/sys/kernel/debug/sync/sw_sync"
/* How far ahead of a timeline's value a point may go: sw_sync compares
 * 32-bit values with wrap. */
#define KPOINT_AHEAD_MAX ((uint64_t)INT32_MAX)

/* ---- the real kernel ------------------------------------------------------ */

static int real_check(int fd)
{
	char path[64], link[64];
	ssize_t n;

	/* A kernel sync_file is an anonymous inode named so; anything else
	 * (a dmabufd node, whose ioctls this thread serves, a pipe) is not
	 * touched further. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -EINVAL;
	link[n] = '\0';
	return strcmp(link, "anon_inode:sync_file") == 0 ? 0 : -EINVAL;
}

static int real_info(int fd, int *ret_status, char ret_name[KERNEL_SYNC_NAME_LEN])
{
	struct sync_file_info info = { .num_fences = 0 };

	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info) < 0)
		return -errno;
	*ret_status = info.status;
	memcpy(ret_name, info.name, KERNEL_SYNC_NAME_LEN);
	ret_name[KERNEL_SYNC_NAME_LEN - 1] = '\0';
	return 0;
}

static int real_timeline_open(void)
{
	int fd = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -EOPNOTSUPP : -errno;
	return fd;
}

static int real_create_fence(int timeline, uint32_t value, const char *name)
{
	struct sw_sync_create_fence_data d = { .value = value };

	snprintf(d.name, sizeof(d.name), "%s", name);
	if (ioctl(timeline, SW_SYNC_IOC_CREATE_FENCE, &d) < 0)
		return -errno;
	/* The kernel's sw_sync makes its fd without O_CLOEXEC. */
	(void)fcntl(d.fence, F_SETFD, FD_CLOEXEC);
	return d.fence;
}

static int real_inc(int timeline, uint32_t count)
{
	return ioctl(timeline, SW_SYNC_IOC_INC, &count) < 0 ? -errno : 0;
}

const struct kernel_sync_ops kernel_sync_real_ops = {
	.check = real_check,
	.info = real_info,
	.timeline_open = real_timeline_open,
	.create_fence = real_create_fence,
	.inc = real_inc,
};

static uv_loop_t *ks_loop;
static const struct kernel_sync_ops *ks_ops;

/* ---- fences in ------------------------------------------------------------ */

struct kwatch;

struct kfence {
	struct fence base;
	struct kwatch *watch;         /* while the kernel fence is pending */
	struct acct *acct;            /* charged one file while watched */
	char name[KERNEL_SYNC_NAME_LEN];
};

struct kwatch {
	uv_poll_t poll;
	int fd;
	struct kfence *kf;            /* NULL once the fence is gone */
	LIST_ENTRY(kwatch) link;
};

static LIST_HEAD(, kwatch) watches = LIST_HEAD_INITIALIZER(watches);
static unsigned watch_count;

static const char *kfence_driver(struct fence *fence)
{
	return "kernel";
}

static const char *kfence_timeline(struct fence *fence)
{
	return container_of(fence, struct kfence, base)->name;
}

static void watch_closed(uv_handle_t *handle)
{
	struct kwatch *w = container_of((uv_poll_t *)handle, struct kwatch, poll);

	close(w->fd);
	free(w);
}

/* Stop watching: the fd goes with the handle; @w's fence keeps nothing. */
static void watch_end(struct kwatch *w)
{
	struct kfence *kf = w->kf;

	if (kf) {
		kf->watch = NULL;
		acct_uncharge(kf->acct, ACCT_FILES, 1);
		w->kf = NULL;
	}
	LIST_REMOVE(w, link);
	watch_count--;
	uv_close((uv_handle_t *)&w->poll, watch_closed);
}

static void kfence_release(struct fence *fence)
{
	struct kfence *kf = container_of(fence, struct kfence, base);

	if (kf->watch)
		watch_end(kf->watch);
	acct_unref(kf->acct);
	free(kf);
}

static const struct fence_ops kfence_ops = {
	.get_driver_name = kfence_driver,
	.get_timeline_name = kfence_timeline,
	.release = kfence_release,
};

/* Signal @kf with what the kernel says: @status 1 or -errno. */
static void kfence_finish(struct kfence *kf, int status)
{
	if (status < 0)
		(void)fence_set_error(&kf->base, status < -4095 ? -EIO : status);
	(void)fence_signal(&kf->base);
}

static void watch_event(uv_poll_t *handle, int status, int events)
{
	struct kwatch *w = container_of(handle, struct kwatch, poll);
	struct kfence *kf = w->kf;
	char name[KERNEL_SYNC_NAME_LEN];
	int st = 0, r;

	if (!kf)
		return;
	if (status < 0) {
		st = -EIO;
	} else {
		r = ks_ops->info(w->fd, &st, name);
		if (r < 0)
			st = -EIO;
		else if (st == 0)
			return; /* not yet (a spurious wake-up) */
	}
	/* The signal may drop the last reference: the watch goes first. */
	fence_ref(&kf->base);
	watch_end(w);
	kfence_finish(kf, st);
	fence_unref(&kf->base);
}

int kernel_fence_import(int fd, uid_t owner, struct fence **ret_fence)
{
	struct kfence *kf;
	struct kwatch *w;
	int status, r;

	if (!ks_loop) {
		r = -ENODEV;
		goto fail_fd;
	}
	if (ks_ops->check(fd) < 0) {
		r = -EINVAL;
		goto fail_fd;
	}
	kf = calloc(1, sizeof(*kf));
	if (!kf) {
		r = -ENOMEM;
		goto fail_fd;
	}
	r = ks_ops->info(fd, &status, kf->name);
	if (r < 0) {
		free(kf);
		r = -EINVAL;
		goto fail_fd;
	}
	r = acct_get(owner, &kf->acct);
	if (r < 0) {
		free(kf);
		goto fail_fd;
	}
	(void)fence_init(&kf->base, &kfence_ops, fence_context_alloc(1), 1);
	kf->base.owner = owner;
	if (status != 0) {
		close(fd);
		kfence_finish(kf, status);
		*ret_fence = &kf->base;
		return 0;
	}
	r = acct_charge(kf->acct, ACCT_FILES, 1);
	if (r < 0) {
		fence_unref(&kf->base);
		goto fail_fd;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		acct_uncharge(kf->acct, ACCT_FILES, 1);
		fence_unref(&kf->base);
		r = -ENOMEM;
		goto fail_fd;
	}
	w->fd = fd;
	r = uv_poll_init(ks_loop, &w->poll, fd);
	if (r < 0) {
		free(w);
		acct_uncharge(kf->acct, ACCT_FILES, 1);
		fence_unref(&kf->base);
		goto fail_fd;
	}
	w->kf = kf;
	kf->watch = w;
	LIST_INSERT_HEAD(&watches, w, link);
	watch_count++;
	r = uv_poll_start(&w->poll, UV_READABLE, watch_event);
	if (r < 0) {
		fence_unref(&kf->base); /* ends the watch, closes @fd */
		return r;
	}
	*ret_fence = &kf->base;
	return 0;

fail_fd:
	/* Perhaps no kernel sync_file at all: one of this daemon's own
	 * files, whose release the loop must answer (util/fd_drop.h). */
	fd_drop(fd);
	return r;
}

/* ---- fences out ----------------------------------------------------------- */

struct ktimeline;

struct kpoint {
	struct fence_cb cb;
	struct fence *fence;          /* a reference */
	uint64_t k;                   /* the kernel point's value */
	bool signaled;
	struct ktimeline *tl;
	TAILQ_ENTRY(kpoint) link;
};

struct ktimeline {
	uint64_t context;             /* the dmabufd fences' */
	struct acct *acct;            /* who opened it: charged one file */
	uint64_t base;                /* k = seqno - base */
	uint64_t value;               /* the kernel timeline's */
	int fd;
	TAILQ_HEAD(, kpoint) points;  /* pending in the kernel, by k */
	LIST_ENTRY(ktimeline) link;
};

static LIST_HEAD(, ktimeline) timelines = LIST_HEAD_INITIALIZER(timelines);
static unsigned timeline_count;
static unsigned point_count;

static void point_free(struct kpoint *pt)
{
	TAILQ_REMOVE(&pt->tl->points, pt, link);
	if (!pt->signaled)
		fence_remove_callback(pt->fence, &pt->cb);
	fence_unref(pt->fence);
	free(pt);
	point_count--;
}

static void timeline_free(struct ktimeline *tl)
{
	struct kpoint *pt;

	while ((pt = TAILQ_FIRST(&tl->points)))
		point_free(pt);
	LIST_REMOVE(tl, link);
	timeline_count--;
	close(tl->fd);
	acct_uncharge(tl->acct, ACCT_FILES, 1);
	acct_unref(tl->acct);
	free(tl);
}

/*
 * Move @tl to the highest k below which every point has signaled, and
 * close it once nothing is pending.
 */
static void timeline_advance(struct ktimeline *tl)
{
	uint64_t target = tl->value;
	struct kpoint *pt;
	int r;

	while ((pt = TAILQ_FIRST(&tl->points)) && pt->signaled) {
		target = pt->k;
		point_free(pt);
	}
	if (target > tl->value) {
		r = ks_ops->inc(tl->fd, (uint32_t)(target - tl->value));
		if (r < 0)
			log_warn("kernel-sync: cannot move a sw_sync timeline "
				 "to %llu: %s", (unsigned long long)target,
				 strerror(-r));
		else
			tl->value = target;
	}
	if (TAILQ_EMPTY(&tl->points))
		timeline_free(tl);
}

static void point_signaled(struct fence *fence, struct fence_cb *cb)
{
	struct kpoint *pt = container_of(cb, struct kpoint, cb);

	if (fence->error)
		log_debug("kernel-sync: %s:%s %llu failed (%s); its kernel "
			  "point signals without the error", fence_driver_name(fence),
			  fence_timeline_name(fence), (unsigned long long)fence->seqno,
			  strerror(-fence->error));
	pt->signaled = true;
	timeline_advance(pt->tl);
}

static bool timeline_fits(const struct ktimeline *tl, uint64_t seqno)
{
	uint64_t k = seqno - tl->base;

	return k > tl->value && k - tl->value <= KPOINT_AHEAD_MAX &&
	       k <= UINT32_MAX;
}

/* A timeline for @context from @seqno on, its fd charged to @owner. */
static int timeline_new(uint64_t context, uint64_t seqno, uid_t owner,
			struct ktimeline **ret_tl)
{
	struct ktimeline *tl = calloc(1, sizeof(*tl));
	int fd, r;

	if (!tl)
		return -ENOMEM;
	r = acct_get(owner, &tl->acct);
	if (r < 0) {
		free(tl);
		return r;
	}
	r = acct_charge(tl->acct, ACCT_FILES, 1);
	if (r < 0) {
		acct_unref(tl->acct);
		free(tl);
		return r;
	}
	fd = ks_ops->timeline_open();
	if (fd < 0) {
		acct_uncharge(tl->acct, ACCT_FILES, 1);
		acct_unref(tl->acct);
		free(tl);
		return fd;
	}
	tl->context = context;
	tl->base = seqno - 1;
	tl->fd = fd;
	TAILQ_INIT(&tl->points);
	LIST_INSERT_HEAD(&timelines, tl, link);
	timeline_count++;
	*ret_tl = tl;
	return 0;
}

/* A point at 0 of a fresh timeline: signaled at once. */
static int export_signaled(const char *name, int *ret_fd)
{
	int tl = ks_ops->timeline_open(), fd;

	if (tl < 0)
		return tl;
	fd = ks_ops->create_fence(tl, 0, name);
	close(tl);
	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

int kernel_fence_export(struct fence *fence, uid_t owner, int *ret_fd)
{
	struct ktimeline *tl;
	struct kpoint *pt, *at;
	char name[KERNEL_SYNC_NAME_LEN];
	int fd, r;

	if (!ks_loop)
		return -ENODEV;
	snprintf(name, sizeof(name), "%s-%s", fence_driver_name(fence),
		 fence_timeline_name(fence));
	if (fence_is_signaled(fence))
		return export_signaled(name, ret_fd);
	/* Exported before and still pending: another kernel fence at its
	 * point, on whichever timeline of its context that is (the point's
	 * callback serves every one of them). */
	LIST_FOREACH(tl, &timelines, link) {
		if (tl->context != fence->context)
			continue;
		TAILQ_FOREACH(at, &tl->points, link) {
			if (at->fence != fence || at->signaled)
				continue;
			fd = ks_ops->create_fence(tl->fd, (uint32_t)at->k, name);
			if (fd < 0)
				return fd;
			*ret_fd = fd;
			return 0;
		}
	}
	LIST_FOREACH(tl, &timelines, link)
		if (tl->context == fence->context && timeline_fits(tl, fence->seqno))
			break;
	if (!tl) {
		r = timeline_new(fence->context, fence->seqno, owner, &tl);
		if (r < 0)
			return r;
	}
	pt = calloc(1, sizeof(*pt));
	if (!pt) {
		r = -ENOMEM;
		goto fail;
	}
	pt->k = fence->seqno - tl->base;
	fd = ks_ops->create_fence(tl->fd, (uint32_t)pt->k, name);
	if (fd < 0) {
		free(pt);
		r = fd;
		goto fail;
	}
	pt->fence = fence_ref(fence);
	pt->tl = tl;
	point_count++;
	TAILQ_FOREACH(at, &tl->points, link)
		if (at->k > pt->k)
			break;
	if (at)
		TAILQ_INSERT_BEFORE(at, pt, link);
	else
		TAILQ_INSERT_TAIL(&tl->points, pt, link);
	*ret_fd = fd;
	if (fence_add_callback(fence, &pt->cb, point_signaled) < 0) {
		/* It signaled meanwhile (its producer, asked). */
		pt->signaled = true;
		timeline_advance(tl);
	}
	return 0;

fail:
	if (TAILQ_EMPTY(&tl->points))
		timeline_free(tl);
	return r;
}

/* ---- start, stop ---------------------------------------------------------- */

void kernel_sync_start(uv_loop_t *loop, const struct kernel_sync_ops *ops)
{
	ks_loop = loop;
	ks_ops = ops ? ops : &kernel_sync_real_ops;
}

void kernel_sync_stop(void)
{
	struct ktimeline *tl;
	struct kwatch *w;

	while ((w = LIST_FIRST(&watches))) {
		struct kfence *kf = w->kf;

		if (!kf) {
			watch_end(w);
			continue;
		}
		fence_ref(&kf->base);
		watch_end(w);
		kfence_finish(kf, -ENODEV);
		fence_unref(&kf->base);
	}
	while ((tl = LIST_FIRST(&timelines)))
		timeline_free(tl);
	ks_loop = NULL;
}

unsigned kernel_sync_watching(void)
{
	return watch_count;
}

unsigned kernel_sync_timelines(void)
{
	return timeline_count;
}

unsigned kernel_sync_points(void)
{
	return point_count;
}
