/* SPDX-License-Identifier: MIT */
/*
 * example.c - the smallest useful LSCA plugin, written to be copied: it
 * counts calls and errors per syscall and reports them when it is unloaded.
 *
 * Build it outside the source tree and load it with `path:` in lscad.yaml
 * (docs/plugin-guide.md, docs/plugins/example.md):
 *   cc -shared -fPIC $(pkg-config --cflags lsca-plugin) -o myplugin.so example.c
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen: also under -std=c11 */

#include <lsca/plugin.h> /* the whole ABI: one header, no library to link */

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define NR_MAX 512 /* lscad handles syscall numbers below this */

/* Everything lives in one instance, never in globals: during a reload lscad
 * holds the old and the new instance of a plugin at the same time. */
struct example {
	struct lsca_handler handler;
	char *output; /* "output:" or NULL */
	/* handlers run on several worker threads at once: atomics, no lock */
	atomic_ulong calls[NR_MAX], errors[NR_MAX];
};

/* A post-handler sees each call with its result (>= 0, or -errno). A plugin
 * with post-handlers only lets lscad run the calls in the client and hand
 * them over in batches ("observe"), the cheapest placement; a pre-handler
 * (to deny or emulate) would make lscad execute them instead ("proxy"). */
static void count_call(const struct lsca_call *call, long result, void *userdata)
{
	struct example *ex = userdata;

	atomic_fetch_add_explicit(&ex->calls[call->nr], 1, memory_order_relaxed);
	if (result < 0)
		atomic_fetch_add_explicit(&ex->errors[call->nr], 1, memory_order_relaxed);
}

/* config is this plugin's "config:" section: a mapping, or NULL. Report a
 * problem with config_error (it names file:line:column) and refuse to load;
 * an unknown key is an error too, so a typo is never silently ignored. */
static int parse_config(struct lsca_plugin_ctx *ctx, struct example *ex,
			const struct lsca_config *config, bool want[NR_MAX])
{
	const struct lsca_config *list = lsca_config_get(config, "syscalls");
	const struct lsca_config *output = lsca_config_get(config, "output");

	if (config && config->type != LSCA_CONFIG_MAPPING)
		return ctx->ops->config_error(ctx, config, "expected a mapping");
	for (unsigned i = 0; config && i < config->nchildren; i++) {
		const char *key = config->children[i].key;

		if (strcmp(key, "syscalls") && strcmp(key, "output"))
			return ctx->ops->config_error(ctx, &config->children[i],
						      "unknown key (known: syscalls, output)");
	}
	if (output && (output->type != LSCA_CONFIG_SCALAR || output->value[0] != '/'))
		return ctx->ops->config_error(ctx, output, "expected an absolute file name");
	if (output && !(ex->output = strdup(output->value)))
		return -ENOMEM;
	if (list && list->type != LSCA_CONFIG_SEQUENCE)
		return ctx->ops->config_error(ctx, list, "expected a list of syscall names");
	for (long nr = 0; nr < NR_MAX; nr++) /* no list: every syscall lscad handles */
		want[nr] = !list && ctx->ops->syscall_name(ctx, nr);
	for (unsigned i = 0; list && i < list->nchildren; i++) {
		const struct lsca_config *item = &list->children[i];
		long nr = item->value ? ctx->ops->syscall_nr(ctx, item->value) : -1;

		if (nr < 0 || nr >= NR_MAX)
			return ctx->ops->config_error(ctx, item, "not a syscall lscad handles");
		want[nr] = true;
	}
	return 0;
}

/* init: parse the configuration, register handlers, keep the instance in
 * ctx->data for fini. A negative errno refuses the load (fini is not called). */
static int example_init(struct lsca_plugin_ctx *ctx, const struct lsca_config *config)
{
	struct example *ex = calloc(1, sizeof(*ex));
	bool want[NR_MAX] = {false};
	int r;

	if (!ex)
		return -ENOMEM;
	ex->handler = (struct lsca_handler){.post = count_call, .userdata = ex};
	r = parse_config(ctx, ex, config, want);
	/* priority orders handlers of one syscall; it matters for pre-handlers */
	for (long nr = 0; r == 0 && nr < NR_MAX; nr++)
		if (want[nr])
			r = lsca_register(ctx, nr, 0, &ex->handler);
	if (r < 0) {
		free(ex->output);
		free(ex);
		return r;
	}
	ctx->data = ex;
	return 0;
}

/* Write "NAME CALLS ERRORS" lines to a temporary file, then rename it over
 * the output, so a reader never sees half a table. */
static void write_counts(struct lsca_plugin_ctx *ctx, const struct example *ex)
{
	char tmp[4096 + 8];
	FILE *f = NULL;
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", ex->output);
	fd = mkstemp(tmp);
	if (fd >= 0 && !(f = fdopen(fd, "w")))
		close(fd);
	if (!f) {
		ctx->ops->log(ctx, LOG_ERR, "cannot create %s: %s", tmp, strerror(errno));
		return;
	}
	for (long nr = 0; nr < NR_MAX; nr++)
		if (atomic_load(&ex->calls[nr]))
			fprintf(f, "%s %lu %lu\n", ctx->ops->syscall_name(ctx, nr),
				atomic_load(&ex->calls[nr]), atomic_load(&ex->errors[nr]));
	ok = fchmod(fd, 0644) == 0 && !ferror(f);
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, ex->output) < 0) {
		ctx->ops->log(ctx, LOG_ERR, "cannot write %s: %s", ex->output, strerror(errno));
		unlink(tmp);
	}
}

/* fini: after the last handler call. Report and release everything. */
static void example_fini(struct lsca_plugin_ctx *ctx)
{
	struct example *ex = ctx->data;

	for (long nr = 0; nr < NR_MAX; nr++)
		if (atomic_load(&ex->calls[nr]))
			ctx->ops->log(ctx, LOG_INFO, "%-12s %10lu calls %8lu errors",
				      ctx->ops->syscall_name(ctx, nr), atomic_load(&ex->calls[nr]),
				      atomic_load(&ex->errors[nr]));
	if (ex->output)
		write_counts(ctx, ex);
	free(ex->output);
	free(ex);
}

/* The one symbol lscad looks for. Unused callbacks stay NULL. */
const struct lsca_plugin lsca_plugin_descriptor = {
    .abi_version = LSCA_PLUGIN_ABI_VERSION, /* lscad refuses another major version */
    .name = "example",
    .version = "1.0",
    .description = "counts calls and errors per syscall",
    .init = example_init,
    .fini = example_fini,
};
