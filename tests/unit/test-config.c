/* SPDX-License-Identifier: MIT */
/*
 * The configuration (daemon/config): the file fills struct daemon_config,
 * every refusal names "PATH:LINE: reason" exactly, all errors are
 * reported, the command line wins over the file, a missing default file
 * is no error and a missing --config is, and a reload's diff says which
 * keys can change live.
 *
 * Each test writes its file to a fresh temporary path and collects the
 * messages the parser reports; the teardown removes both.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"
#include "config/options.h"

#define MAX_MSGS 32

static struct {
	char path[64];
	char *msgs[MAX_MSGS];
	unsigned nr_msgs;
	struct daemon_config c;	/* big: not on the stack */
	struct daemon_config other;
} t;

static void collect(void *data, const char *msg)
{
	if (t.nr_msgs < MAX_MSGS)
		t.msgs[t.nr_msgs++] = strdup(msg);
}

static int conf_setup(void **state)
{
	int fd;

	snprintf(t.path, sizeof(t.path), "/tmp/dmabufd-conf-test.XXXXXX");
	fd = mkstemp(t.path);
	if (fd < 0)
		return -1;
	close(fd);
	t.nr_msgs = 0;
	return 0;
}

static int conf_teardown(void **state)
{
	unlink(t.path);
	for (unsigned i = 0; i < t.nr_msgs; i++)
		free(t.msgs[i]);
	t.nr_msgs = 0;
	return 0;
}

#define conf_test(fn) cmocka_unit_test_setup_teardown(fn, conf_setup, conf_teardown)

static void write_conf(const char *text)
{
	FILE *f = fopen(t.path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/*
 * Write @text and load it into t.c as the daemon does (config_load()):
 * "dmabufd --config=PATH" and then the options, up to a NULL.
 */
static int load(const char *text, ...)
{
	char config[96];
	char *argv[8] = { (char *)"dmabufd", config };
	struct cli_options cli;
	const char *opt;
	int argc = 2, r;
	va_list ap;

	write_conf(text);
	snprintf(config, sizeof(config), "--config=%s", t.path);
	va_start(ap, text);
	while ((opt = va_arg(ap, const char *))) {
		assert_true(argc < (int)(sizeof(argv) / sizeof(argv[0])) - 1);
		argv[argc++] = (char *)opt;
	}
	va_end(ap);
	assert_int_equal(cli_options_parse(argc, argv, &cli), 0);
	r = config_load(&t.c, &cli, collect, NULL);
	cli_options_free(&cli);
	return r;
}

/* Load @text with no option. */
static int parse(const char *text)
{
	return load(text, NULL);
}

/* The @i-th message is "PATH:@line: @reason". */
static void expect_msg(unsigned i, unsigned line, const char *reason)
{
	char want[512];

	snprintf(want, sizeof(want), "%s:%u: %s", t.path, line, reason);
	assert_true(i < t.nr_msgs);
	assert_string_equal(t.msgs[i], want);
}

/* Exactly one message, "PATH:@line: @reason", and the file refused. */
static void expect_refused(int r, unsigned line, const char *reason)
{
	assert_int_equal(r, -EINVAL);
	expect_msg(0, line, reason);
	assert_int_equal(t.nr_msgs, 1);
}

#ifdef DMABUFD_HAVE_MOCK
static const char full_file[] =
	"# every section a mock board has\n"
	"[daemon]\n"
	"transport = fuse\n"
	"dev-root = /run/test/dev\n"
	"control = /run/test/control\n"
	"lock = /run/test/lock\n"
	"token-ttl-ms = 1500\n"
	"max-wait-ms = 2500\n"
	"stop-timeout-ms = 0\n"
	"log-level = debug\n"
	"\n"
	"[nodes]\n"
	"heap-dir = heaps\n"
	"dma-buf = x/dma_buf\n"
	"sync-file = x/sync_file\n"
	"sw-sync = x/sw_sync\n"
	"dmaengine = x/dmaengine\n"
	"group = 44\n"
	"mode = 0600\n"
	"[heap:system]\n"
	"limit = 64M\n"
	"[dma]\n"
	"backend = mock\n"
	"timeout-ms = 250\n"
	"[mock]\n"
	"channels = 8\n"
	"latency-us = 10\n"
	"bandwidth = 2K\n"
	"delay-ms = 300\n"
	"[consumer:uart0]\n"
	"rx = mock0:1:2\n"
	"tx = mock0\n"
	"; inih's other comment\n"
	"[consumer:spi1]\n"
	"tx = mock0:any:7\n";

static void good_file_fills_every_field(void **state)
{
	struct daemon_config *c = &t.c;

	assert_int_equal(parse(full_file), 0);
	assert_int_equal(t.nr_msgs, 0);
	assert_string_equal(c->path, t.path);
	assert_int_equal(c->transport, TRANSPORT_FUSE);
	assert_string_equal(c->dev_root, "/run/test/dev");
	assert_string_equal(c->control, "/run/test/control");
	assert_string_equal(c->lock, "/run/test/lock");
	assert_int_equal(c->token_ttl_ms, 1500);
	assert_int_equal(c->max_wait_ms, 2500);
	assert_int_equal(c->stop_timeout_ms, 0);
	assert_int_equal(c->log_level, LOG_DEBUG);
	assert_string_equal(c->heap_dir, "heaps");
	assert_string_equal(c->dma_buf_node, "x/dma_buf");
	assert_string_equal(c->sync_file_node, "x/sync_file");
	assert_string_equal(c->sw_sync_node, "x/sw_sync");
	assert_string_equal(c->dmaengine_node, "x/dmaengine");
	assert_string_equal(c->group, "44");
	assert_int_equal(c->access.mode, 0600);
	assert_int_equal(config_resolve_group(c), 0);
	assert_int_equal(c->access.gid, 44);
	assert_false(c->group_missing);
	assert_int_equal(c->heap_limit, 64ull << 20);
	assert_int_equal(c->dma.backend, DMA_BACKEND_MOCK);
	assert_int_equal(c->dma.timeout_ms, 250);
	assert_int_equal(c->dma.mock_channels, 8);
	assert_int_equal(c->dma.mock_latency_us, 10);
	assert_int_equal(c->dma.mock_bandwidth, 2048);
	assert_int_equal(c->dma.mock_delay_ms, 300);
	assert_int_equal(c->dma.num_maps, 3);
	assert_string_equal(c->dma.maps[0].consumer, "uart0");
	assert_string_equal(c->dma.maps[0].dma_name, "rx");
	assert_string_equal(c->dma.maps[0].controller, "mock0");
	assert_int_equal(c->dma.maps[0].chan_index, 1);
	assert_int_equal(c->dma.maps[0].request_line, 2);
	assert_string_equal(c->dma.maps[1].dma_name, "tx");
	assert_int_equal(c->dma.maps[1].chan_index, -1);
	assert_int_equal(c->dma.maps[1].request_line, -1);
	assert_string_equal(c->dma.maps[2].consumer, "spi1");
	assert_int_equal(c->dma.maps[2].chan_index, -1);
	assert_int_equal(c->dma.maps[2].request_line, 7);
	assert_int_equal(c->stm32.nr_controllers, 0);
	assert_int_equal(c->stm32.nr_heaps, 0);
}

/* etc/dmabufd.conf, as installed, changes nothing. */
static void example_file_is_the_builtin_defaults(void **state)
{
	unsigned changes;

	config_init(&t.c);
	assert_int_equal(config_read_file(&t.c, EXAMPLE_CONF, true, collect,
					  NULL), 0);
	assert_int_equal(t.nr_msgs, 0);
	config_init(&t.other);
	changes = config_diff(&t.other, &t.c, NULL, NULL);
	assert_int_equal(changes, 0);
	assert_string_equal(t.c.group, "video");
	assert_int_equal(t.c.lock[0], '\0');
}
#endif

#ifdef DMABUFD_HAVE_STM32
static void good_stm32_board_file_fills_the_stm32_options(void **state)
{
	const struct stm32_controller_option *ctl;

	assert_int_equal(parse("[dma]\n"
			       "backend = stm32-uio\n"
			       "[stm32]\n"
			       "uio-class-dir = /tmp/uio/class\n"
			       "uio-dev-dir = /tmp/uio/dev\n"
			       "rescan-ms = 0\n"
			       "[stm32:dma1]\n"
			       "uio = dma1\n"
			       "irq-uio = s0 - s2\n"
			       "[stm32:dma2]\n"
			       "index = 1\n"
			       "uio = dma2\n"
			       "map = 1\n"
			       "dmamux-uio = dmamux1\n"
			       "dmamux-map = 2\n"
			       "mem2mem = no\n"
			       "descriptors = 32\n"
			       "requests = 107\n"
			       "[heap:dma-pool]\n"
			       "type = stm32-contig\n"
			       "uio = pool\n"
			       "map = 3\n"
			       "[consumer:40010000.serial]\n"
			       "rx = dma1:any:63\n"), 0);
	assert_int_equal(t.nr_msgs, 0);
	assert_int_equal(t.c.dma.backend, DMA_BACKEND_STM32);
	assert_string_equal(t.c.stm32.uio_class_dir, "/tmp/uio/class");
	assert_string_equal(t.c.stm32.uio_dev_dir, "/tmp/uio/dev");
	assert_int_equal(t.c.stm32.rescan_ms, 0);
	assert_int_equal(t.c.stm32.nr_controllers, 2);
	ctl = &t.c.stm32.controllers[0];
	/* The defaults of stm32_controller_option_init() where not given. */
	assert_string_equal(ctl->name, "dma1");
	assert_int_equal(ctl->index, 0);
	assert_string_equal(ctl->uio, "dma1");
	assert_string_equal(ctl->dmamux_uio, "");
	assert_string_equal(ctl->irq_uio[0], "s0");
	assert_string_equal(ctl->irq_uio[1], "");
	assert_string_equal(ctl->irq_uio[2], "s2");
	assert_string_equal(ctl->irq_uio[3], "");
	assert_true(ctl->mem2mem);
	assert_int_equal(ctl->nr_descs, 64);
	assert_int_equal(ctl->nr_requests, 128);
	ctl = &t.c.stm32.controllers[1];
	assert_string_equal(ctl->name, "dma2");
	assert_int_equal(ctl->index, 1);
	assert_int_equal(ctl->map, 1);
	assert_string_equal(ctl->dmamux_uio, "dmamux1");
	assert_int_equal(ctl->dmamux_map, 2);
	assert_false(ctl->mem2mem);
	assert_int_equal(ctl->nr_descs, 32);
	assert_int_equal(ctl->nr_requests, 107);
	assert_int_equal(t.c.stm32.nr_heaps, 1);
	assert_string_equal(t.c.stm32.heaps[0].name, "dma-pool");
	assert_string_equal(t.c.stm32.heaps[0].uio, "pool");
	assert_int_equal(t.c.stm32.heaps[0].map, 3);
	assert_int_equal(t.c.dma.num_maps, 1);
	assert_string_equal(t.c.dma.maps[0].consumer, "40010000.serial");
	assert_string_equal(t.c.dma.maps[0].controller, "dma1");
	assert_int_equal(t.c.dma.maps[0].request_line, 63);
}

static void stm32_trbuff_lines_are_set_per_request_line(void **state)
{
	const struct stm32_controller_option *ctl;

	assert_int_equal(parse("[dma]\n"
			       "backend = stm32-uio\n"
			       "[stm32:dma1]\n"
			       "uio = dma1\n"
			       "trbuff-on = 37, 38 256\n"
			       "trbuff-off = 41,38\n"), 0);
	assert_int_equal(t.nr_msgs, 0);
	ctl = &t.c.stm32.controllers[0];
	assert_int_equal(ctl->trbuff[37], STM32_SETUP_TRBUFF_ON);
	assert_int_equal(ctl->trbuff[256], STM32_SETUP_TRBUFF_ON);
	assert_int_equal(ctl->trbuff[38], STM32_SETUP_TRBUFF_OFF); /* the later key */
	assert_int_equal(ctl->trbuff[41], STM32_SETUP_TRBUFF_OFF);
	assert_int_equal(ctl->trbuff[42], STM32_SETUP_TRBUFF_AUTO);
	assert_int_equal(ctl->trbuff[0], STM32_SETUP_TRBUFF_AUTO);
}

static void stm32_trbuff_line_out_of_range_is_refused(void **state)
{
	static const char *const bad[] = { "0", "257", "x", "", "41x", "-1" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char file[128];

		snprintf(file, sizeof(file),
			 "[dma]\nbackend = stm32-uio\n[stm32:dma1]\nuio = dma1\n"
			 "trbuff-on = %s\n", bad[i]);
		assert_int_equal(parse(file), -EINVAL);
		assert_int_equal(t.nr_msgs, 1);
		assert_non_null(strstr(t.msgs[0], ":5: "));
		assert_non_null(strstr(t.msgs[0], "expected request lines from 1 to 256"));
		free(t.msgs[0]);
		t.nr_msgs = 0;
	}
}

static void stm32_backend_without_controller_is_refused(void **state)
{
	expect_refused(parse("[dma]\n"
			     "\n"
			     "backend = stm32-uio\n"),
		       3, "backend = stm32-uio needs a [stm32:NAME] controller");
}

static void stm32_controllers_with_one_index_are_refused(void **state)
{
	expect_refused(parse("[dma]\n"
			     "backend = stm32-uio\n"
			     "[stm32:dma1]\n"
			     "uio = a\n"
			     "[stm32:dma2]\n"
			     "uio = b\n"),
		       5, "[stm32:dma2] has index 0, as [stm32:dma1] (line 3)");
}
#else
static void stm32_sections_are_refused_without_the_backend(void **state)
{
	assert_int_equal(parse("[dma]\n"
			       "backend = stm32-uio\n"
			       "[stm32:dma1]\n"
			       "uio = dma1\n"), -EINVAL);
	expect_msg(0, 2, "backend = stm32-uio: this dmabufd was built without "
			 "it (-Dstm32_uio=disabled)");
	expect_msg(1, 3, "[stm32:dma1]: this dmabufd was built without the "
			 "STM32 backend (-Dstm32_uio=disabled)");
	assert_int_equal(t.nr_msgs, 2);
}
#endif

static void message_is_path_line_reason(void **state)
{
	char want[128];

	assert_int_equal(parse("[dma]\nbackend = none\nfoo = 1\n"), -EINVAL);
	assert_int_equal(t.nr_msgs, 1);
	snprintf(want, sizeof(want), "%s:3: unknown key foo in [dma]", t.path);
	assert_string_equal(t.msgs[0], want);
}

static void unknown_key_is_refused(void **state)
{
	expect_refused(parse("[dma]\n"
			     "backend = none\n"
			     "[daemon]\n"
			     "log-level = info\n"
			     "log-levle = debug\n"),
		       5, "unknown key log-levle in [daemon]");
}

static void unknown_section_is_refused_once(void **state)
{
	/* Its keys are not reported one by one. */
	expect_refused(parse("[dma]\n"
			     "backend = none\n"
			     "[demon]\n"
			     "log-level = info\n"
			     "transport = fuse\n"),
		       3, "unknown section [demon]");
}

static void bad_number_is_refused(void **state)
{
	expect_refused(parse("[daemon]\n"
			     "token-ttl-ms = 10s\n"
			     "[dma]\n"
			     "backend = none\n"),
		       2, "bad value \"10s\" for token-ttl-ms: expected a number "
			  "of milliseconds from 1 to 86400000");
}

static void bad_number_out_of_range_is_refused(void **state)
{
	expect_refused(parse("[dma]\n"
			     "backend = none\n"
			     "timeout-ms = 4294967296\n"),
		       3, "bad value \"4294967296\" for timeout-ms: expected "
			  "milliseconds from 0 to 4294967295 (0: none)");
}

#if defined(DMABUFD_HAVE_STM32) && defined(DMABUFD_HAVE_MOCK)
static void contiguous_heap_with_the_mock_backend_is_refused(void **state)
{
	expect_refused(parse("[dma]\n"
			     "backend = mock\n"
			     "[heap:contig]\n"
			     "type = stm32-contig\n"
			     "uio = dma-pool\n"),
		       3, "heap contig (stm32-contig) needs backend = stm32-uio "
			  "or none: the mock controller cannot reach physical "
			  "memory");
}
#endif

static void stop_timeout_over_ten_minutes_is_refused(void **state)
{
	expect_refused(parse("[daemon]\n"
			     "stop-timeout-ms = 600001\n"
			     "[dma]\n"
			     "backend = none\n"),
		       2, "bad value \"600001\" for stop-timeout-ms: expected a "
			  "number of milliseconds from 0 to 600000");
}

static void bad_size_suffix_is_refused(void **state)
{
	expect_refused(parse("[dma]\n"
			     "backend = none\n"
			     "[heap:system]\n"
			     "limit = 64T\n"),
		       4, "bad value \"64T\" for limit: expected a byte count "
			  "with an optional K, M or G suffix, or a percentage of "
			  "RAM from 1% to 100% (0: no limit)");
}

static void limits_section_sets_every_key(void **state)
{
	assert_int_equal(parse("[dma]\n"
			       "backend = none\n"
			       "[limits]\n"
			       "uid-bytes = 16M\n"
			       "uid-files = 100\n"
			       "uid-tokens = 0\n"
			       "uid-channels = 3\n"
			       "uid-connections = 9\n"
			       "exempt-root = no\n"
			       "exempt-group = 4242\n"), 0);
	assert_int_equal(t.nr_msgs, 0);
	assert_int_equal(t.c.limits.max[ACCT_BYTES], 16ull << 20);
	assert_int_equal(t.c.limits.max[ACCT_FILES], 100);
	assert_int_equal(t.c.limits.max[ACCT_TOKENS], 0);
	assert_int_equal(t.c.limits.max[ACCT_CHANNELS], 3);
	assert_int_equal(t.c.limits.max[ACCT_CONNECTIONS], 9);
	assert_false(t.c.limits.exempt_root);
	assert_string_equal(t.c.limits.exempt_group, "4242");
}

static void limits_default_to_fractions_of_ram_and_counts(void **state)
{
	config_init(&t.c);
	assert_int_equal(t.c.heap_limit, limits_ram_percent(LIMITS_SYSTEM_HEAP_PCT));
	assert_true(t.c.heap_limit > 0);
	assert_int_equal(t.c.limits.max[ACCT_BYTES],
			 limits_ram_percent(LIMITS_UID_BYTES_PCT));
	assert_int_equal(t.c.limits.max[ACCT_FILES], LIMITS_UID_FILES);
	assert_int_equal(t.c.limits.max[ACCT_TOKENS], LIMITS_UID_TOKENS);
	assert_int_equal(t.c.limits.max[ACCT_CHANNELS], LIMITS_UID_CHANNELS);
	assert_int_equal(t.c.limits.max[ACCT_CONNECTIONS], LIMITS_UID_CONNECTIONS);
	assert_true(t.c.limits.exempt_root);
}

static void memory_limits_take_a_percentage_of_ram(void **state)
{
	assert_int_equal(parse("[dma]\n"
			       "backend = none\n"
			       "[heap:system]\n"
			       "limit = 10%\n"
			       "[limits]\n"
			       "uid-bytes = 1%\n"), 0);
	assert_int_equal(t.c.heap_limit, limits_ram_percent(10));
	assert_int_equal(t.c.limits.max[ACCT_BYTES], limits_ram_percent(1));
}

static void bad_limits_are_refused_with_their_line(void **state)
{
	assert_int_equal(parse("[dma]\n"
			       "backend = none\n"
			       "[limits]\n"
			       "uid-bytes = 101%\n"
			       "uid-files = -1\n"
			       "exempt-root = maybe\n"
			       "uid-nothing = 1\n"), -EINVAL);
	assert_int_equal(t.nr_msgs, 4);
	expect_msg(0, 4, "bad value \"101%\" for uid-bytes: expected a byte "
		      "count with an optional K, M or G suffix, or a percentage "
		      "of RAM from 1% to 100% (0: no limit)");
	expect_msg(1, 5, "bad value \"-1\" for uid-files: expected a number "
		      "from 0 to 4294967295 (0: no limit)");
	expect_msg(2, 6, "bad value \"maybe\" for exempt-root: expected yes, "
		      "no, true, false, on, off, 1 or 0");
	expect_msg(3, 7, "unknown key uid-nothing in [limits]");
}

static void limit_option_overrides_the_file(void **state)
{
	assert_int_equal(load("[dma]\n"
			      "backend = none\n"
			      "[limits]\n"
			      "uid-files = 100\n",
			      "--limit=uid-files=7", "--limit=uid-bytes=5%", NULL), 0);
	assert_int_equal(t.c.limits.max[ACCT_FILES], 7);
	assert_int_equal(t.c.limits.max[ACCT_BYTES], limits_ram_percent(5));
}

static void bad_enum_is_refused(void **state)
{
	expect_refused(parse("[daemon]\n"
			     "transport = usb\n"
			     "[dma]\n"
			     "backend = none\n"),
		       2, "bad value \"usb\" for transport: expected auto, cuse "
			  "or fuse");
}

static void bad_backend_is_refused_and_not_called_missing(void **state)
{
	expect_refused(parse("[dma]\n"
			     "backend = dma330\n"),
		       2, "bad value \"dma330\" for backend: expected mock, "
			  "stm32-uio or none");
}

static void missing_backend_is_reported_at_the_dma_header(void **state)
{
	expect_refused(parse("[daemon]\n"
			     "log-level = info\n"
			     "[dma]\n"
			     "timeout-ms = 100\n"
			     "[nodes]\n"
			     "mode = 0666\n"),
		       3, "missing backend: [dma] needs backend = mock, "
			  "stm32-uio or none");
}

static void missing_backend_without_dma_is_reported_at_the_last_line(void **state)
{
	expect_refused(parse("[daemon]\n"
			     "log-level = info\n"
			     "\n"
			     "# the end\n"),
		       4, "missing backend: add [dma] with backend = mock, "
			  "stm32-uio or none");
}

static void empty_file_is_missing_its_backend(void **state)
{
	expect_refused(parse(""), 1, "missing backend: add [dma] with backend "
				     "= mock, stm32-uio or none");
}

static void duplicate_heap_is_refused_with_both_lines(void **state)
{
	assert_int_equal(parse("[dma]\n"
			       "backend = none\n"
			       "[heap:system]\n"
			       "limit = 1M\n"
			       "[heap:system]\n"
			       "limit = 2M\n"), -EINVAL);
	expect_msg(0, 5, "duplicate heap system (first at line 3)");
	assert_int_equal(t.nr_msgs, 1);
}

static void duplicate_stm32_heap_is_refused_with_both_lines(void **state)
{
	assert_int_equal(parse("[dma]\n"
			       "backend = none\n"
			       "[heap:pool]\n"
			       "type = stm32-contig\n"
			       "uio = a\n"
			       "[heap:pool]\n"
			       "uio = b\n"), -EINVAL);
#ifdef DMABUFD_HAVE_STM32
	expect_msg(0, 6, "duplicate heap pool (first at line 3)");
	assert_int_equal(t.nr_msgs, 1);
#else
	/* After the type this build cannot serve. */
	expect_msg(1, 6, "duplicate heap pool (first at line 3)");
	assert_int_equal(t.nr_msgs, 2);
#endif
}

static void duplicate_key_is_refused_with_both_lines(void **state)
{
	expect_refused(parse("[dma]\n"
			     "backend = none\n"
			     "timeout-ms = 10\n"
			     "timeout-ms = 20\n"),
		       4, "duplicate key timeout-ms in [dma] (first at line 3)");
}

static void duplicate_section_is_refused_with_both_lines(void **state)
{
	expect_refused(parse("[dma]\n"
			     "backend = none\n"
			     "[daemon]\n"
			     "[dma]\n"),
		       4, "duplicate section [dma] (first at line 1)");
}

static void system_heap_takes_only_limit(void **state)
{
	expect_refused(parse("[dma]\n"
			     "backend = none\n"
			     "[heap:system]\n"
			     "type = stm32-contig\n"),
		       4, "[heap:system] takes only limit, not type");
}

static void heap_without_type_is_refused_at_its_header(void **state)
{
	expect_refused(parse("[dma]\n"
			     "backend = none\n"
			     "[heap:cam]\n"
			     "uio = cam-pool\n"),
		       3, "heap cam needs type = stm32-contig");
}

static void bad_consumer_map_value_is_refused(void **state)
{
	expect_refused(parse("[dma]\n"
			     "backend = none\n"
			     "[consumer:uart0]\n"
			     "rx = mock0:first\n"),
		       4, "bad value \"mock0:first\" for rx: expected "
			  "CONTROLLER[:CHAN[:LINE]] (CHAN a number, \"any\" or "
			  "empty; LINE a number)");
}

static void line_without_a_key_is_refused(void **state)
{
	expect_refused(parse("[dma]\n"
			     "backend = none\n"
			     "verbose\n"),
		       3, "expected KEY = VALUE, [SECTION] or a comment");
}

static void key_outside_any_section_is_refused(void **state)
{
	assert_int_equal(parse("log-level = info\n"
			       "[dma]\n"
			       "backend = none\n"), -EINVAL);
	expect_msg(0, 1, "log-level outside any section");
	assert_int_equal(t.nr_msgs, 1);
}

/* inih would take an indented line for the continuation of the value
 * above it; here it is a key of its own. */
static void indented_key_is_a_key(void **state)
{
	assert_int_equal(parse("[dma]\n"
			       "backend = none\n"
			       "[daemon]\n"
			       "  log-level = info\n"
			       "\ttoken-ttl-ms = 7\n"), 0);
	assert_int_equal(t.c.log_level, LOG_INFO);
	assert_int_equal(t.c.token_ttl_ms, 7);
}

static void inline_semicolon_comment_ends_a_value(void **state)
{
	assert_int_equal(parse("[dma]\n"
			       "backend = none ; no DMA here\n"), 0);
	assert_int_equal(t.c.dma.backend, DMA_BACKEND_NONE);
}

static void every_error_is_reported_not_only_the_first(void **state)
{
	assert_int_equal(parse("[daemon]\n"
			       "transport = usb\n"
			       "bogus = 1\n"
			       "[dma]\n"
			       "timeout-ms = x\n"
			       "[nodes]\n"
			       "mode = 0999\n"), -EINVAL);
	expect_msg(0, 2, "bad value \"usb\" for transport: expected auto, cuse "
			 "or fuse");
	expect_msg(1, 3, "unknown key bogus in [daemon]");
	expect_msg(2, 5, "bad value \"x\" for timeout-ms: expected milliseconds "
			 "from 0 to 4294967295 (0: none)");
	expect_msg(3, 7, "bad value \"0999\" for mode: expected octal permission "
			 "bits, at most 07777");
	expect_msg(4, 4, "missing backend: [dma] needs backend = mock, "
			 "stm32-uio or none");
	assert_int_equal(t.nr_msgs, 5);
}

static void missing_file_at_the_default_path_is_no_error(void **state)
{
	char *argv[] = { (char *)"dmabufd", NULL };
	struct cli_options cli;

	unlink(t.path);
	assert_int_equal(cli_options_parse(1, argv, &cli), 0);
	cli.default_config_path = t.path;
	assert_int_equal(config_load(&t.c, &cli, collect, NULL), 0);
	assert_int_equal(t.nr_msgs, 0);
	assert_string_equal(t.c.path, "");
	config_init(&t.other);
	config_resolve_group(&t.other);
	assert_int_equal(config_diff(&t.other, &t.c, NULL, NULL), 0);
#ifdef DMABUFD_HAVE_MOCK
	assert_int_equal(t.c.dma.backend, DMA_BACKEND_MOCK);
	assert_int_equal(t.c.dma.mock_channels, 4);
#endif
	cli_options_free(&cli);
}

static void missing_explicit_file_is_an_error(void **state)
{
	char arg[96], want[128];
	char *argv[] = { (char *)"dmabufd", arg, NULL };
	struct cli_options cli;

	unlink(t.path);
	snprintf(arg, sizeof(arg), "--config=%s", t.path);
	assert_int_equal(cli_options_parse(2, argv, &cli), 0);
	assert_int_equal(config_load(&t.c, &cli, collect, NULL), -ENOENT);
	assert_int_equal(t.nr_msgs, 1);
	snprintf(want, sizeof(want), "%s: cannot open: %s", t.path,
		 strerror(ENOENT));
	assert_string_equal(t.msgs[0], want);
	cli_options_free(&cli);
}

static void no_config_reads_no_file(void **state)
{
	char arg[96];
	char *argv[] = { (char *)"dmabufd", arg, (char *)"--no-config", NULL };
	struct cli_options cli;

	write_conf("this is not a configuration file\n");
	snprintf(arg, sizeof(arg), "--config=%s", t.path);
	assert_int_equal(cli_options_parse(3, argv, &cli), 0);
	assert_true(cli.no_config);
	assert_int_equal(config_load(&t.c, &cli, collect, NULL), 0);
	assert_int_equal(t.nr_msgs, 0);
	assert_string_equal(t.c.path, "");
	cli_options_free(&cli);
}

static void command_line_overrides_the_file(void **state)
{
	char arg[96];
	char *argv[] = { (char *)"dmabufd", arg, (char *)"--token-ttl-ms=42",
			 (char *)"-v", (char *)"--node-group=7",
			 (char *)"--dma-map=uart0:rx=dma9:3", NULL };
	struct cli_options cli;

	write_conf("[daemon]\n"
		   "token-ttl-ms = 5000\n"
		   "max-wait-ms = 900\n"
		   "log-level = err\n"
		   "[nodes]\n"
		   "group = 5\n"
		   "[dma]\n"
		   "backend = none\n"
		   "[consumer:uart0]\n"
		   "rx = dma1:0:1\n"
		   "tx = dma1\n");
	snprintf(arg, sizeof(arg), "--config=%s", t.path);
	assert_int_equal(cli_options_parse(6, argv, &cli), 0);
	/* Twice: a reload applies the command line again. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(config_load(&t.c, &cli, collect, NULL), 0);
		assert_int_equal(t.nr_msgs, 0);
		assert_int_equal(t.c.token_ttl_ms, 42);
		assert_int_equal(t.c.max_wait_ms, 900);
		assert_int_equal(t.c.log_level, LOG_INFO);
		assert_int_equal(t.c.access.gid, 7);
		/* The option replaced the file's uart0 rx, not added one. */
		assert_int_equal(t.c.dma.num_maps, 2);
		assert_string_equal(t.c.dma.maps[0].dma_name, "rx");
		assert_string_equal(t.c.dma.maps[0].controller, "dma9");
		assert_int_equal(t.c.dma.maps[0].chan_index, 3);
		assert_int_equal(t.c.dma.maps[0].request_line, -1);
	}
	cli_options_free(&cli);
}

static void mock_channels_zero_on_the_command_line_means_no_backend(void **state)
{
	char *argv[] = { (char *)"dmabufd", (char *)"--no-config",
			 (char *)"--mock-channels=0", NULL };
	struct cli_options cli;

	assert_int_equal(cli_options_parse(3, argv, &cli), 0);
	assert_int_equal(config_load(&t.c, &cli, collect, NULL), 0);
	assert_int_equal(t.c.dma.backend, DMA_BACKEND_NONE);
	assert_int_equal(t.c.dma.mock_channels, 0);
	cli_options_free(&cli);
}

static void bad_command_line_value_is_refused(void **state)
{
	char *argv[] = { (char *)"dmabufd", (char *)"--log-level=loud", NULL };
	struct cli_options cli;

	assert_int_equal(cli_options_parse(2, argv, &cli), -EINVAL);
}

static void unknown_group_gives_root_and_says_so(void **state)
{
	config_init(&t.c);
	assert_int_equal(config_set_group(&t.c, "no-such-group-here"), 0);
	config_resolve_group(&t.c);
	assert_int_equal(t.c.access.gid, 0);
	assert_true(t.c.group_missing);
	assert_int_equal(config_set_group(&t.c, "root"), 0);
	assert_int_equal(config_resolve_group(&t.c), 0);
	assert_int_equal(t.c.access.gid, 0);
	assert_false(t.c.group_missing);
}

/* The longest value token-ttl-ms and max-wait-ms take is one day: far
 * from where now + the value in nanoseconds could wrap. */
static void one_day_of_milliseconds_is_accepted(void **state)
{
	assert_int_equal(parse("[daemon]\n"
			       "token-ttl-ms = 86400000\n"
			       "max-wait-ms = 86400000\n"
			       "[dma]\n"
			       "backend = none\n"), 0);
	assert_int_equal(t.nr_msgs, 0);
	assert_int_equal(t.c.token_ttl_ms, 86400000);
	assert_int_equal(t.c.max_wait_ms, 86400000);
}

static void token_ttl_and_max_wait_over_one_day_are_refused(void **state)
{
	assert_int_equal(parse("[daemon]\n"
			       "token-ttl-ms = 86400001\n"
			       "max-wait-ms = 18446744073709\n"
			       "[dma]\n"
			       "backend = none\n"), -EINVAL);
	expect_msg(0, 2, "bad value \"86400001\" for token-ttl-ms: expected a "
			 "number of milliseconds from 1 to 86400000");
	expect_msg(1, 3, "bad value \"18446744073709\" for max-wait-ms: "
			 "expected a number of milliseconds from 1 to 86400000");
	assert_int_equal(t.nr_msgs, 2);
}

/* Write a line of @len characters: @head, then @fill up to @len. */
static void long_line(char *dst, const char *head, char fill, size_t len)
{
	size_t n = strlen(head);

	memcpy(dst, head, n);
	memset(dst + n, fill, len - n);
	dst[len] = '\0';
}

static void line_of_198_characters_is_the_longest(void **state)
{
	char text[1024], line[256];

	/* "# ...x = ..." would be a comment: a key with a long value. */
	long_line(line, "control = /", 'c', 198);
	snprintf(text, sizeof(text), "[daemon]\n%s\n[dma]\nbackend = none\n",
		 line);
	assert_int_equal(parse(text), 0);
	assert_int_equal(strlen(t.c.control), 198 - strlen("control = "));

	conf_teardown(state);
	long_line(line, "control = /", 'c', 199);
	snprintf(text, sizeof(text), "[daemon]\n%s\n[dma]\nbackend = none\n",
		 line);
	expect_refused(parse(text), 2, "line too long (at most 198 characters)");
}

static void long_comment_line_is_a_comment(void **state)
{
	char text[2048], hash[600], semi[600];

	long_line(hash, "# ", '#', 500);
	long_line(semi, "  ; ", '-', 500);
	snprintf(text, sizeof(text), "%s\n[dma]\n%s\nbackend = none\n", hash,
		 semi);
	assert_int_equal(parse(text), 0);
	assert_int_equal(t.nr_msgs, 0);
	assert_int_equal(t.c.dma.backend, DMA_BACKEND_NONE);
}

/* Its keys belong to no section: not to the one above it. */
static void overlong_section_header_skips_its_keys(void **state)
{
	char text[1024], header[256];

	long_line(header, "[consumer:", 'u', 220);
	header[219] = ']';
	snprintf(text, sizeof(text), "[dma]\n"
				     "backend = none\n"
				     "timeout-ms = 10\n"
				     "%s\n"
				     "timeout-ms = 20\n"
				     "backend = mock\n", header);
	expect_refused(parse(text), 4, "line too long (at most 198 characters)");
	assert_int_equal(t.c.dma.timeout_ms, 10);
	assert_int_equal(t.c.dma.backend, DMA_BACKEND_NONE);
}

/* Read in pieces of a line: /dev/zero neither eats the memory nor runs
 * for ever. */
static void endless_file_is_refused_after_one_mib(void **state)
{
	config_init(&t.c);
	assert_int_equal(config_read_file(&t.c, "/dev/zero", true, collect,
					  NULL), -EFBIG);
	assert_int_equal(t.nr_msgs, 1);
	assert_string_equal(t.msgs[0], "/dev/zero: cannot read: File too large");
}

static void unreadable_file_is_a_read_error(void **state)
{
	char want[128];

	config_init(&t.c);
	assert_int_equal(config_read_file(&t.c, "/", true, collect, NULL),
			 -EISDIR);
	assert_int_equal(t.nr_msgs, 1);
	snprintf(want, sizeof(want), "/: cannot read: %s", strerror(EISDIR));
	assert_string_equal(t.msgs[0], want);
}

static void line_without_a_key_outside_any_section_is_refused(void **state)
{
	expect_refused(parse("= x\n"
			     "[dma]\n"
			     "backend = none\n"),
		       1, "a line without a key");
}

static void line_without_a_key_in_a_section_is_refused(void **state)
{
	expect_refused(parse("[dma]\n"
			     "backend = none\n"
			     " = 5\n"),
		       3, "a line without a key");
}

static void crlf_line_endings_are_accepted(void **state)
{
	assert_int_equal(parse("[daemon]\r\n"
			       "log-level = info\r\n"
			       "\r\n"
			       "[dma]\r\n"
			       "backend = none\r\n"), 0);
	assert_int_equal(t.nr_msgs, 0);
	assert_int_equal(t.c.log_level, LOG_INFO);
	assert_int_equal(t.c.dma.backend, DMA_BACKEND_NONE);
}

static void utf8_byte_order_mark_is_skipped(void **state)
{
	assert_int_equal(parse("\xEF\xBB\xBF[dma]\n"
			       "backend = none\n"), 0);
	assert_int_equal(t.nr_msgs, 0);
	assert_int_equal(t.c.dma.backend, DMA_BACKEND_NONE);
}

static void missing_final_newline_is_accepted(void **state)
{
	assert_int_equal(parse("[daemon]\n"
			       "log-level = debug\n"
			       "[dma]\n"
			       "backend = none"), 0);
	assert_int_equal(t.nr_msgs, 0);
	assert_int_equal(t.c.log_level, LOG_DEBUG);
	assert_int_equal(t.c.dma.backend, DMA_BACKEND_NONE);
}

/* The file must say which backend, even when an option overrides it. */
static void missing_backend_is_refused_even_with_backend_on_the_command_line(
	void **state)
{
	expect_refused(load("[daemon]\n"
			    "log-level = info\n", "--backend=none", NULL),
		       2, "missing backend: add [dma] with backend = mock, "
			  "stm32-uio or none");
}

/* One argument, one setting: -vvvv... does not write past the settings
 * (valgrind and ASan see it). */
static void verbose_letters_in_one_argument_give_debug(void **state)
{
	char *argv[] = { (char *)"dmabufd",
			 (char *)"-vvvvvvvvvvvvvvvvvvvvvvvv", NULL };
	struct cli_options cli;

	unlink(t.path);
	assert_int_equal(cli_options_parse(2, argv, &cli), 0);
	cli.default_config_path = t.path;
	assert_int_equal(config_load(&t.c, &cli, collect, NULL), 0);
	assert_int_equal(t.c.log_level, LOG_DEBUG);
	cli_options_free(&cli);
}

/* -v and --log-level apply in their order: the last one wins. */
static void verbose_and_log_level_apply_in_order(void **state)
{
	char *argv[] = { (char *)"dmabufd", (char *)"-vv",
			 (char *)"--log-level=err", (char *)"-fv", NULL };
	struct cli_options cli;

	unlink(t.path);
	assert_int_equal(cli_options_parse(3, argv, &cli), 0);
	cli.default_config_path = t.path;
	assert_int_equal(config_load(&t.c, &cli, collect, NULL), 0);
	assert_int_equal(t.c.log_level, LOG_ERR);
	cli_options_free(&cli);

	/* The count goes on across arguments: the third -v is debug. */
	assert_int_equal(cli_options_parse(4, argv, &cli), 0);
	cli.default_config_path = t.path;
	assert_int_equal(config_load(&t.c, &cli, collect, NULL), 0);
	assert_int_equal(t.c.log_level, LOG_DEBUG);
	cli_options_free(&cli);
}

/* --dma-map takes the consumer and dma names a file's [consumer:NAME]
 * section takes, no others. */
static void command_line_map_names_the_file_refuses_are_refused(void **state)
{
	static const char *const bad[] = {
		"uart 0:rx=mock0",	/* a space in the consumer */
		"uart0:r/x=mock0",	/* '/' in the name */
		"uart[0]:rx=mock0",	/* '[' and ']' */
		"uart0:rx:1=mock0",	/* ':' in the name */
		"uart0:rx\t=mock0",	/* a tab */
		"uart0:=mock0",		/* no name */
	};
	struct dma_options o;

	dma_options_init(&o);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dma_options_set(&o, "dma-map", bad[i]), -EINVAL);
	assert_int_equal(o.num_maps, 0);
	assert_int_equal(dma_options_set(&o, "dma-map",
					 "40010000.serial:rx-1=dma1:any:63"), 1);
	assert_int_equal(o.num_maps, 1);
}

#ifdef DMABUFD_HAVE_STM32
/* Controllers come from the file only: the option is the cause. */
static void command_line_stm32_backend_without_controller_is_refused(
	void **state)
{
	assert_int_equal(load("[dma]\n"
			      "backend = none\n", "--backend=stm32-uio", NULL),
			 -EINVAL);
	assert_int_equal(t.nr_msgs, 1);
	assert_string_equal(t.msgs[0], "--backend=stm32-uio needs a "
				       "[stm32:NAME] controller in the "
				       "configuration file");
}
#endif

#if defined(DMABUFD_HAVE_STM32) && defined(DMABUFD_HAVE_MOCK)
static const char stm32_contig_file[] =
	"[dma]\n"
	"backend = stm32-uio\n"
	"[stm32:dma1]\n"
	"uio = dma1\n"
	"[heap:contig]\n"
	"type = stm32-contig\n"
	"uio = dma-pool\n";

/* The checks between backend, controllers and heaps see the command
 * line: what the file alone refuses, the option cannot bring in. */
static void command_line_backend_mock_over_a_contiguous_heap_is_refused(
	void **state)
{
	char want[256];

	assert_int_equal(load(stm32_contig_file, "--backend=mock", NULL),
			 -EINVAL);
	assert_int_equal(t.nr_msgs, 1);
	snprintf(want, sizeof(want), "--backend=mock: heap contig (stm32-contig, "
		 "%s:5) needs backend = stm32-uio or none: the mock controller "
		 "cannot reach physical memory", t.path);
	assert_string_equal(t.msgs[0], want);
}

/* --mock-channels=N selects the mock backend: the same check. */
static void command_line_mock_channels_over_a_contiguous_heap_is_refused(
	void **state)
{
	char want[256];

	assert_int_equal(load(stm32_contig_file, "--mock-channels=2", NULL),
			 -EINVAL);
	assert_int_equal(t.nr_msgs, 1);
	snprintf(want, sizeof(want), "--mock-channels=2: heap contig "
		 "(stm32-contig, %s:5) needs backend = stm32-uio or none: the "
		 "mock controller cannot reach physical memory", t.path);
	assert_string_equal(t.msgs[0], want);
}

/* ... and what the option makes right, the file is not refused for. */
static void command_line_backend_none_accepts_a_contiguous_heap_over_mock(
	void **state)
{
	assert_int_equal(load("[dma]\n"
			      "backend = mock\n"
			      "[heap:contig]\n"
			      "type = stm32-contig\n"
			      "uio = dma-pool\n", "--backend=none", NULL), 0);
	assert_int_equal(t.nr_msgs, 0);
	assert_int_equal(t.c.dma.backend, DMA_BACKEND_NONE);
	assert_int_equal(t.c.stm32.nr_heaps, 1);
}
#endif

struct change {
	char key[64];
	char value[64];
	bool live;
};

static struct change changes[8];
static unsigned nr_changes;

static void record_change(void *data, const char *key, const char *value,
			  bool live)
{
	if (nr_changes == 8)
		return;
	snprintf(changes[nr_changes].key, sizeof(changes[0].key), "%s", key);
	snprintf(changes[nr_changes].value, sizeof(changes[0].value), "%s",
		 value ? value : "");
	changes[nr_changes++].live = live;
}

#ifdef DMABUFD_HAVE_STM32
static void reload_of_a_changed_trbuff_line_needs_a_restart(void **state)
{
	const char *file = "[dma]\nbackend = stm32-uio\n[stm32:dma1]\nuio = dma1\n";
	char changed[160];

	assert_int_equal(parse(file), 0);
	t.other = t.c;
	snprintf(changed, sizeof(changed), "%strbuff-off = 41\n", file);
	assert_int_equal(parse(changed), 0);
	nr_changes = 0;
	assert_int_equal(config_diff(&t.other, &t.c, record_change, NULL), 1);
	assert_string_equal(changes[0].key, "[stm32:dma1]");
	assert_false(changes[0].live);
}
#endif

static void reload_diff_says_what_can_change_live(void **state)
{
	config_init(&t.c);
	config_init(&t.other);
	t.other.log_level = LOG_DEBUG;
	t.other.token_ttl_ms = 5000;
	t.other.transport = TRANSPORT_FUSE;
	t.other.heap_limit = 1 << 20;
	snprintf(t.other.stm32.heaps[0].name, sizeof(t.other.stm32.heaps[0].name),
		 "pool");
	t.other.stm32.nr_heaps = 1;
	nr_changes = 0;
	assert_int_equal(config_diff(&t.c, &t.other, record_change, NULL), 5);
	assert_string_equal(changes[0].key, "transport");
	assert_string_equal(changes[0].value, "fuse");
	assert_false(changes[0].live);
	assert_string_equal(changes[1].key, "token-ttl-ms");
	assert_string_equal(changes[1].value, "5000");
	assert_true(changes[1].live);
	assert_string_equal(changes[2].key, "log-level");
	assert_string_equal(changes[2].value, "debug");
	assert_true(changes[2].live);
	assert_string_equal(changes[3].key, "[heap:system] limit");
	assert_string_equal(changes[3].value, "1048576");
	assert_true(changes[3].live);
	assert_string_equal(changes[4].key, "[heap:pool]");
	assert_false(changes[4].live);

	/* Applied, the live ones no longer differ; the others still do. */
	config_apply_live(&t.c, &t.other);
	nr_changes = 0;
	assert_int_equal(config_diff(&t.c, &t.other, record_change, NULL), 2);
	assert_string_equal(changes[0].key, "transport");
	assert_string_equal(changes[1].key, "[heap:pool]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifdef DMABUFD_HAVE_MOCK
		conf_test(good_file_fills_every_field),
		conf_test(example_file_is_the_builtin_defaults),
#endif
#ifdef DMABUFD_HAVE_STM32
		conf_test(good_stm32_board_file_fills_the_stm32_options),
		conf_test(stm32_trbuff_lines_are_set_per_request_line),
		conf_test(stm32_trbuff_line_out_of_range_is_refused),
		conf_test(stm32_backend_without_controller_is_refused),
		conf_test(stm32_controllers_with_one_index_are_refused),
#else
		conf_test(stm32_sections_are_refused_without_the_backend),
#endif
		conf_test(message_is_path_line_reason),
		conf_test(unknown_key_is_refused),
		conf_test(unknown_section_is_refused_once),
		conf_test(bad_number_is_refused),
		conf_test(bad_number_out_of_range_is_refused),
		conf_test(stop_timeout_over_ten_minutes_is_refused),
#if defined(DMABUFD_HAVE_STM32) && defined(DMABUFD_HAVE_MOCK)
		conf_test(contiguous_heap_with_the_mock_backend_is_refused),
#endif
		conf_test(bad_size_suffix_is_refused),
		conf_test(limits_section_sets_every_key),
		conf_test(limits_default_to_fractions_of_ram_and_counts),
		conf_test(memory_limits_take_a_percentage_of_ram),
		conf_test(bad_limits_are_refused_with_their_line),
		conf_test(limit_option_overrides_the_file),
		conf_test(bad_enum_is_refused),
		conf_test(bad_backend_is_refused_and_not_called_missing),
		conf_test(missing_backend_is_reported_at_the_dma_header),
		conf_test(missing_backend_without_dma_is_reported_at_the_last_line),
		conf_test(empty_file_is_missing_its_backend),
		conf_test(duplicate_heap_is_refused_with_both_lines),
		conf_test(duplicate_stm32_heap_is_refused_with_both_lines),
		conf_test(duplicate_key_is_refused_with_both_lines),
		conf_test(duplicate_section_is_refused_with_both_lines),
		conf_test(system_heap_takes_only_limit),
		conf_test(heap_without_type_is_refused_at_its_header),
		conf_test(bad_consumer_map_value_is_refused),
		conf_test(line_without_a_key_is_refused),
		conf_test(key_outside_any_section_is_refused),
		conf_test(indented_key_is_a_key),
		conf_test(inline_semicolon_comment_ends_a_value),
		conf_test(every_error_is_reported_not_only_the_first),
		conf_test(missing_file_at_the_default_path_is_no_error),
		conf_test(missing_explicit_file_is_an_error),
		conf_test(no_config_reads_no_file),
		conf_test(command_line_overrides_the_file),
		conf_test(mock_channels_zero_on_the_command_line_means_no_backend),
		conf_test(bad_command_line_value_is_refused),
		conf_test(unknown_group_gives_root_and_says_so),
		conf_test(reload_diff_says_what_can_change_live),
#ifdef DMABUFD_HAVE_STM32
		conf_test(reload_of_a_changed_trbuff_line_needs_a_restart),
#endif
		conf_test(one_day_of_milliseconds_is_accepted),
		conf_test(token_ttl_and_max_wait_over_one_day_are_refused),
		conf_test(line_of_198_characters_is_the_longest),
		conf_test(long_comment_line_is_a_comment),
		conf_test(overlong_section_header_skips_its_keys),
		conf_test(endless_file_is_refused_after_one_mib),
		conf_test(unreadable_file_is_a_read_error),
		conf_test(line_without_a_key_outside_any_section_is_refused),
		conf_test(line_without_a_key_in_a_section_is_refused),
		conf_test(crlf_line_endings_are_accepted),
		conf_test(utf8_byte_order_mark_is_skipped),
		conf_test(missing_final_newline_is_accepted),
		conf_test(missing_backend_is_refused_even_with_backend_on_the_command_line),
		conf_test(verbose_letters_in_one_argument_give_debug),
		conf_test(verbose_and_log_level_apply_in_order),
		conf_test(command_line_map_names_the_file_refuses_are_refused),
#ifdef DMABUFD_HAVE_STM32
		conf_test(command_line_stm32_backend_without_controller_is_refused),
#endif
#if defined(DMABUFD_HAVE_STM32) && defined(DMABUFD_HAVE_MOCK)
		conf_test(command_line_backend_mock_over_a_contiguous_heap_is_refused),
		conf_test(command_line_mock_channels_over_a_contiguous_heap_is_refused),
		conf_test(command_line_backend_none_accepts_a_contiguous_heap_over_mock),
#endif
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
