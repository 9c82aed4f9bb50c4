/* SPDX-License-Identifier: MIT */
/* review_setuid.c - a client forks, then execs a setuid-root program; the
 * child keeps the ring. lscad must not serve the child as the new program:
 *   exec SOCK HELPER        read the helper's fds 3..15 (/etc/shadow) through
 *                           lscad
 *   root SOCK HELPER DIR    bump cred_epoch so lscad re-reads the (now root)
 *                           credentials, then mkdir DIR and open /etc/shadow
 *                           through lscad
 * Run as an unprivileged user. Exit 0: the attack failed, 1: it worked
 * (no byte of /etc/shadow is printed), 2: could not run. */
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "proto.h"
#include "req.h"
#include "ring.h"
#include "review.h"
#include "sysdesc.h"

/* one call through slot 0 as thread tid; the response (ret -999: none) */
static struct lsca_resp call(struct lsca_ring *r, pid_t tid, long nr, const long *a, uint32_t seq)
{
	struct lsca_slot *s = lsca_ring_slot(r, 0);
	struct lsca_resp resp = {.ret = -999};

	atomic_store(&lsca_ring_meta(r, 0)->tid, (int32_t)tid);
	if (lsca_req_encode(lsca_sysdesc(nr), a, s, lsca_ring_data(r, 0), r->data_size) < 0)
		return resp;
	s->seq = seq;
	lsca_slot_submit(r, s);
	if (lsca_slot_wait(r, s, 1000000, NULL, NULL) < 0)
		return resp;
	memcpy(&resp, &s->resp, sizeof(resp));
	atomic_store(&s->state, LSCA_SLOT_FREE);
	return resp;
}

/* an fd lscad sent with a response: how many bytes it reads (-1: none) */
static long take_fd(int sock, const struct lsca_resp *resp)
{
	struct lsca_fdmsg m;
	char buf[512];
	int fd = -1;
	long n;

	if (!(resp->flags & LSCA_RESP_FD))
		return -1;
	lsca_recv_fd(sock, &m, sizeof(m), &fd, NULL, 0);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n;
}

/* the child: the helper's fds through the ring */
static int steal_fds(struct lsca_ring *r, pid_t parent)
{
	for (int fd = 3; fd < 16; fd++) {
		long a[6] = {fd, 0, 4000};
		struct lsca_resp resp = call(r, parent, __NR_read, a, (uint32_t)fd);

		printf("read(fd %d) of the setuid program through lscad -> %lld flags %#x\n", fd,
		       (long long)resp.ret, resp.flags);
		if (resp.ret > 0 && !(resp.flags & LSCA_RESP_DIRECT)) {
			printf("ATTACK WORKED: %lld bytes of the setuid program's file\n",
			       (long long)resp.ret);
			return 1;
		}
	}
	return 0;
}

/* the child: act as root after "my credentials changed" */
static int act_as_root(struct lsca_ring *r, int sock, pid_t parent, const char *dir)
{
	long mk[6] = {AT_FDCWD, (long)dir, 0755};
	long op[6] = {AT_FDCWD, (long)"/etc/shadow", O_RDONLY, 0};
	struct lsca_resp resp;
	int worked = 0;
	long n;

	/* lscad re-reads /proc/PID/task/TID/status; TID must be the process's */
	atomic_fetch_add(&r->hdr->cred_epoch, 1);
	resp = call(r, parent, __NR_mkdirat, mk, 1);
	printf("mkdir %s through lscad -> %lld flags %#x\n", dir, (long long)resp.ret, resp.flags);
	if (resp.ret == 0 && !(resp.flags & LSCA_RESP_DIRECT)) {
		printf("ATTACK WORKED: lscad created %s\n", dir);
		worked = 1;
	}
	atomic_fetch_add(&r->hdr->cred_epoch, 1);
	resp = call(r, parent, __NR_openat, op, 2);
	n = take_fd(sock, &resp);
	printf("openat(/etc/shadow) through lscad -> %lld flags %#x\n", (long long)resp.ret,
	       resp.flags);
	if (n >= 0) {
		printf("ATTACK WORKED: got an fd of /etc/shadow, read -> %ld bytes\n", n);
		worked = 1;
	}
	return worked;
}

/* the attached process: fork the attacker, become the setuid program */
static void attached(const char *sock_path, const char *helper, const char *dir, int result)
{
	struct lsca_ring r;
	pid_t parent = getpid();
	char worked;
	int sock = attach(sock_path, &r);

	if (sock < 0)
		_exit(2);
	if (fork() == 0) {
		/* the helper has exec'd and opened /etc/shadow by then */
		usleep(500000);
		worked = (char)(dir ? act_as_root(&r, sock, parent, dir) : steal_fds(&r, parent));
		fflush(stdout);
		if (write(result, &worked, 1) != 1)
			_exit(2);
		_exit(0);
	}
	/* same pid, same pidfd; the result pipe is close-on-exec */
	execl(helper, helper, (char *)NULL);
	perror("exec");
	_exit(2);
}

int main(int argc, char **argv)
{
	int pipefd[2], st, fd;
	char worked = 2;
	pid_t p;
	bool root;

	if (argc < 4 || (strcmp(argv[1], "exec") && strcmp(argv[1], "root")) ||
	    (!strcmp(argv[1], "root") && argc != 5)) {
		fprintf(stderr, "usage: review_setuid exec SOCK HELPER | root SOCK HELPER DIR\n");
		return 2;
	}
	root = !strcmp(argv[1], "root");
	fd = open("/etc/shadow", O_RDONLY);
	if (fd >= 0) {
		close(fd);
		fprintf(stderr, "run this as a user that cannot read /etc/shadow\n");
		return 2;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return 2;
	fflush(stdout);
	p = fork();
	if (p < 0)
		return 2;
	if (p == 0) {
		close(pipefd[0]);
		attached(argv[2], argv[3], root ? argv[4] : NULL, pipefd[1]);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &worked, 1) != 1)
		worked = 2; /* the attacker never reported */
	waitpid(p, &st, 0);
	return worked;
}
