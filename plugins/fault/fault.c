/* SPDX-License-Identifier: MIT */
/*
 * fault.c - chaos injection: fail chosen calls with an errno and/or delay
 * them, at a rate, on the nth call or on every nth call. Counters and the
 * random generator are per client process (call->state), seeded from the
 * configured seed, so a program sees the same injections run after run.
 * The user documentation is docs/plugins/fault.md.
 */
#include <lsca/plugin.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "../common/plugin_util.h"

enum {
	F_PATH = 1u << 0,  /* has a path argument */
	F_READ = 1u << 1,  /* @read */
	F_WRITE = 1u << 2, /* @write */
	F_META = 1u << 3,  /* @metadata */
	F_NAME = 1u << 4,  /* @namespace */
};

static const struct {
	const char *name;
	unsigned flags;
} sys_table[] = {
    {"read", F_READ},
    {"write", F_WRITE},
    {"pread64", F_READ},
    {"pwrite64", F_WRITE},
    {"readv", F_READ},
    {"writev", F_WRITE},
    {"preadv", F_READ},
    {"pwritev", F_WRITE},
    {"lseek", 0},
    {"close", 0},
    {"fstat", F_META},
    {"newfstatat", F_PATH | F_META},
    {"statx", F_PATH | F_META},
    {"openat", F_PATH},
    {"faccessat", F_PATH | F_META},
    {"faccessat2", F_PATH | F_META},
    {"unlinkat", F_PATH | F_NAME},
    {"mkdirat", F_PATH | F_NAME},
    {"renameat2", F_PATH | F_NAME},
    {"fsync", F_WRITE},
    {"fdatasync", F_WRITE},
    {"truncate", F_PATH | F_WRITE},
    {"ftruncate", F_WRITE},
    {"chdir", F_PATH},
    {"fchdir", 0},
    {"utimensat", F_PATH | F_META},
    {"statfs", F_PATH | F_META},
    {"fstatfs", F_META},
    {"getxattr", F_PATH | F_META},
    {"lgetxattr", F_PATH | F_META},
    {"fgetxattr", F_META},
    {"setxattr", F_PATH | F_META},
    {"lsetxattr", F_PATH | F_META},
    {"fsetxattr", F_META},
    {"listxattr", F_PATH | F_META},
    {"llistxattr", F_PATH | F_META},
    {"flistxattr", F_META},
    {"removexattr", F_PATH | F_META},
    {"lremovexattr", F_PATH | F_META},
    {"fremovexattr", F_META},
};
#define NSYS (sizeof(sys_table) / sizeof(sys_table[0]))
_Static_assert(NSYS <= 64, "a rule's syscall set is a 64-bit mask");

static const struct {
	const char *name;
	unsigned flags; /* 0: every syscall */
} groups[] = {
    {"@all", 0},	 {"@path", F_PATH},	{"@read", F_READ},
    {"@write", F_WRITE}, {"@metadata", F_META}, {"@namespace", F_NAME},
};

#define E(x)                                                                                       \
	{                                                                                          \
#x, x                                                                              \
	}
static const struct {
	const char *name;
	int value;
} errnos[] = {
    E(EPERM),	     E(ENOENT),		 E(ESRCH),     E(EINTR),	E(EIO),
    E(ENXIO),	     E(E2BIG),		 E(EBADF),     E(EAGAIN),	E(ENOMEM),
    E(EACCES),	     E(EFAULT),		 E(EBUSY),     E(EEXIST),	E(EXDEV),
    E(ENODEV),	     E(ENOTDIR),	 E(EISDIR),    E(EINVAL),	E(ENFILE),
    E(EMFILE),	     E(ETXTBSY),	 E(EFBIG),     E(ENOSPC),	E(ESPIPE),
    E(EROFS),	     E(EMLINK),		 E(EPIPE),     E(ERANGE),	E(EDEADLK),
    E(ENAMETOOLONG), E(ENOLCK),		 E(ENOSYS),    E(ENOTEMPTY),	E(ELOOP),
    E(EWOULDBLOCK),  E(ENODATA),	 E(ETIME),     E(EOVERFLOW),	E(EBADFD),
    E(EILSEQ),	     E(EUSERS),		 E(ENOTSUP),   E(EOPNOTSUPP),	E(ECONNRESET),
    E(ENOBUFS),	     E(ENOTCONN),	 E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTUNREACH),
    E(EALREADY),     E(EINPROGRESS),	 E(ESTALE),    E(EDQUOT),	E(ECANCELED),
    E(EOWNERDEAD),   E(ENOTRECOVERABLE), E(ENOMEDIUM), E(EREMOTEIO),	E(ENOKEY),
};
#undef E

#define MAX_DELAY_MS 60000.0 /* a handler must not hold its client for long */

enum trigger { T_ALWAYS, T_RATE, T_NTH, T_EVERY };

struct rule {
	unsigned line;
	uint64_t sys; /* bit i: sys_table[i] */
	int err;      /* 0: delay only */
	enum trigger trig;
	double rate;
	uint64_t n; /* nth, every */
	uint64_t delay_ns;
	char *prefix; /* canonical; NULL: any path */
	size_t plen;
	struct strlist comms, exes;
	atomic_ulong injected;
};

struct fault;

struct reg {
	struct fault *f;
	unsigned idx;
};

struct fault {
	struct lsca_plugin_ctx *ctx;
	uint64_t seed;
	int priority;
	struct rule *rules;
	unsigned nrules;
	struct reg regs[NSYS];
};

/* One client's counters; touched only by that client's worker. */
struct client_state {
	unsigned nrules;
	struct {
		uint64_t count; /* calls that matched the rule's filters */
		uint64_t rng;	/* splitmix64 state */
	} r[];
};

/* splitmix64: tiny, good enough for chaos, and a state of one word. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* --- configuration --- */

static int get_u64(struct lsca_plugin_ctx *ctx, const struct lsca_config *n, uint64_t min,
		   uint64_t *out)
{
	const char *v, *digits;
	char *end;
	unsigned long long x;
	bool hex;

	if (get_scalar(ctx, n, &v) < 0)
		return -EINVAL;
	/* decimal, or hex with 0x (not octal: "042" is 42); no sign */
	hex = !strncasecmp(v, "0x", 2);
	digits = v + (hex ? 2 : 0);
	errno = 0;
	x = strtoull(digits, &end, hex ? 16 : 10);
	if (!(hex ? isxdigit((unsigned char)*digits) : isdigit((unsigned char)*digits)) || *end ||
	    errno || x < min)
		return CFG_ERR(ctx, n, "expected an integer >= %llu", (unsigned long long)min);
	*out = x;
	return 0;
}

static int get_double(struct lsca_plugin_ctx *ctx, const struct lsca_config *n, double min,
		      double max, double *out)
{
	const char *v;
	char *end;
	double x;

	if (get_scalar(ctx, n, &v) < 0)
		return -EINVAL;
	errno = 0;
	x = strtod(v, &end);
	/* x == x: not NaN */
	if (!*v || *end || errno || !(x == x) || x < min || x > max)
		return CFG_ERR(ctx, n, "expected a number from %g to %g", min, max);
	*out = x;
	return 0;
}

static int parse_errno(struct lsca_plugin_ctx *ctx, const struct lsca_config *n, int *err)
{
	const char *v;
	char *end;
	long x;

	if (get_scalar(ctx, n, &v) < 0)
		return -EINVAL;
	for (unsigned i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (!strcmp(errnos[i].name, v)) {
			*err = errnos[i].value;
			return 0;
		}
	errno = 0;
	x = strtol(v, &end, 10);
	if (*v >= '0' && *v <= '9' && !*end && !errno && x >= 1 && x <= 4095) {
		*err = (int)x;
		return 0;
	}
	return CFG_ERR(ctx, n,
		       "expected an errno name (EIO, ENOSPC, ...) or a number from 1 to 4095");
}

static int get_globs(struct lsca_plugin_ctx *ctx, const struct lsca_config *n, struct strlist *l)
{
	if (n->type == LSCA_CONFIG_SCALAR)
		return strlist_add(ctx, n, l);
	if (n->type != LSCA_CONFIG_SEQUENCE || !n->nchildren)
		return CFG_ERR(ctx, n, "expected a glob or a non-empty list of globs");
	for (unsigned i = 0; i < n->nchildren; i++) {
		int e = strlist_add(ctx, &n->children[i], l);

		if (e < 0)
			return e;
	}
	return 0;
}

static int add_sys(struct lsca_plugin_ctx *ctx, const struct lsca_config *n, uint64_t *mask)
{
	const char *v;

	if (get_scalar(ctx, n, &v) < 0)
		return -EINVAL;
	for (unsigned g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		if (strcmp(groups[g].name, v))
			continue;
		for (unsigned i = 0; i < NSYS; i++)
			if (!groups[g].flags || (sys_table[i].flags & groups[g].flags))
				*mask |= 1ull << i;
		return 0;
	}
	for (unsigned i = 0; i < NSYS; i++)
		if (!strcmp(sys_table[i].name, v) && ctx->ops->syscall_nr(ctx, v) >= 0) {
			*mask |= 1ull << i;
			return 0;
		}
	return CFG_ERR(ctx, n,
		       "\"%s\" is not a syscall lscad handles nor a group (@all, "
		       "@path, @read, @write, @metadata, @namespace)",
		       v);
}

static uint64_t path_mask(void)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < NSYS; i++)
		if (sys_table[i].flags & F_PATH)
			m |= 1ull << i;
	return m;
}

/* The canonical form of a configured prefix, to compare with the resolved
 * paths of calls: no "//", "." or trailing "/", and its longest existing
 * ancestor through realpath(). */
static int canon_prefix(const char *in, char *out, size_t len)
{
	char buf[PATH_MAX] = "", head[PATH_MAX] = ""; /* config time: zeroed, simpler to check */
	int r = clean_path(in, buf, sizeof(buf));

	if (r < 0)
		return r;
	memcpy(head, buf, strlen(buf) + 1);
	return canon_ancestor(buf, head, strlen(buf), out, len);
}

static int parse_rule(struct fault *f, const struct lsca_config *n, struct rule *r)
{
	static const char *const keys[] = {"syscall",  "errno",	      "rate", "nth", "every",
					   "delay_ms", "path_prefix", "comm", "exe", NULL};
	static const char *const trigs[] = {"rate", "nth", "every"};
	struct lsca_plugin_ctx *ctx = f->ctx;
	const struct lsca_config *c, *trig = NULL;
	double ms = 0;
	int e;

	r->line = n->line;
	if ((e = check_keys(ctx, n, keys, "a rule")) < 0)
		return e;
	if (!(c = lsca_config_get(n, "syscall")))
		return CFG_ERR(ctx, n, "a rule needs a syscall (a name, a group or a list)");
	if (c->type == LSCA_CONFIG_SEQUENCE && c->nchildren) {
		for (unsigned i = 0; i < c->nchildren; i++)
			if ((e = add_sys(ctx, &c->children[i], &r->sys)) < 0)
				return e;
	} else if ((e = add_sys(ctx, c, &r->sys)) < 0) {
		return e;
	}
	if ((c = lsca_config_get(n, "errno")) && (e = parse_errno(ctx, c, &r->err)) < 0)
		return e;
	if ((c = lsca_config_get(n, "delay_ms"))) {
		if ((e = get_double(ctx, c, 0, MAX_DELAY_MS, &ms)) < 0)
			return e;
		r->delay_ns = (uint64_t)(ms * 1e6);
	}
	if (!r->err && !r->delay_ns)
		return CFG_ERR(ctx, n, "a rule needs an errno, a delay_ms, or both");
	for (unsigned k = 0; k < 3; k++) {
		if (!(c = lsca_config_get(n, trigs[k])))
			continue;
		if (trig)
			return CFG_ERR(ctx, c, "use one of rate, nth, every (%s is set)",
				       trig->key);
		trig = c;
		r->trig = (enum trigger)(T_RATE + k);
		e = k ? get_u64(ctx, c, 1, &r->n) : get_double(ctx, c, 0, 1, &r->rate);
		if (e < 0)
			return e;
	}
	if ((c = lsca_config_get(n, "path_prefix"))) {
		char canon[PATH_MAX];
		const char *v;

		if ((e = get_scalar(ctx, c, &v)) < 0)
			return e;
		if (v[0] != '/')
			return CFG_ERR(ctx, c, "must be an absolute path");
		if (!(r->sys & path_mask()))
			return CFG_ERR(ctx, c, "none of the rule's syscalls has a path");
		e = canon_prefix(v, canon, sizeof(canon));
		if (e < 0)
			return CFG_ERR(ctx, c, "cannot use this path: %s",
				       e == -ENOENT ? "\"..\" below a missing directory"
						    : strerror(-e));
		r->prefix = strdup(canon);
		if (!r->prefix)
			return -ENOMEM;
		r->plen = strlen(canon);
	}
	if ((c = lsca_config_get(n, "comm")) && (e = get_globs(ctx, c, &r->comms)) < 0)
		return e;
	if ((c = lsca_config_get(n, "exe")) && (e = get_globs(ctx, c, &r->exes)) < 0)
		return e;
	return 0;
}

static int parse_config(struct fault *f, const struct lsca_config *cfg)
{
	static const char *const keys[] = {"seed", "rules", "priority", NULL};
	struct lsca_plugin_ctx *ctx = f->ctx;
	const struct lsca_config *c;
	long prio;
	int e;

	f->seed = 1;
	f->priority = 100;
	if (!cfg)
		return 0;
	if ((e = check_keys(ctx, cfg, keys, "the fault section")) < 0)
		return e;
	if ((c = lsca_config_get(cfg, "seed")) && (e = get_u64(ctx, c, 0, &f->seed)) < 0)
		return e;
	if ((c = lsca_config_get(cfg, "priority"))) {
		if ((e = get_long(ctx, c, -1000000, 1000000, &prio)) < 0)
			return e;
		f->priority = (int)prio;
	}
	if (!(c = lsca_config_get(cfg, "rules")))
		return 0;
	if (c->type != LSCA_CONFIG_SEQUENCE)
		return CFG_ERR(ctx, c, "expected a list of rules");
	f->rules = calloc(c->nchildren ? c->nchildren : 1, sizeof(*f->rules));
	if (!f->rules)
		return -ENOMEM;
	for (unsigned i = 0; i < c->nchildren; i++) {
		f->nrules = i + 1; /* so that fault_free frees a partial rule */
		if ((e = parse_rule(f, &c->children[i], &f->rules[i])) < 0)
			return e;
	}
	return 0;
}

static void fault_free(struct fault *f)
{
	for (unsigned i = 0; i < f->nrules; i++) {
		free(f->rules[i].prefix);
		free_strlist(&f->rules[i].comms);
		free_strlist(&f->rules[i].exes);
	}
	free(f->rules);
	free(f);
}

/* --- the handler --- */

static bool under(const struct rule *r, const char *path)
{
	if (r->plen == 1) /* "/" */
		return path[0] == '/';
	return !strncmp(path, r->prefix, r->plen) &&
	       (path[r->plen] == '\0' || path[r->plen] == '/');
}

/* The call's resolved paths, resolved once and only when a rule asks. */
struct paths {
	int state; /* 0: not yet; 1: done */
	unsigned n;
	char v[2][PATH_MAX];
};

static bool path_under(struct fault *f, const struct lsca_call *call, struct paths *ps,
		       const struct rule *r)
{
	if (!ps->state) {
		ps->state = 1;
		for (unsigned i = 0; i < 6 && ps->n < 2; i++)
			if (call->kinds[i] == LSCA_ARG_PATH &&
			    f->ctx->ops->resolve_path(f->ctx, call, i, ps->v[ps->n],
						      sizeof(ps->v[0])) == 0)
				ps->n++;
	}
	for (unsigned i = 0; i < ps->n; i++)
		if (under(r, ps->v[i]))
			return true;
	return false;
}

static struct client_state *client_state(struct fault *f, const struct lsca_call *call)
{
	struct client_state *cs = *call->state;

	if (cs)
		return cs;
	cs = calloc(1, sizeof(*cs) + f->nrules * sizeof(cs->r[0]));
	if (!cs)
		return NULL;
	cs->nrules = f->nrules;
	/* one stream per rule: a rule's injections do not depend on the
	 * other rules' calls; every process starts from the same seed */
	for (unsigned i = 0; i < f->nrules; i++)
		cs->r[i].rng = f->seed ^ (0xd1b54a32d192ed03ULL * (i + 1));
	*call->state = cs;
	return cs;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static enum lsca_verdict fault_pre(const struct lsca_call *call, long *result, void *userdata)
{
	const struct reg *rg = userdata;
	struct fault *f = rg->f;
	struct client_state *cs = client_state(f, call);
	struct paths ps; /* 8 KiB: not zeroed, state says what is valid */
	uint64_t delay = 0;
	int err = 0;

	if (!cs)
		return LSCA_CONTINUE; /* no memory: no chaos, rather than wrong counts */
	ps.state = 0;
	ps.n = 0;
	for (unsigned i = 0; i < f->nrules; i++) {
		struct rule *r = &f->rules[i];
		uint64_t k;
		bool fire, applied = false;

		if (!(r->sys & (1ull << rg->idx)))
			continue;
		if (r->comms.n && !in_globs(&r->comms, call->client->comm))
			continue;
		if (r->exes.n && !in_globs(&r->exes, call->client->exe))
			continue;
		if (r->prefix && !path_under(f, call, &ps, r))
			continue;
		k = ++cs->r[i].count;
		switch (r->trig) {
		case T_RATE:
			fire = (double)(next_rand(&cs->r[i].rng) >> 11) * 0x1.0p-53 < r->rate;
			break;
		case T_NTH:
			fire = k == r->n;
			break;
		case T_EVERY:
			fire = k % r->n == 0;
			break;
		default:
			fire = true;
		}
		if (!fire)
			continue;
		if (r->delay_ns) {
			delay += r->delay_ns;
			applied = true;
		}
		if (r->err && !err) { /* the first errno wins */
			err = r->err;
			applied = true;
		}
		if (applied)
			atomic_fetch_add_explicit(&r->injected, 1, memory_order_relaxed);
	}
	if (delay)
		sleep_ns(delay);
	if (!err)
		return LSCA_CONTINUE;
	/* emulated: the call did not run and "returned" -err */
	*result = -err;
	return LSCA_COMPLETE;
}

/* --- the plugin --- */

static int fault_init(struct lsca_plugin_ctx *ctx, const struct lsca_config *cfg)
{
	struct fault *f = calloc(1, sizeof(*f));
	uint64_t mask = 0;
	int e;

	if (!f)
		return -ENOMEM;
	f->ctx = ctx;
	e = parse_config(f, cfg);
	if (e < 0) {
		if (e == -ENOMEM)
			ctx->ops->log(ctx, LOG_ERR, "out of memory reading the configuration");
		fault_free(f);
		return e;
	}
	for (unsigned i = 0; i < f->nrules; i++)
		mask |= f->rules[i].sys;
	for (unsigned i = 0; i < NSYS; i++) {
		struct lsca_handler h = {.pre = fault_pre, .userdata = &f->regs[i]};
		long nr;

		if (!(mask & (1ull << i)) ||
		    (nr = ctx->ops->syscall_nr(ctx, sys_table[i].name)) < 0)
			continue;
		f->regs[i] = (struct reg){f, i};
		e = lsca_register(ctx, nr, f->priority, &h);
		if (e < 0) {
			ctx->ops->log(ctx, LOG_ERR, "cannot register for %s: %s", sys_table[i].name,
				      strerror(-e));
			fault_free(f);
			return e;
		}
	}
	ctx->data = f;
	ctx->ops->log(ctx, LOG_INFO, "%u rules, seed %llu", f->nrules, (unsigned long long)f->seed);
	return 0;
}

static void fault_fini(struct lsca_plugin_ctx *ctx)
{
	struct fault *f = ctx->data;
	char line[640];
	size_t off = 0;
	unsigned long total = 0;

	if (!f)
		return;
	line[0] = '\0';
	for (unsigned i = 0; i < f->nrules; i++) {
		unsigned long n = atomic_load(&f->rules[i].injected);

		total += n;
		if (off < sizeof(line))
			off += (size_t)snprintf(line + off, sizeof(line) - off,
						"%srule %u (line %u) %lu", i ? ", " : ": ", i + 1,
						f->rules[i].line, n);
	}
	ctx->ops->log(ctx, LOG_INFO, "injected %lu faults%s", total, line);
	fault_free(f);
	ctx->data = NULL;
}

static void fault_client_gone(struct lsca_plugin_ctx *ctx, const struct lsca_client_info *client,
			      void *state)
{
	(void)ctx;
	(void)client;
	free(state);
}

const struct lsca_plugin lsca_plugin_descriptor = {
    .abi_version = LSCA_PLUGIN_ABI_VERSION,
    .name = "fault",
    .version = "1.0",
    .description = "inject errors and latency into chosen calls, reproducibly",
    .init = fault_init,
    .fini = fault_fini,
    .client_gone = fault_client_gone,
};
