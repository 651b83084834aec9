/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lint — MXCP's lint rules (raw-labs/mxcp interfaces/cli/lint.py) plus ours.
 *
 * Rules run over the loaded, immutable endpoint structs in MXCP's order:
 * description, tags, tests (not prompts), parameters (description — the one
 * error —, examples, default, nested types), return (description, nested
 * types; a property without one gives MXCP's pair "Property … / Type …"),
 * annotations (tools). Our own checks follow, never above `warning`.
 * Locations are MXCP's dotted paths; lines come from re-reading the file.
 * Runs on the calling thread; nothing is kept between calls.
 */
#include "quality/lint.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/yaml.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* A description longer than this crowds the model's context. */
#define LINT_LONG_DESCRIPTION 1024

const char *mx_lint_severity_name(enum mx_lint_severity s)
{
	return s == MX_LINT_ERROR ? "error" : s == MX_LINT_WARNING ? "warning" : "info";
}

struct lint {
	const struct mx_endpoint *ep;
	const char *kind; /* "tool", "resource", "prompt" */
	const struct mx_yaml_node *root;
	json_t *issues;
};

/* ------------------------------------------------------------ locations */

int mx_lint_locate(const struct mx_yaml_node *root, const char *location)
{
	const struct mx_yaml_node *n = root;
	int line = root ? root->line : 0;
	const char *p = location;
	char key[512];
	while (n && *p) {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			char *end;
			unsigned long idx = strtoul(p + 1, &end, 10);
			p = *end == ']' ? end + 1 : end;
			if (n->kind != MX_YAML_SEQ || idx >= n->n)
				break;
			n = n->items[idx];
		} else {
			size_t len = strcspn(p, ".[");
			if (len >= sizeof key)
				break;
			memcpy(key, p, len);
			key[len] = 0;
			p += len;
			if (n->kind != MX_YAML_MAP)
				break;
			const struct mx_yaml_node *k = mx_yaml_map_key(n, key);
			if (!k)
				break;
			line = k->line;
			n = mx_yaml_map_get(n, key);
			if (!n)
				break;
			continue;
		}
		line = n->line;
	}
	return line;
}

/* --------------------------------------------------------------- issues */

static void add(struct lint *L, enum mx_lint_severity sev, const char *location, const char *message,
                const char *suggestion)
{
	json_t *issue = json_pack("{s:s, s:s, s:s, s:s}", "severity", mx_lint_severity_name(sev), "path",
	                          L->ep->relpath, "location", location, "message", message);
	if (suggestion)
		json_object_set_new(issue, "suggestion", json_string(suggestion));
	json_object_set_new(issue, "line", json_integer(mx_lint_locate(L->root, location)));
	json_array_append_new(L->issues, issue);
}

/* add() with printf-style location and message. */
static void addf(struct lint *L, enum mx_lint_severity sev, const char *suggestion, const char *location,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void addf(struct lint *L, enum mx_lint_severity sev, const char *suggestion, const char *location,
                 const char *fmt, ...)
{
	struct mx_buf m;
	va_list ap;
	mx_buf_init(&m, 1 << 16);
	va_start(ap, fmt);
	mx_buf_vprintf(&m, fmt, ap);
	va_end(ap);
	add(L, sev, location, mx_buf_str(&m), suggestion);
	mx_buf_free(&m);
}

static int empty(const char *s)
{
	return s == NULL || *s == 0;
}

/* ---------------------------------------------------------- MXCP's rules */

static void lint_properties(struct lint *L, const struct mx_type *t, const char *loc, int depth);

static void lint_nested(struct lint *L, const struct mx_type *t, const char *loc, int depth)
{
	if (depth > 32)
		return;
	if (empty(t->description))
		addf(L, MX_LINT_WARNING, "Add a 'description' field to help LLMs understand this type", loc,
		     "Type '%s' is missing a description", mx_type_kind_name(t->kind));
	struct mx_buf sub;
	mx_buf_init(&sub, 1 << 16);
	if (t->kind == MX_T_ARRAY && t->items) {
		mx_buf_printf(&sub, "%s.items", loc);
		lint_nested(L, t->items, mx_buf_str(&sub), depth + 1);
	} else if (t->kind == MX_T_OBJECT && t->nproperties) {
		mx_buf_printf(&sub, "%s.properties", loc);
		lint_properties(L, t, mx_buf_str(&sub), depth + 1);
	}
	mx_buf_free(&sub);
}

static void lint_properties(struct lint *L, const struct mx_type *t, const char *loc, int depth)
{
	for (size_t i = 0; i < t->nproperties; i++) {
		struct mx_buf sub;
		mx_buf_init(&sub, 1 << 16);
		mx_buf_printf(&sub, "%s.%s", loc, t->properties[i].name);
		if (empty(t->properties[i].type->description))
			addf(L, MX_LINT_WARNING,
			     "Add a 'description' field to help LLMs understand this property",
			     mx_buf_str(&sub), "Property '%s' is missing a description",
			     t->properties[i].name);
		lint_nested(L, t->properties[i].type, mx_buf_str(&sub), depth);
		mx_buf_free(&sub);
	}
}

/* The nested part of a parameter or return type (not the type itself). */
static void lint_children(struct lint *L, const struct mx_type *t, const char *loc)
{
	struct mx_buf sub;
	mx_buf_init(&sub, 1 << 16);
	if (t->kind == MX_T_ARRAY && t->items) {
		mx_buf_printf(&sub, "%s.items", loc);
		lint_nested(L, t->items, mx_buf_str(&sub), 0);
	} else if (t->kind == MX_T_OBJECT && t->nproperties) {
		mx_buf_printf(&sub, "%s.properties", loc);
		lint_properties(L, t, mx_buf_str(&sub), 0);
	}
	mx_buf_free(&sub);
}

static void lint_mxcp_rules(struct lint *L)
{
	const struct mx_endpoint *ep = L->ep;
	char loc[1024], cap[16];
	snprintf(cap, sizeof cap, "%s", L->kind);
	cap[0] = (char)toupper((unsigned char)cap[0]);

	snprintf(loc, sizeof loc, "%s.description", L->kind);
	if (empty(ep->description))
		addf(L, MX_LINT_WARNING,
		     "Add a 'description' field to help LLMs understand what this endpoint does", loc,
		     "%s is missing a description", cap);
	snprintf(loc, sizeof loc, "%s.tags", L->kind);
	if (json_array_size(ep->tags) == 0)
		addf(L, MX_LINT_INFO, "Consider adding tags to help categorize and discover this endpoint",
		     loc, "%s has no tags", cap);
	if (ep->kind != MX_EP_PROMPT) {
		if (json_array_size(ep->tests) == 0) {
			snprintf(loc, sizeof loc, "%s.tests", L->kind);
			addf(L, MX_LINT_WARNING,
			     "Add at least one test case to ensure the endpoint works correctly", loc,
			     "%s has no tests defined", cap);
		}
		size_t i;
		json_t *t;
		json_array_foreach (ep->tests, i, t) {
			const char *d = json_string_value(json_object_get(t, "description"));
			if (!empty(d))
				continue;
			const char *name = json_string_value(json_object_get(t, "name"));
			snprintf(loc, sizeof loc, "%s.tests[%zu].description", L->kind, i);
			addf(L, MX_LINT_INFO, "Add a 'description' field to explain what this test validates",
			     loc, "Test '%s' is missing a description", name ? name : "");
		}
	}
	for (size_t i = 0; i < ep->nparams; i++) {
		const struct mx_type *pt = ep->params[i];
		const char *name = pt->name ? pt->name : "";
		snprintf(loc, sizeof loc, "%s.parameters[%zu].description", L->kind, i);
		if (empty(pt->description))
			addf(L, MX_LINT_ERROR,
			     "Add a 'description' field to explain what this parameter does", loc,
			     "Parameter '%s' is missing a description", name);
		snprintf(loc, sizeof loc, "%s.parameters[%zu].examples", L->kind, i);
		if (json_array_size(pt->examples) == 0)
			addf(L, MX_LINT_INFO,
			     "Consider adding an 'examples' array to help LLMs understand valid inputs", loc,
			     "Parameter '%s' has no examples", name);
		snprintf(loc, sizeof loc, "%s.parameters[%zu].default", L->kind, i);
		if (pt->default_value == NULL)
			addf(L, MX_LINT_INFO, "Consider adding a 'default' value for optional parameters",
			     loc, "Parameter '%s' has no default value", name);
		snprintf(loc, sizeof loc, "%s.parameters[%zu]", L->kind, i);
		lint_children(L, pt, loc);
	}
	if (ep->ret) {
		snprintf(loc, sizeof loc, "%s.return.description", L->kind);
		if (empty(ep->ret->description))
			addf(L, MX_LINT_WARNING,
			     "Add a 'description' field to help LLMs understand the output format", loc,
			     "Return type is missing a description");
		snprintf(loc, sizeof loc, "%s.return", L->kind);
		lint_children(L, ep->ret, loc);
	}
	if (ep->kind == MX_EP_TOOL && json_object_size(ep->annotations) == 0) {
		snprintf(loc, sizeof loc, "%s.annotations", L->kind);
		add(L, MX_LINT_INFO, loc, "Tool has no behavioral annotations",
		    "Consider adding annotations like readOnlyHint, idempotentHint to help LLMs use the tool "
		    "safely");
	}
}

/* ------------------------------------------------------------ our rules */

static int snake_case(const char *s)
{
	if (!s || !(islower((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

/* Words in a tool's name that say it changes or removes data. */
static const char *destructive_word(const char *name)
{
	static const char *const WORDS[] = {"delete", "drop",  "remove", "destroy", "truncate",
	                                    "purge",  "erase", "wipe",   "revoke",  NULL};
	for (size_t i = 0; WORDS[i]; i++)
		if (name && strstr(name, WORDS[i]))
			return WORDS[i];
	return NULL;
}

/* First sensitive field under t, its dotted path written to out. */
static int find_sensitive(const struct mx_type *t, char *out, size_t outsz, const char *at, int depth)
{
	if (!t || depth > 32)
		return 0;
	if (t->sensitive) {
		snprintf(out, outsz, "%s", *at ? at : "(the whole result)");
		return 1;
	}
	struct mx_buf sub;
	int found = 0;
	mx_buf_init(&sub, 1 << 16);
	if (t->items) {
		mx_buf_printf(&sub, "%s[]", at);
		found = find_sensitive(t->items, out, outsz, mx_buf_str(&sub), depth + 1);
	}
	for (size_t i = 0; !found && i < t->nproperties; i++) {
		mx_buf_reset(&sub);
		mx_buf_printf(&sub, "%s%s%s", at, *at ? "." : "", t->properties[i].name);
		found = find_sensitive(t->properties[i].type, out, outsz, mx_buf_str(&sub), depth + 1);
	}
	mx_buf_free(&sub);
	return found;
}

static void lint_our_rules(struct lint *L)
{
	const struct mx_endpoint *ep = L->ep;
	char loc[1024];
	size_t len = ep->description ? strlen(ep->description) : 0;
	if (len > LINT_LONG_DESCRIPTION) {
		snprintf(loc, sizeof loc, "%s.description", L->kind);
		addf(L, MX_LINT_WARNING,
		     "Shorten the description to what an LLM needs to choose and call the endpoint; move "
		     "details "
		     "to docs",
		     loc, "Description is very long (%zu characters, more than %d)", len,
		     LINT_LONG_DESCRIPTION);
	}
	for (size_t i = 0; i < ep->nparams; i++) {
		const struct mx_type *pt = ep->params[i];
		size_t plen = pt->description ? strlen(pt->description) : 0;
		if (plen > LINT_LONG_DESCRIPTION) {
			snprintf(loc, sizeof loc, "%s.parameters[%zu].description", L->kind, i);
			addf(L, MX_LINT_WARNING,
			     "Shorten the parameter description to its meaning and valid values", loc,
			     "Parameter '%s' has a very long description (%zu characters, more than %d)",
			     pt->name ? pt->name : "", plen, LINT_LONG_DESCRIPTION);
		}
		if (pt->name && !snake_case(pt->name)) {
			snprintf(loc, sizeof loc, "%s.parameters[%zu].name", L->kind, i);
			addf(L, MX_LINT_INFO,
			     "Rename the parameter in snake_case (lower-case words joined by '_')", loc,
			     "Parameter '%s' is not snake_case", pt->name);
		}
	}
	const char *word = ep->kind == MX_EP_TOOL ? destructive_word(ep->name) : NULL;
	if (word) {
		const json_t *hint = json_object_get(ep->annotations, "destructiveHint");
		if (!json_is_boolean(hint)) {
			snprintf(loc, sizeof loc, "%s.annotations.destructiveHint", L->kind);
			addf(L, MX_LINT_WARNING,
			     "Set annotations.destructiveHint (true if it destroys data, false if not) so "
			     "clients can "
			     "ask before calling",
			     loc,
			     "Tool name suggests it is destructive ('%s') but destructiveHint is not set",
			     word);
		}
	}
	char field[512];
	if (ep->kind != MX_EP_PROMPT && find_sensitive(ep->ret, field, sizeof field, "", 0) &&
	    json_array_size(json_object_get(ep->policies, "output")) == 0) {
		snprintf(loc, sizeof loc, "%s.return", L->kind);
		addf(L, MX_LINT_WARNING,
		     "Add an output policy (filter_sensitive_fields or mask_fields) so sensitive values are "
		     "not "
		     "returned to every caller",
		     loc, "Sensitive field '%s' is returned with no output policy", field);
	}
}

/* ---------------------------------------------------------------- entry */

void mx_lint_endpoint(const struct mx_endpoint *ep, json_t *issues)
{
	struct mx_yaml_doc *doc = NULL;
	struct mx_err err;
	/* Without the file (removed since loading) findings keep line 0. */
	if (mx_yaml_load_file(ep->path, &doc, &err))
		doc = NULL;
	struct lint L = {.ep = ep,
	                 .kind = mx_endpoint_kind_name(ep->kind),
	                 .root = doc ? doc->root : NULL,
	                 .issues = issues};
	lint_mxcp_rules(&L);
	lint_our_rules(&L);
	mx_yaml_free(doc);
}

json_t *mx_lint_project(const struct mx_project *p)
{
	json_t *issues = json_array();
	for (size_t i = 0; i < p->nendpoints; i++)
		mx_lint_endpoint(p->endpoints[i], issues);
	return issues;
}
