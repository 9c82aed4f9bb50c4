/* SPDX-License-Identifier: MIT */
/*
 * procfs.h - lscad's own /proc, whatever root the calling thread has.
 *
 * A worker serving a chrooted client runs chrooted into that client's root,
 * so its paths resolve there; "/proc" is then the client's, or absent.
 * Every look lscad takes at a process goes through the /proc it had at
 * start instead.
 */
#ifndef LSCA_PROCFS_H
#define LSCA_PROCFS_H

#include <sys/stat.h>
#include <sys/types.h>

/* Once, at start. Returns 0 or -errno. */
int procfs_init(void);

/* openat() of a path below lscad's /proc, made with printf's format
 * ("%d/status"); returns the fd or -1 with errno. */
int procfs_open(int flags, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* fstatat() of such a path (following links, as stat does). */
int procfs_stat(struct stat *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* LSCA_PROCFS_H */
