/* Protected paths: files inside writable trees that run code on the host later (git hooks and
 * config, shell start-up files, editor and agent configs). They stay read-only in the cell unless
 * the profile lifts them. The list is data: shown by `brig check`, extended by [protect]. */
#ifndef BRIG_SANDBOX_PROTECT_H
#define BRIG_SANDBOX_PROTECT_H

#include <jansson.h>
#include <stdbool.h>

#include "profile/schema.h"

struct harden_policy;
struct plan;

enum protect_scope {
	PROTECT_TREE, /* relative to every writable tree (the project first) */
	PROTECT_HOME, /* relative to the home directory, when it is writable */
};

struct protect_item {
	const char *path; /* relative, no leading slash */
	enum protect_scope scope;
	bool dir;         /* created empty on the host when missing, then bound (see SECURITY.md);
			   * otherwise a missing path is watched and reported */
	const char *why;
};

/* The built-in list, terminated by an item with path NULL. */
const struct protect_item *protect_defaults(void);

/* Checks [protect] paths and lift; returns 0 or -1 with c->err set. */
int protect_check_policy(struct schema_ctx *c, const struct harden_policy *hp);
json_t *protect_list_json(const struct harden_policy *hp);

/* Adds read-only steps for the protected paths of every writable tree of the plan so far.
 * home is the user's home directory (resolved). */
void protect_plan(const struct harden_policy *hp, const char *project_real, const char *home,
		  struct plan *plan);

/* What protect_plan decided, for tests: steps added, placeholders created, files watched. */
struct protect_stats {
	int bound, created, watched;
};
struct protect_stats protect_last_stats(void);

/* Supervisor, at exit: removes the empty placeholder directories brig created on the host and
 * warns about protected files that the command created. Registered with atexit by protect_plan. */
void protect_finish(void);

#endif
