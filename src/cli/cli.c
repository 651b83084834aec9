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

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* Sorted by name, as Click lists a group's commands. */
static const struct command COMMANDS[] = {
        {"dbt", mx_cmd_dbt, "Run dbt with the profile's secrets injected as environment variables"},
        {"dbt-config", mx_cmd_dbt_config,
         "Generate / patch the dbt side-car files (dbt_project.yml + profiles.yml)"},
        {"drift-check", mx_cmd_drift_check, "Compare the current state with the drift baseline"},
        {"drift-snapshot", mx_cmd_drift_snapshot, "Write a drift snapshot (the baseline for drift-check)"},
        {"evals", mx_cmd_evals, "Run LLM evaluation suites against the endpoints"},
        {"init", mx_cmd_init, "Initialize a new MXCP repository"},
        {"lint", mx_cmd_lint, "Check endpoints for missing but recommended metadata"},
        {"list", mx_cmd_list, "List all available endpoints"},
        {"log", mx_cmd_log, "Query the audit trail (a table at a terminal, JSON lines when piped)"},
        {"log-cleanup", mx_cmd_log_cleanup, "Apply audit retention"},
        {"query", mx_cmd_query, "Execute a SQL query against the profile's database"},
        {"run", mx_cmd_run, "Run a tool, resource or prompt"},
        {"serve", mx_cmd_serve, "Start the MCP server (streamable HTTP, SSE or stdio)"},
        {"test", mx_cmd_test, "Run the tests defined in endpoint files"},
        {"validate", mx_cmd_validate, "Validate one or all endpoints"},
};

#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void print_help(FILE *f)
{
	fprintf(f, "Usage: mxcp [OPTIONS] COMMAND [ARGS]...\n\n"
	           "  mxcp — serve MXCP projects (tools, resources and prompts in YAML with\n"
	           "  DuckDB SQL) to LLM clients over the Model Context Protocol.\n\n"
	           "Options:\n"
	           "  --version  Show the version and exit.\n"
	           "  --help     Show this message and exit.\n\n"
	           "  Every command also takes --profile, --project-dir DIR (or\n"
	           "  MXCP_PROJECT_DIR), --debug and its own options, before or after its\n"
	           "  arguments; `mxcp COMMAND --help` lists them.\n\n"
	           "Commands:\n");
	int width = 0;
	for (size_t i = 0; i < NCOMMANDS; i++)
		if ((int)strlen(COMMANDS[i].name) > width)
			width = (int)strlen(COMMANDS[i].name);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-*s  %s\n", width, COMMANDS[i].name, COMMANDS[i].summary);
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
		if ((!strcmp(argv[i], "--profile") || !strcmp(argv[i], "--project-dir")) && i + 1 < argc)
			i += 2;
		else if (!strncmp(argv[i], "--profile=", 10) || !strncmp(argv[i], "--project-dir=", 14) ||
		         !strcmp(argv[i], "--debug") || !strcmp(argv[i], "--json-output") ||
		         !strcmp(argv[i], "--readonly"))
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
	for (size_t c = 0; c < NCOMMANDS; c++) {
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
	const char *names[NCOMMANDS];
	for (size_t c = 0; c < NCOMMANDS; c++)
		names[c] = COMMANDS[c].name;
	fprintf(stderr,
	        "Usage: mxcp [OPTIONS] COMMAND [ARGS]...\nTry 'mxcp --help' for help.\n\n"
	        "Error: No such command '%s'.%s\n",
	        argv[i], mx_cli_did_you_mean(argv[i], names, NCOMMANDS));
	return MX_EXIT_USAGE;
}
