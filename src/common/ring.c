/* SPDX-License-Identifier: MIT */
#include "ring.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RING_PAGE      4096u
#define ALIGN_UP(x, a) (((x) + (a)-1) / (a) * (a))

/* Bounds an outside party cannot exceed, whatever a config says. */
#define RING_MAX_SLOTS 1024u
#define RING_MAX_DATA  (16u << 20)
#define RING_MAX_STATS 256u

uint64_t lsca_ring_layout(struct lsca_ring_hdr *hdr, uint32_t nslots, uint32_t data_size,
			  uint32_t nstats)
{
	uint64_t off;

	if (nslots == 0 || nslots > RING_MAX_SLOTS || data_size < RING_PAGE ||
	    data_size > RING_MAX_DATA || data_size % RING_PAGE || nstats == 0 ||
	    nstats > RING_MAX_STATS)
		return 0;
	hdr->nslots = nslots;
	hdr->data_size = data_size;
	hdr->nstats = nstats;
	off = ALIGN_UP(sizeof(*hdr), RING_PAGE);
	hdr->off_slots = off;
	off = ALIGN_UP(off + (uint64_t)nslots * sizeof(struct lsca_slot), RING_PAGE);
	hdr->off_data = off;
	off += (uint64_t)nslots * data_size;
	hdr->off_stats = off;
	off += (uint64_t)(nslots + 1) * nstats * sizeof(struct lsca_stat);
	hdr->size = ALIGN_UP(off, RING_PAGE);
	return hdr->size;
}

bool lsca_ring_hdr_valid(const struct lsca_ring_hdr *hdr, uint64_t mapped_size)
{
	struct lsca_ring_hdr want;

	if (hdr->magic != LSCA_PROTO_MAGIC || hdr->version != LSCA_PROTO_VERSION)
		return false;
	if (!lsca_ring_layout(&want, hdr->nslots, hdr->data_size, hdr->nstats))
		return false;
	return want.size == hdr->size && hdr->size == mapped_size &&
	       want.off_slots == hdr->off_slots && want.off_data == hdr->off_data &&
	       want.off_stats == hdr->off_stats;
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

void lsca_slot_submit(struct lsca_ring_hdr *hdr, struct lsca_slot *slot)
{
	uint32_t old;

	slot->req.cpu = sched_getcpu(); /* rseq: no kernel entry */
	atomic_store_explicit(&slot->state, LSCA_SLOT_SUBMITTED, memory_order_release);
	/* acq_rel: orders the state store before the doorbell for a worker
	 * that reads the doorbell with acquire and then scans the slots. */
	old = atomic_fetch_add_explicit(&hdr->doorbell, LSCA_DOORBELL_STEP, memory_order_acq_rel);
	if (old & LSCA_DOORBELL_SLEEPING)
		lsca_futex_wake(&hdr->doorbell, 1);
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

int lsca_slot_wait(struct lsca_ring_hdr *hdr, struct lsca_slot *slot, uint64_t spin_ns,
		   lsca_alive_fn alive, void *arg)
{
	uint64_t start = 0, now;
	uint32_t s;
	unsigned n;

	for (n = 0;; n++) {
		s = atomic_load_explicit(&slot->state, memory_order_acquire);
		if (LSCA_SLOT_BASE(s) == LSCA_SLOT_DONE)
			return 0;
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
	s = atomic_fetch_or_explicit(&slot->state, LSCA_SLOT_WAITER, memory_order_acq_rel);
	for (;;) {
		if (LSCA_SLOT_BASE(s) == LSCA_SLOT_DONE) {
			/* the completion's exchange replaced our flag or we set
			 * it on DONE: make sure the state reads DONE (acquire) */
			(void)atomic_load_explicit(&slot->state, memory_order_acquire);
			return 0;
		}
		if (lsca_futex_wait(&slot->state, s | LSCA_SLOT_WAITER, WAIT_CHECK_NS) ==
			-ETIMEDOUT &&
		    alive && !alive(arg))
			return -EPIPE;
		s = atomic_load_explicit(&slot->state, memory_order_acquire);
	}
}

void lsca_worker_relax(uint64_t idle_ns, bool client_shares_cpu)
{
	if (idle_ns < LSCA_PURE_SPIN_NS && !client_shares_cpu)
		lsca_cpu_relax();
	else
		sched_yield();
}

bool lsca_slot_claim(struct lsca_slot *slot)
{
	uint32_t s = atomic_load_explicit(&slot->state, memory_order_acquire);

	if (LSCA_SLOT_BASE(s) != LSCA_SLOT_SUBMITTED)
		return false;
	return atomic_compare_exchange_strong_explicit(&slot->state, &s,
						       (s & ~0xffu) | LSCA_SLOT_BUSY,
						       memory_order_acquire, memory_order_relaxed);
}

void lsca_slot_complete(struct lsca_slot *slot)
{
	uint32_t old = atomic_exchange_explicit(&slot->state, LSCA_SLOT_DONE, memory_order_acq_rel);

	if (old & LSCA_SLOT_WAITER)
		lsca_futex_wake(&slot->state, 1);
}

void lsca_doorbell_sleep(struct lsca_ring_hdr *hdr, uint32_t seen, uint64_t timeout_ns)
{
	uint32_t want = seen & ~LSCA_DOORBELL_SLEEPING;

	/* Fails when a client submitted after `seen` was read: rescan instead. */
	if (!atomic_compare_exchange_strong_explicit(&hdr->doorbell, &want,
						     want | LSCA_DOORBELL_SLEEPING,
						     memory_order_acq_rel, memory_order_acquire))
		return;
	lsca_futex_wait(&hdr->doorbell, want | LSCA_DOORBELL_SLEEPING, timeout_ns);
	atomic_fetch_and_explicit(&hdr->doorbell, ~LSCA_DOORBELL_SLEEPING, memory_order_acq_rel);
}

void lsca_doorbell_kick(struct lsca_ring_hdr *hdr)
{
	atomic_fetch_add_explicit(&hdr->doorbell, LSCA_DOORBELL_STEP, memory_order_acq_rel);
	lsca_futex_wake(&hdr->doorbell, 1);
}
