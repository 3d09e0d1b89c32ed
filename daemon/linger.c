/* SPDX-License-Identifier: MIT */
/*
 * The heaps' linger hook (see linger.h). Each lingering
 * backing is one struct lingerer on a list; the inotify fd, polled by one
 * uv_poll, maps watch descriptors back to them (a linear search: events
 * are rare, one per client file released). Two timers: the sweep, armed
 * while anything lingers, and the one-shot recheck after an event.
 */
#include "linger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/queue.h>
#include <unistd.h>

#include "model/heap.h"
#include "util/log.h"
#include "util/memfd_probe.h"

struct lingerer {
	struct heap_linger *hl;
	int probe_fd;
	int wd;	      /* inotify watch descriptor, or -1: the sweep only */
	bool recheck; /* probe again when the recheck timer fires */
	LIST_ENTRY(lingerer) node;
};

static LIST_HEAD(, lingerer) lingering = LIST_HEAD_INITIALIZER(lingering);
static enum memfd_probe_how probe_how;
static int inotify_fd = -EBADF;
static uv_poll_t inotify_poll;
static uv_timer_t sweep_timer, recheck_timer;
static bool started, hook_installed;
static bool warned_watch, warned_probe; /* said once */

static void recheck_fired(uv_timer_t *timer);

static void linger_free(struct lingerer *l)
{
	if (l->wd >= 0)
		inotify_rm_watch(inotify_fd, l->wd);
	close(l->probe_fd);
	LIST_REMOVE(l, node);
	heap_linger_free(l->hl);
	free(l);
	if (LIST_EMPTY(&lingering))
		uv_timer_stop(&sweep_timer);
}

/*
 * Probe @l; free it if nobody else holds its memory. @after_event: a
 * close event triggered this, which may precede the kernel's count
 * dropping: a "still held" is looked at again shortly. Returns true if
 * @l was freed.
 */
static bool linger_probe(struct lingerer *l, bool after_event)
{
	int r = memfd_probe_shared(l->probe_fd);

	if (r == 1) {
		if (after_event) {
			l->recheck = true;
			if (!uv_is_active((uv_handle_t *)&recheck_timer))
				uv_timer_start(&recheck_timer, recheck_fired,
					       LINGER_RECHECK_MS, 0);
		}
		return false;
	}
	if (r < 0 && !warned_probe) {
		warned_probe = true;
		log_warn("linger: probing a released buffer failed (%s): "
			 "freeing it as if nothing mapped it",
			 strerror(-r));
	}
	linger_free(l);
	return true;
}

/* Probe every backing (@only_rechecks: those marked after an event). */
static void probe_all(bool only_rechecks)
{
	struct lingerer *l, *next;

	for (l = LIST_FIRST(&lingering); l; l = next) {
		next = LIST_NEXT(l, node);
		if (only_rechecks && !l->recheck)
			continue;
		l->recheck = false;
		linger_probe(l, false);
	}
}

static void sweep_fired(uv_timer_t *timer)
{
	probe_all(false);
}

static void recheck_fired(uv_timer_t *timer)
{
	probe_all(true);
}

static struct lingerer *linger_by_wd(int wd)
{
	struct lingerer *l;

	LIST_FOREACH(l, &lingering, node)
		if (l->wd == wd)
			return l;
	return NULL;
}

static void inotify_readable(uv_poll_t *handle, int status, int events)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	bool overflow = false;
	ssize_t n;

	for (;;) {
		n = read(inotify_fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			struct lingerer *l;

			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				overflow = true;
				continue;
			}
			if (!(ev->mask & IN_CLOSE))
				continue;
			/* Unknown: a watch removed with its backing. */
			l = linger_by_wd(ev->wd);
			if (l)
				linger_probe(l, true);
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		log_warn("linger: reading inotify events: %s",
			 strerror(errno));
	if (overflow)
		probe_all(false);
}

/* Watch the inode of @l's probe file for its files' final close. */
static void linger_watch(struct lingerer *l)
{
	char path[64];

	l->wd = -1;
	if (inotify_fd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", l->probe_fd);
	l->wd = inotify_add_watch(inotify_fd, path, IN_CLOSE);
	if (l->wd < 0 && !warned_watch) {
		warned_watch = true;
		log_warn("linger: cannot watch a released buffer (%s%s): "
			 "polling it every %d ms instead",
			 strerror(errno),
			 errno == ENOSPC ? ": fs.inotify.max_user_watches" : "",
			 LINGER_SWEEP_MS);
	}
}

/* The heaps' hook (heap_set_linger()). */
static void linger_adopt(struct heap_linger *hl, void *data)
{
	struct lingerer *l = calloc(1, sizeof(*l));
	int fd = -ENOMEM;

	if (l)
		fd = memfd_probe_open(probe_how, hl->memfd);
	if (fd < 0) {
		if (!warned_probe) {
			warned_probe = true;
			log_warn("linger: cannot keep a released buffer to "
				 "probe (%s): freeing it as if nothing mapped it",
				 strerror(-fd));
		}
		free(l);
		heap_linger_free(hl);
		return;
	}
	l->hl = hl;
	l->probe_fd = fd;
	LIST_INSERT_HEAD(&lingering, l, node);
	/* The watch first: a release between the probe and the watch
	 * would go unseen until the sweep. */
	linger_watch(l);
	if (linger_probe(l, false))
		return;
	if (!uv_is_active((uv_handle_t *)&sweep_timer))
		uv_timer_start(&sweep_timer, sweep_fired, LINGER_SWEEP_MS,
			       LINGER_SWEEP_MS);
}

/* Open the inotify fd and poll it; without it, the sweep does it all. */
static void inotify_start(uv_loop_t *loop)
{
	int r;

	inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (inotify_fd < 0) {
		r = -errno;
		inotify_fd = -EBADF;
		log_warn("linger: no inotify (%s): released buffers still "
			 "mapped are polled every %d ms", strerror(-r),
			 LINGER_SWEEP_MS);
		return;
	}
	r = uv_poll_init(loop, &inotify_poll, inotify_fd);
	if (r == 0) {
		r = uv_poll_start(&inotify_poll, UV_READABLE, inotify_readable);
		if (r == 0)
			return;
		uv_close((uv_handle_t *)&inotify_poll, NULL);
	}
	/* A failed uv_poll_init holds nothing to close. */
	close(inotify_fd);
	inotify_fd = -EBADF;
	log_warn("linger: cannot poll inotify (%s): released buffers still "
		 "mapped are polled every %d ms", uv_strerror(r),
		 LINGER_SWEEP_MS);
}

int linger_start(uv_loop_t *loop, unsigned flags)
{
	int error = 0, r;

	if (started)
		return 0;
	probe_how = memfd_probe_calibrate(&error);
	if (probe_how == MEMFD_PROBE_NONE) {
		log_warn("file leases cannot tell whether a client still maps a "
			 "buffer (%s): a released buffer's memory leaves its "
			 "heap's and its owner's charge at once, even while a "
			 "client keeps it mapped", strerror(-error));
		return 0;
	}
	r = uv_timer_init(loop, &sweep_timer);
	if (r < 0)
		return r;
	r = uv_timer_init(loop, &recheck_timer);
	if (r < 0) {
		uv_close((uv_handle_t *)&sweep_timer, NULL);
		return r;
	}
	started = true;
	if (!(flags & LINGER_NO_INOTIFY))
		inotify_start(loop);
	heap_set_linger(linger_adopt, NULL);
	hook_installed = true;
	log_info("linger: released buffers still mapped stay charged "
		 "(leases probed on the %s)",
		 probe_how == MEMFD_PROBE_ON_MEMFD ? "memfd" : "memfd's reopen");
	return 0;
}

bool linger_active(void)
{
	return hook_installed;
}

void linger_stop(void)
{
	uint64_t n = 0;

	if (hook_installed) {
		heap_set_linger(NULL, NULL);
		hook_installed = false;
	}
	while (!LIST_EMPTY(&lingering)) {
		linger_free(LIST_FIRST(&lingering));
		n++;
	}
	if (n)
		log_info("linger: freed %llu released buffer(s) still mapped "
			 "by clients", (unsigned long long)n);
	if (!started)
		return;
	started = false;
	if (inotify_fd >= 0) {
		uv_close((uv_handle_t *)&inotify_poll, NULL);
		close(inotify_fd);
	}
	inotify_fd = -EBADF;
	uv_close((uv_handle_t *)&sweep_timer, NULL);
	uv_close((uv_handle_t *)&recheck_timer, NULL);
}
