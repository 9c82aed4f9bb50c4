/* SPDX-License-Identifier: MIT */
/*
 * worker.h - the data plane: one thread per client polls its ring, copies
 * each request out of shared memory once, validates the private copy and
 * runs it through the dispatch chain.
 */
#ifndef LSCA_WORKER_H
#define LSCA_WORKER_H

#include <lsca/plugin.h>
#include <stdint.h>

#include "../common/proto.h"
#include "../common/sysdesc.h"

struct client;

/* Start the worker thread of c. Returns 0 or -errno. */
int worker_start(struct client *c);

#endif /* LSCA_WORKER_H */
