/* SPDX-License-Identifier: MIT */
/*
 * fdpass.h - one message with at most LSCA_PASS_FDS fds (SCM_RIGHTS) over the shim's
 * socket, both ways. Raw syscalls: the shim uses these too, and must never
 * call back into its own interposed symbols.
 */
#ifndef LSCA_FDPASS_H
#define LSCA_FDPASS_H

#include <stdbool.h>
#include <stddef.h>

#define LSCA_PASS_FDS 2

/* Send buf (len bytes) with n fds attached. Returns 0 or -errno. */
int lsca_send_fds(int sock, const void *buf, size_t len, const int *fds, unsigned n, int flags);

/* Receive one message and up to n fds into fds[] (-1 where none came;
 * fds beyond n are closed). Returns the message length or -errno. */
long lsca_recv_fds(int sock, void *buf, size_t len, int *fds, unsigned n, bool *dropped, int flags);

/* Send buf (len bytes) with fd attached, or none when fd < 0. Returns 0 or
 * -errno. flags: send flags (MSG_DONTWAIT, MSG_NOSIGNAL...). */
int lsca_send_fd(int sock, const void *buf, size_t len, int fd, int flags);

/* Receive one message into buf (at most len bytes) and its fd, if any, into
 * *fd (-1 if none). *dropped tells the kernel had to drop an fd (we are at
 * our fd limit). Returns the message length or -errno. */
long lsca_recv_fd(int sock, void *buf, size_t len, int *fd, bool *dropped, int flags);

#endif /* LSCA_FDPASS_H */
