/* brig: run a command in a least-privilege cell. This file is only the subcommand table. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/log.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{"run", cmd_run, "run a command in a cell: brig run [NAME | --profile FILE] [--] CMD..."},
	{"shell", cmd_shell, "open the interactive shell of a profile: brig shell NAME"},
	{"check", cmd_check, "print the effective policy of a profile (--json)"},
	{"init", cmd_init, "write a human and an agent profile for a project directory"},
	{"doctor", cmd_doctor, "check the kernel features brig uses and how to enable them"},
	{"scan", cmd_scan, "scan files or stdin for secrets"},
	{"log", cmd_log, "show a session's audit events"},
	{"ps", cmd_ps, "list sessions"},
	{"review", cmd_review, "list a gated session's changes and their risks"},
	{"diff", cmd_diff, "show a gated session's changes as a unified diff"},
	{"apply", cmd_apply, "apply a gated session's reviewed changes to the project"},
	{"discard", cmd_discard, "throw away a gated session's changes"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: brig COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\n'brig COMMAND --help' describes one command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("brig %s\n", BRIG_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
		if (!strcmp(name, subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	log_err("unknown command '%s' (see 'brig --help')", name);
	return 2;
}
