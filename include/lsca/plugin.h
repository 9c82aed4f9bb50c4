/* SPDX-License-Identifier: MIT */
/*
 * <lsca/plugin.h> - the LSCA handler plugin ABI (draft of version 1.0).
 *
 * A plugin is a shared object that exports one descriptor,
 * `lsca_plugin_descriptor`. lscad calls its init() with a context; init()
 * registers handlers by syscall number with lsca_register(). For each proxied
 * call, lscad runs the pre-handlers of that syscall in ascending priority,
 * then (unless one of them completed or denied the call) the built-in
 * executor, then every post-handler.
 *
 * Threading: handlers run on several daemon workers at once, one call per
 * worker at a time. A handler must not block indefinitely, must not keep
 * pointers into struct lsca_call after it returns, and must protect its own
 * shared state.
 */
#ifndef LSCA_PLUGIN_H
#define LSCA_PLUGIN_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LSCA_PLUGIN_ABI_MAJOR	1
#define LSCA_PLUGIN_ABI_MINOR	0
#define LSCA_PLUGIN_ABI_VERSION ((LSCA_PLUGIN_ABI_MAJOR << 16) | LSCA_PLUGIN_ABI_MINOR)

/* Who made the call, as the kernel reported it (never as the client said). */
struct lsca_client_info {
	pid_t pid;
	uid_t uid; /* real uid */
	gid_t gid; /* real gid */
	uid_t fsuid;
	gid_t fsgid;
	const char *comm;
	const char *exe;
	const char *unit; /* systemd unit, or NULL */
	void *reserved[4];
};

/* One call. Pointer arguments point into the daemon's private copy of the
 * request: paths are NUL-terminated strings, input buffers hold the bytes the
 * client passed, output buffers receive what the executor produced. */
struct lsca_call {
	long nr;
	const char *name;
	long args[6];
	const struct lsca_client_info *client;
	void *reserved[4];
};

enum lsca_verdict {
	LSCA_CONTINUE = 0, /* let the next handler (finally the executor) run */
	LSCA_COMPLETE = 1, /* emulated: *result is the call's result */
	LSCA_DENY = 2,	   /* refused: *result is a negative errno */
};

/* Pre-handler: decide before the call runs. *result is in/out. */
typedef enum lsca_verdict (*lsca_pre_fn)(const struct lsca_call *call, long *result,
					 void *userdata);
/* Post-handler: observe the result (>= 0, or a negative errno). */
typedef void (*lsca_post_fn)(const struct lsca_call *call, long result, void *userdata);

struct lsca_handler {
	lsca_pre_fn pre;   /* may be NULL */
	lsca_post_fn post; /* may be NULL */
	void *userdata;
	void *reserved[2];
};

struct lsca_plugin_ctx;

/* Services the host offers a plugin; passed in the context. */
struct lsca_host_ops {
	uint32_t abi_version;
	/* Register h for syscall nr; lower priority runs first. Returns 0 or
	 * a negative errno (-EINVAL for an unknown or unproxied syscall). */
	int (*register_handler)(struct lsca_plugin_ctx *ctx, long nr, int priority,
				const struct lsca_handler *h);
	void (*log)(struct lsca_plugin_ctx *ctx, int priority, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
	void *reserved[8];
};

struct lsca_plugin_ctx {
	const struct lsca_host_ops *ops;
	const char *plugin_name;
	void *host_data; /* the host's, opaque to the plugin */
};

static inline int lsca_register(struct lsca_plugin_ctx *ctx, long nr, int priority,
				const struct lsca_handler *h)
{
	return ctx->ops->register_handler(ctx, nr, priority, h);
}

struct lsca_plugin {
	uint32_t abi_version; /* LSCA_PLUGIN_ABI_VERSION the plugin was built for */
	const char *name;
	const char *version;
	int (*init)(struct lsca_plugin_ctx *ctx, const void *config);
	void (*fini)(struct lsca_plugin_ctx *ctx);
	void *reserved[8];
};

/* The one symbol a plugin exports. */
#define LSCA_PLUGIN_SYMBOL "lsca_plugin_descriptor"

#ifdef __cplusplus
}
#endif

#endif /* LSCA_PLUGIN_H */
