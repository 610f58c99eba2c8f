/* Resolving the host paths a profile names, without following symlinks the sandbox could have
 * planted. A cell that can write ~/proj could replace ~/proj/cache with a symlink to ~/.ssh; if
 * the next launch followed it, a writable bind of "~/proj/cache" would hand over the user's keys.
 * So a symlink is followed only when it sits outside every tree some cell may write. */
#ifndef BRIG_SANDBOX_RESOLVE_H
#define BRIG_SANDBOX_RESOLVE_H

#include "util/xalloc.h"

struct resolver {
	struct strv writable_roots; /* realpaths a cell may write (project, [sandbox] writable) */
};

enum resolve_result {
	RESOLVE_OK = 0,
	RESOLVE_MISSING = 1,   /* a component does not exist: *out names the first missing path */
	RESOLVE_REFUSED = -1,  /* a symlink inside a writable tree, a loop, or too long */
};

/* Resolves an absolute path to its symlink-free form in *out. On RESOLVE_REFUSED, *out holds the
 * reason. */
enum resolve_result resolve_path(const struct resolver *r, const char *path, char **out);
void resolver_add_writable(struct resolver *r, const char *realpath);
void resolver_free(struct resolver *r);
/* True when path equals root or lies below it. */
int path_is_under(const char *path, const char *root);

#endif
