/* Applying a reviewed session to the real project, and discarding it. */
#ifndef BRIG_GATE_APPLY_H
#define BRIG_GATE_APPLY_H

#include <stdbool.h>

#include "gate/review.h"
#include "util/xalloc.h"

struct apply_opts {
	struct strv paths;  /* relative to the project root; empty: everything */
	struct strv accept; /* RULE, PATH or DIR/ named by the person */
	bool dry_run;
	bool rollback; /* undo an interrupted apply instead of completing it */
};

/* Exit status: 0 all selected changes applied, 1 some held back (findings, conflicts),
 * BRIG_EXIT_FAIL on error. Completes an interrupted apply first. */
int gate_apply(struct gate_session *g, const struct apply_opts *o);
int gate_discard(struct gate_session *g);
/* Removes dirfd/name and everything under it, never following a symlink. 0, or -1 (errno). */
int gate_remove_tree(int dfd, const char *name);

#endif
