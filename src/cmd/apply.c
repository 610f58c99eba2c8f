/* brig apply [SESSION] [PATH...] [--accept RULE|PATH]... [--dry-run] | --rollback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "gate/apply.h"
#include "gate/cli.h"
#include "util/log.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: brig apply [SESSION] [PATH...] [--accept RULE|PATH]... [--dry-run]\n"
		"       brig apply [SESSION] --rollback\n"
		"  writes the session's changes (or those under PATH) to the real project.\n"
		"  Changes with a high-severity finding or a conflict are held back; name a finding's\n"
		"  rule or path with --accept after reading it (brig review, brig diff).\n"
		"  An interrupted apply is completed by the next brig apply, or undone by --rollback.\n"
		"  Exit status: 0 all applied, 1 some held back, 125 error.\n");
}

int cmd_apply(int argc, char **argv)
{
	struct apply_opts o = {0};
	char **pos = calloc((size_t)argc, sizeof *pos);
	int npos = 0, rc = 2;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--accept") && i + 1 < argc)
			strv_push(&o.accept, argv[++i]);
		else if (!strncmp(argv[i], "--accept=", 9))
			strv_push(&o.accept, argv[i] + 9);
		else if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n"))
			o.dry_run = true;
		else if (!strcmp(argv[i], "--rollback"))
			o.rollback = true;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			rc = 0;
			goto out;
		} else if (argv[i][0] == '-') {
			usage(stderr);
			goto out;
		} else
			pos[npos++] = argv[i];
	}
	struct gate_session g;
	rc = BRIG_EXIT_FAIL;
	if (gate_cli_open(npos, pos, &g, &o.paths) == 0)
		rc = gate_apply(&g, &o);
	gate_close(&g);
out:
	free(pos);
	strv_free(&o.paths);
	strv_free(&o.accept);
	return rc;
}
