/* SPDX-License-Identifier: MIT */
/* review_evlog.c - an unaligned event-log head must not make lscad read
 * past the ring: the worker's tail then pointed 7 bytes before the end of
 * the slot's log, and the next drain read the record header past it (past
 * the whole ring for the last slot: lscad crashed). Needs a configuration
 * that observes calls (the audit plugin). usage: review_evlog SOCK [ROUNDS]
 * Exit 0: lscad still serves afterwards, 1: it went away, 2: could not run. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proto.h"
#include "req.h"
#include "ring.h"
#include "review.h"
#include "sysdesc.h"

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	struct lsca_ring r;
	int sock;

	if (argc < 2)
		return 2;
	for (int k = 0; k < rounds; k++) {
		uint32_t last;
		struct lsca_evlog *log;

		sock = attach(argv[1], &r);
		if (sock < 0)
			return k ? 1 : 2; /* attached before: lscad has gone */
		last = r.nslots - 1;
		log = lsca_ring_evlog(&r, last);
		memset(lsca_ring_events(&r, last), 0, 8); /* a record of length 0: garbage */
		atomic_store(&log->head, LSCA_EVLOG_SIZE - 1);
		usleep(150000); /* a drain: the old tail := 65535 */
		atomic_store(&log->head, LSCA_EVLOG_SIZE - 1 + 8);
		usleep(150000); /* a drain: the header at 65535, past the log */
		printf("round %d: tail %llu\n", k, (unsigned long long)atomic_load(&log->tail));
		close(sock);
		munmap(r.hdr, r.size);
	}
	sock = attach(argv[1], &r);
	if (sock < 0) {
		printf("ATTACK WORKED: lscad no longer takes clients\n");
		return 1;
	}
	close(sock);
	printf("lscad still takes clients\n");
	return 0;
}
