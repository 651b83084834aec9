/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err — errors are values.
 *
 * Functions return int: 0 on success, a negative MX_E* code on failure.
 * Anything a user reads (config, validation, a call's arguments) also fills
 * an optional struct mx_err with a message and, where it has one, a location:
 * file:line:col for YAML, or the parameter path for a call. A NULL
 * struct mx_err * is always allowed.
 */
#ifndef MX_CORE_ERR_H
#define MX_CORE_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum {
	MX_OK = 0,
	MX_ENOMEM = -1,
	MX_EINVAL = -2, /* bad input: config, arguments, SQL text */
	MX_EIO = -3, /* file system */
	MX_ENOTFOUND = -4,
	MX_EDB = -5, /* DuckDB reported an error */
	MX_ELIMIT = -6, /* a bound was exceeded */
	MX_EPOLICY = -7, /* denied by policy */
	MX_EINTERNAL = -8,
	MX_EUSAGE = -9, /* command-line usage error (exit 2) */
	MX_ECANCELLED = -10,
	MX_EINPUT = -11, /* the call needs the client's input first (MCP input-required results) */
};

#define MX_ERR_MSG_MAX 2048
#define MX_ERR_FILE_MAX 1024

struct mx_err {
	int code;
	int line; /* 1-based; 0 when the error has no location */
	int col; /* 1-based */
	char file[MX_ERR_FILE_MAX];
	char msg[MX_ERR_MSG_MAX];
};

/* Fill e (if not NULL) and return code. */
int mx_err_set(struct mx_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int mx_err_setv(struct mx_err *e, int code, const char *fmt, va_list ap);
int mx_err_at(struct mx_err *e, int code, const char *file, int line, int col, const char *fmt, ...)
        __attribute__((format(printf, 6, 7)));
/* Put "prefix: " in front of the message already in e. */
void mx_err_prefix(struct mx_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mx_err_clear(struct mx_err *e);

/* "file:line:col: msg", "file: msg" or "msg" into out (always terminated). */
const char *mx_err_format(const struct mx_err *e, char *out, size_t outsz);

const char *mx_strerror(int code);

#endif
