/* Walking the paths given to `brig scan`: directories recursively, symlinks not followed,
 * `.git` skipped, `.gitignore` files honoured (a practical subset of git's rules). */
#ifndef BRIG_SCAN_WALK_H
#define BRIG_SCAN_WALK_H

typedef void (*walk_fn)(const char *path, void *ctx);

/* Calls fn for each regular file under root (or root itself). -1 if root cannot be read. */
int walk_paths(const char *root, int use_gitignore, walk_fn fn, void *ctx);

#endif
