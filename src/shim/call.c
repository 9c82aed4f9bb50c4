/* SPDX-License-Identifier: MIT */
/*
 * One proxied call, driven by the syscall's row in sysdesc.h: copy the
 * inputs into this thread's slot, submit, wait, copy the outputs back.
 * No allocation, no lock on this path (receiving a new fd takes a short
 * spinlock: it already costs a kernel entry).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/fdpass.h"
#include "../common/req.h"
#include "../common/ring.h"
#include "../common/sysdesc.h"
#include "fdtag.h"
#include "shim.h"
#include "sud.h"

static SHIM_TLS __thread uint32_t tls_seq;
static SHIM_TLS __thread bool tls_entry; /* called from an entry point, not a SIGSYS */

/* Our own syscall instruction: complete mode never dispatches it. */
static long raw(long nr, const long *a)
{
	return sud_raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* Whether a call is a cancellation point of libc: fcntl only when it
 * waits for a lock. */
static bool cancel_point(const struct lsca_sysdesc *d, const long *a)
{
	if (!tls_entry || !(d->flags & LSCA_S_CANCEL))
		return false;
	return d->nr != __NR_fcntl || a[1] == F_SETLKW || a[1] == F_OFD_SETLKW;
}

/* Run the call in this thread. One that may wait is a cancellation point
 * as libc's own wrapper is: pthread_cancel() reaches a thread waiting in
 * it (the slot is not ours by then: lscad answered, or never saw it). */
static long run_here(const struct lsca_sysdesc *d, const long *a)
{
	int old;
	long r;

	if (!cancel_point(d, a))
		return raw(d->nr, a);
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	r = raw(d->nr, a);
	pthread_setcanceltype(old, &old);
	return r;
}

/* An address no user mapping can have: below mmap_min_addr's default, or
 * above any user address space. The shim would fault where the kernel
 * answers EFAULT, so such calls run here. (Other unmapped addresses still
 * fault in the shim: it cannot tell without a kernel entry.) */
static bool never_mapped(long p)
{
	return (unsigned long)p < 65536 || (unsigned long)p >= 1ul << 56;
}

#define SCALAR_KINDS                                                                               \
	(LSCA_KIND(LSCA_A_NONE) | LSCA_KIND(LSCA_A_INT) | LSCA_KIND(LSCA_A_FD) |                   \
	 LSCA_KIND(LSCA_A_DIRFD) | LSCA_KIND(LSCA_A_LEN))

/* Calls only the process itself can run faithfully. A path naming the
 * process itself still goes to lscad when a plugin may refuse the call
 * (guarded): lscad decides, then hands it back. */
static bool must_run_here(const struct lsca_sysdesc *d, const long *a, bool guarded)
{
	/* sendto/recvfrom with an address: lscad does not carry it */
	if ((d->flags & LSCA_S_NOADDR) && (a[4] || a[5]))
		return true;
	if (!(d->kindset & ~SCALAR_KINDS))
		return false; /* numbers and fds only: nothing to fault on */
	for (unsigned i = 0; i < LSCA_MAX_ARGS; i++) {
		switch (d->kinds[i]) {
		case LSCA_A_PATH:
			/* futimens: utimensat(fd, NULL, ...) acts on the fd */
			if (!a[i] && (d->flags & LSCA_S_NULLPATH) && i > 0 &&
			    d->kinds[i - 1] == LSCA_A_DIRFD && (int)a[i - 1] != AT_FDCWD)
				break;
			/* bad and overlong paths: the kernel's own answer */
			if (never_mapped(a[i]) ||
			    strnlen((const char *)a[i], PATH_MAX) == PATH_MAX ||
			    (!guarded && lsca_own_path((const char *)a[i], 0, 0, NULL, 0)))
				return true;
			break;
		case LSCA_A_INBUF:
		case LSCA_A_OUTBUF:
			if (a[i + 1] && never_mapped(a[i]))
				return true;
			break;
		case LSCA_A_IOVIN:
		case LSCA_A_IOVOUT:
			if (a[i + 1] > 0 && never_mapped(a[i]))
				return true;
			break;
		case LSCA_A_STRING:
			/* the kernel's EFAULT, or its ERANGE for a long name */
			if (never_mapped(a[i]) || strnlen((const char *)a[i], PATH_MAX) == PATH_MAX)
				return true;
			break;
		case LSCA_A_TIMES:
			if (a[i] && never_mapped(a[i]))
				return true;
			break;
		case LSCA_A_STAT:
		case LSCA_A_STATX:
		case LSCA_A_STATFS:
			if (never_mapped(a[i]))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

static long take_fd(const struct lsca_fdmsg *m, int fd, uint32_t slot, uint32_t seq)
{
	if (m->slot == slot && m->seq == seq)
		return fd;
	if (m->slot < SHIM_MAX_SLOTS) {
		/* another thread's: keep it where that thread will look */
		if (shim.stash_fd[m->slot] >= 0)
			syscall(SYS_close, shim.stash_fd[m->slot]);
		shim.stash_fd[m->slot] = fd;
		shim.stash_seq[m->slot] = m->seq;
	} else {
		syscall(SYS_close, fd);
	}
	return -EAGAIN;
}

/* The daemon sent the fd before it completed our slot, so it is either in
 * the socket or already stashed for us by another thread. */
static long recv_fd(uint32_t slot, uint32_t seq, bool cloexec)
{
	long r = -EAGAIN;

	while (atomic_exchange_explicit(&shim.fd_lock, 1, memory_order_acquire))
		lsca_cpu_relax();
	while (r == -EAGAIN) {
		struct lsca_fdmsg m;
		bool dropped;
		long n;
		int fd;

		if (shim.stash_fd[slot] >= 0 && shim.stash_seq[slot] == seq) {
			r = shim.stash_fd[slot];
			shim.stash_fd[slot] = -1;
			break;
		}
		n = lsca_recv_fd(shim.sock, &m, sizeof(m), &fd, &dropped, MSG_CMSG_CLOEXEC);
		if (n < 0) {
			r = n == -EAGAIN ? -EIO : n;
			break;
		}
		if (dropped) {
			/* the kernel dropped the fd: we are at our fd limit */
			r = m.slot == slot && m.seq == seq ? -EMFILE : -EAGAIN;
			continue;
		}
		if (n != (long)sizeof(m) || fd < 0 || m.magic != LSCA_PROTO_MAGIC) {
			if (fd >= 0)
				syscall(SYS_close, fd);
			r = -EIO;
			break;
		}
		r = take_fd(&m, fd, slot, seq);
	}
	atomic_store_explicit(&shim.fd_lock, 0, memory_order_release);
	if (r >= 0 && !cloexec)
		syscall(SYS_fcntl, (int)r, F_SETFD, 0);
	return r;
}

/* Each fd argument's tag next to its number (proto.h, LSCA_FD_TAGGED). */
static void tag_fds(const struct lsca_sysdesc *d, const long *a, struct lsca_slot *s)
{
	if (!(d->kindset & (LSCA_KIND(LSCA_A_FD) | LSCA_KIND(LSCA_A_DIRFD))))
		return;
	for (unsigned i = 0; i < LSCA_MAX_ARGS; i++)
		if (d->kinds[i] == LSCA_A_FD || d->kinds[i] == LSCA_A_DIRFD)
			s->args[i] = (uint32_t)a[i] | (uint64_t)fdtag_of((int)a[i]) << 32;
}

/* A request lscad answers itself (LSCA_NR_*), on our slot. */
static void pseudo_on(const struct lsca_ring *ring, uint32_t slot, uint16_t nr, long a0, long a1)
{
	struct lsca_slot *s = lsca_ring_slot(ring, slot);

	s->nr = nr;
	s->seq = ++tls_seq;
	s->data_len = 0;
	memset(s->args, 0, sizeof(s->args));
	s->args[0] = (uint64_t)a0;
	s->args[1] = (uint64_t)a1;
	/* a lscad that went away holds nothing any more */
	lsca_slot_submit(ring, s);
	if (lsca_slot_wait(ring, s, ring->hdr->spin_ns, shim_alive, (void *)ring) < 0)
		shim_lost_ring(ring);
}

void shim_pseudo_call(uint16_t nr, long a0, long a1)
{
	const struct lsca_ring *ring;
	int slot;

	if (atomic_load_explicit(&shim.state, memory_order_acquire) != SHIM_ATTACHED)
		return;
	ring = shim.ring;
	shim_depth++;
	slot = shim_slot(ring);
	if (slot >= 0)
		pseudo_on(ring, (uint32_t)slot, nr, a0, a1);
	shim_slot_release(ring, slot);
	shim_depth--;
}

/* How a call ended up being served. */
struct outcome {
	bool direct;  /* it ran here, lscad never saw it */
	bool post;    /* lscad's watchers get it from us (see LSCA_PLACE_WATCHED) */
	bool here;    /* lscad handed it back: it ran here */
	bool sigpipe; /* the kernel would have signalled the caller */
	bool lost;    /* lscad went away: nobody to post to */
};

/* lscad is not there to serve a call: the config's on_failure decides.
 * Releasing an fd never gains anything, so close always runs. */
static long unserved(const struct lsca_sysdesc *d, const long *a, struct outcome *o)
{
	if (shim.on_failure == LSCA_ON_FAILURE_DENY && d->nr != __NR_close &&
	    d->nr != __NR_close_range)
		return -EIO;
	o->direct = true;
	return run_here(d, a);
}

/* Submit the filled slot and wait. Returns 0 with *resp, or -EPIPE when
 * the daemon went away (the call has then to run here). */
static int roundtrip(const struct lsca_ring *ring, struct lsca_slot *s, struct lsca_resp *resp)
{
	lsca_slot_submit(ring, s);
	if (lsca_slot_wait(ring, s, ring->hdr->spin_ns, shim_alive, (void *)ring) < 0) {
		shim_lost_ring(ring);
		return -EPIPE;
	}
	memcpy(resp, &s->resp, sizeof(*resp));
	return 0;
}

/* What the daemon's answer means for us; *direct tells the caller to count
 * a call that ended up running here. */
static long finish(const struct lsca_sysdesc *d, const long *a, const struct lsca_resp *resp,
		   uint32_t slot, uint32_t seq, struct outcome *o)
{
	if (resp->flags & LSCA_RESP_DIRECT) {
		/* handed back (a pipe, a tty, procfs): its watchers see it
		 * when we post it, with our result */
		o->post = o->here = true;
		return run_here(d, a);
	}
	if (resp->flags & LSCA_RESP_LOCAL) {
		o->post = true;	       /* its watchers see our result */
		return run_here(d, a); /* approved; only we can close, dup or chdir */
	}
	if ((resp->flags & LSCA_RESP_FD) && resp->ret == 0) {
		o->post = true; /* the fd number is ours to tell */
		return recv_fd(slot, seq, (a[2] & O_CLOEXEC) != 0);
	}
	return resp->ret;
}

/* A call without a large buffer: paths in, fixed-size structs out. */
static long call_once(const struct lsca_ring *ring, uint32_t slot, const struct lsca_sysdesc *d,
		      const long *a, struct outcome *o)
{
	struct lsca_slot *s = lsca_ring_slot(ring, slot);
	unsigned char *data = lsca_ring_data(ring, slot);
	struct lsca_resp resp;
	uint32_t seq = ++tls_seq;
	long r;

	if (lsca_req_encode(d, a, s, data, ring->data_size) < 0) {
		o->direct = true;
		return run_here(d, a);
	}
	tag_fds(d, a, s);
	s->seq = seq;
	if (roundtrip(ring, s, &resp) < 0)
		return unserved(d, a, o);
	if (resp.flags & LSCA_RESP_HELD)
		fdtag_held(d, a);
	r = finish(d, a, &resp, slot, seq, o);
	if (r < 0 || (resp.flags & (LSCA_RESP_LOCAL | LSCA_RESP_DIRECT)))
		return r;
	for (unsigned i = 0; LSCA_HAS(d, OUTBUF) && i + 1 < LSCA_MAX_ARGS; i++) {
		size_t cap =
		    (size_t)a[i + 1] < ring->data_size ? (size_t)a[i + 1] : ring->data_size;

		/* a size-0 getxattr or listxattr asks only for the size (a NULL
		 * buffer with a size never gets here: must_run_here) */
		if (d->kinds[i] != LSCA_A_OUTBUF || !a[i + 1] || !a[i])
			continue;
		if ((size_t)r > cap)
			return -EIO; /* a daemon that lies: never overrun the caller */
		memcpy((void *)a[i], data, (size_t)r);
	}
	if (r == 0 && (d->kindset & (LSCA_KIND(LSCA_A_STAT) | LSCA_KIND(LSCA_A_STATX) |
				     LSCA_KIND(LSCA_A_STATFS))))
		for (unsigned i = 0; i < LSCA_MAX_ARGS; i++)
			if (d->kinds[i] == LSCA_A_STAT || d->kinds[i] == LSCA_A_STATX ||
			    d->kinds[i] == LSCA_A_STATFS)
				memcpy((void *)a[i], data, lsca_argkind_size(d->kinds[i]));
	return r;
}

/* Copy len bytes between a flat buffer and an iovec array starting at byte
 * pos of the array. */
static void iov_copy(const struct iovec *iov, int cnt, size_t pos, unsigned char *flat, size_t len,
		     bool to_flat)
{
	for (int i = 0; i < cnt && len; i++) {
		size_t l = iov[i].iov_len, n;

		if (pos >= l) {
			pos -= l;
			continue;
		}
		n = l - pos < len ? l - pos : len;
		if (to_flat)
			memcpy(flat, (unsigned char *)iov[i].iov_base + pos, n);
		else
			memcpy((unsigned char *)iov[i].iov_base + pos, flat, n);
		flat += n;
		len -= n;
		pos = 0;
	}
}

/* lscad moved part of a write to a blocking pipe or socket, and the rest
 * would have had to wait for room: it goes from here, waiting as the
 * native call would (a signal then ends it with what was written). */
static long write_rest(const struct lsca_sysdesc *d, const long *a, size_t done, size_t total)
{
	long b[LSCA_MAX_ARGS], r;

	memcpy(b, a, sizeof(b));
	b[1] += (long)done;
	b[2] = (long)(total - done);
	r = run_here(d, b);
	return r < 0 ? (long)done : (long)done + r;
}

/* read/write and friends: the buffer travels through the slot in chunks of
 * at most the slot's data size. A chunk that comes back short ends the call
 * (as a short read or write would); a full read chunk continues only on a
 * regular file, where the native call would not have stopped either. */
static long call_chunked(const struct lsca_ring *ring, uint32_t slot, const struct lsca_sysdesc *d,
			 const long *a, struct outcome *o)
{
	struct lsca_slot *s = lsca_ring_slot(ring, slot);
	unsigned char *data = lsca_ring_data(ring, slot);
	enum lsca_argkind k = d->kinds[1];
	bool in = k == LSCA_A_INBUF || k == LSCA_A_IOVIN;
	struct iovec one = {.iov_base = (void *)a[1], .iov_len = (size_t)a[2]};
	const struct iovec *iov = &one;
	int cnt = 1;
	size_t total = (size_t)a[2], done = 0;

	if (k == LSCA_A_IOVIN || k == LSCA_A_IOVOUT) {
		iov = (const struct iovec *)a[1];
		cnt = (int)a[2];
		if (cnt < 0 || cnt > IOV_MAX || (cnt && !iov)) {
			o->direct = true; /* the kernel's EINVAL/EFAULT */
			return run_here(d, a);
		}
		total = 0;
		for (int i = 0; i < cnt; i++) {
			if (iov[i].iov_len > SSIZE_MAX - total ||
			    (iov[i].iov_len && never_mapped((long)iov[i].iov_base))) {
				o->direct = true;
				return run_here(d, a);
			}
			total += iov[i].iov_len;
		}
	}
	do {
		size_t chunk = total - done < ring->data_size ? total - done : ring->data_size;
		uint32_t seq = ++tls_seq;
		struct lsca_resp resp;
		long r;

		if (in)
			iov_copy(iov, cnt, done, data, chunk, true);
		/* the answer overwrote the arguments: all of them again */
		s->nr = (uint16_t)d->nr;
		s->seq = seq;
		s->args[0] = (uint32_t)a[0] | (uint64_t)fdtag_of((int)a[0]) << 32;
		s->args[1] = 0;
		s->args[2] = chunk;
		/* the offset, or send/recv flags; never an address */
		s->args[3] = (uint64_t)((d->flags & LSCA_S_POS) ? a[3] + (long)done : a[3]);
		s->args[4] = 0;
		s->args[5] = 0;
		s->data_len = in ? (uint32_t)chunk : 0;
		if (roundtrip(ring, s, &resp) < 0) {
			/* a short count, which every caller must handle */
			return done ? (long)done : unserved(d, a, o);
		}
		/* before anything else: lscad may keep the file and still
		 * hand the call back (a read of a directory) */
		if (resp.flags & LSCA_RESP_HELD)
			fdtag_held(d, a);
		if (resp.flags & LSCA_RESP_DIRECT) {
			/* a write goes on here where lscad would wait; if
			 * nothing moved yet, the whole call runs here */
			if (done)
				return k == LSCA_A_INBUF ? write_rest(d, a, done, total)
							 : (long)done;
			o->post = o->here = true;
			return run_here(d, a);
		}
		o->sigpipe |= (resp.flags & LSCA_RESP_SIGPIPE) != 0;
		r = resp.ret;
		if (r < 0)
			return done ? (long)done : r;
		if ((size_t)r > chunk)
			return -EIO; /* a daemon that lies: never overrun the caller */
		if (!in)
			iov_copy(iov, cnt, done, data, (size_t)r, false);
		done += (size_t)r;
		if ((resp.flags & LSCA_RESP_MORE) && k == LSCA_A_INBUF && done < total)
			return write_rest(d, a, done, total);
		/* a full read chunk goes on where the native call would not
		 * have stopped: a regular file, or a positional read */
		if ((size_t)r < chunk ||
		    (!in && !(d->flags & LSCA_S_POS) && !(resp.flags & LSCA_RESP_REGULAR)))
			break;
	} while (done < total);
	return (long)done;
}

/* Post a call that ran here, and its result, to our slot's event log for
 * lscad's watching plugins. Paths and strings (xattr names) are copied
 * into the record; other buffers and structs stay here. */
/* An observing client never waits on lscad, so it would post into a dead
 * ring for ever: it looks at lscad's state word every call, and asks the
 * kernel about the socket (one ppoll) at most every 100 ms. */
static bool daemon_still_there(const struct lsca_ring *ring, uint64_t now)
{
	static _Atomic uint64_t next_check;

	if (atomic_load_explicit(&ring->hdr->daemon_state, memory_order_acquire) !=
	    LSCA_DAEMON_RUNNING)
		return false;
	if (now < atomic_load_explicit(&next_check, memory_order_relaxed))
		return true;
	atomic_store_explicit(&next_check, now + 100000000ull, memory_order_relaxed);
	return shim_alive((void *)ring);
}

static void post(const struct lsca_ring *ring, uint32_t slot, const struct lsca_sysdesc *d,
		 const long *a, long r, uint64_t t0, bool proxied, const int64_t *offsets)
{
	uint64_t lat = lsca_now_ns() - t0, when = lsca_realtime_ns() - lat;
	size_t plen[LSCA_MAX_ARGS] = {0}, len = sizeof(struct lsca_event);
	struct lsca_event *ev;
	uint32_t advance, off;

	for (unsigned i = 0; i < LSCA_MAX_ARGS; i++)
		if ((d->kinds[i] == LSCA_A_PATH || d->kinds[i] == LSCA_A_STRING) && r != -EFAULT &&
		    !never_mapped(a[i])) {
			plen[i] = strnlen((const char *)a[i], 4095) + 1;
			len += plen[i];
		}
	len = (len + 7) & ~(size_t)7;
	while (!(ev = lsca_evlog_reserve(ring, slot, (uint32_t)len, &advance)))
		if (lsca_evlog_wait_room(ring, slot, shim_alive, (void *)ring) < 0) {
			shim_lost_ring(ring);
			return; /* nobody to tell any more */
		}
	*ev = (struct lsca_event){.len = (uint32_t)len,
				  .nr = (uint16_t)d->nr,
				  .flags = proxied ? LSCA_EV_PROXIED : 0,
				  .tid = (int32_t)shim_tid(),
				  .ret = r,
				  .time_ns = when,
				  .latency_ns = lat};
	off = sizeof(*ev);
	for (unsigned i = 0; i < LSCA_MAX_ARGS; i++) {
		if (plen[i]) {
			memcpy((char *)ev + off, (const char *)a[i], plen[i] - 1);
			((char *)ev)[off + plen[i] - 1] = '\0';
			ev->args[i] = off;
			off += (uint32_t)plen[i];
		} else if (d->kinds[i] == LSCA_A_OFFSET) {
			ev->args[i] = (uint64_t)offsets[i]; /* never a client address */
		} else if (d->kinds[i] != LSCA_A_PATH && d->kinds[i] != LSCA_A_STRING &&
			   d->kinds[i] != LSCA_A_TIMES && d->kinds[i] != LSCA_A_STATFS) {
			ev->args[i] = (uint64_t)a[i];
		}
	}
	/* a watcher sees the bytes an iovec holds, not its entry count */
	for (unsigned i = 0; i + 1 < LSCA_MAX_ARGS; i++)
		if (d->kinds[i] == LSCA_A_IOVIN || d->kinds[i] == LSCA_A_IOVOUT) {
			const struct iovec *iov = (const struct iovec *)a[i];
			uint64_t bytes = 0;

			for (long k = 0;
			     r != -EFAULT && !never_mapped(a[i]) && k < a[i + 1] && k < IOV_MAX;
			     k++)
				bytes += iov[k].iov_len;
			ev->args[i + 1] = bytes;
		}
	lsca_evlog_commit(ring, slot, advance);
}

/* The latency in the summary: every call of a syscall's first LAT_EXACT
 * in a slot is timed, then every LAT_SAMPLE-th, counted LAT_SAMPLE times.
 * Two clock reads would cost a proxied call a tenth of its time. */
#define LAT_EXACT  64
#define LAT_SAMPLE 8

static bool timed(const struct lsca_ring *ring, int slot, unsigned op)
{
	uint64_t n;

	if (slot < 0)
		return true;
	n = lsca_ring_stats(ring, (uint32_t)slot)[op].calls;
	return n < LAT_EXACT || n % LAT_SAMPLE == 0;
}

static void count(const struct lsca_ring *ring, int slot, unsigned op, long r, bool direct,
		  bool observed, uint64_t t0)
{
	uint64_t ns = t0 ? lsca_now_ns() - t0 : 0;

	if (slot >= 0) {
		/* this thread is the row's only writer */
		struct lsca_stat *st = &lsca_ring_stats(ring, (uint32_t)slot)[op];

		/* t0 may be there for an event: only a sampled call counts */
		if (st->calls < LAT_EXACT)
			st->ns += ns;
		else if (st->calls % LAT_SAMPLE == 0)
			st->ns += ns * LAT_SAMPLE;
		st->calls++;
		st->errors += r < 0;
		st->direct += direct;
		st->observed += observed;
	} else {
		struct lsca_stat *st = &lsca_ring_stats(ring, ring->nslots)[op];

		__atomic_fetch_add(&st->calls, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&st->errors, r < 0, __ATOMIC_RELAXED);
		__atomic_fetch_add(&st->direct, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&st->ns, ns, __ATOMIC_RELAXED);
	}
}

/* The ring, or NULL when lscad is missing or refused us. Under
 * on_failure: deny a call must not slip through while another thread
 * attaches, so this one waits for it. */
static const struct lsca_ring *ring_or_wait(void)
{
	const struct lsca_ring *ring = shim_ring();

	if (ring || shim.on_failure != LSCA_ON_FAILURE_DENY)
		return ring;
	while (atomic_load_explicit(&shim.state, memory_order_acquire) == SHIM_ATTACHING)
		sched_yield();
	return shim_ring();
}

long shim_call_raw(long nr, const long *a)
{
	const struct lsca_sysdesc *d = lsca_sysdesc(nr);
	const struct lsca_ring *ring;
	struct outcome o = {0};
	int64_t offsets[LSCA_MAX_ARGS] = {0};
	bool observed = false, frees;
	int slot, saved_errno = errno, lo, hi;
	uint8_t place;
	uint64_t t0;
	long r;

	/* acts on a pending cancellation, as libc's wrapper does */
	if (d && cancel_point(d, a))
		pthread_testcancel();
	frees = fdtag_frees(nr, a, &lo, &hi);
	if (nr == __NR_io_uring_setup)
		fdtag_disable(); /* its rings close fds where we cannot see */
	/* re-entered (a signal handler, our own helpers): run it here */
	if (!d || shim_depth) {
		if (frees && fdtag_any_held(lo, hi))
			shim_pseudo_call(LSCA_NR_FORGET, lo, hi);
		r = d ? run_here(d, a) : raw(nr, a);
		if (frees)
			fdtag_freed(lo, hi);
		goto out;
	}
	shim_depth++;
	sud_enter(); /* our own calls are not the program's */
	ring = ring_or_wait();
	if (!ring) {
		/* refused for good (wrong daemon, LSCA_DISABLE): plain calls */
		if (atomic_load(&shim.state) == SHIM_DISABLED)
			r = run_here(d, a);
		else
			r = unserved(d, a, &o);
		if (frees)
			fdtag_freed(lo, hi); /* no lscad: nobody holds anything */
		shim_depth--;
		sud_leave();
		goto out;
	}
	slot = shim_slot(ring);
	place = atomic_load_explicit(&shim.place->place[nr], memory_order_relaxed);
	/* observed and watched calls are posted with their time */
	t0 = timed(ring, slot, d->op) || (place & LSCA_PLACE_WATCHED) ||
		     (place & LSCA_PLACE_MASK) == LSCA_PLACE_OBSERVE
		 ? lsca_now_ns()
		 : 0;
	/* a free lscad does not approve itself: it lets go first */
	if (frees && slot >= 0 &&
	    ((place & LSCA_PLACE_MASK) != LSCA_PLACE_PROXY ||
	     must_run_here(d, a, place & LSCA_PLACE_GUARDED)) &&
	    fdtag_any_held(lo, hi))
		pseudo_on(ring, (uint32_t)slot, LSCA_NR_FORGET, lo, hi);
	if (slot < 0 || (place & LSCA_PLACE_MASK) == LSCA_PLACE_DIRECT) {
		o.direct = true;
		r = run_here(d, a);
	} else if ((place & LSCA_PLACE_MASK) == LSCA_PLACE_OBSERVE) {
		/* nothing waits for lscad here: notice its going by looking */
		if (!daemon_still_there(ring, t0))
			o.lost = true;
		/* offsets as they were when the call started */
		for (unsigned i = 0; i < LSCA_MAX_ARGS; i++)
			if (d->kinds[i] == LSCA_A_OFFSET)
				offsets[i] =
				    a[i] && !never_mapped(a[i]) ? *(const int64_t *)a[i] : -1;
		r = run_here(d, a);
		observed = o.post = true;
	} else if (d->flags & LSCA_S_CLIENT) {
		o.direct = true; /* lscad cannot run it, nobody watches it */
		r = run_here(d, a);
	} else if (must_run_here(d, a, place & LSCA_PLACE_GUARDED)) {
		o.direct = true;
		r = run_here(d, a);
	} else if (d->flags & LSCA_S_CHUNK) {
		r = call_chunked(ring, (uint32_t)slot, d, a, &o);
	} else {
		r = call_once(ring, (uint32_t)slot, d, a, &o);
	}
	if (o.lost) {
		shim_lost_daemon(); /* the next call attaches to the new lscad */
		o.post = false;
	}
	if (o.post && (observed || (place & LSCA_PLACE_WATCHED))) {
		post(ring, (uint32_t)slot, d, a, r, t0, !o.here && !observed, offsets);
		observed = observed || o.here; /* ran here, but lscad saw it */
	} else if (o.here) {
		o.direct = true; /* handed back, and nobody watches it */
	}
	if (frees)
		fdtag_freed(lo, hi);
	count(ring, slot, d->op, r, o.direct, observed, t0);
	shim_slot_release(ring, slot);
	if (d->flags & LSCA_S_LOCAL)
		shim_fds_touched(nr, a); /* the program may have closed our socket */
	shim_depth--;
	sud_leave();
	if (o.sigpipe) {
		/* lscad ignores SIGPIPE: the signal the kernel would have
		 * sent this thread, before the call returns */
		static const long none[LSCA_MAX_ARGS];
		long k[LSCA_MAX_ARGS] = {raw(__NR_getpid, none), shim_tid(), SIGPIPE};

		raw(__NR_tgkill, k);
	}
out:
	/* futex and poll inside the shim must not show through */
	errno = saved_errno;
	return r;
}

long shim_call(long nr, const long *a)
{
	bool outer = tls_entry;
	long r;

	tls_entry = true;
	r = shim_call_raw(nr, a);
	tls_entry = outer;

	if (r < 0 && r >= -4095) {
		errno = (int)-r;
		return -1;
	}
	return r;
}
