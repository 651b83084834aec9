/* SPDX-License-Identifier: Apache-2.0 */
/*
 * user — the user configuration, ~/.mxcp/config.yml.
 *
 * Path: MXCP_CONFIG, else MXCP_CONFIG_PATH, else ~/.mxcp/config.yml (absent
 * default file = empty config; an explicitly named file that is missing is
 * an error). Validated against MXCP's schema (shared/spec/mxcp.md §3; unknown
 * keys are errors with file:line:col), then interpolated selectively: the
 * top-level keys and projects.<project>.profiles.<profile> only, so an unset
 * variable in another profile does not fail.
 */
#ifndef MX_CONFIG_USER_H
#define MX_CONFIG_USER_H

#include "core/err.h"

#include <jansson.h>

struct mx_user_transport {
	char provider[32]; /* "streamable-http" (default), "sse", "stdio" */
	char host[256]; /* default "localhost" */
	int port; /* default 8000 */
	char scheme[8]; /* "http" or "https" */
	char base_url[1024];
	int trust_proxy;
	int stateless;
	/* Limits (mxcp's own keys; 0 = the built-in default, see README):
	 * transport.workers, queue_size, max_message_bytes, max_json_depth,
	 * shutdown_grace, call_timeout (seconds a call may run; 0: no limit),
	 * and transport.http.threads, max_connections,
	 * max_header_bytes, connection_timeout, read_timeout,
	 * max_connections_per_client, max_sessions, session_timeout. */
	long workers, queue_size, max_message_bytes, max_json_depth, shutdown_grace, call_timeout;
	long http_threads, max_connections, max_header_bytes, connection_timeout, read_timeout,
	        max_connections_per_client, max_sessions, session_timeout;
};

/* projects.<project>.profiles.<profile>.cache (mxcp's own block; off by
 * default). TTLs in seconds; endpoints: name → TTL (a JSON object, borrowed
 * from raw), with where each name is written for validation messages
 * (endpoint_lines: name → [line, col]). */
struct mx_user_cache {
	int enabled;
	char backend[16]; /* "memory" (default) or "redis" */
	char redis_url[1024];
	long max_memory_mb; /* default 64 */
	long default_ttl; /* default 60 */
	const json_t *endpoints; /* or NULL */
	json_t *endpoint_lines; /* owned; NULL when no endpoints */
	int line, col; /* the cache: key (0 when absent) */
};

struct mx_user_config {
	char *file; /* path read, or NULL when the default file was absent */
	json_t *raw; /* the whole (interpolated where selected) config */
	struct mx_user_transport transport;
	/* projects.<project>.profiles.<profile>.auth.provider when set and not
	 * "none" ("" otherwise), and where it is written. */
	char auth_provider[32];
	int auth_line, auth_col;
	struct mx_user_cache cache;
	/* The file declares projects.<project>.profiles.<profile> (the ones
	 * loaded for): the profile exists even if mxcp-site.yml lacks it. */
	int profile_declared;
};

/* Load for the active project and profile. */
int mx_user_load(const char *project, const char *profile, struct mx_user_config **out, struct mx_err *err);
void mx_user_free(struct mx_user_config *u);

/* projects.<project>.profiles.<profile> (secrets, auth, plugin, telemetry),
 * or NULL. Borrowed reference. */
json_t *mx_user_profile(const struct mx_user_config *u, const char *project, const char *profile);
/* The TTL in seconds for an endpoint by its name(s) (a resource may be
 * named by its URI or its `name`): the endpoints entry, else default_ttl. */
long mx_user_cache_ttl(const struct mx_user_cache *c, const char *name, const char *alt);

/* That profile's `secrets` list ({name, type, parameters} objects), or NULL. */
const json_t *mx_user_secrets(const struct mx_user_config *u, const char *project, const char *profile);

#endif
