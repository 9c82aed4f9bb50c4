/* SPDX-License-Identifier: MIT */
/* test_req.c - the syscall table and the request codec: round trips, and a
 * decoder that refuses every malformed request a hostile client can build. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>

#include "req.h"
#include "unit.h"

#define CAP 8192

static unsigned char data[CAP], out[CAP];

static bool is_output(uint8_t k)
{
	return k == LSCA_A_OUTBUF || k == LSCA_A_IOVOUT || k == LSCA_A_STAT || k == LSCA_A_STATX;
}

START_TEST(table_is_consistent)
{
	for (unsigned op = 0; op < LSCA_NOPS; op++) {
		const struct lsca_sysdesc *d = lsca_sysdesc_op(op);
		unsigned outputs = 0;

		ck_assert_ptr_eq(lsca_sysdesc(d->nr), d);
		ck_assert_uint_eq(d->op, op);
		for (unsigned i = 0; i < LSCA_MAX_ARGS; i++) {
			uint8_t k = d->kinds[i];

			outputs += is_output(k);
			/* buffers carry their length in the next argument */
			if (k == LSCA_A_INBUF || k == LSCA_A_OUTBUF || k == LSCA_A_IOVIN ||
			    k == LSCA_A_IOVOUT)
				ck_assert(i + 1 < LSCA_MAX_ARGS && d->kinds[i + 1] == LSCA_A_LEN);
		}
		/* every output lands at data offset 0: at most one per call */
		ck_assert_uint_le(outputs, 1);
		if (d->flags & LSCA_S_CHUNK)
			ck_assert(d->kinds[0] == LSCA_A_FD);
	}
	ck_assert_ptr_null(lsca_sysdesc(-1));
	ck_assert_ptr_null(lsca_sysdesc(LSCA_NR_MAX));
	ck_assert_ptr_null(lsca_sysdesc(__NR_getpid));
	ck_assert_ptr_nonnull(lsca_sysdesc(__NR_openat));
}
END_TEST

START_TEST(roundtrip_openat)
{
	const struct lsca_sysdesc *d = lsca_sysdesc(__NR_openat);
	long a[6] = {AT_FDCWD, (long)"dir/file", O_RDONLY | O_CLOEXEC, 0640};
	struct lsca_slot slot = {0};
	struct lsca_req req;
	struct lsca_call call;

	ck_assert_int_eq(lsca_req_encode(d, a, &slot, data, CAP), 0);
	lsca_req_read(&slot, &req);
	ck_assert_uint_eq(req.data_len, strlen("dir/file") + 1);
	ck_assert_int_eq(lsca_req_decode(d, &req, data, req.data_len, out, CAP, &call), 0);
	ck_assert_int_eq(call.nr, __NR_openat);
	ck_assert_int_eq(call.args[0], AT_FDCWD);
	ck_assert_str_eq((const char *)call.args[1], "dir/file");
	ck_assert_ptr_eq((void *)call.args[1], data); /* points into the copy */
	ck_assert_int_eq(call.args[2], O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(call.args[3], 0640);
}
END_TEST

START_TEST(roundtrip_two_paths_and_stat)
{
	const struct lsca_sysdesc *rn = lsca_sysdesc(__NR_renameat2);
	const struct lsca_sysdesc *st = lsca_sysdesc(__NR_newfstatat);
	long a[6] = {3, (long)"old", AT_FDCWD, (long)"/new/name", 1};
	long b[6] = {AT_FDCWD, (long)"x", 0x1234, 0x100};
	struct lsca_slot slot = {0};
	struct lsca_req req;
	struct lsca_call call;

	ck_assert_int_eq(lsca_req_encode(rn, a, &slot, data, CAP), 0);
	lsca_req_read(&slot, &req);
	ck_assert_int_eq(lsca_req_decode(rn, &req, data, req.data_len, out, CAP, &call), 0);
	ck_assert_int_eq(call.args[0], 3);
	ck_assert_str_eq((const char *)call.args[1], "old");
	ck_assert_int_eq(call.args[2], AT_FDCWD);
	ck_assert_str_eq((const char *)call.args[3], "/new/name");
	ck_assert_int_eq(call.args[4], 1);

	/* the client's stat pointer never crosses: the output is our buffer */
	ck_assert_int_eq(lsca_req_encode(st, b, &slot, data, CAP), 0);
	lsca_req_read(&slot, &req);
	ck_assert_uint_eq(req.args[2], 0);
	ck_assert_int_eq(lsca_req_decode(st, &req, data, req.data_len, out, CAP, &call), 0);
	ck_assert_ptr_eq((void *)call.args[2], out);
	ck_assert_int_eq(call.args[3], 0x100);
}
END_TEST

START_TEST(encode_refuses_what_does_not_fit)
{
	const struct lsca_sysdesc *d = lsca_sysdesc(__NR_openat);
	static char big[CAP + 10];
	long a[6] = {AT_FDCWD, (long)big, 0, 0};
	struct lsca_slot slot = {0};

	memset(big, 'a', sizeof(big) - 1);
	ck_assert_int_eq(lsca_req_encode(d, a, &slot, data, CAP), -ENOSPC);
}
END_TEST

/* Hostile requests, built by hand as a client could write them. */
START_TEST(decode_rejects_garbage)
{
	const struct lsca_sysdesc *op = lsca_sysdesc(__NR_openat);
	const struct lsca_sysdesc *wr = lsca_sysdesc(__NR_write);
	const struct lsca_sysdesc *rd = lsca_sysdesc(__NR_read);
	const struct lsca_sysdesc *fs = lsca_sysdesc(__NR_fstat);
	struct lsca_req req = {.nr = __NR_openat};
	struct lsca_call call;

	memset(data, 'x', sizeof(data));
	/* path offset outside the data */
	req.args[1] = 100;
	ck_assert_int_eq(lsca_req_decode(op, &req, data, 50, out, CAP, &call), -EFAULT);
	/* path without its terminator inside the data */
	req.args[1] = 0;
	ck_assert_int_eq(lsca_req_decode(op, &req, data, 50, out, CAP, &call), -EFAULT);
	/* terminated, but longer than PATH_MAX */
	data[PATH_MAX + 5] = '\0';
	ck_assert_int_eq(lsca_req_decode(op, &req, data, CAP, out, CAP, &call), -ENAMETOOLONG);
	/* write: buffer past the data, and a length that wraps */
	req = (struct lsca_req){.nr = __NR_write, .args = {1, 10, 100}};
	ck_assert_int_eq(lsca_req_decode(wr, &req, data, 50, out, CAP, &call), -EFAULT);
	req.args[2] = UINT64_MAX - 5;
	ck_assert_int_eq(lsca_req_decode(wr, &req, data, 50, out, CAP, &call), -EFAULT);
	req.args[1] = 0, req.args[2] = 50;
	ck_assert_int_eq(lsca_req_decode(wr, &req, data, 50, out, CAP, &call), 0);
	/* read: more output than the slot holds */
	req = (struct lsca_req){.nr = __NR_read, .args = {1, 0, CAP + 1}};
	ck_assert_int_eq(lsca_req_decode(rd, &req, data, 0, out, CAP, &call), -EFAULT);
	/* a struct output that does not fit */
	req = (struct lsca_req){.nr = __NR_fstat, .args = {1}};
	ck_assert_int_eq(lsca_req_decode(fs, &req, data, 0, out, 16, &call), -EFAULT);
	/* fd numbers are ints, whatever the upper bits say */
	req.args[0] = 0xdeadbeef00000005ull;
	ck_assert_int_eq(lsca_req_decode(fs, &req, data, 0, out, CAP, &call), 0);
	ck_assert_int_eq(call.args[0], 5);
}
END_TEST

Suite *req_suite(void)
{
	Suite *s = suite_create("req");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, table_is_consistent);
	tcase_add_test(tc, roundtrip_openat);
	tcase_add_test(tc, roundtrip_two_paths_and_stat);
	tcase_add_test(tc, encode_refuses_what_does_not_fit);
	tcase_add_test(tc, decode_rejects_garbage);
	suite_add_tcase(s, tc);
	return s;
}
