/* SPDX-License-Identifier: MIT */
#include "ctl.h"

#include <getopt.h>
#include <gio/gio.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/control.h"

#define DEFAULT_CONTROL	 "/run/lsca/control.sock"
#define EXIT_REFUSED	 1
#define EXIT_USAGE	 2
#define EXIT_UNREACHABLE 3

struct ctl_opts {
	const char *control;
	bool json;
};

/* --control PATH (or $LSCA_CONTROL) and --json, common to every verb. */
static int parse(int argc, char **argv, const char *verb, struct ctl_opts *o)
{
	static const struct option opts[] = {{"control", required_argument, NULL, 'c'},
					     {"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;

	o->control = getenv("LSCA_CONTROL") ? getenv("LSCA_CONTROL") : DEFAULT_CONTROL;
	o->json = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->control = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			printf("Usage: lscactl %s [--control PATH] [--json]\n", verb);
			return 0;
		default:
			return -EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lscactl %s: unexpected argument '%s'\n", verb, argv[optind]);
		return -EXIT_USAGE;
	}
	return 1;
}

static GVariant *call(const struct ctl_opts *o, const char *method, const char *type)
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
	if (!v) {
		fprintf(stderr, "lscactl: cannot reach lscad at %s: %s\n", o->control,
			err ? err->message : "?");
		g_clear_error(&err);
	}
	if (conn)
		g_object_unref(conn);
	return v;
}

/* A JSON string (the message may hold quotes and newlines). */
static void json_str(const char *s)
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

int ctl_reload(int argc, char **argv)
{
	struct ctl_opts o;
	const char *msg;
	gboolean ok;
	GVariant *v;
	int r = parse(argc, argv, "reload", &o);

	if (r <= 0)
		return -r;
	v = call(&o, "Reload", "(bs)");
	if (!v)
		return EXIT_UNREACHABLE;
	g_variant_get(v, "(b&s)", &ok, &msg);
	if (o.json) {
		printf("{\"reloaded\": %s, \"message\": ", ok ? "true" : "false");
		json_str(msg);
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
	return ok ? 0 : EXIT_REFUSED;
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
	int r = parse(argc, argv, "plugins", &o);

	if (r <= 0)
		return -r;
	v = call(&o, "Plugins", "(a(sssuub))");
	if (!v)
		return EXIT_UNREACHABLE;
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
			json_str(name);
			printf(", \"version\": ");
			json_str(version);
			printf(", \"abi\": \"%u.%u\", \"handlers\": %u, \"disabled\": %s, "
			       "\"path\": ",
			       abi >> 16, abi & 0xffff, handlers, broken ? "true" : "false");
			json_str(path);
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
