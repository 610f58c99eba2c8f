#include "sandbox/plan.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct plan_entry *plan_add(struct plan *p, enum plan_kind kind, const char *src, const char *dst,
			    const char *why)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 32;
		p->e = xreallocarray(p->e, p->cap, sizeof *p->e);
	}
	struct plan_entry *e = &p->e[p->n++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->src = src ? xstrdup(src) : NULL;
	e->dst = xstrdup(dst);
	e->why = xstrdup(why ? why : "");
	e->src_fd = -1;
	e->mode = 0755;
	return e;
}

void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->e[i].src);
		free(p->e[i].dst);
		free(p->e[i].why);
		free(p->e[i].data);
		free(p->e[i].upper);
		free(p->e[i].work);
	}
	free(p->e);
	memset(p, 0, sizeof *p);
}

const char *plan_kind_name(enum plan_kind kind)
{
	static const char *const names[] = {
		[PLAN_BIND_RO] = "ro-bind", [PLAN_BIND_RW] = "bind",	[PLAN_DEV_BIND] = "dev-bind",
		[PLAN_TMPFS] = "tmpfs",	    [PLAN_TMPFS_RO] = "ro-tmpfs", [PLAN_HIDE_FILE] = "hide",
		[PLAN_DIR] = "dir",	    [PLAN_SYMLINK] = "symlink", [PLAN_FILE_DATA] = "file",
		[PLAN_PROC] = "proc",	    [PLAN_DEV] = "dev",		[PLAN_OVERLAY] = "overlay",
	};
	return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "?";
}

/* dst covers path when equal or a parent directory of it. */
static bool covers(const char *dst, const char *path)
{
	size_t n = strlen(dst);
	if (n == 1 && dst[0] == '/')
		return true;
	return strncmp(dst, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool plan_path_writable(const struct plan *p, const char *path)
{
	for (size_t i = p->n; i-- > 0;) {
		const struct plan_entry *e = &p->e[i];
		if (e->kind == PLAN_DIR || e->kind == PLAN_SYMLINK || !covers(e->dst, path))
			continue;
		return e->kind == PLAN_BIND_RW || e->kind == PLAN_DEV_BIND;
	}
	return false;
}

bool plan_path_hidden(const struct plan *p, const char *path)
{
	for (size_t i = p->n; i-- > 0;) {
		const struct plan_entry *e = &p->e[i];
		if (e->kind == PLAN_DIR || e->kind == PLAN_SYMLINK || !covers(e->dst, path))
			continue;
		return e->kind == PLAN_TMPFS || e->kind == PLAN_TMPFS_RO || e->kind == PLAN_HIDE_FILE;
	}
	return true; /* nothing covers it: not in the cell's view at all */
}
