/* SPDX-License-Identifier: Apache-2.0 */
/*
 * module — the parts of mxcp built as shared objects of their own, loaded
 * the first time they are used, so a process maps a library only when it
 * needs it: mxcp_http.so (libmicrohttpd: the HTTP transports and the admin
 * socket), mxcp_fetch.so (libcurl: the outbound HTTP client),
 * mxcp_oauth_store.so (SQLite and libpq: issuer mode's OAuth store) and
 * mxcp_python.so (libpython).
 *
 * A module is found in MXCP_MODULE_DIR when that is set (tests point it at
 * the build folder), else beside the binary (its real path: the build
 * folder), else in ../lib/mxcp/ from it (an installed tree, the container
 * image). It calls back into the binary, which exports its symbols; it
 * exports one function, its entry, which returns a struct of function
 * pointers whose first member is the ABI number the binary expects.
 *
 * Threads: any; each caller keeps the table it got (loading twice returns
 * the same module).
 */
#ifndef MX_CORE_MODULE_H
#define MX_CORE_MODULE_H

#include "core/err.h"

#include <stddef.h>

/* The path of the module named file (e.g. "mxcp_http.so"): 0, or -1 when
 * no candidate exists. */
int mx_module_find(const char *file, char *out, size_t n);

/* Load the module at path (global: its libraries' symbols serve the
 * objects it loads in turn, as libpython's extension modules need) and set
 * *table to what its entry returns, a struct whose first member is an int,
 * its ABI number, which must be abi. MX_EINVAL with err filled when the
 * file does not load, has no entry or is of another ABI. */
int mx_module_load(const char *path, const char *entry, int abi, int global, const void **table,
                   struct mx_err *err);

/* mx_module_find and mx_module_load (not global); MX_ENOTFOUND, with an
 * error that says what needs the module (what: "the HTTP transport"), when
 * it is missing. */
int mx_module_open(const char *file, const char *entry, int abi, const char *what, const void **table,
                   struct mx_err *err);

#endif
