/* SPDX-License-Identifier: MIT */
/*
 * gen-corpus: write the seed corpus of the fuzz targets.
 *
 *   gen-corpus OUT EXAMPLE_CONF
 *
 * writes the files of OUT/dev, OUT/control and OUT/config (OUT is
 * tests/fuzz/corpus in the tree) and copies EXAMPLE_CONF (etc/dmabufd.conf)
 * in as a config seed. Each seed is a small valid session in the target's
 * input language (dev-ops.h, ctl-ops.h): an ioctl sequence per node
 * type, each control request, valid and invalid configuration files.
 * The fuzzer starts from them, so it need not find the token dance of
 * a claim or the shape of a DMA transfer by itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <dmabufd/control.h>

#include "ctl-ops.h"
#include "dev-ops.h"

struct seed {
	uint8_t d[16384];
	size_t n;
	unsigned seen; /* dev: values the harness has recorded so far */
};

static const char *out_dir;

static void put(struct seed *s, const void *p, size_t len)
{
	if (s->n + len > sizeof(s->d)) {
		fprintf(stderr, "gen-corpus: seed too large\n");
		exit(1);
	}
	memcpy(s->d + s->n, p, len);
	s->n += len;
}

static void put8(struct seed *s, uint8_t v)
{
	put(s, &v, 1);
}

static void put32(struct seed *s, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		put8(s, (uint8_t)(v >> (8 * i)));
}

static void write_file(const char *target, const char *name, const void *p,
		       size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void save(const char *target, const char *name, struct seed *s)
{
	write_file(target, name, s->d, s->n);
	memset(s, 0, sizeof(*s));
}

/* --- dev ---------------------------------------------------------------- */

static unsigned cmd_index(unsigned cmd)
{
	for (unsigned i = 0; i < DEV_FUZZ_NCMDS; i++)
		if (dev_fuzz_cmds[i] == cmd)
			return i;
	fprintf(stderr, "gen-corpus: command %#x not in dev_fuzz_cmds\n", cmd);
	exit(1);
}

static void dev_open(struct seed *s, unsigned node, uint8_t how, uint8_t slot)
{
	put8(s, DEV_FUZZ_OPEN);
	put8(s, (uint8_t)node);
	put8(s, how);
	put8(s, slot);
}

static void dev_release(struct seed *s, uint8_t slot)
{
	put8(s, DEV_FUZZ_RELEASE);
	put8(s, slot);
}

/*
 * IOCTL @cmd on @slot with @arg (_IOC_SIZE bytes when the command
 * writes); @pick/@at as dev-ops.h says (pick 0xff: none). @ok says the
 * ioctl succeeds, so its output is recorded: returns the index of the
 * first value of its output in the harness's ring.
 */
static unsigned dev_ioctl(struct seed *s, uint8_t slot, unsigned cmd,
			  const void *arg, uint8_t pick, uint8_t at, bool ok)
{
	unsigned first = s->seen % DEV_FUZZ_VALUES;

	put8(s, DEV_FUZZ_IOCTL);
	put8(s, slot);
	put8(s, (uint8_t)cmd_index(cmd));
	put8(s, 0);
	put8(s, pick);
	put8(s, at);
	if (_IOC_DIR(cmd) & _IOC_WRITE)
		put(s, arg, _IOC_SIZE(cmd));
	if (ok && (_IOC_DIR(cmd) & _IOC_READ))
		s->seen += _IOC_SIZE(cmd) / 8;
	return first;
}

static void dev_op(struct seed *s, enum dev_fuzz_op op)
{
	put8(s, op);
}

static void dev_advance(struct seed *s, uint32_t us)
{
	put8(s, DEV_FUZZ_ADVANCE);
	put32(s, us);
}

/* Allocate @len bytes from the system heap on slot 0 and claim the
 * buffer on @slot with @mode. */
static void dev_buffer(struct seed *s, uint8_t slot, uint64_t len, int mode)
{
	struct dmabufd_heap_alloc alloc = { .len = len, .fd_flags = O_RDWR };
	struct dmabufd_claim claim = { 0 };
	unsigned v;

	dev_open(s, DEV_FUZZ_NODE_HEAP, O_RDWR, 0);
	v = dev_ioctl(s, 0, DMABUFD_HEAP_IOC_ALLOC, &alloc, 0xff, 0, true);
	dev_open(s, DEV_FUZZ_NODE_DMA_BUF, (uint8_t)mode, slot);
	/* the token is the second u64 of the reply */
	dev_ioctl(s, slot, DMABUFD_IOC_CLAIM, &claim, (uint8_t)(v + 1), 0, true);
	dev_release(s, 0);
}

/* A point @value on the timeline in @tl, claimed as a sync_file on @slot. */
static void dev_point(struct seed *s, uint8_t tl, uint32_t value, uint8_t slot)
{
	struct dmabufd_sw_sync_create_fence cf = { .value = value };
	struct dmabufd_claim claim = { 0 };
	unsigned v;

	snprintf(cf.name, sizeof(cf.name), "pt%u", value);
	v = dev_ioctl(s, tl, DMABUFD_SW_SYNC_IOC_CREATE_FENCE, &cf, 0xff, 0, true);
	dev_open(s, DEV_FUZZ_NODE_SYNC_FILE, O_RDONLY, slot);
	/* the token sits at byte 40: the sixth u64 */
	dev_ioctl(s, slot, DMABUFD_IOC_CLAIM, &claim, (uint8_t)(v + 5), 0, true);
}

static void dev_seeds(void)
{
	static struct seed s;
	struct dmabufd_dma_buf_name name = { "frame" };
	struct dmabufd_dma_buf_export_sync_file exp = { .flags = DMA_BUF_SYNC_WRITE };
	struct dmabufd_dma_buf_import_sync_file imp = { .flags = DMA_BUF_SYNC_READ };
	struct dmabufd_export_token et = { 0 };
	struct dmabufd_sync_merge merge = { .name = "merged" };
	struct dmabufd_sync_file_info info = { .count = DMABUFD_SYNC_INFO_MAX };
	struct sync_file_info kinfo = { 0 };
	struct dmabufd_sync_wait wait = { .timeout_ns = 1000000000 };
	struct sync_set_deadline dl = { .deadline_ns = 2000000000 };
	struct dmabufd_sw_sync_get_deadline gd = { 0 };
	struct dmabufd_dma_buf_map map = { 0 };
	struct dma_buf_sync sync;
	__u32 one = 1;
	unsigned v;

	/* The heap node: allocations good and bad. */
	dev_open(&s, DEV_FUZZ_NODE_HEAP, O_RDWR, 0);
	dev_ioctl(&s, 0, DMABUFD_HEAP_IOC_ALLOC,
		  &(struct dmabufd_heap_alloc){ .len = 4096, .fd_flags = O_RDWR },
		  0xff, 0, true);
	dev_ioctl(&s, 0, DMABUFD_HEAP_IOC_ALLOC,
		  &(struct dmabufd_heap_alloc){ .len = 0 }, 0xff, 0, false);
	dev_ioctl(&s, 0, DEV_FUZZ_KERNEL_HEAP_ALLOC, &(char[24]){ 0 }, 0xff, 0,
		  false);
	save("dev", "heap-alloc", &s);

	/* The dma_buf node: every ioctl on a claimed buffer. */
	dev_buffer(&s, 1, 8192, O_RDWR);
	dev_ioctl(&s, 1, DMABUFD_DMA_BUF_IOC_INFO, NULL, 0xff, 0, true);
	dev_ioctl(&s, 1, DMABUFD_DMA_BUF_IOC_SET_NAME, &name, 0xff, 0, true);
	dev_ioctl(&s, 1, DMABUFD_DMA_BUF_IOC_GET_NAME, NULL, 0xff, 0, true);
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW;
	dev_ioctl(&s, 1, DMA_BUF_IOCTL_SYNC, &sync, 0xff, 0, true);
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
	dev_ioctl(&s, 1, DMA_BUF_IOCTL_SYNC, &sync, 0xff, 0, true);
	dev_ioctl(&s, 1, DMABUFD_DMA_BUF_IOC_MAP, &map, 0xff, 0, true);
	v = dev_ioctl(&s, 1, DMABUFD_DMA_BUF_IOC_EXPORT_SYNC_FILE, &exp, 0xff, 0,
		      true);
	dev_open(&s, DEV_FUZZ_NODE_SYNC_FILE, O_RDONLY, 2);
	dev_ioctl(&s, 2, DMABUFD_IOC_CLAIM, &(struct dmabufd_claim){ 0 },
		  (uint8_t)(v + 1), 0, true);
	v = dev_ioctl(&s, 1, DMABUFD_IOC_EXPORT_TOKEN, &et, 0xff, 0, true);
	dev_open(&s, DEV_FUZZ_NODE_DMA_BUF, O_RDONLY, 3);
	dev_ioctl(&s, 3, DMABUFD_IOC_CLAIM, &(struct dmabufd_claim){ 0 },
		  (uint8_t)v, 0, true);
	dev_ioctl(&s, 3, DEV_FUZZ_KERNEL_SET_NAME, &(char[8]){ 0 }, 0xff, 0, false);
	save("dev", "dma-buf", &s);

	/* sw_sync and sync_file: points, claims, info, deadlines, waits
	 * answered by a signal, a timeout and an interrupt, merge, poll. */
	dev_open(&s, DEV_FUZZ_NODE_SW_SYNC, O_RDWR, 0);
	dev_point(&s, 0, 1, 1);
	dev_point(&s, 0, 2, 2);
	dev_ioctl(&s, 1, DMABUFD_SYNC_IOC_FILE_INFO, &info, 0xff, 0, true);
	dev_ioctl(&s, 1, SYNC_IOC_FILE_INFO, &kinfo, 0xff, 0, true);
	dev_ioctl(&s, 1, SYNC_IOC_SET_DEADLINE, &dl, 0xff, 0, true);
	dev_ioctl(&s, 0, DMABUFD_SW_SYNC_IOC_GET_DEADLINE, &gd, 0xff, 0, false);
	v = dev_ioctl(&s, 2, DMABUFD_IOC_EXPORT_TOKEN, &et, 0xff, 0, true);
	v = dev_ioctl(&s, 1, DMABUFD_SYNC_IOC_MERGE, &merge, (uint8_t)v, 4, true);
	dev_open(&s, DEV_FUZZ_NODE_SYNC_FILE, O_RDONLY, 3);
	dev_ioctl(&s, 3, DMABUFD_IOC_CLAIM, &(struct dmabufd_claim){ 0 },
		  (uint8_t)(v + 5), 0, true);
	put8(&s, DEV_FUZZ_POLL);
	put8(&s, 3);
	put8(&s, 1 | 8);
	dev_ioctl(&s, 1, DMABUFD_SYNC_IOC_WAIT, &wait, 0xff, 0, false);
	dev_ioctl(&s, 3, DMABUFD_SYNC_IOC_WAIT, &wait, 0xff, 0, false);
	dev_ioctl(&s, 0, SW_SYNC_IOC_INC, &one, 0xff, 0, true);
	dev_advance(&s, 2000000);
	dev_ioctl(&s, 2, DMABUFD_SYNC_IOC_WAIT, &wait, 0xff, 0, false);
	put8(&s, DEV_FUZZ_INTERRUPT);
	put8(&s, 0);
	dev_ioctl(&s, 0, SW_SYNC_IOC_INC, &one, 0xff, 0, true);
	dev_release(&s, 1);
	dev_release(&s, 0);
	save("dev", "sw-sync", &s);

	/* A wait pending through a stop and the shutdown. */
	dev_open(&s, DEV_FUZZ_NODE_SW_SYNC, O_RDWR, 0);
	dev_point(&s, 0, 5, 1);
	dev_ioctl(&s, 1, DMABUFD_SYNC_IOC_WAIT, &wait, 0xff, 0, false);
	dev_op(&s, DEV_FUZZ_STOP);
	dev_ioctl(&s, 0, SW_SYNC_IOC_INC, &one, 0xff, 0, false);
	dev_op(&s, DEV_FUZZ_SHUTDOWN);
	save("dev", "shutdown", &s);

	/* Implicit sync: a fence imported into a buffer, a CPU access that
	 * waits for it. */
	dev_buffer(&s, 1, 4096, O_RDWR);
	dev_open(&s, DEV_FUZZ_NODE_SW_SYNC, O_RDWR, 2);
	dev_point(&s, 2, 1, 3);
	v = dev_ioctl(&s, 3, DMABUFD_IOC_EXPORT_TOKEN, &et, 0xff, 0, true);
	dev_ioctl(&s, 1, DMABUFD_DMA_BUF_IOC_IMPORT_SYNC_FILE, &imp, (uint8_t)v, 1,
		  true);
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE;
	dev_ioctl(&s, 1, DMA_BUF_IOCTL_SYNC, &sync, 0xff, 0, false);
	dev_ioctl(&s, 2, SW_SYNC_IOC_INC, &one, 0xff, 0, true);
	save("dev", "implicit-sync", &s);

	/* The dmaengine node: a memcpy between two buffers, issued at PREP,
	 * then its status, fence, events, and a terminate. */
	{
		struct dmabufd_dma_request rq = {
			.how = DMABUFD_DMA_REQ_BY_CAP,
			.cap_mask = DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY),
		};
		struct dmabufd_dma_attach att = { 0 };
		struct dmabufd_dma_prep prep = {
			.type = DMABUFD_DMA_MEMCPY,
			.flags = DMABUFD_DMA_PREP_INTERRUPT | DMABUFD_DMA_PREP_SUBMIT |
				 DMABUFD_DMA_PREP_ISSUE,
			.nsegs = 2,
			.src = { .attach_id = 1, .len = 4096 },
			.segs = { { .attach_id = 2, .len = 2048 },
				  { .attach_id = 2, .offset = 2048, .len = 2048 } },
		};
		struct dmabufd_dma_tx_status st = { .cookie = 1 };
		struct dmabufd_dma_fence fe = { .cookie = 1 };
		struct dmabufd_dma_events evs = { .count = 4 };
		unsigned t1, t2;

		dev_buffer(&s, 1, 4096, O_RDWR);
		dev_buffer(&s, 2, 4096, O_RDWR);
		t1 = dev_ioctl(&s, 1, DMABUFD_IOC_EXPORT_TOKEN, &et, 0xff, 0, true);
		t2 = dev_ioctl(&s, 2, DMABUFD_IOC_EXPORT_TOKEN, &et, 0xff, 0, true);
		dev_open(&s, DEV_FUZZ_NODE_DMAENGINE, O_RDWR, 3);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_REQUEST_CHAN, &rq, 0xff, 0, true);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_CAPS, NULL, 0xff, 0, true);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_ATTACH, &att, (uint8_t)t1, 0, true);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_ATTACH, &att, (uint8_t)t2, 0, true);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_PREP, &prep, 0xff, 0, true);
		dev_op(&s, DEV_FUZZ_DRAIN);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_TX_STATUS, &st, 0xff, 0, true);
		v = dev_ioctl(&s, 3, DMABUFD_DMA_IOC_FENCE, &fe, 0xff, 0, true);
		dev_open(&s, DEV_FUZZ_NODE_SYNC_FILE, O_RDONLY, 4);
		dev_ioctl(&s, 4, DMABUFD_IOC_CLAIM, &(struct dmabufd_claim){ 0 },
			  (uint8_t)(v + 1), 0, true);
		dev_ioctl(&s, 4, DMABUFD_SYNC_IOC_WAIT, &wait, 0xff, 0, false);
		dev_advance(&s, 1000);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_EVENTS, &evs, 0xff, 0, true);
		/* prepared, submitted apart, issued apart */
		prep.flags = 0;
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_PREP, &prep, 0xff, 0, true);
		/* descriptor ids count from 1 per fd: this is the second */
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_SUBMIT,
			  &(struct dmabufd_dma_submit){ .desc_id = 2 }, 0xff, 0,
			  true);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_ISSUE_PENDING, NULL, 0xff, 0, true);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_CONTROL,
			  &(struct dmabufd_dma_control){ .op = DMABUFD_DMA_TERMINATE },
			  0xff, 0, true);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_DETACH, &(struct dmabufd_dma_attach){
			  .attach_id = 1 }, 0xff, 0, true);
		save("dev", "dmaengine-memcpy", &s);

		/* A slave transfer to the peripheral's FIFO, a cyclic one
		 * back, on a channel asked for by name; the watchdog. */
		dev_buffer(&s, 1, 8192, O_RDWR);
		t1 = dev_ioctl(&s, 1, DMABUFD_IOC_EXPORT_TOKEN, &et, 0xff, 0, true);
		dev_open(&s, DEV_FUZZ_NODE_DMAENGINE, O_RDWR, 3);
		memset(&rq, 0, sizeof(rq));
		rq.how = DMABUFD_DMA_REQ_BY_CHAN;
		snprintf(rq.name, sizeof(rq.name), "dma0chan1");
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_REQUEST_CHAN, &rq, 0xff, 0, true);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_SLAVE_CONFIG,
			  &(struct dmabufd_dma_slave_config){
				  .src_addr_width = 4, .dst_addr_width = 4,
				  .src_maxburst = 1, .dst_maxburst = 1,
				  .request_line = 1,
				  .flags = DMABUFD_DMA_CFG_REQUEST_LINE },
			  0xff, 0, true);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_ATTACH, &att, (uint8_t)t1, 0, true);
		memset(&prep, 0, sizeof(prep));
		prep.type = DMABUFD_DMA_SLAVE;
		prep.direction = DMABUFD_DMA_MEM_TO_DEV;
		prep.flags = DMABUFD_DMA_PREP_SUBMIT | DMABUFD_DMA_PREP_ISSUE;
		prep.nsegs = 1;
		prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = 1, .len = 1024 };
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_PREP, &prep, 0xff, 0, true);
		prep.type = DMABUFD_DMA_CYCLIC;
		prep.direction = DMABUFD_DMA_DEV_TO_MEM;
		prep.flags |= DMABUFD_DMA_PREP_INTERRUPT;
		prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = 1,
							 .offset = 4096, .len = 4096 };
		prep.period_len = 1024;
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_PREP, &prep, 0xff, 0, true);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_CONTROL,
			  &(struct dmabufd_dma_control){ .op = DMABUFD_DMA_SET_TIMEOUT,
							 .arg = 10 },
			  0xff, 0, true);
		dev_op(&s, DEV_FUZZ_DRAIN);
		dev_advance(&s, 20000);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_EVENTS, &evs, 0xff, 0, true);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_CONTROL,
			  &(struct dmabufd_dma_control){ .op = DMABUFD_DMA_PAUSE },
			  0xff, 0, false);
		dev_ioctl(&s, 3, DMABUFD_DMA_IOC_CONTROL,
			  &(struct dmabufd_dma_control){ .op = DMABUFD_DMA_SYNCHRONIZE },
			  0xff, 0, true);
		save("dev", "dmaengine-slave-cyclic", &s);

		/* A request that waits for a controller by map name: there is
		 * no map, so it fails; one that is interrupted. */
		dev_open(&s, DEV_FUZZ_NODE_DMAENGINE, O_RDWR, 0);
		memset(&rq, 0, sizeof(rq));
		rq.how = DMABUFD_DMA_REQ_BY_NAME;
		rq.timeout_ms = 100;
		snprintf(rq.consumer, sizeof(rq.consumer), "uart0");
		snprintf(rq.name, sizeof(rq.name), "tx");
		dev_ioctl(&s, 0, DMABUFD_DMA_IOC_REQUEST_CHAN, &rq, 0xff, 0, false);
		memset(&rq, 0, sizeof(rq));
		rq.how = DMABUFD_DMA_REQ_BY_CHAN;
		rq.timeout_ms = 1000;
		snprintf(rq.name, sizeof(rq.name), "dma7chan0");
		dev_ioctl(&s, 0, DMABUFD_DMA_IOC_REQUEST_CHAN, &rq, 0xff, 0, false);
		put8(&s, DEV_FUZZ_INTERRUPT);
		put8(&s, 0);
		dev_ioctl(&s, 0, DMABUFD_DMA_IOC_REQUEST_CHAN, &rq, 0xff, 0, false);
		dev_advance(&s, 2000000);
		save("dev", "dmaengine-request-wait", &s);
	}
}

/* --- control ------------------------------------------------------------ */

static void ctl_send(struct seed *s, uint8_t slot, const void *msg, uint8_t len,
		     uint8_t pick)
{
	put8(s, CTL_FUZZ_SEND);
	put8(s, slot);
	put8(s, len);
	put8(s, pick);
	put(s, msg, len);
}

static void ctl_req(struct seed *s, uint8_t slot, uint32_t op, uint8_t pick,
		    uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3)
{
	struct dmabufd_ctl_req req = {
		.version = DMABUFD_CTL_VERSION,
		.op = op,
		.arg = { a0, a1, a2, a3 },
	};

	ctl_send(s, slot, &req, sizeof(req), pick);
}

static void ctl_seeds(void)
{
	static const struct { const char *name; uint32_t op; } lists[] = {
		{ "stats", DMABUFD_CTL_STATS },
		{ "dma-devices", DMABUFD_CTL_DMA_DEVICES },
		{ "dma-channels", DMABUFD_CTL_DMA_CHANNELS },
		{ "dma-xfers", DMABUFD_CTL_DMA_XFERS },
		{ "heaps", DMABUFD_CTL_HEAPS },
		{ "buffers", DMABUFD_CTL_BUFFERS },
		{ "fences", DMABUFD_CTL_FENCES },
		{ "timelines", DMABUFD_CTL_TIMELINES },
	};
	static struct seed s;
	struct dmabufd_ctl_req req = { .version = DMABUFD_CTL_VERSION,
				       .op = DMABUFD_CTL_STATS };

	for (unsigned i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		put8(&s, CTL_FUZZ_CONNECT);
		put8(&s, 0);
		ctl_req(&s, 0, lists[i].op, 0xff, 0, 0, 0, 0);
		put8(&s, CTL_FUZZ_RUN);
		save("control", lists[i].name, &s);
	}

	/* MAP: a read-write token, a read-only one, one used twice. */
	put8(&s, CTL_FUZZ_CONNECT);
	put8(&s, 0);
	put8(&s, CTL_FUZZ_TOKEN);
	put8(&s, O_RDWR);
	put8(&s, CTL_FUZZ_TOKEN);
	put8(&s, O_RDONLY | CTL_FUZZ_TOKEN_UID1000);
	ctl_req(&s, 0, DMABUFD_CTL_MAP, 0, 0, 0, 0, 0);
	ctl_req(&s, 0, DMABUFD_CTL_MAP, 1, 0, 0, 0, 0);
	put8(&s, CTL_FUZZ_RUN);
	ctl_req(&s, 0, DMABUFD_CTL_MAP, 1, 0, 0, 0, 0);
	put8(&s, CTL_FUZZ_RUN);
	save("control", "map", &s);

	/* DMA faults on dma0chan0, a bad channel, a bad kind. */
	put8(&s, CTL_FUZZ_CONNECT);
	put8(&s, 1);
	ctl_req(&s, 1, DMABUFD_CTL_DMA_FAULT, 0xff, 0, 0,
		DMABUFD_CTL_FAULT_FAIL_NTH, 1);
	ctl_req(&s, 1, DMABUFD_CTL_DMA_FAULT, 0xff, 0, 1,
		DMABUFD_CTL_FAULT_STALL, 0);
	put8(&s, CTL_FUZZ_RUN);
	ctl_req(&s, 1, DMABUFD_CTL_DMA_FAULT, 0xff, 0, 1,
		DMABUFD_CTL_FAULT_CLEAR, 0);
	ctl_req(&s, 1, DMABUFD_CTL_DMA_FAULT, 0xff, 9, 0,
		DMABUFD_CTL_FAULT_CLEAR, 0);
	ctl_req(&s, 1, DMABUFD_CTL_DMA_FAULT, 0xff, 0, 0, 77, 0);
	put8(&s, CTL_FUZZ_RUN);
	save("control", "dma-fault", &s);

	/* Malformed: short, long, a bad version, an unknown op, a token on
	 * a listing; then two clients, one half-closed with a reply due. */
	put8(&s, CTL_FUZZ_CONNECT);
	put8(&s, 0);
	ctl_send(&s, 0, &req, 8, 0xff);
	put8(&s, CTL_FUZZ_RUN);
	{
		char big[64] = { 0 };

		memcpy(big, &req, sizeof(req));
		ctl_send(&s, 0, big, sizeof(big), 0xff);
	}
	req.version = 2;
	ctl_send(&s, 0, &req, sizeof(req), 0xff);
	put8(&s, CTL_FUZZ_RUN);
	ctl_req(&s, 0, 99, 0xff, 0, 0, 0, 0);
	put8(&s, CTL_FUZZ_TOKEN);
	put8(&s, O_RDWR);
	ctl_req(&s, 0, DMABUFD_CTL_BUFFERS, 0, 0, 0, 0, 0);
	put8(&s, CTL_FUZZ_RUN);
	put8(&s, CTL_FUZZ_CONNECT);
	put8(&s, 1);
	ctl_req(&s, 1, DMABUFD_CTL_FENCES, 0xff, 0, 0, 0, 0);
	put8(&s, CTL_FUZZ_SHUT);
	put8(&s, 1);
	put8(&s, CTL_FUZZ_RUN);
	put8(&s, CTL_FUZZ_CLOSE);
	put8(&s, 0);
	save("control", "malformed", &s);
}

/* --- config ------------------------------------------------------------- */

static void config_seeds(const char *example)
{
	static const struct { const char *name, *text; } files[] = {
		{ "empty", "" },
		{ "daemon",
		  "# the daemon section\n"
		  "[daemon]\n"
		  "transport = fuse\n"
		  "dev-root = /run/dmabufd/dev\n"
		  "control = /run/dmabufd/control\n"
		  "token-ttl-ms = 10000\n"
		  "max-wait-ms = 60000\n"
		  "stop-timeout-ms = 5000\n"
		  "log-level = debug\n" },
		{ "nodes-heap",
		  "[nodes]\n"
		  "heap-dir = dma_heap\n"
		  "dma-buf = dmabufd/dma_buf\n"
		  "sync-file = dmabufd/sync_file\n"
		  "sw-sync = sw_sync\n"
		  "dmaengine = dmabufd/dmaengine\n"
		  "group = video\n"
		  "mode = 0660\n"
		  "[heap:system]\n"
		  "limit = 64M\n" },
		{ "dma-mock-map",
		  "[dma]\n"
		  "backend = mock\n"
		  "timeout-ms = 5000\n"
		  "[mock]\n"
		  "channels = 4\n"
		  "latency-us = 10\n"
		  "bandwidth = 100M\n"
		  "delay-ms = 0\n"
		  "[consumer:uart0]\n"
		  "tx = mock0:1:3\n"
		  "rx = mock0:any\n" },
		{ "bad-keys",
		  "[daemon]\n"
		  "transport = carrier-pigeon\n"
		  "no-such-key = 1\n"
		  "log-level = debug\n"
		  "log-level = info\n"
		  "[nowhere]\n"
		  "x = y\n" },
		{ "bad-syntax",
		  "[daemon\n"
		  "just a line\n"
		  "= no key\n"
		  "[dma]\n"
		  "backend = \n"
		  "[consumer:]\n"
		  "[consumer:a b]\n"
		  "tx = :\n" },
		{ "bad-numbers",
		  "[daemon]\n"
		  "token-ttl-ms = 0\n"
		  "max-wait-ms = 99999999999999999999\n"
		  "stop-timeout-ms = -1\n"
		  "[nodes]\n"
		  "mode = 99999\n"
		  "heap-dir = ../up\n"
		  "[heap:system]\n"
		  "limit = 12Q\n" },
		{ "stm32",
		  "[dma]\n"
		  "backend = stm32-uio\n"
		  "[stm32]\n"
		  "dmamux = uio-dmamux\n"
		  "[stm32:dma1]\n"
		  "uio = stm32-dma1\n"
		  "[heap:sram]\n"
		  "type = stm32-contig\n" },
	};
	FILE *f = fopen(example, "rb");
	static char text[1 << 16];
	size_t n;

	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		write_file("config", files[i].name, files[i].text,
			   strlen(files[i].text));
	if (!f) {
		perror(example);
		exit(1);
	}
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	write_file("config", "example", text, n);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: gen-corpus OUT_DIR EXAMPLE_CONF\n");
		return 2;
	}
	out_dir = argv[1];
	if (mkdir(out_dir, 0755) < 0 && errno != EEXIST) {
		perror(out_dir);
		return 1;
	}
	dev_seeds();
	ctl_seeds();
	config_seeds(argv[2]);
	return 0;
}
