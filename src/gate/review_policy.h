/* [review]: whether the agent's changes reach the project directly or through the review gate. */
#ifndef BRIG_GATE_REVIEW_POLICY_H
#define BRIG_GATE_REVIEW_POLICY_H

#include <jansson.h>
#include <stdbool.h>

#include "profile/posture.h"
#include "profile/schema.h"

struct review_policy {
	bool gated; /* project mounted as an overlay; changes wait for `brig apply` */
	/* Paths (globs relative to the project; "dir/" means everything under dir) where the
	 * profile expects changes; a change elsewhere is a finding. Empty: no such rule. */
	struct pos_strv expect;
};

void review_policy_defaults(struct review_policy *rp, enum posture posture);
int review_policy_parse(struct schema_ctx *c, const struct toml_table *t, struct review_policy *rp);
json_t *review_policy_to_json(const struct review_policy *rp);
void review_policy_free(struct review_policy *rp);

#endif
