/* SPDX-License-Identifier: MIT */
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE	 (1 << 1)
#define RENAME_WHITEOUT	 (1 << 2)
#endif

static long walk(int dirfd, const char *path, unsigned long flags, unsigned long mode)
{
	struct open_how how = {
	    .flags = flags | O_CLOEXEC, .mode = mode, .resolve = RESOLVE_NO_MAGICLINKS};
	long r = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	return r < 0 ? -errno : r;
}

long resolve_openat(int dirfd, const char *path, long flags, long mode)
{
	/* openat ignores the mode without O_CREAT/O_TMPFILE; openat2 refuses it */
	bool creates = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;

	return walk(dirfd, path, (unsigned long)flags, creates ? (unsigned long)mode & 07777 : 0);
}

int resolve_open_kind(int dirfd, const char *path, long flags)
{
	long fd = walk(dirfd, path, O_PATH | (flags & (O_NOFOLLOW | O_DIRECTORY)), 0);
	struct stat st;
	int r;

	if (fd == -ENOENT && (flags & O_CREAT))
		return 0; /* it will be a new regular file */
	if (fd < 0)
		return fd == -ELOOP || fd == -EINVAL || fd == -ENOSYS ? RESOLVE_HERE : (int)fd;
	r = fstat((int)fd, &st) < 0 ? -errno : 0;
	close((int)fd);
	if (r == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		r = RESOLVE_HERE;
	return r;
}

static int keep(struct resolve *rs, long fd)
{
	rs->fds[rs->nfds++] = (int)fd;
	return (int)fd;
}

/* ELOOP: a magic link or a true loop; ENOSYS: no openat2 */
static int walk_failed(long err)
{
	return err == -ELOOP || err == -ENOSYS || err == -EINVAL ? RESOLVE_HERE : (int)err;
}

/* The whole path: a[d] (a dirfd, or -1 for none) and a[p] become an O_PATH
 * fd and "", with AT_EMPTY_PATH in a[f] (-1: no flags argument). */
static int whole(long a[6], int d, int p, int f, long valid, long nofollow, struct resolve *rs)
{
	const char *path = (const char *)a[p];
	long flags = f >= 0 ? a[f] : 0, fd;

	if (flags & ~valid)
		return 0; /* the kernel refuses the flags before any walk */
	if (!path[0])
		return 0; /* AT_EMPTY_PATH on the dirfd, or ENOENT: no walk */
	fd = walk(d >= 0 ? (int)a[d] : AT_FDCWD, path, O_PATH | (flags & nofollow ? O_NOFOLLOW : 0),
		  0);
	if (fd < 0)
		return walk_failed(fd);
	keep(rs, fd);
	if (d >= 0)
		a[d] = fd;
	a[p] = (long)"";
	if (f >= 0)
		a[f] = (flags & ~nofollow) | AT_EMPTY_PATH;
	return 0;
}

/* The file the walk found, named by our own fd link, for calls that have
 * no AT_EMPTY_PATH (chmod, truncate) or need a capability with it (link):
 * a[p] becomes /proc/self/fd/N, and a[d] (if any) AT_FDCWD. */
static int via_proc(long a[6], int d, int p, struct resolve *rs)
{
	if (!rs->nfds)
		return 0; /* no walk: the kernel answers the empty path */
	snprintf(rs->buf[0], sizeof(rs->buf[0]), "/proc/self/fd/%d", rs->fds[rs->nfds - 1]);
	if (access("/proc/self/fd", F_OK) < 0)
		return RESOLVE_HERE; /* a chroot without /proc */
	if (d >= 0)
		a[d] = AT_FDCWD;
	a[p] = (long)rs->buf[0];
	return 0;
}

/* The parent: a[d]/a[p] become the parent directory's fd and the last
 * component, trailing slashes kept (the kernel reads them as before). */
static int parent(long a[6], int d, int p, struct resolve *rs, char *buf)
{
	const char *path = (const char *)a[p];
	size_t end = strlen(path);
	const char *slash;
	long fd;

	while (end > 1 && path[end - 1] == '/')
		end--;
	slash = memrchr(path, '/', end);
	if (!slash || slash == path + end - 1)
		return 0; /* one component (".." included) or "/": no walk to check */
	if (slash == path) {
		buf[0] = '/';
		buf[1] = '\0';
	} else {
		memcpy(buf, path, (size_t)(slash - path));
		buf[slash - path] = '\0';
	}
	fd = walk((int)a[d], buf, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return walk_failed(fd);
	a[d] = keep(rs, fd);
	a[p] = (long)(slash + 1);
	return 0;
}

/* The xattr calls on a path: the walk finds the file (following the last
 * component or not, as the call does), and the following form of the call
 * acts on it through our fd's link (there is no AT_EMPTY_PATH for them
 * before Linux 6.13). The link leads to the file itself, a symlink too. */
static int xattr_path(long *nr, long a[6], bool follow, long as, struct resolve *rs)
{
	const char *path = (const char *)a[0];
	long fd;

	if (!path[0])
		return 0; /* the kernel's ENOENT */
	fd = walk(AT_FDCWD, path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
	if (fd < 0)
		return walk_failed(fd);
	keep(rs, fd);
	*nr = as;
	return via_proc(a, -1, 0, rs);
}

int resolve_call(long *nr, long a[6], struct resolve *rs)
{
	int r;

	rs->nfds = 0;
	switch (*nr) {
	case __NR_newfstatat:
		return whole(a, 0, 1, 3, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH,
			     AT_SYMLINK_NOFOLLOW, rs);
	case __NR_statx:
		return whole(a, 0, 1, 2,
			     AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH |
				 AT_STATX_SYNC_TYPE,
			     AT_SYMLINK_NOFOLLOW, rs);
	case __NR_faccessat2:
		return whole(a, 0, 1, 3, AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH,
			     AT_SYMLINK_NOFOLLOW, rs);
	case __NR_chdir:
		r = whole(a, -1, 0, -1, 0, 0, rs);
		if (r == 0 && rs->nfds) {
			*nr = __NR_fchdir;
			a[0] = rs->fds[0];
		}
		return r;
	case __NR_truncate:
		if (a[1] < 0)
			return -EINVAL; /* before the walk, as the kernel does */
		r = whole(a, -1, 0, -1, 0, 0, rs);
		return r ? r : via_proc(a, -1, 0, rs); /* no truncateat */
	case __NR_fchmodat:
		r = whole(a, 0, 1, -1, 0, 0, rs);
		return r ? r : via_proc(a, 0, 1, rs); /* no AT_EMPTY_PATH */
	case __NR_fchownat:
		return whole(a, 0, 1, 4, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW,
			     rs);
	case __NR_readlinkat:
		/* the link itself, never followed: readlinkat(fd, "") */
		a[4] = AT_SYMLINK_NOFOLLOW;
		r = whole(a, 0, 1, 4, AT_SYMLINK_NOFOLLOW, AT_SYMLINK_NOFOLLOW, rs);
		a[4] = 0;
		if (r == 0 && rs->nfds) {
			struct stat st;

			/* readlinkat(fd, "") says ENOENT for anything else */
			if (fstat(rs->fds[0], &st) < 0)
				return -errno;
			if (!S_ISLNK(st.st_mode))
				return -EINVAL;
		}
		return r;
	case __NR_linkat:
		/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH: the kernel's
		 * own check, in the client */
		if (a[4] & ~AT_SYMLINK_FOLLOW)
			return a[4] & AT_EMPTY_PATH ? RESOLVE_HERE : 0;
		a[4] ^= AT_SYMLINK_FOLLOW; /* whole() speaks of not following */
		r = whole(a, 0, 1, 4, AT_SYMLINK_FOLLOW, AT_SYMLINK_FOLLOW, rs);
		/* the walk found it: the link of our fd to it is followed */
		a[4] = AT_SYMLINK_FOLLOW;
		if (r == 0)
			r = via_proc(a, 0, 1, rs);
		return r ? r : parent(a, 2, 3, rs, rs->buf[1]);
	case __NR_utimensat:
		if (!a[1])
			return 0; /* futimens: the fd, taken already */
		return whole(a, 0, 1, 3, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW,
			     rs);
	case __NR_statfs:
		r = whole(a, -1, 0, -1, 0, 0, rs);
		if (r == 0 && rs->nfds) {
			*nr = __NR_fstatfs; /* an O_PATH fd will do */
			a[0] = rs->fds[0];
		}
		return r;
	case __NR_getxattr:
	case __NR_lgetxattr:
		return xattr_path(nr, a, *nr == __NR_getxattr, __NR_getxattr, rs);
	case __NR_setxattr:
	case __NR_lsetxattr:
		return xattr_path(nr, a, *nr == __NR_setxattr, __NR_setxattr, rs);
	case __NR_listxattr:
	case __NR_llistxattr:
		return xattr_path(nr, a, *nr == __NR_listxattr, __NR_listxattr, rs);
	case __NR_removexattr:
	case __NR_lremovexattr:
		return xattr_path(nr, a, *nr == __NR_removexattr, __NR_removexattr, rs);
	case __NR_symlinkat:
		return parent(a, 1, 2, rs, rs->buf[0]);
	case __NR_mknodat:
		return parent(a, 0, 1, rs, rs->buf[0]);
	case __NR_unlinkat:
		return a[2] & ~AT_REMOVEDIR ? 0 : parent(a, 0, 1, rs, rs->buf[0]);
	case __NR_mkdirat:
		return parent(a, 0, 1, rs, rs->buf[0]);
	case __NR_renameat2:
		if (a[4] & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
			return 0;
		r = parent(a, 0, 1, rs, rs->buf[0]);
		return r ? r : parent(a, 2, 3, rs, rs->buf[1]);
	default:
		return 0;
	}
}

void resolve_done(struct resolve *rs)
{
	while (rs->nfds > 0)
		close(rs->fds[--rs->nfds]);
}
