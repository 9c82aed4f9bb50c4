/* SPDX-License-Identifier: MIT */
/* review.h - what the security review's proofs of concept (review_*.c)
 * share: attaching to lscad by hand, as hostile.c does. */
#ifndef LSCA_REVIEW_H
#define LSCA_REVIEW_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"
#include "proto.h"
#include "ring.h"

/* attach by hand (as hostile.c): the socket, the ring mapped into r */
static inline int attach(const char *path, struct lsca_ring *r)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct lsca_hello h = {.magic = LSCA_PROTO_MAGIC, .version = LSCA_PROTO_VERSION};
	struct lsca_welcome w = {0};
	struct stat st;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), memfd = -1;
	void *map;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, &h, sizeof(h), 0) < 0 ||
	    lsca_recv_fd(fd, &w, sizeof(w), &memfd, NULL, MSG_CMSG_CLOEXEC) != (long)sizeof(w) ||
	    w.status != LSCA_WELCOME_OK || memfd < 0 || fstat(memfd, &st) < 0) {
		fprintf(stderr, "attach failed: %s (status %u)\n", strerror(errno), w.status);
		return -1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	close(memfd);
	if (map == MAP_FAILED || !lsca_ring_from_hdr(r, map, (size_t)st.st_size))
		return -1;
	return fd;
}

#endif
