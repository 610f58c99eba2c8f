/* brig review [SESSION] [--json] [--all] [--rules]: a gated session's changes and their risks. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "gate/cli.h"
#include "gate/review.h"
#include "gate/rules.h"
#include "util/log.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: brig review [SESSION] [--json] [--all] [--rules]\n"
		     "  SESSION  a session id or its prefix (default: the latest gated session of the\n"
		     "           project around the current directory; brig ps lists them)\n"
		     "  --json   machine-readable output\n"
		     "  --all    show low-severity findings too\n"
		     "  --rules  list the finding rules and exit\n");
}

static void print_rules(void)
{
	size_t n = 0;
	const struct rule_doc *r = rules_list(&n);
	for (size_t i = 0; i < n; i++)
		printf("%-18s %-6s %s\n%18s        %s\n", r[i].id, finding_sev_name(r[i].sev),
		       r[i].reason, "", r[i].what);
}

int cmd_review(int argc, char **argv)
{
	bool json = false, all = false;
	char *pos[2];
	int npos = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--all"))
			all = true;
		else if (!strcmp(argv[i], "--rules")) {
			print_rules();
			return 0;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || npos == 1) {
			usage(stderr);
			return 2;
		} else
			pos[npos++] = argv[i];
	}
	struct gate_session g;
	char *err = NULL;
	int rc = BRIG_EXIT_FAIL;
	if (gate_cli_open(npos, pos, &g, NULL) == 0) {
		if (gate_review(&g, &err) < 0) {
			log_err("%s", err);
		} else {
			if (json) {
				json_t *j = gate_review_json(&g);
				json_dumpf(j, stdout, JSON_INDENT(2));
				putchar('\n');
				json_decref(j);
			} else {
				gate_print_review(&g, all);
			}
			rc = 0;
		}
	}
	free(err);
	gate_close(&g);
	return rc;
}
