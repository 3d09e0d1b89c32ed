/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: libclient/src/control.c against a fake daemon, a thread
 * that listens on a control socket of its own ($DMABUFD_CONTROL in a
 * temporary directory), answers one request with the reply header the
 * test chose, then sends the records it announced until they are all
 * out or the client hangs up. The listings' size cap: a reply announcing
 * more than 64 MiB is refused before anything is allocated, one of
 * exactly 64 MiB arrives whole, and one past SIZE_MAX (2^36 bytes at
 * most: count < 2^20, rec_size <= 65536) is refused before it could be
 * truncated on a 32-bit host.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <dmabufd/dmabufd.h>

#define LIST_MAX_BYTES (64u << 20)
#define REC_SIZE 128u /* >= sizeof(struct dmabufd_ctl_fence) */

struct fake_daemon {
	char dir[64];
	char path[96];
	int listen_fd;
	pthread_t thread;
	struct dmabufd_ctl_reply reply; /* what to answer */
	uint32_t send_max;              /* records to send at most */
	uint64_t sent;                  /* record bytes the client took */
	int fds_before;
};

static int open_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

/* Record i (@size bytes) starts with i (32 bits), the rest is 0xa5. */
static void fill_rec(unsigned char *rec, uint32_t i, size_t size)
{
	memset(rec, 0xa5, size);
	memcpy(rec, &i, sizeof(i));
}

static void *serve(void *data)
{
	struct fake_daemon *fake = data;
	uint32_t rec_size = fake->reply.rec_size, next = 0;
	/* Messages of about 16 KB, well within the socket's buffer. */
	uint32_t per_msg = rec_size >= 16384 ? 1 : 16384 / rec_size;
	struct dmabufd_ctl_req req;
	unsigned char *msg;
	int sock;

	if (per_msg > DMABUFD_CTL_RECS_PER_MSG)
		per_msg = DMABUFD_CTL_RECS_PER_MSG;
	msg = malloc((size_t)per_msg * rec_size);
	sock = accept(fake->listen_fd, NULL, NULL);
	if (!msg || sock < 0)
		goto out;
	if (recv(sock, &req, sizeof(req), 0) == sizeof(req) &&
	    send(sock, &fake->reply, sizeof(fake->reply), MSG_NOSIGNAL) == sizeof(fake->reply)) {
		while (next < fake->send_max) {
			uint32_t n = fake->send_max - next;
			ssize_t sent;

			if (n > per_msg)
				n = per_msg;
			for (uint32_t i = 0; i < n; i++)
				fill_rec(msg + (size_t)i * rec_size, next + i, rec_size);
			sent = send(sock, msg, (size_t)n * rec_size, MSG_NOSIGNAL);
			if (sent != (ssize_t)((size_t)n * rec_size))
				break; /* the client hung up */
			fake->sent += (uint64_t)sent;
			next += n;
		}
	}
out:
	if (sock >= 0)
		close(sock);
	free(msg);
	return NULL;
}

static int fake_daemon_setup(void **state)
{
	struct fake_daemon *fake = calloc(1, sizeof(*fake));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	assert_non_null(fake);
	fake->fds_before = open_fd_count();
	snprintf(fake->dir, sizeof(fake->dir), "/tmp/dmabufd-ctl-client.XXXXXX");
	assert_non_null(mkdtemp(fake->dir));
	snprintf(fake->path, sizeof(fake->path), "%s/control", fake->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fake->path);
	fake->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(fake->listen_fd >= 0);
	assert_int_equal(bind(fake->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fake->listen_fd, 1), 0);
	assert_int_equal(setenv(DMABUFD_ENV_CONTROL, fake->path, 1), 0);
	*state = fake;
	return 0;
}

static int fake_daemon_teardown(void **state)
{
	struct fake_daemon *fake = *state;

	close(fake->listen_fd);
	unlink(fake->path);
	rmdir(fake->dir);
	unsetenv(DMABUFD_ENV_CONTROL);
	assert_int_equal(open_fd_count(), fake->fds_before);
	free(fake);
	return 0;
}

/*
 * Answer the next request announcing @count records of @rec_size bytes;
 * send @send_max of them at most, then hang up.
 */
static void fake_daemon_start(struct fake_daemon *fake, uint32_t count,
			      uint32_t rec_size, uint32_t send_max)
{
	fake->reply = (struct dmabufd_ctl_reply){
		.op = DMABUFD_CTL_FENCES,
		.size = (uint64_t)count * rec_size,
		.count = count,
		.rec_size = rec_size,
	};
	fake->send_max = send_max;
	fake->sent = 0;
	assert_int_equal(pthread_create(&fake->thread, NULL, serve, fake), 0);
}

static void fake_daemon_join(struct fake_daemon *fake)
{
	assert_int_equal(pthread_join(fake->thread, NULL), 0);
}

static void listing_over_64_mib_is_refused_before_allocating(void **state)
{
	struct fake_daemon *fake = *state;
	void *recs = (void *)0x1;
	uint32_t count = 7, size = 7;

	fake_daemon_start(fake, LIST_MAX_BYTES / REC_SIZE + 1, REC_SIZE,
			  LIST_MAX_BYTES / REC_SIZE + 1);
	assert_int_equal(dmabufd_ctl_list(DMABUFD_CTL_FENCES, &recs, &count, &size),
			 -EPROTO);
	fake_daemon_join(fake);
	/* Outputs untouched; the client hung up instead of reading. */
	assert_ptr_equal(recs, (void *)0x1);
	assert_int_equal(count, 7);
	assert_int_equal(size, 7);
	assert_true(fake->sent < (uint64_t)LIST_MAX_BYTES);
}

static void listing_of_64_mib_arrives_whole(void **state)
{
	struct fake_daemon *fake = *state;
	unsigned char want[REC_SIZE];
	uint32_t count, size;
	unsigned char *recs;

	fake_daemon_start(fake, LIST_MAX_BYTES / REC_SIZE, REC_SIZE,
			  LIST_MAX_BYTES / REC_SIZE);
	assert_int_equal(dmabufd_ctl_list(DMABUFD_CTL_FENCES, (void **)&recs, &count,
					  &size), 0);
	fake_daemon_join(fake);
	assert_int_equal(count, LIST_MAX_BYTES / REC_SIZE);
	assert_int_equal(size, REC_SIZE);
	assert_int_equal(fake->sent, LIST_MAX_BYTES);
	for (uint32_t i = 0; i < count; i++) {
		fill_rec(want, i, REC_SIZE);
		if (memcmp(recs + (size_t)i * REC_SIZE, want, REC_SIZE))
			fail_msg("record %u differs", i);
	}
	free(recs);
}

static void listing_past_size_max_is_refused_before_allocating(void **state)
{
	/* 2^20 - 1 records of 4097 bytes: 4296011775 bytes, which a 32-bit
	 * size_t truncates to 1044479. The fake daemon sends 512 records
	 * (2 MiB), past what a buffer of the truncated size could hold. */
	struct fake_daemon *fake = *state;
	uint32_t count = (1u << 20) - 1, size = 7;
	void *recs = (void *)0x1;

	fake_daemon_start(fake, count, 4097, 512);
	assert_int_equal(dmabufd_ctl_list(DMABUFD_CTL_FENCES, &recs, &count, &size),
			 -EPROTO);
	fake_daemon_join(fake);
	assert_ptr_equal(recs, (void *)0x1);
	assert_int_equal(count, (1u << 20) - 1);
	assert_int_equal(size, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(listing_over_64_mib_is_refused_before_allocating,
						fake_daemon_setup, fake_daemon_teardown),
		cmocka_unit_test_setup_teardown(listing_of_64_mib_arrives_whole,
						fake_daemon_setup, fake_daemon_teardown),
		cmocka_unit_test_setup_teardown(listing_past_size_max_is_refused_before_allocating,
						fake_daemon_setup, fake_daemon_teardown),
	};

	return cmocka_run_group_tests_name("ctl-client", tests, NULL, NULL);
}
