/* SPDX-License-Identifier: MIT */
/*
 * /sys/kernel/debug/dma_buf/bufinfo, after dma_buf_debug_show() in
 * drivers/dma-buf/dma-buf.c (6.12; the same text in 6.1), with the
 * fence lines of dma_resv_describe() (dma-resv.c) and
 * dma_fence_describe() (dma-fence.c):
 *
 *   (blank line)
 *   Dma-buf Objects:
 *   size    \tflags   \tmode    \tcount   \texp_name\tino     \tname
 *   per buffer, in creation order:
 *     %08zu\t%08x\t%08x\t%08ld\t%s\t%08lu\t%s      size flags mode count
 *                                                 exp_name ino name|<none>
 *     \t%s fence:%s %s seq %llu %ssignalled       per fence of usage kernel,
 *                                                 write or read ("un")
 *     \tAttached Devices:
 *     \t%s                                        per attachment
 *     Total %d devices attached
 *     (blank line)
 *   (blank line)
 *   Total %d objects, %zu bytes
 *
 * What the daemon prints where the kernel's field is a struct file's:
 * flags is the buffer's access mode (O_RDONLY 0, O_WRONLY 1, O_RDWR 2;
 * the kernel's f_flags also has the exporter's other open flags, e.g.
 * O_CLOEXEC, which the daemon does not keep); mode is the f_mode that
 * mode gives a dma-buf file (FMODE_READ 0x1 and FMODE_WRITE 0x2 as
 * OPEN_FMODE(), | FMODE_LSEEK 0x4 | FMODE_OPENED 0x80000: 00080007 for
 * O_RDWR, as 6.1's alloc_file() sets them); count is the buffer's
 * reference count (each open file bound to it, each claim token, each
 * armed poll) where the kernel counts the file's references; ino is the
 * buffer's id (DMABUFD_DMA_BUF_IOC_INFO), unique for the daemon's life
 * as an inode number. An attachment is named by its importer's device
 * (a DMA channel's controller, "mock0"). A fence's state is what is
 * recorded (fence_peek_status()): the daemon does not ask a producer.
 */
#include "debug.h"

#include "model/dma_buf.h"
#include "model/fence.h"
#include "model/resv.h"

enum { SEC_HEAD, SEC_BUFFERS, SEC_TOTAL };

/* FMODE_* of include/linux/fs.h. */
#define K_FMODE_READ 0x1u
#define K_FMODE_WRITE 0x2u
#define K_FMODE_LSEEK 0x4u
#define K_FMODE_OPENED 0x80000u

/* What alloc_file() gives a dma-buf file opened with access mode @mode. */
static unsigned buf_f_mode(int mode)
{
	/* OPEN_FMODE(): O_RDONLY -> READ, O_WRONLY -> WRITE, O_RDWR -> both,
	 * 3 -> neither. */
	unsigned f_mode = ((unsigned)mode + 1) & 3;

	return f_mode | K_FMODE_LSEEK | K_FMODE_OPENED;
}

static void show_buffer(struct debug_cursor *c, struct debug_out *o,
			struct dma_buf *buf)
{
	const struct dma_buf_attachment *att;
	const char *name = dma_buf_get_name(buf);
	unsigned attached = 0;
	struct resv_iter it;
	struct fence *fence;

	debug_printf(o, "%08llu\t%08x\t%08x\t%08ld\t%s\t%08llu\t%s\n",
		     (unsigned long long)buf->size, (unsigned)buf->mode & 3,
		     buf_f_mode(buf->mode), (long)buf->refcount, buf->exp_name,
		     (unsigned long long)buf->id, name[0] ? name : "<none>");
	/* dma_resv_describe(): the fences up to usage read, not bookkeep. */
	resv_for_each_fence(&it, &buf->resv, RESV_USAGE_READ, fence)
		debug_printf(o, "\t%s fence:%s %s seq %llu %ssignalled\n",
			     resv_usage_name(it.fence_usage),
			     fence_driver_name(fence), fence_timeline_name(fence),
			     (unsigned long long)fence->seqno,
			     fence_peek_status(fence) ? "" : "un");
	debug_printf(o, "\tAttached Devices:\n");
	TAILQ_FOREACH(att, &buf->attachments, node) {
		debug_printf(o, "\t%s\n", att->dev_name);
		attached++;
	}
	debug_printf(o, "Total %u devices attached\n\n", attached);
	c->count++;
	c->bytes += buf->size;
}

static void step(struct debug_cursor *c, struct debug_out *o)
{
	struct dma_buf *buf;

	switch (c->section) {
	case SEC_HEAD:
		debug_printf(o, "\nDma-buf Objects:\n");
		debug_printf(o, "%-8s\t%-8s\t%-8s\t%-8s\texp_name\t%-8s\tname\n",
			     "size", "flags", "mode", "count", "ino");
		c->section = SEC_BUFFERS;
		c->key = 0;
		break;
	case SEC_BUFFERS:
		buf = dma_buf_seek(c->key);
		if (!buf) {
			c->section = SEC_TOTAL;
			break;
		}
		c->key = buf->list_node.seq + 1;
		if (!debug_may_see(c, buf->owner)) {
			c->hidden++;
			break;
		}
		show_buffer(c, o, buf);
		break;
	default:
		debug_printf(o, "\nTotal %llu objects, %llu bytes\n",
			     (unsigned long long)c->count,
			     (unsigned long long)c->bytes);
		c->done = true;
		break;
	}
}

const struct debug_view debug_view_bufinfo = {
	.id = DEBUG_VIEW_BUFINFO,
	.path = "dma_buf/bufinfo",
	.step = step,
};
