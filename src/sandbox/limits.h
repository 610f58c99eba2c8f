/* [limits]: memory, pids, cpu, open files, file size. A cgroup v2 child per session when the user
 * has a delegated subtree (systemd's user@UID.service, or root); rlimits always, as the fallback
 * and as a per-process second line. */
#ifndef BRIG_SANDBOX_LIMITS_H
#define BRIG_SANDBOX_LIMITS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct harden_limits;

/* Where brig could create per-session cgroups, and why not when it cannot. */
struct limits_probe {
	bool delegated;
	char *mount;  /* the cgroup2 mount point, or NULL */
	char *parent; /* the delegated cgroup under which sessions go, when delegated */
	char *why;    /* when not delegated: the reason, one line */
};

/* Finds the delegated subtree. Never fails: the answer is in out. */
void limits_probe(struct limits_probe *out);
void limits_probe_free(struct limits_probe *p);
/* {delegated, parent|why, help}, for `brig check` and `brig doctor`. */
json_t *limits_probe_json(void);
/* How to get delegation, several lines, for `brig doctor`. */
const char *limits_delegation_help(void);

/* Supervisor: creates PARENT/brig-NAME with the limits and moves pid into it. Returns 1 when the
 * cell is in its own cgroup, 0 when there is no delegation (a warning names the weaker limits),
 * -1 with *err set when delegation exists but the cgroup could not be set up. */
int limits_cgroup_attach(const struct harden_limits *l, const char *name, pid_t pid, char **err);

/* The command's process: lowers the rlimits (never raises them). */
int limits_apply_rlimits(const struct harden_limits *l, char **err);

#endif
