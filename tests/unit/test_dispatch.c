/* SPDX-License-Identifier: MIT */
/* test_dispatch.c - handler chains: order, verdicts, the executor last. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>

#include "dispatch.h"
#include "host.h"
#include "loader.h"
#include "unit.h"

static char trace[64];

static void note(char c)
{
	size_t n = strlen(trace);

	if (n + 1 < sizeof(trace)) {
		trace[n] = c;
		trace[n + 1] = '\0';
	}
}

/* userdata: "<letter><verdict>" with verdict c(ontinue), d(eny), e(mulate) */
static enum lsca_verdict pre(const struct lsca_call *call, long *result, void *ud)
{
	const char *u = ud;

	(void)call;
	note(u[0]);
	if (u[1] == 'd') {
		*result = u[2] == '+' ? 7 : -EACCES;
		return LSCA_DENY;
	}
	if (u[1] == 'e') {
		*result = 42;
		return LSCA_COMPLETE;
	}
	return LSCA_CONTINUE;
}

static long post_seen;

static void post(const struct lsca_call *call, long result, void *ud)
{
	(void)call;
	note(((const char *)ud)[0]);
	post_seen = result;
}

static long exec_fn(struct lsca_call *call, void *arg)
{
	(void)call;
	(void)arg;
	note('X');
	return 5;
}

static struct dispatch *d;
static struct plugin_set set;
static struct plugin plugin;
static struct lsca_call call = {.nr = __NR_openat, .name = "openat"};
static void *states[DISPATCH_MAX_OWNERS];
static struct dispatch_owner builtin = {.name = "t"};

static void setup(void)
{
	d = dispatch_new();
	set = (struct plugin_set){.dispatch = d, .loading = true};
	plugin = (struct plugin){.owner = {.name = "test"}, .set = &set};
	host_ctx_init(&plugin.ctx, &plugin);
	trace[0] = '\0';
	post_seen = 0;
	memset(states, 0, sizeof(states));
}

static void teardown(void)
{
	host_ctx_release(&plugin);
	d = dispatch_free(d);
}

static void add(long nr, int prio, const char *ud, bool is_post)
{
	struct lsca_handler h = {.userdata = (void *)ud};

	if (is_post)
		h.post = post;
	else
		h.pre = pre;
	/* the plugin ABI's own entry, as a plugin would call it */
	ck_assert_int_eq(lsca_register(&plugin.ctx, nr, prio, &h), 0);
	ck_assert_int_eq(host_commit(&plugin, d), 0);
}

START_TEST(rejects_bad_registrations)
{
	struct lsca_handler none = {0}, h = {.pre = pre};

	ck_assert_int_eq(dispatch_register(d, __NR_openat, 0, &none, &builtin), -EINVAL);
	ck_assert_int_eq(dispatch_register(d, __NR_getpid, 0, &h, &builtin), -EINVAL);
	ck_assert_int_eq(dispatch_register(d, -1, 0, &h, &builtin), -EINVAL);
	ck_assert_int_eq(dispatch_register(d, 100000, 0, &h, &builtin), -EINVAL);
	ck_assert_int_eq(dispatch_register(d, __NR_openat, 0, NULL, &builtin), -EINVAL);
	ck_assert_int_eq(lsca_register(&plugin.ctx, __NR_getpid, 0, &h), -EINVAL);
	set.loading = false; /* only init() may register */
	ck_assert_int_eq(lsca_register(&plugin.ctx, __NR_openat, 0, &h), -EPERM);
	ck_assert_uint_eq(dispatch_chain_len(d, __NR_openat), 0);
}
END_TEST

START_TEST(executor_runs_last)
{
	ck_assert_int_eq(dispatch_run(d, &call, states, exec_fn, NULL), 5);
	ck_assert_str_eq(trace, "X");
}
END_TEST

START_TEST(priority_then_registration_order)
{
	add(__NR_openat, 10, "cc", false);
	add(__NR_openat, -5, "ac", false);
	add(__NR_openat, 10, "dc", false);
	add(__NR_openat, 0, "bc", false);
	add(__NR_openat, 0, "p", true);
	add(__NR_read, 0, "zd", false); /* another syscall's chain is not run */
	ck_assert_uint_eq(dispatch_chain_len(d, __NR_openat), 5);
	ck_assert_int_eq(dispatch_run(d, &call, states, exec_fn, NULL), 5);
	ck_assert_str_eq(trace, "abcdXp");
	ck_assert_int_eq(post_seen, 5);
}
END_TEST

START_TEST(deny_stops_the_chain)
{
	add(__NR_openat, 1, "ad", false);
	add(__NR_openat, 2, "bc", false);
	add(__NR_openat, 3, "p", true);
	ck_assert_int_eq(dispatch_run(d, &call, states, exec_fn, NULL), -EACCES);
	ck_assert_str_eq(trace, "ap");
	ck_assert_int_eq(post_seen, -EACCES);
}
END_TEST

START_TEST(deny_is_always_an_error)
{
	add(__NR_openat, 1, "ad+", false);
	ck_assert_int_eq(dispatch_run(d, &call, states, exec_fn, NULL), -EPERM);
}
END_TEST

START_TEST(complete_emulates)
{
	struct lsca_call seek = {.nr = __NR_lseek, .name = "lseek"};

	add(__NR_lseek, 1, "ac", false);
	add(__NR_lseek, 2, "be", false);
	add(__NR_lseek, 3, "cc", false);
	ck_assert_int_eq(dispatch_run(d, &seek, states, exec_fn, NULL), 42);
	ck_assert_str_eq(trace, "ab");
	/* a number cannot stand for an fd the client never got */
	add(__NR_openat, 1, "de", false);
	ck_assert_int_eq(dispatch_run(d, &call, states, exec_fn, NULL), -EIO);
}
END_TEST

static enum lsca_verdict keep_state(const struct lsca_call *c, long *result, void *ud)
{
	(void)result;
	(void)ud;
	*c->state = (void *)((long)*c->state + 1); /* calls seen, per client */
	return LSCA_CONTINUE;
}

START_TEST(state_is_per_owner_and_client)
{
	struct lsca_handler h = {.pre = keep_state};
	void *other[DISPATCH_MAX_OWNERS] = {0};

	plugin.owner.index = 3;
	ck_assert_int_eq(lsca_register(&plugin.ctx, __NR_openat, 0, &h), 0);
	ck_assert_int_eq(host_commit(&plugin, d), 0);
	dispatch_run(d, &call, states, exec_fn, NULL);
	dispatch_run(d, &call, states, exec_fn, NULL);
	dispatch_run(d, &call, other, exec_fn, NULL);
	ck_assert_ptr_eq(states[3], (void *)2L);
	ck_assert_ptr_eq(other[3], (void *)1L);
	ck_assert_ptr_null(states[0]);
}
END_TEST

static enum lsca_verdict crash(const struct lsca_call *c, long *result, void *ud)
{
	(void)c;
	(void)result;
	(void)ud;
	note('!');
	raise(SIGSEGV); /* what a NULL dereference does, without the UB */
	return LSCA_CONTINUE;
}

START_TEST(crashing_handler_is_contained)
{
	struct lsca_handler h = {.pre = crash};

	ck_assert_int_eq(dispatch_guard_install(), 0);
	ck_assert_int_eq(lsca_register(&plugin.ctx, __NR_openat, 0, &h), 0);
	ck_assert_int_eq(host_commit(&plugin, d), 0);
	add(__NR_openat, 5, "p", true);
	/* the crashing call fails with EIO and never runs */
	ck_assert_int_eq(dispatch_run(d, &call, states, exec_fn, NULL), -EIO);
	ck_assert_str_eq(trace, "!"); /* its post-handler is skipped too */
	ck_assert(atomic_load(&plugin.owner.broken));
	/* from then on the plugin is skipped: its other handlers too */
	trace[0] = '\0';
	ck_assert_int_eq(dispatch_run(d, &call, states, exec_fn, NULL), 5);
	ck_assert_str_eq(trace, "X");
}
END_TEST

START_TEST(observe_runs_only_post_handlers)
{
	add(__NR_openat, 1, "ad", false);
	add(__NR_openat, 2, "p", true);
	dispatch_observe(d, &call, states, 9);
	ck_assert_str_eq(trace, "p");
	ck_assert_int_eq(post_seen, 9);
	ck_assert_uint_eq(dispatch_npre(d, __NR_openat), 1);
	ck_assert_uint_eq(dispatch_npost(d, __NR_openat), 1);
}
END_TEST

Suite *dispatch_suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *tc = tcase_create("chains");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rejects_bad_registrations);
	tcase_add_test(tc, executor_runs_last);
	tcase_add_test(tc, priority_then_registration_order);
	tcase_add_test(tc, deny_stops_the_chain);
	tcase_add_test(tc, deny_is_always_an_error);
	tcase_add_test(tc, complete_emulates);
	tcase_add_test(tc, state_is_per_owner_and_client);
	tcase_add_test(tc, crashing_handler_is_contained);
	tcase_add_test(tc, observe_runs_only_post_handlers);
	suite_add_tcase(s, tc);
	return s;
}
