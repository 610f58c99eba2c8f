/* The order of the layers. Everything that allocates or opens files (the seccomp program, the
 * Landlock ruleset) is prepared first; then, with no further allocation needed: rlimits,
 * Landlock, privileges, and the seccomp filter last, so that none of the earlier steps needs a
 * call the filter denies. Any failure refuses the start: never a silently weaker cell. */
#include "sandbox/harden.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "profile/profile.h"
#include "sandbox/landlock.h"
#include "sandbox/limits.h"
#include "sandbox/plan.h"
#include "sandbox/privs.h"
#include "sandbox/protect.h"
#include "sandbox/seccomp.h"
#include "session/session.h"
#include "util/log.h"
#include "util/xalloc.h"

static void warn_relaxed(const struct harden_policy *hp)
{
	for (size_t i = 0; i < sc_rule_count() && i < HARDEN_MAX_RULES; i++)
		if (hp->seccomp_relaxed & (1ull << i))
			log_warn("seccomp rule '%s' is lifted by %s: the cell allows %s", sc_rule_name(i),
				 hp->seccomp_relaxed_where[i] ? hp->seccomp_relaxed_where[i]
							      : "the profile",
				 sc_rule_stops(i));
}

/* Returns the ruleset fd, -2 when Landlock is off or missing (and allowed to be), -1 on error. */
static int prepare_landlock(const struct harden_policy *hp, const struct plan *plan, char **err)
{
	if (!hp->landlock)
		return -2;
	int abi = landlock_abi_version();
	if (abi < hp->landlock_min_abi || (abi == 0 && hp->landlock_required)) {
		*err = xasprintf("the profile requires Landlock ABI %d or newer, this kernel has %d "
				 "(lower [landlock] min_abi, or run on a newer kernel)",
				 hp->landlock_min_abi, abi);
		return -1;
	}
	if (abi == 0) {
		log_warn("Landlock is not available in this kernel: the file view is enforced by "
			 "mounts alone (set [landlock] min_abi = 1 to refuse instead)");
		return -2;
	}
	struct landlock_opts o = {.scope = hp->landlock_scope};
	return landlock_prepare(plan, &o, abi, err);
}

int harden_apply(const struct profile *p, const struct plan *plan, char **err)
{
	const struct harden_policy *hp = &p->harden;
	struct sc_prog prog = {0};
	if (hp->seccomp) {
		warn_relaxed(hp);
		if (sc_build(hp->seccomp_relaxed, &prog, err) < 0)
			return -1;
	}
	int rfd = prepare_landlock(hp, plan, err);
	if (rfd == -1)
		goto fail;
	if (limits_apply_rlimits(&hp->limits, err) < 0)
		goto fail;
	/* Landlock needs no_new_privs unless the process holds CAP_SYS_ADMIN; set it first so
	 * that the order of the launcher's earlier steps does not matter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*err = xasprintf("cannot set no_new_privs: %s", strerror(errno));
		goto fail;
	}
	if (rfd >= 0) {
		int fd = rfd;
		rfd = -2;
		if (landlock_enforce(fd, err) < 0)
			goto fail;
	}
	if (privs_drop(err) < 0)
		goto fail;
	if (hp->seccomp && sc_load(&prog, err) < 0)
		goto fail;
	sc_prog_free(&prog);
	return 0;
fail:
	if (rfd >= 0)
		close(rfd);
	sc_prog_free(&prog);
	return -1;
}

int harden_limits_attach(const struct profile *p, struct session *s, pid_t cell_pid, char **err)
{
	char name[32];
	snprintf(name, sizeof name, "%d", (int)cell_pid);
	return limits_cgroup_attach(&p->harden.limits, s && s->id ? s->id : name, cell_pid, err) < 0
		       ? -1
		       : 0;
}

void harden_plan_protect(const struct profile *p, const char *project_real, struct plan *plan)
{
	const char *h = getenv("HOME");
	char *home = h && *h == '/' ? realpath(h, NULL) : NULL;
	protect_plan(&p->harden, project_real, home, plan);
	free(home);
}
