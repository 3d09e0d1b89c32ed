/* SPDX-License-Identifier: MIT */
/*
 * dma_buf - a shared buffer with its exporter, its importers' attachments
 * and its reservation object (drivers/dma-buf/dma-buf.c, Linux 6.12).
 *
 * Life cycle: dma_buf_export() gives the caller one reference;
 * dma_buf_ref() and dma_buf_unref() count them (each client fd, each
 * claim token and each armed poll callback holds one). Attachments,
 * mappings and vmaps do not hold references: as in the kernel, their users
 * hold one while they use them. The last unref releases the buffer: the
 * exporter's release op, then the resv. The kernel BUG()s if that happens
 * while an attachment or a vmap is left; the model instead logs the
 * violation, counts it (dma_buf_violations()) and keeps the buffer, its
 * memory and its resv alive, so that whoever still uses them is not handed
 * freed memory. The release completes when the last attachment is
 * detached and the last vmap undone.
 *
 * Locking: the buffer's resv lock (see resv.h) must be held for
 * dma_buf_map_attachment() and dma_buf_unmap_attachment(), as the kernel
 * asserts; dma_buf_attach(), dma_buf_detach(), dma_buf_vmap() and
 * dma_buf_vunmap() take it themselves, as dma_buf_attach() and
 * dma_buf_vmap_unlocked() do, so they return -EDEADLK when it is held.
 * Waiting for fences is the caller's job: nothing here blocks.
 *
 * Threading: loop thread only. Exporter ops run on the loop thread too.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "fence.h"
#include "resv.h"
#include "util/macros.h"
#include "util/seq_tree.h"

#ifndef DMA_BUF_NAME_LEN
#define DMA_BUF_NAME_LEN 32
#endif

/* The kernel's enum dma_data_direction, same values. */
enum dma_data_direction {
	DMA_BIDIRECTIONAL = 0,
	DMA_TO_DEVICE = 1,
	DMA_FROM_DEVICE = 2,
};

struct dma_buf;
struct dma_buf_attachment;

/*
 * The scatter list an exporter returns from map_dma_buf: @nents chunks,
 * each with the address the (software or real) DMA engine uses, its
 * length, and the daemon's own CPU address of the same bytes (NULL if the
 * daemon has none).
 */
struct dma_buf_sg_entry {
	uint64_t dma_addr;
	uint64_t length;
	void *cpu_addr;
};

struct dma_buf_sgt {
	unsigned nents;
	struct dma_buf_sg_entry ents[];
};

/* A zeroed table of @nents (> 0) entries, or NULL. Free with free(). */
struct dma_buf_sgt *dma_buf_sgt_alloc(unsigned nents);

struct dma_buf_ops {
	/* An importer attaches / detaches. Optional. attach may refuse
	 * with a negative errno. */
	int (*attach)(struct dma_buf *buf, struct dma_buf_attachment *att);
	void (*detach)(struct dma_buf *buf, struct dma_buf_attachment *att);
	/* Required. Return 0 and a table the exporter owns until
	 * unmap_dma_buf, or a negative errno. */
	int (*map_dma_buf)(struct dma_buf_attachment *att,
			   enum dma_data_direction dir,
			   struct dma_buf_sgt **ret_sgt);
	void (*unmap_dma_buf)(struct dma_buf_attachment *att,
			      struct dma_buf_sgt *sgt,
			      enum dma_data_direction dir);
	/* Required: free the exporter's state (priv). Not the dma_buf. */
	void (*release)(struct dma_buf *buf);
	/* CPU access brackets (DMA_BUF_IOCTL_SYNC). Optional. */
	int (*begin_cpu_access)(struct dma_buf *buf,
				enum dma_data_direction dir);
	int (*end_cpu_access)(struct dma_buf *buf, enum dma_data_direction dir);
	/* A CPU address of the whole buffer for the daemon. Optional. */
	int (*vmap)(struct dma_buf *buf, void **ret_vaddr);
	void (*vunmap)(struct dma_buf *buf, void *vaddr);
	/* The fd whose memory backs the buffer (borrowed: the exporter
	 * keeps it open while the buffer lives, and may make it at the
	 * first call), or a negative errno. Used
	 * to hand CPU mappings to clients, so the inode must be private to
	 * the daemon's user (mode 0600): a client given a read-only reopen
	 * must not be able to reopen it writable. Optional. */
	int (*get_memfd)(struct dma_buf *buf);
};

struct dma_buf_export_info {
	const char *exp_name; /* static string, e.g. the heap's name */
	const struct dma_buf_ops *ops;
	uint64_t size;
	int flags;  /* open flags; only O_ACCMODE is kept */
	void *priv; /* the exporter's, required (non-NULL) as in the kernel */
};

struct dma_buf_attachment {
	struct dma_buf *dmabuf;
	void *importer_priv;
	void *priv; /* the exporter's, set in ops->attach if it wants */
	/* Mapped state: the table, its direction and how many maps share
	 * it (dma_buf_map_attachment / unmap calls not yet paired). */
	struct dma_buf_sgt *sgt;
	enum dma_data_direction dir;
	unsigned map_count;
	TAILQ_ENTRY(dma_buf_attachment) node;
	/* The importing device's name, as bufinfo's "Attached Devices"
	 * print dev_name(attach->dev); set by the importer after attaching
	 * (a DMA channel: its controller's name), "" when it says none. */
	char dev_name[32];
};

/*
 * Largest members first, so there is no hole: 152 bytes on LP64, malloc's
 * 160-byte chunk (it was 200, a 208-byte chunk). The name, set by few
 * clients, is allocated only when set.
 */
struct dma_buf {
	uint64_t size;
	const struct dma_buf_ops *ops;
	void *priv;
	const char *exp_name;
	uint64_t id; /* unique for the life of the daemon, like an inode */
	char *name;  /* NULL until DMA_BUF_SET_NAME (dma_buf_get_name()) */
	void *vmap_ptr;
	unsigned refcount;
	uid_t owner; /* whose memory (heap_alloc's account; ACCT_NO_OWNER) */
	unsigned num_attachments;
	unsigned vmapping_counter;
	unsigned poll_active; /* armed dma_buf_poll_cb's */
	/* Who holds it, as dev/ tells (the listings; no /proc read here):
	 * the caller that opened the first file bound to it, and the last
	 * caller of an ioctl on one of them or of the control socket's MAP
	 * of it (thread ids, as the transport gives them; a MAP's process
	 * id; 0: none yet). */
	pid_t opener_pid;
	pid_t last_pid;
	uint8_t mode; /* O_RDONLY, O_WRONLY or O_RDWR (O_ACCMODE: neither) */
	bool orphaned;	      /* released with users left: kept alive */
	bool memfd_opened;    /* dma_buf_open_memfd() handed out a file */
	bool kernel_exported; /* kernel_buf.c: a kernel dma-buf over its
			       * pages is still held in the kernel */
	struct resv resv;
	TAILQ_HEAD(, dma_buf_attachment) attachments;
	struct seq_node list_node; /* the live buffers, by number: the
				    * listings and dma_buf_seek() */
};
/* malloc's 160-byte chunk (tests/unit/test-dma-buf.c): a byte more costs
 * every buffer 16. */
_Static_assert(sizeof(void *) != 8 || sizeof(struct dma_buf) <= 152,
	       "struct dma_buf grew past malloc's 160-byte chunk");

/*
 * Create a buffer for an exporter. Returns 0 and *ret_buf (one
 * reference), -EINVAL for a NULL or incomplete @info (no ops, a required
 * op missing, size 0, no priv, no exp_name; logged), or -ENOMEM.
 */
int dma_buf_export(const struct dma_buf_export_info *info,
		   struct dma_buf **ret_buf);

struct dma_buf *dma_buf_ref(struct dma_buf *buf);
/* Drop a reference (see the top of this file); NULL is a no-op. Always
 * returns NULL. */
struct dma_buf *dma_buf_unref(struct dma_buf *buf);
DEFINE_UNREF_CLEANUP(struct dma_buf, dma_buf_unref)

/* Release invariant violations seen since start (see top of file). */
unsigned long dma_buf_violations(void);

/*
 * Call @fn for each live buffer (orphaned ones included), in creation
 * order, until it returns non-zero. Returns that value or 0. @fn must not
 * release buffers.
 */
int dma_buf_foreach(int (*fn)(struct dma_buf *buf, void *data), void *data);

/*
 * The live buffer (orphaned ones included) whose list number
 * (list_node.seq: 1, 2, ... in creation order, never reused) is the
 * smallest one >= @seq, borrowed, or NULL. O(log n); a walk resumes from
 * the last number it saw + 1.
 */
struct dma_buf *dma_buf_seek(uint64_t seq);

/*
 * Set the name shown in listings and /proc links (DMA_BUF_SET_NAME).
 * Reads @name up to its NUL and never past DMA_BUF_NAME_LEN bytes (the
 * ioctl's fixed 32-byte field): with no NUL within those bytes (32 chars
 * or more) it returns -EINVAL and keeps the old name. Replaces any
 * previous name; allowed while attached, as in 6.12. Returns 0, -EINVAL,
 * or -ENOMEM (the old name is kept then).
 */
int dma_buf_set_name(struct dma_buf *buf, const char *name);

/* The name, "" when none was set. Valid until the next set_name. */
const char *dma_buf_get_name(const struct dma_buf *buf);

/*
 * Attach an importer. Calls ops->attach. Takes the resv lock for its
 * duration. Returns 0 and *ret_att, -EINVAL, -EDEADLK if the resv lock is
 * held, -ENOMEM, or the exporter's error.
 */
int dma_buf_attach(struct dma_buf *buf, void *importer_priv,
		   struct dma_buf_attachment **ret_att);

/*
 * Detach and free @att (calls ops->detach). If the buffer was released
 * with attachments left, the last detach completes the release. Returns
 * 0, -EINVAL, -EBUSY if the attachment is still mapped (unmap it first),
 * or -EDEADLK if the resv lock is held.
 */
int dma_buf_detach(struct dma_buf_attachment *att);

/*
 * Map @att for DMA in direction @dir, as dma_buf_map_attachment for a
 * non-dynamic importer: the first map asks the exporter for the table,
 * further ones share it (counted) if their direction is covered by it.
 * Requires the buffer's resv lock, and the KERNEL-usage fences signaled
 * (wait with resv_wait_start(RESV_USAGE_KERNEL) first). Returns 0 and
 * *ret_sgt (borrowed until the matching unmap), -EINVAL, -EPERM without
 * the lock, -EBUSY while a KERNEL fence is pending or when @dir conflicts
 * with the existing mapping's, or the exporter's error.
 */
int dma_buf_map_attachment(struct dma_buf_attachment *att,
			   enum dma_data_direction dir,
			   struct dma_buf_sgt **ret_sgt);

/*
 * Undo one dma_buf_map_attachment(); the last one returns the table to
 * the exporter. Requires the resv lock. Returns 0, -EPERM without the
 * lock, or -EINVAL if @att is not mapped or @sgt is not its table.
 */
int dma_buf_unmap_attachment(struct dma_buf_attachment *att,
			     struct dma_buf_sgt *sgt,
			     enum dma_data_direction dir);

/*
 * A CPU address of the whole buffer for the daemon. The first vmap calls
 * ops->vmap, later ones share its address (counted). Takes the resv lock.
 * Returns 0 and *ret_vaddr, -EINVAL (also when the exporter has no vmap),
 * -EDEADLK if the resv lock is held, or the exporter's error.
 */
int dma_buf_vmap(struct dma_buf *buf, void **ret_vaddr);

/*
 * Undo one dma_buf_vmap(); the last one calls ops->vunmap, and completes
 * a release deferred by a vmap left behind. Returns 0, -EINVAL if the
 * buffer is not vmapped or @vaddr is not its address, or -EDEADLK if the
 * resv lock is held.
 */
int dma_buf_vunmap(struct dma_buf *buf, void *vaddr);

/*
 * The exporter's CPU access brackets. They call the optional ops and do
 * not wait: before begin_cpu_access the caller waits for the fences of
 * resv_usage_rw(@dir != DMA_FROM_DEVICE) (dma_buf_sync_parse() says
 * which). Return 0, -EINVAL for a bad @dir, or the exporter's error.
 */
int dma_buf_begin_cpu_access(struct dma_buf *buf, enum dma_data_direction dir);
int dma_buf_end_cpu_access(struct dma_buf *buf, enum dma_data_direction dir);

/* What a DMA_BUF_IOCTL_SYNC call asks for. */
struct dma_buf_sync_op {
	bool end;		     /* SYNC_END: end_cpu_access, no wait */
	enum dma_data_direction dir; /* READ: FROM_DEVICE, WRITE: TO_DEVICE,
				      * RW: BIDIRECTIONAL */
	enum resv_usage wait_usage;  /* START: wait for fences <= this */
};

/*
 * Decode DMA_BUF_IOCTL_SYNC flags exactly as the kernel does: -EINVAL for
 * bits outside DMA_BUF_SYNC_VALID_FLAGS_MASK (7) or without a READ or
 * WRITE bit. Returns 0 and *ret_op otherwise: a READ-only START waits for
 * RESV_USAGE_WRITE (KERNEL+WRITE), a START with WRITE for RESV_USAGE_READ
 * (KERNEL+WRITE+READ).
 */
int dma_buf_sync_parse(uint64_t flags, struct dma_buf_sync_op *ret_op);

/*
 * The fd backing the buffer's memory (borrowed; dup it to keep it).
 * Returns the fd, -EINVAL if the exporter provides none, or its error.
 */
int dma_buf_get_memfd(struct dma_buf *buf);

/*
 * A new open file description of the buffer's memory for a client's CPU
 * mapping: a reopen of the exporter's memfd (util/memfd_probe.h) with
 * @accmode (O_RDONLY or O_RDWR) and O_CLOEXEC, never the memfd itself, so
 * that the kernel counts it and the exporter can tell, once the buffer is
 * released, whether such a file is still open or mapped somewhere. Sets
 * buf->memfd_opened. Returns the fd (the caller owns it), -EINVAL for a
 * NULL @buf, another @accmode, or an exporter without get_memfd, or the
 * exporter's or open's error.
 */
int dma_buf_open_memfd(struct dma_buf *buf, int accmode);

/*
 * Poll. An armed callback holds a reference to the buffer and one to the
 * fence it waits on, and calls @notify once when that fence signals; the
 * poller then polls again.
 */
struct dma_buf_poll_cb;
typedef void (*dma_buf_poll_fn)(struct dma_buf_poll_cb *cb);

struct dma_buf_poll_cb {
	struct fence_cb cb;
	struct fence *fence;
	struct dma_buf *dmabuf;
	dma_buf_poll_fn notify;
	bool active;
};

/* Prepare @cb (not armed). */
void dma_buf_poll_cb_init(struct dma_buf_poll_cb *cb);

/*
 * Which of @events (POLLIN, POLLOUT; others are ignored) are ready:
 * POLLIN when no KERNEL or WRITE fence is pending, POLLOUT when no
 * KERNEL, WRITE or READ fence is. BOOKKEEP fences never count. When a
 * requested event is not ready and @cb is not NULL and not armed yet, arm
 * it on the first pending fence that blocks it (POLLIN's first) to call
 * @notify once. Returns the ready mask (>= 0), or -EINVAL for a NULL
 * @buf, a buffer already released, or a @cb without @notify.
 */
int dma_buf_poll(struct dma_buf *buf, unsigned events,
		 struct dma_buf_poll_cb *cb, dma_buf_poll_fn notify);

/*
 * Disarm @cb without calling its notify, dropping its references (which
 * may release the buffer). Returns true if it was armed.
 */
bool dma_buf_poll_cancel(struct dma_buf_poll_cb *cb);
