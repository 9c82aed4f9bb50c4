/* SPDX-License-Identifier: MIT */
#include "reshape.h"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "shim.h"

#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446 /* the same on every architecture */
#endif

static const long cred_calls[] = {
    SYS_setuid,	   SYS_setgid,	 SYS_setreuid,	SYS_setregid, SYS_setresuid, SYS_setresgid,
    SYS_setfsuid,  SYS_setfsgid, SYS_setgroups, SYS_capset,   SYS_prlimit64,
#ifdef SYS_setrlimit
    SYS_setrlimit,
#endif
};

static bool cred_call(long nr)
{
	for (unsigned i = 0; i < sizeof(cred_calls) / sizeof(cred_calls[0]); i++)
		if (cred_calls[i] == nr)
			return true;
	return false;
}

static bool changes_creds(long nr, const long *a)
{
	/* getrlimit is prlimit64 without a new limit */
	return cred_call(nr) && (nr != SYS_prlimit64 || a[2]);
}

/* the kernel takes the option and seccomp's operation as unsigned int */
static bool prctl_reshapes(unsigned option)
{
	return option == PR_SET_NO_NEW_PRIVS || option == PR_CAPBSET_DROP ||
	       option == PR_SET_SECUREBITS || option == PR_CAP_AMBIENT || option == PR_SET_KEEPCAPS;
}

static bool sandboxes(long nr, const long *a)
{
	if (nr == SYS_seccomp)
		return (unsigned)a[0] == SECCOMP_SET_MODE_STRICT ||
		       (unsigned)a[0] == SECCOMP_SET_MODE_FILTER;
	if (nr == SYS_prctl)
		return (unsigned)a[0] == PR_SET_SECCOMP;
	return nr == SYS_landlock_restrict_self;
}

bool reshape_may(long nr)
{
	return cred_call(nr) || nr == SYS_prctl || nr == SYS_seccomp ||
	       nr == SYS_landlock_restrict_self;
}

void reshape_before(long nr, const long *a)
{
	if (sandboxes(nr, a))
		shim_sandboxing(); /* even if it then fails: only a narrowing */
}

void reshape_after(long nr, const long *a, long r)
{
	if (r >= 0 && sandboxes(nr, a) && nr != SYS_landlock_restrict_self)
		shim_seccomp_set();
	/* setfsuid answers the old id, never an error: look again anyway */
	else if (changes_creds(nr, a) ||
		 (nr == SYS_prctl && r >= 0 && prctl_reshapes((unsigned)a[0])))
		shim_creds_changed();
}
