/* SPDX-License-Identifier: MIT */
/*
 * interception - the programs test_interception.sh runs natively and under
 * the shim: their output must be the same, and under complete mode their
 * libc-internal calls must reach lscad.
 *
 *   interception stdio DIR      fopen/fprintf/fclose, fread, raw openat
 *   interception exact DIR N    N raw openat+read+close, nothing else
 *   interception procs DIR      fork, exec, threads, all doing stdio
 *   interception signals DIR    SIGSYS of its own, SIGSYS blocked, a handler
 *                               making calls during a blocking read
 *   interception uring          io_uring_setup through syscall()
 */
#ifndef _GNU_SOURCE /* the build defines it too */
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dir;

static void path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* write a file with stdio, read it back with stdio */
static int stdio_roundtrip(const char *name, int n)
{
	char p[4096], line[128];
	FILE *f;
	int sum = 0;

	path(p, sizeof(p), name);
	f = fopen(p, "w");
	if (!f)
		return -1;
	for (int i = 0; i < n; i++)
		fprintf(f, "line %d of %s\n", i, name);
	if (fclose(f))
		return -1;
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		sum += (int)strlen(line);
	fclose(f);
	return sum;
}

static int do_stdio(void)
{
	char p[4096], buf[64] = {0};
	long fd;

	printf("stdio: %d bytes\n", stdio_roundtrip("stdio.txt", 100));
	/* a raw syscall no entry point sees */
	path(p, sizeof(p), "stdio.txt");
	fd = syscall(SYS_openat, AT_FDCWD, p, O_RDONLY);
	if (fd < 0 || syscall(SYS_read, fd, buf, 20) != 20)
		return 1;
	syscall(SYS_close, fd);
	printf("raw: %s\n", strtok(buf, "\n"));
	return 0;
}

static int do_exact(int n)
{
	char p[4096], c;

	path(p, sizeof(p), "exact.txt");
	for (int i = 0; i < n; i++) {
		long fd = syscall(SYS_openat, AT_FDCWD, p, O_RDONLY);

		if (fd < 0 || syscall(SYS_read, fd, &c, 1) != 1)
			return 1;
		syscall(SYS_close, fd);
	}
	return 0;
}

static void *thread_io(void *arg)
{
	char name[32];

	snprintf(name, sizeof(name), "thread%ld.txt", (long)arg);
	return (void *)(long)stdio_roundtrip(name, 50 + (int)(long)arg);
}

static int do_procs(void)
{
	pthread_t t[8];
	char p[4096];
	pid_t pid;
	int st;

	for (long i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, thread_io, (void *)i);
	for (int i = 0; i < 8; i++) {
		void *r;

		pthread_join(t[i], &r);
		printf("thread %d: %ld\n", i, (long)r);
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(stdio_roundtrip("child.txt", 30) > 0 ? 0 : 1);
	waitpid(pid, &st, 0);
	printf("fork child: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	fflush(stdout);
	path(p, sizeof(p), "child.txt");
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "wc -c <\"$0\"; head -n 2 \"$0\"", p, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	printf("exec child: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static volatile sig_atomic_t got_sys, got_alrm;
static int sys_code;

static void on_sys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got_sys++;
	sys_code = si->si_code;
}

static void on_alrm(int sig)
{
	char p[4096];
	int fd;

	(void)sig;
	/* calls from a handler that interrupted a blocking read */
	path(p, sizeof(p), "alarm.txt");
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, "alarm\n", 6) == 6)
			got_alrm = 1;
		close(fd);
	}
}

static int do_signals(void)
{
	struct sigaction sa = {.sa_sigaction = on_sys, .sa_flags = SA_SIGINFO}, old;
	sigset_t all, cur;
	int pfd[2];
	char c;

	/* its own SIGSYS handler, as a seccomp-trap program would have */
	sigaction(SIGSYS, &sa, NULL);
	sigaction(SIGSYS, NULL, &old);
	printf("SIGSYS handler kept: %s\n", old.sa_sigaction == on_sys ? "yes" : "no");
	kill(getpid(), SIGSYS);
	printf("SIGSYS delivered: %d, si_code %s\n", (int)got_sys,
	       sys_code == SI_USER ? "SI_USER" : "other");
	/* every signal blocked, SIGSYS too, while doing stdio */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	printf("stdio with signals blocked: %d\n", stdio_roundtrip("blocked.txt", 20));
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("SIGTERM blocked: %d\n", sigismember(&cur, SIGTERM));
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* a handler making calls while the program blocks in read */
	signal(SIGALRM, on_alrm);
	if (pipe(pfd) < 0)
		return 1;
	if (fork() == 0) {
		close(pfd[0]);
		sleep(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	alarm(1);
	while (read(pfd[0], &c, 1) < 0 && errno == EINTR)
		;
	wait(NULL);
	printf("read after the alarm: %c, handler wrote: %d\n", c, (int)got_alrm);
	return 0;
}

static int do_uring(void)
{
	long params[30] = {0}; /* struct io_uring_params is 120 bytes */
	long fd = syscall(425 /* io_uring_setup */, 4, params);

	if (fd >= 0) {
		close((int)fd);
		printf("io_uring_setup: ok\n");
	} else {
		printf("io_uring_setup: %s\n", strerror(errno));
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	dir = argc > 2 ? argv[2] : ".";
	if (!strcmp(argv[1], "stdio"))
		return do_stdio();
	if (!strcmp(argv[1], "exact") && argc > 3)
		return do_exact(atoi(argv[3]));
	if (!strcmp(argv[1], "procs"))
		return do_procs();
	if (!strcmp(argv[1], "signals"))
		return do_signals();
	if (!strcmp(argv[1], "uring"))
		return do_uring();
	return 2;
}
