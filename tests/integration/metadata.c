/* SPDX-License-Identifier: MIT */
/*
 * metadata.c - times, file systems and extended attributes (issue #4's last
 * families), each printed as "what: result errno" so a run under the shim
 * can be diffed against a native one (test_metadata.sh).
 *
 *   metadata xattrok DIR   exit 0 when DIR takes user.* xattrs
 *   metadata calls DIR     every call, success and errno cases
 *   metadata nobody DIR    as root: make a root-owned file, drop to nobody,
 *                          try to change its times and xattrs
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "-");
	fflush(stdout);
}

#define SHOW(call) show(#call, (long)(call))

static void times_of(const char *what, const char *p, int follow)
{
	struct stat st;
	int r = follow ? stat(p, &st) : lstat(p, &st);

	if (r < 0) {
		printf("%s: stat %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%s: atime %ld.%09ld mtime %ld.%09ld\n", what, (long)st.st_atim.tv_sec,
	       st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* a list of names, NULs shown as commas */
static void list_of(const char *what, const char *b, long n)
{
	printf("%s:", what);
	for (long i = 0; i < n; i++)
		putchar(b[i] ? b[i] : ',');
	putchar('\n');
}

/* libc's utimensat refuses NULL (EINVAL): hidden from the compiler's check */
static const char *volatile nullpath;

static void times(int d, int fd)
{
	struct timespec ts[2] = {{1, 5}, {2, 6}}, ts2[2] = {{3, 0}, {4, 0}},
			omit[2] = {{0, UTIME_OMIT}, {7, 0}}, bad[2] = {{0, 2000000000}, {0, 0}};
	struct timeval tv[2] = {{11, 12}, {13, 14}}, badtv[2] = {{0, 1000000}, {0, 0}};
	struct utimbuf ub = {21, 22};

	SHOW(utimensat(AT_FDCWD, "f", ts, 0));
	times_of("f", "f", 1);
	SHOW(utimensat(d, "l", ts2, AT_SYMLINK_NOFOLLOW));
	times_of("l", "l", 0);
	times_of("f", "f", 1);
	SHOW(utimensat(d, "l", omit, 0));
	times_of("f", "f", 1);
	SHOW(utimensat(AT_FDCWD, "missing", NULL, 0));
	SHOW(utimensat(AT_FDCWD, "f/x", NULL, 0));
	SHOW(utimensat(AT_FDCWD, "f", NULL, 0x8000));
	SHOW(utimensat(AT_FDCWD, "f", bad, 0));
	SHOW(utimensat(AT_FDCWD, "f", NULL, 0));
	SHOW(utimensat(d, nullpath, NULL, 0));
	SHOW(utimensat(-1, "f", ts, 0));
	SHOW(utimensat(-1, "/nonexistent", ts, 0));
	SHOW(futimens(fd, ts));
	times_of("futimens", "f", 1);
	SHOW(futimens(fd, NULL));
	SHOW(futimens(fd, bad));
	SHOW(futimens(-1, NULL));
	SHOW(futimens(12345, ts));
	SHOW(utimes("f", tv));
	times_of("utimes", "f", 1);
	SHOW(utimes("f", badtv));
	SHOW(utimes("missing", tv));
	SHOW(utimes("f", NULL));
	SHOW(lutimes("l", tv));
	times_of("lutimes", "l", 0);
	SHOW(futimes(fd, tv));
	times_of("futimes", "f", 1);
	SHOW(futimes(fd, NULL));
	SHOW(futimes(-1, tv));
	SHOW(utime("f", &ub));
	times_of("utime", "f", 1);
	SHOW(utime("f", NULL));
	SHOW(utime("missing", &ub));
}

static void filesystems(int fd)
{
	struct statfs a, b;
	struct statfs64 c;

	SHOW(statfs(".", &a));
	SHOW(fstatfs(fd, &b));
	SHOW(statfs64("f", &c));
	SHOW(fstatfs64(fd, &c));
	printf("same fs: %d %d namelen %ld\n", a.f_type == b.f_type,
	       a.f_fsid.__val[0] == b.f_fsid.__val[0] && a.f_fsid.__val[1] == b.f_fsid.__val[1],
	       (long)a.f_namelen);
	SHOW(statfs("l", &a));
	SHOW(statfs("missing", &a));
	SHOW(statfs("f/x", &a));
	SHOW(statfs("", &a));
	SHOW(fstatfs(-1, &a));
	SHOW(fstatfs(12345, &a));
}

static void xattrs(int fd)
{
	char b[512], big[300];
	static char huge[70000];
	long n;

	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "user.", 5);
	SHOW(setxattr("f", "user.a", "hello", 5, 0));
	SHOW(setxattr("f", "user.a", "x", 1, XATTR_CREATE));
	SHOW(setxattr("f", "user.b", "x", 1, XATTR_REPLACE));
	SHOW(setxattr("f", "user.b", "", 0, 0));
	SHOW(setxattr("f", "", "x", 1, 0));
	SHOW(setxattr("f", big, "x", 1, 0));
	SHOW(setxattr("f", "bogus.a", "x", 1, 0));
	SHOW(setxattr("f", "user.c", "x", 1, 0x10));
	SHOW(setxattr("f", "user.h", huge, sizeof(huge), 0));
	SHOW(setxattr("missing", "user.a", "x", 1, 0));
	memset(b, 0, sizeof(b));
	SHOW(getxattr("f", "user.a", b, sizeof(b)));
	printf("value %s\n", b);
	SHOW(getxattr("f", "user.a", NULL, 0));
	SHOW(getxattr("f", "user.a", b, 2));
	SHOW(getxattr("f", "user.b", b, sizeof(b)));
	SHOW(getxattr("f", "user.missing", b, sizeof(b)));
	SHOW(getxattr("f", "", b, sizeof(b)));
	SHOW(getxattr("missing", "user.a", b, sizeof(b)));
	SHOW(getxattr("f/x", "user.a", b, sizeof(b)));
	SHOW(getxattr("l", "user.a", b, sizeof(b)));
	SHOW(lgetxattr("l", "user.a", b, sizeof(b)));
	SHOW(lgetxattr("f", "user.a", b, sizeof(b)));
	SHOW(lsetxattr("l", "user.a", "x", 1, 0));
	SHOW(lsetxattr("f", "user.l", "ll", 2, 0));
	SHOW(fsetxattr(fd, "user.c", "cc", 2, 0));
	SHOW(fsetxattr(-1, "user.c", "cc", 2, 0));
	memset(b, 0, sizeof(b));
	SHOW(fgetxattr(fd, "user.c", b, sizeof(b)));
	printf("value %s\n", b);
	SHOW(fgetxattr(fd, "user.c", b, 1));
	SHOW(fgetxattr(fd, "user.zz", b, sizeof(b)));
	SHOW(fgetxattr(-1, "user.c", b, sizeof(b)));
	SHOW(listxattr("f", NULL, 0));
	n = listxattr("f", b, sizeof(b));
	show("listxattr(\"f\", b, sizeof(b))", n);
	list_of("names", b, n);
	SHOW(listxattr("f", b, 3));
	SHOW(listxattr("missing", b, sizeof(b)));
	n = listxattr("l", b, sizeof(b));
	show("listxattr(\"l\", b, sizeof(b))", n);
	list_of("names", b, n);
	SHOW(llistxattr("l", b, sizeof(b)));
	n = flistxattr(fd, b, sizeof(b));
	show("flistxattr(fd, b, sizeof(b))", n);
	list_of("names", b, n);
	SHOW(flistxattr(fd, b, 1));
	SHOW(flistxattr(-1, b, sizeof(b)));
	SHOW(removexattr("f", "user.a"));
	SHOW(removexattr("f", "user.a"));
	SHOW(removexattr("missing", "user.a"));
	SHOW(lremovexattr("l", "user.a"));
	SHOW(lremovexattr("f", "user.l"));
	SHOW(fremovexattr(fd, "user.c"));
	SHOW(fremovexattr(fd, "user.c"));
	SHOW(fremovexattr(-1, "user.c"));
	n = flistxattr(fd, b, sizeof(b));
	show("flistxattr(fd, b, sizeof(b))", n);
	list_of("names", b, n);
}

static int calls(const char *dir)
{
	int d, fd;

	if (chdir(dir) < 0)
		return 1;
	d = open(".", O_RDONLY | O_DIRECTORY);
	fd = open("f", O_CREAT | O_RDWR, 0600);
	if (d < 0 || fd < 0 || symlink("f", "l") < 0)
		return 1;
	times(d, fd);
	filesystems(fd);
	xattrs(fd);
	return 0;
}

/* As nobody, on a file of root's: what the kernel refuses natively,
 * lscad refuses too. */
static int nobody(const char *dir)
{
	struct timespec ts[2] = {{1, 0}, {2, 0}};
	struct passwd *pw = getpwnam("nobody");
	char b[64];
	int fd;

	if (!pw || chdir(dir) < 0)
		return 1;
	fd = open("rootf", O_CREAT | O_RDWR, 0644);
	if (fd < 0 || setxattr("rootf", "trusted.t", "t", 1, 0) < 0 ||
	    setxattr("rootf", "user.u", "u", 1, 0) < 0)
		return 1;
	SHOW(utimensat(AT_FDCWD, "rootf", ts, 0));
	SHOW(getxattr("rootf", "trusted.t", b, sizeof(b)));
	if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		return 1;
	SHOW(getuid());
	SHOW(utimensat(AT_FDCWD, "rootf", ts, 0));
	SHOW(utimensat(AT_FDCWD, "rootf", NULL, 0));
	SHOW(utimes("rootf", NULL));
	SHOW(futimens(fd, ts));
	SHOW(futimens(fd, NULL));
	SHOW(setxattr("rootf", "trusted.t", "x", 1, 0));
	SHOW(setxattr("rootf", "trusted.n", "x", 1, 0));
	SHOW(setxattr("rootf", "user.u", "x", 1, 0));
	SHOW(fsetxattr(fd, "trusted.n", "x", 1, 0));
	SHOW(fsetxattr(fd, "user.u", "x", 1, 0));
	SHOW(getxattr("rootf", "trusted.t", b, sizeof(b)));
	SHOW(getxattr("rootf", "user.u", b, sizeof(b)));
	SHOW(listxattr("rootf", b, sizeof(b)));
	SHOW(removexattr("rootf", "trusted.t"));
	SHOW(removexattr("rootf", "user.u"));
	SHOW(fremovexattr(fd, "user.u"));
	SHOW(statfs("rootf", &(struct statfs){0}));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "xattrok")) {
		char p[4096];
		int r;

		snprintf(p, sizeof(p), "%s/.xattrok", argv[2]);
		close(open(p, O_CREAT | O_WRONLY, 0600));
		r = setxattr(p, "user.ok", "1", 1, 0);
		unlink(p);
		return r < 0;
	}
	if (argc > 2 && !strcmp(argv[1], "calls"))
		return calls(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "nobody"))
		return nobody(argv[2]);
	fprintf(stderr, "usage: metadata xattrok|calls|nobody DIR\n");
	return 2;
}
