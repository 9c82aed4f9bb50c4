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

/* Turn the private copy of a request into a call: pointer arguments become
 * pointers into in (input) or out (output). Returns 0, or -EFAULT /
 * -ENAMETOOLONG / -EINVAL for a request that does not hold together. */
int worker_decode(const struct lsca_sysdesc *desc, const struct lsca_req *req,
		  const unsigned char *in, uint32_t in_len, unsigned char *out, uint32_t out_cap,
		  struct lsca_call *call);

#endif /* LSCA_WORKER_H */
