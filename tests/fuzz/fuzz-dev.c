/* SPDX-License-Identifier: MIT */
/*
 * fuzz-dev: the ioctl handlers of every node type (daemon/dev), driven
 * in process through the transport-neutral request type with a fake
 * transport, as tests/unit/test-dev-request.c drives them. An input is a
 * sequence of opens, ioctls, polls, interrupts, clock steps and releases
 * (dev-ops.h), so claims, tokens, deferred waits, DMA transfers on the
 * mock controller and their fences all come into play, not one decode.
 *
 * What it checks besides the sanitizers: every request is answered
 * exactly once (a second answer is a use after free of the fake
 * request; a request never answered is reported after the input), and
 * an input leaves nothing behind: no open file, token, pending request,
 * armed timer or live model object (objstat) once every slot is released
 * and dev_shutdown() has run. Model objects sit on global lists, so
 * LeakSanitizer alone would not see them.
 *
 * The clock is the model's hand-run clock (ADVANCE moves it), so waits,
 * token TTLs and the DMA watchdog fire when the input says. The mock
 * controller copies on its own thread; its completions come back through
 * the completion queue, which ADVANCE, DRAIN and the end of an input run.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dev-ops.h"

#include "backend/mock/mock.h"
#include "dev/dev.h"
#include "dev/file.h"
#include "dev/node.h"
#include "dev/request.h"
#include "dev/token.h"
#include "dmaengine/dma_cq.h"
#include "model/clock.h"
#include "model/heap_system.h"
#include "model/objstat.h"
#include "util/log.h"

#include "fuzz-input.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* --- the fake transport ----------------------------------------------- */

/* One ioctl in flight: freed by its answer. */
struct fake_req {
	struct fake_req *next, **pprev;
	struct dev_req *armed; /* set_interrupt registered it */
	bool interrupted_early;
};

static struct fake_req *in_flight;
static unsigned in_flight_count;

/* Values seen in replies, for later payloads (tokens, ids). */
static uint64_t values[DEV_FUZZ_VALUES];
static unsigned next_value;

static void fake_done(struct fake_req *fr)
{
	if (!fr->pprev) {
		fprintf(stderr, "fuzz-dev: a request answered twice\n");
		abort();
	}
	*fr->pprev = fr->next;
	if (fr->next)
		fr->next->pprev = fr->pprev;
	in_flight_count--;
	fr->pprev = NULL;
	free(fr);
}

static void fake_reply(void *treq, int result, const void *out, size_t size)
{
	if (result < 0) {
		fprintf(stderr, "fuzz-dev: reply() with the error %d\n", result);
		abort();
	}
	for (size_t off = 0; off + 8 <= size; off += 8) {
		memcpy(&values[next_value], (const char *)out + off, 8);
		next_value = (next_value + 1) % DEV_FUZZ_VALUES;
	}
	fake_done(treq);
}

static void fake_reply_error(void *treq, int neg_errno)
{
	if (neg_errno >= 0 || neg_errno < -4095) {
		fprintf(stderr, "fuzz-dev: reply_error() with %d\n", neg_errno);
		abort();
	}
	fake_done(treq);
}

static int fake_set_interrupt(void *treq, struct dev_req *req)
{
	struct fake_req *fr = treq;

	if (fr->interrupted_early)
		return -EINTR;
	fr->armed = req;
	return 0;
}

static void fake_poll_notify(void *ph)
{
	if (!ph)
		abort();
}

/* A poll handle is a malloc'ed byte: one the dev layer loses is a leak. */
static void fake_poll_destroy(void *ph)
{
	free(ph);
}

static const struct dev_transport_ops fake_ops = {
	.name = "fuzz",
	.reply = fake_reply,
	.reply_error = fake_reply_error,
	.set_interrupt = fake_set_interrupt,
	.poll_notify = fake_poll_notify,
	.poll_destroy = fake_poll_destroy,
};

/* --- the harness ------------------------------------------------------ */

static uint64_t now_ns;
static struct mock_device *mock;
static unsigned mock_lines;
static struct dev_file *slots[DEV_FUZZ_SLOTS];
static long baseline[_OBJ_MAX];
static unsigned baseline_timers;

static uint64_t fuzz_clock(void)
{
	return now_ns;
}

static void run_clock(uint64_t ns)
{
	now_ns += ns;
	timerq_run(now_ns);
	dma_cq_drain();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct mock_config cfg;

	log_set_level(getenv("FUZZ_LOG") ? LOG_DEBUG : LOG_EMERG);
	now_ns = 1000000000ull;
	clock_set_source(fuzz_clock);
	dev_init(&(struct dev_config){ .max_wait_ns = 10000000000ull });
	/* Room for a few buffers, so that inputs stay small in memory. */
	if (heap_system_register(16u << 20) < 0)
		abort();
	if (node_registry_build(NULL) < 0)
		abort();
	/* A mock controller with every capability; its worker posts to the
	 * completion queue, which the harness drains itself. */
	mock_config_default(&cfg);
	cfg.nr_descs = 16;
	if (mock_device_create(&cfg, &mock) < 0)
		abort();
	mock_lines = cfg.nr_request_lines;
	for (int t = 0; t < _OBJ_MAX; t++)
		baseline[t] = objstat_get(t);
	baseline_timers = timerq_armed();
	return 0;
}

static struct dev_file **slot(struct input *in)
{
	return &slots[in_u8(in) % DEV_FUZZ_SLOTS];
}

static void op_open(struct input *in)
{
	uint8_t node = in_u8(in), how = in_u8(in);
	struct dev_file **s = slot(in);
	int flags = (how & 3) | ((how & DEV_FUZZ_OPEN_NONBLOCK) ? O_NONBLOCK : 0);
	uid_t uid = (how & DEV_FUZZ_OPEN_UID1000) ? 1000 : 0;
	pid_t pid = (how & DEV_FUZZ_OPEN_PID0) ? 0 : getpid();

	dev_file_release(*s);
	*s = NULL;
	if (dev_file_open(node_at(node % node_count()), &fake_ops, flags, pid,
			  uid, uid, s) < 0)
		*s = NULL;
}

static void op_ioctl(struct input *in)
{
	static unsigned char payload[DEV_FUZZ_MAX_PAYLOAD];
	struct dev_file *file = *slot(in);
	uint8_t which = in_u8(in), how = in_u8(in), pick = in_u8(in);
	uint8_t at = in_u8(in);
	unsigned cmd = which < DEV_FUZZ_NCMDS ? dev_fuzz_cmds[which] : in_u32(in);
	size_t size = _IOC_SIZE(cmd), in_size = 0, out_size = 0;
	struct fake_req *fr;
	struct dev_req *req;

	if (size > DEV_FUZZ_MAX_PAYLOAD)
		size = DEV_FUZZ_MAX_PAYLOAD;
	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		in_size = size;
		in_bytes(in, payload, size);
		if (pick != 0xff && size >= 8) {
			size_t off = (size_t)at * 8 % (size - 7);

			memcpy(payload + off, &values[pick % DEV_FUZZ_VALUES], 8);
		}
	}
	if (_IOC_DIR(cmd) & _IOC_READ)
		out_size = size;
	if (!file)
		return;
	fr = calloc(1, sizeof(*fr));
	if (!fr)
		abort();
	fr->interrupted_early = how & 1;
	fr->next = in_flight;
	if (in_flight)
		in_flight->pprev = &fr->next;
	fr->pprev = &in_flight;
	in_flight = fr;
	in_flight_count++;
	req = dev_req_new(&fake_ops, fr, file, cmd, in_size ? payload : NULL,
			  in_size, out_size);
	if (!req) {
		fake_done(fr);
		return;
	}
	dev_req_dispatch(req);
}

static void op_poll(struct input *in)
{
	struct dev_file *file = *slot(in);
	uint8_t ev = in_u8(in);
	unsigned events = ((ev & 1) ? POLLIN : 0) | ((ev & 2) ? POLLOUT : 0) |
			  ((ev & 4) ? POLLPRI : 0);
	void *ph = NULL;

	if (!file)
		return;
	if (ev & 8) {
		ph = malloc(1);
		if (!ph)
			abort();
	}
	(void)dev_file_poll(file, events, ph);
}

static void op_interrupt(struct input *in)
{
	unsigned which = in_u8(in), armed = 0;
	struct fake_req *fr;

	for (fr = in_flight; fr; fr = fr->next)
		if (fr->armed)
			armed++;
	if (!armed)
		return;
	which %= armed;
	for (fr = in_flight; fr; fr = fr->next)
		if (fr->armed && !which--)
			break;
	dev_req_interrupted(fr->armed);
}

static void check_clean(void)
{
	bool bad = false;

	if (in_flight_count) {
		fprintf(stderr, "fuzz-dev: %u request(s) never answered\n",
			in_flight_count);
		bad = true;
	}
	if (dev_file_count() || token_count() || dev_req_pending_count()) {
		fprintf(stderr, "fuzz-dev: left behind: %u file(s), %u token(s), "
			"%u pending request(s)\n", dev_file_count(),
			token_count(), dev_req_pending_count());
		bad = true;
	}
	for (int t = 0; t < _OBJ_MAX; t++) {
		if (objstat_get(t) != baseline[t]) {
			fprintf(stderr, "fuzz-dev: %ld %s object(s) left behind\n",
				objstat_get(t) - baseline[t], objstat_name(t));
			bad = true;
		}
	}
	if (timerq_armed() != baseline_timers) {
		fprintf(stderr, "fuzz-dev: %d timer(s) left armed\n",
			(int)(timerq_armed() - baseline_timers));
		bad = true;
	}
	if (bad)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	memset(values, 0, sizeof(values));
	next_value = 0;
	while (in.n) {
		switch (in_u8(&in) % _DEV_FUZZ_OPS) {
		case DEV_FUZZ_OPEN:
			op_open(&in);
			break;
		case DEV_FUZZ_RELEASE: {
			struct dev_file **s = slot(&in);

			dev_file_release(*s);
			*s = NULL;
			break;
		}
		case DEV_FUZZ_IOCTL:
			op_ioctl(&in);
			break;
		case DEV_FUZZ_POLL:
			op_poll(&in);
			break;
		case DEV_FUZZ_INTERRUPT:
			op_interrupt(&in);
			break;
		case DEV_FUZZ_ADVANCE:
			run_clock((uint64_t)in_u32(&in) * 1000);
			break;
		case DEV_FUZZ_DRAIN:
			dma_cq_drain();
			break;
		case DEV_FUZZ_STOP:
			dev_stop_accepting();
			break;
		case DEV_FUZZ_SHUTDOWN:
			dev_shutdown();
			memset(slots, 0, sizeof(slots));
			break;
		}
	}
	for (unsigned i = 0; i < DEV_FUZZ_SLOTS; i++) {
		dev_file_release(slots[i]);
		slots[i] = NULL;
	}
	dev_shutdown();
	dma_cq_drain();
	/* What a slave transfer left in the peripherals' loopback FIFOs
	 * would feed the next input's transfers. */
	for (unsigned line = 0; line < mock_lines; line++) {
		char sink[4096];

		while (mock_fifo_pop(mock, line, sink, sizeof(sink)) > 0)
			;
	}
	check_clean();
	dev_restart();
	return 0;
}
