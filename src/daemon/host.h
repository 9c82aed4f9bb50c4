/* SPDX-License-Identifier: MIT */
/*
 * host.h - what lscad offers a plugin through <lsca/plugin.h>: the host
 * operations (handler registration, logging) behind a plugin context.
 * Built-in handlers register through the very same path.
 */
#ifndef LSCA_HOST_H
#define LSCA_HOST_H

#include <lsca/plugin.h>

#include "dispatch.h"

/* A context through which the plugin called name registers into d. */
void host_ctx_init(struct lsca_plugin_ctx *ctx, struct dispatch *d, const char *name);

#endif /* LSCA_HOST_H */
