/* SPDX-License-Identifier: MIT */
/*
 * Attach to lscad on first use: connect, check who the daemon is (from the
 * kernel), handshake, map the ring. Every syscall here is raw: the shim never
 * calls back into itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/fdpass.h"
#include "../common/ring.h"
#include "fdtag.h"
#include "shim.h"
#include "sud.h"

struct shim shim = {.sock = -1};
SHIM_TLS __thread int shim_depth;
static SHIM_TLS __thread int tls_slot; /* the slot this thread had last */
/* The slot this thread keeps between calls: on ring tls_kept_ring of
 * attachment tls_kept_gen + 1 (0: none); tls_in_kept: in a call on it. */
static SHIM_TLS __thread const struct lsca_ring *tls_kept_ring;
static SHIM_TLS __thread unsigned tls_kept_gen;
static SHIM_TLS __thread bool tls_in_kept;
static pthread_key_t kept_key; /* its destructor gives the slot back */
/* Threads keep slots only with a key whose value glibc stores without
 * allocating (the first 32): it is set from a SIGSYS handler too. */
static bool kept_key_ok;
static SHIM_TLS __thread pid_t tls_tid; /* this thread, for lscad */
static pthread_once_t configured = PTHREAD_ONCE_INIT;
static void shim_configure(void);

#define RETRY_NS 1000000000ull /* a missing daemon is looked for once a second */

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(nr, a, b, c, d, e, f);

	return r < 0 ? -errno : r;
}
#define SYS3(nr, a, b, c)	sys(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS5(nr, a, b, c, d, e) sys(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* One line on stderr, once per process: the program's output otherwise
 * stays exactly its own. */
static void say_once(const char *fmt, const char *a, const char *b)
{
	static _Atomic int said;
	char line[320];
	int n;

	if (atomic_exchange(&said, 1))
		return;
	n = snprintf(line, sizeof(line), fmt, a, b);
	if (n > 0)
		SYS3(SYS_write, 2, line, n < (int)sizeof(line) ? n : (int)sizeof(line) - 1);
}

/* The shim's socket sits high, so the program's own fd numbers come out
 * exactly as without the shim. */
static int move_high(int fd)
{
	struct rlimit rl;
	long lim = 1024, hi;

	if (sys(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl, 0, 0) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 1024)
		lim = (long)rl.rlim_cur;
	hi = SYS3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, lim > 16 ? lim - 8 : 3);
	if (hi < 0)
		return fd;
	SYS3(SYS_close, fd, 0, 0);
	return (int)hi;
}

static int recv_welcome(int fd, struct lsca_welcome *w, int *fds)
{
	long n = lsca_recv_fds(fd, w, sizeof(*w), fds, LSCA_WELCOME_FDS, NULL, MSG_CMSG_CLOEXEC);

	if (n < 0)
		return (int)n;
	if (n != (long)sizeof(*w) || w->magic != LSCA_PROTO_MAGIC)
		return -EPROTO;
	w->reason[sizeof(w->reason) - 1] = '\0';
	return 0;
}

/* The daemon must be root or our own real uid, as the kernel says. */
static int check_daemon(int fd, pid_t *pid)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	char uid[32];

	if (SYS5(SYS_getsockopt, fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -EPERM;
	if (uc.uid == 0 || (!shim.secure && uc.uid == getuid())) {
		*pid = uc.pid;
		return 0;
	}
	snprintf(uid, sizeof(uid), "%u", (unsigned)uc.uid);
	say_once("lsca: refusing the daemon at %s: it runs as uid %s, neither root nor this "
		 "user; running without LSCA\n",
		 shim.socket_path, uid);
	return -EPERM;
}

static void refuse_version(const struct lsca_welcome *w)
{
	char v[64];

	snprintf(v, sizeof(v), "protocol %u, this shim %u", w->version, LSCA_PROTO_VERSION);
	say_once("lsca: the daemon speaks %s: %s; running without LSCA\n", v, w->reason);
	atomic_store(&shim.state, SHIM_DISABLED);
}

/* A socket connected to lscad's, or -errno. It has timeouts: a daemon that
 * stops answering must not hang the program (a full backlog blocks
 * connect() for the send timeout). */
static int connect_daemon(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};
	int fd, r;

	memcpy(sa.sun_path, shim.socket_path, sizeof(shim.socket_path));
	fd = (int)SYS3(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	SYS5(SYS_setsockopt, fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	SYS5(SYS_setsockopt, fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	r = (int)SYS3(SYS_connect, fd, &sa, sizeof(sa));
	if (r < 0) {
		SYS3(SYS_close, fd, 0, 0);
		return r;
	}
	return fd;
}

/* Which interception lscad wants, asked without attaching (LSCA_HELLO_PROBE):
 * a process that lscad serves with entry points attaches, as ever, on its
 * first call. */
static uint32_t probe_interception(void)
{
	struct lsca_hello hello = {
	    .magic = LSCA_PROTO_MAGIC, .version = LSCA_PROTO_VERSION, .flags = LSCA_HELLO_PROBE};
	struct lsca_welcome w;
	uint32_t r = LSCA_INTERCEPT_ENTRY;
	pid_t dpid;
	int fd = connect_daemon(), fds[LSCA_WELCOME_FDS] = {-1, -1};

	if (fd < 0)
		return r;
	if (check_daemon(fd, &dpid) == 0 && SYS3(SYS_sendto, fd, &hello, sizeof(hello)) >= 0 &&
	    recv_welcome(fd, &w, fds) == 0) {
		if (w.version == LSCA_PROTO_VERSION && w.status == LSCA_WELCOME_OK)
			r = w.interception;
		else if (w.version != LSCA_PROTO_VERSION || w.status == LSCA_WELCOME_VERSION)
			refuse_version(&w); /* as the attach would */
	}
	for (unsigned i = 0; i < LSCA_WELCOME_FDS; i++)
		if (fds[i] >= 0)
			SYS3(SYS_close, fds[i], 0, 0);
	SYS3(SYS_close, fd, 0, 0);
	return r;
}

/* lscad cannot see a Landlock ruleset, nor in time a filter set with a
 * raw syscall: its worker latches this word when it next serves us (at
 * attach: our first call, before any code of the program runs on) */
static void tell_sandboxed(struct lsca_ring_hdr *hdr)
{
	atomic_store_explicit(&hdr->sandboxed, 1, memory_order_release);
}

static int do_attach(void)
{
	struct lsca_hello hello = {.magic = LSCA_PROTO_MAGIC, .version = LSCA_PROTO_VERSION};
	struct lsca_ring *ring = &shim.ring_buf[shim.ring_gen & 1];
	struct lsca_welcome w;
	const struct lsca_place_table *place;
	void *map;
	struct stat st;
	pid_t dpid;
	int fd, fds[LSCA_WELCOME_FDS] = {-1, -1}, r;

	fd = connect_daemon();
	if (fd < 0)
		return fd; /* no daemon: silent passthrough */
	r = check_daemon(fd, &dpid);
	if (r < 0)
		goto refused;
	r = (int)SYS3(SYS_sendto, fd, &hello, sizeof(hello));
	if (r >= 0)
		r = recv_welcome(fd, &w, fds);
	if (r < 0)
		goto fail;
	if (w.version != LSCA_PROTO_VERSION || w.status == LSCA_WELCOME_VERSION) {
		refuse_version(&w);
		r = -EPROTO;
		goto refused;
	}
	if (w.status == LSCA_WELCOME_EXCLUDED) {
		r = -EPERM; /* left alone on purpose: plain calls from now on */
		goto refused;
	}
	if (w.status != LSCA_WELCOME_OK || fds[0] < 0 || fds[1] < 0) {
		if (w.status == LSCA_WELCOME_DENIED)
			say_once("lsca: %s%s; running without LSCA\n", w.reason, "");
		r = -EPERM;
		goto fail;
	}
	/* the placement table: read-only, as lscad sealed it */
	place = (const void *)sys(SYS_mmap, 0, 4096, PROT_READ, MAP_SHARED, fds[1], 0);
	if ((unsigned long)place > -4096UL) {
		r = -ENOMEM;
		goto fail;
	}
	if (place->magic != LSCA_PROTO_MAGIC || place->version != LSCA_PROTO_VERSION) {
		SYS3(SYS_munmap, place, 4096, 0);
		r = -EPROTO;
		goto fail;
	}
	if (SYS3(SYS_fstat, fds[0], &st, 0) < 0 || st.st_size <= 0) {
		SYS3(SYS_munmap, place, 4096, 0);
		r = -EPROTO;
		goto fail;
	}
	map = (void *)sys(SYS_mmap, 0, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if ((unsigned long)map > -4096UL) {
		SYS3(SYS_munmap, place, 4096, 0);
		r = -ENOMEM;
		goto fail;
	}
	if (!lsca_ring_from_hdr(ring, map, (uint64_t)st.st_size)) {
		SYS3(SYS_munmap, map, st.st_size, 0);
		SYS3(SYS_munmap, place, 4096, 0);
		r = -EPROTO;
		goto fail;
	}
	SYS3(SYS_close, fds[0], 0, 0);
	SYS3(SYS_close, fds[1], 0, 0);
	shim.on_failure = ((const struct lsca_ring_hdr *)map)->on_failure == LSCA_ON_FAILURE_DENY
			      ? LSCA_ON_FAILURE_DENY
			      : LSCA_ON_FAILURE_PASSTHROUGH;
	if (!shim.interception)
		shim.interception = ((const struct lsca_ring_hdr *)map)->interception;
	atomic_store_explicit(&((struct lsca_ring_hdr *)map)->client_interception, sud_mode(),
			      memory_order_relaxed);
	/* with Yama, let the daemon take our fds (pidfd_getfd) */
	sys(SYS_prctl, PR_SET_PTRACER, dpid, 0, 0, 0, 0);
	shim.sock = move_high(fd);
	fdtag_attached(); /* a new lscad client: it holds none of our files */
	if (atomic_load(&shim.sandboxed))
		tell_sandboxed(map);
	shim.ring = ring;
	shim.place = place; /* an old table stays mapped, as old rings do */
	__atomic_add_fetch(&shim.ring_gen, 1, __ATOMIC_RELAXED);
	return 0;
refused:
	atomic_store(&shim.state, SHIM_DISABLED);
fail:
	for (unsigned i = 0; i < LSCA_WELCOME_FDS; i++)
		if (fds[i] >= 0)
			SYS3(SYS_close, fds[i], 0, 0);
	SYS3(SYS_close, fd, 0, 0);
	return r;
}

const struct lsca_ring *shim_ring(void)
{
	int s = atomic_load_explicit(&shim.state, memory_order_acquire);
	int expect;

	if (s == SHIM_ATTACHED)
		return shim.ring;
	if (s == SHIM_UNATTACHED) {
		pthread_once(&configured, shim_configure);
		s = atomic_load_explicit(&shim.state, memory_order_acquire);
	}
	if (s == SHIM_DISABLED || s == SHIM_ATTACHING)
		return NULL;
	if (s == SHIM_FAILED && lsca_now_ns() < atomic_load(&shim.retry_at))
		return NULL;
	/* one thread attaches; the others run direct meanwhile, never wait */
	expect = s;
	if (!atomic_compare_exchange_strong(&shim.state, &expect, SHIM_ATTACHING))
		return NULL;
	if (do_attach() == 0) {
		atomic_store_explicit(&shim.state, SHIM_ATTACHED, memory_order_release);
		return shim.ring;
	}
	atomic_store(&shim.retry_at, lsca_now_ns() + RETRY_NS);
	expect = SHIM_ATTACHING;
	atomic_compare_exchange_strong(&shim.state, &expect, SHIM_FAILED);
	return NULL;
}

pid_t shim_tid(void)
{
	if (!tls_tid)
		tls_tid = (pid_t)syscall(SYS_gettid);
	return tls_tid;
}

/* A thread whose tid is gone (it ended inside a call: only asynchronous
 * cancellation can do that) leaves its slot to the others, unless a call
 * of it is still in the worker's hands. */
static void reclaim_dead(const struct lsca_ring *ring, uint32_t n)
{
	pid_t pid = (pid_t)syscall(SYS_getpid);

	for (uint32_t i = 0; i < n; i++) {
		_Atomic int32_t *owner = &lsca_ring_meta(ring, i)->tid;
		int32_t t = atomic_load_explicit(owner, memory_order_relaxed);
		uint32_t st = LSCA_SLOT_BASE(
		    atomic_load_explicit(&lsca_ring_slot(ring, i)->state, memory_order_acquire));

		if (t && (st == LSCA_SLOT_FREE || st == LSCA_SLOT_DONE) &&
		    syscall(SYS_tgkill, pid, t, 0) < 0 && errno == ESRCH)
			atomic_compare_exchange_strong(owner, &t, 0);
	}
}

/* Slots kept by threads leave at least this many to be shared call by
 * call, by threads beyond the first ones and by nested calls. */
#define SHARED_SLOTS(n) ((n) / 8 > 0 ? (n) / 8 : 1)

static bool keeps_slot(const struct lsca_ring *ring)
{
	return tls_kept_gen && tls_kept_ring == ring &&
	       tls_kept_gen == __atomic_load_n(&shim.ring_gen, __ATOMIC_RELAXED) + 1;
}

/* The thread ends: its kept slot is free for another, unless a call of it
 * is still in lscad's hands (reclaim_dead sees to that slot later). A
 * thread cancelled inside a call ends with tls_in_kept still set. */
static void give_back_kept(void *unused)
{
	const struct lsca_ring *ring = shim.ring;

	(void)unused;
	if (ring && keeps_slot(ring) &&
	    LSCA_SLOT_BASE(atomic_load_explicit(&lsca_ring_slot(ring, (uint32_t)tls_slot)->state,
						memory_order_acquire)) != LSCA_SLOT_SUBMITTED) {
		int32_t tid = (int32_t)shim_tid();

		atomic_compare_exchange_strong(&lsca_ring_meta(ring, (uint32_t)tls_slot)->tid, &tid,
					       0);
	}
	tls_kept_gen = 0;
	tls_in_kept = false;
}

/* A slot is owned by a thread: the owner's tid in the slot's meta (0: free)
 * also tells lscad whose credentials to act with. The first threads keep
 * theirs between calls (no atomic read-modify-write on a call's way: it
 * would wait for every store before it); the last SHARED_SLOTS are owned
 * for one call at a time, by the threads that came later and by a call
 * nested in another (a signal handler's). When every slot is in a call, a
 * thread waits for one: a call that a plugin may refuse must never slip
 * through direct. */
int shim_slot(const struct lsca_ring *ring)
{
	uint32_t n = ring->nslots < SHIM_MAX_SLOTS ? ring->nslots : SHIM_MAX_SLOTS;
	int32_t tid = (int32_t)shim_tid();
	bool nested;
	uint32_t start;

	if (!n)
		return -1;
	if (keeps_slot(ring)) {
		if (!tls_in_kept &&
		    atomic_load_explicit(&lsca_ring_meta(ring, (uint32_t)tls_slot)->tid,
					 memory_order_relaxed) == tid) {
			tls_in_kept = true;
			return tls_slot;
		}
		nested = tls_in_kept;
		if (!nested)
			tls_kept_gen = 0; /* taken from us (reclaimed as dead?) */
	} else {
		nested = false;
		tls_kept_gen = 0;
	}
	start = nested ? n - SHARED_SLOTS(n) : (uint32_t)tls_slot % n;
	for (unsigned round = 1;; round++) {
		for (uint32_t k = 0; k < n; k++) {
			uint32_t i = (start + k) % n;
			_Atomic int32_t *owner = &lsca_ring_meta(ring, i)->tid;
			int32_t expect = 0;

			if (atomic_load_explicit(owner, memory_order_relaxed) != 0 ||
			    !atomic_compare_exchange_strong_explicit(
				owner, &expect, tid, memory_order_acquire, memory_order_relaxed))
				continue;
			/* once: lscad reads the stats of used slots only */
			if (!atomic_load_explicit(&lsca_ring_meta(ring, i)->used,
						  memory_order_relaxed))
				atomic_store_explicit(&lsca_ring_meta(ring, i)->used, 1,
						      memory_order_relaxed);
			if (nested)
				return (int)i;
			tls_slot = (int)i;
			if (i < n - SHARED_SLOTS(n) && kept_key_ok) {
				tls_kept_ring = ring;
				tls_kept_gen =
				    __atomic_load_n(&shim.ring_gen, __ATOMIC_RELAXED) + 1;
				tls_in_kept = true;
				pthread_setspecific(kept_key, (void *)1);
			}
			return (int)i;
		}
		if (round % 1024 == 0)
			reclaim_dead(ring, n);
		sched_yield();
	}
}

void shim_slot_release(const struct lsca_ring *ring, int slot)
{
	if (slot < 0)
		return;
	if (slot == tls_slot && tls_in_kept && keeps_slot(ring)) {
		tls_in_kept = false; /* still ours, for the next call */
		return;
	}
	atomic_store_explicit(&lsca_ring_meta(ring, (uint32_t)slot)->tid, 0, memory_order_release);
}

/* Stop using ring (NULL: the current one) and its socket; attach again
 * after delay_ns. A thread still waiting on an older ring must not take
 * down the attachment that replaced it. */
static void forget_ring(const struct lsca_ring *ring, bool close_sock, uint64_t delay_ns)
{
	int expect = SHIM_ATTACHED;

	/* the old mapping stays: other threads may still be reading it */
	if (!atomic_compare_exchange_strong(&shim.state, &expect, SHIM_ATTACHING))
		return;
	if (ring && ring != shim.ring) {
		atomic_store(&shim.state, SHIM_ATTACHED);
		return;
	}
	if (close_sock)
		SYS3(SYS_close, shim.sock, 0, 0);
	shim.sock = -1;
	atomic_store(&shim.retry_at, lsca_now_ns() + delay_ns);
	atomic_store(&shim.state, SHIM_FAILED);
}

void shim_lost_daemon(void)
{
	forget_ring(NULL, true, RETRY_NS / 10);
}

void shim_lost_ring(const struct lsca_ring *ring)
{
	forget_ring(ring, true, RETRY_NS / 10);
}

void shim_fds_touched(long nr, const long *a)
{
	int s = shim.sock;
	bool gone = false;

	if (s < 0)
		return;
	if (nr == __NR_close)
		gone = (int)a[0] == s;
	else if (nr == __NR_dup3)
		gone = (int)a[1] == s;
	else if (nr == __NR_close_range)
		gone = (unsigned)a[0] <= (unsigned)s && (unsigned)s <= (unsigned)a[1] &&
		       !(a[2] & CLOSE_RANGE_CLOEXEC);
	/* the number is not ours any more: forget it, attach again now */
	if (gone)
		forget_ring(NULL, false, 0);
}

bool shim_alive(void *arg)
{
	const struct lsca_ring *ring = arg;
	struct pollfd p = {.fd = shim.sock, .events = POLLRDHUP};
	struct timespec now = {0, 0};

	if (atomic_load_explicit(&ring->hdr->daemon_state, memory_order_acquire) !=
	    LSCA_DAEMON_RUNNING)
		return false;
	if (sys(SYS_ppoll, (long)&p, 1, (long)&now, 0, 0, 0) < 0) /* aarch64 has no poll */
		return true;
	return !(p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL));
}

void shim_creds_changed(void)
{
	/* the state first: ring is set before ATTACHED is published */
	if (atomic_load_explicit(&shim.state, memory_order_acquire) == SHIM_ATTACHED)
		atomic_fetch_add_explicit(&shim.ring->hdr->cred_epoch, 1, memory_order_release);
}

void shim_sandboxing(void)
{
	int saved = errno; /* the sandboxing call's own errno comes after */

	atomic_store(&shim.sandboxed, true);
	if (atomic_load_explicit(&shim.state, memory_order_acquire) != SHIM_ATTACHED)
		return; /* the attach tells it */
	tell_sandboxed(shim.ring->hdr);
	/* latched by lscad before the sandbox exists: nothing inside it can
	 * clear the word in time */
	shim_pseudo_call(LSCA_NR_SANDBOXED, 0, 0);
	errno = saved;
}

void shim_seccomp_set(void)
{
	atomic_store(&shim.seccomp, true);
	atomic_store(&shim.state, SHIM_DISABLED);
}

void shim_umask_changed(mode_t mask)
{
	if (atomic_load_explicit(&shim.state, memory_order_acquire) == SHIM_ATTACHED)
		atomic_store_explicit(&shim.ring->hdr->umask, mask & 0777, memory_order_release);
}

/* A forked child is another process: its own ring, its own daemon client.
 * Also run from the SIGSYS handler for a fork glibc did not make. */
void shim_atfork_child(void)
{
	sud_after_fork();
	if (shim.sock >= 0)
		SYS3(SYS_close, shim.sock, 0, 0);
	if (shim.ring)
		SYS3(SYS_munmap, shim.ring->hdr, shim.ring->size, 0);
	for (unsigned i = 0; i < SHIM_MAX_SLOTS; i++) {
		if (shim.stash_fd[i] >= 0)
			SYS3(SYS_close, shim.stash_fd[i], 0, 0);
		shim.stash_fd[i] = -1;
	}
	shim.sock = -1;
	shim.ring = NULL;
	tls_tid = 0; /* the child's thread is another task */
	atomic_store(&shim.fd_lock, 0);
	atomic_store(&shim.retry_at, 0);
	/* a filter is inherited: so is staying out */
	atomic_store(&shim.state, atomic_load(&shim.seccomp) ? SHIM_DISABLED : SHIM_UNATTACHED);
}

/* Read the environment once. Runs on the first call, which can come from
 * another library's constructor before ours has run. */
static void shim_configure(void)
{
	const char *path = NULL;

	for (unsigned i = 0; i < SHIM_MAX_SLOTS; i++)
		shim.stash_fd[i] = -1;
	/* a setuid program must not be fed results by whoever set LSCA_* */
	shim.secure = getauxval(AT_SECURE) != 0;
	if (!shim.secure) {
		const char *of = getenv("LSCA_ON_FAILURE");
		const char *ic = getenv("LSCA_INTERCEPTION");

		path = getenv("LSCA_SOCKET");
		if (getenv("LSCA_DISABLE") && !strcmp(getenv("LSCA_DISABLE"), "1"))
			atomic_store(&shim.state, SHIM_DISABLED);
		/* before the first attach tells us what lscad's config says */
		if (of && !strcmp(of, "deny"))
			shim.on_failure = LSCA_ON_FAILURE_DENY;
		/* for tests: instead of what lscad's config asks for */
		if (ic && !strcmp(ic, "complete"))
			shim.interception = LSCA_INTERCEPT_COMPLETE;
		else if (ic && !strcmp(ic, "entry-points"))
			shim.interception = LSCA_INTERCEPT_ENTRY;
	}
	/* the administrator's kill switch, and init, which must never depend
	 * on lscad (a whole-system preload reaches PID 1 too) */
	if (syscall(SYS_getpid) == 1 ||
	    syscall(SYS_faccessat, AT_FDCWD, LSCA_KILL_SWITCH, F_OK) == 0)
		atomic_store(&shim.state, SHIM_DISABLED);
	if (!path || !*path || strlen(path) >= sizeof(shim.socket_path))
		path = LSCA_DEFAULT_SOCKET;
	memcpy(shim.socket_path, path, strlen(path) + 1);
	pthread_atfork(NULL, NULL, shim_atfork_child);
	kept_key_ok = pthread_key_create(&kept_key, give_back_kept) == 0 && kept_key < 32;
}

/* Complete mode is lscad's to ask for, so where the kernel could give it,
 * ask now, and attach now if so: a program whose calls all come from inside
 * libc (stdio) would otherwise never reach an entry point, nor attach. */
static void shim_start(void)
{
	const struct lsca_ring *ring;

	pthread_once(&configured, shim_configure);
	if (shim.interception == LSCA_INTERCEPT_ENTRY || !sud_supported())
		return;
	/* another library's constructor may have attached us already */
	if (!shim.interception && atomic_load(&shim.state) == SHIM_UNATTACHED)
		shim.interception = probe_interception();
	if (shim.interception != LSCA_INTERCEPT_COMPLETE)
		return;
	ring = shim_ring();
	if (ring && shim.interception == LSCA_INTERCEPT_COMPLETE)
		atomic_store_explicit(&ring->hdr->client_interception, sud_start(),
				      memory_order_relaxed);
}

__attribute__((constructor)) static void shim_init(void)
{
	int saved = errno; /* a program's main() must start with its own errno */

	shim_start();
	errno = saved;
}
