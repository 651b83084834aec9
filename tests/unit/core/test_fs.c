/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/core/fs.c: mkdir -p, the atomic whole-file write, realpath below a folder. */
#include "harness.h"

#include "core/fs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void test_mkdir_p(void **state)
{
	(void)state;
	char tmp[PATH_MAX], p[PATH_MAX + 64], failed[PATH_MAX];
	mx_test_tmpdir(tmp, sizeof tmp);
	snprintf(p, sizeof p, "%s/a/b/c/", tmp);
	assert_int_equal(0, mx_fs_mkdir_p(p, 0755, failed, sizeof failed));
	snprintf(p, sizeof p, "%s/a/b/c", tmp);
	assert_true(is_dir(p));
	assert_int_equal(0, mx_fs_mkdir_p(p, 0755, NULL, 0)); /* already there */

	/* a file in the way: the folder that could not be made is named */
	mx_test_write(tmp, "a/file", "x");
	snprintf(p, sizeof p, "%s/a/file/d", tmp);
	assert_int_equal(-1, mx_fs_mkdir_p(p, 0755, failed, sizeof failed));
	assert_int_equal(ENOTDIR, errno);
	assert_string_equal(p, failed);
	snprintf(p, sizeof p, "%s/a/file", tmp);
	assert_int_equal(-1, mx_fs_mkdir_p(p, 0755, failed, sizeof failed));
	assert_int_equal(ENOTDIR, errno);
	assert_string_equal(p, failed);
	assert_int_equal(-1, mx_fs_mkdir_p("", 0755, NULL, 0));
	mx_test_rmrf(tmp);
}

static void test_mkdir_parent(void **state)
{
	(void)state;
	char tmp[PATH_MAX], p[PATH_MAX + 64];
	mx_test_tmpdir(tmp, sizeof tmp);
	snprintf(p, sizeof p, "%s/x/y/file.db", tmp);
	assert_int_equal(0, mx_fs_mkdir_parent(p, 0755, NULL, 0));
	snprintf(p, sizeof p, "%s/x/y", tmp);
	assert_true(is_dir(p));
	assert_int_equal(0, mx_fs_mkdir_parent("file.db", 0755, NULL, 0)); /* no folder */
	assert_int_equal(0, mx_fs_mkdir_parent("/file.db", 0755, NULL, 0));
	mx_test_rmrf(tmp);
}

static void test_write_atomic(void **state)
{
	(void)state;
	char tmp[PATH_MAX], p[PATH_MAX + 64], got[64] = "";
	mx_test_tmpdir(tmp, sizeof tmp);
	snprintf(p, sizeof p, "%s/out.txt", tmp);
	assert_int_equal(0, mx_fs_write_atomic(p, "first", 5, 0644));
	assert_int_equal(0, mx_fs_write_atomic(p, "second", 6, 0644));
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	size_t n = fread(got, 1, sizeof got - 1, f);
	fclose(f);
	got[n] = '\0';
	assert_string_equal("second", got);
	struct stat sb;
	assert_int_equal(0, stat(p, &sb));
	assert_true(S_ISREG(sb.st_mode));
	/* no temporary is left behind, also when the write fails */
	char t[PATH_MAX + 96];
	snprintf(t, sizeof t, "%s.tmp.%ld", p, (long)getpid());
	assert_int_equal(-1, access(t, F_OK));
	snprintf(p, sizeof p, "%s/missing/out.txt", tmp);
	assert_int_equal(-1, mx_fs_write_atomic(p, "x", 1, 0644));
	assert_int_equal(ENOENT, errno);
	mx_test_rmrf(tmp);
}

/* mx_fs_realpath_below agrees with realpath(3): 0 and the same path, or -1
 * and the same errno. */
static void same_as_realpath(const char *base, const char *path)
{
	char want[PATH_MAX], got[PATH_MAX];
	errno = 0;
	int wrc = realpath(path, want) ? 0 : -1;
	int werr = errno;
	errno = 0;
	int grc = mx_fs_realpath_below(base, path, got);
	assert_int_equal(wrc, grc);
	if (wrc == 0)
		assert_string_equal(want, got);
	else
		assert_int_equal(werr, errno);
}

static void test_realpath_below(void **state)
{
	(void)state;
	char tmp[PATH_MAX], base[PATH_MAX], p[PATH_MAX + 128], target[PATH_MAX + 64];
	mx_test_tmpdir(tmp, sizeof tmp);
	assert_non_null(realpath(tmp, base));
	mx_test_write(base, "tools/t.yml", "x");
	mx_test_write(base, "sql/t.sql", "x");
	mx_test_write(base, "elsewhere/sql/t.sql", "y");
	mx_test_write(base, "elsewhere/t.yml", "y");
	static const char *const rel[] = {"tools/t.yml",
	                                  "tools/../sql/t.sql",
	                                  "./tools//t.yml",
	                                  "tools/./../tools/t.yml",
	                                  "tools/missing.yml",
	                                  "tools/t.yml/x",
	                                  "sql",
	                                  "..",
	                                  "linked/sql/t.sql",
	                                  "linked/../sql/t.sql",
	                                  "tools/link.yml",
	                                  "tools/dangling.yml",
	                                  "tools/../../x/y.sql"};
	snprintf(target, sizeof target, "%s/elsewhere/sql", base);
	snprintf(p, sizeof p, "%s/linked", base);
	assert_int_equal(0, symlink(target, p)); /* a symlinked folder: ".." after it is not lexical */
	snprintf(target, sizeof target, "%s/elsewhere/t.yml", base);
	snprintf(p, sizeof p, "%s/tools/link.yml", base);
	assert_int_equal(0, symlink(target, p));
	snprintf(p, sizeof p, "%s/tools/dangling.yml", base);
	assert_int_equal(0, symlink("/nonexistent/mxcp", p));
	for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
		snprintf(p, sizeof p, "%s/%s", base, rel[i]);
		same_as_realpath(base, p);
	}
	same_as_realpath(base, "/etc/hostname"); /* not below base */
	same_as_realpath("/", "/etc/../etc/hostname");
	mx_test_rmrf(tmp);
}

static void test_normalize(void **state)
{
	(void)state;
	char out[64];
	mx_fs_normalize("/a/./b/../c", out, sizeof out);
	assert_string_equal("/a/c", out);
	mx_fs_normalize("/p//tools/../sql/q.sql", out, sizeof out);
	assert_string_equal("/p/sql/q.sql", out);
	mx_fs_normalize("/..", out, sizeof out);
	assert_string_equal("/", out);
	mx_fs_normalize("/a/b/../../..", out, sizeof out);
	assert_string_equal("/", out);
	mx_fs_normalize("/a/..b/.c", out, sizeof out);
	assert_string_equal("/a/..b/.c", out);
	mx_fs_normalize("/abc/defghij", out, 10); /* cut at a component */
	assert_string_equal("/abc", out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mkdir_p),      cmocka_unit_test(test_mkdir_parent),
	        cmocka_unit_test(test_write_atomic), cmocka_unit_test(test_realpath_below),
	        cmocka_unit_test(test_normalize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
