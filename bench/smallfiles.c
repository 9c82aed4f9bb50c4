/* SPDX-License-Identifier: MIT */
/*
 * smallfiles.c - workload (a) of the placement benchmark (bench/placement.sh)
 * and a wall-clock timer for the other workloads.
 *
 *   smallfiles [-n N] [-s BYTES] DIR
 *     for i in 0..N-1 (default 20000): open(O_CREAT|O_WRONLY|O_TRUNC) DIR/f<i>,
 *     write BYTES (default 100) of content unique to i, close, stat (size
 *     checked), open O_RDONLY, read back (content checked), close, unlink.
 *     Eight calls per file, all through libc's exported entry points (the ones
 *     the shim interposes): open, write, close, stat, open, read, close, unlink.
 *   smallfiles -x CMD [ARG...]
 *     runs CMD (fork, execvp, waitpid) and times it; exits with its status.
 *
 * Either way the last line on stderr is
 *   RESULT <name> <wall ns>
 * (name: "smallfiles", or CMD's base name), CLOCK_MONOTONIC around the work
 * only: a shim's attach is inside the window, a daemon's start and stop
 * (lscactl run) are not. Exit status 1 on any mismatch or failed call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_BYTES 4096

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: smallfiles [-n N] [-s BYTES] DIR\n"
			"       smallfiles -x CMD [ARG...]\n");
	exit(2);
}

/* The content of file i: its number, then a pattern that depends on it. */
static void fill(char *buf, size_t n, unsigned long i)
{
	int k = snprintf(buf, n, "file %lu:", i);

	for (size_t j = k > 0 ? (size_t)k : 0; j < n; j++)
		buf[j] = (char)('a' + (i + j) % 26);
	if (n)
		buf[n - 1] = '\n';
}

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "smallfiles: %s %s: %s\n", what, path, strerror(errno));
	return 1;
}

static int one_file(const char *dir, unsigned long i, size_t size)
{
	char path[4096], want[MAX_BYTES], got[MAX_BYTES + 1];
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/f%lu", dir, i);
	fill(want, size, i);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0)
		return fail("open for writing", path);
	n = write(fd, want, size);
	if (n != (ssize_t)size) {
		if (n >= 0)
			errno = EIO;
		return fail("write", path);
	}
	if (close(fd) < 0)
		return fail("close", path);
	if (stat(path, &st) < 0)
		return fail("stat", path);
	if (!S_ISREG(st.st_mode) || st.st_size != (off_t)size) {
		fprintf(stderr, "smallfiles: stat %s: size %lld, want %zu\n", path,
			(long long)st.st_size, size);
		return 1;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail("open for reading", path);
	/* one byte more than written: a longer file shows */
	n = read(fd, got, size + 1);
	if (n < 0)
		return fail("read", path);
	if (n != (ssize_t)size || memcmp(got, want, size) != 0) {
		fprintf(stderr, "smallfiles: read %s: %zd bytes, content %s\n", path, n,
			n == (ssize_t)size ? "differs" : "short or long");
		return 1;
	}
	if (close(fd) < 0)
		return fail("close", path);
	if (unlink(path) < 0)
		return fail("unlink", path);
	return 0;
}

static int run_files(const char *dir, unsigned long nfiles, size_t size)
{
	uint64_t t0 = now_ns(), t1;

	for (unsigned long i = 0; i < nfiles; i++)
		if (one_file(dir, i, size))
			return 1;
	t1 = now_ns();
	fprintf(stderr, "RESULT smallfiles %llu\n", (unsigned long long)(t1 - t0));
	return 0;
}

static int run_cmd(char **cmd)
{
	const char *name = strrchr(cmd[0], '/') ? strrchr(cmd[0], '/') + 1 : cmd[0];
	uint64_t t0 = now_ns(), t1;
	int st;
	pid_t pid = fork();

	if (pid < 0) {
		perror("smallfiles: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "smallfiles: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			perror("smallfiles: waitpid");
			return 1;
		}
	t1 = now_ns();
	fprintf(stderr, "RESULT %s %llu\n", name, (unsigned long long)(t1 - t0));
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	unsigned long nfiles = 20000, size = 100;
	char *end;
	int c;

	while ((c = getopt(argc, argv, "+n:s:x")) != -1) {
		switch (c) {
		case 'n':
			nfiles = strtoul(optarg, &end, 10);
			if (*end || !*optarg)
				usage();
			break;
		case 's':
			size = strtoul(optarg, &end, 10);
			if (*end || !*optarg || size < 16 || size > MAX_BYTES)
				usage();
			break;
		case 'x':
			if (optind < argc && !strcmp(argv[optind], "--"))
				optind++;
			if (optind >= argc)
				usage();
			return run_cmd(argv + optind);
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	return run_files(argv[optind], nfiles, (size_t)size);
}
