/* SPDX-License-Identifier: MIT */
/*
 * sud.h - complete interception: Syscall User Dispatch (Linux >= 5.11).
 *
 * Each thread of a process in complete mode registers a selector byte with
 * the kernel. While it reads BLOCK, every syscall made from outside the
 * shim's own small text section (its raw syscall and its signal restorer)
 * raises SIGSYS instead of running; the handler serves it as the entry
 * points would (shim_call_raw) or runs it from that section. While the
 * shim runs its own code the selector reads ALLOW, so its libc calls (futex,
 * sendmsg, mmap at attach) reach the kernel untouched.
 *
 * The kernel forgets the registration on fork, clone and exec: forked
 * children and new threads arm themselves again (sud_after_fork, the
 * pthread_create wrapper, or lazily when they next leave the shim).
 */
#ifndef LSCA_SUD_H
#define LSCA_SUD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "shim.h"

enum { SUD_ALLOW = 0, SUD_BLOCK = 1 }; /* SYSCALL_DISPATCH_FILTER_* */

extern SHIM_TLS __thread volatile char sud_selector;
extern _Atomic bool sud_on; /* this process runs in complete mode */

/* The shim's own syscall instruction: never dispatched, whatever the
 * selector says. Returns the result or -errno; errno is left alone. */
long sud_raw(long nr, long a, long b, long c, long d, long e, long f);

/* Whether this kernel (and architecture) has Syscall User Dispatch. */
bool sud_supported(void);

/* Turn complete mode on for the process and arm the calling thread.
 * Returns LSCA_INTERCEPT_COMPLETE, or LSCA_INTERCEPT_ENTRY when it cannot. */
uint32_t sud_start(void);

/* enum lsca_interception of this process. */
uint32_t sud_mode(void);

/* In a forked child: the kernel dropped the registration; take it again. */
void sud_after_fork(void);

void sud_leave_slow(void);

/* Entering the shim's own code: its calls must not be dispatched. */
static inline void sud_enter(void)
{
	sud_selector = SUD_ALLOW;
}

/* Back to the program: its calls are dispatched again (arming a thread
 * that was created behind the shim's back). */
static inline void sud_leave(void)
{
	if (atomic_load_explicit(&sud_on, memory_order_relaxed))
		sud_leave_slow();
}

#endif /* LSCA_SUD_H */
