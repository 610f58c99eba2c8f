#include "gate/review.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/gate_paths.h"
#include "gate/incell.h"
#include "gate/review_policy.h"
#include "gate/rules.h"
#include "session/session.h"
#include "util/xalloc.h"

int gate_open(const char *arg, struct gate_session *g, char **err)
{
	memset(g, 0, sizeof *g);
	g->upper_fd = g->project_fd = -1;
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd)) {
		*err = xasprintf("cannot read the current directory: %s", strerror(errno));
		return -1;
	}
	char *dir = session_find(arg, cwd, err);
	if (!dir)
		return -1;
	int rc = gate_open_dir(dir, g, err);
	free(dir);
	if (rc == 0 && gate_refuse_in_cell(g->meta, err) < 0)
		return -1;
	return rc;
}

int gate_open_dir(const char *dir, struct gate_session *g, char **err)
{
	memset(g, 0, sizeof *g);
	g->upper_fd = g->project_fd = -1;
	g->dir = xstrdup(dir);
	g->meta = session_meta_load(g->dir, err);
	if (!g->meta)
		return -1;
	g->id = json_string_value(json_object_get(g->meta, "id"));
	g->project = json_string_value(json_object_get(g->meta, "project_real"));
	g->state = json_string_value(json_object_get(g->meta, "state"));
	g->t0_ns = json_integer_value(json_object_get(g->meta, "t0_ns"));
	if (!g->id || !g->state)
		g->id = g->state = "?";
	if (!json_is_true(json_object_get(g->meta, "gated")) || !g->project) {
		*err = xasprintf("session %s was not gated: its changes went straight to the project",
				 g->id);
		return -1;
	}
	g->project_fd = open(g->project, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (g->project_fd < 0) {
		*err = xasprintf("project %s of session %s: %s", g->project, g->id, strerror(errno));
		return -1;
	}
	char *upper = xasprintf("%s/" GATE_UPPER, g->dir);
	g->upper_fd = open(upper, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(upper);
	return 0;
}

void gate_close(struct gate_session *g)
{
	if (g->upper_fd >= 0)
		close(g->upper_fd);
	if (g->project_fd >= 0)
		close(g->project_fd);
	changes_free(&g->cs);
	json_decref(g->meta);
	free(g->dir);
	memset(g, 0, sizeof *g);
	g->upper_fd = g->project_fd = -1;
}

/* The project's entry at path, never through a symlink: 1 found, 0 absent, -1 a symlink or
 * non-directory on the way. */
static int stat_beneath(int root, const char *path, struct stat *st)
{
	const char *slash = strrchr(path, '/');
	char *parent = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	int pfd = gate_open_beneath(root, parent, O_PATH | O_DIRECTORY, 0);
	free(parent);
	if (pfd < 0)
		return errno == ENOENT ? 0 : -1;
	int rc = fstatat(pfd, slash ? slash + 1 : path, st, AT_SYMLINK_NOFOLLOW);
	int e = errno;
	close(pfd);
	errno = e;
	return rc == 0 ? 1 : e == ENOENT ? 0 : -1;
}

static long long ns_of(struct timespec ts)
{
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static json_t *stat_json(int found, const struct stat *st)
{
	if (found <= 0)
		return json_pack("{s:b}", "exists", 0);
	return json_pack("{s:b, s:I, s:I, s:I, s:I, s:i}", "exists", 1, "ino", (json_int_t)st->st_ino,
			 "size", (json_int_t)st->st_size, "mtime_ns", (json_int_t)ns_of(st->st_mtim),
			 "ctime_ns", (json_int_t)ns_of(st->st_ctim), "mode", (int)st->st_mode);
}

static json_t *load_seen(const struct gate_session *g)
{
	char *path = xasprintf("%s/" GATE_SEEN, g->dir);
	json_t *seen = json_load_file(path, 0, NULL);
	free(path);
	return seen;
}

void gate_record_seen(struct gate_session *g)
{
	json_t *seen = load_seen(g);
	if (seen) {
		json_decref(seen);
		return;
	}
	seen = json_object();
	for (size_t i = 0; i < g->cs.n; i++) {
		struct stat st;
		int found = stat_beneath(g->project_fd, g->cs.c[i].path, &st);
		json_object_set_new(seen, g->cs.c[i].path, stat_json(found, &st));
	}
	char *path = xasprintf("%s/" GATE_SEEN, g->dir);
	char *tmp = xasprintf("%s.tmp", path);
	if (json_dump_file(seen, tmp, JSON_COMPACT) == 0)
		rename(tmp, path);
	free(tmp);
	free(path);
	json_decref(seen);
}

/* The agent's version of a path is safe to write only if the project still holds what the
 * session saw there: same file (inode, size, times) as when the command exited, and not
 * touched by anyone since the session started (ctime cannot be set back by anyone). */
static int cmp_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct change *)elem)->path);
}

/* Below a file the session turned into a directory, the project has nothing yet. */
static bool under_replaced_file(const struct gate_session *g, const char *path)
{
	char *p = xstrdup(path);
	bool yes = false;
	for (char *s = strrchr(p, '/'); s && !yes; s = strrchr(p, '/')) {
		*s = '\0';
		const struct change *c = bsearch(p, g->cs.c, g->cs.n, sizeof *g->cs.c, cmp_path);
		yes = c && S_ISDIR(c->mode) && c->lower_mode && !S_ISDIR(c->lower_mode);
	}
	free(p);
	return yes;
}

static char *conflict_of(const struct gate_session *g, const struct change *c, json_t *seen)
{
	struct stat st;
	int found = stat_beneath(g->project_fd, c->path, &st);
	if (found < 0 && errno == ENOTDIR && under_replaced_file(g, c->path))
		found = 0;
	if (found < 0)
		return xstrdup("a directory on the way is now a symlink or a file in the project");
	json_t *was = json_object_get(seen, c->path);
	if (was) {
		json_t *now = stat_json(found, &st);
		json_object_del(was, "mode");
		json_object_del(now, "mode");
		bool same = json_equal(was, now);
		json_decref(now);
		if (!same)
			return xstrdup("the project's copy changed after the session ended");
		if (json_integer_value(json_object_get(was, "ctime_ns")) >= g->t0_ns &&
		    json_is_true(json_object_get(was, "exists")) && !S_ISDIR(st.st_mode))
			return xstrdup("the project's copy changed while the session ran");
	}
	if (found && ns_of(st.st_ctim) >= g->t0_ns) {
		/* A directory's ctime moves whenever an entry is added or removed: that matters
		 * only when apply would remove the directory or replace its contents. */
		if (S_ISDIR(st.st_mode) && c->kind == CHANGE_MODE)
			return NULL;
		if (S_ISDIR(st.st_mode) && S_ISDIR(c->mode) && !c->opaque)
			return NULL;
		return xstrdup("the project's copy changed after the session started");
	}
	return NULL;
}

static bool path_applied(json_t *applied, const char *path)
{
	size_t i;
	json_t *v;
	json_array_foreach(applied, i, v) if (json_string_value(v) &&
					      !strcmp(json_string_value(v), path)) return true;
	return false;
}

static void load_expect(json_t *meta, struct review_policy *rp)
{
	memset(rp, 0, sizeof *rp);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(meta, "expect"), i, v) if (json_is_string(v))
		strv_push(&rp->expect.sv, json_string_value(v));
}

int gate_review(struct gate_session *g, char **err)
{
	changes_free(&g->cs);
	g->n_findings = g->n_high = g->n_conflicts = 0;
	if (g->upper_fd < 0)
		return 0; /* discarded: nothing left */
	if (changes_collect(g->upper_fd, g->project_fd, &g->cs, err) < 0)
		return -1;
	changes_pair_renames(&g->cs, g->upper_fd, g->project_fd);
	struct review_policy rp;
	load_expect(g->meta, &rp);
	struct rules_ctx ctx = {.upper_fd = g->upper_fd, .lower_fd = g->project_fd, .rp = &rp};
	json_t *seen = load_seen(g);
	json_t *applied = json_object_get(g->meta, "applied");
	for (size_t i = 0; i < g->cs.n; i++) {
		struct change *c = &g->cs.c[i];
		c->applied = path_applied(applied, c->path);
		if (c->applied)
			continue;
		rules_check(c, &ctx);
		c->conflict = conflict_of(g, c, seen);
		g->n_findings += c->nf;
		g->n_high += change_max_sev(c) == SEV_HIGH;
		g->n_conflicts += c->conflict != NULL;
	}
	json_decref(seen);
	strv_free(&rp.expect.sv);
	return 0;
}

bool gate_accepted(const struct strv *accept, const struct change *c, const struct finding *f)
{
	for (size_t i = 0; i < accept->n; i++) {
		const char *a = accept->v[i];
		size_t n = strlen(a);
		if (!strcmp(a, f->rule) || !strcmp(a, c->path))
			return true;
		if (n && a[n - 1] == '/' && !strncmp(c->path, a, n))
			return true;
	}
	return false;
}

/* Names and symlink targets come from the agent: a file called "\033[2K\rA  README" must not
 * rewrite the reviewer's screen, and a newline in a name must not forge a line. */
void gate_put_escaped(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

void gate_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = NULL;
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	gate_put_escaped(line);
	putchar('\n');
	free(line);
}

static const char *type_name(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "symlink" : S_ISFIFO(m) ? "fifo"
	       : S_ISSOCK(m) ? "socket" : S_ISCHR(m) ? "char-device" : S_ISBLK(m) ? "block-device"
						     : "none";
}

static char kind_letter(const struct change *c)
{
	if (c->rename_from)
		return 'R';
	return "AMDm"[c->kind];
}

char *gate_summary(const struct gate_session *g)
{
	size_t n = 0;
	for (size_t i = 0; i < g->cs.n; i++)
		n += !g->cs.c[i].applied && !g->cs.c[i].renamed_away;
	char conflicts[48] = "";
	if (g->n_conflicts)
		snprintf(conflicts, sizeof conflicts, ", %zu conflict%s", g->n_conflicts,
			 g->n_conflicts == 1 ? "" : "s");
	return xasprintf("%zu change%s, %zu finding%s (%zu high)%s", n, n == 1 ? "" : "s",
			 g->n_findings, g->n_findings == 1 ? "" : "s", g->n_high, conflicts);
}

void gate_print_review(const struct gate_session *g, bool verbose)
{
	char *sum = gate_summary(g);
	gate_say("session %s  project %s  %s: %s", g->id, g->project, g->state, sum);
	free(sum);
	for (size_t i = 0; i < g->cs.n; i++) {
		const struct change *c = &g->cs.c[i];
		if (c->applied || c->renamed_away)
			continue;
		const char *dir = S_ISDIR(c->mode) || (!c->mode && S_ISDIR(c->lower_mode)) ? "/" : "";
		if (c->rename_from)
			gate_say("R  %s -> %s", c->rename_from, c->path);
		else if (c->kind == CHANGE_MODE)
			gate_say("m  %s%s  (mode %04o -> %04o)", c->path, dir, c->lower_mode & 07777,
			       c->mode & 07777);
		else if (c->kind == CHANGE_MODIFIED &&
			 (c->lower_mode & S_IFMT) != (c->mode & S_IFMT))
			gate_say("M  %s%s  (%s -> %s)", c->path, dir, type_name(c->lower_mode),
			       type_name(c->mode));
		else
			gate_say("%c  %s%s%s", kind_letter(c), c->path, dir,
			       c->opaque ? "  (replaced as a whole)" : "");
		for (size_t j = 0; j < c->nf; j++)
			if (verbose || c->f[j].sev >= SEV_MEDIUM)
				gate_say("     %-6s %-18s %s", finding_sev_name(c->f[j].sev),
				       c->f[j].rule, c->f[j].reason);
		if (c->conflict)
			gate_say("     CONFLICT %s", c->conflict);
	}
}

json_t *gate_review_json(const struct gate_session *g)
{
	json_t *changes = json_array();
	for (size_t i = 0; i < g->cs.n; i++) {
		const struct change *c = &g->cs.c[i];
		json_t *f = json_array();
		for (size_t j = 0; j < c->nf; j++)
			json_array_append_new(f, json_pack("{s:s, s:s, s:s}", "rule", c->f[j].rule,
							   "severity",
							   finding_sev_name(c->f[j].sev),
							   "reason", c->f[j].reason));
		char mode[8], lmode[8];
		snprintf(mode, sizeof mode, "%04o", c->mode & 07777);
		snprintf(lmode, sizeof lmode, "%04o", c->lower_mode & 07777);
		json_array_append_new(
			changes,
			json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:s?, s:s?, s:o}",
				  "path", c->path, "kind", change_kind_name(c->kind), "type",
				  type_name(c->mode), "mode", mode, "project_type",
				  type_name(c->lower_mode), "project_mode", lmode, "opaque",
				  c->opaque, "applied", c->applied, "renamed_away", c->renamed_away,
				  "rename_from", c->rename_from, "conflict", c->conflict,
				  "findings", f));
	}
	return json_pack("{s:s, s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I}}", "session", g->id,
			 "project", g->project, "state", g->state, "changes", changes, "summary",
			 "changes", (json_int_t)g->cs.n, "findings", (json_int_t)g->n_findings,
			 "high", (json_int_t)g->n_high, "conflicts", (json_int_t)g->n_conflicts);
}
