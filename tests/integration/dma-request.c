/* SPDX-License-Identifier: MIT */
/*
 * dma-request CONSUMER NAME TIMEOUT_MS [hold]: take the channel the
 * daemon's name map gives CONSUMER's NAME (dmabufd_dma_request_chan),
 * waiting up to TIMEOUT_MS for its controller, and print "DEVICE CHANNEL".
 * With "hold" it then keeps the channel until a line arrives on stdin,
 * and prints what a few calls on it give (0, an id, or -errno): "caps R",
 * "attach R" (a fresh system-heap buffer), "issue_pending R", "tx_status
 * R": what a client holding a channel sees after its controller went
 * away. Exit 0 with the channel, 1 with the error on
 * stderr. For the scripts that check a
 * deferred request from outside (stm32-board.sh). The daemon is found
 * through $DMABUFD_DEV_ROOT and $DMABUFD_CONTROL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dmabufd/dmabufd.h>

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
	if (argc == 5) {
		char line[16];

		struct dmabufd_dma_caps caps;
		int buf;

		if (!fgets(line, sizeof(line), stdin))
			line[0] = '\0';
		buf = dmabufd_alloc("system", 4096, O_RDWR | O_CLOEXEC);
		if (buf < 0) {
			fprintf(stderr, "dma-request: alloc: %s\n", strerror(-buf));
			return 1;
		}
		printf("caps %d\n", dmabufd_dma_caps(fd, &caps));
		printf("attach %d\n", dmabufd_dma_attach(fd, buf, NULL));
		printf("issue_pending %d\n", dmabufd_dma_issue_pending(fd));
		printf("tx_status %d\n", dmabufd_dma_tx_status(fd, 1, NULL));
		close(buf);
	}
	close(fd);
	return 0;
}
