/* The project of a gated session as an overlay: lower = the real project (never written), upper =
 * the session's own directory, so the change set is exactly what the upper dir holds. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "gate/gate.h"
#include "gate/gate_paths.h"
#include "profile/profile.h"
#include "sandbox/plan.h"
#include "session/session.h"
#include "util/json_strv.h"
#include "util/xalloc.h"

/* Timestamps are taken from a coarse clock that may lag the real-time clock by a tick; anything
 * the host changes after the session starts must have a ctime at or after t0, so t0 is set a
 * little early. A change made in the last 20 ms before the start counts as a conflict: a false
 * alarm in the safe direction. */
#define T0_SLACK_NS 20000000LL

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int make_dir(const char *path, char **err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		*err = xasprintf("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int open_layer(const char *path, char **err)
{
	/* O_CLOEXEC: the agent must never hold it: from the upper dir, ".." leads to every other
	 * session's changes. No symlinks: the session directory is brig's own. */
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	if (fd < 0)
		*err = xasprintf("cannot open the session's overlay directory %s inside the cell: %s",
				 path, strerror(errno));
	return fd;
}

int gate_open_layers(struct plan_entry *e, char **err)
{
	e->upper_fd = open_layer(e->upper, err);
	e->work_fd = e->upper_fd < 0 ? -1 : open_layer(e->work, err);
	return e->work_fd < 0 ? -1 : 0;
}

int gate_plan_project(const struct profile *p, struct session *s, const char *project_real,
		      struct plan *plan, char **err)
{
	char *upper = xasprintf("%s/" GATE_UPPER, s->dir);
	char *work = xasprintf("%s/" GATE_WORK, s->dir);
	if (make_dir(upper, err) < 0 || make_dir(work, err) < 0) {
		free(upper);
		free(work);
		return -1;
	}
	/* The merged root takes the upper root's mode: keep the project's, so the agent sees its
	 * project as it is (the session directory around it stays private). */
	struct stat st;
	if (stat(project_real, &st) == 0)
		chmod(upper, st.st_mode & 07777);
	char *why = xasprintf("[review] mode = \"gated\" (%s)", p->source ? p->source : "profile");
	struct plan_entry *e = plan_add(plan, PLAN_OVERLAY, project_real, project_real, why);
	free(why);
	e->upper = upper;
	e->work = work;
	e->upper_fd = e->work_fd = -1; /* opened in the cell: gate_open_layers() */
	/* What the session saw of the project is recorded lazily: t0 here, then the lower's state of
	 * each changed path when the command exits (see docs/REVIEW.md, "Conflicts"). */
	json_t *expect = json_from_strv(&p->review.expect.sv);
	json_t *f = json_pack("{s:b, s:s, s:I, s:s, s:o}", "gated", 1, "project_real", project_real,
			      "t0_ns", (json_int_t)(now_ns() - T0_SLACK_NS), "upper", GATE_UPPER,
			      "expect", expect);
	if (session_meta_set(s->dir, f) < 0) {
		*err = xasprintf("cannot record the session in %s/meta.json: %s", s->dir,
				 strerror(errno));
		return -1;
	}
	return 0;
}

static int overlay_error(int fs, const char *what, const char *target, char **err)
{
	int e = errno;
	char msg[256] = "";
	/* The filesystem context keeps the kernel's own reason (e.g. "overlay: failed to ..."). */
	ssize_t n = fs >= 0 ? read(fs, msg, sizeof msg - 1) : -1;
	msg[n > 0 ? n : 0] = '\0';
	if (n > 0 && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	*err = xasprintf("cannot mount the gated project overlay at %s: %s: %s%s%s (overlayfs in a "
			 "user namespace needs Linux 5.11 or later; 'brig doctor' checks, or use "
			 "--direct)",
			 target, what, strerror(e), n > 0 ? "; kernel says: " : "", n > 0 ? msg : "");
	return -1;
}

/* Layers by fd (Linux 6.13+) keep working when the paths are covered; older kernels, which do
 * not know "lowerdir+", take the same fds through /proc/self/fd. *what names the failing step. */
static int set_layers(int fs, const struct plan_entry *e, const char **what)
{
	*what = "lowerdir";
	if (fsconfig(fs, FSCONFIG_SET_FD, "lowerdir+", NULL, e->src_fd) == 0) {
		*what = "upperdir";
		if (fsconfig(fs, FSCONFIG_SET_FD, "upperdir", NULL, e->upper_fd) < 0)
			return -1;
		*what = "workdir";
		return fsconfig(fs, FSCONFIG_SET_FD, "workdir", NULL, e->work_fd);
	}
	if (errno != EINVAL)
		return -1;
	char lower[64], up[64], wk[64];
	snprintf(lower, sizeof lower, "/proc/self/fd/%d", e->src_fd);
	snprintf(up, sizeof up, "/proc/self/fd/%d", e->upper_fd);
	snprintf(wk, sizeof wk, "/proc/self/fd/%d", e->work_fd);
	if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0)
		return -1;
	*what = "upperdir";
	if (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", up, 0) < 0)
		return -1;
	*what = "workdir";
	return fsconfig(fs, FSCONFIG_SET_STRING, "workdir", wk, 0);
}

int gate_mount_overlay(const struct plan_entry *e, const char *target, char **err)
{
	if (e->src_fd < 0 || e->upper_fd < 0 || e->work_fd < 0) {
		*err = xasprintf("overlay step for %s has no layer fds (launcher bug)", target);
		return -1;
	}
	int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return overlay_error(-1, "fsopen", target, err);
	/* userxattr: overlay metadata lives in user.overlay.* (trusted.* needs real root); whiteouts
	 * stay 0/0 character devices. The review reads both forms. */
	if (fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0) {
		overlay_error(fs, "userxattr", target, err);
		close(fs);
		return -1;
	}
	const char *what = "layers";
	if (set_layers(fs, e, &what) < 0) {
		overlay_error(fs, what, target, err);
		close(fs);
		return -1;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		overlay_error(fs, "create", target, err);
		close(fs);
		return -1;
	}
	/* nosuid, nodev: a setuid file or device node the agent makes is inert in the cell (and
	 * flagged by the review before it could reach the host). */
	int mfd = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mfd < 0) {
		overlay_error(fs, "fsmount", target, err);
		close(fs);
		return -1;
	}
	close(fs);
	if (move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		overlay_error(-1, "move_mount", target, err);
		close(mfd);
		return -1;
	}
	close(mfd);
	return 0;
}
