#include "sandbox/harden_policy.h"

#include <string.h>

void harden_policy_defaults(struct harden_policy *hp, enum posture posture)
{
	memset(hp, 0, sizeof *hp);
	hp->seccomp = posture != POSTURE_PWRAP;
	hp->landlock = posture != POSTURE_PWRAP;
}

int harden_policy_parse_table(struct schema_ctx *c, const char *name, const struct toml_table *t,
			      struct harden_policy *hp)
{
	if (!strcmp(name, "protect")) {
		static const char *const keys[] = {"paths", NULL};
		if (schema_known_keys(c, t, "[protect]", keys) < 0 ||
		    schema_strings(c, t, "[protect]", "paths", &hp->protect_extra) < 0)
			return -1;
		return 1;
	}
	return 0;
}

json_t *harden_policy_to_json(const struct harden_policy *hp)
{
	return json_pack("{s:b, s:b}", "seccomp", hp->seccomp, "landlock", hp->landlock);
}

void harden_policy_free(struct harden_policy *hp) { pos_strv_free(&hp->protect_extra); }
