/* [seccomp], [landlock], [limits], [protect]: the cell's hardening layers. Parsed here; applied by
 * harden.c just before exec. */
#ifndef BRIG_SANDBOX_HARDEN_POLICY_H
#define BRIG_SANDBOX_HARDEN_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "profile/posture.h"
#include "profile/schema.h"

struct harden_policy {
	bool seccomp;   /* the syscall filter is on */
	bool landlock;  /* the Landlock layer is on */
	struct pos_strv protect_extra; /* [protect] paths added by the profile */
};

void harden_policy_defaults(struct harden_policy *hp, enum posture posture);
/* name is the table's name ("seccomp", "landlock", "limits", "protect"); returns 1 when that table
 * belongs to hardening and was parsed, 0 when the name is not one of ours, -1 on error. */
int harden_policy_parse_table(struct schema_ctx *c, const char *name, const struct toml_table *t,
			      struct harden_policy *hp);
json_t *harden_policy_to_json(const struct harden_policy *hp);
void harden_policy_free(struct harden_policy *hp);

#endif
