/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-journal.h>

int log_max_level = LOG_INFO;
bool log_to_journal;

static void log_vmsg(int level, const char *fmt, va_list ap)
{
	int saved = errno; /* callers may log "%m", and keep their errno */
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_to_journal && sd_journal_print(level, "%s", buf) >= 0) {
		errno = saved;
		return;
	}
	/* "<N>" is sd-daemon(3)'s level prefix; journald strips it */
	fprintf(stderr, "<%d>lscad: %s\n", level, buf);
	errno = saved;
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_max_level)
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
