/* SPDX-License-Identifier: MIT */
#include "control.h"

#include <errno.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/control.h"
#include "client.h"
#include "loader.h"
#include "log.h"
#include "lscad.h"
#include "status.h"

static GDBusServer *server;
static GDBusNodeInfo *introspection;
static char *socket_path;

/* Root, or the user lscad runs as: nobody else may reload it. */
static gboolean authorize(GDBusAuthObserver *obs, GIOStream *stream, GCredentials *cred,
			  gpointer data)
{
	uid_t uid;

	(void)obs;
	(void)stream;
	(void)data;
	if (!cred)
		return FALSE;
	uid = g_credentials_get_unix_user(cred, NULL);
	if (uid == 0 || uid == geteuid())
		return TRUE;
	log_info("control: refusing uid %u", (unsigned)uid);
	return FALSE;
}

static GVariant *plugins_list(struct lscad *d)
{
	struct plugin_set *s = lscad_plugins(d);
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a(sssuub)"));
	for (unsigned i = 0; i < s->n; i++) {
		const struct plugin *p = &s->v[i];

		g_variant_builder_add(
		    &b, "(sssuu)", p->owner.name, p->desc->version ? p->desc->version : "", p->path,
		    p->desc->abi_version, p->handlers, (gboolean)atomic_load(&p->owner.broken));
	}
	plugin_set_unref(s);
	return g_variant_new("(a(sssuub))", &b);
}

/* Per syscall with calls, busiest first; at most max rows. */
static GVariant *stats_rows(struct lscad *d, unsigned max, struct lsca_stat *total)
{
	static struct status_table t; /* main loop only; too big for the stack */
	unsigned order[LSCA_NOPS] = {0}, n = 0;
	GVariantBuilder b;

	status_collect(d, &t);
	*total = (struct lsca_stat){0};
	for (unsigned op = 0; op < LSCA_NOPS; op++) {
		if (!t.op[op].calls)
			continue;
		total->calls += t.op[op].calls;
		total->errors += t.op[op].errors;
		total->direct += t.op[op].direct;
		total->observed += t.op[op].observed;
		total->ns += t.op[op].ns;
		/* insertion: a few dozen rows */
		unsigned i = n++;
		for (; i > 0 && t.op[order[i - 1]].calls < t.op[op].calls; i--)
			order[i] = order[i - 1];
		order[i] = op;
	}
	g_variant_builder_init(&b, G_VARIANT_TYPE("a(sttttttt)"));
	for (unsigned i = 0; i < n && i < max; i++) {
		const struct lsca_stat *o = &t.op[order[i]];

		g_variant_builder_add(&b, "(sttttttt)", lsca_sysdesc_op(order[i])->name, o->calls,
				      o->errors, o->direct, o->observed, o->ns,
				      status_percentile(t.lat[order[i]], 0.50),
				      status_percentile(t.lat[order[i]], 0.99));
	}
	return g_variant_builder_end(&b);
}

#define TOP_SYSCALLS 8

static GVariant *status_dict(struct lscad *d)
{
	struct plugin_set *s = lscad_plugins(d);
	const char *cfg = s->cfg->file ? s->cfg->file : "";
	struct lsca_stat total;
	GVariant *top = stats_rows(d, TOP_SYSCALLS, &total);
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "version", g_variant_new_string(LSCA_VERSION));
	g_variant_builder_add(&b, "{sv}", "pid", g_variant_new_uint32((guint32)getpid()));
	g_variant_builder_add(&b, "{sv}", "uptime", g_variant_new_uint64(status_uptime_s()));
	g_variant_builder_add(&b, "{sv}", "config", g_variant_new_string(cfg));
	g_variant_builder_add(&b, "{sv}", "interception",
			      g_variant_new_string(status_interception(d)));
	g_variant_builder_add(&b, "{sv}", "plugins", g_variant_new_uint32(s->n));
	g_variant_builder_add(&b, "{sv}", "workers", g_variant_new_uint32(atomic_load(&d->live)));
	g_variant_builder_add(&b, "{sv}", "clients", g_variant_new_uint32(d->nclients));
	g_variant_builder_add(&b, "{sv}", "calls_per_second", g_variant_new_double(status_rate()));
	g_variant_builder_add(&b, "{sv}", "calls", g_variant_new_uint64(total.calls));
	g_variant_builder_add(&b, "{sv}", "proxied",
			      g_variant_new_uint64(total.calls - total.direct - total.observed));
	g_variant_builder_add(&b, "{sv}", "observed", g_variant_new_uint64(total.observed));
	g_variant_builder_add(&b, "{sv}", "direct", g_variant_new_uint64(total.direct));
	g_variant_builder_add(&b, "{sv}", "errors", g_variant_new_uint64(total.errors));
	g_variant_builder_add(&b, "{sv}", "top", top);
	plugin_set_unref(s);
	return g_variant_new("(a{sv})", &b);
}

static const char *client_interception(const struct client *c)
{
	/* what the shim says it got: display only */
	switch (atomic_load_explicit(&c->ring.hdr->client_interception, memory_order_relaxed)) {
	case LSCA_INTERCEPT_COMPLETE:
		return "complete";
	case LSCA_INTERCEPT_ENTRY:
		return "entry-points";
	default:
		return "";
	}
}

static GVariant *clients_list(struct lscad *d)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a(ussusssstu)"));
	for (const struct client *c = d->clients; c; c = c->next) {
		/* a worker may turn a client direct-only at any call */
		bool direct = __atomic_load_n(&c->direct_only, __ATOMIC_RELAXED);
		const char *why = __atomic_load_n(&c->why_direct, __ATOMIC_RELAXED);

		g_variant_builder_add(&b, "(ussusssstu)", (guint32)c->pid, c->comm, c->exe,
				      (guint32)c->creds.ruid, c->unit ? c->unit : "",
				      direct ? "direct-only" : "proxy", direct && why ? why : "",
				      client_interception(c), status_client_calls(c),
				      status_client_inflight(c));
	}
	return g_variant_new("(a(ussusssstu))", &b);
}

static void on_call(GDBusConnection *conn, const gchar *sender, const gchar *path,
		    const gchar *iface, const gchar *method, GVariant *params,
		    GDBusMethodInvocation *inv, gpointer data)
{
	struct lscad *d = data;

	(void)conn;
	(void)sender;
	(void)path;
	(void)iface;
	(void)params;
	if (!g_strcmp0(method, "Reload")) {
		char *why = NULL;
		int r = lscad_reload(d, &why);

		g_dbus_method_invocation_return_value(
		    inv, g_variant_new("(bs)", r == 0, why ? why : ""));
		free(why);
	} else if (!g_strcmp0(method, "Plugins")) {
		g_dbus_method_invocation_return_value(inv, plugins_list(d));
	} else if (!g_strcmp0(method, "Status")) {
		g_dbus_method_invocation_return_value(inv, status_dict(d));
	} else if (!g_strcmp0(method, "Clients")) {
		g_dbus_method_invocation_return_value(inv, clients_list(d));
	} else if (!g_strcmp0(method, "Stats")) {
		struct lsca_stat total;
		GVariant *rows = stats_rows(d, LSCA_NOPS, &total);

		g_dbus_method_invocation_return_value(
		    inv, g_variant_new("(t@a(sttttttt))", status_since_reset_s(), rows));
	} else if (!g_strcmp0(method, "ResetStats")) {
		status_reset(d);
		log_info("control: statistics reset");
		g_dbus_method_invocation_return_value(inv, NULL);
	} else {
		g_dbus_method_invocation_return_error(
		    inv, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD, "no method %s", method);
	}
}

static const GDBusInterfaceVTable vtable = {.method_call = on_call};

static gboolean on_connection(GDBusServer *srv, GDBusConnection *conn, gpointer data)
{
	GError *err = NULL;

	(void)srv;
	if (!g_dbus_connection_register_object(
		conn, LSCA_CONTROL_PATH, introspection->interfaces[0], &vtable, data, NULL, &err)) {
		log_warn("control: %s", err->message);
		g_error_free(err);
		return FALSE;
	}
	g_object_ref(conn); /* dropped when the peer closes it */
	g_signal_connect(conn, "closed", G_CALLBACK(g_object_unref), NULL);
	return TRUE;
}

bool socket_alive(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int types[] = {SOCK_STREAM, SOCK_SEQPACKET};
	bool alive = false;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (unsigned i = 0; i < 2 && !alive; i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);

		alive = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (fd >= 0)
			close(fd);
	}
	return alive;
}

int control_start(struct lscad *d, const char *path)
{
	GDBusAuthObserver *obs;
	GError *err = NULL;
	struct stat st;
	char *addr, *guid;
	mode_t old;

	introspection = g_dbus_node_info_new_for_xml(LSCA_CONTROL_XML, NULL);
	/* a stale socket of a previous run, never any other file, and never
	 * the socket of an lscad that still runs */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		if (socket_alive(path)) {
			log_error("control socket %s is in use by another lscad", path);
			return -EADDRINUSE;
		}
		unlink(path);
	}
	addr = g_strdup_printf("unix:path=%s", path);
	guid = g_dbus_generate_guid();
	obs = g_dbus_auth_observer_new();
	g_signal_connect(obs, "authorize-authenticated-peer", G_CALLBACK(authorize), NULL);
	old = umask(077); /* the socket is born owner-only */
	server = g_dbus_server_new_sync(addr, G_DBUS_SERVER_FLAGS_NONE, guid, obs, NULL, &err);
	umask(old);
	g_object_unref(obs);
	g_free(guid);
	g_free(addr);
	if (!server) {
		log_error("cannot listen on the control socket %s: %s", path, err->message);
		g_error_free(err);
		return -EADDRNOTAVAIL;
	}
	g_signal_connect(server, "new-connection", G_CALLBACK(on_connection), d);
	g_dbus_server_start(server);
	socket_path = g_strdup(path);
	return 0;
}

void control_stop(void)
{
	if (!server)
		return;
	g_dbus_server_stop(server);
	g_object_unref(server);
	server = NULL;
	unlink(socket_path);
	g_free(socket_path);
	socket_path = NULL;
}
