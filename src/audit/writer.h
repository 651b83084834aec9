/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writer — the audit trail: one JSON line per call, appended to exactly
 * `audit.path` by a dedicated writer thread.
 *
 * A call only enqueues (mx_audit_log): the caller's thread redacts the
 * arguments and serialises the record body (everything but the hash chain)
 * into a bounded queue. The writer thread owns the file: it appends each
 * record with one write() of the whole line (O_APPEND), links it into the
 * SHA-256 chain, applies the fsync policy, rotates by size or time, and
 * notices when an operator moved or deleted the file (the path's inode/dev
 * differs from the open fd's; checked before every write and every 200 ms
 * when idle) and starts a new file at the path. The file and its folder are
 * created with the first record.
 *
 * The chain: record_hash = hex(SHA-256(prev_hash ‖ "\n" ‖ line prefix)),
 * where the prefix is the line's bytes up to, not including,
 * `,"record_hash":` — so it covers prev_hash and every other field exactly
 * as written. The first record ever has prev_hash = 64 zeros. At open the
 * last record_hash of the file (or, if the file is missing, of the newest
 * rotated file) is read back, so the chain continues across restarts,
 * rotations and moves.
 *
 * Back-pressure: when the queue is full, or the disk is failing, the
 * `on_full` policy decides — block the caller up to block_timeout_ms, then
 * fail; or fail at once. A record is never dropped silently: a refused
 * record is the caller's error (MX_ELIMIT / MX_EIO), counted in the stats
 * and logged. A failed write keeps the record at the head of the queue and
 * is retried; a short write is truncated away so no torn line stays behind.
 *
 * Thread-safety: mx_audit_log, mx_audit_flush and mx_audit_get_stats may
 * be called from any thread; mx_audit_close once, after the last log call.
 */
#ifndef MX_AUDIT_WRITER_H
#define MX_AUDIT_WRITER_H

#include "config/site.h"
#include "core/err.h"
#include "types/types.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct mx_audit;

#define MX_AUDIT_SCHEMA_VERSION 1
#define MX_AUDIT_HASH_HEX 64
#define MX_AUDIT_GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"
/* The marker that ends the hashed prefix of a line. */
#define MX_AUDIT_HASH_MARKER ",\"record_hash\":\""

struct mx_audit_options {
	const char *path; /* absolute: the live file */
	enum mx_audit_fsync_mode fsync;
	int fsync_interval_ms; /* for MX_AUDIT_FSYNC_INTERVAL; default 1000 */
	int64_t rotate_size; /* bytes; 0 = never by size */
	enum mx_audit_rotate_every rotate_interval;
	size_t queue_size; /* records; default 10000 */
	enum mx_audit_on_full on_full;
	int block_timeout_ms; /* how long `block` waits before failing; default 1000 */
	int retry_ms; /* pause between retries of a failed write; default 100 */
};

/* Options from a profile's settings (path, fsync, rotate, queue, on_full). */
void mx_audit_options_from_settings(const struct mx_profile_settings *s, struct mx_audit_options *out);

/* One call, as the server knows it when the response is sent. Everything
 * is borrowed for the duration of mx_audit_log. */
struct mx_audit_record {
	const char *caller; /* "stdio" | "http" */
	const char *type; /* "tool" | "resource" | "prompt" */
	const char *name; /* tool/prompt name or resource URI */
	const json_t *input; /* arguments as received (NULL = {}) */
	struct mx_type *const *params; /* the endpoint's parameters, for redaction */
	size_t nparams;
	double duration_ms;
	const char *policy_decision; /* "allow" | "deny" | NULL = "n/a" */
	const char *reason; /* policy reason or NULL */
	const char *status; /* "success" | "error" */
	const char *error; /* message or NULL */
	const char *user_id, *session_id, *request_id; /* or NULL */
	/* Served from the response cache: the record then has "cached":true
	 * after request_id (absent otherwise, so records of uncached calls
	 * are byte for byte MXCP's). */
	int cached;
	const char *trace_id; /* the OpenTelemetry trace (32 hex digits) or NULL */
};

/* Start the writer thread. Nothing is created on disk until the first
 * record; an existing file's (or rotated file's) last hash is read now. */
int mx_audit_open(const struct mx_audit_options *opt, struct mx_audit **out, struct mx_err *err);

/* Enqueue one record (redacted, timestamped, given a record_id). 0, or
 * MX_ELIMIT (queue full past the policy), MX_EIO (disk failing and
 * on_full: fail), MX_ENOMEM, MX_EINVAL (closed). Never blocks past
 * block_timeout_ms. */
int mx_audit_log(struct mx_audit *a, const struct mx_audit_record *r);

/* Wait until every record enqueued so far is written (and synced when
 * fsync is always). MX_ELIMIT on timeout (timeout_ms < 0: no limit). */
int mx_audit_flush(struct mx_audit *a, int timeout_ms);

/* Whether a's fsync policy is `always`: the server then waits for each
 * record to be on disk (mx_audit_flush) before it answers the call. */
int mx_audit_fsync_always(const struct mx_audit *a);

/* Drain the queue, sync, stop the thread and free a (NULL is fine). Records
 * that still cannot be written after a few retries are counted as lost and
 * logged. */
void mx_audit_close(struct mx_audit *a);

struct mx_audit_stats {
	unsigned long long enqueued; /* accepted by mx_audit_log */
	unsigned long long written; /* lines appended */
	unsigned long long bytes; /* bytes appended */
	unsigned long long rejected_full; /* calls refused: queue full */
	unsigned long long rejected_io; /* calls refused: disk failing (on_full: fail) */
	unsigned long long blocked; /* calls that had to wait for room */
	unsigned long long write_errors; /* failed write()/open() attempts */
	unsigned long long lost; /* records abandoned at close (disk never recovered) */
	unsigned long long fsyncs;
	unsigned long long rotations;
	unsigned long long reopens; /* the file was moved or deleted under us */
	size_t queued; /* records waiting now */
	size_t queue_high_water;
	int failing; /* the last write attempt failed */
};
void mx_audit_get_stats(struct mx_audit *a, struct mx_audit_stats *out);

/* A source for /metrics (ops/metrics.h: mx_metrics_set_audit_source(
 * mx_audit_metrics_source, a)): ctx is the writer. */
struct mx_metrics_audit;
void mx_audit_metrics_source(void *ctx, struct mx_metrics_audit *out);

/* ---------------------------------------------------------------- helpers */

/* hex(SHA-256(prev_hex ‖ "\n" ‖ prefix[0..n))) into out (65 bytes). */
int mx_audit_hash(const char *prev_hex, const char *prefix, size_t n, char out[MX_AUDIT_HASH_HEX + 1]);

/* The rotated-file name for `path` at time ms (UTC): <dir>/<stem>.
 * <YYYYMMDDTHHMMSSmmm>Z.jsonl, which sorts in time order. */
int mx_audit_rotated_name(const char *path, int64_t unix_ms, char *out, size_t outsz);

/* Every file of the trail in chain order: rotated files (oldest first),
 * then the live file; only files that exist. With mxcp_segments, MXCP's
 * own segment files (<stem>-<YYYYMMDDTHHMMSS>[-N].jsonl) come first.
 * *files is an mx_malloc'd array of mx_malloc'd strings. */
int mx_audit_list_files(const char *path, int mxcp_segments, char ***files, size_t *nfiles,
                        struct mx_err *err);
void mx_audit_free_files(char **files, size_t nfiles);

/* Call fn for each line of fp (without its '\n'; terminated says whether it
 * had one), numbered from 1. Lines are bounded by line->max. fn returns 0 to
 * go on, > 0 to stop (returned as is), < 0 for an error (returned). */
typedef int (*mx_audit_line_fn)(const char *line, size_t len, int64_t lineno, int terminated, void *ctx);
struct mx_buf;
int mx_audit_read_lines(FILE *fp, struct mx_buf *line, mx_audit_line_fn fn, void *ctx);

/* Milliseconds since the epoch (wall clock) and "YYYY-MM-DDTHH:MM:SS.mmmZ". */
int64_t mx_audit_now_ms(void);
void mx_audit_format_time(int64_t unix_ms, char out[32]);

#endif
