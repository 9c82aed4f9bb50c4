/* SPDX-License-Identifier: MIT */
/*
 * fidelity DIR - the executor's semantics that a transparency run of a real
 * program may not reach. Prints one line per check; run natively and under
 * LSCA, the outputs must be identical (test_fidelity.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define GIB (1ul << 30)

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w"); /* libc-internal open/write/close: unseen */

	fputs(text, f);
	fclose(f);
}

static uint64_t fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	while (n--)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

/* A number opened and closed behind the shim's back still means, at each
 * moment, exactly the file the process has under it. */
static void fd_numbers_follow_the_process(void)
{
	struct stat st;
	FILE *a, *b;
	int fd;

	put("one", "1");
	put("three", "333");
	a = fopen("one", "r");
	fd = fileno(a);
	fstat(fd, &st);
	printf("fopen one: fstat size %lld\n", (long long)st.st_size);
	fclose(a);
	b = fopen("three", "r"); /* most likely the same number, unseen */
	printf("same number reused: %d\n", fileno(b) == fd);
	fstat(fileno(b), &st);
	printf("fopen three: fstat size %lld\n", (long long)st.st_size);
	fclose(b);
	errno = 0;
	int r = fstat(fd, &st);
	printf("closed number: fstat %d errno %s\n", r, strerrorname_np(errno));
	/* dup2 (not interposed) onto a number, then a proxied read on it */
	fd = open("three", O_RDONLY);
	dup2(fd, 42);
	char c[4] = {0};
	printf("read via dup2'd 42: %zd %s\n", read(42, c, 3), c);
	close(42);
	close(fd);
}

/* New fds are the process's own, numbered and flagged as natively. */
static void new_fds_are_real(void)
{
	int a = open("one", O_RDONLY), b = open("one", O_RDONLY | O_CLOEXEC), c;

	printf("open numbers: %d %d\n", a, b);
	printf("cloexec: %d %d\n", fcntl(a, F_GETFD) & FD_CLOEXEC, fcntl(b, F_GETFD) & FD_CLOEXEC);
	close(a);
	c = open("three", O_RDONLY);
	printf("lowest free reused: %d\n", c == a);
	printf("flags rdonly: %d\n", (fcntl(c, F_GETFL) & O_ACCMODE) == O_RDONLY);
	printf("no O_NONBLOCK leaked: %d\n", !(fcntl(c, F_GETFL) & O_NONBLOCK));
	close(b);
	close(c);
	a = open("one", O_RDWR | O_APPEND);
	printf("append flag kept: %d\n", !!(fcntl(a, F_GETFL) & O_APPEND));
	close(a);
}

/* The daemon resolves relative paths in the process's cwd, with its umask. */
static void cwd_and_umask(void)
{
	struct stat st;
	int dfd, fd;

	mkdir("sub", 0755);
	put("sub/inner", "inner!");
	chdir("sub");
	printf("after chdir, stat inner: %d\n", stat("inner", &st));
	chdir("..");
	dfd = open("sub", O_RDONLY | O_DIRECTORY);
	fchdir(dfd);
	printf("after fchdir, stat inner: %d size %lld\n", stat("inner", &st),
	       (long long)st.st_size);
	chdir("..");
	printf("openat(dirfd) inner: %d\n", (fd = openat(dfd, "inner", O_RDONLY)) >= 0);
	close(fd);
	close(dfd);
	umask(077);
	fd = creat("private", 0666);
	fstat(fd, &st);
	printf("umask 077 creat 0666: mode %o\n", st.st_mode & 0777);
	close(fd);
	umask(022);
}

/* Transfers larger than a slot: one write and one read of 1 GiB, and
 * 64-entry iovecs, move every byte. */
static void large_transfers(void)
{
	size_t n = GIB;
	unsigned char *buf = malloc(n), *back = malloc(n);
	struct iovec iov[64];
	int fd = open("big", O_CREAT | O_RDWR | O_TRUNC, 0644);

	for (size_t i = 0; i < n; i += 4096)
		memset(buf + i, (int)(i / 4096 * 31 + 7), 4096);
	printf("write 1 GiB: %zd\n", write(fd, buf, n));
	lseek(fd, 0, SEEK_SET);
	printf("read 1 GiB: %zd\n", read(fd, back, n));
	printf("read back equal: %d hash %llx\n", !memcmp(buf, back, n),
	       (unsigned long long)fnv(back, n));
	printf("pread 100 MiB at 1 MiB: %zd\n", pread(fd, back, 100u << 20, 1u << 20));
	printf("pread equal: %d\n", !memcmp(back, buf + (1u << 20), 100u << 20));
	for (int i = 0; i < 64; i++)
		iov[i] = (struct iovec){buf + (size_t)i * 70000, 1000 + (size_t)i * 977};
	lseek(fd, 0, SEEK_SET);
	printf("writev 64: %zd\n", writev(fd, iov, 64));
	memset(back, 0, n);
	for (int i = 0; i < 64; i++)
		iov[i].iov_base = back + (size_t)i * 70000;
	lseek(fd, 0, SEEK_SET);
	printf("readv 64: %zd\n", readv(fd, iov, 64));
	int same = 1;
	for (int i = 0; i < 64; i++)
		same &= !memcmp(back + (size_t)i * 70000, buf + (size_t)i * 70000, iov[i].iov_len);
	printf("readv equal: %d\n", same);
	printf("read at eof: %zd\n", (lseek(fd, 0, SEEK_END), read(fd, back, 10)));
	iov[0] = (struct iovec){buf, 300000};
	iov[1] = (struct iovec){buf + 400000, 5};
	printf("pwritev at 7: %zd\n", pwritev(fd, iov, 2, 7));
	memset(back, 0, 400000);
	iov[0].iov_base = back;
	iov[1].iov_base = back + 300000;
	printf("preadv at 7: %zd\n", preadv(fd, iov, 2, 7));
	printf("preadv equal: %d %d\n", !memcmp(back, buf, 300000),
	       !memcmp(back + 300000, buf + 400000, 5));
	printf("offset untouched: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
	printf("euidaccess big: %d eaccess missing: %d\n", euidaccess("big", R_OK),
	       eaccess("missing", F_OK));
	close(fd);
	unlink("big");
	free(buf);
	free(back);
}

static const char *open_result(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return strerrorname_np(errno);
	close(fd);
	return "opened";
}

static void *drop_fsuid(void *arg)
{
	(void)arg;
	setfsuid(65534); /* glibc: this thread only (as root; else no change) */
	printf("thread with fsuid nobody: /etc/shadow %s\n", open_result("/etc/shadow"));
	return NULL;
}

/* Credentials are per thread: a file server that drops its fs identity in
 * one thread must not be served with another thread's. */
static void per_thread_identity(void)
{
	pthread_t t;

	printf("main thread: /etc/shadow %s\n", open_result("/etc/shadow"));
	pthread_create(&t, NULL, drop_fsuid, NULL);
	pthread_join(t, NULL);
	printf("main thread again: /etc/shadow %s\n", open_result("/etc/shadow"));
}

/* Two threads, each with an fs identity of its own (a file server acting
 * for two users at once), taking turns: each call is made as its own
 * thread, also when neither holds a capability that would tell lscad. */
static pthread_barrier_t turn;

static void *as_user(void *arg)
{
	uid_t u = (uid_t)(long)arg;
	char mine[32], theirs[32];

	snprintf(mine, sizeof(mine), "owned.%d", (int)u);
	snprintf(theirs, sizeof(theirs), "owned.%d", (int)(u == 1000 ? 1001 : 1000));
	setfsuid(u);
	pthread_barrier_wait(&turn); /* both have switched */
	/* strictly in turn: 1000 prints, then 1001, round after round */
	for (int round = 0; round < 2; round++) {
		if (u == 1001)
			pthread_barrier_wait(&turn);
		printf("thread as %d, round %d: own file %s, other's %s\n", (int)u, round,
		       open_result(mine), open_result(theirs));
		pthread_barrier_wait(&turn);
		if (u == 1000)
			pthread_barrier_wait(&turn);
	}
	return NULL;
}

static void per_thread_identities(void)
{
	pthread_t a, b;

	put("owned.1000", "x");
	put("owned.1001", "x");
	/* without root nothing changes owner or fsuid: natively the same */
	if (chown("owned.1000", 1000, 1000) == 0 && chown("owned.1001", 1001, 1001) == 0) {
		chmod("owned.1000", 0600);
		chmod("owned.1001", 0600);
	}
	pthread_barrier_init(&turn, NULL, 2);
	pthread_create(&a, NULL, as_user, (void *)1000L);
	pthread_create(&b, NULL, as_user, (void *)1001L);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_barrier_destroy(&turn);
}

/* The sandbox of the cases below: a seccomp filter that refuses openat. */
static struct sock_filter refuse_openat_f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};
static struct sock_fprog refuse_openat = {.len = 4, .filter = refuse_openat_f};

/* A program that sandboxes itself after it attached: lscad must not go on
 * making for it the calls its own filter now refuses. */
static void seccomp_after_attach(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		printf("before its own seccomp filter: open %s\n", open_result("one"));
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &refuse_openat);
		printf("after its own seccomp filter: open %s\n", open_result("one"));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

#ifndef SYS_landlock_create_ruleset /* older headers: one number everywhere */
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_restrict_self  446
#endif
#define LANDLOCK_READ_FILE (1ull << 2) /* LANDLOCK_ACCESS_FS_READ_FILE */

/* A Landlock ruleset that lets no file be read: 0 or -1 with errno. */
static long landlock_no_reading(void)
{
	uint64_t handled = LANDLOCK_READ_FILE;
	long r = syscall(SYS_landlock_create_ruleset, &handled, sizeof(handled), 0);

	return r < 0 ? r : syscall(SYS_landlock_restrict_self, (int)r, 0);
}

/* The same, sandboxed through the raw syscalls a sandboxing library makes
 * (libseccomp calls seccomp(2) through syscall(); Landlock has no libc
 * wrapper at all), by root, which needs no no_new_privs for either: only
 * the shim can tell lscad. Without root both fail, natively too. */
static void raw_sandbox_after_attach(void)
{
	pid_t pid = fork();
	long r;

	if (pid == 0) {
		printf("before a raw seccomp(2) filter: open %s\n", open_result("one"));
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &refuse_openat);
		printf("raw seccomp(2) filter %s: open %s\n", r ? strerrorname_np(errno) : "set",
		       open_result("one"));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	pid = fork();
	if (pid == 0) {
		printf("before a Landlock ruleset: open %s\n", open_result("one"));
		r = landlock_no_reading();
		printf("Landlock ruleset %s: open %s\n", r ? strerrorname_np(errno) : "enforced",
		       open_result("one"));
		/* its children inherit it, also one that attaches anew */
		pid = fork();
		if (pid == 0) {
			printf("its child: open %s\n", open_result("one"));
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	/* strict mode allows read, write and exit only: the shim must not
	 * make a call of its own after it (a futex wake would kill it) */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		static const char line[] = "strict mode: still alive\n";

		printf("before strict mode: open %s\n", open_result("one"));
		fflush(stdout);
		usleep(300000); /* lscad's worker goes to sleep */
		prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT);
		write(1, line, sizeof(line) - 1);
		syscall(SYS_exit, 0);
	}
	waitpid(pid, NULL, 0);
	/* sandboxed before its first call made it a client */
	pid = fork();
	if (pid == 0) {
		r = landlock_no_reading();
		printf("Landlock ruleset before any call %s: open %s\n",
		       r ? strerrorname_np(errno) : "enforced", open_result("one"));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

static int walk_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	struct stat st;
	int r;

	(void)sb;
	if (type != FTW_F)
		return 0;
	/* nftw changed directory behind the shim's back: a relative name
	 * must still mean the entry, not the decoy beside the start */
	r = stat(path + ftw->base, &st);
	printf("nftw %s: stat %s -> %d size %lld\n", path, path + ftw->base, r,
	       r ? -1LL : (long long)st.st_size);
	return 0;
}

/* Calls libc makes behind the shim's back, and a vfork child. */
static void hidden_chdir_and_vfork(void)
{
	char got[16] = {0};
	int p[2];
	pid_t pid;

	mkdir("walk", 0755);
	mkdir("walk/sub", 0755);
	put("walk/sub/f", "ab");
	put("f", "decoy!");
	nftw("walk", walk_entry, 8, FTW_CHDIR | FTW_PHYS);
	if (pipe(p) < 0)
		return;
	/* vfork on purpose: what programs that use it do under the shim */
	pid = vfork(); // NOLINT(clang-analyzer-security.insecureAPI.vfork)
	if (pid == 0) {
		/* its own fd 1 now: the pipe, not the parent's stdout */
		dup2(p[1], 1); // NOLINT(clang-analyzer-unix.Vfork)
		write(1, "child\n", 6);
		_exit(0);
	}
	close(p[1]);
	printf("vfork child wrote to its own fd 1: %zd\n", read(p[0], got, sizeof(got) - 1));
	printf("it wrote: %s", got);
	close(p[0]);
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	if (argc != 2 || chdir(argv[1]) < 0) {
		fprintf(stderr, "usage: fidelity DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd_numbers_follow_the_process();
	new_fds_are_real();
	cwd_and_umask();
	hidden_chdir_and_vfork();
	per_thread_identity();
	per_thread_identities();
	seccomp_after_attach();
	raw_sandbox_after_attach();
	large_transfers();
	return 0;
}
