/* SPDX-License-Identifier: MIT */
#include "worker.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/req.h"
#include "../common/ring.h"
#include "client.h"
#include "exec.h"
#include "log.h"
#include "lscad.h"

struct worker {
	struct client *c;
	unsigned char *in; /* private copy of a slot's input */
	uint32_t cred_epoch;
	mode_t umask;
	cpu_set_t cpus;	    /* where the daemon may run */
	unsigned colocated; /* calls in a row from a client on our CPU */
	bool moved;	    /* our affinity excludes the client's CPU */
};

/* A client and its worker on one CPU take turns instead of running side by
 * side (the client yields to us, we yield back). Only the daemon's thread
 * may move: after a few such calls in a row it leaves that CPU, and gets
 * all CPUs back when it next goes to sleep. */
#define COLOCATED_MOVE 4

static void spread_from(struct worker *w, int client_cpu, int cpu)
{
	cpu_set_t others;

	if (client_cpu != cpu || client_cpu < 0) {
		w->colocated = 0;
		return;
	}
	if (++w->colocated < COLOCATED_MOVE)
		return;
	w->colocated = 0;
	others = w->cpus;
	CPU_CLR(cpu, &others);
	if (CPU_COUNT(&others) && !sched_setaffinity(0, sizeof(others), &others))
		w->moved = true;
}

static void spread_reset(struct worker *w)
{
	if (w->moved && !sched_setaffinity(0, sizeof(w->cpus), &w->cpus))
		w->moved = false;
}

/* Identity and umask are current before each call. The client announces
 * its own credential changes (cred_epoch); a privileged client is also
 * checked against the kernel every call, so one that drops privileges
 * behind the shim's back cannot act with the old ones. */
static int refresh_identity(struct worker *w, pid_t tid)
{
	struct client *c = w->c;
	struct lsca_ring_hdr *h = c->ring.hdr;
	uint32_t e = atomic_load_explicit(&h->cred_epoch, memory_order_acquire);
	mode_t m = atomic_load_explicit(&h->umask, memory_order_relaxed) & 0777;
	int r;

	/* credentials are per thread: those of the thread that called */
	if (e != w->cred_epoch || (creds_privileged(&c->creds) &&
				   !creds_caps_current(tid > 0 ? tid : c->pid, &c->creds))) {
		w->cred_epoch = e;
		r = client_reidentify(c, tid);
		if (r < 0) {
			log_info("pid %d (%s): calls stay direct from now on: %s", (int)c->pid,
				 c->comm, c->why_direct);
			c->direct_only = true;
		}
	}
	if (m != w->umask) {
		umask(m);
		w->umask = m;
	}
	return 0;
}

/* Returns the CPU the client submitted from (a hint). */
static int serve(struct worker *w, uint32_t i)
{
	struct client *c = w->c;
	const struct lsca_ring *r = &c->ring;
	struct lsca_slot *slot = lsca_ring_slot(r, i);
	unsigned char *data = lsca_ring_data(r, i);
	const struct lsca_sysdesc *desc;
	struct lsca_call call = {.client = &c->info};
	struct exec_ctx ectx = {.c = c, .slot = i};
	struct lsca_resp resp = {0};
	struct lsca_req req;
	int err;

	/* the one read of the request: everything below uses the copy */
	lsca_req_read(slot, &req);
	resp.seq = ectx.seq = req.seq;
	desc = lsca_sysdesc(req.nr);
	if (!desc) {
		resp.ret = -ENOSYS;
		goto done;
	}
	if (req.data_len > r->data_size) {
		resp.ret = -EFAULT;
		goto done;
	}
	memcpy(w->in, data, req.data_len);
	err = lsca_req_decode(desc, &req, w->in, req.data_len, data, r->data_size, &call);
	if (err < 0) {
		resp.ret = err;
		goto done;
	}
	refresh_identity(w, atomic_load_explicit(&lsca_ring_meta(r, i)->tid, memory_order_relaxed));
	if (c->direct_only) {
		resp.flags = LSCA_RESP_DIRECT;
		goto done;
	}
	resp.ret = dispatch_run(c->d->dispatch, &call, exec_call, &ectx);
	resp.flags = ectx.resp_flags;
done:
	memcpy(&slot->resp, &resp, sizeof(resp));
	lsca_slot_complete(slot);
	return req.cpu;
}

static int worker_setup(struct worker *w)
{
	struct client *c = w->c;

	/* a private cwd, root and umask for this thread: the client's */
	if (unshare(CLONE_FS) < 0)
		return -errno;
	w->umask = c->creds.umask;
	umask(w->umask);
	if (c->root_fd >= 0 && (fchdir(c->root_fd) < 0 || chroot(".") < 0))
		return -errno;
	if (fchdir(c->cwd_fd) < 0)
		return -errno;
	w->cred_epoch = atomic_load_explicit(&c->ring.hdr->cred_epoch, memory_order_acquire);
	if (creds_daemon_can_switch())
		return creds_apply_thread(&c->creds);
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker w = {.c = arg};
	struct client *c = w.c;
	const struct lsca_ring *ring = &c->ring;
	uint64_t idle_since = 0, now;
	int r, client_cpu = -1;

	if (sched_getaffinity(0, sizeof(w.cpus), &w.cpus) < 0)
		CPU_ZERO(&w.cpus);
	w.in = malloc(ring->data_size);
	r = w.in ? worker_setup(&w) : -ENOMEM;
	if (r < 0) {
		log_warn("pid %d (%s): worker setup failed (%s), calls stay direct", (int)c->pid,
			 c->comm, strerror(-r));
		c->direct_only = true;
		c->why_direct = "its worker could not take on its identity";
		if (!w.in) {
			client_put(c);
			return NULL;
		}
	}
	while (!atomic_load_explicit(&c->stop, memory_order_acquire)) {
		int cpu = sched_getcpu();
		unsigned served = 0;

		/* only on change: the client reads this line while it spins */
		if (atomic_load_explicit(&ring->hdr->worker_cpu, memory_order_relaxed) != cpu)
			atomic_store_explicit(&ring->hdr->worker_cpu, cpu, memory_order_relaxed);
		for (uint32_t i = 0; i < ring->nslots; i++)
			if (lsca_slot_claim(lsca_ring_slot(ring, i))) {
				client_cpu = serve(&w, i);
				served++;
			}
		if (served)
			spread_from(&w, client_cpu, cpu);
		if (served) {
			idle_since = 0;
			continue;
		}
		now = lsca_now_ns();
		if (!idle_since)
			idle_since = now;
		if (now - idle_since < c->d->set.spin_ns) {
			lsca_worker_relax(now - idle_since, client_cpu == cpu);
			continue;
		}
		spread_reset(&w);
		lsca_worker_sleep(ring, &c->stop, 0);
		idle_since = 0;
	}
	free(w.in);
	spread_reset(&w);
	client_put(c);
	return NULL;
}

int worker_start(struct client *c)
{
	pthread_attr_t attr;
	int r;

	/* detached: nobody joins it; it drops its reference when it ends */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	atomic_store(&c->refs, 2);
	r = pthread_create(&c->thread, &attr, worker_main, c);
	pthread_attr_destroy(&attr);
	if (r) {
		atomic_store(&c->refs, 1);
		return -r;
	}
	return 0;
}
