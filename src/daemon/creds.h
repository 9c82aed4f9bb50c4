/* SPDX-License-Identifier: MIT */
/*
 * creds.h - a client's identity, from the kernel, and acting as it.
 *
 * Identity is read from /proc/PID/status and confirmed against the client's
 * pidfd (so a recycled pid is noticed), never taken from the client. A worker
 * thread takes on a client's credentials with raw, per-thread syscalls
 * (glibc's wrappers would change every thread of the daemon).
 */
#ifndef LSCA_CREDS_H
#define LSCA_CREDS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CREDS_MAX_GROUPS 256

struct creds {
	uid_t ruid, euid, suid, fsuid;
	gid_t rgid, egid, sgid, fsgid;
	int ngroups;
	gid_t groups[CREDS_MAX_GROUPS];
	uint64_t cap_eff, cap_prm;
	mode_t umask;
	int seccomp; /* 0 none, 1 strict, 2 filter */
	bool no_new_privs;
	bool fsize_limited; /* RLIMIT_FSIZE is finite */
	pid_t ppid;
};

/* Read the credentials of pid's thread tid (0: of the process; a tid that
 * is not one of pid's threads reads the process); pidfd confirms the
 * process is still the one we hold (-1: unconfirmed, for a comparison
 * only). Returns 0 or -errno (-ESRCH: gone). */
int creds_read(pid_t pid, pid_t tid, int pidfd, struct creds *c);

/* The client holds capabilities: it could change its identity at any time. */
bool creds_privileged(const struct creds *c);

/* Whether the kernel's view of task's capabilities (a pid or a tid) still
 * matches c: a cheap check that catches every change of identity a
 * privileged process makes. */
bool creds_caps_current(pid_t task, const struct creds *c);

/* Same uids, gids and groups (for a daemon that cannot switch). */
bool creds_same_ids(const struct creds *a, const struct creds *b);

/* Whether now holds an id, group or capability that was could not have
 * taken by itself: only an exec of a setuid or file-capability program
 * gives that, and lscad must never serve it with those. */
bool creds_gained(const struct creds *was, const struct creds *now);

/* Called once at start: remember the daemon's own permitted capabilities. */
int creds_init_daemon(void);
/* The daemon runs as root and can act as any client. */
bool creds_daemon_can_switch(void);

/* Make the calling thread act as c for file-system calls: fs ids, groups,
 * effective capabilities (its real uid stays lscad's). Returns 0 or -errno;
 * on error the thread is left with no effective capabilities. */
int creds_apply_thread(const struct creds *c);

/* Give the calling thread lscad's own capabilities back (its fs ids stay):
 * reading a client's identity again needs them (a pidfd signal, prlimit). */
int creds_as_daemon(void);

/* Around a faccessat without AT_EACCESS (made with AT_EACCESS): take the
 * client's real ids instead of its fs ids. enter returns whether it changed
 * anything; leave undoes it. */
bool creds_enter_real(const struct creds *c);
void creds_leave_real(const struct creds *c);

#endif /* LSCA_CREDS_H */
