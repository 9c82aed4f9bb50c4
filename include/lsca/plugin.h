/* SPDX-License-Identifier: MIT */
/*
 * <lsca/plugin.h> - the LSCA handler plugin ABI, version 1.1.
 *
 * A plugin is a shared object that exports one descriptor,
 * `lsca_plugin_descriptor` (struct lsca_plugin). lscad loads the plugins its
 * configuration lists, checks the descriptor's ABI version, and calls init()
 * with a context and the plugin's own configuration section. init()
 * registers handlers by syscall number with lsca_register().
 *
 * For each call of a syscall, lscad runs its pre-handlers in ascending
 * priority (ties: load order), then - unless one of them completed or denied
 * the call - the built-in executor, then every post-handler with the result.
 *
 * Placement. A syscall whose handlers only watch (post-handlers only) runs in
 * the client itself, which posts the call and its result to lscad in batches
 * ("observe": the post-handler sees call->flags & LSCA_CALL_OBSERVED, shortly
 * after the fact, and output buffers are not available). A syscall with any
 * pre-handler is executed by lscad ("proxy"). The configuration may force
 * either, or "direct" (no handler sees the call).
 *
 * Threading: handlers run on several daemon workers at once (one per client
 * process), one call per worker at a time. A plugin protects its own shared
 * state. Per-client state hangs off *call->state (see below) and is only
 * ever touched by that client's worker, so it needs no lock.
 *
 * A handler must never:
 *   - block indefinitely (it holds up every thread of that client);
 *   - keep a pointer into struct lsca_call or its arguments after it
 *     returns (they point into a buffer reused for the next call);
 *   - call exit(), fork(), change the process's credentials, cwd or
 *     signal dispositions, or unload itself.
 * A handler that crashes (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) is caught
 * on its worker: lscad disables the whole plugin until the next reload and
 * logs the handler and syscall. A crashing pre-handler fails that one call
 * with EIO (it may have meant to refuse it); after a crashing post-handler
 * the call keeps its result (it has run). Memory the handler corrupted
 * before it crashed cannot be undone: plugins are trusted code running
 * inside the privileged daemon, and a root lscad loads only files owned by
 * root and writable by nobody else.
 *
 * Keep every piece of state in ctx->data, userdata or call->state, never in
 * mutable globals: on reload the new instance of a plugin is initialised
 * while the old one may still be serving, from the same loaded file.
 */
#ifndef LSCA_PLUGIN_H
#define LSCA_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LSCA_PLUGIN_ABI_MAJOR 1
#define LSCA_PLUGIN_ABI_MINOR 1
/* A plugin is accepted when its major equals lscad's and its minor is not
 * newer than lscad's. A minor version only adds: new argument kinds (1.1:
 * TIMES, STATFS, STRING) and new syscalls. A handler must treat an argument
 * kind it does not know as opaque (skip it), never as an error: a 1.0 plugin
 * keeps working on a 1.1 lscad. */
#define LSCA_PLUGIN_ABI_VERSION ((LSCA_PLUGIN_ABI_MAJOR << 16) | LSCA_PLUGIN_ABI_MINOR)

/* Who made the call, as the kernel reported it (never as the client said). */
struct lsca_client_info {
	pid_t pid;
	uid_t uid; /* real uid */
	gid_t gid; /* real gid */
	uid_t fsuid;
	gid_t fsgid;
	const char *comm;
	const char *exe;  /* path of the executable, "" if unknown */
	const char *unit; /* systemd unit ("nginx.service"), or NULL */
	uint64_t id;	  /* unique per attached process for the life of lscad */
	pid_t ppid;	  /* its parent when it attached (a forked child's state can
			   * start from its parent's) */
	void *reserved[4];
};

/* What each of a call's arguments is. */
enum lsca_arg_kind {
	LSCA_ARG_NONE = 0,
	LSCA_ARG_INT,	 /* a plain value: flags, mode, offset, whence */
	LSCA_ARG_FD,	 /* the client's fd number */
	LSCA_ARG_DIRFD,	 /* AT_FDCWD or the client's fd number */
	LSCA_ARG_PATH,	 /* const char *: a NUL-terminated path, as the client passed it;
			  * NULL for utimensat(fd, NULL, ...) (futimens: the call acts on
			  * the fd before it), and when observed if the client's pointer
			  * was bad (EFAULT) */
	LSCA_ARG_INBUF,	 /* const void *: bytes the client passed; the next arg is the length */
	LSCA_ARG_OUTBUF, /* void *: bytes the call produces (NULL when observed) */
	LSCA_ARG_IOVIN,	 /* const void *: the iovec's bytes, flat; the next arg is the length */
	LSCA_ARG_IOVOUT, /* void *: the produced bytes, flat (NULL when observed) */
	LSCA_ARG_LEN,	 /* byte length of the preceding buffer */
	LSCA_ARG_STAT,	 /* struct stat * out (NULL when observed) */
	LSCA_ARG_STATX,	 /* struct statx * out (NULL when observed) */
	LSCA_ARG_OFFSET, /* a loff_t * of the client (copy_file_range, sendfile): its
			  * value when the call started, -1 when the pointer is NULL */
	/* since ABI 1.1 */
	LSCA_ARG_TIMES,	 /* const struct timespec *: utimensat's two times, copied in;
			  * NULL when the client passed NULL (both "now"), and when
			  * observed */
	LSCA_ARG_STATFS, /* struct statfs * out (NULL when observed) */
	LSCA_ARG_STRING, /* const char *: a NUL-terminated string that is not a path (an
			  * xattr name), as the client passed it */
};

enum lsca_call_flags {
	LSCA_CALL_OBSERVED = 1u << 0, /* ran in the client already: post-handlers only */
};

/* One call. Input arguments (paths, bytes to write) point into lscad's
 * private copy of the request: checked once, stable. Output buffers and
 * stat structs are the ring slot shared with the client, where the call's
 * result is written: the client can change them at any time, so a handler
 * copies what it reads there before trusting it. None of it is the
 * client's own memory. Buffers of read/write-like calls larger than the
 * transport's chunk arrive as several calls, one per chunk (proxy
 * placement only). */
struct lsca_call {
	long nr;	  /* the target's syscall number (<sys/syscall.h>) */
	const char *name; /* "openat" */
	long args[6];
	uint8_t kinds[6];    /* enum lsca_arg_kind of each argument */
	uint32_t flags;	     /* enum lsca_call_flags */
	pid_t tid;	     /* the calling thread, as the client reported it */
	uint64_t time_ns;    /* CLOCK_REALTIME when the call started */
	uint64_t latency_ns; /* post-handlers: how long the call took */
	const struct lsca_client_info *client;
	/* This plugin's per-client pointer, NULL at first. Set it to keep state
	 * for the client; the descriptor's client_gone() gets it back when the
	 * client goes (or the plugin is unloaded). */
	void **state;
	void *reserved[4];
};

enum lsca_verdict {
	LSCA_CONTINUE = 0, /* let the next handler (finally the executor) run */
	LSCA_COMPLETE = 1, /* emulated: *result is the call's result (>= 0 or -errno) */
	LSCA_DENY = 2,	   /* refused: *result is a negative errno (else EPERM) */
};

/* Pre-handler: decide before the call runs. *result is in/out. */
typedef enum lsca_verdict (*lsca_pre_fn)(const struct lsca_call *call, long *result,
					 void *userdata);
/* Post-handler: see the result (>= 0, or a negative errno). */
typedef void (*lsca_post_fn)(const struct lsca_call *call, long result, void *userdata);

struct lsca_handler {
	lsca_pre_fn pre;   /* may be NULL */
	lsca_post_fn post; /* may be NULL */
	void *userdata;
	void *reserved[2];
};

/* A node of the plugin's configuration section (parsed YAML). */
enum lsca_config_type {
	LSCA_CONFIG_SCALAR = 0,
	LSCA_CONFIG_SEQUENCE = 1,
	LSCA_CONFIG_MAPPING = 2,
};

struct lsca_config {
	enum lsca_config_type type;
	const char *key;   /* the key, when this node is a mapping's value; else NULL */
	const char *value; /* a scalar's text; NULL otherwise */
	const struct lsca_config *children; /* sequence items or mapping values */
	unsigned nchildren;
	const char *file; /* where it was written, for messages */
	unsigned line, column;
};

struct lsca_plugin_ctx;

/* Services the host offers a plugin; passed in the context. */
struct lsca_host_ops {
	uint32_t abi_version; /* lscad's LSCA_PLUGIN_ABI_VERSION */
	/* Register h for syscall nr; lower priority runs first (ties: the
	 * order of registration, plugins in configuration order). *h is
	 * copied. Returns 0 or a negative errno (-EINVAL for a syscall lscad
	 * does not handle, -EPERM outside init()). Only from init(). */
	int (*register_handler)(struct lsca_plugin_ctx *ctx, long nr, int priority,
				const struct lsca_handler *h);
	/* Log a line (syslog priority) to lscad's log, prefixed with the
	 * plugin's name. Safe from any thread. */
	void (*log)(struct lsca_plugin_ctx *ctx, int priority, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
	/* A syscall's number from its name ("openat"), -1 if lscad does not
	 * handle it; and back (NULL if unknown). */
	long (*syscall_nr)(struct lsca_plugin_ctx *ctx, const char *name);
	const char *(*syscall_name)(struct lsca_plugin_ctx *ctx, long nr);
	/* The absolute, canonical path (symlinks and ".." resolved, as the
	 * client would resolve them: its cwd, its root, its credentials) that
	 * path argument arg of call names, into buf. The last component is
	 * not followed when the call itself does not follow it (unlink,
	 * O_NOFOLLOW, AT_SYMLINK_NOFOLLOW, the new name of a rename); a last
	 * component that does not exist yet (O_CREAT, mkdir) is kept as
	 * written. Returns 0 or -errno. Pre-handlers only: for an observed
	 * call the client's cwd may have moved on (-EOPNOTSUPP). */
	int (*resolve_path)(struct lsca_plugin_ctx *ctx, const struct lsca_call *call, unsigned arg,
			    char *buf, size_t len);
	/* Report a problem in the plugin's configuration, with file, line,
	 * column and key of node (may be NULL). Returns -EINVAL, so init can
	 * `return ctx->ops->config_error(ctx, node, "...")`. */
	int (*config_error)(struct lsca_plugin_ctx *ctx, const struct lsca_config *node,
			    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
	void *reserved[8];
};

struct lsca_plugin_ctx {
	const struct lsca_host_ops *ops;
	const char *plugin_name;
	void *data;	 /* the plugin's own, set as it likes (e.g. in init) */
	void *host_data; /* the host's, opaque to the plugin */
};

static inline int lsca_register(struct lsca_plugin_ctx *ctx, long nr, int priority,
				const struct lsca_handler *h)
{
	return ctx->ops->register_handler(ctx, nr, priority, h);
}

/* The value of key in a mapping node, or NULL. */
static inline const struct lsca_config *lsca_config_get(const struct lsca_config *map,
							const char *key)
{
	if (!map || map->type != LSCA_CONFIG_MAPPING)
		return NULL;
	for (unsigned i = 0; i < map->nchildren; i++)
		if (map->children[i].key && !strcmp(map->children[i].key, key))
			return &map->children[i];
	return NULL;
}

struct lsca_plugin {
	uint32_t abi_version; /* LSCA_PLUGIN_ABI_VERSION the plugin was built for */
	const char *name;
	const char *version;
	const char *description; /* one line */
	/* Register handlers. config is the plugin's section (a mapping), or
	 * NULL when it has none. Returns 0, or -errno to refuse loading (then
	 * fini is not called). */
	int (*init)(struct lsca_plugin_ctx *ctx, const struct lsca_config *config);
	/* After the last handler call: release everything (may be NULL). */
	void (*fini)(struct lsca_plugin_ctx *ctx);
	/* A client the plugin kept state for is gone (may be NULL). Called on
	 * that client's worker, or at unload. */
	void (*client_gone)(struct lsca_plugin_ctx *ctx, const struct lsca_client_info *client,
			    void *state);
	/* Write out buffered output (may be NULL). A worker calls it after a
	 * batch of calls and before it goes to sleep; several workers may
	 * call it at once. */
	void (*flush)(struct lsca_plugin_ctx *ctx);
	/* SIGHUP that kept this instance (the new configuration was refused):
	 * reopen files for log rotation (may be NULL). */
	void (*reopen)(struct lsca_plugin_ctx *ctx);
	void *reserved[6];
};

/* The one symbol a plugin exports:
 *   const struct lsca_plugin lsca_plugin_descriptor = { ... };  */
#define LSCA_PLUGIN_SYMBOL "lsca_plugin_descriptor"

#ifdef __cplusplus
}
#endif

#endif /* LSCA_PLUGIN_H */
