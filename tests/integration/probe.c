/* SPDX-License-Identifier: MIT */
/*
 * probe - run a list of file-system actions and print one line per action,
 * so that a run under LSCA can be compared with a native one:
 *
 *   read:PATH        open O_RDONLY and read; prints bytes or the errno
 *   creat:PATH       create O_EXCL 0644; prints the owner of the new file
 *   setuid:UID       setuid() through libc (the shim sees it)
 *   rawsetuid:UID    setuid through a raw syscall (the shim does not see it)
 *   pwrite:PATH:N    N pwrite() of 64 bytes at offset 0
 *   statloop:N:USEC  N stat(".") calls, USEC apart; prints failures
 *   sleep:MS
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char *what, const char *arg, long r)
{
	if (r < 0)
		printf("%s %s -> %s\n", what, arg, strerrorname_np(errno));
	else
		printf("%s %s -> %ld\n", what, arg, r);
}

static void act_read(const char *p)
{
	char buf[16];
	int fd = open(p, O_RDONLY);
	long r = fd;

	if (fd >= 0) {
		r = read(fd, buf, sizeof(buf));
		close(fd);
	}
	report("read", p, r);
}

static void act_creat(const char *p)
{
	struct stat st;
	int fd = open(p, O_CREAT | O_WRONLY | O_EXCL, 0644);

	if (fd < 0) {
		report("creat", p, -1);
		return;
	}
	if (fstat(fd, &st) == 0)
		printf("creat %s -> owner %u:%u mode %o\n", p, (unsigned)st.st_uid,
		       (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777));
	close(fd);
}

static void act_pwrite(const char *p, long n)
{
	char buf[64] = "lsca";
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	long bad = 0;

	if (fd < 0) {
		report("pwrite", p, -1);
		return;
	}
	for (long i = 0; i < n; i++)
		bad += pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf);
	close(fd);
	printf("pwrite %s -> %ld calls, %ld failed\n", p, n, bad);
}

static void act_statloop(long n, long usec)
{
	struct stat st;
	long bad = 0;

	for (long i = 0; i < n; i++) {
		bad += stat(".", &st) != 0;
		if (usec)
			usleep((useconds_t)usec);
	}
	printf("statloop %ld -> %ld failed\n", n, bad);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		char *verb = argv[i], *arg = strchr(verb, ':'), *arg2;

		if (!arg) {
			fprintf(stderr, "probe: bad action %s\n", verb);
			return 2;
		}
		*arg++ = '\0';
		arg2 = strchr(arg, ':');
		if (arg2)
			*arg2++ = '\0';
		if (!strcmp(verb, "read"))
			act_read(arg);
		else if (!strcmp(verb, "creat"))
			act_creat(arg);
		else if (!strcmp(verb, "setuid"))
			report("setuid", arg, setuid((uid_t)atol(arg)));
		else if (!strcmp(verb, "rawsetuid"))
			report("rawsetuid", arg, syscall(SYS_setuid, atol(arg)));
		else if (!strcmp(verb, "pwrite") && arg2)
			act_pwrite(arg, atol(arg2));
		else if (!strcmp(verb, "statloop") && arg2)
			act_statloop(atol(arg), atol(arg2));
		else if (!strcmp(verb, "sleep"))
			usleep((useconds_t)atol(arg) * 1000);
		else {
			fprintf(stderr, "probe: bad action %s\n", verb);
			return 2;
		}
	}
	return 0;
}
