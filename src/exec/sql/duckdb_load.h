/* SPDX-License-Identifier: Apache-2.0 */
/*
 * duckdb_load — libduckdb.so mapped on first use, not at exec: DuckDB's
 * loading is most of a start's dynamic linking (some 31,000 relocations of
 * its C++ symbols, ~6 ms of CPU), and `mxcp serve` does it on the thread
 * that opens the database, beside the one that reads the project.
 *
 * The mxcp binary does not link libduckdb.so: it has, for every function
 * of DuckDB's C API, a hidden definition of the same name and prototype
 * (generated from duckdb.h by scripts/duckdb-lazy.py) that calls the
 * library's function through a pointer, resolved the first time with
 * mx_duckdb_symbol. The first call of any of them loads the library
 * (RTLD_GLOBAL: DuckDB's C++ extensions and mxcp_python.so bind to it), as
 * the dynamic loader would have at exec, from the same places (the
 * binary's RUNPATH, then the system's). Tests and tools link the library
 * as usual.
 *
 * Threads: any; concurrent first calls load the library once.
 */
#ifndef MX_EXEC_SQL_DUCKDB_LOAD_H
#define MX_EXEC_SQL_DUCKDB_LOAD_H

/* The address of DuckDB's function `name`, cached in *slot. A library or
 * function that cannot be found ends the process (exit status 127, as the
 * dynamic loader's), saying so. */
void *mx_duckdb_symbol(void **slot, const char *name);

#endif
