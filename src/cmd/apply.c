/* Placeholder until this subcommand is built; refuses rather than pretending. */
#include "cmd/cmd.h"
#include "util/log.h"

int cmd_apply(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	log_err("'brig apply' is not available in this build yet");
	return BRIG_EXIT_FAIL;
}
