/* SPDX-License-Identifier: MIT */
#include "status.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "../common/ring.h"
#include "client.h"
#include "lscad.h"

/* A row whose numbers cannot be true is skipped; a real one never gets
 * near this many calls (10 million a second for most of a year). */
#define ROW_MAX_CALLS (1ull << 48)
/* Beyond this many clients the sampler reads the rings less often: it
 * must stay a small share of one CPU however many attach. */
#define SAMPLE_CLIENTS 256
#define RATE_WINDOW    5 /* seconds averaged for calls/s */

static uint64_t started_ns, reset_ns;
static guint sampler;
static unsigned ticks;
static struct {
	uint64_t ns, calls;
} samples[RATE_WINDOW + 1];
static unsigned nsamples;
static char sent[128];	  /* the STATUS= lscad last told systemd */
static unsigned sent_gen; /* plugins_gen when it did (a reload says its own) */
static bool sud;
static struct status_table base; /* at the last reset */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* One row the client wrote, or false when it does not hold up. */
static bool row_read(const struct lsca_stat *shared, struct lsca_stat *v)
{
	v->calls = load64(&shared->calls);
	v->errors = load64(&shared->errors);
	v->direct = load64(&shared->direct);
	v->observed = load64(&shared->observed);
	v->ns = load64(&shared->ns);
	return v->calls <= ROW_MAX_CALLS && v->errors <= v->calls && v->direct <= v->calls &&
	       v->observed <= v->calls;
}

static void row_add(struct lsca_stat *t, const struct lsca_stat *v)
{
	t->calls = sat_add(t->calls, v->calls);
	t->errors = sat_add(t->errors, v->errors);
	t->direct = sat_add(t->direct, v->direct);
	t->observed = sat_add(t->observed, v->observed);
	t->ns = sat_add(t->ns, v->ns);
}

/* The stats blocks a client's threads used: a slot never taken has no
 * counts, so only those are read; the shared overflow block (index nslots)
 * always is. (Untrusted like the counts: a lie hides only its own.) */
static bool block_used(const struct lsca_ring *r, uint32_t s)
{
	return s == r->nslots ||
	       atomic_load_explicit(&lsca_ring_meta(r, s)->used, memory_order_relaxed) != 0;
}

/* Adds the client's rows into t (per op) and returns its calls. */
static uint64_t client_rows(const struct client *c, struct lsca_stat *t)
{
	const struct lsca_ring *r = &c->ring;
	uint64_t calls = 0;

	for (uint32_t s = 0; s <= r->nslots; s++) {
		const struct lsca_stat *row;

		if (!block_used(r, s))
			continue;
		row = lsca_ring_stats(r, s);
		for (unsigned op = 0; op < LSCA_NOPS; op++) {
			struct lsca_stat v;

			if (!row_read(&row[op], &v) || !v.calls)
				continue;
			calls = sat_add(calls, v.calls);
			if (t)
				row_add(&t[op], &v);
		}
	}
	return calls;
}

uint64_t status_client_calls(const struct client *c)
{
	return client_rows(c, NULL);
}

unsigned status_client_inflight(const struct client *c)
{
	const struct lsca_ring *r = &c->ring;
	unsigned n = 0;

	for (uint32_t i = 0; i < r->nslots; i++) {
		uint32_t s = LSCA_SLOT_BASE(
		    atomic_load_explicit(&lsca_ring_slot(r, i)->state, memory_order_relaxed));

		n += s == LSCA_SLOT_SUBMITTED;
	}
	return n;
}

void status_lat_fold(struct lscad *d, const struct lsca_lat *l)
{
	pthread_mutex_lock(&d->stats_lock);
	for (unsigned op = 0; op < LSCA_NOPS; op++)
		for (unsigned b = 0; b < LSCA_LAT_BUCKETS; b++) {
			uint64_t v = atomic_load_explicit(&l->n[op][b], memory_order_relaxed);

			if (v)
				atomic_store_explicit(
				    &d->lat.n[op][b],
				    atomic_load_explicit(&d->lat.n[op][b], memory_order_relaxed) +
					v,
				    memory_order_relaxed);
		}
	pthread_mutex_unlock(&d->stats_lock);
}

/* Since start: folded plus attached. */
static void collect_raw(struct lscad *d, struct status_table *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_lock(&d->stats_lock);
	memcpy(t->op, d->stats.op, sizeof(t->op));
	for (unsigned op = 0; op < LSCA_NOPS; op++)
		for (unsigned b = 0; b < LSCA_LAT_BUCKETS; b++)
			t->lat[op][b] =
			    atomic_load_explicit(&d->lat.n[op][b], memory_order_relaxed);
	pthread_mutex_unlock(&d->stats_lock);
	for (struct client *c = d->clients; c; c = c->next) {
		client_rows(c, t->op);
		for (unsigned op = 0; op < LSCA_NOPS; op++)
			for (unsigned b = 0; b < LSCA_LAT_BUCKETS; b++)
				t->lat[op][b] +=
				    atomic_load_explicit(&c->lat.n[op][b], memory_order_relaxed);
	}
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

void status_collect(struct lscad *d, struct status_table *t)
{
	collect_raw(d, t);
	/* a client between detach and fold, or one that lowered its own
	 * counters, may put a total below the baseline: show 0, not 2^64 */
	for (unsigned op = 0; op < LSCA_NOPS; op++) {
		struct lsca_stat *o = &t->op[op];
		const struct lsca_stat *b = &base.op[op];

		o->calls = sub0(o->calls, b->calls);
		o->errors = sub0(o->errors, b->errors);
		o->direct = sub0(o->direct, b->direct);
		o->observed = sub0(o->observed, b->observed);
		o->ns = sub0(o->ns, b->ns);
		if (o->errors > o->calls || o->direct > o->calls || o->observed > o->calls)
			memset(o, 0, sizeof(*o));
		for (unsigned k = 0; k < LSCA_LAT_BUCKETS; k++)
			t->lat[op][k] = sub0(t->lat[op][k], base.lat[op][k]);
	}
}

void status_reset(struct lscad *d)
{
	collect_raw(d, &base);
	reset_ns = now_ns();
}

uint64_t status_percentile(const uint64_t *hist, double q)
{
	uint64_t n = 0, seen = 0, want;

	for (unsigned b = 0; b < LSCA_LAT_BUCKETS; b++)
		n += hist[b];
	if (!n)
		return 0;
	want = (uint64_t)(q * (double)n + 0.999999);
	if (want < 1)
		want = 1;
	for (unsigned b = 0; b < LSCA_LAT_BUCKETS; b++) {
		seen += hist[b];
		if (seen >= want)
			return b == LSCA_LAT_BUCKETS - 1 ? UINT64_MAX : (1000ull << b);
	}
	return UINT64_MAX;
}

/* Total calls since start, for the rate: no baseline, no per-op table. */
static uint64_t total_calls(struct lscad *d)
{
	uint64_t n = 0;

	pthread_mutex_lock(&d->stats_lock);
	for (unsigned op = 0; op < LSCA_NOPS; op++)
		n = sat_add(n, d->stats.op[op].calls);
	pthread_mutex_unlock(&d->stats_lock);
	for (struct client *c = d->clients; c; c = c->next)
		n = sat_add(n, client_rows(c, NULL));
	return n;
}

double status_rate(void)
{
	uint64_t dn, dt;

	if (nsamples < 2)
		return 0;
	dt = samples[nsamples - 1].ns - samples[0].ns;
	/* a client between detach and fold is in no total for a moment */
	dn = sub0(samples[nsamples - 1].calls, samples[0].calls);
	return dt ? (double)dn * 1e9 / (double)dt : 0;
}

static void sample(struct lscad *d)
{
	if (nsamples == RATE_WINDOW + 1) {
		memmove(samples, samples + 1, sizeof(samples[0]) * RATE_WINDOW);
		nsamples--;
	}
	samples[nsamples].ns = now_ns();
	samples[nsamples].calls = total_calls(d);
	nsamples++;
}

static void notify_status(struct lscad *d)
{
	unsigned gen = atomic_load(&d->plugins_gen);
	char s[sizeof(sent)];

	snprintf(s, sizeof(s), "Serving %u client%s, %.0f calls/s", d->nclients,
		 d->nclients == 1 ? "" : "s", status_rate());
	if (!strcmp(s, sent) && gen == sent_gen)
		return;
	memcpy(sent, s, sizeof(s));
	sent_gen = gen;
	sd_notifyf(0, "STATUS=%s", s);
}

static gboolean on_tick(gpointer data)
{
	struct lscad *d = data;
	unsigned every = d->nclients / SAMPLE_CLIENTS + 1;

	if (++ticks % every == 0)
		sample(d);
	notify_status(d);
	/* nothing attached and the last calls counted: sleep until a client
	 * comes (status_kick) */
	if (!d->nclients && status_rate() == 0 && nsamples > 1) {
		sampler = 0;
		nsamples = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

void status_kick(struct lscad *d)
{
	if (sampler)
		return;
	sample(d);
	sampler = g_timeout_add_seconds(1, on_tick, d);
}

int status_start(struct lscad *d)
{
	started_ns = reset_ns = now_ns();
	/* PR_SYS_DISPATCH_OFF fails with EINVAL without Syscall User Dispatch */
	sud = prctl(59 /* PR_SET_SYSCALL_USER_DISPATCH */, 0, 0, 0, 0) == 0;
	status_kick(d);
	return 0;
}

uint64_t status_uptime_s(void)
{
	return (now_ns() - started_ns) / 1000000000ull;
}

uint64_t status_since_reset_s(void)
{
	return (now_ns() - reset_ns) / 1000000000ull;
}

const char *status_interception(struct lscad *d)
{
	if (d->plugins->cfg->interception != LSCAD_INTERCEPT_COMPLETE)
		return "entry-points";
	return sud ? "complete"
		   : "entry-points (complete requested; the kernel lacks Syscall "
		     "User Dispatch)";
}
