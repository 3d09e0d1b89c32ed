/* SPDX-License-Identifier: MIT */
/*
 * dma-request CONSUMER NAME TIMEOUT_MS: take the channel the daemon's name
 * map gives CONSUMER's NAME (dmabufd_dma_request_chan), waiting up to
 * TIMEOUT_MS for its controller, and print "DEVICE CHANNEL". Exit 0 with
 * the channel, 1 with the error on stderr. For the scripts that check a
 * deferred request from outside (stm32-board.sh). The daemon is found
 * through $DMABUFD_DEV_ROOT and $DMABUFD_CONTROL.
 */
#include <errno.h>
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

	if (argc != 4) {
		fprintf(stderr, "usage: dma-request CONSUMER NAME TIMEOUT_MS\n");
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
	close(fd);
	return 0;
}
