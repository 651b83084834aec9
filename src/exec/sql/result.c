/* SPDX-License-Identifier: Apache-2.0 */
/*
 * result — a DuckDB result as JSON: an array of row objects, column order
 * kept, read chunk by chunk through the vector API; each value converted by
 * its column's converter (column.c) and formatted here (integers of every
 * width, DECIMAL as the double nearest its exact text, FLOAT by its
 * shortest decimal, dates, times and timestamps as ISO 8601, INTERVAL as an
 * ISO 8601 duration, UUID, BIT, BIGNUM, BLOB as base64, JSON parsed). The
 * connection's limits bound the rows and the approximate bytes: the bytes
 * estimate what the JSON values take in memory (payload plus
 * MX_SQL_VALUE_BYTES per value, MX_SQL_ROW_BYTES and MX_SQL_FIELD_BYTES per
 * row object), which is what a large result costs the server — the tree,
 * then its serialised answer — before anything is sent.
 *
 * Runs on the thread that owns the connection, after the statement ran.
 * The formatting and the per-value conversion share this file so that the
 * compiler keeps inlining the one into the other.
 */
#include "exec/sql/sql_int.h"

#include "core/alloc.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/time.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 mx_i128;
__extension__ typedef unsigned __int128 mx_u128;

/* ------------------------------------------------------------------------ */
/* Result formatting                                                         */
/* ------------------------------------------------------------------------ */

static json_t *u128_json(mx_u128 v, int neg)
{
	if (!neg && v <= (mx_u128)INT64_MAX)
		return json_integer((json_int_t)v);
	if (neg && v <= (mx_u128)INT64_MAX + 1)
		return json_integer(v == (mx_u128)INT64_MAX + 1 ? INT64_MIN : -(json_int_t)v);
	char buf[48];
	size_t i = sizeof buf;
	buf[--i] = '\0';
	do {
		buf[--i] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	if (neg)
		buf[--i] = '-';
	return json_string(buf + i);
}

static mx_i128 hugeint_value(duckdb_hugeint h)
{
	return (mx_i128)(((mx_u128)(uint64_t)h.upper << 64) | h.lower);
}

static json_t *i128_json(mx_i128 v)
{
	return v < 0 ? u128_json((mx_u128)0 - (mx_u128)v, 1) : u128_json((mx_u128)v, 0);
}

double mx_sql_decimal_double(__int128 v, unsigned scale)
{
	char digits[64];
	mx_u128 mag = v < 0 ? (mx_u128)0 - (mx_u128)v : (mx_u128)v;
	size_t nd = 0;
	do {
		digits[nd++] = (char)('0' + (int)(mag % 10));
		mag /= 10;
	} while (mag);
	while (nd <= scale)
		digits[nd++] = '0';
	char text[80];
	size_t o = 0;
	if (v < 0)
		text[o++] = '-';
	for (size_t i = nd; i-- > 0;) {
		text[o++] = digits[i];
		if (i == scale && scale > 0)
			text[o++] = '.';
	}
	text[o] = '\0';
	return strtod(text, NULL);
}

static json_t *decimal_json(mx_i128 v, unsigned scale)
{
	return json_real(mx_sql_decimal_double(v, scale));
}

static json_t *double_json(double d)
{
	return isfinite(d) ? json_real(d) : json_null();
}

/* The float's shortest round-tripping decimal, read back as a double, so
 * 0.1f comes out as 0.1 and not 0.10000000149011612. */
static json_t *float_json(float f)
{
	if (!isfinite(f))
		return json_null();
	char buf[32];
	for (int prec = 6; prec <= 9; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
		if (strtof(buf, NULL) == f)
			break;
	}
	return json_real(strtod(buf, NULL));
}

static size_t fmt_date(char *buf, size_t sz, int64_t days)
{
	int64_t y;
	int m, d;
	mx_civil_from_days(days, &y, &m, &d);
	int n = y < 0 ? snprintf(buf, sz, "-%04" PRId64 "-%02d-%02d", -y, m, d)
	              : snprintf(buf, sz, "%04" PRId64 "-%02d-%02d", y, m, d);
	return n < 0 ? 0 : (size_t)n;
}

/* HH:MM:SS plus a fraction: `frac` units of 10^-digits seconds. */
static size_t fmt_clock(char *buf, size_t sz, int64_t secs, int64_t frac, int digits)
{
	int n = snprintf(buf, sz, "%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60),
	                 (int)(secs % 60));
	if (n > 0 && frac != 0)
		n += snprintf(buf + n, sz - (size_t)n, ".%0*" PRId64, digits, frac);
	return n < 0 ? 0 : (size_t)n;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* A timestamp in units of 10^-digits seconds (digits 0, 3, 6 or 9). */
static json_t *timestamp_json(int64_t v, int digits, int utc)
{
	if (v == INT64_MAX)
		return json_string("infinity");
	if (v == -INT64_MAX)
		return json_string("-infinity");
	int64_t per_sec = 1;
	for (int i = 0; i < digits; i++)
		per_sec *= 10;
	int64_t secs = floor_div(v, per_sec);
	int64_t frac = v - secs * per_sec;
	int64_t days = floor_div(secs, 86400);
	int64_t sod = secs - days * 86400;
	/* Microseconds as in every other timestamp; nanoseconds only when
	 * the value has them. */
	for (; digits < 6; digits++)
		frac *= 10;
	if (digits == 9 && frac % 1000 == 0) {
		frac /= 1000;
		digits = 6;
	}
	char buf[64];
	size_t n = fmt_date(buf, sizeof buf, days);
	buf[n++] = 'T';
	n += fmt_clock(buf + n, sizeof buf - n, sod, frac, digits);
	if (utc && n + 1 < sizeof buf) {
		buf[n++] = 'Z';
		buf[n] = '\0';
	}
	return json_string(buf);
}

static json_t *time_json(int64_t v, int digits)
{
	int64_t per_sec = digits == 9 ? 1000000000 : 1000000;
	int64_t secs = floor_div(v, per_sec);
	int64_t frac = v - secs * per_sec;
	if (digits == 9 && frac % 1000 == 0) {
		frac /= 1000;
		digits = 6;
	}
	char buf[48];
	fmt_clock(buf, sizeof buf, secs, frac, digits);
	return json_string(buf);
}

static json_t *time_tz_json(duckdb_time_tz v)
{
	duckdb_time_tz_struct s = duckdb_from_time_tz(v);
	char buf[64];
	int64_t secs = (int64_t)s.time.hour * 3600 + s.time.min * 60 + s.time.sec;
	size_t n = fmt_clock(buf, sizeof buf, secs, s.time.micros, 6);
	int32_t off = s.offset;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	int m = snprintf(buf + n, sizeof buf - n, "%c%02d:%02d", sign, (int)(off / 3600),
	                 (int)(off / 60 % 60));
	if (m > 0 && off % 60)
		snprintf(buf + n + (size_t)m, sizeof buf - n - (size_t)m, ":%02d", (int)(off % 60));
	return json_string(buf);
}

/* ISO 8601 duration with a sign per component (PostgreSQL's iso_8601 style). */
static json_t *interval_json(duckdb_interval iv)
{
	struct mx_buf b;
	mx_buf_init(&b, 128);
	mx_buf_putc(&b, 'P');
	int32_t years = iv.months / 12, months = iv.months % 12;
	if (years)
		mx_buf_printf(&b, "%" PRId32 "Y", years);
	if (months)
		mx_buf_printf(&b, "%" PRId32 "M", months);
	if (iv.days)
		mx_buf_printf(&b, "%" PRId32 "D", iv.days);
	int64_t us = iv.micros;
	if (us != 0) {
		int neg = us < 0;
		uint64_t mag = neg ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
		uint64_t hours = mag / UINT64_C(3600000000);
		uint64_t mins = mag / UINT64_C(60000000) % 60;
		uint64_t secs = mag / 1000000 % 60;
		uint64_t frac = mag % 1000000;
		const char *sg = neg ? "-" : "";
		mx_buf_putc(&b, 'T');
		if (hours)
			mx_buf_printf(&b, "%s%" PRIu64 "H", sg, hours);
		if (mins)
			mx_buf_printf(&b, "%s%" PRIu64 "M", sg, mins);
		if (secs || frac) {
			mx_buf_printf(&b, "%s%" PRIu64, sg, secs);
			if (frac) {
				char fb[8];
				snprintf(fb, sizeof fb, "%06" PRIu64, frac);
				size_t fl = 6;
				while (fl > 0 && fb[fl - 1] == '0')
					fl--;
				fb[fl] = '\0';
				mx_buf_printf(&b, ".%s", fb);
			}
			mx_buf_putc(&b, 'S');
		}
	}
	if (b.len == 1)
		mx_buf_puts(&b, "T0S");
	json_t *j = json_string(mx_buf_str(&b));
	mx_buf_free(&b);
	return j;
}

static json_t *uuid_json(duckdb_hugeint h)
{
	/* DuckDB stores a UUID as a hugeint with the top bit flipped, so that
	 * signed order is the UUID's byte order. */
	uint64_t hi = (uint64_t)h.upper ^ (UINT64_C(1) << 63);
	uint64_t lo = h.lower;
	char buf[40];
	snprintf(buf, sizeof buf, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
	         hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48, lo & UINT64_C(0xffffffffffff));
	return json_string(buf);
}

/* BIT: byte 0 holds the number of padding bits at the start of byte 1. */
static json_t *bit_json(const unsigned char *p, size_t n)
{
	if (n == 0)
		return json_string("");
	size_t pad = p[0];
	size_t nbits = (n - 1) * 8 - (pad < (n - 1) * 8 ? pad : (n - 1) * 8);
	char *out = mx_malloc(nbits + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < nbits; i++) {
		size_t b = i + pad;
		out[i] = (p[1 + b / 8] >> (7 - b % 8)) & 1 ? '1' : '0';
	}
	json_t *j = json_stringn(out, nbits);
	mx_free(out);
	return j;
}

/* BIGNUM: a 3-byte header (top bit set when non-negative), then the
 * magnitude big-endian; negative numbers store every byte inverted. */
static json_t *bignum_json(const unsigned char *p, size_t n)
{
	if (n < 4)
		return json_null();
	int neg = (p[0] & 0x80) == 0;
	size_t nb = n - 3;
	unsigned char *mag = mx_malloc(nb);
	char *dec = mx_malloc(nb * 3 + 3);
	if (mag == NULL || dec == NULL) {
		mx_free(mag);
		mx_free(dec);
		return NULL;
	}
	for (size_t i = 0; i < nb; i++)
		mag[i] = neg ? (unsigned char)~p[3 + i] : p[3 + i];
	/* Repeated division by 10 of the base-256 number. */
	size_t nd = 0, start = 0;
	while (start < nb && mag[start] == 0)
		start++;
	while (start < nb) {
		unsigned rem = 0;
		for (size_t i = start; i < nb; i++) {
			unsigned cur = rem * 256 + mag[i];
			mag[i] = (unsigned char)(cur / 10);
			rem = cur % 10;
		}
		dec[nd++] = (char)('0' + rem);
		while (start < nb && mag[start] == 0)
			start++;
	}
	if (nd == 0)
		dec[nd++] = '0';
	json_t *j;
	if (nd <= 18) {
		int64_t v = 0;
		for (size_t i = nd; i-- > 0;)
			v = v * 10 + (dec[i] - '0');
		j = json_integer(neg ? -v : v);
	} else {
		char *txt = mx_malloc(nd + 2);
		size_t o = 0;
		if (txt != NULL) {
			if (neg)
				txt[o++] = '-';
			for (size_t i = nd; i-- > 0;)
				txt[o++] = dec[i];
			txt[o] = '\0';
		}
		j = txt ? json_string(txt) : NULL;
		mx_free(txt);
	}
	mx_free(mag);
	mx_free(dec);
	return j;
}

/* ------------------------------------------------------------------------ */
/* Result conversion                                                         */
/* ------------------------------------------------------------------------ */

struct conv_ctx {
	int parse_json;
	const char *column;
	size_t bytes;
	struct mx_err *err;
};

static json_t *string_json(struct conv_ctx *cx, const struct conv *cv, duckdb_string_t *s)
{
	uint32_t len = duckdb_string_t_length(*s);
	const char *p = duckdb_string_t_data(s);
	cx->bytes += len;
	switch (cv->id) {
	case DUCKDB_TYPE_BLOB: cx->bytes += len / 3 + 4; return mx_base64_json(p, len);
	case DUCKDB_TYPE_BIT: cx->bytes += len * 7; return bit_json((const unsigned char *)p, len);
	case DUCKDB_TYPE_BIGNUM: return bignum_json((const unsigned char *)p, len);
	default: break;
	}
	if (cv->is_json && cx->parse_json) {
		json_t *j = json_loadb(p, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (j != NULL)
			return j;
	}
	return json_stringn(p, len);
}

static int conv_value(struct conv_ctx *cx, const struct conv *cv, duckdb_vector vec, idx_t row, json_t **out);

static int conv_error(struct conv_ctx *cx, const char *what)
{
	return mx_err_set(cx->err, MX_EDB, "Cannot convert column '%s': %s", cx->column, what);
}

static int conv_nested(struct conv_ctx *cx, const struct conv *cv, duckdb_vector vec, idx_t row, json_t **out)
{
	int rc = 0;
	switch (cv->id) {
	case DUCKDB_TYPE_LIST:
	case DUCKDB_TYPE_ARRAY: {
		idx_t off, len;
		duckdb_vector child;
		if (cv->id == DUCKDB_TYPE_LIST) {
			duckdb_list_entry e = ((duckdb_list_entry *)duckdb_vector_get_data(vec))[row];
			off = e.offset;
			len = e.length;
			child = duckdb_list_vector_get_child(vec);
		} else {
			off = row * cv->array_size;
			len = cv->array_size;
			child = duckdb_array_vector_get_child(vec);
		}
		json_t *arr = json_array();
		if (arr == NULL)
			return mx_err_set(cx->err, MX_ENOMEM, "out of memory");
		for (idx_t i = 0; i < len && rc == 0; i++) {
			json_t *item;
			if ((rc = conv_value(cx, &cv->children[0], child, off + i, &item)) == 0 &&
			    json_array_append_new(arr, item) != 0)
				rc = mx_err_set(cx->err, MX_ENOMEM, "out of memory");
		}
		*out = arr;
		break;
	}
	case DUCKDB_TYPE_STRUCT: {
		json_t *obj = json_object();
		if (obj == NULL)
			return mx_err_set(cx->err, MX_ENOMEM, "out of memory");
		for (size_t i = 0; i < cv->nchildren && rc == 0; i++) {
			json_t *item;
			duckdb_vector child = duckdb_struct_vector_get_child(vec, i);
			if ((rc = conv_value(cx, &cv->children[i], child, row, &item)) == 0 &&
			    json_object_set_new(obj, cv->names[i] ? cv->names[i] : "", item) != 0)
				rc = mx_err_set(cx->err, MX_ENOMEM, "out of memory");
		}
		*out = obj;
		break;
	}
	case DUCKDB_TYPE_MAP: {
		duckdb_list_entry e = ((duckdb_list_entry *)duckdb_vector_get_data(vec))[row];
		duckdb_vector entries = duckdb_list_vector_get_child(vec);
		duckdb_vector keys = duckdb_struct_vector_get_child(entries, 0);
		duckdb_vector vals = duckdb_struct_vector_get_child(entries, 1);
		json_t *obj = json_object();
		if (obj == NULL)
			return mx_err_set(cx->err, MX_ENOMEM, "out of memory");
		for (idx_t i = 0; i < e.length && rc == 0; i++) {
			json_t *k = NULL, *v = NULL;
			if ((rc = conv_value(cx, &cv->children[0], keys, e.offset + i, &k)) == 0)
				rc = conv_value(cx, &cv->children[1], vals, e.offset + i, &v);
			char *ktext = rc == 0 ? mx_sql_json_text(k) : NULL;
			if (rc != 0)
				json_decref(v);
			else if (ktext == NULL) {
				json_decref(v);
				rc = mx_err_set(cx->err, MX_ENOMEM, "out of memory");
			} else if (json_object_set_new(obj, ktext, v) != 0)
				rc = mx_err_set(cx->err, MX_ENOMEM, "out of memory");
			mx_free(ktext);
			json_decref(k);
		}
		*out = obj;
		break;
	}
	case DUCKDB_TYPE_UNION: {
		duckdb_vector tags = duckdb_struct_vector_get_child(vec, 0);
		uint8_t tag = ((uint8_t *)duckdb_vector_get_data(tags))[row];
		if (tag >= cv->nchildren)
			return conv_error(cx, "bad UNION tag");
		duckdb_vector member = duckdb_struct_vector_get_child(vec, (idx_t)tag + 1);
		return conv_value(cx, &cv->children[tag], member, row, out);
	}
	default: return conv_error(cx, "unexpected nested type");
	}
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

static int conv_value(struct conv_ctx *cx, const struct conv *cv, duckdb_vector vec, idx_t row, json_t **out)
{
	*out = NULL;
	uint64_t *validity = duckdb_vector_get_validity(vec);
	cx->bytes += MX_SQL_VALUE_BYTES;
	if (!duckdb_validity_row_is_valid(validity, row) || cv->id == DUCKDB_TYPE_SQLNULL) {
		*out = json_null();
		return 0;
	}
	void *data = duckdb_vector_get_data(vec);
	json_t *j = NULL;
	switch (cv->id) {
	case DUCKDB_TYPE_BOOLEAN: j = json_boolean(((bool *)data)[row]); break;
	case DUCKDB_TYPE_TINYINT: j = json_integer(((int8_t *)data)[row]); break;
	case DUCKDB_TYPE_SMALLINT: j = json_integer(((int16_t *)data)[row]); break;
	case DUCKDB_TYPE_INTEGER: j = json_integer(((int32_t *)data)[row]); break;
	case DUCKDB_TYPE_BIGINT: j = json_integer(((int64_t *)data)[row]); break;
	case DUCKDB_TYPE_UTINYINT: j = json_integer(((uint8_t *)data)[row]); break;
	case DUCKDB_TYPE_USMALLINT: j = json_integer(((uint16_t *)data)[row]); break;
	case DUCKDB_TYPE_UINTEGER: j = json_integer(((uint32_t *)data)[row]); break;
	case DUCKDB_TYPE_UBIGINT: j = u128_json(((uint64_t *)data)[row], 0); break;
	case DUCKDB_TYPE_HUGEINT: j = i128_json(hugeint_value(((duckdb_hugeint *)data)[row])); break;
	case DUCKDB_TYPE_UHUGEINT: {
		duckdb_uhugeint u = ((duckdb_uhugeint *)data)[row];
		j = u128_json(((mx_u128)u.upper << 64) | u.lower, 0);
		break;
	}
	case DUCKDB_TYPE_FLOAT: j = float_json(((float *)data)[row]); break;
	case DUCKDB_TYPE_DOUBLE: j = double_json(((double *)data)[row]); break;
	case DUCKDB_TYPE_DECIMAL: {
		mx_i128 v;
		switch (cv->internal) {
		case DUCKDB_TYPE_SMALLINT: v = ((int16_t *)data)[row]; break;
		case DUCKDB_TYPE_INTEGER: v = ((int32_t *)data)[row]; break;
		case DUCKDB_TYPE_BIGINT: v = ((int64_t *)data)[row]; break;
		case DUCKDB_TYPE_HUGEINT: v = hugeint_value(((duckdb_hugeint *)data)[row]); break;
		default: return conv_error(cx, "unsupported DECIMAL storage");
		}
		j = decimal_json(v, cv->scale);
		break;
	}
	case DUCKDB_TYPE_VARCHAR:
	case DUCKDB_TYPE_BLOB:
	case DUCKDB_TYPE_BIT:
	case DUCKDB_TYPE_BIGNUM:
		j = string_json(cx, cv, &((duckdb_string_t *)data)[row]);
		if (j == NULL)
			return conv_error(cx, "text is not valid UTF-8");
		break;
	case DUCKDB_TYPE_DATE: {
		duckdb_date d = ((duckdb_date *)data)[row];
		if (!duckdb_is_finite_date(d)) {
			j = json_string(d.days > 0 ? "infinity" : "-infinity");
		} else {
			char buf[32];
			fmt_date(buf, sizeof buf, d.days);
			j = json_string(buf);
		}
		break;
	}
	case DUCKDB_TYPE_TIME: j = time_json(((duckdb_time *)data)[row].micros, 6); break;
	case DUCKDB_TYPE_TIME_NS: j = time_json(((duckdb_time_ns *)data)[row].nanos, 9); break;
	case DUCKDB_TYPE_TIME_TZ: j = time_tz_json(((duckdb_time_tz *)data)[row]); break;
	case DUCKDB_TYPE_TIMESTAMP: j = timestamp_json(((duckdb_timestamp *)data)[row].micros, 6, 0); break;
	case DUCKDB_TYPE_TIMESTAMP_TZ:
		j = timestamp_json(((duckdb_timestamp *)data)[row].micros, 6, 1);
		break;
	case DUCKDB_TYPE_TIMESTAMP_S:
		j = timestamp_json(((duckdb_timestamp_s *)data)[row].seconds, 0, 0);
		break;
	case DUCKDB_TYPE_TIMESTAMP_MS:
		j = timestamp_json(((duckdb_timestamp_ms *)data)[row].millis, 3, 0);
		break;
	case DUCKDB_TYPE_TIMESTAMP_NS:
		j = timestamp_json(((duckdb_timestamp_ns *)data)[row].nanos, 9, 0);
		break;
	case DUCKDB_TYPE_INTERVAL: j = interval_json(((duckdb_interval *)data)[row]); break;
	case DUCKDB_TYPE_UUID: j = uuid_json(((duckdb_hugeint *)data)[row]); break;
	case DUCKDB_TYPE_ENUM: {
		uint64_t idx;
		switch (cv->internal) {
		case DUCKDB_TYPE_UTINYINT: idx = ((uint8_t *)data)[row]; break;
		case DUCKDB_TYPE_USMALLINT: idx = ((uint16_t *)data)[row]; break;
		case DUCKDB_TYPE_UINTEGER: idx = ((uint32_t *)data)[row]; break;
		default: return conv_error(cx, "unsupported ENUM storage");
		}
		if (idx >= cv->nlabels || cv->labels[idx] == NULL)
			return conv_error(cx, "ENUM index out of range");
		cx->bytes += strlen(cv->labels[idx]);
		j = json_string(cv->labels[idx]);
		break;
	}
	case DUCKDB_TYPE_LIST:
	case DUCKDB_TYPE_ARRAY:
	case DUCKDB_TYPE_STRUCT:
	case DUCKDB_TYPE_MAP:
	case DUCKDB_TYPE_UNION: return conv_nested(cx, cv, vec, row, out);
	default: {
		/* DuckDB's C API reports types it does not describe (TIME_NS,
		 * VARIANT in 1.4) as INVALID. */
		char what[128];
		snprintf(what, sizeof what,
		         "DuckDB type %d is not supported; cast it in SQL (e.g. ::VARCHAR)", (int)cv->id);
		return conv_error(cx, what);
	}
	}
	if (j == NULL)
		return mx_err_set(cx->err, MX_ENOMEM, "out of memory");
	*out = j;
	return 0;
}

/* Read every chunk of res into a JSON array of row objects. */
int mx_sql_result_rows(struct mx_dbconn *c, duckdb_result *res, json_t **rows, struct mx_err *err)
{
	idx_t ncols = duckdb_column_count(res);
	struct conv *convs = mx_calloc(ncols ? ncols : 1, sizeof *convs);
	json_t **keys = mx_calloc(ncols ? ncols : 1, sizeof *keys);
	json_t *arr = json_array();
	int rc = 0;
	if (convs == NULL || keys == NULL || arr == NULL)
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	for (idx_t i = 0; i < ncols && rc == 0; i++) {
		duckdb_logical_type lt = duckdb_column_logical_type(res, i);
		if (lt == NULL || mx_sql_conv_build(&convs[i], lt) != 0)
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
		if (lt)
			duckdb_destroy_logical_type(&lt);
		const char *name = duckdb_column_name(res, i);
		if (rc == 0 && (keys[i] = json_string(name ? name : "")) == NULL)
			rc = mx_err_set(err, MX_EDB, "Column name is not valid UTF-8");
	}
	struct conv_ctx cx = {.err = err, .parse_json = c->parse_json};
	size_t nrows = 0;
	duckdb_data_chunk chunk = NULL;
	while (rc == 0 && (chunk = duckdb_fetch_chunk(*res)) != NULL) {
		idx_t n = duckdb_data_chunk_get_size(chunk);
		if (n > c->max_rows - nrows) {
			rc = mx_err_set(err, MX_ELIMIT,
			                "Query result exceeds the limit of %zu rows; narrow the query "
			                "(filters, LIMIT, aggregation) or raise MXCP_SQL_MAX_ROWS",
			                c->max_rows);
			break;
		}
		nrows += n;
		for (idx_t r = 0; r < n && rc == 0; r++) {
			cx.bytes += MX_SQL_ROW_BYTES + MX_SQL_FIELD_BYTES * ncols;
			json_t *row = json_object();
			if (row == NULL || json_array_append_new(arr, row) != 0) {
				rc = mx_err_set(err, MX_ENOMEM, "out of memory");
				break;
			}
			for (idx_t i = 0; i < ncols && rc == 0; i++) {
				json_t *v;
				cx.column = json_string_value(keys[i]);
				rc = conv_value(&cx, &convs[i], duckdb_data_chunk_get_vector(chunk, i), r,
				                &v);
				if (rc == 0 && json_object_set_new_nocheck(row, cx.column, v) != 0)
					rc = mx_err_set(err, MX_ENOMEM, "out of memory");
			}
			if (rc == 0 && cx.bytes > c->max_bytes)
				rc = mx_err_set(err, MX_ELIMIT,
				                "Query result exceeds the limit of %zu bytes (at row %zu); "
				                "narrow the query (filters, LIMIT, aggregation) or raise "
				                "MXCP_SQL_MAX_BYTES",
				                c->max_bytes, nrows - n + (size_t)r + 1);
		}
		duckdb_destroy_data_chunk(&chunk);
	}
	if (chunk)
		duckdb_destroy_data_chunk(&chunk);
	for (idx_t i = 0; i < ncols; i++) {
		if (convs)
			mx_sql_conv_free(&convs[i]);
		if (keys)
			json_decref(keys[i]);
	}
	mx_free(convs);
	mx_free(keys);
	if (rc != 0) {
		json_decref(arr);
		return rc;
	}
	*rows = arr;
	return 0;
}

/* Hand every chunk of res to fn, within the connection's limits (rows
 * before a chunk, bytes as fn counts them after it). */
int mx_sql_result_chunks(struct mx_dbconn *c, duckdb_result *res, mx_sql_chunk_fn fn, void *ctx,
                         struct mx_err *err)
{
	size_t nrows = 0, bytes = 0;
	int rc = 0;
	duckdb_data_chunk chunk;
	while (rc == 0 && (chunk = duckdb_fetch_chunk(*res)) != NULL) {
		idx_t n = duckdb_data_chunk_get_size(chunk);
		if (n > c->max_rows - nrows)
			rc = mx_err_set(err, MX_ELIMIT, "Query result exceeds the limit of %zu rows",
			                c->max_rows);
		else if ((rc = fn(ctx, res, chunk, &bytes, err)) == 0 && bytes > c->max_bytes)
			rc = mx_err_set(err, MX_ELIMIT, "Query result exceeds the limit of %zu bytes",
			                c->max_bytes);
		nrows += n;
		duckdb_destroy_data_chunk(&chunk);
	}
	return rc;
}
