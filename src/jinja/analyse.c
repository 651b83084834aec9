/* SPDX-License-Identifier: Apache-2.0 */
/*
 * analyse — the free variables of a compiled template, computed once at
 * compile and kept, sorted, in its arena.
 */
#include "jinja/jinja_int.h"

#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Free variables, as jinja2.meta.find_undeclared_variables computes them.
 *
 * Jinja resolves names per frame: the template's top level is one frame,
 * each {% for %} body (and its else, its filter, a block set's body) is a
 * child frame analysed after its parent is complete. Within a frame, a
 * name read before it is assigned comes from the context. An {% if %} has
 * three branches (body, all elifs, else); a name assigned in some but not
 * all of them, and not bound in an enclosing frame, is also read from the
 * context (Jinja initialises it from there) — so it counts as free.
 * Globals (range, dict, ...) are never free.
 * ---------------------------------------------------------------------- */

struct sym_frame {
	const struct sym_frame *parent;
	json_t *stores;
	json_t *refs;
};

struct analysis {
	json_t *free;
	int rc;
};

static int is_global(const char *name)
{
	static const char *const globals[] = {"range", "dict", "lipsum", "cycler", "joiner", "namespace"};
	for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++)
		if (strcmp(name, globals[i]) == 0)
			return 1;
	return 0;
}

static int sym_find(const struct sym_frame *f, const char *name)
{
	for (; f; f = f->parent)
		if (json_object_get(f->refs, name))
			return 1;
	return 0;
}

static void sym_add(struct analysis *an, json_t *set, const char *name)
{
	if (json_object_set_new(set, name, json_true()))
		an->rc = MX_ENOMEM;
}

static void sym_free_name(struct analysis *an, const char *name)
{
	if (!is_global(name))
		sym_add(an, an->free, name);
}

static void sym_load(struct analysis *an, struct sym_frame *f, const char *name)
{
	if (sym_find(f, name))
		return;
	sym_add(an, f->refs, name);
	sym_free_name(an, name);
}

static void sym_store(struct analysis *an, struct sym_frame *f, const char *name)
{
	sym_add(an, f->stores, name);
	sym_add(an, f->refs, name);
}

static int sym_init(struct analysis *an, struct sym_frame *f, const struct sym_frame *parent)
{
	f->parent = parent;
	f->stores = json_object();
	f->refs = json_object();
	if (f->stores == NULL || f->refs == NULL) {
		an->rc = MX_ENOMEM;
		return -1;
	}
	return 0;
}

static void sym_fini(struct sym_frame *f)
{
	json_decref(f->stores);
	json_decref(f->refs);
}

static int sym_copy(struct analysis *an, struct sym_frame *dst, const struct sym_frame *src)
{
	dst->parent = src->parent;
	dst->stores = json_copy(src->stores);
	dst->refs = json_copy(src->refs);
	if (dst->stores == NULL || dst->refs == NULL) {
		an->rc = MX_ENOMEM;
		return -1;
	}
	return 0;
}

static void visit_expr(struct analysis *an, struct sym_frame *f, const struct expr *e)
{
	if (e == NULL)
		return;
	if (e->kind == E_NAME) {
		sym_load(an, f, e->name);
		return;
	}
	visit_expr(an, f, e->a);
	visit_expr(an, f, e->b);
	visit_expr(an, f, e->c);
	for (size_t i = 0; i < e->nargs; i++)
		visit_expr(an, f, e->args[i]);
	for (size_t i = 0; i < e->nvals; i++)
		visit_expr(an, f, e->vals[i]);
}

struct pending {
	const struct stmt **v;
	size_t n, cap;
};

static void visit_stmts(struct analysis *an, struct sym_frame *f, const struct stmt *s, struct pending *pend);
static void analyze_frame(struct analysis *an, const struct sym_frame *parent, const struct stmt *body,
                          const char *const *params, size_t nparams, const struct expr *test);

static void branch_update(struct analysis *an, struct sym_frame *f, struct sym_frame *br, int nbr)
{
	json_t *counts = json_object();
	if (counts == NULL) {
		an->rc = MX_ENOMEM;
		return;
	}
	const char *name;
	json_t *v;
	for (int i = 0; i < nbr; i++)
		json_object_foreach (br[i].stores, name, v) {
			if (json_object_get(f->stores, name))
				continue;
			json_t *c = json_object_get(counts, name);
			if (json_object_set_new(counts, name,
			                        json_integer(c ? json_integer_value(c) + 1 : 1)))
				an->rc = MX_ENOMEM;
		}
	for (int i = 0; i < nbr; i++) {
		if (json_object_update(f->refs, br[i].refs) || json_object_update(f->stores, br[i].stores))
			an->rc = MX_ENOMEM;
	}
	json_object_foreach (counts, name, v) {
		if (json_integer_value(v) == nbr)
			continue;
		if (f->parent && sym_find(f->parent, name))
			continue;
		sym_free_name(an, name);
	}
	json_decref(counts);
}

/* Jinja's If(test, body, elif_=[If...], else_): three branches. */
static void visit_if(struct analysis *an, struct sym_frame *f, struct expr *const *conds,
                     struct stmt *const *bodies, size_t n, const struct stmt *else_body, struct pending *pend)
{
	visit_expr(an, f, conds[0]);
	struct sym_frame br[3];
	int ok = 1;
	for (int i = 0; i < 3; i++)
		br[i].stores = br[i].refs = NULL;
	for (int i = 0; i < 3; i++)
		if (sym_copy(an, &br[i], f))
			ok = 0;
	if (ok) {
		visit_stmts(an, &br[0], bodies[0], pend);
		for (size_t i = 1; i < n; i++)
			visit_if(an, &br[1], conds + i, bodies + i, 1, NULL, pend);
		visit_stmts(an, &br[2], else_body, pend);
		branch_update(an, f, br, 3);
	}
	for (int i = 0; i < 3; i++)
		sym_fini(&br[i]);
}

static void visit_stmts(struct analysis *an, struct sym_frame *f, const struct stmt *s, struct pending *pend)
{
	for (; s && an->rc == 0; s = s->next) {
		switch (s->kind) {
		case S_DATA: break;
		case S_OUTPUT: visit_expr(an, f, s->expr); break;
		case S_SET:
			visit_expr(an, f, s->expr);
			if (s->attr) {
				sym_load(an, f, s->targets[0]); /* {% set ns.attr %} reads ns */
				break;
			}
			for (size_t i = 0; i < s->ntargets; i++)
				sym_store(an, f, s->targets[i]);
			break;
		case S_WITH:
			for (size_t i = 0; i < s->nconds; i++)
				visit_expr(an, f, s->conds[i]);
			analyze_frame(an, f, s->body, s->targets, s->ntargets, NULL);
			break;
		case S_MACRO:
		case S_CALLBLOCK: {
			const char *names[MAX_CALL_ARGS + 3];
			size_t nn = 0;
			for (size_t i = 0; i < s->nconds; i++)
				visit_expr(an, f, s->conds[i]);
			if (s->kind == S_MACRO)
				sym_store(an, f, s->text);
			else
				visit_expr(an, f, s->expr);
			for (size_t k = 0; k < s->ntargets && nn < MAX_CALL_ARGS; k++)
				names[nn++] = s->targets[k];
			names[nn++] = "varargs";
			names[nn++] = "kwargs";
			names[nn++] = "caller";
			analyze_frame(an, f, s->body, names, nn, NULL);
			break;
		}
		case S_FILTERBLOCK:
			visit_expr(an, f, s->expr);
			visit_stmts(an, f, s->body, pend);
			break;
		case S_SETBLOCK:
			sym_store(an, f, s->targets[0]);
			/* fall through */
		case S_FOR:
			if (s->kind == S_FOR)
				visit_expr(an, f, s->expr);
			if (pend->n == pend->cap) {
				size_t ncap = pend->cap ? pend->cap * 2 : 8;
				const struct stmt **nv = mx_realloc(pend->v, ncap * sizeof *nv);
				if (nv == NULL) {
					an->rc = MX_ENOMEM;
					return;
				}
				pend->v = nv;
				pend->cap = ncap;
			}
			pend->v[pend->n++] = s;
			break;
		case S_IF: visit_if(an, f, s->conds, s->bodies, s->nconds, s->else_body, pend); break;
		}
	}
}

static void analyze_frame(struct analysis *an, const struct sym_frame *parent, const struct stmt *body,
                          const char *const *params, size_t nparams, const struct expr *test)
{
	struct sym_frame f;
	struct pending pend = {NULL, 0, 0};
	if (sym_init(an, &f, parent) == 0) {
		for (size_t i = 0; i < nparams; i++)
			sym_store(an, &f, params[i]);
		visit_expr(an, &f, test);
		visit_stmts(an, &f, body, &pend);
		for (size_t i = 0; i < pend.n && an->rc == 0; i++) {
			const struct stmt *s = pend.v[i];
			if (s->kind == S_SETBLOCK) {
				analyze_frame(an, &f, s->body, NULL, 0, NULL);
				continue;
			}
			if (s->filter)
				analyze_frame(an, &f, NULL, s->targets, s->ntargets, s->filter);
			const char *names[MAX_CALL_ARGS + 1];
			size_t nn = 0;
			for (size_t k = 0; k < s->ntargets && nn < MAX_CALL_ARGS; k++)
				names[nn++] = s->targets[k];
			names[nn++] = "loop";
			analyze_frame(an, &f, s->body, names, nn, NULL);
			if (s->else_body)
				analyze_frame(an, &f, s->else_body, NULL, 0, NULL);
		}
	}
	mx_free(pend.v);
	sym_fini(&f);
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int mx_jinja_compute_free_vars(struct mx_jinja_template *t)
{
	struct analysis an = {json_object(), 0};
	if (an.free == NULL)
		return MX_ENOMEM;
	analyze_frame(&an, NULL, t->body, NULL, 0, NULL);
	size_t n = json_object_size(an.free), i = 0;
	if (an.rc == 0 && n) {
		t->free_vars = mx_jinja_arena_alloc(&t->arena, n * sizeof *t->free_vars);
		if (t->free_vars == NULL)
			an.rc = MX_ENOMEM;
	}
	if (an.rc == 0) {
		const char *name;
		json_t *v;
		json_object_foreach (an.free, name, v) {
			if ((t->free_vars[i++] = mx_jinja_arena_strndup(&t->arena, name, strlen(name))) ==
			    NULL)
				an.rc = MX_ENOMEM;
		}
		t->nfree = n;
		if (n)
			qsort(t->free_vars, n, sizeof *t->free_vars, cmp_cstr);
	}
	json_decref(an.free);
	return an.rc;
}
