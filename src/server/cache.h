/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache — the server's side of the response cache (src/cache/): the user
 * config's cache block checked against the project's endpoints, the store
 * opened for the profile (or not at all: a project without a cache has no
 * cache object, no thread and no connection), and its /metrics source.
 */
#ifndef MX_SERVER_CACHE_H
#define MX_SERVER_CACHE_H

#include "core/err.h"

struct mx_cache;
struct mx_project;

/* Every name under cache.endpoints must be a cacheable endpoint of p: a
 * tool not marked annotations.readOnlyHint: true (or a built-in one) is an
 * error naming the config's file:line:col; a name that matches nothing is
 * logged. */
int mx_server_cache_check(const struct mx_project *p, struct mx_err *err);

/* Open the profile's cache when `cache.enabled` (*out NULL otherwise) and
 * install its /metrics source. */
int mx_server_cache_open(const struct mx_project *p, struct mx_cache **out, struct mx_err *err);
/* Remove the metrics source and close (NULL is fine). */
void mx_server_cache_close(struct mx_cache *c);

/* A reload's new cache settings that only a restart applies (enabling,
 * disabling, another backend or bound): logged. */
void mx_server_cache_reload_note(const struct mx_cache *c, const struct mx_project *old,
                                 const struct mx_project *p);

#endif
