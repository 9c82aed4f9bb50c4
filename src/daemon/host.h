/* SPDX-License-Identifier: MIT */
/*
 * host.h - what lscad offers a plugin through <lsca/plugin.h>: the host
 * operations behind a plugin's context.
 */
#ifndef LSCA_HOST_H
#define LSCA_HOST_H

#include <lsca/plugin.h>

#include "dispatch.h"

struct plugin;

/* Point p's context at the host operations. */
void host_ctx_init(struct lsca_plugin_ctx *ctx, struct plugin *p);

/* Enter the handlers p registered during init() into d. Returns 0 or
 * -errno (then none of them is entered). */
int host_commit(struct plugin *p, struct dispatch *d);

/* Forget what p staged. */
void host_ctx_release(struct plugin *p);

#endif /* LSCA_HOST_H */
