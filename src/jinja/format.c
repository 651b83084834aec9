/* SPDX-License-Identifier: Apache-2.0 */
/*
 * format — Python's two string formattings: printf-style ("%5.2f" % x, the
 * format filter, Markup % args escaping its arguments) and str.format()
 * with its mini-language ({0}, {name[key]}, {x.attr}, !r, fill, align,
 * sign, width, grouping, precision, type).
 */
#include "jinja/jinja_int.h"

#include "core/pytext.h"
#include "core/utf8.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int fmt_err(struct render *r, const struct expr *e, const char *msg)
{
	return mx_jinja_rerr(r, e, MX_EINVAL, "%s", msg);
}

/* Pad text to width: align '<', '>', '^' or '=' (after a sign), with fill. */
static int put_padded(struct mx_buf *b, const char *s, size_t n, json_int_t width, char align,
                      const char *fill, size_t filln)
{
	json_int_t len = (json_int_t)mx_utf8_count(s, n), pad = width > len ? width - len : 0, left = 0;
	int rc = 0;
	if (align == '>')
		left = pad;
	else if (align == '^')
		left = pad / 2;
	else if (align == '=') {
		size_t sign = n && (s[0] == '-' || s[0] == '+' || s[0] == ' ') ? 1 : 0;
		if (n >= sign + 2 && s[sign] == '0' && strchr("xXob", s[sign + 1]))
			sign += 2;
		rc = mx_buf_append(b, s, sign);
		for (json_int_t i = 0; i < pad && rc == 0; i++)
			rc = mx_buf_append(b, fill, filln);
		return rc ? rc : mx_buf_append(b, s + sign, n - sign);
	}
	for (json_int_t i = 0; i < left && rc == 0; i++)
		rc = mx_buf_append(b, fill, filln);
	if (rc == 0)
		rc = mx_buf_append(b, s, n);
	for (json_int_t i = left; i < pad && rc == 0; i++)
		rc = mx_buf_append(b, fill, filln);
	return rc;
}

/* Thousands separators into the integer part of a formatted number. */
static int group_digits(char *s, size_t cap, char sep)
{
	char tmp[400];
	size_t n = strlen(s), start = (s[0] == '-' || s[0] == '+' || s[0] == ' ') ? 1 : 0, end = start;
	while (end < n && s[end] >= '0' && s[end] <= '9')
		end++;
	size_t digits = end - start, o = 0;
	if (n + digits / 3 + 1 > sizeof tmp || n + digits / 3 + 1 > cap)
		return -1;
	memcpy(tmp, s, start);
	o = start;
	for (size_t i = 0; i < digits; i++) {
		if (i && (digits - i) % 3 == 0)
			tmp[o++] = sep;
		tmp[o++] = s[start + i];
	}
	memcpy(tmp + o, s + end, n - end + 1);
	memcpy(s, tmp, o + n - end + 1);
	return 0;
}

/* One number per a printf conversion (d i u x X o e E f F g G c), into out. */
static int fmt_number(struct render *r, const struct expr *e, const json_t *j, char conv, const char *flags,
                      int width, int prec, char *out, size_t outsz)
{
	struct num x = {0};
	char f[32];
	size_t k = 0;
	if (!get_num(j, &x)) {
		char msg[96];
		snprintf(msg, sizeof msg, "%%%c format: a real number is required, not %s", conv,
		         j ? mx_pytext_type(j) : "Undefined");
		return fmt_err(r, e, msg);
	}
	f[k++] = '%';
	for (const char *p = flags; *p && k < 8; p++)
		f[k++] = *p;
	if (width >= 0)
		k += (size_t)snprintf(f + k, sizeof f - k, "%d", width);
	if (prec >= 0)
		k += (size_t)snprintf(f + k, sizeof f - k, ".%d", prec);
	if (strchr("diuxXo", conv)) {
		json_int_t v = x.is_int ? x.i : (json_int_t)x.d;
		if (!x.is_int && (x.d >= 9.2e18 || x.d <= -9.2e18))
			return fmt_err(r, e, "integer out of range");
		if (conv == 'i' || conv == 'u')
			conv = 'd';
		if (strchr("xXo", conv) && v < 0) {
			/* Python prints -0x1f, C would print the two's complement */
			f[k++] = 'l', f[k++] = 'l', f[k++] = conv, f[k] = '\0';
			char tmp[80];
			snprintf(tmp, sizeof tmp, f, (unsigned long long)(-(v + 1)) + 1ULL);
			snprintf(out, outsz, "-%s", tmp);
			return 0;
		}
		f[k++] = 'l', f[k++] = 'l', f[k++] = conv, f[k] = '\0';
		snprintf(out, outsz, f, (long long)v);
		return 0;
	}
	f[k++] = conv == 'F' ? 'f' : conv;
	f[k] = '\0';
	snprintf(out, outsz, f, x.d);
	return 0;
}

/* str() or repr() of an argument, Markup-escaped when the format is Markup. */
static int put_text_arg(struct mx_buf *b, const json_t *j, int repr, int escape, int prec)
{
	struct mx_buf t;
	mx_buf_init(&t, b->max);
	int rc = mx_jinja_print(&t, j, repr);
	if (rc == 0 && escape && !mx_jinja_is_markup(j)) {
		struct mx_buf esc;
		mx_buf_init(&esc, b->max);
		if ((rc = mx_jinja_escape_html(&esc, t.p ? t.p : "", t.len)) == 0) {
			mx_buf_free(&t);
			t = esc;
		} else {
			mx_buf_free(&esc);
		}
	}
	if (rc == 0) {
		size_t n = t.len;
		if (prec >= 0)
			n = mx_utf8_offset(t.p ? t.p : "", t.len, (size_t)prec);
		rc = mx_buf_append(b, t.p ? t.p : "", n);
	}
	mx_buf_free(&t);
	return rc;
}

/* fmt % args: args a tuple (several), a dict (by name), or one value. */
int mx_jinja_percent(struct render *r, const struct expr *e, const char *s, size_t n, const json_t *args,
                     int markup, struct val *out)
{
	int kind = args ? mx_jinja_kind(args) : 0;
	int multi = args && json_is_array(args) && (kind == SK_TUPLE || kind == SK_GROUP);
	size_t nargs = multi ? json_array_size(args) : 1, used = 0;
	struct mx_buf b;
	int rc = 0;
	mx_jinja_sb_init(r, &b);
	rc = mx_buf_append(&b, "", 0);
	for (size_t i = 0; i < n && rc == 0;) {
		if (s[i] != '%') {
			size_t j = i;
			while (j < n && s[j] != '%')
				j++;
			rc = mx_buf_append(&b, s + i, j - i);
			i = j;
			continue;
		}
		i++;
		const json_t *arg = NULL;
		if (i < n && s[i] == '(') {
			size_t k = i + 1, depth = 1;
			while (k < n && depth) {
				depth += s[k] == '(' ? 1 : s[k] == ')' ? -1 : 0;
				k++;
			}
			if (depth || args == NULL || !json_is_object(args)) {
				mx_buf_free(&b);
				return fmt_err(r, e, "format requires a mapping");
			}
			arg = json_object_getn(args, s + i + 1, k - i - 2);
			if (arg == NULL) {
				mx_buf_free(&b);
				return mx_jinja_rerr(r, e, MX_EINVAL, "KeyError: '%.*s'", (int)(k - i - 2),
				                     s + i + 1);
			}
			i = k;
		}
		char flags[8] = "";
		size_t nf = 0;
		while (i < n && strchr("-+ #0", s[i]) && s[i]) {
			if (nf < sizeof flags - 1)
				flags[nf++] = s[i];
			i++;
		}
		int width = -1, prec = -1;
		for (int part = 0; part < 2; part++) {
			int *dst = part ? &prec : &width;
			if (part) {
				if (i >= n || s[i] != '.')
					break;
				i++;
				prec = 0;
			}
			if (i < n && s[i] == '*') {
				struct num w = {0};
				const json_t *wa = multi && used < nargs ? json_array_get(args, used) : NULL;
				if (!multi || used >= nargs || !get_num(wa, &w) || !w.is_int) {
					mx_buf_free(&b);
					return fmt_err(r, e, "* wants int");
				}
				used++;
				*dst = (int)(w.i < -10000 ? -10000 : w.i > 10000 ? 10000 : w.i);
				if (*dst < 0 && !part) {
					*dst = -*dst;
					if (nf < sizeof flags - 1)
						flags[nf++] = '-';
				}
				i++;
				continue;
			}
			while (i < n && is_digit(s[i])) {
				*dst = (*dst < 0 ? 0 : *dst) * 10 + (s[i] - '0');
				if (*dst > 10000)
					*dst = 10000;
				i++;
			}
		}
		while (i < n && strchr("hlL", s[i]) && s[i])
			i++;
		if (i >= n) {
			mx_buf_free(&b);
			return fmt_err(r, e, "incomplete format");
		}
		char conv = s[i++];
		if (conv == '%') {
			rc = mx_buf_putc(&b, '%');
			continue;
		}
		if (arg == NULL) {
			if (used >= nargs) {
				mx_buf_free(&b);
				return fmt_err(r, e, "not enough arguments for format string");
			}
			arg = multi ? json_array_get(args, used) : args;
			used++;
		}
		struct mx_buf t;
		mx_buf_init(&t, r->max_str);
		char num[400];
		int left = strchr(flags, '-') != NULL;
		if (conv == 's' || conv == 'r' || conv == 'a') {
			rc = put_text_arg(&t, arg, conv != 's', markup, prec);
		} else if (conv == 'c') {
			if (arg && json_is_string(arg) &&
			    mx_utf8_count(json_string_value(arg), json_string_length(arg)) == 1) {
				rc = mx_buf_append(&t, json_string_value(arg), json_string_length(arg));
			} else if (arg && json_is_integer(arg) && json_integer_value(arg) >= 0 &&
			           json_integer_value(arg) < 0x110000) {
				char u[4];
				size_t un = mx_utf8_put(u, (uint32_t)json_integer_value(arg));
				rc = mx_buf_append(&t, u, un);
			} else {
				rc = fmt_err(r, e, "%c requires int or char");
			}
		} else if (strchr("diuxXoeEfFgG", conv)) {
			char fl[8];
			size_t k = 0;
			for (size_t q = 0; q < nf; q++)
				if (flags[q] != '-')
					fl[k++] = flags[q];
			fl[k] = '\0';
			rc = fmt_number(r, e, arg, conv, fl, -1, prec, num, sizeof num);
			if (rc == 0 && strchr(fl, '0') && !left && width > 0) {
				rc = put_padded(&t, num, strlen(num), width, '=', "0", 1);
				width = -1;
			} else if (rc == 0) {
				rc = mx_buf_puts(&t, num);
			}
		} else {
			mx_buf_free(&t);
			mx_buf_free(&b);
			return mx_jinja_rerr(r, e, MX_EINVAL, "unsupported format character '%c'", conv);
		}
		if (rc == 0)
			rc = put_padded(&b, t.p ? t.p : "", t.len, width, left ? '<' : '>', " ", 1);
		mx_buf_free(&t);
	}
	if (rc == 0 && used < nargs && !(args && json_is_object(args)) && (multi || used == 0)) {
		mx_buf_free(&b);
		return fmt_err(r, e, "not all arguments converted during string formatting");
	}
	if ((rc = mx_jinja_sb_finish(r, e, &b, rc, out)) == 0 && markup)
		rc = mx_jinja_special_add(out->j, SK_MARKUP, NULL);
	return rc;
}

/* ------------------------------------------------------------------------
 * str.format()
 * ---------------------------------------------------------------------- */

struct spec {
	const char *fill;
	size_t filln;
	char align, sign, group, type;
	int alt, zero;
	json_int_t width;
	int prec;
};

static int parse_spec(const char *s, size_t n, struct spec *sp)
{
	size_t i = 0;
	memset(sp, 0, sizeof *sp);
	sp->fill = " ";
	sp->filln = 1;
	sp->width = -1;
	sp->prec = -1;
	if (n) {
		size_t c1 = 0;
		mx_utf8_next(s, n, &c1);
		if (c1 < n && strchr("<>^=", s[c1])) {
			sp->fill = s;
			sp->filln = c1;
			sp->align = s[c1];
			i = c1 + 1;
		} else if (strchr("<>^=", s[0])) {
			sp->align = s[0];
			i = 1;
		}
	}
	if (i < n && strchr("+- ", s[i]))
		sp->sign = s[i++];
	if (i < n && s[i] == '#')
		sp->alt = 1, i++;
	if (i < n && s[i] == '0')
		sp->zero = 1, i++;
	while (i < n && is_digit(s[i])) {
		sp->width = (sp->width < 0 ? 0 : sp->width) * 10 + (s[i++] - '0');
		if (sp->width > 100000)
			return -1;
	}
	if (i < n && (s[i] == ',' || s[i] == '_'))
		sp->group = s[i++];
	if (i < n && s[i] == '.') {
		i++;
		sp->prec = 0;
		if (i >= n || !is_digit(s[i]))
			return -1;
		while (i < n && is_digit(s[i]))
			sp->prec = sp->prec * 10 + (s[i++] - '0');
		if (sp->prec > 1000)
			return -1;
	}
	if (i < n)
		sp->type = s[i++];
	return i == n ? 0 : -1;
}

static int format_one(struct render *r, const struct expr *e, struct mx_buf *b, const json_t *v,
                      const char *specs, size_t specn)
{
	struct spec sp;
	if (parse_spec(specs, specn, &sp))
		return fmt_err(r, e, "Invalid format specifier");
	struct num x = {0};
	int isnum = get_num(v, &x) && !json_is_boolean(v);
	if (json_is_boolean(v) && sp.type && sp.type != 's')
		isnum = get_num(v, &x);
	if (!isnum || sp.type == 's') {
		if (sp.type && sp.type != 's')
			return mx_jinja_rerr(r, e, MX_EINVAL,
			                     "Unknown format code '%c' for object of type '%s'", sp.type,
			                     v ? mx_pytext_type(v) : "Undefined");
		struct mx_buf t;
		mx_buf_init(&t, r->max_str);
		int rc = mx_jinja_print(&t, v, 0);
		size_t tn = t.len;
		if (sp.prec >= 0)
			tn = mx_utf8_offset(t.p ? t.p : "", t.len, (size_t)sp.prec);
		if (rc == 0)
			rc = put_padded(b, t.p ? t.p : "", tn, sp.width, sp.align ? sp.align : '<', sp.fill,
			                sp.filln);
		mx_buf_free(&t);
		return rc;
	}
	char num[400], flags[4] = "";
	size_t nf = 0;
	if (sp.sign == '+' || sp.sign == ' ')
		flags[nf++] = sp.sign;
	if (sp.alt)
		flags[nf++] = '#';
	flags[nf] = '\0';
	char type = sp.type;
	int rc = 0;
	if (type == 0 && x.is_int)
		type = 'd';
	if (type == 'n')
		type = x.is_int ? 'd' : 'g';
	if (type == 0) {
		/* float, no type: repr-like, or %g-like with a precision */
		if (sp.prec >= 0) {
			rc = fmt_number(r, e, v, 'g', flags, -1, sp.prec ? sp.prec : 1, num, sizeof num);
		} else {
			struct mx_buf t;
			mx_buf_init(&t, sizeof num - 2);
			if (sp.sign == '+' && x.d >= 0)
				mx_buf_putc(&t, '+');
			else if (sp.sign == ' ' && x.d >= 0)
				mx_buf_putc(&t, ' ');
			mx_pytext_put_float(&t, x.d);
			snprintf(num, sizeof num, "%s", t.p ? t.p : "");
			mx_buf_free(&t);
		}
	} else if (type == 'b') {
		json_int_t iv = x.i;
		if (!x.is_int)
			return fmt_err(r, e, "Unknown format code 'b' for object of type 'float'");
		char bits[70];
		size_t k = sizeof bits - 1;
		unsigned long long u = iv < 0 ? 0ULL - (unsigned long long)iv : (unsigned long long)iv;
		bits[k] = '\0';
		do {
			bits[--k] = (char)('0' + (u & 1));
			u >>= 1;
		} while (u);
		snprintf(num, sizeof num, "%s%s%s",
		         iv < 0           ? "-"
		         : sp.sign == '+' ? "+"
		         : sp.sign == ' ' ? " "
		                          : "",
		         sp.alt ? "0b" : "", bits + k);
	} else if (type == '%') {
		char tmp[380];
		rc = fmt_number(r, e, v, 'f', flags, -1, sp.prec >= 0 ? sp.prec : 6, tmp, sizeof tmp);
		double d = x.d * 100;
		json_t *scaled = json_real(d);
		if (rc == 0 && scaled)
			rc = fmt_number(r, e, scaled, 'f', flags, -1, sp.prec >= 0 ? sp.prec : 6, tmp,
			                sizeof tmp);
		json_decref(scaled);
		snprintf(num, sizeof num, "%s%%", tmp);
	} else if (strchr("dxXo", type)) {
		if (!x.is_int)
			return mx_jinja_rerr(r, e, MX_EINVAL,
			                     "Unknown format code '%c' for object of type 'float'", type);
		rc = fmt_number(r, e, v, type, flags, -1, -1, num, sizeof num);
	} else if (strchr("eEfFgG", type)) {
		rc = fmt_number(r, e, v, type, flags, -1, sp.prec >= 0 ? sp.prec : 6, num, sizeof num);
	} else {
		return mx_jinja_rerr(r, e, MX_EINVAL, "Unknown format code '%c' for object of type '%s'",
		                     type, mx_pytext_type(v));
	}
	if (rc)
		return rc;
	if (sp.group && group_digits(num, sizeof num, sp.group))
		return fmt_err(r, e, "number too long to format");
	char align = sp.align ? sp.align : '>';
	const char *fill = sp.fill;
	size_t filln = sp.filln;
	if (sp.zero && !sp.align)
		align = '=', fill = "0", filln = 1;
	return put_padded(b, num, strlen(num), sp.width, align, fill, filln);
}

/* The value a field name ("0", "name", "name[key]", "name.attr") picks. */
static int field_value(struct render *r, const struct expr *e, const char *f, size_t fn,
                       const struct val *args, size_t nargs, const struct val *kwargs,
                       const char *const *kwnames, size_t nkw, size_t *autonum, struct val *out)
{
	size_t i = 0;
	while (i < fn && f[i] != '.' && f[i] != '[')
		i++;
	struct val cur = vundef(NULL, NULL);
	int found = 0;
	if (i == 0 || is_digit(f[0])) {
		size_t idx = 0;
		if (i == 0) {
			idx = (*autonum)++;
		} else {
			for (size_t k = 0; k < i; k++)
				idx = idx * 10 + (size_t)(f[k] - '0');
		}
		if (idx < nargs) {
			cur = vcopy(&args[idx]);
			found = 1;
		} else {
			return mx_jinja_rerr(r, e, MX_EINVAL,
			                     "Replacement index %zu out of range for positional args tuple",
			                     idx);
		}
	} else {
		for (size_t k = 0; k < nkw; k++)
			if (strlen(kwnames[k]) == i && memcmp(kwnames[k], f, i) == 0) {
				cur = vcopy(&kwargs[k]);
				found = 1;
			}
		if (!found)
			return mx_jinja_rerr(r, e, MX_EINVAL, "KeyError: '%.*s'", (int)i, f);
	}
	while (i < fn) {
		struct val next;
		int rc;
		if (f[i] == '.') {
			size_t j = ++i;
			while (j < fn && f[j] != '.' && f[j] != '[')
				j++;
			char name[128];
			snprintf(name, sizeof name, "%.*s", (int)(j - i), f + i);
			rc = mx_jinja_get_attr(NULL, cur.j, name, &next);
			i = j;
		} else {
			size_t j = ++i;
			while (j < fn && f[j] != ']')
				j++;
			int digits = j > i;
			for (size_t k = i; k < j; k++)
				digits = digits && is_digit(f[k]);
			json_t *key = digits ? json_integer(0) : json_stringn(f + i, j - i);
			if (digits) {
				json_int_t kv = 0;
				for (size_t k = i; k < j; k++)
					kv = kv * 10 + (f[k] - '0');
				json_integer_set(key, kv);
			}
			rc = key ? mx_jinja_get_item(NULL, cur.j, key, &next) : MX_ENOMEM;
			json_decref(key);
			i = j + 1;
		}
		vdrop(&cur);
		if (rc)
			return rc;
		if (next.j == NULL)
			return fmt_err(r, e, "format field lookup failed");
		cur = next;
	}
	*out = cur;
	return 0;
}

int mx_jinja_str_format(struct render *r, const struct expr *e, const char *s, size_t n,
                        const struct val *args, size_t nargs, const struct val *kwargs,
                        const char *const *kwnames, size_t nkw, struct val *out)
{
	struct mx_buf b;
	size_t autonum = 0;
	int rc;
	mx_jinja_sb_init(r, &b);
	rc = mx_buf_append(&b, "", 0);
	for (size_t i = 0; i < n && rc == 0;) {
		char c = s[i];
		if (c == '}') {
			if (i + 1 < n && s[i + 1] == '}') {
				rc = mx_buf_putc(&b, '}');
				i += 2;
				continue;
			}
			rc = fmt_err(r, e, "Single '}' encountered in format string");
			break;
		}
		if (c != '{') {
			size_t j = i;
			while (j < n && s[j] != '{' && s[j] != '}')
				j++;
			rc = mx_buf_append(&b, s + i, j - i);
			i = j;
			continue;
		}
		if (i + 1 < n && s[i + 1] == '{') {
			rc = mx_buf_putc(&b, '{');
			i += 2;
			continue;
		}
		size_t j = i + 1;
		while (j < n && s[j] != '}' && s[j] != '!' && s[j] != ':' && s[j] != '{')
			j++;
		size_t fend = j;
		char conv = 0;
		if (j < n && s[j] == '!' && j + 1 < n) {
			conv = s[j + 1];
			j += 2;
		}
		size_t sp = j, spn = 0;
		if (j < n && s[j] == ':') {
			sp = ++j;
			while (j < n && s[j] != '}')
				j++;
			spn = j - sp;
		}
		if (j >= n || s[j] != '}') {
			rc = fmt_err(r, e, "expected '}' before end of string");
			break;
		}
		struct val v = vundef(NULL, NULL);
		if ((rc = field_value(r, e, s + i + 1, fend - i - 1, args, nargs, kwargs, kwnames, nkw,
		                      &autonum, &v)))
			break;
		if (conv == 'r' || conv == 'a') {
			struct mx_buf t;
			mx_buf_init(&t, r->max_str);
			if ((rc = mx_jinja_print(&t, v.j, 1)) == 0) {
				json_t *str = json_stringn(t.p ? t.p : "", t.len);
				rc = str ? format_one(r, e, &b, str, s + sp, spn) : MX_ENOMEM;
				json_decref(str);
			}
			mx_buf_free(&t);
		} else {
			rc = format_one(r, e, &b, v.j, s + sp, spn);
		}
		vdrop(&v);
		i = j + 1;
	}
	return mx_jinja_sb_finish(r, e, &b, rc, out);
}
