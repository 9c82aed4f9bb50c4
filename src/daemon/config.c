/* SPDX-License-Identifier: MIT */
/*
 * config.c - lscad.yaml, in two passes:
 *
 *  1. libyaml's event stream becomes a tree of struct lsca_config nodes
 *     (the type plugins get for their sections). Anchors, aliases and merge
 *     keys are refused rather than resolved: a configuration is read by
 *     people, and "*x" makes them chase definitions. Duplicate and
 *     non-scalar keys are refused too. Depth and node count are capped.
 *  2. The tree is checked against the schema (config.h) into struct
 *     lscad_config, collecting every problem rather than the first.
 *
 * A mapping entry's node carries the position of its key: that is where a
 * setting is written and where an error points. A sequence item, or the
 * root, carries its own position.
 *
 * Everything (the config, the tree, every string) comes from one arena,
 * c->doc, so config_free() is one walk over its chunks.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>
#include <yaml.h>

#define CONFIG_MAX_DEPTH  64	    /* nested sequences/mappings */
#define CONFIG_MAX_NODES  100000    /* scalars, sequences and mappings */
#define CONFIG_MAX_BYTES  (4 << 20) /* a configuration, not a data set */
#define CONFIG_MAX_ERRORS 100	    /* shown; the rest are counted */
#define CONFIG_PATH_LEN	  256	    /* longest key path in a message */
#define ARENA_CHUNK	  (64 << 10)
#define SUN_PATH_SIZE	  sizeof(((struct sockaddr_un){0}).sun_path)

/* ---- arena ---- */

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t mem[];
};

struct arena {
	struct chunk *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = _Alignof(max_align_t);
	struct chunk *ch = a->head;
	void *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + align - 1) & ~(align - 1);
	if (!n)
		n = align;
	if (!ch || ch->size - ch->used < n) {
		size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		ch = malloc(sizeof(*ch) + size);
		if (!ch)
			return NULL;
		ch->used = 0;
		ch->size = size;
		ch->next = a->head;
		a->head = ch;
	}
	p = (char *)ch->mem + ch->used;
	ch->used += n;
	return memset(p, 0, n);
}

static char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

static void arena_free(struct arena *a)
{
	struct chunk *ch, *next;

	if (!a)
		return;
	for (ch = a->head; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
	free(a);
}

/* ---- the loader: errors, key path, parse state ---- */

struct err {
	unsigned line, column, seq;
	char *text;
};

struct pathbuf {
	char s[CONFIG_PATH_LEN];
	size_t len;
};

/* A sequence or mapping being parsed. */
struct frame {
	struct lsca_config node; /* type, key and position of the container */
	struct lsca_config *v;	 /* its children so far */
	unsigned n, cap;
	unsigned items;	  /* sequence items seen (dropped ones too), for paths */
	size_t path_mark; /* path length before this container's own segment */
	/* mappings: the key waiting for its value */
	bool have_key, skip_value;
	const char *key;
	unsigned kline, kcol;
};

struct loader {
	const char *file;
	struct arena *a;
	struct pathbuf path;
	struct err *errs;
	unsigned nerrs, errcap;
	bool oom;
	/* parsing */
	struct frame frames[CONFIG_MAX_DEPTH];
	unsigned depth, nodes, skip, docs;
	bool fatal;
	struct lsca_config *root;
};

static size_t path_push(struct pathbuf *p, const char *key, unsigned idx)
{
	size_t old = p->len, room = sizeof(p->s) - p->len;
	int r;

	if (key)
		r = snprintf(p->s + p->len, room, "%s%s", p->len ? "." : "", key);
	else
		r = snprintf(p->s + p->len, room, "[%u]", idx);
	if (r > 0)
		p->len += (size_t)r < room ? (size_t)r : room - 1;
	return old;
}

static void path_pop(struct pathbuf *p, size_t old)
{
	p->len = old;
	p->s[old] = '\0';
}

/* line 0: about the whole file ("FILE: message"). */
static void __attribute__((format(printf, 4, 0)))
verr(struct loader *l, unsigned line, unsigned column, const char *fmt, va_list ap)
{
	char msg[512], text[1024];
	struct err *e;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!line)
		snprintf(text, sizeof(text), "%s: %s", l->file, msg);
	else if (l->path.len)
		snprintf(text, sizeof(text), "%s:%u:%u: %s: %s", l->file, line, column, l->path.s,
			 msg);
	else
		snprintf(text, sizeof(text), "%s:%u:%u: %s", l->file, line, column, msg);
	/* keys and values are quoted as written: keep each error on one line */
	for (char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (l->nerrs == l->errcap) {
		unsigned cap = l->errcap ? 2 * l->errcap : 16;

		e = reallocarray(l->errs, cap, sizeof(*e));
		if (!e) {
			l->oom = true;
			return;
		}
		l->errs = e;
		l->errcap = cap;
	}
	e = &l->errs[l->nerrs];
	e->text = strdup(text);
	if (!e->text) {
		l->oom = true;
		return;
	}
	e->line = line;
	e->column = column;
	e->seq = l->nerrs++;
}

static void __attribute__((format(printf, 4, 5)))
err_at(struct loader *l, unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(l, line, column, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
err_node(struct loader *l, const struct lsca_config *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(l, node->line, node->column, fmt, ap);
	va_end(ap);
}

static int cmp_err(const void *a, const void *b)
{
	const struct err *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The errors in file order, each line ending in '\n' (as the plugin
 * loader's); NULL if even that fails. */
static char *errors_join(struct loader *l)
{
	unsigned shown;
	size_t len = 0;
	char *out, *p;

	if (l->oom)
		err_at(l, 0, 0, "out of memory");
	shown = l->nerrs < CONFIG_MAX_ERRORS ? l->nerrs : CONFIG_MAX_ERRORS;
	qsort(l->errs, l->nerrs, sizeof(*l->errs), cmp_err);
	for (unsigned i = 0; i < shown; i++)
		len += strlen(l->errs[i].text) + 1;
	len += strlen(l->file) + 64;
	out = malloc(len);
	if (!out)
		return NULL;
	p = out;
	*p = '\0';
	for (unsigned i = 0; i < shown; i++)
		p += sprintf(p, "%s\n", l->errs[i].text);
	if (l->nerrs > shown)
		snprintf(p, len - (size_t)(p - out), "%s: %u more errors not shown\n", l->file,
			 l->nerrs - shown);
	if (!*out) /* only the out-of-memory note, and it could not be stored */
		snprintf(out, len, "%s: out of memory\n", l->file);
	return out;
}

static void loader_done(struct loader *l)
{
	for (unsigned i = 0; i < l->nerrs; i++)
		free(l->errs[i].text);
	free(l->errs);
	for (unsigned i = 0; i < l->depth; i++)
		free(l->frames[i].v);
}

/* ---- reading the file ---- */

static int read_file(struct loader *l, char **buf, size_t *len)
{
	size_t size = 0, cap;
	struct stat st;
	char *b;
	int fd, r = 0;

	/* O_NONBLOCK: a FIFO in its place must not hang the daemon */
	fd = open(l->file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		err_at(l, 0, 0, "cannot open: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		err_at(l, 0, 0, "cannot open: %s", strerror(-r));
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		err_at(l, 0, 0, "cannot open: %s",
		       S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
		close(fd);
		return r;
	}
	/* st_size is a hint: the file may change while it is read */
	cap = st.st_size > 0 && st.st_size <= CONFIG_MAX_BYTES ? (size_t)st.st_size + 1 : 4096;
	b = malloc(cap);
	if (!b) {
		l->oom = true;
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (size == cap) {
			char *nb = realloc(b, cap * 2);

			if (!nb) {
				r = -ENOMEM;
				l->oom = true;
				goto out;
			}
			b = nb;
			cap *= 2;
		}
		n = read(fd, b + size, cap - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			err_at(l, 0, 0, "cannot read: %s", strerror(-r));
			goto out;
		}
		if (!n)
			break;
		size += (size_t)n;
		if (size > CONFIG_MAX_BYTES) {
			r = -EFBIG;
			err_at(l, 0, 0, "larger than %d MiB: not a configuration file",
			       CONFIG_MAX_BYTES >> 20);
			goto out;
		}
	}
	*buf = b;
	*len = size;
	b = NULL;
out:
	free(b);
	close(fd);
	return r;
}

/* ---- pass 1: YAML events -> tree ---- */

static struct frame *top(struct loader *l)
{
	return l->depth ? &l->frames[l->depth - 1] : NULL;
}

static int add_child(struct loader *l, struct frame *f, const struct lsca_config *n)
{
	if (!f) {
		l->root = arena_alloc(l->a, sizeof(*l->root));
		if (!l->root)
			return -ENOMEM;
		*l->root = *n;
		return 0;
	}
	if (f->n == f->cap) {
		unsigned cap = f->cap ? 2 * f->cap : 8;
		struct lsca_config *v = reallocarray(f->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = *n;
	return 0;
}

/* The next node (the start event just seen) is thrown away: after an error,
 * or because its key was. A dropped key drops its value too. */
static void drop(struct loader *l, struct frame *f, bool container)
{
	if (container)
		l->skip = 1;
	if (!f)
		return;
	if (f->node.type == LSCA_CONFIG_SEQUENCE) {
		f->items++;
	} else if (!f->have_key) {
		f->have_key = true;
		f->skip_value = true;
	} else {
		f->have_key = false;
		f->skip_value = false;
	}
}

/* Path segment of the value or item about to be read. */
static size_t push_item(struct loader *l, struct frame *f)
{
	if (!f)
		return l->path.len;
	if (f->node.type == LSCA_CONFIG_SEQUENCE)
		return path_push(&l->path, NULL, f->items);
	return path_push(&l->path, f->have_key ? f->key : NULL, 0);
}

static const char *anchor_of(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return (const char *)ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return (const char *)ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return (const char *)ev->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

static int take_key(struct loader *l, struct frame *f, const yaml_event_t *ev, unsigned line,
		    unsigned col)
{
	const char *k;
	size_t len, mark;
	bool bad = false;

	if (ev->type != YAML_SCALAR_EVENT) {
		err_at(l, line, col, "a key must be a scalar, not a %s",
		       ev->type == YAML_MAPPING_START_EVENT ? "mapping" : "sequence");
		drop(l, f, true);
		return 0;
	}
	k = (const char *)ev->data.scalar.value;
	len = ev->data.scalar.length;
	mark = path_push(&l->path, k, 0);
	if (anchor_of(ev))
		err_at(l, line, col, "anchors (&%s) are not supported", anchor_of(ev));
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !strcmp(k, "<<")) {
		err_at(l, line, col, "merge keys ('<<') are not supported");
		bad = true;
	} else if (memchr(k, '\0', len)) {
		err_at(l, line, col, "a key must not contain a NUL character");
		bad = true;
	}
	path_pop(&l->path, mark);
	if (bad) {
		drop(l, f, false);
		return 0;
	}
	f->key = arena_strndup(l->a, k, len);
	if (!f->key)
		return -ENOMEM;
	f->have_key = true;
	f->kline = line;
	f->kcol = col;
	return 0;
}

static int node_start(struct loader *l, const yaml_event_t *ev)
{
	struct frame *f = top(l);
	bool is_map = f && f->node.type == LSCA_CONFIG_MAPPING;
	bool scalar = ev->type == YAML_SCALAR_EVENT;
	unsigned line = ev->start_mark.line + 1, col = ev->start_mark.column + 1;
	struct lsca_config n = {.file = l->file, .line = line, .column = col};
	struct frame *nf;
	size_t mark;

	if (is_map && !f->have_key)
		return take_key(l, f, ev, line, col);
	if (is_map && f->skip_value) {
		drop(l, f, !scalar);
		return 0;
	}
	mark = push_item(l, f);
	if (anchor_of(ev))
		err_at(l, line, col, "anchors (&%s) are not supported", anchor_of(ev));
	if (++l->nodes > CONFIG_MAX_NODES) {
		err_at(l, line, col, "more than %d nodes: not a configuration file",
		       CONFIG_MAX_NODES);
		l->fatal = true;
		return -E2BIG;
	}
	if (is_map) {
		n.key = f->key;
		n.line = f->kline;
		n.column = f->kcol;
		f->have_key = false;
	} else if (f) {
		f->items++;
	}
	if (scalar) {
		const char *s = (const char *)ev->data.scalar.value;
		size_t len = ev->data.scalar.length;

		if (memchr(s, '\0', len))
			err_at(l, line, col, "a value must not contain a NUL character");
		path_pop(&l->path, mark);
		n.type = LSCA_CONFIG_SCALAR;
		n.value = arena_strndup(l->a, s, len);
		return n.value ? add_child(l, f, &n) : -ENOMEM;
	}
	if (l->depth == CONFIG_MAX_DEPTH) {
		err_at(l, line, col, "nested deeper than %d levels", CONFIG_MAX_DEPTH);
		l->fatal = true;
		return -E2BIG;
	}
	nf = &l->frames[l->depth++];
	memset(nf, 0, sizeof(*nf));
	n.type = ev->type == YAML_MAPPING_START_EVENT ? LSCA_CONFIG_MAPPING : LSCA_CONFIG_SEQUENCE;
	nf->node = n;
	nf->path_mark = mark; /* the container's segment stays until its end */
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct lsca_config *x = *(const struct lsca_config *const *)a;
	const struct lsca_config *y = *(const struct lsca_config *const *)b;
	int r = strcmp(x->key, y->key);

	if (r)
		return r;
	return x < y ? -1 : x > y; /* same array: keep file order */
}

/* Keep the first of each key; report the others with both positions.
 * Sorting keeps a hostile mapping with many keys O(n log n). */
static int dedupe(struct loader *l, struct frame *f)
{
	struct lsca_config **p, *first;
	unsigned j = 0;

	if (f->n < 2)
		return 0;
	p = malloc(f->n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (unsigned i = 0; i < f->n; i++)
		p[i] = &f->v[i];
	qsort(p, f->n, sizeof(*p), cmp_key);
	first = p[0];
	for (unsigned i = 1; i < f->n; i++) {
		size_t mark;

		if (strcmp(p[i]->key, first->key)) {
			first = p[i];
			continue;
		}
		mark = path_push(&l->path, p[i]->key, 0);
		err_node(l, p[i], "duplicate key '%s' (first at line %u, column %u)", p[i]->key,
			 first->line, first->column);
		path_pop(&l->path, mark);
		p[i]->key = NULL; /* removed below */
	}
	free(p);
	for (unsigned i = 0; i < f->n; i++)
		if (f->v[i].key)
			f->v[j++] = f->v[i];
	f->n = j;
	return 0;
}

static int node_end(struct loader *l)
{
	struct frame *f = &l->frames[l->depth - 1];
	struct lsca_config n = f->node;
	struct lsca_config *kids = NULL;
	int r = 0;

	if (n.type == LSCA_CONFIG_MAPPING)
		r = dedupe(l, f);
	if (!r && f->n) {
		kids = arena_alloc(l->a, f->n * sizeof(*kids));
		if (kids)
			memcpy(kids, f->v, f->n * sizeof(*kids));
		else
			r = -ENOMEM;
	}
	n.children = kids;
	n.nchildren = f->n;
	free(f->v);
	f->v = NULL;
	l->depth--;
	path_pop(&l->path, f->path_mark);
	return r ? r : add_child(l, top(l), &n);
}

static int on_event(struct loader *l, const yaml_event_t *ev)
{
	bool start = ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT;
	bool end = ev->type == YAML_SEQUENCE_END_EVENT || ev->type == YAML_MAPPING_END_EVENT;
	struct frame *f = top(l);
	size_t mark;

	if (l->skip) { /* inside a dropped sequence or mapping */
		if (start)
			l->skip++;
		else if (end)
			l->skip--;
		return 0;
	}
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (l->docs++) {
			err_at(l, ev->start_mark.line + 1, ev->start_mark.column + 1,
			       "more than one YAML document ('---')");
			l->fatal = true;
			return -EINVAL;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		mark = f && f->node.type == LSCA_CONFIG_MAPPING && !f->have_key ? l->path.len
										: push_item(l, f);
		err_at(l, ev->start_mark.line + 1, ev->start_mark.column + 1,
		       "aliases (*%s) are not supported", (const char *)ev->data.alias.anchor);
		path_pop(&l->path, mark);
		drop(l, f, false);
		return 0;
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return node_start(l, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return node_end(l);
	default:
		return 0;
	}
}

/* Line and column of a byte offset (a reader error has no mark). */
static void offset_mark(const char *buf, size_t len, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			++*line;
			*col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) { /* count characters */
			++*col;
		}
	}
}

/* The byte at a (0-based) line and column, or 0. */
static char char_at(const char *buf, size_t len, size_t line, size_t col)
{
	size_t i = 0;

	for (; line && i < len; i++)
		if (buf[i] == '\n')
			line--;
	for (; i < len; i++) {
		if (((unsigned char)buf[i] & 0xc0) == 0x80)
			continue;
		if (!col--)
			return buf[i];
	}
	return 0;
}

static void syntax_error(struct loader *l, const yaml_parser_t *p, const char *buf, size_t len)
{
	unsigned line = p->problem_mark.line + 1, col = p->problem_mark.column + 1;
	const char *problem = p->problem ? p->problem : "unknown problem";
	bool tab = char_at(buf, len, p->problem_mark.line, p->problem_mark.column) == '\t' &&
		   !strstr(problem, "tab");

	l->fatal = true;
	switch (p->error) {
	case YAML_MEMORY_ERROR:
		l->oom = true;
		break;
	case YAML_READER_ERROR:
		offset_mark(buf, len, p->problem_offset, &line, &col);
		err_at(l, line, col, "%s", problem);
		break;
	default:
		if (tab) /* the most common one, and libyaml does not say */
			err_at(l, line, col, "%s: a tab (YAML indents with spaces only)", problem);
		else if (p->context)
			err_at(l, line, col, "%s (%s at line %zu, column %zu)", problem, p->context,
			       p->context_mark.line + 1, p->context_mark.column + 1);
		else
			err_at(l, line, col, "%s", problem);
		break;
	}
}

static int parse(struct loader *l, const char *buf, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	bool done = false;
	int r = 0;

	if (!yaml_parser_initialize(&p)) {
		l->oom = true;
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && !r) {
		if (!yaml_parser_parse(&p, &ev)) {
			syntax_error(l, &p, buf, len);
			r = -EINVAL;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		r = on_event(l, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (r == -ENOMEM)
		l->oom = true;
	if (r)
		l->fatal = true;
	return r;
}

/* ---- pass 2: tree -> struct lscad_config ---- */

struct choice {
	const char *name;
	int value;
};

/* Optimal string alignment distance, case-blind, for "did you mean". */
static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned d[3][65];

	if (la > 64 || lb > 64)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned *cur = d[i % 3], *prev = d[(i - 1) % 3], *prev2 = d[(i + 1) % 3];

		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]),
			    cb = tolower((unsigned char)b[j - 1]);
			unsigned best = prev[j - 1] + (ca != cb);

			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
	}
	return d[la % 3][lb];
}

/* The candidate closest to word, if close enough to be a typo. */
static const char *closest(const char *word, const char *const *cand, size_t n)
{
	const char *best = NULL;
	unsigned bestd = 1000;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(cand[i]);
		unsigned d = distance(word, cand[i]), limit = len >= 5 ? 2 : 1;

		if (d <= limit && d < len && d < bestd) {
			best = cand[i];
			bestd = d;
		}
	}
	return best;
}

/* " (did you mean 'x'?)" or "", into buf. */
static const char *hint(char *buf, size_t size, const char *word, const char *const *cand, size_t n)
{
	const char *s = closest(word, cand, n);

	if (!s)
		return "";
	snprintf(buf, size, " (did you mean '%s'?)", s);
	return buf;
}

static bool is_null(const struct lsca_config *v)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (v->type != LSCA_CONFIG_SCALAR)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(v->value, nulls[i]))
			return true;
	return false;
}

static void bad_type(struct loader *l, const struct lsca_config *v, const char *want)
{
	if (v->type == LSCA_CONFIG_SCALAR && !*v->value)
		err_node(l, v, "missing value: expected %s", want);
	else if (v->type == LSCA_CONFIG_SCALAR)
		err_node(l, v, "expected %s, not '%s'", want, v->value);
	else
		err_node(l, v, "expected %s, not a %s", want,
			 v->type == LSCA_CONFIG_MAPPING ? "mapping" : "sequence");
}

/* A scalar's text; NULL (reported) when v is not a non-empty scalar. */
static const char *scalar(struct loader *l, const struct lsca_config *v, const char *want)
{
	if (v->type != LSCA_CONFIG_SCALAR || !*v->value) {
		bad_type(l, v, want);
		return NULL;
	}
	return v->value;
}

static bool parse_ll(const char *s, long long *out)
{
	const char *d = *s == '-' ? s + 1 : s;
	char *end;

	if (!isdigit((unsigned char)*d)) /* strtoll would take spaces and '+' */
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (*end)
		return false;
	if (errno == ERANGE)
		*out = *s == '-' ? LLONG_MIN : LLONG_MAX;
	return true;
}

static void get_u32(struct loader *l, const struct lsca_config *v, long long min, long long max,
		    uint32_t *out)
{
	const char *s = scalar(l, v, "an integer");
	long long x;

	if (!s)
		return;
	if (!parse_ll(s, &x))
		err_node(l, v, "'%s' is not an integer", s);
	else if (x < min || x > max)
		err_node(l, v, "%s is out of range (%lld..%lld)", s, min, max);
	else
		*out = (uint32_t)x;
}

static bool get_bool(struct loader *l, const struct lsca_config *v, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no",
									       "off"};
	const char *s = scalar(l, v, "a boolean");

	if (!s)
		return false;
	for (size_t i = 0; i < 3; i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*out = !strcasecmp(s, yes[i]);
			return true;
		}
	}
	err_node(l, v, "'%s' is not a boolean (true/false, yes/no, on/off)", s);
	return false;
}

static bool get_choice(struct loader *l, const struct lsca_config *v, const struct choice *ch,
		       int *out)
{
	const char *names[16];
	char list[256], h[96];
	size_t n = 0, len = 0;
	const char *s = scalar(l, v, "a word");

	for (; n < 16 && ch[n].name; n++)
		names[n] = ch[n].name;
	if (!s)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(s, names[i])) {
			*out = ch[i].value;
			return true;
		}
	}
	list[0] = '\0';
	for (size_t i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
					names[i]);
	err_node(l, v, "'%s' is not one of: %s%s", s, list, hint(h, sizeof(h), s, names, n));
	return false;
}

/* An absolute path; a socket's must also fit a sockaddr_un. */
static void get_path(struct loader *l, const struct lsca_config *v, bool is_socket, char **out)
{
	const char *s = scalar(l, v, "an absolute path");

	if (!s)
		return;
	if (*s != '/')
		err_node(l, v, "'%s' is not an absolute path", s);
	else if (is_socket && strlen(s) >= SUN_PATH_SIZE)
		err_node(l, v, "longer than %zu bytes, the limit of a socket path",
			 SUN_PATH_SIZE - 1);
	else
		*out = (char *)s; /* the tree's own string: the arena owns both */
}

typedef void (*entry_fn)(struct loader *l, int key, const struct lsca_config *v, void *obj);

/* Each entry of mapping map whose key is in keys (NULL-terminated) goes to
 * fn with its index; other keys are errors. A null value is an empty map. */
static void walk(struct loader *l, const struct lsca_config *map, const char *const *keys,
		 entry_fn fn, void *obj)
{
	size_t nkeys = 0;

	while (keys[nkeys])
		nkeys++;
	if (is_null(map))
		return;
	if (map->type != LSCA_CONFIG_MAPPING) {
		bad_type(l, map, "a mapping");
		return;
	}
	for (unsigned i = 0; i < map->nchildren; i++) {
		const struct lsca_config *v = &map->children[i];
		size_t mark = path_push(&l->path, v->key, 0);
		size_t k;
		char h[96];

		for (k = 0; k < nkeys && strcmp(keys[k], v->key); k++)
			;
		if (k < nkeys)
			fn(l, (int)k, v, obj);
		else
			err_node(l, v, "unknown key '%s'%s", v->key,
				 hint(h, sizeof(h), v->key, keys, nkeys));
		path_pop(&l->path, mark);
	}
}

/* Each item of a sequence goes to fn; a lone scalar is a one-item list, a
 * null an empty one. */
typedef void (*item_fn)(struct loader *l, const struct lsca_config *v, void *out);

static void for_items(struct loader *l, const struct lsca_config *v, item_fn fn, void *out)
{
	if (is_null(v))
		return;
	if (v->type == LSCA_CONFIG_SCALAR) {
		fn(l, v, out);
		return;
	}
	if (v->type != LSCA_CONFIG_SEQUENCE) {
		bad_type(l, v, "a list");
		return;
	}
	for (unsigned i = 0; i < v->nchildren; i++) {
		size_t mark = path_push(&l->path, NULL, i);

		fn(l, &v->children[i], out);
		path_pop(&l->path, mark);
	}
}

static void add_glob(struct loader *l, const struct lsca_config *v, void *out)
{
	struct lscad_strlist *list = out;
	const char *s = scalar(l, v, "a glob");

	if (s)
		list->v[list->n++] = (char *)s;
}

static int lookup_uid(const char *name, uid_t *uid)
{
	long max = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t size = max > 0 ? (size_t)max : 16384;
	struct passwd pw, *res = NULL;

	for (;;) {
		char *buf = malloc(size);
		int r;

		if (!buf)
			return -ENOMEM;
		r = getpwnam_r(name, &pw, buf, size, &res);
		if (res)
			*uid = pw.pw_uid;
		free(buf);
		if (r == ERANGE && size < (1u << 20)) {
			size *= 2;
			continue;
		}
		if (r)
			return -r;
		return res ? 0 : -ENOENT;
	}
}

static void add_uid(struct loader *l, const struct lsca_config *v, void *out)
{
	struct lscad_uidlist *list = out;
	const char *s = scalar(l, v, "a uid or user name");
	uid_t uid = 0;
	long long x;
	int r;

	if (!s)
		return;
	if (parse_ll(s, &x)) {
		if (x < 0 || x >= (uid_t)-1) {
			err_node(l, v, "uid %s is out of range", s);
			return;
		}
		uid = (uid_t)x;
	} else {
		r = lookup_uid(s, &uid);
		if (r == -ENOENT) {
			err_node(l, v, "unknown user '%s'", s);
			return;
		} else if (r) {
			err_node(l, v, "cannot look up user '%s': %s", s, strerror(-r));
			return;
		}
	}
	list->v[list->n++] = uid;
}

static unsigned count_items(const struct lsca_config *v)
{
	if (v->type == LSCA_CONFIG_SEQUENCE)
		return v->nchildren;
	return 1;
}

static void get_globs(struct loader *l, const struct lsca_config *v, struct lscad_strlist *out)
{
	out->n = 0;
	out->v = arena_alloc(l->a, count_items(v) * sizeof(*out->v));
	if (!out->v)
		l->oom = true;
	else
		for_items(l, v, add_glob, out);
}

static void get_uids(struct loader *l, const struct lsca_config *v, struct lscad_uidlist *out)
{
	out->n = 0;
	out->v = arena_alloc(l->a, count_items(v) * sizeof(*out->v));
	if (!out->v)
		l->oom = true;
	else
		for_items(l, v, add_uid, out);
}

/* -- the sections -- */

static const struct choice on_failure_choices[] = {
    {"passthrough", LSCA_ON_FAILURE_PASSTHROUGH}, {"deny", LSCA_ON_FAILURE_DENY}, {NULL, 0}};
static const struct choice interception_choices[] = {
    {"entry-points", LSCAD_INTERCEPT_ENTRY}, {"complete", LSCAD_INTERCEPT_COMPLETE}, {NULL, 0}};
static const struct choice log_target_choices[] = {
    {"stderr", LSCAD_LOG_STDERR}, {"journal", LSCAD_LOG_JOURNAL}, {NULL, 0}};
static const struct choice log_level_choices[] = {{"error", LOG_ERR},
						  {"warning", LOG_WARNING},
						  {"info", LOG_INFO},
						  {"debug", LOG_DEBUG},
						  {NULL, 0}};
static const struct choice placement_choices[] = {{"proxy", LSCA_PLACE_PROXY},
						  {"observe", LSCA_PLACE_OBSERVE},
						  {"direct", LSCA_PLACE_DIRECT},
						  {NULL, 0}};

enum { LOG_TARGET, LOG_LEVEL };
static const char *const log_keys[] = {[LOG_TARGET] = "target", [LOG_LEVEL] = "level", NULL};

static void log_entry(struct loader *l, int key, const struct lsca_config *v, void *obj)
{
	struct lscad_config *c = obj;
	int x;

	if (key == LOG_TARGET && get_choice(l, v, log_target_choices, &x))
		c->log_target = (enum lscad_log_target)x;
	else if (key == LOG_LEVEL && get_choice(l, v, log_level_choices, &x))
		c->log_level = x;
}

enum { WORKERS_MAX, WORKERS_SPIN };
static const char *const workers_keys[] = {[WORKERS_MAX] = "max", [WORKERS_SPIN] = "spin_us", NULL};

static void workers_entry(struct loader *l, int key, const struct lsca_config *v, void *obj)
{
	struct lscad_config *c = obj;

	if (key == WORKERS_MAX)
		get_u32(l, v, 1, UINT32_MAX, &c->max_workers);
	else
		get_u32(l, v, 0, 100000, &c->spin_us);
}

enum { RING_SLOTS, RING_SLOT_KIB };
static const char *const ring_keys[] = {[RING_SLOTS] = "slots", [RING_SLOT_KIB] = "slot_kib", NULL};

static void ring_entry(struct loader *l, int key, const struct lsca_config *v, void *obj)
{
	struct lscad_config *c = obj;
	uint32_t kib = 0;

	if (key == RING_SLOTS) {
		get_u32(l, v, 1, 1024, &c->slots);
		return;
	}
	get_u32(l, v, 4, 16384, &kib);
	if (kib && kib % 4)
		err_node(l, v, "%u is not a multiple of 4", kib);
	else if (kib)
		c->slot_kib = kib;
}

enum { D_SOCKET, D_CONTROL, D_ON_FAILURE, D_INTERCEPTION, D_LOG, D_WORKERS, D_RING };
static const char *const daemon_keys[] = {[D_SOCKET] = "socket",
					  [D_CONTROL] = "control_socket",
					  [D_ON_FAILURE] = "on_failure",
					  [D_INTERCEPTION] = "interception",
					  [D_LOG] = "log",
					  [D_WORKERS] = "workers",
					  [D_RING] = "ring",
					  NULL};

static void daemon_entry(struct loader *l, int key, const struct lsca_config *v, void *obj)
{
	struct lscad_config *c = obj;
	int x;

	switch (key) {
	case D_SOCKET:
		get_path(l, v, true, &c->socket_path);
		break;
	case D_CONTROL:
		get_path(l, v, true, &c->control_socket);
		break;
	case D_ON_FAILURE:
		if (get_choice(l, v, on_failure_choices, &x))
			c->on_failure = (uint32_t)x;
		break;
	case D_INTERCEPTION:
		if (get_choice(l, v, interception_choices, &x))
			c->interception = (enum lscad_interception)x;
		break;
	case D_LOG:
		walk(l, v, log_keys, log_entry, c);
		break;
	case D_WORKERS:
		walk(l, v, workers_keys, workers_entry, c);
		break;
	default:
		walk(l, v, ring_keys, ring_entry, c);
		break;
	}
}

enum { P_NAME, P_PATH, P_ENABLED, P_CONFIG };
static const char *const plugin_keys[] = {
    [P_NAME] = "name", [P_PATH] = "path", [P_ENABLED] = "enabled", [P_CONFIG] = "config", NULL};

static void plugin_entry(struct loader *l, int key, const struct lsca_config *v, void *obj)
{
	struct lscad_plugin_conf *p = obj;
	const char *s;

	switch (key) {
	case P_NAME:
		s = scalar(l, v, "a plugin name");
		if (!s)
			break;
		if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
			strlen(s) ||
		    strlen(s) > NAME_MAX - 3 /* ".so" */)
			err_node(l, v, "'%s' is not a plugin name (letters, digits, '_', '-')", s);
		else
			p->name = (char *)s;
		break;
	case P_PATH:
		get_path(l, v, false, &p->path);
		break;
	case P_ENABLED:
		get_bool(l, v, &p->enabled);
		break;
	default:
		if (is_null(v))
			break;
		if (v->type != LSCA_CONFIG_MAPPING)
			bad_type(l, v, "a mapping (the plugin's own settings)");
		else
			p->section = v;
		break;
	}
}

static int cmp_plugin(const void *a, const void *b)
{
	const struct lscad_plugin_conf *x = *(const struct lscad_plugin_conf *const *)a;
	const struct lscad_plugin_conf *y = *(const struct lscad_plugin_conf *const *)b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	return x < y ? -1 : x > y;
}

static void dup_plugins(struct loader *l, struct lscad_config *c, const struct lsca_config *seq)
{
	struct lscad_plugin_conf **p;
	unsigned n = 0;

	if (c->nplugins < 2)
		return;
	p = malloc(c->nplugins * sizeof(*p));
	if (!p) {
		l->oom = true;
		return;
	}
	for (unsigned i = 0; i < c->nplugins; i++)
		if (c->plugins[i].name)
			p[n++] = &c->plugins[i];
	qsort(p, n, sizeof(*p), cmp_plugin);
	for (unsigned i = 1, first = 0; i < n; i++) {
		unsigned idx = (unsigned)(p[i] - c->plugins);
		const struct lsca_config *node = lsca_config_get(&seq->children[idx], "name");
		size_t mark;

		if (strcmp(p[i]->name, p[first]->name)) {
			first = i;
			continue;
		}
		if (!node)
			continue;
		mark = path_push(&l->path, NULL, idx);
		path_push(&l->path, "name", 0);
		err_node(l, node, "plugin '%s' is already listed (line %u, column %u)", p[i]->name,
			 p[first]->line, p[first]->column);
		path_pop(&l->path, mark);
	}
	free(p);
}

/* plugins[i] is item i of the sequence, even an invalid one: the
 * duplicate check reports positions by index. */
static void get_plugins(struct loader *l, struct lscad_config *c, const struct lsca_config *v)
{
	if (is_null(v))
		return;
	if (v->type != LSCA_CONFIG_SEQUENCE) {
		bad_type(l, v, "a list of plugins");
		return;
	}
	c->plugins = arena_alloc(l->a, (v->nchildren + 1) * sizeof(*c->plugins));
	if (!c->plugins) {
		l->oom = true;
		return;
	}
	c->nplugins = v->nchildren;
	for (unsigned i = 0; i < v->nchildren; i++) {
		const struct lsca_config *item = &v->children[i];
		struct lscad_plugin_conf *p = &c->plugins[i];
		size_t mark = path_push(&l->path, NULL, i);

		p->enabled = true;
		p->line = item->line;
		p->column = item->column;
		if (item->type != LSCA_CONFIG_MAPPING) {
			bad_type(l, item, "a mapping with at least 'name'");
		} else {
			walk(l, item, plugin_keys, plugin_entry, p);
			if (!lsca_config_get(item, "name"))
				err_node(l, item, "'name' is missing");
		}
		path_pop(&l->path, mark);
	}
	dup_plugins(l, c, v);
}

enum { A_UIDS, A_XUIDS, A_EXES, A_XEXES, A_UNITS, A_XUNITS };
static const char *const admission_keys[] = {[A_UIDS] = "uids",
					     [A_XUIDS] = "exclude_uids",
					     [A_EXES] = "executables",
					     [A_XEXES] = "exclude_executables",
					     [A_UNITS] = "units",
					     [A_XUNITS] = "exclude_units",
					     NULL};

static void admission_entry(struct loader *l, int key, const struct lsca_config *v, void *obj)
{
	struct lscad_admission *a = obj;

	switch (key) {
	case A_UIDS:
		get_uids(l, v, &a->uids);
		break;
	case A_XUIDS:
		get_uids(l, v, &a->exclude_uids);
		break;
	case A_EXES:
		get_globs(l, v, &a->exes);
		break;
	case A_XEXES:
		get_globs(l, v, &a->exclude_exes);
		break;
	case A_UNITS:
		get_globs(l, v, &a->units);
		break;
	default:
		get_globs(l, v, &a->exclude_units);
		break;
	}
}

static void get_placement(struct loader *l, struct lscad_config *c, const struct lsca_config *map)
{
	const char *names[LSCA_NOPS];

	for (unsigned i = 0; i < LSCA_NOPS; i++)
		names[i] = lsca_sysdesc_op(i)->name;
	if (is_null(map))
		return;
	if (map->type != LSCA_CONFIG_MAPPING) {
		bad_type(l, map, "a mapping of syscall names");
		return;
	}
	for (unsigned i = 0; i < map->nchildren; i++) {
		const struct lsca_config *v = &map->children[i];
		size_t mark = path_push(&l->path, v->key, 0);
		const struct lsca_sysdesc *d = NULL;
		char h[96];
		int x;

		for (unsigned op = 0; op < LSCA_NOPS && !d; op++)
			if (!strcmp(names[op], v->key))
				d = lsca_sysdesc_op(op);
		if (!d || d->nr >= LSCA_NR_MAX)
			err_node(l, v, "'%s' is not a syscall lscad handles%s", v->key,
				 hint(h, sizeof(h), v->key, names, LSCA_NOPS));
		else if (get_choice(l, v, placement_choices, &x))
			c->placement[d->nr] = (uint8_t)x;
		path_pop(&l->path, mark);
	}
}

enum { T_DAEMON, T_PLUGIN_DIR, T_PLUGINS, T_ADMISSION, T_PLACEMENT };
static const char *const top_keys[] = {
    [T_DAEMON] = "daemon",	 [T_PLUGIN_DIR] = "plugin_dir", [T_PLUGINS] = "plugins",
    [T_ADMISSION] = "admission", [T_PLACEMENT] = "placement",	NULL};

static void top_entry(struct loader *l, int key, const struct lsca_config *v, void *obj)
{
	struct lscad_config *c = obj;

	switch (key) {
	case T_DAEMON:
		walk(l, v, daemon_keys, daemon_entry, c);
		break;
	case T_PLUGIN_DIR:
		get_path(l, v, false, &c->plugin_dir);
		break;
	case T_PLUGINS:
		get_plugins(l, c, v);
		break;
	case T_ADMISSION:
		walk(l, v, admission_keys, admission_entry, &c->admission);
		break;
	default:
		get_placement(l, c, v);
		break;
	}
}

static void check(struct loader *l, struct lscad_config *c)
{
	if (!l->root || is_null(l->root))
		return; /* an empty file: every default */
	if (l->root->type != LSCA_CONFIG_MAPPING) {
		bad_type(l, l->root, "a mapping at the top level");
		return;
	}
	walk(l, l->root, top_keys, top_entry, c);
}

/* ---- API ---- */

struct lscad_config *config_defaults(const char *plugin_dir)
{
	struct arena *a = calloc(1, sizeof(*a));
	struct lscad_config *c;

	if (!a)
		return NULL;
	c = arena_alloc(a, sizeof(*c));
	if (!c)
		goto fail;
	c->doc = a;
	c->socket_path = arena_strdup(a, LSCA_DEFAULT_SOCKET);
	c->control_socket = arena_strdup(a, LSCAD_DEFAULT_CONTROL);
	c->plugin_dir = arena_strdup(a, plugin_dir ? plugin_dir : LSCAD_DEFAULT_PLUGIN_DIR);
	if (!c->socket_path || !c->control_socket || !c->plugin_dir)
		goto fail;
	c->on_failure = LSCA_ON_FAILURE_PASSTHROUGH;
	c->interception = LSCAD_INTERCEPT_COMPLETE;
	c->log_target = LSCAD_LOG_STDERR;
	c->log_level = LOG_INFO;
	c->max_workers = 4096;
	c->spin_us = 100;
	c->slots = 64;
	c->slot_kib = 128;
	return c;
fail:
	arena_free(a);
	return NULL;
}

struct lscad_config *config_load(const char *path, const char *default_plugin_dir, char **errors)
{
	struct lscad_config *c = config_defaults(default_plugin_dir);
	struct loader l = {.file = path};
	char *buf = NULL;
	size_t len = 0;

	if (errors)
		*errors = NULL;
	if (!c || !(c->file = arena_strdup(c->doc, path))) {
		l.oom = true;
		goto out;
	}
	l.file = c->file;
	l.a = c->doc;
	if (read_file(&l, &buf, &len) == 0 && parse(&l, buf, len) == 0 && !l.fatal)
		check(&l, c);
out:
	free(buf);
	if (l.nerrs || l.oom) {
		if (errors)
			*errors = errors_join(&l);
		config_free(c);
		c = NULL;
	}
	loader_done(&l);
	return c;
}

void config_free(struct lscad_config *c)
{
	if (c)
		arena_free(c->doc);
}

static bool uid_in(const struct lscad_uidlist *l, uid_t uid)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->v[i] == uid)
			return true;
	return false;
}

static bool glob_in(const struct lscad_strlist *l, const char *s)
{
	if (!s)
		return false;
	for (unsigned i = 0; i < l->n; i++)
		if (!fnmatch(l->v[i], s, 0))
			return true;
	return false;
}

bool config_admits(const struct lscad_config *c, uid_t uid, const char *exe, const char *unit)
{
	const struct lscad_admission *a = &c->admission;

	if (a->uids.n && !uid_in(&a->uids, uid))
		return false;
	if (a->exes.n && !glob_in(&a->exes, exe))
		return false;
	if (a->units.n && !glob_in(&a->units, unit))
		return false;
	return !uid_in(&a->exclude_uids, uid) && !glob_in(&a->exclude_exes, exe) &&
	       !glob_in(&a->exclude_units, unit);
}
