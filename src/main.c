/* SPDX-License-Identifier: Apache-2.0 */
/* main — argv to one of the cli commands; nothing else. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return mx_cli_main(argc, argv);
}
