/* SPDX-License-Identifier: MIT */
/*
 * status.h - what `lscactl status`, `clients` and `stats` show.
 *
 * Counts: the clients that left were folded into lscad's summary when they
 * detached; the attached ones are read from their rings, where the shim
 * writes them (untrusted: rows that do not hold up are skipped, sums
 * saturate). A reset keeps a baseline and shows what happened since.
 *
 * Latency: the shim records only a total per syscall, so lscad measures
 * p50/p99 itself: for a proxied call, the time its worker took from taking
 * the request to publishing the answer; for an observed one, the latency
 * the client reported (untrusted, its own numbers only). Direct calls have
 * none. Each goes into a log2 histogram per syscall (bucket k holds
 * [2^(k-1), 2^k) microseconds, bucket 0 below 1 us), written by the
 * client's worker only, folded into lscad's when the worker ends.
 *
 * A sampler on the main loop counts calls per second and keeps sd_notify's
 * STATUS= current; it stops while no client is attached (idle is free).
 */
#ifndef LSCA_STATUS_H
#define LSCA_STATUS_H

#include <stdatomic.h>
#include <stdint.h>

#include "../common/proto.h"
#include "../common/sysdesc.h"

struct lscad;
struct client;

#define LSCA_LAT_BUCKETS 24 /* the last one: 2^22 us (4.2 s) and more */

struct lsca_lat {
	_Atomic uint64_t n[LSCA_NOPS][LSCA_LAT_BUCKETS];
};

static inline unsigned lsca_lat_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned b = us ? 64u - (unsigned)__builtin_clzll(us) : 0;

	return b < LSCA_LAT_BUCKETS ? b : LSCA_LAT_BUCKETS - 1;
}

/* Worker: one call of op took ns. Only the client's worker writes. */
static inline void lsca_lat_add(struct lsca_lat *l, unsigned op, uint64_t ns)
{
	_Atomic uint64_t *v = &l->n[op][lsca_lat_bucket(ns)];

	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* Worker, as it ends: add l into lscad's histograms. */
void status_lat_fold(struct lscad *d, const struct lsca_lat *l);

/* Per-syscall numbers as `stats` shows them. */
struct status_table {
	struct lsca_stat op[LSCA_NOPS];
	uint64_t lat[LSCA_NOPS][LSCA_LAT_BUCKETS];
};

/* Main loop only, from here on. */
int status_start(struct lscad *d);
/* A client attached: make sure the sampler runs. */
void status_kick(struct lscad *d);

/* Everything since start or the last reset. */
void status_collect(struct lscad *d, struct status_table *t);
void status_reset(struct lscad *d);

/* Calls of one attached client (clamped), and its slots in flight. */
uint64_t status_client_calls(const struct client *c);
unsigned status_client_inflight(const struct client *c);

/* Calls per second over the last few seconds. */
double status_rate(void);
/* Seconds since lscad started, and since the last reset. */
uint64_t status_uptime_s(void);
uint64_t status_since_reset_s(void);
/* The interception lscad asks clients for, as a phrase. */
const char *status_interception(struct lscad *d);

/* The latency below which a share q (0..1) of the n calls of a histogram
 * fall: the upper bound of that bucket, in ns; 0 when there is none. */
uint64_t status_percentile(const uint64_t *hist, double q);

#endif /* LSCA_STATUS_H */
