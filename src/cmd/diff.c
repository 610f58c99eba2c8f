/* brig diff [SESSION] [PATH...] [--stat] [--color=auto|always|never]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "gate/cli.h"
#include "gate/diff.h"
#include "util/log.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: brig diff [SESSION] [PATH...] [--stat] [--color=auto|always|never]\n"
		     "  a unified diff of the session's changes against the real project\n");
}

int cmd_diff(int argc, char **argv)
{
	bool stat = false;
	int color = isatty(1);
	char **pos = calloc((size_t)argc, sizeof *pos);
	int npos = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--stat"))
			stat = true;
		else if (!strcmp(argv[i], "--color") || !strcmp(argv[i], "--color=always"))
			color = 1;
		else if (!strcmp(argv[i], "--color=never") || !strcmp(argv[i], "--no-color"))
			color = 0;
		else if (!strcmp(argv[i], "--color=auto"))
			color = isatty(1);
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			free(pos);
			return 0;
		} else if (argv[i][0] == '-' && strcmp(argv[i], "-")) {
			usage(stderr);
			free(pos);
			return 2;
		} else
			pos[npos++] = argv[i];
	}
	struct gate_session g;
	struct strv paths = {0};
	char *err = NULL;
	int rc = BRIG_EXIT_FAIL;
	if (gate_cli_open(npos, pos, &g, &paths) == 0) {
		if (gate_review(&g, &err) < 0)
			log_err("%s", err);
		else if (gate_diff(&g, &paths, stat, color) == 0)
			rc = 0;
	}
	free(err);
	free(pos);
	strv_free(&paths);
	gate_close(&g);
	return rc;
}
