/* SPDX-License-Identifier: MIT */
/* Closing a client's fds off the loop: see fd_drop.h. */
#include "fd_drop.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static atomic_uint pending;

static void *closer(void *arg)
{
	close((int)(intptr_t)arg);
	atomic_fetch_sub(&pending, 1);
	return NULL;
}

unsigned fd_drop_pending(void)
{
	return atomic_load(&pending);
}

void fd_drop(int fd)
{
	static atomic_bool warned;
	pthread_attr_t attr;
	pthread_t thread;
	int r;

	if (fd < 0)
		return;
	atomic_fetch_add(&pending, 1);
	r = pthread_attr_init(&attr);
	if (r == 0) {
		(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		/* close() needs little stack. */
		(void)pthread_attr_setstacksize(&attr, 64 * 1024);
		r = pthread_create(&thread, &attr, closer, (void *)(intptr_t)fd);
		pthread_attr_destroy(&attr);
	}
	if (r != 0)
		atomic_fetch_sub(&pending, 1);
	if (r != 0 && !atomic_exchange(&warned, true))
		log_warn("cannot close a client's fd off the loop (%s): kept open",
			 strerror(r));
}
