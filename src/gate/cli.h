/* Argument handling shared by brig review, diff, apply and discard. */
#ifndef BRIG_GATE_CLI_H
#define BRIG_GATE_CLI_H

#include <stdbool.h>

#include "gate/review.h"

/* Positional arguments: an optional session id first (it starts with the 8 digits of a date),
 * then paths. Opens the session and turns the paths into project-relative ones. Logs and
 * returns -1 on error. */
int gate_cli_open(int argc, char **argv, struct gate_session *g, struct strv *paths);

#endif
