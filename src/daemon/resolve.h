/* SPDX-License-Identifier: MIT */
/*
 * resolve.h - walking a client's paths without magic links.
 *
 * The worker runs in lscad's process: a path through /proc/self/fd/N or
 * /proc/self/task/T/cwd would lead into lscad's own files (other clients'
 * directories among them). So the executor never lets the kernel walk a
 * client's path with the plain *at calls: every walk is an
 * openat2(RESOLVE_NO_MAGICLINKS), and the call then acts on what that walk
 * found: the whole path (stat, access, chdir, truncate, utimensat, statfs,
 * the xattr calls) or its parent
 * directory (unlink, mkdir, rename, whose last component is never
 * followed). A walk that meets a magic link fails with ELOOP, as a true
 * symlink loop does; either way the client then runs the call itself and
 * gets its kernel's own answer.
 */
#ifndef LSCA_RESOLVE_H
#define LSCA_RESOLVE_H

#include <limits.h>

#define RESOLVE_HERE 1 /* the client must run the call itself */

struct resolve {
	int fds[2]; /* opened by the walk: the caller closes them */
	int nfds;
	char buf[2][PATH_MAX + 32];
};

/* Rewrite a path-taking call (*nr, a[]) to act on what a magic-link-free
 * walk found. Returns 0 (make the call now), RESOLVE_HERE, or -errno (the
 * call's answer: the walk failed exactly as the call would have). */
int resolve_call(long *nr, long a[6], struct resolve *rs);

/* openat2(dirfd, path, flags, mode) without magic links: an fd, or -errno;
 * -ELOOP and -EINVAL (openat2 is stricter about flags) mean RESOLVE_HERE. */
long resolve_openat(int dirfd, const char *path, long flags, long mode);

/* Before opening: what is there? 0 for a regular file or directory (or
 * nothing, with O_CREAT), RESOLVE_HERE for anything whose opening acts
 * (a FIFO lets a writer through, a device arms or rewinds), or -errno. */
int resolve_open_kind(int dirfd, const char *path, long flags);

/* Close what the walk opened. */
void resolve_done(struct resolve *rs);

#endif /* LSCA_RESOLVE_H */
