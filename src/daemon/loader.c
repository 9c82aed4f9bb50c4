/* SPDX-License-Identifier: MIT */
#include "loader.h"

#include <dlfcn.h>
#include <glib.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "log.h"
#include "lscad.h"

#define say plugin_set_say

void plugin_set_say(struct plugin_set *s, int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t n;
	char *m;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(level, "%s", line);
	n = strlen(line);
	m = realloc(s->messages, s->messages_len + n + 2);
	if (!m)
		return;
	memcpy(m + s->messages_len, line, n);
	m[s->messages_len + n] = '\n';
	m[s->messages_len + n + 1] = '\0';
	s->messages = m;
	s->messages_len += n + 1;
}

/* As sudo does: a root daemon runs only code that root alone could have
 * put there. */
static const char *unsafe_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (geteuid() == 0 && st.st_uid != 0)
		return "not owned by root";
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

static const char *abi_refusal(const struct lsca_plugin *desc, char *buf, size_t len)
{
	unsigned major = desc->abi_version >> 16, minor = desc->abi_version & 0xffff;

	if (major == LSCA_PLUGIN_ABI_MAJOR && minor <= LSCA_PLUGIN_ABI_MINOR)
		return NULL;
	snprintf(buf, len, "built for plugin ABI %u.%u, lscad provides %u.%u", major, minor,
		 (unsigned)LSCA_PLUGIN_ABI_MAJOR, (unsigned)LSCA_PLUGIN_ABI_MINOR);
	return buf;
}

struct init_call {
	struct plugin *p;
	const struct lsca_config *section;
	int r;
};

static void run_init(void *arg)
{
	struct init_call *ic = arg;

	ic->r = ic->p->desc->init(&ic->p->ctx, ic->section);
}

/* Returns NULL, or why the plugin is refused. */
static const char *load_one(struct plugin_set *s, struct plugin *p,
			    const struct lscad_plugin_conf *pc, char *why, size_t len)
{
	struct init_call ic = {.p = p, .section = pc->section};
	const char *bad;
	int sig;

	bad = unsafe_file(p->path);
	if (bad)
		return bad;
	p->handle = dlopen(p->path, RTLD_NOW | RTLD_LOCAL);
	if (!p->handle) {
		snprintf(why, len, "%s", dlerror());
		return why;
	}
	p->desc = dlsym(p->handle, LSCA_PLUGIN_SYMBOL);
	if (!p->desc)
		return "it exports no " LSCA_PLUGIN_SYMBOL;
	bad = abi_refusal(p->desc, why, len);
	if (bad)
		return bad;
	if (!p->desc->init)
		return "its descriptor has no init()";
	host_ctx_init(&p->ctx, p);
	sig = dispatch_guarded(run_init, &ic);
	if (sig) {
		/* its state is unknown: never call it again, never unload it */
		atomic_store(&p->owner.broken, true);
		snprintf(why, len, "init() crashed (%s)", strsignal(sig));
		return why;
	}
	if (ic.r < 0) {
		snprintf(why, len, "init() failed: %s", strerror(-ic.r));
		return why;
	}
	p->initialised = true;
	return host_commit(p, s->dispatch) < 0 ? "too many handlers" : NULL;
}

struct ctx_call {
	void (*fn)(struct lsca_plugin_ctx *ctx);
	struct lsca_plugin_ctx *ctx;
};

static void run_ctx(void *arg)
{
	struct ctx_call *c = arg;

	c->fn(c->ctx);
}

static void unload_one(struct plugin *p)
{
	if (p->initialised && !atomic_load(&p->owner.broken) && p->desc->fini) {
		struct ctx_call c = {.fn = p->desc->fini, .ctx = &p->ctx};

		if (dispatch_guarded(run_ctx, &c))
			log_error("plugin %s crashed in fini()", p->owner.name);
	}
	host_ctx_release(p);
	/* a plugin that crashed may hold locks or threads: keep its code */
	if (p->handle && !atomic_load(&p->owner.broken))
		dlclose(p->handle);
	p->handle = NULL;
	p->initialised = false;
}

/* Placement per syscall: what its handlers need, unless the config says
 * otherwise (never observe where a plugin may deny or rewrite). */
static int derive_placement(struct plugin_set *s, bool strict)
{
	int errs = 0;

	memset(s->place, LSCA_PLACE_PROXY, sizeof(s->place));
	for (unsigned op = 0; op < LSCA_NOPS; op++) {
		const struct lsca_sysdesc *d = lsca_sysdesc_op(op);
		unsigned npre = dispatch_npre(s->dispatch, d->nr);
		unsigned npost = dispatch_npost(s->dispatch, d->nr);
		uint8_t forced = s->cfg->placement[d->nr];
		uint8_t p = npre ? LSCA_PLACE_PROXY : npost ? LSCA_PLACE_OBSERVE : LSCA_PLACE_PROXY;

		if (d->flags & LSCA_S_CLIENT) {
			/* only the client can run it: watched, or left alone */
			p = npost ? LSCA_PLACE_OBSERVE : LSCA_PLACE_DIRECT;
			if (forced == LSCA_PLACE_PROXY) {
				say(s, LOG_ERR,
				    "%s: placement.%s: cannot be proxy: lscad cannot run it",
				    s->cfg->file ? s->cfg->file : "(defaults)", d->name);
				errs++;
				continue;
			}
		}

		if (forced == LSCA_PLACE_OBSERVE && npre) {
			say(s, LOG_ERR,
			    "%s: placement.%s: cannot be observe: a plugin may deny or rewrite "
			    "it (it has a pre-handler)",
			    s->cfg->file ? s->cfg->file : "(defaults)", d->name);
			errs++;
			continue;
		}
		if (forced == LSCA_PLACE_DIRECT && (npre || npost))
			say(s, strict ? LOG_ERR : LOG_WARNING,
			    "placement.%s: direct: its %u handler(s) will never see it", d->name,
			    npre + npost);
		if (forced)
			p = forced;
		s->any_observe |= p == LSCA_PLACE_OBSERVE || (p == LSCA_PLACE_PROXY && npost);
		if (npost)
			p |= LSCA_PLACE_WATCHED;
		if (npre)
			p |= LSCA_PLACE_GUARDED;
		s->place[d->nr] = p;
	}
	return errs ? -EINVAL : 0;
}

static void set_free(struct plugin_set *s)
{
	for (unsigned i = s->n; i-- > 0;) {
		unload_one(&s->v[i]);
		free(s->v[i].path);
	}
	free(s->v);
	dispatch_free(s->dispatch);
	config_free(s->cfg);
	free(s->messages);
	free(s);
}

struct plugin_set *plugin_set_load(struct lscad_config *cfg, unsigned gen, bool strict,
				   char **errors)
{
	struct plugin_set *s = calloc(1, sizeof(*s));
	unsigned refused = 0;

	*errors = NULL;
	if (!s || !(s->dispatch = dispatch_new()) ||
	    !(s->v = calloc(cfg->nplugins ? cfg->nplugins : 1, sizeof(*s->v)))) {
		if (s)
			dispatch_free(s->dispatch);
		free(s);
		config_free(cfg);
		*errors = strdup("out of memory");
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->gen = gen;
	s->cfg = cfg;
	s->loading = true;
	for (unsigned i = 0; i < cfg->nplugins; i++) {
		const struct lscad_plugin_conf *pc = &cfg->plugins[i];
		struct plugin *p = &s->v[s->n];
		char why[512];
		const char *bad;

		if (!pc->enabled)
			continue;
		if (s->n >= DISPATCH_MAX_OWNERS) {
			say(s, LOG_ERR, "plugin %s: more than %d plugins", pc->name,
			    DISPATCH_MAX_OWNERS);
			refused++;
			continue;
		}
		p->owner.name = pc->name;
		p->owner.index = s->n;
		p->set = s;
		if (pc->path)
			p->path = strdup(pc->path);
		else if (asprintf(&p->path, "%s/%s.so", cfg->plugin_dir, pc->name) < 0)
			p->path = NULL;
		bad = p->path ? load_one(s, p, pc, why, sizeof(why)) : "out of memory";
		if (bad) {
			say(s, LOG_ERR, "plugin %s (%s): refused: %s", pc->name,
			    p->path ? p->path : "?", bad);
			unload_one(p);
			free(p->path);
			memset(p, 0, sizeof(*p));
			refused++;
			continue;
		}
		log_info("plugin %s %s loaded from %s (%u handler(s))", p->owner.name,
			 p->desc->version ? p->desc->version : "", p->path, p->handlers);
		s->n++;
	}
	s->loading = false;
	if (derive_placement(s, strict) < 0 || (strict && refused)) {
		*errors = s->messages ? strdup(s->messages) : strdup("invalid configuration");
		set_free(s);
		return NULL;
	}
	return s;
}

struct plugin_set *lscad_plugins(struct lscad *d)
{
	struct plugin_set *s;

	pthread_mutex_lock(&d->plugins_lock);
	s = plugin_set_ref(d->plugins);
	pthread_mutex_unlock(&d->plugins_lock);
	return s;
}

struct plugin_set *plugin_set_ref(struct plugin_set *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

struct plugin_set *plugin_set_unref(struct plugin_set *s)
{
	if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
		set_free(s);
	return NULL;
}

static gboolean free_later(gpointer s)
{
	set_free(s);
	return G_SOURCE_REMOVE;
}

struct plugin_set *plugin_set_unref_deferred(struct plugin_set *s)
{
	/* a worker acts as its client: fini() must run as lscad */
	if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
		g_idle_add(free_later, s);
	return NULL;
}

static void each(struct plugin_set *s, size_t member)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct plugin *p = &s->v[i];
		struct ctx_call c = {.ctx = &p->ctx};

		if (atomic_load_explicit(&p->owner.broken, memory_order_relaxed))
			continue;
		memcpy(&c.fn, (const char *)p->desc + member, sizeof(c.fn));
		if (c.fn && dispatch_guarded(run_ctx, &c)) {
			atomic_store(&p->owner.broken, true);
			log_error("plugin %s crashed in a %s call; it is disabled until the "
				  "next reload",
				  p->owner.name,
				  member == offsetof(struct lsca_plugin, flush) ? "flush"
										: "reopen");
		}
	}
}

void plugin_set_flush(struct plugin_set *s)
{
	each(s, offsetof(struct lsca_plugin, flush));
}

void plugin_set_reopen(struct plugin_set *s)
{
	each(s, offsetof(struct lsca_plugin, reopen));
}

struct gone_call {
	struct plugin *p;
	const struct lsca_client_info *client;
	void *state;
};

static void run_gone(void *arg)
{
	struct gone_call *g = arg;

	g->p->desc->client_gone(&g->p->ctx, g->client, g->state);
}

void plugin_set_client_gone(struct plugin_set *s, const struct lsca_client_info *client,
			    void **states)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct plugin *p = &s->v[i];
		struct gone_call g = {.p = p, .client = client, .state = states[i]};

		states[i] = NULL;
		if (!g.state || !p->desc->client_gone ||
		    atomic_load_explicit(&p->owner.broken, memory_order_relaxed))
			continue;
		if (dispatch_guarded(run_gone, &g)) {
			atomic_store(&p->owner.broken, true);
			log_error("plugin %s crashed in client_gone(); it is disabled until the "
				  "next reload",
				  p->owner.name);
		}
	}
}
