/* SPDX-License-Identifier: MIT */
#include "host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static int host_register(struct lsca_plugin_ctx *ctx, long nr, int priority,
			 const struct lsca_handler *h)
{
	int r = dispatch_register(ctx->host_data, nr, priority, h, ctx->plugin_name);

	if (r < 0)
		log_warn("plugin %s: cannot register a handler for syscall %ld: %s",
			 ctx->plugin_name, nr, r == -EINVAL ? "not a proxied syscall" : "no room");
	return r;
}

static void host_log(struct lsca_plugin_ctx *ctx, int priority, const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_msg(priority, "plugin %s: %s", ctx->plugin_name, buf);
}

static const struct lsca_host_ops host_ops = {
    .abi_version = LSCA_PLUGIN_ABI_VERSION,
    .register_handler = host_register,
    .log = host_log,
};

void host_ctx_init(struct lsca_plugin_ctx *ctx, struct dispatch *d, const char *name)
{
	*ctx = (struct lsca_plugin_ctx){.ops = &host_ops, .plugin_name = name, .host_data = d};
}
