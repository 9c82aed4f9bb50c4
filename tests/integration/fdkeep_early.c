/* SPDX-License-Identifier: MIT */
/*
 * fdkeep_early DIR - a thread that a library's constructor started before
 * the shim's own (libfdkeep_early.so) closes an fd through libc's own
 * close (fclose), which no entry point sees; the program then opens another
 * file at that number. Run natively and under LSCA: the same output
 * (test_fdkeep.sh). The shim must not let lscad keep files in a process
 * with threads it did not see start.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern volatile int early_fd, early_done; /* libfdkeep_early.so */

static const char *peek(int fd)
{
	static char buf[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return "(error)";
	buf[n] = '\0';
	return buf;
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) < 0 || close(fd) < 0)
		perror(path);
}

int main(int argc, char **argv)
{
	int fd, b;

	if (argc != 2 || chdir(argv[1]) < 0) {
		fprintf(stderr, "usage: fdkeep_early DIR\n");
		return 2;
	}
	put("a", "AAA");
	put("b", "BBB");
	fd = open("a", O_RDONLY);
	printf("a: %s\n", peek(fd));
	early_fd = fd; /* the early thread closes it */
	while (!early_done)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	b = open("b", O_RDONLY);
	printf("b at a's number: %d, reads %s\n", b == fd, peek(b));
	return 0;
}
