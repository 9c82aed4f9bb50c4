/* SPDX-License-Identifier: MIT */
#include "dispatch.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ring.h"
#include "log.h"

/* A plugin cannot make the daemon grow a chain without bound. */
#define DISPATCH_MAX_CHAIN 64
#define GUARD_STACK	   (64 * 1024)

/* Where a crashing handler resumes: set only while plugin code runs. */
static __thread sigjmp_buf *guard_jmp;
static __thread volatile sig_atomic_t guard_sig;

static void guard_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (guard_jmp) {
		guard_sig = sig;
		siglongjmp(*guard_jmp, 1);
	}
	/* lscad's own fault: die as it would have, with a core */
	signal(sig, SIG_DFL);
	raise(sig);
}

int dispatch_guard_install(void)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	/* NODEFER: no mask to restore after the jump; ONSTACK: stack overflow */
	struct sigaction sa = {.sa_sigaction = guard_handler,
			       .sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK};

	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	return dispatch_guard_thread();
}

int dispatch_guard_thread(void)
{
	stack_t ss = {.ss_size = GUARD_STACK};

	ss.ss_sp = malloc(GUARD_STACK);
	if (!ss.ss_sp)
		return -ENOMEM;
	if (sigaltstack(&ss, NULL) < 0) {
		free(ss.ss_sp);
		return -errno;
	}
	return 0; /* the stack lives as long as the thread; lscad reuses none */
}

int dispatch_guarded(void (*fn)(void *), void *arg)
{
	sigjmp_buf jb, *prev = guard_jmp;

	if (sigsetjmp(jb, 0)) {
		guard_jmp = prev;
		return guard_sig;
	}
	guard_jmp = &jb;
	fn(arg);
	guard_jmp = prev;
	return 0;
}

struct dispatch *dispatch_new(void)
{
	return calloc(1, sizeof(struct dispatch));
}

struct dispatch *dispatch_free(struct dispatch *d)
{
	if (!d)
		return NULL;
	for (unsigned i = 0; i < LSCA_NR_MAX; i++)
		free(d->chains[i].v);
	free(d);
	return NULL;
}

int dispatch_register(struct dispatch *d, long nr, int priority, const struct lsca_handler *h,
		      struct dispatch_owner *owner)
{
	struct dispatch_chain *c;
	struct dispatch_entry *v, e;
	unsigned i;

	if (!h || (!h->pre && !h->post) || !lsca_sysdesc(nr) || !owner ||
	    owner->index >= DISPATCH_MAX_OWNERS)
		return -EINVAL;
	c = &d->chains[nr];
	if (c->n >= DISPATCH_MAX_CHAIN)
		return -ENOSPC;
	v = realloc(c->v, (c->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->v = v;
	e = (struct dispatch_entry){
	    .priority = priority, .order = d->registered++, .h = *h, .owner = owner};
	/* insertion keeps the chain sorted by (priority, registration order) */
	for (i = c->n; i > 0 && v[i - 1].priority > priority; i--)
		v[i] = v[i - 1];
	v[i] = e;
	c->n++;
	c->npre += h->pre != NULL;
	c->npost += h->post != NULL;
	return 0;
}

static void crashed(const struct dispatch_entry *e, const struct lsca_call *call, const char *what)
{
	/* the first crash disables the plugin; later ones are not logged */
	if (!atomic_exchange(&e->owner->broken, true))
		log_error("plugin %s crashed (%s) in its %s-handler for %s (pid %d); "
			  "it is disabled until the next reload",
			  e->owner->name, strsignal(guard_sig), what, call->name,
			  call->client ? (int)call->client->pid : 0);
}

/* One pre-handler under the guard; false when it crashed. */
static bool guarded_pre(const struct dispatch_entry *e, struct lsca_call *call, void **states,
			long *result, enum lsca_verdict *v)
{
	sigjmp_buf jb, *prev = guard_jmp;

	if (sigsetjmp(jb, 0)) {
		guard_jmp = prev;
		crashed(e, call, "pre");
		return false;
	}
	guard_jmp = &jb;
	call->state = &states[e->owner->index];
	*v = e->h.pre(call, result, e->h.userdata);
	guard_jmp = prev;
	return true;
}

static void guarded_post(const struct dispatch_entry *e, struct lsca_call *call, void **states,
			 long result)
{
	sigjmp_buf jb, *prev = guard_jmp;

	if (sigsetjmp(jb, 0)) {
		guard_jmp = prev;
		crashed(e, call, "post");
		return;
	}
	guard_jmp = &jb;
	call->state = &states[e->owner->index];
	e->h.post(call, result, e->h.userdata);
	guard_jmp = prev;
}

/* A call that makes an fd, or whose effect only the client can have (close,
 * chdir), can be emulated with an error only: a number would name no fd. */
static bool emulable(const struct dispatch_entry *e, const struct lsca_call *call)
{
	const struct lsca_sysdesc *d = lsca_sysdesc(call->nr);

	if (!(d->flags & (LSCA_S_NEWFD | LSCA_S_LOCAL | LSCA_S_CWD)))
		return true;
	log_warn("plugin %s completed %s with a result >= 0; only an error can stand for "
		 "it (the call fails with EIO)",
		 e->owner->name, call->name);
	return false;
}

static bool skip(const struct dispatch_entry *e)
{
	return atomic_load_explicit(&e->owner->broken, memory_order_relaxed);
}

void dispatch_observe(const struct dispatch *d, struct lsca_call *call, void **states, long result)
{
	const struct dispatch_chain *c = &d->chains[call->nr];

	for (unsigned i = 0; i < c->n; i++)
		if (c->v[i].h.post && !skip(&c->v[i]))
			guarded_post(&c->v[i], call, states, result);
	call->state = NULL;
}

long dispatch_run(const struct dispatch *d, struct lsca_call *call, void **states,
		  dispatch_exec_fn exec, void *exec_arg)
{
	const struct dispatch_chain *c = &d->chains[call->nr];
	long result = 0;
	bool decided = false;

	for (unsigned i = 0; i < c->n && !decided; i++) {
		const struct dispatch_entry *e = &c->v[i];
		enum lsca_verdict v;

		if (!e->h.pre || skip(e))
			continue;
		if (!guarded_pre(e, call, states, &result, &v)) {
			result = -EIO; /* it may have meant to refuse: never run it */
			decided = true;
			break;
		}
		switch (v) {
		case LSCA_CONTINUE:
			break;
		case LSCA_DENY:
			/* a deny must be an error, whatever the handler wrote */
			if (result >= 0 || result < -4095)
				result = -EPERM;
			decided = true;
			break;
		case LSCA_COMPLETE:
		default:
			if (result < -4095 || (result >= 0 && !emulable(e, call)))
				result = -EIO;
			decided = true;
			break;
		}
	}
	call->state = NULL;
	if (!decided && c->npost) {
		uint64_t t0 = lsca_now_ns(); /* only someone watching needs it */

		result = exec(call, exec_arg);
		call->latency_ns = lsca_now_ns() - t0;
	} else if (!decided) {
		result = exec(call, exec_arg);
	}
	if (call->flags & DISPATCH_POST_BY_CLIENT)
		call->flags &= ~DISPATCH_POST_BY_CLIENT; /* they see it when it is posted */
	else
		dispatch_observe(d, call, states, result);
	return result;
}

void dispatch_unregister(struct dispatch *d, const struct dispatch_owner *owner)
{
	for (unsigned nr = 0; nr < LSCA_NR_MAX; nr++) {
		struct dispatch_chain *c = &d->chains[nr];
		unsigned k = 0;

		for (unsigned i = 0; i < c->n; i++) {
			if (c->v[i].owner == owner) {
				c->npre -= c->v[i].h.pre != NULL;
				c->npost -= c->v[i].h.post != NULL;
				continue;
			}
			c->v[k++] = c->v[i];
		}
		c->n = k;
	}
}

unsigned dispatch_chain_len(const struct dispatch *d, long nr)
{
	return lsca_sysdesc(nr) ? d->chains[nr].n : 0;
}

unsigned dispatch_npre(const struct dispatch *d, long nr)
{
	return lsca_sysdesc(nr) ? d->chains[nr].npre : 0;
}

unsigned dispatch_npost(const struct dispatch *d, long nr)
{
	return lsca_sysdesc(nr) ? d->chains[nr].npost : 0;
}
