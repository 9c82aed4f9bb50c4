/* SPDX-License-Identifier: MIT */
/*
 * policy.c - ordered allow/deny rules on the file-system calls lscad
 * proxies; the first rule that matches a call decides. Decisions are made on
 * the path the call really names (resolved by lscad as the client would
 * resolve it), so "..", "//", "." and symlinks cannot walk around a rule.
 * The user documentation is docs/plugins/policy.md.
 */
#include <lsca/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "../common/plugin_util.h"

/* What each syscall lscad handles is, for groups, defaults and `access:`. */
enum {
	F_PATH = 1u << 0,  /* has a path argument */
	F_MUT = 1u << 1,   /* always changes something (access: write) */
	F_OPEN = 1u << 2,  /* openat: reads or writes, by its flags */
	F_READ = 1u << 3,  /* @read */
	F_WRITE = 1u << 4, /* @write */
	F_META = 1u << 5,  /* @metadata */
	F_NAME = 1u << 6,  /* @namespace */
	F_CWD = 1u << 7,   /* @cwd */
};

static const struct {
	const char *name;
	unsigned flags;
} sys_table[] = {
    {"read", F_READ},
    {"write", F_WRITE | F_MUT},
    {"pread64", F_READ},
    {"pwrite64", F_WRITE | F_MUT},
    {"readv", F_READ},
    {"writev", F_WRITE | F_MUT},
    {"preadv", F_READ},
    {"pwritev", F_WRITE | F_MUT},
    {"lseek", F_READ},
    {"close", 0},
    {"fstat", F_META},
    {"newfstatat", F_PATH | F_META},
    {"statx", F_PATH | F_META},
    {"openat", F_PATH | F_OPEN},
    {"faccessat", F_PATH | F_META},
    {"faccessat2", F_PATH | F_META},
    {"unlinkat", F_PATH | F_NAME | F_MUT},
    {"mkdirat", F_PATH | F_NAME | F_MUT},
    {"renameat2", F_PATH | F_NAME | F_MUT},
    {"fsync", F_WRITE | F_MUT},
    {"fdatasync", F_WRITE | F_MUT},
    {"truncate", F_PATH | F_WRITE | F_MUT},
    {"ftruncate", F_WRITE | F_MUT},
    {"chdir", F_PATH | F_CWD},
    {"fchdir", F_CWD},
    {"io_uring_setup", 0}, /* its rings bypass any agent: refusing it is the only say */
    {"utimensat", F_PATH | F_META | F_MUT},
    {"statfs", F_PATH | F_META},
    {"fstatfs", F_META},
    {"getxattr", F_PATH | F_META},
    {"lgetxattr", F_PATH | F_META},
    {"fgetxattr", F_META},
    {"setxattr", F_PATH | F_META | F_MUT},
    {"lsetxattr", F_PATH | F_META | F_MUT},
    {"fsetxattr", F_META | F_MUT},
    {"listxattr", F_PATH | F_META},
    {"llistxattr", F_PATH | F_META},
    {"flistxattr", F_META},
    {"removexattr", F_PATH | F_META | F_MUT},
    {"lremovexattr", F_PATH | F_META | F_MUT},
    {"fremovexattr", F_META | F_MUT},
};
#define NSYS (sizeof(sys_table) / sizeof(sys_table[0]))
_Static_assert(NSYS <= 64, "a rule's syscall set is a 64-bit mask");

static const struct {
	const char *name;
	unsigned flags; /* every syscall with one of these flags; 0: all */
	bool fd_only;	/* ... or every syscall without a path */
} groups[] = {
    {"@all", 0, false},		  {"@path", F_PATH, false},	 {"@fd", 0, true},
    {"@open", F_OPEN, false},	  {"@read", F_READ, false},	 {"@write", F_WRITE, false},
    {"@metadata", F_META, false}, {"@namespace", F_NAME, false}, {"@cwd", F_CWD, false},
};

enum access_cond { ACC_ANY = 0, ACC_READ, ACC_WRITE };
enum path_kind { P_EXACT, P_PREFIX, P_GLOB };

struct path_cond {
	enum path_kind kind;
	char *pat; /* canonical (see canon_path) */
	size_t len;
};

struct uidlist {
	uid_t *v;
	unsigned n;
};

struct rule {
	unsigned index, line; /* for messages: 1-based, and where it was written */
	bool deny;
	int err;      /* deny: the errno */
	uint64_t sys; /* bit i: sys_table[i] */
	enum access_cond access;
	struct path_cond *paths; /* any of them; none: no path condition */
	unsigned npaths;
	struct uidlist uids, fsuids;
	struct strlist exes, units, comms;
	atomic_ulong hits;
};

struct policy;

/* The userdata of the handler registered for sys_table[idx]. */
struct reg {
	struct policy *p;
	unsigned idx;
};

struct policy {
	struct lsca_plugin_ctx *ctx;
	bool default_deny;
	int default_err;
	bool log_denied;
	int priority;
	struct rule *rules;
	unsigned nrules;
	atomic_ulong default_hits;
	struct reg regs[NSYS];
};

/* --- configuration --- */

static int get_bool(struct lsca_plugin_ctx *ctx, const struct lsca_config *n, bool *out)
{
	const char *v;

	if (get_scalar(ctx, n, &v) < 0)
		return -EINVAL;
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off"))
		*out = false;
	else
		return CFG_ERR(ctx, n, "expected true or false");
	return 0;
}

/* A scalar or a sequence of scalars: calls fn on each item. */
static int each_item(struct lsca_plugin_ctx *ctx, const struct lsca_config *n,
		     int (*fn)(struct lsca_plugin_ctx *, const struct lsca_config *, void *),
		     void *arg)
{
	if (n->type == LSCA_CONFIG_SCALAR)
		return fn(ctx, n, arg);
	if (n->type != LSCA_CONFIG_SEQUENCE)
		return CFG_ERR(ctx, n, "expected a value or a list of values");
	if (!n->nchildren)
		return CFG_ERR(ctx, n, "an empty list matches nothing; leave the key out");
	for (unsigned i = 0; i < n->nchildren; i++) {
		int r = fn(ctx, &n->children[i], arg);

		if (r < 0)
			return r;
	}
	return 0;
}

static int add_str(struct lsca_plugin_ctx *ctx, const struct lsca_config *n, void *arg)
{
	return strlist_add(ctx, n, arg);
}

/* A uid by number or user name (looked up once, at load). */
static int add_uid(struct lsca_plugin_ctx *ctx, const struct lsca_config *n, void *arg)
{
	struct uidlist *l = arg;
	const char *v;
	char *end, pwbuf[4096];
	struct passwd pw, *res = NULL;
	unsigned long x;
	uid_t *nv;

	if (get_scalar(ctx, n, &v) < 0)
		return -EINVAL;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (*v >= '0' && *v <= '9' && !*end) {
		if (errno || x >= (uid_t)-1)
			return CFG_ERR(ctx, n, "not a valid uid");
	} else {
		if (getpwnam_r(v, &pw, pwbuf, sizeof(pwbuf), &res) != 0 || !res)
			return CFG_ERR(ctx, n, "no user named \"%s\"", v);
		x = res->pw_uid;
	}
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	l->v = nv;
	l->v[l->n++] = (uid_t)x;
	return 0;
}

static int sys_index(const char *name)
{
	for (unsigned i = 0; i < NSYS; i++)
		if (!strcmp(sys_table[i].name, name))
			return (int)i;
	return -1;
}

static uint64_t group_mask(unsigned g)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < NSYS; i++) {
		unsigned f = sys_table[i].flags;

		if (groups[g].fd_only ? !(f & F_PATH) : !groups[g].flags || (f & groups[g].flags))
			m |= 1ull << i;
	}
	return m;
}

static uint64_t path_mask(void)
{
	return group_mask(1); /* @path */
}

struct sys_arg {
	uint64_t mask;
};

static int add_sys(struct lsca_plugin_ctx *ctx, const struct lsca_config *n, void *arg)
{
	struct sys_arg *sa = arg;
	const char *v;
	int i;

	if (get_scalar(ctx, n, &v) < 0)
		return -EINVAL;
	if (v[0] == '@') {
		for (unsigned g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
			if (!strcmp(groups[g].name, v)) {
				sa->mask |= group_mask(g);
				return 0;
			}
		return CFG_ERR(ctx, n,
			       "unknown group \"%s\" (expected @all, @path, @fd, "
			       "@open, @read, @write, @metadata, @namespace, @cwd)",
			       v);
	}
	i = sys_index(v);
	if (i < 0 || ctx->ops->syscall_nr(ctx, v) < 0)
		return CFG_ERR(ctx, n, "\"%s\" is not a syscall lscad handles", v);
	sa->mask |= 1ull << i;
	return 0;
}

/* Whether path is dir or below it. */
static bool under_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/* The canonical form of a configured path, to compare with the resolved
 * paths of calls: its longest existing ancestor through realpath() (so a
 * rule on /var/run/x matches the /run/x that calls resolve to), the rest as
 * written. For a glob, only the components before the first wildcard. */
static int canon_path(const char *in, bool glob, char *out, size_t len)
{
	char buf[PATH_MAX] = "", head[PATH_MAX] = ""; /* config time: zeroed, simpler to check */
	size_t split;
	int r = clean_path(in, buf, sizeof(buf));

	if (r < 0)
		return r;
	split = strlen(buf);
	if (glob) {
		/* the start of the first component with a wildcard or escape */
		size_t w = strcspn(buf, "*?[\\");

		if (buf[w]) {
			while (w > 0 && buf[w - 1] != '/')
				w--;
			split = w ? w - 1 : 0;
		}
	}
	memcpy(head, buf, split);
	head[split] = '\0';
	if (under_dir(buf, "/proc") || under_dir(buf, "/dev")) {
		/* magic links: realpath() would give lscad's own /proc/self */
		if (has_dotdot(buf))
			return -ENOENT;
		return (size_t)snprintf(out, len, "%s", buf) >= len ? -ENAMETOOLONG : 0;
	}
	return canon_ancestor(buf, head, split, out, len);
}

struct path_arg {
	struct rule *r;
	enum path_kind kind;
};

static int add_path(struct lsca_plugin_ctx *ctx, const struct lsca_config *n, void *arg)
{
	/* links to the calling process itself: never in a resolved path */
	static const char *const own[] = {"/proc/self", "/proc/thread-self", "/dev/fd",
					  "/dev/stdin", "/dev/stdout",	     "/dev/stderr"};
	struct path_arg *pa = arg;
	struct rule *r = pa->r;
	struct path_cond *nv;
	char canon[PATH_MAX];
	const char *v;
	int e;

	if (get_scalar(ctx, n, &v) < 0)
		return -EINVAL;
	if (v[0] != '/')
		return CFG_ERR(ctx, n, "must be an absolute path");
	e = canon_path(v, pa->kind == P_GLOB, canon, sizeof(canon));
	for (unsigned i = 0; e == 0 && i < sizeof(own) / sizeof(own[0]); i++)
		if (under_dir(canon, own[i]))
			return CFG_ERR(ctx, n,
				       "%s never matches: a call's %s resolves to the client's own "
				       "/proc/PID/... (write /proc/*/... as a glob)",
				       own[i], own[i]);
	if (e == -ENOENT)
		return CFG_ERR(ctx, n,
			       "\"..\" after a wildcard or a directory that does not exist");
	if (e < 0)
		return CFG_ERR(ctx, n, "cannot use this path: %s", strerror(-e));
	if (strcmp(canon, v))
		ctx->ops->log(ctx, LOG_INFO, "%s:%u: rule %u: %s is %s", n->file ? n->file : "",
			      n->line, r->index, v, canon);
	nv = realloc(r->paths, (r->npaths + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	r->paths = nv;
	nv[r->npaths].kind = pa->kind;
	nv[r->npaths].len = strlen(canon);
	nv[r->npaths].pat = strdup(canon);
	if (!nv[r->npaths].pat)
		return -ENOMEM;
	r->npaths++;
	return 0;
}

static int parse_errno(struct lsca_plugin_ctx *ctx, const struct lsca_config *n, int *err)
{
	const char *v;

	if (get_scalar(ctx, n, &v) < 0)
		return -EINVAL;
	if (!strcmp(v, "EACCES"))
		*err = EACCES;
	else if (!strcmp(v, "EPERM"))
		*err = EPERM;
	else
		return CFG_ERR(ctx, n, "expected EACCES or EPERM");
	return 0;
}

static int parse_action(struct lsca_plugin_ctx *ctx, const struct lsca_config *n, bool *deny)
{
	const char *v;

	if (get_scalar(ctx, n, &v) < 0)
		return -EINVAL;
	if (!strcmp(v, "allow"))
		*deny = false;
	else if (!strcmp(v, "deny"))
		*deny = true;
	else
		return CFG_ERR(ctx, n, "expected allow or deny");
	return 0;
}

static int parse_rule(struct policy *p, const struct lsca_config *n, struct rule *r)
{
	static const char *const keys[] = {"action", "errno",  "syscalls", "path",   "prefix",
					   "glob",   "access", "uids",	   "fsuids", "exe",
					   "unit",   "comm",   NULL};
	static const char *const pkeys[] = {"path", "prefix", "glob"};
	struct lsca_plugin_ctx *ctx = p->ctx;
	const struct lsca_config *c;
	struct sys_arg sa = {0};
	int e;

	r->line = n->line;
	if ((e = check_keys(ctx, n, keys, "a rule")) < 0)
		return e;
	if (!(c = lsca_config_get(n, "action")))
		return CFG_ERR(ctx, n, "a rule needs an action (allow or deny)");
	if ((e = parse_action(ctx, c, &r->deny)) < 0)
		return e;
	r->err = p->default_err;
	if ((c = lsca_config_get(n, "errno"))) {
		if (!r->deny)
			return CFG_ERR(ctx, c, "errno is for deny rules only");
		if ((e = parse_errno(ctx, c, &r->err)) < 0)
			return e;
	}
	for (unsigned k = 0; k < 3; k++) {
		struct path_arg pa = {r, (enum path_kind)k};

		if ((c = lsca_config_get(n, pkeys[k])) &&
		    (e = each_item(ctx, c, add_path, &pa)) < 0)
			return e;
	}
	if ((c = lsca_config_get(n, "syscalls"))) {
		if ((e = each_item(ctx, c, add_sys, &sa)) < 0)
			return e;
		if (r->npaths && !(sa.mask & path_mask()))
			return CFG_ERR(ctx, c,
				       "none of these syscalls has a path, so the rule's path "
				       "condition can never match");
		r->sys = sa.mask;
	} else {
		r->sys = path_mask();
	}
	if ((c = lsca_config_get(n, "access"))) {
		const char *v;

		if ((e = get_scalar(ctx, c, &v)) < 0)
			return e;
		if (!strcmp(v, "read"))
			r->access = ACC_READ;
		else if (!strcmp(v, "write"))
			r->access = ACC_WRITE;
		else
			return CFG_ERR(ctx, c, "expected read or write");
	}
	if ((c = lsca_config_get(n, "uids")) && (e = each_item(ctx, c, add_uid, &r->uids)) < 0)
		return e;
	if ((c = lsca_config_get(n, "fsuids")) && (e = each_item(ctx, c, add_uid, &r->fsuids)) < 0)
		return e;
	if ((c = lsca_config_get(n, "exe")) && (e = each_item(ctx, c, add_str, &r->exes)) < 0)
		return e;
	if ((c = lsca_config_get(n, "unit")) && (e = each_item(ctx, c, add_str, &r->units)) < 0)
		return e;
	if ((c = lsca_config_get(n, "comm")) && (e = each_item(ctx, c, add_str, &r->comms)) < 0)
		return e;
	return 0;
}

static int parse_config(struct policy *p, const struct lsca_config *cfg)
{
	static const char *const keys[] = {"default",	 "errno",    "rules",
					   "log_denied", "priority", NULL};
	struct lsca_plugin_ctx *ctx = p->ctx;
	const struct lsca_config *c;
	long prio;
	int e;

	p->default_err = EACCES;
	p->priority = -100;
	if (!cfg)
		return 0;
	if ((e = check_keys(ctx, cfg, keys, "the policy section")) < 0)
		return e;
	if ((c = lsca_config_get(cfg, "default")) &&
	    (e = parse_action(ctx, c, &p->default_deny)) < 0)
		return e;
	if ((c = lsca_config_get(cfg, "errno")) && (e = parse_errno(ctx, c, &p->default_err)) < 0)
		return e;
	if ((c = lsca_config_get(cfg, "log_denied")) && (e = get_bool(ctx, c, &p->log_denied)) < 0)
		return e;
	if ((c = lsca_config_get(cfg, "priority"))) {
		if ((e = get_long(ctx, c, -1000000, 1000000, &prio)) < 0)
			return e;
		p->priority = (int)prio;
	}
	if (!(c = lsca_config_get(cfg, "rules")))
		return 0;
	if (c->type != LSCA_CONFIG_SEQUENCE)
		return CFG_ERR(ctx, c, "expected a list of rules");
	p->rules = calloc(c->nchildren ? c->nchildren : 1, sizeof(*p->rules));
	if (!p->rules)
		return -ENOMEM;
	for (unsigned i = 0; i < c->nchildren; i++) {
		p->nrules = i + 1; /* so that policy_free frees a partial rule */
		p->rules[i].index = i + 1;
		if ((e = parse_rule(p, &c->children[i], &p->rules[i])) < 0)
			return e;
	}
	return 0;
}

static void policy_free(struct policy *p)
{
	for (unsigned i = 0; i < p->nrules; i++) {
		struct rule *r = &p->rules[i];

		for (unsigned k = 0; k < r->npaths; k++)
			free(r->paths[k].pat);
		free(r->paths);
		free(r->uids.v);
		free(r->fsuids.v);
		free_strlist(&r->exes);
		free_strlist(&r->units);
		free_strlist(&r->comms);
	}
	free(p->rules);
	free(p);
}

/* --- matching --- */

/* Match path components s[0..ns) against pattern components pc[0..np); a
 * "**" component matches zero or more whole components. Wildcard matching
 * with a backtrack to the last "**" only: the segments between two "**" are
 * best matched at their leftmost place, so this is exact, and it takes
 * O(np * ns) fnmatch calls whatever the client's path (no exponential
 * recursion on a deep path). With below: whether some path strictly below
 * s could match instead. */
static bool glob_match(char *const *pc, unsigned np, char *const *s, unsigned ns, bool below)
{
	unsigned pi = 0, si = 0, star = UINT_MAX, star_si = 0;

	while (si < ns) {
		if (pi < np && !strcmp(pc[pi], "**")) {
			star = pi++;
			star_si = si;
		} else if (pi < np && fnmatch(pc[pi], s[si], 0) == 0) {
			pi++;
			si++;
		} else if (star != UINT_MAX) {
			pi = star + 1;
			si = ++star_si;
		} else {
			return false;
		}
	}
	if (below) /* a "**" can take all of s and the rest go deeper */
		return star != UINT_MAX || pi < np;
	while (pi < np && !strcmp(pc[pi], "**"))
		pi++;
	return pi == np;
}

/* "/a/b/...": a path shorter than PATH_MAX has at most this many, so no
 * path is ever cut short (which could make a glob match what it should not) */
#define MAX_COMPONENTS (PATH_MAX / 2)

/* Split an absolute path in place into its components. */
static unsigned split(char *buf, char **v)
{
	unsigned n = 0;

	for (char *s = buf; *s && n < MAX_COMPONENTS;) {
		while (*s == '/')
			*s++ = '\0';
		if (*s)
			v[n++] = s;
		s += strcspn(s, "/");
	}
	return n;
}

/* Whether the condition matches path or, with below, some path strictly
 * below the directory path. */
static bool path_matches(const struct path_cond *pc, const char *path, bool below)
{
	char pbuf[PATH_MAX], sbuf[PATH_MAX];
	char *pv[MAX_COMPONENTS], *sv[MAX_COMPONENTS];
	size_t n = strlen(path);
	unsigned np, ns;

	if (pc->kind == P_GLOB) {
		if (pc->len >= sizeof(pbuf) || n >= sizeof(sbuf))
			return false;
		memcpy(pbuf, pc->pat, pc->len + 1);
		memcpy(sbuf, path, n + 1);
		np = split(pbuf, pv);
		ns = split(sbuf, sv);
		return glob_match(pv, np, sv, ns, below);
	}
	if (below) /* the rule's path is inside the directory */
		return n == 1 ? pc->len > 1
			      : pc->len > n && !strncmp(pc->pat, path, n) && pc->pat[n] == '/';
	if (pc->kind == P_EXACT)
		return !strcmp(path, pc->pat);
	if (pc->len == 1) /* prefix "/" */
		return path[0] == '/';
	return !strncmp(path, pc->pat, pc->len) && (path[pc->len] == '\0' || path[pc->len] == '/');
}

static bool in_uids(const struct uidlist *l, uid_t u)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->v[i] == u)
			return true;
	return false;
}

/* Whether the call changes something (for `access:`). */
static bool call_writes(unsigned idx, const struct lsca_call *call)
{
	if (sys_table[idx].flags & F_OPEN) {
		long fl = call->args[2];

		return (fl & O_ACCMODE) != O_RDONLY || (fl & (O_CREAT | O_TRUNC));
	}
	return sys_table[idx].flags & F_MUT;
}

/* Everything about the rule but its path. */
static bool who_matches(const struct rule *r, unsigned idx, const struct lsca_call *call)
{
	const struct lsca_client_info *ci = call->client;

	if (!(r->sys & (1ull << idx)))
		return false;
	if (r->access && (r->access == ACC_WRITE) != call_writes(idx, call))
		return false;
	if (r->uids.n && !in_uids(&r->uids, ci->uid))
		return false;
	if (r->fsuids.n && !in_uids(&r->fsuids, ci->fsuid))
		return false;
	if (r->exes.n && !in_globs(&r->exes, ci->exe))
		return false;
	if (r->units.n && !in_globs(&r->units, ci->unit))
		return false;
	if (r->comms.n && !in_globs(&r->comms, ci->comm))
		return false;
	return true;
}

/* Resolution errors the kernel's own walk of the same path meets too: the
 * call cannot succeed, so no rule is needed to stop it. */
static bool kernel_fails_too(int err)
{
	return err == -ENOENT || err == -ENOTDIR || err == -ELOOP || err == -EACCES;
}

struct verdict {
	long result;		 /* 0: allowed, else -errno */
	const struct rule *rule; /* NULL: the default (or no decision) */
	const char *path;
};

#define NO_PATH	    (-1) /* argi: the call has no path argument */
#define UNSEEN_PATH (-2) /* argi: it has one, but lscad showed none */

/* The rules' verdict on the call, for its path argument argi (or NO_PATH,
 * UNSEEN_PATH). The path is resolved only when a rule needs it. moves: the
 * call moves what the path names (a rename's source), so a directory is
 * judged for what is inside it too: renaming an ancestor must not carry a
 * denied tree out from under its deny rule. */
static struct verdict decide(struct policy *p, unsigned idx, const struct lsca_call *call, int argi,
			     bool moves, char *buf, size_t len)
{
	struct verdict v = {0, NULL, NULL};
	int rerr = argi == UNSEEN_PATH ? -EINVAL : 1; /* 1: not resolved yet */

	for (unsigned i = 0; i < p->nrules; i++) {
		const struct rule *r = &p->rules[i];
		bool match = false;

		if (!who_matches(r, idx, call))
			continue;
		if (!r->npaths) {
			match = true;
		} else if (argi != NO_PATH) {
			if (rerr == 1)
				rerr = p->ctx->ops->resolve_path(p->ctx, call, (unsigned)argi, buf,
								 len);
			if (rerr < 0) {
				/* the path is unknown: a deny rule that may cover it
				 * stops the call unless the kernel refuses it anyway */
				if (r->deny && !kernel_fails_too(rerr)) {
					v.result = -r->err;
					v.rule = r;
					return v;
				}
				continue;
			}
			v.path = buf;
			for (unsigned k = 0; k < r->npaths && !match; k++)
				match = path_matches(&r->paths[k], buf, false) ||
					(moves && r->deny && path_matches(&r->paths[k], buf, true));
		}
		if (match) {
			v.result = r->deny ? -r->err : 0;
			v.rule = r;
			return v;
		}
	}
	/* the default covers the calls with a path only (see policy.md) */
	if (p->default_deny && argi != NO_PATH) {
		if (rerr == 1)
			rerr = p->ctx->ops->resolve_path(p->ctx, call, (unsigned)argi, buf, len);
		if (rerr < 0)
			/* not run: the kernel's own error if it would meet it */
			v.result = kernel_fails_too(rerr) ? rerr : -p->default_err;
		else
			v.result = -p->default_err;
		v.path = rerr == 0 ? buf : NULL;
	}
	return v;
}

/* Whether path argument i of the call is moved away: a rename's source, or
 * either name of an exchange. */
static bool moved(unsigned idx, const struct lsca_call *call, unsigned i)
{
	if (strcmp(sys_table[idx].name, "renameat2"))
		return false;
	return i == 1 || (call->args[4] & RENAME_EXCHANGE);
}

static enum lsca_verdict policy_pre(const struct lsca_call *call, long *result, void *userdata)
{
	const struct reg *rg = userdata;
	struct policy *p = rg->p;
	char buf[PATH_MAX];
	struct verdict v = {0, NULL, NULL};
	bool any_path = false;

	for (unsigned i = 0; i < 6 && v.result == 0; i++) {
		if (call->kinds[i] != LSCA_ARG_PATH)
			continue;
		/* each path on its own: a rename runs only if both are allowed */
		any_path = true;
		v = decide(p, rg->idx, call, (int)i, moved(rg->idx, call, i), buf, sizeof(buf));
	}
	/* a syscall with a path whose call carries none: fail closed */
	if (!any_path)
		v = decide(p, rg->idx, call,
			   sys_table[rg->idx].flags & F_PATH ? UNSEEN_PATH : NO_PATH, false, buf,
			   sizeof(buf));
	if (v.rule)
		atomic_fetch_add_explicit((atomic_ulong *)&v.rule->hits, 1, memory_order_relaxed);
	else if (v.result)
		atomic_fetch_add_explicit(&p->default_hits, 1, memory_order_relaxed);
	if (v.result == 0)
		return LSCA_CONTINUE;
	if (p->log_denied) {
		char where[32] = "the default";

		if (v.rule)
			snprintf(where, sizeof(where), "rule %u", v.rule->index);
		p->ctx->ops->log(p->ctx, LOG_NOTICE, "denied %s %s (%s): pid %d uid %u exe %s",
				 call->name, v.path ? v.path : "-", where, (int)call->client->pid,
				 (unsigned)call->client->uid,
				 call->client->exe ? call->client->exe : "");
	}
	*result = v.result;
	return LSCA_DENY;
}

/* --- the plugin --- */

static int policy_init(struct lsca_plugin_ctx *ctx, const struct lsca_config *cfg)
{
	struct policy *p = calloc(1, sizeof(*p));
	uint64_t mask = 0;
	unsigned nreg = 0;
	int e;

	if (!p)
		return -ENOMEM;
	p->ctx = ctx;
	e = parse_config(p, cfg);
	if (e < 0) {
		if (e == -ENOMEM)
			ctx->ops->log(ctx, LOG_ERR, "out of memory reading the configuration");
		policy_free(p);
		return e;
	}
	for (unsigned i = 0; i < p->nrules; i++)
		mask |= p->rules[i].sys;
	if (p->default_deny)
		mask |= path_mask();
	for (unsigned i = 0; i < NSYS; i++) {
		long nr;
		struct lsca_handler h = {.pre = policy_pre, .userdata = &p->regs[i]};

		if (!(mask & (1ull << i)) ||
		    (nr = ctx->ops->syscall_nr(ctx, sys_table[i].name)) < 0)
			continue;
		p->regs[i] = (struct reg){p, i};
		e = lsca_register(ctx, nr, p->priority, &h);
		if (e < 0) {
			ctx->ops->log(ctx, LOG_ERR, "cannot register for %s: %s", sys_table[i].name,
				      strerror(-e));
			policy_free(p);
			return e;
		}
		nreg++;
	}
	ctx->data = p;
	ctx->ops->log(ctx, LOG_INFO, "%u rules, default %s, on %u syscalls", p->nrules,
		      p->default_deny ? "deny" : "allow", nreg);
	return 0;
}

static void policy_fini(struct lsca_plugin_ctx *ctx)
{
	struct policy *p = ctx->data;

	if (!p)
		return;
	for (unsigned i = 0; i < p->nrules; i++)
		ctx->ops->log(ctx, LOG_INFO, "rule %u (line %u, %s): %lu calls", i + 1,
			      p->rules[i].line, p->rules[i].deny ? "deny" : "allow",
			      atomic_load(&p->rules[i].hits));
	ctx->ops->log(ctx, LOG_INFO, "default (%s): %lu calls denied",
		      p->default_deny ? "deny" : "allow", atomic_load(&p->default_hits));
	policy_free(p);
	ctx->data = NULL;
}

const struct lsca_plugin lsca_plugin_descriptor = {
    .abi_version = LSCA_PLUGIN_ABI_VERSION,
    .name = "policy",
    .version = "1.0",
    .description = "allow or deny file-system calls by path, syscall, user and program",
    .init = policy_init,
    .fini = policy_fini,
};
