/* SPDX-License-Identifier: MIT */
/*
 * ring_stress.h - many clients against a minimal daemon on one ring, with
 * no test framework: run under Check (test_ring.c), ThreadSanitizer, and
 * cross-built for aarch64 under qemu (tests/cross.sh).
 */
#ifndef LSCA_RING_STRESS_H
#define LSCA_RING_STRESS_H

#include <stdint.h>

#include "ring.h"

/* A ring in anonymous shared memory (forked clients see it, as a memfd). */
struct lsca_ring *stress_ring_new(uint32_t nslots, uint32_t spin_ns);
void stress_ring_free(struct lsca_ring *r);

/* nthreads client threads of rounds calls each against a daemon thread.
 * Returns the number of wrong or missing answers (0: all good). A lost
 * wake-up hangs: callers run this under a timeout. */
long stress_threads(uint32_t nthreads, unsigned rounds, uint64_t client_spin, uint64_t daemon_spin);

/* The same with nproc forked processes of nthreads threads each. */
long stress_processes(unsigned nproc, uint32_t nthreads, unsigned rounds, uint64_t spin);

#endif /* LSCA_RING_STRESS_H */
