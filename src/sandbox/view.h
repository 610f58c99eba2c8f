/* From a profile to the cell's file view (struct plan): which host paths appear, where, and how. */
#ifndef BRIG_SANDBOX_VIEW_H
#define BRIG_SANDBOX_VIEW_H

#include "sandbox/plan.h"

struct profile;
struct session;

struct view {
	struct plan plan;
	char *project;     /* the project's real path (same path inside the cell) */
	char *home;        /* $HOME, as the cell sees it */
	char *init_script; /* init.<shell> or init.sh beside the profile, or NULL */
	char *workdir;     /* where the command starts */
};

/* s may be NULL (brig check): nothing is created on disk then. */
int view_build(const struct profile *p, struct session *s, struct view *v, char **err);
/* After the whole plan is known: refuse a profile file the cell could write. */
int view_check_profile_safe(const struct profile *p, const struct view *v, char **err);
void view_free(struct view *v);

#endif
