#include "sandbox/protect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/harden_policy.h"
#include "sandbox/plan.h"
#include "util/log.h"
#include "util/xalloc.h"

static const struct protect_item defaults[] = {
	{".git/hooks", PROTECT_TREE, true, "git runs hooks on commit, checkout, merge: host code"},
	{".git/config", PROTECT_TREE, false,
	 "core.hooksPath, core.fsmonitor, core.sshCommand, aliases: host code on the next git command"},
	{".git/info", PROTECT_TREE, true,
	 "info/attributes filter drivers run code; info/exclude hides files from review"},
	{".gitmodules", PROTECT_TREE, false, "submodule URLs and update commands"},
	/* Not a placeholder when missing: .husky only runs when core.hooksPath (in the protected
	 * .git/config) points at it, which an existing husky set-up already did. */
	{".husky", PROTECT_TREE, false, "git hooks of projects that point core.hooksPath here"},
	{".envrc", PROTECT_TREE, false, "direnv runs it when the user enters the directory"},
	{".vscode", PROTECT_TREE, false, "tasks and settings that run code in the editor"},
	/* Editor and agent directories are reported rather than created when missing: each
	 * placeholder costs a directory on the host and a mount at every start, and these tools
	 * ask before running what a new directory holds (workspace trust, MCP server approval).
	 * .claude is the exception: its settings carry hooks that run without a prompt. */
	{".idea", PROTECT_TREE, false, "run configurations and start-up tasks of JetBrains IDEs"},
	{".claude", PROTECT_TREE, true, "Claude Code settings: hooks and permissions"},
	{".mcp.json", PROTECT_TREE, false, "MCP servers: commands an agent host launches"},
	{".codex", PROTECT_TREE, false, "Codex configuration"},
	{".cursor", PROTECT_TREE, false, "Cursor rules and MCP servers"},
	{".gemini", PROTECT_TREE, false, "Gemini CLI settings and MCP servers"},
	{".bashrc", PROTECT_HOME, false, "shell start-up file: runs in every new shell"},
	{".bash_profile", PROTECT_HOME, false, "shell start-up file"},
	{".bash_login", PROTECT_HOME, false, "shell start-up file"},
	{".bash_logout", PROTECT_HOME, false, "shell exit file"},
	{".profile", PROTECT_HOME, false, "login shell start-up file"},
	{".zshrc", PROTECT_HOME, false, "shell start-up file"},
	{".zshenv", PROTECT_HOME, false, "shell start-up file (every zsh, even scripts)"},
	{".zprofile", PROTECT_HOME, false, "shell start-up file"},
	{".zlogin", PROTECT_HOME, false, "shell start-up file"},
	{".config/fish", PROTECT_HOME, true, "fish start-up files and functions"},
	{".gitconfig", PROTECT_HOME, false, "global git config: hooksPath, fsmonitor, aliases"},
	{".config/git", PROTECT_HOME, true, "global git config and attributes"},
	{".ssh", PROTECT_HOME, true, "authorized_keys, ssh config (ProxyCommand), keys"},
	{".config/systemd", PROTECT_HOME, true, "user services start code at login"},
	{".config/autostart", PROTECT_HOME, true, "desktop autostart entries"},
	{".config/brig", PROTECT_HOME, true, "brig's own profiles: a cell must not write its policy"},
	{".config/pwrap", PROTECT_HOME, true, "pwrap's profiles, read by brig"},
	{NULL, PROTECT_TREE, false, NULL},
};

const struct protect_item *protect_defaults(void) { return defaults; }

/* Paths given in [protect]: relative to each writable tree, or "~/..." for home. No "..": a
 * protected path must stay inside the tree it protects. A trailing "/" marks a directory. */
static int check_path(struct schema_ctx *c, const char *p, struct toml_pos pos)
{
	const char *rel = !strncmp(p, "~/", 2) ? p + 2 : p;
	if (!*rel || *rel == '/')
		return schema_fail(c, pos,
				   "[protect] \"%s\" must be relative to the project (\".git/hooks\") "
				   "or to home (\"~/.bashrc\")",
				   p);
	for (const char *s = rel; *s;) {
		size_t n = strcspn(s, "/");
		if ((n == 2 && !strncmp(s, "..", 2)) || (n == 1 && *s == '.'))
			return schema_fail(c, pos, "[protect] \"%s\" may not contain '.' or '..'", p);
		s += n;
		while (*s == '/')
			s++;
	}
	return 0;
}

static bool is_default(const char *p)
{
	const char *rel = !strncmp(p, "~/", 2) ? p + 2 : p;
	for (const struct protect_item *d = defaults; d->path; d++)
		if (!strcmp(d->path, rel))
			return true;
	return false;
}

int protect_check_policy(struct schema_ctx *c, const struct harden_policy *hp)
{
	for (size_t i = 0; i < hp->protect_extra.sv.n; i++)
		if (check_path(c, hp->protect_extra.sv.v[i], hp->protect_extra.pos[i]) < 0)
			return -1;
	for (size_t i = 0; i < hp->protect_lift.sv.n; i++)
		if (!is_default(hp->protect_lift.sv.v[i]))
			return schema_fail(c, hp->protect_lift.pos[i],
					   "[protect] lift \"%s\" is not a protected path (see `brig "
					   "check` for the list)",
					   hp->protect_lift.sv.v[i]);
	return 0;
}

static bool lifted(const struct harden_policy *hp, const char *path)
{
	for (size_t i = 0; i < hp->protect_lift.sv.n; i++) {
		const char *l = hp->protect_lift.sv.v[i];
		if (!strcmp(!strncmp(l, "~/", 2) ? l + 2 : l, path))
			return true;
	}
	return false;
}

json_t *protect_list_json(const struct harden_policy *hp)
{
	json_t *list = json_array();
	for (const struct protect_item *d = defaults; d->path; d++)
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:s, s:s, s:b}", "path", d->path, "scope",
					d->scope == PROTECT_HOME ? "home" : "each writable tree",
					"if_missing",
					d->dir ? "created empty, bound read-only" : "reported if created",
					"why", d->why,
					"lifted", lifted(hp, d->path)));
	for (size_t i = 0; i < hp->protect_extra.sv.n; i++) {
		const char *p = hp->protect_extra.sv.v[i];
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:b}", "path", p, "scope",
						      !strncmp(p, "~/", 2) ? "home" : "each writable tree",
						      "if_missing", "reported if created", "why",
						      "[protect] paths",
						      "lifted", false));
	}
	json_t *git = json_pack("{s:s, s:s}", "path", ".git (a file: worktree, submodule)", "why",
				"the .git file itself, and hooks, config, info of the git directory "
				"it points to when that is writable too");
	return json_pack("{s:b, s:o, s:o, s:s, s:s}", "enabled", hp->protect, "paths", list, "git",
			 git, "nested_repositories",
			 "repositories inside the project (depth <= 4) get the same .git protection",
			 "missing",
			 "see if_missing: a read-only bind needs something on the host to bind "
			 "onto; empty directories are inert and removed again, empty files are "
			 "not (docs/SECURITY.md)");
}

/* ---- building the steps ---- */

struct tree {
	const char *src; /* host path */
	const char *dst; /* path in the cell */
	bool host_backed; /* writes reach the host (bind), or the session only (overlay) */
	bool placeholders; /* may create missing directories (project and home only) */
};

static struct strv created_dirs, watched;
static pid_t owner;
static struct protect_stats stats;

struct protect_stats protect_last_stats(void) { return stats; }

void protect_finish(void)
{
	if (owner != getpid())
		return; /* a child of the supervisor exiting: the cell is not over */
	/* In reverse: a placeholder inside another (.git/hooks inside a new .git) goes first. */
	for (size_t i = created_dirs.n; i-- > 0;)
		rmdir(created_dirs.v[i]); /* only succeeds while empty: nothing of the user is lost */
	for (size_t i = 0; i < watched.n; i++) {
		struct stat st;
		if (lstat(watched.v[i], &st) == 0)
			log_warn("%s appeared during the session (the command may have created it); it "
				 "is a protected path: read it before trusting it, it may run code in "
				 "your shell, editor, git or agent",
				 watched.v[i]);
	}
	strv_free(&created_dirs);
	strv_free(&watched);
}

static void bind_ro(struct plan *plan, const char *host, const char *cell, const char *why)
{
	char *real = realpath(host, NULL);
	if (!real)
		return;
	char *w = xasprintf("protected path: %s", why);
	plan_add(plan, PLAN_BIND_RO, real, cell, w);
	free(w);
	free(real);
	stats.bound++;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* One protected path, host and cell side. */
static void protect_one(struct plan *plan, const struct tree *t, const char *host, const char *cell,
			bool dir, const char *why)
{
	struct stat st;
	if (!plan_path_writable(plan, cell) && t->host_backed)
		return; /* already read-only in the view (covered by an earlier protected step) */
	if (lstat(host, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			/* A symlink's target is what tools read; protect it when it lies inside the
			 * tree, so the link cannot be used to write it. */
			char *real = realpath(host, NULL);
			size_t n = strlen(t->src);
			if (real && !strncmp(real, t->src, n) && (real[n] == '/' || !real[n])) {
				char *c = xasprintf("%s%s", t->dst, real + n);
				bind_ro(plan, real, c, why);
				free(c);
			}
			free(real);
			return;
		}
		bind_ro(plan, host, cell, why);
		return;
	}
	if (errno != ENOENT || !t->host_backed)
		return; /* gated sessions: whatever appears is in the review */
	char *parent = xstrdup(host);
	*strrchr(parent, '/') = '\0';
	bool parent_ok = is_dir(parent);
	free(parent);
	if (!parent_ok)
		return;
	if (dir && t->placeholders) {
		/* A read-only bind needs something to bind onto. An empty directory is inert to git
		 * (not tracked), editors and agents; it is removed again when the session ends. */
		if (mkdir(host, 0700) == 0) {
			strv_push(&created_dirs, host);
			stats.created++;
			bind_ro(plan, host, cell, why);
		}
		return;
	}
	if (!dir) {
		strv_push(&watched, host);
		stats.watched++;
	}
}

static void protect_rel(struct plan *plan, const struct tree *t, const char *rel, bool dir,
			const char *why)
{
	char *host = xasprintf("%s/%s", t->src, rel);
	char *cell = xasprintf("%s/%s", t->dst, rel);
	protect_one(plan, t, host, cell, dir, why);
	free(host);
	free(cell);
}

/* Maps a host path inside the tree to its place in the cell; NULL when outside. */
static char *to_cell(const struct tree *t, const char *host)
{
	size_t n = strlen(t->src);
	if (strncmp(host, t->src, n) || (host[n] && host[n] != '/'))
		return NULL;
	return xasprintf("%s%s", t->dst, host + n);
}

static void protect_gitdir(struct plan *plan, const struct tree *t, const char *gitdir)
{
	static const struct {
		const char *name;
		bool dir;
	} parts[] = {{"hooks", true}, {"config", false}, {"config.worktree", false}, {"info", true}};
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
		char *host = xasprintf("%s/%s", gitdir, parts[i].name);
		char *cell = to_cell(t, host);
		struct stat st;
		/* config.worktree is optional in git: only protect it when present. */
		if (cell && (strcmp(parts[i].name, "config.worktree") || lstat(host, &st) == 0))
			protect_one(plan, t, host, cell, parts[i].dir,
				    "git directory of a worktree or submodule");
		free(host);
		free(cell);
	}
}

/* A .git that is a file ("gitdir: PATH"): a worktree or a submodule. The file itself decides
 * which hooks and config git uses, so it is protected; so is the directory it names, and that
 * directory's common dir (the main repository of a worktree), when they are in the tree. */
static void protect_git_file(struct plan *plan, const struct tree *t, const char *dir,
			     const char *gitfile)
{
	char *cell = to_cell(t, gitfile);
	if (cell)
		protect_one(plan, t, gitfile, cell, false, ".git file: which git directory is used");
	free(cell);
	char buf[PATH_MAX + 16] = "";
	int fd = open(gitfile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 8 || strncmp(buf, "gitdir: ", 8))
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	char *target = buf[8] == '/' ? xstrdup(buf + 8) : xasprintf("%s/%s", dir, buf + 8);
	char *gitdir = realpath(target, NULL);
	free(target);
	if (!gitdir)
		return;
	protect_gitdir(plan, t, gitdir);
	char *commondir_file = xasprintf("%s/commondir", gitdir);
	fd = open(commondir_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(commondir_file);
	n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		char *c = buf[0] == '/' ? xstrdup(buf) : xasprintf("%s/%s", gitdir, buf);
		char *common = realpath(c, NULL);
		free(c);
		if (common)
			protect_gitdir(plan, t, common);
		free(common);
	}
	free(gitdir);
}

static void protect_repo(struct plan *plan, const struct tree *t, const char *dir)
{
	char *git = xasprintf("%s/.git", dir);
	struct stat st;
	if (lstat(git, &st) == 0 && S_ISREG(st.st_mode))
		protect_git_file(plan, t, dir, git);
	else if (lstat(git, &st) == 0 && S_ISDIR(st.st_mode) && strcmp(dir, t->src))
		protect_gitdir(plan, t, git); /* nested repository (the tree's own is in the list) */
	if (strcmp(dir, t->src)) {
		char *gm = xasprintf("%s/.gitmodules", dir);
		char *cell = to_cell(t, gm);
		if (cell && lstat(git, &st) == 0)
			protect_one(plan, t, gm, cell, false, "submodule URLs and update commands");
		free(cell);
		free(gm);
	}
	free(git);
}

/* Repositories inside the tree (vendored, submodules, checkouts): bounded, so that a huge tree
 * costs the start-up a few milliseconds at most. */
enum { WALK_DEPTH = 4, WALK_BUDGET = 20000 };

static void walk(struct plan *plan, const struct tree *t, const char *dir, int depth, int *budget)
{
	protect_repo(plan, t, dir);
	if (depth >= WALK_DEPTH)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) && --*budget > 0) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, ".git") || !strcmp(de->d_name, "node_modules"))
			continue;
		char *sub = xasprintf("%s/%s", dir, de->d_name);
		walk(plan, t, sub, depth + 1, budget);
		free(sub);
	}
	closedir(d);
}

static void protect_tree(const struct harden_policy *hp, struct plan *plan, const struct tree *t,
			 bool walk_repos)
{
	for (const struct protect_item *d = defaults; d->path; d++)
		if (d->scope == PROTECT_TREE && !lifted(hp, d->path))
			protect_rel(plan, t, d->path, d->dir, d->why);
	for (size_t i = 0; i < hp->protect_extra.sv.n; i++) {
		const char *p = hp->protect_extra.sv.v[i];
		if (strncmp(p, "~/", 2)) {
			size_t n = strlen(p);
			char *rel = xstrndup(p, n && p[n - 1] == '/' ? n - 1 : n);
			protect_rel(plan, t, rel, n && p[n - 1] == '/', "[protect] paths");
			free(rel);
		}
	}
	if (walk_repos) {
		int budget = WALK_BUDGET;
		walk(plan, t, t->src, 0, &budget);
	} else {
		protect_repo(plan, t, t->src);
	}
}

static void protect_home(const struct harden_policy *hp, struct plan *plan, const char *home)
{
	/* Home counts when some read-write bind reaches it (pwrap-style profiles). */
	const struct plan_entry *cover = NULL;
	for (size_t i = 0; i < plan->n; i++) {
		const struct plan_entry *e = &plan->e[i];
		size_t n = strlen(e->dst);
		if (e->kind == PLAN_BIND_RW && e->src && !strncmp(home, e->dst, n) &&
		    (home[n] == '/' || !home[n] || n == 1))
			cover = e;
	}
	if (!cover || !plan_path_writable(plan, home))
		return;
	struct tree t = {.src = home, .dst = home, .host_backed = true, .placeholders = true};
	for (const struct protect_item *d = defaults; d->path; d++)
		if (d->scope == PROTECT_HOME && !lifted(hp, d->path))
			protect_rel(plan, &t, d->path, d->dir, d->why);
	for (size_t i = 0; i < hp->protect_extra.sv.n; i++) {
		const char *p = hp->protect_extra.sv.v[i];
		if (!strncmp(p, "~/", 2)) {
			size_t n = strlen(p);
			char *rel = xstrndup(p + 2, n - 2 - (p[n - 1] == '/'));
			protect_rel(plan, &t, rel, p[n - 1] == '/', "[protect] paths");
			free(rel);
		}
	}
}

void protect_plan(const struct harden_policy *hp, const char *project_real, const char *home,
		  struct plan *plan)
{
	memset(&stats, 0, sizeof stats);
	if (!hp->protect)
		return;
	if (!owner) {
		owner = getpid();
		atexit(protect_finish);
	}
	/* Snapshot: the steps added below must not be walked as trees themselves. */
	size_t n = plan->n;
	for (size_t i = 0; i < n; i++) {
		const struct plan_entry *e = &plan->e[i];
		bool project = project_real && !strcmp(e->dst, project_real);
		if (!e->src || (e->kind != PLAN_BIND_RW && !(project && e->kind == PLAN_OVERLAY)))
			continue;
		/* Copies: plan_add may move the entries. */
		char *src = xstrdup(e->src), *dst = xstrdup(e->dst);
		struct tree t = {.src = src,
				 .dst = dst,
				 .host_backed = e->kind == PLAN_BIND_RW,
				 .placeholders = project};
		protect_tree(hp, plan, &t, project);
		free(src);
		free(dst);
	}
	if (home)
		protect_home(hp, plan, home);
}
