/* SPDX-License-Identifier: MIT */
/*
 * summary.h - the per-syscall table `lscactl run` prints at the end, in the
 * spirit of `strace -c`: calls, errors, where they ran, latency.
 */
#ifndef LSCA_SUMMARY_H
#define LSCA_SUMMARY_H

#include <stdio.h>

#include "../common/statsfile.h"

void summary_print(FILE *f, const struct lsca_summary *s);
/* The same as one JSON object (lscactl run --json). */
void summary_print_json(FILE *f, const struct lsca_summary *s);

#endif /* LSCA_SUMMARY_H */
