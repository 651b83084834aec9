/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cleanup — retention for the audit trail (`mxcp log-cleanup`).
 *
 * Records older than the cutoff are removed from the front of the trail
 * (files in chain order: MXCP's segments, our rotated files, the live
 * file). Removal stops at the first record that is not older, so the
 * kept records stay one unbroken hash chain (a record that is older but
 * follows a newer one — a clock step — is kept). A file whose records all
 * go is deleted; a file that keeps some is rewritten atomically: a
 * temporary file in the same folder, fsync, rename over the original,
 * fsync of the folder — a crash at any point leaves either the old or the
 * new file, never a mix.
 *
 * The live file of a running server: the writer holds a shared flock on
 * it. Cleanup then renames it to a rotated name (the writer notices and
 * starts a new file at the path, continuing the chain), waits for the
 * writer to let go of the lock, and treats it as a rotated file.
 * Runs on the calling thread.
 */
#ifndef MX_AUDIT_CLEANUP_H
#define MX_AUDIT_CLEANUP_H

#include "core/err.h"

#include <stdint.h>

struct mx_audit_cleanup_result {
	int64_t deleted; /* records removed (or, dry run, that would be) */
	int64_t kept; /* records left in the files looked at */
	int files_removed;
	int files_rewritten;
};

int mx_audit_cleanup(const char *path, int64_t cutoff_ms, int dry_run, struct mx_audit_cleanup_result *res,
                     struct mx_err *err);

#endif
