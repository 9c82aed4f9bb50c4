/* SPDX-License-Identifier: MIT */
/*
 * unit.c - lscactl enable/disable UNIT: a systemd drop-in that preloads the
 * shim into one unit and orders it after lscad.socket.
 *
 * systemd's Environment= cannot refer to a variable's previous value, and
 * the last assignment of a variable wins. So the drop-in assigns the whole
 * LD_PRELOAD: the value the unit's own files give it (the unit file and its
 * other drop-ins, in the directories systemd reads, or only under --root),
 * with the shim appended. Re-running enable after changing the unit's
 * LD_PRELOAD recomputes it; an LD_PRELOAD from EnvironmentFile= or from a
 * drop-in sorting after 50-lsca.conf is not seen (the latter wins).
 *
 * The file's first line marks it as ours: disable removes only such a file.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

#define DEFAULT_ROOT "/etc/systemd/system"
#define DROPIN	     "50-lsca.conf"
#define MARKER	     "# Written by lscactl enable (LSCA); lscactl disable removes it."

/* Directories systemd reads unit files from, most important first (after
 * the root written to). */
static const char *const unit_dirs[] = {"/run/systemd/system", "/usr/local/lib/systemd/system",
					"/usr/lib/systemd/system", "/lib/systemd/system"};

/* A unit name the drop-in can be for: no path, a type with an environment
 * (.service by default). Returns 0 or -CTL_EXIT_USAGE (said). */
static int unit_name(const char *in, char *out, size_t len)
{
	static const char *const types[] = {".service", ".socket", ".mount", ".swap"};
	const char *dot = strrchr(in, '.');

	if (!*in || *in == '.' || *in == '-' || strlen(in) > 240 || strchr(in, '/') ||
	    strpbrk(in, " \t\n\\\"'%$*?[]")) {
		fprintf(stderr, "lscactl: '%s' is not a unit name\n", in);
		return -CTL_EXIT_USAGE;
	}
	for (unsigned i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i])) {
			snprintf(out, len, "%s", in);
			return 0;
		}
	if (dot && strchr(dot, '@') == NULL && strlen(dot) > 1 &&
	    strspn(dot + 1, "abcdefghijklmnopqrstuvwxyz") == strlen(dot + 1)) {
		fprintf(stderr,
			"lscactl: %s: only .service, .socket, .mount and .swap units run "
			"programs\n",
			in);
		return -CTL_EXIT_USAGE;
	}
	snprintf(out, len, "%s.service", in);
	return 0;
}

/* Split a systemd Environment= value into assignments (quotes, escapes,
 * %% specifiers) and keep the last LD_PRELOAD= of them in *val. */
static void parse_env_words(const char *s, char **val)
{
	while (*s) {
		GString *w = g_string_new(NULL);
		char q = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s) {
			g_string_free(w, TRUE);
			break;
		}
		for (; *s && (q || (*s != ' ' && *s != '\t')); s++) {
			if (q && *s == q) {
				q = 0;
			} else if (!q && (*s == '"' || *s == '\'')) {
				q = *s;
			} else if (*s == '\\' && s[1]) {
				g_string_append_c(w, *++s);
			} else if (*s == '%' && s[1] == '%') {
				g_string_append_c(w, '%');
				s++;
			} else {
				g_string_append_c(w, *s);
			}
		}
		if (!strncmp(w->str, "LD_PRELOAD=", 11)) {
			g_free(*val);
			*val = g_strdup(w->str + 11);
		}
		g_string_free(w, TRUE);
	}
}

/* The LD_PRELOAD= a unit file or drop-in sets, if any, into *val. */
static void scan_file(const char *path, char **val)
{
	char line[8192];
	bool service = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");

		p[strcspn(p, "\r\n")] = '\0';
		if (*p == '[')
			service = !strncmp(p, "[Service]", 9) || !strncmp(p, "[Socket]", 8) ||
				  !strncmp(p, "[Mount]", 7) || !strncmp(p, "[Swap]", 6);
		else if (service && !strncmp(p, "Environment=", 12)) {
			if (!p[12]) { /* an empty assignment resets the list */
				g_free(*val);
				*val = NULL;
			}
			parse_env_words(p + 12, val);
		}
	}
	fclose(f);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Drop-ins of unit under dir, in name order, ours left out. */
static void scan_dropins(const char *dir, const char *unit, char **val)
{
	char *d = g_strdup_printf("%s/%s.d", dir, unit);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	DIR *dh = opendir(d);
	struct dirent *e;

	while (dh && (e = readdir(dh)))
		if (g_str_has_suffix(e->d_name, ".conf") && strcmp(e->d_name, DROPIN))
			g_ptr_array_add(names, g_strdup(e->d_name));
	if (dh)
		closedir(dh);
	qsort(names->pdata, names->len, sizeof(char *), cmp_str);
	for (unsigned i = 0; i < names->len; i++) {
		char *p = g_strdup_printf("%s/%s", d, (char *)names->pdata[i]);

		scan_file(p, val);
		g_free(p);
	}
	g_ptr_array_free(names, TRUE);
	g_free(d);
}

/* What the unit's own files set LD_PRELOAD to (NULL: nothing). */
static char *unit_ld_preload(const char *root, bool system, const char *unit)
{
	const char *dirs[1 + sizeof(unit_dirs) / sizeof(unit_dirs[0])];
	unsigned n = 0;
	char *val = NULL;
	bool found = false;

	dirs[n++] = root;
	for (unsigned i = 0; system && i < sizeof(unit_dirs) / sizeof(unit_dirs[0]); i++)
		dirs[n++] = unit_dirs[i];
	/* the unit file: the first one found wins; then every drop-in,
	 * least important directory first */
	for (unsigned i = 0; i < n && !found; i++) {
		char *p = g_strdup_printf("%s/%s", dirs[i], unit);

		found = access(p, F_OK) == 0;
		if (found)
			scan_file(p, &val);
		g_free(p);
	}
	for (unsigned i = n; i-- > 0;)
		scan_dropins(dirs[i], unit, &val);
	return val;
}

/* existing with every copy of shim taken out, then shim appended. */
static char *combine(const char *existing, const char *shim)
{
	GString *s = g_string_new(NULL);
	char **parts = g_strsplit_set(existing ? existing : "", ": \t", -1);

	for (char **p = parts; *p; p++)
		if (**p && strcmp(*p, shim))
			g_string_append_printf(s, "%s:", *p);
	g_strfreev(parts);
	g_string_append(s, shim);
	return g_string_free(s, FALSE);
}

/* value quoted for a unit file: \ and " escaped, % doubled */
static char *unit_quote(const char *v)
{
	GString *s = g_string_new("\"");

	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			g_string_append_c(s, '\\');
		if (*v == '%')
			g_string_append_c(s, '%');
		g_string_append_c(s, *v);
	}
	g_string_append_c(s, '"');
	return g_string_free(s, FALSE);
}

static bool is_ours(const char *path)
{
	char line[256] = "";
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return !strncmp(line, MARKER, strlen(MARKER));
}

/* systemctl ARGS, its output on stderr. Returns 0, or -1 (said in *why). */
static int systemctl(const char *a, const char *b, char **why)
{
	char *argv[] = {"systemctl", (char *)a, (char *)b, NULL};
	char *out = NULL, *err = NULL;
	GError *e = NULL;
	int status = 0;

	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
			  &e)) {
		*why = g_strdup(e->message);
		g_error_free(e);
		return -1;
	}
	fputs(out, stderr);
	fputs(err, stderr);
	g_free(out);
	g_free(err);
	if (!g_spawn_check_wait_status(status, &e)) {
		*why = g_strdup_printf("systemctl %s%s%s: %s", a, b ? " " : "", b ? b : "",
				       e->message);
		g_error_free(e);
		return -1;
	}
	return 0;
}

/* Whether to tell systemd: only the real one, about its own directory. */
static const char *why_no_systemd(bool custom_root)
{
	char *p;

	if (custom_root)
		return "the drop-in is outside /etc/systemd/system (--root or $LSCA_SYSTEMD_DIR)";
	if (access("/run/systemd/system", F_OK) < 0)
		return "systemd is not running here (PID 1 is not systemd)";
	p = g_find_program_in_path("systemctl");
	if (!p)
		return "systemctl is not installed";
	g_free(p);
	return NULL;
}

struct unit_job {
	struct ctl_opts o;
	char unit[256];
	const char *root;
	bool custom_root;
	char *dir, *path;
};

static int unit_job_init(int argc, char **argv, const char *verb, struct unit_job *j)
{
	char usage[128];
	int r;

	snprintf(usage, sizeof(usage), "%s UNIT [--now] [--root DIR] [--json]", verb);
	r = ctl_parse(argc, argv, verb, usage, CTL_OPT_NOW | CTL_OPT_ROOT, &j->o);
	if (r <= 0)
		return r;
	if (j->o.nargs != 1) {
		fprintf(stderr, "Usage: lscactl %s\n", usage);
		return -CTL_EXIT_USAGE;
	}
	r = unit_name(j->o.args[0], j->unit, sizeof(j->unit));
	if (r < 0)
		return r;
	j->root = j->o.root ? j->o.root : getenv("LSCA_SYSTEMD_DIR");
	j->custom_root = j->root && strcmp(j->root, DEFAULT_ROOT);
	if (!j->root)
		j->root = DEFAULT_ROOT;
	j->dir = g_strdup_printf("%s/%s.d", j->root, j->unit);
	j->path = g_strdup_printf("%s/%s", j->dir, DROPIN);
	return 1;
}

/* daemon-reload, and with --now try-restart. Prints what it skipped.
 * Returns 0 or CTL_EXIT_REFUSED. */
static int tell_systemd(struct unit_job *j, const char **reload, const char **restart)
{
	const char *why = why_no_systemd(j->custom_root);
	char *err = NULL;

	*reload = *restart = "skipped";
	if (why) {
		if (!j->o.json)
			fprintf(stderr, "lscactl: not reloading systemd: %s\n", why);
		return 0;
	}
	if (systemctl("daemon-reload", NULL, &err) < 0) {
		fprintf(stderr, "lscactl: %s\n", err);
		g_free(err);
		*reload = "failed";
		return CTL_EXIT_REFUSED;
	}
	*reload = "done";
	if (!j->o.now)
		return 0;
	if (systemctl("try-restart", j->unit, &err) < 0) {
		fprintf(stderr, "lscactl: %s\n", err);
		g_free(err);
		*restart = "failed";
		return CTL_EXIT_REFUSED;
	}
	*restart = "done";
	return 0;
}

static void job_json(const struct unit_job *j, bool enabled, bool changed, const char *preload,
		     const char *reload, const char *restart)
{
	printf("{\"unit\": ");
	ctl_json_str(j->unit);
	printf(", \"dropin\": ");
	ctl_json_str(j->path);
	printf(", \"enabled\": %s, \"changed\": %s, \"ld_preload\": ", enabled ? "true" : "false",
	       changed ? "true" : "false");
	if (preload)
		ctl_json_str(preload);
	else
		printf("null");
	printf(", \"daemon_reload\": \"%s\", \"restart\": \"%s\"}\n", reload, restart);
}

int ctl_enable(int argc, char **argv)
{
	struct unit_job j = {0};
	char shim[PATH_MAX], *existing, *value, *assign, *quoted, *content, *old = NULL;
	const char *reload = "skipped", *restart = "skipped";
	bool changed;
	int r = unit_job_init(argc, argv, "enable", &j);

	if (r <= 0)
		return -r;
	r = ctl_find_shim(shim, sizeof(shim));
	if (r < 0) {
		fprintf(stderr, "lscactl: cannot find the shim: %s\n", strerror(-r));
		return CTL_EXIT_REFUSED;
	}
	if (access(j.path, F_OK) == 0 && !is_ours(j.path)) {
		fprintf(stderr,
			"lscactl: %s exists and was not written by lscactl: not touching it\n",
			j.path);
		return CTL_EXIT_REFUSED;
	}
	existing = unit_ld_preload(j.root, !j.custom_root, j.unit);
	value = combine(existing, shim);
	assign = g_strconcat("LD_PRELOAD=", value, NULL);
	quoted = unit_quote(assign);
	content = g_strdup_printf("%s\n"
				  "# The unit's own LD_PRELOAD, with the LSCA shim appended; run\n"
				  "# lscactl enable again after changing the unit's LD_PRELOAD.\n"
				  "[Unit]\n"
				  "After=lscad.socket\n"
				  "Wants=lscad.socket\n"
				  "\n"
				  "[Service]\n"
				  "Environment=%s\n",
				  MARKER, quoted);
	changed = !g_file_get_contents(j.path, &old, NULL, NULL) || strcmp(old, content);
	if (changed) {
		if (mkdir(j.dir, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "lscactl: cannot create %s: %m\n", j.dir);
			return CTL_EXIT_REFUSED;
		}
		r = ctl_write_atomic(j.path, content, 0644);
		if (r < 0) {
			fprintf(stderr, "lscactl: cannot write %s: %s\n", j.path, strerror(-r));
			return CTL_EXIT_REFUSED;
		}
	}
	if (!j.o.json)
		printf("%s %s: LD_PRELOAD=%s\n", changed ? "Wrote" : "Unchanged", j.path, value);
	r = changed || j.o.now ? tell_systemd(&j, &reload, &restart) : 0;
	if (j.o.json)
		job_json(&j, true, changed, value, reload, restart);
	else if (!j.o.now)
		printf("Restart %s for it to take effect (or use --now).\n", j.unit);
	g_free(existing);
	g_free(value);
	g_free(assign);
	g_free(quoted);
	g_free(content);
	g_free(old);
	return r;
}

int ctl_disable(int argc, char **argv)
{
	struct unit_job j = {0};
	const char *reload = "skipped", *restart = "skipped";
	bool removed = false;
	int r = unit_job_init(argc, argv, "disable", &j);

	if (r <= 0)
		return -r;
	if (access(j.path, F_OK) == 0) {
		if (!is_ours(j.path)) {
			fprintf(stderr,
				"lscactl: %s was not written by lscactl enable: not removing it\n",
				j.path);
			return CTL_EXIT_REFUSED;
		}
		if (unlink(j.path) < 0) {
			fprintf(stderr, "lscactl: cannot remove %s: %m\n", j.path);
			return CTL_EXIT_REFUSED;
		}
		rmdir(j.dir); /* only if we left it empty */
		removed = true;
	}
	if (!j.o.json)
		printf("%s %s\n", removed ? "Removed" : "Not enabled, nothing to remove:", j.path);
	r = removed || j.o.now ? tell_systemd(&j, &reload, &restart) : 0;
	if (j.o.json)
		job_json(&j, false, removed, NULL, reload, restart);
	return r;
}
