#include "sandbox/resolve.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int path_is_under(const char *path, const char *root)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/')
		return path[0] == '/';
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

void resolver_add_writable(struct resolver *r, const char *realpath)
{
	if (!strv_contains(&r->writable_roots, realpath))
		strv_push(&r->writable_roots, realpath);
}

void resolver_free(struct resolver *r) { strv_free(&r->writable_roots); }

static const char *writable_root_of(const struct resolver *r, const char *dir)
{
	for (size_t i = 0; i < r->writable_roots.n; i++)
		if (path_is_under(dir, r->writable_roots.v[i]))
			return r->writable_roots.v[i];
	return NULL;
}

/* Appends component c (length n) to the resolved prefix buf. */
static void push_component(char *buf, const char *c, size_t n)
{
	size_t len = strlen(buf);
	if (len > 1)
		buf[len++] = '/';
	else
		len = 1;
	memcpy(buf + len, c, n);
	buf[len + n] = '\0';
}

static void pop_component(char *buf)
{
	char *slash = strrchr(buf, '/');
	if (slash == buf)
		buf[1] = '\0';
	else if (slash)
		*slash = '\0';
}

enum resolve_result resolve_path(const struct resolver *r, const char *path, char **out)
{
	if (path[0] != '/') {
		*out = xasprintf("'%s' is not an absolute path", path);
		return RESOLVE_REFUSED;
	}
	/* rest holds what is left to walk; symlink targets are spliced in front of it. */
	char *rest = xstrdup(path);
	char resolved[PATH_MAX] = "/";
	int hops = 0;
	enum resolve_result rc = RESOLVE_OK;
	char *p = rest;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 1 && p[0] == '.') {
			p = end;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			pop_component(resolved);
			p = end;
			continue;
		}
		if (strlen(resolved) + n + 2 >= sizeof resolved) {
			*out = xasprintf("path too long: %s", path);
			rc = RESOLVE_REFUSED;
			goto done;
		}
		char parent[PATH_MAX];
		strcpy(parent, resolved);
		push_component(resolved, p, n);
		struct stat st;
		if (lstat(resolved, &st) < 0) {
			if (errno == ENOENT || errno == ENOTDIR) {
				*out = xstrdup(resolved);
				rc = RESOLVE_MISSING;
			} else {
				*out = xasprintf("cannot inspect %s: %s", resolved, strerror(errno));
				rc = RESOLVE_REFUSED;
			}
			goto done;
		}
		if (!S_ISLNK(st.st_mode)) {
			p = end;
			continue;
		}
		const char *root = writable_root_of(r, parent);
		if (root) {
			*out = xasprintf("%s is a symlink inside %s, which a sandbox can write; brig does "
					 "not follow it (name the real path in the profile)",
					 resolved, root);
			rc = RESOLVE_REFUSED;
			goto done;
		}
		if (++hops > 40) {
			*out = xasprintf("too many levels of symlinks in %s", path);
			rc = RESOLVE_REFUSED;
			goto done;
		}
		char target[PATH_MAX];
		ssize_t tn = readlink(resolved, target, sizeof target - 1);
		if (tn < 0) {
			*out = xasprintf("cannot read symlink %s: %s", resolved, strerror(errno));
			rc = RESOLVE_REFUSED;
			goto done;
		}
		target[tn] = '\0';
		char *next = xasprintf("%s/%s", target, end);
		free(rest);
		rest = next;
		p = rest;
		if (target[0] == '/')
			strcpy(resolved, "/");
		else
			strcpy(resolved, parent);
	}
	*out = xstrdup(resolved);
done:
	free(rest);
	return rc;
}
