/* SPDX-License-Identifier: MIT */
/*
 * lsca_bench - call latency of LSCA against its native and peer baselines.
 *
 * The same binary runs natively and under LD_PRELOAD=liblsca-shim.so: it
 * calls the libc functions, so under the shim the calls are proxied.
 *
 *   lsca_bench calls    [-n N] [-f FILE]  lseek, fstat, 4 KiB pread,
 *                                         openat+close, getppid, one at a time
 *   lsca_bench pingpong [-n N] [-f FILE]  shared-memory round trip between two
 *                                         processes pinned to CPUs 0 and 1, bare,
 *                                         then carrying an lseek (the replica)
 *   lsca_bench seccomp  [-n N] [-f FILE]  the calls of `calls`, each trapped by
 *                                         a SECCOMP_RET_USER_NOTIF supervisor
 *   lsca_bench cold     [-n N] [-i USEC]  one lseek per interval (default 1 ms)
 *   lsca_bench idle     -p PID [-t SEC]   one call, then idle: PID's CPU time
 *
 * Results go to stdout, one line each, everything else to stderr:
 *   RESULT <name> <median_ns> <p99_ns> <samples>
 *   IDLE <cpu_ns> <window_ns> <percent_of_one_cpu>
 * A call that returns a wrong result is reported on stderr and makes the
 * exit status 1; a slow one never does.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_setaffinity, getdents64, struct dirent64 */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define FILE_SIZE  8192
#define READ_SIZE  4096
#define HOT_N	   200000
#define SECCOMP_N  20000
#define COLD_N	   2000
#define COLD_US	   1000
#define IDLE_S	   10
#define WATCHDOG_S 100 /* a wedged mode (lost peer, hung call) dies, not the run */

/* Not in every <linux/seccomp.h> (Linux 6.6): same-CPU hand-off on wake-up. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#if defined(__x86_64__)
#define BENCH_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define BENCH_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "lsca_bench: add this architecture's AUDIT_ARCH_*"
#endif

struct opts {
	size_t n;
	const char *file;
	long interval_us;
	pid_t pid;
	int seconds;
};

/* The file every call works on, opened once. */
struct target {
	const char *path;
	int fd;
	unsigned char buf[READ_SIZE];
};

typedef bool (*op_fn)(struct target *t);

struct op {
	const char *name;
	op_fn fn;
};

static bool failed; /* a call gave a wrong result: exit status 1 */

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: not a syscall, not proxied */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static void die(const char *what)
{
	fprintf(stderr, "lsca_bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---- the calls under test ---- */

static bool op_none(struct target *t)
{
	(void)t;
	return true; /* measures the two clock reads around every sample */
}

static bool op_getppid(struct target *t)
{
	(void)t;
	return getppid() > 0;
}

static bool op_lseek(struct target *t)
{
	return lseek(t->fd, 0, SEEK_CUR) == 0;
}

static bool op_fstat(struct target *t)
{
	struct stat st;

	return fstat(t->fd, &st) == 0 && st.st_size == FILE_SIZE;
}

static bool op_pread(struct target *t)
{
	return pread(t->fd, t->buf, READ_SIZE, 0) == READ_SIZE;
}

static bool op_openclose(struct target *t)
{
	int fd = openat(AT_FDCWD, t->path, O_RDONLY);

	return fd >= 0 && close(fd) == 0;
}

/* The proxied set, in table order; `calls` adds the native references. */
static const struct op file_ops[] = {
    {"lseek", op_lseek},
    {"fstat", op_fstat},
    {"pread4k", op_pread},
    {"openat_close", op_openclose},
};

/* Byte i of the test file: a pattern a stale or misplaced buffer would miss. */
static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 131u + 7u);
}

/* Create the file through libc (proxied too under the shim) and open it. */
static void target_open(struct target *t, const char *path)
{
	unsigned char data[FILE_SIZE];
	int fd;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = pattern(i);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die(path);
	if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data) || close(fd) < 0)
		die("write test file");
	t->path = path;
	t->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->fd < 0)
		die(path);
}

/* Once, untimed: the bytes must be the file's, not just the count. */
static void target_verify(struct target *t)
{
	memset(t->buf, 0, sizeof(t->buf));
	if (!op_pread(t))
		goto bad;
	for (size_t i = 0; i < READ_SIZE; i++)
		if (t->buf[i] != pattern(i))
			goto bad;
	return;
bad:
	fprintf(stderr, "lsca_bench: pread returned wrong data\n");
	failed = true;
}

/* ---- samples ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort in place and print median and 99th percentile. */
static void report(const char *prefix, const char *name, uint64_t *v, size_t n)
{
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("RESULT %s%s %" PRIu64 " %" PRIu64 " %zu\n", prefix, name, v[n / 2], v[n * 99 / 100],
	       n);
	fflush(stdout);
}

/* Time each of n calls on its own, after an untimed warm-up that also
 * attaches the shim and faults in the caches. Returns the wrong results. */
static size_t measure(struct target *t, op_fn fn, uint64_t *v, size_t n)
{
	size_t bad = 0, warm = n / 10 > 100 ? n / 10 : 100;

	for (size_t i = 0; i < warm; i++)
		bad += !fn(t);
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		bool ok = fn(t);

		v[i] = now_ns() - t0;
		bad += !ok;
	}
	return bad;
}

static void note_bad(const char *name, size_t bad)
{
	if (!bad)
		return;
	fprintf(stderr, "lsca_bench: %s: %zu calls returned a wrong result\n", name, bad);
	failed = true;
}

static uint64_t *samples_alloc(size_t n)
{
	uint64_t *v = malloc(n * sizeof(*v));

	if (!v)
		die("malloc");
	return v;
}

/* Pin the calling thread; a benchmark on fewer CPUs still runs, unpinned. */
static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		fprintf(stderr, "lsca_bench: cannot pin to CPU %d (%s), running unpinned\n", cpu,
			strerror(errno));
}

/* ---- calls ---- */

static void mode_calls(const struct opts *o)
{
	static const struct op refs[] = {{"timer", op_none}, {"getppid", op_getppid}};
	struct target t;
	uint64_t *v = samples_alloc(o->n);

	/* on CPU 0, as the ping-pong's first side: a worker of lscad that
	 * finds itself on its client's CPU moves to another by itself */
	pin_cpu(0);
	target_open(&t, o->file);
	target_verify(&t);
	for (size_t k = 0; k < ARRAY_SIZE(file_ops); k++) {
		note_bad(file_ops[k].name, measure(&t, file_ops[k].fn, v, o->n));
		report("", file_ops[k].name, v, o->n);
	}
	for (size_t k = 0; k < ARRAY_SIZE(refs); k++) {
		note_bad(refs[k].name, measure(&t, refs[k].fn, v, o->n));
		report("", refs[k].name, v, o->n);
	}
	free(v);
}

/* ---- pingpong ---- */

#define PP_STOP UINT64_MAX

struct pingpong {
	_Alignas(64) _Atomic uint64_t ball;
};

/* The far side: answer each odd value with the next even one. */
static void pingpong_echo(void *arg)
{
	struct pingpong *pp = arg;

	for (uint64_t want = 1;; want += 2) {
		uint64_t b;

		while ((b = atomic_load_explicit(&pp->ball, memory_order_acquire)) != want) {
			if (b == PP_STOP)
				return;
			cpu_relax();
		}
		atomic_store_explicit(&pp->ball, want + 1, memory_order_release);
	}
}

/* A page both processes of a ping-pong share. */
static void *shared_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/* The far side of a ping-pong: a child on CPU 1 that runs serve(arg) and
 * dies with us. */
static pid_t spawn_far_side(void (*serve)(void *), void *arg)
{
	pid_t child = fork();

	if (child < 0)
		die("fork");
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pin_cpu(1);
		serve(arg);
		_exit(0);
	}
	return child;
}

/* One timed round trip: serve an odd value, wait for the echo. */
static uint64_t pingpong_round(struct pingpong *pp, uint64_t serve)
{
	uint64_t t0 = now_ns();

	atomic_store_explicit(&pp->ball, serve, memory_order_release);
	while (atomic_load_explicit(&pp->ball, memory_order_acquire) != serve + 1)
		cpu_relax();
	return now_ns() - t0;
}

/* The design's own floor: the ping-pong carrying what a proxied lseek
 * needs and nothing else. The request (number, sequence, arguments)
 * and the answer share one line, the far side copies the request once and
 * runs the call on the same open file (inherited: two references, as
 * lscad's), the near side spins as the shim does. What LSCA adds beyond
 * this is its own code: fd tags, stats, handlers, the checks. */
struct replica {
	_Alignas(64) _Atomic uint32_t state; /* 1 asked, 2 answered, 3 stop */
	uint32_t nr;
	int64_t ret;
	uint64_t seq, args[5];
};

static void replica_serve(void *arg)
{
	struct replica *rp = arg;

	for (;;) {
		uint64_t a[5];
		uint32_t s;

		while ((s = atomic_load_explicit(&rp->state, memory_order_acquire)) != 1) {
			if (s == 3)
				return;
			cpu_relax();
		}
		memcpy(a, rp->args, sizeof(a));
		rp->ret = syscall(rp->nr, a[0], a[1], a[2], a[3], a[4]);
		atomic_store_explicit(&rp->state, 2, memory_order_release);
	}
}

static uint64_t replica_round(struct replica *rp, int fd, uint64_t seq)
{
	uint64_t t0 = now_ns();

	rp->nr = SYS_lseek;
	rp->seq = seq;
	rp->args[0] = (uint64_t)fd;
	rp->args[1] = 0;
	rp->args[2] = SEEK_CUR;
	rp->args[3] = rp->args[4] = 0;
	atomic_store_explicit(&rp->state, 1, memory_order_release);
	while (atomic_load_explicit(&rp->state, memory_order_acquire) != 2)
		;
	if (rp->ret != 0)
		failed = true;
	return now_ns() - t0;
}

static void replica(const struct opts *o, uint64_t *v)
{
	struct replica *rp = shared_page();
	int fd = open(o->file, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	pid_t child;

	if (fd < 0)
		die(o->file);
	child = spawn_far_side(replica_serve, rp);
	for (size_t i = 0; i < o->n / 10; i++)
		replica_round(rp, fd, i);
	for (size_t i = 0; i < o->n; i++)
		v[i] = replica_round(rp, fd, i);
	atomic_store_explicit(&rp->state, 3, memory_order_release);
	waitpid(child, NULL, 0);
	report("", "replica_lseek", v, o->n);
	close(fd);
	munmap(rp, 4096);
}

static void mode_pingpong(const struct opts *o)
{
	struct pingpong *pp = shared_page();
	size_t warm = o->n / 10;
	uint64_t *v = samples_alloc(o->n), serve = 1;
	pid_t child;

	atomic_store(&pp->ball, 0);
	pin_cpu(0);
	child = spawn_far_side(pingpong_echo, pp);
	for (size_t i = 0; i < warm; i++, serve += 2)
		pingpong_round(pp, serve);
	for (size_t i = 0; i < o->n; i++, serve += 2)
		v[i] = pingpong_round(pp, serve);
	atomic_store_explicit(&pp->ball, PP_STOP, memory_order_release);
	waitpid(child, NULL, 0);
	report("", "pingpong", v, o->n);
	/* the clock reads inside every sample, on the same pinned CPU */
	measure(NULL, op_none, v, o->n);
	report("", "timer", v, o->n);
	replica(o, v);
	free(v);
	munmap(pp, 4096);
}

/* ---- seccomp ---- */

/* The last call of the child, recognised (and not run) by the supervisor. */
#define SC_MARKER_OFF 0x4c534341beefLL

/* Shared with the child: its samples and wrong-result counts. */
struct sc_shared {
	size_t bad[ARRAY_SIZE(file_ops)];
	uint64_t v[]; /* ARRAY_SIZE(file_ops) rows of n */
};

static const int sc_trapped[] = {
    __NR_lseek,
#ifdef __NR_fstat
    __NR_fstat,
#endif
    __NR_newfstatat, __NR_pread64, __NR_openat, __NR_close,
};

/* Native arch only; the calls under test go to the supervisor, the rest
 * (the child's writes, mmaps, exit) run as usual. */
static int sc_install(void)
{
	struct sock_filter f[3 + ARRAY_SIZE(sc_trapped) + 3];
	struct sock_fprog prog = {.len = ARRAY_SIZE(f), .filter = f};
	unsigned k = 0, n = ARRAY_SIZE(sc_trapped);

	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, BENCH_AUDIT_ARCH, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	/* a match jumps over the remaining tests and the ALLOW */
	for (unsigned i = 0; i < n; i++)
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (unsigned)sc_trapped[i], n - i, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			    &prog);
}

static int send_fd(int sock, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 'L';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* The supervised child: filter itself, hand the listener over, measure.
 * Nothing it does after the filter may wait for the parent except the
 * trapped calls themselves, which the parent serves until the marker. */
static void __attribute__((noreturn))
sc_child(int sock, struct target *t, struct sc_shared *sh, size_t n, int cpu)
{
	int lfd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pin_cpu(cpu);
	lfd = sc_install();
	if (lfd < 0 || send_fd(sock, lfd) < 0) {
		fprintf(stderr, "lsca_bench: seccomp listener: %s\n", strerror(errno));
		_exit(2);
	}
	/* trapped like any close, served once the parent has the listener;
	 * then a dead supervisor fails our calls instead of hanging them */
	close(lfd);
	for (size_t k = 0; k < ARRAY_SIZE(file_ops); k++)
		sh->bad[k] = measure(t, file_ops[k].fn, sh->v + k * n, n);
	lseek(-1, SC_MARKER_OFF, SEEK_SET);
	_exit(0);
}

static bool sc_is_marker(const struct seccomp_data *d)
{
	return d->nr == __NR_lseek && (int)d->args[0] == -1 &&
	       (long long)d->args[1] == SC_MARKER_OFF;
}

/* Receive each notification and let the kernel run the call as is. */
static int sc_supervise(int lfd)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	for (;;) {
		memset(&req, 0, sizeof(req)); /* the kernel insists */
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		if (sc_is_marker(&req.data)) {
			ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp); /* returns 0 */
			return 0;
		}
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
			return -1;
	}
}

/* One configuration: the supervisor on CPU 0, the child on child_cpu. */
static void sc_run(const char *prefix, struct target *t, size_t n, int child_cpu, bool sync)
{
	size_t size = sizeof(struct sc_shared) + ARRAY_SIZE(file_ops) * n * sizeof(uint64_t);
	struct sc_shared *sh =
	    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
	int sv[2], lfd, status = 0;
	bool valid = true;
	pid_t child;

	if (sh == MAP_FAILED)
		die("mmap");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	pin_cpu(0);
	fflush(NULL); /* the child must not flush our buffers again */
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(sv[0]);
		sc_child(sv[1], t, sh, n, child_cpu);
	}
	close(sv[1]);
	lfd = recv_fd(sv[0]);
	close(sv[0]);
	if (lfd < 0) {
		fprintf(stderr, "lsca_bench: no seccomp listener from the child\n");
		failed = true;
	} else if (sync && ioctl(lfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) < 0) {
		/* Linux < 6.6: no such flag; the child is waiting, serve it anyway */
		fprintf(stderr, "lsca_bench: no SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (%s)\n",
			strerror(errno));
		valid = false;
	}
	if (lfd >= 0 && sc_supervise(lfd) < 0) {
		fprintf(stderr, "lsca_bench: seccomp supervisor: %s\n", strerror(errno));
		failed = true;
	}
	/* without a listener, calls still trapped fail (ENOSYS): the child ends */
	if (lfd >= 0)
		close(lfd);
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "lsca_bench: seccomp child failed (status %#x)\n", status);
		failed = true;
	} else if (valid) {
		for (size_t k = 0; k < ARRAY_SIZE(file_ops); k++) {
			note_bad(file_ops[k].name, sh->bad[k]);
			report(prefix, file_ops[k].name, sh->v + k * n, n);
		}
	}
	munmap(sh, size);
}

static void mode_seccomp(const struct opts *o)
{
	struct target t;

	target_open(&t, o->file);
	sc_run("seccomp_same_", &t, o->n, 0, false);
	sc_run("seccomp_cross_", &t, o->n, 1, false);
	sc_run("seccomp_sync_", &t, o->n, 0, true);
	close(t.fd);
}

/* ---- cold ---- */

/* One lseek per interval, long enough for both sides to stop spinning and
 * sleep; an absolute schedule, so a slow call does not stretch the gap. */
static void mode_cold(const struct opts *o)
{
	struct target t;
	struct timespec next;
	uint64_t *v = samples_alloc(o->n);
	size_t bad = 0;

	target_open(&t, o->file);
	bad += !op_lseek(&t); /* attaches under the shim: not a sample */
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (size_t i = 0; i < o->n; i++) {
		uint64_t t0;
		bool ok;

		next.tv_nsec += o->interval_us * 1000;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		t0 = now_ns();
		ok = op_lseek(&t);
		v[i] = now_ns() - t0;
		bad += !ok;
	}
	note_bad("cold_lseek", bad);
	report("", "cold_lseek", v, o->n);
	close(t.fd);
	free(v);
}

/* ---- idle ---- */

/* Read a small file with raw syscalls: under the shim, libc's open and
 * read would be served by the very daemon being measured. */
static ssize_t read_raw(const char *path, char *buf, size_t len)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = syscall(SYS_read, fd, buf, len - 1);
	syscall(SYS_close, fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* utime + stime of the whole process (all threads, live or gone), in ns. */
static int64_t proc_cpu_ns(pid_t pid)
{
	unsigned long long ut, st;
	char path[64], buf[1024], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_raw(path, buf, sizeof(buf)) < 0)
		return -1;
	p = strrchr(buf, ')'); /* comm may hold spaces */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (int64_t)((ut + st) * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK)));
}

/* Nanosecond run time of every live thread (schedstat), or -1. */
static int64_t proc_sched_ns(pid_t pid)
{
	char path[96], line[128];
	_Alignas(struct dirent64) char buf[8192];
	int64_t sum = 0;
	ssize_t n;
	int dfd;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dfd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	while ((n = getdents64(dfd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			unsigned long long ns;

			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", (int)pid,
				 d->d_name);
			if (read_raw(path, line, sizeof(line)) < 0 ||
			    sscanf(line, "%llu", &ns) != 1) {
				sum = -1;
				break;
			}
			sum += (int64_t)ns;
		}
	}
	syscall(SYS_close, dfd);
	return n < 0 ? -1 : sum;
}

/* Attach with one proxied call, then sleep; the daemon should too. */
static void mode_idle(const struct opts *o)
{
	struct stat st;
	int64_t s0, s1, c0, c1, cpu;
	uint64_t w0, w1;
	struct timespec ts = {.tv_sec = o->seconds};

	if (o->pid <= 0) {
		fprintf(stderr, "lsca_bench: idle needs -p <lscad pid>\n");
		exit(2);
	}
	if (stat("/", &st) < 0) /* the one proxied call */
		die("stat /");
	s0 = proc_sched_ns(o->pid);
	c0 = proc_cpu_ns(o->pid);
	w0 = now_ns();
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
	s1 = proc_sched_ns(o->pid);
	c1 = proc_cpu_ns(o->pid);
	w1 = now_ns();
	if (c0 < 0 || c1 < 0) {
		fprintf(stderr, "lsca_bench: cannot read /proc/%d\n", (int)o->pid);
		exit(2);
	}
	/* schedstat has ns resolution but misses threads that exited in the
	 * window; the tick count (10 ms) has them: take it when clearly more */
	cpu = s0 >= 0 && s1 >= s0 ? s1 - s0 : c1 - c0;
	if (c1 - c0 > cpu + 20000000)
		cpu = c1 - c0;
	printf("IDLE %" PRId64 " %" PRIu64 " %.4f\n", cpu, w1 - w0,
	       100.0 * (double)cpu / (double)(w1 - w0));
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr, "usage: lsca_bench calls|pingpong|seccomp|cold|idle [-n N] [-f FILE] "
			"[-i USEC] [-p PID] [-t SEC]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "n:f:i:p:t:")) != -1) {
		switch (c) {
		case 'n':
			o->n = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			o->file = optarg;
			break;
		case 'i':
			o->interval_us = strtol(optarg, NULL, 0);
			break;
		case 'p':
			o->pid = (pid_t)strtol(optarg, NULL, 0);
			break;
		case 't':
			o->seconds = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!o->n || o->interval_us <= 0 || o->seconds <= 0)
		usage();
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(const struct opts *o);
		size_t n;
	} modes[] = {
	    {"calls", mode_calls, HOT_N},
	    {"pingpong", mode_pingpong, HOT_N},
	    {"seccomp", mode_seccomp, SECCOMP_N},
	    {"cold", mode_cold, COLD_N},
	    {"idle", mode_idle, 1},
	};
	struct opts o = {.file = "/tmp/lsca_bench.dat", .interval_us = COLD_US, .seconds = IDLE_S};

	if (argc < 2)
		usage();
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		if (strcmp(argv[1], modes[i].name))
			continue;
		o.n = modes[i].n;
		parse(argc - 1, argv + 1, &o);
		alarm(WATCHDOG_S + (unsigned)o.seconds);
		modes[i].fn(&o);
		return failed;
	}
	usage();
}
