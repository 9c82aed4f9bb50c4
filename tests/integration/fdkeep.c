/* SPDX-License-Identifier: MIT */
/*
 * fdkeep DIR PART - lscad keeps the files behind a process's fd numbers
 * between calls (src/daemon/fdcache.h). Each check frees a number lscad
 * kept, by every way a program can, and looks at what the number means
 * afterwards and whether the open file went when the program let go of it.
 * Prints one line per check; run natively and under LSCA, the outputs must
 * be identical (test_fdkeep.sh).
 *
 * PART: main (the checks above), suid (root: a raw setresuid, then a
 * write to a setuid file), sharer (a task sharing the fd table
 * frees and reuses a number unseen), io_uring (io_uring closes a number),
 * exec (a lock on a close-on-exec fd, then exec), race (a thread reads a
 * number while another reopens it), repeat (100
 * preads of one file: lscad should take it once).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) < 0 || close(fd) < 0) {
		perror(path);
		exit(1);
	}
}

/* The first bytes behind fd, by a proxied pread. */
static const char *peek(int fd)
{
	static char buf[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		snprintf(buf, sizeof(buf), "(%s)", strerrorname_np(errno));
	else
		buf[n] = '\0';
	return buf;
}

/* Open path at exactly number fd (the lowest free one, as a program's
 * next open would get it). */
static int open_at(const char *path, int fd)
{
	int got = open(path, O_RDONLY);

	if (got != fd)
		printf("  (%s opened at %d, not %d)\n", path, got, fd);
	return got;
}

static void reuse_after_close(void)
{
	int fd = open("a", O_RDONLY);

	printf("a: %s\n", peek(fd));
	close(fd);
	fd = open_at("b", fd);
	printf("closed, b at the same number: %s\n", peek(fd));
	close(fd);
	errno = 0;
	printf("closed again: %s\n", peek(fd));
}

/* stdio's own close and open (libc-internal calls) */
static void reuse_through_stdio(void)
{
	FILE *f = fopen("a", "r");
	int fd = fileno(f);
	char c[4] = {0};

	printf("fopen a: %s\n", peek(fd));
	fclose(f);
	f = fopen("b", "r");
	printf("fopen b, same number %d: %s\n", fileno(f) == fd, peek(fileno(f)));
	printf("fread: %zu %s\n", fread(c, 1, 3, f), c);
	fclose(f);
}

static void replaced_by_dup(void)
{
	int a = open("a", O_RDONLY), b = open("b", O_RDONLY), c = open("c", O_RDONLY);

	printf("a %s b %s c %s\n", peek(a), peek(b), peek(c));
	dup2(b, a);
	printf("dup2 b onto a: %s\n", peek(a));
	dup3(c, a, O_CLOEXEC);
	printf("dup3 c onto it: %s\n", peek(a));
#ifdef SYS_dup2
	syscall(SYS_dup2, b, a); /* the raw call: only complete mode sees it */
#else
	syscall(SYS_dup3, b, a, 0);
#endif
	printf("raw dup2 b onto it: %s\n", peek(a));
	dup2(a, a);
	printf("dup2 onto itself: %s\n", peek(a));
	close(a);
	close(b);
	close(c);
}

static void freed_by_close_range(void)
{
	int a = open("a", O_RDONLY), b = open("b", O_RDONLY);

	printf("a %s b %s\n", peek(a), peek(b));
	if (syscall(SYS_close_range, a, b, CLOSE_RANGE_CLOEXEC) == 0)
		printf("close_range CLOEXEC keeps them: %s %s\n", peek(a), peek(b));
	syscall(SYS_close_range, a, b, 0);
	a = open_at("c", a);
	b = open_at("a", b);
	printf("close_range, then c and a there: %s %s\n", peek(a), peek(b));
	close(a);
	close(b);
}

/* Two directory fds whose numbers share an entry of lscad's cache (3 and
 * 131): keeping the second must not close the first mid-call. */
static void two_dirfds_one_entry(void)
{
	int a, b, pad[256], npad = 0;

	mkdir("d1", 0755);
	mkdir("d2", 0755);
	put("d1/x", "X");
	a = open("d1", O_RDONLY | O_DIRECTORY);
	while ((b = open("/dev/null", O_RDONLY)) >= 0 && b < a + 128 && npad < 256)
		pad[npad++] = b;
	close(b);
	b = open("d2", O_RDONLY | O_DIRECTORY);
	printf("second dirfd 128 above the first: %d\n", b == a + 128);
	printf("renameat2 across them: %ld\n", syscall(SYS_renameat2, a, "x", b, "y", 0));
	printf("linkat back: %d\n", linkat(b, "y", a, "x", 0));
	printf("x %d y %d\n", faccessat(a, "x", F_OK, 0), faccessat(b, "y", F_OK, 0));
	while (npad)
		close(pad[--npad]);
	close(a);
	close(b);
}

/* A read of a directory is handed back to the process (EISDIR), yet lscad
 * took and kept the directory: a raw dup2 onto its number must still let
 * it go (inotify sees the close). */
static void dir_read_then_dup2(void)
{
	int in = inotify_init1(IN_NONBLOCK), d, nul;
	char buf[4096] __attribute__((aligned(8)));
	unsigned seen = 0;
	ssize_t n;

	mkdir("w", 0755);
	inotify_add_watch(in, "w", IN_CLOSE_NOWRITE);
	d = open("w", O_RDONLY | O_DIRECTORY);
	errno = 0;
	printf("read(dir): %zd %s\n", read(d, buf, 1), strerrorname_np(errno));
	nul = open("/dev/null", O_RDONLY);
#ifdef SYS_dup2
	syscall(SYS_dup2, nul, d);
#else
	syscall(SYS_dup3, nul, d, 0);
#endif
	n = read(in, buf, sizeof(buf));
	for (ssize_t off = 0; n > 0 && off < n;) {
		const struct inotify_event *ev = (const void *)(buf + off);

		seen |= (ev->mask & IN_CLOSE_NOWRITE) != 0;
		off += (ssize_t)sizeof(*ev) + ev->len;
	}
	printf("IN_CLOSE_NOWRITE right after the raw dup2: %s\n", seen ? "yes" : "no");
	close(d);
	close(nul);
	close(in);
}

/* A root process drops its privileges with a raw setresuid (no entry point
 * sees it), then writes to a set-user-ID file it had open: the kernel
 * clears S_ISUID for a writer without CAP_FSETID. */
static void suid_after_raw_drop(void)
{
	int fd = open("suid", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	struct stat st;

	if (geteuid() != 0) {
		printf("suid: needs root\n");
		return;
	}
	fchmod(fd, 04755);
	printf("pwrite: %zd\n", pwrite(fd, "a", 1, 0)); /* lscad keeps it */
	fstat(fd, &st);
	printf("mode before: %o\n", st.st_mode & 07777);
	syscall(SYS_setresuid, 65534, 65534, 65534);
	printf("pwrite as nobody: %zd\n", pwrite(fd, "b", 1, 1));
	fstat(fd, &st);
	printf("mode after: %o\n", st.st_mode & 07777);
}

/* A lock on an open file goes with the last close of that file: another
 * process can take it at once. */
static void flock_goes_with_close(void)
{
	int fd = open("lock", O_RDWR | O_CREAT, 0644), st;
	pid_t p;

	printf("flock: %d\n", flock(fd, LOCK_EX));
	printf("read while locked: %s\n", peek(fd));
	close(fd);
	p = fork();
	if (p == 0) {
		int other = open("lock", O_RDWR);

		_exit(flock(other, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
	}
	waitpid(p, &st, 0);
	printf("after close another process takes it: %s\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
}

/* A program written and closed can be run at once (no ETXTBSY). */
static void written_then_run(void)
{
	const char *script = "#!/bin/sh\nexit 7\n";
	int fd = open("run.sh", O_WRONLY | O_CREAT | O_TRUNC, 0755), st;
	pid_t p;

	printf("write script: %zd\n", write(fd, script, strlen(script)));
	printf("fsync: %d\n", fsync(fd));
	close(fd);
	p = fork();
	if (p == 0) {
		execl("./run.sh", "run.sh", (char *)NULL);
		_exit(errno == ETXTBSY ? 100 : 101);
	}
	waitpid(p, &st, 0);
	printf("run it: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* inotify reports a written file's close when the program closes it. */
static void close_write_event(void)
{
	int in = inotify_init1(IN_NONBLOCK), fd;
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n;
	unsigned seen = 0;

	inotify_add_watch(in, ".", IN_CLOSE_WRITE);
	fd = open("watched", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	printf("write watched: %zd\n", write(fd, "x", 1));
	close(fd);
	n = read(in, buf, sizeof(buf));
	for (ssize_t off = 0; n > 0 && off < n;) {
		const struct inotify_event *ev = (const void *)(buf + off);

		seen |= ev->len && !strcmp(ev->name, "watched") && (ev->mask & IN_CLOSE_WRITE);
		off += (ssize_t)sizeof(*ev) + ev->len;
	}
	printf("IN_CLOSE_WRITE right after close: %s\n", seen ? "yes" : "no");
	close(in);
}

/* A forked child is another client: what it does to its numbers does not
 * change what the parent's mean. */
static void fork_keeps_numbers_apart(void)
{
	int fd = open("a", O_RDONLY), st;
	pid_t p;

	printf("parent a: %s\n", peek(fd));
	p = fork();
	if (p == 0) {
		int n;

		printf("child inherits: %s\n", peek(fd));
		close(fd);
		n = open_at("b", fd);
		printf("child b there: %s\n", peek(n));
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, &st, 0);
	printf("parent still a: %s\n", peek(fd));
	close(fd);
}

/* A task that shares the fd table and makes calls nobody sees. */
static int sharer(void *arg)
{
	int fd = *(int *)arg;

	syscall(SYS_close, fd);
	return (int)syscall(SYS_openat, AT_FDCWD, "b", O_RDONLY) == fd ? 0 : 1;
}

static void shared_table(void)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	int fd = open("a", O_RDONLY), st;
	pid_t p;

	printf("before the sharer: %s\n", peek(fd));
	p = clone(sharer, stack + sizeof(stack), CLONE_VM | CLONE_FILES | SIGCHLD, &fd);
	waitpid(p, &st, 0);
	printf("sharer reopened the number: %s\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
	printf("after the sharer: %s\n", peek(fd));
	close(fd);
}

/* io_uring closes a number itself; the program opens another file there. */
static void io_uring_close(void)
{
	struct io_uring_params par = {0};
	int ring = (int)syscall(SYS_io_uring_setup, 4, &par), fd;
	unsigned char *sq, *cq;
	struct io_uring_sqe *sqes;
	unsigned *tail, *array, *mask, *ctail;
	size_t sqsz, cqsz;

	if (ring < 0) {
		printf("io_uring: unavailable (%s)\n", strerrorname_np(errno));
		return;
	}
	fd = open("a", O_RDONLY);
	printf("a: %s\n", peek(fd));
	sqsz = par.sq_off.array + par.sq_entries * sizeof(unsigned);
	cqsz = par.cq_off.cqes + par.cq_entries * sizeof(struct io_uring_cqe);
	sq = mmap(NULL, sqsz, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, cqsz, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, par.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE, MAP_SHARED, ring,
		    IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		printf("io_uring: no rings\n");
		return;
	}
	tail = (unsigned *)(sq + par.sq_off.tail);
	array = (unsigned *)(sq + par.sq_off.array);
	mask = (unsigned *)(sq + par.sq_off.ring_mask);
	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].opcode = IORING_OP_CLOSE;
	sqes[0].fd = fd;
	array[*tail & *mask] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	printf("io_uring_enter: %ld\n",
	       syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0));
	ctail = (unsigned *)(cq + par.cq_off.tail);
	printf("completions: %u, close result %d\n", __atomic_load_n(ctail, __ATOMIC_ACQUIRE),
	       ((struct io_uring_cqe *)(cq + par.cq_off.cqes))[0].res);
	fd = open_at("b", fd);
	printf("b where io_uring closed a: %s\n", peek(fd));
	close(fd);
	close(ring);
}

/* One thread keeps reading number N while another opens a and b there in
 * turn: whatever the reader gets (natively a race), the opener reads the
 * file it has just opened, every time. */
static _Atomic int race_fd = -1;
static _Atomic bool race_stop;

static void *race_reader(void *arg)
{
	char buf[4];

	(void)arg;
	while (!race_stop)
		if (pread(race_fd, buf, 3, 0) < 0 && errno != EBADF)
			break;
	return NULL;
}

static void race(void)
{
	pthread_t t;
	int wrong = 0, moved = 0, fd;

	fd = open("a", O_RDONLY);
	race_fd = fd;
	close(fd);
	pthread_create(&t, NULL, race_reader, NULL);
	for (int i = 0; i < 20000; i++) {
		const char *want = i % 2 ? "AAA" : "BBB";
		int n = open(i % 2 ? "a" : "b", O_RDONLY);

		moved += n != race_fd;
		wrong += strcmp(peek(n), want) != 0;
		close(n);
	}
	race_stop = true;
	pthread_join(t, NULL);
	printf("20000 opens at one number under a racing reader: %d read the wrong file%s\n", wrong,
	       moved ? " (the number moved)" : "");
}

/* A lock on a close-on-exec fd goes with the exec: the new program takes
 * it at once (exec_check, run without the shim: nothing delays it). */
static void exec_locked(const char *self, const char *dir)
{
	static char *const env[] = {"PATH=/usr/bin:/bin", NULL};
	int fd = open("lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	printf("flock before exec: %d\n", flock(fd, LOCK_EX));
	printf("read while locked: %s\n", peek(fd));
	fflush(stdout);
	execle(self, self, dir, "exec_check", (char *)NULL, env);
	perror(self);
}

static void exec_check(void)
{
	int fd = open("lock", O_RDWR);

	printf("after exec the lock is free: %s\n",
	       flock(fd, LOCK_EX | LOCK_NB) == 0 ? "yes" : strerrorname_np(errno));
}

/* The same number, many calls: lscad takes the file once (the test counts
 * its pidfd_getfd calls). */
static void repeat(void)
{
	int fd = open("a", O_RDONLY), same = 0;

	for (int i = 0; i < 100; i++)
		same += !strcmp(peek(fd), "AAA");
	printf("100 preads of a: %d right\n", same);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 3 || chdir(argv[1]) < 0) {
		fprintf(stderr, "usage: fdkeep DIR main|suid|sharer|io_uring|exec|race|repeat\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[2], "exec_check")) {
		put("a", "AAA");
		put("b", "BBB");
		put("c", "CCC");
	}
	if (!strcmp(argv[2], "main")) {
		two_dirfds_one_entry();
		dir_read_then_dup2();
		reuse_after_close();
		reuse_through_stdio();
		replaced_by_dup();
		freed_by_close_range();
		flock_goes_with_close();
		written_then_run();
		close_write_event();
		fork_keeps_numbers_apart();
	} else if (!strcmp(argv[2], "suid")) {
		suid_after_raw_drop(); /* last: it gives up root */
	} else if (!strcmp(argv[2], "sharer")) {
		shared_table();
	} else if (!strcmp(argv[2], "io_uring")) {
		io_uring_close();
	} else if (!strcmp(argv[2], "exec")) {
		exec_locked(argv[0], argv[1]);
	} else if (!strcmp(argv[2], "exec_check")) {
		exec_check();
	} else if (!strcmp(argv[2], "race")) {
		race();
	} else if (!strcmp(argv[2], "repeat")) {
		repeat();
	} else {
		return 2;
	}
	return 0;
}
