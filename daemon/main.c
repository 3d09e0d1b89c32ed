/* SPDX-License-Identifier: MIT */
/*
 * dmabufd: serve dma-heap, dma-buf, sync_file, sw_sync and dmaengine
 * nodes from one libuv loop, over CUSE where the kernel has it and over a
 * FUSE mount where it does not (DESIGN.md §3).
 *
 * Start-up: options, the instance lock (a second instance refuses to
 * start), the system heap, the node registry, the loop glue (timers,
 * signals), the control socket, the DMA wiring (dma_setup.c: the mock
 * controller), then the transport. "dmabufd: ready" goes
 * to stderr once every node is live.
 *
 * SIGINT/SIGTERM stop the daemon gracefully: new opens and ioctls are
 * refused (-ENODEV) at once; DMA transfers running on an engine get a
 * bounded time to end (a second signal cuts it short); then the files
 * producing fences are released first, so every pending fence signals
 * with an error and every caller waiting on one gets its reply; every
 * other pending request is answered -ENODEV, every file released, the
 * DMA controllers removed, the transport unmounted or closed, the control
 * socket removed; exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <dmabufd/common.h>
#include <dmabufd/dmaengine.h>

#include "ctl/control.h"
#include "dma_setup.h"
#include "dmaengine/dma_xfer.h"
#include "dev/dev.h"
#include "dev/file.h"
#include "dev/node.h"
#include "dev/token.h"
#include "loop.h"
#include "model/clock.h"
#include "model/heap_system.h"
#include "model/objstat.h"
#include "transport/transport.h"
#include "util/log.h"

enum transport_kind {
	TRANSPORT_AUTO,
	TRANSPORT_CUSE,
	TRANSPORT_FUSE,
};

struct options {
	enum transport_kind transport;
	const char *dev_root;
	const char *control;
	const char *lock;
	uint64_t heap_limit;
	uint64_t token_ttl_ms;
	uint64_t max_wait_ms;
	int verbose;
	struct node_names names;
	struct dma_options dma;
};

/* How long a graceful stop waits for running DMA transfers, and how
 * often it looks. */
#define STOP_DRAIN_DEFAULT_MS 5000
#define STOP_DRAIN_POLL_MS 5

static struct {
	uv_loop_t loop;
	enum transport_kind transport;
	const char *dev_root;
	const char *control;
	unsigned nodes_live;
	bool stopping;
	int exit_status;
	/* A graceful stop waiting for running DMA transfers */
	uv_timer_t drain;
	bool draining;
	uint64_t drain_deadline;	/* uv_now() */
	uint64_t drain_timeout_ms;
} daemon_state = {
	.drain_timeout_ms = STOP_DRAIN_DEFAULT_MS,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: dmabufd [OPTIONS]\n"
		"Serve dma-heap, dma-buf, sync_file, sw_sync and dmaengine nodes over\n"
		"CUSE, or over a FUSE mount where the kernel has no CUSE.\n\n"
		"  --transport=auto|cuse|fuse  how to serve the nodes (auto: CUSE when\n"
		"                              /dev/cuse exists, else FUSE)\n"
		"  --dev-root=PATH             FUSE mount point (default %s)\n"
		"  --control=PATH              control socket (default %s)\n"
		"  --lock=PATH                 instance lock (default: dmabufd.lock next\n"
		"                              to the control socket)\n"
		"  --heap-limit=BYTES          limit of the system heap (K/M/G suffixes;\n"
		"                              default: none)\n"
		"  --token-ttl-ms=MS           lifetime of unclaimed tokens (default %d)\n"
		"  --max-wait-ms=MS            cap on blocking ioctls (default %llu)\n"
		"  --heap-dir=NAME             directory of heap nodes (default %s)\n"
		"  --dma-buf-node=NAME         (default %s)\n"
		"  --sync-file-node=NAME       (default %s)\n"
		"  --sw-sync-node=NAME         (default %s)\n"
		"  --dmaengine-node=NAME       (default %s)\n",
		DMABUFD_FUSE_ROOT, DMABUFD_CONTROL_SOCKET, DMABUFD_TOKEN_TTL_MS,
		DEV_DEFAULT_MAX_WAIT_NS / 1000000ull, DMABUFD_NODE_HEAP_DIR,
		DMABUFD_NODE_DMA_BUF, DMABUFD_NODE_SYNC_FILE,
		DMABUFD_NODE_SW_SYNC, DMABUFD_NODE_DMAENGINE);
	dma_options_usage(f);
	fprintf(f,
		"  -f, --foreground            run in the foreground (the default)\n"
		"  -v, --verbose               more log output (twice: debug)\n"
		"  -h, --help                  this text\n");
}

/* A byte count with an optional K, M or G suffix (powers of 1024). */
static int parse_size(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k':
		shift = 10;
		end++;
		break;
	case 'M': case 'm':
		shift = 20;
		end++;
		break;
	case 'G': case 'g':
		shift = 30;
		end++;
		break;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*ret = (uint64_t)v << shift;
	return 0;
}

static int parse_ms(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v == 0 ||
	    v > UINT64_MAX / 1000000u)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_TRANSPORT = 0x100, OPT_DEV_ROOT, OPT_CONTROL, OPT_LOCK,
		OPT_HEAP_LIMIT, OPT_TOKEN_TTL, OPT_MAX_WAIT, OPT_HEAP_DIR,
		OPT_DMA_BUF, OPT_SYNC_FILE, OPT_SW_SYNC, OPT_DMAENGINE, OPT_DMA,
	};
	static const struct option longopts[] = {
		{ "transport", required_argument, NULL, OPT_TRANSPORT },
		{ "dev-root", required_argument, NULL, OPT_DEV_ROOT },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "lock", required_argument, NULL, OPT_LOCK },
		{ "heap-limit", required_argument, NULL, OPT_HEAP_LIMIT },
		{ "token-ttl-ms", required_argument, NULL, OPT_TOKEN_TTL },
		{ "max-wait-ms", required_argument, NULL, OPT_MAX_WAIT },
		{ "heap-dir", required_argument, NULL, OPT_HEAP_DIR },
		{ "dma-buf-node", required_argument, NULL, OPT_DMA_BUF },
		{ "sync-file-node", required_argument, NULL, OPT_SYNC_FILE },
		{ "sw-sync-node", required_argument, NULL, OPT_SW_SYNC },
		{ "dmaengine-node", required_argument, NULL, OPT_DMAENGINE },
		/* dma_setup.c's, all handled by dma_options_parse() */
		{ "mock-channels", required_argument, NULL, OPT_DMA },
		{ "mock-latency-us", required_argument, NULL, OPT_DMA },
		{ "mock-bandwidth", required_argument, NULL, OPT_DMA },
		{ "mock-delay-ms", required_argument, NULL, OPT_DMA },
		{ "dma-timeout-ms", required_argument, NULL, OPT_DMA },
		{ "dma-map", required_argument, NULL, OPT_DMA },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, idx = 0;

	*o = (struct options){
		.dev_root = DMABUFD_FUSE_ROOT,
		.control = DMABUFD_CONTROL_SOCKET,
	};
	dma_options_init(&o->dma);
	while ((c = getopt_long(argc, argv, "fvh", longopts, &idx)) != -1) {
		int r = 0;

		switch (c) {
		case OPT_TRANSPORT:
			if (!strcmp(optarg, "auto"))
				o->transport = TRANSPORT_AUTO;
			else if (!strcmp(optarg, "cuse"))
				o->transport = TRANSPORT_CUSE;
			else if (!strcmp(optarg, "fuse"))
				o->transport = TRANSPORT_FUSE;
			else
				r = -EINVAL;
			break;
		case OPT_DEV_ROOT:
			o->dev_root = optarg;
			break;
		case OPT_CONTROL:
			o->control = optarg;
			break;
		case OPT_LOCK:
			o->lock = optarg;
			break;
		case OPT_HEAP_LIMIT:
			r = parse_size(optarg, &o->heap_limit);
			break;
		case OPT_TOKEN_TTL:
			r = parse_ms(optarg, &o->token_ttl_ms);
			break;
		case OPT_MAX_WAIT:
			r = parse_ms(optarg, &o->max_wait_ms);
			break;
		case OPT_HEAP_DIR:
			o->names.heap_dir = optarg;
			break;
		case OPT_DMA_BUF:
			o->names.dma_buf = optarg;
			break;
		case OPT_SYNC_FILE:
			o->names.sync_file = optarg;
			break;
		case OPT_SW_SYNC:
			o->names.sw_sync = optarg;
			break;
		case OPT_DMAENGINE:
			o->names.dmaengine = optarg;
			break;
		case OPT_DMA:
			/* It prints its own message. */
			if (dma_options_parse(&o->dma, longopts[idx].name,
					      optarg) < 0)
				return -EINVAL;
			break;
		case 'f':
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "dmabufd: invalid value \"%s\" for --%s\n",
				optarg, longopts[idx].name);
			return r;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dmabufd: unexpected argument \"%s\"\n",
			argv[optind]);
		return -EINVAL;
	}
	if (o->dev_root[0] != '/' || o->control[0] != '/' ||
	    (o->lock && o->lock[0] != '/')) {
		fprintf(stderr, "dmabufd: --dev-root, --control and --lock "
				"need absolute paths\n");
		return -EINVAL;
	}
	return 0;
}

/* mkdir -p the directory that holds @path. */
static void make_parent_dir(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		(void)mkdir(buf, 0755);
		*p = '/';
	}
}

/*
 * Take the instance lock at @path. Returns the lock fd (kept open for the
 * life of the daemon) or a negative errno, with the message printed.
 */
static int take_instance_lock(const char *path)
{
	char pid[32] = "";
	ssize_t n;
	int fd;

	make_parent_dir(path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "dmabufd: cannot open the lock file %s: %s\n",
			path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (e == EWOULDBLOCK)
			fprintf(stderr,
				"dmabufd: another instance is already running "
				"(lock %s held%s%s)\n",
				path, pid[0] ? " by pid " : "", pid);
		else
			fprintf(stderr, "dmabufd: cannot lock %s: %s\n", path,
				strerror(e));
		close(fd);
		return -e;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("cannot write the pid to %s", path);
	return fd;
}

static void transports_stop(void)
{
	if (daemon_state.transport == TRANSPORT_CUSE)
		cuse_transport_stop();
	else
		fuse_transport_stop();
}

/* The last step of a stop (see the top). */
static void daemon_finish_stop(void)
{
	if (daemon_state.draining) {
		uv_timer_stop(&daemon_state.drain);
		uv_close((uv_handle_t *)&daemon_state.drain, NULL);
		daemon_state.draining = false;
	}
	/* Answer and release everything while the sessions still exist;
	 * then no channel is held and the DMA controller can go. */
	dev_shutdown();
	dma_setup_stop();
	transports_stop();
	control_stop();
	loop_glue_stop();
}

static void drain_tick(uv_timer_t *timer)
{
	unsigned running = dma_xfer_running_count();

	if (running == 0) {
		log_info("stop: no DMA transfer running any more");
	} else if (uv_now(timer->loop) < daemon_state.drain_deadline) {
		return;
	} else {
		log_warn("stop: %u DMA transfer(s) still running after %llu ms: "
			 "cancelling them", running,
			 (unsigned long long)daemon_state.drain_timeout_ms);
	}
	daemon_finish_stop();
}

/*
 * Stop: refuse new work at once; on a clean stop (a signal) give running
 * DMA transfers up to drain_timeout_ms to end, checking every
 * STOP_DRAIN_POLL_MS; then daemon_finish_stop(). A stop for a failure
 * (the transport went away) does not wait.
 */
static void daemon_stop(int status)
{
	unsigned running;

	if (daemon_state.stopping)
		return;
	daemon_state.stopping = true;
	daemon_state.exit_status = status;
	dev_stop_accepting();
	running = dma_xfer_running_count();
	if (status == EXIT_SUCCESS && running && daemon_state.drain_timeout_ms &&
	    uv_timer_init(&daemon_state.loop, &daemon_state.drain) == 0) {
		log_notice("stop: waiting up to %llu ms for %u running DMA "
			   "transfer(s)",
			   (unsigned long long)daemon_state.drain_timeout_ms,
			   running);
		daemon_state.draining = true;
		daemon_state.drain_deadline =
			uv_now(&daemon_state.loop) + daemon_state.drain_timeout_ms;
		uv_timer_start(&daemon_state.drain, drain_tick,
			       STOP_DRAIN_POLL_MS, STOP_DRAIN_POLL_MS);
		return;
	}
	daemon_finish_stop();
}

static void on_signal(int signum)
{
	if (daemon_state.draining) {
		log_notice("%s again: not waiting for DMA any longer",
			   strsignal(signum));
		daemon_finish_stop();
		return;
	}
	log_notice("%s: shutting down", strsignal(signum));
	daemon_stop(EXIT_SUCCESS);
}

static void on_node_live(struct dev_node *node)
{
	if (++daemon_state.nodes_live != node_count())
		return;
	log_info("all %u nodes are live", node_count());
	fprintf(stderr, "dmabufd: ready (transport %s, nodes under %s, "
			"control %s)\n",
		daemon_state.transport == TRANSPORT_CUSE ? "cuse" : "fuse",
		daemon_state.transport == TRANSPORT_CUSE ? "/dev"
							 : daemon_state.dev_root,
		daemon_state.control);
	fflush(stderr);
}

static void on_transport_gone(const char *why)
{
	log_err("%s: shutting down", why);
	daemon_stop(EXIT_FAILURE);
}

static const struct transport_hooks hooks = {
	.node_live = on_node_live,
	.gone = on_transport_gone,
};

static bool fuse_usable(void)
{
	return access("/dev/fuse", R_OK | W_OK) == 0;
}

/* Objects still alive once everything was released: a bug somewhere. */
static void report_leaks(void)
{
	for (int t = 0; t < _OBJ_MAX; t++)
		if (objstat_get(t))
			log_err("leak at exit: %ld %s", objstat_get(t),
				objstat_name(t));
	if (token_count() || dev_file_count() || timerq_armed())
		log_err("leak at exit: %u tokens, %u files, %u timers",
			token_count(), dev_file_count(), timerq_armed());
}

int main(int argc, char **argv)
{
	struct options o;
	bool auto_transport;
	char lock_path[PATH_MAX];
	int lock_fd, r;

	if (parse_options(argc, argv, &o) < 0)
		return 2;
	log_set_level(o.verbose >= 2 ? LOG_DEBUG
				     : o.verbose ? LOG_INFO : LOG_NOTICE);
	signal(SIGPIPE, SIG_IGN);

	auto_transport = o.transport == TRANSPORT_AUTO;
	if (o.transport == TRANSPORT_AUTO)
		o.transport = cuse_transport_available() ? TRANSPORT_CUSE
							 : TRANSPORT_FUSE;
	if (o.transport == TRANSPORT_CUSE && !cuse_transport_available()) {
		fprintf(stderr, "dmabufd: --transport=cuse, but /dev/cuse does "
				"not exist (modprobe cuse?)\n");
		return EXIT_FAILURE;
	}
	if (o.transport == TRANSPORT_FUSE && !fuse_usable()) {
		fprintf(stderr, "dmabufd: neither CUSE (/dev/cuse) nor FUSE "
				"(/dev/fuse) is usable on this system\n");
		return EXIT_FAILURE;
	}
	daemon_state.transport = o.transport;
	daemon_state.dev_root = o.dev_root;
	daemon_state.control = o.control;

	if (o.lock) {
		snprintf(lock_path, sizeof(lock_path), "%s", o.lock);
	} else {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", o.control);
		snprintf(lock_path, sizeof(lock_path), "%s/dmabufd.lock",
			 dirname(dir));
	}
	lock_fd = take_instance_lock(lock_path);
	if (lock_fd < 0)
		return EXIT_FAILURE;

	r = heap_system_register(o.heap_limit);
	if (r < 0) {
		log_err("cannot register the system heap: %s", strerror(-r));
		return EXIT_FAILURE;
	}
	dev_init(&(struct dev_config){
		.token_ttl_ns = o.token_ttl_ms * 1000000u,
		.max_wait_ns = o.max_wait_ms * 1000000u,
	});
	r = node_registry_build(&o.names);
	if (r < 0) {
		fprintf(stderr, "dmabufd: cannot create the nodes: %s\n",
			strerror(-r));
		heap_system_unregister();
		return EXIT_FAILURE;
	}

	uv_loop_init(&daemon_state.loop);
	r = loop_glue_start(&daemon_state.loop, on_signal);
	if (r >= 0) {
		make_parent_dir(o.control);
		r = control_start(&daemon_state.loop, o.control);
	}
	if (r >= 0)
		r = dma_setup_start(&daemon_state.loop, &o.dma);
	if (r >= 0) {
		r = o.transport == TRANSPORT_CUSE
			    ? cuse_transport_start(&daemon_state.loop, &hooks)
			    : fuse_transport_start(&daemon_state.loop,
						   o.dev_root, &hooks);
		if (r < 0 && auto_transport && o.transport == TRANSPORT_CUSE &&
		    fuse_usable()) {
			log_warn("CUSE failed (%s): falling back to FUSE",
				 strerror(-r));
			o.transport = daemon_state.transport = TRANSPORT_FUSE;
			r = fuse_transport_start(&daemon_state.loop, o.dev_root,
						 &hooks);
		}
		if (r < 0) {
			fprintf(stderr, "dmabufd: cannot start the %s transport: "
					"%s\n",
				o.transport == TRANSPORT_CUSE ? "CUSE" : "FUSE",
				strerror(-r));
			/* Nothing of the transport is left to stop. */
			daemon_state.transport = TRANSPORT_AUTO;
		}
	}
	if (r < 0) {
		daemon_state.stopping = true;
		dma_setup_stop();
		control_stop();
		loop_glue_stop();
		daemon_state.exit_status = EXIT_FAILURE;
	}

	uv_run(&daemon_state.loop, UV_RUN_DEFAULT);

	node_registry_free();
	heap_system_unregister();
	if (uv_loop_close(&daemon_state.loop) < 0)
		log_err("handles left open at exit");
	report_leaks();
	close(lock_fd);
	return daemon_state.exit_status;
}
