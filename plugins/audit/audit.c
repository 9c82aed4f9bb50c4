/* SPDX-License-Identifier: MIT */
/*
 * audit.c - one JSON line per call, to a file or to the journal.
 *
 * Only post-handlers: lscad runs the audited syscalls in the client
 * ("observe") and hands them over in batches; under a forced "proxy"
 * placement the same handler sees them after lscad executed them. The line
 * format, the path filter and the limits are in docs/plugins/audit.md.
 *
 * Threads: handlers run on several workers at once. The output buffer is
 * the only shared mutable state (a mutex); per-client state (the constant
 * parts of its lines, the last second's date, the path filter's tables)
 * hangs off call->state and is touched only by that client's worker.
 *
 * Speed: the daemon CPU a line costs caps how many calls per second can be
 * audited, so a line is made without printf or gmtime, strings are copied
 * by runs, and what does not change from one line to the next is made once:
 * per client (pid, comm, exe, uid, unit), per syscall (its name, its
 * argument keys), per second (the date).
 */
#include <lsca/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#define SD_JOURNAL_SUPPRESS_LOCATION /* CODE_FILE= etc. would name this file */
#include <systemd/sd-journal.h>
#include <unistd.h>

#define AUDIT_NR_MAX   512	   /* lscad handles syscall numbers below this */
#define AUDIT_BUF_SIZE (64 * 1024) /* file output: written out when full or on flush */
#define AUDIT_FD_MAX   65536	   /* path filter: fds tracked per client */
#define AUDIT_PATH_MAX (PATH_MAX + 1)

/* ---- a string builder: a stack buffer first, the heap for long lines ---- */

struct sb {
	char *p;
	size_t len, cap;
	char *stack; /* the initial buffer, not to be freed */
	bool oom;
};

static bool sb_grow(struct sb *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	for (cap = b->cap * 2; cap < b->len + n; cap *= 2)
		;
	p = b->p == b->stack ? malloc(cap) : realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	if (b->p == b->stack)
		memcpy(p, b->p, b->len);
	b->p = p;
	b->cap = cap;
	return true;
}

/* Room for n more bytes at b->p + b->len. (After a failed allocation the
 * line is dropped, so what lands in the old buffer does not matter.) */
static inline bool sb_reserve(struct sb *b, size_t n)
{
	return b->len + n <= b->cap || sb_grow(b, n);
}

static inline void sb_put(struct sb *b, const char *s, size_t n)
{
	if (!sb_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* A string literal, its length known at compile time. */
#define SB_LIT(b, s) sb_put((b), "" s, sizeof(s) - 1)

static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324"
				  "25262728293031323334353637383940414243444546474849"
				  "50515253545556575859606162636465666768697071727374"
				  "75767778798081828384858687888990919293949596979899";

/* Decimal, by hand (printf costs more than the rest of a line), two digits
 * at a time, straight into the buffer. */
static void sb_u64(struct sb *b, uint64_t v)
{
	unsigned n = 1;
	char *p;

	for (uint64_t t = v; t >= 10; t /= 10) /* at most 20 digits */
		n++;
	if (!sb_reserve(b, n))
		return;
	b->len += n;
	p = b->p + b->len;
	for (; v >= 10; v /= 100) {
		p -= 2;
		memcpy(p, digit_pairs + v % 100 * 2, 2);
		if (v < 100) /* those were its last two digits */
			return;
	}
	p[-1] = (char)('0' + v);
}

static void sb_i64(struct sb *b, int64_t v)
{
	if (v < 0) {
		SB_LIT(b, "-");
		sb_u64(b, 0 - (uint64_t)v); /* INT64_MIN too */
	} else {
		sb_u64(b, (uint64_t)v);
	}
}

/* v as exactly n digits, zero-padded, at p (v < 10^n). */
static void put_digits(char *p, unsigned v, unsigned n)
{
	while (n--) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 0 if there is none. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		lo = s[0] == 0xe0 ? 0xa0 : lo;
		hi = s[0] == 0xed ? 0x9f : hi;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		lo = s[0] == 0xf0 ? 0x90 : lo;
		hi = s[0] == 0xf4 ? 0x8f : hi;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80
			   ? 4
			   : 0;
	}
	return 0;
}

/* A JSON string (null for NULL). Quote and backslash are escaped, control
 * characters and DEL become \u00XX, well-formed UTF-8 is kept as is, and
 * each byte of anything else becomes \udcXX (XX = the byte): the
 * "surrogateescape" convention, so no two byte strings give the same text
 * (an invalid byte never looks like the character it would be in Latin-1).
 * Runs of bytes that stay as they are are copied at once. */
static void sb_jstr(struct sb *b, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *run;
	char esc[6];
	size_t n;

	if (!s) {
		SB_LIT(b, "null");
		return;
	}
	SB_LIT(b, "\"");
	for (run = s; *s;) {
		if (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\') {
			s++;
			continue;
		}
		if (*s >= 0x80 && (n = utf8_len(s)) > 0) {
			s += n;
			continue;
		}
		sb_put(b, (const char *)run, (size_t)(s - run));
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*s;
			sb_put(b, esc, 2);
		} else {
			/* a control character or DEL: \u00XX; a stray byte: \udcXX */
			memcpy(esc, *s < 0x80 ? "\\u00" : "\\udc", 4);
			esc[4] = hex[*s >> 4];
			esc[5] = hex[*s & 0xf];
			sb_put(b, esc, 6);
		}
		run = ++s;
	}
	sb_put(b, (const char *)run, (size_t)(s - run));
	SB_LIT(b, "\"");
}

/* "YYYY-MM-DDTHH:MM:SS" (UTC) of sec into out[19]: gmtime_r without its
 * lock (glibc takes the time zone lock even for UTC) or its struct. Days to
 * a civil date as in H. Hinnant's days_from_civil, in unsigned arithmetic:
 * sec is at most 2^64 / 10^9 (the year 2554), always four digits. */
static void format_date(char *out, uint64_t sec)
{
	uint64_t days = sec / 86400, rem = sec % 86400;
	uint64_t z = days + 719468; /* days since 0000-03-01 */
	uint64_t era = z / 146097, doe = z % 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153; /* March = 0 */
	unsigned day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	unsigned year = (unsigned)(era * 400 + yoe + (month <= 2));

	put_digits(out, year, 4);
	out[4] = '-';
	put_digits(out + 5, month, 2);
	out[7] = '-';
	put_digits(out + 8, day, 2);
	out[10] = 'T';
	put_digits(out + 11, (unsigned)(rem / 3600), 2);
	out[13] = ':';
	put_digits(out + 14, (unsigned)(rem / 60 % 60), 2);
	out[16] = ':';
	put_digits(out + 17, (unsigned)(rem % 60), 2);
}

/* ---- what to call each argument ---- */

/* Names by position; NULL where the argument is not printed (a buffer's
 * pointer: its length follows as "len"; an output struct). */
static const struct argnames {
	const char *syscall;
	const char *arg[6];
} argnames[] = {
    {"read", {"fd", NULL, "len"}},
    {"write", {"fd", NULL, "len"}},
    {"pread64", {"fd", NULL, "len", "offset"}},
    {"pwrite64", {"fd", NULL, "len", "offset"}},
    {"readv", {"fd", NULL, "len"}},
    {"writev", {"fd", NULL, "len"}},
    {"preadv", {"fd", NULL, "len", "offset", "offset_high"}},
    {"pwritev", {"fd", NULL, "len", "offset", "offset_high"}},
    {"lseek", {"fd", "offset", "whence"}},
    {"close", {"fd"}},
    {"fstat", {"fd"}},
    {"newfstatat", {"dirfd", "path", NULL, "flags"}},
    {"statx", {"dirfd", "path", "flags", "mask"}},
    {"openat", {"dirfd", "path", "flags", "mode"}},
    {"faccessat", {"dirfd", "path", "mode"}},
    {"faccessat2", {"dirfd", "path", "mode", "flags"}},
    {"unlinkat", {"dirfd", "path", "flags"}},
    {"mkdirat", {"dirfd", "path", "mode"}},
    {"renameat2", {"olddirfd", "oldpath", "newdirfd", "newpath", "flags"}},
    {"fsync", {"fd"}},
    {"fdatasync", {"fd"}},
    {"truncate", {"path", "length"}},
    {"ftruncate", {"fd", "length"}},
    {"chdir", {"path"}},
    {"fchdir", {"fd"}},
    {"copy_file_range", {"fd_in", "offset_in", "fd_out", "offset_out", "len", "flags"}},
    {"sendfile", {"out_fd", "in_fd", "offset", "len"}},
    {"utimensat", {"dirfd", "path", NULL, "flags"}},
    {"statfs", {"path"}},
    {"fstatfs", {"fd"}},
    {"getxattr", {"path", "name", NULL, "size"}},
    {"lgetxattr", {"path", "name", NULL, "size"}},
    {"fgetxattr", {"fd", "name", NULL, "size"}},
    {"setxattr", {"path", "name", NULL, "size", "flags"}},
    {"lsetxattr", {"path", "name", NULL, "size", "flags"}},
    {"fsetxattr", {"fd", "name", NULL, "size", "flags"}},
    {"listxattr", {"path", NULL, "size"}},
    {"llistxattr", {"path", NULL, "size"}},
    {"flistxattr", {"fd", NULL, "size"}},
    {"removexattr", {"path", "name"}},
    {"lremovexattr", {"path", "name"}},
    {"fremovexattr", {"fd", "name"}},
};

static const char *errno_name(uint64_t e)
{
#define E(x) [x] = #x
	static const char *const names[] = {
	    E(EPERM),	     E(ENOENT),		 E(ESRCH),     E(EINTR),	E(EIO),
	    E(ENXIO),	     E(E2BIG),		 E(ENOEXEC),   E(EBADF),	E(ECHILD),
	    E(EAGAIN),	     E(ENOMEM),		 E(EACCES),    E(EFAULT),	E(ENOTBLK),
	    E(EBUSY),	     E(EEXIST),		 E(EXDEV),     E(ENODEV),	E(ENOTDIR),
	    E(EISDIR),	     E(EINVAL),		 E(ENFILE),    E(EMFILE),	E(ENOTTY),
	    E(ETXTBSY),	     E(EFBIG),		 E(ENOSPC),    E(ESPIPE),	E(EROFS),
	    E(EMLINK),	     E(EPIPE),		 E(EDOM),      E(ERANGE),	E(EDEADLK),
	    E(ENAMETOOLONG), E(ENOLCK),		 E(ENOSYS),    E(ENOTEMPTY),	E(ELOOP),
	    E(ENOMSG),	     E(ENODATA),	 E(ETIME),     E(ENOLINK),	E(EPROTO),
	    E(EBADMSG),	     E(EOVERFLOW),	 E(EILSEQ),    E(EUSERS),	E(ENOTSOCK),
	    E(EOPNOTSUPP),   E(EADDRINUSE),	 E(ENETDOWN),  E(ECONNRESET),	E(ENOBUFS),
	    E(EISCONN),	     E(ENOTCONN),	 E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTUNREACH),
	    E(EALREADY),     E(EINPROGRESS),	 E(ESTALE),    E(EDQUOT),	E(ECANCELED),
	    E(EOWNERDEAD),   E(ENOTRECOVERABLE), E(ENOMEDIUM), E(EMEDIUMTYPE),	E(ENOKEY),
	    E(EKEYEXPIRED),
	};
#undef E
	return e > 0 && e < sizeof(names) / sizeof(names[0]) ? names[e] : NULL;
}

/* The JSON keys of a syscall's arguments, ",\"fd\":" (skip the comma for
 * the first), in full, with their lengths. */
#define AUDIT_KEY_MAX 24
struct argkeys {
	char key[6][AUDIT_KEY_MAX];
	uint8_t len[6];
	uint8_t pad_[2]; /* a multiple of 8 bytes, whatever the count in struct audit */
};

static void make_argkeys(struct argkeys *k, const struct argnames *names)
{
	for (unsigned i = 0; i < 6; i++) {
		const char *name = names ? names->arg[i] : NULL;
		int n = name ? snprintf(k->key[i], sizeof(k->key[i]), ",\"%s\":", name)
			     : snprintf(k->key[i], sizeof(k->key[i]), ",\"arg%u\":", i);

		k->len[i] = (uint8_t)(n > 0 && (size_t)n < sizeof(k->key[i]) ? n : 0);
	}
}

/* ---- the instance ---- */

struct audit {
	struct lsca_plugin_ctx *ctx;
	struct lsca_handler handler;
	bool journal;		/* else a file */
	char *path;		/* the file */
	bool log[AUDIT_NR_MAX]; /* syscalls to write lines for */
	/* the line's parts that depend on the syscall only (see audit_line) */
	const struct argkeys *keys[AUDIT_NR_MAX];
	struct argkeys argkeys[sizeof(argnames) / sizeof(argnames[0])];
	struct argkeys generic;		   /* "arg0" ... "arg5", for syscalls argnames lacks */
	const char *sysname[AUDIT_NR_MAX]; /* the name the fragment below was made of */
	char *sysfrag[AUDIT_NR_MAX];	   /* "\"openat\",\"args\":{", NULL: none */
	size_t sysfrag_len[AUDIT_NR_MAX];
	char **prefix; /* path filter (normalised), none: log everything */
	size_t *prefix_len;
	unsigned nprefix;
	long nr_openat, nr_close, nr_chdir, nr_fchdir; /* what the filter follows */

	pthread_mutex_t lock; /* guards everything below */
	int fd;
	char *buf;
	size_t len;
	bool failing;  /* a write error was logged; said again when it is over */
	bool torn;     /* a line was cut by a write error: start with a newline */
	uint64_t lost; /* lines that could not be written */

	atomic_bool journal_failing;
	atomic_bool oom_said;
};

/* ---- output ---- */

static int open_output(const char *path)
{
	/* O_NONBLOCK: a FIFO without a reader must not hang init or reopen */
	int fd =
	    open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0640);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))) {
		close(fd);
		return -EINVAL; /* a FIFO or socket could stall every worker */
	}
	return fd;
}

static uint64_t count_lines(const char *p, size_t n)
{
	uint64_t lines = 0;

	for (size_t i = 0; i < n; i++)
		lines += p[i] == '\n';
	return lines;
}

/* Write whole lines; called with a->lock held. On an error the lines are
 * counted as lost and the error is logged once, until a write succeeds. */
static void write_locked(struct audit *a, const char *p, size_t n)
{
	size_t done = 0;
	ssize_t w;

	if (a->torn && n) {
		if ((w = write(a->fd, "\n", 1)) != 1)
			goto error;
		a->torn = false;
	}
	while (done < n) {
		w = write(a->fd, p + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto error;
		done += (size_t)w;
	}
	if (a->failing && n) {
		a->ctx->ops->log(a->ctx, LOG_NOTICE, "writing to %s again (%llu lines were lost)",
				 a->path, (unsigned long long)a->lost);
		a->failing = false;
	}
	return;
error:
	if (!a->failing)
		a->ctx->ops->log(a->ctx, LOG_ERR, "cannot write to %s: %s; audit lines are lost",
				 a->path, w < 0 ? strerror(errno) : "nothing written");
	a->failing = true;
	a->torn = a->torn || (done > 0 && p[done - 1] != '\n');
	a->lost += count_lines(p + done, n - done);
}

static void flush_locked(struct audit *a)
{
	write_locked(a, a->buf, a->len);
	a->len = 0;
}

static void output_line(struct audit *a, const struct lsca_call *call, long result,
			const char *line, size_t n)
{
	if (a->journal) {
		int r = sd_journal_send(
		    "MESSAGE=%.*s", (int)(n - 1), line, "PRIORITY=%d", LOG_INFO,
		    "SYSLOG_IDENTIFIER=lsca-audit", "LSCA_SYSCALL=%s", call->name, "LSCA_PID=%d",
		    (int)call->client->pid, "LSCA_TID=%d", (int)call->tid, "LSCA_UID=%u",
		    (unsigned)call->client->uid, "LSCA_RESULT=%ld", result, NULL);

		if (r < 0 && !atomic_exchange(&a->journal_failing, true))
			a->ctx->ops->log(a->ctx, LOG_ERR, "cannot send to the journal: %s",
					 strerror(-r));
		else if (r >= 0 && atomic_load_explicit(&a->journal_failing, memory_order_relaxed))
			atomic_store(&a->journal_failing, false);
		return;
	}
	pthread_mutex_lock(&a->lock);
	if (a->len + n > AUDIT_BUF_SIZE)
		flush_locked(a);
	if (n > AUDIT_BUF_SIZE)
		write_locked(a, line, n);
	else {
		memcpy(a->buf + a->len, line, n);
		a->len += n;
	}
	pthread_mutex_unlock(&a->lock);
}

/* ---- the path filter ---- */

enum { FD_UNKNOWN = 0, FD_OPEN, FD_CLOSED };

/* What the filter knows of one fd number of a client. */
struct fdent {
	char *path;	/* absolute; NULL: not a path (pipe, socket) or not known */
	uint64_t since; /* FD_OPEN: when the open ended; FD_CLOSED: when the close began */
	uint8_t st;
};

/* Per client (call->state): the parts of its lines that never change, and
 * the path filter's view of it. */
struct client {
	/* parts of its lines, made for its first line and again when what they
	 * are made of changes (lscad reads comm, exe and unit once per client,
	 * but the uid follows the client's credentials) */
	uint64_t id; /* what they are made of (from lsca_client_info) */
	uid_t uid;
	const char *comm, *exe, *unit;
	char *who; /* ",\"comm\":...,\"exe\":...,\"uid\":...,\"unit\":...,\"syscall\":" */
	size_t who_len;
	char pid[40]; /* "Z\",\"pid\":PID,\"tid\":" (the end of the time, too) */
	size_t pid_len;
	uint64_t sec;  /* the second date was made for */
	char date[19]; /* "YYYY-MM-DDTHH:MM:SS", when date_ok */
	bool date_ok;
	/* the path filter (only with paths:) */
	char *cwd; /* NULL: not known */
	struct fdent *fd;
	unsigned nfd;
};

/* Normalise base + "/" + rel (rel alone when absolute) lexically into out:
 * no "//", "." or ".." components, no trailing "/". Symlinks are not
 * followed: an observed call cannot be resolved as the client resolved it. */
static bool path_norm(const char *base, const char *rel, char *out, size_t size)
{
	const char *parts[2] = {rel[0] == '/' ? "" : base, rel};
	size_t n = 1;

	out[0] = '/';
	for (unsigned k = 0; k < 2; k++) {
		for (const char *s = parts[k]; *s;) {
			size_t len = strcspn(s, "/");

			if (len == 2 && s[0] == '.' && s[1] == '.') {
				while (n > 1 && out[n - 1] != '/')
					n--;
				n = n > 1 ? n - 1 : 1;
			} else if (len && !(len == 1 && s[0] == '.')) {
				if (n + 1 + len >= size)
					return false;
				if (n > 1)
					out[n++] = '/';
				memcpy(out + n, s, len);
				n += len;
			}
			s += len + (s[len] == '/');
		}
	}
	out[n] = '\0';
	return true;
}

static bool prefix_match(const struct audit *a, const char *path)
{
	for (unsigned i = 0; i < a->nprefix; i++) {
		size_t n = a->prefix_len[i];

		if (n == 1 || (!strncmp(path, a->prefix[i], n) && (!path[n] || path[n] == '/')))
			return true;
	}
	return false;
}

/* /proc/PID/WHAT's target when it is a path ("pipe:[…]" is not), or NULL. */
static char *proc_link(pid_t pid, const char *what)
{
	char link[64], target[AUDIT_PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/%s", (int)pid, what);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0 || target[0] != '/')
		return NULL;
	target[n] = '\0';
	return strdup(target);
}

static struct fdent *fd_slot(struct client *c, long fd)
{
	unsigned n;
	struct fdent *v;

	if (fd < 0 || fd >= AUDIT_FD_MAX)
		return NULL;
	if ((unsigned)fd < c->nfd)
		return &c->fd[fd];
	for (n = c->nfd ? c->nfd : 16; n <= (unsigned)fd; n *= 2)
		;
	n = n < AUDIT_FD_MAX ? n : AUDIT_FD_MAX;
	v = realloc(c->fd, n * sizeof(*v));
	if (!v)
		return NULL;
	memset(v + c->nfd, 0, (n - c->nfd) * sizeof(*v));
	c->fd = v;
	c->nfd = n;
	return &c->fd[fd];
}

/* The path fd was opened on, as of time t. An fd the client got without an
 * observed openat (inherited, dup2, pipe) is looked up in /proc once. */
static const char *fd_path(struct client *c, pid_t pid, long fd, uint64_t t)
{
	struct fdent *e = fd_slot(c, fd);
	char name[32];

	if (!e)
		return NULL;
	/* a call that began before a close we saw already was on that file */
	if (e->st == FD_OPEN || (e->st == FD_CLOSED && t < e->since))
		return e->path;
	snprintf(name, sizeof(name), "fd/%ld", fd);
	free(e->path);
	e->path = proc_link(pid, name);
	e->st = FD_OPEN;
	e->since = 0; /* any open or close we see later is newer */
	return e->path;
}

/* Events of different threads may arrive out of order (observe): an open
 * or close older than what the entry records already is stale. */
static void fd_opened(struct client *c, long fd, char *path, uint64_t end)
{
	struct fdent *e = fd_slot(c, fd);

	if (!e || (e->st == FD_OPEN && e->since > end)) {
		free(path);
		return;
	}
	free(e->path);
	e->path = path;
	if (e->st == FD_CLOSED && e->since >= end)
		return; /* that close, seen first, closed this file */
	e->st = FD_OPEN;
	e->since = end;
}

static void fd_closed(struct client *c, long fd, uint64_t start)
{
	struct fdent *e = fd_slot(c, fd);

	if (!e || (e->st != FD_UNKNOWN && e->since > start))
		return; /* it closed a file older than the one we know */
	e->st = FD_CLOSED;
	e->since = start;
}

static struct client *client_get(const struct audit *a, const struct lsca_call *call)
{
	struct client *c = *call->state;

	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (a->nprefix)
		c->cwd = proc_link(call->client->pid, "cwd");
	*call->state = c;
	return c;
}

static void client_free(struct client *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nfd; i++)
		free(c->fd[i].path);
	free(c->fd);
	free(c->cwd);
	free(c->who);
	free(c);
}

/* The absolute path argument i of call names, or false if it cannot be
 * known (relative to an unknown directory, or too long). */
static bool arg_path(struct client *c, const struct lsca_call *call, unsigned i, char *out,
		     size_t size)
{
	const char *p = (const char *)call->args[i];
	const char *base = c->cwd;

	if (!p)
		return false;
	if (p[0] != '/' && i > 0 && call->kinds[i - 1] == LSCA_ARG_DIRFD &&
	    (int)call->args[i - 1] != AT_FDCWD)
		base = fd_path(c, call->client->pid, call->args[i - 1], call->time_ns);
	if (p[0] != '/' && !base)
		return false;
	return path_norm(base ? base : "/", p, out, size);
}

/* Whether the call touches a filtered path. A path argument that cannot be
 * made absolute counts as a match (the filter must not hide what it cannot
 * place); an fd that is not a known file does not. */
static bool call_matches(const struct audit *a, struct client *c, const struct lsca_call *call)
{
	char path[AUDIT_PATH_MAX];
	bool any_path = false;

	if (!c)
		return true;
	for (unsigned i = 0; i < 6; i++) {
		if (call->kinds[i] != LSCA_ARG_PATH)
			continue;
		any_path = true;
		if (!arg_path(c, call, i, path, sizeof(path)) || prefix_match(a, path))
			return true;
	}
	if (any_path)
		return false;
	for (unsigned i = 0; i < 6; i++) {
		if (call->kinds[i] == LSCA_ARG_FD) {
			const char *p = fd_path(c, call->client->pid, call->args[i], call->time_ns);

			return p && prefix_match(a, p);
		}
	}
	return true;
}

/* Follow the client's fds and cwd (the filter's view, see call_matches). */
static void track(const struct audit *a, struct client *c, const struct lsca_call *call,
		  long result)
{
	char path[AUDIT_PATH_MAX];

	if (!c)
		return;
	if (call->nr == a->nr_openat && result >= 0) {
		fd_opened(c, result, arg_path(c, call, 1, path, sizeof(path)) ? strdup(path) : NULL,
			  call->time_ns + call->latency_ns);
	} else if (call->nr == a->nr_close && result != -EBADF) {
		fd_closed(c, call->args[0], call->time_ns); /* Linux closes it even on EINTR */
	} else if (call->nr == a->nr_chdir && result == 0) {
		char *cwd = arg_path(c, call, 0, path, sizeof(path)) ? strdup(path) : NULL;

		free(c->cwd);
		c->cwd = cwd;
	} else if (call->nr == a->nr_fchdir && result == 0) {
		const char *p = fd_path(c, call->client->pid, call->args[0], call->time_ns);
		char *cwd = p ? strdup(p) : proc_link(call->client->pid, "cwd");

		free(c->cwd);
		c->cwd = cwd;
	}
}

/* ---- the handler ---- */

/* The client's part of a line, from "comm" to "syscall": after the tid. */
static void sb_who(struct sb *b, const struct lsca_client_info *ci)
{
	SB_LIT(b, ",\"comm\":");
	sb_jstr(b, ci->comm);
	SB_LIT(b, ",\"exe\":");
	sb_jstr(b, ci->exe && ci->exe[0] ? ci->exe : NULL);
	SB_LIT(b, ",\"uid\":");
	sb_u64(b, (unsigned)ci->uid);
	SB_LIT(b, ",\"unit\":");
	sb_jstr(b, ci->unit);
	SB_LIT(b, ",\"syscall\":");
}

/* The pid's part: the time's end, then the pid, up to the tid. */
static void sb_pid(struct sb *b, const struct lsca_client_info *ci)
{
	SB_LIT(b, "Z\",\"pid\":");
	sb_i64(b, (int)ci->pid);
	SB_LIT(b, ",\"tid\":");
}

/* Make the client's constant parts, once per client. Without them (out of
 * memory) the line is made in full each time. */
static void client_parts(struct client *c, const struct lsca_client_info *ci)
{
	char tmp[512];
	struct sb b = {.p = tmp, .cap = sizeof(tmp), .stack = tmp};

	if (c->who && c->id == ci->id && c->uid == ci->uid && c->comm == ci->comm &&
	    c->exe == ci->exe && c->unit == ci->unit)
		return;
	free(c->who);
	c->who = NULL;
	sb_who(&b, ci);
	if (!b.oom)
		c->who = malloc(b.len);
	if (c->who) {
		memcpy(c->who, b.p, b.len);
		c->who_len = b.len;
	}
	if (b.p != tmp)
		free(b.p);
	b = (struct sb){.p = c->pid, .cap = sizeof(c->pid), .stack = c->pid};
	sb_pid(&b, ci); /* fits: 9 + 11 + 7 bytes */
	c->pid_len = b.len;
	c->id = ci->id;
	c->uid = ci->uid;
	c->comm = ci->comm;
	c->exe = ci->exe;
	c->unit = ci->unit;
}

/* RFC 3339, UTC, microseconds: "2026-11-27T07:54:16.123456Z", less the
 * closing 'Z"' (it starts the pid's part). The date and time to the second
 * is kept from the client's previous line when it is the same second. */
static void sb_time(struct sb *b, struct client *c, uint64_t ns)
{
	uint64_t sec = ns / 1000000000u;
	char *p;

	if (!sb_reserve(b, 1 + 19 + 7))
		return;
	p = b->p + b->len;
	*p++ = '"';
	if (c && c->date_ok && c->sec == sec) {
		memcpy(p, c->date, 19);
	} else {
		format_date(p, sec);
		if (c) {
			memcpy(c->date, p, 19);
			c->sec = sec;
			c->date_ok = true;
		}
	}
	p[19] = '.';
	put_digits(p + 20, (unsigned)(ns % 1000000000u / 1000u), 6);
	b->len += 1 + 19 + 7;
}

static void write_args(const struct audit *a, struct sb *b, const struct lsca_call *call)
{
	const struct argkeys *keys =
	    call->nr >= 0 && call->nr < AUDIT_NR_MAX ? a->keys[call->nr] : &a->generic;
	bool first = true;
	size_t skip;

	for (unsigned i = 0; i < 6; i++) {
		switch (call->kinds[i]) {
		case LSCA_ARG_INT:
		case LSCA_ARG_FD:
		case LSCA_ARG_DIRFD:
		case LSCA_ARG_LEN:
		case LSCA_ARG_PATH:
		case LSCA_ARG_STRING:
		case LSCA_ARG_OFFSET: /* the offset's value, -1 for none */
			break;
		default:
			/* buffers (their length follows), output structs, times,
			 * and kinds of a newer ABI */
			continue;
		}
		/* the first key without its comma; the whole array is copied
		 * (a fixed size is two moves, a variable one a call) */
		skip = first ? 1 : 0;
		if (!sb_reserve(b, AUDIT_KEY_MAX))
			return;
		memcpy(b->p + b->len, keys->key[i] + skip, AUDIT_KEY_MAX - 1);
		b->len += keys->len[i] - skip;
		first = false;
		if (call->kinds[i] == LSCA_ARG_PATH || call->kinds[i] == LSCA_ARG_STRING)
			sb_jstr(b, (const char *)call->args[i]);
		else
			sb_i64(b, call->args[i]);
	}
	SB_LIT(b, "}");
}

/* Calls that move bytes: their result is a byte count. */
static bool has_buffer(const struct lsca_call *call)
{
	for (unsigned i = 0; i < 6; i++)
		if ((call->kinds[i] >= LSCA_ARG_INBUF && call->kinds[i] <= LSCA_ARG_IOVOUT) ||
		    call->kinds[i] == LSCA_ARG_OFFSET)
			return true;
	return false;
}

static void audit_line(struct audit *a, struct client *c, const struct lsca_call *call, long result)
{
	char stack[2048];
	struct sb b = {.p = stack, .cap = sizeof(stack), .stack = stack};
	const struct lsca_client_info *ci = call->client;
	bool known = call->nr >= 0 && call->nr < AUDIT_NR_MAX;

	if (c)
		client_parts(c, ci);
	SB_LIT(&b, "{\"time\":");
	sb_time(&b, c, call->time_ns);
	if (c)
		sb_put(&b, c->pid, c->pid_len);
	else
		sb_pid(&b, ci);
	sb_i64(&b, (int)call->tid);
	if (c && c->who)
		sb_put(&b, c->who, c->who_len);
	else
		sb_who(&b, ci);
	if (known && a->sysfrag[call->nr] && call->name == a->sysname[call->nr]) {
		sb_put(&b, a->sysfrag[call->nr], a->sysfrag_len[call->nr]);
	} else {
		sb_jstr(&b, call->name);
		SB_LIT(&b, ",\"args\":{");
	}
	write_args(a, &b, call);
	if (result >= 0) {
		SB_LIT(&b, ",\"result\":");
		sb_i64(&b, result);
		if (has_buffer(call)) {
			SB_LIT(&b, ",\"bytes\":");
			sb_i64(&b, result);
		}
	} else {
		uint64_t e = 0 - (uint64_t)result;

		SB_LIT(&b, ",\"result\":-1,\"errno\":");
		sb_i64(&b, (int64_t)e); /* as -result, LONG_MIN too */
		SB_LIT(&b, ",\"error\":");
		sb_jstr(&b, errno_name(e));
	}
	SB_LIT(&b, ",\"latency_ns\":");
	sb_u64(&b, call->latency_ns);
	if (call->flags & LSCA_CALL_OBSERVED)
		SB_LIT(&b, ",\"placement\":\"observe\"}\n");
	else
		SB_LIT(&b, ",\"placement\":\"proxy\"}\n");
	if (b.oom) {
		if (!atomic_exchange(&a->oom_said, true))
			a->ctx->ops->log(a->ctx, LOG_ERR, "out of memory: audit lines are lost");
	} else {
		output_line(a, call, result, b.p, b.len);
	}
	if (b.p != stack)
		free(b.p);
}

static void audit_post(const struct lsca_call *call, long result, void *userdata)
{
	struct audit *a = userdata;
	bool want = call->nr >= 0 && call->nr < AUDIT_NR_MAX && a->log[call->nr];
	struct client *c = client_get(a, call);

	if (a->nprefix && c) {
		/* decide on the state before this call changes it (close, openat) */
		want = want && call_matches(a, c, call);
		track(a, c, call, result);
	}
	if (want)
		audit_line(a, c, call, result);
}

/* ---- configuration ---- */

static int parse_syscalls(struct audit *a, const struct lsca_config *node)
{
	struct lsca_plugin_ctx *ctx = a->ctx;
	int err = 0;

	if (node->type != LSCA_CONFIG_SEQUENCE || !node->nchildren)
		return ctx->ops->config_error(
		    ctx, node, "a non-empty list of syscall names, e.g. [openat, read, write]");
	for (unsigned i = 0; i < node->nchildren; i++) {
		const struct lsca_config *n = &node->children[i];
		long nr = n->type == LSCA_CONFIG_SCALAR ? ctx->ops->syscall_nr(ctx, n->value) : -1;

		if (nr < 0 || nr >= AUDIT_NR_MAX)
			err = ctx->ops->config_error(ctx, n, "'%s' is not a syscall lscad handles",
						     n->value ? n->value : "(not a name)");
		else
			a->log[nr] = true;
	}
	return err;
}

static int parse_paths(struct audit *a, const struct lsca_config *node)
{
	struct lsca_plugin_ctx *ctx = a->ctx;
	char path[AUDIT_PATH_MAX];

	if (node->type != LSCA_CONFIG_SEQUENCE || !node->nchildren || a->prefix)
		return ctx->ops->config_error(ctx, node,
					      "a non-empty list of absolute paths, e.g. [/etc]");
	a->prefix = calloc(node->nchildren, sizeof(*a->prefix));
	a->prefix_len = calloc(node->nchildren, sizeof(*a->prefix_len));
	if (!a->prefix || !a->prefix_len)
		return -ENOMEM;
	for (unsigned i = 0; i < node->nchildren; i++) {
		const struct lsca_config *n = &node->children[i];

		if (n->type != LSCA_CONFIG_SCALAR || n->value[0] != '/' ||
		    !path_norm("/", n->value, path, sizeof(path)))
			return ctx->ops->config_error(ctx, n, "not an absolute path");
		a->prefix[a->nprefix] = strdup(path);
		if (!a->prefix[a->nprefix])
			return -ENOMEM;
		a->prefix_len[a->nprefix++] = strlen(path);
	}
	return 0;
}

static int parse_config(struct audit *a, const struct lsca_config *config)
{
	struct lsca_plugin_ctx *ctx = a->ctx;
	const struct lsca_config *output = lsca_config_get(config, "output");
	bool any = false;
	int err = 0, r;

	if (!config || config->type != LSCA_CONFIG_MAPPING)
		return ctx->ops->config_error(ctx, config,
					      "audit needs a mapping with at least "
					      "\"output: FILE\" or \"output: journal\"");
	for (unsigned i = 0; i < config->nchildren; i++) {
		const struct lsca_config *n = &config->children[i];

		if (!n->key) {
			r = ctx->ops->config_error(ctx, n, "not a key");
		} else if (!strcmp(n->key, "syscalls")) {
			r = parse_syscalls(a, n);
			any = true;
		} else if (!strcmp(n->key, "paths")) {
			r = parse_paths(a, n);
		} else if (!strcmp(n->key, "output")) {
			r = 0;
		} else {
			r = ctx->ops->config_error(ctx, n, "unknown key (output, syscalls, paths)");
		}
		err = err ? err : r;
	}
	if (!output || output->type != LSCA_CONFIG_SCALAR ||
	    (strcmp(output->value, "journal") && output->value[0] != '/'))
		return ctx->ops->config_error(ctx, output ? output : config,
					      "output: an absolute file name or \"journal\"");
	if (err)
		return err;
	if (!strcmp(output->value, "journal")) {
		a->journal = true;
		/* sd_journal_send() drops lines silently while journald is away */
		if (access("/run/systemd/journal/socket", F_OK) < 0)
			ctx->ops->log(ctx, LOG_WARNING,
				      "journald is not running: lines are lost until it is");
	} else {
		a->path = strdup(output->value);
		a->buf = malloc(AUDIT_BUF_SIZE);
		if (!a->path || !a->buf)
			return -ENOMEM;
		a->fd = open_output(a->path);
		if (a->fd < 0)
			return ctx->ops->config_error(ctx, output, "cannot open %s: %s", a->path,
						      a->fd == -EINVAL ? "not a regular file"
								       : strerror(-a->fd));
	}
	for (long nr = 0; !any && nr < AUDIT_NR_MAX; nr++)
		a->log[nr] = ctx->ops->syscall_name(ctx, nr) != NULL;
	return 0;
}

/* ---- the descriptor's functions ---- */

/* "\"NAME\",\"args\":{" for syscall nr, made once (none if out of memory:
 * the line then makes it). */
static void make_sysfrag(struct audit *a, long nr)
{
	char tmp[256];
	struct sb b = {.p = tmp, .cap = sizeof(tmp), .stack = tmp};

	a->sysname[nr] = a->ctx->ops->syscall_name(a->ctx, nr);
	sb_jstr(&b, a->sysname[nr]);
	SB_LIT(&b, ",\"args\":{");
	if (!b.oom)
		a->sysfrag[nr] = malloc(b.len);
	if (a->sysfrag[nr]) {
		memcpy(a->sysfrag[nr], b.p, b.len);
		a->sysfrag_len[nr] = b.len;
	}
	if (b.p != tmp)
		free(b.p);
}

static void audit_free(struct audit *a)
{
	if (a->fd >= 0)
		close(a->fd);
	for (unsigned i = 0; i < a->nprefix; i++)
		free(a->prefix[i]);
	free(a->prefix);
	free(a->prefix_len);
	for (long nr = 0; nr < AUDIT_NR_MAX; nr++)
		free(a->sysfrag[nr]);
	free(a->path);
	free(a->buf);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static int audit_init(struct lsca_plugin_ctx *ctx, const struct lsca_config *config)
{
	struct audit *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	a->ctx = ctx;
	a->fd = -1;
	pthread_mutex_init(&a->lock, NULL);
	a->handler = (struct lsca_handler){.post = audit_post, .userdata = a};
	r = parse_config(a, config);
	if (r < 0) {
		audit_free(a);
		return r;
	}
	make_argkeys(&a->generic, NULL);
	for (long nr = 0; nr < AUDIT_NR_MAX; nr++)
		a->keys[nr] = &a->generic;
	for (size_t i = 0; i < sizeof(argnames) / sizeof(argnames[0]); i++) {
		long nr = ctx->ops->syscall_nr(ctx, argnames[i].syscall);

		make_argkeys(&a->argkeys[i], &argnames[i]);
		if (nr >= 0 && nr < AUDIT_NR_MAX)
			a->keys[nr] = &a->argkeys[i];
	}
	for (long nr = 0; nr < AUDIT_NR_MAX; nr++)
		if (a->log[nr])
			make_sysfrag(a, nr);
	a->nr_openat = ctx->ops->syscall_nr(ctx, "openat");
	a->nr_close = ctx->ops->syscall_nr(ctx, "close");
	a->nr_chdir = ctx->ops->syscall_nr(ctx, "chdir");
	a->nr_fchdir = ctx->ops->syscall_nr(ctx, "fchdir");
	for (long nr = 0; nr < AUDIT_NR_MAX; nr++) {
		/* the path filter follows opens, closes and cwd changes it does not log */
		bool follow = a->nprefix && (nr == a->nr_openat || nr == a->nr_close ||
					     nr == a->nr_chdir || nr == a->nr_fchdir);

		if (!a->log[nr] && !follow)
			continue;
		r = lsca_register(ctx, nr, 0, &a->handler);
		if (r < 0) {
			ctx->ops->log(ctx, LOG_ERR, "cannot register for %s: %s",
				      ctx->ops->syscall_name(ctx, nr), strerror(-r));
			audit_free(a);
			return r;
		}
	}
	ctx->data = a;
	return 0;
}

static void audit_flush(struct lsca_plugin_ctx *ctx)
{
	struct audit *a = ctx->data;

	if (a->journal)
		return;
	pthread_mutex_lock(&a->lock);
	if (a->len)
		flush_locked(a);
	pthread_mutex_unlock(&a->lock);
}

static void audit_reopen(struct lsca_plugin_ctx *ctx)
{
	struct audit *a = ctx->data;
	int fd;

	if (a->journal)
		return;
	pthread_mutex_lock(&a->lock);
	flush_locked(a); /* the rest belongs in the old file */
	fd = open_output(a->path);
	if (fd < 0) {
		ctx->ops->log(ctx, LOG_ERR, "cannot reopen %s: %s; still writing to the old file",
			      a->path, strerror(-fd));
	} else {
		close(a->fd);
		a->fd = fd;
		a->torn = false;
	}
	pthread_mutex_unlock(&a->lock);
}

static void audit_fini(struct lsca_plugin_ctx *ctx)
{
	struct audit *a = ctx->data;

	audit_flush(ctx);
	if (a->lost)
		ctx->ops->log(ctx, LOG_WARNING, "%llu audit lines could not be written to %s",
			      (unsigned long long)a->lost, a->path);
	audit_free(a);
	ctx->data = NULL;
}

static void audit_client_gone(struct lsca_plugin_ctx *ctx, const struct lsca_client_info *client,
			      void *state)
{
	(void)ctx;
	(void)client;
	client_free(state);
}

const struct lsca_plugin lsca_plugin_descriptor = {
    .abi_version = LSCA_PLUGIN_ABI_VERSION,
    .name = "audit",
    .version = "1.0",
    .description = "one JSON line per call, to a file or the journal",
    .init = audit_init,
    .fini = audit_fini,
    .client_gone = audit_client_gone,
    .flush = audit_flush,
    .reopen = audit_reopen,
};
