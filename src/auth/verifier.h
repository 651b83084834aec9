/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verifier — what the facade (auth.c) asks of verifier mode besides the
 * struct mx_auth_mode that mx_auth_verifier_open (auth.h) gives.
 */
#ifndef MX_AUTH_VERIFIER_H
#define MX_AUTH_VERIFIER_H

/* The issuer of the OIDC discovery document (the authorization server the
 * protected-resource metadata names), or NULL while it is not read yet.
 * state: verifier mode's state. */
const char *mx_auth_verifier_issuer(void *state);

#endif
