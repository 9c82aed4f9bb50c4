/* SPDX-License-Identifier: MIT */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gio/gio.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/control.h"

#ifndef LSCA_LIBDIR
#define LSCA_LIBDIR "/usr/lib64"
#endif

int ctl_parse(int argc, char **argv, const char *verb, const char *usage, unsigned allow,
	      struct ctl_opts *o)
{
	static const struct option opts[] = {{"control", required_argument, NULL, 'c'},
					     {"json", no_argument, NULL, 'j'},
					     {"reset", no_argument, NULL, 'r'},
					     {"now", no_argument, NULL, 'n'},
					     {"force", no_argument, NULL, 'f'},
					     {"root", required_argument, NULL, 'R'},
					     {"file", required_argument, NULL, 'F'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	static const struct {
		int c;
		unsigned flag;
	} flags[] = {{'r', CTL_OPT_RESET}, {'n', CTL_OPT_NOW},	{'f', CTL_OPT_FORCE},
		     {'R', CTL_OPT_ROOT},  {'F', CTL_OPT_FILE}, {'c', CTL_OPT_CONTROL}};
	int c;

	*o = (struct ctl_opts){.control = getenv("LSCA_CONTROL") ? getenv("LSCA_CONTROL")
								 : CTL_DEFAULT_CONTROL};
	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		for (unsigned i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
			if (flags[i].c == c && !(allow & flags[i].flag)) {
				fprintf(stderr, "lscactl %s: unrecognized option '%s'\n", verb,
					argv[optind - 1]);
				return -CTL_EXIT_USAGE;
			}
		switch (c) {
		case 'c':
			o->control = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'r':
			o->reset = true;
			break;
		case 'n':
			o->now = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 'R':
			o->root = optarg;
			break;
		case 'F':
			o->file = optarg;
			break;
		case 'h':
			printf("Usage: lscactl %s\n", usage);
			return 0;
		default:
			return -CTL_EXIT_USAGE;
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return 1;
}

int ctl_no_args(const struct ctl_opts *o, const char *verb)
{
	if (o->nargs == 0)
		return 0;
	fprintf(stderr, "lscactl %s: unexpected argument '%s'\n", verb, o->args[0]);
	return -CTL_EXIT_USAGE;
}

GVariant *ctl_call_quiet(const struct ctl_opts *o, const char *method, const char *type,
			 char **error)
{
	GError *err = NULL;
	char *addr = g_strdup_printf("unix:path=%s", o->control);
	GDBusConnection *conn = g_dbus_connection_new_for_address_sync(
	    addr, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, NULL, &err);
	GVariant *v = NULL;

	g_free(addr);
	if (conn)
		v = g_dbus_connection_call_sync(
		    conn, NULL, LSCA_CONTROL_PATH, LSCA_CONTROL_INTERFACE, method, NULL,
		    G_VARIANT_TYPE(type), G_DBUS_CALL_FLAGS_NONE, 60000, NULL, &err);
	if (!v && error)
		*error = g_strdup(err ? err->message : "no answer");
	g_clear_error(&err);
	if (conn)
		g_object_unref(conn);
	return v;
}

GVariant *ctl_call(const struct ctl_opts *o, const char *method, const char *type)
{
	char *err = NULL;
	GVariant *v = ctl_call_quiet(o, method, type, &err);

	if (!v)
		fprintf(stderr, "lscactl: cannot reach lscad at %s: %s\n", o->control, err);
	g_free(err);
	return v;
}

void ctl_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch == '\n')
			printf("\\n");
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

int ctl_find_shim(char *buf, size_t len)
{
	char self[PATH_MAX], p[PATH_MAX], *dir;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *rel[] = {"%s/../lib/liblsca-shim.so", "%s/../lib64/liblsca-shim.so"};

	if (n < 0)
		return -errno;
	self[n] = '\0';
	dir = dirname(self);
	/* an uninstalled lscactl: the shim of its build tree */
	for (unsigned i = 0; i < 2; i++) {
		char real[PATH_MAX];

		snprintf(p, sizeof(p), rel[i], dir);
		if (access(p, R_OK) == 0 && realpath(p, real) && strlen(real) < len) {
			memcpy(buf, real, strlen(real) + 1);
			return 0;
		}
	}
	if (strlen(LSCA_LIBDIR "/liblsca-shim.so") >= len)
		return -ENAMETOOLONG;
	memcpy(buf, LSCA_LIBDIR "/liblsca-shim.so", sizeof(LSCA_LIBDIR "/liblsca-shim.so"));
	return 0;
}

int ctl_reload(int argc, char **argv)
{
	struct ctl_opts o;
	const char *msg;
	gboolean ok;
	GVariant *v;
	int r = ctl_parse(argc, argv, "reload", "reload [--control PATH] [--json]", CTL_OPT_CONTROL,
			  &o);

	if (r <= 0 || (r = ctl_no_args(&o, "reload")) < 0)
		return -r;
	v = ctl_call(&o, "Reload", "(bs)");
	if (!v)
		return CTL_EXIT_UNREACHABLE;
	g_variant_get(v, "(b&s)", &ok, &msg);
	if (o.json) {
		printf("{\"reloaded\": %s, \"message\": ", ok ? "true" : "false");
		ctl_json_str(msg);
		printf("}\n");
	} else if (ok) {
		printf("lscad reloaded its configuration and plugins\n%s", msg);
	} else {
		fprintf(stderr,
			"lscad refused the new configuration and keeps running the previous "
			"one:\n%s",
			msg);
	}
	g_variant_unref(v);
	return ok ? 0 : CTL_EXIT_REFUSED;
}

int ctl_plugins(int argc, char **argv)
{
	struct ctl_opts o;
	GVariantIter *it;
	const char *name, *version, *path;
	guint32 abi, handlers;
	gboolean broken;
	GVariant *v;
	bool first = true;
	int r = ctl_parse(argc, argv, "plugins", "plugins [--control PATH] [--json]",
			  CTL_OPT_CONTROL, &o);

	if (r <= 0 || (r = ctl_no_args(&o, "plugins")) < 0)
		return -r;
	v = ctl_call(&o, "Plugins", "(a(sssuub))");
	if (!v)
		return CTL_EXIT_UNREACHABLE;
	g_variant_get(v, "(a(sssuub))", &it);
	if (o.json)
		printf("[");
	else
		printf("%-16s %-10s %-6s %8s %-8s  %s\n", "NAME", "VERSION", "ABI", "HANDLERS",
		       "STATE", "PATH");
	while (g_variant_iter_next(it, "(&s&s&suub)", &name, &version, &path, &abi, &handlers,
				   &broken)) {
		if (o.json) {
			printf("%s{\"name\": ", first ? "" : ", ");
			ctl_json_str(name);
			printf(", \"version\": ");
			ctl_json_str(version);
			printf(", \"abi\": \"%u.%u\", \"handlers\": %u, \"disabled\": %s, "
			       "\"path\": ",
			       abi >> 16, abi & 0xffff, handlers, broken ? "true" : "false");
			ctl_json_str(path);
			printf("}");
		} else {
			printf("%-16s %-10s %u.%-4u %8u %-8s  %s\n", name, version, abi >> 16,
			       abi & 0xffff, handlers, broken ? "disabled" : "active", path);
		}
		first = false;
	}
	if (o.json)
		printf("]\n");
	g_variant_iter_free(it);
	g_variant_unref(v);
	return 0;
}

int ctl_write_atomic(const char *path, const char *content, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t len = strlen(content), done = 0;
	char *dir;
	int fd, dfd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.lscactl.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, content + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		done += (size_t)n;
	}
	/* the new content is on disk before its name is */
	if (!r && (fchmod(fd, mode) < 0 || fsync(fd) < 0))
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		return r;
	}
	/* and the rename too */
	dir = dirname(tmp);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
