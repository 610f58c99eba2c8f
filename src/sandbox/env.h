/* The cell's environment. */
#ifndef BRIG_SANDBOX_ENV_H
#define BRIG_SANDBOX_ENV_H

#include "util/xalloc.h"

struct profile;

/* clean_env keeps only pwrap's list (PATH HOME USER SHELL TERM LANG); [env] is applied on top;
 * BRIG=1 marks the cell (a hint for tools, never a security boundary). */
void env_build(const struct profile *p, struct strv *out);
/* Sets NAME=VALUE in env, replacing an existing NAME. */
void env_set(struct strv *env, const char *name, const char *value);
const char *env_get(const struct strv *env, const char *name);

#endif
