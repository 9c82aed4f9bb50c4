/* SPDX-License-Identifier: MIT */
#include "client.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <systemd/sd-login.h>
#include <unistd.h>

#include "../common/fdpass.h"
#include "../common/ring.h"
#include "log.h"
#include "lscad.h"
#include "procfs.h"
#include "worker.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

static uint32_t want_interception(const struct lscad *d)
{
	return d->plugins->cfg->interception == LSCAD_INTERCEPT_COMPLETE ? LSCA_INTERCEPT_COMPLETE
									 : LSCA_INTERCEPT_ENTRY;
}

/* The answer to a hello; on success with the ring and the placement table. */
static int send_welcome(int conn, uint32_t status, const char *reason, const int *fds)
{
	struct lsca_welcome w = {
	    .magic = LSCA_PROTO_MAGIC, .version = LSCA_PROTO_VERSION, .status = status};

	if (reason)
		snprintf(w.reason, sizeof(w.reason), "%s", reason);
	return lsca_send_fds(conn, &w, sizeof(w), fds, fds ? LSCA_WELCOME_FDS : 0,
			     MSG_DONTWAIT | MSG_NOSIGNAL);
}

int client_send_fd(struct client *c, uint32_t slot, uint32_t seq, int fd)
{
	struct lsca_fdmsg m = {.magic = LSCA_PROTO_MAGIC, .slot = slot, .seq = seq};

	/* never block a worker on a client that does not drain its socket */
	return lsca_send_fd(c->sock, &m, sizeof(m), fd, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static int peer_pidfd(int conn, pid_t pid)
{
	int fd = -1;
	socklen_t len = sizeof(fd);

	if (getsockopt(conn, SOL_SOCKET, SO_PEERPIDFD, &fd, &len) == 0 && fd >= 0)
		return fd;
	/* kernels before 6.5: the peer is blocked waiting for our answer, so
	 * its pid cannot have been recycled yet */
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	return fd < 0 ? -errno : fd;
}

static void read_identity_strings(struct client *c)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)c->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, c->comm, sizeof(c->comm) - 1);
		c->comm[n > 0 ? n : 0] = '\0';
		c->comm[strcspn(c->comm, "\n")] = '\0';
		close(fd);
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)c->pid);
	n = readlink(path, c->exe, sizeof(c->exe) - 1);
	c->exe[n > 0 ? n : 0] = '\0';
	/* from its cgroup; a process outside any unit has none */
	if (sd_pid_get_unit(c->pid, &c->unit) < 0)
		c->unit = NULL;
}

static bool same_inode(int fd, dev_t dev, ino_t ino)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

/* Where the client's paths resolve: its cwd, and its root if not ours. */
static int open_fs_context(struct client *c)
{
	struct lscad *d = c->d;
	char path[64];

	struct stat st;

	c->cwd_fd = procfs_open(O_PATH | O_DIRECTORY, "%d/cwd", (int)c->pid);
	if (c->cwd_fd < 0 || fstat(c->cwd_fd, &st) < 0)
		return -errno;
	c->cwd_dev = st.st_dev;
	c->cwd_ino = st.st_ino;
	snprintf(path, sizeof(path), "/proc/%d/root", (int)c->pid);
	c->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->root_fd < 0 || fstat(c->root_fd, &st) < 0)
		return -errno;
	c->root_dev = st.st_dev;
	c->root_ino = st.st_ino;
	if (same_inode(c->root_fd, d->root_dev, d->root_ino)) {
		close(c->root_fd);
		c->root_fd = -1;
	} else if (!creds_daemon_can_switch()) {
		c->direct_only = true;
		c->why_direct = "its root differs and lscad cannot chroot";
	}
	return 0;
}

static bool ns_differs(pid_t pid, const char *ns, ino_t ours)
{
	struct stat st;

	return procfs_stat(&st, "%d/ns/%s", (int)pid, ns) < 0 || st.st_ino != ours;
}

/* The client's LSM context (/proc/PID/attr/current: SELinux, AppArmor,
 * Smack) equals lscad's own, or there is none. A worker acts in lscad's
 * context: serving a more confined client would lift its confinement. */
static bool same_lsm_label(pid_t pid)
{
	char mine[256] = "", theirs[256] = "";
	ssize_t n;
	int fd;

	fd = procfs_open(O_RDONLY, "self/attr/current");
	if (fd < 0)
		return true; /* no LSM with a context here */
	n = read(fd, mine, sizeof(mine) - 1);
	close(fd);
	if (n <= 0)
		return true;
	fd = procfs_open(O_RDONLY, "%d/attr/current", (int)pid);
	if (fd < 0)
		return false;
	n = read(fd, theirs, sizeof(theirs) - 1);
	close(fd);
	return n >= 0 && !strcmp(mine, theirs);
}

/* Whether acting for the client, as the kernel describes it now, could
 * give it more than it has. Its capabilities mean something only in its
 * own user namespace; paths only in its mount namespace; a seccomp filter
 * forbids calls the daemon would make for it. Such clients are served
 * direct-only. Checked at attach and at every re-identification. */
static const char *confinement(struct client *c)
{
	if (ns_differs(c->pid, "user", c->d->userns_ino))
		return "it is in another user namespace";
	if (ns_differs(c->pid, "mnt", c->d->mntns_ino))
		return "it is in another mount namespace";
	if (c->creds.seccomp)
		return "it runs under a seccomp filter";
	/* Landlock needs no_new_privs and shows nowhere else: a sandboxed
	 * process must not reach through lscad what its sandbox forbids */
	if (c->creds.no_new_privs)
		return "it set no_new_privs (a Landlock sandbox lscad cannot see)";
	/* a write through lscad would pass the client's file-size limit
	 * (no EFBIG, no SIGXFSZ): limits are per process, lscad's are its own */
	if (c->creds.fsize_limited)
		return "it has a file-size limit (RLIMIT_FSIZE) lscad's writes would not honour";
	if (!same_lsm_label(c->pid))
		return "its security label (SELinux, AppArmor) differs from lscad's";
	if (c->root_dev || c->root_ino) {
		struct stat st;

		if (procfs_stat(&st, "%d/root", (int)c->pid) < 0 || st.st_dev != c->root_dev ||
		    st.st_ino != c->root_ino)
			return "its root changed after it attached";
	}
	return NULL;
}

static int create_ring(struct client *c)
{
	struct lscad *d = c->d;
	struct lsca_ring *r = &c->ring;
	void *map;

	if (!lsca_ring_layout(r, d->set.nslots, d->set.data_size, LSCA_NOPS))
		return -EINVAL;
	c->memfd = memfd_create("lsca-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (c->memfd < 0)
		return -errno;
	/* sealed size: the client can never make our mapping fault */
	if (ftruncate(c->memfd, (off_t)r->size) < 0 ||
	    fcntl(c->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		return -errno;
	map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, c->memfd, 0);
	if (map == MAP_FAILED)
		return -errno;
	r->hdr = map;
	atomic_store_explicit(&r->hdr->umask, c->creds.umask, memory_order_relaxed);
	r->hdr->on_failure = d->set.on_failure;
	r->hdr->interception = want_interception(d);
	lsca_ring_init_hdr(r, d->set.spin_ns);
	return 0;
}

/* Who may be served at all. A daemon that cannot switch identity serves
 * only processes with exactly its own, or it would lend them its rights. */
static const char *admission_refusal(struct client *c)
{
	static __thread char why[112];
	struct lscad *d = c->d;

	if (creds_daemon_can_switch())
		return NULL;
	if (!creds_same_ids(&c->creds, &d->self) || (c->creds.cap_eff & ~d->self.cap_eff)) {
		snprintf(why, sizeof(why), "lscad runs as uid %u and serves only that user",
			 (unsigned)d->self.ruid);
		return why;
	}
	return NULL;
}

static struct client *client_free(struct client *c)
{
	if (!c)
		return NULL;
	if (c->ring.hdr)
		munmap(c->ring.hdr, c->ring.size);
	if (c->memfd >= 0)
		close(c->memfd);
	if (c->cwd_fd >= 0)
		close(c->cwd_fd);
	if (c->root_fd >= 0)
		close(c->root_fd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->sock >= 0)
		close(c->sock);
	free(c->unit);
	free(c);
	return NULL;
}

static uint64_t client_ids; /* main loop only */

int client_attach(struct lscad *d, int conn, struct client **out)
{
	struct lsca_hello hello;
	struct ucred uc;
	socklen_t len = sizeof(uc);
	struct client *c;
	const char *why;
	ssize_t n;
	int r;

	n = recv(conn, &hello, sizeof(hello), MSG_DONTWAIT);
	if (n != (ssize_t)sizeof(hello) || hello.magic != LSCA_PROTO_MAGIC) {
		close(conn);
		return -EPROTO;
	}
	if (hello.version != LSCA_PROTO_VERSION) {
		char msg[112];

		snprintf(msg, sizeof(msg), "lscad speaks protocol %u, the shim %u",
			 LSCA_PROTO_VERSION, hello.version);
		log_warn("refusing a client: %s", msg);
		send_welcome(conn, LSCA_WELCOME_VERSION, msg, NULL);
		close(conn);
		return -EPROTO;
	}
	if (hello.flags & LSCA_HELLO_PROBE) {
		struct lsca_welcome w = {.magic = LSCA_PROTO_MAGIC,
					 .version = LSCA_PROTO_VERSION,
					 .status = LSCA_WELCOME_OK,
					 .interception = want_interception(d)};

		send(conn, &w, sizeof(w), MSG_DONTWAIT | MSG_NOSIGNAL);
		close(conn);
		return -EAGAIN;
	}
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0) {
		close(conn);
		return -errno;
	}
	if (d->nclients >= d->set.max_clients) {
		send_welcome(conn, LSCA_WELCOME_ERROR, "lscad serves its maximum of clients", NULL);
		close(conn);
		return -EMFILE;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(conn);
		return -ENOMEM;
	}
	*c = (struct client){.d = d,
			     .sock = conn,
			     .pid = uc.pid,
			     .pidfd = -1,
			     .cwd_fd = -1,
			     .root_fd = -1,
			     .memfd = -1};
	c->pidfd = peer_pidfd(conn, uc.pid);
	r = c->pidfd < 0 ? c->pidfd : creds_read(c->pid, 0, c->pidfd, &c->creds);
	if (r < 0) {
		log_warn("cannot identify client pid %d: %s", (int)c->pid, strerror(-r));
		send_welcome(conn, LSCA_WELCOME_ERROR, "lscad cannot identify this process", NULL);
		client_free(c);
		return r;
	}
	c->attach_creds = c->creds;
	c->attached_ns = lsca_now_ns();
	read_identity_strings(c);
	if (!config_admits(d->plugins->cfg, c->creds.ruid, c->exe, c->unit)) {
		log_debug("pid %d (%s, uid %u) is not admitted by the configuration", (int)c->pid,
			  c->comm, (unsigned)c->creds.ruid);
		send_welcome(conn, LSCA_WELCOME_EXCLUDED, NULL, NULL);
		client_free(c);
		return -EPERM;
	}
	why = admission_refusal(c);
	if (why) {
		log_info("refusing pid %d (%s, uid %u): %s", (int)c->pid, c->comm,
			 (unsigned)c->creds.ruid, why);
		send_welcome(conn, LSCA_WELCOME_DENIED, why, NULL);
		client_free(c);
		return -EPERM;
	}
	c->why_direct = confinement(c);
	c->direct_only = c->why_direct != NULL;
	/* before the welcome: the worker may serve a call at once */
	c->info = (struct lsca_client_info){.pid = c->pid,
					    .uid = c->creds.ruid,
					    .gid = c->creds.rgid,
					    .fsuid = c->creds.fsuid,
					    .fsgid = c->creds.fsgid,
					    .comm = c->comm,
					    .exe = c->exe,
					    .unit = c->unit,
					    .ppid = c->creds.ppid,
					    .id = ++client_ids};
	r = open_fs_context(c);
	if (r == 0)
		r = create_ring(c);
	if (r == 0) {
		int fds[LSCA_WELCOME_FDS] = {c->memfd, d->place_fd};

		r = send_welcome(conn, LSCA_WELCOME_OK, NULL, fds);
	}
	if (r == 0)
		r = worker_start(c);
	if (r < 0) {
		log_warn("cannot attach pid %d (%s): %s", (int)c->pid, c->comm, strerror(-r));
		send_welcome(conn, LSCA_WELCOME_ERROR, "lscad could not set up the ring", NULL);
		client_free(c);
		return r;
	}
	atomic_fetch_add_explicit(&d->live, 1, memory_order_relaxed);
	/* the client has its own mapping now */
	close(c->memfd);
	c->memfd = -1;
	if (c->direct_only)
		log_debug("pid %d (%s) attached, calls stay direct: %s", (int)c->pid, c->comm,
			  c->why_direct);
	else
		log_debug("pid %d (%s) attached, uid %u", (int)c->pid, c->comm,
			  (unsigned)c->creds.ruid);
	*out = c;
	return 0;
}

static void fold_stats(struct client *c)
{
	struct lscad *d = c->d;
	const struct lsca_ring *r = &c->ring;

	uint32_t mode = atomic_load_explicit(&r->hdr->client_interception, memory_order_relaxed);

	pthread_mutex_lock(&d->stats_lock);
	d->stats.clients++;
	/* what the client says it got: display only */
	if (mode == LSCA_INTERCEPT_COMPLETE)
		d->stats.complete++;
	else if (mode == LSCA_INTERCEPT_ENTRY)
		d->stats.entry++;
	for (uint32_t s = 0; s <= r->nslots; s++) {
		const struct lsca_stat *row = lsca_ring_stats(r, s);

		for (unsigned op = 0; op < LSCA_NOPS; op++) {
			struct lsca_stat v = row[op];

			/* untrusted numbers, for display only: keep them sane */
			if (v.errors > v.calls || v.direct > v.calls || v.observed > v.calls)
				continue;
			d->stats.op[op].calls += v.calls;
			d->stats.op[op].errors += v.errors;
			d->stats.op[op].direct += v.direct;
			d->stats.op[op].observed += v.observed;
			d->stats.op[op].ns += v.ns;
		}
	}
	pthread_mutex_unlock(&d->stats_lock);
}

void client_put(struct client *c)
{
	if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
		return;
	fold_stats(c);
	log_debug("pid %d (%s) detached", (int)c->pid, c->comm);
	atomic_fetch_sub_explicit(&c->d->live, 1, memory_order_release);
	client_free(c);
}

void client_detach(struct client *c)
{
	const struct lsca_ring *r = &c->ring;

	atomic_store_explicit(&r->hdr->daemon_state, LSCA_DAEMON_GONE, memory_order_release);
	atomic_store_explicit(&c->stop, true, memory_order_release);
	lsca_doorbell_kick(r);
	/* a living client waiting on a slot learns we are gone */
	for (uint32_t i = 0; i < r->nslots; i++)
		lsca_futex_wake(&lsca_ring_slot(r, i)->state, 1);
	client_put(c);
}

static bool threads_differ_now(struct client *c)
{
	struct creds first, t;
	struct dirent *e;
	bool have = false, differ = false;
	DIR *dir;
	int fd;

	fd = procfs_open(O_RDONLY | O_DIRECTORY, "%d/task", (int)c->pid);
	dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return true; /* cannot tell: take each thread as itself */
	}
	while (!differ && (e = readdir(dir))) {
		pid_t tid = (pid_t)atoi(e->d_name);

		/* a comparison only: no pidfd check; a thread that ended
		 * meanwhile differs from nobody */
		if (tid <= 0 || creds_read(c->pid, tid, -1, have ? &t : &first) < 0)
			continue;
		if (have)
			differ = !creds_same_ids(&t, &first) || t.cap_eff != first.cap_eff ||
				 t.cap_prm != first.cap_prm;
		have = true;
	}
	closedir(dir);
	return differ;
}

int client_reidentify(struct client *c, pid_t tid, bool *threads_differ)
{
	bool can_switch = creds_daemon_can_switch();
	struct creds n;
	int r;

	/* the worker acts as the client, who may not signal or limit-query
	 * itself as lscad does: ours for the reading, the client's again
	 * whatever comes of it (never ours for its calls or its plugins) */
	if (can_switch)
		creds_as_daemon();
	r = creds_read(c->pid, tid, c->pidfd, &n);
	if (r == 0 && threads_differ)
		*threads_differ = threads_differ_now(c);
	if (r < 0) {
		c->why_direct = "its identity could not be read again";
		goto out;
	}
	r = -EPERM;
	if (creds_gained(&c->attach_creds, &n)) {
		/* exec of a setuid program: its new rights are not the
		 * client's that attached (a child may still hold the ring) */
		c->why_direct = "it gained privileges (it executed a setuid program)";
		goto out;
	}
	c->creds = n;
	c->why_direct = confinement(c);
	if (c->why_direct)
		goto out;
	c->info.uid = n.ruid;
	c->info.gid = n.rgid;
	c->info.fsuid = n.fsuid;
	c->info.fsgid = n.fsgid;
	if (!can_switch && !creds_same_ids(&n, &c->d->self)) {
		c->why_direct = "it took an identity this lscad cannot take on";
		goto out;
	}
	r = 0;
out:
	if (can_switch && creds_apply_thread(&c->creds) < 0 && r == 0) {
		c->why_direct = "lscad could not take on its new identity";
		r = -EPERM;
	}
	return r;
}
