/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store — see store.h: what the stores share, and the way to them: the
 * first open of a backend loads mxcp_oauth_store.so.
 */
#include "auth/oauth/store.h"

#include "core/module.h"

#include <stddef.h>
#include <string.h>

static int open_backend(const char *entry, const char *where, struct mx_oauth_store **out, struct mx_err *err)
{
	*out = NULL;
	const void *t = NULL;
	int rc = mx_module_open("mxcp_oauth_store.so", entry, MX_OAUTH_STORE_ABI, "The OAuth store", &t, err);
	const struct mx_oauth_store_backend *b = t;
	return rc ? rc : b->open(where, out, err);
}

int mx_oauth_store_sqlite_open(const char *path, struct mx_oauth_store **out, struct mx_err *err)
{
	return open_backend("mxcp_oauth_store_sqlite", path, out, err);
}

int mx_oauth_store_pg_open(const char *dsn, struct mx_oauth_store **out, struct mx_err *err)
{
	return open_backend("mxcp_oauth_store_pg", dsn, out, err);
}

int mx_oauth_store_table_ok(const char *table)
{
	static const char *const TABLES[] = {MX_OAUTH_T_STATES, MX_OAUTH_T_CODES, MX_OAUTH_T_SESSIONS,
	                                     MX_OAUTH_T_REFRESH, MX_OAUTH_T_CLIENTS};
	for (size_t i = 0; i < sizeof TABLES / sizeof TABLES[0]; i++)
		if (strcmp(table, TABLES[i]) == 0)
			return 1;
	return 0;
}
