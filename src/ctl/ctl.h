/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - lscactl verbs that talk to a running lscad over its control
 * socket (D-Bus peer-to-peer, see common/control.h).
 *
 * Exit codes: 0 done; 1 lscad answered but refused (a reload with a bad
 * configuration); 2 usage; 3 lscad cannot be reached.
 */
#ifndef LSCA_CTL_H
#define LSCA_CTL_H

int ctl_reload(int argc, char **argv);
int ctl_plugins(int argc, char **argv);

#endif /* LSCA_CTL_H */
