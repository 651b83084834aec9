/* SPDX-License-Identifier: Apache-2.0 */
/*
 * floor_http — the floor for bench/http.sh: a bare libmicrohttpd handler that
 * does only what a tools/call of the trivial tool must do: read the POST body,
 * parse the JSON-RPC request (jansson), run the same prepared DuckDB
 * statement (`SELECT $1 + 1`) on the thread's own connection, and answer
 * with a JSON-RPC result. Same MHD mode as mxcp (epoll, thread pool of 4).
 * No sessions, validation, policies, audit or metrics: mxcp's cost above
 * this is what those add. MXCP_DUCKDB_THREADS sets DuckDB's threads, as it
 * does for mxcp.
 *
 * The greet tool of bench/cache.sh (arguments {"name": "…"}) runs
 * `SELECT 'Hello, ' || $1 || '!'` the same way. With --constant the server
 * is HTTP alone: it reads the body and answers one constant JSON-RPC result
 * without parsing it or touching DuckDB (bench/cache.sh's "HTTP alone").
 *   floor_http DBFILE PORT [--constant]
 */
#include <duckdb.h>
#include <jansson.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static duckdb_database db;
static _Thread_local duckdb_connection conn;
static _Thread_local duckdb_prepared_statement stmt;
static _Thread_local unsigned execs;
static _Thread_local duckdb_prepared_statement greet_stmt;
static _Thread_local unsigned greet_execs;
static int constant;
static const char CONSTANT[] =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
        "\"Hello, Ann!\"}],\"isError\":false}}";

/* 'Hello, <name>!' into out, or -1. */
static int run_greet(const char *name, char *out, size_t outsz)
{
	if (conn == NULL && duckdb_connect(db, &conn) != DuckDBSuccess)
		return -1;
	/* typed, so an execution does not bind again; prepared afresh every
	 * 4,096 runs, as run_query does (and mxcp) */
	if (greet_stmt != NULL && ++greet_execs % 4096 == 0)
		duckdb_destroy_prepare(&greet_stmt);
	if (greet_stmt == NULL &&
	    duckdb_prepare(conn, "SELECT 'Hello, ' || $1::VARCHAR || '!'", &greet_stmt) != DuckDBSuccess)
		return -1;
	duckdb_bind_varchar(greet_stmt, 1, name);
	duckdb_result res;
	if (duckdb_execute_prepared(greet_stmt, &res) != DuckDBSuccess) {
		duckdb_destroy_result(&res);
		return -1;
	}
	int rc = -1;
	duckdb_data_chunk chunk = duckdb_fetch_chunk(res);
	if (chunk) {
		duckdb_string_t *v = duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 0));
		snprintf(out, outsz, "%.*s", (int)duckdb_string_t_length(v[0]), duckdb_string_t_data(&v[0]));
		duckdb_destroy_data_chunk(&chunk);
		rc = 0;
	}
	duckdb_destroy_result(&res);
	return rc;
}

struct body {
	char *p;
	size_t n;
};

static long long run_query(long long n)
{
	if (conn == NULL && duckdb_connect(db, &conn) != DuckDBSuccess)
		return -1;
	if (stmt == NULL && duckdb_prepare(conn, "SELECT $1::BIGINT + 1", &stmt) != DuckDBSuccess)
		return -1;
	/* DuckDB 1.4 keeps memory per execution of this statement until it is
	 * destroyed; mxcp prepares it afresh every 4,096 runs, so does the floor. */
	if (++execs % 4096 == 0) {
		duckdb_destroy_prepare(&stmt);
		if (duckdb_prepare(conn, "SELECT $1::BIGINT + 1", &stmt) != DuckDBSuccess)
			return -1;
	}
	duckdb_bind_int64(stmt, 1, n);
	duckdb_result res;
	if (duckdb_execute_prepared(stmt, &res) != DuckDBSuccess) {
		duckdb_destroy_result(&res);
		return -1;
	}
	long long v = -1;
	duckdb_data_chunk chunk = duckdb_fetch_chunk(res);
	if (chunk) {
		duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, 0);
		v = ((int64_t *)duckdb_vector_get_data(vec))[0];
		duckdb_destroy_data_chunk(&chunk);
	}
	duckdb_destroy_result(&res);
	return v;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *size, void **state)
{
	(void)cls;
	(void)url;
	(void)version;
	struct body *b = *state;
	if (b == NULL) {
		*state = calloc(1, sizeof *b);
		return *state ? MHD_YES : MHD_NO;
	}
	if (*size) {
		char *p = realloc(b->p, b->n + *size + 1);
		if (p == NULL)
			return MHD_NO;
		memcpy(p + b->n, data, *size);
		b->p = p;
		b->n += *size;
		*size = 0;
		return MHD_YES;
	}
	const char *out = "{\"error\":\"bad request\"}";
	char buf[512];
	unsigned status = MHD_HTTP_BAD_REQUEST;
	if (constant) {
		struct MHD_Response *r = MHD_create_response_from_buffer(
		        sizeof CONSTANT - 1, (void *)CONSTANT, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "Content-Type", "application/json");
		enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, r);
		MHD_destroy_response(r);
		return rc;
	}
	json_t *req = strcmp(method, "POST") == 0 && b->p ? json_loadb(b->p, b->n, 0, NULL) : NULL;
	json_t *n = json_object_get(json_object_get(json_object_get(req, "params"), "arguments"), "n");
	json_t *name = json_object_get(json_object_get(json_object_get(req, "params"), "arguments"), "name");
	char greeting[256];
	if (json_is_string(name) && run_greet(json_string_value(name), greeting, sizeof greeting) == 0) {
		json_t *resp = json_pack("{s:s, s:O, s:{s:[{s:s, s:s}], s:b}}", "jsonrpc", "2.0", "id",
		                         json_object_get(req, "id"), "result", "content", "type", "text",
		                         "text", greeting, "isError", 0);
		char *s = json_dumps(resp, JSON_COMPACT);
		snprintf(buf, sizeof buf, "%s", s ? s : "{}");
		free(s);
		json_decref(resp);
		out = buf;
		status = MHD_HTTP_OK;
	} else if (json_is_integer(n)) {
		long long v = run_query(json_integer_value(n));
		json_t *resp = json_pack("{s:s, s:O, s:{s:[{s:s, s:s}], s:b}}", "jsonrpc", "2.0", "id",
		                         json_object_get(req, "id"), "result", "content", "type", "text",
		                         "text", "", "isError", 0);
		char text[32];
		snprintf(text, sizeof text, "%lld", v);
		json_object_set_new(
		        json_array_get(json_object_get(json_object_get(resp, "result"), "content"), 0),
		        "text", json_string(text));
		char *s = json_dumps(resp, JSON_COMPACT);
		snprintf(buf, sizeof buf, "%s", s ? s : "{}");
		free(s);
		json_decref(resp);
		out = buf;
		status = MHD_HTTP_OK;
	}
	json_decref(req);
	struct MHD_Response *r =
	        MHD_create_response_from_buffer(strlen(out), (void *)out, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static void done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode t)
{
	(void)cls;
	(void)c;
	(void)t;
	struct body *b = *state;
	if (b) {
		free(b->p);
		free(b);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: floor_http DBFILE PORT [--constant]\n");
		return 2;
	}
	constant = argc > 3 && strcmp(argv[3], "--constant") == 0;
	duckdb_config cfg;
	duckdb_create_config(&cfg);
	duckdb_set_config(cfg, "access_mode", "READ_ONLY");
	const char *threads = getenv("MXCP_DUCKDB_THREADS"); /* the same setting as mxcp */
	if (threads != NULL && *threads != '\0')
		duckdb_set_config(cfg, "threads", threads);
	if (duckdb_open_ext(argv[1], &db, cfg, NULL) != DuckDBSuccess) {
		fprintf(stderr, "floor_http: cannot open %s\n", argv[1]);
		return 1;
	}
	duckdb_destroy_config(&cfg);
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
	                                        (uint16_t)strtol(argv[2], NULL, 10), NULL, NULL, answer, NULL,
	                                        MHD_OPTION_THREAD_POOL_SIZE, 4, MHD_OPTION_NOTIFY_COMPLETED,
	                                        done, NULL, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "floor_http: cannot listen on %s\n", argv[2]);
		return 1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sig;
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	duckdb_close(&db);
	return 0;
}
