/* SPDX-License-Identifier: MIT */
/*
 * Requests: a request is allocated by the transport, owned by the dev
 * layer from dispatch on, and freed by the one function that answers it
 * (dev_req_reply / dev_req_fail). A deferred request sits on its file's
 * pending list until then.
 *
 * Those two functions are also where every ioctl is traced at debug level
 * (-vv): one line per answer, with the node, the file, the ioctl's name
 * and the result; and where a wait is recorded (util/recorder.h: WAIT,
 * from dev_req_defer() to the answer) while someone records.
 *
 * The hang report: with a threshold set ([daemon] hang-report-ms), a request
 * parked that long gets one warning that names what it waits for (each
 * unsignaled fence's context:seqno, driver and timeline, its producer's
 * pid and comm, what those fences wait for in turn where the node can
 * tell (a DMA WAIT's transfer: its buffers' implicit fences,
 * node_ops.blockers), and the buffer for a dma-buf's SYNC), from a timer of
 * its own, armed at the defer and cancelled at the answer. A wait that
 * reaches its timeout logs the same line (warning once reported as
 * hung, else info), from fence_wait's expiry hook, while its fences are
 * still held. The pids and comms are read from /proc then, not before.
 * The calls of one uid get at most HANG_REPORT_BURST such lines per
 * HANG_REPORT_INTERVAL_NS (a ratelimit per caller uid, in a table of
 * HANG_REPORT_UIDS that lets the longest quiet one go when full), and
 * all uids together HANG_REPORT_BURST_ALL (so many uids, a user
 * namespace's say, cannot add up to a flood): a client can park as many
 * waits as it likes, and must not flood the journal or keep the loop
 * reading /proc; the next line logged says how many were not. A request
 * whose line was not logged counts as not reported (its timeout line is
 * info, not warning).
 */
#include "request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dmabufd/common.h>
#include <dmabufd/dma_buf.h>
#include <dmabufd/dma_heap.h>
#include <dmabufd/dmaengine.h>
#include <dmabufd/sw_sync.h>
#include <dmabufd/sync_file.h>

#include "file.h"
#include "node_ops.h"
#include "util/log.h"
#include "util/proc_name.h"
#include "util/ratelimit.h"
#include "util/recorder.h"

static unsigned req_pending;
static uint64_t hang_report_ns; /* 0: off */

#define IOCTL_NAME(cmd) { cmd, #cmd }

/* Every ioctl number the nodes know, for the debug log. */
static const struct {
	unsigned cmd;
	const char *name;
} ioctl_names[] = {
	IOCTL_NAME(DMABUFD_IOC_CLAIM),
	IOCTL_NAME(DMABUFD_IOC_EXPORT_TOKEN),
	IOCTL_NAME(DMABUFD_IOC_HANDLE),
	IOCTL_NAME(DMABUFD_IOC_CREATE),
	IOCTL_NAME(DMABUFD_HEAP_IOC_ALLOC),
	IOCTL_NAME(DMA_BUF_IOCTL_SYNC),
	IOCTL_NAME(DMABUFD_DMA_BUF_IOC_INFO),
	IOCTL_NAME(DMABUFD_DMA_BUF_IOC_SET_NAME),
	IOCTL_NAME(DMABUFD_DMA_BUF_IOC_GET_NAME),
	IOCTL_NAME(DMABUFD_DMA_BUF_IOC_EXPORT_SYNC_FILE),
	IOCTL_NAME(DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE),
	IOCTL_NAME(DMABUFD_DMA_BUF_IOC_MAP),
	IOCTL_NAME(SYNC_IOC_MERGE),
	IOCTL_NAME(SYNC_IOC_FILE_INFO),
	IOCTL_NAME(SYNC_IOC_SET_DEADLINE),
	IOCTL_NAME(DMABUFD_SYNC_IOC_MERGE),
	IOCTL_NAME(DMABUFD_SYNC_IOC_FILE_INFO),
	IOCTL_NAME(DMABUFD_SYNC_IOC_WAIT),
	IOCTL_NAME(SW_SYNC_IOC_CREATE_FENCE),
	IOCTL_NAME(SW_SYNC_IOC_INC),
	IOCTL_NAME(SW_SYNC_GET_DEADLINE),
	IOCTL_NAME(DMABUFD_SW_SYNC_IOC_CREATE_FENCE),
	IOCTL_NAME(DMABUFD_SW_SYNC_IOC_GET_DEADLINE),
	IOCTL_NAME(DMABUFD_DMA_IOC_REQUEST_CHAN),
	IOCTL_NAME(DMABUFD_DMA_IOC_CAPS),
	IOCTL_NAME(DMABUFD_DMA_IOC_SLAVE_CONFIG),
	IOCTL_NAME(DMABUFD_DMA_IOC_ATTACH),
	IOCTL_NAME(DMABUFD_DMA_IOC_DETACH),
	IOCTL_NAME(DMABUFD_DMA_IOC_PREP),
	IOCTL_NAME(DMABUFD_DMA_IOC_SUBMIT),
	IOCTL_NAME(DMABUFD_DMA_IOC_ISSUE_PENDING),
	IOCTL_NAME(DMABUFD_DMA_IOC_TX_STATUS),
	IOCTL_NAME(DMABUFD_DMA_IOC_FENCE),
	IOCTL_NAME(DMABUFD_DMA_IOC_CONTROL),
	IOCTL_NAME(DMABUFD_DMA_IOC_EVENTS),
	IOCTL_NAME(DMABUFD_DMA_IOC_WAIT),
	IOCTL_NAME(DMABUFD_DMA_IOC_STATUS_MAP),
};

/* The name of ioctl @cmd, or NULL for a number no node knows. */
static const char *ioctl_name(unsigned cmd)
{
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_names); i++)
		if (ioctl_names[i].cmd == cmd)
			return ioctl_names[i].name;
	return NULL;
}

/*
 * The debug line of an answer: "dev: NODE #FILE: NAME = RESULT", the
 * result a number or an errno name, "(late)" for a deferred request.
 */
static void dev_req_log(const struct dev_req *req, int result)
{
	const char *name, *err;
	char num[48], res[32];

	if (!log_enabled(LOG_DEBUG))
		return;
	name = ioctl_name(req->cmd);
	if (!name) {
		snprintf(num, sizeof(num), "ioctl 0x%08x (type 0x%02x nr %u)",
			 req->cmd, _IOC_TYPE(req->cmd), _IOC_NR(req->cmd));
		name = num;
	}
	err = result < 0 ? strerrorname_np(-result) : NULL;
	if (err)
		snprintf(res, sizeof(res), "-%s", err);
	else
		snprintf(res, sizeof(res), "%d", result);
	log_debug("dev: %s #%llu: %s = %s%s",
		  req->file ? req->file->node->name : "-",
		  req->file ? (unsigned long long)dev_file_id(req->file) : 0ull, name, res,
		  req->deferred ? " (late)" : "");
}

struct dev_req *dev_req_new(const struct dev_transport_ops *tops, void *treq,
			    struct dev_file *file, unsigned cmd,
			    const void *in, size_t in_size, size_t out_size)
{
	struct dev_req *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->tops = tops;
	req->treq = treq;
	req->file = file;
	req->caller_uid = file ? file->uid : (uid_t)-1;
	req->caller_pid = file ? file->pid : 0;
	req->cmd = cmd;
	req->in = in;
	req->in_size = in_size;
	req->out_size = out_size;
	return req;
}

void dev_req_dispatch(struct dev_req *req)
{
	/* The daemon is stopping: no new work (dev.h). */
	if (dev_stopping()) {
		dev_req_fail(req, -ENODEV);
		return;
	}
	/* Who touched it last: two stores, no /proc read (the listings
	 * resolve the pid and its comm when they are made). */
	req->file->last_pid = req->caller_pid;
	if (req->file->dma_buf)
		req->file->dma_buf->last_pid = req->caller_pid;
	if (dev_common_ioctl(req))
		return;
	req->file->node->ops->ioctl(req);
}

/* Numbers the recorded waits (DMABUFD_TRACE_WAIT's @id). */
static uint64_t wait_serial;

/* The recorder's WAIT record of deferred @req (recorder.h). */
static void dev_req_record(const struct dev_req *req, uint32_t phase,
			   int result)
{
	const char *name = ioctl_name(req->cmd);
	struct dmabufd_ctl_trace_rec rec = {
		.track = (uint64_t)req->caller_pid,
		.id = req->trace_id,
		.kind = DMABUFD_TRACE_WAIT,
		.phase = phase,
		.result = result,
		.pid = (uint32_t)req->caller_pid,
	};
	char num[DMABUFD_CTL_NAME_LEN];

	if (!name) {
		snprintf(num, sizeof(num), "ioctl 0x%08x", req->cmd);
		name = num;
	}
	recorder_name(rec.label, name);
	recorder_emit(&rec, req->caller_uid);
}

/* "pid 123 (comm)" of thread @tid, as of now; "pid 0" for none. */
static const char *pid_words(pid_t tid, char *buf, size_t size)
{
	char comm[PROC_COMM_LEN];
	uint32_t pid;

	proc_name_get(tid, clock_now_ns(), &pid, comm);
	snprintf(buf, size, "pid %u (%s)", pid, comm[0] ? comm : "?");
	return buf;
}

/* Fences of a report at most; the rest are counted. */
#define HANG_FENCES_MAX 3
/* Report lines of one uid, and of all, at most, per interval. */
#define HANG_REPORT_BURST 10
#define HANG_REPORT_BURST_ALL 50
#define HANG_REPORT_INTERVAL_NS (10ull * 1000000000ull)
#define HANG_REPORT_UIDS 64

static struct {
	uid_t uid;
	bool used;
	struct ratelimit rl;
} hang_limits[HANG_REPORT_UIDS];
static struct ratelimit hang_limit_all;

/* Whether @req's caller uid may have another report line now;
 * *@ret_missed: its lines not logged since its last, *@ret_missed_all:
 * all uids' lines not logged for the limit on all since the last. */
static bool dev_req_report_allowed(const struct dev_req *req, uint64_t now,
				   uint64_t *ret_missed, uint64_t *ret_missed_all)
{
	unsigned i, slot = 0;

	for (i = 0; i < HANG_REPORT_UIDS; i++) {
		if (hang_limits[i].used && hang_limits[i].uid == req->caller_uid)
			break;
		if (!hang_limits[i].used ||
		    (hang_limits[slot].used &&
		     hang_limits[i].rl.begin_ns < hang_limits[slot].rl.begin_ns))
			slot = i;
	}
	if (i == HANG_REPORT_UIDS) {
		i = slot;
		hang_limits[i].uid = req->caller_uid;
		hang_limits[i].used = true;
		hang_limits[i].rl = (struct ratelimit){ 0 };
	}
	if (!ratelimit_allow(&hang_limits[i].rl, now, HANG_REPORT_INTERVAL_NS,
			     HANG_REPORT_BURST, ret_missed))
		return false;
	if (ratelimit_allow(&hang_limit_all, now, HANG_REPORT_INTERVAL_NS,
			    HANG_REPORT_BURST_ALL, ret_missed_all))
		return true;
	/* Not logged after all: the uid's count says so next time. */
	hang_limits[i].rl.missed += *ret_missed + 1;
	return false;
}

/*
 * The hang report's line for @req: "dev: NODE #FILE: IOCTL by pid P
 * (comm) WHAT after DURATION: fence CTX:SEQNO (driver/timeline) made by
 * pid Q (comm)[, ...][, which waits for fence ... made by pid R
 * (comm)[, ...]][, buffer ID "name"]". Returns whether it was logged
 * (the level enabled, the rate limits not reached).
 */
static bool dev_req_report(const struct dev_req *req, int level,
			   const char *what)
{
	const struct fence_wait *w = &req->wait;
	const char *name = ioctl_name(req->cmd);
	char line[512], who[64], num[48];
	unsigned shown = 0, more = 0;
	size_t len = 0;
	uint64_t now = clock_now_ns(), missed, missed_all;

	if (!log_enabled(level) ||
	    !dev_req_report_allowed(req, now, &missed, &missed_all))
		return false;
	if (!name) {
		snprintf(num, sizeof(num), "ioctl 0x%08x", req->cmd);
		name = num;
	}
#define ADD(...)                                                              \
	do {                                                                  \
		if (len < sizeof(line))                                       \
			len += (size_t)snprintf(line + len, sizeof(line) - len, \
						__VA_ARGS__);                 \
	} while (0)
	ADD("dev: %s #%llu: %s by %s %s after %llu ms", req->file->node->name,
	    (unsigned long long)dev_file_id(req->file), name,
	    pid_words(req->caller_pid, who, sizeof(who)), what,
	    (unsigned long long)((now - req->deferred_ns) / 1000000u));
	for (unsigned i = 0; w->slots && i < w->num; i++) {
		struct fence *f = w->slots[i].fence;

		if (fence_peek_status(f) != 0)
			continue;
		if (shown == HANG_FENCES_MAX) {
			more++;
			continue;
		}
		ADD("%s fence %llu:%llu (%s/%s) made by %s", shown ? "," : ":",
		    (unsigned long long)f->context, (unsigned long long)f->seqno,
		    fence_driver_name(f), fence_timeline_name(f),
		    pid_words(f->producer, who, sizeof(who)));
		shown++;
	}
	if (more)
		ADD(" and %u more", more);
	if (shown && req->file->node->ops->blockers) {
		struct fence *b[HANG_FENCES_MAX];
		unsigned nb = req->file->node->ops->blockers(req, b, HANG_FENCES_MAX);

		for (unsigned i = 0; i < nb && i < HANG_FENCES_MAX; i++)
			ADD("%s fence %llu:%llu (%s/%s) made by %s",
			    i ? "," : ", which waits for",
			    (unsigned long long)b[i]->context,
			    (unsigned long long)b[i]->seqno, fence_driver_name(b[i]),
			    fence_timeline_name(b[i]),
			    pid_words(b[i]->producer, who, sizeof(who)));
		if (nb > HANG_FENCES_MAX)
			ADD(" and %u more", nb - HANG_FENCES_MAX);
	}
	if (!shown && req->wait.active)
		ADD(": its fences signaled");
	else if (!req->wait.active)
		ADD(": no fence (a channel request)");
	if (req->file->dma_buf)
		ADD(", buffer %llu \"%s\"",
		    (unsigned long long)req->file->dma_buf->id,
		    dma_buf_get_name(req->file->dma_buf));
	if (missed)
		ADD(" (and %llu earlier reports of uid %u not logged)",
		    (unsigned long long)missed, (unsigned)req->caller_uid);
	if (missed_all)
		ADD(" (and %llu earlier reports not logged: too many of all uids)",
		    (unsigned long long)missed_all);
#undef ADD
	log_msg(level, "%s", line);
	return true;
}

static void dev_req_hang_fired(struct timer *timer)
{
	struct dev_req *req = container_of(timer, struct dev_req, hang_timer);

	req->hang_reported = dev_req_report(req, LOG_WARNING, "still blocked");
}

static void dev_req_wait_expired(struct fence_wait *wait)
{
	struct dev_req *req = container_of(wait, struct dev_req, wait);

	(void)dev_req_report(req, req->hang_reported ? LOG_WARNING : LOG_INFO,
			     "timed out");
}

void dev_set_hang_report(uint64_t ns)
{
	hang_report_ns = ns;
}

/* Take @req, answered with @result, off its file's pending list, if it
 * is on it. */
static void dev_req_unpark(struct dev_req *req, int result)
{
	if (!req->deferred)
		return;
	if (req->hang_timer.armed)
		timer_cancel(&req->hang_timer);
	if (req->trace_id && recorder_on())
		dev_req_record(req, DMABUFD_TRACE_END, result);
	LIST_REMOVE(req, link);
	req->deferred = false;
	req_pending--;
}

void dev_req_reply(struct dev_req *req, int result, const void *out,
		   size_t size)
{
	dev_req_log(req, result);
	dev_req_unpark(req, result);
	if (result < 0 || size > req->out_size) {
		log_err("dev: reply to ioctl 0x%08x with result %d and %zu "
			"bytes for %zu: a handler bug",
			req->cmd, result, size, req->out_size);
		req->tops->reply_error(req->treq, -EIO);
	} else {
		req->tops->reply(req->treq, result, out, size);
	}
	free(req);
}

void dev_req_fail(struct dev_req *req, int neg_errno)
{
	dev_req_log(req, neg_errno);
	dev_req_unpark(req, neg_errno);
	/* Errors <= -512 (ERESTARTSYS and friends) must never reach
	 * /dev/fuse (abi.md §4.4); 0 or positive here is a bug. */
	if (neg_errno >= 0 || neg_errno <= -512) {
		log_err("dev: ioctl 0x%08x failed with %d: a handler bug",
			req->cmd, neg_errno);
		neg_errno = -EIO;
	}
	req->tops->reply_error(req->treq, neg_errno);
	free(req);
}

int dev_req_defer(struct dev_req *req, void (*cancel)(struct dev_req *req))
{
	int r;

	req->cancel = cancel;
	req->deferred = true;
	req->deferred_ns = clock_now_ns();
	if (req->wait.active)
		req->wait.expired = dev_req_wait_expired;
	if (hang_report_ns) {
		timer_init(&req->hang_timer, dev_req_hang_fired);
		timer_arm(&req->hang_timer, req->deferred_ns + hang_report_ns);
	}
	LIST_INSERT_HEAD(&req->file->pending, req, link);
	req_pending++;
	if (recorder_on()) {
		req->trace_id = ++wait_serial;
		dev_req_record(req, DMABUFD_TRACE_BEGIN, 0);
	}

	r = req->tops->set_interrupt(req->treq, req);
	if (r < 0) {
		req->cancel(req);
		dev_req_fail(req, -EINTR);
		return -EINTR;
	}
	return 0;
}

void dev_req_cancel_wait(struct dev_req *req)
{
	fence_wait_cancel(&req->wait);
}

void dev_req_interrupted(struct dev_req *req)
{
	if (!req->deferred)
		return;
	req->cancel(req);
	dev_req_fail(req, -EINTR);
}

void dev_req_abort_file(struct dev_file *file, int neg_errno)
{
	struct dev_req *req;

	while ((req = LIST_FIRST(&file->pending))) {
		req->cancel(req);
		dev_req_fail(req, neg_errno);
	}
}

unsigned dev_req_pending_count(void)
{
	return req_pending;
}

const void *dev_req_input(const struct dev_req *req, size_t size)
{
	return req->in && req->in_size >= size ? req->in : NULL;
}

bool dev_all_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}
