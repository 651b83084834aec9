/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vault — `vault://path#key` references in configuration, read from
 * HashiCorp Vault's HTTP API the way MXCP's client (hvac) reads them:
 *
 *   GET {address}/v1/auth/token/lookup-self          200: authenticated, 403: not
 *   GET {address}/v1/secret/data/{path}   → .data.data[key]   (KV v2, mount "secret")
 *   GET {address}/v1/secret/{path}        → .data[key]        (KV v1, when v2 fails)
 *
 * each with the token in `X-Vault-Token`. Settings come from the user
 * config's `vault:` block: `enabled`, `address`, `token_env` (the variable
 * holding the token, default VAULT_TOKEN). Messages are MXCP's.
 */
#ifndef MX_CONFIG_VAULT_H
#define MX_CONFIG_VAULT_H

#include "core/err.h"

#include <jansson.h>

/* Take the `vault:` block (NULL or absent: not enabled) for the references
 * resolved next, and register the vault:// resolver. Called by the user
 * config loader before it interpolates; not thread-safe (start-up and
 * reload only, as mx_resolver_register). */
int mx_vault_configure(const json_t *cfg);

/* Resolve one reference with the configured settings; *out is mx_malloc'd. */
int mx_vault_resolve(const char *ref, char **out, struct mx_err *err);

#endif
