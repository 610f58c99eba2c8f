#include "gate/review_policy.h"

#include <stdlib.h>
#include <string.h>

#include "util/json_strv.h"

void review_policy_defaults(struct review_policy *rp, enum posture posture)
{
	memset(rp, 0, sizeof *rp);
	rp->gated = posture == POSTURE_AGENT;
}

int review_policy_parse(struct schema_ctx *c, const struct toml_table *t, struct review_policy *rp)
{
	static const char *const keys[] = {"mode", "expect", NULL};
	if (schema_known_keys(c, t, "[review]", keys) < 0)
		return -1;
	if (schema_strings(c, t, "[review]", "expect", &rp->expect) < 0)
		return -1;
	char *mode = NULL;
	int rc = schema_string(c, t, "[review]", "mode", &mode);
	if (rc <= 0)
		return rc;
	const struct toml_kv *kv = toml_get_kv(t, "mode");
	if (!strcmp(mode, "gated"))
		rp->gated = true;
	else if (!strcmp(mode, "direct"))
		rp->gated = false;
	else
		rc = schema_fail(c, kv->val->pos, "[review] mode must be \"gated\" or \"direct\"");
	free(mode);
	return rc < 0 ? -1 : 0;
}

json_t *review_policy_to_json(const struct review_policy *rp)
{
	json_t *j = json_pack("{s:s}", "mode", rp->gated ? "gated" : "direct");
	if (rp->expect.sv.n)
		json_object_set_new(j, "expect", json_from_strv(&rp->expect.sv));
	return j;
}

void review_policy_free(struct review_policy *rp) { pos_strv_free(&rp->expect); }
