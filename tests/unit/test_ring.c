/* SPDX-License-Identifier: MIT */
/* test_ring.c - ring layout and the slot/doorbell state machine, from one
 * thread, many threads and many processes. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ring.h"
#include "unit.h"

static struct lsca_ring_hdr *ring_new(uint32_t nslots, uint32_t spin_ns)
{
	struct lsca_ring_hdr h = {0};
	uint64_t size = lsca_ring_layout(&h, nslots, 4096, 4);
	struct lsca_ring_hdr *r;

	ck_assert_uint_gt(size, 0);
	/* MAP_SHARED: forked clients see the same ring, as with a memfd */
	r = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(r, MAP_FAILED);
	h.magic = LSCA_PROTO_MAGIC;
	h.version = LSCA_PROTO_VERSION;
	h.spin_ns = spin_ns;
	*r = h;
	atomic_store(&r->daemon_state, LSCA_DAEMON_RUNNING);
	return r;
}

static void ring_free(struct lsca_ring_hdr *r)
{
	munmap(r, r->size);
}

START_TEST(layout_bounds)
{
	struct lsca_ring_hdr h = {0};

	ck_assert_uint_eq(lsca_ring_layout(&h, 0, 4096, 4), 0);
	ck_assert_uint_eq(lsca_ring_layout(&h, 4, 1000, 4), 0);
	ck_assert_uint_eq(lsca_ring_layout(&h, 4, 4096 + 1, 4), 0);
	ck_assert_uint_eq(lsca_ring_layout(&h, 100000, 4096, 4), 0);
	ck_assert_uint_eq(lsca_ring_layout(&h, 4, 4096, 0), 0);
	ck_assert_uint_gt(lsca_ring_layout(&h, 64, 128 * 1024, 23), 0);
	ck_assert_uint_eq(h.off_slots % 4096, 0);
	ck_assert_uint_eq(h.off_data % 4096, 0);
	ck_assert_uint_ge(h.off_data, h.off_slots + 64 * sizeof(struct lsca_slot));
	ck_assert_uint_ge(h.off_stats, h.off_data + 64ull * 128 * 1024);
	ck_assert_uint_eq(h.size % 4096, 0);
}
END_TEST

START_TEST(header_validation)
{
	struct lsca_ring_hdr *r = ring_new(8, 0);
	uint64_t size = r->size;

	ck_assert(lsca_ring_hdr_valid(r, size));
	ck_assert(!lsca_ring_hdr_valid(r, size + 4096));
	r->off_data += 4096;
	ck_assert(!lsca_ring_hdr_valid(r, size));
	r->off_data -= 4096;
	r->version++;
	ck_assert(!lsca_ring_hdr_valid(r, size));
	r->version--;
	r->magic = 0;
	ck_assert(!lsca_ring_hdr_valid(r, size));
	r->magic = LSCA_PROTO_MAGIC;
	r->nslots = 1u << 30;
	ck_assert(!lsca_ring_hdr_valid(r, size));
	r->nslots = 8;
	ring_free(r);
}
END_TEST

START_TEST(slot_states)
{
	struct lsca_ring_hdr *r = ring_new(2, 0);
	struct lsca_slot *s = lsca_ring_slot(r, 1);
	uint32_t bell = atomic_load(&r->doorbell);

	ck_assert(!lsca_slot_claim(s)); /* FREE */
	lsca_slot_submit(r, s);
	ck_assert_uint_eq(atomic_load(&r->doorbell), bell + LSCA_DOORBELL_STEP);
	ck_assert(lsca_slot_claim(s));
	ck_assert(!lsca_slot_claim(s)); /* BUSY: nobody takes it twice */
	lsca_slot_complete(s);
	ck_assert_uint_eq(atomic_load(&s->state), LSCA_SLOT_DONE);
	ck_assert_int_eq(lsca_slot_wait(r, s, 0, NULL, NULL), 0);
	ck_assert(!lsca_slot_claim(s)); /* DONE */
	ring_free(r);
}
END_TEST

static bool never_alive(void *arg)
{
	(void)arg;
	return false;
}

START_TEST(wait_gives_up_on_dead_daemon)
{
	struct lsca_ring_hdr *r = ring_new(1, 0);
	struct lsca_slot *s = lsca_ring_slot(r, 0);

	lsca_slot_submit(r, s);
	ck_assert_int_eq(lsca_slot_wait(r, s, 1000, never_alive, NULL), -EPIPE);
	ck_assert(atomic_load(&s->state) & LSCA_SLOT_WAITER);
	ring_free(r);
}
END_TEST

/* A minimal daemon: serve every submitted slot with ret = args[0] * 2 + slot,
 * spinning spin_ns then sleeping on the doorbell, until *stop. */
struct fake_daemon {
	struct lsca_ring_hdr *r;
	uint64_t spin_ns;
	_Atomic bool stop;
	_Atomic uint64_t served;
};

static void *fake_daemon_main(void *arg)
{
	struct fake_daemon *d = arg;
	uint64_t idle = 0;

	while (!atomic_load(&d->stop)) {
		uint32_t seen = atomic_load_explicit(&d->r->doorbell, memory_order_acquire);
		unsigned n = 0;

		for (uint32_t i = 0; i < d->r->nslots; i++) {
			struct lsca_slot *s = lsca_ring_slot(d->r, i);

			if (!lsca_slot_claim(s))
				continue;
			s->resp.ret = (int64_t)s->req.args[0] * 2 + i;
			s->resp.seq = s->req.seq;
			lsca_slot_complete(s);
			n++;
		}
		atomic_fetch_add(&d->served, n);
		if (n) {
			idle = 0;
			continue;
		}
		if (!idle)
			idle = lsca_now_ns();
		if (lsca_now_ns() - idle < d->spin_ns)
			continue;
		lsca_doorbell_sleep(d->r, seen, 50000000);
		idle = 0;
	}
	return NULL;
}

struct client_arg {
	struct lsca_ring_hdr *r;
	uint32_t slot;
	unsigned rounds;
	unsigned bad;
};

static void *client_main(void *arg)
{
	struct client_arg *c = arg;
	struct lsca_slot *s = lsca_ring_slot(c->r, c->slot);

	for (unsigned i = 0; i < c->rounds; i++) {
		s->req.args[0] = i;
		s->req.seq = i;
		lsca_slot_submit(c->r, s);
		if (lsca_slot_wait(c->r, s, c->r->spin_ns, NULL, NULL) < 0 ||
		    s->resp.ret != (int64_t)i * 2 + c->slot || s->resp.seq != i)
			c->bad++;
	}
	return NULL;
}

static unsigned run_clients(struct lsca_ring_hdr *r, uint32_t first, uint32_t n, unsigned rounds)
{
	pthread_t t[16];
	struct client_arg a[16];
	unsigned bad = 0;

	for (uint32_t i = 0; i < n; i++) {
		a[i] = (struct client_arg){.r = r, .slot = first + i, .rounds = rounds};
		ck_assert_int_eq(pthread_create(&t[i], NULL, client_main, &a[i]), 0);
	}
	for (uint32_t i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		bad += a[i].bad;
	}
	return bad;
}

/* Clients spinning less than the daemon takes to answer exercise every
 * sleep/wake path; any lost wake-up hangs and times the test out. */
static void threads_stress(uint64_t client_spin, uint64_t daemon_spin)
{
	struct lsca_ring_hdr *r = ring_new(8, (uint32_t)client_spin);
	struct fake_daemon d = {.r = r, .spin_ns = daemon_spin};
	pthread_t dt;

	ck_assert_int_eq(pthread_create(&dt, NULL, fake_daemon_main, &d), 0);
	ck_assert_uint_eq(run_clients(r, 0, 8, 5000), 0);
	atomic_store(&d.stop, true);
	lsca_doorbell_kick(r);
	pthread_join(dt, NULL);
	ck_assert_uint_eq(atomic_load(&d.served), 8 * 5000);
	ring_free(r);
}

START_TEST(stress_threads_spinning)
{
	threads_stress(50000, 50000);
}
END_TEST

START_TEST(stress_threads_sleeping)
{
	threads_stress(0, 0);
}
END_TEST

START_TEST(stress_processes)
{
	struct lsca_ring_hdr *r = ring_new(16, 2000);
	struct fake_daemon d = {.r = r, .spin_ns = 2000};
	pid_t pids[4];
	pthread_t dt;
	int st;

	/* clients fork before the daemon thread exists: 4 processes x 4 threads */
	for (int p = 0; p < 4; p++) {
		pids[p] = fork();
		ck_assert_int_ge(pids[p], 0);
		if (pids[p] == 0)
			_exit(run_clients(r, (uint32_t)p * 4, 4, 3000) ? 1 : 0);
	}
	ck_assert_int_eq(pthread_create(&dt, NULL, fake_daemon_main, &d), 0);
	for (int p = 0; p < 4; p++) {
		ck_assert_int_eq(waitpid(pids[p], &st, 0), pids[p]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	atomic_store(&d.stop, true);
	lsca_doorbell_kick(r);
	pthread_join(dt, NULL);
	ck_assert_uint_eq(atomic_load(&d.served), 4 * 4 * 3000);
	ring_free(r);
}
END_TEST

Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("state");
	TCase *st = tcase_create("stress");

	tcase_add_test(tc, layout_bounds);
	tcase_add_test(tc, header_validation);
	tcase_add_test(tc, slot_states);
	tcase_add_test(tc, wait_gives_up_on_dead_daemon);
	tcase_set_timeout(st, 120);
	tcase_add_test(st, stress_threads_spinning);
	tcase_add_test(st, stress_threads_sleeping);
	tcase_add_test(st, stress_processes);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, st);
	return s;
}
