/* SPDX-License-Identifier: Apache-2.0 */
/* cli — command dispatch, global flags and help. */
#include "cli/cli.h"

#include "core/alloc.h"
#include "core/log.h"

#include <stdio.h>
#include <string.h>

int mx_cli_main(int argc, char **argv)
{
	mx_alloc_init_jansson();
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("mxcp %s\n", MXCP_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: mxcp COMMAND [ARGS]...\n");
	return 2;
}
