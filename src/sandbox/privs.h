/* The command's process keeps no privilege: no capability in any set, securebits locked so that
 * none comes back (not even for uid 0 inside the cell), and no_new_privs so that setuid and
 * file-capability binaries of the host run without their privilege. */
#ifndef BRIG_SANDBOX_PRIVS_H
#define BRIG_SANDBOX_PRIVS_H

/* Returns 0, or -1 with *err set. */
int privs_drop(char **err);

#endif
