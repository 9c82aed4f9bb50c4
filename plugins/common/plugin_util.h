/* SPDX-License-Identifier: MIT */
/*
 * plugin_util.h - configuration and path helpers that the plugins shipped
 * with LSCA share (fault, policy). Private: not installed, not part of the
 * plugin ABI; a plugin copied out of the tree (example.c) does without it.
 * Everything is static inline, so this folder builds no plugin of its own.
 */
#ifndef LSCA_PLUGIN_UTIL_H
#define LSCA_PLUGIN_UTIL_H

#include <lsca/plugin.h>

#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- configuration --- */

/* Report a configuration problem; always -EINVAL (the compiler sees it). */
#define CFG_ERR(ctx, node, ...) ((ctx)->ops->config_error((ctx), (node), __VA_ARGS__), -EINVAL)

/* Every key of map must be one of keys (NULL-terminated). */
static inline int check_keys(struct lsca_plugin_ctx *ctx, const struct lsca_config *map,
			     const char *const *keys, const char *what)
{
	if (map->type != LSCA_CONFIG_MAPPING)
		return CFG_ERR(ctx, map, "%s must be a mapping", what);
	for (unsigned i = 0; i < map->nchildren; i++) {
		const struct lsca_config *c = &map->children[i];
		char list[512] = "";
		size_t off = 0;
		bool known = false;

		for (unsigned k = 0; keys[k]; k++) {
			known |= c->key && !strcmp(c->key, keys[k]);
			if (off < sizeof(list))
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
							k ? ", " : "", keys[k]);
		}
		if (!known)
			return CFG_ERR(ctx, c, "unknown key in %s (expected %s)", what, list);
	}
	return 0;
}

static inline int get_scalar(struct lsca_plugin_ctx *ctx, const struct lsca_config *n,
			     const char **out)
{
	if (n->type != LSCA_CONFIG_SCALAR || !n->value)
		return CFG_ERR(ctx, n, "expected a single value");
	*out = n->value;
	return 0;
}

/* A decimal integer from min to max. */
static inline int get_long(struct lsca_plugin_ctx *ctx, const struct lsca_config *n, long min,
			   long max, long *out)
{
	const char *v;
	char *end;
	long x;

	if (get_scalar(ctx, n, &v) < 0)
		return -EINVAL;
	errno = 0;
	x = strtol(v, &end, 10);
	if (!*v || *end || errno || x < min || x > max)
		return CFG_ERR(ctx, n, "expected an integer from %ld to %ld", min, max);
	*out = x;
	return 0;
}

/* --- lists of strings (globs on comm, exe, ...) --- */

struct strlist {
	char **v;
	unsigned n;
};

/* Append the scalar n to l. */
static inline int strlist_add(struct lsca_plugin_ctx *ctx, const struct lsca_config *n,
			      struct strlist *l)
{
	const char *v;
	char **nv;

	if (get_scalar(ctx, n, &v) < 0)
		return -EINVAL;
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	l->v = nv;
	l->v[l->n] = strdup(v);
	if (!l->v[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

static inline void free_strlist(struct strlist *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Whether s (NULL: unknown, never matches) matches one of the globs of l. */
static inline bool in_globs(const struct strlist *l, const char *s)
{
	if (!s)
		return false;
	for (unsigned i = 0; i < l->n; i++)
		if (fnmatch(l->v[i], s, 0) == 0)
			return true;
	return false;
}

/* --- configured paths --- */

/* Lexically clean an absolute path into out: no "//", no "." component,
 * no trailing "/" (but "/" itself). ".." is kept (see canon_ancestor). */
static inline int clean_path(const char *in, char *out, size_t len)
{
	size_t o = 0;

	if (in[0] != '/')
		return -EINVAL;
	for (const char *s = in; *s;) {
		const char *e;
		size_t n;

		while (*s == '/')
			s++;
		e = strchrnul(s, '/');
		n = (size_t)(e - s);
		if (n && !(n == 1 && s[0] == '.')) {
			if (o + 1 + n + 1 > len)
				return -ENAMETOOLONG;
			out[o++] = '/';
			memcpy(out + o, s, n);
			o += n;
		}
		s = e;
	}
	if (!o)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

static inline bool has_dotdot(const char *p)
{
	size_t n = strlen(p);

	return strstr(p, "/../") || (n >= 3 && !strcmp(p + n - 3, "/.."));
}

/* The canonical form of the clean path buf into out: the longest existing
 * ancestor of its first cut bytes (head holds them, and is cut shorter on
 * the way) through realpath(), the rest as written. -ENOENT: ".." in the
 * rest (after a missing directory, or a glob's wildcard). */
static inline int canon_ancestor(const char *buf, char *head, size_t cut, char *out, size_t len)
{
	for (;;) {
		char *real = realpath(cut ? head : "/", NULL);
		int r = 0;

		if (real) {
			const char *tail = buf + cut;

			if (has_dotdot(tail))
				r = -ENOENT;
			else if ((size_t)snprintf(out, len, "%s%s", strcmp(real, "/") ? real : "",
						  *tail || strcmp(real, "/") ? tail : "/") >= len)
				r = -ENAMETOOLONG;
			free(real);
			return r;
		}
		if (!cut)
			return -errno;
		while (cut > 0 && head[cut - 1] != '/')
			cut--;
		cut = cut ? cut - 1 : 0;
		head[cut] = '\0';
	}
}

#endif
