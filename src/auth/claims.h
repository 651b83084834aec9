/* SPDX-License-Identifier: Apache-2.0 */
/*
 * claims — the capabilities of a user from the identity provider's
 * claims, as MXCP's CapabilityMapper derives them from a provider's
 * `claim_mappings: {<claim path>: {<claim value>: [capability…]}}`:
 * a claim path is looked up as an exact key first (URI-style keys such as
 * "https://example.com/roles"), else as a dot path ("realm_access.roles");
 * a list gives each element, a string with spaces each word, a scalar its
 * text (booleans "true"/"false"); each value found in the map adds its
 * capabilities. Both modes call it per request. Pure; any thread.
 */
#ifndef MX_AUTH_CLAIMS_H
#define MX_AUTH_CLAIMS_H

#include <jansson.h>

/* The capabilities (a new array of distinct strings, sorted) that
 * claim_mappings (NULL: none) gives raw_profile (NULL: {}). NULL only when
 * out of memory. */
json_t *mx_auth_capabilities(const json_t *claim_mappings, const json_t *raw_profile);

#endif
