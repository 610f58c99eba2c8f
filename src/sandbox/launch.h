/* Creating a cell and running one command in it. */
#ifndef BRIG_SANDBOX_LAUNCH_H
#define BRIG_SANDBOX_LAUNCH_H

#include "util/xalloc.h"

struct profile;
struct session;
struct view;

struct launch {
	const struct profile *p;
	struct view *view;
	struct session *session;
	struct strv argv; /* the command, resolved in the cell through its PATH */
	struct strv env;
};

/* Runs the command in a new cell and returns the exit status brig should exit with: the
 * command's, 128+N when a signal ended it, 125 when brig failed, 126/127 when the command could
 * not run / was not found. */
int launch_run(struct launch *l);
/* The unconfined path: pwrap's [sandbox] enabled = false. */
int launch_unsandboxed(struct launch *l);

#endif
