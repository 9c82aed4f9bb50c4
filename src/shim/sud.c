/* SPDX-License-Identifier: MIT */
/*
 * Complete interception with Syscall User Dispatch (see sud.h).
 *
 * The SIGSYS handler runs nested in whatever the thread was doing, inside
 * libc too (malloc holding its lock, stdio, the dynamic loader): it takes
 * no lock and allocates nothing. It is installed SA_NODEFER with an empty
 * mask, so it runs with exactly the program's signal mask, and a program
 * handler that interrupts a dispatched call may make calls of its own
 * (dispatched again, nested).
 *
 * Calls a signal handler cannot simply run for the program:
 *   rt_sigprocmask  sigreturn restores the mask of the interrupted code,
 *                   so the new mask goes into the ucontext as well;
 *   sigaltstack     likewise (sigreturn restores the alternate stack);
 *   rt_sigaction    program handlers get our restorer, whose rt_sigreturn
 *                   is in the allowed region (libc's would be dispatched);
 *                   SIGSYS stays ours: the program's own action is kept
 *                   and given every SIGSYS that is not a dispatch;
 *   clone, vfork    a child on a new stack or sharing our memory would
 *                   return into this handler's frame: these run again at
 *                   their own site with the selector at ALLOW, and the
 *                   thread traps again once it next leaves the shim;
 *   rt_sigreturn    (a restorer we did not replace) likewise.
 * SIGSYS is never left blocked: a dispatch while it is blocked would kill
 * the process.
 */
#include "sud.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "../common/sysdesc.h"
#include "fdtag.h"
#include "reshape.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#ifndef PR_SYS_DISPATCH_OFF
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON  1
#endif
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2 /* si_code */
#endif
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

#define EXPORT __attribute__((visibility("default")))

SHIM_TLS __thread volatile char sud_selector;
static SHIM_TLS __thread bool armed; /* this thread is registered */
_Atomic bool sud_on;

/* The allowed region: the raw syscall and the restorer. The kernel checks
 * the address after the syscall instruction, so the section must not end
 * right after the last one. */
#if defined(__x86_64__)
__asm__(".pushsection lsca_sud_text,\"ax\",%progbits\n"
	".globl sud_raw\n"
	".hidden sud_raw\n"
	".type sud_raw,@function\n"
	"sud_raw:\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rdi\n"
	"	mov %rdx, %rsi\n"
	"	mov %rcx, %rdx\n"
	"	mov %r8, %r10\n"
	"	mov %r9, %r8\n"
	"	mov 8(%rsp), %r9\n"
	"	syscall\n"
	"	ret\n"
	".size sud_raw, .-sud_raw\n"
	".globl sud_restorer\n"
	".hidden sud_restorer\n"
	".type sud_restorer,@function\n"
	"sud_restorer:\n"
	"	mov $15, %eax\n" /* rt_sigreturn */
	"	syscall\n"
	"	int3\n"
	".size sud_restorer, .-sud_restorer\n"
	".popsection\n");
#define SUD_ARCH     1
#define SYSCALL_INSN 2
#define UC_PC(uc)    ((uc)->uc_mcontext.gregs[REG_RIP])
#define UC_RET(uc)   ((uc)->uc_mcontext.gregs[REG_RAX])
static const int uc_args[6] = {REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9};
#define UC_ARG(uc, i) ((uc)->uc_mcontext.gregs[uc_args[i]])
#elif defined(__aarch64__)
__asm__(".pushsection lsca_sud_text,\"ax\",%progbits\n"
	".globl sud_raw\n"
	".hidden sud_raw\n"
	".type sud_raw,%function\n"
	"sud_raw:\n"
	"	mov x8, x0\n"
	"	mov x0, x1\n"
	"	mov x1, x2\n"
	"	mov x2, x3\n"
	"	mov x3, x4\n"
	"	mov x4, x5\n"
	"	mov x5, x6\n"
	"	svc #0\n"
	"	ret\n"
	".size sud_raw, .-sud_raw\n"
	".globl sud_restorer\n"
	".hidden sud_restorer\n"
	".type sud_restorer,%function\n"
	"sud_restorer:\n"
	"	mov x8, #139\n" /* rt_sigreturn */
	"	svc #0\n"
	"	brk #0\n"
	".size sud_restorer, .-sud_restorer\n"
	".popsection\n");
#define SUD_ARCH      1
#define SYSCALL_INSN  4
#define UC_PC(uc)     ((uc)->uc_mcontext.pc)
#define UC_RET(uc)    ((uc)->uc_mcontext.regs[0])
#define UC_ARG(uc, i) ((uc)->uc_mcontext.regs[i])
#else
#define SUD_ARCH 0
long sud_raw(long nr, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(nr, a, b, c, d, e, f);

	return r < 0 ? -errno : r;
}
#endif

#if SUD_ARCH
void sud_restorer(void);
extern const char __start_lsca_sud_text[], __stop_lsca_sud_text[];
#endif

/* The kernel's struct sigaction (x86_64 and arm64 alike). */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#define SIGBIT(s) (1ull << ((s)-1))
#define REEXEC	  (-4096L - 1) /* run it again at its own site */

/* The program's SIGSYS action, as it believes it installed it. */
static struct ksigaction prog_sigsys;

static bool bad_ptr(long p)
{
	return (unsigned long)p < 4096 || (unsigned long)p >= 1ul << 56;
}

static int arm(void)
{
#if SUD_ARCH
	uint64_t sys = SIGBIT(SIGSYS);
	long r = sud_raw(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
			 (long)__start_lsca_sud_text, __stop_lsca_sud_text - __start_lsca_sud_text,
			 (long)&sud_selector, 0);

	if (r < 0)
		return (int)r;
	/* a dispatch while SIGSYS is blocked kills the process */
	sud_raw(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&sys, 0, 8, 0, 0);
	armed = true;
	return 0;
#else
	return -EINVAL;
#endif
}

bool sud_supported(void)
{
#if SUD_ARCH
	return sud_raw(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0, 0) ==
	       0;
#else
	return false;
#endif
}

uint32_t sud_mode(void)
{
	return atomic_load(&sud_on) ? LSCA_INTERCEPT_COMPLETE : LSCA_INTERCEPT_ENTRY;
}

void sud_leave_slow(void)
{
	if (armed || arm() == 0)
		sud_selector = SUD_BLOCK;
}

void sud_after_fork(void)
{
	armed = false;
	if (atomic_load(&sud_on))
		arm();
}

/* A handler of the program: our restorer, and SIGSYS never masked. */
static void adopt(struct ksigaction *a)
{
#if SUD_ARCH
	if (a->handler == SIG_DFL || a->handler == SIG_IGN)
		return;
	a->flags |= SA_RESTORER;
	a->restorer = sud_restorer;
	a->mask &= ~SIGBIT(SIGSYS);
#else
	(void)a;
#endif
}

static long sigaction_call(const long *a)
{
	struct ksigaction n = {0};

	if (a[3] != 8 || (a[1] && bad_ptr(a[1])) || (a[2] && bad_ptr(a[2])))
		return sud_raw(SYS_rt_sigaction, a[0], a[1], a[2], a[3], 0, 0);
	if (a[1])
		memcpy(&n, (const void *)a[1], sizeof(n));
	if (a[0] == SIGSYS) {
		if (a[2])
			memcpy((void *)a[2], &prog_sigsys, sizeof(prog_sigsys));
		if (a[1])
			prog_sigsys = n;
		return 0;
	}
	if (!a[1])
		return sud_raw(SYS_rt_sigaction, a[0], 0, a[2], 8, 0, 0);
	adopt(&n);
	return sud_raw(SYS_rt_sigaction, a[0], (long)&n, a[2], 8, 0, 0);
}

/* The mask the interrupted code gets back is the one in the ucontext. */
static long sigmask_call(const long *a, ucontext_t *uc)
{
	long r = sud_raw(SYS_rt_sigprocmask, a[0], a[1], a[2], a[3], 0, 0);
	uint64_t cur = 0;

	if (r == 0 && a[1]) {
		sud_raw(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&cur, 8, 0, 0);
		if (cur & SIGBIT(SIGSYS)) {
			uint64_t sys = SIGBIT(SIGSYS);

			sud_raw(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&sys, 0, 8, 0, 0);
			cur &= ~sys;
		}
		memcpy(&uc->uc_sigmask, &cur, sizeof(cur));
	}
	return r;
}

static long altstack_call(const long *a, ucontext_t *uc)
{
	long r = sud_raw(SYS_sigaltstack, a[0], a[1], 0, 0, 0, 0);

	if (r == 0 && a[0])
		sud_raw(SYS_sigaltstack, 0, (long)&uc->uc_stack, 0, 0, 0, 0);
	return r;
}

/* A fork-like clone, run from the handler: the child returns through it
 * with its own copy of this frame. */
static long forked(long nr, const long *a)
{
	long r = sud_raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);

	if (r == 0) {
		sud_after_fork();
		shim_atfork_child(); /* a raw fork runs no atfork handlers */
	}
	return r;
}

static long clone_call(long nr, const long *a)
{
	unsigned long flags = (unsigned long)a[0];
	bool stack = a[1] != 0;

#ifdef SYS_clone3
	if (nr == SYS_clone3) {
		if (bad_ptr(a[0]) || (unsigned long)a[1] < 8 * sizeof(uint64_t))
			return sud_raw(nr, a[0], a[1], 0, 0, 0, 0); /* the kernel's error */
		flags = (unsigned long)((const uint64_t *)a[0])[0];
		stack = ((const uint64_t *)a[0])[5] != 0;
	}
#endif
	/* a task sharing our fd table whose calls we will not see: a
	 * process (CLONE_FILES), or a thread not made by pthread_create */
	if ((flags & CLONE_FILES) || ((flags & CLONE_VM) && !(flags & CLONE_VFORK)))
		fdtag_disable();
	if (stack || (flags & (CLONE_VM | CLONE_VFORK)))
		return REEXEC;
	return forked(nr, a);
}

/* The program takes Syscall User Dispatch for itself (an emulator): it
 * gets SIGSYS back, and this process stops being dispatched by us. */
static long own_dispatch(const long *a)
{
	fdtag_disable(); /* we see its calls no longer */
	atomic_store(&sud_on, false);
	armed = false;
	sud_raw(SYS_rt_sigaction, SIGSYS, (long)&prog_sigsys, 0, 8, 0, 0);
	return sud_raw(SYS_prctl, a[0], a[1], a[2], a[3], a[4], 0);
}

static long trapped(long nr, long *a, ucontext_t *uc)
{
	switch (nr) {
	case SYS_rt_sigprocmask:
		return sigmask_call(a, uc);
	case SYS_rt_sigaction:
		return sigaction_call(a);
	case SYS_sigaltstack:
		return altstack_call(a, uc);
	case SYS_rt_sigreturn:
		return REEXEC;
	case SYS_clone:
#ifdef SYS_clone3
	case SYS_clone3:
#endif
		return clone_call(nr, a);
#ifdef SYS_fork
	case SYS_fork:
		return forked(nr, a);
#endif
#ifdef SYS_vfork
	case SYS_vfork:
		return REEXEC;
#endif
	case SYS_prctl:
		if (a[0] == PR_SET_SYSCALL_USER_DISPATCH)
			return own_dispatch(a);
		break;
	case SYS_io_uring_enter:
	case SYS_io_uring_register:
		/* a ring this process did not set up itself (received over a
		 * socket, inherited): it closes fds where we cannot see */
		fdtag_disable();
		break;
	case SYS_execve:
	case SYS_execveat:
		/* the kernel closes the close-on-exec fds unseen: lscad lets
		 * go of what it keeps first (the new program attaches anew) */
		fdtag_forget_all();
		break;
	default:
		break;
	}
	if (lsca_sysdesc(nr))
		return shim_call_raw(nr, a);
	if (reshape_may(nr)) {
		/* raw set*id, prctl, seccomp, Landlock: no entry point saw them */
		long r;

		reshape_before(nr, a);
		r = sud_raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		reshape_after(nr, a, r);
		return r;
	}
#ifdef SYS_dup2
	if (nr == SYS_dup2) {
		/* dup2 frees its target: lscad lets go of it first (fdtag.h) */
		int lo, hi;
		bool frees = fdtag_frees(nr, a, &lo, &hi);
		long r;

		if (frees && fdtag_any_held(lo, hi))
			shim_pseudo_call(LSCA_NR_FORGET, lo, hi);
		r = sud_raw(nr, a[0], a[1], 0, 0, 0, 0);
		if (frees)
			fdtag_freed(lo, hi);
		return r;
	}
#endif
	return sud_raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* A SIGSYS that is not a dispatch (seccomp's SECCOMP_RET_TRAP, a kill):
 * the program's own action. */
static void foreign(int sig, siginfo_t *si, void *ctx)
{
	struct ksigaction p = prog_sigsys;

	if (p.handler == SIG_IGN)
		return;
	if (p.handler == SIG_DFL) {
		struct ksigaction dfl = {.handler = SIG_DFL};

		sud_raw(SYS_rt_sigaction, SIGSYS, (long)&dfl, 0, 8, 0, 0);
		sud_raw(SYS_tgkill, sud_raw(SYS_getpid, 0, 0, 0, 0, 0, 0),
			sud_raw(SYS_gettid, 0, 0, 0, 0, 0, 0), SIGSYS, 0, 0, 0);
		return;
	}
	if (p.flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))p.handler)(sig, si, ctx);
	else
		((void (*)(int))p.handler)(sig);
}

#if SUD_ARCH
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	int e = errno;
	long a[6], r;

	if (si->si_code != SYS_USER_DISPATCH) {
		foreign(sig, si, ctx);
		errno = e;
		return;
	}
	sud_selector = SUD_ALLOW;
	for (int i = 0; i < 6; i++)
		a[i] = (long)UC_ARG(uc, i);
	r = trapped(si->si_syscall, a, uc);
	errno = e;
	if (r == REEXEC) {
		/* back to the syscall instruction, which now passes */
		UC_PC(uc) -= SYSCALL_INSN;
		return;
	}
	UC_RET(uc) = r;
	if (armed)
		sud_selector = SUD_BLOCK; /* our restorer's rt_sigreturn passes */
}
#endif

/* How many threads the process has now, from /proc/self/status; -1 when
 * it cannot tell. */
static int threads(void)
{
	char buf[4096], *p;
	long fd = sud_raw(SYS_openat, AT_FDCWD, (long)"/proc/self/status", O_RDONLY | O_CLOEXEC, 0,
			  0, 0),
	     n;

	if (fd < 0)
		return -1;
	n = sud_raw(SYS_read, fd, (long)buf, sizeof(buf) - 1, 0, 0, 0);
	sud_raw(SYS_close, fd, 0, 0, 0, 0, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nThreads:");
	return p ? atoi(p + 9) : -1;
}

uint32_t sud_start(void)
{
#if SUD_ARCH
	struct ksigaction ours = {.handler = (void *)on_sigsys,
				  .flags = SA_SIGINFO | SA_NODEFER | SA_RESTART | SA_RESTORER,
				  .restorer = sud_restorer},
			  old;

	if (atomic_load(&sud_on))
		return LSCA_INTERCEPT_COMPLETE;
	if (!sud_supported())
		return LSCA_INTERCEPT_ENTRY;
	if (sud_raw(SYS_rt_sigaction, SIGSYS, (long)&ours, (long)&prog_sigsys, 8, 0, 0) < 0)
		return LSCA_INTERCEPT_ENTRY;
	if (arm() < 0) {
		sud_raw(SYS_rt_sigaction, SIGSYS, (long)&prog_sigsys, 0, 8, 0, 0);
		return LSCA_INTERCEPT_ENTRY;
	}
	/* handlers installed before us return through our restorer too */
	for (int s = 1; s <= 64; s++) {
		if (s == SIGKILL || s == SIGSTOP || s == SIGSYS ||
		    sud_raw(SYS_rt_sigaction, s, 0, (long)&old, 8, 0, 0) < 0)
			continue;
		if (old.handler != SIG_DFL && old.handler != SIG_IGN) {
			adopt(&old);
			sud_raw(SYS_rt_sigaction, s, (long)&old, 0, 8, 0, 0);
		}
	}
	atomic_store(&sud_on, true);
	/* a thread started before now (another library's constructor) is
	 * not registered: its calls go unseen until it enters the shim, so
	 * lscad must not keep our files (fdtag.h) */
	if (threads() != 1)
		fdtag_disable();
	sud_selector = SUD_BLOCK;
	return LSCA_INTERCEPT_COMPLETE;
#else
	return LSCA_INTERCEPT_ENTRY;
#endif
}

/* ---- functions that start threads or share our memory with a child ---- */

#define REAL(ret, sym, params)                                                                     \
	static ret(*real_) params;                                                                 \
	if (!real_)                                                                                \
		real_ = (ret(*) params)dlsym(RTLD_NEXT, #sym);                                     \
	if (!real_)                                                                                \
		return ENOSYS;

struct start {
	void *(*fn)(void *);
	void *arg;
};

static void *thread_start(void *p)
{
	struct start s = *(struct start *)p;

	free(p);
	sud_leave(); /* the kernel gave the new thread no registration */
	return s.fn(s.arg);
}

/* The clone of a new thread cannot run from the SIGSYS handler (the child
 * would return into it on its own stack): it runs with the selector at
 * ALLOW, and the thread arms itself first thing. */
EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct start *s;
	int r;

	REAL(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *));
	if (!atomic_load_explicit(&sud_on, memory_order_relaxed))
		return real_(t, attr, fn, arg);
	sud_enter();
	s = malloc(sizeof(*s));
	if (!s) {
		sud_leave();
		return EAGAIN;
	}
	*s = (struct start){fn, arg};
	r = real_(t, attr, thread_start, s);
	if (r)
		free(s);
	sud_leave();
	return r;
}

/* posix_spawn's child shares our memory until it execs: it must not go
 * through the handler (nor arm itself, nor touch the shim). */
#define SPAWN_ENTRY(sym)                                                                           \
	EXPORT int sym(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,         \
		       const posix_spawnattr_t *at, char *const argv[], char *const envp[])        \
	{                                                                                          \
		int r;                                                                             \
		REAL(int, sym,                                                                     \
		     (pid_t *, const char *, const posix_spawn_file_actions_t *,                   \
		      const posix_spawnattr_t *, char *const[], char *const[]));                   \
		sud_enter();                                                                       \
		r = real_(pid, path, fa, at, argv, envp);                                          \
		sud_leave();                                                                       \
		return r;                                                                          \
	}
SPAWN_ENTRY(posix_spawn)
SPAWN_ENTRY(posix_spawnp)
