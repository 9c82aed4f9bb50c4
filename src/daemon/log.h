/* SPDX-License-Identifier: MIT */
/*
 * log.h - lscad's log lines: "lscad: <level>: message" on stderr, which
 * systemd puts in the journal with the level prefix understood.
 */
#ifndef LSCA_LOG_H
#define LSCA_LOG_H

#include <stdbool.h>
#include <syslog.h>

extern int log_max_level;
extern bool log_to_journal; /* else stderr (which systemd also journals) */

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* LSCA_LOG_H */
