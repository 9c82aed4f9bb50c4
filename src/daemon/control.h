/* SPDX-License-Identifier: MIT */
/*
 * control.h - lscad's side of the control socket (see common/control.h).
 */
#ifndef LSCA_DAEMON_CONTROL_H
#define LSCA_DAEMON_CONTROL_H

#include <stdbool.h>

struct lscad;

/* Whether a listener answers on the unix socket at path (another lscad). */
bool socket_alive(const char *path);

/* Listen on path; calls are served from the GLib main loop. Returns 0 or
 * -errno (logged; lscad then runs on without it: SIGHUP still reloads). */
int control_start(struct lscad *d, const char *path);
void control_stop(void);

/* Implemented by main.c: re-read the configuration and the plugins. */
int lscad_reload(struct lscad *d, char **why);

#endif /* LSCA_DAEMON_CONTROL_H */
