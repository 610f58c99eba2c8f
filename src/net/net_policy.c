#include "net/net_policy.h"

#include <stdlib.h>
#include <string.h>

void net_policy_defaults(struct net_policy *np, enum posture posture)
{
	memset(np, 0, sizeof *np);
	np->mode = posture == POSTURE_AGENT ? NET_FILTERED : NET_HOST;
}

int net_mode_from_string(const char *s, enum net_mode *out)
{
	static const struct {
		const char *name;
		enum net_mode mode;
	} modes[] = {{"host", NET_HOST}, {"none", NET_NONE}, {"filtered", NET_FILTERED}};
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
		if (!strcmp(s, modes[i].name)) {
			*out = modes[i].mode;
			return 0;
		}
	return -1;
}

const char *net_mode_name(enum net_mode m)
{
	return m == NET_HOST ? "host" : m == NET_NONE ? "none" : "filtered";
}

int net_policy_parse(struct schema_ctx *c, const struct toml_table *t, struct net_policy *np)
{
	static const char *const keys[] = {"mode", "allow", "deny", "allow_presets", "publish", NULL};
	if (schema_known_keys(c, t, "[network]", keys) < 0)
		return -1;
	char *mode = NULL;
	int rc = schema_string(c, t, "[network]", "mode", &mode);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		const struct toml_kv *kv = toml_get_kv(t, "mode");
		if (net_mode_from_string(mode, &np->mode) < 0) {
			free(mode);
			return schema_fail(c, kv->val->pos,
					   "[network] mode must be \"none\", \"filtered\" or \"host\"");
		}
		free(np->mode_where);
		np->mode_where = schema_where(c, kv->val->pos);
		free(mode);
	}
	if (schema_strings(c, t, "[network]", "allow", &np->allow) < 0 ||
	    schema_strings(c, t, "[network]", "deny", &np->deny) < 0 ||
	    schema_strings(c, t, "[network]", "allow_presets", &np->allow_presets) < 0 ||
	    schema_strings(c, t, "[network]", "publish", &np->publish) < 0)
		return -1;
	return 0;
}

static json_t *strv_json(const struct strv *sv)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

json_t *net_policy_to_json(const struct net_policy *np)
{
	return json_pack("{s:s, s:o, s:o, s:o, s:o}", "mode", net_mode_name(np->mode), "allow",
			 strv_json(&np->allow.sv), "deny", strv_json(&np->deny.sv), "allow_presets",
			 strv_json(&np->allow_presets.sv), "publish", strv_json(&np->publish.sv));
}

void net_policy_free(struct net_policy *np)
{
	free(np->mode_where);
	pos_strv_free(&np->allow);
	pos_strv_free(&np->deny);
	pos_strv_free(&np->allow_presets);
	pos_strv_free(&np->publish);
}
