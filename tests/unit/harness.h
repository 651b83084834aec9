/* SPDX-License-Identifier: Apache-2.0 */
/*
 * harness — shared helpers for the cmocka unit tests (tests/unit mirrors src/).
 *
 * Include this after <cmocka.h>'s prerequisites; it includes them itself.
 * Failures print what was expected and what was got: use cmocka's
 * assert_string_equal / assert_int_equal, or MX_ASSERT_JSON_EQ for JSON.
 */
#ifndef MX_TEST_HARNESS_H
#define MX_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

/* The source tree (MXCP_SOURCE_DIR, set by CTest; "." otherwise). */
const char *mx_test_source_dir(void);
/* A path inside the source tree, in a static rotating buffer. */
const char *mx_test_path(const char *rel);
/* Make a fresh temporary directory; the path is written into out. */
void mx_test_tmpdir(char *out, size_t outsz);
/* Write a file (creating parent folders) under dir. */
void mx_test_write(const char *dir, const char *rel, const char *content);
/* Remove a directory tree. */
void mx_test_rmrf(const char *dir);

/* A cmocka fixture: an in-memory DuckDB and one connection to it. Use
 * mx_test_db_setup / mx_test_db_teardown as setup and teardown; *state is
 * then a struct mx_test_db. */
struct mx_db;
struct mx_dbconn;
struct mx_project;
struct mx_runtime;
struct mx_test_db {
	struct mx_db *db;
	struct mx_dbconn *c;
};
int mx_test_db_setup(void **state);
int mx_test_db_teardown(void **state);
/* Load the project in dir, open its database and one connection to it;
 * fails the test on any error. */
void mx_test_open_project(const char *dir, struct mx_project **p, struct mx_runtime **rt,
                          struct mx_dbconn **conn);

/* Parse JSON text written in a test (any value); fails the test, naming
 * the text, when it does not parse. A new reference. */
json_t *mx_test_json(const char *text);

/* Compare JSON values (expected given as JSON text); on mismatch print both. */
void mx_test_json_eq(const char *expected_text, const json_t *got, const char *file, int line);
#define MX_ASSERT_JSON_EQ(expected_text, got) mx_test_json_eq((expected_text), (got), __FILE__, __LINE__)

#endif
