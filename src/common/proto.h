/* SPDX-License-Identifier: MIT */
/*
 * proto.h - the wire protocol between liblsca-shim.so and lscad.
 *
 * This header is the contract. Both sides include it and nothing else defines
 * what crosses the socket or lives in the shared ring.
 *
 * Attach: the shim connects a SOCK_SEQPACKET socket and sends lsca_hello. The
 * daemon identifies the peer from the kernel (SO_PEERCRED, a pidfd), answers
 * lsca_welcome and, on success, passes two fds with SCM_RIGHTS: the client's
 * private memfd ring, and the placement table (one for all clients, sealed
 * against writable mappings: the client maps it read-only). Protocol
 * versions must match exactly; otherwise both refuse.
 *
 * Ring (one memfd per client, size sealed):
 *
 *   [ lsca_ring_hdr | lsca_slot[nslots] | meta | data[nslots][data_size] |
 *     stats | lsca_evlog[nslots] | events[nslots][LSCA_EVLOG_SIZE] ]
 *
 * A client thread owns one slot. It writes the request and its input data,
 * then publishes SUBMITTED with a release store and rings the doorbell. The
 * ring's one worker sees it (acquire load; nothing is claimed: nobody else
 * serves this ring), copies request and input out once, validates the
 * private copy, executes, writes response and output data into the slot and
 * publishes DONE with a release exchange.
 *
 * No side enters the kernel unless the other one is asleep, and no side can
 * miss a wake-up:
 *   - slot state: the client ORs LSCA_SLOT_WAITER before futex-waiting; the
 *     daemon's exchange to DONE returns the old value and wakes only if set
 *     (read-modify-write on the word it guards).
 *   - worker: it raises worker_sleeping, then rescans the slots; a client
 *     publishes its slot, then reads worker_sleeping, and only if it is set
 *     bumps the doorbell (the futex word) and wakes it. A seq_cst fence on
 *     each side orders store-then-load (Dekker), so while the worker is awake
 *     a submission writes no line the worker polls but the slot itself.
 *
 * Observed calls (placement "observe") run in the client, which appends a
 * record (lsca_event) to its thread's event log: a single-producer,
 * single-consumer byte ring per slot. The client wakes a sleeping worker only
 * when its log passes half full; otherwise the worker drains the logs when
 * it wakes anyway, or after at most LSCA_EVLOG_DRAIN_MS. Records survive the
 * client: a process that exits leaves its last events for the worker.
 */
#ifndef LSCA_PROTO_H
#define LSCA_PROTO_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define LSCA_PROTO_MAGIC   0x4c534341u /* "LSCA" */
#define LSCA_PROTO_VERSION 7u

#define LSCA_DEFAULT_SOCKET "/run/lsca/lscad.sock"
#define LSCA_KILL_SWITCH    "/etc/lsca/disable" /* exists: every shim stays out */
#define LSCA_MAX_ARGS	    6

/* ---- handshake (socket messages) ---- */

#define LSCA_WELCOME_FDS 2 /* the ring, the placement table */

struct lsca_hello {
	uint32_t magic;
	uint32_t version;
	uint32_t flags; /* LSCA_HELLO_* */
	uint32_t reserved;
};

/* Only ask which interception lscad wants (the welcome says it): no ring,
 * no client. A shim asks at process start, where complete mode could be had,
 * before any call of the program would have attached it. */
#define LSCA_HELLO_PROBE 1u

enum lsca_welcome_status {
	LSCA_WELCOME_OK = 0,
	LSCA_WELCOME_VERSION = 1,  /* protocol versions differ */
	LSCA_WELCOME_DENIED = 2,   /* lscad cannot serve this client (its identity) */
	LSCA_WELCOME_ERROR = 3,	   /* daemon-side failure (resources) */
	LSCA_WELCOME_EXCLUDED = 4, /* the configuration's admission rules leave it
				    * alone: no proxying, no message, no retry */
};

struct lsca_welcome {
	uint32_t magic;
	uint32_t version;
	uint32_t status;       /* enum lsca_welcome_status */
	uint32_t interception; /* enum lsca_interception: what lscad asks for */
	char reason[112];      /* NUL-terminated, for the shim's one-line message */
};

/* Sent by the daemon, with one SCM_RIGHTS fd, before it completes a slot
 * whose response carries LSCA_RESP_FD. */
struct lsca_fdmsg {
	uint32_t magic;
	uint32_t slot;
	uint32_t seq;
	uint32_t reserved;
};

/* What the shim does when lscad is gone (config daemon.on_failure). */
enum lsca_on_failure {
	LSCA_ON_FAILURE_PASSTHROUGH = 0, /* run the calls directly */
	LSCA_ON_FAILURE_DENY = 1,	 /* fail them with EIO */
};

/* How the shim catches calls (config daemon.interception). */
enum lsca_interception {
	LSCA_INTERCEPT_UNSAID = 0,   /* client: not reported (an older or a failed shim) */
	LSCA_INTERCEPT_ENTRY = 1,    /* libc's exported entry points */
	LSCA_INTERCEPT_COMPLETE = 2, /* also every other syscall (Syscall User Dispatch) */
};

/* Where a syscall runs (the placement table, read-only in every client). */
enum lsca_placement {
	LSCA_PLACE_DERIVED = 0, /* config only: follow the plugins */
	LSCA_PLACE_PROXY = 1,	/* lscad executes it */
	LSCA_PLACE_OBSERVE = 2, /* the client executes it and posts it */
	LSCA_PLACE_DIRECT = 3,	/* the client executes it; lscad never sees it */
};

/* An entry of the placement table: the placement in the low bits, and
 * what the client must know of the handlers:
 *   WATCHED  post-handlers watch it: a proxied call lscad hands back, or
 *            one that makes an fd, is posted by the client with its result;
 *   GUARDED  a pre-handler may refuse it: even a path naming the client
 *            itself (/proc/self) goes to lscad first, which hands it back. */
#define LSCA_PLACE_NR	   512
#define LSCA_PLACE_MASK	   0x3fu
#define LSCA_PLACE_GUARDED 0x40u
#define LSCA_PLACE_WATCHED 0x80u

/* The placement table: one page, written by lscad only (clients cannot map
 * it writable: F_SEAL_FUTURE_WRITE). lscad rewrites it in place on reload;
 * a client reads one entry per call. */
struct lsca_place_table {
	uint32_t magic;
	uint32_t version;
	_Atomic uint32_t gen; /* bumped on every change */
	uint32_t reserved;
	_Atomic uint8_t place[LSCA_PLACE_NR]; /* enum lsca_placement, never DERIVED */
};

/* ---- ring ---- */

enum lsca_slot_state {
	LSCA_SLOT_FREE = 0,
	LSCA_SLOT_SUBMITTED = 1, /* until the worker answers: no BUSY state */
	LSCA_SLOT_DONE = 3,
};
#define LSCA_SLOT_WAITER  0x100u /* client sleeps on this slot's state */
#define LSCA_SLOT_BASE(s) ((s)&0xffu)

enum lsca_resp_flags {
	LSCA_RESP_DIRECT = 1u << 0,  /* daemon declines: the shim must run it itself */
	LSCA_RESP_FD = 1u << 1,	     /* result fd follows on the socket (lsca_fdmsg) */
	LSCA_RESP_REGULAR = 1u << 2, /* fd is a regular file: a full chunk may continue */
	LSCA_RESP_LOCAL = 1u << 3,   /* approved: the shim performs it in-process */
	LSCA_RESP_MORE = 1u << 4,    /* a short write to a blocking pipe or socket: the
				      * shim writes the rest itself (it may wait) */
	LSCA_RESP_SIGPIPE = 1u << 5, /* the kernel would have sent SIGPIPE: the shim
				      * raises it in the calling thread */
	LSCA_RESP_HELD = 1u << 6,    /* lscad kept the files of the fd arguments: it
				      * must be told before the process frees them */
};

/* Fd arguments (kinds FD and DIRFD) carry the fd number in the low 32 bits
 * of the request's word and its tag in the high 32 bits: LSCA_FD_TAGGED
 * and the number's generation, which the shim bumps after every call that
 * frees the number; 0 when the shim cannot see every such call. lscad
 * reuses a file it kept for that number only under the same tag (see
 * src/shim/fdtag.h). A tag is a hint: lscad never gives a client a file
 * other than one that client held itself. */
#define LSCA_FD_TAGGED 0x80000000u

/* Not a syscall: "let go of the files you kept for fd numbers args[0] to
 * args[1]", before the process frees them by a call lscad does not
 * approve itself. No plugin sees it; the answer is 0. */
#define LSCA_NR_FORGET 0xfff0u

/* Not a syscall: "I have just sandboxed myself" (lsca_ring_hdr.sandboxed
 * is set), made before the sandboxing call returns to the program, so no
 * code of the program runs between the two. The answer is 0. */
#define LSCA_NR_SANDBOXED 0xfff1u

struct lsca_resp {
	int64_t ret; /* >= 0 result, < 0 -errno */
	uint32_t flags;
	uint32_t reserved0;
	uint32_t seq;
	uint32_t reserved;
};

/* One slot is one cache line, so a call moves as few lines between the two
 * CPUs as possible. The daemon writes the response over the arguments,
 * which it has copied out by then. For pointer kinds (see sysdesc.h) an
 * argument is an offset into the slot's data area, never a client address. */
struct lsca_slot {
	_Atomic uint32_t state;
	uint32_t data_len; /* input bytes in the data area */
	union {
		uint64_t args[LSCA_MAX_ARGS]; /* client: the request */
		struct lsca_resp resp;	      /* daemon: the answer */
	};
	uint16_t nr;  /* syscall number (every proxied one is < 512) */
	int16_t cpu;  /* the client's CPU at submit: a scheduling hint only */
	uint32_t seq; /* pairs an fd sent on the socket with its call */
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct lsca_slot) == 64, "a slot is one cache line");

/* A request as the daemon holds it after the one read of its slot. */
struct lsca_req {
	uint32_t nr;
	uint32_t seq;
	uint32_t data_len;
	int32_t cpu;
	uint64_t args[LSCA_MAX_ARGS];
};

/* Per slot, written by the thread that owns it: who that thread is (the
 * kernel's tid), so lscad can take that thread's credentials, which Linux
 * keeps per thread. Untrusted: lscad only looks it up under the client's
 * own /proc/PID/task. */
struct lsca_slot_meta {
	_Atomic int32_t tid;   /* the owner for one call; 0: free */
	_Atomic uint32_t used; /* 1 once any thread took it: its stats rows count */
};

/* Per-slot, per-syscall counters written by the owning client thread only;
 * the daemon reads them when the client detaches. Untrusted: display only. */
struct lsca_stat {
	uint64_t calls;
	uint64_t errors;
	uint64_t direct;
	uint64_t observed;
	uint64_t ns; /* total latency */
};

/* ---- observed calls ---- */

#define LSCA_EVLOG_SIZE	    (64u * 1024u) /* bytes of records per slot */
#define LSCA_EVLOG_DRAIN_MS 100		  /* a sleeping worker drains at least this often */

/* One thread's event log: head is the client's (bytes written), tail the
 * worker's (bytes consumed); both only grow. */
struct lsca_evlog {
	_Alignas(64) _Atomic uint64_t head;
	_Alignas(64) _Atomic uint64_t tail;
};

enum lsca_event_flags {
	LSCA_EV_PAD = 1u << 0,	   /* filler up to the end of the log: skip */
	LSCA_EV_PROXIED = 1u << 1, /* lscad executed it; this is its result here (a new fd) */
};

/* A record, 8-byte aligned, never split by the end of the log. For a path
 * argument, args[i] is the offset of its NUL-terminated string from the
 * start of the record; other pointer arguments are 0. Untrusted: the worker
 * copies a record once and checks every offset. */
struct lsca_event {
	uint32_t len; /* whole record, a multiple of 8 */
	uint16_t nr;
	uint16_t flags; /* lsca_event_flags */
	int32_t tid;
	uint32_t reserved;
	int64_t ret;	     /* >= 0 result, < 0 -errno */
	uint64_t time_ns;    /* CLOCK_REALTIME at the start */
	uint64_t latency_ns; /* as the client measured it */
	uint64_t args[LSCA_MAX_ARGS];
};

#define LSCA_EVENT_MAX (sizeof(struct lsca_event) + 2 * 4096) /* two paths at most */

enum lsca_daemon_state {
	LSCA_DAEMON_RUNNING = 1,
	LSCA_DAEMON_GONE = 2, /* client must stop submitting: passthrough */
};

struct lsca_ring_hdr {
	/* written by the daemon before the ring is passed. The client can
	 * write here too: the daemon never reads these back (struct lsca_ring
	 * keeps its own copy), the shim checks them once at attach. */
	uint32_t magic;
	uint32_t version;
	uint32_t nslots;
	uint32_t data_size;
	uint64_t size;
	uint64_t off_slots;
	uint64_t off_meta;
	uint64_t off_data;
	uint64_t off_stats;
	uint32_t nstats;  /* stats rows per slot (LSCA_NOPS of the daemon) */
	uint32_t spin_ns; /* how long a client spins before sleeping */
	uint32_t flags;
	uint32_t on_failure; /* enum lsca_on_failure: when lscad goes away */
	uint64_t off_evlog;
	uint64_t off_events;
	uint32_t interception; /* enum lsca_interception: what lscad asks for */
	uint32_t reserved2;
	/* shared, each on its own cache line */
	_Alignas(64) _Atomic uint32_t daemon_state;
	_Atomic int32_t worker_cpu;		       /* daemon: CPU its worker last ran on */
	_Alignas(64) _Atomic uint32_t worker_sleeping; /* read-mostly */
	_Alignas(64) _Atomic uint32_t doorbell;	       /* futex word: bumped to wake */
	_Alignas(64) _Atomic uint32_t cred_epoch;      /* client: bumped after set*id/capset */
	_Atomic uint32_t umask;			       /* client: current umask */
	/* client: the lsca_interception it got (display only, untrusted) */
	_Atomic uint32_t client_interception;
	/* client: non-zero once it sandboxed itself (a seccomp filter, a
	 * Landlock ruleset), which lscad may not see for itself. Trusted
	 * only to narrow: lscad then leaves every call to the client. */
	_Atomic uint32_t sandboxed;
};

#endif /* LSCA_PROTO_H */
