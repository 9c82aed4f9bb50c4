/* SPDX-License-Identifier: MIT */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/proto.h"
#include "../common/sysdesc.h"
#include "client.h"
#include "dispatch.h"
#include "fdcache.h"
#include "lscad.h"
#include "procfs.h"
#include "resolve.h"

/* The result the executor gives when the client must run the call itself
 * (and posts it to the watching plugins, if any). */
static long go_direct(struct exec_ctx *x)
{
	x->resp_flags |= LSCA_RESP_DIRECT;
	x->call->flags |= DISPATCH_POST_BY_CLIENT;
	return -EAGAIN;
}

/* The client's open file behind fd number fd, as a daemon fd. */
static int fetch_fd(struct client *c, int fd)
{
	int r = (int)syscall(SYS_pidfd_getfd, c->pidfd, fd, 0);

	return r < 0 ? -errno : r;
}

/* File systems whose reads, seeks and stats never ask who makes them (no
 * capable() at read time, as sysfs, debugfs, securityfs or a FUSE server
 * may): on these a kept file needs no fresh look at a privileged client's
 * capabilities before a call settled at open (LSCA_S_OPENED). */
static bool plain_fs(int fd)
{
	static const unsigned long plain[] = {
	    EXT4_SUPER_MAGIC,	   XFS_SUPER_MAGIC,   BTRFS_SUPER_MAGIC, TMPFS_MAGIC,
	    OVERLAYFS_SUPER_MAGIC, F2FS_SUPER_MAGIC,  SQUASHFS_MAGIC,	 EROFS_SUPER_MAGIC_V1,
	    RAMFS_MAGIC,	   MSDOS_SUPER_MAGIC,
	};
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return false;
	for (unsigned i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if ((unsigned long)sf.f_type == plain[i])
			return true;
	return false;
}

/* The client's file behind fd argument i (number num) as our fd, and its
 * type; *kept: the fd is the cache's, not the caller's to close. -EXDEV for
 * a procfs file: such a file checks at read time whether its reader may
 * look at a process (/proc/PID/wchan, readlink of /proc/PID/exe), and
 * lscad's workers may look at every one (CAP_SYS_PTRACE). */
static int arg_file(struct exec_ctx *x, unsigned i, int num, mode_t *type, bool *kept)
{
	struct stat st;
	int fd = fdcache_lookup(x->fdc, num, x->tags[i], type);

	*kept = fd >= 0;
	if (*kept) {
		x->resp_flags |= LSCA_RESP_HELD;
		x->uses_kept = true;
		return fd;
	}
	fd = fetch_fd(x->c, num);
	if (fd == -EMFILE && x->fdc->held) {
		fdcache_clear(x->fdc); /* our table is full: make room */
		fd = fetch_fd(x->c, num);
	}
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || st.st_dev == x->c->d->proc_dev) {
		close(fd);
		return -EXDEV;
	}
	*type = st.st_mode & S_IFMT;
	/* keeping may evict another entry: never one this call is using
	 * (renameat2(3, .., 131, ..) would run on an fd we just closed) */
	if ((x->tags[i] & LSCA_FD_TAGGED) && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) &&
	    !x->uses_kept) {
		fdcache_keep(x->fdc, num, x->tags[i], fd, *type, plain_fs(fd));
		x->resp_flags |= LSCA_RESP_HELD;
		x->uses_kept = *kept = true;
	} else if ((x->tags[i] & LSCA_FD_TAGGED) && !x->uses_kept) {
		fdcache_forget(x->fdc, num, num); /* whatever we kept is stale */
	}
	return fd;
}

/* After openat: keep only what the daemon can serve faithfully. A FIFO,
 * device or socket may block or behave per-opener; a procfs file would be
 * the daemon's own (/proc/self, magic links). Those the client opens itself. */
static bool servable_file(struct client *c, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return false;
	if (st.st_dev == c->d->proc_dev)
		return false;
	return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);
}

static long finish_openat(struct exec_ctx *x, long r)
{
	struct client *c = x->c;
	int fd = (int)r, e;

	if (r < 0)
		return r;
	if (!servable_file(c, fd)) {
		close(fd);
		return go_direct(x);
	}
	e = client_send_fd(c, x->slot, x->seq, fd);
	close(fd);
	if (e == 0)
		x->call->flags |= DISPATCH_POST_BY_CLIENT; /* only it knows the number */
	if (e < 0)
		return e == -EAGAIN ? -EMFILE : e;
	x->resp_flags |= LSCA_RESP_FD;
	return 0;
}

static int arg_of_kind(const struct lsca_sysdesc *d, enum lsca_argkind k1, enum lsca_argkind k2)
{
	for (int i = 0; i < LSCA_MAX_ARGS; i++)
		if (d->kinds[i] == k1 || d->kinds[i] == k2)
			return i;
	return -1;
}

static bool stat_on_proc(struct client *c, enum lsca_argkind kind, const void *out)
{
	if (kind == LSCA_A_STATX) {
		const struct statx *sx = out;

		return makedev(sx->stx_dev_major, sx->stx_dev_minor) == c->d->proc_dev;
	}
	return ((const struct stat *)out)->st_dev == c->d->proc_dev;
}

/* Follow the client's cwd as the kernel reports it now: it may have
 * changed directory through a call the shim never saw (libc's
 * nftw(FTW_CHDIR) does). One stat of /proc/PID/cwd per relative path (lscad's
 * /proc: a chrooted client's worker has none of its own). */
static void follow_cwd(struct client *c)
{
	struct stat st;
	int fd;

	if (procfs_stat(&st, "%d/cwd", (int)c->pid) < 0 ||
	    (st.st_dev == c->cwd_dev && st.st_ino == c->cwd_ino))
		return; /* unchanged, or gone */
	fd = procfs_open(O_PATH | O_DIRECTORY, "%d/cwd", (int)c->pid);
	if (fd < 0)
		return;
	if (fchdir(fd) < 0) {
		close(fd);
		return;
	}
	close(c->cwd_fd);
	c->cwd_fd = fd;
	c->cwd_dev = st.st_dev;
	c->cwd_ino = st.st_ino;
}

/* send/recv flags lscad serves; others (MSG_OOB, MSG_WAITALL, MSG_TRUNC,
 * MSG_ERRQUEUE...) wait, or answer differently: the client runs those */
#define SEND_SERVED (MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE)
#define RECV_SERVED (MSG_DONTWAIT | MSG_PEEK | MSG_CMSG_CLOEXEC)

/* Whether lscad may move the bytes of a socket call on fd: not where the
 * peer would learn who sent them (AF_UNIX carries the sender's pid and
 * ids, netlink its port), nor a datagram a chunk could split or cut. */
static bool socket_servable(struct exec_ctx *x, int fd, bool out, size_t len)
{
	int dom = 0, type = 0, lowat = 1;
	socklen_t l = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
		return false;
	if (dom != AF_INET && dom != AF_INET6 && (out || dom != AF_UNIX))
		return false;
	if (type != SOCK_STREAM)
		return len < x->c->ring.data_size;
	/* a receiver that waits for more than one byte */
	return out || (getsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, &l) == 0 && lowat <= 1);
}

/* read, write, send and recv on a pipe or socket: lscad moves what can
 * move without waiting (RWF_NOWAIT, MSG_DONTWAIT) and never waits. A
 * call that would wait goes back to the client, which waits in its own
 * kernel call: its signals interrupt or restart it as SA_RESTART says,
 * pthread_cancel reaches it, and no worker is held. A blocking client
 * never sees EAGAIN. */
static long stream_call(struct exec_ctx *x, const struct lsca_sysdesc *d, const long *a, int fd,
			mode_t type)
{
	bool out = d->kinds[1] == LSCA_A_INBUF,
	     sock = d->nr == __NR_sendto || d->nr == __NR_recvfrom;
	long cflags = sock ? a[3] : 0, r;
	struct iovec iov = {.iov_base = (void *)a[1], .iov_len = (size_t)a[2]};
	int fl = fcntl(fd, F_GETFL);
	bool nonblock = (fl & O_NONBLOCK) || (cflags & MSG_DONTWAIT);

	if (sock && !S_ISSOCK(type))
		return -ENOTSOCK;
	if (fl < 0 || (d->kinds[1] != LSCA_A_INBUF && d->kinds[1] != LSCA_A_OUTBUF))
		return go_direct(x); /* readv/writev: served on regular files only */
	if (S_ISSOCK(type)) {
		if ((cflags & ~(out ? SEND_SERVED : RECV_SERVED)) ||
		    !socket_servable(x, fd, out, iov.iov_len))
			return go_direct(x);
		r = out ? send(fd, iov.iov_base, iov.iov_len,
			       (int)cflags | MSG_DONTWAIT | MSG_NOSIGNAL)
			: recv(fd, iov.iov_base, iov.iov_len, (int)cflags | MSG_DONTWAIT);
	} else if (S_ISFIFO(type) && !(fl & O_DIRECT)) {
		/* O_DIRECT: a packet pipe, whose packets a chunk could cut */
		r = out ? pwritev2(fd, &iov, 1, -1, RWF_NOWAIT)
			: preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
	} else {
		/* a terminal (job control), a device, an eventfd or signalfd
		 * (lscad's own signals): only the client's call is right */
		return go_direct(x);
	}
	if (r < 0)
		r = -errno;
	/* EOPNOTSUPP: a kernel without RWF_NOWAIT on pipes */
	if ((r == -EAGAIN && !nonblock) || r == -EOPNOTSUPP)
		return go_direct(x);
	if (r == -EPIPE && out && !(cflags & MSG_NOSIGNAL))
		x->resp_flags |= LSCA_RESP_SIGPIPE;
	/* a blocking writer would have waited for room for the rest */
	if (out && r >= 0 && (size_t)r < iov.iov_len && !nonblock)
		x->resp_flags |= LSCA_RESP_MORE;
	return r;
}

/* A path that the kernel would resolve against the cwd. */
static bool relative_to_cwd(const struct lsca_sysdesc *d, const long *a)
{
	for (unsigned i = 0; i < LSCA_MAX_ARGS; i++)
		if (d->kinds[i] == LSCA_A_PATH && a[i] && ((const char *)a[i])[0] != '/' &&
		    (i == 0 || d->kinds[i - 1] != LSCA_A_DIRFD || (int)a[i - 1] == AT_FDCWD))
			return true;
	return false;
}

/* The hot shape, served without the general walk: one fd, the first
 * argument, whose file we keep; no path, no iovec, nothing made or
 * approved (lseek, fstat, pread, pwrite; read and write on a regular file).
 * Returns false for anything else. */
static bool exec_kept(struct exec_ctx *x, const struct lsca_sysdesc *d, const long *args, long *r)
{
	const uint32_t other = LSCA_KIND(LSCA_A_PATH) | LSCA_KIND(LSCA_A_DIRFD) |
			       LSCA_KIND(LSCA_A_IOVIN) | LSCA_KIND(LSCA_A_IOVOUT);
	mode_t type;
	int fd;

	if (d->kinds[0] != LSCA_A_FD || (d->kindset & other) || d->nr == __NR_flock ||
	    (d->flags & (LSCA_S_NEWFD | LSCA_S_CWD | LSCA_S_LOCAL | LSCA_S_CLIENT)))
		return false;
	for (unsigned i = 1; i < LSCA_MAX_ARGS; i++)
		if (d->kinds[i] == LSCA_A_FD)
			return false;
	fd = fdcache_lookup(x->fdc, (int)args[0], x->tags[0], &type);
	if (fd < 0 || ((d->flags & LSCA_S_STREAM) && !S_ISREG(type)))
		return false;
	x->resp_flags |= LSCA_RESP_HELD | (d->flags & LSCA_S_STREAM ? LSCA_RESP_REGULAR : 0);
	*r = syscall(d->nr, fd, args[1], args[2], args[3], args[4], args[5]);
	if (*r < 0)
		*r = -errno;
	return true;
}

long exec_call(struct lsca_call *call, void *arg)
{
	struct exec_ctx *x = arg;
	struct client *c = x->c;
	const struct lsca_sysdesc *d = lsca_sysdesc(call->nr);
	int fetched[LSCA_MAX_ARGS], nfetched = 0, first_fd = -1;
	struct iovec iov;
	long a[LSCA_MAX_ARGS], r;
	struct stat st;
	mode_t type = 0, first_type = 0;
	bool kept;

	x->call = call;
	if (exec_kept(x, d, call->args, &r))
		return r;
	if (d->flags & LSCA_S_CLIENT)
		return go_direct(x); /* never a proxied call: only a client runs it */
	/* the handlers have approved a path naming the client itself: only
	 * the client can walk it (here it would be lscad's own /proc/self) */
	for (unsigned i = 0; LSCA_HAS(d, PATH) && i < LSCA_MAX_ARGS; i++)
		if (d->kinds[i] == LSCA_A_PATH && call->args[i] &&
		    lsca_own_path((const char *)call->args[i], 0, 0, NULL, 0))
			return go_direct(x);
	if (d->flags & LSCA_S_LOCAL) {
		/* approved: the client performs it, and posts its result */
		x->resp_flags |= LSCA_RESP_LOCAL;
		call->flags |= DISPATCH_POST_BY_CLIENT;
		return 0;
	}
	for (unsigned i = 0; i < LSCA_MAX_ARGS; i++) {
		a[i] = call->args[i];
		switch (d->kinds[i]) {
		case LSCA_A_DIRFD:
			if ((int)a[i] == AT_FDCWD)
				break;
			/* fall through */
		case LSCA_A_FD:
			r = arg_file(x, i, (int)a[i], &type, &kept);
			if (r == -EBADF) {
				/* no such fd: an fd that is never valid lets the
				 * kernel answer in its own order (EINVAL before
				 * EBADF, a dirfd ignored for an absolute path) */
				a[i] = -1;
				break;
			}
			if (r < 0) {
				/* we cannot take it (EPERM: a non-dumpable client;
				 * EMFILE here; a dying client; procfs): never
				 * answer for a file we did not see */
				r = go_direct(x);
				goto out;
			}
			a[i] = (int)r;
			if (!kept)
				fetched[nfetched++] = (int)r;
			if (first_fd < 0) {
				first_fd = (int)r;
				first_type = type;
			}
			break;
		case LSCA_A_IOVIN:
		case LSCA_A_IOVOUT:
			iov = (struct iovec){.iov_base = (void *)call->args[i],
					     .iov_len = (size_t)call->args[i + 1]};
			a[i] = (long)&iov;
			a[++i] = 1;
			break;
		default:
			break;
		}
	}
	if ((d->flags & LSCA_S_STREAM) && first_fd >= 0) {
		if (!S_ISREG(first_type)) {
			r = stream_call(x, d, a, first_fd, first_type);
			goto out;
		}
		x->resp_flags |= LSCA_RESP_REGULAR;
	}
	if (d->flags & LSCA_S_NEWFD)
		a[2] |= O_CLOEXEC | O_NOCTTY; /* a terminal never becomes lscad's */
	if (LSCA_HAS(d, PATH) && relative_to_cwd(d, call->args))
		follow_cwd(c);
	if (d->flags & LSCA_S_NEWFD) {
		r = resolve_open_kind((int)a[0], (const char *)a[1], a[2]);
		if (r == RESOLVE_HERE) {
			r = go_direct(x);
			goto out;
		}
		/* never wait in an open: the client may have put a FIFO there
		 * since the look (servable_file then hands it back) */
		if (r == 0)
			r = resolve_openat((int)a[0], (const char *)a[1], a[2] | O_NONBLOCK, a[3]);
		if (r == -ELOOP || r == -EINVAL || r == -ENOSYS ||
		    ((r == -ENXIO || r == -EAGAIN || r == -EWOULDBLOCK) && !(a[2] & O_NONBLOCK))) {
			r = go_direct(x); /* a magic link, openat2's stricter checks, a FIFO */
			goto out;
		}
		if (r >= 0 && !(a[2] & O_NONBLOCK) &&
		    fcntl((int)r, F_SETFL, fcntl((int)r, F_GETFL) & ~O_NONBLOCK) < 0) {
			close((int)r);
			r = go_direct(x);
			goto out;
		}
	} else if (LSCA_HAS(d, PATH)) {
		struct resolve rs;
		long nr = d->nr;
		bool real = false;

		if (nr == __NR_faccessat) {
			nr = __NR_faccessat2; /* the same check, with flags */
			a[3] = 0;
		}
		if (nr == __NR_faccessat2 && !(a[3] & AT_EACCESS) && creds_daemon_can_switch()) {
			/* the worker's real uid is lscad's: ask with the
			 * client's real ids as fs ids instead */
			a[3] |= AT_EACCESS;
			real = creds_enter_real(&c->creds);
		}
		int w = resolve_call(&nr, a, &rs);

		/* a walk that ends on procfs: see the fd arguments above */
		for (int i = 0; w == 0 && i < rs.nfds; i++)
			if (fstat(rs.fds[i], &st) == 0 && st.st_dev == c->d->proc_dev)
				w = RESOLVE_HERE;
		r = w;
		if (w == 0) {
			/* its result may be 1 (a 1-byte xattr or link target):
			 * not RESOLVE_HERE */
			r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
			if (r < 0)
				r = -errno;
		}
		if (real)
			creds_leave_real(&c->creds);
		resolve_done(&rs);
		if (w == RESOLVE_HERE) {
			r = go_direct(x);
			goto out;
		}
	} else {
		/* flock would wait for the lock: only the client may */
		if (d->nr == __NR_flock)
			a[1] |= LOCK_NB;
		r = syscall(d->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (r < 0)
			r = -errno;
		if (d->nr == __NR_flock && r == -EWOULDBLOCK && !(call->args[1] & LOCK_NB))
			r = go_direct(x);
	}
	if (d->flags & LSCA_S_NEWFD) {
		r = finish_openat(x, r);
	} else if (d->flags & LSCA_S_CWD) {
		if (r == 0) {
			int fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);

			if (fd >= 0 && fstat(fd, &st) == 0) {
				close(c->cwd_fd);
				c->cwd_fd = fd;
				c->cwd_dev = st.st_dev;
				c->cwd_ino = st.st_ino;
			} else if (fd >= 0) {
				close(fd);
			}
			x->resp_flags |= LSCA_RESP_LOCAL;
			call->flags |= DISPATCH_POST_BY_CLIENT;
		}
	} else if (r == 0 && LSCA_HAS(d, PATH)) {
		int o = arg_of_kind(d, LSCA_A_STAT, LSCA_A_STATX);

		/* a path that led into /proc/self would describe the daemon */
		if (o >= 0 && stat_on_proc(c, d->kinds[o], (const void *)call->args[o]))
			r = go_direct(x);
	}
out:
	while (nfetched > 0)
		close(fetched[--nfetched]);
	return r;
}

/* Whether a call follows a symlink in the last component of path argument
 * i: by the call's nature, or by its flags argument. */
struct follow_rule {
	int nr;
	int flags_arg; /* -1: none */
	long nofollow; /* flags bits that stop following */
	bool follows;  /* without those bits */
};

static const struct follow_rule follow_rules[] = {
    {__NR_openat, 2, O_NOFOLLOW | O_EXCL, true},
    {__NR_newfstatat, 3, AT_SYMLINK_NOFOLLOW, true},
    {__NR_statx, 2, AT_SYMLINK_NOFOLLOW, true},
    {__NR_faccessat2, 3, AT_SYMLINK_NOFOLLOW, true},
    {__NR_faccessat, -1, 0, true},
    {__NR_truncate, -1, 0, true},
    {__NR_chdir, -1, 0, true},
    {__NR_unlinkat, -1, 0, false},
    {__NR_mkdirat, -1, 0, false},
    {__NR_renameat2, -1, 0, false},
    {__NR_readlinkat, -1, 0, false},
    {__NR_symlinkat, -1, 0, false},
    {__NR_mknodat, -1, 0, false},
    {__NR_fchmodat, -1, 0, true},
    {__NR_fchownat, 4, AT_SYMLINK_NOFOLLOW, true},
    {__NR_utimensat, 3, AT_SYMLINK_NOFOLLOW, true},
    {__NR_statfs, -1, 0, true},
    {__NR_getxattr, -1, 0, true},
    {__NR_setxattr, -1, 0, true},
    {__NR_listxattr, -1, 0, true},
    {__NR_removexattr, -1, 0, true},
    {__NR_lgetxattr, -1, 0, false},
    {__NR_lsetxattr, -1, 0, false},
    {__NR_llistxattr, -1, 0, false},
    {__NR_lremovexattr, -1, 0, false},
};

static bool follows_last(const struct lsca_call *call)
{
	if (call->nr == __NR_linkat)
		return (call->args[4] & AT_SYMLINK_FOLLOW) != 0; /* the inverse bit */
	for (unsigned i = 0; i < sizeof(follow_rules) / sizeof(follow_rules[0]); i++) {
		const struct follow_rule *f = &follow_rules[i];

		if (f->nr != call->nr)
			continue;
		if (f->flags_arg >= 0 && (call->args[f->flags_arg] & f->nofollow)) {
			/* O_EXCL stops following only with O_CREAT */
			if (call->nr != __NR_openat || (call->args[2] & O_NOFOLLOW) ||
			    (call->args[2] & O_CREAT))
				return false;
		}
		return f->follows;
	}
	return true;
}

/* Append component name (len n) to the canonical path p (length *pl). */
static int push(char *p, size_t *pl, size_t cap, const char *name, size_t n)
{
	if (*pl + (*pl > 1) + n + 1 > cap)
		return -ENAMETOOLONG;
	if (*pl > 1)
		p[(*pl)++] = '/';
	memcpy(p + *pl, name, n);
	*pl += n;
	p[*pl] = '\0';
	return 0;
}

static void pop(char *p, size_t *pl)
{
	while (*pl > 1 && p[*pl - 1] != '/')
		(*pl)--;
	if (*pl > 1)
		(*pl)--; /* the slash, unless it is the root */
	p[*pl] = '\0';
}

/* Canonicalise rest against base (absolute, canonical), component by
 * component as the kernel walks it, with the worker's (the client's)
 * credentials, cwd and root. A missing last component is kept. */
static int canonicalise(char *out, size_t cap, const char *base, const char *path, bool follow)
{
	char work[2 * PATH_MAX], link[PATH_MAX];
	size_t pl, links = 0;
	char *rest;
	int r;

	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	snprintf(work, sizeof(work), "%s", path);
	rest = work;
	if (snprintf(out, cap, "%s", path[0] == '/' ? "/" : base) >= (int)cap)
		return -ENAMETOOLONG;
	pl = strlen(out);
	while (*rest) {
		char *name = rest, *end;
		size_t n;
		bool last;
		struct stat st;
		ssize_t ln;

		while (*name == '/')
			name++;
		end = name + strcspn(name, "/");
		n = (size_t)(end - name);
		rest = end;
		last = !rest[strspn(rest, "/")];
		if (n == 0)
			break;
		if (n == 1 && name[0] == '.')
			continue;
		if (n == 2 && name[0] == '.' && name[1] == '.') {
			pop(out, &pl);
			continue;
		}
		r = push(out, &pl, cap, name, n);
		if (r < 0)
			return r;
		if (lstat(out, &st) < 0) {
			if (errno == ENOENT && last)
				return 0; /* to be created: as written */
			return -errno;
		}
		if (!S_ISLNK(st.st_mode)) {
			if (!last && !S_ISDIR(st.st_mode))
				return -ENOTDIR;
			continue;
		}
		if (last && !follow && !*end)
			return 0; /* the link itself (a trailing slash follows) */
		if (++links > 40)
			return -ELOOP;
		ln = readlink(out, link, sizeof(link) - 1);
		if (ln < 0)
			return -errno;
		link[ln] = '\0';
		pop(out, &pl);
		if (link[0] == '/') {
			out[0] = '/';
			out[1] = '\0';
			pl = 1;
		}
		/* the target's components come before what was left */
		if ((size_t)ln + 1 + strlen(rest) + 1 > sizeof(work))
			return -ENAMETOOLONG;
		memmove(work + ln + 1, rest, strlen(rest) + 1);
		memcpy(work, link, (size_t)ln);
		work[ln] = '/';
		rest = work;
	}
	return 0;
}

int exec_resolve_path(struct client *c, const struct lsca_call *call, unsigned arg, char *buf,
		      size_t len)
{
	const char *path;
	char base[PATH_MAX], own[PATH_MAX];
	bool follow;
	int dirfd = AT_FDCWD, r;

	if (arg >= LSCA_MAX_ARGS || call->kinds[arg] != LSCA_A_PATH || !buf || !len)
		return -EINVAL;
	if (call->flags & LSCA_CALL_OBSERVED)
		return -EOPNOTSUPP;
	path = (const char *)call->args[arg];
	if (!path) {
		/* utimensat(fd, NULL, ...): the file of the fd before it */
		if (arg == 0 || call->kinds[arg - 1] != LSCA_A_DIRFD ||
		    (int)call->args[arg - 1] == AT_FDCWD)
			return -EFAULT;
		path = "";
	}
	/* /proc/self/... of the client is /proc/PID/... of it */
	r = lsca_own_path(path, c->pid, call->tid > 0 ? call->tid : c->pid, own, sizeof(own));
	if (r < 0)
		return r;
	if (r > 0)
		path = own;
	if (arg > 0 && call->kinds[arg - 1] == LSCA_A_DIRFD)
		dirfd = (int)call->args[arg - 1];
	/* renameat2's new name and unlink's name are never followed */
	follow = follows_last(call);
	if (path[0] == '/') {
		base[0] = '\0';
	} else if (dirfd == AT_FDCWD) {
		follow_cwd(c);
		if (!getcwd(base, sizeof(base)))
			return -errno;
	} else {
		char link[64];
		ssize_t n;
		int fd = fetch_fd(c, dirfd);

		if (fd < 0)
			return fd;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, base, sizeof(base) - 1);
		r = n < 0 ? -errno : 0;
		close(fd);
		if (r < 0)
			return r;
		base[n] = '\0';
		if (base[0] != '/')
			return -ENOTDIR; /* a pipe or socket: no directory */
	}
	return canonicalise(buf, len, base, path, follow);
}
