/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/audit/writer.c: the chain's known answers, order, chain,
 * restart, moved files, back-pressure, fsync modes, rotation, concurrent
 * writers. */
#include "harness.h"

#include "audit/query.h"
#include "audit/writer.h"
#include "core/alloc.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static int log_named(struct mx_audit *a, const char *name)
{
	json_t *in = json_pack("{s:s}", "q", name);
	struct mx_audit_record r = {
	        .caller = "stdio", .type = "tool", .name = name, .input = in, .status = "success"};
	int rc = mx_audit_log(a, &r);
	json_decref(in);
	return rc;
}

/* Lines of a file as a JSON array of objects (every line must parse). */
static json_t *read_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	json_t *arr = json_array();
	char buf[1 << 16];
	assert_non_null(fp);
	while (fgets(buf, sizeof buf, fp)) {
		assert_true(strlen(buf) > 0 && buf[strlen(buf) - 1] == '\n');
		json_t *o = json_loads(buf, 0, NULL);
		assert_non_null(o);
		json_array_append_new(arr, o);
	}
	fclose(fp);
	return arr;
}

static struct mx_audit *open_at(const char *path, struct mx_audit_options *o)
{
	struct mx_audit *a = NULL;
	struct mx_err err;
	o->path = path;
	assert_int_equal(0, mx_audit_open(o, &a, &err));
	return a;
}

static void verify_ok(const char *path, int64_t records)
{
	struct mx_audit_verify_result v;
	assert_int_equal(0, mx_audit_verify(path, &v, NULL));
	if (!v.ok)
		fail_msg("chain broken at %s:%lld: %s", v.broken_file, (long long)v.broken_line, v.reason);
	assert_int_equal(records, v.records);
}

/* ----------------------------------------------------------- known answers */

/* The chain's formula (docs/audit.md) pinned from outside: every expected
 * hash below was computed with Python's hashlib, not with mxcp, e.g.
 *   hashlib.sha256(prev.encode() + b"\n" + prefix.encode()).hexdigest()
 * The two lines are the worked example of docs/audit.md. */
#define KAT_LINE1_PREFIX                                                                              \
	"{\"timestamp\":\"2025-01-15T09:30:00.123Z\",\"caller\":\"http\",\"type\":\"tool\",\"name\":" \
	"\"get_customer\",\"input\":{\"customer_id\":1},\"duration_ms\":3.2,\"policy_decision\":"     \
	"\"allow\",\"reason\":null,\"status\":\"success\",\"error\":null,\"user_id\":\"alice\","      \
	"\"session_id\":null,\"request_id\":\"7\",\"schema_version\":1,\"record_id\":"                \
	"\"0b7e6f0e-2f4c-4d61-9a43-5b8f0c1d2e3f\",\"prev_hash\":"                                     \
	"\"0000000000000000000000000000000000000000000000000000000000000000\""
#define KAT_LINE1_HASH "5e307ad939a638294120c5eef44abc16ebcb477059b96c8f13333083827f623e"
#define KAT_LINE2_PREFIX                                                                              \
	"{\"timestamp\":\"2025-01-15T09:30:01.500Z\",\"caller\":\"stdio\",\"type\":\"resource\","     \
	"\"name\":\"customers://{customer_id}\",\"input\":{\"customer_id\":\"Z\xc3\xbcrich\"},"       \
	"\"duration_ms\":0.8,\"policy_decision\":\"n/a\",\"reason\":null,\"status\":\"error\","       \
	"\"error\":\"No results returned\",\"user_id\":null,\"session_id\":null,\"request_id\":null," \
	"\"schema_version\":1,\"record_id\":\"5c1d9a7e-8b2f-4e3a-b6c4-0d9e8f7a6b5c\",\"prev_hash\":"  \
	"\"" KAT_LINE1_HASH "\""
#define KAT_LINE2_HASH "f8b57b0b2ce547ee82ddcc299d6102bd9c02bd7aa742f0a81ad9797b742acdbb"

static void expect_hash(const char *want, const char *prev, const char *prefix, size_t n)
{
	char got[MX_AUDIT_HASH_HEX + 1];
	assert_int_equal(0, mx_audit_hash(prev, prefix, n, got));
	assert_string_equal(want, got);
}

static void test_hash_known_answers(void **state)
{
	(void)state;
	/* SHA-256("\n"): an empty prev and an empty prefix */
	expect_hash("01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b", "", "", 0);
	/* SHA-256("abc\nxy"): exactly n bytes of the prefix, all of prev */
	expect_hash("8c723ee5a2776276c81964018c595ec74cac909d0ded0e41071865d28ef14ca0", "abc", "xyz", 2);
	expect_hash(KAT_LINE1_HASH, MX_AUDIT_GENESIS_HASH, KAT_LINE1_PREFIX, strlen(KAT_LINE1_PREFIX));
	expect_hash(KAT_LINE2_HASH, KAT_LINE1_HASH, KAT_LINE2_PREFIX, strlen(KAT_LINE2_PREFIX));
	assert_string_equal(",\"record_hash\":\"", MX_AUDIT_HASH_MARKER);
	assert_int_equal(64, strlen(MX_AUDIT_GENESIS_HASH));
	for (const char *p = MX_AUDIT_GENESIS_HASH; *p; p++)
		assert_int_equal('0', *p);
}

/* hex(SHA-256(prev ‖ "\n" ‖ prefix)) with OpenSSL directly, not mx_audit_hash. */
static void reference_hash(const char *prev, const char *prefix, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	size_t lp = strlen(prev);
	unsigned char *msg = malloc(lp + 1 + n), md[32];
	unsigned int mdlen = 0;
	assert_non_null(msg);
	memcpy(msg, prev, lp);
	msg[lp] = '\n';
	memcpy(msg + lp + 1, prefix, n);
	assert_int_equal(1, EVP_Digest(msg, lp + 1 + n, md, &mdlen, EVP_sha256(), NULL));
	free(msg);
	assert_int_equal(32, mdlen);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/* A trail whose hashes were computed outside mxcp verifies; the writer
 * continues it, and its new record hashes as the formula says. */
static void test_known_answer_trail(void **state)
{
	(void)state;
	char dir[4096], path[4200];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/kat.jsonl", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(KAT_LINE1_PREFIX MX_AUDIT_HASH_MARKER KAT_LINE1_HASH "\"}\n", fp);
	fputs(KAT_LINE2_PREFIX MX_AUDIT_HASH_MARKER KAT_LINE2_HASH "\"}\n", fp);
	fclose(fp);
	verify_ok(path, 2);

	struct mx_audit_options o = {0};
	struct mx_audit *a = open_at(path, &o);
	assert_int_equal(0, log_named(a, "third"));
	mx_audit_close(a);
	verify_ok(path, 3);

	fp = fopen(path, "r");
	assert_non_null(fp);
	char line[8192];
	for (int i = 0; i < 3; i++)
		assert_non_null(fgets(line, sizeof line, fp));
	fclose(fp);
	const char *m = strstr(line, MX_AUDIT_HASH_MARKER);
	assert_non_null(m);
	char want[65];
	reference_hash(KAT_LINE2_HASH, line, (size_t)(m - line), want);
	json_t *r = json_loads(line, 0, NULL);
	assert_non_null(r);
	assert_string_equal(KAT_LINE2_HASH, json_string_value(json_object_get(r, "prev_hash")));
	assert_string_equal(want, json_string_value(json_object_get(r, "record_hash")));
	/* the prefix ends with the prev_hash field */
	static const char tail[] = ",\"prev_hash\":\"" KAT_LINE2_HASH "\"";
	assert_memory_equal(tail, m - (sizeof tail - 1), sizeof tail - 1);
	json_decref(r);

	/* one changed byte anywhere in the prefix breaks the line */
	fp = fopen(path, "r+");
	assert_non_null(fp);
	assert_int_equal(0, fseek(fp, 20, SEEK_SET)); /* inside line 1's timestamp */
	fputc('9', fp);
	fclose(fp);
	struct mx_audit_verify_result v;
	assert_int_equal(0, mx_audit_verify(path, &v, NULL));
	assert_false(v.ok);
	assert_int_equal(1, v.broken_line);
	mx_test_rmrf(dir);
}

static void test_order_and_chain(void **state)
{
	(void)state;
	char dir[4096], path[4200];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/deep/er/audit.jsonl", dir);
	struct mx_audit_options o = {0};
	struct mx_audit *a = open_at(path, &o);
	assert_int_not_equal(0, access(path, F_OK)); /* nothing on disk before the first record */
	char name[32];
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "t%d", i);
		assert_int_equal(0, log_named(a, name));
	}
	assert_int_equal(0, mx_audit_flush(a, 5000));
	mx_audit_close(a);
	json_t *lines = read_lines(path);
	assert_int_equal(100, json_array_size(lines));
	const char *prev = MX_AUDIT_GENESIS_HASH;
	for (size_t i = 0; i < 100; i++) {
		json_t *r = json_array_get(lines, i);
		snprintf(name, sizeof name, "t%zu", i);
		assert_string_equal(name, json_string_value(json_object_get(r, "name")));
		assert_string_equal(prev, json_string_value(json_object_get(r, "prev_hash")));
		prev = json_string_value(json_object_get(r, "record_hash"));
		assert_int_equal(64, strlen(prev));
		const char *ts = json_string_value(json_object_get(r, "timestamp"));
		assert_int_equal(24, strlen(ts));
		assert_int_equal('Z', ts[23]);
		assert_int_equal(36, strlen(json_string_value(json_object_get(r, "record_id"))));
		assert_string_equal("n/a", json_string_value(json_object_get(r, "policy_decision")));
		assert_int_equal(1, json_integer_value(json_object_get(r, "schema_version")));
	}
	json_decref(lines);
	verify_ok(path, 100);
	mx_test_rmrf(dir);
}

static void test_restart_continues_chain(void **state)
{
	(void)state;
	char dir[4096], path[4200];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/a.jsonl", dir);
	for (int round = 0; round < 3; round++) {
		struct mx_audit_options o = {0};
		struct mx_audit *a = open_at(path, &o);
		assert_int_equal(0, log_named(a, "x"));
		assert_int_equal(0, log_named(a, "y"));
		mx_audit_close(a); /* close drains: no flush needed */
	}
	verify_ok(path, 6);
	struct mx_audit_verify_result v;
	assert_int_equal(0, mx_audit_verify(path, &v, NULL));
	assert_false(v.anchored);
	mx_test_rmrf(dir);
}

/* Rewrite a file: replace the first `from` with `to` (same length), or
 * with from == NULL delete line number `drop` (1-based). */
static void edit_file(const char *path, const char *from, const char *to, int drop)
{
	static char buf[1 << 20];
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	fp = fopen(path, "wb");
	assert_non_null(fp);
	if (from) {
		char *at = strstr(buf, from);
		assert_non_null(at);
		memcpy(at, to, strlen(to));
		fwrite(buf, 1, n, fp);
	} else {
		int line = 1;
		for (size_t i = 0; i < n; i++) {
			if (line != drop)
				fputc(buf[i], fp);
			if (buf[i] == '\n')
				line++;
		}
	}
	fclose(fp);
}

static void test_tamper_detected(void **state)
{
	(void)state;
	char dir[4096], path[4200];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/a.jsonl", dir);
	struct mx_audit_options o = {0};
	struct mx_audit *a = open_at(path, &o);
	for (int i = 0; i < 5; i++)
		assert_int_equal(0, log_named(a, i == 2 ? "Zurich" : "x"));
	mx_audit_close(a);
	verify_ok(path, 5);
	edit_file(path, "Zurich", "Geneva", 0);
	struct mx_audit_verify_result v;
	assert_int_equal(0, mx_audit_verify(path, &v, NULL));
	assert_false(v.ok);
	assert_int_equal(3, v.broken_line);
	assert_non_null(strstr(v.reason, "record_hash"));
	/* deleting a line breaks the link of the next one */
	edit_file(path, "Geneva", "Zurich", 0);
	verify_ok(path, 5);
	edit_file(path, NULL, NULL, 2);
	assert_int_equal(0, mx_audit_verify(path, &v, NULL));
	assert_false(v.ok);
	assert_int_equal(2, v.broken_line);
	assert_non_null(strstr(v.reason, "prev_hash"));
	mx_test_rmrf(dir);
}

static void test_moved_away(void **state)
{
	(void)state;
	char dir[4096], path[4200], moved[4300];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/production.jsonl", dir);
	snprintf(moved, sizeof moved, "%s/backup-20240115.jsonl", dir);
	struct mx_audit_options o = {0};
	struct mx_audit *a = open_at(path, &o);
	for (int i = 0; i < 3; i++)
		assert_int_equal(0, log_named(a, "before"));
	assert_int_equal(0, mx_audit_flush(a, 5000));
	assert_int_equal(0, rename(path, moved)); /* mv production.jsonl /backup/… */
	for (int i = 0; i < 2; i++)
		assert_int_equal(0, log_named(a, "after"));
	assert_int_equal(0, mx_audit_flush(a, 5000));
	struct mx_audit_stats st;
	mx_audit_get_stats(a, &st);
	assert_int_equal(1, st.reopens);
	/* and a delete, noticed while idle */
	assert_int_equal(0, unlink(path) == 0 ? 0 : -1);
	sleep_ms(400);
	assert_int_equal(0, log_named(a, "recreated"));
	mx_audit_close(a);
	json_t *old = read_lines(moved), *now = read_lines(path);
	assert_int_equal(3, json_array_size(old));
	assert_int_equal(1, json_array_size(now));
	json_decref(old);
	json_decref(now);
	mx_test_rmrf(dir);
}

static void test_moved_chain_links(void **state)
{
	(void)state;
	char dir[4096], path[4200], moved[4300];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/p.jsonl", dir);
	snprintf(moved, sizeof moved, "%s/elsewhere.jsonl", dir);
	struct mx_audit_options o = {0};
	struct mx_audit *a = open_at(path, &o);
	assert_int_equal(0, log_named(a, "a"));
	assert_int_equal(0, mx_audit_flush(a, 5000));
	assert_int_equal(0, rename(path, moved));
	assert_int_equal(0, log_named(a, "b"));
	mx_audit_close(a);
	json_t *old = read_lines(moved), *now = read_lines(path);
	assert_string_equal(json_string_value(json_object_get(json_array_get(old, 0), "record_hash")),
	                    json_string_value(json_object_get(json_array_get(now, 0), "prev_hash")));
	json_decref(old);
	json_decref(now);
	struct mx_audit_verify_result v;
	assert_int_equal(0, mx_audit_verify(path, &v, NULL));
	assert_true(v.ok);
	assert_true(v.anchored); /* continues from a file no longer at the path */
	mx_test_rmrf(dir);
}

/* A path whose folder cannot be created until `blocker` (a file) goes. */
static void blocked_path(char *dir, size_t dsz, char *path, size_t psz, char *blocker, size_t bsz)
{
	mx_test_tmpdir(dir, dsz);
	snprintf(blocker, bsz, "%s/blocker", dir);
	mx_test_write(dir, "blocker", "not a folder");
	snprintf(path, psz, "%s/blocker/a.jsonl", dir);
}

static void test_queue_full_fail(void **state)
{
	(void)state;
	char dir[4096], path[4300], blocker[4300];
	blocked_path(dir, sizeof dir, path, sizeof path, blocker, sizeof blocker);
	struct mx_audit_options o = {.queue_size = 2, .on_full = MX_AUDIT_ON_FULL_FAIL, .retry_ms = 20};
	struct mx_audit *a = open_at(path, &o);
	assert_int_equal(0, log_named(a, "1"));
	sleep_ms(100); /* the writer has failed by now */
	assert_int_equal(MX_EIO, log_named(a, "2"));
	struct mx_audit_stats st;
	mx_audit_get_stats(a, &st);
	assert_int_equal(1, st.rejected_io);
	assert_true(st.write_errors >= 1);
	assert_true(st.failing);
	assert_int_equal(1, st.queued);
	/* the disk comes back: nothing accepted is lost */
	assert_int_equal(0, unlink(blocker));
	assert_int_equal(0, mx_audit_flush(a, 5000));
	assert_int_equal(0, log_named(a, "3"));
	mx_audit_close(a);
	json_t *lines = read_lines(path);
	assert_int_equal(2, json_array_size(lines));
	json_decref(lines);
	mx_test_rmrf(dir);
}

static void test_queue_full_block(void **state)
{
	(void)state;
	char dir[4096], path[4300], blocker[4300];
	blocked_path(dir, sizeof dir, path, sizeof path, blocker, sizeof blocker);
	struct mx_audit_options o = {
	        .queue_size = 2, .on_full = MX_AUDIT_ON_FULL_BLOCK, .block_timeout_ms = 50, .retry_ms = 20};
	struct mx_audit *a = open_at(path, &o);
	assert_int_equal(0, log_named(a, "1"));
	assert_int_equal(0, log_named(a, "2"));
	assert_int_equal(MX_ELIMIT, log_named(a, "3")); /* waited, then refused: never dropped silently */
	struct mx_audit_stats st;
	mx_audit_get_stats(a, &st);
	assert_int_equal(1, st.blocked);
	assert_int_equal(1, st.rejected_full);
	assert_int_equal(2, st.enqueued);
	assert_int_equal(2, st.queue_high_water);
	assert_int_equal(0, unlink(blocker));
	mx_audit_close(a);
	json_t *lines = read_lines(path);
	assert_int_equal(2, json_array_size(lines));
	json_decref(lines);
	mx_test_rmrf(dir);
}

static void test_lost_at_close_is_counted(void **state)
{
	(void)state;
	char dir[4096], path[4300], blocker[4300];
	blocked_path(dir, sizeof dir, path, sizeof path, blocker, sizeof blocker);
	struct mx_audit_options o = {.retry_ms = 5};
	struct mx_audit *a = open_at(path, &o);
	assert_int_equal(0, log_named(a, "never"));
	assert_int_equal(MX_ELIMIT, mx_audit_flush(a, 50));
	mx_audit_close(a); /* logs the loss; must not hang */
	mx_test_rmrf(dir);
}

static void fsync_case(enum mx_audit_fsync_mode mode, unsigned long long *fsyncs)
{
	char dir[4096], path[4200];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/a.jsonl", dir);
	struct mx_audit_options o = {.fsync = mode, .fsync_interval_ms = 50};
	struct mx_audit *a = open_at(path, &o);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(0, log_named(a, "x"));
		assert_int_equal(0, mx_audit_flush(a, 5000));
	}
	sleep_ms(300);
	struct mx_audit_stats st;
	mx_audit_get_stats(a, &st);
	*fsyncs = st.fsyncs;
	mx_audit_close(a);
	mx_test_rmrf(dir);
}

static void test_fsync_modes(void **state)
{
	(void)state;
	unsigned long long n;
	fsync_case(MX_AUDIT_FSYNC_ALWAYS, &n);
	assert_int_equal(3, n);
	fsync_case(MX_AUDIT_FSYNC_NEVER, &n);
	assert_int_equal(0, n);
	fsync_case(MX_AUDIT_FSYNC_INTERVAL, &n);
	assert_true(n >= 1 && n <= 3);
}

static void test_rotation_by_size(void **state)
{
	(void)state;
	char dir[4096], path[4200];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/logs.jsonl", dir);
	struct mx_audit_options o = {.rotate_size = 1000};
	struct mx_audit *a = open_at(path, &o);
	for (int i = 0; i < 10; i++)
		assert_int_equal(0, log_named(a, "rot"));
	mx_audit_close(a);
	char **files = NULL;
	size_t n = 0;
	assert_int_equal(0, mx_audit_list_files(path, 0, &files, &n, NULL));
	assert_true(n >= 4);
	assert_string_equal(path, files[n - 1]);
	mx_audit_free_files(files, n);
	verify_ok(path, 10);
	/* rotated files are still queried */
	struct mx_audit_filter f = {.limit = -1};
	json_t *rows = NULL;
	assert_int_equal(0, mx_audit_query(path, &f, &rows, NULL));
	assert_int_equal(10, json_array_size(rows));
	json_decref(rows);
	/* a restart continues the chain from the newest rotated file */
	json_t *live = read_lines(path);
	size_t nlive = json_array_size(live);
	json_decref(live);
	unlink(path);
	a = open_at(path, &o);
	assert_int_equal(0, log_named(a, "again"));
	mx_audit_close(a);
	verify_ok(path, (int64_t)(10 - nlive + 1));
	mx_test_rmrf(dir);
}

static void test_rotation_by_time(void **state)
{
	(void)state;
	char dir[4096], path[4200];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/logs.jsonl", dir);
	/* a file whose first record is from another day */
	mx_test_write(dir, "logs.jsonl", "{\"timestamp\":\"2020-01-01T00:00:00.000Z\",\"name\":\"old\"}\n");
	struct mx_audit_options o = {.rotate_interval = MX_AUDIT_ROTATE_DAILY};
	struct mx_audit *a = open_at(path, &o);
	assert_int_equal(0, log_named(a, "today"));
	assert_int_equal(0, log_named(a, "today"));
	struct mx_audit_stats st;
	mx_audit_flush(a, 5000);
	mx_audit_get_stats(a, &st);
	mx_audit_close(a);
	assert_int_equal(1, st.rotations);
	json_t *lines = read_lines(path);
	assert_int_equal(2, json_array_size(lines));
	json_decref(lines);
	mx_test_rmrf(dir);
}

struct conc {
	struct mx_audit *a;
	int id;
	int failures;
};

static void *conc_main(void *arg)
{
	struct conc *c = arg;
	char name[32];
	snprintf(name, sizeof name, "w%d", c->id);
	for (int i = 0; i < 10000; i++)
		if (log_named(c->a, name) != 0)
			c->failures++;
	return NULL;
}

static void test_concurrent_writers(void **state)
{
	(void)state;
	char dir[4096], path[4200];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/a.jsonl", dir);
	struct mx_audit_options o = {
	        .queue_size = 1024, .block_timeout_ms = 60000, .fsync = MX_AUDIT_FSYNC_NEVER};
	struct mx_audit *a = open_at(path, &o);
	pthread_t t[8];
	struct conc c[8];
	for (int i = 0; i < 8; i++) {
		c[i] = (struct conc){.a = a, .id = i};
		pthread_create(&t[i], NULL, conc_main, &c[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(0, c[i].failures);
	}
	mx_audit_close(a);
	json_t *lines = read_lines(path); /* every line whole and valid JSON */
	assert_int_equal(80000, json_array_size(lines));
	int per[8] = {0};
	size_t i;
	json_t *r;
	json_array_foreach (lines, i, r)
		per[json_string_value(json_object_get(r, "name"))[1] - '0']++;
	for (int k = 0; k < 8; k++)
		assert_int_equal(10000, per[k]);
	json_decref(lines);
	verify_ok(path, 80000);
	mx_test_rmrf(dir);
}

static void test_rotated_name_sorts(void **state)
{
	(void)state;
	char a[256], b[256];
	assert_int_equal(0, mx_audit_rotated_name("/x/prod.jsonl", 1705320000123, a, sizeof a));
	assert_string_equal("/x/prod.20240115T120000123Z.jsonl", a);
	assert_int_equal(0, mx_audit_rotated_name("/x/prod.jsonl", 1705320000124, b, sizeof b));
	assert_true(strcmp(a, b) < 0);
	char ts[32];
	mx_audit_format_time(1705320000123, ts);
	assert_string_equal("2024-01-15T12:00:00.123Z", ts);
	int64_t ms;
	assert_int_equal(0, mx_audit_parse_time(ts, strlen(ts), &ms));
	assert_int_equal(1705320000123, ms);
	assert_int_equal(0, mx_audit_parse_time("2024-01-15T14:00:00.123456+02:00", 32, &ms));
	assert_int_equal(1705320000123, ms);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hash_known_answers), cmocka_unit_test(test_known_answer_trail),
	        cmocka_unit_test(test_order_and_chain),    cmocka_unit_test(test_restart_continues_chain),
	        cmocka_unit_test(test_tamper_detected),    cmocka_unit_test(test_moved_away),
	        cmocka_unit_test(test_moved_chain_links),  cmocka_unit_test(test_queue_full_fail),
	        cmocka_unit_test(test_queue_full_block),   cmocka_unit_test(test_lost_at_close_is_counted),
	        cmocka_unit_test(test_fsync_modes),        cmocka_unit_test(test_rotation_by_size),
	        cmocka_unit_test(test_rotation_by_time),   cmocka_unit_test(test_concurrent_writers),
	        cmocka_unit_test(test_rotated_name_sorts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
