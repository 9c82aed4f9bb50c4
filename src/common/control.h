/* SPDX-License-Identifier: MIT */
/*
 * control.h - lscad's control interface: D-Bus peer-to-peer on a socket of
 * its own (separate from the clients' socket): no hand-written wire format,
 * and any D-Bus library can talk to it (object LSCA_CONTROL_PATH, interface
 * LSCA_CONTROL_INTERFACE, no bus name).
 *
 * Only root and lscad's own user may connect (checked from the peer's
 * kernel credentials).
 */
#ifndef LSCA_CONTROL_H
#define LSCA_CONTROL_H

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
	"  </interface>"                                                                           \
	"</node>"

#endif /* LSCA_CONTROL_H */
