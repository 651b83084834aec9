/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache — the response cache's store: opaque byte keys to opaque byte
 * values with a time to live, behind one of two backends chosen at open:
 *
 *   memory  a bounded in-process store (memory.c): 64 shards, each an
 *           S3-FIFO queue pair (or LRU, for measurement) under its own
 *           reader/writer lock, so a hit takes a shared lock on one shard
 *           and bumps an atomic counter; nothing global on the hit path;
 *   redis   a Redis server shared by several instances (redis.c): values
 *           with a TTL, a per-namespace generation key that a reload
 *           anywhere increments, a small connection pool; a Redis that is
 *           down means misses (logged once, counted), never failures.
 *
 * The cache knows nothing of endpoints, users or JSON: exec/invoke.c builds
 * the key (endpoint, arguments in canonical form, the caller's identity
 * where the answer may depend on it) and the value (the final answer,
 * serialised). The caller also passes the generation of its snapshot:
 * the memory backend keys by it, so a reload (a new snapshot, a new
 * generation) never serves an answer of the old one; the Redis backend
 * keys by its shared generation instead (the per-snapshot one is local to
 * one process).
 *
 * Threads: every function may be called from any thread at once. No thread
 * of its own; Redis connections are opened on first use.
 * Leaf over core: no module but core/ is included here.
 */
#ifndef MX_CACHE_CACHE_H
#define MX_CACHE_CACHE_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

struct mx_cache;

enum mx_cache_backend { MX_CACHE_MEMORY, MX_CACHE_REDIS };
/* The memory backend's eviction policy (S3-FIFO unless measuring). */
enum mx_cache_policy { MX_CACHE_S3FIFO, MX_CACHE_LRU };

struct mx_cache_options {
	enum mx_cache_backend backend;
	size_t max_bytes; /* memory: keys, values and bookkeeping (0: 64 MiB) */
	enum mx_cache_policy policy;
	const char *redis_url; /* redis://[[user]:password@]host[:port][/db] */
	/* Redis keys start with "mxcp:cache:<namespace>:" (the project and
	 * profile); NULL: "default". */
	const char *namespace_;
	double redis_timeout_s; /* connect and command timeout (0: 0.25 s) */
};

struct mx_cache_stats {
	unsigned long long hits, misses, stores, evictions, errors;
	unsigned long long bytes, entries; /* memory backend: now */
	int down; /* redis: the server is unreachable now */
};

/* Open a cache. Redis: the URL is parsed now, nothing is connected until
 * the first call (a Redis that is down is not an error here). */
int mx_cache_open(const struct mx_cache_options *opt, struct mx_cache **out, struct mx_err *err);
void mx_cache_close(struct mx_cache *c);

enum mx_cache_backend mx_cache_backend_of(const struct mx_cache *c);
const char *mx_cache_backend_name(enum mx_cache_backend b); /* "memory", "redis" */

/* A fresh generation for a new snapshot (1, 2, …). */
uint64_t mx_cache_next_generation(struct mx_cache *c);

/* Look key up. 0 with *val (mx_malloc'd, NUL-terminated past *vlen) on a
 * hit; MX_ENOTFOUND on a miss; MX_EIO when the backend cannot be reached
 * (counted as an error and as a miss). *token says what a following
 * mx_cache_put must store under (Redis: the shared generation seen). */
int mx_cache_get(struct mx_cache *c, uint64_t generation, const void *key, size_t klen, char **val,
                 size_t *vlen, uint64_t *token);
/* Store val for ttl_s seconds (> 0). A value larger than the store allows
 * is not kept (0 still). MX_EIO when the backend cannot be reached. */
int mx_cache_put(struct mx_cache *c, uint64_t generation, const void *key, size_t klen, const void *val,
                 size_t vlen, double ttl_s, uint64_t token);
/* Forget everything: memory drops every entry, Redis increments the shared
 * generation (every instance then misses). A reload calls it too. */
int mx_cache_flush(struct mx_cache *c);

void mx_cache_get_stats(struct mx_cache *c, struct mx_cache_stats *out);

/* A 64-bit hash of (seed, bytes): wyhash-style multiply-mix; fast, not
 * cryptographic (keys are always compared in full). */
uint64_t mx_cache_hash(uint64_t seed, const void *key, size_t klen);

/* Parse "redis://[[user]:password@]host[:port][/db]". 0, or MX_EINVAL with
 * err saying why. host/user/password are written NUL-terminated. */
int mx_cache_parse_redis_url(const char *url, char *host, size_t hostsz, int *port, int *db, char *user,
                             size_t usersz, char *password, size_t passwordsz, struct mx_err *err);

#endif
