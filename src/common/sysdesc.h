/* SPDX-License-Identifier: MIT */
/*
 * sysdesc.h - the table of proxied system calls and their argument kinds.
 *
 * One row per syscall, by the target's own syscall number (aarch64 has only
 * the *at forms, so the shim normalises open/stat/unlink/... to them). The
 * shim marshals from this table and the daemon unmarshals and executes from
 * it; no call has a hand-written marshaller.
 */
#ifndef LSCA_SYSDESC_H
#define LSCA_SYSDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lsca/plugin.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include "proto.h"

/* The argument kinds are the plugin ABI's (<lsca/plugin.h>): a handler sees
 * exactly the kinds the transport uses. */
enum lsca_argkind {
	LSCA_A_NONE = LSCA_ARG_NONE,
	LSCA_A_INT = LSCA_ARG_INT,	 /* passed as is (flags, mode, offset, whence) */
	LSCA_A_FD = LSCA_ARG_FD,	 /* the client's fd number: the daemon fetches that file */
	LSCA_A_DIRFD = LSCA_ARG_DIRFD,	 /* AT_FDCWD or an fd */
	LSCA_A_PATH = LSCA_ARG_PATH,	 /* NUL-terminated string, copied in */
	LSCA_A_INBUF = LSCA_ARG_INBUF,	 /* bytes copied in; length is the next argument */
	LSCA_A_OUTBUF = LSCA_ARG_OUTBUF, /* bytes copied out; length is the next argument */
	/* iovecs travel flat; the next argument is their count at the API,
	 * their bytes in a request or an event */
	LSCA_A_IOVIN = LSCA_ARG_IOVIN,
	LSCA_A_IOVOUT = LSCA_ARG_IOVOUT,
	LSCA_A_LEN = LSCA_ARG_LEN,	 /* length of the preceding buffer */
	LSCA_A_STAT = LSCA_ARG_STAT,	 /* struct stat out */
	LSCA_A_STATX = LSCA_ARG_STATX,	 /* struct statx out */
	LSCA_A_OFFSET = LSCA_ARG_OFFSET, /* loff_t * in/out: watch-only calls */
	LSCA_A_TIMES = LSCA_ARG_TIMES,	 /* struct timespec[2] in, or NULL: copied in */
	LSCA_A_STATFS = LSCA_ARG_STATFS, /* struct statfs out */
	LSCA_A_STRING = LSCA_ARG_STRING, /* NUL-terminated, not a path (an xattr name) */
	/* LSCA_A_NONE between arguments: a pointer lscad never sees (it is 0
	 * in the request); only the process uses it */
};

enum lsca_sysflags {
	LSCA_S_STREAM = 1u << 0, /* may block on a pipe or socket: lscad never waits */
	LSCA_S_NEWFD = 1u << 1,	 /* returns a new fd for the client */
	LSCA_S_LOCAL = 1u << 2,	 /* the daemon approves, the client performs (close) */
	LSCA_S_CWD = 1u << 3,	 /* changes the cwd: daemon follows, client performs */
	LSCA_S_CHUNK = 1u << 4,	 /* buffer larger than a slot is split into chunks */
	LSCA_S_POS = 1u << 5,	 /* positional: argument 3 is the file offset */
	LSCA_S_CLIENT = 1u << 6, /* always runs in the client; lscad can only watch it */
	LSCA_S_CANCEL = 1u << 7, /* a cancellation point of libc (fcntl: F_SETLKW only) */
	LSCA_S_NOADDR = 1u << 8, /* proxied only without a peer address (arguments 4, 5) */
	/* the path may be NULL after a real fd: the call acts on that fd (futimens) */
	LSCA_S_NULLPATH = 1u << 9,
	/* the out buffer may not be cut to the slot (ERANGE where the caller's
	 * buffer was large enough): one larger than a slot that is smaller than
	 * 64 KiB (XATTR_SIZE_MAX, XATTR_LIST_MAX) runs in the process */
	LSCA_S_EXACT = 1u << 10,
	/* reads, seeks or stats an open file whose access the kernel settled
	 * when it was opened: on a plain file system the caller's credentials
	 * play no part (a privileged client's are not re-checked for it when
	 * lscad keeps the file; never a write: see worker.c) */
	LSCA_S_OPENED = 1u << 11,
};

/* A NULL pointer argument in a request (TIMES, a NULLPATH row's PATH). */
#define LSCA_ARG_NULL UINT64_MAX

#define K(x) LSCA_A_##x
/*   name        flags                                    arguments */
#define LSCA_SYSCALLS(X)                                                                           \
	X(read, LSCA_S_STREAM | LSCA_S_CHUNK | LSCA_S_CANCEL | LSCA_S_OPENED, K(FD), K(OUTBUF),    \
	  K(LEN))                                                                                  \
	X(write, LSCA_S_STREAM | LSCA_S_CHUNK | LSCA_S_CANCEL, K(FD), K(INBUF), K(LEN))            \
	X(pread64, LSCA_S_CHUNK | LSCA_S_POS | LSCA_S_CANCEL | LSCA_S_OPENED, K(FD), K(OUTBUF),    \
	  K(LEN), K(INT))                                                                          \
	X(pwrite64, LSCA_S_CHUNK | LSCA_S_POS | LSCA_S_CANCEL, K(FD), K(INBUF), K(LEN), K(INT))    \
	X(readv, LSCA_S_STREAM | LSCA_S_CHUNK | LSCA_S_CANCEL | LSCA_S_OPENED, K(FD), K(IOVOUT),   \
	  K(LEN))                                                                                  \
	X(writev, LSCA_S_STREAM | LSCA_S_CHUNK | LSCA_S_CANCEL, K(FD), K(IOVIN), K(LEN))           \
	X(preadv, LSCA_S_CHUNK | LSCA_S_POS | LSCA_S_CANCEL | LSCA_S_OPENED, K(FD), K(IOVOUT),     \
	  K(LEN), K(INT), K(INT))                                                                  \
	X(pwritev, LSCA_S_CHUNK | LSCA_S_POS | LSCA_S_CANCEL, K(FD), K(IOVIN), K(LEN), K(INT),     \
	  K(INT))                                                                                  \
	X(lseek, LSCA_S_OPENED, K(FD), K(INT), K(INT))                                             \
	X(close, LSCA_S_LOCAL | LSCA_S_CANCEL | LSCA_S_OPENED, K(FD))                              \
	X(fstat, LSCA_S_OPENED, K(FD), K(STAT))                                                    \
	X(newfstatat, 0, K(DIRFD), K(PATH), K(STAT), K(INT))                                       \
	X(statx, 0, K(DIRFD), K(PATH), K(INT), K(INT), K(STATX))                                   \
	X(openat, LSCA_S_NEWFD | LSCA_S_CANCEL, K(DIRFD), K(PATH), K(INT), K(INT))                 \
	X(faccessat, 0, K(DIRFD), K(PATH), K(INT))                                                 \
	X(faccessat2, 0, K(DIRFD), K(PATH), K(INT), K(INT))                                        \
	X(unlinkat, 0, K(DIRFD), K(PATH), K(INT))                                                  \
	X(mkdirat, 0, K(DIRFD), K(PATH), K(INT))                                                   \
	X(renameat2, 0, K(DIRFD), K(PATH), K(DIRFD), K(PATH), K(INT))                              \
	X(fsync, LSCA_S_CANCEL | LSCA_S_OPENED, K(FD))                                             \
	X(fdatasync, LSCA_S_CANCEL | LSCA_S_OPENED, K(FD))                                         \
	X(truncate, 0, K(PATH), K(INT))                                                            \
	X(ftruncate, 0, K(FD), K(INT))                                                             \
	X(chdir, LSCA_S_CWD, K(PATH))                                                              \
	X(fchdir, LSCA_S_CWD, K(FD))                                                               \
	X(copy_file_range, LSCA_S_CLIENT, K(FD), K(OFFSET), K(FD), K(OFFSET), K(INT), K(INT))      \
	X(sendfile, LSCA_S_CLIENT, K(FD), K(FD), K(OFFSET), K(INT))                                \
	/* names and fds of the file-system family */                                              \
	X(readlinkat, 0, K(DIRFD), K(PATH), K(OUTBUF), K(LEN))                                     \
	X(symlinkat, 0, K(PATH), K(DIRFD), K(PATH))                                                \
	X(linkat, 0, K(DIRFD), K(PATH), K(DIRFD), K(PATH), K(INT))                                 \
	X(fchmodat, 0, K(DIRFD), K(PATH), K(INT))                                                  \
	X(fchownat, 0, K(DIRFD), K(PATH), K(INT), K(INT), K(INT))                                  \
	X(mknodat, 0, K(DIRFD), K(PATH), K(INT), K(INT))                                           \
	X(fchmod, 0, K(FD), K(INT))                                                                \
	X(fchown, 0, K(FD), K(INT), K(INT))                                                        \
	X(fallocate, 0, K(FD), K(INT), K(INT), K(INT))                                             \
	X(flock, 0, K(FD), K(INT))                                                                 \
	X(getdents64, LSCA_S_OPENED, K(FD), K(OUTBUF), K(LEN))                                     \
	X(utimensat, LSCA_S_NULLPATH, K(DIRFD), K(PATH), K(TIMES), K(INT))                         \
	X(statfs, 0, K(PATH), K(STATFS))                                                           \
	X(fstatfs, LSCA_S_OPENED, K(FD), K(STATFS))                                                \
	/* extended attributes: a value or a list out; size 0 asks for the size */                 \
	X(getxattr, LSCA_S_EXACT, K(PATH), K(STRING), K(OUTBUF), K(LEN))                           \
	X(lgetxattr, LSCA_S_EXACT, K(PATH), K(STRING), K(OUTBUF), K(LEN))                          \
	X(fgetxattr, LSCA_S_EXACT, K(FD), K(STRING), K(OUTBUF), K(LEN))                            \
	X(setxattr, 0, K(PATH), K(STRING), K(INBUF), K(LEN), K(INT))                               \
	X(lsetxattr, 0, K(PATH), K(STRING), K(INBUF), K(LEN), K(INT))                              \
	X(fsetxattr, 0, K(FD), K(STRING), K(INBUF), K(LEN), K(INT))                                \
	X(listxattr, LSCA_S_EXACT, K(PATH), K(OUTBUF), K(LEN))                                     \
	X(llistxattr, LSCA_S_EXACT, K(PATH), K(OUTBUF), K(LEN))                                    \
	X(flistxattr, LSCA_S_EXACT, K(FD), K(OUTBUF), K(LEN))                                      \
	X(removexattr, 0, K(PATH), K(STRING))                                                      \
	X(lremovexattr, 0, K(PATH), K(STRING))                                                     \
	X(fremovexattr, 0, K(FD), K(STRING))                                                       \
	/* sockets: data on a connected socket is proxied, the rest is approved by                 \
	 * lscad and performed by the process (see docs/interception.md) */                        \
	X(sendto, LSCA_S_STREAM | LSCA_S_CHUNK | LSCA_S_CANCEL | LSCA_S_NOADDR, K(FD), K(INBUF),   \
	  K(LEN), K(INT))                                                                          \
	X(recvfrom, LSCA_S_STREAM | LSCA_S_CHUNK | LSCA_S_CANCEL | LSCA_S_NOADDR, K(FD),           \
	  K(OUTBUF), K(LEN), K(INT))                                                               \
	X(shutdown, LSCA_S_OPENED, K(FD), K(INT))                                                  \
	X(socket, LSCA_S_LOCAL, K(INT), K(INT), K(INT))                                            \
	X(socketpair, LSCA_S_LOCAL, K(INT), K(INT), K(INT))                                        \
	X(bind, LSCA_S_LOCAL, K(FD), K(INBUF), K(LEN))                                             \
	X(listen, LSCA_S_LOCAL, K(FD), K(INT))                                                     \
	X(connect, LSCA_S_LOCAL | LSCA_S_CANCEL, K(FD), K(INBUF), K(LEN))                          \
	X(accept, LSCA_S_LOCAL | LSCA_S_CANCEL, K(FD))                                             \
	X(accept4, LSCA_S_LOCAL | LSCA_S_CANCEL, K(FD), K(NONE), K(NONE), K(INT))                  \
	X(getsockname, LSCA_S_LOCAL, K(FD))                                                        \
	X(getpeername, LSCA_S_LOCAL, K(FD))                                                        \
	X(getsockopt, LSCA_S_LOCAL, K(FD), K(INT), K(INT))                                         \
	X(setsockopt, LSCA_S_LOCAL, K(FD), K(INT), K(INT), K(INBUF), K(LEN))                       \
	X(sendmsg, LSCA_S_LOCAL | LSCA_S_CANCEL, K(FD), K(NONE), K(INT))                           \
	X(recvmsg, LSCA_S_LOCAL | LSCA_S_CANCEL, K(FD), K(NONE), K(INT))                           \
	/* the process's own fd table */                                                           \
	X(pipe2, LSCA_S_LOCAL, K(NONE), K(INT))                                                    \
	X(dup, LSCA_S_LOCAL, K(FD))                                                                \
	X(dup3, LSCA_S_LOCAL, K(FD), K(FD), K(INT))                                                \
	X(fcntl, LSCA_S_LOCAL | LSCA_S_CANCEL, K(FD), K(INT), K(INT))                              \
	X(ioctl, LSCA_S_LOCAL, K(FD), K(INT), K(INT))                                              \
	X(close_range, LSCA_S_LOCAL, K(INT), K(INT), K(INT))                                       \
	/* approved by lscad, performed by the process; its rings bypass any agent */              \
	X(io_uring_setup, LSCA_S_LOCAL, K(INT), K(INT))

/* Dense index of each row, for per-call statistics. */
enum lsca_op {
#define LSCA_OP_ENUM(name, ...) LSCA_OP_##name,
	LSCA_SYSCALLS(LSCA_OP_ENUM)
#undef LSCA_OP_ENUM
	    LSCA_NOPS
};

struct lsca_sysdesc {
	const char *name;
	uint32_t nr;
	uint16_t op;
	uint16_t flags;
	uint8_t kinds[LSCA_MAX_ARGS];
	uint32_t kindset; /* LSCA_KIND(k) of every kind in kinds: what to look for */
};

/* A kind's bit in kindset: a call without one skips every walk for it. */
#define LSCA_KIND(k) (1u << (k))
#define LSCA_KINDSET_(a, b, c, d, e, f, ...)                                                       \
	(LSCA_KIND(a) | LSCA_KIND(b) | LSCA_KIND(c) | LSCA_KIND(d) | LSCA_KIND(e) | LSCA_KIND(f))
#define LSCA_KINDSET(...)                                                                          \
	LSCA_KINDSET_(__VA_ARGS__, LSCA_A_NONE, LSCA_A_NONE, LSCA_A_NONE, LSCA_A_NONE,             \
		      LSCA_A_NONE, LSCA_A_NONE)
#define LSCA_HAS(d, k) (((d)->kindset & LSCA_KIND(LSCA_A_##k)) != 0)

/* Highest syscall number the table can index; larger numbers are not proxied. */
#define LSCA_NR_MAX 512

/* The row for syscall nr, or NULL when nr is not proxied. */
const struct lsca_sysdesc *lsca_sysdesc(long nr);
/* The row for a dense op index (0 <= op < LSCA_NOPS). */
const struct lsca_sysdesc *lsca_sysdesc_op(unsigned op);
/* Whether path p names the calling process itself (/proc/self, /dev/fd,
 * /dev/stdout...): 1 if so, 0 if not. With buf, also writes what it stands
 * for in process pid, thread tid (/proc/PID/...), or returns -ENAMETOOLONG. */
int lsca_own_path(const char *p, pid_t pid, pid_t tid, char *buf, size_t len);

/* The fd numbers call nr (args as made) frees, lo..hi: false if none.
 * close, dup2 and dup3 onto another number, close_range (not with
 * CLOSE_RANGE_CLOEXEC, which frees nothing). */
bool lsca_frees_fds(long nr, const long *args, unsigned *lo, unsigned *hi);

/* Size of the output struct of an argument kind, 0 for non-struct kinds. */
size_t lsca_argkind_size(enum lsca_argkind kind);

#endif /* LSCA_SYSDESC_H */
