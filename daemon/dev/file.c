/* SPDX-License-Identifier: MIT */
/*
 * Open files, their release, and the poll-handle bookkeeping shared by
 * every node type. Every live file is on one list so that dev_shutdown()
 * can release what the transports will no longer release.
 */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <dmabufd/control.h>

#include "handle.h"
#include "model/heap.h"
#include "model/objstat.h"
#include "model/sync_file.h"
#include "model/timeline.h"
#include "node_ops.h"
#include "token.h"
#include "util/log.h"

static struct seq_tree all_files = SEQ_TREE_INIT;
static unsigned num_files;
static int64_t max_wait_ns = (int64_t)DEV_DEFAULT_MAX_WAIT_NS;
static bool stopping;

int dev_file_open(struct dev_node *node, const struct dev_transport_ops *tops,
		  int flags, pid_t pid, uid_t uid, gid_t gid,
		  struct dev_file **ret_file)
{
	struct dev_file *file;
	int mode = flags & O_ACCMODE;
	int r;

	/* An access mode of O_ACCMODE is open(2)'s "neither read nor
	 * write" (the kernel's OPEN_FMODE(3) is 0): valid, and what a
	 * dma-buf allocated with fd_flags 3 is claimed with. */
	if (!node || !tops || !ret_file)
		return -EINVAL;
	if (stopping)
		return -ENODEV;
	file = calloc(1, sizeof(*file));
	if (!file)
		return -ENOMEM;
	r = acct_get(uid, &file->acct);
	if (r < 0) {
		free(file);
		return r;
	}
	r = acct_charge(file->acct, ACCT_FILES, 1);
	if (r < 0) {
		acct_unref(file->acct);
		free(file);
		return r;
	}
	file->node = node;
	file->tops = tops;
	file->mode = mode;
	file->open_flags = flags;
	file->pid = pid;
	file->uid = uid;
	file->gid = gid;
	seq_tree_add(&all_files, &file->list_node);
	token_owner_init(&file->tokens);
	file->tokens.acct = file->acct;
	LIST_INIT(&file->pending);
	dma_buf_poll_cb_init(&file->poll_buf_cb);

	if (node->ops->open) {
		r = node->ops->open(file);
		if (r < 0) {
			log_debug("dev: %s #%llu: open by pid %d failed: %s",
				  node->name, (unsigned long long)dev_file_id(file),
				  (int)pid, strerror(-r));
			seq_tree_remove(&all_files, &file->list_node);
			acct_uncharge(file->acct, ACCT_FILES, 1);
			acct_unref(file->acct);
			free(file);
			return r;
		}
	}
	log_debug("dev: %s #%llu: open by pid %d uid %u, flags 0%o",
		  node->name, (unsigned long long)dev_file_id(file), (int)pid,
		  (unsigned)uid, (unsigned)flags);
	num_files++;
	*ret_file = file;
	return 0;
}

static void dev_file_poll_drop(struct dev_file *file)
{
	if (file->node->ops->poll_disarm)
		file->node->ops->poll_disarm(file);
	if (file->ph) {
		file->tops->poll_destroy(file->ph);
		file->ph = NULL;
	}
}

void dev_file_release(struct dev_file *file)
{
	if (!file)
		return;
	log_debug("dev: %s #%llu: release", file->node->name,
		  (unsigned long long)dev_file_id(file));
	/* The kernel holds the file during an ioctl, so nothing should be
	 * pending at release; answer anything that is, all the same. */
	dev_req_abort_file(file, -EBADF);
	dev_file_poll_drop(file);
	handle_file_clear(file);
	token_owner_clear(&file->tokens);
	if (file->node->ops->release)
		file->node->ops->release(file);
	file->dma_buf = dma_buf_unref(file->dma_buf);
	file->sync_file = sync_file_unref(file->sync_file);
	file->timeline = timeline_close(file->timeline);
	seq_tree_remove(&all_files, &file->list_node);
	num_files--;
	acct_uncharge(file->acct, ACCT_FILES, 1);
	acct_unref(file->acct);
	free(file);
}

unsigned dev_file_poll(struct dev_file *file, unsigned events, void *ph)
{
	unsigned ready;

	if (!file->node->ops->poll) {
		if (ph)
			file->tops->poll_destroy(ph);
		return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	}
	/* Only the newest handle is kept: the kernel re-polls on every
	 * wake-up and hands a fresh one each time it goes to sleep. */
	if (ph && file->ph) {
		file->tops->poll_destroy(file->ph);
		file->ph = NULL;
	}
	ready = file->node->ops->poll(file, events, ph != NULL);
	if (ph) {
		if (ready & events)
			file->tops->poll_destroy(ph);
		else
			file->ph = ph;
	}
	return ready;
}

void dev_file_poll_wake(struct dev_file *file)
{
	void *ph = file->ph;

	if (!ph)
		return;
	file->ph = NULL;
	file->tops->poll_notify(ph);
	file->tops->poll_destroy(ph);
}

unsigned dev_file_count(void)
{
	return num_files;
}

void dev_init(const struct dev_config *config)
{
	token_set_ttl_ns(config ? config->token_ttl_ns : 0);
	dev_set_hang_report(config ? config->hang_report_ns : 0);
	if (config && config->max_wait_ns)
		max_wait_ns = config->max_wait_ns > INT64_MAX
				      ? INT64_MAX
				      : (int64_t)config->max_wait_ns;
}

int64_t dev_max_wait_ns(void)
{
	return max_wait_ns;
}

void dev_stop_accepting(void)
{
	stopping = true;
}

bool dev_stopping(void)
{
	return stopping;
}

void dev_restart(void)
{
	stopping = false;
}

/* The files whose release ends fences others may wait on (node_ops.h). */
static bool file_produces_fences(const struct dev_file *file)
{
	return file->node->ops->produces_fences;
}

struct dev_file *dev_file_seek(uint64_t id)
{
	struct seq_node *n = seq_tree_seek(&all_files, id);

	return n ? container_of(n, struct dev_file, list_node) : NULL;
}

void dev_file_note_bound(struct dev_file *file)
{
	struct dma_buf *buf = file->dma_buf;

	if (buf && !buf->opener_pid)
		buf->opener_pid = file->pid;
}

void dev_file_note_producer(const struct dev_file *file, struct fence *fence)
{
	if (fence && !fence->producer)
		fence->producer = file->last_pid ? file->last_pid : file->pid;
}

int dev_file_seek_sync_file(uint64_t *id, unsigned max_skip,
			    struct dev_file **ret_file)
{
	struct dev_file *file;
	uint64_t from = *id;

	for (unsigned skipped = 0; (file = dev_file_seek(from)); skipped++) {
		if (file->sync_file) {
			*id = dev_file_id(file);
			*ret_file = file;
			return 1;
		}
		from = dev_file_id(file) + 1;
		if (skipped + 1 >= max_skip) {
			*id = from;
			return -EAGAIN;
		}
	}
	*id = from;
	return 0;
}

void dev_shutdown(void)
{
	struct dev_file *file;
	uint64_t next;

	stopping = true;
	/* Producers first, their own pending requests answered -ENODEV: the
	 * fences they end signal with an error, and every caller waiting on
	 * one of them gets the answer its wait gives for that error. The
	 * walk resumes by number, so whatever a release frees is never
	 * touched again. */
	for (next = 0; (file = dev_file_seek(next)); ) {
		next = dev_file_id(file) + 1;
		if (!file_produces_fences(file))
			continue;
		dev_req_abort_file(file, -ENODEV);
		dev_file_release(file);
	}
	/* Whoever still waits (on a fence the daemon cannot end, or for
	 * another reason) is answered -ENODEV. */
	for (next = 0; (file = dev_file_seek(next)); next = dev_file_id(file) + 1)
		dev_req_abort_file(file, -ENODEV);
	while ((file = dev_file_seek(0)))
		dev_file_release(file);
}

static int add_heap_bytes(struct heap *heap, void *data)
{
	struct heap_usage usage;

	heap_get_usage(heap, &usage);
	*(int64_t *)data += (int64_t)usage.bytes;
	return 0;
}

/* Node requests answered, by DMABUFD_STAT_REQ_* - DMABUFD_STAT_REQ_OPENS. */
static uint64_t requests[DMABUFD_STAT_REQ_OTHER - DMABUFD_STAT_REQ_OPENS + 1];

void dev_count_request(enum dmabufd_stat which)
{
	if (which >= DMABUFD_STAT_REQ_OPENS && which <= DMABUFD_STAT_REQ_OTHER)
		requests[which - DMABUFD_STAT_REQ_OPENS]++;
}

void dev_get_stats(struct dmabufd_ctl_stats *ret_stats)
{
	static const struct {
		enum dmabufd_stat stat;
		enum objstat_type obj;
	} map[] = {
		{ DMABUFD_STAT_FENCES, OBJ_FENCE },
		{ DMABUFD_STAT_TIMELINES, OBJ_TIMELINE },
		{ DMABUFD_STAT_SYNC_FILES, OBJ_SYNC_FILE },
		{ DMABUFD_STAT_DMA_BUFS, OBJ_DMA_BUF },
		{ DMABUFD_STAT_ATTACHMENTS, OBJ_ATTACHMENT },
		{ DMABUFD_STAT_MAPPINGS, OBJ_MAPPING },
		{ DMABUFD_STAT_HEAPS, OBJ_HEAP },
		{ DMABUFD_STAT_DMA_ATTACHMENTS, OBJ_DMA_ATT },
		{ DMABUFD_STAT_DMA_XFERS, OBJ_DMA_XFER },
	};
	uint64_t lingering, lingering_bytes;
	int64_t bytes = 0;

	memset(ret_stats, 0, sizeof(*ret_stats));
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		ret_stats->count[map[i].stat] = objstat_get(map[i].obj);
	ret_stats->count[DMABUFD_STAT_TOKENS] = token_count();
	ret_stats->count[DMABUFD_STAT_OPEN_FILES] = num_files;
	ret_stats->count[DMABUFD_STAT_PENDING_REQS] = dev_req_pending_count();
	ret_stats->count[DMABUFD_STAT_TIMERS] = timerq_armed();
	heap_foreach(add_heap_bytes, &bytes);
	ret_stats->count[DMABUFD_STAT_HEAP_BYTES] = bytes;
	ret_stats->count[DMABUFD_STAT_ACCOUNTS] = acct_count();
	for (unsigned i = 0; i < _ACCT_RES_MAX; i++)
		ret_stats->count[DMABUFD_STAT_REFUSED_BYTES + i] =
			(int64_t)acct_refused_total((enum acct_res)i);
	heap_lingering(&lingering, &lingering_bytes);
	ret_stats->count[DMABUFD_STAT_LINGERING] = (int64_t)lingering;
	ret_stats->count[DMABUFD_STAT_LINGERING_BYTES] = (int64_t)lingering_bytes;
	for (unsigned i = 0; i < ARRAY_SIZE(requests); i++)
		ret_stats->count[DMABUFD_STAT_REQ_OPENS + i] = (int64_t)requests[i];
	for (unsigned t = 0; t < DEV_NODE_TYPE_COUNT; t++)
		if (dev_node_type_ops[t]->get_stats)
			dev_node_type_ops[t]->get_stats(ret_stats);
}

_Static_assert(ACCT_BYTES == 0 && _ACCT_RES_MAX == 5 &&
		       DMABUFD_STAT_REFUSED_CONNECTIONS -
				       DMABUFD_STAT_REFUSED_BYTES ==
			       ACCT_CONNECTIONS,
	       "the refusal stats follow enum acct_res");
