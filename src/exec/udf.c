/* SPDX-License-Identifier: Apache-2.0 */
/*
 * udf — MXCP's request-context SQL functions (see udf.h).
 *
 * Owns: the registry of a database (its connections' slots, guarded by the
 * registry mutex) and each connection's slot (the current call's context,
 * guarded by the slot mutex, because DuckDB may evaluate a function on
 * several of its threads at once).
 *
 * Invariants:
 *   - a slot points at the running call's context (exec/call_ctx.h) from
 *     mx_udf_call_begin to mx_udf_call_end; the `user` object is the
 *     context's own (built on first use, under the slot mutex), the
 *     headers' JSON text is computed on first use and dropped at the end;
 *   - bind data is a borrowed slot pointer: a plan lives in a prepared
 *     statement of the connection that bound it, and mx_dbconn_close
 *     destroys those before the connection and its slot;
 *   - a connection without a slot (one DuckDB opens for us, or one of
 *     another component) binds to a static empty slot: every function NULL.
 */
#include "exec/udf.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/pytext.h"

#include <pthread.h>
#include <string.h>

#define MX_UDF_HEADER_NAME_MAX 256
#define MX_UDF_VALUE_MAX ((size_t)1 << 20)

struct mx_udf_slot {
	pthread_mutex_t mu;
	idx_t conn_id;
	struct mx_udf_slot *next; /* registry list */
	/* the call's context (references), NULL between calls */
	struct mx_call_ctx *ctx; /* the running call's, NULL between calls */
	char *headers_text; /* derived on first use */
};

struct mx_udf_registry {
	pthread_mutex_t mu;
	struct mx_udf_slot *slots;
};

static struct mx_udf_slot unattached = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* ------------------------------------------------------------------------ */
/* Reading the slot (slot mutex held)                                        */
/* ------------------------------------------------------------------------ */

enum udf_field { F_USERNAME, F_EMAIL, F_PROVIDER, F_EXTERNAL_TOKEN, F_HEADERS_JSON };

/* MXCP answers NULL for an empty value as for a missing one. */
static const char *nonempty(const char *s)
{
	return s && s[0] ? s : NULL;
}

static int is_cli_or_test(const char *provider)
{
	return provider && (strcmp(provider, "cli") == 0 || strcmp(provider, "test") == 0);
}

/* The value of a context field, or NULL. -1 on out of memory. */
static int slot_field(struct mx_udf_slot *s, enum udf_field f, const char **out)
{
	*out = NULL;
	if (f == F_HEADERS_JSON) {
		const json_t *headers = s->ctx ? s->ctx->request_headers : NULL;
		if (!json_is_object(headers))
			return 0;
		if (s->headers_text == NULL &&
		    (s->headers_text = mx_json_dumps(headers, MX_JSON_SPACED)) == NULL)
			return -1;
		*out = s->headers_text;
		return 0;
	}
	const json_t *uc = s->ctx ? s->ctx->user_context : NULL;
	if (!json_is_object(uc))
		return 0;
	if (f == F_EXTERNAL_TOKEN) {
		/* MXCP's `run`/`test` contexts are built without a token. */
		const char *provider = s->ctx->user_provider
		                               ? s->ctx->user_provider
		                               : json_string_value(json_object_get(uc, "provider"));
		if (!is_cli_or_test(provider))
			*out = nonempty(json_string_value(json_object_get(uc, "external_token")));
		return 0;
	}
	const json_t *user = mx_call_ctx_user(s->ctx);
	if (user == NULL)
		return -1;
	const char *key = f == F_USERNAME ? "username" : f == F_EMAIL ? "email" : "provider";
	*out = nonempty(json_string_value(json_object_get(user, key)));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The functions                                                             */
/* ------------------------------------------------------------------------ */

static void set_null(duckdb_vector out, idx_t row)
{
	duckdb_vector_ensure_validity_writable(out);
	duckdb_validity_set_row_invalid(duckdb_vector_get_validity(out), row);
}

/* A function of no argument: the same value (or NULL) on every row. */
static void emit_field(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector out,
                       enum udf_field f)
{
	struct mx_udf_slot *s = duckdb_scalar_function_get_bind_data(info);
	idx_t n = duckdb_data_chunk_get_size(input);
	const char *v = NULL;
	pthread_mutex_lock(&s->mu);
	int rc = slot_field(s, f, &v);
	size_t len = v ? strlen(v) : 0;
	for (idx_t row = 0; rc == 0 && row < n; row++) {
		if (v)
			duckdb_vector_assign_string_element_len(out, row, v, len);
		else
			set_null(out, row);
	}
	pthread_mutex_unlock(&s->mu);
	if (rc)
		duckdb_scalar_function_set_error(info, "out of memory");
}

static void fn_username(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector out)
{
	emit_field(info, input, out, F_USERNAME);
}

static void fn_email(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector out)
{
	emit_field(info, input, out, F_EMAIL);
}

static void fn_provider(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector out)
{
	emit_field(info, input, out, F_PROVIDER);
}

static void fn_external_token(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector out)
{
	emit_field(info, input, out, F_EXTERNAL_TOKEN);
}

static void fn_headers_json(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector out)
{
	emit_field(info, input, out, F_HEADERS_JSON);
}

static void fn_header(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector out)
{
	struct mx_udf_slot *s = duckdb_scalar_function_get_bind_data(info);
	idx_t n = duckdb_data_chunk_get_size(input);
	duckdb_vector names = duckdb_data_chunk_get_vector(input, 0);
	duckdb_string_t *name = duckdb_vector_get_data(names);
	uint64_t *valid = duckdb_vector_get_validity(names);
	struct mx_buf b;
	mx_buf_init(&b, MX_UDF_VALUE_MAX);
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	for (idx_t row = 0; rc == 0 && row < n; row++) {
		const json_t *v = NULL;
		const json_t *headers = s->ctx ? s->ctx->request_headers : NULL;
		if (json_is_object(headers) && duckdb_validity_row_is_valid(valid, row)) {
			uint32_t len = duckdb_string_t_length(name[row]);
			if (len < MX_UDF_HEADER_NAME_MAX)
				v = json_object_getn(headers, duckdb_string_t_data(&name[row]), len);
		}
		if (v == NULL || json_is_null(v)) {
			set_null(out, row);
			continue;
		}
		mx_buf_reset(&b);
		if ((rc = mx_pytext_str(&b, v)) == 0)
			duckdb_vector_assign_string_element_len(out, row, mx_buf_str(&b), b.len);
	}
	pthread_mutex_unlock(&s->mu);
	mx_buf_free(&b);
	if (rc)
		duckdb_scalar_function_set_error(info, rc == MX_ELIMIT ? "get_request_header: value too large"
		                                                       : "out of memory");
}

/* ------------------------------------------------------------------------ */
/* Binding: find the binding connection's slot                               */
/* ------------------------------------------------------------------------ */

static void *copy_slot_ref(void *bind_data)
{
	return bind_data;
}

static void udf_bind(duckdb_bind_info info)
{
	struct mx_udf_registry *r = duckdb_scalar_function_bind_get_extra_info(info);
	struct mx_udf_slot *s = &unattached;
	duckdb_client_context ctx = NULL;
	duckdb_scalar_function_get_client_context(info, &ctx);
	if (ctx != NULL) {
		idx_t id = duckdb_client_context_get_connection_id(ctx);
		duckdb_destroy_client_context(&ctx);
		pthread_mutex_lock(&r->mu);
		for (struct mx_udf_slot *x = r->slots; x; x = x->next) {
			if (x->conn_id == id) {
				s = x;
				break;
			}
		}
		pthread_mutex_unlock(&r->mu);
	}
	duckdb_scalar_function_set_bind_data(info, s, NULL);
	duckdb_scalar_function_set_bind_data_copy(info, copy_slot_ref);
}

/* ------------------------------------------------------------------------ */
/* Registry                                                                  */
/* ------------------------------------------------------------------------ */

static const struct {
	const char *name;
	int nargs;
	duckdb_scalar_function_t fn;
} FUNCTIONS[] = {
        {"get_username", 0, fn_username},      {"get_user_email", 0, fn_email},
        {"get_user_provider", 0, fn_provider}, {"get_user_external_token", 0, fn_external_token},
        {"get_request_header", 1, fn_header},  {"get_request_headers_json", 0, fn_headers_json},
};

static int register_one(duckdb_connection conn, struct mx_udf_registry *r, size_t i)
{
	duckdb_scalar_function f = duckdb_create_scalar_function();
	duckdb_logical_type varchar = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
	duckdb_scalar_function_set_name(f, FUNCTIONS[i].name);
	if (FUNCTIONS[i].nargs)
		duckdb_scalar_function_add_parameter(f, varchar);
	duckdb_scalar_function_set_return_type(f, varchar);
	duckdb_scalar_function_set_volatile(f);
	duckdb_scalar_function_set_extra_info(f, r, NULL);
	duckdb_scalar_function_set_bind(f, udf_bind);
	duckdb_scalar_function_set_function(f, FUNCTIONS[i].fn);
	duckdb_state st = duckdb_register_scalar_function(conn, f);
	duckdb_destroy_logical_type(&varchar);
	duckdb_destroy_scalar_function(&f);
	return st == DuckDBSuccess ? 0 : -1;
}

int mx_udf_register(duckdb_database db, struct mx_udf_registry **out, struct mx_err *err)
{
	*out = NULL;
	struct mx_udf_registry *r = mx_calloc(1, sizeof *r);
	if (r == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	pthread_mutex_init(&r->mu, NULL);
	duckdb_connection conn;
	if (duckdb_connect(db, &conn) != DuckDBSuccess) {
		mx_udf_registry_free(r);
		return mx_err_set(err, MX_EDB, "Cannot connect to DuckDB to register the SQL functions");
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof FUNCTIONS / sizeof FUNCTIONS[0]; i++)
		if (register_one(conn, r, i) != 0)
			rc = mx_err_set(err, MX_EDB, "Cannot register the SQL function %s()",
			                FUNCTIONS[i].name);
	duckdb_disconnect(&conn);
	if (rc) {
		mx_udf_registry_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void mx_udf_registry_free(struct mx_udf_registry *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->mu);
	mx_free(r);
}

int mx_udf_attach(struct mx_udf_registry *r, duckdb_connection conn, struct mx_udf_slot **out,
                  struct mx_err *err)
{
	*out = NULL;
	duckdb_client_context ctx = NULL;
	duckdb_connection_get_client_context(conn, &ctx);
	if (ctx == NULL)
		return mx_err_set(err, MX_EDB, "Cannot read the DuckDB connection's context");
	idx_t id = duckdb_client_context_get_connection_id(ctx);
	duckdb_destroy_client_context(&ctx);
	struct mx_udf_slot *s = mx_calloc(1, sizeof *s);
	if (s == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	pthread_mutex_init(&s->mu, NULL);
	s->conn_id = id;
	pthread_mutex_lock(&r->mu);
	s->next = r->slots;
	r->slots = s;
	pthread_mutex_unlock(&r->mu);
	*out = s;
	return 0;
}

void mx_udf_detach(struct mx_udf_registry *r, struct mx_udf_slot *s)
{
	if (r == NULL || s == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	for (struct mx_udf_slot **p = &r->slots; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&r->mu);
	mx_udf_call_end(s);
	pthread_mutex_destroy(&s->mu);
	mx_free(s);
}

/* ------------------------------------------------------------------------ */
/* The call context                                                          */
/* ------------------------------------------------------------------------ */

void mx_udf_call_begin(struct mx_udf_slot *s, struct mx_call_ctx *ctx)
{
	if (s == NULL)
		return;
	mx_udf_call_end(s);
	pthread_mutex_lock(&s->mu);
	s->ctx = ctx;
	pthread_mutex_unlock(&s->mu);
}

void mx_udf_call_end(struct mx_udf_slot *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	mx_free(s->headers_text);
	s->ctx = NULL;
	s->headers_text = NULL;
	pthread_mutex_unlock(&s->mu);
}
