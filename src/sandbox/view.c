#include "sandbox/view.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/gate.h"
#include "profile/profile.h"
#include "sandbox/harden.h"
#include "sandbox/resolve.h"
#include "session/session.h"

/* The system as read-only binds. Directories only; hosts with merged /usr have /bin etc. as
 * symlinks, which the view recreates as symlinks. */
static const char *const system_dirs[] = {"/usr", "/bin",  "/sbin", "/lib", "/lib32", "/lib64",
					  "/libx32", "/etc", "/opt",  "/var", "/srv", NULL};

/* Files only root should read; a cell started by root runs as uid 0 without capabilities and
 * would still be their owner. */
static const char *const secret_system_files[] = {"/etc/shadow",  "/etc/shadow-", "/etc/gshadow",
						  "/etc/gshadow-", "/etc/sudoers", NULL};

struct builder {
	const struct profile *p;
	struct view *v;
	struct resolver res;
	char **err;
};

static char *where(const struct profile *p, const char *table_key, const struct pos_strv *l,
		   size_t i)
{
	if (l && l->pos)
		return xasprintf("%s:%d:%d %s", p->source, l->pos[i].line, l->pos[i].col,
				 table_key);
	return xasprintf("%s %s", p->source, table_key);
}

static void add_system(struct builder *b)
{
	for (const char *const *d = system_dirs; *d; d++) {
		struct stat st;
		if (lstat(*d, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(*d, target, sizeof target - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			plan_add(&b->v->plan, PLAN_SYMLINK, target, *d, "system layout");
		} else if (S_ISDIR(st.st_mode)) {
			plan_add(&b->v->plan, PLAN_BIND_RO, *d, *d, "system directory, read-only");
		}
	}
	plan_add(&b->v->plan, PLAN_BIND_RO, "/sys", "/sys", "kernel information, read-only");
}

static void add_secret_masks(struct builder *b)
{
	for (const char *const *f = secret_system_files; *f; f++) {
		struct stat st;
		if (lstat(*f, &st) == 0 && S_ISREG(st.st_mode))
			plan_add(&b->v->plan, PLAN_HIDE_FILE, NULL, *f, "root-only system secret");
	}
	if (access("/etc/sudoers.d", F_OK) == 0)
		plan_add(&b->v->plan, PLAN_TMPFS_RO, NULL, "/etc/sudoers.d", "root-only system secret");
	glob_t g;
	if (glob("/etc/ssh/ssh_host_*_key", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			plan_add(&b->v->plan, PLAN_HIDE_FILE, NULL, g.gl_pathv[i],
				 "host private key");
		globfree(&g);
	}
}

/* pwrap posture binds the whole root read-only, as pwrap does; brig still takes away what no
 * cell should see: other users' homes, /root, container engine sockets. */
static void add_pwrap_root(struct builder *b)
{
	plan_add(&b->v->plan, PLAN_BIND_RO, "/", "/", "pwrap: whole system read-only");
	DIR *d = opendir("/home");
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			char *path = xasprintf("/home/%s", de->d_name);
			if (!path_is_under(b->v->home, path) && !path_is_under(b->v->project, path))
				plan_add(&b->v->plan, PLAN_TMPFS_RO, NULL, path, "another user's home");
			free(path);
		}
		closedir(d);
	}
	if (!path_is_under(b->v->home, "/root") && access("/root", F_OK) == 0)
		plan_add(&b->v->plan, PLAN_TMPFS_RO, NULL, "/root", "root's home");
}

static void add_runtime(struct builder *b)
{
	struct plan *pl = &b->v->plan;
	plan_add(pl, b->p->unshare_pid ? PLAN_PROC : PLAN_BIND_RO, b->p->unshare_pid ? NULL : "/proc",
		 "/proc", b->p->unshare_pid ? "fresh procfs of the cell's pid namespace"
					     : "host /proc (unshare_pid = false)");
	plan_add(pl, PLAN_DEV, NULL, "/dev", "minimal /dev");
	/* Files in a tmpfs are memory: without a size, filling /tmp takes the host's RAM (up to
	 * the kernel's default of half of it) rather than the cell's share. */
	int64_t mem = b->p->harden.limits.enabled ? b->p->harden.limits.memory : 0;
	char *size = mem > 0 ? xasprintf("%lld", (long long)mem) : xstrdup("25%");
	plan_add(pl, PLAN_TMPFS, NULL, "/tmp", "private /tmp")->data = xstrdup(size);
	if (b->p->posture != POSTURE_PWRAP)
		plan_add(pl, PLAN_TMPFS, NULL, "/var/tmp", "private /var/tmp")->data = xstrdup(size);
	free(size);
	/* A fresh /run drops docker.sock, podman, containerd, D-Bus and every other daemon socket. */
	plan_add(pl, PLAN_TMPFS, NULL, "/run", "fresh /run: no daemon sockets");
	if (access("/run/systemd/resolve", F_OK) == 0 && b->p->net.mode == NET_HOST)
		plan_add(pl, PLAN_BIND_RO, "/run/systemd/resolve", "/run/systemd/resolve",
			 "host DNS resolver configuration")
			->optional = true;
	char *rt = xasprintf("/run/user/%u", (unsigned)getuid());
	plan_add(pl, PLAN_TMPFS, NULL, rt, "private XDG runtime directory")->mode = 0700;
	free(rt);
}

static int add_home(struct builder *b)
{
	const char *home = b->v->home;
	if (!strcmp(home, "/"))
		return 0;
	if (b->p->hide_home) {
		plan_add(&b->v->plan, PLAN_TMPFS, NULL, home, "home hidden (empty, not kept)")->mode =
			0700;
		return 0;
	}
	/* pwrap re-binds the home after its private /tmp, so a home under /tmp stays visible. */
	char *real = NULL;
	if (resolve_path(&b->res, home, &real) == RESOLVE_OK)
		plan_add(&b->v->plan, PLAN_BIND_RO, real, real, "home, read-only");
	free(real);
	return 0;
}

/* One profile path: resolved, checked for existence as pwrap does. Returns 1 ok, 0 skip, -1. */
static int resolve_entry(struct builder *b, const char *path, const char *what, int must_exist,
			 char **real)
{
	enum resolve_result r = resolve_path(&b->res, path, real);
	if (r == RESOLVE_OK)
		return 1;
	if (r == RESOLVE_MISSING) {
		free(*real);
		*real = NULL;
		if (!must_exist)
			return 0;
		*b->err = xasprintf("%s: %s does not exist (fix the path or remove this entry)", what,
				    path);
		return -1;
	}
	*b->err = xasprintf("%s: %s", what, *real);
	free(*real);
	*real = NULL;
	return -1;
}

static int add_blacklist(struct builder *b, struct strv *hidden)
{
	const struct pos_strv *l = &b->p->blacklist;
	for (size_t i = 0; i < l->sv.n; i++) {
		char *what = where(b->p, "[sandbox] blacklist", l, i);
		char *real = NULL;
		int rc = resolve_entry(b, l->sv.v[i], what, 1, &real);
		if (rc > 0) {
			struct stat st;
			if (stat(real, &st) == 0 && !S_ISDIR(st.st_mode))
				plan_add(&b->v->plan, PLAN_HIDE_FILE, NULL, real, what);
			else
				plan_add(&b->v->plan, PLAN_TMPFS, NULL, real, what);
			strv_push(hidden, real);
		}
		free(real);
		free(what);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int under_any(const char *path, const struct strv *roots)
{
	for (size_t i = 0; i < roots->n; i++)
		if (path_is_under(path, roots->v[i]))
			return 1;
	return 0;
}

static int add_whitelist(struct builder *b, const struct strv *hidden)
{
	const struct pos_strv *l = &b->p->whitelist;
	for (size_t i = 0; i < l->sv.n; i++) {
		char *what = where(b->p, "[sandbox] whitelist", l, i);
		char *real = NULL;
		int rc = resolve_entry(b, l->sv.v[i], what, 0, &real);
		if (rc > 0 && !under_any(real, hidden)) {
			*b->err = xasprintf("%s: %s is not under any hidden path, so whitelisting it "
					    "means nothing (whitelist re-exposes parts of a blacklisted "
					    "path)",
					    what, l->sv.v[i]);
			rc = -1;
		}
		if (rc > 0)
			plan_add(&b->v->plan, PLAN_BIND_RO, real, real, what);
		free(real);
		free(what);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int add_writable(struct builder *b)
{
	const struct pos_strv *l = &b->p->writable;
	for (size_t i = 0; i < l->sv.n; i++) {
		char *what = where(b->p, "[sandbox] writable", l, i);
		char *real = NULL;
		int rc = resolve_entry(b, l->sv.v[i], what, 1, &real);
		if (rc > 0) {
			plan_add(&b->v->plan, PLAN_BIND_RW, real, real, what);
			resolver_add_writable(&b->res, real);
		}
		free(real);
		free(what);
		if (rc < 0)
			return -1;
	}
	const struct pos_strv *d = &b->p->devices;
	for (size_t i = 0; i < d->sv.n; i++) {
		char *what = where(b->p, "[sandbox] devices", d, i);
		char *real = NULL;
		int rc = resolve_entry(b, d->sv.v[i], what, 1, &real);
		if (rc > 0)
			plan_add(&b->v->plan, PLAN_DEV_BIND, real, real, what);
		free(real);
		free(what);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static void add_policy_dirs(struct builder *b)
{
	/* Policy lives outside the project: no cell reads other profiles or sessions' logs and
	 * pending changes, let alone writes them. */
	char *dirs[3] = {profile_config_root("brig"), profile_config_root("pwrap"),
			 session_state_root()};
	for (int i = 0; i < 3; i++) {
		char *real = NULL;
		if (resolve_path(&b->res, dirs[i], &real) == RESOLVE_OK) {
			struct stat st;
			if (stat(real, &st) == 0 && S_ISDIR(st.st_mode) &&
			    !plan_path_hidden(&b->v->plan, real))
				plan_add(&b->v->plan, PLAN_TMPFS_RO, NULL, real,
					 i < 2 ? "profiles are policy: hidden from cells"
					       : "session state: hidden from cells");
		}
		free(real);
		free(dirs[i]);
	}
}

static void add_init_script(struct builder *b)
{
	const struct profile *p = b->p;
	if (!p->config_dir)
		return;
	const char *shell_name = strrchr(p->shell, '/');
	shell_name = shell_name ? shell_name + 1 : p->shell;
	char *cands[2] = {xasprintf("%s/init.%s", p->config_dir, shell_name),
			  xasprintf("%s/init.sh", p->config_dir)};
	for (int i = 0; i < 2; i++) {
		char *real = NULL;
		if (!b->v->init_script && resolve_path(&b->res, cands[i], &real) == RESOLVE_OK) {
			plan_add(&b->v->plan, PLAN_BIND_RO, real, real, "init script, read-only");
			b->v->init_script = real;
			real = NULL;
		}
		free(real);
		free(cands[i]);
	}
}

static int add_project(struct builder *b, struct session *s)
{
	if (b->p->review.gated && !s) {
		/* brig check: describe the overlay without creating a session for it. */
		plan_add(&b->v->plan, PLAN_OVERLAY, b->v->project, b->v->project,
			 "project as an overlay: changes wait in the session for brig apply");
	} else if (b->p->review.gated) {
		if (gate_plan_project(b->p, s, b->v->project, &b->v->plan, b->err) < 0)
			return -1;
	} else {
		plan_add(&b->v->plan, PLAN_BIND_RW, b->v->project, b->v->project,
			 "project, read-write");
	}
	/* brig check (no session) must not touch the project: protecting missing paths creates
	 * placeholders on the host. The protected list itself is part of the hardening policy. */
	if (s)
		harden_plan_protect(b->p, b->v->project, &b->v->plan);
	return 0;
}

static int resolve_project(struct builder *b)
{
	char *real = realpath(b->p->project_dir, NULL);
	if (!real) {
		*b->err = xasprintf("project directory %s: %s (fix [project] dir, or cd into the "
				    "project)",
				    b->p->project_dir, strerror(errno));
		return -1;
	}
	struct stat st;
	if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
		*b->err = xasprintf("project directory %s is not a directory", real);
		free(real);
		return -1;
	}
	/* Handing the whole home (or /) to a cell as its project would defeat every rule. */
	if (!strcmp(real, "/") || !strcmp(real, b->v->home)) {
		*b->err = xasprintf("refusing %s as the project directory: it would expose "
				    "everything; cd into a project or set [project] dir",
				    real);
		free(real);
		return -1;
	}
	b->v->project = real;
	resolver_add_writable(&b->res, real);
	return 0;
}

int view_build(const struct profile *p, struct session *s, struct view *v, char **err)
{
	memset(v, 0, sizeof *v);
	struct builder b = {.p = p, .v = v, .err = err};
	const char *h = getenv("HOME");
	char *home_real = h && h[0] == '/' ? realpath(h, NULL) : NULL;
	v->home = home_real ? home_real : xstrdup(h && h[0] == '/' ? h : "/");
	int rc = -1;
	if (resolve_project(&b) < 0)
		goto out;
	/* Writable entries first into the resolver, so nothing else follows a symlink in them. */
	for (size_t i = 0; i < p->writable.sv.n; i++) {
		char *real = realpath(p->writable.sv.v[i], NULL);
		if (real)
			resolver_add_writable(&b.res, real);
		free(real);
	}
	if (p->posture == POSTURE_PWRAP) {
		add_pwrap_root(&b);
	} else {
		add_system(&b);
	}
	add_secret_masks(&b);
	add_runtime(&b);
	if (add_home(&b) < 0)
		goto out;
	struct strv hidden = {0};
	if (p->hide_home)
		strv_push(&hidden, v->home);
	if (add_blacklist(&b, &hidden) < 0 || add_whitelist(&b, &hidden) < 0 ||
	    add_writable(&b) < 0) {
		strv_free(&hidden);
		goto out;
	}
	strv_free(&hidden);
	if (add_project(&b, s) < 0)
		goto out;
	add_policy_dirs(&b);
	add_init_script(&b);
	char *cwd = getcwd(NULL, 0);
	v->workdir = xstrdup(cwd && path_is_under(cwd, v->project) ? cwd : v->project);
	free(cwd);
	rc = 0;
out:
	resolver_free(&b.res);
	return rc;
}

int view_check_profile_safe(const struct profile *p, const struct view *v, char **err)
{
	if (!p->config_dir)
		return 0;
	char *file = xasprintf("%s/project.toml", p->config_dir);
	char *real = realpath(file, NULL);
	int rc = 0;
	const char *check[2] = {real ? real : file, p->config_dir};
	for (int i = 0; i < 2 && rc == 0; i++)
		if (plan_path_writable(&v->plan, check[i])) {
			*err = xasprintf("the cell this profile describes could write %s, so an agent "
					 "could rewrite its own policy; move the profile out of the "
					 "project and writable paths",
					 check[i]);
			rc = -1;
		}
	free(real);
	free(file);
	return rc;
}

void view_free(struct view *v)
{
	plan_free(&v->plan);
	free(v->project);
	free(v->home);
	free(v->init_script);
	free(v->workdir);
	memset(v, 0, sizeof *v);
}
