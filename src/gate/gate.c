/* Placeholder until the review gate lands: gated mode refuses instead of writing directly. */
#include "gate/gate.h"

#include "util/xalloc.h"

int gate_plan_project(const struct profile *p, struct session *s, const char *project_real,
		      struct plan *plan, char **err)
{
	(void)p, (void)s, (void)project_real, (void)plan;
	*err = xstrdup("[review] mode \"gated\" is not available in this build yet; use --direct");
	return -1;
}
int gate_mount_overlay(const struct plan_entry *e, const char *target, char **err)
{
	(void)e, (void)target;
	*err = xstrdup("overlay not available");
	return -1;
}
void gate_after_exit(const struct profile *p, struct session *s, int status) { (void)p, (void)s, (void)status; }
