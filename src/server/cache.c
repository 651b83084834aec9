/* SPDX-License-Identifier: Apache-2.0 */
/* cache — see cache.h. Runs on the server's thread (start-up, reload). */
#include "server/cache.h"

#include "cache/cache.h"
#include "config/site.h"
#include "config/user.h"
#include "core/log.h"
#include "exec/invoke.h"
#include "model/project.h"
#include "ops/metrics.h"

#include <stdio.h>
#include <string.h>

/* The endpoint a cache.endpoints name means: a tool or prompt by name, a
 * resource by URI or by its `name`. */
static const struct mx_endpoint *named(const struct mx_project *p, const char *name)
{
	for (size_t i = 0; i < p->nendpoints; i++) {
		const struct mx_endpoint *ep = p->endpoints[i];
		if (strcmp(ep->name, name) == 0 ||
		    (ep->kind == MX_EP_RESOURCE && ep->title && strcmp(ep->title, name) == 0))
			return ep;
	}
	return NULL;
}

int mx_server_cache_check(const struct mx_project *p, struct mx_err *err)
{
	const struct mx_user_cache *c = p->user ? &p->user->cache : NULL;
	if (c == NULL || c->endpoints == NULL)
		return 0;
	const char *file = p->user->file ? p->user->file : "";
	const char *name;
	const json_t *v;
	json_object_foreach ((json_t *)c->endpoints, name, v) {
		const json_t *at = json_object_get(c->endpoint_lines, name);
		int line = (int)json_integer_value(json_array_get(at, 0));
		int col = (int)json_integer_value(json_array_get(at, 1));
		const struct mx_endpoint *ep = named(p, name);
		const char *why = NULL;
		if (ep == NULL) {
			mx_warn("%s:%d:%d: cache.endpoints.%s: no tool, resource or prompt of that name",
			        file, line, col, name);
			continue;
		}
		if (!mx_invoke_cacheable(ep, &why))
			return mx_err_at(err, MX_EINVAL, file, line, col,
			                 "cache.endpoints.%s: %s %s cannot be cached: %s (%s)", name,
			                 mx_endpoint_kind_name(ep->kind), name, why, ep->relpath);
	}
	return 0;
}

static void cache_source(void *ctx, struct mx_metrics_cache *out)
{
	struct mx_cache_stats st;
	mx_cache_get_stats(ctx, &st);
	out->backend = mx_cache_backend_name(mx_cache_backend_of(ctx));
	out->hits = st.hits;
	out->misses = st.misses;
	out->stores = st.stores;
	out->evictions = st.evictions;
	out->errors = st.errors;
	out->bytes = st.bytes;
	out->entries = st.entries;
	out->down = st.down;
}

int mx_server_cache_open(const struct mx_project *p, struct mx_cache **out, struct mx_err *err)
{
	*out = NULL;
	const struct mx_user_cache *c = p->user ? &p->user->cache : NULL;
	if (c == NULL || !c->enabled)
		return 0;
	char ns[160];
	snprintf(ns, sizeof ns, "%s:%s", p->site && p->site->project ? p->site->project : "default",
	         p->profile ? p->profile : "default");
	struct mx_cache_options opt = {
	        .backend = strcmp(c->backend, "redis") == 0 ? MX_CACHE_REDIS : MX_CACHE_MEMORY,
	        .max_bytes = (size_t)c->max_memory_mb << 20,
	        .redis_url = c->redis_url,
	        .namespace_ = ns,
	};
	int rc = mx_cache_open(&opt, out, err);
	if (rc)
		return rc;
	mx_metrics_set_cache_source(cache_source, *out);
	if (opt.backend == MX_CACHE_REDIS)
		mx_info("cache: answers of read-only endpoints cached in Redis (namespace %s), default TTL "
		        "%lds",
		        ns, c->default_ttl);
	else
		mx_info("cache: answers of read-only endpoints cached in memory (up to %ld MB), default TTL "
		        "%lds",
		        c->max_memory_mb, c->default_ttl);
	return 0;
}

void mx_server_cache_close(struct mx_cache *c)
{
	if (c == NULL)
		return;
	mx_metrics_set_cache_source(NULL, NULL);
	mx_cache_close(c);
}

void mx_server_cache_reload_note(const struct mx_cache *c, const struct mx_project *old,
                                 const struct mx_project *p)
{
	const struct mx_user_cache *a = old && old->user ? &old->user->cache : NULL;
	const struct mx_user_cache *b = p->user ? &p->user->cache : NULL;
	int want = b && b->enabled;
	if (c == NULL && want) {
		mx_warn("reload: cache.enabled takes effect when the server is restarted");
		return;
	}
	if (c && !want) {
		mx_info("reload: the response cache is off for the new configuration");
		return;
	}
	if (c && a && b &&
	    (strcmp(a->backend, b->backend) != 0 || strcmp(a->redis_url, b->redis_url) != 0 ||
	     a->max_memory_mb != b->max_memory_mb))
		mx_warn("reload: cache.backend, redis_url and max_memory_mb take effect when the server is "
		        "restarted");
}
