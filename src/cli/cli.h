/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli — the command line. One file per command (init, list, run, query,
 * validate, …); each parses its flags, calls the library and prints.
 * Exit codes follow MXCP: 0 success, 1 failure, 2 usage error.
 */
#ifndef MX_CLI_CLI_H
#define MX_CLI_CLI_H

int mx_cli_main(int argc, char **argv);

#endif
