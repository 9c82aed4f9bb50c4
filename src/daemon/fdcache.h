/* SPDX-License-Identifier: MIT */
/*
 * fdcache.h - the client's files a worker keeps between calls.
 *
 * Taking the client's file for an fd argument costs pidfd_getfd, an fstat
 * (is it procfs? a regular file?) and a close: three kernel entries, more
 * than the call itself. A client in complete mode tags each fd argument
 * (proto.h, LSCA_FD_TAGGED; src/shim/fdtag.h), and the worker keeps the
 * file it took under that number and tag. A call with the same number and
 * tag uses it again; another tag takes the client's file anew.
 *
 * Only regular files and directories are kept (a pipe's or socket's other
 * end would notice lscad holding it). The client is told (LSCA_RESP_HELD),
 * and tells lscad before it frees a number it holds, so the open file goes
 * when the client closes it. Direct-mapped by fd number: a collision only
 * costs a fetch. Owned by one worker thread: no locks.
 */
#ifndef LSCA_FDCACHE_H
#define LSCA_FDCACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define FDCACHE_SIZE 128

struct fdcache_entry {
	int num;      /* the client's fd number; -1: empty */
	uint32_t tag; /* its tag when we took it */
	int fd;	      /* ours */
	mode_t type;  /* S_IFREG or S_IFDIR */
	bool plain;   /* on a disk or memory file system whose reads never ask
		       * who reads (see exec.c, plain_fs) */
};

struct fdcache {
	struct fdcache_entry e[FDCACHE_SIZE];
	unsigned held; /* entries in use */
};

void fdcache_init(struct fdcache *fc);

/* Our fd for the client's fd num under tag, and its file type; -1 when
 * not kept. */
int fdcache_lookup(const struct fdcache *fc, int num, uint32_t tag, mode_t *type);

/* Keep our fd (a regular file or directory the client had at num under
 * tag). Takes ownership of fd: returns it, or -1 after closing it when it
 * cannot be kept (an untagged number). */
int fdcache_keep(struct fdcache *fc, int num, uint32_t tag, int fd, mode_t type, bool plain);

/* Whether the client's fd num under tag is a kept file on a plain file
 * system: reading it needs no fresh look at the client's credentials. */
bool fdcache_plain(const struct fdcache *fc, int num, uint32_t tag);

/* Let go of what we keep for fd numbers lo..hi (as the client sent them:
 * any range, numbers beyond an int included). */
void fdcache_forget(struct fdcache *fc, uint64_t lo, uint64_t hi);

/* Let go of everything (the client is gone or served direct from now on). */
void fdcache_clear(struct fdcache *fc);

#endif /* LSCA_FDCACHE_H */
