/* SPDX-License-Identifier: MIT */
/*
 * statsfile.h - the per-syscall summary lscad writes when it exits
 * (--stats-out) and `lscactl run` reads back to print.
 *
 *   lsca-stats 3
 *   clients N
 *   interception COMPLETE ENTRY       (processes that got each mode)
 *   NAME CALLS ERRORS DIRECT OBSERVED NANOSECONDS      (one line per syscall)
 */
#ifndef LSCA_STATSFILE_H
#define LSCA_STATSFILE_H

#include <stdint.h>

#include "proto.h"
#include "sysdesc.h"

struct lsca_summary {
	uint64_t clients;
	uint64_t complete, entry; /* clients by enum lsca_interception they got */
	struct lsca_stat op[LSCA_NOPS];
};

/* Write atomically (temp file + rename). Returns 0 or -errno. */
int lsca_summary_write(const struct lsca_summary *s, const char *path);
/* Returns 0, -errno, or -EINVAL for a file that is not a summary. */
int lsca_summary_read(struct lsca_summary *s, const char *path);

#endif /* LSCA_STATSFILE_H */
