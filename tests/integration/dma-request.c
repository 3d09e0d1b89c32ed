/* SPDX-License-Identifier: MIT */
/*
 * dma-request CONSUMER NAME TIMEOUT_MS [hold]: take the channel the
 * daemon's name map gives CONSUMER's NAME (dmabufd_dma_request_chan),
 * waiting up to TIMEOUT_MS for its controller, and print "DEVICE CHANNEL".
 * With "hold" it then prepares and submits, without issuing, a 4 KiB
 * memcpy between two buffers of the "contig" heap and prints "submitted
 * COOKIE"; it keeps the channel until a line arrives on stdin, then
 * prints what a few calls give (0, an id, or -errno): "fence STATUS"
 * (that transfer's fence, after waiting up to 5 s), "caps R", "attach R"
 * (a fresh system-heap buffer), "issue_pending R", "tx_status R": what a
 * client holding a channel sees after its controller went away. Exit 0
 * with the channel, 1 with the error on stderr. For the scripts that
 * check the name map and controllers coming and going from outside
 * (stm32-board.sh). The daemon is found through $DMABUFD_DEV_ROOT and
 * $DMABUFD_CONTROL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dmabufd/dmabufd.h>

static int alloc_attached(int chan, const char *heap, uint32_t *ret_id)
{
	int buf = dmabufd_alloc(heap, 4096, O_RDWR | O_CLOEXEC), id;

	if (buf < 0) {
		fprintf(stderr, "dma-request: alloc from %s: %s\n", heap,
			strerror(-buf));
		return buf;
	}
	id = dmabufd_dma_attach(chan, buf, NULL);
	if (id < 0) {
		fprintf(stderr, "dma-request: attach: %s\n", strerror(-id));
		close(buf);
		return id;
	}
	*ret_id = (uint32_t)id;
	return buf;
}

/* The "hold" mode (see the top). */
static int hold(int chan)
{
	struct dmabufd_dma_prep prep = {
		.type = DMABUFD_DMA_MEMCPY,
		.flags = DMABUFD_DMA_PREP_SUBMIT,
		.nsegs = 1,
	};
	struct dmabufd_dma_caps caps;
	uint32_t src_id, dst_id;
	int src, dst, buf, fence, r, status = 99;
	char line[16];

	src = alloc_attached(chan, "contig", &src_id);
	dst = alloc_attached(chan, "contig", &dst_id);
	if (src < 0 || dst < 0)
		return -1;
	prep.src = (struct dmabufd_dma_seg){ .attach_id = src_id, .len = 4096 };
	prep.segs[0] = (struct dmabufd_dma_seg){ .attach_id = dst_id, .len = 4096 };
	r = dmabufd_dma_prep(chan, &prep);
	fence = r < 0 ? r : dmabufd_dma_fence(chan, prep.cookie);
	if (fence < 0) {
		fprintf(stderr, "dma-request: prep/fence: %s\n", strerror(-fence));
		return -1;
	}
	printf("submitted %d\n", (int)prep.cookie);
	fflush(stdout);

	if (!fgets(line, sizeof(line), stdin))
		line[0] = '\0';
	r = dmabufd_sync_wait(fence, 5000);
	if (r == 0)
		r = dmabufd_sync_status(fence, &status);
	printf("fence %d\n", r < 0 ? r : status);
	buf = dmabufd_alloc("system", 4096, O_RDWR | O_CLOEXEC);
	if (buf < 0)
		return -1;
	printf("caps %d\n", dmabufd_dma_caps(chan, &caps));
	printf("attach %d\n", dmabufd_dma_attach(chan, buf, NULL));
	printf("issue_pending %d\n", dmabufd_dma_issue_pending(chan));
	printf("tx_status %d\n", dmabufd_dma_tx_status(chan, 1, NULL));
	close(buf);
	close(fence);
	close(dst);
	close(src);
	return 0;
}

int main(int argc, char **argv)
{
	struct dmabufd_dma_chan_info info;
	char *end;
	long timeout;
	int fd;

	if ((argc != 4 && argc != 5) || (argc == 5 && strcmp(argv[4], "hold"))) {
		fprintf(stderr, "usage: dma-request CONSUMER NAME TIMEOUT_MS [hold]\n");
		return 2;
	}
	timeout = strtol(argv[3], &end, 10);
	if (*end || end == argv[3] || timeout < 0 || timeout > 3600000) {
		fprintf(stderr, "dma-request: bad timeout \"%s\"\n", argv[3]);
		return 2;
	}
	fd = dmabufd_dma_request_chan(argv[1], argv[2], (int)timeout, &info);
	if (fd < 0) {
		fprintf(stderr, "dma-request: %s:%s: %s\n", argv[1], argv[2],
			strerror(-fd));
		return 1;
	}
	printf("%s %s\n", info.device, info.name);
	fflush(stdout);
	if (argc == 5 && hold(fd) < 0)
		return 1;
	close(fd);
	return 0;
}
