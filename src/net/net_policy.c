#include "net/net_policy.h"

#include <stdlib.h>
#include <string.h>

#include "net/hostrules.h"
#include "net/presets.h"
#include "util/json_strv.h"

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

/* Rules are checked here, where their file position is known, so that `brig check` and `brig run`
 * both point at the line to fix. */
static int check_rules(struct schema_ctx *c, const struct net_policy *np)
{
	const struct pos_strv *lists[] = {&np->allow, &np->deny};
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < lists[l]->sv.n; i++) {
			struct hostrule r;
			char *err = NULL;
			if (hostrule_parse(lists[l]->sv.v[i], &r, &err) < 0) {
				schema_fail(c, lists[l]->pos[i], "[network] %s: %s",
					    l ? "deny" : "allow", err);
				free(err);
				return -1;
			}
			free(r.host);
		}
	for (size_t i = 0; i < np->allow_presets.sv.n; i++)
		if (!net_preset_find(np->allow_presets.sv.v[i]))
			return schema_fail(c, np->allow_presets.pos[i],
					   "[network] allow_presets: unknown preset \"%s\" (known: npm, "
					   "pypi, github, anthropic, openai, debian)",
					   np->allow_presets.sv.v[i]);
	for (size_t i = 0; i < np->publish.sv.n; i++) {
		const char *s = np->publish.sv.v[i];
		char *end;
		long a = strtol(s, &end, 10), b = a;
		if (*end == ':')
			b = strtol(end + 1, &end, 10);
		if (*end || end == s || a < 1 || a > 65535 || b < 1 || b > 65535)
			return schema_fail(c, np->publish.pos[i],
					   "[network] publish: \"%s\" must be PORT or HOSTPORT:CELLPORT",
					   s);
	}
	return 0;
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
	return check_rules(c, np);
}

json_t *net_policy_to_json(const struct net_policy *np)
{
	return json_pack("{s:s, s:o, s:o, s:o, s:o}", "mode", net_mode_name(np->mode), "allow",
			 json_from_strv(&np->allow.sv), "deny", json_from_strv(&np->deny.sv), "allow_presets",
			 json_from_strv(&np->allow_presets.sv), "publish", json_from_strv(&np->publish.sv));
}

void net_policy_free(struct net_policy *np)
{
	free(np->mode_where);
	pos_strv_free(&np->allow);
	pos_strv_free(&np->deny);
	pos_strv_free(&np->allow_presets);
	pos_strv_free(&np->publish);
}
