/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log — leveled logging to stderr only.
 *
 * stdout belongs to command output and, in stdio mode, to the protocol; no
 * log line ever goes there. The level comes from --debug / MXCP_DEBUG (debug)
 * or MXCP_LOG_LEVEL (debug|info|warning|error), default warning. Each line is
 * written with one write() so lines from several threads never interleave.
 */
#ifndef MX_CORE_LOG_H
#define MX_CORE_LOG_H

enum mx_log_level { MX_LOG_DEBUG, MX_LOG_INFO, MX_LOG_WARNING, MX_LOG_ERROR, MX_LOG_OFF };

void mx_log_set_level(enum mx_log_level lvl);
enum mx_log_level mx_log_get_level(void);
/* Parse "debug", "INFO", "warning", "warn", "error", "critical", "off". -1 if unknown. */
int mx_log_parse_level(const char *s);
void mx_log(enum mx_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define mx_debug(...) mx_log(MX_LOG_DEBUG, __VA_ARGS__)
#define mx_info(...) mx_log(MX_LOG_INFO, __VA_ARGS__)
#define mx_warn(...) mx_log(MX_LOG_WARNING, __VA_ARGS__)
#define mx_error(...) mx_log(MX_LOG_ERROR, __VA_ARGS__)

#endif
