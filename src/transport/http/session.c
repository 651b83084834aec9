/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session — the session table of the HTTP transports, and the reaper.
 *
 * A struct hsession wraps one mx_mcp_session: an HTTP session
 * (Mcp-Session-Id), a legacy /sse session, or a throwaway session that
 * serves a single stateless or 2026-07-28 POST. Every one sits in the
 * table (h->table, under h->mu) until it is retired (DELETE, idle timeout,
 * its legacy stream closed, its throwaway POST finished); then the reaper
 * frees it, off the MHD threads, because mx_mcp_session_free waits for the
 * session's calls. The reaper also closes idle sessions, writes SSE
 * heartbeats and, once a second, applies the read deadline
 * (mx_http_cut_slow_connections).
 */
#include "transport/http/internal.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "mcp/jsonrpc.h"
#include "ops/metrics.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* ------------------------------------------------------------- sessions */

void mx_http_session_unref(struct hsession *hss)
{
	if (atomic_fetch_sub(&hss->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&hss->mu);
	mx_free(hss);
}

static unsigned bucket_of(const char *id)
{
	unsigned v = 2166136261u;
	for (; *id; id++)
		v = (v ^ (unsigned char)*id) * 16777619u;
	return v % BUCKETS;
}

static int random_id(char out[33])
{
	unsigned char b[16];
	size_t got = 0;
	while (got < sizeof b) {
		ssize_t n = getrandom(b + got, sizeof b - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return MX_EIO;
		}
		got += (size_t)n;
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof b; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[32] = '\0';
	return 0;
}

int mx_http_sink_send(void *ctx, const char *json, size_t len, const json_t *msg);

/* A new session in the table (one reference for the caller besides the
 * table's). NULL with *full set when the cap is reached. */
struct hsession *mx_http_session_new(struct mx_http *h, int throwaway, int legacy, int *full)
{
	*full = 0;
	struct hsession *hss = mx_calloc(1, sizeof *hss);
	if (hss == NULL)
		return NULL;
	/* A throwaway session is never looked up by its id: a counter will do
	 * (and spares a getrandom call per stateless request). */
	static atomic_ullong throwaways;
	if (throwaway)
		snprintf(hss->id, sizeof hss->id, "t%031llx", atomic_fetch_add(&throwaways, 1));
	else if (random_id(hss->id) != 0) {
		mx_free(hss);
		return NULL;
	}
	atomic_init(&hss->refs, 2);
	hss->h = h;
	hss->throwaway = throwaway;
	hss->legacy = legacy;
	hss->last_used = mx_mono_s();
	pthread_mutex_init(&hss->mu, NULL);
	struct mx_mcp_sink sink = {.send = mx_http_sink_send, .ctx = hss};
	pthread_mutex_lock(&h->mu);
	if (!throwaway && (h->stopping || h->nsessions >= h->opt.max_sessions)) {
		pthread_mutex_unlock(&h->mu);
		*full = 1;
		pthread_mutex_destroy(&hss->mu);
		mx_free(hss);
		return NULL;
	}
	if (!throwaway)
		h->nsessions++;
	unsigned b = bucket_of(hss->id);
	hss->hnext = h->table[b];
	h->table[b] = hss;
	pthread_mutex_unlock(&h->mu);
	hss->ss = mx_mcp_session_new(h->mcp, &sink);
	if (hss->ss == NULL) {
		pthread_mutex_lock(&h->mu);
		struct hsession **pp = &h->table[b];
		while (*pp != hss)
			pp = &(*pp)->hnext;
		*pp = hss->hnext;
		if (!throwaway)
			h->nsessions--;
		pthread_mutex_unlock(&h->mu);
		pthread_mutex_destroy(&hss->mu);
		mx_free(hss);
		return NULL;
	}
	hss->serial = mx_mcp_session_serial(hss->ss);
	if (!throwaway) {
		mx_mcp_session_set_id(hss->ss, hss->id); /* audit records carry it */
		mx_metrics_sessions(1);
	}
	return hss;
}

/* Look a session up by id (throwaway ones are never found); takes a reference. */
struct hsession *mx_http_session_find(struct mx_http *h, const char *id, int legacy)
{
	if (id == NULL || strlen(id) != 32)
		return NULL;
	pthread_mutex_lock(&h->mu);
	struct hsession *hss = h->table[bucket_of(id)];
	while (hss && strcmp(hss->id, id) != 0)
		hss = hss->hnext;
	if (hss && (hss->throwaway || hss->retired || hss->legacy != legacy))
		hss = NULL;
	if (hss) {
		atomic_fetch_add(&hss->refs, 1);
		hss->last_used = mx_mono_s();
	}
	pthread_mutex_unlock(&h->mu);
	return hss;
}

/* Take a session out of the table; the reaper frees it. Caller holds h->mu. */
void mx_http_retire_locked(struct mx_http *h, struct hsession *hss)
{
	if (hss->retired)
		return;
	hss->retired = 1;
	struct hsession **pp = &h->table[bucket_of(hss->id)];
	while (*pp && *pp != hss)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = hss->hnext;
	if (!hss->throwaway)
		h->nsessions--;
	hss->gnext = h->graveyard;
	h->graveyard = hss;
	h->ngrave++;
	/* A stateless POST retires its throwaway session: waking the reaper for
	 * each would cost a context switch per request, so those are freed in
	 * batches (or within GRAVE_DELAY_MS). */
	if (!hss->throwaway)
		h->grave_urgent = 1;
	if (h->grave_urgent || h->ngrave >= GRAVE_BATCH || h->stopping)
		pthread_cond_signal(&h->cv);
}

void mx_http_retire(struct mx_http *h, struct hsession *hss)
{
	pthread_mutex_lock(&h->mu);
	mx_http_retire_locked(h, hss);
	pthread_mutex_unlock(&h->mu);
}
/* ---------------------------------------------------------------- reaper */

/* End every stream of a freed session. Caller holds hss->mu. */
static void close_streams(struct hsession *hss, int stopping)
{
	for (struct stream *st = hss->streams; st; st = st->next) {
		if (stopping && (st->kind == ST_POST_JSON || st->kind == ST_POST_SSE) && !st->done) {
			mx_http_stream_abandon(st, -32000,
			                       "Service Unavailable: the server is shutting down");
			continue;
		}
		if (st->kind == ST_POST_JSON && !st->done) {
			json_t *e = mx_rpc_error(st->await_id, -32001, "Session terminated", NULL);
			char *s = e ? mx_json_dumps(e, MX_JSON_COMPACT) : NULL;
			if (s)
				mx_buf_puts(&st->out, s);
			mx_http_stream_finish(st, e);
			mx_free(s);
			json_decref(e);
		}
		st->done = 1;
		mx_http_wake(st);
	}
}

static void heartbeat(struct hsession *hss)
{
	pthread_mutex_lock(&hss->mu);
	for (struct stream *st = hss->streams; st; st = st->next) {
		if (st->kind == ST_POST_JSON || st->done)
			continue;
		mx_buf_puts(&st->out, ": keepalive\n\n");
		mx_http_wake(st);
	}
	pthread_mutex_unlock(&hss->mu);
}

void *mx_http_reaper_main(void *arg)
{
	struct mx_http *h = arg;
	double last_scan = mx_mono_s(), last_beat = mx_mono_s();
	size_t freed_since_trim = 0;
	pthread_mutex_lock(&h->mu);
	for (;;) {
		if (!h->stop && !h->stopping && !h->grave_urgent && h->ngrave < GRAVE_BATCH) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			if (h->graveyard == NULL) {
				ts.tv_sec += 1;
			} else {
				ts.tv_nsec += GRAVE_DELAY_MS * 1000000L;
				if (ts.tv_nsec >= 1000000000L)
					ts.tv_sec++, ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&h->cv, &h->mu, &ts);
		}
		double t = mx_mono_s();
		int beat = t - last_beat >= HEARTBEAT_SECONDS;
		if (t - last_scan >= 1.0 || beat) {
			last_scan = t;
			mx_http_cut_slow_connections(h);
			if (beat)
				last_beat = t;
			for (size_t b = 0; b < BUCKETS; b++) {
				struct hsession *next;
				for (struct hsession *hss = h->table[b]; hss; hss = next) {
					next = hss->hnext;
					if (beat)
						heartbeat(hss);
					pthread_mutex_lock(&hss->mu);
					int idle = hss->streams == NULL && !hss->throwaway &&
					           t - hss->last_used > (double)h->opt.session_timeout;
					pthread_mutex_unlock(&hss->mu);
					if (idle) {
						mx_debug("http: session %.8s… idle, closing", hss->id);
						mx_http_retire_locked(h, hss);
					}
				}
			}
		}
		struct hsession *dead = h->graveyard;
		h->graveyard = NULL;
		h->ngrave = 0;
		h->grave_urgent = 0;
		int stopping = h->stopping;
		if (dead == NULL && h->stop)
			break;
		pthread_mutex_unlock(&h->mu);
		while (dead) {
			struct hsession *hss = dead;
			dead = hss->gnext;
			if (stopping)
				mx_mcp_session_drain(hss->ss);
			mx_mcp_session_free(hss->ss);
			pthread_mutex_lock(&hss->mu);
			hss->ss = NULL;
			close_streams(hss, stopping);
			pthread_mutex_unlock(&hss->mu);
			if (!hss->throwaway) {
				mx_metrics_sessions(-1);
				freed_since_trim++;
			}
			mx_http_session_unref(hss);
		}
		/* Give the pages of many closed sessions back to the system. */
		if (freed_since_trim >= 256) {
			malloc_trim(0);
			freed_since_trim = 0;
		}
		pthread_mutex_lock(&h->mu);
		if (freed_since_trim > 0 && h->graveyard == NULL && h->nsessions == 0) {
			malloc_trim(0);
			freed_since_trim = 0;
		}
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}
