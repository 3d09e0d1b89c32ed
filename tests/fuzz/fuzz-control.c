/* SPDX-License-Identifier: MIT */
/*
 * fuzz-control: the control socket (daemon/ctl/control.c) in process,
 * on its own libuv loop, with the daemon's DMA wiring (dma_setup.c and
 * the mock controller, for DMABUFD_CTL_DMA_FAULT) and a buffer whose
 * mapping tokens an input can redeem. Clients are SOCK_SEQPACKET
 * connections made by the harness; an input connects, sends messages of
 * any length and content, runs the loop, half-closes and closes
 * (ctl-ops.h).
 *
 * Besides the sanitizers, the harness checks what a client sees: every
 * reply starts with one struct dmabufd_ctl_reply message, a MAP that
 * succeeded carries exactly one fd (and nothing else does), and a
 * listing's records follow as messages of whole records adding up to the
 * size the header gave. After the input every connection is closed, and
 * the daemon must be back where it started: the same libuv handles, no
 * token, no model object and no file descriptor more than before.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <dmabufd/control.h>

#include "ctl-ops.h"

#include "ctl/control.h"
#include "dev/token.h"
#include "model/dma_buf.h"
#include "model/heap.h"
#include "model/heap_system.h"
#include "model/objstat.h"
#include "util/fd_drop.h"
#include "util/log.h"
#include "wiring/dma_setup.h"

#include "fuzz-input.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The mock controller dma0 (dma_setup.c) and its channels. */
#define FUZZ_MOCK_CHANNELS 4

/* What a client has been told so far: the reply protocol's state. */
struct client {
	int fd; /* -1: none */
	bool in_payload;
	uint32_t op;
	uint64_t left;	   /* payload bytes still to come */
	uint32_t rec_size; /* listings: every message holds whole records */
	bool in_listing;   /* batches follow until one marked END */
};

static uv_loop_t loop;
static char sock_path[108];
static struct client clients[CTL_FUZZ_SLOTS];
static struct dma_buf *buf;
static struct token_owner owner;
static uint64_t tokens[CTL_FUZZ_TOKENS];
static unsigned next_token;
static long baseline[_OBJ_MAX];
static unsigned baseline_handles;
/* The fds open before any input, up to FD_CHECK_MAX. */
#define FD_CHECK_MAX 256
static bool fd_open_at_start[FD_CHECK_MAX];

static void count_handle(uv_handle_t *handle, void *arg)
{
	(*(unsigned *)arg)++;
}

static unsigned handles(void)
{
	unsigned n = 0;

	uv_walk(&loop, count_handle, &n);
	return n;
}

static void protocol_error(const struct client *c, const char *what)
{
	fprintf(stderr, "fuzz-control: op %u: %s\n", c->op, what);
	abort();
}

static bool is_listing(uint32_t op)
{
	return op >= DMABUFD_CTL_DMA_DEVICES && op <= DMABUFD_CTL_TIMELINES &&
	       op != DMABUFD_CTL_DMA_FAULT;
}

/* Check one message the daemon sent @c, with @fd attached (or -1). */
static void check_message(struct client *c, const void *msg, size_t n, int fd)
{
	struct dmabufd_ctl_reply head;
	struct dmabufd_ctl_batch batch;

	if (c->in_listing) {
		if (fd >= 0)
			protocol_error(c, "an fd on a listing batch");
		if (n < sizeof(batch))
			protocol_error(c, "a listing batch shorter than its header");
		memcpy(&batch, msg, sizeof(batch));
		if (batch.count > DMABUFD_CTL_RECS_PER_MSG ||
		    batch.rec_size != c->rec_size ||
		    batch.hidden || /* root, the fuzzer's clients, sees all */
		    (batch.flags & ~DMABUFD_CTL_BATCH_END) ||
		    n != sizeof(batch) + (size_t)batch.count * batch.rec_size)
			protocol_error(c, "a listing batch of the wrong shape");
		c->in_listing = !(batch.flags & DMABUFD_CTL_BATCH_END);
		return;
	}
	if (c->in_payload) {
		if (fd >= 0)
			protocol_error(c, "an fd on a payload message");
		if (n > c->left || !n || n % c->rec_size)
			protocol_error(c, "a payload message of the wrong size");
		c->left -= n;
		c->in_payload = c->left > 0;
		return;
	}
	if (n != sizeof(head))
		protocol_error(c, "a reply header of the wrong size");
	memcpy(&head, msg, sizeof(head));
	c->op = head.op;
	if ((fd >= 0) != (head.op == DMABUFD_CTL_MAP && head.error == 0))
		protocol_error(c, "an fd where none belongs, or none on a MAP");
	if (head.error < 0 || head.error > 4095)
		protocol_error(c, "an error that is not a positive errno");
	if (!head.error && is_listing(head.op)) {
		/* Protocol 2: no count up front; batches follow. */
		if (head.count || head.size || !head.rec_size)
			protocol_error(c, "a listing reply with a count or size, "
					  "or no record size");
		c->rec_size = head.rec_size;
		c->in_listing = true;
		return;
	}
	if (head.error || !head.size || head.op == DMABUFD_CTL_MAP)
		return;
	if (head.op == DMABUFD_CTL_STATS) {
		if (head.size != sizeof(struct dmabufd_ctl_stats))
			protocol_error(c, "stats of the wrong size");
		c->rec_size = sizeof(struct dmabufd_ctl_stats);
	} else if (head.op == DMABUFD_CTL_INFO) {
		if (head.size != sizeof(struct dmabufd_ctl_info))
			protocol_error(c, "info of the wrong size");
		c->rec_size = sizeof(struct dmabufd_ctl_info);
	} else {
		protocol_error(c, "a payload after an op that has none");
	}
	c->in_payload = true;
	c->left = head.size;
}

/* Read what @c has waiting; close the fds that come with it. */
static void client_read(struct client *c)
{
	static char data[65536];
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} control;

	while (c->fd >= 0) {
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control.buf,
			.msg_controllen = sizeof(control.buf),
		};
		struct cmsghdr *cmsg;
		int fd = -1, nfds = 0;
		ssize_t n;

		n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n <= 0)
			return; /* nothing yet, or the daemon dropped us */
		for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
			if (cmsg->cmsg_level != SOL_SOCKET ||
			    cmsg->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t i = 0; CMSG_LEN((i + 1) * sizeof(int)) <=
					   cmsg->cmsg_len; i++) {
				memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
				       sizeof(int));
				close(fd);
				nfds++;
			}
		}
		if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || nfds > 1)
			protocol_error(c, "a message too large, or several fds");
		check_message(c, data, (size_t)n, nfds ? fd : -1);
	}
}

/* Let the daemon work and read what it sent, a few rounds. */
static void run(void)
{
	for (int i = 0; i < 4; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		for (unsigned s = 0; s < CTL_FUZZ_SLOTS; s++)
			client_read(&clients[s]);
	}
}

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	*c = (struct client){ .fd = -1 };
}

static void client_connect(struct client *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	client_close(c);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		abort();
	memcpy(sa.sun_path, sock_path, sizeof(sock_path));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* The listener's backlog is full (the input connects
		 * faster than it runs the loop): no connection. */
		if (errno != EAGAIN) {
			perror("fuzz-control: connect");
			abort();
		}
		client_close(c);
	}
}

static void client_send(struct client *c, struct input *in)
{
	size_t len = in_u8(in);
	uint8_t pick = in_u8(in);
	char msg[256];

	for (size_t i = 0; i < len; i++)
		msg[i] = (char)in_u8(in);
	if (pick != 0xff && len >= offsetof(struct dmabufd_ctl_req, token) + 8)
		memcpy(msg + offsetof(struct dmabufd_ctl_req, token),
		       &tokens[pick % CTL_FUZZ_TOKENS], 8);
	if (c->fd >= 0)
		(void)send(c->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void issue_token(struct input *in)
{
	uint8_t how = in_u8(in);
	int mode = (how & 3) == 3 ? O_RDWR : (how & 3);
	__u64 value;

	if (token_new(&owner, TOKEN_MAP, buf, mode,
		      (how & CTL_FUZZ_TOKEN_UID1000) ? 1000 : 0, &value) == 0) {
		tokens[next_token] = value;
		next_token = (next_token + 1) % CTL_FUZZ_TOKENS;
	}
}

static void remove_socket(void)
{
	(void)unlink(sock_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct dma_options opts = {
		.backend = DMA_BACKEND_MOCK,
		.mock_channels = FUZZ_MOCK_CHANNELS,
		.timeout_ms = 5000,
	};

	log_set_level(getenv("FUZZ_LOG") ? LOG_DEBUG : LOG_EMERG);
	snprintf(sock_path, sizeof(sock_path), "/tmp/dmabufd-fuzz-control.%d",
		 (int)getpid());
	if (uv_loop_init(&loop) < 0 || heap_system_register(1u << 20) < 0 ||
	    heap_alloc(heap_find(HEAP_SYSTEM_NAME), NULL, 8192, O_RDWR, 0, &buf) < 0 ||
	    /* Its own memfd now, as the first MAP would make it (a buffer
	     * leaves the heap's arena then and keeps the memfd): not an fd
	     * an input left open. */
	    dma_buf_get_memfd(buf) < 0 ||
	    dma_setup_start(&loop, &opts) < 0 ||
	    control_start(&loop, sock_path) < 0)
		abort();
	atexit(remove_socket);
	token_owner_init(&owner);
	for (unsigned s = 0; s < CTL_FUZZ_SLOTS; s++)
		clients[s].fd = -1;
	for (int fd = 0; fd < FD_CHECK_MAX; fd++)
		fd_open_at_start[fd] = fcntl(fd, F_GETFD) >= 0;
	for (int t = 0; t < _OBJ_MAX; t++)
		baseline[t] = objstat_get(t);
	baseline_handles = handles();
	return 0;
}

static void check_clean(void)
{
	bool bad = false;
	int i;

	/* The daemon sees each close and closes its handles: give it the
	 * rounds it needs, and no more than a few. */
	for (i = 0; i < 64 && handles() != baseline_handles; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	/* Client sockets and passed fds are closed off the loop, each on a
	 * thread of its own (util/fd_drop.h): wait for those, 10 s at most. */
	for (i = 0; i < 10000 && fd_drop_pending(); i++)
		usleep(1000);
	if (handles() != baseline_handles) {
		fprintf(stderr, "fuzz-control: %u libuv handle(s) left\n",
			handles() - baseline_handles);
		bad = true;
	}
	if (token_count()) {
		fprintf(stderr, "fuzz-control: %u token(s) left\n", token_count());
		bad = true;
	}
	for (int t = 0; t < _OBJ_MAX; t++) {
		if (objstat_get(t) != baseline[t]) {
			fprintf(stderr, "fuzz-control: %ld %s object(s) left behind\n",
				objstat_get(t) - baseline[t], objstat_name(t));
			bad = true;
		}
	}
	for (int fd = 0; fd < FD_CHECK_MAX; fd++) {
		char link[64], target[256];
		ssize_t n;

		if (fd_open_at_start[fd] || fcntl(fd, F_GETFD) < 0)
			continue;
		/* Only what the daemon opens counts: its sockets and memfds.
		 * (The sanitizers' symbolizer, started when libFuzzer prints
		 * a new function, keeps pipes open.) */
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		if (strncmp(target, "socket:", 7) && strncmp(target, "/memfd:", 7))
			continue;
		fprintf(stderr, "fuzz-control: fd %d (%s) left open\n", fd,
			target);
		bad = true;
	}
	if (bad)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	memset(tokens, 0, sizeof(tokens));
	next_token = 0;
	while (in.n) {
		uint8_t op = in_u8(&in) % _CTL_FUZZ_OPS;

		switch (op) {
		case CTL_FUZZ_CONNECT:
			client_connect(&clients[in_u8(&in) % CTL_FUZZ_SLOTS]);
			break;
		case CTL_FUZZ_SEND:
			client_send(&clients[in_u8(&in) % CTL_FUZZ_SLOTS], &in);
			break;
		case CTL_FUZZ_TOKEN:
			issue_token(&in);
			break;
		case CTL_FUZZ_RUN:
			run();
			break;
		case CTL_FUZZ_CLOSE:
			client_close(&clients[in_u8(&in) % CTL_FUZZ_SLOTS]);
			break;
		case CTL_FUZZ_SHUT: {
			struct client *c = &clients[in_u8(&in) % CTL_FUZZ_SLOTS];

			if (c->fd >= 0)
				shutdown(c->fd, SHUT_WR);
			break;
		}
		}
	}
	run();
	for (unsigned s = 0; s < CTL_FUZZ_SLOTS; s++)
		client_close(&clients[s]);
	token_owner_clear(&owner);
	/* A fault injected on a channel of the mock would outlive the input. */
	for (uint32_t chan = 0; chan < FUZZ_MOCK_CHANNELS; chan++)
		(void)dma_setup_fault(0, chan, DMABUFD_CTL_FAULT_CLEAR, 0);
	check_clean();
	return 0;
}
