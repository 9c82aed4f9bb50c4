/* SPDX-License-Identifier: MIT */
/*
 * client.h - one attached process: its identity, its private ring, and the
 * worker thread that serves it.
 *
 * Each client has its own worker, so a slow or flooding client cannot delay
 * another one's calls; the worker spins for the configured window after
 * each call and then sleeps on the ring's doorbell.
 */
#ifndef LSCA_CLIENT_H
#define LSCA_CLIENT_H

#include <limits.h>
#include <lsca/plugin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "../common/proto.h"
#include "../common/ring.h"
#include "creds.h"
#include "status.h"

struct lscad;

struct client {
	struct lscad *d;
	struct client *next;
	int sock;  /* the client's connection: fds for it travel here */
	int pidfd; /* the process, as the kernel knows it */
	pid_t pid;
	char comm[17];
	char exe[PATH_MAX];
	char *unit; /* systemd unit, or NULL */
	struct creds creds;
	struct creds attach_creds; /* what it could do when it attached: never more */
	uint64_t attached_ns;	   /* CLOCK_MONOTONIC */
	_Atomic bool execd;	   /* it executed a new program since (procwatch) */
	struct lsca_client_info info;
	bool direct_only; /* served, but every call runs in the client */
	const char *why_direct;
	int cwd_fd; /* O_PATH: the client's cwd, as the worker last followed it */
	dev_t cwd_dev;
	ino_t cwd_ino;
	int root_fd; /* O_PATH: the client's root, -1 when it is ours */
	dev_t root_dev;
	ino_t root_ino;
	int memfd;
	struct lsca_ring ring; /* ring.hdr is shared; the layout is ours */
	pthread_t thread;
	_Atomic int refs; /* the main loop's and the worker's */
	_Atomic bool stop;
	unsigned watch_sock, watch_pid; /* GLib sources */
	struct lsca_lat lat;		/* its worker's measurements (status.h) */
};

/* Handshake on a freshly accepted connection (the hello is readable):
 * identify, admit, create and pass the ring, start the worker. On success
 * *out is the new client (the caller links and watches it). On refusal the
 * client has been told why; returns -errno. */
int client_attach(struct lscad *d, int conn, struct client **out);

/* Tell a still-living client the daemon is gone and stop its worker,
 * without waiting for it: a worker stuck in a slow call (NFS, a lease
 * break) must not stall the main loop. The last of the main loop and the
 * worker to let go folds the statistics and frees the client. */
void client_detach(struct client *c);

/* Drop one reference (the worker's, when it ends). */
void client_put(struct client *c);

/* Re-read the credentials of the client's thread tid (0: the process)
 * from the kernel and apply them to the calling (worker) thread; with
 * threads_differ, also say whether the client's threads now act with
 * different ids, groups or capabilities (a file server acting for several
 * users at once: each must then be served as itself; this reads every
 * thread's status). On failure (-errno) why_direct says why the client
 * must go direct-only. */
int client_reidentify(struct client *c, pid_t tid, bool *threads_differ);

/* Send fd to the client for the call in slot/seq (before completing it). */
int client_send_fd(struct client *c, uint32_t slot, uint32_t seq, int fd);

#endif /* LSCA_CLIENT_H */
