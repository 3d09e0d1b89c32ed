/* SPDX-License-Identifier: MIT */
/*
 * dmabufd: serve dma-heap, dma-buf, sync_file, sw_sync and dmaengine
 * nodes from one libuv loop, over CUSE where the kernel has it and over a
 * FUSE mount where it does not (DESIGN.md §3).
 *
 * Start-up: the configuration (config/: built-in defaults, the file,
 * the command line over it; any error there exits 2), the instance lock
 * (a second instance refuses to start), the system heap, the node
 * registry, the loop glue (timers, signals), the control socket, the DMA
 * wiring (dma_setup.c: the mock controller), then the transport.
 * "dmabufd: ready" goes to stderr once every node is live, and READY=1
 * to systemd (notify.c, which also pings the watchdog from the loop and
 * sends status_line(), the live counts, as STATUS= when they change).
 *
 * SIGHUP reloads the configuration (on_reload()): a file with errors is
 * refused and the daemon runs on unchanged; otherwise what can change
 * live is applied and each key that needs a restart is logged.
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
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <dmabufd/common.h>
#include <dmabufd/dmaengine.h>

#include "config/config.h"
#include "config/options.h"
#include "ctl/control.h"
#include "dmaengine/dma_xfer.h"
#include "dev/dev.h"
#include "dev/dmaengine_node.h"
#include "dev/file.h"
#include "dev/node.h"
#include "dev/token.h"
#include "kernel_buf.h"
#include "kernel_sync.h"
#include "linger.h"
#include "loop.h"
#include "model/acct.h"
#include "model/clock.h"
#include "model/heap_system.h"
#include "model/objstat.h"
#include "notify.h"
#include "transport/transport.h"
#include "util/log.h"
#include "wiring/dma_setup.h"
#ifdef DMABUFD_HAVE_STM32
#include "wiring/stm32_setup.h"
#endif

/* How often the status line for systemd is looked at (it goes out
 * when it changed: notify_summary_start()). */
#define STATUS_SUMMARY_MS 2000

/* How often a graceful stop looks whether running DMA transfers ended
 * (it waits config.stop_timeout_ms at most). */
#define STOP_DRAIN_POLL_MS 5

static struct {
	uv_loop_t loop;
	enum transport_kind transport;
	const char *dev_root;
	const char *control;
	unsigned nodes_live;
	uint64_t started_ns;	/* clock_now_ns() at start (INFO's uptime) */
	bool stopping;
	int exit_status;
	/* A graceful stop waiting for running DMA transfers */
	uv_timer_t drain;
	bool draining;
	uint64_t drain_deadline;	/* uv_now() */
} daemon_state;

/* The command line, kept to be applied again on each reload, and the
 * configuration the daemon runs with (config/). */
static struct cli_options cli;
static struct daemon_config config;

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
	/* Kernel fences: imports still pending signal -ENODEV, export
	 * timelines close (the kernel signals their points ENOENT). */
	kernel_sync_stop();
	/* Kernel dma-bufs: the daemon's copies and buffer references go. */
	kernel_buf_stop();
	dev_shutdown();
	/* The controllers before the DMA wiring: dma_setup owns the
	 * completion queue's wake-up that every backend posts through. */
#ifdef DMABUFD_HAVE_STM32
	stm32_setup_stop();
#endif
	dma_setup_stop();
	/* Every buffer is released now: those still mapped by clients go
	 * too (their memory with the clients' last files). */
	linger_stop();
	transports_stop();
	control_stop();
	notify_stop();
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
			 (unsigned long long)config.stop_timeout_ms);
	}
	daemon_finish_stop();
}

/*
 * Stop: refuse new work at once; on a clean stop (a signal) give running
 * DMA transfers up to config.stop_timeout_ms to end, checking every
 * STOP_DRAIN_POLL_MS; then daemon_finish_stop(). A stop for a failure
 * (the transport went away) does not wait.
 */
static void daemon_stop(int status)
{
	unsigned running;

	if (daemon_state.stopping) {
		/* A failure while waiting for DMA (the transport went
		 * away): stop at once, and say it failed. */
		if (status != EXIT_SUCCESS && daemon_state.draining) {
			daemon_state.exit_status = status;
			daemon_finish_stop();
		}
		return;
	}
	daemon_state.stopping = true;
	daemon_state.exit_status = status;
	notify_stopping();
	dev_stop_accepting();
	running = dma_xfer_running_count();
	if (status == EXIT_SUCCESS && running && config.stop_timeout_ms &&
	    uv_timer_init(&daemon_state.loop, &daemon_state.drain) == 0) {
		log_notice("stop: waiting up to %llu ms for %u running DMA "
			   "transfer(s)",
			   (unsigned long long)config.stop_timeout_ms,
			   running);
		notify_status("stopping: waiting for %u running DMA "
			      "transfer(s)", running);
		daemon_state.draining = true;
		daemon_state.drain_deadline =
			uv_now(&daemon_state.loop) + config.stop_timeout_ms;
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

static const char *transport_name(void)
{
	return daemon_state.transport == TRANSPORT_CUSE ? "cuse" : "fuse";
}

/* @bytes in @buf as "512 B", "8.0 MiB", ... */
static const char *human_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	unsigned u = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]); u++)
		v /= 1024;
	snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

/*
 * The status line for systemd (STATUS=, notify_summary_start()): what
 * the daemon serves and the live counts dmabufctl status shows, e.g.
 * "serving 7 nodes over fuse; 2 buffers (8.0 MiB), 3 fences,
 * 1 timelines, 5 open files, 0 DMA transfers".
 */
static void status_line(char *buf, size_t size)
{
	struct dmabufd_ctl_stats st;
	char bytes[32];
	int n;

	if (daemon_state.nodes_live < node_count())
		n = snprintf(buf, size, "starting: %u of %u nodes live over %s",
			     daemon_state.nodes_live, node_count(),
			     transport_name());
	else
		n = snprintf(buf, size, "serving %u nodes over %s", node_count(),
			     transport_name());
	if (n < 0 || (size_t)n >= size)
		return;
	dev_get_stats(&st);
	snprintf(buf + n, size - (size_t)n,
		 "; %lld buffers (%s), %lld fences, %lld timelines, "
		 "%lld open files, %lld DMA transfers",
		 (long long)st.count[DMABUFD_STAT_DMA_BUFS],
		 human_bytes((uint64_t)st.count[DMABUFD_STAT_HEAP_BYTES], bytes,
			     sizeof(bytes)),
		 (long long)st.count[DMABUFD_STAT_FENCES],
		 (long long)st.count[DMABUFD_STAT_TIMELINES],
		 (long long)st.count[DMABUFD_STAT_OPEN_FILES],
		 (long long)st.count[DMABUFD_STAT_DMA_XFERS]);
}

/* READY=1 with the status line of a daemon serving its nodes (start-up,
 * and the end of a reload that was taken). */
static void notify_serving(void)
{
	char line[256];

	status_line(line, sizeof(line));
	notify_ready("%s", line);
}

/* @src into @dst[@size], cut to fit, NUL-terminated. */
static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* DMABUFD_CTL_INFO's facts of the daemon (control_set_info()). */
static void fill_info(struct dmabufd_ctl_info *info)
{
	copy_cut(info->version, sizeof(info->version), DMABUFD_VERSION);
	copy_cut(info->config, sizeof(info->config), config.path);
	copy_cut(info->dev_root, sizeof(info->dev_root),
		 daemon_state.transport == TRANSPORT_CUSE ? "/dev"
							  : daemon_state.dev_root);
	info->transport = daemon_state.transport == TRANSPORT_CUSE
				  ? DMABUFD_CTL_TRANSPORT_CUSE
				  : DMABUFD_CTL_TRANSPORT_FUSE;
	info->nodes = node_count();
	info->nodes_live = daemon_state.nodes_live;
	info->uptime_ns = clock_now_ns() - daemon_state.started_ns;
}

static void on_node_live(struct dev_node *node)
{
	if (++daemon_state.nodes_live != node_count())
		return;
	log_info("all %u nodes are live", node_count());
	fprintf(stderr, "dmabufd: ready (transport %s, nodes under %s, "
			"control %s)\n",
		transport_name(),
		daemon_state.transport == TRANSPORT_CUSE ? "/dev"
							 : daemon_state.dev_root,
		daemon_state.control);
	fflush(stderr);
	notify_serving();
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

static void report_to_stderr(void *data, const char *msg)
{
	fprintf(stderr, "dmabufd: %s\n", msg);
}

static void report_to_log(void *data, const char *msg)
{
	log_err("%s", msg);
}

static void warn_group_missing(const struct daemon_config *c)
{
	if (c->group_missing)
		log_warn("group %s does not exist: the nodes get group root "
			 "(gid 0)", c->group);
}

/* Every mapped or DMA-attached buffer holds a memfd here: take all the
 * descriptors the hard limit allows (the system heap keeps a reserve
 * below it). */
static void raise_nofile_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("cannot raise the soft limit of descriptors to %llu: %s",
			 (unsigned long long)rl.rlim_max, strerror(errno));
}

/* The [limits] in force for every account (model/acct.h). */
static void apply_limits(void)
{
	struct acct_limits limits;

	if (limit_options_resolve(&config.limits, &limits) < 0)
		log_warn("limits: exempt-group %s does not exist: no group is "
			 "exempt", config.limits.exempt_group);
	(void)acct_set_limits(&limits);
}

/* What can change in a running daemon (config_apply_live()), applied. */
static void apply_live_config(void)
{
	log_set_level(config.log_level);
	dev_init(&(struct dev_config){
		.token_ttl_ns = config.token_ttl_ms * 1000000u,
		.max_wait_ns = config.max_wait_ms * 1000000u,
		.hang_report_ns = config.hang_report_ms * 1000000u,
	});
	dmaengine_node_set_default_timeout(config.dma.timeout_ms);
	(void)heap_system_set_limit(config.heap_limit);
	apply_limits();
	node_set_access(&config.access);
	/* Both do nothing unless their transport runs. */
	cuse_transport_apply_access();
	fuse_transport_apply_access();
}

struct reload_count {
	unsigned changed, restart;
};

static void reload_change(void *data, const char *key, const char *value,
			  bool live)
{
	struct reload_count *n = data;

	if (live) {
		n->changed++;
		log_notice("reload: %s = %s", key, value);
	} else {
		n->restart++;
		log_warn("reload: %s cannot change while running; restart "
			 "dmabufd", key);
	}
}

/*
 * SIGHUP: build a fresh configuration as at start (the file, then the
 * command line over it). A file with errors is refused as a whole, each
 * error logged, and the daemon runs on as it was; otherwise what can
 * change live is applied and every other key that changed is named.
 */
static void on_reload(void)
{
	static struct daemon_config fresh;
	struct reload_count n = { 0 };
	const char *path;

	if (daemon_state.stopping)
		return;
	if (cli.no_config) {
		log_notice("reload: --no-config: no configuration file to read");
		return;
	}
	path = cli.config_path ? cli.config_path : cli.default_config_path;
	notify_reloading();
	log_notice("reload: reading %s", path);
	if (config_load(&fresh, &cli, report_to_log, NULL) < 0) {
		log_err("reload: %s refused; the running configuration stays",
			path);
		notify_status("reload: %s refused (see the log)", path);
		notify_reloaded();
		return;
	}
	config_diff(&config, &fresh, reload_change, &n);
	/* Say it again unless it is the same missing group as before. */
	if (strcmp(config.group, fresh.group) != 0 || !config.group_missing)
		warn_group_missing(&fresh);
	config_apply_live(&config, &fresh);
	apply_live_config();
	log_notice("reload: done (%u changed, %u need a restart)", n.changed,
		   n.restart);
	notify_serving();
}

int main(int argc, char **argv)
{
	enum transport_kind transport;
	struct node_names names;
	bool auto_transport;
	char lock_path[PATH_MAX];
	int lock_fd, r;

	log_open();
	daemon_state.started_ns = clock_now_ns();
	r = cli_options_parse(argc, argv, &cli);
	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : 2;
	if (config_load(&config, &cli, report_to_stderr, NULL) < 0) {
		cli_options_free(&cli);
		return 2;
	}
	log_set_level(config.log_level);
	warn_group_missing(&config);
	node_set_access(&config.access);
	signal(SIGPIPE, SIG_IGN);

	/* config.transport stays what was configured (reload compares it). */
	transport = config.transport;
	auto_transport = transport == TRANSPORT_AUTO;
	if (transport == TRANSPORT_AUTO)
		transport = cuse_transport_available() ? TRANSPORT_CUSE
							 : TRANSPORT_FUSE;
	if (transport == TRANSPORT_CUSE && !cuse_transport_available()) {
		fprintf(stderr, "dmabufd: --transport=cuse, but /dev/cuse does "
				"not exist (modprobe cuse?)\n");
		return EXIT_FAILURE;
	}
	if (transport == TRANSPORT_FUSE && !fuse_usable()) {
		fprintf(stderr, "dmabufd: neither CUSE (/dev/cuse) nor FUSE "
				"(/dev/fuse) is usable on this system\n");
		return EXIT_FAILURE;
	}
	daemon_state.transport = transport;
	daemon_state.dev_root = config.dev_root;
	daemon_state.control = config.control;

	if (config.lock[0]) {
		snprintf(lock_path, sizeof(lock_path), "%s", config.lock);
	} else {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", config.control);
		snprintf(lock_path, sizeof(lock_path), "%s/dmabufd.lock",
			 dirname(dir));
	}
	lock_fd = take_instance_lock(lock_path);
	if (lock_fd < 0)
		return EXIT_FAILURE;

	raise_nofile_limit();
	r = heap_system_register(config.heap_limit);
	if (r < 0) {
		log_err("cannot register the system heap: %s", strerror(-r));
		return EXIT_FAILURE;
	}
	apply_limits();
	dev_init(&(struct dev_config){
		.token_ttl_ns = config.token_ttl_ms * 1000000u,
		.max_wait_ns = config.max_wait_ms * 1000000u,
		.hang_report_ns = config.hang_report_ms * 1000000u,
	});
#ifdef DMABUFD_HAVE_STM32
	/* Before the nodes: one heap node each. */
	r = stm32_setup_heaps(&config.stm32);
	if (r < 0) {
		heap_system_unregister();
		return EXIT_FAILURE;
	}
#endif
	config_node_names(&config, &names);
	r = node_registry_build(&names);
	if (r < 0) {
		fprintf(stderr, "dmabufd: cannot create the nodes: %s\n",
			strerror(-r));
#ifdef DMABUFD_HAVE_STM32
		stm32_setup_stop();
#endif
		heap_system_unregister();
		return EXIT_FAILURE;
	}

	uv_loop_init(&daemon_state.loop);
	r = loop_glue_start(&daemon_state.loop, on_signal, on_reload);
	if (r >= 0)
		r = notify_start(&daemon_state.loop);
	if (r >= 0)
		r = notify_summary_start(&daemon_state.loop, STATUS_SUMMARY_MS,
					 status_line);
	if (r >= 0)
		r = linger_start(&daemon_state.loop, 0);
	if (r >= 0) {
		kernel_sync_start(&daemon_state.loop, NULL);
		kernel_buf_start(&daemon_state.loop, NULL);
	}
	if (r >= 0) {
		make_parent_dir(config.control);
		control_set_info(fill_info);
		r = control_start(&daemon_state.loop, config.control);
	}
	if (r >= 0)
		r = dma_setup_start(&daemon_state.loop, &config.dma);
#ifdef DMABUFD_HAVE_STM32
	if (r >= 0 && config.dma.backend == DMA_BACKEND_STM32)
		r = stm32_setup_start(&daemon_state.loop, &config.stm32);
#endif
	if (r >= 0) {
		r = transport == TRANSPORT_CUSE
			    ? cuse_transport_start(&daemon_state.loop, &hooks)
			    : fuse_transport_start(&daemon_state.loop,
						   config.dev_root, &hooks);
		if (r < 0 && auto_transport && transport == TRANSPORT_CUSE &&
		    fuse_usable()) {
			log_warn("CUSE failed (%s): falling back to FUSE",
				 strerror(-r));
			transport = daemon_state.transport = TRANSPORT_FUSE;
			r = fuse_transport_start(&daemon_state.loop,
						 config.dev_root, &hooks);
		}
		if (r < 0) {
			fprintf(stderr, "dmabufd: cannot start the %s transport: "
					"%s\n",
				transport == TRANSPORT_CUSE ? "CUSE" : "FUSE",
				strerror(-r));
			/* Nothing of the transport is left to stop. */
			daemon_state.transport = TRANSPORT_AUTO;
		}
	}
	if (r < 0) {
		daemon_state.stopping = true;
		notify_status("cannot start: %s", strerror(-r));
		notify_stopping();
#ifdef DMABUFD_HAVE_STM32
		stm32_setup_stop();
#endif
		dma_setup_stop();
		linger_stop();
		kernel_sync_stop();
		kernel_buf_stop();
		control_stop();
		notify_stop();
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
	cli_options_free(&cli);
	return daemon_state.exit_status;
}
