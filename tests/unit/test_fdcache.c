/* SPDX-License-Identifier: MIT */
/* test_fdcache.c - the files a worker keeps: same number and tag only,
 * one owner per entry, every let-go closes exactly what it kept. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/common/proto.h"
#include "../../src/daemon/fdcache.h"
#include "unit.h"

#define TAG(g) (LSCA_FD_TAGGED | (g))

/* A fresh fd of ours and whether it is still open. */
static int fresh(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

START_TEST(same_number_and_tag_only)
{
	struct fdcache fc;
	mode_t type = 0;
	int fd = fresh();

	fdcache_init(&fc);
	ck_assert_int_eq(fdcache_lookup(&fc, 5, TAG(1), &type), -1);
	ck_assert_int_eq(fdcache_keep(&fc, 5, TAG(1), fd, S_IFREG, true), fd);
	ck_assert_int_eq(fdcache_lookup(&fc, 5, TAG(1), &type), fd);
	ck_assert_uint_eq(type, S_IFREG);
	ck_assert(fdcache_plain(&fc, 5, TAG(1)));
	ck_assert(!fdcache_plain(&fc, 5, TAG(2)));
	ck_assert_int_eq(fdcache_lookup(&fc, 5, TAG(2), &type), -1); /* freed since */
	ck_assert_int_eq(fdcache_lookup(&fc, 5, 0, &type), -1);	     /* untagged */
	ck_assert_int_eq(fdcache_lookup(&fc, 5 + FDCACHE_SIZE, TAG(1), &type), -1);
	fdcache_clear(&fc);
	ck_assert(!is_open(fd));
}
END_TEST

START_TEST(untagged_is_not_kept)
{
	struct fdcache fc;
	int fd = fresh();

	fdcache_init(&fc);
	ck_assert_int_eq(fdcache_keep(&fc, 3, 0, fd, S_IFREG, true), -1);
	ck_assert(!is_open(fd)); /* closed, not leaked */
	ck_assert_uint_eq(fc.held, 0);
}
END_TEST

START_TEST(collision_and_retag_close_the_old)
{
	struct fdcache fc;
	mode_t type;
	int a = fresh(), b = fresh(), c = fresh();

	fdcache_init(&fc);
	fdcache_keep(&fc, 7, TAG(1), a, S_IFREG, true);
	fdcache_keep(&fc, 7 + FDCACHE_SIZE, TAG(1), b, S_IFDIR, false); /* same entry */
	ck_assert(!is_open(a));
	ck_assert_int_eq(fdcache_lookup(&fc, 7, TAG(1), &type), -1);
	ck_assert(!fdcache_plain(&fc, 7 + FDCACHE_SIZE, TAG(1)));      /* kept, not plain */
	fdcache_keep(&fc, 7 + FDCACHE_SIZE, TAG(2), c, S_IFREG, true); /* a newer tag */
	ck_assert(!is_open(b));
	ck_assert_int_eq(fdcache_lookup(&fc, 7 + FDCACHE_SIZE, TAG(2), &type), c);
	ck_assert_uint_eq(fc.held, 1);
	fdcache_clear(&fc);
	ck_assert(!is_open(c));
}
END_TEST

START_TEST(forget_a_range)
{
	struct fdcache fc;
	mode_t type;
	int fds[4];

	fdcache_init(&fc);
	for (int i = 0; i < 4; i++)
		fdcache_keep(&fc, 10 + i, TAG(1), fds[i] = fresh(), S_IFREG, true);
	fdcache_forget(&fc, 11, 12);
	ck_assert(is_open(fds[0]) && !is_open(fds[1]) && !is_open(fds[2]) && is_open(fds[3]));
	ck_assert_int_eq(fdcache_lookup(&fc, 10, TAG(1), &type), fds[0]);
	ck_assert_int_eq(fdcache_lookup(&fc, 11, TAG(1), &type), -1);
	ck_assert_uint_eq(fc.held, 2);
	fdcache_forget(&fc, 0, __INT_MAX__);
	ck_assert(!is_open(fds[0]) && !is_open(fds[3]));
	ck_assert_uint_eq(fc.held, 0);
}
END_TEST

Suite *fdcache_suite(void)
{
	Suite *s = suite_create("fdcache");
	TCase *tc = tcase_create("fdcache");

	tcase_add_test(tc, same_number_and_tag_only);
	tcase_add_test(tc, untagged_is_not_kept);
	tcase_add_test(tc, collision_and_retag_close_the_old);
	tcase_add_test(tc, forget_a_range);
	suite_add_tcase(s, tc);
	return s;
}
