/* SPDX-License-Identifier: Apache-2.0 */
/* store — see store.h: what the stores share. */
#include "auth/oauth/store.h"

#include <string.h>

int mx_oauth_store_table_ok(const char *table)
{
	static const char *const TABLES[] = {MX_OAUTH_T_STATES, MX_OAUTH_T_CODES, MX_OAUTH_T_SESSIONS,
	                                     MX_OAUTH_T_REFRESH, MX_OAUTH_T_CLIENTS};
	for (size_t i = 0; i < sizeof TABLES / sizeof TABLES[0]; i++)
		if (strcmp(table, TABLES[i]) == 0)
			return 1;
	return 0;
}
