/* SPDX-License-Identifier: MIT */
/*
 * One uv_timer drives the model's timer queue: whenever the earliest
 * expiry may have moved (timerq_set_notify), the uv_timer is re-armed for
 * it, rounded up to the next millisecond; when it fires, timerq_run()
 * fires every timer due and the uv_timer is re-armed for what is left.
 * SIGINT and SIGTERM go to one handler, SIGHUP to another. Once the
 * glue stops, the three are ignored: closing the last uv_signal of a
 * signal gives it back its default action, and a late SIGHUP or SIGTERM
 * must not kill a daemon that is still cleaning up.
 */
#include "loop.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "model/clock.h"
#include "util/log.h"
#include "util/macros.h"

static uv_timer_t model_timer;
static const int signums[] = { SIGINT, SIGTERM, SIGHUP };
static uv_signal_t sigs[ARRAY_SIZE(signums)];
static unsigned nr_sigs;	/* initialised, from the first */
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
	for (nr_sigs = 0; nr_sigs < ARRAY_SIZE(signums); nr_sigs++) {
		r = uv_signal_init(loop, &sigs[nr_sigs]);
		if (r < 0)
			break;
		r = uv_signal_start(&sigs[nr_sigs], signal_fired,
				    signums[nr_sigs]);
		if (r < 0) {
			nr_sigs++; /* initialised: to be closed */
			break;
		}
	}
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
	sigset_t set, old;

	if (!glue_live)
		return;
	glue_live = false;
	timerq_set_notify(NULL, NULL);
	uv_close((uv_handle_t *)&model_timer, NULL);
	/*
	 * Closing a signal's last uv_signal gives it back SIG_DFL at once;
	 * one arriving before SIG_IGN is set would kill the daemon. So the
	 * three are blocked meanwhile (other threads never take them: the
	 * mock's worker blocks every signal), and one that came in is
	 * discarded as ignored when they are unblocked.
	 */
	sigemptyset(&set);
	for (unsigned i = 0; i < ARRAY_SIZE(signums); i++)
		sigaddset(&set, signums[i]);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (unsigned i = 0; i < nr_sigs; i++) {
		uv_close((uv_handle_t *)&sigs[i], NULL);
		signal(signums[i], SIG_IGN);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	nr_sigs = 0;
}
