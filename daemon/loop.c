/* SPDX-License-Identifier: MIT */
/*
 * One uv_timer drives the model's timer queue: whenever the earliest
 * expiry may have moved (timerq_set_notify), the uv_timer is re-armed for
 * it, rounded up to the next millisecond; when it fires, timerq_run()
 * fires every timer due and the uv_timer is re-armed for what is left.
 * SIGINT and SIGTERM go to one handler, SIGHUP to another.
 */
#include "loop.h"

#include <signal.h>
#include <stdbool.h>

#include "model/clock.h"
#include "util/log.h"

static uv_timer_t model_timer;
static uv_signal_t sig_int, sig_term, sig_hup;
static void (*signal_handler)(int signum);
static void (*reload_handler)(void);
static bool glue_live;

static void model_timer_fired(uv_timer_t *timer);

static void model_timer_rearm(void *data)
{
	uint64_t next = timerq_next(), now, delay_ms;

	if (!glue_live)
		return;
	if (next == CLOCK_NS_NEVER) {
		uv_timer_stop(&model_timer);
		return;
	}
	now = clock_now_ns();
	delay_ms = next > now ? (next - now + 999999) / 1000000 : 0;
	/* The loop's cached time may be stale: the delay is from now. */
	uv_update_time(model_timer.loop);
	uv_timer_start(&model_timer, model_timer_fired, delay_ms, 0);
}

static void model_timer_fired(uv_timer_t *timer)
{
	timerq_run(clock_now_ns());
	model_timer_rearm(NULL);
}

static void signal_fired(uv_signal_t *handle, int signum)
{
	if (signum == SIGHUP) {
		if (reload_handler)
			reload_handler();
		return;
	}
	if (signal_handler)
		signal_handler(signum);
}

int loop_glue_start(uv_loop_t *loop, void (*on_signal)(int signum),
		    void (*on_reload)(void))
{
	int r;

	signal_handler = on_signal;
	reload_handler = on_reload;
	r = uv_timer_init(loop, &model_timer);
	if (r < 0)
		return r;
	uv_signal_init(loop, &sig_int);
	uv_signal_init(loop, &sig_term);
	uv_signal_init(loop, &sig_hup);
	r = uv_signal_start(&sig_int, signal_fired, SIGINT);
	if (r >= 0)
		r = uv_signal_start(&sig_term, signal_fired, SIGTERM);
	if (r >= 0)
		r = uv_signal_start(&sig_hup, signal_fired, SIGHUP);
	glue_live = true;
	timerq_set_notify(model_timer_rearm, NULL);
	model_timer_rearm(NULL);
	if (r < 0) {
		loop_glue_stop();
		return r;
	}
	return 0;
}

void loop_glue_stop(void)
{
	if (!glue_live)
		return;
	glue_live = false;
	timerq_set_notify(NULL, NULL);
	uv_close((uv_handle_t *)&model_timer, NULL);
	uv_close((uv_handle_t *)&sig_int, NULL);
	uv_close((uv_handle_t *)&sig_term, NULL);
	uv_close((uv_handle_t *)&sig_hup, NULL);
}
