/* SPDX-License-Identifier: MIT */
/*
 * Integration: the kernel sync selftests' stress tests (sync_stress_*.c)
 * and parallel producers/consumers, through a live daemon. Iteration
 * counts are smaller than the kernel's (every operation is a round trip
 * through FUSE or CUSE) and scale with DMABUFD_STRESS_SCALE.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "itest.h"

/* ---- two threads, one shared timeline (sync_stress_parallelism.c) ------- */

struct shared_timeline {
	int timeline;
	unsigned int iterations;
	pthread_mutex_t lock;
	unsigned int counter;
	int failed;
};

struct worker {
	struct shared_timeline *st;
	unsigned int id;
};

static void *shared_timeline_worker(void *arg)
{
	struct worker *w = arg;
	struct shared_timeline *st = w->st;

	for (unsigned int i = 0; i < st->iterations && !st->failed; i++) {
		unsigned int value = 2 * i + w->id;
		int f = dmabufd_timeline_create_fence(st->timeline, "stress", value);

		if (f < 0 || dmabufd_sync_poll(f, -1) < 0) {
			st->failed = 1;
			break;
		}
		pthread_mutex_lock(&st->lock);
		if (st->counter != value)
			st->failed = 2;
		st->counter++;
		pthread_mutex_unlock(&st->lock);
		if (dmabufd_timeline_inc(st->timeline, 1) < 0)
			st->failed = 3;
		close(f);
	}
	return NULL;
}

static void stress_two_threads_shared_timeline(void **state)
{
	struct shared_timeline st = {
		.timeline = timeline_new(),
		.iterations = stress_iters(4096),
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	struct worker w[2] = { { &st, 0 }, { &st, 1 } };
	pthread_t t[2];

	/* The first point is 0, born signaled on a fresh timeline. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, shared_timeline_worker, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.counter, 2 * st.iterations);
	close(st.timeline);
}

/* ---- multi-producer single-consumer (sync_stress_consumer.c) ------------ */

enum { PRODUCERS = 5 };

struct mpsc {
	int producer_tl[PRODUCERS];
	int consumer_tl;
	unsigned int iterations;
	pthread_mutex_t lock;
	unsigned int counter;
	atomic_int failed;
	int busy_wait;          /* producers poll FILE_INFO instead of waiting */
};

struct producer {
	struct mpsc *m;
	int id;
};

static int busy_wait_fence(int f)
{
	int status;

	do {
		if (dmabufd_sync_status(f, &status) < 0 || status < 0)
			return -1;
	} while (status == 0);
	return 0;
}

static void *mpsc_producer(void *arg)
{
	struct producer *p = arg;
	struct mpsc *m = p->m;

	for (unsigned int i = 0; i < m->iterations && !m->failed; i++) {
		int f = dmabufd_timeline_create_fence(m->consumer_tl, "consumer", i);
		int r;

		if (f < 0) {
			m->failed = 1;
			break;
		}
		/* Producer 0 busy-waits, as the selftest's "busy" variant. */
		r = (p->id == 0 && m->busy_wait) ? busy_wait_fence(f) : dmabufd_sync_wait(f, -1);
		close(f);
		if (r < 0) {
			m->failed = 2;
			break;
		}
		pthread_mutex_lock(&m->lock);
		m->counter++;
		pthread_mutex_unlock(&m->lock);
		if (dmabufd_timeline_inc(m->producer_tl[p->id], 1) < 0)
			m->failed = 3;
	}
	return NULL;
}

static void consumer_stress_multi_producer_single_consumer(void **state)
{
	struct mpsc m = {
		.iterations = stress_iters(4096),     /* the selftest's count */
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.busy_wait = 1,
	};
	struct producer p[PRODUCERS];
	pthread_t t[PRODUCERS];

	m.consumer_tl = timeline_new();
	for (int i = 0; i < PRODUCERS; i++)
		m.producer_tl[i] = timeline_new();
	for (int i = 0; i < PRODUCERS; i++) {
		p[i] = (struct producer){ &m, i };
		assert_int_equal(pthread_create(&t[i], NULL, mpsc_producer, &p[i]), 0);
	}
	/* Consumer: for it = 1..n, wait for all producers' fence it, check the
	 * counter, then release the next round. */
	for (unsigned int it = 1; it <= m.iterations && !m.failed; it++) {
		int merged = fence_new(m.producer_tl[0], it);

		for (int i = 1; i < PRODUCERS; i++) {
			int f = fence_new(m.producer_tl[i], it);
			int n = dmabufd_sync_merge(NULL, merged, f);

			assert_ok(n);
			close(f);
			close(merged);
			merged = n;
		}
		assert_ok(dmabufd_sync_wait(merged, 10000));
		assert_int_equal(fence_status(merged), 1);
		close(merged);
		pthread_mutex_lock(&m.lock);
		assert_int_equal(m.counter, PRODUCERS * it);
		pthread_mutex_unlock(&m.lock);
		assert_ok(dmabufd_timeline_inc(m.consumer_tl, 1));
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(m.failed, 0);
	assert_int_equal(m.counter, PRODUCERS * m.iterations);
	for (int i = 0; i < PRODUCERS; i++)
		close(m.producer_tl[i]);
	close(m.consumer_tl);
}

/* ---- random merge (sync_stress_merge.c) --------------------------------- */

static void merge_stress_random_merge(void **state)
{
	enum { TIMELINES = 32 };
	unsigned int merges = stress_iters(8192);
	int tl[TIMELINES], acc;
	uint32_t max[TIMELINES] = { 0 };
	int used[TIMELINES] = { 0 }, distinct = 1;
	unsigned int seed = 12345;

	for (int i = 0; i < TIMELINES; i++)
		tl[i] = timeline_new();
	/* Start with fence(tl[0], 1) as the selftest does. */
	acc = fence_new(tl[0], 1);
	used[0] = 1;
	max[0] = 1;
	for (unsigned int i = 0; i < merges; i++) {
		int t = rand_r(&seed) % TIMELINES;
		uint32_t v = (uint32_t)rand_r(&seed) % 100000 + 1;
		int f = fence_new(tl[t], v), m;

		if (!used[t]) {
			used[t] = 1;
			distinct++;
		}
		if (v > max[t])
			max[t] = v;
		m = dmabufd_sync_merge("merge", acc, f);
		assert_ok(m);
		close(f);
		close(acc);
		acc = m;
		/* One fence per timeline: the latest point. */
		if ((i & 255) == 0)
			assert_int_equal(fence_size(acc), distinct);
	}
	assert_int_equal(fence_size(acc), distinct);
	/* Advance every timeline to its max: unsignaled until the last one. */
	for (int i = 0; i < TIMELINES; i++) {
		if (!used[i])
			continue;
		assert_int_equal(poll_in(acc, 0), 0);
		assert_ok(dmabufd_timeline_inc(tl[i], max[i]));
	}
	assert_int_equal(poll_in(acc, 1000), 1);
	assert_int_equal(fence_status(acc), 1);
	close(acc);
	for (int i = 0; i < TIMELINES; i++)
		close(tl[i]);
}

/* ---- parallel producers and consumers ----------------------------------- */

enum { PP = 4, PC = 4, QUEUE = 64 };

struct pc_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct { int fd; int producer; uint32_t value; } item[QUEUE];
	unsigned int head, tail;
	unsigned int per_producer;
	atomic_uint published[PP];      /* what each producer wrote before signaling */
	atomic_uint consumed;
	atomic_int failed;
	int timeline[PP];
};

struct pc_arg {
	struct pc_queue *q;
	int id;
};

static void *pc_producer(void *arg)
{
	struct pc_arg *a = arg;
	struct pc_queue *q = a->q;

	for (uint32_t v = 1; v <= q->per_producer && !q->failed; v++) {
		int f = dmabufd_timeline_create_fence(q->timeline[a->id], "pc", v);

		if (f < 0) {
			q->failed = 1;
			return NULL;
		}
		pthread_mutex_lock(&q->lock);
		while (q->tail - q->head == QUEUE && !q->failed)
			pthread_cond_wait(&q->cond, &q->lock);
		q->item[q->tail % QUEUE].fd = f;
		q->item[q->tail % QUEUE].producer = a->id;
		q->item[q->tail % QUEUE].value = v;
		q->tail++;
		pthread_cond_broadcast(&q->cond);
		pthread_mutex_unlock(&q->lock);
		/* "Produce", then signal: a consumer must see published >= v. */
		atomic_store(&q->published[a->id], v);
		if (dmabufd_timeline_inc(q->timeline[a->id], 1) < 0)
			q->failed = 2;
	}
	return NULL;
}

static void *pc_consumer(void *arg)
{
	struct pc_arg *a = arg;
	struct pc_queue *q = a->q;
	unsigned int total = PP * q->per_producer;

	for (;;) {
		int fd, producer;
		uint32_t value;

		pthread_mutex_lock(&q->lock);
		while (q->head == q->tail && atomic_load(&q->consumed) < total && !q->failed)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->head == q->tail) {
			pthread_mutex_unlock(&q->lock);
			return NULL;
		}
		fd = q->item[q->head % QUEUE].fd;
		producer = q->item[q->head % QUEUE].producer;
		value = q->item[q->head % QUEUE].value;
		q->head++;
		atomic_fetch_add(&q->consumed, 1);
		pthread_cond_broadcast(&q->cond);
		pthread_mutex_unlock(&q->lock);

		if (dmabufd_sync_wait(fd, 10000) < 0)
			q->failed = 3;
		else if (atomic_load(&q->published[producer]) < value)
			q->failed = 4;
		close(fd);
	}
}

static void parallel_producers_and_consumers(void **state)
{
	static struct pc_queue q;
	struct pc_arg pa[PP], ca[PC];
	pthread_t pt[PP], ct[PC];

	memset(&q, 0, sizeof(q));
	pthread_mutex_init(&q.lock, NULL);
	pthread_cond_init(&q.cond, NULL);
	q.per_producer = stress_iters(1024);
	for (int i = 0; i < PP; i++)
		q.timeline[i] = timeline_new();
	for (int i = 0; i < PC; i++) {
		ca[i] = (struct pc_arg){ &q, i };
		assert_int_equal(pthread_create(&ct[i], NULL, pc_consumer, &ca[i]), 0);
	}
	for (int i = 0; i < PP; i++) {
		pa[i] = (struct pc_arg){ &q, i };
		assert_int_equal(pthread_create(&pt[i], NULL, pc_producer, &pa[i]), 0);
	}
	for (int i = 0; i < PP; i++)
		pthread_join(pt[i], NULL);
	pthread_mutex_lock(&q.lock);
	pthread_cond_broadcast(&q.cond);
	pthread_mutex_unlock(&q.lock);
	for (int i = 0; i < PC; i++)
		pthread_join(ct[i], NULL);
	assert_int_equal(q.failed, 0);
	assert_int_equal(q.consumed, PP * q.per_producer);
	for (int i = 0; i < PP; i++)
		close(q.timeline[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		itest(stress_two_threads_shared_timeline),
		itest(consumer_stress_multi_producer_single_consumer),
		itest(merge_stress_random_merge),
		itest(parallel_producers_and_consumers),
	};

	return cmocka_run_group_tests_name("stress", tests, NULL, NULL);
}
