/* SPDX-License-Identifier: Apache-2.0 */
/*
 * site — mxcp-site.yml, the project's own configuration.
 *
 * Parsed once into an immutable struct mx_site_config; runtime code never
 * sees YAML. Every key MXCP documents is accepted with MXCP's defaults
 * (shared/spec/mxcp.md §2); an unknown key is an error naming
 * file:line:col and the key's dotted path.
 */
#ifndef MX_CONFIG_SITE_H
#define MX_CONFIG_SITE_H

#include "core/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct mx_site_extension {
	char *name;
	char *repo; /* NULL, "community" or "core_nightly" */
	int line, col; /* where it is listed */
};

struct mx_site_plugin {
	char *name;
	char *module;
	char *config; /* key into the user config's plugin.config, or NULL */
};

/* audit.fsync: when the writer calls fdatasync. */
enum mx_audit_fsync_mode { MX_AUDIT_FSYNC_INTERVAL, MX_AUDIT_FSYNC_ALWAYS, MX_AUDIT_FSYNC_NEVER };
/* audit.rotate.interval: start a new file every hour / day (UTC). */
enum mx_audit_rotate_every { MX_AUDIT_ROTATE_NEVER, MX_AUDIT_ROTATE_HOURLY, MX_AUDIT_ROTATE_DAILY };
/* audit.on_full: what a call does when the queue is full or the disk fails. */
enum mx_audit_on_full { MX_AUDIT_ON_FULL_BLOCK, MX_AUDIT_ON_FULL_FAIL };

#define MX_AUDIT_DEFAULT_FSYNC_INTERVAL_MS 1000
#define MX_AUDIT_DEFAULT_QUEUE_SIZE 10000
#define MX_AUDIT_DEFAULT_RETENTION_DAYS 90

struct mx_site_profile {
	char *name;
	char *duckdb_path; /* as written, or NULL */
	int duckdb_readonly;
	char *drift_path;
	int audit_enabled;
	char *audit_path;
	int64_t audit_max_file_size; /* default 52428800 */
	/* mxcp's own audit keys (fsync, fsync_interval_ms, rotate: {size,
	 * interval}, queue_size, on_full, retention_days) */
	enum mx_audit_fsync_mode audit_fsync;
	int64_t audit_fsync_interval_ms;
	int64_t audit_rotate_size; /* -1 when not given: max_file_size applies */
	enum mx_audit_rotate_every audit_rotate_interval;
	int64_t audit_queue_size;
	enum mx_audit_on_full audit_on_full;
	int64_t audit_retention_days;
	json_t *auth; /* `auth:` block as written (operational guide), or NULL */
	int auth_line, auth_col; /* where that block is */
};

struct mx_site_paths {
	char *tools, *resources, *prompts, *evals, *python, *plugins, *sql, *drift, *audit, *data;
};

struct mx_site_dbt {
	int enabled; /* default true */
	json_t *model_paths, *analysis_paths, *test_paths, *seed_paths, *macro_paths, *snapshot_paths,
	        *clean_targets; /* arrays of strings */
	char *target_path;
};

struct mx_site_sql_tools {
	int enabled; /* default false */
	char *execute_sql_query_description;
	char *list_tables_description;
	char *get_table_schema_description;
	/* mxcp's own keys: what DuckDB may reach while the SQL tools are
	 * served (DuckDB's file sandbox, exec/sql.h struct mx_db_sandbox).
	 * external_access true lifts it (MXCP's behaviour). Each entry is an
	 * absolute path (a relative one is resolved against the project root,
	 * `.` and `..` folded) or a URL prefix kept as written. */
	int external_access; /* default false */
	char **allowed_directories;
	size_t nallowed_directories;
	char **allowed_paths;
	size_t nallowed_paths;
};

/* Whether two sql_tools sections ask for the same file sandbox (external
 * access and both lists, in order). */
int mx_site_sql_sandbox_equal(const struct mx_site_sql_tools *a, const struct mx_site_sql_tools *b);

struct mx_site_config {
	char *file; /* absolute path of mxcp-site.yml */
	char *root; /* its folder: the project root */
	int mxcp; /* always 1 */
	char *project;
	char *profile;
	char **secrets;
	size_t nsecrets;
	struct mx_site_plugin *plugins;
	size_t nplugins;
	struct mx_site_extension *extensions;
	size_t nextensions;
	struct mx_site_dbt dbt;
	struct mx_site_sql_tools sql_tools;
	struct mx_site_paths paths;
	struct mx_site_profile *profiles;
	size_t nprofiles;
	json_t *raw; /* the file as JSON (for config.get_setting and drift) */
};

/* Find the nearest mxcp-site.yml from dir upward; writes the project root
 * into out. MX_ENOTFOUND with MXCP's message when there is none. */
int mx_site_find_root(const char *dir, char *out, size_t outsz, struct mx_err *err);

/* Load and validate <root>/mxcp-site.yml. */
int mx_site_load(const char *root, struct mx_site_config **out, struct mx_err *err);
void mx_site_free(struct mx_site_config *s);

/* The active profile's name: `flag` (--profile) when given, else
 * MXCP_PROFILE when set, else the site's `profile:`. */
const char *mx_site_active_profile(const struct mx_site_config *s, const char *flag);

/* Whether a profile exists: the site's `profile:`, a key of `profiles:`,
 * or one the user config declares (user_declared: its
 * projects.<project>.profiles.<name>). Otherwise MX_EINVAL naming
 * mxcp-site.yml, the profiles that exist and the nearest one ("Did you
 * mean"). MXCP takes any name and opens an empty data/db-<name>.duckdb;
 * mxcp refuses a mistyped one before anything is created. */
int mx_site_check_profile(const struct mx_site_config *s, const char *name, int user_declared,
                          struct mx_err *err);

/* The profile by name, or NULL. */
const struct mx_site_profile *mx_site_get_profile(const struct mx_site_config *s, const char *name);

/* A profile's effective settings: absolute paths with MXCP's defaults applied
 * to any profile (data/db-<p>.duckdb, drift/drift-<p>.json,
 * audit/logs-<p>.jsonl), then MXCP_DUCKDB_PATH and MXCP_AUDIT_ENABLED. The
 * profile need not be declared under `profiles:`. */
struct mx_profile_settings {
	char duckdb_path[4096]; /* absolute, or ":memory:" */
	int readonly; /* from duckdb.readonly; the CLI may force it on */
	char drift_path[4096];
	int audit_enabled;
	char audit_path[4096];
	int64_t audit_max_file_size;
	enum mx_audit_fsync_mode audit_fsync;
	int64_t audit_fsync_interval_ms;
	int64_t audit_rotate_size; /* bytes; 0 = no size rotation (rotate.size, else max_file_size) */
	enum mx_audit_rotate_every audit_rotate_interval;
	int64_t audit_queue_size;
	enum mx_audit_on_full audit_on_full;
	int64_t audit_retention_days;
};
int mx_site_profile_settings(const struct mx_site_config *s, const char *profile,
                             struct mx_profile_settings *out, struct mx_err *err);

#endif
