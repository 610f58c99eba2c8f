/* brig discard [SESSION]: throw away a gated session's changes. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "gate/apply.h"
#include "gate/cli.h"
#include "util/log.h"

int cmd_discard(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		bool help = argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
		fprintf(help ? stdout : stderr,
			"usage: brig discard [SESSION]\n  removes the session's changes; the project "
			"stays as it is and brig apply refuses afterwards\n");
		return help ? 0 : 2;
	}
	struct gate_session g;
	int rc = BRIG_EXIT_FAIL;
	if (gate_cli_open(argc - 1, argv + 1, &g, NULL) == 0)
		rc = gate_discard(&g);
	gate_close(&g);
	return rc;
}
