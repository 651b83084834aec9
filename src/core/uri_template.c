/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uri_template — RFC 6570 level 1 (see uri_template.h).
 *
 * A template compiles to a sequence of parts, each a literal or a variable
 * (an index into the distinct names). Immutable after compile; no threads
 * of its own. Invariant: two variables are never adjacent without literal
 * text between them (that would make matching ambiguous), and the template
 * has at most MAX_PARTS parts.
 */
#include "core/utf8.h"
#include "core/uri_template.h"

#include "core/alloc.h"

#include <stdio.h>
#include <string.h>

#define MAX_PARTS 64

struct part {
	int var; /* -1 for a literal */
	const char *lit;
	size_t len;
};

struct mx_uri_template {
	char *text;
	struct part parts[MAX_PARTS];
	size_t nparts;
	char *names[MAX_PARTS];
	size_t nnames;
};

int mx_uri_template_has_vars(const char *s)
{
	const char *o = strchr(s, '{');
	return o != NULL && strchr(o, '}') != NULL;
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.';
}

static int add_part(struct mx_uri_template *t, int var, const char *lit, size_t len, struct mx_err *err)
{
	if (t->nparts == MAX_PARTS)
		return mx_err_set(err, MX_EINVAL, "URI template has too many parts");
	t->parts[t->nparts++] = (struct part){var, lit, len};
	return 0;
}

int mx_uri_template_compile(const char *tmpl, struct mx_uri_template **out, struct mx_err *err)
{
	*out = NULL;
	struct mx_uri_template *t = mx_calloc(1, sizeof *t);
	if (t == NULL || (t->text = mx_strdup(tmpl)) == NULL) {
		mx_free(t);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	const char *p = t->text;
	int rc = 0;
	while (*p && rc == 0) {
		const char *o = strpbrk(p, "{}");
		if (o == NULL) {
			rc = add_part(t, -1, p, strlen(p), err);
			break;
		}
		if (*o == '}') {
			rc = mx_err_set(err, MX_EINVAL, "URI template '%s': unmatched '}'", tmpl);
			break;
		}
		if (o > p && (rc = add_part(t, -1, p, (size_t)(o - p), err)) != 0)
			break;
		const char *c = strchr(o + 1, '}');
		if (c == NULL) {
			rc = mx_err_set(err, MX_EINVAL, "URI template '%s': unclosed '{'", tmpl);
			break;
		}
		size_t n = (size_t)(c - o - 1);
		if (n == 0) {
			rc = mx_err_set(err, MX_EINVAL, "URI template '%s': empty expression", tmpl);
			break;
		}
		for (size_t i = 0; i < n; i++)
			if (!name_char(o[1 + i])) {
				rc = mx_err_set(err, MX_EINVAL,
				                "URI template '%s': only {name} expressions are supported "
				                "(RFC 6570 level 1)",
				                tmpl);
				break;
			}
		if (rc)
			break;
		if (t->nparts && t->parts[t->nparts - 1].var >= 0) {
			rc = mx_err_set(err, MX_EINVAL, "URI template '%s': adjacent variables are ambiguous",
			                tmpl);
			break;
		}
		size_t idx = 0;
		while (idx < t->nnames &&
		       !(strlen(t->names[idx]) == n && memcmp(t->names[idx], o + 1, n) == 0))
			idx++;
		if (idx == t->nnames) {
			if ((t->names[idx] = mx_strndup(o + 1, n)) == NULL) {
				rc = mx_err_set(err, MX_ENOMEM, "out of memory");
				break;
			}
			t->nnames++;
		}
		rc = add_part(t, (int)idx, NULL, 0, err);
		p = c + 1;
	}
	if (rc) {
		mx_uri_template_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void mx_uri_template_free(struct mx_uri_template *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nnames; i++)
		mx_free(t->names[i]);
	mx_free(t->text);
	mx_free(t);
}

size_t mx_uri_template_nvars(const struct mx_uri_template *t)
{
	return t->nnames;
}

const char *mx_uri_template_var(const struct mx_uri_template *t, size_t i)
{
	return i < t->nnames ? t->names[i] : NULL;
}

/* Percent-decode s[0..n) into a JSON string; NULL when malformed or not UTF-8. */
static json_t *decode(const char *s, size_t n)
{
	char *d = mx_malloc(n + 1);
	if (d == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			d[k++] = s[i];
			continue;
		}
		int hi = i + 1 < n ? mx_hex_digit(s[i + 1]) : -1;
		int lo = i + 2 < n ? mx_hex_digit(s[i + 2]) : -1;
		if (hi < 0 || lo < 0) {
			mx_free(d);
			return NULL;
		}
		d[k++] = (char)(hi * 16 + lo);
		i += 2;
	}
	json_t *v = json_stringn(d, k);
	mx_free(d);
	return v;
}

int mx_uri_template_match(const struct mx_uri_template *t, const char *uri, json_t **vars)
{
	*vars = NULL;
	json_t *out = json_object();
	if (out == NULL)
		return MX_ENOMEM;
	const char *p = uri;
	for (size_t i = 0; i < t->nparts; i++) {
		const struct part *pt = &t->parts[i];
		if (pt->var < 0) {
			if (strncmp(p, pt->lit, pt->len) != 0)
				goto nomatch;
			p += pt->len;
			continue;
		}
		/* A variable ends at the next literal (or at the end); it never
		 * spans '/', '?' or '#', and is never empty. */
		const char *end;
		if (i + 1 < t->nparts) {
			const struct part *next = &t->parts[i + 1];
			end = p;
			while (*end && strncmp(end, next->lit, next->len) != 0)
				end++;
			if (*end == '\0')
				goto nomatch;
		} else {
			end = p + strlen(p);
		}
		if (end == p || memchr(p, '/', (size_t)(end - p)) || memchr(p, '?', (size_t)(end - p)) ||
		    memchr(p, '#', (size_t)(end - p)))
			goto nomatch;
		json_t *v = decode(p, (size_t)(end - p));
		if (v == NULL)
			goto nomatch;
		const char *name = t->names[pt->var];
		json_t *prev = json_object_get(out, name);
		if (prev != NULL) {
			int same = json_equal(prev, v);
			json_decref(v);
			if (!same)
				goto nomatch;
		} else if (json_object_set_new(out, name, v) != 0) {
			json_decref(out);
			return MX_ENOMEM;
		}
		p = end;
	}
	if (*p != '\0')
		goto nomatch;
	*vars = out;
	return 1;
nomatch:
	json_decref(out);
	return 0;
}

static int unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_' || c == '~';
}

int mx_uri_template_expand(const struct mx_uri_template *t, const json_t *vars, struct mx_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;
	for (size_t i = 0; i < t->nparts && rc == 0; i++) {
		const struct part *pt = &t->parts[i];
		if (pt->var < 0) {
			rc = mx_buf_append(out, pt->lit, pt->len);
			continue;
		}
		json_t *v = json_object_get(vars, t->names[pt->var]);
		char num[64];
		const char *s = NULL;
		if (json_is_string(v)) {
			s = json_string_value(v);
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			s = num;
		} else if (json_is_real(v)) {
			snprintf(num, sizeof num, "%.17g", json_real_value(v));
			s = num;
		} else if (json_is_boolean(v)) {
			s = json_is_true(v) ? "true" : "false";
		}
		for (; s && *s && rc == 0; s++) {
			unsigned char c = (unsigned char)*s;
			if (unreserved(c)) {
				rc = mx_buf_putc(out, (char)c);
			} else {
				char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
				rc = mx_buf_append(out, enc, 3);
			}
		}
	}
	return rc;
}
