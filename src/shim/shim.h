/* SPDX-License-Identifier: MIT */
/*
 * shim.h - liblsca-shim.so internals shared by its three parts:
 *   attach.c   connecting to lscad, the ring mapping, fork, re-attach;
 *   call.c     one proxied call: marshal, submit, wait, unmarshal;
 *   entries.c  the interposed libc symbols, generated from entries.def.
 *
 * Nothing here is exported: the version script (made from entries.def)
 * exports only the interposed symbols.
 */
#ifndef LSCA_SHIM_H
#define LSCA_SHIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/proto.h"
#include "../common/ring.h"

#define SHIM_TLS __attribute__((tls_model("initial-exec")))

enum shim_state {
	SHIM_UNATTACHED = 0,
	SHIM_ATTACHING,
	SHIM_ATTACHED,
	SHIM_FAILED,   /* no daemon now: direct calls, retry later */
	SHIM_DISABLED, /* refused for good (wrong daemon, wrong protocol) */
};

#define SHIM_MAX_SLOTS 1024

struct shim {
	_Atomic int state;
	_Atomic uint64_t retry_at; /* monotonic ns: next attach attempt */
	int sock;
	/* The ring in use, one of ring_buf: a re-attach fills the other one,
	 * so a thread still holding the old pointer reads a whole layout. */
	const struct lsca_ring *ring;
	const struct lsca_place_table *place; /* read-only: lscad's */
	uint32_t on_failure;		      /* enum lsca_on_failure */
	struct lsca_ring ring_buf[2];
	unsigned ring_gen;
	bool secure;		/* AT_SECURE: ignore LSCA_*, trust only a root daemon */
	uint32_t interception;	/* enum lsca_interception: LSCA_INTERCEPTION, else lscad's */
	_Atomic bool sandboxed; /* shim_sandboxing(): told to every lscad we attach to */
	_Atomic bool seccomp;	/* shim_seccomp_set(): no ring any more, forks too */
	char socket_path[108];
	/* fds received for another thread's slot while we held the lock */
	_Atomic int fd_lock;
	int stash_fd[SHIM_MAX_SLOTS];
	uint32_t stash_seq[SHIM_MAX_SLOTS];
};

extern struct shim shim;
extern SHIM_TLS __thread int shim_depth; /* >0: inside the shim, go direct */

/* The ring if attached (attaching on first use), else NULL. */
const struct lsca_ring *shim_ring(void);
/* Take a slot for one call (waiting while all are in calls); -1 only for
 * a ring without slots. Give it back with shim_slot_release. */
int shim_slot(const struct lsca_ring *ring);
void shim_slot_release(const struct lsca_ring *ring, int slot);
/* This thread's kernel tid (cached). */
pid_t shim_tid(void);
/* The daemon is gone mid-call: stop using the ring, re-attach later. */
void shim_lost_daemon(void);
/* The same, unless ring is no longer the one in use. */
void shim_lost_ring(const struct lsca_ring *ring);
/* After close/dup3/close_range (args as made): if the program closed or
 * replaced the shim's socket, attach again on the next call. */
void shim_fds_touched(long nr, const long *args);
/* A request lscad answers itself, on this thread's slot: LSCA_NR_FORGET
 * (let go of the files kept for fds a0..a1, fdtag.h), LSCA_NR_SANDBOXED.
 * Nothing when not attached. */
void shim_pseudo_call(uint16_t nr, long a0, long a1);
/* A forked child is another client: forget the parent's ring. */
void shim_atfork_child(void);
/* Whether the daemon still serves us (asked while sleeping on a slot). */
bool shim_alive(void *arg);

/* A proxied call of syscall nr with normalised arguments; returns the
 * result, or -1 with errno set, exactly as the libc entry point would. */
long shim_call(long nr, const long *args);
/* The same, with the kernel's convention: the result or -errno, errno left
 * alone (for the SIGSYS handler, which puts it in the return register). */
long shim_call_raw(long nr, const long *args);

/* Credential and umask changes, reported by their entry points. */
void shim_creds_changed(void);
/* The process is about to sandbox itself (a seccomp filter, a Landlock
 * ruleset): lscad leaves its calls to it from now on, in this process and
 * its children. Said and latched before the sandboxing call, since the
 * sandbox may then forbid what saying it takes. */
void shim_sandboxing(void);
/* A seccomp filter is in force: it may forbid the shim's own calls (a
 * futex wake, a poll), so the shim stays out entirely from now on, in
 * this process and its forks: every call runs here, unseen. */
void shim_seccomp_set(void);
void shim_umask_changed(mode_t mask);

#endif /* LSCA_SHIM_H */
