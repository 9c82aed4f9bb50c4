/* SPDX-License-Identifier: MIT */
/*
 * preload.c - lscactl preload enable|disable|status: the opt-in
 * whole-system mode, the shim in /etc/ld.so.preload.
 *
 * glibc reads only that file (no .d directory), so the shipped snippet
 * (ld.so.preload.d/lsca.conf: the shim's path) is merged into it as one
 * line. "Our" line is the one whose whole content is the shim's path: a
 * marker comment cannot be trusted there, because ld.so's comment
 * stripping (elf/rtld.c) does not advance its search start, so with
 * several '#' in the file a later comment can survive and be taken for a
 * library name, printing an error in every process. The file is replaced
 * atomically (temp file in the same directory, fsync, rename), every
 * other line kept as it was.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

#define DEFAULT_FILE "/etc/ld.so.preload"

static bool is_our_line(const char *line, size_t len, const char *shim)
{
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	return len == strlen(shim) && !memcmp(line, shim, len);
}

/* The file without our lines; *had says whether it held one. */
static GString *without_ours(const char *content, const char *shim, bool *had)
{
	GString *s = g_string_new(NULL);
	const char *p = content;

	*had = false;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (is_our_line(p, len, shim))
			*had = true;
		else
			g_string_append_len(s, p, (gssize)(nl ? len + 1 : len));
		p += nl ? len + 1 : len;
	}
	return s;
}

static void result(const struct ctl_opts *o, const char *file, const char *shim, bool enabled,
		   bool changed, const char *human)
{
	if (o->json) {
		printf("{\"file\": ");
		ctl_json_str(file);
		printf(", \"line\": ");
		ctl_json_str(shim);
		printf(", \"enabled\": %s, \"changed\": %s}\n", enabled ? "true" : "false",
		       changed ? "true" : "false");
	} else {
		printf("%s\n", human);
	}
}

int ctl_preload(int argc, char **argv)
{
	struct ctl_opts o;
	const char *file, *action;
	char shim[PATH_MAX], *content = NULL, *msg, *err = NULL;
	struct stat st;
	GString *rest;
	GError *e = NULL;
	GVariant *v;
	bool had, exists;
	int r = ctl_parse(argc, argv, "preload",
			  "preload enable|disable|status [--force] [--file PATH] [--control PATH] "
			  "[--json]",
			  CTL_OPT_FORCE | CTL_OPT_FILE | CTL_OPT_CONTROL, &o);

	if (r <= 0)
		return -r;
	if (o.nargs != 1 || (strcmp(o.args[0], "enable") && strcmp(o.args[0], "disable") &&
			     strcmp(o.args[0], "status"))) {
		fprintf(stderr, "Usage: lscactl preload enable|disable|status [--force] [--file "
				"PATH] [--json]\n");
		return CTL_EXIT_USAGE;
	}
	action = o.args[0];
	file = o.file ? o.file : getenv("LSCA_PRELOAD_FILE");
	if (!file || !*file)
		file = DEFAULT_FILE;
	r = ctl_find_shim(shim, sizeof(shim));
	if (r < 0) {
		fprintf(stderr, "lscactl: cannot find the shim: %s\n", strerror(-r));
		return CTL_EXIT_REFUSED;
	}
	exists = stat(file, &st) == 0;
	if (exists && !g_file_get_contents(file, &content, NULL, &e)) {
		fprintf(stderr, "lscactl: %s\n", e->message);
		g_error_free(e);
		return CTL_EXIT_REFUSED;
	}
	rest = without_ours(content ? content : "", shim, &had);
	r = 0;
	if (!strcmp(action, "status")) {
		msg = g_strdup_printf("whole-system preload: %s (%s %s %s)",
				      had ? "enabled" : "disabled", shim, had ? "in" : "not in",
				      file);
		result(&o, file, shim, had, false, msg);
		g_free(msg);
	} else if (!strcmp(action, "enable")) {
		if (had) {
			msg = g_strdup_printf("Already enabled: %s is in %s", shim, file);
			result(&o, file, shim, true, false, msg);
			g_free(msg);
			goto out;
		}
		/* a missing shim would make ld.so complain in every process */
		if (access(shim, R_OK) < 0) {
			fprintf(stderr, "lscactl: %s: %m; not adding it to %s\n", shim, file);
			r = CTL_EXIT_REFUSED;
			goto out;
		}
		/* every process would try lscad: it had better answer */
		v = ctl_call_quiet(&o, "Status", "(a{sv})", &err);
		if (v) {
			g_variant_unref(v);
		} else if (!o.force) {
			fprintf(stderr,
				"lscactl: lscad is not healthy (%s: %s); not enabling the "
				"whole-system preload (--force does it anyway)\n",
				o.control, err);
			g_free(err);
			r = CTL_EXIT_UNREACHABLE;
			goto out;
		} else {
			fprintf(stderr,
				"lscactl: lscad is not healthy (%s); enabling anyway (--force)\n",
				err);
			g_free(err);
		}
		if (rest->len && rest->str[rest->len - 1] != '\n')
			g_string_append_c(rest, '\n');
		g_string_append_printf(rest, "%s\n", shim);
		r = ctl_write_atomic(file, rest->str, exists ? st.st_mode & 07777 : 0644);
		if (r < 0) {
			fprintf(stderr, "lscactl: cannot write %s: %s\n", file, strerror(-r));
			r = CTL_EXIT_REFUSED;
			goto out;
		}
		msg = g_strdup_printf("Enabled: added %s to %s; new processes load the shim", shim,
				      file);
		result(&o, file, shim, true, true, msg);
		g_free(msg);
	} else {
		if (!had) {
			msg = g_strdup_printf("Not enabled: %s is not in %s", shim, file);
			result(&o, file, shim, false, false, msg);
			g_free(msg);
			goto out;
		}
		/* a file that held only our line goes with it */
		if (strspn(rest->str, " \t\r\n") == rest->len)
			r = unlink(file) < 0 ? -errno : 0;
		else
			r = ctl_write_atomic(file, rest->str, st.st_mode & 07777);
		if (r < 0) {
			fprintf(stderr, "lscactl: cannot update %s: %s\n", file, strerror(-r));
			r = CTL_EXIT_REFUSED;
			goto out;
		}
		msg = g_strdup_printf("Disabled: removed %s from %s", shim, file);
		result(&o, file, shim, false, true, msg);
		g_free(msg);
	}
out:
	g_string_free(rest, TRUE);
	g_free(content);
	return r;
}
