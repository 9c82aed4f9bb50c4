/* SPDX-License-Identifier: MIT */
#include "ring.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>

#define RING_PAGE      4096u
#define ALIGN_UP(x, a) (((x) + (a)-1) / (a) * (a))

/* Bounds an outside party cannot exceed, whatever a config says. */
#define RING_MAX_SLOTS 1024u
#define RING_MAX_DATA  (16u << 20)
#define RING_MAX_STATS 256u

uint64_t lsca_ring_layout(struct lsca_ring *r, uint32_t nslots, uint32_t data_size, uint32_t nstats)
{
	uint64_t off;

	if (nslots == 0 || nslots > RING_MAX_SLOTS || data_size < RING_PAGE ||
	    data_size > RING_MAX_DATA || data_size % RING_PAGE || nstats == 0 ||
	    nstats > RING_MAX_STATS)
		return 0;
	r->nslots = nslots;
	r->data_size = data_size;
	r->nstats = nstats;
	off = ALIGN_UP(sizeof(struct lsca_ring_hdr), RING_PAGE);
	r->off_slots = off;
	off += (uint64_t)nslots * sizeof(struct lsca_slot);
	r->off_meta = off;
	off = ALIGN_UP(off + (uint64_t)nslots * sizeof(struct lsca_slot_meta), RING_PAGE);
	r->off_data = off;
	off += (uint64_t)nslots * data_size;
	r->off_stats = off;
	off += (uint64_t)(nslots + 1) * nstats * sizeof(struct lsca_stat);
	r->off_evlog = off = ALIGN_UP(off, RING_PAGE);
	off += (uint64_t)nslots * sizeof(struct lsca_evlog);
	r->off_events = off = ALIGN_UP(off, RING_PAGE);
	off += (uint64_t)nslots * LSCA_EVLOG_SIZE;
	r->size = ALIGN_UP(off, RING_PAGE);
	return r->size;
}

void lsca_ring_init_hdr(const struct lsca_ring *r, uint32_t spin_ns)
{
	struct lsca_ring_hdr *h = r->hdr;

	h->magic = LSCA_PROTO_MAGIC;
	h->version = LSCA_PROTO_VERSION;
	h->nslots = r->nslots;
	h->data_size = r->data_size;
	h->nstats = r->nstats;
	h->size = r->size;
	h->off_slots = r->off_slots;
	h->off_meta = r->off_meta;
	h->off_data = r->off_data;
	h->off_stats = r->off_stats;
	h->off_evlog = r->off_evlog;
	h->off_events = r->off_events;
	h->spin_ns = spin_ns;
	atomic_store_explicit(&h->worker_cpu, -1, memory_order_relaxed);
	atomic_store_explicit(&h->daemon_state, LSCA_DAEMON_RUNNING, memory_order_release);
}

bool lsca_ring_from_hdr(struct lsca_ring *r, struct lsca_ring_hdr *hdr, uint64_t mapped_size)
{
	struct lsca_ring want = {.hdr = hdr};

	if (hdr->magic != LSCA_PROTO_MAGIC || hdr->version != LSCA_PROTO_VERSION)
		return false;
	if (!lsca_ring_layout(&want, hdr->nslots, hdr->data_size, hdr->nstats))
		return false;
	if (want.size != hdr->size || want.size != mapped_size ||
	    want.off_slots != hdr->off_slots || want.off_data != hdr->off_data ||
	    want.off_stats != hdr->off_stats || want.off_evlog != hdr->off_evlog ||
	    want.off_events != hdr->off_events)
		return false;
	*r = want;
	return true;
}

int lsca_futex_wait(_Atomic uint32_t *word, uint32_t expect, uint64_t timeout_ns)
{
	struct timespec ts = {
	    .tv_sec = (time_t)(timeout_ns / 1000000000u),
	    .tv_nsec = (long)(timeout_ns % 1000000000u),
	};

	if (syscall(SYS_futex, word, FUTEX_WAIT, expect, timeout_ns ? &ts : NULL, NULL, 0) < 0)
		return -errno;
	return 0;
}

int lsca_futex_wake(_Atomic uint32_t *word, int n)
{
	long r = syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0);

	return r < 0 ? -errno : (int)r;
}

void lsca_slot_submit(const struct lsca_ring *r, struct lsca_slot *slot)
{
	struct lsca_ring_hdr *hdr = r->hdr;

	slot->cpu = (int16_t)sched_getcpu(); /* rseq: no kernel entry */
	atomic_store_explicit(&slot->state, LSCA_SLOT_SUBMITTED, memory_order_release);
	/* store state, then load worker_sleeping: pairs with the fence in
	 * lsca_worker_sleep (store flag, then load states) */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&hdr->worker_sleeping, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&hdr->doorbell, 1, memory_order_release);
		lsca_futex_wake(&hdr->doorbell, 1);
	}
}

/* How long a sleeping client waits before asking whether the daemon lives. */
#define WAIT_CHECK_NS 200000000u

/* Whether to give the CPU away: the worker last ran where we run, so it
 * cannot answer while we spin (sched_getcpu reads rseq: no kernel entry). */
static bool worker_shares_cpu(const struct lsca_ring_hdr *hdr)
{
	int me = sched_getcpu();

	return me >= 0 && me == atomic_load_explicit(&hdr->worker_cpu, memory_order_relaxed);
}

int lsca_slot_wait(const struct lsca_ring *r, struct lsca_slot *slot, uint64_t spin_ns,
		   lsca_alive_fn alive, void *arg)
{
	const struct lsca_ring_hdr *hdr = r->hdr;
	uint64_t start = 0, now;
	uint32_t s;
	unsigned n;

	for (n = 0;; n++) {
		s = atomic_load_explicit(&slot->state, memory_order_acquire);
		if (LSCA_SLOT_BASE(s) == LSCA_SLOT_DONE)
			return 0;
		/* the answer usually comes within a few hundred ns: a clock
		 * read or a pause then would only add its own length */
		if (n < LSCA_EAGER_SPINS)
			continue;
		if ((n & 63) == 0) {
			now = lsca_now_ns();
			if (!start)
				start = now;
			else if (now - start >= spin_ns)
				break;
			else if (worker_shares_cpu(hdr))
				sched_yield();
		}
		lsca_cpu_relax();
	}
	/* acq_rel: if this finds DONE, the answer is visible (acquire) */
	s = atomic_fetch_or_explicit(&slot->state, LSCA_SLOT_WAITER, memory_order_acq_rel);
	while (LSCA_SLOT_BASE(s) != LSCA_SLOT_DONE) {
		lsca_futex_wait(&slot->state, s | LSCA_SLOT_WAITER, WAIT_CHECK_NS);
		s = atomic_load_explicit(&slot->state, memory_order_acquire);
		/* woken or timed out without an answer: is anyone there? */
		if (LSCA_SLOT_BASE(s) != LSCA_SLOT_DONE && alive && !alive(arg))
			return -EPIPE;
	}
	return 0;
}

void lsca_worker_relax(uint64_t idle_ns, bool client_shares_cpu)
{
	if (idle_ns < LSCA_PURE_SPIN_NS && !client_shares_cpu)
		lsca_cpu_relax();
	else
		sched_yield();
}

bool lsca_slot_submitted(const struct lsca_slot *slot)
{
	/* acquire: the request the client wrote before publishing */
	return LSCA_SLOT_BASE(atomic_load_explicit(&slot->state, memory_order_acquire)) ==
	       LSCA_SLOT_SUBMITTED;
}

void lsca_slot_complete(struct lsca_slot *slot)
{
	uint32_t old = atomic_exchange_explicit(&slot->state, LSCA_SLOT_DONE, memory_order_acq_rel);

	if (old & LSCA_SLOT_WAITER)
		lsca_futex_wake(&slot->state, 1);
}

static bool any_submitted(const struct lsca_ring *r)
{
	for (uint32_t i = 0; i < r->nslots; i++)
		if (LSCA_SLOT_BASE(atomic_load_explicit(
			&lsca_ring_slot(r, i)->state, memory_order_acquire)) == LSCA_SLOT_SUBMITTED)
			return true;
	return false;
}

/* A log the client will not wake us for again: it passed half full. */
static bool any_log_half_full(const struct lsca_ring *r, const uint64_t *tails)
{
	for (uint32_t i = 0; tails && i < r->nslots; i++)
		if (atomic_load_explicit(&lsca_ring_evlog(r, i)->head, memory_order_acquire) -
			tails[i] >=
		    LSCA_EVLOG_SIZE / 2)
			return true;
	return false;
}

void lsca_worker_sleep(const struct lsca_ring *r, const _Atomic bool *stop, uint64_t timeout_ns,
		       const uint64_t *tails)
{
	struct lsca_ring_hdr *hdr = r->hdr;
	uint32_t bell;

	atomic_store_explicit(&hdr->worker_sleeping, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	/* the doorbell before the rescan: a client that bumps it later makes
	 * the futex wait return at once */
	bell = atomic_load_explicit(&hdr->doorbell, memory_order_acquire);
	if (!atomic_load_explicit(stop, memory_order_acquire) && !any_submitted(r) &&
	    !any_log_half_full(r, tails))
		lsca_futex_wait(&hdr->doorbell, bell, timeout_ns);
	atomic_store_explicit(&hdr->worker_sleeping, 0, memory_order_relaxed);
}

void lsca_doorbell_kick(const struct lsca_ring *r)
{
	struct lsca_ring_hdr *hdr = r->hdr;

	atomic_fetch_add_explicit(&hdr->doorbell, 1, memory_order_release);
	lsca_futex_wake(&hdr->doorbell, 1);
}

/* Make the worker look now, asleep or not. */
static __attribute__((noinline)) void wake_worker(struct lsca_ring_hdr *hdr)
{
	/* store head, then load worker_sleeping: pairs with lsca_worker_sleep */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&hdr->worker_sleeping, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&hdr->doorbell, 1, memory_order_release);
		lsca_futex_wake(&hdr->doorbell, 1);
	}
}

void *lsca_evlog_reserve(const struct lsca_ring *r, uint32_t i, uint32_t len, uint32_t *advance)
{
	struct lsca_evlog *log = lsca_ring_evlog(r, i);
	unsigned char *base = lsca_ring_events(r, i);
	/* head is ours alone; tail only grows */
	uint64_t head = atomic_load_explicit(&log->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&log->tail, memory_order_acquire);
	uint32_t pos = (uint32_t)(head % LSCA_EVLOG_SIZE), to_end = LSCA_EVLOG_SIZE - pos;
	uint32_t need = len <= to_end ? len : to_end + len;

	if (head - tail > LSCA_EVLOG_SIZE || LSCA_EVLOG_SIZE - (head - tail) < need)
		return NULL;
	*advance = need;
	if (len <= to_end)
		return base + pos;
	/* a record never wraps: fill up to the end and start over at 0 */
	struct lsca_event pad = {.len = to_end, .flags = LSCA_EV_PAD};
	memcpy(base + pos, &pad, 8); /* len, nr, flags: all a reader needs */
	return base;
}

void lsca_evlog_commit(const struct lsca_ring *r, uint32_t i, uint32_t advance)
{
	struct lsca_evlog *log = lsca_ring_evlog(r, i);
	uint64_t head = atomic_load_explicit(&log->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&log->tail, memory_order_relaxed);
	uint64_t half = LSCA_EVLOG_SIZE / 2;

	atomic_store_explicit(&log->head, head + advance, memory_order_release);
	/* wake only on crossing half full: the worker drains on its own
	 * timer otherwise, so a steady trickle costs no wake-ups */
	if (head - tail < half && head + advance - tail >= half)
		wake_worker(r->hdr);
}

int lsca_evlog_wait_room(const struct lsca_ring *r, uint32_t i, lsca_alive_fn alive, void *arg)
{
	struct lsca_evlog *log = lsca_ring_evlog(r, i);
	uint64_t head = atomic_load_explicit(&log->head, memory_order_relaxed);
	uint64_t tail0 = atomic_load_explicit(&log->tail, memory_order_acquire);
	struct timespec nap = {.tv_nsec = 20000};

	lsca_doorbell_kick(r);
	/* the worker publishes room as it goes: yield first, then nap */
	for (unsigned n = 1;; n++) {
		uint64_t tail = atomic_load_explicit(&log->tail, memory_order_acquire);

		if (tail != tail0 || head - tail < LSCA_EVLOG_SIZE / 2)
			return 0;
		if (n < 64) {
			sched_yield();
			continue;
		}
		if (n % 10000 == 0) { /* every 200 ms asleep */
			if (!alive(arg))
				return -EPIPE;
			lsca_doorbell_kick(r);
		}
		syscall(SYS_nanosleep, &nap, NULL);
	}
}
