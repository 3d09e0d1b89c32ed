/* SPDX-License-Identifier: MIT */
/*
 * The daemon's STM32 wiring (stm32_setup.h).
 *
 * Heaps are created once, before the nodes; they are destroyed at stop
 * (buffers still alive keep their region mapped until they go).
 *
 * Controllers. One slot per [stm32:NAME] section. A slot is live while its
 * stm32_dma is registered; its loop side (a uv_poll per interrupt fd, or a
 * tick timer when there is none) lives in a struct irq_watch allocated at
 * registration and freed from the close callback of its last handle, so a
 * controller that goes and comes back within one rescan never
 * re-initialises a handle libuv is still closing.
 *
 * Interrupts. An fd whose acknowledge or unmask fails stops being polled
 * (the tick takes over its streams); the other fds, the one that fired
 * included, keep being polled.
 *
 * Hotplug. One uio_watch over every UIO name a controller uses (register
 * block, DMAMUX1, interrupt devices). It is rescanned when the uevent
 * monitor's fd is readable, and by a timer every rescan_ms (unless 0)
 * whether or not the monitor works: uevents can be lost (the socket's
 * buffer overruns), a UIO device's maps appear in sysfs only after its
 * "add" uevent, and a tree on disk (tests, bring-up) sends none. A
 * removed device (gone, or its number taken by a new instance: the
 * watch's identity) takes down every live controller that uses it, which
 * stops its hardware at once; after each rescan every absent
 * controller whose register device is present is tried again (a failure
 * is logged once per distinct error). The dmaengine core tells its
 * notifiers when a controller registers, which is how requests by name
 * that were waiting for it complete.
 *
 * Threading: loop thread only.
 */
#include "stm32_setup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmaengine/dma_cq.h"
#include "stm32_dma.h"
#include "stm32_heap.h"
#include "uio.h"
#include "util/log.h"
#include "util/macros.h"

/*
 * Period of the controller's service when some stream has no interrupt
 * fd (UIO nodes without an interrupts property, fewer interrupt nodes
 * than streams, a tree on disk): such a stream's completions are seen at
 * most this late. 1 ms keeps a transfer's latency near what an interrupt
 * gives for the price of a thousand wake-ups a second (two register
 * reads each), only on such boards.
 */
#define IRQ_POLL_MS 1

/* UIO devices one controller uses: registers, DMAMUX1, interrupt nodes. */
#define MAX_DEVS (2 + STM32_SETUP_NR_STREAMS)
#define MAX_WATCH_NAMES (STM32_SETUP_MAX_CONTROLLERS * MAX_DEVS)

struct irq_watch {
	struct stm32_dma *dma;		/* NULL once closing */
	const char *name;		/* the controller's, for log lines */
	unsigned nr_polls;
	uv_poll_t polls[MAX_DEVS];
	int fds[MAX_DEVS];		/* polls[i] watches fds[i] */
	bool dropped[MAX_DEVS];		/* polls[i] stopped: its fd failed */
	uv_timer_t tick;
	bool ticking;
	bool error_logged;
	unsigned open_handles;		/* freed when the last one closed */
};

struct controller {
	const struct stm32_controller_option *opt; /* in setup.opts */
	struct stm32_dma *dma;		/* NULL: not registered */
	struct irq_watch *irq;
	unsigned nr_devs;		/* the devices it uses, while live */
	struct {
		const char *name;
		unsigned num;
	} devs[MAX_DEVS];
	int last_error;			/* of the last attempt, logged once */
};

static struct {
	uv_loop_t *loop;
	struct stm32_options opts;
	const struct uio_env *env;
	struct stm32_heap *heaps[STM32_SETUP_MAX_HEAPS];
	unsigned nr_heaps;
	struct controller ctls[STM32_SETUP_MAX_CONTROLLERS];
	struct uio_watch *watch;
	struct uio_monitor *monitor;
	uv_poll_t monitor_poll;
	uv_timer_t rescan;
	bool monitor_live, rescan_live, started, scan_error_logged;
	unsigned closing;		/* handles whose close_cb is due */
} setup;

/*
 * Where UIO lives when it is not the real place. Kept apart from setup
 * and never cleared: the UIO device of a heap buffer that outlives
 * stm32_setup_stop() still reads its env.
 */
static struct {
	char class_dir[sizeof(((struct stm32_options *)0)->uio_class_dir)];
	char dev_dir[sizeof(((struct stm32_options *)0)->uio_dev_dir)];
	struct uio_env env;
} uio_elsewhere;

void stm32_options_init(struct stm32_options *o)
{
	*o = (struct stm32_options){ .rescan_ms = 1000 };
	snprintf(o->uio_class_dir, sizeof(o->uio_class_dir), "%s",
		 UIO_CLASS_DIR);
	snprintf(o->uio_dev_dir, sizeof(o->uio_dev_dir), "%s", UIO_DEV_DIR);
}

void stm32_controller_option_init(struct stm32_controller_option *c)
{
	*c = (struct stm32_controller_option){
		.index = 0,
		.map = 0,
		.dmamux_map = 0,
		.mem2mem = true,
		.nr_descs = 64,
		.nr_requests = 128,
	};
}

/* A configured UIO name; "" and "-" stand for none. */
static bool name_set(const char *s)
{
	return s[0] && strcmp(s, "-") != 0;
}

/* The options' own env if they have one; the real env for the real
 * places (an empty string means the default); else the real ops over the
 * given directories. */
static const struct uio_env *uio_env_for(const struct stm32_options *o)
{
	const char *class_dir = o->uio_class_dir[0] ? o->uio_class_dir
						    : UIO_CLASS_DIR;
	const char *dev_dir = o->uio_dev_dir[0] ? o->uio_dev_dir : UIO_DEV_DIR;

	if (o->uio_env)
		return o->uio_env;
	if (!strcmp(class_dir, UIO_CLASS_DIR) && !strcmp(dev_dir, UIO_DEV_DIR))
		return &uio_real_env;
	snprintf(uio_elsewhere.class_dir, sizeof(uio_elsewhere.class_dir), "%s",
		 class_dir);
	snprintf(uio_elsewhere.dev_dir, sizeof(uio_elsewhere.dev_dir), "%s",
		 dev_dir);
	uio_elsewhere.env = (struct uio_env){
		.ops = &uio_real_ops,
		.class_dir = uio_elsewhere.class_dir,
		.dev_dir = uio_elsewhere.dev_dir,
	};
	return &uio_elsewhere.env;
}

static void setup_handle_closed(uv_handle_t *handle)
{
	setup.closing--;
}

static void close_setup_handle(uv_handle_t *handle)
{
	setup.closing++;
	uv_close(handle, setup_handle_closed);
}

/* ---- Heaps --------------------------------------------------------------- */

static void destroy_heaps(void)
{
	while (setup.nr_heaps > 0) {
		setup.nr_heaps--;
		stm32_heap_destroy(setup.heaps[setup.nr_heaps]);
		setup.heaps[setup.nr_heaps] = NULL;
	}
}

int stm32_setup_heaps(const struct stm32_options *o)
{
	const struct uio_env *env;

	if (!o || o->nr_heaps > STM32_SETUP_MAX_HEAPS)
		return -EINVAL;
	if (setup.nr_heaps)
		return -EBUSY;
	env = uio_env_for(o);
	for (unsigned i = 0; i < o->nr_heaps; i++) {
		const struct stm32_heap_option *h = &o->heaps[i];
		struct stm32_heap_config cfg;
		struct stm32_heap *sh;
		int r;

		stm32_heap_config_default(&cfg);
		cfg.env = env;
		cfg.uio_name = h->uio;
		cfg.map = h->map;
		r = -EINVAL;
		if (snprintf(cfg.name, sizeof(cfg.name), "%s", h->name) <
		    (int)sizeof(cfg.name))
			r = stm32_heap_create(&cfg, &sh);
		if (r < 0) {
			log_err("stm32: heap %s (UIO device \"%s\" map %u): %s%s",
				h->name, h->uio, h->map, strerror(-r),
				r == -ENODEV ? " (no such UIO device under "
					       "the configured uio-class-dir)"
					     : "");
			destroy_heaps();
			return r;
		}
		setup.heaps[setup.nr_heaps++] = sh;
		log_info("stm32: heap %s: %llu KiB at 0x%llx (UIO \"%s\" map %u)",
			 h->name,
			 (unsigned long long)(stm32_heap_size(sh) >> 10),
			 (unsigned long long)stm32_heap_phys_base(sh), h->uio,
			 h->map);
	}
	return 0;
}

/* ---- Interrupts ---------------------------------------------------------- */

static void irq_handle_closed(uv_handle_t *handle)
{
	struct irq_watch *w = handle->data;

	setup.closing--;
	if (--w->open_handles == 0)
		free(w);
}

static void irq_tick(uv_timer_t *timer);

static void irq_tick_start(struct irq_watch *w)
{
	if (w->ticking)
		return;
	uv_timer_init(setup.loop, &w->tick);
	w->tick.data = w;
	w->open_handles++;
	w->ticking = true;
	uv_timer_start(&w->tick, irq_tick, IRQ_POLL_MS, IRQ_POLL_MS);
}

/*
 * Stop polling polls[@i]: its fd failed (a level-triggered fd that stays
 * readable would spin the loop, and a line left masked never fires
 * again). The tick takes its streams over.
 */
static void irq_poll_drop(struct irq_watch *w, unsigned i, const char *why)
{
	if (w->dropped[i])
		return;
	log_warn("dma: stm32 controller %s: interrupt fd %d: %s; serviced "
		 "every %d ms from now on", w->name, w->fds[i], why,
		 IRQ_POLL_MS);
	uv_poll_stop(&w->polls[i]);
	w->dropped[i] = true;
	irq_tick_start(w);
}

/*
 * Service the controller. An error stops the polls of the fds that had
 * it, and only those: the fd that fired may be fine while another one
 * failed.
 */
static void irq_service(struct irq_watch *w)
{
	bool told = false;
	int r = stm32_dma_irq_handler(w->dma);

	if (r >= 0)
		return;
	for (unsigned i = 0; i < w->nr_polls; i++) {
		int e = stm32_dma_irq_fd_error(w->dma, w->fds[i]);

		if (e < 0) {
			irq_poll_drop(w, i, strerror(-e));
			told = true;
		}
	}
	/* The error of an fd that could not be polled at all. */
	if (!told && !w->error_logged) {
		log_warn("dma: stm32 controller %s: interrupt handling: %s",
			 w->name, strerror(-r));
		w->error_logged = true;
	}
}

static void irq_tick(uv_timer_t *timer)
{
	irq_service(timer->data);
}

/* An interrupt fd is readable, or polling it failed. */
static void irq_ready(uv_poll_t *poll, int status, int events)
{
	struct irq_watch *w = poll->data;

	if (status < 0)
		irq_poll_drop(w, (unsigned)(poll - w->polls), uv_strerror(status));
	else
		irq_service(w);
}

static int irq_watch_start(struct controller *c)
{
	struct irq_watch *w;
	int fds[MAX_DEVS + 1];
	int n = stm32_dma_irq_fds(c->dma, fds, MAX_DEVS + 1);

	if (n < 0)
		return n;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->dma = c->dma;
	w->name = c->opt->name;
	for (int i = 0; i < n && i < MAX_DEVS; i++) {
		uv_poll_t *p = &w->polls[w->nr_polls];
		int r = uv_poll_init(setup.loop, p, fds[i]);

		if (r < 0) {
			/* Not pollable (a file on disk): the tick does it. */
			log_warn("dma: stm32 controller %s: cannot poll "
				 "interrupt fd %d: %s", w->name, fds[i],
				 uv_strerror(r));
			irq_tick_start(w);
			continue;
		}
		p->data = w;
		w->fds[w->nr_polls] = fds[i];
		w->nr_polls++;
		w->open_handles++;
		r = uv_poll_start(p, UV_READABLE, irq_ready);
		if (r < 0) {
			log_warn("dma: stm32 controller %s: cannot poll "
				 "interrupt fd %d: %s", w->name, fds[i],
				 uv_strerror(r));
			w->dropped[w->nr_polls - 1] = true;
			irq_tick_start(w);
		}
	}
	/* Each stream has a line of its own and uio_pdrv_genirq takes one
	 * per node: with fewer fds than streams, some stream's interrupt
	 * reaches no one, and only the tick would see it. */
	if (n < STM32_SETUP_NR_STREAMS || n > MAX_DEVS) {
		log_info("dma: stm32 controller %s: %d interrupt fd(s) for %d "
			 "streams: serviced every %d ms as well", w->name, n,
			 STM32_SETUP_NR_STREAMS, IRQ_POLL_MS);
		irq_tick_start(w);
	}
	c->irq = w;
	return 0;
}

static void irq_watch_close(struct irq_watch *w)
{
	if (!w)
		return;
	w->dma = NULL;
	/* Closing a poll takes its fd out of epoll now; the device's fds
	 * may close right after (stm32_dma_remove). */
	for (unsigned i = 0; i < w->nr_polls; i++) {
		setup.closing++;
		uv_close((uv_handle_t *)&w->polls[i], irq_handle_closed);
	}
	if (w->ticking) {
		setup.closing++;
		uv_close((uv_handle_t *)&w->tick, irq_handle_closed);
	}
	if (w->open_handles == 0)
		free(w);
}

/* ---- Controllers ---------------------------------------------------------- */

static void controller_record_dev(struct controller *c, const char *name,
				  unsigned num)
{
	if (c->nr_devs < MAX_DEVS) {
		c->devs[c->nr_devs].name = name;
		c->devs[c->nr_devs].num = num;
		c->nr_devs++;
	}
}

/*
 * Look up the UIO devices @c needs and create it. Returns 0, -ENODEV with
 * *ret_missing naming the first device absent, or stm32_dma_create()'s
 * error.
 */
static int controller_up(struct controller *c, const char **ret_missing)
{
	const struct stm32_controller_option *o = c->opt;
	struct stm32_dma_config cfg;
	struct stm32_dma *dma;
	const char *names[MAX_DEVS];
	unsigned nums[MAX_DEVS], nr = 0;
	int r;

	stm32_dma_config_default(&cfg);
	snprintf(cfg.name, sizeof(cfg.name), "%s", o->name);
	cfg.index = o->index;
	cfg.env = setup.env;
	cfg.uio_name = o->uio;
	cfg.regs_map = o->map;
	cfg.dmamux_uio_name = name_set(o->dmamux_uio) ? o->dmamux_uio : NULL;
	cfg.dmamux_map = o->dmamux_map;
	for (unsigned i = 0; i < STM32_SETUP_NR_STREAMS; i++)
		cfg.irq_uio_names[i] = name_set(o->irq_uio[i]) ? o->irq_uio[i]
							       : NULL;
	cfg.mem2mem = o->mem2mem;
	cfg.nr_descs = o->nr_descs;
	cfg.nr_requests = o->nr_requests;
	_Static_assert(STM32_SETUP_MAX_REQUESTS == STM32_DMA_MAX_REQUESTS &&
			       (int)STM32_SETUP_TRBUFF_ON == (int)STM32_DMA_TRBUFF_ON &&
			       (int)STM32_SETUP_TRBUFF_OFF == (int)STM32_DMA_TRBUFF_OFF,
		       "the options' TRBUFF table is the driver's");
	memcpy(cfg.trbuff, o->trbuff, sizeof(cfg.trbuff));

	names[nr++] = o->uio;
	if (cfg.dmamux_uio_name)
		names[nr++] = cfg.dmamux_uio_name;
	for (unsigned i = 0; i < STM32_SETUP_NR_STREAMS; i++)
		if (cfg.irq_uio_names[i])
			names[nr++] = cfg.irq_uio_names[i];
	for (unsigned i = 0; i < nr; i++) {
		r = uio_find_by_name(setup.env, names[i], &nums[i]);
		if (r < 0) {
			*ret_missing = names[i];
			return r;
		}
	}

	r = stm32_dma_create(&cfg, &dma);
	if (r < 0)
		return r;
	c->dma = dma;
	c->nr_devs = 0;
	for (unsigned i = 0; i < nr; i++)
		controller_record_dev(c, names[i], nums[i]);
	r = irq_watch_start(c);
	if (r < 0) {
		stm32_dma_remove(dma);
		c->dma = NULL;
		return r;
	}
	log_notice("dma: stm32 controller %s registered (uio%u)", o->name,
		   nums[0]);
	return 0;
}

static void controller_down(struct controller *c, int level, const char *why)
{
	if (!c->dma)
		return;
	irq_watch_close(c->irq);
	c->irq = NULL;
	stm32_dma_remove(c->dma);
	c->dma = NULL;
	c->nr_devs = 0;
	c->last_error = 0;
	log_msg(level, "dma: stm32 controller %s removed (%s)", c->opt->name,
		why);
}

static bool controller_uses(const struct controller *c,
			    const struct uio_dev_id *id)
{
	for (unsigned i = 0; i < c->nr_devs; i++)
		if (c->devs[i].num == id->num &&
		    !strcmp(c->devs[i].name, id->name))
			return true;
	return false;
}

/*
 * Try every controller that is not registered. At start (@at_start) an
 * error other than a missing device is returned; later it is logged once
 * and tried again at the next rescan.
 */
static int controllers_up(bool at_start)
{
	for (unsigned i = 0; i < setup.opts.nr_controllers; i++) {
		struct controller *c = &setup.ctls[i];
		const char *missing = NULL;
		int r;

		if (c->dma)
			continue;
		r = controller_up(c, &missing);
		if (r == 0 || r == c->last_error) {
			c->last_error = r;
			continue;
		}
		c->last_error = r;
		if (missing && r == -ENODEV) {
			log_msg(at_start ? LOG_NOTICE : LOG_INFO,
				"dma: stm32 controller %s: waiting for UIO "
				"device \"%s\"", c->opt->name, missing);
			continue;
		}
		log_err("dma: stm32 controller %s (UIO \"%s\" map %u): %s",
			c->opt->name, c->opt->uio, c->opt->map, strerror(-r));
		if (at_start)
			return r;
	}
	return 0;
}

static void watch_event(void *userdata, enum uio_event event,
			const struct uio_dev_id *id)
{
	char why[UIO_NAME_MAX + 32];

	if (event != UIO_EVENT_REMOVE)
		return;	/* controllers_up() follows every rescan */
	snprintf(why, sizeof(why), "uio%u \"%s\" is gone", id->num, id->name);
	for (unsigned i = 0; i < setup.opts.nr_controllers; i++)
		if (controller_uses(&setup.ctls[i], id))
			controller_down(&setup.ctls[i], LOG_NOTICE, why);
}

static int rescan(bool at_start)
{
	int r = uio_watch_rescan(setup.watch, watch_event, NULL);

	if (r < 0) {
		if (!setup.scan_error_logged || at_start)
			log_err("dma: stm32: cannot list UIO devices in %s: %s",
				setup.env->class_dir, strerror(-r));
		setup.scan_error_logged = true;
		return r;
	}
	setup.scan_error_logged = false;
	return controllers_up(at_start);
}

static void rescan_tick(uv_timer_t *timer)
{
	(void)rescan(false);
}

static void monitor_ready(uv_poll_t *poll, int status, int events)
{
	if (status < 0) {
		log_warn("dma: stm32: uevent monitor: %s; rescanning %s",
			 uv_strerror(status),
			 setup.rescan_live ? "periodically only" : "no more");
		close_setup_handle((uv_handle_t *)&setup.monitor_poll);
		setup.monitor_live = false;
		setup.monitor = uio_monitor_free(setup.monitor);
		return;
	}
	if (uio_monitor_receive(setup.monitor) > 0)
		(void)rescan(false);
}

/* Refuse a configuration the hardware cannot have: one register block
 * under two names, or two controllers under one. */
static int check_controllers(const struct stm32_options *o)
{
	if (o->nr_controllers > STM32_SETUP_MAX_CONTROLLERS)
		return -EINVAL;
	for (unsigned i = 0; i < o->nr_controllers; i++) {
		const struct stm32_controller_option *c = &o->controllers[i];

		if (!c->name[0] || !name_set(c->uio) ||
		    c->index >= STM32_SETUP_MAX_CONTROLLERS) {
			log_err("dma: stm32 controller \"%s\": needs a name, a "
				"uio and an index of 0 or 1", c->name);
			return -EINVAL;
		}
		for (unsigned j = 0; j < i; j++) {
			if (c->index == o->controllers[j].index ||
			    !strcmp(c->name, o->controllers[j].name)) {
				log_err("dma: stm32 controllers %s and %s: same "
					"name or index", o->controllers[j].name,
					c->name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static void add_watch_name(const char **names, size_t *n, const char *name)
{
	if (!name_set(name))
		return;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(names[i], name))
			return;
	if (*n < MAX_WATCH_NAMES)
		names[(*n)++] = name;
}

static void stop_controllers(int level)
{
	for (unsigned i = 0; i < setup.opts.nr_controllers; i++)
		controller_down(&setup.ctls[i], level, "daemon stopping");
	/* Removal aborts the work of held channels; with the loop's wake-up
	 * possibly gone already (dma_setup_stop), run what it queued. */
	dma_cq_drain();
	if (setup.monitor_live) {
		close_setup_handle((uv_handle_t *)&setup.monitor_poll);
		setup.monitor_live = false;
	}
	setup.monitor = uio_monitor_free(setup.monitor);
	if (setup.rescan_live) {
		close_setup_handle((uv_handle_t *)&setup.rescan);
		setup.rescan_live = false;
	}
	setup.watch = uio_watch_free(setup.watch);
	memset(setup.ctls, 0, sizeof(setup.ctls));
	setup.opts.nr_controllers = 0;
	setup.started = false;
}

int stm32_setup_start(uv_loop_t *loop, const struct stm32_options *o)
{
	const char *names[MAX_WATCH_NAMES];
	size_t nr_names = 0;
	int r;

	if (!loop || !o)
		return -EINVAL;
	if (setup.started || setup.closing)
		return -EBUSY;
	r = check_controllers(o);
	if (r < 0)
		return r;
	setup.loop = loop;
	setup.opts = *o;
	setup.env = uio_env_for(&setup.opts);
	setup.started = true;
	if (o->nr_controllers == 0)
		return 0;
	for (unsigned i = 0; i < o->nr_controllers; i++) {
		const struct stm32_controller_option *c =
			&setup.opts.controllers[i];

		setup.ctls[i] = (struct controller){ .opt = c };
		add_watch_name(names, &nr_names, c->uio);
		add_watch_name(names, &nr_names, c->dmamux_uio);
		for (unsigned s = 0; s < STM32_SETUP_NR_STREAMS; s++)
			add_watch_name(names, &nr_names, c->irq_uio[s]);
	}
	r = uio_watch_new(setup.env, names, nr_names, &setup.watch);
	if (r < 0) {
		log_err("dma: stm32: cannot watch UIO devices: %s",
			strerror(-r));
		goto fail;
	}

	r = uio_monitor_new(&setup.monitor);
	if (r < 0) {
		log_info("dma: stm32: no uevent monitor (%s)", strerror(-r));
	} else {
		r = uv_poll_init(loop, &setup.monitor_poll,
				 uio_monitor_fd(setup.monitor));
		if (r >= 0) {
			setup.monitor_live = true;
			r = uv_poll_start(&setup.monitor_poll, UV_READABLE,
					  monitor_ready);
		}
		if (r < 0) {
			log_err("dma: stm32: cannot poll the uevent monitor: "
				"%s", uv_strerror(r));
			goto fail;
		}
	}
	if (o->rescan_ms) {
		uv_timer_init(loop, &setup.rescan);
		setup.rescan_live = true;
		uv_timer_start(&setup.rescan, rescan_tick, o->rescan_ms,
			       o->rescan_ms);
	} else if (!setup.monitor) {
		log_warn("dma: stm32: no uevents and rescan-ms = 0: a "
			 "controller missing now will not be seen later");
	}

	r = rescan(true);
	if (r < 0)
		goto fail;
	return 0;

fail:
	stop_controllers(LOG_INFO);
	return r;
}

void stm32_setup_stop(void)
{
	if (setup.started)
		stop_controllers(LOG_INFO);
	destroy_heaps();
}
