/* SPDX-License-Identifier: MIT */
/* unit.h - one Suite per module; runner.c adds them all. */
#ifndef LSCA_UNIT_H
#define LSCA_UNIT_H

#include <check.h>

Suite *ring_suite(void);
Suite *req_suite(void);
Suite *dispatch_suite(void);
Suite *config_suite(void);
Suite *fdcache_suite(void);

#endif
