/* SPDX-License-Identifier: MIT */
/*
 * control.h - lscad's control interface: D-Bus peer-to-peer on a socket of
 * its own (separate from the clients' socket): no hand-written wire format,
 * and any D-Bus library can talk to it (object LSCA_CONTROL_PATH, interface
 * LSCA_CONTROL_INTERFACE, no bus name).
 *
 * Only root and lscad's own user may connect (checked from the peer's
 * kernel credentials).
 *
 * Status: a dictionary (keys below), so fields can be added.
 *   version s, pid u, uptime t (s), config s ("" = built-in defaults),
 *   interception s, plugins u, workers u (client threads, detaching ones
 *   included), clients u, calls_per_second d, calls/proxied/observed/
 *   direct/errors t (since the last ResetStats), top a(sttttttt) (the
 *   busiest syscalls, as in Stats).
 * Clients: pid, comm, exe, uid, unit ("" = none), mode ("proxy" or
 *   "direct-only"), reason (why direct-only), interception (what the
 *   shim says it got: "complete", "entry-points" or ""), calls, in-flight.
 * Stats: seconds since the last reset, then per syscall with calls: name,
 *   calls, errors, direct, observed, total ns, p50 ns, p99 ns (p50/p99:
 *   upper bound of a log2 bucket, measured by lscad; 0 = no measurement;
 *   UINT64_MAX = above 4.2 s). proxied = calls - direct - observed.
 *   Counts come from the clients' rings: display only.
 */
#ifndef LSCA_CONTROL_H
#define LSCA_CONTROL_H

#ifndef LSCA_VERSION
#define LSCA_VERSION "0.1.0"
#endif

#define LSCA_CONTROL_PATH      "/org/lsca/Daemon"
#define LSCA_CONTROL_INTERFACE "org.lsca.Daemon1"

/* The interface, shared by lscad (server) and lscactl (client). */
#define LSCA_CONTROL_XML                                                                           \
	"<node>"                                                                                   \
	"  <interface name='" LSCA_CONTROL_INTERFACE "'>"                                          \
	"    <method name='Reload'>"                                                               \
	"      <arg type='b' name='ok' direction='out'/>"                                          \
	"      <arg type='s' name='message' direction='out'/>"                                     \
	"    </method>"                                                                            \
	"    <method name='Plugins'>"                                                              \
	"      <arg type='a(sssuub)' name='plugins' direction='out'/>"                             \
	"    </method>"                                                                            \
	"    <method name='Status'>"                                                               \
	"      <arg type='a{sv}' name='status' direction='out'/>"                                  \
	"    </method>"                                                                            \
	"    <method name='Clients'>"                                                              \
	"      <arg type='a(ussusssstu)' name='clients' direction='out'/>"                         \
	"    </method>"                                                                            \
	"    <method name='Stats'>"                                                                \
	"      <arg type='t' name='seconds' direction='out'/>"                                     \
	"      <arg type='a(sttttttt)' name='syscalls' direction='out'/>"                          \
	"    </method>"                                                                            \
	"    <method name='ResetStats'/>"                                                          \
	"  </interface>"                                                                           \
	"</node>"

#endif /* LSCA_CONTROL_H */
