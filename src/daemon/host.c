/* SPDX-License-Identifier: MIT */
#include "host.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "exec.h"
#include "loader.h"
#include "log.h"

/* Handlers a plugin may register at most (each is a chain entry). */
#define HOST_MAX_STAGED 4096

static struct plugin *plugin_of(struct lsca_plugin_ctx *ctx)
{
	return ctx->host_data;
}

static int host_register(struct lsca_plugin_ctx *ctx, long nr, int priority,
			 const struct lsca_handler *h)
{
	struct plugin *p = plugin_of(ctx);
	struct plugin_staged *v;

	if (!p->set->loading) {
		log_warn("plugin %s: handlers can be registered only from init()",
			 ctx->plugin_name);
		return -EPERM;
	}
	if (!h || (!h->pre && !h->post) || !lsca_sysdesc(nr)) {
		log_warn("plugin %s: cannot register a handler for syscall %ld: %s",
			 ctx->plugin_name, nr, h ? "not a syscall lscad handles" : "no handler");
		return -EINVAL;
	}
	if (h->pre && (lsca_sysdesc(nr)->flags & LSCA_S_CLIENT)) {
		log_warn("plugin %s: %s runs in the client only: it can be watched (a "
			 "post-handler), not decided on",
			 ctx->plugin_name, lsca_sysdesc(nr)->name);
		return -EINVAL;
	}
	if (p->nstaged >= HOST_MAX_STAGED)
		return -ENOSPC;
	v = realloc(p->staged, (p->nstaged + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->staged = v;
	v[p->nstaged++] = (struct plugin_staged){.nr = nr, .priority = priority, .h = *h};
	return 0;
}

int host_commit(struct plugin *p, struct dispatch *d)
{
	for (unsigned i = 0; i < p->nstaged; i++) {
		int r = dispatch_register(d, p->staged[i].nr, p->staged[i].priority,
					  &p->staged[i].h, &p->owner);

		if (r < 0) {
			log_warn("plugin %s: syscall %ld: %s", p->owner.name, p->staged[i].nr,
				 strerror(-r));
			dispatch_unregister(d, &p->owner); /* none of them, then */
			return r;
		}
	}
	p->handlers = p->nstaged;
	host_ctx_release(p);
	return 0;
}

void host_ctx_release(struct plugin *p)
{
	free(p->staged);
	p->staged = NULL;
	p->nstaged = 0;
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

static long host_syscall_nr(struct lsca_plugin_ctx *ctx, const char *name)
{
	(void)ctx;
	for (unsigned op = 0; name && op < LSCA_NOPS; op++)
		if (!strcmp(lsca_sysdesc_op(op)->name, name))
			return lsca_sysdesc_op(op)->nr;
	return -1;
}

static const char *host_syscall_name(struct lsca_plugin_ctx *ctx, long nr)
{
	const struct lsca_sysdesc *d = lsca_sysdesc(nr);

	(void)ctx;
	return d ? d->name : NULL;
}

static int host_resolve_path(struct lsca_plugin_ctx *ctx, const struct lsca_call *call,
			     unsigned arg, char *buf, size_t len)
{
	(void)ctx;
	if (!call || !call->client)
		return -EINVAL;
	/* the info is the client's own member: the client is its container */
	return exec_resolve_path(
	    (struct client *)((char *)call->client - offsetof(struct client, info)), call, arg, buf,
	    len);
}

static int host_config_error(struct lsca_plugin_ctx *ctx, const struct lsca_config *node,
			     const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (node && node->file)
		plugin_set_say(plugin_of(ctx)->set, LOG_ERR, "%s:%u:%u: plugins.%s%s%s: %s",
			       node->file, node->line, node->column, ctx->plugin_name,
			       node->key ? "." : "", node->key ? node->key : "", msg);
	else
		plugin_set_say(plugin_of(ctx)->set, LOG_ERR, "plugin %s: configuration: %s",
			       ctx->plugin_name, msg);
	return -EINVAL;
}

static const struct lsca_host_ops host_ops = {
    .abi_version = LSCA_PLUGIN_ABI_VERSION,
    .register_handler = host_register,
    .log = host_log,
    .syscall_nr = host_syscall_nr,
    .syscall_name = host_syscall_name,
    .resolve_path = host_resolve_path,
    .config_error = host_config_error,
};

void host_ctx_init(struct lsca_plugin_ctx *ctx, struct plugin *p)
{
	*ctx = (struct lsca_plugin_ctx){
	    .ops = &host_ops, .plugin_name = p->owner.name, .host_data = p};
}
