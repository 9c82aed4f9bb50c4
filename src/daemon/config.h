/* SPDX-License-Identifier: MIT */
/*
 * config.h - lscad.yaml: parsed with libyaml into a tree of lsca_config
 * nodes (the same nodes a plugin gets for its own section), then checked
 * against the schema below into struct lscad_config.
 *
 *   daemon:
 *     socket: /run/lsca/lscad.sock        # clients connect here
 *     control_socket: /run/lsca/control.sock
 *     on_failure: passthrough             # passthrough | deny
 *     interception: complete              # complete | entry-points
 *     log: { target: stderr, level: info } # stderr | journal; error|warning|info|debug
 *     workers: { max: 4096, spin_us: 100 } # one worker per attached process
 *     ring: { slots: 64, slot_kib: 128 }
 *   plugin_dir: /usr/lib64/lsca/plugins
 *   plugins:                              # loaded in this order
 *     - name: audit                       # file: plugin_dir/audit.so
 *       path: /opt/x/audit.so             # optional, instead
 *       enabled: true                     # optional
 *       config: { ... }                   # the plugin's own section
 *   admission:                            # who is served at all (omitted: everyone)
 *     uids: [0, 1000, nobody]  exclude_uids: [...]
 *     executables: ["/usr/sbin/nginx"] exclude_executables: [...]   (fnmatch globs)
 *     units: ["nginx.service"]  exclude_units: [...]              (fnmatch globs)
 *   placement:                            # force a syscall's placement
 *     read: observe                       # proxy | observe | direct
 *
 * Every error names FILE:LINE:COLUMN and the key; an unknown key is an
 * error (a typo must not be silently ignored).
 */
#ifndef LSCA_CONFIG_H
#define LSCA_CONFIG_H

#include <lsca/plugin.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/proto.h"
#include "../common/sysdesc.h"

#define LSCAD_DEFAULT_CONFIG  "/etc/lsca/lscad.yaml"
#define LSCAD_DEFAULT_CONTROL "/run/lsca/control.sock"
#ifndef LSCAD_DEFAULT_PLUGIN_DIR
#define LSCAD_DEFAULT_PLUGIN_DIR "/usr/lib64/lsca/plugins"
#endif

enum lscad_log_target {
	LSCAD_LOG_STDERR = 0,
	LSCAD_LOG_JOURNAL = 1,
};

enum lscad_interception {
	LSCAD_INTERCEPT_ENTRY = 0,    /* libc's exported entry points */
	LSCAD_INTERCEPT_COMPLETE = 1, /* also libc-internal syscalls (issue 4) */
};

struct lscad_plugin_conf {
	char *name;
	char *path; /* NULL: <plugin_dir>/<name>.so */
	bool enabled;
	const struct lsca_config *section; /* "config:", or NULL */
	unsigned line, column;		   /* of the list item */
};

/* A list of strings (globs) or uids; empty means "no constraint". */
struct lscad_strlist {
	char **v;
	unsigned n;
};

struct lscad_uidlist {
	uid_t *v;
	unsigned n;
};

struct lscad_admission {
	struct lscad_uidlist uids, exclude_uids;
	struct lscad_strlist exes, exclude_exes;
	struct lscad_strlist units, exclude_units;
};

struct lscad_config {
	char *file; /* the file parsed, NULL for the built-in defaults */
	/* daemon */
	char *socket_path;
	char *control_socket;
	uint32_t on_failure; /* enum lsca_on_failure (proto.h) */
	enum lscad_interception interception;
	enum lscad_log_target log_target;
	int log_level; /* LOG_ERR .. LOG_DEBUG */
	uint32_t max_workers;
	uint32_t spin_us;
	uint32_t slots;
	uint32_t slot_kib;
	/* plugins */
	char *plugin_dir;
	struct lscad_plugin_conf *plugins;
	unsigned nplugins;
	struct lscad_admission admission;
	/* forced placement per syscall number: LSCA_PLACE_* (proto.h), 0 = derived */
	uint8_t placement[LSCA_NR_MAX];
	void *doc; /* owns every node and string above */
};

/* The built-in defaults (no file): the values in the comment above, no
 * plugins, everyone admitted. plugin_dir is the argument. NULL on ENOMEM. */
struct lscad_config *config_defaults(const char *plugin_dir);

/* Parse and check path. On success returns the config. On failure returns
 * NULL and *errors (malloc'd, to free) holds one line per problem:
 *   "FILE:LINE:COLUMN: KEY: what is wrong"
 * A missing file is one such line ("FILE: cannot open: ..."). Values not
 * in the file take the defaults, plugin_dir too. */
struct lscad_config *config_load(const char *path, const char *default_plugin_dir, char **errors);

void config_free(struct lscad_config *c);

/* Whether a client with this identity is served (admission rules). unit
 * may be NULL (not in a systemd unit). */
bool config_admits(const struct lscad_config *c, uid_t uid, const char *exe, const char *unit);

#endif /* LSCA_CONFIG_H */
