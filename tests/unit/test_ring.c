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
#include "ring_stress.h"
#include "unit.h"

static struct lsca_ring *ring_new(uint32_t nslots, uint32_t spin_ns)
{
	struct lsca_ring *r = stress_ring_new(nslots, spin_ns);

	ck_assert_ptr_nonnull(r);
	return r;
}

START_TEST(layout_bounds)
{
	struct lsca_ring h = {0};

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

/* The shim takes the layout from the header only after checking it; the
 * daemon never reads it back at all (see client.c). */
START_TEST(header_validation)
{
	struct lsca_ring *r = ring_new(8, 0), got;
	struct lsca_ring_hdr *h = r->hdr;
	uint64_t size = r->size;

	ck_assert(lsca_ring_from_hdr(&got, h, size));
	ck_assert_uint_eq(got.off_data, r->off_data);
	ck_assert_ptr_eq(got.hdr, h);
	ck_assert(!lsca_ring_from_hdr(&got, h, size + 4096));
	h->off_data += 4096;
	ck_assert(!lsca_ring_from_hdr(&got, h, size));
	h->off_data -= 4096;
	h->version++;
	ck_assert(!lsca_ring_from_hdr(&got, h, size));
	h->version--;
	h->magic = 0;
	ck_assert(!lsca_ring_from_hdr(&got, h, size));
	h->magic = LSCA_PROTO_MAGIC;
	h->nslots = 1u << 30;
	ck_assert(!lsca_ring_from_hdr(&got, h, size));
	h->nslots = 8;
	stress_ring_free(r);
}
END_TEST

START_TEST(slot_states)
{
	struct lsca_ring *r = ring_new(2, 0);
	struct lsca_slot *s = lsca_ring_slot(r, 1);
	uint32_t bell = atomic_load(&r->hdr->doorbell);

	ck_assert(!lsca_slot_submitted(s)); /* FREE */
	lsca_slot_submit(r, s);
	/* an awake worker is not rung */
	ck_assert_uint_eq(atomic_load(&r->hdr->doorbell), bell);
	ck_assert(lsca_slot_submitted(s));
	/* a client that goes to sleep keeps the request visible */
	atomic_fetch_or(&s->state, LSCA_SLOT_WAITER);
	ck_assert(lsca_slot_submitted(s));
	lsca_slot_complete(s);
	ck_assert_uint_eq(atomic_load(&s->state), LSCA_SLOT_DONE);
	ck_assert_int_eq(lsca_slot_wait(r, s, 0, NULL, NULL), 0);
	ck_assert(!lsca_slot_submitted(s)); /* DONE: served once */
	/* a sleeping one is */
	atomic_store(&r->hdr->worker_sleeping, 1);
	lsca_slot_submit(r, s);
	ck_assert_uint_eq(atomic_load(&r->hdr->doorbell), bell + 1);
	stress_ring_free(r);
}
END_TEST

static bool never_alive(void *arg)
{
	(void)arg;
	return false;
}

START_TEST(wait_gives_up_on_dead_daemon)
{
	struct lsca_ring *r = ring_new(1, 0);
	struct lsca_slot *s = lsca_ring_slot(r, 0);

	lsca_slot_submit(r, s);
	ck_assert_int_eq(lsca_slot_wait(r, s, 1000, never_alive, NULL), -EPIPE);
	ck_assert(atomic_load(&s->state) & LSCA_SLOT_WAITER);
	stress_ring_free(r);
}
END_TEST

/* Clients spinning less than the daemon takes to answer exercise every
 * sleep/wake path; any lost wake-up hangs and times the test out. */
START_TEST(stress_threads_spinning)
{
	ck_assert_int_eq(stress_threads(8, 5000, 50000, 50000), 0);
}
END_TEST

START_TEST(stress_threads_sleeping)
{
	ck_assert_int_eq(stress_threads(8, 5000, 0, 0), 0);
}
END_TEST

START_TEST(stress_processes_4x4)
{
	ck_assert_int_eq(stress_processes(4, 4, 3000, 2000), 0);
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
	tcase_add_test(st, stress_processes_4x4);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, st);
	return s;
}
