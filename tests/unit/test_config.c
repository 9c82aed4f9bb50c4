/* SPDX-License-Identifier: MIT */
/* test_config.c - lscad.yaml: the tree, the schema, every kind of error with
 * its position and key, admission. Each test writes its YAML to a file. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

static char dir[256], file[PATH_MAX];
static char *errors;
static struct lscad_config *cfg;

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/lsca-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/lscad.yaml", dir);
	errors = NULL;
	cfg = NULL;
}

static void teardown(void)
{
	config_free(cfg);
	free(errors);
	unlink(file);
	rmdir(dir);
}

static void write_file(const char *text)
{
	FILE *f = fopen(file, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static struct lscad_config *load(const char *text)
{
	write_file(text);
	config_free(cfg);
	free(errors);
	errors = NULL;
	cfg = config_load(file, "/pd", &errors);
	return cfg;
}

static void must_load(const char *text)
{
	load(text);
	ck_assert_msg(cfg, "refused: %s", errors ? errors : "(no message)");
	ck_assert_ptr_null(errors);
}

/* The file is refused with exactly these lines (each ends in '\n', the last
 * one's is implied here); '@' stands for its path. */
static void must_fail(const char *text, const char *expected)
{
	char want[8192];
	size_t n = 0;

	for (const char *p = expected; *p && n + PATH_MAX < sizeof(want); p++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s",
				      *p == '@' ? file : (char[]){*p, '\0'});
	snprintf(want + n, sizeof(want) - n, "\n");
	load(text);
	ck_assert_ptr_null(cfg);
	ck_assert_ptr_nonnull(errors);
	ck_assert_str_eq(errors, want);
}

static void assert_defaults(const struct lscad_config *c)
{
	ck_assert_str_eq(c->socket_path, LSCA_DEFAULT_SOCKET);
	ck_assert_str_eq(c->control_socket, LSCAD_DEFAULT_CONTROL);
	ck_assert_uint_eq(c->on_failure, LSCA_ON_FAILURE_PASSTHROUGH);
	ck_assert_int_eq(c->interception, LSCAD_INTERCEPT_COMPLETE);
	ck_assert_int_eq(c->log_target, LSCAD_LOG_STDERR);
	ck_assert_int_eq(c->log_level, LOG_INFO);
	ck_assert_uint_eq(c->max_workers, 4096);
	ck_assert_uint_eq(c->spin_us, 100);
	ck_assert_uint_eq(c->slots, 64);
	ck_assert_uint_eq(c->slot_kib, 128);
	ck_assert_str_eq(c->plugin_dir, "/pd");
	ck_assert_uint_eq(c->nplugins, 0);
	ck_assert_uint_eq(c->admission.uids.n + c->admission.exclude_uids.n, 0);
	ck_assert_uint_eq(c->admission.exes.n + c->admission.exclude_exes.n, 0);
	ck_assert_uint_eq(c->admission.units.n + c->admission.exclude_units.n, 0);
	for (unsigned i = 0; i < LSCA_NR_MAX; i++)
		ck_assert_uint_eq(c->placement[i], 0);
}

START_TEST(defaults)
{
	struct lscad_config *c = config_defaults("/pd");

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->file);
	assert_defaults(c);
	ck_assert(config_admits(c, 1234, "/bin/true", NULL));
	config_free(c);

	c = config_defaults(NULL);
	ck_assert_str_eq(c->plugin_dir, LSCAD_DEFAULT_PLUGIN_DIR);
	config_free(c);
}
END_TEST

START_TEST(empty_files_are_defaults)
{
	static const char *const texts[] = {
	    "",
	    "# nothing\n",
	    "---\n",
	    "~\n",
	    "daemon:\nplugins:\nadmission:\nplacement:\n",
	    "daemon: {log: {}, workers: {}, ring: {}}\nplugins: []\n"};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		must_load(texts[i]);
		ck_assert_str_eq(cfg->file, file);
		assert_defaults(cfg);
	}
}
END_TEST

START_TEST(full_file)
{
	must_load("daemon:\n"
		  "  socket: /run/x/a.sock\n"
		  "  control_socket: /run/x/c.sock\n"
		  "  on_failure: deny\n"
		  "  interception: complete\n"
		  "  log: {target: journal, level: debug}\n"
		  "  workers:\n"
		  "    max: 10\n"
		  "    spin_us: 0\n"
		  "  ring:\n"
		  "    slots: 1024\n"
		  "    slot_kib: 16384\n"
		  "plugin_dir: /opt/lsca/plugins\n"
		  "plugins:\n"
		  "  - name: audit\n"
		  "    config:\n"
		  "      output: /var/log/lsca/audit.jsonl\n"
		  "      syscalls: [openat, read]\n"
		  "  - name: my-plugin_2\n"
		  "    path: /opt/x/p.so\n"
		  "    enabled: no\n"
		  "admission:\n"
		  "  uids: [0, 1000, nobody]\n"
		  "  exclude_uids: [daemon]\n"
		  "  executables: ['/usr/bin/*']\n"
		  "  exclude_executables: [/usr/bin/ssh*]\n"
		  "  units: '*.service'\n"
		  "  exclude_units: [sshd.service, getty@*.service]\n"
		  "placement:\n"
		  "  read: observe\n"
		  "  openat: proxy\n"
		  "  write: direct\n");
	ck_assert_str_eq(cfg->socket_path, "/run/x/a.sock");
	ck_assert_str_eq(cfg->control_socket, "/run/x/c.sock");
	ck_assert_uint_eq(cfg->on_failure, LSCA_ON_FAILURE_DENY);
	ck_assert_int_eq(cfg->interception, LSCAD_INTERCEPT_COMPLETE);
	ck_assert_int_eq(cfg->log_target, LSCAD_LOG_JOURNAL);
	ck_assert_int_eq(cfg->log_level, LOG_DEBUG);
	ck_assert_uint_eq(cfg->max_workers, 10);
	ck_assert_uint_eq(cfg->spin_us, 0);
	ck_assert_uint_eq(cfg->slots, 1024);
	ck_assert_uint_eq(cfg->slot_kib, 16384);
	ck_assert_str_eq(cfg->plugin_dir, "/opt/lsca/plugins");

	ck_assert_uint_eq(cfg->nplugins, 2);
	ck_assert_str_eq(cfg->plugins[0].name, "audit");
	ck_assert_ptr_null(cfg->plugins[0].path);
	ck_assert(cfg->plugins[0].enabled);
	ck_assert_uint_eq(cfg->plugins[0].line, 15);
	ck_assert_uint_eq(cfg->plugins[0].column, 5);
	ck_assert_ptr_nonnull(cfg->plugins[0].section);
	ck_assert_str_eq(cfg->plugins[1].name, "my-plugin_2");
	ck_assert_str_eq(cfg->plugins[1].path, "/opt/x/p.so");
	ck_assert(!cfg->plugins[1].enabled);
	ck_assert_ptr_null(cfg->plugins[1].section);

	ck_assert_uint_eq(cfg->admission.uids.n, 3);
	ck_assert_uint_eq(cfg->admission.uids.v[0], 0);
	ck_assert_uint_eq(cfg->admission.uids.v[1], 1000);
	ck_assert_uint_eq(cfg->admission.uids.v[2], 65534); /* nobody */
	ck_assert_uint_eq(cfg->admission.exclude_uids.n, 1);
	ck_assert_uint_eq(cfg->admission.exclude_uids.v[0], 1); /* daemon */
	ck_assert_uint_eq(cfg->admission.exes.n, 1);
	ck_assert_str_eq(cfg->admission.exes.v[0], "/usr/bin/*");
	ck_assert_uint_eq(cfg->admission.exclude_exes.n, 1);
	ck_assert_uint_eq(cfg->admission.units.n, 1); /* a lone scalar is a list of one */
	ck_assert_str_eq(cfg->admission.units.v[0], "*.service");
	ck_assert_uint_eq(cfg->admission.exclude_units.n, 2);
	ck_assert_str_eq(cfg->admission.exclude_units.v[1], "getty@*.service");

	ck_assert_uint_eq(cfg->placement[__NR_read], LSCA_PLACE_OBSERVE);
	ck_assert_uint_eq(cfg->placement[__NR_openat], LSCA_PLACE_PROXY);
	ck_assert_uint_eq(cfg->placement[__NR_write], LSCA_PLACE_DIRECT);
	ck_assert_uint_eq(cfg->placement[__NR_close], LSCA_PLACE_DERIVED);
}
END_TEST

START_TEST(plugin_section_is_a_tree)
{
	const struct lsca_config *s, *n;

	must_load("plugins:\n"
		  "  - name: audit\n"
		  "    config:\n"
		  "      output: /var/log/a.jsonl\n"
		  "      rules:\n"
		  "        - {deny: true, path: '/etc/*'}\n"
		  "        - \"two\"\n");
	s = cfg->plugins[0].section;
	ck_assert_int_eq(s->type, LSCA_CONFIG_MAPPING);
	ck_assert_str_eq(s->key, "config");
	ck_assert_uint_eq(s->nchildren, 2);

	n = lsca_config_get(s, "output");
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(n->type, LSCA_CONFIG_SCALAR);
	ck_assert_str_eq(n->value, "/var/log/a.jsonl");
	ck_assert_str_eq(n->file, file);
	ck_assert_uint_eq(n->line, 4); /* where the key is written */
	ck_assert_uint_eq(n->column, 7);
	ck_assert_ptr_null(lsca_config_get(s, "missing"));

	n = lsca_config_get(s, "rules");
	ck_assert_int_eq(n->type, LSCA_CONFIG_SEQUENCE);
	ck_assert_ptr_null(n->value);
	ck_assert_uint_eq(n->nchildren, 2);
	ck_assert_ptr_null(n->children[0].key);
	ck_assert_uint_eq(n->children[0].line, 6); /* an item: where it starts */
	ck_assert_uint_eq(n->children[0].column, 11);
	ck_assert_str_eq(lsca_config_get(&n->children[0], "path")->value, "/etc/*");
	ck_assert_str_eq(lsca_config_get(&n->children[0], "deny")->value, "true");
	ck_assert_str_eq(n->children[1].value, "two");
	ck_assert_uint_eq(n->children[1].line, 7);
}
END_TEST

START_TEST(booleans_and_names)
{
	static const char *const yes[] = {"true", "yes", "on", "True", "YES"};
	static const char *const no[] = {"false", "no", "off", "False", "OFF"};
	char text[128];

	for (size_t i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "plugins: [{name: a, enabled: %s}]\n", yes[i]);
		must_load(text);
		ck_assert(cfg->plugins[0].enabled);
		snprintf(text, sizeof(text), "plugins: [{name: a, enabled: %s}]\n", no[i]);
		must_load(text);
		ck_assert(!cfg->plugins[0].enabled);
	}
	must_load("admission: {uids: [root, '0', 4294967294]}\n");
	ck_assert_uint_eq(cfg->admission.uids.n, 3);
	ck_assert_uint_eq(cfg->admission.uids.v[0], 0);
	ck_assert_uint_eq(cfg->admission.uids.v[1], 0);
	ck_assert_uint_eq(cfg->admission.uids.v[2], 4294967294u);
	must_load("daemon: {log: {level: error}, ring: {slot_kib: 4, slots: 1}}\n");
	ck_assert_int_eq(cfg->log_level, LOG_ERR);
	ck_assert_uint_eq(cfg->slot_kib, 4);
	ck_assert_uint_eq(cfg->slots, 1);
	must_load("daemon: {log: {level: warning}, workers: {spin_us: 100000, max: 1}}\n");
	ck_assert_int_eq(cfg->log_level, LOG_WARNING);
	ck_assert_uint_eq(cfg->spin_us, 100000);
	ck_assert_uint_eq(cfg->max_workers, 1);
}
END_TEST

START_TEST(unknown_key_suggests)
{
	must_fail("daemon:\n"
		  "  workers:\n"
		  "    spn_us: 5\n",
		  "@:3:5: daemon.workers.spn_us: unknown key 'spn_us' (did you mean 'spin_us'?)");
	must_fail("deamon: {}\n", "@:1:1: deamon: unknown key 'deamon' (did you mean 'daemon'?)");
	must_fail("daemon:\n  contorl_socket: /x\n",
		  "@:2:3: daemon.contorl_socket: unknown key 'contorl_socket' "
		  "(did you mean 'control_socket'?)");
	/* nothing close: no suggestion */
	must_fail("daemon:\n  colour: red\n", "@:2:3: daemon.colour: unknown key 'colour'");
	must_fail("plugins:\n  - name: a\n    confg: {}\n",
		  "@:3:5: plugins[0].confg: unknown key 'confg' (did you mean 'config'?)");
}
END_TEST

START_TEST(bad_integers)
{
	must_fail("daemon:\n  workers:\n    spin_us: fast\n",
		  "@:3:5: daemon.workers.spin_us: 'fast' is not an integer");
	must_fail("daemon:\n  workers:\n    spin_us: 100001\n",
		  "@:3:5: daemon.workers.spin_us: 100001 is out of range (0..100000)");
	must_fail("daemon:\n  workers:\n    spin_us: -1\n",
		  "@:3:5: daemon.workers.spin_us: -1 is out of range (0..100000)");
	must_fail("daemon:\n  workers:\n    spin_us: 99999999999999999999999\n",
		  "@:3:5: daemon.workers.spin_us: 99999999999999999999999 is out of range "
		  "(0..100000)");
	must_fail("daemon:\n  workers:\n    spin_us: ' 5'\n",
		  "@:3:5: daemon.workers.spin_us: ' 5' is not an integer");
	must_fail("daemon:\n  workers:\n    spin_us:\n",
		  "@:3:5: daemon.workers.spin_us: missing value: expected an integer");
	must_fail("daemon: {workers: {max: 0}}\n",
		  "@:1:20: daemon.workers.max: 0 is out of range (1..4294967295)");
	must_fail("daemon: {ring: {slots: 0}}\n",
		  "@:1:17: daemon.ring.slots: 0 is out of range (1..1024)");
	must_fail("daemon: {ring: {slots: 1025}}\n",
		  "@:1:17: daemon.ring.slots: 1025 is out of range (1..1024)");
	must_fail("daemon: {ring: {slot_kib: 130}}\n",
		  "@:1:17: daemon.ring.slot_kib: 130 is not a multiple of 4");
	must_fail("daemon: {ring: {slot_kib: 16388}}\n",
		  "@:1:17: daemon.ring.slot_kib: 16388 is out of range (4..16384)");
}
END_TEST

START_TEST(bad_enums_and_booleans)
{
	must_fail("daemon:\n  on_failure: denyy\n",
		  "@:2:3: daemon.on_failure: 'denyy' is not one of: passthrough, deny "
		  "(did you mean 'deny'?)");
	must_fail("daemon:\n  interception: all\n",
		  "@:2:3: daemon.interception: 'all' is not one of: entry-points, complete");
	must_fail("daemon:\n  log:\n    target: syslog\n",
		  "@:3:5: daemon.log.target: 'syslog' is not one of: stderr, journal");
	must_fail("daemon:\n  log:\n    level: verbose\n",
		  "@:3:5: daemon.log.level: 'verbose' is not one of: error, warning, info, debug");
	must_fail("plugins:\n  - name: a\n    enabled: maybe\n",
		  "@:3:5: plugins[0].enabled: 'maybe' is not a boolean (true/false, yes/no, "
		  "on/off)");
	must_fail("placement:\n  read: observer\n",
		  "@:2:3: placement.read: 'observer' is not one of: proxy, observe, direct "
		  "(did you mean 'observe'?)");
}
END_TEST

START_TEST(bad_uids)
{
	must_fail("admission:\n  uids: [0, no_such_user_lsca]\n",
		  "@:2:13: admission.uids[1]: unknown user 'no_such_user_lsca'");
	must_fail("admission:\n  exclude_uids: [-1]\n",
		  "@:2:18: admission.exclude_uids[0]: uid -1 is out of range");
	must_fail("admission:\n  exclude_uids: 4294967295\n",
		  "@:2:3: admission.exclude_uids: uid 4294967295 is out of range");
	must_fail("admission:\n  units: {a: b}\n",
		  "@:2:3: admission.units: expected a list, not a mapping");
	must_fail("admission:\n  executables: [[a]]\n",
		  "@:2:17: admission.executables[0]: expected a glob, not a sequence");
}
END_TEST

START_TEST(bad_paths)
{
	char text[512];

	must_fail("daemon:\n  socket: run/x.sock\n",
		  "@:2:3: daemon.socket: 'run/x.sock' is not an absolute path");
	must_fail("plugin_dir: plugins\n", "@:1:1: plugin_dir: 'plugins' is not an absolute path");
	must_fail("plugins:\n  - {name: a, path: a.so}\n",
		  "@:2:15: plugins[0].path: 'a.so' is not an absolute path");
	snprintf(text, sizeof(text), "daemon:\n  control_socket: /%0120d\n", 0);
	must_fail(text, "@:2:3: daemon.control_socket: longer than 107 bytes, the limit of a "
			"socket path");
}
END_TEST

START_TEST(duplicate_keys)
{
	must_fail(
	    "daemon:\n"
	    "  on_failure: deny\n"
	    "  log: {level: info}\n"
	    "  on_failure: passthrough\n",
	    "@:4:3: daemon.on_failure: duplicate key 'on_failure' (first at line 2, column 3)");
	/* in a plugin's own section too, and in a flow mapping */
	must_fail("plugins:\n  - name: a\n    config: {x: 1, y: 2, x: 3}\n",
		  "@:3:26: plugins[0].config.x: duplicate key 'x' (first at line 3, column 14)");
	must_fail("daemon: {}\ndaemon: {}\n",
		  "@:2:1: daemon: duplicate key 'daemon' (first at line 1, column 1)");
}
END_TEST

START_TEST(duplicate_plugins)
{
	must_fail("plugins:\n"
		  "  - name: audit\n"
		  "  - name: fault\n"
		  "  - name: audit\n"
		  "    enabled: false\n",
		  "@:4:5: plugins[2].name: plugin 'audit' is already listed (line 2, column 5)");
}
END_TEST

START_TEST(bad_plugins)
{
	must_fail("plugins:\n  - audit\n",
		  "@:2:5: plugins[0]: expected a mapping with at least 'name', not 'audit'");
	must_fail("plugins:\n  - enabled: true\n", "@:2:5: plugins[0]: 'name' is missing");
	must_fail("plugins:\n  - name: ../evil\n",
		  "@:2:5: plugins[0].name: '../evil' is not a plugin name (letters, digits, '_', "
		  "'-')");
	must_fail("plugins:\n  - name: a\n    config: [1]\n",
		  "@:3:5: plugins[0].config: expected a mapping (the plugin's own settings), not a "
		  "sequence");
	must_fail("plugins:\n  name: a\n",
		  "@:1:1: plugins: expected a list of plugins, not a mapping");
	/* "config:" with nothing is no section */
	must_load("plugins:\n  - name: a\n    config:\n");
	ck_assert_ptr_null(cfg->plugins[0].section);
}
END_TEST

START_TEST(wrong_node_types)
{
	must_fail("daemon: 5\n", "@:1:1: daemon: expected a mapping, not '5'");
	must_fail("daemon:\n  log: [stderr]\n",
		  "@:2:3: daemon.log: expected a mapping, not a sequence");
	must_fail("daemon:\n  socket: {a: 1}\n",
		  "@:2:3: daemon.socket: expected an absolute path, not a mapping");
	must_fail("- daemon\n", "@:1:1: expected a mapping at the top level, not a sequence");
	must_fail("hello\n", "@:1:1: expected a mapping at the top level, not 'hello'");
	must_fail("placement: [read]\n",
		  "@:1:1: placement: expected a mapping of syscall names, not a sequence");
}
END_TEST

START_TEST(placement_by_name)
{
	must_load("placement:\n  pread64: direct\n  fstat: observe\n");
	ck_assert_uint_eq(cfg->placement[__NR_pread64], LSCA_PLACE_DIRECT);
	ck_assert_uint_eq(cfg->placement[__NR_fstat], LSCA_PLACE_OBSERVE);
	ck_assert_uint_eq(cfg->placement[__NR_pwrite64], LSCA_PLACE_DERIVED);
	must_fail("placement:\n  opnat: proxy\n",
		  "@:2:3: placement.opnat: 'opnat' is not a syscall lscad handles "
		  "(did you mean 'openat'?)");
	must_fail("placement:\n  mmap: proxy\n",
		  "@:2:3: placement.mmap: 'mmap' is not a syscall lscad handles");
}
END_TEST

START_TEST(syntax_errors)
{
	must_fail("daemon:\n  socket: [unclosed\n",
		  "@:3:1: daemon.socket: did not find expected ',' or ']' (while parsing a flow "
		  "sequence at line 2, column 11)");
	must_fail("daemon:\n\tsocket: /x\n",
		  "@:2:1: found character that cannot start any token: a tab (YAML indents with "
		  "spaces only)");
	must_fail("a: b: c\n", "@:1:5: mapping values are not allowed in this context");
	must_fail("a: \xff\n", "@:1:4: invalid leading UTF-8 octet");
	/* errors found before the syntax error are kept */
	must_fail("x: &a 1\ny: [\n",
		  "@:1:4: x: anchors (&a) are not supported\n"
		  "@:3:1: y: did not find expected node content (while parsing a flow node at "
		  "line 3, column 1)");
}
END_TEST

START_TEST(yaml_features_refused)
{
	must_fail("daemon: &d {on_failure: deny}\nplacement: *d\n",
		  "@:1:9: daemon: anchors (&d) are not supported\n"
		  "@:2:12: placement: aliases (*d) are not supported");
	must_fail("daemon:\n  <<: {on_failure: deny}\n",
		  "@:2:3: daemon.<<: merge keys ('<<') are not supported");
	must_fail("daemon:\n  ? [a, b]\n  : 1\n  on_failure: deny\n",
		  "@:2:5: daemon: a key must be a scalar, not a sequence");
	must_fail("daemon: {}\n---\ndaemon: {}\n", "@:2:1: more than one YAML document ('---')");
	/* a quoted "<<" is an ordinary (unknown) key */
	must_fail("daemon:\n  '<<': 1\n", "@:2:3: daemon.<<: unknown key '<<'");
}
END_TEST

START_TEST(files)
{
	char want[PATH_MAX + 64];

	unlink(file);
	cfg = config_load(file, "/pd", &errors);
	ck_assert_ptr_null(cfg);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory\n", file);
	ck_assert_str_eq(errors, want);
	free(errors);

	cfg = config_load(dir, "/pd", &errors);
	ck_assert_ptr_null(cfg);
	snprintf(want, sizeof(want), "%s: cannot open: Is a directory\n", dir);
	ck_assert_str_eq(errors, want);

	/* errors may be NULL */
	ck_assert_ptr_null(config_load(dir, "/pd", NULL));
}
END_TEST

START_TEST(all_errors_collected)
{
	char *line, *save = NULL;
	unsigned n = 0;

	must_fail("daemon:\n"
		  "  workers: {spin_us: x, max: 0}\n"
		  "  bogus: 1\n"
		  "plugins:\n"
		  "  - name: a\n"
		  "  - name: a\n"
		  "admission: {uids: [no_such_user_lsca]}\n",
		  "@:2:13: daemon.workers.spin_us: 'x' is not an integer\n"
		  "@:2:25: daemon.workers.max: 0 is out of range (1..4294967295)\n"
		  "@:3:3: daemon.bogus: unknown key 'bogus'\n"
		  "@:6:5: plugins[1].name: plugin 'a' is already listed (line 5, column 5)\n"
		  "@:7:20: admission.uids[0]: unknown user 'no_such_user_lsca'");
	for (line = strtok_r(errors, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n++;
	ck_assert_uint_eq(n, 5);
}
END_TEST

START_TEST(limits)
{
	size_t size = 1 << 20, len = 0;
	char *text = malloc(size), want[64];
	unsigned lines = 0;

	/* nesting */
	for (int i = 0; i < 70; i++)
		len += (size_t)snprintf(text + len, size - len, "%*sk%d:\n", 2 * i, "", i);
	ck_assert_ptr_null(load(text));
	ck_assert_ptr_nonnull(strstr(errors, "nested deeper than 64 levels"));
	/* nodes */
	len = (size_t)snprintf(text, size, "plugins:\n");
	for (int i = 0; i < 100001; i++)
		len += (size_t)snprintf(text + len, size - len, "- %d\n", i);
	ck_assert_ptr_null(load(text));
	ck_assert_ptr_nonnull(strstr(errors, "more than 100000 nodes"));
	/* many errors: the first 100 are shown, the rest counted */
	len = 0;
	for (int i = 0; i < 150; i++)
		len += (size_t)snprintf(text + len, size - len, "bad%d: 1\n", i);
	ck_assert_ptr_null(load(text));
	for (const char *p = errors; (p = strchr(p, '\n')); p++)
		lines++;
	ck_assert_uint_eq(lines, 101);
	snprintf(want, sizeof(want), ": 50 more errors not shown\n");
	ck_assert_ptr_nonnull(strstr(errors, want));
	free(text);
}
END_TEST

START_TEST(admission)
{
	/* empty: everyone */
	must_load("admission: {}\n");
	ck_assert(config_admits(cfg, 1000, "/usr/bin/cat", NULL));

	must_load("admission:\n"
		  "  uids: [0, 1000]\n"
		  "  exclude_uids: [1000]\n");
	ck_assert(config_admits(cfg, 0, "/bin/x", NULL));
	ck_assert(!config_admits(cfg, 1000, "/bin/x", NULL)); /* excluded wins */
	ck_assert(!config_admits(cfg, 1001, "/bin/x", NULL)); /* not included */

	must_load("admission:\n"
		  "  executables: ['/usr/bin/*', /opt/app]\n"
		  "  exclude_executables: ['*/ssh*']\n");
	ck_assert(config_admits(cfg, 5, "/usr/bin/cat", NULL));
	ck_assert(config_admits(cfg, 5, "/usr/bin/sub/dir", NULL)); /* '*' crosses '/' */
	ck_assert(config_admits(cfg, 5, "/opt/app", NULL));
	ck_assert(!config_admits(cfg, 5, "/opt/app2", NULL));
	ck_assert(!config_admits(cfg, 5, "/usr/bin/ssh-agent", NULL));
	ck_assert(!config_admits(cfg, 5, NULL, NULL));

	must_load("admission:\n"
		  "  units: ['nginx.service', 'app-*.service']\n");
	ck_assert(config_admits(cfg, 5, "/x", "nginx.service"));
	ck_assert(config_admits(cfg, 5, "/x", "app-1.service"));
	ck_assert(!config_admits(cfg, 5, "/x", "sshd.service"));
	ck_assert(!config_admits(cfg, 5, "/x", NULL)); /* not in a unit: no match */

	must_load("admission:\n"
		  "  exclude_units: ['sshd.service']\n");
	ck_assert(config_admits(cfg, 5, "/x", NULL)); /* no include list to fail */
	ck_assert(config_admits(cfg, 5, "/x", "nginx.service"));
	ck_assert(!config_admits(cfg, 5, "/x", "sshd.service"));

	/* every constraint at once */
	must_load("admission:\n"
		  "  uids: [0]\n"
		  "  executables: ['/usr/sbin/*']\n"
		  "  units: ['*.service']\n");
	ck_assert(config_admits(cfg, 0, "/usr/sbin/nginx", "nginx.service"));
	ck_assert(!config_admits(cfg, 1, "/usr/sbin/nginx", "nginx.service"));
	ck_assert(!config_admits(cfg, 0, "/usr/bin/nginx", "nginx.service"));
	ck_assert(!config_admits(cfg, 0, "/usr/sbin/nginx", "session-1.scope"));
}
END_TEST

START_TEST(shipped_file_loads)
{
	char path[PATH_MAX];
	const char *src = getenv("LSCA_SRC");

	snprintf(path, sizeof(path), "%s/etc/lsca/lscad.yaml", src && *src ? src : LSCA_SRC_DIR);
	cfg = config_load(path, "/pd", &errors);
	ck_assert_msg(cfg, "%s", errors ? errors : "");
	ck_assert_str_eq(cfg->file, path);
	assert_defaults(cfg); /* it only documents the defaults */
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, empty_files_are_defaults);
	tcase_add_test(tc, full_file);
	tcase_add_test(tc, plugin_section_is_a_tree);
	tcase_add_test(tc, booleans_and_names);
	tcase_add_test(tc, unknown_key_suggests);
	tcase_add_test(tc, bad_integers);
	tcase_add_test(tc, bad_enums_and_booleans);
	tcase_add_test(tc, bad_uids);
	tcase_add_test(tc, bad_paths);
	tcase_add_test(tc, duplicate_keys);
	tcase_add_test(tc, duplicate_plugins);
	tcase_add_test(tc, bad_plugins);
	tcase_add_test(tc, wrong_node_types);
	tcase_add_test(tc, placement_by_name);
	tcase_add_test(tc, syntax_errors);
	tcase_add_test(tc, yaml_features_refused);
	tcase_add_test(tc, files);
	tcase_add_test(tc, all_errors_collected);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, admission);
	tcase_add_test(tc, shipped_file_loads);
	suite_add_tcase(s, tc);
	return s;
}
