/* SPDX-License-Identifier: Apache-2.0 */
/* Fails the build when libduckdb.so is not the release given on the command line. */
#include <duckdb.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *have = duckdb_library_version();
	if (argc < 2 || strcmp(have, argv[1]) != 0) {
		fprintf(stderr, "libduckdb.so is %s, duckdb.h is %s\n", have, argc > 1 ? argv[1] : "?");
		return 1;
	}
	return 0;
}
