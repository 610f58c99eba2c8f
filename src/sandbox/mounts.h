/* Carrying out a plan inside the cell's new mount namespace, then pivot_root into it. */
#ifndef BRIG_SANDBOX_MOUNTS_H
#define BRIG_SANDBOX_MOUNTS_H

#include "sandbox/plan.h"

/* Runs in the cell's pid 1 with capabilities in its user namespace. On failure returns -1 with
 * *err naming the step (its plan entry's "why") and the reason. */
int mounts_build(struct plan *plan, char **err);

#endif
