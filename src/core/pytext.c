/* SPDX-License-Identifier: Apache-2.0 */
/* pytext — see pytext.h. */
#include "core/pytext.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/utf8.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* str.strip()'s ASCII whitespace. */
static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------------ names */

const char *mx_pytext_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "dict";
	case JSON_ARRAY: return "list";
	case JSON_STRING: return "str";
	case JSON_INTEGER: return "int";
	case JSON_REAL: return "float";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	case JSON_NULL: return "NoneType";
	}
	return "object";
}

/* ----------------------------------------------------------------- floats */

void mx_pytext_float(double d, char *out, size_t sz)
{
	if (isnan(d)) {
		snprintf(out, sz, "nan");
		return;
	}
	if (isinf(d)) {
		snprintf(out, sz, "%s", d > 0 ? "inf" : "-inf");
		return;
	}
	char tmp[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	const char *q = tmp;
	int neg = 0;
	if (*q == '-') {
		neg = 1;
		q++;
	}
	char digits[24];
	int nd = 0;
	for (; *q && *q != 'e' && nd < 20; q++)
		if (*q != '.')
			digits[nd++] = *q;
	int exp = *q == 'e' ? (int)strtol(q + 1, NULL, 10) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	int decpt = exp + 1;
	char res[64];
	size_t o = 0;
	if (neg)
		res[o++] = '-';
	if (exp < -4 || exp >= 16) {
		res[o++] = digits[0];
		if (nd > 1) {
			res[o++] = '.';
			for (int i = 1; i < nd; i++)
				res[o++] = digits[i];
		}
		o += (size_t)snprintf(res + o, sizeof res - o, "e%c%02d", exp < 0 ? '-' : '+',
		                      exp < 0 ? -exp : exp);
	} else if (decpt <= 0) {
		res[o++] = '0';
		res[o++] = '.';
		for (int i = 0; i < -decpt; i++)
			res[o++] = '0';
		for (int i = 0; i < nd; i++)
			res[o++] = digits[i];
	} else if (decpt >= nd) {
		for (int i = 0; i < nd; i++)
			res[o++] = digits[i];
		for (int i = nd; i < decpt; i++)
			res[o++] = '0';
		res[o++] = '.';
		res[o++] = '0';
	} else {
		for (int i = 0; i < nd; i++) {
			if (i == decpt)
				res[o++] = '.';
			res[o++] = digits[i];
		}
	}
	res[o] = '\0';
	snprintf(out, sz, "%s", res);
}

int mx_pytext_put_float(struct mx_buf *b, double d)
{
	char tmp[64];
	mx_pytext_float(d, tmp, sizeof tmp);
	return mx_buf_puts(b, tmp);
}

/* ------------------------------------------------------------ str, repr */

int mx_pytext_repr_str(struct mx_buf *b, const char *s, size_t n)
{
	char q = (memchr(s, '\'', n) && !memchr(s, '"', n)) ? '"' : '\'';
	int rc = mx_buf_putc(b, q);
	for (size_t i = 0; i < n && rc == 0;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			i++;
			if (c == (unsigned char)q || c == '\\') {
				char esc[2] = {'\\', (char)c};
				rc = mx_buf_append(b, esc, 2);
			} else if (c == '\n') {
				rc = mx_buf_puts(b, "\\n");
			} else if (c == '\r') {
				rc = mx_buf_puts(b, "\\r");
			} else if (c == '\t') {
				rc = mx_buf_puts(b, "\\t");
			} else if (c < 0x20 || c == 0x7F) {
				rc = mx_buf_printf(b, "\\x%02x", c);
			} else {
				rc = mx_buf_putc(b, (char)c);
			}
			continue;
		}
		size_t start = i;
		uint32_t cp = mx_utf8_next(s, n, &i);
		if (cp <= 0xA0 || cp == 0xAD)
			rc = mx_buf_printf(b, "\\x%02x", (unsigned)cp);
		else if (cp == 0x2028 || cp == 0x2029)
			rc = mx_buf_printf(b, "\\u%04x", (unsigned)cp);
		else
			rc = mx_buf_append(b, s + start, i - start);
	}
	return rc ? rc : mx_buf_putc(b, q);
}

static int write_py(struct mx_buf *b, const json_t *j, int repr, int depth)
{
	if (depth > MX_PYTEXT_MAX_DEPTH)
		return MX_ELIMIT;
	int rc = 0;
	switch (json_typeof(j)) {
	case JSON_NULL: return mx_buf_puts(b, "None");
	case JSON_TRUE: return mx_buf_puts(b, "True");
	case JSON_FALSE: return mx_buf_puts(b, "False");
	case JSON_INTEGER: return mx_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
	case JSON_REAL: return mx_pytext_put_float(b, json_real_value(j));
	case JSON_STRING:
		if (repr)
			return mx_pytext_repr_str(b, json_string_value(j), json_string_length(j));
		return mx_buf_append(b, json_string_value(j), json_string_length(j));
	case JSON_ARRAY: {
		size_t i;
		json_t *item;
		rc = mx_buf_putc(b, '[');
		json_array_foreach (j, i, item) {
			if (i && rc == 0)
				rc = mx_buf_puts(b, ", ");
			if (rc == 0)
				rc = write_py(b, item, 1, depth + 1);
		}
		return rc ? rc : mx_buf_putc(b, ']');
	}
	case JSON_OBJECT: {
		const char *k;
		size_t klen;
		json_t *item;
		int first = 1;
		rc = mx_buf_putc(b, '{');
		json_object_keylen_foreach((json_t *)j, k, klen, item)
		{
			if (!first && rc == 0)
				rc = mx_buf_puts(b, ", ");
			if (rc == 0)
				rc = mx_pytext_repr_str(b, k, klen);
			if (rc == 0)
				rc = mx_buf_puts(b, ": ");
			if (rc == 0)
				rc = write_py(b, item, 1, depth + 1);
			first = 0;
		}
		return rc ? rc : mx_buf_putc(b, '}');
	}
	}
	return rc;
}

int mx_pytext_repr(struct mx_buf *b, const json_t *v)
{
	return write_py(b, v, 1, 0);
}

int mx_pytext_str(struct mx_buf *b, const json_t *v)
{
	return write_py(b, v, 0, 0);
}

/* -------------------------------------------------------------- parsing */

int mx_pytext_parse_int(const char *s, size_t n, int base, int64_t *out)
{
	size_t i = 0;
	while (i < n && is_space(s[i]))
		i++;
	while (n > i && is_space(s[n - 1]))
		n--;
	int neg = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i + 1 < n && s[i] == '0') {
		char p = (char)(s[i + 1] | 32);
		int pb = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
		if (pb && (base == pb || base == 0)) {
			base = pb;
			i += 2;
			if (i < n && s[i] == '_')
				i++;
		}
	}
	if (base == 0)
		base = 10;
	if (i >= n)
		return MX_EINVAL;
	unsigned long long v = 0;
	int prev_digit = 0, overflow = 0;
	for (; i < n; i++) {
		if (s[i] == '_' && prev_digit && i + 1 < n && s[i + 1] != '_') {
			prev_digit = 0;
			continue;
		}
		int d = mx_hex_digit(s[i]);
		if (d < 0 || d >= base)
			return MX_EINVAL;
		if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
			overflow = 1;
		else
			v = v * (unsigned)base + (unsigned)d;
		prev_digit = 1;
	}
	if (!prev_digit)
		return MX_EINVAL;
	if (overflow || v > (unsigned long long)INT64_MAX + (unsigned long long)neg)
		return MX_ELIMIT;
	*out = neg ? (int64_t)(0ULL - v) : (int64_t)v;
	return 0;
}

/* Digits with single '_' between them, copied to out without the '_'.
 * Returns how many input bytes were used (0 = none). */
static size_t scan_digits(const char *s, size_t len, char *out, size_t *outlen)
{
	size_t i = 0;
	if (i >= len || !is_digit(s[i]))
		return 0;
	while (i < len) {
		if (is_digit(s[i])) {
			out[(*outlen)++] = s[i++];
		} else if (s[i] == '_' && i + 1 < len && is_digit(s[i + 1])) {
			i++;
		} else {
			break;
		}
	}
	return i;
}

int mx_pytext_parse_float(const char *s, size_t len, double *out)
{
	if (memchr(s, '\0', len) != NULL)
		return MX_EINVAL;
	while (len && is_space(*s)) {
		s++;
		len--;
	}
	while (len && is_space(s[len - 1]))
		len--;
	char stack[128];
	char *buf = len < sizeof stack ? stack : mx_malloc(len + 1);
	if (buf == NULL)
		return MX_ENOMEM;
	size_t i = 0, j = 0;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		buf[j++] = s[i++];
	size_t n = scan_digits(s + i, len - i, buf, &j);
	int have_digits = n > 0;
	i += n;
	if (i < len && s[i] == '.') {
		buf[j++] = s[i++];
		n = scan_digits(s + i, len - i, buf, &j);
		have_digits = have_digits || n > 0;
		i += n;
	}
	if (have_digits && i < len && (s[i] == 'e' || s[i] == 'E')) {
		buf[j++] = s[i++];
		if (i < len && (s[i] == '+' || s[i] == '-'))
			buf[j++] = s[i++];
		n = scan_digits(s + i, len - i, buf, &j);
		if (n == 0)
			have_digits = 0;
		i += n;
	}
	int rc = MX_EINVAL;
	if (have_digits && i == len) {
		buf[j] = '\0';
		*out = strtod(buf, NULL);
		rc = 0;
	} else if (!have_digits && i == (size_t)(len && (s[0] == '+' || s[0] == '-'))) {
		/* inf, infinity, nan after at most a sign (copied to buf already) */
		size_t w = len - i;
		const char *word = s + i;
		if ((w == 3 && strncasecmp(word, "inf", 3) == 0) ||
		    (w == 8 && strncasecmp(word, "infinity", 8) == 0) ||
		    (w == 3 && strncasecmp(word, "nan", 3) == 0)) {
			memcpy(buf + j, word, w);
			buf[j + w] = '\0';
			*out = strtod(buf, NULL);
			rc = 0;
		}
	}
	if (buf != stack)
		mx_free(buf);
	return rc;
}
