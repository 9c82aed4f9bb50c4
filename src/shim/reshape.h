/* SPDX-License-Identifier: MIT */
/*
 * reshape.h - calls after which lscad must look at the process again.
 *
 * lscad acts for the process, so before its next proxied call it must know
 * when a call changed who the thread is (set*id, setgroups, capset), what
 * it may do (prctl's capability and no_new_privs options, a file-size
 * limit), or sandboxed it (a seccomp filter, a Landlock ruleset: lscad
 * would otherwise make the calls the sandbox refuses). The libc entry
 * points, the SIGSYS handler (raw syscalls in complete mode) and syscall()
 * all report through here.
 */
#ifndef LSCA_SHIM_RESHAPE_H
#define LSCA_SHIM_RESHAPE_H

#include <stdbool.h>

/* Whether syscall nr may be one of those calls (its arguments decide). */
bool reshape_may(long nr);

/* Before syscall nr with arguments a (only those reshape_may names). */
void reshape_before(long nr, const long *a);

/* Syscall nr with arguments a returned r (a result >= 0, or < 0: -1 with
 * errno from libc, -errno from the kernel). */
void reshape_after(long nr, const long *a, long r);

#endif /* LSCA_SHIM_RESHAPE_H */
