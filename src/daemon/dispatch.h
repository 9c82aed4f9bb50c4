/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h - per-syscall handler chains.
 *
 * A table indexed by syscall number; each entry is the ordered chain of
 * plugin handlers for that call. The built-in executor is not stored in the
 * table: dispatch_run() calls it after the pre-handlers let the call through.
 * A table is built once and then only read, so workers need no lock.
 *
 * Every handler call is guarded: a handler that crashes (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGABRT) is unwound on its worker, its owner is marked
 * broken and skipped from then on, and the call fails with EIO (a pre-
 * handler) or keeps its result (a post-handler: the call already ran).
 */
#ifndef LSCA_DISPATCH_H
#define LSCA_DISPATCH_H

#include <lsca/plugin.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "../common/sysdesc.h"

/* Handler owners (plugins) per table at most: each has one per-client
 * state pointer in a worker's array. */
#define DISPATCH_MAX_OWNERS 64

/* Who registered a handler: a plugin, or a built-in. */
struct dispatch_owner {
	const char *name;
	unsigned index;	     /* < DISPATCH_MAX_OWNERS: its per-client state slot */
	_Atomic bool broken; /* a handler crashed: skipped until the next load */
};

struct dispatch_entry {
	int priority;
	unsigned order; /* registration order: ties keep it */
	struct lsca_handler h;
	struct dispatch_owner *owner;
};

struct dispatch_chain {
	unsigned n;
	unsigned npre, npost;
	struct dispatch_entry *v;
};

struct dispatch {
	struct dispatch_chain chains[LSCA_NR_MAX];
	unsigned registered;
};

/* Set by the executor in call->flags (never seen by a plugin) when the
 * result the post-handlers must see comes later, from the client: a call
 * it handed back to the client (which runs it and posts it), or a new fd
 * whose number only the client learns (which posts it too). */
#define DISPATCH_POST_BY_CLIENT (1u << 31)

/* The executor runs the call for real and returns its result or -errno. */
typedef long (*dispatch_exec_fn)(struct lsca_call *call, void *arg);

struct dispatch *dispatch_new(void);
struct dispatch *dispatch_free(struct dispatch *d);

/* Add h to the chain of syscall nr (a proxied syscall); -EINVAL otherwise,
 * -ENOSPC when the chain is full. */
int dispatch_register(struct dispatch *d, long nr, int priority, const struct lsca_handler *h,
		      struct dispatch_owner *owner);

/* Remove every handler of owner (a plugin that failed half-way). */
void dispatch_unregister(struct dispatch *d, const struct dispatch_owner *owner);

/* Run the chain: pre-handlers by priority, the executor unless a handler
 * completed or denied, then every post-handler. states is the calling
 * client's per-owner state array (DISPATCH_MAX_OWNERS entries). Returns
 * the call's result. */
long dispatch_run(const struct dispatch *d, struct lsca_call *call, void **states,
		  dispatch_exec_fn exec, void *exec_arg);

/* An observed call (it ran in the client): only the post-handlers. */
void dispatch_observe(const struct dispatch *d, struct lsca_call *call, void **states, long result);

/* Number of handlers registered for nr; and of pre-handlers and
 * post-handlers among them. */
unsigned dispatch_chain_len(const struct dispatch *d, long nr);
unsigned dispatch_npre(const struct dispatch *d, long nr);
unsigned dispatch_npost(const struct dispatch *d, long nr);

/* Install the crash guard's signal handlers (once, in main) and give the
 * calling thread an alternate signal stack, so a handler that overflows
 * its stack is caught too (each worker, once). */
int dispatch_guard_install(void);
int dispatch_guard_thread(void);

/* Call fn(arg) under the guard, for plugin code run outside a chain
 * (client_gone, flush). Returns 0, or the signal that stopped it. */
int dispatch_guarded(void (*fn)(void *), void *arg);

#endif /* LSCA_DISPATCH_H */
