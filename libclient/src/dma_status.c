/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd: TX_STATUS without a round trip, from the channel fd's
 * status page (proto/dmabufd/dmaengine.h: STATUS_MAP, a read-only page
 * the daemon keeps up to date under a sequence count; status_read.h).
 *
 * The pages are mapped lazily, at the first page read of a fd, and kept
 * in a small table of STATUS_SLOTS entries keyed by fd number, each with
 * the generation the page had when mapped. An entry answers only while
 *   - the fd number is open (fcntl F_GETFD: a local system call), and
 *   - the page's generation is still the one mapped (the daemon sets it
 *     to 0 when the fd's channel is released).
 * libdmabufd's channel requests forget the entry of the fd number they
 * return (dmabufd_dma_status_forget()), since a number can be reused for
 * a new channel before the daemon has seen the old one's close. A fd
 * whose page cannot be had (an older daemon: ENOTTY; no control socket)
 * gets an entry that says so, and its callers use the ioctl. A full table
 * evicts a retired page first, else round robin; an evicted or stale
 * page is unmapped.
 *
 * Limits: a table entry is keyed by number, not by open file: a number
 * closed and reused for another channel that the library did not make
 * (dup2, SCM_RIGHTS, a raw open) answers from the old page until the
 * daemon has released the old channel (then the number's new page is
 * mapped), or never if the old channel is still open elsewhere. Call
 * dmabufd_dma_tx_status() with a status to ask the daemon in such code.
 *
 * Threads: one mutex over the table, held while a page is read (a few
 * loads) so no other thread unmaps it meanwhile; never across a call to
 * the daemon. A fork child gets the table (its mappings are inherited)
 * with the mutex reset.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "status_read.h"

#define STATUS_SLOTS 16

struct status_slot {
	int fd;				/* -1: free */
	bool none;			/* no page for this fd: use the ioctl */
	uint32_t generation;
	const struct dmabufd_dma_status_page *page;
	size_t len;
};

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;
static struct status_slot slots[STATUS_SLOTS];
static unsigned next_victim;

static void atfork_prepare(void)
{
	pthread_mutex_lock(&slots_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&slots_lock);
}

static void atfork_child(void)
{
	pthread_mutex_init(&slots_lock, NULL);
}

static void slots_init(void)
{
	for (unsigned i = 0; i < STATUS_SLOTS; i++)
		slots[i].fd = -1;
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* Free @s and unmap its page. Lock held. */
static void slot_clear(struct status_slot *s)
{
	if (s->page)
		munmap((void *)s->page, s->len);
	*s = (struct status_slot){ .fd = -1 };
}

static struct status_slot *slot_find(int fd)
{
	for (unsigned i = 0; i < STATUS_SLOTS; i++)
		if (slots[i].fd == fd)
			return &slots[i];
	return NULL;
}

/* A slot to fill: a free one, a retired page's, else round robin. */
static struct status_slot *slot_take(void)
{
	struct status_slot *s;

	for (unsigned i = 0; i < STATUS_SLOTS; i++)
		if (slots[i].fd < 0)
			return &slots[i];
	for (unsigned i = 0; i < STATUS_SLOTS; i++)
		if (slots[i].page && STATUS_LOAD(slots[i].page->generation) !=
					     slots[i].generation) {
			slot_clear(&slots[i]);
			return &slots[i];
		}
	s = &slots[next_victim++ % STATUS_SLOTS];
	slot_clear(s);
	return s;
}

void dmabufd_dma_status_forget(int fd)
{
	struct status_slot *s;

	pthread_once(&slots_once, slots_init);
	pthread_mutex_lock(&slots_lock);
	s = slot_find(fd);
	if (s)
		slot_clear(s);
	pthread_mutex_unlock(&slots_lock);
}

/*
 * Map @chan_fd's page: 0 with *@ret_page, *@ret_len and the generation,
 * or -errno of STATUS_MAP or the control socket. Round trips, no lock.
 */
static int status_map(int chan_fd, const struct dmabufd_dma_status_page **ret_page,
		      size_t *ret_len, uint32_t *ret_generation)
{
	struct dmabufd_dma_status_map m = { 0 };
	const struct dmabufd_dma_status_page *page;
	size_t len;
	void *addr;
	int r;

	r = xioctl(chan_fd, DMABUFD_DMA_IOC_STATUS_MAP, &m);
	if (r < 0)
		return r;
	if (m.size < sizeof(*page) || m.size > (1u << 20))
		return -EPROTO;
	r = dmabufd_map_token(m.token, PROT_READ, m.size, &addr, &len);
	if (r < 0)
		return r;
	page = addr;
	*ret_page = page;
	*ret_len = len;
	*ret_generation = STATUS_LOAD(page->generation);
	return 0;
}

/* Read @fd's slot: a status, -EAGAIN, or -ENOENT when there is no slot
 * or its page was retired (the slot is freed then). Lock held. */
static int slot_read(int fd, int32_t cookie)
{
	struct status_slot *s = slot_find(fd);
	int r;

	if (!s)
		return -ENOENT;
	if (s->none)
		return -EAGAIN;
	r = status_read(s->page, s->generation, cookie);
	if (r == -ESTALE) {
		/* Released: this number is another channel's now, or dead. */
		slot_clear(s);
		r = -ENOENT;
	}
	return r;
}

DMABUFD_EXPORT int dmabufd_dma_tx_status_page(int chan_fd, int32_t cookie)
{
	const struct dmabufd_dma_status_page *page = NULL;
	struct status_slot *s;
	uint32_t generation = 0;
	size_t len = 0;
	int r;

	if (cookie < 1)
		return -EINVAL;
	if (fcntl(chan_fd, F_GETFD) < 0) {
		dmabufd_dma_status_forget(chan_fd);
		return -EBADF;
	}
	pthread_once(&slots_once, slots_init);
	pthread_mutex_lock(&slots_lock);
	r = slot_read(chan_fd, cookie);
	pthread_mutex_unlock(&slots_lock);
	if (r != -ENOENT)
		return r;

	r = status_map(chan_fd, &page, &len, &generation);
	/* No channel yet: a later request may bring one; ask next time. */
	if (r == -EBADFD || r == -EBADF || r == -EINTR)
		return -EAGAIN;
	pthread_mutex_lock(&slots_lock);
	if (!slot_find(chan_fd)) {
		s = slot_take();
		s->fd = chan_fd;
		s->none = r < 0 || generation == 0;
		s->generation = generation;
		if (!s->none) {
			s->page = page;
			s->len = len;
			page = NULL;
		}
	}
	r = slot_read(chan_fd, cookie);
	pthread_mutex_unlock(&slots_lock);
	if (page)
		munmap((void *)page, len);
	return r;
}
