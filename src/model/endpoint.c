/* SPDX-License-Identifier: Apache-2.0 */
/*
 * endpoint — see endpoint.h. The checks mirror MXCP's pydantic models
 * (src/mxcp/server/definitions/endpoints/models.py): the same keys, the same
 * required fields, the same validator messages, but every message carries
 * file:line:col and the dotted field path.
 */
#include "model/endpoint.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/fs.h"
#include "jinja/jinja.h"
#include "core/yaml.h"
#include "policy/policy.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const KINDS[] = {"tool", "resource", "prompt"};

const char *mx_endpoint_kind_name(enum mx_endpoint_kind k)
{
	return KINDS[k];
}

int mx_endpoint_kind_parse(const char *s, enum mx_endpoint_kind *out)
{
	for (int i = 0; i < 3; i++) {
		if (strcmp(s, KINDS[i]) == 0) {
			*out = (enum mx_endpoint_kind)i;
			return 0;
		}
	}
	return MX_EINVAL;
}

const char *mx_endpoint_id(const struct mx_endpoint *ep, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/%s", KINDS[ep->kind], ep->name);
	return out;
}

void mx_endpoint_free(struct mx_endpoint *ep)
{
	if (ep == NULL)
		return;
	mx_free(ep->path);
	mx_free(ep->relpath);
	mx_free(ep->name);
	mx_free(ep->uri);
	mx_free(ep->title);
	mx_free(ep->mime_type);
	mx_free(ep->description);
	json_decref(ep->tags);
	json_decref(ep->annotations);
	for (size_t i = 0; i < ep->nparams; i++)
		mx_type_free(ep->params[i]);
	mx_free(ep->params);
	mx_type_free(ep->ret);
	mx_free(ep->source_code);
	mx_free(ep->source_path);
	mx_free(ep->source_file_raw);
	for (size_t i = 0; i < ep->nmessages; i++) {
		mx_free(ep->messages[i].prompt);
		mx_free(ep->messages[i].role);
		mx_free(ep->messages[i].type);
		mx_jinja_free(ep->messages[i].tmpl);
	}
	mx_free(ep->messages);
	json_decref(ep->policies);
	mx_policy_set_free(ep->policy_set);
	json_decref(ep->tests);
	mx_free(ep);
}

json_t *mx_endpoint_definition(const struct mx_endpoint *ep, struct mx_err *err)
{
	struct mx_yaml_doc *doc = NULL;
	if (mx_yaml_load_file(ep->path, &doc, err))
		return NULL;
	json_t *j = mx_yaml_to_json(doc->root);
	mx_yaml_free(doc);
	if (j == NULL)
		mx_err_set(err, MX_ENOMEM, "out of memory");
	return j;
}

json_t *mx_uri_template_vars(const char *uri)
{
	json_t *vars = json_array();
	const char *p = uri;
	while (vars && (p = strchr(p, '{')) != NULL) {
		const char *end = strchr(p, '}');
		if (end == NULL)
			break;
		json_array_append_new(vars, json_stringn(p + 1, (size_t)(end - p - 1)));
		p = end + 1;
	}
	return vars;
}

/* ------------------------------------------------------------ small parts */

struct loader {
	const char *file;
	const char *root;
	struct mx_err *err;
};

static int oom(struct loader *L)
{
	return mx_err_set(L->err, MX_ENOMEM, "out of memory");
}

static int at(struct loader *L, const struct mx_yaml_node *n, const char *fmt, const char *path,
              const char *detail)
{
	return mx_err_at(L->err, MX_EINVAL, L->file, n ? n->line : 1, n ? n->col : 1, fmt, path, detail);
}

/* A list of strings (tags, fields, result_not_contains). */
static int check_str_list(struct loader *L, const struct mx_yaml_node *n, const char *path)
{
	if (mx_yaml_expect_seq(L->file, n, path, L->err))
		return MX_EINVAL;
	for (size_t i = 0; i < n->n; i++) {
		if (!mx_yaml_is_str(n->items[i])) {
			char p[512];
			mx_yaml_path_index(p, sizeof p, path, i);
			return at(L, n->items[i], "%s: %s", p, "expected a string");
		}
	}
	return 0;
}

static int opt_str_list(struct loader *L, const struct mx_yaml_node *map, const char *path, const char *key,
                        json_t **out)
{
	const struct mx_yaml_node *n = mx_yaml_map_get(map, key);
	if (n == NULL || mx_yaml_resolve(n, NULL) == MX_YT_NULL)
		return 0;
	char p[512];
	mx_yaml_path(p, sizeof p, path, key);
	if (check_str_list(L, n, p))
		return MX_EINVAL;
	if (out && (*out = mx_yaml_to_json(n)) == NULL)
		return oom(L);
	return 0;
}

static int check_annotations(struct loader *L, const struct mx_yaml_node *n, const char *path)
{
	static const char *const keys[] = {"title",          "readOnlyHint",  "destructiveHint",
	                                   "idempotentHint", "openWorldHint", NULL};
	if (mx_yaml_expect_map(L->file, n, path, L->err) ||
	    mx_yaml_check_keys(L->file, n, path, keys, L->err))
		return MX_EINVAL;
	char *title = NULL;
	int b = 0;
	int rc = mx_yaml_get_str(L->file, n, path, "title", 0, &title, L->err);
	mx_free(title);
	for (int i = 1; rc == 0 && keys[i]; i++)
		rc = mx_yaml_get_bool(L->file, n, path, keys[i], &b, L->err);
	return rc;
}

/* Check one rule and compile it into set (a CEL syntax error is located at the condition). */
static int check_rule(struct loader *L, const struct mx_yaml_node *n, const char *path,
                      struct mx_policy_set *set, enum mx_policy_stage stage)
{
	static const char *const keys[] = {"condition", "action", "reason", "fields", NULL};
	static const char *const actions[] = {"deny", "filter_fields", "mask_fields",
	                                      "filter_sensitive_fields", NULL};
	if (mx_yaml_expect_map(L->file, n, path, L->err) ||
	    mx_yaml_check_keys(L->file, n, path, keys, L->err))
		return MX_EINVAL;
	char *cond = NULL, *action = NULL, *reason = NULL;
	int rc = mx_yaml_get_str(L->file, n, path, "condition", 1, &cond, L->err);
	if (rc == 0)
		rc = mx_yaml_get_str(L->file, n, path, "action", 1, &action, L->err);
	if (rc == 0)
		rc = mx_yaml_get_str(L->file, n, path, "reason", 0, &reason, L->err);
	if (rc == 0) {
		int ok = 0;
		for (int i = 0; actions[i]; i++)
			ok |= strcmp(action, actions[i]) == 0;
		if (!ok) {
			char p[512];
			mx_yaml_path(p, sizeof p, path, "action");
			rc = mx_err_at(L->err, MX_EINVAL, L->file, mx_yaml_map_get(n, "action")->line,
			               mx_yaml_map_get(n, "action")->col,
			               "%s: Input should be 'deny', 'filter_fields', 'mask_fields' or "
			               "'filter_sensitive_fields', got '%s'",
			               p, action);
		}
	}
	json_t *fields = NULL;
	if (rc == 0)
		rc = opt_str_list(L, n, path, "fields", &fields);
	if (rc == 0) {
		struct mx_err cel;
		mx_err_clear(&cel);
		rc = mx_policy_set_add(set, stage, cond, action, reason, fields, &cel);
		if (rc == MX_ENOMEM) {
			oom(L);
		} else if (rc) {
			const struct mx_yaml_node *cn = mx_yaml_map_get(n, "condition");
			char p[600];
			mx_yaml_path(p, sizeof p, path, "condition");
			rc = mx_err_at(L->err, MX_EINVAL, L->file, cn->line, cn->col, "%s: %s", p, cel.msg);
		}
	}
	json_decref(fields);
	mx_free(cond);
	mx_free(action);
	mx_free(reason);
	return rc;
}

static int load_policies(struct loader *L, const struct mx_yaml_node *n, const char *path,
                         struct mx_endpoint *ep)
{
	static const char *const keys[] = {"input", "output", NULL};
	if (n == NULL || mx_yaml_resolve(n, NULL) == MX_YT_NULL)
		return 0;
	if (mx_yaml_expect_map(L->file, n, path, L->err) ||
	    mx_yaml_check_keys(L->file, n, path, keys, L->err))
		return MX_EINVAL;
	if (mx_policy_set_new(&ep->policy_set))
		return oom(L);
	for (int k = 0; keys[k]; k++) {
		const struct mx_yaml_node *list = mx_yaml_map_get(n, keys[k]);
		if (list == NULL || mx_yaml_resolve(list, NULL) == MX_YT_NULL)
			continue;
		char p[512], q[512];
		mx_yaml_path(p, sizeof p, path, keys[k]);
		if (mx_yaml_expect_seq(L->file, list, p, L->err))
			return MX_EINVAL;
		for (size_t i = 0; i < list->n; i++) {
			mx_yaml_path_index(q, sizeof q, p, i);
			int rc = check_rule(L, list->items[i], q, ep->policy_set,
			                    k == 0 ? MX_POLICY_INPUT : MX_POLICY_OUTPUT);
			if (rc)
				return rc;
		}
	}
	if ((ep->policies = mx_yaml_to_json(n)) == NULL)
		return oom(L);
	return 0;
}

static int load_tests(struct loader *L, const struct mx_yaml_node *n, const char *path, json_t **out)
{
	static const char *const keys[] = {"name",
	                                   "description",
	                                   "arguments",
	                                   "result",
	                                   "user_context",
	                                   "result_contains",
	                                   "result_not_contains",
	                                   "result_contains_item",
	                                   "result_contains_all",
	                                   "result_length",
	                                   "result_contains_text",
	                                   NULL};
	if (n == NULL || mx_yaml_resolve(n, NULL) == MX_YT_NULL)
		return 0;
	if (mx_yaml_expect_seq(L->file, n, path, L->err))
		return MX_EINVAL;
	for (size_t i = 0; i < n->n; i++) {
		const struct mx_yaml_node *t = n->items[i];
		char p[512], q[512], r[512];
		mx_yaml_path_index(p, sizeof p, path, i);
		if (mx_yaml_expect_map(L->file, t, p, L->err) ||
		    mx_yaml_check_keys(L->file, t, p, keys, L->err))
			return MX_EINVAL;
		char *s = NULL;
		int rc = mx_yaml_get_str(L->file, t, p, "name", 1, &s, L->err);
		mx_free(s);
		s = NULL;
		if (rc == 0)
			rc = mx_yaml_get_str(L->file, t, p, "description", 0, &s, L->err);
		mx_free(s);
		s = NULL;
		if (rc == 0)
			rc = mx_yaml_get_str(L->file, t, p, "result_contains_text", 0, &s, L->err);
		mx_free(s);
		if (rc)
			return rc;
		int64_t len = 0;
		if (mx_yaml_get_int(L->file, t, p, "result_length", &len, L->err))
			return MX_EINVAL;
		if (len < 0) {
			mx_yaml_path(q, sizeof q, p, "result_length");
			return at(L, mx_yaml_map_get(t, "result_length"), "%s: %s", q,
			          "Input should be greater than or equal to 0");
		}
		if (opt_str_list(L, t, p, "result_not_contains", NULL))
			return MX_EINVAL;
		const struct mx_yaml_node *all = mx_yaml_map_get(t, "result_contains_all");
		mx_yaml_path(q, sizeof q, p, "result_contains_all");
		if (all && mx_yaml_resolve(all, NULL) != MX_YT_NULL &&
		    mx_yaml_expect_seq(L->file, all, q, L->err))
			return MX_EINVAL;
		const struct mx_yaml_node *uc = mx_yaml_map_get(t, "user_context");
		mx_yaml_path(q, sizeof q, p, "user_context");
		if (uc && mx_yaml_resolve(uc, NULL) != MX_YT_NULL &&
		    mx_yaml_expect_map(L->file, uc, q, L->err))
			return MX_EINVAL;
		const struct mx_yaml_node *args = mx_yaml_map_get(t, "arguments");
		mx_yaml_path(q, sizeof q, p, "arguments");
		if (args == NULL) {
			return at(L, t, "%s: %s", q, "field required");
		}
		if (mx_yaml_expect_seq(L->file, args, q, L->err))
			return MX_EINVAL;
		for (size_t j = 0; j < args->n; j++) {
			static const char *const akeys[] = {"key", "value", NULL};
			const struct mx_yaml_node *a = args->items[j];
			mx_yaml_path_index(r, sizeof r, q, j);
			if (mx_yaml_expect_map(L->file, a, r, L->err) ||
			    mx_yaml_check_keys(L->file, a, r, akeys, L->err))
				return MX_EINVAL;
			s = NULL;
			rc = mx_yaml_get_str(L->file, a, r, "key", 1, &s, L->err);
			mx_free(s);
			if (rc)
				return rc;
			if (mx_yaml_map_key(a, "value") == NULL) {
				char v[600];
				mx_yaml_path(v, sizeof v, r, "value");
				return at(L, a, "%s: %s", v, "field required");
			}
		}
	}
	if ((*out = mx_yaml_to_json(n)) == NULL)
		return oom(L);
	return 0;
}

static int load_params(struct loader *L, struct mx_endpoint *ep, const struct mx_yaml_node *n,
                       const char *path)
{
	if (n == NULL || mx_yaml_resolve(n, NULL) == MX_YT_NULL)
		return 0;
	if (mx_yaml_expect_seq(L->file, n, path, L->err))
		return MX_EINVAL;
	if (n->n == 0)
		return 0;
	ep->params = mx_calloc(n->n, sizeof *ep->params);
	if (ep->params == NULL)
		return oom(L);
	for (size_t i = 0; i < n->n; i++) {
		char p[512];
		mx_yaml_path_index(p, sizeof p, path, i);
		int rc = mx_type_parse(n->items[i], L->file, p, 1, &ep->params[i], L->err);
		if (rc)
			return rc;
		ep->nparams++;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(ep->params[j]->name, ep->params[i]->name) == 0) {
				const struct mx_yaml_node *nm = mx_yaml_map_get(n->items[i], "name");
				char q[600];
				mx_yaml_path(q, sizeof q, p, "name");
				return mx_err_at(L->err, MX_EINVAL, L->file, nm->line, nm->col,
				                 "%s: duplicate parameter name '%s'", q, ep->params[i]->name);
			}
		}
	}
	return 0;
}

static int load_messages(struct loader *L, struct mx_endpoint *ep, const struct mx_yaml_node *def,
                         const char *path)
{
	static const char *const keys[] = {"prompt", "role", "type", NULL};
	char p[512];
	mx_yaml_path(p, sizeof p, path, "messages");
	const struct mx_yaml_node *n = mx_yaml_map_get(def, "messages");
	if (n == NULL)
		return at(L, def, "%s: %s", p, "field required");
	if (mx_yaml_expect_seq(L->file, n, p, L->err))
		return MX_EINVAL;
	if (n->n == 0)
		return at(L, n, "%s: %s", p, "a prompt needs at least one message");
	ep->messages = mx_calloc(n->n, sizeof *ep->messages);
	if (ep->messages == NULL)
		return oom(L);
	for (size_t i = 0; i < n->n; i++) {
		const struct mx_yaml_node *m = n->items[i];
		char q[600];
		mx_yaml_path_index(q, sizeof q, p, i);
		if (mx_yaml_expect_map(L->file, m, q, L->err) ||
		    mx_yaml_check_keys(L->file, m, q, keys, L->err))
			return MX_EINVAL;
		struct mx_prompt_message *msg = &ep->messages[ep->nmessages++];
		msg->line = m->line;
		msg->col = m->col;
		if (mx_yaml_get_str(L->file, m, q, "prompt", 1, &msg->prompt, L->err) ||
		    mx_yaml_get_str(L->file, m, q, "role", 0, &msg->role, L->err) ||
		    mx_yaml_get_str(L->file, m, q, "type", 0, &msg->type, L->err))
			return MX_EINVAL;
		if (mx_jinja_compile(msg->prompt, &msg->tmpl, NULL) == MX_ENOMEM)
			return oom(L);
	}
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int load_source(struct loader *L, struct mx_endpoint *ep, const struct mx_yaml_node *def,
                       const char *path)
{
	static const char *const keys[] = {"code", "file", "language", NULL};
	char p[512];
	mx_yaml_path(p, sizeof p, path, "source");
	const struct mx_yaml_node *n = mx_yaml_map_get(def, "source");
	if (n == NULL)
		return at(L, def, "%s: %s", p, "field required");
	if (mx_yaml_expect_map(L->file, n, p, L->err) || mx_yaml_check_keys(L->file, n, p, keys, L->err))
		return MX_EINVAL;
	char *lang = NULL;
	if (mx_yaml_get_str(L->file, n, p, "code", 0, &ep->source_code, L->err) ||
	    mx_yaml_get_str(L->file, n, p, "file", 0, &ep->source_file_raw, L->err) ||
	    mx_yaml_get_str(L->file, n, p, "language", 0, &lang, L->err))
		return MX_EINVAL;
	int has_code = ep->source_code && *ep->source_code;
	int has_file = ep->source_file_raw && *ep->source_file_raw;
	if (has_code == has_file) {
		mx_free(lang);
		return at(L, n, "%s: %s", p, "Source must provide exactly one of 'code' or 'file'");
	}
	if (lang && strcmp(lang, "sql") && strcmp(lang, "python")) {
		const struct mx_yaml_node *ln = mx_yaml_map_get(n, "language");
		char q[600];
		mx_yaml_path(q, sizeof q, p, "language");
		mx_err_at(L->err, MX_EINVAL, L->file, ln->line, ln->col,
		          "%s: Input should be 'sql' or 'python', got '%s'", q, lang);
		mx_free(lang);
		return MX_EINVAL;
	}
	/* language: the endpoint's own key wins, then source.language, then the
	 * source file's extension, then sql. */
	const struct mx_yaml_node *eplang = mx_yaml_map_get(def, "language");
	if (eplang == NULL || mx_yaml_resolve(eplang, NULL) == MX_YT_NULL) {
		if (lang)
			ep->language = strcmp(lang, "python") == 0 ? MX_LANG_PYTHON : MX_LANG_SQL;
		else if (has_file && ends_with(ep->source_file_raw, ".py"))
			ep->language = MX_LANG_PYTHON;
	}
	mx_free(lang);
	if (!has_file) {
		const struct mx_yaml_node *cn = mx_yaml_map_get(n, "code");
		ep->code_line = cn ? cn->line + (cn->block ? 1 : 0) : 0;
		return 0;
	}

	const struct mx_yaml_node *fn = mx_yaml_map_get(n, "file");
	ep->source_line = fn->line;
	ep->source_col = fn->col;
	char full[PATH_MAX + 1024];
	if (ep->source_file_raw[0] == '/') {
		snprintf(full, sizeof full, "%s%s", L->root, ep->source_file_raw);
	} else {
		const char *slash = strrchr(ep->path, '/');
		int dirlen = slash ? (int)(slash - ep->path) : 0;
		snprintf(full, sizeof full, "%.*s/%s", dirlen, ep->path, ep->source_file_raw);
	}
	char canon[PATH_MAX];
	if (mx_fs_realpath_below(L->root, full, canon) != 0)
		mx_fs_normalize(full, canon, sizeof canon);
	ep->source_path = mx_strdup(canon);
	if (ep->source_path == NULL)
		return oom(L);
	if (ep->language == MX_LANG_SQL) {
		struct mx_buf b;
		mx_buf_init(&b, 16u << 20);
		if (mx_buf_read_file(&b, ep->source_path) == 0)
			ep->source_code = mx_buf_detach(&b);
		mx_buf_free(&b);
	}
	return 0;
}

/* --------------------------------------------------------------- the file */

static const char *const TOOL_KEYS[] = {"name",       "description", "tags",     "annotations",
                                        "parameters", "return",      "language", "source",
                                        "enabled",    "tests",       "policies", NULL};
static const char *const RESOURCE_KEYS[] = {"uri",        "name",     "description", "tags",   "mime_type",
                                            "parameters", "return",   "language",    "source", "enabled",
                                            "tests",      "policies", NULL};
static const char *const PROMPT_KEYS[] = {"name",     "description", "tags",  "parameters", "return",
                                          "messages", "enabled",     "tests", "policies",   NULL};

static int load_definition(struct loader *L, struct mx_endpoint *ep, const struct mx_yaml_node *def)
{
	const char *kind = KINDS[ep->kind];
	const char *const *keys = ep->kind == MX_EP_TOOL       ? TOOL_KEYS
	                          : ep->kind == MX_EP_RESOURCE ? RESOURCE_KEYS
	                                                       : PROMPT_KEYS;
	if (mx_yaml_expect_map(L->file, def, kind, L->err) ||
	    mx_yaml_check_keys(L->file, def, kind, keys, L->err))
		return MX_EINVAL;
	ep->enabled = 1;
	if (ep->kind == MX_EP_RESOURCE) {
		if (mx_yaml_get_str(L->file, def, kind, "uri", 1, &ep->uri, L->err) ||
		    mx_yaml_get_str(L->file, def, kind, "name", 0, &ep->title, L->err) ||
		    mx_yaml_get_str(L->file, def, kind, "mime_type", 0, &ep->mime_type, L->err))
			return MX_EINVAL;
		if ((ep->name = mx_strdup(ep->uri)) == NULL)
			return oom(L);
		if (strstr(ep->uri, "://") == NULL) {
			const struct mx_yaml_node *u = mx_yaml_map_get(def, "uri");
			return mx_err_at(L->err, MX_EINVAL, L->file, u->line, u->col,
			                 "resource.uri: '%s' is not a URI (expected scheme://path)", ep->uri);
		}
	} else if (mx_yaml_get_str(L->file, def, kind, "name", 1, &ep->name, L->err)) {
		return MX_EINVAL;
	}
	if (mx_yaml_get_str(L->file, def, kind, "description", 0, &ep->description, L->err) ||
	    mx_yaml_get_bool(L->file, def, kind, "enabled", &ep->enabled, L->err) ||
	    opt_str_list(L, def, kind, "tags", &ep->tags))
		return MX_EINVAL;

	char p[512];
	const struct mx_yaml_node *ann = mx_yaml_map_get(def, "annotations");
	if (ann && mx_yaml_resolve(ann, NULL) != MX_YT_NULL) {
		mx_yaml_path(p, sizeof p, kind, "annotations");
		if (check_annotations(L, ann, p))
			return MX_EINVAL;
		if ((ep->annotations = mx_yaml_to_json(ann)) == NULL)
			return oom(L);
		json_t *title = json_object_get(ep->annotations, "title");
		if (json_is_string(title) && (ep->title = mx_strdup(json_string_value(title))) == NULL)
			return oom(L);
	}
	mx_yaml_path(p, sizeof p, kind, "parameters");
	if (load_params(L, ep, mx_yaml_map_get(def, "parameters"), p))
		return MX_EINVAL;
	const struct mx_yaml_node *ret = mx_yaml_map_get(def, "return");
	if (ret && mx_yaml_resolve(ret, NULL) != MX_YT_NULL) {
		mx_yaml_path(p, sizeof p, kind, "return");
		if (mx_type_parse(ret, L->file, p, 0, &ep->ret, L->err))
			return MX_EINVAL;
	}
	if (ep->kind != MX_EP_PROMPT) {
		const struct mx_yaml_node *lang = mx_yaml_map_get(def, "language");
		if (lang && mx_yaml_resolve(lang, NULL) != MX_YT_NULL) {
			char *s = NULL;
			if (mx_yaml_get_str(L->file, def, kind, "language", 0, &s, L->err))
				return MX_EINVAL;
			int ok = strcmp(s, "sql") == 0 || strcmp(s, "python") == 0;
			ep->language = strcmp(s, "python") == 0 ? MX_LANG_PYTHON : MX_LANG_SQL;
			if (!ok) {
				mx_yaml_path(p, sizeof p, kind, "language");
				mx_err_at(L->err, MX_EINVAL, L->file, lang->line, lang->col,
				          "%s: Input should be 'sql' or 'python', got '%s'", p, s);
			}
			mx_free(s);
			if (!ok)
				return MX_EINVAL;
		}
		if (load_source(L, ep, def, kind))
			return MX_EINVAL;
	} else if (load_messages(L, ep, def, kind)) {
		return MX_EINVAL;
	}
	mx_yaml_path(p, sizeof p, kind, "tests");
	if (load_tests(L, mx_yaml_map_get(def, "tests"), p, &ep->tests))
		return MX_EINVAL;
	mx_yaml_path(p, sizeof p, kind, "policies");
	if (load_policies(L, mx_yaml_map_get(def, "policies"), p, ep))
		return MX_EINVAL;
	return 0;
}

static int present(const struct mx_yaml_node *root, const char *key)
{
	const struct mx_yaml_node *n = mx_yaml_map_get(root, key);
	return n != NULL && mx_yaml_resolve(n, NULL) != MX_YT_NULL;
}

int mx_endpoint_load(const char *root, const char *path, enum mx_endpoint_kind expect,
                     struct mx_endpoint **out, struct mx_err *err)
{
	static const char *const top_keys[] = {"mxcp", "tool", "resource", "prompt", "metadata", NULL};
	*out = NULL;
	struct mx_yaml_doc *doc = NULL;
	int rc = mx_yaml_load_file(path, &doc, err);
	if (rc)
		return rc;
	struct loader L = {.file = path, .root = root, .err = err};
	const struct mx_yaml_node *top = doc->root;
	struct mx_endpoint *ep = NULL;
	if (top == NULL) {
		rc = mx_err_at(err, MX_EINVAL, path, 1, 1, "Endpoint file is empty");
		goto done;
	}
	if (mx_yaml_expect_map(path, top, "", err) || mx_yaml_check_keys(path, top, "", top_keys, err)) {
		rc = MX_EINVAL;
		goto done;
	}
	const struct mx_yaml_node *ver = mx_yaml_map_get(top, "mxcp");
	struct mx_yaml_value v;
	if (ver != NULL) {
		enum mx_yaml_type t = mx_yaml_resolve(ver, &v);
		char *end = NULL;
		if (t == MX_YT_STR)
			strtod(ver->str, &end);
		if (!(t == MX_YT_INT || (t == MX_YT_FLOAT && v.d == (double)(long long)v.d) ||
		      (t == MX_YT_STR && end && *end == '\0' && end != ver->str))) {
			rc = mx_err_at(err, MX_EINVAL, path, ver->line, ver->col,
			               "mxcp: Input should be a valid integer, got '%s'",
			               ver->kind == MX_YAML_SCALAR ? ver->str : "?");
			goto done;
		}
	}
	const struct mx_yaml_node *meta = mx_yaml_map_get(top, "metadata");
	if (meta && mx_yaml_resolve(meta, NULL) != MX_YT_NULL &&
	    mx_yaml_expect_map(path, meta, "metadata", err)) {
		rc = MX_EINVAL;
		goto done;
	}
	int count = present(top, "tool") + present(top, "resource") + present(top, "prompt");
	if (count == 0) {
		rc = mx_err_at(err, MX_EINVAL, path, top->line, top->col,
		               "Endpoint definition must include a tool, resource, or prompt definition");
		goto done;
	}
	if (count > 1) {
		rc = mx_err_at(err, MX_EINVAL, path, top->line, top->col,
		               "Endpoint definition must contain exactly one endpoint type");
		goto done;
	}
	if (!present(top, KINDS[expect])) {
		rc = mx_err_at(err, MX_ENOTFOUND, path, top->line, top->col, "file defines no %s",
		               KINDS[expect]);
		goto done;
	}
	if ((ep = mx_calloc(1, sizeof *ep)) == NULL) {
		rc = oom(&L);
		goto done;
	}
	ep->kind = expect;
	char canon[PATH_MAX];
	ep->path = mx_strdup(mx_fs_realpath_below(root, path, canon) == 0 ? canon : path);
	size_t rl = strlen(root);
	const char *rel = ep->path && strncmp(ep->path, root, rl) == 0 && ep->path[rl] == '/'
	                          ? ep->path + rl + 1
	                          : ep->path;
	ep->relpath = rel ? mx_strdup(rel) : NULL;
	if (ep->path == NULL || ep->relpath == NULL) {
		rc = oom(&L);
		goto done;
	}
	const struct mx_yaml_node *key = mx_yaml_map_key(top, KINDS[expect]);
	ep->line = key->line;
	ep->col = key->col;
	rc = load_definition(&L, ep, mx_yaml_map_get(top, KINDS[expect]));
done:
	mx_yaml_free(doc);
	if (rc) {
		mx_endpoint_free(ep);
		return rc;
	}
	*out = ep;
	return 0;
}
