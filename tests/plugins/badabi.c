/* SPDX-License-Identifier: MIT */
/* badabi.c - a plugin built for a plugin ABI lscad does not provide. */
#include <lsca/plugin.h>

static int init(struct lsca_plugin_ctx *ctx, const struct lsca_config *sec)
{
	(void)ctx;
	(void)sec;
	return 0;
}

const struct lsca_plugin lsca_plugin_descriptor = {
    .abi_version = (LSCA_PLUGIN_ABI_MAJOR + 1) << 16,
    .name = "badabi",
    .version = "1",
    .init = init,
};
