/* SPDX-License-Identifier: MIT */
/* abi10.c - a plugin built for plugin ABI 1.0, before the argument kinds
 * of 1.1 (TIMES, STATFS, STRING): lscad loads it, and it sees utimensat.
 * It refuses a utimensat whose path holds "abi10-deny" (EROFS). */
#include <errno.h>
#include <lsca/plugin.h>
#include <string.h>

static enum lsca_verdict pre(const struct lsca_call *call, long *result, void *ud)
{
	(void)ud;
	for (unsigned i = 0; i < 6; i++) {
		/* 1.0 kinds only: the others are skipped, as the ABI says */
		if (call->kinds[i] != LSCA_ARG_PATH || !call->args[i])
			continue;
		if (strstr((const char *)call->args[i], "abi10-deny")) {
			*result = -EROFS;
			return LSCA_DENY;
		}
	}
	return LSCA_CONTINUE;
}

static int init(struct lsca_plugin_ctx *ctx, const struct lsca_config *sec)
{
	struct lsca_handler h = {.pre = pre};
	long nr = ctx->ops->syscall_nr(ctx, "utimensat");

	(void)sec;
	return nr < 0 ? -ENOSYS : lsca_register(ctx, nr, 0, &h);
}

const struct lsca_plugin lsca_plugin_descriptor = {
    .abi_version = 1u << 16, /* 1.0 */
    .name = "abi10",
    .version = "1",
    .init = init,
};
