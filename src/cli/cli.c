/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli — command dispatch and the top-level help. Options given before the
 * command (`mxcp --debug list`) are passed on to it, so --profile and --debug
 * work in either place.
 */
#include "cli/cli.h"

#include "cli/common.h"
#include "core/alloc.h"
#include "core/log.h"

#include <stdio.h>
#include <string.h>

/* cli/health.c: the probe a container health check runs (no curl needed). */
int mx_cmd_health(int argc, char **argv);

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command COMMANDS[] = {
        {"init", mx_cmd_init, "Initialize a new MXCP repository"},
        {"serve", mx_cmd_serve, "Start the MCP server (streamable HTTP, SSE or stdio)"},
        {"list", mx_cmd_list, "List all available endpoints"},
        {"validate", mx_cmd_validate, "Validate one or all endpoints"},
        {"run", mx_cmd_run, "Run a tool, resource or prompt"},
        {"query", mx_cmd_query, "Execute a SQL query against the profile's database"},
        {"test", mx_cmd_test, "Run the tests defined in endpoint files"},
        {"lint", mx_cmd_lint, "Check endpoints for missing but recommended metadata"},
        {"evals", mx_cmd_evals, "Run LLM evaluation suites against the endpoints"},
        {"log", mx_cmd_log, "Query the audit trail"},
        {"log-cleanup", mx_cmd_log_cleanup, "Apply audit retention"},
        {"dbt-config", mx_cmd_dbt_config,
         "Generate / patch the dbt side-car files (dbt_project.yml + profiles.yml)"},
        {"dbt", mx_cmd_dbt, "Run dbt with the profile's secrets injected as environment variables"},
        {"drift-snapshot", mx_cmd_drift_snapshot, "Write a drift snapshot (the baseline for drift-check)"},
        {"drift-check", mx_cmd_drift_check, "Compare the current state with the drift baseline"},
        {"health", mx_cmd_health, "Probe a running server's /health (container health checks)"},
};

static void print_help(FILE *f)
{
	fprintf(f, "Usage: mxcp [OPTIONS] COMMAND [ARGS]...\n\n"
	           "  mxcp — serve MXCP projects (tools, resources and prompts in YAML with\n"
	           "  DuckDB SQL) to LLM clients over the Model Context Protocol.\n\n"
	           "Options:\n"
	           "  --version  Show the version and exit.\n"
	           "  --help     Show this message and exit.\n\n"
	           "Commands:\n");
	for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
		fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
}

int mx_cli_main(int argc, char **argv)
{
	mx_alloc_init_jansson();
	/* Skip global options before the command name; they are re-read by it. */
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--version")) {
			printf("mxcp %s (DuckDB %s)\n", MXCP_VERSION, MXCP_DUCKDB_VERSION);
			return MX_EXIT_OK;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_help(stdout);
			return MX_EXIT_OK;
		}
		if (!strcmp(argv[i], "--profile") && i + 1 < argc)
			i += 2;
		else if (!strncmp(argv[i], "--profile=", 10) || !strcmp(argv[i], "--debug") ||
		         !strcmp(argv[i], "--json-output") || !strcmp(argv[i], "--readonly"))
			i++;
		else {
			fprintf(stderr,
			        "Usage: mxcp [OPTIONS] COMMAND [ARGS]...\nTry 'mxcp --help' for help.\n\n"
			        "Error: No such option: %s\n",
			        argv[i]);
			return MX_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		print_help(stdout);
		return MX_EXIT_OK;
	}
	for (size_t c = 0; c < sizeof COMMANDS / sizeof COMMANDS[0]; c++) {
		if (strcmp(argv[i], COMMANDS[c].name) != 0)
			continue;
		/* argv for the command: its name, then the global options, then its own. */
		char *cargv[512];
		int cargc = 0;
		if (argc >= (int)(sizeof cargv / sizeof cargv[0])) {
			fprintf(stderr, "Error: too many arguments\n");
			return MX_EXIT_USAGE;
		}
		cargv[cargc++] = argv[i];
		for (int k = 1; k < i; k++)
			cargv[cargc++] = argv[k];
		for (int k = i + 1; k < argc; k++)
			cargv[cargc++] = argv[k];
		cargv[cargc] = NULL;
		return COMMANDS[c].fn(cargc, cargv);
	}
	fprintf(stderr,
	        "Usage: mxcp [OPTIONS] COMMAND [ARGS]...\nTry 'mxcp --help' for help.\n\n"
	        "Error: No such command '%s'.\n",
	        argv[i]);
	return MX_EXIT_USAGE;
}
