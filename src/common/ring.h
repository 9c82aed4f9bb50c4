/* SPDX-License-Identifier: MIT */
/*
 * ring.h - layout of a client ring and the slot state machine.
 *
 * Both sides use these helpers so the memory ordering lives in one place:
 * every shared field is touched with an explicit acquire, release or
 * acq_rel atomic; nothing relies on x86's strong ordering.
 */
#ifndef LSCA_RING_H
#define LSCA_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "proto.h"

/* A ring as one side holds it: the shared mapping, and its layout in
 * private memory. The layout is never read back from the shared header,
 * which the other side can overwrite at any time. */
struct lsca_ring {
	struct lsca_ring_hdr *hdr;
	uint64_t size;
	uint64_t off_slots, off_meta, off_data, off_stats, off_evlog, off_events;
	uint32_t nslots, data_size, nstats;
};

/* Compute r's layout (hdr untouched) and return the ring size in bytes, or
 * 0 when the parameters are out of range. */
uint64_t lsca_ring_layout(struct lsca_ring *r, uint32_t nslots, uint32_t data_size,
			  uint32_t nstats);

/* Daemon: write r's layout and the initial shared state into r->hdr. */
void lsca_ring_init_hdr(const struct lsca_ring *r, uint32_t spin_ns);

/* Shim: take the layout a daemon wrote into hdr, checked against the size of
 * the mapping, into r. Returns false for a header that does not hold up. */
bool lsca_ring_from_hdr(struct lsca_ring *r, struct lsca_ring_hdr *hdr, uint64_t mapped_size);

static inline struct lsca_slot *lsca_ring_slot(const struct lsca_ring *r, uint32_t i)
{
	return (struct lsca_slot *)((char *)r->hdr + r->off_slots) + i;
}

static inline struct lsca_slot_meta *lsca_ring_meta(const struct lsca_ring *r, uint32_t i)
{
	return (struct lsca_slot_meta *)((char *)r->hdr + r->off_meta) + i;
}

static inline unsigned char *lsca_ring_data(const struct lsca_ring *r, uint32_t i)
{
	return (unsigned char *)r->hdr + r->off_data + (uint64_t)i * r->data_size;
}

/* Stats row block of slot i; row nslots is the shared overflow block. */
static inline struct lsca_stat *lsca_ring_stats(const struct lsca_ring *r, uint32_t i)
{
	return (struct lsca_stat *)((char *)r->hdr + r->off_stats) + (uint64_t)i * r->nstats;
}

static inline struct lsca_evlog *lsca_ring_evlog(const struct lsca_ring *r, uint32_t i)
{
	return (struct lsca_evlog *)((char *)r->hdr + r->off_evlog) + i;
}

static inline unsigned char *lsca_ring_events(const struct lsca_ring *r, uint32_t i)
{
	return (unsigned char *)r->hdr + r->off_events + (uint64_t)i * LSCA_EVLOG_SIZE;
}

/* A round trip to an awake daemon on another CPU takes about a microsecond:
 * a worker spins this long before it starts yielding. */
#define LSCA_PURE_SPIN_NS 3000u
/* Looks at its slot a client makes before it reads the clock and pauses
 * between looks (~0.5 us). */
#define LSCA_EAGER_SPINS 256u

static inline void lsca_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static inline uint64_t lsca_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no kernel entry */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t lsca_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts); /* vDSO too */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* futex on a word of a shared (memfd) mapping: never FUTEX_PRIVATE. */
int lsca_futex_wait(_Atomic uint32_t *word, uint32_t expect, uint64_t timeout_ns);
int lsca_futex_wake(_Atomic uint32_t *word, int n);

/* ---- client side ---- */

/* Publish a filled slot; enters the kernel (to wake the worker) only when
 * the worker sleeps. */
void lsca_slot_submit(const struct lsca_ring *r, struct lsca_slot *slot);

/* Called while a client sleeps; returns false when the daemon is gone. */
typedef bool (*lsca_alive_fn)(void *arg);

/* Wait for DONE: spin for spin_ns, then sleep on the slot's futex, asking
 * alive() between sleeps. Spinning on the CPU the worker needs would only
 * delay the answer, so the client yields while the worker last ran on its
 * own CPU. Returns 0 when done, -EPIPE when alive()
 * says the daemon is gone (the slot is then abandoned). */
int lsca_slot_wait(const struct lsca_ring *r, struct lsca_slot *slot, uint64_t spin_ns,
		   lsca_alive_fn alive, void *arg);

/* Observed calls: reserve len bytes (a multiple of 8, at most
 * LSCA_EVENT_MAX) in the event log of slot i. Returns where to write the
 * record and in *advance what to commit, or NULL when the log has no room. */
void *lsca_evlog_reserve(const struct lsca_ring *r, uint32_t i, uint32_t len, uint32_t *advance);
/* Publish the reserved record; wakes the worker when the log passes half. */
void lsca_evlog_commit(const struct lsca_ring *r, uint32_t i, uint32_t advance);
/* The log is full: wake the worker and wait until it has made room.
 * Returns 0, or -EPIPE when alive() says the daemon is gone. */
int lsca_evlog_wait_room(const struct lsca_ring *r, uint32_t i, lsca_alive_fn alive, void *arg);

/* ---- daemon side ---- */

/* Whether the client has published a request in slot. A ring has one
 * worker, so nothing is claimed: the slot stays SUBMITTED until that worker
 * completes it, and the only write to its line before the answer is the
 * answer itself (a claim would cost the client a second cache-line miss). */
bool lsca_slot_submitted(const struct lsca_slot *slot);
/* Publish DONE and wake the client if it sleeps. */
void lsca_slot_complete(struct lsca_slot *slot);

/* Spin one step of an idle worker. It yields once past the pure window, or
 * at once when its last client runs on its CPU, so that client can submit. */
void lsca_worker_relax(uint64_t idle_ns, bool client_shares_cpu);

/* The worker found nothing to do: sleep (up to timeout_ns, 0 for ever)
 * until a client submits or the daemon kicks, unless a slot is already
 * submitted, an event log is half full past tails[] (the worker's own
 * consumed counts, may be NULL) or *stop is set. */
void lsca_worker_sleep(const struct lsca_ring *r, const _Atomic bool *stop, uint64_t timeout_ns,
		       const uint64_t *tails);
/* Wake a sleeping worker (the daemon's own, after setting its stop flag). */
void lsca_doorbell_kick(const struct lsca_ring *r);

#endif /* LSCA_RING_H */
