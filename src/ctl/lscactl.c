/* SPDX-License-Identifier: MIT */
/*
 * lscactl - control LSCA. Verbs are a table; each lives in its own module.
 */
#include <stdio.h>
#include <string.h>

#include "../common/proto.h"
#include "ctl.h"
#include "run.h"

#define LSCA_VERSION "0.1.0"

static const struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} verbs[] = {
    {"run", ctl_run, "run -- CMD [ARG...]   run a command under a private lscad"},
    {"status", ctl_status, "status                lscad's state, load and busiest syscalls"},
    {"clients", ctl_clients, "clients               the processes attached to lscad"},
    {"plugins", ctl_plugins, "plugins               list the plugins lscad has loaded"},
    {"stats", ctl_stats, "stats [--reset]       per-syscall statistics (then zero them)"},
    {"reload", ctl_reload, "reload                re-read lscad's configuration and plugins"},
    {"enable", ctl_enable, "enable UNIT [--now]   preload the shim into a systemd unit"},
    {"disable", ctl_disable, "disable UNIT [--now]  undo enable"},
    {"preload", ctl_preload,
     "preload enable|disable|status [--force]\n"
     "                        the opt-in whole-system mode (/etc/ld.so.preload)"},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: lscactl VERB [OPTION...]\n\nVerbs:\n");
	for (unsigned i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %s\n", verbs[i].help);
	fprintf(f, "\n  --help      this text\n  --version   print the version\n"
		   "\nVerbs talking to lscad take --control PATH (default $LSCA_CONTROL, else "
		   "/run/lsca/control.sock);\nevery verb but run takes --json. Exit: 0 ok, 1 "
		   "refused or failed, 2 usage, 3 lscad unreachable.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("lscactl %s (protocol %u)\n", LSCA_VERSION, LSCA_PROTO_VERSION);
		return 0;
	}
	for (unsigned i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "lscactl: unknown verb '%s' (see lscactl --help)\n", argv[1]);
	return 2;
}
