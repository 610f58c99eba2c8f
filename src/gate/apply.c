/* Apply: make each selected path of the real project what the session's upper dir holds.
 *
 * Crash safety. The selected paths go to a journal (apply.journal, written and synced before
 * the project is touched). Every step below is idempotent and derived again from the upper dir
 * and the project, so running apply after a crash at any point simply does the journal again:
 *   1. prepare: create directories; write each file's new contents to a temporary file in its
 *      target directory (".brig-apply.NAME"), with its final mode;
 *   2. syncfs: the new contents are on disk before any of them becomes visible;
 *   3. commit: rename each temporary file over its target, remove deleted paths, set directory
 *      modes; syncfs again;
 *   4. record the paths as applied in meta.json, then remove the journal.
 * A reader never sees a half-written file: a target is either the old file or the new one.
 *
 * Symlinks. Every path is opened beneath the project root with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS): a symlink the agent planted (or one the project had) is never followed,
 * so nothing is ever written outside the project. */
#include "gate/apply.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/gate_paths.h"
#include "session/session.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/json_strv.h"

int gate_remove_tree(int dfd, const char *name)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	/* A directory the agent made unreadable (mode 000) must still go. */
	if ((st.st_mode & 0700) != 0700)
		fchmodat(dfd, name, (st.st_mode & 07777) | 0700, 0);
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	struct strv names = {0};
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(&names, de->d_name);
	for (size_t i = 0; i < names.n && rc == 0; i++)
		rc = gate_remove_tree(dirfd(d), names.v[i]);
	strv_free(&names);
	closedir(d);
	if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

struct applier {
	struct gate_session *g;
	int backup_fd; /* SESSION/backup, or -1: no rollback possible */
	size_t i;      /* index of the current path in the journal: its backup's name */
	char *err;     /* first error */
};

static void fail(struct applier *a, const char *path, const char *what)
{
	if (!a->err)
		a->err = xasprintf("%s: %s: %s", path, what, strerror(errno));
}

static char *parent_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? xstrndup(path, (size_t)(s - path)) : xstrdup(".");
}

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* The temporary name next to the target; long names are shortened to a hash. */
static char *tmp_name(const char *base)
{
	if (strlen(base) + sizeof GATE_TMP_PREFIX <= 255)
		return xasprintf(GATE_TMP_PREFIX "%s", base);
	unsigned long long h = 1469598103934665603ULL;
	for (const char *p = base; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return xasprintf(GATE_TMP_PREFIX "%016llx", h);
}

/* The upper's entry at path: 1 present (st filled), 0 absent or a whiteout (a deletion). */
static int upper_entry(struct applier *a, const char *path, struct stat *st)
{
	char *parent = parent_of(path);
	int pfd = gate_open_beneath(a->g->upper_fd, parent, O_PATH | O_DIRECTORY, 0);
	free(parent);
	if (pfd < 0)
		return 0;
	int rc = fstatat(pfd, base_of(path), st, AT_SYMLINK_NOFOLLOW);
	close(pfd);
	if (rc < 0)
		return 0;
	return !gate_is_whiteout(st);
}

/* Opens the project directory that holds path, creating missing directories with the modes
 * they have in the upper dir. -1 when a component is a symlink or not a directory. */
static int project_parent(struct applier *a, const char *path)
{
	char *parent = parent_of(path);
	int fd = gate_open_beneath(a->g->project_fd, parent, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0 || errno != ENOENT) {
		if (fd < 0)
			fail(a, parent, "not a plain directory in the project (a symlink on the way?)");
		free(parent);
		return fd;
	}
	/* Create from the top, one component at a time. */
	for (char *s = parent;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		struct stat ust;
		mode_t mode = upper_entry(a, parent, &ust) && S_ISDIR(ust.st_mode) ? ust.st_mode & 0777
										  : 0755;
		char *up = parent_of(parent);
		int ufd = gate_open_beneath(a->g->project_fd, up, O_PATH | O_DIRECTORY, 0);
		if (ufd < 0 || (mkdirat(ufd, base_of(parent), mode) < 0 && errno != EEXIST)) {
			fail(a, parent, "cannot create the directory");
			if (ufd >= 0)
				close(ufd);
			free(up);
			free(parent);
			return -1;
		}
		close(ufd);
		free(up);
		*s = saved;
		if (!saved)
			break;
	}
	fd = gate_open_beneath(a->g->project_fd, parent, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		fail(a, parent, "cannot open the directory");
	free(parent);
	return fd;
}

static int copy_data(int in, int out)
{
	static char buf[1 << 17];
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n == 0)
			return 0;
		if (n < 0)
			return -1;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0)
				return -1;
			off += w;
		}
	}
}

static bool is_metacopy(struct applier *a, const char *path)
{
	int fd = gate_open_beneath(a->g->upper_fd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	char v[1];
	bool meta = fd >= 0 && gate_overlay_xattr(fd, "metacopy", v, 0) >= 0;
	if (fd >= 0)
		close(fd);
	return meta;
}

static void write_tmp_file(struct applier *a, int pfd, const char *tmp, const char *path,
			   mode_t mode)
{
	int in = gate_open_beneath(a->g->upper_fd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	if (in < 0) {
		fail(a, path, "cannot read the session's copy");
		return;
	}
	int out = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0 || copy_data(in, out) < 0 || fchmod(out, mode & 07777) < 0)
		fail(a, path, "cannot write the temporary copy");
	if (out >= 0)
		close(out);
	close(in);
}

/* Backups make an interrupted apply reversible (`brig apply --rollback`). Each original is kept
 * under SESSION/backup/N (N: its index in the journal) by a hard link or a rename, never a copy,
 * and only the first time: once backup/N exists, what the project holds at that path is no longer
 * the original. The session directory must share the project's filesystem; where it does not,
 * apply goes on without backups and rollback is refused. */
static bool have_backup(struct applier *a)
{
	char name[32];
	struct stat st;
	snprintf(name, sizeof name, "%zu", a->i);
	return a->backup_fd >= 0 && fstatat(a->backup_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A backup that could not be made (another mount of the same filesystem, a file whose links are
 * protected): rollback must say so rather than leave the new version in silence. */
static void backup_lost(struct applier *a)
{
	char name[40];
	snprintf(name, sizeof name, "%zu.lost", a->i);
	int fd = openat(a->backup_fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

/* Keeps the original non-directory at pfd/base (it stays in place). */
static void backup_link(struct applier *a, int pfd, const char *base)
{
	char name[32];
	snprintf(name, sizeof name, "%zu", a->i);
	if (a->backup_fd >= 0 && !have_backup(a) && linkat(pfd, base, a->backup_fd, name, 0) < 0)
		backup_lost(a);
}

/* Moves the original at pfd/base (a whole tree if a directory) into the backup, or removes it
 * when it cannot be kept. */
static int backup_or_remove(struct applier *a, int pfd, const char *base)
{
	char name[32];
	snprintf(name, sizeof name, "%zu", a->i);
	if (a->backup_fd >= 0 && !have_backup(a)) {
		if (renameat(pfd, base, a->backup_fd, name) == 0)
			return 0;
		if (errno != ENOENT)
			backup_lost(a);
	}
	return gate_remove_tree(pfd, base);
}

/* Step 1 for one path. */
static void prepare(struct applier *a, const char *path)
{
	struct stat ust;
	if (!upper_entry(a, path, &ust))
		return; /* a deletion: nothing to prepare */
	int pfd = project_parent(a, path);
	if (pfd < 0)
		return;
	const char *base = base_of(path);
	struct stat rst;
	bool have = fstatat(pfd, base, &rst, AT_SYMLINK_NOFOLLOW) == 0;
	if (S_ISDIR(ust.st_mode)) {
		if (have && !S_ISDIR(rst.st_mode) && backup_or_remove(a, pfd, base) < 0)
			fail(a, path, "cannot remove the file the directory replaces");
		if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
			fail(a, path, "cannot create the directory");
		close(pfd);
		return;
	}
	char *tmp = tmp_name(base);
	/* A leftover from an interrupted apply is ours: start it again. */
	if (unlinkat(pfd, tmp, 0) < 0 && errno != ENOENT)
		fail(a, path, "cannot remove an old temporary file");
	if (S_ISREG(ust.st_mode)) {
		if (is_metacopy(a, path)) {
			/* Only the mode changed; the data never left the project. */
		} else {
			write_tmp_file(a, pfd, tmp, path, ust.st_mode);
		}
	} else if (S_ISLNK(ust.st_mode)) {
		char *target = gate_readlinkat_beneath(a->g->upper_fd, path);
		if (!target || symlinkat(target, pfd, tmp) < 0)
			fail(a, path, "cannot create the symlink");
		free(target);
	} else if (mknodat(pfd, tmp, ust.st_mode, ust.st_rdev) < 0) {
		fail(a, path, "cannot create the special file");
	}
	free(tmp);
	close(pfd);
}

/* Step 3 for one path. */
static void commit(struct applier *a, const char *path)
{
	struct stat ust;
	bool present = upper_entry(a, path, &ust);
	char *parent = parent_of(path);
	int pfd = gate_open_beneath(a->g->project_fd, parent, O_PATH | O_DIRECTORY, 0);
	free(parent);
	if (pfd < 0) {
		if (!present && errno == ENOENT)
			return; /* deleting something whose directory is gone already */
		fail(a, path, "cannot open its directory in the project");
		return;
	}
	const char *base = base_of(path);
	struct stat rst;
	bool have = fstatat(pfd, base, &rst, AT_SYMLINK_NOFOLLOW) == 0;
	if (!present) {
		if (backup_or_remove(a, pfd, base) < 0)
			fail(a, path, "cannot delete");
	} else if (S_ISDIR(ust.st_mode)) {
		int dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0 || fchmod(dfd, ust.st_mode & 07777) < 0)
			fail(a, path, "cannot set the directory's mode");
		if (dfd >= 0)
			close(dfd);
	} else if (S_ISREG(ust.st_mode) && is_metacopy(a, path)) {
		int fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || fchmod(fd, ust.st_mode & 07777) < 0)
			fail(a, path, "cannot set the mode");
		if (fd >= 0)
			close(fd);
	} else {
		char *tmp = tmp_name(base);
		if (have && S_ISDIR(rst.st_mode) && backup_or_remove(a, pfd, base) < 0)
			fail(a, path, "cannot remove the directory the file replaces");
		else if (have && !S_ISDIR(rst.st_mode))
			backup_link(a, pfd, base);
		struct stat tst;
		if (fstatat(pfd, tmp, &tst, AT_SYMLINK_NOFOLLOW) < 0) {
			/* Renamed already by an earlier run that stopped before the journal was
			 * cleared; prepare() always recreates it, so this is a real error. */
			fail(a, path, "temporary copy missing");
		} else if (renameat(pfd, tmp, pfd, base) < 0) {
			fail(a, path, "cannot rename the temporary copy into place");
		}
		free(tmp);
	}
	close(pfd);
}

static char *journal_path(const struct gate_session *g)
{
	return xasprintf("%s/" GATE_JOURNAL, g->dir);
}

static int fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* The project's entry at path (never through a symlink): its mode, or 0 when absent. */
static mode_t project_mode(const struct gate_session *g, const char *path)
{
	char *parent = parent_of(path);
	int pfd = gate_open_beneath(g->project_fd, parent, O_PATH | O_DIRECTORY, 0);
	free(parent);
	struct stat st;
	mode_t m = pfd >= 0 && fstatat(pfd, base_of(path), &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_mode
											     : 0;
	if (pfd >= 0)
		close(pfd);
	return m;
}

static char *backup_path(const struct gate_session *g)
{
	return xasprintf("%s/backup", g->dir);
}

/* SESSION/backup when the session directory is on the project's filesystem, else -1. */
static int open_backup(const struct gate_session *g, bool create)
{
	struct stat a, b;
	if (fstat(g->project_fd, &a) < 0 || stat(g->dir, &b) < 0 || a.st_dev != b.st_dev)
		return -1;
	char *path = backup_path(g);
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST) {
		free(path);
		return -1;
	}
	int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	return fd;
}

static int write_journal(const struct gate_session *g, const struct strv *paths)
{
	json_t *list = json_array(), *modes = json_array();
	for (size_t i = 0; i < paths->n; i++) {
		json_array_append_new(list, json_string(paths->v[i]));
		/* What each path was before this apply: rollback's reference. */
		json_array_append_new(modes, json_integer(project_mode(g, paths->v[i])));
	}
	int bfd = open_backup(g, true);
	json_t *j = json_pack("{s:s, s:o, s:o, s:b}", "session", g->id, "paths", list, "modes",
			      modes, "backup", bfd >= 0);
	if (bfd >= 0)
		close(bfd);
	char *path = journal_path(g);
	char *tmp = xasprintf("%s.tmp", path);
	int rc = json_dump_file(j, tmp, JSON_COMPACT);
	if (rc == 0)
		rc = fsync_path(tmp, O_RDONLY);
	if (rc == 0)
		rc = rename(tmp, path);
	if (rc == 0)
		rc = fsync_path(g->dir, O_RDONLY | O_DIRECTORY);
	json_decref(j);
	free(tmp);
	free(path);
	return rc;
}

static int sync_project(struct gate_session *g)
{
	int fd = openat(g->project_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 ? -1 : syncfs(fd);
	if (fd >= 0)
		close(fd);
	return rc;
}

static void mark_applied(struct gate_session *g, const struct strv *paths)
{
	json_t *applied = json_deep_copy(json_object_get(g->meta, "applied"));
	if (!json_is_array(applied)) {
		json_decref(applied);
		applied = json_array();
	}
	for (size_t i = 0; i < paths->n; i++)
		json_array_append_new(applied, json_string(paths->v[i]));
	session_meta_set(g->dir, json_pack("{s:O}", "applied", applied));
	json_object_set_new(g->meta, "applied", applied);
}

/* Steps 1-4 for a journaled list of paths. */
static void remove_backups(struct gate_session *g)
{
	int dfd = open(g->dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0) {
		gate_remove_tree(dfd, "backup");
		close(dfd);
	}
}

static int run_journal(struct gate_session *g, const struct strv *paths, char **err)
{
	struct applier a = {.g = g, .backup_fd = open_backup(g, false)};
	for (a.i = 0; a.i < paths->n && !a.err; a.i++)
		prepare(&a, paths->v[a.i]);
	if (!a.err && sync_project(g) < 0)
		fail(&a, g->project, "syncfs");
	/* Deepest first, so a directory is emptied before its own deletion or mode change. */
	for (a.i = paths->n; a.i-- > 0 && !a.err;)
		commit(&a, paths->v[a.i]);
	if (a.backup_fd >= 0)
		close(a.backup_fd);
	if (!a.err && sync_project(g) < 0)
		fail(&a, g->project, "syncfs");
	if (a.err) {
		*err = a.err;
		return -1;
	}
	mark_applied(g, paths);
	char *jp = journal_path(g);
	unlink(jp);
	free(jp);
	fsync_path(g->dir, O_RDONLY | O_DIRECTORY);
	/* Only now: with the journal gone, nothing can roll this apply back any more. */
	remove_backups(g);
	return 0;
}

/* An apply that was interrupted: do its journal again. 1 done, 0 none, -1 error. */
static int resume(struct gate_session *g, char **err)
{
	char *jp = journal_path(g);
	json_t *j = json_load_file(jp, 0, NULL);
	free(jp);
	if (!j)
		return 0;
	struct strv paths = {0};
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "paths"), i, v) if (json_is_string(v))
		strv_push(&paths, json_string_value(v));
	json_decref(j);
	int rc = run_journal(g, &paths, err);
	if (rc == 0)
		printf("completed an interrupted apply of %zu path%s\n", paths.n,
		       paths.n == 1 ? "" : "s");
	strv_free(&paths);
	return rc < 0 ? -1 : 1;
}

/* Undoes an interrupted apply from its journal: what it added is removed (deepest first), each
 * original comes back from the backup (shallowest first), directory modes are set back. Every
 * step can be repeated, so an interrupted rollback is finished by running it again (or the
 * apply completed instead: `brig apply` works from any point too). */
static int rollback(struct gate_session *g, json_t *j)
{
	json_t *paths = json_object_get(j, "paths"), *modes = json_object_get(j, "modes");
	size_t n = json_array_size(paths);
	if (!json_is_true(json_object_get(j, "backup")) || json_array_size(modes) != n) {
		log_err("this apply kept no backups (the session directory is not on the project's "
			"filesystem): it cannot be rolled back; run brig apply %s to complete it",
			g->id);
		return -1;
	}
	int bfd = open_backup(g, false);
	struct applier a = {.g = g, .backup_fd = bfd};
	size_t nlost = 0;
	for (size_t i = 0; i < n; i++) { /* temporary copies */
		const char *path = json_string_value(json_array_get(paths, i));
		char *parent = parent_of(path), *tmp = tmp_name(base_of(path));
		int pfd = gate_open_beneath(g->project_fd, parent, O_PATH | O_DIRECTORY, 0);
		if (pfd >= 0) {
			unlinkat(pfd, tmp, 0);
			close(pfd);
		}
		free(parent);
		free(tmp);
	}
	for (size_t i = n; i-- > 0 && !a.err;) { /* what the apply added */
		const char *path = json_string_value(json_array_get(paths, i));
		if (json_integer_value(json_array_get(modes, i)))
			continue;
		char *parent = parent_of(path);
		int pfd = gate_open_beneath(g->project_fd, parent, O_PATH | O_DIRECTORY, 0);
		free(parent);
		if (pfd >= 0 && gate_remove_tree(pfd, base_of(path)) < 0)
			fail(&a, path, "cannot remove");
		if (pfd >= 0)
			close(pfd);
	}
	for (a.i = 0; a.i < n && !a.err; a.i++) { /* the originals */
		const char *path = json_string_value(json_array_get(paths, a.i));
		mode_t mode = (mode_t)json_integer_value(json_array_get(modes, a.i));
		if (!mode)
			continue;
		char *parent = parent_of(path);
		int pfd = gate_open_beneath(g->project_fd, parent, O_PATH | O_DIRECTORY, 0);
		free(parent);
		if (pfd < 0) {
			fail(&a, path, "cannot open its directory in the project");
			break;
		}
		const char *base = base_of(path);
		char name[32], lost[40];
		snprintf(name, sizeof name, "%zu", a.i);
		snprintf(lost, sizeof lost, "%zu.lost", a.i);
		struct stat cur, bst;
		if (bfd >= 0 && fstatat(bfd, lost, &bst, 0) == 0 &&
		    fstatat(bfd, name, &bst, AT_SYMLINK_NOFOLLOW) < 0) {
			gate_say("cannot restore %s: no backup could be kept of it", path);
			nlost++;
			close(pfd);
			continue;
		}
		bool now = fstatat(pfd, base, &cur, AT_SYMLINK_NOFOLLOW) == 0;
		if (bfd >= 0 && fstatat(bfd, name, &bst, AT_SYMLINK_NOFOLLOW) == 0) {
			/* rename() replaces a file atomically but not a directory or a file by one. */
			if (now && (S_ISDIR(cur.st_mode) || S_ISDIR(bst.st_mode)))
				gate_remove_tree(pfd, base);
			if (renameat(bfd, name, pfd, base) < 0)
				fail(&a, path, "cannot restore the original");
		} else if (now && S_ISDIR(mode) && S_ISDIR(cur.st_mode)) {
			int dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (dfd < 0 || fchmod(dfd, mode & 07777) < 0)
				fail(&a, path, "cannot set the directory's mode back");
			if (dfd >= 0)
				close(dfd);
		}
		close(pfd);
	}
	if (bfd >= 0)
		close(bfd);
	if (!a.err && sync_project(g) < 0)
		fail(&a, g->project, "syncfs");
	if (a.err) {
		log_err("rollback stopped: %s (fix the cause and run brig apply --rollback %s again)",
			a.err, g->id);
		free(a.err);
		return -1;
	}
	char *jp = journal_path(g);
	unlink(jp);
	free(jp);
	fsync_path(g->dir, O_RDONLY | O_DIRECTORY);
	remove_backups(g);
	session_event_dir(g->dir, json_pack("{s:s, s:I}", "event", "apply-rollback", "paths",
					    (json_int_t)n));
	if (nlost) {
		printf("rolled back the interrupted apply of %zu paths except the %zu above\n", n,
		       nlost);
		return 1;
	}
	printf("rolled back the interrupted apply of %zu path%s: %s is as it was before it\n", n,
	       n == 1 ? "" : "s", g->project);
	return 0;
}

static int do_rollback(struct gate_session *g)
{
	char *jp = journal_path(g);
	json_t *j = json_load_file(jp, 0, NULL);
	free(jp);
	if (!j) {
		log_err("session %s has no interrupted apply to roll back (brig apply --rollback "
			"undoes an apply that was interrupted; a finished one is in the project)",
			g->id);
		return BRIG_EXIT_FAIL;
	}
	int rc = rollback(g, j);
	json_decref(j);
	return rc < 0 ? BRIG_EXIT_FAIL : rc;
}

static bool selected(const struct apply_opts *o, const char *path)
{
	if (!o->paths.n)
		return true;
	for (size_t i = 0; i < o->paths.n; i++) {
		size_t n = strlen(o->paths.v[i]);
		if (!strcmp(o->paths.v[i], ".") ||
		    (!strncmp(path, o->paths.v[i], n) && (path[n] == '\0' || path[n] == '/')))
			return true;
	}
	return false;
}

/* Why c is held back, or NULL. */
static char *held_back(const struct apply_opts *o, const struct change *c)
{
	if (c->conflict)
		return xasprintf("conflict: %s", c->conflict);
	for (size_t i = 0; i < c->nf; i++)
		if (c->f[i].sev == SEV_HIGH && !gate_accepted(&o->accept, c, &c->f[i]))
			return xasprintf("%s: %s (to apply it: --accept %s or --accept %s)",
					 c->f[i].rule, c->f[i].reason, c->f[i].rule, c->path);
	return NULL;
}


static bool pending(const struct gate_session *g, const struct strv *batch)
{
	for (size_t i = 0; i < g->cs.n; i++)
		if (!g->cs.c[i].applied && !strv_contains(batch, g->cs.c[i].path))
			return true;
	return false;
}

int gate_apply(struct gate_session *g, const struct apply_opts *o)
{
	char *err = NULL;
	int lock = session_lock(g->dir, &err);
	if (lock < 0) {
		log_err("%s", err);
		free(err);
		return BRIG_EXIT_FAIL;
	}
	int rc = BRIG_EXIT_FAIL;
	if (!strcmp(g->state, "discarded")) {
		log_err("session %s was discarded: nothing to apply", g->id);
		goto out;
	}
	if (session_running(g->meta)) {
		log_err("session %s is still running: apply once its command has exited", g->id);
		goto out;
	}
	if (o->rollback) {
		rc = do_rollback(g);
		goto out;
	}
	if (!o->dry_run && resume(g, &err) < 0) {
		log_err("could not complete the interrupted apply: %s (fix the cause and run brig "
			"apply %s again)",
			err, g->id);
		goto out;
	}
	if (gate_review(g, &err) < 0) {
		log_err("%s", err);
		goto out;
	}
	gate_record_seen(g);
	struct strv batch = {0};
	size_t held = 0;
	for (size_t i = 0; i < g->cs.n; i++) {
		struct change *c = &g->cs.c[i];
		if (c->applied || !selected(o, c->path))
			continue;
		char *why = held_back(o, c);
		if (why) {
			if (!held++)
				printf("held back:\n");
			gate_say("  %s  %s", c->path, why);
			free(why);
			continue;
		}
		strv_push(&batch, c->path);
	}
	if (o->dry_run) {
		for (size_t i = 0; i < batch.n; i++)
			gate_say("would apply %s", batch.v[i]);
		rc = held ? 1 : 0;
	} else if (batch.n && (remove_backups(g), write_journal(g, &batch) < 0)) {
		log_errno("cannot write the apply journal in %s", g->dir);
	} else if (batch.n && run_journal(g, &batch, &err) < 0) {
		log_err("apply stopped: %s (the journal keeps the rest: fix the cause and run brig "
			"apply %s again)",
			err, g->id);
	} else if (!batch.n && !held) {
		printf("session %s: nothing left to apply\n", g->id);
		if (strcmp(g->state, "applied"))
			session_meta_set(g->dir, json_pack("{s:s}", "state", "applied"));
		rc = 0;
	} else {
		printf("applied %zu change%s to %s%s\n", batch.n, batch.n == 1 ? "" : "s",
		       g->project, held ? "; the changes held back above were not" : "");
		json_t *paths = json_from_strv(&batch);
		session_event_dir(g->dir, json_pack("{s:s, s:o, s:I, s:o}", "event", "apply",
						    "paths", paths, "held_back", (json_int_t)held,
						    "accepted", json_from_strv(&o->accept)));
		if (!pending(g, &batch))
			session_meta_set(g->dir, json_pack("{s:s}", "state", "applied"));
		rc = held ? 1 : 0;
	}
	strv_free(&batch);
out:
	free(err);
	close(lock);
	return rc;
}

int gate_discard(struct gate_session *g)
{
	char *err = NULL;
	int lock = session_lock(g->dir, &err);
	if (lock < 0) {
		log_err("%s", err);
		free(err);
		return BRIG_EXIT_FAIL;
	}
	int rc = BRIG_EXIT_FAIL;
	char *jp = journal_path(g);
	if (session_running(g->meta)) {
		log_err("session %s is still running: discard once its command has exited", g->id);
	} else if (access(jp, F_OK) == 0) {
		log_err("session %s has an interrupted apply: run brig apply %s to complete it first",
			g->id, g->id);
	} else {
		int dfd = open(g->dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0 || gate_remove_tree(dfd, GATE_UPPER) < 0 ||
		    gate_remove_tree(dfd, GATE_WORK) < 0) {
			log_errno("cannot remove the changes in %s", g->dir);
		} else {
			session_meta_set(g->dir, json_pack("{s:s}", "state", "discarded"));
			session_event_dir(g->dir, json_pack("{s:s}", "event", "discard"));
			printf("discarded session %s: the project %s is unchanged\n", g->id,
			       g->project);
			rc = 0;
		}
		if (dfd >= 0)
			close(dfd);
	}
	free(jp);
	close(lock);
	return rc;
}
