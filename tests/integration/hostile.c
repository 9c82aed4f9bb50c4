/* SPDX-License-Identifier: MIT */
/*
 * hostile SOCKET - a client that attaches by hand and then writes garbage
 * everywhere it can: the ring header's layout, every slot's request (bad
 * numbers, offsets, lengths, unterminated paths), the data areas, the
 * socket. Every submitted slot must still be answered with an error, and
 * lscad must survive (test_hostile.sh checks it serves others afterwards).
 *
 * hostile SOCKET read PATH - open and read PATH through the daemon without
 * any shim-side check (as code injected into a client could): prints
 * "read PATH -> N" or the errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "proto.h"
#include "req.h"
#include "ring.h"

static int attach(const char *path, struct lsca_ring *r)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct lsca_hello h = {.magic = LSCA_PROTO_MAGIC, .version = LSCA_PROTO_VERSION};
	struct lsca_welcome w = {0};
	struct stat st;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0), memfd = -1;
	void *map;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || send(fd, &h, sizeof(h), 0) < 0 ||
	    lsca_recv_fd(fd, &w, sizeof(w), &memfd, NULL, 0) != (long)sizeof(w) ||
	    w.status != LSCA_WELCOME_OK || memfd < 0 || fstat(memfd, &st) < 0)
		return -1;
	map = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (map == MAP_FAILED || !lsca_ring_from_hdr(r, map, st.st_size))
		return -1;
	return fd;
}

static uint64_t rnd(void)
{
	static uint64_t x = 88172645463325252ull; /* fixed: reproducible */

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Garbage that still looks like a request often enough to get far. */
static void scribble(const struct lsca_ring *r, uint32_t i, unsigned round)
{
	struct lsca_slot *s = lsca_ring_slot(r, i);
	unsigned char *data = lsca_ring_data(r, i);
	static const uint32_t nrs[] = {__NR_openat,    __NR_read,  __NR_write, __NR_newfstatat,
				       __NR_renameat2, __NR_readv, __NR_statx, __NR_chdir};

	s->nr = (uint16_t)(round % 3 ? nrs[rnd() % 8] : rnd());
	s->seq = (uint32_t)rnd();
	for (int a = 0; a < LSCA_MAX_ARGS; a++)
		s->args[a] = round % 2 ? rnd() : rnd() % 9000;
	s->data_len = round % 4 ? (uint32_t)(rnd() % (r->data_size + 100)) : (uint32_t)rnd();
	memset(data, round % 5 ? 'A' : 0, 8192); /* unterminated paths, or empty ones */
}

/* openat(AT_FDCWD, path, O_RDONLY) through slot 0, then read it here */
static int raw_read(int sock, struct lsca_ring *r, const char *path)
{
	const struct lsca_sysdesc *d = lsca_sysdesc(__NR_openat);
	long a[6] = {AT_FDCWD, (long)path, O_RDONLY, 0};
	struct lsca_slot *s = lsca_ring_slot(r, 0);
	struct lsca_fdmsg m;
	char buf[64];
	int fd;

	if (lsca_req_encode(d, a, s, lsca_ring_data(r, 0), r->data_size) < 0)
		return 2;
	s->seq = 1;
	lsca_slot_submit(r, s);
	if (lsca_slot_wait(r, s, 1000000, NULL, NULL) < 0)
		return 2;
	if (s->resp.ret < 0) {
		printf("read %s -> %s\n", path, strerrorname_np((int)-s->resp.ret));
		return 0;
	}
	if (s->resp.flags & LSCA_RESP_DIRECT) {
		printf("read %s -> not served\n", path);
		return 0;
	}
	lsca_recv_fd(sock, &m, sizeof(m), &fd, NULL, 0);
	printf("read %s -> %zd\n", path, fd < 0 ? -1 : read(fd, buf, sizeof(buf)));
	return 0;
}

int main(int argc, char **argv)
{
	struct lsca_ring r;
	unsigned answered = 0, asked = 0;
	int fd;

	if (argc == 4 && !strcmp(argv[2], "read")) {
		fd = attach(argv[1], &r);
		return fd < 0 ? 2 : raw_read(fd, &r, argv[3]);
	}
	if (argc != 2 || (fd = attach(argv[1], &r)) < 0) {
		fprintf(stderr, "hostile: cannot attach\n");
		return 2;
	}
	/* the header's layout, as the daemon must never trust it */
	r.hdr->nslots = 0xffffffffu;
	r.hdr->data_size = 0xfffff000u;
	r.hdr->off_slots = r.hdr->off_data = r.hdr->off_stats = 1ull << 60;
	r.hdr->nstats = 0xffffffffu;
	for (unsigned round = 0; round < 200; round++) {
		for (uint32_t i = 0; i < r.nslots; i++) {
			scribble(&r, i, round);
			lsca_slot_submit(&r, lsca_ring_slot(&r, i));
			asked++;
		}
		for (uint32_t i = 0; i < r.nslots; i++)
			if (lsca_slot_wait(&r, lsca_ring_slot(&r, i), 1000000, NULL, NULL) == 0)
				answered++;
	}
	/* stats rows full of nonsense, and junk on the socket */
	memset(lsca_ring_stats(&r, 0), 0xff, (size_t)(r.nslots + 1) * r.nstats * 32);
	for (int i = 0; i < 100; i++) {
		uint64_t junk[8] = {rnd(), rnd(), rnd(), rnd()};

		send(fd, junk, 1 + rnd() % sizeof(junk), MSG_DONTWAIT);
	}
	printf("hostile: %u of %u garbage requests answered\n", answered, asked);
	return answered == asked ? 0 : 1;
}
