/* Gate commands never run inside a cell: an agent that could run `brig apply` would review and
 * apply its own changes. */
#ifndef BRIG_GATE_INCELL_H
#define BRIG_GATE_INCELL_H

#include <jansson.h>

/* 0 when this process runs in the user namespace that started the session (meta), else -1 with
 * the reason in *err. */
int gate_refuse_in_cell(json_t *meta, char **err);

#endif
