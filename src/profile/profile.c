#include "profile/profile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile/toml.h"
#include "util/log.h"

/* A profile is policy; a profile bigger than this is a mistake or an attack. */
#define PROFILE_MAX_BYTES (1 << 20)

static void defaults(struct profile *p, enum posture posture)
{
	memset(p, 0, sizeof *p);
	p->posture = posture;
	p->sandbox = posture != POSTURE_PWRAP; /* pwrap: enabled = false unless said */
	p->hide_home = posture == POSTURE_AGENT;
	p->unshare_pid = true;
	p->unshare_net = false;
	p->clean_env = posture == POSTURE_AGENT;
	p->new_session = posture == POSTURE_PWRAP ? -1 : 1;
	net_policy_defaults(&p->net, posture);
	harden_policy_defaults(&p->harden, posture);
	review_policy_defaults(&p->review, posture);
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	if (h && h[0] == '/')
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir ? pw->pw_dir : "/";
}

char *profile_config_root(const char *tool)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/%s", xdg, tool);
	return xasprintf("%s/.config/%s", home_dir(), tool);
}

/* pwrap expands with os.path.expanduser then os.path.expandvars: ~ and ~user at the start,
 * $NAME and ${NAME} anywhere, unknown variables left as written. */
char *profile_expand_path(const char *path)
{
	char *tilde = NULL;
	if (path[0] == '~') {
		const char *slash = strchrnul(path, '/');
		if (slash == path + 1) {
			tilde = xasprintf("%s%s", home_dir(), slash);
		} else {
			char *user = xstrndup(path + 1, (size_t)(slash - path - 1));
			struct passwd *pw = getpwnam(user);
			free(user);
			tilde = pw ? xasprintf("%s%s", pw->pw_dir, slash) : xstrdup(path);
		}
	} else {
		tilde = xstrdup(path);
	}
	size_t cap = strlen(tilde) + 1, n = 0;
	char *out = xmalloc(cap);
	for (const char *s = tilde; *s;) {
		const char *val = NULL;
		size_t skip = 1;
		if (s[0] == '$') {
			const char *name = s + 1;
			int braced = name[0] == '{';
			if (braced)
				name++;
			size_t len = 0;
			while (isalnum((unsigned char)name[len]) || name[len] == '_')
				len++;
			if (len && (!braced || name[len] == '}')) {
				char *key = xstrndup(name, len);
				val = getenv(key);
				free(key);
				if (val)
					skip = (size_t)(name - s) + len + (braced ? 1 : 0);
			}
		}
		const char *add = val ? val : s;
		size_t add_len = val ? strlen(val) : 1;
		if (n + add_len + 1 > cap) {
			cap = (n + add_len + 1) * 2;
			out = xrealloc(out, cap);
		}
		memcpy(out + n, add, add_len);
		n += add_len;
		s += skip;
	}
	out[n] = '\0';
	free(tilde);
	return out;
}

/* pwrap's validate_shell: absolute, exists, listed in /etc/shells when that file exists. */
static int check_shell(struct schema_ctx *c, const char *shell, struct toml_pos pos)
{
	if (shell[0] != '/')
		return schema_fail(c, pos, "[project] shell must be an absolute path, not '%s'", shell);
	if (access(shell, X_OK) < 0)
		return schema_fail(c, pos, "[project] shell %s does not exist or is not executable",
				   shell);
	FILE *f = fopen("/etc/shells", "re");
	if (!f)
		return 0;
	char line[512];
	int found = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '#' && !strcmp(line, shell))
			found = 1;
	}
	fclose(f);
	if (!found)
		return schema_fail(c, pos,
				   "[project] shell %s is not listed in /etc/shells (add it there or "
				   "use a listed shell)",
				   shell);
	return 0;
}

static void expand_list(struct pos_strv *l)
{
	for (size_t i = 0; i < l->sv.n; i++) {
		char *e = profile_expand_path(l->sv.v[i]);
		free(l->sv.v[i]);
		l->sv.v[i] = e;
	}
}

static int parse_project(struct schema_ctx *c, const struct toml_table *t, struct profile *p)
{
	static const char *const keys[] = {"name", "dir", "shell", "command", NULL};
	if (schema_known_keys(c, t, "[project]", keys) < 0)
		return -1;
	char *dir = NULL;
	if (schema_string(c, t, "[project]", "name", &p->project_name) < 0 ||
	    schema_string(c, t, "[project]", "dir", &dir) < 0 ||
	    schema_string(c, t, "[project]", "shell", &p->shell) < 0)
		return -1;
	if (dir) {
		free(p->project_dir);
		p->project_dir = profile_expand_path(dir);
		free(dir);
		if (p->project_dir[0] != '/')
			return schema_fail(c, toml_get_kv(t, "dir")->val->pos,
					   "[project] dir must be absolute or start with ~");
	}
	if (p->shell && check_shell(c, p->shell, toml_get_kv(t, "shell")->val->pos) < 0)
		return -1;
	const struct toml_kv *cmd = toml_get_kv(t, "command");
	if (cmd) {
		if (cmd->val->type == TOML_STRING) {
			strv_push(&p->command, cmd->val->u.str.ptr);
		} else {
			struct pos_strv l = {0};
			if (schema_strings(c, t, "[project]", "command", &l) < 0) {
				pos_strv_free(&l);
				return -1;
			}
			for (size_t i = 0; i < l.sv.n; i++)
				strv_push(&p->command, l.sv.v[i]);
			pos_strv_free(&l);
			if (!p->command.n)
				return schema_fail(c, cmd->val->pos, "[project] command is empty");
		}
	}
	return 0;
}

static int parse_sandbox(struct schema_ctx *c, const struct toml_table *t, struct profile *p)
{
	static const char *const keys[] = {"enabled",	  "blacklist",	 "whitelist", "writable",
					   "devices",	  "unshare_net", "unshare_pid", "new_session",
					   "clean_env",	  "home",	 NULL};
	if (schema_known_keys(c, t, "[sandbox]", keys) < 0)
		return -1;
	bool ns = false;
	int rc;
	if (schema_bool(c, t, "[sandbox]", "enabled", &p->sandbox) < 0 ||
	    schema_bool(c, t, "[sandbox]", "unshare_net", &p->unshare_net) < 0 ||
	    schema_bool(c, t, "[sandbox]", "unshare_pid", &p->unshare_pid) < 0 ||
	    schema_bool(c, t, "[sandbox]", "clean_env", &p->clean_env) < 0 ||
	    (rc = schema_bool(c, t, "[sandbox]", "new_session", &ns)) < 0)
		return -1;
	if (rc > 0)
		p->new_session = ns;
	if (schema_strings(c, t, "[sandbox]", "blacklist", &p->blacklist) < 0 ||
	    schema_strings(c, t, "[sandbox]", "whitelist", &p->whitelist) < 0 ||
	    schema_strings(c, t, "[sandbox]", "writable", &p->writable) < 0 ||
	    schema_strings(c, t, "[sandbox]", "devices", &p->devices) < 0)
		return -1;
	expand_list(&p->blacklist);
	expand_list(&p->whitelist);
	expand_list(&p->writable);
	expand_list(&p->devices);
	char *home = NULL;
	if ((rc = schema_string(c, t, "[sandbox]", "home", &home)) < 0)
		return -1;
	if (rc > 0) {
		if (!strcmp(home, "hidden"))
			p->hide_home = true;
		else if (!strcmp(home, "read-only"))
			p->hide_home = false;
		else
			rc = schema_fail(c, toml_get_kv(t, "home")->val->pos,
					 "[sandbox] home must be \"hidden\" or \"read-only\"");
		free(home);
		if (rc < 0)
			return -1;
	}
	for (size_t i = 0; i < p->devices.sv.n; i++)
		if (strncmp(p->devices.sv.v[i], "/dev/", 5) != 0)
			return schema_fail(c, p->devices.pos[i],
					   "[sandbox] devices: '%s' is not under /dev",
					   p->devices.sv.v[i]);
	return 0;
}

static int valid_env_name(const char *k)
{
	if (!(isalpha((unsigned char)k[0]) || k[0] == '_'))
		return 0;
	for (const char *s = k; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

static int parse_env(struct schema_ctx *c, const struct toml_table *t, struct profile *p)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct toml_kv *kv = &t->kvs[i];
		if (!valid_env_name(kv->key))
			return schema_fail(c, kv->pos,
					   "[env] '%s' is not a valid variable name (letters, digits, "
					   "underscore; not starting with a digit)",
					   kv->key);
		if (kv->val->type != TOML_STRING)
			return schema_fail(c, kv->val->pos, "[env] %s must be a string, not a %s",
					   kv->key, toml_type_name(kv->val->type));
		if (strlen(kv->val->u.str.ptr) != kv->val->u.str.len)
			return schema_fail(c, kv->val->pos, "[env] %s contains a NUL character",
					   kv->key);
		strv_push_owned(&p->env, xasprintf("%s=%s", kv->key, kv->val->u.str.ptr));
	}
	return 0;
}

static int parse_tables(struct schema_ctx *c, const struct toml_table *root, struct profile *p)
{
	for (size_t i = 0; i < root->n; i++) {
		const struct toml_kv *kv = &root->kvs[i];
		if (kv->val->type != TOML_TABLE)
			return schema_fail(c, kv->pos,
					   "'%s' must be a table such as [%s]; top-level keys are not "
					   "part of the profile format",
					   kv->key, kv->key);
		const struct toml_table *t = kv->val->u.tab;
		int rc = 0;
		if (!strcmp(kv->key, "project"))
			rc = parse_project(c, t, p);
		else if (!strcmp(kv->key, "sandbox"))
			rc = parse_sandbox(c, t, p);
		else if (!strcmp(kv->key, "env"))
			rc = parse_env(c, t, p);
		else if (!strcmp(kv->key, "encrypted"))
			rc = schema_fail(c, kv->pos,
					 "[encrypted] (gocryptfs volumes) is not supported by brig yet; "
					 "remove the table, or keep using pwrap for this profile");
		else if (!strcmp(kv->key, "network"))
			rc = net_policy_parse(c, t, &p->net);
		else if (!strcmp(kv->key, "review"))
			rc = review_policy_parse(c, t, &p->review);
		else {
			rc = harden_policy_parse_table(c, kv->key, t, &p->harden);
			if (rc == 0)
				rc = schema_fail(c, kv->pos,
						 "unknown table [%s] (known: project, sandbox, env, "
						 "network, review, seccomp, landlock, limits, protect)",
						 kv->key);
			else if (rc > 0)
				rc = 0;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Fills what a file may leave out, after parsing, so explicit keys win. */
static void finish(struct profile *p, const char *dir_default)
{
	if (!p->project_dir)
		p->project_dir = xstrdup(dir_default);
	if (!p->project_name) {
		const char *slash = strrchr(p->project_dir, '/');
		p->project_name = xstrdup(slash && slash[1] ? slash + 1 : p->name);
	}
	if (!p->shell) {
		const char *sh = getenv("SHELL");
		p->shell = xstrdup(sh && sh[0] == '/' ? sh : "/bin/bash");
	}
	/* pwrap's only network switch; an explicit [network] mode wins. */
	if (p->unshare_net && !p->net.mode_where)
		p->net.mode = NET_NONE;
}

int profile_parse(const char *buf, size_t len, const char *file, enum posture posture,
		  struct profile *p, char **err)
{
	char *name = p->name ? p->name : xstrdup("profile");
	defaults(p, posture);
	p->name = name;
	p->source = xstrdup(file);
	struct toml_error terr = {0};
	struct toml_table *root = toml_parse(buf, len, &terr);
	if (!root) {
		*err = xasprintf("%s:%d:%d: %s", file, terr.line, terr.col, terr.msg);
		return -1;
	}
	struct schema_ctx c = {.file = file};
	int rc = parse_tables(&c, root, p);
	toml_free(root);
	if (rc < 0) {
		*err = xstrdup(c.err);
		return -1;
	}
	char *dflt = xasprintf("%s/projects/%s", home_dir(), p->name);
	finish(p, dflt);
	free(dflt);
	return 0;
}

/* A profile the agent can write is no policy: refuse files and directories that anyone but the
 * owner can change, or that belong to someone other than the user (or root). */
static int check_permissions(const char *path, int fd, char **err)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = xasprintf("%s is not a regular file", path);
		return -1;
	}
	if (st.st_mode & 022) {
		*err = xasprintf("%s is %s-writable; refusing a profile others can change (fix: chmod "
				 "go-w '%s')",
				 path, st.st_mode & 002 ? "world" : "group", path);
		return -1;
	}
	if (st.st_uid != getuid() && st.st_uid != 0) {
		*err = xasprintf("%s belongs to uid %u, not to you; refusing it", path,
				 (unsigned)st.st_uid);
		return -1;
	}
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	struct stat dst;
	int rc = 0;
	if (stat(dir, &dst) == 0 && (dst.st_mode & 022) && !(dst.st_mode & S_ISVTX)) {
		*err = xasprintf("the directory %s is %s-writable, so others could replace the profile "
				 "(fix: chmod go-w '%s')",
				 dir, dst.st_mode & 002 ? "world" : "group", dir);
		rc = -1;
	}
	free(dir);
	return rc;
}

int profile_load_file(const char *path, enum posture posture, struct profile *p, char **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*err = xasprintf("cannot open profile %s: %s", path, strerror(errno));
		return -1;
	}
	if (check_permissions(path, fd, err) < 0) {
		close(fd);
		return -1;
	}
	char *buf = xmalloc(PROFILE_MAX_BYTES + 1);
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, PROFILE_MAX_BYTES + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = xasprintf("cannot read %s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > PROFILE_MAX_BYTES) {
			*err = xasprintf("%s is larger than %d bytes; not a profile", path,
					 PROFILE_MAX_BYTES);
			free(buf);
			close(fd);
			return -1;
		}
	}
	close(fd);
	if (!p->name) {
		/* name the profile after its directory: ~/.config/brig/NAME/project.toml */
		char *copy = xstrdup(path);
		char *slash = strrchr(copy, '/');
		if (slash)
			*slash = '\0';
		slash = strrchr(copy, '/');
		p->name = xstrdup(slash ? slash + 1 : copy);
		free(copy);
	}
	int rc = profile_parse(buf, len, path, posture, p, err);
	free(buf);
	if (rc == 0) {
		char *copy = xstrdup(path);
		char *slash = strrchr(copy, '/');
		if (slash)
			*slash = '\0';
		p->config_dir = slash ? copy : (free(copy), xstrdup("."));
	}
	return rc;
}

static int valid_name(const char *name)
{
	return name[0] && name[0] != '-' && name[0] != '.' && !strchr(name, '/') &&
	       !strstr(name, "..") && strlen(name) < 128;
}

int profile_load_named(const char *name, struct profile *p, char **err)
{
	if (!valid_name(name)) {
		*err = xasprintf("'%s' is not a valid profile name (no '/', no '..', not starting with "
				 "'-' or '.')",
				 name);
		return -1;
	}
	static const struct {
		const char *tool;
		enum posture posture;
	} roots[] = {{"brig", POSTURE_AGENT}, {"pwrap", POSTURE_PWRAP}};
	for (size_t i = 0; i < 2; i++) {
		char *root = profile_config_root(roots[i].tool);
		char *path = xasprintf("%s/%s/project.toml", root, name);
		free(root);
		if (access(path, F_OK) == 0) {
			p->name = xstrdup(name);
			int rc = profile_load_file(path, roots[i].posture, p, err);
			free(path);
			return rc;
		}
		free(path);
	}
	char *b = profile_config_root("brig");
	*err = xasprintf("no profile named '%s' (looked for %s/%s/project.toml and the pwrap "
			 "equivalent); create one with 'brig init'",
			 name, b, name);
	free(b);
	return -1;
}

int profile_preset(const char *preset, const char *dir, struct profile *p, char **err)
{
	enum posture posture;
	if (!strcmp(preset, "agent"))
		posture = POSTURE_AGENT;
	else if (!strcmp(preset, "shell"))
		posture = POSTURE_SHELL;
	else {
		*err = xasprintf("unknown preset '%s' (known: agent, shell)", preset);
		return -1;
	}
	defaults(p, posture);
	p->name = xstrdup(preset);
	p->source = xasprintf("built-in preset %s", preset);
	finish(p, dir);
	return 0;
}

void profile_free(struct profile *p)
{
	free(p->name);
	free(p->source);
	free(p->config_dir);
	free(p->project_name);
	free(p->project_dir);
	free(p->shell);
	strv_free(&p->command);
	pos_strv_free(&p->blacklist);
	pos_strv_free(&p->whitelist);
	pos_strv_free(&p->writable);
	pos_strv_free(&p->devices);
	strv_free(&p->env);
	net_policy_free(&p->net);
	harden_policy_free(&p->harden);
	review_policy_free(&p->review);
	memset(p, 0, sizeof *p);
}
