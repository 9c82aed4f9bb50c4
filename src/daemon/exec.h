/* SPDX-License-Identifier: MIT */
/*
 * exec.h - the built-in executor, last in every handler chain.
 *
 * It runs the call on the worker thread, which already acts as the client
 * (fs ids, groups, capabilities, cwd, root, umask). An fd argument is fetched
 * from the client with pidfd_getfd() for every call, so it is always the open
 * file that number denotes in the client at that moment, however the client
 * got or lost it. A new fd is sent to the client over its socket.
 */
#ifndef LSCA_EXEC_H
#define LSCA_EXEC_H

#include <lsca/plugin.h>
#include <stddef.h>
#include <stdint.h>

struct client;

struct exec_ctx {
	struct client *c;
	uint32_t slot;
	uint32_t seq;
	uint32_t resp_flags; /* LSCA_RESP_* for the shim */
	struct lsca_call *call;
};

/* dispatch_exec_fn: returns the result or -errno; may set resp_flags
 * (DIRECT: the client must run it, LOCAL: approved, the client performs). */
long exec_call(struct lsca_call *call, void *ectx);

/* The host's resolve_path for client c: see <lsca/plugin.h>. Runs on
 * c's worker, which acts as c. */
int exec_resolve_path(struct client *c, const struct lsca_call *call, unsigned arg, char *buf,
		      size_t len);

#endif /* LSCA_EXEC_H */
