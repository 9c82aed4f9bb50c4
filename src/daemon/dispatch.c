/* SPDX-License-Identifier: MIT */
#include "dispatch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

/* A plugin cannot make the daemon grow a chain without bound. */
#define DISPATCH_MAX_CHAIN 64

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
		      const char *owner)
{
	struct dispatch_chain *c;
	struct dispatch_entry *v, e;
	unsigned i;

	if (!h || (!h->pre && !h->post) || !lsca_sysdesc(nr))
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
	return 0;
}

long dispatch_run(const struct dispatch *d, struct lsca_call *call, dispatch_exec_fn exec,
		  void *exec_arg)
{
	const struct dispatch_chain *c = &d->chains[call->nr];
	long result = 0;
	bool decided = false;

	for (unsigned i = 0; i < c->n && !decided; i++) {
		const struct lsca_handler *h = &c->v[i].h;

		if (!h->pre)
			continue;
		switch (h->pre(call, &result, h->userdata)) {
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
			decided = true;
			break;
		}
	}
	if (!decided)
		result = exec(call, exec_arg);
	for (unsigned i = 0; i < c->n; i++)
		if (c->v[i].h.post)
			c->v[i].h.post(call, result, c->v[i].h.userdata);
	return result;
}

unsigned dispatch_chain_len(const struct dispatch *d, long nr)
{
	return lsca_sysdesc(nr) ? d->chains[nr].n : 0;
}
