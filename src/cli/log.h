/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log — what `mxcp log` and `mxcp log-cleanup` share: finding the project
 * and the profile's audit settings without loading endpoints (so the trail
 * can be read even while an endpoint file is broken).
 */
#ifndef MX_CLI_LOG_H
#define MX_CLI_LOG_H

#include "cli/common.h"
#include "config/site.h"

/* Resolve the profile (--profile > MXCP_PROFILE > mxcp-site.yml) and fill
 * its settings; *profile_out names it (valid while site lives). Fails with
 * MXCP's message when audit logging is not enabled. */
int mx_cli_audit_settings(const struct mx_cli *cli, struct mx_site_config **site, const char **profile_out,
                          struct mx_profile_settings *ps, struct mx_err *err);

/* "10s", "5m", "2h", "1d" → milliseconds; MX_EUSAGE otherwise. */
int mx_cli_parse_age(const char *s, int64_t *ms);

#endif
