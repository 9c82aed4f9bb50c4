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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "lscad.h"

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

static gboolean on_hup(gpointer data)
{
	(void)data;
	log_info("SIGHUP: no configuration to reload yet");
	return G_SOURCE_CONTINUE;
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
	/* a stale socket of a previous run, never any other file */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
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
	d->dispatch = dispatch_new();
	if (!d->dispatch)
		return -ENOMEM;
	r = creds_init_daemon();
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

int main(int argc, char **argv)
{
	static struct lscad d;
	gchar *socket_path = NULL, *stats_out = NULL;
	gint spin_us = 100, slots = 64, data_kib = 128, max_clients = 4096;
	gboolean verbose = FALSE, version = FALSE;
	GOptionEntry entries[] = {
	    {"socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
	     "Listen on PATH (default " LSCA_DEFAULT_SOCKET ")", "PATH"},
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
	GError *err = NULL;
	int lfd, r;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "lscad: %s (see lscad --help)\n", err->message);
		return 2;
	}
	g_option_context_free(ctx);
	if (version) {
		printf("lscad %s (protocol %u)\n", LSCAD_VERSION, LSCA_PROTO_VERSION);
		return 0;
	}
	if (spin_us < 0 || spin_us > 100000 || slots < 1 || slots > 1024 || data_kib < 4 ||
	    data_kib > 16384 || data_kib % 4 || max_clients < 1) {
		fprintf(stderr, "lscad: option out of range: --spin-us 0..100000, --slots 1..1024, "
				"--slot-kib 4..16384 (multiple of 4), --max-clients >= 1\n");
		return 2;
	}
	if (verbose)
		log_max_level = LOG_DEBUG;
	d.set = (struct lscad_settings){
	    .socket_path = socket_path ? socket_path : LSCA_DEFAULT_SOCKET,
	    .stats_out = stats_out,
	    .spin_ns = (uint32_t)spin_us * 1000u,
	    .nslots = (uint32_t)slots,
	    .data_size = (uint32_t)data_kib * 1024u,
	    .max_clients = (uint32_t)max_clients,
	};
	signal(SIGPIPE, SIG_IGN);
	r = init_context(&d);
	if (r < 0) {
		log_error("cannot initialise: %s", strerror(-r));
		return 1;
	}
	lfd = listen_socket(d.set.socket_path);
	if (lfd < 0)
		return 1;
	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	loop = g_main_loop_new(NULL, FALSE);
	listen_fd = lfd;
	g_unix_fd_add(lfd, G_IO_IN, on_accept, &d);
	g_unix_signal_add(SIGTERM, on_quit, NULL);
	g_unix_signal_add(SIGINT, on_quit, NULL);
	g_unix_signal_add(SIGHUP, on_hup, NULL);
	sd_notifyf(0, "READY=1\nSTATUS=serving on %s\nMAINPID=%d", d.set.socket_path,
		   (int)getpid());
	log_debug("listening on %s", d.set.socket_path);
	g_main_loop_run(loop);
	shutdown_clients(&d);
	if (d.set.stats_out) {
		r = lsca_summary_write(&d.stats, d.set.stats_out);
		if (r < 0)
			log_error("cannot write %s: %s", d.set.stats_out, strerror(-r));
	}
	if (!socket_activated)
		unlink(d.set.socket_path);
	close(lfd);
	dispatch_free(d.dispatch);
	return 0;
}
