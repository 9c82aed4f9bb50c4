/* SPDX-License-Identifier: MIT */
/* review_fifo.c - a FIFO swapped in between lscad's type check and its
 * O_CREAT open must not block a worker for ever (it stayed after the client
 * had gone). A thread flips DIR/fifo between a FIFO and nothing while the
 * main thread opens it with O_CREAT through lscad, for SECONDS (default 10).
 * usage: review_fifo SOCK DIR [SECONDS]
 * Exit 0: every call answered, 1: a call stayed unanswered 2 s (the worker
 * is stuck; this exits and leaves it), 2: could not run. */
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdpass.h"
#include "proto.h"
#include "req.h"
#include "ring.h"
#include "review.h"
#include "sysdesc.h"

static char target[256];

static void *flipper(void *arg)
{
	(void)arg;
	for (;;) {
		mkfifo(target, 0600);
		unlink(target);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct lsca_ring r;
	pthread_t t;
	uint64_t end;
	unsigned n;
	int sock;

	if (argc < 3)
		return 2;
	sock = attach(argv[1], &r);
	if (sock < 0)
		return 2;
	end = lsca_now_ns() + (uint64_t)(argc > 3 ? atoi(argv[3]) : 10) * 1000000000ull;
	snprintf(target, sizeof(target), "%s/fifo", argv[2]);
	unlink(target);
	if (pthread_create(&t, NULL, flipper, NULL))
		return 2;
	for (n = 0; lsca_now_ns() < end; n++) {
		long a[6] = {AT_FDCWD, (long)target, O_CREAT | O_RDONLY, 0600};
		struct lsca_slot *s = lsca_ring_slot(&r, 0);
		uint64_t t0;

		if (lsca_req_encode(lsca_sysdesc(__NR_openat), a, s, lsca_ring_data(&r, 0),
				    r.data_size) < 0)
			return 2;
		s->seq = n;
		lsca_slot_submit(&r, s);
		t0 = lsca_now_ns();
		while (LSCA_SLOT_BASE(atomic_load(&s->state)) != LSCA_SLOT_DONE)
			if (lsca_now_ns() - t0 > 2000000000ull) {
				printf("ATTACK WORKED: call %u unanswered for 2 s (a worker is "
				       "stuck in open() of a FIFO)\n",
				       n);
				fflush(stdout);
				_exit(1); /* the worker stays */
			}
		if (s->resp.flags & LSCA_RESP_FD) {
			struct lsca_fdmsg m;
			int fd = -1;

			lsca_recv_fd(sock, &m, sizeof(m), &fd, NULL, 0);
			if (fd >= 0)
				close(fd);
		}
		atomic_store(&s->state, LSCA_SLOT_FREE);
	}
	printf("%u calls, every one answered\n", n);
	fflush(stdout);
	_exit(0); /* the flipper runs on */
}
