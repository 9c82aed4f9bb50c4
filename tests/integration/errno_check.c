/* SPDX-License-Identifier: MIT */
/*
 * errno_check - drive every libc entry point of src/shim/entries.def through
 * its successes and its error cases, and print one line per case:
 *
 *	<case> ret=<return value> errno=<ENAME, or 0 when ret >= 0> [details]
 *
 * The details are only values that two runs on two fresh trees share:
 * st_mode, st_nlink, st_size, st_uid, st_gid (and stx_mask for statx), a
 * checksum of the bytes read, file offsets, fd flags. Never inode numbers,
 * times or paths. Run it natively and under `lscactl run` as the same user
 * and diff the two outputs: any difference is the shim's or lscad's.
 *
 * As root, DAC is bypassed and the EACCES cases succeed; run it as an
 * unprivileged user too to see them fail.
 *
 * Usage: errno_check SCRATCH_DIR
 *	Creates SCRATCH_DIR/t (removing a stale one first), works inside it,
 *	removes it at the end. Exit 0, or 2 when the tree cannot be set up or
 *	removed (the case lines are the result, not the exit status).
 *
 * Sections, in order: every path call on every kind of path; every fd call
 * on every kind of fd (including -1, 9999 and a closed fd); lseek; a script
 * of steps that create, rename and remove names; transfers larger than one
 * slot; EFAULT cases, each in a forked child since a shim may crash on them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Interposed by the shim, not declared by glibc's headers (without fortify). */
extern int __open_2(const char *path, int flags);
extern int __open64_2(const char *path, int flags);
extern int __openat_2(int dfd, const char *path, int flags);
extern int __openat64_2(int dfd, const char *path, int flags);
extern ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
extern ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
extern ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen);
extern int __xstat(int ver, const char *path, struct stat *st);
extern int __xstat64(int ver, const char *path, struct stat64 *st);
extern int __lxstat(int ver, const char *path, struct stat *st);
extern int __lxstat64(int ver, const char *path, struct stat64 *st);
extern int __fxstat(int ver, int fd, struct stat *st);
extern int __fxstat64(int ver, int fd, struct stat64 *st);
extern int __fxstatat(int ver, int dfd, const char *path, struct stat *st, int flags);
extern int __fxstatat64(int ver, int dfd, const char *path, struct stat64 *st, int flags);

#define STAT_VER 1 /* _STAT_VER_LINUX on x86_64 */

#define TREE	  "t"
#define SMALL	  100	 /* size of "file" */
#define BIG	  300000 /* more than one 128 KiB slot */
#define CLOSED_FD 100	 /* was open, then closed */
#define BAD_FD	  9999

#define A16	"aaaaaaaaaaaaaaaa"
#define A64	A16 A16 A16 A16
#define NAME255 A64 A64 A64 A16 A16 A16 "aaaaaaaaaaaaaaa"
#define NAME256 NAME255 "a"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The kinds of fd every fd call meets; FK_CWD and FK_ROOT only as dirfds. */
enum fdk {
	FK_CWD,	 /* AT_FDCWD */
	FK_ROOT, /* O_PATH of the tree's root */
	FK_FILE_R,
	FK_FILE_W,
	FK_FILE_RW,
	FK_DIR,
	FK_PIPE_R,
	FK_PIPE_W,
	FK_OPATH,
	FK_DEVNULL,
	FK_NEG,
	FK_BAD,
	FK_CLOSED,
	NFK
};

static const char *const fk_name[NFK] = {
    [FK_CWD] = "cwd",	      [FK_ROOT] = "root",	[FK_FILE_R] = "file_r",
    [FK_FILE_W] = "file_w",   [FK_FILE_RW] = "file_rw", [FK_DIR] = "dir",
    [FK_PIPE_R] = "pipe_r",   [FK_PIPE_W] = "pipe_w",	[FK_OPATH] = "opath",
    [FK_DEVNULL] = "devnull", [FK_NEG] = "neg",		[FK_BAD] = "9999",
    [FK_CLOSED] = "closed",
};

static struct {
	int fd[NFK];
	int tmpfd;
	char abs[PATH_MAX]; /* absolute path of the tree */
	char long_ok[PATH_MAX];
	char long_bad[PATH_MAX + 1];
	char extra[512];
	unsigned char io[64];
	unsigned char pat[BIG + 4096]; /* deterministic content */
	unsigned char in[2 * BIG + 4096];
} S;

/* values the compiler cannot see, so it does not warn about the calls */
static void *volatile nul;
static volatile int neg_count = -1;
static volatile int big_count = IOV_MAX + 1;

/* --- output ------------------------------------------------------------ */

static const char *ename(int e)
{
	static char buf[16];
	const char *s = e ? strerrorname_np(e) : NULL;

	if (s)
		return s;
	snprintf(buf, sizeof(buf), "E#%d", e);
	return buf;
}

/* Append a detail to the current case's line; errno is left alone. */
static void __attribute__((format(printf, 1, 2))) add(const char *fmt, ...)
{
	size_t n = strlen(S.extra);
	int e = errno;
	va_list ap;

	if (n && n < sizeof(S.extra) - 1)
		S.extra[n++] = ' ';
	va_start(ap, fmt);
	vsnprintf(S.extra + n, sizeof(S.extra) - n, fmt, ap);
	va_end(ap);
	errno = e;
}

static uint32_t fnv(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

static long got_bytes(long r, const void *buf)
{
	if (r > 0)
		add("sum=%08x", fnv(buf, (size_t)r));
	return r;
}

static long got_stat(long r, const struct stat *st)
{
	if (r == 0)
		add("mode=0%o nlink=%lu size=%lld uid=%u gid=%u", st->st_mode,
		    (unsigned long)st->st_nlink, (long long)st->st_size, st->st_uid, st->st_gid);
	return r;
}

static long got_stat64(long r, const struct stat64 *st)
{
	if (r == 0)
		add("mode=0%o nlink=%lu size=%lld uid=%u gid=%u", st->st_mode,
		    (unsigned long)st->st_nlink, (long long)st->st_size, st->st_uid, st->st_gid);
	return r;
}

static long got_statx(long r, const struct statx *sx)
{
	if (r == 0)
		add("mask=0x%x mode=0%o nlink=%u size=%llu uid=%u gid=%u", sx->stx_mask,
		    sx->stx_mode, sx->stx_nlink, (unsigned long long)sx->stx_size, sx->stx_uid,
		    sx->stx_gid);
	return r;
}

/* A new fd: its flags and what it is. */
static void got_fd(int fd)
{
	struct stat st;

	add("cloexec=%d fl=0%o", fcntl(fd, F_GETFD), fcntl(fd, F_GETFL));
	got_stat(fstat(fd, &st), &st);
}

#define F_FD  1u /* the result is a new fd: describe it, close it */
#define F_DUP 2u /* the call consumes its fd: give it a copy of a valid one */

/* Print the case's line; errno must still be the call's. */
static void finish(const char *name, long r, unsigned flags)
{
	int e = errno;

	if ((flags & F_FD) && r >= 0) {
		got_fd((int)r);
		close((int)r);
	}
	printf("%s ret=%ld errno=%s%s%s\n", name, r, r < 0 ? ename(e) : "0", S.extra[0] ? " " : "",
	       S.extra);
	S.extra[0] = '\0';
}

/* "@name": name inside the tree, as an absolute path. */
static const char *P(const char *p, char *buf)
{
	if (!p || p[0] != '@')
		return p;
	if (snprintf(buf, PATH_MAX, "%s/%s", S.abs, p + 1) >= PATH_MAX)
		return p;
	return buf;
}

/* --- every path call on every kind of path ---------------------------- */

static long po_open_r(const char *p)
{
	return open(p, O_RDONLY);
}
static long po_open_w(const char *p)
{
	return open(p, O_WRONLY);
}
static long po_open_dir(const char *p)
{
	return open(p, O_RDONLY | O_DIRECTORY);
}
static long po_open_nofollow(const char *p)
{
	return open(p, O_RDONLY | O_NOFOLLOW);
}
static long po_open_path(const char *p)
{
	return open(p, O_PATH | O_NOFOLLOW);
}
static long po_open64(const char *p)
{
	return open64(p, O_RDONLY | O_CLOEXEC);
}
static long po_open_2(const char *p)
{
	return __open_2(p, O_RDONLY);
}
static long po_open64_2(const char *p)
{
	return __open64_2(p, O_RDONLY | O_NONBLOCK);
}
static long po_openat(const char *p)
{
	return openat(AT_FDCWD, p, O_RDONLY);
}
static long po_openat64(const char *p)
{
	return openat64(AT_FDCWD, p, O_RDONLY);
}
static long po_openat_2(const char *p)
{
	return __openat_2(AT_FDCWD, p, O_RDONLY);
}
static long po_openat64_2(const char *p)
{
	return __openat64_2(AT_FDCWD, p, O_RDONLY);
}

static long po_stat(const char *p)
{
	struct stat st;

	return got_stat(stat(p, &st), &st);
}

static long po_stat64(const char *p)
{
	struct stat64 st;

	return got_stat64(stat64(p, &st), &st);
}

static long po_lstat(const char *p)
{
	struct stat st;

	return got_stat(lstat(p, &st), &st);
}

static long po_lstat64(const char *p)
{
	struct stat64 st;

	return got_stat64(lstat64(p, &st), &st);
}

static long po_xstat(const char *p)
{
	struct stat st;

	return got_stat(__xstat(STAT_VER, p, &st), &st);
}

static long po_xstat64(const char *p)
{
	struct stat64 st;

	return got_stat64(__xstat64(STAT_VER, p, &st), &st);
}

static long po_lxstat(const char *p)
{
	struct stat st;

	return got_stat(__lxstat(STAT_VER, p, &st), &st);
}

static long po_lxstat64(const char *p)
{
	struct stat64 st;

	return got_stat64(__lxstat64(STAT_VER, p, &st), &st);
}

static long po_fstatat(const char *p)
{
	struct stat st;

	return got_stat(fstatat(AT_FDCWD, p, &st, 0), &st);
}

static long po_fstatat_nofollow(const char *p)
{
	struct stat st;

	return got_stat(fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW), &st);
}

static long po_fstatat64(const char *p)
{
	struct stat64 st;

	return got_stat64(fstatat64(AT_FDCWD, p, &st, 0), &st);
}

static long po_fxstatat(const char *p)
{
	struct stat st;

	return got_stat(__fxstatat(STAT_VER, AT_FDCWD, p, &st, 0), &st);
}

static long po_fxstatat64(const char *p)
{
	struct stat64 st;

	return got_stat64(__fxstatat64(STAT_VER, AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW), &st);
}

static long po_statx(const char *p)
{
	struct statx sx = {0};

	return got_statx(statx(AT_FDCWD, p, 0, STATX_BASIC_STATS, &sx), &sx);
}

static long po_statx_nofollow(const char *p)
{
	struct statx sx = {0};

	return got_statx(statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx), &sx);
}

static long po_access_f(const char *p)
{
	return access(p, F_OK);
}
static long po_access_r(const char *p)
{
	return access(p, R_OK);
}
static long po_access_w(const char *p)
{
	return access(p, W_OK);
}
static long po_access_x(const char *p)
{
	return access(p, X_OK);
}
static long po_faccessat_eaccess(const char *p)
{
	return faccessat(AT_FDCWD, p, W_OK, AT_EACCESS);
}

static long po_faccessat_nofollow(const char *p)
{
	return faccessat(AT_FDCWD, p, R_OK, AT_SYMLINK_NOFOLLOW);
}

/* chdir there and back: the daemon must follow both ways */
static long po_chdir(const char *p)
{
	long r = chdir(p);
	int e = errno;
	struct stat st;

	if (r == 0) {
		if (fchdir(S.fd[FK_ROOT]) < 0)
			add("back=%s", ename(errno));
		add("then_file=%s", stat("file", &st) ? ename(errno) : "0");
	}
	errno = e;
	return r;
}

struct path_op {
	const char *name;
	long (*fn)(const char *p);
	unsigned flags;
};

static const struct path_op path_ops[] = {
    {"open_r", po_open_r, F_FD},
    {"open_w", po_open_w, F_FD},
    {"open_dir", po_open_dir, F_FD},
    {"open_nofollow", po_open_nofollow, F_FD},
    {"open_path", po_open_path, F_FD},
    {"open64", po_open64, F_FD},
    {"__open_2", po_open_2, F_FD},
    {"__open64_2", po_open64_2, F_FD},
    {"openat", po_openat, F_FD},
    {"openat64", po_openat64, F_FD},
    {"__openat_2", po_openat_2, F_FD},
    {"__openat64_2", po_openat64_2, F_FD},
    {"stat", po_stat, 0},
    {"stat64", po_stat64, 0},
    {"lstat", po_lstat, 0},
    {"lstat64", po_lstat64, 0},
    {"__xstat", po_xstat, 0},
    {"__xstat64", po_xstat64, 0},
    {"__lxstat", po_lxstat, 0},
    {"__lxstat64", po_lxstat64, 0},
    {"fstatat", po_fstatat, 0},
    {"fstatat_nofollow", po_fstatat_nofollow, 0},
    {"fstatat64", po_fstatat64, 0},
    {"__fxstatat", po_fxstatat, 0},
    {"__fxstatat64_nofollow", po_fxstatat64, 0},
    {"statx", po_statx, 0},
    {"statx_nofollow", po_statx_nofollow, 0},
    {"access_f", po_access_f, 0},
    {"access_r", po_access_r, 0},
    {"access_w", po_access_w, 0},
    {"access_x", po_access_x, 0},
    {"faccessat_eaccess_w", po_faccessat_eaccess, 0},
    {"faccessat_nofollow_r", po_faccessat_nofollow, 0},
    {"chdir", po_chdir, 0},
};

struct path_kind {
	const char *label;
	const char *path; /* "@x": absolute path of x in the tree */
};

static const struct path_kind path_kinds[] = {
    {"file", "file"},	      {"dir", "dir"},	      {"dir_slash", "dir/"},
    {"file_slash", "file/"},  {"link", "link"},	      {"dlink", "dlink"},
    {"dangling", "dangling"}, {"loop", "loop"},	      {"noperm", "noperm"},
    {"nox_f", "nox/f"},	      {"ro", "ro"},	      {"enoent", "nope"},
    {"enotdir", "file/x"},    {"empty", ""},	      {"name255", NAME255},
    {"name256", NAME256},     {"len4095", S.long_ok}, {"len4096", S.long_bad},
    {"slash", "/"},	      {"abs_file", "@file"},  {"abs_enoent", "@nope"},
};

static void run_path_matrix(void)
{
	char name[128], buf[PATH_MAX];

	for (size_t o = 0; o < ARRAY_SIZE(path_ops); o++) {
		for (size_t k = 0; k < ARRAY_SIZE(path_kinds); k++) {
			const char *p = P(path_kinds[k].path, buf);

			snprintf(name, sizeof(name), "%s@%s", path_ops[o].name,
				 path_kinds[k].label);
			errno = 0;
			finish(name, path_ops[o].fn(p), path_ops[o].flags);
		}
	}
}

/* --- every fd call on every kind of fd -------------------------------- */

static long fo_read(int fd)
{
	return got_bytes(read(fd, S.io, 16), S.io);
}

static long fo_read_chk(int fd)
{
	return got_bytes(__read_chk(fd, S.io, 16, sizeof(S.io)), S.io);
}

static long fo_pread(int fd)
{
	return got_bytes(pread(fd, S.io, 16, 4), S.io);
}
static long fo_pread64(int fd)
{
	return got_bytes(pread64(fd, S.io, 16, 20), S.io);
}

static long fo_pread_chk(int fd)
{
	return got_bytes(__pread_chk(fd, S.io, 16, 8, sizeof(S.io)), S.io);
}

static long fo_pread64_chk(int fd)
{
	return got_bytes(__pread64_chk(fd, S.io, 32, 50, sizeof(S.io)), S.io);
}

static long fo_pread_neg(int fd)
{
	return pread(fd, S.io, 16, -1);
}
static long fo_read0(int fd)
{
	return read(fd, S.io, 0);
}
static long fo_write(int fd)
{
	return write(fd, "xyz", 3);
}
static long fo_write0(int fd)
{
	return write(fd, "", 0);
}
static long fo_pwrite(int fd)
{
	return pwrite(fd, "PQ", 2, 40);
}
static long fo_pwrite64(int fd)
{
	return pwrite64(fd, "pq", 2, 200);
}
static long fo_pwrite_neg(int fd)
{
	return pwrite(fd, "n", 1, -5);
}

static long fo_readv(int fd)
{
	struct iovec v[2] = {{S.io, 5}, {S.io + 5, 11}};

	return got_bytes(readv(fd, v, 2), S.io);
}

static long fo_readv_badcnt(int fd)
{
	struct iovec v[1] = {{S.io, 5}};

	return readv(fd, v, neg_count);
}

static long fo_writev(int fd)
{
	struct iovec v[2] = {{(void *)"ab", 2}, {(void *)"cde", 3}};

	return writev(fd, v, 2);
}

static long fo_writev_badcnt(int fd)
{
	struct iovec v[1] = {{(void *)"ab", 2}};

	return writev(fd, v, big_count);
}

static long fo_lseek_cur(int fd)
{
	return lseek(fd, 0, SEEK_CUR);
}
static long fo_lseek_set(int fd)
{
	return lseek(fd, 2, SEEK_SET);
}
static long fo_lseek64_end(int fd)
{
	return lseek64(fd, 0, SEEK_END);
}
static long fo_lseek_badwhence(int fd)
{
	return lseek(fd, 0, 42);
}
static long fo_close(int fd)
{
	return close(fd);
}
static long fo_fsync(int fd)
{
	return fsync(fd);
}
static long fo_fdatasync(int fd)
{
	return fdatasync(fd);
}
static long fo_ftruncate(int fd)
{
	return ftruncate(fd, 150);
}
static long fo_ftruncate64(int fd)
{
	return ftruncate64(fd, 120);
}

static long fo_fstat(int fd)
{
	struct stat st;

	return got_stat(fstat(fd, &st), &st);
}

static long fo_fstat64(int fd)
{
	struct stat64 st;

	return got_stat64(fstat64(fd, &st), &st);
}

static long fo_fxstat(int fd)
{
	struct stat st;

	return got_stat(__fxstat(STAT_VER, fd, &st), &st);
}

static long fo_fxstat64(int fd)
{
	struct stat64 st;

	return got_stat64(__fxstat64(STAT_VER, fd, &st), &st);
}

static long fo_fstatat_empty(int fd)
{
	struct stat st;

	return got_stat(fstatat(fd, "", &st, AT_EMPTY_PATH), &st);
}

static long fo_fstatat_abs(int fd)
{
	struct stat st;

	return got_stat(fstatat(fd, "/", &st, 0), &st);
}

static long fo_fstatat64_inner(int fd)
{
	struct stat64 st;

	return got_stat64(fstatat64(fd, "inner", &st, 0), &st);
}

static long fo_fxstatat_inner(int fd)
{
	struct stat st;

	return got_stat(__fxstatat(STAT_VER, fd, "inner", &st, AT_SYMLINK_NOFOLLOW), &st);
}

static long fo_fxstatat64_empty(int fd)
{
	struct stat64 st;

	return got_stat64(__fxstatat64(STAT_VER, fd, "", &st, AT_EMPTY_PATH), &st);
}

static long fo_statx_empty(int fd)
{
	struct statx sx = {0};

	return got_statx(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx), &sx);
}

static long fo_statx_inner(int fd)
{
	struct statx sx = {0};

	return got_statx(statx(fd, "inner", 0, STATX_BASIC_STATS, &sx), &sx);
}

static long fo_openat_inner(int fd)
{
	return openat(fd, "inner", O_RDONLY);
}
static long fo_openat64_inner(int fd)
{
	return openat64(fd, "inner", O_RDONLY | O_CLOEXEC);
}
static long fo_openat_2_inner(int fd)
{
	return __openat_2(fd, "inner", O_RDONLY);
}
static long fo_openat64_2_inner(int fd)
{
	return __openat64_2(fd, "inner", O_RDWR);
}
static long fo_openat_abs(int fd)
{
	return openat(fd, "/", O_RDONLY | O_DIRECTORY);
}
static long fo_openat_creat(int fd)
{
	return openat(fd, "made", O_CREAT | O_WRONLY, 0640);
}
static long fo_faccessat_inner(int fd)
{
	return faccessat(fd, "inner", R_OK, 0);
}
static long fo_faccessat_empty(int fd)
{
	return faccessat(fd, "", R_OK, AT_EMPTY_PATH);
}
static long fo_mkdirat(int fd)
{
	return mkdirat(fd, "md", 0750);
}
static long fo_unlinkat_dir(int fd)
{
	return unlinkat(fd, "md", AT_REMOVEDIR);
}
static long fo_unlinkat_file(int fd)
{
	return unlinkat(fd, "made", 0);
}
static long fo_renameat(int fd)
{
	return renameat(fd, "inner", fd, "inner");
}

static long fo_renameat2(int fd)
{
	return renameat2(fd, "inner", fd, "inner", RENAME_NOREPLACE);
}

/* fchdir there and back: the daemon must follow both ways */
static long fo_fchdir(int fd)
{
	long r = fchdir(fd);
	int e = errno;
	struct stat st;

	if (r == 0) {
		add("then_inner=%s", stat("inner", &st) ? ename(errno) : "0");
		if (fchdir(S.fd[FK_ROOT]) < 0)
			add("back=%s", ename(errno));
	}
	errno = e;
	return r;
}

struct fd_op {
	const char *name;
	long (*fn)(int fd);
	unsigned flags;
};

static const struct fd_op fd_ops[] = {
    {"read", fo_read, 0},
    {"__read_chk", fo_read_chk, 0},
    {"read0", fo_read0, 0},
    {"pread", fo_pread, 0},
    {"pread64", fo_pread64, 0},
    {"__pread_chk", fo_pread_chk, 0},
    {"__pread64_chk", fo_pread64_chk, 0},
    {"pread_negoff", fo_pread_neg, 0},
    {"write", fo_write, 0},
    {"write0", fo_write0, 0},
    {"pwrite", fo_pwrite, 0},
    {"pwrite64", fo_pwrite64, 0},
    {"pwrite_negoff", fo_pwrite_neg, 0},
    {"readv", fo_readv, 0},
    {"readv_badcnt", fo_readv_badcnt, 0},
    {"writev", fo_writev, 0},
    {"writev_badcnt", fo_writev_badcnt, 0},
    {"lseek_cur", fo_lseek_cur, 0},
    {"lseek_set", fo_lseek_set, 0},
    {"lseek64_end", fo_lseek64_end, 0},
    {"lseek_badwhence", fo_lseek_badwhence, 0},
    {"fsync", fo_fsync, 0},
    {"fdatasync", fo_fdatasync, 0},
    {"ftruncate", fo_ftruncate, 0},
    {"ftruncate64", fo_ftruncate64, 0},
    {"fstat", fo_fstat, 0},
    {"fstat64", fo_fstat64, 0},
    {"__fxstat", fo_fxstat, 0},
    {"__fxstat64", fo_fxstat64, 0},
    {"fstatat_empty", fo_fstatat_empty, 0},
    {"fstatat_abs", fo_fstatat_abs, 0},
    {"fstatat64_inner", fo_fstatat64_inner, 0},
    {"__fxstatat_inner", fo_fxstatat_inner, 0},
    {"__fxstatat64_empty", fo_fxstatat64_empty, 0},
    {"statx_empty", fo_statx_empty, 0},
    {"statx_inner", fo_statx_inner, 0},
    {"openat_inner", fo_openat_inner, F_FD},
    {"openat64_inner", fo_openat64_inner, F_FD},
    {"__openat_2_inner", fo_openat_2_inner, F_FD},
    {"__openat64_2_inner", fo_openat64_2_inner, F_FD},
    {"openat_abs", fo_openat_abs, F_FD},
    {"openat_creat", fo_openat_creat, F_FD},
    {"faccessat_inner", fo_faccessat_inner, 0},
    {"faccessat_empty", fo_faccessat_empty, 0},
    {"mkdirat", fo_mkdirat, 0},
    {"unlinkat_dir", fo_unlinkat_dir, 0},
    {"unlinkat_file", fo_unlinkat_file, 0},
    {"renameat_self", fo_renameat, 0},
    {"renameat2_noreplace_self", fo_renameat2, 0},
    {"fchdir", fo_fchdir, 0},
    {"close", fo_close, F_DUP},
};

static void run_fd_matrix(void)
{
	char name[128];

	for (size_t o = 0; o < ARRAY_SIZE(fd_ops); o++) {
		for (int k = FK_FILE_R; k < NFK; k++) {
			int fd = S.fd[k];

			/* close gets a copy; a closed or bad number stays as is */
			if ((fd_ops[o].flags & F_DUP) && fcntl(fd, F_GETFD) >= 0)
				fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
			snprintf(name, sizeof(name), "%s@%s", fd_ops[o].name, fk_name[k]);
			errno = 0;
			finish(name, fd_ops[o].fn(fd), fd_ops[o].flags);
		}
	}
}

/* --- lseek: offsets, and that the daemon shares the file offset ------- */

struct seek_case {
	const char *name;
	long long off;
	int whence;
	bool is64;
	size_t readn; /* then read this much, print the sum and the offset */
};

static const struct seek_case seeks[] = {
    {"lseek_set", 10, SEEK_SET, false, 5},
    {"lseek_cur", 5, SEEK_CUR, false, 0},
    {"lseek_cur_before_start", -100, SEEK_CUR, false, 0},
    {"lseek_end", 0, SEEK_END, false, 0},
    {"lseek_end_back", -30, SEEK_END, false, 10},
    {"lseek_set_neg", -1, SEEK_SET, false, 0},
    {"lseek_badwhence", 0, 42, false, 0},
    {"lseek_data", 0, SEEK_DATA, false, 0},
    {"lseek_hole", 0, SEEK_HOLE, false, 0},
    {"lseek_data_at_eof", SMALL, SEEK_DATA, false, 0},
    {"lseek_past_eof", 1000, SEEK_SET, false, 4},
    {"lseek64_set_1t", 1LL << 40, SEEK_SET, true, 0},
    {"lseek64_cur", 0, SEEK_CUR, true, 0},
    {"lseek64_too_far", 1LL << 62, SEEK_SET, true, 0},
    {"lseek64_badwhence", 0, -1, true, 0},
    {"lseek64_set", 50, SEEK_SET, true, 8},
};

static void run_seeks(void)
{
	int fd = open("file", O_RDONLY);

	errno = 0;
	finish("lseek.open", fd, 0);
	for (size_t i = 0; i < ARRAY_SIZE(seeks); i++) {
		const struct seek_case *s = &seeks[i];
		long r;

		errno = 0;
		r = s->is64 ? lseek64(fd, s->off, s->whence) : lseek(fd, (off_t)s->off, s->whence);
		if (r >= 0 && s->readn) {
			int e = errno;

			got_bytes(read(fd, S.io, s->readn), S.io);
			add("pos=%ld", (long)lseek(fd, 0, SEEK_CUR));
			errno = e;
		}
		finish(s->name, r, 0);
	}
	close(fd);
}

/* --- a script of steps that change the tree --------------------------- */

enum call {
	C_FN,
	C_OPEN,
	C_OPEN64,
	C_OPENAT,
	C_OPENAT64,
	C_OPEN_2,
	C_OPEN64_2,
	C_OPENAT_2,
	C_OPENAT64_2,
	C_CREAT,
	C_CREAT64,
	C_MKDIR,
	C_MKDIRAT,
	C_RMDIR,
	C_UNLINK,
	C_UNLINKAT,
	C_RENAME,
	C_RENAMEAT,
	C_RENAMEAT2,
	C_TRUNCATE,
	C_TRUNCATE64,
	C_CHDIR,
	C_FCHDIR,
	C_ACCESS,
	C_FACCESSAT, /* last of the name calls */
	C_STAT,
	C_LSTAT,
	C_FSTATAT,
	C_STATX,
	C_XSTAT,
	C_LXSTAT64,
	C_FXSTAT,
	C_FXSTATAT64,
};

/* One step: call(d, a, b, x, y) as the call takes them. */
struct step {
	const char *name;
	enum call call;
	enum fdk d; /* dirfd or fd; 0 is AT_FDCWD */
	const char *a, *b;
	long long x, y;
	long (*fn)(void); /* C_FN */
	unsigned flags;
};

static long do_open(const struct step *s, int d, const char *a)
{
	int f = (int)s->x;
	mode_t m = (mode_t)s->y;

	switch (s->call) {
	case C_OPEN:
		return open(a, f, m);
	case C_OPEN64:
		return open64(a, f, m);
	case C_OPENAT:
		return openat(d, a, f, m);
	case C_OPENAT64:
		return openat64(d, a, f, m);
	case C_OPEN_2:
		return __open_2(a, f);
	case C_OPEN64_2:
		return __open64_2(a, f);
	case C_OPENAT_2:
		return __openat_2(d, a, f);
	case C_OPENAT64_2:
		return __openat64_2(d, a, f);
	case C_CREAT:
		return creat(a, (mode_t)s->x);
	default:
		return creat64(a, (mode_t)s->x);
	}
}

static long do_name(const struct step *s, int d, const char *a, const char *b)
{
	switch (s->call) {
	case C_MKDIR:
		return mkdir(a, (mode_t)s->x);
	case C_MKDIRAT:
		return mkdirat(d, a, (mode_t)s->x);
	case C_RMDIR:
		return rmdir(a);
	case C_UNLINK:
		return unlink(a);
	case C_UNLINKAT:
		return unlinkat(d, a, (int)s->x);
	case C_RENAME:
		return rename(a, b);
	case C_RENAMEAT:
		return renameat(d, a, d, b);
	case C_RENAMEAT2:
		return renameat2(d, a, d, b, (unsigned)s->x);
	case C_TRUNCATE:
		return truncate(a, (off_t)s->x);
	case C_TRUNCATE64:
		return truncate64(a, s->x);
	case C_CHDIR:
		return chdir(a);
	case C_FCHDIR:
		return fchdir(d);
	case C_ACCESS:
		return access(a, (int)s->x);
	default:
		return faccessat(d, a, (int)s->x, (int)s->y);
	}
}

static long do_stat(const struct step *s, int d, const char *a)
{
	struct stat st;
	struct stat64 st64;
	struct statx sx = {0};
	int v = (int)s->x;

	switch (s->call) {
	case C_STAT:
		return got_stat(stat(a, &st), &st);
	case C_LSTAT:
		return got_stat(lstat(a, &st), &st);
	case C_FSTATAT:
		return got_stat(fstatat(d, a, &st, (int)s->x), &st);
	case C_STATX:
		return got_statx(statx(d, a, (int)s->x, (unsigned)s->y, &sx), &sx);
	case C_XSTAT:
		return got_stat(__xstat(v, a, &st), &st);
	case C_LXSTAT64:
		return got_stat64(__lxstat64(v, a, &st64), &st64);
	case C_FXSTAT:
		return got_stat(__fxstat(v, d, &st), &st);
	default:
		return got_stat64(__fxstatat64(v, d, a, &st64, (int)s->y), &st64);
	}
}

static void run_step(const struct step *s)
{
	char ba[PATH_MAX], bb[PATH_MAX];
	const char *a = P(s->a, ba), *b = P(s->b, bb);
	int d = S.fd[s->d];
	unsigned flags = s->flags;
	long r;

	errno = 0;
	if (s->call == C_FN) {
		r = s->fn();
	} else if (s->call <= C_CREAT64) {
		r = do_open(s, d, a);
		flags |= F_FD;
	} else if (s->call <= C_FACCESSAT) {
		r = do_name(s, d, a, b);
	} else {
		r = do_stat(s, d, a);
	}
	finish(s->name, r, flags);
}

/* Steps that are more than one call. */

static long fd_hole(void)
{
	int a = open("file", O_RDONLY), b = open("file", O_RDONLY);
	long r;

	add("a=%d b=%d", a, b);
	close(a);
	r = open("file", O_RDONLY);
	close(b);
	return r;
}

static long umask_creat(void)
{
	long r;
	int e;

	umask(077);
	r = creat("um1", 0666);
	e = errno;
	umask(022);
	errno = e;
	return r;
}

static long umask_mkdir(void)
{
	struct stat st;
	long r;
	int e;

	umask(027);
	r = mkdir("um2", 0777);
	e = errno;
	umask(022);
	if (r == 0)
		got_stat(stat("um2", &st), &st);
	errno = e;
	return r;
}

/* creat on a file with content empties it */
static long creat_trunc(void)
{
	int fd = open("c1", O_WRONLY);

	if (fd >= 0) {
		add("wrote=%zd", write(fd, "hello", 5));
		close(fd);
	}
	return creat("c1", 0666);
}

/* rename onto another name of the same inode does nothing */
static long rename_hardlinks(void)
{
	if (link("r1", "r1h") < 0)
		add("link=%s", ename(errno));
	errno = 0;
	return rename("r1", "r1h");
}

static long ftruncate_neg(void)
{
	return ftruncate(S.fd[FK_FILE_RW], -1);
}
static long ftruncate64_huge(void)
{
	return ftruncate64(S.fd[FK_FILE_RW], 1LL << 62);
}
static long fsync_after_write(void)
{
	if (pwrite(S.fd[FK_FILE_RW], "sync", 4, 0) != 4)
		add("pwrite=%s", ename(errno));
	errno = 0;
	return fsync(S.fd[FK_FILE_RW]);
}

/* a read after open, close, open: the same content at the same offsets */
static long reopen_read(void)
{
	int fd = open("file", O_RDONLY);
	long r;

	close(fd);
	fd = open("file", O_RDONLY);
	add("fd=%d", fd);
	r = got_bytes(read(fd, S.io, sizeof(S.io)), S.io);
	add("pos=%ld", (long)lseek(fd, 0, SEEK_CUR));
	close(fd);
	return r;
}

static const struct step steps[] = {
    /* fd numbers and flags of new fds */
    {"fd_lowest", C_OPEN, .a = "file", .x = O_RDONLY},
    {"fd_hole", C_FN, .fn = fd_hole, .flags = F_FD},
    {"reopen_read", C_FN, .fn = reopen_read},
    {"open_cloexec", C_OPEN, .a = "file", .x = O_RDONLY | O_CLOEXEC},
    {"open_append_nonblock", C_OPEN, .a = "wfile", .x = O_WRONLY | O_APPEND | O_NONBLOCK},
    {"open_rdwr_sync", C_OPEN, .a = "rwfile", .x = O_RDWR | O_SYNC},
    {"open_accmode3", C_OPEN, .a = "file", .x = O_ACCMODE},
    /* creating */
    {"open64_creat", C_OPEN64, .a = "new1", .x = O_CREAT | O_EXCL | O_WRONLY, .y = 0666},
    {"open_creat_excl_exists", C_OPEN, .a = "new1", .x = O_CREAT | O_EXCL | O_WRONLY, .y = 0666},
    {"open_creat_existing", C_OPEN, .a = "new1", .x = O_CREAT | O_WRONLY, .y = 0600},
    {"openat_creat_dirfd", C_OPENAT, .d = FK_DIR, .a = "new2", .x = O_CREAT | O_RDWR, .y = 0640},
    {"openat64_creat_excl_exists", C_OPENAT64, .d = FK_DIR, .a = "new2",
     .x = O_CREAT | O_EXCL | O_RDWR, .y = 0640},
    {"open_creat_dangling", C_OPEN, .a = "dangling", .x = O_CREAT | O_WRONLY, .y = 0600},
    {"open_creat_dangling.stat", C_LSTAT, .a = "nowhere"},
    {"open_creat_excl_dangling", C_OPEN, .a = "dangling", .x = O_CREAT | O_EXCL | O_WRONLY,
     .y = 0600},
    {"open_creat_on_dir", C_OPEN, .a = "dir", .x = O_CREAT | O_RDONLY, .y = 0644},
    {"open_creat_no_parent", C_OPEN, .a = "nope/x", .x = O_CREAT | O_WRONLY, .y = 0644},
    {"open_creat_in_ro", C_OPEN, .a = "ro/new", .x = O_CREAT | O_WRONLY, .y = 0644},
    {"open_creat_in_nox", C_OPEN, .a = "nox/new", .x = O_CREAT | O_WRONLY, .y = 0644},
    {"open_trunc_noperm", C_OPEN, .a = "noperm", .x = O_WRONLY | O_TRUNC},
    {"open_excl_nocreat", C_OPEN, .a = "file", .x = O_RDONLY | O_EXCL},
    {"open_tmpfile", C_OPEN, .a = ".", .x = O_TMPFILE | O_RDWR, .y = 0600},
    {"open_tmpfile_in_ro", C_OPEN, .a = "ro", .x = O_TMPFILE | O_RDWR, .y = 0600},
    {"open_tmpfile_rdonly", C_OPEN, .a = ".", .x = O_TMPFILE | O_RDONLY, .y = 0600},
    {"umask_creat", C_FN, .fn = umask_creat, .flags = F_FD},
    {"umask_mkdir", C_FN, .fn = umask_mkdir},
    {"creat", C_CREAT, .a = "c1", .x = 0666},
    {"creat_truncates", C_FN, .fn = creat_trunc, .flags = F_FD},
    {"creat_on_dir", C_CREAT, .a = "dir", .x = 0644},
    {"creat_in_ro", C_CREAT, .a = "ro/c", .x = 0644},
    {"creat_loop", C_CREAT, .a = "loop", .x = 0644},
    {"creat64", C_CREAT64, .a = "c2", .x = 0600},
    {"creat64_enotdir", C_CREAT64, .a = "file/c", .x = 0600},
    {"__open_2", C_OPEN_2, .a = "file", .x = O_RDONLY},
    {"__open_2_enoent", C_OPEN_2, .a = "nope", .x = O_RDONLY},
    {"__open64_2_eisdir", C_OPEN64_2, .a = "dir", .x = O_WRONLY},
    {"__openat_2_dirfd", C_OPENAT_2, .d = FK_DIR, .a = "inner", .x = O_RDONLY},
    {"__openat_2_filefd", C_OPENAT_2, .d = FK_FILE_R, .a = "inner", .x = O_RDONLY},
    {"__openat64_2_badfd", C_OPENAT64_2, .d = FK_BAD, .a = "inner", .x = O_RDONLY},
    /* an absolute path ignores the dirfd, whatever it is */
    {"openat_abs_negfd", C_OPENAT, .d = FK_NEG, .a = "@file", .x = O_RDONLY},
    {"openat_abs_filefd", C_OPENAT, .d = FK_FILE_R, .a = "@file", .x = O_RDONLY},
    {"openat64_abs_closedfd", C_OPENAT64, .d = FK_CLOSED, .a = "@dir/inner", .x = O_RDONLY},
    {"fstatat_abs_badfd", C_FSTATAT, .d = FK_BAD, .a = "@file"},
    {"statx_abs_negfd", C_STATX, .d = FK_NEG, .a = "@dir", .y = STATX_BASIC_STATS},
    {"faccessat_abs_closedfd", C_FACCESSAT, .d = FK_CLOSED, .a = "@file", .x = R_OK},
    {"mkdirat_abs_negfd", C_MKDIRAT, .d = FK_NEG, .a = "@am", .x = 0755},
    {"renameat_abs_negfd", C_RENAMEAT, .d = FK_NEG, .a = "@am", .b = "@am2"},
    {"unlinkat_abs_negfd", C_UNLINKAT, .d = FK_NEG, .a = "@am2", .x = AT_REMOVEDIR},
    {"__fxstatat64_abs_negfd", C_FXSTATAT64, .d = FK_NEG, .a = "@file", .x = STAT_VER},
    /* mkdir, rmdir, unlinkat */
    {"mkdir", C_MKDIR, .a = "m1", .x = 0777},
    {"mkdir.stat", C_STAT, .a = "m1"},
    {"mkdir.parent", C_STAT, .a = "."},
    {"mkdir_exists", C_MKDIR, .a = "m1", .x = 0777},
    {"mkdir_dangling", C_MKDIR, .a = "dangling", .x = 0777},
    {"mkdir_no_parent", C_MKDIR, .a = "nope/m", .x = 0777},
    {"mkdir_enotdir", C_MKDIR, .a = "file/m", .x = 0777},
    {"mkdir_in_ro", C_MKDIR, .a = "ro/m", .x = 0777},
    {"mkdir_in_nox", C_MKDIR, .a = "nox/m", .x = 0777},
    {"mkdir_name256", C_MKDIR, .a = NAME256, .x = 0777},
    {"mkdir_empty", C_MKDIR, .a = "", .x = 0777},
    {"mkdirat_dirfd", C_MKDIRAT, .d = FK_DIR, .a = "m2", .x = 0700},
    {"mkdirat_dirfd.stat", C_STAT, .a = "dir/m2"},
    {"mkdirat_filefd", C_MKDIRAT, .d = FK_FILE_R, .a = "m", .x = 0700},
    {"mkdirat_closedfd", C_MKDIRAT, .d = FK_CLOSED, .a = "m", .x = 0700},
    {"rmdir", C_RMDIR, .a = "m1"},
    {"rmdir_again", C_RMDIR, .a = "m1"},
    {"rmdir_notempty", C_RMDIR, .a = "full"},
    {"rmdir_file", C_RMDIR, .a = "file"},
    {"rmdir_symlink_to_dir", C_RMDIR, .a = "dlink"},
    {"rmdir_dot", C_RMDIR, .a = "."},
    {"rmdir_dotdot", C_RMDIR, .a = "dir/.."},
    {"rmdir_trailing_slash", C_RMDIR, .a = "empty1/"},
    {"rmdir_in_ro", C_RMDIR, .a = "ro/sub"},
    {"unlinkat_removedir", C_UNLINKAT, .a = "empty2", .x = AT_REMOVEDIR},
    {"unlinkat_badflag", C_UNLINKAT, .a = "file", .x = 0x1},
    {"unlinkat_dir_noflag", C_UNLINKAT, .a = "dir", .x = 0},
    {"unlinkat_file_removedir", C_UNLINKAT, .a = "file", .x = AT_REMOVEDIR},
    {"unlinkat_dirfd", C_UNLINKAT, .d = FK_DIR, .a = "m2", .x = AT_REMOVEDIR},
    {"unlinkat_filefd", C_UNLINKAT, .d = FK_FILE_R, .a = "x"},
    {"unlinkat_badfd", C_UNLINKAT, .d = FK_BAD, .a = "x"},
    /* rename, renameat, renameat2 */
    {"rename", C_RENAME, .a = "new1", .b = "r1"},
    {"rename.stat", C_STAT, .a = "r1"},
    {"rename_enoent", C_RENAME, .a = "new1", .b = "r2"},
    {"rename_replace", C_RENAME, .a = "c1", .b = "r1"},
    {"rename_replace.stat", C_STAT, .a = "r1"},
    {"rename_dir_over_file", C_RENAME, .a = "edir", .b = "r1"},
    {"rename_file_over_dir", C_RENAME, .a = "r1", .b = "edir"},
    {"rename_over_nonempty", C_RENAME, .a = "edir", .b = "full"},
    {"rename_into_self", C_RENAME, .a = "edir", .b = "edir/sub"},
    {"rename_in_ro", C_RENAME, .a = "ro/g", .b = "ro/g2"},
    {"rename_no_target_dir", C_RENAME, .a = "r1", .b = "nope/r1"},
    {"rename_same", C_RENAME, .a = "r1", .b = "r1"},
    {"rename_hardlinks", C_FN, .fn = rename_hardlinks},
    {"rename_hardlinks.stat", C_STAT, .a = "r1"},
    {"rename_dir", C_RENAME, .a = "edir", .b = "edir2"},
    {"rename_empty", C_RENAME, .a = "", .b = "r9"},
    {"renameat_dirfd", C_RENAMEAT, .d = FK_DIR, .a = "inner", .b = "inner2"},
    {"renameat_dirfd.stat", C_STAT, .a = "dir/inner2"},
    {"renameat_dirfd_back", C_RENAMEAT, .d = FK_DIR, .a = "inner2", .b = "inner"},
    {"renameat_filefd", C_RENAMEAT, .d = FK_FILE_R, .a = "x", .b = "y"},
    {"renameat_negfd", C_RENAMEAT, .d = FK_NEG, .a = "x", .b = "y"},
    {"renameat2_noreplace_exists", C_RENAMEAT2, .a = "r1", .b = "file", .x = RENAME_NOREPLACE},
    {"renameat2_noreplace", C_RENAMEAT2, .a = "r1h", .b = "r3", .x = RENAME_NOREPLACE},
    {"renameat2_exchange", C_RENAMEAT2, .a = "x1", .b = "x2", .x = RENAME_EXCHANGE},
    {"renameat2_exchange.stat", C_STAT, .a = "x1"},
    {"renameat2_exchange_enoent", C_RENAMEAT2, .a = "x1", .b = "nope", .x = RENAME_EXCHANGE},
    {"renameat2_exchange_dir", C_RENAMEAT2, .a = "x2", .b = "edir2", .x = RENAME_EXCHANGE},
    {"renameat2_exchange_dir.stat", C_LSTAT, .a = "x2"},
    {"renameat2_exchange_dir_back", C_RENAMEAT2, .a = "x2", .b = "edir2", .x = RENAME_EXCHANGE},
    {"renameat2_badflags", C_RENAMEAT2, .a = "x1", .b = "x2", .x = 1 << 10},
    {"renameat2_noreplace_exchange", C_RENAMEAT2, .a = "x1", .b = "x2",
     .x = RENAME_NOREPLACE | RENAME_EXCHANGE},
    {"renameat2_dirfd", C_RENAMEAT2, .d = FK_DIR, .a = "inner", .b = "inner", .x = 0},
    {"renameat2_badfd", C_RENAMEAT2, .d = FK_CLOSED, .a = "inner", .b = "inner", .x = 0},
    /* unlink */
    {"unlink", C_UNLINK, .a = "c2"},
    {"unlink_again", C_UNLINK, .a = "c2"},
    {"unlink_dir", C_UNLINK, .a = "dir"},
    {"unlink_enotdir", C_UNLINK, .a = "file/x"},
    {"unlink_trailing_slash", C_UNLINK, .a = "r1/"},
    {"unlink_in_ro", C_UNLINK, .a = "ro/f"},
    {"unlink_symlink", C_UNLINK, .a = "link2"},
    {"unlink_symlink.target", C_STAT, .a = "file"},
    {"unlink_dangling_target", C_UNLINK, .a = "nowhere"},
    {"unlink_empty", C_UNLINK, .a = ""},
    {"unlink_name256", C_UNLINK, .a = NAME256},
    /* truncate, ftruncate */
    {"truncate", C_TRUNCATE, .a = "x1", .x = 10},
    {"truncate.stat", C_STAT, .a = "x1"},
    {"truncate_grow", C_TRUNCATE, .a = "x1", .x = 5000},
    {"truncate_grow.stat", C_STAT, .a = "x1"},
    {"truncate_neg", C_TRUNCATE, .a = "x1", .x = -1},
    {"truncate_dir", C_TRUNCATE, .a = "dir", .x = 0},
    {"truncate_enoent", C_TRUNCATE, .a = "nope", .x = 0},
    {"truncate_noperm", C_TRUNCATE, .a = "noperm", .x = 0},
    {"truncate_enotdir", C_TRUNCATE, .a = "file/x", .x = 0},
    {"truncate_via_link", C_TRUNCATE, .a = "link", .x = SMALL},
    {"truncate_loop", C_TRUNCATE, .a = "loop", .x = 0},
    {"truncate_empty", C_TRUNCATE, .a = "", .x = 0},
    {"truncate64", C_TRUNCATE64, .a = "x2", .x = 3},
    {"truncate64.stat", C_STAT, .a = "x2"},
    {"truncate64_huge", C_TRUNCATE64, .a = "x2", .x = 1LL << 62},
    {"truncate64_neg", C_TRUNCATE64, .a = "x2", .x = -7},
    {"ftruncate_neg", C_FN, .fn = ftruncate_neg},
    {"ftruncate64_huge", C_FN, .fn = ftruncate64_huge},
    {"fsync_after_write", C_FN, .fn = fsync_after_write},
    /* chdir, fchdir: relative names must follow */
    {"chdir", C_CHDIR, .a = "dir"},
    {"chdir.stat", C_STAT, .a = "inner"},
    {"chdir.creat", C_CREAT, .a = "cwdfile", .x = 0644},
    {"chdir.openat", C_OPENAT, .a = "inner", .x = O_RDONLY},
    {"chdir.statx_empty", C_STATX, .a = "", .x = AT_EMPTY_PATH, .y = STATX_BASIC_STATS},
    {"chdir_dotdot", C_CHDIR, .a = ".."},
    {"chdir_dotdot.stat", C_STAT, .a = "dir/cwdfile"},
    {"chdir_symlink", C_CHDIR, .a = "dlink"},
    {"chdir_symlink.stat", C_STAT, .a = "inner"},
    {"chdir_symlink.dotdot", C_STAT, .a = "../file"},
    {"fchdir_root", C_FCHDIR, .d = FK_ROOT},
    {"chdir_enoent", C_CHDIR, .a = "nope"},
    {"chdir_file", C_CHDIR, .a = "file"},
    {"chdir_loop", C_CHDIR, .a = "loop"},
    {"chdir_empty", C_CHDIR, .a = ""},
    {"chdir_nox", C_CHDIR, .a = "nox"},
    {"chdir_nox.stat", C_STAT, .a = "f"},
    {"fchdir_root_again", C_FCHDIR, .d = FK_ROOT},
    {"fchdir_dir", C_FCHDIR, .d = FK_DIR},
    {"fchdir_dir.stat", C_STAT, .a = "inner"},
    {"fchdir_dir.mkdir", C_MKDIR, .a = "sub", .x = 0755},
    {"fchdir_dir.rename", C_RENAME, .a = "sub", .b = "sub2"},
    {"fchdir_dir.access", C_ACCESS, .a = "sub2", .x = W_OK},
    {"fchdir_root_third", C_FCHDIR, .d = FK_ROOT},
    {"fchdir_dir.after", C_STAT, .a = "dir/sub2"},
    {"fchdir_dir.rmdir", C_RMDIR, .a = "dir/sub2"},
    {"fchdir_opath_file", C_FCHDIR, .d = FK_OPATH},
    {"fchdir_pipe", C_FCHDIR, .d = FK_PIPE_R},
    /* access and faccessat modes and flags */
    {"access_badmode", C_ACCESS, .a = "file", .x = 0x10},
    {"access_rwx_dir", C_ACCESS, .a = "dir", .x = R_OK | W_OK | X_OK},
    {"faccessat_badmode", C_FACCESSAT, .a = "file", .x = 0x10},
    {"faccessat_badflag", C_FACCESSAT, .a = "file", .x = R_OK, .y = 0x1},
    {"faccessat_emptypath", C_FACCESSAT, .d = FK_FILE_R, .a = "", .x = R_OK, .y = AT_EMPTY_PATH},
    {"faccessat_emptypath_noflag", C_FACCESSAT, .d = FK_FILE_R, .a = "", .x = R_OK},
    {"faccessat_dirfd", C_FACCESSAT, .d = FK_DIR, .a = "inner", .x = R_OK | W_OK},
    {"faccessat_filefd", C_FACCESSAT, .d = FK_FILE_R, .a = "inner", .x = R_OK},
    {"faccessat_eaccess_x", C_FACCESSAT, .a = "file", .x = X_OK, .y = AT_EACCESS},
    {"faccessat_eaccess_ro_w", C_FACCESSAT, .a = "ro", .x = W_OK, .y = AT_EACCESS},
    /* stat flags */
    {"fstatat_badflag", C_FSTATAT, .a = "file", .x = 0x1},
    {"fstatat_emptypath_cwd", C_FSTATAT, .a = "", .x = AT_EMPTY_PATH},
    {"fstatat_emptypath_noflag", C_FSTATAT, .a = ""},
    {"fstatat_dirfd", C_FSTATAT, .d = FK_DIR, .a = "inner"},
    {"fstatat_filefd", C_FSTATAT, .d = FK_FILE_R, .a = "inner"},
    {"fstatat_nofollow_dangling", C_FSTATAT, .a = "dangling", .x = AT_SYMLINK_NOFOLLOW},
    {"fstatat_automount", C_FSTATAT, .a = "file", .x = AT_NO_AUTOMOUNT},
    {"statx_badsync", C_STATX, .a = "file", .x = AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
     .y = STATX_BASIC_STATS},
    {"statx_unknownflag", C_STATX, .a = "file", .x = 0x10000, .y = STATX_BASIC_STATS},
    {"statx_reserved_mask", C_STATX, .a = "file", .y = STATX__RESERVED},
    {"statx_mask0", C_STATX, .a = "file", .y = 0},
    {"statx_type_only", C_STATX, .a = "file", .y = STATX_TYPE},
    {"statx_emptypath_fd", C_STATX, .d = FK_FILE_R, .a = "", .x = AT_EMPTY_PATH,
     .y = STATX_BASIC_STATS},
    {"statx_emptypath_noflag", C_STATX, .d = FK_FILE_R, .a = "", .y = STATX_BASIC_STATS},
    {"statx_emptypath_pipe", C_STATX, .d = FK_PIPE_W, .a = "", .x = AT_EMPTY_PATH,
     .y = STATX_BASIC_STATS},
    {"statx_nofollow", C_STATX, .a = "link", .x = AT_SYMLINK_NOFOLLOW, .y = STATX_BASIC_STATS},
    {"statx_dontsync", C_STATX, .a = "file", .x = AT_STATX_DONT_SYNC, .y = STATX_BASIC_STATS},
    /* the version argument of the glibc < 2.33 stat functions */
    {"__xstat_ver0", C_XSTAT, .a = "file", .x = 0},
    {"__xstat_ver1", C_XSTAT, .a = "file", .x = 1},
    {"__xstat_ver2", C_XSTAT, .a = "file", .x = 2},
    {"__xstat_ver3", C_XSTAT, .a = "file", .x = 3},
    {"__xstat_verneg", C_XSTAT, .a = "file", .x = -1},
    {"__xstat_ver3_enoent", C_XSTAT, .a = "nope", .x = 3},
    {"__lxstat64_ver3", C_LXSTAT64, .a = "link", .x = 3},
    {"__lxstat64_ver0", C_LXSTAT64, .a = "link", .x = 0},
    {"__fxstat_ver3", C_FXSTAT, .d = FK_FILE_R, .x = 3},
    {"__fxstat_ver1_negfd", C_FXSTAT, .d = FK_NEG, .x = 1},
    {"__fxstatat64_ver3", C_FXSTATAT64, .d = FK_DIR, .a = "inner", .x = 3},
    {"__fxstatat64_ver1", C_FXSTATAT64, .d = FK_DIR, .a = "inner", .x = 1},
    {"__fxstatat64_ver1_badflag", C_FXSTATAT64, .d = FK_DIR, .a = "inner", .x = 1, .y = 0x1},
};

/* --- transfers larger than one slot ------------------------------------ */

static long big_read(void)
{
	int fd = open("big", O_RDONLY);
	long r = got_bytes(read(fd, S.in, BIG + 4096), S.in);
	int e = errno;

	add("pos=%ld", (long)lseek(fd, 0, SEEK_CUR));
	close(fd);
	errno = e;
	return r;
}

static long big_pread(void)
{
	int fd = open("big", O_RDONLY);
	long r = got_bytes(pread(fd, S.in, BIG, 1000), S.in);
	int e = errno;

	add("pos=%ld", (long)lseek(fd, 0, SEEK_CUR));
	close(fd);
	errno = e;
	return r;
}

static long big_readv(void)
{
	int fd = open("big", O_RDONLY);
	struct iovec v[3] = {{S.in, 100000}, {S.in + 100000, 150001}, {S.in + 250001, 60000}};
	long r = got_bytes(readv(fd, v, 3), S.in);
	int e = errno;

	add("pos=%ld", (long)lseek(fd, 0, SEEK_CUR));
	close(fd);
	errno = e;
	return r;
}

static long big_write(void)
{
	long r;

	S.tmpfd = open("wbig", O_CREAT | O_TRUNC | O_RDWR, 0644);
	add("fd=%d", S.tmpfd);
	r = write(S.tmpfd, S.pat, BIG);
	add("pos=%ld", (long)lseek(S.tmpfd, 0, SEEK_CUR));
	return r;
}

static long big_pwrite(void)
{
	long r = pwrite(S.tmpfd, S.pat + 7, BIG, BIG / 2);
	struct stat st;

	add("pos=%ld", (long)lseek(S.tmpfd, 0, SEEK_CUR));
	got_stat(fstat(S.tmpfd, &st), &st);
	return r;
}

static long big_writev(void)
{
	struct iovec v[2] = {{S.pat, 140000}, {S.pat + 3, 140000}};
	long r = writev(S.tmpfd, v, 2);

	add("pos=%ld", (long)lseek(S.tmpfd, 0, SEEK_CUR));
	return r;
}

static long big_readback(void)
{
	long r = got_bytes(pread(S.tmpfd, S.in, sizeof(S.in), 0), S.in);
	int e = errno;

	close(S.tmpfd);
	errno = e;
	return r;
}

static const struct step big_steps[] = {
    {"big_read", C_FN, .fn = big_read},		{"big_pread", C_FN, .fn = big_pread},
    {"big_readv", C_FN, .fn = big_readv},	{"big_write", C_FN, .fn = big_write},
    {"big_pwrite", C_FN, .fn = big_pwrite},	{"big_writev", C_FN, .fn = big_writev},
    {"big_readback", C_FN, .fn = big_readback},
};

/* --- EFAULT: each in a child, since a shim may crash on it -------------- */

static long ef_read(void)
{
	return read(open("file", O_RDONLY), nul, 16);
}
static long ef_pread(void)
{
	return pread(open("file", O_RDONLY), nul, 16, 0);
}

static long ef_readv(void)
{
	struct iovec v[1] = {{nul, 16}};

	return readv(open("file", O_RDONLY), v, 1);
}

static long ef_write(void)
{
	return write(open("efw", O_CREAT | O_WRONLY, 0644), nul, 3);
}
static long ef_stat(void)
{
	return stat("file", nul);
}
static long ef_fstat(void)
{
	return fstat(S.fd[FK_FILE_R], nul);
}
static long ef_fstatat(void)
{
	return fstatat(AT_FDCWD, "file", nul, 0);
}
static long ef_statx(void)
{
	return statx(AT_FDCWD, "file", 0, STATX_BASIC_STATS, nul);
}
static long ef_stat_path(void)
{
	return stat((const char *)nul + 1, (struct stat *)S.in);
}
static long ef_open_path(void)
{
	return open(nul, O_RDONLY);
}

static long ef_access_path(void)
{
	return access((const char *)nul + 1, F_OK);
}

static const struct step efault_steps[] = {
    {"efault_read", C_FN, .fn = ef_read},
    {"efault_pread", C_FN, .fn = ef_pread},
    {"efault_readv", C_FN, .fn = ef_readv},
    {"efault_write", C_FN, .fn = ef_write},
    {"efault_stat_buf", C_FN, .fn = ef_stat},
    {"efault_fstat_buf", C_FN, .fn = ef_fstat},
    {"efault_fstatat_buf", C_FN, .fn = ef_fstatat},
    {"efault_statx_buf", C_FN, .fn = ef_statx},
    {"efault_stat_path", C_FN, .fn = ef_stat_path},
    {"efault_open_null", C_FN, .fn = ef_open_path},
    {"efault_access_path", C_FN, .fn = ef_access_path},
};

static void run_forked(const struct step *s)
{
	struct rlimit no_core = {0, 0};
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		run_step(s);
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		printf("%s ret=nofork errno=%s\n", s->name, ename(errno));
		return;
	}
	if (WIFSIGNALED(st))
		printf("%s ret=killed errno=0 signal=SIG%s\n", s->name, sigabbrev_np(WTERMSIG(st)));
	else if (WEXITSTATUS(st))
		printf("%s ret=exit errno=0 status=%d\n", s->name, WEXITSTATUS(st));
}

/* --- the tree ------------------------------------------------------------ */

struct node {
	const char *path;
	char type; /* f file, d dir, l symlink, m chmod once the tree is built */
	mode_t mode;
	size_t size;
	const char *target;
};

static const struct node tree[] = {
    {"file", 'f', 0644, SMALL, NULL}, {"big", 'f', 0644, BIG, NULL},
    {"dir", 'd', 0755, 0, NULL},      {"dir/inner", 'f', 0644, 6, NULL},
    {"link", 'l', .target = "file"},  {"link2", 'l', .target = "file"},
    {"dlink", 'l', .target = "dir"},  {"dangling", 'l', .target = "nowhere"},
    {"loop", 'l', .target = "loop"},  {"ro", 'd', 0755, 0, NULL},
    {"ro/f", 'f', 0644, 3, NULL},     {"ro/g", 'f', 0644, 3, NULL},
    {"ro/sub", 'd', 0755, 0, NULL},   {"nox", 'd', 0755, 0, NULL},
    {"nox/f", 'f', 0644, 3, NULL},    {"noperm", 'f', 0644, 5, NULL},
    {"full", 'd', 0755, 0, NULL},     {"full/x", 'f', 0644, 1, NULL},
    {"empty1", 'd', 0755, 0, NULL},   {"empty2", 'd', 0755, 0, NULL},
    {"edir", 'd', 0755, 0, NULL},     {"x1", 'f', 0644, 1, NULL},
    {"x2", 'f', 0644, 2, NULL},	      {"wfile", 'f', 0644, 0, NULL},
    {"rwfile", 'f', 0644, 64, NULL},  {"ro", 'm', 0555, 0, NULL},
    {"nox", 'm', 0, 0, NULL},	      {"noperm", 'm', 0, 0, NULL},
};

static int must(long r, const char *what)
{
	if (r < 0) {
		fprintf(stderr, "errno_check: setup: %s: %s\n", what, strerror(errno));
		exit(2);
	}
	return (int)r;
}

static void put_file(const char *p, const unsigned char *data, size_t n, mode_t mode)
{
	int fd = must(open(p, O_CREAT | O_EXCL | O_WRONLY, mode), p);

	if (write(fd, data, n) != (ssize_t)n)
		must(-1, p);
	must(close(fd), p);
}

static void make_node(const struct node *n, size_t i)
{
	switch (n->type) {
	case 'f':
		put_file(n->path, S.pat + i, n->size, n->mode);
		break;
	case 'd':
		must(mkdir(n->path, n->mode), n->path);
		break;
	case 'l':
		must(symlink(n->target, n->path), n->path);
		break;
	default:
		must(chmod(n->path, n->mode), n->path);
		break;
	}
}

/* Remove p whatever it is; a directory's modes are opened up first. */
static int rm_tree(const char *p)
{
	char sub[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (lstat(p, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(p);
	chmod(p, 0700);
	d = opendir(p);
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", p, e->d_name);
		rm_tree(sub);
	}
	if (d)
		closedir(d);
	return rmdir(p);
}

static void make_long_paths(void)
{
	/* ".////.../file": 4095 and 4096 characters, the first still valid */
	memset(S.long_ok, '/', sizeof(S.long_ok));
	S.long_ok[0] = '.';
	memcpy(S.long_ok + PATH_MAX - 5, "file", 5);
	memset(S.long_bad, '/', sizeof(S.long_bad));
	S.long_bad[0] = '.';
	memcpy(S.long_bad + PATH_MAX - 4, "file", 5);
}

static void open_fds(void)
{
	int p[2];

	S.fd[FK_CWD] = AT_FDCWD;
	S.fd[FK_ROOT] = must(open(".", O_PATH | O_DIRECTORY), "root fd");
	S.fd[FK_FILE_R] = must(open("file", O_RDONLY), "file_r");
	S.fd[FK_FILE_W] = must(open("wfile", O_WRONLY), "file_w");
	S.fd[FK_FILE_RW] = must(open("rwfile", O_RDWR), "file_rw");
	S.fd[FK_DIR] = must(open("dir", O_RDONLY | O_DIRECTORY), "dir");
	must(pipe2(p, O_NONBLOCK), "pipe");
	S.fd[FK_PIPE_R] = p[0];
	S.fd[FK_PIPE_W] = p[1];
	S.fd[FK_OPATH] = must(open("file", O_PATH), "opath");
	S.fd[FK_DEVNULL] = must(open("/dev/null", O_RDWR), "/dev/null");
	S.fd[FK_NEG] = -1;
	S.fd[FK_BAD] = BAD_FD;
	S.fd[FK_CLOSED] = must(fcntl(S.fd[FK_FILE_R], F_DUPFD, CLOSED_FD), "closed fd");
	must(close(S.fd[FK_CLOSED]), "closed fd");
}

static void setup(const char *scratch)
{
	for (size_t i = 0; i < sizeof(S.pat); i++)
		S.pat[i] = (unsigned char)(i * 131 + (i >> 8) * 7 + 3);
	make_long_paths();
	umask(022);
	must(chdir(scratch), scratch);
	if (rm_tree(TREE) < 0)
		must(-1, "removing a stale " TREE);
	must(mkdir(TREE, 0755), TREE);
	must(chdir(TREE), TREE);
	if (!getcwd(S.abs, sizeof(S.abs)))
		must(-1, "getcwd");
	for (size_t i = 0; i < ARRAY_SIZE(tree); i++)
		make_node(&tree[i], i);
	open_fds();
}

static int teardown(void)
{
	for (int k = FK_ROOT; k < NFK; k++)
		if (S.fd[k] >= 0 && S.fd[k] != BAD_FD && S.fd[k] != S.fd[FK_CLOSED])
			close(S.fd[k]);
	if (chdir("..") < 0 || rm_tree(TREE) < 0) {
		fprintf(stderr, "errno_check: cannot remove %s: %s\n", TREE, strerror(errno));
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "Usage: %s SCRATCH_DIR\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	setup(argv[1]);
	run_path_matrix();
	run_fd_matrix();
	run_seeks();
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
		run_step(&steps[i]);
	for (size_t i = 0; i < ARRAY_SIZE(big_steps); i++)
		run_step(&big_steps[i]);
	for (size_t i = 0; i < ARRAY_SIZE(efault_steps); i++)
		run_forked(&efault_steps[i]);
	fflush(stdout);
	return teardown();
}
