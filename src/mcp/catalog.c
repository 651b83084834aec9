/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog — what one project snapshot looks like over MCP: the endpoints
 * split by list (tools incl. the built-in SQL tools, static resources,
 * resource templates with their compiled URI templates, prompts), the list
 * items as JSON, and each list page and the server/discover result
 * serialised once per revision dialect and kept until the snapshot goes.
 *
 * Built by the server (mx_mcp_server_new, reload) on the caller's thread;
 * afterwards immutable except the page cache, which any thread fills under
 * `mu`. Refcounted: calls hold a reference, so a reload never frees what a
 * running call reads.
 */
#include "mcp/internal.h"

#include "core/alloc.h"
#include "core/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const DIALECT_NAMES[MX_MCP_D_COUNT] = {
        "2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28",
};

const char *const MX_MCP_REVISIONS[] = {
        "2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL,
};

const char *mx_mcp_dialect_name(enum mx_mcp_dialect d)
{
	return d < MX_MCP_D_COUNT ? DIALECT_NAMES[d] : "?";
}

int mx_mcp_dialect_parse(const char *s)
{
	for (int i = 0; s && i < MX_MCP_D_COUNT; i++)
		if (strcmp(s, DIALECT_NAMES[i]) == 0)
			return i;
	return -1;
}

json_t *mx_mcp_capabilities(int subscribe)
{
	return json_pack("{s:{s:b}, s:{s:b, s:b}, s:{s:b}, s:{}, s:{}}", "tools", "listChanged", 1,
	                 "resources", "subscribe", subscribe, "listChanged", 1, "prompts", "listChanged", 1,
	                 "logging", "completions");
}

static int same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static int same_json(json_t *a, json_t *b)
{
	int same = (a == NULL && b == NULL) || (a && b && json_equal(a, b));
	json_decref(a);
	json_decref(b);
	return same;
}

int mx_mcp_resource_same(const struct mx_endpoint *a, const struct mx_endpoint *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	/* a Python resource's module is imported afresh by a reload: changed */
	if (a->language != MX_LANG_SQL || b->language != MX_LANG_SQL)
		return 0;
	return same_str(a->uri, b->uri) && same_str(a->mime_type, b->mime_type) &&
	       same_str(a->description, b->description) && same_str(a->source_code, b->source_code) &&
	       same_json(mx_params_input_schema(a->params, a->nparams),
	                 mx_params_input_schema(b->params, b->nparams)) &&
	       same_json(mx_type_output_schema(a->ret), mx_type_output_schema(b->ret));
}

json_t *mx_mcp_server_info(const struct mx_mcp_catalog *c, enum mx_mcp_dialect d)
{
	json_t *info = json_pack("{s:s, s:s}", "name", "MXCP Server", "version", MXCP_VERSION);
	if (info && d >= MX_MCP_D_2025_06_18 && c && c->server_title)
		json_object_set_new(info, "title", json_string(c->server_title));
	return info;
}

const char *mx_mcp_resource_mime(const struct mx_endpoint *ep)
{
	if (ep->mime_type)
		return ep->mime_type;
	return ep->ret && ep->ret->kind == MX_T_STRING ? "text/plain" : "application/json";
}

/* ------------------------------------------------------------------ items */

static int set_str(json_t *o, const char *k, const char *v)
{
	return v ? json_object_set_new(o, k, json_string(v)) : 0;
}

static json_t *tool_item(const struct mx_endpoint *ep)
{
	json_t *t = json_pack("{s:s}", "name", ep->name);
	if (t == NULL)
		return NULL;
	int rc = set_str(t, "title", ep->title);
	rc |= json_object_set_new(t, "description", json_string(ep->description ? ep->description : ""));
	rc |= json_object_set_new(t, "inputSchema", mx_params_input_schema(ep->params, ep->nparams));
	if (ep->ret)
		rc |= json_object_set_new(t, "outputSchema", mx_type_output_schema(ep->ret));
	if (ep->annotations)
		rc |= json_object_set(t, "annotations", ep->annotations);
	if (rc) {
		json_decref(t);
		return NULL;
	}
	return t;
}

static json_t *resource_item(const struct mx_endpoint *ep, int is_template)
{
	const char *uri = ep->uri ? ep->uri : ep->name;
	json_t *r = json_pack("{s:s, s:s}", is_template ? "uriTemplate" : "uri", uri, "name",
	                      ep->title ? ep->title : uri);
	if (r == NULL)
		return NULL;
	int rc = set_str(r, "description", ep->description);
	rc |= set_str(r, "mimeType", mx_mcp_resource_mime(ep));
	if (rc) {
		json_decref(r);
		return NULL;
	}
	return r;
}

static json_t *prompt_item(const struct mx_endpoint *ep)
{
	json_t *args = json_array();
	for (size_t i = 0; args && i < ep->nparams; i++) {
		const struct mx_type *t = ep->params[i];
		json_t *a = json_pack("{s:s}", "name", t->name);
		if (a && t->description)
			json_object_set_new(a, "description", json_string(t->description));
		if (a)
			json_object_set_new(a, "required", json_boolean(t->default_value == NULL));
		if (a == NULL || json_array_append_new(args, a)) {
			json_decref(args);
			return NULL;
		}
	}
	if (args == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:o}", "name", ep->name, "description",
	                 ep->description ? ep->description : "", "arguments", args);
}

/* The item as dialect d shows it: fields a revision lacks are dropped. */
static json_t *item_for(const json_t *item, enum mx_mcp_dialect d)
{
	if (d >= MX_MCP_D_2025_06_18)
		return json_incref((json_t *)item);
	json_t *v = json_copy((json_t *)item);
	if (v == NULL)
		return NULL;
	json_object_del(v, "title");
	json_object_del(v, "outputSchema");
	if (d < MX_MCP_D_2025_03_26)
		json_object_del(v, "annotations");
	return v;
}

/* ------------------------------------------------------------- lifecycle */

static int push(const struct mx_endpoint ***arr, size_t *n, const struct mx_endpoint *ep)
{
	const struct mx_endpoint **a = mx_realloc((void *)*arr, (*n + 1) * sizeof *a);
	if (a == NULL)
		return MX_ENOMEM;
	a[(*n)++] = ep;
	*arr = a;
	return 0;
}

static int add_items(struct mx_mcp_catalog *c, struct mx_err *err)
{
	for (int k = 0; k < MX_MCP_L_COUNT; k++)
		if ((c->items[k] = json_array()) == NULL)
			return mx_err_set(err, MX_ENOMEM, "out of memory");
	for (size_t i = 0; i < c->ntools; i++)
		if (json_array_append_new(c->items[MX_MCP_L_TOOLS], tool_item(c->tools[i])))
			return mx_err_set(err, MX_ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nresources; i++)
		if (json_array_append_new(c->items[MX_MCP_L_RESOURCES], resource_item(c->resources[i], 0)))
			return mx_err_set(err, MX_ENOMEM, "out of memory");
	for (size_t i = 0; i < c->ntemplates; i++)
		if (json_array_append_new(c->items[MX_MCP_L_TEMPLATES], resource_item(c->templates[i], 1)))
			return mx_err_set(err, MX_ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nprompts; i++)
		if (json_array_append_new(c->items[MX_MCP_L_PROMPTS], prompt_item(c->prompts[i])))
			return mx_err_set(err, MX_ENOMEM, "out of memory");
	for (int k = 0; k < MX_MCP_L_COUNT; k++) {
		size_t n = json_array_size(c->items[k]);
		c->npages[k] = n == 0 ? 1 : (n + c->page_size - 1) / c->page_size;
		for (int d = 0; d < MX_MCP_D_COUNT; d++)
			if ((c->pages[k][d] = mx_calloc(c->npages[k], sizeof(struct mx_mcp_page))) == NULL)
				return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	return 0;
}

int mx_mcp_catalog_new(struct mx_project *p, int sql_tools, size_t page_size, struct mx_mcp_catalog **out,
                       struct mx_err *err)
{
	*out = NULL;
	struct mx_mcp_catalog *c = mx_calloc(1, sizeof *c);
	if (c == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->mu, NULL);
	c->project = mx_project_ref(p);
	c->page_size = page_size ? page_size : 100;
	c->server_title = p->site && p->site->project ? p->site->project : NULL;
	int rc = 0;
	for (size_t i = 0; i < p->nendpoints && rc == 0; i++) {
		const struct mx_endpoint *ep = p->endpoints[i];
		if (ep->kind == MX_EP_TOOL)
			rc = push(&c->tools, &c->ntools, ep);
		else if (ep->kind == MX_EP_PROMPT)
			rc = push(&c->prompts, &c->nprompts, ep);
		else if (mx_uri_template_has_vars(ep->uri ? ep->uri : ep->name))
			rc = push(&c->templates, &c->ntemplates, ep);
		else
			rc = push(&c->resources, &c->nresources, ep);
	}
	if (rc)
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	if (rc == 0 && sql_tools) {
		rc = mx_builtin_sql_tools_new(p->site ? &p->site->sql_tools : NULL, &c->builtins, err);
		for (int i = 0; rc == 0 && i < MX_BUILTIN_SQL_TOOLS; i++)
			if (mx_project_find(p, MX_EP_TOOL, c->builtins->tools[i]->name) == NULL &&
			    push(&c->tools, &c->ntools, c->builtins->tools[i]))
				rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	if (rc == 0 && c->ntemplates && (c->compiled = mx_calloc(c->ntemplates, sizeof *c->compiled)) == NULL)
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < c->ntemplates; i++) {
		const struct mx_endpoint *ep = c->templates[i];
		rc = mx_uri_template_compile(ep->uri ? ep->uri : ep->name, &c->compiled[i], err);
		if (rc)
			mx_err_prefix(err, "%s", ep->relpath);
	}
	if (rc == 0)
		rc = add_items(c, err);
	if (rc) {
		mx_mcp_catalog_unref(c);
		return rc;
	}
	*out = c;
	return 0;
}

struct mx_mcp_catalog *mx_mcp_catalog_ref(struct mx_mcp_catalog *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

static void page_clear(struct mx_mcp_page *pg)
{
	mx_free(pg->text);
	json_decref(pg->obj);
}

void mx_mcp_catalog_unref(struct mx_mcp_catalog *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	for (int k = 0; k < MX_MCP_L_COUNT; k++) {
		json_decref(c->items[k]);
		for (int d = 0; d < MX_MCP_D_COUNT; d++) {
			for (size_t i = 0; c->pages[k][d] && i < c->npages[k]; i++)
				page_clear(&c->pages[k][d][i]);
			mx_free(c->pages[k][d]);
		}
	}
	page_clear(&c->discover);
	page_clear(&c->all_tools);
	for (size_t i = 0; c->compiled && i < c->ntemplates; i++)
		mx_uri_template_free(c->compiled[i]);
	mx_free(c->compiled);
	mx_free((void *)c->tools);
	mx_free((void *)c->resources);
	mx_free((void *)c->templates);
	mx_free((void *)c->prompts);
	mx_builtin_sql_tools_free(c->builtins);
	mx_project_unref(c->project);
	pthread_mutex_destroy(&c->mu);
	mx_free(c);
}

/* ------------------------------------------------------------------ pages */

static const char *const LIST_KEYS[MX_MCP_L_COUNT] = {"tools", "resources", "resourceTemplates", "prompts"};

/* Cursors are opaque to clients: "p" and the offset of the page. */
static int parse_cursor(const struct mx_mcp_catalog *c, enum mx_mcp_list kind, const json_t *cursor,
                        size_t *page)
{
	*page = 0;
	if (cursor == NULL || json_is_null(cursor))
		return 0;
	const char *s = json_string_value(cursor);
	if (s == NULL || s[0] != 'p' || s[1] < '0' || s[1] > '9')
		return MX_EINVAL;
	char *end = NULL;
	errno = 0;
	unsigned long long off = strtoull(s + 1, &end, 10);
	if (errno || *end != '\0' || off % c->page_size != 0 || off / c->page_size >= c->npages[kind] ||
	    off == 0)
		return MX_EINVAL;
	*page = (size_t)(off / c->page_size);
	return 0;
}

static void add_cache_hints(json_t *r, const struct mx_mcp_catalog *c, const char *scope, long ttl_ms)
{
	json_object_set_new(r, "resultType", json_string("complete"));
	json_object_set_new(r, "ttlMs", json_integer(ttl_ms));
	json_object_set_new(r, "cacheScope", json_string(scope));
	json_object_set_new(r, "_meta",
	                    json_pack("{s:o}", "io.modelcontextprotocol/serverInfo",
	                              mx_mcp_server_info(c, MX_MCP_D_2026_07_28)));
}

static int build_page(struct mx_mcp_catalog *c, enum mx_mcp_list kind, enum mx_mcp_dialect d, size_t page,
                      struct mx_mcp_page *pg)
{
	json_t *all = c->items[kind], *items = json_array(), *r = NULL;
	size_t n = json_array_size(all), from = page * c->page_size;
	for (size_t i = from; items && i < n && i < from + c->page_size; i++)
		if (json_array_append_new(items, item_for(json_array_get(all, i), d))) {
			json_decref(items);
			items = NULL;
		}
	if (items == NULL || (r = json_pack("{s:o}", LIST_KEYS[kind], items)) == NULL)
		return MX_ENOMEM;
	if (from + c->page_size < n) {
		char cur[32];
		snprintf(cur, sizeof cur, "p%zu", from + c->page_size);
		json_object_set_new(r, "nextCursor", json_string(cur));
	}
	if (d >= MX_MCP_D_2026_07_28)
		add_cache_hints(r, c, "public", MX_MCP_LIST_TTL_MS);
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	if (mx_json_dump(&b, r, MX_JSON_COMPACT)) {
		mx_buf_free(&b);
		json_decref(r);
		return MX_ENOMEM;
	}
	pg->len = b.len;
	pg->text = mx_buf_detach(&b);
	pg->obj = r;
	return 0;
}

int mx_mcp_catalog_page(struct mx_mcp_catalog *c, enum mx_mcp_list kind, enum mx_mcp_dialect d,
                        const json_t *cursor, const struct mx_mcp_page **out)
{
	size_t page;
	*out = NULL;
	if (parse_cursor(c, kind, cursor, &page))
		return MX_EINVAL;
	pthread_mutex_lock(&c->mu);
	struct mx_mcp_page *pg = &c->pages[kind][d][page];
	int rc = pg->text ? 0 : build_page(c, kind, d, page, pg);
	pthread_mutex_unlock(&c->mu);
	if (rc == 0)
		*out = pg;
	return rc;
}

const struct mx_mcp_page *mx_mcp_catalog_discover(struct mx_mcp_catalog *c)
{
	pthread_mutex_lock(&c->mu);
	if (c->discover.text == NULL) {
		json_t *versions = json_array();
		for (int i = 0; versions && MX_MCP_REVISIONS[i]; i++)
			json_array_append_new(versions, json_string(MX_MCP_REVISIONS[i]));
		json_t *r = json_pack("{s:o, s:o}", "supportedVersions", versions, "capabilities",
		                      mx_mcp_capabilities(1));
		if (r) {
			add_cache_hints(r, c, "public", MX_MCP_LIST_TTL_MS);
			c->discover.text = mx_json_dumps(r, MX_JSON_COMPACT);
			c->discover.len = c->discover.text ? strlen(c->discover.text) : 0;
			c->discover.obj = r;
			if (c->discover.text == NULL) {
				json_decref(r);
				c->discover.obj = NULL;
			}
		}
	}
	pthread_mutex_unlock(&c->mu);
	return c->discover.text ? &c->discover : NULL;
}

const struct mx_mcp_page *mx_mcp_catalog_all_tools(struct mx_mcp_catalog *c)
{
	pthread_mutex_lock(&c->mu);
	if (c->all_tools.text == NULL) {
		/* The items as every session revision from 2025-06-18 lists them. */
		json_t *r = json_pack("{s:O}", "tools", c->items[MX_MCP_L_TOOLS]);
		c->all_tools.text = r ? mx_json_dumps(r, MX_JSON_COMPACT) : NULL;
		c->all_tools.len = c->all_tools.text ? strlen(c->all_tools.text) : 0;
		json_decref(r);
	}
	pthread_mutex_unlock(&c->mu);
	return c->all_tools.text ? &c->all_tools : NULL;
}

/* ---------------------------------------------------------------- lookups */

static const struct mx_endpoint *find(const struct mx_endpoint *const *a, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i]->name, name) == 0)
			return a[i];
	return NULL;
}

const struct mx_endpoint *mx_mcp_catalog_tool(const struct mx_mcp_catalog *c, const char *name)
{
	return find(c->tools, c->ntools, name);
}

const struct mx_endpoint *mx_mcp_catalog_prompt(const struct mx_mcp_catalog *c, const char *name)
{
	return find(c->prompts, c->nprompts, name);
}

static const char *res_uri(const struct mx_endpoint *ep)
{
	return ep->uri ? ep->uri : ep->name;
}

const struct mx_endpoint *mx_mcp_catalog_resource(const struct mx_mcp_catalog *c, const char *uri,
                                                  json_t **vars)
{
	*vars = NULL;
	for (size_t i = 0; i < c->nresources; i++)
		if (strcmp(res_uri(c->resources[i]), uri) == 0)
			return c->resources[i];
	for (size_t i = 0; i < c->ntemplates; i++)
		if (mx_uri_template_match(c->compiled[i], uri, vars) == 1)
			return c->templates[i];
	return NULL;
}

const struct mx_endpoint *mx_mcp_catalog_resource_def(const struct mx_mcp_catalog *c, const char *uri)
{
	for (size_t i = 0; i < c->ntemplates; i++)
		if (strcmp(res_uri(c->templates[i]), uri) == 0)
			return c->templates[i];
	for (size_t i = 0; i < c->nresources; i++)
		if (strcmp(res_uri(c->resources[i]), uri) == 0)
			return c->resources[i];
	return NULL;
}
