/* SPDX-License-Identifier: MIT */
/* ring_stress_main.c - the ring stress as a plain program (tests/cross.sh
 * runs it cross-built for aarch64 under qemu). */
#include <stdio.h>

#include "ring_stress.h"

int main(void)
{
	long results[3] = {
	    stress_threads(4, 3000, 50000, 50000),
	    stress_threads(4, 3000, 0, 0),
	    stress_processes(2, 2, 2000, 2000),
	};
	const char *names[3] = {"threads spinning", "threads sleeping", "processes"};
	int passed = 0, failed = 0;

	for (int i = 0; i < 3; i++) {
		printf("%s: %s (%ld bad)\n", names[i], results[i] ? "FAIL" : "ok", results[i]);
		results[i] ? failed++ : passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
