/* SPDX-License-Identifier: MIT */
/*
 * Integration: the mock controller as the daemon's options configure it
 * (test-dma-timing.args): 2 channels, 200 ms before a transfer moves its
 * first byte, 8 MiB/s. The timing model shows through TX_STATUS (the
 * residue of a transfer on its way) and through when fences signal.
 */
#include <stdlib.h>

#include "itest.h"

#define LATENCY_NS 200000000LL
#define BYTES_PER_SEC (8ll << 20)

static void mock_has_the_configured_channels(void **state)
{
	struct dmabufd_ctl_dma_device *d;
	uint32_t n, size;
	void *recs;

	assert_ok(dmabufd_ctl_list(DMABUFD_CTL_DMA_DEVICES, &recs, &n, &size));
	assert_int_equal(n, 1);
	d = recs;
	assert_string_equal(d->name, "mock0");
	assert_int_equal(d->chancnt, 2);
	free(recs);
}

struct rig {
	int chan, src, dst;
	uint32_t src_id, dst_id;
};

static void rig_open(struct rig *r, size_t len)
{
	r->chan = dmabufd_dma_request_chan_by_cap(DMABUFD_DMA_CAP(DMABUFD_DMA_MEMCPY), 0, NULL);
	assert_ok(r->chan);
	r->src = buf_new(len, O_RDWR | O_CLOEXEC);
	r->dst = buf_new(len, O_RDWR | O_CLOEXEC);
	r->src_id = (uint32_t)dmabufd_dma_attach(r->chan, r->src, NULL);
	r->dst_id = (uint32_t)dmabufd_dma_attach(r->chan, r->dst, NULL);
	assert_true((int)r->src_id > 0 && (int)r->dst_id > 0);
}

static void rig_close(struct rig *r)
{
	close(r->chan);
	close(r->src);
	close(r->dst);
}

static void nothing_moves_before_the_latency(void **state)
{
	struct dmabufd_dma_tx_status st;
	struct rig r;
	int64_t t0;
	int32_t c;

	rig_open(&r, PAGE);
	t0 = now_ns();
	c = dmabufd_dma_memcpy(r.chan, r.dst_id, 0, r.src_id, 0, PAGE, 0);
	assert_ok(c);
	usleep(50000);
	assert_int_equal(dmabufd_dma_tx_status(r.chan, c, &st), DMABUFD_DMA_IN_PROGRESS);
	assert_int_equal(st.residue, PAGE);
	assert_int_equal(dmabufd_dma_wait(r.chan, c, 10000), 0);
	assert_true(now_ns() - t0 >= LATENCY_NS * 9 / 10);
	rig_close(&r);
}

static void residue_only_shrinks_and_the_copy_takes_its_time(void **state)
{
	const size_t len = 4u << 20; /* 500 ms at 8 MiB/s */
	struct dmabufd_dma_tx_status st;
	struct rig r;
	int64_t t0, took;
	unsigned mid = 0, samples = 0;
	int32_t c;

	rig_open(&r, len);
	t0 = now_ns();
	c = dmabufd_dma_memcpy(r.chan, r.dst_id, 0, r.src_id, 0, len, 0);
	assert_ok(c);
	/* Sampled every few ms: the residue only shrinks, and some sample
	 * lands in the middle of the copy (TX_STATUS never waits for the
	 * mock's worker, which copies outside its lock). */
	for (uint32_t last = (uint32_t)len;;) {
		int status = dmabufd_dma_tx_status(r.chan, c, &st);

		assert_true(status == DMABUFD_DMA_IN_PROGRESS || status == DMABUFD_DMA_COMPLETE);
		assert_true(st.residue <= last);
		last = st.residue;
		if (st.residue > 0 && st.residue < len)
			mid++;
		if (status == DMABUFD_DMA_COMPLETE)
			break;
		assert_true(now_ns() - t0 < 20000000000LL);
		samples++;
		usleep(2000);
	}
	if (mid == 0)
		print_message("(no residue between 0 and %zu in %u samples)\n", len, samples);
	assert_true(mid > 0);
	assert_int_equal(dmabufd_dma_wait(r.chan, c, 10000), 0);
	took = now_ns() - t0;
	assert_true(took >= (LATENCY_NS + (int64_t)len * 1000000000LL / BYTES_PER_SEC) * 9 / 10);
	assert_int_equal(dmabufd_dma_tx_status(r.chan, c, &st), DMABUFD_DMA_COMPLETE);
	assert_int_equal(st.residue, 0);
	rig_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(mock_has_the_configured_channels),
		itest(nothing_moves_before_the_latency),
		itest(residue_only_shrinks_and_the_copy_takes_its_time),
	};

	return cmocka_run_group_tests_name("dma-timing", tests, NULL, NULL);
}
