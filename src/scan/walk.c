/* Directory walking for `brig scan`, with .gitignore support. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scan/walk.h"
#include "util/log.h"
#include "util/xalloc.h"

struct ignore_pat {
	char *pat;
	char *base; /* directory of the .gitignore, relative to the walk root ("" at the root) */
	int neg, dironly, anchored;
};

struct ignores {
	struct ignore_pat *v;
	size_t n, cap;
};

static void load_gitignore(struct ignores *ig, const char *dir, const char *rel)
{
	char *path = xasprintf("%s/.gitignore", dir);
	FILE *f = fopen(path, "re");
	free(path);
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = 0;
		char *p = line;
		if (!*p || *p == '#')
			continue;
		struct ignore_pat ip = {0};
		if (*p == '!') {
			ip.neg = 1;
			p++;
		}
		size_t len = strlen(p);
		if (len && p[len - 1] == '/') {
			ip.dironly = 1;
			p[--len] = 0;
		}
		if (!len)
			continue;
		/* A slash anywhere but the end anchors the pattern to the .gitignore's directory. */
		ip.anchored = strchr(p, '/') != NULL;
		if (*p == '/')
			p++;
		ip.pat = xstrdup(p);
		ip.base = xstrdup(rel);
		if (ig->n == ig->cap) {
			ig->cap = ig->cap ? 2 * ig->cap : 16;
			ig->v = xreallocarray(ig->v, ig->cap, sizeof *ig->v);
		}
		ig->v[ig->n++] = ip;
	}
	free(line);
	fclose(f);
}

static int pat_match(const struct ignore_pat *ip, const char *rel, int is_dir)
{
	if (ip->dironly && !is_dir)
		return 0;
	size_t bl = strlen(ip->base);
	if (bl) {
		if (strncmp(rel, ip->base, bl) || rel[bl] != '/')
			return 0;
		rel += bl + 1;
	}
	if (ip->anchored) {
		int flags = strstr(ip->pat, "**") ? 0 : FNM_PATHNAME;
		return !fnmatch(ip->pat, rel, flags | FNM_PERIOD);
	}
	const char *slash = strrchr(rel, '/');
	return !fnmatch(ip->pat, slash ? slash + 1 : rel, 0);
}

static int ignored(const struct ignores *ig, const char *rel, int is_dir)
{
	int ign = 0;
	for (size_t i = 0; i < ig->n; i++)
		if (pat_match(&ig->v[i], rel, is_dir))
			ign = !ig->v[i].neg;
	return ign;
}

struct entry {
	char *name;
	unsigned char type; /* DT_* from readdir, DT_UNKNOWN when the filesystem does not say */
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Regular file, directory, or neither (symlinks and devices are never followed or read). */
static int entry_kind(const char *path, unsigned char type)
{
	if (type == DT_REG)
		return 'f';
	if (type == DT_DIR)
		return 'd';
	if (type != DT_UNKNOWN)
		return 0;
	struct stat sb;
	if (lstat(path, &sb) < 0)
		return 0;
	return S_ISREG(sb.st_mode) ? 'f' : S_ISDIR(sb.st_mode) ? 'd' : 0;
}

static void walk_dir(const char *dir, const char *rel, struct ignores *ig, int use_ig, walk_fn fn,
                     void *ctx)
{
	size_t mark = ig->n;
	if (use_ig)
		load_gitignore(ig, dir, rel);
	DIR *d = opendir(dir);
	if (!d) {
		log_warn("scan: cannot read directory %s: %s (skipped)", dir, strerror(errno));
		return;
	}
	struct entry *ents = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, ".git"))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			ents = xreallocarray(ents, cap, sizeof *ents);
		}
		ents[n++] = (struct entry){xstrdup(e->d_name), e->d_type};
	}
	closedir(d);
	if (n)
		qsort(ents, n, sizeof *ents, by_name);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, ents[i].name);
		int kind = entry_kind(path, ents[i].type);
		if (kind) {
			char *r = NULL;
			if (use_ig && ig->n)
				r = *rel ? xasprintf("%s/%s", rel, ents[i].name) : xstrdup(ents[i].name);
			if (!r || !ignored(ig, r, kind == 'd')) {
				if (kind == 'd') {
					if (!r)
						r = *rel ? xasprintf("%s/%s", rel, ents[i].name) : xstrdup(ents[i].name);
					walk_dir(path, r, ig, use_ig, fn, ctx);
				} else {
					fn(path, ctx);
				}
			}
			free(r);
		}
		free(path);
		free(ents[i].name);
	}
	free(ents);
	for (size_t i = mark; i < ig->n; i++) {
		free(ig->v[i].pat);
		free(ig->v[i].base);
	}
	ig->n = mark;
}

int walk_paths(const char *root, int use_gitignore, walk_fn fn, void *ctx)
{
	struct stat sb;
	if (stat(root, &sb) < 0)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		fn(root, ctx);
		return 0;
	}
	struct ignores ig = {0};
	size_t len = strlen(root);
	char *dir = xstrdup(root);
	while (len > 1 && dir[len - 1] == '/')
		dir[--len] = 0;
	walk_dir(dir, "", &ig, use_gitignore, fn, ctx);
	free(dir);
	free(ig.v);
	return 0;
}
