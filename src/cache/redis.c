/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redis — the shared backend of the response cache (see cache.h), for
 * several instances behind one load balancer.
 *
 * Keys, for namespace N (the project and profile):
 *   mxcp:cache:N:gen          the shared generation (absent = 0); a reload
 *                             or a flush on any instance INCRs it
 *   mxcp:cache:N:v:<sha256>   one answer: "<generation>:<value>", with the
 *                             entry's TTL (SET … PX)
 * A lookup pipelines GET gen and GET v:… (one round trip) and is a hit only
 * when the value's generation is the current one; the generation it saw is
 * the token its store writes under, so an answer computed before a reload
 * elsewhere is never served after it. The key is the SHA-256 of the
 * caller's key, so user identities and arguments never appear in Redis
 * key names.
 *
 * Connections: a pool of up to POOL_MAX blocking hiredis connections,
 * opened on demand by the calling thread (a worker, or the HTTP thread on
 * the hit path) with a short connect/command timeout. A failure (refused,
 * timed out, reset) closes that connection and marks the server down for
 * RETRY_S seconds: meanwhile every call is a miss without trying (calls run
 * uncached, never fail); the outage is logged once and its end once.
 */
#include "cache/internal.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_MAX 16
#define RETRY_S 1.0
#define PREFIX_MAX 200

struct rds {
	char host[256], user[128], password[256];
	int port, db;
	double timeout_s;
	char prefix[PREFIX_MAX]; /* "mxcp:cache:N:" */
	char genkey[PREFIX_MAX + 8];
	pthread_mutex_t mu; /* guards idle, nidle, down_logged */
	redisContext *idle[POOL_MAX];
	size_t nidle;
	_Atomic double down_until; /* mx_mono_s(); 0: up */
	int down_logged;
	atomic_int down;
};

static struct timeval tv_of(double s)
{
	struct timeval tv = {.tv_sec = (time_t)s, .tv_usec = (suseconds_t)((s - (double)(time_t)s) * 1e6)};
	return tv;
}

static void mark_down(struct rds *r, const char *why)
{
	atomic_store(&r->down_until, mx_mono_s() + RETRY_S);
	atomic_store(&r->down, 1);
	pthread_mutex_lock(&r->mu);
	int log = !r->down_logged;
	r->down_logged = 1;
	pthread_mutex_unlock(&r->mu);
	if (log)
		mx_warn("cache: Redis at %s:%d unreachable (%s); calls run uncached until it is back",
		        r->host, r->port, why);
}

static void mark_up(struct rds *r)
{
	if (!atomic_load_explicit(&r->down, memory_order_relaxed))
		return;
	atomic_store(&r->down, 0);
	pthread_mutex_lock(&r->mu);
	int log = r->down_logged;
	r->down_logged = 0;
	pthread_mutex_unlock(&r->mu);
	if (log)
		mx_info("cache: Redis at %s:%d reachable again", r->host, r->port);
}

/* A reply of the expected shape, or NULL (then *bad says whether the
 * connection is broken). */
static redisReply *command(redisContext *ctx, int *broken, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *rep = redisvCommand(ctx, fmt, ap);
	va_end(ap);
	*broken = rep == NULL;
	return rep;
}

static redisContext *connect_one(struct rds *r)
{
	redisContext *ctx = redisConnectWithTimeout(r->host, r->port, tv_of(r->timeout_s));
	if (ctx == NULL || ctx->err) {
		char why[160];
		snprintf(why, sizeof why, "%s", ctx ? ctx->errstr : "out of memory");
		if (ctx)
			redisFree(ctx);
		mark_down(r, why);
		return NULL;
	}
	redisSetTimeout(ctx, tv_of(r->timeout_s));
	int broken = 0;
	redisReply *rep = NULL;
	if (r->password[0]) {
		rep = r->user[0] ? command(ctx, &broken, "AUTH %s %s", r->user, r->password)
		                 : command(ctx, &broken, "AUTH %s", r->password);
		int ok = rep && rep->type != REDIS_REPLY_ERROR;
		if (rep)
			freeReplyObject(rep);
		if (!ok) {
			redisFree(ctx);
			mark_down(r, "AUTH refused");
			return NULL;
		}
	}
	if (r->db) {
		rep = command(ctx, &broken, "SELECT %d", r->db);
		int ok = rep && rep->type != REDIS_REPLY_ERROR;
		if (rep)
			freeReplyObject(rep);
		if (!ok) {
			redisFree(ctx);
			mark_down(r, "SELECT refused");
			return NULL;
		}
	}
	return ctx;
}

/* A pooled connection, or NULL while the server is (believed) down. */
static redisContext *acquire(struct rds *r)
{
	double until = atomic_load_explicit(&r->down_until, memory_order_relaxed);
	if (until > 0 && mx_mono_s() < until)
		return NULL;
	pthread_mutex_lock(&r->mu);
	redisContext *ctx = r->nidle ? r->idle[--r->nidle] : NULL;
	pthread_mutex_unlock(&r->mu);
	return ctx ? ctx : connect_one(r);
}

static void release(struct rds *r, redisContext *ctx, int broken)
{
	if (broken || ctx->err) {
		char why[160];
		snprintf(why, sizeof why, "%s", ctx->err ? ctx->errstr : "no reply");
		redisFree(ctx);
		mark_down(r, why);
		return;
	}
	mark_up(r);
	pthread_mutex_lock(&r->mu);
	if (r->nidle < POOL_MAX) {
		r->idle[r->nidle++] = ctx;
		ctx = NULL;
	}
	pthread_mutex_unlock(&r->mu);
	if (ctx)
		redisFree(ctx);
}

static void value_key(const struct rds *r, uint64_t unused, const void *key, size_t klen, char *out,
                      size_t outsz)
{
	(void)unused;
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(key, klen, md, &mdlen, EVP_sha256(), NULL);
	int n = snprintf(out, outsz, "%sv:", r->prefix);
	for (unsigned i = 0; i < mdlen && (size_t)n + 2 < outsz; i++)
		n += snprintf(out + n, outsz - (size_t)n, "%02x", md[i]);
}

static uint64_t parse_gen(const redisReply *rep)
{
	if (rep == NULL || rep->type != REDIS_REPLY_STRING)
		return 0;
	return strtoull(rep->str, NULL, 10);
}

static int rds_get(void *b, uint64_t generation, const void *key, size_t klen, char **val, size_t *vlen,
                   uint64_t *token)
{
	struct rds *r = b;
	redisContext *ctx = acquire(r);
	if (ctx == NULL)
		return MX_EIO;
	char vkey[PREFIX_MAX + 80];
	value_key(r, generation, key, klen, vkey, sizeof vkey);
	redisAppendCommand(ctx, "GET %s", r->genkey);
	redisAppendCommand(ctx, "GET %s", vkey);
	redisReply *g = NULL, *v = NULL;
	int broken =
	        redisGetReply(ctx, (void **)&g) != REDIS_OK || redisGetReply(ctx, (void **)&v) != REDIS_OK;
	int rc = MX_ENOTFOUND;
	if (broken) {
		rc = MX_EIO;
	} else {
		uint64_t gen = parse_gen(g);
		*token = gen;
		if (v && v->type == REDIS_REPLY_STRING) {
			char *colon = memchr(v->str, ':', v->len);
			if (colon && strtoull(v->str, NULL, 10) == gen) {
				size_t off = (size_t)(colon + 1 - v->str), n = v->len - off;
				char *copy = mx_malloc(n + 1);
				if (copy == NULL) {
					rc = MX_ENOMEM;
				} else {
					memcpy(copy, v->str + off, n);
					copy[n] = '\0';
					*val = copy;
					*vlen = n;
					rc = 0;
				}
			}
		}
	}
	if (g)
		freeReplyObject(g);
	if (v)
		freeReplyObject(v);
	release(r, ctx, broken);
	return rc;
}

static int rds_put(void *b, uint64_t generation, const void *key, size_t klen, const void *val, size_t vlen,
                   double ttl_s, uint64_t token)
{
	struct rds *r = b;
	redisContext *ctx = acquire(r);
	if (ctx == NULL)
		return MX_EIO;
	char vkey[PREFIX_MAX + 80];
	value_key(r, generation, key, klen, vkey, sizeof vkey);
	char head[32];
	int hn = snprintf(head, sizeof head, "%llu:", (unsigned long long)token);
	char *buf = mx_malloc((size_t)hn + vlen);
	if (buf == NULL) {
		release(r, ctx, 0);
		return MX_ENOMEM;
	}
	memcpy(buf, head, (size_t)hn);
	memcpy(buf + hn, val, vlen);
	long long ms = (long long)(ttl_s * 1000.0);
	if (ms < 1)
		ms = 1;
	int broken = 0;
	redisReply *rep = command(ctx, &broken, "SET %s %b PX %lld", vkey, buf, (size_t)hn + vlen, ms);
	mx_free(buf);
	int rc = broken || rep->type == REDIS_REPLY_ERROR ? MX_EIO : 0;
	if (rep)
		freeReplyObject(rep);
	release(r, ctx, broken);
	return rc;
}

static int rds_flush(void *b)
{
	struct rds *r = b;
	/* A flush must not be skipped because of an earlier outage: try now. */
	atomic_store(&r->down_until, 0.0);
	redisContext *ctx = acquire(r);
	if (ctx == NULL)
		return MX_EIO;
	int broken = 0;
	redisReply *rep = command(ctx, &broken, "INCR %s", r->genkey);
	int rc = broken || rep->type == REDIS_REPLY_ERROR ? MX_EIO : 0;
	if (rep)
		freeReplyObject(rep);
	release(r, ctx, broken);
	return rc;
}

static void rds_stats(void *b, struct mx_cache_stats *out)
{
	struct rds *r = b;
	out->down = atomic_load(&r->down);
}

static void rds_close(void *b)
{
	struct rds *r = b;
	for (size_t i = 0; i < r->nidle; i++)
		redisFree(r->idle[i]);
	pthread_mutex_destroy(&r->mu);
	mx_free(r);
}

int mx_cache_redis_open(const struct mx_cache_options *opt, void **out, struct mx_err *err)
{
	struct rds *r = mx_calloc(1, sizeof *r);
	if (r == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	int rc = mx_cache_parse_redis_url(opt->redis_url, r->host, sizeof r->host, &r->port, &r->db, r->user,
	                                  sizeof r->user, r->password, sizeof r->password, err);
	const char *ns = opt->namespace_ && *opt->namespace_ ? opt->namespace_ : "default";
	if (rc == 0 &&
	    (size_t)snprintf(r->prefix, sizeof r->prefix, "mxcp:cache:%s:", ns) >= sizeof r->prefix)
		rc = mx_err_set(err, MX_EINVAL, "cache: namespace too long");
	if (rc) {
		mx_free(r);
		return rc;
	}
	snprintf(r->genkey, sizeof r->genkey, "%sgen", r->prefix);
	r->timeout_s = opt->redis_timeout_s > 0 ? opt->redis_timeout_s : 0.25;
	pthread_mutex_init(&r->mu, NULL);
	atomic_init(&r->down_until, 0.0);
	atomic_init(&r->down, 0);
	*out = r;
	return 0;
}

const struct mx_cache_ops mx_cache_redis_ops = {
        .get = rds_get,
        .put = rds_put,
        .flush = rds_flush,
        .stats = rds_stats,
        .close = rds_close,
};
