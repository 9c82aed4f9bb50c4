/* SPDX-License-Identifier: MIT */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>

static int proc_fd = -1;

int procfs_init(void)
{
	proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return proc_fd < 0 ? -errno : 0;
}

/* The path below /proc, or NULL (errno set) when it does not fit. */
static const char *below(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, len, fmt, ap);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return buf;
}

int procfs_open(int flags, const char *fmt, ...)
{
	char buf[96];
	const char *path;
	va_list ap;

	va_start(ap, fmt);
	path = below(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return path ? openat(proc_fd, path, flags | O_CLOEXEC) : -1;
}

int procfs_stat(struct stat *st, const char *fmt, ...)
{
	char buf[96];
	const char *path;
	va_list ap;

	va_start(ap, fmt);
	path = below(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return path ? fstatat(proc_fd, path, st, 0) : -1;
}
