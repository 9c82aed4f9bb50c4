/* SPDX-License-Identifier: MIT */
#include "sysdesc.h"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <string.h>

static const struct lsca_sysdesc sysdesc_ops[LSCA_NOPS] = {
#define LSCA_ROW(n, fl, ...)                                                                       \
	[LSCA_OP_##n] = {.name = #n,                                                               \
			 .nr = __NR_##n,                                                           \
			 .op = LSCA_OP_##n,                                                        \
			 .flags = (fl),                                                            \
			 .kinds = {__VA_ARGS__},                                                   \
			 .kindset = LSCA_KINDSET(__VA_ARGS__)},
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
_Static_assert(LSCA_A_STRING < 32, "every kind must have a bit in kindset");

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

bool lsca_frees_fds(long nr, const long *a, unsigned *lo, unsigned *hi)
{
	switch (nr) {
	case __NR_close:
		*lo = *hi = (unsigned)a[0];
		return true;
#ifdef __NR_dup2
	case __NR_dup2:
#endif
	case __NR_dup3:
		/* dup2(fd, fd) frees nothing, dup3(fd, fd) fails */
		*lo = *hi = (unsigned)a[1];
		return (int)a[0] != (int)a[1];
	case __NR_close_range:
		*lo = (unsigned)a[0];
		*hi = (unsigned)a[1];
		return !(a[2] & CLOSE_RANGE_CLOEXEC) && *lo <= *hi;
	default:
		return false;
	}
}

size_t lsca_argkind_size(enum lsca_argkind kind)
{
	switch (kind) {
	case LSCA_A_STAT:
		return sizeof(struct stat);
	case LSCA_A_STATX:
		return sizeof(struct statx);
	case LSCA_A_STATFS:
		return sizeof(struct statfs);
	case LSCA_A_TIMES:
		return 2 * sizeof(struct timespec);
	default:
		return 0;
	}
}

/* Paths that name the calling process itself, and what they stand for. */
static const struct {
	const char *prefix, *proc; /* proc: under /proc/PID, %d is the tid */
} own_paths[] = {
    {"/proc/self", ""},	     {"/proc/thread-self", "/task/%d"}, {"/dev/fd", "/fd"},
    {"/dev/stdin", "/fd/0"}, {"/dev/stdout", "/fd/1"},		{"/dev/stderr", "/fd/2"},
};

int lsca_own_path(const char *p, pid_t pid, pid_t tid, char *buf, size_t len)
{
	for (unsigned i = 0; i < sizeof(own_paths) / sizeof(own_paths[0]); i++) {
		size_t n = strlen(own_paths[i].prefix);
		char sub[32];

		if (strncmp(p, own_paths[i].prefix, n) || (p[n] != '\0' && p[n] != '/'))
			continue;
		if (!buf)
			return 1;
		snprintf(sub, sizeof(sub), own_paths[i].proc, (int)tid);
		return snprintf(buf, len, "/proc/%d%s%s", (int)pid, sub, p + n) < (int)len
			   ? 1
			   : -ENAMETOOLONG;
	}
	return 0;
}
