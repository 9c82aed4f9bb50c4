/* SPDX-License-Identifier: MIT */
/*
 * testplug.c - a plugin for lscad's own tests, never shipped. Its section
 * picks the behaviour:
 *   fail_init: true        init() fails (ENOEXEC)
 *   deny: PREFIX           pre-handler on openat: EACCES under PREFIX
 *   crash_on: TEXT         pre-handler on openat: SIGSEGV when the path has TEXT
 *   count: FILE            post-handlers on every syscall; at fini, FILE gets
 *                          "NAME COUNT" lines (observed calls included)
 */
#include <errno.h>
#include <lsca/plugin.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tp {
	char *deny, *crash_on, *count_file;
	_Atomic unsigned long counts[512];
};

static const char *str(const struct lsca_config *sec, const char *key)
{
	const struct lsca_config *n = lsca_config_get(sec, key);

	return n && n->type == LSCA_CONFIG_SCALAR ? n->value : NULL;
}

static enum lsca_verdict pre(const struct lsca_call *call, long *result, void *ud)
{
	struct tp *t = ud;
	const char *path = (const char *)call->args[1];

	if (t->crash_on && strstr(path, t->crash_on))
		raise(SIGSEGV);
	if (t->deny && !strncmp(path, t->deny, strlen(t->deny))) {
		*result = -EACCES;
		return LSCA_DENY;
	}
	return LSCA_CONTINUE;
}

static void post(const struct lsca_call *call, long result, void *ud)
{
	struct tp *t = ud;

	(void)result;
	atomic_fetch_add(&t->counts[call->nr], 1);
}

static int init(struct lsca_plugin_ctx *ctx, const struct lsca_config *sec)
{
	struct lsca_handler h = {0};
	long openat = ctx->ops->syscall_nr(ctx, "openat");
	struct tp *t;

	if (str(sec, "fail_init"))
		return -ENOEXEC;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->deny = str(sec, "deny") ? strdup(str(sec, "deny")) : NULL;
	t->crash_on = str(sec, "crash_on") ? strdup(str(sec, "crash_on")) : NULL;
	t->count_file = str(sec, "count") ? strdup(str(sec, "count")) : NULL;
	ctx->data = t;
	h.userdata = t;
	if (t->deny || t->crash_on) {
		h.pre = pre;
		lsca_register(ctx, openat, 0, &h);
	}
	if (t->count_file) {
		h.pre = NULL;
		h.post = post;
		for (long nr = 0; nr < 512; nr++)
			if (ctx->ops->syscall_name(ctx, nr))
				lsca_register(ctx, nr, 100, &h);
	}
	return 0;
}

static void fini(struct lsca_plugin_ctx *ctx)
{
	struct tp *t = ctx->data;
	FILE *f;

	if (t->count_file && (f = fopen(t->count_file, "w"))) {
		for (long nr = 0; nr < 512; nr++)
			if (atomic_load(&t->counts[nr]))
				fprintf(f, "%s %lu\n", ctx->ops->syscall_name(ctx, nr),
					atomic_load(&t->counts[nr]));
		fclose(f);
	}
	free(t->deny);
	free(t->crash_on);
	free(t->count_file);
	free(t);
}

const struct lsca_plugin lsca_plugin_descriptor = {
    .abi_version = LSCA_PLUGIN_ABI_VERSION,
    .name = "testplug",
    .version = "1",
    .description = "lscad's test plugin",
    .init = init,
    .fini = fini,
};
