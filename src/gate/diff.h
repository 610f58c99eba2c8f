/* brig diff. */
#ifndef BRIG_GATE_DIFF_H
#define BRIG_GATE_DIFF_H

#include <stdbool.h>

#include "gate/review.h"

/* Unified diff of the reviewed change set (only paths under `paths` when given). */
int gate_diff(const struct gate_session *g, const struct strv *paths, bool stat, bool color);

#endif
