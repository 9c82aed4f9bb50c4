/* SPDX-License-Identifier: MIT */
/* libfdkeep_early.so - starts a thread from its constructor (before the
 * shim's runs) that closes the fd fdkeep_early hands it, with fclose. */
#include <pthread.h>
#include <stdio.h>

volatile int early_fd = -1;
volatile int early_done;

static void *closer(void *unused)
{
	(void)unused;
	while (early_fd < 0)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	fclose(fdopen(early_fd, "r")); /* libc's own close */
	early_done = 1;
	return NULL;
}

__attribute__((constructor)) static void start(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, closer, NULL) == 0)
		pthread_detach(t);
}
