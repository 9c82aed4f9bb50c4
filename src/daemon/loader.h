/* SPDX-License-Identifier: MIT */
/*
 * loader.h - plugins, loaded as one set per configuration.
 *
 * A plugin_set is one generation: the plugins a configuration lists,
 * loaded and initialised, their dispatch table, and the placement of every
 * syscall derived from what they registered. Loading never touches the set
 * in service; a reload builds a new set and swaps it in. Workers hold a
 * reference to the set they serve with; the last reference runs every
 * plugin's fini() and unloads it.
 */
#ifndef LSCA_LOADER_H
#define LSCA_LOADER_H

#include <lsca/plugin.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "dispatch.h"

struct plugin_set;

/* A handler registered during init(), entered into the table only when
 * init() succeeds. */
struct plugin_staged {
	long nr;
	int priority;
	struct lsca_handler h;
};

struct plugin {
	struct dispatch_owner owner; /* name and index in the set */
	char *path;
	void *handle;
	const struct lsca_plugin *desc;
	struct lsca_plugin_ctx ctx;
	struct plugin_set *set;
	bool initialised;
	unsigned handlers;
	struct plugin_staged *staged;
	unsigned nstaged;
};

struct plugin_set {
	_Atomic long refs;
	unsigned gen;
	struct lscad_config *cfg; /* owned: plugin sections point into it */
	struct dispatch *dispatch;
	struct plugin *v;
	unsigned n;
	uint8_t place[LSCA_PLACE_NR]; /* LSCA_PLACE_* per syscall number */
	bool any_observe;
	bool loading;	/* register_handler is allowed only now */
	char *messages; /* what loading said: refused plugins, warnings */
	size_t messages_len;
};

/* Load the plugins cfg lists (the set takes cfg, even on failure) and
 * derive the placement. A plugin that cannot be loaded (missing file,
 * wrong ABI, no descriptor, failed init) is refused with a message naming
 * the file and the reason, and the others load; with strict set it is a
 * failure instead (lscad --check-config). A placement the config forces
 * against the plugins (observe where a plugin may deny) fails the load.
 * On failure returns NULL and *errors (malloc'd) says why. */
struct plugin_set *plugin_set_load(struct lscad_config *cfg, unsigned gen, bool strict,
				   char **errors);

struct plugin_set *plugin_set_ref(struct plugin_set *s);
/* Drop a reference; the last one finalises and unloads. Returns NULL. */
struct plugin_set *plugin_set_unref(struct plugin_set *s);
/* The same from a worker, which acts as its client: the last reference is
 * finalised by the main loop, as lscad. */
struct plugin_set *plugin_set_unref_deferred(struct plugin_set *s);

/* Log a line and keep it among the set's messages (what loading said). */
void plugin_set_say(struct plugin_set *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Each plugin's flush() / reopen(), guarded. */
void plugin_set_flush(struct plugin_set *s);
void plugin_set_reopen(struct plugin_set *s);

/* A client is gone (or moves to another set): hand every plugin its state
 * back (client_gone) and clear states[]. */
void plugin_set_client_gone(struct plugin_set *s, const struct lsca_client_info *client,
			    void **states);

#endif /* LSCA_LOADER_H */
