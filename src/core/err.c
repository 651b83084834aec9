/* SPDX-License-Identifier: Apache-2.0 */
/* err — see err.h. */
#include "core/err.h"

#include <stdio.h>
#include <string.h>

int mx_err_setv(struct mx_err *e, int code, const char *fmt, va_list ap)
{
	if (e == NULL)
		return code;
	e->code = code;
	e->line = e->col = 0;
	e->file[0] = '\0';
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	return code;
}

int mx_err_set(struct mx_err *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mx_err_setv(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int mx_err_at(struct mx_err *e, int code, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mx_err_setv(e, code, fmt, ap);
	va_end(ap);
	if (e != NULL) {
		snprintf(e->file, sizeof e->file, "%s", file ? file : "");
		e->line = line;
		e->col = col;
	}
	return code;
}

void mx_err_prefix(struct mx_err *e, const char *fmt, ...)
{
	if (e == NULL)
		return;
	char joined[2 * MX_ERR_MSG_MAX + 2];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(joined, MX_ERR_MSG_MAX, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t off = strlen(joined);
	joined[off++] = ':';
	joined[off++] = ' ';
	size_t mlen = strnlen(e->msg, sizeof e->msg);
	memcpy(joined + off, e->msg, mlen);
	off += mlen;
	if (off >= sizeof e->msg)
		off = sizeof e->msg - 1;
	memcpy(e->msg, joined, off);
	e->msg[off] = '\0';
}

void mx_err_clear(struct mx_err *e)
{
	if (e == NULL)
		return;
	e->code = 0;
	e->line = e->col = 0;
	e->file[0] = e->msg[0] = '\0';
}

const char *mx_err_format(const struct mx_err *e, char *out, size_t outsz)
{
	if (e->file[0] && e->line > 0)
		snprintf(out, outsz, "%s:%d:%d: %s", e->file, e->line, e->col, e->msg);
	else if (e->file[0])
		snprintf(out, outsz, "%s: %s", e->file, e->msg);
	else
		snprintf(out, outsz, "%s", e->msg);
	return out;
}

const char *mx_strerror(int code)
{
	switch (code) {
	case MX_OK: return "ok";
	case MX_ENOMEM: return "out of memory";
	case MX_EINVAL: return "invalid input";
	case MX_EIO: return "I/O error";
	case MX_ENOTFOUND: return "not found";
	case MX_EDB: return "database error";
	case MX_ELIMIT: return "limit exceeded";
	case MX_EPOLICY: return "denied by policy";
	case MX_EINTERNAL: return "internal error";
	case MX_EUSAGE: return "usage error";
	case MX_ECANCELLED: return "cancelled";
	case MX_EINPUT: return "input required";
	default: return "unknown error";
	}
}
