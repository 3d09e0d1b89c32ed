/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: libclient/src/control.c against a fake daemon, a thread
 * that listens on a control socket of its own ($DMABUFD_CONTROL in a
 * temporary directory), answers one listing request with the reply
 * header the test chose, then sends batches (proto/dmabufd/control.h,
 * version 2) of the records it was told to, the last marked END, until
 * they are all out or the client hangs up. Checked: a listing of
 * exactly 64 MiB arrives whole; one growing past it is refused (EPROTO)
 * without taking the rest; a reply with a count (version 1), a batch
 * whose header does not match its length, and a hang-up before END are
 * refused (EPROTO); the request says version 2.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
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
#define REC_SIZE 256u /* >= sizeof(struct dmabufd_ctl_fence) */

struct fake_daemon {
	char dir[64];
	char path[96];
	int listen_fd;
	pthread_t thread;
	struct dmabufd_ctl_reply reply; /* what to answer */
	uint32_t total;                 /* records in the listing */
	uint32_t send_max;              /* records to send at most */
	bool bad_count;                 /* the first batch's count is off by one */
	uint32_t version;               /* what the request said */
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
	struct dmabufd_ctl_batch *b;
	struct dmabufd_ctl_req req;
	unsigned char *msg;
	int sock;

	msg = malloc(sizeof(*b) + (size_t)DMABUFD_CTL_RECS_PER_MSG * rec_size);
	b = (void *)msg;
	sock = accept(fake->listen_fd, NULL, NULL);
	if (!msg || sock < 0)
		goto out;
	if (recv(sock, &req, sizeof(req), 0) != sizeof(req))
		goto out;
	fake->version = req.version;
	if (send(sock, &fake->reply, sizeof(fake->reply), MSG_NOSIGNAL) != sizeof(fake->reply))
		goto out;
	while (next < fake->send_max) {
		uint32_t n = fake->total - next;
		size_t len;
		ssize_t sent;

		if (n > DMABUFD_CTL_RECS_PER_MSG)
			n = DMABUFD_CTL_RECS_PER_MSG;
		if (n > fake->send_max - next)
			n = fake->send_max - next;
		*b = (struct dmabufd_ctl_batch){
			.count = n + (fake->bad_count ? 1 : 0),
			.rec_size = rec_size,
			.flags = next + n == fake->total ? DMABUFD_CTL_BATCH_END : 0,
		};
		for (uint32_t i = 0; i < n; i++)
			fill_rec(msg + sizeof(*b) + (size_t)i * rec_size, next + i, rec_size);
		len = sizeof(*b) + (size_t)n * rec_size;
		sent = send(sock, msg, len, MSG_NOSIGNAL);
		if (sent != (ssize_t)len)
			break; /* the client hung up */
		fake->sent += (uint64_t)n * rec_size;
		next += n;
		if (next == fake->total)
			break;
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
 * Answer the next request with a listing of @total records of @rec_size
 * bytes; send @send_max of them at most, then hang up.
 */
static void fake_daemon_start(struct fake_daemon *fake, uint32_t total,
			      uint32_t rec_size, uint32_t send_max)
{
	fake->reply = (struct dmabufd_ctl_reply){
		.op = DMABUFD_CTL_FENCES,
		.rec_size = rec_size,
	};
	fake->total = total;
	fake->send_max = send_max;
	fake->sent = 0;
	assert_int_equal(pthread_create(&fake->thread, NULL, serve, fake), 0);
}

static void fake_daemon_join(struct fake_daemon *fake)
{
	assert_int_equal(pthread_join(fake->thread, NULL), 0);
}

/* A failed listing leaves the outputs alone. */
static void list_fails(int want)
{
	uint32_t count = 7, size = 7;
	void *recs = (void *)0x1;

	assert_int_equal(dmabufd_ctl_list(DMABUFD_CTL_FENCES, &recs, &count, &size),
			 want);
	assert_ptr_equal(recs, (void *)0x1);
	assert_int_equal(count, 7);
	assert_int_equal(size, 7);
}

static void listing_growing_past_64_mib_is_refused(void **state)
{
	struct fake_daemon *fake = *state;
	uint32_t total = LIST_MAX_BYTES / REC_SIZE + 1;

	fake_daemon_start(fake, total, REC_SIZE, total);
	list_fails(-EPROTO);
	fake_daemon_join(fake);
}

static void listing_of_64_mib_arrives_whole(void **state)
{
	struct fake_daemon *fake = *state;
	uint32_t total = LIST_MAX_BYTES / REC_SIZE;
	unsigned char *recs, want[REC_SIZE];
	uint32_t count, size;

	fake_daemon_start(fake, total, REC_SIZE, total);
	assert_int_equal(dmabufd_ctl_list(DMABUFD_CTL_FENCES, (void **)&recs, &count,
					  &size), 0);
	fake_daemon_join(fake);
	assert_int_equal(fake->version, DMABUFD_CTL_VERSION);
	assert_int_equal(count, total);
	assert_int_equal(size, REC_SIZE);
	for (uint32_t i = 0; i < count; i++) {
		fill_rec(want, i, REC_SIZE);
		assert_memory_equal(recs + (size_t)i * REC_SIZE, want, REC_SIZE);
	}
	free(recs);
}

static void empty_listing_is_one_end_batch(void **state)
{
	struct fake_daemon *fake = *state;
	uint32_t count = 7, size = 7;
	void *recs = (void *)0x1;

	fake_daemon_start(fake, 0, REC_SIZE, 1);
	assert_int_equal(dmabufd_ctl_list(DMABUFD_CTL_FENCES, &recs, &count, &size), 0);
	fake_daemon_join(fake);
	assert_null(recs);
	assert_int_equal(count, 0);
	assert_int_equal(size, REC_SIZE);
}

/* A daemon from before the producer fields: its 120-byte fence records
 * come out of the library as this header's, the rest zero. */
static void older_daemons_shorter_records_are_widened_with_zeros(void **state)
{
	struct fake_daemon *fake = *state;
	const uint32_t old_size = offsetof(struct dmabufd_ctl_fence, producer_pid);
	const size_t full = sizeof(struct dmabufd_ctl_fence);
	unsigned char *recs, want[sizeof(struct dmabufd_ctl_fence)];
	uint32_t count, size;

	fake_daemon_start(fake, 3, old_size, 3);
	assert_int_equal(dmabufd_ctl_list(DMABUFD_CTL_FENCES, (void **)&recs, &count,
					  &size), 0);
	fake_daemon_join(fake);
	assert_int_equal(count, 3);
	assert_int_equal(size, full);
	for (uint32_t i = 0; i < count; i++) {
		memset(want, 0, sizeof(want));
		fill_rec(want, i, old_size);
		assert_memory_equal(recs + (size_t)i * full, want, full);
	}
	free(recs);
}

/* Shorter than the records first had: refused. */
static void records_shorter_than_the_first_version_are_refused(void **state)
{
	struct fake_daemon *fake = *state;

	fake_daemon_start(fake, 3, offsetof(struct dmabufd_ctl_fence, producer_pid) - 8, 3);
	list_fails(-EPROTO);
	fake_daemon_join(fake);
}

static void version_1_reply_with_a_count_is_refused(void **state)
{
	struct fake_daemon *fake = *state;

	fake_daemon_start(fake, 10, REC_SIZE, 10);
	fake->reply.count = 10;
	fake->reply.size = 10 * REC_SIZE;
	list_fails(-EPROTO);
	fake_daemon_join(fake);
}

static void batch_whose_count_is_not_its_length_is_refused(void **state)
{
	struct fake_daemon *fake = *state;

	fake->bad_count = true;
	fake_daemon_start(fake, 10, REC_SIZE, 10);
	list_fails(-EPROTO);
	fake_daemon_join(fake);
}

static void hang_up_before_the_end_batch_is_refused(void **state)
{
	struct fake_daemon *fake = *state;

	fake_daemon_start(fake, 1000, REC_SIZE, 640);
	list_fails(-EPROTO);
	fake_daemon_join(fake);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fake_daemon_setup, fake_daemon_teardown)
		T(listing_growing_past_64_mib_is_refused),
		T(listing_of_64_mib_arrives_whole),
		T(empty_listing_is_one_end_batch),
		T(older_daemons_shorter_records_are_widened_with_zeros),
		T(records_shorter_than_the_first_version_are_refused),
		T(version_1_reply_with_a_count_is_refused),
		T(batch_whose_count_is_not_its_length_is_refused),
		T(hang_up_before_the_end_batch_is_refused),
#undef T
	};

	return cmocka_run_group_tests_name("ctl-client", tests, NULL, NULL);
}
