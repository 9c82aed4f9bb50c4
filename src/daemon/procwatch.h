/* SPDX-License-Identifier: MIT */
/*
 * procwatch.h - the kernel's process events (the proc connector): which
 * attached processes executed a new program.
 *
 * A process that execs keeps its pid, and a child it forked before may
 * keep the ring and the socket: without this, lscad would go on serving
 * that child as the process, whose new image may be a setuid program.
 * Needs CAP_NET_ADMIN (a root lscad); without it lscad cannot fetch a
 * setuid program's fds anyway (it has no CAP_SYS_PTRACE then).
 */
#ifndef LSCA_PROCWATCH_H
#define LSCA_PROCWATCH_H

struct lscad;

/* Subscribe and watch from the main loop. Returns 0 or -errno (logged). */
int procwatch_start(struct lscad *d);

#endif /* LSCA_PROCWATCH_H */
