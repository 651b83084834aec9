/* SPDX-License-Identifier: Apache-2.0 */
/* validate — see validate.h. Messages are MXCP's; locations are ours. */
#include "exec/validate.h"

#include "exec/executor.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "jinja/jinja.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Python's repr of a set of strings, sorted: {'a', 'b'} or set(). */
static void set_repr(struct mx_buf *b, json_t *names)
{
	if (json_array_size(names) == 0) {
		mx_buf_puts(b, "set()");
		return;
	}
	size_t i;
	json_t *v;
	mx_buf_putc(b, '{');
	json_array_foreach (names, i, v) {
		mx_buf_printf(b, "%s'%s'", i ? ", " : "", json_string_value(v));
	}
	mx_buf_putc(b, '}');
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

static json_t *sorted_difference(json_t *a, json_t *b)
{
	json_t *out = json_array();
	size_t i, j;
	json_t *x, *y;
	json_array_foreach (a, i, x) {
		int found = 0;
		json_array_foreach (b, j, y) {
			found |= strcmp(json_string_value(x), json_string_value(y)) == 0;
		}
		if (!found)
			json_array_append(out, x);
	}
	size_t n = json_array_size(out);
	if (n > 1) {
		json_t **v = mx_calloc(n, sizeof *v);
		if (v) {
			for (i = 0; i < n; i++)
				v[i] = json_incref(json_array_get(out, i));
			qsort(v, n, sizeof *v, cmp_json_str);
			json_array_clear(out);
			for (i = 0; i < n; i++)
				json_array_append_new(out, v[i]);
			mx_free(v);
		}
	}
	return out;
}

static int validate_prompt(const struct mx_endpoint *ep, struct mx_err *err)
{
	for (size_t i = 0; i < ep->nmessages; i++) {
		const struct mx_prompt_message *m = &ep->messages[i];
		if (m->tmpl == NULL) { /* compile again, for the reason */
			struct mx_jinja_template *t = NULL;
			struct mx_err terr;
			mx_jinja_compile(m->prompt, &t, &terr);
			mx_jinja_free(t);
			return mx_err_at(err, MX_EINVAL, ep->path, m->line, m->col, "Message %zu: %s", i,
			                 terr.msg);
		}
		json_t *vars = mx_jinja_free_variables(m->tmpl);
		struct mx_buf undefined;
		mx_buf_init(&undefined, 1 << 16);
		size_t k;
		json_t *v;
		json_array_foreach (vars, k, v) {
			const char *name = json_string_value(v);
			int declared = 0;
			for (size_t p = 0; p < ep->nparams; p++)
				declared |= strcmp(ep->params[p]->name, name) == 0;
			if (!declared)
				mx_buf_printf(&undefined, "%s%s", undefined.len ? ", " : "", name);
		}
		json_decref(vars);
		if (undefined.len) {
			mx_err_at(err, MX_EINVAL, ep->path, m->line, m->col,
			          "Message %zu uses undefined template variables: %s", i,
			          mx_buf_str(&undefined));
			mx_buf_free(&undefined);
			return MX_EINVAL;
		}
		mx_buf_free(&undefined);
	}
	return 0;
}

static int validate_resource_uri(const struct mx_endpoint *ep, struct mx_err *err)
{
	json_t *vars = mx_uri_template_vars(ep->uri);
	struct mx_buf unused;
	mx_buf_init(&unused, 1 << 16);
	for (size_t i = 0; i < ep->nparams; i++) {
		int found = 0;
		size_t k;
		json_t *v;
		json_array_foreach (vars, k, v) {
			found |= strcmp(json_string_value(v), ep->params[i]->name) == 0;
		}
		if (!found)
			mx_buf_printf(&unused, "%s'%s'", unused.len ? ", " : "", ep->params[i]->name);
	}
	json_decref(vars);
	int rc = 0;
	if (unused.len)
		rc = mx_err_at(
		        err, MX_EINVAL, ep->path, ep->line, ep->col,
		        "Resource parameter(s) [%s] are not used in uri '%s'. Put them in the uri or make a "
		        "'tool:' instead.",
		        mx_buf_str(&unused), ep->uri);
	mx_buf_free(&unused);
	return rc;
}

/* Where the SQL is, as a person finds it: "sql/x.sql" (project-relative)
 * or the endpoint's own file, and the line its text starts on. */
static const char *sql_where(const struct mx_endpoint *ep, int *first_line)
{
	if (ep->source_path == NULL) {
		*first_line = ep->code_line;
		return ep->relpath;
	}
	*first_line = 1;
	size_t plen = strlen(ep->path), rlen = strlen(ep->relpath);
	size_t root = plen > rlen ? plen - rlen : 0; /* ep->path = <root>/<relpath> */
	if (root > 0 && strncmp(ep->source_path, ep->path, root) == 0)
		return ep->source_path + root;
	return ep->source_path;
}

/* The line (0-based, in sql) of the first $name not followed by a name
 * character, or -1. */
static int find_param_line(const char *sql, const char *name)
{
	size_t n = strlen(name);
	int line = 0;
	for (const char *p = sql; *p; p++) {
		if (*p == '\n')
			line++;
		if (*p != '$' || strncmp(p + 1, name, n) != 0)
			continue;
		char c = p[1 + n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return line;
	}
	return -1;
}

/* After MXCP's "Parameter mismatch: …" (kept first: tools read it), where
 * each name is and what to do about it. Returns the line to point at. */
static int explain_mismatch(struct mx_buf *b, const struct mx_endpoint *ep, json_t *missing, json_t *extra,
                            int *at_col)
{
	int first = 0, at = 0;
	*at_col = 1;
	const char *where = sql_where(ep, &first);
	size_t i;
	json_t *v;
	json_array_foreach (extra, i, v) {
		const char *name = json_string_value(v);
		const struct mx_type *t = NULL;
		for (size_t k = 0; k < ep->nparams && t == NULL; k++)
			if (strcmp(ep->params[k]->name, name) == 0)
				t = ep->params[k];
		mx_buf_printf(b, "\n  - parameter '%s'", name);
		if (t && t->line > 0) {
			mx_buf_printf(b, " (%s:%d)", ep->relpath, t->line);
			if (at == 0) {
				at = t->line;
				*at_col = t->col > 0 ? t->col : 1;
			}
		}
		mx_buf_printf(b, " is declared but not used in the SQL");
		if (first > 0)
			mx_buf_printf(b, " (%s:%d)", where, first);
		mx_buf_printf(b, ": remove it or use $%s", name);
	}
	json_array_foreach (missing, i, v) {
		const char *name = json_string_value(v);
		int l = find_param_line(ep->source_code, name);
		mx_buf_printf(b, "\n  - the SQL uses $%s", name);
		if (first > 0 && l >= 0) {
			mx_buf_printf(b, " (%s:%d)", where, first + l);
			if (at == 0 && ep->source_path == NULL)
				at = first + l;
		}
		mx_buf_printf(b, ", which is not a declared parameter: add it under parameters: or remove it "
		                 "from the SQL");
	}
	return at;
}

static int validate_sql(const struct mx_endpoint *ep, struct mx_dbconn *conn, struct mx_err *err)
{
	int line = ep->source_path ? ep->source_line : ep->line;
	int col = ep->source_path ? ep->source_col : ep->col;
	if (ep->source_code == NULL)
		return mx_err_at(err, MX_EINVAL, ep->path, line, col,
		                 "Error resolving source code: source file not found: %s (%s)",
		                 ep->source_file_raw, ep->source_path);
	if (ep->source_code[strspn(ep->source_code, " \t\r\n")] == '\0')
		return mx_err_at(err, MX_EINVAL, ep->path, line, col, "No SQL query found");
	if (conn == NULL)
		return 0;
	json_t *names = NULL;
	struct mx_err serr;
	if (mx_sql_check(conn, ep->source_code, &names, &serr))
		return mx_err_at(err, MX_EINVAL, ep->path, line, col,
		                 "Source code syntax validation failed: %s", serr.msg);
	json_t *declared = json_array();
	for (size_t i = 0; i < ep->nparams; i++)
		json_array_append_new(declared, json_string(ep->params[i]->name));
	json_t *missing = sorted_difference(names, declared);
	json_t *extra = sorted_difference(declared, names);
	int rc = 0;
	if (json_array_size(missing) || json_array_size(extra)) {
		struct mx_buf b;
		mx_buf_init(&b, 1 << 16);
		mx_buf_puts(&b, "Parameter mismatch: missing=");
		set_repr(&b, missing);
		mx_buf_puts(&b, ", extra=");
		set_repr(&b, extra);
		int at_col = 1;
		int at = explain_mismatch(&b, ep, missing, extra, &at_col);
		rc = mx_err_at(err, MX_EINVAL, ep->path, at > 0 ? at : line, at > 0 ? at_col : col, "%s",
		               mx_buf_str(&b));
		mx_buf_free(&b);
	}
	json_decref(missing);
	json_decref(extra);
	json_decref(declared);
	json_decref(names);
	return rc;
}

int mx_validate_endpoint(const struct mx_endpoint *ep, struct mx_dbconn *conn, struct mx_err *err)
{
	if (ep->kind == MX_EP_PROMPT)
		return validate_prompt(ep, err);
	if (ep->kind == MX_EP_RESOURCE && validate_resource_uri(ep, err))
		return MX_EINVAL;
	if (ep->language == MX_LANG_PYTHON) {
		if (ep->source_path == NULL)
			return mx_err_at(err, MX_EINVAL, ep->path, ep->line, ep->col,
			                 "Python endpoints must specify source.file");
		if (access(ep->source_path, R_OK) != 0)
			return mx_err_at(err, MX_EINVAL, ep->path, ep->source_line, ep->source_col,
			                 "Python source file not found: %s", ep->source_path);
		const struct mx_executor *x = mx_executor_of(ep);
		return x && x->validate ? x->validate(ep, err) : 0;
	}
	return validate_sql(ep, conn, err);
}
