/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jinja — compiling a template: the arena every compiled node, name and
 * string lives in, the error helper of the compile and render phases, and the
 * public compile / free / free-variables entry points (rendering is in
 * eval.c). See jinja_int.h for the layout of the engine.
 */
#include "jinja/jinja_int.h"

#include "core/alloc.h"
#include "core/utf8.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Arena: every node, name and string of a compiled template.
 * ---------------------------------------------------------------------- */

struct arena {
	struct arena *next;
	size_t used, cap;
	max_align_t data[];
};

void *mx_jinja_arena_alloc(struct arena **head, size_t n)
{
	size_t unit = sizeof(max_align_t);
	n = n ? (n + unit - 1) / unit * unit : unit;
	struct arena *c = *head;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > 16384 ? n : 16384;
		c = mx_malloc(sizeof *c + cap);
		if (c == NULL)
			return NULL;
		c->next = *head;
		c->used = 0;
		c->cap = cap;
		*head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

static void arena_free(struct arena *a)
{
	while (a) {
		struct arena *next = a->next;
		mx_free(a);
		a = next;
	}
}

char *mx_jinja_arena_strndup(struct arena **a, const char *s, size_t n)
{
	char *p = mx_jinja_arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Grow an arena-backed vector of n elements to twice its capacity. */
void *mx_jinja_vec_grow(struct arena **a, void *old, size_t n, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 4;
	void *nv = mx_jinja_arena_alloc(a, ncap * elem);
	if (nv == NULL)
		return NULL;
	if (n)
		memcpy(nv, old, n * elem);
	*cap = ncap;
	return nv;
}
/* ------------------------------------------------------------------------
 * Errors: "line L, column C: message", the first one wins.
 * ---------------------------------------------------------------------- */

__attribute__((format(printf, 5, 0))) int mx_jinja_fail_atv(struct mx_err *err, int code, int line, int col,
                                                            const char *fmt, va_list ap)
{
	if (err == NULL || err->msg[0])
		return code;
	char msg[MX_ERR_MSG_MAX - 64];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (line > 0)
		mx_err_set(err, code, "line %d, column %d: %s", line, col, msg);
	else
		mx_err_set(err, code, "%s", msg);
	err->line = line;
	err->col = col;
	return code;
}
/* ------------------------------------------------------------------------
 * Public API.
 * ---------------------------------------------------------------------- */

/* Jinja's lexer: \r\n and \r become \n, and one trailing newline goes. */
static char *normalize_source(struct arena **a, const char *text, size_t n, size_t *outn)
{
	char *s = mx_jinja_arena_alloc(a, n + 1);
	if (s == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\r') {
			s[o++] = '\n';
			if (i + 1 < n && text[i + 1] == '\n')
				i++;
		} else {
			s[o++] = text[i];
		}
	}
	if (o && s[o - 1] == '\n')
		o--;
	s[o] = '\0';
	*outn = o;
	return s;
}

int mx_jinja_compile(const char *text, struct mx_jinja_template **out, struct mx_err *err)
{
	*out = NULL;
	mx_err_clear(err);
	if (text == NULL)
		return mx_err_set(err, MX_EINVAL, "no template text");
	size_t n = strlen(text);
	if (n > MX_JINJA_MAX_SOURCE)
		return mx_err_set(err, MX_ELIMIT, "template too large (%zu bytes, limit %zu)", n,
		                  MX_JINJA_MAX_SOURCE);
	if (!mx_utf8_valid(text, n))
		return mx_err_set(err, MX_EINVAL, "template is not valid UTF-8");
	struct mx_jinja_template *t = mx_calloc(1, sizeof *t);
	if (t == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	struct lexer lx = {.arena = &t->arena, .err = err};
	int rc = 0;
	if ((lx.s = normalize_source(&t->arena, text, n, &lx.n)) == NULL)
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	if (rc == 0)
		rc = mx_jinja_lex(&lx);
	if (rc == 0) {
		struct parser p = {.t = lx.toks, .ntoks = lx.ntoks, .arena = &t->arena, .err = err};
		if (mx_jinja_parse_body(&p, NULL, 0, &t->body))
			rc = p.failed ? p.failed : MX_EINVAL;
		else
			rc = mx_jinja_check_unknown_filters(&p);
	}
	mx_free(lx.toks);
	if (rc == 0 && (rc = mx_jinja_compute_free_vars(t)) != 0)
		mx_err_set(err, rc, "out of memory");
	if (rc) {
		if (err && err->msg[0] == '\0')
			mx_err_set(err, rc, "%s", mx_strerror(rc));
		mx_jinja_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void mx_jinja_free(struct mx_jinja_template *t)
{
	if (t == NULL)
		return;
	arena_free(t->arena);
	mx_free(t);
}

json_t *mx_jinja_free_variables(const struct mx_jinja_template *t)
{
	json_t *a = json_array();
	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < t->nfree; i++)
		if (json_array_append_new(a, json_string(t->free_vars[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}
