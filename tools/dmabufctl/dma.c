/* SPDX-License-Identifier: MIT */
/*
 * The DMA group: controllers, channels (as /sys/class/dma, and more),
 * transfers not ended yet, and fault injection into the mock controller.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmabufctl.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define U64(buf, size, v) (snprintf((buf), (size), "%" PRIu64, (uint64_t)(v)), (buf))
#define S32(buf, size, v) (snprintf((buf), (size), "%" PRId32, (int32_t)(v)), (buf))
#define BOOL(v) ((v) ? "1" : "0")

/* enum dma_transaction_type, in order. */
static const char *const cap_names[] = {
	"memcpy", "xor", "pq", "xor_val", "pq_val", "memset", "memset_sg",
	"interrupt", "private", "async_tx", "slave", "cyclic", "interleave",
	"completion_no_order", "repeat", "load_eot",
};

static const char *const dir_names[] = {
	"mem_to_mem", "mem_to_dev", "dev_to_mem", "dev_to_dev",
};

static const char *const state_names[] = {
	[DMABUFD_CTL_XFER_PREPARED] = "prepared",
	[DMABUFD_CTL_XFER_SUBMITTED] = "submitted",
	[DMABUFD_CTL_XFER_WAITING] = "waiting",
	[DMABUFD_CTL_XFER_ACTIVE] = "active",
	[DMABUFD_CTL_XFER_PAUSED] = "paused",
};

/* The cap names of @mask, comma-separated, in @buf; NULL for none. */
static const char *caps(uint32_t mask, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < ARRAY_LEN(cap_names); i++)
		if (mask & (1u << i))
			o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "," : "",
					      cap_names[i]);
	return o ? buf : NULL;
}

/* ---- devices --------------------------------------------------------- */

enum { DEV_ID, DEV_NAME, DEV_CHANS, DEV_PRIVCHANS, DEV_PRIVATE, DEV_CAPS, DEV_RESIDUE };

static const struct col_def dev_cols[] = {
	[DEV_ID] = { "ID", COL_NUM, COL_DEFAULT, "the N of dma<N>chan<M>" },
	[DEV_NAME] = { "NAME", COL_STR, COL_DEFAULT, "the controller (mock0)" },
	[DEV_CHANS] = { "CHANNELS", COL_NUM, COL_DEFAULT | COL_RIGHT, "its channels" },
	[DEV_PRIVCHANS] = { "PRIVATE_CHANNELS", COL_NUM, COL_DEFAULT | COL_RIGHT,
			    "channels held privately (a request)" },
	[DEV_PRIVATE] = { "PRIVATE", COL_BOOL, 0,
			  "DMA_PRIVATE: not in the public pool" },
	[DEV_CAPS] = { "CAPABILITIES", COL_LIST, COL_DEFAULT,
		       "enum dma_transaction_type names" },
	[DEV_RESIDUE] = { "RESIDUE_GRANULARITY", COL_NUM, COL_RIGHT,
			  "0 descriptor, 1 segment, 2 burst" },
};

static const char *dev_cell(const void *rec, unsigned col, char *buf, size_t size)
{
	const struct dmabufd_ctl_dma_device *d = rec;

	switch (col) {
	case DEV_ID:
		return U64(buf, size, d->dev_id);
	case DEV_NAME:
		return name_cell(buf, size, d->name, sizeof(d->name));
	case DEV_CHANS:
		return U64(buf, size, d->chancnt);
	case DEV_PRIVCHANS:
		return U64(buf, size, d->privatecnt);
	case DEV_PRIVATE:
		return BOOL(d->flags & DMABUFD_CTL_DEV_PRIVATE);
	case DEV_CAPS:
		return caps(d->cap_mask, buf, size);
	case DEV_RESIDUE:
		return U64(buf, size, d->residue_granularity);
	}
	return NULL;
}

const struct table_def dma_devices_table = {
	"dma_devices", "dma devices", dev_cols, ARRAY_LEN(dev_cols), dev_cell,
};

int cmd_dma_devices(int argc, char **argv)
{
	return ctl_list_table(DMABUFD_CTL_DMA_DEVICES, "dma devices",
			      &dma_devices_table, NULL);
}

/* ---- channels -------------------------------------------------------- */

enum {
	CH_NAME, CH_DEVICE, CH_DEV_ID, CH_CHAN_ID, CH_IN_USE, CH_FLAGS,
	CH_PRIVATE, CH_PAUSED, CH_TABLE_COUNT, CH_REQUEST_LINE, CH_COOKIE,
	CH_COMPLETED, CH_IN_FLIGHT, CH_TIMEOUT_MS, CH_XFERS, CH_BYTES,
	CH_ERRORS, CH_ABORTED, CH_TIMEOUTS, CH_CLIENT,
};

static const struct col_def chan_cols[] = {
	[CH_NAME] = { "NAME", COL_STR, COL_DEFAULT, "dma<N>chan<M>" },
	[CH_DEVICE] = { "DEVICE", COL_STR, COL_DEFAULT, "its controller" },
	[CH_DEV_ID] = { "DEV_ID", COL_NUM, COL_RIGHT, "the controller's id" },
	[CH_CHAN_ID] = { "CHAN_ID", COL_NUM, COL_RIGHT, "the channel's index" },
	[CH_IN_USE] = { "IN_USE", COL_NUM, COL_DEFAULT | COL_RIGHT,
			"clients holding it (/sys in_use)" },
	[CH_FLAGS] = { "FLAGS", COL_STR, COL_DEFAULT | COL_TEXT,
		       "P held privately (a request), z paused" },
	[CH_PRIVATE] = { "PRIVATE", COL_BOOL, 0, "held privately (a request)" },
	[CH_PAUSED] = { "PAUSED", COL_BOOL, 0, "paused" },
	[CH_TABLE_COUNT] = { "TABLE_COUNT", COL_NUM, COL_RIGHT,
			     "entries of the per-capability table" },
	[CH_REQUEST_LINE] = { "REQUEST_LINE", COL_NUM, COL_RIGHT,
			      "from the map, -1 for none" },
	[CH_COOKIE] = { "COOKIE", COL_NUM, COL_DEFAULT | COL_RIGHT,
			"the last cookie it assigned" },
	[CH_COMPLETED] = { "COMPLETED_COOKIE", COL_NUM, COL_DEFAULT | COL_RIGHT,
			   "the last one completed" },
	[CH_IN_FLIGHT] = { "IN_FLIGHT", COL_NUM, COL_DEFAULT | COL_RIGHT,
			   "descriptors submitted, not done" },
	[CH_TIMEOUT_MS] = { "TIMEOUT_MS", COL_NUM, COL_RIGHT,
			    "watchdog deadline, 0 none" },
	[CH_XFERS] = { "TRANSFERS", COL_NUM, COL_DEFAULT | COL_RIGHT,
		       "completed OK (/sys memcpy_count)" },
	[CH_BYTES] = { "BYTES_TRANSFERRED", COL_NUM, COL_DEFAULT | COL_RIGHT,
		       "/sys bytes_transferred" },
	[CH_ERRORS] = { "ERRORS", COL_NUM, COL_DEFAULT | COL_RIGHT,
			"READ_FAILED or WRITE_FAILED" },
	[CH_ABORTED] = { "ABORTED", COL_NUM, COL_DEFAULT | COL_RIGHT,
			 "terminated, by the watchdog, by removal" },
	[CH_TIMEOUTS] = { "TIMEOUTS", COL_NUM, COL_DEFAULT | COL_RIGHT,
			  "watchdog firings" },
	[CH_CLIENT] = { "CLIENT", COL_STR, COL_DEFAULT,
			"who holds it: pid N (comm)" },
};

static const char *chan_cell(const void *rec, unsigned col, char *buf, size_t size)
{
	const struct dmabufd_ctl_dma_channel *c = rec;
	bool priv = c->flags & DMABUFD_CTL_CHAN_PRIVATE;
	bool paused = c->flags & DMABUFD_CTL_CHAN_PAUSED;

	switch (col) {
	case CH_NAME:
		return name_cell(buf, size, c->name, sizeof(c->name));
	case CH_DEVICE:
		return name_cell(buf, size, c->device, sizeof(c->device));
	case CH_DEV_ID:
		return U64(buf, size, c->dev_id);
	case CH_CHAN_ID:
		return U64(buf, size, c->chan_id);
	case CH_IN_USE:
		return U64(buf, size, c->client_count);
	case CH_FLAGS:
		snprintf(buf, size, "%s%s", priv ? "P" : "", paused ? "z" : "");
		return buf[0] ? buf : NULL;
	case CH_PRIVATE:
		return BOOL(priv);
	case CH_PAUSED:
		return BOOL(paused);
	case CH_TABLE_COUNT:
		return U64(buf, size, c->table_count);
	case CH_REQUEST_LINE:
		return S32(buf, size, c->request_line);
	case CH_COOKIE:
		return S32(buf, size, c->cookie);
	case CH_COMPLETED:
		return S32(buf, size, c->completed_cookie);
	case CH_IN_FLIGHT:
		return U64(buf, size, c->in_flight);
	case CH_TIMEOUT_MS:
		return U64(buf, size, c->timeout_ms);
	case CH_XFERS:
		return U64(buf, size, c->xfer_count);
	case CH_BYTES:
		return U64(buf, size, c->bytes_transferred);
	case CH_ERRORS:
		return U64(buf, size, c->errors);
	case CH_ABORTED:
		return U64(buf, size, c->aborted);
	case CH_TIMEOUTS:
		return U64(buf, size, c->timeouts);
	case CH_CLIENT:
		return name_cell(buf, size, c->client, sizeof(c->client));
	}
	return NULL;
}

const struct table_def dma_channels_table = {
	"dma_channels", "dma channels", chan_cols, ARRAY_LEN(chan_cols), chan_cell,
};

int cmd_dma_channels(int argc, char **argv)
{
	return ctl_list_table(DMABUFD_CTL_DMA_CHANNELS, "dma channels",
			      &dma_channels_table,
			      "FLAGS: P held privately (a request), z paused");
}

/* ---- transfers ------------------------------------------------------- */

enum {
	X_CHANNEL, X_PID, X_COOKIE, X_CHAN_COOKIE, X_STATE, X_TYPE, X_DIRECTION,
	X_LENGTH, X_RESIDUE, X_PERIODS,
};

static const struct col_def xfer_cols[] = {
	[X_CHANNEL] = { "CHANNEL", COL_STR, COL_DEFAULT, "dma<N>chan<M>" },
	[X_PID] = { "PID", COL_NUM, COL_DEFAULT | COL_RIGHT,
		    "of the process that opened the fd" },
	[X_COOKIE] = { "COOKIE", COL_NUM, COL_DEFAULT | COL_RIGHT,
		       "the fd's cookie; 0 while prepared" },
	[X_CHAN_COOKIE] = { "CHAN_COOKIE", COL_NUM, COL_DEFAULT | COL_RIGHT,
			    "the channel's, 0 until active" },
	[X_STATE] = { "STATE", COL_STR, COL_DEFAULT,
		      "prepared, submitted, waiting, active, paused" },
	[X_TYPE] = { "TYPE", COL_STR, COL_DEFAULT, "memcpy, slave, cyclic" },
	[X_DIRECTION] = { "DIRECTION", COL_STR, COL_DEFAULT,
			  "mem_to_mem, mem_to_dev, dev_to_mem, dev_to_dev" },
	[X_LENGTH] = { "LENGTH", COL_NUM, COL_DEFAULT | COL_RIGHT, "bytes" },
	[X_RESIDUE] = { "RESIDUE", COL_NUM, COL_DEFAULT | COL_RIGHT, "bytes left" },
	[X_PERIODS] = { "PERIODS", COL_NUM, COL_DEFAULT | COL_RIGHT,
			"cyclic: periods completed" },
};

static const char *type_name(uint32_t type)
{
	switch (type) {
	case DMABUFD_DMA_MEMCPY:
		return "memcpy";
	case DMABUFD_DMA_SLAVE:
		return "slave";
	case DMABUFD_DMA_CYCLIC:
		return "cyclic";
	}
	return "?";
}

static const char *xfer_cell(const void *rec, unsigned col, char *buf, size_t size)
{
	const struct dmabufd_ctl_dma_xfer *x = rec;

	switch (col) {
	case X_CHANNEL:
		return name_cell(buf, size, x->chan, sizeof(x->chan));
	case X_PID:
		return U64(buf, size, x->pid);
	case X_COOKIE:
		return S32(buf, size, x->cookie);
	case X_CHAN_COOKIE:
		return S32(buf, size, x->chan_cookie);
	case X_STATE:
		return x->state < ARRAY_LEN(state_names) && state_names[x->state]
			       ? state_names[x->state]
			       : "?";
	case X_TYPE:
		return type_name(x->type);
	case X_DIRECTION:
		return x->direction < ARRAY_LEN(dir_names) ? dir_names[x->direction]
							   : "?";
	case X_LENGTH:
		return U64(buf, size, x->len);
	case X_RESIDUE:
		return U64(buf, size, x->residue);
	case X_PERIODS:
		return U64(buf, size, x->periods);
	}
	return NULL;
}

const struct table_def dma_transfers_table = {
	"dma_transfers", "dma transfers", xfer_cols, ARRAY_LEN(xfer_cols), xfer_cell,
};

int cmd_dma_transfers(int argc, char **argv)
{
	return ctl_list_table(DMABUFD_CTL_DMA_XFERS, "dma transfers",
			      &dma_transfers_table, NULL);
}

/* ---- faults ---------------------------------------------------------- */

/* @s past its leading decimal digits, or NULL when it starts with none. */
static const char *skip_digits(const char *s)
{
	const char *p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	return p == s ? NULL : p;
}

/* Whether @s has the form of a channel name: "dma<N>chan<M>", decimal. */
static bool is_chan_name(const char *s)
{
	if (strncmp(s, "dma", 3))
		return false;
	s = skip_digits(s + 3);
	if (!s || strncmp(s, "chan", 4))
		return false;
	s = skip_digits(s + 4);
	return s && !*s;
}

int cmd_dma_fault(int argc, char **argv)
{
	uint32_t fault, count = 0;
	char *end;
	int r;

	if (!strcmp(argv[1], "fail-nth") && argc == 3) {
		unsigned long n;

		errno = 0;
		n = strtoul(argv[2], &end, 10);
		if (errno || end == argv[2] || *end || argv[2][0] == '-' || n == 0 ||
		    n > UINT32_MAX)
			return ctl_usage_error("fail-nth needs a count >= 1");
		fault = DMABUFD_CTL_FAULT_FAIL_NTH;
		count = (uint32_t)n;
	} else if (!strcmp(argv[1], "stall") && argc == 2) {
		fault = DMABUFD_CTL_FAULT_STALL;
	} else if (!strcmp(argv[1], "clear") && argc == 2) {
		fault = DMABUFD_CTL_FAULT_CLEAR;
	} else {
		return ctl_usage_error("dma fault CHAN fail-nth N|stall|clear");
	}
	/* Checked here, so that an EINVAL of the daemon (a fault or count it
	 * does not take) is not taken for a bad name. */
	if (!is_chan_name(argv[0]))
		return ctl_error(EXIT_FAILURE, EINVAL,
				 "\"%s\" is not a channel name like dma0chan1", argv[0]);
	r = dmabufd_dma_fault(argv[0], fault, count);
	if (r < 0)
		return ctl_fail("dma fault", r);
	if (opts.mode == OUT_JSON) {
		printf("{\"channel\": ");
		json_str(argv[0]);
		printf(", \"fault\": \"%s\", \"count\": %u}\n", argv[1], count);
	}
	return 0;
}
