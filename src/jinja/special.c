/* SPDX-License-Identifier: Apache-2.0 */
/*
 * special — the Python values JSON has no type for: tuples, Markup
 * strings, macros, namespace(), cycler(), joiner(), the loop object, and
 * Python's str()/repr() of every value (tuples, Markup, repr's escapes of
 * non-printable characters).
 *
 * A special value is an ordinary jansson value (a tuple is an array, a
 * Markup string a string, a namespace an object) whose address is
 * registered, with its kind, in a table of the running render: everything
 * that treats it as JSON keeps working, and the few places that differ
 * (printing, attributes, calls, escaping) ask the table. The table holds a
 * reference to each value it lists, so an address is never reused while
 * listed; entries nobody else references are swept before the table grows.
 * The table of the render running on this thread is reached through a
 * thread-local pointer (a render never starts another render).
 */
#include "jinja/jinja_int.h"

#include "core/alloc.h"
#include "core/pytext.h"
#include "core/utf8.h"

#include <stdio.h>
#include <string.h>

static _Thread_local struct render *current;

void mx_jinja_special_begin(struct render *r)
{
	current = r;
}

struct render *mx_jinja_current(void)
{
	return current;
}

void mx_jinja_special_end(struct render *r)
{
	for (size_t i = 0; i < r->nspec_cap; i++) {
		json_decref(r->specs[i].j);
		mx_free(r->specs[i].text);
	}
	mx_free(r->specs);
	r->specs = NULL;
	r->nspec = r->nspec_cap = 0;
	mx_jinja_strcache_clear(r);
	current = NULL;
}

static size_t slot_of(const json_t *j, size_t cap)
{
	uintptr_t h = (uintptr_t)j;
	h ^= h >> 17;
	h *= 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 20) & (cap - 1);
}

struct special *mx_jinja_special_find(const json_t *j)
{
	struct render *r = current;
	if (j == NULL || r == NULL || r->nspec == 0)
		return NULL;
	for (size_t i = slot_of(j, r->nspec_cap);; i = (i + 1) & (r->nspec_cap - 1)) {
		if (r->specs[i].j == j)
			return &r->specs[i];
		if (r->specs[i].j == NULL)
			return NULL;
	}
}

int mx_jinja_kind(const json_t *j)
{
	struct special *s = mx_jinja_special_find(j);
	if (s)
		return s->kind;
	return j && json_is_object(j) && mx_jinja_is_datetime(j) ? SK_DATETIME : 0;
}

static int rehash(struct render *r, size_t cap, int sweep)
{
	struct special *old = r->specs, *nv = mx_calloc(cap, sizeof *nv);
	size_t oldcap = r->nspec_cap;
	if (nv == NULL)
		return MX_ENOMEM;
	r->specs = nv;
	r->nspec_cap = cap;
	r->nspec = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].j == NULL)
			continue;
		if (sweep && old[i].j->refcount == 1 && old[i].kind != SK_LOOP) {
			json_decref(old[i].j);
			mx_free(old[i].text);
			continue;
		}
		size_t k = slot_of(old[i].j, cap);
		while (nv[k].j)
			k = (k + 1) & (cap - 1);
		nv[k] = old[i];
		r->nspec++;
	}
	mx_free(old);
	return 0;
}

/* Register j (a new reference is taken) as a value of kind; *out is its entry. */
int mx_jinja_special_add(json_t *j, int kind, struct special **out)
{
	struct render *r = current;
	if (j == NULL || r == NULL)
		return MX_ENOMEM;
	struct special *s = mx_jinja_special_find(j);
	if (s == NULL) {
		if ((r->nspec + 1) * 4 > r->nspec_cap * 3) {
			int rc = rehash(r, r->nspec_cap ? r->nspec_cap : 64, 1);
			if (rc == 0 && (r->nspec + 1) * 2 > r->nspec_cap)
				rc = rehash(r, r->nspec_cap * 2, 0);
			if (rc)
				return rc;
		}
		size_t k = slot_of(j, r->nspec_cap);
		while (r->specs[k].j)
			k = (k + 1) & (r->nspec_cap - 1);
		s = &r->specs[k];
		memset(s, 0, sizeof *s);
		s->j = json_incref(j);
		r->nspec++;
	}
	s->kind = kind;
	if (out)
		*out = s;
	return 0;
}

/* A fresh value of kind from a new reference j (consumed): the value, or an error. */
int mx_jinja_mk_special(json_t *j, int kind, struct val *out)
{
	*out = vundef(NULL, NULL);
	if (j == NULL)
		return MX_ENOMEM;
	int rc = mx_jinja_special_add(j, kind, NULL);
	if (rc) {
		json_decref(j);
		return rc;
	}
	out->j = j;
	return 0;
}

int mx_jinja_mk_tuple(json_t *a, struct val *out)
{
	return mx_jinja_mk_special(a, SK_TUPLE, out);
}

json_t *mx_jinja_pair(const char *k, size_t klen, json_t *v)
{
	json_t *a = json_pack("[s%O]", k, klen, v);
	if (a && mx_jinja_special_add(a, SK_TUPLE, NULL)) {
		json_decref(a);
		return NULL;
	}
	return a;
}

json_t *mx_jinja_undef_item(void)
{
	json_t *o = json_object();
	if (o && mx_jinja_special_add(o, SK_UNDEF, NULL)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int mx_jinja_mk_markup(const char *s, size_t n, struct val *out)
{
	return mx_jinja_mk_special(json_stringn(s, n), SK_MARKUP, out);
}

int mx_jinja_escape_html(struct mx_buf *b, const char *s, size_t n)
{
	int rc = 0;
	size_t run = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *rep;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&#34;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		rc = mx_buf_append(b, s + run, i - run);
		if (rc == 0)
			rc = mx_buf_puts(b, rep);
		run = i + 1;
	}
	return rc ? rc : mx_buf_append(b, s + run, n - run);
}

int mx_jinja_is_markup(const json_t *j)
{
	return j && json_is_string(j) && mx_jinja_kind(j) == SK_MARKUP;
}

/* ------------------------------------------------------------------------
 * Printing: str() and repr().
 * ---------------------------------------------------------------------- */

int mx_jinja_repr_str(struct mx_buf *b, const char *s, size_t n)
{
	int has_sq = memchr(s, '\'', n) != NULL, has_dq = memchr(s, '"', n) != NULL;
	char q = has_sq && !has_dq ? '"' : '\'';
	int rc = mx_buf_putc(b, q);
	for (size_t i = 0; i < n && rc == 0;) {
		size_t start = i;
		uint32_t c = mx_utf8_next(s, n, &i);
		if (c == (uint32_t)q || c == '\\')
			rc = mx_buf_printf(b, "\\%c", (char)c);
		else if (c == '\n')
			rc = mx_buf_puts(b, "\\n");
		else if (c == '\r')
			rc = mx_buf_puts(b, "\\r");
		else if (c == '\t')
			rc = mx_buf_puts(b, "\\t");
		else if (mx_jinja_cp_printable(c))
			rc = mx_buf_append(b, s + start, i - start);
		else if (c < 0x100)
			rc = mx_buf_printf(b, "\\x%02x", c);
		else if (c < 0x10000)
			rc = mx_buf_printf(b, "\\u%04x", c);
		else
			rc = mx_buf_printf(b, "\\U%08x", c);
	}
	return rc ? rc : mx_buf_putc(b, q);
}

static int print_value(struct mx_buf *b, const json_t *j, int repr, int depth);

static int print_seq(struct mx_buf *b, const json_t *j, const char *open, const char *close, int one_comma,
                     int depth)
{
	size_t n = json_array_size(j);
	int rc = mx_buf_puts(b, open);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i)
			rc = mx_buf_puts(b, ", ");
		if (rc == 0)
			rc = print_value(b, json_array_get(j, i), 1, depth + 1);
	}
	if (rc == 0 && one_comma && n == 1)
		rc = mx_buf_putc(b, ',');
	return rc ? rc : mx_buf_puts(b, close);
}

static int print_dict(struct mx_buf *b, const json_t *j, int depth)
{
	const char *k;
	size_t klen, i = 0;
	json_t *v;
	int rc = mx_buf_putc(b, '{');
	json_object_keylen_foreach((json_t *)j, k, klen, v)
	{
		if (rc)
			break;
		if (klen && (unsigned char)k[0] == 0xff)
			continue; /* state of a special object */
		if (i++)
			rc = mx_buf_puts(b, ", ");
		if (rc == 0)
			rc = mx_jinja_repr_str(b, k, klen);
		if (rc == 0)
			rc = mx_buf_puts(b, ": ");
		if (rc == 0)
			rc = print_value(b, v, 1, depth + 1);
	}
	return rc ? rc : mx_buf_putc(b, '}');
}

static int print_value(struct mx_buf *b, const json_t *j, int repr, int depth)
{
	if (depth > MAX_VALUE_DEPTH) {
		if (current)
			current->too_deep = 1;
		return MX_ELIMIT;
	}
	struct special *s = mx_jinja_special_find(j);
	int kind = s ? s->kind : 0;
	if (kind == 0 && json_is_object(j) && mx_jinja_is_datetime(j))
		return mx_jinja_dt_print(b, j, repr);
	switch (json_typeof(j)) {
	case JSON_STRING:
		if (!repr)
			return mx_buf_append(b, json_string_value(j), json_string_length(j));
		if (kind == SK_MARKUP) {
			int rc = mx_buf_puts(b, "Markup(");
			if (rc == 0)
				rc = mx_jinja_repr_str(b, json_string_value(j), json_string_length(j));
			return rc ? rc : mx_buf_putc(b, ')');
		}
		return mx_jinja_repr_str(b, json_string_value(j), json_string_length(j));
	case JSON_ARRAY:
		if (kind == SK_TUPLE || kind == SK_GROUP)
			return print_seq(b, j, "(", ")", 1, depth);
		return print_seq(b, j, "[", "]", 0, depth);
	case JSON_OBJECT:
		switch (kind) {
		case SK_NAMESPACE: {
			int rc = mx_buf_puts(b, "<Namespace ");
			if (rc == 0)
				rc = print_dict(b, j, depth);
			return rc ? rc : mx_buf_putc(b, '>');
		}
		case SK_MACRO: return mx_buf_printf(b, "<Macro '%s'>", s->name ? s->name : "caller");
		case SK_CYCLER: return mx_buf_puts(b, "<jinja2.utils.Cycler object>");
		case SK_JOINER: return mx_buf_puts(b, "<jinja2.utils.Joiner object>");
		case SK_LOOP: return mx_buf_puts(b, "<LoopContext>");
		case SK_UNDEF: return repr ? mx_buf_puts(b, "Undefined") : 0;
		case SK_METHOD:
			return mx_buf_printf(b, "<built-in method %s of %s object>",
			                     json_string_value(json_object_getn(j, "\xffname", 5)),
			                     mx_pytext_type(json_object_getn(j, "\xffself", 5)));
		default: return print_dict(b, j, depth);
		}
	case JSON_REAL:
		if (kind == SK_BIGINT)
			return mx_buf_puts(b, s->text);
		if (kind == SK_FLOATX)
			return mx_pytext_put_float(b, s->d);
		return mx_pytext_str(b, j);
	default: return mx_pytext_str(b, j);
	}
}

/* str(v) appended to b; Undefined prints as nothing. */
int mx_jinja_print(struct mx_buf *b, const json_t *j, int repr)
{
	if (j == NULL)
		return 0;
	return print_value(b, j, repr, 0);
}
