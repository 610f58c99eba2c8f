/* The review gate's findings: what in an agent's changes could act on the host later (a git hook,
 * a CI file, an install script, an editor task, a symlink out of the project...). The rules are
 * data (rules.c's tables), listed by `brig review --rules` and in docs/REVIEW.md. */
#ifndef BRIG_GATE_RULES_H
#define BRIG_GATE_RULES_H

#include <stddef.h>

#include "gate/changes.h"
#include "util/xalloc.h"

struct review_policy;

struct rules_ctx {
	int upper_fd, lower_fd;
	const struct review_policy *rp; /* [review] expect: paths the profile expects changes in */
};

struct rule_doc {
	const char *id;
	enum finding_sev sev;
	const char *what; /* paths or condition, for the listing */
	const char *reason;
};

/* Adds every finding for c (not for deletions, except protected paths). */
void rules_check(struct change *c, const struct rules_ctx *ctx);
/* All rules, for `brig review --rules`. */
const struct rule_doc *rules_list(size_t *n);

/* Dangerous keys (KEY=VALUE, lowercased key) a git config text sets; exposed for unit tests. */
void rules_gitconfig_risky(const char *text, size_t len, struct strv *out);

#endif
