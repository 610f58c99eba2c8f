#include "gate/rules.h"

#include <ctype.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "gate/review_policy.h"
#include "scan/scan.h"
#include "util/xalloc.h"

/* A pattern with a '/' matches the whole path from the project root ('*' crosses directories);
 * one without matches the file name at any depth. */
struct path_rule {
	const char *id;
	enum finding_sev sev;
	const char *const *globs;
	const char *reason;
};

#define GLOBS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const struct path_rule path_rules[] = {
	{"git-hook", SEV_HIGH, GLOBS(".git/hooks/*"),
	 "git hook: runs on the host at the next git command"},
	{"git-attributes", SEV_MEDIUM, GLOBS(".gitattributes", ".git/info/attributes"),
	 "git attributes can name filter and diff drivers that run commands"},
	{"git-modules", SEV_MEDIUM, GLOBS(".gitmodules"),
	 "submodule URLs and update commands are fetched and run by git"},
	{"ci", SEV_HIGH,
	 GLOBS(".github/workflows/*", ".github/actions/*", ".gitlab-ci.yml", ".gitlab/*",
	       ".circleci/*", "Jenkinsfile", ".travis.yml", "azure-pipelines.yml", ".buildkite/*",
	       "bitbucket-pipelines.yml", ".drone.yml", ".woodpecker.yml", ".woodpecker/*",
	       ".github/dependabot.yml"),
	 "CI definition: runs with the CI's secrets after a push"},
	{"install-script", SEV_HIGH, GLOBS("setup.py", ".pnpmfile.cjs", "install.sh"),
	 "runs at package install"},
	{"package-config", SEV_MEDIUM,
	 GLOBS(".npmrc", ".yarnrc", ".yarnrc.yml", "pip.conf", ".pypirc", "setup.cfg",
	       "pyproject.toml", "conftest.py", "Gemfile", "*.gemspec", "go.mod", "Cargo.toml"),
	 "package or test configuration: can change what is fetched or run"},
	{"build-script", SEV_MEDIUM,
	 GLOBS("Makefile", "makefile", "GNUmakefile", "*.mk", "CMakeLists.txt", "*.cmake",
	       "meson.build", "build.rs", "Rakefile", "justfile", "Justfile", "Taskfile.yml",
	       "*.gradle", "*.gradle.kts", "pom.xml", "configure", "configure.ac", "Dockerfile",
	       "docker-compose.yml", "compose.yaml"),
	 "build definition: runs at the next build"},
	{"editor-task", SEV_HIGH,
	 GLOBS(".vscode/tasks.json", ".vscode/launch.json", ".vscode/settings.json",
	       ".devcontainer/*", ".idea/workspace.xml", ".idea/runConfigurations/*"),
	 "editor task or setting: can run commands when the project is opened"},
	{"agent-config", SEV_HIGH, GLOBS(".claude/*", ".cursor/*", ".mcp.json", ".aider.conf.yml"),
	 "agent configuration: hooks and tool permissions for the next agent session"},
	{"agent-instructions", SEV_MEDIUM,
	 GLOBS("CLAUDE.md", "AGENTS.md", "GEMINI.md", ".cursorrules", ".windsurfrules",
	       ".clinerules", ".github/copilot-instructions.md"),
	 "agent instructions: read and obeyed by the next agent that opens the project"},
	{"envrc", SEV_HIGH, GLOBS(".envrc", ".env.local", ".tool-versions", ".mise.toml"),
	 "direnv/mise file: runs or sets the environment on cd into the project"},
	{"pre-commit", SEV_HIGH, GLOBS(".pre-commit-config.yaml", ".husky/*", "lefthook.yml"),
	 "commit hook manager: runs commands at git commit"},
};

/* Rules decided by the file itself, not its name; listed with the path rules. */
static const struct rule_doc content_rules[] = {
	{"secret", SEV_HIGH,
	 "a credential the secret scanner finds (brig scan --rules); severity is the scanner "
	 "rule's, critical counting as high",
	 "secret in a changed file"},
	{"git-config", SEV_HIGH,
	 ".git/config sets core.hooksPath, core.fsmonitor, core.sshCommand, core.pager, "
	 "core.editor, filter.*, diff.external, diff.*.textconv, merge.*.driver, alias.* with '!', "
	 "credential.helper, url.*.insteadOf, include.path, remote.*.uploadpack and more",
	 "git config key that makes git run a program or fetch from elsewhere"},
	{"git-config-change", SEV_MEDIUM, ".git/config, other changes", "git configuration changed"},
	{"package-lifecycle", SEV_HIGH, "package.json scripts pre/post/install, prepare, prepack...",
	 "npm lifecycle script: runs at npm install"},
	{"package-script", SEV_LOW, "package.json other scripts", "npm script changed"},
	{"setuid", SEV_HIGH, "set-user-ID or set-group-ID bit", "runs with its owner's rights"},
	{"device", SEV_HIGH, "block or character device", "a device node gives raw access"},
	{"special-file", SEV_MEDIUM, "fifo or socket", "not a file: can block or talk to a process"},
	{"symlink-escape", SEV_HIGH, "symlink to an absolute path or out of the project",
	 "reads and writes through it leave the project"},
	{"symlink", SEV_LOW, "symlink inside the project", "new or changed symlink"},
	{"executable", SEV_MEDIUM, "file with an execute bit, new or changed",
	 "new or changed executable"},
	{"script", SEV_LOW, "file starting with #!, not executable", "script"},
	{"large-file", SEV_LOW, "over 10 MiB (outside .git/)", "large file"},
	{"binary-file", SEV_LOW, "NUL byte in the first 8 KiB (outside .git/)", "binary file"},
	{"unexpected-path", SEV_MEDIUM, "outside [review] expect",
	 "a change outside the paths the profile expects"},
	{"overlay-redirect", SEV_HIGH, "overlay redirect xattr",
	 "a renamed directory brig cannot read from the upper dir alone"},
};

#define LARGE_FILE (10u << 20)

static bool glob_matches(const char *glob, const char *path)
{
	if (strchr(glob, '/'))
		return fnmatch(glob, path, 0) == 0;
	const char *base = strrchr(path, '/');
	return fnmatch(glob, base ? base + 1 : path, 0) == 0;
}

static void check_paths(struct change *c)
{
	for (size_t i = 0; i < sizeof path_rules / sizeof *path_rules; i++) {
		const struct path_rule *r = &path_rules[i];
		for (const char *const *g = r->globs; *g; g++) {
			if (!glob_matches(*g, c->path))
				continue;
			change_add_finding(c, r->id, r->sev,
					   xasprintf("%s (%s)", r->reason,
						     c->kind == CHANGE_DELETED ? "deleted" : *g));
			break;
		}
	}
}

/* Whole file from the upper (or lower) tree, at most max bytes; NULL when absent or larger. */
static char *slurp(int dirfd, const char *path, size_t max, size_t *len)
{
	int fd = dirfd < 0 ? -1 : gate_open_beneath(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return NULL;
	}
	char *buf = xmalloc((size_t)st.st_size + 1);
	size_t got = 0;
	ssize_t n;
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* git config keys that make git run a program or fetch from somewhere else. */
static const char *const risky_git_keys[] = {
	"core.hookspath", "core.fsmonitor", "core.sshcommand", "core.pager", "core.editor",
	"core.askpass", "core.gitproxy", "core.worktree", "diff.external", "diff.*.textconv",
	"diff.*.command", "merge.*.driver", "filter.*", "credential.helper", "credential.*.helper",
	"url.*.insteadof", "url.*.pushinsteadof", "include.path", "includeif.*.path",
	"sequence.editor", "gpg.program", "gpg.*.program", "pager.*", "remote.*.uploadpack",
	"remote.*.receivepack", "remote.*.proxycommand", "uploadpack.packobjectshook",
	"http.proxy", "protocol.allow", "protocol.*.allow", "safe.directory", NULL,
};

static bool git_key_risky(const char *key, const char *value)
{
	if (!strncmp(key, "alias.", 6))
		return value[0] == '!';
	for (const char *const *k = risky_git_keys; *k; k++)
		if (fnmatch(*k, key, 0) == 0)
			return true;
	return false;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* "[section]", "[section \"sub\"]" or the old "[section.sub]"; the subsection keeps its case
 * but git compares section and key names without it, so both are lowercased here. */
static char *parse_section(const char *line)
{
	const char *end = strchr(line, ']');
	if (!end)
		return NULL;
	char *s = xstrndup(line + 1, (size_t)(end - line - 1));
	char *out = xmalloc(strlen(s) + 2);
	size_t o = 0;
	for (char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			continue;
		out[o++] = *p == ' ' || *p == '\t' ? '.' : (char)tolower((unsigned char)*p);
	}
	out[o] = '\0';
	free(s);
	return out;
}

void rules_gitconfig_risky(const char *text, size_t len, struct strv *out)
{
	char *buf = xstrndup(text, len);
	char *section = xstrdup("");
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *l = trim(line);
		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			free(section);
			section = parse_section(l);
			if (!section)
				section = xstrdup("");
			continue;
		}
		char *eq = strchr(l, '=');
		char *value = eq ? trim(eq + 1) : (char *)"true";
		if (eq)
			*eq = '\0';
		char *name = trim(l);
		char *key = xasprintf("%s.%s", section, name);
		for (char *p = key + strlen(section); *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (git_key_risky(key, value))
			strv_push_owned(out, xasprintf("%s=%s", key, value));
		free(key);
	}
	free(section);
	free(buf);
}

static void check_git_config(struct change *c, const struct rules_ctx *ctx)
{
	size_t nn = 0, no = 0;
	char *now = slurp(ctx->upper_fd, c->path, 1u << 20, &nn);
	char *old = slurp(ctx->lower_fd, c->path, 1u << 20, &no);
	struct strv risky_now = {0}, risky_old = {0};
	if (now)
		rules_gitconfig_risky(now, nn, &risky_now);
	if (old)
		rules_gitconfig_risky(old, no, &risky_old);
	bool any = false;
	for (size_t i = 0; i < risky_now.n; i++) {
		if (strv_contains(&risky_old, risky_now.v[i]))
			continue;
		char *kv = risky_now.v[i];
		char *eq = strchr(kv, '=');
		*eq = '\0';
		change_add_finding(c, "git-config", SEV_HIGH,
				   xasprintf("git config sets %s: git runs or fetches what it names",
					     kv));
		any = true;
	}
	if (!any)
		change_add_finding(c, "git-config-change", SEV_MEDIUM,
				   xstrdup("git configuration changed"));
	strv_free(&risky_now);
	strv_free(&risky_old);
	free(now);
	free(old);
}

static bool lifecycle_script(const char *name)
{
	static const char *const names[] = {
		"preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare",
		"postprepare", "prepack", "postpack", "prepublishOnly", "preuninstall",
		"uninstall", "postuninstall", "dependencies", NULL,
	};
	for (const char *const *n = names; *n; n++)
		if (!strcmp(*n, name))
			return true;
	return false;
}

static json_t *package_scripts(int dirfd, const char *path)
{
	size_t len = 0;
	char *text = slurp(dirfd, path, 4u << 20, &len);
	json_t *doc = text ? json_loadb(text, len, 0, NULL) : NULL;
	free(text);
	json_t *scripts = json_incref(json_object_get(doc, "scripts"));
	json_decref(doc);
	return json_is_object(scripts) ? scripts : (json_decref(scripts), json_object());
}

static void check_package_json(struct change *c, const struct rules_ctx *ctx)
{
	json_t *now = package_scripts(ctx->upper_fd, c->path);
	json_t *old = package_scripts(ctx->lower_fd, c->path);
	const char *name;
	json_t *v;
	json_object_foreach(now, name, v) {
		json_t *was = json_object_get(old, name);
		if (was && json_equal(was, v))
			continue;
		if (lifecycle_script(name))
			change_add_finding(c, "package-lifecycle", SEV_HIGH,
					   xasprintf("package.json script '%s' %s: runs at npm "
						     "install",
						     name, was ? "changed" : "added"));
		else
			change_add_finding(c, "package-script", SEV_LOW,
					   xasprintf("package.json script '%s' %s", name,
						     was ? "changed" : "added"));
	}
	json_decref(now);
	json_decref(old);
}

/* The link's target, resolved lexically from the link's directory: absolute, or climbing above
 * the project root with "..", it leads out. */
static bool symlink_escapes(const char *path, const char *target)
{
	if (target[0] == '/')
		return true;
	int depth = 0;
	for (const char *p = path; *p; p++)
		depth += *p == '/';
	char *t = xstrdup(target), *save = NULL;
	bool out = false;
	for (char *s = strtok_r(t, "/", &save); s && !out; s = strtok_r(NULL, "/", &save)) {
		if (!strcmp(s, ".."))
			out = --depth < 0;
		else if (strcmp(s, "."))
			depth++;
	}
	free(t);
	return out;
}

static void check_symlink(struct change *c, const struct rules_ctx *ctx)
{
	char *target = gate_readlinkat_beneath(ctx->upper_fd, c->path);
	if (!target)
		return;
	if (symlink_escapes(c->path, target))
		change_add_finding(c, "symlink-escape", SEV_HIGH,
				   xasprintf("symlink to %s leads out of the project", target));
	else
		change_add_finding(c, "symlink", SEV_LOW, xasprintf("symlink to %s", target));
	free(target);
}

#define SECRETS_PER_FILE 5

struct secret_ctx {
	struct change *c;
	int n;
};

static int on_secret(const struct scan_finding *f, void *arg)
{
	struct secret_ctx *sc = arg;
	enum finding_sev sev = f->severity >= SCAN_SEV_HIGH     ? SEV_HIGH
			       : f->severity == SCAN_SEV_MEDIUM ? SEV_MEDIUM
								 : SEV_LOW;
	/* The preview is already redacted by the scanner: the secret itself never gets printed. */
	change_add_finding(sc->c, "secret", sev,
			   xasprintf("%s (%s) at line %llu: %s", f->description, f->rule_id,
				     (unsigned long long)f->line, f->preview));
	return ++sc->n >= SECRETS_PER_FILE;
}

/* Git's object store is zlib-compressed: nothing readable to scan there (the same contents are
 * scanned where they were written in the work tree). */
static bool scannable(const char *path)
{
	return strncmp(path, ".git/objects/", 13) != 0;
}

/* Compiling the scanner's rules costs most of a second per process; like `brig scan`, the gate
 * keeps the compiled database in the user's cache directory (the scanner checks it). */
static void use_scan_cache(void)
{
	static bool done;
	if (done || getenv("BRIG_SCAN_NO_CACHE"))
		return;
	done = true;
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *cache = xdg && *xdg == '/'     ? xasprintf("%s/brig", xdg)
		      : home && *home == '/' ? xasprintf("%s/.cache/brig", home)
					     : NULL;
	if (cache)
		scan_db_set_cache_dir(cache);
	free(cache);
}

static void check_secrets(struct change *c, const struct rules_ctx *ctx)
{
	int fd = gate_open_beneath(ctx->upper_fd, c->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	if (fd < 0)
		return;
	use_scan_cache();
	const char *why = NULL;
	const struct scan_db *db = scan_db_get(&why);
	if (!db) {
		close(fd);
		return;
	}
	struct secret_ctx sc = {.c = c};
	struct scan_stream *st = scan_stream_open(db, on_secret, &sc);
	static char buf[1 << 16];
	ssize_t n;
	int rc = 0;
	while (st && rc == 0 && (n = read(fd, buf, sizeof buf)) > 0)
		rc = scan_stream_feed(st, buf, (size_t)n);
	if (st && rc == 0)
		scan_stream_close(st);
	else if (st)
		scan_stream_abort(st);
	close(fd);
}

static void check_contents(struct change *c, const struct rules_ctx *ctx)
{
	bool in_git = !strncmp(c->path, ".git/", 5);
	if (c->kind == CHANGE_MODE)
		return;
	int fd = gate_open_beneath(ctx->upper_fd, c->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	if (fd < 0)
		return;
	char head[8192];
	ssize_t n = read(fd, head, sizeof head);
	close(fd);
	if (n < 0)
		return;
	bool binary = memchr(head, '\0', (size_t)n) != NULL;
	if (!in_git && binary)
		change_add_finding(c, "binary-file", SEV_LOW, xstrdup("binary file"));
	if (!in_git && (size_t)c->size > LARGE_FILE)
		change_add_finding(c, "large-file", SEV_LOW,
				   xasprintf("large file (%lld MiB)", (long long)(c->size >> 20)));
	if (n >= 2 && head[0] == '#' && head[1] == '!' && !(c->mode & 0111))
		change_add_finding(c, "script", SEV_LOW, xstrdup("script (#!), not executable"));
}

static void check_mode(struct change *c)
{
	mode_t m = c->mode;
	if (m & (S_ISUID | S_ISGID))
		change_add_finding(c, "setuid", SEV_HIGH,
				   xasprintf("%s bit set: runs with its owner's rights",
					     m & S_ISUID ? "set-user-ID" : "set-group-ID"));
	if (S_ISBLK(m) || S_ISCHR(m))
		change_add_finding(c, "device", SEV_HIGH,
				   xasprintf("device node %u:%u", major(c->rdev), minor(c->rdev)));
	if (S_ISFIFO(m) || S_ISSOCK(m))
		change_add_finding(c, "special-file", SEV_MEDIUM,
				   xstrdup(S_ISFIFO(m) ? "fifo" : "socket"));
	bool gained_x = (m & 0111) && (c->kind != CHANGE_MODE || !(c->lower_mode & 0111) ||
				       !S_ISREG(c->lower_mode));
	if (S_ISREG(m) && (m & 0111) && (c->kind != CHANGE_MODE || gained_x) &&
	    strncmp(c->path, ".git/hooks/", 11))
		change_add_finding(c, "executable", SEV_MEDIUM,
				   xstrdup(c->kind == CHANGE_ADDED	 ? "new executable"
					   : c->kind == CHANGE_MODE ? "made executable"
								    : "changed executable"));
}

static bool expected(const struct change *c, const struct review_policy *rp)
{
	for (size_t i = 0; i < rp->expect.sv.n; i++) {
		const char *g = rp->expect.sv.v[i];
		size_t n = strlen(g);
		if (n && g[n - 1] == '/' && !strncmp(c->path, g, n))
			return true;
		if (fnmatch(g, c->path, 0) == 0)
			return true;
	}
	return false;
}

void rules_check(struct change *c, const struct rules_ctx *ctx)
{
	check_paths(c);
	if (ctx->rp && ctx->rp->expect.sv.n && !expected(c, ctx->rp))
		change_add_finding(c, "unexpected-path", SEV_MEDIUM,
				   xstrdup("outside the paths [review] expect names"));
	if (c->kind == CHANGE_DELETED)
		return;
	if (!strcmp(c->path, ".git/config") && S_ISREG(c->mode))
		check_git_config(c, ctx);
	const char *base = strrchr(c->path, '/');
	if (!strcmp(base ? base + 1 : c->path, "package.json") && S_ISREG(c->mode))
		check_package_json(c, ctx);
	if (S_ISLNK(c->mode))
		check_symlink(c, ctx);
	if (S_ISREG(c->mode))
		check_contents(c, ctx);
	if (S_ISREG(c->mode) && c->kind != CHANGE_MODE && !c->metacopy && scannable(c->path))
		check_secrets(c, ctx);
	check_mode(c);
}

const struct rule_doc *rules_list(size_t *n)
{
	static struct rule_doc all[sizeof path_rules / sizeof *path_rules +
				   sizeof content_rules / sizeof *content_rules];
	static char what[sizeof path_rules / sizeof *path_rules][512];
	size_t k = 0;
	for (size_t i = 0; i < sizeof path_rules / sizeof *path_rules; i++) {
		what[i][0] = '\0';
		for (const char *const *g = path_rules[i].globs; *g; g++) {
			if (g != path_rules[i].globs)
				strncat(what[i], " ", sizeof what[i] - strlen(what[i]) - 1);
			strncat(what[i], *g, sizeof what[i] - strlen(what[i]) - 1);
		}
		all[k++] = (struct rule_doc){path_rules[i].id, path_rules[i].sev, what[i],
					     path_rules[i].reason};
	}
	for (size_t i = 0; i < sizeof content_rules / sizeof *content_rules; i++)
		all[k++] = content_rules[i];
	*n = k;
	return all;
}
