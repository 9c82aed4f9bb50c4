/* SPDX-License-Identifier: MIT */
/* runner.c - runs every unit suite; the exit status is the failure count. */
#include <stdlib.h>

#include "unit.h"

int main(void)
{
	SRunner *sr = srunner_create(ring_suite());
	int failed;

#ifndef LSCA_RING_ONLY /* the ThreadSanitizer build runs the ring alone */
	srunner_add_suite(sr, req_suite());
	srunner_add_suite(sr, dispatch_suite());
	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, fdcache_suite());
#endif
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
