/* SPDX-License-Identifier: MIT */
/*
 * exec.h - the built-in executor, last in every handler chain.
 *
 * It runs the call on the worker thread, which already acts as the client
 * (fs ids, groups, capabilities, cwd, root, umask). An fd argument is the
 * open file that number denotes in the client at that moment, however the
 * client got or lost it: fetched with pidfd_getfd(), or kept from an earlier
 * call under the same tag when the client can vouch that the number has not
 * changed meaning since (fdcache.h). A new fd is sent to the client over its
 * socket.
 */
#ifndef LSCA_EXEC_H
#define LSCA_EXEC_H

#include <lsca/plugin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/proto.h"

struct client;
struct fdcache;

struct exec_ctx {
	struct client *c;
	struct fdcache *fdc; /* the worker's kept files */
	uint32_t slot;
	uint32_t seq;
	uint32_t resp_flags;	      /* LSCA_RESP_* for the shim */
	uint32_t tags[LSCA_MAX_ARGS]; /* of the fd arguments (LSCA_FD_TAGGED) */
	bool uses_kept;		      /* an argument of this call is a kept file */
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
