/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h - per-syscall handler chains.
 *
 * A table indexed by syscall number; each entry is the ordered chain of
 * plugin handlers for that call. The built-in executor is not stored in the
 * table: dispatch_run() calls it after the pre-handlers let the call through.
 * A table is built once and then only read, so workers need no lock.
 */
#ifndef LSCA_DISPATCH_H
#define LSCA_DISPATCH_H

#include <lsca/plugin.h>

#include "../common/sysdesc.h"

struct dispatch_entry {
	int priority;
	unsigned order; /* registration order: ties keep it */
	struct lsca_handler h;
	const char *owner;
};

struct dispatch_chain {
	unsigned n;
	struct dispatch_entry *v;
};

struct dispatch {
	struct dispatch_chain chains[LSCA_NR_MAX];
	unsigned registered;
};

/* The executor runs the call for real and returns its result or -errno. */
typedef long (*dispatch_exec_fn)(struct lsca_call *call, void *arg);

struct dispatch *dispatch_new(void);
struct dispatch *dispatch_free(struct dispatch *d);

/* Add h to the chain of syscall nr (a proxied syscall); -EINVAL otherwise. */
int dispatch_register(struct dispatch *d, long nr, int priority, const struct lsca_handler *h,
		      const char *owner);

/* Run the chain: pre-handlers by priority, the executor unless a handler
 * completed or denied, then every post-handler. Returns the call's result. */
long dispatch_run(const struct dispatch *d, struct lsca_call *call, dispatch_exec_fn exec,
		  void *exec_arg);

/* Number of handlers registered for nr. */
unsigned dispatch_chain_len(const struct dispatch *d, long nr);

#endif /* LSCA_DISPATCH_H */
