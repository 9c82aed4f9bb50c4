/* SPDX-License-Identifier: MIT */
/*
 * fdtag.h - which of this process's fds lscad may keep, and how it knows
 * a number still means the same open file.
 *
 * Fetching the client's file for every fd argument (pidfd_getfd, fstat,
 * close) costs lscad three kernel entries a call. In complete mode the shim
 * sees every call that frees an fd number (close, dup2/dup3 onto it,
 * close_range), so it can tell lscad when a number changes meaning:
 *
 *   - every fd number below FDTAG_MAX has a generation, bumped after each
 *     call that freed it; a request carries it as the number's tag (proto.h,
 *     LSCA_FD_TAG) and lscad reuses a file it kept only under the same tag;
 *   - lscad answers LSCA_RESP_HELD when it kept the files of a call's fd
 *     arguments; before the process frees such a number, lscad is told to
 *     let go (the close itself, when lscad approves it, or LSCA_NR_FORGET),
 *     so the open file dies with the process's close as it would natively
 *     (flock locks, a pipe's EOF, ETXTBSY, IN_CLOSE_WRITE).
 *
 * Where the shim cannot see every change (entry-point mode, io_uring,
 * another process or an unregistered thread sharing the fd table) every tag
 * is 0 and lscad keeps nothing. Tags are an optimisation, never trusted:
 * a lying client only gets back a file it held itself.
 */
#ifndef LSCA_FDTAG_H
#define LSCA_FDTAG_H

#include <stdbool.h>
#include <stdint.h>

#define FDTAG_MAX 4096

/* The tag for fd now: 0 if lscad must not keep it. */
uint32_t fdtag_of(int fd);

/* lscad kept the files of the fd arguments of the call d (args as made). */
struct lsca_sysdesc;
void fdtag_held(const struct lsca_sysdesc *d, const long *args);

/* The fd numbers call nr (args as made) frees: false if none. */
bool fdtag_frees(long nr, const long *args, int *lo, int *hi);
/* Whether lscad may hold any of [lo, hi]. */
bool fdtag_any_held(int lo, int hi);
/* [lo, hi] were freed (or may have been): new generations, nothing held. */
void fdtag_freed(int lo, int hi);

/* The shim stops seeing every change of the fd table (io_uring, a shared
 * table): tags are 0 from now on, and lscad lets go of all it kept. */
void fdtag_disable(void);
/* lscad lets go of everything it keeps (before an exec). */
void fdtag_forget_all(void);
/* A new attachment (a fork, a new lscad): that lscad holds nothing. */
void fdtag_attached(void);

#endif /* LSCA_FDTAG_H */
