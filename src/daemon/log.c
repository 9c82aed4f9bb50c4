/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int log_max_level = LOG_INFO;

void log_msg(int level, const char *fmt, ...)
{
	int saved = errno; /* callers may log "%m" */
	char buf[1024];
	va_list ap;

	if (level > log_max_level)
		return;
	va_start(ap, fmt);
	errno = saved;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* "<N>" is sd-daemon(3)'s level prefix; journald strips it */
	fprintf(stderr, "<%d>lscad: %s\n", level, buf);
	errno = saved;
}
