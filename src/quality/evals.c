/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evals — suites, models, providers and the tool-use loop.
 *
 * Sections: suite files (discovery, MXCP's schema), model resolution (user
 * config `models:`), HTTP (core/fetch, bounded body, retries on 429/5xx with
 * Retry-After), providers (claude, openai: request building and response
 * parsing, as structs of function pointers), the loop, assertions, runner.
 *
 * The conversation is kept in the provider's own message format; what the
 * loop needs from a reply is normalised into struct reply (text + calls).
 * Tool calls run through mx_invoke exactly like served calls; a failing
 * call is returned to the model as an error result, as a client would.
 */
#include "quality/evals.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/fetch.h"
#include "core/json.h"
#include "core/log.h"
#include "core/yaml.h"
#include "core/time.h"
#include "types/types.h"
#include "quality/test_runner.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define EVAL_MAX_RESPONSE (16u << 20)
#define EVAL_MAX_RETRY_WAIT 60

/* ---------------------------------------------------------- suite files */

static int is_identifier(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

static int check_identifier(const char *file, const struct mx_yaml_node *map, const char *path,
                            const char *key, struct mx_err *err)
{
	char *v = NULL;
	char p[512];
	int rc = mx_yaml_get_str(file, map, path, key, 1, &v, err);
	if (rc == 0 && !is_identifier(v)) {
		const struct mx_yaml_node *n = mx_yaml_map_get(map, key);
		mx_yaml_path(p, sizeof p, path, key);
		rc = mx_err_at(err, MX_EINVAL, file, n->line, n->col,
		               "%s: String should match pattern '^[a-zA-Z_][a-zA-Z0-9_]*$'", p);
	}
	mx_free(v);
	return rc;
}

static int check_test(const char *file, const struct mx_yaml_node *t, const char *path, struct mx_err *err)
{
	static const char *const TEST_KEYS[] = {"name",         "description", "prompt",
	                                        "user_context", "assertions",  NULL};
	static const char *const ASSERT_KEYS[] = {"must_call", "must_not_call", "answer_contains",
	                                          "answer_not_contains", NULL};
	static const char *const CALL_KEYS[] = {"tool", "args", NULL};
	char p[512], q[512], r[512];
	char *s = NULL;
	int rc;
	if ((rc = mx_yaml_expect_map(file, t, path, err)) ||
	    (rc = mx_yaml_check_keys(file, t, path, TEST_KEYS, err)) ||
	    (rc = check_identifier(file, t, path, "name", err)) ||
	    (rc = mx_yaml_get_str(file, t, path, "description", 0, &s, err)) ||
	    (rc = mx_yaml_get_str(file, t, path, "prompt", 1, &s, err)))
		goto out;
	const struct mx_yaml_node *uc = mx_yaml_map_get(t, "user_context");
	mx_yaml_path(p, sizeof p, path, "user_context");
	if (uc && (rc = mx_yaml_expect_map(file, uc, p, err)))
		goto out;
	const struct mx_yaml_node *a = mx_yaml_map_get(t, "assertions");
	mx_yaml_path(p, sizeof p, path, "assertions");
	if (!a) {
		rc = mx_err_at(err, MX_EINVAL, file, t->line, t->col, "%s: field required", p);
		goto out;
	}
	if ((rc = mx_yaml_expect_map(file, a, p, err)) ||
	    (rc = mx_yaml_check_keys(file, a, p, ASSERT_KEYS, err)))
		goto out;
	for (const char *const *k = ASSERT_KEYS; *k; k++) {
		const struct mx_yaml_node *list = mx_yaml_map_get(a, *k);
		mx_yaml_path(q, sizeof q, p, *k);
		if (!list)
			continue;
		if ((rc = mx_yaml_expect_seq(file, list, q, err)))
			goto out;
		for (size_t i = 0; i < list->n; i++) {
			const struct mx_yaml_node *item = list->items[i];
			mx_yaml_path_index(r, sizeof r, q, i);
			if (strcmp(*k, "must_call") == 0) {
				if ((rc = mx_yaml_expect_map(file, item, r, err)) ||
				    (rc = mx_yaml_check_keys(file, item, r, CALL_KEYS, err)) ||
				    (rc = mx_yaml_get_str(file, item, r, "tool", 1, &s, err)))
					goto out;
				const struct mx_yaml_node *args = mx_yaml_map_get(item, "args");
				char ap[512];
				mx_yaml_path(ap, sizeof ap, r, "args");
				if (!args) {
					rc = mx_err_at(err, MX_EINVAL, file, item->line, item->col,
					               "%s: field required", ap);
					goto out;
				}
				if ((rc = mx_yaml_expect_map(file, args, ap, err)))
					goto out;
			} else if (!mx_yaml_is_str(item)) {
				rc = mx_err_at(err, MX_EINVAL, file, item->line, item->col,
				               "%s: expected a string", r);
				goto out;
			}
		}
	}
out:
	mx_free(s);
	return rc;
}

int mx_eval_suite_load(const char *root, const char *path, struct mx_eval_suite *out, struct mx_err *err)
{
	static const char *const SUITE_KEYS[] = {"mxcp", "suite", "description", "model", "tests", NULL};
	static const char *const MODELS[] = {"claude-4-opus", "claude-4-sonnet", "gpt-4o", "gpt-4.1", NULL};
	memset(out, 0, sizeof *out);
	struct mx_yaml_doc *doc = NULL;
	int rc = mx_yaml_load_file(path, &doc, err);
	if (rc)
		return rc;
	const struct mx_yaml_node *m = doc->root;
	char *model = NULL, *desc = NULL;
	if (m == NULL || m->kind != MX_YAML_MAP || !mx_yaml_map_get(m, "mxcp")) {
		rc = MX_ENOTFOUND; /* not a suite file: skipped */
		goto out;
	}
	if ((rc = mx_yaml_check_keys(path, m, "", SUITE_KEYS, err)) ||
	    (rc = check_identifier(path, m, "", "suite", err)) ||
	    (rc = mx_yaml_get_str(path, m, "", "description", 0, &desc, err)) ||
	    (rc = mx_yaml_get_str(path, m, "", "model", 0, &model, err)))
		goto out;
	if (model) {
		int ok = 0;
		for (const char *const *k = MODELS; *k; k++)
			ok |= strcmp(*k, model) == 0;
		if (!ok) {
			const struct mx_yaml_node *n = mx_yaml_map_get(m, "model");
			rc = mx_err_at(err, MX_EINVAL, path, n->line, n->col,
			               "model: Input should be 'claude-4-opus', 'claude-4-sonnet', 'gpt-4o' "
			               "or 'gpt-4.1'");
			goto out;
		}
	}
	const struct mx_yaml_node *tests = mx_yaml_map_get(m, "tests");
	if (!tests) {
		rc = mx_err_at(err, MX_EINVAL, path, m->line, m->col, "tests: field required");
		goto out;
	}
	if ((rc = mx_yaml_expect_seq(path, tests, "tests", err)))
		goto out;
	for (size_t i = 0; i < tests->n; i++) {
		char p[64];
		mx_yaml_path_index(p, sizeof p, "tests", i);
		if ((rc = check_test(path, tests->items[i], p, err)))
			goto out;
	}
	out->def = mx_yaml_to_json(m);
	out->path = mx_strdup(path);
	size_t rl = strlen(root);
	out->relpath = mx_strdup(strncmp(path, root, rl) == 0 && path[rl] == '/' ? path + rl + 1 : path);
	out->name = mx_strdup(json_string_value(json_object_get(out->def, "suite")));
out:
	mx_free(model);
	mx_free(desc);
	mx_yaml_free(doc);
	return rc;
}

static void suite_free(struct mx_eval_suite *s)
{
	mx_free(s->path);
	mx_free(s->relpath);
	mx_free(s->name);
	json_decref(s->def);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect *.yml / *.yaml under dir (recursive, bounded depth). */
static void collect(const char *dir, char ***files, size_t *n, size_t *cap, int depth)
{
	DIR *d = depth < 16 ? opendir(dir) : NULL;
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		struct mx_buf p;
		mx_buf_init(&p, 8192);
		mx_buf_printf(&p, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(mx_buf_str(&p), &st) == 0) {
			size_t len = strlen(e->d_name);
			if (S_ISDIR(st.st_mode)) {
				collect(mx_buf_str(&p), files, n, cap, depth + 1);
			} else if ((len > 4 && !strcmp(e->d_name + len - 4, ".yml")) ||
			           (len > 5 && !strcmp(e->d_name + len - 5, ".yaml"))) {
				if (*n == *cap) {
					*cap = *cap ? *cap * 2 : 16;
					*files = mx_realloc(*files, *cap * sizeof **files);
				}
				(*files)[(*n)++] = mx_buf_detach(&p);
			}
		}
		mx_buf_free(&p);
	}
	closedir(d);
}

int mx_evals_discover(const struct mx_project *p, struct mx_eval_suites *out, struct mx_err *err)
{
	(void)err;
	memset(out, 0, sizeof *out);
	struct mx_buf dir;
	mx_buf_init(&dir, 8192);
	const char *ev = p->site->paths.evals ? p->site->paths.evals : "evals";
	if (ev[0] == '/')
		mx_buf_puts(&dir, ev);
	else
		mx_buf_printf(&dir, "%s/%s", p->site->root, ev);
	char **files = NULL;
	size_t n = 0, cap = 0;
	collect(mx_buf_str(&dir), &files, &n, &cap, 0);
	mx_buf_free(&dir);
	if (n)
		qsort(files, n, sizeof *files, cmp_str);
	if (n) {
		out->items = mx_calloc(n, sizeof *out->items);
		out->errors = mx_calloc(n, sizeof *out->errors);
	}
	for (size_t i = 0; i < n; i++) {
		struct mx_err e;
		int rc = mx_eval_suite_load(p->site->root, files[i], &out->items[out->n], &e);
		if (rc == 0) {
			out->n++;
		} else if (rc != MX_ENOTFOUND) {
			struct mx_load_failure *f = &out->errors[out->nerrors++];
			f->path = mx_strdup(files[i]);
			size_t rl = strlen(p->site->root);
			f->relpath = mx_strdup(strncmp(files[i], p->site->root, rl) == 0 ? files[i] + rl + 1
			                                                                 : files[i]);
			f->err = e;
		}
		mx_free(files[i]);
	}
	mx_free(files);
	return 0;
}

void mx_evals_free(struct mx_eval_suites *s)
{
	for (size_t i = 0; i < s->n; i++)
		suite_free(&s->items[i]);
	for (size_t i = 0; i < s->nerrors; i++) {
		mx_free(s->errors[i].path);
		mx_free(s->errors[i].relpath);
	}
	mx_free(s->items);
	mx_free(s->errors);
	memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------- models */

int mx_eval_model_resolve(const struct mx_project *p, const char *override, const char *suite_model,
                          struct mx_eval_model *out, struct mx_err *err)
{
	memset(out, 0, sizeof *out);
	const json_t *models = p->user ? json_object_get(p->user->raw, "models") : NULL;
	if (!json_is_object(models))
		return mx_err_set(err, MX_EINVAL, "No models configuration found in user config");
	const char *name = override      ? override
	                   : suite_model ? suite_model
	                                 : json_string_value(json_object_get(models, "default"));
	if (!name)
		return mx_err_set(err, MX_EINVAL, "No model specified and no default model configured");
	const json_t *cfg = json_object_get(json_object_get(models, "models"), name);
	if (!json_is_object(cfg))
		return mx_err_set(err, MX_EINVAL, "Model '%s' not configured in user config", name);
	const char *key = json_string_value(json_object_get(cfg, "api_key"));
	if (!key || !*key)
		return mx_err_set(err, MX_EINVAL, "No API key configured for model '%s'", name);
	const char *type = json_string_value(json_object_get(cfg, "type"));
	if (type && !strcmp(type, "anthropic"))
		type = "claude";
	if (!type || (strcmp(type, "claude") && strcmp(type, "openai")))
		return mx_err_set(err, MX_EINVAL, "Unknown model type '%s' for model '%s'", type ? type : "",
		                  name);
	snprintf(out->name, sizeof out->name, "%s", name);
	snprintf(out->type, sizeof out->type, "%s", type);
	out->api_key = mx_strdup(key);
	const char *base = json_string_value(json_object_get(cfg, "base_url"));
	if (!base)
		base = !strcmp(type, "claude") ? "https://api.anthropic.com" : "https://api.openai.com/v1";
	size_t bl = strlen(base);
	while (bl > 1 && base[bl - 1] == '/')
		bl--;
	out->base_url = mx_strndup(base, bl);
	const json_t *t = json_object_get(cfg, "timeout");
	out->timeout_s = json_is_integer(t) && json_integer_value(t) > 0 ? (long)json_integer_value(t) : 30;
	const json_t *r = json_object_get(cfg, "max_retries");
	out->max_retries = json_is_integer(r) && json_integer_value(r) >= 0 ? (int)json_integer_value(r) : 3;
	return 0;
}

void mx_eval_model_free(struct mx_eval_model *m)
{
	if (m->api_key) {
		memset(m->api_key, 0, strlen(m->api_key));
		mx_free(m->api_key);
	}
	mx_free(m->base_url);
	m->api_key = m->base_url = NULL;
}

/* ---------------------------------------------------------------- HTTP */

/* POST body to url; on success *out is the parsed JSON reply (2xx only). */
static int http_post_json(const struct mx_eval_model *m, const char *url, const char *const *headers,
                          const json_t *body, json_t **out, struct mx_err *err)
{
	char *text = mx_json_dumps(body, MX_JSON_COMPACT);
	if (!text)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	struct mx_fetch_request rq = {
	        .url = url,
	        .headers = headers,
	        .body = text,
	        .body_len = strlen(text),
	        .timeout_s = m->timeout_s,
	        .connect_timeout_s = m->timeout_s < 10 ? m->timeout_s : 10L,
	        .max_response = EVAL_MAX_RESPONSE,
	};
	int rc = 0;
	for (int attempt = 0;; attempt++) {
		struct mx_fetch_response r;
		int frc = mx_fetch(&rq, &r);
		if (frc == MX_ENOMEM) {
			mx_buf_free(&r.body);
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
			break;
		}
		int retryable = frc == 0 ? (r.status == 429 || r.status >= 500) : !r.timed_out;
		if (frc == 0 && r.status >= 200 && r.status < 300) {
			json_error_t je;
			*out = json_loadb(mx_buf_str(&r.body), r.body.len, 0, &je);
			if (!*out || !json_is_object(*out))
				rc = mx_err_set(err, MX_EINVAL, "Malformed response from the %s API: %s",
				                m->type, *out ? "not a JSON object" : je.text);
			mx_buf_free(&r.body);
			if (rc) {
				json_decref(*out);
				*out = NULL;
			}
			break;
		}
		if (!retryable || attempt >= m->max_retries) {
			if (frc != 0)
				rc = mx_err_set(err, MX_EIO, "Request to the %s API failed: %s", m->type,
				                r.error);
			else
				rc = mx_err_set(err, MX_EIO, "The %s API answered HTTP %ld: %.300s", m->type,
				                r.status, mx_buf_str(&r.body));
			mx_buf_free(&r.body);
			break;
		}
		mx_buf_free(&r.body);
		long wait = r.retry_after >= 0 ? r.retry_after : (1L << attempt);
		if (wait > EVAL_MAX_RETRY_WAIT)
			wait = EVAL_MAX_RETRY_WAIT;
		mx_debug("evals: retrying after %lds (attempt %d)", wait, attempt + 1);
		struct timespec ts = {.tv_sec = wait};
		nanosleep(&ts, NULL);
	}
	mx_free(text);
	return rc;
}

/* ----------------------------------------------------------- providers */

struct tool_call {
	char *id;
	char *name;
	json_t *args;
};

struct reply {
	char *text; /* concatenated text parts; "" when none */
	struct tool_call *calls;
	size_t ncalls;
	json_t *assistant_msg; /* the reply as the provider wants it echoed back */
};

static void reply_free(struct reply *r)
{
	mx_free(r->text);
	for (size_t i = 0; i < r->ncalls; i++) {
		mx_free(r->calls[i].id);
		mx_free(r->calls[i].name);
		json_decref(r->calls[i].args);
	}
	mx_free(r->calls);
	json_decref(r->assistant_msg);
	memset(r, 0, sizeof *r);
}

struct provider {
	const char *type;
	/* the request body for the conversation so far */
	json_t *(*request)(const struct mx_eval_model *m, const json_t *tools, const json_t *messages);
	const char *path; /* appended to base_url */
	const char *content_headers[3]; /* sent with every request, NULL-terminated */
	const char *auth_header; /* printf format of the key's header line */
	int (*parse)(const json_t *resp, struct reply *out, struct mx_err *err);
	/* Append the tool results (ids, texts, error flags) to messages. */
	void (*add_results)(json_t *messages, const struct reply *r, json_t *const *texts,
	                    const int *is_error);
	/* Our tools in the provider's format. */
	json_t *(*tool)(const char *name, const char *description, json_t *schema);
};

static void add_call(struct reply *r, const char *id, const char *name, json_t *args)
{
	r->calls = mx_realloc(r->calls, (r->ncalls + 1) * sizeof *r->calls);
	r->calls[r->ncalls].id = mx_strdup(id ? id : "");
	r->calls[r->ncalls].name = mx_strdup(name);
	r->calls[r->ncalls].args = args;
	r->ncalls++;
}

/* claude: Anthropic Messages API */

static json_t *claude_request(const struct mx_eval_model *m, const json_t *tools, const json_t *messages)
{
	json_t *b = json_pack("{s:s, s:i, s:O}", "model", m->name, "max_tokens", 4096, "messages", messages);
	if (json_array_size(tools))
		json_object_set(b, "tools", (json_t *)tools);
	return b;
}

static int claude_parse(const json_t *resp, struct reply *out, struct mx_err *err)
{
	const json_t *content = json_object_get(resp, "content");
	if (!json_is_array(content))
		return mx_err_set(err, MX_EINVAL,
		                  "Malformed response from the claude API: no 'content' array");
	struct mx_buf text;
	mx_buf_init(&text, EVAL_MAX_RESPONSE);
	size_t i;
	json_t *block;
	json_array_foreach (content, i, block) {
		const char *type = json_string_value(json_object_get(block, "type"));
		if (type && !strcmp(type, "text")) {
			const char *t = json_string_value(json_object_get(block, "text"));
			if (t)
				mx_buf_printf(&text, "%s%s", text.len ? "\n" : "", t);
		} else if (type && !strcmp(type, "tool_use")) {
			const char *name = json_string_value(json_object_get(block, "name"));
			const json_t *input = json_object_get(block, "input");
			if (!name || (input && !json_is_object(input))) {
				mx_buf_free(&text);
				return mx_err_set(
				        err, MX_EINVAL,
				        "Malformed response from the claude API: bad tool_use block");
			}
			add_call(out, json_string_value(json_object_get(block, "id")), name,
			         input ? json_deep_copy(input) : json_object());
		}
	}
	char *s = mx_buf_detach(&text);
	out->text = s ? s : mx_strdup("");
	out->assistant_msg = json_pack("{s:s, s:O}", "role", "assistant", "content", content);
	return 0;
}

static void claude_add_results(json_t *messages, const struct reply *r, json_t *const *texts,
                               const int *is_error)
{
	json_t *blocks = json_array();
	for (size_t i = 0; i < r->ncalls; i++) {
		json_t *b = json_pack("{s:s, s:s, s:O}", "type", "tool_result", "tool_use_id", r->calls[i].id,
		                      "content", texts[i]);
		if (is_error[i])
			json_object_set_new(b, "is_error", json_true());
		json_array_append_new(blocks, b);
	}
	json_array_append_new(messages, json_pack("{s:s, s:o}", "role", "user", "content", blocks));
}

static json_t *claude_tool(const char *name, const char *description, json_t *schema)
{
	return json_pack("{s:s, s:s, s:o}", "name", name, "description", description, "input_schema", schema);
}

/* openai: Chat Completions API */

static json_t *openai_request(const struct mx_eval_model *m, const json_t *tools, const json_t *messages)
{
	json_t *b = json_pack("{s:s, s:O}", "model", m->name, "messages", messages);
	if (json_array_size(tools))
		json_object_set(b, "tools", (json_t *)tools);
	return b;
}

static int openai_parse(const json_t *resp, struct reply *out, struct mx_err *err)
{
	const json_t *msg = json_object_get(json_array_get(json_object_get(resp, "choices"), 0), "message");
	if (!json_is_object(msg))
		return mx_err_set(err, MX_EINVAL,
		                  "Malformed response from the openai API: no choices[0].message");
	const char *content = json_string_value(json_object_get(msg, "content"));
	out->text = mx_strdup(content ? content : "");
	size_t i;
	json_t *tc;
	json_array_foreach (json_object_get(msg, "tool_calls"), i, tc) {
		const json_t *fn = json_object_get(tc, "function");
		const char *name = json_string_value(json_object_get(fn, "name"));
		const char *args = json_string_value(json_object_get(fn, "arguments"));
		json_t *parsed = args && *args ? json_loads(args, 0, NULL) : json_object();
		if (!name || !json_is_object(parsed)) {
			json_decref(parsed);
			return mx_err_set(
			        err, MX_EINVAL,
			        "Malformed response from the openai API: bad tool call (arguments must be a "
			        "JSON object)");
		}
		add_call(out, json_string_value(json_object_get(tc, "id")), name, parsed);
	}
	out->assistant_msg = json_deep_copy(msg);
	return 0;
}

static void openai_add_results(json_t *messages, const struct reply *r, json_t *const *texts,
                               const int *is_error)
{
	(void)is_error;
	for (size_t i = 0; i < r->ncalls; i++)
		json_array_append_new(messages, json_pack("{s:s, s:s, s:O}", "role", "tool", "tool_call_id",
		                                          r->calls[i].id, "content", texts[i]));
}

static json_t *openai_tool(const char *name, const char *description, json_t *schema)
{
	return json_pack("{s:s, s:{s:s, s:s, s:o}}", "type", "function", "function", "name", name,
	                 "description", description, "parameters", schema);
}

static const struct provider PROVIDERS[] = {
        {"claude",
         claude_request,
         "/v1/messages",
         {"content-type: application/json", "anthropic-version: 2023-06-01"},
         "x-api-key: %s",
         claude_parse,
         claude_add_results,
         claude_tool},
        {"openai",
         openai_request,
         "/chat/completions",
         {"Content-Type: application/json"},
         "Authorization: Bearer %s",
         openai_parse,
         openai_add_results,
         openai_tool},
};

static const struct provider *find_provider(const char *type)
{
	for (size_t i = 0; i < sizeof PROVIDERS / sizeof PROVIDERS[0]; i++)
		if (!strcmp(PROVIDERS[i].type, type))
			return &PROVIDERS[i];
	return NULL;
}

/* ------------------------------------------------------------- the loop */

static json_t *provider_tools(const struct provider *pv, const struct mx_project *p)
{
	json_t *tools = json_array();
	for (size_t i = 0; i < p->nendpoints; i++) {
		const struct mx_endpoint *ep = p->endpoints[i];
		if (ep->kind != MX_EP_TOOL)
			continue;
		json_array_append_new(tools, pv->tool(ep->name, ep->description ? ep->description : "",
		                                      mx_params_input_schema(ep->params, ep->nparams)));
	}
	return tools;
}

/* Run one tool call; returns the text handed back to the model. */
static json_t *run_call(struct mx_runtime *rt, struct mx_dbconn *conn, const struct tool_call *c,
                        const json_t *user, const char *provider, json_t *record, int *is_error)
{
	const struct mx_endpoint *ep = mx_project_find(mx_runtime_project(rt), MX_EP_TOOL, c->name);
	struct mx_err err;
	json_t *result = NULL;
	*is_error = 1;
	if (!ep) {
		mx_err_set(&err, MX_ENOTFOUND, "Tool '%s' not found", c->name);
	} else {
		struct mx_call_ctx ctx = mx_call_ctx_make(MX_CALLER_EVALS);
		ctx.user_context = user;
		ctx.user_provider = provider;
		if (mx_invoke(rt, conn, ep, c->args, &ctx, NULL, &result, &err) == 0)
			*is_error = 0;
		mx_call_ctx_clear(&ctx);
	}
	if (*is_error) {
		json_object_set_new(record, "error", json_string(err.msg));
		json_t *t = json_string(err.msg);
		return t;
	}
	json_object_set(record, "result", result);
	char *text = json_is_string(result) ? mx_strdup(json_string_value(result))
	                                    : mx_json_dumps(result, MX_JSON_COMPACT);
	json_t *t = json_string(text ? text : "");
	mx_free(text);
	json_decref(result);
	return t;
}

static int converse(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_eval_model *m,
                    const struct provider *pv, const json_t *tools, const char *prompt, const json_t *user,
                    const char *user_provider, int verbose, json_t *calls, char **answer, struct mx_err *err)
{
	json_t *messages = json_array();
	json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "user", "content", prompt));
	struct mx_buf url;
	mx_buf_init(&url, 8192);
	mx_buf_printf(&url, "%s%s", m->base_url, pv->path);
	/* the provider's headers, then the key's, which is wiped when done */
	struct mx_buf auth;
	mx_buf_init(&auth, 8192);
	mx_buf_printf(&auth, pv->auth_header, m->api_key);
	const char *headers[4] = {0};
	size_t nh = 0;
	while (nh < 2 && pv->content_headers[nh])
		headers[nh] = pv->content_headers[nh], nh++;
	headers[nh] = mx_buf_str(&auth);
	int rc = 0, turn;
	*answer = NULL;
	for (turn = 0; turn < MX_EVAL_MAX_TURNS; turn++) {
		json_t *body = pv->request(m, tools, messages), *resp = NULL;
		rc = http_post_json(m, mx_buf_str(&url), headers, body, &resp, err);
		json_decref(body);
		if (rc)
			break;
		struct reply r = {0};
		rc = pv->parse(resp, &r, err);
		json_decref(resp);
		if (rc) {
			reply_free(&r);
			break;
		}
		if (verbose)
			fprintf(stderr, "  turn %d: %zu tool call(s)%s%s\n", turn + 1, r.ncalls,
			        r.text[0] ? ", text: " : "", r.text);
		if (r.ncalls == 0) {
			*answer = r.text;
			r.text = NULL;
			reply_free(&r);
			break;
		}
		json_array_append(messages, r.assistant_msg);
		json_t **texts = mx_calloc(r.ncalls, sizeof *texts);
		int *errs = mx_calloc(r.ncalls, sizeof *errs);
		for (size_t i = 0; i < r.ncalls; i++) {
			json_t *rec = json_pack("{s:s, s:O}", "tool", r.calls[i].name, "arguments",
			                        r.calls[i].args);
			texts[i] = run_call(rt, conn, &r.calls[i], user, user_provider, rec, &errs[i]);
			if (verbose)
				fprintf(stderr, "    %s → %s\n", r.calls[i].name,
				        json_string_value(texts[i]));
			json_array_append_new(calls, rec);
		}
		pv->add_results(messages, &r, texts, errs);
		for (size_t i = 0; i < r.ncalls; i++)
			json_decref(texts[i]);
		mx_free(texts);
		mx_free(errs);
		reply_free(&r);
	}
	if (rc == 0 && *answer == NULL)
		rc = mx_err_set(err, MX_ELIMIT, "No final answer after %d turns", MX_EVAL_MAX_TURNS);
	if (auth.p)
		memset(auth.p, 0, auth.len);
	mx_buf_free(&auth);
	mx_buf_free(&url);
	json_decref(messages);
	return rc;
}

/* ----------------------------------------------------------- assertions */

static int contains_ci(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);
	if (nl == 0)
		return 1;
	for (const char *p = hay; *p; p++)
		if (strncasecmp(p, needle, nl) == 0)
			return 1;
	return 0;
}

static void addfail(json_t *failures, const char *fmt, const char *a, const char *b)
{
	struct mx_buf m;
	mx_buf_init(&m, 1 << 16);
	mx_buf_printf(&m, fmt, a, b ? b : "");
	json_array_append_new(failures, json_string(mx_buf_str(&m)));
	mx_buf_free(&m);
}

json_t *mx_eval_check(const json_t *assertions, const json_t *calls, const char *answer)
{
	json_t *failures = json_array();
	size_t i, j;
	json_t *want, *call;
	json_array_foreach (json_object_get(assertions, "must_call"), i, want) {
		const char *tool = json_string_value(json_object_get(want, "tool"));
		const json_t *args = json_object_get(want, "args");
		int found = 0;
		json_array_foreach (calls, j, call) {
			if (!tool || strcmp(tool, json_string_value(json_object_get(call, "tool"))))
				continue;
			const json_t *got = json_object_get(call, "arguments");
			const char *k;
			json_t *v;
			int ok = 1;
			json_object_foreach ((json_t *)args, k, v) {
				const json_t *g = json_object_get(got, k);
				if (!g || !mx_json_equal_num(g, v))
					ok = 0;
			}
			if (ok) {
				found = 1;
				break;
			}
		}
		if (!found) {
			char *repr = mx_test_pystr(args ? args : json_object());
			addfail(failures, "Expected call to '%s' with args %s not found", tool ? tool : "",
			        repr);
			mx_free(repr);
		}
	}
	json_array_foreach (json_object_get(assertions, "must_not_call"), i, want) {
		const char *tool = json_string_value(want);
		json_array_foreach (calls, j, call) {
			if (tool && !strcmp(tool, json_string_value(json_object_get(call, "tool")))) {
				addfail(failures, "Tool '%s' was called but should not have been%s", tool,
				        NULL);
				break;
			}
		}
	}
	json_array_foreach (json_object_get(assertions, "answer_contains"), i, want) {
		const char *t = json_string_value(want);
		if (t && !contains_ci(answer ? answer : "", t))
			addfail(failures, "Expected text '%s' not found in response%s", t, NULL);
	}
	json_array_foreach (json_object_get(assertions, "answer_not_contains"), i, want) {
		const char *t = json_string_value(want);
		if (t && contains_ci(answer ? answer : "", t))
			addfail(failures, "Forbidden text '%s' found in response%s", t, NULL);
	}
	return failures;
}

/* --------------------------------------------------------------- runner */

json_t *mx_eval_run_suite(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_eval_suite *s,
                          const struct mx_eval_model *m, const struct mx_eval_options *opt)
{
	double t0 = mx_mono_s();
	const struct provider *pv = find_provider(m->type);
	const char *desc = json_string_value(json_object_get(s->def, "description"));
	json_t *tests = json_array();
	json_t *out = json_pack("{s:s, s:s, s:s}", "suite", s->name, "description", desc ? desc : "", "model",
	                        m->name);
	json_t *tools = provider_tools(pv, mx_runtime_project(rt));
	int all_passed = 1;
	size_t i;
	json_t *t;
	json_array_foreach (json_object_get(s->def, "tests"), i, t) {
		double t1 = mx_mono_s();
		const char *name = json_string_value(json_object_get(t, "name"));
		const char *tdesc = json_string_value(json_object_get(t, "description"));
		const char *prompt = json_string_value(json_object_get(t, "prompt"));
		const json_t *user = opt && opt->cli_user_context ? opt->cli_user_context
		                                                  : json_object_get(t, "user_context");
		const char *provider = opt && opt->cli_user_context ? "cli" : "test";
		json_t *calls = json_array(), *res;
		char *answer = NULL;
		struct mx_err err;
		if (converse(rt, conn, m, pv, tools, prompt, json_is_object(user) ? user : NULL, provider,
		             opt && opt->verbose, calls, &answer, &err)) {
			res = json_pack("{s:s, s:s, s:b, s:s}", "name", name, "description",
			                tdesc ? tdesc : "", "passed", 0, "error", err.msg);
			all_passed = 0;
		} else {
			json_t *failures = mx_eval_check(json_object_get(t, "assertions"), calls, answer);
			int passed = json_array_size(failures) == 0;
			all_passed &= passed;
			res = json_pack("{s:s, s:s, s:b, s:o, s:{s:s, s:O}}", "name", name, "description",
			                tdesc ? tdesc : "", "passed", passed, "failures", failures, "details",
			                "response", answer, "tool_calls", calls);
		}
		json_object_set_new(res, "time", json_real(mx_mono_s() - t1));
		json_array_append_new(tests, res);
		json_decref(calls);
		mx_free(answer);
	}
	json_decref(tools);
	json_object_set_new(out, "tests", tests);
	json_object_set_new(out, "all_passed", json_boolean(all_passed));
	json_object_set_new(out, "elapsed_time", json_real(mx_mono_s() - t0));
	return out;
}
