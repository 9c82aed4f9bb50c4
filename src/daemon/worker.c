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
#include "loader.h"
#include "../common/ring.h"
#include "client.h"
#include "exec.h"
#include "fdcache.h"
#include "log.h"
#include "lscad.h"

struct worker {
	struct client *c;
	struct plugin_set *set;		   /* the plugins we serve with (a reference) */
	void *states[DISPATCH_MAX_OWNERS]; /* each plugin's state for our client */
	uint64_t *tails;		   /* event log bytes consumed, per slot: ours */
	unsigned char *ev;		   /* private copy of one event */
	uint64_t last_drain;
	bool unflushed;	   /* handlers ran since the plugins last flushed */
	bool bad_log;	   /* the client wrote garbage into an event log: said once */
	unsigned char *in; /* private copy of a slot's input */
	uint32_t cred_epoch;
	pid_t ident_tid; /* the thread whose credentials we act with */
	bool per_thread; /* its threads' credentials differ: each as itself */
	mode_t umask;
	cpu_set_t cpus;	    /* where the daemon may run */
	unsigned colocated; /* calls in a row from a client on our CPU */
	bool moved;	    /* our affinity excludes the client's CPU */
	struct fdcache fdc; /* the client's files we keep between calls */
	unsigned calls;	    /* served: every LAT_SAMPLE-th is timed */
};

/* lscad's latency percentiles (lscactl stats) come from every 8th call:
 * two clock reads on every call's way would cost it more than they tell. */
#define LAT_SAMPLE 8

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

/* The calling thread's id, as the client wrote it for this call. Read only
 * when needed: the client has just written that line, so reading it costs
 * a cache-line transfer. */
static pid_t caller_tid(const struct worker *w, uint32_t i)
{
	return atomic_load_explicit(&lsca_ring_meta(&w->c->ring, i)->tid, memory_order_relaxed);
}

/* From now on the client runs its calls itself, for the reason why (NULL:
 * the one client_reidentify left); lscad lets go of its files. */
static void stay_direct(struct worker *w, const char *why)
{
	struct client *c = w->c;

	if (why)
		c->why_direct = why;
	c->direct_only = true;
	fdcache_clear(&w->fdc);
	log_debug("pid %d (%s): calls stay direct from now on: %s", (int)c->pid, c->comm,
		  c->why_direct);
}

/* Identity and umask are current before each call. The client announces
 * its own credential changes (cred_epoch); a privileged client is also
 * checked against the kernel before every call, so one that drops
 * privileges behind the shim's back cannot act with the old ones. Not
 * before a read, seek or stat (LSCA_S_OPENED) of a kept file on a plain
 * file system: that was decided when the file was opened, natively too.
 * (A write is checked: the kernel clears a setuid bit unless the writer
 * holds CAP_FSETID now.) Linux keeps credentials per thread: once a
 * change leaves the client's threads different, a call from another
 * thread than the last one takes that thread's. */
static void refresh_identity(struct worker *w, const struct lsca_sysdesc *d, struct lsca_call *call,
			     uint32_t i, uint32_t tag0)
{
	struct client *c = w->c;
	struct lsca_ring_hdr *h = c->ring.hdr;
	uint32_t e = atomic_load_explicit(&h->cred_epoch, memory_order_acquire);
	mode_t m = atomic_load_explicit(&h->umask, memory_order_relaxed) & 0777;
	bool check = creds_privileged(&c->creds) &&
		     !((d->flags & LSCA_S_OPENED) && d->kinds[0] == LSCA_A_FD &&
		       fdcache_plain(&w->fdc, (int)call->args[0], tag0));
	int r;

	if ((check || w->per_thread) && !call->tid)
		call->tid = caller_tid(w, i);
	/* credentials are per thread: those of the thread that called */
	if (e != w->cred_epoch || (w->per_thread && call->tid != w->ident_tid) ||
	    (check && !creds_caps_current(call->tid > 0 ? call->tid : c->pid, &c->creds))) {
		bool changed = e != w->cred_epoch;

		w->cred_epoch = e;
		if (!call->tid)
			call->tid = caller_tid(w, i);
		w->ident_tid = call->tid;
		/* glibc's set*id reaches each thread in turn: differing for
		 * a moment is not for good, so the threads are compared at
		 * every change */
		r = client_reidentify(c, call->tid, changed ? &w->per_thread : NULL);
		if (r < 0)
			stay_direct(w, NULL);
	}
	if (m != w->umask) {
		umask(m);
		w->umask = m;
	}
}

static unsigned drain_log(struct worker *w, uint32_t i);

/* Returns the CPU the client submitted from (a hint). */
static int serve(struct worker *w, uint32_t i)
{
	struct client *c = w->c;
	const struct lsca_ring *r = &c->ring;
	struct lsca_slot *slot = lsca_ring_slot(r, i);
	unsigned char *data = lsca_ring_data(r, i);
	const struct lsca_sysdesc *desc = NULL;
	struct lsca_call call = {.client = &c->info};
	struct exec_ctx ectx = {.c = c, .fdc = &w->fdc, .slot = i};
	struct lsca_resp resp = {0};
	struct lsca_req req;
	uint64_t t0 = w->calls++ % LAT_SAMPLE ? 0 : lsca_now_ns();
	int err;
	bool ran = false, watched;
	unsigned lo, hi;

	/* the one read of the request: everything below uses the copy */
	lsca_req_read(slot, &req);
	resp.seq = ectx.seq = req.seq;
	/* the client's word, trusted only to narrow: latched at first sight,
	 * so code in the sandbox cannot take it back (same line as the
	 * credential epoch, read anyway) */
	if (!c->direct_only && atomic_load_explicit(&r->hdr->sandboxed, memory_order_acquire))
		stay_direct(w, "it sandboxed itself (a seccomp filter or a Landlock ruleset)");
	if (req.nr == LSCA_NR_SANDBOXED)
		goto done;
	if (req.nr == LSCA_NR_FORGET) {
		/* the client is about to free these numbers */
		fdcache_forget(&w->fdc, req.args[0], req.args[1]);
		goto done;
	}
	desc = lsca_sysdesc(req.nr);
	if (!desc) {
		resp.ret = -ENOSYS;
		goto done;
	}
	if (req.data_len > r->data_size) {
		resp.ret = -EFAULT;
		goto done;
	}
	if (req.data_len)
		memcpy(w->in, data, req.data_len);
	err = lsca_req_decode(desc, &req, w->in, req.data_len, data, r->data_size, &call);
	if (err < 0) {
		resp.ret = err;
		goto done;
	}
	for (unsigned k = 0; k < LSCA_MAX_ARGS; k++)
		if (desc->kinds[k] == LSCA_A_FD || desc->kinds[k] == LSCA_A_DIRFD)
			ectx.tags[k] = (uint32_t)(req.args[k] >> 32);
	/* a number the client frees: let go of its file before it does,
	 * whatever the handlers decide (the shim moves the tag on anyway),
	 * so the file goes with the client's close */
	if (lsca_frees_fds(call.nr, call.args, &lo, &hi))
		fdcache_forget(&w->fdc, lo, hi);
	/* what only the plugins look at: nobody pays for it unwatched */
	watched = dispatch_chain_len(w->set->dispatch, call.nr) > 0;
	if (watched) {
		call.time_ns = lsca_realtime_ns();
		call.tid = caller_tid(w, i);
	}
	if (atomic_load_explicit(&c->execd, memory_order_acquire) && !c->direct_only) {
		/* the process is another program now; a child that kept the
		 * ring must not be served as it (its new image attaches anew) */
		stay_direct(w, "it executed a new program");
	}
	refresh_identity(w, desc, &call, i, ectx.tags[0]);
	if (c->direct_only) {
		fdcache_clear(&w->fdc); /* it runs its calls itself from now on */
		resp.flags = LSCA_RESP_DIRECT;
		goto done;
	}
	/* what this thread posted before comes first: its watchers see its
	 * calls in the order it made them */
	if (w->set->any_observe)
		w->unflushed |= drain_log(w, i) > 0;
	resp.ret = dispatch_run(w->set->dispatch, &call, w->states, exec_call, &ectx);
	ran = true;
	w->unflushed |= watched;
	resp.flags = ectx.resp_flags;
done:
	memcpy(&slot->resp, &resp, sizeof(resp));
	lsca_slot_complete(slot);
	/* p50/p99 of what lscad executed; a call handed back runs elsewhere */
	if (t0 && ran && !(resp.flags & (LSCA_RESP_DIRECT | LSCA_RESP_LOCAL)))
		lsca_lat_add(&c->lat, desc->op, lsca_now_ns() - t0);
	return req.cpu;
}

/* One event record, copied once into w->ev, checked, and shown to the
 * post-handlers. Returns false for a record that does not hold up. */
static bool observe_one(struct worker *w, uint32_t len)
{
	const struct lsca_event *ev = (const struct lsca_event *)w->ev;
	const struct lsca_sysdesc *d = lsca_sysdesc(ev->nr);
	struct lsca_call call = {.client = &w->c->info,
				 .flags = ev->flags & LSCA_EV_PROXIED ? 0 : LSCA_CALL_OBSERVED,
				 .tid = ev->tid,
				 .time_ns = ev->time_ns,
				 .latency_ns = ev->latency_ns};

	if (!d)
		return false;
	for (unsigned i = 0; i < LSCA_MAX_ARGS; i++) {
		uint64_t a = ev->args[i];

		call.kinds[i] = d->kinds[i];
		switch (d->kinds[i]) {
		case LSCA_A_PATH:
		case LSCA_A_STRING:
			if (!a) {
				call.args[i] = 0; /* the client could not read it: EFAULT */
				break;
			}
			if (a < sizeof(*ev) || a >= len || !memchr(w->ev + a, '\0', len - a))
				return false;
			call.args[i] = (long)(w->ev + a);
			break;
		case LSCA_A_INBUF:
		case LSCA_A_OUTBUF:
		case LSCA_A_IOVIN:
		case LSCA_A_IOVOUT:
		case LSCA_A_STAT:
		case LSCA_A_STATX:
		case LSCA_A_STATFS:
		case LSCA_A_TIMES:
			call.args[i] = 0; /* the bytes stayed in the client */
			break;
		case LSCA_A_FD:
		case LSCA_A_DIRFD:
			call.args[i] = (long)(int)a;
			break;
		default: /* ints, lengths, offsets' values */
			call.args[i] = (long)a;
			break;
		}
	}
	call.nr = d->nr;
	call.name = d->name;
	if (ev->ret >= -4095) /* else no call could have returned it */
		dispatch_observe(w->set->dispatch, &call, w->states, (long)ev->ret);
	if (!(ev->flags & LSCA_EV_PROXIED)) /* a proxied one was measured here */
		lsca_lat_add(&w->c->lat, d->op, ev->latency_ns);
	return true;
}

/* Take every posted event of slot i. The head is the client's word and may
 * be garbage; our tail is private and never read back. */
static unsigned drain_log(struct worker *w, uint32_t i)
{
	const struct lsca_ring *r = &w->c->ring;
	struct lsca_evlog *log = lsca_ring_evlog(r, i);
	const unsigned char *base = lsca_ring_events(r, i);
	uint64_t head = atomic_load_explicit(&log->head, memory_order_acquire);
	uint64_t tail = w->tails[i];
	unsigned n = 0;

	if (head == tail)
		return 0;
	/* our tail is always 8-aligned, so a record header never runs past
	 * the log; a head that is not makes the whole log garbage */
	if (head % 8 || head - tail > LSCA_EVLOG_SIZE)
		goto garbage;
	while (tail != head) {
		uint32_t pos = (uint32_t)(tail % LSCA_EVLOG_SIZE), len;
		struct lsca_event hdr;

		memcpy(&hdr, base + pos, 8); /* len, nr, flags */
		len = hdr.len;
		if (len < 8 || len % 8 || len > LSCA_EVLOG_SIZE - pos || len > head - tail)
			goto garbage;
		if (!(hdr.flags & LSCA_EV_PAD)) {
			if (len < sizeof(struct lsca_event) || len > LSCA_EVENT_MAX)
				goto garbage;
			memcpy(w->ev, base + pos, len);
			if (!observe_one(w, len))
				goto garbage;
			n++;
		}
		tail += len;
		/* room for a client that waits on a full log, as we go */
		if (tail - w->tails[i] >= LSCA_EVLOG_SIZE / 16) {
			w->tails[i] = tail;
			atomic_store_explicit(&log->tail, tail, memory_order_release);
		}
	}
	w->tails[i] = tail;
	atomic_store_explicit(&log->tail, tail, memory_order_release);
	return n;
garbage:
	if (!w->bad_log)
		log_warn("pid %d (%s): malformed event log; dropping what it holds", (int)w->c->pid,
			 w->c->comm);
	w->bad_log = true;
	w->tails[i] = head & ~(uint64_t)7; /* never an unaligned tail */
	atomic_store_explicit(&log->tail, w->tails[i], memory_order_release);
	return n;
}

static void drain_events(struct worker *w, uint64_t now)
{
	unsigned n = 0;

	w->last_drain = now;
	for (uint32_t i = 0; i < w->c->ring.nslots; i++)
		n += drain_log(w, i);
	w->unflushed |= n > 0;
}

static void flush_plugins(struct worker *w)
{
	if (!w->unflushed)
		return;
	w->unflushed = false;
	plugin_set_flush(w->set);
}

/* The plugins were reloaded: give the old ones our client's state back. */
static void switch_set(struct worker *w)
{
	struct plugin_set *n = lscad_plugins(w->c->d);

	flush_plugins(w);
	plugin_set_client_gone(w->set, &w->c->info, w->states);
	plugin_set_unref_deferred(w->set);
	w->set = n;
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
	/* no epoch the ring (made with 0) has: the first call re-reads the
	 * caller's identity and compares the threads, so neither a change
	 * made since the welcome nor threads that differed before the attach
	 * go unseen */
	w->cred_epoch = ~0u;
	if (creds_daemon_can_switch())
		return creds_apply_thread(&c->creds);
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker w = {.c = arg};
	struct client *c = w.c;
	struct lscad *d = c->d;
	const struct lsca_ring *ring = &c->ring;
	uint64_t idle_since = 0, now = 0;
	unsigned turns = 0;
	int r, client_cpu = -1;
	uint32_t last = 0;
	bool calls = false; /* proxied calls since we last slept */

	fdcache_init(&w.fdc);
	if (sched_getaffinity(0, sizeof(w.cpus), &w.cpus) < 0)
		CPU_ZERO(&w.cpus);
	dispatch_guard_thread();
	w.set = lscad_plugins(d);
	w.in = malloc(ring->data_size);
	w.ev = malloc(LSCA_EVENT_MAX);
	w.tails = calloc(ring->nslots, sizeof(*w.tails));
	r = w.in && w.ev && w.tails ? worker_setup(&w) : -ENOMEM;
	if (r < 0) {
		log_warn("pid %d (%s): worker setup failed (%s), calls stay direct", (int)c->pid,
			 c->comm, strerror(-r));
		c->direct_only = true;
		c->why_direct = "its worker could not take on its identity";
		if (r == -ENOMEM)
			goto out;
	}
	while (!atomic_load_explicit(&c->stop, memory_order_acquire)) {
		int cpu = sched_getcpu();
		unsigned served = 0;

		if (atomic_load_explicit(&d->plugins_gen, memory_order_acquire) != w.set->gen)
			switch_set(&w);
		/* only on change: the client reads this line while it spins */
		if (atomic_load_explicit(&ring->hdr->worker_cpu, memory_order_relaxed) != cpu)
			atomic_store_explicit(&ring->hdr->worker_cpu, cpu, memory_order_relaxed);
		for (uint32_t i = 0; i < ring->nslots; i++)
			if (lsca_slot_submitted(lsca_ring_slot(ring, i))) {
				client_cpu = serve(&w, i);
				served++;
				last = i;
			}
		/* a busy client is drained on the way, not only when we sleep;
		 * an idle turn reads the clock every 16th time: a call that
		 * comes meanwhile waits for the turn to end */
		if (w.set->any_observe || (!served && (!idle_since || ++turns % 16 == 0)))
			now = lsca_now_ns();
		if (w.set->any_observe && now - w.last_drain > LSCA_EVLOG_DRAIN_MS * 1000000ull / 8)
			drain_events(&w, now);
		if (served) {
			spread_from(&w, client_cpu, cpu);
			idle_since = 0;
			calls = true;
			continue;
		}
		/* spinning buys a proxied call a faster answer; an observing
		 * client never waits for us, so it gets no spin */
		if (calls) {
			if (!idle_since)
				idle_since = now;
			if (now - idle_since < d->set.spin_ns) {
				if (w.set->any_observe)
					drain_events(&w, now);
				/* the thread served last is the likeliest to
				 * come back: watch its slot's line alone for a
				 * while, instead of a turn over every slot */
				if (client_cpu != cpu && now - idle_since < LSCA_PURE_SPIN_NS) {
					const struct lsca_slot *hot = lsca_ring_slot(ring, last);

					for (unsigned k = 0; k < 64 && !lsca_slot_submitted(hot);
					     k++)
						lsca_cpu_relax();
					continue;
				}
				lsca_worker_relax(now - idle_since, client_cpu == cpu);
				continue;
			}
		}
		spread_reset(&w);
		drain_events(&w, now);
		flush_plugins(&w);
		lsca_worker_sleep(ring, &c->stop,
				  w.set->any_observe ? LSCA_EVLOG_DRAIN_MS * 1000000ull : 0,
				  w.tails);
		drain_events(&w, lsca_now_ns());
		idle_since = 0;
		calls = false;
	}
	/* what the client posted before it went is still in the ring */
	drain_events(&w, lsca_now_ns());
out:
	fdcache_clear(&w.fdc);
	status_lat_fold(d, &c->lat);
	flush_plugins(&w);
	plugin_set_client_gone(w.set, &c->info, w.states);
	plugin_set_unref_deferred(w.set);
	free(w.in);
	free(w.ev);
	free(w.tails);
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
