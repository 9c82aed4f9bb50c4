/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - lscactl's verbs that act on an installed LSCA, and the helpers
 * they share: options, the D-Bus peer-to-peer call to lscad's control
 * socket (see common/control.h), JSON strings, where the shim is.
 *
 * Exit codes: 0 done; 1 refused or failed (lscad refused a reload, a file
 * lscactl did not write, an I/O error); 2 usage; 3 lscad cannot be reached
 * (for `status`: not running, as systemctl says).
 */
#ifndef LSCA_CTL_H
#define LSCA_CTL_H

#include <gio/gio.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CTL_DEFAULT_CONTROL  "/run/lsca/control.sock"
#define CTL_EXIT_REFUSED     1
#define CTL_EXIT_USAGE	     2
#define CTL_EXIT_UNREACHABLE 3

/* Options a verb accepts besides --json and --help. */
enum {
	CTL_OPT_CONTROL = 1u << 0, /* --control PATH */
	CTL_OPT_RESET = 1u << 1,   /* --reset */
	CTL_OPT_NOW = 1u << 2,	   /* --now */
	CTL_OPT_FORCE = 1u << 3,   /* --force */
	CTL_OPT_ROOT = 1u << 4,	   /* --root DIR */
	CTL_OPT_FILE = 1u << 5,	   /* --file PATH */
};

struct ctl_opts {
	const char *control; /* --control, $LSCA_CONTROL, or the default */
	bool json, reset, now, force;
	const char *root, *file;
	char **args; /* positional arguments */
	int nargs;
};

/* Parse argv (argv[0] is the verb). Returns 1 to go on, 0 after --help,
 * -CTL_EXIT_USAGE on a bad option (said on stderr). */
int ctl_parse(int argc, char **argv, const char *verb, const char *usage, unsigned allow,
	      struct ctl_opts *o);
/* 0, or -CTL_EXIT_USAGE (said) when positional arguments were given. */
int ctl_no_args(const struct ctl_opts *o, const char *verb);

/* Call method on lscad; type is the reply's. NULL when lscad cannot be
 * reached: ctl_call says why on stderr, ctl_call_quiet in *error. */
GVariant *ctl_call(const struct ctl_opts *o, const char *method, const char *type);
GVariant *ctl_call_quiet(const struct ctl_opts *o, const char *method, const char *type,
			 char **error);

/* s as a JSON string on stdout. */
void ctl_json_str(const char *s);

/* The shim to preload: an uninstalled lscactl's build tree, else the
 * installed one. Returns 0 or -errno. */
int ctl_find_shim(char *buf, size_t len);

/* Write content to path atomically: a temp file in the same directory,
 * fsync, rename, fsync the directory. Returns 0 or -errno. */
int ctl_write_atomic(const char *path, const char *content, mode_t mode);

int ctl_reload(int argc, char **argv);
int ctl_plugins(int argc, char **argv);
int ctl_status(int argc, char **argv);	/* status.c */
int ctl_clients(int argc, char **argv); /* status.c */
int ctl_stats(int argc, char **argv);	/* status.c */
int ctl_enable(int argc, char **argv);	/* unit.c */
int ctl_disable(int argc, char **argv); /* unit.c */
int ctl_preload(int argc, char **argv); /* preload.c */

#endif /* LSCA_CTL_H */
