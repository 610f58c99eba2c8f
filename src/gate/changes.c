#include "gate/changes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/xalloc.h"

const char *change_kind_name(enum change_kind k)
{
	static const char *const names[] = {[CHANGE_ADDED] = "added",
					    [CHANGE_MODIFIED] = "modified",
					    [CHANGE_DELETED] = "deleted",
					    [CHANGE_MODE] = "mode"};
	return names[k];
}

const char *finding_sev_name(enum finding_sev s)
{
	static const char *const names[] = {[SEV_LOW] = "low", [SEV_MEDIUM] = "medium",
					    [SEV_HIGH] = "high"};
	return names[s];
}

void change_add_finding(struct change *c, const char *rule, enum finding_sev sev, char *reason)
{
	c->f = xreallocarray(c->f, c->nf + 1, sizeof *c->f);
	c->f[c->nf++] = (struct finding){.rule = rule, .sev = sev, .reason = reason};
}

int change_max_sev(const struct change *c)
{
	int m = -1;
	for (size_t i = 0; i < c->nf; i++)
		if ((int)c->f[i].sev > m)
			m = (int)c->f[i].sev;
	return m;
}

int gate_open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

char *gate_readlinkat(int dirfd, const char *path)
{
	size_t cap = 256;
	for (;;) {
		char *buf = xmalloc(cap);
		ssize_t n = readlinkat(dirfd, path, buf, cap);
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if ((size_t)n < cap) {
			buf[n] = '\0';
			return buf;
		}
		free(buf);
		cap *= 4;
	}
}

char *gate_readlinkat_beneath(int root, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return gate_readlinkat(root, path);
	char *parent = xstrndup(path, (size_t)(slash - path));
	int pfd = gate_open_beneath(root, parent, O_PATH | O_DIRECTORY, 0);
	free(parent);
	if (pfd < 0)
		return NULL;
	char *target = gate_readlinkat(pfd, slash + 1);
	close(pfd);
	return target;
}

static bool same_fds(int a, int b)
{
	static char ba[65536], bb[65536];
	for (;;) {
		ssize_t na = read(a, ba, sizeof ba);
		if (na < 0)
			return false;
		size_t got = 0;
		while (got < (size_t)na) {
			ssize_t nb = read(b, bb + got, (size_t)na - got);
			if (nb <= 0)
				return false;
			got += (size_t)nb;
		}
		if (memcmp(ba, bb, (size_t)na))
			return false;
		if (na == 0)
			return read(b, bb, 1) == 0;
	}
}

bool gate_same_contents(int dfd_a, const char *a, int dfd_b, const char *b)
{
	int fa = openat(dfd_a, a, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int fb = fa < 0 ? -1 : openat(dfd_b, b, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	bool same = fb >= 0 && same_fds(fa, fb);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

bool gate_is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

ssize_t gate_overlay_xattr(int fd, const char *x, char *buf, size_t n)
{
	char name[64];
	snprintf(name, sizeof name, "trusted.overlay.%s", x);
	ssize_t r = fgetxattr(fd, name, buf, n);
	if (r >= 0)
		return r;
	snprintf(name, sizeof name, "user.overlay.%s", x);
	return fgetxattr(fd, name, buf, n);
}

static bool xattr_is_y(int fd, const char *x)
{
	char v[4];
	ssize_t n = gate_overlay_xattr(fd, x, v, sizeof v);
	return n == 1 && v[0] == 'y';
}

static struct change *add(struct changeset *cs, const char *path, enum change_kind kind,
			  const struct stat *ust, const struct stat *lst)
{
	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 64;
		cs->c = xreallocarray(cs->c, cs->cap, sizeof *cs->c);
	}
	struct change *c = &cs->c[cs->n++];
	memset(c, 0, sizeof *c);
	c->path = xstrdup(path);
	c->kind = kind;
	if (ust) {
		c->mode = ust->st_mode;
		c->size = ust->st_size;
		c->rdev = ust->st_rdev;
	}
	if (lst) {
		c->lower_mode = lst->st_mode;
		c->lower_size = lst->st_size;
	}
	return c;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entry names of an open directory, sorted, without "." and "..". */
static int read_names(int dfd, struct strv *names)
{
	int dup_fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(names, de->d_name);
	closedir(d);
	if (names->n)
		qsort(names->v, names->n, sizeof *names->v, cmp_name);
	return 0;
}

struct walk {
	struct changeset *cs;
	char **err;
};

static bool perms_differ(const struct stat *a, const struct stat *b)
{
	return (a->st_mode & 07777) != (b->st_mode & 07777);
}

static void compare_file(struct walk *w, int ufd, int lfd, const char *name, const char *path,
			 const struct stat *ust, const struct stat *lst)
{
	if ((ust->st_mode & S_IFMT) != (lst->st_mode & S_IFMT)) {
		add(w->cs, path, CHANGE_MODIFIED, ust, lst);
		return;
	}
	bool same = false, meta = false;
	if (S_ISREG(ust->st_mode)) {
		int fd = openat(ufd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		char v[1];
		meta = fd >= 0 && gate_overlay_xattr(fd, "metacopy", v, 0) >= 0;
		if (fd >= 0)
			close(fd);
		same = meta || (ust->st_size == lst->st_size &&
				 gate_same_contents(ufd, name, lfd, name));
	} else if (S_ISLNK(ust->st_mode)) {
		char *a = gate_readlinkat(ufd, name), *b = gate_readlinkat(lfd, name);
		same = a && b && !strcmp(a, b);
		free(a);
		free(b);
	} else {
		same = ust->st_rdev == lst->st_rdev;
	}
	if (!same)
		add(w->cs, path, CHANGE_MODIFIED, ust, lst);
	else if (perms_differ(ust, lst))
		add(w->cs, path, CHANGE_MODE, ust, lst)->metacopy = meta;
	/* Otherwise a copy-up without a change (opened for writing, touched): nothing to apply. */
}

static int walk_dir(struct walk *w, int ufd, int lfd, const char *prefix);

/* An opaque directory hides everything the project had in it: each such entry is a deletion. */
static void opaque_deletions(struct walk *w, int ufd, int lfd, const char *prefix)
{
	struct strv names = {0};
	if (lfd < 0 || read_names(lfd, &names) < 0)
		return;
	for (size_t i = 0; i < names.n; i++) {
		struct stat ust, lst;
		if (fstatat(ufd, names.v[i], &ust, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (fstatat(lfd, names.v[i], &lst, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		char *path = xasprintf("%s/%s", prefix, names.v[i]);
		add(w->cs, path, CHANGE_DELETED, NULL, &lst);
		free(path);
	}
	strv_free(&names);
}

static int walk_subdir(struct walk *w, int ufd, int lfd, const char *name, const char *path,
		       const struct stat *ust, const struct stat *lst, bool have_l)
{
	int cufd = openat(ufd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cufd < 0) {
		*w->err = xasprintf("cannot open the session's %s: %s", path, strerror(errno));
		return -1;
	}
	bool lower_dir = have_l && S_ISDIR(lst->st_mode);
	int clfd = lower_dir ? openat(lfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	bool opaque = lower_dir && xattr_is_y(cufd, "opaque");
	bool redirected = gate_overlay_xattr(cufd, "redirect", NULL, 0) >= 0;
	struct change *c = NULL;
	if (!have_l)
		c = add(w->cs, path, CHANGE_ADDED, ust, NULL);
	else if (!lower_dir || opaque)
		c = add(w->cs, path, CHANGE_MODIFIED, ust, lst);
	else if (perms_differ(ust, lst))
		c = add(w->cs, path, CHANGE_MODE, ust, lst);
	if (c)
		c->opaque = opaque;
	if (redirected) {
		/* brig mounts without redirect_dir, so a renamed directory is copied; a redirect
		 * here means the upper dir was made some other way: its contents are not all in
		 * it, and applying it would lose data. */
		c = c ? c : add(w->cs, path, CHANGE_MODIFIED, ust, lst);
		change_add_finding(c, "overlay-redirect", SEV_HIGH,
				   xstrdup("overlay redirect: a renamed directory brig cannot read "
					   "from the upper dir alone"));
	}
	int rc = walk_dir(w, cufd, clfd, path);
	if (rc == 0 && opaque)
		opaque_deletions(w, cufd, clfd, path);
	close(cufd);
	if (clfd >= 0)
		close(clfd);
	return rc;
}

static int walk_dir(struct walk *w, int ufd, int lfd, const char *prefix)
{
	struct strv names = {0};
	if (read_names(ufd, &names) < 0) {
		*w->err = xasprintf("cannot read the session's %s: %s", prefix[0] ? prefix : ".",
				    strerror(errno));
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		const char *name = names.v[i];
		char *path = prefix[0] ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
		struct stat ust, lst;
		if (fstatat(ufd, name, &ust, AT_SYMLINK_NOFOLLOW) < 0) {
			*w->err = xasprintf("cannot stat the session's %s: %s", path,
					    strerror(errno));
			rc = -1;
		} else {
			bool have_l = lfd >= 0 && fstatat(lfd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0;
			if (gate_is_whiteout(&ust)) {
				if (have_l)
					add(w->cs, path, CHANGE_DELETED, NULL, &lst);
			} else if (S_ISDIR(ust.st_mode)) {
				rc = walk_subdir(w, ufd, lfd, name, path, &ust, &lst, have_l);
			} else if (!have_l) {
				add(w->cs, path, CHANGE_ADDED, &ust, NULL);
			} else {
				compare_file(w, ufd, lfd, name, path, &ust, &lst);
			}
		}
		free(path);
	}
	strv_free(&names);
	return rc;
}

static int cmp_change(const void *a, const void *b)
{
	return strcmp(((const struct change *)a)->path, ((const struct change *)b)->path);
}

int changes_collect(int upper_fd, int lower_fd, struct changeset *cs, char **err)
{
	struct walk w = {.cs = cs, .err = err};
	int ufd = openat(upper_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ufd < 0) {
		*err = xasprintf("cannot open the session's upper directory: %s", strerror(errno));
		return -1;
	}
	int rc = walk_dir(&w, ufd, lower_fd, "");
	close(ufd);
	if (cs->n)
		qsort(cs->c, cs->n, sizeof *cs->c, cmp_change);
	return rc;
}

/* mv across directories in the cell is a copy and a delete (brig mounts without redirect_dir):
 * an added regular file with the bytes of a deleted one is shown as a rename. Files are
 * compared only when sizes match, and at most a bounded number of times. */
void changes_pair_renames(struct changeset *cs, int upper_fd, int lower_fd)
{
	size_t budget = 4096;
	for (size_t i = 0; i < cs->n && budget; i++) {
		struct change *a = &cs->c[i];
		if (a->kind != CHANGE_ADDED || !S_ISREG(a->mode) || a->size == 0)
			continue;
		for (size_t j = 0; j < cs->n && budget; j++) {
			struct change *d = &cs->c[j];
			if (d->kind != CHANGE_DELETED || d->renamed_away || !S_ISREG(d->lower_mode) ||
			    d->lower_size != a->size)
				continue;
			budget--;
			int uf = gate_open_beneath(upper_fd, a->path, O_RDONLY | O_NOFOLLOW, 0);
			int lf = gate_open_beneath(lower_fd, d->path, O_RDONLY | O_NOFOLLOW, 0);
			bool same = uf >= 0 && lf >= 0 && same_fds(uf, lf);
			if (uf >= 0)
				close(uf);
			if (lf >= 0)
				close(lf);
			if (same) {
				a->rename_from = xstrdup(d->path);
				d->renamed_away = true;
				break;
			}
		}
	}
}

void changes_free(struct changeset *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		struct change *c = &cs->c[i];
		free(c->path);
		free(c->rename_from);
		free(c->conflict);
		for (size_t j = 0; j < c->nf; j++)
			free(c->f[j].reason);
		free(c->f);
	}
	free(cs->c);
	memset(cs, 0, sizeof *cs);
}
