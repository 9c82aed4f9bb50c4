/* SPDX-License-Identifier: MIT */
#include "ring_stress.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_THREADS 16

struct lsca_ring *stress_ring_new(uint32_t nslots, uint32_t spin_ns)
{
	struct lsca_ring *r = calloc(1, sizeof(*r));
	void *map;

	if (!r || !lsca_ring_layout(r, nslots, 4096, 4)) {
		free(r);
		return NULL;
	}
	map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		free(r);
		return NULL;
	}
	r->hdr = map;
	lsca_ring_init_hdr(r, spin_ns);
	return r;
}

void stress_ring_free(struct lsca_ring *r)
{
	munmap(r->hdr, r->size);
	free(r);
}

/* Serves every submitted slot with ret = args[0] * 2 + slot, spinning
 * spin_ns then sleeping on the doorbell, until stop, like worker.c. */
struct fake_daemon {
	struct lsca_ring *r;
	uint64_t spin_ns;
	_Atomic bool stop;
	_Atomic uint64_t served;
};

static void *fake_daemon_main(void *arg)
{
	struct fake_daemon *d = arg;
	uint64_t idle = 0;

	while (!atomic_load(&d->stop)) {
		unsigned n = 0;

		for (uint32_t i = 0; i < d->r->nslots; i++) {
			struct lsca_slot *s = lsca_ring_slot(d->r, i);

			if (!lsca_slot_submitted(s))
				continue;
			uint64_t arg = s->args[0]; /* the answer overwrites it */

			s->resp.ret = (int64_t)arg * 2 + i;
			s->resp.seq = s->seq;
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
		lsca_worker_sleep(d->r, &d->stop, 0, NULL);
		idle = 0;
	}
	return NULL;
}

struct client_arg {
	struct lsca_ring *r;
	uint32_t slot;
	unsigned rounds;
	unsigned bad;
};

static void *client_main(void *arg)
{
	struct client_arg *c = arg;
	struct lsca_slot *s = lsca_ring_slot(c->r, c->slot);

	for (unsigned i = 0; i < c->rounds; i++) {
		s->args[0] = i;
		s->seq = i;
		lsca_slot_submit(c->r, s);
		if (lsca_slot_wait(c->r, s, c->r->hdr->spin_ns, NULL, NULL) < 0 ||
		    s->resp.ret != (int64_t)i * 2 + c->slot || s->resp.seq != i)
			c->bad++;
	}
	return NULL;
}

static long run_clients(struct lsca_ring *r, uint32_t first, uint32_t n, unsigned rounds)
{
	pthread_t t[MAX_THREADS];
	struct client_arg a[MAX_THREADS];
	long bad = 0;
	uint32_t started = 0;

	if (n > MAX_THREADS)
		return -1;
	for (; started < n; started++) {
		a[started] = (struct client_arg){.r = r, .slot = first + started, .rounds = rounds};
		if (pthread_create(&t[started], NULL, client_main, &a[started]))
			break;
	}
	for (uint32_t i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		bad += a[i].bad;
	}
	return started == n ? bad : bad + (long)(n - started) * rounds;
}

static long stop_daemon(struct fake_daemon *d, pthread_t t, uint64_t expect)
{
	atomic_store(&d->stop, true);
	lsca_doorbell_kick(d->r);
	pthread_join(t, NULL);
	return atomic_load(&d->served) == expect ? 0 : 1;
}

long stress_threads(uint32_t nthreads, unsigned rounds, uint64_t client_spin, uint64_t daemon_spin)
{
	struct lsca_ring *r = stress_ring_new(nthreads, (uint32_t)client_spin);
	struct fake_daemon d = {.r = r, .spin_ns = daemon_spin};
	pthread_t dt;
	long bad;

	if (!r || pthread_create(&dt, NULL, fake_daemon_main, &d))
		return -1;
	bad = run_clients(r, 0, nthreads, rounds);
	bad += stop_daemon(&d, dt, (uint64_t)nthreads * rounds);
	stress_ring_free(r);
	return bad;
}

long stress_processes(unsigned nproc, uint32_t nthreads, unsigned rounds, uint64_t spin)
{
	struct lsca_ring *r = stress_ring_new(nproc * nthreads, (uint32_t)spin);
	struct fake_daemon d = {.r = r, .spin_ns = spin};
	pid_t pids[MAX_THREADS];
	pthread_t dt;
	long bad = 0;
	int st;

	if (!r || nproc > MAX_THREADS)
		return -1;
	/* clients fork before the daemon thread exists */
	for (unsigned p = 0; p < nproc; p++) {
		pids[p] = fork();
		if (pids[p] == 0)
			_exit(run_clients(r, p * nthreads, nthreads, rounds) ? 1 : 0);
	}
	if (pthread_create(&dt, NULL, fake_daemon_main, &d))
		return -1;
	for (unsigned p = 0; p < nproc; p++)
		if (pids[p] < 0 || waitpid(pids[p], &st, 0) != pids[p] || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			bad++;
	bad += stop_daemon(&d, dt, (uint64_t)nproc * nthreads * rounds);
	stress_ring_free(r);
	return bad;
}
