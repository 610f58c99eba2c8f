#include "sandbox/harden_policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/landlock.h"
#include "sandbox/limits.h"
#include "sandbox/protect.h"
#include "sandbox/seccomp.h"

/* The agent's memory default: three quarters of the machine, so that a runaway build in the
 * cell leaves the rest of the desktop alive. */
static int64_t default_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || size <= 0)
		return 0;
	return (int64_t)pages * size / 4 * 3;
}

void harden_policy_defaults(struct harden_policy *hp, enum posture posture)
{
	memset(hp, 0, sizeof *hp);
	bool strict = posture != POSTURE_PWRAP;
	hp->seccomp = strict;
	hp->landlock = strict;
	hp->landlock_scope = strict;
	hp->protect = strict;
	hp->limits.enabled = posture == POSTURE_AGENT;
	if (hp->limits.enabled) {
		hp->limits.memory = default_memory();
		/* Threads count too: a parallel build of a large project stays well below. */
		hp->limits.pids = 4096;
		hp->limits.nofile = 65536;
		hp->limits.fsize = 64ll << 30;
	}
}

int harden_parse_size(const char *s, int64_t *out)
{
	static const char *const units = "KMGT";
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	int shift = 0;
	if (*end) {
		const char *u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -1;
		shift = 10 * (int)(u - units + 1);
		end++;
		/* "2G", "2GB" and "2GiB" all mean 2 * 2^30: memory is counted in pages anyway. */
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
		if (*end)
			return -1;
	}
	if (v > (unsigned long long)INT64_MAX >> shift)
		return -1;
	*out = (int64_t)(v << shift);
	return 0;
}

static int parse_seccomp(struct schema_ctx *c, const struct toml_table *t, struct harden_policy *hp)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct toml_kv *kv = &t->kvs[i];
		if (!strcmp(kv->key, "enabled")) {
			if (schema_bool(c, t, "[seccomp]", "enabled", &hp->seccomp) < 0)
				return -1;
			continue;
		}
		int r = sc_rule_index(kv->key);
		if (r < 0) {
			char list[768] = "enabled";
			for (size_t j = 0; j < sc_rule_count(); j++)
				if (sc_rule_relaxable(j)) {
					strncat(list, ", ", sizeof list - strlen(list) - 1);
					strncat(list, sc_rule_name(j), sizeof list - strlen(list) - 1);
				}
			return schema_fail(c, kv->pos, "unknown key '%s' in [seccomp] (known keys: %s)",
					   kv->key, list);
		}
		bool allow = false;
		if (schema_bool(c, t, "[seccomp]", kv->key, &allow) < 0)
			return -1;
		if (!allow)
			continue;
		if (!sc_rule_relaxable((size_t)r))
			return schema_fail(c, kv->val->pos,
					   "[seccomp] %s cannot be lifted: it guards the cell itself (%s)",
					   kv->key, sc_rule_stops((size_t)r));
		hp->seccomp_relaxed |= 1ull << r;
		free(hp->seccomp_relaxed_where[r]);
		hp->seccomp_relaxed_where[r] = schema_where(c, kv->val->pos);
	}
	return 1;
}

static int parse_landlock(struct schema_ctx *c, const struct toml_table *t,
			  struct harden_policy *hp)
{
	static const char *const keys[] = {"enabled", "min_abi", "scope", NULL};
	int64_t abi = hp->landlock_min_abi;
	if (schema_known_keys(c, t, "[landlock]", keys) < 0 ||
	    schema_bool(c, t, "[landlock]", "enabled", &hp->landlock) < 0 ||
	    schema_bool(c, t, "[landlock]", "scope", &hp->landlock_scope) < 0)
		return -1;
	int rc = schema_int(c, t, "[landlock]", "min_abi", 0, 64, &abi);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		hp->landlock_min_abi = (int)abi;
		hp->landlock_required = abi > 0;
	}
	return 1;
}

/* memory and fsize take a size ("2G") or a byte count; 0 lifts the limit. */
static int limit_size(struct schema_ctx *c, const struct toml_table *t, const char *key,
		      int64_t *out)
{
	const struct toml_kv *kv = toml_get_kv(t, key);
	if (!kv)
		return 0;
	if (kv->val->type == TOML_INTEGER)
		return schema_int(c, t, "[limits]", key, 0, INT64_MAX, out);
	if (kv->val->type == TOML_STRING) {
		if (harden_parse_size(kv->val->u.str.ptr, out) < 0)
			return schema_fail(c, kv->val->pos,
					   "[limits] %s = \"%s\" is not a size (write e.g. \"512M\", "
					   "\"2G\", or a number of bytes; 0 for no limit)",
					   key, kv->val->u.str.ptr);
		return 1;
	}
	return schema_fail(c, kv->val->pos, "[limits] %s must be a size string or an integer, not a %s",
			   key, toml_type_name(kv->val->type));
}

static int parse_limits(struct schema_ctx *c, const struct toml_table *t, struct harden_policy *hp)
{
	static const char *const keys[] = {"enabled", "memory", "pids", "cpu",
					   "cpu_seconds", "nofile", "fsize", NULL};
	struct harden_limits *l = &hp->limits;
	l->from_profile = true;
	if (schema_known_keys(c, t, "[limits]", keys) < 0 ||
	    schema_bool(c, t, "[limits]", "enabled", &l->enabled) < 0 ||
	    limit_size(c, t, "memory", &l->memory) < 0 || limit_size(c, t, "fsize", &l->fsize) < 0 ||
	    schema_int(c, t, "[limits]", "pids", 0, 1 << 22, &l->pids) < 0 ||
	    schema_int(c, t, "[limits]", "cpu", 0, 100 * 4096, &l->cpu_percent) < 0 ||
	    schema_int(c, t, "[limits]", "cpu_seconds", 0, INT32_MAX, &l->cpu_seconds) < 0 ||
	    schema_int(c, t, "[limits]", "nofile", 0, 1 << 20, &l->nofile) < 0)
		return -1;
	/* Too few descriptors and the dynamic loader itself fails with an obscure message. */
	if (l->nofile && l->nofile < 16)
		return schema_fail(c, toml_get_kv(t, "nofile")->val->pos,
				   "[limits] nofile = %lld is too small to start a program (use 16 or "
				   "more, or 0 for no limit)",
				   (long long)l->nofile);
	return 1;
}

static int parse_protect(struct schema_ctx *c, const struct toml_table *t, struct harden_policy *hp)
{
	static const char *const keys[] = {"enabled", "paths", "lift", NULL};
	if (schema_known_keys(c, t, "[protect]", keys) < 0 ||
	    schema_bool(c, t, "[protect]", "enabled", &hp->protect) < 0 ||
	    schema_strings(c, t, "[protect]", "paths", &hp->protect_extra) < 0 ||
	    schema_strings(c, t, "[protect]", "lift", &hp->protect_lift) < 0)
		return -1;
	return protect_check_policy(c, hp) < 0 ? -1 : 1;
}

int harden_policy_parse_table(struct schema_ctx *c, const char *name, const struct toml_table *t,
			      struct harden_policy *hp)
{
	if (!strcmp(name, "seccomp"))
		return parse_seccomp(c, t, hp);
	if (!strcmp(name, "landlock"))
		return parse_landlock(c, t, hp);
	if (!strcmp(name, "limits"))
		return parse_limits(c, t, hp);
	if (!strcmp(name, "protect"))
		return parse_protect(c, t, hp);
	return 0;
}

static json_t *seccomp_json(const struct harden_policy *hp)
{
	json_t *rules = sc_rules_json(hp->seccomp_relaxed);
	size_t i;
	json_t *r;
	json_array_foreach(rules, i, r)
	{
		if (i < HARDEN_MAX_RULES && hp->seccomp_relaxed_where[i])
			json_object_set_new(r, "lifted_by", json_string(hp->seccomp_relaxed_where[i]));
	}
	return json_pack("{s:b, s:s, s:s, s:o}", "enabled", hp->seccomp, "default", "allow",
			 "architectures", "native only (x86_64; i386 and x32 entries killed)",
			 "rules", rules);
}

static json_t *landlock_json(const struct harden_policy *hp)
{
	int abi = landlock_abi_version();
	const char *state = !hp->landlock ? "off" : abi == 0 ? "unavailable" : "active";
	return json_pack("{s:b, s:s, s:i, s:s, s:i, s:b, s:s}", "enabled", hp->landlock, "state",
			 state, "abi", abi, "covers", landlock_abi_features(abi), "min_abi",
			 hp->landlock_min_abi, "scope", hp->landlock_scope && abi >= 6, "fs",
			 "rights mirror the mount plan: read-only where mounted read-only, "
			 "read-write where writable, nothing elsewhere");
}

static json_t *limit_json(int64_t v) { return v ? json_integer(v) : json_string("none"); }

static json_t *limits_json(const struct harden_policy *hp)
{
	const struct harden_limits *l = &hp->limits;
	json_t *o = json_pack("{s:b}", "enabled", l->enabled);
	json_object_set_new(o, "memory", limit_json(l->memory));
	json_object_set_new(o, "pids", limit_json(l->pids));
	json_object_set_new(o, "cpu_percent", limit_json(l->cpu_percent));
	json_object_set_new(o, "cpu_seconds", limit_json(l->cpu_seconds));
	json_object_set_new(o, "nofile", limit_json(l->nofile));
	json_object_set_new(o, "fsize", limit_json(l->fsize));
	json_object_set_new(o, "cgroup", limits_probe_json());
	return o;
}

json_t *harden_policy_to_json(const struct harden_policy *hp)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "seccomp", seccomp_json(hp), "landlock",
			 landlock_json(hp), "privileges",
			 json_pack("{s:b, s:b, s:b, s:b}", "capabilities_dropped", true,
				   "no_new_privs", true, "securebits_locked", true, "setuid_inert",
				   true),
			 "limits", limits_json(hp), "protect", protect_list_json(hp));
}

void harden_policy_free(struct harden_policy *hp)
{
	for (int i = 0; i < HARDEN_MAX_RULES; i++) {
		free(hp->seccomp_relaxed_where[i]);
		hp->seccomp_relaxed_where[i] = NULL;
	}
	pos_strv_free(&hp->protect_extra);
	pos_strv_free(&hp->protect_lift);
}
