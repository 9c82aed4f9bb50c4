/* SPDX-License-Identifier: MIT */
/* review_landlock.c - a process that sandboxed itself with Landlock (no
 * file reads at all) must not open files through lscad, which acts in its
 * own unconfined context. usage: review_landlock SOCK FILE
 * Exit 0: no fd through lscad, 1: lscad opened FILE for it, 2: could not
 * run, 3: this kernel has no Landlock. */
#include <errno.h>
#include <linux/landlock.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdpass.h"
#include "proto.h"
#include "req.h"
#include "ring.h"
#include "review.h"
#include "sysdesc.h"

int main(int argc, char **argv)
{
	struct landlock_ruleset_attr ra = {.handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE |
								LANDLOCK_ACCESS_FS_WRITE_FILE |
								LANDLOCK_ACCESS_FS_MAKE_DIR};
	long a[6] = {AT_FDCWD, 0, O_RDONLY, 0};
	struct lsca_slot *s;
	struct lsca_ring r;
	int rs, sock, fd;

	if (argc != 3)
		return 2;
	rs = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra), 0);
	if (rs < 0 && (errno == ENOSYS || errno == EOPNOTSUPP)) {
		printf("no Landlock here: %s\n", strerror(errno));
		return 3;
	}
	if (rs < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, rs, 0) < 0) {
		perror("landlock");
		return 2;
	}
	fd = open(argv[2], O_RDONLY);
	printf("sandboxed: open(%s) directly -> %s\n", argv[2], fd < 0 ? strerror(errno) : "OK");
	if (fd >= 0)
		return 2; /* the sandbox does not hold: nothing to test */
	sock = attach(argv[1], &r);
	if (sock < 0)
		return 2;
	a[1] = (long)argv[2];
	s = lsca_ring_slot(&r, 0);
	atomic_store(&lsca_ring_meta(&r, 0)->tid, (int32_t)syscall(SYS_gettid));
	if (lsca_req_encode(lsca_sysdesc(__NR_openat), a, s, lsca_ring_data(&r, 0), r.data_size) <
	    0)
		return 2;
	s->seq = 1;
	lsca_slot_submit(&r, s);
	if (lsca_slot_wait(&r, s, 1000000, NULL, NULL) < 0)
		return 2;
	printf("sandboxed: openat(%s) through lscad -> %lld flags %#x\n", argv[2],
	       (long long)s->resp.ret, s->resp.flags);
	if (s->resp.flags & LSCA_RESP_FD) {
		struct lsca_fdmsg m;
		char buf[64];

		fd = -1;
		lsca_recv_fd(sock, &m, sizeof(m), &fd, NULL, 0);
		printf("ATTACK WORKED: got fd %d, read -> %zd bytes\n", fd,
		       fd >= 0 ? read(fd, buf, sizeof(buf)) : -1);
		return 1;
	}
	if (s->resp.ret >= 0 && !(s->resp.flags & LSCA_RESP_DIRECT)) {
		printf("ATTACK WORKED: lscad opened it\n");
		return 1;
	}
	return 0;
}
