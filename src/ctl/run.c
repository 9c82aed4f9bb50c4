/* SPDX-License-Identifier: MIT */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/proto.h"
#include "summary.h"

#ifndef LSCA_SBINDIR
#define LSCA_SBINDIR "/usr/sbin"
#endif
#ifndef LSCA_LIBDIR
#define LSCA_LIBDIR "/usr/lib64"
#endif

#define EXIT_LSCACTL	 125
#define READY_TIMEOUT_MS 10000

struct run {
	char dir[PATH_MAX - 64]; /* private runtime directory */
	char sock[PATH_MAX];
	char stats[PATH_MAX];
	char notify[PATH_MAX];
	char control[PATH_MAX];
	char lscad[PATH_MAX];
	char shim[PATH_MAX];
	char plugin_dir[PATH_MAX];
	char audit_config[PATH_MAX];
	const char *config; /* --config, or the one --audit wrote */
	const char *summary_file;
	FILE *summary; /* opened before the command runs: fail early */
	const char *spin_us;
	pid_t daemon;
};

/* An uninstalled lscactl finds its daemon and shim beside itself, in the
 * build tree's layout (bin/, lib/); an installed one in the system paths. */
static int locate(struct run *r)
{
	char self[PATH_MAX], *dir;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *shims[] = {"%s/../lib/liblsca-shim.so", "%s/../lib64/liblsca-shim.so",
			       LSCA_LIBDIR "/liblsca-shim.so%s"};
	const char *daemons[] = {"%s/lscad", LSCA_SBINDIR "/lscad%s"};

	if (n < 0)
		return -errno;
	self[n] = '\0';
	dir = dirname(self);
	r->lscad[0] = r->shim[0] = '\0';
	for (unsigned i = 0; i < 2 && !r->lscad[0]; i++) {
		snprintf(r->lscad, sizeof(r->lscad), daemons[i], i == 0 ? dir : "");
		if (access(r->lscad, X_OK) < 0)
			r->lscad[0] = '\0';
	}
	for (unsigned i = 0; i < 3 && !r->shim[0]; i++) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), shims[i], i < 2 ? dir : "");
		if (access(p, R_OK) == 0 && realpath(p, r->shim))
			break;
		r->shim[0] = '\0';
	}
	/* plugins: the build tree's, else the installed ones */
	snprintf(r->plugin_dir, sizeof(r->plugin_dir), "%s/../lib/lsca/plugins", dir);
	if (access(r->plugin_dir, X_OK) < 0)
		snprintf(r->plugin_dir, sizeof(r->plugin_dir), "%s/lsca/plugins", LSCA_LIBDIR);
	if (!r->lscad[0]) {
		fprintf(stderr, "lscactl: cannot find lscad next to lscactl or in %s\n",
			LSCA_SBINDIR);
		return -ENOENT;
	}
	if (!r->shim[0]) {
		fprintf(stderr, "lscactl: cannot find liblsca-shim.so next to lscactl or in %s\n",
			LSCA_LIBDIR);
		return -ENOENT;
	}
	return 0;
}

static int make_runtime_dir(struct run *r, const char *sock_opt)
{
	const char *base = getenv("XDG_RUNTIME_DIR");

	if (!base || access(base, W_OK) < 0)
		base = "/tmp";
	snprintf(r->dir, sizeof(r->dir), "%s/lsca-run.XXXXXX", base);
	if (!mkdtemp(r->dir)) {
		fprintf(stderr, "lscactl: cannot create a runtime directory in %s: %m\n", base);
		return -errno;
	}
	/* searchable: a command that drops privileges must still reach the
	 * socket; lscad decides whom it serves, and as whom */
	chmod(r->dir, 0711);
	if (sock_opt)
		snprintf(r->sock, sizeof(r->sock), "%s", sock_opt);
	else
		snprintf(r->sock, sizeof(r->sock), "%s/lscad.sock", r->dir);
	snprintf(r->stats, sizeof(r->stats), "%s/stats", r->dir);
	snprintf(r->notify, sizeof(r->notify), "%s/notify", r->dir);
	snprintf(r->control, sizeof(r->control), "%s/control.sock", r->dir);
	return 0;
}

static void remove_runtime_dir(struct run *r)
{
	char p[PATH_MAX + 16];

	unlink(r->stats);
	unlink(r->notify);
	unlink(r->control);
	if (r->audit_config[0])
		unlink(r->audit_config);
	snprintf(p, sizeof(p), "%s/lscad.sock", r->dir);
	unlink(p);
	rmdir(r->dir);
}

/* Start lscad in its own session (Ctrl-C is for the command) and wait for
 * its READY=1, sent over the sd_notify protocol to a socket of ours. */
static int start_daemon(struct run *r)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[512];
	int nfd, waited = 0;

	if (strlen(r->notify) >= sizeof(sa.sun_path) || strlen(r->sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "lscactl: runtime path too long: %s\n", r->dir);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, r->notify, strlen(r->notify) + 1);
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nfd < 0 || bind(nfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "lscactl: cannot create %s: %m\n", r->notify);
		return -errno;
	}
	r->daemon = fork();
	if (r->daemon < 0) {
		close(nfd);
		return -errno;
	}
	if (r->daemon == 0) {
		/* one option per line: clang-format must not pack them */
		const char *argv[] = {r->lscad,
				      "--socket",
				      r->sock,
				      "--stats-out",
				      r->stats,
				      "--spin-us",
				      r->spin_us,
				      "--plugin-dir",
				      r->plugin_dir,
				      "--control-socket",
				      r->control,
				      "--strict-plugins", /* asked for: never run without it */
				      r->config ? "--config" : "--no-config",
				      r->config,
				      NULL};

		setsid();
		setenv("NOTIFY_SOCKET", r->notify, 1);
		unsetenv("LD_PRELOAD");
		execv(r->lscad, (char **)argv);
		fprintf(stderr, "lscactl: cannot run %s: %m\n", r->lscad);
		_exit(EXIT_LSCACTL);
	}
	while (waited < READY_TIMEOUT_MS) {
		struct pollfd p = {.fd = nfd, .events = POLLIN};
		ssize_t n;
		int st;

		if (poll(&p, 1, 100) > 0) {
			n = recv(nfd, buf, sizeof(buf) - 1, 0);
			if (n > 0) {
				buf[n] = '\0';
				if (strstr(buf, "READY=1")) {
					close(nfd);
					return 0;
				}
			}
			continue;
		}
		waited += 100;
		if (waitpid(r->daemon, &st, WNOHANG) == r->daemon) {
			fprintf(stderr, "lscactl: lscad exited before it was ready\n");
			r->daemon = 0;
			close(nfd);
			return -ECHILD;
		}
	}
	fprintf(stderr, "lscactl: lscad did not report ready within %d s\n",
		READY_TIMEOUT_MS / 1000);
	close(nfd);
	return -ETIMEDOUT;
}

/* SIGTERM, and SIGKILL if lscad has not gone 10 s later: lscactl itself
 * must never hang. */
static void stop_daemon(struct run *r)
{
	int st;

	if (r->daemon <= 0)
		return;
	kill(r->daemon, SIGTERM);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(r->daemon, &st, WNOHANG) == r->daemon) {
			r->daemon = 0;
			return;
		}
		usleep(10000);
	}
	fprintf(stderr, "lscactl: lscad did not stop within 10 s; killed it\n");
	kill(r->daemon, SIGKILL);
	waitpid(r->daemon, &st, 0);
	r->daemon = 0;
}

static pid_t start_command(struct run *r, char **cmd)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	{
		const char *old = getenv("LD_PRELOAD");
		char *pre;

		/* the shim first, whatever the program preloads already after it */
		if (old && *old) {
			size_t n = strlen(r->shim) + strlen(old) + 2;

			pre = malloc(n);
			if (!pre)
				_exit(EXIT_LSCACTL);
			snprintf(pre, n, "%s:%s", r->shim, old);
		} else {
			pre = r->shim;
		}
		setenv("LD_PRELOAD", pre, 1);
		setenv("LSCA_SOCKET", r->sock, 1);
		unsetenv("NOTIFY_SOCKET");
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execvp(cmd[0], cmd);
		fprintf(stderr, "lscactl: cannot run %s: %m\n", cmd[0]);
		_exit(errno == ENOENT ? 127 : 126);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: lscactl run [--config FILE | --audit FILE] [--summary-file FILE] [--json]\n"
		"                   [--socket PATH] [--spin-us USEC] -- COMMAND [ARG...]\n"
		"Run COMMAND with its system calls served by a private lscad; print a\n"
		"per-syscall summary on stderr (or to FILE) when it ends.\n"
		"  --config FILE   lscad's configuration (default: the built-in one)\n"
		"  --audit FILE    log every call as a JSON line to FILE (the audit plugin)\n"
		"  --json          the summary as one JSON object\n");
}

/* --audit FILE: a configuration with just the audit plugin. */
static int write_audit_config(struct run *r, const char *out)
{
	char abs[PATH_MAX], cwd[PATH_MAX];
	FILE *f;

	if (out[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(abs, sizeof(abs), "%s/%s", cwd, out) >= (int)sizeof(abs))
			return -ENAMETOOLONG;
		out = abs;
	}
	snprintf(r->audit_config, sizeof(r->audit_config), "%s/audit.yaml", r->dir);
	f = fopen(r->audit_config, "wxe");
	if (!f)
		return -errno;
	/* a YAML double-quoted scalar: escape what it needs */
	fprintf(f, "plugins:\n  - name: audit\n    config:\n      output: \"");
	for (const char *p = out; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fprintf(f, "\"\n");
	if (fclose(f) != 0)
		return -errno;
	r->config = r->audit_config;
	return 0;
}

int ctl_run(int argc, char **argv)
{
	static const struct option opts[] = {{"summary-file", required_argument, NULL, 'f'},
					     {"socket", required_argument, NULL, 's'},
					     {"spin-us", required_argument, NULL, 'p'},
					     {"config", required_argument, NULL, 'c'},
					     {"audit", required_argument, NULL, 'a'},
					     {"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct run r = {.spin_us = "100"};
	const char *sock_opt = NULL, *audit = NULL;
	bool json = false;
	struct lsca_summary sum;
	int c, st = 0, code;
	pid_t pid;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			r.summary_file = optarg;
			break;
		case 's':
			sock_opt = optarg;
			break;
		case 'p':
			r.spin_us = optarg;
			break;
		case 'c':
			r.config = optarg;
			break;
		case 'a':
			audit = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_LSCACTL;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "lscactl run: no command given\n");
		usage(stderr);
		return EXIT_LSCACTL;
	}
	if (r.summary_file && !(r.summary = fopen(r.summary_file, "we"))) {
		fprintf(stderr, "lscactl: cannot write %s: %m\n", r.summary_file);
		return EXIT_LSCACTL;
	}
	if (r.config && audit) {
		fprintf(stderr, "lscactl run: --config and --audit exclude each other (add the "
				"audit plugin to the configuration instead)\n");
		return EXIT_LSCACTL;
	}
	if (locate(&r) < 0 || make_runtime_dir(&r, sock_opt) < 0)
		return EXIT_LSCACTL;
	if (audit && write_audit_config(&r, audit) < 0) {
		fprintf(stderr, "lscactl: cannot write the audit configuration: %m\n");
		remove_runtime_dir(&r);
		return EXIT_LSCACTL;
	}
	if (start_daemon(&r) < 0) {
		stop_daemon(&r);
		remove_runtime_dir(&r);
		return EXIT_LSCACTL;
	}
	/* like system(3): the terminal's signals are for the command */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	pid = start_command(&r, argv + optind);
	if (pid < 0) {
		fprintf(stderr, "lscactl: fork: %m\n");
		stop_daemon(&r);
		remove_runtime_dir(&r);
		return EXIT_LSCACTL;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	stop_daemon(&r);
	if (lsca_summary_read(&sum, r.stats) < 0) {
		fprintf(stderr, "lscactl: lscad left no summary in %s\n", r.stats);
	} else if (r.summary) {
		(json ? summary_print_json : summary_print)(r.summary, &sum);
	} else {
		(json ? summary_print_json : summary_print)(stderr, &sum);
	}
	if (r.summary && fclose(r.summary) != 0)
		fprintf(stderr, "lscactl: cannot write %s: %m\n", r.summary_file);
	remove_runtime_dir(&r);
	return code;
}
