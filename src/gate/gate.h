/* The review gate as seen by the launcher. */
#ifndef BRIG_GATE_GATE_H
#define BRIG_GATE_GATE_H

struct profile;
struct session;
struct plan;
struct plan_entry;

/* Adds the project to the plan as an overlay (lower = the real project, upper/work in the
 * session directory). Called instead of a read-write bind when the profile is gated. */
int gate_plan_project(const struct profile *p, struct session *s, const char *project_real,
		      struct plan *plan, char **err);
/* Inside the cell, before any mount (next to the src fds): opens the step's upper and work dirs
 * by path into e->upper_fd/e->work_fd. Overlayfs takes its layers only from mounts of the
 * caller's own mount namespace, so fds opened by the supervisor cannot serve. */
int gate_open_layers(struct plan_entry *e, char **err);
/* Mounts one PLAN_OVERLAY step at target (inside the cell, before pivot_root; e->src_fd is an
 * O_PATH fd of the lower directory opened in the cell's mount namespace). */
int gate_mount_overlay(const struct plan_entry *e, const char *target, char **err);
/* After the command exits: prints the one-line summary (changes, findings, next commands). */
void gate_after_exit(const struct profile *p, struct session *s, int status);

#endif
