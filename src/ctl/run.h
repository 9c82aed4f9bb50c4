/* SPDX-License-Identifier: MIT */
/*
 * run.h - `lscactl run`: one command under a private lscad, no install.
 */
#ifndef LSCA_RUN_H
#define LSCA_RUN_H

/* argv[0] is "run". Returns the command's exit status (128+N for a
 * signal), or 125 when lscactl itself failed, like env(1) and timeout(1). */
int ctl_run(int argc, char **argv);

#endif /* LSCA_RUN_H */
