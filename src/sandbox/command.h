/* What the cell runs: the given command, the profile's command, or the profile's shell, with
 * the profile's init script sourced first as pwrap does. */
#ifndef BRIG_SANDBOX_COMMAND_H
#define BRIG_SANDBOX_COMMAND_H

#include "util/xalloc.h"

struct profile;

/* args may be empty. init_script may be NULL. workdir is where an interactive shell starts. */
void command_build(const struct profile *p, const char *init_script, const char *workdir,
		   char **args, size_t nargs, struct strv *out);
/* Single-quotes s for a POSIX or fish shell. */
char *shell_quote(const char *s);

#endif
