/* SPDX-License-Identifier: MIT */
/*
 * lscad.h - the daemon's shared context: settings, the dispatch table,
 * the attached clients and the aggregated statistics.
 */
#ifndef LSCA_LSCAD_H
#define LSCA_LSCAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/statsfile.h"
#include "../common/sysdesc.h"
#include "config.h"
#include "creds.h"
#include "dispatch.h"
#include "loader.h"
#include "status.h"

struct client;
struct lscad;

struct lscad_settings {
	const char *socket_path;
	const char *stats_out;
	uint32_t spin_ns;   /* client and worker spin window */
	uint32_t nslots;    /* threads per client served through the ring */
	uint32_t data_size; /* bytes of argument data per slot */
	uint32_t max_clients;
	uint32_t on_failure; /* enum lsca_on_failure, told to each new client */
};

/* The plugin set in service, with a reference for the caller. */
struct plugin_set *lscad_plugins(struct lscad *d);

struct lscad {
	struct lscad_settings set;
	/* the plugins in service and their configuration (plugins->cfg);
	 * workers take a reference under the lock when plugins_gen moves */
	pthread_mutex_t plugins_lock;
	struct plugin_set *plugins;
	_Atomic unsigned plugins_gen;
	/* the placement table every client maps read-only */
	int place_fd;
	struct lsca_place_table *place;
	struct creds self; /* the daemon's own identity */
	dev_t proc_dev;	   /* procfs: paths that resolve there are the client's own */
	ino_t root_ino;
	dev_t root_dev;
	ino_t mntns_ino;
	ino_t userns_ino;
	struct client *clients;
	unsigned nclients;
	_Atomic unsigned live; /* clients not freed yet, detached ones included */
	pthread_mutex_t stats_lock;
	struct lsca_summary stats; /* folded in as clients detach */
	struct lsca_lat lat;	   /* lscad-measured latency, folded likewise */
};

#endif /* LSCA_LSCAD_H */
