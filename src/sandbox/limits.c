#include "sandbox/limits.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/harden_policy.h"
#include "util/log.h"
#include "util/fileio.h"
#include "util/xalloc.h"

static char *read_small(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

static int write_small(const char *dir, const char *file, const char *s)
{
	char *path = xasprintf("%s/%s", dir, file);
	int rc = write_string_file(path, s);
	int e = errno;
	free(path);
	errno = e;
	return rc;
}

/* The cgroup2 mount from mountinfo: /sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on
 * hybrid ones (where v2 usually has no controllers and cannot help). */
static char *cgroup2_mount(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return NULL;
	char *line = NULL, *found = NULL;
	size_t cap = 0;
	while (!found && getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		char mnt[4096];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1)
			found = xstrdup(mnt);
	}
	free(line);
	fclose(f);
	return found;
}

/* "0::/user.slice/..." from /proc/self/cgroup. */
static char *own_cgroup(void)
{
	char *s = read_small("/proc/self/cgroup");
	if (!s)
		return NULL;
	char *p = strstr(s, "0::");
	char *r = NULL;
	if (p && (p == s || p[-1] == '\n')) {
		p += 3;
		r = xstrndup(p, strcspn(p, "\n"));
	}
	free(s);
	return r;
}

static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; p && (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static bool controllers_ok(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	char *c = read_small(path);
	free(path);
	bool ok = c && has_word(c, "memory") && has_word(c, "pids");
	free(c);
	return ok;
}

static bool writable(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	bool ok = access(path, W_OK) == 0;
	free(path);
	return ok;
}

/* A cgroup that has processes cannot hand controllers to its children ("no internal
 * processes"), so only an empty one (or the root, which is exempt) can have them enabled now. */
static bool usable_parent(const char *dir, bool is_root)
{
	if (!writable(dir, "cgroup.procs") || !writable(dir, "cgroup.subtree_control") ||
	    !controllers_ok(dir, "cgroup.controllers"))
		return false;
	if (controllers_ok(dir, "cgroup.subtree_control") || is_root)
		return true;
	char *path = xasprintf("%s/cgroup.procs", dir);
	char *procs = read_small(path);
	free(path);
	bool empty = procs && !*procs;
	free(procs);
	return empty;
}

void limits_probe(struct limits_probe *out)
{
	memset(out, 0, sizeof *out);
	out->mount = cgroup2_mount();
	if (!out->mount) {
		out->why = xstrdup("no cgroup v2 file system is mounted");
		return;
	}
	if (!controllers_ok(out->mount, "cgroup.controllers")) {
		out->why = xasprintf("cgroup v2 at %s has no memory and pids controllers (a hybrid "
				     "v1/v2 host: they are held by cgroup v1)",
				     out->mount);
		return;
	}
	char *own = own_cgroup();
	if (!own) {
		out->why = xstrdup("cannot read /proc/self/cgroup");
		return;
	}
	/* Walk up from brig's own cgroup: the delegated subtree of a systemd user session is
	 * user@UID.service, above the app-*.scope the terminal runs in. The move of the cell
	 * needs write access to the common ancestor, which is the parent itself. */
	char *rel = own;
	while (!out->delegated) {
		char *slash = strrchr(rel, '/');
		bool top = !slash || slash == rel;
		if (slash)
			*slash = '\0';
		char *dir = xasprintf("%s%s", out->mount, top ? "" : rel);
		if (usable_parent(dir, top)) {
			out->delegated = true;
			out->parent = dir;
			break;
		}
		free(dir);
		if (top)
			break;
	}
	free(own);
	if (!out->delegated)
		out->why = xstrdup("no cgroup above brig's own is writable with memory and pids "
				   "enabled (no delegation)");
}

void limits_probe_free(struct limits_probe *p)
{
	free(p->mount);
	free(p->parent);
	free(p->why);
	memset(p, 0, sizeof *p);
}

const char *limits_delegation_help(void)
{
	return "cgroup v2 delegation lets brig limit the whole cell (memory, pids, cpu) instead of "
	       "each process:\n"
	       "  - on a systemd desktop, terminals already run inside user@UID.service, which "
	       "systemd delegates; run brig from there, or wrap it:\n"
	       "      systemd-run --user --scope -p Delegate=yes brig run ...\n"
	       "  - if user@.service lacks memory or pids: `sudo systemctl edit user@.service` with\n"
	       "      [Service]\n      Delegate=memory pids cpu\n"
	       "  - hybrid v1/v2 hosts (systemd.unified_cgroup_hierarchy=0) cannot delegate v2 "
	       "controllers: boot with systemd.unified_cgroup_hierarchy=1.";
}

json_t *limits_probe_json(void)
{
	struct limits_probe pr;
	limits_probe(&pr);
	json_t *o = json_pack("{s:b}", "delegated", pr.delegated);
	if (pr.delegated)
		json_object_set_new(o, "parent", json_string(pr.parent));
	else
		json_object_set_new(o, "why", json_string(pr.why));
	json_object_set_new(o, "fallback",
			    json_string(pr.delegated ? "rlimits also apply per process"
						     : "rlimits per process: memory = RLIMIT_DATA, "
						       "pids = RLIMIT_NPROC, no cpu rate limit"));
	limits_probe_free(&pr);
	return o;
}

static struct strv session_cgroups;
static pid_t session_owner;

/* The cgroups go once the cell is gone: rmdir only succeeds when no process is left in them. */
static void remove_cgroups(void)
{
	if (session_owner != getpid())
		return;
	for (size_t c = 0; c < session_cgroups.n; c++)
		for (int i = 0; i < 50 && rmdir(session_cgroups.v[c]) < 0 && errno == EBUSY; i++)
			usleep(5000);
	strv_free(&session_cgroups);
}

/* Session cgroups whose processes were still exiting when their brig returned (a fork bomb
 * takes a while to die) stay behind empty; the next session removes them. Only old ones: a
 * brig starting right now may have made its directory and not yet moved its cell in. */
static void sweep_stale(const char *parent)
{
	DIR *d = opendir(parent);
	if (!d)
		return;
	struct dirent *de;
	time_t now = time(NULL);
	while ((de = readdir(d))) {
		struct stat st;
		if (strncmp(de->d_name, "brig-", 5) || fstatat(dirfd(d), de->d_name, &st, 0) < 0 ||
		    !S_ISDIR(st.st_mode) || now - st.st_mtime < 60)
			continue;
		unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR); /* fails, harmlessly, while in use */
	}
	closedir(d);
}

static void remember(const char *dir)
{
	if (!session_owner) {
		session_owner = getpid();
		atexit(remove_cgroups);
	}
	strv_push(&session_cgroups, dir);
}

/* "N:pids:/path" from /proc/self/cgroup: brig's own cgroup in a v1 hierarchy. */
static char *own_v1_cgroup(const char *controller)
{
	char *s = read_small("/proc/self/cgroup");
	char *r = NULL;
	for (char *line = s; line && *line && !r;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *c = strchr(line, ':');
		char *path = c ? strchr(c + 1, ':') : NULL;
		if (path && (size_t)(path - c - 1) == strlen(controller) &&
		    !strncmp(c + 1, controller, strlen(controller)))
			r = xstrdup(path + 1);
		line = nl ? nl + 1 : NULL;
	}
	free(s);
	return r;
}

/* Hosts still on cgroup v1 (hybrid) give no v2 controllers; there, root (brig run as root,
 * as in CI) can still use the v1 pids hierarchy directly: the kernel exempts real root from
 * RLIMIT_NPROC, so without it nothing would stop a fork bomb. Memory stays with RLIMIT_DATA
 * (which binds root too): a v1 memory cgroup costs milliseconds to create and remove. An
 * ordinary user has no write access to v1 and keeps the rlimit fallback. */
static int v1_child(const char *controller, const char *name, pid_t pid, const char *file,
		    int64_t value, char **dir_out)
{
	char *own = own_v1_cgroup(controller);
	if (!own)
		return 0;
	char *base = xasprintf("/sys/fs/cgroup/%s%s", controller, strcmp(own, "/") ? own : "");
	free(own);
	if (access(base, W_OK) < 0) {
		free(base);
		return 0;
	}
	sweep_stale(base);
	char *dir = xasprintf("%s/brig-%s", base, name);
	free(base);
	char v[32], p[32];
	snprintf(v, sizeof v, "%" PRId64, value);
	snprintf(p, sizeof p, "%d", (int)pid);
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || write_small(dir, file, v) < 0 ||
	    write_small(dir, "cgroup.procs", p) < 0) {
		rmdir(dir);
		free(dir);
		return -1;
	}
	*dir_out = dir;
	return 1;
}

static int attach_v1(const struct harden_limits *l, const char *name, pid_t pid, char **err)
{
	int done = 0;
	char *dir = NULL;
	if (l->pids) {
		int rc = v1_child("pids", name, pid, "pids.max", l->pids, &dir);
		if (rc < 0) {
			*err = xasprintf("cannot set up the session's v1 pids cgroup: %s", strerror(errno));
			return -1;
		}
		if (rc > 0) {
			remember(dir);
			free(dir);
			done |= 1;
		}
	}
	return done;
}

static int set_limits(const char *dir, const struct harden_limits *l)
{
	char v[64];
	if (l->memory) {
		snprintf(v, sizeof v, "%" PRId64, l->memory);
		if (write_small(dir, "memory.max", v) < 0)
			return -1;
		/* Without this, the cell's excess goes to swap and the host thrashes instead. */
		if (write_small(dir, "memory.swap.max", "0") < 0 && errno != ENOENT)
			return -1;
	}
	if (l->pids) {
		snprintf(v, sizeof v, "%" PRId64, l->pids);
		if (write_small(dir, "pids.max", v) < 0)
			return -1;
	}
	if (l->cpu_percent) {
		snprintf(v, sizeof v, "%" PRId64 " 100000", l->cpu_percent * 1000);
		/* Some delegations hand out memory and pids only: then cpu.max does not exist, and
		 * the cpu rate is the one limit that stays unenforced, said so. */
		if (write_small(dir, "cpu.max", v) < 0) {
			if (errno != ENOENT)
				return -1;
			log_warn("the delegated cgroup has no cpu controller: [limits] cpu = %" PRId64
				 " is not enforced (`brig doctor` explains delegation)",
				 l->cpu_percent);
		}
	}
	return 0;
}

static bool warned;

/* Said once per run: as a warning when the profile asked for [limits], as information (hidden
 * by -q) when the preset's defaults meet a host without delegation, which is common. */
static void warn_fallback(const struct limits_probe *pr, const struct harden_limits *l)
{
	if (warned || (!l->memory && !l->pids && !l->cpu_percent))
		return;
	warned = true;
	void (*say)(const char *, ...) = l->from_profile ? log_warn : log_info;
	say("no cgroup delegation (%s): limits fall back to per-process rlimits:%s%s%s see `brig "
	    "doctor` to enable delegation",
	    pr->why, l->memory ? " memory is per process (RLIMIT_DATA), not for the whole cell;" : "",
	    l->pids ? " pids is RLIMIT_NPROC;" : "", l->cpu_percent ? " cpu is NOT limited;" : "");
}

int limits_cgroup_attach(const struct harden_limits *l, const char *name, pid_t pid, char **err)
{
	if (!l->enabled)
		return 0;
	struct limits_probe pr;
	limits_probe(&pr);
	if (!pr.delegated) {
		int v1 = attach_v1(l, name, pid, err);
		if (v1 < 0) {
			limits_probe_free(&pr);
			return -1;
		}
		struct harden_limits rest = *l;
		if (v1)
			rest.pids = 0;
		warn_fallback(&pr, &rest);
		limits_probe_free(&pr);
		return v1 ? 1 : 0;
	}
	if (!controllers_ok(pr.parent, "cgroup.subtree_control") &&
	    write_small(pr.parent, "cgroup.subtree_control", "+memory +pids") < 0) {
		*err = xasprintf("cannot enable the memory and pids controllers in %s: %s", pr.parent,
				 strerror(errno));
		limits_probe_free(&pr);
		return -1;
	}
	/* cpu is optional: some delegations hand out memory and pids only. */
	if (l->cpu_percent)
		write_small(pr.parent, "cgroup.subtree_control", "+cpu");
	sweep_stale(pr.parent);
	char *dir = xasprintf("%s/brig-%s", pr.parent, name);
	limits_probe_free(&pr);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		*err = xasprintf("cannot create the session's cgroup %s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	char pidbuf[32];
	snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
	if (set_limits(dir, l) < 0 || write_small(dir, "cgroup.procs", pidbuf) < 0) {
		*err = xasprintf("cannot set up the session's cgroup %s: %s", dir, strerror(errno));
		rmdir(dir);
		free(dir);
		return -1;
	}
	remember(dir);
	free(dir);
	return 1;
}

/* Lowers soft and hard limits to v; a limit already lower stays as it is. */
static int lower(int res, const char *name, int64_t v, char **err)
{
	if (v <= 0)
		return 0;
	struct rlimit rl;
	if (getrlimit(res, &rl) < 0) {
		*err = xasprintf("cannot read %s: %s", name, strerror(errno));
		return -1;
	}
	rlim_t want = (rlim_t)v;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		want = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = want;
	if (setrlimit(res, &rl) < 0) {
		*err = xasprintf("cannot set %s: %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

int limits_apply_rlimits(const struct harden_limits *l, char **err)
{
	if (!l->enabled)
		return 0;
	/* RLIMIT_DATA, not RLIMIT_AS: JavaScript engines and sanitizers reserve terabytes of
	 * address space they never touch; DATA counts only private writable memory. It is per
	 * process, so a cgroup is what bounds the cell as a whole.
	 * RLIMIT_NPROC counts processes per user id; since Linux 5.14 the count is kept per user
	 * namespace, and the cell has its own, so other processes of the same user outside do not
	 * use up the cell's allowance (on older kernels they do, and the limit is shared). */
	return lower(RLIMIT_DATA, "RLIMIT_DATA", l->memory, err) < 0 ||
			       lower(RLIMIT_NPROC, "RLIMIT_NPROC", l->pids, err) < 0 ||
			       lower(RLIMIT_NOFILE, "RLIMIT_NOFILE", l->nofile, err) < 0 ||
			       lower(RLIMIT_FSIZE, "RLIMIT_FSIZE", l->fsize, err) < 0 ||
			       lower(RLIMIT_CPU, "RLIMIT_CPU", l->cpu_seconds, err) < 0
		       ? -1
		       : 0;
}
