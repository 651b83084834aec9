/* SPDX-License-Identifier: Apache-2.0 */
/*
 * validate — what `mxcp validate` and `mxcp serve` check beyond loading
 * (MXCP's validator, shared/spec/mxcp.md §4.9): prompt templates and their
 * variables, resource URI parameters, Python source files, and for SQL the
 * source resolves, holds exactly one statement, prepares against the real
 * database, and uses exactly the declared parameters.
 */
#ifndef MX_EXEC_VALIDATE_H
#define MX_EXEC_VALIDATE_H

#include "core/err.h"
#include "exec/sql.h"
#include "model/endpoint.h"

/* 0 when valid; otherwise MX_EINVAL with the message and the file:line:col
 * of the part at fault in err. conn may be NULL to skip the SQL checks. */
int mx_validate_endpoint(const struct mx_endpoint *ep, struct mx_dbconn *conn, struct mx_err *err);

#endif
