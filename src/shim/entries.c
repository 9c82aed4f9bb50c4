/* SPDX-License-Identifier: MIT */
/*
 * The interposed entry points, expanded from entries.def. Each body is the
 * same three steps: the symbol's own check, the arguments as longs, one
 * shim_call(). Nothing here is written per function.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#include "reshape.h"
#include "shim.h"

#define EXPORT __attribute__((visibility("default")))

/* (long) of each of up to six arguments */
#define CAST1(a)			 (long)(a)
#define CAST2(a, ...)			 (long)(a), CAST1(__VA_ARGS__)
#define CAST3(a, ...)			 (long)(a), CAST2(__VA_ARGS__)
#define CAST4(a, ...)			 (long)(a), CAST3(__VA_ARGS__)
#define CAST5(a, ...)			 (long)(a), CAST4(__VA_ARGS__)
#define CAST6(a, ...)			 (long)(a), CAST5(__VA_ARGS__)
#define NARGS_(a, b, c, d, e, f, n, ...) n
#define NARGS(...)			 NARGS_(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define CAT_(a, b)			 a##b
#define CAT(a, b)			 CAT_(a, b)
#define CAST(...)			 CAT(CAST, NARGS(__VA_ARGS__))(__VA_ARGS__)

extern void __chk_fail(void) __attribute__((noreturn));

/* glibc's own words for a fortified open without a mode */
static void __attribute__((noreturn)) open_fail(void)
{
	static const char m[] = "*** invalid open call: O_CREAT without mode ***: terminated\n";

	syscall(SYS_write, 2, m, sizeof(m) - 1);
	abort();
}

#if defined(__x86_64__)
#define STAT_VER_MAX 1 /* _STAT_VER_KERNEL 0, _STAT_VER_LINUX 1 */
#else
#define STAT_VER_MAX 0
#endif

#define NOCHK	       (void)0
#define CHK_LEN(n, bl) ((n) > (bl) ? __chk_fail() : (void)0)
#define CHK_OPEN(f)    (__OPEN_NEEDS_MODE(f) ? open_fail() : (void)0)
/* libc's own function for a form the syscall row does not have */
#define LIBC_IF(cond, sym, args)                                                                   \
	if (cond) {                                                                                \
		static __typeof__(sym) *real_;                                                     \
		if (!real_)                                                                        \
			real_ = (__typeof__(sym) *)dlsym(RTLD_NEXT, #sym);                         \
		if (!real_) {                                                                      \
			errno = ENOSYS;                                                            \
			return -1;                                                                 \
		}                                                                                  \
		return real_ args;                                                                 \
	}
/* libc declares the parameter nonnull, yet checks it: so do we (the asm
 * keeps the compiler from assuming the declaration) */
#define NONNULL(p)                                                                                 \
	long nn_ = (long)(p);                                                                      \
	__asm__("" : "+r"(nn_));                                                                   \
	if (!nn_) {                                                                                \
		errno = EINVAL;                                                                    \
		return -1;                                                                         \
	}
#define CHK_VER(v)                                                                                 \
	if ((v) < 0 || (v) > STAT_VER_MAX) {                                                       \
		errno = EINVAL;                                                                    \
		return -1;                                                                         \
	}

#define ENTRY(ret, sym, params, check, sc, ...)                                                    \
	EXPORT ret sym params                                                                      \
	{                                                                                          \
		check;                                                                             \
		long a_[6] = {CAST(__VA_ARGS__)};                                                  \
		return (ret)shim_call(__NR_##sc, a_);                                              \
	}

#define OPEN_ENTRY(sym, params, flags, sc, ...)                                                    \
	EXPORT int sym params                                                                      \
	{                                                                                          \
		mode_t mode_ = 0;                                                                  \
		if (__OPEN_NEEDS_MODE(flags)) {                                                    \
			va_list ap_;                                                               \
			va_start(ap_, flags);                                                      \
			mode_ = va_arg(ap_, mode_t);                                               \
			va_end(ap_);                                                               \
		}                                                                                  \
		long a_[6] = {CAST(__VA_ARGS__, mode_)};                                           \
		return (int)shim_call(__NR_##sc, a_);                                              \
	}

#define CRED_ENTRY(ret, sym, params, args)                                                         \
	EXPORT ret sym params                                                                      \
	{                                                                                          \
		static ret(*real_) params;                                                         \
		ret r_;                                                                            \
		if (!real_)                                                                        \
			real_ = (ret(*) params)dlsym(RTLD_NEXT, #sym);                             \
		if (!real_) {                                                                      \
			errno = ENOSYS;                                                            \
			return (ret)-1;                                                            \
		}                                                                                  \
		r_ = real_ args;                                                                   \
		shim_creds_changed();                                                              \
		return r_;                                                                         \
	}

#define HAND_ENTRY(sym) /* written out below */

/* only ever passed on: <sys/socket.h> would declare them with glibc's
 * transparent unions */
struct sockaddr;
struct msghdr;

#include "entries.def"

/* The timeval and utimbuf forms are utimensat, as libc makes them (no
 * check of the microseconds: the kernel's EINVAL sees the nanoseconds). */
static long utimes_call(int d, const char *p, const struct timeval *tv, int f)
{
	struct timespec ts[2];
	long a[6] = {d, (long)p, 0, f};

	if (tv) {
		for (int i = 0; i < 2; i++) {
			ts[i].tv_sec = tv[i].tv_sec;
			ts[i].tv_nsec = tv[i].tv_usec * 1000;
		}
		a[2] = (long)ts;
	}
	return shim_call(__NR_utimensat, a);
}

EXPORT int utimes(const char *p, const struct timeval tv[2])
{
	return (int)utimes_call(AT_FDCWD, p, tv, 0);
}

EXPORT int lutimes(const char *p, const struct timeval tv[2])
{
	return (int)utimes_call(AT_FDCWD, p, tv, AT_SYMLINK_NOFOLLOW);
}

EXPORT int futimes(int fd, const struct timeval tv[2])
{
	return (int)utimes_call(fd, NULL, tv, 0);
}

EXPORT int utime(const char *p, const struct utimbuf *u)
{
	struct timespec ts[2];
	long a[6] = {AT_FDCWD, (long)p, 0, 0};

	if (u) {
		ts[0] = (struct timespec){.tv_sec = u->actime};
		ts[1] = (struct timespec){.tv_sec = u->modtime};
		a[2] = (long)ts;
	}
	return (int)shim_call(__NR_utimensat, a);
}

/* Not an identity, but the daemon creates files with the process's umask. */
EXPORT mode_t umask(mode_t m)
{
	mode_t old = (mode_t)syscall(SYS_umask, m);

	shim_umask_changed(m);
	return old;
}

/* A vfork child shares the parent's memory, so it would use the parent's
 * ring, and lscad would take fds from the parent's table. fork() is a
 * valid vfork(); its child gets a ring of its own. */
EXPORT pid_t vfork(void)
{
	return fork();
}

EXPORT int prctl(int option, ...)
{
	unsigned long a[4];
	va_list ap;
	long r;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	reshape_before(SYS_prctl, (const long[]){option, (long)a[0]});
	r = syscall(SYS_prctl, option, a[0], a[1], a[2], a[3]);
	reshape_after(SYS_prctl, (const long[]){option, (long)a[0]}, r);
	return (int)r;
}

/* libc's syscall(): what libseccomp installs a filter with, and Landlock's
 * only way in. The call itself is libc's (in complete mode its syscall
 * instruction is dispatched as any other raw call). */
static long (*libc_syscall)(long, ...);

/* Early: the shim's own raw calls go through here too, some from its
 * SIGSYS handler, where dlsym must not run. */
__attribute__((constructor(101))) static void entries_init(void)
{
	libc_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
}

EXPORT long syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	long r;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!libc_syscall) /* a constructor that ran before ours */
		entries_init();
	if (!libc_syscall) {
		errno = ENOSYS;
		return -1;
	}
	if (!reshape_may(nr))
		return libc_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	reshape_before(nr, a);
	r = libc_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	reshape_after(nr, a, r);
	return r;
}

/* dup2(fd, fd) is not dup3's EINVAL: it checks fd and returns it */
EXPORT int dup2(int o, int n)
{
	long a[6] = {o, n, 0};

	if (o == n)
		return syscall(SYS_fcntl, o, F_GETFD) < 0 ? -1 : n;
	return (int)shim_call(__NR_dup3, a);
}

/* One argument, an int or a pointer, as libc's variadic fcntl reads it.
 * F_GETOWN is libc's own: it answers through F_GETOWN_EX, since the raw
 * call cannot return a process group (a negative number) as a result. */
static int fcntl_call(const char *sym, int fd, int cmd, long arg)
{
	static int (*real_)(int, int, ...);
	long a[6] = {fd, cmd, arg};

	if (cmd != F_GETOWN)
		return (int)shim_call(__NR_fcntl, a);
	if (!real_)
		real_ = (int (*)(int, int, ...))dlsym(RTLD_NEXT, sym);
	if (!real_) {
		errno = ENOSYS;
		return -1;
	}
	return real_(fd, cmd);
}

#define FCNTL_ENTRY(sym)                                                                           \
	EXPORT int sym(int fd, int cmd, ...)                                                       \
	{                                                                                          \
		va_list ap_;                                                                       \
		long arg_;                                                                         \
		va_start(ap_, cmd);                                                                \
		arg_ = va_arg(ap_, long);                                                          \
		va_end(ap_);                                                                       \
		return fcntl_call(#sym, fd, cmd, arg_);                                            \
	}
FCNTL_ENTRY(fcntl)
FCNTL_ENTRY(fcntl64)

EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	long a[6] = {fd, (long)req};

	va_start(ap, req);
	a[2] = va_arg(ap, long);
	va_end(ap);
	return (int)shim_call(__NR_ioctl, a);
}

/* close_range through lscad (its handlers see it, and the shim sees its
 * socket go); libc's own walk of /proc/self/fd without close_range. */
EXPORT void closefrom(int lo)
{
	static void (*real_)(int);
	long a[6] = {lo < 0 ? 0 : lo, (long)~0u, 0};

	if (shim_call(__NR_close_range, a) == 0 || errno != ENOSYS)
		return;
	if (!real_)
		real_ = (void (*)(int))dlsym(RTLD_NEXT, "closefrom");
	if (real_) {
		real_(lo);
		shim_fds_touched(__NR_close_range, a);
	}
}
