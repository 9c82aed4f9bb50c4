/* SPDX-License-Identifier: MIT */
/*
 * families.c - sockets, pipes, the fd table, names, processes and signals,
 * each printed as "what: result errno" so a run under the shim can be
 * diffed against a native one (test_families.sh, test_blocking.sh).
 *
 *   families calls DIR      every call of issue #4's families, errno cases too
 *   families cancel         pthread_cancel of a thread blocked in read, and of
 *                           one with a cancel pending at a proxied read
 *   families threads N      N threads created and joined, each a proxied call
 *   families sigalrm FILE   a SIGALRM handler writes while the loop calls
 *   families closeall FILE  close every fd it did not open, then go on
 *   families fork FILE      fork while another thread is mid-call; exec
 *   families sigpipe MODE   write to a pipe without reader (ignore|default)
 *   families blockread      read stdin once, print what came
 *   families writes N FILE  N small writes, then say how long they took
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "-");
	fflush(stdout);
}

#define SHOW(call) show(#call, (long)(call))

static int names(const char *dir)
{
	char buf[256], p[512];
	struct stat st;
	int d, fd, fd2;

	if (chdir(dir) < 0)
		return 1;
	d = open(".", O_RDONLY | O_DIRECTORY);
	fd = open("f", O_CREAT | O_RDWR, 0600);
	SHOW(write(fd, "hello", 5));
	SHOW(symlink("f", "l"));
	SHOW(symlink("f", "l"));
	SHOW(symlinkat("nowhere", d, "dangling"));
	memset(buf, 0, sizeof(buf));
	SHOW(readlink("l", buf, sizeof(buf)));
	printf("target %s\n", buf);
	SHOW(readlink("l", buf, 2));
	SHOW(readlink("f", buf, sizeof(buf)));
	SHOW(readlink("missing", buf, sizeof(buf)));
	SHOW(readlinkat(d, "dangling", buf, sizeof(buf)));
	SHOW(readlink("f/x", buf, sizeof(buf)));
	SHOW(link("f", "h"));
	SHOW(link("f", "h"));
	SHOW(link("missing", "h2"));
	SHOW(linkat(d, "l", d, "hl", 0));
	SHOW(linkat(d, "l", d, "hf", AT_SYMLINK_FOLLOW));
	SHOW(linkat(d, "l", d, "hx", 0x1000000));
	SHOW(lstat("hl", &st) == 0 && S_ISLNK(st.st_mode));
	SHOW(lstat("hf", &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 3);
	SHOW(chmod("f", 0640));
	SHOW(stat("f", &st) == 0 ? (long)(st.st_mode & 07777) : -1L);
	SHOW(chmod("l", 0604)); /* follows */
	SHOW(stat("f", &st) == 0 ? (long)(st.st_mode & 07777) : -1L);
	SHOW(chmod("missing", 0600));
	SHOW(fchmod(fd, 0600));
	SHOW(fchmod(-1, 0600));
	SHOW(fchmodat(d, "f", 0644, 0));
	SHOW(chown("f", getuid(), getgid()));
	SHOW(lchown("l", getuid(), getgid()));
	SHOW(fchown(fd, getuid(), getgid()));
	SHOW(fchownat(d, "l", (uid_t)-1, (gid_t)-1, AT_SYMLINK_NOFOLLOW));
	SHOW(fchownat(d, "", getuid(), getgid(), AT_EMPTY_PATH));
	SHOW(chown("missing", getuid(), getgid()));
	if (getuid() != 0)
		SHOW(chown("f", 0, 0) < 0 ? -1 : 0);
	SHOW(mknod("fifo", S_IFIFO | 0600, 0));
	SHOW(mknod("fifo", S_IFIFO | 0600, 0));
	SHOW(mknodat(d, "reg", S_IFREG | 0600, 0));
	SHOW(stat("fifo", &st) == 0 && S_ISFIFO(st.st_mode));
	SHOW(fallocate(fd, 0, 0, 65536));
	SHOW(fstat(fd, &st) == 0 ? (long)st.st_size : -1L);
	SHOW(fallocate(fd, 0, -1, 10));
	SHOW(fallocate(-1, 0, 0, 10));
	/* flock: a second open file description contends */
	fd2 = open("f", O_RDONLY);
	SHOW(flock(fd, LOCK_EX));
	SHOW(flock(fd2, LOCK_EX | LOCK_NB));
	SHOW(flock(fd2, LOCK_SH | LOCK_NB));
	SHOW(flock(fd, LOCK_UN));
	SHOW(flock(fd2, LOCK_SH | LOCK_NB));
	SHOW(flock(fd, 12345));
	SHOW(flock(-1, LOCK_SH));
	close(fd2);
	/* getdents64: names and types, in the directory's order */
	{
		char db[4096];
		long n, total = 0;
		int dd = open(".", O_RDONLY | O_DIRECTORY);

		while ((n = getdents64(dd, db, sizeof(db))) > 0)
			for (long off = 0; off < n;) {
				struct dirent64 *e = (struct dirent64 *)(db + off);

				printf("  %s %d\n", e->d_name, e->d_type);
				off += e->d_reclen;
				total++;
			}
		show("getdents64 entries", total);
		SHOW(getdents64(dd, db, 4));
		SHOW(getdents64(fd, db, sizeof(db)));
		close(dd);
	}
	snprintf(p, sizeof(p), "%s/sub", dir);
	SHOW(mkdir(p, 0700));
	SHOW(symlink(p, "subl"));
	SHOW(chmod("subl/../f", 0600));
	close(fd);
	close(d);
	return 0;
}

static int fdtable(void)
{
	int p[2], q[2], fl, n;
	char b[64];
	struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 10};

	SHOW(pipe(p));
	printf("pipe %d %d\n", p[0], p[1]);
	SHOW(pipe2(q, O_CLOEXEC | O_NONBLOCK));
	printf("pipe2 %d %d\n", q[0], q[1]);
	SHOW(fcntl(q[0], F_GETFD));
	SHOW(fcntl(q[0], F_GETFL) & O_NONBLOCK);
	SHOW(read(q[0], b, sizeof(b)));
	SHOW(pipe2(q, 0x12345678));
	SHOW(write(p[1], "abc", 3));
	SHOW(ioctl(p[0], FIONREAD, &n));
	printf("fionread %d\n", n);
	SHOW(read(p[0], b, sizeof(b)));
	SHOW(dup(p[0]));
	SHOW(dup(-1));
	SHOW(dup2(p[0], 20));
	SHOW(dup2(p[0], p[0]));
	SHOW(dup2(-1, 21));
	SHOW(dup2(99, 99));
	SHOW(dup3(p[0], 22, O_CLOEXEC));
	SHOW(fcntl(22, F_GETFD));
	SHOW(dup3(p[0], p[0], 0));
	SHOW(dup3(p[0], 23, 0x4000));
	SHOW(fcntl(p[0], F_DUPFD, 30));
	SHOW(fcntl(p[0], F_DUPFD_CLOEXEC, 40));
	SHOW(fcntl(40, F_GETFD));
	SHOW(fcntl(p[0], F_SETFD, FD_CLOEXEC));
	SHOW(fcntl(p[0], F_GETFD));
	fl = fcntl(p[0], F_GETFL);
	SHOW(fl & O_ACCMODE);
	SHOW(fcntl(p[0], F_SETFL, fl | O_NONBLOCK));
	SHOW(read(p[0], b, sizeof(b)));
	SHOW(fcntl(-1, F_GETFL));
	SHOW(fcntl(p[0], 99999));
	SHOW(fcntl(p[0], F_GETOWN));
	SHOW(fcntl(p[0], F_GETPIPE_SZ) > 0);
	/* record locks belong to this process */
	{
		int fd = open("lockfile", O_CREAT | O_RDWR, 0600);
		pid_t pid;
		int st;

		SHOW(fcntl(fd, F_SETLK, &lk));
		pid = fork();
		if (pid == 0) {
			struct flock q2 = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 10};
			int f2 = open("lockfile", O_RDWR);

			SHOW(fcntl(f2, F_SETLK, &q2));
			SHOW(fcntl(f2, F_GETLK, &q2) == 0 && q2.l_type == F_WRLCK &&
			     q2.l_pid == getppid());
			_exit(0);
		}
		waitpid(pid, &st, 0);
		SHOW(fcntl(fd, F_OFD_SETLK, &(struct flock){.l_type = F_RDLCK, .l_len = 1}));
		close(fd);
	}
	SHOW(close_range(30, 45, 0));
	SHOW(fcntl(30, F_GETFD));
	SHOW(close_range(10, 5, 0));
	return 0;
}

static int sockets(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int sv[2], l, c, a, v = 0;
	char b[100000];
	pid_t pid;

	SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	printf("socketpair %d %d\n", sv[0], sv[1]);
	SHOW(send(sv[0], "ping", 4, 0));
	SHOW(recv(sv[1], b, sizeof(b), 0));
	SHOW(write(sv[1], "pong", 4));
	SHOW(read(sv[0], b, sizeof(b)));
	SHOW(recv(sv[0], b, sizeof(b), MSG_DONTWAIT));
	SHOW(shutdown(sv[1], SHUT_WR));
	SHOW(recv(sv[0], b, sizeof(b), 0));
	SHOW(shutdown(sv[1], 99));
	SHOW(send(sv[0], "x", 1, MSG_NOSIGNAL));
	SHOW(socket(AF_INET, 12345, 0));
	SHOW(socket(12345, SOCK_STREAM, 0));
	l = socket(AF_INET, SOCK_STREAM, 0);
	printf("socket %d\n", l);
	SHOW(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int)));
	SHOW(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &(int){1}, 1));
	SHOW(bind(l, (struct sockaddr *)&sa, sizeof(sa)));
	SHOW(bind(l, (struct sockaddr *)&sa, sizeof(sa)));
	SHOW(listen(l, 8));
	SHOW(getsockname(l, (struct sockaddr *)&sa, &len));
	len = sizeof(v);
	SHOW(getsockopt(l, SOL_SOCKET, SO_TYPE, &v, &len));
	printf("so_type %d\n", v);
	pid = fork();
	if (pid == 0) {
		/* the echo server: everything back, until EOF */
		long n;

		a = accept(l, NULL, NULL);
		while ((n = recv(a, b, sizeof(b), 0)) > 0)
			if (send(a, b, (size_t)n, 0) != n)
				_exit(1);
		_exit(n < 0);
	}
	close(l);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	SHOW(connect(c, (struct sockaddr *)&sa, sizeof(sa)));
	SHOW(connect(c, (struct sockaddr *)&sa, sizeof(sa)));
	len = sizeof(sa);
	SHOW(getpeername(c, (struct sockaddr *)&sa, &len));
	SHOW(send(c, "echo", 4, 0));
	SHOW(recv(c, b, 4, MSG_WAITALL));
	/* larger than a slot: the rest of a blocking send goes from here */
	memset(b, 'e', sizeof(b));
	{
		long sent = 0, got = 0, n;

		for (int i = 0; i < 40; i++)
			sent += send(c, b, sizeof(b), 0);
		shutdown(c, SHUT_WR);
		while ((n = recv(c, b, sizeof(b), 0)) > 0)
			got += n;
		show("echoed", got == sent ? got : -1);
	}
	SHOW(getsockname(-1, (struct sockaddr *)&sa, &len));
	SHOW(recv(-1, b, 1, 0));
	SHOW(sendto(c, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa)));
	close(c);
	waitpid(pid, &v, 0);
	show("server", v);
	return 0;
}

static int calls(const char *dir)
{
	signal(SIGPIPE, SIG_IGN);
	names(dir);
	fdtable();
	sockets();
	return 0;
}

/* ---- cancellation ---- */

static int cancel_pipe[2];
static int cancel_file = -1;

static void *blocked_reader(void *arg)
{
	char b;

	(void)arg;
	return (void *)(long)read(cancel_pipe[0], &b, 1);
}

static void *pending_reader(void *arg)
{
	char b[4];

	(void)arg;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	*(volatile int *)arg = 1;
	while (*(volatile int *)arg != 2)
		sched_yield();
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	/* a cancellation point with the cancel pending: never returns */
	pread(cancel_file, b, sizeof(b), 0);
	return (void *)7;
}

static int cancel(void)
{
	pthread_t t;
	void *res;
	volatile int step = 0;

	SHOW(pipe(cancel_pipe));
	pthread_create(&t, NULL, blocked_reader, NULL);
	usleep(200000);
	pthread_cancel(t);
	pthread_join(t, &res);
	show("blocked read cancelled", res == PTHREAD_CANCELED);
	cancel_file = open("/etc/hostname", O_RDONLY);
	pthread_create(&t, NULL, pending_reader, (void *)&step);
	while (step != 1)
		sched_yield();
	pthread_cancel(t);
	step = 2;
	pthread_join(t, &res);
	show("pending cancel at pread", res == PTHREAD_CANCELED);
	/* the slots of cancelled threads are free again */
	SHOW(write(cancel_pipe[1], "x", 1));
	SHOW(read(cancel_pipe[0], (char *)&res, 1));
	return 0;
}

/* ---- threads ---- */

static void *one_call(void *arg)
{
	struct stat st;

	return (void *)(long)fstat(*(int *)arg, &st);
}

static int threads(int n)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY), bad = 0;

	for (int i = 0; i < n; i++) {
		pthread_t t;
		void *r;

		if (pthread_create(&t, NULL, one_call, &fd) || pthread_join(t, &r) || r)
			bad++;
	}
	show("threads failed", bad);
	return bad != 0;
}

/* ---- a handler that makes proxied calls ---- */

static int alarm_fd;
static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	int e = errno;

	(void)sig;
	if (write(alarm_fd, "a", 1) == 1)
		alarms++;
	errno = e;
}

static int sigalrm(const char *file)
{
	struct itimerval it = {.it_interval = {0, 1000}, .it_value = {0, 1000}};
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	int fd = open(file, O_CREAT | O_RDWR | O_TRUNC, 0600), bad = 0;
	struct stat st;
	char b[8];

	alarm_fd = open(file, O_WRONLY | O_APPEND);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < 20000 || alarms < 20; i++)
		if (pread(fd, b, sizeof(b), 0) < 0 || fstat(fd, &st) < 0)
			bad++;
	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	fstat(fd, &st);
	show("loop errors", bad);
	show("handler writes all landed", st.st_size == alarms);
	return bad != 0;
}

/* ---- closing every fd ---- */

static int check_io(const char *file, const char *what)
{
	char b[32] = {0};
	int fd = open(file, O_CREAT | O_RDWR | O_TRUNC, 0600);
	long w = write(fd, what, strlen(what)), r = pread(fd, b, sizeof(b) - 1, 0);

	close(fd);
	printf("%s: %ld %ld %s\n", what, w, r, b);
	fflush(stdout);
	return r != w;
}

static int closeall(const char *file)
{
	DIR *dir;
	struct dirent *e;
	int bad = check_io(file, "before");
	int fds[256], n = 0;

	/* as daemons do: every fd but stdio, from /proc/self/fd */
	dir = opendir("/proc/self/fd");
	while (dir && (e = readdir(dir)) && n < 256)
		if (atoi(e->d_name) > 2)
			fds[n++] = atoi(e->d_name);
	if (dir)
		closedir(dir);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	bad |= check_io(file, "loop");
	SHOW(close_range(3, ~0u, 0));
	bad |= check_io(file, "close_range");
	closefrom(3);
	bad |= check_io(file, "closefrom");
	dup2(1, 1000); /* onto where a shim's socket may sit */
	dup2(1, 1016);
	bad |= check_io(file, "dup2");
	return bad;
}

/* ---- fork and exec ---- */

static volatile int busy_stop;

static void *busy(void *arg)
{
	struct stat st;

	while (!busy_stop)
		fstat(*(int *)arg, &st);
	return NULL;
}

static int forkexec(const char *file, char *self)
{
	int fd = open(file, O_CREAT | O_RDWR | O_TRUNC, 0600), bad = 0, st;
	int keep = open(file, O_RDONLY), gone = open(file, O_RDONLY | O_CLOEXEC);
	pthread_t t;
	char arg[16], arg2[16];
	posix_spawn_file_actions_t fa;
	pid_t pid;

	pthread_create(&t, NULL, busy, &fd);
	for (int i = 0; i < 50; i++) {
		pid = fork();
		if (pid == 0) {
			char b[8];
			long r =
			    pwrite(fd, "c", 1, i) == 1 && pread(fd, b, 1, i) == 1 && b[0] == 'c';

			_exit(r ? 0 : 1);
		}
		if (waitpid(pid, &st, 0) != pid || st != 0)
			bad++;
	}
	busy_stop = 1;
	pthread_join(t, NULL);
	show("forked children failed", bad);
	/* exec: the new image attaches again; close-on-exec fds are gone */
	snprintf(arg, sizeof(arg), "%d", keep);
	snprintf(arg2, sizeof(arg2), "%d", gone);
	pid = fork();
	if (pid == 0) {
		execl(self, self, "execd", arg, arg2, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	show("exec child", st);
	/* posix_spawn with file actions: the child's stdout is the file */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, file, O_WRONLY | O_APPEND, 0);
	posix_spawn_file_actions_addclose(&fa, keep);
	{
		char *argv[] = {self, "execd", arg, arg2, NULL};

		show("posix_spawn", posix_spawn(&pid, self, &fa, NULL, argv, environ));
	}
	waitpid(pid, &st, 0);
	show("spawned child", st);
	posix_spawn_file_actions_destroy(&fa);
	{
		char b[256] = {0};

		show("file bytes", pread(fd, b, sizeof(b) - 1, 50));
		printf("%s", b);
	}
	return bad != 0;
}

static int execd(int keep, int gone)
{
	char b[4];

	printf("execd: keep %ld gone %ld %s\n", (long)pread(keep, b, 1, 0),
	       (long)fcntl(gone, F_GETFD), strerrorname_np(errno));
	return 0;
}

static int sigpipe(const char *mode)
{
	int p[2];

	if (!strcmp(mode, "ignore"))
		signal(SIGPIPE, SIG_IGN);
	if (pipe(p) < 0)
		return 2;
	close(p[0]);
	SHOW(write(p[1], "x", 1));
	SHOW(send(p[1], "x", 1, MSG_NOSIGNAL));
	return 0;
}

static int writes(long n, const char *file)
{
	struct timespec a, b;
	int fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0600);

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		if (write(fd, "w", 1) != 1)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%ld writes in %ld ms\n", n,
	       (long)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "calls"))
		return calls(argv[2]);
	if (argc > 1 && !strcmp(argv[1], "cancel"))
		return cancel();
	if (argc > 2 && !strcmp(argv[1], "threads"))
		return threads(atoi(argv[2]));
	if (argc > 2 && !strcmp(argv[1], "sigalrm"))
		return sigalrm(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "closeall"))
		return closeall(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "fork"))
		return forkexec(argv[2], argv[0]);
	if (argc > 3 && !strcmp(argv[1], "execd"))
		return execd(atoi(argv[2]), atoi(argv[3]));
	if (argc > 2 && !strcmp(argv[1], "sigpipe"))
		return sigpipe(argv[2]);
	if (argc > 1 && !strcmp(argv[1], "blockread")) {
		char b[64];
		long r = read(0, b, sizeof(b));

		printf("read %ld\n", r);
		return r <= 0;
	}
	if (argc > 3 && !strcmp(argv[1], "writes"))
		return writes(atol(argv[2]), argv[3]);
	fprintf(stderr, "usage: families calls|cancel|threads|sigalrm|closeall|fork|sigpipe|"
			"blockread|writes ...\n");
	return 2;
}
