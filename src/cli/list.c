/* SPDX-License-Identifier: Apache-2.0 */
/* list — `mxcp list [--json-output]`: endpoints by kind, with load status. */
#include "cli/common.h"

#include "core/log.h"
#include "model/project.h"

#include <stdio.h>
#include <string.h>

static void print_help(void)
{
	printf("Usage: mxcp list [OPTIONS]\n\n"
	       "  List all endpoints of the project (tools, resources, prompts) and\n"
	       "  any endpoint file that fails to load.\n\n"
	       "Options:\n"
	       "  --profile TEXT     Profile name to use\n"
	       "  --project-dir DIR  Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                     else the current folder and its parents)\n"
	       "  --json-output      Output in JSON format\n"
	       "  --debug            Show detailed debug information\n"
	       "  --help             Show this message and exit.\n");
}

int mx_cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {MX_CLI_COMMON_OPTIONS, {0}};
	struct mx_cli cli = {.command = "list"};
	int c;
	while ((c = mx_cli_getopt(&cli, argc, argv, "h", opts)) != -1) {
		if (c == 'h') {
			print_help();
			return MX_EXIT_OK;
		}
		if (c == '?')
			return mx_cli_bad_option(&cli, argv);
		if (c == MX_OPT_READONLY || !mx_cli_common_option(&cli, c, optarg))
			return mx_cli_usage_error(&cli, "No such option: %s", argv[optind - 1]);
	}
	if (optind < argc)
		return mx_cli_usage_error(&cli, "Got unexpected extra argument (%s)", argv[optind]);
	mx_cli_setup_logging(&cli);

	struct mx_project_options popt = {.profile = cli.profile};
	struct mx_project *p = NULL;
	struct mx_err err;
	if (mx_project_load(&popt, &p, &err))
		return mx_cli_fail(&cli, &err);

	if (cli.json_output) {
		json_t *list = json_array();
		for (size_t i = 0; i < p->nendpoints; i++) {
			const struct mx_endpoint *ep = p->endpoints[i];
			json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "path", ep->path,
			                                      "kind", mx_endpoint_kind_name(ep->kind), "name",
			                                      ep->name, "error", ""));
		}
		for (size_t i = 0; i < p->nfailures; i++) {
			char msg[4096];
			mx_err_format(&p->failures[i].err, msg, sizeof msg);
			json_array_append_new(list,
			                      json_pack("{s:s, s:s, s:s, s:s}", "path", p->failures[i].path,
			                                "kind", "unknown", "name", "unknown", "error", msg));
		}
		mx_cli_print_ok(
		        json_pack("{s:s, s:o}", "status", p->nfailures ? "error" : "ok", "endpoints", list));
		mx_project_unref(p);
		return MX_EXIT_OK;
	}

	if (p->nendpoints == 0 && p->nfailures == 0) {
		printf("No endpoints found.\n"
		       "  Create tools in %s/, resources in %s/ and prompts in %s/.\n",
		       p->site->paths.tools, p->site->paths.resources, p->site->paths.prompts);
		mx_project_unref(p);
		return MX_EXIT_OK;
	}
	printf("Project %s, profile %s: %zu endpoint%s", p->site->project, p->profile, p->nendpoints,
	       p->nendpoints == 1 ? "" : "s");
	if (p->nfailures)
		printf(", %zu failed to load", p->nfailures);
	printf("\n");
	int tty = mx_cli_tty();
	const char *green = mx_cli_color(tty, MX_CLI_GREEN), *red = mx_cli_color(tty, MX_CLI_RED),
	           *bold = mx_cli_color(tty, MX_CLI_BOLD), *reset = mx_cli_color(tty, MX_CLI_RESET);
	static const char *const headings[] = {"Tools", "Resources", "Prompts"};
	for (int kind = MX_EP_TOOL; kind <= MX_EP_PROMPT; kind++) {
		size_t count = 0, width = 0;
		for (size_t i = 0; i < p->nendpoints; i++) {
			if ((int)p->endpoints[i]->kind != kind)
				continue;
			count++;
			size_t w = strlen(p->endpoints[i]->name);
			width = w > width ? w : width;
		}
		if (count == 0)
			continue;
		printf("\n%s%s (%zu)%s\n", bold, headings[kind], count, reset);
		for (size_t i = 0; i < p->nendpoints; i++) {
			const struct mx_endpoint *ep = p->endpoints[i];
			if ((int)ep->kind == kind)
				printf("  %s✓%s %-*s  %s\n", green, reset, (int)width, ep->name, ep->relpath);
		}
	}
	if (p->nfailures) {
		printf("\n%sFailed (%zu)%s\n", bold, p->nfailures, reset);
		for (size_t i = 0; i < p->nfailures; i++) {
			const struct mx_err *e = &p->failures[i].err;
			printf("  %s✗%s %s:%d:%d: ", red, reset, p->failures[i].relpath, e->line, e->col);
			mx_cli_print_indented(e->msg, 4);
			printf("\n");
		}
	}
	mx_project_unref(p);
	return MX_EXIT_OK;
}
