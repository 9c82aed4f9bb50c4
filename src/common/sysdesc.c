/* SPDX-License-Identifier: MIT */
#include "sysdesc.h"

#include <sys/stat.h>
#include <fcntl.h>

static const struct lsca_sysdesc sysdesc_ops[LSCA_NOPS] = {
#define LSCA_ROW(n, fl, ...)                                                                       \
	[LSCA_OP_##n] = {                                                                          \
	    .name = #n, .nr = __NR_##n, .op = LSCA_OP_##n, .flags = (fl), .kinds = {__VA_ARGS__}},
    LSCA_SYSCALLS(LSCA_ROW)
#undef LSCA_ROW
};

/* Syscall number -> op + 1 (0: not proxied). */
static const uint8_t sysdesc_by_nr[LSCA_NR_MAX] = {
#define LSCA_NR(n, ...) [__NR_##n] = LSCA_OP_##n + 1,
    LSCA_SYSCALLS(LSCA_NR)
#undef LSCA_NR
};

_Static_assert(LSCA_NOPS < 255, "op index must fit sysdesc_by_nr");

const struct lsca_sysdesc *lsca_sysdesc(long nr)
{
	if (nr < 0 || nr >= LSCA_NR_MAX || !sysdesc_by_nr[nr])
		return NULL;
	return &sysdesc_ops[sysdesc_by_nr[nr] - 1];
}

const struct lsca_sysdesc *lsca_sysdesc_op(unsigned op)
{
	return op < LSCA_NOPS ? &sysdesc_ops[op] : NULL;
}

size_t lsca_argkind_size(enum lsca_argkind kind)
{
	switch (kind) {
	case LSCA_A_STAT:
		return sizeof(struct stat);
	case LSCA_A_STATX:
		return sizeof(struct statx);
	default:
		return 0;
	}
}
