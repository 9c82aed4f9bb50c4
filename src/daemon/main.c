/* SPDX-License-Identifier: MIT */
/*
 * lscad - the LSCA daemon: accepts clients on its socket and serves their
 * rings. The control plane is a GLib main loop; each client's calls are
 * served by its own worker thread (worker.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "control.h"
#include "procwatch.h"
#include "loader.h"
#include "log.h"
#include "procfs.h"
#include "lscad.h"
#include "status.h"

#define LSCAD_VERSION "0.1.0"

static GMainLoop *loop;
static bool socket_activated; /* then the socket is systemd's, not ours to unlink */

static void client_unlink(struct lscad *d, struct client *c)
{
	for (struct client **p = &d->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			d->nclients--;
			break;
		}
	if (c->watch_sock)
		g_source_remove(c->watch_sock);
	if (c->watch_pid)
		g_source_remove(c->watch_pid);
	client_detach(c);
}

static gboolean on_client_gone(gint fd, GIOCondition cond, gpointer data)
{
	struct client *c = data;

	(void)fd;
	(void)cond;
	/* this source is being removed by returning FALSE */
	if (fd == c->sock)
		c->watch_sock = 0;
	else
		c->watch_pid = 0;
	client_unlink(c->d, c);
	return G_SOURCE_REMOVE;
}

/* A connection that has not said hello yet. It gets HELLO_TIMEOUT_S to do
 * so, and there are at most MAX_PENDING: an idle connection must not hold
 * a daemon fd for ever. */
#define HELLO_TIMEOUT_S 5
#define MAX_PENDING	128

struct pending {
	struct lscad *d;
	int fd;
	guint watch, timer;
};

static unsigned npending;

static void pending_free(struct pending *p, bool close_fd)
{
	if (p->watch)
		g_source_remove(p->watch);
	if (p->timer)
		g_source_remove(p->timer);
	if (close_fd)
		close(p->fd);
	npending--;
	g_free(p);
}

static gboolean on_hello_timeout(gpointer data)
{
	struct pending *p = data;

	p->timer = 0; /* removed by returning G_SOURCE_REMOVE */
	log_debug("closing a connection that sent no hello in %d s", HELLO_TIMEOUT_S);
	pending_free(p, true);
	return G_SOURCE_REMOVE;
}

static gboolean on_hello(gint fd, GIOCondition cond, gpointer data)
{
	struct pending *p = data;
	struct lscad *d = p->d;
	struct client *c;

	(void)cond;
	p->watch = 0; /* removed by returning G_SOURCE_REMOVE */
	pending_free(p, false);
	if (client_attach(d, fd, &c) < 0)
		return G_SOURCE_REMOVE; /* conn closed by client_attach */
	c->next = d->clients;
	d->clients = c;
	d->nclients++;
	/* a client is gone when its socket hangs up or its process exits */
	c->watch_sock = g_unix_fd_add(c->sock, G_IO_HUP | G_IO_ERR, on_client_gone, c);
	c->watch_pid = g_unix_fd_add(c->pidfd, G_IO_IN, on_client_gone, c);
	status_kick(d);
	return G_SOURCE_REMOVE;
}

static int listen_fd = -1;
static guint accept_paused;
static gboolean on_accept(gint fd, GIOCondition cond, gpointer data);

static gboolean on_accept_resume(gpointer data)
{
	accept_paused = 0;
	g_unix_fd_add(listen_fd, G_IO_IN, on_accept, data);
	return G_SOURCE_REMOVE;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
	struct pending *p;
	int conn;

	(void)cond;
	while ((conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		if (npending >= MAX_PENDING) {
			close(conn);
			continue;
		}
		p = g_new0(struct pending, 1);
		p->d = data;
		p->fd = conn;
		p->watch = g_unix_fd_add(conn, G_IO_IN | G_IO_HUP | G_IO_ERR, on_hello, p);
		p->timer = g_timeout_add_seconds(HELLO_TIMEOUT_S, on_hello_timeout, p);
		npending++;
	}
	if (errno == EMFILE || errno == ENFILE) {
		/* the pending connection would wake us again at once: stop
		 * listening for a second instead of spinning on it */
		log_warn("accept: %m; pausing for a second");
		accept_paused = g_timeout_add_seconds(1, on_accept_resume, data);
		return G_SOURCE_REMOVE;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		log_warn("accept: %m");
	return G_SOURCE_CONTINUE;
}

static gboolean on_quit(gpointer data)
{
	(void)data;
	sd_notify(0, "STOPPING=1");
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

/* ---- configuration and plugins ---- */

static const char *config_path; /* NULL: the built-in defaults */
static bool config_probe;	/* read the default file whenever it exists */
static bool max_clients_cli;	/* --max-clients wins over the configuration */
static const char *plugin_dir_default = LSCAD_DEFAULT_PLUGIN_DIR;

static struct lscad_config *read_config(char **errors)
{
	struct lscad_config *c;

	*errors = NULL;
	/* a default file written after lscad started counts at reload */
	if (config_probe)
		config_path = access(LSCAD_DEFAULT_CONFIG, F_OK) == 0 ? LSCAD_DEFAULT_CONFIG : NULL;
	if (!config_path) {
		c = config_defaults(plugin_dir_default);
		if (!c)
			*errors = strdup("out of memory");
		return c;
	}
	return config_load(config_path, plugin_dir_default, errors);
}

/* The placement table: one page every client maps read-only. Our mapping
 * stays writable; F_SEAL_FUTURE_WRITE refuses every writable one after it. */
static int placement_create(struct lscad *d)
{
	struct lsca_place_table *t;
	int fd = memfd_create("lsca-placement", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, 4096) < 0)
		goto fail;
	t = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (t == MAP_FAILED)
		goto fail;
	if (fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) < 0) {
		munmap(t, 4096);
		goto fail;
	}
	t->magic = LSCA_PROTO_MAGIC;
	t->version = LSCA_PROTO_VERSION;
	d->place = t;
	d->place_fd = fd;
	return 0;
fail:
	close(fd);
	return -errno;
}

static void placement_publish(struct lscad *d, const struct plugin_set *s)
{
	if (!d->place)
		return;
	for (unsigned nr = 0; nr < LSCA_PLACE_NR; nr++)
		atomic_store_explicit(&d->place->place[nr], s->place[nr], memory_order_relaxed);
	atomic_fetch_add_explicit(&d->place->gen, 1, memory_order_release);
}

/* Settings a running lscad cannot change: they are the clients' rings and
 * the sockets it listens on. */
static void warn_restart_only(const struct lscad_config *old, const struct lscad_config *n)
{
	if (strcmp(old->socket_path, n->socket_path) || old->slots != n->slots ||
	    old->slot_kib != n->slot_kib || old->spin_us != n->spin_us ||
	    strcmp(old->control_socket, n->control_socket))
		log_warn("reload: daemon.socket, control_socket, workers.spin_us and ring "
			 "take effect at the next start");
}

static void apply_runtime_settings(struct lscad *d, const struct lscad_config *c, bool cli_log)
{
	if (!max_clients_cli)
		d->set.max_clients = c->max_workers;
	d->set.on_failure = c->on_failure;
	if (!cli_log)
		log_max_level = c->log_level;
	log_to_journal = c->log_target == LSCAD_LOG_JOURNAL;
}

static bool verbose_cli;

/* Re-read the configuration and the plugins. The set in service stays
 * until the new one is complete; on any error it stays for good and the
 * plugins it holds reopen their files (log rotation). Returns 0, or -errno
 * with *why saying what is wrong (malloc'd). */
int lscad_reload(struct lscad *d, char **why)
{
	struct lscad_config *cfg;
	struct plugin_set *n, *old;
	unsigned gen = atomic_load(&d->plugins_gen) + 1;

	/* MONOTONIC_USEC: systemd >= 253 matches the reload it asked for */
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading %s",
		   (uint64_t)(g_get_monotonic_time()), config_path ? config_path : "defaults");
	cfg = read_config(why);
	/* an admin who breaks a plugin's section keeps the running set */
	n = cfg ? plugin_set_load(cfg, gen, true, why) : NULL;
	if (!n) {
		log_error("reload refused, the running configuration stays:\n%s",
			  *why ? *why : "unknown error");
		plugin_set_reopen(d->plugins);
		sd_notify(0, "READY=1\nSTATUS=reload refused; running the previous configuration");
		return -EINVAL;
	}
	warn_restart_only(d->plugins->cfg, n->cfg);
	apply_runtime_settings(d, n->cfg, verbose_cli);
	pthread_mutex_lock(&d->plugins_lock);
	old = d->plugins;
	d->plugins = n;
	atomic_store_explicit(&d->plugins_gen, gen, memory_order_release);
	pthread_mutex_unlock(&d->plugins_lock);
	placement_publish(d, n);
	/* sleeping workers move to the new set now, not at their next call */
	for (struct client *c = d->clients; c; c = c->next)
		lsca_doorbell_kick(&c->ring);
	plugin_set_unref(old);
	*why = n->messages ? strdup(n->messages) : NULL;
	log_info("reloaded %s: %u plugin(s)", config_path ? config_path : "built-in defaults",
		 n->n);
	sd_notifyf(0, "READY=1\nSTATUS=serving on %s", d->set.socket_path);
	return 0;
}

/* systemd's watchdog (WatchdogSec=): pinged from the main loop at half the
 * period, so a wedged control plane stops the pings and gets lscad
 * restarted. */
static gboolean on_watchdog(gpointer data)
{
	(void)data;
	sd_notify(0, "WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

static void watchdog_start(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000)
		g_timeout_add((guint)(usec / 2000), on_watchdog, NULL);
}

static gboolean on_hup(gpointer data)
{
	char *why = NULL;

	lscad_reload(data, &why);
	free(why);
	return G_SOURCE_CONTINUE;
}

/* lscad --check-config FILE: parse, load every plugin strictly (so their
 * own sections are checked too), unload, say what is wrong. */
static int check_config(const char *path)
{
	struct lscad_config *cfg;
	struct plugin_set *s;
	char *errors = NULL;
	int lvl = log_max_level;

	cfg = config_load(path, plugin_dir_default, &errors);
	if (!cfg) {
		fprintf(stderr, "%s", errors ? errors : "invalid configuration\n");
		free(errors);
		return 1;
	}
	log_max_level = LOG_CRIT; /* the messages are printed below, once */
	s = plugin_set_load(cfg, 1, true, &errors);
	log_max_level = lvl;
	if (!s) {
		fprintf(stderr, "%s", errors ? errors : "invalid configuration\n");
		free(errors);
		return 1;
	}
	if (s->messages)
		fprintf(stderr, "%s", s->messages); /* warnings */
	printf("%s: valid, %u plugin(s)", path, s->n);
	for (unsigned i = 0; i < s->n; i++)
		printf("%s %s", i ? "," : ":", s->v[i].owner.name);
	printf("\n");
	plugin_set_unref(s);
	return 0;
}

static int listen_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, n = sd_listen_fds(1);

	if (n > 0) {
		socket_activated = true;
		return SD_LISTEN_FDS_START;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_error("socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* a stale socket of a previous run, never any other file, and never
	 * the socket of an lscad that still serves */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		if (socket_alive(path)) {
			log_error("%s is in use by another lscad", path);
			close(fd);
			return -EADDRINUSE;
		}
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
	    listen(fd, 128) < 0) {
		int e = errno;

		log_error("cannot listen on %s: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

static int init_context(struct lscad *d)
{
	struct stat st;
	struct rlimit rl;
	int pidfd, r;

	pthread_mutex_init(&d->stats_lock, NULL);
	pthread_mutex_init(&d->plugins_lock, NULL);
	r = dispatch_guard_install();
	if (r < 0)
		return r;
	r = placement_create(d);
	if (r < 0)
		return r;
	r = creds_init_daemon();
	if (r < 0)
		return r;
	r = procfs_init();
	if (r < 0)
		return r;
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0)
		return -errno;
	r = creds_read(getpid(), 0, pidfd, &d->self);
	close(pidfd);
	if (r < 0)
		return r;
	if (stat("/proc/self", &st) < 0)
		return -errno;
	d->proc_dev = st.st_dev;
	if (stat("/", &st) < 0)
		return -errno;
	d->root_dev = st.st_dev;
	d->root_ino = st.st_ino;
	if (stat("/proc/self/ns/mnt", &st) == 0)
		d->mntns_ino = st.st_ino;
	if (stat("/proc/self/ns/user", &st) == 0)
		d->userns_ino = st.st_ino;
	/* every client costs a few fds: allow what the admin allows */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return 0;
}

/* Detach everyone, then give their workers up to 5 s to finish what they
 * are executing (their statistics arrive as they end). */
static void shutdown_clients(struct lscad *d)
{
	while (d->clients)
		client_unlink(d, d->clients);
	for (int i = 0; i < 500 && atomic_load(&d->live); i++)
		usleep(10000);
	if (atomic_load(&d->live))
		log_warn("%u worker(s) still busy at exit", atomic_load(&d->live));
}

/* Whether clients can get complete interception: the kernel answers
 * PR_SYS_DISPATCH_OFF with EINVAL where it has no Syscall User Dispatch. */
static bool sud_available(void)
{
	return prctl(59 /* PR_SET_SYSCALL_USER_DISPATCH */, 0 /* PR_SYS_DISPATCH_OFF */, 0, 0, 0) ==
	       0;
}

/* An option given on the command line wins over the configuration. */
#define UNSET (-1)

int main(int argc, char **argv)
{
	static struct lscad d = {.place_fd = -1};
	gchar *socket_path = NULL, *stats_out = NULL, *config = NULL, *check = NULL,
	      *plugin_dir = NULL, *control = NULL;
	gint spin_us = UNSET, slots = UNSET, data_kib = UNSET, max_clients = UNSET;
	gboolean verbose = FALSE, version = FALSE, no_config = FALSE, strict = FALSE;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
	     "Read FILE (default " LSCAD_DEFAULT_CONFIG " if it exists, else built-in defaults)",
	     "FILE"},
	    {"no-config", 0, 0, G_OPTION_ARG_NONE, &no_config,
	     "Use the built-in defaults, read no file", NULL},
	    {"check-config", 0, 0, G_OPTION_ARG_FILENAME, &check,
	     "Check FILE and the plugins it lists, then exit (0: valid)", "FILE"},
	    {"strict-plugins", 0, 0, G_OPTION_ARG_NONE, &strict,
	     "Refuse to start when a listed plugin cannot be loaded (a reload always does)", NULL},
	    {"plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &plugin_dir,
	     "Plugins live in DIR unless the configuration says plugin_dir", "DIR"},
	    {"socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
	     "Listen on PATH (default " LSCA_DEFAULT_SOCKET ")", "PATH"},
	    {"control-socket", 0, 0, G_OPTION_ARG_FILENAME, &control,
	     "Take lscactl's commands on PATH (default " LSCAD_DEFAULT_CONTROL ")", "PATH"},
	    {"spin-us", 0, 0, G_OPTION_ARG_INT, &spin_us,
	     "Spin this long before sleeping, both sides (default 100)", "USEC"},
	    {"slots", 0, 0, G_OPTION_ARG_INT, &slots,
	     "Ring slots per client: threads served at once (default 64)", "N"},
	    {"slot-kib", 0, 0, G_OPTION_ARG_INT, &data_kib,
	     "Argument data per slot in KiB; larger transfers are chunked (default 128)", "KIB"},
	    {"max-clients", 0, 0, G_OPTION_ARG_INT, &max_clients,
	     "Attached processes at most (default 4096)", "N"},
	    {"stats-out", 0, 0, G_OPTION_ARG_FILENAME, &stats_out,
	     "At exit, write the per-syscall summary to FILE", "FILE"},
	    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log every attach and detach", NULL},
	    {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	GOptionContext *ctx = g_option_context_new("- the LSCA system call agent daemon");
	struct lscad_config *cfg;
	char *errors = NULL;
	GError *err = NULL;
	int lfd, r;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "lscad: %s (see lscad --help)\n", err->message);
		return 2;
	}
	g_option_context_free(ctx);
	if (version) {
		printf("lscad %s (protocol %u, plugin ABI %u.%u)\n", LSCAD_VERSION,
		       LSCA_PROTO_VERSION, (unsigned)LSCA_PLUGIN_ABI_MAJOR,
		       (unsigned)LSCA_PLUGIN_ABI_MINOR);
		return 0;
	}
	if ((spin_us != UNSET && (spin_us < 0 || spin_us > 100000)) ||
	    (slots != UNSET && (slots < 1 || slots > 1024)) ||
	    (data_kib != UNSET && (data_kib < 4 || data_kib > 16384 || data_kib % 4)) ||
	    (max_clients != UNSET && max_clients < 1)) {
		fprintf(stderr, "lscad: option out of range: --spin-us 0..100000, --slots 1..1024, "
				"--slot-kib 4..16384 (multiple of 4), --max-clients >= 1\n");
		return 2;
	}
	if (plugin_dir)
		plugin_dir_default = plugin_dir;
	if (check)
		return check_config(check);
	if (config && no_config) {
		fprintf(stderr, "lscad: --config and --no-config exclude each other\n");
		return 2;
	}
	if (config)
		config_path = config;
	else
		config_probe = !no_config;
	cfg = read_config(&errors);
	if (!cfg) {
		fprintf(stderr, "%s", errors ? errors : "lscad: invalid configuration\n");
		free(errors);
		return 1;
	}
	verbose_cli = verbose;
	max_clients_cli = max_clients != UNSET;
	if (verbose)
		log_max_level = LOG_DEBUG;
	apply_runtime_settings(&d, cfg, verbose);
	d.set = (struct lscad_settings){
	    .socket_path = socket_path ? socket_path : cfg->socket_path,
	    .stats_out = stats_out,
	    .spin_ns = (uint32_t)(spin_us != UNSET ? spin_us : (gint)cfg->spin_us) * 1000u,
	    .nslots = (uint32_t)(slots != UNSET ? slots : (gint)cfg->slots),
	    .data_size = (uint32_t)(data_kib != UNSET ? data_kib : (gint)cfg->slot_kib) * 1024u,
	    .max_clients = (uint32_t)(max_clients != UNSET ? max_clients : (gint)cfg->max_workers),
	    .on_failure = cfg->on_failure,
	};
	signal(SIGPIPE, SIG_IGN);
	r = init_context(&d);
	if (r < 0) {
		log_error("cannot initialise: %s", strerror(-r));
		return 1;
	}
	d.plugins = plugin_set_load(cfg, 1, strict, &errors);
	if (!d.plugins) {
		fprintf(stderr, "%s", errors ? errors : "lscad: cannot load the plugins\n");
		free(errors);
		return 1;
	}
	cfg = d.plugins->cfg;
	if (!control)
		control = g_strdup(cfg->control_socket);
	if (cfg->interception == LSCAD_INTERCEPT_COMPLETE && !sud_available())
		log_warn("interception: complete needs Syscall User Dispatch (Linux >= 5.11, "
			 "x86_64; arm64 where the kernel has it), which this kernel lacks; clients "
			 "use entry-points");
	atomic_store(&d.plugins_gen, 1);
	placement_publish(&d, d.plugins);
	lfd = listen_socket(d.set.socket_path);
	if (lfd < 0)
		return 1;
	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	loop = g_main_loop_new(NULL, FALSE);
	listen_fd = lfd;
	g_unix_fd_add(lfd, G_IO_IN, on_accept, &d);
	g_unix_signal_add(SIGTERM, on_quit, NULL);
	g_unix_signal_add(SIGINT, on_quit, NULL);
	g_unix_signal_add(SIGHUP, on_hup, &d);
	watchdog_start();
	r = procwatch_start(&d);
	if (r < 0 && creds_daemon_can_switch())
		/* the proc connector exists only in the initial network
		 * namespace: inside a container lscad goes without it */
		log_info("exec events unavailable here (errno %d): a child that keeps its "
			 "parent's ring after the parent executes another program is served "
			 "with the parent's old identity (docs/interception.md)",
			 -r);
	if (control_start(&d, control) < 0)
		log_warn("lscactl cannot reach this lscad; SIGHUP still reloads it");
	status_start(&d);
	/* ready: the plugins are loaded and the socket listens */
	sd_notifyf(0, "READY=1\nSTATUS=serving on %s\nMAINPID=%d", d.set.socket_path,
		   (int)getpid());
	log_debug("listening on %s", d.set.socket_path);
	g_main_loop_run(loop);
	control_stop();
	shutdown_clients(&d);
	/* plugin sets the last workers let go of are finalised here */
	while (g_main_context_iteration(NULL, FALSE))
		;
	if (d.set.stats_out) {
		r = lsca_summary_write(&d.stats, d.set.stats_out);
		if (r < 0)
			log_error("cannot write %s: %s", d.set.stats_out, strerror(-r));
	}
	if (!socket_activated)
		unlink(d.set.socket_path);
	close(lfd);
	plugin_set_unref(d.plugins);
	return 0;
}
