/* SPDX-License-Identifier: MIT */
/*
 * fork_writers [N] - forks N children (default 100), each writing its own
 * file in several calls and exiting with a status of its own; the parent
 * waits for every child, checks what each wrote and prints one line per
 * child. Run natively and under LSCA by transparency.sh (case fork100):
 * every child attaches anew and its calls must land in its own file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK	     1024
#define MAX_CHILDREN 1000

static void fill(unsigned char *buf, int child, int part)
{
	for (int i = 0; i < CHUNK; i++)
		buf[i] = (unsigned char)((child * 31 + part * 7 + i) % 251);
}

static int child_main(int n)
{
	unsigned char buf[CHUNK];
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "out/child-%03d.dat", n);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return 100;
	for (int part = 0; part <= n % 8; part++) {
		fill(buf, n, part);
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return 101;
	}
	if (fchmod(fd, (n % 2) ? 0644 : 0600) != 0 || close(fd) != 0)
		return 102;
	return n % 7;
}

static int check(int n, char *why, size_t len)
{
	unsigned char want[CHUNK], got[CHUNK];
	char path[64];
	struct stat st;
	int fd, part = 0;
	ssize_t r;

	snprintf(path, sizeof(path), "out/child-%03d.dat", n);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(why, len, "open: %s", strerror(errno));
		return -1;
	}
	while ((r = read(fd, got, sizeof(got))) == (ssize_t)sizeof(got)) {
		fill(want, n, part++);
		if (memcmp(want, got, sizeof(got)) != 0) {
			snprintf(why, len, "part %d differs", part - 1);
			close(fd);
			return -1;
		}
	}
	close(fd);
	if (r != 0 || part != n % 8 + 1) {
		snprintf(why, len, "read %zd after %d parts", r, part);
		return -1;
	}
	snprintf(why, len, "size %lld mode %o", (long long)st.st_size,
		 (unsigned)(st.st_mode & 0777));
	return 0;
}

int main(int argc, char **argv)
{
	static pid_t pids[MAX_CHILDREN];
	int n = argc > 1 ? atoi(argv[1]) : 100;
	int bad = 0;

	if (n < 1 || n > MAX_CHILDREN || mkdir("out", 0755) != 0) {
		perror("setup");
		return 1;
	}
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			return 1;
		}
		if (pids[i] == 0)
			_exit(child_main(i));
	}
	for (int i = 0; i < n; i++) {
		char why[96];
		int status;

		if (waitpid(pids[i], &status, 0) != pids[i]) {
			perror("waitpid");
			return 1;
		}
		if (check(i, why, sizeof(why)) != 0)
			bad++;
		printf("child %03d: exit %d, %s\n", i, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		       why);
	}
	printf("%d children, %d bad\n", n, bad);
	return bad ? 1 : 0;
}
