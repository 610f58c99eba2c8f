/* The hardening layers applied to the command's process just before exec, after the file view is
 * final: resource limits, Landlock, capabilities and no_new_privs, and seccomp last. */
#ifndef BRIG_SANDBOX_HARDEN_H
#define BRIG_SANDBOX_HARDEN_H

#include <sys/types.h>

struct profile;
struct plan;
struct session;

/* In the process that will exec the command. Returns 0, or -1 with *err set: the launcher then
 * refuses to run the command (exit 125) rather than run it with a weaker layer. */
int harden_apply(const struct profile *p, const struct plan *plan, char **err);
/* Supervisor, after clone: per-session cgroup for the cell (when delegated) */
int harden_limits_attach(const struct profile *p, struct session *s, pid_t cell_pid, char **err);
/* Adds protected paths (git hooks, shell rc files, agent configs...) as read-only steps. */
void harden_plan_protect(const struct profile *p, const char *project_real, struct plan *plan);

#endif
